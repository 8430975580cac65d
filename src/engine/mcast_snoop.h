/* mcast_snoop.h — IGMP (v1, v2, v3) and MLD (v1, v2) snooping per VLAN
 * (issue 13): the switch learns from reports and leaves which ports want
 * which group, and from queries (and PIM hellos) where the multicast
 * routers are, and sends a group's traffic only to its member ports and the
 * router ports of its VLAN. The switch setting is struct mcast_config (a
 * field of switch_config), the port setting struct mcast_port_config (a
 * field of port_config); the running state, struct mcast_state, hangs off
 * the switch only while snooping is on. Sectioned by the file that defines
 * each part; docs/mcast.md says why it works as it does. */
#ifndef VSWITCH_MCAST_SNOOP_H
#define VSWITCH_MCAST_SNOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/packet.h"
#include "lib/spinlock.h"

struct bridge_port;
struct vswitch;

#define MCAST_DEFAULT_MAX_GROUPS      1024
#define MCAST_DEFAULT_MAX_PORT_GROUPS 256
#define MCAST_MAX_GROUPS	      65536
#define MCAST_DEFAULT_MEMBERSHIP      260 /* 2 x query interval + response time */
#define MCAST_DEFAULT_ROUTER_TIMEOUT  255 /* RFC 4541's other-querier-present */
#define MCAST_DEFAULT_QUERY_INTERVAL  125
#define MCAST_LAST_MEMBER_SECONDS     2 /* a leave without fast-leave: kept this long */
/* Memberships (group, port) the switch keeps: this many per group allowed. */
#define MCAST_MEMBERS_PER_GROUP 8
/* Router ports learned, (VLAN, port) pairs. */
#define MCAST_MAX_ROUTERS 256

/* The switch's setting (mcast_config.c parses and prints it). */
struct mcast_config {
	bool enabled;		      /* mcast-snooping on|off, default off */
	bool flood_unknown;	      /* unregistered groups flood (on) or go to routers */
	bool fast_leave;	      /* a leave removes the port at once (default on) */
	uint32_t max_groups;	      /* groups (VLAN, address) per switch */
	uint32_t max_port_groups;     /* memberships per port */
	uint32_t membership_interval; /* seconds a membership lives without a report */
	uint32_t router_timeout;      /* seconds a learned router port lives */
	uint32_t query_interval;      /* the querier's period, and other-querier timeout / 2 */
	uint64_t querier_vids[64];    /* VLANs where the switch may be querier */
	uint32_t querier_address;     /* IGMP query source, host order; 0 = loses to anyone */
	uint8_t querier_address6[16]; /* MLD query source (link-local); :: = no MLD queries */
};

enum mcast_router_mode { MCAST_ROUTER_AUTO, MCAST_ROUTER_YES, MCAST_ROUTER_NO };

/* A port's setting: mcast-router auto (learned from queries), yes, no. */
struct mcast_port_config {
	uint8_t router; /* enum mcast_router_mode */
};

void mcast_config_init(struct mcast_config *c);

/* ---- mcast_parse.c: what an IPv4/IPv6 multicast frame says ---------------- */

/* IPv4 addresses as IPv4-mapped IPv6 (::ffff:a.b.c.d). */
struct mcast_addr {
	uint8_t b[16];
};

enum mcast_kind {
	MCAST_DATA,	  /* to a group that is snooped */
	MCAST_LINK_LOCAL, /* 224.0.0.0/24, ffx0-ffx2: flooded */
	MCAST_QUERY,
	MCAST_REPORT, /* IGMPv1/v2 report, MLDv1 report: `group`; v3/MLDv2: records */
	MCAST_LEAVE,  /* IGMPv2 leave, MLDv1 done: `group` */
	MCAST_ROUTER, /* PIM hello: the sender is a multicast router */
	MCAST_OTHER,  /* other IGMP or ICMPv6 to a group: flooded */
	MCAST_MALFORMED,
};

struct mcast_msg {
	enum mcast_kind kind;
	bool v6;
	struct mcast_addr src;
	struct mcast_addr group; /* data: the destination */
	/* IGMPv3 / MLDv2 report records, read with mcast_next_record(). */
	const uint8_t *records;
	uint32_t records_len;
	uint16_t n_records;
};

struct mcast_record {
	struct mcast_addr group;
	bool join; /* EXCLUDE (any sources) or INCLUDE with sources; else a leave */
};

/* Reads the IP header at `l3` (len bytes, the EtherType's payload; type
 * 0x0800 or 0x86dd). Pure, reads only l3[0, len). A truncated or malformed
 * header, IGMP or MLD message is MCAST_MALFORMED. */
enum mcast_kind mcast_parse(const uint8_t *l3, uint32_t len, uint16_t type, struct mcast_msg *out);
/* The next record of a v3/MLDv2 report; false at the end or when the
 * next record is truncated (the records before it stand). */
