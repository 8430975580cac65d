/* pause.c — see pause.h. The handshake is Dekker's: thread 0 stores the
 * request and then reads each thread's state; a thread going to sleep
 * stores its state and then, on waking, reads the request (both sequentially
 * consistent), so at least one of the two sees the other. */
#include "pause.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Spins before yielding the CPU while waiting for an answer: a pass is
 * tens of microseconds, and the machine may have fewer CPUs than threads. */
#define SPINS_BEFORE_YIELD 256

int pause_group_init(struct pause_group *g, unsigned n)
{
	*g = (struct pause_group){.n = n};
	g->members = aligned_alloc(64, sizeof(*g->members) * (n ? n : 1));
	if (!g->members)
		return -ENOMEM;
	memset(g->members, 0, sizeof(*g->members) * (n ? n : 1));
	return 0;
}

void pause_group_destroy(struct pause_group *g)
{
	free(g->members);
	g->members = NULL;
}

static bool quiet(struct pause_member *m, uint32_t request)
{
	return __atomic_load_n(&m->sleeping, __ATOMIC_SEQ_CST) ||
	       __atomic_load_n(&m->acked, __ATOMIC_ACQUIRE) == request;
}

void pause_others(struct pause_group *g)
{
	if (g->n < 2 || g->held)
		return;
	uint32_t request = g->request + 1;
	__atomic_store_n(&g->request, request, __ATOMIC_SEQ_CST);
	for (unsigned i = 1; i < g->n; i++)
		for (unsigned spins = 0; !quiet(&g->members[i], request); spins++)
			if (spins < SPINS_BEFORE_YIELD)
				cpu_relax();
			else
				sched_yield();
	g->held = true;
	g->pauses++;
}

void resume_others(struct pause_group *g)
{
	if (!g->held)
		return;
	__atomic_store_n(&g->request, g->request + 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &g->request, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	g->held = false;
}

void pause_park(struct pause_group *g, unsigned i)
{
	uint32_t request = __atomic_load_n(&g->request, __ATOMIC_ACQUIRE);
	if (!(request & 1))
		return;
	__atomic_store_n(&g->members[i].acked, request, __ATOMIC_RELEASE);
	for (unsigned spins = 0; __atomic_load_n(&g->request, __ATOMIC_ACQUIRE) == request; spins++)
		if (spins < SPINS_BEFORE_YIELD)
			cpu_relax();
		else
			syscall(SYS_futex, &g->request, FUTEX_WAIT_PRIVATE, request, NULL, NULL, 0);
}

void pause_sleep_begin(struct pause_group *g, unsigned i)
{
	__atomic_store_n(&g->members[i].sleeping, 1, __ATOMIC_SEQ_CST);
}

void pause_sleep_end(struct pause_group *g, unsigned i)
{
	__atomic_store_n(&g->members[i].sleeping, 0, __ATOMIC_SEQ_CST);
	uint32_t request = __atomic_load_n(&g->request, __ATOMIC_SEQ_CST);
	if (request & 1)
		pause_park(g, i);
}
