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
	int p1, p2;	/* raw packet sockets on the "physical switch" side */
	int answer_vid; /* >= 0: bond_pump() answers probes on that VLAN (0: untagged) */
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
	       (got < want || f->port->stats.rx_inactive < want_dropped)) {
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

/* Plays the ARP target on VLAN `vid` (0: untagged) behind raw socket `fd`
 * (PACKET_AUXDATA on, so a tag the kernel took off is seen): answers each
 * probe for ARP_TARGET with a reply to the prober, tagged like the probe.
 * Returns how many it answered. */
static int arp_answer(int fd, int vid)
{
	static const uint8_t target[4] = {192, 0, 2, 1};
	static const uint8_t far_mac[6] = {0x02, 0, 0, 0, 0, 0xfa};
	int answered = 0;
	for (;;) {
		uint8_t frame[2048];
		union {
			char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
			struct cmsghdr align;
		} control;
		struct iovec iov = {.iov_base = frame, .iov_len = sizeof(frame)};
		struct msghdr msg = {.msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = control.buf,
				     .msg_controllen = sizeof(control.buf)};
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n < 0)
			return answered;
		int tagged_vid = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			struct tpacket_auxdata aux;
			if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA)
				continue;
			memcpy(&aux, CMSG_DATA(c), sizeof(aux));
			if (aux.tp_status & TP_STATUS_VLAN_VALID)
				tagged_vid = aux.tp_vlan_tci & 0xfff;
		}
		if (n < 42 || load_be16(frame + 12) != 0x0806 || load_be16(frame + 20) != 1 ||
		    tagged_vid != vid || memcmp(frame + 38, target, 4) != 0)
			continue;
		uint8_t reply[64] = {0};
		uint8_t *arp = reply + (vid ? 18 : 14);
		memcpy(reply, frame + 6, 6);
		memcpy(reply + 6, far_mac, 6);
		if (vid) {
			store_be16(reply + 12, 0x8100);
			store_be16(reply + 14, (uint16_t)vid);
		}
		store_be16(arp - 2, 0x0806);
		memcpy(arp, frame + 14, 6); /* Ethernet, IPv4, 6, 4 */
		store_be16(arp + 6, 2);	    /* reply */
		memcpy(arp + 8, far_mac, 6);
		memcpy(arp + 14, target, 4);
		memcpy(arp + 18, frame + 22, 10); /* to the prober's MAC and IP */
		assert_int_equal(send(fd, reply, vid ? 64 : 60, 0), vid ? 64 : 60);
		answered++;
	}
}

/* Runs the bond's receive path for `ms` (its timers run from there, as in
 * the daemon), or until its active member is `want` (NULL: run the whole
 * time). Counts the frames delivered and among them the ARP ones. Returns
 * whether `want` was reached. */
static bool bond_pump(struct fixture *f, const char *want, int ms, uint32_t *delivered,
		      uint32_t *arp_delivered)
{
	uint64_t deadline = time_now_ns() + (uint64_t)ms * 1000000ULL;
	while (time_now_ns() < deadline) {
		struct pollfd pfd = {.fd = f->port->class->wait_fd(f->port), .events = POLLIN};
		poll(&pfd, 1, 5);
		struct packet_batch batch;
		packet_batch_init(&batch);
		assert_true(f->port->class->recv(f->port, f->pool, &batch) >= 0);
		for (uint32_t i = 0; i < batch.count; i++) {
			const struct packet *p = batch.packets[i];
			if (delivered)
				(*delivered)++;
			if (arp_delivered && p->len >= 14 && load_be16(p->data + 12) == 0x0806)
				(*arp_delivered)++;
		}
		packet_batch_free(&batch);
		if (f->answer_vid >= 0) {
			arp_answer(f->p1, f->answer_vid);
			arp_answer(f->p2, f->answer_vid);
		}
		const char *active = bond_active_member(f->port);
		if (want && active && strcmp(active, want) == 0)
			return true;
	}
	return false;
}

static void assert_describes(struct fixture *f, const char *part)
{
	char text[512];
	assert_int_equal(bond_describe(f->port, text, sizeof(text)), 0);
	if (!strstr(text, part))
		fail_msg("bond show says '%s', not '%s'", text, part);
}

