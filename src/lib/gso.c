/* gso.c — software GSO and checksum offload. A tap hands the switch TCP
 * super-frames of up to 64 KB with the checksum left partial; a port that
 * cannot take the virtio-net header needs real, wire-sized frames with real
 * checksums. This file parses just enough of the headers to cut such a frame
 * the way the kernel's tcp_gso_segment() and UFO path would, and holds the
 * RFC 1071 checksum used for it. */
#include "gso.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <linux/virtio_net.h>

#include "util.h"

#define IP_PROTO_TCP	     6
#define IP_PROTO_UDP	     17
#define IPV4_MIN_HEADER_LEN  20
#define IPV6_HEADER_LEN	     40
#define TCP_MIN_HEADER_LEN   20
#define UDP_HEADER_LEN	     8
#define IPV4_FRAG_MF	     0x2000
#define IPV4_FRAG_MASK	     0x3fff /* MF and the offset: non-zero in a fragment */
#define TCP_FLAG_FIN	     0x01
#define TCP_FLAG_PSH	     0x08
#define TCP_FLAG_CWR	     0x80
#define MAX_VLAN_TAGS	     2 /* 802.1ad outer + 802.1Q inner */
#define MAX_IPV6_EXT_HEADERS 8 /* a bound so a crafted chain cannot loop long */

/* Where the headers of a frame to segment are, from the Ethernet header. */
struct gso_layout {
	uint32_t l3;	  /* IP header */
	uint32_t l4;	  /* TCP or UDP header */
	uint32_t hdr_len; /* bytes repeated in front of every segment */
	bool ipv6;
	uint8_t proto;
};

/* The one's complement sum does not care about byte order (RFC 1071 §2(B)):
 * summing native-order words and swapping the folded result at the end gives
 * the big-endian sum. It does not care about word width either, as long as
 * the carry out of the top comes back in at the bottom: 2^64 - 1 is a
 * multiple of 2^16 - 1. Counting the carries apart from the sum keeps the
 * loop to two independent adds per 8 bytes, which gcc and clang both turn
 * into ~0.07 cycles per byte; 4-byte words into a 64-bit sum vectorise with
 * clang but run at half that speed with gcc 12. */
uint32_t csum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t acc = 0, carries = 0, tail = 0;

	for (; len >= 8; p += 8, len -= 8) {
		uint64_t word;
		memcpy(&word, p, 8);
		acc += word;
		carries += acc < word;
	}
	if (len >= 4) {
		uint32_t word;
		memcpy(&word, p, 4);
		tail += word;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t half;
		memcpy(&half, p, 2);
		tail += half;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* The odd byte is the high half of a big-endian word. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		tail += p[0];
#else
		tail += (uint32_t)p[0] << 8;
#endif
	}
	acc += carries;
	acc += acc < carries;
	acc += tail;
	acc += acc < tail;
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	uint16_t folded = (uint16_t)acc;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	folded = __builtin_bswap16(folded);
#endif
	uint64_t total = (uint64_t)sum + folded;
	return (uint32_t)total + (uint32_t)(total >> 32);
}

uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Source and destination addresses of the pseudo-header, summed once per
 * frame: they are the same in every segment. At most 0xffff. */
static uint32_t pseudo_addr_sum(const uint8_t *frame, const struct gso_layout *l)
{
	if (l->ipv6)
		return csum_partial(frame + l->l3 + 8, 32, 0);
	return csum_partial(frame + l->l3 + 12, 8, 0);
}

static bool csum_fields_valid(const struct packet_offload *o, uint32_t len)
{
	return (uint32_t)o->csum_start + o->csum_offset + 2 <= len;
}

int packet_csum_complete(struct packet *p)
{
	if (!(p->flags & PACKET_F_OFFLOAD))
		return 0;
	const struct packet_offload *o = &p->offload;
	if (o->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!csum_fields_valid(o, p->len))
			return -EINVAL;
		uint32_t sum = csum_partial(p->data + o->csum_start, p->len - o->csum_start, 0);
		uint16_t check = csum_fold(sum);
		/* As the kernel does: 0 means "no checksum" to UDP, and 0xffff
		 * is the same value in one's complement. */
		store_be16(p->data + o->csum_start + o->csum_offset, check ? check : 0xffff);
	}
	p->flags &= (uint16_t)~PACKET_F_OFFLOAD;
	return 0;
}

