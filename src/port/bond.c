/* bond.c — several interfaces as one uplink port, in one of two modes:
 * active-backup (below) or balance-slb (bond_slb.c: every live member
 * carries traffic, each source by one of them). Each member is an existing
 * interface reached through afpacket.c's packet-socket I/O. This file is the
 * port class: options, open and close, recv/send (active-backup's here,
 * balance-slb's in bond_slb.c), the timers, and what `bond show` prints;
 * bond_arp.c is the ARP target monitor, and bond_private.h holds the state
 * the three share.
 *
 * active-backup (Linux bonding mode 1, PowerVM Network Interface Backup): one
 * member carries all the traffic, the others wait.
 *
 * The active member is the primary if one is set and eligible, else the one
 * in use while it stays eligible, else the first eligible member, in the
 * order given. A member is eligible when its carrier is up and, with
 * arp-target= set, ARP replies reach it (bond_arp.c). If no member is
 * eligible, one with carrier keeps the traffic (better than nothing), and the
 * log and `bond show` say so. A member's carrier is checked every miimon
 * from recv(), in update_stats() and at once when a send to the active
 * member fails because its link is down. Frames arriving on a backup are
 * read and dropped (uplink-inactive): a physical switch that floods to every
 * member must not make us forward each frame twice. On every change of
 * active member the physical switches must relearn where our clients live;
 * a provider never calls the switch, so a change raises PORT_EVENT_ANNOUNCE
 * and the switch announces its clients through the bond when it reads the
 * event after recv() or update_stats(). The timers run from recv(); a
 * timerfd in the bond's wait set, armed for the earliest deadline, wakes an
 * idle daemon for them. */
#include "bond.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/spinlock.h"
#include "lib/util.h"
#include "afpacket.h"
#include "bond_private.h"

#define BOND_MEMBERS_MIN 2
/* Members' links are checked this often unless miimon= says otherwise. */
#define BOND_DEFAULT_MIIMON_MS 1000
#define NS_PER_MS	       1000000ULL
/* ARP target monitoring's defaults. */
#define ARP_DEFAULT_INTERVAL_MS 200
#define ARP_DEFAULT_MISSED	3
/* balance-slb: rebalancing by load every rebalance-interval unless set
 * otherwise (0: off). */
#define SLB_DEFAULT_REBALANCE_MS 10000

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

