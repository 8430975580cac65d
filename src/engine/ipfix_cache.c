/* ipfix_cache.c — see ipfix_cache.h. The table is a dense array of entries
 * (so that expiry walks only live flows) with chained buckets of indexes;
 * removing an entry moves the last one into its place. A full cache
 * refuses new flows, counted (`refused`), rather than evicting: the flows
 * it holds stay exact, and `ipfix show` tells the operator to raise
 * max-flows. Sampling is deterministic, systematic count-based (RFC 5475
 * §6.1: every Nth packet the switch forwards on the switch, whatever its
 * flow), so a test can predict it and a collector scales by N. */
#include "ipfix_cache.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "flow_key.h"

#define NO_ENTRY UINT32_MAX

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

struct ipfix_cache *ipfix_cache_create(const struct ipfix_cache_config *config)
{
	if (!config->max_flows || config->max_flows > IPFIX_MAX_FLOWS_LIMIT)
		return NULL;
	struct ipfix_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->config = *config;
	if (!c->config.sampling)
		c->config.sampling = 1;
	c->countdown = c->config.sampling;
	c->n_buckets = pow2_at_least(config->max_flows * 2);
	c->ring_slots = pow2_at_least(config->max_flows < 1024 ? 1024 : config->max_flows);
	c->buckets = malloc(c->n_buckets * sizeof(*c->buckets));
	c->entries = calloc(config->max_flows, sizeof(*c->entries));
	c->ring = calloc(c->ring_slots, sizeof(*c->ring));
	if (!c->buckets || !c->entries || !c->ring) {
		ipfix_cache_destroy(c);
		return NULL;
	}
	memset(c->buckets, 0xff, c->n_buckets * sizeof(*c->buckets));
	return c;
}

void ipfix_cache_destroy(struct ipfix_cache *c)
{
	if (!c)
		return;
	if (c->sink_free)
		c->sink_free(c->sink_ctx);
	free(c->buckets);
	free(c->entries);
	free(c->ring);
	free(c);
}

struct ipfix_cache *ipfix_cache_install(struct vswitch *sw, struct ipfix_cache *c)
{
	struct ipfix_cache *old = sw->ipfix;
	sw->ipfix = c;
	return old;
}

static uint64_t key_hash(const struct ipfix_flow_key *k)
{
	uint64_t words[(sizeof(*k) + 7) / 8] = {0};
	memcpy(words, k, sizeof(*k));
	/* One multiply per word, one finaliser for all: the table's low bits
	 * (the bucket) see every input bit. */
	uint64_t h = 0;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		h = (h ^ words[i]) * 0x9e3779b97f4a7c15ull + (h >> 29);
	return hash_u64(h);
}

/* The frame's flow key, IP bytes and TCP flags. */
static void read_flow(const struct packet *p, uint16_t in, struct ipfix_flow_key *k,
		      uint64_t *ip_bytes, uint8_t *tcp_flags)
{
	memset(k, 0, sizeof(*k));
	k->vid = p->vid;
	k->in_port = in;
	k->out_port = p->out_port == FORWARD_FLOOD ? PORT_INDEX_NONE : p->out_port;
	uint32_t l3 = p->flags & PACKET_F_INLINE_TAG ? 18 : 14;
	k->ethertype = p->len >= l3 ? load_be16(p->data + l3 - 2) : 0;
	*ip_bytes = 0;
	*tcp_flags = 0;
	struct flow_key f;
	enum flow_kind kind = flow_key_parse(p->data, p->len, &f);
	bool ip = (k->ethertype == ETH_TYPE_IPV4 || k->ethertype == ETH_TYPE_IPV6) &&
		  (kind == FLOW_IP || kind == FLOW_ALWAYS) && f.family;
	if (!ip) {
		memcpy(k->dst_mac, p->data, 6);
		memcpy(k->src_mac, p->data + 6, 6);
		return;
	}
	k->family = f.family;
	k->proto = f.proto;
	k->sport = f.sport;
	k->dport = f.dport;
	memcpy(k->src, f.src, sizeof(k->src));
	memcpy(k->dst, f.dst, sizeof(k->dst));
	*tcp_flags = f.proto == FLOW_IPPROTO_TCP ? f.tcp_flags : 0;
	/* flow_key_parse checked that these lengths fit the frame. */
	const uint8_t *h = p->data + l3;
	*ip_bytes = f.family == 4 ? load_be16(h + 2) : 40u + load_be16(h + 4);
}

