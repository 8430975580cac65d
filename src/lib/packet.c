/* packet.c — the packet pool: one allocation at start-up carved into
 * fixed-size buffers, handed out and taken back through a LIFO free stack so
 * the most recently used (cache-warm) buffer is reused first. */
#include "packet.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

__thread struct packet_pool *packet_pool_self;

struct packet_pool *packet_pool_create(uint32_t size, uint32_t data_room)
{
	if (data_room == 0)
		data_room = PACKET_DEFAULT_DATA_ROOM;
	if (size == 0 || data_room > 65535)
		return NULL;
	struct packet_pool *pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	size_t stride = ((size_t)PACKET_HEADROOM + data_room + 63) & ~(size_t)63;
	pool->size = size;
	pool->data_room = data_room;
	pool->packets = calloc(size, sizeof(*pool->packets));
	pool->free_stack = calloc(size, sizeof(*pool->free_stack));
	pool->memory = aligned_alloc(64, stride * size);
	if (!pool->packets || !pool->free_stack || !pool->memory) {
		packet_pool_destroy(pool);
		return NULL;
	}
	for (uint32_t i = 0; i < size; i++) {
		struct packet *p = &pool->packets[i];
		p->buffer = pool->memory + stride * i;
		p->data = p->buffer + PACKET_HEADROOM;
		p->pool = pool;
		/* Hand out low addresses first: easier to read in a debugger. */
		pool->free_stack[size - 1 - i] = p;
	}
	pool->available = size;
	return pool;
}

void packet_pool_destroy(struct packet_pool *pool)
{
	if (!pool)
		return;
	free(pool->memory);
	free(pool->free_stack);
	free(pool->packets);
	free(pool);
}

void packet_pool_share(struct packet_pool *pool)
{
	pool->shared = true;
}

/* A Treiber stack with a single consumer that takes the whole list at once
 * (an exchange), so the ABA problem of popping one at a time cannot arise. */
static void give_back(struct packet *p)
{
	struct packet_pool *pool = p->pool;
	struct packet *head = __atomic_load_n(&pool->returned, __ATOMIC_RELAXED);
	do {
		p->next_returned = head;
	} while (!__atomic_compare_exchange_n(&pool->returned, &head, p, true, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
}

void packet_free_any(struct packet *p)
{
	if (p->pool->shared && p->pool != packet_pool_self)
		give_back(p);
	else
		packet_free(p);
}

bool packet_adopt(struct packet_pool *pool, struct packet *p)
{
	struct packet *swap = packet_alloc(pool);
	if (!swap)
		return false;
	swap->pool = p->pool;
	p->pool = pool;
	packet_free_any(swap);
	return true;
}

uint32_t packet_pool_reclaim(struct packet_pool *pool)
{
	if (!pool->shared || !__atomic_load_n(&pool->returned, __ATOMIC_RELAXED))
		return 0;
	struct packet *p = __atomic_exchange_n(&pool->returned, NULL, __ATOMIC_ACQUIRE);
	uint32_t n = 0;
	for (; p; p = p->next_returned, n++)
		pool->free_stack[pool->available++] = p;
	return n;
}

struct packet *packet_clone(const struct packet *src)
{
	struct packet *p = packet_alloc(src->pool);
	if (!p)
		return NULL;
	/* Keep the source's headroom so a pushed tag still fits. */
	p->data = p->buffer + packet_headroom(src);
	memcpy(p->data, src->data, src->len);
	p->len = src->len;
	packet_copy_meta(p, src);
	return p;
}

void packet_copy_meta(struct packet *dst, const struct packet *src)
{
	dst->flags = src->flags;
	dst->meta_tci = src->meta_tci;
	dst->vid = src->vid;
	dst->pcp = src->pcp;
	dst->out_port = src->out_port;
	dst->offload = src->offload;
	dst->src_hash = src->src_hash;
	dst->dst_hash = src->dst_hash;
}

struct packet *packet_from_bytes(struct packet_pool *pool, const void *frame, uint32_t len)
{
	if (len > pool->data_room)
		return NULL;
	struct packet *p = packet_alloc(pool);
	if (!p)
		return NULL;
	memcpy(p->data, frame, len);
	p->len = (uint16_t)len;
	return p;
}

bool packet_push_vlan(struct packet *p, uint16_t tci)
{
	if (packet_headroom(p) < VLAN_TAG_LEN || p->len < 12)
		return false;
	p->data -= VLAN_TAG_LEN;
	memmove(p->data, p->data + VLAN_TAG_LEN, 12);
	store_be16(p->data + 12, ETH_TYPE_VLAN);
	store_be16(p->data + 14, tci);
	p->len += VLAN_TAG_LEN;
	p->flags |= PACKET_F_INLINE_TAG;
	if (p->flags & PACKET_F_OFFLOAD)
		packet_offload_shift(p, VLAN_TAG_LEN);
	return true;
}

void packet_pop_vlan(struct packet *p)
{
	memmove(p->data + VLAN_TAG_LEN, p->data, 12);
	p->data += VLAN_TAG_LEN;
	p->len -= VLAN_TAG_LEN;
	p->flags &= (uint16_t)~PACKET_F_INLINE_TAG;
	if (p->flags & PACKET_F_OFFLOAD)
		packet_offload_shift(p, -VLAN_TAG_LEN);
}

void packet_offload_shift(struct packet *p, int delta)
{
	struct packet_offload *o = &p->offload;
	/* csum_start is only meaningful with NEEDS_CSUM, hdr_len with GSO, but
	 * both are positions in the frame: both move with the headers. */
	if (o->csum_start)
		o->csum_start = (uint16_t)(o->csum_start + delta);
	if (o->hdr_len)
		o->hdr_len = (uint16_t)(o->hdr_len + delta);
}

void packet_batch_free(struct packet_batch *b)
{
	for (uint32_t i = 0; i < b->count; i++)
		packet_free(b->packets[i]);
	b->count = 0;
}
