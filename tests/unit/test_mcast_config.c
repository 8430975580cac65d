/* test_mcast_config.c — the snooping settings through the real command
 * path: every mcast-* switch setting and the port's mcast-router printed
 * back exactly by show running-config and the same after a restart from
 * the saved file, bad values refused with nothing changed, snooping made
 * and removed live, and mcast show / flush (--json: tests/e2e/test_mcast.py). */
#include <stdlib.h>

#include "control/execute.h"
#include "engine/datapath.h"
#include "control_fixture.h"
#include "helpers.h"

static const char *const full_switch =
    "switch add s mcast-snooping on mcast-flood-unknown off mcast-fast-leave off "
    "mcast-max-groups 2000 mcast-max-port-groups 10 mcast-membership-interval 30 "
    "mcast-router-timeout 40 mcast-query-interval 20 mcast-querier 5,7-9 "
    "mcast-querier-address 10.0.0.9 mcast-querier-address6 fe80::9\n";

static void test_settings_print_back_exactly(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(control_fixture_run(f, full_switch), 0);
	assert_int_equal(control_fixture_run(f, "port add s p type pipe mcast-router yes"), 0);
	char *text = control_fixture_running_config(f);
	assert_non_null(strstr(text, full_switch));
	assert_non_null(strstr(text, "port add s p type pipe mcast-router yes\n"));
	assert_int_equal(control_fixture_run(f, "save"), 0);
	struct control_state fresh;
	char *again = control_fixture_restart(f, &fresh);
	assert_string_equal(again, text);
	control_fixture_restart_free(&fresh);
	free(again);
	free(text);
	/* Back to the defaults: nothing printed. */
	assert_int_equal(
	    control_fixture_run(f, "switch set s mcast-snooping off "
				   "mcast-flood-unknown on mcast-fast-leave on "
				   "mcast-max-groups 1024 mcast-max-port-groups 256 "
				   "mcast-membership-interval 260 mcast-router-timeout 255 "
				   "mcast-query-interval 125 mcast-querier none "
				   "mcast-querier-address 0.0.0.0 "
				   "mcast-querier-address6 none"),
	    0);
	assert_int_equal(control_fixture_run(f, "port set p mcast-router auto"), 0);
	text = control_fixture_running_config(f);
	assert_non_null(strstr(text, "switch add s\nport add s p type pipe\n"));
	free(text);
}

static void test_bad_values_are_refused(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(control_fixture_run(f, "switch add s mcast-snooping on"), 0);
	assert_int_equal(control_fixture_run(f, "port add s p type pipe"), 0);
	static const char *const bad[] = {
	    "switch set s mcast-snooping maybe",
	    "switch set s mcast-max-groups 0",
	    "switch set s mcast-max-groups 65537",
	    "switch set s mcast-querier 4095",
	    "switch set s mcast-querier-address x",
	    "switch set s mcast-querier-address6 fd00::1",
	    "switch set s mcast-membership-interval 0",
	    "switch set s mcast-nonsense 1",
	    "port set p mcast-router sometimes",
	};
	char *before = control_fixture_running_config(f);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_not_equal(control_fixture_run(f, bad[i]), 0);
	assert_non_null(strstr(f->err, "auto, yes or no"));
	char *after = control_fixture_running_config(f);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void test_show_and_flush(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(control_fixture_run(f, "switch add s"), 0);
	assert_int_equal(control_fixture_run(f, "port add s p type pipe"), 0);
	assert_int_equal(control_fixture_run(f, "mcast show s"), 0);
	assert_non_null(strstr(f->output, "switch s: snooping off"));
	assert_int_equal(control_fixture_run(f, "switch set s mcast-snooping on mcast-querier 1"),
			 0);
	struct vswitch *sw = datapath_find_switch(f->state.dp, "s");
	assert_non_null(sw->mcast);
	struct mcast_addr g = {.b = {[10] = 0xff, [11] = 0xff, 239, 1, 2, 3}};
	assert_int_equal(mcast_table_join(sw->mcast->table, 1, &g, 0, sw->now, sw->now + 60, 0), 0);
	assert_int_equal(control_fixture_run(f, "mcast show"), 0);
	assert_non_null(strstr(f->output, "vlan 1    239.1.2.3"));
	assert_non_null(strstr(f->output, " p (age 0 s, expires in 60 s)"));
	assert_non_null(strstr(f->output, "vlan 1: IGMP querier this switch"));
	assert_non_null(strstr(f->output, "refused joins 0"));
	assert_int_equal(control_fixture_run(f, "port show p"), 0);
	assert_non_null(strstr(f->output, "mcast-router auto, multicast groups 1"));
	assert_int_equal(control_fixture_run(f, "mcast flush s"), 0);
	assert_int_equal(sw->mcast->table->n_groups, 0);
	assert_int_not_equal(control_fixture_run(f, "mcast show nosuch"), 0);
	assert_int_equal(control_fixture_run(f, "switch set s mcast-snooping off"), 0);
	assert_null(sw->mcast);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, control_fixture_setup, control_fixture_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_settings_print_back_exactly),
	    T(test_bad_values_are_refused),
	    T(test_show_and_flush),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
