/* test_profile_config.c — port profiles in the model and through the
 * commands (src/control/profile_config.c, profile_commands.c): settings
 * lists split by the port parser (settings of several words), resolution
 * root-first with the port's overrides last, refusals of loops, unknown
 * profiles and combinations that do not parse, copy/equal/print, and the
 * commands over a live datapath. */
#include <stdlib.h>
#include <string.h>

#include "control/config.h"
#include "control/execute.h"
#include "control_fixture.h"
#include "engine/datapath.h"
#include "helpers.h"

static char err[1024];

static int set(struct profile_setting *list, int *n, const char *line)
{
	char buf[1024], *argv[64];
	snprintf(buf, sizeof(buf), "%s", line);
	int argc = command_split(buf, argv, 64);
	return config_settings_set(list, n, "profile t", argc, argv, err, sizeof(err));
}

static struct profile_config *profile(struct config *cfg, const char *name, const char *inherit,
				      const char *settings)
{
	struct profile_config *p = config_add_profile(cfg);
	assert_non_null(p);
	copy_name(p->name, sizeof(p->name), name);
	copy_name(p->inherit, sizeof(p->inherit), inherit);
	if (settings[0])
		assert_int_equal(set(p->settings, &p->n_settings, settings), 0);
	return p;
}

static struct config_port *bound(struct config *cfg, const char *name, const char *prof)
{
	struct config_port *p = config_add_port(cfg);
	assert_non_null(p);
	copy_name(p->name, sizeof(p->name), name);
	copy_name(p->sw, sizeof(p->sw), "br");
	copy_name(p->type, sizeof(p->type), "pipe");
	port_config_init(&p->settings);
	copy_name(p->profile, sizeof(p->profile), prof);
	return p;
}

static struct config *model(void)
{
	struct config *cfg = config_new();
	struct config_switch *sw = config_add_switch(cfg);
	copy_name(sw->name, sizeof(sw->name), "br");
	switch_config_init(&sw->settings);
	return cfg;
}

static void test_settings_split_by_the_parser(void **state)
{
	(void)state;
	struct profile_setting list[PROFILE_MAX_SETTINGS];
	int n = 0;
	assert_int_equal(set(list, &n,
			     "pvid 10 allowed-addresses 02:00:00:00:00:01,10.0.0.1 "
			     "02:00:00:00:00:02 vids 20,30 learning off"),
			 0);
	assert_int_equal(n, 4);
	assert_string_equal(list[1].key, "allowed-addresses");
	assert_string_equal(list[1].value, "02:00:00:00:00:01,10.0.0.1 02:00:00:00:00:02");
	assert_string_equal(list[2].key, "vids");
	assert_string_equal(list[2].value, "20,30");
	/* Set again: replaced in place, order kept. */
	assert_int_equal(set(list, &n, "pvid 30"), 0);
	assert_int_equal(n, 4);
	assert_string_equal(list[0].value, "30");
	/* A bad value: refused whole, the list unchanged, the owner named. */
	assert_int_equal(set(list, &n, "mode veb pvid 5000"), -EINVAL);
	assert_non_null(strstr(err, "profile t: pvid '5000'"));
	assert_int_equal(n, 4);
	assert_int_equal(set(list, &n, "colour blue"), -EINVAL);
	assert_non_null(strstr(err, "unknown setting 'colour'"));
	char *unset[] = {"vids", "learning"};
	assert_int_equal(config_settings_unset(list, &n, "profile t", 2, unset, err, sizeof(err)),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[1].key, "allowed-addresses");
	assert_int_equal(config_settings_unset(list, &n, "profile t", 1, unset, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "no setting 'vids'"));
}

