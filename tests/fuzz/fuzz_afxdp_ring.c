/* fuzz_afxdp_ring.c — libFuzzer target for the multi-buffer gatherer
 * (src/port/afxdp_ring.c): the input is the rx ring's descriptors as the
 * kernel would write them, so every address, length and continuation flag
 * is the fuzzer's. Gathering must never read outside the receive half of
 * the UMEM nor write past the buffer (ASan sees both: the UMEM and the
 * buffer are exact-size allocations), and must consume every descriptor
 * it was given or leave a tail no longer than a chain. Input: [room][avail]
 * then 16-byte descriptors. */
#include <stdlib.h>
#include <string.h>

#include "port/afxdp_ring.h"

#define CHUNK	 512u
#define N_CHUNKS 8u /* the receive half: chunks 0-3 */
#define RING	 64u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint32_t room = 1 + data[0] * 16u; /* 1..4081 bytes */
	uint32_t avail = data[1] % (RING + 1);
	data += 2;
	size -= 2;
	struct xdp_desc *descs = calloc(RING, sizeof(*descs));
	uint8_t *umem = calloc(N_CHUNKS / 2, CHUNK); /* only the receive half exists */
	uint8_t *out = malloc(room);
	uint32_t producer = avail, consumer = 0, flags = 0;
	if (!descs || !umem || !out)
		goto done;
	memcpy(descs, data, size < RING * sizeof(*descs) ? size : RING * sizeof(*descs));
	struct xsk_ring_cons rx = {.mask = RING - 1,
				   .size = RING,
				   .producer = &producer,
				   .consumer = &consumer,
				   .ring = descs,
				   .flags = &flags};
	const struct afxdp_area area = {
	    .base = umem, .first = 0, .end = (N_CHUNKS / 2) * CHUNK, .chunk = CHUNK};
	uint32_t used = 0;
	while (used < avail) {
		uint32_t len = 0;
		enum afxdp_gather_status st;
		uint32_t k = afxdp_gather(&rx, used, avail - used, &area, out, room, &len, &st);
		if (k == 0) {
			if (st != AFXDP_GATHER_INCOMPLETE || avail - used >= AFXDP_CHAIN_MAX)
				abort();
			break;
		}
		if (k > avail - used || (st == AFXDP_GATHER_OK && len > room))
			abort();
		used += k;
	}
done:
	free(descs);
	free(umem);
	free(out);
	return 0;
}
