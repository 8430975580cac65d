/* test_fdb.c — the MAC table (src/engine/fdb.c): lookup by (VID, MAC), the
 * capacity and memory bounds, backward-shift deletion checked against a
 * reference model, per-port dynamic counts, flushing, ageing and iteration. */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

/* The key of MAC 02:00:00:xx:xx:xx (n in the low 24 bits) on vid. */
static uint64_t key_of(uint16_t vid, uint32_t n)
{
	uint8_t mac[6];
	mac_from_u64(0x020000000000ULL | (n & 0xffffff), mac);
	return fdb_key(vid, mac);
}

static struct fdb_entry *find(struct fdb *fdb, uint64_t key)
{
	return fdb_find(fdb, key, hash_u64(key));
}

static struct fdb_entry *insert(struct fdb *fdb, uint64_t key, uint16_t port, uint16_t flags,
				uint32_t now)
{
	return fdb_insert(fdb, key, hash_u64(key), port, flags, now);
}

static void remove_key(struct fdb *fdb, uint64_t key)
{
	struct fdb_entry *e = find(fdb, key);
	assert_non_null(e);
	fdb_remove(fdb, e);
}

/* xorshift64*: a fixed seed makes a failure reproducible. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static void test_inserted_entry_is_found(void **state)
{
	(void)state;
	struct fdb *fdb = fdb_create(100);
	assert_non_null(fdb);
	uint64_t key = fdb_key(7, test_mac(1));
	struct fdb_entry *e = insert(fdb, key, 3, 0, 1234);
	assert_non_null(e);
	struct fdb_entry *found = find(fdb, key);
	assert_ptr_equal(found, e);
	assert_true(found->key == key);
	assert_int_equal(found->port, 3);
	assert_int_equal(found->flags, 0);
	assert_int_equal(found->last_seen, 1234);
	assert_int_equal(fdb_key_vid(found->key), 7);
	assert_int_equal(fdb->count, 1);
	fdb_destroy(fdb);
}

static void test_missing_key_is_not_found(void **state)
{
	(void)state;
	struct fdb *fdb = fdb_create(100);
	assert_null(find(fdb, fdb_key(1, test_mac(1))));
	assert_non_null(insert(fdb, fdb_key(1, test_mac(1)), 1, 0, 0));
	assert_null(find(fdb, fdb_key(1, test_mac(2))));
	fdb_destroy(fdb);
}

static void test_same_mac_in_two_vlans_is_two_entries(void **state)
{
	(void)state;
	struct fdb *fdb = fdb_create(100);
	uint64_t k1 = fdb_key(1, test_mac(9)), k2 = fdb_key(2, test_mac(9));
	assert_true(k1 != k2);
	assert_non_null(insert(fdb, k1, 1, 0, 0));
	assert_non_null(insert(fdb, k2, 2, 0, 0));
	assert_int_equal(fdb->count, 2);
	assert_int_equal(find(fdb, k1)->port, 1);
	assert_int_equal(find(fdb, k2)->port, 2);
	remove_key(fdb, k1);
	assert_null(find(fdb, k1));
	assert_non_null(find(fdb, k2));
	assert_int_equal(find(fdb, k2)->port, 2);
	fdb_destroy(fdb);
}

static void test_insert_beyond_capacity_fails(void **state)
{
	(void)state;
	struct fdb *fdb = fdb_create(10);
	for (uint32_t i = 1; i <= 10; i++)
		assert_non_null(insert(fdb, key_of(1, i), 1, 0, 0));
	assert_null(insert(fdb, key_of(1, 11), 1, 0, 0));
	assert_null(insert(fdb, key_of(1, 12), 2, FDB_F_STATIC, 0));
	assert_int_equal(fdb->count, 10);
	assert_int_equal(fdb->port_dynamic[1], 10);
	assert_null(find(fdb, key_of(1, 11)));
	/* Room comes back when an entry goes. */
	remove_key(fdb, key_of(1, 5));
	assert_non_null(insert(fdb, key_of(1, 11), 1, 0, 0));
	fdb_destroy(fdb);
}

static void test_entry_is_16_bytes(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct fdb_entry), 16);
}

