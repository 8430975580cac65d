/* conntrack.c — the connection table of a port with security groups: an
 * open-addressing hash table with linear probing and backward-shift
 * deletion, sized once (2 slots per allowed entry, so probes stay short),
 * never growing on the fast path. Entries expire after a per-state timeout
 * (docs/security-groups.md lists them); a few slots are swept per batch,
 * and a full table sweeps a little more before it refuses a connection.
 *
 * TCP is followed as far as a firewall needs: SYN, SYN-ACK, ACK, FIN from
 * each side, RST. A packet that is not a SYN but that a rule allows opens
 * the connection as established ("loose pickup", as Linux does by default),
 * so connections survive `conntrack flush`. */
#include "conntrack.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

/* Slots a full table sweeps before refusing a new connection. */
#define CT_RECLAIM_BUDGET 64

static const char *const state_names[CT_STATE_COUNT] = {
    "syn-sent", "syn-recv", "established", "fin-wait", "closing",
    "closed",	"udp-new",  "udp-replied", "icmp",     "other",
};

const char *conntrack_state_name(enum ct_state state)
{
	return (unsigned)state < CT_STATE_COUNT ? state_names[state] : "?";
}

void conntrack_default_timeouts(struct conntrack_timeouts *t)
{
	t->seconds[CT_TCP_SYN_SENT] = 30;
	t->seconds[CT_TCP_SYN_RECV] = 30;
	t->seconds[CT_TCP_ESTABLISHED] = 86400;
	t->seconds[CT_TCP_FIN_WAIT] = 120;
	t->seconds[CT_TCP_CLOSING] = 30;
	t->seconds[CT_TCP_CLOSED] = 10;
	t->seconds[CT_UDP_NEW] = 30;
	t->seconds[CT_UDP_REPLIED] = 120;
	t->seconds[CT_ICMP] = 30;
	t->seconds[CT_OTHER] = 60;
}

struct conntrack *conntrack_create(uint32_t max)
{
	if (max == 0 || max > CONNTRACK_MAX_MAX)
		return NULL;
	uint32_t slots = 16;
	while (slots < 2 * max)
		slots *= 2;
	struct conntrack *ct = calloc(1, sizeof(*ct) + (size_t)slots * sizeof(struct ct_entry));
	if (!ct)
		return NULL;
	ct->max = max;
	ct->mask = slots - 1;
	conntrack_default_timeouts(&ct->timeouts);
	return ct;
}

void conntrack_destroy(struct conntrack *ct)
{
	free(ct);
}

/* The key seen from the VM, as the five words the table hashes and
 * compares (struct ct_key's layout: local, remote, then the ports,
 * protocol and family). Built in registers: the flow key's addresses are
 * aligned words. */
static inline void make_key(const struct flow_key *k, enum acl_direction dir, uint64_t w[5])
{
	bool from_vm = dir == ACL_EGRESS;
	const uint8_t *local = from_vm ? k->src : k->dst, *remote = from_vm ? k->dst : k->src;
	/* (sport, dport) as one word; turned by 16 bits it is (dport, sport)
	 * on either byte order. */
	uint32_t ports;
	memcpy(&ports, &k->sport, 4);
	if (!from_vm)
		ports = ports >> 16 | ports << 16;
	struct {
		uint32_t ports; /* lport, rport */
		uint8_t proto, family;
		uint16_t zero;
	} tail = {ports, k->proto, k->family, 0};
	memcpy(&w[0], local, 8);
	memcpy(&w[1], local + 8, 8);
	memcpy(&w[2], remote, 8);
	memcpy(&w[3], remote + 8, 8);
	memcpy(&w[4], &tail, 8);
}

_Static_assert(sizeof(struct ct_key) == 40, "the hash reads the key as five words");
_Static_assert(offsetof(struct ct_key, lport) == 32 && offsetof(struct ct_key, zero) == 38,
	       "make_key's last word is the key's tail");

/* One multiply per word, then a multiply-shift: the key is 40 bytes, and a
 * hash_u64 per word cost more than the whole probe. `v4` only saves work:
 * an IPv4 key's words 1 and 3 are zero, so both ways give one value. */
