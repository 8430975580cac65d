/* bond.c — several interfaces as one uplink port, in active-backup mode
 * (Linux bonding mode 1, PowerVM Network Interface Backup): one member
 * carries all the traffic, the others wait. Each member is an existing
 * interface reached through afpacket.c's packet-socket I/O.
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
 * switch_announce(). */
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
#define BOND_NONE	 (-1)

struct bond_member {
	char ifname[IFNAMSIZ];
	struct afpacket_io *io;
	bool up; /* carrier at the last check */
};

struct bond_port {
	char name[PORT_NAME_MAX]; /* the port's, for messages about other bonds */
	struct bond_member members[BOND_MEMBERS_MAX];
	int n_members;
	int primary; /* index into members, or BOND_NONE */
	int active;  /* index into members, or BOND_NONE when none is up */
	int epoll_fd;

	uint64_t failovers;
	char last_cause[64]; /* why the active member last changed */
	bool announce_pending;

	struct bond_port *next; /* on open_bonds */
};

/* Every open bond, so an interface cannot be a member of two (each would
 * take the other's frames). Ports are opened and closed on the one
 * control/data-plane thread, so a plain list will do. */
static struct bond_port *open_bonds;

/* ---- options -------------------------------------------------------------- */

static int parse_mode(const struct port *port, const char *const *options, char *err,
		      size_t err_size)
{
	const char *mode = port_option(options, "mode");
	if (!mode || strcmp(mode, "active-backup") == 0)
		return 0;
	snprintf(err, err_size,
		 "port %s: bond mode '%s' is not supported (supported: active-backup)", port->name,
		 mode);
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
	static const char *const known[] = {"members", "mode", "primary", AFPACKET_IO_OPTIONS,
					    NULL};
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
		error = parse_mode(port, options, err, err_size);
	if (!error)
		error = parse_members(port, options, bond, err, err_size);
	if (!error)
		error = parse_primary(port, options, bond, err, err_size);
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
	bond->active = choose_active(bond);
	log_info("port %s: bond active-backup, active member %s", port->name,
		 bond->active == BOND_NONE ? "none (no member is up)"
					   : bond->members[bond->active].ifname);
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

static int bond_recv(struct port *port, struct packet_pool *pool, struct packet_batch *batch)
{
	struct bond_port *bond = port->priv;
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

static void bond_update_stats(struct port *port)
{
	struct bond_port *bond = port->priv;
	for (int i = 0; i < bond->n_members; i++) {
		struct bond_member *m = &bond->members[i];
		afpacket_io_update_stats(m->io, port);
		m->up = afpacket_io_carrier(m->io);
	}
	reselect(bond, NULL);
	if (!bond->announce_pending || bond->active == BOND_NONE)
		return;
	bond->announce_pending = false;
	if (port->sw) {
		uint32_t sent = switch_announce(port->sw, port);
		log_info("port %s: announced %u client MAC/VLAN pairs through %s", port->name, sent,
			 bond->members[bond->active].ifname);
	}
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
