/* storm_control.c — storm control (stage 9, after the lookup, so that an
 * unknown unicast is known as such): frames received on a port that would
 * flood — broadcast, multicast, unknown unicast — each pass through their
 * class's packet-rate bucket of that port; the excess is dropped and counted
 * per class (storm-broadcast, storm-multicast, storm-unknown-unicast). A
 * frame for a known port never counts. Written only by the port's poll
 * thread. */
#include "engine.h"

static const enum drop_reason storm_drop[STORM_CLASSES] = {
    [STORM_BROADCAST] = DROP_STORM_BROADCAST,
    [STORM_MULTICAST] = DROP_STORM_MULTICAST,
    [STORM_UNKNOWN_UNICAST] = DROP_STORM_UNKNOWN_UNICAST,
};

uint64_t storm_depth(uint32_t pps)
{
	return pps >= 10 ? pps / 10 : 1;
}

void storm_control_batch(struct bridge_port *in, struct packet_batch *batch)
{
	struct port_rate_state *r = &in->rate;
	const uint64_t now = rate_limit_clock();
	for (int k = 0; k < STORM_CLASSES; k++)
		if (r->config.storm_pps[k])
			token_bucket_refill(&r->storm_buckets[k], now);
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		if (p->drop || p->out_port != FORWARD_FLOOD)
			continue;
		enum storm_class k = storm_class_of(p->data);
		if (r->config.storm_pps[k] && !token_bucket_take(&r->storm_buckets[k], RATE_NS))
			p->drop = (uint8_t)storm_drop[k];
	}
}
