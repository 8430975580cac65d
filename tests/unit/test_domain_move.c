/* test_domain_move.c — counters/PORT's codec (src/control/domain_move.c):
 * what a releasing host writes decodes to the same counters and MACs on
 * the host that continues them; another host's bad bytes are refused or
 * read as zero, never trusted beyond their bounds. The move itself runs
 * end to end in tests/e2e/test_vm_move.py. */
#include <stdlib.h>
#include <string.h>

#include "control/domain_move.h"
#include "helpers.h"

static void test_counters_round_trip(void **state)
{
	(void)state;
	struct domain_counters m = {.released = true, .n_macs = 2}, back;
	strcpy(m.host, "h1");
	m.c.rx_packets = 123456789012ull;
	m.c.rx_bytes = 5;
	m.c.tx_packets = 7;
	m.c.tx_bytes = 9;
	m.c.mac_moves = 2;
	m.c.drops[DROP_POLICED] = 11;
	memcpy(m.macs[0], test_mac(1), 6);
	m.vids[0] = 1;
	memcpy(m.macs[1], test_mac(2), 6);
	m.vids[1] = 4094;
	char *json = domain_counters_encode(&m);
	assert_non_null(json);
	assert_int_equal(domain_counters_decode(json, strlen(json), &back), 0);
	free(json);
	assert_string_equal(back.host, "h1");
	assert_true(back.released);
	assert_memory_equal(&back.c, &m.c, sizeof(m.c));
	assert_int_equal(back.n_macs, 2);
	assert_memory_equal(back.macs[1], test_mac(2), 6);
	assert_int_equal(back.vids[1], 4094);
}

static void test_counters_bad_values(void **state)
{
	(void)state;
	struct domain_counters m;
	const char *no_host = "{\"rx_packets\":5}";
	assert_int_equal(domain_counters_decode(no_host, strlen(no_host), &m), -EINVAL);
	assert_int_equal(domain_counters_decode("[1]", 3, &m), -EINVAL);
	assert_int_equal(domain_counters_decode("{", 1, &m), -EINVAL);
	/* Wrong types and negative numbers count as 0; unknown drop names
	 * and bad MACs or VLANs are left out. */
	const char *odd = "{\"host\":\"h2\",\"rx_packets\":-4,\"tx_packets\":\"9\","
			  "\"drops\":{\"no-such\":3,\"policed\":2},\"macs\":[{\"mac\":\"zz\","
			  "\"vid\":1},{\"mac\":\"02:00:00:00:00:01\",\"vid\":5000},"
			  "{\"mac\":\"02:00:00:00:00:02\",\"vid\":7}]}";
	assert_int_equal(domain_counters_decode(odd, strlen(odd), &m), 0);
	assert_int_equal(m.c.rx_packets, 0);
	assert_int_equal(m.c.tx_packets, 0);
	assert_int_equal(m.c.drops[DROP_POLICED], 2);
	assert_false(m.released);
	assert_int_equal(m.n_macs, 1);
	assert_int_equal(m.vids[0], 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counters_round_trip),
	    cmocka_unit_test(test_counters_bad_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
