/* pktgen.c — the traffic generator and sink of the peer benchmark
 * (bench/bench_peers.py, docs/benchmarks-peers.md): it pushes small frames
 * into one end of a switch as fast as the kernel takes them and counts what
 * comes out of the other end, so the same tool measures vswitch, the Linux
 * bridge and Open vSwitch.
 *
 *   pktgen send IFNAME (--src MAC | --random-src SEED) --dst MAC [--size BYTES]
 *               [--seconds S | --count N] [--pps RATE]
 *   pktgen sink IFNAME --dst MAC [--seconds S] [--idle-ms MS]
 *
 * Both print one JSON line on stdout when done. The frames carry the
 * experimental ethertype 0x88b5 (IEEE 802 local experimental), so nothing
 * else on the link is counted and no host stack answers them.
 *
 * send: an AF_PACKET SOCK_RAW socket with PACKET_QDISC_BYPASS, one
 * sendmmsg() per batch of 256 identical frames. --size is the Ethernet frame
 * size on the wire with its FCS, as RFC 2544 counts it: 64 sends 60 bytes.
 * --random-src gives every frame its own random, locally administered
 * unicast source MAC (xorshift from SEED): a MAC flood, as macof sends, for
 * the MAC-table tests (tests/e2e/test_mac_flood.py). --pps paces the
 * frames at that rate (a steady flow beside a flood) instead of as fast
 * as the kernel takes them.
 *
 * sink: a TPACKET_V3 receive ring bound to ethertype 0x88b5 on IFNAME, so
 * receiving costs no system call per frame. It counts frames whose
 * destination is --dst and takes the rate from the kernel's receive
 * timestamps of the first and the last one: (frames - 1) / (last - first).
 * That is the rate at which the switch delivered, whatever the block-retire
 * delay of the ring. It stops --idle-ms after the last frame, or after
 * --seconds in all, and writes "ready" on stderr once it listens. */
#ifndef _GNU_SOURCE /* meson defines it for the whole project */
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PKTGEN_ETHERTYPE 0x88b5
#define SEND_BATCH	 256
#define MAX_FRAME	 1514

/* The sink's ring: 64 blocks of 1 MB hold about 250 000 small frames, a
 * quarter of a second at 1 Mpps, and a block retires after 10 ms at most. */
#define RING_BLOCK_SIZE (1u << 20)
#define RING_BLOCK_NR	64
#define RING_FRAME_SIZE 2048
#define RING_RETIRE_MS	10

static volatile sig_atomic_t stop_requested;

static void on_signal(int signo)
{
	(void)signo;
	stop_requested = 1;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: pktgen send IFNAME (--src MAC | --random-src SEED) --dst MAC\n"
			"                   [--size BYTES] [--seconds S | --count N] [--pps RATE]\n"
			"       pktgen sink IFNAME --dst MAC [--seconds S] [--idle-ms MS]\n");
	exit(2);
}

static int parse_mac(const char *text, uint8_t mac[ETH_ALEN])
{
	unsigned b[ETH_ALEN];
	char extra;
	if (sscanf(text, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &extra) !=
	    ETH_ALEN)
		return -EINVAL;
	for (int i = 0; i < ETH_ALEN; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

/* xorshift64: a fresh locally administered unicast MAC (never all zero). */
static void random_unicast_mac(uint64_t *state, uint8_t mac[ETH_ALEN])
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	memcpy(mac, &x, ETH_ALEN);
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);
}

struct options {
	const char *mode;
	const char *ifname;
	uint8_t src[ETH_ALEN];
	uint8_t dst[ETH_ALEN];
	bool have_src;
	bool have_dst;
	bool random_src;
	uint64_t seed;
	double pps; /* 0: as fast as the kernel takes them */
	unsigned size;
	double seconds;
	uint64_t count;
	unsigned idle_ms;
};

static void parse_args(int argc, char **argv, struct options *opt)
{
	if (argc < 3)
		usage();
	*opt = (struct options){
	    .mode = argv[1],
	    .ifname = argv[2],
	    .size = 64,
	    .seconds = 5.0,
	    .idle_ms = 500,
	};
	for (int i = 3; i < argc; i++) {
		const char *arg = argv[i];
		if (i + 1 >= argc)
			usage();
		const char *value = argv[++i];
		if (strcmp(arg, "--src") == 0) {
			if (parse_mac(value, opt->src) < 0)
				usage();
			opt->have_src = true;
		} else if (strcmp(arg, "--dst") == 0) {
			if (parse_mac(value, opt->dst) < 0)
				usage();
			opt->have_dst = true;
		} else if (strcmp(arg, "--size") == 0) {
			opt->size = (unsigned)strtoul(value, NULL, 10);
		} else if (strcmp(arg, "--seconds") == 0) {
			opt->seconds = strtod(value, NULL);
		} else if (strcmp(arg, "--count") == 0) {
			opt->count = strtoull(value, NULL, 10);
		} else if (strcmp(arg, "--random-src") == 0) {
			/* xorshift needs a non-zero state */
			opt->random_src = true;
			opt->seed = strtoull(value, NULL, 0) | 1;
		} else if (strcmp(arg, "--pps") == 0) {
			opt->pps = strtod(value, NULL);
		} else if (strcmp(arg, "--idle-ms") == 0) {
			opt->idle_ms = (unsigned)strtoul(value, NULL, 10);
		} else {
			usage();
		}
	}
	if (!opt->have_dst || opt->seconds <= 0)
		usage();
}