/* Finds the IP and transport headers of a GSO frame and checks they lie
 * inside it. Pure: reads frame[0, len) only. */
static int gso_parse(const uint8_t *frame, uint32_t len, uint8_t gso_type, struct gso_layout *l)
{
	if (len < ETH_HEADER_LEN)
		return -EINVAL;
	uint32_t off = 12;
	uint16_t type = load_be16(frame + off);
	for (int tags = 0; tags < MAX_VLAN_TAGS; tags++) {
		if (type != ETH_TYPE_VLAN && type != ETH_TYPE_QINQ && type != ETH_TYPE_QINQ_OLD)
			break;
		off += VLAN_TAG_LEN;
		if (off + 2 > len)
			return -EINVAL;
		type = load_be16(frame + off);
	}
	l->l3 = off + 2;

	if (type == ETH_TYPE_IPV4) {
		if (gso_type == VIRTIO_NET_HDR_GSO_TCPV6)
			return -EINVAL;
		if (l->l3 + IPV4_MIN_HEADER_LEN > len || frame[l->l3] >> 4 != 4)
			return -EINVAL;
		uint32_t ihl = (frame[l->l3] & 0x0f) * 4u;
		if (ihl < IPV4_MIN_HEADER_LEN || l->l3 + ihl > len)
			return -EINVAL;
		/* A fragment cannot be cut again: its transport header may be
		 * in another fragment. */
		if (load_be16(frame + l->l3 + 6) & IPV4_FRAG_MASK)
			return -EINVAL;
		l->ipv6 = false;
		l->proto = frame[l->l3 + 9];
		l->l4 = l->l3 + ihl;
	} else if (type == ETH_TYPE_IPV6) {
		if (gso_type == VIRTIO_NET_HDR_GSO_TCPV4)
			return -EINVAL;
		/* UFO over IPv6 needs a fragment header inserted: not done. */
		if (gso_type == VIRTIO_NET_HDR_GSO_UDP)
			return -EOPNOTSUPP;
		if (l->l3 + IPV6_HEADER_LEN > len || frame[l->l3] >> 4 != 6)
			return -EINVAL;
		uint8_t next = frame[l->l3 + 6];
		off = l->l3 + IPV6_HEADER_LEN;
		/* Hop-by-hop, routing and destination options travel in front
		 * of every segment; a fragment header means "not ours to cut". */
		for (int i = 0; next == 0 || next == 43 || next == 60; i++) {
			if (i == MAX_IPV6_EXT_HEADERS || off + 8 > len)
				return -EINVAL;
			next = frame[off];
			off += (frame[off + 1] + 1u) * 8;
		}
		if (off > len)
			return -EINVAL;
		l->ipv6 = true;
		l->proto = next;
		l->l4 = off;
	} else {
		return -EINVAL;
	}

	if (gso_type == VIRTIO_NET_HDR_GSO_UDP) {
		if (l->proto != IP_PROTO_UDP || l->l4 + UDP_HEADER_LEN > len)
			return -EINVAL;
		/* UFO makes IP fragments: only the IP header is repeated. */
		l->hdr_len = l->l4;
		return 0;
	}
	if (l->proto != IP_PROTO_TCP || l->l4 + TCP_MIN_HEADER_LEN > len)
		return -EINVAL;
	uint32_t doff = (frame[l->l4 + 12] >> 4) * 4u;
	if (doff < TCP_MIN_HEADER_LEN || l->l4 + doff > len)
		return -EINVAL;
	l->hdr_len = l->l4 + doff;
	return 0;
}

static void ipv4_set_checksum(uint8_t *frame, const struct gso_layout *l)
{
	uint8_t *ip = frame + l->l3;
	store_be16(ip + 10, 0);
	store_be16(ip + 10, csum_fold(csum_partial(ip, l->l4 - l->l3, 0)));
}