/* Calls update_stats until the bond has failed over `want` times, up to 2 s. */
static bool wait_failovers(struct port *port, uint64_t want)
{
	for (int i = 0; i < 200 && bond_failovers(port) < want; i++) {
		port->class->update_stats(port);
		usleep(10000);
	}
	return bond_failovers(port) == want;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->p1 = f->p2 = -1;
	f->answer_vid = -1;
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
	assert_int_equal(f->port->stats.tx_packets, 3);
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
	assert_int_equal(f->port->stats.rx_inactive, 3);
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

/* One recv() call, frames discarded: it runs the bond's timers when due. */
static void recv_once(struct fixture *f)
{
	struct packet_batch batch;
	packet_batch_init(&batch);
	assert_true(f->port->class->recv(f->port, f->pool, &batch) >= 0);
	packet_batch_free(&batch);
}

static void test_bond_wait_fd_wakes_an_idle_daemon_for_the_link_check(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	static const char *const fast[] = {"members=m1,m2", "miimon=50", NULL};
	f->port = open_bond(f, "bond0", fast);
	assert_non_null(f->port);
	struct pollfd pfd = {.fd = f->port->class->wait_fd(f->port), .events = POLLIN};
	recv_once(f); /* the first link check */
	assert_int_equal(poll(&pfd, 1, 0), 0);
	/* No frame comes: only the next link check can make it readable. */
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	recv_once(f);
	assert_int_equal(poll(&pfd, 1, 0), 0); /* done, and due again later */
	assert_int_equal(sh("ip link set p1 down"), 0);
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	recv_once(f);
	assert_string_equal(bond_active_member(f->port), "m2");
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
	assert_int_equal(f->port->stats.rx_inactive, 0);
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
	/* bond show --json: why and when the traffic last moved. */
	struct port_status st = {0};
	assert_int_equal(f->port->class->status(f->port, &st), 0);
	const char *cause = NULL, *when = NULL;
	for (int i = 0; i < st.n_fields; i++) {
		if (!strcmp(st.fields[i].key, "last_cause"))
			cause = st.fields[i].string;
		if (!strcmp(st.fields[i].key, "last_change") &&
		    st.fields[i].type == PORT_STATUS_STRING)
			when = st.fields[i].string;
	}
	assert_string_equal(cause, "primary m1 back");
	assert_non_null(when);
	assert_int_equal(strlen(when), strlen("2026-12-01 22:00:00"));
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
	assert_int_equal(f->port->stats.tx_errors, 1);
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
	assert_int_equal(f->port->stats.tx_errors, 1);

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
	struct bridge_port *vm = test_port(sw, "vm1", 1, NULL, false);
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

/* slb_send_and_map() for a bond of three members, m3's far side read
 * through raw socket p3: one frame from every VM. */
static void slb_send_and_map3(struct fixture *f, int p3, int *member)
{
	slb_send_from_every_source(f);
	int on[3][SLB_SOURCES] = {{0}};
	slb_count_sources(f->p1, on[0]);
	slb_count_sources(f->p2, on[1]);
	slb_count_sources(p3, on[2]);
	for (int i = 0; i < SLB_SOURCES; i++) {
		if (on[0][i] + on[1][i] + on[2][i] != 1)
			fail_msg("VM %d: %d frames on m1, %d on m2, %d on m3, of 1", i, on[0][i],
				 on[1][i], on[2][i]);
		member[i] = on[0][i] ? 1 : on[1][i] ? 2 : 3;
	}
}

static unsigned slb_vm_bucket(int vm)
{
	const uint8_t mac[6] = {0x02, 0, 0, 0, 0x10, (uint8_t)vm};
	return bond_slb_bucket(mac, 0);
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
	assert_int_equal(f->port->stats.tx_packets, 3 * SLB_SOURCES);
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
				  "m2 up; failovers 0; rebalances 0 every 10000 ms");
	int before[SLB_SOURCES];
	slb_send_and_map(f, 1, before);

	assert_int_equal(sh("ip link set p1 down"), 0);
	assert_true(wait_active(f->port, "m2")); /* m1 down: m2 is designated */
	assert_true(f->port->class->carrier(f->port));
	assert_int_equal(bond_failovers(f->port), 1);
	assert_int_equal(bond_describe(f->port, text, sizeof(text)), 0);
	assert_string_equal(text,
			    "mode balance-slb, members: m1 down, m2 up (designated for "
			    "broadcast); failovers 1, last: m1 down; rebalances 0 every 10000 ms");
	int during[SLB_SOURCES];
	slb_send_and_map(f, 2, during);
	assert_int_equal(slb_count_on(during, 2), SLB_SOURCES);
	assert_int_equal(f->port->stats.tx_errors, 0);

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
	assert_int_equal(f->port->stats.tx_errors, on_m1);
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
	assert_int_equal(f->port->stats.tx_errors, on_m1 + SLB_SOURCES);
}

/* ---- balance-slb rebalancing ------------------------------------------------------ */

/* Puts every bucket on its home member, as the bond starts: bucket number
 * modulo the member count. */
static void slb_home_buckets(uint8_t *member, int n_members)
{
	for (int b = 0; b < BOND_SLB_BUCKETS; b++)
		member[b] = (uint8_t)(b % n_members);
}

static void test_slb_rebalance_splits_two_busy_buckets_of_one_member(void **state)
{
	(void)state;
	uint64_t bytes[BOND_SLB_BUCKETS] = {0};
	uint8_t member[BOND_SLB_BUCKETS];
	slb_home_buckets(member, 2);
	bytes[4] = 1000000; /* both on member 0 */
	bytes[10] = 900000;
	bytes[7] = 1000; /* member 1, nearly idle */
	const bool live[2] = {true, true};
	uint8_t before[BOND_SLB_BUCKETS];
	memcpy(before, member, sizeof(member));
	assert_int_equal(bond_slb_rebalance(bytes, member, live, 2), 1);
	assert_int_equal(member[4] + member[10], 1); /* one of them moved to member 1 */
	for (int b = 0; b < BOND_SLB_BUCKETS; b++)
		if (b != 4 && b != 10)
			assert_int_equal(member[b], before[b]); /* nothing else moved */
	/* Balanced now: a second run moves nothing. */
	assert_int_equal(bond_slb_rebalance(bytes, member, live, 2), 0);
}

static void test_slb_rebalance_leaves_small_gaps_single_buckets_and_dead_members(void **state)
{
	(void)state;
	uint64_t bytes[BOND_SLB_BUCKETS] = {0};
	uint8_t member[BOND_SLB_BUCKETS];
	slb_home_buckets(member, 3);
	const bool live[3] = {true, true, true};
	/* Under 100000 bytes of gap: not worth it. */
	bytes[0] = 60000;
	bytes[3] = 30000;
	assert_int_equal(bond_slb_rebalance(bytes, member, live, 3), 0);
	/* Under 1/32 of the idlest member's load: not worth it either. */
	bytes[0] = bytes[3] = 5100000;
	bytes[1] = bytes[2] = 10000000;
	assert_int_equal(bond_slb_rebalance(bytes, member, live, 3), 0);
	/* One busy bucket alone would only swap the loads. */
	memset(bytes, 0, sizeof(bytes));
	bytes[0] = 5000000;
	assert_int_equal(bond_slb_rebalance(bytes, member, live, 3), 0);
	/* Member 2 is down: its busy buckets stay, and none goes to it. */
	const bool two_live[3] = {true, true, false};
	bytes[3] = 5000000;
	bytes[2] = bytes[5] = 9000000;
	assert_int_equal(bond_slb_rebalance(bytes, member, two_live, 3), 1);
	assert_int_equal(member[0] + member[3], 1);
	assert_int_equal(member[2], 2);
	assert_int_equal(member[5], 2);
}

static void test_slb_rebalance_spreads_over_every_live_member_and_never_widens_the_gap(void **state)
{
	(void)state;
	uint64_t bytes[BOND_SLB_BUCKETS] = {0};
	uint8_t member[BOND_SLB_BUCKETS] = {0}; /* all on member 0 */
	const bool live[4] = {true, true, true, true};
	for (int b = 0; b < 8; b++)
		bytes[b] = 1000000;
	assert_int_equal(bond_slb_rebalance(bytes, member, live, 4), 6);
	int count[4] = {0};
	for (int b = 0; b < 8; b++)
		count[member[b]]++;
	for (int m = 0; m < 4; m++)
		assert_int_equal(count[m], 2);

	/* Random loads: the gap between the busiest and the idlest member
	 * never grows, and shrinks whenever a bucket moved. */
	uint64_t seed = 42;
	for (int run = 0; run < 200; run++) {
		int n = 2 + run % 7;
		bool alive[8];
		for (int m = 0; m < n; m++)
			alive[m] = m == 0 || (run >> m) % 3 != 0;
		for (int b = 0; b < BOND_SLB_BUCKETS; b++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			bytes[b] = (seed >> 33) % 4 == 0 ? (seed >> 20) % 5000000 : 0;
			member[b] = (uint8_t)((seed >> 8) % (uint64_t)n);
		}
		uint64_t gap_before = 0, gap_after = 0;
		for (int pass = 0; pass < 2; pass++) {
			uint64_t load[8] = {0}, hi = 0, lo = UINT64_MAX;
			for (int b = 0; b < BOND_SLB_BUCKETS; b++)
				load[member[b]] += bytes[b];
			for (int m = 0; m < n; m++) {
				if (!alive[m])
					continue;
				hi = load[m] > hi ? load[m] : hi;
				lo = load[m] < lo ? load[m] : lo;
			}
			if (pass == 0) {
				gap_before = hi - lo;
				int moved = bond_slb_rebalance(bytes, member, alive, n);
				assert_true(moved >= 0);
				if (moved == 0)
					break;
			} else {
				gap_after = hi - lo;
				assert_true(gap_after < gap_before);
			}
		}
	}
}

/* Sends `count` frames of `len` bytes from VM `vm` through the bond. */
static void slb_send_heavy(struct fixture *f, uint8_t vm, int count, uint32_t len)
{
	for (int sent = 0; sent < count;) {
		struct packet_batch batch;
		packet_batch_init(&batch);
		for (; sent < count && batch.count < 32; sent++) {
			uint8_t frame[1500];
			make_frame(frame, len, (uint8_t)sent);
			memcpy(frame + 6, slb_source_prefix, 5);
			frame[11] = vm;
			struct packet *p = packet_from_bytes(f->pool, frame, len);
			assert_non_null(p);
			packet_batch_add(&batch, p);
		}
		f->port->class->send(f->port, &batch);
	}
}

static void test_slb_rebalance_splits_two_heavy_sources_that_share_a_member(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	const char *const options[] = {"members=m1,m2", "mode=balance-slb",
				       "rebalance-interval=1000", NULL};
	uint64_t opened = time_now_ns();
	f->port = open_bond(f, "bond0", options);
	assert_non_null(f->port);
	int before[SLB_SOURCES];
	slb_send_and_map(f, 1, before);
	/* Two VMs that leave by m1, in different buckets. */
	int a = -1, b = -1;
	for (int i = 0; i < SLB_SOURCES && b < 0; i++) {
		if (before[i] != 1)
			continue;
		if (a < 0)
			a = i;
		else if (slb_vm_bucket(i) != slb_vm_bucket(a))
			b = i;
	}
	assert_true(a >= 0 && b >= 0);
	slb_send_heavy(f, (uint8_t)a, 300, 1000);
	slb_send_heavy(f, (uint8_t)b, 250, 1000);
	int drained[SLB_SOURCES] = {0};
	slb_count_sources(f->p1, drained);
	assert_describes(f, "; rebalances 0 every 1000 ms");

	/* The rebalance is due a second after opening; recv() runs it. */
	while (time_now_ns() - opened < 1100000000ULL)
		usleep(10000);
	bond_pump(f, NULL, 20, NULL, NULL);
	assert_describes(f, "failovers 0; rebalances 1 every 1000 ms");
	int after[SLB_SOURCES];
	slb_send_and_map(f, 1, after);
	assert_int_not_equal(after[a], after[b]); /* split */
	/* Only one heavy source's bucket moved, with any VM that shares it. */
	unsigned moved = after[a] != before[a] ? slb_vm_bucket(a) : slb_vm_bucket(b);
	for (int i = 0; i < SLB_SOURCES; i++)
		assert_int_equal(after[i] != before[i], slb_vm_bucket(i) == moved);

	/* Rebalancing off: the same load moves nothing. */
	close_bond(f->port);
	const char *const off[] = {"members=m1,m2", "mode=balance-slb", "rebalance-interval=0",
				   NULL};
	f->port = open_bond(f, "bond0", off);
	assert_non_null(f->port);
	slb_send_heavy(f, (uint8_t)a, 300, 1000);
	slb_send_heavy(f, (uint8_t)b, 250, 1000);
	slb_count_sources(f->p1, drained);
	assert_describes(f, "; rebalances 0 (rebalancing off)");
}

static void test_slb_after_a_rebalance_a_failure_moves_only_the_dead_member_buckets(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	const char *const options[] = {"members=m1,m2,m3", "mode=balance-slb",
				       "rebalance-interval=1000", NULL};
	assert_int_equal(sh("ip link add m3 type veth peer name p3 && ip link set m3 up && "
			    "ip link set p3 up"),
			 0);
	int p3 = raw_socket("p3");
	uint64_t opened = time_now_ns();
	f->port = open_bond(f, "bond0", options);
	assert_non_null(f->port);
	/* The VMs that leave by m1 send 180 kB between them: some move away.
	 * Halved at each rebalance, that is too little to move anything
	 * later, so the mapping below changes by failure only. */
	int before[SLB_SOURCES];
	slb_send_and_map3(f, p3, before);
	int on_m1 = slb_count_on(before, 1);
	assert_true(on_m1 >= 2);
	for (int i = 0; i < SLB_SOURCES; i++)
		if (before[i] == 1)
			slb_send_heavy(f, (uint8_t)i, 180 / on_m1, 1000);
	int drained[SLB_SOURCES] = {0};
	slb_count_sources(f->p1, drained);
	while (time_now_ns() - opened < 1100000000ULL)
		usleep(10000);
	bond_pump(f, NULL, 20, NULL, NULL);
	assert_describes(f, "rebalances 1");
	int balanced[SLB_SOURCES];
	slb_send_and_map3(f, p3, balanced);
	assert_memory_not_equal(before, balanced, sizeof(before));

	/* m2 fails: only the VMs on m2 move; m2 back: they come back. */
	assert_int_equal(sh("ip link set p2 down"), 0);
	assert_true(wait_failovers(f->port, 1));
	assert_describes(f, "m2 down");
	int during[SLB_SOURCES];
	slb_send_and_map3(f, p3, during);
	for (int i = 0; i < SLB_SOURCES; i++)
		if (balanced[i] != 2)
			assert_int_equal(during[i], balanced[i]);
		else
			assert_int_not_equal(during[i], 2);
	assert_int_equal(sh("ip link set p2 up"), 0);
	assert_true(wait_failovers(f->port, 2));
	assert_describes(f, "failovers 2, last: m2 up");
	int after[SLB_SOURCES];
	slb_send_and_map3(f, p3, after);
	/* m2 takes back its own (home) buckets, bucket number modulo 3 = 1;
	 * everything else stays. */
	for (int i = 0; i < SLB_SOURCES; i++)
		assert_int_equal(after[i], slb_vm_bucket(i) % 3 == 1 ? 2 : during[i]);
	close(p3);
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
	assert_int_equal(f->port->stats.rx_inactive, 2);

	/* With m1 down, m2 is the designated member. */
	assert_int_equal(sh("ip link set p1 down"), 0);
	assert_true(wait_active(f->port, "m2"));
	raw_send_to(f->p2, broadcast_mac, 12);
	assert_int_equal(bond_collect(f, 1, 0, 1000, seqs), 1);
	assert_int_equal(seqs[0], 12);
	assert_int_equal(f->port->stats.rx_inactive, 2);
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
	       (got < want || f->port->stats.rx_inactive < want_dropped)) {
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
	assert_int_equal(f->port->stats.rx_inactive, 3);

	/* Seconds after we last sent for it, a source is no longer ours (a VM
	 * that moved away): its frames pass on any member. */
	for (int i = 0; i < 3; i++)
		f->port->class->update_stats(f->port);
	raw_send_as_vm(f->p2, dst_mac, a, 6);
	memset(from, 0, sizeof(from));
	assert_int_equal(slb_collect(f, 1, 0, from), 1);
	assert_int_equal(from[a], 1);
	assert_int_equal(f->port->stats.rx_inactive, 3);
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
	assert_int_equal(f->port->stats.rx_inactive, 0);
}

/* ---- ARP target monitoring ------------------------------------------------------- */

/* The far side answers ARP for 192.0.2.1 (a documentation address, and only
 * inside this private namespace) on the interfaces that hold it: arp_ignore=1
 * keeps p1 from answering for an address that only p2 has. */
#define ARP_TARGET "192.0.2.1"

static void assert_refused(struct fixture *f, const char *const *options, const char *message);

static void arp_far_side(void)
{
	assert_int_equal(sh("sysctl -qw net.ipv4.conf.p1.arp_ignore=1 "
			    "net.ipv4.conf.p2.arp_ignore=1"),
			 0);
}

static void read_mac(const char *ifname, uint8_t *mac)
{
	char path[64];
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
	FILE *file = fopen(path, "r");
	assert_non_null(file);
	unsigned b[6];
	assert_int_equal(
	    fscanf(file, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]), 6);
	fclose(file);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
}

