/* test_vxlan_gro.c — TCP coalescing of a UDP_GRO read's inner frames
 * (src/port/vxlan_gro.c): a clean run merges into one frame that the
 * engine's software GSO cuts back into exactly the segments that came in;
 * gaps, reordering, another flow, flags, changed options, fragments, IP
 * options and an over-long result end the run where Linux's GRO would; a
 * segment whose TCP checksum is wrong never joins one. */
#include <linux/virtio_net.h>

#include "helpers.h"
#include "lib/gso.h"
#include "port/vxlan_gro.h"

#define MSS  1000
#define SEQ0 0x7ffffc00u /* wraps past 2^31, not past 2^32 */
#define MAXS 70
#define SLOT (2048 + 8)

/* Segments laid out as a UDP_GRO read has them: 8 bytes (a VXLAN header)
 * in front of every frame but the first. */
struct run {
	uint8_t buf[MAXS * SLOT];
	const uint8_t *frames[MAXS];
	uint32_t lens[MAXS];
	uint32_t n;
	uint32_t at;
};

struct seg_spec {
	bool ipv6;
	uint32_t seq;
	uint32_t payload;
	uint16_t id;
	uint8_t flags;
	uint16_t sport;
	uint8_t ts; /* a byte of the timestamp option */
	uint16_t frag;
	bool ip_options;
};

static uint8_t payload_byte(uint32_t seq)
{
	return (uint8_t)(seq * 7 + 3);
}

/* Writes one frame (full, correct checksums) and returns its length. */
static uint32_t make_frame(uint8_t *f, const struct seg_spec *s)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
	memcpy(f, macs, 12);
	uint32_t l3 = ETH_HEADER_LEN, iphl = s->ipv6 ? 40 : (s->ip_options ? 24 : 20);
	uint32_t l4 = l3 + iphl, thl = 32, len = l4 + thl + s->payload;
	memset(f + l3, 0, iphl + thl);
	uint8_t *ip = f + l3, *t = f + l4;
	uint32_t sum;
	if (s->ipv6) {
		store_be16(f + 12, ETH_TYPE_IPV6);
		ip[0] = 0x60;
		store_be16(ip + 4, (uint16_t)(thl + s->payload));
		ip[6] = 6;
		ip[7] = 64;
		ip[8] = 0xfd;
		ip[23] = 1;
		ip[24] = 0xfd;
		ip[39] = 2;
		sum = csum_partial(ip + 8, 32, 0);
	} else {
		store_be16(f + 12, ETH_TYPE_IPV4);
		ip[0] = (uint8_t)(0x40 | iphl / 4);
		store_be16(ip + 2, (uint16_t)(len - l3));
		store_be16(ip + 4, s->id);
		store_be16(ip + 6, (uint16_t)(0x4000 | s->frag));
		ip[8] = 64;
		ip[9] = 6;
		store_be32(ip + 12, 0x0a000001);
		store_be32(ip + 16, 0x0a000002);
		store_be16(ip + 10, csum_fold(csum_partial(ip, iphl, 0)));
		sum = csum_partial(ip + 12, 8, 0);
	}
	store_be16(t, s->sport ? s->sport : 40000);
	store_be16(t + 2, 5201);
	store_be32(t + 4, s->seq);
	store_be32(t + 8, 0x12345678);
	t[12] = (uint8_t)((thl / 4) << 4);
	t[13] = s->flags ? s->flags : 0x10;
	store_be16(t + 14, 512);
	t[20] = 1; /* NOP NOP timestamp */
	t[21] = 1;
	t[22] = 8;
	t[23] = 10;
	t[27] = s->ts;
	for (uint32_t i = 0; i < s->payload; i++)
		f[l4 + thl + i] = payload_byte(s->seq + i);
	sum += 6 + thl + s->payload;
	store_be16(t + 16, csum_fold(csum_partial(t, thl + s->payload, sum)));
	return len;
}

static void add(struct run *r, const struct seg_spec *s)
{
	if (r->n)
		r->at += 8;
	r->frames[r->n] = r->buf + r->at;
	r->lens[r->n] = make_frame(r->buf + r->at, s);
	r->at += r->lens[r->n];
	r->n++;
}

/* n segments of a clean stream: MSS bytes each, the last `last` bytes. */
static void clean_run(struct run *r, bool ipv6, uint32_t n, uint32_t last)
{
	memset(r, 0, sizeof(*r));
	for (uint32_t i = 0; i < n; i++)
		add(r, &(struct seg_spec){.ipv6 = ipv6,
					  .seq = SEQ0 + i * MSS,
					  .payload = i + 1 == n ? last : MSS,
					  .id = (uint16_t)(0xfffe + i)});
}

