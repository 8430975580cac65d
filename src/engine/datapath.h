/* datapath.h — everything a daemon forwards with: its switches and the
 * packet pool their ports share. One data-plane thread owns it. */
#ifndef VSWITCH_DATAPATH_H
#define VSWITCH_DATAPATH_H

#include "engine.h"

#define DATAPATH_MAX_SWITCHES 64

struct datapath {
	struct packet_pool *pool;
	struct vswitch *switches[DATAPATH_MAX_SWITCHES];
	size_t n_switches;
};

/* A datapath with a pool of `packets` buffers of `data_room` bytes. */
struct datapath *datapath_create(uint32_t packets, uint32_t data_room);
/* Destroys every switch and port, then the pool; NULL is a no-op. The
 * devices ports made stay for the next start (port_destroy), unless
 * `remove_devices` (vswitchd --remove-devices: port_remove). */
void datapath_destroy(struct datapath *dp, bool remove_devices);
struct vswitch *datapath_find_switch(const struct datapath *dp, const char *name);
/* Finds a port by name in any switch; *sw (if not NULL) gets its switch. */
struct bridge_port *datapath_find_port(const struct datapath *dp, const char *name, struct vswitch **sw);
int datapath_add_switch(struct datapath *dp, struct vswitch *sw);
/* Removes and destroys a switch with its ports. */
void datapath_del_switch(struct datapath *dp, struct vswitch *sw);
/* One receive pass over every port of every switch; frames received. */
uint32_t datapath_poll(struct datapath *dp);
/* Housekeeping for every switch (see switch_run). */
void datapath_run(struct datapath *dp, uint32_t now);
/* A link changed somewhere (rtnetlink): every switch reads its carriers. */
void datapath_refresh_links(struct datapath *dp);
/* switch_refresh_uplinks() on every switch; returns the uplinks read. */
uint32_t datapath_refresh_uplinks(struct datapath *dp);

#endif
