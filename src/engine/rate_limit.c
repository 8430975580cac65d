/* rate_limit.c — the token bucket every rate limit uses, ingress policing
 * (stage 5 of the pipeline: frames beyond the port's bucket are dropped and
 * counted "policed"), and bringing a port's buckets in line with its
 * settings. Integer arithmetic only: credit is kept in unit-nanoseconds, so
 * a refill is elapsed_ns × rate exactly, at 1 kbit/s as at 400 Gbit/s. The
 * clock is read once per batch, never per frame. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine.h"

static uint64_t monotonic_ns(void)
{
	return time_now_ns();
}

uint64_t (*rate_limit_clock)(void) = monotonic_ns;

/* Why the products stay below 2^63: elapsed is capped at fill_ns, so one
 * refill adds at most depth + debt + rate; depth ≤ 256 MiB × 8 × 10^9 ≈
 * 2.1e18, the debt at most one frame (RATE_MAX_FRAME × 8 × 10^9 ≈ 1e15) and
 * the rate at most 4e11. */
void token_bucket_init(struct token_bucket *b, uint64_t rate, uint64_t depth, uint64_t now_ns)
{
	const uint64_t max_debt = RATE_MAX_FRAME * 8 * RATE_NS;
	b->rate = rate;
	b->depth = (int64_t)(depth * RATE_NS);
	b->tokens = b->depth;
	b->fill_ns = ((uint64_t)b->depth + max_debt) / rate + 1;
	b->last_ns = now_ns;
}

int64_t token_bucket_units(const struct token_bucket *b)
{
	return b->tokens / (int64_t)RATE_NS;
}

uint64_t rate_default_burst(uint64_t rate_bps)
{
	uint64_t burst = rate_bps / 8 / 10; /* 100 ms */
	if (burst < 64 * 1024)
		burst = 64 * 1024;
	return burst < RATE_MAX_BURST ? burst : RATE_MAX_BURST;
}

/* A byte-rate bucket: rate in bit/s, burst in bytes (0 = the default). */
static void bucket_for_bytes(struct token_bucket *b, uint64_t rate, uint64_t burst, uint64_t now)
{
	token_bucket_init(b, rate, (burst ? burst : rate_default_burst(rate)) * 8, now);
}

static int check_rate(const char *name, const char *key, uint64_t rate, char *err, size_t err_size)
{
	if (rate && (rate < RATE_MIN_BPS || rate > RATE_MAX_BPS)) {
		snprintf(err, err_size, "port %s: %s %llu bit/s out of range 1k-400G", name, key,
			 (unsigned long long)rate);
		return -EINVAL;
	}
	return 0;
}

static int check_needs_rate(const char *name, const char *key, uint64_t value, uint64_t rate,
			    const char *rate_key, char *err, size_t err_size)
{
	if (value && !rate) {
		snprintf(err, err_size, "port %s: %s needs %s", name, key, rate_key);
		return -EINVAL;
	}
	return 0;
}

int rate_limit_validate(const char *name, const struct port_rate_config *c, char *err,
			size_t err_size)
{
	if (check_rate(name, "ingress-rate", c->ingress_rate, err, err_size) ||
	    check_rate(name, "egress-rate", c->egress_rate, err, err_size) ||
	    check_rate(name, "egress-peak", c->egress_peak, err, err_size) ||
	    check_needs_rate(name, "ingress-burst", c->ingress_burst, c->ingress_rate,
			     "ingress-rate", err, err_size) ||
	    check_needs_rate(name, "egress-burst", c->egress_burst, c->egress_rate, "egress-rate",
			     err, err_size) ||
	    check_needs_rate(name, "egress-peak", c->egress_peak, c->egress_rate, "egress-rate",
			     err, err_size))
		return -EINVAL;
	if (c->ingress_burst > RATE_MAX_BURST || c->egress_burst > RATE_MAX_BURST) {
		snprintf(err, err_size, "port %s: a burst may be at most 256M bytes", name);
		return -EINVAL;
	}
	if (c->egress_peak && c->egress_peak < c->egress_rate) {
		snprintf(err, err_size, "port %s: egress-peak must be at least egress-rate", name);
		return -EINVAL;
	}
	for (int k = 0; k < STORM_CLASSES; k++)
		if (c->storm_pps[k] > RATE_MAX_PPS) {
			snprintf(err, err_size, "port %s: storm control above %u packets/s", name,
				 RATE_MAX_PPS);
			return -EINVAL;
		}
	return 0;
}