static void test_memory_per_entry_at_most_32_bytes(void **state)
{
	(void)state;
	const uint32_t capacities[] = {1000, 10000, 1000000};
	for (unsigned i = 0; i < ARRAY_SIZE(capacities); i++) {
		struct fdb *fdb = fdb_create(capacities[i]);
		assert_non_null(fdb);
		assert_int_equal(fdb->capacity, capacities[i]);
		assert_true(fdb->n_slots > fdb->capacity); /* a free slot ends every probe */
		uint64_t bytes = (uint64_t)fdb->n_slots * sizeof(struct fdb_entry);
		assert_true(bytes / capacities[i] <= 32);
		fdb_destroy(fdb);
	}
}

static void test_million_entry_table_fills_completely(void **state)
{
	(void)state;
	const uint32_t n = 1000000;
	struct fdb *fdb = fdb_create(n);
	assert_non_null(fdb);
	for (uint32_t i = 0; i < n; i++) {
		uint16_t vid = (uint16_t)(1 + i % 16);
		if (!insert(fdb, key_of(vid, i / 16), (uint16_t)(i % 1000), 0, i))
			fail_msg("insert %u of %u failed", i, n);
	}
	assert_int_equal(fdb->count, n);
	assert_null(insert(fdb, key_of(100, 1), 1, 0, 0));
	for (uint32_t i = 0; i < n; i++) {
		struct fdb_entry *e = find(fdb, key_of((uint16_t)(1 + i % 16), i / 16));
		if (!e || e->last_seen != i)
			fail_msg("entry %u lost", i);
	}
	fdb_destroy(fdb);
}

/* The reference: a plain array indexed by key number. */
struct model_entry {
	bool present;
	uint16_t port;
	uint32_t last_seen;
};

#define MODEL_KEYS 400

static uint64_t model_key(unsigned k)
{
	/* Spread over a few VIDs so keys differ in the high bits too. */
	return key_of((uint16_t)(1 + k % 3), k * 2654435761u);
}

static void check_against_model(struct fdb *fdb, const struct model_entry *model,
				uint32_t expected_count, unsigned op)
{
	if (fdb->count != expected_count)
		fail_msg("op %u: count %u, model %u", op, fdb->count, expected_count);
	for (unsigned k = 0; k < MODEL_KEYS; k++) {
		struct fdb_entry *e = find(fdb, model_key(k));
		if (model[k].present != (e != NULL))
			fail_msg("op %u: key %u %s", op, k, e ? "found but removed" : "lost");
		if (e && (e->port != model[k].port || e->last_seen != model[k].last_seen))
			fail_msg("op %u: key %u holds another entry's fields", op, k);
	}
}

/* Random inserts and removals on a small, nearly full table make long probe
 * runs that wrap past the end; after every operation every key must be where
 * the model says. */
static void test_removal_keeps_remaining_entries_findable(void **state)
{
	(void)state;
	const uint32_t capacity = 200;
	struct fdb *fdb = fdb_create(capacity);
	assert_non_null(fdb);
	struct model_entry *model = calloc(MODEL_KEYS, sizeof(*model));
	assert_non_null(model);
	uint32_t count = 0;
	uint64_t seed = 0xfdbfdb42ULL;
	bool wrapped = false;
	for (unsigned op = 0; op < 200000; op++) {
		uint64_t r = next_random(&seed);
		unsigned k = (unsigned)(r % MODEL_KEYS);
		uint64_t key = model_key(k);
		unsigned kind = (unsigned)(r >> 32) % 3;
		bool changed = true;
		if (kind == 0 && !model[k].present) {
			uint16_t port = (uint16_t)((r >> 40) % 8);
			struct fdb_entry *e = insert(fdb, key, port, 0, op);
			if (count == capacity) {
				assert_null(e);
			} else {
				assert_non_null(e);
				model[k] = (struct model_entry){true, port, op};
				count++;
			}
		} else if (kind == 1 && model[k].present) {
			remove_key(fdb, key);
			model[k].present = false;
			count--;
		} else {
			assert_true((find(fdb, key) != NULL) == model[k].present);
			changed = false;
		}
		/* Note when a run crosses the end of the table. */
		if (fdb->slots[0].key && fdb->slots[fdb->n_slots - 1].key)
			wrapped = true;
		/* A lookup changes nothing, so the whole table is compared only
		 * after an insert or a removal (which keeps the run time low). */
		if (changed)
			check_against_model(fdb, model, count, op);
		else
			assert_int_equal(fdb->count, count);
	}
	assert_true(wrapped);
	uint32_t per_port = 0;
	for (unsigned p = 0; p < 8; p++)
		per_port += fdb->port_dynamic[p];
	assert_int_equal(per_port, count);
	free(model);
	fdb_destroy(fdb);
}

