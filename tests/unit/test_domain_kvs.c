/* test_domain_kvs.c — the copy of a domain's keys (src/cluster/domain_kvs.c):
 * puts keep it sorted and replace, deletes remove, clear empties. */
#include <stdlib.h>
#include <string.h>

#include "cluster/domain_kvs.h"
#include "helpers.h"

static void test_puts_keep_keys_sorted_and_replace_values(void **state)
{
	(void)state;
	struct domain_kvs t = {0};
	char key[32];
	for (int i = 99; i >= 0; i--) {
		snprintf(key, sizeof(key), "/k/%03d", (i * 37) % 100);
		assert_int_equal(domain_kvs_put(&t, key, "v", 1, 1, (int64_t)i), 0);
	}
	assert_int_equal(t.n, 100);
	for (size_t i = 1; i < t.n; i++)
		assert_true(strcmp(t.v[i - 1].key, t.v[i].key) < 0);
	assert_int_equal(domain_kvs_put(&t, "/k/050", "new\0x", 5, 1, 200), 0);
	const struct domain_kv *kv = domain_kvs_find(&t, "/k/050");
	assert_non_null(kv);
	assert_int_equal(kv->value_len, 5);
	assert_string_equal(kv->value, "new");
	assert_int_equal(kv->mod_revision, 200);
	assert_int_equal(t.n, 100);
	domain_kvs_clear(&t);
}

static void test_delete_removes_only_that_key(void **state)
{
	(void)state;
	struct domain_kvs t = {0};
	domain_kvs_put(&t, "/a", "1", 1, 1, 1);
	domain_kvs_put(&t, "/b", "2", 1, 2, 2);
	domain_kvs_put(&t, "/c", "3", 1, 3, 3);
	assert_true(domain_kvs_delete(&t, "/b"));
	assert_false(domain_kvs_delete(&t, "/b"));
	assert_null(domain_kvs_find(&t, "/b"));
	assert_non_null(domain_kvs_find(&t, "/a"));
	assert_string_equal(domain_kvs_find(&t, "/c")->value, "3");
	assert_int_equal(t.n, 2);
	domain_kvs_clear(&t);
	assert_int_equal(t.n, 0);
	assert_null(domain_kvs_find(&t, "/a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_puts_keep_keys_sorted_and_replace_values),
	    cmocka_unit_test(test_delete_removes_only_that_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
