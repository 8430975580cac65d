/* test_mcast_snoop.c — snooping in the pipeline, on pipe ports: a join
 * keeps a group's data to its member and the router ports, reports go to
 * router ports only, link-local groups and (by default) unknown groups
 * flood, the limits drop and count refused reports, malformed IGMP is
 * dropped and counted, housekeeping ages memberships out, and the querier
 * queries until a lower address is heard; two poll threads learning at
 * once leave the table consistent. */
#include <pthread.h>
#include <stdlib.h>

#include "helpers.h"
#include "mcast_frames.h"

static const uint8_t group6[16] = {0xff, 0x0e, [14] = 1, [15] = 2};

/* Ethernet header for the IP packet at f + 14 (its MAC from the group). */
static uint32_t eth(uint8_t *f, uint32_t ip_len, bool v6, unsigned src)
{
	if (v6) {
		f[0] = f[1] = 0x33;
		memcpy(f + 2, f + 14 + 24 + 12, 4);
	} else {
		f[0] = 0x01;
		f[1] = 0x00;
		f[2] = 0x5e;
		f[3] = f[14 + 17] & 0x7f;
		f[4] = f[14 + 18];
		f[5] = f[14 + 19];
	}
	memcpy(f + 6, test_mac(src), 6);
	store_be16(f + 12, v6 ? 0x86dd : 0x0800);
	return 14 + ip_len;
}

static void send_ip(struct vswitch *sw, struct bridge_port *p, uint8_t *f, uint32_t ip_len, bool v6)
{
	uint32_t len = eth(f, ip_len, v6, p->index + 1);
	test_send_raw(sw, p, f, len < 60 ? 60 : len);
}

static void data4(struct vswitch *sw, struct bridge_port *p, uint32_t group)
{
	uint8_t f[128], udp[8] = {0};
	send_ip(sw, p, f, mf_ipv4(f + 14, 17, group, udp, 8), false);
}

struct lab {
	struct vswitch *sw;
	struct bridge_port *a, *b, *c;
};

static int setup(void **state)
{
	struct lab *l = calloc(1, sizeof(*l));
	test_switch_fake_clock((void **)&l->sw);
	l->sw->config.mcast.enabled = true;
	mcast_configure(l->sw);
	l->a = test_port(l->sw, "a", 1, NULL, false);
	l->b = test_port(l->sw, "b", 1, NULL, false);
	l->c = test_port(l->sw, "c", 1, NULL, false);
	*state = l;
	return 0;
}

static int teardown(void **state)
{
	struct lab *l = *state;
	test_switch_destroy(l->sw);
	free(l);
	return 0;
}

static void configure(struct lab *l)
{
	mcast_configure(l->sw);
	assert_non_null(l->sw->mcast);
}

static void test_data_goes_to_members_only(void **state)
{
	struct lab *l = *state;
	uint8_t f[160];
	send_ip(l->sw, l->b, f, mf_igmp2(f + 14, 0x16, 0xef010101), false);
	assert_int_equal(test_count_and_clear(l->a) + test_count_and_clear(l->c), 0);
	assert_int_equal(l->b->counters.consumed, 1); /* no router port */
	data4(l->sw, l->a, 0xef010101);
	assert_int_equal(test_count_and_clear(l->b), 1);
	assert_int_equal(test_count_and_clear(l->c), 0);
	assert_int_equal(l->sw->mcast->counters.snooped, 1);
	/* IPv6 through MLDv2, into a router port c set by hand. */
	struct port_config pc = l->c->config;
	pc.mcast.router = MCAST_ROUTER_YES;
	char err[128];
	assert_int_equal(switch_configure_port(l->sw, l->c, &pc, err, sizeof(err)), 0);
	configure(l);
	send_ip(l->sw, l->a, f, mf_mld2(f + 14, 4, group6), true);
	assert_int_equal(test_count_and_clear(l->c), 1); /* the report to the router */
	assert_int_equal(test_count_and_clear(l->b), 0);
	uint8_t udp[8] = {0};
	send_ip(l->sw, l->b, f, mf_ipv6(f + 14, group6, udp, 8), true);
	assert_int_equal(test_count_and_clear(l->a), 1);
	assert_int_equal(test_count_and_clear(l->c), 1);
	/* The leave: only the router keeps getting it. */
	send_ip(l->sw, l->b, f, mf_igmp2(f + 14, 0x17, 0xef010101), false);
	test_clear_all(l->sw);
	l->sw->config.mcast.flood_unknown = false;
	data4(l->sw, l->a, 0xef010101);
	assert_int_equal(test_count_and_clear(l->b), 0);
	assert_int_equal(test_count_and_clear(l->c), 1);
}

