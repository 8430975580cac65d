/* vswitchd.c — the daemon: loads the startup file, opens the control
 * socket, and runs its threads. The data-plane thread (poll thread 0) owns
 * the datapath: it polls its ports, forwards batches, does housekeeping once
 * a second and runs the SEAs' failover timers. With --cores it has company:
 * one more poll thread per listed core, each polling its share of the ports
 * and forwarding to any port, which thread 0 pauses whenever it changes
 * something they read (docs/cores.md, lib/pause.h). When idle each thread
 * sleeps in epoll on its own ports' fds, thread 0 also on the kernel's link
 * events until a timer is due, and wakes for nothing else (ha/schedule.c):
 * the kernel reports at once a tap losing its queue, a veth its peer, a
 * trunk an SEA lowers; a carrier loss it reports late is read when the
 * thread wakes, before it forwards anything, and every 10 ms while frames
 * flow. The control thread's jobs run a slice per pass between batches
 * (mailbox.h). The main thread is the control thread: it serves the control
 * socket and signals (SIGTERM/SIGINT: clean shutdown, SIGHUP: reload), reads,
 * checks and prepares every change itself, so forwarding never waits for a
 * file or a parser. systemd Type=notify. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "control/config.h"
#include "control/execute.h"
#include "control/mailbox.h"
#include "control/server.h"
#include "engine/datapath.h"
#include "ha/monitor.h"
#include "ha/sea.h"
#include "ha/schedule.h"
#include "lib/log.h"
#include "lib/pause.h"

#define DEFAULT_PACKETS 8192
/* Room for a whole GSO super-frame: tap and afpacket carry 64 KB frames. */
#define DEFAULT_DATA_ROOM	65535
#define IDLE_POLLS_BEFORE_SLEEP 16

struct dataplane;

/* One poll thread: thread 0 is the data-plane thread of old (control jobs,
 * housekeeping, SEAs, link events, and its share of the ports); the others
 * only poll their ports. Each sleeps in epoll on its own ports' fds. */