static void test_port_dynamic_counts_follow_insert_move_remove(void **state)
{
	(void)state;
	struct fdb *fdb = fdb_create(100);
	struct fdb_entry *a = insert(fdb, key_of(1, 1), 3, 0, 0);
	assert_non_null(insert(fdb, key_of(1, 2), 3, 0, 0));
	assert_non_null(a);
	assert_int_equal(fdb->port_dynamic[3], 2);
	fdb_move(fdb, a, 4);
	assert_int_equal(a->port, 4);
	assert_int_equal(fdb->port_dynamic[3], 1);
	assert_int_equal(fdb->port_dynamic[4], 1);
	remove_key(fdb, key_of(1, 1));
	assert_int_equal(fdb->port_dynamic[4], 0);
	assert_int_equal(fdb->port_dynamic[3], 1);
	remove_key(fdb, key_of(1, 2));
	assert_int_equal(fdb->port_dynamic[3], 0);
	assert_int_equal(fdb->count, 0);
	fdb_destroy(fdb);
}

static void test_port_dynamic_counts_ignore_static_entries(void **state)
{
	(void)state;
	struct fdb *fdb = fdb_create(100);
	struct fdb_entry *s = insert(fdb, key_of(1, 1), 3, FDB_F_STATIC, 0);
	assert_non_null(s);
	assert_non_null(insert(fdb, key_of(1, 2), 3, 0, 0));
	assert_int_equal(fdb->port_dynamic[3], 1);
	assert_int_equal(fdb->count, 2);
	fdb_move(fdb, s, 5);
	assert_int_equal(s->port, 5);
	assert_int_equal(fdb->port_dynamic[3], 1);
	assert_int_equal(fdb->port_dynamic[5], 0);
	remove_key(fdb, key_of(1, 1));
	assert_int_equal(fdb->port_dynamic[3], 1);
	assert_int_equal(fdb->port_dynamic[5], 0);
	assert_int_equal(fdb->count, 1);
	fdb_destroy(fdb);
}

/* 150 entries in a 200-entry table: VID 10 + i % 3, port i % 4, every fifth
 * one static. Flushing shifts entries around, so what is left is checked
 * entry by entry. */
#define FLUSH_N 150

static struct fdb *flush_table(void)
{
	struct fdb *fdb = fdb_create(200);
	assert_non_null(fdb);
	for (uint32_t i = 0; i < FLUSH_N; i++)
		assert_non_null(insert(fdb, key_of((uint16_t)(10 + i % 3), i), (uint16_t)(i % 4),
				       i % 5 == 0 ? FDB_F_STATIC : 0, 0));
	return fdb;
}

/* Checks that exactly the entries `gone` says went are gone. */
static void check_flushed(struct fdb *fdb, bool (*gone)(uint32_t i), uint32_t removed)
{
	uint32_t expected = 0;
	for (uint32_t i = 0; i < FLUSH_N; i++) {
		struct fdb_entry *e = find(fdb, key_of((uint16_t)(10 + i % 3), i));
		if (gone(i)) {
			expected++;
			assert_null(e);
		} else {
			assert_non_null(e);
			assert_int_equal(e->port, i % 4);
		}
	}
	assert_int_equal(removed, expected);
	assert_int_equal(fdb->count, FLUSH_N - expected);
	uint32_t dynamic = 0;
	for (uint32_t i = 0; i < FLUSH_N; i++)
		if (!gone(i) && i % 5 != 0)
			dynamic++;
	assert_int_equal(fdb->port_dynamic[0] + fdb->port_dynamic[1] + fdb->port_dynamic[2] +
			     fdb->port_dynamic[3],
			 dynamic);
}

static bool dynamic_on_port_1(uint32_t i)
{
	return i % 4 == 1 && i % 5 != 0;
}

static bool any_on_port_1(uint32_t i)
{
	return i % 4 == 1;
}

static bool dynamic_on_vid_10_or_12(uint32_t i)
{
	return i % 3 != 1 && i % 5 != 0;
}

static bool any_on_vid_11_port_2(uint32_t i)
{
	return i % 3 == 1 && i % 4 == 2;
}

static void test_flush_by_port_keeps_static_entries(void **state)
{
	(void)state;
	struct fdb *fdb = flush_table();
	uint32_t removed = fdb_flush(fdb, 1, NULL, false);
	check_flushed(fdb, dynamic_on_port_1, removed);
	assert_int_equal(fdb->port_dynamic[1], 0);
	fdb_destroy(fdb);
}

