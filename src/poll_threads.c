/* poll_threads.c — the daemon's poll threads (poll_threads.h). Each polls
 * its ports, forwards batches and, when idle, sleeps on its own
 * ports' fds; thread 0 also on the control mailbox and the kernel's link
 * events until a timer is due (ha/schedule.c). Thread 0 pauses the others
 * whenever it changes something they read (lib/pause.h). */
#include "poll_threads.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine/datapath.h"
#include "ha/lldp.h"
#include "ha/sea.h"
#include "ha/schedule.h"
#include "lib/log.h"
#include "lib/waitset.h"

#define IDLE_POLLS_BEFORE_SLEEP 16

/* The wait set of thread t (lib/waitset.h): its ports' fds, its wake fd,
 * and for thread 0 the control mailbox and the link events. Each thread
 * builds its own, between its passes, so it reads the ports only when
 * thread 0 lets it. */
static void rebuild_waitset(struct poll_thread *t)
{
	struct dataplane *d = t->d;
	struct waitset *ws = &t->waitset;
	bool all = true;
	waitset_begin(ws);
	if (t->id == 0) {
		all &= waitset_add(ws, control_mailbox_wake_fd(d->mailbox));
		if (d->link_fd >= 0)
			all &= waitset_add(ws, d->link_fd);
	}
	struct datapath *dp = d->state->dp;
	for (size_t s = 0; s < dp->n_switches; s++) {
		struct vswitch *sw = dp->switches[s];
		for (uint16_t i = 0; i < sw->n_ports; i++) {
			struct bridge_port *p = sw->ports[i];
			if (!p || !p->dev->class->recv ||
			    (d->n_threads > 1 && p->poll_thread != t->id))
				continue;
			int fds[PORT_WAIT_FDS_MAX];
			int n = port_wait_fds(p->dev, fds);
			all &= n > 0;
			for (int k = 0; k < n; k++)
				all &= waitset_add(ws, fds[k]);
		}
	}
	all &= waitset_end(ws);
	t->must_poll = !all;
	t->waitset_gen = __atomic_load_n(&d->ports_gen, __ATOMIC_ACQUIRE);
}

static void wake(struct poll_thread *t)
{
	uint64_t one = 1;
	if (write(t->wake_fd, &one, sizeof(one)) < 0)
		log_error("poll thread %u: eventfd write: %s", t->id, strerror(errno));
}

static void sleep_in_waitset(struct poll_thread *t, int timeout_ms)
{
	int n = waitset_sleep(&t->waitset, timeout_ms);
	if (n < 0 && n != -EINTR)
		log_error("poll thread %u: waiting for its ports: %s", t->id, strerror(-n));
}

/* Thread 0 is about to change what the others read: pause them. */
static void pause_hook(void *arg)
{
	pause_others(arg);
}

static void pin(struct poll_thread *t)
{
	if (t->core < 0)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(t->core, &set);
	int error = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (error)
		log_error("poll thread %u: cannot pin to core %d: %s", t->id, t->core,
			  strerror(error));
}

/* Threads 1..n-1: poll their ports, park when thread 0 asks, sleep when
 * idle; no timers of their own. */
static void *poll_main(void *arg)
{
	struct poll_thread *t = arg;
	struct dataplane *d = t->d;
	struct datapath *dp = d->state->dp;
	unsigned idle = 0;
	pin(t);
	datapath_thread_enter(dp, t->id);
	while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
		pause_point(&d->pause, t->id);
		if (t->waitset_gen != __atomic_load_n(&d->ports_gen, __ATOMIC_ACQUIRE))
			rebuild_waitset(t);
		packet_pool_reclaim(dp->pools[t->id]);
		uint32_t n = datapath_poll_thread(dp, t->id);
		if (n) {
			idle = 0;
		} else if (++idle >= IDLE_POLLS_BEFORE_SLEEP) {
			pause_sleep_begin(&d->pause, t->id);
			if (t->waitset_gen == __atomic_load_n(&d->ports_gen, __ATOMIC_ACQUIRE) &&
			    !__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE))
				sleep_in_waitset(t, t->must_poll ? 1 : -1);
			pause_sleep_end(&d->pause, t->id);
			idle = 0;
		}
	}
	return NULL;
}

/* Thread 0. With several threads, every change to what the others read
 * (a control job's step, housekeeping, carriers, the SEAs) runs with them
 * paused; forwarding on thread 0's own ports goes on between. */