/* Opens a packet socket on ifname that receives nothing until bound with a
 * protocol; returns the fd and the interface index, or exits. */
static int open_packet_socket(const char *ifname, int *ifindex)
{
	*ifindex = (int)if_nametoindex(ifname);
	if (*ifindex == 0) {
		fprintf(stderr, "pktgen: interface %s: %s\n", ifname, strerror(errno));
		exit(1);
	}
	int fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		fprintf(stderr, "pktgen: packet socket: %s (needs CAP_NET_RAW)\n", strerror(errno));
		exit(1);
	}
	return fd;
}

static int run_send(const struct options *opt)
{
	if ((!opt->have_src && !opt->random_src) || opt->size < 64 || opt->size > MAX_FRAME + 4 ||
	    opt->pps < 0) {
		fprintf(stderr,
			"pktgen send: needs --src or --random-src, --size 64-%d, --pps >= 0\n",
			MAX_FRAME + 4);
		return 2;
	}
	int ifindex;
	int fd = open_packet_socket(opt->ifname, &ifindex);
	int one = 1;
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		fprintf(stderr, "pktgen send: PACKET_QDISC_BYPASS: %s (going through the qdisc)\n",
			strerror(errno));
	int sndbuf = 4 << 20;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));

	struct sockaddr_ll addr = {
	    .sll_family = AF_PACKET,
	    .sll_protocol = 0, /* send only: no frame is queued to this socket */
	    .sll_ifindex = ifindex,
	};
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		fprintf(stderr, "pktgen send: bind %s: %s\n", opt->ifname, strerror(errno));
		return 1;
	}

	/* One frame, sent SEND_BATCH times per call: the content does not
	 * matter to a switch, only the addresses and the length do. With
	 * random sources, one frame per slot of the batch. */
	static uint8_t frames[SEND_BATCH][MAX_FRAME];
	unsigned n_frames = opt->random_src ? SEND_BATCH : 1;
	size_t len = opt->size - 4;
	for (unsigned f = 0; f < n_frames; f++) {
		uint8_t *frame = frames[f];
		memcpy(frame, opt->dst, ETH_ALEN);
		memcpy(frame + ETH_ALEN, opt->src, ETH_ALEN);
		uint16_t type = htons(PKTGEN_ETHERTYPE);
		memcpy(frame + 2 * ETH_ALEN, &type, sizeof(type));
		memcpy(frame + ETH_HLEN, "vswitch-pktgen", 14);
	}

	struct iovec iov[SEND_BATCH];
	struct mmsghdr msgs[SEND_BATCH];
	for (int i = 0; i < SEND_BATCH; i++) {
		iov[i] =
		    (struct iovec){.iov_base = frames[opt->random_src ? i : 0], .iov_len = len};
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
	}

	uint64_t sent = 0, errors = 0, seed = opt->seed;
	double start = now_seconds(), end = start + opt->seconds, now = start;
	while (!stop_requested) {
		unsigned batch = SEND_BATCH;
		if (opt->count && opt->count - sent < batch)
			batch = (unsigned)(opt->count - sent);
		if (opt->pps > 0) {
			/* as many as are due by now, at most a batch */
			double due = (now - start) * opt->pps - (double)sent;
			if (due < 1.0) {
				struct timespec pause = {0, 200000}; /* 0.2 ms */
				nanosleep(&pause, NULL);
				now = now_seconds();
				if (!opt->count && now >= end)
					break;
				continue;
			}
			if (due < batch)
				batch = (unsigned)due;
		}
		if (batch == 0)
			break;
		for (unsigned i = 0; opt->random_src && i < batch; i++)
			random_unicast_mac(&seed, frames[i] + ETH_ALEN);
		int n = sendmmsg(fd, msgs, batch, 0);
		if (n > 0) {
			sent += (uint64_t)n;
		} else if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
			/* The device is busy: the frame was not sent; try again. */
			errors++;
		} else {
			fprintf(stderr, "pktgen send: sendmmsg: %s\n", strerror(errno));
			return 1;
		}
		now = now_seconds();
		if (!opt->count && now >= end)
			break;
	}
	double elapsed = now - start;
	printf("{\"role\": \"send\", \"sent\": %" PRIu64 ", \"seconds\": %.3f, \"pps\": %.0f, "
	       "\"errors\": %" PRIu64 "}\n",
	       sent, elapsed, elapsed > 0 ? (double)sent / elapsed : 0.0, errors);
	close(fd);
	return 0;
}

