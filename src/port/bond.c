/* bond.c — several interfaces as one uplink port, in one of two modes. Each
 * member is an existing interface reached through afpacket.c's packet-socket
 * I/O.
 *
 * active-backup (Linux bonding mode 1, PowerVM Network Interface Backup): one
 * member carries all the traffic, the others wait.
 *
 * The active member is the primary if one is set and eligible, else the one
 * in use while it stays eligible, else the first eligible member, in the
 * order given. A member is eligible when its carrier is up and, with
 * arp-target= set, ARP replies reach it (below). A member's carrier is
 * checked every miimon from recv(), in update_stats() and at once when a
 * send to the active member fails because its link is down. Frames arriving
 * on a backup are read and dropped
 * (uplink-inactive): a physical switch that floods to every member must not
 * make us forward each frame twice. On every change of active member the
 * physical switches must relearn where our clients live; recv/send run
 * inside the engine's pipeline and cannot call back into it, so a change
 * only marks announcements pending and update_stats() sends them through
 * switch_announce().
 *
 * ARP target monitoring (Linux arp_ip_target, the ping address of PowerVM's
 * Network Interface Backup) proves what the carrier cannot: that the network
 * behind a member still answers. Every arp-interval each member with carrier,
 * the backups too (so a backup is proven before it is used), broadcasts an
 * ARP request for each target from its own MAC, sender IP 0.0.0.0 (an RFC
 * 5227 probe, which Linux answers with a reply unicast to that MAC) unless
 * arp-source= is set. A reply from a target to a member's MAC, on that
 * member, proves it; after arp-missed probes in a row without one the member
 * is "arp missed" and loses the active role. If no member is eligible, one
 * with carrier keeps the traffic (better than nothing), and the log and
 * `bond show` say so. Replies and our own probes flooded back are consumed
 * here: the switch must neither learn our members' MACs nor flood our probes
 * to its clients.
 *
 * balance-slb (source load balancing, as Open vSwitch and XenServer do it,
 * without LACP): each source MAC and VLAN hashes into one of 256 buckets,
 * and each bucket leaves by one live member, so one VM's traffic always
 * takes one member (no reordering) and different VMs spread over the
 * members. A bucket starts on its home member (bucket number modulo the
 * member count). A member going down moves only the buckets it carried, at
 * once (home, if home is live, else spread over the live members); a member
 * coming back takes its home buckets back. Every change of the live set
 * counts as a failover and is announced, so the physical switches relearn.
 * Between those, every rebalance-interval the bytes each bucket sent decide,
 * as in Open vSwitch: busy buckets move from the most to the least loaded
 * live member while that narrows the gap between them
 * (bond_slb_rebalance()), and the counts are halved so old traffic fades. A
 * source thus changes member only at a rebalance or a failure; a rebalance
 * that moved anything is counted and announced too. Frames are accepted from
 * every member, except that
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

#include <arpa/inet.h>
#include <ctype.h>
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
#define NS_PER_MS	       1000000ULL

/* ARP target monitoring. */
#define ARP_TARGETS_MAX		4
#define ARP_DEFAULT_INTERVAL_MS 200
#define ARP_DEFAULT_MISSED	3
#define ETH_TYPE_ARP		0x0806
#define ETH_TYPE_IPV4		0x0800
#define ARP_HW_ETHERNET		1
#define ARP_OP_REQUEST		1
#define ARP_OP_REPLY		2
#define ARP_LEN			28 /* the ARP payload for Ethernet and IPv4 */
#define ETH_MIN_LEN		60 /* a frame is padded to this, without FCS */
#define IPV4_TEXT_MAX		16 /* "255.255.255.255" and its NUL */

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
/* Load rebalancing: every rebalance-interval unless set otherwise (0: off).
 * A gap between the busiest and the idlest member smaller than this, or than
 * 1/32 of the idlest member's load, is not worth moving a source for (OVS's
 * thresholds). */
#define SLB_DEFAULT_REBALANCE_MS 10000
#define SLB_REBALANCE_MIN_BYTES	 100000

