/* test_netdev_ports.c — the ports on real Linux interfaces: afpacket on a
 * veth, tap as QEMU sees it, internal in the host stack, vnic on another
 * port's tap; what each keeps when the port closes and removes when it is
 * removed. Needs root: the
 * process moves into a private network namespace (and a mount namespace, so
 * /sys/class/net shows that namespace) which disappears with it, so nothing
 * is left behind and parallel runs cannot collide. Without root every test
 * is skipped with a message. The providers are driven directly, through
 * their struct port_class, with a raw packet socket of our own (or a tun fd
 * acting as QEMU) on the other side. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/gso.h"
#include "netns.h"
#include "lib/packet.h"
#include "lib/util.h"
#include "port/afpacket.h"
#include "port/port.h"

#define ETH_TYPE_TEST 0x88b5 /* IEEE local experimental */
#define VNET_LEN      ((uint32_t)sizeof(struct virtio_net_hdr))
#define BIG	      65535

static const uint8_t dst_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t src_mac[6] = {0x02, 0, 0, 0, 0, 0x01};

struct fixture {
	struct packet_pool *pool;
	struct port *port;
	int peer; /* raw packet socket on vb, or the "QEMU" tun fd */
	char err[256];
};

/* ---- set-up ---------------------------------------------------------------- */

static bool netdev_exists(const char *name)
{
	char path[128];
	struct stat st;
	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	return stat(path, &st) == 0;
}

/* An Ethernet frame of `len` bytes whose payload identifies it by `seq`. */
static void make_frame(uint8_t *frame, uint32_t len, uint8_t seq)
{
	memcpy(frame, dst_mac, 6);
	memcpy(frame + 6, src_mac, 6);
	store_be16(frame + 12, ETH_TYPE_TEST);
	for (uint32_t i = 14; i < len; i++)
		frame[i] = (uint8_t)(seq + i);
}

/* The same frame with an 802.1Q (or other TPID) tag after the addresses. */
static void make_tagged_frame(uint8_t *frame, uint32_t len, uint8_t seq, uint16_t tpid,
			      uint16_t tci)
{
	uint8_t plain[2048];
	make_frame(plain, len, seq);
	memcpy(frame, plain, 12);
	store_be16(frame + 12, tpid);
	store_be16(frame + 14, tci);
	memcpy(frame + 16, plain + 12, len - 12);
}

static struct port *open_port(struct fixture *f, const struct port_class *class, const char *name,
			      const char *const *options)
{
	f->err[0] = '\0';
	return port_create(name, class->type, options, f->err, sizeof(f->err));
}

/* Closes the port as a stopping daemon does: persistent devices stay. */
static void close_port(struct port *port)
{
	port_destroy(port);
}

/* Closes the port as `port del` does: the devices it made go. */
static void remove_port(struct port *port)
{
	port_remove(port);
}

static int raw_socket(const char *ifname, bool vnet)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	int one = 1;
	assert_int_equal(setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)), 0);
	if (vnet)
		assert_int_equal(setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)), 0);
	assert_int_equal(setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)), 0);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = (int)if_nametoindex(ifname)};
	assert_true(sll.sll_ifindex > 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return fd;
}

static void raw_send(int fd, const void *frame, size_t len)
{
	assert_int_equal(send(fd, frame, len, 0), (ssize_t)len);
}

/* Reads the next frame with our source MAC from a raw socket within 1 s;
 * returns its length (or -1) and the stripped tag's TCI/TPID, -1 if none. */
static int raw_recv(int fd, uint8_t *buf, size_t size, int *tci, int *tpid)
{
	uint64_t deadline = time_now_ns() + 1000000000ULL;
	while (time_now_ns() < deadline) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		union {
			char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
			struct cmsghdr align;
		} control;
		struct iovec iov = {.iov_base = buf, .iov_len = size};
		struct msghdr m = {.msg_iov = &iov,
				   .msg_iovlen = 1,
				   .msg_control = control.buf,
				   .msg_controllen = sizeof(control.buf)};
		ssize_t n = recvmsg(fd, &m, 0);
		if (n < 0)
			continue;
		*tci = *tpid = -1;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			struct tpacket_auxdata aux;
			if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA)
				continue;
			memcpy(&aux, CMSG_DATA(c), sizeof(aux));
			if (aux.tp_status & TP_STATUS_VLAN_VALID) {
				*tci = aux.tp_vlan_tci;
				*tpid = aux.tp_vlan_tpid;
			}
		}
		/* With a vnet header, the MAC addresses follow it. */
		size_t off =
		    (size_t)n >= VNET_LEN + 12 && memcmp(buf + VNET_LEN + 6, src_mac, 5) == 0
			? VNET_LEN
			: 0;
		if ((size_t)n >= off + 12 && memcmp(buf + off + 6, src_mac, 5) == 0)
			return (int)n;
	}
	return -1;
}

static bool from_test_source(const struct packet *p)
{
	return p->len >= 12 && memcmp(p->data + 6, src_mac, 5) == 0;
}

static bool is_arp(const struct packet *p)
{
	return p->len >= 14 && load_be16(p->data + 12) == 0x0806;
}

/* Receives from the port until `want` frames that `keep` accepts are in `out`
 * or `ms` pass; frees the others. Returns how many. */