static bool eligible(const struct bond_port *bond, int i)
{
	return bond->members[i].up && bond_arp_ok(bond, i);
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

void bond_note_change(struct bond_port *bond, const char *cause)
{
	copy_name(bond->last_cause, sizeof(bond->last_cause), cause);
	clock_gettime(CLOCK_REALTIME, &bond->last_change);
}

/* Moves the traffic to the member the rule above picks, if it is another
 * one; `why` qualifies a member going down ("send failed"), or NULL. */
static void reselect(struct bond_port *bond, const char *why)
{
	if (bond->mode == BOND_BALANCE_SLB) {
		bond_slb_reselect(bond, why);
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
	else if (previous != BOND_NONE && !bond_arp_ok(bond, previous))
		snprintf(cause, sizeof(cause), "arp-target%s %s unreachable on %s",
			 bond->n_arp_targets > 1 ? "s" : "", bond->arp_targets_text,
			 bond->members[previous].ifname);
	else if (chosen != BOND_NONE && chosen == bond->primary)
		snprintf(cause, sizeof(cause), "primary %s back", bond->members[chosen].ifname);
	else
		snprintf(cause, sizeof(cause), "%s up", bond->members[chosen].ifname);
	bond->active = chosen;
	bond_note_change(bond, cause);
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
	if (bond->timer_fd >= 0)
		close(bond->timer_fd);
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
	bond->epoll_fd = bond->timer_fd = -1;
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
	bond->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct epoll_event timer = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
	if (bond->epoll_fd < 0 || bond->timer_fd < 0 ||
	    epoll_ctl(bond->epoll_fd, EPOLL_CTL_ADD, bond->timer_fd, &timer) < 0) {
		error = -errno;
		snprintf(err, err_size, "port %s: cannot create an epoll fd and a timer: %s",
			 port->name, strerror(errno));
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
		bond_slb_init(bond);
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

/* ---- I/O ------------------------------------------------------------------ */

static void bond_run(struct port *port, struct bond_port *bond, uint64_t now, bool read_carriers);

static int bond_recv_io(struct port *port, struct packet_pool *pool, struct packet_batch *batch)
{
	struct bond_port *bond = port->priv;
	uint64_t now = time_now_ns();
	if (UNLIKELY(now >= bond->next_run_ns))
		bond_run(port, bond, now, false);
	if (bond->mode == BOND_BALANCE_SLB)
		return bond_slb_recv(port, bond, pool, batch);
	int received = 0;
	if (bond->active != BOND_NONE) {
		uint32_t first = batch->count;
		received = afpacket_io_recv(bond->members[bond->active].io, port, pool, batch);
		if (bond->n_arp_targets && received > 0)
			received -= (int)bond_arp_filter(bond, bond->active, batch, first);
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
			n -= (int)bond_arp_filter(bond, i, &dropped, 0);
		if (n > 0)
			port->stats.rx_inactive += (uint64_t)n;
		packet_batch_free(&dropped);
	}
	return received;
}

static void bond_send_io(struct port *port, struct packet_batch *batch)
{
	struct bond_port *bond = port->priv;
	if (bond->mode == BOND_BALANCE_SLB) {
		bond_slb_send(port, bond, batch);
		return;
	}
	if (UNLIKELY(bond->active == BOND_NONE)) {
		port->stats.tx_errors += batch->count;
		packet_batch_free(batch);
		return;
	}
	struct bond_member *m = &bond->members[bond->active];
	uint64_t errors = port->stats.tx_errors;
	afpacket_io_send(m->io, port, batch);
	/* A failed send is the first sign of a dead link; asking the carrier
	 * costs a system call, so only then. */
	if (UNLIKELY(port->stats.tx_errors != errors) && !afpacket_io_carrier(m->io)) {
		m->up = false;
		reselect(bond, "send failed");
	}
}

/* recv() and send() may run on two poll threads at once (port.h); recv() runs the
 * bond's timers (member choice, ARP probes, announcements) and send() may
 * reselect: one at a time, a lock taken once per batch. */
static int bond_recv(struct port *port, struct packet_pool *pool, struct packet_batch *batch)
{
	struct bond_port *priv = port->priv;
	spin_lock(&priv->io_lock);
	int n = bond_recv_io(port, pool, batch);
	spin_unlock(&priv->io_lock);
	return n;
}

static void bond_send(struct port *port, struct packet_batch *batch)
{
	struct bond_port *priv = port->priv;
	spin_lock(&priv->io_lock);
	bond_send_io(port, batch);
	spin_unlock(&priv->io_lock);
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
			bond_arp_round(bond);
			bond->next_arp_ns = now + bond->arp_interval_ns;
		}
		bond->next_run_ns = earliest(bond->next_run_ns, bond->next_arp_ns);
	}
	reselect(bond, NULL);
	if (bond->rebalance_ns) {
		if (now >= bond->next_rebalance_ns) {
			bond_slb_rebalance_by_load(bond);
			bond->next_rebalance_ns = now + bond->rebalance_ns;
		}
		bond->next_run_ns = earliest(bond->next_run_ns, bond->next_rebalance_ns);
	}
	/* Arming it also clears an expiry that woke us. */
	struct itimerspec due = {.it_value = {.tv_sec = (time_t)(bond->next_run_ns / 1000000000),
					      .tv_nsec = (long)(bond->next_run_ns % 1000000000)}};
	timerfd_settime(bond->timer_fd, TFD_TIMER_ABSTIME, &due, NULL);
	if (!bond->announce_pending || bond->active == BOND_NONE)
		return;
	bond->announce_pending = false;
	/* The switch announces the clients it knows through us (port.h). */
	port->events |= PORT_EVENT_ANNOUNCE;
	if (bond->mode == BOND_BALANCE_SLB)
		snprintf(port->event_note, sizeof(port->event_note), "over %d live members",
			 bond->n_live);
	else
		snprintf(port->event_note, sizeof(port->event_note), "through %s",
			 bond->members[bond->active].ifname);
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
				   !bond->n_arp_targets	  ? ""
				   : bond_arp_ok(bond, i) ? " arp ok"
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

const char *bond_member(const struct port *port, int i, bool *up)
{
	const struct bond_port *bond = bond_of(port);
	if (!bond || i < 0 || i >= bond->n_members)
		return NULL;
	*up = bond->members[i].up;
	return bond->members[i].ifname;
}

static int bond_status(const struct port *port, struct port_status *out)
{
	int error = bond_describe(port, out->text, sizeof(out->text));
	port_status_string(out, "active", bond_active_member(port));
	port_status_number(out, "failovers", bond_failovers(port));
	const struct bond_port *bond = bond_of(port);
	char when[40] = "";
	if (bond && bond->last_change.tv_sec) {
		struct tm tm;
		localtime_r(&bond->last_change.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	}
	port_status_string(out, "last_cause",
			   bond && bond->last_cause[0] ? bond->last_cause : NULL);
	port_status_string(out, "last_change", when[0] ? when : NULL);
	return error;
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
    .status = bond_status,
    .wait_fd = bond_wait_fd,
    .update_stats = bond_update_stats,
};
