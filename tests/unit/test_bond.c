/* test_bond.c — the bond port, active-backup and balance-slb, on real
 * interfaces. Two veth pairs, m1/p1 and m2/p2: m1 and m2 are the bond's
 * members, p1 and p2 stand for the physical switch, read and written with
 * raw packet sockets. Taking p1 down takes m1's carrier away, as a pulled
 * cable would. Needs root: the process moves into a private network
 * namespace (as test_netdev_ports.c does); without root every test is
 * skipped with a message. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "netns.h"
#include "lib/packet.h"
#include "lib/util.h"
#include "port/bond.h"
#include "port/port.h"

#define ETH_TYPE_TEST 0x88b5 /* IEEE local experimental */

static const uint8_t dst_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t src_mac[6] = {0x02, 0, 0, 0, 0, 0x01};

struct fixture {
	struct packet_pool *pool;
	struct port *port;
	int p1, p2; /* raw packet sockets on the "physical switch" side */
	char err[256];
};

/* ---- set-up ---------------------------------------------------------------- */

static void make_frame(uint8_t *frame, uint32_t len, uint8_t seq)
{
	memcpy(frame, dst_mac, 6);
	memcpy(frame + 6, src_mac, 6);
	store_be16(frame + 12, ETH_TYPE_TEST);
	for (uint32_t i = 14; i < len; i++)
		frame[i] = (uint8_t)(seq + i);
}

static struct port *open_bond(struct fixture *f, const char *name, const char *const *options)
{
	f->err[0] = '\0';
	return port_create(name, "bond", options, f->err, sizeof(f->err));
}

static void close_bond(struct port *port)
{
	port_destroy(port);
}

static int raw_socket(const char *ifname)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	int one = 1;
	assert_int_equal(setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)), 0);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = (int)if_nametoindex(ifname)};
	assert_true(sll.sll_ifindex > 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return fd;
}

