/* virtio_ring.c — the device side of a split virtqueue (virtio_ring.h).
 *
 * Trust: the guest writes the rings while we read them. Every value is read
 * once into a local (a descriptor is copied before it is checked), every
 * index is bounded by the ring, every buffer translated with its length, and
 * a chain may visit at most as many descriptors as its table holds, which
 * refuses loops without a visited set. Indirect tables are followed only
 * from a chain's head (where Linux and DPDK drivers put them), never nested.
 *
 * Cost: the guest's avail index is read once per batch, used entries are
 * gathered and written in one pass before one release store of used->idx
 * per batch (with VIRTIO_F_IN_ORDER one entry stands for a batch of
 * transmit buffers), descriptors and buffers are prefetched a few chains
 * ahead of the copy, and the guest is interrupted (an eventfd write, the only system
 * call here) at most once per batch and only if it asked (its flags, or its
 * used_event with VIRTIO_RING_F_EVENT_IDX). */
#include "virtio_ring.h"

#include <errno.h>
#include <endian.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

static const struct {
	const char *name;
	const char *text;
} counter_info[] = {
#define VIRTQ_INFO(e, name, text) {name, text},
    VIRTQ_COUNTERS(VIRTQ_INFO)
#undef VIRTQ_INFO
};

const char *virtq_counter_name(enum virtq_counter c)
{
	return c < VIRTQ_COUNTER_MAX ? counter_info[c].name : "?";
}

const char *virtq_counter_text(enum virtq_counter c)
{
	return c < VIRTQ_COUNTER_MAX ? counter_info[c].text : "?";
}

#define FEATURE(features, bit) (((features) >> (bit)) & 1)

void virtq_set_features(struct virtq *q, uint64_t features)
{
	q->mergeable = FEATURE(features, VIRTIO_NET_F_MRG_RXBUF);
	q->indirect = FEATURE(features, VIRTIO_RING_F_INDIRECT_DESC);
	q->event_idx = FEATURE(features, VIRTIO_RING_F_EVENT_IDX);
	q->in_order = FEATURE(features, VIRTIO_F_IN_ORDER);
	q->hdr_len = FEATURE(features, VIRTIO_F_VERSION_1) || q->mergeable
			 ? sizeof(struct virtio_net_hdr_mrg_rxbuf)
			 : sizeof(struct virtio_net_hdr);
}

bool virtq_size_valid(uint32_t size)
{
	return size && size <= VIRTQ_SIZE_MAX && (size & (size - 1)) == 0;
}

uint64_t virtq_desc_bytes(uint32_t size)
{
	return (uint64_t)size * sizeof(struct vring_desc);
}

uint64_t virtq_avail_bytes(uint32_t size)
{
	return 6 + 2 * (uint64_t)size; /* flags, idx, ring[size], used_event */
}

uint64_t virtq_used_bytes(uint32_t size)
{
	return 6 + 8 * (uint64_t)size; /* flags, idx, ring[size], avail_event */
}

