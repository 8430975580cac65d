/* bench_virtio_ring.c — cycles per packet of the vhost-user data path alone
 * (src/port/virtio_ring.c): a simulated guest keeps a transmit ring full of
 * `frame`-byte frames and a receive ring full of 2 KB buffers; each round
 * takes a batch off the transmit ring into pool packets (what recv() does)
 * and copies it into the receive ring (what send() does), timed with the
 * TSC. The guest only moves its indexes, so its caches stay warm: this is
 * the switch's share of the cost, not a guest's.
 *   bench-virtio-ring [frame] [batch] [rounds] */
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "port/virtio_ring.h"

#define RING	 256
#define BUF_SIZE 2048
#define MEM_SIZE (2 * RING * BUF_SIZE + 4 * 65536)

static void ring_setup(struct virtq *q, uint8_t *mem, uint32_t at, uint32_t buffers, bool rx,
		       uint32_t frame, uint64_t features)
{
	q->desc = (struct vring_desc *)(mem + at);
	q->avail = (struct vring_avail *)(mem + at + 16 * RING);
	q->used = (struct vring_used *)(mem + at + 16 * RING + 4096);
	q->size = RING;
	q->call_fd = -1;
	virtq_set_features(q, features);
	for (uint32_t i = 0; i < RING; i++) {
		q->desc[i].addr = buffers + i * BUF_SIZE;
		q->desc[i].len = rx ? BUF_SIZE : q->hdr_len + frame;
		q->desc[i].flags = rx ? VRING_DESC_F_WRITE : 0;
		q->avail->ring[i] = (uint16_t)i;
		if (!rx)
			memset(mem + buffers + i * BUF_SIZE + q->hdr_len, 0x5a, frame);
	}
	q->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	q->avail->idx = RING;
}

int main(int argc, char **argv)
{
	uint32_t frame = argc > 1 ? (uint32_t)atoi(argv[1]) : 60;
	uint32_t batch_size = argc > 2 ? (uint32_t)atoi(argv[2]) : 32;
	uint64_t rounds = argc > 3 ? strtoull(argv[3], NULL, 10) : 200000;
	uint64_t features = (UINT64_C(1) << VIRTIO_F_VERSION_1) |
			    (UINT64_C(1) << VIRTIO_NET_F_MRG_RXBUF);
	uint8_t *mem = aligned_alloc(4096, MEM_SIZE);
	memset(mem, 0, MEM_SIZE);
	struct vhost_memory table = {0};
	struct vhost_memory_desc d = {0, MEM_SIZE, 0, 0};
	char why[100];
	if (vhost_memory_adopt(&table, &d, 1, &mem, why, sizeof(why)) < 0)
		return 1;
	struct virtq tx = {0}, rx = {0};
	ring_setup(&tx, mem, 2 * RING * BUF_SIZE, 0, false, frame, features);
	ring_setup(&rx, mem, 2 * RING * BUF_SIZE + 65536, RING * BUF_SIZE, true, frame, features);
	struct packet_pool *pool = packet_pool_create(1024, 2048);
	struct packet_batch b;
	uint64_t rx_cycles = 0, tx_cycles = 0, packets = 0;
	for (uint64_t r = 0; r < rounds; r++) {
		packet_batch_init(&b);
		uint64_t t0 = rdtsc();
		int n = virtq_dequeue(&tx, &table, pool, &b, batch_size);
		uint64_t t1 = rdtsc();
		uint32_t delivered;
		uint64_t bytes;
		virtq_enqueue(&rx, &table, b.packets, b.count, &delivered, &bytes);
		uint64_t t2 = rdtsc();
		packet_batch_free(&b);
		if (n <= 0 || delivered != (uint32_t)n) {
			fprintf(stderr, "round %llu: %d taken, %u delivered\n",
				(unsigned long long)r, n, delivered);
			return 1;
		}
		rx_cycles += t1 - t0;
		tx_cycles += t2 - t1;
		packets += (uint64_t)n;
		/* The guest: sends the same frames again, posts the buffers again. */
		tx.avail->idx = (uint16_t)(tx.avail->idx + n);
		rx.avail->idx = (uint16_t)(rx.avail->idx + n);
	}
	printf("{\"frame\": %u, \"batch\": %u, \"packets\": %llu, \"recv_cycles_per_packet\": %.1f, "
	       "\"send_cycles_per_packet\": %.1f}\n",
	       frame, batch_size, (unsigned long long)packets, (double)rx_cycles / packets,
	       (double)tx_cycles / packets);
	packet_pool_destroy(pool);
	free(mem);
	return 0;
}
