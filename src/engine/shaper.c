/* shaper.c — egress shaping (stage 11): a shaped port sends a frame only
 * when its average bucket (egress-rate, egress-burst) and, if set, its peak
 * bucket (egress-peak) both have the credit; a frame without it waits in a
 * bounded queue instead of being dropped, as VMware's egress traffic
 * shaping does, so TCP sees delay rather than loss and settles close to the
 * rate. The poll loop sends the waiting frames as credit accrues
 * (shaper_drain, once per pass while any wait).
 *
 * Threads: each poll thread has its own queue on the port and is the only
 * one to add to it or take from it, so every held packet stays with the
 * thread (and pool) that received it, as port.h requires; the buckets are
 * shared and changed only under the port's tx_lock, which send() already
 * takes once per batch. */
#include "engine.h"

/* Moves frames that may go now from the head of `q` to `out`. */
static void release(struct rate_shaper *s, struct shaper_queue *q, struct packet_batch *out)
{
	const bool peak = s->peak.rate != 0;
	while (q->count && out->count < BATCH_SIZE) {
		struct packet *p = q->ring[q->head];
		int64_t cost = rate_frame_cost(p);
		if (!token_bucket_conforms(&s->average, cost) ||
		    (peak && !token_bucket_conforms(&s->peak, cost)))
			break;
		s->average.tokens -= cost;
		if (peak)
			s->peak.tokens -= cost;
		out->packets[out->count++] = p;
		q->head = (q->head + 1) % SHAPER_QUEUE_LEN;
		q->count--;
	}
}

static void refill(struct rate_shaper *s, uint64_t now)
{
	token_bucket_refill(&s->average, now);
	if (s->peak.rate)
		token_bucket_refill(&s->peak, now);
}

void shaper_admit(struct bridge_port *port, struct packet_batch *out)
{
	struct rate_shaper *s = port->rate.shaper;
	struct shaper_queue *q = &s->queues[engine_self->id];
	uint32_t full = 0;
	/* Behind the frames already waiting, so the order holds. */
	for (uint32_t i = 0; i < out->count; i++) {
		if (UNLIKELY(q->count == SHAPER_QUEUE_LEN)) {
			packet_free(out->packets[i]);
			full++;
			continue;
		}
		q->ring[(q->head + q->count++) % SHAPER_QUEUE_LEN] = out->packets[i];
	}
	if (full)
		port_count_tx_drop(port, DROP_SHAPER_FULL, full);
	out->count = 0;
	refill(s, rate_limit_clock());
	release(s, q, out);
}

uint32_t shaper_drain(struct vswitch *sw, uint16_t thread)
{
	const bool threads = sw->n_threads > 1;
	uint64_t now = 0;
	uint32_t sent = 0, waiting = 0;
	for (uint16_t i = 0; i < sw->n_ports; i++) {
		struct bridge_port *port = sw->ports[i];
		if (!port || !port->rate.shaper || !port->rate.shaper->queues[thread].count)
			continue;
		struct rate_shaper *s = port->rate.shaper;
		struct shaper_queue *q = &s->queues[thread];
		if (!now)
			now = rate_limit_clock();
		struct packet_batch out;
		out.count = 0;
		if (UNLIKELY(threads))
			spin_lock(&port->tx_lock);
		refill(s, now);
		release(s, q, &out);
		sent += out.count; /* send() may empty the batch */
		egress_transmit(port, &out);
		if (UNLIKELY(threads))
			spin_unlock(&port->tx_lock);
		waiting += q->count;
	}
	return sent ? sent : waiting != 0;
}

uint32_t shaper_held(const struct rate_shaper *s)
{
	uint32_t n = 0;
	for (uint16_t t = 0; t < s->n_queues; t++)
		n += s->queues[t].count;
	return n;
}

void shaper_drop_held(struct bridge_port *port)
{
	struct rate_shaper *s = port->rate.shaper;
	uint32_t n = 0;
	for (uint16_t t = 0; t < s->n_queues; t++) {
		struct shaper_queue *q = &s->queues[t];
		for (; q->count; q->count--, n++) {
			packet_free_any(q->ring[q->head]);
			q->head = (q->head + 1) % SHAPER_QUEUE_LEN;
		}
	}
	port_count_tx_drop(port, DROP_SHAPER_FULL, n);
}
