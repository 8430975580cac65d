/* bench_acl.c — the security-group benchmark behind `make bench-acl`: drives
 * pipeline_run() with batches of 64-byte IPv4 TCP frames from a "VM" port
 * (with security groups of 0, 1, 100 or 10 000 rules) to a sink port, on one
 * core, and prints one JSON line per case as bench-engine does (so
 * bench/run-engine.sh runs it, adding callgrind's instructions per packet).
 *
 * Two streams per rule count: "established", ACKs of 1024 connections
 * opened before the clock starts (the connection table answers, the
 * classifier is not consulted: what a long-lived flow costs), and
 * "classify", RST segments, which open no connection, so that every packet
 * goes through the classifier (what a new connection's first packet
 * costs). docs/security-groups.md has the figures. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

#include "callgrind_shim.h"

#define FRAME_LEN    64
#define POOL_SIZE    4096
#define FLOWS	     1024
#define WARM_BATCHES 64

struct acl_case {
	const char *name;
	int rules;     /* -1: no security group at all */
	bool classify; /* RST segments: every packet is classified */
};

static const struct acl_case cases[] = {
    {"acl-off", -1, false},
    {"acl-1-established", 1, false},
    {"acl-1-classify", 1, true},
    {"acl-100-established", 100, false},
    {"acl-100-classify", 100, true},
    {"acl-10k-established", 10000, false},
    {"acl-10k-classify", 10000, true},
};

static const uint8_t vm_mac[6] = {0x02, 0xcc, 0, 0, 0, 1}, peer_mac[6] = {0x02, 0xcc, 0, 0, 0, 2};

/* VM 10.0.0.1:(10000 + flow) -> 10.1.(flow / 256).(flow % 256):80. */
static void write_frame(uint8_t *d, uint32_t flow, uint8_t tcp_flags)
{
	memset(d, 0, FRAME_LEN);
	memcpy(d, peer_mac, 6);
	memcpy(d + 6, vm_mac, 6);
	store_be16(d + 12, ETH_TYPE_IPV4);
	uint8_t *ip = d + 14, *tcp = ip + 20;
	ip[0] = 0x45;
	store_be16(ip + 2, 40);
	ip[8] = 64;
	ip[9] = FLOW_IPPROTO_TCP;
	memcpy(ip + 12, (uint8_t[]){10, 0, 0, 1}, 4);
	memcpy(ip + 16, (uint8_t[]){10, 1, (uint8_t)(flow >> 8), (uint8_t)flow}, 4);
	store_be16(tcp, (uint16_t)(10000 + flow));
	store_be16(tcp + 2, 80);
	tcp[12] = 0x50;
	tcp[13] = tcp_flags;
}

/* n rules of the VM's egress direction in five shapes, as security groups
 * are written (a service port from a host, from a subnet, a port range, a
 * UDP service, a whole network); the last allows the benchmark's traffic. */
static struct acl_rule *make_rules(int n)
{
	struct acl_rule *rules = calloc((size_t)n + 1, sizeof(*rules));
	for (int i = 0; i < n; i++) {
		struct acl_rule_spec *s = &rules[i].spec;
		s->id = (uint32_t)i + 1;
		s->direction = ACL_EGRESS;
		s->family = 4;
		s->proto = FLOW_IPPROTO_TCP;
		s->port_lo = s->port_hi = (uint16_t)(1000 + i % 20000);
		uint8_t r[4] = {10, 2, (uint8_t)(i >> 8), (uint8_t)i};
		s->remote_len = 32;
		switch (i % 5) {
		case 1:
			s->remote_len = 24, r[3] = 0;
			break;
		case 2:
			s->port_lo = (uint16_t)(30000 + 4 * (i % 5000)),
			s->port_hi = s->port_lo + 3;
			break;
		case 3:
			s->proto = FLOW_IPPROTO_UDP;
			break;
		case 4:
			s->port_lo = 0, s->port_hi = 65535, s->remote_len = 16,
			r[1] = (uint8_t)(i % 200 + 20);
			r[2] = r[3] = 0;
			break;
		}
		memcpy(s->remote, r, 4);
		snprintf(rules[i].group, ACL_GROUP_MAX, "bench");
	}
	struct acl_rule_spec *last = &rules[n - 1].spec;
	*last = (struct acl_rule_spec){.id = (uint32_t)n,
				       .direction = ACL_EGRESS,
				       .family = 4,
				       .proto = FLOW_IPPROTO_TCP,
				       .port_lo = 80,
				       .port_hi = 80,
				       .remote_len = 16,
				       .remote = {10, 1}};
	return rules;
}

