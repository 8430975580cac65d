/* egress.c — the last stage: frames are queued per egress port during the
 * batch, then each queue is given its 802.1Q form (vlan_egress) and handed
 * to the port's provider in one send() call — one call per port per batch,
 * not per frame. A GSO super-frame or a partial checksum bound for a port
 * that cannot take the offload metadata is segmented and checksummed here,
 * in software, as a NIC would. */
#include <errno.h>

#include "engine.h"
#include "lib/gso.h"

static void flush(struct bridge_port *port, struct packet_batch *out)
{
	if (out->count)
		port->dev->class->send(port->dev, out);
	out->count = 0;
}

/* Cuts p into segments on `out`, sending `out` first if they do not fit. */
static void segment(struct bridge_port *port, struct packet *p, struct packet_batch *out)
{
	int error = packet_gso_segment(p, out);
	if (error == -ENOSPC) {
		flush(port, out);
		error = packet_gso_segment(p, out);
	}
	if (error) {
		port_count_drop(port, error == -ENOBUFS ? DROP_NO_BUFFER : DROP_OFFLOAD_ERROR, 1);
		packet_free(p); /* on error the packet stays ours */
	}
}

static void send_queue(struct bridge_port *port)
{
	struct packet_batch *q = &port->txq;
	struct packet_batch out;
	out.count = 0;
	for (uint32_t i = 0; i < q->count; i++) {
		struct packet *p = q->packets[i];
		if (UNLIKELY(!vlan_egress(p, port))) {
			port_count_drop(port, DROP_TX_ERROR, 1);
			packet_free(p);
			continue;
		}
		if (UNLIKELY((p->flags & PACKET_F_OFFLOAD) && !(port->dev->features & PORT_F_OFFLOAD))) {
			segment(port, p, &out);
			continue;
		}
		out.packets[out.count++] = p;
	}
	q->count = 0;
	flush(port, &out);
}

void egress_enqueue(struct vswitch *sw, struct bridge_port *out, struct packet *packet)
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
		struct bridge_port *port = sw->ports[sw->pending[i]];
		port->tx_pending = false;
		if (port->txq.count)
			send_queue(port);
	}
	sw->n_pending = 0;
}
