/* test_pause.c — lib/pause.c: while thread 0 holds the others paused, none
 * of them runs a pass, whether it was busy or asleep; after resume they all
 * run again; with one thread the calls do nothing. */
#include <pthread.h>
#include <time.h>

#include "helpers.h"
#include "lib/pause.h"

#define WORKERS 3

struct worker {
	struct pause_group *g;
	unsigned id;
	bool sleeper; /* passes with a sleep marked quiescent */
	uint64_t passes;
	bool *stop;
};

static void nap_us(long us)
{
	struct timespec ts = {0, us * 1000};
	nanosleep(&ts, NULL);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	while (!__atomic_load_n(w->stop, __ATOMIC_ACQUIRE)) {
		pause_point(w->g, w->id);
		__atomic_store_n(&w->passes, w->passes + 1, __ATOMIC_RELAXED);
		if (w->sleeper) {
			pause_sleep_begin(w->g, w->id);
			nap_us(200);
			pause_sleep_end(w->g, w->id);
		}
	}
	return NULL;
}

static uint64_t passes(struct worker *w)
{
	return __atomic_load_n(&w->passes, __ATOMIC_RELAXED);
}

static void test_paused_threads_do_not_run(void **state)
{
	(void)state;
	struct pause_group g;
	assert_int_equal(pause_group_init(&g, WORKERS + 1), 0);
	bool stop = false;
	struct worker w[WORKERS];
	pthread_t t[WORKERS];
	for (unsigned i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){.g = &g, .id = i + 1, .sleeper = i == 0, .stop = &stop};
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (unsigned round = 0; round < 50; round++) {
		nap_us(500);
		pause_others(&g);
		pause_others(&g); /* twice in a pass is one pause */
		uint64_t before[WORKERS];
		for (unsigned i = 0; i < WORKERS; i++)
			before[i] = passes(&w[i]);
		nap_us(2000);
		for (unsigned i = 0; i < WORKERS; i++)
			assert_int_equal(passes(&w[i]), before[i]);
		resume_others(&g);
	}
	assert_int_equal(g.pauses, 50); /* what `show` reports: one per pause */
	/* And they run again. */
	uint64_t before[WORKERS];
	for (unsigned i = 0; i < WORKERS; i++)
		before[i] = passes(&w[i]);
	nap_us(20000);
	for (unsigned i = 0; i < WORKERS; i++)
		assert_true(passes(&w[i]) > before[i]);
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	pause_group_destroy(&g);
}

static void test_one_thread_is_a_no_op(void **state)
{
	(void)state;
	struct pause_group g;
	assert_int_equal(pause_group_init(&g, 1), 0);
	pause_others(&g);
	assert_false(g.held);
	assert_int_equal(g.request, 0);
	assert_int_equal(g.pauses, 0);
	resume_others(&g);
	pause_group_destroy(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_paused_threads_do_not_run),
	    cmocka_unit_test(test_one_thread_is_a_no_op),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
