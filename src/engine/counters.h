/* counters.h — why a frame was dropped, as one list (an x-macro) that makes
 * both the counter enum and the names the CLI prints, so a new reason cannot
 * be forgotten in either; and the counters every port keeps. */
#ifndef VSWITCH_COUNTERS_H
#define VSWITCH_COUNTERS_H

#include <stdint.h>

/* X(ENUM, "cli-name", "what it means") */
#define FOREACH_DROP_REASON(X)                                                                     \
	X(RUNT, "runt", "frame shorter than an Ethernet header (14 bytes)")                        \
	X(BAD_TAG, "bad-tag", "802.1Q tag truncated")                                              \
	X(STACKED_TAG, "stacked-tag", "more than one VLAN tag, or an 802.1ad/QinQ outer tag")      \
	X(OVERSIZE, "oversize", "payload longer than the switch MTU")                              \
	X(VID_4095, "vid-4095", "VID 4095 is reserved")                                            \
	X(VLAN_NOT_MEMBER, "vlan-not-member", "tagged with a VID the port is not a member of")     \
	X(UPLINK_INACTIVE, "uplink-inactive",                                                      \
	  "received on an uplink or bond member that is not the active one")                       \
	X(BPDU, "bpdu", "spanning-tree BPDU (not forwarded, no STP)")                              \
	X(LINK_LOCAL, "link-local", "IEEE reserved 01:80:c2:00:00:0x destination")                 \
	X(MULTICAST_SOURCE, "multicast-source", "group bit set in the source MAC")                 \
	X(ZERO_SOURCE, "zero-source", "source MAC 00:00:00:00:00:00")                              \
	X(MAC_LIMIT, "mac-limit", "new source MAC beyond the port's MAC limit")                    \
	X(STATIC_CONFLICT, "static-conflict", "source MAC is a static entry of another port")      \
	X(SAME_PORT, "same-port", "destination is on the ingress port (not hairpin)")              \
	X(UPLINK_LOOP, "uplink-loop", "uplink to uplink is never forwarded")                       \
	X(PORT_ISOLATION, "port-isolation", "private/VEPA mode forbids port-to-port")              \
	X(NO_ROUTE, "no-route",                                                                    \
	  "no egress port: unknown unicast without uplink, or VID has no other member")            \
	X(NO_BUFFER, "no-buffer", "packet pool exhausted (flood copies, segmentation)")            \
	X(OFFLOAD_ERROR, "offload-error", "GSO/checksum metadata does not match the frame")        \
	X(RX_OVERFLOW, "rx-overflow",                                                              \
	  "the kernel dropped frames: the port's receive queue was full")                          \
	X(TX_ERROR, "tx-error", "the port failed to transmit")                                     \
	X(TX_FULL, "tx-full", "the port's transmit queue was full")                                \
	X(POLICED, "policed", "beyond the port's ingress-rate and ingress-burst")                  \
	X(STORM_BROADCAST, "storm-broadcast", "broadcast beyond the port's storm-broadcast rate")  \
	X(STORM_MULTICAST, "storm-multicast", "multicast beyond the port's storm-multicast rate")  \
	X(STORM_UNKNOWN_UNICAST, "storm-unknown-unicast",                                          \
	  "flooded unknown unicast beyond the port's storm-unknown rate")                          \
	X(SHAPER_FULL, "shaper-full",                                                              \
	  "egress shaping: the port's queue of waiting frames was full (or shaping was removed)")

enum drop_reason {
	DROP_NONE = 0,
#define DROP_ENUM(e, name, text) DROP_##e,
	FOREACH_DROP_REASON(DROP_ENUM)
#undef DROP_ENUM
	    DROP_MAX
};

struct port_counters {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t mac_moves; /* a learned MAC moved to this port */
	uint64_t consumed;  /* taken by a protocol of the switch (an SEA's heartbeats) */
	uint64_t drops[DROP_MAX];
};

/* "vlan-not-member" for DROP_VLAN_NOT_MEMBER; "none" for DROP_NONE. */
const char *drop_reason_name(enum drop_reason reason);
const char *drop_reason_text(enum drop_reason reason);
/* Returns the reason with that CLI name, or DROP_NONE. */
enum drop_reason drop_reason_from_name(const char *name);

static inline uint64_t port_counters_total_drops(const struct port_counters *c)
{
	uint64_t sum = 0;
	for (int i = 1; i < DROP_MAX; i++)
		sum += c->drops[i];
	return sum;
}

#endif
