/* rate_limit.h — rate limits per port (DESIGN §5): ingress policing, egress
 * shaping with VMware's three numbers (average rate, peak rate, burst size)
 * and storm control of flooded frames per class, all on one integer token
 * bucket. The setting is struct port_rate_config (a field of port_config);
 * the running state, struct port_rate_state, lives in the bridge port.
 * Sectioned by the file that defines each part; docs/rate-limits.md says
 * why it works as it does. */
#ifndef VSWITCH_RATE_LIMIT_H
#define VSWITCH_RATE_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/packet.h"

struct bridge_port;
struct vswitch;

/* Limits a setting may take: 1 kbit/s to 400 Gbit/s, bursts to 256 MiB,
 * storm control to 100 Mpps. They keep every product of the bucket's
 * arithmetic below 2^63 (rate_limit.c says how). */
#define RATE_MIN_BPS   1000ULL
#define RATE_MAX_BPS   400000000000ULL
#define RATE_MAX_BURST (256ULL << 20)
#define RATE_MAX_PPS   100000000U
#define RATE_NS	       1000000000ULL
/* The most bytes one frame may cost: a 64 KB GSO super-frame, headers and
 * all. A frame may leave the bucket in debt by at most this much. */
#define RATE_MAX_FRAME (1ULL << 17)
/* Frames a shaped port holds per poll thread while they wait for tokens;
 * beyond that they are dropped and counted (shaper-full). */
#define SHAPER_QUEUE_LEN 512

enum storm_class { STORM_BROADCAST, STORM_MULTICAST, STORM_UNKNOWN_UNICAST, STORM_CLASSES };

/* What the operator set; 0 everywhere = no limit (port_config_init). */
struct port_rate_config {
	uint64_t ingress_rate;	/* bit/s; 0 = not policed */
	uint64_t ingress_burst; /* bytes; 0 = default (rate_default_burst) */
	uint64_t egress_rate;	/* bit/s, the average; 0 = not shaped */
	uint64_t egress_peak;	/* bit/s; 0 = no peak limit (a burst leaves at line rate) */
	uint64_t egress_burst;	/* bytes sent above the average; 0 = default */
	uint32_t storm_pps[STORM_CLASSES]; /* packets/s; 0 = no limit */
};

/* ---- rate_limit.c: the token bucket, ingress policing, settings --------- */

/* Credit is kept in "unit-nanoseconds" (bits × 10^9 for a byte rate,
 * packets × 10^9 for a packet rate), so that a refill is one exact integer
 * product, elapsed_ns × rate, with no division and no rounding, at any rate
 * and any refill interval. */
struct token_bucket {
	int64_t tokens;	  /* credit; negative after a frame larger than what was left */
	int64_t depth;	  /* the most credit it holds (the burst) */
	uint64_t rate;	  /* units per second */
	uint64_t fill_ns; /* from the deepest debt to full: longer idle adds nothing */
	uint64_t last_ns; /* clock of the last refill */
};

/* A bucket of `rate` units/s holding up to `depth` units (both > 0), full
 * at `now_ns`. */
void token_bucket_init(struct token_bucket *b, uint64_t rate, uint64_t depth, uint64_t now_ns);
/* Adds the credit earned since the last refill; a clock that went back
 * (another thread read it first) adds nothing. */
static inline void token_bucket_refill(struct token_bucket *b, uint64_t now_ns)
{
	if (now_ns <= b->last_ns)
		return;
	uint64_t elapsed = now_ns - b->last_ns;
	b->last_ns = now_ns;
	if (elapsed > b->fill_ns)
		elapsed = b->fill_ns;
	int64_t tokens = b->tokens + (int64_t)(elapsed * b->rate);
	b->tokens = tokens < b->depth ? tokens : b->depth;
}
/* Whether a frame costing `cost` unit-ns conforms: the credit covers it, or
 * (a frame larger than the whole burst) the bucket is full. */
static inline bool token_bucket_conforms(const struct token_bucket *b, int64_t cost)
{
	return b->tokens >= (cost < b->depth ? cost : b->depth);
}
/* Takes a frame's cost if it conforms; false (and nothing taken) if not. */
static inline bool token_bucket_take(struct token_bucket *b, int64_t cost)
{
	if (!token_bucket_conforms(b, cost))
		return false;
	b->tokens -= cost;
	return true;
}
/* The bucket's credit in whole units (bits or packets), for `port show`. */
int64_t token_bucket_units(const struct token_bucket *b);

/* The bytes a frame puts on the wire: a GSO super-frame counts the headers
 * each of its segments will carry. */
