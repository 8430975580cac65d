/* test_storm_control.c — storm control per class on an injected clock:
 * broadcast, multicast and unknown unicast each capped by their own rate
 * and counted under their own reason, known unicast never touched, and the
 * rate held over a simulated second. */
#include "helpers.h"

static void storm(struct vswitch *sw, struct bridge_port *port, uint32_t bcast, uint32_t mcast,
		  uint32_t unknown)
{
	char err[256];
	struct port_config c = port->config;
	c.rate.storm_pps[STORM_BROADCAST] = bcast;
	c.rate.storm_pps[STORM_MULTICAST] = mcast;
	c.rate.storm_pps[STORM_UNKNOWN_UNICAST] = unknown;
	if (switch_configure_port(sw, port, &c, err, sizeof(err)))
		fail_msg("%s", err);
}

static const uint8_t multicast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};

static void inject(struct vswitch *sw, struct bridge_port *a, const uint8_t *dst, int n)
{
	uint8_t frame[64] = {0};
	frame_build(frame, sizeof(frame), dst, test_mac(1), -1, 0x88b5, NULL, 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(pipe_inject(a->dev, sw->pool, frame, sizeof(frame), -1), 0);
	switch_poll(sw);
}

static void test_each_class_has_its_own_rate_and_counter(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	test_send(sw, b, test_broadcast, test_mac(2), -1); /* b's MAC is known */
	test_clear_all(sw);
	storm(sw, a, 100, 200, 10); /* buckets of 10, 20 and 1 packets */
	inject(sw, a, test_broadcast, 30);
	assert_int_equal(test_count_and_clear(b), 10);
	inject(sw, a, multicast, 30);
	assert_int_equal(test_count_and_clear(b), 20);
	inject(sw, a, test_mac(9), 30); /* unknown: flooded */
	assert_int_equal(test_count_and_clear(b), 1);
	inject(sw, a, test_mac(2), 30); /* known unicast is never limited */
	assert_int_equal(test_count_and_clear(b), 30);
	assert_int_equal(a->counters.drops[DROP_STORM_BROADCAST], 20);
	assert_int_equal(a->counters.drops[DROP_STORM_MULTICAST], 10);
	assert_int_equal(a->counters.drops[DROP_STORM_UNKNOWN_UNICAST], 29);
}

static void test_an_unlimited_class_is_not_touched(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	storm(sw, a, 100, 0, 0);
	inject(sw, a, multicast, 50);
	inject(sw, a, test_mac(9), 50);
	assert_int_equal(test_count_and_clear(b), 100);
	storm(sw, a, 0, 0, 0);
	assert_false(a->rate.storm);
	inject(sw, a, test_broadcast, 50);
	assert_int_equal(test_count_and_clear(b), 50);
}

static void test_broadcast_rate_holds_over_a_second(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	storm(sw, a, 1000, 0, 0);
	uint32_t passed = 0;
	for (int ms = 0; ms < 1000; ms++) { /* 10 000 packets/s offered */
		inject(sw, a, test_broadcast, 10);
		passed += test_count_and_clear(b);
		test_now_ns += 1000000;
	}
	/* 1000 in the second plus the first burst of 100. */
	assert_in_range(passed, 1099, 1101);
	assert_int_equal(a->counters.drops[DROP_STORM_BROADCAST], 10000 - passed);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, test_switch_fake_clock, test_switch_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_each_class_has_its_own_rate_and_counter),
	    T(test_an_unlimited_class_is_not_touched),
	    T(test_broadcast_rate_holds_over_a_second),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
