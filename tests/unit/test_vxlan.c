/* test_vxlan.c — the vxlan port (src/port/vxlan.c) on loopback, inside one
 * process: two vxlan ports on 127.0.0.1 with different UDP ports exchange
 * frames, plain UDP sockets stand in for remote VTEPs (to count what each
 * receives, and to send what no VTEP would), and a switch checks that a
 * VNI reaches the engine as its VLAN and that nothing goes back into the
 * overlay it came from. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_net.h>
#include <netinet/udp.h>

#include "helpers.h"
#include "lib/gso.h"
#include "port/vxlan_header.h"

static struct packet_pool *pool;

static int setup(void **state)
{
	(void)state;
	pool = packet_pool_create(1024, 0);
	return pool ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(pool->available, pool->size);
	packet_pool_destroy(pool);
	return 0;
}

/* A UDP socket on 127.0.0.1 and a free port: a remote VTEP to watch. */
static int udp_socket(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t len = sizeof(a);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A free UDP port for a vxlan port to bind (found, then let go). */
static uint16_t free_port(void)
{
	uint16_t port;
	close(udp_socket(&port));
	return port;
}

/* Opens a vxlan port; `fmt` gives its options, space-separated. */
static struct port *vx(const char *name, const char *fmt, ...)
{
	char text[512], err[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	const char *options[16];
	int n = 0;
	for (char *save, *w = strtok_r(text, " ", &save); w && n < 15;
	     w = strtok_r(NULL, " ", &save))
		options[n++] = w;
	options[n] = NULL;
	struct port *port = port_create(name, "vxlan", options, err, sizeof(err));
	if (!port)
		fail_msg("%s", err);
	return port;
}

/* The error opening a vxlan port with these options gives, or "". */
static const char *vx_error(const char *const *options)
{
	static char err[256];
	err[0] = '\0';
	struct port *port = port_create("bad", "vxlan", options, err, sizeof(err));
	port_destroy(port);
	return err;
}

static size_t frame(uint8_t *buf, const uint8_t *dst, unsigned src, int tci)
{
	return frame_build(buf, 128, dst, test_mac(src), tci, 0x0800, "payload!", 8);
}

/* Sends one frame out of `port`, as the engine hands it over. */
static void send_frame(struct port *port, const uint8_t *dst, unsigned src, int tci)
{
	uint8_t buf[128];
	struct packet_batch batch = {0};
	struct packet *p = packet_from_bytes(pool, buf, (uint32_t)frame(buf, dst, src, tci));
	assert_non_null(p);
	packet_batch_add(&batch, p);
	port->class->send(port, &batch);
	assert_int_equal(batch.count, 0);
}

/* Receives what `port` has within ~200 ms of its first frame. */
static uint32_t receive(struct port *port, struct packet_batch *batch, uint32_t want)
{
	batch->count = 0;
	for (int tries = 0; tries < 200 && batch->count < want; tries++) {
		if (port->class->recv(port, pool, batch) == 0)
			usleep(1000);
	}
	return batch->count;
}

/* Datagrams waiting on a watching socket, read and counted. */
static int count_datagrams(int fd, uint8_t *last, size_t size)
{
	int n = 0;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	while (poll(&pfd, 1, n ? 0 : 50) == 1) {
		uint8_t buf[2048];
		ssize_t len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0)
			break;
		if (last)
			memcpy(last, buf, (size_t)len < size ? (size_t)len : size);
		n++;
	}
	return n;
}

static void send_to(int fd, uint16_t port, const void *data, size_t len)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				.sin_port = htons(port)};
	assert_int_equal(sendto(fd, data, len, 0, (struct sockaddr *)&a, sizeof(a)), (ssize_t)len);
}

static uint64_t status_number(const struct port *port, const char *key)
{
	struct port_status st = {0};
	assert_int_equal(port->class->status(port, &st), 0);
	for (int i = 0; i < st.n_fields; i++)
		if (!strcmp(st.fields[i].key, key))
			return st.fields[i].number;
	fail_msg("no status field %s", key);
	return 0;
}

static void test_round_trip_maps_vnis_to_vlans(void **state)
{
	(void)state;
	uint16_t pa = free_port(), pb = free_port();
	struct port *a =
	    vx("a", "local=127.0.0.1 port=%u remote=127.0.0.1:%u vni=5000,10:5010", pa, pb);
	struct port *b =
	    vx("b", "local=127.0.0.1 port=%u remote=127.0.0.1:%u vni=5000,10:5010", pb, pa);
	uint8_t want[128];
	struct packet_batch batch;

	/* Untagged: VNI 5000, received untagged. */
	send_frame(a, test_broadcast, 1, -1);
	assert_int_equal(receive(b, &batch, 1), 1);
	struct packet *p = batch.packets[0];
	size_t len = frame(want, test_broadcast, 1, -1);
	assert_int_equal(p->len, len);
	assert_memory_equal(p->data, want, len);
	assert_false(p->flags & PACKET_F_META_VLAN);
	packet_batch_free(&batch);

	/* Tagged VLAN 10: the tag popped, VNI 5010, the VLAN in metadata. */
	send_frame(a, test_broadcast, 1, 10);
	assert_int_equal(receive(b, &batch, 1), 1);
	p = batch.packets[0];
	len = frame(want, test_broadcast, 1, 10) - VLAN_TAG_LEN; /* as sent, less the tag */
	memmove(want + 12, want + 16, len - 12);
	assert_int_equal(p->len, len);
	assert_memory_equal(p->data, want, len);
	assert_true(p->flags & PACKET_F_META_VLAN);
	assert_int_equal(p->meta_tci, 10);
	packet_batch_free(&batch);
	assert_int_equal(a->stats.tx_packets, 2);
	port_destroy(a);
	port_destroy(b);
}

