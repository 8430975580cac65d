/* vxlan_gro.c — TCP receive coalescing of the inner frames of one UDP_GRO
 * read (vxlan_gro.h). The kernel's GRO (tcp_gro_receive) is the model: the
 * same rules for what may merge, so a stream merges exactly when Linux
 * would have merged it, and anything odd (a gap, a flag, an option that
 * changed, a fragment) is left as single frames for the engine. */
#include "vxlan_gro.h"

#include <stdbool.h>
#include <string.h>

#include <linux/virtio_net.h>

#include "lib/gso.h"
#include "lib/util.h"

#define IP_PROTO_TCP	 6
#define IPV4_HEADER_LEN	 20 /* options are not merged */
#define IPV6_HEADER_LEN	 40
#define IPV4_DF		 0x4000
#define IPV4_FRAG_MASK	 0x3fff
#define TCP_MIN_HDR	 20
#define TCP_FLAG_PSH	 0x08
#define TCP_FLAG_ACK	 0x10
#define TCP_FLAGS_OFFSET 13
#define TCP_CSUM_OFFSET	 16

/* The headers of a frame that may take part in a merge. */
struct gro_view {
	bool ipv6;
	uint32_t l4;  /* TCP header, from the Ethernet header */
	uint32_t hdr; /* every header: where the payload starts */
	uint32_t payload;
};

/* Parses frame f of len bytes; false when it cannot merge at all. */
static bool gro_parse(const uint8_t *f, uint32_t len, struct gro_view *v)
{
	if (len < ETH_HEADER_LEN + IPV4_HEADER_LEN + TCP_MIN_HDR)
		return false;
	const uint8_t *ip = f + ETH_HEADER_LEN;
	uint16_t type = load_be16(f + 12);
	if (type == ETH_TYPE_IPV4) {
		if (ip[0] != 0x45 || ip[9] != IP_PROTO_TCP ||
		    (load_be16(ip + 6) & IPV4_FRAG_MASK) != 0 ||
		    load_be16(ip + 2) != len - ETH_HEADER_LEN ||
		    csum_fold(csum_partial(ip, IPV4_HEADER_LEN, 0)) != 0)
			return false;
		v->ipv6 = false;
		v->l4 = ETH_HEADER_LEN + IPV4_HEADER_LEN;
	} else if (type == ETH_TYPE_IPV6) {
		if (len < ETH_HEADER_LEN + IPV6_HEADER_LEN + TCP_MIN_HDR || (ip[0] >> 4) != 6 ||
		    ip[6] != IP_PROTO_TCP ||
		    load_be16(ip + 4) != len - ETH_HEADER_LEN - IPV6_HEADER_LEN)
			return false;
		v->ipv6 = true;
		v->l4 = ETH_HEADER_LEN + IPV6_HEADER_LEN;
	} else {
		return false;
	}
	uint32_t doff = (uint32_t)(f[v->l4 + 12] >> 4) * 4;
	if (doff < TCP_MIN_HDR || v->l4 + doff >= len) /* no payload: nothing to merge */
		return false;
	uint8_t flags = f[v->l4 + TCP_FLAGS_OFFSET];
	if ((flags & (uint8_t)~TCP_FLAG_PSH) != TCP_FLAG_ACK || f[v->l4 + 12] & 0x0f)
		return false;
	v->hdr = v->l4 + doff;
	v->payload = len - v->hdr;
	return true;
}

/* Whether the TCP checksum of frame f (view v, accepted by gro_parse())
 * verifies, pseudo-header included: one pass over the segment, which the
 * merge then copies while it is still in cache. A merged frame gets a fresh
 * checksum, so a segment must not join unless its own one is right: Linux's
 * vxlan sends outer UDP checksum 0 over IPv4, and this is then the only
 * check of the inner bytes. A partial checksum (a peer leaking
 * CHECKSUM_PARTIAL) fails here too and is delivered as it came. */
static bool gro_csum_ok(const uint8_t *f, uint32_t len, const struct gro_view *v)
{
	const uint8_t *ip = f + ETH_HEADER_LEN;
	uint32_t l4_len = len - v->l4;
	uint32_t sum = v->ipv6 ? csum_partial(ip + 8, 32, 0) : csum_partial(ip + 12, 8, 0);
	return csum_fold(csum_partial(f + v->l4, l4_len, sum + IP_PROTO_TCP + l4_len)) == 0;
}

/* Whether frame g (view w) may follow frame f (view v) in a run: the same
 * headers but for lengths, IP ID, checksums, sequence number and PSH. */
