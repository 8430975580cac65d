/* test_monitor.c — what SEA failover watches (src/ha/monitor.c): the netaddr
 * parser, the ping monitor against an address that answers and one that
 * does not, and link events, in a private network namespace. */
#include <stdlib.h>
#include <unistd.h>

#include "ha/monitor.h"
#include "helpers.h"
#include "netns.h"

static uint64_t now_ms(void)
{
	return time_now_ns() / 1000000;
}

static void test_netaddr_must_be_a_host_address(void **state)
{
	(void)state;
	struct in_addr a;
	char err[128];
	assert_int_equal(ping_parse_address("10.1.2.3", &a, err, sizeof(err)), 0);
	assert_int_equal(ping_parse_address("192.168.0.254", &a, err, sizeof(err)), 0);
	const char *bad[] = {"10.1.2", "300.1.1.1", "x", "", "10.1.2.3/24", "::1", NULL};
	for (int i = 0; bad[i]; i++) {
		assert_int_equal(ping_parse_address(bad[i], &a, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "is not an IPv4 address"));
	}
	const char *unpingable[] = {"0.0.0.0",	 "255.255.255.255", "224.0.0.1",
				    "240.0.0.1", "0.1.2.3",	    NULL};
	for (int i = 0; unpingable[i]; i++) {
		assert_int_equal(ping_parse_address(unpingable[i], &a, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "is not a host address one can ping"));
	}
}

/* Runs the monitor for `ms` milliseconds, as the daemon's loop would. */
static void run_for(struct ping_monitor *m, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	while (now_ms() < end) {
		uint64_t next;
		ping_monitor_run(m, now_ms(), &next);
		usleep(2000);
	}
}

static void test_ping_answered_and_unanswered(void **state)
{
	(void)state;
	REQUIRE_NETNS();
	struct in_addr a;
	char err[128];
	struct ping_monitor m;
	assert_int_equal(ping_parse_address("127.0.0.1", &a, err, sizeof(err)), 0);
	assert_int_equal(ping_monitor_open(&m, a, 20, 3, err, sizeof(err)), 0);
	run_for(&m, 200);
	assert_true(m.reachable);
	assert_true(m.sent >= 5);
	assert_true(m.answered >= 5);
	ping_monitor_close(&m);

	/* An address on a link whose far end never answers (a dummy-like
	 * veth with nothing behind it): unreachable after 3 echoes. */
	assert_int_equal(sh("ip link add mon0 type veth peer name mon1 && ip link set mon0 up && "
			    "ip link set mon1 up && ip addr add 10.66.0.1/24 dev mon0"),
			 0);
	assert_int_equal(ping_parse_address("10.66.0.2", &a, err, sizeof(err)), 0);
	assert_int_equal(ping_monitor_open(&m, a, 20, 3, err, sizeof(err)), 0);
	uint64_t next;
	assert_false(ping_monitor_run(&m, now_ms(), &next)); /* optimistic at first */
	assert_true(m.reachable);
	run_for(&m, 200);
	assert_false(m.reachable);
	assert_int_equal(m.answered, 0);
	/* The address appears (on the far end): one answer and it is back. */
	assert_int_equal(sh("ip addr add 10.66.0.2/24 dev mon1"), 0);
	run_for(&m, 200);
	assert_true(m.reachable);
	ping_monitor_close(&m);
	sh("ip link del mon0");
}

static void test_link_events_arrive(void **state)
{
	(void)state;
	REQUIRE_NETNS();
	int fd = link_monitor_open();
	assert_true(fd >= 0);
	link_monitor_drain(fd);
	assert_false(link_monitor_drain(fd)); /* nothing new */
	assert_int_equal(sh("ip link add lnk0 type veth peer name lnk1"), 0);
	usleep(20000);
	assert_true(link_monitor_drain(fd));
	sh("ip link del lnk0");
	close(fd);
}

int main(void)
{
	netns_enter();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_netaddr_must_be_a_host_address),
	    cmocka_unit_test(test_ping_answered_and_unanswered),
	    cmocka_unit_test(test_link_events_arrive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
