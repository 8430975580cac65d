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

static uint64_t load64(const uint8_t *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof(w));
	return w;
}

static uint32_t load32(const uint8_t *p)
{
	uint32_t w;
	memcpy(&w, p, sizeof(w));
	return w;
}

/* One multiply-xorshift round over a few words folded together: this runs
 * for every frame sent, so a handful of instructions, not a byte loop. */
uint32_t vxlan_flow_hash(const uint8_t *frame, size_t len)
{
	uint64_t key;
	const uint8_t *ip = frame + 14;
	uint16_t type = len >= 14 ? load_be16(frame + 12) : 0;
	size_t l4 = 0;
	if (type == 0x0800 && len >= 14 + 20 && (ip[0] >> 4) == 4) {
		key = load64(ip + 12) ^ ((uint64_t)ip[9] << 56);
		if (!(load_be16(ip + 6) & 0x3fff)) /* not a fragment: ports follow */
			l4 = 14 + (size_t)(ip[0] & 0x0f) * 4;
	} else if (type == 0x86dd && len >= 14 + 40) {
		key = load64(ip + 8) ^ load64(ip + 16) * 3 ^ load64(ip + 24) * 5 ^
		      load64(ip + 32) * 7 ^ ((uint64_t)ip[6] << 56);
		l4 = 14 + 40;
	} else if (len >= 14) {
		return (uint32_t)hash_u64(load64(frame) ^ (uint64_t)load32(frame + 8) << 16 ^ type);
	} else {
		return 0; /* a runt: never sent anyway */
	}
	uint8_t proto = type == 0x0800 ? ip[9] : ip[6];
	if (l4 && (proto == 6 || proto == 17 || proto == 132) && len >= l4 + 4)
		key ^= (uint64_t)load32(frame + l4) * 0x9e3779b97f4a7c15ULL;
	uint64_t h = hash_u64(key);
	return (uint32_t)(h ^ (h >> 32));
}
