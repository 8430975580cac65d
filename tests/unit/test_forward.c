/* test_forward.c — DESIGN §3 rules 3 and 5 (lookup, loop prevention) and the
 * port modes, through the pipeline, plus forward_decide() as a pure function. */
#include "helpers.h"

static const uint16_t vid3[] = {3, 0};

static int setup_learning(void **state)
{
	*state = test_switch(SWITCH_MODE_LEARNING);
	return 0;
}

static int setup_authoritative(void **state)
{
	*state = test_switch(SWITCH_MODE_AUTHORITATIVE);
	return 0;
}

static int teardown(void **state)
{
	test_switch_destroy(*state);
	return 0;
}

static void set_mode(struct vswitch *sw, struct bridge_port *port, enum port_mode mode)
{
	char err[256];
	struct port_config config = port->config;
	config.mode = mode;
	assert_int_equal(switch_configure_port(sw, port, &config, err, sizeof(err)), 0);
}

static void test_known_unicast_goes_only_to_its_port(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	struct bridge_port *c = test_port(sw, "c", 1, NULL, false);
	test_send(sw, b, test_broadcast, test_mac(2), -1);
	test_clear_all(sw);
	test_send(sw, a, test_mac(2), test_mac(1), -1);
	assert_int_equal(test_count_and_clear(b), 1);
	assert_int_equal(test_count_and_clear(c), 0);
}

static void test_known_unicast_in_other_vlan_is_not_delivered(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 2, NULL, false);
	test_send(sw, b, test_broadcast, test_mac(2), -1); /* learned in VLAN 2 */
	test_send(sw, a, test_mac(2), test_mac(1), -1);	   /* unknown in VLAN 1 */
	assert_int_equal(test_count_and_clear(b), 0);
}

static void test_unknown_unicast_floods_in_learning_mode(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	struct bridge_port *up = test_port(sw, "up", 1, NULL, true);
	struct bridge_port *other = test_port(sw, "other", 2, NULL, false);
	test_send(sw, a, test_mac(7), test_mac(1), -1);
	assert_int_equal(test_count_and_clear(b), 1);
	assert_int_equal(test_count_and_clear(up), 1);
	assert_int_equal(test_count_and_clear(other), 0);
	assert_int_equal(test_count_and_clear(a), 0);
}

static void test_unknown_unicast_goes_to_uplink_in_authoritative_mode(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	struct bridge_port *up = test_port(sw, "up", 1, NULL, true);
	test_send(sw, a, test_mac(7), test_mac(1), -1);
	assert_int_equal(test_count_and_clear(up), 1);
	assert_int_equal(test_count_and_clear(b), 0);
}

static void test_unknown_unicast_without_uplink_is_dropped_in_authoritative_mode(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	test_send(sw, a, test_mac(7), test_mac(1), -1);
	assert_int_equal(test_count_and_clear(b), 0);
	assert_int_equal(a->counters.drops[DROP_NO_ROUTE], 1);
}

static void test_unknown_unicast_from_uplink_is_dropped_in_authoritative_mode(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *up = test_port(sw, "up", 1, NULL, true);
	test_send(sw, up, test_mac(7), test_mac(1), -1);
	assert_int_equal(test_count_and_clear(a), 0);
	assert_int_equal(up->counters.drops[DROP_NO_ROUTE], 1);
}

static void test_frame_never_goes_back_out_of_its_ingress_port(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	test_send(sw, a, test_broadcast, test_mac(1), -1);
	test_send(sw, a, test_broadcast, test_mac(2), -1);
	test_clear_all(sw);
	test_send(sw, a, test_mac(2), test_mac(1), -1);
	assert_int_equal(test_count_and_clear(a), 0);
	assert_int_equal(test_count_and_clear(b), 0);
	assert_int_equal(a->counters.drops[DROP_SAME_PORT], 1);
}

static void test_hairpin_port_receives_its_own_frames(void **state)
{
	struct vswitch *sw = *state;
	char err[256];
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	test_port(sw, "b", 1, NULL, false);
	struct port_config config = a->config;
	config.hairpin = true;
	assert_int_equal(switch_configure_port(sw, a, &config, err, sizeof(err)), 0);
	test_send(sw, a, test_broadcast, test_mac(2), -1);
	assert_int_equal(test_count_and_clear(a), 1); /* broadcast reflected too */
	test_send(sw, a, test_mac(2), test_mac(1), -1);
	assert_int_equal(test_count_and_clear(a), 1);
}