static void raw_send(int fd, uint8_t seq)
{
	uint8_t frame[100];
	make_frame(frame, sizeof(frame), seq);
	assert_int_equal(send(fd, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
}

/* Reads the next frame from source `src` (5 bytes compared) within `ms`;
 * returns its length or -1. */
static int raw_recv_from(int fd, const uint8_t *src, uint8_t *buf, size_t size, int ms)
{
	uint64_t deadline = time_now_ns() + (uint64_t)ms * 1000000ULL;
	while (time_now_ns() < deadline) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		ssize_t n = recv(fd, buf, size, 0);
		if (n >= 12 && memcmp(buf + 6, src, 5) == 0)
			return (int)n;
	}
	return -1;
}

static int raw_recv(int fd, uint8_t *buf, size_t size, int ms)
{
	return raw_recv_from(fd, src_mac, buf, size, ms);
}

/* Sends one test frame through the bond. */
static void bond_send_frame(struct fixture *f, uint8_t seq)
{
	uint8_t frame[100];
	make_frame(frame, sizeof(frame), seq);
	struct packet_batch batch;
	packet_batch_init(&batch);
	struct packet *p = packet_from_bytes(f->pool, frame, sizeof(frame));
	assert_non_null(p);
	packet_batch_add(&batch, p);
	f->port->class->send(f->port, &batch);
	assert_int_equal(batch.count, 0);
}

/* Receives from the bond for `ms`, or until `want` test frames and
 * `want_dropped` uplink-inactive drops are in; returns the test frames
 * delivered, the payload byte 14 of each (its seq + 14) in seqs. */
static uint32_t bond_collect(struct fixture *f, uint32_t want, uint64_t want_dropped, int ms,
			     uint8_t *seqs)
{
	uint32_t got = 0;
	uint64_t deadline = time_now_ns() + (uint64_t)ms * 1000000ULL;
	while (time_now_ns() < deadline &&
	       (got < want || f->port->counters.drops[DROP_UPLINK_INACTIVE] < want_dropped)) {
		struct pollfd pfd = {.fd = f->port->class->wait_fd(f->port), .events = POLLIN};
		poll(&pfd, 1, 20);
		struct packet_batch batch;
		packet_batch_init(&batch);
		int n = f->port->class->recv(f->port, f->pool, &batch);
		assert_true(n >= 0);
		assert_int_equal((uint32_t)n, batch.count);
		for (uint32_t i = 0; i < batch.count; i++) {
			struct packet *p = batch.packets[i];
			if (p->len >= 15 && memcmp(p->data + 6, src_mac, 6) == 0) {
				if (seqs)
					seqs[got] = (uint8_t)(p->data[14] - 14);
				got++;
			}
		}
		packet_batch_free(&batch);
	}
	return got;
}

/* Calls update_stats until the active member is `want` (NULL: none), up to
 * 2 s: a veth's carrier follows its peer at once, but the kernel may take a
 * moment. */
static bool wait_active(struct port *port, const char *want)
{
	for (int i = 0; i < 200; i++) {
		port->class->update_stats(port);
		const char *active = bond_active_member(port);
		if (want ? active && strcmp(active, want) == 0 : !active)
			return true;
		usleep(10000);
	}
	return false;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->p1 = f->p2 = -1;
	f->pool = packet_pool_create(BATCH_SIZE * 4, 2048);
	if (!f->pool) {
		free(f);
		return -1;
	}
	*state = f;
	if (!skip_reason &&
	    sh("ip link add m1 type veth peer name p1 && ip link add m2 type veth peer name p2 && "
	       "ip link set m1 up && ip link set p1 up && ip link set m2 up && "
	       "ip link set p2 up") != 0)
		return -1;
	if (!skip_reason) {
		f->p1 = raw_socket("p1");
		f->p2 = raw_socket("p2");
	}
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (f->p1 >= 0)
		close(f->p1);
	if (f->p2 >= 0)
		close(f->p2);
	close_bond(f->port);
	if (!skip_reason)
		sh("ip link del m1 2>/dev/null; ip link del m2 2>/dev/null; "
		   "ip link del m3 2>/dev/null");
	int result = f->pool->available == f->pool->size ? 0 : -1;
	if (result)
		print_error("%u packets not returned to the pool\n",
			    f->pool->size - f->pool->available);
	packet_pool_destroy(f->pool);
	free(f);
	return result;
}

static const char *const two_members[] = {"members=m1,m2", NULL};
static const char *const primary_m1[] = {"members=m1,m2", "mode=active-backup", "primary=m1", NULL};

/* ---- traffic ------------------------------------------------------------------ */

static void test_bond_sends_only_through_the_active_member(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_bond(f, "bond0", two_members);
	assert_non_null(f->port);
	assert_true(f->port->features & PORT_F_OFFLOAD);
	assert_string_equal(bond_active_member(f->port), "m1");
	uint8_t buf[2048];
	for (uint8_t seq = 1; seq <= 3; seq++)
		bond_send_frame(f, seq);
	for (int i = 0; i < 3; i++)
		assert_int_equal(raw_recv(f->p1, buf, sizeof(buf), 1000), 100);
	assert_int_equal(raw_recv(f->p2, buf, sizeof(buf), 200), -1);
	assert_int_equal(f->port->counters.tx_packets, 3);
}

static void test_bond_delivers_the_active_member_frames_and_drops_the_backup_ones(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_bond(f, "bond0", two_members);
	assert_non_null(f->port);
	raw_send(f->p2, 10); /* a physical switch flooding to both members */
	raw_send(f->p1, 1);
	raw_send(f->p2, 11);
	raw_send(f->p1, 2);
	raw_send(f->p2, 12);
	uint8_t seqs[8];
	assert_int_equal(bond_collect(f, 2, 3, 1000, seqs), 2);
	assert_int_equal(seqs[0], 1);
	assert_int_equal(seqs[1], 2);
	assert_int_equal(f->port->counters.drops[DROP_UPLINK_INACTIVE], 3);
}

static void test_bond_wait_fd_is_readable_when_any_member_has_frames(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_bond(f, "bond0", two_members);
	assert_non_null(f->port);
	int fd = f->port->class->wait_fd(f->port);
	assert_true(fd >= 0);
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	bond_collect(f, 0, 0, 50, NULL); /* nothing pending */
	assert_int_equal(poll(&pfd, 1, 0), 0);
	raw_send(f->p2, 1);
	assert_int_equal(poll(&pfd, 1, 1000), 1);
	assert_int_equal(bond_collect(f, 0, 1, 1000, NULL), 0);
	assert_int_equal(poll(&pfd, 1, 0), 0); /* drained */
	raw_send(f->p1, 2);
	assert_int_equal(poll(&pfd, 1, 1000), 1);
	assert_int_equal(bond_collect(f, 1, 0, 1000, NULL), 1);
}

/* ---- failover ------------------------------------------------------------------ */

static void test_bond_fails_over_when_the_active_member_loses_carrier(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_bond(f, "bond0", two_members);
	assert_non_null(f->port);
	assert_int_equal(bond_failovers(f->port), 0);
	assert_int_equal(sh("ip link set p1 down"), 0);
	assert_true(wait_active(f->port, "m2"));
	assert_int_equal(bond_failovers(f->port), 1);
	assert_true(f->port->class->carrier(f->port));

	uint8_t buf[2048];
	bond_send_frame(f, 1);
	assert_int_equal(raw_recv(f->p2, buf, sizeof(buf), 1000), 100);
	raw_send(f->p2, 7);
	uint8_t seqs[4];
	assert_int_equal(bond_collect(f, 1, 0, 1000, seqs), 1);
	assert_int_equal(seqs[0], 7);
	assert_int_equal(f->port->counters.drops[DROP_UPLINK_INACTIVE], 0);
}

static void test_bond_without_primary_stays_on_the_new_member_when_the_old_is_back(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_bond(f, "bond0", two_members);
	assert_non_null(f->port);
	assert_int_equal(sh("ip link set p1 down"), 0);
	assert_true(wait_active(f->port, "m2"));
	assert_int_equal(sh("ip link set p1 up"), 0);
	usleep(100000);
	for (int i = 0; i < 5; i++)
		f->port->class->update_stats(f->port);
	assert_string_equal(bond_active_member(f->port), "m2");
	assert_int_equal(bond_failovers(f->port), 1);
}

static void test_bond_returns_to_the_primary_when_it_is_back(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_bond(f, "bond0", primary_m1);
	assert_non_null(f->port);
	assert_string_equal(bond_active_member(f->port), "m1");
	assert_int_equal(sh("ip link set p1 down"), 0);
	assert_true(wait_active(f->port, "m2"));
	assert_int_equal(sh("ip link set p1 up"), 0);
	assert_true(wait_active(f->port, "m1"));
	assert_int_equal(bond_failovers(f->port), 2);

	char text[256];
	assert_int_equal(bond_describe(f->port, text, sizeof(text)), 0);
	assert_string_equal(text, "mode active-backup, active m1 (primary), members: m1 up active, "
				  "m2 up backup; failovers 2, last: primary m1 back");
	uint8_t buf[2048];
	bond_send_frame(f, 1);
	assert_int_equal(raw_recv(f->p1, buf, sizeof(buf), 1000), 100);
	assert_int_equal(raw_recv(f->p2, buf, sizeof(buf), 200), -1);
}

static void test_bond_starts_on_the_primary_even_when_it_is_not_first(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	const char *const options[] = {"members=m1,m2", "primary=m2", NULL};
	f->port = open_bond(f, "bond0", options);
	assert_non_null(f->port);
	assert_string_equal(bond_active_member(f->port), "m2");
	assert_int_equal(bond_failovers(f->port), 0);
}

static void test_bond_send_failure_on_the_active_member_fails_over_at_once(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_bond(f, "bond0", two_members);
	assert_non_null(f->port);
	assert_int_equal(sh("ip link set m1 down"), 0); /* sending on it: ENETDOWN */
	bond_send_frame(f, 1);
	assert_int_equal(f->port->counters.drops[DROP_TX_ERROR], 1);
	/* No update_stats() in between: the failed send moved the traffic. */
	assert_string_equal(bond_active_member(f->port), "m2");
	assert_int_equal(bond_failovers(f->port), 1);
	char text[256];
	assert_int_equal(bond_describe(f->port, text, sizeof(text)), 0);
	assert_non_null(strstr(text, "last: m1 down (send failed)"));
	uint8_t buf[2048];
	bond_send_frame(f, 2);
	assert_int_equal(raw_recv(f->p2, buf, sizeof(buf), 1000), 100);
	/* Announcements pending, no switch: update_stats() must not crash. */
	f->port->class->update_stats(f->port);
	f->port->class->update_stats(f->port);
}

static void test_bond_carrier_is_down_only_when_every_member_is_down(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_bond(f, "bond0", two_members);
	assert_non_null(f->port);
	assert_true(f->port->class->carrier(f->port));
	assert_int_equal(sh("ip link set p2 down"), 0); /* a backup: nothing moves */
	assert_true(wait_active(f->port, "m1"));
	assert_true(f->port->class->carrier(f->port));
	assert_int_equal(bond_failovers(f->port), 0);
	assert_int_equal(sh("ip link set p1 down"), 0);
	assert_true(wait_active(f->port, NULL));
	assert_false(f->port->class->carrier(f->port));

	char text[256];
	assert_int_equal(bond_describe(f->port, text, sizeof(text)), 0);
	assert_non_null(strstr(text, "active none, members: m1 down backup, m2 down backup"));
	bond_send_frame(f, 1); /* nowhere to go: counted, freed */
	assert_int_equal(f->port->counters.drops[DROP_TX_ERROR], 1);

	assert_int_equal(sh("ip link set p2 up"), 0);
	assert_true(wait_active(f->port, "m2"));
	assert_true(f->port->class->carrier(f->port));
	assert_int_equal(bond_failovers(f->port), 1);
}

/* The engine side: a failover announces the switch's client MACs through
 * the new member, from update_stats() as switch_run() calls it. */
static void test_bond_failover_announces_client_macs_through_the_new_member(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	struct vswitch *sw = test_switch(SWITCH_MODE_AUTHORITATIVE);
	struct port *vm = test_port(sw, "vm1", 1, NULL, false);
	struct port *bond = open_bond(f, "bond0", two_members);
	assert_non_null(bond);
	struct port_config config;
	port_config_init(&config);
	config.uplink = true;
	char err[256];
	assert_int_equal(switch_add_port(sw, bond, &config, err, sizeof(err)), 0);
	test_send(sw, vm, test_broadcast, test_mac(1), -1); /* learned; flooded out m1 */
	uint8_t buf[2048];
	assert_true(raw_recv_from(f->p1, test_mac(1), buf, sizeof(buf), 1000) > 0);

	assert_int_equal(sh("ip link set p1 down"), 0);
	for (int i = 0;
	     i < 200 && !(bond_active_member(bond) && strcmp(bond_active_member(bond), "m2") == 0);
	     i++) {
		switch_run(sw, 1001 + (uint32_t)i);
		usleep(10000);
	}
	assert_string_equal(bond_active_member(bond), "m2");
	int n = raw_recv_from(f->p2, test_mac(1), buf, sizeof(buf), 1000);
	assert_int_equal(n, 60);
	assert_int_equal(load_be16(buf + 12), 0x8035); /* RARP */
	test_switch_destroy(sw);		       /* closes the bond too */
}

/* ---- balance-slb ------------------------------------------------------------------ */

static const char *const slb_two_members[] = {"members=m1,m2", "mode=balance-slb", NULL};

#define SLB_SOURCES 16

/* The VMs behind the bond: 02:00:00:00:10:00 to 02:00:00:00:10:0f. */
static const uint8_t slb_source_prefix[5] = {0x02, 0, 0, 0, 0x10};

/* Sends one frame from each VM through the bond, one batch. */
static void slb_send_from_every_source(struct fixture *f)
{
	struct packet_batch batch;
	packet_batch_init(&batch);
	for (uint8_t i = 0; i < SLB_SOURCES; i++) {
		uint8_t frame[100];
		make_frame(frame, sizeof(frame), i);
		memcpy(frame + 6, slb_source_prefix, 5);
		frame[11] = i;
		struct packet *p = packet_from_bytes(f->pool, frame, sizeof(frame));
		assert_non_null(p);
		packet_batch_add(&batch, p);
	}
	f->port->class->send(f->port, &batch);
	assert_int_equal(batch.count, 0);
}

/* Reads the VMs' frames from a "physical switch" socket until none has come
 * for 200 ms, counting them per VM in counts; returns how many. */
static int slb_count_sources(int fd, int *counts)
{
	int total = 0;
	uint8_t buf[2048];
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 200) <= 0)
			return total;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n >= 12 && memcmp(buf + 6, slb_source_prefix, 5) == 0 &&
		    buf[11] < SLB_SOURCES) {
			counts[buf[11]]++;
			total++;
		}
	}
}

