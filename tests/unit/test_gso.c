/* test_gso.c — software segmentation and checksum completion
 * (src/lib/gso.c). Frames are built the way Linux hands them over a tap with
 * IFF_VNET_HDR (pseudo-header sum in the checksum field, NEEDS_CSUM), cut,
 * and every segment is checked field by field against a byte-wise RFC 1071
 * checksum written independently here. Malformed headers and a dry pool must
 * give an error, never a crash or a lost buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <linux/virtio_net.h>

#include "lib/gso.h"
#include "lib/packet.h"
#include "lib/util.h"

/* Enough for a full batch of segments plus the frame they come from. */
#define POOL_SIZE (BATCH_SIZE + 8)
#define DATA_ROOM 65535
#define MAX_FRAME 65535

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80

/* ---- an independent reference: RFC 1071, one byte at a time ---- */

static uint32_t ref_fold(uint32_t sum)
{
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static uint32_t ref_sum(const uint8_t *b, size_t len, uint32_t sum)
{
	for (size_t i = 0; i < len; i++)
		sum += (i % 2 == 0) ? (uint32_t)b[i] << 8 : b[i];
	return ref_fold(sum);
}

static uint32_t ref_load_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Sum of the pseudo-header for an L4 region of l4_len bytes. */
static uint32_t ref_pseudo_sum(const uint8_t *frame, uint32_t l3, bool ipv6, uint8_t proto,
			       uint32_t l4_len)
{
	uint8_t ph[40];
	size_t n;
	if (ipv6) {
		memcpy(ph, frame + l3 + 8, 32);
		ph[32] = (uint8_t)(l4_len >> 24);
		ph[33] = (uint8_t)(l4_len >> 16);
		ph[34] = (uint8_t)(l4_len >> 8);
		ph[35] = (uint8_t)l4_len;
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = proto;
		n = 40;
	} else {
		memcpy(ph, frame + l3 + 12, 8);
		ph[8] = 0;
		ph[9] = proto;
		ph[10] = (uint8_t)(l4_len >> 8);
		ph[11] = (uint8_t)l4_len;
		n = 12;
	}
	return ref_sum(ph, n, 0);
}

static bool ref_l4_checksum_ok(const uint8_t *frame, uint32_t len, uint32_t l3, uint32_t l4,
			       bool ipv6, uint8_t proto)
{
	uint32_t sum = ref_pseudo_sum(frame, l3, ipv6, proto, len - l4);
	return ref_sum(frame + l4, len - l4, sum) == 0xffff;
}

static bool ref_ipv4_header_ok(const uint8_t *frame, uint32_t l3)
{
	return ref_sum(frame + l3, (frame[l3] & 0x0f) * 4u, 0) == 0xffff;
}

/* ---- deterministic randomness, so a failure can be replayed ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static uint32_t rng_range(uint32_t lo, uint32_t hi)
{
	return lo + rng() % (hi - lo + 1);
}

/* ---- building frames as Linux hands them over ---- */

struct spec {
	bool ipv6;
	bool tagged;
	bool udp;	   /* UDP instead of TCP */
	uint32_t payload;  /* bytes after the TCP/UDP header */
	uint16_t gso_size; /* 0: no GSO, checksum only */
	uint8_t tcp_flags;
	uint8_t tcp_opt_len; /* multiple of 4, up to 40 */
	uint32_t seq;
	uint16_t ip_id;
	int hdr_len_hint; /* -1: the true value, else used as is */
};

/* What a built frame looks like, for the checks. */
struct built {
	uint32_t l3, l4, hdr_len, len;
	uint8_t frame[MAX_FRAME];
	uint8_t payload[MAX_FRAME];
};

static struct built orig;

static void spec_defaults(struct spec *s)
{
	memset(s, 0, sizeof(*s));
	s->payload = 20000;
	s->gso_size = 1448;
	s->tcp_flags = TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR;
	s->tcp_opt_len = 12;
	s->seq = 0xfffff000; /* wraps inside the frame */
	s->ip_id = 0xfffa;   /* wraps too */
	s->hdr_len_hint = -1;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Writes the frame into `orig` and into a packet from the pool. */
static struct packet *build(struct packet_pool *pool, const struct spec *s)
{
	uint8_t *f = orig.frame;
	uint32_t off = 12;
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};

	memcpy(f, macs, 12);
	if (s->tagged) {
		put16(f + 12, ETH_TYPE_VLAN);
		put16(f + 14, (3 << 13) | 7);
		off += 4;
	}
	put16(f + off, s->ipv6 ? 0x86dd : 0x0800);
	uint32_t l3 = off + 2;
	uint32_t l4 = l3 + (s->ipv6 ? 40 : 20);
	uint32_t l4_hdr = s->udp ? 8 : 20u + s->tcp_opt_len;
	uint32_t len = l4 + l4_hdr + s->payload;
	uint8_t proto = s->udp ? 17 : 6;
	assert_true(len <= MAX_FRAME);

	uint8_t *ip = f + l3;
	if (s->ipv6) {
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, len - l3 - 40);
		ip[6] = proto;
		ip[7] = 64;
		const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
		const uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 2};
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
	} else {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, len - l3);
		put16(ip + 4, s->ip_id);
		put16(ip + 6, 0x4000); /* DF */
		put16(ip + 10, rng()); /* whatever the sender left there */
		ip[8] = 64;
		ip[9] = proto;
		const uint8_t addrs[8] = {10, 0, 0, 1, 192, 168, 200, 254};
		memcpy(ip + 12, addrs, 8);
	}

	uint8_t *l4p = f + l4;
	uint32_t check_at;
	if (s->udp) {
		put16(l4p, 5353);
		put16(l4p + 2, 53);
		put16(l4p + 4, len - l4);
		check_at = 6;
	} else {
		memset(l4p, 0, l4_hdr);
		put16(l4p, 40000);
		put16(l4p + 2, 5201);
		l4p[4] = (uint8_t)(s->seq >> 24);
		l4p[5] = (uint8_t)(s->seq >> 16);
		l4p[6] = (uint8_t)(s->seq >> 8);
		l4p[7] = (uint8_t)s->seq;
		l4p[11] = 1; /* ack */
		l4p[12] = (uint8_t)((l4_hdr / 4) << 4);
		l4p[13] = s->tcp_flags;
		put16(l4p + 14, 501);
		for (uint32_t i = 20; i < l4_hdr; i++)
			l4p[i] = (i % 4 == 0 || i % 4 == 1) ? 1 : (uint8_t)i; /* NOPs and data */
		check_at = 16;
	}
	for (uint32_t i = 0; i < s->payload; i++)
		orig.payload[i] = (uint8_t)rng();
	memcpy(l4p + l4_hdr, orig.payload, s->payload);

	/* As Linux does for CHECKSUM_PARTIAL: the field holds the folded
	 * pseudo-header sum, not complemented. */
	uint32_t ph = ref_pseudo_sum(f, l3, s->ipv6, proto, len - l4);
	put16(l4p + check_at, ph);

	orig.l3 = l3;
	orig.l4 = l4;
	orig.hdr_len = l4 + l4_hdr;
	orig.len = len;

	struct packet *p = packet_from_bytes(pool, f, len);
	assert_non_null(p);
	p->flags = PACKET_F_OFFLOAD | (s->tagged ? PACKET_F_INLINE_TAG : 0);
	p->vid = 7;
	p->pcp = 3;
	p->out_port = 5;
	p->offload.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	p->offload.csum_start = (uint16_t)l4;
	p->offload.csum_offset = (uint16_t)check_at;
	p->offload.gso_size = s->gso_size;
	if (s->gso_size == 0)
		p->offload.gso_type = VIRTIO_NET_HDR_GSO_NONE;
	else if (s->udp)
		p->offload.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	else
		p->offload.gso_type = s->ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
	p->offload.hdr_len = (uint16_t)(s->hdr_len_hint < 0 ? (int)orig.hdr_len : s->hdr_len_hint);
	return p;
}

