/* virtio_ring.h — one split virtqueue (virtio 1.0 §2.6) seen from the
 * device side: taking the guest's transmitted frames off its TX queue into
 * pool packets, and copying packets into the buffers the guest posted on its
 * RX queue (mergeable buffers: one frame may fill several). The rings live
 * in guest memory, so every index, descriptor and length read from them is
 * checked before use; a guest that breaks a rule gets its queue refused
 * (virtq_dequeue/virtq_enqueue report it and the port resets the
 * connection). Pure: the functions work on a memory table and rings the
 * caller passes in, so the unit tests and the fuzz target build rings in
 * plain memory. */
#ifndef VSWITCH_PORT_VIRTIO_RING_H
#define VSWITCH_PORT_VIRTIO_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

#include "lib/packet.h"
#include "vhost_memory.h"

#define VIRTQ_SIZE_MAX 32768

/* What a queue counts: the first group are rule breaks that stop the queue
 * (the connection is reset), the second frames dropped one by one. */
#define VIRTQ_COUNTERS(X)                                                                          \
	X(VIRTQ_BAD_INDEX, "bad-index",                                                            \
	  "an avail index more than a ring ahead, or a head past it")                              \
	X(VIRTQ_BAD_ADDRESS, "bad-address", "a buffer or table outside guest memory")              \
	X(VIRTQ_BAD_CHAIN, "bad-chain",                                                            \
	  "a chain that loops, outgrows its table or has a bad next")                              \
	X(VIRTQ_BAD_INDIRECT, "bad-indirect",                                                      \
	  "an indirect table nested, chained, empty or too big")                                   \
	X(VIRTQ_BAD_DIRECTION, "bad-direction",                                                    \
	  "a buffer to send that is write-only, or to fill read-only")                             \
	X(VIRTQ_BAD_HEADER_ROOM, "bad-header-room",                                                \
	  "a receive chain whose first buffer cannot hold the header")                             \
	X(VIRTQ_RUNT, "runt", "a frame shorter than an Ethernet header (dropped)")                 \
	X(VIRTQ_OVERSIZE, "oversize", "a frame longer than a packet buffer (dropped)")             \
	X(VIRTQ_BAD_OFFLOAD, "bad-offload",                                                        \
	  "a virtio-net header pointing outside its frame (dropped)")                              \
	X(VIRTQ_TOO_SMALL, "too-small", "a frame larger than the guest's receive chain (dropped)")

enum virtq_counter {
#define VIRTQ_ENUM(e, name, text) e,
	VIRTQ_COUNTERS(VIRTQ_ENUM)
#undef VIRTQ_ENUM
	    VIRTQ_COUNTER_MAX
};
/* The first counter that is a dropped frame rather than a broken queue. */
#define VIRTQ_FIRST_DROP VIRTQ_RUNT

const char *virtq_counter_name(enum virtq_counter c);
const char *virtq_counter_text(enum virtq_counter c);

struct virtq {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t size;	     /* a power of 2, at most VIRTQ_SIZE_MAX (0: not set up) */
	uint16_t last_avail; /* the next avail entry we take */
	uint16_t last_used;  /* our used->idx, published once per batch */
	uint16_t hdr_len;    /* the virtio-net header: 12 (VERSION_1 or mergeable) or 10 */
	bool mergeable;	     /* VIRTIO_NET_F_MRG_RXBUF */
	bool indirect;	     /* VIRTIO_RING_F_INDIRECT_DESC */
	bool event_idx;	     /* VIRTIO_RING_F_EVENT_IDX */
	bool in_order;	     /* VIRTIO_F_IN_ORDER: one used entry per transmit batch */
	bool kicks_wanted;   /* we asked the guest to kick (idle) */
	bool broken;	     /* the guest broke a rule: no more I/O until reset */
	int call_fd;	     /* eventfd to interrupt the guest; -1: none */
	uint64_t calls;	     /* interrupts sent */
	uint64_t counters[VIRTQ_COUNTER_MAX];
};

/* Negotiated feature bits the queue follows (virtio feature numbers). */
void virtq_set_features(struct virtq *q, uint64_t features);

/* Checks a ring size: a power of 2, 1..VIRTQ_SIZE_MAX. */
bool virtq_size_valid(uint32_t size);

/* Bytes each part of a ring of `size` entries spans in guest memory. */
uint64_t virtq_desc_bytes(uint32_t size);
uint64_t virtq_avail_bytes(uint32_t size);
uint64_t virtq_used_bytes(uint32_t size);

/* Takes up to `max` frames the guest transmitted into packets from `pool`,
 * appended to `batch` with their offload metadata; returns their buffers to
 * the guest (one used->idx store) and interrupts it if it asked. Returns the
 * number of packets added, or -EPROTO when the guest broke a rule (counted;
 * q->broken set). Frames dropped one by one are counted and their buffers
 * returned. Stops early when the pool runs dry. */
int virtq_dequeue(struct virtq *q, struct vhost_memory *mem, struct packet_pool *pool,
		  struct packet_batch *batch, uint32_t max);

/* Copies packets[0..n) into the guest's receive buffers in order, with the
 * virtio-net header (offload metadata and num_buffers), publishes them and
 * interrupts the guest if it asked. Does not free the packets. Returns how
 * many packets were consumed: delivered, or dropped and counted one by one
 * (*delivered says how many were delivered, *bytes their length); the rest
 * found no room (a full ring) or the guest broke a rule (q->broken). */
uint32_t virtq_enqueue(struct virtq *q, struct vhost_memory *mem, struct packet *const *packets,
		       uint32_t n, uint32_t *delivered, uint64_t *bytes);

/* Whether the guest has made buffers available we have not taken. */
bool virtq_has_work(const struct virtq *q);

/* Asks the guest to kick on new buffers (on: idle, about to sleep) or not
 * (off: busy, polling). Returns virtq_has_work() read after the request
 * took effect, so no buffer added meanwhile is missed. */
bool virtq_want_kicks(struct virtq *q, bool on);

#endif