struct poll_thread {
	struct dataplane *d;
	unsigned id;
	int core; /* pinned to it; -1: not pinned (no --cores) */
	pthread_t thread;
	int epoll_fd;
	int wake_fd;	    /* eventfd: wakes the thread (ports changed, shutdown) */
	bool must_poll;	    /* some port of its has no fd to wait on */
	unsigned epoll_gen; /* the ports generation its epoll set is of */
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

/* The epoll set of thread t: its ports' fds, its wake fd, and for thread 0
 * the control mailbox and the link events. Each thread builds its own,
 * between its passes, so it reads the ports only when thread 0 lets it. */
static void rebuild_epoll(struct poll_thread *t)
{
	struct dataplane *d = t->d;
	if (t->epoll_fd >= 0)
		close(t->epoll_fd);
	t->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN};
	struct epoll_event wake_ev = {.events = EPOLLIN, .data.u64 = 1};
	epoll_ctl(t->epoll_fd, EPOLL_CTL_ADD, t->wake_fd, &wake_ev);
	if (t->id == 0) {
		epoll_ctl(t->epoll_fd, EPOLL_CTL_ADD, control_mailbox_wake_fd(d->mailbox), &ev);
		if (d->link_fd >= 0)
			epoll_ctl(t->epoll_fd, EPOLL_CTL_ADD, d->link_fd, &ev);
	}
	t->must_poll = false;
	struct datapath *dp = d->state->dp;
	for (size_t s = 0; s < dp->n_switches; s++) {
		struct vswitch *sw = dp->switches[s];
		for (uint16_t i = 0; i < sw->n_ports; i++) {
			struct bridge_port *p = sw->ports[i];
			if (!p || !p->dev->class->recv ||
			    (d->n_threads > 1 && p->poll_thread != t->id))
				continue;
			int fd = p->dev->class->wait_fd ? p->dev->class->wait_fd(p->dev) : -1;
			if (fd < 0 || epoll_ctl(t->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
				t->must_poll = true;
		}
	}
	t->epoll_gen = __atomic_load_n(&d->ports_gen, __ATOMIC_ACQUIRE);
}

static void wake(struct poll_thread *t)
{
	uint64_t one = 1;
	if (write(t->wake_fd, &one, sizeof(one)) < 0)
		log_error("poll thread %u: eventfd write: %s", t->id, strerror(errno));
}

/* Sleeps in epoll; drains the wake fd if it was what woke the thread. */
static void sleep_in_epoll(struct poll_thread *t, int timeout_ms)
{
	struct epoll_event events[64];
	int n = epoll_wait(t->epoll_fd, events, 64, timeout_ms);
	for (int i = 0; i < n; i++) {
		if (events[i].data.u64 == 1) {
			uint64_t count;
			if (read(t->wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
				log_error("poll thread %u: eventfd read: %s", t->id,
					  strerror(errno));
			break;
		}
	}
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
		if (t->epoll_gen != __atomic_load_n(&d->ports_gen, __ATOMIC_ACQUIRE))
			rebuild_epoll(t);
		packet_pool_reclaim(dp->pools[t->id]);
		uint32_t n = datapath_poll_thread(dp, t->id);
		if (n) {
			idle = 0;
		} else if (++idle >= IDLE_POLLS_BEFORE_SLEEP) {
			pause_sleep_begin(&d->pause, t->id);
			if (t->epoll_gen == __atomic_load_n(&d->ports_gen, __ATOMIC_ACQUIRE) &&
			    !__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE))
				sleep_in_epoll(t, t->must_poll ? 1 : -1);
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
	unsigned idle = 0;
	struct control_job *job = NULL; /* one slice per pass until finished */
	pin(t0);
	datapath_thread_enter(dp, 0);
	schedule_init(&schedule, d->link_fd);
	if (threads) {
		schedule.before_change = pause_hook;
		schedule.arg = &d->pause;
	}
	rebuild_epoll(t0);
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
					rebuild_epoll(t0);
					for (unsigned i = 1; i < d->n_threads; i++)
						wake(&d->threads[i]);
				}
				ha_due = 0; /* an SEA may have come or changed */
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
		resume_others(&d->pause);
		if (n || job) {
			idle = 0;
		} else if (++idle >= IDLE_POLLS_BEFORE_SLEEP) {
			sleep_in_epoll(
			    t0, schedule_timeout_ms(&schedule, now_ms, ha_due, t0->must_poll));
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
static int parse_cores(const char *list, int cores[ENGINE_MAX_THREADS])
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
static int start_threads(struct dataplane *d)
{
	for (unsigned i = 0; i < d->n_threads; i++) {
		struct poll_thread *t = &d->threads[i];
		t->d = d;
		t->id = i;
		t->epoll_fd = -1;
		t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (t->wake_fd < 0)
			return -errno;
	}
	datapath_assign_ports(d->state->dp);
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

static void stop_threads(struct dataplane *d)
{
	for (unsigned i = 0; i < d->n_threads; i++) {
		pthread_join(d->threads[i].thread, NULL);
		if (d->threads[i].epoll_fd >= 0)
			close(d->threads[i].epoll_fd);
		close(d->threads[i].wake_fd);
	}
	if (d->link_fd >= 0)
		close(d->link_fd);
	pause_group_destroy(&d->pause);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vswitchd [--config FILE] [--socket PATH] [--packets N] [--cores LIST]\n"
		"                [--remove-devices]\n"
		"  --config FILE   startup file of vswitchctl commands (save writes it)\n"
		"  --socket PATH   control socket (default %s)\n"
		"  --packets N     packet buffers in the pool, per poll thread (default %d)\n"
		"  --cores LIST    one poll thread per listed core (0,1 or 0-3), pinned; the\n"
		"                  ports' receive queues are spread over them. Default: one\n"
		"                  thread, not pinned\n"
		"  --remove-devices\n"
		"                  at shutdown, remove the devices vswitchd made (internal ports'\n"
		"                  interfaces, taps); by default they stay, with their addresses\n"
		"                  and routes, for the next start to adopt\n",
		CONTROL_DEFAULT_SOCKET, DEFAULT_PACKETS);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"socket", required_argument, NULL, 's'},
	    {"packets", required_argument, NULL, 'p'},
	    {"remove-devices", no_argument, NULL, 'r'},
	    {"cores", required_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *config_path = NULL, *socket_path = CONTROL_DEFAULT_SOCKET;
	unsigned long packets = DEFAULT_PACKETS;
	bool remove_devices = false;
	int cores[ENGINE_MAX_THREADS];
	int n_cores = 0; /* 0: one thread, not pinned */
	const char *cores_arg = NULL;
	int opt;
	log_set_program("vswitchd");
	while ((opt = getopt_long(argc, argv, "c:s:p:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 's':
			socket_path = optarg;
			break;
		case 'p':
			packets = strtoul(optarg, NULL, 10);
			if (packets < 1024 || packets > (1u << 20)) {
				fprintf(stderr, "vswitchd: --packets must be 1024-1048576\n");
				return 2;
			}
			break;
		case 'r':
			remove_devices = true;
			break;
		case 'C':
			cores_arg = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}

	/* Signals are read from a signalfd by the control thread only. */
	sigset_t signals;
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	int signals_fd = signalfd(-1, &signals, SFD_CLOEXEC);

	char err[1024];
	int status = 1;
	struct sea_set seas = {.n = 0};
	struct control_state state = {.config_path = config_path, .seas = &seas};
	struct control_mailbox *mailbox = control_mailbox_create();
	struct control_server server = {.listen_fd = -1, .epoll_fd = -1};
	/* The poll threads come from --cores or the startup file's `datapath
	 * cores`, read before anything is made; the file is read again, whole,
	 * to apply it. */
	char file_cores[sizeof(state.running->cores)] = "";
	if (config_path && access(config_path, F_OK) == 0) {
		struct config *first = config_load(config_path, err, sizeof(err));
		if (first) { /* a bad file is reported below, when it is applied */
			memcpy(file_cores, first->cores, sizeof(file_cores));
			config_free(first);
		}
	}
	if (cores_arg && file_cores[0] && strcmp(cores_arg, file_cores) != 0) {
		log_error("--cores %s and %s's 'datapath cores %s' disagree: drop one", cores_arg,
			  config_path, file_cores);
		status = 2;
		goto out;
	}
	if (!cores_arg && file_cores[0])
		cores_arg = file_cores;
	if (cores_arg && (n_cores = parse_cores(cores_arg, cores)) < 0) {
		status = 2;
		goto out;
	}
	unsigned n_threads = n_cores > 0 ? (unsigned)n_cores : 1;
	state.dp = datapath_create_threads((uint32_t)packets, DEFAULT_DATA_ROOM, n_threads);
	state.running = config_new();
	if (state.running && cores_arg)
		copy_name(state.running->cores, sizeof(state.running->cores), cores_arg);
	if (!state.dp || !state.running || !mailbox || signals_fd < 0) {
		log_error("out of memory at start-up");
		goto out;
	}
	if (config_path && access(config_path, F_OK) == 0) {
		if (control_reload(&state, err, sizeof(err)) < 0) {
			log_error("%s", err);
			goto out;
		}
		log_info("loaded %s: %zu switches, %zu ports", config_path,
			 state.running->n_switches, state.running->n_ports);
	} else if (config_path) {
		log_info("%s does not exist yet: starting empty (vswitchctl save writes it)",
			 config_path);
	}
	/* From here on, datapath work goes to the data-plane thread. */
	state.mailbox = mailbox;
	struct control_handler handler = {.execute = control_handle, .arg = &state};
	if (control_server_open(&server, socket_path, &handler, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	static struct dataplane dataplane; /* large: per-thread state */
	dataplane.state = &state;
	dataplane.mailbox = mailbox;
	dataplane.n_threads = n_threads;
	dataplane.link_fd = link_monitor_open();
	for (unsigned i = 0; i < n_threads; i++)
		dataplane.threads[i].core = n_cores > 0 ? cores[i] : -1;
	if (dataplane.link_fd < 0)
		log_error("no link events (%s): carriers are only polled",
			  strerror(-dataplane.link_fd));
	int error = pause_group_init(&dataplane.pause, n_threads);
	if (!error)
		error = start_threads(&dataplane);
	if (error) {
		log_error("cannot start the poll threads: %s", strerror(-error));
		goto out;
	}
	if (n_cores > 0)
		log_info("%u poll thread(s), on core(s) %s", n_threads, cores_arg);
	log_info("ready, control socket %s", socket_path);
	sd_notify(0, "READY=1\nSTATUS=forwarding");
	control_server_run(&server, signals_fd);
	sd_notify(0, "STOPPING=1");
	control_mailbox_close(mailbox);
	stop_threads(&dataplane);
	status = 0;
out:
	control_server_close(&server);
	/* The devices ports made stay for the next start unless told otherwise. */
	sea_set_clear(&seas); /* before the ports they use */
	datapath_destroy(state.dp, remove_devices);
	config_free(state.running);
	control_mailbox_destroy(mailbox);
	if (signals_fd >= 0)
		close(signals_fd);
	if (status == 0)
		log_info("stopped");
	return status;
}
