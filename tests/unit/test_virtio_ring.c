/* test_virtio_ring.c — the split virtqueue walker (src/port/virtio_ring.c)
 * on rings built in test memory, one test per rule: frames are taken across
 * descriptors and through indirect tables, received frames span mergeable
 * buffers, notifications follow the guest's wishes, and every rule a hostile
 * guest can break (loops, addresses outside its memory, indexes past the
 * ring, nested indirect tables, buffers in the wrong direction) is refused
 * and counted. */
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <stdlib.h>

#include "helpers.h"
#include "lib/packet.h"
#include "port/virtio_ring.h"

#define GPA_BASE  UINT64_C(0x40000000)
#define MEM_SIZE  (1u << 20)
#define RING_SIZE 16
#define HDR	  12

#define F(bit) (UINT64_C(1) << (bit))
static const uint64_t base_features = F(VIRTIO_F_VERSION_1) | F(VIRTIO_RING_F_INDIRECT_DESC);

struct guest {
	uint8_t *mem;
	struct vhost_memory table;
	struct virtq q;
	uint32_t next_free; /* buffer allocator */
	struct packet_pool *pool;
};

static struct guest *guest_new(uint64_t features, uint32_t data_room)
{
	struct guest *g = calloc(1, sizeof(*g));
	g->mem = aligned_alloc(4096, MEM_SIZE);
	memset(g->mem, 0, MEM_SIZE);
	struct vhost_memory_desc d = {GPA_BASE, MEM_SIZE, 0x7f0000000000, 0};
	uint8_t *host[1] = {g->mem};
	char why[100];
	assert_int_equal(vhost_memory_adopt(&g->table, &d, 1, host, why, sizeof(why)), 0);
	g->q.desc = (struct vring_desc *)g->mem;
	g->q.avail = (struct vring_avail *)(g->mem + 0x1000);
	g->q.used = (struct vring_used *)(g->mem + 0x2000);
	g->q.size = RING_SIZE;
	g->q.call_fd = -1;
	virtq_set_features(&g->q, features);
	g->next_free = 0x10000;
	g->pool = packet_pool_create(64, data_room);
	return g;
}

static void guest_free(struct guest *g)
{
	packet_pool_destroy(g->pool);
	free(g->mem);
	free(g);
}

/* A fresh buffer of len bytes, its host address in *host. */
static uint64_t buffer(struct guest *g, uint32_t len, uint8_t **host)
{
	uint32_t at = g->next_free;
	g->next_free += (len + 63) & ~63u;
	if (host)
		*host = g->mem + at;
	return GPA_BASE + at;
}

static void set_desc(struct vring_desc *table, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	table[i].addr = addr;
	table[i].len = len;
	table[i].flags = flags;
	table[i].next = next;
}

static void make_available(struct guest *g, uint16_t head)
{
	g->q.avail->ring[g->q.avail->idx % RING_SIZE] = head;
	g->q.avail->idx++;
}

/* A transmitted frame of `len` bytes (byte i = i) after a header, in one
 * descriptor at `slot`. */
static void tx_frame(struct guest *g, uint16_t slot, const struct virtio_net_hdr *hdr, uint32_t len)
{
	uint8_t *buf;
	uint64_t addr = buffer(g, HDR + len, &buf);
	memset(buf, 0, HDR);
	if (hdr)
		memcpy(buf, hdr, sizeof(*hdr));
	for (uint32_t i = 0; i < len; i++)
		buf[HDR + i] = (uint8_t)i;
	set_desc(g->q.desc, slot, addr, HDR + len, 0, 0);
	make_available(g, slot);
}

static int dequeue(struct guest *g, struct packet_batch *b)
{
	packet_batch_init(b);
	return virtq_dequeue(&g->q, &g->table, g->pool, b, BATCH_SIZE);
}

static void assert_frame_bytes(const struct packet *p, uint32_t len)
{
	assert_int_equal(p->len, len);
	for (uint32_t i = 0; i < len; i++)
		assert_int_equal(p->data[i], (uint8_t)i);
}

