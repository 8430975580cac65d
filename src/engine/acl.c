/* acl.c — security groups on the fast path. A port's rules of one direction
 * are compiled (on the control thread) into a tuple-space classifier, as
 * Open vSwitch's: one hash table per rule shape (family, protocol given or
 * not, destination-port prefix length, remote prefix length); a port range
 * becomes the few prefix blocks that cover it. A lookup masks the packet's
 * key once per shape and probes one table, visiting shapes by their best
 * rule and stopping when no later shape can hold a better one; its cost
 * follows the number of shapes, never the number of rules.
 *
 * The connection table comes first: a packet of an open connection passes
 * without the classifier, counted on the rule that opened it. A port's table
 * is shared by both directions (its poll thread at receive, any thread at
 * send under the port's tx_lock), so with several poll threads each batch
 * takes the table's spinlock once. */
#include "acl.h"

#include <stdlib.h>
#include <string.h>

#include "engine.h"

struct acl_slot {
	uint64_t w[3];
	uint32_t rule;	   /* ACL_NO_MATCH marks a free slot */
	uint32_t priority; /* the rule's, so that its rank needs no load */
};

/* The fields a lookup reads come first, in one cache line. */
struct acl_subtable {
	uint64_t mask[3];
	struct acl_slot *slots;
	uint64_t best_rank;
	/* Which destination-port blocks the subtable's rules hold, a bit per
	 * block (bit dport >> port_shift): a packet whose block is absent skips
	 * the probe, as Open vSwitch's port trie skips subtables. A shape
	 * without ports has one block, always present (any_port). */
	const uint64_t *ports;
	uint32_t slot_mask;
	uint8_t shift; /* 64 - log2(slots): multiply-shift picks the home slot */
	uint8_t port_shift;
	uint8_t proto_set, port_len, remote_len; /* the shape */
	uint32_t count;
};

static const uint64_t any_port[1] = {1};

/* Connection-table slots swept for expired entries per batch. */
#define ACL_SWEEP_PER_BATCH 8

static uint32_t next_gen = 1;

/* The key in three words: family, protocol, port, the remote's first 4
 * bytes in word 0 (all an IPv4 key has), its other 12 in words 1 and 2.
 * Masks are built by the same function, so the layout is the same for both
 * on any byte order. */
static inline void key_words(uint8_t family, uint8_t proto, uint16_t port, const uint8_t *remote,
			     uint64_t w[3])
{
	uint32_t r0, r3;
	memcpy(&r0, remote, 4);
	memcpy(&w[1], remote + 4, 8);
	memcpy(&r3, remote + 12, 4);
	w[0] = family | (uint64_t)proto << 8 | (uint64_t)port << 16 | (uint64_t)r0 << 32;
	w[2] = r3;
}

static void prefix_bytes(uint8_t *b, unsigned bytes, unsigned len)
{
	for (unsigned i = 0; i<bytes; i++, len = len> 8 ? len - 8 : 0)
		b[i] = len >= 8 ? 0xff : (uint8_t)(0xff00 >> len);
}

static void shape_mask(uint8_t proto_set, uint8_t port_len, uint8_t remote_len, uint64_t w[3])
{
	uint8_t remote[16];
	prefix_bytes(remote, 16, remote_len);
	uint16_t port = (uint16_t)(port_len ? 0xffffu << (16 - port_len) : 0);
	key_words(0xff, proto_set ? 0xff : 0, port, remote, w);
}

/* The key folded into one word; an IPv4 key is all in `a` (b and c are
 * zero), so an IPv4 lookup folds nothing. */
static inline uint64_t fold(uint64_t a, uint64_t b, uint64_t c)
{
	return a ^ b * 0xc2b2ae3d27d4eb4full ^ c * 0x165667b19e3779f9ull;
}

/* Multiply-shift (Fibonacci) hashing: the product's high bits depend on
 * every bit of the key, and cost one multiply, not a finaliser's two. */
static inline uint32_t home_slot(const struct acl_subtable *st, uint64_t folded)
{
	return (uint32_t)((folded * 0x9e3779b97f4a7c15ull) >> st->shift);
}