struct sink_count {
	uint64_t frames;     /* frames to --dst with our ethertype */
	uint64_t other;	     /* our ethertype, another destination */
	double first, last;  /* kernel receive time of the first and last counted frame */
	double last_seen_at; /* our clock when the last counted frame was read */
};

static void count_block(const struct tpacket_block_desc *block, const uint8_t dst[ETH_ALEN],
			struct sink_count *count)
{
	const uint8_t *p = (const uint8_t *)block + block->hdr.bh1.offset_to_first_pkt;
	for (uint32_t i = 0; i < block->hdr.bh1.num_pkts; i++) {
		const struct tpacket3_hdr *hdr = (const struct tpacket3_hdr *)p;
		const uint8_t *eth = p + hdr->tp_mac;
		uint16_t type;
		memcpy(&type, eth + 2 * ETH_ALEN, sizeof(type));
		if (hdr->tp_snaplen >= ETH_HLEN && type == htons(PKTGEN_ETHERTYPE)) {
			if (memcmp(eth, dst, ETH_ALEN) == 0) {
				double t = (double)hdr->tp_sec + (double)hdr->tp_nsec / 1e9;
				if (count->frames == 0)
					count->first = t;
				count->last = t;
				count->frames++;
			} else {
				count->other++;
			}
		}
		p += hdr->tp_next_offset;
	}
}

static int run_sink(const struct options *opt)
{
	int ifindex;
	int fd = open_packet_socket(opt->ifname, &ifindex);
	int version = TPACKET_V3;
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0) {
		fprintf(stderr, "pktgen sink: TPACKET_V3: %s\n", strerror(errno));
		return 1;
	}
	struct tpacket_req3 req = {
	    .tp_block_size = RING_BLOCK_SIZE,
	    .tp_block_nr = RING_BLOCK_NR,
	    .tp_frame_size = RING_FRAME_SIZE,
	    .tp_frame_nr = RING_BLOCK_SIZE / RING_FRAME_SIZE * RING_BLOCK_NR,
	    .tp_retire_blk_tov = RING_RETIRE_MS,
	};
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) {
		fprintf(stderr, "pktgen sink: PACKET_RX_RING: %s\n", strerror(errno));
		return 1;
	}
	size_t ring_size = (size_t)RING_BLOCK_SIZE * RING_BLOCK_NR;
	uint8_t *ring = mmap(NULL, ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED) {
		fprintf(stderr, "pktgen sink: mmap ring: %s\n", strerror(errno));
		return 1;
	}
	struct sockaddr_ll addr = {
	    .sll_family = AF_PACKET,
	    .sll_protocol = htons(PKTGEN_ETHERTYPE),
	    .sll_ifindex = ifindex,
	};
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		fprintf(stderr, "pktgen sink: bind %s: %s\n", opt->ifname, strerror(errno));
		return 1;
	}
	fprintf(stderr, "ready\n");
	fflush(stderr);

	struct sink_count count = {0};
	double start = now_seconds(), end = start + opt->seconds;
	unsigned block_index = 0;
	while (!stop_requested) {
		struct tpacket_block_desc *block =
		    (struct tpacket_block_desc *)(ring + (size_t)block_index * RING_BLOCK_SIZE);
		if (!(__atomic_load_n(&block->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
		      TP_STATUS_USER)) {
			double now = now_seconds();
			if (now >= end)
				break;
			if (count.frames &&
			    now - count.last_seen_at >= (double)opt->idle_ms / 1000.0)
				break;
			struct pollfd pfd = {.fd = fd, .events = POLLIN | POLLERR};
			(void)poll(&pfd, 1, 50);
			continue;
		}
		uint64_t before = count.frames;
		count_block(block, opt->dst, &count);
		if (count.frames != before)
			count.last_seen_at = now_seconds();
		__atomic_store_n(&block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		block_index = (block_index + 1) % RING_BLOCK_NR;
	}

	struct tpacket_stats_v3 stats = {0};
	socklen_t stats_len = sizeof(stats);
	(void)getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &stats, &stats_len);
	double span = count.last - count.first;
	double pps = count.frames > 1 && span > 0 ? (double)(count.frames - 1) / span : 0.0;
	printf("{\"role\": \"sink\", \"received\": %" PRIu64 ", \"seconds\": %.3f, \"pps\": %.0f, "
	       "\"other\": %" PRIu64 ", \"ring_drops\": %u}\n",
	       count.frames, span, pps, count.other, stats.tp_drops);
	munmap(ring, ring_size);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct options opt;
	parse_args(argc, argv, &opt);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(opt.mode, "send") == 0)
		return run_send(&opt);
	if (strcmp(opt.mode, "sink") == 0)
		return run_sink(&opt);
	usage();
	return 2;
}