static void test_frame_in_one_descriptor_is_taken_and_returned(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features, 0);
	struct packet_batch b;
	tx_frame(g, 3, NULL, 60);
	assert_int_equal(dequeue(g, &b), 1);
	assert_frame_bytes(b.packets[0], 60);
	assert_false(b.packets[0]->flags & PACKET_F_OFFLOAD);
	assert_int_equal(g->q.used->idx, 1);
	assert_int_equal(g->q.used->ring[0].id, 3);
	assert_int_equal(g->q.used->ring[0].len, 0);
	assert_int_equal(dequeue(g, &b), 0);
	packet_batch_free(&b);
	guest_free(g);
}

static void test_chain_across_descriptors_is_one_frame(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features, 0);
	uint8_t *h, *a, *c;
	set_desc(g->q.desc, 0, buffer(g, HDR, &h), HDR, VRING_DESC_F_NEXT, 5);
	set_desc(g->q.desc, 5, buffer(g, 20, &a), 20, VRING_DESC_F_NEXT, 2);
	set_desc(g->q.desc, 2, buffer(g, 40, &c), 40, 0, 0);
	memset(h, 0, HDR);
	for (int i = 0; i < 20; i++)
		a[i] = (uint8_t)i;
	for (int i = 0; i < 40; i++)
		c[i] = (uint8_t)(20 + i);
	make_available(g, 0);
	struct packet_batch b;
	assert_int_equal(dequeue(g, &b), 1);
	assert_frame_bytes(b.packets[0], 60);
	packet_batch_free(&b);
	guest_free(g);
}

static void test_indirect_table_is_followed(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features, 0);
	struct vring_desc *table;
	uint64_t table_gpa = buffer(g, 2 * sizeof(*table), (uint8_t **)&table);
	uint8_t *h, *a;
	set_desc(table, 0, buffer(g, HDR, &h), HDR, VRING_DESC_F_NEXT, 1);
	set_desc(table, 1, buffer(g, 64, &a), 64, 0, 0);
	memset(h, 0, HDR);
	for (int i = 0; i < 64; i++)
		a[i] = (uint8_t)i;
	set_desc(g->q.desc, 7, table_gpa, 2 * sizeof(*table), VRING_DESC_F_INDIRECT, 0);
	make_available(g, 7);
	struct packet_batch b;
	assert_int_equal(dequeue(g, &b), 1);
	assert_frame_bytes(b.packets[0], 64);
	assert_int_equal(g->q.used->ring[0].id, 7);
	packet_batch_free(&b);
	guest_free(g);
}

/* The queue is refused with `counter` counted once. */
static void assert_refused(struct guest *g, enum virtq_counter counter)
{
	struct packet_batch b;
	uint32_t available = g->pool->available;
	assert_int_equal(dequeue(g, &b), -EPROTO);
	assert_int_equal(b.count, 0);
	assert_true(g->q.broken);
	assert_int_equal(g->q.counters[counter], 1);
	assert_int_equal(g->pool->available, available); /* no packet kept */
	/* And stays refused: no more I/O until the connection resets. */
	assert_int_equal(dequeue(g, &b), -EPROTO);
	assert_int_equal(g->q.counters[counter], 1);
}

static void test_descriptor_loop_is_refused(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features, 0);
	set_desc(g->q.desc, 0, buffer(g, 64, NULL), 64, VRING_DESC_F_NEXT, 1);
	set_desc(g->q.desc, 1, buffer(g, 64, NULL), 64, VRING_DESC_F_NEXT, 0);
	make_available(g, 0);
	assert_refused(g, VIRTQ_BAD_CHAIN);
	guest_free(g);
}

static void test_next_beyond_the_table_is_refused(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features, 0);
	set_desc(g->q.desc, 0, buffer(g, 64, NULL), 64, VRING_DESC_F_NEXT, RING_SIZE);
	make_available(g, 0);
	assert_refused(g, VIRTQ_BAD_CHAIN);
	guest_free(g);
}

static void test_buffer_outside_guest_memory_is_refused(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features, 0);
	/* Starts inside, ends one byte past the region. */
	set_desc(g->q.desc, 0, GPA_BASE + MEM_SIZE - 63, 64, 0, 0);
	make_available(g, 0);
	assert_refused(g, VIRTQ_BAD_ADDRESS);
	guest_free(g);
	g = guest_new(base_features, 0);
	set_desc(g->q.desc, 0, GPA_BASE - 4096, 64, 0, 0);
	make_available(g, 0);
	assert_refused(g, VIRTQ_BAD_ADDRESS);
	guest_free(g);
	g = guest_new(base_features, 0);
	set_desc(g->q.desc, 0, UINT64_MAX - 8, 64, 0, 0); /* wraps */
	make_available(g, 0);
	assert_refused(g, VIRTQ_BAD_ADDRESS);
	guest_free(g);
}