static void test_never_uplink_to_uplink(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *up1 = test_port(sw, "up1", 1, NULL, true);
	struct bridge_port *up2 = test_port(sw, "up2", 1, NULL, true);
	struct bridge_port *vm = test_port(sw, "vm", 1, NULL, false);
	/* Two uplinks into the same LAN: a broadcast from outside must not be
	 * sent back outside through the other one (a loop without STP). */
	test_send(sw, up1, test_broadcast, test_mac(2), -1);
	assert_int_equal(test_count_and_clear(up2), 0);
	assert_int_equal(test_count_and_clear(vm), 1);
	/* and a broadcast from a VM leaves through exactly one of them */
	test_send(sw, vm, test_broadcast, test_mac(1), -1);
	assert_int_equal(test_count_and_clear(up1) + test_count_and_clear(up2), 1);
}

static void test_known_unicast_from_uplink_to_mac_behind_uplink_is_dropped(void **state)
{
	struct vswitch *sw = *state;
	char err[256];
	struct bridge_port *up1 = test_port(sw, "up1", 1, NULL, true);
	struct bridge_port *up2 = test_port(sw, "up2", 1, NULL, true);
	test_port(sw, "vm", 1, NULL, false);
	struct port_config config = up2->config;
	config.trunk_priority = 1; /* up2 becomes the active uplink of VLAN 1 */
	assert_int_equal(switch_configure_port(sw, up2, &config, err, sizeof(err)), 0);
	assert_int_equal(sw->active_uplink[1], up2->index);
	/* A static entry puts a MAC behind the standby up1; a frame from the
	 * active up2 to it must not cross. */
	assert_int_equal(switch_add_static_mac(sw, up1, 1, test_mac(5), err, sizeof(err)), 0);
	test_send(sw, up2, test_mac(5), test_mac(6), -1);
	assert_int_equal(test_count_and_clear(up1), 0);
	assert_int_equal(up2->counters.drops[DROP_UPLINK_LOOP], 1);
}

static void test_standby_uplink_neither_receives_nor_sends(void **state)
{
	struct vswitch *sw = *state;
	char err[256];
	struct bridge_port *primary = test_port(sw, "primary", 1, NULL, true);
	struct bridge_port *standby = test_port(sw, "standby", 1, NULL, true);
	struct bridge_port *vm = test_port(sw, "vm", 1, NULL, false);
	struct port_config config = primary->config;
	config.trunk_priority = 1;
	assert_int_equal(switch_configure_port(sw, primary, &config, err, sizeof(err)), 0);
	config = standby->config;
	config.trunk_priority = 2;
	assert_int_equal(switch_configure_port(sw, standby, &config, err, sizeof(err)), 0);
	test_send(sw, vm, test_broadcast, test_mac(1), -1);
	assert_int_equal(test_count_and_clear(primary), 1);
	assert_int_equal(test_count_and_clear(standby), 0);
	test_send(sw, standby, test_broadcast, test_mac(2), -1);
	assert_int_equal(test_count_and_clear(vm), 0);
	assert_int_equal(standby->counters.drops[DROP_UPLINK_INACTIVE], 1);
}

static void test_uplink_fails_over_when_primary_loses_carrier(void **state)
{
	struct vswitch *sw = *state;
	char err[256];
	struct bridge_port *primary = test_port(sw, "primary", 1, NULL, true);
	struct bridge_port *standby = test_port(sw, "standby", 1, NULL, true);
	struct bridge_port *vm = test_port(sw, "vm", 1, NULL, false);
	struct port_config config = primary->config;
	config.trunk_priority = 1;
	assert_int_equal(switch_configure_port(sw, primary, &config, err, sizeof(err)), 0);
	test_send(sw, primary, test_broadcast, test_mac(9), -1); /* external host learned */
	test_clear_all(sw);
	pipe_set_carrier(primary->dev, false);
	switch_run(sw, sw->now + 1);
	assert_int_equal(sw->active_uplink[1], standby->index);
	test_send(sw, vm, test_mac(9), test_mac(1), -1);
	assert_int_equal(test_count_and_clear(standby), 1);
	assert_int_equal(test_count_and_clear(primary), 0);
	pipe_set_carrier(primary->dev, true);
	switch_run(sw, sw->now + 1);
	assert_int_equal(sw->active_uplink[1], primary->index);
}

static void test_private_port_talks_only_to_uplink(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *p = test_port(sw, "p", 1, NULL, false);
	struct bridge_port *q = test_port(sw, "q", 1, NULL, false);
	struct bridge_port *up = test_port(sw, "up", 1, NULL, true);
	set_mode(sw, p, PORT_MODE_PRIVATE);
	test_send(sw, q, test_broadcast, test_mac(2), -1);
	assert_int_equal(test_count_and_clear(p), 0); /* no flood from a neighbour */
	assert_int_equal(test_count_and_clear(up), 1);
	test_send(sw, p, test_mac(2), test_mac(1), -1);
	assert_int_equal(test_count_and_clear(q), 0);
	assert_int_equal(p->counters.drops[DROP_PORT_ISOLATION], 1);
	test_send(sw, p, test_broadcast, test_mac(1), -1);
	assert_int_equal(test_count_and_clear(q), 0);
	assert_int_equal(test_count_and_clear(up), 1);
	test_send(sw, up, test_mac(1), test_mac(3), -1);
	assert_int_equal(test_count_and_clear(p), 1);
}

