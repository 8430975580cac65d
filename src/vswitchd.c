/* vswitchd.c — the daemon: reads its options and the startup file, opens
 * the control socket and starts the poll threads (poll_threads.c: thread 0
 * owns the datapath, polls its ports, does the housekeeping and the SEAs'
 * timers; with --cores one more thread per listed core polls its share of
 * the ports, docs/cores.md). The main thread is the control thread: it
 * serves the control socket and signals (SIGTERM/SIGINT: clean shutdown,
 * SIGHUP: reload), reads, checks and prepares every change itself, so
 * forwarding never waits for a file or a parser; the changes reach thread 0
 * as jobs (mailbox.h). systemd Type=notify. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "control/capture.h"
#include "control/config.h"
#include "control/domain.h"
#include "control/erspan.h"
#include "control/ipfix.h"
#include "control/execute.h"
#include "control/http_routes.h"
#include "control/mailbox.h"
#include "control/server.h"
#include "engine/datapath.h"
#include "ha/monitor.h"
#include "ha/lldp.h"
#include "ha/sea.h"
#include "lib/log.h"
#include "lib/pause.h"
#include "poll_threads.h"

#define DEFAULT_PACKETS 8192
/* Room for a whole GSO super-frame: tap and afpacket carry 64 KB frames. */
#define DEFAULT_DATA_ROOM 65535
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
		"                  and routes, for the next start to adopt\n"
		"  --domain NAME --etcd URL[,URL...]\n"
		"                  join the distributed switch's domain NAME in etcd\n"
		"                  (docs/distributed.md); with --host NAME (default: the\n"
		"                  hostname), --etcd-ca FILE, --etcd-cert FILE --etcd-key FILE,\n"
		"                  --etcd-user USER --etcd-password-file FILE, --domain-cache\n"
		"                  PATH (default: next to the startup file), --mac-grace SECONDS\n"
		"                  (a dead host's MACs are released after it; default %d)\n"
		"  --metrics ADDR:PORT\n"
		"                  serve Prometheus metrics (/metrics) and the web view over\n"
		"                  HTTP on ADDR:PORT ([IPV6]:PORT; PORT alone: 127.0.0.1).\n"
		"                  Default: no listener (docs/metrics.md)\n",
		CONTROL_DEFAULT_SOCKET, DEFAULT_PACKETS, AGENT_MAC_GRACE_SECONDS);
}