static void test_nested_indirect_table_is_refused(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features, 0);
	struct vring_desc *table;
	uint64_t table_gpa = buffer(g, 2 * sizeof(*table), (uint8_t **)&table);
	set_desc(table, 0, table_gpa, 2 * sizeof(*table), VRING_DESC_F_INDIRECT, 0);
	set_desc(g->q.desc, 0, table_gpa, 2 * sizeof(*table), VRING_DESC_F_INDIRECT, 0);
	make_available(g, 0);
	assert_refused(g, VIRTQ_BAD_INDIRECT);
	guest_free(g);
}

static void test_indirect_table_of_odd_size_or_unnegotiated_is_refused(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features, 0);
	set_desc(g->q.desc, 0, buffer(g, 64, NULL), 24, VRING_DESC_F_INDIRECT, 0);
	make_available(g, 0);
	assert_refused(g, VIRTQ_BAD_INDIRECT);
	guest_free(g);
	g = guest_new(F(VIRTIO_F_VERSION_1), 0);
	set_desc(g->q.desc, 0, buffer(g, 64, NULL), 32, VRING_DESC_F_INDIRECT, 0);
	make_available(g, 0);
	assert_refused(g, VIRTQ_BAD_INDIRECT);
	guest_free(g);
}

static void test_head_or_avail_index_past_the_ring_is_refused(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features, 0);
	g->q.avail->ring[0] = RING_SIZE;
	g->q.avail->idx = 1;
	assert_refused(g, VIRTQ_BAD_INDEX);
	guest_free(g);
	g = guest_new(base_features, 0);
	g->q.avail->idx = RING_SIZE + 1; /* more than a ring ahead */
	assert_refused(g, VIRTQ_BAD_INDEX);
	guest_free(g);
}

static void test_write_only_buffer_to_send_is_refused(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features, 0);
	set_desc(g->q.desc, 0, buffer(g, 80, NULL), 80, VRING_DESC_F_WRITE, 0);
	make_available(g, 0);
	assert_refused(g, VIRTQ_BAD_DIRECTION);
	guest_free(g);
}

static void test_runt_and_oversize_frames_are_dropped_and_counted(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features, 256);
	tx_frame(g, 0, NULL, 10);  /* shorter than an Ethernet header */
	tx_frame(g, 1, NULL, 257); /* longer than a buffer */
	tx_frame(g, 2, NULL, 256);
	struct packet_batch b;
	assert_int_equal(dequeue(g, &b), 1);
	assert_frame_bytes(b.packets[0], 256);
	assert_int_equal(g->q.counters[VIRTQ_RUNT], 1);
	assert_int_equal(g->q.counters[VIRTQ_OVERSIZE], 1);
	assert_false(g->q.broken);
	/* Their buffers went back to the guest all the same. */
	assert_int_equal(g->q.used->idx, 3);
	assert_int_equal(g->pool->available, 63);
	packet_batch_free(&b);
	guest_free(g);
}

