/* l3_parse.h — reads what lies above the Ethernet header: IPv4 (with
 * options), IPv6 (through a bounded chain of extension headers), ARP, the
 * UDP/TCP ports and ICMP(v6) type, and IPv6 neighbour discovery's target
 * and link-layer address option. Pure and bounds-checked: it reads only
 * frame[0, len) and never trusts a length field beyond it, so any policy
 * (port security, later ACLs) can run it on untrusted bytes. */
#ifndef VSWITCH_L3_PARSE_H
#define VSWITCH_L3_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/* Extension headers walked before the IPv6 upper layer is given up on. */
#define L3_IPV6_MAX_EXT 8

#define L3_PROTO_ICMP	1
#define L3_PROTO_TCP	6
#define L3_PROTO_UDP	17
#define L3_PROTO_ICMPV6 58

#define ICMPV6_RS	   133
#define ICMPV6_RA	   134
#define ICMPV6_NS	   135
#define ICMPV6_NA	   136
#define ICMPV6_REDIRECT	   137
#define ICMPV6_MLD2_REPORT 143

enum l3_kind {
	L3_OTHER, /* not an EtherType read here: nothing filled in */
	L3_IPV4,
	L3_IPV6,
	L3_ARP,
};

enum l3_status {
	L3_OK = 0,
	L3_TRUNCATED, /* a header (or the first fragment's L4 header) is cut short */
	L3_MALFORMED, /* a field no sender may use: version, IHL, ARP sizes, ND option of length 0
		       */
	L3_TOO_DEEP,  /* more than L3_IPV6_MAX_EXT IPv6 extension headers */
};

struct l3_info {
	uint8_t kind;		  /* enum l3_kind */
	uint8_t proto;		  /* IPv4 protocol, or the IPv6 header after the extensions */
	bool l4;		  /* the L4 fields below were read (not a later fragment) */
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes */
	uint16_t sport, dport;	  /* UDP and TCP */
	uint8_t icmp_type, icmp_code;
	/* ARP for IPv4 over Ethernet */
	uint16_t arp_op;
	uint8_t arp_sha[6], arp_spa[4], arp_tpa[4];
	/* ICMPv6 neighbour solicitation/advertisement */
	bool nd_has_target;
	bool nd_has_lladdr; /* NS's source, NA's target link-layer address option */
	uint8_t nd_target[16];
	uint8_t nd_lladdr[6];
};

/* Parses the header of EtherType `ethertype` at frame + offset. Returns
 * L3_OK with *out filled (kind L3_OTHER for an EtherType it does not read),
 * or why the header cannot be read. The scalars are always set; src/dst
 * are valid for IPv4/IPv6, the arp_ arrays for ARP, nd_target and
 * nd_lladdr when their nd_has_ flag is set. */
enum l3_status l3_parse(const uint8_t *frame, uint32_t len, uint32_t offset, uint16_t ethertype,
			struct l3_info *out);

#endif