static inline uint16_t read16(const volatile uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline uint16_t *used_event(const struct virtq *q)
{
	return &q->avail->ring[q->size];
}

static inline uint16_t *avail_event(const struct virtq *q)
{
	return (uint16_t *)&q->used->ring[q->size];
}

/* Counts a rule the guest broke and stops the queue. */
static int refuse(struct virtq *q, enum virtq_counter c)
{
	q->counters[c]++;
	q->broken = true;
	return -EPROTO;
}

#define CHAIN_FAIL(c) (-1 - (int)(c)) /* chain_next()'s error for counter c */

/* A walk along one descriptor chain. */
struct chain {
	const struct vring_desc *table; /* the ring's table, or an indirect one */
	uint32_t table_size;
	uint32_t next; /* the descriptor to read next */
	uint32_t left; /* how many more this table allows: loops end here */
	bool indirect; /* in an indirect table */
	bool more;     /* the last descriptor had NEXT */
	bool first;    /* nothing read yet */
};

static void chain_start(const struct virtq *q, uint16_t head, struct chain *c)
{
	c->table = q->desc;
	c->table_size = q->size;
	c->next = head;
	c->left = q->size;
	c->indirect = false;
	c->more = true;
	c->first = true;
}

/* Enters the indirect table descriptor d points to. */
static int chain_enter(const struct virtq *q, struct vhost_memory *mem, struct chain *c,
		       const struct vring_desc *d)
{
	if (!q->indirect || c->indirect || !c->first || (d->flags & VRING_DESC_F_NEXT) ||
	    d->len == 0 || d->len % sizeof(struct vring_desc) ||
	    d->len / sizeof(struct vring_desc) > VIRTQ_SIZE_MAX)
		return CHAIN_FAIL(VIRTQ_BAD_INDIRECT);
	const struct vring_desc *table = vhost_memory_gpa(mem, d->addr, d->len);
	if (!table)
		return CHAIN_FAIL(VIRTQ_BAD_ADDRESS);
	if ((uintptr_t)table % _Alignof(struct vring_desc))
		return CHAIN_FAIL(VIRTQ_BAD_INDIRECT);
	c->table = table;
	c->table_size = d->len / sizeof(struct vring_desc);
	c->next = 0;
	c->left = c->table_size;
	c->indirect = true;
	return 0;
}

/* The next buffer of the chain: 1 with *buf, *len and *write set, 0 at the
 * end, or CHAIN_FAIL(reason). *buf is NULL for an empty buffer. */
static inline __attribute__((always_inline)) int chain_next(const struct virtq *q,
							    struct vhost_memory *mem,
							    struct chain *c, uint8_t **buf,
							    uint32_t *len, bool *write)
{
	struct vring_desc d;
	for (;;) {
		if (!c->more)
			return 0;
		if (c->left == 0)
			return CHAIN_FAIL(VIRTQ_BAD_CHAIN);
		c->left--;
		memcpy(&d, &c->table[c->next], sizeof(d));
		/* d is what we check and use: the guest may rewrite the table. */
		__asm__ volatile("" ::: "memory");
		if (!(d.flags & VRING_DESC_F_INDIRECT))
			break;
		int error = chain_enter(q, mem, c, &d);
		if (error)
			return error;
	}
	c->first = false;
	*len = d.len;
	*write = d.flags & VRING_DESC_F_WRITE;
	*buf = NULL;
	if (d.len && !(*buf = vhost_memory_gpa(mem, d.addr, d.len)))
		return CHAIN_FAIL(VIRTQ_BAD_ADDRESS);
	if (d.flags & VRING_DESC_F_NEXT) {
		if (d.next >= c->table_size)
			return CHAIN_FAIL(VIRTQ_BAD_CHAIN);
		c->next = d.next;
	} else {
		c->more = false;
	}
	return 1;
}

/* Used entries gathered during one call and written to the ring in one
 * pass just before used->idx is published, so the lines the guest polls are
 * written in one burst rather than between every copy. Entry i is the ring's
 * slot before + i; those past the array (a long run of small mergeable
 * buffers) go to the ring directly. */
#define SHADOW_SIZE (2 * BATCH_SIZE)

struct used_shadow {
	uint16_t before; /* q->last_used when the call began */
	struct vring_used_elem e[SHADOW_SIZE];
};

static inline void put_used(struct virtq *q, struct used_shadow *s, uint16_t head, uint32_t len)
{
	uint16_t i = (uint16_t)(q->last_used - s->before);
	struct vring_used_elem *e =
	    LIKELY(i < SHADOW_SIZE) ? &s->e[i] : &q->used->ring[q->last_used & (q->size - 1)];
	e->id = head;
	e->len = len;
	q->last_used++;
}

/* Writes the gathered entries into the used ring. */
static void flush_used(struct virtq *q, const struct used_shadow *s)
{
	uint16_t n = (uint16_t)(q->last_used - s->before), mask = (uint16_t)(q->size - 1);
	if (n > SHADOW_SIZE)
		n = SHADOW_SIZE;
	for (uint16_t i = 0; i < n; i++)
		q->used->ring[(s->before + i) & mask] = s->e[i];
}

/* Publishes the used entries written since `before` and interrupts the
 * guest if it asked for it. */
static void publish(struct virtq *q, uint16_t before)
{
	if (q->last_used == before)
		return;
	__atomic_store_n(&q->used->idx, q->last_used, __ATOMIC_RELEASE);
	/* The store above must be visible before we read what the guest
	 * wants, or we and it could both decide the other will act. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	bool wanted;
	if (q->event_idx)
		wanted = vring_need_event(read16(used_event(q)), q->last_used, before);
	else
		wanted = !(read16(&q->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	if (!wanted)
		return;
	q->calls++;
	if (q->call_fd >= 0) {
		uint64_t one = 1;
		ssize_t n = write(q->call_fd, &one, sizeof(one));
		(void)n; /* a full eventfd already wakes the guest */
	}
}

