/* test_waitset.c — lib/waitset.c: a sleeper wakes for any fd of its set and
 * for its wake fd, in both forms (poll(2) for a small set, epoll for a large
 * one); the wake fd is drained, a port's fd is left to its reader; a small
 * set holds no registration while its owner is awake. */
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "helpers.h"
#include "lib/waitset.h"

static void signal_fd(int fd)
{
	uint64_t one = 1;
	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
}

static uint64_t drain(int fd)
{
	uint64_t count = 0;
	if (read(fd, &count, sizeof(count)) != sizeof(count))
		return 0;
	return count;
}

/* A set of `n` eventfds besides the wake fd; checks every way of waking. */
static void check_set(unsigned n, bool registered)
{
	int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int fds[WAITSET_POLL_MAX * 2];
	assert_true(wake_fd >= 0 && n <= WAITSET_POLL_MAX * 2);
	struct waitset ws;
	waitset_init(&ws, wake_fd);
	for (unsigned i = 0; i < n; i++) {
		fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		assert_true(fds[i] >= 0);
		assert_true(waitset_add(&ws, fds[i]));
	}
	assert_true(waitset_end(&ws));
	assert_int_equal(waitset_registered(&ws), registered);

	assert_int_equal(waitset_sleep(&ws, 0), 0); /* nothing ready: times out */

	/* The last port's fd wakes it, and stays readable for its reader. */
	signal_fd(fds[n - 1]);
	assert_int_equal(waitset_sleep(&ws, 1000), 1);
	assert_int_equal(waitset_sleep(&ws, 0), 1);
	assert_int_equal(drain(fds[n - 1]), 1);
	assert_int_equal(waitset_sleep(&ws, 0), 0);

	/* The wake fd wakes it and is drained by the sleep itself. */
	signal_fd(wake_fd);
	assert_int_equal(waitset_sleep(&ws, -1), 1);
	assert_int_equal(drain(wake_fd), 0);
	assert_int_equal(waitset_sleep(&ws, 0), 0);

	/* A new set replaces the old one: a dropped fd no longer wakes it. */
	waitset_begin(&ws);
	assert_true(waitset_add(&ws, fds[0]));
	assert_true(waitset_end(&ws));
	assert_false(waitset_registered(&ws));
	signal_fd(fds[n - 1]);
	assert_int_equal(waitset_sleep(&ws, 0), 0);
	signal_fd(fds[0]);
	assert_int_equal(waitset_sleep(&ws, 0), 1);

	waitset_destroy(&ws);
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
	close(wake_fd);
}

static void test_small_set_polls_only_while_asleep(void **state)
{
	(void)state;
	check_set(3, false);
	check_set(WAITSET_POLL_MAX - 1, false); /* with the wake fd: the limit */
}

static void test_large_set_stays_in_epoll(void **state)
{
	(void)state;
	check_set(WAITSET_POLL_MAX, true);
	check_set(WAITSET_POLL_MAX * 2, true);
}

/* A hung-up fd (a front end gone) wakes the sleeper rather than being
 * missed, as epoll reports it. */
static void test_hangup_wakes(void **state)
{
	(void)state;
	int pipe_fds[2];
	assert_int_equal(pipe(pipe_fds), 0);
	struct waitset ws;
	waitset_init(&ws, -1);
	assert_true(waitset_add(&ws, pipe_fds[0]));
	assert_true(waitset_end(&ws));
	assert_int_equal(waitset_sleep(&ws, 0), 0);
	close(pipe_fds[1]);
	assert_int_equal(waitset_sleep(&ws, 1000), 1);
	waitset_destroy(&ws);
	close(pipe_fds[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_small_set_polls_only_while_asleep),
	    cmocka_unit_test(test_large_set_stays_in_epoll),
	    cmocka_unit_test(test_hangup_wakes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