/* Sends `rounds` frames from every VM; fills member[i] with 1 or 2, the
 * member that carried VM i's frames, failing if a VM used both or lost one. */
static void slb_send_and_map(struct fixture *f, int rounds, int *member)
{
	for (int r = 0; r < rounds; r++)
		slb_send_from_every_source(f);
	int on_m1[SLB_SOURCES] = {0}, on_m2[SLB_SOURCES] = {0};
	slb_count_sources(f->p1, on_m1);
	slb_count_sources(f->p2, on_m2);
	for (int i = 0; i < SLB_SOURCES; i++) {
		if (on_m1[i] + on_m2[i] != rounds || (on_m1[i] && on_m2[i]))
			fail_msg("VM %d: %d frames on m1, %d on m2, of %d", i, on_m1[i], on_m2[i],
				 rounds);
		member[i] = on_m1[i] ? 1 : 2;
	}
}

static int slb_count_on(const int *member, int which)
{
	int n = 0;
	for (int i = 0; i < SLB_SOURCES; i++)
		n += member[i] == which;
	return n;
}

static void test_slb_spreads_sources_over_members_and_keeps_each_on_one(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_bond(f, "bond0", slb_two_members);
	assert_non_null(f->port);
	assert_string_equal(bond_active_member(f->port), "m1"); /* designated */
	int member[SLB_SOURCES];
	slb_send_and_map(f, 3, member);
	assert_true(slb_count_on(member, 1) > 0);
	assert_true(slb_count_on(member, 2) > 0);
	assert_int_equal(f->port->counters.tx_packets, 3 * SLB_SOURCES);
	/* The mapping is a function of the source alone: again, the same. */
	int again[SLB_SOURCES];
	slb_send_and_map(f, 1, again);
	assert_memory_equal(member, again, sizeof(member));
}

