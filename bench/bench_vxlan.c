/* bench_vxlan.c — the vxlan port's encapsulation and decapsulation cost per
 * packet, behind `make bench-vxlan` (with bench/bench_vxlan.py). Drives the
 * provider's send() and recv() directly on 127.0.0.1 with batches of
 * 64-byte inner frames, and prints one JSON line per case in the format of
 * bench-engine, so bench/run-engine.sh runs it the same way: instructions
 * per packet under callgrind (user space only: the kernel's UDP work is not
 * counted) and TSC cycles natively (the kernel's work included: sendmmsg()
 * and, on loopback, the delivery to the receiving socket; recvmmsg()). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/frame.h"
#include "port/port.h"
#include "port/vxlan_header.h"

#include "callgrind_shim.h"

#define FRAME_LEN  64
#define POOL_SIZE  4096
#define N_SINKS	   4
#define DECAP_FILL 1024 /* datagrams queued (untimed) before each timed drain */

struct bench_case {
	const char *name;
	unsigned copies; /* datagrams per frame */
	bool decap;
	bool alternate; /* frames alternate between two VTEPs: no GSO runs */
};

/* vxlan-encap: a stream to one VTEP, sent as UDP GSO writes of 64
 * datagrams; vxlan-encap-2vteps: every frame to another VTEP than the one
 * before, one datagram per message; vxlan-encap-flood4: broadcasts, four
 * datagrams each; vxlan-decap: datagrams received, checked, learned from. */
static const struct bench_case cases[] = {
    {"vxlan-encap", 1, false, false},
    {"vxlan-encap-2vteps", 1, false, true},
    {"vxlan-encap-flood4", N_SINKS, false, false},
    {"vxlan-decap", 1, true, false},
};

struct bench {
	struct packet_pool *pool;
	struct port *port;
	int sinks[N_SINKS]; /* remote VTEPs: plain sockets, drained untimed */
	uint16_t sink_ports[N_SINKS];
	int sender; /* the remote VTEP for decap */
	uint16_t port_number;
	uint8_t frame[FRAME_LEN];
	uint8_t frame2[FRAME_LEN]; /* to the second VTEP (alternate) */
};

static int udp_socket(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int size = 8 << 20;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		perror("bench-vxlan: socket");
		exit(1);
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	*port = ntohs(a.sin_port);
	return fd;
}

static void drain(int fd)
{
	static struct mmsghdr msgs[256];
	static struct iovec iov[256];
	static uint8_t buf[256][128];
	for (int i = 0; i < 256; i++) {
		iov[i] = (struct iovec){buf[i], sizeof(buf[i])};
		msgs[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
	}
	while (recvmmsg(fd, msgs, 256, MSG_DONTWAIT, NULL) > 0)
		;
}

static int bench_setup(struct bench *b, const struct bench_case *c)
{
	char err[256], opt_port[32], opt_remote[256];
	memset(b, 0, sizeof(*b));
	b->pool = packet_pool_create(POOL_SIZE, 0);
	size_t used = (size_t)snprintf(opt_remote, sizeof(opt_remote), "remote=");
	for (int i = 0; i < N_SINKS; i++) {
		b->sinks[i] = udp_socket(&b->sink_ports[i]);
		if (i < (int)c->copies)
			used += (size_t)snprintf(opt_remote + used, sizeof(opt_remote) - used,
						 "%s127.0.0.1:%u", i ? "," : "", b->sink_ports[i]);
	}
	b->sender = udp_socket(&b->port_number);
	close(udp_socket(&b->port_number)); /* a free port for the VTEP */
	snprintf(opt_port, sizeof(opt_port), "port=%u", b->port_number);
	const char *options[] = {"local=127.0.0.1", opt_port, opt_remote, "vni=5000,10:5010", NULL};
	b->port = port_create("vx", "vxlan", options, err, sizeof(err));
	if (!b->port || !b->pool) {
		fprintf(stderr, "bench-vxlan: %s\n", b->port ? "no memory" : err);
		return -1;
	}
	static const uint8_t dst[6] = {0x02, 0xdd, 0, 0, 0, 1}, src[6] = {0x02, 0x55, 0, 0, 0, 1};
	uint8_t payload[FRAME_LEN] = {0};
	static const uint8_t dst2[6] = {0x02, 0xdd, 0, 0, 0, 2};
	if (c->copies == 1 && !c->decap) {
		/* Known unicast: static MACs behind the first sinks. */
		for (int i = 0; i < 2; i++) {
			char vtep[32];
			snprintf(vtep, sizeof(vtep), "127.0.0.1:%u", b->sink_ports[i]);
			if (vxlan_add_remote_mac(b->port, 5010, i ? dst2 : dst, vtep, err,
						 sizeof(err)) < 0) {
				fprintf(stderr, "bench-vxlan: %s\n", err);
				return -1;
			}
		}
	}
	static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	frame_build(b->frame, sizeof(b->frame), c->copies > 1 ? broadcast : dst, src, 10, 0x0800,
		    payload, FRAME_LEN - 18);
	frame_build(b->frame2, sizeof(b->frame2), dst2, src, 10, 0x0800, payload, FRAME_LEN - 18);
	return 0;
}

static void bench_teardown(struct bench *b)
{
	port_destroy(b->port);
	for (int i = 0; i < N_SINKS; i++)
		close(b->sinks[i]);
	close(b->sender);
	packet_pool_destroy(b->pool);
}

/* Queues DECAP_FILL datagrams of VNI 5010 for the port, untimed. */
static void fill_decap(struct bench *b)
{
	static struct mmsghdr msgs[256];
	static struct iovec iov[256][2];
	static uint8_t header[VXLAN_HEADER_LEN];
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(b->port_number)};
	static uint8_t untagged[FRAME_LEN - VLAN_TAG_LEN];
	vxlan_header_build(header, 5010);
	/* The inner frame untagged, as a VTEP sends it. */
	memcpy(untagged, b->frame, 12);
	memcpy(untagged + 12, b->frame + 16, FRAME_LEN - 16);
	for (int i = 0; i < 256; i++) {
		iov[i][0] = (struct iovec){header, sizeof(header)};
		iov[i][1] = (struct iovec){untagged, sizeof(untagged)};
		msgs[i].msg_hdr = (struct msghdr){
		    .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = iov[i], .msg_iovlen = 2};
	}
	for (int sent = 0; sent < DECAP_FILL;) {
		int n = sendmmsg(b->sender, msgs, 256, 0);
		if (n <= 0) {
			perror("bench-vxlan: sendmmsg");
			exit(1);
		}
		sent += n;
	}
}