/* Checks every TCP segment in out[first..] against `orig` and spec `s`. */
static void check_tcp_segments(const struct packet_batch *out, uint32_t first, const struct spec *s)
{
	uint32_t mss = s->gso_size;
	uint32_t count = s->payload <= mss ? 1 : (s->payload + mss - 1) / mss;
	assert_int_equal(out->count - first, count);

	uint32_t done = 0;
	for (uint32_t i = 0; i < count; i++) {
		const struct packet *seg = out->packets[first + i];
		const uint8_t *f = seg->data;
		uint32_t chunk = s->payload - done < mss ? s->payload - done : mss;
		bool is_first = i == 0, is_last = i == count - 1;

		assert_int_equal(seg->len, orig.hdr_len + chunk);
		assert_memory_equal(f, orig.frame, orig.l3); /* MACs, tag, ethertype */
		assert_int_equal(seg->flags, (s->tagged ? PACKET_F_INLINE_TAG : 0));
		assert_int_equal(seg->vid, 7);
		assert_int_equal(seg->pcp, 3);
		assert_int_equal(seg->out_port, 5);

		if (s->ipv6) {
			assert_int_equal(load_be16(f + orig.l3 + 4), seg->len - orig.l3 - 40);
			assert_memory_equal(f + orig.l3 + 6, orig.frame + orig.l3 + 6, 34);
		} else {
			assert_int_equal(load_be16(f + orig.l3 + 2), seg->len - orig.l3);
			assert_int_equal(load_be16(f + orig.l3 + 4), (uint16_t)(s->ip_id + i));
			assert_int_equal(load_be16(f + orig.l3 + 6), 0x4000);
			assert_true(ref_ipv4_header_ok(f, orig.l3));
		}

		const uint8_t *tcp = f + orig.l4;
		assert_int_equal(ref_load_be32(tcp + 4), s->seq + done);
		uint8_t want = s->tcp_flags;
		if (!is_last)
			want &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		if (!is_first)
			want &= (uint8_t)~TCP_CWR;
		assert_int_equal(tcp[13], want);
		/* Options and everything but seq, flags and checksum unchanged. */
		assert_memory_equal(tcp, orig.frame + orig.l4, 4);
		assert_memory_equal(tcp + 8, orig.frame + orig.l4 + 8, 5);
		assert_memory_equal(tcp + 18, orig.frame + orig.l4 + 18,
				    orig.hdr_len - orig.l4 - 18);
		assert_true(ref_l4_checksum_ok(f, seg->len, orig.l3, orig.l4, s->ipv6, 6));

		assert_memory_equal(f + orig.hdr_len, orig.payload + done, chunk);
		done += chunk;
	}
	assert_int_equal(done, s->payload);
}

