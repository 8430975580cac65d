/* seed_topology.c — the seed scenario on pipe ports. The VIOS trunk adapter
 * is the uplink; frames it sends are what the SEA puts on the external
 * switch port (pvid 1, vid 3), so external hosts appear as endpoints on it:
 * untagged for VLAN 1, tagged for VLAN 3. */
#include "seed_topology.h"

#include <stdio.h>

#include "lib/frame.h"

#define PROBE_ETHERTYPE 0x88b5 /* IEEE local experimental */

const struct seed_endpoint seed_endpoints[SEED_ENDPOINTS] = {
    {"LPAR1", "lpar1", 1, false, {0x02, 0, 0, 0, 0x01, 0x01}},
    {"LPAR1.v3", "lpar1", 3, true, {0x02, 0, 0, 0, 0x01, 0x03}},
    {"LPAR2", "lpar2", 1, false, {0x02, 0, 0, 0, 0x02, 0x01}},
    {"LPAR3", "lpar3", 2, false, {0x02, 0, 0, 0, 0x03, 0x02}},
    {"LPAR3.v3", "lpar3", 3, true, {0x02, 0, 0, 0, 0x03, 0x03}},
    {"LPAR4", "lpar4", 2, false, {0x02, 0, 0, 0, 0x04, 0x02}},
    {"EXT.v1", "vios", 1, false, {0x02, 0, 0, 0, 0xee, 0x01}},
    {"EXT.v3", "vios", 3, true, {0x02, 0, 0, 0, 0xee, 0x03}},
};

struct seed_port {
	const char *name;
	uint16_t pvid;
	uint16_t vid; /* one extra tagged VLAN, 0 = none */
	bool uplink;
};

static const struct seed_port seed_ports[] = {
    {"lpar1", 1, 3, false}, {"lpar2", 1, 0, false}, {"lpar3", 2, 3, false},
    {"lpar4", 2, 0, false}, {"vios", 1, 3, true},
};

struct vswitch *seed_build(struct packet_pool *pool, enum switch_mode mode, char *err,
			   size_t err_size)
{
	struct switch_config sc;
	switch_config_init(&sc);
	sc.mode = mode;
	struct vswitch *sw = switch_create("hvswitch", &sc, pool, err, err_size);
	if (!sw)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(seed_ports); i++) {
		const struct seed_port *sp = &seed_ports[i];
		struct port *port = port_create(sp->name, "pipe", NULL, err, err_size);
		struct port_config pc;
		port_config_init(&pc);
		pc.pvid = sp->pvid;
		if (sp->vid)
			bitset_set(pc.vids, sp->vid);
		pc.uplink = sp->uplink;
		pc.trunk_priority = sp->uplink ? 1 : 0;
		if (!port || switch_add_port(sw, port, &pc, err, err_size) < 0) {
			port_destroy(port);
			switch_destroy(sw);
			return NULL;
		}
	}
	return sw;
}

void seed_drain(struct vswitch *sw)
{
	uint8_t buf[2048];
	for (uint16_t i = 0; i < sw->n_ports; i++)
		while (pipe_take(sw->ports[i]->dev, buf, sizeof(buf)) >= 0)
			;
}

static void send_from(struct vswitch *sw, const struct seed_endpoint *from, const uint8_t *dst,
		      uint32_t marker)
{
	uint8_t frame[128];
	size_t len =
	    frame_build(frame, sizeof(frame), dst, from->mac, from->tagged ? from->vid : -1,
			PROBE_ETHERTYPE, &marker, sizeof(marker));
	pipe_inject(switch_find_port(sw, from->port)->dev, sw->pool, frame, (uint32_t)len, -1);
	switch_poll(sw);
}

void seed_announce(struct vswitch *sw)
{
	static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	for (int i = 0; i < SEED_ENDPOINTS; i++)
		send_from(sw, &seed_endpoints[i], broadcast, 0);
	seed_drain(sw);
}

/* Which endpoint on `port` hears a frame in VLAN vid, tagged or not. */
static const struct seed_endpoint *endpoint_hearing(const char *port, uint16_t vid, bool tagged)
{
	for (int i = 0; i < SEED_ENDPOINTS; i++) {
		const struct seed_endpoint *e = &seed_endpoints[i];
		if (strcmp(e->port, port) == 0 && e->vid == vid && e->tagged == tagged)
			return e;
	}
	return NULL;
}

void seed_probe(struct vswitch *sw, const struct seed_endpoint *from,
		const struct seed_endpoint *to, struct seed_result *result)
{
	static uint32_t marker = 1;
	memset(result, 0, sizeof(*result));
	seed_drain(sw);
	send_from(sw, from, to->mac, ++marker);
	for (uint16_t i = 0; i < sw->n_ports; i++) {
		struct bridge_port *port = sw->ports[i];
		uint8_t buf[2048];
		int len;
		while ((len = pipe_take(port->dev, buf, sizeof(buf))) >= ETH_HEADER_LEN) {
			bool tagged = load_be16(buf + 12) == ETH_TYPE_VLAN;
			uint16_t vid = tagged ? (load_be16(buf + 14) & 0xfff) : port->config.pvid;
			const struct seed_endpoint *heard =
			    endpoint_hearing(port->name, vid, tagged);
			if (vid != from->vid) {
				result->crossed_vlan++;
			} else if (heard == to && memcmp(buf, to->mac, 6) == 0) {
				result->delivered = true;
				result->wire_tagged = tagged;
				result->wire_vid = tagged ? vid : 0;
				result->form_ok = tagged == to->tagged;
			} else {
				result->other_copies++;
			}
		}
	}
}

bool seed_expect_reachable(const struct seed_endpoint *a, const struct seed_endpoint *b)
{
	return a->vid == b->vid && strcmp(a->port, b->port) != 0;
}