bool acl_rule_matches(const struct acl_rule_spec *r, const struct flow_key *k,
		      enum acl_direction dir)
{
	if (r->direction != dir || (r->family && r->family != k->family))
		return false;
	if (r->proto != ACL_PROTO_ANY && r->proto != k->proto)
		return false;
	if (k->dport < r->port_lo || k->dport > r->port_hi)
		return false;
	const uint8_t *remote = dir == ACL_INGRESS ? k->src : k->dst;
	uint8_t mask[16];
	prefix_bytes(mask, 16, r->remote_len);
	for (int i = 0; i < 16; i++)
		if ((remote[i] ^ r->remote[i]) & mask[i])
			return false;
	return true;
}

/* ---- compiling ---------------------------------------------------------- */

static int subtable_grow(struct acl_subtable *st)
{
	uint32_t old_n = st->slots ? st->slot_mask + 1 : 0, n = old_n ? old_n * 2 : 8;
	struct acl_slot *slots = malloc(n * sizeof(*slots)), *old = st->slots;
	if (!slots)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		slots[i].rule = ACL_NO_MATCH;
	st->slots = slots;
	st->slot_mask = n - 1;
	st->shift = (uint8_t)(64 - __builtin_ctz(n));
	for (uint32_t i = 0; i < old_n; i++) {
		if (old[i].rule == ACL_NO_MATCH)
			continue;
		uint32_t j = home_slot(st, fold(old[i].w[0], old[i].w[1], old[i].w[2]));
		while (slots[j].rule != ACL_NO_MATCH)
			j = (j + 1) & st->slot_mask;
		slots[j] = old[i];
	}
	free(old);
	return 0;
}

static int subtable_insert(struct acl_subtable *st, const uint64_t key[3], uint32_t rule,
			   const struct acl_rule *rules)
{
	/* At most a quarter full: most probes are misses (a packet matches few
	 * shapes), and a miss in linear probing costs 1.4 slots at 1/4 load
	 * but 2.5 at 1/2 (measured: 841 -> see docs/security-groups.md). */
	if ((st->count + 1) * 4 > (st->slots ? st->slot_mask + 1 : 0) && subtable_grow(st))
		return -1;
	uint64_t w[3] = {key[0] & st->mask[0], key[1] & st->mask[1], key[2] & st->mask[2]};
	uint32_t j = home_slot(st, fold(w[0], w[1], w[2]));
	for (;; j = (j + 1) & st->slot_mask) {
		struct acl_slot *s = &st->slots[j];
		if (s->rule == ACL_NO_MATCH) {
			memcpy(s->w, w, sizeof(w));
			s->rule = rule;
			s->priority = rules[rule].spec.priority;
			st->count++;
			break;
		}
		if (!memcmp(s->w, w, sizeof(w))) {
			if (rules[rule].rank < rules[s->rule].rank) {
				s->rule = rule;
				s->priority = rules[rule].spec.priority;
			}
			break;
		}
	}
	if (rules[rule].rank < st->best_rank)
		st->best_rank = rules[rule].rank;
	return 0;
}

static struct acl_subtable *find_shape(struct acl_classifier *cls, int fi, uint8_t proto_set,
				       uint8_t port_len, uint8_t remote_len)
{
	for (size_t i = 0; i < cls->n_subtables[fi]; i++) {
		struct acl_subtable *st = &cls->subtables[fi][i];
		if (st->proto_set == proto_set && st->port_len == port_len &&
		    st->remote_len == remote_len)
			return st;
	}
	size_t n = cls->n_subtables[fi];
	/* One more for the sentinel that ends lookups (acl_compile). */
	struct acl_subtable *grown = realloc(cls->subtables[fi], (n + 2) * sizeof(*grown));
	if (!grown)
		return NULL;
	cls->subtables[fi] = grown;
	cls->n_subtables[fi] = n + 1;
	struct acl_subtable *st = &grown[n];
	memset(st, 0, sizeof(*st));
	st->proto_set = proto_set;
	st->port_len = port_len;
	st->remote_len = remote_len;
	st->best_rank = UINT64_MAX;
	shape_mask(proto_set, port_len, remote_len, st->mask);
	st->port_shift = (uint8_t)(16 - port_len);
	st->ports =
	    port_len ? calloc(((size_t)1 << port_len) / 64 + 1, sizeof(uint64_t)) : any_port;
	if (!st->ports) {
		cls->n_subtables[fi] = n; /* nothing of it to free */
		return NULL;
	}
	return st;
}