static void test_link_local_and_unknown_flood(void **state)
{
	struct lab *l = *state;
	uint8_t f[160];
	data4(l->sw, l->a, 0xe00000fb);
	assert_int_equal(test_count_and_clear(l->b) + test_count_and_clear(l->c), 2);
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
	uint8_t icmp[8] = {128};
	send_ip(l->sw, l->a, f, mf_ipv6(f + 14, all_nodes, icmp, 8), true);
	assert_int_equal(test_count_and_clear(l->b) + test_count_and_clear(l->c), 2);
	data4(l->sw, l->a, 0xef090909); /* unknown: floods by default */
	assert_int_equal(test_count_and_clear(l->b) + test_count_and_clear(l->c), 2);
	assert_int_equal(l->sw->mcast->counters.unregistered, 1);
	l->sw->config.mcast.flood_unknown = false; /* no router: nowhere */
	data4(l->sw, l->a, 0xef090909);
	assert_int_equal(test_count_and_clear(l->b) + test_count_and_clear(l->c), 0);
	assert_int_equal(l->a->counters.drops[DROP_NO_ROUTE], 1);
	/* Snooping off: everything floods, nothing is parsed. */
	l->sw->config.mcast.enabled = false;
	mcast_configure(l->sw);
	assert_null(l->sw->mcast);
	data4(l->sw, l->a, 0xef090909);
	assert_int_equal(test_count_and_clear(l->b) + test_count_and_clear(l->c), 2);
}

static void test_limits_drop_and_count_refused_reports(void **state)
{
	struct lab *l = *state;
	uint8_t f[160];
	l->sw->config.mcast.max_port_groups = 4;
	send_ip(l->sw, l->c, f, mf_igmp2(f + 14, 0x16, 0xef0000ff), false);
	for (uint32_t i = 0; i < 10; i++)
		send_ip(l->sw, l->b, f, mf_igmp2(f + 14, 0x16, 0xef000000 + i), false);
	assert_int_equal(l->sw->mcast->counters.refused_port, 6);
	assert_int_equal(l->sw->mcast->port_refused[l->b->index], 6);
	assert_int_equal(l->b->counters.drops[DROP_MCAST_LIMIT], 6);
	assert_int_equal(l->sw->mcast->table->port_groups[l->b->index], 4);
	data4(l->sw, l->a, 0xef0000ff); /* c's group still works */
	assert_int_equal(test_count_and_clear(l->c), 1);
	assert_int_equal(test_count_and_clear(l->b), 0);
	/* The switch's limit (a new table of 2 groups). */
	l->sw->config.mcast.max_groups = 2;
	configure(l);
	for (uint32_t i = 0; i < 3; i++)
		send_ip(l->sw, l->a, f, mf_igmp2(f + 14, 0x16, 0xef000000 + i), false);
	assert_int_equal(l->sw->mcast->counters.refused_switch, 1);
	assert_int_equal(l->sw->mcast->table->n_groups, 2);
}