/* The --domain options (codes 256-265 in longopts). Returns 0 or 2. */
static int domain_option(struct domain_options *d, int opt, const char *arg)
{
	switch (opt) {
	case 256:
		d->domain = arg;
		break;
	case 257:
		d->endpoints = arg;
		break;
	case 258:
		d->host = arg;
		break;
	case 259:
		d->ca_file = arg;
		break;
	case 260:
		d->cert_file = arg;
		break;
	case 261:
		d->key_file = arg;
		break;
	case 262:
		d->user = arg;
		break;
	case 263:
		d->password_file = arg;
		break;
	case 264:
		d->cache_path = arg;
		break;
	default: {
		char *end;
		unsigned long v = strtoul(arg, &end, 10);
		if (*end || v < 1 || v > 86400) {
			fprintf(stderr, "vswitchd: --mac-grace must be 1-86400 seconds\n");
			return 2;
		}
		d->mac_grace_seconds = (unsigned)v;
	}
	}
	return 0;
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
	    {"domain", required_argument, NULL, 256},
	    {"etcd", required_argument, NULL, 257},
	    {"host", required_argument, NULL, 258},
	    {"etcd-ca", required_argument, NULL, 259},
	    {"etcd-cert", required_argument, NULL, 260},
	    {"etcd-key", required_argument, NULL, 261},
	    {"etcd-user", required_argument, NULL, 262},
	    {"etcd-password-file", required_argument, NULL, 263},
	    {"domain-cache", required_argument, NULL, 264},
	    {"mac-grace", required_argument, NULL, 265},
	    {"metrics", required_argument, NULL, 'M'},
	    {NULL, 0, NULL, 0},
	};
	const char *config_path = NULL, *socket_path = CONTROL_DEFAULT_SOCKET;
	unsigned long packets = DEFAULT_PACKETS;
	bool remove_devices = false;
	int cores[ENGINE_MAX_THREADS];
	int n_cores = 0; /* 0: one thread, not pinned */
	const char *cores_arg = NULL;
	const char *metrics_arg = NULL;
	struct domain_options domain = {.domain = NULL};
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
		case 'M':
			metrics_arg = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 256 ... 265:
			if (domain_option(&domain, opt, optarg))
				return 2;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}

	if (!domain.domain != !domain.endpoints) {
		fprintf(stderr, "vswitchd: --domain and --etcd go together\n");
		return 2;
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
	char file_metrics[sizeof(state.running->metrics_listen)] = "";
	char metrics[sizeof(state.running->metrics_listen)] = "";
	if (config_path && access(config_path, F_OK) == 0) {
		struct config *first = config_load(config_path, err, sizeof(err));
		if (first) { /* a bad file is reported below, when it is applied */
			memcpy(file_cores, first->cores, sizeof(file_cores));
			memcpy(file_metrics, first->metrics_listen, sizeof(file_metrics));
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
	if (metrics_arg &&
	    metrics_listen_canonical(metrics_arg, metrics, sizeof(metrics), err, sizeof(err)) < 0) {
		log_error("--metrics: %s", err);
		status = 2;
		goto out;
	}
	if (metrics[0] && file_metrics[0] && strcmp(metrics, file_metrics) != 0) {
		log_error("--metrics %s and %s's 'metrics listen %s' disagree: drop one", metrics,
			  config_path, file_metrics);
		status = 2;
		goto out;
	}
	if (!metrics[0])
		memcpy(metrics, file_metrics, sizeof(metrics));
	if (cores_arg && (n_cores = poll_threads_parse_cores(cores_arg, cores)) < 0) {
		status = 2;
		goto out;
	}
	unsigned n_threads = n_cores > 0 ? (unsigned)n_cores : 1;
	state.dp = datapath_create_threads((uint32_t)packets, DEFAULT_DATA_ROOM, n_threads);
	state.running = config_new();
	if (state.running && cores_arg)
		copy_name(state.running->cores, sizeof(state.running->cores), cores_arg);
	if (state.running)
		memcpy(state.running->metrics_listen, metrics, sizeof(metrics));
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
	/* Before the poll threads and the socket: a bad option stops the start,
	 * and the cache's bindings apply here, on system VLANs only, as the
	 * startup file did. */
	if (domain.domain && !domain_open(&domain, &state, err, sizeof(err))) {
		log_error("%s", err);
		status = 2;
		goto out;
	}
	/* From here on, datapath work goes to the data-plane thread. */
	state.mailbox = mailbox;
	struct control_handler handler = {.execute = control_handle,
					  .arg = &state,
					  .stream_open = capture_stream_open,
					  .stream_read = capture_stream_read,
					  .stream_close = capture_stream_close,
					  .tick = control_export_tick,
					  .http = http_route};
	if (state.domain) {
		handler.execute = domain_handle;
		handler.event = domain_event;
		handler.event_arg = state.domain;
		handler.event_fd = domain_event_fd(state.domain);
	}
	if (control_server_open(&server, socket_path, &handler, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (metrics[0] && control_server_listen_http(&server, metrics, err, sizeof(err)) < 0) {
		log_error("%s", err);
		status = 2;
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
		error = poll_threads_start(&dataplane);
	if (error) {
		log_error("cannot start the poll threads: %s", strerror(-error));
		goto out;
	}
	if (n_cores > 0)
		log_info("%u poll thread(s), on core(s) %s", n_threads, cores_arg);
	log_info("ready, control socket %s", socket_path);
	if (metrics[0])
		log_info("metrics and web view: http://%s/metrics", metrics);
	sd_notify(0, "READY=1\nSTATUS=forwarding");
	control_server_run(&server, signals_fd);
	sd_notify(0, "STOPPING=1");
	domain_close(state.domain); /* leaves the domain at once: the lease is revoked */
	control_mailbox_close(mailbox);
	poll_threads_stop(&dataplane);
	status = 0;
out:
	domain_close(state.domain);
	control_server_close(&server);
	/* The devices ports made stay for the next start unless told otherwise. */
	sea_set_clear(&seas); /* before the ports they use */
	lldp_reset(state.dp);
	datapath_destroy(state.dp, remove_devices);
	config_free(state.running);
	control_mailbox_destroy(mailbox);
	if (signals_fd >= 0)
		close(signals_fd);
	if (status == 0)
		log_info("stopped");
	return status;
}
