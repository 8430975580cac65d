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
	X(STACKED_TAG, "stacked-tag",                                                              \
	  "second tag or 802.1ad S-tag, on a port with stacked-tags drop (VLAN-hopping guard)")    \
	X(OVERSIZE, "oversize", "payload longer than the switch MTU")                              \
	X(VID_4095, "vid-4095", "VID 4095 is reserved")                                            \
	X(VLAN_NOT_MEMBER, "vlan-not-member", "tagged with a VID the port is not a member of")     \
	X(UNTAGGED, "untagged",                                                                    \
	  "untagged on a port without a PVID (pvid none: tagged frames only)")                     \
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
	X(FORGED_SOURCE_MAC, "forged-source-mac",                                                  \
	  "port security: source MAC is not the port's bound MAC or an allowed one")               \
	X(FORGED_SOURCE_IP, "forged-source-ip",                                                    \
	  "port security: IPv4/IPv6 source is not an address allowed with the source MAC")         \
	X(ARP_SPOOF, "arp-spoof",                                                                  \
	  "port security: ARP sender MAC is not the frame's, or its sender IP is not allowed")     \
	X(ND_SPOOF, "nd-spoof",                                                                    \
	  "port security: neighbour advertisement for a target or link-layer address not allowed") \
	X(DHCP_SERVER_GUARD, "dhcp-server-guard",                                                  \
	  "port security: DHCP offer/ack or DHCPv6 reply from a port that is not trusted")         \
	X(RA_GUARD, "ra-guard",                                                                    \
	  "port security: IPv6 router advertisement or redirect from a port that is not trusted")  \
	X(L3_MALFORMED, "l3-malformed",                                                            \
	  "port security: IPv4/IPv6/ARP header too short or malformed to be checked")              \
	X(NOT_PROMISCUOUS, "not-promiscuous",                                                      \
	  "port security (tx): flooded unicast for another MAC, port not promiscuous")             \
	X(MAC_CHANGE, "mac-change",                                                                \
	  "port security (tx): unicast for a MAC the port is not bound to (mac-changes reject)")   \
	X(MIRROR_OUTPUT, "mirror-output",                                                          \
	  "received on the output port of a mirror, which only sends mirrored frames")             \
	X(ACL_DENY, "acl-deny",                                                                    \
	  "no rule of the port's security groups allows it, and no open connection")               \
	X(ACL_BAD_HEADER, "acl-bad-header",                                                        \
	  "security groups cannot read its IP header (truncated, too many IPv6 extensions)")       \
	X(CONNTRACK_FULL, "conntrack-full",                                                        \
	  "a rule allows it but the port's connection table is full")                              \
	X(CONNTRACK_INVALID, "conntrack-invalid",                                                  \
	  "a TCP SYN-ACK that answers no SYN the table saw")                                       \
	X(POLICED, "policed", "beyond the port's ingress-rate and ingress-burst")                  \
	X(STORM_BROADCAST, "storm-broadcast", "broadcast beyond the port's storm-broadcast rate")  \
	X(STORM_MULTICAST, "storm-multicast", "multicast beyond the port's storm-multicast rate")  \
	X(STORM_UNKNOWN_UNICAST, "storm-unknown-unicast",                                          \
	  "flooded unknown unicast beyond the port's storm-unknown rate")                          \
	X(SHAPER_FULL, "shaper-full",                                                              \
	  "egress shaping: the port's queue of waiting frames was full (or shaping was removed)") \
	X(MCAST_LIMIT, "mcast-limit",                                                              \
	  "IGMP/MLD snooping: a report whose joins were all refused (switch or port group limit)") \
	X(MCAST_MALFORMED, "mcast-malformed",                                                      \
	  "IGMP/MLD snooping: IP multicast with a truncated IP header or IGMP/MLD message")        \
	X(RX_CHAIN_LONG, "rx-chain-long",                                                          \
	  "AF_XDP multi-buffer: a frame's chain of buffers is longer than a packet buffer holds")  \
	X(RX_CHAIN_BROKEN, "rx-chain-broken",                                                      \
	  "AF_XDP multi-buffer: a malformed chain (a buffer outside the receive area, or no end)")

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