struct result {
	uint64_t packets, ticks, ns;
};

/* One timed round: a batch sent, or the queued datagrams received. */
static uint32_t round_trip(struct bench *b, const struct bench_case *c, struct result *r,
			   bool timed)
{
	struct packet_batch batch;
	batch.count = 0;
	uint32_t count = 0;
	if (c->decap) {
		fill_decap(b);
		uint64_t t0 = time_now_ns(), c0 = rdtsc();
		if (timed)
			CALLGRIND_TOGGLE_COLLECT;
		while (count < DECAP_FILL) {
			int n = b->port->class->recv(b->port, b->pool, &batch);
			if (n <= 0)
				break;
			count += (uint32_t)n;
			packet_batch_free(&batch);
		}
		if (timed)
			CALLGRIND_TOGGLE_COLLECT;
		r->ticks += rdtsc() - c0;
		r->ns += time_now_ns() - t0;
	} else {
		for (int i = 0; i < BATCH_SIZE; i++)
			packet_batch_add(
			    &batch,
			    packet_from_bytes(b->pool, c->alternate && i % 2 ? b->frame2 : b->frame,
					      FRAME_LEN));
		uint64_t t0 = time_now_ns(), c0 = rdtsc();
		if (timed)
			CALLGRIND_TOGGLE_COLLECT;
		b->port->class->send(b->port, &batch);
		if (timed)
			CALLGRIND_TOGGLE_COLLECT;
		r->ticks += rdtsc() - c0;
		r->ns += time_now_ns() - t0;
		count = BATCH_SIZE;
		for (int i = 0; i < N_SINKS; i++)
			drain(b->sinks[i]);
	}
	r->packets += count;
	return count;
}

static int bench_case_run(const struct bench_case *c, uint64_t packets, double seconds,
			  const char *instructions)
{
	struct bench b;
	struct result r = {0}, warm = {0};
	if (bench_setup(&b, c) < 0)
		return 1;
	for (int i = 0; i < 16; i++)
		round_trip(&b, c, &warm, false);
	uint64_t min_ns = (uint64_t)(seconds * 1e9);
	uint64_t sent_before = b.port->stats.tx_packets;
	CALLGRIND_START_INSTRUMENTATION;
	while (packets ? r.packets < packets : r.ns < min_ns)
		if (round_trip(&b, c, &r, true) == 0)
			break;
	CALLGRIND_STOP_INSTRUMENTATION;
	int error = 0;
	uint64_t datagrams = b.port->stats.tx_packets - sent_before;
	if (r.packets == 0 || (!c->decap && datagrams != r.packets * c->copies)) {
		fprintf(stderr, "bench-vxlan: %s: FAILED (%" PRIu64 " frames, %" PRIu64 " sent)\n",
			c->name, r.packets, datagrams);
		error = 1;
	} else {
		fprintf(stderr, "bench-vxlan: %s: timed %" PRIu64 " packets in %.3f s\n", c->name,
			r.packets, (double)r.ns / 1e9);
		printf("{\"case\": \"%s\", \"mpps\": %.2f, \"cycles_per_packet\": %.1f, "
		       "\"instructions_per_packet\": %s",
		       c->name, (double)r.packets * 1e3 / (double)r.ns,
		       (double)r.ticks / (double)r.packets, instructions ? instructions : "null");
		if (c->copies > 1)
			printf(", \"copies_per_packet\": %u", c->copies);
		printf("}\n");
		fflush(stdout);
	}
	bench_teardown(&b);
	return error;
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
	    {"case", required_argument, NULL, 'c'},
	    {"packets", required_argument, NULL, 'p'},
	    {"seconds", required_argument, NULL, 's'},
	    {"instructions", required_argument, NULL, 'i'},
	    {"list", no_argument, NULL, 'l'},
	    {NULL, 0, NULL, 0},
	};
	const char *only = NULL, *instructions = NULL;
	char text[32];
	uint64_t packets = 0;
	double seconds = 1.0;
	int opt;
	while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			only = optarg;
			break;
		case 'p':
			packets = strtoull(optarg, NULL, 10);
			break;
		case 's':
			seconds = strtod(optarg, NULL);
			break;
		case 'i':
			snprintf(text, sizeof(text), "%.1f", strtod(optarg, NULL));
			instructions = text;
			break;
		case 'l':
			for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
				printf("%s\n", cases[i].name);
			return 0;
		default:
			fprintf(stderr,
				"usage: bench-vxlan [--case NAME] [--packets N | --seconds S] "
				"[--instructions N] | --list\n");
			return 2;
		}
	}
	int failed = 0;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (!only || !strcmp(only, cases[i].name))
			failed |= bench_case_run(&cases[i], packets, seconds, instructions);
	return failed;
}
