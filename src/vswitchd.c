/* vswitchd.c — the daemon: loads the startup file, opens the control
 * socket, and runs two threads. The data-plane thread owns the datapath: it
 * polls every port, forwards batches, does housekeeping once a second and
 * runs the SEAs' failover timers. When idle it sleeps in epoll on the ports' fds and the kernel's link events until a
 * timer is due, and wakes for nothing else (ha/schedule.c): the kernel
 * reports at once a tap losing its queue, a veth its peer, a trunk an SEA
 * lowers; a carrier loss it reports late is read when the thread wakes,
 * before it forwards anything, and every 10 ms while frames flow. The control
 * thread's jobs run a slice per pass between batches (mailbox.h). The main
 * thread is the control thread: it serves the control socket and signals
 * (SIGTERM/SIGINT: clean shutdown, SIGHUP: reload), reads, checks and
 * prepares every change itself, so forwarding never waits for a file or a
 * parser. systemd Type=notify. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "control/execute.h"
#include "control/mailbox.h"
#include "control/server.h"
#include "engine/datapath.h"
#include "ha/monitor.h"
#include "ha/sea.h"
#include "ha/schedule.h"
#include "lib/log.h"

#define DEFAULT_PACKETS 8192
/* Room for a whole GSO super-frame: tap and afpacket carry 64 KB frames. */
#define DEFAULT_DATA_ROOM	65535
#define IDLE_POLLS_BEFORE_SLEEP 16

struct dataplane {
	struct control_state *state;
	struct control_mailbox *mailbox;
	int epoll_fd;
	int link_fd;	/* rtnetlink link events, -1 if unavailable */
	bool must_poll; /* some port has no fd to wait on */
};

static void rebuild_epoll(struct dataplane *d)
{
	if (d->epoll_fd >= 0)
		close(d->epoll_fd);
	d->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN};
	epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, control_mailbox_wake_fd(d->mailbox), &ev);
	if (d->link_fd >= 0)
		epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, d->link_fd, &ev);
	d->must_poll = false;
	struct datapath *dp = d->state->dp;
	for (size_t s = 0; s < dp->n_switches; s++) {
		struct vswitch *sw = dp->switches[s];
		for (uint16_t i = 0; i < sw->n_ports; i++) {
			struct bridge_port *p = sw->ports[i];
			if (!p || !p->dev->class->recv)
				continue;
			int fd = p->dev->class->wait_fd ? p->dev->class->wait_fd(p->dev) : -1;
			if (fd < 0 || epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
				d->must_poll = true;
		}
	}
}

static void *dataplane_main(void *arg)
{
	struct dataplane *d = arg;
	struct schedule schedule;
	uint64_t ha_due = 0;
	unsigned idle = 0;
	struct control_job *job = NULL; /* one slice per pass until finished */
	schedule_init(&schedule, d->link_fd);
	rebuild_epoll(d);
	while (!control_mailbox_closed(d->mailbox)) {
		uint32_t n = datapath_poll(d->state->dp);
		if (!job && control_mailbox_pending(d->mailbox))
			job = control_mailbox_take(d->mailbox);
		if (job && control_job_step(job, d->state->dp)) {
			bool rebuild = job->ports_changed; /* the job is gone once done */
			control_mailbox_done(d->mailbox, job);
			job = NULL;
			if (rebuild)
				rebuild_epoll(d);
			ha_due = 0; /* an SEA may have come or changed */
		}
		/* Link events are read once a millisecond at most: a syscall
		 * per pass would tax the busy loop. They are news for the
		 * switches and the SEAs at once. */
		uint64_t now_ms = time_now_ns() / 1000000;
		bool links = schedule_run(&schedule, d->state->dp, now_ms);
		if (links || d->state->seas->news || now_ms >= ha_due)
			ha_due = sea_set_run(d->state->seas, now_ms, links);
		if (n || job) {
			idle = 0;
		} else if (++idle >= IDLE_POLLS_BEFORE_SLEEP) {
			struct epoll_event events[64];
			epoll_wait(d->epoll_fd, events, 64,
				   schedule_timeout_ms(&schedule, now_ms, ha_due, d->must_poll));
			schedule_woke(&schedule, d->state->dp, time_now_ns() / 1000000);
			idle = 0;
		}
	}
	close(d->epoll_fd);
	if (d->link_fd >= 0)
		close(d->link_fd);
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vswitchd [--config FILE] [--socket PATH] [--packets N] [--remove-devices]\n"
		"  --config FILE   startup file of vswitchctl commands (save writes it)\n"
		"  --socket PATH   control socket (default %s)\n"
		"  --packets N     packet buffers in the pool (default %d)\n"
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
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *config_path = NULL, *socket_path = CONTROL_DEFAULT_SOCKET;
	unsigned long packets = DEFAULT_PACKETS;
	bool remove_devices = false;
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
	state.dp = datapath_create((uint32_t)packets, DEFAULT_DATA_ROOM);
	state.running = config_new();
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
	struct dataplane dataplane = {
	    .state = &state, .mailbox = mailbox, .epoll_fd = -1, .link_fd = link_monitor_open()};
	if (dataplane.link_fd < 0)
		log_error("no link events (%s): carriers are only polled",
			  strerror(-dataplane.link_fd));
	pthread_t thread;
	if (pthread_create(&thread, NULL, dataplane_main, &dataplane) != 0) {
		log_error("cannot start the data-plane thread");
		goto out;
	}
	log_info("ready, control socket %s", socket_path);
	sd_notify(0, "READY=1\nSTATUS=forwarding");
	control_server_run(&server, signals_fd);
	sd_notify(0, "STOPPING=1");
	control_mailbox_close(mailbox);
	pthread_join(thread, NULL);
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
