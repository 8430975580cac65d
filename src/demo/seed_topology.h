/* seed_topology.h — the seed scenario of DESIGN §3 (a Power server with four
 * client partitions and one VIOS) built on in-process pipe ports, and a
 * probe that sends one frame between two endpoints and says where it went.
 * Shared by the demo and the unit test that checks the matrix frame by frame. */
#ifndef VSWITCH_SEED_TOPOLOGY_H
#define VSWITCH_SEED_TOPOLOGY_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"

/* A host as the switch sees it: a port, the VLAN it talks on, and whether its
 * frames carry a tag on that port (a VLAN interface such as en0.3). */
struct seed_endpoint {
	const char *name;
	const char *port;
	uint16_t vid;
	bool tagged;
	uint8_t mac[6];
};

#define SEED_ENDPOINTS 8
extern const struct seed_endpoint seed_endpoints[SEED_ENDPOINTS];

/* What one probe frame did. */
struct seed_result {
	bool delivered;	   /* reached the destination endpoint... */
	bool form_ok;	   /* ...tagged iff the destination is a tagged endpoint */
	bool wire_tagged;  /* as it left the destination port */
	uint16_t wire_vid; /* tag's VID, when wire_tagged */
	int crossed_vlan;  /* copies that left in another VLAN: never allowed */
	int other_copies;  /* copies to other ports of the sender's VLAN (flood, uplink) */
};

/* Builds switch "hvswitch" with ports lpar1-4 and the VIOS trunk "vios"
 * (pvid 1, vid 3, uplink) in the given mode. NULL with err set. */
struct vswitch *seed_build(struct packet_pool *pool, enum switch_mode mode, char *err,
			   size_t err_size);
/* Every endpoint sends one broadcast (as ARP would), so the switch learns. */
void seed_announce(struct vswitch *sw);
/* Sends one unicast frame from one endpoint to another; fills *result. */
void seed_probe(struct vswitch *sw, const struct seed_endpoint *from,
		const struct seed_endpoint *to, struct seed_result *result);
/* Throws away whatever the ports have sent. */
void seed_drain(struct vswitch *sw);
/* Whether DESIGN §3 says the two endpoints share a VLAN. */
bool seed_expect_reachable(const struct seed_endpoint *a, const struct seed_endpoint *b);

#endif