static uint32_t port_collect(struct port *port, struct packet_pool *pool, struct packet_batch *out,
			     uint32_t want, int ms, bool (*keep)(const struct packet *))
{
	uint64_t deadline = time_now_ns() + (uint64_t)ms * 1000000ULL;
	while (out->count < want && time_now_ns() < deadline) {
		struct pollfd pfd = {.fd = port->class->wait_fd(port), .events = POLLIN};
		poll(&pfd, 1, 20);
		struct packet_batch batch;
		packet_batch_init(&batch);
		int n = port->class->recv(port, pool, &batch);
		assert_true(n >= 0);
		assert_int_equal((uint32_t)n, batch.count);
		for (uint32_t i = 0; i < batch.count; i++) {
			struct packet *p = batch.packets[i];
			if (keep(p) && !packet_batch_full(out))
				packet_batch_add(out, p);
			else
				packet_free(p);
		}
	}
	return out->count;
}

static void port_send_bytes(struct fixture *f, const void *frame, uint32_t len)
{
	struct packet_batch batch;
	packet_batch_init(&batch);
	struct packet *p = packet_from_bytes(f->pool, frame, len);
	assert_non_null(p);
	packet_batch_add(&batch, p);
	f->port->class->send(f->port, &batch);
	assert_int_equal(batch.count, 0);
}

static bool wait_carrier(struct port *port, bool want)
{
	for (int i = 0; i < 100; i++) {
		if (port->class->carrier(port) == want)
			return true;
		usleep(10000);
	}
	return false;
}

static int setup_pool(void **state, uint32_t data_room)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->peer = -1;
	f->pool = packet_pool_create(BATCH_SIZE + 64, data_room);
	if (!f->pool) {
		free(f);
		return -1;
	}
	*state = f;
	if (!skip_reason && sh("ip link add va type veth peer name vb && ip link set va up && "
			       "ip link set vb up") != 0)
		return -1;
	return 0;
}

static int setup(void **state)
{
	return setup_pool(state, BIG);
}

static int setup_small_pool(void **state)
{
	return setup_pool(state, 256);
}

/* Fails the test if a packet was not returned to the pool: the port owns
 * and frees what it is given, and returns what it does not deliver. */
static int teardown(void **state)
{
	struct fixture *f = *state;
	/* The peer first: a VM is shut down before its port is deleted. */
	if (f->peer >= 0)
		close(f->peer);
	remove_port(f->port);
	if (!skip_reason)
		sh("ip link del va 2>/dev/null");
	int result = f->pool->available == f->pool->size ? 0 : -1;
	if (result)
		print_error("%u packets not returned to the pool\n",
			    f->pool->size - f->pool->available);
	packet_pool_destroy(f->pool);
	free(f);
	return result;
}

static void free_batch(struct packet_batch *b)
{
	packet_batch_free(b);
}

/* ---- afpacket: receive ------------------------------------------------------ */

static void test_afpacket_receives_peer_frames_in_order(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_port(f, &afpacket_port_class, "va", NULL);
	assert_non_null(f->port);
	assert_true(f->port->features & PORT_F_OFFLOAD);
	f->peer = raw_socket("vb", false);

	static const uint32_t lens[] = {60, 1514, 64, 333, 1000};
	uint8_t frame[2048];
	for (uint32_t i = 0; i < ARRAY_SIZE(lens); i++) {
		make_frame(frame, lens[i], (uint8_t)i);
		raw_send(f->peer, frame, lens[i]);
	}
	struct packet_batch got;
	packet_batch_init(&got);
	assert_int_equal(port_collect(f->port, f->pool, &got, 5, 1000, from_test_source), 5);
	for (uint32_t i = 0; i < ARRAY_SIZE(lens); i++) {
		struct packet *p = got.packets[i];
		make_frame(frame, lens[i], (uint8_t)i);
		assert_int_equal(p->len, lens[i]);
		assert_memory_equal(p->data, frame, lens[i]);
		assert_false(p->flags & PACKET_F_META_VLAN);
	}
	free_batch(&got);
}

/* Frames larger than a ring slot take the socket queue; mixed with small
 * ones they still arrive in order, whole, with either receive path. */
static void check_mixed_sizes_in_order(struct fixture *f, const char *const *options)
{
	assert_int_equal(sh("ip link set va mtu 9000 && ip link set vb mtu 9000"), 0);
	f->port = open_port(f, &afpacket_port_class, "va", options);
	assert_non_null(f->port);
	f->peer = raw_socket("vb", false);
	static const uint32_t lens[] = {60, 4000, 64, 9014, 1514, 1990, 3000, 60, 9014, 9014};
	static uint8_t frame[9014];
	for (uint32_t i = 0; i < ARRAY_SIZE(lens); i++) {
		make_frame(frame, lens[i], (uint8_t)i);
		raw_send(f->peer, frame, lens[i]);
	}
	struct packet_batch got;
	packet_batch_init(&got);
	assert_int_equal(
	    port_collect(f->port, f->pool, &got, ARRAY_SIZE(lens), 1000, from_test_source),
	    ARRAY_SIZE(lens));
	for (uint32_t i = 0; i < ARRAY_SIZE(lens); i++) {
		make_frame(frame, lens[i], (uint8_t)i);
		assert_int_equal(got.packets[i]->len, lens[i]);
		assert_memory_equal(got.packets[i]->data, frame, lens[i]);
	}
	free_batch(&got);
}

static void test_afpacket_ring_and_queue_keep_frames_in_order(void **state)
{
	REQUIRE_NETNS();
	check_mixed_sizes_in_order(*state, NULL);
}

static void test_afpacket_without_ring_keeps_frames_in_order(void **state)
{
	REQUIRE_NETNS();
	const char *options[] = {"rx-ring=0", NULL};
	check_mixed_sizes_in_order(*state, options);
}

static void test_afpacket_rx_ring_option_is_checked(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	static const char *const bad[] = {"rx-ring=32", "rx-ring=100", "rx-ring=131072",
					  "rx-ring=x"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *options[] = {bad[i], NULL};
		assert_null(open_port(f, &afpacket_port_class, "va", options));
		assert_non_null(strstr(f->err, "rx-ring"));
	}
}

