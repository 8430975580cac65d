/* flow_key.h — the five-tuple a security group matches on, read from a
 * frame: address family, addresses, protocol, ports (or ICMP echo id), TCP
 * flags. Pure and fuzzed (tests/fuzz/fuzz_acl.c). */
#ifndef VSWITCH_FLOW_KEY_H
#define VSWITCH_FLOW_KEY_H

#include <stdbool.h>
#include <stdint.h>

#define FLOW_IPPROTO_ICMP   1
#define FLOW_IPPROTO_TCP    6
#define FLOW_IPPROTO_UDP    17
#define FLOW_IPPROTO_ICMPV6 58
/* IPv6 extension headers walked before giving up (a counted drop). */
#define FLOW_MAX_IPV6_EXTENSIONS 8

#define FLOW_TCP_FIN 0x01
#define FLOW_TCP_SYN 0x02
#define FLOW_TCP_RST 0x04
#define FLOW_TCP_ACK 0x10

enum flow_kind {
	FLOW_NOT_IP,	/* neither IPv4 nor IPv6 nor ARP: no rule allows it */
	FLOW_ALWAYS,	/* ARP, IPv6 neighbour discovery: always passes (Neutron) */
	FLOW_IP,	/* an IP packet to classify */
	FLOW_MALFORMED, /* an IP header that lies about its length */
};

enum flow_flags {
	FLOW_F_FRAGMENT = 1 << 0,     /* a non-first fragment: no L4 header, ports 0 */
	FLOW_F_ECHO_REQUEST = 1 << 1, /* ICMP(v6) echo request: opens a connection */
	FLOW_F_ECHO_REPLY = 1 << 2,   /* ICMP(v6) echo reply: only as a reply */
	FLOW_F_DHCP_CLIENT = 1 << 3,  /* UDP 68->67 or 546->547 */
	FLOW_F_DHCP_SERVER = 1 << 4,  /* UDP 67->68 or 547->546 */
};

struct flow_key {
	uint8_t family; /* 4 or 6 */
	uint8_t proto;	/* IP protocol (after IPv6 extension headers) */
	uint8_t flags;	/* enum flow_flags */
	uint8_t tcp_flags;
	uint16_t sport, dport; /* host order; ICMP echo: both the echo id */
	/* At offsets 8 and 24, so that the connection table reads them as
	 * aligned words. IPv4: the first 4 bytes, the rest zero. */
	uint8_t src[16] __attribute__((aligned(8)));
	uint8_t dst[16];
};

/* Reads the frame's headers after the Ethernet header (and one or two
 * VLAN tags). Reads only data[0, len). */
enum flow_kind flow_key_parse(const uint8_t *data, uint32_t len, struct flow_key *out);

#endif
