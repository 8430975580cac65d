/* mcast_frames.h — IGMP and MLD messages for the snooping tests, built by
 * hand (the byte layouts of RFC 2236, 3376, 2710 and 3810), as the IP
 * packet that follows the EtherType. */
#ifndef VSWITCH_TEST_MCAST_FRAMES_H
#define VSWITCH_TEST_MCAST_FRAMES_H

#include <stdint.h>
#include <string.h>

#include "lib/util.h"

/* An IPv4 header (20 bytes, protocol proto, to dst) and `len` bytes of
 * payload copied after it; returns the total length. */
static inline uint32_t mf_ipv4(uint8_t *ip, uint8_t proto, uint32_t dst, const uint8_t *payload,
			       uint32_t len)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	store_be16(ip + 2, (uint16_t)(20 + len));
	ip[8] = 1;
	ip[9] = proto;
	store_be32(ip + 12, 0x0a000001);
	store_be32(ip + 16, dst);
	memcpy(ip + 20, payload, len);
	return 20 + len;
}

/* IGMPv1/v2 message: type, group. */
static inline uint32_t mf_igmp2(uint8_t *ip, uint8_t type, uint32_t group)
{
	uint8_t m[8] = {type, 0, 0, 0};
	store_be32(m + 4, group);
	return mf_ipv4(ip, 2, type == 0x17 ? 0xe0000002 : group, m, 8);
}

/* IGMPv3 report of one record: type, group, n source addresses. */
static inline uint32_t mf_igmp3(uint8_t *ip, uint8_t rtype, uint32_t group, uint16_t sources)
{
	uint8_t m[8 + 8 + 4 * 4] = {0x22};
	store_be16(m + 6, 1);
	m[8] = rtype;
	store_be16(m + 10, sources);
	store_be32(m + 12, group);
	for (uint16_t i = 0; i < sources && i < 4; i++)
		store_be32(m + 16 + 4 * i, 0x0a000100 + i);
	return mf_ipv4(ip, 2, 0xe0000016, m, 16 + 4u * sources);
}

/* An IPv6 header with a hop-by-hop router alert, then ICMPv6 of len bytes. */
static inline uint32_t mf_ipv6(uint8_t *ip, const uint8_t dst[16], const uint8_t *icmp,
			       uint32_t len)
{
	memset(ip, 0, 48);
	ip[0] = 0x60;
	store_be16(ip + 4, (uint16_t)(8 + len));
	ip[6] = 0;
	ip[7] = 1;
	ip[8] = 0xfe;
	ip[9] = 0x80;
	ip[23] = 1;
	memcpy(ip + 24, dst, 16);
	ip[40] = 58;
	ip[42] = 5;
	ip[43] = 2;
	ip[46] = 1;
	memcpy(ip + 48, icmp, len);
	return 48 + len;
}

/* MLDv1 report (131) or done (132) for group. */
static inline uint32_t mf_mld1(uint8_t *ip, uint8_t type, const uint8_t group[16])
{
	static const uint8_t routers[16] = {0xff, 0x02, [15] = 2};
	uint8_t m[24] = {type};
	memcpy(m + 8, group, 16);
	return mf_ipv6(ip, type == 132 ? routers : group, m, 24);
}

/* MLDv2 report of one record without sources. */
static inline uint32_t mf_mld2(uint8_t *ip, uint8_t rtype, const uint8_t group[16])
{
	static const uint8_t all_mld2[16] = {0xff, 0x02, [15] = 0x16};
	uint8_t m[8 + 20] = {143};
	store_be16(m + 6, 1);
	m[8] = rtype;
	memcpy(m + 12, group, 16);
	return mf_ipv6(ip, all_mld2, m, 28);
}

#endif
