/* bench_engine.c — the engine benchmark behind `make bench-engine`: drives
 * pipeline_run() directly with batches of 64-byte frames between sink pipe
 * ports, so only the engine is measured, on one core, and prints one JSON
 * line per case. bench/run-engine.sh adds the instruction count measured
 * under callgrind; docs/benchmarks.md says what each case is and how to read
 * the numbers. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

#include "callgrind_shim.h"

#define BENCH_MAX_PORTS 8
#define FRAME_LEN	64
#define VID		1
/* Buffers in the pool: a flooded batch holds 7 x 256 packets at once. */
#define POOL_SIZE 4096
/* Untimed batches before the clock starts, so caches and branch predictors
 * are warm in every case, not only in those that learn many MACs first. */
#define WARM_BATCHES 64
/* How often (in batches) the driver gives the switch its housekeeping call. */
#define HOUSEKEEPING_BATCHES 256

/* Locally administered unicast MACs: a host per port, and the two sets of
 * l2bdscale stations S_i (on port A) and D_i (on port B). */
#define PORT_MAC_BASE 0x02cc00000000ull
#define S_MAC_BASE    0x02aa00000000ull
#define D_MAC_BASE    0x02bb00000000ull
#define BROADCAST_MAC 0xffffffffffffull

struct bench;

struct bench_case {
	const char *name;
	unsigned n_ports;
	uint32_t n_flows; /* l2bdscale: distinct source/destination pairs */
	unsigned copies;  /* frames sent per frame received (flood: n_ports - 1) */
	/* Teaches the switch every MAC the stream uses (untimed). */
	int (*learn)(struct bench *b);
	/* Builds the next batch of the stream and returns its ingress port. */
	unsigned (*fill)(struct bench *b, struct packet_batch *batch);
	/* Checks the MAC table holds what the case expects. */
	int (*check_fdb)(struct bench *b);
};

/* What a macflood case sets besides: port 0's MAC limit (0 = none), a
 * table this small (0 = the default), and the drop it expects. Every other
 * case has none of it. */
struct macflood {
	const char *name;
	uint32_t mac_limit;
	uint32_t fdb_capacity;
	enum drop_reason expected_drop;
};

static const struct macflood macfloods[] = {
    {"macflood-limit", 64, 0, DROP_MAC_LIMIT},
    {"macflood-full", 0, 4096, DROP_NONE},
};

/* What a policy case turns on for every port: port security with the host
 * MAC and its address bound and the DHCP/RA guards on (every frame's IPv4
 * and UDP headers read), or ingress policing at a rate no frame reaches.
 * Both pass every frame: the cost of the checks, not of drops. */
struct policy {
	const char *name;
	bool security;
	uint64_t ingress_rate; /* bit/s */
};

static const struct policy policies[] = {
    {"2-ports-secured", true, 0},
    {"2-ports-policed", false, 400000000000ull},
};

static const struct policy *policy_of(const struct bench_case *c)
{
	static const struct policy none = {"", false, 0};
	for (size_t i = 0; i < ARRAY_SIZE(policies); i++)
		if (!strcmp(c->name, policies[i].name))
			return &policies[i];
	return &none;
}

static const struct macflood *macflood_of(const struct bench_case *c)
{
	static const struct macflood none = {"", 0, 0, DROP_NONE};
	for (size_t i = 0; i < ARRAY_SIZE(macfloods); i++)
		if (!strcmp(c->name, macfloods[i].name))
			return &macfloods[i];
	return &none;
}

struct bench {
	const struct bench_case *c;
	struct packet_pool *pool;
	struct vswitch *sw;
	struct bridge_port *ports[BENCH_MAX_PORTS];
	/* Frames each port must have sent by now: the proof that the engine
	 * forwarded what was measured. */
	uint64_t expected_tx[BENCH_MAX_PORTS];
	uint64_t next_frame; /* position in the stream */
	uint64_t random;     /* macflood: xorshift state of the sources */
	unsigned next_ingress;
	uint32_t last_housekeeping;
};