static void replace(struct run *r, uint32_t i, const struct seg_spec *s)
{
	uint32_t len = make_frame((uint8_t *)r->frames[i], s);
	assert_true(len <= r->lens[i]); /* stays inside its slot */
	r->lens[i] = len;
}

static struct seg_spec spec_of(bool ipv6, uint32_t i)
{
	return (struct seg_spec){
	    .ipv6 = ipv6, .seq = SEQ0 + i * MSS, .payload = MSS, .id = (uint16_t)(0xfffe + i)};
}

/* Merges the run in place and cuts the result with the engine's GSO: the
 * segments must come back byte for byte. */
static void check_round_trip(bool ipv6, uint32_t n, uint32_t last, bool psh)
{
	static struct run r, orig;
	clean_run(&r, ipv6, n, last);
	if (psh) {
		struct seg_spec s = spec_of(ipv6, n - 1);
		s.payload = last;
		s.flags = 0x18;
		replace(&r, n - 1, &s);
	}
	orig = r;
	assert_int_equal(vxlan_gro_run(r.frames, r.lens, r.n, 65535), n);
	struct packet_offload off;
	uint32_t len = vxlan_gro_merge(r.buf, r.frames, r.lens, n, &off);
	uint32_t hdr = ETH_HEADER_LEN + (ipv6 ? 40 : 20) + 32;
	assert_int_equal(len, hdr + (n - 1) * MSS + last);
	assert_int_equal(off.gso_type, ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(off.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(off.gso_size, MSS);
	assert_int_equal(off.hdr_len, hdr);
	assert_int_equal(off.csum_start, hdr - 32);
	assert_int_equal(off.csum_offset, 16);

	struct packet_pool *pool = packet_pool_create(128, 65535);
	assert_non_null(pool);
	struct packet *p = packet_from_bytes(pool, r.buf, len);
	assert_non_null(p);
	p->flags |= PACKET_F_OFFLOAD;
	p->offload = off;
	struct packet_batch out;
	packet_batch_init(&out);
	assert_int_equal(packet_gso_segment(p, &out), 0);
	assert_int_equal(out.count, n);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(out.packets[i]->len, orig.lens[i]);
		const uint8_t *want = orig.buf + (r.frames[i] - r.buf);
		assert_memory_equal(out.packets[i]->data, want, orig.lens[i]);
	}
	packet_batch_free(&out);
	packet_pool_destroy(pool);
}

static void test_a_clean_ipv4_run_merges_and_segments_back_to_its_frames(void **state)
{
	(void)state;
	check_round_trip(false, 5, 321, false);
	check_round_trip(false, 2, MSS, false);
	check_round_trip(false, 7, 1, true); /* PSH on the last stays there */
}

static void test_a_clean_ipv6_run_merges_and_segments_back_to_its_frames(void **state)
{
	(void)state;
	check_round_trip(true, 6, 999, false);
	check_round_trip(true, 3, MSS, true);
}

static void test_merging_into_another_buffer_gives_the_same_frame(void **state)
{
	(void)state;
	static struct run r;
	static uint8_t dst[65536], in_place[65536];
	struct packet_offload a, b;
	clean_run(&r, false, 4, 10);
	uint32_t len = vxlan_gro_merge(dst, r.frames, r.lens, 4, &a);
	memcpy(in_place, dst, len);
	assert_int_equal(vxlan_gro_merge(r.buf, r.frames, r.lens, 4, &b), len);
	assert_memory_equal(r.buf, in_place, len);
	assert_memory_equal(&a, &b, sizeof(a));
}

/* Run of 6 with segment i replaced by s: the run ends before i (k == i),
 * or at it when `inclusive`. */
static void check_break(uint32_t i, struct seg_spec s, uint32_t want)
{
	static struct run r;
	clean_run(&r, s.ipv6, 6, MSS);
	replace(&r, i, &s);
	assert_int_equal(vxlan_gro_run(r.frames, r.lens, r.n, 65535), want);
}

static void test_gaps_reordering_and_other_flows_end_the_run(void **state)
{
	(void)state;
	struct seg_spec s = spec_of(false, 3);
	s.seq += 1; /* a gap */
	check_break(3, s, 3);
	s = spec_of(false, 2);
	s.seq = SEQ0 + MSS; /* a retransmission of the one before */
	check_break(2, s, 2);
	s = spec_of(false, 1);
	s.sport = 40001; /* another flow */
	check_break(1, s, 1);
	s = spec_of(true, 4);
	s.sport = 40001;
	check_break(4, s, 4);
	s = spec_of(false, 2);
	s.id += 5; /* IP ID not in sequence */
	check_break(2, s, 2);
	/* a segment longer than the first */
	static struct run r;
	clean_run(&r, false, 3, MSS);
	struct seg_spec first = spec_of(false, 0);
	first.payload = 500;
	replace(&r, 0, &first);
	struct seg_spec second = spec_of(false, 1);
	second.seq = SEQ0 + 500;
	replace(&r, 1, &second);
	assert_int_equal(vxlan_gro_run(r.frames, r.lens, r.n, 65535), 1);
}

static void test_flags_end_or_refuse_the_run(void **state)
{
	(void)state;
	const uint8_t refused[] = {0x11 /* FIN */,
				   0x12 /* SYN */,
				   0x14 /* RST */,
				   0x30 /* URG */,
				   0x50 /* ECE */,
				   0x90 /* CWR */,
				   0x00 /* no ACK */};
	for (size_t f = 0; f < ARRAY_SIZE(refused); f++) {
		struct seg_spec s = spec_of(false, 2);
		s.flags = refused[f] ? refused[f] : 0x08;
		check_break(2, s, 2);
		s = spec_of(false, 0);
		s.flags = refused[f] ? refused[f] : 0x08;
		check_break(0, s, 1);
	}
	struct seg_spec s = spec_of(false, 2);
	s.flags = 0x18; /* PSH: the last of the run */
	check_break(2, s, 3);
	s = spec_of(false, 0);
	s.flags = 0x18;
	check_break(0, s, 1);
	s = spec_of(false, 3);
	s.payload = 10; /* shorter: the last of the run */
	check_break(3, s, 4);
	s = spec_of(false, 3);
	s.payload = 0; /* a pure ACK never merges */
	check_break(3, s, 3);
}

static void test_options_fragments_and_bad_headers_end_the_run(void **state)
{
	(void)state;
	struct seg_spec s = spec_of(false, 2);
	s.ts = 9; /* the timestamp changed */
	check_break(2, s, 2);
	s = spec_of(false, 1);
	s.frag = 0x2000; /* more fragments */
	check_break(1, s, 1);
	s = spec_of(false, 0);
	s.frag = 0x0010; /* a fragment's offset */
	check_break(0, s, 1);
	s = spec_of(false, 0);
	s.payload -= 4;
	s.ip_options = true; /* IP options are not merged */
	check_break(0, s, 1);
	static struct run r;
	clean_run(&r, false, 4, MSS);
	((uint8_t *)r.frames[2])[ETH_HEADER_LEN + 11] ^= 1; /* a bad header checksum */
	assert_int_equal(vxlan_gro_run(r.frames, r.lens, r.n, 65535), 2);
	clean_run(&r, false, 4, MSS);
	r.lens[1] += 2; /* Ethernet padding: the IP length disagrees */
	assert_int_equal(vxlan_gro_run(r.frames, r.lens, r.n, 65535), 1);
}

static void test_the_result_never_exceeds_the_buffer_or_64_segments(void **state)
{
	(void)state;
	static struct run r;
	clean_run(&r, false, 6, MSS);
	uint32_t one = r.lens[0];
	/* room for the first frame and two more payloads */
	assert_int_equal(vxlan_gro_run(r.frames, r.lens, r.n, one + 2 * MSS), 3);
	assert_int_equal(vxlan_gro_run(r.frames, r.lens, r.n, one + 2 * MSS - 1), 2);
	assert_int_equal(vxlan_gro_run(r.frames, r.lens, r.n, one), 1);
	/* 70 segments of 900 bytes: the 64-segment cap comes first */
	memset(&r, 0, sizeof(r));
	for (uint32_t i = 0; i < MAXS; i++)
		add(&r,
		    &(struct seg_spec){.seq = SEQ0 + i * 900, .payload = 900, .id = (uint16_t)i});
	assert_int_equal(vxlan_gro_run(r.frames, r.lens, r.n, 1 << 20), VXLAN_GRO_MAX_SEGS);
	/* 1400-byte payloads: 65535 bytes end it first (66 header bytes) */
	memset(&r, 0, sizeof(r));
	for (uint32_t i = 0; i < 50; i++)
		add(&r,
		    &(struct seg_spec){.seq = SEQ0 + i * 1400, .payload = 1400, .id = (uint16_t)i});
	uint32_t k = vxlan_gro_run(r.frames, r.lens, r.n, 1 << 20);
	assert_int_equal(k, 1 + (65535 - 1466) / 1400);
	struct packet_offload off;
	assert_true(vxlan_gro_merge(r.buf, r.frames, r.lens, k, &off) <= 65535);
	assert_int_equal(vxlan_gro_run(r.frames, r.lens, 1, 65535), 1);
}

/* Takes the run apart as the vxlan port does (vxlan.c, receive_gro):
 * pieces[] gets each piece's segment count (0 for a segment delivered alone
 * for its bad checksum), merging the runs in place; returns the pieces. */
static uint32_t take_apart(struct run *r, uint32_t *pieces, uint32_t *bad)
{
	uint32_t np = 0;
	*bad = 0;
	for (uint32_t j = 0; j < r->n;) {
		uint32_t k = vxlan_gro_run(&r->frames[j], &r->lens[j], r->n - j, 65535);
		pieces[np++] = k;
		if (!k) {
			(*bad)++;
			k = 1;
		} else if (k > 1) {
			struct packet_offload off;
			uint8_t *dst = (uint8_t *)r->frames[j];
			uint32_t len = vxlan_gro_merge(dst, &r->frames[j], &r->lens[j], k, &off);
			/* the fresh partial checksum, completed, verifies */
			uint32_t l4 = off.csum_start, sum = ETH_HEADER_LEN + 20 == l4
								? csum_partial(dst + 26, 8, 0)
								: csum_partial(dst + 22, 32, 0);
			store_be16(dst + l4 + 16, csum_fold(csum_partial(dst + l4, len - l4, 0)));
			assert_int_equal(
			    csum_fold(csum_partial(dst + l4, len - l4, sum + 6 + len - l4)), 0);
		}
		j += k;
	}
	return np;
}

/* Run of 6 with one payload byte of segment i flipped (or its checksum left
 * partial): the segments before it merge, it is delivered alone and
 * unchanged, the ones after it merge. */
static void check_corrupt(bool ipv6, uint32_t i, bool partial, const uint32_t *want,
			  uint32_t n_want)
{
	static struct run r;
	static uint8_t bad[SLOT];
	clean_run(&r, ipv6, 6, MSS);
	uint8_t *f = (uint8_t *)r.frames[i];
	uint32_t l4 = ETH_HEADER_LEN + (ipv6 ? 40 : 20);
	if (partial) /* the pseudo-header sum, as CHECKSUM_PARTIAL leaves it */
		store_be16(f + l4 + 16,
			   (uint16_t)~csum_fold(csum_partial(f + (ipv6 ? 22 : 26), ipv6 ? 32 : 8,
							     6 + r.lens[i] - l4)));
	else
		f[l4 + 32 + 500] ^= 0x04;
	memcpy(bad, f, r.lens[i]);
	uint32_t bad_len = r.lens[i], pieces[6], n_bad;
	assert_int_equal(take_apart(&r, pieces, &n_bad), n_want);
	assert_memory_equal(pieces, want, n_want * sizeof(*want));
	assert_int_equal(n_bad, 1);
	assert_int_equal(r.lens[i], bad_len);
	assert_memory_equal(r.frames[i], bad, bad_len);
}

static void test_a_segment_with_a_bad_tcp_checksum_is_delivered_alone(void **state)
{
	(void)state;
	for (int ipv6 = 0; ipv6 < 2; ipv6++) {
		check_corrupt(ipv6, 3, false, (const uint32_t[]){3, 0, 2}, 3);
		check_corrupt(ipv6, 1, false, (const uint32_t[]){1, 0, 4}, 3);
		check_corrupt(ipv6, 0, false, (const uint32_t[]){0, 5}, 2);
		check_corrupt(ipv6, 5, false, (const uint32_t[]){5, 0}, 2);
		check_corrupt(ipv6, 2, true, (const uint32_t[]){2, 0, 3}, 3);
	}
	/* alone in the read, a bad segment still says so */
	static struct run r;
	clean_run(&r, false, 1, MSS);
	((uint8_t *)r.frames[0])[100] ^= 1;
	assert_int_equal(vxlan_gro_run(r.frames, r.lens, 1, 65535), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_clean_ipv4_run_merges_and_segments_back_to_its_frames),
	    cmocka_unit_test(test_a_clean_ipv6_run_merges_and_segments_back_to_its_frames),
	    cmocka_unit_test(test_merging_into_another_buffer_gives_the_same_frame),
	    cmocka_unit_test(test_gaps_reordering_and_other_flows_end_the_run),
	    cmocka_unit_test(test_flags_end_or_refuse_the_run),
	    cmocka_unit_test(test_options_fragments_and_bad_headers_end_the_run),
	    cmocka_unit_test(test_the_result_never_exceeds_the_buffer_or_64_segments),
	    cmocka_unit_test(test_a_segment_with_a_bad_tcp_checksum_is_delivered_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
