/* schedule.h — when the data-plane thread reads carriers and does its
 * housekeeping, and how long it may sleep when no frame comes. The thread's
 * loop (vswitchd.c) calls schedule_run() between batches, sleeps in epoll
 * for schedule_timeout_ms() and calls schedule_woke() before the next batch. */
#ifndef VSWITCH_HA_SCHEDULE_H
#define VSWITCH_HA_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

struct datapath;

/* Uplink carriers are never older than this when a batch is forwarded: the
 * failover reaction time of a switch whose uplinks are SEA trunks or NICs
 * into one LAN, whatever the kernel's link events say or do not say. */
#define SCHEDULE_UPLINK_MS	 10
#define SCHEDULE_HOUSEKEEPING_MS 1000

struct schedule {
	int link_fd;		      /* rtnetlink link events (monitor.h), -1 if none */
	uint64_t links_read_ms;	      /* when they were last read */
	uint64_t uplinks_due_ms;      /* uplink carriers are stale from then on */
	uint64_t housekeeping_due_ms; /* the next datapath_run() */
	bool has_uplinks;	      /* the last read found an uplink with a carrier */
	/* Called before anything that changes what other poll threads read
	 * (vswitchd --cores pauses them); NULL: nothing to do. */
	void (*before_change)(void *arg);
	void *arg;
};

/* Everything is due at once: the first schedule_run() reads all. */
void schedule_init(struct schedule *s, int link_fd);
/* Between batches: reads the kernel's link events (at most once a
 * millisecond: a system call per pass would tax the busy loop) and after any,
 * every carrier; the uplinks' carriers when stale; the housekeeping once a
 * second. Returns true if link events came: news for the SEAs too. */
bool schedule_run(struct schedule *s, struct datapath *dp, uint64_t now_ms);
/* How long the thread may sleep in epoll (ms): until the housekeeping or
 * `due_ms` (the SEAs' timers; UINT64_MAX: none), whichever is first; 1 when
 * some port has no fd to wait on (`must_poll`). Not for carriers: the kernel
 * wakes the thread with a link event, and so does every frame, after which
 * schedule_woke() reads them. Without link events (no link_fd) the uplinks
 * are polled every SCHEDULE_UPLINK_MS. */
int schedule_timeout_ms(const struct schedule *s, uint64_t now_ms, uint64_t due_ms, bool must_poll);
/* After a sleep, before the first batch: reads the uplinks' carriers if they
 * are stale, so no frame goes to an uplink that died while the thread slept
 * and the kernel has not said so yet (it reports some carrier losses up to a
 * second late, docs/benchmarks.md "Idle wake-ups"). */
void schedule_woke(struct schedule *s, struct datapath *dp, uint64_t now_ms);

#endif