/* A host's IPv4 address: 10.x.y.z from its MAC's low 24 bits. */
static uint32_t host_ip(uint64_t mac)
{
	return (10u << 24) | (uint32_t)(mac & 0xffffff);
}

/* A frame of 64 bytes: MACs, an IPv4/UDP header between the hosts' addresses
 * (read only by the policy cases' checks), zero payload. */
static void write_frame(uint8_t *data, uint64_t dst, uint64_t src)
{
	memset(data + 14, 0, FRAME_LEN - 14);
	mac_from_u64(dst, data);
	mac_from_u64(src, data + 6);
	store_be16(data + 12, 0x0800);
	uint8_t *ip = data + 14;
	ip[0] = 0x45;
	store_be16(ip + 2, FRAME_LEN - 14);
	ip[8] = 64;
	ip[9] = 17;
	store_be32(ip + 12, host_ip(src));
	store_be32(ip + 16, dst == BROADCAST_MAC ? 0xffffffffu : host_ip(dst));
	uint8_t *udp = ip + 20;
	store_be16(udp, 40000);
	store_be16(udp + 2, 4789);
	store_be16(udp + 4, FRAME_LEN - 14 - 20);
}

/* Appends a frame to the batch; `out` is the port it must leave by, -1
 * for a broadcast that reaches every port but `in`, -2 for none. */
static int add_frame(struct bench *b, struct packet_batch *batch, uint64_t dst, uint64_t src,
		     unsigned in, int out)
{
	struct packet *p = packet_alloc(b->pool);
	if (!p) {
		fprintf(stderr, "bench-engine: %s: packet pool exhausted (%u buffers)\n",
			b->c->name, POOL_SIZE);
		return -ENOBUFS;
	}
	write_frame(p->data, dst, src);
	p->len = FRAME_LEN;
	packet_batch_add(batch, p);
	if (out >= 0) {
		b->expected_tx[out]++;
	} else if (out == -1) {
		for (unsigned i = 0; i < b->c->n_ports; i++)
			if (i != in)
				b->expected_tx[i]++;
	}
	return 0;
}

static uint64_t port_mac(unsigned port)
{
	return PORT_MAC_BASE + port + 1;
}

/* Sends a batch untimed: learning and warm-up. */
static void send_untimed(struct bench *b, unsigned in, struct packet_batch *batch)
{
	pipeline_run(b->sw, b->ports[in], batch);
	packet_batch_init(batch);
}

/* ---- 2-ports, 8-ports and flood: one host MAC per port ----------------- */

/* Each port broadcasts once from its host MAC, as a VM's first ARP would. */
static int learn_port_macs(struct bench *b)
{
	struct packet_batch batch;
	for (unsigned in = 0; in < b->c->n_ports; in++) {
		packet_batch_init(&batch);
		if (add_frame(b, &batch, BROADCAST_MAC, port_mac(in), in, -1))
			return -ENOBUFS;
		send_untimed(b, in, &batch);
	}
	return 0;
}

static int check_port_macs(struct bench *b)
{
	for (unsigned i = 0; i < b->c->n_ports; i++) {
		uint8_t mac[6];
		mac_from_u64(port_mac(i), mac);
		uint64_t key = fdb_key(VID, mac);
		struct fdb_entry *e = fdb_find(b->sw->fdb, key, hash_u64(key));
		if (!e || e->port != b->ports[i]->index) {
			fprintf(stderr, "bench-engine: %s: host MAC of port %u %s\n", b->c->name, i,
				e ? "learned on the wrong port" : "not learned");
			return -1;
		}
	}
	return 0;
}

/* A and B take turns: each batch goes from one host to the other. */
static unsigned fill_2_ports(struct bench *b, struct packet_batch *batch)
{
	unsigned in = b->next_ingress;
	unsigned out = 1 - in;
	b->next_ingress = out;
	for (unsigned i = 0; i < BATCH_SIZE; i++)
		if (add_frame(b, batch, port_mac(out), port_mac(in), in, (int)out))
			break;
	return in;
}

