/* pipeline.c — runs the stages over one batch received on one port, in the
 * order of VPP's L2 graph: parse and VLAN ingress (frames that fail leave
 * the batch here, counted), learn, look up, then dispatch to per-port queues
 * or flood, and send. Each stage takes the whole batch; data flows one way. */
#include "engine.h"

/* A link-local frame (parse_frame said DROP_LINK_LOCAL) for a protocol of
 * the link registered on the switch: true when it took the frame. Only on
 * the drop path, so forwarded frames never pay for it. The protocol speaks
 * for the link, not a VLAN: VLAN ingress does not apply. */
static bool link_local_consume(struct vswitch *sw, struct bridge_port *in, struct packet *p)
{
	if (!sw->n_link_handlers || p->len < ETH_HEADER_LEN)
		return false;
	uint16_t type = load_be16(p->data + 12);
	if (type == ETH_TYPE_VLAN && p->len >= ETH_HEADER_LEN + VLAN_TAG_LEN)
		type = load_be16(p->data + 16);
	const struct switch_link_handler *lh = switch_link_handler(sw, type);
	if (!lh || !lh->receive(lh->ctx, in, p))
		return false;
	in->counters.consumed++;
	return true;
}

/* Link-local frames (parse_frame said DROP_LINK_LOCAL) on a switch with a
 * link protocol: each is taken by its protocol, else counted and freed as
 * any refused frame. */
__attribute__((noinline, cold)) static void
link_local_batch(struct vswitch *sw, struct bridge_port *in, struct packet **frames, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (!link_local_consume(sw, in, frames[i])) {
			port_count_drop(in, DROP_LINK_LOCAL, 1);
			packet_free(frames[i]);
		}
	}
}

/* Parse + VLAN ingress; compacts the batch to the frames that pass and
 * computes the MAC-table hashes that learning and lookup will use. */
static void ingress_batch(struct vswitch *sw, struct bridge_port *in, struct packet_batch *batch)
{
	const uint16_t mtu = sw->config.mtu;
	uint64_t bytes = 0;
	uint32_t kept = 0;
	/* Link-local frames a link protocol may take, handed over after the
	 * loop: no call in it, so it compiles as it did without them. */
	struct packet *link_local[BATCH_SIZE];
	uint32_t n_link_local = 0;
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		struct frame_header h;
		bytes += p->len;
		/* A GSO super-frame is cut to the MTU at egress, not refused here. */
		bool gso = (p->flags & PACKET_F_OFFLOAD) && p->offload.gso_type;
		enum drop_reason why = parse_frame(p->data, p->len, p->flags & PACKET_F_META_VLAN,
						   p->meta_tci, gso ? UINT16_MAX : mtu, &h);
		if (LIKELY(why == DROP_NONE))
			why = vlan_ingress(sw, in, &h, &p->vid);
		if (UNLIKELY(why != DROP_NONE)) {
			if (why == DROP_LINK_LOCAL && sw->n_link_handlers) {
				link_local[n_link_local++] = p;
				continue;
			}
			port_count_drop(in, why, 1);
			packet_free(p);
			continue;
		}
		/* The tag's VID now lives in p->vid; only its place in the
		 * buffer matters from here on. */
		p->flags = (uint16_t)((p->flags & PACKET_F_OFFLOAD) |
				      (h.inline_tag ? PACKET_F_INLINE_TAG : 0));
		p->pcp = h.tagged ? h.tci >> 12 : 0;
		p->drop = DROP_NONE;
		p->src_hash = hash_u64(fdb_key(p->vid, p->data + 6));
		p->dst_hash = mac_is_group(p->data) ? 0 : hash_u64(fdb_key(p->vid, p->data));
		batch->packets[kept++] = p;
	}
	in->counters.rx_packets += batch->count;
	in->counters.rx_bytes += bytes;
	batch->count = kept;
	if (UNLIKELY(n_link_local))
		link_local_batch(sw, in, link_local, n_link_local);
}

