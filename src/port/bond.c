/* bond.c — several interfaces as one uplink port, in one of two modes. Each
 * member is an existing interface reached through afpacket.c's packet-socket
 * I/O.
 *
 * active-backup (Linux bonding mode 1, PowerVM Network Interface Backup): one
 * member carries all the traffic, the others wait.
 *
 * The active member is the primary if one is set and up, else the one in
 * use while it stays up, else the first member that is up, in the order
 * given. A member's carrier is checked in update_stats() (about once a
 * second) and at once when a send to the active member fails because its
 * link is down. Frames arriving on a backup are read and dropped
 * (uplink-inactive): a physical switch that floods to every member must not
 * make us forward each frame twice. On every change of active member the
 * physical switches must relearn where our clients live; recv/send run
 * inside the engine's pipeline and cannot call back into it, so a change
 * only marks announcements pending and update_stats() sends them through
 * switch_announce().
 *
 * balance-slb (source load balancing, as Open vSwitch and XenServer do it,
 * without LACP): each frame leaves by the live member that its source MAC
 * and VLAN hash to, so one VM's traffic always takes one member (no
 * reordering) and different VMs spread over the members. The mapping is a
 * pure function of the set of live members: a member's own hash bucket stays
 * on it while it is up; the buckets of members that are down spread over the
 * live ones. So a member going down moves only its share, at once, and gets
 * it back when it returns; every change of the live set counts as a
 * failover and is announced, so the physical switches relearn. Not done yet:
 * OVS's periodic rebalancing by measured load (moving busy hashes off a
 * loaded member). Frames are accepted from every member, except that
 * broadcast and multicast frames, which the physical switch floods to every
 * member, are accepted only on the designated member (the first live one)
 * and dropped on the others as uplink-inactive, so they are neither
 * delivered twice nor looped back. And a frame whose source (MAC and VLAN)
 * is one we sent within the last few seconds, arriving on a member other
 * than the one that source leaves by, is our own frame flooded back by the
 * physical switch: it is dropped too (uplink-inactive), or the engine would
 * learn our client's MAC on the uplink. The window is short so a client that
 * moved away (a migrated VM) is reachable through any member seconds after
 * we last sent for it. */
#include "bond.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../engine/engine.h"
#include "../lib/log.h"
#include "../lib/util.h"
#include "afpacket.h"

#define BOND_MEMBERS_MIN 2
#define BOND_MEMBERS_MAX 8
/* Members' links are checked this often unless miimon= says otherwise. */
#define BOND_DEFAULT_MIIMON_MS 1000
#define BOND_NONE	       (-1)
#define VID_MASK	       0x0fff

enum bond_mode {
	BOND_ACTIVE_BACKUP,
	BOND_BALANCE_SLB,
};

/* balance-slb: the sources recently sent, to recognise their frames coming
 * back. Direct-mapped: a collision forgets a source (a reflection may then
 * pass, as without the rule), never takes a foreign one for ours. */
#define SLB_SENT_SLOTS	1024 /* a power of two */
#define SLB_SENT_EPOCHS 2    /* update_stats() calls (about seconds) a source stays */
#define SLB_KEY_USED	(1ULL << 63)

struct slb_sent {
	uint64_t key; /* slb_key() | SLB_KEY_USED, or 0 */
	uint32_t epoch;
};

struct bond_member {
	char ifname[IFNAMSIZ];
	struct afpacket_io *io;
	bool up; /* carrier at the last check */
};

struct bond_port {
	char name[PORT_NAME_MAX]; /* the port's, for messages about other bonds */
	enum bond_mode mode;
	struct bond_member members[BOND_MEMBERS_MAX];
	int n_members;
	int primary; /* index into members, or BOND_NONE */
	/* Index into members, or BOND_NONE when none is up. active-backup: the
	 * member carrying the traffic; balance-slb: the designated member, the
	 * only one whose broadcast and multicast frames are accepted. */
	int active;
	int epoll_fd;