/* How many entries the guest made available, or -EPROTO when its index is
 * more than a ring ahead of ours. */
static int avail_count(struct virtq *q, uint16_t *avail_idx)
{
	*avail_idx = __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);
	uint16_t pending = (uint16_t)(*avail_idx - q->last_avail);
	if (pending > q->size)
		return refuse(q, VIRTQ_BAD_INDEX);
	return pending;
}

static uint16_t avail_head(const struct virtq *q, uint16_t index)
{
	return read16(&q->avail->ring[index & (q->size - 1)]);
}

/* Staging: the rings and buffers were last written by the guest's core, so
 * each first touch is a miss to another core's cache. A call reads each
 * avail entry (a chain's head) once, DESC_AHEAD chains ahead of the copy,
 * and asks for its descriptor; BUF_AHEAD chains ahead it copies the head
 * descriptor once into a local, checks and translates it, and asks for its
 * buffer (for writing on a receive queue: the read-for-ownership overlaps
 * the copies before it). The copy then uses that checked local copy when
 * the chain is the common one-buffer kind; any other chain (several
 * buffers, indirect, a bad address or length) takes the general walk,
 * which reads and checks every descriptor, the head's included, itself
 * (one copy per walk, so what is checked is what is used). */
#define DESC_AHEAD 16
#define BUF_AHEAD  8
#define STAGED_MAX BATCH_SIZE

struct staged {
	uint32_t heads, descs;		    /* entries staged so far, from the call's start */
	uint16_t head[STAGED_MAX];	    /* avail entry k's head, read once */
	struct vring_desc desc[STAGED_MAX]; /* its descriptor, copied once */
	uint8_t *buf[STAGED_MAX];	    /* its buffer, translated; NULL: the general walk */
};

static inline void stage_head(const struct virtq *q, struct staged *s, uint16_t start)
{
	uint16_t head = avail_head(q, (uint16_t)(start + s->heads));
	s->head[s->heads++] = head;
	PREFETCH(&q->desc[head & (q->size - 1)]);
}

/* A 64-byte frame and its header span two lines: both are asked for, to
 * read (a frame the guest transmits) or to write (a buffer we fill). */
static inline void stage_desc(const struct virtq *q, struct vhost_memory *mem, struct staged *s,
			      bool write)
{
	uint32_t k = s->descs++;
	uint16_t head = s->head[k];
	s->buf[k] = NULL;
	if (UNLIKELY(head >= q->size))
		return;
	/* d is what we check and use: the guest may rewrite the table. Two
	 * single loads (not a compiler barrier, which would also make every
	 * local of the loop go through memory). */
	const uint64_t *words = (const uint64_t *)&q->desc[head];
	uint64_t lnf = __atomic_load_n(&words[1], __ATOMIC_RELAXED);
	struct vring_desc d = {.addr = __atomic_load_n(&words[0], __ATOMIC_RELAXED)};
	memcpy(&d.len, &lnf, sizeof(lnf)); /* len, flags, next */
	s->desc[k] = d;
	if (UNLIKELY(d.len == 0 || (d.flags & VRING_DESC_F_INDIRECT)))
		return;
	uint8_t *buf = vhost_memory_gpa(mem, d.addr, d.len);
	s->buf[k] = buf;
	if (!buf)
		return;
	if (write) {
		PREFETCH_WRITE(buf);
		if (d.len > 64)
			PREFETCH_WRITE(buf + 64);
	} else {
		PREFETCH(buf);
		if (d.len > 64)
			PREFETCH(buf + 64);
	}
}

/* A frame's bytes: 32 to 64 (the small frames that decide a switch's rate)
 * as two overlapping fixed-size moves, inline, anything else by memcpy. */