/* Reads the next ARP frame from a "physical switch" socket within 1 s into
 * buf; returns its length or -1. */
static int raw_recv_arp(int fd, uint8_t *buf, size_t size)
{
	uint64_t deadline = time_now_ns() + 1000000000ULL;
	while (time_now_ns() < deadline) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		ssize_t n = recv(fd, buf, size, 0);
		if (n >= 42 && load_be16(buf + 12) == 0x0806)
			return (int)n;
	}
	return -1;
}

/* Checks the probe member `ifname` sent, as the physical switch gets it. */
static void assert_probe(int fd, const char *ifname, const uint8_t *sender_ip,
			 const uint8_t *target_ip)
{
	uint8_t mac[6], frame[2048];
	read_mac(ifname, mac);
	assert_int_equal(raw_recv_arp(fd, frame, sizeof(frame)), 60);
	static const uint8_t zero[6];
	assert_memory_equal(frame, broadcast_mac, 6);
	assert_memory_equal(frame + 6, mac, 6);
	assert_int_equal(load_be16(frame + 14), 1);	 /* Ethernet */
	assert_int_equal(load_be16(frame + 16), 0x0800); /* IPv4 */
	assert_int_equal(load_be16(frame + 20), 1);	 /* request */
	assert_memory_equal(frame + 22, mac, 6);
	assert_memory_equal(frame + 28, sender_ip, 4);
	assert_memory_equal(frame + 32, zero, 6);
	assert_memory_equal(frame + 38, target_ip, 4);
}

