/* test_afxdp_ring.c — gathering and splitting multi-buffer frames
 * (src/port/afxdp_ring.c) on rings this test owns, playing the kernel's
 * side: chains whole, cut by the end of what was peeked, too long for the
 * buffer, pointing outside the receive area, or never ending; and a frame
 * split into chunks and gathered back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "port/afxdp_ring.h"

#define CHUNK	 256u
#define N_CHUNKS 16u
#define RING	 64u

static uint8_t umem[CHUNK * N_CHUNKS];
static struct xdp_desc descs[RING];
static uint32_t producer, consumer, flags;

static struct xsk_ring_cons rx_ring(void)
{
	memset(descs, 0, sizeof(descs));
	producer = consumer = flags = 0;
	return (struct xsk_ring_cons){.mask = RING - 1,
				      .size = RING,
				      .producer = &producer,
				      .consumer = &consumer,
				      .ring = descs,
				      .flags = &flags};
}

/* The receive half is chunks 0-7 here; 8-15 would transmit. */
static const struct afxdp_area rx_area = {
    .base = umem, .first = 0, .end = 8 * CHUNK, .chunk = CHUNK};

/* The kernel's side: descriptor i at chunk `chunk`, offset 16, len bytes
 * of `fill`. */
static void put(uint32_t i, uint32_t chunk, uint32_t len, uint8_t fill, bool more)
{
	descs[i] = (struct xdp_desc){
	    .addr = (uint64_t)chunk * CHUNK + 16, .len = len, .options = more ? XDP_PKT_CONTD : 0};
	if (chunk < N_CHUNKS && 16 + len <= CHUNK)
		memset(umem + chunk * CHUNK + 16, fill, len);
}

static void test_a_chain_is_gathered_in_order(void **state)
{
	(void)state;
	struct xsk_ring_cons rx = rx_ring();
	put(0, 3, 240, 0xa1, true);
	put(1, 1, 240, 0xa2, true);
	put(2, 6, 100, 0xa3, false);
	put(3, 2, 60, 0xb1, false); /* the next frame, one descriptor */
	uint8_t out[1024];
	uint32_t len = 0;
	enum afxdp_gather_status st;
	assert_int_equal(afxdp_gather(&rx, 0, 4, &rx_area, out, sizeof(out), &len, &st), 3);
	assert_int_equal(st, AFXDP_GATHER_OK);
	assert_int_equal(len, 580);
	assert_int_equal(out[0], 0xa1);
	assert_int_equal(out[239], 0xa1);
	assert_int_equal(out[240], 0xa2);
	assert_int_equal(out[480], 0xa3);
	assert_int_equal(out[579], 0xa3);
	assert_int_equal(afxdp_gather(&rx, 3, 1, &rx_area, out, sizeof(out), &len, &st), 1);
	assert_int_equal(st, AFXDP_GATHER_OK);
	assert_int_equal(len, 60);
	assert_int_equal(afxdp_chunk_of(&rx_area, descs[1].addr), 1 * CHUNK);
}

static void test_a_chain_cut_by_the_peek_waits(void **state)
{
	(void)state;
	struct xsk_ring_cons rx = rx_ring();
	put(0, 0, 240, 1, true);
	put(1, 1, 240, 2, true);
	uint8_t out[1024];
	uint32_t len;
	enum afxdp_gather_status st;
	assert_int_equal(afxdp_gather(&rx, 0, 2, &rx_area, out, sizeof(out), &len, &st), 0);
	assert_int_equal(st, AFXDP_GATHER_INCOMPLETE);
}

static void test_too_long_for_the_buffer_is_consumed_not_copied(void **state)
{
	(void)state;
	struct xsk_ring_cons rx = rx_ring();
	put(0, 0, 240, 1, true);
	put(1, 1, 240, 2, false);
	uint8_t out[512];
	memset(out, 0, sizeof(out));
	uint32_t len;
	enum afxdp_gather_status st;
	assert_int_equal(afxdp_gather(&rx, 0, 2, &rx_area, out, 400, &len, &st), 2);
	assert_int_equal(st, AFXDP_GATHER_TOO_LONG);
	assert_int_equal(out[300], 0); /* nothing past the room was written */
	/* Exactly the room fits. */
	assert_int_equal(afxdp_gather(&rx, 0, 2, &rx_area, out, 480, &len, &st), 2);
	assert_int_equal(st, AFXDP_GATHER_OK);
	assert_int_equal(len, 480);
}

