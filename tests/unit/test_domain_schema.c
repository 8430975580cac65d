/* test_domain_schema.c — the domain's keys and values in etcd
 * (src/cluster/domain_schema.c): every kind round-trips, the version key
 * refuses a newer major, and values another host wrote badly are refused
 * with a message, never read half. */
#include <stdlib.h>
#include <string.h>

#include "cluster/domain_schema.h"
#include "helpers.h"

static void test_keys_name_their_kind_and_object(void **state)
{
	(void)state;
	char key[DOMAIN_KEY_MAX], name[DOMAIN_NAME_MAX], prefix[DOMAIN_KEY_MAX];
	domain_prefix("lab", prefix, sizeof(prefix));
	assert_string_equal(prefix, "/vswitch/lab/");
	assert_true(domain_key("lab", DOMAIN_KEY_BINDING, "vm1", key, sizeof(key)));
	assert_string_equal(key, "/vswitch/lab/bindings/vm1");
	assert_int_equal(domain_key_parse(prefix, key, name, sizeof(name)), DOMAIN_KEY_BINDING);
	assert_string_equal(name, "vm1");
	assert_true(domain_key("lab", DOMAIN_KEY_VERSION, "", key, sizeof(key)));
	assert_int_equal(domain_key_parse(prefix, key, name, sizeof(name)), DOMAIN_KEY_VERSION);
	assert_int_equal(domain_key_parse(prefix, "/vswitch/lab/host-state/h1", name, sizeof(name)),
			 DOMAIN_KEY_HOST_STATE);
	assert_int_equal(
	    domain_key_parse(prefix, "/vswitch/lab/macs/02:00:00:00:00:01", name, sizeof(name)),
	    DOMAIN_KEY_MAC);
	/* Another domain, a later kind, a name the commands would refuse. */
	assert_int_equal(domain_key_parse(prefix, "/vswitch/other/hosts/h1", name, sizeof(name)),
			 DOMAIN_KEY_OTHER);
	assert_int_equal(domain_key_parse(prefix, "/vswitch/lab/segments/10", name, sizeof(name)),
			 DOMAIN_KEY_OTHER);
	assert_int_equal(domain_key_parse(prefix, "/vswitch/lab/hosts/a b", name, sizeof(name)),
			 DOMAIN_KEY_OTHER);
	assert_int_equal(domain_key_parse(prefix, "/vswitch/lab/hosts/", name, sizeof(name)),
			 DOMAIN_KEY_OTHER);
	assert_false(domain_key("lab", DOMAIN_KEY_HOST, "h1", key, 10));
}

static void test_newer_schema_major_is_refused_older_read(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(domain_version_check("lab", NULL, err, sizeof(err)), 0);
	assert_int_equal(domain_version_check("lab", "1", err, sizeof(err)), 0);
	assert_int_equal(domain_version_check("lab", "1.7", err, sizeof(err)), 0);
	assert_int_equal(domain_version_check("lab", "2", err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "upgrade vswitchd"));
	assert_int_equal(domain_version_check("lab", "x", err, sizeof(err)), -EPROTO);
}

static void test_profile_round_trips_with_settings_in_order(void **state)
{
	(void)state;
	struct domain_profile p = {
	    .name = "web", .inherit = "base", .system_vlans = "10,20", .n_settings = 2};
	strcpy(p.settings[0].key, "vids");
	strcpy(p.settings[0].value, "30-32");
	strcpy(p.settings[1].key, "pvid");
	strcpy(p.settings[1].value, "30");
	char *json = domain_profile_encode(&p), err[256];
	assert_non_null(json);
	static struct domain_profile back;
	assert_int_equal(domain_profile_decode("web", json, strlen(json), &back, err, sizeof(err)),
			 0);
	assert_string_equal(back.inherit, "base");
	assert_string_equal(back.system_vlans, "10,20");
	assert_int_equal(back.n_settings, 2);
	assert_string_equal(back.settings[0].key, "vids");
	assert_string_equal(back.settings[1].value, "30");
	free(json);
}