static bool gro_same_flow(const uint8_t *f, const struct gro_view *v, const uint8_t *g,
			  const struct gro_view *w, uint32_t index)
{
	if (w->ipv6 != v->ipv6 || w->hdr != v->hdr || memcmp(f, g, ETH_HEADER_LEN))
		return false;
	const uint8_t *a = f + ETH_HEADER_LEN, *b = g + ETH_HEADER_LEN;
	if (v->ipv6) {
		/* version, class, flow label; next header, hop limit, addresses */
		if (memcmp(a, b, 4) || memcmp(a + 6, b + 6, IPV6_HEADER_LEN - 6))
			return false;
	} else {
		uint16_t id0 = load_be16(a + 4), id = load_be16(b + 4);
		bool df = load_be16(a + 6) & IPV4_DF;
		/* tos; flags; ttl, protocol; addresses */
		if (a[1] != b[1] || memcmp(a + 6, b + 6, 4) || memcmp(a + 12, b + 12, 8))
			return false;
		if (id != (uint16_t)(id0 + index) && !(df && id == id0))
			return false;
	}
	const uint8_t *s = f + v->l4, *t = g + w->l4;
	/* ports; ack, data offset; window, urgent pointer and options */
	return !memcmp(s, t, 4) && !memcmp(s + 8, t + 8, 5) && !memcmp(s + 14, t + 14, 2) &&
	       !memcmp(s + 18, t + 18, v->hdr - v->l4 - 18);
}

uint32_t vxlan_gro_run(const uint8_t *const *frames, const uint32_t *lens, uint32_t n,
		       uint32_t max_len)
{
	struct gro_view v;
	if (!gro_parse(frames[0], lens[0], &v) ||
	    (frames[0][v.l4 + TCP_FLAGS_OFFSET] & TCP_FLAG_PSH))
		return 1;
	/* Verified even alone, so that a bad segment that ended the run
	 * before it is counted here, once, whatever follows it. */
	if (!gro_csum_ok(frames[0], lens[0], &v))
		return 0;
	if (n < 2)
		return 1;
	if (max_len > VXLAN_GRO_MAX_FRAME)
		max_len = VXLAN_GRO_MAX_FRAME;
	if (n > VXLAN_GRO_MAX_SEGS)
		n = VXLAN_GRO_MAX_SEGS;
	uint32_t mss = v.payload, total = lens[0];
	uint32_t seq = load_be32(frames[0] + v.l4 + 4) + mss;
	uint32_t k = 1;
	for (; k < n; k++) {
		const uint8_t *g = frames[k];
		struct gro_view w;
		if (!gro_parse(g, lens[k], &w) || !gro_same_flow(frames[0], &v, g, &w, k) ||
		    w.payload > mss || load_be32(g + w.l4 + 4) != seq ||
		    total + w.payload > max_len || !gro_csum_ok(g, lens[k], &w))
			break;
		total += w.payload;
		seq += w.payload;
		if (w.payload < mss || (g[w.l4 + TCP_FLAGS_OFFSET] & TCP_FLAG_PSH)) {
			k++;
			break;
		}
	}
	return k;
}

uint32_t vxlan_gro_merge(uint8_t *dst, const uint8_t *const *frames, const uint32_t *lens,
			 uint32_t k, struct packet_offload *off)
{
	struct gro_view v;
	(void)gro_parse(frames[0], lens[0], &v); /* accepted by vxlan_gro_run() */
	/* Read before the payloads move: they may overwrite the last header. */
	uint8_t psh = frames[k - 1][v.l4 + TCP_FLAGS_OFFSET] & TCP_FLAG_PSH;
	uint32_t at = lens[0];
	if (dst != frames[0])
		memmove(dst, frames[0], lens[0]);
	for (uint32_t i = 1; i < k; i++) {
		memmove(dst + at, frames[i] + v.hdr, lens[i] - v.hdr);
		at += lens[i] - v.hdr;
	}
	uint8_t *ip = dst + ETH_HEADER_LEN, *tcp = dst + v.l4;
	uint32_t l4_len = at - v.l4, sum;
	if (v.ipv6) {
		store_be16(ip + 4, (uint16_t)l4_len);
		sum = csum_partial(ip + 8, 32, 0);
	} else {
		store_be16(ip + 2, (uint16_t)(at - ETH_HEADER_LEN));
		store_be16(ip + 10, 0);
		store_be16(ip + 10, csum_fold(csum_partial(ip, IPV4_HEADER_LEN, 0)));
		sum = csum_partial(ip + 12, 8, 0);
	}
	tcp[TCP_FLAGS_OFFSET] |= psh;
	/* NEEDS_CSUM: the field holds the pseudo-header sum, folded and not
	 * complemented, as a TSO frame from a VM has it. */
	store_be16(tcp + TCP_CSUM_OFFSET, (uint16_t)~csum_fold(sum + IP_PROTO_TCP + l4_len));
	*off = (struct packet_offload){
	    .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	    .gso_type = v.ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4,
	    .hdr_len = (uint16_t)v.hdr,
	    .gso_size = (uint16_t)(lens[0] - v.hdr),
	    .csum_start = (uint16_t)v.l4,
	    .csum_offset = TCP_CSUM_OFFSET,
	};
	return at;
}
