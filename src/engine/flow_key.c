/* flow_key.c — reads the L3/L4 five-tuple of a frame for the security
 * groups (acl.c) and the connection table (conntrack.c). Every read is
 * bounds-checked against the frame's length; unaligned fields go through
 * load_be16/memcpy. Decisions (docs/security-groups.md): IPv4 options are
 * skipped by IHL; up to FLOW_MAX_IPV6_EXTENSIONS IPv6 extension headers are
 * walked; a non-first fragment carries no ports (FLOW_F_FRAGMENT, ports 0);
 * a first fragment or unfragmented packet too short for its TCP/UDP/ICMP
 * header is malformed. */
#include "flow_key.h"

#include <string.h>

#include "lib/packet.h"
#include "lib/util.h"

/* ICMPv6 types of neighbour discovery (RFC 4861): RS, RA, NS, NA, redirect. */
static bool is_nd(uint8_t type)
{
	return type >= 133 && type <= 137;
}

/* Inlined in both families, with the protocol in a register: the frames
 * of every classified or tracked packet pass here. */
static inline __attribute__((always_inline)) enum flow_kind
parse_l4(const uint8_t *l4, uint32_t room, uint8_t proto, struct flow_key *k)
{
	switch (proto) {
	case FLOW_IPPROTO_TCP:
		if (room < 20)
			return FLOW_MALFORMED;
		k->sport = load_be16(l4);
		k->dport = load_be16(l4 + 2);
		k->tcp_flags = l4[13];
		return FLOW_IP;
	case FLOW_IPPROTO_UDP:
		if (room < 8)
			return FLOW_MALFORMED;
		k->sport = load_be16(l4);
		k->dport = load_be16(l4 + 2);
		if ((k->sport == 68 && k->dport == 67) || (k->sport == 546 && k->dport == 547))
			k->flags |= FLOW_F_DHCP_CLIENT;
		else if ((k->sport == 67 && k->dport == 68) || (k->sport == 547 && k->dport == 546))
			k->flags |= FLOW_F_DHCP_SERVER;
		return FLOW_IP;
	case FLOW_IPPROTO_ICMP:
	case FLOW_IPPROTO_ICMPV6: {
		if (room < 4)
			return FLOW_MALFORMED;
		uint8_t type = l4[0];
		bool v6 = proto == FLOW_IPPROTO_ICMPV6;
		if (v6 && is_nd(type))
			return FLOW_ALWAYS;
		uint8_t request = v6 ? 128 : 8, reply = v6 ? 129 : 0;
		if ((type == request || type == reply) && room >= 8) {
			k->flags |= type == request ? FLOW_F_ECHO_REQUEST : FLOW_F_ECHO_REPLY;
			k->sport = k->dport = load_be16(l4 + 4);
		}
		return FLOW_IP;
	}
	default:
		return FLOW_IP;
	}
}

static enum flow_kind parse_ipv4(const uint8_t *ip, uint32_t room, struct flow_key *k)
{
	if (room < 20 || (ip[0] >> 4) != 4)
		return FLOW_MALFORMED;
	uint32_t ihl = (ip[0] & 0x0f) * 4u, total = load_be16(ip + 2);
	if (ihl < 20 || total < ihl || total > room)
		return FLOW_MALFORMED;
	k->family = 4;
	k->proto = ip[9];
	memcpy(k->src, ip + 12, 4);
	memcpy(k->dst, ip + 16, 4);
	if (load_be16(ip + 6) & 0x1fff) {
		k->flags |= FLOW_F_FRAGMENT;
		return FLOW_IP;
	}
	return parse_l4(ip + ihl, total - ihl, ip[9], k);
}

static enum flow_kind parse_ipv6(const uint8_t *ip, uint32_t room, struct flow_key *k)
{
	if (room < 40 || (ip[0] >> 4) != 6)
		return FLOW_MALFORMED;
	uint32_t end = 40u + load_be16(ip + 4);
	if (end > room)
		return FLOW_MALFORMED;
	k->family = 6;
	memcpy(k->src, ip + 8, 16);
	memcpy(k->dst, ip + 24, 16);
	uint8_t next = ip[6];
	uint32_t off = 40;
	for (int n = 0;; n++) {
		bool ext = next == 0 || next == 43 || next == 44 || next == 60 || next == 51;
		if (!ext)
			break;
		if (n == FLOW_MAX_IPV6_EXTENSIONS || off + 8 > end)
			return FLOW_MALFORMED;
		const uint8_t *h = ip + off;
		uint32_t size = next == 44 ? 8 : next == 51 ? (h[1] + 2u) * 4 : (h[1] + 1u) * 8;
		if (next == 44 && (load_be16(h + 2) & 0xfff8))
			k->flags |= FLOW_F_FRAGMENT;
		next = h[0];
		off += size;
		if (off > end)
			return FLOW_MALFORMED;
	}
	k->proto = next;
	if (k->flags & FLOW_F_FRAGMENT)
		return FLOW_IP;
	return parse_l4(ip + off, end - off, next, k);
}

enum flow_kind flow_key_parse(const uint8_t *data, uint32_t len, struct flow_key *out)
{
	memset(out, 0, sizeof(*out));
	uint32_t off = 12;
	uint16_t type = 0;
	/* An outer tag and, with QinQ, one inner tag. */
	for (int tags = 0; tags < 3; tags++) {
		if (off + 2 > len)
			return FLOW_MALFORMED;
		type = load_be16(data + off);
		if (type != ETH_TYPE_VLAN && type != ETH_TYPE_QINQ && type != ETH_TYPE_QINQ_OLD)
			break;
		off += VLAN_TAG_LEN;
	}
	off += 2;
	if (type == ETH_TYPE_ARP)
		return FLOW_ALWAYS;
	if (type == ETH_TYPE_IPV4)
		return parse_ipv4(data + off, len - off, out);
	if (type == ETH_TYPE_IPV6)
		return parse_ipv6(data + off, len - off, out);
	return FLOW_NOT_IP;
}
