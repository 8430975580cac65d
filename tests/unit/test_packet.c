/* test_packet.c — packet buffers and their pool (src/lib/packet.c): how many
 * a pool hands out, headroom, copying frames in, pushing and popping 802.1Q
 * tags, cloning and batches; and frame building and MAC address text
 * (src/lib/frame.c), which the tests and the demo use to make traffic. */
#include "helpers.h"

#include <errno.h>
#include <string.h>

#define POOL_SIZE 8

static int setup(void **state)
{
	struct packet_pool *pool = packet_pool_create(POOL_SIZE, 0);
	assert_non_null(pool);
	*state = pool;
	return 0;
}

static int teardown(void **state)
{
	struct packet_pool *pool = *state;
	/* Every test must give back what it took. */
	assert_int_equal(pool->available, pool->size);
	packet_pool_destroy(pool);
	return 0;
}

/* A 60-byte frame whose every byte differs from its neighbours. */
static void sample_frame(uint8_t frame[60])
{
	for (unsigned i = 0; i < 60; i++)
		frame[i] = (uint8_t)(i * 7 + 1);
}

static void test_pool_hands_out_exactly_size_packets(void **state)
{
	struct packet_pool *pool = *state;
	struct packet *p[POOL_SIZE];
	for (unsigned i = 0; i < POOL_SIZE; i++) {
		p[i] = packet_alloc(pool);
		assert_non_null(p[i]);
		for (unsigned j = 0; j < i; j++)
			assert_ptr_not_equal(p[i], p[j]);
	}
	assert_int_equal(pool->available, 0);
	assert_null(packet_alloc(pool));
	packet_free(p[3]);
	struct packet *again = packet_alloc(pool);
	assert_ptr_equal(again, p[3]);
	assert_null(packet_alloc(pool));
	for (unsigned i = 0; i < POOL_SIZE; i++)
		packet_free(p[i]);
	assert_int_equal(pool->available, POOL_SIZE);
}

static void test_fresh_packet_has_full_headroom_and_no_data(void **state)
{
	struct packet_pool *pool = *state;
	struct packet *p = packet_alloc(pool);
	assert_non_null(p);
	assert_int_equal(packet_headroom(p), PACKET_HEADROOM);
	assert_int_equal(p->len, 0);
	assert_int_equal(p->flags, 0);
	assert_int_equal(p->drop, 0);
	assert_int_equal(packet_tailroom(p), pool->data_room);
	assert_int_equal(pool->data_room, PACKET_DEFAULT_DATA_ROOM);
	assert_ptr_equal(p->pool, pool);
	packet_free(p);
}

static void test_reused_packet_gets_headroom_back(void **state)
{
	struct packet_pool *pool = *state;
	uint8_t frame[60];
	sample_frame(frame);
	struct packet *p = packet_from_bytes(pool, frame, sizeof(frame));
	assert_non_null(p);
	assert_true(packet_push_vlan(p, 5));
	p->drop = DROP_TX_FULL;
	packet_free(p);
	struct packet *q = packet_alloc(pool);
	assert_ptr_equal(q, p); /* LIFO: the same buffer comes back */
	assert_int_equal(packet_headroom(q), PACKET_HEADROOM);
	assert_int_equal(q->len, 0);
	assert_int_equal(q->flags, 0);
	assert_int_equal(q->drop, 0);
	packet_free(q);
}

static void test_from_bytes_copies_the_frame(void **state)
{
	struct packet_pool *pool = *state;
	uint8_t frame[60];
	sample_frame(frame);
	struct packet *p = packet_from_bytes(pool, frame, sizeof(frame));
	assert_non_null(p);
	assert_int_equal(p->len, sizeof(frame));
	assert_int_equal(packet_headroom(p), PACKET_HEADROOM);
	memset(frame, 0, sizeof(frame)); /* the packet holds its own copy */
	uint8_t expected[60];
	sample_frame(expected);
	assert_memory_equal(p->data, expected, sizeof(expected));
	packet_free(p);
}

static void test_from_bytes_rejects_frame_larger_than_data_room(void **state)
{
	struct packet_pool *pool = *state;
	static uint8_t big[PACKET_DEFAULT_DATA_ROOM + 1];
	memset(big, 0xab, sizeof(big));
	assert_null(packet_from_bytes(pool, big, pool->data_room + 1));
	assert_int_equal(pool->available, POOL_SIZE); /* nothing taken */
	struct packet *p = packet_from_bytes(pool, big, pool->data_room);
	assert_non_null(p);
	assert_int_equal(p->len, pool->data_room);
	assert_int_equal(packet_tailroom(p), 0);
	assert_memory_equal(p->data, big, pool->data_room);
	packet_free(p);
}

