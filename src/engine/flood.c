/* flood.c — broadcast, multicast and (in learning mode) unknown unicast
 * (DESIGN §3 rules 3 and 5): a copy to every member port of the VID that is
 * up, except the ingress port (unless hairpin), only the VID's active uplink
 * among the uplinks and none of them for a frame that came from an uplink;
 * private and VEPA ports flood only to the uplink and receive floods only
 * from it. */
#include "engine.h"

/* Inlined into flood_packet(): flood_ports() has callers in other files
 * (snooping) and would otherwise be a call on every flood. */
static inline __attribute__((always_inline)) void flood_set(const struct vswitch *sw,
							    const struct bridge_port *in,
							    uint16_t vid,
							    uint64_t out[PORT_SET_WORDS])
{
	const bool back = in->config.hairpin && bitset_test(sw->flood_set[vid], in->index);
	const bool from_uplink = in->config.uplink;
	const bool isolated = bitset_test(sw->isolated, in->index);
	const uint16_t owner = sw->passthrough_port;

	for (unsigned w = 0; w < PORT_SET_WORDS; w++) {
		uint64_t set = sw->flood_set[vid][w];
		if (from_uplink)
			set &= ~sw->uplinks[w];
		else if (isolated || in->index == owner)
			set &= sw->uplinks[w];
		else
			set &= ~sw->isolated[w];
		out[w] = set;
	}
	if (UNLIKELY(owner != PORT_INDEX_NONE) && in->index != owner) {
		if (from_uplink) {
			bool reach = bitset_test(out, owner);
			memset(out, 0, PORT_SET_WORDS * sizeof(uint64_t));
			if (reach)
				bitset_set(out, owner);
		} else {
			for (unsigned w = 0; w < PORT_SET_WORDS; w++)
				out[w] &= ~sw->uplinks[w];
		}
	}
	bitset_clear(out, in->index);
	if (back)
		bitset_set(out, in->index);
}

void flood_ports(const struct vswitch *sw, const struct bridge_port *in, uint16_t vid,
		 uint64_t out[PORT_SET_WORDS])
{
	flood_set(sw, in, vid, out);
}

/* Inlined into both callers, so that the plain flood pays no extra call
 * for snooping's sake (the bench-engine flood case). */
static inline __attribute__((always_inline)) void
send_to_set(struct engine_thread *self, struct vswitch *sw, struct bridge_port *in,
	    struct packet *packet, const uint64_t set[PORT_SET_WORDS])
{
	/* Only the words that hold ports: the set has no bit at or above
	 * n_ports (a flood used to test all PORT_SET_WORDS, 16 of them). */
	const unsigned words = (sw->n_ports + 63u) / 64u;
	/* The original goes to the last port; every other port gets a copy,
	 * since each may tag the frame differently. `last` points into the
	 * ports array, and `self` comes from the caller (read once per
	 * batch): fewer values live across packet_clone()'s memcpy call, which
	 * cost about 10 instructions of spills and reloads per copy when the
	 * egress state became per thread (docs/cores.md, "Cost with one
	 * thread"). */
	struct bridge_port *const *last = NULL;
	for (unsigned w = 0; w < words; w++) {
		struct bridge_port *const *row = sw->ports + w * 64;
		for (uint64_t bits = set[w]; bits; bits &= bits - 1) {
			if (last) {
				struct packet *copy = packet_clone(packet);
				if (copy)
					egress_enqueue_on(self, *last, copy);
				else
					port_count_drop(in, DROP_NO_BUFFER, 1);
			}
			last = row + __builtin_ctzll(bits);
		}
	}
	if (last) {
		egress_enqueue_on(self, *last, packet);
	} else {
		port_count_drop(in, DROP_NO_ROUTE, 1);
		packet_free(packet);
	}
}

void flood_packet(struct engine_thread *self, struct vswitch *sw, struct bridge_port *in,
		  struct packet *packet)
{
	uint64_t set[PORT_SET_WORDS];
	flood_set(sw, in, packet->vid, set);
	send_to_set(self, sw, in, packet, set);
}

void flood_packet_to(struct vswitch *sw, struct bridge_port *in, struct packet *packet,
		     const uint64_t set[PORT_SET_WORDS])
{
	send_to_set(engine_self, sw, in, packet, set);
}
