/* pause.h — how poll thread 0 stops the other poll threads between their
 * passes to change what they read (ports, VLAN tables, the MAC table's
 * layout), as Open vSwitch reloads its PMD threads. Thread 0 asks; each
 * other thread answers at its next pause point (the top of its pass) on its
 * own cache line and waits on a futex until thread 0 resumes them. A thread
 * asleep on its ports counts as paused without being woken: it marks itself
 * sleeping before the wait and, on waking, parks if a pause is on. With one
 * thread every call is a no-op. */
#ifndef VSWITCH_PAUSE_H
#define VSWITCH_PAUSE_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

struct pause_member {
	_Alignas(64) uint32_t acked; /* the request it is parked for */
	uint32_t sleeping;	     /* 1 while asleep: needs no answer */
};

struct pause_group {
	unsigned n; /* threads, thread 0 included */
	/* Odd while thread 0 wants the others still; each pause adds one and
	 * each resume one, so a stale answer never matches a new request. */
	_Alignas(64) uint32_t request;
	bool held; /* thread 0's own: the others are paused now */
	/* Thread 0's own: how many times it paused the others (`show`); the
	 * housekeeping alone is one a second. */
	uint64_t pauses;
	struct pause_member *members;
};

/* For `n` threads (1 = no pausing at all). -ENOMEM. */
int pause_group_init(struct pause_group *g, unsigned n);
void pause_group_destroy(struct pause_group *g);

/* ---- thread 0 ----------------------------------------------------------- */

/* Returns once every other thread is parked or asleep; a no-op if they are
 * already (so every change in a pass may call it). */
void pause_others(struct pause_group *g);
/* Lets them run again, if they were paused. */
void resume_others(struct pause_group *g);

/* ---- thread i > 0 ------------------------------------------------------- */

void pause_park(struct pause_group *g, unsigned i);
/* At the top of each pass: one load when no pause is asked for. */
static inline void pause_point(struct pause_group *g, unsigned i)
{
	if (UNLIKELY(__atomic_load_n(&g->request, __ATOMIC_ACQUIRE) & 1))
		pause_park(g, i);
}
/* Around the sleep on its ports: the thread is quiescent while it sleeps. */
void pause_sleep_begin(struct pause_group *g, unsigned i);
void pause_sleep_end(struct pause_group *g, unsigned i);

#endif
