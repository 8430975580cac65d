/* ipfix.h — IPFIX export (RFC 7011 messages, RFC 7012 information
 * elements; docs/ipfix.md). ipfix.c encodes, purely: the template set (L2,
 * IPv4 and IPv6 flow templates) with an options template for the metering
 * and exporting process (sampling, totals), and data records into
 * messages. ipfix_export.c sends them over UDP from the control thread's
 * tick, draining each switch's flow cache ring (engine/ipfix_cache.h). */
#ifndef VSWITCH_IPFIX_H
#define VSWITCH_IPFIX_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/ipfix_cache.h"

#define IPFIX_VERSION	     10
#define IPFIX_HEADER_LEN     16
#define IPFIX_SET_HEADER_LEN 4
/* A message fits one unfragmented UDP datagram on a 1500-byte path. */
#define IPFIX_MAX_MESSAGE 1400

#define IPFIX_TEMPLATE_SET_ID	      2
#define IPFIX_OPTIONS_TEMPLATE_SET_ID 3
#define IPFIX_TEMPLATE_L2	      256
#define IPFIX_TEMPLATE_IPV4	      257
#define IPFIX_TEMPLATE_IPV6	      258
#define IPFIX_TEMPLATE_OPTIONS	      259

/* The exporting process's view for the options record. */
struct ipfix_process_stats {
	uint32_t observation_domain;
	uint32_t sampling; /* 1 in N */
	uint64_t messages; /* exportedMessageTotalCount */
	uint64_t records;  /* exportedFlowRecordTotalCount */
	uint64_t lost;	   /* notSentFlowTotalCount: ended flows not exported */
	uint64_t ignored;  /* ignoredPacketTotalCount: packets refused, cache full */
};

/* A message being built in a caller's buffer of at least IPFIX_MAX_MESSAGE
 * bytes: the header's room, then sets. */
struct ipfix_message {
	uint8_t *buf;
	size_t len;
	size_t set_start; /* offset of the open set's header, 0 when none */
	uint16_t set_id;
	uint32_t data_records; /* in this message, for the sequence number */
};

void ipfix_message_begin(struct ipfix_message *m, uint8_t *buf);
/* Adds the template set and the options template set. */
void ipfix_message_add_templates(struct ipfix_message *m);
/* Adds the options data record. False when it does not fit. */
bool ipfix_message_add_options(struct ipfix_message *m, const struct ipfix_process_stats *s);
/* Adds one flow record in its template's set; false when it does not fit
 * (send this message and start another). Interfaces are port index + 1,
 * IPFIX_IFACE_NONE for a flooded frame's egress. */
bool ipfix_message_add_record(struct ipfix_message *m, const struct ipfix_record *r);
/* Closes the open set and writes the header; returns the message length. */
size_t ipfix_message_finish(struct ipfix_message *m, uint32_t export_time, uint32_t sequence,
			    uint32_t observation_domain);

/* ---- ipfix_export.c ------------------------------------------------------ */

struct ipfix_export_params {
	struct sockaddr_storage collector; /* IPv4 or IPv6 address and UDP port */
	uint32_t observation_domain;
	uint32_t template_refresh; /* seconds between template sets */
};

/* What `ipfix show` reports of an exporter. */
struct ipfix_export_stats {
	uint64_t messages;
	uint64_t records;
	uint64_t send_errors; /* messages the kernel refused (lost) */
};

/* An exporter with its UDP socket (connected to the collector): a cache's
 * sink_ctx. NULL with err set. */
struct ipfix_exporter *ipfix_exporter_open(const struct ipfix_export_params *params, char *err,
					   size_t err_size);
/* Closes it; NULL is a no-op. A cache's sink_free. */
void ipfix_exporter_close(void *exporter);
/* Drains the cache's ring into messages and sends them, with the
 * templates first and every template_refresh seconds (now: seconds,
 * CLOCK_REALTIME). Returns the records sent. Control thread only. */
uint32_t ipfix_exporter_flush(struct ipfix_cache *c, uint32_t now);
void ipfix_exporter_stats(const struct ipfix_cache *c, struct ipfix_export_stats *out);

/* Flushes every switch's exporter (state: a struct control_state); true
 * while any exists, so the control server ticks again soon. */
bool ipfix_export_tick(void *state);
/* The daemon's control tick: ERSPAN's and IPFIX's. */
bool control_export_tick(void *state);

#endif
