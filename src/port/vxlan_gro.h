/* vxlan_gro.h — TCP receive coalescing for the vxlan port, pure: given the
 * inner frames of the datagrams one UDP_GRO read returned, decide how many
 * leading ones are consecutive segments of one inner TCP flow and rebuild
 * them as one super-frame carrying the engine's offload metadata (GSO TCPv4
 * or TCPv6, the checksum left partial), the form a VM's TSO frame has.
 * No I/O, no state: tested on its own (tests/unit/test_vxlan_gro.c) and
 * fuzzed (tests/fuzz/fuzz_vxlan_gro.c). docs/vxlan.md, "Receive offload". */
#ifndef VSWITCH_VXLAN_GRO_H
#define VSWITCH_VXLAN_GRO_H

#include <stdint.h>

#include "lib/packet.h"

/* At most this many segments in one super-frame: the kernel's
 * UDP_MAX_SEGMENTS, so a read never holds more. */
#define VXLAN_GRO_MAX_SEGS 64
/* The largest frame a merge makes: the IP length fields hold 16 bits. */
#define VXLAN_GRO_MAX_FRAME 65535

/* How many of frames[0..n) (untagged Ethernet frames, lens[i] bytes each)
 * coalesce from the first on: 0 when its TCP checksum is wrong (below), 1 when the first does not
 * start a run, else k >= 2 such that frames 0..k-1 are in-order segments of one TCP flow —
 * identical Ethernet, IP and TCP headers but for the IP ID (consecutive, or
 * all equal with DF), the lengths, the checksums and the sequence number
 * (each where the previous one's payload ends); IPv4 without options or
 * fragments, IPv6 with TCP as its next header; only ACK set (PSH allowed on
 * the last segment, which ends the run); every payload non-empty and as long
 * as the first's but the last's, which may be shorter (and ends the run);
 * the IPv4 header checksum correct; every TCP checksum correct (verified
 * with the pseudo-header: the merged frame gets a fresh one, so a corrupted
 * segment must not join); the merged frame at most max_len bytes (and
 * VXLAN_GRO_MAX_FRAME). 0 when the first frame is a TCP segment that could
 * start a run (even with n == 1) but its TCP checksum is wrong or left
 * partial: the caller delivers it alone, unchanged, and counts it. A run
 * ends before a segment whose checksum is wrong, so the next call, starting
 * at it, returns 0. Reads nothing outside the frames. */
uint32_t vxlan_gro_run(const uint8_t *const *frames, const uint32_t *lens, uint32_t n,
		       uint32_t max_len);

/* Writes frames[0..k) (k >= 2, a run vxlan_gro_run() accepted) as one frame
 * at dst: frame 0's headers (IP total or payload length, IPv4 header
 * checksum and TCP flags updated), then every payload in order. dst may be
 * frames[0] when the frames lie in ascending order in one buffer (each
 * starting after the previous one ends): the payloads then move down, never
 * over bytes still to be read. Sets *off to GSO TCPv4/TCPv6, gso_size the
 * first payload's length, NEEDS_CSUM with the TCP checksum field holding the
 * pseudo-header sum, and returns the frame's length. */
uint32_t vxlan_gro_merge(uint8_t *dst, const uint8_t *const *frames, const uint32_t *lens,
			 uint32_t k, struct packet_offload *off);

#endif