bool rate_config_equal(const struct port_rate_config *a, const struct port_rate_config *b)
{
	for (int k = 0; k < STORM_CLASSES; k++)
		if (a->storm_pps[k] != b->storm_pps[k])
			return false;
	return a->ingress_rate == b->ingress_rate && a->ingress_burst == b->ingress_burst &&
	       a->egress_rate == b->egress_rate && a->egress_peak == b->egress_peak &&
	       a->egress_burst == b->egress_burst;
}

static bool egress_equal(const struct port_rate_config *a, const struct port_rate_config *b)
{
	return a->egress_rate == b->egress_rate && a->egress_peak == b->egress_peak &&
	       a->egress_burst == b->egress_burst;
}

/* The peak bucket holds 1 ms of the peak rate, at least two full frames:
 * enough that a poll pass sends more than one frame, little enough that
 * the burst really leaves at the peak rate. */
static void shaper_reset(struct rate_shaper *s, const struct port_rate_config *c, uint64_t now)
{
	bucket_for_bytes(&s->average, c->egress_rate, c->egress_burst, now);
	memset(&s->peak, 0, sizeof(s->peak));
	if (c->egress_peak) {
		uint64_t depth = c->egress_peak / 8 / 1000;
		token_bucket_init(&s->peak, c->egress_peak, (depth > 3028 ? depth : 3028) * 8, now);
	}
}

static void configure_egress(struct vswitch *sw, struct bridge_port *port,
			     const struct port_rate_config *c, struct rate_shaper *fresh,
			     uint64_t now)
{
	struct port_rate_state *r = &port->rate;
	if (!c->egress_rate) {
		rate_limit_release(port);
		return;
	}
	if (fresh) {
		r->shaper = fresh;
		sw->n_shaped++;
	}
	shaper_reset(r->shaper, c, now);
}

int rate_limit_configure(struct vswitch *sw, struct bridge_port *port,
			 const struct port_rate_config *c, char *err, size_t err_size)
{
	struct port_rate_state *r = &port->rate;
	struct rate_shaper *fresh = NULL;
	if (c->egress_rate && !r->shaper) {
		fresh = calloc(1, sizeof(*fresh) + sw->n_threads * sizeof(fresh->queues[0]));
		if (!fresh) {
			snprintf(err, err_size, "port %s: out of memory for egress shaping",
				 port->name);
			return -ENOMEM;
		}
		fresh->n_queues = sw->n_threads;
	}
	const uint64_t now = rate_limit_clock();
	if (c->ingress_rate != r->config.ingress_rate ||
	    c->ingress_burst != r->config.ingress_burst) {
		r->police = c->ingress_rate != 0;
		if (r->police)
			bucket_for_bytes(&r->ingress, c->ingress_rate, c->ingress_burst, now);
	}
	r->storm = false;
	for (int k = 0; k < STORM_CLASSES; k++) {
		uint32_t pps = c->storm_pps[k];
		if (pps && pps != r->config.storm_pps[k])
			token_bucket_init(&r->storm_buckets[k], pps, storm_depth(pps), now);
		r->storm |= pps != 0;
	}
	if (fresh || !egress_equal(c, &r->config))
		configure_egress(sw, port, c, fresh, now);
	r->config = *c;
	return 0;
}

void rate_limit_release(struct bridge_port *port)
{
	struct port_rate_state *r = &port->rate;
	if (!r->shaper)
		return;
	shaper_drop_held(port);
	free(r->shaper);
	r->shaper = NULL;
	port->sw->n_shaped--;
}

void rate_police_batch(struct bridge_port *in, struct packet_batch *batch)
{
	struct token_bucket *b = &in->rate.ingress;
	token_bucket_refill(b, rate_limit_clock());
	uint32_t kept = 0;
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		if (LIKELY(token_bucket_take(b, rate_frame_cost(p)))) {
			batch->packets[kept++] = p;
			continue;
		}
		packet_free(p);
	}
	if (kept != batch->count)
		port_count_drop(in, DROP_POLICED, batch->count - kept);
	batch->count = kept;
}
