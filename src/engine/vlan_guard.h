/* vlan_guard.h — the per-port VLAN-hopping guard of DESIGN §3 rule 1. An
 * 802.1Q C-VLAN bridge forwards a frame with a second tag, or with an
 * 802.1ad S-tag outside, by its outer C-tag (or the PVID) and carries the
 * rest as payload; a port facing an untrusted guest may refuse such frames
 * instead (`port set vm1 stacked-tags drop`), counted as `stacked-tag`; a
 * port with port security does by default, since an IP packet behind a
 * second tag would pass its address checks unread.
 * vlan_ingress() (vlan.c) applies it; control/vlan_guard_config.c parses,
 * compares, prints and shows it. */
#ifndef VSWITCH_VLAN_GUARD_H
#define VSWITCH_VLAN_GUARD_H

#include <stdbool.h>
#include <stdint.h>

enum stacked_tags {
	/* drop on a port with port security (port_security.h: a VM port
	 * that is not trusted with the wire), forward elsewhere */
	STACKED_TAGS_DEFAULT = 0,
	STACKED_TAGS_FORWARD = 1, /* 802.1Q: the second tag or S-tag is payload */
	STACKED_TAGS_DROP = 2,	  /* the guard: counted as stacked-tag */
};

struct vlan_guard {
	uint8_t stacked_tags; /* enum stacked_tags; zeroed = default */
};

/* Whether a port drops stacked frames, given whether it has port security
 * and is an uplink (uplinks carry whatever the physical LAN sends). */
static inline bool vlan_guard_drops(const struct vlan_guard *g, bool security, bool uplink)
{
	if (g->stacked_tags == STACKED_TAGS_DEFAULT)
		return security && !uplink;
	return g->stacked_tags == STACKED_TAGS_DROP;
}

#endif