/* Ingress port round-robin per batch; the frames of a batch go to the other
 * seven hosts in turn, so the egress stage has seven queues to fill. */
static unsigned fill_8_ports(struct bench *b, struct packet_batch *batch)
{
	unsigned n = b->c->n_ports;
	unsigned in = b->next_ingress;
	b->next_ingress = (in + 1) % n;
	for (unsigned i = 0; i < BATCH_SIZE; i++) {
		unsigned out = (in + 1 + i % (n - 1)) % n;
		if (add_frame(b, batch, port_mac(out), port_mac(in), in, (int)out))
			break;
	}
	return in;
}

/* Broadcasts from port 0, each copied to the other seven ports. */
static unsigned fill_flood(struct bench *b, struct packet_batch *batch)
{
	for (unsigned i = 0; i < BATCH_SIZE; i++)
		if (add_frame(b, batch, BROADCAST_MAC, port_mac(0), 0, -1))
			break;
	return 0;
}

/* ---- mcast-snooped: IGMP snooping on, a group with two members ---------- */

#define MCAST_GROUP_IP	0xef010101u /* 239.1.1.1 */
#define MCAST_GROUP_MAC 0x01005e010101ull

/* The hosts' MACs, then an IGMPv2 report for the group from ports 1 and 2. */
static int learn_mcast(struct bench *b)
{
	if (learn_port_macs(b))
		return -ENOBUFS;
	struct packet_batch batch;
	for (unsigned in = 1; in <= 2; in++) {
		packet_batch_init(&batch);
		if (add_frame(b, &batch, MCAST_GROUP_MAC, port_mac(in), in, -2))
			return -ENOBUFS;
		uint8_t *ip = batch.packets[0]->data + 14;
		store_be32(ip + 16, MCAST_GROUP_IP);
		ip[9] = 2; /* IGMP */
		ip[20] = 0x16;
		store_be32(ip + 24, MCAST_GROUP_IP);
		send_untimed(b, in, &batch);
	}
	return b->sw->mcast && b->sw->mcast->table->n_groups == 1 ? 0 : -EINVAL;
}

/* UDP to the group from port 0: copies to ports 1 and 2 only, of eight. */
static unsigned fill_mcast(struct bench *b, struct packet_batch *batch)
{
	for (unsigned i = 0; i < BATCH_SIZE; i++) {
		if (add_frame(b, batch, MCAST_GROUP_MAC, port_mac(0), 0, 1))
			break;
		b->expected_tx[2]++;
		store_be32(batch->packets[batch->count - 1]->data + 14 + 16, MCAST_GROUP_IP);
	}
	return 0;
}

/* ---- l2bdscale: N flows, every frame a different MAC pair --------------- */

/* FD.io CSIT's l2bdscale: stations S_i behind port A talk to D_i behind
 * port B. Each D_i, then each S_i, sends one frame so the table holds 2N
 * entries before the clock starts. */
static int learn_flows(struct bench *b)
{
	struct packet_batch batch;
	for (int pass = 0; pass < 2; pass++) {
		unsigned in = pass == 0 ? 1 : 0;
		uint64_t src_base = in == 1 ? D_MAC_BASE : S_MAC_BASE;
		uint64_t dst_base = in == 1 ? S_MAC_BASE : D_MAC_BASE;
		packet_batch_init(&batch);
		for (uint32_t i = 0; i < b->c->n_flows; i++) {
			/* First pass: the S_i are unknown, flooded to A, the only other port. */
			if (add_frame(b, &batch, dst_base + i, src_base + i, in, (int)(1 - in)))
				return -ENOBUFS;
			if (packet_batch_full(&batch))
				send_untimed(b, in, &batch);
		}
		if (batch.count)
			send_untimed(b, in, &batch);
	}
	return 0;
}