static void test_arp_probes_leave_every_member_from_its_own_mac(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	static const uint8_t target[4] = {192, 0, 2, 1}, unspecified[4] = {0},
			     source[4] = {192, 0, 2, 9};
	const char *const probe[] = {"members=m1,m2", "arp-target=" ARP_TARGET, "arp-interval=50",
				     NULL};
	f->port = open_bond(f, "bond0", probe);
	assert_non_null(f->port);
	bond_pump(f, NULL, 10, NULL, NULL);		/* the first round goes out at once */
	assert_probe(f->p1, "m1", unspecified, target); /* an RFC 5227 probe */
	assert_probe(f->p2, "m2", unspecified, target); /* the backup is probed too */
	close_bond(f->port);

	const char *const sourced[] = {"members=m1,m2", "arp-target=" ARP_TARGET,
				       "arp-source=192.0.2.9", NULL};
	f->port = open_bond(f, "bond0", sourced);
	assert_non_null(f->port);
	bond_pump(f, NULL, 10, NULL, NULL);
	assert_probe(f->p1, "m1", source, target);
	assert_probe(f->p2, "m2", source, target);
}

static const char *const arp_primary_m1[] = {"members=m1,m2", "primary=m1",
					     "arp-target=" ARP_TARGET, "arp-interval=20", NULL};

