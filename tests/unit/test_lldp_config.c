/* test_lldp_config.c — LLDP's settings through the real commands
 * (src/control/lldp_config.c, lldp_commands.c): a port's `lldp
 * off|rx|tx|rxtx|default` (rx on uplinks and off elsewhere by default),
 * shown by port show, printed only when not the default, taken from a
 * profile; the daemon's `lldp system-name|chassis-id|mgmt-address|
 * tx-interval` lines; bad values refused with a clear message; and a fresh
 * daemon rebuilt exactly from the saved file. */
#include <stdlib.h>

#include "control/execute.h"
#include "control_fixture.h"
#include "engine/datapath.h"
#include "helpers.h"

static int run(struct control_fixture *f, const char *line)
{
	return control_fixture_run(f, line);
}

static uint8_t mode_of(struct control_state *s, const char *port)
{
	struct bridge_port *p = datapath_find_port(s->dp, port, NULL);
	assert_non_null(p);
	return p->config.lldp.mode;
}

static void test_defaults(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(run(f, "switch add hv"), 0);
	assert_int_equal(run(f, "port add hv up type pipe uplink on"), 0);
	assert_int_equal(run(f, "port add hv vm1 type pipe"), 0);
	assert_int_equal(run(f, "port show up"), 0);
	assert_non_null(strstr(f->output, "  lldp rx, by default\n"));
	assert_int_equal(run(f, "port show vm1"), 0);
	assert_non_null(strstr(f->output, "  lldp off, by default\n"));
	char *cfg = control_fixture_running_config(f);
	assert_null(strstr(cfg, "lldp"));
	free(cfg);
	/* the uplink runs LLDP, listening; the VM port does not */
	assert_int_equal(run(f, "lldp show"), 0);
	assert_non_null(strstr(f->output, "port up (switch hv): lldp rx, 0 neighbors"));
	assert_null(strstr(f->output, "vm1"));
	assert_int_equal(run(f, "lldp show vm1"), -ENOENT);
	assert_string_equal(f->err,
			    "lldp: port vm1 does not run LLDP (port set vm1 lldp rx|tx|rxtx)");
	lldp_reset(f->state.dp);
}

static void test_port_setting(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(run(f, "switch add hv"), 0);
	assert_int_equal(run(f, "port add hv up type pipe uplink on lldp rxtx"), 0);
	assert_int_equal(run(f, "port add hv vm1 type pipe"), 0);
	assert_int_equal(mode_of(&f->state, "up"), LLDP_MODE_RXTX);
	assert_int_equal(run(f, "port set vm1 lldp tx"), 0);
	assert_int_equal(mode_of(&f->state, "vm1"), LLDP_MODE_TX);
	assert_int_equal(run(f, "port set up lldp off"), 0);
	assert_int_equal(mode_of(&f->state, "up"), LLDP_MODE_OFF);
	char *cfg = control_fixture_running_config(f);
	assert_non_null(strstr(cfg, "port add hv up type pipe uplink on lldp off\n"));
	assert_non_null(strstr(cfg, "port add hv vm1 type pipe lldp tx\n"));
	free(cfg);
	assert_int_equal(run(f, "port set vm1 lldp default"), 0);
	assert_int_equal(mode_of(&f->state, "vm1"), LLDP_MODE_DEFAULT);
	assert_int_equal(run(f, "port set vm1 lldp sometimes"), -EINVAL);
	assert_string_equal(f->err,
			    "port vm1: lldp 'sometimes' must be off, rx, tx, rxtx or default");
	assert_int_equal(run(f, "port set vm1 lldpp rx"), -EINVAL);
	assert_non_null(strstr(f->err, "lldp, mcast-router)"));
}

static void test_profile_carries_it(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(run(f, "switch add hv"), 0);
	assert_int_equal(run(f, "profile add trunk uplink on lldp rxtx"), 0);
	assert_int_equal(run(f, "port add hv up type pipe profile trunk"), 0);
	assert_int_equal(mode_of(&f->state, "up"), LLDP_MODE_RXTX);
	assert_int_equal(run(f, "profile set trunk lldp tx"), 0);
	assert_int_equal(mode_of(&f->state, "up"), LLDP_MODE_TX);
}

