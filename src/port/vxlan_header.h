/* vxlan_header.h — the 8-byte VXLAN header of RFC 7348, pure: building it
 * and judging a received one, with no I/O and no state, so that the codec
 * is fuzzed and tested on its own (tests/fuzz/fuzz_vxlan.c).
 *
 *   0                   1                   2                   3
 *   |R|R|R|R|I|R|R|R|            Reserved                           |
 *   |                VXLAN Network Identifier (VNI) |   Reserved    |
 *
 * The RFC says reserved bits "MUST be set to zero on transmission and
 * ignored on receipt"; the Linux kernel drops a datagram with any of them
 * set (vxlan_rcv(): "maintains compatibility ... and provides a little more
 * security"), and so do we, to behave as the kernel VTEPs we interoperate
 * with (docs/vxlan.md). */
#ifndef VSWITCH_VXLAN_HEADER_H
#define VSWITCH_VXLAN_HEADER_H

#include <stddef.h>
#include <stdint.h>

#define VXLAN_HEADER_LEN   8
#define VXLAN_DEFAULT_PORT 4789
#define VXLAN_FLAG_I	   0x08 /* the first byte: "the VNI is valid" */
#define VXLAN_VNI_MAX	   0xffffffu
/* What encapsulation adds in front of the inner frame on the underlay's
 * IP MTU: outer IP, UDP and VXLAN headers (the inner Ethernet header is
 * payload of the outer IP packet, so an inner MTU of 1450 + 14 + these =
 * 1500 for IPv4; "50 bytes" counts the inner Ethernet header too). */
#define VXLAN_IPV4_OVERHEAD (20 + 8 + VXLAN_HEADER_LEN)
#define VXLAN_IPV6_OVERHEAD (40 + 8 + VXLAN_HEADER_LEN)

/* What a received header is worth, in the order the checks run. */
enum vxlan_verdict {
	VXLAN_OK,
	VXLAN_SHORT,	 /* fewer than 8 bytes of UDP payload */
	VXLAN_NO_I_FLAG, /* the I flag is clear: no VNI (Linux drops it) */
	VXLAN_RESERVED,	 /* a reserved bit is set (Linux drops it; the RFC would ignore it) */
};

/* Writes the header for `vni` (at most VXLAN_VNI_MAX) into out[0..7]. */
void vxlan_header_build(uint8_t out[VXLAN_HEADER_LEN], uint32_t vni);

/* Judges the first `len` bytes of a UDP payload; on VXLAN_OK sets *vni.
 * Reads at most VXLAN_HEADER_LEN bytes, none past len. */
enum vxlan_verdict vxlan_header_parse(const uint8_t *data, size_t len, uint32_t *vni);

/* A hash of an inner frame's flow, for the outer UDP source port (RFC 7348
 * §5: "a hash of fields from the inner packet", so ECMP underlays spread the
 * flows): IPv4/IPv6 addresses, protocol and, for TCP, UDP and SCTP outside
 * fragments, the ports; the MAC addresses and EtherType for anything else.
 * The same for every frame of a flow; reads nothing past len. */
uint32_t vxlan_flow_hash(const uint8_t *frame, size_t len);

#endif
