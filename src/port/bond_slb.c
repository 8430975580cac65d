/* bond_slb.c — balance-slb, a bond's second mode (bond.c is the port):
 * source load balancing, as Open vSwitch and XenServer do it, without LACP.
 *
 * Each source MAC and VLAN hashes into one of 256 buckets, and each bucket
 * leaves by one live member, so one VM's traffic always takes one member (no
 * reordering) and different VMs spread over the members. A bucket starts on
 * its home member (bucket number modulo the member count). A member going
 * down moves only the buckets it carried, at once (home, if home is live,
 * else spread over the live members); a member coming back takes its home
 * buckets back. Every change of the live set counts as a failover and is
 * announced, so the physical switches relearn. Between those, every
 * rebalance-interval the bytes each bucket sent decide, as in Open vSwitch:
 * busy buckets move from the most to the least loaded live member while that
 * narrows the gap between them (bond_slb_rebalance()), and the counts are
 * halved so old traffic fades. A source thus changes member only at a
 * rebalance or a failure; a rebalance that moved anything is counted and
 * announced too.
 *
 * Frames are accepted from every member, except that broadcast and multicast
 * frames, which the physical switch floods to every member, are accepted
 * only on the designated member (the first live one) and dropped on the
 * others as uplink-inactive, so they are neither delivered twice nor looped
 * back. And a frame whose source (MAC and VLAN) is one we sent within the
 * last few seconds, arriving on a member other than the one that source
 * leaves by, is our own frame flooded back by the physical switch: it is
 * dropped too (uplink-inactive), or the engine would learn our client's MAC
 * on the uplink. The window is short so a client that moved away (a migrated
 * VM) is reachable through any member seconds after we last sent for it. */
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"
#include "afpacket.h"
#include "bond_private.h"

#define SLB_SENT_EPOCHS 2 /* update_stats() calls (about seconds) a source stays */
#define SLB_KEY_USED	(1ULL << 63)
/* A gap between the busiest and the idlest member smaller than this, or than
 * 1/32 of the idlest member's load, is not worth moving a source for (OVS's
 * thresholds). */
#define SLB_REBALANCE_MIN_BYTES 100000

/* ---- the live set --------------------------------------------------------- */

/* Fills `live` with the members that are up, in order; returns how many. */
static int slb_live_set(const struct bond_port *bond, int *live)
{
	int n_live = 0;
	for (int i = 0; i < bond->n_members; i++)
		if (bond->members[i].up)
			live[n_live++] = i;
	return n_live;
}

/* Gives every bucket a live member after a change of the live set. A member
 * that came back takes back its home buckets; the buckets of a member that
 * went down go home if home is live, else spread over the live members.
 * Every other bucket stays where it is. */
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

void bond_slb_reselect(struct bond_port *bond, const char *why)
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
	bond_note_change(bond, cause);
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

void bond_slb_init(struct bond_port *bond)
{
	bool none_live[BOND_MEMBERS_MAX] = {false};
	for (int b = 0; b < BOND_SLB_BUCKETS; b++)
		bond->bucket_member[b] = (uint8_t)(b % bond->n_members);
	bond->n_live = slb_live_set(bond, bond->live);
	slb_assign_buckets(bond, none_live);
	bond->next_rebalance_ns = time_now_ns() + bond->rebalance_ns;
	bond->active = bond->n_live ? bond->live[0] : BOND_NONE;
}

/* ---- hashing, sending and receiving --------------------------------------- */

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

void bond_slb_send(struct port *port, struct bond_port *bond, struct packet_batch *batch)
{
	if (UNLIKELY(bond->n_live == 0)) {
		port->stats.tx_errors += batch->count;
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
		uint64_t errors = port->stats.tx_errors;
		afpacket_io_send(m->io, port, &bond->tx[i]);
		if (UNLIKELY(port->stats.tx_errors != errors) &&
		    !afpacket_io_carrier(m->io)) {
			m->up = false;
			member_down = true;
		}
	}
	/* The frames already lost on a dead member are counted; the next ones
	 * take the live members. */
	if (UNLIKELY(member_down))
		bond_slb_reselect(bond, "send failed");
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
int bond_slb_recv(struct port *port, struct bond_port *bond, struct packet_pool *pool,
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
		port->stats.rx_inactive += dropped;
	/* A member's error is the bond's only when nothing came in at all. */
	return received ? received : error;
}

/* ---- rebalancing by load -------------------------------------------------- */

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
void bond_slb_rebalance_by_load(struct bond_port *bond)
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