static void test_offload_header_crosses_both_ways(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features | F(VIRTIO_NET_F_MRG_RXBUF), 65535);
	struct virtio_net_hdr hdr = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				     .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
				     .hdr_len = 54,
				     .gso_size = 1448,
				     .csum_start = 34,
				     .csum_offset = 16};
	tx_frame(g, 0, &hdr, 3000);
	struct packet_batch b;
	assert_int_equal(dequeue(g, &b), 1);
	struct packet *p = b.packets[0];
	assert_true(p->flags & PACKET_F_OFFLOAD);
	assert_int_equal(p->offload.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(p->offload.gso_size, 1448);
	assert_int_equal(p->offload.csum_start, 34);
	assert_int_equal(p->offload.csum_offset, 16);
	assert_int_equal(p->offload.hdr_len, 54);

	/* Into the receive ring of the same guest, one 4 KB buffer. */
	struct guest *r = guest_new(base_features | F(VIRTIO_NET_F_MRG_RXBUF), 0);
	uint8_t *buf;
	set_desc(r->q.desc, 0, buffer(r, 4096, &buf), 4096, VRING_DESC_F_WRITE, 0);
	make_available(r, 0);
	uint32_t delivered;
	uint64_t bytes;
	assert_int_equal(virtq_enqueue(&r->q, &r->table, &p, 1, &delivered, &bytes), 1);
	assert_int_equal(delivered, 1);
	assert_int_equal(bytes, 3000);
	struct virtio_net_hdr_mrg_rxbuf got;
	memcpy(&got, buf, sizeof(got));
	assert_memory_equal(&got.hdr, &hdr, sizeof(hdr));
	assert_int_equal(got.num_buffers, 1);
	assert_int_equal(r->q.used->ring[0].len, HDR + 3000);
	assert_int_equal(memcmp(buf + HDR, p->data, 3000), 0);
	packet_batch_free(&b);
	guest_free(r);
	guest_free(g);
}

static void test_offload_header_outside_its_frame_is_dropped(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features, 0);
	struct virtio_net_hdr hdr = {
	    .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 58, .csum_offset = 16};
	tx_frame(g, 0, &hdr, 60);
	struct packet_batch b;
	assert_int_equal(dequeue(g, &b), 0);
	assert_int_equal(g->q.counters[VIRTQ_BAD_OFFLOAD], 1);
	guest_free(g);
}

static struct packet *frame_packet(struct guest *g, uint32_t len)
{
	struct packet *p = packet_alloc(g->pool);
	for (uint32_t i = 0; i < len; i++)
		p->data[i] = (uint8_t)i;
	p->len = (uint16_t)len;
	return p;
}

/* Posts `n` receive chains of one `len`-byte buffer each. */
static void post_rx_buffers(struct guest *g, int n, uint32_t len, uint8_t **bufs)
{
	for (int i = 0; i < n; i++) {
		set_desc(g->q.desc, (uint16_t)i, buffer(g, len, &bufs[i]), len, VRING_DESC_F_WRITE,
			 0);
		make_available(g, (uint16_t)i);
	}
}

static void test_mergeable_receive_spans_buffers(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features | F(VIRTIO_NET_F_MRG_RXBUF), 0);
	uint8_t *bufs[4];
	post_rx_buffers(g, 4, 64, bufs);
	struct packet *p = frame_packet(g, 150); /* 12 + 150 = 64 + 64 + 34 */
	uint32_t delivered;
	uint64_t bytes;
	assert_int_equal(virtq_enqueue(&g->q, &g->table, &p, 1, &delivered, &bytes), 1);
	assert_int_equal(delivered, 1);
	assert_int_equal(g->q.used->idx, 3);
	assert_int_equal(g->q.used->ring[0].len, 64);
	assert_int_equal(g->q.used->ring[1].len, 64);
	assert_int_equal(g->q.used->ring[2].len, 34);
	struct virtio_net_hdr_mrg_rxbuf h;
	memcpy(&h, bufs[0], sizeof(h));
	assert_int_equal(h.num_buffers, 3);
	assert_int_equal(bufs[0][HDR], 0);
	assert_int_equal(bufs[1][0], 52);
	assert_int_equal(bufs[2][33], 149);
	packet_free(p);
	guest_free(g);
}

/* A batch deeper than the descriptor look-ahead (virtio_ring.c stages
 * heads 16 and descriptors 8 chains ahead) mixing one-buffer frames of every size class
 * (the staged copy) with a chain and a runt (the general walk): every frame
 * whole and in order, the runt counted, every chain returned. */