static inline uint32_t words_hash(const uint64_t w[5], bool v4)
{
	uint64_t h = w[0] * 0x9e3779b97f4a7c15ull ^ w[2] * 0x165667b19e3779f9ull ^ w[4];
	if (!v4)
		h ^= w[1] * 0xc2b2ae3d27d4eb4full ^ w[3] * 0xd6e8feb86659fd93ull;
	h ^= h >> 32;
	return (uint32_t)((h * 0xff51afd7ed558ccdull) >> 32);
}

static uint32_t key_hash(const struct ct_key *key)
{
	uint64_t w[5];
	memcpy(w, key, sizeof(w));
	return words_hash(w, false);
}

/* With `v4`, words 1 and 3 need no comparison: an entry whose last word
 * (with the family) equals an IPv4 key's is IPv4, its words 1 and 3 zero. */
static struct ct_entry *find(struct conntrack *ct, const uint64_t w[5], uint32_t hash, bool v4)
{
	for (uint32_t i = hash & ct->mask;; i = (i + 1) & ct->mask) {
		struct ct_entry *e = &ct->slots[i];
		if (!e->key.family)
			return NULL;
		uint64_t x[5];
		memcpy(x, &e->key, sizeof(x));
		uint64_t diff = (x[0] ^ w[0]) | (x[2] ^ w[2]) | (x[4] ^ w[4]);
		if (!v4)
			diff |= (x[1] ^ w[1]) | (x[3] ^ w[3]);
		if (!diff)
			return e;
	}
}

/* Backward-shift deletion: later entries of the probe sequence move up so
 * that no lookup stops early at the hole. */
static void remove_slot(struct conntrack *ct, uint32_t hole)
{
	for (uint32_t i = (hole + 1) & ct->mask;; i = (i + 1) & ct->mask) {
		struct ct_entry *e = &ct->slots[i];
		if (!e->key.family)
			break;
		uint32_t home = key_hash(&e->key) & ct->mask;
		/* e may fill the hole if its home is not in (hole, i]. */
		if (((i - home) & ct->mask) >= ((i - hole) & ct->mask)) {
			ct->slots[hole] = *e;
			hole = i;
		}
	}
	memset(&ct->slots[hole], 0, sizeof(ct->slots[hole]));
	ct->count--;
}

static void set_state(struct conntrack *ct, struct ct_entry *e, enum ct_state s, uint32_t now)
{
	e->state = (uint8_t)s;
	e->expires = now + ct->timeouts.seconds[s];
}

static void track_tcp(struct conntrack *ct, struct ct_entry *e, uint8_t flags, bool reply,
		      uint32_t now)
{
	enum ct_state s = e->state;
	/* The common case: data or an ACK of an established connection. */
	if (s == CT_TCP_ESTABLISHED && !(flags & (FLOW_TCP_RST | FLOW_TCP_SYN | FLOW_TCP_FIN))) {
		e->expires = now + ct->timeouts.seconds[s];
		return;
	}
	if (flags & FLOW_TCP_RST)
		s = CT_TCP_CLOSED;
	else if ((flags & (FLOW_TCP_SYN | FLOW_TCP_ACK)) == FLOW_TCP_SYN && !reply &&
		 (s == CT_TCP_CLOSED || s == CT_TCP_CLOSING))
		s = CT_TCP_SYN_SENT, e->fin_seen = 0; /* the port pair is reused */
	else if ((flags & (FLOW_TCP_SYN | FLOW_TCP_ACK)) == (FLOW_TCP_SYN | FLOW_TCP_ACK) &&
		 reply && s == CT_TCP_SYN_SENT)
		s = CT_TCP_SYN_RECV;
	else if ((flags & FLOW_TCP_ACK) && !reply && s == CT_TCP_SYN_RECV)
		s = CT_TCP_ESTABLISHED;
	if (flags & FLOW_TCP_FIN && s != CT_TCP_CLOSED) {
		e->fin_seen |= (uint8_t)(1u << reply);
		s = e->fin_seen == 3 ? CT_TCP_CLOSING : CT_TCP_FIN_WAIT;
	}
	set_state(ct, e, s, now);
}

