/* parse.c — the first stage: validate a frame's Ethernet and 802.1Q headers
 * and say what they hold. Pure and fuzzed: it reads only data[0, len) and
 * decides runts, truncated tags, oversize frames, and the source and
 * destination addresses a bridge never passes on (DESIGN §3 rules 1, 2 and
 * 5). An 802.1Q C-VLAN bridge reads one tag: the outer 0x8100 one. A second
 * tag is payload, and so is an 802.1ad S-tag (0x88a8, or 0x9100 of
 * pre-standard QinQ) outside, which makes the frame untagged to us; both
 * are reported as `stacked` for the per-port VLAN-hopping guard. */
#include "engine.h"

static bool is_tag_type(uint16_t type)
{
	return type == ETH_TYPE_VLAN || type == ETH_TYPE_QINQ || type == ETH_TYPE_QINQ_OLD;
}

/* 01:80:c2:00:00:00-0f are never relayed by an 802.1Q bridge. The spanning
 * tree ones (and Cisco's PVST+ address) get their own counter because an
 * operator wants to know a loop protocol is talking on a port. */
static enum drop_reason reserved_destination(const uint8_t *dst)
{
	static const uint8_t ieee[5] = {0x01, 0x80, 0xc2, 0x00, 0x00};
	static const uint8_t pvst[6] = {0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcd};
	if (memcmp(dst, ieee, 5) == 0 && dst[5] <= 0x0f)
		return dst[5] == 0x00 ? DROP_BPDU : DROP_LINK_LOCAL;
	if (memcmp(dst, pvst, 6) == 0)
		return DROP_BPDU;
	return DROP_NONE;
}

enum drop_reason parse_frame(const uint8_t *data, uint32_t len, bool meta_valid, uint16_t meta_tci,
			     uint16_t mtu, struct frame_header *out)
{
	out->tci = 0;
	out->tagged = false;
	out->inline_tag = false;
	out->stacked = false;
	out->type = 0;
	if (len < ETH_HEADER_LEN)
		return DROP_RUNT;

	const uint8_t *dst = data, *src = data + 6;
	uint16_t type = load_be16(data + 12);
	uint32_t header_len = ETH_HEADER_LEN;
	if (meta_valid) {
		/* The kernel took the outer C-tag off: any tag left is payload. */
		out->tagged = true;
		out->tci = meta_tci;
		out->stacked = is_tag_type(type);
	} else if (type == ETH_TYPE_VLAN) {
		if (len < ETH_HEADER_LEN + VLAN_TAG_LEN)
			return DROP_BAD_TAG;
		out->tagged = true;
		out->inline_tag = true;
		out->tci = load_be16(data + 14);
		header_len += VLAN_TAG_LEN;
		type = load_be16(data + 16);
		out->stacked = is_tag_type(type); /* C+C or C+S: the inner one is payload */
	} else if (type == ETH_TYPE_QINQ || type == ETH_TYPE_QINQ_OLD) {
		out->stacked = true; /* a service tag is not ours: untagged, carried as is */
	}
	/* A second tag counts as payload against the MTU, as it does in the
	 * kernel: a QinQ tenant needs a switch MTU 4 bytes larger. */
	if (len - header_len > mtu)
		return DROP_OVERSIZE;
	if (mac_is_group(src))
		return DROP_MULTICAST_SOURCE;
	if (mac_is_zero(src))
		return DROP_ZERO_SOURCE;
	if (UNLIKELY(dst[0] == 0x01)) {
		enum drop_reason why = reserved_destination(dst);
		if (why != DROP_NONE)
			return why;
	}
	out->type = type;
	return DROP_NONE;
}