static void test_mixed_batch_deeper_than_the_look_ahead(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features, 0);
	static const uint32_t lens[] = {14, 31, 32, 47, 64, 65, 100, 1514, 60, 0, 60, 9, 33, 60};
	const int n = (int)ARRAY_SIZE(lens);
	for (int i = 0; i < n; i++) {
		if (i == 9) { /* header and 30 bytes, then 30 more */
			uint8_t *h, *a;
			set_desc(g->q.desc, 15, buffer(g, HDR + 30, &h), HDR + 30,
				 VRING_DESC_F_NEXT, 14);
			set_desc(g->q.desc, 14, buffer(g, 30, &a), 30, 0, 0);
			memset(h, 0, HDR);
			for (int j = 0; j < 30; j++) {
				h[HDR + j] = (uint8_t)j;
				a[j] = (uint8_t)(30 + j);
			}
			make_available(g, 15);
		} else {
			tx_frame(g, (uint16_t)i, NULL, lens[i]);
		}
	}
	struct packet_batch b;
	assert_int_equal(dequeue(g, &b), n - 1);
	for (int i = 0, k = 0; i < n; i++) {
		if (i == 11)
			continue; /* the runt */
		assert_frame_bytes(b.packets[k++], i == 9 ? 60 : lens[i]);
	}
	assert_int_equal(g->q.counters[VIRTQ_RUNT], 1);
	assert_int_equal(g->q.used->idx, n);
	assert_int_equal(g->q.used->ring[9].id, 15);
	assert_int_equal(g->q.used->ring[13].id, 13);
	packet_batch_free(&b);
	guest_free(g);
}

/* Receive: staged one-chain copies, then a frame that spans three small
 * chains (the general walk, the look-ahead left behind), then staged copies
 * again; a frame the chain cannot hold without mergeable buffers would be
 * dropped, here it spans. Every byte, length and num_buffers as written. */
static void test_receive_batch_mixing_one_chain_and_spanning_frames(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features | F(VIRTIO_NET_F_MRG_RXBUF), 0);
	uint8_t *bufs[RING_SIZE];
	for (int i = 0; i < RING_SIZE; i++) {
		uint32_t len = i >= 3 && i < 6 ? 64 : 2048;
		set_desc(g->q.desc, (uint16_t)i, buffer(g, len, &bufs[i]), len, VRING_DESC_F_WRITE,
			 0);
		make_available(g, (uint16_t)i);
	}
	static const uint32_t lens[] = {60, 33, 1514, 150, 64, 14, 60, 47, 60, 60, 60, 60};
	const int n = (int)ARRAY_SIZE(lens);
	struct packet *p[ARRAY_SIZE(lens)];
	for (int i = 0; i < n; i++)
		p[i] = frame_packet(g, lens[i]);
	uint32_t delivered;
	uint64_t bytes;
	assert_int_equal(virtq_enqueue(&g->q, &g->table, p, (uint32_t)n, &delivered, &bytes), n);
	assert_int_equal(delivered, n);
	assert_int_equal(g->q.used->idx, n + 2); /* frame 3 took chains 3, 4, 5 */
	for (int i = 0, chain = 0; i < n; i++) {
		struct virtio_net_hdr_mrg_rxbuf h;
		memcpy(&h, bufs[chain], sizeof(h));
		assert_int_equal(h.num_buffers, i == 3 ? 3 : 1);
		if (i == 3) {
			assert_int_equal(g->q.used->ring[3].len, 64);
			assert_int_equal(bufs[5][33], 149);
			chain += 3;
			continue;
		}
		assert_int_equal(g->q.used->ring[chain].id, chain);
		assert_int_equal(g->q.used->ring[chain].len, HDR + lens[i]);
		for (uint32_t j = 0; j < lens[i]; j++)
			assert_int_equal(bufs[chain][HDR + j], (uint8_t)j);
		chain++;
	}
	for (int i = 0; i < n; i++)
		packet_free(p[i]);
	guest_free(g);
}

static void test_full_ring_stops_and_takes_nothing_of_a_partial_frame(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features | F(VIRTIO_NET_F_MRG_RXBUF), 0);
	uint8_t *bufs[2];
	post_rx_buffers(g, 2, 64, bufs);
	struct packet *p[3] = {frame_packet(g, 40), frame_packet(g, 100), frame_packet(g, 10)};
	uint32_t delivered;
	uint64_t bytes;
	/* The first fits; the second needs two buffers and finds one. */
	assert_int_equal(virtq_enqueue(&g->q, &g->table, p, 3, &delivered, &bytes), 1);
	assert_int_equal(delivered, 1);
	assert_int_equal(g->q.used->idx, 1);
	assert_int_equal(g->q.last_avail, 1);
	for (int i = 0; i < 3; i++)
		packet_free(p[i]);
	guest_free(g);
}

