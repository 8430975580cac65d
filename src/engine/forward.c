/* forward.c — the lookup (DESIGN §3 rules 3 and 5) as one pure decision per
 * frame, in the manner of netmap VALE's learning lookup: known unicast goes
 * to its port if that port is a member of the VID; broadcast and multicast
 * flood; unknown unicast goes to the VID's active uplink in authoritative
 * mode and floods otherwise. Never back out of the ingress port (unless
 * hairpin), never uplink to uplink, and the port modes (VEPA, private,
 * passthrough) restrict who may talk to whom. */
#include "engine.h"

static uint16_t to_uplink(const struct vswitch *sw, const struct bridge_port *in, uint16_t vid,
			  enum drop_reason *why)
{
	uint16_t uplink = sw->active_uplink[vid];
	if (in->config.uplink || uplink == PORT_INDEX_NONE) {
		*why = DROP_NO_ROUTE;
		return FORWARD_DROP;
	}
	return uplink;
}

/* Passthrough: the owner and the uplink talk only to each other. */
static uint16_t decide_passthrough(const struct vswitch *sw, const struct bridge_port *in,
				   uint16_t vid, enum drop_reason *why)
{
	if (in->index == sw->passthrough_port)
		return to_uplink(sw, in, vid, why);
	const struct bridge_port *owner = sw->ports[sw->passthrough_port];
	if (owner->up && bitset_test(owner->vlans, vid))
		return owner->index;
	*why = DROP_NO_ROUTE;
	return FORWARD_DROP;
}

uint16_t forward_decide(const struct vswitch *sw, const struct bridge_port *in, uint16_t vid,
			const uint8_t *dst, const struct fdb_entry *known, enum drop_reason *why)
{
	const bool passthrough = sw->passthrough_port != PORT_INDEX_NONE;
	if (UNLIKELY(passthrough) && (in->config.uplink || in->index == sw->passthrough_port))
		return decide_passthrough(sw, in, vid, why);
	if (mac_is_group(dst))
		return FORWARD_FLOOD;
	if (UNLIKELY(in->config.mode == PORT_MODE_VEPA))
		return to_uplink(sw, in, vid, why);
	if (!known)
		return sw->config.mode == SWITCH_MODE_AUTHORITATIVE ? to_uplink(sw, in, vid, why)
								    : FORWARD_FLOOD;

	uint16_t out = known->port;
	const struct bridge_port *port = sw->ports[out];
	if (out == in->index && !in->config.hairpin) {
		*why = DROP_SAME_PORT;
		return FORWARD_DROP;
	}
	if (!port->up || !bitset_test(port->vlans, vid)) {
		*why = DROP_NO_ROUTE;
		return FORWARD_DROP;
	}
	if (port->config.uplink) {
		if (in->config.uplink && out != in->index) {
			*why = DROP_UPLINK_LOOP;
			return FORWARD_DROP;
		}
		/* Learned behind an uplink that no longer carries the VID: the
		 * outside is now reached through the active one. */
		if (UNLIKELY(passthrough))
			goto isolated;
		return sw->active_uplink[vid] == out ? out : to_uplink(sw, in, vid, why);
	}
	if (!in->config.uplink &&
	    (bitset_test(sw->isolated, in->index) || bitset_test(sw->isolated, out)))
		goto isolated;
	return out;
isolated:
	*why = DROP_PORT_ISOLATION;
	return FORWARD_DROP;
}

void forward_batch(struct vswitch *sw, struct bridge_port *in, struct packet_batch *batch)
{
	struct fdb *fdb = sw->fdb;
	const bool threads = sw->n_threads > 1; /* learning elsewhere may change an entry */
	for (uint32_t i = 0; i < batch->count && i < FDB_PREFETCH_AHEAD; i++)
		fdb_prefetch(fdb, batch->packets[i]->dst_hash);
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		if (i + FDB_PREFETCH_AHEAD < batch->count)
			fdb_prefetch(fdb, batch->packets[i + FDB_PREFETCH_AHEAD]->dst_hash);
		if (p->drop)
			continue;
		const struct fdb_entry *known = NULL;
		struct fdb_entry copy;
		if (!mac_is_group(p->data)) {
			uint64_t key = fdb_key(p->vid, p->data);
			known = fdb_find(fdb, key, p->dst_hash);
			if (UNLIKELY(threads) && known)
				known = fdb_confirm(known, key, &copy);
		}
		enum drop_reason why = DROP_NONE;
		p->out_port = forward_decide(sw, in, p->vid, p->data, known, &why);
		p->drop = (uint8_t)why;
	}
}
