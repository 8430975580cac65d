/* test_domain_view.c — the whole domain decoded (src/cluster/domain_view.c):
 * every kind lands in its list, a bad value is left out and counted, keys
 * of unknown kinds are ignored, a newer schema is refused. */
#include <stdlib.h>
#include <string.h>

#include "cluster/domain_schema.h"
#include "helpers.h"

static void put(struct domain_kvs *t, const char *key, const char *value)
{
	assert_int_equal(domain_kvs_put(t, key, value, strlen(value), 1, 1), 0);
}

static void test_every_kind_is_decoded_bad_values_counted(void **state)
{
	(void)state;
	struct domain_kvs t = {0};
	put(&t, "/vswitch/lab/version", "1");
	put(&t, "/vswitch/lab/hosts/h1", "{\"vtep\":\"10.0.0.1\",\"ports\":[\"vm1\"]}");
	put(&t, "/vswitch/lab/host-state/h2", "{\"registered\":10,\"down-since\":20}");
	put(&t, "/vswitch/lab/profiles/web", "{\"settings\":{\"pvid\":\"10\"}}");
	put(&t, "/vswitch/lab/profiles/bad", "{\"settings\":7}");
	put(&t, "/vswitch/lab/bindings/vm1", "{\"host\":\"h1\",\"profile\":\"web\"}");
	put(&t, "/vswitch/lab/macs/02:00:00:00:00:01", "{\"host\":\"h2\"}");
	put(&t, "/vswitch/lab/segments/10", "{}");
	put(&t, "/vswitch/other/hosts/h9", "{}");
	struct domain_view v;
	char err[256];
	assert_int_equal(domain_view_build(&v, "lab", &t, err, sizeof(err)), 0);
	assert_int_equal(v.n_hosts, 1);
	assert_string_equal(domain_view_host(&v, "h1")->vtep, "10.0.0.1");
	assert_int_equal(domain_view_host_state(&v, "h2")->down_since, 20);
	assert_int_equal(v.n_profiles, 1);
	assert_non_null(domain_view_profile(&v, "web"));
	assert_null(domain_view_profile(&v, "bad"));
	assert_int_equal(v.n_bad, 1);
	assert_non_null(strstr(v.first_bad, "profile bad"));
	assert_string_equal(domain_view_binding(&v, "vm1")->profile, "web");
	uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
	assert_string_equal(domain_view_mac(&v, mac)->host, "h2");
	domain_view_free(&v);
	/* The model's part only: profiles and bindings, the version checked. */
	assert_int_equal(
	    domain_view_build_kinds(&v, "lab", &t, DOMAIN_VIEW_MODEL, err, sizeof(err)), 0);
	assert_int_equal(v.n_hosts + v.n_host_states + v.n_macs, 0);
	assert_int_equal(v.n_profiles + v.n_bindings, 2);
	domain_view_free(&v);
	domain_kvs_clear(&t);
}

static void test_newer_schema_is_refused_whole(void **state)
{
	(void)state;
	struct domain_kvs t = {0};
	put(&t, "/vswitch/lab/version", "2");
	put(&t, "/vswitch/lab/profiles/web", "{}");
	struct domain_view v;
	char err[256];
	assert_int_equal(domain_view_build(&v, "lab", &t, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "schema version 2"));
	assert_int_equal(v.n_profiles, 0);
	domain_kvs_clear(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_kind_is_decoded_bad_values_counted),
	    cmocka_unit_test(test_newer_schema_is_refused_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
