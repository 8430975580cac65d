/* test_vhost_message.c — the vhost-user message handler
 * (src/port/vhost_message.c) driven with crafted messages and real file
 * descriptors (memfd guest memory, eventfd kicks): the QEMU start sequence
 * makes rings ready, GET_VRING_BASE stops them, and wrong sizes, fd counts,
 * ring sizes, ring addresses and queue indexes are refused and counted with
 * every fd that came along closed. */
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"
#include "port/vhost_message.h"

#define F(bit)	   (UINT64_C(1) << (bit))
#define MEM_SIZE   (1u << 20)
#define GPA	   UINT64_C(0x0)
#define UVA	   UINT64_C(0x7f1200000000)
#define RING	   256
#define NEED_REPLY (VHOST_USER_VERSION | VHOST_USER_NEED_REPLY)

static const uint64_t offered = F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MRG_RXBUF) |
				F(VHOST_USER_F_PROTOCOL_FEATURES) | F(VIRTIO_RING_F_EVENT_IDX);
static const uint64_t protocol = F(VHOST_USER_PROTOCOL_F_MQ) | F(VHOST_USER_PROTOCOL_F_REPLY_ACK);

struct state_msg {
	uint32_t index, num;
};
struct addr_msg {
	uint32_t index, flags;
	uint64_t desc, used, avail, log;
};
struct mem_msg {
	uint32_t n, padding;
	struct vhost_memory_desc regions[VHOST_MEMORY_MAX_REGIONS];
};

static struct vhost_device *device(void)
{
	struct vhost_device *d = malloc(sizeof(*d));
	vhost_device_init(d, offered, protocol, 2);
	return d;
}

static void device_free(struct vhost_device *d)
{
	vhost_device_reset(d);
	free(d);
}

static int send_msg(struct vhost_device *d, uint32_t request, uint32_t flags, const void *payload,
		    uint32_t size, int *fds, int n_fds, struct vhost_reply *reply)
{
	struct vhost_reply scratch;
	return vhost_message_handle(d, request, flags, payload, size, fds, n_fds,
				    reply ? reply : &scratch);
}

static int send_u64(struct vhost_device *d, uint32_t request, uint64_t value)
{
	return send_msg(d, request, VHOST_USER_VERSION, &value, sizeof(value), NULL, 0, NULL);
}

static int send_state(struct vhost_device *d, uint32_t request, uint32_t index, uint32_t num)
{
	struct state_msg s = {index, num};
	return send_msg(d, request, VHOST_USER_VERSION, &s, sizeof(s), NULL, 0, NULL);
}

