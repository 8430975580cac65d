/* test_schedule.c — when the data-plane thread reads carriers and does its
 * housekeeping, and how long it may sleep (src/ha/schedule.c), on a datapath
 * with two uplinks and a client on pipe ports. Times are made up: the
 * schedule reads no clock of its own. */
#include <stdlib.h>
#include <unistd.h>

#include "engine/datapath.h"
#include "ha/monitor.h"
#include "ha/schedule.h"
#include "helpers.h"

struct fixture {
	struct datapath *dp;
	struct vswitch *sw;
	struct bridge_port *primary, *standby, *vm;
};

static int setup(void **state)
{
	char err[256];
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->dp = datapath_create(1024, 2048);
	assert_non_null(f->dp);
	struct switch_config config;
	switch_config_init(&config);
	config.mode = SWITCH_MODE_AUTHORITATIVE;
	config.fdb_capacity = 1024;
	f->sw = switch_create("sw0", &config, f->dp->pool, err, sizeof(err));
	assert_non_null(f->sw);
	assert_int_equal(datapath_add_switch(f->dp, f->sw), 0);
	f->primary = test_port(f->sw, "primary", 1, NULL, true);
	f->standby = test_port(f->sw, "standby", 1, NULL, true);
	f->vm = test_port(f->sw, "vm", 1, NULL, false);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	datapath_destroy(f->dp, false);
	free(f);
	return 0;
}

static void test_woken_thread_reads_stale_uplink_carriers_before_forwarding(void **state)
{
	struct fixture *f = *state;
	struct schedule s;
	schedule_init(&s, -1);
	schedule_run(&s, f->dp, 1000);
	assert_int_equal(f->sw->active_uplink[1], f->primary->index);
	pipe_set_carrier(f->primary->dev, false);
	/* Read less than SCHEDULE_UPLINK_MS ago: still good enough. */
	schedule_woke(&s, f->dp, 1000 + SCHEDULE_UPLINK_MS - 1);
	assert_int_equal(f->sw->active_uplink[1], f->primary->index);
	schedule_woke(&s, f->dp, 1000 + SCHEDULE_UPLINK_MS);
	assert_int_equal(f->sw->active_uplink[1], f->standby->index);
	test_send(f->sw, f->vm, test_broadcast, test_mac(1), -1);
	assert_int_equal(test_count_and_clear(f->standby), 1);
	assert_int_equal(test_count_and_clear(f->primary), 0);
}

static void test_idle_thread_sleeps_until_housekeeping_or_a_timer(void **state)
{
	struct fixture *f = *state;
	struct schedule s;
	int link_fd = link_monitor_open();
	assert_true(link_fd >= 0);
	schedule_init(&s, link_fd);
	schedule_run(&s, f->dp, 5000);
	/* Uplinks do not shorten the sleep: link events and frames wake it. */
	assert_int_equal(schedule_timeout_ms(&s, 5000, UINT64_MAX, false),
			 SCHEDULE_HOUSEKEEPING_MS);
	assert_int_equal(schedule_timeout_ms(&s, 5400, UINT64_MAX, false), 600);
	assert_int_equal(schedule_timeout_ms(&s, 5000, 5200, false), 200); /* an SEA timer */
	assert_int_equal(schedule_timeout_ms(&s, 5000, 4000, false), 0);   /* overdue */
	assert_int_equal(schedule_timeout_ms(&s, 5000, UINT64_MAX, true), 1);
	close(link_fd);
}

static void test_without_link_events_uplinks_are_polled(void **state)
{
	struct fixture *f = *state;
	struct schedule s;
	schedule_init(&s, -1);
	schedule_run(&s, f->dp, 5000);
	assert_int_equal(schedule_timeout_ms(&s, 5000, UINT64_MAX, false), SCHEDULE_UPLINK_MS);
	switch_del_port(f->sw, f->primary, true);
	switch_del_port(f->sw, f->standby, true);
	schedule_run(&s, f->dp, 5010);
	assert_int_equal(schedule_timeout_ms(&s, 5010, UINT64_MAX, false), 990);
}

static void test_housekeeping_reads_every_carrier_once_a_second(void **state)
{
	struct fixture *f = *state;
	struct schedule s;
	schedule_init(&s, -1);
	schedule_run(&s, f->dp, 1000);
	pipe_set_carrier(f->vm->dev, false);
	schedule_run(&s, f->dp, 1999); /* uplinks only */
	assert_true(f->vm->up);
	schedule_run(&s, f->dp, 2000);
	assert_false(f->vm->up);
}

static void count_pause(void *arg)
{
	(*(unsigned *)arg)++;
}

/* vswitchd --cores: the other poll threads are paused (before_change) for
 * the housekeeping and for a carrier that changed, not for every 10 ms read
 * of steady uplinks while frames flow. */
static void test_steady_uplinks_are_read_without_pausing(void **state)
{
	struct fixture *f = *state;
	struct schedule s;
	unsigned pauses = 0;
	schedule_init(&s, -1);
	s.before_change = count_pause;
	s.arg = &pauses;
	schedule_run(&s, f->dp, 1000);
	pauses = 0;
	/* A busy thread runs the schedule at every pass: here once a ms. */
	for (uint64_t now = 1001; now < 2000; now++)
		schedule_run(&s, f->dp, now);
	assert_int_equal(pauses, 0);
	assert_true(s.has_uplinks);
	schedule_run(&s, f->dp, 2000); /* the housekeeping */
	assert_int_equal(pauses, 1);
	/* A change is applied paused, within SCHEDULE_UPLINK_MS. */
	pipe_set_carrier(f->primary->dev, false);
	for (uint64_t now = 2001; now <= 2000 + SCHEDULE_UPLINK_MS; now++)
		schedule_run(&s, f->dp, now);
	assert_int_equal(pauses, 2);
	assert_false(f->primary->up);
	assert_int_equal(f->sw->active_uplink[1], f->standby->index);
	/* and once only: the next reads find it as applied. */
	for (uint64_t now = 2001 + SCHEDULE_UPLINK_MS; now < 3000; now++)
		schedule_run(&s, f->dp, now);
	assert_int_equal(pauses, 2);
	pipe_set_carrier(f->primary->dev, true);
	schedule_woke(&s, f->dp, 3000 + SCHEDULE_UPLINK_MS);
	assert_int_equal(f->sw->active_uplink[1], f->primary->index);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_woken_thread_reads_stale_uplink_carriers_before_forwarding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idle_thread_sleeps_until_housekeeping_or_a_timer,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_without_link_events_uplinks_are_polled, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_housekeeping_reads_every_carrier_once_a_second,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_steady_uplinks_are_read_without_pausing, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