static void test_a_buffer_outside_the_receive_area_breaks_the_chain(void **state)
{
	(void)state;
	uint8_t out[2048];
	uint32_t len;
	enum afxdp_gather_status st;
	/* A transmit chunk, past the UMEM, and a length beyond its chunk. */
	static const struct {
		uint32_t chunk, len;
	} bad[] = {{9, 100}, {4000, 100}, {2, CHUNK}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xsk_ring_cons rx = rx_ring();
		put(0, 0, 240, 1, true);
		put(1, bad[i].chunk, bad[i].len, 2, true);
		put(2, 1, 10, 3, false);
		assert_int_equal(afxdp_gather(&rx, 0, 3, &rx_area, out, sizeof(out), &len, &st), 3);
		assert_int_equal(st, AFXDP_GATHER_BROKEN);
	}
}

static void test_a_chain_without_end_is_broken_at_the_limit(void **state)
{
	(void)state;
	struct xsk_ring_cons rx = rx_ring();
	for (uint32_t i = 0; i < RING; i++)
		put(i, i % 8, 8, 1, true);
	uint8_t out[4096];
	uint32_t len;
	enum afxdp_gather_status st;
	assert_int_equal(afxdp_gather(&rx, 0, RING, &rx_area, out, sizeof(out), &len, &st),
			 AFXDP_CHAIN_MAX);
	assert_int_equal(st, AFXDP_GATHER_BROKEN);
	/* Fewer than the limit peeked: it may still end. */
	assert_int_equal(
	    afxdp_gather(&rx, 0, AFXDP_CHAIN_MAX - 1, &rx_area, out, sizeof(out), &len, &st), 0);
	assert_int_equal(st, AFXDP_GATHER_INCOMPLETE);
}

static void test_a_frame_is_split_into_chunks_and_gathered_back(void **state)
{
	(void)state;
	static const uint32_t lengths[] = {1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17};
	for (size_t t = 0; t < sizeof(lengths) / sizeof(lengths[0]); t++) {
		uint32_t flen = lengths[t];
		uint8_t frame[4 * CHUNK];
		for (uint32_t i = 0; i < flen; i++)
			frame[i] = (uint8_t)(i * 7 + t);
		/* Transmit chunks 8-15 on the free stack. */
		uint64_t free_stack[8];
		uint32_t n_free = 8;
		for (uint32_t i = 0; i < 8; i++)
			free_stack[i] = (uint64_t)(8 + i) * CHUNK;
		struct xsk_ring_cons ring = rx_ring();
		struct xsk_ring_prod tx = {.mask = RING - 1,
					   .size = RING,
					   .producer = &producer,
					   .consumer = &consumer,
					   .ring = descs,
					   .flags = &flags};
		uint32_t need = afxdp_chain_length(flen, CHUNK);
		assert_int_equal(
		    afxdp_split(&tx, RING - 1, umem, free_stack, &n_free, frame, flen, CHUNK),
		    need); /* starting at the ring's last slot: it wraps */
		assert_int_equal(n_free, 8 - need);
		for (uint32_t i = 0; i < need; i++) {
			const struct xdp_desc *d = &descs[(RING - 1 + i) & (RING - 1)];
			assert_int_equal(d->options, i + 1 < need ? XDP_PKT_CONTD : 0);
			assert_true(d->len <= CHUNK && d->len > 0);
		}
		/* What the kernel would send, read back as a chain. */
		const struct afxdp_area tx_area = {
		    .base = umem, .first = 8 * CHUNK, .end = 16 * CHUNK, .chunk = CHUNK};
		uint8_t out[4 * CHUNK];
		uint32_t len;
		enum afxdp_gather_status st;
		assert_int_equal(
		    afxdp_gather(&ring, RING - 1, need, &tx_area, out, sizeof(out), &len, &st),
		    need);
		assert_int_equal(st, AFXDP_GATHER_OK);
		assert_int_equal(len, flen);
		assert_memory_equal(out, frame, flen);
	}
	assert_int_equal(afxdp_chain_length(0, CHUNK), 1);
	assert_int_equal(afxdp_chain_length(65535, 4096), 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_chain_is_gathered_in_order),
	    cmocka_unit_test(test_a_chain_cut_by_the_peek_waits),
	    cmocka_unit_test(test_too_long_for_the_buffer_is_consumed_not_copied),
	    cmocka_unit_test(test_a_buffer_outside_the_receive_area_breaks_the_chain),
	    cmocka_unit_test(test_a_chain_without_end_is_broken_at_the_limit),
	    cmocka_unit_test(test_a_frame_is_split_into_chunks_and_gathered_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
