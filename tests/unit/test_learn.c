/* test_learn.c — DESIGN §3 rule 2: learning of (VID, source MAC), aging,
 * static entries, MAC moves, the per-port MAC limit, multicast sources, and
 * a MAC flood: the limit holds, a full table makes the port with the most
 * entries give way, static entries and other ports' entries stay. */
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

static const struct fdb_entry *lookup(struct vswitch *sw, uint16_t vid, const uint8_t *mac)
{
	uint64_t key = fdb_key(vid, mac);
	return fdb_find(sw->fdb, key, hash_u64(key));
}

static void test_source_is_learned_on_ingress_port_and_vid(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	test_send(sw, a, test_broadcast, test_mac(1), -1);
	const struct fdb_entry *e = lookup(sw, 1, test_mac(1));
	assert_non_null(e);
	assert_int_equal(e->port, a->index);
	assert_null(lookup(sw, 2, test_mac(1)));
	/* and it is used: b's reply goes to a only */
	struct bridge_port *c = test_port(sw, "c", 1, NULL, false);
	test_clear_all(sw);
	test_send(sw, b, test_mac(1), test_mac(2), -1);
	assert_int_equal(test_count_and_clear(a), 1);
	assert_int_equal(test_count_and_clear(c), 0);
}

static void test_learned_mac_ages_out_after_ageing_time(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	test_port(sw, "b", 1, NULL, false);
	uint32_t t0 = sw->now;
	test_send(sw, a, test_broadcast, test_mac(1), -1);
	switch_run(sw, t0 + DEFAULT_AGEING_SECONDS - 1);
	assert_non_null(lookup(sw, 1, test_mac(1)));
	switch_run(sw, t0 + DEFAULT_AGEING_SECONDS);
	assert_null(lookup(sw, 1, test_mac(1)));
	assert_int_equal(sw->fdb->port_dynamic[a->index], 0);
}

static void test_traffic_refreshes_a_learned_mac(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	test_port(sw, "b", 1, NULL, false);
	uint32_t t0 = sw->now;
	test_send(sw, a, test_broadcast, test_mac(1), -1);
	switch_run(sw, t0 + 200);
	test_send(sw, a, test_broadcast, test_mac(1), -1);
	switch_run(sw, t0 + 400);
	assert_non_null(lookup(sw, 1, test_mac(1)));
}

static void test_static_entry_never_ages(void **state)
{
	struct vswitch *sw = *state;
	char err[256];
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	assert_int_equal(switch_add_static_mac(sw, a, 1, test_mac(9), err, sizeof(err)), 0);
	switch_run(sw, sw->now + 100000);
	const struct fdb_entry *e = lookup(sw, 1, test_mac(9));
	assert_non_null(e);
	assert_true(e->flags & FDB_F_STATIC);
}

static void test_static_entry_is_not_moved_and_spoofer_is_dropped(void **state)
{
	struct vswitch *sw = *state;
	char err[256];
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	assert_int_equal(switch_add_static_mac(sw, a, 1, test_mac(9), err, sizeof(err)), 0);
	test_send(sw, b, test_broadcast, test_mac(9), -1);
	assert_int_equal(lookup(sw, 1, test_mac(9))->port, a->index);
	assert_int_equal(b->counters.drops[DROP_STATIC_CONFLICT], 1);
	assert_int_equal(test_count_and_clear(a), 0);
}

static void test_mac_moves_to_the_port_it_appears_on(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	struct bridge_port *c = test_port(sw, "c", 1, NULL, false);
	test_send(sw, a, test_broadcast, test_mac(1), -1);
	test_send(sw, b, test_broadcast, test_mac(1), -1); /* the VM migrated */
	assert_int_equal(lookup(sw, 1, test_mac(1))->port, b->index);
	assert_int_equal(b->counters.mac_moves, 1);
	assert_int_equal(sw->fdb->port_dynamic[a->index], 0);
	assert_int_equal(sw->fdb->port_dynamic[b->index], 1);
	test_clear_all(sw);
	test_send(sw, c, test_mac(1), test_mac(3), -1);
	assert_int_equal(test_count_and_clear(b), 1);
	assert_int_equal(test_count_and_clear(a), 0);
}

static void test_mac_limit_drops_frames_from_new_sources(void **state)
{
	struct vswitch *sw = *state;
	char err[256];
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	struct port_config config = a->config;
	config.mac_limit = 2;
	assert_int_equal(switch_configure_port(sw, a, &config, err, sizeof(err)), 0);
	for (unsigned i = 1; i <= 4; i++)
		test_send(sw, a, test_broadcast, test_mac(i), -1);
	assert_int_equal(sw->fdb->port_dynamic[a->index], 2);
	assert_int_equal(a->counters.drops[DROP_MAC_LIMIT], 2);
	assert_int_equal(test_count_and_clear(b), 2);
	/* a known source still passes at the limit */
	test_send(sw, a, test_broadcast, test_mac(1), -1);
	assert_int_equal(test_count_and_clear(b), 1);
	/* and after aging there is room again */
	switch_run(sw, sw->now + DEFAULT_AGEING_SECONDS);
	test_send(sw, a, test_broadcast, test_mac(3), -1);
	assert_int_equal(test_count_and_clear(b), 1);
}

