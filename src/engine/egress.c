/* egress.c — the last stage: frames are queued per egress port during the
 * batch, then each queue is given its 802.1Q form (vlan_egress) and handed
 * to the port's provider in one send() call — one call per port per batch,
 * not per frame. */
#include "engine.h"

static void send_queue(struct port *port)
{
	struct packet_batch *q = &port->txq;
	uint32_t kept = 0;
	for (uint32_t i = 0; i < q->count; i++) {
		struct packet *p = q->packets[i];
		if (UNLIKELY(!vlan_egress(p, port))) {
			port_count_drop(port, DROP_TX_ERROR, 1);
			packet_free(p);
			continue;
		}
		q->packets[kept++] = p;
	}
	q->count = kept;
	if (kept)
		port->class->send(port, q);
	q->count = 0;
}

void egress_enqueue(struct vswitch *sw, struct port *out, struct packet *packet)
{
	if (!out->tx_pending) {
		out->tx_pending = true;
		sw->pending[sw->n_pending++] = out->index;
	}
	packet_batch_add(&out->txq, packet);
	if (packet_batch_full(&out->txq))
		send_queue(out);
}

void egress_flush(struct vswitch *sw)
{
	for (uint16_t i = 0; i < sw->n_pending; i++) {
		struct port *port = sw->ports[sw->pending[i]];
		port->tx_pending = false;
		if (port->txq.count)
			send_queue(port);
	}
	sw->n_pending = 0;
}
