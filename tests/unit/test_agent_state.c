/* test_agent_state.c — the domain agent's pure decisions
 * (src/cluster/agent_state.c): online only when registered and watching,
 * headless once etcd failed, retries at most 2 s apart, and a dead host is
 * marked down, then its MACs released after the grace period. */
#include "cluster/agent.h"
#include "helpers.h"

static void test_online_needs_the_lease_and_the_watch(void **state)
{
	(void)state;
	assert_int_equal(agent_state_decide(false, false, false), AGENT_CONNECTING);
	assert_int_equal(agent_state_decide(true, true, true), AGENT_ONLINE);
	assert_int_equal(agent_state_decide(true, true, false), AGENT_HEADLESS);
	assert_int_equal(agent_state_decide(true, false, true), AGENT_HEADLESS);
	assert_int_equal(agent_state_decide(true, false, false), AGENT_HEADLESS);
	assert_string_equal(agent_state_name(AGENT_HEADLESS), "headless");
}

static void test_backoff_doubles_up_to_two_seconds(void **state)
{
	(void)state;
	assert_int_equal(agent_backoff_ms(0), 100);
	assert_int_equal(agent_backoff_ms(1), 200);
	assert_int_equal(agent_backoff_ms(4), 1600);
	assert_int_equal(agent_backoff_ms(5), AGENT_BACKOFF_MAX_MS);
	assert_int_equal(agent_backoff_ms(40), AGENT_BACKOFF_MAX_MS);
}

static void test_dead_host_is_marked_then_released_after_grace(void **state)
{
	(void)state;
	assert_int_equal(agent_dead_decide(true, 0, 100, 60), AGENT_DEAD_NONE);
	assert_int_equal(agent_dead_decide(true, 50, 100, 60), AGENT_DEAD_NONE);
	assert_int_equal(agent_dead_decide(false, 0, 100, 60), AGENT_DEAD_MARK);
	assert_int_equal(agent_dead_decide(false, 50, 100, 60), AGENT_DEAD_NONE);
	assert_int_equal(agent_dead_decide(false, 40, 100, 60), AGENT_DEAD_RELEASE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_online_needs_the_lease_and_the_watch),
	    cmocka_unit_test(test_backoff_doubles_up_to_two_seconds),
	    cmocka_unit_test(test_dead_host_is_marked_then_released_after_grace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