static int check_flows(struct bench *b)
{
	struct fdb *fdb = b->sw->fdb;
	if (fdb->count < 2 * b->c->n_flows) {
		fprintf(stderr, "bench-engine: %s: MAC table holds %u entries, want %u\n",
			b->c->name, fdb->count, 2 * b->c->n_flows);
		return -1;
	}
	for (uint32_t i = 0; i < b->c->n_flows; i++) {
		for (unsigned side = 0; side < 2; side++) {
			uint8_t mac[6];
			mac_from_u64((side == 0 ? S_MAC_BASE : D_MAC_BASE) + i, mac);
			uint64_t key = fdb_key(VID, mac);
			struct fdb_entry *e = fdb_find(fdb, key, hash_u64(key));
			if (!e || e->port != b->ports[side]->index) {
				fprintf(stderr, "bench-engine: %s: %c_%u %s\n", b->c->name,
					side == 0 ? 'S' : 'D', i,
					e ? "learned on the wrong port" : "not learned");
				return -1;
			}
		}
	}
	return 0;
}

/* Frame k of the stream carries flow k mod N. Batches alternate direction,
 * as CSIT's traffic is bidirectional: S_i -> D_i from A, D_i -> S_i from B. */
static unsigned fill_flows(struct bench *b, struct packet_batch *batch)
{
	unsigned in = b->next_ingress;
	unsigned out = 1 - in;
	b->next_ingress = out;
	uint64_t src_base = in == 0 ? S_MAC_BASE : D_MAC_BASE;
	uint64_t dst_base = in == 0 ? D_MAC_BASE : S_MAC_BASE;
	uint32_t flow = (uint32_t)(b->next_frame % b->c->n_flows);
	for (unsigned i = 0; i < BATCH_SIZE; i++) {
		if (add_frame(b, batch, dst_base + flow, src_base + flow, in, (int)out))
			break;
		if (++flow == b->c->n_flows)
			flow = 0;
	}
	b->next_frame += batch->count;
	return in;
}

/* ---- macflood: every frame from port 0 a new random source -------------- */

/* Port 0 floods random sources towards port 1's host, as macof does. With a
 * MAC limit each frame is dropped at learning (expected_drop: nothing
 * leaves); without one the small table is full after warm-up and every
 * frame evicts one of port 0's entries and is forwarded. */
static unsigned fill_macflood(struct bench *b, struct packet_batch *batch)
{
	for (unsigned i = 0; i < BATCH_SIZE; i++) {
		uint64_t x = b->random;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b->random = x;
		uint64_t src = (x & 0xfcffffffffffull) | 0x020000000000ull; /* local unicast */
		/* port 0's host MAC counts against the limit; the first sources
		 * up to it are learned and forwarded */
		uint32_t limit = macflood_of(b->c)->mac_limit;
		bool passes = limit == 0 || b->next_frame++ + 1 < limit;
		if (add_frame(b, batch, port_mac(1), src, 0, passes ? 1 : -2))
			break;
	}
	return 0;
}

/* Port 1's host stays learned; port 0 holds at most its limit. */
static int check_macflood(struct bench *b)
{
	uint8_t mac[6];
	mac_from_u64(port_mac(1), mac);
	uint64_t key = fdb_key(VID, mac);
	struct fdb_entry *e = fdb_find(b->sw->fdb, key, hash_u64(key));
	uint32_t learned = b->sw->fdb->port_dynamic[b->ports[0]->index];
	uint32_t limit = macflood_of(b->c)->mac_limit;
	if (!e || e->port != b->ports[1]->index || (limit && learned > limit)) {
		fprintf(stderr, "bench-engine: %s: port 1's MAC lost, or port 0 has %u MACs\n",
			b->c->name, learned);
		return -1;
	}
	return 0;
}

