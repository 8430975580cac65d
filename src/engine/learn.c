/* learn.c — source learning (DESIGN §3 rule 2): the (VID, source MAC) of
 * every frame is bound to its ingress port and refreshed, unless learning is
 * off on the port. A MAC seen on another port moves there (a VM migrated or
 * a link failed over) — but a static entry never moves, and a port never
 * learns past its MAC limit: those frames are dropped and counted. The batch
 * arrives hashed by the ingress stage; table lines are prefetched a few
 * frames ahead. */
#include "engine.h"

/* A VEPA port's frames come back through the uplink when the external
 * switch reflects them; that must not steal the MAC from the VEPA port. */
static bool is_vepa_reflection(const struct vswitch *sw, const struct bridge_port *in,
			       const struct fdb_entry *e)
{
	const struct bridge_port *owner = sw->ports[e->port];
	return in->config.uplink && owner && owner->config.mode == PORT_MODE_VEPA;
}

void learn_batch(struct vswitch *sw, struct bridge_port *in, struct packet_batch *batch)
{
	if (!in->config.learning)
		return;
	struct fdb *fdb = sw->fdb;
	const uint32_t now = sw->now;
	const uint32_t limit = in->config.mac_limit;
	const uint16_t here = in->index;

	for (uint32_t i = 0; i < batch->count && i < FDB_PREFETCH_AHEAD; i++)
		fdb_prefetch(fdb, batch->packets[i]->src_hash);
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		if (i + FDB_PREFETCH_AHEAD < batch->count)
			fdb_prefetch(fdb, batch->packets[i + FDB_PREFETCH_AHEAD]->src_hash);
		uint64_t key = fdb_key(p->vid, p->data + 6);
		struct fdb_entry *e = fdb_find(fdb, key, p->src_hash);
		if (LIKELY(e && e->port == here)) {
			if (e->last_seen != now) /* keep the cache line clean */
				e->last_seen = now;
			continue;
		}
		if (e && (e->flags & FDB_F_STATIC)) {
			p->drop = DROP_STATIC_CONFLICT;
			continue;
		}
		if (e && is_vepa_reflection(sw, in, e))
			continue;
		if (limit && fdb->port_dynamic[here] >= limit) {
			p->drop = DROP_MAC_LIMIT;
			continue;
		}
		if (e) {
			fdb_move(fdb, e, here);
			e->last_seen = now;
			in->counters.mac_moves++;
		} else if (!fdb_insert(fdb, key, p->src_hash, here, 0, now)) {
			sw->fdb_full++; /* still forwarded, flooded back if unknown */
		}
	}
}