static int send_fd(struct vhost_device *d, uint32_t request, uint32_t index)
{
	int fd = eventfd(0, EFD_CLOEXEC);
	uint64_t u = index;
	return send_msg(d, request, VHOST_USER_VERSION, &u, sizeof(u), &fd, 1, NULL);
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* Shares 1 MB of guest memory (a memfd) at GPA 0 / UVA. */
static int send_memory(struct vhost_device *d)
{
	int fd = memfd_create("guest", MFD_CLOEXEC);
	assert_int_equal(ftruncate(fd, MEM_SIZE), 0);
	struct mem_msg m = {.n = 1, .regions = {{GPA, MEM_SIZE, UVA, 0}}};
	return send_msg(d, VHOST_USER_SET_MEM_TABLE, VHOST_USER_VERSION, &m,
			8 + sizeof(m.regions[0]), &fd, 1, NULL);
}

/* Ring i at UVA + i * 64 KB: desc, then avail at +4 KB, used at +8 KB. */
static int send_addr(struct vhost_device *d, uint32_t index, uint64_t base)
{
	struct addr_msg a = {index, 0, base, base + 8192, base + 4096, 0};
	return send_msg(d, VHOST_USER_SET_VRING_ADDR, VHOST_USER_VERSION, &a, sizeof(a), NULL, 0,
			NULL);
}

/* What QEMU sends to start ring `index`. */
static void start_ring(struct vhost_device *d, uint32_t index)
{
	assert_int_equal(send_state(d, VHOST_USER_SET_VRING_NUM, index, RING), 0);
	assert_int_equal(send_state(d, VHOST_USER_SET_VRING_BASE, index, 5), 0);
	assert_int_equal(send_addr(d, index, UVA + index * 65536), 0);
	assert_int_equal(send_fd(d, VHOST_USER_SET_VRING_KICK, index), 0);
	assert_int_equal(send_fd(d, VHOST_USER_SET_VRING_CALL, index), 0);
}

static void negotiate(struct vhost_device *d)
{
	assert_int_equal(
	    send_msg(d, VHOST_USER_SET_OWNER, VHOST_USER_VERSION, NULL, 0, NULL, 0, NULL), 0);
	assert_int_equal(send_u64(d, VHOST_USER_SET_FEATURES, offered), 0);
	assert_int_equal(send_u64(d, VHOST_USER_SET_PROTOCOL_FEATURES, protocol), 0);
	assert_int_equal(send_memory(d), 0);
}

static void test_features_are_offered_and_only_those_taken(void **state)
{
	(void)state;
	struct vhost_device *d = device();
	struct vhost_reply r;
	assert_int_equal(
	    send_msg(d, VHOST_USER_GET_FEATURES, VHOST_USER_VERSION, NULL, 0, NULL, 0, &r), 0);
	uint64_t got;
	assert_int_equal(r.size, 8);
	memcpy(&got, r.payload, 8);
	assert_int_equal(got, offered);
	assert_int_equal(
	    send_msg(d, VHOST_USER_GET_QUEUE_NUM, VHOST_USER_VERSION, NULL, 0, NULL, 0, &r), 0);
	memcpy(&got, r.payload, 8);
	assert_int_equal(got, 2);
	assert_int_equal(send_u64(d, VHOST_USER_SET_FEATURES, offered | F(VIRTIO_NET_F_CTRL_VQ)),
			 -EPROTO);
	assert_int_equal(d->refusals[VHOST_BAD_FEATURES], 1);
	assert_int_equal(
	    send_u64(d, VHOST_USER_SET_PROTOCOL_FEATURES, F(VHOST_USER_PROTOCOL_F_MQ) | F(9)),
	    -EPROTO);
	assert_int_equal(d->refusals[VHOST_BAD_FEATURES], 2);
	device_free(d);
}

static void test_qemu_start_sequence_makes_rings_ready(void **state)
{
	(void)state;
	struct vhost_device *d = device();
	negotiate(d);
	start_ring(d, 0);
	start_ring(d, 1);
	/* With protocol features, rings start disabled. */
	assert_false(vhost_vring_ready(d, 0));
	assert_false(vhost_device_running(d));
	assert_int_equal(send_state(d, VHOST_USER_SET_VRING_ENABLE, 0, 1), 0);
	assert_int_equal(send_state(d, VHOST_USER_SET_VRING_ENABLE, 1, 1), 0);
	assert_true(vhost_device_running(d));
	assert_int_equal(d->vrings[1].q.last_avail, 5);
	assert_true(d->vrings[1].q.mergeable);
	assert_true(d->vrings[1].q.event_idx);
	assert_true(d->vrings[1].kick_fd >= 0);
	assert_true(d->vrings[0].q.call_fd >= 0);

	/* GET_VRING_BASE stops the ring and says where. */
	d->vrings[1].q.last_avail = 9;
	struct state_msg s = {1, 0};
	struct vhost_reply r;
	assert_int_equal(
	    send_msg(d, VHOST_USER_GET_VRING_BASE, VHOST_USER_VERSION, &s, sizeof(s), NULL, 0, &r),
	    0);
	assert_int_equal(r.size, sizeof(s));
	memcpy(&s, r.payload, sizeof(s));
	assert_int_equal(s.num, 9);
	assert_false(vhost_vring_ready(d, 1));
	assert_int_equal(d->vrings[1].kick_fd, -1);
	assert_false(vhost_device_running(d));
	device_free(d);
}

static void test_rings_start_enabled_and_kicked_without_protocol_features(void **state)
{
	(void)state;
	struct vhost_device *d = device();
	assert_int_equal(send_u64(d, VHOST_USER_SET_FEATURES, F(VIRTIO_F_VERSION_1)), 0);
	assert_int_equal(send_memory(d), 0);
	start_ring(d, 0);
	assert_true(vhost_vring_ready(d, 0));
	assert_false(d->vrings[0].q.mergeable);
	/* A transmit ring left polled (NO_NOTIFY) by a back end before us
	 * starts with kicks asked for again. */
	uint16_t *used_flags = vhost_memory_uva(&d->mem, UVA + 65536 + 8192, 2);
	*used_flags = VRING_USED_F_NO_NOTIFY;
	start_ring(d, 1);
	assert_int_equal(*used_flags, 0);
	device_free(d);
}

static void test_wrong_fd_count_is_refused_and_fds_closed(void **state)
{
	(void)state;
	struct vhost_device *d = device();
	int fd = memfd_create("guest", MFD_CLOEXEC);
	assert_int_equal(ftruncate(fd, MEM_SIZE), 0);
	int kept = fd;
	struct mem_msg m = {.n = 2,
			    .regions = {{0, MEM_SIZE / 2, UVA, 0},
					{MEM_SIZE / 2, MEM_SIZE / 2, UVA + MEM_SIZE / 2, 0}}};
	assert_int_equal(send_msg(d, VHOST_USER_SET_MEM_TABLE, VHOST_USER_VERSION, &m,
				  8 + 2 * sizeof(m.regions[0]), &fd, 1, NULL),
			 -EPROTO);
	assert_int_equal(d->refusals[VHOST_BAD_FDS], 1);
	assert_false(fd_open(kept));
	assert_int_equal(d->mem.n_regions, 0);

	/* A kick without its fd, and an fd where none belongs. */
	uint64_t u = 0;
	assert_int_equal(
	    send_msg(d, VHOST_USER_SET_VRING_KICK, VHOST_USER_VERSION, &u, 8, NULL, 0, NULL),
	    -EPROTO);
	fd = eventfd(0, 0);
	kept = fd;
	assert_int_equal(
	    send_msg(d, VHOST_USER_SET_FEATURES, VHOST_USER_VERSION, &u, 8, &fd, 1, NULL), -EPROTO);
	assert_false(fd_open(kept));
	assert_int_equal(d->refusals[VHOST_BAD_FDS], 3);
	device_free(d);
}

static void test_wrong_payload_sizes_are_refused(void **state)
{
	(void)state;
	struct vhost_device *d = device();
	uint8_t junk[64] = {0};
	assert_int_equal(
	    send_msg(d, VHOST_USER_SET_FEATURES, VHOST_USER_VERSION, junk, 4, NULL, 0, NULL),
	    -EPROTO);
	assert_int_equal(
	    send_msg(d, VHOST_USER_SET_VRING_ADDR, VHOST_USER_VERSION, junk, 39, NULL, 0, NULL),
	    -EPROTO);
	assert_int_equal(
	    send_msg(d, VHOST_USER_SET_VRING_NUM, VHOST_USER_VERSION, junk, 12, NULL, 0, NULL),
	    -EPROTO);
	assert_int_equal(
	    send_msg(d, VHOST_USER_SET_MEM_TABLE, VHOST_USER_VERSION, junk, 4, NULL, 0, NULL),
	    -EPROTO);
	assert_int_equal(d->refusals[VHOST_BAD_SIZE], 4);
	assert_int_equal(send_msg(d, VHOST_USER_GET_FEATURES, 0, NULL, 0, NULL, 0, NULL), -EPROTO);
	assert_int_equal(d->refusals[VHOST_BAD_VERSION], 1);
	device_free(d);
}

static void test_bad_ring_sizes_are_refused(void **state)
{
	(void)state;
	struct vhost_device *d = device();
	const uint32_t bad[] = {0, 3, 300, 65536, 1u << 31};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(send_state(d, VHOST_USER_SET_VRING_NUM, 0, bad[i]), -EPROTO);
	assert_int_equal(d->refusals[VHOST_BAD_RING_SIZE], ARRAY_SIZE(bad));
	assert_int_equal(send_state(d, VHOST_USER_SET_VRING_NUM, 0, 32768), 0);
	device_free(d);
}

static void test_ring_outside_guest_memory_is_refused(void **state)
{
	(void)state;
	struct vhost_device *d = device();
	negotiate(d);
	assert_int_equal(send_state(d, VHOST_USER_SET_VRING_NUM, 0, RING), 0);
	/* The used ring would end past the 1 MB region. */
	assert_int_equal(send_addr(d, 0, UVA + MEM_SIZE - 8192), -EPROTO);
	assert_int_equal(send_addr(d, 0, UVA - 65536), -EPROTO);
	assert_int_equal(send_addr(d, 0, UVA + 2), -EPROTO); /* misaligned */
	assert_int_equal(d->refusals[VHOST_BAD_RING_ADDRESS], 3);
	device_free(d);
}

static void test_vring_index_beyond_the_queues_is_refused(void **state)
{
	(void)state;
	struct vhost_device *d = device(); /* 2 queue pairs: vrings 0-3 */
	assert_int_equal(send_state(d, VHOST_USER_SET_VRING_NUM, 4, RING), -EPROTO);
	assert_int_equal(send_fd(d, VHOST_USER_SET_VRING_CALL, 200), -EPROTO);
	assert_int_equal(d->refusals[VHOST_BAD_QUEUE], 2);
	device_free(d);
}

static void test_reply_ack_answers_and_unsupported_requests_keep_the_connection(void **state)
{
	(void)state;
	struct vhost_device *d = device();
	negotiate(d);
	struct vhost_reply r;
	uint64_t u = 1500, got;
	assert_int_equal(send_msg(d, VHOST_USER_NET_SET_MTU, NEED_REPLY, &u, 8, NULL, 0, &r), 0);
	assert_int_equal(r.size, 8);
	memcpy(&got, r.payload, 8);
	assert_int_equal(got, 0);
	assert_int_equal(d->mtu, 1500);
	/* The dirty log is not offered: refused, connection kept. */
	int fd = eventfd(0, 0);
	int kept = fd;
	assert_int_equal(send_msg(d, VHOST_USER_SET_LOG_FD, NEED_REPLY, NULL, 0, &fd, 1, &r), 0);
	memcpy(&got, r.payload, 8);
	assert_int_equal(got, 1);
	assert_false(fd_open(kept));
	assert_int_equal(d->refusals[VHOST_UNSUPPORTED], 1);
	u = 40;
	assert_int_equal(send_msg(d, VHOST_USER_NET_SET_MTU, NEED_REPLY, &u, 8, NULL, 0, &r),
			 -EPROTO);
	device_free(d);
}

static void test_reset_forgets_the_connection_but_keeps_counters(void **state)
{
	(void)state;
	struct vhost_device *d = device();
	negotiate(d);
	start_ring(d, 1);
	d->vrings[1].q.counters[VIRTQ_RUNT] = 3;
	d->refusals[VHOST_BAD_SIZE] = 2;
	int kick = d->vrings[1].kick_fd;
	vhost_device_reset(d);
	assert_false(fd_open(kick));
	assert_int_equal(d->mem.n_regions, 0);
	assert_int_equal(d->features, 0);
	assert_int_equal(d->vrings[1].q.counters[VIRTQ_RUNT], 3);
	assert_int_equal(d->refusals[VHOST_BAD_SIZE], 2);
	device_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_features_are_offered_and_only_those_taken),
	    cmocka_unit_test(test_qemu_start_sequence_makes_rings_ready),
	    cmocka_unit_test(test_rings_start_enabled_and_kicked_without_protocol_features),
	    cmocka_unit_test(test_wrong_fd_count_is_refused_and_fds_closed),
	    cmocka_unit_test(test_wrong_payload_sizes_are_refused),
	    cmocka_unit_test(test_bad_ring_sizes_are_refused),
	    cmocka_unit_test(test_ring_outside_guest_memory_is_refused),
	    cmocka_unit_test(test_vring_index_beyond_the_queues_is_refused),
	    cmocka_unit_test(test_reply_ack_answers_and_unsupported_requests_keep_the_connection),
	    cmocka_unit_test(test_reset_forgets_the_connection_but_keeps_counters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