	/* balance-slb: the members that are up, in order, as of the last check,
	 * and the first member the next recv() reads (so one busy member cannot
	 * starve the others). */
	int live[BOND_MEMBERS_MAX];
	int n_live;
	int rx_next;
	struct packet_batch tx[BOND_MEMBERS_MAX]; /* send()'s frames per member */
	uint32_t epoch;				  /* update_stats() calls */
	struct slb_sent sent[SLB_SENT_SLOTS];

	uint64_t failovers;
	char last_cause[64]; /* why the active member last changed */
	bool announce_pending;
	uint64_t miimon_ns;	/* how often members' links are checked */
	uint64_t last_check_ns; /* when they last were */

	struct bond_port *next; /* on open_bonds */
};

/* Every open bond, so an interface cannot be a member of two (each would
 * take the other's frames). Ports are opened and closed on the one
 * control/data-plane thread, so a plain list will do. */
static struct bond_port *open_bonds;

/* ---- options -------------------------------------------------------------- */

static int parse_mode(const struct port *port, const char *const *options, struct bond_port *bond,
		      char *err, size_t err_size)
{
	const char *mode = port_option(options, "mode");
	if (!mode || strcmp(mode, "active-backup") == 0) {
		bond->mode = BOND_ACTIVE_BACKUP;
		return 0;
	}
	if (strcmp(mode, "balance-slb") == 0) {
		bond->mode = BOND_BALANCE_SLB;
		return 0;
	}
	snprintf(err, err_size,
		 "port %s: bond mode '%s' is not supported (supported: active-backup, "
		 "balance-slb)",
		 port->name, mode);
	return -EINVAL;
}

/* Splits members=IF1,IF2,... into bond->members. */
static int parse_members(const struct port *port, const char *const *options,
			 struct bond_port *bond, char *err, size_t err_size)
{
	const char *list = port_option(options, "members");
	if (!list || !list[0]) {
		snprintf(err, err_size,
			 "port %s: a bond needs members=IF1,IF2[,...] (%d-%d interfaces)",
			 port->name, BOND_MEMBERS_MIN, BOND_MEMBERS_MAX);
		return -EINVAL;
	}
	int count = 0;
	for (const char *p = list;; p++) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == 0) {
			snprintf(err, err_size, "port %s: members '%s' has an empty interface name",
				 port->name, list);
			return -EINVAL;
		}
		if (len >= IFNAMSIZ) {
			snprintf(err, err_size,
				 "port %s: member '%.*s' is longer than %d characters", port->name,
				 (int)len, p, IFNAMSIZ - 1);
			return -EINVAL;
		}
		if (count < BOND_MEMBERS_MAX) {
			struct bond_member *m = &bond->members[count];
			memcpy(m->ifname, p, len);
			m->ifname[len] = '\0';
			for (int i = 0; i < count; i++) {
				if (strcmp(bond->members[i].ifname, m->ifname) == 0) {
					snprintf(err, err_size,
						 "port %s: member %s is listed twice", port->name,
						 m->ifname);
					return -EINVAL;
				}
			}
		}
		count++;
		if (!comma)
			break;
		p = comma;
	}
	if (count < BOND_MEMBERS_MIN || count > BOND_MEMBERS_MAX) {
		snprintf(err, err_size, "port %s: a bond takes %d-%d members, members= lists %d",
			 port->name, BOND_MEMBERS_MIN, BOND_MEMBERS_MAX, count);
		return -EINVAL;
	}
	bond->n_members = count;
	return 0;
}

static int parse_primary(const struct port *port, const char *const *options,
			 struct bond_port *bond, char *err, size_t err_size)
{
	const char *primary = port_option(options, "primary");
	bond->primary = BOND_NONE;
	if (!primary)
		return 0;
	if (bond->mode != BOND_ACTIVE_BACKUP) {
		snprintf(err, err_size,
			 "port %s: primary= applies to mode active-backup only, not balance-slb "
			 "(which uses every live member)",
			 port->name);
		return -EINVAL;
	}
	for (int i = 0; i < bond->n_members; i++) {
		if (strcmp(bond->members[i].ifname, primary) == 0) {
			bond->primary = i;
			return 0;
		}
	}
	snprintf(err, err_size, "port %s: primary '%s' is not one of the members", port->name,
		 primary);
	return -EINVAL;
}

