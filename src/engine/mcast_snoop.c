/* mcast_snoop.c — IGMP/MLD snooping's running state and its two entry
 * points: the pipeline's hook, which learns from IGMP/MLD on the ingress
 * port's thread and sends snooped multicast to member and router ports
 * only, and housekeeping, which ages memberships and router ports and runs
 * the querier. RFC 4541's rules: reports and leaves go to router ports
 * only (no report suppression: routers see every host's report), queries
 * and link-local groups flood, unregistered groups flood or go to routers
 * (mcast-flood-unknown). docs/mcast.md says why. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "lib/gso.h"
#include "lib/log.h"

_Static_assert(ARRAY_SIZE(((struct mcast_state *)0)->port_owner) == SWITCH_MAX_PORTS, "ports");
_Static_assert(ARRAY_SIZE(((struct mcast_config *)0)->querier_vids) == VLAN_WORDS, "vlans");

void mcast_config_init(struct mcast_config *c)
{
	memset(c, 0, sizeof(*c));
	c->flood_unknown = true;
	c->fast_leave = true;
	c->max_groups = MCAST_DEFAULT_MAX_GROUPS;
	c->max_port_groups = MCAST_DEFAULT_MAX_PORT_GROUPS;
	c->membership_interval = MCAST_DEFAULT_MEMBERSHIP;
	c->router_timeout = MCAST_DEFAULT_ROUTER_TIMEOUT;
	c->query_interval = MCAST_DEFAULT_QUERY_INTERVAL;
}

static void free_state(struct mcast_state *m)
{
	if (!m)
		return;
	mcast_table_destroy(m->table);
	free(m->routers);
	free(m->vlans);
	free(m);
}

void mcast_destroy(struct vswitch *sw)
{
	free_state(sw->mcast);
	sw->mcast = NULL;
}

/* The ports set to mcast-router yes / no, read from the ports' settings. */
static void static_routers(struct vswitch *sw, struct mcast_state *m)
{
	memset(m->yes_routers, 0, sizeof(m->yes_routers));
	memset(m->no_routers, 0, sizeof(m->no_routers));
	for (uint16_t i = 0; i < sw->n_ports; i++) {
		const struct bridge_port *p = sw->ports[i];
		if (p && p->config.mcast.router == MCAST_ROUTER_YES)
			bitset_set(m->yes_routers, i);
		if (p && p->config.mcast.router == MCAST_ROUTER_NO)
			bitset_set(m->no_routers, i);
	}
}

void mcast_configure(struct vswitch *sw)
{
	const struct mcast_config *c = &sw->config.mcast;
	if (!c->enabled) {
		mcast_destroy(sw);
		return;
	}
	struct mcast_state *m = sw->mcast;
	if (m && m->table->max_groups == c->max_groups) {
		static_routers(sw, m);
		return;
	}
	struct mcast_state *fresh = calloc(1, sizeof(*fresh));
	if (fresh) {
		fresh->table = mcast_table_create(c->max_groups);
		fresh->routers = calloc(VLAN_COUNT, sizeof(*fresh->routers));
		fresh->vlans = calloc(VLAN_COUNT, sizeof(*fresh->vlans));
	}
	if (!fresh || !fresh->table || !fresh->routers || !fresh->vlans) {
		free_state(fresh);
		log_error("switch %s: out of memory for %u multicast groups: snooping stays off, "
			  "multicast floods",
			  sw->name, c->max_groups);
		return;
	}
	if (m) { /* counters, routers and queriers stay across a resize; groups start over */
		fresh->counters = m->counters;
		memcpy(fresh->port_refused, m->port_refused, sizeof(m->port_refused));
		memcpy(fresh->routers, m->routers, VLAN_COUNT * sizeof(*m->routers));
		memcpy(fresh->router_list, m->router_list, sizeof(m->router_list));
		fresh->n_routers = m->n_routers;
		memcpy(fresh->vlans, m->vlans, VLAN_COUNT * sizeof(*m->vlans));
	}
	mcast_destroy(sw);
	static_routers(sw, fresh);
	sw->mcast = fresh;
}

