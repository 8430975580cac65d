/* test_rate_config.c — the rate-limit settings through the real command
 * path: k/M/G parsed and printed back exactly by show running-config (the
 * e2e test loads it into a fresh daemon), bad values refused with the running state unchanged, and
 * `port show` reporting the limits and their credit. */
#include <stdlib.h>

#include "control/execute.h"
#include "control_fixture.h"
#include "helpers.h"

static const char *const full =
    "port add s p type pipe ingress-rate 100M ingress-burst 64k egress-rate 10M "
    "egress-peak 20M egress-burst 1M storm-broadcast 1000 storm-multicast 5000 "
    "storm-unknown 100\n";

static void test_settings_print_back_exactly(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(control_fixture_run(f, "switch add s"), 0);
	assert_int_equal(control_fixture_run(f, full), 0);
	assert_int_equal(control_fixture_run(f, "show running-config"), 0);
	assert_non_null(strstr(f->output, full));
	/* Odd values keep every digit; off clears a rate with its burst. */
	assert_int_equal(control_fixture_run(f, "port set p ingress-rate 1500001 "
						"ingress-burst 1500 egress-rate 20M"),
			 0);
	assert_int_equal(control_fixture_run(f, "show running-config"), 0);
	assert_non_null(strstr(f->output, " ingress-rate 1500001 ingress-burst 1500 "
					  "egress-rate 20M egress-peak 20M egress-burst 1M"));
	assert_int_equal(control_fixture_run(f, "port set p ingress-rate off egress-rate off "
						"storm-broadcast 0 storm-multicast off "
						"storm-unknown off"),
			 0);
	assert_int_equal(control_fixture_run(f, "show running-config"), 0);
	assert_non_null(strstr(f->output, "port add s p type pipe\n"));
}

static void test_bad_values_are_refused_and_change_nothing(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(control_fixture_run(f, "switch add s"), 0);
	assert_int_equal(control_fixture_run(f, "port add s p type pipe ingress-rate 10M"), 0);
	const char *bad[] = {
	    "port set p ingress-rate 10x",
	    "port set p ingress-rate 1.5G",
	    "port set p ingress-rate 500G",
	    "port set p ingress-rate 999",
	    "port set p egress-burst 64k",
	    "port set p egress-rate 10M egress-peak 1M",
	    "port set p ingress-burst 257M",
	    "port set p storm-broadcast -1",
	    "port set p ingress-rate 99999999999999999999G",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_not_equal(control_fixture_run(f, bad[i]), 0);
		assert_true(f->err[0]);
	}
	assert_int_equal(control_fixture_run(f, "show running-config"), 0);
	assert_non_null(strstr(f->output, "port add s p type pipe ingress-rate 10M\n"));
}

static void test_port_show_reports_limits_and_credit(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(control_fixture_run(f, "switch add s"), 0);
	assert_int_equal(control_fixture_run(f, full), 0);
	assert_int_equal(control_fixture_run(f, "port show p"), 0);
	assert_non_null(
	    strstr(f->output, "ingress-rate 100M bit/s, burst 64k bytes, credit 65536 bytes"));
	assert_non_null(strstr(f->output, "egress-rate 10M bit/s, peak 20M, burst 1M bytes"));
	assert_non_null(strstr(f->output, "broadcast 1000 (credit 100) multicast 5000 (credit 500) "
					  "unknown-unicast 100 (credit 10)"));
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, control_fixture_setup, control_fixture_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_settings_print_back_exactly),
	    T(test_bad_values_are_refused_and_change_nothing),
	    T(test_port_show_reports_limits_and_credit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
