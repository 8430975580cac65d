/* fuzz_virtio_ring.c — libFuzzer target for the virtqueue walker
 * (src/port/virtio_ring.c): the input is the guest's memory, rings and
 * descriptors included, so every index, chain and address is the fuzzer's.
 * Taking frames off the ring and filling receive buffers must never read or
 * write outside that memory (ASan sees it: the memory is an exact-size
 * allocation) nor loop. Input: [size log2][features][packets][len][memory...]. */
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>

#include "port/virtio_ring.h"

#define GPA_BASE UINT64_C(0x10000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct packet_pool *pool;
	if (!pool)
		pool = packet_pool_create(64, 4096);
	if (size < 4)
		return 0;
	uint32_t ring = 1u << (data[0] % 9); /* 1..256 */
	uint8_t f = data[1];
	uint64_t features = UINT64_C(1) << VIRTIO_F_VERSION_1;
	if (f & 1)
		features |= UINT64_C(1) << VIRTIO_NET_F_MRG_RXBUF;
	if (f & 2)
		features |= UINT64_C(1) << VIRTIO_RING_F_INDIRECT_DESC;
	if (f & 4)
		features |= UINT64_C(1) << VIRTIO_RING_F_EVENT_IDX;
	if (f & 8)
		features |= UINT64_C(1) << VIRTIO_F_IN_ORDER;
	size_t rings =
	    virtq_desc_bytes(ring) + ((virtq_avail_bytes(ring) + 3) & ~3u) + virtq_used_bytes(ring);
	size_t mem_size = size - 4 > rings ? size - 4 : rings;
	uint8_t *mem = aligned_alloc(16, (mem_size + 15) & ~(size_t)15);
	if (!mem)
		return 0;
	memset(mem, 0, mem_size);
	memcpy(mem, data + 4, size - 4);
	struct vhost_memory table = {0};
	struct vhost_memory_desc d = {GPA_BASE, mem_size, 0, 0};
	char why[100];
	if (vhost_memory_adopt(&table, &d, 1, &mem, why, sizeof(why)) != 0)
		abort();
	struct virtq q = {.call_fd = -1, .size = (uint16_t)ring};
	q.desc = (struct vring_desc *)mem;
	q.avail = (struct vring_avail *)(mem + virtq_desc_bytes(ring));
	q.used = (struct vring_used *)(mem + virtq_desc_bytes(ring) +
				       ((virtq_avail_bytes(ring) + 3) & ~3u));
	virtq_set_features(&q, features);

	uint32_t before = pool->available;
	struct packet_batch batch;
	packet_batch_init(&batch);
	if (f & 8) {
		/* The guest's receive ring: fill it with up to 16 frames. */
		struct packet *packets[16];
		uint32_t n = 0;
		for (; n < 1 + data[2] % 16; n++) {
			packets[n] = packet_alloc(pool);
			packets[n]->len = (uint16_t)((data[3] * 17u * (n + 1)) % 4096);
			memset(packets[n]->data, (int)n, packets[n]->len);
		}
		uint32_t delivered;
		uint64_t bytes;
		uint32_t done = virtq_enqueue(&q, &table, packets, n, &delivered, &bytes);
		if (done > n || delivered > done)
			abort();
		for (uint32_t i = 0; i < n; i++)
			packet_free(packets[i]);
	} else {
		for (int round = 0; round < 2; round++) {
			int got = virtq_dequeue(&q, &table, pool, &batch, BATCH_SIZE);
			if (got > (int)ring || (got < 0 && !q.broken))
				abort();
			for (uint32_t i = 0; i < batch.count; i++)
				if (batch.packets[i]->len < 14 || batch.packets[i]->len > 4096)
					abort();
			packet_batch_free(&batch);
		}
	}
	virtq_want_kicks(&q, true);
	if (pool->available != before)
		abort(); /* a packet leaked or freed twice */
	free(mem);
	return 0;
}
