/* test_egress.c — per-port transmit queues: a whole batch reaches each port
 * in order, one send per port per batch, and a port that cannot take more
 * counts the drop without holding up the others. */
#include "helpers.h"

static int setup(void **state)
{
	*state = test_switch(SWITCH_MODE_LEARNING);
	return 0;
}

static int teardown(void **state)
{
	test_switch_destroy(*state);
	return 0;
}

static void test_batch_is_delivered_in_order(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	test_send(sw, b, test_broadcast, test_mac(2), -1);
	test_clear_all(sw);
	uint8_t frame[64];
	for (uint32_t i = 0; i < 600; i++) { /* more than two batches */
		size_t len = frame_build(frame, sizeof(frame), test_mac(2), test_mac(1), -1, 0x88b5,
					 &i, sizeof(i));
		assert_int_equal(pipe_inject(a->dev, a->sw->pool, frame, (uint32_t)len, -1), 0);
	}
	while (switch_poll(sw))
		;
	for (uint32_t i = 0; i < 600; i++) {
		struct test_frame f = test_take(b);
		uint32_t seq;
		memcpy(&seq, f.data + 14, sizeof(seq));
		assert_int_equal(seq, i);
	}
	assert_int_equal(test_take(b).len, -1);
	assert_int_equal(b->dev->stats.tx_packets, 600);
	assert_int_equal(a->counters.rx_packets, 600);
}

static void test_full_port_counts_drop_and_others_still_get_frames(void **state)
{
	struct vswitch *sw = *state;
	char err[256];
	const char *opts[] = {"depth=4", NULL};
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct port *dev = port_create("small", "pipe", opts, err, sizeof(err));
	assert_non_null(dev);
	struct port_config config;
	port_config_init(&config);
	assert_int_equal(switch_add_port(sw, dev, &config, err, sizeof(err)), 0);
	struct bridge_port *small = switch_find_port(sw, "small");
	struct bridge_port *big = test_port(sw, "big", 1, NULL, false);
	for (unsigned i = 0; i < 10; i++)
		test_send(sw, a, test_broadcast, test_mac(1), -1);
	assert_int_equal(test_count_and_clear(big), 10);
	assert_int_equal(test_count_and_clear(small), 4);
	assert_int_equal(small->dev->stats.tx_full, 6);
	assert_int_equal(small->dev->stats.tx_packets, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_batch_is_delivered_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_port_counts_drop_and_others_still_get_frames,
					    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