/* Frames for a protocol registered on the switch (an SEA's heartbeats:
 * relayed, they would reach other SEA pairs) leave the batch to it, counted
 * as consumed; a switch without one forwards them like any frame. A pass of
 * its own, so that the ingress loop of a switch without handlers does not
 * pay for the test. */
static void consume_batch(struct vswitch *sw, struct bridge_port *in, struct packet_batch *batch)
{
	uint32_t kept = 0;
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		uint16_t type = load_be16(p->data + (p->flags & PACKET_F_INLINE_TAG ? 16 : 12));
		const struct switch_frame_handler *fh = switch_frame_handler(sw, type);
		if (fh) {
			in->counters.consumed++;
			fh->receive(fh->ctx, in, p);
			continue;
		}
		batch->packets[kept++] = p;
	}
	batch->count = kept;
}

static void dispatch_batch(struct vswitch *sw, struct bridge_port *in, struct packet_batch *batch)
{
	struct engine_thread *self = engine_self;
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		if (UNLIKELY(p->drop)) {
			port_count_drop(in, p->drop, 1);
			packet_free(p);
		} else if (p->out_port == FORWARD_FLOOD) {
			flood_packet(self, sw, in, p);
		} else {
			egress_enqueue_on(self, sw->ports[p->out_port], p);
		}
	}
	batch->count = 0;
}

void pipeline_run(struct vswitch *sw, struct bridge_port *in, struct packet_batch *batch)
{
	if (UNLIKELY(in->mirror.flags))
		mirror_rx_batch(sw, in, batch);
	ingress_batch(sw, in, batch);
	if (UNLIKELY(sw->n_handlers))
		consume_batch(sw, in, batch);
	if (UNLIKELY(in->config.security.enabled))
		port_security_ingress(in, batch);
	if (UNLIKELY(in->rate.police))
		rate_police_batch(in, batch);
	if (UNLIKELY(in->acl))
		acl_from_vm_batch(sw, in, batch);
	learn_batch(sw, in, batch);
	forward_batch(sw, in, batch);
	if (UNLIKELY(in->rate.storm))
		storm_control_batch(in, batch);
	if (UNLIKELY(sw->ipfix))
		ipfix_switch_batch(sw, in, batch);
	if (UNLIKELY(sw->mcast))
		mcast_snoop_batch(sw, in, batch);
	dispatch_batch(sw, in, batch);
	egress_flush(sw);
}

/* One receive and its batch through the pipeline; frames received. */
static uint32_t poll_port(struct vswitch *sw, struct bridge_port *port, struct packet_pool *pool)
{
	struct packet_batch batch;
	batch.count = 0;
	int n = port->dev->class->recv(port->dev, pool, &batch);
	if (UNLIKELY(port->dev->events))
		switch_port_events(sw, port);
	if (n > 0) {
		uint32_t count = batch.count;
		pipeline_run(sw, port, &batch);
		return count;
	}
	packet_batch_free(&batch);
	return 0;
}

uint32_t switch_poll(struct vswitch *sw)
{
	uint32_t total = 0;
	for (uint16_t i = 0; i < sw->n_ports; i++) {
		struct bridge_port *port = sw->ports[i];
		if (port && port->dev->class->recv)
			total += poll_port(sw, port, sw->pool);
	}
	if (UNLIKELY(sw->n_shaped))
		total += shaper_drain(sw, 0);
	return total;
}

uint32_t switch_poll_thread(struct vswitch *sw, uint16_t thread, struct packet_pool *pool)
{
	uint32_t total = 0;
	for (uint16_t i = 0; i < sw->n_ports; i++) {
		struct bridge_port *port = sw->ports[i];
		if (port && port->poll_thread == thread && port->dev->class->recv)
			total += poll_port(sw, port, pool);
	}
	if (UNLIKELY(sw->n_shaped))
		total += shaper_drain(sw, thread);
	return total;
}
