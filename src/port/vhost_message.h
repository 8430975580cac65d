/* vhost_message.h — the vhost-user protocol (QEMU docs/interop/
 * vhost-user.rst) as a back end speaks it: the device state a front end
 * (QEMU, DPDK's virtio-user) builds with its messages, and the handler that
 * applies one message to it. The handler does no socket I/O: it takes a
 * message and its file descriptors and returns the reply to send, so tests
 * and the fuzz target drive it with crafted bytes. A message that breaks
 * the protocol (a wrong size, fd count, ring size or address) is counted
 * and makes the handler ask for the connection to be reset. */
#ifndef VSWITCH_PORT_VHOST_MESSAGE_H
#define VSWITCH_PORT_VHOST_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhost_memory.h"
#include "virtio_ring.h"

#define VHOST_MAX_QUEUE_PAIRS 8
#define VHOST_MAX_VRINGS      (2 * VHOST_MAX_QUEUE_PAIRS)
#define VHOST_MAX_FDS	      8	   /* per message, as QEMU sends at most */
#define VHOST_HEADER_SIZE     12   /* request, flags, size */
#define VHOST_PAYLOAD_MAX     4096 /* larger than any request we take */

/* Requests (vhost-user.rst "Front-end message types"). */
enum vhost_request {
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_SEND_RARP = 19,
	VHOST_USER_NET_SET_MTU = 20,
	VHOST_USER_SET_BACKEND_REQ_FD = 21,
	VHOST_USER_REQUEST_MAX = 64,
};

/* Header flags. */
#define VHOST_USER_VERSION	0x1
#define VHOST_USER_VERSION_MASK 0x3
#define VHOST_USER_REPLY	0x4
#define VHOST_USER_NEED_REPLY	0x8

/* Protocol feature bits we know. */
#define VHOST_USER_PROTOCOL_F_MQ	0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3
#define VHOST_USER_PROTOCOL_F_NET_MTU	4
/* The feature bit that says protocol features exist (virtio bit 30). */
#define VHOST_USER_F_PROTOCOL_FEATURES 30

#define VHOST_VRING_INDEX_MASK 0xff  /* SET_VRING_KICK/CALL/ERR payload */
#define VHOST_VRING_NOFD       0x100 /* ... and no fd comes with it */

/* Messages refused; the first group resets the connection. */
#define VHOST_REFUSALS(X)                                                                          \
	X(VHOST_BAD_SIZE, "bad-size", "a message whose size does not fit its request")             \
	X(VHOST_BAD_VERSION, "bad-version", "a header without protocol version 1")                 \
	X(VHOST_BAD_FDS, "bad-fds", "a message with the wrong number of file descriptors")         \
	X(VHOST_BAD_QUEUE, "bad-queue", "a vring index beyond the queues offered")                 \
	X(VHOST_BAD_RING_SIZE, "bad-ring-size", "a ring size not a power of 2 or over 32768")      \
	X(VHOST_BAD_RING_ADDRESS, "bad-ring-address", "a ring outside guest memory or misaligned") \
	X(VHOST_BAD_MEMORY, "bad-memory", "a memory table that cannot be mapped")                  \
	X(VHOST_BAD_FEATURES, "bad-features", "features or protocol features we did not offer")    \
	X(VHOST_BAD_MTU, "bad-mtu", "an MTU outside 68-65535")                                     \
	X(VHOST_UNSUPPORTED, "unsupported", "a request we do not serve (dirty log, ...): refused") \
	X(VHOST_IGNORED, "ignored", "a request we accept and ignore (SEND_RARP)")

enum vhost_refusal {
#define VHOST_ENUM(e, name, text) e,
	VHOST_REFUSALS(VHOST_ENUM)
#undef VHOST_ENUM
	    VHOST_REFUSAL_MAX
};
/* The first refusal that keeps the connection. */
#define VHOST_FIRST_HARMLESS VHOST_UNSUPPORTED

const char *vhost_refusal_name(enum vhost_refusal r);

/* One virtqueue as the front end configured it. Even indexes are the
 * guest's receive queues (send() fills them), odd ones its transmit queues
 * (recv() empties them). */
struct vhost_vring {
	struct virtq q; /* q.size != 0 exactly when the ring is ready for I/O */
	uint32_t num;	/* SET_VRING_NUM, 0 until then */
	uint16_t base;	/* SET_VRING_BASE: where the indexes start */
	bool addr_set;	/* SET_VRING_ADDR received */
	uint64_t desc_addr, avail_addr, used_addr; /* front-end virtual addresses */
	int kick_fd;				   /* the guest's doorbell; -1: none */
	uint32_t kick_gen; /* bumped when kick_fd changes, for the port's epoll */
	bool started;	   /* SET_VRING_KICK received, not stopped since */
	bool enabled;	   /* SET_VRING_ENABLE 1 */
};

struct vhost_device {
	/* Set by the owner before the first message. */
	uint64_t offered;	   /* virtio features */
	uint64_t protocol_offered; /* protocol features */
	uint32_t queue_pairs;	   /* 1..VHOST_MAX_QUEUE_PAIRS */

	/* What the front end set. */
	uint64_t features;
	uint64_t protocol;
	bool owned;
	uint16_t mtu; /* NET_SET_MTU, 0: not set */
	struct vhost_memory mem;
	struct vhost_vring vrings[VHOST_MAX_VRINGS];

	/* Kept across connections. */
	uint64_t refusals[VHOST_REFUSAL_MAX];
	uint64_t messages;
	char last_refusal[160];
};

/* A reply to send back, when `size` >= 0. */
struct vhost_reply {
	int size; /* payload bytes; -1: no reply */
	uint32_t request;
	uint8_t payload[64];
};

/* Prepares an idle device (no fds, nothing mapped). */
void vhost_device_init(struct vhost_device *dev, uint64_t offered, uint64_t protocol_offered,
		       uint32_t queue_pairs);

/* Applies one message. `payload` holds `size` bytes; `fds` the descriptors
 * that came with it, all of which the handler takes (it closes those it does
 * not keep). Writes the reply to send, if any. Returns 0, or -EPROTO when
 * the front end broke the protocol (counted, with a sentence in
 * dev->last_refusal): the caller closes the connection and resets. */
int vhost_message_handle(struct vhost_device *dev, uint32_t request, uint32_t flags,
			 const void *payload, uint32_t size, int *fds, int n_fds,
			 struct vhost_reply *reply);

/* Forgets the connection: rings stopped, fds closed, memory unmapped,
 * features cleared; counters and the offer stay. */
void vhost_device_reset(struct vhost_device *dev);

/* Whether the ring at `index` is ready for I/O. */
static inline bool vhost_vring_ready(const struct vhost_device *dev, uint32_t index)
{
	return dev->vrings[index].q.size != 0;
}

/* Whether some queue pair has both rings ready: the port's carrier. */
bool vhost_device_running(const struct vhost_device *dev);

/* Writes the names of the feature bits set in `features`, space-separated. */
void vhost_feature_names(uint64_t features, char *out, size_t size);

#endif