static void test_arp_member_whose_replies_stop_loses_the_active_role_with_carrier_up(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	arp_far_side();
	assert_int_equal(sh("ip addr add " ARP_TARGET "/32 dev p1 && "
			    "ip addr add " ARP_TARGET "/32 dev p2"),
			 0);
	f->port = open_bond(f, "bond0", arp_primary_m1);
	assert_non_null(f->port);
	uint32_t delivered = 0, arp_delivered = 0;
	bond_pump(f, NULL, 300, &delivered, &arp_delivered); /* 15 rounds */
	assert_string_equal(bond_active_member(f->port), "m1");
	assert_describes(f, "mode active-backup, arp-target " ARP_TARGET " every 20 ms, active m1 "
			    "(primary), members: m1 up active arp ok, m2 up backup arp ok; "
			    "failovers 0");
	/* Replies and probes are the bond's own: none reached the switch, and
	 * none on the backup counted as a drop. */
	assert_int_equal(delivered, 0);
	assert_int_equal(f->port->stats.rx_inactive, 0);

	/* The target is gone behind m1; m1's cable stays in. */
	assert_int_equal(sh("ip addr del " ARP_TARGET "/32 dev p1"), 0);
	uint64_t start = time_now_ns();
	assert_true(bond_pump(f, "m2", 2000, &delivered, &arp_delivered));
	uint64_t took_ms = (time_now_ns() - start) / 1000000;
	assert_true(f->port->class->carrier(f->port));
	assert_int_equal(bond_failovers(f->port), 1);
	assert_describes(f, "members: m1 up backup arp missed, m2 up active arp ok; failovers 1, "
			    "last: arp-target " ARP_TARGET " unreachable on m1");
	/* 3 probes 20 ms apart went unanswered, and not many more. */
	assert_true(took_ms >= 40 && took_ms < 500);
	uint8_t buf[2048];
	bond_send_frame(f, 1);
	assert_int_equal(raw_recv(f->p2, buf, sizeof(buf), 1000), 100);

	/* The target answers m1 again: the primary is proven, and takes back. */
	assert_int_equal(sh("ip addr add " ARP_TARGET "/32 dev p1"), 0);
	assert_true(bond_pump(f, "m1", 2000, &delivered, &arp_delivered));
	assert_int_equal(bond_failovers(f->port), 2);
	assert_describes(f, "m1 up active arp ok, m2 up backup arp ok; failovers 2, last: primary "
			    "m1 back");
	assert_int_equal(arp_delivered, 0);
}

