/* test_profile_config.c — port profiles in the model and through the
 * commands (src/control/profile_config.c, profile_commands.c): settings
 * lists split by the port parser (settings of several words), resolution
 * root-first with the port's overrides last, refusals of loops, unknown
 * profiles and combinations that do not parse, copy/equal/print, and the
 * commands over a live datapath. */
#include <cjson/cJSON.h>
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
	struct config_switch *sw = cfg ? config_add_switch(cfg) : NULL;
	if (!sw)
		abort();
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
	assert_string_equal(err, "port vm3 bound to profile up: trunk-priority applies only to "
				 "an uplink port");
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
	assert_string_equal(err, "profile a: inherit loop a -> b -> a");
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

/* ---- the commands, over a live datapath ---------------------------------- */

static int run(struct control_fixture *f, const char *line)
{
	return control_fixture_run(f, line);
}

static uint16_t live_pvid(struct control_fixture *f, const char *port)
{
	struct bridge_port *p = datapath_find_port(f->state.dp, port, NULL);
	assert_non_null(p);
	return p->config.pvid;
}

static void build(struct control_fixture *f)
{
	assert_int_equal(run(f, "switch add br"), 0);
	assert_int_equal(run(f, "profile add base learning off mac-limit 5"), 0);
	assert_int_equal(run(f, "profile add web inherit base system-vlans 10 pvid 10 "
				"allowed-addresses 02:00:00:00:00:01,10.0.0.1 02:00:00:00:00:02"),
			 0);
	assert_int_equal(run(f, "port add br vm1 type pipe profile web"), 0);
	assert_int_equal(run(f, "port add br vm2 type pipe pvid 30 hairpin on"), 0);
	assert_int_equal(run(f, "port bind vm2 profile web mac-limit 9"), 0);
	assert_int_equal(run(f, "port add br vm3 type pipe pvid 20"), 0);
}

static void test_editing_a_profile_moves_every_bound_port(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	struct bridge_port *vm2 = datapath_find_port(f->state.dp, "vm2", NULL);
	assert_int_equal(live_pvid(f, "vm1"), 10);
	assert_int_equal(vm2->config.pvid, 10);
	assert_false(vm2->config.hairpin); /* bound: its own settings are gone */
	assert_int_equal(vm2->config.mac_limit, 9);
	assert_false(vm2->config.learning);
	assert_int_equal(vm2->config.security.n_pairs, 2);

	assert_int_equal(run(f, "profile set web pvid 20"), 0);
	assert_int_equal(live_pvid(f, "vm1"), 20);
	assert_int_equal(live_pvid(f, "vm2"), 20);
	assert_int_equal(live_pvid(f, "vm3"), 20);
	assert_int_equal(run(f, "profile set base learning on"), 0); /* through the parent */
	assert_true(datapath_find_port(f->state.dp, "vm1", NULL)->config.learning);

	/* An override keeps one port where it was; unset gives it back. */
	assert_int_equal(run(f, "port set vm2 pvid 10"), 0);
	assert_int_equal(run(f, "profile set web pvid 30"), 0);
	assert_int_equal(live_pvid(f, "vm1"), 30);
	assert_int_equal(live_pvid(f, "vm2"), 10);
	assert_int_equal(run(f, "port unset vm2 pvid"), 0);
	assert_int_equal(live_pvid(f, "vm2"), 30);

	assert_int_equal(run(f, "port show vm2"), 0);
	assert_non_null(strstr(f->output, "  profile web, overrides: mac-limit 9\n"));
	assert_int_equal(run(f, "profile show web"), 0);
	assert_non_null(strstr(f->output, "profile web (inherit base)\n"));
	assert_non_null(strstr(f->output, "    mac-limit 5 (from base)\n"));
	assert_non_null(strstr(f->output, "  ports: vm1 vm2 (overrides: mac-limit 9)\n"));

	/* Unbound, a port keeps what it ran with as its own settings. */
	assert_int_equal(run(f, "port unbind vm1"), 0);
	assert_int_equal(live_pvid(f, "vm1"), 30);
	char *text = control_fixture_running_config(f);
	assert_non_null(strstr(text, "port add br vm1 type pipe pvid 30 mac-limit 5 "));
	assert_non_null(strstr(text, "port add br vm2 type pipe profile web mac-limit 9\n"));
	free(text);
}