/* Inserts rule i for one family, one prefix block of its port range. */
static int insert_block(struct acl_classifier *cls, uint32_t i, uint8_t family, uint16_t port,
			uint8_t port_len)
{
	const struct acl_rule_spec *r = &cls->rules[i].spec;
	uint8_t remote_len = family == 4 && r->remote_len > 32 ? 32 : r->remote_len;
	struct acl_subtable *st =
	    find_shape(cls, family == 6, r->proto != ACL_PROTO_ANY, port_len, remote_len);
	if (!st)
		return -1;
	uint64_t key[3];
	key_words(family, r->proto == ACL_PROTO_ANY ? 0 : (uint8_t)r->proto, port, r->remote, key);
	if (st->ports != any_port) {
		uint32_t block = port >> st->port_shift;
		((uint64_t *)st->ports)[block / 64] |= 1ull << (block % 64);
	}
	return subtable_insert(st, key, i, cls->rules);
}

/* A port range as the largest aligned power-of-two blocks (at most 30). */
static int insert_rule(struct acl_classifier *cls, uint32_t i)
{
	const struct acl_rule_spec *r = &cls->rules[i].spec;
	for (uint8_t family = 4; family <= 6; family += 2) {
		if (r->family && r->family != family)
			continue;
		uint32_t lo = r->port_lo, hi = r->port_hi;
		while (lo <= hi) {
			unsigned bits = 0;
			while (bits < 16 && !(lo & (1u << bits)) && lo + (2u << bits) - 1 <= hi)
				bits++;
			if (insert_block(cls, i, family, (uint16_t)lo, (uint8_t)(16 - bits)))
				return -1;
			lo += 1u << bits;
		}
	}
	return 0;
}

static int by_rank(const void *a, const void *b)
{
	const struct acl_subtable *x = a, *y = b;
	return x->best_rank < y->best_rank ? -1 : x->best_rank > y->best_rank;
}

struct acl_classifier *acl_compile(const struct acl_rule *rules, size_t n, enum acl_direction dir)
{
	struct acl_classifier *cls = calloc(1, sizeof(*cls));
	if (!cls)
		return NULL;
	cls->gen = __atomic_fetch_add(&next_gen, 1, __ATOMIC_RELAXED);
	cls->direction = (uint8_t)dir;
	cls->rules = calloc(n ? n : 1, sizeof(*cls->rules));
	if (!cls->rules)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (rules[i].spec.direction != dir)
			continue;
		struct acl_rule *r = &cls->rules[cls->n_rules];
		*r = rules[i];
		r->packets = r->bytes = 0;
		r->rank = (uint64_t)r->spec.priority << 32 | cls->n_rules;
		if (insert_rule(cls, (uint32_t)cls->n_rules++))
			goto fail;
	}
	for (int fi = 0; fi < 2; fi++) {
		size_t ns = cls->n_subtables[fi];
		if (!ns && !(cls->subtables[fi] = malloc(sizeof(struct acl_subtable))))
			goto fail;
		qsort(cls->subtables[fi], ns, sizeof(struct acl_subtable), by_rank);
		/* A sentinel no rank is better than: the lookup loop needs no
		 * test of the end. */
		memset(&cls->subtables[fi][ns], 0, sizeof(struct acl_subtable));
		cls->subtables[fi][ns].best_rank = UINT64_MAX;
	}
	return cls;
fail:
	acl_classifier_destroy(cls);
	return NULL;
}

