/* vxlan_header.c — the VXLAN header codec (vxlan_header.h): what goes on
 * the wire and the checks a received header passes, the kernel's rules. */
#include "vxlan_header.h"

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
