/* test_security_config.c — port-security settings as text: parsed by
 * `port set`, printed in running-config and parsed back to an equal model;
 * bad words refused with a message that says what to write. */
#include "control/config.h"
#include "control/security_config.h"
#include "helpers.h"

static int parse(struct config_port *p, const char *line)
{
	char buf[1024], *argv[64], err[256];
	int argc = 0;
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *w = strtok(buf, " "); w; w = strtok(NULL, " "))
		argv[argc++] = w;
	int error = config_parse_port_settings(p, argc, argv, false, err, sizeof(err));
	if (error)
		print_message("%s\n", err);
	return error;
}

static void printed(const struct port_security *s, char *buf, size_t size)
{
	FILE *out = fmemopen(buf, size, "w");
	config_print_security(s, out);
	fclose(out);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct config_port a = {.name = "vm1"}, b = {.name = "vm1"};
	port_config_init(&a.settings);
	port_config_init(&b.settings);
	assert_int_equal(parse(&a, "pvid 3 mac 52:54:00:00:00:01,10.0.0.5,fd00::5/128,fd01::/64 "
				   "allowed-addresses 52:54:00:00:00:02,10.1.0.0/16 "
				   "52:54:00:00:00:03 mac-limit 4 promiscuous accept trusted off"),
			 0);
	char text[1024];
	printed(&a.settings.security, text, sizeof(text));
	assert_string_equal(text,
			    " mac 52:54:00:00:00:01,10.0.0.5,fd00::5,fd01::/64"
			    " allowed-addresses 52:54:00:00:00:02,10.1.0.0/16 52:54:00:00:00:03"
			    " promiscuous accept trusted off");
	assert_int_equal(parse(&b, text + 1), 0);
	assert_true(config_security_equal(&a.settings.security, &b.settings.security));
	assert_int_equal(a.settings.mac_limit, 4);
	assert_int_equal(parse(&b, "promiscuous default mac none"), 0);
	assert_false(config_security_equal(&a.settings.security, &b.settings.security));
	printed(&b.settings.security, text, sizeof(text));
	assert_string_equal(text,
			    " allowed-addresses 52:54:00:00:00:02,10.1.0.0/16 52:54:00:00:00:03"
			    " trusted off");
	assert_int_equal(parse(&b, "allowed-addresses none trusted default"), 0);
	assert_false(b.settings.security.enabled);
}

static void test_bad_values_are_refused(void **state)
{
	(void)state;
	struct config_port p = {.name = "vm1"};
	port_config_init(&p.settings);
	assert_int_equal(parse(&p, "mac ff:ff:ff:ff:ff:ff"), -EINVAL);
	assert_int_equal(parse(&p, "mac 52:54:00:00:00:01,10.0.0.5/24"), -EINVAL);
	assert_int_equal(parse(&p, "mac 52:54:00:00:00:01,10.0.0.300"), -EINVAL);
	assert_int_equal(parse(&p, "mac 52:54:00:00:00:01,10.0.0.0/33"), -EINVAL);
	assert_int_equal(parse(&p, "promiscuous maybe"), -EINVAL);
	assert_int_equal(parse(&p, "trusted yes"), -EINVAL);
	assert_int_equal(parse(&p, "mac 52:54:00:00:00:01,1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5,"
				   "6.6.6.6,7.7.7.7,8.8.8.8,9.9.9.9"),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_bad_values_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