static void test_frame_too_big_for_a_non_mergeable_chain_is_dropped(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features, 0);
	uint8_t *bufs[1];
	post_rx_buffers(g, 1, 64, bufs);
	struct packet *p[2] = {frame_packet(g, 100), frame_packet(g, 52)};
	uint32_t delivered;
	uint64_t bytes;
	assert_int_equal(virtq_enqueue(&g->q, &g->table, p, 2, &delivered, &bytes), 2);
	assert_int_equal(delivered, 1);
	assert_int_equal(bytes, 52);
	assert_int_equal(g->q.counters[VIRTQ_TOO_SMALL], 1);
	assert_int_equal(g->q.used->idx, 1);
	packet_free(p[0]);
	packet_free(p[1]);
	guest_free(g);
}

static void test_receive_into_read_only_or_headerless_buffer_is_refused(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features, 0);
	set_desc(g->q.desc, 0, buffer(g, 64, NULL), 64, 0, 0);
	make_available(g, 0);
	struct packet *p = frame_packet(g, 20);
	uint32_t delivered;
	uint64_t bytes;
	assert_int_equal(virtq_enqueue(&g->q, &g->table, &p, 1, &delivered, &bytes), 0);
	assert_true(g->q.broken);
	assert_int_equal(g->q.counters[VIRTQ_BAD_DIRECTION], 1);
	packet_free(p);
	guest_free(g);
	g = guest_new(base_features, 0);
	set_desc(g->q.desc, 0, buffer(g, 8, NULL), 8, VRING_DESC_F_WRITE, 0);
	make_available(g, 0);
	p = frame_packet(g, 20);
	assert_int_equal(virtq_enqueue(&g->q, &g->table, &p, 1, &delivered, &bytes), 0);
	assert_int_equal(g->q.counters[VIRTQ_BAD_HEADER_ROOM], 1);
	packet_free(p);
	guest_free(g);
}

static void test_receive_of_more_used_entries_than_gathered_writes_them_all(void **state)
{
	(void)state;
	/* One frame over 600 small mergeable buffers: more used entries than
	 * the call gathers locally (512); those past go straight to the ring. */
	enum { BIG_RING = 1024, CHAINS = 600, BUF = 16 };
	struct guest *g = guest_new(base_features | F(VIRTIO_NET_F_MRG_RXBUF), 10000);
	g->q.desc = (struct vring_desc *)(g->mem + 0x80000);
	g->q.avail = (struct vring_avail *)(g->mem + 0x84000);
	g->q.used = (struct vring_used *)(g->mem + 0x85000);
	g->q.size = BIG_RING;
	uint8_t *last = NULL;
	for (uint16_t i = 0; i < CHAINS; i++) {
		uint16_t slot = (uint16_t)(BIG_RING - 1 - i); /* heads unlike slots */
		set_desc(g->q.desc, slot, buffer(g, BUF, &last), BUF, VRING_DESC_F_WRITE, 0);
		g->q.avail->ring[i] = slot;
	}
	g->q.avail->idx = CHAINS;
	struct packet *p = frame_packet(g, CHAINS * BUF - HDR);
	uint32_t delivered;
	uint64_t bytes;
	assert_int_equal(virtq_enqueue(&g->q, &g->table, &p, 1, &delivered, &bytes), 1);
	assert_int_equal(delivered, 1);
	assert_int_equal(g->q.used->idx, CHAINS);
	for (uint16_t i = 0; i < CHAINS; i++) {
		assert_int_equal(g->q.used->ring[i].id, BIG_RING - 1 - i);
		assert_int_equal(g->q.used->ring[i].len, BUF);
	}
	assert_int_equal(last[BUF - 1], (uint8_t)(CHAINS * BUF - HDR - 1));
	packet_free(p);
	guest_free(g);
}

/* ---- VIRTIO_F_IN_ORDER ---------------------------------------------------- */

