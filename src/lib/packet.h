/* packet.h — packet buffers, the preallocated pool they come from, and the
 * batches (vectors of up to 256 packets) that every pipeline stage and every
 * port provider passes around. Nothing on the fast path allocates: a port
 * takes buffers from the pool on receive and returns them on send. */
#ifndef VSWITCH_PACKET_H
#define VSWITCH_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#define BATCH_SIZE 256

/* Room in front of the frame for an 802.1Q tag now and a VXLAN outer header
 * (50 bytes) later, without moving the payload. */
#define PACKET_HEADROOM		 128
#define PACKET_DEFAULT_DATA_ROOM 2048

#define ETH_HEADER_LEN 14
#define VLAN_TAG_LEN   4
/* The EtherTypes vswitch reads or writes, in one place (a protocol's own,
 * like the SEA's heartbeats, lives with the protocol). */
#define ETH_TYPE_IPV4	  0x0800
#define ETH_TYPE_ARP	  0x0806
#define ETH_TYPE_RARP	  0x8035
#define ETH_TYPE_VLAN	  0x8100
#define ETH_TYPE_IPV6	  0x86dd
#define ETH_TYPE_QINQ	  0x88a8
#define ETH_TYPE_QINQ_OLD 0x9100

enum packet_flags {
	/* The kernel stripped the 802.1Q tag into meta_tci (PACKET_AUXDATA). */
	PACKET_F_META_VLAN = 1 << 0,
	/* The frame carries its 802.1Q tag in the buffer at offset 12. */
	PACKET_F_INLINE_TAG = 1 << 1,
	/* `offload` holds a virtio-net header: GSO or a checksum to complete. */
	PACKET_F_OFFLOAD = 1 << 2,
};

/* The virtio-net header a tap (IFF_VNET_HDR) or packet socket
 * (PACKET_VNET_HDR) exchanges with the kernel, in host byte order. A TCP
 * stream between VMs moves as 64 KB super-frames with the checksum left to
 * do; carrying this instead of segmenting is what makes it fast. Offsets
 * count from the first byte of the Ethernet header. */