static void test_binding_round_trips_and_needs_host_and_profile(void **state)
{
	(void)state;
	static struct domain_binding b = {
	    .port = "vm1", .host = "h1", .sw = "sw0", .profile = "web", .n_overrides = 1};
	strcpy(b.overrides[0].key, "mac-limit");
	strcpy(b.overrides[0].value, "4");
	char *json = domain_binding_encode(&b), err[256];
	static struct domain_binding back;
	assert_int_equal(domain_binding_decode("vm1", json, strlen(json), &back, err, sizeof(err)),
			 0);
	assert_string_equal(back.port, "vm1");
	assert_string_equal(back.host, "h1");
	assert_string_equal(back.sw, "sw0");
	assert_string_equal(back.overrides[0].value, "4");
	free(json);
	const char *bad = "{\"profile\":\"web\"}";
	assert_int_equal(domain_binding_decode("vm1", bad, strlen(bad), &back, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "binding vm1: \"host\""));
}

static void test_host_and_mac_round_trip(void **state)
{
	(void)state;
	char *ports[] = {"vm1", "vm2"}, err[256];
	struct domain_host h = {.name = "h1",
				.vtep = "10.0.0.1",
				.version = "0.1.0",
				.started = 1700000000,
				.ports = ports,
				.n_ports = 2};
	char *json = domain_host_encode(&h);
	struct domain_host back;
	assert_int_equal(domain_host_decode("h1", json, strlen(json), &back, err, sizeof(err)), 0);
	assert_int_equal(back.n_ports, 2);
	assert_string_equal(back.ports[1], "vm2");
	assert_int_equal(back.started, 1700000000);
	domain_host_free(&back);
	free(json);
	struct domain_mac m = {.mac = {2, 0, 0, 0, 0, 9}, .host = "h2", .port = "vm3"};
	json = domain_mac_encode(&m);
	struct domain_mac mb;
	assert_int_equal(
	    domain_mac_decode("02:00:00:00:00:09", json, strlen(json), &mb, err, sizeof(err)), 0);
	assert_memory_equal(mb.mac, m.mac, 6);
	assert_string_equal(mb.port, "vm3");
	assert_int_equal(domain_mac_decode("nope", json, strlen(json), &mb, err, sizeof(err)),
			 -EINVAL);
	free(json);
	struct domain_host_state s = {.registered = 5, .down_since = 9}, sb;
	json = domain_host_state_encode(&s);
	assert_int_equal(domain_host_state_decode("h1", json, strlen(json), &sb, err, sizeof(err)),
			 0);
	assert_int_equal(sb.down_since, 9);
	free(json);
}

static void test_bad_values_are_refused_with_the_key_named(void **state)
{
	(void)state;
	static struct domain_profile p;
	char err[256];
	const char *cases[] = {
	    "",
	    "[1]",
	    "{\"settings\":[\"pvid\"]}",
	    "{\"settings\":{\"pvid\":5}}",
	    "{\"inherit\":\"a b\"}",
	    "{\"inherit\":7}",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    domain_profile_decode("web", cases[i], strlen(cases[i]), &p, err, sizeof(err)),
		    -EINVAL);
		assert_non_null(strstr(err, "profile web"));
	}
	const char *ports = "{\"ports\":[\"ok\",3]}";
	struct domain_host h;
	assert_int_equal(domain_host_decode("h1", ports, strlen(ports), &h, err, sizeof(err)),
			 -EINVAL);
	assert_null(h.ports);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keys_name_their_kind_and_object),
	    cmocka_unit_test(test_newer_schema_major_is_refused_older_read),
	    cmocka_unit_test(test_profile_round_trips_with_settings_in_order),
	    cmocka_unit_test(test_binding_round_trips_and_needs_host_and_profile),
	    cmocka_unit_test(test_host_and_mac_round_trip),
	    cmocka_unit_test(test_bad_values_are_refused_with_the_key_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
