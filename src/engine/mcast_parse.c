/* mcast_parse.c — reads an IPv4 or IPv6 multicast frame for snooping: is
 * it data to a group, link-local (always flooded), or an IGMP / MLD message
 * (query, report, leave, with IGMPv3 / MLDv2 group records), or a PIM hello.
 * Pure and bounded: untrusted bytes from any VM, fuzzed by
 * tests/fuzz/fuzz_mcast.c. Checksums are not verified (docs/mcast.md). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "mcast_snoop.h"

#include "lib/util.h"

#define IPPROTO_IGMP_	    2
#define IPPROTO_PIM_	    103
#define NEXT_HOP_BY_HOP	    0
#define NEXT_ROUTING	    43
#define NEXT_FRAGMENT	    44
#define NEXT_ICMPV6	    58
#define NEXT_DEST_OPTS	    60
#define IPV6_MAX_EXTENSIONS 4

enum {
	IGMP_QUERY = 0x11,
	IGMP_V1_REPORT = 0x12,
	IGMP_V2_REPORT = 0x16,
	IGMP_V2_LEAVE = 0x17,
	IGMP_V3_REPORT = 0x22,
	MLD_QUERY = 130,
	MLD_V1_REPORT = 131,
	MLD_V1_DONE = 132,
	MLD_V2_REPORT = 143,
};

static void map_v4(struct mcast_addr *a, const uint8_t *v4)
{
	memset(a->b, 0, 10);
	a->b[10] = a->b[11] = 0xff;
	memcpy(a->b + 12, v4, 4);
}

static bool is_v4(const struct mcast_addr *a)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return !memcmp(a->b, prefix, 12);
}

bool mcast_addr_link_local(const struct mcast_addr *a)
{
	if (is_v4(a))
		return a->b[12] == 224 && a->b[13] == 0 && a->b[14] == 0;
	/* ff00::/8 with scope 0 (reserved), 1 (interface) or 2 (link). */
	return a->b[0] == 0xff && (a->b[1] & 0x0f) <= 2;
}

static bool is_group(const struct mcast_addr *a)
{
	return is_v4(a) ? (a->b[12] & 0xf0) == 0xe0 : a->b[0] == 0xff;
}

void mcast_addr_format(const struct mcast_addr *a, char *buf, size_t size)
{
	if (is_v4(a))
		inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)size);
	else
		inet_ntop(AF_INET6, a->b, buf, (socklen_t)size);
}

/* Sets out->kind from what the message says; the group must be one. */
static enum mcast_kind igmp(const uint8_t *m, uint32_t len, struct mcast_msg *out)
{
	if (len < 8)
		return MCAST_MALFORMED;
	switch (m[0]) {
	case IGMP_QUERY:
		map_v4(&out->group, m + 4);
		return MCAST_QUERY;
	case IGMP_V1_REPORT:
	case IGMP_V2_REPORT:
	case IGMP_V2_LEAVE:
		map_v4(&out->group, m + 4);
		if (!is_group(&out->group))
			return MCAST_MALFORMED;
		return m[0] == IGMP_V2_LEAVE ? MCAST_LEAVE : MCAST_REPORT;
	case IGMP_V3_REPORT:
		out->n_records = load_be16(m + 6);
		out->records = m + 8;
		out->records_len = len - 8;
		return MCAST_REPORT;
	default:
		return MCAST_OTHER;
	}
}

static enum mcast_kind mld(const uint8_t *m, uint32_t len, struct mcast_msg *out)
{
	if (len < 4)
		return MCAST_MALFORMED;
	switch (m[0]) {
	case MLD_QUERY:
	case MLD_V1_REPORT:
	case MLD_V1_DONE:
		if (len < 24)
			return MCAST_MALFORMED;
		memcpy(out->group.b, m + 8, 16);
		if (m[0] == MLD_QUERY)
			return MCAST_QUERY;
		if (!is_group(&out->group))
			return MCAST_MALFORMED;
		return m[0] == MLD_V1_DONE ? MCAST_LEAVE : MCAST_REPORT;
	case MLD_V2_REPORT:
		if (len < 8)
			return MCAST_MALFORMED;
		out->n_records = load_be16(m + 6);
		out->records = m + 8;
		out->records_len = len - 8;
		return MCAST_REPORT;
	default:
		return MCAST_OTHER;
	}
}