struct bench {
	struct packet_pool *pool;
	struct vswitch *sw;
	struct bridge_port *vm, *peer;
	uint32_t next;
};

static int setup(struct bench *b, const struct acl_case *c)
{
	char err[256] = "out of memory";
	memset(b, 0, sizeof(*b));
	b->pool = packet_pool_create(POOL_SIZE, 0);
	struct switch_config config;
	switch_config_init(&config);
	b->sw = b->pool ? switch_create("bench", &config, b->pool, err, sizeof(err)) : NULL;
	if (!b->sw)
		goto fail;
	switch_run(b->sw, time_now_seconds());
	static const char *const options[] = {"sink=yes", NULL};
	struct bridge_port **ports[2] = {&b->vm, &b->peer};
	for (int i = 0; i < 2; i++) {
		struct port *port =
		    port_create(i ? "peer" : "vm", "pipe", options, err, sizeof(err));
		struct port_config pc;
		port_config_init(&pc);
		if (!port || switch_add_port(b->sw, port, &pc, err, sizeof(err)))
			goto fail;
		*ports[i] = switch_find_port(b->sw, port->name);
	}
	if (switch_add_static_mac(b->sw, b->peer, 1, peer_mac, err, sizeof(err)) ||
	    switch_add_static_mac(b->sw, b->vm, 1, vm_mac, err, sizeof(err)))
		goto fail;
	if (c->rules >= 0) {
		struct acl_rule *rules = make_rules(c->rules);
		struct acl_port *acl = calloc(1, sizeof(*acl));
		acl->cls[ACL_EGRESS] = acl_compile(rules, (size_t)c->rules, ACL_EGRESS);
		acl->cls[ACL_INGRESS] = acl_compile(rules, 0, ACL_INGRESS);
		acl->ct = conntrack_create(CONNTRACK_DEFAULT_MAX);
		free(rules);
		b->vm->acl = acl;
		fprintf(stderr, "bench-acl: %s: %d rules in %zu shapes\n", c->name, c->rules,
			acl_classifier_shapes(acl->cls[ACL_EGRESS]));
	}
	return 0;
fail:
	fprintf(stderr, "bench-acl: %s: %s\n", c->name, err);
	return -1;
}

static void fill(struct bench *b, struct packet_batch *batch, uint8_t flags)
{
	packet_batch_init(batch);
	for (int i = 0; i < BATCH_SIZE; i++) {
		struct packet *p = packet_alloc(b->pool);
		write_frame(p->data, b->next++ % FLOWS, flags);
		p->len = FRAME_LEN;
		packet_batch_add(batch, p);
	}
}

struct result {
	uint64_t packets, ticks, ns;
};