static void test_from_bytes_on_empty_pool_is_null(void **state)
{
	(void)state;
	struct packet_pool *pool = packet_pool_create(1, 0);
	assert_non_null(pool);
	uint8_t frame[60];
	sample_frame(frame);
	struct packet *p = packet_from_bytes(pool, frame, sizeof(frame));
	assert_non_null(p);
	assert_null(packet_from_bytes(pool, frame, sizeof(frame)));
	packet_free(p);
	packet_pool_destroy(pool);
}

static void test_push_vlan_inserts_tag_after_macs(void **state)
{
	struct packet_pool *pool = *state;
	uint8_t frame[60];
	sample_frame(frame);
	struct packet *p = packet_from_bytes(pool, frame, sizeof(frame));
	const uint16_t tci = (5 << 13) | 100;
	assert_true(packet_push_vlan(p, tci));
	assert_int_equal(p->len, sizeof(frame) + VLAN_TAG_LEN);
	assert_int_equal(packet_headroom(p), PACKET_HEADROOM - VLAN_TAG_LEN);
	assert_memory_equal(p->data, frame, 12);
	assert_int_equal(load_be16(p->data + 12), ETH_TYPE_VLAN);
	assert_int_equal(load_be16(p->data + 14), tci);
	assert_memory_equal(p->data + 16, frame + 12, sizeof(frame) - 12);
	assert_true(p->flags & PACKET_F_INLINE_TAG);
	packet_free(p);
}

static void test_push_vlan_fails_without_headroom(void **state)
{
	struct packet_pool *pool = *state;
	uint8_t frame[60];
	sample_frame(frame);
	struct packet *p = packet_from_bytes(pool, frame, sizeof(frame));
	unsigned pushes = 0;
	while (pushes <= PACKET_HEADROOM && packet_push_vlan(p, (uint16_t)pushes))
		pushes++;
	assert_int_equal(pushes, PACKET_HEADROOM / VLAN_TAG_LEN);
	assert_int_equal(packet_headroom(p), 0);
	/* The failed push left the frame as it was. */
	assert_int_equal(p->len, sizeof(frame) + pushes * VLAN_TAG_LEN);
	assert_memory_equal(p->data, frame, 12);
	assert_int_equal(load_be16(p->data + 14), pushes - 1); /* the last tag pushed */
	assert_memory_equal(p->data + p->len - (sizeof(frame) - 12), frame + 12,
			    sizeof(frame) - 12);
	packet_free(p);
}

static void test_meta_tag_goes_inline_once_and_untagged_stays(void **state)
{
	struct packet_pool *pool = *state;
	uint8_t frame[60];
	sample_frame(frame);
	struct packet *p = packet_from_bytes(pool, frame, sizeof(frame));
	assert_true(packet_inline_meta_vlan(p)); /* no tag in metadata: unchanged */
	assert_int_equal(p->len, sizeof(frame));
	p->flags |= PACKET_F_META_VLAN;
	p->meta_tci = 3;
	assert_true(packet_inline_meta_vlan(p));
	assert_int_equal(load_be16(p->data + 14), 3);
	assert_false(p->flags & PACKET_F_META_VLAN);
	assert_true(packet_inline_meta_vlan(p)); /* once: no second tag */
	assert_int_equal(p->len, sizeof(frame) + VLAN_TAG_LEN);
	packet_free(p);
}

static void test_pop_vlan_restores_original_bytes(void **state)
{
	struct packet_pool *pool = *state;
	uint8_t frame[60];
	sample_frame(frame);
	struct packet *p = packet_from_bytes(pool, frame, sizeof(frame));
	assert_true(packet_push_vlan(p, 42));
	packet_pop_vlan(p);
	assert_int_equal(p->len, sizeof(frame));
	assert_int_equal(packet_headroom(p), PACKET_HEADROOM);
	assert_memory_equal(p->data, frame, sizeof(frame));
	assert_false(p->flags & PACKET_F_INLINE_TAG);
	packet_free(p);
}

static void test_clone_copies_data_metadata_and_headroom(void **state)
{
	struct packet_pool *pool = *state;
	uint8_t frame[60];
	sample_frame(frame);
	struct packet *p = packet_from_bytes(pool, frame, sizeof(frame));
	assert_true(packet_push_vlan(p, 7));
	p->flags |= PACKET_F_META_VLAN;
	p->meta_tci = 0x1234;
	p->vid = 7;
	p->pcp = 3;
	p->out_port = 9;
	p->src_hash = 0x0123456789abcdefULL;
	p->dst_hash = 0xfedcba9876543210ULL;
	struct packet *c = packet_clone(p);
	assert_non_null(c);
	assert_ptr_not_equal(c, p);
	assert_ptr_not_equal(c->buffer, p->buffer);
	assert_int_equal(c->len, p->len);
	assert_memory_equal(c->data, p->data, p->len);
	assert_int_equal(packet_headroom(c), packet_headroom(p));
	assert_int_equal(c->flags, p->flags);
	assert_int_equal(c->meta_tci, 0x1234);
	assert_int_equal(c->vid, 7);
	assert_int_equal(c->pcp, 3);
	assert_int_equal(c->out_port, 9);
	assert_true(c->src_hash == 0x0123456789abcdefULL);
	assert_true(c->dst_hash == 0xfedcba9876543210ULL);
	assert_int_equal(c->drop, 0);
	/* The copy is independent of the original. */
	c->data[0] ^= 0xff;
	assert_int_equal(p->data[0], frame[0]);
	packet_free(c);
	packet_free(p);
}

