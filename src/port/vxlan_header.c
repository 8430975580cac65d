/* vxlan_header.c — the VXLAN header codec (vxlan_header.h): what goes on
 * the wire and the checks a received header passes, the kernel's rules. */
#include "vxlan_header.h"

#include <string.h>

#include "lib/util.h"

void vxlan_header_build(uint8_t out[VXLAN_HEADER_LEN], uint32_t vni)
{
	store_be32(out, (uint32_t)VXLAN_FLAG_I << 24);
	store_be32(out + 4, (vni & VXLAN_VNI_MAX) << 8);
}

enum vxlan_verdict vxlan_header_parse(const uint8_t *data, size_t len, uint32_t *vni)
{
	if (len < VXLAN_HEADER_LEN)
		return VXLAN_SHORT;
	uint32_t flags = load_be32(data), word = load_be32(data + 4);
	if (!(flags & ((uint32_t)VXLAN_FLAG_I << 24)))
		return VXLAN_NO_I_FLAG;
	/* Everything but the I flag and the 24 VNI bits is reserved. */
	if ((flags & ~((uint32_t)VXLAN_FLAG_I << 24)) || (word & 0xff))
		return VXLAN_RESERVED;
	*vni = word >> 8;
	return VXLAN_OK;
}

/* Adds len bytes (at most 8 at a time) to a running hash. */
static uint64_t mix(uint64_t h, const uint8_t *p, size_t len)
{
	for (; len; p += len < 8 ? len : 8, len -= len < 8 ? len : 8) {
		uint64_t w = 0;
		memcpy(&w, p, len < 8 ? len : 8);
		h = hash_u64(h ^ w);
	}
	return h;
}

uint32_t vxlan_flow_hash(const uint8_t *frame, size_t len)
{
	if (len < 14)
		return (uint32_t)mix(0, frame, len);
	uint16_t type = load_be16(frame + 12);
	const uint8_t *ip = frame + 14;
	size_t ip_len = len - 14, l4 = 0;
	uint8_t proto = 0;
	uint64_t h;
	if (type == 0x0800 && ip_len >= 20 && (ip[0] >> 4) == 4) {
		proto = ip[9];
		h = mix(proto, ip + 12, 8);
		if (!(load_be16(ip + 6) & 0x3fff)) /* not a fragment: ports follow */
			l4 = (size_t)(ip[0] & 0x0f) * 4;
	} else if (type == 0x86dd && ip_len >= 40) {
		proto = ip[6];
		h = mix(proto, ip + 8, 32);
		l4 = 40;
	} else {
		return (uint32_t)mix(type, frame, 12);
	}
	if (l4 && (proto == 6 || proto == 17 || proto == 132) && ip_len >= l4 + 4)
		h = mix(h, ip + l4, 4);
	return (uint32_t)(h ^ (h >> 32));
}
