/* test_ipfix_config.c — IPFIX exporters in the model: the words of `ipfix
 * add` with their defaults and refusals, one exporter per switch, the line
 * in running-config that rebuilds the same model after a restart, the live
 * cache that follows edits (installed, replaced, removed with its switch),
 * and a failed apply that leaves the running exporter as it was. */
#include "helpers.h"

#include <stdlib.h>

#include "control/config.h"
#include "control_fixture.h"
#include "engine/datapath.h"

static int run(struct control_fixture *f, const char *line)
{
	return control_fixture_run(f, line);
}

static struct vswitch *live(struct control_fixture *f)
{
	return datapath_find_switch(f->state.dp, "br");
}

static void build(struct control_fixture *f)
{
	assert_int_equal(run(f, "switch add br"), 0);
	assert_int_equal(run(f, "port add br vm1 type pipe"), 0);
}

static void test_defaults_running_config_and_restart(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	assert_int_equal(run(f, "ipfix add fx switch br collector 127.0.0.1:4739"), 0);
	assert_int_equal(run(f, "ipfix add fy switch br collector 127.0.0.1:4739"), -EEXIST);
	assert_non_null(strstr(f->err, "switch br has an IPFIX exporter already"));
	char *config = control_fixture_running_config(f);
	assert_non_null(strstr(config, "ipfix add fx switch br collector 127.0.0.1:4739 sampling 1 "
				       "obs-domain 0 active-timeout 60 idle-timeout 15 "
				       "template-refresh 60 max-flows 65536\n"));
	free(config);
	struct ipfix_cache *c = live(f)->ipfix;
	assert_non_null(c);
	assert_int_equal(c->config.idle_ms, 15000);
	assert_int_equal(c->config.max_flows, 65536);

	assert_int_equal(run(f, "ipfix del fx"), 0);
	assert_null(live(f)->ipfix);
	assert_int_equal(run(f, "ipfix add fx switch br collector [::1]:9995 sampling 8 "
				"obs-domain 4294967295 active-timeout 120 idle-timeout 3 "
				"template-refresh 5 max-flows 10"),
			 0);
	assert_int_equal(live(f)->ipfix->config.sampling, 8);
	assert_int_equal(live(f)->ipfix->config.active_ms, 120000);
	assert_int_equal(run(f, "ipfix show"), 0);
	assert_non_null(strstr(f->output, "ipfix fx (switch br) -> [::1]:9995, observation "
					  "domain 4294967295"));
	assert_non_null(strstr(f->output, "interfaces: vm1=1"));
	assert_int_equal(run(f, "save"), 0);
	char *before = control_fixture_running_config(f);
	struct control_state fresh;
	char *after = control_fixture_restart(f, &fresh);
	assert_string_equal(before, after);
	assert_non_null(datapath_find_switch(fresh.dp, "br")->ipfix);
	control_fixture_restart_free(&fresh);
	free(before);
	free(after);

	/* the exporter goes with its switch */
	assert_int_equal(run(f, "switch del br"), 0);
	config = control_fixture_running_config(f);
	assert_null(strstr(config, "ipfix"));
	free(config);
}

static void test_refusals_name_the_problem(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	static const struct {
		const char *line, *message;
	} bad[] = {
	    {"ipfix add fx switch br", "usage: ipfix add NAME"},
	    {"ipfix add fx switch br sampling 2", "needs 'switch SWITCH' and 'collector"},
	    {"ipfix add fx switch nosuch collector 10.0.0.1:1", "no such switch 'nosuch'"},
	    {"ipfix add fx switch br collector 10.0.0.1", "is not A.B.C.D:PORT or [IPV6]:PORT"},
	    {"ipfix add fx switch br collector 10.0.0.1:0", "is not A.B.C.D:PORT"},
	    {"ipfix add fx switch br collector ::1:4739", "is not A.B.C.D:PORT"},
	    {"ipfix add fx switch br collector 10.0.0.1:1 sampling 0", "sampling '0' is not"},
	    {"ipfix add fx switch br collector 10.0.0.1:1 max-flows 2000000", "max-flows"},
	    {"ipfix add fx switch br collector 10.0.0.1:1 idle-timeout -1", "idle-timeout"},
	    {"ipfix add fx switch br collector 10.0.0.1:1 colour blue", "unknown setting 'colour'"},
	    {"ipfix add fx switch br collector 10.0.0.1:1 sampling", "'sampling' needs a value"},
	    {"ipfix del nosuch", "no such exporter"},
	    {"ipfix show nosuch", "no such exporter"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_not_equal(run(f, bad[i].line), 0);
		if (!strstr(f->err, bad[i].message))
			fail_msg("%s: got '%s'", bad[i].line, f->err);
	}
	assert_null(live(f)->ipfix);
}

static void test_changes_replace_the_cache_and_failures_keep_it(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	assert_int_equal(run(f, "ipfix add fx switch br collector 127.0.0.1:4739"), 0);
	struct ipfix_cache *first = live(f)->ipfix;
	/* an unrelated change keeps the cache and its flows */
	assert_int_equal(run(f, "port add br vm2 type pipe"), 0);
	assert_ptr_equal(live(f)->ipfix, first);
	/* a failed apply leaves it as it was */
	assert_int_equal(run(f, "ipfix del fx"), 0);
	assert_null(live(f)->ipfix);
	assert_int_equal(run(f, "ipfix add fx switch br collector 127.0.0.1:4739"), 0);
	struct ipfix_cache *second = live(f)->ipfix;
	assert_int_equal(run(f, "switch add br2"), 0);
	config_apply_fail_at(1); /* the new exporter's cache */
	assert_int_not_equal(run(f, "ipfix add fz switch br2 collector 127.0.0.1:1"), 0);
	config_apply_fail_at(0);
	assert_ptr_equal(live(f)->ipfix, second);
	assert_null(datapath_find_switch(f->state.dp, "br2")->ipfix);
	char *config = control_fixture_running_config(f);
	assert_null(strstr(config, "fz"));
	free(config);
	/* a changed exporter is a new cache */
	assert_int_equal(run(f, "ipfix del fx"), 0);
	assert_int_equal(run(f, "ipfix add fx switch br collector 127.0.0.1:4739 sampling 2"), 0);
	assert_int_equal(live(f)->ipfix->config.sampling, 2);
}

#define T(name)                                                                                    \
	cmocka_unit_test_setup_teardown(name, control_fixture_setup, control_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_defaults_running_config_and_restart),
	    T(test_refusals_name_the_problem),
	    T(test_changes_replace_the_cache_and_failures_keep_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