/* Segments the frame described by s and checks the result. */
static void segment_and_check(struct packet_pool *pool, const struct spec *s)
{
	struct packet_batch out;
	packet_batch_init(&out);
	struct packet *p = build(pool, s);
	assert_int_equal(packet_gso_segment(p, &out), 0);
	check_tcp_segments(&out, 0, s);
	packet_batch_free(&out);
	assert_int_equal(pool->available, pool->size);
}

static int setup(void **state)
{
	struct packet_pool *pool = packet_pool_create(POOL_SIZE, DATA_ROOM);
	assert_non_null(pool);
	*state = pool;
	return 0;
}

static int teardown(void **state)
{
	struct packet_pool *pool = *state;
	/* Every test must give back what it took, error paths included. */
	assert_int_equal(pool->available, pool->size);
	packet_pool_destroy(pool);
	return 0;
}

/* ---- the checksum itself ---- */

static void test_csum_matches_rfc1071_example(void **state)
{
	(void)state;
	/* RFC 1071 §3: these bytes sum to 0xddf2. */
	const uint8_t bytes[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	assert_int_equal(csum_fold(csum_partial(bytes, 8, 0)), (uint16_t)~0xddf2);
	assert_int_equal(csum_fold(0), 0xffff);
	assert_int_equal(csum_fold(0xffff), 0);
}

static void test_csum_matches_bytewise_reference_at_any_length_and_alignment(void **state)
{
	(void)state;
	static uint8_t buf[4096 + 16];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rng();
	for (int iter = 0; iter < 3000; iter++) {
		size_t align = rng() % 16;
		size_t len = iter < 200 ? (size_t)iter : rng() % 4097;
		uint32_t start = iter % 3 == 0 ? 0 : rng() & 0x1ffff;
		uint16_t want = (uint16_t)~ref_sum(buf + align, len, start);
		assert_int_equal(csum_fold(csum_partial(buf + align, len, start)), want);
	}
	/* All-ones data: the sum must carry around, not overflow. */
	static uint8_t ones[65536];
	memset(ones, 0xff, sizeof(ones));
	assert_int_equal(csum_fold(csum_partial(ones, sizeof(ones), 0xffffffff)),
			 (uint16_t)~ref_sum(ones, sizeof(ones), 0xffff));
}

/* Sums near 2^64 are where a carry gets lost: all-ones data, a word that
 * tips the sum over after the carries are counted, and data made mostly of
 * 0xff bytes. */
static void test_csum_carries_are_never_lost(void **state)
{
	(void)state;
	uint8_t buf[256];
	memset(buf, 0xff, sizeof(buf));
	for (size_t len = 0; len <= 64; len++)
		assert_int_equal(csum_fold(csum_partial(buf, len, 0)),
				 (uint16_t)~ref_sum(buf, len, 0));
	/* Two all-ones words leave one carry and a sum of 2^64 - 2; a word of
	 * 1 (in native order on x86) then makes sum + carries overflow. */
	memset(buf + 16, 0, 8);
	buf[16] = 1;
	assert_int_equal(csum_fold(csum_partial(buf, 24, 0)), (uint16_t)~ref_sum(buf, 24, 0));
	static const uint8_t bytes[] = {0xff, 0xff, 0xff, 0xfe, 0x00, 0x01};
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = rng() % sizeof(buf);
		for (size_t i = 0; i < len; i++)
			buf[i] = rng() % 8 ? 0xff : bytes[rng() % sizeof(bytes)];
		assert_int_equal(csum_fold(csum_partial(buf, len, 0)),
				 (uint16_t)~ref_sum(buf, len, 0));
	}
}