struct slb_sent {
	uint64_t key; /* slb_key() | SLB_KEY_USED, or 0 */
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

/* Reads option `key`, a decimal number in min-max (`zero_ok`: or 0, which
 * means off); `fallback` when absent. */
static int parse_number(const struct port *port, const char *const *options, const char *key,
			unsigned long min, unsigned long max, bool zero_ok, unsigned long fallback,
			const char *unit, unsigned long *out, char *err, size_t err_size)
{
	const char *text = port_option(options, key);
	*out = fallback;
	if (!text)
		return 0;
	char *end;
	errno = 0;
	unsigned long value = strtoul(text, &end, 10);
	if (!isdigit((unsigned char)text[0]) || *end || errno ||
	    ((value < min || value > max) && !(zero_ok && value == 0))) {
		snprintf(err, err_size, "port %s: %s '%s' must be %s%lu-%lu%s", port->name, key,
			 text, zero_ok ? "0 or " : "", min, max, unit);
		return -EINVAL;
	}
	*out = value;
	return 0;
}

/* miimon=MS, as Linux bonding calls its link check interval. */
static int parse_miimon(const struct port *port, const char *const *options, struct bond_port *bond,
			char *err, size_t err_size)
{
	unsigned long ms;
	int error = parse_number(port, options, "miimon", 10, 60000, false, BOND_DEFAULT_MIIMON_MS,
				 " (milliseconds)", &ms, err, err_size);
	bond->miimon_ns = ms * NS_PER_MS;
	return error;
}

/* rebalance-interval=MS, balance-slb only. */
static int parse_rebalance(const struct port *port, const char *const *options,
			   struct bond_port *bond, char *err, size_t err_size)
{
	if (bond->mode != BOND_BALANCE_SLB) {
		if (!port_option(options, "rebalance-interval"))
			return 0;
		snprintf(err, err_size,
			 "port %s: rebalance-interval= applies to mode balance-slb only, not "
			 "active-backup (which uses one member at a time)",
			 port->name);
		return -EINVAL;
	}
	unsigned long ms;
	int error = parse_number(port, options, "rebalance-interval", 1000, 3600000, true,
				 SLB_DEFAULT_REBALANCE_MS, " (milliseconds)", &ms, err, err_size);
	bond->rebalance_ns = ms * NS_PER_MS;
	return error;
}

/* Parses a dotted IPv4 address that can answer ARP on a wire: not 0.x.x.x
 * (this network, 0.0.0.0 among them), not loopback, not multicast, not
 * 240.0.0.0 and above (reserved, broadcast). Stores it in network order. */
static bool parse_ipv4_unicast(const char *text, uint32_t *address)
{
	struct in_addr in;
	if (inet_pton(AF_INET, text, &in) != 1)
		return false;
	uint32_t host = ntohl(in.s_addr);
	if ((host >> 24) == 0 || (host >> 24) == 127 || (host >> 28) >= 0xe)
		return false;
	*address = in.s_addr;
	return true;
}

static int refuse_ipv4(const struct port *port, const char *key, const char *text, char *err,
		       size_t err_size)
{
	snprintf(err, err_size,
		 "port %s: %s '%s' is not a unicast IPv4 address a.b.c.d (0.x.x.x, 127.x.x.x, "
		 "multicast and 240.0.0.0 and above are refused)",
		 port->name, key, text);
	return -EINVAL;
}

/* arp-target=IPv4[,IPv4...] and the options that tune it. */
static int parse_arp(const struct port *port, const char *const *options, struct bond_port *bond,
		     char *err, size_t err_size)
{
	static const char *const tuning[] = {"arp-interval", "arp-missed", "arp-source", "arp-vlan",
					     NULL};
	const char *list = port_option(options, "arp-target");
	if (!list) {
		for (int k = 0; tuning[k]; k++) {
			if (!port_option(options, tuning[k]))
				continue;
			snprintf(err, err_size,
				 "port %s: %s= needs arp-target=IPv4[,IPv4...], the addresses to "
				 "probe",
				 port->name, tuning[k]);
			return -EINVAL;
		}
		return 0;
	}
	if (bond->mode != BOND_ACTIVE_BACKUP) {
		snprintf(err, err_size,
			 "port %s: arp-target= applies to mode active-backup only: in balance-slb "
			 "every live member carries traffic and is checked by its carrier, as "
			 "Open vSwitch's SLB bonds are",
			 port->name);
		return -EINVAL;
	}
	size_t used = 0;
	for (const char *p = list;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char text[IPV4_TEXT_MAX];
		bool fits = len < sizeof(text);
		if (fits) {
			memcpy(text, p, len);
			text[len] = '\0';
		}
		if (bond->n_arp_targets == ARP_TARGETS_MAX) {
			snprintf(err, err_size, "port %s: arp-target takes at most %d addresses",
				 port->name, ARP_TARGETS_MAX);
			return -EINVAL;
		}
		if (!fits || !parse_ipv4_unicast(text, &bond->arp_targets[bond->n_arp_targets])) {
			char shown[64];
			snprintf(shown, sizeof(shown), "%.*s", (int)len, p);
			return refuse_ipv4(port, "arp-target", shown, err, err_size);
		}
		int n =
		    snprintf(bond->arp_targets_text + used, sizeof(bond->arp_targets_text) - used,
			     "%s%s", used ? ", " : "", text);
		used += n > 0 ? (size_t)n : 0;
		bond->n_arp_targets++;
		if (!comma)
			break;
		p = comma + 1;
	}
	const char *source = port_option(options, "arp-source");
	if (source && !parse_ipv4_unicast(source, &bond->arp_source))
		return refuse_ipv4(port, "arp-source", source, err, err_size);
	unsigned long interval, missed = ARP_DEFAULT_MISSED, vlan = 0;
	int error =
	    parse_number(port, options, "arp-interval", 10, 60000, false, ARP_DEFAULT_INTERVAL_MS,
			 " (milliseconds)", &interval, err, err_size);
	if (!error)
		error = parse_number(port, options, "arp-missed", 1, 100, false, ARP_DEFAULT_MISSED,
				     " (probes without a reply)", &missed, err, err_size);
	if (!error)
		error = parse_number(port, options, "arp-vlan", 1, 4094, false, 0, " (a VID)",
				     &vlan, err, err_size);
	bond->arp_interval_ns = interval * NS_PER_MS;
	bond->arp_missed = (uint32_t)missed;
	bond->arp_vlan = (uint16_t)vlan;
	return error;
}

/* Refuses an interface that another open bond already drives. */
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

/* balance-slb: gives every bucket a live member after a change of the live
 * set. A member that came back takes back its home buckets; the buckets of a
 * member that went down go home if home is live, else spread over the live
 * members. Every other bucket stays where it is. */
static void slb_assign_buckets(struct bond_port *bond, const bool *was_live)
{
	if (bond->n_live == 0)
		return; /* nowhere to go; the buckets move when a member returns */
	int n = bond->n_members;
	for (int b = 0; b < BOND_SLB_BUCKETS; b++) {
		int home = b % n;
		int owner = bond->bucket_member[b];
		if (bond->members[home].up && (!was_live[home] || !bond->members[owner].up))
			bond->bucket_member[b] = (uint8_t)home;
		else if (!bond->members[owner].up)
			bond->bucket_member[b] = (uint8_t)bond->live[(b / n) % bond->n_live];
	}
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
	slb_assign_buckets(bond, was_live);
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

/* Whether member i got ARP replies lately (always true without arp-target). */
static bool arp_ok(const struct bond_port *bond, int i)
{
	return bond->n_arp_targets == 0 || bond->members[i].arp_unanswered < bond->arp_missed;
}

static bool eligible(const struct bond_port *bond, int i)
{
	return bond->members[i].up && arp_ok(bond, i);
}

static int choose_active(const struct bond_port *bond)
{
	if (bond->primary != BOND_NONE && eligible(bond, bond->primary))
		return bond->primary;
	/* No failback among equals: every change costs announcements and a
	 * moment of lost frames, as with Linux bonding without a primary. */
	if (bond->active != BOND_NONE && eligible(bond, bond->active))
		return bond->active;
	for (int i = 0; i < bond->n_members; i++)
		if (eligible(bond, i))
			return i;
	/* No member gets ARP replies: one with carrier may still reach
	 * something, which beats no way out at all. Moving between such
	 * members would only cost announcements. */
	if (bond->active != BOND_NONE && bond->members[bond->active].up)
		return bond->active;
	if (bond->primary != BOND_NONE && bond->members[bond->primary].up)
		return bond->primary;
	for (int i = 0; i < bond->n_members; i++)
		if (bond->members[i].up)
			return i;
	return BOND_NONE;
}

/* Logs entering and leaving the state where the active member has carrier
 * but no member gets ARP replies. */
static void note_carrier_only(struct bond_port *bond)
{
	bool carrier_only = bond->active != BOND_NONE && !eligible(bond, bond->active);
	if (carrier_only == bond->carrier_only)
		return;
	bond->carrier_only = carrier_only;
	if (carrier_only)
		log_error("port %s: no member gets ARP replies from arp-target %s; %s carries the "
			  "traffic on its carrier alone",
			  bond->name, bond->arp_targets_text, bond->members[bond->active].ifname);
	else
		log_info("port %s: ARP replies from arp-target %s reach the active member %s again",
			 bond->name, bond->arp_targets_text,
			 bond->active == BOND_NONE ? "(none)" : bond->members[bond->active].ifname);
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
	if (chosen == previous) {
		note_carrier_only(bond);
		return;
	}
	char cause[sizeof(bond->last_cause)];
	if (previous != BOND_NONE && !bond->members[previous].up)
		snprintf(cause, sizeof(cause), "%s down%s%s%s", bond->members[previous].ifname,
			 why ? " (" : "", why ? why : "", why ? ")" : "");
	else if (previous != BOND_NONE && !arp_ok(bond, previous))
		snprintf(cause, sizeof(cause), "arp-target%s %s unreachable on %s",
			 bond->n_arp_targets > 1 ? "s" : "", bond->arp_targets_text,
			 bond->members[previous].ifname);
	else if (chosen != BOND_NONE && chosen == bond->primary)
		snprintf(cause, sizeof(cause), "primary %s back", bond->members[chosen].ifname);
	else
		snprintf(cause, sizeof(cause), "%s up", bond->members[chosen].ifname);
	bond->active = chosen;
	copy_name(bond->last_cause, sizeof(bond->last_cause), cause);
	note_carrier_only(bond);
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
	static const char *const known[] = {
	    "members",		 "mode",       "primary",    "miimon",	 "arp-target",
	    "arp-interval",	 "arp-missed", "arp-source", "arp-vlan", "rebalance-interval",
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
		error = parse_arp(port, options, bond, err, err_size);
	if (!error)
		error = parse_rebalance(port, options, bond, err, err_size);
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
		error = afpacket_io_hwaddr(m->io, m->mac);
		if (error) {
			snprintf(err, err_size, "port %s: cannot read the MAC address of %s: %s",
				 port->name, m->ifname, strerror(-error));
			goto out;
		}
	}
	if (bond->mode == BOND_BALANCE_SLB) {
		bool none_live[BOND_MEMBERS_MAX] = {false};
		for (int b = 0; b < BOND_SLB_BUCKETS; b++)
			bond->bucket_member[b] = (uint8_t)(b % bond->n_members);
		bond->n_live = slb_live_set(bond, bond->live);
		slb_assign_buckets(bond, none_live);
		bond->next_rebalance_ns = time_now_ns() + bond->rebalance_ns;
		bond->active = bond->n_live ? bond->live[0] : BOND_NONE;
		log_info("port %s: bond balance-slb, %d live member%s, designated %s", port->name,
			 bond->n_live, bond->n_live == 1 ? "" : "s",
			 bond->active == BOND_NONE ? "none (no member is up)"
						   : bond->members[bond->active].ifname);
	} else {
		bond->active = choose_active(bond);
		log_info("port %s: bond active-backup, active member %s%s%s", port->name,
			 bond->active == BOND_NONE ? "none (no member is up)"
						   : bond->members[bond->active].ifname,
			 bond->n_arp_targets ? ", probing arp-target " : "",
			 bond->n_arp_targets ? bond->arp_targets_text : "");
	}
	/* The first recv() checks the links and sends the first probes. */
	bond->next_run_ns = 0;
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

/* The bucket of a source's hash: its high bits (the sent table takes the
 * low ones). */
static unsigned slb_bucket(uint64_t hash)
{
	return hash_reduce(hash, BOND_SLB_BUCKETS);
}

unsigned bond_slb_bucket(const uint8_t mac[6], uint16_t vid)
{
	return slb_bucket(hash_u64((uint64_t)(vid & VID_MASK) << 48 | mac_to_u64(mac)));
}

/* The member a hash leaves by; needs a live member. */
static int slb_member(const struct bond_port *bond, uint64_t hash)
{
	return bond->bucket_member[slb_bucket(hash)];
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
		unsigned bucket = slb_bucket(hash);
		bond->bucket_bytes[bucket] += p->len;
		packet_batch_add(&bond->tx[bond->bucket_member[bucket]], p);
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

/* ---- balance-slb rebalancing ---------------------------------------------- */

int bond_slb_rebalance(const uint64_t *bucket_bytes, uint8_t *bucket_member,
		       const bool *member_live, int n_members)
{
	uint64_t load[BOND_MEMBERS_MAX] = {0};
	if (n_members < 2 || n_members > BOND_MEMBERS_MAX)
		return 0;
	for (int b = 0; b < BOND_SLB_BUCKETS; b++)
		if (bucket_member[b] < n_members && member_live[bucket_member[b]])
			load[bucket_member[b]] += bucket_bytes[b];
	/* Each move takes `bytes` with 0 < bytes < gap from the busiest member
	 * to the idlest: the sum of the loads' squares falls by 2 bytes (gap -
	 * bytes) > 0, so this cannot cycle; the bound is only a guard. */
	int moved = 0;
	for (int round = 0; round < BOND_SLB_BUCKETS; round++) {
		int busiest = BOND_NONE, idlest = BOND_NONE;
		for (int m = 0; m < n_members; m++) {
			if (!member_live[m])
				continue;
			if (busiest == BOND_NONE || load[m] > load[busiest])
				busiest = m;
			if (idlest == BOND_NONE || load[m] < load[idlest])
				idlest = m;
		}
		if (busiest == idlest)
			break; /* fewer than two live members, or all loads equal */
		uint64_t gap = load[busiest] - load[idlest];
		if (gap < SLB_REBALANCE_MIN_BYTES || gap < load[idlest] / 32)
			break;
		/* The bucket whose move leaves the narrowest gap, |gap - 2 bytes|.
		 * A member's only busy bucket never qualifies: moving it would
		 * just swap the loads. */
		int best = BOND_NONE;
		uint64_t best_left = gap;
		for (int b = 0; b < BOND_SLB_BUCKETS; b++) {
			uint64_t bytes = bucket_bytes[b];
			if (bucket_member[b] != busiest || bytes == 0 || bytes >= gap)
				continue;
			uint64_t rest = gap - bytes;
			uint64_t left = bytes > rest ? bytes - rest : rest - bytes;
			if (left < best_left) {
				best = b;
				best_left = left;
			}
		}
		if (best == BOND_NONE)
			break;
		bucket_member[best] = (uint8_t)idlest;
		load[busiest] -= bucket_bytes[best];
		load[idlest] += bucket_bytes[best];
		moved++;
	}
	return moved;
}

/* Every rebalance-interval: moves busy buckets by load, counts and
 * announces a rebalance that moved any, and halves the byte counts, so the
 * last interval weighs as much as all before it (as in OVS). */
static void slb_rebalance(struct bond_port *bond)
{
	bool live[BOND_MEMBERS_MAX] = {false};
	for (int i = 0; i < bond->n_members; i++)
		live[i] = bond->members[i].up;
	int moved =
	    bond_slb_rebalance(bond->bucket_bytes, bond->bucket_member, live, bond->n_members);
	if (moved > 0) {
		uint64_t load[BOND_MEMBERS_MAX] = {0};
		for (int b = 0; b < BOND_SLB_BUCKETS; b++)
			load[bond->bucket_member[b]] += bond->bucket_bytes[b];
		char loads[BOND_MEMBERS_MAX * (IFNAMSIZ + 24)] = "";
		size_t used = 0;
		for (int i = 0; i < bond->n_members && used < sizeof(loads); i++) {
			int n = snprintf(loads + used, sizeof(loads) - used, "%s%s %llu kB",
					 used ? ", " : "", bond->members[i].ifname,
					 (unsigned long long)(load[i] / 1000));
			used += n > 0 ? (size_t)n : 0;
		}
		bond->rebalances++;
		bond->announce_pending = true;
		log_info("port %s: rebalanced by load, %d hash bucket%s moved; lately sent: %s",
			 bond->name, moved, moved == 1 ? "" : "s", loads);
	}
	for (int b = 0; b < BOND_SLB_BUCKETS; b++)
		bond->bucket_bytes[b] /= 2;
}

/* ---- ARP target monitoring ------------------------------------------------ */

/* Builds into `frame` (room for 64 bytes) the broadcast ARP request member
 * `m` sends for `target` (network order); returns its length. */
static size_t arp_build_probe(const struct bond_port *bond, const struct bond_member *m,
			      uint32_t target, uint8_t *frame)
{
	size_t header = ETH_HEADER_LEN + (bond->arp_vlan ? VLAN_TAG_LEN : 0);
	memset(frame, 0, header + ARP_LEN < ETH_MIN_LEN ? ETH_MIN_LEN : header + ARP_LEN);
	memset(frame, 0xff, 6);
	memcpy(frame + 6, m->mac, 6);
	if (bond->arp_vlan) {
		store_be16(frame + 12, ETH_TYPE_VLAN);
		store_be16(frame + 14, bond->arp_vlan);
	}
	store_be16(frame + header - 2, ETH_TYPE_ARP);
	uint8_t *arp = frame + header;
	store_be16(arp, ARP_HW_ETHERNET);
	store_be16(arp + 2, ETH_TYPE_IPV4);
	arp[4] = 6;
	arp[5] = 4;
	store_be16(arp + 6, ARP_OP_REQUEST);
	memcpy(arp + 8, m->mac, 6);
	memcpy(arp + 14, &bond->arp_source, 4);
	/* Target MAC left zero: unknown, as in any request. */
	memcpy(arp + 24, &target, 4);
	size_t len = header + ARP_LEN;
	return len < ETH_MIN_LEN ? ETH_MIN_LEN : len;
}

/* One round, every arp-interval: settles each member's count of probes
 * without a reply, then sends the next probes from each member with
 * carrier. A member without carrier gets no replies and counts as missed,
 * so it must prove itself again when its link returns. */
static void arp_round(struct bond_port *bond)
{
	for (int i = 0; i < bond->n_members; i++) {
		struct bond_member *m = &bond->members[i];
		if (m->arp_replied)
			m->arp_unanswered = 0;
		else if (m->arp_unanswered < UINT32_MAX)
			m->arp_unanswered++;
		m->arp_replied = false;
		if (!m->up) {
			if (m->arp_unanswered < bond->arp_missed)
				m->arp_unanswered = bond->arp_missed;
			continue;
		}
		/* The MAC may have been changed since the last round; replies
		 * will come to the one we send now. On error the old one stays. */
		(void)afpacket_io_hwaddr(m->io, m->mac);
		for (int t = 0; t < bond->n_arp_targets; t++) {
			uint8_t frame[ETH_MIN_LEN + VLAN_TAG_LEN];
			size_t len = arp_build_probe(bond, m, bond->arp_targets[t], frame);
			/* A lost probe is a probe without a reply; nothing else to do. */
			(void)afpacket_io_send_frame(m->io, frame, len);
		}
	}
}

static bool arp_member_mac(const struct bond_port *bond, const uint8_t *mac)
{
	for (int i = 0; i < bond->n_members; i++)
		if (memcmp(bond->members[i].mac, mac, 6) == 0)
			return true;
	return false;
}

static bool arp_target(const struct bond_port *bond, const uint8_t *address)
{
	for (int t = 0; t < bond->n_arp_targets; t++)
		if (memcmp(&bond->arp_targets[t], address, 4) == 0)
			return true;
	return false;
}

/* Whether `p`, received on member i, belongs to ARP monitoring: one of our
 * probes flooded back by the physical switch, or a target's reply to one of
 * our members, which proves member i when it is addressed to i's MAC. */
static bool arp_consume(struct bond_port *bond, int i, const struct packet *p)
{
	const uint8_t *f = p->data;
	if (LIKELY(p->len < ETH_HEADER_LEN + ARP_LEN || load_be16(f + 12) != ETH_TYPE_ARP))
		return false;
	uint16_t vid = (p->flags & PACKET_F_META_VLAN) ? p->meta_tci & VID_MASK : 0;
	const uint8_t *arp = f + ETH_HEADER_LEN;
	if (vid != bond->arp_vlan || load_be16(arp) != ARP_HW_ETHERNET ||
	    load_be16(arp + 2) != ETH_TYPE_IPV4 || arp[4] != 6 || arp[5] != 4)
		return false;
	if (arp_member_mac(bond, f + 6))
		return true; /* our own probe */
	if (load_be16(arp + 6) != ARP_OP_REPLY || !arp_member_mac(bond, arp + 18) ||
	    !arp_target(bond, arp + 14))
		return false;
	if (memcmp(arp + 18, bond->members[i].mac, 6) == 0)
		bond->members[i].arp_replied = true;
	return true;
}

/* Takes ARP monitoring's frames out of batch->packets[first..] (member i's);
 * returns how many it took. */
static uint32_t arp_filter(struct bond_port *bond, int i, struct packet_batch *batch,
			   uint32_t first)
{
	uint32_t kept = first;
	for (uint32_t j = first; j < batch->count; j++) {
		struct packet *p = batch->packets[j];
		if (arp_consume(bond, i, p))
			packet_free(p);
		else
			batch->packets[kept++] = p;
	}
	uint32_t taken = batch->count - kept;
	batch->count = kept;
	return taken;
}

/* ---- I/O ------------------------------------------------------------------ */

static void bond_run(struct port *port, struct bond_port *bond, uint64_t now, bool read_carriers);

static int bond_recv(struct port *port, struct packet_pool *pool, struct packet_batch *batch)
{
	struct bond_port *bond = port->priv;
	uint64_t now = time_now_ns();
	if (UNLIKELY(now >= bond->next_run_ns))
		bond_run(port, bond, now, false);
	if (bond->mode == BOND_BALANCE_SLB)
		return slb_recv(port, bond, pool, batch);
	int received = 0;
	if (bond->active != BOND_NONE) {
		uint32_t first = batch->count;
		received = afpacket_io_recv(bond->members[bond->active].io, port, pool, batch);
		if (bond->n_arp_targets && received > 0)
			received -= (int)arp_filter(bond, bond->active, batch, first);
	}
	/* Drain the backups, so their queues neither fill nor deliver stale
	 * frames after a failover. Their errors are not the bond's. */
	for (int i = 0; i < bond->n_members; i++) {
		if (i == bond->active)
			continue;
		struct packet_batch dropped;
		packet_batch_init(&dropped);
		int n = afpacket_io_recv(bond->members[i].io, port, pool, &dropped);
		if (bond->n_arp_targets && n > 0)
			n -= (int)arp_filter(bond, i, &dropped, 0);
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

static uint64_t earliest(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The bond's timers: reads the members' links when miimon is due (or
 * `read_carriers`), runs an ARP probe round when due, picks the member(s) to
 * use, and announces the client MACs after a change. Runs from recv() when
 * the earliest deadline has passed and from update_stats(); no batch is in
 * flight at either point, so sending the announcements from here is safe. */
static void bond_run(struct port *port, struct bond_port *bond, uint64_t now, bool read_carriers)
{
	if (read_carriers || now >= bond->next_miimon_ns) {
		for (int i = 0; i < bond->n_members; i++)
			bond->members[i].up = afpacket_io_carrier(bond->members[i].io);
		bond->next_miimon_ns = now + bond->miimon_ns;
	}
	bond->next_run_ns = bond->next_miimon_ns;
	if (bond->n_arp_targets) {
		if (now >= bond->next_arp_ns) {
			arp_round(bond);
			bond->next_arp_ns = now + bond->arp_interval_ns;
		}
		bond->next_run_ns = earliest(bond->next_run_ns, bond->next_arp_ns);
	}
	reselect(bond, NULL);
	if (bond->rebalance_ns) {
		if (now >= bond->next_rebalance_ns) {
			slb_rebalance(bond);
			bond->next_rebalance_ns = now + bond->rebalance_ns;
		}
		bond->next_run_ns = earliest(bond->next_run_ns, bond->next_rebalance_ns);
	}
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
	bond_run(port, bond, time_now_ns(), true);
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
		BOND_PRINT("mode active-backup, ");
		if (bond->n_arp_targets)
			BOND_PRINT("arp-target %s every %llu ms, ", bond->arp_targets_text,
				   (unsigned long long)(bond->arp_interval_ns / NS_PER_MS));
		BOND_PRINT("active ");
		if (bond->active == BOND_NONE)
			BOND_PRINT("none");
		else
			BOND_PRINT("%s%s%s", bond->members[bond->active].ifname,
				   bond->active == bond->primary ? " (primary)" : "",
				   bond->carrier_only
				       ? " (carrier only: no member gets ARP replies)"
				       : "");
		BOND_PRINT(", members: ");
		for (int i = 0; i < bond->n_members; i++)
			BOND_PRINT("%s%s %s %s%s", i ? ", " : "", bond->members[i].ifname,
				   bond->members[i].up ? "up" : "down",
				   i == bond->active ? "active" : "backup",
				   !bond->n_arp_targets ? ""
				   : arp_ok(bond, i)	? " arp ok"
							: " arp missed");
	}
	BOND_PRINT("; failovers %llu", (unsigned long long)bond->failovers);
	if (bond->last_cause[0])
		BOND_PRINT(", last: %s", bond->last_cause);
	if (bond->mode == BOND_BALANCE_SLB && bond->rebalance_ns)
		BOND_PRINT("; rebalances %llu every %llu ms", (unsigned long long)bond->rebalances,
			   (unsigned long long)(bond->rebalance_ns / NS_PER_MS));
	else if (bond->mode == BOND_BALANCE_SLB)
		BOND_PRINT("; rebalances %llu (rebalancing off)",
			   (unsigned long long)bond->rebalances);
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

/* The members= list, for the control plane's one-port-per-interface check;
 * open() reports what is wrong with the list itself. */
static int bond_interfaces(const char *name, const char *const *options,
			   char (*out)[PORT_IFNAME_MAX], int max)
{
	(void)name;
	const char *list = port_option(options, "members");
	int n = 0;
	for (const char *p = list; p && *p && n < max;) {
		size_t len = strcspn(p, ",");
		if (len > 0 && len < PORT_IFNAME_MAX) {
			memcpy(out[n], p, len);
			out[n++][len] = '\0';
		}
		p += len + (p[len] == ',');
	}
	return n;
}

const struct port_class bond_port_class = {
    .type = "bond",
    .open = bond_open,
    .close = bond_close,
    .recv = bond_recv,
    .send = bond_send,
    .carrier = bond_carrier,
    .interfaces = bond_interfaces,
    .wait_fd = bond_wait_fd,
    .update_stats = bond_update_stats,
};