/* Refuses an interface that another open bond already drives. */
/* miimon=MS, as Linux bonding calls its link check interval. */
static int parse_miimon(const struct port *port, const char *const *options, struct bond_port *bond,
			char *err, size_t err_size)
{
	const char *text = port_option(options, "miimon");
	unsigned long ms = BOND_DEFAULT_MIIMON_MS;
	if (text) {
		char *end;
		ms = strtoul(text, &end, 10);
		if (!*text || *end || ms < 10 || ms > 60000) {
			snprintf(err, err_size,
				 "port %s: miimon '%s' must be 10-60000 (milliseconds)", port->name,
				 text);
			return -EINVAL;
		}
	}
	bond->miimon_ns = ms * 1000000ull;
	return 0;
}

static int check_not_in_other_bond(const struct port *port, const struct bond_port *bond, char *err,
				   size_t err_size)
{
	for (const struct bond_port *other = open_bonds; other; other = other->next) {
		for (int i = 0; i < bond->n_members; i++) {
			for (int j = 0; j < other->n_members; j++) {
				if (strcmp(bond->members[i].ifname, other->members[j].ifname))
					continue;
				snprintf(err, err_size,
					 "port %s: interface %s is already a member of %s",
					 port->name, bond->members[i].ifname, other->name);
				return -EBUSY;
			}
		}
	}
	return 0;
}

/* ---- choosing the active member ------------------------------------------- */

/* balance-slb: fills `live` with the members that are up, in order; returns
 * how many. */
static int slb_live_set(const struct bond_port *bond, int *live)
{
	int n_live = 0;
	for (int i = 0; i < bond->n_members; i++)
		if (bond->members[i].up)
			live[n_live++] = i;
	return n_live;
}

/* balance-slb: takes the live set from the members' states; a change is a
 * failover (the hashes of a member that went down or came back move), logged
 * with its cause and announced, as active-backup does. The designated member
 * is the first live one. */
static void slb_reselect(struct bond_port *bond, const char *why)
{
	int live[BOND_MEMBERS_MAX];
	int n_live = slb_live_set(bond, live);
	bond->active = n_live ? live[0] : BOND_NONE;
	if (n_live == bond->n_live && memcmp(live, bond->live, sizeof(int) * (size_t)n_live) == 0)
		return;
	bool was_live[BOND_MEMBERS_MAX] = {false};
	for (int k = 0; k < bond->n_live; k++)
		was_live[bond->live[k]] = true;
	char cause[sizeof(bond->last_cause)] = "";
	size_t used = 0;
	for (int i = 0; i < bond->n_members && used < sizeof(cause); i++) {
		const struct bond_member *m = &bond->members[i];
		if (m->up == was_live[i])
			continue;
		int n =
		    snprintf(cause + used, sizeof(cause) - used, "%s%s %s%s%s%s", used ? ", " : "",
			     m->ifname, m->up ? "up" : "down", why && !m->up ? " (" : "",
			     why && !m->up ? why : "", why && !m->up ? ")" : "");
		used += n > 0 ? (size_t)n : 0;
	}
	memcpy(bond->live, live, sizeof(live));
	bond->n_live = n_live;
	copy_name(bond->last_cause, sizeof(bond->last_cause), cause);
	if (n_live == 0) {
		bond->announce_pending = false; /* no way out to announce through */
		log_error("port %s: no member is up, the bond is down (%s)", bond->name, cause);
		return;
	}
	bond->failovers++;
	bond->announce_pending = true;
	log_info("port %s: balance-slb over %d live member%s, designated %s: %s", bond->name,
		 n_live, n_live == 1 ? "" : "s", bond->members[bond->active].ifname, cause);
}

static int choose_active(const struct bond_port *bond)
{
	if (bond->primary != BOND_NONE && bond->members[bond->primary].up)
		return bond->primary;
	/* No failback among equals: every change costs announcements and a
	 * moment of lost frames, as with Linux bonding without a primary. */
	if (bond->active != BOND_NONE && bond->members[bond->active].up)
		return bond->active;
	for (int i = 0; i < bond->n_members; i++)
		if (bond->members[i].up)
			return i;
	return BOND_NONE;
}

/* Moves the traffic to the member the rule above picks, if it is another
 * one; `why` qualifies a member going down ("send failed"), or NULL. */