static void test_csum_in_even_pieces_equals_csum_of_whole(void **state)
{
	(void)state;
	uint8_t buf[1001];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rng();
	uint32_t sum = csum_partial(buf, 400, 0);
	sum = csum_partial(buf + 400, 2, sum);
	sum = csum_partial(buf + 402, sizeof(buf) - 402, sum);
	assert_int_equal(csum_fold(sum), csum_fold(csum_partial(buf, sizeof(buf), 0)));
}

/* ---- segmentation ---- */

static void test_ipv4_tcp_frame_is_cut_into_mss_segments(void **state)
{
	struct spec s;
	spec_defaults(&s);
	segment_and_check(*state, &s);
	/* 20000 / 1448: 13 full segments and 1168 bytes. */
	assert_int_equal((s.payload + s.gso_size - 1) / s.gso_size, 14);
}

static void test_ipv6_tcp_frame_is_cut_into_mss_segments(void **state)
{
	struct spec s;
	spec_defaults(&s);
	s.ipv6 = true;
	s.gso_size = 1428;
	segment_and_check(*state, &s);
}

static void test_tagged_frames_are_cut_behind_the_tag(void **state)
{
	struct spec s;
	spec_defaults(&s);
	s.tagged = true;
	segment_and_check(*state, &s);
	s.ipv6 = true;
	segment_and_check(*state, &s);
}

static void test_ecn_bit_in_gso_type_is_accepted(void **state)
{
	struct packet_pool *pool = *state;
	struct spec s;
	spec_defaults(&s);
	struct packet_batch out;
	packet_batch_init(&out);
	struct packet *p = build(pool, &s);
	p->offload.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
	assert_int_equal(packet_gso_segment(p, &out), 0);
	check_tcp_segments(&out, 0, &s);
	packet_batch_free(&out);
}

static void test_hdr_len_hint_zero_or_wrong_is_recomputed(void **state)
{
	struct spec s;
	spec_defaults(&s);
	s.hdr_len_hint = 0;
	segment_and_check(*state, &s);
	s.hdr_len_hint = 54; /* the options forgotten */
	segment_and_check(*state, &s);
	s.hdr_len_hint = 1000;
	segment_and_check(*state, &s);
}

static void test_frame_within_one_mss_is_one_segment_in_place(void **state)
{
	struct packet_pool *pool = *state;
	struct spec s;
	spec_defaults(&s);
	s.payload = 1000;
	struct packet_batch out;
	packet_batch_init(&out);
	struct packet *p = build(pool, &s);
	assert_int_equal(packet_gso_segment(p, &out), 0);
	assert_ptr_equal(out.packets[0], p);
	check_tcp_segments(&out, 0, &s);
	packet_batch_free(&out);
	/* No payload at all still makes one (pure ACK) segment. */
	s.payload = 0;
	segment_and_check(pool, &s);
}

static void test_segments_are_appended_after_what_out_holds(void **state)
{
	struct packet_pool *pool = *state;
	struct spec s;
	spec_defaults(&s);
	struct packet_batch out;
	packet_batch_init(&out);
	struct packet *other = packet_alloc(pool);
	packet_batch_add(&out, other);
	struct packet *p = build(pool, &s);
	assert_int_equal(packet_gso_segment(p, &out), 0);
	assert_ptr_equal(out.packets[0], other);
	check_tcp_segments(&out, 1, &s);
	packet_batch_free(&out);
}

static void test_frame_filling_the_whole_batch_fits_exactly(void **state)
{
	struct spec s;
	spec_defaults(&s);
	s.payload = 256 * 200;
	s.gso_size = 200;
	segment_and_check(*state, &s);
}

/* ---- checksum only ---- */

