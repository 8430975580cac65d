/* test_vlan.c — DESIGN §3 rules 1 (ingress classification and filtering)
 * and 4 (egress tagging), through the whole pipeline on pipe ports. */
#include "helpers.h"

static const uint16_t vid3[] = {3, 0};

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

/* Ports: access a (pvid 1), access b (pvid 1), trunk t (pvid 1, vid 3). */
static void three_ports(struct vswitch *sw, struct bridge_port **a, struct bridge_port **b, struct bridge_port **t)
{
	*a = test_port(sw, "a", 1, NULL, false);
	*b = test_port(sw, "b", 1, NULL, false);
	*t = test_port(sw, "t", 1, vid3, false);
}

static void test_untagged_frame_gets_pvid(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 5, NULL, false);
	struct bridge_port *t = test_port(sw, "t", 1, (const uint16_t[]){5, 0}, false);
	test_send(sw, a, test_broadcast, test_mac(1), -1);
	struct test_frame f = test_take(t);
	assert_int_equal(test_frame_vid(&f), 5);
	uint64_t key = fdb_key(5, test_mac(1));
	assert_non_null(fdb_find(sw->fdb, key, hash_u64(key)));
}

static void test_priority_tagged_frame_gets_pvid(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a, *b, *t;
	three_ports(sw, &a, &b, &t);
	test_send(sw, a, test_broadcast, test_mac(1), (5 << 13) | 0); /* PCP 5, VID 0 */
	struct test_frame fb = test_take(b);
	assert_true(fb.len > 0);
	assert_int_equal(test_frame_vid(&fb), -1); /* untagged on its PVID */
	assert_int_equal(test_count_and_clear(t), 1);
	assert_int_equal(a->counters.drops[DROP_VLAN_NOT_MEMBER], 0);
}

static void test_tagged_frame_keeps_its_vid(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a, *b, *t;
	three_ports(sw, &a, &b, &t);
	struct bridge_port *t2 = test_port(sw, "t2", 2, vid3, false);
	test_send(sw, t, test_broadcast, test_mac(1), 3);
	struct test_frame f = test_take(t2);
	assert_int_equal(test_frame_vid(&f), 3);
	assert_int_equal(test_count_and_clear(a), 0); /* VLAN 1 ports see nothing */
	assert_int_equal(test_count_and_clear(b), 0);
}

static void test_tagged_frame_for_vid_not_member_is_dropped(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a, *b, *t;
	three_ports(sw, &a, &b, &t);
	test_send(sw, a, test_broadcast, test_mac(1), 3); /* a VM trying to hop to VLAN 3 */
	assert_int_equal(a->counters.drops[DROP_VLAN_NOT_MEMBER], 1);
	assert_int_equal(test_count_and_clear(t), 0);
	assert_int_equal(test_count_and_clear(b), 0);
	uint64_t key = fdb_key(3, test_mac(1));
	assert_null(fdb_find(sw->fdb, key, hash_u64(key))); /* nor learned */
}

static void test_frame_tagged_with_pvid_is_accepted(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a, *b, *t;
	three_ports(sw, &a, &b, &t);
	test_send(sw, a, test_broadcast, test_mac(1), 1);
	struct test_frame f = test_take(b);
	assert_true(f.len > 0);
	assert_int_equal(test_frame_vid(&f), -1);
}

static void test_vid_4095_is_dropped(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a, *b, *t;
	three_ports(sw, &a, &b, &t);
	test_send(sw, t, test_broadcast, test_mac(1), 4095);
	assert_int_equal(t->counters.drops[DROP_VID_4095], 1);
	assert_int_equal(test_count_and_clear(a) + test_count_and_clear(b), 0);
}

static void test_egress_untagged_iff_vid_is_egress_pvid(void **state)
{
	struct vswitch *sw = *state;
	/* VLAN 3 is the PVID of `access3`, a tagged VLAN on `trunk`. */
	struct bridge_port *access3 = test_port(sw, "access3", 3, NULL, false);
	struct bridge_port *trunk = test_port(sw, "trunk", 1, vid3, false);
	struct bridge_port *trunk2 = test_port(sw, "trunk2", 1, vid3, false);
	test_send(sw, access3, test_broadcast, test_mac(1), -1);
	struct test_frame f = test_take(trunk);
	assert_int_equal(test_frame_vid(&f), 3);
	f = test_take(trunk2);
	assert_int_equal(test_frame_vid(&f), 3);
	test_send(sw, trunk, test_broadcast, test_mac(2), 3);
	f = test_take(access3);
	assert_int_equal(test_frame_vid(&f), -1);
	assert_int_equal(f.len, 60 - 4); /* the tag was removed, not just rewritten */
	f = test_take(trunk2);
	assert_int_equal(test_frame_vid(&f), 3);
}

static void test_egress_tag_keeps_priority_bits(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *t1 = test_port(sw, "t1", 1, vid3, false);
	struct bridge_port *t2 = test_port(sw, "t2", 1, vid3, false);
	test_send(sw, t1, test_broadcast, test_mac(1), (6 << 13) | 3);
	struct test_frame f = test_take(t2);
	assert_int_equal(test_frame_tci(&f), (6 << 13) | 3);
}

static void test_tag_stripped_by_kernel_is_honoured(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *t1 = test_port(sw, "t1", 1, vid3, false);
	struct bridge_port *t2 = test_port(sw, "t2", 1, vid3, false);
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	uint8_t frame[64];
	size_t len =
	    frame_build(frame, sizeof(frame), test_broadcast, test_mac(1), -1, 0x0800, 0, 0);
	/* A packet socket delivers the tag in PACKET_AUXDATA, not in the frame. */
	assert_int_equal(pipe_inject(t1->dev, t1->sw->pool, frame, (uint32_t)len, 3), 0);
	switch_poll(sw);
	struct test_frame f = test_take(t2);
	assert_int_equal(test_frame_vid(&f), 3);
	assert_int_equal(test_count_and_clear(a), 0);
	assert_int_equal(pipe_inject(a->dev, a->sw->pool, frame, (uint32_t)len, 7), 0); /* VID 7: not a member */
	switch_poll(sw);
	assert_int_equal(a->counters.drops[DROP_VLAN_NOT_MEMBER], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_untagged_frame_gets_pvid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_priority_tagged_frame_gets_pvid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tagged_frame_keeps_its_vid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tagged_frame_for_vid_not_member_is_dropped, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_frame_tagged_with_pvid_is_accepted, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_vid_4095_is_dropped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_egress_untagged_iff_vid_is_egress_pvid, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_egress_tag_keeps_priority_bits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tag_stripped_by_kernel_is_honoured, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
