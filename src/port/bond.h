/* bond.h — what the rest of the daemon may ask a bond port (bond.c) beyond
 * the provider interface: the text `vswitchctl bond show` prints, and the
 * active member and failover count for tests and monitoring. */
#ifndef VSWITCH_PORT_BOND_H
#define VSWITCH_PORT_BOND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "port.h"

/* Writes one line about the bond into buf, e.g.
 * "mode active-backup, active eth1 (primary), members: eth1 up active,
 * eth2 up backup; failovers 2, last: eth1 down"; with ARP monitoring
 * "mode active-backup, arp-target 10.0.0.1 every 200 ms, active eth2,
 * members: eth1 up backup arp missed, eth2 up active arp ok; failovers 1,
 * last: arp-target 10.0.0.1 unreachable on eth1"; for balance-slb
 * "mode balance-slb, members: eth1 down, eth2 up (designated for broadcast);
 * failovers 1, last: eth1 down". Member states are those of the last check
 * (the bond's timers, update_stats() or a failed send). Returns 0, -EINVAL
 * if `port` is not a bond, or -ENOSPC when the text was cut to fit `size`. */
int bond_describe(const struct port *port, char *buf, size_t size);
/* The interface name of the active member (balance-slb: the designated
 * member, the first live one, which alone takes broadcast and multicast
 * frames), or NULL when no member is up (or `port` is not a bond). */
const char *bond_active_member(const struct port *port);
/* How many times the active member (balance-slb: the set of live members)
 * changed since the bond opened, not counting changes to no member at all
 * (0 for a port that is not a bond). */
uint64_t bond_failovers(const struct port *port);
/* Member i's interface name, and in *up its carrier as of the last check;
 * NULL past the last member (or if `port` is not a bond). For metrics. */
const char *bond_member(const struct port *port, int i, bool *up);

/* balance-slb's mapping, for tests: each source (MAC, VLAN) hashes into one
 * of BOND_SLB_BUCKETS buckets, and each bucket leaves by one member. */
#define BOND_SLB_BUCKETS 256
/* The bucket of source `mac` on VLAN `vid` (0: untagged). */
unsigned bond_slb_bucket(const uint8_t mac[6], uint16_t vid);
/* The rebalancing decision, a pure function. bucket_bytes: what each bucket
 * sent lately; bucket_member: the member (index below n_members, 2-8) each
 * leaves by, updated in place; member_live: which members may carry
 * traffic. Moves busy buckets from the most to the least loaded live member,
 * one at a time, each the one that narrows the gap between them most, while
 * the gap is worth it (at least 100000 bytes and 1/32 of the lesser load).
 * Empty buckets, the buckets of members that are not live and a member's
 * only busy bucket never move. Returns how many buckets moved. */
int bond_slb_rebalance(const uint64_t *bucket_bytes, uint8_t *bucket_member,
		       const bool *member_live, int n_members);

#endif