static void test_flush_by_port_with_static_removes_all_of_port(void **state)
{
	(void)state;
	struct fdb *fdb = flush_table();
	uint32_t removed = fdb_flush(fdb, 1, NULL, true);
	check_flushed(fdb, any_on_port_1, removed);
	fdb_destroy(fdb);
}

static void test_flush_by_vid_set_removes_only_those_vlans(void **state)
{
	(void)state;
	struct fdb *fdb = flush_table();
	uint64_t vids[VLAN_WORDS] = {0};
	bitset_set(vids, 10);
	bitset_set(vids, 12);
	uint32_t removed = fdb_flush(fdb, PORT_INDEX_NONE, vids, false);
	check_flushed(fdb, dynamic_on_vid_10_or_12, removed);
	fdb_destroy(fdb);
}

static void test_flush_by_port_and_vid_with_static(void **state)
{
	(void)state;
	struct fdb *fdb = flush_table();
	uint64_t vids[VLAN_WORDS] = {0};
	bitset_set(vids, 11);
	uint32_t removed = fdb_flush(fdb, 2, vids, true);
	check_flushed(fdb, any_on_vid_11_port_2, removed);
	fdb_destroy(fdb);
}

static void test_flush_everything(void **state)
{
	(void)state;
	struct fdb *fdb = flush_table();
	assert_int_equal(fdb_flush(fdb, PORT_INDEX_NONE, NULL, true), FLUSH_N);
	assert_int_equal(fdb->count, 0);
	for (uint32_t i = 0; i < fdb->n_slots; i++)
		assert_true(fdb->slots[i].key == 0);
	fdb_destroy(fdb);
}

/* 180 entries in a 200-entry table, last_seen 1000 - i for i in [0, 180):
 * with now 1000 and ageing 100, i >= 100 has expired; every seventh entry
 * is static and stays whatever its age. */
#define AGE_N 180

static struct fdb *age_table(void)
{
	struct fdb *fdb = fdb_create(200);
	assert_non_null(fdb);
	for (uint32_t i = 0; i < AGE_N; i++)
		assert_non_null(
		    insert(fdb, key_of(1, i), 1, i % 7 == 0 ? FDB_F_STATIC : 0, 1000 - i));
	return fdb;
}

static bool expired(uint32_t i)
{
	return i >= 100 && i % 7 != 0;
}

static void check_aged(struct fdb *fdb)
{
	for (uint32_t i = 0; i < AGE_N; i++) {
		struct fdb_entry *e = find(fdb, key_of(1, i));
		if (expired(i) ? e != NULL : e == NULL)
			fail_msg("entry %u (age %u%s) %s", i, i, i % 7 ? "" : ", static",
				 e ? "survived" : "was aged out");
	}
}

static uint32_t expired_count(void)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < AGE_N; i++)
		n += expired(i);
	return n;
}

static void test_age_removes_expired_dynamic_entries_only(void **state)
{
	(void)state;
	struct fdb *fdb = age_table();
	/* Budget for every slot plus one re-examination per removal. */
	uint32_t removed = fdb_age(fdb, 1000, 100, fdb->n_slots + AGE_N);
	removed += fdb_age(fdb, 1000, 100, fdb->n_slots + AGE_N);
	assert_int_equal(removed, expired_count());
	assert_int_equal(fdb->count, AGE_N - expired_count());
	check_aged(fdb);
	fdb_destroy(fdb);
}

/* A slot re-examined after a removal must not use up budget: a call whose
 * budget covers the whole table removes every expired entry (a regression
 * test: it once left 13 of 69). The table is in *state so that the
 * teardown frees it when an assertion fails. */
static void test_age_with_whole_table_budget_sweeps_in_one_call(void **state)
{
	struct fdb *fdb = age_table();
	*state = fdb;
	uint32_t removed = fdb_age(fdb, 1000, 100, UINT32_MAX);
	assert_int_equal(removed, expired_count());
	check_aged(fdb);
}

static int destroy_table(void **state)
{
	fdb_destroy(*state);
	return 0;
}

static void test_age_at_exactly_ageing_seconds_expires(void **state)
{
	(void)state;
	struct fdb *fdb = fdb_create(10);
	assert_non_null(insert(fdb, key_of(1, 1), 1, 0, 900));
	assert_non_null(insert(fdb, key_of(1, 2), 1, 0, 901));
	assert_int_equal(fdb_age(fdb, 1000, 100, fdb->n_slots), 1);
	assert_null(find(fdb, key_of(1, 1)));
	assert_non_null(find(fdb, key_of(1, 2)));
	assert_int_equal(fdb->port_dynamic[1], 1);
	fdb_destroy(fdb);
}

