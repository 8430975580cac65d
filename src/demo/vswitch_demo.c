/* vswitch_demo.c — `make demo` until the daemon lands: builds the seed
 * scenario of DESIGN §3 in-process, sends a frame between every pair of
 * hosts, and prints who reached whom and in which 802.1Q form, then what a
 * VLAN-hopping attempt and a few malformed frames did to the counters. */
#include <stdio.h>
#include <stdlib.h>

#include "demo/seed_topology.h"
#include "lib/frame.h"

static int print_matrix(struct vswitch *sw, const char *title)
{
	int wrong = 0;
	printf("\n%s\n", title);
	printf("  from \\ to  ");
	for (int j = 0; j < SEED_ENDPOINTS; j++)
		printf("%-9s", seed_endpoints[j].name);
	printf("\n");
	for (int i = 0; i < SEED_ENDPOINTS; i++) {
		printf("  %-10s ", seed_endpoints[i].name);
		for (int j = 0; j < SEED_ENDPOINTS; j++) {
			const struct seed_endpoint *a = &seed_endpoints[i], *b = &seed_endpoints[j];
			if (i == j) {
				printf("%-9s", "-");
				continue;
			}
			struct seed_result r;
			seed_probe(sw, a, b, &r);
			char cell[16];
			if (r.delivered && r.wire_tagged)
				snprintf(cell, sizeof(cell), "ok t%u", r.wire_vid);
			else if (r.delivered)
				snprintf(cell, sizeof(cell), "ok u");
			else
				snprintf(cell, sizeof(cell), ".");
			bool expect = seed_expect_reachable(a, b);
			if (r.delivered != expect || (r.delivered && !r.form_ok) ||
			    r.crossed_vlan) {
				wrong++;
				strcat(cell, "!");
			}
			printf("%-9s", cell);
		}
		printf("\n");
	}
	return wrong;
}

static void inject(struct vswitch *sw, const char *port, const uint8_t *frame, size_t len)
{
	pipe_inject(switch_find_port(sw, port)->dev, sw->pool, frame, (uint32_t)len, -1);
	switch_poll(sw);
	seed_drain(sw);
}

static void print_counters(const struct vswitch *sw)
{
	printf("\n  port    rx     tx     drops by reason\n");
	for (uint16_t i = 0; i < sw->n_ports; i++) {
		struct port_counters c;
		bridge_port_counters(sw->ports[i], &c);
		printf("  %-6s %5llu  %5llu  ", sw->ports[i]->name, (unsigned long long)c.rx_packets,
		       (unsigned long long)c.tx_packets);
		for (int r = 1; r < DROP_MAX; r++)
			if (c.drops[r])
				printf("%s=%llu ", drop_reason_name((enum drop_reason)r),
				       (unsigned long long)c.drops[r]);
		printf("\n");
	}
}

int main(void)
{
	char err[256];
	struct packet_pool *pool = packet_pool_create(8192, 0);
	struct vswitch *sw =
	    pool ? seed_build(pool, SWITCH_MODE_AUTHORITATIVE, err, sizeof(err)) : NULL;
	if (!sw) {
		fprintf(stderr, "vswitch-demo: %s\n", pool ? err : "out of memory");
		return 1;
	}
	printf("vswitch engine demo: the seed scenario of DESIGN §3 (PowerVM, one VIOS)\n\n"
	       "  LPAR1 pvid 1 + vid 3    LPAR2 pvid 1    LPAR3 pvid 2 + vid 3    LPAR4 pvid 2\n"
	       "  VIOS trunk pvid 1 + vid 3, uplink to the external switch (EXT.v1 untagged, "
	       "EXT.v3 tagged)\n"
	       "  Switch mode: authoritative (unknown unicast goes to the VIOS uplink)\n");
	seed_announce(sw);
	int wrong = print_matrix(sw, "Reachability: one unicast frame per pair "
				     "(ok u = arrived untagged, ok t3 = arrived tagged VID 3, "
				     ". = not delivered, ! = differs from DESIGN §3)");
	printf("\n  VLAN 1 = LPAR1, LPAR2, EXT.v1   VLAN 2 = LPAR3, LPAR4 (internal only)   "
	       "VLAN 3 = LPAR1.v3, LPAR3.v3, EXT.v3\n");

	printf("\nAttacks and garbage:\n");
	const struct seed_endpoint *lpar2 = &seed_endpoints[2], *lpar3v3 = &seed_endpoints[4];
	uint8_t frame[64];
	size_t len =
	    frame_build(frame, sizeof(frame), lpar3v3->mac, lpar2->mac, 3, 0x0800, NULL, 0);
	inject(sw, "lpar2", frame, len);
	printf("  LPAR2 sends a frame tagged VID 3 to LPAR3.v3 (VLAN hopping) -> dropped, "
	       "lpar2 vlan-not-member=%llu\n",
	       (unsigned long long)switch_find_port(sw, "lpar2")
		   ->counters.drops[DROP_VLAN_NOT_MEMBER]);
	inject(sw, "lpar4", frame, 10);
	printf("  LPAR4 sends a 10-byte runt -> lpar4 runt=%llu\n",
	       (unsigned long long)switch_find_port(sw, "lpar4")->counters.drops[DROP_RUNT]);
	static const uint8_t stp[6] = {0x01, 0x80, 0xc2, 0, 0, 0};
	len = frame_build(frame, sizeof(frame), stp, seed_endpoints[6].mac, -1, 0x0026, NULL, 0);
	inject(sw, "vios", frame, len);
	printf("  The external switch sends a spanning-tree BPDU -> vios bpdu=%llu\n",
	       (unsigned long long)switch_find_port(sw, "vios")->counters.drops[DROP_BPDU]);
	print_counters(sw);

	printf("\n%s: %d of %d pairs as DESIGN §3 says\n", wrong ? "FAIL" : "OK",
	       SEED_ENDPOINTS * (SEED_ENDPOINTS - 1) - wrong,
	       SEED_ENDPOINTS * (SEED_ENDPOINTS - 1));
	switch_destroy(sw);
	packet_pool_destroy(pool);
	return wrong ? 1 : 0;
}
