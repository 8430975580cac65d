/* test_seed_topology.c — the seed scenario of DESIGN §3, frame by frame: LPAR1 pvid 1
 * + vid 3, LPAR2 pvid 1, LPAR3 pvid 2 + vid 3, LPAR4 pvid 2, VIOS trunk
 * pvid 1 + vid 3 as the uplink. For every ordered pair of hosts one unicast
 * frame: delivered iff they share a VLAN, in the right 802.1Q form, and no
 * copy ever leaves in another VLAN. Both switch modes. */
#include "demo/seed_topology.h"
#include "helpers.h"

static const struct seed_endpoint *endpoint(const char *name)
{
	for (int i = 0; i < SEED_ENDPOINTS; i++)
		if (strcmp(seed_endpoints[i].name, name) == 0)
			return &seed_endpoints[i];
	fail_msg("no endpoint %s", name);
	return NULL;
}

static void check_matrix(enum switch_mode mode)
{
	char err[256];
	struct packet_pool *pool = packet_pool_create(4096, 0);
	struct vswitch *sw = seed_build(pool, mode, err, sizeof(err));
	assert_non_null(sw);
	seed_announce(sw);
	for (int i = 0; i < SEED_ENDPOINTS; i++) {
		for (int j = 0; j < SEED_ENDPOINTS; j++) {
			const struct seed_endpoint *a = &seed_endpoints[i], *b = &seed_endpoints[j];
			if (i == j)
				continue;
			struct seed_result r;
			seed_probe(sw, a, b, &r);
			bool expect = seed_expect_reachable(a, b);
			if (r.delivered != expect || r.crossed_vlan)
				fail_msg("%s -> %s: delivered %d (expected %d), crossed VLAN %d",
					 a->name, b->name, r.delivered, expect, r.crossed_vlan);
			if (expect) {
				assert_true(r.form_ok);
				assert_int_equal(r.wire_tagged, b->tagged);
				if (b->tagged)
					assert_int_equal(r.wire_vid, b->vid);
				assert_int_equal(r.other_copies, 0); /* known unicast */
				continue;
			}
			/* Unreachable: an unknown destination in the sender's VLAN
			 * goes to the VIOS uplink (authoritative) or floods. */
			bool vlan_has_uplink = a->vid != 2 && strcmp(a->port, "vios") != 0;
			int members_elsewhere = a->vid == 2 ? 1 : 2;
			int expected = mode == SWITCH_MODE_AUTHORITATIVE ? (vlan_has_uplink ? 1 : 0)
									 : members_elsewhere;
			if (r.other_copies != expected)
				fail_msg("%s -> %s: %d copies in VLAN %u, expected %d", a->name,
					 b->name, r.other_copies, a->vid, expected);
		}
	}
	switch_destroy(sw);
	assert_int_equal(pool->available, pool->size);
	packet_pool_destroy(pool);
}

static void test_seed_matrix_authoritative(void **state)
{
	(void)state;
	check_matrix(SWITCH_MODE_AUTHORITATIVE);
}

static void test_seed_matrix_learning(void **state)
{
	(void)state;
	check_matrix(SWITCH_MODE_LEARNING);
}

/* The figure's statements, one by one. */
static void test_seed_figure_statements(void **state)
{
	(void)state;
	assert_true(seed_expect_reachable(endpoint("LPAR1"), endpoint("EXT.v1")));
	assert_false(seed_expect_reachable(endpoint("LPAR2"), endpoint("LPAR3")));
	assert_false(seed_expect_reachable(endpoint("LPAR4"), endpoint("LPAR1")));
	assert_false(seed_expect_reachable(endpoint("LPAR4"), endpoint("LPAR2")));
	assert_false(
	    seed_expect_reachable(endpoint("LPAR3"), endpoint("EXT.v1"))); /* VLAN 2 internal */
	assert_true(seed_expect_reachable(endpoint("LPAR1.v3"), endpoint("EXT.v3")));
	assert_true(seed_expect_reachable(endpoint("LPAR3.v3"), endpoint("LPAR1.v3")));
}

static void test_seed_vlan2_never_reaches_the_vios(void **state)
{
	(void)state;
	char err[256];
	struct packet_pool *pool = packet_pool_create(1024, 0);
	struct vswitch *sw = seed_build(pool, SWITCH_MODE_LEARNING, err, sizeof(err));
	assert_non_null(sw);
	struct bridge_port *lpar3 = switch_find_port(sw, "lpar3");
	struct bridge_port *vios = switch_find_port(sw, "vios");
	test_send(sw, lpar3, test_broadcast, endpoint("LPAR3")->mac, -1);
	assert_int_equal(test_count_and_clear(vios), 0);
	assert_int_equal(test_count_and_clear(switch_find_port(sw, "lpar4")), 1);
	/* LPAR3's VLAN 3 interface does reach the outside, tagged. */
	test_send(sw, lpar3, test_broadcast, endpoint("LPAR3.v3")->mac, 3);
	struct test_frame f = test_take(vios);
	assert_int_equal(test_frame_vid(&f), 3);
	switch_destroy(sw);
	packet_pool_destroy(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seed_matrix_authoritative),
	    cmocka_unit_test(test_seed_matrix_learning),
	    cmocka_unit_test(test_seed_figure_statements),
	    cmocka_unit_test(test_seed_vlan2_never_reaches_the_vios),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
