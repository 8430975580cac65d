/* learn.c — source learning (DESIGN §3 rule 2): the (VID, source MAC) of
 * every frame is bound to its ingress port and refreshed, unless learning is
 * off on the port. A MAC seen on another port moves there (a VM migrated or
 * a link failed over) — but a static entry never moves, and a port never
 * learns past its MAC limit: those frames are dropped and counted. The batch
 * arrives hashed by the ingress stage; table lines are prefetched a few
 * frames ahead.
 *
 * A full table gives way fairly (learn_into_full_table), and a port at its
 * limit is refused before the lock: a port flooding random sources (DESIGN
 * §5, docs/engine.md "MAC floods") costs the others neither their entries
 * nor the table's lock.
 *
 * With several poll threads the usual case, a MAC seen again on its port,
 * is a lock-free lookup and at most one relaxed store of the second it was
 * seen; anything else (a new MAC, a move, a limit) is decided again under
 * the table's lock, so two threads never insert one MAC twice, the last
 * thread to see a MAC moves it last, and the per-port counts behind the MAC
 * limit stay exact. */
#include "engine.h"

/* A VEPA port's frames come back through the uplink when the external
 * switch reflects them; that must not steal the MAC from the VEPA port. */
static bool is_vepa_reflection(const struct vswitch *sw, const struct bridge_port *in,
			       const struct fdb_entry *e)
{
	const struct bridge_port *owner = sw->ports[e->port];
	return in->config.uplink && owner && owner->config.mode == PORT_MODE_VEPA;
}

/* The port's learned MACs have reached its limit. Only this port's thread
 * adds to its count (others may take from it: a move away), so a reading
 * without the lock is never too low. */
static inline bool at_mac_limit(const struct fdb *fdb, const struct bridge_port *in)
{
	uint32_t learned = __atomic_load_n(&fdb->port_dynamic[in->index], __ATOMIC_RELAXED);
	return in->config.mac_limit && learned >= in->config.mac_limit;
}

/* The table is full. Refusing new MACs would let one port that filled it
 * (a flood of random sources) lock every other port's new MACs out until
 * its entries age; evicting any entry would let it push out the others'.
 * As Open vSwitch does, the port with the most learned entries gives one
 * up: under a flood the flooding port itself, so it churns only its own,
 * and a new MAC of any other port is still learned. A port never takes an
 * entry from one with fewer than its own (on a tie, its own goes), and a
 * static entry is never evicted. */
static void learn_into_full_table(struct vswitch *sw, struct bridge_port *in, uint64_t key,
				  uint64_t hash)
{
	struct fdb *fdb = sw->fdb;
	uint16_t victim = in->index;
	for (uint16_t i = 0; i < sw->n_ports; i++)
		if (fdb->port_dynamic[i] > fdb->port_dynamic[victim])
			victim = i;
	if (fdb_evict_port(fdb, victim, hash))
		fdb_insert(fdb, key, hash, in->index, 0, sw->now);
}

/* The rules for a frame whose MAC is not known on its port yet; under the
 * table's lock when several threads learn. */
static void learn_one(struct vswitch *sw, struct bridge_port *in, struct packet *p, uint64_t key)
{
	struct fdb *fdb = sw->fdb;
	const uint16_t here = in->index;
	struct fdb_entry *e = fdb_find(fdb, key, p->src_hash);
	if (e && e->port == here) {
		__atomic_store_n(&e->last_seen, sw->now, __ATOMIC_RELAXED);
		return;
	}
	if (e && (e->flags & FDB_F_STATIC)) {
		p->drop = DROP_STATIC_CONFLICT;
		return;
	}
	if (e && is_vepa_reflection(sw, in, e))
		return;
	if (at_mac_limit(fdb, in)) {
		p->drop = DROP_MAC_LIMIT;
		return;
	}
	if (e) {
		fdb_move(fdb, e, here);
		__atomic_store_n(&e->last_seen, sw->now, __ATOMIC_RELAXED);
		in->counters.mac_moves++;
	} else if (!fdb_insert(fdb, key, p->src_hash, here, 0, sw->now)) {
		sw->fdb_full++;
		learn_into_full_table(sw, in, key, p->src_hash);
	}
}

void learn_batch(struct vswitch *sw, struct bridge_port *in, struct packet_batch *batch)
{
	if (!in->config.learning)
		return;
	struct fdb *fdb = sw->fdb;
	const uint32_t now = sw->now;
	const uint16_t here = in->index;
	const bool threads = sw->n_threads > 1;

	for (uint32_t i = 0; i < batch->count && i < FDB_PREFETCH_AHEAD; i++)
		fdb_prefetch(fdb, batch->packets[i]->src_hash);
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		if (i + FDB_PREFETCH_AHEAD < batch->count)
			fdb_prefetch(fdb, batch->packets[i + FDB_PREFETCH_AHEAD]->src_hash);
		uint64_t key = fdb_key(p->vid, p->data + 6);
		struct fdb_entry *e = fdb_find(fdb, key, p->src_hash);
		if (LIKELY(e && __atomic_load_n(&e->port, __ATOMIC_RELAXED) == here)) {
			/* keep the cache line clean */
			if (__atomic_load_n(&e->last_seen, __ATOMIC_RELAXED) != now)
				__atomic_store_n(&e->last_seen, now, __ATOMIC_RELAXED);
			continue;
		}
		if (!e && at_mac_limit(fdb, in)) {
			p->drop = DROP_MAC_LIMIT; /* a flood of new sources: no lock */
			continue;
		}
		if (LIKELY(!threads)) {
			learn_one(sw, in, p, key);
			continue;
		}
		spin_lock(&fdb->lock);
		learn_one(sw, in, p, key);
		spin_unlock(&fdb->lock);
	}
}
