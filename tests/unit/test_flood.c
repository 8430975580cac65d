/* test_flood.c — DESIGN §3 rule 3 for broadcast and multicast: every member
 * port of the VID but the ingress port, only the active uplink, ports that
 * are up, each copy tagged for its own port; and a dry pool is a counted
 * drop, not a crash. */
#include "helpers.h"

static const uint16_t vid3[] = {3, 0};

static int setup(void **state)
{
	*state = test_switch(SWITCH_MODE_AUTHORITATIVE);
	return 0;
}

static int teardown(void **state)
{
	test_switch_destroy(*state);
	return 0;
}

static void test_broadcast_reaches_every_member_but_the_ingress_port(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *p[5];
	for (int i = 0; i < 5; i++) {
		char name[8];
		snprintf(name, sizeof(name), "p%d", i);
		p[i] = test_port(sw, name, i < 4 ? 1 : 2, NULL, false);
	}
	test_send(sw, p[0], test_broadcast, test_mac(1), -1);
	assert_int_equal(test_count_and_clear(p[0]), 0);
	for (int i = 1; i < 4; i++)
		assert_int_equal(test_count_and_clear(p[i]), 1);
	assert_int_equal(test_count_and_clear(p[4]), 0); /* VLAN 2 */
}

static void test_multicast_is_flooded_like_broadcast(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	struct bridge_port *up = test_port(sw, "up", 1, NULL, true);
	const uint8_t mdns[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
	test_send(sw, a, mdns, test_mac(1), -1);
	assert_int_equal(test_count_and_clear(b), 1);
	assert_int_equal(test_count_and_clear(up), 1);
}

static void test_each_flooded_copy_is_tagged_for_its_port(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *trunk = test_port(sw, "trunk", 1, vid3, false);
	struct bridge_port *access = test_port(sw, "access", 3, NULL, false);
	struct bridge_port *trunk2 = test_port(sw, "trunk2", 2, vid3, false);
	test_send(sw, trunk, test_broadcast, test_mac(1), 3);
	struct test_frame f = test_take(access);
	assert_int_equal(test_frame_vid(&f), -1);
	f = test_take(trunk2);
	assert_int_equal(test_frame_vid(&f), 3);
	assert_memory_equal(f.data + 6, test_mac(1), 6);
}

static void test_port_without_carrier_is_not_flooded(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	struct bridge_port *c = test_port(sw, "c", 1, NULL, false);
	pipe_set_carrier(b->dev, false);
	switch_run(sw, sw->now + 1);
	test_send(sw, a, test_broadcast, test_mac(1), -1);
	assert_int_equal(test_count_and_clear(b), 0);
	assert_int_equal(test_count_and_clear(c), 1);
}

static void test_flood_from_uplink_stays_inside(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *up = test_port(sw, "up", 1, vid3, true);
	struct bridge_port *vm1 = test_port(sw, "vm1", 1, NULL, false);
	struct bridge_port *vm3 = test_port(sw, "vm3", 3, NULL, false);
	test_send(sw, up, test_broadcast, test_mac(1), 3);
	assert_int_equal(test_count_and_clear(up), 0);
	assert_int_equal(test_count_and_clear(vm1), 0);
	assert_int_equal(test_count_and_clear(vm3), 1);
}

static void test_broadcast_alone_in_its_vlan_is_counted(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 9, NULL, false);
	test_port(sw, "b", 1, NULL, false);
	test_send(sw, a, test_broadcast, test_mac(1), -1);
	assert_int_equal(a->counters.drops[DROP_NO_ROUTE], 1);
}

static void test_exhausted_pool_is_a_counted_drop(void **state)
{
	(void)state;
	char err[256];
	/* 40 buffers: a broadcast to 63 ports cannot get a copy for each. */
	struct packet_pool *pool = packet_pool_create(40, 0);
	struct switch_config config;
	switch_config_init(&config);
	struct vswitch *sw = switch_create("small", &config, pool, err, sizeof(err));
	assert_non_null(sw);
	struct bridge_port *ports[64];
	for (int i = 0; i < 64; i++) {
		char name[8];
		snprintf(name, sizeof(name), "p%d", i);
		ports[i] = test_port(sw, name, 1, NULL, false);
	}
	test_send(sw, ports[0], test_broadcast, test_mac(1), -1);
	uint32_t delivered = 0;
	for (int i = 1; i < 64; i++)
		delivered += test_count_and_clear(ports[i]);
	assert_int_equal(delivered + ports[0]->counters.drops[DROP_NO_BUFFER], 63);
	assert_true(ports[0]->counters.drops[DROP_NO_BUFFER] > 0);
	assert_int_equal(pool->available, pool->size); /* nothing leaked */
	switch_destroy(sw);
	packet_pool_destroy(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_broadcast_reaches_every_member_but_the_ingress_port, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multicast_is_flooded_like_broadcast, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_each_flooded_copy_is_tagged_for_its_port, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_port_without_carrier_is_not_flooded, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_flood_from_uplink_stays_inside, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_broadcast_alone_in_its_vlan_is_counted, setup,
					    teardown),
	    cmocka_unit_test(test_exhausted_pool_is_a_counted_drop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