struct ct_entry *conntrack_lookup(struct conntrack *ct, const struct flow_key *k,
				  enum acl_direction dir, uint32_t now)
{
	if (k->flags & FLOW_F_FRAGMENT)
		return NULL;
	uint64_t key[5];
	make_key(k, dir, key);
	bool v4 = k->family == 4;
	struct ct_entry *e = find(ct, key, words_hash(key, v4), v4);
	if (!e)
		return NULL;
	if (!conntrack_live(e, now)) {
		remove_slot(ct, (uint32_t)(e - ct->slots));
		return NULL;
	}
	bool reply = dir != e->origin;
	switch (e->state) {
	case CT_UDP_NEW:
	case CT_UDP_REPLIED:
		set_state(ct, e, reply || e->state == CT_UDP_REPLIED ? CT_UDP_REPLIED : CT_UDP_NEW,
			  now);
		break;
	case CT_ICMP:
		/* Only the replies of the echo; a second request is classified. */
		if (!(k->flags & (reply ? FLOW_F_ECHO_REPLY : FLOW_F_ECHO_REQUEST)))
			return NULL;
		set_state(ct, e, CT_ICMP, now);
		break;
	case CT_OTHER:
		set_state(ct, e, CT_OTHER, now);
		break;
	default:
		track_tcp(ct, e, k->tcp_flags, reply, now);
	}
	return e;
}

static enum ct_state initial_state(const struct flow_key *k)
{
	switch (k->proto) {
	case FLOW_IPPROTO_TCP:
		if (k->tcp_flags & FLOW_TCP_RST)
			return CT_STATE_COUNT;
		return (k->tcp_flags & (FLOW_TCP_SYN | FLOW_TCP_ACK)) == FLOW_TCP_SYN
			   ? CT_TCP_SYN_SENT
			   : CT_TCP_ESTABLISHED;
	case FLOW_IPPROTO_UDP:
		return CT_UDP_NEW;
	case FLOW_IPPROTO_ICMP:
	case FLOW_IPPROTO_ICMPV6:
		return k->flags & FLOW_F_ECHO_REQUEST ? CT_ICMP : CT_STATE_COUNT;
	default:
		return CT_OTHER;
	}
}

struct ct_entry *conntrack_commit(struct conntrack *ct, const struct flow_key *k,
				  enum acl_direction dir, uint32_t now)
{
	enum ct_state state = initial_state(k);
	if (state == CT_STATE_COUNT || (k->flags & FLOW_F_FRAGMENT))
		return NULL;
	if (ct->count >= ct->max)
		conntrack_expire(ct, now, CT_RECLAIM_BUDGET);
	uint64_t key[5];
	make_key(k, dir, key);
	bool v4 = k->family == 4;
	uint32_t hash = words_hash(key, v4);
	struct ct_entry *e = find(ct, key, hash, v4);
	if (!e) {
		if (ct->count >= ct->max) {
			ct->full++;
			return NULL;
		}
		uint32_t i = hash & ct->mask;
		while (ct->slots[i].key.family)
			i = (i + 1) & ct->mask;
		e = &ct->slots[i];
		ct->count++;
	}
	memset(e, 0, sizeof(*e));
	memcpy(&e->key, key, sizeof(e->key));
	e->origin = (uint8_t)dir;
	if (k->tcp_flags & FLOW_TCP_FIN && state == CT_TCP_ESTABLISHED) {
		e->fin_seen = 1;
		state = CT_TCP_FIN_WAIT;
	}
	set_state(ct, e, state, now);
	return e;
}

uint32_t conntrack_expire(struct conntrack *ct, uint32_t now, uint32_t budget)
{
	uint32_t freed = 0;
	for (uint32_t n = 0; n < budget && ct->count; n++) {
		uint32_t i = ct->sweep;
		struct ct_entry *e = &ct->slots[i];
		if (e->key.family && !conntrack_live(e, now)) {
			remove_slot(ct, i); /* an entry may move into i: look again */
			freed++;
			continue;
		}
		ct->sweep = (i + 1) & ct->mask;
	}
	return freed;
}

void conntrack_flush(struct conntrack *ct)
{
	memset(ct->slots, 0, ((size_t)ct->mask + 1) * sizeof(struct ct_entry));
	ct->count = 0;
	ct->sweep = 0;
}