static const struct bench_case cases[] = {
    {"2-ports", 2, 0, 1, learn_port_macs, fill_2_ports, check_port_macs},
    {"8-ports", 8, 0, 1, learn_port_macs, fill_8_ports, check_port_macs},
    {"l2bdscale-10k", 2, 10000, 1, learn_flows, fill_flows, check_flows},
    {"l2bdscale-100k", 2, 100000, 1, learn_flows, fill_flows, check_flows},
    {"l2bdscale-1m", 2, 1000000, 1, learn_flows, fill_flows, check_flows},
    {"flood", 8, 0, 7, learn_port_macs, fill_flood, check_port_macs},
    {"macflood-limit", 2, 0, 1, learn_port_macs, fill_macflood, check_macflood},
    {"macflood-full", 2, 0, 1, learn_port_macs, fill_macflood, check_macflood},
    {"2-ports-secured", 2, 0, 1, learn_port_macs, fill_2_ports, check_port_macs},
    {"2-ports-policed", 2, 0, 1, learn_port_macs, fill_2_ports, check_port_macs},
    {"2-ports-ipfix", 2, 0, 1, learn_port_macs, fill_2_ports, check_port_macs},
    {"mcast-snooped", 8, 0, 2, learn_mcast, fill_mcast, check_port_macs},
};

/* ---- the driver -------------------------------------------------------- */

static int bench_setup(struct bench *b, const struct bench_case *c)
{
	char err[256];
	memset(b, 0, sizeof(*b));
	b->c = c;
	b->pool = packet_pool_create(POOL_SIZE, 0);
	if (!b->pool) {
		fprintf(stderr, "bench-engine: %s: out of memory for the packet pool\n", c->name);
		return -1;
	}
	struct switch_config config;
	switch_config_init(&config);
	/* Room for 2N entries with a margin, so learning never meets a full table. */
	uint32_t want = 2 * c->n_flows + c->n_flows / 8 + 1024;
	if (config.fdb_capacity < want)
		config.fdb_capacity = want;
	if (macflood_of(c)->fdb_capacity)
		config.fdb_capacity = macflood_of(c)->fdb_capacity;
	b->random = 0x5eed;
	config.mcast.enabled = !strncmp(c->name, "mcast", 5);
	b->sw = switch_create("bench", &config, b->pool, err, sizeof(err));
	if (!b->sw)
		goto fail;
	/* Entries are stamped with the switch clock: set it before learning. */
	b->last_housekeeping = time_now_seconds();
	switch_run(b->sw, b->last_housekeeping);

	static const char *const options[] = {"sink=yes", NULL};
	for (unsigned i = 0; i < c->n_ports; i++) {
		char name[PORT_NAME_MAX];
		snprintf(name, sizeof(name), "p%u", i);
		struct port *port = port_create(name, "pipe", options, err, sizeof(err));
		if (!port)
			goto fail;
		struct port_config pc;
		port_config_init(&pc);
		if (i == 0)
			pc.mac_limit = macflood_of(c)->mac_limit;
		if (policy_of(c)->security) {
			struct port_security_pair *pair = &pc.security.pairs[0];
			mac_from_u64(port_mac(i), pair->mac);
			pair->n_addrs = 1;
			pair->addrs[0].family = 4;
			pair->addrs[0].len = 32;
			store_be32(pair->addrs[0].addr, host_ip(port_mac(i)));
			pc.security.has_mac = true;
			pc.security.n_pairs = 1;
			port_security_update(&pc.security);
		}
		pc.rate.ingress_rate = policy_of(c)->ingress_rate;
		if (switch_add_port(b->sw, port, &pc, err, sizeof(err))) {
			port_destroy(port);
			goto fail;
		}
		b->ports[i] = switch_find_port(b->sw, port->name);
	}
	/* IPFIX on, every packet metered: the flow cache's cost per packet. */
	struct ipfix_cache_config ipfix = {.max_flows = IPFIX_MAX_FLOWS_DEFAULT,
					   .sampling = 1,
					   .active_ms = IPFIX_ACTIVE_TIMEOUT_DEFAULT * 1000,
					   .idle_ms = IPFIX_IDLE_TIMEOUT_DEFAULT * 1000};
	if (!strcmp(c->name, "2-ports-ipfix")) {
		ipfix_cache_install(b->sw, ipfix_cache_create(&ipfix));
		snprintf(err, sizeof(err), "out of memory for the flow cache");
		if (!b->sw->ipfix)
			goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "bench-engine: %s: %s\n", c->name, err);
	return -1;
}