static void reselect(struct bond_port *bond, const char *why)
{
	if (bond->mode == BOND_BALANCE_SLB) {
		slb_reselect(bond, why);
		return;
	}
	int previous = bond->active;
	int chosen = choose_active(bond);
	if (chosen == previous)
		return;
	char cause[sizeof(bond->last_cause)];
	if (previous != BOND_NONE && !bond->members[previous].up)
		snprintf(cause, sizeof(cause), "%s down%s%s%s", bond->members[previous].ifname,
			 why ? " (" : "", why ? why : "", why ? ")" : "");
	else if (chosen != BOND_NONE && chosen == bond->primary)
		snprintf(cause, sizeof(cause), "primary %s back", bond->members[chosen].ifname);
	else
		snprintf(cause, sizeof(cause), "%s up", bond->members[chosen].ifname);
	bond->active = chosen;
	copy_name(bond->last_cause, sizeof(bond->last_cause), cause);
	if (chosen == BOND_NONE) {
		bond->announce_pending = false; /* no way out to announce through */
		log_error("port %s: no member is up, the bond is down (%s)", bond->name, cause);
		return;
	}
	bond->failovers++;
	bond->announce_pending = true;
	log_info("port %s: active member %s (was %s): %s", bond->name, bond->members[chosen].ifname,
		 previous == BOND_NONE ? "none" : bond->members[previous].ifname, cause);
}

/* ---- open and close ------------------------------------------------------- */

static void bond_free(struct bond_port *bond)
{
	if (!bond)
		return;
	for (int i = 0; i < bond->n_members; i++)
		afpacket_io_close(bond->members[i].io);
	if (bond->epoll_fd >= 0)
		close(bond->epoll_fd);
	free(bond);
}

static int bond_open(struct port *port, const char *const *options, char *err, size_t err_size)
{
	static const char *const known[] = {"members",		 "mode", "primary", "miimon",
					    AFPACKET_IO_OPTIONS, NULL};
	struct afpacket_io_config config;
	struct bond_port *bond = calloc(1, sizeof(*bond));
	int error = 0;
	if (!bond) {
		snprintf(err, err_size, "port %s: out of memory", port->name);
		error = -ENOMEM;
		goto out;
	}
	bond->epoll_fd = -1;
	bond->active = BOND_NONE;
	copy_name(bond->name, sizeof(bond->name), port->name);
	error = port_check_options(port, options, known, err, err_size);
	if (!error)
		error = parse_mode(port, options, bond, err, err_size);
	if (!error)
		error = parse_members(port, options, bond, err, err_size);
	if (!error)
		error = parse_primary(port, options, bond, err, err_size);
	if (!error)
		error = parse_miimon(port, options, bond, err, err_size);
	if (!error)
		error = afpacket_io_parse_options(port, options, &config, err, err_size);
	if (!error)
		error = check_not_in_other_bond(port, bond, err, err_size);
	if (error)
		goto out;

	bond->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (bond->epoll_fd < 0) {
		error = -errno;
		snprintf(err, err_size, "port %s: cannot create an epoll fd: %s", port->name,
			 strerror(errno));
		goto out;
	}
	for (int i = 0; i < bond->n_members; i++) {
		struct bond_member *m = &bond->members[i];
		error = afpacket_io_open(port, m->ifname, &config, &m->io, err, err_size);
		if (error)
			goto out;
		struct epoll_event event = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
		if (epoll_ctl(bond->epoll_fd, EPOLL_CTL_ADD, afpacket_io_fd(m->io), &event) < 0) {
			error = -errno;
			snprintf(err, err_size, "port %s: cannot watch member %s: %s", port->name,
				 m->ifname, strerror(errno));
			goto out;
		}
		m->up = afpacket_io_carrier(m->io);
	}
	if (bond->mode == BOND_BALANCE_SLB) {
		bond->n_live = slb_live_set(bond, bond->live);
		bond->active = bond->n_live ? bond->live[0] : BOND_NONE;
		log_info("port %s: bond balance-slb, %d live member%s, designated %s", port->name,
			 bond->n_live, bond->n_live == 1 ? "" : "s",
			 bond->active == BOND_NONE ? "none (no member is up)"
						   : bond->members[bond->active].ifname);
	} else {
		bond->active = choose_active(bond);
		log_info("port %s: bond active-backup, active member %s", port->name,
			 bond->active == BOND_NONE ? "none (no member is up)"
						   : bond->members[bond->active].ifname);
	}
	port->features |= PORT_F_OFFLOAD;
	port->priv = bond;
	bond->next = open_bonds;
	open_bonds = bond;
	bond = NULL;
out:
	bond_free(bond);
	return error;
}