static void test_slb_moves_every_source_to_the_live_member_and_back(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_bond(f, "bond0", slb_two_members);
	assert_non_null(f->port);
	char text[256];
	assert_int_equal(bond_describe(f->port, text, sizeof(text)), 0);
	assert_string_equal(text, "mode balance-slb, members: m1 up (designated for broadcast), "
				  "m2 up; failovers 0");
	int before[SLB_SOURCES];
	slb_send_and_map(f, 1, before);

	assert_int_equal(sh("ip link set p1 down"), 0);
	assert_true(wait_active(f->port, "m2")); /* m1 down: m2 is designated */
	assert_true(f->port->class->carrier(f->port));
	assert_int_equal(bond_failovers(f->port), 1);
	assert_int_equal(bond_describe(f->port, text, sizeof(text)), 0);
	assert_string_equal(text, "mode balance-slb, members: m1 down, m2 up (designated for "
				  "broadcast); failovers 1, last: m1 down");
	int during[SLB_SOURCES];
	slb_send_and_map(f, 2, during);
	assert_int_equal(slb_count_on(during, 2), SLB_SOURCES);
	assert_int_equal(f->port->counters.drops[DROP_TX_ERROR], 0);

	assert_int_equal(sh("ip link set p1 up"), 0);
	assert_true(wait_active(f->port, "m1"));
	assert_int_equal(bond_failovers(f->port), 2);
	assert_int_equal(bond_describe(f->port, text, sizeof(text)), 0);
	assert_non_null(strstr(text, "failovers 2, last: m1 up"));
	int after[SLB_SOURCES];
	slb_send_and_map(f, 2, after);
	assert_memory_equal(before, after, sizeof(before)); /* m1 has its share back */
}