static void test_udp_csum_only_frame_gets_valid_checksum(void **state)
{
	struct packet_pool *pool = *state;
	struct spec s;
	spec_defaults(&s);
	s.udp = true;
	s.gso_size = 0;
	s.payload = 301; /* odd: the last byte is padded */
	struct packet *p = build(pool, &s);
	assert_int_equal(packet_csum_complete(p), 0);
	assert_false(p->flags & PACKET_F_OFFLOAD);
	assert_int_equal(p->len, orig.len);
	assert_true(ref_l4_checksum_ok(p->data, p->len, orig.l3, orig.l4, false, 17));
	assert_memory_equal(p->data + orig.hdr_len, orig.payload, s.payload);
	packet_free(p);
}

static void test_csum_only_frame_through_segment_is_completed_and_appended(void **state)
{
	struct packet_pool *pool = *state;
	struct spec s;
	spec_defaults(&s);
	s.gso_size = 0;
	s.payload = 777;
	s.ipv6 = true;
	s.tagged = true;
	struct packet_batch out;
	packet_batch_init(&out);
	struct packet *p = build(pool, &s);
	assert_int_equal(packet_gso_segment(p, &out), 0);
	assert_int_equal(out.count, 1);
	assert_ptr_equal(out.packets[0], p);
	assert_int_equal(p->flags, PACKET_F_INLINE_TAG);
	assert_true(ref_l4_checksum_ok(p->data, p->len, orig.l3, orig.l4, true, 6));
	packet_batch_free(&out);
}

static void test_frame_without_offload_passes_untouched(void **state)
{
	struct packet_pool *pool = *state;
	struct spec s;
	spec_defaults(&s);
	s.payload = 100;
	struct packet *p = build(pool, &s);
	p->flags &= (uint16_t)~PACKET_F_OFFLOAD;
	assert_int_equal(packet_csum_complete(p), 0);
	assert_memory_equal(p->data, orig.frame, orig.len);
	struct packet_batch out;
	packet_batch_init(&out);
	assert_int_equal(packet_gso_segment(p, &out), 0);
	assert_int_equal(out.count, 1);
	assert_memory_equal(p->data, orig.frame, orig.len);
	packet_batch_free(&out);
}

static void test_udp_checksum_zero_is_sent_as_ffff(void **state)
{
	struct packet_pool *pool = *state;
	/* A pseudo-sum of 0xffff and nothing else: the checksum comes out
	 * as 0, which to UDP means "none", so 0xffff (the same value in one's
	 * complement) goes on the wire. */
	struct packet *p = packet_alloc(pool);
	memset(p->data, 0, 64);
	p->len = 64;
	p->data[40] = 0xff;
	p->data[41] = 0xff;
	p->flags = PACKET_F_OFFLOAD;
	memset(&p->offload, 0, sizeof(p->offload));
	p->offload.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	p->offload.csum_start = 34;
	p->offload.csum_offset = 6;
	assert_int_equal(packet_csum_complete(p), 0);
	assert_int_equal(load_be16(p->data + 40), 0xffff);
	packet_free(p);
}

/* ---- UFO ---- */

static void test_ipv4_udp_frame_is_cut_into_fragments(void **state)
{
	struct packet_pool *pool = *state;
	struct spec s;
	spec_defaults(&s);
	s.udp = true;
	s.payload = 5000;
	s.gso_size = 1483; /* rounded down to 1480 */
	struct packet_batch out;
	packet_batch_init(&out);
	struct packet *p = build(pool, &s);
	assert_int_equal(packet_gso_segment(p, &out), 0);
	uint32_t datagram = orig.len - orig.l4;
	assert_int_equal(out.count, (datagram + 1479) / 1480);

	static uint8_t reassembled[MAX_FRAME];
	uint32_t done = 0;
	for (uint32_t i = 0; i < out.count; i++) {
		const uint8_t *f = out.packets[i]->data;
		uint32_t len = out.packets[i]->len;
		assert_true(ref_ipv4_header_ok(f, orig.l3));
		assert_int_equal(load_be16(f + orig.l3 + 2), len - orig.l3);
		assert_int_equal(load_be16(f + orig.l3 + 4), s.ip_id); /* one ID */
		uint16_t frag = load_be16(f + orig.l3 + 6);
		assert_int_equal((frag & 0x1fff) * 8u, done);
		assert_int_equal(!!(frag & 0x2000), i != out.count - 1);
		assert_int_equal(len - orig.l4, i != out.count - 1 ? 1480 : datagram - done);
		memcpy(reassembled + done, f + orig.l4, len - orig.l4);
		done += len - orig.l4;
	}
	assert_int_equal(done, datagram);
	assert_memory_equal(reassembled + 8, orig.payload, s.payload);
	assert_int_equal(load_be16(reassembled + 4), datagram);
	/* The UDP checksum holds over the reassembled datagram. */
	uint32_t sum = ref_pseudo_sum(out.packets[0]->data, orig.l3, false, 17, datagram);
	assert_int_equal(ref_sum(reassembled, datagram, sum), 0xffff);
	packet_batch_free(&out);
}