static enum mcast_kind parse_v4(const uint8_t *ip, uint32_t len, struct mcast_msg *out)
{
	if (len < 20 || ip[0] >> 4 != 4)
		return MCAST_MALFORMED;
	uint32_t ihl = (ip[0] & 0x0f) * 4u, total = load_be16(ip + 2);
	if (ihl < 20 || total < ihl || total > len)
		return MCAST_MALFORMED;
	out->v6 = false;
	map_v4(&out->src, ip + 12);
	map_v4(&out->group, ip + 16);
	if (!is_group(&out->group))
		return MCAST_OTHER; /* a unicast IP in a group MAC: not ours to snoop */
	bool first_fragment = (load_be16(ip + 6) & 0x1fff) == 0;
	if (first_fragment && ip[9] == IPPROTO_IGMP_)
		return igmp(ip + ihl, total - ihl, out);
	if (first_fragment && ip[9] == IPPROTO_PIM_ && total - ihl >= 1 && (ip[ihl] & 0x0f) == 0)
		return MCAST_ROUTER; /* PIMv2 hello (type 0) */
	return mcast_addr_link_local(&out->group) ? MCAST_LINK_LOCAL : MCAST_DATA;
}

static enum mcast_kind parse_v6(const uint8_t *ip, uint32_t len, struct mcast_msg *out)
{
	if (len < 40 || ip[0] >> 4 != 6)
		return MCAST_MALFORMED;
	uint32_t end = 40u + load_be16(ip + 4);
	if (end > len)
		return MCAST_MALFORMED;
	out->v6 = true;
	memcpy(out->src.b, ip + 8, 16);
	memcpy(out->group.b, ip + 24, 16);
	if (!is_group(&out->group))
		return MCAST_OTHER;
	uint8_t next = ip[6];
	uint32_t off = 40;
	for (int n = 0; n < IPV6_MAX_EXTENSIONS; n++) {
		if (next != NEXT_HOP_BY_HOP && next != NEXT_ROUTING && next != NEXT_DEST_OPTS)
			break;
		if (off + 8 > end)
			return MCAST_MALFORMED;
		next = ip[off];
		off += 8u + ip[off + 1] * 8u;
	}
	if (off > end)
		return MCAST_MALFORMED;
	if (next == NEXT_ICMPV6) {
		enum mcast_kind k = mld(ip + off, end - off, out);
		if (k != MCAST_OTHER)
			return k;
	} else if (next == IPPROTO_PIM_ && end - off >= 1 && (ip[off] & 0x0f) == 0) {
		return MCAST_ROUTER;
	}
	return mcast_addr_link_local(&out->group) ? MCAST_LINK_LOCAL : MCAST_DATA;
}

enum mcast_kind mcast_parse(const uint8_t *l3, uint32_t len, uint16_t type, struct mcast_msg *out)
{
	memset(out, 0, sizeof(*out));
	enum mcast_kind k = type == 0x86dd ? parse_v6(l3, len, out) : parse_v4(l3, len, out);
	/* IGMP to a link-local group that is not IGMP's own business (a
	 * query, report or leave) floods like any link-local frame. */
	if (k == MCAST_OTHER && mcast_addr_link_local(&out->group))
		k = MCAST_LINK_LOCAL;
	out->kind = k;
	return k;
}

bool mcast_next_record(struct mcast_msg *msg, struct mcast_record *r)
{
	const uint32_t addr_len = msg->v6 ? 16 : 4;
	while (msg->n_records && msg->records_len >= 4 + addr_len) {
		const uint8_t *p = msg->records;
		uint8_t type = p[0];
		uint32_t sources = load_be16(p + 2);
		uint32_t size = 4 + addr_len + sources * addr_len + p[1] * 4u;
		if (size > msg->records_len)
			return false;
		msg->records += size;
		msg->records_len -= size;
		msg->n_records--;
		if (msg->v6)
			memcpy(r->group.b, p + 4, 16);
		else
			map_v4(&r->group, p + 4);
		/* 1 IS_INCLUDE, 2 IS_EXCLUDE, 3 TO_INCLUDE, 4 TO_EXCLUDE, 5 ALLOW,
		 * 6 BLOCK: sources are not tracked, so any EXCLUDE or a non-empty
		 * INCLUDE is a member, an empty INCLUDE a leave; a BLOCK or an
		 * unknown type says nothing about membership. */
		r->join =
		    type == 2 || type == 4 || ((type == 1 || type == 3 || type == 5) && sources);
		bool leave = (type == 1 || type == 3) && !sources;
		if (r->join || leave)
			return true;
	}
	return false;
}
