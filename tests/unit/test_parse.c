/* test_parse.c — parse_frame() (src/engine/parse.c): runts, truncated tags,
 * stacked tags read as 802.1Q says (the outer C-tag counts, the rest is
 * payload), the MTU, the source addresses a bridge refuses and the
 * reserved destinations it never relays (DESIGN §3 rules 1, 2 and 5), and a
 * property test that the parser reads nothing beyond the frame's length. */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#define MTU DEFAULT_MTU

static const uint8_t unicast_dst[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t unicast_src[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

/* dst, src, then the given 16-bit words from offset 12, zero-filled to len. */
static uint32_t build(uint8_t *buf, uint32_t len, const uint8_t *dst, const uint8_t *src,
		      const uint16_t *words, unsigned n_words)
{
	memset(buf, 0, len);
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	for (unsigned i = 0; i < n_words; i++)
		store_be16(buf + 12 + 2 * i, words[i]);
	return len;
}

/* A header filled with values parse_frame must overwrite. */
static struct frame_header dirty_header(void)
{
	return (struct frame_header){
	    .tci = 0xbeef, .tagged = true, .inline_tag = true, .stacked = true};
}

static enum drop_reason parse_untagged(const uint8_t *dst, const uint8_t *src, uint32_t len)
{
	uint8_t buf[2048];
	struct frame_header h = dirty_header();
	build(buf, len, dst, src, (const uint16_t[]){0x0800}, 1);
	return parse_frame(buf, len, false, 0, MTU, &h);
}

static void test_plain_untagged_frame_passes(void **state)
{
	(void)state;
	uint8_t buf[60];
	struct frame_header h = dirty_header();
	build(buf, sizeof(buf), unicast_dst, unicast_src, (const uint16_t[]){0x0800}, 1);
	assert_int_equal(parse_frame(buf, sizeof(buf), false, 0, MTU, &h), DROP_NONE);
	assert_false(h.tagged);
	assert_false(h.inline_tag);
	assert_false(h.stacked);
	assert_int_equal(h.tci, 0);
}

static void test_frame_of_exactly_header_length_passes(void **state)
{
	(void)state;
	assert_int_equal(parse_untagged(unicast_dst, unicast_src, ETH_HEADER_LEN), DROP_NONE);
}

static void test_frame_one_byte_short_of_header_is_runt(void **state)
{
	(void)state;
	assert_int_equal(parse_untagged(unicast_dst, unicast_src, ETH_HEADER_LEN - 1), DROP_RUNT);
}

static void test_empty_frame_is_runt(void **state)
{
	(void)state;
	struct frame_header h = dirty_header();
	uint8_t byte = 0;
	assert_int_equal(parse_frame(&byte, 0, false, 0, MTU, &h), DROP_RUNT);
	assert_false(h.tagged);
}

static void test_truncated_vlan_tag_is_bad_tag(void **state)
{
	(void)state;
	uint8_t buf[18];
	for (uint32_t len = ETH_HEADER_LEN; len < ETH_HEADER_LEN + VLAN_TAG_LEN; len++) {
		struct frame_header h = dirty_header();
		build(buf, len, unicast_dst, unicast_src, (const uint16_t[]){ETH_TYPE_VLAN}, 1);
		assert_int_equal(parse_frame(buf, len, false, 0, MTU, &h), DROP_BAD_TAG);
	}
	/* Exactly a full tag and no ethertype payload is enough. */
	struct frame_header h = dirty_header();
	build(buf, 18, unicast_dst, unicast_src, (const uint16_t[]){ETH_TYPE_VLAN, 7}, 2);
	assert_int_equal(parse_frame(buf, 18, false, 0, MTU, &h), DROP_NONE);
}

static void test_inline_tag_is_reported_with_pcp(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct frame_header h = dirty_header();
	uint16_t tci = (5 << 13) | (1 << 12) | 100; /* PCP 5, DEI, VID 100 */
	build(buf, sizeof(buf), unicast_dst, unicast_src,
	      (const uint16_t[]){ETH_TYPE_VLAN, tci, 0x0800}, 3);
	assert_int_equal(parse_frame(buf, sizeof(buf), false, 0, MTU, &h), DROP_NONE);
	assert_true(h.tagged);
	assert_true(h.inline_tag);
	assert_false(h.stacked);
	assert_int_equal(h.tci, tci);
	assert_int_equal(h.type, 0x0800);
}

static void test_priority_tag_is_reported_tagged_with_vid_0(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct frame_header h = dirty_header();
	uint16_t tci = 3 << 13; /* PCP 3, VID 0 */
	build(buf, sizeof(buf), unicast_dst, unicast_src,
	      (const uint16_t[]){ETH_TYPE_VLAN, tci, 0x0800}, 3);
	assert_int_equal(parse_frame(buf, sizeof(buf), false, 0, MTU, &h), DROP_NONE);
	assert_true(h.tagged);
	assert_true(h.inline_tag);
	assert_int_equal(h.tci & 0x0fff, 0);
	assert_int_equal(h.tci, tci);
}

static enum drop_reason parse_two_tags(uint16_t outer, uint16_t inner, struct frame_header *h)
{
	uint8_t buf[64];
	*h = dirty_header();
	build(buf, sizeof(buf), unicast_dst, unicast_src,
	      (const uint16_t[]){outer, 10, inner, 20, 0x0800}, 5);
	return parse_frame(buf, sizeof(buf), false, 0, MTU, h);
}

static void test_double_8021q_tag_takes_the_outer_and_carries_the_inner(void **state)
{
	(void)state;
	struct frame_header h;
	assert_int_equal(parse_two_tags(ETH_TYPE_VLAN, ETH_TYPE_VLAN, &h), DROP_NONE);
	assert_true(h.tagged);
	assert_true(h.inline_tag);
	assert_int_equal(h.tci, 10); /* the outer tag is the frame's VLAN */
	assert_true(h.stacked);
	assert_int_equal(h.type, ETH_TYPE_VLAN); /* the inner tag is payload */
}

static void test_8021ad_tag_inside_8021q_is_payload(void **state)
{
	(void)state;
	const uint16_t inners[] = {ETH_TYPE_QINQ, ETH_TYPE_QINQ_OLD};
	for (unsigned i = 0; i < ARRAY_SIZE(inners); i++) {
		struct frame_header h;
		assert_int_equal(parse_two_tags(ETH_TYPE_VLAN, inners[i], &h), DROP_NONE);
		assert_true(h.tagged);
		assert_int_equal(h.tci, 10);
		assert_true(h.stacked);
		assert_int_equal(h.type, inners[i]);
	}
}

static void test_outer_service_tag_makes_the_frame_untagged(void **state)
{
	(void)state;
	uint8_t buf[64];
	const uint16_t outers[] = {ETH_TYPE_QINQ, ETH_TYPE_QINQ_OLD};
	for (unsigned i = 0; i < ARRAY_SIZE(outers); i++) {
		/* S-tag alone, and S-tag + C-tag (the usual QinQ frame) */
		const uint16_t alone[] = {outers[i], 10, 0x0800};
		const uint16_t with_c[] = {outers[i], 10, ETH_TYPE_VLAN, 20, 0x0800};
		for (unsigned form = 0; form < 2; form++) {
			struct frame_header h = dirty_header();
			build(buf, sizeof(buf), unicast_dst, unicast_src, form ? with_c : alone,
			      form ? 5 : 3);
			assert_int_equal(parse_frame(buf, sizeof(buf), false, 0, MTU, &h),
					 DROP_NONE);
			assert_false(h.tagged); /* it takes the port's PVID */
			assert_false(h.inline_tag);
			assert_int_equal(h.tci, 0);
			assert_true(h.stacked);
			assert_int_equal(h.type, outers[i]);
		}
	}
}

static void test_service_tag_needs_no_room_for_a_tag(void **state)
{
	(void)state;
	/* Payload, not a tag: 14 bytes are a whole frame to a C-VLAN bridge. */
	uint8_t buf[ETH_HEADER_LEN];
	struct frame_header h = dirty_header();
	build(buf, sizeof(buf), unicast_dst, unicast_src, (const uint16_t[]){ETH_TYPE_QINQ}, 1);
	assert_int_equal(parse_frame(buf, sizeof(buf), false, 0, MTU, &h), DROP_NONE);
	assert_true(h.stacked);
}

static void test_second_tag_counts_against_mtu(void **state)
{
	(void)state;
	uint8_t buf[ETH_HEADER_LEN + 2 * VLAN_TAG_LEN + MTU];
	struct frame_header h;
	build(buf, sizeof(buf), unicast_dst, unicast_src,
	      (const uint16_t[]){ETH_TYPE_VLAN, 3, ETH_TYPE_VLAN, 100, 0x0800}, 5);
	/* the outer tag is free, the inner one is 4 bytes of payload */
	assert_int_equal(parse_frame(buf, sizeof(buf) - VLAN_TAG_LEN, false, 0, MTU, &h),
			 DROP_NONE);
	assert_int_equal(parse_frame(buf, sizeof(buf), false, 0, MTU, &h), DROP_OVERSIZE);
	assert_int_equal(parse_frame(buf, sizeof(buf), false, 0, MTU + VLAN_TAG_LEN, &h),
			 DROP_NONE);
}

static void test_kernel_stripped_tag_is_tagged_not_inline(void **state)
{
	(void)state;
	uint8_t buf[60];
	struct frame_header h = dirty_header();
	uint16_t tci = (6 << 13) | 42;
	build(buf, sizeof(buf), unicast_dst, unicast_src, (const uint16_t[]){0x0800}, 1);
	assert_int_equal(parse_frame(buf, sizeof(buf), true, tci, MTU, &h), DROP_NONE);
	assert_true(h.tagged);
	assert_false(h.inline_tag);
	assert_false(h.stacked);
	assert_int_equal(h.tci, tci);
}

static void test_kernel_stripped_tag_plus_inline_tag_is_payload(void **state)
{
	(void)state;
	uint8_t buf[64];
	const uint16_t inners[] = {ETH_TYPE_VLAN, ETH_TYPE_QINQ, ETH_TYPE_QINQ_OLD};
	for (unsigned i = 0; i < ARRAY_SIZE(inners); i++) {
		struct frame_header h = dirty_header();
		build(buf, sizeof(buf), unicast_dst, unicast_src,
		      (const uint16_t[]){inners[i], 20, 0x0800}, 3);
		assert_int_equal(parse_frame(buf, sizeof(buf), true, 10, MTU, &h), DROP_NONE);
		assert_true(h.tagged);
		assert_false(h.inline_tag);
		assert_int_equal(h.tci, 10); /* the stripped (outer) tag counts */
		assert_true(h.stacked);
		assert_int_equal(h.type, inners[i]);
	}
}

static void test_untagged_payload_of_exactly_mtu_passes(void **state)
{
	(void)state;
	assert_int_equal(parse_untagged(unicast_dst, unicast_src, ETH_HEADER_LEN + MTU), DROP_NONE);
}

static void test_untagged_payload_over_mtu_is_oversize(void **state)
{
	(void)state;
	assert_int_equal(parse_untagged(unicast_dst, unicast_src, ETH_HEADER_LEN + MTU + 1),
			 DROP_OVERSIZE);
}

static enum drop_reason parse_tagged_of_length(uint32_t len)
{
	uint8_t buf[2048];
	struct frame_header h = dirty_header();
	build(buf, len, unicast_dst, unicast_src, (const uint16_t[]){ETH_TYPE_VLAN, 5, 0x0800}, 3);
	return parse_frame(buf, len, false, 0, MTU, &h);
}

static void test_inline_tag_does_not_count_against_mtu(void **state)
{
	(void)state;
	uint32_t header = ETH_HEADER_LEN + VLAN_TAG_LEN;
	assert_int_equal(parse_tagged_of_length(header + MTU), DROP_NONE);
	assert_int_equal(parse_tagged_of_length(header + MTU + 1), DROP_OVERSIZE);
}

static void test_kernel_stripped_tag_payload_is_held_to_mtu(void **state)
{
	(void)state;
	uint8_t buf[2048];
	struct frame_header h = dirty_header();
	build(buf, ETH_HEADER_LEN + MTU + 1, unicast_dst, unicast_src, (const uint16_t[]){0x0800},
	      1);
	assert_int_equal(parse_frame(buf, ETH_HEADER_LEN + MTU, true, 5, MTU, &h), DROP_NONE);
	assert_int_equal(parse_frame(buf, ETH_HEADER_LEN + MTU + 1, true, 5, MTU, &h),
			 DROP_OVERSIZE);
}

static void test_mtu_is_the_callers(void **state)
{
	(void)state;
	uint8_t buf[ETH_HEADER_LEN + 100];
	struct frame_header h = dirty_header();
	build(buf, sizeof(buf), unicast_dst, unicast_src, (const uint16_t[]){0x0800}, 1);
	assert_int_equal(parse_frame(buf, sizeof(buf), false, 0, 100, &h), DROP_NONE);
	assert_int_equal(parse_frame(buf, sizeof(buf), false, 0, 99, &h), DROP_OVERSIZE);
}

static void test_multicast_source_is_dropped(void **state)
{
	(void)state;
	const uint8_t group_src[6] = {0x03, 0x00, 0x00, 0x00, 0x00, 0x01};
	assert_int_equal(parse_untagged(unicast_dst, group_src, 60), DROP_MULTICAST_SOURCE);
	assert_int_equal(parse_untagged(unicast_dst, test_broadcast, 60), DROP_MULTICAST_SOURCE);
}

static void test_zero_source_is_dropped(void **state)
{
	(void)state;
	const uint8_t zero[6] = {0};
	assert_int_equal(parse_untagged(unicast_dst, zero, 60), DROP_ZERO_SOURCE);
}

static void test_stp_bpdu_destination_is_bpdu(void **state)
{
	(void)state;
	const uint8_t stp[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00};
	assert_int_equal(parse_untagged(stp, unicast_src, 60), DROP_BPDU);
}

static void test_pvst_destination_is_bpdu(void **state)
{
	(void)state;
	const uint8_t pvst[6] = {0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcd};
	assert_int_equal(parse_untagged(pvst, unicast_src, 60), DROP_BPDU);
	/* A neighbour of the PVST+ address is an ordinary multicast group. */
	const uint8_t cdp[6] = {0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc};
	assert_int_equal(parse_untagged(cdp, unicast_src, 60), DROP_NONE);
}

static void test_ieee_reserved_destinations_are_link_local(void **state)
{
	(void)state;
	uint8_t dst[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00};
	for (uint8_t last = 0x01; last <= 0x0f; last++) {
		dst[5] = last;
		assert_int_equal(parse_untagged(dst, unicast_src, 60), DROP_LINK_LOCAL);
	}
	dst[5] = 0x02; /* LACP / slow protocols */
	assert_int_equal(parse_untagged(dst, unicast_src, 60), DROP_LINK_LOCAL);
	dst[5] = 0x0e; /* LLDP */
	assert_int_equal(parse_untagged(dst, unicast_src, 60), DROP_LINK_LOCAL);
}

static void test_first_address_past_reserved_block_passes(void **state)
{
	(void)state;
	const uint8_t dst[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x10};
	assert_int_equal(parse_untagged(dst, unicast_src, 60), DROP_NONE);
}

static void test_broadcast_and_multicast_destinations_pass(void **state)
{
	(void)state;
	const uint8_t ipv4_mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
	const uint8_t ipv6_mcast[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
	assert_int_equal(parse_untagged(test_broadcast, unicast_src, 60), DROP_NONE);
	assert_int_equal(parse_untagged(ipv4_mcast, unicast_src, 60), DROP_NONE);
	assert_int_equal(parse_untagged(ipv6_mcast, unicast_src, 60), DROP_NONE);
}

/* xorshift64*: a fixed seed makes a failure reproducible. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* Each buffer is malloc'ed at exactly len bytes, so under ASan a read past
 * the end is reported at once. Tag ethertypes are seeded often, because
 * random bytes would rarely reach the tag branches otherwise. */
static void test_parser_reads_only_within_len(void **state)
{
	(void)state;
	static const uint16_t types[] = {ETH_TYPE_VLAN, ETH_TYPE_QINQ, ETH_TYPE_QINQ_OLD, 0x0800};
	uint64_t seed = 0x5eed5eed1234ULL;
	unsigned seen[DROP_MAX] = {0}, stacked = 0;
	for (unsigned n = 0; n < 100000; n++) {
		uint32_t len = (uint32_t)(next_random(&seed) % 101);
		uint8_t *buf = malloc(len);
		if (len)
			assert_non_null(buf);
		for (uint32_t i = 0; i < len; i++)
			buf[i] = (uint8_t)next_random(&seed);
		uint64_t r = next_random(&seed);
		if (len >= 14 && (r & 1))
			store_be16(buf + 12, types[(r >> 1) % ARRAY_SIZE(types)]);
		if (len >= 18 && (r & 8))
			store_be16(buf + 16, types[(r >> 4) % ARRAY_SIZE(types)]);
		if (len >= 12 && (r & 64))
			buf[6] &= 0xfe; /* unicast source, so later checks are reached */
		if (len >= 1 && (r & 128))
			buf[0] &= 0xfe;
		bool meta = (r >> 8) & 1;
		struct frame_header h;
		enum drop_reason why = parse_frame(buf, len, meta, (uint16_t)(r >> 16), 60, &h);
		assert_true(why < DROP_MAX);
		assert_int_not_equal(why, DROP_STACKED_TAG); /* the port's guard decides */
		if (why == DROP_NONE && h.stacked)
			stacked++;
		seen[why]++;
		free(buf);
	}
	/* The generator must have reached the interesting branches. */
	assert_true(seen[DROP_NONE] > 0);
	assert_true(seen[DROP_RUNT] > 0);
	assert_true(seen[DROP_BAD_TAG] > 0);
	assert_true(stacked > 0);
	assert_true(seen[DROP_OVERSIZE] > 0);
	assert_true(seen[DROP_MULTICAST_SOURCE] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_untagged_frame_passes),
	    cmocka_unit_test(test_frame_of_exactly_header_length_passes),
	    cmocka_unit_test(test_frame_one_byte_short_of_header_is_runt),
	    cmocka_unit_test(test_empty_frame_is_runt),
	    cmocka_unit_test(test_truncated_vlan_tag_is_bad_tag),
	    cmocka_unit_test(test_inline_tag_is_reported_with_pcp),
	    cmocka_unit_test(test_priority_tag_is_reported_tagged_with_vid_0),
	    cmocka_unit_test(test_double_8021q_tag_takes_the_outer_and_carries_the_inner),
	    cmocka_unit_test(test_8021ad_tag_inside_8021q_is_payload),
	    cmocka_unit_test(test_outer_service_tag_makes_the_frame_untagged),
	    cmocka_unit_test(test_service_tag_needs_no_room_for_a_tag),
	    cmocka_unit_test(test_second_tag_counts_against_mtu),
	    cmocka_unit_test(test_kernel_stripped_tag_is_tagged_not_inline),
	    cmocka_unit_test(test_kernel_stripped_tag_plus_inline_tag_is_payload),
	    cmocka_unit_test(test_untagged_payload_of_exactly_mtu_passes),
	    cmocka_unit_test(test_untagged_payload_over_mtu_is_oversize),
	    cmocka_unit_test(test_inline_tag_does_not_count_against_mtu),
	    cmocka_unit_test(test_kernel_stripped_tag_payload_is_held_to_mtu),
	    cmocka_unit_test(test_mtu_is_the_callers),
	    cmocka_unit_test(test_multicast_source_is_dropped),
	    cmocka_unit_test(test_zero_source_is_dropped),
	    cmocka_unit_test(test_stp_bpdu_destination_is_bpdu),
	    cmocka_unit_test(test_pvst_destination_is_bpdu),
	    cmocka_unit_test(test_ieee_reserved_destinations_are_link_local),
	    cmocka_unit_test(test_first_address_past_reserved_block_passes),
	    cmocka_unit_test(test_broadcast_and_multicast_destinations_pass),
	    cmocka_unit_test(test_parser_reads_only_within_len),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