void mcast_flush(struct vswitch *sw)
{
	struct mcast_state *m = sw->mcast;
	if (!m)
		return;
	mcast_table_expire(m->table, sw->now, PORT_INDEX_NONE, true);
	m->n_routers = 0;
	memset(m->routers, 0, VLAN_COUNT * sizeof(*m->routers));
}

/* ---- the pipeline's hook ------------------------------------------------- */

static void learn_router(struct vswitch *sw, struct mcast_state *m, const struct bridge_port *in,
			 uint16_t vid)
{
	if (in->config.mcast.router != MCAST_ROUTER_AUTO)
		return;
	uint32_t expires = sw->now + sw->config.mcast.router_timeout;
	for (uint16_t i = 0; i < m->n_routers; i++) {
		struct mcast_router_entry *r = &m->router_list[i];
		if (r->vid == vid && r->port == in->index) {
			r->expires = expires;
			return;
		}
	}
	if (m->n_routers == MCAST_MAX_ROUTERS)
		return; /* full: the port still gets its VLAN's queries and floods */
	m->router_list[m->n_routers++] =
	    (struct mcast_router_entry){.vid = vid, .port = in->index, .expires = expires};
	bitset_set(m->routers[vid], in->index);
}

/* Our address against another querier's: the lower wins (RFC 3376 6.6.2,
 * RFC 3810 7.6.2); our unset address loses to anyone, a proxy's 0 to us. */
static bool other_wins(const struct mcast_addr *other, const uint8_t *ours, size_t len)
{
	static const uint8_t zero[16];
	const uint8_t *theirs = other->b + 16 - len;
	if (!memcmp(theirs, zero, len))
		return false;
	return !memcmp(ours, zero, len) || memcmp(theirs, ours, len) < 0;
}

static void heard_query(struct vswitch *sw, struct mcast_state *m, const struct mcast_msg *msg,
			uint16_t vid)
{
	const struct mcast_config *c = &sw->config.mcast;
	struct mcast_vlan_state *v = &m->vlans[vid];
	uint32_t until = sw->now + 2 * c->query_interval + 5;
	if (msg->v6 && other_wins(&msg->src, c->querier_address6, 16)) {
		v->other_until6 = until;
		v->other6 = msg->src;
	} else if (!msg->v6) {
		uint8_t ours[4];
		store_be32(ours, c->querier_address);
		if (other_wins(&msg->src, ours, 4)) {
			v->other_until4 = until;
			v->other4 = msg->src;
		}
	}
}

static void refuse(struct mcast_state *m, const struct bridge_port *in, int error)
{
	if (error == -EDQUOT)
		m->counters.refused_port++;
	else
		m->counters.refused_switch++;
	m->port_refused[in->index]++;
}

/* A join of one group: false if refused. Link-local groups are not kept. */
static bool join(struct vswitch *sw, struct mcast_state *m, const struct bridge_port *in,
		 uint16_t vid, const struct mcast_addr *group)
{
	const struct mcast_config *c = &sw->config.mcast;
	if (mcast_addr_link_local(group))
		return true;
	if (m->port_owner[in->index] != in) { /* a new port at this index */
		mcast_table_expire(m->table, sw->now, in->index, false);
		m->port_owner[in->index] = in;
	}
	int error = mcast_table_join(m->table, vid, group, in->index, sw->now,
				     sw->now + c->membership_interval, c->max_port_groups);
	if (error)
		refuse(m, in, error);
	return !error;
}

static void leave(struct vswitch *sw, struct mcast_state *m, const struct bridge_port *in,
		  uint16_t vid, const struct mcast_addr *group)
{
	const struct mcast_config *c = &sw->config.mcast;
	m->counters.leaves++;
	mcast_table_leave(m->table, vid, group, in->index, sw->now,
			  c->fast_leave ? 0 : MCAST_LAST_MEMBER_SECONDS);
}

/* A report: false if every join in it was refused (the frame is then
 * dropped, so the router does not send what no one here will get). */