static void test_afpacket_vlan_tag_stripped_by_kernel_arrives_as_metadata(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_port(f, &afpacket_port_class, "va", NULL);
	assert_non_null(f->port);
	f->peer = raw_socket("vb", false);

	uint8_t tagged[2048], plain[2048];
	make_tagged_frame(tagged, 100, 7, ETH_TYPE_VLAN, 0x6005); /* PCP 3, VID 5 */
	raw_send(f->peer, tagged, 104);
	struct packet_batch got;
	packet_batch_init(&got);
	assert_int_equal(port_collect(f->port, f->pool, &got, 1, 1000, from_test_source), 1);
	struct packet *p = got.packets[0];
	assert_true(p->flags & PACKET_F_META_VLAN);
	assert_int_equal(p->meta_tci, 0x6005);
	make_frame(plain, 100, 7);
	assert_int_equal(p->len, 100);
	assert_memory_equal(p->data, plain, 100);
	free_batch(&got);
}

static void test_afpacket_service_tag_goes_back_inline_for_the_parser(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_port(f, &afpacket_port_class, "va", NULL);
	assert_non_null(f->port);
	f->peer = raw_socket("vb", false);

	uint8_t tagged[2048];
	make_tagged_frame(tagged, 100, 9, ETH_TYPE_QINQ, 0x0064);
	raw_send(f->peer, tagged, 104);
	struct packet_batch got;
	packet_batch_init(&got);
	assert_int_equal(port_collect(f->port, f->pool, &got, 1, 1000, from_test_source), 1);
	struct packet *p = got.packets[0];
	/* Not taken for an 802.1Q VLAN: the frame is as it was on the wire. */
	assert_false(p->flags & PACKET_F_META_VLAN);
	assert_int_equal(p->len, 104);
	assert_memory_equal(p->data, tagged, 104);
	free_batch(&got);
}

static void test_afpacket_frame_larger_than_buffer_is_counted_oversize(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_port(f, &afpacket_port_class, "va", NULL);
	assert_non_null(f->port);
	f->peer = raw_socket("vb", false);

	uint8_t frame[2048];
	make_frame(frame, 600, 1); /* the pool holds 256 bytes */
	raw_send(f->peer, frame, 600);
	make_frame(frame, 256, 2); /* fits exactly */
	raw_send(f->peer, frame, 256);
	struct packet_batch got;
	packet_batch_init(&got);
	assert_int_equal(port_collect(f->port, f->pool, &got, 2, 300, from_test_source), 1);
	assert_int_equal(got.packets[0]->len, 256);
	assert_memory_equal(got.packets[0]->data, frame, 256);
	assert_int_equal(f->port->stats.rx_oversize, 1);
	free_batch(&got);
}

/* ---- afpacket: send --------------------------------------------------------- */

/* Nobody receives: what does not fit (the ring's 64 slots, or without a
 * ring 64 KB of socket buffer) is counted, once. */
static void check_overflow_counted(struct fixture *f, const char *const *options)
{
	f->port = open_port(f, &afpacket_port_class, "va", options);
	assert_non_null(f->port);
	f->peer = raw_socket("vb", false);
	uint8_t frame[1514];
	make_frame(frame, sizeof(frame), 1);
	/* Nobody receives: far more than 64 KB of frames must overflow. */
	for (int i = 0; i < 2000; i++)
		raw_send(f->peer, frame, sizeof(frame));
	f->port->class->update_stats(f->port);
	uint64_t dropped = f->port->stats.rx_overflow;
	assert_true(dropped > 1000);
	f->port->class->update_stats(f->port); /* the kernel's count restarts */
	assert_int_equal(f->port->stats.rx_overflow, dropped);
}

static void test_afpacket_kernel_queue_overflow_is_counted(void **state)
{
	REQUIRE_NETNS();
	const char *options[] = {"rcvbuf-kb=64", "rx-ring=0", NULL};
	check_overflow_counted(*state, options);
}

static void test_afpacket_ring_overflow_is_counted(void **state)
{
	REQUIRE_NETNS();
	const char *options[] = {"rcvbuf-kb=64", "rx-ring=64", NULL};
	check_overflow_counted(*state, options);
}

static void test_afpacket_send_delivers_untagged_and_tagged_frames(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_port(f, &afpacket_port_class, "va", NULL);
	assert_non_null(f->port);
	f->peer = raw_socket("vb", false);

	uint8_t plain[2048], tagged[2048], buf[4096];
	make_frame(plain, 200, 1);
	make_tagged_frame(tagged, 200, 2, ETH_TYPE_VLAN, 0x2007); /* PCP 1, VID 7 */
	struct packet_batch batch;
	packet_batch_init(&batch);
	packet_batch_add(&batch, packet_from_bytes(f->pool, plain, 200));
	packet_batch_add(&batch, packet_from_bytes(f->pool, tagged, 204));
	f->port->class->send(f->port, &batch);
	assert_int_equal(batch.count, 0);
	assert_int_equal(f->port->stats.tx_packets, 2);
	assert_int_equal(f->port->stats.tx_bytes, 404);
	assert_int_equal(port_stats_lost(&f->port->stats), 0);

	int tci, tpid;
	assert_int_equal(raw_recv(f->peer, buf, sizeof(buf), &tci, &tpid), 200);
	assert_memory_equal(buf, plain, 200);
	assert_int_equal(tci, -1);
	/* The peer's kernel strips the tag we sent inline. */
	make_frame(plain, 200, 2);
	assert_int_equal(raw_recv(f->peer, buf, sizeof(buf), &tci, &tpid), 200);
	assert_memory_equal(buf, plain, 200);
	assert_int_equal(tci, 0x2007);
	assert_int_equal(tpid, ETH_TYPE_VLAN);
}

