/* lldp_mode.h — a port's LLDP setting (IEEE 802.1AB adminStatus): whether
 * the LLDP agent of the HA layer (ha/lldp.c) listens to the neighbour on
 * this port's link, announces the switch to it, both or neither. The engine
 * only stores it; control/lldp_config.c parses, compares, prints and shows
 * it. Default: rx on uplinks (listen to the physical switch, as VMware's vDS
 * does, sending nothing the wire did not carry before), off on VM ports. */
#ifndef VSWITCH_LLDP_MODE_H
#define VSWITCH_LLDP_MODE_H

#include <stdbool.h>
#include <stdint.h>

enum lldp_mode {
	LLDP_MODE_DEFAULT = 0, /* rx on an uplink, off elsewhere */
	LLDP_MODE_OFF = 1,
	LLDP_MODE_RX = 2,
	LLDP_MODE_TX = 3,
	LLDP_MODE_RXTX = 4,
};

struct port_lldp {
	uint8_t mode; /* enum lldp_mode; zeroed = default */
};

/* The mode a port runs, given whether it is an uplink: never DEFAULT. */
static inline enum lldp_mode lldp_mode_effective(const struct port_lldp *l, bool uplink)
{
	if (l->mode == LLDP_MODE_DEFAULT)
		return uplink ? LLDP_MODE_RX : LLDP_MODE_OFF;
	return (enum lldp_mode)l->mode;
}

static inline bool lldp_mode_rx(enum lldp_mode m)
{
	return m == LLDP_MODE_RX || m == LLDP_MODE_RXTX;
}

static inline bool lldp_mode_tx(enum lldp_mode m)
{
	return m == LLDP_MODE_TX || m == LLDP_MODE_RXTX;
}

#endif