static void test_profile_show_json(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	char *out = NULL, *argv[] = {"profile", "show", "web"};
	size_t size = 0;
	FILE *mem = open_memstream(&out, &size);
	assert_int_equal(control_execute(&f->state, 3, argv, true, mem, f->err, sizeof(f->err)), 0);
	fclose(mem);
	cJSON *doc = cJSON_Parse(out);
	assert_non_null(doc);
	cJSON *web = cJSON_GetArrayItem(doc, 0);
	assert_string_equal(cJSON_GetObjectItem(web, "inherit")->valuestring, "base");
	assert_string_equal(cJSON_GetObjectItem(web, "system_vlans")->valuestring, "10");
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(web, "settings"), "pvid")->valuestring, "10");
	cJSON *limit = cJSON_GetObjectItem(cJSON_GetObjectItem(web, "inherited"), "mac-limit");
	assert_string_equal(cJSON_GetObjectItem(limit, "from")->valuestring, "base");
	cJSON *ports = cJSON_GetObjectItem(web, "ports");
	assert_int_equal(cJSON_GetArraySize(ports), 2);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(ports, 1), "name")->valuestring,
			    "vm2");
	cJSON_Delete(doc);
	free(out);
}

static void test_saved_config_rebuilds_the_same_model(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	assert_int_equal(run(f, "profile add child inherit web vids 40"), 0);
	assert_int_equal(run(f, "port bind vm3 profile child pvid 40"), 0);
	assert_int_equal(run(f, "profile set base inherit none"), 0);
	assert_int_equal(run(f, "save"), 0);
	struct control_state fresh;
	char *text = control_fixture_restart(f, &fresh);
	char *running = control_fixture_running_config(f);
	assert_string_equal(text, running);
	assert_true(config_equal(f->state.running, fresh.running));
	assert_int_equal(datapath_find_port(fresh.dp, "vm3", NULL)->config.pvid, 40);
	free(running);
	free(text);
	control_fixture_restart_free(&fresh);
}

static void test_refusals_name_the_problem(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	assert_int_equal(run(f, "profile del web"), -EBUSY);
	assert_string_equal(
	    f->err, "profile web: in use by port vm1, port vm2 (unbind or change them first)");
	assert_int_equal(run(f, "profile del base"), -EBUSY);
	assert_non_null(strstr(f->err, "in use by profile web"));
	assert_int_not_equal(run(f, "profile set base inherit web"), 0);
	assert_non_null(strstr(f->err, "inherit loop"));
	assert_int_not_equal(run(f, "profile add x inherit ghost"), 0);
	assert_non_null(strstr(f->err, "profile x: inherits profile ghost, which does not exist"));
	assert_int_not_equal(run(f, "profile set web pvid 5000"), 0);
	assert_non_null(strstr(f->err, "profile web: pvid '5000'"));
	assert_int_not_equal(run(f, "profile set web trunk-priority 3"), 0);
	assert_string_equal(f->err, "profile web: trunk-priority applies only to an uplink port");
	assert_int_not_equal(run(f, "port bind vm3 profile nope"), 0);
	assert_string_equal(f->err, "profile nope: no such profile");
	assert_int_not_equal(run(f, "port add br vm4 type pipe profile nope"), 0);
	assert_null(config_find_port(f->state.running, "vm4"));
	assert_int_not_equal(run(f, "port add br vm4 type pipe pvid 3 profile web"), 0);
	assert_non_null(
	    strstr(f->err, "port vm4: 'profile NAME' comes right after the type options"));
	assert_int_not_equal(run(f, "port unset vm3 pvid"), 0);
	assert_non_null(strstr(f->err, "port vm3: not bound to a profile"));
	assert_int_not_equal(run(f, "port unset vm2 pvid"), 0);
	assert_non_null(
	    strstr(f->err, "port vm2: no setting 'pvid' of its own (it has: mac-limit)"));
	assert_int_equal(live_pvid(f, "vm1"), 10); /* nothing moved */
	assert_int_equal(run(f, "port unbind vm1"), 0);
	assert_int_equal(run(f, "profile del web"), -EBUSY);
	assert_int_equal(run(f, "port del vm2"), 0);
	assert_int_equal(run(f, "profile del web"), 0);
}

