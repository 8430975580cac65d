/* mirror.c — port mirroring (mirror.h, docs/mirrors.md). A mirror copies
 * the frames of its source ports: received ones at stage 1, as they arrived
 * (before parsing, so frames the switch then drops are mirrored too, as a
 * SPAN port sees the wire), transmitted ones at stage 11 as the port sends
 * them (after vlan_egress: the tag as on the wire). The copies go to an
 * output port, which takes no part in forwarding (as Open vSwitch's output
 * port), or into a ring that the control thread drains.
 *
 * Per batch, not per frame: a port's flags are tested once, a ring's lock
 * (several poll threads only) and the output port's tx_lock are taken once,
 * the counters are added once. The copies come from the packet pool; an
 * empty pool or a full ring loses the copy, never the frame, and counts it. */
#include "mirror.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "lib/gso.h"

/* ---- mirrors and their rings -------------------------------------------- */

struct mirror *mirror_create(const struct mirror_spec *spec, uint32_t ring_slots)
{
	struct mirror *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->spec = *spec;
	if (spec->sink == MIRROR_TO_PORT)
		return m;
	m->ring = calloc(1, sizeof(*m->ring));
	if (m->ring) {
		m->ring->n_slots = ring_slots;
		m->ring->slots = malloc((size_t)ring_slots * MIRROR_SLOT_SIZE);
	}
	if (!m->ring || !m->ring->slots || !ring_slots || (ring_slots & (ring_slots - 1))) {
		mirror_destroy(m);
		return NULL;
	}
	return m;
}

void mirror_destroy(struct mirror *m)
{
	if (!m)
		return;
	if (m->sink_free)
		m->sink_free(m->sink_ctx);
	if (m->ring)
		free(m->ring->slots);
	free(m->ring);
	free(m);
}

bool mirror_ring_pop(struct mirror_ring *ring, struct mirror_record *record, uint8_t *data)
{
	uint64_t tail = ring->tail;
	if (tail == __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE))
		return false;
	const uint8_t *slot = ring->slots + (tail & (ring->n_slots - 1)) * MIRROR_SLOT_SIZE;
	memcpy(record, slot, sizeof(*record));
	memcpy(data, slot + sizeof(*record), record->caplen);
	__atomic_store_n(&ring->tail, tail + 1, __ATOMIC_RELEASE);
	return true;
}

/* ---- the switch's table -------------------------------------------------- */

struct mirror *mirror_find(const struct vswitch *sw, const char *name)
{
	for (uint16_t i = 0; i < sw->mirrors.n; i++)
		if (!strcmp(sw->mirrors.list[i]->spec.name, name))
			return sw->mirrors.list[i];
	return NULL;
}

int mirror_add(struct vswitch *sw, struct mirror *m)
{
	if (mirror_find(sw, m->spec.name))
		return -EEXIST;
	if (sw->mirrors.n == SWITCH_MAX_MIRRORS)
		return -ENOSPC;
	sw->mirrors.list[sw->mirrors.n++] = m;
	mirror_bind(sw);
	return 0;
}

struct mirror *mirror_remove(struct vswitch *sw, const char *name)
{
	for (uint16_t i = 0; i < sw->mirrors.n; i++) {
		struct mirror *m = sw->mirrors.list[i];
		if (strcmp(m->spec.name, name))
			continue;
		memmove(&sw->mirrors.list[i], &sw->mirrors.list[i + 1],
			(size_t)(sw->mirrors.n - i - 1) * sizeof(m));
		sw->mirrors.n--;
		mirror_bind(sw);
		return m;
	}
	return NULL;
}

void mirror_clear(struct vswitch *sw)
{
	for (uint16_t i = 0; i < sw->mirrors.n; i++) {
		struct mirror *m = sw->mirrors.list[i];
		if (m->spec.sink == MIRROR_TO_CAPTURE)
			m->orphaned = true;
		else
			mirror_destroy(m);
	}
	sw->mirrors.n = 0;
}

static void bind_source(struct bridge_port *port, struct mirror *m)
{
	struct mirror_port *mp = &port->mirror;
	if (mp->n == MIRROR_PER_PORT)
		return; /* config_check_mirrors refuses more; a capture beyond is refused too */
	mp->list[mp->n++] = m;
	mp->flags |= (m->spec.direction & MIRROR_RX ? MIRROR_PORT_RX : 0) |
		     (m->spec.direction & MIRROR_TX ? MIRROR_PORT_TX : 0);
}