static bool report(struct vswitch *sw, struct mcast_state *m, const struct bridge_port *in,
		   uint16_t vid, struct mcast_msg *msg)
{
	m->counters.reports++;
	if (!msg->records)
		return join(sw, m, in, vid, &msg->group);
	bool any = false, refused = false;
	struct mcast_record r;
	while (mcast_next_record(msg, &r)) {
		if (!r.join) {
			leave(sw, m, in, vid, &r.group);
			any = true;
		} else if (join(sw, m, in, vid, &r.group)) {
			any = true;
		} else {
			refused = true;
		}
	}
	return any || !refused;
}

enum mcast_verdict {
	TO_FLOOD,   /* leave it in the batch: flooded (or dropped: p->drop) */
	TO_ROUTERS, /* the VLAN's router ports */
	TO_GROUP,   /* the group's member ports and the router ports */
};

/* Where a frame goes; *members set for TO_GROUP. */
static enum mcast_verdict decide(struct vswitch *sw, struct mcast_state *m,
				 const struct bridge_port *in, struct packet *p,
				 struct mcast_msg *msg, const uint64_t **members)
{
	const uint16_t vid = p->vid;
	switch (msg->kind) {
	case MCAST_QUERY:
		m->counters.queries++;
		learn_router(sw, m, in, vid);
		heard_query(sw, m, msg, vid);
		return TO_FLOOD;
	case MCAST_ROUTER:
		m->counters.router_hellos++;
		learn_router(sw, m, in, vid);
		return TO_FLOOD;
	case MCAST_REPORT:
		if (!report(sw, m, in, vid, msg)) {
			p->drop = DROP_MCAST_LIMIT;
			return TO_FLOOD;
		}
		return TO_ROUTERS;
	case MCAST_LEAVE:
		leave(sw, m, in, vid, &msg->group);
		return TO_ROUTERS;
	case MCAST_DATA: {
		const struct mcast_group *g = mcast_table_find(m->table, vid, &msg->group);
		if (!g) {
			m->counters.unregistered++;
			return sw->config.mcast.flood_unknown ? TO_FLOOD : TO_ROUTERS;
		}
		m->counters.snooped++;
		*members = g->ports;
		return TO_GROUP;
	}
	case MCAST_MALFORMED:
		m->counters.malformed++;
		p->drop = DROP_MCAST_MALFORMED;
		return TO_FLOOD;
	default:
		return TO_FLOOD;
	}
}

/* The ports a snooped frame goes to: the VLAN's flood set ANDed with its
 * router ports (learned or set yes, less those set no) and the members.
 * Only the words that hold ports are computed. */
static void snooped_ports(const struct vswitch *sw, const struct mcast_state *m,
			  const struct bridge_port *in, uint16_t vid, const uint64_t *members,
			  uint64_t set[PORT_SET_WORDS])
{
	uint64_t flood[PORT_SET_WORDS];
	flood_ports(sw, in, vid, flood);
	const unsigned words = (sw->n_ports + 63u) / 64u;
	for (unsigned w = 0; w < words; w++) {
		uint64_t to = (m->routers[vid][w] | m->yes_routers[w]) & ~m->no_routers[w];
		set[w] = flood[w] & (members ? to | members[w] : to);
	}
	memset(set + words, 0, (PORT_SET_WORDS - words) * sizeof(uint64_t));
}

