/* mirror.h — port mirroring in the engine (docs/mirrors.md): copies of a
 * port's received frames (as they arrived) and transmitted frames (as they
 * leave, tag as on the wire), optionally of one VLAN, sent to an output
 * port (SPAN) or written into a bounded ring that the control thread drains
 * (a live capture, an ERSPAN session). Included by engine.h: a port and a
 * switch each carry one small struct of it. */
#ifndef VSWITCH_MIRROR_H
#define VSWITCH_MIRROR_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/spinlock.h"
#include "port/port.h"

#define MIRROR_NAME_MAX	   32
#define MIRROR_MAX_SOURCES 16
/* Mirrors (configured and captures) a switch holds, and a port is a source of. */
#define SWITCH_MAX_MIRRORS 32
#define MIRROR_PER_PORT	   8
/* A ring record: its header and up to this many bytes of the frame. */
#define MIRROR_SLOT_SIZE    2048
#define MIRROR_SNAPLEN	    (MIRROR_SLOT_SIZE - (uint32_t)sizeof(struct mirror_record))
#define MIRROR_RING_DEFAULT 2048 /* slots: 4 MB */

struct bridge_port;
struct packet;
struct packet_batch;
struct vswitch;

enum mirror_direction {
	MIRROR_RX = 1 << 0,
	MIRROR_TX = 1 << 1,
	MIRROR_BOTH = MIRROR_RX | MIRROR_TX,
};

/* Where the copies go. */
enum mirror_sink {
	MIRROR_TO_PORT,	   /* SPAN: packets from the pool, sent on `output` */
	MIRROR_TO_CAPTURE, /* the ring, drained by a vswitchctl capture */
	MIRROR_TO_EXPORT,  /* the ring, drained and sent on by the control layer (ERSPAN) */
};

/* What selects the frames and where they go, as the control layer sets it. */
struct mirror_spec {
	char name[MIRROR_NAME_MAX];
	char sources[MIRROR_MAX_SOURCES][PORT_NAME_MAX];
	uint8_t n_sources;
	uint8_t direction; /* enum mirror_direction */
	uint16_t vid;	   /* only frames of this VLAN; 0 = all */
	enum mirror_sink sink;
	char output[PORT_NAME_MAX]; /* MIRROR_TO_PORT: the output port */
};

/* One record in a ring: a frame as it was copied. */
struct mirror_record {
	uint64_t time_ns; /* CLOCK_REALTIME, taken once per batch */
	uint32_t len;	  /* the frame's length on the wire */
	uint16_t caplen;  /* bytes kept, at most MIRROR_SNAPLEN */
	uint8_t direction;
	uint8_t pad;
	uint32_t port; /* the source port's index */
	uint32_t pad2;
};

/* A single-consumer ring of fixed slots. Producers (poll threads) take
 * `lock` once per batch when the switch has several threads; the consumer
 * (the control thread) only moves `tail`. A full ring drops, counted. */
struct mirror_ring {
	uint32_t n_slots; /* a power of two */
	uint64_t head;	  /* written by producers (release) */
	uint64_t tail;	  /* written by the consumer (release) */
	struct spinlock lock;
	uint8_t *slots;
};

struct mirror {
	struct mirror_spec spec;
	struct bridge_port *output; /* MIRROR_TO_PORT, bound by mirror_bind() */
	struct mirror_ring *ring;   /* the ring sinks', owned */
	/* The control layer's state of an export (ERSPAN), freed with the
	 * mirror by `sink_free`. */
	void *sink_ctx;
	void (*sink_free)(void *sink_ctx);
	/* Atomic, added once per batch: any poll thread may copy. */
	uint64_t mirrored; /* copies made */
	uint64_t dropped;  /* copies lost: no buffer in the pool, or the ring full */
	/* A capture whose switch was destroyed under it: it left the switch
	 * but still belongs to the capture, which ends (capture.c). */
	bool orphaned;
};

/* A port's part: the mirrors it is a source of, tested once per batch. */
enum mirror_port_flags {
	MIRROR_PORT_RX = 1 << 0,     /* some mirror copies its rx */
	MIRROR_PORT_TX = 1 << 1,     /* some mirror copies its tx */
	MIRROR_PORT_OUTPUT = 1 << 2, /* the output of a mirror: out of normal forwarding */
};

struct mirror_port {
	uint8_t flags;
	uint8_t n;
	struct mirror *list[MIRROR_PER_PORT];
};

/* A switch's mirrors, configured ones and captures alike. */
struct switch_mirrors {
	uint16_t n;
	struct mirror *list[SWITCH_MAX_MIRRORS];
};

/* A mirror for `spec`, with a ring of `ring_slots` (a power of two) for the
 * ring sinks. NULL when out of memory. Any thread: not the fast path. */
struct mirror *mirror_create(const struct mirror_spec *spec, uint32_t ring_slots);
/* Frees the mirror, its ring and its sink_ctx; NULL is a no-op. */
void mirror_destroy(struct mirror *m);

/* Adds a mirror to the switch (which owns it from then on) and binds it.
 * -ENOSPC when SWITCH_MAX_MIRRORS are there, -EEXIST for a name in use. */
int mirror_add(struct vswitch *sw, struct mirror *m);
/* Takes the named mirror off the switch and returns it (the caller frees
 * it), or NULL. */
struct mirror *mirror_remove(struct vswitch *sw, const char *name);
struct mirror *mirror_find(const struct vswitch *sw, const char *name);
/* Resolves every mirror's port names to the switch's ports (after ports
 * came, went or were rebuilt) and takes output ports out of flooding. */
void mirror_bind(struct vswitch *sw);
/* Clears the output ports of mirrors from the flood sets; switch_update_vlans
 * calls it last. */
void mirror_exclude_outputs(struct vswitch *sw);
/* Frees every mirror of the switch (switch_destroy), except captures,
 * which their capture frees: those are marked orphaned. */
void mirror_clear(struct vswitch *sw);

/* Whether a frame of `vid` in `direction` is one for the mirror. Pure. */
static inline bool mirror_selects(const struct mirror *m, uint8_t direction, uint16_t vid)
{
	return (m->spec.direction & direction) && (!m->spec.vid || m->spec.vid == vid);
}

/* Stage 1: copies of the batch as it was received on `in`; frames received
 * on a mirror's output port are dropped here (mirror-output). */
void mirror_rx_batch(struct vswitch *sw, struct bridge_port *in, struct packet_batch *batch);
/* Stage 11: copies of frames as `out` sends them (tags on the wire). */
void mirror_tx_batch(struct bridge_port *out, const struct packet_batch *batch);

/* The consumer's side of a ring: copies out the oldest record and its
 * bytes (up to MIRROR_SNAPLEN) and frees its slot. False when empty. */
bool mirror_ring_pop(struct mirror_ring *ring, struct mirror_record *record, uint8_t *data);

#endif
