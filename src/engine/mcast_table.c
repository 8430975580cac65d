/* mcast_table.c — the snooping table: groups keyed by (VLAN, address) in a
 * chained hash over a fixed pool, each with the bit set of its member ports
 * (what forwarding reads) and a list of memberships (port, expiry) that
 * reports refresh and housekeeping ages. Everything is allocated once at
 * creation: a VM that sends joins fills the pool, it never grows it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

_Static_assert(sizeof(((struct mcast_group *)0)->ports) == PORT_SET_WORDS * 8, "port set");
_Static_assert(ARRAY_SIZE(((struct mcast_table *)0)->port_groups) == SWITCH_MAX_PORTS, "ports");

struct mcast_table *mcast_table_create(uint32_t max_groups)
{
	if (!max_groups || max_groups > MCAST_MAX_GROUPS)
		return NULL;
	struct mcast_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->max_groups = max_groups;
	t->max_members = max_groups * MCAST_MEMBERS_PER_GROUP;
	t->n_buckets = 1;
	while (t->n_buckets < max_groups)
		t->n_buckets <<= 1;
	t->buckets = calloc(t->n_buckets, sizeof(*t->buckets));
	t->groups = calloc(max_groups, sizeof(*t->groups));
	t->members = calloc(t->max_members, sizeof(*t->members));
	if (!t->buckets || !t->groups || !t->members) {
		mcast_table_destroy(t);
		return NULL;
	}
	for (uint32_t i = 0; i < max_groups; i++)
		t->groups[i].next = i + 1 < max_groups ? i + 2 : 0;
	for (uint32_t i = 0; i < t->max_members; i++)
		t->members[i].next = i + 1 < t->max_members ? i + 2 : 0;
	t->free_group = 1;
	t->free_member = 1;
	return t;
}

void mcast_table_destroy(struct mcast_table *t)
{
	if (!t)
		return;
	free(t->buckets);
	free(t->groups);
	free(t->members);
	free(t);
}

static uint32_t bucket_of(const struct mcast_table *t, uint16_t vid, const struct mcast_addr *a)
{
	uint64_t hi, lo;
	memcpy(&hi, a->b, 8);
	memcpy(&lo, a->b + 8, 8);
	return (uint32_t)hash_u64(hi ^ (lo * 0x9e3779b97f4a7c15ULL) ^ vid) & (t->n_buckets - 1);
}

const struct mcast_group *mcast_table_find(const struct mcast_table *t, uint16_t vid,
					   const struct mcast_addr *addr)
{
	for (uint32_t i = t->buckets[bucket_of(t, vid, addr)]; i; i = t->groups[i - 1].next) {
		const struct mcast_group *g = &t->groups[i - 1];
		if (g->vid == vid && !memcmp(g->addr.b, addr->b, 16))
			return g;
	}
	return NULL;
}

static struct mcast_group *find_mutable(struct mcast_table *t, uint16_t vid,
					const struct mcast_addr *addr)
{
	return (struct mcast_group *)mcast_table_find(t, vid, addr);
}

static void remove_group(struct mcast_table *t, struct mcast_group *g)
{
	uint32_t index = (uint32_t)(g - t->groups) + 1;
	uint32_t *link = &t->buckets[bucket_of(t, g->vid, &g->addr)];
	while (*link != index)
		link = &t->groups[*link - 1].next;
	*link = g->next;
	memset(g, 0, sizeof(*g));
	g->next = t->free_group;
	t->free_group = index;
	t->n_groups--;
}

/* Unlinks the member at *link (index + 1) from g. */
static void remove_member(struct mcast_table *t, struct mcast_group *g, uint32_t *link)
{
	uint32_t index = *link;
	struct mcast_member *m = &t->members[index - 1];
	*link = m->next;
	bitset_clear(g->ports, m->port);
	t->port_groups[m->port]--;
	g->n_members--;
	m->next = t->free_member;
	t->free_member = index;
	t->n_members--;
}

int mcast_table_join(struct mcast_table *t, uint16_t vid, const struct mcast_addr *addr,
		     uint16_t port, uint32_t now, uint32_t expires, uint32_t max_port_groups)
{
	struct mcast_group *g = find_mutable(t, vid, addr);
	if (g)
		for (uint32_t i = g->members; i; i = t->members[i - 1].next)
			if (t->members[i - 1].port == port) {
				t->members[i - 1].expires = expires;
				return 0;
			}
	if (max_port_groups && t->port_groups[port] >= max_port_groups)
		return -EDQUOT;
	if (!t->free_member || (!g && !t->free_group))
		return -ENOSPC;
	if (!g) {
		uint32_t index = t->free_group;
		g = &t->groups[index - 1];
		t->free_group = g->next;
		memset(g, 0, sizeof(*g));
		g->vid = vid;
		g->addr = *addr;
		uint32_t *bucket = &t->buckets[bucket_of(t, vid, addr)];
		g->next = *bucket;
		*bucket = index;
		t->n_groups++;
	}
	uint32_t index = t->free_member;
	struct mcast_member *m = &t->members[index - 1];
	t->free_member = m->next;
	*m = (struct mcast_member){
	    .next = g->members, .port = port, .expires = expires, .joined = now};
	g->members = index;
	g->n_members++;
	bitset_set(g->ports, port);
	t->port_groups[port]++;
	t->n_members++;
	return 0;
}

bool mcast_table_leave(struct mcast_table *t, uint16_t vid, const struct mcast_addr *addr,
		       uint16_t port, uint32_t now, uint32_t linger)
{
	struct mcast_group *g = find_mutable(t, vid, addr);
	if (!g)
		return false;
	for (uint32_t *link = &g->members; *link; link = &t->members[*link - 1].next) {
		struct mcast_member *m = &t->members[*link - 1];
		if (m->port != port)
			continue;
		if (linger) {
			if (m->expires > now + linger)
				m->expires = now + linger;
		} else {
			remove_member(t, g, link);
			if (!g->n_members)
				remove_group(t, g);
		}
		return true;
	}
	return false;
}

uint32_t mcast_table_expire(struct mcast_table *t, uint32_t now, uint16_t port, bool all)
{
	uint32_t removed = 0;
	for (uint32_t gi = 0; gi < t->max_groups && t->n_groups; gi++) {
		struct mcast_group *g = &t->groups[gi];
		if (!g->n_members)
			continue;
		for (uint32_t *link = &g->members; *link;) {
			const struct mcast_member *m = &t->members[*link - 1];
			bool gone =
			    all || (port != PORT_INDEX_NONE ? m->port == port
							    : (int32_t)(m->expires - now) <= 0);
			if (gone) {
				remove_member(t, g, link);
				removed++;
			} else {
				link = &t->members[*link - 1].next;
			}
		}
		if (!g->n_members)
			remove_group(t, g);
	}
	return removed;
}

void mcast_table_foreach(const struct mcast_table *t, mcast_visit_fn *visit, void *ctx)
{
	for (uint32_t gi = 0; gi < t->max_groups; gi++) {
		const struct mcast_group *g = &t->groups[gi];
		if (g->n_members)
			visit(g, &t->members[g->members - 1], t, ctx);
	}
}
