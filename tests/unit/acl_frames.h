/* acl_frames.h — builds the IPv4/IPv6 frames the security-group tests
 * (test_flow_key, test_conntrack, test_acl) feed to the parser and the
 * hooks: Ethernet, IP, and a TCP/UDP/ICMP header with chosen fields. */
#ifndef VSWITCH_TEST_ACL_FRAMES_H
#define VSWITCH_TEST_ACL_FRAMES_H

#include <stdint.h>
#include <string.h>

#include "engine/flow_key.h"
#include "lib/packet.h"
#include "lib/util.h"

struct acl_frame_spec {
	uint8_t family; /* 4 or 6 */
	uint8_t proto;
	uint8_t tcp_flags;
	uint8_t icmp_type;
	uint16_t sport, dport; /* ICMP: sport is the echo id */
	uint8_t src[16], dst[16];
};

/* Writes the frame into buf (room for 128 bytes); returns its length. */
static inline uint32_t acl_frame_build(uint8_t *buf, const struct acl_frame_spec *s)
{
	memset(buf, 0, 128);
	memcpy(buf, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	uint32_t l4len = s->proto == FLOW_IPPROTO_TCP ? 20 : 8;
	uint8_t *ip = buf + 14, *l4;
	if (s->family == 4) {
		store_be16(buf + 12, ETH_TYPE_IPV4);
		ip[0] = 0x45;
		store_be16(ip + 2, (uint16_t)(20 + l4len));
		ip[8] = 64;
		ip[9] = s->proto;
		memcpy(ip + 12, s->src, 4);
		memcpy(ip + 16, s->dst, 4);
		l4 = ip + 20;
	} else {
		store_be16(buf + 12, ETH_TYPE_IPV6);
		ip[0] = 0x60;
		store_be16(ip + 4, (uint16_t)l4len);
		ip[6] = s->proto;
		ip[7] = 64;
		memcpy(ip + 8, s->src, 16);
		memcpy(ip + 24, s->dst, 16);
		l4 = ip + 40;
	}
	if (s->proto == FLOW_IPPROTO_ICMP || s->proto == FLOW_IPPROTO_ICMPV6) {
		l4[0] = s->icmp_type;
		store_be16(l4 + 4, s->sport);
	} else {
		store_be16(l4, s->sport);
		store_be16(l4 + 2, s->dport);
		if (s->proto == FLOW_IPPROTO_TCP) {
			l4[12] = 0x50;
			l4[13] = s->tcp_flags;
		} else {
			store_be16(l4 + 4, 8);
		}
	}
	return (uint32_t)(l4 - buf) + l4len;
}

/* 10.0.0.n / fd00::n */
static inline void acl_addr(uint8_t *out, uint8_t family, uint32_t n)
{
	memset(out, 0, 16);
	if (family == 4) {
		out[0] = 10;
		out[1] = (uint8_t)(n >> 16);
		out[2] = (uint8_t)(n >> 8);
		out[3] = (uint8_t)n;
	} else {
		out[0] = 0xfd;
		out[13] = (uint8_t)(n >> 16);
		out[14] = (uint8_t)(n >> 8);
		out[15] = (uint8_t)n;
	}
}

#endif