static void test_in_order_transmit_batch_is_returned_by_one_used_entry(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features | F(VIRTIO_F_IN_ORDER), 0);
	for (int i = 0; i < RING_SIZE; i++)
		g->q.used->ring[i].id = 0xffff; /* to see which entries are written */
	for (uint16_t i = 0; i < 3; i++)
		tx_frame(g, i, NULL, 60);
	struct packet_batch b;
	assert_int_equal(dequeue(g, &b), 3);
	/* used->idx counts every buffer; the one entry, in the batch's first
	 * slot, names the batch's last chain (the guest infers the others). */
	assert_int_equal(g->q.used->idx, 3);
	assert_int_equal(g->q.used->ring[0].id, 2);
	assert_int_equal(g->q.used->ring[0].len, 0);
	assert_int_equal(g->q.used->ring[1].id, 0xffff);
	assert_int_equal(g->q.used->ring[2].id, 0xffff);
	packet_batch_free(&b);
	/* The next batch starts where the last one skipped to. */
	tx_frame(g, 3, NULL, 60);
	tx_frame(g, 4, NULL, 60);
	assert_int_equal(dequeue(g, &b), 2);
	assert_int_equal(g->q.used->idx, 5);
	assert_int_equal(g->q.used->ring[3].id, 4);
	assert_int_equal(g->q.used->ring[4].id, 0xffff);
	packet_batch_free(&b);
	guest_free(g);
}

static void test_in_order_dropped_frame_is_returned_in_its_place(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features | F(VIRTIO_F_IN_ORDER), 0);
	tx_frame(g, 0, NULL, 60);
	tx_frame(g, 1, NULL, 10); /* a runt, dropped */
	struct packet_batch b;
	assert_int_equal(dequeue(g, &b), 1);
	assert_int_equal(g->q.counters[VIRTQ_RUNT], 1);
	assert_int_equal(g->q.used->idx, 2);
	assert_int_equal(g->q.used->ring[0].id, 1);
	packet_batch_free(&b);
	guest_free(g);
}

static void test_in_order_rule_break_returns_the_good_chains_before_it(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features | F(VIRTIO_F_IN_ORDER), 0);
	tx_frame(g, 0, NULL, 60);
	tx_frame(g, 1, NULL, 60);
	set_desc(g->q.desc, 2, buffer(g, 80, NULL), 80, VRING_DESC_F_WRITE, 0);
	make_available(g, 2);
	struct packet_batch b;
	packet_batch_init(&b);
	assert_int_equal(virtq_dequeue(&g->q, &g->table, g->pool, &b, BATCH_SIZE), -EPROTO);
	assert_int_equal(g->q.counters[VIRTQ_BAD_DIRECTION], 1);
	assert_int_equal(g->q.used->idx, 2);
	assert_int_equal(g->q.used->ring[0].id, 1);
	packet_batch_free(&b);
	guest_free(g);
}

static void test_in_order_receive_still_writes_every_used_length(void **state)
{
	(void)state;
	/* Received buffers each carry their own length, so no entry is
	 * skipped on a receive queue. */
	struct guest *g =
	    guest_new(base_features | F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_F_IN_ORDER), 0);
	uint8_t *bufs[4];
	post_rx_buffers(g, 4, 64, bufs);
	struct packet *p[2] = {frame_packet(g, 100), frame_packet(g, 20)}; /* 64+48, 32 */
	uint32_t delivered;
	uint64_t bytes;
	assert_int_equal(virtq_enqueue(&g->q, &g->table, p, 2, &delivered, &bytes), 2);
	assert_int_equal(g->q.used->idx, 3);
	assert_int_equal(g->q.used->ring[0].len, 64);
	assert_int_equal(g->q.used->ring[1].len, 48);
	assert_int_equal(g->q.used->ring[2].len, 32);
	assert_int_equal(g->q.used->ring[2].id, g->q.avail->ring[2]);
	packet_free(p[0]);
	packet_free(p[1]);
	guest_free(g);
}

static void test_interrupt_follows_the_guest_flags(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features, 0);
	struct packet_batch b;
	g->q.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	tx_frame(g, 0, NULL, 60);
	assert_int_equal(dequeue(g, &b), 1);
	assert_int_equal(g->q.calls, 0);
	packet_batch_free(&b);
	g->q.avail->flags = 0;
	tx_frame(g, 1, NULL, 60);
	tx_frame(g, 2, NULL, 60);
	assert_int_equal(dequeue(g, &b), 2);
	assert_int_equal(g->q.calls, 1); /* once per batch */
	packet_batch_free(&b);
	guest_free(g);
}

