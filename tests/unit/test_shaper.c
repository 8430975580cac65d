/* test_shaper.c — egress shaping on an injected clock: frames beyond the
 * burst wait (not dropped) and leave in order as credit accrues, the peak
 * rate spaces a burst out, a full queue drops and counts, and removing the
 * shaper frees what it held. */
#include "helpers.h"

static void shape(struct vswitch *sw, struct bridge_port *port, uint64_t rate, uint64_t peak,
		  uint64_t burst)
{
	char err[256];
	struct port_config c = port->config;
	c.rate.egress_rate = rate;
	c.rate.egress_peak = peak;
	c.rate.egress_burst = burst;
	if (switch_configure_port(sw, port, &c, err, sizeof(err)))
		fail_msg("%s", err);
}

/* Ports a and b, b's MAC known; returns b. */
static struct bridge_port *two_ports(struct vswitch *sw, struct bridge_port **a)
{
	*a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	test_send(sw, b, test_broadcast, test_mac(2), -1);
	test_clear_all(sw);
	return b;
}

/* n frames of 1000 bytes from a to b numbered from `first`, one poll. */
static void inject(struct vswitch *sw, struct bridge_port *a, uint32_t first, uint32_t n)
{
	uint8_t frame[1000] = {0};
	for (uint32_t i = first; i < first + n; i++) {
		frame_build(frame, sizeof(frame), test_mac(2), test_mac(1), -1, 0x88b5, &i,
			    sizeof(i));
		assert_int_equal(pipe_inject(a->dev, sw->pool, frame, sizeof(frame), -1), 0);
	}
	switch_poll(sw);
}

/* The sequence numbers of what left b, in order, from `first`; how many. */
static uint32_t take_in_order(struct bridge_port *b, uint32_t first)
{
	uint32_t n = 0;
	for (struct test_frame f = test_take(b); f.len > 0; f = test_take(b), n++) {
		uint32_t seq;
		memcpy(&seq, f.data + 14, sizeof(seq));
		assert_int_equal(seq, first + n);
	}
	return n;
}

static void test_frames_beyond_the_burst_wait_and_leave_in_order(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a, *b = two_ports(sw, &a);
	shape(sw, b, 8000000, 0, 10000); /* 1 MB/s, burst 10 frames */
	assert_int_equal(sw->n_shaped, 1);
	inject(sw, a, 0, 30);
	assert_int_equal(take_in_order(b, 0), 10);
	assert_int_equal(shaper_held(b->rate.shaper), 20);
	test_now_ns += 5000000; /* 5 ms: five frames */
	assert_int_equal(switch_poll(sw), 5);
	assert_int_equal(take_in_order(b, 10), 5);
	/* New frames queue behind the waiting ones. */
	inject(sw, a, 30, 2);
	assert_int_equal(take_in_order(b, 15), 0);
	for (int i = 0; i < 3; i++) { /* 17 frames: two bursts' worth */
		test_now_ns += 1000000000;
		switch_poll(sw);
	}
	assert_int_equal(take_in_order(b, 15), 17);
	assert_int_equal(shaper_held(b->rate.shaper), 0);
	assert_int_equal(b->tx_drops[DROP_SHAPER_FULL], 0);
}

static void test_while_frames_wait_the_poll_loop_stays_awake(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a, *b = two_ports(sw, &a);
	shape(sw, b, 8000000, 0, 1000);
	inject(sw, a, 0, 3);
	assert_int_equal(switch_poll(sw), 1); /* nothing sent, but frames wait */
	assert_int_equal(take_in_order(b, 0), 1);
}

static void test_peak_rate_spaces_out_the_burst(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a, *b = two_ports(sw, &a);
	/* A 100 kB burst, but at most 16 Mbit/s (2 MB/s): the peak bucket
	 * holds 3028 bytes, three frames. */
	shape(sw, b, 8000000, 16000000, 100000);
	inject(sw, a, 0, 20);
	assert_int_equal(take_in_order(b, 0), 3);
	test_now_ns += 1000000; /* 1 ms: 2000 bytes of peak */
	switch_poll(sw);
	assert_int_equal(take_in_order(b, 3), 2);
}

