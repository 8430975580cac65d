/* egress.c — the last stage: frames are queued per egress port during the
 * batch, then each queue is given its 802.1Q form (vlan_egress) and handed
 * to the port's provider in one send() call — one call per port per batch,
 * not per frame. A GSO super-frame or a partial checksum bound for a port
 * that cannot take the offload metadata is segmented and checksummed here,
 * in software, as a NIC would.
 *
 * With several poll threads each queues on its own queue of the port
 * (port_txq) and keeps its own list of ports to flush, so queueing needs no
 * lock; send() is serialised per port by a spinlock taken once per flushed
 * queue, never per packet, and not at all with one thread. */
#include <errno.h>

#include "engine.h"
#include "lib/gso.h"
#include "lib/spinlock.h"

void egress_transmit(struct bridge_port *port, struct packet_batch *out)
{
	if (UNLIKELY(port->mirror.flags & MIRROR_PORT_TX) && out->count)
		mirror_tx_batch(port, out);
	if (out->count)
		port->dev->class->send(port->dev, out);
	out->count = 0;
}

static void flush(struct bridge_port *port, struct packet_batch *out)
{
	/* A shaper keeps what has no credit yet and gives back what may leave;
	 * a mirror copies frames when they leave, not when they queue. */
	if (UNLIKELY(port->rate.shaper))
		shaper_admit(port, out);
	egress_transmit(port, out);
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
		port_count_tx_drop(port, error == -ENOBUFS ? DROP_NO_BUFFER : DROP_OFFLOAD_ERROR,
				   1);
		packet_free(p); /* on error the packet stays ours */
	}
}

static void send_queue(struct bridge_port *port, struct packet_batch *q)
{
	const bool threads = port->sw->n_threads > 1;
	if (UNLIKELY(threads))
		spin_lock(&port->tx_lock);
	if (UNLIKELY(port->config.security.enabled))
		port_security_egress(port, q);
	if (UNLIKELY(port->acl))
		acl_to_vm_queue(port, q);
	struct packet_batch out;
	out.count = 0;
	for (uint32_t i = 0; i < q->count; i++) {
		struct packet *p = q->packets[i];
		if (UNLIKELY(!vlan_egress(p, port))) {
			port_count_tx_drop(port, DROP_TX_ERROR, 1);
			packet_free(p);
			continue;
		}
		if (UNLIKELY((p->flags & PACKET_F_OFFLOAD) &&
			     !(port->dev->features & PORT_F_OFFLOAD))) {
			segment(port, p, &out);
			continue;
		}
		out.packets[out.count++] = p;
	}
	q->count = 0;
	flush(port, &out);
	if (UNLIKELY(threads))
		spin_unlock(&port->tx_lock);
}

void egress_enqueue(struct vswitch *sw, struct bridge_port *out, struct packet *packet)
{
	(void)sw;
	egress_enqueue_on(engine_self, out, packet);
}

/* The calling thread's queue on `port`, without a multiplication per frame. */
static inline struct port_txq *own_txq(const struct engine_thread *self, struct bridge_port *port)
{
	return (struct port_txq *)((char *)port->txq + self->txq_offset);
}

void egress_enqueue_on(struct engine_thread *self, struct bridge_port *out, struct packet *packet)
{
	struct port_txq *q = own_txq(self, out);
	if (!q->pending) {
		q->pending = true;
		self->pending[self->n_pending++] = out;
	}
	packet_batch_add(&q->batch, packet);
	if (packet_batch_full(&q->batch))
		send_queue(out, &q->batch);
}

void egress_flush(struct vswitch *sw)
{
	(void)sw;
	struct engine_thread *self = engine_self;
	for (uint16_t i = 0; i < self->n_pending; i++) {
		struct bridge_port *port = self->pending[i];
		struct port_txq *q = own_txq(self, port);
		q->pending = false;
		if (q->batch.count)
			send_queue(port, &q->batch);
	}
	self->n_pending = 0;
}