static void test_interrupt_follows_used_event_with_event_idx(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features | F(VIRTIO_RING_F_EVENT_IDX), 0);
	struct packet_batch b;
	uint16_t *used_event = &g->q.avail->ring[RING_SIZE];
	*used_event = 4; /* interrupt once the 5th buffer is used */
	for (int i = 0; i < 3; i++)
		tx_frame(g, (uint16_t)i, NULL, 60);
	assert_int_equal(dequeue(g, &b), 3);
	assert_int_equal(g->q.calls, 0);
	packet_batch_free(&b);
	for (int i = 3; i < 6; i++)
		tx_frame(g, (uint16_t)i, NULL, 60);
	assert_int_equal(dequeue(g, &b), 3);
	assert_int_equal(g->q.calls, 1);
	packet_batch_free(&b);
	guest_free(g);
}

static void test_kicks_are_asked_for_only_when_idle(void **state)
{
	(void)state;
	struct guest *g = guest_new(base_features, 0);
	assert_false(virtq_want_kicks(&g->q, false));
	assert_int_equal(g->q.used->flags, VRING_USED_F_NO_NOTIFY);
	tx_frame(g, 0, NULL, 60);
	/* Asking again shows what arrived while kicks were off. */
	assert_true(virtq_want_kicks(&g->q, true));
	assert_int_equal(g->q.used->flags, 0);
	guest_free(g);

	g = guest_new(base_features | F(VIRTIO_RING_F_EVENT_IDX), 0);
	uint16_t *avail_event = (uint16_t *)&g->q.used->ring[RING_SIZE];
	g->q.last_avail = 7;
	g->q.avail->idx = 7;
	assert_false(virtq_want_kicks(&g->q, true));
	assert_int_equal(*avail_event, 7);
	guest_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frame_in_one_descriptor_is_taken_and_returned),
	    cmocka_unit_test(test_chain_across_descriptors_is_one_frame),
	    cmocka_unit_test(test_indirect_table_is_followed),
	    cmocka_unit_test(test_descriptor_loop_is_refused),
	    cmocka_unit_test(test_next_beyond_the_table_is_refused),
	    cmocka_unit_test(test_buffer_outside_guest_memory_is_refused),
	    cmocka_unit_test(test_nested_indirect_table_is_refused),
	    cmocka_unit_test(test_indirect_table_of_odd_size_or_unnegotiated_is_refused),
	    cmocka_unit_test(test_head_or_avail_index_past_the_ring_is_refused),
	    cmocka_unit_test(test_write_only_buffer_to_send_is_refused),
	    cmocka_unit_test(test_runt_and_oversize_frames_are_dropped_and_counted),
	    cmocka_unit_test(test_offload_header_crosses_both_ways),
	    cmocka_unit_test(test_offload_header_outside_its_frame_is_dropped),
	    cmocka_unit_test(test_mergeable_receive_spans_buffers),
	    cmocka_unit_test(test_mixed_batch_deeper_than_the_look_ahead),
	    cmocka_unit_test(test_receive_batch_mixing_one_chain_and_spanning_frames),
	    cmocka_unit_test(test_full_ring_stops_and_takes_nothing_of_a_partial_frame),
	    cmocka_unit_test(test_frame_too_big_for_a_non_mergeable_chain_is_dropped),
	    cmocka_unit_test(test_receive_into_read_only_or_headerless_buffer_is_refused),
	    cmocka_unit_test(test_receive_of_more_used_entries_than_gathered_writes_them_all),
	    cmocka_unit_test(test_in_order_transmit_batch_is_returned_by_one_used_entry),
	    cmocka_unit_test(test_in_order_dropped_frame_is_returned_in_its_place),
	    cmocka_unit_test(test_in_order_rule_break_returns_the_good_chains_before_it),
	    cmocka_unit_test(test_in_order_receive_still_writes_every_used_length),
	    cmocka_unit_test(test_interrupt_follows_the_guest_flags),
	    cmocka_unit_test(test_interrupt_follows_used_event_with_event_idx),
	    cmocka_unit_test(test_kicks_are_asked_for_only_when_idle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