static inline void copy_frame(uint8_t *dst, const uint8_t *src, uint32_t len)
{
	if (len >= 32 && len <= 64) {
		memcpy(dst, src, 32);
		memcpy(dst + len - 32, src + len - 32, 32);
	} else {
		memcpy(dst, src, len);
	}
}

/* One step of the look-ahead: one more head and one more descriptor. */
static inline void stage_step(const struct virtq *q, struct vhost_memory *mem, struct staged *s,
			      uint16_t start, uint32_t limit, bool write)
{
	if (s->heads < limit)
		stage_head(q, s, start);
	if (s->descs < s->heads)
		stage_desc(q, mem, s, write);
}

/* Stages avail entries up to `k` + the look-ahead, at most `limit` (the
 * start of a call, or a frame that took several chains). */
static inline void stage_to(const struct virtq *q, struct vhost_memory *mem, struct staged *s,
			    uint16_t start, uint32_t k, uint32_t limit, bool write)
{
	uint32_t heads = k + DESC_AHEAD + 1 < limit ? k + DESC_AHEAD + 1 : limit;
	while (s->heads < heads)
		stage_head(q, s, start);
	uint32_t descs = k + BUF_AHEAD + 1 < heads ? k + BUF_AHEAD + 1 : heads;
	while (s->descs < descs)
		stage_desc(q, mem, s, write);
}

/* ---- the guest transmits: TX queue -> packets --------------------------- */

/* Takes the guest's virtio-net header as offload metadata; false when it
 * points outside the frame. */