static void test_ipv6_udp_fragmentation_is_not_supported(void **state)
{
	struct packet_pool *pool = *state;
	struct spec s;
	spec_defaults(&s);
	s.udp = true;
	s.ipv6 = true;
	s.payload = 5000;
	struct packet_batch out;
	packet_batch_init(&out);
	struct packet *p = build(pool, &s);
	assert_int_equal(packet_gso_segment(p, &out), -EOPNOTSUPP);
	assert_int_equal(out.count, 0);
	packet_free(p);
}

/* ---- malformed headers: an error, the packet unchanged, no crash ---- */

/* Expects `err` from segmenting p, with p and out untouched; frees p. */
static void expect_segment_error(struct packet *p, int err)
{
	static uint8_t before[MAX_FRAME];
	uint16_t len = p->len, flags = p->flags;
	memcpy(before, p->data, len);
	struct packet_batch out;
	packet_batch_init(&out);
	assert_int_equal(packet_gso_segment(p, &out), err);
	assert_int_equal(out.count, 0);
	assert_int_equal(p->len, len);
	assert_int_equal(p->flags, flags);
	assert_memory_equal(p->data, before, len);
	packet_free(p);
}

static void test_csum_start_beyond_frame_is_rejected(void **state)
{
	struct packet_pool *pool = *state;
	struct spec s;
	spec_defaults(&s);
	s.gso_size = 0;
	s.payload = 100;
	s.udp = true;
	static const struct {
		uint16_t start, offset;
	} bad[] = {{200, 6}, {65535, 65535}, {142, 0}, {100, 41}, {0, 65535}};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct packet *p = build(pool, &s);
		assert_int_equal(p->len, 142);
		p->offload.csum_start = bad[i].start;
		p->offload.csum_offset = bad[i].offset;
		assert_int_equal(packet_csum_complete(p), -EINVAL);
		assert_true(p->flags & PACKET_F_OFFLOAD);
		assert_memory_equal(p->data, orig.frame, p->len);
		expect_segment_error(p, -EINVAL);
	}
	/* The last two bytes of the frame are a valid place for the field. */
	struct packet *p = build(pool, &s);
	p->offload.csum_start = 100;
	p->offload.csum_offset = 40;
	assert_int_equal(packet_csum_complete(p), 0);
	packet_free(p);
}

static void test_gso_header_inconsistent_with_frame_is_rejected(void **state)
{
	struct packet_pool *pool = *state;
	struct spec s;
	spec_defaults(&s);
	struct packet *p;

	p = build(pool, &s);
	p->offload.hdr_len = (uint16_t)(p->len + 1);
	expect_segment_error(p, -EINVAL);

	p = build(pool, &s);
	p->offload.gso_size = 0;
	expect_segment_error(p, -EINVAL);

	p = build(pool, &s);
	p->offload.csum_start = (uint16_t)(p->len + 10);
	expect_segment_error(p, -EINVAL);

	p = build(pool, &s);
	p->offload.csum_offset = 6; /* UDP's, on a TCP frame */
	expect_segment_error(p, -EINVAL);

	p = build(pool, &s);
	p->offload.gso_type = VIRTIO_NET_HDR_GSO_TCPV6; /* on an IPv4 frame */
	expect_segment_error(p, -EINVAL);

	p = build(pool, &s);
	p->offload.gso_type = VIRTIO_NET_HDR_GSO_UDP; /* on a TCP frame */
	expect_segment_error(p, -EINVAL);

	p = build(pool, &s);
	p->offload.gso_type = 2; /* not a virtio GSO type */
	expect_segment_error(p, -EOPNOTSUPP);

	p = build(pool, &s);
	put16(p->data + orig.l3 + 6, 0x2000); /* already a fragment */
	expect_segment_error(p, -EINVAL);

	p = build(pool, &s);
	put16(p->data + 12, 0x0806); /* ARP */
	expect_segment_error(p, -EINVAL);
}

