/* test_vlan_guard_config.c — the `stacked-tags forward|drop|default` port setting
 * (src/control/vlan_guard_config.c) through the real commands: parsed by
 * port add and port set, refused with a clear message when wrong, shown by
 * port show (text and JSON), printed in the running config only when not
 * the default, and rebuilt exactly by a fresh daemon from the saved file. */
#include <stdlib.h>

#include "control/execute.h"
#include "control_fixture.h"
#include "engine/datapath.h"
#include "helpers.h"

static int run(struct control_fixture *f, const char *line)
{
	return control_fixture_run(f, line);
}

static uint8_t guard_of(struct control_fixture *f, const char *port)
{
	struct bridge_port *p = datapath_find_port(f->state.dp, port, NULL);
	assert_non_null(p);
	return p->config.vlan_guard.stacked_tags;
}

static void test_default_is_forward_and_not_printed(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(run(f, "switch add hv"), 0);
	assert_int_equal(run(f, "port add hv vm1 type pipe"), 0);
	assert_int_equal(guard_of(f, "vm1"), STACKED_TAGS_DEFAULT);
	char *cfg = control_fixture_running_config(f);
	assert_null(strstr(cfg, "stacked-tags"));
	free(cfg);
	assert_int_equal(run(f, "port show vm1"), 0);
	assert_non_null(
	    strstr(f->output, "stacked-tags forward (802.1Q: inner tag is payload), by default"));
}

/* A port with port security drops stacked frames unless told otherwise:
 * an IP packet behind a second tag would pass its address checks unread. */
static void test_default_drops_on_a_secured_port(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(run(f, "switch add hv"), 0);
	assert_int_equal(run(f, "port add hv vm1 type pipe mac 52:54:00:00:00:01"), 0);
	assert_int_equal(run(f, "port add hv up type pipe uplink on mac 52:54:00:00:00:02"), 0);
	assert_int_equal(run(f, "port show vm1"), 0);
	assert_non_null(strstr(f->output, "stacked-tags drop (VLAN-hopping guard), by default"));
	assert_int_equal(run(f, "port show up"), 0);
	assert_non_null(strstr(f->output, "stacked-tags forward"));
	assert_int_equal(run(f, "port set vm1 stacked-tags forward"), 0);
	assert_int_equal(run(f, "port show vm1"), 0);
	assert_non_null(strstr(f->output, "stacked-tags forward (802.1Q: inner tag is payload)\n"));
	char *cfg = control_fixture_running_config(f);
	assert_non_null(strstr(cfg, " stacked-tags forward\n"));
	free(cfg);
}

static void test_port_set_and_add_take_drop(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(run(f, "switch add hv"), 0);
	assert_int_equal(run(f, "port add hv vm1 type pipe pvid 2 stacked-tags drop"), 0);
	assert_int_equal(run(f, "port add hv vm2 type pipe"), 0);
	assert_int_equal(guard_of(f, "vm1"), STACKED_TAGS_DROP);
	assert_int_equal(run(f, "port set vm2 stacked-tags drop"), 0);
	assert_int_equal(guard_of(f, "vm2"), STACKED_TAGS_DROP);
	char *cfg = control_fixture_running_config(f);
	assert_non_null(strstr(cfg, "port add hv vm1 type pipe pvid 2 stacked-tags drop\n"));
	assert_non_null(strstr(cfg, "port add hv vm2 type pipe stacked-tags drop\n"));
	free(cfg);
	assert_int_equal(run(f, "port show vm1"), 0);
	assert_non_null(strstr(f->output, "stacked-tags drop (VLAN-hopping guard)"));
	assert_int_equal(run(f, "port set vm2 stacked-tags forward"), 0);
	assert_int_equal(guard_of(f, "vm2"), STACKED_TAGS_FORWARD);
	assert_int_equal(guard_of(f, "vm1"), STACKED_TAGS_DROP); /* only what it names */
	assert_int_equal(run(f, "port set vm2 stacked-tags default"), 0);
	assert_int_equal(guard_of(f, "vm2"), STACKED_TAGS_DEFAULT);
}

static void test_bad_value_is_refused_and_changes_nothing(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(run(f, "switch add hv"), 0);
	assert_int_equal(run(f, "port add hv vm1 type pipe stacked-tags drop"), 0);
	assert_int_equal(run(f, "port set vm1 stacked-tags maybe"), -EINVAL);
	assert_string_equal(f->err,
			    "port vm1: stacked-tags 'maybe' must be forward, drop or default");
	assert_int_equal(guard_of(f, "vm1"), STACKED_TAGS_DROP);
	assert_int_not_equal(run(f, "port set vm1 stacked-tags"), 0);
	assert_int_not_equal(run(f, "port set vm1 stacked-tag drop"), 0);
	assert_non_null(strstr(f->err, "stacked-tags,"));
}

static void test_saved_config_rebuilds_the_guard(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(run(f, "switch add hv"), 0);
	assert_int_equal(run(f, "port add hv vm1 type pipe vids 3 stacked-tags drop"), 0);
	assert_int_equal(run(f, "port add hv vm2 type pipe"), 0);
	assert_int_equal(run(f, "save"), 0);
	char *before = control_fixture_running_config(f);
	struct control_state fresh;
	char *text = control_fixture_restart(f, &fresh);
	assert_string_equal(before, text);
	assert_int_equal(datapath_find_port(fresh.dp, "vm1", NULL)->config.vlan_guard.stacked_tags,
			 STACKED_TAGS_DROP);
	assert_int_equal(datapath_find_port(fresh.dp, "vm2", NULL)->config.vlan_guard.stacked_tags,
			 STACKED_TAGS_DEFAULT);
	/* a model that differs only in the guard is not equal */
	assert_int_equal(run(f, "port set vm1 stacked-tags forward"), 0);
	assert_false(config_equal(f->state.running, fresh.running));
	free(text);
	free(before);
	control_fixture_restart_free(&fresh);
}

static void test_port_show_json_has_the_setting(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(run(f, "switch add hv"), 0);
	assert_int_equal(run(f, "port add hv vm1 type pipe stacked-tags drop"), 0);
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	char *argv[] = {"port", "show", "vm1"};
	int rc = control_execute(&f->state, 3, argv, true, out, f->err, sizeof(f->err));
	fclose(out);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(text, "\"stacked_tags\":\t\"drop\""));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_default_drops_on_a_secured_port,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_default_is_forward_and_not_printed,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_port_set_and_add_take_drop, control_fixture_setup,
					    control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_value_is_refused_and_changes_nothing,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_saved_config_rebuilds_the_guard,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_port_show_json_has_the_setting,
					    control_fixture_setup, control_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