/* Fixes the headers of one TCP segment of seg_len bytes in place. */
static void tcp_segment_fix(uint8_t *frame, uint32_t seg_len, const struct gso_layout *l,
			    uint32_t addr_sum, uint16_t ip_id, uint32_t seq, bool first, bool last)
{
	if (l->ipv6) {
		store_be16(frame + l->l3 + 4, (uint16_t)(seg_len - l->l3 - IPV6_HEADER_LEN));
	} else {
		store_be16(frame + l->l3 + 2, (uint16_t)(seg_len - l->l3));
		store_be16(frame + l->l3 + 4, ip_id);
		ipv4_set_checksum(frame, l);
	}
	uint8_t *tcp = frame + l->l4;
	uint32_t tcp_len = seg_len - l->l4;
	store_be32(tcp + 4, seq);
	if (!last)
		tcp[13] &= (uint8_t) ~(TCP_FLAG_FIN | TCP_FLAG_PSH);
	if (!first)
		tcp[13] &= (uint8_t)~TCP_FLAG_CWR;
	store_be16(tcp + 16, 0);
	uint32_t sum = csum_partial(tcp, tcp_len, addr_sum + IP_PROTO_TCP + tcp_len);
	store_be16(tcp + 16, csum_fold(sum));
}

/* Fixes the IPv4 header of one UFO fragment carrying datagram bytes from
 * `offset` on. The kernel (inet_gso_segment) rewrites frag_off whole, so DF
 * does not survive on the fragments either. */
static void ufo_fragment_fix(uint8_t *frame, uint32_t seg_len, const struct gso_layout *l,
			     uint32_t offset, bool last)
{
	uint8_t *ip = frame + l->l3;
	store_be16(ip + 2, (uint16_t)(seg_len - l->l3));
	store_be16(ip + 6, (uint16_t)((offset >> 3) | (last ? 0 : IPV4_FRAG_MF)));
	ipv4_set_checksum(frame, l);
}

/* Gives a segment the forwarding metadata of the frame it was cut from. */
static void segment_copy_meta(struct packet *seg, const struct packet *p)
{
	packet_copy_meta(seg, p);
	seg->flags &= (uint16_t)~PACKET_F_OFFLOAD;
	memset(&seg->offload, 0, sizeof(seg->offload));
}

/* Takes count - 1 buffers for the segments after the first (which is p
 * itself, cut short in place): all of them or none. */
static int segments_alloc(struct packet *p, struct packet **seg, uint32_t count)
{
	seg[0] = p;
	for (uint32_t i = 1; i < count; i++) {
		seg[i] = packet_alloc(p->pool);
		if (!seg[i]) {
			while (--i > 0)
				packet_free(seg[i]);
			return -ENOBUFS;
		}
	}
	return 0;
}

/* Copies headers and the chunk of data at `offset` into segment `seg`. */
static void segment_fill(struct packet *seg, const struct packet *p, uint32_t hdr_len,
			 uint32_t offset, uint32_t chunk)
{
	memcpy(seg->data, p->data, hdr_len);
	memcpy(seg->data + hdr_len, p->data + hdr_len + offset, chunk);
	seg->len = (uint16_t)(hdr_len + chunk);
	segment_copy_meta(seg, p);
}

/* Number of pieces of at most `size` bytes that `total` bytes make; a frame
 * with no payload is still one segment. */
static uint32_t piece_count(uint32_t total, uint32_t size)
{
	return total <= size ? 1 : (total + size - 1) / size;
}

/* Checks room in `out` and the pool's buffer size before anything changes. */
static int segments_check(const struct packet *p, const struct packet_batch *out, uint32_t count,
			  uint32_t max_seg_len)
{
	if (count > BATCH_SIZE - out->count)
		return -ENOSPC;
	if (count > 1 && max_seg_len > p->pool->data_room)
		return -EMSGSIZE;
	return 0;
}

static int tcp_segment(struct packet *p, const struct gso_layout *l, struct packet_batch *out)
{
	uint32_t mss = p->offload.gso_size;
	uint32_t payload = p->len - l->hdr_len;
	uint32_t count = piece_count(payload, mss);
	struct packet *seg[BATCH_SIZE];

	int err = segments_check(p, out, count, l->hdr_len + mss);
	if (!err)
		err = segments_alloc(p, seg, count);
	if (err)
		return err;

	uint32_t addr_sum = pseudo_addr_sum(p->data, l);
	uint16_t ip_id = l->ipv6 ? 0 : load_be16(p->data + l->l3 + 4);
	uint32_t seq = load_be32(p->data + l->l4 + 4);
	/* Later segments first: they copy p's headers before p is changed
	 * into the first segment. */
	for (uint32_t i = count - 1; i > 0; i--) {
		uint32_t offset = i * mss;
		uint32_t chunk = payload - offset < mss ? payload - offset : mss;
		segment_fill(seg[i], p, l->hdr_len, offset, chunk);
		tcp_segment_fix(seg[i]->data, seg[i]->len, l, addr_sum, (uint16_t)(ip_id + i),
				seq + offset, false, i == count - 1);
	}
	p->len = (uint16_t)(l->hdr_len + (payload < mss ? payload : mss));
	p->flags &= (uint16_t)~PACKET_F_OFFLOAD;
	tcp_segment_fix(p->data, p->len, l, addr_sum, ip_id, seq, true, count == 1);

	for (uint32_t i = 0; i < count; i++)
		packet_batch_add(out, seg[i]);
	return 0;
}