static void measure(struct bench *b, const struct acl_case *c, uint64_t packets, double seconds,
		    struct result *r)
{
	struct packet_batch batch;
	uint8_t flags = c->classify ? FLOW_TCP_RST | FLOW_TCP_ACK : FLOW_TCP_ACK;
	/* Opens every connection (an ACK is picked up as established), warms. */
	for (int i = 0; i < WARM_BATCHES; i++) {
		fill(b, &batch, flags);
		pipeline_run(b->sw, b->vm, &batch);
	}
	memset(r, 0, sizeof(*r));
	uint64_t min_ns = (uint64_t)(seconds * 1e9);
	CALLGRIND_START_INSTRUMENTATION;
	while (packets ? r->packets < packets : r->ns < min_ns) {
		fill(b, &batch, flags);
		uint64_t t0 = time_now_ns(), c0 = rdtsc();
		CALLGRIND_TOGGLE_COLLECT;
		pipeline_run(b->sw, b->vm, &batch);
		CALLGRIND_TOGGLE_COLLECT;
		uint64_t c1 = rdtsc(), t1 = time_now_ns();
		r->packets += BATCH_SIZE;
		r->ticks += c1 - c0;
		r->ns += t1 - t0;
	}
	CALLGRIND_STOP_INSTRUMENTATION;
}

/* Everything measured must have been forwarded and, with rules, counted on
 * the rule that allowed it. */
static int check(struct bench *b, const struct acl_case *c, const struct result *r)
{
	struct port_counters pc;
	bridge_port_counters(b->peer, &pc);
	uint64_t want = r->packets + (uint64_t)WARM_BATCHES * BATCH_SIZE;
	if (pc.tx_packets != want) {
		fprintf(stderr, "bench-acl: %s: sent %" PRIu64 ", want %" PRIu64 "\n", c->name,
			pc.tx_packets, want);
		return -1;
	}
	if (c->rules > 0) {
		const struct acl_classifier *cls = b->vm->acl->cls[ACL_EGRESS];
		uint64_t counted = cls->rules[cls->n_rules - 1].packets;
		if (counted != want) {
			fprintf(stderr, "bench-acl: %s: rule counted %" PRIu64 "\n", c->name,
				counted);
			return -1;
		}
	}
	return 0;
}

static int run_case(const struct acl_case *c, uint64_t packets, double seconds,
		    const char *instructions)
{
	struct bench b;
	struct result r;
	int error = setup(&b, c);
	if (!error) {
		measure(&b, c, packets, seconds, &r);
		error = check(&b, c, &r);
	}
	if (!error) {
		fprintf(stderr, "bench-acl: %s: timed %" PRIu64 " packets\n", c->name, r.packets);
		printf("{\"case\": \"%s\", \"mpps\": %.2f, \"cycles_per_packet\": %.1f, "
		       "\"instructions_per_packet\": %s}\n",
		       c->name, (double)r.packets * 1e3 / (double)r.ns,
		       (double)r.ticks / (double)r.packets, instructions ? instructions : "null");
		fflush(stdout);
	}
	switch_destroy(b.sw);
	packet_pool_destroy(b.pool);
	return error;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"case", required_argument, NULL, 'c'},
	    {"packets", required_argument, NULL, 'p'},
	    {"seconds", required_argument, NULL, 's'},
	    {"instructions", required_argument, NULL, 'i'},
	    {"list", no_argument, NULL, 'l'},
	    {NULL, 0, NULL, 0},
	};
	const char *only = NULL, *instructions = NULL;
	uint64_t packets = 0;
	double seconds = 1.0;
	int opt;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			only = optarg;
			break;
		case 'p':
			packets = strtoull(optarg, NULL, 10);
			break;
		case 's':
			seconds = strtod(optarg, NULL);
			break;
		case 'i':
			instructions = optarg;
			break;
		case 'l':
			for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
				printf("%s\n", cases[i].name);
			return 0;
		default:
			fprintf(stderr,
				"usage: bench-acl [--case NAME] [--packets N | --seconds S] "
				"[--instructions N] | --list\n");
			return 2;
		}
	}
	int failed = 0, found = 0;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (only && strcmp(only, cases[i].name))
			continue;
		found = 1;
		failed |= run_case(&cases[i], packets, seconds, instructions) != 0;
	}
	if (!found) {
		fprintf(stderr, "bench-acl: unknown case '%s'\n", only);
		return 2;
	}
	return failed;
}
