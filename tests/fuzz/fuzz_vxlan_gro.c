/* fuzz_vxlan_gro.c — libFuzzer target for the vxlan port's TCP coalescing
 * (src/port/vxlan_gro.c). Hostile runs are made from a clean TCP stream
 * (so that merges happen at all) with fuzzer-chosen frame lengths and bytes
 * flipped anywhere, payload bytes included; then: the run length is within
 * [0, n], 0 only when the first segment's TCP checksum is wrong, every
 * merged segment's checksum was right, the merged frame's completed
 * checksum verifies, a merge never
 * writes past the expected length nor exceeds max_len, its IP length fields
 * and offload header agree with the frame, merging in place gives the same
 * bytes, and the engine's software GSO cuts it into exactly k segments.
 * Input: n, flags, MSS, max_len, then (segment, offset, xor) triples,
 * length changes and payload flips. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_net.h>

#include "lib/gso.h"
#include "lib/util.h"
#include "port/vxlan_gro.h"

#define SLOT 1600
#define MAXN (VXLAN_GRO_MAX_SEGS + 2)

static uint8_t buf[MAXN * (SLOT + 8)];
static uint8_t out[65536 + 64];

static uint32_t make_frame(uint8_t *f, bool ipv6, uint32_t seq, uint32_t payload, uint16_t id)
{
	memset(f, 0, 14 + 40 + 20);
	f[0] = 2;
	f[6] = 2;
	f[11] = 1;
	uint32_t l4 = ipv6 ? 54 : 34, len = l4 + 20 + payload;
	uint8_t *ip = f + 14, *t = f + l4;
	uint32_t sum;
	if (ipv6) {
		store_be16(f + 12, ETH_TYPE_IPV6);
		ip[0] = 0x60;
		store_be16(ip + 4, (uint16_t)(20 + payload));
		ip[6] = 6;
		ip[7] = 64;
		sum = csum_partial(ip + 8, 32, 0);
	} else {
		store_be16(f + 12, ETH_TYPE_IPV4);
		ip[0] = 0x45;
		store_be16(ip + 2, (uint16_t)(len - 14));
		store_be16(ip + 4, id);
		ip[6] = 0x40;
		ip[8] = 64;
		ip[9] = 6;
		store_be32(ip + 12, 0x0a000001);
		store_be32(ip + 16, 0x0a000002);
		store_be16(ip + 10, csum_fold(csum_partial(ip, 20, 0)));
		sum = csum_partial(ip + 12, 8, 0);
	}
	store_be16(t, 1000);
	store_be16(t + 2, 2000);
	store_be32(t + 4, seq);
	t[12] = 0x50;
	t[13] = 0x10;
	for (uint32_t i = 0; i < payload; i++)
		t[20 + i] = (uint8_t)(seq + i);
	store_be16(t + 16, csum_fold(csum_partial(t, 20 + payload, sum + 6 + 20 + payload)));
	return len;
}

/* Whether the TCP checksum of frame f (as vxlan_gro_run() accepts it: IPv4
 * without options or IPv6) verifies with its pseudo-header. */
static bool tcp_csum_ok(const uint8_t *f, uint32_t len)
{
	bool v6 = load_be16(f + 12) == ETH_TYPE_IPV6;
	uint32_t l4 = v6 ? 54 : 34, tcp_len = len - l4;
	uint32_t sum = v6 ? csum_partial(f + 22, 32, 0) : csum_partial(f + 26, 8, 0);
	return csum_fold(csum_partial(f + l4, tcp_len, sum + 6 + tcp_len)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct packet_pool *pool;
	if (!pool && !(pool = packet_pool_create(VXLAN_GRO_MAX_SEGS * 2, 65535)))
		abort();
	if (size < 5)
		return 0;
	uint32_t n = 1 + data[0] % MAXN;
	bool ipv6 = data[1] & 1;
	uint32_t mss = 1 + (load_be16(data + 2) % (SLOT - 74));
	uint32_t max_len = 60 + data[4] * 300u;
	data += 5;
	size -= 5;
	const uint8_t *frames[MAXN];
	uint32_t lens[MAXN], at = 0;
	for (uint32_t i = 0; i < n; i++) {
		frames[i] = buf + at;
		lens[i] = make_frame(buf + at, ipv6, 1000 + i * mss, mss, (uint16_t)i);
		at += SLOT + 8;
	}
	/* Hostile changes: (segment, offset, xor) or, with offset 0xff, a new
	 * length within the segment's slot, or with 0xfe a payload byte (at
	 * data[2] / 256 of the MSS) flipped. */
	for (; size >= 3; data += 3, size -= 3) {
		uint32_t i = data[0] % n, off = data[1];
		if (off == 0xff)
			lens[i] = data[2] * (SLOT / 255u);
		else if (off == 0xfe)
			buf[(frames[i] - buf) + (ipv6 ? 74 : 54) + data[2] * mss / 256] ^= 0x40;
		else
			buf[(frames[i] - buf) + off] ^= data[2];
	}
	uint32_t k = vxlan_gro_run(frames, lens, n, max_len);
	if (k > n || k > VXLAN_GRO_MAX_SEGS || (k == 0 && tcp_csum_ok(frames[0], lens[0])))
		abort();
	if (k <= 1)
		return 0;
	for (uint32_t i = 0; i < k; i++) /* no corrupted segment joined */
		if (!tcp_csum_ok(frames[i], lens[i]))
			abort();
	struct packet_offload off;
	memset(out, 0xa5, sizeof(out));
	uint32_t len = vxlan_gro_merge(out, frames, lens, k, &off);
	uint32_t expect = lens[0];
	for (uint32_t i = 1; i < k; i++)
		expect += lens[i] - off.hdr_len;
	if (len != expect || len > max_len || len > VXLAN_GRO_MAX_FRAME || out[len] != 0xa5 ||
	    off.gso_size == 0 || off.gso_size != lens[0] - off.hdr_len ||
	    (uint32_t)off.csum_start + off.csum_offset + 2 > len || off.hdr_len >= len)
		abort();
	uint16_t l3_len = ipv6 ? load_be16(out + 18) : load_be16(out + 16);
	if (l3_len != len - 14 - (ipv6 ? 40 : 0))
		abort();
	/* In place, as the port does it. */
	struct packet_offload off2;
	if (vxlan_gro_merge((uint8_t *)frames[0], frames, lens, k, &off2) != len ||
	    memcmp(frames[0], out, len) || memcmp(&off, &off2, sizeof(off)))
		abort();
	struct packet *p = packet_from_bytes(pool, out, len);
	if (!p)
		abort();
	p->flags |= PACKET_F_OFFLOAD;
	p->offload = off;
	/* The fresh partial checksum, completed, is the payload's real one. */
	struct packet *c = packet_from_bytes(pool, out, len);
	if (!c)
		abort();
	c->flags |= PACKET_F_OFFLOAD;
	c->offload = off;
	if (packet_csum_complete(c) != 0 || !tcp_csum_ok(c->data, c->len))
		abort();
	packet_free(c);
	struct packet_batch segs;
	packet_batch_init(&segs);
	if (packet_gso_segment(p, &segs) != 0 || segs.count != k)
		abort();
	packet_batch_free(&segs);
	return 0;
}
