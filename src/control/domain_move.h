/* domain_move.h — a VM's port moving between the hosts of a domain
 * (vMotion, Live Partition Mobility; docs/distributed.md "VM move"): the
 * `port move` command changes the binding's host in one etcd transaction;
 * the host that loses the binding writes the port's counters and learned
 * MACs to counters/PORT and removes the port; the host that gains it
 * continues those counters (an offset, bridge_port.carried) and announces
 * the VM's MACs with gratuitous RARPs from the port. Every host also writes
 * its bound ports' counters every DOMAIN_COUNTERS_PERIOD seconds, so a
 * crashed host's ports lose at most that much. Control thread only, apart
 * from the timer thread that wakes it. */
#ifndef VSWITCH_DOMAIN_MOVE_H
#define VSWITCH_DOMAIN_MOVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/domain_schema.h"
#include "engine/counters.h"

struct config;
struct domain;
struct domain_view;

#define DOMAIN_COUNTERS_PERIOD 30 /* seconds between writes of the counters */
#define DOMAIN_MOVE_MACS       16 /* learned MACs carried per port */

/* What counters/PORT holds: the port's totals as its host last wrote
 * them, with the MACs learned on it when the host released it. */
struct domain_counters {
	char host[DOMAIN_NAME_MAX];
	bool released;
	struct port_counters c;
	uint8_t macs[DOMAIN_MOVE_MACS][6];
	uint16_t vids[DOMAIN_MOVE_MACS];
	int n_macs;
};

/* A malloc'd JSON text, NULL when out of memory. */
char *domain_counters_encode(const struct domain_counters *m);
/* Another host's bytes: 0, or -EINVAL (no object, no host) and the port
 * carries nothing; fields that do not decode count as 0, MACs that do not
 * are left out. Never crashes (fuzz_domain_counters). */
int domain_counters_decode(const char *json, size_t len, struct domain_counters *m);

/* The move state of d (d->move), or NULL when out of memory; starts the
 * timer that wakes the control thread through `event_fd`. */
struct domain_move *domain_move_create(struct domain *d, int event_fd);
void domain_move_destroy(struct domain_move *m);

/* Before the model `next` (worked out from `view`) is committed: a port
 * bound here whose binding went to another host is released (its counters
 * and MACs written to etcd, the port removed from `next`); the ports that
 * become bound here are noted for domain_move_applied(). */
void domain_move_prepare(struct domain *d, const struct domain_view *view, struct config *next);
/* After that model was committed: the noted ports announce their MACs. */
void domain_move_applied(struct domain *d);
/* After every batch of the watch's changes (and every timer tick): the
 * bound ports take the counters other hosts wrote for them, and every
 * DOMAIN_COUNTERS_PERIOD their counters are written. */
void domain_move_sync(struct domain *d);
/* `port move PORT host HOST` (argv from PORT on). */
int domain_move_command(struct domain *d, int argc, char **argv, char *err, size_t err_size);

#endif