void mcast_snoop_batch(struct vswitch *sw, struct bridge_port *in, struct packet_batch *batch)
{
	struct mcast_state *m = sw->mcast;
	const bool threads = sw->n_threads > 1;
	bool locked = false;
	uint32_t kept = 0;
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		batch->packets[kept++] = p;
		if (p->drop || p->out_port != FORWARD_FLOOD || !(p->data[0] & 1))
			continue;
		/* IP multicast MACs only: 01:00:5e for IPv4, 33:33 for IPv6. */
		const uint32_t off = p->flags & PACKET_F_INLINE_TAG ? 16 : 12;
		const uint16_t type = load_be16(p->data + off);
		const bool v4 = type == ETH_TYPE_IPV4 && p->data[0] == 0x01 && p->data[1] == 0 &&
				p->data[2] == 0x5e;
		if (!v4 && (type != ETH_TYPE_IPV6 || p->data[0] != 0x33 || p->data[1] != 0x33))
			continue;
		struct mcast_msg msg;
		enum mcast_kind kind = mcast_parse(p->data + off + 2, p->len - off - 2, type, &msg);
		if (kind == MCAST_LINK_LOCAL || kind == MCAST_OTHER)
			continue;
		if (UNLIKELY(threads) && !locked) {
			spin_lock(&m->lock);
			locked = true;
		}
		const uint64_t *members = NULL;
		if (decide(sw, m, in, p, &msg, &members) == TO_FLOOD)
			continue;
		uint64_t set[PORT_SET_WORDS];
		snooped_ports(sw, m, in, p->vid, members, set);
		kept--;
		if (kind != MCAST_DATA && bitset_empty(set, PORT_SET_WORDS)) {
			in->counters.consumed++; /* a report no router needs */
			packet_free(p);
			continue;
		}
		flood_packet_to(sw, in, p, set);
	}
	if (locked)
		spin_unlock(&m->lock);
	batch->count = kept;
}

/* ---- housekeeping -------------------------------------------------------- */

static void age_routers(struct vswitch *sw, struct mcast_state *m)
{
	uint16_t kept = 0;
	for (uint16_t i = 0; i < m->n_routers; i++) {
		struct mcast_router_entry r = m->router_list[i];
		const struct bridge_port *p = sw->ports[r.port];
		if ((int32_t)(r.expires - sw->now) <= 0 || !p || !bitset_test(p->vlans, r.vid) ||
		    p->config.mcast.router != MCAST_ROUTER_AUTO) {
			bitset_clear(m->routers[r.vid], r.port);
			continue;
		}
		m->router_list[kept++] = r;
	}
	m->n_routers = kept;
}

/* The switch's own MAC for queries: locally administered, from its name. */
static void switch_mac(const struct vswitch *sw, uint8_t mac[6])
{
	uint64_t h = 0;
	for (const char *c = sw->name; *c; c++)
		h = hash_u64(h ^ (uint8_t)*c);
	mac_from_u64(h, mac);
	mac[0] = 0x02;
}

/* An IGMPv3 general query (v2 hosts answer it as a v2 query): IPv4 with
 * the router-alert option, TTL 1, to 224.0.0.1. Returns the length. */
