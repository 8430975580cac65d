/* conntrack.h — a port's connection table for its security groups: which
 * TCP, UDP, ICMP echo (and other IP protocol) conversations the port's rules
 * let open, so that their packets in both directions pass without the
 * classifier (acl.c). One table per port (a Neutron conntrack zone per
 * port), keyed by the five-tuple seen from the VM: (local address and port,
 * remote address and port, protocol), so both directions find one entry. */
#ifndef VSWITCH_CONNTRACK_H
#define VSWITCH_CONNTRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "flow_key.h"
#include "lib/spinlock.h"

#define CONNTRACK_DEFAULT_MAX 16384
#define CONNTRACK_MAX_MAX     (4u << 20)

/* Which way a packet goes, seen from the port's VM (Neutron's terms). */
enum acl_direction {
	ACL_EGRESS = 0,	 /* from the VM: checked when the port receives */
	ACL_INGRESS = 1, /* to the VM: checked when the port sends */
};

enum ct_state {
	CT_TCP_SYN_SENT,    /* a SYN from the origin */
	CT_TCP_SYN_RECV,    /* and the SYN-ACK back */
	CT_TCP_ESTABLISHED, /* the handshake's last ACK, or picked up mid-stream */
	CT_TCP_FIN_WAIT,    /* one side sent FIN */
	CT_TCP_CLOSING,	    /* both sides sent FIN */
	CT_TCP_CLOSED,	    /* RST */
	CT_UDP_NEW,	    /* packets one way only */
	CT_UDP_REPLIED,	    /* packets both ways */
	CT_ICMP,	    /* an echo request and its replies */
	CT_OTHER,	    /* any other IP protocol, no ports */
	CT_STATE_COUNT
};

/* Seconds an entry lives after its last packet, per state. */
struct conntrack_timeouts {
	uint32_t seconds[CT_STATE_COUNT];
};

struct ct_key {
	uint8_t local[16], remote[16];
	uint16_t lport, rport;
	uint8_t proto, family; /* family 0 marks a free slot */
	uint16_t zero;
};

struct ct_entry {
	struct ct_key key;
	uint32_t expires; /* switch clock, seconds */
	uint8_t state;	  /* enum ct_state */
	uint8_t origin;	  /* enum acl_direction of the packet that opened it */
	uint8_t fin_seen; /* bit per direction */
	uint8_t pad;
	uint32_t rule; /* the rule that let it open, in classifier `gen` */
	uint32_t gen;
};

struct conntrack {
	/* Taken once per batch when several poll threads run: the port's poll
	 * thread (egress direction) and whichever thread sends to the port
	 * (ingress direction) both touch the table. */
	struct spinlock lock;
	uint32_t max;	/* conntrack-max: entries allowed */
	uint32_t count; /* entries in use */
	uint32_t mask;	/* slots - 1, a power of two at least 2 * max */
	uint32_t sweep; /* next slot the expiry scan looks at */
	uint64_t full;	/* connections refused because count == max */
	struct conntrack_timeouts timeouts;
	struct ct_entry slots[];
};

void conntrack_default_timeouts(struct conntrack_timeouts *t);
/* A table for `max` connections (1 to CONNTRACK_MAX_MAX); NULL when out of
 * memory or out of range. */
struct conntrack *conntrack_create(uint32_t max);
void conntrack_destroy(struct conntrack *ct);
/* The entry of the packet's connection (advancing its state and expiry),
 * or NULL. Fragments have none. */
struct ct_entry *conntrack_lookup(struct conntrack *ct, const struct flow_key *k,
				  enum acl_direction dir, uint32_t now);
/* Opens a connection for a packet the rules allowed (a TCP RST opens
 * none). Returns the entry, or NULL with ct->full counted when the table
 * holds `max` live entries. */
struct ct_entry *conntrack_commit(struct conntrack *ct, const struct flow_key *k,
				  enum acl_direction dir, uint32_t now);
/* Scans up to `budget` slots from where the last call stopped and frees
 * expired entries. Returns how many. */
uint32_t conntrack_expire(struct conntrack *ct, uint32_t now, uint32_t budget);
/* Forgets every connection. */
void conntrack_flush(struct conntrack *ct);
const char *conntrack_state_name(enum ct_state state);
/* Whether the entry is still alive at `now`. */
static inline bool conntrack_live(const struct ct_entry *e, uint32_t now)
{
	return e->key.family && (int32_t)(e->expires - now) > 0;
}

#endif