static void test_slb_send_failure_moves_the_member_sources_at_once(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_bond(f, "bond0", slb_two_members);
	assert_non_null(f->port);
	int member[SLB_SOURCES];
	slb_send_and_map(f, 1, member);
	int on_m1 = slb_count_on(member, 1);
	assert_true(on_m1 > 0);

	assert_int_equal(sh("ip link set m1 down"), 0); /* sending on it: ENETDOWN */
	slb_send_from_every_source(f);
	assert_int_equal(f->port->counters.drops[DROP_TX_ERROR], on_m1);
	/* No update_stats() in between: the failed send moved m1's sources. */
	assert_string_equal(bond_active_member(f->port), "m2");
	assert_int_equal(bond_failovers(f->port), 1);
	char text[256];
	assert_int_equal(bond_describe(f->port, text, sizeof(text)), 0);
	assert_non_null(strstr(text, "last: m1 down (send failed)"));
	int counts[SLB_SOURCES] = {0};
	assert_int_equal(slb_count_sources(f->p2, counts), SLB_SOURCES - on_m1);
	int during[SLB_SOURCES];
	slb_send_and_map(f, 1, during);
	assert_int_equal(slb_count_on(during, 2), SLB_SOURCES);
	f->port->class->update_stats(f->port); /* announcements pending, no switch */

	assert_int_equal(sh("ip link set p1 down"), 0); /* m2's link stays */
	assert_int_equal(sh("ip link set p2 down"), 0);
	assert_true(wait_active(f->port, NULL));
	assert_false(f->port->class->carrier(f->port));
	slb_send_from_every_source(f); /* nowhere to go: counted, freed */
	assert_int_equal(f->port->counters.drops[DROP_TX_ERROR], on_m1 + SLB_SOURCES);
}

