/* l3_parse.c — the bounds-checked L3/L4 reader of l3_parse.h. Every read
 * is preceded by a check against `end`, the frame's length (or the IPv6
 * payload length when that is shorter: padding is not options). Length
 * fields are only ever used to move forward, and each move is checked, so
 * no input can make it read out of bounds or loop. */
#include "l3_parse.h"

#include <string.h>

#include "packet.h"
#include "util.h"

#define IPV6_HEADER_LEN 40
#define ND_HEADER_LEN	24 /* type, code, checksum, flags, target */
#define ND_OPT_SLL	1
#define ND_OPT_TLL	2

/* UDP/TCP ports, ICMP type and code: the first 4 bytes of L4. A first
 * fragment must carry them (RFC 7112), else the frame is truncated. */
static enum l3_status read_l4(const uint8_t *l4, uint32_t room, bool first, struct l3_info *out)
{
	if (!first)
		return L3_OK;
	const uint8_t p = out->proto;
	if (p != L3_PROTO_UDP && p != L3_PROTO_TCP && p != L3_PROTO_ICMP && p != L3_PROTO_ICMPV6)
		return L3_OK;
	if (room < 4)
		return L3_TRUNCATED;
	out->l4 = true;
	if (p == L3_PROTO_UDP || p == L3_PROTO_TCP) {
		out->sport = load_be16(l4);
		out->dport = load_be16(l4 + 2);
	} else {
		out->icmp_type = l4[0];
		out->icmp_code = l4[1];
	}
	return L3_OK;
}

static enum l3_status parse_ipv4(const uint8_t *ip, uint32_t room, struct l3_info *out)
{
	if (room < 20)
		return L3_TRUNCATED;
	uint32_t ihl = (ip[0] & 0xfu) * 4u;
	if (ip[0] >> 4 != 4 || ihl < 20)
		return L3_MALFORMED;
	if (room < ihl)
		return L3_TRUNCATED;
	out->kind = L3_IPV4;
	out->proto = ip[9];
	memcpy(out->src, ip + 12, 4);
	memcpy(out->dst, ip + 16, 4);
	bool first = (load_be16(ip + 6) & 0x1fff) == 0;
	return read_l4(ip + ihl, room - ihl, first, out);
}

/* The options of an NS or NA after its 24 bytes: the link-layer address
 * its sender claims (source for NS, target for NA). */
static enum l3_status parse_nd(const uint8_t *nd, uint32_t room, struct l3_info *out)
{
	if (room < ND_HEADER_LEN)
		return L3_TRUNCATED;
	out->nd_has_target = true;
	memcpy(out->nd_target, nd + 8, 16);
	const uint8_t want = nd[0] == ICMPV6_NS ? ND_OPT_SLL : ND_OPT_TLL;
	for (uint32_t at = ND_HEADER_LEN; at < room;) {
		if (room - at < 2)
			return L3_TRUNCATED;
		uint32_t opt_len = nd[at + 1] * 8u;
		if (opt_len == 0)
			return L3_MALFORMED; /* RFC 4861 4.6: nodes must discard it */
		if (room - at < opt_len)
			return L3_TRUNCATED;
		if (nd[at] == want && opt_len == 8) {
			out->nd_has_lladdr = true;
			memcpy(out->nd_lladdr, nd + at + 2, 6);
		}
		at += opt_len;
	}
	return L3_OK;
}

static bool ipv6_extension(uint8_t next)
{
	return next == 0 || next == 43 || next == 44 || next == 51 || next == 60;
}

static enum l3_status parse_ipv6(const uint8_t *ip, uint32_t room, struct l3_info *out)
{
	if (room < IPV6_HEADER_LEN)
		return L3_TRUNCATED;
	if (ip[0] >> 4 != 6)
		return L3_MALFORMED;
	uint32_t payload = load_be16(ip + 4);
	/* Shorter than the frame: the rest is padding. 0 (a jumbogram, a GSO
	 * super-frame) or longer: read what arrived. */
	if (payload && payload < room - IPV6_HEADER_LEN)
		room = IPV6_HEADER_LEN + payload;
	out->kind = L3_IPV6;
	memcpy(out->src, ip + 8, 16);
	memcpy(out->dst, ip + 24, 16);
	uint8_t next = ip[6];
	uint32_t at = IPV6_HEADER_LEN;
	bool first = true;
	for (unsigned n = 0; ipv6_extension(next); n++) {
		if (n == L3_IPV6_MAX_EXT)
			return L3_TOO_DEEP;
		if (room - at < 8)
			return L3_TRUNCATED;
		const uint8_t *h = ip + at;
		uint32_t h_len = next == 44 ? 8u : next == 51 ? (h[1] + 2u) * 4u : (h[1] + 1u) * 8u;
		if (next == 44 && (load_be16(h + 2) & 0xfff8))
			first = false;
		if (room - at < h_len)
			return L3_TRUNCATED;
		next = h[0];
		at += h_len;
		if (!first)
			break;
	}
	out->proto = next;
	enum l3_status status = read_l4(ip + at, room - at, first, out);
	if (status == L3_OK && out->l4 && next == L3_PROTO_ICMPV6 &&
	    (out->icmp_type == ICMPV6_NS || out->icmp_type == ICMPV6_NA))
		status = parse_nd(ip + at, room - at, out);
	return status;
}

static enum l3_status parse_arp(const uint8_t *arp, uint32_t room, struct l3_info *out)
{
	if (room < 28)
		return L3_TRUNCATED;
	if (load_be16(arp) != 1 || load_be16(arp + 2) != ETH_TYPE_IPV4 || arp[4] != 6 ||
	    arp[5] != 4)
		return L3_MALFORMED;
	out->kind = L3_ARP;
	out->arp_op = load_be16(arp + 6);
	memcpy(out->arp_sha, arp + 8, 6);
	memcpy(out->arp_spa, arp + 14, 4);
	memcpy(out->arp_tpa, arp + 24, 4);
	return L3_OK;
}

enum l3_status l3_parse(const uint8_t *frame, uint32_t len, uint32_t offset, uint16_t ethertype,
			struct l3_info *out)
{
	/* The scalars only: the address arrays are written by the header
	 * that has them (a memset of the whole struct was a sixth of the
	 * per-frame cost). */
	out->kind = L3_OTHER;
	out->proto = 0;
	out->l4 = out->nd_has_target = out->nd_has_lladdr = false;
	out->sport = out->dport = 0;
	out->icmp_type = out->icmp_code = 0;
	out->arp_op = 0;
	if (offset > len)
		return L3_TRUNCATED;
	const uint8_t *l3 = frame + offset;
	uint32_t room = len - offset;
	switch (ethertype) {
	case ETH_TYPE_IPV4:
		return parse_ipv4(l3, room, out);
	case ETH_TYPE_IPV6:
		return parse_ipv6(l3, room, out);
	case ETH_TYPE_ARP:
		return parse_arp(l3, room, out);
	default:
		return L3_OK;
	}
}