static inline uint64_t rate_frame_bytes(const struct packet *p)
{
	uint64_t len = p->len;
	if (UNLIKELY(p->flags & PACKET_F_OFFLOAD) && p->offload.gso_type && p->offload.gso_size &&
	    p->offload.hdr_len && p->offload.hdr_len < len) {
		uint64_t payload = len - p->offload.hdr_len;
		uint64_t segments = (payload + p->offload.gso_size - 1) / p->offload.gso_size;
		len += (segments - 1) * p->offload.hdr_len;
	}
	return len < RATE_MAX_FRAME ? len : RATE_MAX_FRAME; /* a lying gso_size */
}
/* A frame's cost in a byte-rate bucket. */
static inline int64_t rate_frame_cost(const struct packet *p)
{
	return (int64_t)(rate_frame_bytes(p) * 8 * RATE_NS);
}

/* The clock the stages read, once per batch: CLOCK_MONOTONIC in ns. Tests
 * replace it. */
extern uint64_t (*rate_limit_clock)(void);
/* The burst a rate gets when none is set: 100 ms of it, at least 64 KiB
 * (docs/rate-limits.md says why). */
uint64_t rate_default_burst(uint64_t rate_bps);
/* Checks ranges and combinations (a burst or a peak without a rate, a peak
 * below the average). Returns 0 or -EINVAL with "port NAME: ..." in err. */
int rate_limit_validate(const char *name, const struct port_rate_config *config, char *err,
			size_t err_size);
/* Whether two settings are the same. */
bool rate_config_equal(const struct port_rate_config *a, const struct port_rate_config *b);
/* Brings the port's running state in line with `config` (validated); runs
 * while poll threads are paused. Buckets whose setting changed start full;
 * a shaper is allocated when egress shaping starts (-ENOMEM, nothing
 * changed, when memory is short) and its held frames are dropped when it
 * stops. */
int rate_limit_configure(struct vswitch *sw, struct bridge_port *port,
			 const struct port_rate_config *config, char *err, size_t err_size);
/* Frees what rate_limit_configure allocated, with any frames held. */
void rate_limit_release(struct bridge_port *port);
/* Stage 5 of the pipeline: drops (counted "policed") the frames of the
 * batch beyond the port's ingress bucket, compacting the batch. */
void rate_police_batch(struct bridge_port *in, struct packet_batch *batch);

/* ---- shaper.c: egress shaping ------------------------------------------- */

/* One poll thread's frames waiting on a shaped port, oldest first. Only
 * that thread adds or takes (its packets are of its pool). */
struct shaper_queue {
	uint32_t head;
	uint32_t count;
	struct packet *ring[SHAPER_QUEUE_LEN];
};

struct rate_shaper {
	struct token_bucket average; /* egress-rate, depth egress-burst */
	struct token_bucket peak;    /* egress-peak (rate 0: not used) */
	uint16_t n_queues;	     /* the switch's poll threads */
	struct shaper_queue queues[];
};

/* The running state of a port's limits (struct bridge_port.rate). The
 * ingress buckets are written only by the port's poll thread; the shaper's
 * buckets under the port's tx_lock, like send(). */
struct port_rate_state {
	bool police;			/* ingress bucket in use */
	bool storm;			/* some storm bucket in use */
	struct rate_shaper *shaper;	/* NULL when the port is not shaped */
	struct port_rate_config config; /* what the buckets were built from */
	struct token_bucket ingress;
	struct token_bucket storm_buckets[STORM_CLASSES];
};

/* Stage 11, under the port's tx_lock: of the frames about to be sent
 * (`out`, the calling thread's), keeps in `out` those the shaper lets go now
 * (after any it held before them) and holds the rest. */
void shaper_admit(struct bridge_port *port, struct packet_batch *out);
/* Sends what the calling thread's queues on the switch's shaped ports may
 * send now. Returns frames sent, or 1 if none could go but some wait, so
 * that the poll loop does not sleep on them. */
uint32_t shaper_drain(struct vswitch *sw, uint16_t thread);
/* Frames the shaper holds, all threads (while paused). */
uint32_t shaper_held(const struct rate_shaper *shaper);
/* Drops every frame held (counted shaper-full); while paused. */
void shaper_drop_held(struct bridge_port *port);

/* ---- storm_control.c: floods per class ---------------------------------- */

/* The class of a frame that floods (broadcast, multicast, unknown unicast). */
static inline enum storm_class storm_class_of(const uint8_t *dst)
{
	if (!(dst[0] & 1))
		return STORM_UNKNOWN_UNICAST;
	static const uint8_t all[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	return memcmp(dst, all, 6) ? STORM_MULTICAST : STORM_BROADCAST;
}
/* Stage 9: marks dropped (storm-broadcast, storm-multicast,
 * storm-unknown-unicast) the flooding frames of the batch beyond their
 * class's packet rate on the ingress port. */
void storm_control_batch(struct bridge_port *in, struct packet_batch *batch);
/* The depth of a class's bucket: 100 ms of its rate, at least one packet
 * (docs/rate-limits.md says why). */
uint64_t storm_depth(uint32_t pps);

#endif