static void test_clone_on_empty_pool_is_null(void **state)
{
	(void)state;
	struct packet_pool *pool = packet_pool_create(1, 0);
	uint8_t frame[60];
	sample_frame(frame);
	struct packet *p = packet_from_bytes(pool, frame, sizeof(frame));
	assert_non_null(p);
	assert_null(packet_clone(p));
	assert_int_equal(pool->available, 0);
	packet_free(p);
	packet_pool_destroy(pool);
}

static void test_batch_free_returns_every_packet(void **state)
{
	struct packet_pool *pool = *state;
	struct packet_batch batch;
	packet_batch_init(&batch);
	struct packet *p;
	while ((p = packet_alloc(pool)))
		packet_batch_add(&batch, p);
	assert_int_equal(batch.count, POOL_SIZE);
	assert_int_equal(pool->available, 0);
	packet_batch_free(&batch);
	assert_int_equal(batch.count, 0);
	assert_int_equal(pool->available, POOL_SIZE);
}

static void test_pool_create_rejects_zero_size_or_buffers_over_64k(void **state)
{
	(void)state;
	assert_null(packet_pool_create(0, 0));
	assert_null(packet_pool_create(0, 1500));
	/* A packet's len is 16 bits. */
	assert_null(packet_pool_create(4, 65536));
}

static void test_pool_destroy_null_is_noop(void **state)
{
	(void)state;
	packet_pool_destroy(NULL);
}

/* ---- frame.c ------------------------------------------------------------ */