static uint16_t build_igmp_query(uint8_t *f, const uint8_t mac[6], uint32_t source,
				 uint32_t interval)
{
	static const uint8_t dst[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	memcpy(f, dst, 6);
	memcpy(f + 6, mac, 6);
	store_be16(f + 12, ETH_TYPE_IPV4);
	uint8_t *ip = f + 14;
	memset(ip, 0, 24 + 12);
	ip[0] = 0x46; /* 24-byte header: router alert */
	store_be16(ip + 2, 24 + 12);
	ip[8] = 1; /* TTL */
	ip[9] = 2; /* IGMP */
	store_be32(ip + 12, source);
	store_be32(ip + 16, 0xe0000001);
	ip[20] = 0x94;
	ip[21] = 4;
	store_be16(ip + 10, csum_fold(csum_partial(ip, 24, 0)));
	uint8_t *q = ip + 24;
	q[0] = 0x11;
	q[1] = 100; /* max response 10 s */
	q[8] = 2;   /* robustness */
	q[9] = (uint8_t)(interval < 128 ? interval : 127);
	store_be16(q + 2, csum_fold(csum_partial(q, 12, 0)));
	return 14 + 24 + 12;
}

/* An MLDv2 general query (MLDv1 hosts read its first 24 bytes): IPv6 with
 * a hop-by-hop router alert, hop limit 1, to ff02::1. */
static uint16_t build_mld_query(uint8_t *f, const uint8_t mac[6], const uint8_t source[16],
				uint32_t interval)
{
	static const uint8_t dst[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
	memcpy(f, dst, 6);
	memcpy(f + 6, mac, 6);
	store_be16(f + 12, ETH_TYPE_IPV6);
	uint8_t *ip = f + 14;
	memset(ip, 0, 40 + 8 + 28);
	ip[0] = 0x60;
	store_be16(ip + 4, 8 + 28);
	ip[6] = 0; /* hop-by-hop */
	ip[7] = 1;
	memcpy(ip + 8, source, 16);
	memcpy(ip + 24, all_nodes, 16);
	uint8_t *hbh = ip + 40;
	hbh[0] = 58;
	hbh[2] = 5; /* router alert, value 0: MLD */
	hbh[3] = 2;
	hbh[6] = 1; /* PadN of 0 */
	uint8_t *q = hbh + 8;
	q[0] = 130;
	store_be16(q + 4, 10000); /* max response ms */
	q[24] = 2;
	q[25] = (uint8_t)(interval < 128 ? interval : 127);
	uint8_t pseudo[40] = {0};
	memcpy(pseudo, ip + 8, 32);
	store_be32(pseudo + 32, 28);
	pseudo[39] = 58;
	store_be16(q + 2, csum_fold(csum_partial(q, 28, csum_partial(pseudo, 40, 0))));
	return 14 + 40 + 8 + 28;
}

static void send_query(struct vswitch *sw, struct mcast_state *m, uint16_t vid, bool v6)
{
	const struct mcast_config *c = &sw->config.mcast;
	uint8_t mac[6];
	switch_mac(sw, mac);
	const uint64_t *set = sw->flood_set[vid];
	for (unsigned w = 0; w < PORT_SET_WORDS; w++)
		for (uint64_t bits = set[w]; bits; bits &= bits - 1) {
			struct bridge_port *out =
			    sw->ports[w * 64 + (unsigned)__builtin_ctzll(bits)];
			struct packet *p = packet_alloc(packet_pool_here(sw->pool));
			if (!p) {
				port_count_tx_drop(out, DROP_NO_BUFFER, 1);
				continue;
			}
			p->len = v6 ? build_mld_query(p->data, mac, c->querier_address6,
						      c->query_interval)
				    : build_igmp_query(p->data, mac, c->querier_address,
						       c->query_interval);
			p->vid = vid;
			p->pcp = 0;
			p->flags = 0;
			egress_enqueue(sw, out, p);
			m->counters.queries_sent++;
		}
}

static void run_querier(struct vswitch *sw, struct mcast_state *m)
{
	static const uint8_t zero[16];
	const struct mcast_config *c = &sw->config.mcast;
	bool sent = false;
	for (unsigned w = 0; w < VLAN_WORDS; w++)
		for (uint64_t bits = c->querier_vids[w] & sw->vids_in_use[w]; bits;
		     bits &= bits - 1) {
			uint16_t vid = (uint16_t)(w * 64 + (unsigned)__builtin_ctzll(bits));
			struct mcast_vlan_state *v = &m->vlans[vid];
			if ((int32_t)(v->next_query - sw->now) > 0)
				continue;
			v->next_query = sw->now + c->query_interval;
			if ((int32_t)(v->other_until4 - sw->now) <= 0)
				send_query(sw, m, vid, false);
			if ((int32_t)(v->other_until6 - sw->now) <= 0 &&
			    memcmp(c->querier_address6, zero, 16))
				send_query(sw, m, vid, true);
			sent = true;
		}
	if (sent)
		egress_flush(sw);
}

void mcast_run(struct vswitch *sw, uint32_t now)
{
	struct mcast_state *m = sw->mcast;
	(void)now; /* sw->now is set */
	for (uint16_t i = 0; i < SWITCH_MAX_PORTS; i++)
		if (m->port_owner[i] && (i >= sw->n_ports || sw->ports[i] != m->port_owner[i])) {
			mcast_table_expire(m->table, sw->now, i, false);
			m->port_owner[i] = NULL;
		}
	mcast_table_expire(m->table, sw->now, PORT_INDEX_NONE, false);
	age_routers(sw, m);
	static_routers(sw, m);
	run_querier(sw, m);
}