static void test_vepa_port_sends_everything_to_uplink_and_keeps_its_mac(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *v1 = test_port(sw, "v1", 1, NULL, false);
	struct bridge_port *v2 = test_port(sw, "v2", 1, NULL, false);
	struct bridge_port *up = test_port(sw, "up", 1, NULL, true);
	set_mode(sw, v1, PORT_MODE_VEPA);
	set_mode(sw, v2, PORT_MODE_VEPA);
	test_send(sw, v2, test_broadcast, test_mac(2), -1);
	test_clear_all(sw);
	test_send(sw, v1, test_mac(2), test_mac(1), -1); /* to a local neighbour */
	assert_int_equal(test_count_and_clear(v2), 0);
	assert_int_equal(test_count_and_clear(up), 1);
	/* The external bridge reflects it (hairpin): it comes back via the uplink. */
	test_send(sw, up, test_mac(2), test_mac(1), -1);
	assert_int_equal(test_count_and_clear(v2), 1);
	uint64_t key = fdb_key(1, test_mac(1));
	assert_int_equal(fdb_find(sw->fdb, key, hash_u64(key))->port, v1->index);
}

static void test_passthrough_port_owns_the_uplink(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *owner = test_port(sw, "owner", 1, NULL, false);
	struct bridge_port *other = test_port(sw, "other", 1, NULL, false);
	struct bridge_port *up = test_port(sw, "up", 1, NULL, true);
	set_mode(sw, owner, PORT_MODE_PASSTHROUGH);
	test_send(sw, up, test_mac(77), test_mac(1), -1); /* any destination */
	assert_int_equal(test_count_and_clear(owner), 1);
	assert_int_equal(test_count_and_clear(other), 0);
	test_send(sw, owner, test_broadcast, test_mac(2), -1);
	assert_int_equal(test_count_and_clear(up), 1);
	assert_int_equal(test_count_and_clear(other), 0);
	test_send(sw, other, test_broadcast, test_mac(3), -1);
	assert_int_equal(test_count_and_clear(up), 0);
}

static void test_forward_decide_is_pure(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, vid3, false);
	struct fdb_entry known = {.key = fdb_key(3, test_mac(2)), .port = b->index};
	enum drop_reason why = DROP_NONE;
	assert_int_equal(forward_decide(sw, a, 1, test_broadcast, NULL, &why), FORWARD_FLOOD);
	assert_int_equal(forward_decide(sw, a, 1, test_mac(2), NULL, &why), FORWARD_FLOOD);
	assert_int_equal(forward_decide(sw, a, 3, test_mac(2), &known, &why), b->index);
	assert_int_equal(why, DROP_NONE);
	/* the same entry's port is not a member of VLAN 2 */
	assert_int_equal(forward_decide(sw, a, 2, test_mac(2), &known, &why), FORWARD_DROP);
	assert_int_equal(why, DROP_NO_ROUTE);
	assert_int_equal(sw->fdb->count, 0); /* no side effect */
}

#define T(name, setup) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_known_unicast_goes_only_to_its_port, setup_learning),
	    T(test_known_unicast_in_other_vlan_is_not_delivered, setup_learning),
	    T(test_unknown_unicast_floods_in_learning_mode, setup_learning),
	    T(test_unknown_unicast_goes_to_uplink_in_authoritative_mode, setup_authoritative),
	    T(test_unknown_unicast_without_uplink_is_dropped_in_authoritative_mode,
	      setup_authoritative),
	    T(test_unknown_unicast_from_uplink_is_dropped_in_authoritative_mode,
	      setup_authoritative),
	    T(test_frame_never_goes_back_out_of_its_ingress_port, setup_learning),
	    T(test_hairpin_port_receives_its_own_frames, setup_learning),
	    T(test_never_uplink_to_uplink, setup_learning),
	    T(test_known_unicast_from_uplink_to_mac_behind_uplink_is_dropped, setup_learning),
	    T(test_standby_uplink_neither_receives_nor_sends, setup_learning),
	    T(test_uplink_fails_over_when_primary_loses_carrier, setup_authoritative),
	    T(test_private_port_talks_only_to_uplink, setup_learning),
	    T(test_vepa_port_sends_everything_to_uplink_and_keeps_its_mac, setup_learning),
	    T(test_passthrough_port_owns_the_uplink, setup_learning),
	    T(test_forward_decide_is_pure, setup_learning),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