static void bench_teardown(struct bench *b)
{
	switch_destroy(b->sw);
	packet_pool_destroy(b->pool);
}

/* Housekeeping as a daemon would do it, about once a second, untimed. */
static void housekeeping(struct bench *b)
{
	uint32_t now = time_now_seconds();
	if (now != b->last_housekeeping) {
		b->last_housekeeping = now;
		switch_run(b->sw, now);
	}
}

/* Fails loudly when the sinks did not get exactly the frames the stream
 * was built to send: a benchmark that forwards nothing must not print a
 * good number. */
static int check_forwarded(struct bench *b)
{
	int error = 0;
	for (unsigned i = 0; i < b->c->n_ports; i++) {
		struct port_counters counters;
		const struct port_counters *pc = &counters;
		bridge_port_counters(b->ports[i], &counters);
		if (pc->tx_packets != b->expected_tx[i]) {
			fprintf(stderr,
				"bench-engine: %s: port %s sent %" PRIu64 ", want %" PRIu64 "\n",
				b->c->name, b->ports[i]->name, pc->tx_packets, b->expected_tx[i]);
			error = -1;
		}
		for (int r = 1; r < DROP_MAX; r++)
			if (pc->drops[r] && r != (int)macflood_of(b->c)->expected_drop) {
				fprintf(stderr,
					"bench-engine: %s: port %s dropped %" PRIu64 " (%s)\n",
					b->c->name, b->ports[i]->name, pc->drops[r],
					drop_reason_name((enum drop_reason)r));
				error = -1;
			}
	}
	if (b->sw->fdb_full && !macflood_of(b->c)->fdb_capacity) {
		fprintf(stderr, "bench-engine: %s: MAC table full %" PRIu64 " times\n", b->c->name,
			b->sw->fdb_full);
		error = -1;
	}
	if (!error)
		error = b->c->check_fdb(b);
	return error;
}

struct result {
	uint64_t packets; /* frames received by the switch in the timed region */
	uint64_t ticks;	  /* TSC */
	uint64_t ns;
};

/* Runs the stream until `packets` frames (rounded up to whole batches) or,
 * when packets is 0, until `seconds` of timed work. Only pipeline_run() is
 * timed; building the batch and housekeeping are not. */
static int bench_measure(struct bench *b, uint64_t packets, double seconds, struct result *r)
{
	struct packet_batch batch;
	uint64_t min_ns = (uint64_t)(seconds * 1e9);
	memset(r, 0, sizeof(*r));

	for (unsigned i = 0; i < WARM_BATCHES; i++) {
		packet_batch_init(&batch);
		unsigned in = b->c->fill(b, &batch);
		if (batch.count < BATCH_SIZE)
			return -1;
		send_untimed(b, in, &batch);
	}

	CALLGRIND_START_INSTRUMENTATION;
	for (uint64_t n = 0; packets ? r->packets < packets : r->ns < min_ns; n++) {
		packet_batch_init(&batch);
		unsigned in = b->c->fill(b, &batch);
		if (batch.count < BATCH_SIZE)
			return -1;
		struct bridge_port *port = b->ports[in];
		uint32_t count = batch.count;

		uint64_t t0 = time_now_ns();
		uint64_t c0 = rdtsc();
		CALLGRIND_TOGGLE_COLLECT;
		pipeline_run(b->sw, port, &batch);
		CALLGRIND_TOGGLE_COLLECT;
		uint64_t c1 = rdtsc();
		uint64_t t1 = time_now_ns();

		r->packets += count;
		r->ticks += c1 - c0;
		r->ns += t1 - t0;
		if (n % HOUSEKEEPING_BATCHES == 0)
			housekeeping(b);
	}
	CALLGRIND_STOP_INSTRUMENTATION;
	return 0;
}

