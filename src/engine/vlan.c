/* vlan.c — the 802.1Q rules of DESIGN §3 at the two ends of the pipeline.
 * Ingress (rule 1): an untagged or priority-tagged frame takes the port's
 * PVID, or is dropped on a port without one (802.1Q's "admit only
 * VLAN-tagged frames"); a tagged frame keeps its VID only if the port is a member; VID 4095
 * is reserved; an uplink carries a VID only while it is that VID's active
 * uplink; and a port with the VLAN-hopping guard drops stacked frames
 * (vlan_guard.h). Egress (rule 4): a frame leaves untagged iff its VID is
 * the egress port's PVID, tagged otherwise, keeping its priority bits. Only
 * the outer C-tag is ours: a second tag or an S-tag stays in the frame as
 * payload, and a pushed C-tag goes outside it, as the Linux bridge and Open
 * vSwitch push theirs (docs/qinq.md). */
#include "engine.h"

#define VID_MASK 0x0fff

enum drop_reason vlan_ingress(const struct vswitch *sw, const struct bridge_port *in,
			      const struct frame_header *header, uint16_t *vid)
{
	if (UNLIKELY(header->stacked) && vlan_guard_drops(&in->config.vlan_guard,
							  in->config.security.enabled,
							  in->config.uplink))
		return DROP_STACKED_TAG;
	uint16_t v = header->tagged ? (header->tci & VID_MASK) : 0;
	if (v == 0) {
		v = in->config.pvid;
		if (UNLIKELY(v == 0))
			return DROP_UNTAGGED;
	} else if (v == 4095)
		return DROP_VID_4095;
	else if (!bitset_test(in->vlans, v))
		return DROP_VLAN_NOT_MEMBER;
	if (in->config.uplink && sw->active_uplink[v] != in->index)
		return DROP_UPLINK_INACTIVE;
	*vid = v;
	return DROP_NONE;
}

bool vlan_egress(struct packet *packet, const struct bridge_port *out)
{
	if (packet->vid == out->config.pvid) {
		if (packet->flags & PACKET_F_INLINE_TAG)
			packet_pop_vlan(packet);
		return true;
	}
	uint16_t tci = (uint16_t)((packet->pcp << 12) | packet->vid);
	if (packet->flags & PACKET_F_INLINE_TAG) {
		store_be16(packet->data + 14, tci);
		return true;
	}
	return packet_push_vlan(packet, tci);
}