bool mcast_next_record(struct mcast_msg *msg, struct mcast_record *r);
bool mcast_addr_link_local(const struct mcast_addr *a);
void mcast_addr_format(const struct mcast_addr *a, char *buf, size_t size);

/* ---- mcast_table.c: groups and their member ports ------------------------ */

struct mcast_member {
	uint32_t next; /* index + 1 in the member pool, 0 = end */
	uint16_t port;
	uint32_t expires; /* switch clock */
	uint32_t joined;
};

struct mcast_group {
	uint32_t next;	  /* hash chain / free list, index + 1 */
	uint32_t members; /* first member, index + 1 */
	uint16_t vid;
	uint16_t n_members;
	struct mcast_addr addr;
	uint64_t ports[16]; /* PORT_SET_WORDS: the members, for forwarding */
};

struct mcast_table {
	uint32_t max_groups, max_members;
	uint32_t n_groups, n_members;
	uint32_t n_buckets; /* power of two */
	uint32_t *buckets;  /* index + 1 */
	struct mcast_group *groups;
	struct mcast_member *members;
	uint32_t free_group, free_member;
	uint16_t port_groups[1024]; /* SWITCH_MAX_PORTS: memberships per port */
};

struct mcast_table *mcast_table_create(uint32_t max_groups);
void mcast_table_destroy(struct mcast_table *t);
const struct mcast_group *mcast_table_find(const struct mcast_table *t, uint16_t vid,
					   const struct mcast_addr *addr);
/* Adds or refreshes (vid, addr, port) until `expires`. 0; -ENOSPC when the
 * switch's table (groups or memberships) is full, -EDQUOT when the port
 * has max_port_groups already. */
int mcast_table_join(struct mcast_table *t, uint16_t vid, const struct mcast_addr *addr,
		     uint16_t port, uint32_t now, uint32_t expires, uint32_t max_port_groups);
/* A leave: removes the membership, or (linger > 0) lets it expire within
 * `linger` seconds unless a report comes first. True if it was a member. */
bool mcast_table_leave(struct mcast_table *t, uint16_t vid, const struct mcast_addr *addr,
		       uint16_t port, uint32_t now, uint32_t linger);
/* Removes memberships that expired (or all of `port` when port is not
 * PORT_INDEX_NONE; all when all is true). Returns how many. */
uint32_t mcast_table_expire(struct mcast_table *t, uint32_t now, uint16_t port, bool all);
typedef void mcast_visit_fn(const struct mcast_group *g, const struct mcast_member *first,
			    const struct mcast_table *t, void *ctx);
void mcast_table_foreach(const struct mcast_table *t, mcast_visit_fn *visit, void *ctx);

/* ---- mcast_snoop.c: the running state and the pipeline's hook ----------- */

struct mcast_counters {
	uint64_t reports, leaves, queries, router_hellos;
	uint64_t refused_switch; /* joins refused: the switch's table was full */
	uint64_t refused_port;	 /* joins refused: the port had max_port_groups */
	uint64_t malformed;
	uint64_t queries_sent;
	uint64_t snooped;      /* data frames sent to members and routers only */
	uint64_t unregistered; /* data frames to a group without members */
};

struct mcast_router_entry {
	uint16_t vid, port;
	uint32_t expires;
};

struct mcast_vlan_state {
	uint32_t other_until4, other_until6; /* another querier is heard until then */
	uint32_t next_query;
	struct mcast_addr other4, other6; /* the querier heard, for show */
};

struct mcast_state {
	/* Taken once per batch holding IGMP/MLD or snooped data, when several
	 * poll threads run; housekeeping and the CLI run with them paused. */
	struct spinlock lock;
	struct mcast_table *table;
	uint64_t (*routers)[16]; /* per VID: learned router ports */
	struct mcast_router_entry router_list[MCAST_MAX_ROUTERS];
	uint16_t n_routers;
	uint64_t yes_routers[16], no_routers[16];   /* port settings mcast-router yes/no */
	struct mcast_vlan_state *vlans;		    /* [VLAN_COUNT] */
	const struct bridge_port *port_owner[1024]; /* whose memberships an index holds */
	uint64_t port_refused[1024];
	struct mcast_counters counters;
};

/* Creates, resizes or removes the switch's state after its config changed
 * (paused); a table of another size starts empty. Off on out of memory,
 * logged: the switch then floods as without snooping. */
void mcast_configure(struct vswitch *sw);
void mcast_destroy(struct vswitch *sw);
/* The pipeline's hook (sw->mcast set): learns from IGMP/MLD and sends
 * snooped multicast to its members and routers, taking those frames out
 * of the batch; everything else stays for dispatch. */
void mcast_snoop_batch(struct vswitch *sw, struct bridge_port *in, struct packet_batch *batch);
/* Housekeeping once a second (paused): ages memberships and router ports,
 * forgets removed ports, sends the querier's queries. */
void mcast_run(struct vswitch *sw, uint32_t now);
/* Forgets every group (mcast flush). */
void mcast_flush(struct vswitch *sw);

#endif