static void bond_close(struct port *port)
{
	struct bond_port *bond = port->priv;
	for (struct bond_port **p = &open_bonds; *p; p = &(*p)->next) {
		if (*p == bond) {
			*p = bond->next;
			break;
		}
	}
	bond_free(bond);
	port->priv = NULL;
}

/* ---- balance-slb I/O --------------------------------------------------------- */

/* The VID a frame carries on the wire: its 802.1Q tag's, in metadata or
 * inline, or 0 when untagged. Send and receive both hash this (not p->vid,
 * which a received frame does not have yet), so a frame hashes alike in both
 * directions: an untagged frame, on the uplink's PVID, hashes with VID 0. */
static uint16_t slb_wire_vid(const struct packet *p)
{
	if (p->flags & PACKET_F_META_VLAN)
		return p->meta_tci & VID_MASK;
	if (p->len >= ETH_HEADER_LEN + VLAN_TAG_LEN && load_be16(p->data + 12) == ETH_TYPE_VLAN)
		return load_be16(p->data + 14) & VID_MASK;
	return 0;
}

/* (VLAN, source MAC) as one number; its hash_u64() picks the frame's member. */
static uint64_t slb_key(const struct packet *p)
{
	uint64_t mac = 0;
	if (p->len >= 12)
		for (int i = 6; i < 12; i++)
			mac = mac << 8 | p->data[i];
	return (uint64_t)slb_wire_vid(p) << 48 | mac;
}

/* The member a hash leaves by; needs a live member. A hash's bucket is a
 * member; while that member is up the hash stays on it, so a change of the
 * live set moves only the hashes of the members that went down (spread over
 * the live ones) or came back. */
static int slb_member(const struct bond_port *bond, uint64_t hash)
{
	uint64_t n = (uint64_t)bond->n_members;
	int bucket = (int)(hash % n);
	if (bond->members[bucket].up)
		return bucket;
	return bond->live[(hash / n) % (uint64_t)bond->n_live];
}

static void slb_send(struct port *port, struct bond_port *bond, struct packet_batch *batch)
{
	if (UNLIKELY(bond->n_live == 0)) {
		port_count_drop(port, DROP_TX_ERROR, batch->count);
		packet_batch_free(batch);
		return;
	}
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		uint64_t key = slb_key(p);
		uint64_t hash = hash_u64(key);
		struct slb_sent *sent = &bond->sent[hash & (SLB_SENT_SLOTS - 1)];
		sent->key = key | SLB_KEY_USED;
		sent->epoch = bond->epoch;
		packet_batch_add(&bond->tx[slb_member(bond, hash)], p);
	}
	batch->count = 0;
	bool member_down = false;
	for (int i = 0; i < bond->n_members; i++) {
		struct bond_member *m = &bond->members[i];
		if (bond->tx[i].count == 0)
			continue;
		uint64_t errors = port->counters.drops[DROP_TX_ERROR];
		afpacket_io_send(m->io, port, &bond->tx[i]);
		if (UNLIKELY(port->counters.drops[DROP_TX_ERROR] != errors) &&
		    !afpacket_io_carrier(m->io)) {
			m->up = false;
			member_down = true;
		}
	}
	/* The frames already lost on a dead member are counted; the next ones
	 * take the live members. */
	if (UNLIKELY(member_down))
		reselect(bond, "send failed");
}

/* Whether `p`, received on `member`, is a frame we sent for one of our
 * clients lately through another member, which the physical switch flooded
 * back to us. */