static void test_wire_format_is_linux_vxlan(void **state)
{
	(void)state;
	uint16_t pw;
	int watch = udp_socket(&pw);
	struct port *a =
	    vx("a", "local=127.0.0.1 port=%u remote=127.0.0.1:%u vni=10:5010", free_port(), pw);
	send_frame(a, test_broadcast, 1, 10);
	uint8_t got[128] = {0}, want[128];
	memset(got, 0xee, sizeof(got));
	assert_int_equal(count_datagrams(watch, got, sizeof(got)), 1);
	const uint8_t header[] = {0x08, 0, 0, 0, 0x00, 0x13, 0x92, 0x00}; /* VNI 5010 */
	assert_memory_equal(got, header, sizeof(header));
	size_t len = frame(want, test_broadcast, 1, 10) - VLAN_TAG_LEN; /* the tag popped */
	memmove(want + 12, want + 16, len - 12);
	assert_memory_equal(got + VXLAN_HEADER_LEN, want, len);
	port_destroy(a);
	close(watch);
}

static void test_flood_reaches_each_remote_once_and_learned_unicast_one(void **state)
{
	(void)state;
	uint16_t p1, p2, p3;
	int w1 = udp_socket(&p1), w2 = udp_socket(&p2), w3 = udp_socket(&p3);
	uint16_t pa = free_port();
	struct port *a = vx("a",
			    "local=127.0.0.1 port=%u remote=127.0.0.1:%u,127.0.0.1:%u,127.0.0.1:%u "
			    "vni=5000",
			    pa, p1, p2, p3);
	send_frame(a, test_broadcast, 1, -1);
	assert_int_equal(count_datagrams(w1, NULL, 0), 1);
	assert_int_equal(count_datagrams(w2, NULL, 0), 1);
	assert_int_equal(count_datagrams(w3, NULL, 0), 1);

	/* MAC 7 speaks from VTEP 2 (its socket): learned there. */
	uint8_t dgram[128];
	vxlan_header_build(dgram, 5000);
	size_t len = frame(dgram + VXLAN_HEADER_LEN, test_broadcast, 7, -1);
	send_to(w2, pa, dgram, VXLAN_HEADER_LEN + len);
	struct packet_batch batch;
	assert_int_equal(receive(a, &batch, 1), 1);
	packet_batch_free(&batch);
	struct vxlan_remote_mac macs[4];
	assert_int_equal(vxlan_remote_macs(a, macs, 4), 1);
	assert_int_equal(macs[0].vni, 5000);
	assert_memory_equal(macs[0].mac, test_mac(7), 6);
	assert_false(macs[0].is_static);
	char where[64];
	snprintf(where, sizeof(where), "127.0.0.1:%u", p2);
	assert_string_equal(macs[0].vtep, where);

	/* Known unicast: VTEP 2 only. Unknown unicast: everyone. */
	send_frame(a, test_mac(7), 1, -1);
	assert_int_equal(count_datagrams(w1, NULL, 0), 0);
	assert_int_equal(count_datagrams(w2, NULL, 0), 1);
	assert_int_equal(count_datagrams(w3, NULL, 0), 0);
	send_frame(a, test_mac(8), 1, -1);
	assert_int_equal(count_datagrams(w1, NULL, 0) + count_datagrams(w2, NULL, 0) +
			     count_datagrams(w3, NULL, 0),
			 3);
	port_destroy(a);
	close(w1);
	close(w2);
	close(w3);
}

static void test_runs_to_one_vtep_leave_as_one_gso_write(void **state)
{
	(void)state;
	char err[256], vtep[32];
	uint16_t p1, p2;
	int w1 = udp_socket(&p1), w2 = udp_socket(&p2);
	struct port *a =
	    vx("a", "local=127.0.0.1 port=%u remote=127.0.0.1:%u vni=5000", free_port(), p2);
	snprintf(vtep, sizeof(vtep), "127.0.0.1:%u", p1);
	assert_int_equal(vxlan_add_remote_mac(a, 5000, test_mac(7), vtep, err, sizeof(err)), 0);
	/* The segments of a super-frame: 5 of 1000 bytes and a last of 300,
	 * then a broadcast (no run) and 2 more of 1000 (a second run). */
	struct packet_batch batch = {0};
	uint8_t buf[1100], payload[1100];
	for (int i = 0; i < 9; i++) {
		memset(payload, 'a' + i, sizeof(payload));
		size_t len = frame_build(buf, sizeof(buf), i == 6 ? test_broadcast : test_mac(7),
					 test_mac(1), -1, 0x0800, payload, i == 5 ? 286 : 986);
		packet_batch_add(&batch, packet_from_bytes(pool, buf, (uint32_t)len));
	}
	a->class->send(a, &batch);
	assert_int_equal(status_number(a, "gso-writes"), 2);
	assert_int_equal(a->stats.tx_packets, 9); /* the broadcast to remote= only */
	/* Each datagram whole and in order at the VTEP. */
	for (int i = 0; i < 9; i++) {
		if (i == 6)
			continue;
		uint8_t got[1100];
		ssize_t len = recv(w1, got, sizeof(got), MSG_DONTWAIT);
		assert_int_equal(len, VXLAN_HEADER_LEN + (i == 5 ? 300 : 1000));
		uint32_t vni;
		assert_int_equal(vxlan_header_parse(got, (size_t)len, &vni), VXLAN_OK);
		assert_int_equal(vni, 5000);
		assert_memory_equal(got + VXLAN_HEADER_LEN, test_mac(7), 6);
		assert_int_equal(got[len - 1], 'a' + i);
	}
	assert_int_equal(count_datagrams(w1, NULL, 0), 0);
	assert_int_equal(count_datagrams(w2, NULL, 0), 1); /* the broadcast */
	port_destroy(a);
	close(w1);
	close(w2);
}

