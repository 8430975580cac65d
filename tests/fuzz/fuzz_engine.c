/* fuzz_engine.c — libFuzzer target for the whole pipeline: arbitrary frames
 * on arbitrary ports of a configured switch (access, trunk, two uplinks, a
 * private and a hairpin port, a MAC limit, a tiny MAC table and pool), mixed
 * with clock ticks and carrier flaps. After every step it checks what DESIGN
 * §3 promises of each frame that left: never out of its ingress port unless
 * hairpin, tagged only with a VID the egress port carries and that is not
 * its PVID, nothing at all from a stacked frame on the port with the
 * VLAN-hopping guard (access2), at most one tag added (a second tag is
 * payload, 802.1Q, so it may leave behind the outer one; a tag is never
 * pushed twice); and that no buffer leaked.
 *
 * Input: records of [port][op][len][bytes...]; op 0-3 inject (bit 0: the
 * tag in metadata), 4 ticks the clock, 5 flips a carrier. */
#include <stdio.h>
#include <stdlib.h>

#include "engine/engine.h"

#define N_PORTS 7

struct spec {
	const char *name;
	uint16_t pvid;
	uint16_t vids[3];
	bool uplink;
	uint8_t priority;
	enum port_mode mode;
	bool hairpin;
	uint32_t mac_limit;
};

/* The port whose VLAN-hopping guard is on (stacked-tags drop). */
#define GUARDED_PORT 1

static const struct spec specs[N_PORTS] = {
    {"access1", 1, {0}, false, 0, PORT_MODE_VEB, false, 0},
    {"access2", 2, {0}, false, 0, PORT_MODE_VEB, false, 4},
    {"trunk", 1, {2, 3, 0}, false, 0, PORT_MODE_VEB, false, 0},
    {"uplink1", 1, {3, 0}, true, 1, PORT_MODE_VEB, false, 0},
    {"uplink2", 1, {2, 3, 0}, true, 2, PORT_MODE_VEB, false, 0},
    {"private", 3, {0}, false, 0, PORT_MODE_PRIVATE, false, 0},
    {"hairpin", 1, {3, 0}, false, 0, PORT_MODE_VEB, true, 0},
};

static struct packet_pool *pool;
static struct vswitch *switches[2];

static struct vswitch *build(enum switch_mode mode)
{
	char err[256];
	struct switch_config config;
	switch_config_init(&config);
	config.mode = mode;
	config.fdb_capacity = 16;
	struct vswitch *sw =
	    switch_create(mode ? "auth" : "learn", &config, pool, err, sizeof(err));
	for (int i = 0; sw && i < N_PORTS; i++) {
		const struct spec *s = &specs[i];
		const char *opts[] = {"depth=64", NULL};
		struct port *port = port_create(s->name, "pipe", opts, err, sizeof(err));
		struct port_config pc;
		port_config_init(&pc);
		pc.pvid = s->pvid;
		for (int v = 0; v < 3 && s->vids[v]; v++)
			bitset_set(pc.vids, s->vids[v]);
		pc.uplink = s->uplink;
		pc.trunk_priority = s->priority;
		pc.mode = s->mode;
		pc.hairpin = s->hairpin;
		pc.mac_limit = s->mac_limit;
		if (i == GUARDED_PORT)
			pc.vlan_guard.stacked_tags = STACKED_TAGS_DROP;
		if (!port || switch_add_port(sw, port, &pc, err, sizeof(err)) < 0) {
			fprintf(stderr, "fuzz_engine: %s\n", err);
			abort();
		}
	}
	if (!sw)
		abort();
	return sw;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	pool = packet_pool_create(512, 0);
	switches[0] = build(SWITCH_MODE_LEARNING);
	switches[1] = build(SWITCH_MODE_AUTHORITATIVE);
	/* The IPFIX flow cache reads every frame one switch forwards; tiny, so
	 * that it fills and refuses, and its ring overflows (ipfix_cache.c). */
	struct ipfix_cache_config ipfix = {.max_flows = 4, .sampling = 1, .idle_ms = 1};
	ipfix_cache_install(switches[1], ipfix_cache_create(&ipfix));
	if (!switches[1]->ipfix)
		abort();
	return 0;
}

/* Reads back everything the ports sent and checks the egress rules. `in`
 * NULL: what housekeeping sent (a failover's announcements), which only an
 * uplink may send; else in_len is the length of the frame injected, and
 * `stacked` says it carried a tag of its own behind its outer one (or an
 * S-tag): that tag is payload and may lead a frame we leave untagged, so
 * only frames without one must show our egress tag rule (test_vlan.c checks
 * stacked frames byte for byte). */
static void check_output(struct vswitch *sw, const struct bridge_port *in, size_t in_len,
			 bool guarded, bool stacked)
{
	uint8_t buf[2048];
	for (int i = 0; i < N_PORTS; i++) {
		struct bridge_port *port = sw->ports[i];
		int len;
		while ((len = pipe_take(port->dev, buf, sizeof(buf))) >= 0) {
			if (len < ETH_HEADER_LEN || guarded)
				abort();
			if (port == in && !port->config.hairpin)
				abort();
			if (in && (size_t)len > in_len + VLAN_TAG_LEN)
				abort();
			if (!in && !port->config.uplink)
				abort();
			if (load_be16(buf + 12) != ETH_TYPE_VLAN || stacked)
				continue;
			if (len < 18)
				abort();
			uint16_t vid = load_be16(buf + 14) & 0xfff;
			if (vid == port->config.pvid || !bitset_test(port->vlans, vid))
				abort();
		}
	}
}

static void reset(struct vswitch *sw)
{
	fdb_flush(sw->fdb, PORT_INDEX_NONE, NULL, true);
	for (int i = 0; i < N_PORTS; i++)
		pipe_set_carrier(sw->ports[i]->dev, true);
	switch_run(sw, 1000);
	check_output(sw, NULL, 0, false, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct vswitch *sw = switches[data[0] & 1];
	reset(sw);
	uint32_t now = 1000;
	size_t at = 1;
	while (at + 3 <= size) {
		struct bridge_port *port = sw->ports[data[at] % N_PORTS];
		uint8_t op = data[at + 1] % 6;
		size_t len = data[at + 2];
		at += 3;
		if (len > size - at)
			len = size - at;
		if (op < 4) {
			int tci = (op & 1) && len >= 2 ? load_be16(data + at) : -1;
			if (tci >= 0) {
				at += 2;
				len -= 2;
			}
			struct frame_header h;
			bool stacked = parse_frame(data + at, (uint32_t)len, tci >= 0,
						   (uint16_t)tci, UINT16_MAX, &h) == DROP_NONE &&
				       h.stacked;
			pipe_inject(port->dev, port->sw->pool, data + at, (uint32_t)len, tci);
			switch_poll(sw);
			check_output(sw, port, len, stacked && port->index == GUARDED_PORT,
				     stacked);
		} else if (op == 4) {
			now += len * 4; /* up to ~1000 s: past the ageing time */
			switch_run(sw, now);
			check_output(sw, NULL, 0, false, false);
		} else {
			pipe_set_carrier(port->dev, !port->dev->class->carrier(port->dev));
			switch_run(sw, now);
			check_output(sw, NULL, 0, false, false);
		}
		at += len;
	}
	if (pool->available != pool->size)
		abort(); /* every buffer must come back */
	if (sw->fdb->count > sw->fdb->capacity)
		abort();
	return 0;
}