static void test_arp_without_any_reply_the_member_with_carrier_keeps_the_traffic(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	arp_far_side();
	f->port = open_bond(f, "bond0", arp_primary_m1);
	assert_non_null(f->port);
	bond_pump(f, NULL, 300, NULL, NULL); /* nobody holds the target */
	assert_string_equal(bond_active_member(f->port), "m1");
	assert_int_equal(bond_failovers(f->port), 0);
	assert_describes(f, "active m1 (primary) (carrier only: no member gets ARP replies), "
			    "members: m1 up active arp missed, m2 up backup arp missed");

	/* A backup that gets replies is better than a member with carrier only. */
	assert_int_equal(sh("ip addr add " ARP_TARGET "/32 dev p2"), 0);
	assert_true(bond_pump(f, "m2", 2000, NULL, NULL));
	assert_describes(f, "active m2, members: m1 up backup arp missed, m2 up active arp ok; "
			    "failovers 1, last: arp-target " ARP_TARGET " unreachable on m1");

	/* Without carrier no member is proven, however it answered before. */
	assert_int_equal(sh("ip link set p2 down"), 0);
	assert_true(bond_pump(f, "m1", 2000, NULL, NULL));
	assert_describes(f, "(carrier only: no member gets ARP replies)");
	assert_int_equal(sh("ip link set p2 up"), 0);
	bond_pump(f, NULL, 1200, NULL, NULL); /* miimon reads the carrier, then replies come */
	assert_string_equal(bond_active_member(f->port), "m2");
	assert_describes(f, "m2 up active arp ok");
}