static bool offload_from_header(struct packet *p, const uint8_t *hdr)
{
	struct virtio_net_hdr h;
	memcpy(&h, hdr, sizeof(h));
	if (LIKELY(h.flags == 0 && h.gso_type == VIRTIO_NET_HDR_GSO_NONE))
		return true;
	struct packet_offload *o = &p->offload;
	o->flags = h.flags;
	o->gso_type = h.gso_type;
	o->hdr_len = le16toh(h.hdr_len);
	o->gso_size = le16toh(h.gso_size);
	o->csum_start = le16toh(h.csum_start);
	o->csum_offset = le16toh(h.csum_offset);
	if ((o->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    (uint32_t)o->csum_start + o->csum_offset + 2 > p->len)
		return false;
	if ((o->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_NONE &&
	    (o->gso_size == 0 || o->hdr_len > p->len))
		return false;
	p->flags |= PACKET_F_OFFLOAD;
	return true;
}

/* What a frame's header and length make of it: 1 (a frame), 0 (dropped
 * and counted). */
static inline int frame_verdict(struct virtq *q, struct packet *p, const uint8_t *hdr, bool fits,
				uint32_t hdr_got)
{
	enum virtq_counter drop = VIRTQ_COUNTER_MAX;
	if (!fits)
		drop = VIRTQ_OVERSIZE;
	else if (hdr_got < q->hdr_len || p->len < ETH_HEADER_LEN)
		drop = VIRTQ_RUNT;
	else if (!offload_from_header(p, hdr))
		drop = VIRTQ_BAD_OFFLOAD;
	if (LIKELY(drop == VIRTQ_COUNTER_MAX))
		return 1;
	q->counters[drop]++;
	return 0;
}

/* Copies the chain at `head` into p: the general walk. Returns 1 (a
 * frame), 0 (dropped and counted) or -EPROTO. */
static int take_frame(struct virtq *q, struct vhost_memory *mem, uint16_t head, struct packet *p)
{
	uint8_t hdr[sizeof(struct virtio_net_hdr_mrg_rxbuf)];
	uint32_t hdr_got = 0, len = 0, room = packet_tailroom(p);
	bool fits = true;
	if (room > UINT16_MAX)
		room = UINT16_MAX; /* packet.len is 16 bits */
	struct chain c;
	uint8_t *buf;
	uint32_t blen;
	bool write;
	int rc;
	if (head >= q->size)
		return refuse(q, VIRTQ_BAD_INDEX);
	chain_start(q, head, &c);
	while ((rc = chain_next(q, mem, &c, &buf, &blen, &write)) > 0) {
		if (write)
			return refuse(q, VIRTQ_BAD_DIRECTION);
		if (LIKELY(hdr_got == 0 && blen >= sizeof(hdr))) {
			/* The usual layout: the whole header in the first buffer
			 * (a fixed-size copy, no call). */
			memcpy(hdr, buf, sizeof(hdr));
			hdr_got = q->hdr_len;
			buf += q->hdr_len;
			blen -= q->hdr_len;
		} else if (hdr_got < q->hdr_len) {
			uint32_t n = blen < q->hdr_len - hdr_got ? blen : q->hdr_len - hdr_got;
			if (n) { /* buf is NULL for an empty buffer */
				memcpy(hdr + hdr_got, buf, n);
				hdr_got += n;
				buf += n;
				blen -= n;
			}
		}
		if (blen == 0)
			continue;
		if (fits && blen <= room - len)
			memcpy(p->data + len, buf, blen);
		else
			fits = false;
		len += fits ? blen : 0;
	}
	if (rc < 0)
		return refuse(q, (enum virtq_counter)(-1 - rc));
	p->len = (uint16_t)len;
	return frame_verdict(q, p, hdr, fits, hdr_got);
}

/* Copies staged entry k into p when it is a one-buffer chain the frame
 * fits (header and frame in one device-readable buffer, what DPDK and
 * Linux send): 1 or 0 as take_frame(); -1 when it needs the general walk. */
static inline int take_staged(struct virtq *q, const struct staged *s, uint32_t k, struct packet *p)
{
	const struct vring_desc *d = &s->desc[k];
	const uint8_t *buf = s->buf[k];
	uint32_t room = packet_tailroom(p);
	if (UNLIKELY(
		!buf ||
		(d->flags & (VRING_DESC_F_NEXT | VRING_DESC_F_WRITE | VRING_DESC_F_INDIRECT)) ||
		d->len < (uint32_t)q->hdr_len + ETH_HEADER_LEN || room > UINT16_MAX ||
		d->len - q->hdr_len > room))
		return -1;
	uint8_t hdr[sizeof(struct virtio_net_hdr_mrg_rxbuf)];
	memcpy(hdr, buf, sizeof(hdr)); /* d->len >= 24: in the buffer */
	p->len = (uint16_t)(d->len - q->hdr_len);
	copy_frame(p->data, buf + q->hdr_len, p->len);
	return frame_verdict(q, p, hdr, true, q->hdr_len);
}

/* Returns the transmit buffers taken since `before`: in order, one entry
 * naming the batch's last chain says they are all used (VIRTIO_F_IN_ORDER:
 * the guest counts them from used->idx); otherwise one entry per chain. */
static void return_tx(struct virtq *q, const uint16_t *heads, uint16_t before)
{
	uint16_t n = (uint16_t)(q->last_used - before), mask = (uint16_t)(q->size - 1);
	if (n == 0)
		return;
	if (q->in_order) {
		struct vring_used_elem e = {.id = heads[n - 1], .len = 0};
		q->used->ring[before & mask] = e;
	} else {
		for (uint16_t i = 0; i < n; i++) {
			struct vring_used_elem e = {.id = heads[i], .len = 0};
			q->used->ring[(before + i) & mask] = e;
		}
	}
	publish(q, before);
}

int virtq_dequeue(struct virtq *q, struct vhost_memory *mem, struct packet_pool *pool,
		  struct packet_batch *batch, uint32_t max)
{
	if (UNLIKELY(q->broken))
		return -EPROTO;
	uint16_t avail_idx;
	int pending = avail_count(q, &avail_idx);
	if (pending <= 0)
		return pending;
	uint32_t want = (uint32_t)pending;
	if (want > max)
		want = max;
	if (want > BATCH_SIZE - batch->count)
		want = BATCH_SIZE - batch->count;
	uint16_t before = q->last_used, start = q->last_avail;
	struct staged s; /* s.head: also the used entries to write */
	s.heads = s.descs = 0;
	int added = 0;
	for (uint32_t i = 0; i < want; i++) {
		struct packet *p = packet_alloc(pool);
		if (UNLIKELY(!p))
			break; /* the guest's frames wait in its ring */
		if (i == 0)
			stage_to(q, mem, &s, start, 0, want, false);
		else
			stage_step(q, mem, &s, start, want, false);
		int rc = take_staged(q, &s, i, p);
		if (UNLIKELY(rc < 0))
			rc = take_frame(q, mem, s.head[i], p);
		if (UNLIKELY(rc < 0)) {
			packet_free(p);
			return_tx(q, s.head, before);
			return rc;
		}
		q->last_avail++;
		q->last_used++;
		if (LIKELY(rc)) {
			packet_batch_add(batch, p);
			added++;
		} else {
			packet_free(p);
		}
	}
	return_tx(q, s.head, before);
	return added;
}

/* ---- the guest receives: packets -> RX queue ---------------------------- */

/* The virtio-net header for p (num_buffers written once known). */
static inline void header_for(const struct packet *p, uint8_t *hdr)
{
	struct virtio_net_hdr_mrg_rxbuf h = {0};
	if (p->flags & PACKET_F_OFFLOAD) {
		h.hdr.flags = p->offload.flags;
		h.hdr.gso_type = p->offload.gso_type;
		h.hdr.hdr_len = htole16(p->offload.hdr_len);
		h.hdr.gso_size = htole16(p->offload.gso_size);
		h.hdr.csum_start = htole16(p->offload.csum_start);
		h.hdr.csum_offset = htole16(p->offload.csum_offset);
	}
	memcpy(hdr, &h, sizeof(h)); /* fixed size: a store, not a call */
}

/* Fills the next chain with what is left of the header and p. */
static int fill_chain(struct virtq *q, struct vhost_memory *mem, struct used_shadow *s,
		      const struct packet *p, const uint8_t *hdr, uint32_t *copied,
		      uint8_t **hdr_at)
{
	uint32_t total = q->hdr_len + p->len, written = 0;
	uint16_t head = avail_head(q, q->last_avail);
	struct chain c;
	uint8_t *buf;
	uint32_t blen;
	bool write;
	int rc;
	if (head >= q->size)
		return refuse(q, VIRTQ_BAD_INDEX);
	chain_start(q, head, &c);
	while (*copied < total && (rc = chain_next(q, mem, &c, &buf, &blen, &write)) != 0) {
		if (rc < 0)
			return refuse(q, (enum virtq_counter)(-1 - rc));
		if (!write)
			return refuse(q, VIRTQ_BAD_DIRECTION);
		if (*copied == 0) {
			/* The header whole in the first buffer, so num_buffers
			 * can be written last: every driver posts it so. */
			if (blen < q->hdr_len)
				return refuse(q, VIRTQ_BAD_HEADER_ROOM);
			if (q->hdr_len == sizeof(struct virtio_net_hdr_mrg_rxbuf))
				memcpy(buf, hdr, sizeof(struct virtio_net_hdr_mrg_rxbuf));
			else
				memcpy(buf, hdr, sizeof(struct virtio_net_hdr));
			*hdr_at = buf;
			buf += q->hdr_len;
			blen -= q->hdr_len;
			*copied = written = q->hdr_len;
		}
		uint32_t n = total - *copied < blen ? total - *copied : blen;
		if (n)
			memcpy(buf, p->data + (*copied - q->hdr_len), n);
		*copied += n;
		written += n;
	}
	q->last_avail++;
	put_used(q, s, head, written);
	return 0;
}

/* Copies p into the staged chain at avail offset k when its first buffer
 * holds header and frame (num_buffers 1): true, or false when it needs the
 * general walk. */
static inline bool put_staged(struct virtq *q, struct used_shadow *u, const struct staged *s,
			      uint32_t k, const struct packet *p)
{
	if (k >= s->descs)
		return false;
	const struct vring_desc *d = &s->desc[k];
	uint8_t *buf = s->buf[k];
	uint32_t total = q->hdr_len + p->len;
	if (UNLIKELY(!buf ||
		     (d->flags & (VRING_DESC_F_WRITE | VRING_DESC_F_INDIRECT)) !=
			 VRING_DESC_F_WRITE ||
		     d->len < total))
		return false;
	struct virtio_net_hdr_mrg_rxbuf h;
	header_for(p, (uint8_t *)&h);
	h.num_buffers = htole16(1);
	if (q->hdr_len == sizeof(h))
		memcpy(buf, &h, sizeof(h));
	else
		memcpy(buf, &h, sizeof(struct virtio_net_hdr));
	copy_frame(buf + q->hdr_len, p->data, p->len);
	q->last_avail++;
	put_used(q, u, s->head[k], total);
	return true;
}

/* Copies p into as many chains as it needs: the general walk. Returns 1
 * (delivered), 0 (no room: nothing taken), 2 (dropped: too big for one
 * chain without mergeable buffers) or -EPROTO. */
static int put_frame(struct virtq *q, struct vhost_memory *mem, struct used_shadow *s,
		     const struct packet *p, uint16_t avail_idx)
{
	uint16_t start_avail = q->last_avail, start_used = q->last_used, buffers = 0;
	uint32_t total = q->hdr_len + p->len, copied = 0;
	uint8_t hdr[sizeof(struct virtio_net_hdr_mrg_rxbuf)], *hdr_at = NULL;
	header_for(p, hdr);
	int result = 1;
	while (copied < total) {
		if (!q->mergeable && buffers == 1) {
			result = 2;
			break;
		}
		if (q->last_avail == avail_idx) {
			result = 0;
			break;
		}
		int error = fill_chain(q, mem, s, p, hdr, &copied, &hdr_at);
		if (error)
			return error;
		buffers++;
	}
	if (result != 1) {
		/* Nothing was published: the chains stay the guest's. */
		q->last_avail = start_avail;
		q->last_used = start_used;
		if (result == 2)
			q->counters[VIRTQ_TOO_SMALL]++;
		return result;
	}
	if (q->hdr_len == sizeof(struct virtio_net_hdr_mrg_rxbuf)) {
		uint16_t num = htole16(q->mergeable ? buffers : 1);
		memcpy(hdr_at + sizeof(struct virtio_net_hdr), &num, sizeof(num));
	}
	return 1;
}

uint32_t virtq_enqueue(struct virtq *q, struct vhost_memory *mem, struct packet *const *packets,
		       uint32_t n, uint32_t *delivered, uint64_t *bytes)
{
	*delivered = 0;
	*bytes = 0;
	if (UNLIKELY(q->broken))
		return 0;
	uint16_t avail_idx;
	int pending = avail_count(q, &avail_idx);
	if (pending < 0)
		return 0;
	struct used_shadow s;
	s.before = q->last_used;
	/* Staged as if each frame takes one chain (it does unless mergeable
	 * buffers are smaller than the frame); chains past that take the
	 * general walk. */
	uint32_t ahead = n < (uint32_t)pending ? n : (uint32_t)pending;
	uint16_t start = q->last_avail;
	struct staged st;
	st.heads = st.descs = 0;
	uint32_t i;
	for (i = 0; i < n; i++) {
		uint32_t k = (uint16_t)(q->last_avail - start);
		if (k == 0 || k >= st.descs)
			stage_to(q, mem, &st, start, k, ahead, true);
		else
			stage_step(q, mem, &st, start, ahead, true);
		if (i + BUF_AHEAD < n)
			PREFETCH(packets[i + BUF_AHEAD]);
		if (i + 1 < n)
			PREFETCH(packets[i + 1]->data);
		if (LIKELY(put_staged(q, &s, &st, k, packets[i]))) {
			*delivered += 1;
			*bytes += packets[i]->len;
			continue;
		}
		int rc = put_frame(q, mem, &s, packets[i], avail_idx);
		if (rc <= 0)
			break;
		if (rc == 1) {
			*delivered += 1;
			*bytes += packets[i]->len;
		}
	}
	flush_used(q, &s);
	publish(q, s.before);
	return i;
}

bool virtq_has_work(const struct virtq *q)
{
	return q->size && !q->broken && read16(&q->avail->idx) != q->last_avail;
}

bool virtq_want_kicks(struct virtq *q, bool on)
{
	if (!q->size)
		return false;
	if (q->event_idx) {
		/* Busy: the stale avail_event lets the guest add buffers without
		 * kicking (one spurious kick per 65536 at most). */
		if (on)
			__atomic_store_n(avail_event(q), q->last_avail, __ATOMIC_RELAXED);
	} else {
		__atomic_store_n(&q->used->flags, on ? 0 : VRING_USED_F_NO_NOTIFY,
				 __ATOMIC_RELAXED);
	}
	q->kicks_wanted = on;
	/* Our request must be visible before we look at the ring again. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return virtq_has_work(q);
}