static void test_malformed_is_dropped_and_counted(void **state)
{
	struct lab *l = *state;
	uint8_t f[160];
	uint32_t len = mf_igmp2(f + 14, 0x16, 0xef010101);
	store_be16(f + 14 + 2, 200); /* IP length beyond the frame */
	send_ip(l->sw, l->b, f, len, false);
	assert_int_equal(l->b->counters.drops[DROP_MCAST_MALFORMED], 1);
	assert_int_equal(l->sw->mcast->counters.malformed, 1);
	assert_int_equal(test_count_and_clear(l->a) + test_count_and_clear(l->c), 0);
}

static void test_memberships_age_in_housekeeping(void **state)
{
	struct lab *l = *state;
	uint8_t f[160];
	l->sw->config.mcast.membership_interval = 10;
	l->sw->config.mcast.flood_unknown = false;
	send_ip(l->sw, l->b, f, mf_igmp2(f + 14, 0x16, 0xef010101), false);
	uint32_t now = l->sw->now;
	switch_run(l->sw, now + 9);
	data4(l->sw, l->a, 0xef010101);
	assert_int_equal(test_count_and_clear(l->b), 1);
	switch_run(l->sw, now + 10);
	data4(l->sw, l->a, 0xef010101);
	assert_int_equal(test_count_and_clear(l->b), 0);
	assert_int_equal(l->sw->mcast->table->n_groups, 0);
}

static void test_querier_yields_to_a_lower_address(void **state)
{
	struct lab *l = *state;
	uint8_t f[160];
	struct mcast_config *c = &l->sw->config.mcast;
	bitset_set(c->querier_vids, 1);
	c->query_interval = 5;
	c->querier_address = 0x0a000009;
	uint32_t now = l->sw->now;
	switch_run(l->sw, now);
	struct test_frame q = test_take(l->a);
	assert_int_equal(q.len, 14 + 24 + 12);
	assert_int_equal(q.data[14 + 24], 0x11);
	assert_int_equal(load_be32(q.data + 14 + 12), 0x0a000009);
	assert_int_equal(test_count_and_clear(l->b) + test_count_and_clear(l->c), 2);
	switch_run(l->sw, now + 1); /* not due */
	assert_int_equal(test_count_and_clear(l->a), 0);
	/* 10.0.0.1 queries (mf_ipv4's source): lower, it wins. */
	uint32_t len = mf_igmp2(f + 14, 0x11, 0);
	store_be32(f + 14 + 16, 0xe0000001);
	send_ip(l->sw, l->c, f, len, false);
	test_clear_all(l->sw);
	switch_run(l->sw, now + 5);
	assert_int_equal(test_count_and_clear(l->a), 0);
	assert_int_equal(l->sw->mcast->counters.queries, 1);
	/* c is a router port now: reports go there. */
	send_ip(l->sw, l->b, f, mf_igmp2(f + 14, 0x16, 0xef010101), false);
	assert_int_equal(test_count_and_clear(l->c), 1);
	assert_int_equal(test_count_and_clear(l->a), 0);
	/* A new table size keeps the learned router and the election. */
	l->sw->config.mcast.max_groups = 100;
	configure(l);
	send_ip(l->sw, l->b, f, mf_igmp2(f + 14, 0x16, 0xef010101), false);
	assert_int_equal(test_count_and_clear(l->c), 1);
	switch_run(l->sw, now + 10);
	assert_int_equal(test_count_and_clear(l->a), 0);
}

/* ---- two threads learning at once (vswitchd --cores) -------------------- */

#define RACE_GROUPS 64
#define RACE_ROUNDS 1500

struct racer {
	struct vswitch *sw;
	struct bridge_port *in;
	struct packet_pool *pool;
	pthread_barrier_t *start;
};

/* Batches of joins then leaves of RACE_GROUPS groups (consumed: no router
 * port), straight into the hook as the pipeline would hand them. */
