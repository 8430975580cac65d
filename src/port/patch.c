/* patch.c — a link between two switches of the same daemon, the veth between
 * two Linux bridges without the kernel: `port add A pa type patch peer=pb`
 * and `port add B pb type patch peer=pa`. Zero-copy: send() moves the packet
 * pointers into the peer's receive ring, and the peer's switch takes them on
 * its next poll. Each ring has one producer (the sending end's send(),
 * which the engine serialises) and one consumer (the receiving end's
 * recv(), on the thread that polls it), maybe on two poll threads: head and
 * tail are published with release stores and read with acquire loads, and
 * the receiving end adopts a packet of another thread's pool (packet.h). The
 * link is up while both ends exist. Offload metadata
 * crosses untouched: the far switch's egress port decides what to do. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "port.h"

/* Frames in flight from one end to the other; a full ring is a tx-full drop
 * on the sending end, as a real link's queue would give. */
#define PATCH_RING 1024

struct patch_port {
	char peer_name[PORT_NAME_MAX];
	struct port *self;
	struct patch_port *peer;
	struct patch_port *next; /* every patch port of the process */
	uint32_t head, tail;
	struct packet *ring[PATCH_RING];
};

static struct patch_port *all_patches;

static struct patch_port *find_patch(const char *name)
{
	for (struct patch_port *p = all_patches; p; p = p->next)
		if (!strcmp(p->self->name, name))
			return p;
	return NULL;
}

static int patch_open(struct port *port, const char *const *options, char *err, size_t err_size)
{
	static const char *const known[] = {"peer", NULL};
	int error = port_check_options(port, options, known, err, err_size);
	if (error)
		return error;
	const char *peer = port_option(options, "peer");
	if (!peer || !*peer || strlen(peer) >= PORT_NAME_MAX) {
		snprintf(err, err_size, "port %s: a patch port needs peer=PORT", port->name);
		return -EINVAL;
	}
	if (!strcmp(peer, port->name)) {
		snprintf(err, err_size, "port %s: a patch port cannot be its own peer", port->name);
		return -EINVAL;
	}
	if (find_patch(port->name)) {
		snprintf(err, err_size, "port %s: a patch port of that name exists", port->name);
		return -EEXIST;
	}
	struct patch_port *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, err_size, "port %s: out of memory", port->name);
		return -ENOMEM;
	}
	copy_name(p->peer_name, sizeof(p->peer_name), peer);
	p->self = port;
	struct patch_port *other = find_patch(peer);
	if (other) {
		if (other->peer || strcmp(other->peer_name, port->name) != 0) {
			snprintf(err, err_size, "port %s: patch port %s is paired with %s",
				 port->name, peer, other->peer_name);
			free(p);
			return -EBUSY;
		}
		other->peer = p;
		p->peer = other;
	}
	p->next = all_patches;
	all_patches = p;
	port->priv = p;
	port->features |= PORT_F_OFFLOAD;
	return 0;
}

static void patch_close(struct port *port)
{
	struct patch_port *p = port->priv;
	while (p->head != p->tail)
		packet_free_any(p->ring[p->head++ % PATCH_RING]);
	if (p->peer)
		p->peer->peer = NULL;
	for (struct patch_port **link = &all_patches; *link; link = &(*link)->next)
		if (*link == p) {
			*link = p->next;
			break;
		}
	free(p);
}

static int patch_recv(struct port *port, struct packet_pool *pool, struct packet_batch *batch)
{
	struct patch_port *p = port->priv;
	uint32_t head = p->head;
	uint32_t tail = __atomic_load_n(&p->tail, __ATOMIC_ACQUIRE);
	int n = 0;
	while (batch->count < BATCH_SIZE && head != tail) {
		struct packet *pkt = p->ring[head++ % PATCH_RING];
		/* Sent by a switch whose port another poll thread polls. */
		if (UNLIKELY(pkt->pool != pool) && !packet_adopt(pool, pkt)) {
			port->stats.rx_overflow += 1;
			packet_free_any(pkt);
			continue;
		}
		packet_batch_add(batch, pkt);
		n++;
	}
	__atomic_store_n(&p->head, head, __ATOMIC_RELEASE);
	return n;
}

static void patch_send(struct port *port, struct packet_batch *batch)
{
	struct patch_port *peer = ((struct patch_port *)port->priv)->peer;
	uint32_t tail = peer ? peer->tail : 0;
	uint32_t head = peer ? __atomic_load_n(&peer->head, __ATOMIC_ACQUIRE) : 0;
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *pkt = batch->packets[i];
		if (!peer) {
			port->stats.tx_errors += 1;
			packet_free(pkt);
		} else if (tail - head == PATCH_RING) {
			port->stats.tx_full += 1;
			packet_free(pkt);
		} else {
			port->stats.tx_packets++;
			port->stats.tx_bytes += pkt->len;
			peer->ring[tail++ % PATCH_RING] = pkt;
		}
	}
	if (peer)
		__atomic_store_n(&peer->tail, tail, __ATOMIC_RELEASE);
	batch->count = 0;
}

static bool patch_carrier(const struct port *port)
{
	const struct patch_port *p = port->priv;
	return p->peer != NULL;
}

const struct port_class patch_port_class = {
    .type = "patch",
    .open = patch_open,
    .close = patch_close,
    .recv = patch_recv,
    .send = patch_send,
    .carrier = patch_carrier,
};