static void test_learned_vtep_is_the_source_ip_at_the_vxlan_port(void **state)
{
	(void)state;
	/* A Linux VTEP sends from a port hashed from the inner flow: replies
	 * go to its IP at port=, not back to that source port. */
	uint16_t pw;
	int stranger = udp_socket(&pw);
	uint16_t pa = free_port();
	struct port *a = vx("a", "local=127.0.0.1 port=%u vni=5000", pa);
	uint8_t dgram[128];
	vxlan_header_build(dgram, 5000);
	size_t len = frame(dgram + VXLAN_HEADER_LEN, test_broadcast, 9, -1);
	send_to(stranger, pa, dgram, VXLAN_HEADER_LEN + len);
	struct packet_batch batch;
	assert_int_equal(receive(a, &batch, 1), 1);
	packet_batch_free(&batch);
	struct vxlan_remote_mac mac;
	assert_int_equal(vxlan_remote_macs(a, &mac, 1), 1);
	char where[64];
	snprintf(where, sizeof(where), "127.0.0.1:%u", pa);
	assert_string_equal(mac.vtep, where);
	/* No remote= and no flood list: a broadcast has nowhere to go. */
	send_frame(a, test_broadcast, 1, -1);
	assert_int_equal(status_number(a, "tx-no-vtep"), 1);
	port_destroy(a);
	close(stranger);
}

