/* afxdp_ring.h — frames as chains of UMEM chunks (AF_XDP multi-buffer):
 * gathering a received chain of descriptors into one packet buffer, and
 * splitting a frame into a chain to transmit. Ring work only, no system
 * call, so the unit tests drive it with rings of their own
 * (tests/unit/test_afxdp_ring.c); afxdp.c owns the sockets.
 *
 * With XDP_USE_SG on the socket (Linux 6.6) a frame larger than one chunk
 * arrives as several descriptors, each but the last flagged XDP_PKT_CONTD
 * in `options`, and leaves the same way. The kernel publishes a chain whole
 * and makes at most MAX_SKB_FRAGS + 1 (18) descriptors of one frame. */
#ifndef VSWITCH_AFXDP_RING_H
#define VSWITCH_AFXDP_RING_H

#include <stdint.h>

#include <linux/if_xdp.h>
#include <xdp/xsk.h>

/* Linux 6.6's <linux/if_xdp.h>; Debian 12's headers are 6.1's. */
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4) /* bind flag: frames may span several chunks */
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0) /* descriptor option: the frame goes on in the next */
#endif

/* Descriptors of one frame beyond which a chain is broken (the kernel makes
 * at most 18). */
#define AFXDP_CHAIN_MAX 32

/* The half of a UMEM that descriptors of one ring may point into. */
struct afxdp_area {
	uint8_t *base;	/* the UMEM */
	uint64_t first; /* offset of the half's first chunk */
	uint64_t end;	/* offset past its last chunk */
	uint32_t chunk; /* bytes per chunk, a power of two */
};

enum afxdp_gather_status {
	AFXDP_GATHER_OK,	 /* the frame is in the buffer */
	AFXDP_GATHER_INCOMPLETE, /* the chain's end is not among the descriptors given */
	AFXDP_GATHER_TOO_LONG,	 /* longer than the buffer: consumed, not copied */
	AFXDP_GATHER_BROKEN,	 /* a descriptor outside the half or its chunk, or no end
				    within AFXDP_CHAIN_MAX: consumed, not copied */
};

/* Copies the frame whose first descriptor is rx descriptor `idx`, one of
 * `avail` peeked, into out (room bytes), its length in *len. Returns the
 * number of descriptors it spans (all consumed, whatever the status), or 0
 * with AFXDP_GATHER_INCOMPLETE: leave them in the ring for a later call. */
uint32_t afxdp_gather(const struct xsk_ring_cons *rx, uint32_t idx, uint32_t avail,
		      const struct afxdp_area *area, uint8_t *out, uint32_t room, uint32_t *len,
		      enum afxdp_gather_status *status);

/* The chunk a received descriptor's address lies in, for the fill ring. */
static inline uint64_t afxdp_chunk_of(const struct afxdp_area *area, uint64_t addr)
{
	return xsk_umem__add_offset_to_addr(addr) & ~(uint64_t)(area->chunk - 1);
}

/* Descriptors a frame of `len` bytes takes in chunks of `chunk` bytes. */
static inline uint32_t afxdp_chain_length(uint32_t len, uint32_t chunk)
{
	return len <= chunk ? 1 : (len + chunk - 1) / chunk;
}

/* Writes `len` bytes of frame into tx descriptors idx.. (afxdp_chain_length
 * of them, reserved by the caller), each in a chunk popped from the free
 * stack `free` (*n_free entries, enough of them), every one but the last
 * flagged XDP_PKT_CONTD. Returns the number of descriptors written. */
uint32_t afxdp_split(struct xsk_ring_prod *tx, uint32_t idx, uint8_t *area, uint64_t *free,
		     uint32_t *n_free, const uint8_t *frame, uint32_t len, uint32_t chunk);

#endif