static void *dataplane_main(void *arg)
{
	struct poll_thread *t0 = arg;
	struct dataplane *d = t0->d;
	struct datapath *dp = d->state->dp;
	const bool threads = d->n_threads > 1;
	struct schedule schedule;
	uint64_t ha_due = 0;
	uint64_t lldp_due = 0; /* ha/lldp.c's next timer; 0 after a change */
	unsigned idle = 0;
	struct control_job *job = NULL; /* one slice per pass until finished */
	pin(t0);
	datapath_thread_enter(dp, 0);
	schedule_init(&schedule, d->link_fd);
	if (threads) {
		schedule.before_change = pause_hook;
		schedule.arg = &d->pause;
	}
	rebuild_waitset(t0);
	while (!control_mailbox_closed(d->mailbox)) {
		uint32_t n;
		if (threads) {
			packet_pool_reclaim(dp->pools[0]);
			n = datapath_poll_thread(dp, 0);
		} else {
			n = datapath_poll(dp);
		}
		if (!job && control_mailbox_pending(d->mailbox))
			job = control_mailbox_take(d->mailbox);
		if (job) {
			pause_others(&d->pause);
			if (control_job_step(job, dp)) {
				bool rebuild = job->ports_changed; /* the job is gone once done */
				control_mailbox_done(d->mailbox, job);
				job = NULL;
				if (rebuild) {
					datapath_assign_ports(dp);
					__atomic_store_n(&d->ports_gen, d->ports_gen + 1,
							 __ATOMIC_RELEASE);
					rebuild_waitset(t0);
					for (unsigned i = 1; i < d->n_threads; i++)
						wake(&d->threads[i]);
				}
				ha_due = 0; /* an SEA may have come or changed */
				lldp_due = 0;
			}
		}
		/* Link events are read once a millisecond at most: a syscall
		 * per pass would tax the busy loop. They are news for the
		 * switches and the SEAs at once. */
		uint64_t now_ms = time_now_ns() / 1000000;
		bool links = schedule_run(&schedule, dp, now_ms);
		if (links || __atomic_load_n(&d->state->seas->news, __ATOMIC_ACQUIRE) ||
		    now_ms >= ha_due) {
			pause_others(&d->pause);
			ha_due = sea_set_run(d->state->seas, now_ms, links);
		}
		if (links || now_ms >= lldp_due) {
			pause_others(&d->pause);
			lldp_due = lldp_run(dp, now_ms);
		}
		resume_others(&d->pause);
		if (n || job) {
			idle = 0;
		} else if (++idle >= IDLE_POLLS_BEFORE_SLEEP) {
			sleep_in_waitset(t0,
				       schedule_timeout_ms(&schedule, now_ms,
							   ha_due < lldp_due ? ha_due : lldp_due,
							   t0->must_poll));
			schedule_woke(&schedule, dp, time_now_ns() / 1000000);
			resume_others(&d->pause);
			idle = 0;
		}
	}
	__atomic_store_n(&d->stop, true, __ATOMIC_RELEASE);
	for (unsigned i = 1; i < d->n_threads; i++)
		wake(&d->threads[i]);
	return NULL;
}

/* "0,2-3" -> cores[] = {0, 2, 3}; each must be one this process may run
 * on. Returns how many, or -1 with a message. */
int poll_threads_parse_cores(const char *list, int cores[ENGINE_MAX_THREADS])
{
	cpu_set_t allowed;
	CPU_ZERO(&allowed);
	sched_getaffinity(0, sizeof(allowed), &allowed);
	int n = 0;
	const char *s = list;
	while (*s) {
		char *end;
		long first = strtol(s, &end, 10), last = first;
		if (end == s || first < 0)
			goto bad;
		if (*end == '-') {
			s = end + 1;
			last = strtol(s, &end, 10);
			if (end == s || last < first)
				goto bad;
		}
		for (long c = first; c <= last; c++) {
			if (c >= CPU_SETSIZE || !CPU_ISSET((int)c, &allowed)) {
				fprintf(stderr,
					"vswitchd: --cores: core %ld is not one this process may "
					"run on (see taskset -p, nproc)\n",
					c);
				return -1;
			}
			for (int i = 0; i < n; i++)
				if (cores[i] == c) {
					fprintf(stderr,
						"vswitchd: --cores: core %ld listed twice\n", c);
					return -1;
				}
			if (n == ENGINE_MAX_THREADS) {
				fprintf(stderr, "vswitchd: --cores: at most %d cores\n",
					ENGINE_MAX_THREADS);
				return -1;
			}
			cores[n++] = (int)c;
		}
		if (*end == ',')
			end++;
		else if (*end)
			goto bad;
		s = end;
	}
	if (n > 0)
		return n;
bad:
	fprintf(stderr, "vswitchd: --cores '%s': expected a list like 0,1 or 0-3\n", list);
	return -1;
}

/* Starts threads 1..n-1, then thread 0. */
int poll_threads_start(struct dataplane *d)
{
	for (unsigned i = 0; i < d->n_threads; i++) {
		struct poll_thread *t = &d->threads[i];
		t->d = d;
		t->id = i;
		t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (t->wake_fd < 0)
			return -errno;
		waitset_init(&t->waitset, t->wake_fd);
		/* No generation yet: a thread builds its first set at its first
		 * pass, also for ports from the startup file (ports_gen 0). */
		t->waitset_gen = UINT_MAX;
	}
	datapath_assign_ports(d->state->dp);
	if (d->n_threads > 1)
		d->state->dp->pause = &d->pause;
	for (unsigned i = d->n_threads; i-- > 0;) {
		struct poll_thread *t = &d->threads[i];
		int error = pthread_create(&t->thread, NULL, i ? poll_main : dataplane_main, t);
		if (error) {
			/* The ones started stop with thread 0's stop flag. */
			__atomic_store_n(&d->stop, true, __ATOMIC_RELEASE);
			for (unsigned j = i + 1; j < d->n_threads; j++) {
				wake(&d->threads[j]);
				pthread_join(d->threads[j].thread, NULL);
			}
			return -error;
		}
	}
	return 0;
}

void poll_threads_stop(struct dataplane *d)
{
	for (unsigned i = 0; i < d->n_threads; i++) {
		pthread_join(d->threads[i].thread, NULL);
		waitset_destroy(&d->threads[i].waitset);
		close(d->threads[i].wake_fd);
	}
	if (d->link_fd >= 0)
		close(d->link_fd);
	pause_group_destroy(&d->pause);
}