static struct ipfix_entry *find_or_add(struct ipfix_cache *c, const struct ipfix_flow_key *k,
				       uint64_t now_ms)
{
	uint64_t hash = key_hash(k);
	uint32_t b = (uint32_t)hash & (c->n_buckets - 1);
	for (uint32_t i = c->buckets[b]; i != NO_ENTRY; i = c->entries[i].next) {
		struct ipfix_entry *e = &c->entries[i];
		if (e->hash == hash && !memcmp(&e->r.key, k, sizeof(*k)))
			return e;
	}
	if (c->count == c->config.max_flows)
		return NULL;
	struct ipfix_entry *e = &c->entries[c->count];
	memset(e, 0, sizeof(*e));
	e->r.key = *k;
	e->r.start_ms = now_ms;
	e->hash = hash;
	e->next = c->buckets[b];
	c->buckets[b] = c->count++;
	c->stats.flows++;
	return e;
}

void ipfix_cache_batch(struct ipfix_cache *c, const struct bridge_port *in,
		       const struct packet_batch *batch, uint64_t now_ms)
{
	const uint32_t n = c->config.sampling;
	for (uint32_t i = 0; i < batch->count; i++) {
		const struct packet *p = batch->packets[i];
		if (p->drop)
			continue;
		if (n > 1 && --c->countdown) {
			c->stats.skipped++;
			continue;
		}
		c->countdown = n;
		struct ipfix_flow_key k;
		uint64_t ip_bytes;
		uint8_t flags;
		read_flow(p, in->index, &k, &ip_bytes, &flags);
		struct ipfix_entry *e = find_or_add(c, &k, now_ms);
		if (!e) {
			c->stats.refused++;
			continue;
		}
		e->r.packets++;
		e->r.octets += ip_bytes;
		e->r.l2_octets += p->len;
		e->r.tcp_flags |= flags;
		e->r.end_ms = now_ms;
		c->stats.packets++;
	}
}

static uint64_t now_realtime_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void ipfix_switch_batch(struct vswitch *sw, const struct bridge_port *in,
			const struct packet_batch *batch)
{
	struct ipfix_cache *c = sw->ipfix;
	uint64_t now = now_realtime_ms();
	if (sw->n_threads > 1)
		spin_lock(&c->lock);
	ipfix_cache_batch(c, in, batch, now);
	if (sw->n_threads > 1)
		spin_unlock(&c->lock);
}

/* Unlinks entry i from its bucket and moves the last entry into its place. */
static void remove_entry(struct ipfix_cache *c, uint32_t i)
{
	uint32_t *link = &c->buckets[(uint32_t)c->entries[i].hash & (c->n_buckets - 1)];
	while (*link != i)
		link = &c->entries[*link].next;
	*link = c->entries[i].next;
	uint32_t last = --c->count;
	if (i == last)
		return;
	link = &c->buckets[(uint32_t)c->entries[last].hash & (c->n_buckets - 1)];
	while (*link != last)
		link = &c->entries[*link].next;
	*link = i;
	c->entries[i] = c->entries[last];
}

static void push(struct ipfix_cache *c, const struct ipfix_record *r)
{
	uint64_t tail = __atomic_load_n(&c->tail, __ATOMIC_ACQUIRE);
	if (c->head - tail >= c->ring_slots) {
		c->stats.ring_full++;
		return;
	}
	c->ring[c->head & (c->ring_slots - 1)] = *r;
	__atomic_store_n(&c->head, c->head + 1, __ATOMIC_RELEASE);
	c->stats.expired++;
}

uint32_t ipfix_cache_expire(struct ipfix_cache *c, uint64_t now_ms, bool all)
{
	uint32_t ended = 0;
	for (uint32_t i = 0; i < c->count;) {
		struct ipfix_record *r = &c->entries[i].r;
		if (all)
			r->end_reason = IPFIX_END_FORCED;
		/* The wall clock may step back: a flow is never older than 0. */
		else if (now_ms >= r->end_ms && now_ms - r->end_ms >= c->config.idle_ms)
			r->end_reason = IPFIX_END_IDLE;
		else if (now_ms >= r->start_ms && now_ms - r->start_ms >= c->config.active_ms)
			r->end_reason = IPFIX_END_ACTIVE;
		else {
			i++;
			continue;
		}
		push(c, r);
		remove_entry(c, i);
		ended++;
	}
	return ended;
}

void ipfix_switch_run(struct vswitch *sw)
{
	struct ipfix_cache *c = sw->ipfix;
	uint64_t now = now_realtime_ms();
	if (sw->n_threads > 1)
		spin_lock(&c->lock);
	ipfix_cache_expire(c, now, false);
	if (sw->n_threads > 1)
		spin_unlock(&c->lock);
}

bool ipfix_cache_pop(struct ipfix_cache *c, struct ipfix_record *out)
{
	uint64_t head = __atomic_load_n(&c->head, __ATOMIC_ACQUIRE);
	if (c->tail == head)
		return false;
	*out = c->ring[c->tail & (c->ring_slots - 1)];
	__atomic_store_n(&c->tail, c->tail + 1, __ATOMIC_RELEASE);
	return true;
}

uint32_t ipfix_cache_flows(const struct ipfix_cache *c)
{
	return __atomic_load_n(&c->count, __ATOMIC_RELAXED);
}