static int bench_case_run(const struct bench_case *c, uint64_t packets, double seconds,
			  const char *instructions)
{
	struct bench b;
	struct result r;
	int error = bench_setup(&b, c);
	if (!error)
		error = c->learn(&b);
	if (!error)
		error = bench_measure(&b, packets, seconds, &r);
	if (!error)
		error = check_forwarded(&b);
	if (error) {
		fprintf(stderr, "bench-engine: %s: FAILED, no result\n", c->name);
		goto out;
	}

	double mpps = (double)r.packets * 1e3 / (double)r.ns;
	double cycles = (double)r.ticks / (double)r.packets;
	fprintf(stderr,
		"bench-engine: %s: timed %" PRIu64 " packets in %.3f s, TSC %.2f GHz, %u MACs\n",
		c->name, r.packets, (double)r.ns / 1e9, (double)r.ticks / (double)r.ns,
		b.sw->fdb->count);
	printf("{\"case\": \"%s\", \"mpps\": %.2f, \"cycles_per_packet\": %.1f, "
	       "\"instructions_per_packet\": %s",
	       c->name, mpps, cycles, instructions ? instructions : "null");
	if (c->copies > 1)
		printf(", \"copies_per_packet\": %u", c->copies);
	printf("}\n");
	fflush(stdout);
out:
	bench_teardown(&b);
	return error;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench-engine [--case NAME] [--packets N | --seconds S] [--instructions N]\n"
		"       bench-engine --list\n"
		"Times pipeline_run() on 64-byte frames between sink pipe ports and prints\n"
		"one JSON line per case. --instructions passes in the instructions per packet\n"
		"callgrind measured (bench/run-engine.sh does this); it needs --case.\n"
		"Cases:");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		fprintf(f, " %s", cases[i].name);
	fprintf(f, "\n");
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
	    {"case", required_argument, NULL, 'c'},
	    {"packets", required_argument, NULL, 'p'},
	    {"seconds", required_argument, NULL, 's'},
	    {"instructions", required_argument, NULL, 'i'},
	    {"list", no_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *only = NULL;
	const char *instructions = NULL;
	char instructions_text[32];
	uint64_t packets = 0;
	double seconds = 1.0;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			only = optarg;
			break;
		case 'p':
			packets = strtoull(optarg, &end, 10);
			if (*end || packets == 0) {
				fprintf(stderr,
					"bench-engine: --packets '%s' must be a positive integer\n",
					optarg);
				return 2;
			}
			break;
		case 's':
			seconds = strtod(optarg, &end);
			if (*end || !(seconds > 0)) {
				fprintf(stderr,
					"bench-engine: --seconds '%s' must be a positive number\n",
					optarg);
				return 2;
			}
			break;
		case 'i': {
			double v = strtod(optarg, &end);
			if (*end || !(v >= 0)) {
				fprintf(stderr,
					"bench-engine: --instructions '%s' must be a number\n",
					optarg);
				return 2;
			}
			/* Re-printed so the JSON line holds a valid number whatever was typed. */
			snprintf(instructions_text, sizeof(instructions_text), "%.1f", v);
			instructions = instructions_text;
			break;
		}
		case 'l':
			for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
				printf("%s\n", cases[i].name);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (instructions && !only) {
		fprintf(stderr, "bench-engine: --instructions applies to one case: add --case\n");
		return 2;
	}

	int failed = 0;
	bool found = false;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (only && strcmp(only, cases[i].name) != 0)
			continue;
		found = true;
		if (bench_case_run(&cases[i], packets, seconds, instructions))
			failed = 1;
	}
	if (!found) {
		fprintf(stderr, "bench-engine: unknown case '%s'\n", only);
		usage(stderr);
		return 2;
	}
	return failed;
}
