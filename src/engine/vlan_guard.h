/* vlan_guard.h — the per-port VLAN-hopping guard of DESIGN §3 rule 1. An
 * 802.1Q C-VLAN bridge forwards a frame with a second tag, or with an
 * 802.1ad S-tag outside, by its outer C-tag (or the PVID) and carries the
 * rest as payload; a port facing an untrusted guest may refuse such frames
 * instead (`port set vm1 stacked-tags drop`), counted as `stacked-tag`.
 * vlan_ingress() (vlan.c) applies it; control/vlan_guard_config.c parses,
 * compares, prints and shows it. */
#ifndef VSWITCH_VLAN_GUARD_H
#define VSWITCH_VLAN_GUARD_H

#include <stdint.h>

enum stacked_tags {
	STACKED_TAGS_FORWARD = 0, /* 802.1Q: the second tag or S-tag is payload */
	STACKED_TAGS_DROP = 1,	  /* the guard: counted as stacked-tag */
};

struct vlan_guard {
	uint8_t stacked_tags; /* enum stacked_tags; zeroed = forward, the default */
};

#endif