static bool slb_reflected(const struct bond_port *bond, const struct packet *p, int member)
{
	if (bond->n_live == 0)
		return false; /* no member to compare with, as of the last check */
	uint64_t key = slb_key(p);
	uint64_t hash = hash_u64(key);
	const struct slb_sent *sent = &bond->sent[hash & (SLB_SENT_SLOTS - 1)];
	return sent->key == (key | SLB_KEY_USED) && bond->epoch - sent->epoch <= SLB_SENT_EPOCHS &&
	       slb_member(bond, hash) != member;
}

/* Reads every member, starting with a different one each call so a busy
 * member cannot starve the others. Broadcast and multicast frames count only
 * from the designated member: the physical switch floods them to every
 * member, and taking them from more than one would deliver duplicates and
 * send our own floods back to us. Our own clients' frames coming back are
 * dropped too (slb_reflected()). */
static int slb_recv(struct port *port, struct bond_port *bond, struct packet_pool *pool,
		    struct packet_batch *batch)
{
	int received = 0;
	int error = 0;
	uint64_t dropped = 0;
	int start = bond->rx_next;
	bond->rx_next = (start + 1) % bond->n_members;
	for (int k = 0; k < bond->n_members; k++) {
		int i = (start + k) % bond->n_members;
		uint32_t first = batch->count;
		int n = afpacket_io_recv(bond->members[i].io, port, pool, batch);
		if (n < 0 && !error)
			error = n;
		uint32_t kept = first;
		for (uint32_t j = first; j < batch->count; j++) {
			struct packet *p = batch->packets[j];
			bool group = p->len > 0 && (p->data[0] & 1);
			if ((group && i != bond->active) || slb_reflected(bond, p, i)) {
				packet_free(p);
				dropped++;
			} else {
				batch->packets[kept++] = p;
			}
		}
		batch->count = kept;
		received += (int)(kept - first);
	}
	if (dropped)
		port_count_drop(port, DROP_UPLINK_INACTIVE, dropped);
	/* A member's error is the bond's only when nothing came in at all. */
	return received ? received : error;
}

/* ---- I/O ------------------------------------------------------------------ */

static void check_members(struct port *port, struct bond_port *bond);

static int bond_recv(struct port *port, struct packet_pool *pool, struct packet_batch *batch)
{
	struct bond_port *bond = port->priv;
	if (UNLIKELY(time_now_ns() - bond->last_check_ns >= bond->miimon_ns))
		check_members(port, bond);
	if (bond->mode == BOND_BALANCE_SLB)
		return slb_recv(port, bond, pool, batch);
	int received = 0;
	if (bond->active != BOND_NONE)
		received = afpacket_io_recv(bond->members[bond->active].io, port, pool, batch);
	/* Drain the backups, so their queues neither fill nor deliver stale
	 * frames after a failover. Their errors are not the bond's. */
	for (int i = 0; i < bond->n_members; i++) {
		if (i == bond->active)
			continue;
		struct packet_batch dropped;
		packet_batch_init(&dropped);
		int n = afpacket_io_recv(bond->members[i].io, port, pool, &dropped);
		if (n > 0)
			port_count_drop(port, DROP_UPLINK_INACTIVE, (uint64_t)n);
		packet_batch_free(&dropped);
	}
	return received;
}

static void bond_send(struct port *port, struct packet_batch *batch)
{
	struct bond_port *bond = port->priv;
	if (bond->mode == BOND_BALANCE_SLB) {
		slb_send(port, bond, batch);
		return;
	}
	if (UNLIKELY(bond->active == BOND_NONE)) {
		port_count_drop(port, DROP_TX_ERROR, batch->count);
		packet_batch_free(batch);
		return;
	}
	struct bond_member *m = &bond->members[bond->active];
	uint64_t errors = port->counters.drops[DROP_TX_ERROR];
	afpacket_io_send(m->io, port, batch);
	/* A failed send is the first sign of a dead link; asking the carrier
	 * costs a system call, so only then. */
	if (UNLIKELY(port->counters.drops[DROP_TX_ERROR] != errors) &&
	    !afpacket_io_carrier(m->io)) {
		m->up = false;
		reselect(bond, "send failed");
	}
}