void mirror_bind(struct vswitch *sw)
{
	for (uint16_t i = 0; i < sw->n_ports; i++)
		if (sw->ports[i])
			memset(&sw->ports[i]->mirror, 0, sizeof(sw->ports[i]->mirror));
	for (uint16_t i = 0; i < sw->mirrors.n; i++) {
		struct mirror *m = sw->mirrors.list[i];
		m->output = NULL;
		if (m->spec.sink == MIRROR_TO_PORT) {
			m->output = switch_find_port(sw, m->spec.output);
			if (m->output)
				m->output->mirror.flags |= MIRROR_PORT_OUTPUT;
		}
		for (uint8_t s = 0; s < m->spec.n_sources; s++) {
			struct bridge_port *port = switch_find_port(sw, m->spec.sources[s]);
			if (port)
				bind_source(port, m);
		}
	}
	switch_update_vlans(sw);
}

void mirror_exclude_outputs(struct vswitch *sw)
{
	for (uint16_t i = 0; i < sw->mirrors.n; i++) {
		const struct bridge_port *out = sw->mirrors.list[i]->output;
		if (!out)
			continue;
		for (unsigned vid = 0; vid < VLAN_COUNT; vid++)
			bitset_clear(sw->flood_set[vid], out->index);
	}
}

/* ---- copying -------------------------------------------------------------- */

/* The VLAN of a frame as it arrived on `in`: its tag's, else the PVID. */
static uint16_t arrival_vid(const struct bridge_port *in, const struct packet *p)
{
	uint16_t tci = 0;
	if (p->flags & PACKET_F_META_VLAN)
		tci = p->meta_tci;
	else if (p->len >= ETH_HEADER_LEN + VLAN_TAG_LEN &&
		 load_be16(p->data + 12) == ETH_TYPE_VLAN)
		tci = load_be16(p->data + 14);
	return (tci & 0x0fff) ? (tci & 0x0fff) : in->config.pvid;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void count(struct mirror *m, uint64_t mirrored, uint64_t dropped)
{
	if (mirrored)
		__atomic_fetch_add(&m->mirrored, mirrored, __ATOMIC_RELAXED);
	if (dropped)
		__atomic_fetch_add(&m->dropped, dropped, __ATOMIC_RELAXED);
}

/* One frame into a slot: its bytes as on the wire, a tag the kernel left
 * in metadata put back after the MAC addresses. */
static void ring_write(uint8_t *slot, const struct packet *p, uint8_t direction, uint32_t port,
		       uint64_t now)
{
	struct mirror_record r = {
	    .time_ns = now, .len = p->len, .direction = direction, .port = port};
	uint8_t *data = slot + sizeof(r);
	if ((p->flags & PACKET_F_META_VLAN) && p->len >= 12) {
		r.len += VLAN_TAG_LEN;
		r.caplen = (uint16_t)(r.len < MIRROR_SNAPLEN ? r.len : MIRROR_SNAPLEN);
		memcpy(data, p->data, 12);
		store_be16(data + 12, ETH_TYPE_VLAN);
		store_be16(data + 14, p->meta_tci);
		memcpy(data + 16, p->data + 12, r.caplen - 16u);
	} else {
		r.caplen = (uint16_t)(r.len < MIRROR_SNAPLEN ? r.len : MIRROR_SNAPLEN);
		memcpy(data, p->data, r.caplen);
	}
	memcpy(slot, &r, sizeof(r));
}

static void to_ring(struct mirror *m, struct bridge_port *port, struct packet *const *packets,
		    const uint16_t *vids, uint32_t n, uint8_t direction)
{
	struct mirror_ring *ring = m->ring;
	const bool threads = port->sw->n_threads > 1;
	uint64_t now = realtime_ns(), copied = 0, lost = 0;
	if (UNLIKELY(threads))
		spin_lock(&ring->lock);
	uint64_t head = ring->head;
	const uint64_t tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < n; i++) {
		if (!mirror_selects(m, direction, vids[i]))
			continue;
		if (head - tail == ring->n_slots) {
			lost++;
			continue;
		}
		uint8_t *slot = ring->slots + (head & (ring->n_slots - 1)) * MIRROR_SLOT_SIZE;
		ring_write(slot, packets[i], direction, port->index, now);
		head++;
		copied++;
	}
	__atomic_store_n(&ring->head, head, __ATOMIC_RELEASE);
	if (UNLIKELY(threads))
		spin_unlock(&ring->lock);
	count(m, copied, lost);
}