void acl_classifier_destroy(struct acl_classifier *cls)
{
	if (!cls)
		return;
	for (int fi = 0; fi < 2; fi++) {
		for (size_t i = 0; i < cls->n_subtables[fi]; i++) {
			struct acl_subtable *st = &cls->subtables[fi][i];
			free(st->slots);
			if (st->ports != any_port)
				free((uint64_t *)st->ports);
		}
		free(cls->subtables[fi]);
	}
	free(cls->rules);
	free(cls);
}

size_t acl_classifier_shapes(const struct acl_classifier *cls)
{
	return cls ? cls->n_subtables[0] + cls->n_subtables[1] : 0;
}

/* ---- looking up --------------------------------------------------------- */

/* A slot's rule's rank (acl_rule.rank: priority, then position). */
static inline uint64_t slot_rank(const struct acl_slot *s)
{
	return (uint64_t)s->priority << 32 | s->rule;
}

/* Whether the subtable holds the block of destination port `port`. */
static inline bool holds_port(const struct acl_subtable *st, uint32_t port)
{
	uint32_t block = port >> st->port_shift;
	return st->ports[block / 64] >> (block % 64) & 1;
}

/* IPv4 and IPv6 have a loop each: an IPv4 key is one word (words 1 and 2
 * are zero in keys and slots alike), so its probe masks, hashes and
 * compares one word, with no test of the family per subtable. */
static inline __attribute__((always_inline)) uint32_t classify4(const struct acl_subtable *st,
								uint64_t key)
{
	uint64_t best = UINT64_MAX;
	uint32_t found = ACL_NO_MATCH;
	uint32_t port = (uint32_t)(key >> 16) & 0xffff;
	for (; st->best_rank < best; st++) {
		if (!holds_port(st, port))
			continue;
		uint64_t w = key & st->mask[0];
		uint32_t j = home_slot(st, w);
		/* Most probes end at an empty home slot: one test. */
		for (const struct acl_slot *s = &st->slots[j]; s->rule != ACL_NO_MATCH;
		     j = (j + 1) & st->slot_mask, s = &st->slots[j]) {
			if (s->w[0] == w) {
				if (slot_rank(s) < best)
					best = slot_rank(s), found = s->rule;
				break;
			}
		}
	}
	return found;
}

static uint32_t classify6(const struct acl_subtable *st, const uint64_t key[3])
{
	uint64_t best = UINT64_MAX;
	uint32_t found = ACL_NO_MATCH;
	uint32_t port = (uint32_t)(key[0] >> 16) & 0xffff;
	for (; st->best_rank < best; st++) {
		if (!holds_port(st, port))
			continue;
		uint64_t w0 = key[0] & st->mask[0], w1 = key[1] & st->mask[1],
			 w2 = key[2] & st->mask[2];
		for (uint32_t j = home_slot(st, fold(w0, w1, w2));; j = (j + 1) & st->slot_mask) {
			const struct acl_slot *s = &st->slots[j];
			if (s->rule == ACL_NO_MATCH)
				break;
			if (s->w[0] == w0 && s->w[1] == w1 && s->w[2] == w2) {
				if (slot_rank(s) < best)
					best = slot_rank(s), found = s->rule;
				break;
			}
		}
	}
	return found;
}

static inline __attribute__((always_inline)) uint32_t classify(const struct acl_classifier *cls,
							       const struct flow_key *k)
{
	bool v6 = k->family == 6;
	uint64_t key[3];
	key_words(k->family, k->proto, k->dport, cls->direction == ACL_INGRESS ? k->src : k->dst,
		  key);
	const struct acl_subtable *st = cls->subtables[v6];
	return v6 ? classify6(st, key) : classify4(st, key[0]);
}

uint32_t acl_classify(const struct acl_classifier *cls, const struct flow_key *k)
{
	return classify(cls, k);
}

/* ---- the two hooks ------------------------------------------------------ */

void acl_port_destroy(struct acl_port *acl)
{
	if (!acl)
		return;
	acl_classifier_destroy(acl->cls[0]);
	acl_classifier_destroy(acl->cls[1]);
	conntrack_destroy(acl->ct);
	free(acl);
}

