/* test_mcast_table.c — the snooping table: joins build a group's port set,
 * leaves and expiry take ports out and free the group with its last one,
 * the per-port and per-switch limits refuse joins without touching what is
 * there, and a full table freed works again. */
#include "helpers.h"

static struct mcast_addr group(uint32_t n)
{
	struct mcast_addr m = {.b = {[10] = 0xff, [11] = 0xff}};
	store_be32(m.b + 12, 0xef000000 + n);
	return m;
}

static void test_join_leave_build_the_port_set(void **state)
{
	(void)state;
	struct mcast_table *t = mcast_table_create(16);
	struct mcast_addr g = group(1);
	assert_int_equal(mcast_table_join(t, 10, &g, 3, 100, 360, 0), 0);
	assert_int_equal(mcast_table_join(t, 10, &g, 5, 100, 360, 0), 0);
	assert_int_equal(mcast_table_join(t, 10, &g, 5, 100, 400, 0), 0); /* a refresh */
	assert_int_equal(mcast_table_join(t, 20, &g, 7, 100, 360, 0), 0); /* another VLAN */
	const struct mcast_group *e = mcast_table_find(t, 10, &g);
	assert_non_null(e);
	assert_int_equal(e->n_members, 2);
	assert_true(bitset_test(e->ports, 3) && bitset_test(e->ports, 5));
	assert_false(bitset_test(e->ports, 7));
	assert_int_equal(t->n_groups, 2);
	assert_int_equal(t->port_groups[5], 1);
	assert_true(mcast_table_leave(t, 10, &g, 3, 110, 0));
	assert_false(mcast_table_leave(t, 10, &g, 3, 110, 0));
	assert_false(bitset_test(e->ports, 3));
	/* A leave with linger keeps the port until then. */
	assert_true(mcast_table_leave(t, 10, &g, 5, 110, 2));
	assert_int_equal(mcast_table_expire(t, 111, PORT_INDEX_NONE, false), 0);
	assert_int_equal(mcast_table_expire(t, 112, PORT_INDEX_NONE, false), 1);
	assert_null(mcast_table_find(t, 10, &g));
	assert_non_null(mcast_table_find(t, 20, &g));
	assert_int_equal(t->n_groups, 1);
	assert_int_equal(t->port_groups[5], 0);
	mcast_table_destroy(t);
}

static void test_memberships_age_out(void **state)
{
	(void)state;
	struct mcast_table *t = mcast_table_create(16);
	for (uint32_t i = 0; i < 8; i++) {
		struct mcast_addr g = group(i);
		assert_int_equal(mcast_table_join(t, 1, &g, (uint16_t)i, 0, 100 + i, 0), 0);
	}
	assert_int_equal(mcast_table_expire(t, 103, PORT_INDEX_NONE, false), 4);
	assert_int_equal(t->n_groups, 4);
	/* A port's memberships go at once when the port does. */
	assert_int_equal(mcast_table_expire(t, 103, 6, false), 1);
	assert_int_equal(mcast_table_expire(t, 0, PORT_INDEX_NONE, true), 3);
	assert_int_equal(t->n_groups, 0);
	assert_int_equal(t->n_members, 0);
	mcast_table_destroy(t);
}

static void test_limits_refuse_and_keep_what_is_there(void **state)
{
	(void)state;
	struct mcast_table *t = mcast_table_create(8);
	struct mcast_addr kept = group(1000);
	assert_int_equal(mcast_table_join(t, 1, &kept, 9, 0, 100, 4), 0);
	int refused_port = 0, refused_switch = 0;
	for (uint32_t i = 0; i < 10000; i++) { /* port 1 joins 10 000 groups */
		struct mcast_addr g = group(i);
		int e = mcast_table_join(t, 1, &g, 1, 0, 100, 4);
		refused_port += e == -EDQUOT;
		assert_true(e == 0 || e == -EDQUOT);
	}
	assert_int_equal(refused_port, 10000 - 4);
	assert_int_equal(t->port_groups[1], 4);
	for (uint32_t i = 0; i < 100; i++) { /* ports 2.. fill the switch's 8 */
		struct mcast_addr g = group(20000 + i);
		int e = mcast_table_join(t, 1, &g, (uint16_t)(2 + i), 0, 100, 4);
		refused_switch += e == -ENOSPC;
	}
	assert_int_equal(refused_switch, 100 - 3);
	assert_int_equal(t->n_groups, 8);
	/* Existing groups still take members; the one kept is intact. */
	assert_int_equal(mcast_table_join(t, 1, &kept, 200, 0, 100, 4), 0);
	assert_true(bitset_test(mcast_table_find(t, 1, &kept)->ports, 9));
	/* Freed, the table takes new groups again. */
	mcast_table_expire(t, 0, PORT_INDEX_NONE, true);
	struct mcast_addr g = group(5);
	assert_int_equal(mcast_table_join(t, 1, &g, 1, 0, 100, 4), 0);
	mcast_table_destroy(t);
	assert_null(mcast_table_create(0));
	assert_null(mcast_table_create(MCAST_MAX_GROUPS + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_join_leave_build_the_port_set),
	    cmocka_unit_test(test_memberships_age_out),
	    cmocka_unit_test(test_limits_refuse_and_keep_what_is_there),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
