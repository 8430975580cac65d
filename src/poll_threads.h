/* poll_threads.h — the daemon's poll threads: thread 0 (the data-plane
 * thread: control jobs, housekeeping, SEAs, link events and its share of the
 * ports) and, with --cores, one more per listed core polling its own share.
 * vswitchd.c fills a struct dataplane and starts them; docs/cores.md tells
 * how they share the switches. */
#ifndef VSWITCH_POLL_THREADS_H
#define VSWITCH_POLL_THREADS_H

#include <pthread.h>
#include <stdbool.h>

#include "control/execute.h"
#include "control/mailbox.h"
#include "lib/pause.h"
#include "lib/waitset.h"

struct dataplane;

/* One poll thread: thread 0 is the data-plane thread of old (control jobs,
 * housekeeping, SEAs, link events, and its share of the ports); the others
 * only poll their ports. Each sleeps on its own ports' fds (lib/waitset.h). */
struct poll_thread {
	struct dataplane *d;
	unsigned id;
	int core; /* pinned to it; -1: not pinned (no --cores) */
	pthread_t thread;
	struct waitset waitset; /* what it sleeps on when idle */
	int wake_fd;		/* eventfd: wakes the thread (ports changed, shutdown) */
	bool must_poll;		/* some port of its has no fd to wait on */
	unsigned waitset_gen;	/* the ports generation its wait set is of */
};

struct dataplane {
	struct control_state *state;
	struct control_mailbox *mailbox;
	int link_fd; /* rtnetlink link events, -1 if unavailable */
	unsigned n_threads;
	struct poll_thread threads[ENGINE_MAX_THREADS];
	struct pause_group pause;
	unsigned ports_gen; /* bumped by thread 0 when ports came or went */
	bool stop;	    /* the other threads end their loops */
};

/* "0,2-3" -> cores[] = {0, 2, 3}; each must be one this process may run
 * on. Returns how many, or -1 with a message on stderr. */
int poll_threads_parse_cores(const char *list, int cores[ENGINE_MAX_THREADS]);
/* Starts threads 1..n-1, then thread 0, on a dataplane whose state,
 * mailbox, link_fd, n_threads, threads[].core and pause are set. Returns 0
 * or a negative errno. */
int poll_threads_start(struct dataplane *d);
/* After control_mailbox_close(): waits for every thread to end and closes
 * what they used (their fds, the link events, the pause group). */
void poll_threads_stop(struct dataplane *d);

#endif