static const uint8_t frame_dst[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t frame_src[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};

static void test_frame_build_pads_to_minimum_length(void **state)
{
	(void)state;
	uint8_t buf[128];
	memset(buf, 0xee, sizeof(buf));
	const uint8_t payload[3] = {1, 2, 3};
	size_t len = frame_build(buf, sizeof(buf), frame_dst, frame_src, -1, 0x0800, payload,
				 sizeof(payload));
	assert_int_equal(len, ETH_MIN_FRAME);
	assert_memory_equal(buf, frame_dst, 6);
	assert_memory_equal(buf + 6, frame_src, 6);
	assert_int_equal(load_be16(buf + 12), 0x0800);
	assert_memory_equal(buf + 14, payload, sizeof(payload));
	for (size_t i = 14 + sizeof(payload); i < ETH_MIN_FRAME; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(buf[ETH_MIN_FRAME], 0xee); /* nothing written past the end */
}

static void test_frame_build_writes_tag_when_tci_given(void **state)
{
	(void)state;
	uint8_t buf[128];
	const uint8_t payload[4] = {9, 8, 7, 6};
	const int tcis[] = {0, (6 << 13) | 300};
	for (unsigned i = 0; i < ARRAY_SIZE(tcis); i++) {
		size_t len = frame_build(buf, sizeof(buf), frame_dst, frame_src, tcis[i], 0x86dd,
					 payload, sizeof(payload));
		assert_int_equal(len, ETH_MIN_FRAME);
		assert_memory_equal(buf, frame_dst, 6);
		assert_memory_equal(buf + 6, frame_src, 6);
		assert_int_equal(load_be16(buf + 12), ETH_TYPE_VLAN);
		assert_int_equal(load_be16(buf + 14), tcis[i]);
		assert_int_equal(load_be16(buf + 16), 0x86dd);
		assert_memory_equal(buf + 18, payload, sizeof(payload));
	}
}

static void test_frame_build_long_payload_is_not_padded(void **state)
{
	(void)state;
	uint8_t buf[256], payload[100];
	memset(payload, 0x5a, sizeof(payload));
	assert_int_equal(frame_build(buf, sizeof(buf), frame_dst, frame_src, -1, 0x0800, payload,
				     sizeof(payload)),
			 14 + sizeof(payload));
	assert_int_equal(frame_build(buf, sizeof(buf), frame_dst, frame_src, 5, 0x0800, payload,
				     sizeof(payload)),
			 18 + sizeof(payload));
	assert_memory_equal(buf + 18, payload, sizeof(payload));
}

static void test_frame_build_returns_0_when_frame_does_not_fit(void **state)
{
	(void)state;
	uint8_t buf[256], payload[100] = {0};
	assert_int_equal(
	    frame_build(buf, ETH_MIN_FRAME - 1, frame_dst, frame_src, -1, 0x0800, NULL, 0), 0);
	assert_int_equal(frame_build(buf, ETH_MIN_FRAME, frame_dst, frame_src, -1, 0x0800, NULL, 0),
			 ETH_MIN_FRAME);
	assert_int_equal(frame_build(buf, 14 + sizeof(payload) - 1, frame_dst, frame_src, -1,
				     0x0800, payload, sizeof(payload)),
			 0);
	assert_int_equal(frame_build(buf, 18 + sizeof(payload) - 1, frame_dst, frame_src, 1, 0x0800,
				     payload, sizeof(payload)),
			 0);
	assert_int_equal(frame_build(buf, 18 + sizeof(payload), frame_dst, frame_src, 1, 0x0800,
				     payload, sizeof(payload)),
			 18 + sizeof(payload));
}

static void test_mac_parse_accepts_six_hex_pairs(void **state)
{
	(void)state;
	uint8_t mac[6];
	assert_int_equal(mac_parse("02:00:00:00:00:0a", mac), 0);
	assert_memory_equal(mac, frame_dst, 6);
	assert_int_equal(mac_parse("FF:ee:01:23:45:67", mac), 0);
	const uint8_t expected[6] = {0xff, 0xee, 0x01, 0x23, 0x45, 0x67};
	assert_memory_equal(mac, expected, 6);
}

static void test_mac_parse_rejects_malformed_text(void **state)
{
	(void)state;
	const char *bad[] = {
	    "02:00:00:00:00",	  /* five octets */
	    "02:00:00:00:00:0a:", /* trailing colon */
	    "zz:00:00:00:00:00",  /* not hex */
	    "",			  /* empty */
	    "02:00:00:00:00:0az", /* trailing garbage */
	    "02-00-00-00-00-0a",  /* wrong separator */
	    "2:0:0:0:0:a",	  /* octets without their leading zero */
	    " 02:00:00:00:00:0a", /* leading space */
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		uint8_t mac[6];
		if (mac_parse(bad[i], mac) != -EINVAL)
			fail_msg("mac_parse accepted \"%s\"", bad[i]);
	}
}

static void test_mac_format_round_trips(void **state)
{
	(void)state;
	char buf[18];
	assert_string_equal(mac_format(frame_dst, buf), "02:00:00:00:00:0a");
	const uint8_t letters[6] = {0xaa, 0xbb, 0xcc, 0x0d, 0xee, 0x0f};
	assert_string_equal(mac_format(letters, buf), "aa:bb:cc:0d:ee:0f");
	for (unsigned n = 0; n < 300; n++) {
		uint8_t mac[6], back[6];
		for (unsigned i = 0; i < 6; i++)
			mac[i] = (uint8_t)(n * 37 + i * 51);
		assert_ptr_equal(mac_format(mac, buf), buf);
		assert_int_equal(strlen(buf), 17);
		assert_int_equal(mac_parse(buf, back), 0);
		assert_memory_equal(back, mac, 6);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pool_hands_out_exactly_size_packets, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fresh_packet_has_full_headroom_and_no_data, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_reused_packet_gets_headroom_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_from_bytes_copies_the_frame, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_from_bytes_rejects_frame_larger_than_data_room,
					    setup, teardown),
	    cmocka_unit_test(test_from_bytes_on_empty_pool_is_null),
	    cmocka_unit_test_setup_teardown(test_push_vlan_inserts_tag_after_macs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_push_vlan_fails_without_headroom, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_meta_tag_goes_inline_once_and_untagged_stays,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pop_vlan_restores_original_bytes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clone_copies_data_metadata_and_headroom, setup,
					    teardown),
	    cmocka_unit_test(test_clone_on_empty_pool_is_null),
	    cmocka_unit_test_setup_teardown(test_batch_free_returns_every_packet, setup, teardown),
	    cmocka_unit_test(test_pool_create_rejects_zero_size_or_buffers_over_64k),
	    cmocka_unit_test(test_pool_destroy_null_is_noop),
	    cmocka_unit_test(test_frame_build_pads_to_minimum_length),
	    cmocka_unit_test(test_frame_build_writes_tag_when_tci_given),
	    cmocka_unit_test(test_frame_build_long_payload_is_not_padded),
	    cmocka_unit_test(test_frame_build_returns_0_when_frame_does_not_fit),
	    cmocka_unit_test(test_mac_parse_accepts_six_hex_pairs),
	    cmocka_unit_test(test_mac_parse_rejects_malformed_text),
	    cmocka_unit_test(test_mac_format_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