/* Sends from raw socket `fd` an ARP frame as a physical switch would
 * deliver it: from `src` (Ethernet and ARP sender), opcode `op`, sender IP
 * ARP_TARGET, to target MAC `to`. */
static void raw_send_arp(int fd, const uint8_t *src, uint16_t op, const uint8_t *to)
{
	uint8_t frame[60] = {0};
	memcpy(frame, op == 1 ? broadcast_mac : to, 6);
	memcpy(frame + 6, src, 6);
	store_be16(frame + 12, 0x0806);
	store_be16(frame + 14, 1);
	store_be16(frame + 16, 0x0800);
	frame[18] = 6;
	frame[19] = 4;
	store_be16(frame + 20, op);
	memcpy(frame + 22, src, 6);
	memcpy(frame + 28, (const uint8_t[]){192, 0, 2, 1}, 4);
	memcpy(frame + 32, to, 6);
	assert_int_equal(send(fd, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
}

static void
test_arp_frames_of_the_monitor_never_reach_the_switch_nor_prove_another_member(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->port = open_bond(f, "bond0", arp_primary_m1);
	assert_non_null(f->port);
	uint8_t m1_mac[6], m2_mac[6];
	read_mac("m1", m1_mac);
	read_mac("m2", m2_mac);
	static const uint8_t far_mac[6] = {0x02, 0, 0, 0, 0, 0xfa};
	uint32_t delivered = 0;
	for (int i = 0; i < 15; i++) {
		/* m2's probe, flooded back to the active member by the switch */
		raw_send_arp(f->p1, m2_mac, 1, (const uint8_t[6]){0});
		/* a reply for m1's MAC flooded to m2: proves neither */
		raw_send_arp(f->p2, far_mac, 2, m1_mac);
		bond_pump(f, NULL, 20, &delivered, NULL);
	}
	assert_int_equal(delivered, 0);
	assert_int_equal(f->port->stats.rx_inactive, 0);
	assert_describes(f, "members: m1 up active arp missed, m2 up backup arp missed");
	/* The same reply on m1's own link proves m1. */
	for (int i = 0; i < 10; i++) {
		raw_send_arp(f->p1, far_mac, 2, m1_mac);
		bond_pump(f, NULL, 20, &delivered, NULL);
	}
	assert_describes(f, "members: m1 up active arp ok, m2 up backup arp missed");
	assert_int_equal(delivered, 0);
}

static void test_arp_member_back_from_carrier_loss_is_proven_before_it_is_used(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	f->answer_vid = 0; /* the far side of both members answers */
	/* Five probes may go unanswered: the short outage below would not
	 * make m1 "arp missed" by count alone. */
	const char *const patient[] = {"members=m1,m2",	  "primary=m1",	  "arp-target=" ARP_TARGET,
				       "arp-interval=20", "arp-missed=5", NULL};
	f->port = open_bond(f, "bond0", patient);
	assert_non_null(f->port);
	bond_pump(f, NULL, 200, NULL, NULL);
	assert_describes(f, "members: m1 up active arp ok, m2 up backup arp ok");
	assert_int_equal(sh("ip link set p1 down"), 0);
	assert_true(wait_active(f->port, "m2"));
	bond_pump(f, NULL, 30, NULL, NULL); /* a probe round while m1 has no link */
	assert_int_equal(sh("ip link set p1 up"), 0);
	f->port->class->update_stats(f->port); /* reads m1's carrier: up */
	assert_describes(f, "members: m1 up backup arp missed, m2 up active arp ok");
	assert_string_equal(bond_active_member(f->port), "m2");
	assert_true(bond_pump(f, "m1", 2000, NULL, NULL)); /* answered: the primary takes back */
	assert_int_equal(bond_failovers(f->port), 2);
}

static void test_arp_vlan_probes_and_replies_are_tagged(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	/* The target lives on VLAN 7 only: untagged probes get no answer. */
	int one = 1;
	assert_int_equal(setsockopt(f->p1, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)), 0);
	assert_int_equal(setsockopt(f->p2, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)), 0);
	f->answer_vid = 7;
	const char *const tagged[] = {"members=m1,m2", "arp-target=" ARP_TARGET, "arp-interval=20",
				      "arp-vlan=7", NULL};
	f->port = open_bond(f, "bond0", tagged);
	assert_non_null(f->port);
	bond_pump(f, NULL, 300, NULL, NULL);
	assert_describes(f, "members: m1 up active arp ok, m2 up backup arp ok; failovers 0");
	close_bond(f->port);

	const char *const untagged[] = {"members=m1,m2", "arp-target=" ARP_TARGET,
					"arp-interval=20", NULL};
	f->port = open_bond(f, "bond0", untagged);
	assert_non_null(f->port);
	bond_pump(f, NULL, 300, NULL, NULL);
	assert_describes(f, "members: m1 up active arp missed, m2 up backup arp missed");
}

