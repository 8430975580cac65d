/* fuzz_vhost_message.c — libFuzzer target for the vhost-user message
 * handler (src/port/vhost_message.c): a stream of messages with real file
 * descriptors (eventfds, and memfds the handler may map as guest memory),
 * after each of which the rings that became ready are walked. Nothing may
 * crash, leak an fd or map memory past a file. Input: records of
 * [fds][request][flags][size lo][size hi][payload...]; fds picks how many
 * descriptors come along (bits 0-1) and whether they are memfds (bit 2);
 * request 0xff is no message but [offset][bytes] written into the last
 * memfd, the guest writing its rings. Seeds: make-vhost-corpus.py. */
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "port/vhost_message.h"

#define GUEST_FILE (1u << 20)

/* The last memfd handed over: record type 0xff writes guest memory in it. */
static int guest_fd = -1;

static int make_fd(bool memory)
{
	if (!memory)
		return eventfd(0, EFD_CLOEXEC);
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd >= 0 && ftruncate(fd, GUEST_FILE) < 0) {
		close(fd);
		return -1;
	}
	if (guest_fd >= 0)
		close(guest_fd);
	guest_fd = fd >= 0 ? dup(fd) : -1;
	return fd;
}

/* [offset: 4 bytes][bytes...] into the guest's memory. */
static void write_guest(const uint8_t *payload, uint32_t len)
{
	uint32_t offset;
	if (guest_fd < 0 || len < 4)
		return;
	memcpy(&offset, payload, 4);
	if (pwrite(guest_fd, payload + 4, len - 4, offset % GUEST_FILE) < 0)
		return;
}

static void walk_rings(struct vhost_device *dev, struct packet_pool *pool)
{
	for (uint32_t i = 0; i < 2 * dev->queue_pairs; i++) {
		if (!vhost_vring_ready(dev, i))
			continue;
		struct packet_batch batch;
		packet_batch_init(&batch);
		if (i & 1) {
			virtq_dequeue(&dev->vrings[i].q, &dev->mem, pool, &batch, 32);
			packet_batch_free(&batch);
		} else {
			struct packet *p = packet_alloc(pool);
			p->len = 60;
			memset(p->data, 0xab, 60);
			uint32_t delivered;
			uint64_t bytes;
			virtq_enqueue(&dev->vrings[i].q, &dev->mem, &p, 1, &delivered, &bytes);
			packet_free(p);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct packet_pool *pool;
	static struct vhost_device dev;
	if (!pool)
		pool = packet_pool_create(64, 2048);
	uint64_t offered = (UINT64_C(1) << VIRTIO_F_VERSION_1) | (UINT64_C(1) << 15) |
			   (UINT64_C(1) << 28) | (UINT64_C(1) << 29) | (UINT64_C(1) << 30);
	vhost_device_init(&dev, offered, 0x19, 2);
	size_t at = 0;
	while (at + 5 <= size) {
		uint8_t fd_spec = data[at];
		uint32_t request = data[at + 1], flags = data[at + 2];
		uint32_t len = (uint32_t)data[at + 3] | (uint32_t)data[at + 4] << 8;
		at += 5;
		if (len > size - at)
			len = (uint32_t)(size - at);
		uint8_t *payload = malloc(len ? len : 1);
		if (!payload)
			break;
		memcpy(payload, data + at, len);
		at += len;
		if (request == 0xff) {
			write_guest(payload, len);
			free(payload);
			walk_rings(&dev, pool);
			continue;
		}
		int fds[3], n_fds = fd_spec & 3;
		if (n_fds == 3)
			n_fds = 0;
		for (int i = 0; i < n_fds; i++)
			fds[i] = make_fd(fd_spec & 4);
		struct vhost_reply reply;
		int rc =
		    vhost_message_handle(&dev, request, flags, payload, len, fds, n_fds, &reply);
		free(payload);
		if (reply.size > (int)sizeof(reply.payload))
			abort();
		if (rc < 0)
			vhost_device_reset(&dev);
		else
			walk_rings(&dev, pool);
	}
	vhost_device_reset(&dev);
	if (guest_fd >= 0)
		close(guest_fd);
	guest_fd = -1;
	return 0;
}