static void test_daemon_settings(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(run(f, "lldp system-name hv01.example"), 0);
	assert_int_equal(run(f, "lldp chassis-id 02:00:00:aa:bb:cc"), 0);
	assert_int_equal(run(f, "lldp mgmt-address 192.0.2.1,2001:db8::1"), 0);
	assert_int_equal(run(f, "lldp tx-interval 5"), 0);
	char *cfg = control_fixture_running_config(f);
	assert_non_null(strstr(cfg, "lldp system-name hv01.example\n"
				    "lldp chassis-id 02:00:00:aa:bb:cc\n"
				    "lldp mgmt-address 192.0.2.1,2001:db8::1\n"
				    "lldp tx-interval 5\n"));
	free(cfg);
	/* back to the defaults: nothing printed */
	assert_int_equal(run(f, "lldp system-name default"), 0);
	assert_int_equal(run(f, "lldp chassis-id auto"), 0);
	assert_int_equal(run(f, "lldp mgmt-address none"), 0);
	assert_int_equal(run(f, "lldp tx-interval 30"), 0);
	cfg = control_fixture_running_config(f);
	assert_null(strstr(cfg, "lldp"));
	free(cfg);
}

static void test_daemon_settings_refused(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(run(f, "lldp tx-interval 0"), -EINVAL);
	assert_non_null(strstr(f->err, "lldp tx-interval"));
	assert_int_equal(run(f, "lldp chassis-id 01:00:5e:00:00:01"), -EINVAL);
	assert_string_equal(f->err,
			    "lldp chassis-id '01:00:5e:00:00:01' must be a unicast MAC or auto");
	assert_int_equal(run(f, "lldp mgmt-address 192.0.2.0/24"), -EINVAL);
	assert_non_null(strstr(f->err, "an address, not a prefix"));
	assert_int_equal(run(f, "lldp mgmt-address 192.0.2.1,192.0.2.2"), -EINVAL);
	assert_non_null(strstr(f->err, "at most one IPv4 and one IPv6"));
	assert_int_equal(run(f, "lldp mgmt-address banana"), -EINVAL);
	assert_int_equal(run(f, "lldp system-name bad/name"), -EINVAL);
	char *cfg = control_fixture_running_config(f);
	assert_null(strstr(cfg, "lldp"));
	free(cfg);
}

static void test_saved_config_rebuilds_it(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(run(f, "lldp system-name hv01"), 0);
	assert_int_equal(run(f, "lldp mgmt-address 2001:db8::7"), 0);
	assert_int_equal(run(f, "lldp tx-interval 1"), 0);
	assert_int_equal(run(f, "switch add hv"), 0);
	assert_int_equal(run(f, "port add hv up type pipe uplink on lldp rxtx"), 0);
	assert_int_equal(run(f, "port add hv vm1 type pipe lldp rx"), 0);
	assert_int_equal(run(f, "save"), 0);
	char *before = control_fixture_running_config(f);
	struct control_state fresh;
	char *text = control_fixture_restart(f, &fresh);
	assert_string_equal(before, text);
	assert_int_equal(mode_of(&fresh, "up"), LLDP_MODE_RXTX);
	assert_int_equal(mode_of(&fresh, "vm1"), LLDP_MODE_RX);
	assert_true(config_equal(f->state.running, fresh.running));
	/* models that differ only in LLDP are not equal */
	assert_int_equal(run(f, "lldp tx-interval 2"), 0);
	assert_false(config_equal(f->state.running, fresh.running));
	assert_int_equal(run(f, "lldp tx-interval 1"), 0);
	assert_int_equal(run(f, "port set vm1 lldp off"), 0);
	assert_false(config_equal(f->state.running, fresh.running));
	free(text);
	free(before);
	control_fixture_restart_free(&fresh);
}

static void test_show_json(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(run(f, "switch add hv"), 0);
	assert_int_equal(run(f, "port add hv up type pipe uplink on"), 0);
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	char *argv[] = {"lldp", "show", "up"};
	int rc = control_execute(&f->state, 3, argv, true, out, f->err, sizeof(f->err));
	fclose(out);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(text, "\"port\":\t\"up\""));
	assert_non_null(strstr(text, "\"mode\":\t\"rx\""));
	assert_non_null(strstr(text, "\"too_many_neighbors\":\t0"));
	free(text);
	text = NULL;
	out = open_memstream(&text, &size);
	char *show[] = {"port", "show", "up"};
	rc = control_execute(&f->state, 3, show, true, out, f->err, sizeof(f->err));
	fclose(out);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(text, "\"lldp\":\t\"rx\""));
	assert_non_null(strstr(text, "\"lldp_default\":\ttrue"));
	free(text);
	lldp_reset(f->state.dp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_defaults, control_fixture_setup,
					    control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_port_setting, control_fixture_setup,
					    control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_profile_carries_it, control_fixture_setup,
					    control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_daemon_settings, control_fixture_setup,
					    control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_daemon_settings_refused, control_fixture_setup,
					    control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_saved_config_rebuilds_it, control_fixture_setup,
					    control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_show_json, control_fixture_setup,
					    control_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
