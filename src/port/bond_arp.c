/* bond_arp.c — ARP target monitoring for an active-backup bond (bond.c is
 * the port; Linux arp_ip_target, the ping address of PowerVM's Network
 * Interface Backup). It proves what the carrier cannot: that the network
 * behind a member still answers.
 *
 * Every arp-interval each member with carrier, the backups too (so a backup
 * is proven before it is used), broadcasts an ARP request for each target
 * from its own MAC, sender IP 0.0.0.0 (an RFC 5227 probe, which Linux answers
 * with a reply unicast to that MAC) unless arp-source= is set. A reply from a
 * target to a member's MAC, on that member, proves it; after arp-missed
 * probes in a row without one the member is "arp missed" and bond.c takes
 * the active role from it. Replies and our own probes flooded back are
 * consumed here: the switch must neither learn our members' MACs nor flood
 * our probes to its clients. */
#include <string.h>

#include "lib/util.h"
#include "afpacket.h"
#include "bond_private.h"

#define ARP_HW_ETHERNET 1
#define ARP_OP_REQUEST	1
#define ARP_OP_REPLY	2
#define ARP_LEN		28 /* the ARP payload for Ethernet and IPv4 */
#define ETH_MIN_LEN	60 /* a frame is padded to this, without FCS */

/* A member is "arp missed" after arp-missed rounds in a row without a reply;
 * bond_arp_round() keeps the count. */
bool bond_arp_ok(const struct bond_port *bond, int i)
{
	return bond->n_arp_targets == 0 || bond->members[i].arp_unanswered < bond->arp_missed;
}

/* ---- probes --------------------------------------------------------------- */

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
void bond_arp_round(struct bond_port *bond)
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

/* ---- replies -------------------------------------------------------------- */

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

uint32_t bond_arp_filter(struct bond_port *bond, int i, struct packet_batch *batch, uint32_t first)
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