static void count_rule(struct acl_classifier *cls, uint32_t rule, uint32_t len)
{
	cls->rules[rule].packets++;
	cls->rules[rule].bytes += len;
}

int acl_filter_packet(struct acl_port *acl, enum acl_direction dir, const uint8_t *data,
		      uint32_t len, uint32_t now)
{
	struct flow_key k;
	switch (flow_key_parse(data, len, &k)) {
	case FLOW_ALWAYS:
		return DROP_NONE;
	case FLOW_MALFORMED:
		return DROP_ACL_BAD_HEADER;
	case FLOW_NOT_IP:
		return DROP_ACL_DENY;
	case FLOW_IP:
		break;
	}
	/* A VM asks for its address (Neutron allows it before any rule). */
	if (k.flags & (dir == ACL_EGRESS ? FLOW_F_DHCP_CLIENT : FLOW_F_DHCP_SERVER))
		return DROP_NONE;
	struct ct_entry *e = conntrack_lookup(acl->ct, &k, dir, now);
	if (e) {
		struct acl_classifier *opener = acl->cls[e->origin];
		if (opener && opener->gen == e->gen && e->rule < opener->n_rules)
			count_rule(opener, e->rule, len);
		return DROP_NONE;
	}
	struct acl_classifier *cls = acl->cls[dir];
	uint32_t rule = cls ? classify(cls, &k) : ACL_NO_MATCH;
	if (rule == ACL_NO_MATCH)
		return DROP_ACL_DENY;
	/* A SYN-ACK answers a SYN: without its connection it is forged or
	 * stale, whatever the rules say (Linux and OVS call it invalid). */
	if (k.proto == FLOW_IPPROTO_TCP &&
	    (k.tcp_flags & (FLOW_TCP_SYN | FLOW_TCP_ACK)) == (FLOW_TCP_SYN | FLOW_TCP_ACK))
		return DROP_CONNTRACK_INVALID;
	uint64_t full = acl->ct->full;
	e = conntrack_commit(acl->ct, &k, dir, now);
	if (!e && acl->ct->full != full)
		return DROP_CONNTRACK_FULL;
	if (e) {
		e->rule = rule;
		e->gen = cls->gen;
	}
	count_rule(cls, rule, len);
	return DROP_NONE;
}

void acl_from_vm_batch(struct vswitch *sw, struct bridge_port *in, struct packet_batch *batch)
{
	struct acl_port *acl = in->acl;
	const bool threads = sw->n_threads > 1;
	if (UNLIKELY(threads))
		spin_lock(&acl->ct->lock);
	conntrack_expire(acl->ct, sw->now, ACL_SWEEP_PER_BATCH);
	uint32_t kept = 0;
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		int why = p->drop ? DROP_NONE
				  : acl_filter_packet(acl, ACL_EGRESS, p->data, p->len, sw->now);
		if (UNLIKELY(why != DROP_NONE)) {
			port_count_drop(in, (enum drop_reason)why, 1);
			packet_free(p);
			continue;
		}
		batch->packets[kept++] = p;
	}
	batch->count = kept;
	if (UNLIKELY(threads))
		spin_unlock(&acl->ct->lock);
}

void acl_to_vm_queue(struct bridge_port *out, struct packet_batch *q)
{
	struct acl_port *acl = out->acl;
	const bool threads = out->sw->n_threads > 1;
	uint32_t now = out->sw->now;
	if (UNLIKELY(threads))
		spin_lock(&acl->ct->lock);
	uint32_t kept = 0;
	for (uint32_t i = 0; i < q->count; i++) {
		struct packet *p = q->packets[i];
		int why = acl_filter_packet(acl, ACL_INGRESS, p->data, p->len, now);
		if (UNLIKELY(why != DROP_NONE)) {
			port_count_tx_drop(out, (enum drop_reason)why, 1);
			packet_free(p);
			continue;
		}
		q->packets[kept++] = p;
	}
	q->count = kept;
	if (UNLIKELY(threads))
		spin_unlock(&acl->ct->lock);
}
