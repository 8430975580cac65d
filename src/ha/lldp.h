/* lldp.h — the LLDP agent (IEEE 802.1AB): on each port whose setting says
 * so (engine/lldp_mode.h) it announces the switch to the neighbour on the
 * link and keeps what the neighbour announces, per port, bounded, aged by
 * their TTL. Like the SEA it is a protocol of the HA layer on the
 * data-plane thread: the switch hands it LLDP frames from the pipeline
 * (switch_add_link_handler), its timers run from the daemon's loop
 * (lldp_run), and it sends out of one port directly. One agent per daemon,
 * as there is one datapath. docs/lldp.md tells the choices. */
#ifndef VSWITCH_HA_LLDP_H
#define VSWITCH_HA_LLDP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/datapath.h"
#include "lldp_tlv.h"

#define LLDP_DEFAULT_TX_INTERVAL 30 /* msgTxInterval, seconds */
#define LLDP_TX_HOLD		 4  /* msgTxHold: TTL = interval * 4 + 1 */
#define LLDP_TX_FAST_INIT	 4  /* txFastInit: frames 1 s apart at start */
#define LLDP_NEIGHBORS_MAX	 8  /* per port; more are refused, counted */
#define LLDP_SYSTEM_NAME_MAX	 64

/* The daemon's LLDP settings (`lldp ...` lines); zeroed = defaults. */
struct lldp_settings {
	char system_name[LLDP_SYSTEM_NAME_MAX]; /* "": the host name */
	bool has_chassis_mac;			/* else a MAC of the host */
	uint8_t chassis_mac[6];
	uint8_t n_mgmt;
	struct lldp_mgmt mgmt[LLDP_MGMT_MAX];
	uint16_t tx_interval; /* seconds, 1-3600; 0: the default */
};

/* Takes new settings; every port sending LLDP sends again at once. */
void lldp_configure(const struct lldp_settings *settings);
/* Finds the ports that run LLDP, hooks the switches that have one, ages
 * neighbours and sends what is due. On the data-plane thread, others
 * paused; call after every configuration change and when it asks.
 * Returns when it wants to run again (ms, monotonic). */
uint64_t lldp_run(struct datapath *dp, uint64_t now_ms);
/* `lldp show [PORT]`: text, or a JSON array of ports. -ENOENT when PORT
 * does not run LLDP. On the data-plane thread. */
struct cJSON;
int lldp_show(struct datapath *dp, const char *port, FILE *out, struct cJSON *json);
/* Forgets every port and neighbour (daemon exit, tests). */
void lldp_reset(struct datapath *dp);

/* For tests: the frame a port would send now (dst, src, type, LLDPDU). */
int lldp_build_frame(const struct bridge_port *port, uint16_t ttl, uint8_t *buf, size_t size);

#endif
