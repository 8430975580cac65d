/* bond_private.h — private to src/port: the state of a bond port and the
 * functions its files share. bond.c is the port class (options, open and
 * close, recv/send dispatch, active-backup's choice of member, `bond show`);
 * bond_slb.c is balance-slb; bond_arp.c is the ARP target monitor. Nothing
 * outside src/port includes this; the rest of the daemon asks bond.h. */
#ifndef VSWITCH_PORT_BOND_PRIVATE_H
#define VSWITCH_PORT_BOND_PRIVATE_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "bond.h"
#include "lib/spinlock.h"
#include "port.h"

struct afpacket_io;

/* ---- the bond's state, shared by all three files ------------------------- */

#define BOND_MEMBERS_MAX 8
#define BOND_NONE	 (-1)
#define VID_MASK	 0x0fff

/* ARP target monitoring. */
#define ARP_TARGETS_MAX 4
#define IPV4_TEXT_MAX	16 /* "255.255.255.255" and its NUL */

enum bond_mode {
	BOND_ACTIVE_BACKUP,
	BOND_BALANCE_SLB,
};

/* balance-slb: the sources recently sent, to recognise their frames coming
 * back. Direct-mapped: a collision forgets a source (a reflection may then
 * pass, as without the rule), never takes a foreign one for ours. */
#define SLB_SENT_SLOTS 1024 /* a power of two */

struct slb_sent {
	uint64_t key; /* slb_key() | SLB_KEY_USED (bond_slb.c), or 0 */
	uint32_t epoch;
};

struct bond_member {
	char ifname[IFNAMSIZ];
	struct afpacket_io *io;
	bool up;	/* carrier at the last check */
	uint8_t mac[6]; /* the interface's own, as of the last ARP probe */
	/* ARP monitoring: whether a target answered since the last probe round,
	 * and how many rounds in a row one did not. */
	bool arp_replied;
	uint32_t arp_unanswered;
};

struct bond_port {
	struct spinlock io_lock;  /* recv() against send() */
	char name[PORT_NAME_MAX]; /* the port's, for messages about other bonds */
	enum bond_mode mode;
	struct bond_member members[BOND_MEMBERS_MAX];
	int n_members;
	int primary; /* index into members, or BOND_NONE */
	/* Index into members, or BOND_NONE when none is up. active-backup: the
	 * member carrying the traffic; balance-slb: the designated member, the
	 * only one whose broadcast and multicast frames are accepted. */
	int active;
	int epoll_fd; /* the members' sockets and timer_fd: the bond's wait_fd */
	int timer_fd; /* expires at next_run_ns (CLOCK_MONOTONIC, as time_now_ns) */

	/* balance-slb: the members that are up, in order, as of the last check,
	 * and the first member the next recv() reads (so one busy member cannot
	 * starve the others). */
	int live[BOND_MEMBERS_MAX];
	int n_live;
	int rx_next;
	struct packet_batch tx[BOND_MEMBERS_MAX]; /* send()'s frames per member */
	uint32_t epoch;				  /* update_stats() calls */
	struct slb_sent sent[SLB_SENT_SLOTS];
	/* The member each hash bucket leaves by (live ones only, while any
	 * is), and the bytes it sent since the last rebalance, plus half of
	 * what it sent before. */
	uint8_t bucket_member[BOND_SLB_BUCKETS];
	uint64_t bucket_bytes[BOND_SLB_BUCKETS];
	uint64_t rebalance_ns; /* 0: no rebalancing by load */
	uint64_t next_rebalance_ns;
	uint64_t rebalances; /* rebalances that moved a bucket */

	uint64_t failovers;
	char last_cause[128]; /* why the active member last changed */
	/* When it last changed (CLOCK_REALTIME); 0: never. */
	struct timespec last_change;
	bool announce_pending;

	/* ARP target monitoring (active-backup); off when n_arp_targets is 0. */
	uint32_t arp_targets[ARP_TARGETS_MAX]; /* network byte order */
	int n_arp_targets;
	char arp_targets_text[ARP_TARGETS_MAX * IPV4_TEXT_MAX]; /* "a.b.c.d, ..." */
	uint32_t arp_source;					/* 0: RFC 5227 probes */
	uint16_t arp_vlan;					/* 0: untagged */
	uint32_t arp_missed;
	uint64_t arp_interval_ns;
	/* The active member was kept for its carrier alone: none got replies. */
	bool carrier_only;

	/* Deadlines, checked by recv() against one clock read. */
	uint64_t miimon_ns;	 /* how often members' links are checked */
	uint64_t next_miimon_ns; /* when they next are */
	uint64_t next_arp_ns;	 /* the next round of ARP probes */
	uint64_t next_run_ns;	 /* the earliest of the above */

	struct bond_port *next; /* on open_bonds */
};

/* ---- bond.c ---------------------------------------------------------------- */

/* Records why and when the traffic moved (bond show's last_cause and
 * last_change). */
void bond_note_change(struct bond_port *bond, const char *cause);

/* ---- bond_slb.c: balance-slb --------------------------------------------- */

/* At open, once the members' carriers are read: puts every bucket on its
 * home member, or on a live one, takes the live set and the designated
 * member from the members' states, and starts the rebalancing clock. */
void bond_slb_init(struct bond_port *bond);
/* Takes the live set from the members' states; a change is a failover,
 * logged with its cause (`why` qualifies members going down, or NULL) and
 * announced. The designated member is the first live one. */
void bond_slb_reselect(struct bond_port *bond, const char *why);
/* The bond's send() and recv() in balance-slb, with port.h's contracts. */
void bond_slb_send(struct port *port, struct bond_port *bond, struct packet_batch *batch);
int bond_slb_recv(struct port *port, struct bond_port *bond, struct packet_pool *pool,
		  struct packet_batch *batch);
/* Runs every rebalance-interval, from bond.c's timers: moves busy buckets
 * from the most to the least loaded live member (bond_slb_rebalance()). */
void bond_slb_rebalance_by_load(struct bond_port *bond);

/* ---- bond_arp.c: ARP target monitoring ----------------------------------- */

/* Whether member i got ARP replies lately (always true without arp-target). */
bool bond_arp_ok(const struct bond_port *bond, int i);
/* Runs every arp-interval, from bond.c's timers: settles each member's ARP
 * state and sends the next probes. */
void bond_arp_round(struct bond_port *bond);
/* Takes ARP monitoring's frames (our probes flooded back, targets' replies)
 * out of batch->packets[first..], received on member i; returns how many it
 * took. */
uint32_t bond_arp_filter(struct bond_port *bond, int i, struct packet_batch *batch, uint32_t first);

#endif