static void test_resolution_root_first_then_overrides(void **state)
{
	(void)state;
	struct config *cfg = model();
	profile(cfg, "base", "", "pvid 10 learning off mac-limit 5");
	profile(cfg, "web", "base", "pvid 20 vids 30");
	struct config_port *p = bound(cfg, "vm1", "web");
	assert_int_equal(set(p->overrides, &p->n_overrides, "mac-limit 7"), 0);
	bound(cfg, "vm2", "base");
	assert_int_equal(config_resolve_profiles(cfg, err, sizeof(err)), 0);
	p = config_find_port(cfg, "vm1");
	assert_int_equal(p->settings.pvid, 20);	    /* child over parent */
	assert_false(p->settings.learning);	    /* inherited */
	assert_int_equal(p->settings.mac_limit, 7); /* the override wins */
	assert_true(bitset_test(p->settings.vids, 30));
	struct config_port *q = config_find_port(cfg, "vm2");
	assert_int_equal(q->settings.pvid, 10);
	assert_int_equal(q->settings.mac_limit, 5);
	assert_false(bitset_test(q->settings.vids, 30));
	assert_int_equal(config_check(cfg, err, sizeof(err)), 0);

	/* Each parses alone, not together: refused, naming port and profile. */
	struct profile_config *up = profile(cfg, "up", "", "uplink on trunk-priority 3");
	struct config_port *r = bound(cfg, "vm3", "up");
	assert_int_equal(set(r->overrides, &r->n_overrides, "uplink off"), 0);
	assert_int_equal(config_resolve_profiles(cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "profile up"));
	assert_non_null(strstr(err, "trunk-priority applies only to an uplink port"));
	r = config_find_port(cfg, "vm3");
	r->n_overrides = 0;
	assert_int_equal(config_resolve_profiles(cfg, err, sizeof(err)), 0);
	assert_true(r->settings.uplink);
	(void)up;
	config_free(cfg);
}

static void test_loops_and_unknown_profiles_refused_whole(void **state)
{
	(void)state;
	struct config *cfg = model();
	profile(cfg, "a", "b", "pvid 10");
	profile(cfg, "b", "a", "");
	bound(cfg, "vm1", "a");
	assert_int_equal(config_resolve_profiles(cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "inherit loop"));
	config_find_profile(cfg, "b")->inherit[0] = '\0';
	assert_int_equal(config_resolve_profiles(cfg, err, sizeof(err)), 0);
	assert_int_equal(config_find_port(cfg, "vm1")->settings.pvid, 10);

	copy_name(config_find_profile(cfg, "b")->inherit, PROFILE_NAME_MAX, "ghost");
	assert_int_equal(config_resolve_profiles(cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "profile b: inherits profile ghost, which does not exist"));
	config_find_profile(cfg, "b")->inherit[0] = '\0';

	struct config_port *p = bound(cfg, "vm2", "nope");
	(void)p;
	assert_int_equal(config_resolve_profiles(cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "port vm2: profile nope does not exist");
	/* Refused whole: vm1 was not rewritten either. */
	config_find_port(cfg, "vm1")->settings.pvid = 99;
	assert_int_equal(config_resolve_profiles(cfg, err, sizeof(err)), -EINVAL);
	assert_int_equal(config_find_port(cfg, "vm1")->settings.pvid, 99);
	config_free(cfg);
}

static void test_copy_equal_print(void **state)
{
	(void)state;
	struct config *cfg = model();
	profile(cfg, "child", "base", "pvid 20");
	profile(cfg, "base", "", "vids 5-7 allowed-addresses 02:00:00:00:00:01 02:00:00:00:00:02");
	config_find_profile(cfg, "base")->system_vids[0] = 1u << 5;
	struct config_port *p = bound(cfg, "vm1", "child");
	assert_int_equal(set(p->overrides, &p->n_overrides, "learning off"), 0);
	assert_int_equal(config_resolve_profiles(cfg, err, sizeof(err)), 0);

	struct config *copy = config_copy(cfg);
	assert_true(config_equal(cfg, copy));
	config_find_profile(copy, "base")->domain = true; /* who manages it: not compared */
	assert_true(config_equal(cfg, copy));
	copy_name(config_find_profile(copy, "child")->settings[0].value, PROFILE_VALUE_MAX, "21");
	assert_false(config_equal(cfg, copy));
	config_free(copy);
	copy = config_copy(cfg);
	config_find_port(copy, "vm1")->n_overrides = 0;
	assert_false(config_equal(cfg, copy));
	config_free(copy);

	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	config_print(cfg, out);
	fclose(out);
	const char *base = strstr(text, "profile add base system-vlans 5 vids 5-7 "
					"allowed-addresses 02:00:00:00:00:01 02:00:00:00:00:02\n");
	const char *child = strstr(text, "profile add child inherit base pvid 20\n");
	assert_non_null(base);
	assert_non_null(child);
	assert_true(base < child); /* parents first */
	assert_non_null(strstr(text, "port add br vm1 type pipe profile child learning off\n"));
	assert_null(strstr(text, "domain"));
	free(text);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_settings_split_by_the_parser),
	    cmocka_unit_test(test_resolution_root_first_then_overrides),
	    cmocka_unit_test(test_loops_and_unknown_profiles_refused_whole),
	    cmocka_unit_test(test_copy_equal_print),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
