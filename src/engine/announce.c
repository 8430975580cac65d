/* announce.c — gratuitous RARP on behalf of the hosts behind the switch, as
 * QEMU does after a migration and VMware's "notify switches" after a
 * failover: when an uplink becomes the way out (a failover, a bond member
 * change), the physical switches must relearn at once where every client
 * MAC now lives. One RARP per (MAC, VLAN) the uplink carries, sent from
 * that MAC, tagged as the uplink carries the VLAN. */
#include <errno.h>

#include "engine.h"

#include "lib/log.h"

#define RARP_REQUEST_REVERSE 3

struct announce {
	struct vswitch *sw;
	struct bridge_port *out;
	uint32_t queued;
};

static void build_rarp(struct packet *p, const uint8_t mac[6])
{
	static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t *f = p->data;
	memset(f, 0, 60);
	memcpy(f, broadcast, 6);
	memcpy(f + 6, mac, 6);
	store_be16(f + 12, ETH_TYPE_RARP);
	store_be16(f + 14, 1);	    /* Ethernet */
	store_be16(f + 16, 0x0800); /* IPv4 */
	f[18] = 6;
	f[19] = 4;
	store_be16(f + 20, RARP_REQUEST_REVERSE);
	memcpy(f + 22, mac, 6); /* sender MAC; sender IP 0 */
	memcpy(f + 32, mac, 6); /* target MAC; target IP 0 */
	p->len = 60;
}

static void announce_entry(const struct fdb_entry *e, void *arg)
{
	struct announce *a = arg;
	uint16_t vid = fdb_key_vid(e->key);
	const struct bridge_port *owner = a->sw->ports[e->port];
	/* Only clients: what lives behind an uplink is the outside's own. */
	if (!owner || owner->config.uplink || !bitset_test(a->out->vlans, vid))
		return;
	struct packet *p = packet_alloc(packet_pool_here(a->sw->pool));
	if (!p) {
		port_count_drop(a->out, DROP_NO_BUFFER, 1);
		return;
	}
	uint8_t mac[6];
	mac_from_u64(e->key, mac);
	build_rarp(p, mac);
	p->vid = vid;
	p->pcp = 0;
	egress_enqueue(a->sw, a->out, p);
	a->queued++;
}

int switch_announce_from(struct vswitch *sw, struct bridge_port *in, const uint8_t mac[6],
			 uint16_t vid)
{
	struct packet *p = packet_alloc(packet_pool_here(sw->pool));
	if (!p)
		return -ENOBUFS;
	build_rarp(p, mac);
	/* Untagged on the port's PVID, tagged on its other VLANs: the frame
	 * the VM itself would send there. */
	if (vid && vid != in->config.pvid) {
		memmove(p->data + 16, p->data + 12, 48);
		store_be16(p->data + 12, ETH_TYPE_VLAN);
		store_be16(p->data + 14, vid);
		p->len = 64;
	}
	struct packet_batch batch = {.count = 0};
	packet_batch_add(&batch, p);
	pipeline_run(sw, in, &batch);
	return 0;
}

uint32_t switch_announce(struct vswitch *sw, struct bridge_port *out)
{
	struct announce a = {.sw = sw, .out = out};
	fdb_foreach(sw->fdb, announce_entry, &a);
	egress_flush(sw);
	return a.queued;
}

void switch_port_events(struct vswitch *sw, struct bridge_port *port)
{
	uint32_t events = port->dev->events;
	port->dev->events = 0;
	if (events & PORT_EVENT_ANNOUNCE) {
		uint32_t sent = switch_announce(sw, port);
		log_info("port %s: announced %u client MAC/VLAN pairs %s", port->name, sent,
			 port->dev->event_note);
	}
}