static void test_age_with_small_budget_sweeps_over_several_calls(void **state)
{
	(void)state;
	struct fdb *fdb = age_table();
	const uint32_t budget = 16;
	const uint32_t want = expired_count();
	uint32_t first = fdb_age(fdb, 1000, 100, budget);
	assert_true(first < want);
	/* Each call scans `budget` slots; a removal costs one re-scan. */
	uint32_t max_calls = (fdb->n_slots + want) / budget + 2;
	uint32_t removed = first, calls = 1;
	while (removed < want && calls < max_calls) {
		removed += fdb_age(fdb, 1000, 100, budget);
		calls++;
	}
	assert_true(calls > 1);
	assert_int_equal(removed, want);
	check_aged(fdb);
	/* Another lap finds nothing more. */
	for (uint32_t i = 0; i < max_calls; i++)
		assert_int_equal(fdb_age(fdb, 1000, 100, budget), 0);
	fdb_destroy(fdb);
}

struct visit_record {
	uint8_t seen[FLUSH_N];
	uint32_t visits;
};

static void record_visit(const struct fdb_entry *entry, void *ctx)
{
	struct visit_record *r = ctx;
	uint8_t mac[6];
	mac_from_u64(entry->key & 0xffffffffffffULL, mac);
	uint32_t i = ((uint32_t)mac[3] << 16) | ((uint32_t)mac[4] << 8) | mac[5];
	assert_true(i < FLUSH_N);
	assert_true(entry->key == key_of((uint16_t)(10 + i % 3), i));
	r->seen[i]++;
	r->visits++;
}

static void test_foreach_visits_each_entry_once(void **state)
{
	(void)state;
	struct fdb *fdb = flush_table();
	struct visit_record r = {0};
	fdb_foreach(fdb, record_visit, &r);
	assert_int_equal(r.visits, FLUSH_N);
	for (uint32_t i = 0; i < FLUSH_N; i++)
		assert_int_equal(r.seen[i], 1);
	fdb_destroy(fdb);
}

static void test_create_rejects_capacity_out_of_range(void **state)
{
	(void)state;
	assert_null(fdb_create(0));
	assert_null(fdb_create(FDB_MAX_CAPACITY + 1));
	struct fdb *fdb = fdb_create(1);
	assert_non_null(fdb);
	assert_non_null(insert(fdb, key_of(1, 1), 1, 0, 0));
	assert_null(insert(fdb, key_of(1, 2), 1, 0, 0));
	fdb_destroy(fdb);
}

static void test_destroy_null_is_noop(void **state)
{
	(void)state;
	fdb_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_inserted_entry_is_found),
	    cmocka_unit_test(test_missing_key_is_not_found),
	    cmocka_unit_test(test_same_mac_in_two_vlans_is_two_entries),
	    cmocka_unit_test(test_insert_beyond_capacity_fails),
	    cmocka_unit_test(test_entry_is_16_bytes),
	    cmocka_unit_test(test_memory_per_entry_at_most_32_bytes),
	    cmocka_unit_test(test_million_entry_table_fills_completely),
	    cmocka_unit_test(test_removal_keeps_remaining_entries_findable),
	    cmocka_unit_test(test_port_dynamic_counts_follow_insert_move_remove),
	    cmocka_unit_test(test_port_dynamic_counts_ignore_static_entries),
	    cmocka_unit_test(test_flush_by_port_keeps_static_entries),
	    cmocka_unit_test(test_flush_by_port_with_static_removes_all_of_port),
	    cmocka_unit_test(test_flush_by_vid_set_removes_only_those_vlans),
	    cmocka_unit_test(test_flush_by_port_and_vid_with_static),
	    cmocka_unit_test(test_flush_everything),
	    cmocka_unit_test(test_age_removes_expired_dynamic_entries_only),
	    cmocka_unit_test_teardown(test_age_with_whole_table_budget_sweeps_in_one_call,
				      destroy_table),
	    cmocka_unit_test(test_age_at_exactly_ageing_seconds_expires),
	    cmocka_unit_test(test_age_with_small_budget_sweeps_over_several_calls),
	    cmocka_unit_test(test_foreach_visits_each_entry_once),
	    cmocka_unit_test(test_create_rejects_capacity_out_of_range),
	    cmocka_unit_test(test_destroy_null_is_noop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