static int ufo_segment(struct packet *p, const struct gso_layout *l, struct packet_batch *out)
{
	uint32_t datagram = p->len - l->l4; /* UDP header and payload */
	/* Fragment offsets count in 8-byte units. */
	uint32_t frag_size = p->offload.gso_size & ~7u;
	uint32_t count = datagram <= p->offload.gso_size ? 1 : 0;
	struct packet *seg[BATCH_SIZE];

	if (count == 0) {
		if (frag_size == 0)
			return -EINVAL;
		count = piece_count(datagram, frag_size);
	}
	int err = segments_check(p, out, count, l->hdr_len + frag_size);
	if (!err)
		err = segments_alloc(p, seg, count);
	if (err)
		return err;

	/* The checksum covers the whole datagram, so it is done before the
	 * datagram is cut: the receiver checks it after reassembly. */
	uint8_t *udp = p->data + l->l4;
	store_be16(udp + 4, (uint16_t)datagram);
	store_be16(udp + 6, 0);
	uint32_t sum =
	    csum_partial(udp, datagram, pseudo_addr_sum(p->data, l) + IP_PROTO_UDP + datagram);
	uint16_t check = csum_fold(sum);
	store_be16(udp + 6, check ? check : 0xffff);

	if (count == 1) {
		store_be16(p->data + l->l3 + 2, (uint16_t)(p->len - l->l3));
		ipv4_set_checksum(p->data, l);
	} else {
		for (uint32_t i = count - 1; i > 0; i--) {
			uint32_t offset = i * frag_size;
			uint32_t chunk =
			    datagram - offset < frag_size ? datagram - offset : frag_size;
			segment_fill(seg[i], p, l->hdr_len, offset, chunk);
			ufo_fragment_fix(seg[i]->data, seg[i]->len, l, offset, i == count - 1);
		}
		p->len = (uint16_t)(l->hdr_len + frag_size);
		ufo_fragment_fix(p->data, p->len, l, 0, false);
	}
	p->flags &= (uint16_t)~PACKET_F_OFFLOAD;
	for (uint32_t i = 0; i < count; i++)
		packet_batch_add(out, seg[i]);
	return 0;
}

int packet_gso_segment(struct packet *p, struct packet_batch *out)
{
	const struct packet_offload *o = &p->offload;
	uint8_t gso_type = o->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

	if (!(p->flags & PACKET_F_OFFLOAD) || gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		if (out->count >= BATCH_SIZE)
			return -ENOSPC;
		int err = packet_csum_complete(p);
		if (err)
			return err;
		packet_batch_add(out, p);
		return 0;
	}
	if (gso_type != VIRTIO_NET_HDR_GSO_TCPV4 && gso_type != VIRTIO_NET_HDR_GSO_TCPV6 &&
	    gso_type != VIRTIO_NET_HDR_GSO_UDP)
		return -EOPNOTSUPP;
	/* hdr_len is a hint we do not use, but one past the frame's end says
	 * the header was built wrong: trust none of it. */
	if (o->gso_size == 0 || o->hdr_len > p->len)
		return -EINVAL;

	struct gso_layout l;
	int err = gso_parse(p->data, p->len, gso_type, &l);
	if (err)
		return err;
	/* The kernel takes csum_start as the transport header of a GSO frame;
	 * if ours differs, an IP header length or an extension header lies. */
	uint16_t csum_offset = gso_type == VIRTIO_NET_HDR_GSO_UDP ? 6 : 16;
	if ((o->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    (o->csum_start != l.l4 || o->csum_offset != csum_offset))
		return -EINVAL;
	if (gso_type == VIRTIO_NET_HDR_GSO_UDP)
		return ufo_segment(p, &l, out);
	return tcp_segment(p, &l, out);
}