static void test_lying_ip_header_length_is_rejected(void **state)
{
	struct packet_pool *pool = *state;
	struct spec s;
	spec_defaults(&s);
	struct packet *p;

	p = build(pool, &s);
	p->data[orig.l3] = 0x44; /* shorter than the fixed header */
	expect_segment_error(p, -EINVAL);

	p = build(pool, &s);
	p->data[orig.l3] = 0x46; /* TCP would start 4 bytes late */
	expect_segment_error(p, -EINVAL);

	p = build(pool, &s);
	p->data[orig.l3] = 0x4f; /* 60 bytes, beyond a short frame */
	p->len = (uint16_t)(orig.l3 + 40);
	p->offload.hdr_len = 0;
	expect_segment_error(p, -EINVAL);

	p = build(pool, &s);
	p->data[orig.l3] = 0x65; /* version 6 in an IPv4 frame */
	expect_segment_error(p, -EINVAL);

	s.ipv6 = true;
	p = build(pool, &s);
	p->data[orig.l3 + 6] = 0; /* hop-by-hop options that are TCP bytes */
	expect_segment_error(p, -EINVAL);
}

static void test_truncated_tcp_header_is_rejected(void **state)
{
	struct packet_pool *pool = *state;
	struct spec s;
	spec_defaults(&s);
	struct packet *p;

	p = build(pool, &s);
	p->len = (uint16_t)(orig.l4 + 10);
	p->offload.hdr_len = 0;
	p->offload.flags = 0; /* so only the TCP header can be at fault */
	expect_segment_error(p, -EINVAL);

	p = build(pool, &s);
	p->len = (uint16_t)(orig.l4 + 24); /* options cut */
	p->offload.hdr_len = 0;
	expect_segment_error(p, -EINVAL);

	p = build(pool, &s);
	p->data[orig.l4 + 12] = 0x40; /* data offset 16 bytes */
	expect_segment_error(p, -EINVAL);

	p = build(pool, &s);
	p->data[orig.l4 + 12] = 0xf0; /* 60 bytes, past a short frame */
	p->len = (uint16_t)(orig.l4 + 40);
	p->offload.hdr_len = 0;
	expect_segment_error(p, -EINVAL);

	p = build(pool, &s);
	p->len = 13; /* not even an Ethernet header */
	p->offload.hdr_len = 0;
	p->offload.flags = 0;
	expect_segment_error(p, -EINVAL);
}

static void test_random_damage_never_crashes_or_leaks(void **state)
{
	struct packet_pool *pool = *state;
	for (int iter = 0; iter < 3000; iter++) {
		struct spec s;
		spec_defaults(&s);
		s.ipv6 = rng() & 1;
		s.tagged = rng() & 1;
		s.udp = (rng() % 4) == 0;
		s.payload = rng() % 3000;
		s.gso_size = (uint16_t)rng_range(0, 1500);
		struct packet *p = build(pool, &s);
		/* Damage header bytes, the length and the offload header. */
		for (int n = rng() % 4; n > 0; n--)
			p->data[rng() % (orig.hdr_len + 8)] = (uint8_t)rng();
		if (rng() % 4 == 0)
			p->len = (uint16_t)(rng() % (p->len + 1));
		if (rng() % 4 == 0)
			p->offload.csum_start = (uint16_t)rng();
		if (rng() % 4 == 0)
			p->offload.csum_offset = (uint16_t)(rng() % 64);
		if (rng() % 4 == 0)
			p->offload.hdr_len = (uint16_t)rng();
		if (rng() % 8 == 0)
			p->offload.gso_type = (uint8_t)rng();
		struct packet_batch out;
		packet_batch_init(&out);
		if (packet_gso_segment(p, &out) == 0)
			packet_batch_free(&out);
		else
			packet_free(p);
		assert_int_equal(pool->available, pool->size);
	}
}

/* ---- resources ---- */

static void test_full_batch_gives_enospc_before_anything_changes(void **state)
{
	struct packet_pool *pool = *state;
	struct spec s;
	spec_defaults(&s);
	struct packet_batch out;
	packet_batch_init(&out);
	out.count = BATCH_SIZE - 13; /* 14 segments needed; slots hold nothing */
	struct packet *p = build(pool, &s);
	assert_int_equal(packet_gso_segment(p, &out), -ENOSPC);
	assert_int_equal(out.count, BATCH_SIZE - 13);
	assert_true(p->flags & PACKET_F_OFFLOAD);
	assert_memory_equal(p->data, orig.frame, orig.len);

	/* After a flush the caller retries with the same packet. */
	packet_batch_init(&out);
	assert_int_equal(packet_gso_segment(p, &out), 0);
	check_tcp_segments(&out, 0, &s);
	packet_batch_free(&out);

	s.gso_size = 0;
	p = build(pool, &s);
	out.count = BATCH_SIZE;
	assert_int_equal(packet_gso_segment(p, &out), -ENOSPC);
	packet_free(p);

	s.gso_size = 1;
	s.payload = 257; /* more segments than any batch holds */
	p = build(pool, &s);
	packet_batch_init(&out);
	expect_segment_error(p, -ENOSPC);
}

