/* ipfix_cache.h — the flow cache behind IPFIX export (docs/ipfix.md): the
 * pipeline hands it every forwarded batch (one call, after forwarding),
 * it keeps one entry per flow (L2 addresses, EtherType, VLAN, in and out
 * port, and for IPv4/IPv6 the five-tuple), bounded, with 1-in-N packet
 * sampling; flows that end (idle or active timeout) are written into a
 * bounded ring that the control thread drains and exports. No allocation,
 * system call or lock per packet: the cache's lock is taken once per batch
 * and only when several poll threads share the switch. */
#ifndef VSWITCH_IPFIX_CACHE_H
#define VSWITCH_IPFIX_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/spinlock.h"

#define IPFIX_MAX_FLOWS_DEFAULT	     65536
#define IPFIX_MAX_FLOWS_LIMIT	     (1u << 20)
#define IPFIX_ACTIVE_TIMEOUT_DEFAULT 60 /* seconds */
#define IPFIX_IDLE_TIMEOUT_DEFAULT   15 /* seconds */
/* Interfaces in records: a port's index in its switch plus one; flooded
 * frames have no single egress port and carry this one. */
#define IPFIX_IFACE_NONE 0

/* flowEndReason (RFC 7012, IE 136). */
enum ipfix_end_reason {
	IPFIX_END_IDLE = 1,
	IPFIX_END_ACTIVE = 2,
	IPFIX_END_OF_FLOW = 3,
	IPFIX_END_FORCED = 4,
	IPFIX_END_LACK_OF_RESOURCES = 5,
};

struct ipfix_cache_config {
	uint32_t max_flows; /* 1-IPFIX_MAX_FLOWS_LIMIT */
	uint32_t sampling;  /* 1 in N packets; 1 = every packet */
	uint32_t active_ms; /* a flow older than this is exported and starts again */
	uint32_t idle_ms;   /* a flow without a packet this long is exported */
};

/* What identifies a flow. Zeroed before it is filled: it is hashed and
 * compared as bytes. family 0: an L2 flow (MACs, EtherType); 4 or 6: an IP
 * flow, whose MACs are left zero. */
struct ipfix_flow_key {
	uint8_t src_mac[6], dst_mac[6];
	uint16_t ethertype; /* after the VLAN tag */
	uint16_t vid;
	uint16_t in_port;  /* port index */
	uint16_t out_port; /* port index; PORT_INDEX_NONE when flooded */
	uint8_t family;
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes */
};

/* A flow as it ended, what the ring carries to the exporter. */
struct ipfix_record {
	struct ipfix_flow_key key;
	uint8_t tcp_flags; /* OR of the flow's packets' */
	uint8_t end_reason;
	uint64_t packets;	   /* sampled packets */
	uint64_t octets;	   /* IP bytes (IP header and payload) of IP flows */
	uint64_t l2_octets;	   /* frame bytes as received, without FCS */
	uint64_t start_ms, end_ms; /* CLOCK_REALTIME, first and last packet */
};

struct ipfix_entry {
	struct ipfix_record r;
	uint64_t hash;
	uint32_t next; /* in its bucket's chain; UINT32_MAX ends it */
};

/* Counters an operator reads (ipfix show), atomic-read by the control
 * thread; written under the cache's lock. */
struct ipfix_cache_stats {
	uint64_t packets;   /* packets counted into flows (after sampling) */
	uint64_t skipped;   /* packets passed over by sampling */
	uint64_t refused;   /* sampled packets of a new flow refused: cache full */
	uint64_t flows;	    /* flows created */
	uint64_t expired;   /* flows written into the ring */
	uint64_t ring_full; /* flows ended and lost: the ring was full */
};

struct ipfix_cache {
	struct ipfix_cache_config config;
	struct spinlock lock; /* once per batch, only when the switch has several threads */
	uint32_t countdown;   /* packets until the next sampled one */
	uint32_t n_buckets;   /* a power of two */
	uint32_t *buckets;
	struct ipfix_entry *entries; /* [0, count) in use, dense */
	uint32_t count;
	struct ipfix_cache_stats stats;
	/* Ended flows, single producer (under lock) and single consumer (the
	 * control thread, which only moves tail). */
	struct ipfix_record *ring;
	uint32_t ring_slots; /* a power of two */
	uint64_t head, tail;
	/* The control layer's exporter (socket, sequence), freed with the
	 * cache by sink_free. */
	void *sink_ctx;
	void (*sink_free)(void *sink_ctx);
};

struct bridge_port;
struct packet_batch;
struct vswitch;

/* A cache for `config`, with a ring big enough for a full cache's worth of
 * ended flows (at least 1024). NULL when out of memory. */
struct ipfix_cache *ipfix_cache_create(const struct ipfix_cache_config *config);
/* Frees it with its sink; NULL is a no-op. */
void ipfix_cache_destroy(struct ipfix_cache *c);
/* Installs `c` on the switch (NULL removes it) and returns the previous
 * one, which the caller frees. With the poll threads paused. */
struct ipfix_cache *ipfix_cache_install(struct vswitch *sw, struct ipfix_cache *c);

/* The pipeline's stage: counts the batch's forwarded frames received on
 * `in` into their flows, at time now_ms (taken once per batch). */
void ipfix_cache_batch(struct ipfix_cache *c, const struct bridge_port *in,
		       const struct packet_batch *batch, uint64_t now_ms);
/* The same with the switch's locking and clock: what pipeline.c calls. */
void ipfix_switch_batch(struct vswitch *sw, const struct bridge_port *in,
			const struct packet_batch *batch);
/* Ends flows past their idle or active timeout (all flows when `all`, with
 * flowEndReason forced end) into the ring. Returns how many ended. */
uint32_t ipfix_cache_expire(struct ipfix_cache *c, uint64_t now_ms, bool all);
/* switch_run()'s part: expires under the switch's locking. */
void ipfix_switch_run(struct vswitch *sw);

/* The consumer's side of the ring: the oldest ended flow; false when none. */
bool ipfix_cache_pop(struct ipfix_cache *c, struct ipfix_record *out);
/* Flows in the cache now (a relaxed read, for show). */
uint32_t ipfix_cache_flows(const struct ipfix_cache *c);

#endif
