/* test_learn_threads.c — learning and lookups from two poll threads at once
 * (vswitchd --cores) on one MAC table: learn.c's locked slow path and
 * fdb.c's lock-free reads. Each test races two threads for many rounds and
 * then checks what must hold whatever the interleaving was: no MAC twice,
 * per-port counts equal to the entries, the MAC limit kept, and a lookup
 * that never answers with another MAC's port. */
#include <pthread.h>

#include "helpers.h"
#include "lib/spinlock.h"

#define MACS   200
#define ROUNDS 3000

static void mac_of(unsigned n, uint8_t mac[6])
{
	const uint8_t m[6] = {0x02, 0, 0, 0x10, (uint8_t)(n >> 8), (uint8_t)n};
	memcpy(mac, m, 6);
}

struct learner {
	struct vswitch *sw;
	struct bridge_port *in;
	struct packet_pool *pool;
	unsigned first, count, rounds;
	pthread_barrier_t *start;
};

/* One batch from `in` with sources first..first+count-1 (count <= 256). */
static void learn_once(struct learner *l)
{
	struct packet_batch batch;
	batch.count = 0;
	for (unsigned i = 0; i < l->count; i++) {
		struct packet *p = packet_alloc(l->pool);
		assert_non_null(p);
		memset(p->data, 0xff, 6);
		mac_of(l->first + i, p->data + 6);
		p->len = 60;
		p->vid = 1;
		p->drop = DROP_NONE;
		p->src_hash = hash_u64(fdb_key(1, p->data + 6));
		packet_batch_add(&batch, p);
	}
	learn_batch(l->sw, l->in, &batch);
	packet_batch_free(&batch);
}

static void *learn_thread(void *arg)
{
	struct learner *l = arg;
	pthread_barrier_wait(l->start);
	for (unsigned r = 0; r < l->rounds; r++)
		learn_once(l);
	return NULL;
}

/* Two threads learn the same MACs on two ports for ROUNDS rounds each. */
static void race(struct vswitch *sw, struct bridge_port *a, struct bridge_port *b)
{
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 2);
	struct learner la = {sw, a, packet_pool_create(512, 0), 1, MACS, ROUNDS, &start};
	struct learner lb = {sw, b, packet_pool_create(512, 0), 1, MACS, ROUNDS, &start};
	pthread_t ta, tb;
	assert_int_equal(pthread_create(&ta, NULL, learn_thread, &la), 0);
	assert_int_equal(pthread_create(&tb, NULL, learn_thread, &lb), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_barrier_destroy(&start);
	packet_pool_destroy(la.pool);
	packet_pool_destroy(lb.pool);
}

struct census {
	uint32_t entries;
	uint32_t per_port[SWITCH_MAX_PORTS];
};

static void count_entry(const struct fdb_entry *e, void *ctx)
{
	struct census *c = ctx;
	c->entries++;
	if (!(e->flags & FDB_F_STATIC))
		c->per_port[e->port]++;
}

/* The table agrees with itself: its counts are its entries. */
static void check_counts(const struct vswitch *sw, struct census *c)
{
	memset(c, 0, sizeof(*c));
	fdb_foreach(sw->fdb, count_entry, c);
	assert_int_equal(c->entries, sw->fdb->count);
	for (unsigned p = 0; p < 4; p++)
		assert_int_equal(c->per_port[p], sw->fdb->port_dynamic[p]);
}

static struct vswitch *threaded_switch(struct bridge_port **a, struct bridge_port **b)
{
	engine_set_threads(2);
	struct vswitch *sw = test_switch(SWITCH_MODE_LEARNING);
	engine_set_threads(1);
	assert_int_equal(sw->n_threads, 2);
	*a = test_port(sw, "a", 1, NULL, false);
	*b = test_port(sw, "b", 1, NULL, false);
	return sw;
}

/* A MAC flapping between ports on two threads is never learned twice, and
 * ends on the port that saw it last. */