static void test_a_full_queue_drops_and_counts(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a, *b = two_ports(sw, &a);
	shape(sw, b, 1000, 0, 1000); /* one frame, then next to nothing */
	for (uint32_t i = 0; i < 3; i++)
		inject(sw, a, i * 200, 200);
	assert_int_equal(take_in_order(b, 0), 1);
	assert_int_equal(shaper_held(b->rate.shaper), SHAPER_QUEUE_LEN);
	assert_int_equal(b->tx_drops[DROP_SHAPER_FULL], 600 - 1 - SHAPER_QUEUE_LEN);
}

static void test_removing_the_shaper_drops_what_it_held(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a, *b = two_ports(sw, &a);
	shape(sw, b, 8000000, 0, 1000);
	inject(sw, a, 0, 5);
	assert_int_equal(take_in_order(b, 0), 1);
	uint32_t free_before = sw->pool->available;
	shape(sw, b, 0, 0, 0);
	assert_null(b->rate.shaper);
	assert_int_equal(sw->n_shaped, 0);
	assert_int_equal(b->tx_drops[DROP_SHAPER_FULL], 4);
	assert_int_equal(sw->pool->available, free_before + 4);
	inject(sw, a, 5, 5);
	assert_int_equal(take_in_order(b, 5), 5);
}

static void test_deleting_a_shaped_port_frees_its_frames(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a, *b = two_ports(sw, &a);
	shape(sw, b, 8000000, 0, 1000);
	inject(sw, a, 0, 5);
	switch_del_port(sw, b, true);
	assert_int_equal(sw->n_shaped, 0);
	assert_int_equal(sw->pool->available, sw->pool->size);
}

/* Each poll thread's frames wait in its own queue and only it sends them
 * (they belong to its pool); the buckets are the port's, shared. */
static void test_each_thread_drains_its_own_queue_from_one_bucket(void **state)
{
	test_switch_destroy(*state);
	engine_set_threads(2);
	struct vswitch *sw = *state = test_switch(SWITCH_MODE_LEARNING);
	engine_set_threads(1);
	struct bridge_port *a, *b = two_ports(sw, &a);
	struct bridge_port *c = test_port(sw, "c", 1, NULL, false);
	a->poll_thread = 1;
	b->poll_thread = c->poll_thread = 0;
	struct engine_thread *zero = engine_self;
	struct engine_thread one = {.id = 1, .txq_offset = sizeof(struct port_txq)};
	shape(sw, b, 8000000, 0, 10000);
	assert_int_equal(b->rate.shaper->n_queues, 2);

	engine_self = &one;
	uint8_t frame[1000] = {0};
	frame_build(frame, sizeof(frame), test_mac(2), test_mac(1), -1, 0x88b5, NULL, 0);
	for (int i = 0; i < 15; i++)
		assert_int_equal(pipe_inject(a->dev, sw->pool, frame, sizeof(frame), -1), 0);
	switch_poll_thread(sw, 1, sw->pool); /* 10 go, 5 wait on thread 1 */
	engine_self = zero;
	for (int i = 0; i < 5; i++)
		assert_int_equal(pipe_inject(c->dev, sw->pool, frame, sizeof(frame), -1), 0);
	switch_poll_thread(sw, 0, sw->pool); /* the bucket is empty: 5 wait on thread 0 */
	assert_int_equal(test_count_and_clear(b), 10);
	assert_int_equal(b->rate.shaper->queues[0].count, 5);
	assert_int_equal(b->rate.shaper->queues[1].count, 5);

	test_now_ns += 5000000; /* five frames of credit, taken by thread 0 */
	assert_int_equal(switch_poll_thread(sw, 0, sw->pool), 5);
	assert_int_equal(b->rate.shaper->queues[1].count, 5);
	test_now_ns += 5000000;
	engine_self = &one;
	assert_int_equal(switch_poll_thread(sw, 1, sw->pool), 5);
	engine_self = zero;
	assert_int_equal(test_count_and_clear(b), 10);
	assert_int_equal(shaper_held(b->rate.shaper), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, test_switch_fake_clock, test_switch_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_frames_beyond_the_burst_wait_and_leave_in_order),
	    T(test_while_frames_wait_the_poll_loop_stays_awake),
	    T(test_peak_rate_spaces_out_the_burst),
	    T(test_a_full_queue_drops_and_counts),
	    T(test_removing_the_shaper_drops_what_it_held),
	    T(test_deleting_a_shaped_port_frees_its_frames),
	    T(test_each_thread_drains_its_own_queue_from_one_bucket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