static void test_dry_pool_gives_enobufs_and_keeps_nothing(void **state)
{
	(void)state;
	struct packet_pool *small = packet_pool_create(8, DATA_ROOM);
	assert_non_null(small);
	struct spec s;
	spec_defaults(&s);
	struct packet *p = build(small, &s);
	expect_segment_error(p, -ENOBUFS);
	assert_int_equal(small->available, small->size);

	/* Exactly enough: the frame itself becomes the first segment. */
	s.payload = 8 * 1448;
	segment_and_check(small, &s);
	packet_pool_destroy(small);
}

static void test_segment_larger_than_pool_buffer_is_rejected(void **state)
{
	struct spec s;
	spec_defaults(&s);
	s.payload = 2000;
	s.gso_size = 1990;
	packet_free(build(*state, &s)); /* only to fill `orig` */

	/* In a pool of 2048-byte buffers, a 2066-byte frame fits only by
	 * using the headroom, and its first segment would not fit at all. */
	struct packet_pool *pool = packet_pool_create(4, 0);
	assert_non_null(pool);
	struct packet *p = packet_alloc(pool);
	p->data = p->buffer;
	memcpy(p->data, orig.frame, orig.len);
	p->len = (uint16_t)orig.len;
	p->flags = PACKET_F_OFFLOAD;
	memset(&p->offload, 0, sizeof(p->offload));
	p->offload.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	p->offload.gso_size = s.gso_size;
	expect_segment_error(p, -EMSGSIZE);
	packet_pool_destroy(pool);
}

/* ---- property: any size, any MSS ---- */

static void test_random_sizes_and_mss_reassemble_with_valid_checksums(void **state)
{
	struct packet_pool *pool = *state;
	for (int iter = 0; iter < 400; iter++) {
		struct spec s;
		spec_defaults(&s);
		s.ipv6 = rng() & 1;
		s.tagged = rng() & 1;
		s.tcp_opt_len = (uint8_t)(4 * rng_range(0, 10));
		s.payload = rng_range(0, MAX_FRAME - 18 - 40 - 60);
		uint32_t min_mss = (s.payload + BATCH_SIZE - 1) / BATCH_SIZE;
		s.gso_size = (uint16_t)rng_range(min_mss ? min_mss : 1, 9000);
		s.seq = rng();
		s.ip_id = (uint16_t)rng();
		s.tcp_flags = (uint8_t)(rng() | TCP_ACK);
		s.hdr_len_hint = rng() % 3 == 0 ? (int)(rng() % 55) : -1; /* <= any len */
		segment_and_check(pool, &s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csum_matches_rfc1071_example),
	    cmocka_unit_test(test_csum_matches_bytewise_reference_at_any_length_and_alignment),
	    cmocka_unit_test(test_csum_carries_are_never_lost),
	    cmocka_unit_test(test_csum_in_even_pieces_equals_csum_of_whole),
	    cmocka_unit_test_setup_teardown(test_ipv4_tcp_frame_is_cut_into_mss_segments, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_ipv6_tcp_frame_is_cut_into_mss_segments, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_tagged_frames_are_cut_behind_the_tag, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_ecn_bit_in_gso_type_is_accepted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hdr_len_hint_zero_or_wrong_is_recomputed, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_frame_within_one_mss_is_one_segment_in_place,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_segments_are_appended_after_what_out_holds, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_frame_filling_the_whole_batch_fits_exactly, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_udp_csum_only_frame_gets_valid_checksum, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_csum_only_frame_through_segment_is_completed_and_appended, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_frame_without_offload_passes_untouched, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_udp_checksum_zero_is_sent_as_ffff, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_ipv4_udp_frame_is_cut_into_fragments, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_ipv6_udp_fragmentation_is_not_supported, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_csum_start_beyond_frame_is_rejected, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_gso_header_inconsistent_with_frame_is_rejected,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lying_ip_header_length_is_rejected, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_truncated_tcp_header_is_rejected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_damage_never_crashes_or_leaks, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_full_batch_gives_enospc_before_anything_changes,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dry_pool_gives_enobufs_and_keeps_nothing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_segment_larger_than_pool_buffer_is_rejected, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_random_sizes_and_mss_reassemble_with_valid_checksums, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