/* Hands the copies to the output port, under its tx_lock when several
 * threads may send on it. */
static void send_copies(struct bridge_port *out, struct packet_batch *copies)
{
	if (!copies->count)
		return;
	const bool threads = out->sw->n_threads > 1;
	if (UNLIKELY(threads))
		spin_lock(&out->tx_lock);
	out->dev->class->send(out->dev, copies);
	if (UNLIKELY(threads))
		spin_unlock(&out->tx_lock);
	copies->count = 0;
}

/* A copy for the output port, in wire form; false when lost. */
static bool add_copy(struct bridge_port *out, const struct packet *p, struct packet_batch *copies)
{
	struct packet *c = packet_clone(p);
	if (!c)
		return false;
	if (!packet_inline_meta_vlan(c)) {
		packet_free(c);
		return false;
	}
	if ((c->flags & PACKET_F_OFFLOAD) && !(out->dev->features & PORT_F_OFFLOAD)) {
		int error = packet_gso_segment(c, copies);
		if (error == -ENOSPC) {
			send_copies(out, copies);
			error = packet_gso_segment(c, copies);
		}
		if (error)
			packet_free(c);
		return !error;
	}
	packet_batch_add(copies, c);
	if (packet_batch_full(copies))
		send_copies(out, copies);
	return true;
}

static void to_port(struct mirror *m, struct packet *const *packets, const uint16_t *vids,
		    uint32_t n, uint8_t direction)
{
	struct bridge_port *out = m->output;
	if (!out)
		return;
	struct packet_batch copies;
	copies.count = 0;
	uint64_t copied = 0, lost = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!mirror_selects(m, direction, vids[i]))
			continue;
		if (add_copy(out, packets[i], &copies))
			copied++;
		else
			lost++;
	}
	send_copies(out, &copies);
	count(m, copied, lost);
}

static void copy_batch(struct bridge_port *port, struct packet *const *packets,
		       const uint16_t *vids, uint32_t n, uint8_t direction)
{
	for (uint8_t i = 0; i < port->mirror.n; i++) {
		struct mirror *m = port->mirror.list[i];
		if (!(m->spec.direction & direction))
			continue;
		if (m->spec.sink == MIRROR_TO_PORT)
			to_port(m, packets, vids, n, direction);
		else
			to_ring(m, port, packets, vids, n, direction);
	}
}

void mirror_rx_batch(struct vswitch *sw, struct bridge_port *in, struct packet_batch *batch)
{
	(void)sw;
	if (in->mirror.flags & MIRROR_PORT_OUTPUT) {
		/* An output port only sends copies; what it receives is counted
		 * and dropped, so nothing is learned or forwarded from it. */
		for (uint32_t i = 0; i < batch->count; i++) {
			in->counters.rx_bytes += batch->packets[i]->len;
			packet_free(batch->packets[i]);
		}
		in->counters.rx_packets += batch->count;
		port_count_drop(in, DROP_MIRROR_OUTPUT, batch->count);
		batch->count = 0;
		return;
	}
	if (!(in->mirror.flags & MIRROR_PORT_RX))
		return;
	uint16_t vids[BATCH_SIZE];
	for (uint32_t i = 0; i < batch->count; i++)
		vids[i] = arrival_vid(in, batch->packets[i]);
	copy_batch(in, batch->packets, vids, batch->count, MIRROR_RX);
}

void mirror_tx_batch(struct bridge_port *out, const struct packet_batch *batch)
{
	uint16_t vids[BATCH_SIZE];
	for (uint32_t i = 0; i < batch->count; i++)
		vids[i] = batch->packets[i]->vid;
	copy_batch(out, batch->packets, vids, batch->count, MIRROR_TX);
}