static void test_domain_objects_refuse_local_changes(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	config_find_profile(f->state.running, "web")->domain = true;
	config_find_port(f->state.running, "vm1")->domain = true;
	const char *port_lines[] = {"port set vm1 pvid 3", "port unset vm1 pvid",
				    "port bind vm1 profile base", "port unbind vm1",
				    "port del vm1"};
	for (size_t i = 0; i < sizeof(port_lines) / sizeof(port_lines[0]); i++) {
		assert_int_equal(run(f, port_lines[i]), -EPERM);
		assert_string_equal(
		    f->err, "port vm1 is bound to profile web by the domain: change the profile "
			    "with vswitchctl profile set web ... or the binding with vswitchctl "
			    "port bind");
	}
	const char *profile_lines[] = {"profile set web pvid 3", "profile unset web pvid",
				       "profile del web"};
	for (size_t i = 0; i < sizeof(profile_lines) / sizeof(profile_lines[0]); i++) {
		assert_int_equal(run(f, profile_lines[i]), -EPERM);
		assert_non_null(strstr(f->err, "profile web is defined by the domain"));
	}
	assert_int_equal(run(f, "switch del br"), -EPERM); /* it would take vm1 */
	assert_non_null(strstr(f->err, "port vm1 is bound to profile web by the domain"));
	assert_int_equal(run(f, "port set vm2 pvid 3"), 0); /* a local port: fine */
	/* The domain edits a copy of the model with domain_edit. */
	struct config *copy = config_copy(f->state.running);
	struct command_context ctx = {.cfg = copy, .domain_edit = true};
	char line[] = "profile set web pvid 33", *argv[8];
	int argc = command_split(line, argv, 8);
	assert_int_equal(command_run(&ctx, argc, argv, err, sizeof(err)), 0);
	assert_int_equal(config_find_port(copy, "vm1")->settings.pvid, 33);
	config_free(copy);
	char *text = control_fixture_running_config(f);
	assert_null(strstr(text, "domain"));
	free(text);
}

/* A profile change goes through the all-or-nothing apply: when one port
 * of it cannot be applied, no bound port moves. */
static void test_failed_apply_moves_no_port(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	assert_int_equal(run(f, "save"), 0);
	FILE *file = fopen(f->path, "a");
	fprintf(file, "profile set web pvid 20\nport add br vm4 type pipe profile web\n");
	fclose(file);
	config_apply_fail_at(1); /* opening vm4 */
	assert_int_not_equal(run(f, "reload"), 0);
	config_apply_fail_at(0);
	assert_non_null(strstr(f->err, "injected failure"));
	assert_int_equal(live_pvid(f, "vm1"), 10);
	assert_int_equal(live_pvid(f, "vm2"), 10);
	assert_null(datapath_find_port(f->state.dp, "vm4", NULL));
	assert_string_equal(config_find_profile(f->state.running, "web")->settings[0].value, "10");
	assert_int_equal(run(f, "reload"), 0);
	assert_int_equal(live_pvid(f, "vm1"), 20);
	assert_int_equal(live_pvid(f, "vm4"), 20);
}

#define T(name)                                                                                    \
	cmocka_unit_test_setup_teardown(name, control_fixture_setup, control_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_settings_split_by_the_parser),
	    cmocka_unit_test(test_resolution_root_first_then_overrides),
	    cmocka_unit_test(test_loops_and_unknown_profiles_refused_whole),
	    cmocka_unit_test(test_copy_equal_print),
	    T(test_editing_a_profile_moves_every_bound_port),
	    T(test_profile_show_json),
	    T(test_saved_config_rebuilds_the_same_model),
	    T(test_refusals_name_the_problem),
	    T(test_domain_objects_refuse_local_changes),
	    T(test_failed_apply_moves_no_port),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
