/* test_afxdp.c — what the afxdp port type (src/port/afxdp.c) decides before
 * it touches AF_XDP: its options, the interface it names, and that it
 * counts as driving the same interface as an afpacket port on it. Needs no
 * privilege; the rings, the program and the traffic are proven with real
 * veths in tests/e2e/test_afxdp.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "port/port.h"

static char err[512];

static struct port *open_afxdp(const char *const *options)
{
	err[0] = '\0';
	return port_create("x0", "afxdp", options, err, sizeof(err));
}

static void test_queues_outside_1_to_16_are_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {"queues=0", "queues=17", "queues=two", "queues="};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const options[] = {"dev=lo", bad[i], NULL};
		assert_null(open_afxdp(options));
		assert_non_null(strstr(err, "port x0: queues '"));
		assert_non_null(strstr(err, "' must be 1-16"));
	}
}

static void test_multi_buffer_is_yes_or_no(void **state)
{
	(void)state;
	const char *const options[] = {"dev=lo", "multi-buffer=maybe", NULL};
	assert_null(open_afxdp(options));
	assert_string_equal(err, "port x0: multi-buffer 'maybe' must be yes or no");
}

static void test_unknown_option_lists_what_the_type_takes(void **state)
{
	(void)state;
	const char *const options[] = {"rcvbuf-kb=64", NULL};
	assert_null(open_afxdp(options));
	assert_string_equal(
	    err,
	    "port x0: unknown option 'rcvbuf-kb' (type afxdp takes: dev, queues, multi-buffer)");
}

static void test_missing_interface_is_named(void **state)
{
	(void)state;
	const char *const options[] = {"dev=nosuchif9", NULL};
	assert_null(open_afxdp(options));
	assert_non_null(strstr(err, "port x0: no such interface 'nosuchif9'"));
}

static void test_an_interface_name_too_long_is_refused(void **state)
{
	(void)state;
	const char *const options[] = {"dev=abcdefghijklmnopq", NULL};
	assert_null(open_afxdp(options));
	assert_non_null(strstr(err, "longer than 15 characters"));
}

static void test_it_drives_the_interface_an_afpacket_port_would(void **state)
{
	(void)state;
	const char *const eth1[] = {"dev=eth1", NULL};
	const char *const eth2[] = {"dev=eth2", NULL};
	/* Two ports on one interface are refused, whatever their types. */
	assert_false(port_devices_apart("up", "afxdp", eth1, "afpacket", eth1));
	assert_true(port_devices_apart("up", "afxdp", eth1, "afpacket", eth2));
	/* dev defaults to the port's name. */
	assert_false(port_devices_apart("eth1", "afxdp", NULL, "afpacket", eth1));
	/* Another queue count is the same device, kept across the rebuild. */
	const char *const two[] = {"dev=eth1", "queues=2", NULL};
	assert_true(port_same_device("up", "afxdp", eth1, "afxdp", two));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_queues_outside_1_to_16_are_refused),
	    cmocka_unit_test(test_multi_buffer_is_yes_or_no),
	    cmocka_unit_test(test_unknown_option_lists_what_the_type_takes),
	    cmocka_unit_test(test_missing_interface_is_named),
	    cmocka_unit_test(test_an_interface_name_too_long_is_refused),
	    cmocka_unit_test(test_it_drives_the_interface_an_afpacket_port_would),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