static void *race_thread(void *arg)
{
	struct racer *r = arg;
	pthread_barrier_wait(r->start);
	for (unsigned round = 0; round < RACE_ROUNDS; round++) {
		struct packet_batch batch = {.count = 0};
		for (uint32_t g = 0; g < RACE_GROUPS; g++) {
			struct packet *p = packet_alloc(r->pool);
			uint8_t type = (round + g) % 3 ? 0x16 : 0x17;
			uint32_t len = mf_igmp2(p->data + 14, type, 0xef000000 + g);
			p->len = (uint16_t)eth(p->data, len, false, r->in->index + 1);
			p->vid = 1;
			p->flags = 0;
			p->drop = DROP_NONE;
			p->out_port = FORWARD_FLOOD;
			packet_batch_add(&batch, p);
		}
		mcast_snoop_batch(r->sw, r->in, &batch);
		packet_batch_free(&batch); /* what the limits refused */
	}
	return NULL;
}

static void test_two_threads_learning_keep_the_table_consistent(void **state)
{
	struct lab *l = *state;
	l->sw->config.mcast.max_port_groups = RACE_GROUPS / 2;
	l->sw->n_threads = 2;
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 2);
	struct racer ra = {l->sw, l->a, packet_pool_create(256, 0), &start};
	struct racer rb = {l->sw, l->b, packet_pool_create(256, 0), &start};
	pthread_t ta, tb;
	assert_int_equal(pthread_create(&ta, NULL, race_thread, &ra), 0);
	assert_int_equal(pthread_create(&tb, NULL, race_thread, &rb), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_barrier_destroy(&start);
	packet_pool_destroy(ra.pool);
	packet_pool_destroy(rb.pool);
	l->sw->n_threads = 1;
	/* Every group's port set is its member list; the counts add up. */
	const struct mcast_table *t = l->sw->mcast->table;
	uint32_t groups = 0, per_port[3] = {0};
	for (uint32_t gi = 0; gi < t->max_groups; gi++) {
		const struct mcast_group *g = &t->groups[gi];
		if (!g->n_members)
			continue;
		groups++;
		uint64_t ports = 0;
		uint16_t n = 0;
		for (uint32_t i = g->members; i; i = t->members[i - 1].next, n++) {
			assert_true(t->members[i - 1].port < 3);
			ports |= 1ull << t->members[i - 1].port;
			per_port[t->members[i - 1].port]++;
		}
		assert_int_equal(n, g->n_members);
		assert_int_equal(ports, g->ports[0]);
		assert_ptr_equal(mcast_table_find(t, g->vid, &g->addr), g);
	}
	assert_int_equal(groups, t->n_groups);
	assert_int_equal(per_port[0] + per_port[1], t->n_members);
	assert_int_equal(per_port[0], t->port_groups[0]);
	assert_int_equal(per_port[1], t->port_groups[1]);
	assert_true(per_port[0] <= RACE_GROUPS / 2 && per_port[1] <= RACE_GROUPS / 2);
	const struct mcast_counters *c = &l->sw->mcast->counters;
	assert_int_equal(c->reports + c->leaves, 2 * RACE_ROUNDS * RACE_GROUPS);
	/* Emptied, the pools take a full table's worth again. */
	mcast_table_expire(l->sw->mcast->table, 0, PORT_INDEX_NONE, true);
	for (uint32_t g = 0; g < MCAST_DEFAULT_MAX_GROUPS; g++) {
		struct mcast_addr a = {.b = {[10] = 0xff, [11] = 0xff, 239, 9}};
		store_be16(a.b + 14, (uint16_t)g);
		assert_int_equal(mcast_table_join(l->sw->mcast->table, 1, &a, 2, 0, 9, 0), 0);
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_data_goes_to_members_only),
	    T(test_link_local_and_unknown_flood),
	    T(test_limits_drop_and_count_refused_reports),
	    T(test_malformed_is_dropped_and_counted),
	    T(test_memberships_age_in_housekeeping),
	    T(test_querier_yields_to_a_lower_address),
	    T(test_two_threads_learning_keep_the_table_consistent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