static void test_learning_off_learns_nothing(void **state)
{
	struct vswitch *sw = *state;
	char err[256];
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	test_port(sw, "b", 1, NULL, false);
	struct port_config config = a->config;
	config.learning = false;
	assert_int_equal(switch_configure_port(sw, a, &config, err, sizeof(err)), 0);
	test_send(sw, a, test_broadcast, test_mac(1), -1);
	assert_null(lookup(sw, 1, test_mac(1)));
	assert_int_equal(sw->fdb->count, 0);
}

static void test_multicast_source_is_dropped(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	const uint8_t group[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	test_send(sw, a, test_broadcast, group, -1);
	assert_int_equal(a->counters.drops[DROP_MULTICAST_SOURCE], 1);
	assert_int_equal(sw->fdb->count, 0);
	assert_int_equal(test_count_and_clear(b), 0);
}

static void test_full_table_still_forwards(void **state)
{
	(void)state;
	char err[256];
	struct packet_pool *pool = packet_pool_create(1024, 0);
	struct switch_config config;
	switch_config_init(&config);
	config.fdb_capacity = 4;
	struct vswitch *sw = switch_create("tiny", &config, pool, err, sizeof(err));
	assert_non_null(sw);
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	for (unsigned i = 1; i <= 10; i++)
		test_send(sw, a, test_broadcast, test_mac(i), -1);
	assert_int_equal(sw->fdb->count, 4);
	assert_int_equal(sw->fdb_full, 6);
	assert_int_equal(test_count_and_clear(b), 10);
	switch_destroy(sw);
	packet_pool_destroy(pool);
}

/* ---- MAC floods ---------------------------------------------------------- */

/* A locally administered unicast MAC for flood frame n. */
static const uint8_t *flood_mac(uint32_t n)
{
	static uint8_t mac[6];
	uint64_t h = hash_u64(n + 1);
	mac[0] = 0x02;
	memcpy(mac + 1, &h, 5);
	return mac;
}

/* `n` broadcasts from port `in` with flood_mac(first .. first + n - 1),
 * up to 200 to a batch. */
static void flood_sources(struct vswitch *sw, struct bridge_port *in, uint32_t first, uint32_t n)
{
	uint8_t frame[64];
	for (uint32_t i = 0; i < n;) {
		for (uint32_t k = 0; k < 200 && i < n; k++, i++) {
			size_t len = frame_build(frame, sizeof(frame), test_broadcast,
						 flood_mac(first + i), -1, 0x0800, 0, 0);
			assert_int_equal(pipe_inject(in->dev, sw->pool, frame, (uint32_t)len, -1), 0);
		}
		switch_poll(sw);
		test_clear_all(sw);
	}
}

static struct vswitch *small_switch(struct packet_pool **pool, uint32_t capacity)
{
	char err[256];
	*pool = packet_pool_create(1024, 0);
	struct switch_config config;
	switch_config_init(&config);
	config.fdb_capacity = capacity;
	struct vswitch *sw = switch_create("small", &config, *pool, err, sizeof(err));
	assert_non_null(sw);
	return sw;
}

static void test_mac_limit_holds_under_a_flood(void **state)
{
	struct vswitch *sw = *state;
	char err[256];
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	struct bridge_port *c = test_port(sw, "c", 1, NULL, false);
	struct port_config config = a->config;
	config.mac_limit = 16;
	assert_int_equal(switch_configure_port(sw, a, &config, err, sizeof(err)), 0);
	assert_int_equal(switch_add_static_mac(sw, c, 1, test_mac(9), err, sizeof(err)), 0);
	test_send(sw, b, test_broadcast, test_mac(2), -1);
	flood_sources(sw, a, 0, 20000);
	assert_int_equal(sw->fdb->port_dynamic[a->index], 16);
	assert_int_equal(a->counters.drops[DROP_MAC_LIMIT], 20000 - 16);
	assert_int_equal(sw->fdb->count, 16 + 1 + 1);
	assert_int_equal(lookup(sw, 1, test_mac(2))->port, b->index);
	assert_true(lookup(sw, 1, test_mac(9))->flags & FDB_F_STATIC);
	assert_int_equal(sw->fdb_full, 0);
}

static void test_full_table_takes_from_the_port_with_most_entries(void **state)
{
	(void)state;
	char err[256];
	struct packet_pool *pool;
	struct vswitch *sw = small_switch(&pool, 64);
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	struct bridge_port *c = test_port(sw, "c", 1, NULL, false);
	assert_int_equal(switch_add_static_mac(sw, c, 1, test_mac(9), err, sizeof(err)), 0);
	test_send(sw, b, test_broadcast, test_mac(1), -1);
	test_send(sw, b, test_broadcast, test_mac(2), -1);
	/* a floods without a limit: it fills the table, then churns its own */
	flood_sources(sw, a, 0, 5000);
	assert_int_equal(sw->fdb->count, 64);
	assert_int_equal(sw->fdb->port_dynamic[a->index], 64 - 3);
	assert_int_equal(sw->fdb_full, 5000 - (64 - 3));
	assert_non_null(lookup(sw, 1, flood_mac(4999))); /* its newest is learned */
	assert_int_equal(lookup(sw, 1, test_mac(1))->port, b->index);
	assert_int_equal(lookup(sw, 1, test_mac(2))->port, b->index);
	assert_true(lookup(sw, 1, test_mac(9))->flags & FDB_F_STATIC);
	/* a new MAC of another port is still learned, at a's expense */
	test_send(sw, c, test_broadcast, test_mac(3), -1);
	assert_int_equal(lookup(sw, 1, test_mac(3))->port, c->index);
	assert_int_equal(sw->fdb->port_dynamic[a->index], 64 - 4);
	/* b, now the biggest but for a, only gives way to itself */
	test_send(sw, b, test_broadcast, test_mac(4), -1);
	assert_int_equal(sw->fdb->port_dynamic[b->index], 3);
	assert_int_equal(sw->fdb->port_dynamic[a->index], 64 - 5);
	switch_destroy(sw);
	packet_pool_destroy(pool);
}

static void test_full_table_evicts_the_oldest_of_the_biggest_port(void **state)
{
	(void)state;
	struct packet_pool *pool;
	/* four entries: all of them are candidates (EVICT_CANDIDATES) */
	struct vswitch *sw = small_switch(&pool, 4);
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	test_send(sw, a, test_broadcast, test_mac(1), -1);
	switch_run(sw, sw->now + 10);
	for (unsigned i = 2; i <= 4; i++)
		test_send(sw, a, test_broadcast, test_mac(i), -1);
	switch_run(sw, sw->now + 10);
	test_send(sw, b, test_broadcast, test_mac(20), -1);
	assert_int_equal(lookup(sw, 1, test_mac(20))->port, b->index);
	assert_null(lookup(sw, 1, test_mac(1))); /* a's least recently seen */
	for (unsigned i = 2; i <= 4; i++)
		assert_non_null(lookup(sw, 1, test_mac(i)));
	assert_int_equal(sw->fdb->port_dynamic[a->index], 3);
	switch_destroy(sw);
	packet_pool_destroy(pool);
}

static void test_table_full_of_static_entries_refuses_learning(void **state)
{
	(void)state;
	char err[256];
	struct packet_pool *pool;
	struct vswitch *sw = small_switch(&pool, 4);
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	for (unsigned i = 1; i <= 4; i++)
		assert_int_equal(switch_add_static_mac(sw, b, 1, test_mac(10 + i), err, sizeof(err)),
				 0);
	test_send(sw, a, test_broadcast, test_mac(1), -1);
	assert_null(lookup(sw, 1, test_mac(1)));
	assert_int_equal(sw->fdb_full, 1);
	assert_int_equal(test_count_and_clear(b), 1); /* still forwarded */
	for (unsigned i = 1; i <= 4; i++)
		assert_true(lookup(sw, 1, test_mac(10 + i))->flags & FDB_F_STATIC);
	switch_destroy(sw);
	packet_pool_destroy(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_source_is_learned_on_ingress_port_and_vid, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_learned_mac_ages_out_after_ageing_time, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_traffic_refreshes_a_learned_mac, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_static_entry_never_ages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_static_entry_is_not_moved_and_spoofer_is_dropped,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mac_moves_to_the_port_it_appears_on, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_mac_limit_drops_frames_from_new_sources, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_learning_off_learns_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multicast_source_is_dropped, setup, teardown),
	    cmocka_unit_test(test_full_table_still_forwards),
	    cmocka_unit_test_setup_teardown(test_mac_limit_holds_under_a_flood, setup, teardown),
	    cmocka_unit_test(test_full_table_takes_from_the_port_with_most_entries),
	    cmocka_unit_test(test_full_table_evicts_the_oldest_of_the_biggest_port),
	    cmocka_unit_test(test_table_full_of_static_entries_refuses_learning),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