struct packet_offload {
	uint8_t flags;	  /* VIRTIO_NET_HDR_F_NEEDS_CSUM, _DATA_VALID */
	uint8_t gso_type; /* VIRTIO_NET_HDR_GSO_NONE, _TCPV4, _UDP, _TCPV6 (| _ECN) */
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

struct packet_pool;

struct packet {
	uint8_t *data; /* first byte of the Ethernet header */
	uint16_t len;  /* frame length from data, without FCS */
	uint16_t flags;
	uint16_t meta_tci; /* valid with PACKET_F_META_VLAN */
	uint16_t vid;	   /* the frame's VLAN once classified */
	uint16_t pcp;	   /* priority bits carried to a tagged egress */
	uint16_t out_port; /* the forwarding decision */
	uint8_t drop;	   /* enum drop_reason, 0 while the frame lives */
	uint8_t pad[3];
	struct packet_offload offload; /* valid with PACKET_F_OFFLOAD */
	uint64_t src_hash;	       /* MAC-table hashes of (VID, source) and (VID, */
	uint64_t dst_hash;	       /* destination), set by the ingress stage */
	uint8_t *buffer;	       /* start of the buffer, data - headroom when fresh */
	struct packet_pool *pool;
	struct packet *next_returned; /* link on the pool's return list */
};

struct packet_batch {
	uint32_t count;
	struct packet *packets[BATCH_SIZE];
};

/* A pool belongs to one thread: only it allocates and frees with
 * packet_alloc() and packet_free(), and its free stack is not locked. With
 * several poll threads (vswitchd --cores) each has its own pool, marked
 * `shared`. A packet that reaches another thread (through a patch port, or
 * injected into a pipe port) is adopted by the receiving port there
 * (packet_adopt: a buffer of the receiver's pool goes back to the sender's
 * in its place, so nothing is copied), and so is freed by its new owner
 * like any other; the few places that free a packet of unknown origin
 * (closing a port, a test reading a pipe) use packet_free_any(), which puts
 * a foreign packet on its pool's lock-free `returned` list, taken back by
 * the owner in one exchange. The fast path pays nothing for this. */
struct packet_pool {
	uint32_t size;	    /* packets in the pool */
	uint32_t data_room; /* bytes of frame a buffer holds after the headroom */
	uint32_t available; /* packets on the free stack */
	bool shared;	    /* other threads may free into it (packet_pool_share) */
	struct packet **free_stack;
	struct packet *packets;
	uint8_t *memory;
	struct packet *returned; /* freed by other threads; atomic accesses only */
};

/* The pool of the calling poll thread when there are several, NULL on any
 * other thread (set by the thread at start). */
extern __thread struct packet_pool *packet_pool_self;

/* Creates a pool of `size` packets of `data_room` bytes each (0 = default).
 * Returns NULL when memory is short. */
struct packet_pool *packet_pool_create(uint32_t size, uint32_t data_room);
void packet_pool_destroy(struct packet_pool *pool);

/* Marks the pool as one that other threads may free into; before they run. */
void packet_pool_share(struct packet_pool *pool);
/* Moves the packets other threads freed back onto the free stack; the
 * owner calls it. Returns how many. */
uint32_t packet_pool_reclaim(struct packet_pool *pool);
/* The calling thread's pool if it has one, else `fallback`: where a frame
 * made outside the receive path (an announcement) takes its buffer. */
static inline struct packet_pool *packet_pool_here(struct packet_pool *fallback)
{
	return packet_pool_self ? packet_pool_self : fallback;
}
/* Frees a packet of any pool, from any thread (see struct packet_pool). */
void packet_free_any(struct packet *p);
/* Makes `p`, a packet of another pool, one of `pool`'s (the calling
 * thread's): a free buffer of `pool` goes to p's pool in exchange. False
 * when `pool` has none to give; p is then unchanged. */
bool packet_adopt(struct packet_pool *pool, struct packet *p);

/* Returns a fresh packet (len 0, headroom restored) or NULL when the pool is
 * empty: callers count that as a "no-buffer" drop. Only the pool's owner
 * allocates from it. */
static inline struct packet *packet_alloc(struct packet_pool *pool)
{
	if (UNLIKELY(pool->available == 0) && packet_pool_reclaim(pool) == 0)
		return 0;
	struct packet *p = pool->free_stack[--pool->available];
	p->data = p->buffer + PACKET_HEADROOM;
	p->len = 0;
	p->flags = 0;
	p->drop = 0;
	return p;
}

/* Frees a packet of the calling thread's pool (see struct packet_pool). */
static inline void packet_free(struct packet *p)
{
	struct packet_pool *pool = p->pool;
	pool->free_stack[pool->available++] = p;
}

static inline uint32_t packet_headroom(const struct packet *p)
{
	return (uint32_t)(p->data - p->buffer);
}

static inline uint32_t packet_tailroom(const struct packet *p)
{
	return p->pool->data_room + PACKET_HEADROOM - packet_headroom(p) - p->len;
}

/* Copies the frame and its metadata into a new packet from the same pool;
 * NULL when the pool is empty. */
struct packet *packet_clone(const struct packet *p);

/* Copies everything but the frame and its place: flags, VLAN, decision,
 * offload header, hashes. */
void packet_copy_meta(struct packet *dst, const struct packet *src);

/* Copies `len` bytes into a fresh packet; NULL if the pool is empty or the
 * frame does not fit the buffer. */
struct packet *packet_from_bytes(struct packet_pool *pool, const void *frame, uint32_t len);

/* Inserts an 802.1Q tag after the MAC addresses; false without headroom. */
bool packet_push_vlan(struct packet *p, uint16_t tci);
/* Puts a tag the kernel left in metadata (PACKET_F_META_VLAN) back inline:
 * the wire form a port transmits. False when it does not fit the headroom;
 * true when it does, or there was none. */
static inline bool packet_inline_meta_vlan(struct packet *p)
{
	if (!(p->flags & PACKET_F_META_VLAN))
		return true;
	if (!packet_push_vlan(p, p->meta_tci))
		return false;
	p->flags &= (uint16_t)~PACKET_F_META_VLAN;
	return true;
}
/* Removes the inline 802.1Q tag after the MAC addresses. */
void packet_pop_vlan(struct packet *p);
/* Moves the offload header's frame offsets by delta bytes (a tag pushed or
 * popped in front of the L3 header). */
void packet_offload_shift(struct packet *p, int delta);

static inline void packet_batch_init(struct packet_batch *b)
{
	b->count = 0;
}

static inline void packet_batch_add(struct packet_batch *b, struct packet *p)
{
	b->packets[b->count++] = p;
}

static inline bool packet_batch_full(const struct packet_batch *b)
{
	return b->count == BATCH_SIZE;
}

/* Returns every packet of the batch to its pool and empties it. */
void packet_batch_free(struct packet_batch *b);

#endif