static void test_afpacket_port_does_not_receive_its_own_transmissions(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_port(f, &afpacket_port_class, "va", NULL);
	assert_non_null(f->port);
	f->peer = raw_socket("vb", false);

	uint8_t frame[2048], buf[4096];
	for (uint8_t i = 0; i < 4; i++) {
		make_frame(frame, 120, i);
		port_send_bytes(f, frame, 120);
	}
	int tci, tpid;
	for (int i = 0; i < 4; i++)
		assert_int_equal(raw_recv(f->peer, buf, sizeof(buf), &tci, &tpid), 120);
	/* Nor what the host itself sends out of the interface: it is going to
	 * the wire, not coming from it. */
	int host = raw_socket("va", false);
	make_frame(frame, 77, 9);
	raw_send(host, frame, 77);
	assert_int_equal(raw_recv(f->peer, buf, sizeof(buf), &tci, &tpid), 77);
	close(host);
	/* Only the peer's frame comes in, none of the five sent out. */
	make_frame(frame, 90, 42);
	raw_send(f->peer, frame, 90);
	struct packet_batch got;
	packet_batch_init(&got);
	assert_int_equal(port_collect(f->port, f->pool, &got, 5, 300, from_test_source), 1);
	assert_int_equal(got.packets[0]->len, 90);
	assert_memory_equal(got.packets[0]->data, frame, 90);
	free_batch(&got);
}

static void test_afpacket_send_to_down_link_counts_tx_error_and_frees(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_port(f, &afpacket_port_class, "va", NULL);
	assert_non_null(f->port);
	assert_int_equal(sh("ip link set va down"), 0);
	uint8_t frame[2048];
	make_frame(frame, 100, 1);
	struct packet_batch batch;
	packet_batch_init(&batch);
	for (int i = 0; i < 3; i++)
		packet_batch_add(&batch, packet_from_bytes(f->pool, frame, 100));
	f->port->class->send(f->port, &batch);
	assert_int_equal(batch.count, 0);
	assert_int_equal(f->port->stats.tx_packets, 0);
	assert_int_equal(f->port->stats.tx_errors, 3);
}

/* ---- afpacket: carrier, offload, errors ------------------------------------ */

static void test_afpacket_carrier_follows_the_peer_link(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_port(f, &afpacket_port_class, "va", NULL);
	assert_non_null(f->port);
	assert_true(wait_carrier(f->port, true));
	assert_int_equal(sh("ip link set vb down"), 0);
	assert_true(wait_carrier(f->port, false));
	assert_int_equal(sh("ip link set vb up"), 0);
	assert_true(wait_carrier(f->port, true));
	assert_int_equal(f->port->class->wait_fd(f->port) >= 0, 1);
}

static void test_afpacket_interface_is_promiscuous_while_the_port_is_open(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	assert_int_equal(sh("ip -d link show va | grep -q 'promiscuity 0'"), 0);
	f->port = open_port(f, &afpacket_port_class, "va", NULL);
	assert_non_null(f->port);
	assert_int_equal(sh("ip -d link show va | grep -q 'promiscuity 1'"), 0);
	close_port(f->port);
	f->port = NULL;
	assert_int_equal(sh("ip -d link show va | grep -q 'promiscuity 0'"), 0);
}

/* A TCP/IPv4 segment of `payload` bytes as a 64 KB TCP stack would hand it
 * over: one super-frame, MSS 1448, checksum left to finish. */
static uint32_t make_tcp_super_frame(uint8_t *f, uint32_t payload, struct packet_offload *o)
{
	uint32_t len = 14 + 20 + 20 + payload;
	memset(f, 0, 54);
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	store_be16(f + 12, 0x0800);
	uint8_t *ip = f + 14, *tcp = f + 34;
	ip[0] = 0x45;
	store_be16(ip + 2, (uint16_t)(len - 14));
	store_be16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	const uint8_t addrs[8] = {10, 0, 0, 1, 10, 0, 0, 2};
	memcpy(ip + 12, addrs, 8);
	store_be16(ip + 10, csum_fold(csum_partial(ip, 20, 0)));
	store_be16(tcp, 40000);
	store_be16(tcp + 2, 5201);
	tcp[7] = 1; /* seq 1 */
	tcp[12] = 5 << 4;
	tcp[13] = 0x18; /* PSH ACK */
	store_be16(tcp + 14, 65535);
	for (uint32_t i = 0; i < payload; i++)
		f[54 + i] = (uint8_t)i;
	/* The pseudo-header sum, as a stack leaves it for the NIC. */
	uint32_t sum = csum_partial(addrs, 8, 0) + 6 + 20 + payload;
	store_be16(tcp + 16, (uint16_t)~csum_fold(sum));
	*o = (struct packet_offload){
	    .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	    .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
	    .hdr_len = 54,
	    .gso_size = 1448,
	    .csum_start = 34,
	    .csum_offset = 16,
	};
	return len;
}

static void test_afpacket_sends_gso_super_frame_with_its_vnet_header(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_port(f, &afpacket_port_class, "va", NULL);
	assert_non_null(f->port);
	f->peer = raw_socket("vb", true);

	static uint8_t frame[BIG], buf[BIG + 64];
	struct packet_offload o;
	uint32_t len = make_tcp_super_frame(frame, 30000, &o);
	struct packet_batch batch;
	packet_batch_init(&batch);
	struct packet *p = packet_from_bytes(f->pool, frame, len);
	assert_non_null(p);
	p->flags |= PACKET_F_OFFLOAD;
	p->offload = o;
	packet_batch_add(&batch, p);
	f->port->class->send(f->port, &batch);
	assert_int_equal(f->port->stats.tx_packets, 1);

	/* The veth passes the super-frame on unsegmented, header and all. */
	int tci, tpid;
	assert_int_equal(raw_recv(f->peer, buf, sizeof(buf), &tci, &tpid), (int)(VNET_LEN + len));
	struct virtio_net_hdr h;
	memcpy(&h, buf, sizeof(h));
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(h.gso_size, 1448);
	assert_true(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.csum_start, 34);
	assert_int_equal(h.csum_offset, 16);
	assert_memory_equal(buf + VNET_LEN, frame, len);
}