static bool bond_carrier(const struct port *port)
{
	const struct bond_port *bond = port->priv;
	for (int i = 0; i < bond->n_members; i++)
		if (afpacket_io_carrier(bond->members[i].io))
			return true;
	return false;
}

static int bond_wait_fd(const struct port *port)
{
	const struct bond_port *bond = port->priv;
	return bond->epoll_fd;
}

/* Reads the members' links, picks the member(s) to use, and announces the
 * client MACs after a change. Runs from recv() every miimon and from
 * update_stats(); no batch is in flight at either point, so sending the
 * announcements from here is safe. */
static void check_members(struct port *port, struct bond_port *bond)
{
	bond->last_check_ns = time_now_ns();
	for (int i = 0; i < bond->n_members; i++)
		bond->members[i].up = afpacket_io_carrier(bond->members[i].io);
	reselect(bond, NULL);
	if (!bond->announce_pending || bond->active == BOND_NONE)
		return;
	bond->announce_pending = false;
	if (port->sw) {
		uint32_t sent = switch_announce(port->sw, port);
		if (bond->mode == BOND_BALANCE_SLB)
			log_info("port %s: announced %u client MAC/VLAN pairs over %d live members",
				 port->name, sent, bond->n_live);
		else
			log_info("port %s: announced %u client MAC/VLAN pairs through %s",
				 port->name, sent, bond->members[bond->active].ifname);
	}
}

static void bond_update_stats(struct port *port)
{
	struct bond_port *bond = port->priv;
	bond->epoch++;
	for (int i = 0; i < bond->n_members; i++)
		afpacket_io_update_stats(bond->members[i].io, port);
	check_members(port, bond);
}

/* ---- introspection ---------------------------------------------------------- */

static const struct bond_port *bond_of(const struct port *port)
{
	return port && port->class == &bond_port_class ? port->priv : NULL;
}

int bond_describe(const struct port *port, char *buf, size_t size)
{
	const struct bond_port *bond = bond_of(port);
	if (!bond)
		return -EINVAL;
	size_t used = 0;
#define BOND_PRINT(...)                                                                            \
	do {                                                                                       \
		int n_ = snprintf(buf + (used < size ? used : size),                               \
				  used < size ? size - used : 0, __VA_ARGS__);                     \
		used += n_ > 0 ? (size_t)n_ : 0;                                                   \
	} while (0)
	if (bond->mode == BOND_BALANCE_SLB) {
		BOND_PRINT("mode balance-slb, members: ");
		for (int i = 0; i < bond->n_members; i++)
			BOND_PRINT("%s%s %s%s", i ? ", " : "", bond->members[i].ifname,
				   bond->members[i].up ? "up" : "down",
				   i == bond->active ? " (designated for broadcast)" : "");
	} else {
		BOND_PRINT("mode active-backup, active ");
		if (bond->active == BOND_NONE)
			BOND_PRINT("none");
		else
			BOND_PRINT("%s%s", bond->members[bond->active].ifname,
				   bond->active == bond->primary ? " (primary)" : "");
		BOND_PRINT(", members: ");
		for (int i = 0; i < bond->n_members; i++)
			BOND_PRINT("%s%s %s %s", i ? ", " : "", bond->members[i].ifname,
				   bond->members[i].up ? "up" : "down",
				   i == bond->active ? "active" : "backup");
	}
	BOND_PRINT("; failovers %llu", (unsigned long long)bond->failovers);
	if (bond->last_cause[0])
		BOND_PRINT(", last: %s", bond->last_cause);
#undef BOND_PRINT
	return used < size ? 0 : -ENOSPC;
}

const char *bond_active_member(const struct port *port)
{
	const struct bond_port *bond = bond_of(port);
	if (!bond || bond->active == BOND_NONE)
		return NULL;
	return bond->members[bond->active].ifname;
}

uint64_t bond_failovers(const struct port *port)
{
	const struct bond_port *bond = bond_of(port);
	return bond ? bond->failovers : 0;
}

const struct port_class bond_port_class = {
    .type = "bond",
    .open = bond_open,
    .close = bond_close,
    .recv = bond_recv,
    .send = bond_send,
    .carrier = bond_carrier,
    .wait_fd = bond_wait_fd,
    .update_stats = bond_update_stats,
};