static void test_moves_keep_one_entry(void **state)
{
	(void)state;
	struct bridge_port *a, *b;
	struct vswitch *sw = threaded_switch(&a, &b);
	race(sw, a, b);
	struct census c;
	check_counts(sw, &c);
	assert_int_equal(c.entries, MACS);
	assert_true(a->counters.mac_moves + b->counters.mac_moves > 0);

	/* The last word: b sees them all once more. */
	pthread_barrier_t one;
	pthread_barrier_init(&one, NULL, 1);
	struct learner last = {sw, b, packet_pool_create(512, 0), 1, MACS, 1, &one};
	learn_thread(&last);
	packet_pool_destroy(last.pool);
	pthread_barrier_destroy(&one);
	check_counts(sw, &c);
	assert_int_equal(c.per_port[b->index], MACS);
	assert_int_equal(c.per_port[a->index], 0);
	test_switch_destroy(sw);
}

/* A port's MAC limit holds while another thread takes its MACs away and
 * gives them back: the count it is checked against is exact. */
static void test_mac_limit_exact(void **state)
{
	(void)state;
	struct bridge_port *a, *b;
	struct vswitch *sw = threaded_switch(&a, &b);
	char err[256];
	struct port_config config = a->config;
	config.mac_limit = 50;
	assert_int_equal(switch_configure_port(sw, a, &config, err, sizeof(err)), 0);
	race(sw, a, b);
	struct census c;
	check_counts(sw, &c);
	assert_int_equal(c.entries, MACS);
	assert_true(c.per_port[a->index] <= 50);

	/* a takes back as many as its limit allows, not one more. */
	pthread_barrier_t one;
	pthread_barrier_init(&one, NULL, 1);
	struct learner last = {sw, a, packet_pool_create(512, 0), 1, MACS, 1, &one};
	learn_thread(&last);
	packet_pool_destroy(last.pool);
	pthread_barrier_destroy(&one);
	check_counts(sw, &c);
	assert_int_equal(c.per_port[a->index], 50);
	assert_int_equal(c.per_port[b->index], MACS - 50);
	test_switch_destroy(sw);
}

struct churn {
	struct vswitch *sw;
	struct bridge_port *port;
	bool stop;
	uint64_t confirmed, wrong;
};

/* Learns and removes MACs on `port` without end: backward shifts move
 * the entries a reader is probing for. */
static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	struct learner l = {c->sw, c->port, packet_pool_create(512, 0), 1000, 256, 1, NULL};
	for (unsigned r = 0; !__atomic_load_n(&c->stop, __ATOMIC_RELAXED); r++) {
		l.first = 1000 + (r % 4) * 64;
		learn_once(&l);
		spin_lock(&c->sw->fdb->lock);
		for (unsigned i = 0; i < 200; i++) {
			uint8_t mac[6];
			mac_of(1000 + (r * 7 + i) % 512, mac);
			uint64_t key = fdb_key(1, mac);
			struct fdb_entry *e = fdb_find(c->sw->fdb, key, hash_u64(key));
			if (e)
				fdb_remove(c->sw->fdb, e);
		}
		spin_unlock(&c->sw->fdb->lock);
	}
	packet_pool_destroy(l.pool);
	return NULL;
}

/* Lookups racing a writer may miss (the frame is flooded) but never return
 * another MAC's port. */
static void test_lookup_never_wrong(void **state)
{
	(void)state;
	struct bridge_port *a, *b;
	struct vswitch *sw = threaded_switch(&a, &b);
	char err[256];
	for (unsigned i = 0; i < 300; i++) {
		uint8_t mac[6];
		mac_of(i + 1, mac);
		assert_int_equal(switch_add_static_mac(sw, a, 1, mac, err, sizeof(err)), 0);
	}
	struct churn c = {.sw = sw, .port = b};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, churn_thread, &c), 0);
	for (unsigned r = 0; r < 2000; r++) {
		for (unsigned i = 0; i < 812; i++) {
			uint8_t mac[6];
			mac_of(i + 1 < 301 ? i + 1 : 1000 + i - 300, mac);
			uint64_t key = fdb_key(1, mac);
			const struct fdb_entry *e = fdb_find(sw->fdb, key, hash_u64(key));
			struct fdb_entry copy;
			if (e && (e = fdb_confirm(e, key, &copy))) {
				c.confirmed++;
				c.wrong += e->port != (i + 1 < 301 ? a->index : b->index);
			}
		}
	}
	__atomic_store_n(&c.stop, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	assert_true(c.confirmed > 0);
	assert_int_equal(c.wrong, 0);
	struct census census;
	check_counts(sw, &census);
	test_switch_destroy(sw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_moves_keep_one_entry),
	    cmocka_unit_test(test_mac_limit_exact),
	    cmocka_unit_test(test_lookup_never_wrong),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
