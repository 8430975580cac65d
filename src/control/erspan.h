/* erspan.h — ERSPAN type II and III (GRE, draft-foschiano-erspan): a
 * mirror's copies sent to a remote collector over IPv4. The engine only
 * fills the mirror's ring; the control thread drains it every few
 * milliseconds, encapsulates here and sends the lot with one sendmmsg() on
 * a raw GRE socket, so the poll threads never make a system call for it. */
#ifndef VSWITCH_ERSPAN_H
#define VSWITCH_ERSPAN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/mirror.h"

#define GRE_PROTO_ERSPAN2  0x88be
#define GRE_PROTO_ERSPAN3  0x22eb
#define ERSPAN_GRE_LEN	   8  /* flags, protocol, sequence number */
#define ERSPAN2_LEN	   8  /* the type II header */
#define ERSPAN3_LEN	   12 /* the type III header, without the platform sub-header */
#define ERSPAN_MAX_HEADER  (ERSPAN_GRE_LEN + ERSPAN3_LEN)
#define ERSPAN_SESSION_MAX 1023

struct erspan_params {
	struct in_addr remote; /* the collector */
	struct in_addr local;  /* source address; INADDR_ANY: the route's */
	uint16_t session_id;   /* 0-1023 */
	uint8_t version;       /* 2 (type II) or 3 (type III) */
};

/* Writes the GRE and ERSPAN headers for one mirrored frame (record r, its
 * bytes in frame) into buf (ERSPAN_MAX_HEADER bytes); returns their length.
 * Pure. The VLAN field is the frame's tag's VID (0 untagged); type II's
 * index and type III's hardware ID carry nothing (0); type III's timestamp
 * is in 100 microsecond units (granularity 00), its D bit 1 for tx copies;
 * T is set when the frame was cut to MIRROR_SNAPLEN. */
size_t erspan_encap(uint8_t *buf, const struct erspan_params *params, uint32_t sequence,
		    const struct mirror_record *r, const uint8_t *frame);

/* The export state of one mirror (its sink_ctx): a raw GRE socket bound to
 * `local` and the GRE sequence. NULL with err set when the socket cannot be
 * made (no CAP_NET_RAW). */
struct erspan_session *erspan_session_open(const struct erspan_params *params, char *err,
					   size_t err_size);
/* Closes the socket; NULL is a no-op. A mirror's sink_free. */
void erspan_session_close(void *session);
/* Drains the mirror's ring and sends what was in it, in batches of
 * sendmmsg(). Copies the kernel refused (no route, buffer full) are added
 * to the mirror's dropped. Returns the frames sent. Control thread only. */
uint32_t erspan_session_flush(struct mirror *m);

/* Flushes every ERSPAN mirror of the daemon (state: a struct
 * control_state): the control server's tick. Returns whether there is any,
 * so that it is called again soon. The mirror tables are read here, on the
 * control thread, safely: only jobs this thread posts and waits for
 * change them. */
bool erspan_export_tick(void *state);

#endif
