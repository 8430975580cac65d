/* afxdp_ring.c — gathering and splitting multi-buffer frames (afxdp_ring.h).
 * A descriptor is checked before its bytes are read: the rings are shared
 * with the kernel, and a descriptor that pointed outside the receive half
 * would read the transmit frames or past the UMEM. */
#include "afxdp_ring.h"

#include <string.h>

#include "lib/util.h"

uint32_t afxdp_gather(const struct xsk_ring_cons *rx, uint32_t idx, uint32_t avail,
		      const struct afxdp_area *area, uint8_t *out, uint32_t room, uint32_t *len,
		      enum afxdp_gather_status *status)
{
	enum afxdp_gather_status result = AFXDP_GATHER_OK;
	uint32_t total = 0;
	uint32_t limit = avail < AFXDP_CHAIN_MAX ? avail : AFXDP_CHAIN_MAX;
	for (uint32_t i = 0; i < limit; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(rx, idx + i);
		uint64_t addr = xsk_umem__add_offset_to_addr(d->addr);
		uint64_t chunk = addr & ~(uint64_t)(area->chunk - 1);
		if (UNLIKELY(chunk < area->first || chunk >= area->end ||
			     addr - chunk + d->len > area->chunk))
			result = AFXDP_GATHER_BROKEN;
		else if (result == AFXDP_GATHER_OK && d->len > room - total)
			result = AFXDP_GATHER_TOO_LONG;
		if (LIKELY(result == AFXDP_GATHER_OK)) {
			memcpy(out + total, area->base + addr, d->len);
			total += d->len;
		}
		if (LIKELY(!(d->options & XDP_PKT_CONTD))) {
			*len = total;
			*status = result;
			return i + 1;
		}
	}
	if (limit == AFXDP_CHAIN_MAX) {
		*status = AFXDP_GATHER_BROKEN; /* no end where the kernel puts one */
		return AFXDP_CHAIN_MAX;
	}
	*status = AFXDP_GATHER_INCOMPLETE;
	return 0;
}

uint32_t afxdp_split(struct xsk_ring_prod *tx, uint32_t idx, uint8_t *area, uint64_t *free,
		     uint32_t *n_free, const uint8_t *frame, uint32_t len, uint32_t chunk)
{
	uint32_t n = afxdp_chain_length(len, chunk);
	for (uint32_t i = 0; i < n; i++) {
		struct xdp_desc *d = xsk_ring_prod__tx_desc(tx, idx + i);
		uint32_t part = len - i * chunk < chunk ? len - i * chunk : chunk;
		d->addr = free[--*n_free];
		d->len = part;
		d->options = i + 1 < n ? XDP_PKT_CONTD : 0;
		memcpy(area + d->addr, frame + (size_t)i * chunk, part);
	}
	return n;
}
