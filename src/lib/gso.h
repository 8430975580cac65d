/* gso.h — software segmentation and checksum completion: what a NIC would do
 * with a virtio-net header, done by the switch when a frame carrying one
 * (a 64 KB TCP super-frame from a tap, or a frame whose checksum is left
 * partial) leaves through a port that cannot pass the header on (pcap, pipe).
 * Also the internet checksum (RFC 1071) the rest of vswitch can reuse. */
#ifndef VSWITCH_GSO_H
#define VSWITCH_GSO_H

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

/* Adds the bytes at data to `sum` as big-endian 16-bit words, an odd last
 * byte padded with a zero, and returns a 32-bit partial sum in host byte
 * order (so plain numbers such as a pseudo-header length or protocol can be
 * added to it). To checksum a region in pieces, every piece but the last
 * must have an even length. */
uint32_t csum_partial(const void *data, size_t len, uint32_t sum);

/* Folds a partial sum to 16 bits and returns its one's complement: the value
 * to store, big-endian (store_be16), in an IP, TCP or UDP checksum field.
 * Verifying a region that includes its checksum field gives 0. */
uint16_t csum_fold(uint32_t sum);

/* Completes a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM: the field at
 * csum_start + csum_offset holds the pseudo-header sum) by summing from
 * csum_start to the end of the frame and storing the result, then clears
 * PACKET_F_OFFLOAD. A frame without the flag is only cleared. A GSO frame is
 * not cut here: it stays one frame, as tcpdump shows them; to cut it call
 * packet_gso_segment(). Returns 0, or -EINVAL when csum_start or csum_offset
 * point outside the frame; the packet is then left unchanged. */
int packet_csum_complete(struct packet *p);

/* Does in software what the offload header asks for and appends the result
 * to `out`:
 *  - no offload, or gso_type NONE: completes the checksum if asked and
 *    appends p itself;
 *  - TCPV4, TCPV6: cuts the frame into segments of gso_size payload bytes,
 *    each with the headers of the original, its own IPv4 total length, ID
 *    (incrementing), header checksum or IPv6 payload length, TCP sequence
 *    number and flags (FIN and PSH on the last segment only, CWR on the first
 *    only) and a full TCP checksum;
 *  - UDP over IPv4 (UFO): completes the UDP checksum over the whole datagram,
 *    then cuts it into IPv4 fragments of gso_size bytes (rounded down to a
 *    multiple of 8) that share the IP ID. UFO over IPv6 would need a fragment
 *    header inserted and returns -EOPNOTSUPP.
 * An inline 802.1Q or 802.1ad tag (up to two) in front of the IP header is
 * understood. hdr_len is only a hint: the headers are parsed from the frame.
 *
 * On success the caller's ownership of p passes to `out` (p becomes the
 * first segment; the others come from p->pool) and PACKET_F_OFFLOAD is off
 * on everything appended. On error nothing is appended, nothing allocated is
 * kept, and the caller still owns p unchanged, so it can flush `out` and
 * retry after -ENOSPC or drop p and count the reason:
 *  -EINVAL      headers inconsistent with the frame or the offload header;
 *  -EOPNOTSUPP  a gso_type or protocol this file does not segment;
 *  -ENOSPC      `out` has no room for all the segments;
 *  -EMSGSIZE    a segment would not fit a buffer of the pool;
 *  -ENOBUFS     the pool ran dry. */
int packet_gso_segment(struct packet *p, struct packet_batch *out);

#endif