static void test_bond_refuses_bad_arp_options(void **state)
{
	REQUIRE_NETNS();
	struct fixture *f = *state;
	static const char *const bad_targets[] = {
	    "10.0.0", "300.1.1.1", "0.0.0.0", "224.0.0.1", "x", "127.0.0.1", "255.255.255.255", ""};
	for (size_t i = 0; i < sizeof(bad_targets) / sizeof(bad_targets[0]); i++) {
		char option[64], message[128];
		snprintf(option, sizeof(option), "arp-target=192.0.2.1,%s", bad_targets[i]);
		snprintf(message, sizeof(message),
			 "port bond0: arp-target '%s' is not a unicast IPv4 address a.b.c.d",
			 bad_targets[i]);
		assert_refused(f, (const char *const[]){"members=m1,m2", option, NULL}, message);
	}
	assert_refused(f,
		       (const char *const[]){"members=m1,m2",
					     "arp-target=192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4,"
					     "192.0.2.5",
					     NULL},
		       "port bond0: arp-target takes at most 4 addresses");
	static const struct {
		const char *option, *message;
	} bad_tuning[] = {
	    {"arp-interval=5", "port bond0: arp-interval '5' must be 10-60000 (milliseconds)"},
	    {"arp-interval=60001", "port bond0: arp-interval '60001' must be 10-60000"},
	    {"arp-missed=0", "port bond0: arp-missed '0' must be 1-100"},
	    {"arp-vlan=4095", "port bond0: arp-vlan '4095' must be 1-4094"},
	    {"arp-source=0.0.0.0",
	     "port bond0: arp-source '0.0.0.0' is not a unicast IPv4 address"},
	};
	for (size_t i = 0; i < sizeof(bad_tuning) / sizeof(bad_tuning[0]); i++)
		assert_refused(f,
			       (const char *const[]){"members=m1,m2", "arp-target=192.0.2.1",
						     bad_tuning[i].option, NULL},
			       bad_tuning[i].message);
	assert_refused(f, (const char *const[]){"members=m1,m2", "arp-interval=100", NULL},
		       "port bond0: arp-interval= needs arp-target=");
	assert_refused(f,
		       (const char *const[]){"members=m1,m2", "mode=balance-slb",
					     "arp-target=192.0.2.1", NULL},
		       "port bond0: arp-target= applies to mode active-backup only");
	const char *const good[] = {"members=m1,m2",
				    "arp-target=192.0.2.1,198.51.100.7",
				    "arp-interval=10",
				    "arp-missed=100",
				    "arp-source=192.0.2.9",
				    "arp-vlan=4094",
				    NULL};
	f->port = open_bond(f, "bond0", good);
	assert_non_null(f->port);
	assert_describes(f, "arp-target 192.0.2.1, 198.51.100.7 every 10 ms");
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
	assert_refused(
	    f,
	    (const char *const[]){"members=m1,m2", "mode=balance-slb", "rebalance-interval=999",
				  NULL},
	    "port bond0: rebalance-interval '999' must be 0 or 1000-3600000 (milliseconds)");
	assert_refused(f,
		       (const char *const[]){"members=m1,m2", "mode=balance-slb",
					     "rebalance-interval=3600001", NULL},
		       "port bond0: rebalance-interval '3600001' must be 0 or 1000-3600000");
	assert_refused(f, (const char *const[]){"members=m1,m2", "rebalance-interval=5000", NULL},
		       "port bond0: rebalance-interval= applies to mode balance-slb only");
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
	    BOND_TEST(test_bond_wait_fd_wakes_an_idle_daemon_for_the_link_check),
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
	    BOND_TEST(test_arp_probes_leave_every_member_from_its_own_mac),
	    BOND_TEST(test_arp_member_whose_replies_stop_loses_the_active_role_with_carrier_up),
	    BOND_TEST(test_arp_without_any_reply_the_member_with_carrier_keeps_the_traffic),
	    BOND_TEST(
		test_arp_frames_of_the_monitor_never_reach_the_switch_nor_prove_another_member),
	    BOND_TEST(test_arp_member_back_from_carrier_loss_is_proven_before_it_is_used),
	    BOND_TEST(test_arp_vlan_probes_and_replies_are_tagged),
	    BOND_TEST(test_bond_refuses_bad_arp_options),
	    cmocka_unit_test(test_slb_rebalance_splits_two_busy_buckets_of_one_member),
	    cmocka_unit_test(test_slb_rebalance_leaves_small_gaps_single_buckets_and_dead_members),
	    cmocka_unit_test(
		test_slb_rebalance_spreads_over_every_live_member_and_never_widens_the_gap),
	    BOND_TEST(test_slb_rebalance_splits_two_heavy_sources_that_share_a_member),
	    BOND_TEST(test_slb_after_a_rebalance_a_failure_moves_only_the_dead_member_buckets),
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