static void test_live_api_sets_flood_lists_and_static_macs(void **state)
{
	(void)state;
	char err[256];
	uint16_t p1, p2;
	int w1 = udp_socket(&p1), w2 = udp_socket(&p2);
	uint16_t pa = free_port();
	struct port *a =
	    vx("a", "local=127.0.0.1 port=%u remote=127.0.0.1:%u vni=5000,10:5010", pa, p1);
	char v2[32];
	snprintf(v2, sizeof(v2), "127.0.0.1:%u", p2);
	const char *list[] = {v2};
	assert_int_equal(vxlan_set_flood(a, 5010, list, 1, err, sizeof(err)), 0);
	/* VNI 5010 floods to remote= and VTEP 2; VNI 5000 to remote= only. */
	send_frame(a, test_broadcast, 1, 10);
	assert_int_equal(count_datagrams(w1, NULL, 0), 1);
	assert_int_equal(count_datagrams(w2, NULL, 0), 1);
	send_frame(a, test_broadcast, 1, -1);
	assert_int_equal(count_datagrams(w1, NULL, 0), 1);
	assert_int_equal(count_datagrams(w2, NULL, 0), 0);
	/* Replaced by an empty list: remote= stays. */
	assert_int_equal(vxlan_set_flood(a, 5010, NULL, 0, err, sizeof(err)), 0);
	send_frame(a, test_broadcast, 1, 10);
	assert_int_equal(count_datagrams(w1, NULL, 0), 1);
	assert_int_equal(count_datagrams(w2, NULL, 0), 0);

	/* A static MAC: unicast to its VTEP, not moved by learning. */
	assert_int_equal(vxlan_add_remote_mac(a, 5000, test_mac(9), v2, err, sizeof(err)), 0);
	send_frame(a, test_mac(9), 1, -1);
	assert_int_equal(count_datagrams(w1, NULL, 0), 0);
	assert_int_equal(count_datagrams(w2, NULL, 0), 1);
	uint8_t dgram[128];
	vxlan_header_build(dgram, 5000);
	size_t len = frame(dgram + VXLAN_HEADER_LEN, test_broadcast, 9, -1);
	send_to(w1, pa, dgram, VXLAN_HEADER_LEN + len);
	struct packet_batch batch;
	assert_int_equal(receive(a, &batch, 1), 1);
	packet_batch_free(&batch);
	struct vxlan_remote_mac mac;
	assert_int_equal(vxlan_remote_macs(a, &mac, 1), 1);
	assert_true(mac.is_static);
	assert_string_equal(mac.vtep, v2);
	assert_int_equal(vxlan_del_remote_mac(a, 5000, test_mac(9)), 0);
	assert_int_equal(vxlan_del_remote_mac(a, 5000, test_mac(9)), -ENOENT);
	send_frame(a, test_mac(9), 1, -1); /* unknown again: flooded */
	assert_int_equal(count_datagrams(w1, NULL, 0), 1);

	/* Errors: no such VNI, a bad address, another type. */
	assert_int_equal(vxlan_set_flood(a, 77, list, 1, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "VNI 77"));
	const char *bad[] = {"not-an-ip"};
	assert_int_equal(vxlan_set_flood(a, 5000, bad, 1, err, sizeof(err)), -EINVAL);
	const char *v6[] = {"::1"};
	assert_int_equal(vxlan_set_flood(a, 5000, v6, 1, err, sizeof(err)), -EINVAL);
	assert_int_equal(vxlan_add_remote_mac(a, 5000, test_broadcast, v2, err, sizeof(err)),
			 -EINVAL);
	struct port *pipe = port_create("p", "pipe", NULL, err, sizeof(err));
	assert_int_equal(vxlan_set_flood(pipe, 5000, list, 1, err, sizeof(err)), -EOPNOTSUPP);
	assert_int_equal(vxlan_add_remote_mac(pipe, 5000, test_mac(1), v2, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_int_equal(vxlan_del_remote_mac(pipe, 5000, test_mac(1)), -EOPNOTSUPP);
	assert_int_equal(vxlan_remote_macs(pipe, &mac, 1), -EOPNOTSUPP);
	port_destroy(pipe);
	port_destroy(a);
	close(w1);
	close(w2);
}

static void test_malformed_datagrams_are_counted_not_received(void **state)
{
	(void)state;
	uint16_t pw;
	int w = udp_socket(&pw);
	uint16_t pa = free_port();
	struct port *a = vx("a", "local=127.0.0.1 port=%u vni=5000,10:5010", pa);
	uint8_t good[128], d[128];
	vxlan_header_build(good, 5000);
	size_t len = VXLAN_HEADER_LEN + frame(good + VXLAN_HEADER_LEN, test_broadcast, 3, -1);

	send_to(w, pa, good, 4); /* short */
	memcpy(d, good, len);
	d[0] = 0; /* no I flag */
	send_to(w, pa, d, len);
	memcpy(d, good, len);
	d[7] = 1; /* a reserved bit */
	send_to(w, pa, d, len);
	vxlan_header_build(d, 4242); /* unknown VNI */
	send_to(w, pa, d, len);
	send_to(w, pa, good, VXLAN_HEADER_LEN + 13); /* inner runt */
	len = VXLAN_HEADER_LEN + frame(d + VXLAN_HEADER_LEN, test_broadcast, 3, 10);
	send_to(w, pa, d, len); /* inner tag inside VNI 4242... */
	vxlan_header_build(d, 5000);
	send_to(w, pa, d, len);			     /* ...and inside VNI 5000 */
	send_to(w, pa, good, VXLAN_HEADER_LEN + 14); /* the one good frame */

	struct packet_batch batch;
	assert_int_equal(receive(a, &batch, 1), 1);
	assert_int_equal(batch.packets[0]->len, 14);
	packet_batch_free(&batch);
	assert_int_equal(status_number(a, "rx-short"), 1);
	assert_int_equal(status_number(a, "rx-bad-flags"), 1);
	assert_int_equal(status_number(a, "rx-reserved"), 1);
	assert_int_equal(status_number(a, "rx-unknown-vni"), 2);
	assert_int_equal(status_number(a, "rx-inner-short"), 1);
	assert_int_equal(status_number(a, "rx-inner-tagged"), 1);
	/* Nothing malformed was learned from. */
	assert_int_equal(status_number(a, "remote-macs"), 1);
	port_destroy(a);
	close(w);
}

static void test_transmit_refusals_are_counted(void **state)
{
	(void)state;
	uint16_t pw;
	int w = udp_socket(&pw);
	struct port *a = vx("a",
			    "local=127.0.0.1 port=%u remote=127.0.0.1:%u vni=5000,10:5010 df=on "
			    "underlay-mtu=576",
			    free_port(), pw);
	send_frame(a, test_broadcast, 1, 30); /* VLAN 30 has no VNI */
	assert_int_equal(status_number(a, "tx-no-vni"), 1);
	/* A frame of 541 bytes + 36 = 577 > 576: too big with df=on. */
	uint8_t big[600], payload[600] = {0};
	size_t len = frame_build(big, sizeof(big), test_broadcast, test_mac(1), -1, 0x0800, payload,
				 541 - 14);
	struct packet_batch batch = {0};
	packet_batch_add(&batch, packet_from_bytes(pool, big, (uint32_t)len));
	packet_batch_add(&batch, packet_from_bytes(pool, big, (uint32_t)len - 1));
	a->class->send(a, &batch);
	assert_int_equal(status_number(a, "tx-too-big"), 1);
	assert_int_equal(count_datagrams(w, NULL, 0), 1); /* the one that fits */
	assert_int_equal(a->stats.tx_errors, 2);
	port_destroy(a);
	close(w);
}

static void test_table_is_bounded(void **state)
{
	(void)state;
	uint16_t pw;
	int w = udp_socket(&pw);
	uint16_t pa = free_port();
	struct port *a = vx("a", "local=127.0.0.1 port=%u vni=5000 max-macs=2", pa);
	uint8_t d[128];
	vxlan_header_build(d, 5000);
	for (unsigned m = 1; m <= 3; m++) {
		size_t len = VXLAN_HEADER_LEN + frame(d + VXLAN_HEADER_LEN, test_broadcast, m, -1);
		send_to(w, pa, d, len);
	}
	struct packet_batch batch;
	assert_int_equal(receive(a, &batch, 3), 3); /* forwarded all the same */
	packet_batch_free(&batch);
	assert_int_equal(status_number(a, "remote-macs"), 2);
	assert_int_equal(status_number(a, "table-full"), 1);
	char err[256];
	assert_int_equal(vxlan_add_remote_mac(a, 5000, test_mac(4), "127.0.0.1", err, sizeof(err)),
			 -ENOSPC);
	port_destroy(a);
	close(w);
}

static void test_learned_macs_age(void **state)
{
	(void)state;
	uint16_t p1, p2;
	int w1 = udp_socket(&p1), w2 = udp_socket(&p2);
	uint16_t pa = free_port();
	struct port *a = vx("a",
			    "local=127.0.0.1 port=%u remote=127.0.0.1:%u,127.0.0.1:%u vni=5000 "
			    "ageing=1",
			    pa, p1, p2);
	uint8_t d[128];
	vxlan_header_build(d, 5000);
	size_t len = VXLAN_HEADER_LEN + frame(d + VXLAN_HEADER_LEN, test_broadcast, 7, -1);
	send_to(w1, pa, d, len);
	struct packet_batch batch;
	assert_int_equal(receive(a, &batch, 1), 1);
	packet_batch_free(&batch);
	send_frame(a, test_mac(7), 1, -1);
	assert_int_equal(count_datagrams(w1, NULL, 0) + count_datagrams(w2, NULL, 0), 1);
	/* Older than ageing: ignored at once, freed by the sweep. */
	usleep(2100 * 1000);
	send_frame(a, test_mac(7), 1, -1);
	assert_int_equal(count_datagrams(w1, NULL, 0) + count_datagrams(w2, NULL, 0), 2);
	struct vxlan_remote_mac mac;
	assert_int_equal(vxlan_remote_macs(a, &mac, 1), 0);
	assert_int_equal(status_number(a, "remote-macs"), 1);
	a->class->update_stats(a);
	assert_int_equal(status_number(a, "remote-macs"), 0);
	port_destroy(a);
	close(w1);
	close(w2);
}

struct receiver {
	struct port *port;
	struct packet_pool *pool;
	volatile bool stop;
	uint64_t received;
};

static void *receive_loop(void *arg)
{
	struct receiver *r = arg;
	struct packet_batch batch = {0};
	while (!r->stop) {
		int n = r->port->class->recv(r->port, r->pool, &batch);
		if (n > 0)
			r->received += (uint64_t)n;
		packet_batch_free(&batch);
	}
	return NULL;
}

/* recv() learning on one thread while send() looks up on another, as two
 * poll threads do (docs/cores.md): the MACs move between two VTEPs all
 * along; every frame sent leaves (to its VTEP, or flooded to both), and
 * nothing is lost or freed twice (ASan). */
static void test_learning_and_sending_on_two_threads(void **state)
{
	(void)state;
	uint16_t p1, p2;
	int w1 = udp_socket(&p1), w2 = udp_socket(&p2);
	int size = 8 << 20;
	setsockopt(w1, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	setsockopt(w2, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	uint16_t pa = free_port();
	struct port *a = vx(
	    "a", "local=127.0.0.1 port=%u remote=127.0.0.1:%u,127.0.0.1:%u vni=5000", pa, p1, p2);
	struct receiver r = {.port = a, .pool = packet_pool_create(1024, 0)};
	pthread_t thread;
	assert_int_equal(pthread_create(&thread, NULL, receive_loop, &r), 0);
	uint64_t frames = 0;
	for (int round = 0; round < 200; round++) {
		uint8_t d[128];
		vxlan_header_build(d, 5000);
		for (unsigned m = 1; m <= 8; m++) { /* MAC m behind VTEP 1 or 2 */
			size_t len =
			    VXLAN_HEADER_LEN + frame(d + VXLAN_HEADER_LEN, test_broadcast, m, -1);
			send_to((m + (unsigned)round) % 2 ? w1 : w2, pa, d, len);
		}
		struct packet_batch batch = {0};
		for (unsigned m = 1; m <= 16; m++) { /* 8 learned, 8 unknown */
			uint8_t buf[128];
			size_t len = frame(buf, test_mac(m), 100, -1);
			packet_batch_add(&batch, packet_from_bytes(pool, buf, (uint32_t)len));
		}
		frames += batch.count;
		a->class->send(a, &batch);
		count_datagrams(w1, NULL, 0);
		count_datagrams(w2, NULL, 0);
	}
	usleep(100 * 1000);
	r.stop = true;
	pthread_join(thread, NULL);
	assert_true(r.received > 0);
	assert_int_equal(a->stats.tx_errors + a->stats.tx_full, 0);
	assert_true(a->stats.tx_packets >= frames && a->stats.tx_packets <= 2 * frames);
	assert_int_equal(status_number(a, "remote-macs"), 8);
	port_destroy(a);
	assert_int_equal(r.pool->available, r.pool->size);
	packet_pool_destroy(r.pool);
	close(w1);
	close(w2);
}

static void test_options_are_checked(void **state)
{
	(void)state;
	const char *no_vni[] = {"local=127.0.0.1", NULL};
	assert_non_null(strstr(vx_error(no_vni), "vni= is required"));
	const char *no_local[] = {"vni=5", NULL};
	assert_non_null(strstr(vx_error(no_local), "local="));
	const char *bad_item[] = {"local=127.0.0.1", "vni=10:", NULL};
	assert_non_null(strstr(vx_error(bad_item), "'10:'"));
	const char *vid_twice[] = {"local=127.0.0.1", "vni=10:5,10:6", NULL};
	assert_non_null(strstr(vx_error(vid_twice), "VLAN 10 has two VNIs"));
	const char *vni_twice[] = {"local=127.0.0.1", "vni=5,10:5", NULL};
	assert_non_null(strstr(vx_error(vni_twice), "VNI 5 carries two VLANs"));
	const char *untagged_twice[] = {"local=127.0.0.1", "vni=5,6", NULL};
	assert_non_null(strstr(vx_error(untagged_twice), "untagged"));
	const char *overlap[] = {"local=127.0.0.1", "vni=10-20:100,15:7", NULL};
	assert_non_null(strstr(vx_error(overlap), "VLAN 15 has two VNIs"));
	const char *backwards[] = {"local=127.0.0.1", "vni=20-10:100", NULL};
	assert_non_null(strstr(vx_error(backwards), "'20-10:100'"));
	const char *past_max[] = {"local=127.0.0.1", "vni=1-2:16777215", NULL};
	assert_non_null(strstr(vx_error(past_max), "'1-2:16777215'"));
	const char *too_big[] = {"local=127.0.0.1", "vni=16777216", NULL};
	assert_non_null(strstr(vx_error(too_big), "VNI 0-16777215"));
	const char *family[] = {"local=127.0.0.1", "vni=5", "remote=::1", NULL};
	assert_non_null(strstr(vx_error(family), "address family"));
	const char *df[] = {"local=127.0.0.1", "vni=5", "df=maybe", NULL};
	assert_non_null(strstr(vx_error(df), "on or off"));
	const char *unknown[] = {"local=127.0.0.1", "vni=5", "colour=red", NULL};
	assert_non_null(strstr(vx_error(unknown), "unknown option"));
	const char *not_ours[] = {"local=192.0.2.77", "vni=5", NULL};
	assert_non_null(strstr(vx_error(not_ours), "address of this host"));
}

static void test_vni_ranges_map_vlan_ranges(void **state)
{
	(void)state;
	uint16_t pw;
	int w = udp_socket(&pw);
	struct port *a = vx("a", "local=127.0.0.1 port=%u remote=127.0.0.1:%u vni=100-4094:10000,7",
			    free_port(), pw);
	const int vids[] = {100, 101, 2000, 4094, -1};
	const uint32_t vnis[] = {10000, 10001, 11900, 13994, 7};
	for (size_t i = 0; i < ARRAY_SIZE(vids); i++) {
		send_frame(a, test_broadcast, 1, vids[i]);
		uint8_t got[64];
		uint32_t vni;
		assert_int_equal(count_datagrams(w, got, sizeof(got)), 1);
		assert_int_equal(vxlan_header_parse(got, sizeof(got), &vni), VXLAN_OK);
		assert_int_equal(vni, vnis[i]);
	}
	send_frame(a, test_broadcast, 1, 99);
	assert_int_equal(status_number(a, "tx-no-vni"), 1);
	port_destroy(a);
	close(w);
}

static void test_ipv6_underlay(void **state)
{
	(void)state;
	uint16_t pa = free_port(), pb = free_port();
	/* src-ports=0: from its port=, which b keeps (two VTEPs on one IP) */
	struct port *a = vx("a", "local=::1 port=%u remote=[::1]:%u vni=5000 src-ports=0", pa, pb);
	struct port *b = vx("b", "local=::1 port=%u remote=[::1]:%u vni=5000", pb, pa);
	send_frame(a, test_broadcast, 1, -1);
	struct packet_batch batch;
	assert_int_equal(receive(b, &batch, 1), 1);
	packet_batch_free(&batch);
	struct vxlan_remote_mac mac;
	assert_int_equal(vxlan_remote_macs(b, &mac, 1), 1);
	char where[64];
	snprintf(where, sizeof(where), "[::1]:%u", pa);
	assert_string_equal(mac.vtep, where);
	port_destroy(a);
	port_destroy(b);
}

/* Through a switch: VNI 5010 reaches a trunk as VLAN 10, VNI 5000 an access
 * port; a flood received from the overlay is not sent back into it. */
static void test_switch_sees_vlans_and_keeps_split_horizon(void **state)
{
	(void)state;
	char err[256];
	struct vswitch *sw = test_switch(SWITCH_MODE_LEARNING);
	uint16_t pw;
	int w = udp_socket(&pw);
	uint16_t pa = free_port();
	struct port *dev =
	    vx("vx", "local=127.0.0.1 port=%u remote=127.0.0.1:%u vni=5000,10:5010", pa, pw);
	struct port_config config;
	port_config_init(&config);
	bitset_set(config.vids, 10);
	assert_int_equal(switch_add_port(sw, dev, &config, err, sizeof(err)), 0);
	const uint16_t vids[] = {10, 0};
	struct bridge_port *trunk = test_port(sw, "trunk", 1, vids, false);

	uint8_t d[128];
	vxlan_header_build(d, 5010);
	size_t len = VXLAN_HEADER_LEN + frame(d + VXLAN_HEADER_LEN, test_broadcast, 5, -1);
	send_to(w, pa, d, len);
	for (int i = 0; i < 200 && !pipe_pending(trunk->dev); i++) {
		switch_poll(sw);
		usleep(1000);
	}
	struct test_frame f = test_take(trunk);
	assert_int_equal(test_frame_vid(&f), 10);
	vxlan_header_build(d, 5000);
	send_to(w, pa, d, len);
	for (int i = 0; i < 200 && !pipe_pending(trunk->dev); i++) {
		switch_poll(sw);
		usleep(1000);
	}
	f = test_take(trunk);
	assert_int_equal(f.len, len - VXLAN_HEADER_LEN);
	assert_int_equal(test_frame_vid(&f), -1);
	/* Split horizon: the remote heard nothing back. */
	assert_int_equal(count_datagrams(w, NULL, 0), 0);

	/* The trunk answers on VLAN 10: unicast to the learned VTEP, VNI 5010. */
	test_send(sw, trunk, test_mac(5), test_mac(6), 10);
	uint8_t got[64];
	assert_int_equal(count_datagrams(w, got, sizeof(got)), 1);
	uint32_t vni;
	assert_int_equal(vxlan_header_parse(got, sizeof(got), &vni), VXLAN_OK);
	assert_int_equal(vni, 5010);
	assert_int_equal(load_be16(got + VXLAN_HEADER_LEN + 12), 0x0800); /* tag popped */
	test_switch_destroy(sw);
	close(w);
}

/* An IPv4 TCP segment from test_mac(1) port sport to test_mac(2), `payload`
 * bytes at sequence number seq, with correct checksums; returns its length. */
static uint32_t tcp_frame(uint8_t *f, uint16_t sport, uint32_t seq, uint32_t payload, uint16_t id)
{
	memcpy(f, test_mac(2), 6);
	memcpy(f + 6, test_mac(1), 6);
	store_be16(f + 12, ETH_TYPE_IPV4);
	uint8_t *ip = f + 14, *t = f + 34;
	memset(ip, 0, 40);
	ip[0] = 0x45;
	store_be16(ip + 2, (uint16_t)(40 + payload));
	store_be16(ip + 4, id);
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = 6;
	store_be32(ip + 12, 0x0a000001);
	store_be32(ip + 16, 0x0a000002);
	store_be16(ip + 10, csum_fold(csum_partial(ip, 20, 0)));
	store_be16(t, sport);
	store_be16(t + 2, 5201);
	store_be32(t + 4, seq);
	t[12] = 0x50;
	t[13] = 0x10;
	store_be16(t + 14, 1000);
	for (uint32_t i = 0; i < payload; i++)
		t[20 + i] = (uint8_t)(seq + i);
	uint32_t sum = csum_partial(ip + 12, 8, 0) + 6 + 20 + payload;
	store_be16(t + 16, csum_fold(csum_partial(t, 20 + payload, sum)));
	return 54 + payload;
}

/* Frames of 12 TCP flows leave from source ports the flow picks: the same
 * for every frame of a flow, several over the flows, never port= itself;
 * with src-ports=0 all from port=. */
static void test_source_ports_follow_the_inner_flow(void **state)
{
	(void)state;
	for (int pool_size = 16; pool_size >= 0; pool_size -= 16) {
		uint16_t pa = free_port(), pw;
		int w = udp_socket(&pw);
		struct port *a =
		    vx("a", "local=127.0.0.1 port=%u remote=127.0.0.1:%u vni=5000 src-ports=%d", pa,
		       pw, pool_size);
		assert_int_equal(status_number(a, "src-ports"), (uint64_t)pool_size);
		uint16_t first[12], distinct = 0;
		for (int round = 0; round < 2; round++) {
			struct packet_batch batch = {0};
			for (uint16_t f = 0; f < 12; f++) {
				uint8_t buf[128];
				uint32_t len = tcp_frame(buf, (uint16_t)(40000 + f), 1, 10, 0);
				packet_batch_add(&batch, packet_from_bytes(pool, buf, len));
			}
			a->class->send(a, &batch);
			/* Each flow's datagram, identified by its TCP source port. */
			for (int got = 0; got < 12; got++) {
				uint8_t d[256];
				struct sockaddr_in from;
				socklen_t fl = sizeof(from);
				struct pollfd pfd = {.fd = w, .events = POLLIN};
				assert_int_equal(poll(&pfd, 1, 1000), 1);
				assert_true(recvfrom(w, d, sizeof(d), 0, (struct sockaddr *)&from,
						     &fl) > 60);
				uint16_t flow = (uint16_t)(load_be16(d + 8 + 34) - 40000),
					 sp = ntohs(from.sin_port);
				assert_true(flow < 12);
				if (pool_size == 0)
					assert_int_equal(sp, pa);
				else
					assert_int_not_equal(sp, pa);
				if (round == 0) {
					bool seen = false;
					for (uint16_t g = 0; g < flow; g++)
						seen |= first[g] == sp;
					distinct +=
					    !seen; /* flows arrive in any order: counted below */
					first[flow] = sp;
				} else {
					assert_int_equal(first[flow], sp); /* stable per flow */
				}
			}
		}
		uint16_t ports = 0;
		for (int f = 0; f < 12; f++) {
			bool seen = false;
			for (int g = 0; g < f; g++)
				seen |= first[g] == first[f];
			ports += !seen;
		}
		(void)distinct;
		if (pool_size)
			assert_true(ports >= 4); /* 12 flows over 16 ports */
		else
			assert_int_equal(ports, 1);
		port_destroy(a);
		close(w);
	}
}

enum gso_flows { ONE_FLOW, FLOW_BREAK_AT_7, TWO_FLOWS_ALTERNATING, CORRUPT_AT_7 };

/* Sends 20 VXLAN datagrams of 1000-byte TCP segments (VNI 5000) to
 * 127.0.0.1:port as one UDP GSO write from socket w. */
static void gso_write(int w, uint16_t port, enum gso_flows flows)
{
	static uint8_t run[20 * 1100];
	uint32_t at = 0, seg = 8 + 54 + 1000;
	for (uint32_t i = 0; i < 20; i++) {
		vxlan_header_build(run + at, 5000);
		uint16_t sport = (flows == FLOW_BREAK_AT_7 && i == 7) ||
					 (flows == TWO_FLOWS_ALTERNATING && i % 2)
				     ? 40001
				     : 40000;
		tcp_frame(run + at + 8, sport, 1000 + i * 1000, 1000, (uint16_t)i);
		if (flows == CORRUPT_AT_7 && i == 7)
			run[at + 8 + 54 + 500] ^= 0x04; /* damaged on the underlay */
		at += seg;
	}
	uint16_t size = (uint16_t)seg;
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} c;
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(port)};
	struct iovec iov = {run, at};
	struct msghdr m = {.msg_name = &to,
			   .msg_namelen = sizeof(to),
			   .msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = c.buf,
			   .msg_controllen = sizeof(c.buf)};
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_UDP;
	h->cmsg_type = UDP_SEGMENT;
	h->cmsg_len = CMSG_LEN(sizeof(size));
	memcpy(CMSG_DATA(h), &size, sizeof(size));
	assert_int_equal(sendmsg(w, &m, 0), (ssize_t)at);
}

/* A read whose 20 frames do not fit the room left in the batch waits for
 * the next call, whole and in order; closing the port with such a read
 * pending gives its buffer back. */
static void test_a_gro_read_that_does_not_fit_the_batch_waits(void **state)
{
	(void)state;
	struct packet_pool *big = packet_pool_create(64, 65535);
	assert_non_null(big);
	uint16_t pb = free_port(), pw;
	int w = udp_socket(&pw);
	struct port *b = vx("b", "local=127.0.0.1 port=%u vni=5000", pb);
	static struct packet_batch batch;
	batch.count = 0;
	assert_int_equal(b->class->recv(b, big, &batch), 0); /* UDP_GRO on */
	gso_write(w, pb, TWO_FLOWS_ALTERNATING);	     /* nothing merges: 20 frames */
	usleep(20000);
	batch.count = BATCH_SIZE - 6; /* room for 6 (the slots are not read) */
	assert_int_equal(b->class->recv(b, big, &batch), 0);
	assert_int_equal(batch.count, BATCH_SIZE - 6);
	batch.count = 0;
	assert_int_equal(b->class->recv(b, big, &batch), 20);
	for (uint32_t i = 0; i < 20; i++)
		assert_int_equal(load_be32(batch.packets[i]->data + 38), 1000 + i * 1000);
	assert_int_equal(status_number(b, "gro-frames"), 0);
	packet_batch_free(&batch);
	gso_write(w, pb, TWO_FLOWS_ALTERNATING);
	usleep(20000);
	batch.count = BATCH_SIZE - 1;
	assert_int_equal(b->class->recv(b, big, &batch), 0);
	port_destroy(b); /* with the read pending */
	close(w);
	assert_int_equal(big->available, big->size);
	packet_pool_destroy(big);
}

/* A UDP GSO write of 20 VXLAN datagrams (one TCP flow's segments) reaches a
 * port reading with UDP_GRO (a 64 KB pool, as vswitchd's) as one read: one
 * super-frame with its GSO metadata. A run with another flow's segment in
 * the middle gives the three pieces, in order. */
static void test_a_gro_read_becomes_one_tcp_super_frame(void **state)
{
	(void)state;
	struct packet_pool *big = packet_pool_create(64, 65535);
	assert_non_null(big);
	uint16_t pb = free_port(), pw;
	int w = udp_socket(&pw);
	struct port *b = vx("b", "local=127.0.0.1 port=%u vni=5000", pb);
	struct packet_batch batch = {0};
	/* The first receive sees the pool and turns UDP_GRO on: before it,
	 * the kernel queues the datagrams one by one. */
	assert_int_equal(b->class->recv(b, big, &batch), 0);
	for (int mixed = 0; mixed < 2; mixed++) {
		gso_write(w, pb, mixed ? FLOW_BREAK_AT_7 : ONE_FLOW);
		for (int tries = 0; tries < 200 && !batch.count; tries++)
			if (b->class->recv(b, big, &batch) == 0)
				usleep(1000);
		if (!mixed) {
			assert_int_equal(batch.count, 1);
			struct packet *p = batch.packets[0];
			assert_int_equal(p->len, 54 + 20 * 1000);
			assert_true(p->flags & PACKET_F_OFFLOAD);
			assert_int_equal(p->offload.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
			assert_int_equal(p->offload.gso_size, 1000);
			assert_int_equal(load_be16(p->data + 16), 40 + 20 * 1000);
			assert_int_equal(status_number(b, "gro-frames"), 1);
		} else {
			/* 0-6 merged, 7 alone (another flow), 8-19 merged */
			assert_int_equal(batch.count, 3);
			assert_int_equal(batch.packets[0]->len, 54 + 7 * 1000);
			assert_int_equal(batch.packets[1]->len, 54 + 1000);
			assert_false(batch.packets[1]->flags & PACKET_F_OFFLOAD);
			assert_int_equal(batch.packets[2]->len, 54 + 12 * 1000);
			assert_int_equal(load_be32(batch.packets[2]->data + 38), 1000 + 8 * 1000);
			assert_int_equal(status_number(b, "gro-frames"), 3);
		}
		assert_int_equal(status_number(b, "gro-reads"), (uint64_t)mixed + 1);
		packet_batch_free(&batch);
	}
	port_destroy(b);
	close(w);
	assert_int_equal(big->available, big->size);
	packet_pool_destroy(big);
}

/* A segment whose inner TCP checksum is wrong (one payload byte flipped,
 * which nothing else catches with outer UDP checksum 0) never joins a
 * super-frame that would get a fresh checksum: the ones before it merge, it
 * arrives alone and unchanged for the VM's stack to drop, the rest merge,
 * and gro-bad-csum counts it. */
static void test_a_corrupted_segment_is_not_merged(void **state)
{
	(void)state;
	struct packet_pool *big = packet_pool_create(64, 65535);
	assert_non_null(big);
	uint16_t pb = free_port(), pw;
	int w = udp_socket(&pw);
	struct port *b = vx("b", "local=127.0.0.1 port=%u vni=5000", pb);
	struct packet_batch batch = {0};
	assert_int_equal(b->class->recv(b, big, &batch), 0); /* UDP_GRO on */
	gso_write(w, pb, CORRUPT_AT_7);
	for (int tries = 0; tries < 200 && !batch.count; tries++)
		if (b->class->recv(b, big, &batch) == 0)
			usleep(1000);
	assert_int_equal(batch.count, 3);
	assert_int_equal(batch.packets[0]->len, 54 + 7 * 1000);
	uint8_t bad[54 + 1000];
	tcp_frame(bad, 40000, 1000 + 7 * 1000, 1000, 7);
	bad[54 + 500] ^= 0x04;
	assert_int_equal(batch.packets[1]->len, sizeof(bad));
	assert_memory_equal(batch.packets[1]->data, bad, sizeof(bad));
	assert_false(batch.packets[1]->flags & PACKET_F_OFFLOAD);
	assert_int_equal(batch.packets[2]->len, 54 + 12 * 1000);
	assert_int_equal(status_number(b, "gro-frames"), 2);
	assert_int_equal(status_number(b, "gro-bad-csum"), 1);
	packet_batch_free(&batch);
	port_destroy(b);
	close(w);
	assert_int_equal(big->available, big->size);
	packet_pool_destroy(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_maps_vnis_to_vlans),
	    cmocka_unit_test(test_wire_format_is_linux_vxlan),
	    cmocka_unit_test(test_flood_reaches_each_remote_once_and_learned_unicast_one),
	    cmocka_unit_test(test_runs_to_one_vtep_leave_as_one_gso_write),
	    cmocka_unit_test(test_learned_vtep_is_the_source_ip_at_the_vxlan_port),
	    cmocka_unit_test(test_live_api_sets_flood_lists_and_static_macs),
	    cmocka_unit_test(test_malformed_datagrams_are_counted_not_received),
	    cmocka_unit_test(test_transmit_refusals_are_counted),
	    cmocka_unit_test(test_table_is_bounded),
	    cmocka_unit_test(test_learned_macs_age),
	    cmocka_unit_test(test_learning_and_sending_on_two_threads),
	    cmocka_unit_test(test_options_are_checked),
	    cmocka_unit_test(test_vni_ranges_map_vlan_ranges),
	    cmocka_unit_test(test_ipv6_underlay),
	    cmocka_unit_test(test_source_ports_follow_the_inner_flow),
	    cmocka_unit_test(test_a_gro_read_becomes_one_tcp_super_frame),
	    cmocka_unit_test(test_a_gro_read_that_does_not_fit_the_batch_waits),
	    cmocka_unit_test(test_a_corrupted_segment_is_not_merged),
	    cmocka_unit_test(test_switch_sees_vlans_and_keeps_split_horizon),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