static void test_afpacket_receives_gso_super_frame_whole_with_offload(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_port(f, &afpacket_port_class, "va", NULL);
	assert_non_null(f->port);
	f->peer = raw_socket("vb", true);

	static uint8_t frame[BIG];
	struct packet_offload o;
	uint32_t len = make_tcp_super_frame(frame, 60000, &o);
	struct virtio_net_hdr h = {.flags = o.flags,
				   .gso_type = o.gso_type,
				   .hdr_len = o.hdr_len,
				   .gso_size = o.gso_size,
				   .csum_start = o.csum_start,
				   .csum_offset = o.csum_offset};
	struct iovec iov[2] = {{&h, sizeof(h)}, {frame, len}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
	assert_int_equal(sendmsg(f->peer, &m, 0), (ssize_t)(sizeof(h) + len));

	struct packet_batch got;
	packet_batch_init(&got);
	assert_int_equal(port_collect(f->port, f->pool, &got, 1, 1000, from_test_source), 1);
	struct packet *p = got.packets[0];
	assert_int_equal(p->len, len);
	assert_memory_equal(p->data, frame, len);
	assert_true(p->flags & PACKET_F_OFFLOAD);
	assert_int_equal(p->offload.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(p->offload.gso_size, 1448);
	assert_int_equal(p->offload.csum_start, 34);
	assert_int_equal(p->offload.csum_offset, 16);
	free_batch(&got);
}

static void test_afpacket_unknown_option_is_rejected(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	const char *const options[] = {"dev=va", "bogus=1", NULL};
	assert_null(open_port(f, &afpacket_port_class, "x", options));
	assert_non_null(strstr(f->err, "port x: unknown option 'bogus'"));
	const char *const bad_size[] = {"rcvbuf-kb=1", NULL};
	assert_null(open_port(f, &afpacket_port_class, "va", bad_size));
	assert_non_null(strstr(f->err, "port va: rcvbuf-kb '1' must be"));
}

static void test_afpacket_missing_interface_is_a_clear_error(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	const char *const options[] = {"dev=nope", NULL};
	assert_null(open_port(f, &afpacket_port_class, "x", options));
	assert_string_equal(f->err, "port x: no such interface 'nope'");
	assert_null(open_port(f, &afpacket_port_class, "a-port-name-too-long", NULL));
	assert_non_null(strstr(f->err, "longer than 15 characters"));
}

/* ---- tap -------------------------------------------------------------------- */

/* Opens the tap as QEMU does, vnet header and all. */
static int qemu_attach(const char *ifname)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
	assert_true(fd >= 0);
	struct ifreq ifr = {0};
	copy_name(ifr.ifr_name, sizeof(ifr.ifr_name), ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
	return fd;
}

static void test_tap_creates_a_device_without_carrier_until_qemu_attaches(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	assert_false(netdev_exists("vm1"));
	f->port = open_port(f, &tap_port_class, "vm1", NULL);
	assert_non_null(f->port);
	assert_true(netdev_exists("vm1"));
	assert_true(f->port->features & PORT_F_OFFLOAD);
	assert_true(wait_carrier(f->port, false));
	f->peer = qemu_attach("vm1");
	assert_true(wait_carrier(f->port, true));
	close(f->peer);
	f->peer = -1;
	assert_true(wait_carrier(f->port, false));
	remove_port(f->port);
	f->port = NULL;
	assert_false(netdev_exists("vm1"));
}

static void test_tap_passes_frames_between_qemu_and_the_switch(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	const char *const options[] = {"dev=tapvm2", NULL};
	f->port = open_port(f, &tap_port_class, "vm2", options);
	assert_non_null(f->port);
	f->peer = qemu_attach("tapvm2");
	assert_true(wait_carrier(f->port, true));

	/* Guest to switch. */
	uint8_t frame[2048], buf[4096];
	struct virtio_net_hdr h = {0};
	make_frame(frame, 300, 5);
	struct iovec iov[2] = {{&h, sizeof(h)}, {frame, 300}};
	assert_int_equal(writev(f->peer, iov, 2), (ssize_t)(sizeof(h) + 300));
	struct packet_batch got;
	packet_batch_init(&got);
	assert_int_equal(port_collect(f->port, f->pool, &got, 1, 1000, from_test_source), 1);
	assert_int_equal(got.packets[0]->len, 300);
	assert_memory_equal(got.packets[0]->data, frame, 300);
	free_batch(&got);

	/* Switch to guest, behind a vnet header. */
	make_frame(frame, 400, 6);
	port_send_bytes(f, frame, 400);
	assert_int_equal(f->port->stats.tx_packets, 1);
	ssize_t n = -1;
	for (int i = 0; i < 100 && n < 0; i++) {
		struct pollfd pfd = {.fd = f->peer, .events = POLLIN};
		poll(&pfd, 1, 10);
		n = read(f->peer, buf, sizeof(buf));
	}
	assert_int_equal(n, (ssize_t)(VNET_LEN + 400));
	assert_memory_equal(buf + VNET_LEN, frame, 400);
	/* Nothing of our own came back to the switch. */
	packet_batch_init(&got);
	assert_int_equal(port_collect(f->port, f->pool, &got, 1, 200, from_test_source), 0);

	/* The guest goes away, then the port is removed: the tap it made goes
	 * too. */
	close(f->peer);
	f->peer = -1;
	remove_port(f->port);
	f->port = NULL;
	assert_false(netdev_exists("tapvm2"));
}

/* The tap's flags as the kernel reports them through the QEMU fd. */
static short qemu_flags(int fd)
{
	struct ifreq ifr = {0};
	assert_int_equal(ioctl(fd, TUNGETIFF, &ifr), 0);
	return ifr.ifr_flags;
}

static void test_tap_outlives_a_closed_port_and_is_removed_by_the_next(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_port(f, &tap_port_class, "vm6", NULL);
	assert_non_null(f->port);
	f->peer = qemu_attach("vm6");
	short flags = qemu_flags(f->peer);
	assert_true(flags & IFF_VNET_HDR);

	/* A daemon stops: the guest keeps its vNIC, flags and all. */
	close_port(f->port);
	f->port = NULL;
	assert_true(netdev_exists("vm6"));
	assert_int_equal(qemu_flags(f->peer), flags);

	/* The next daemon adopts it without touching the guest's queue, and
	 * frames flow again. */
	f->port = open_port(f, &tap_port_class, "vm6", NULL);
	assert_non_null(f->port);
	assert_int_equal(qemu_flags(f->peer), flags);
	assert_true(wait_carrier(f->port, true));
	uint8_t frame[2048];
	struct virtio_net_hdr h = {0};
	make_frame(frame, 120, 9);
	struct iovec iov[2] = {{&h, sizeof(h)}, {frame, 120}};
	assert_int_equal(writev(f->peer, iov, 2), (ssize_t)(sizeof(h) + 120));
	struct packet_batch got;
	packet_batch_init(&got);
	assert_int_equal(port_collect(f->port, f->pool, &got, 1, 1000, from_test_source), 1);
	free_batch(&got);

	/* It knows the tap as one vswitchd made: removing the port removes it. */
	close(f->peer);
	f->peer = -1;
	remove_port(f->port);
	f->port = NULL;
	assert_false(netdev_exists("vm6"));
}

static void test_tap_still_open_by_qemu_is_left_in_place_on_removal(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_port(f, &tap_port_class, "vm5", NULL);
	assert_non_null(f->port);
	f->peer = qemu_attach("vm5");
	/* Deleting the port does not pull the vNIC from under a running guest. */
	remove_port(f->port);
	f->port = NULL;
	assert_true(netdev_exists("vm5"));
	close(f->peer);
	f->peer = -1;
	assert_int_equal(sh("ip link del vm5"), 0);
}

static void test_tap_made_by_someone_else_is_kept_on_removal(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	assert_int_equal(sh("ip tuntap add dev libvirt0 mode tap vnet_hdr"), 0);
	const char *const options[] = {"dev=libvirt0", NULL};
	f->port = open_port(f, &tap_port_class, "vm3", options);
	assert_non_null(f->port);
	remove_port(f->port);
	f->port = NULL;
	assert_true(netdev_exists("libvirt0"));
	assert_int_equal(sh("ip link del libvirt0"), 0);
}

static void test_tap_on_an_interface_that_is_not_a_tap_is_refused(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	const char *const options[] = {"dev=va", NULL};
	assert_null(open_port(f, &tap_port_class, "vm4", options));
	assert_string_equal(f->err, "port vm4: interface 'va' exists and is not a tap");
	assert_true(netdev_exists("va"));
	const char *const bogus[] = {"queues=4", NULL};
	assert_null(open_port(f, &tap_port_class, "vm4", bogus));
	assert_non_null(strstr(f->err, "port vm4: unknown option 'queues'"));
	assert_false(netdev_exists("vm4"));
}

/* ---- internal ------------------------------------------------------------- */

static void test_internal_port_is_an_interface_of_the_host_stack(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_port(f, &internal_port_class, "br0", NULL);
	assert_non_null(f->port);
	assert_true(netdev_exists("br0"));
	assert_true(f->port->features & PORT_F_OFFLOAD);
	assert_true(wait_carrier(f->port, true));

	/* The host sends on br0 (a packet socket, like dhclient): we read it. */
	f->peer = raw_socket("br0", false);
	uint8_t frame[2048], buf[4096];
	make_frame(frame, 222, 3);
	raw_send(f->peer, frame, 222);
	struct packet_batch got;
	packet_batch_init(&got);
	assert_int_equal(port_collect(f->port, f->pool, &got, 1, 1000, from_test_source), 1);
	assert_int_equal(got.packets[0]->len, 222);
	assert_memory_equal(got.packets[0]->data, frame, 222);
	free_batch(&got);

	/* What the switch sends, the host receives on br0. */
	make_frame(frame, 180, 4);
	port_send_bytes(f, frame, 180);
	assert_int_equal(f->port->stats.tx_packets, 1);
	int tci, tpid;
	assert_int_equal(raw_recv(f->peer, buf, sizeof(buf), &tci, &tpid), 180);
	assert_memory_equal(buf, frame, 180);

	close(f->peer);
	f->peer = -1;
	remove_port(f->port);
	f->port = NULL;
	assert_false(netdev_exists("br0"));
}

/* What the host knows of br4 that a restart must not change (a route's
 * "linkdown" marks only the carrier). */
static void host_view(char *out, size_t size)
{
	FILE *p = popen("cat /sys/class/net/br4/address /sys/class/net/br4/mtu "
			"/sys/class/net/br4/tun_flags; ip -4 -o addr show dev br4 | cut -d' ' -f7; "
			"ip route show dev br4 | sed 's/ linkdown//'",
			"r");
	assert_non_null(p);
	size_t n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	pclose(p);
}

static void test_internal_interface_keeps_mac_address_route_and_mtu_across_a_close(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_port(f, &internal_port_class, "br4", NULL);
	assert_non_null(f->port);
	assert_int_equal(sh("ip link set br4 mtu 1400 && ip addr add 10.198.0.1/24 dev br4 && "
			    "ip route add 10.197.0.0/24 via 10.198.0.2"),
			 0);
	char before[1024], during[1024], after[1024];
	host_view(before, sizeof(before));
	assert_non_null(strstr(before, "10.198.0.1/24"));
	assert_non_null(strstr(before, "10.197.0.0/24 via 10.198.0.2"));
	assert_non_null(strstr(before, "\n1400\n"));

	/* The daemon stops (or dies): the host keeps its interface, carrier
	 * down. */
	close_port(f->port);
	f->port = NULL;
	host_view(during, sizeof(during));
	assert_string_equal(during, before);
	assert_int_equal(sh("ip route show dev br4 | grep -q linkdown"), 0);

	/* The next start adopts it as it is and it carries traffic again. */
	f->port = open_port(f, &internal_port_class, "br4", NULL);
	assert_non_null(f->port);
	assert_true(wait_carrier(f->port, true));
	host_view(after, sizeof(after));
	assert_string_equal(after, before);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
	inet_pton(AF_INET, "10.198.0.9", &to.sin_addr);
	assert_int_equal(sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	close(s);
	struct packet_batch got;
	packet_batch_init(&got);
	assert_int_equal(port_collect(f->port, f->pool, &got, 1, 2000, is_arp), 1);
	free_batch(&got);

	remove_port(f->port);
	f->port = NULL;
	assert_false(netdev_exists("br4"));
}

static void test_internal_frame_larger_than_buffer_is_counted_oversize(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_port(f, &internal_port_class, "br3", NULL);
	assert_non_null(f->port);
	f->peer = raw_socket("br3", false);
	uint8_t frame[2048];
	make_frame(frame, 600, 1); /* the pool holds 256 bytes */
	raw_send(f->peer, frame, 600);
	make_frame(frame, 256, 2);
	raw_send(f->peer, frame, 256);
	struct packet_batch got;
	packet_batch_init(&got);
	assert_int_equal(port_collect(f->port, f->pool, &got, 2, 300, from_test_source), 1);
	assert_int_equal(got.packets[0]->len, 256);
	assert_memory_equal(got.packets[0]->data, frame, 256);
	assert_int_equal(f->port->stats.rx_oversize, 1);
	free_batch(&got);
}

static void test_internal_port_carries_the_host_ip_traffic(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_port(f, &internal_port_class, "br1", NULL);
	assert_non_null(f->port);
	assert_int_equal(sh("ip addr add 10.199.0.1/24 dev br1"), 0);
	/* A datagram to a neighbour on br1: the host stack asks for its MAC. */
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
	inet_pton(AF_INET, "10.199.0.2", &to.sin_addr);
	assert_int_equal(sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	close(s);
	struct packet_batch got;
	packet_batch_init(&got);
	assert_int_equal(port_collect(f->port, f->pool, &got, 1, 2000, is_arp), 1);
	const uint8_t *arp = got.packets[0]->data + 14;
	const uint8_t target[4] = {10, 199, 0, 2};
	assert_int_equal(load_be16(arp + 6), 1); /* request */
	assert_memory_equal(arp + 24, target, 4);
	free_batch(&got);
}

static void test_internal_interface_deleted_under_the_port_leaves_it_down(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_port(f, &internal_port_class, "br6", NULL);
	assert_non_null(f->port);
	assert_int_equal(sh("ip link del br6"), 0);
	/* Not an error on every poll (the fd would wake the daemon for ever):
	 * the port lets go and reports no link. */
	struct packet_batch batch;
	packet_batch_init(&batch);
	assert_int_equal(f->port->class->recv(f->port, f->pool, &batch), 0);
	assert_int_equal(f->port->class->recv(f->port, f->pool, &batch), 0);
	assert_false(f->port->class->carrier(f->port));
	assert_int_equal(f->port->class->wait_fd(f->port), -1);
}

static void test_internal_port_refuses_an_interface_it_cannot_own(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	assert_null(open_port(f, &internal_port_class, "va", NULL));
	assert_string_equal(f->err, "port va: interface 'va' exists and is not a tap");
	assert_true(netdev_exists("va"));
	/* A tap whose queue someone holds is theirs, not a leftover of ours. */
	const char *const held[] = {"dev=held0", NULL};
	f->port = open_port(f, &tap_port_class, "held", held);
	assert_non_null(f->port);
	f->peer = qemu_attach("held0");
	assert_null(open_port(f, &internal_port_class, "br5", held));
	assert_string_equal(f->err, "port br5: tap 'held0' is in use (another vswitchd or a QEMU "
				    "holds its queue)");
	const char *const bogus[] = {"mtu=9000", NULL};
	assert_null(open_port(f, &internal_port_class, "br2", bogus));
	assert_non_null(strstr(f->err, "port br2: unknown option 'mtu'"));
}

/* ---- vnic ------------------------------------------------------------------ */

/* Whether someone holds the queue of tap `ifname`: attaching fails. */
static bool queue_held(const char *ifname)
{
	int fd = open("/dev/net/tun", O_RDWR);
	assert_true(fd >= 0);
	struct ifreq ifr = {0};
	copy_name(ifr.ifr_name, sizeof(ifr.ifr_name), ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	bool held = ioctl(fd, TUNSETIFF, &ifr) < 0 && errno == EBUSY;
	close(fd);
	return held;
}

/* Runs the vnic's recv() as the daemon's loop does, until `done(ifname)`
 * says so or 2 s pass. */
static bool run_vnic_until(struct fixture *f, struct port *vnic, bool (*done)(const char *),
			   const char *ifname)
{
	for (int i = 0; i < 200; i++) {
		struct packet_batch batch;
		packet_batch_init(&batch);
		assert_true(vnic->class->recv(vnic, f->pool, &batch) >= 0);
		packet_batch_free(&batch);
		if (done(ifname))
			return true;
		usleep(10000);
	}
	return false;
}

static bool queue_free(const char *ifname)
{
	return !queue_held(ifname);
}

static void test_vnic_waits_for_its_tap_and_attaches_when_it_appears(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	const char *const options[] = {"dev=trq", NULL};
	/* The VIOS starts first: the port is there, link down, and made no tap. */
	struct port *vnic = open_port(f, &vnic_port_class, "trk", options);
	assert_non_null(vnic);
	assert_false(netdev_exists("trq"));
	assert_false(vnic->class->carrier(vnic));

	/* The hypervisor switch makes the tap: the vnic takes its queue. */
	f->port = open_port(f, &tap_port_class, "trA", options);
	assert_non_null(f->port);
	assert_true(run_vnic_until(f, vnic, queue_held, "trq"));
	assert_true(wait_carrier(f->port, true));
	assert_true(vnic->class->carrier(vnic));
	uint8_t frame[2048];
	make_frame(frame, 200, 7);
	struct packet_batch batch;
	packet_batch_init(&batch);
	packet_batch_add(&batch, packet_from_bytes(f->pool, frame, 200));
	vnic->class->send(vnic, &batch);
	assert_int_equal(vnic->stats.tx_packets, 1);
	struct packet_batch got;
	packet_batch_init(&got);
	assert_int_equal(port_collect(f->port, f->pool, &got, 1, 1000, from_test_source), 1);
	free_batch(&got);

	/* The tap is deleted under it: it waits again, for the next one. */
	assert_int_equal(sh("ip link del trq"), 0);
	assert_true(run_vnic_until(f, vnic, queue_free, "trq"));
	assert_false(vnic->class->carrier(vnic));
	remove_port(f->port);
	f->port = open_port(f, &tap_port_class, "trA", options);
	assert_non_null(f->port);
	assert_true(run_vnic_until(f, vnic, queue_held, "trq"));
	assert_true(wait_carrier(f->port, true));

	/* The tap is the other switch's: closing the vnic leaves it. */
	remove_port(vnic);
	assert_true(netdev_exists("trq"));
}

static void test_vnic_lowered_before_its_tap_appears_attaches_link_down(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	const char *const options[] = {"dev=trz", NULL};
	struct port *vnic = open_port(f, &vnic_port_class, "trk", options);
	assert_non_null(vnic);
	/* A standby SEA's trunk: the hypervisor switch must not see it up. */
	assert_int_equal(vnic->class->set_link(vnic, false), 0);
	f->port = open_port(f, &tap_port_class, "trB", options);
	assert_non_null(f->port);
	assert_true(run_vnic_until(f, vnic, queue_held, "trz"));
	assert_false(f->port->class->carrier(f->port));
	assert_int_equal(vnic->class->set_link(vnic, true), 0);
	assert_true(wait_carrier(f->port, true));
	remove_port(vnic);
}

int main(void)
{
	netns_enter();
	if (skip_reason)
		fprintf(stderr, "test_netdev_ports: skipping every test: %s\n", skip_reason);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_afpacket_receives_peer_frames_in_order, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_afpacket_vlan_tag_stripped_by_kernel_arrives_as_metadata, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_afpacket_service_tag_goes_back_inline_for_the_parser, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_afpacket_frame_larger_than_buffer_is_counted_oversize, setup_small_pool,
		teardown),
	    cmocka_unit_test_setup_teardown(test_afpacket_ring_and_queue_keep_frames_in_order, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_afpacket_without_ring_keeps_frames_in_order, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_afpacket_rx_ring_option_is_checked, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_afpacket_ring_overflow_is_counted, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_afpacket_kernel_queue_overflow_is_counted, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_afpacket_send_delivers_untagged_and_tagged_frames,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_afpacket_port_does_not_receive_its_own_transmissions, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_afpacket_send_to_down_link_counts_tx_error_and_frees, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_afpacket_carrier_follows_the_peer_link, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_afpacket_interface_is_promiscuous_while_the_port_is_open, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_afpacket_sends_gso_super_frame_with_its_vnet_header, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_afpacket_receives_gso_super_frame_whole_with_offload, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_afpacket_unknown_option_is_rejected, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_afpacket_missing_interface_is_a_clear_error, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_tap_creates_a_device_without_carrier_until_qemu_attaches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tap_passes_frames_between_qemu_and_the_switch,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_tap_outlives_a_closed_port_and_is_removed_by_the_next, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tap_still_open_by_qemu_is_left_in_place_on_removal,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tap_made_by_someone_else_is_kept_on_removal, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_tap_on_an_interface_that_is_not_a_tap_is_refused,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_internal_port_is_an_interface_of_the_host_stack,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_internal_frame_larger_than_buffer_is_counted_oversize, setup_small_pool,
		teardown),
	    cmocka_unit_test_setup_teardown(test_internal_port_carries_the_host_ip_traffic, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_internal_interface_keeps_mac_address_route_and_mtu_across_a_close, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_internal_interface_deleted_under_the_port_leaves_it_down, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_internal_port_refuses_an_interface_it_cannot_own,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_vnic_waits_for_its_tap_and_attaches_when_it_appears, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_vnic_lowered_before_its_tap_appears_attaches_link_down, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