/* Sends a test frame (source src_mac) to `dst` from the physical switch. */
static void raw_send_to(int fd, const uint8_t *dst, uint8_t seq)
{
	uint8_t frame[100];
	make_frame(frame, sizeof(frame), seq);
	memcpy(frame, dst, 6);
	assert_int_equal(send(fd, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
}

static const uint8_t broadcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t multicast_mac[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};

static void test_slb_accepts_broadcast_only_on_the_designated_member(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_bond(f, "bond0", slb_two_members);
	assert_non_null(f->port);
	raw_send_to(f->p2, broadcast_mac, 10); /* flooded to both members */
	raw_send_to(f->p1, broadcast_mac, 1);
	raw_send_to(f->p2, multicast_mac, 11);
	raw_send_to(f->p1, multicast_mac, 2);
	uint8_t seqs[8];
	assert_int_equal(bond_collect(f, 2, 2, 1000, seqs), 2);
	assert_int_equal(seqs[0], 1);
	assert_int_equal(seqs[1], 2);
	assert_int_equal(f->port->counters.drops[DROP_UPLINK_INACTIVE], 2);

	/* With m1 down, m2 is the designated member. */
	assert_int_equal(sh("ip link set p1 down"), 0);
	assert_true(wait_active(f->port, "m2"));
	raw_send_to(f->p2, broadcast_mac, 12);
	assert_int_equal(bond_collect(f, 1, 0, 1000, seqs), 1);
	assert_int_equal(seqs[0], 12);
	assert_int_equal(f->port->counters.drops[DROP_UPLINK_INACTIVE], 2);
}

/* Sends a test frame from VM `vm` to `dst` from the physical switch, as
 * when it floods a frame of ours back to us. */
static void raw_send_as_vm(int fd, const uint8_t *dst, uint8_t vm, uint8_t seq)
{
	uint8_t frame[100];
	make_frame(frame, sizeof(frame), seq);
	memcpy(frame, dst, 6);
	memcpy(frame + 6, slb_source_prefix, 5);
	frame[11] = vm;
	assert_int_equal(send(fd, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
}

/* Receives from the bond for up to 1 s, or until `want` frames from the VMs
 * and `want_dropped` uplink-inactive drops are in; counts the frames
 * delivered per VM in from. */
static int slb_collect(struct fixture *f, int want, uint64_t want_dropped, int *from)
{
	int got = 0;
	uint64_t deadline = time_now_ns() + 1000000000ULL;
	while (time_now_ns() < deadline &&
	       (got < want || f->port->counters.drops[DROP_UPLINK_INACTIVE] < want_dropped)) {
		struct pollfd pfd = {.fd = f->port->class->wait_fd(f->port), .events = POLLIN};
		poll(&pfd, 1, 20);
		struct packet_batch batch;
		packet_batch_init(&batch);
		assert_true(f->port->class->recv(f->port, f->pool, &batch) >= 0);
		for (uint32_t i = 0; i < batch.count; i++) {
			const uint8_t *frame = batch.packets[i]->data;
			if (memcmp(frame + 6, slb_source_prefix, 5) == 0 &&
			    frame[11] < SLB_SOURCES) {
				from[frame[11]]++;
				got++;
			}
		}
		packet_batch_free(&batch);
	}
	return got;
}

static void test_slb_drops_our_own_frames_flooded_back_by_another_member(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_bond(f, "bond0", slb_two_members);
	assert_non_null(f->port);
	int member[SLB_SOURCES];
	slb_send_and_map(f, 1, member);
	uint8_t a = 0, b = 0; /* a VM that leaves by m1, one by m2 */
	while (member[a] != 1)
		a++;
	while (member[b] != 2)
		b++;

	raw_send_as_vm(f->p2, dst_mac, a, 1);	    /* back by the other member: dropped */
	raw_send_as_vm(f->p1, dst_mac, b, 2);	    /* dropped */
	raw_send_as_vm(f->p1, broadcast_mac, b, 3); /* on the designated member: dropped */
	raw_send_as_vm(f->p1, dst_mac, a, 4);	    /* by its own member: accepted */
	raw_send_as_vm(f->p2, dst_mac, b, 5);	    /* accepted */
	int from[SLB_SOURCES] = {0};
	assert_int_equal(slb_collect(f, 2, 3, from), 2);
	assert_int_equal(from[a], 1);
	assert_int_equal(from[b], 1);
	assert_int_equal(f->port->counters.drops[DROP_UPLINK_INACTIVE], 3);

	/* Seconds after we last sent for it, a source is no longer ours (a VM
	 * that moved away): its frames pass on any member. */
	for (int i = 0; i < 3; i++)
		f->port->class->update_stats(f->port);
	raw_send_as_vm(f->p2, dst_mac, a, 6);
	memset(from, 0, sizeof(from));
	assert_int_equal(slb_collect(f, 1, 0, from), 1);
	assert_int_equal(from[a], 1);
	assert_int_equal(f->port->counters.drops[DROP_UPLINK_INACTIVE], 3);
}

static void test_slb_accepts_unicast_on_every_member(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_bond(f, "bond0", slb_two_members);
	assert_non_null(f->port);
	raw_send(f->p1, 1);
	raw_send(f->p2, 2);
	raw_send(f->p1, 3);
	raw_send(f->p2, 4);
	uint8_t seqs[8];
	assert_int_equal(bond_collect(f, 4, 0, 1000, seqs), 4);
	int seen = 0;
	for (int i = 0; i < 4; i++)
		seen |= 1 << seqs[i];
	assert_int_equal(seen, 0x1e);
	assert_int_equal(f->port->counters.drops[DROP_UPLINK_INACTIVE], 0);
}

/* ---- configuration errors -------------------------------------------------------- */

static void assert_refused(struct fixture *f, const char *const *options, const char *message)
{
	struct port *port = open_bond(f, "bond0", options);
	if (port) {
		close_bond(port);
		fail_msg("bond opened with options that should be refused (%s)", message);
	}
	if (!strstr(f->err, message))
		fail_msg("error '%s' does not say '%s'", f->err, message);
}

static void test_slb_refuses_a_primary(void **state)
{
	REQUIRE_NETNS();
	assert_refused(
	    *state, (const char *const[]){"members=m1,m2", "mode=balance-slb", "primary=m1", NULL},
	    "port bond0: primary= applies to mode active-backup only, not balance-slb");
}

static void test_bond_refuses_an_unknown_mode(void **state)
{
	REQUIRE_NETNS();
	assert_refused(*state, (const char *const[]){"members=m1,m2", "mode=balance-rr", NULL},
		       "port bond0: bond mode 'balance-rr' is not supported (supported: "
		       "active-backup, balance-slb)");
}

static void test_bond_refuses_fewer_than_two_or_more_than_eight_members(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	assert_refused(f, (const char *const[]){"members=m1", NULL},
		       "port bond0: a bond takes 2-8 members, members= lists 1");
	assert_refused(f, (const char *const[]){"members=a,b,c,d,e,f,g,h,i", NULL},
		       "port bond0: a bond takes 2-8 members, members= lists 9");
	assert_refused(f, (const char *const[]){"mode=active-backup", NULL},
		       "port bond0: a bond needs members=IF1,IF2[,...]");
	assert_refused(f, (const char *const[]){"members=m1,,m2", NULL},
		       "port bond0: members 'm1,,m2' has an empty interface name");
}

static void test_bond_refuses_a_member_listed_twice(void **state)
{
	REQUIRE_NETNS();
	assert_refused(*state, (const char *const[]){"members=m1,m2,m1", NULL},
		       "port bond0: member m1 is listed twice");
}

static void test_bond_refuses_a_primary_that_is_not_a_member(void **state)
{
	REQUIRE_NETNS();
	assert_refused(*state, (const char *const[]){"members=m1,m2", "primary=p1", NULL},
		       "port bond0: primary 'p1' is not one of the members");
}

static void test_bond_refuses_a_member_that_does_not_exist(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	assert_refused(f, (const char *const[]){"members=m1,nope", NULL},
		       "port bond0: no such interface 'nope'");
	/* What the failed open took is given back: m1 is free again. */
	f->port = open_bond(f, "bond0", two_members);
	assert_non_null(f->port);
}

static void test_bond_refuses_unknown_options_and_bad_buffer_sizes(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	assert_refused(f, (const char *const[]){"members=m1,m2", "lacp-rate=fast", NULL},
		       "port bond0: unknown option 'lacp-rate'");
	assert_refused(f, (const char *const[]){"members=m1,m2", "miimon=5", NULL},
		       "port bond0: miimon '5' must be 10-60000 (milliseconds)");
	assert_refused(f, (const char *const[]){"members=m1,m2", "miimon=fast", NULL},
		       "port bond0: miimon 'fast' must be 10-60000 (milliseconds)");
	assert_refused(f, (const char *const[]){"members=m1,m2", "rcvbuf-kb=1", NULL},
		       "port bond0: rcvbuf-kb '1' must be");
	const char *const sized[] = {"members=m1,m2", "rcvbuf-kb=256", "sndbuf-kb=256", NULL};
	f->port = open_bond(f, "bond0", sized);
	assert_non_null(f->port);
}

static void test_bond_refuses_an_interface_already_in_another_bond(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	assert_int_equal(sh("ip link add m3 type veth peer name p3 && ip link set m3 up"), 0);
	f->port = open_bond(f, "bond0", two_members);
	assert_non_null(f->port);
	assert_refused(f, (const char *const[]){"members=m3,m2", NULL},
		       "port bond0: interface m2 is already a member of bond0");
	struct port *other = open_bond(f, "bond1", (const char *const[]){"members=m3,m2", NULL});
	assert_null(other);
	assert_string_equal(f->err, "port bond1: interface m2 is already a member of bond0");
	/* Once bond0 is gone, its members are free. */
	close_bond(f->port);
	f->port = open_bond(f, "bond1", (const char *const[]){"members=m3,m2", NULL});
	assert_non_null(f->port);
}

static void test_bond_describe_refuses_other_ports_and_says_when_cut(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_bond(f, "bond0", two_members);
	assert_non_null(f->port);
	char text[256];
	assert_int_equal(bond_describe(f->port, text, sizeof(text)), 0);
	assert_string_equal(
	    text,
	    "mode active-backup, active m1, members: m1 up active, m2 up backup; failovers 0");
	char small[16];
	assert_int_equal(bond_describe(f->port, small, sizeof(small)), -ENOSPC);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	struct port not_a_bond = {.class = &pipe_port_class};
	assert_int_equal(bond_describe(&not_a_bond, text, sizeof(text)), -EINVAL);
	assert_null(bond_active_member(&not_a_bond));
	assert_int_equal(bond_failovers(&not_a_bond), 0);
}

int main(void)
{
	netns_enter();
	if (skip_reason)
		fprintf(stderr, "test_bond: skipping every test: %s\n", skip_reason);
#define BOND_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    BOND_TEST(test_bond_sends_only_through_the_active_member),
	    BOND_TEST(test_bond_delivers_the_active_member_frames_and_drops_the_backup_ones),
	    BOND_TEST(test_bond_wait_fd_is_readable_when_any_member_has_frames),
	    BOND_TEST(test_bond_fails_over_when_the_active_member_loses_carrier),
	    BOND_TEST(test_bond_without_primary_stays_on_the_new_member_when_the_old_is_back),
	    BOND_TEST(test_bond_returns_to_the_primary_when_it_is_back),
	    BOND_TEST(test_bond_starts_on_the_primary_even_when_it_is_not_first),
	    BOND_TEST(test_bond_send_failure_on_the_active_member_fails_over_at_once),
	    BOND_TEST(test_bond_carrier_is_down_only_when_every_member_is_down),
	    BOND_TEST(test_bond_failover_announces_client_macs_through_the_new_member),
	    BOND_TEST(test_slb_spreads_sources_over_members_and_keeps_each_on_one),
	    BOND_TEST(test_slb_moves_every_source_to_the_live_member_and_back),
	    BOND_TEST(test_slb_send_failure_moves_the_member_sources_at_once),
	    BOND_TEST(test_slb_accepts_broadcast_only_on_the_designated_member),
	    BOND_TEST(test_slb_accepts_unicast_on_every_member),
	    BOND_TEST(test_slb_drops_our_own_frames_flooded_back_by_another_member),
	    BOND_TEST(test_slb_refuses_a_primary),
	    BOND_TEST(test_bond_refuses_an_unknown_mode),
	    BOND_TEST(test_bond_refuses_fewer_than_two_or_more_than_eight_members),
	    BOND_TEST(test_bond_refuses_a_member_listed_twice),
	    BOND_TEST(test_bond_refuses_a_primary_that_is_not_a_member),
	    BOND_TEST(test_bond_refuses_a_member_that_does_not_exist),
	    BOND_TEST(test_bond_refuses_unknown_options_and_bad_buffer_sizes),
	    BOND_TEST(test_bond_refuses_an_interface_already_in_another_bond),
	    BOND_TEST(test_bond_describe_refuses_other_ports_and_says_when_cut),
	};
#undef BOND_TEST
	return cmocka_run_group_tests(tests, NULL, NULL);
}
