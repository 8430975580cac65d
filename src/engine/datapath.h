/* datapath.h — everything a daemon forwards with: its switches, and per
 * poll thread a packet pool and the thread's egress state. With one poll
 * thread (the default) that thread owns it all. With several (vswitchd
 * --cores) each port's receive queue is polled by one of them (its
 * poll_thread, spread by datapath_assign_ports), any of them may forward to
 * any port, and thread 0 changes everything else while the others are
 * paused (docs/cores.md). */
#ifndef VSWITCH_DATAPATH_H
#define VSWITCH_DATAPATH_H

#include "engine.h"

struct pause_group;

#define DATAPATH_MAX_SWITCHES 64

struct datapath {
	struct packet_pool *pool; /* thread 0's, the one switches are created with */
	struct vswitch *switches[DATAPATH_MAX_SWITCHES];
	size_t n_switches;
	unsigned n_threads;
	struct packet_pool *pools[ENGINE_MAX_THREADS];	   /* pools[0] == pool */
	struct engine_thread *threads[ENGINE_MAX_THREADS]; /* [0]: the default one */
	/* vswitchd --cores: thread 0's pauses of the others (lib/pause.h),
	 * read by `show` on thread 0; NULL with one thread. */
	const struct pause_group *pause;
};

/* A datapath with a pool of `packets` buffers of `data_room` bytes. */
struct datapath *datapath_create(uint32_t packets, uint32_t data_room);
/* The same for `threads` poll threads (1-ENGINE_MAX_THREADS), a pool of
 * `packets` for each; sets engine_set_threads(), so call it before any
 * switch exists. */
struct datapath *datapath_create_threads(uint32_t packets, uint32_t data_room, unsigned threads);
/* Gives every port that has none a poll thread, the one with the fewest
 * ports; a port keeps its thread once given. Call while the other threads
 * are paused. */
void datapath_assign_ports(struct datapath *dp);
/* One receive pass over the ports `thread` polls, on that thread. */
uint32_t datapath_poll_thread(struct datapath *dp, unsigned thread);
/* Makes the calling thread poll thread `thread`: its egress state and pool. */
void datapath_thread_enter(struct datapath *dp, unsigned thread);
/* Destroys every switch and port, then the pool; NULL is a no-op. The
 * devices ports made stay for the next start (port_destroy), unless
 * `remove_devices` (vswitchd --remove-devices: port_remove). */
void datapath_destroy(struct datapath *dp, bool remove_devices);
struct vswitch *datapath_find_switch(const struct datapath *dp, const char *name);
/* Finds a port by name in any switch; *sw (if not NULL) gets its switch. */
struct bridge_port *datapath_find_port(const struct datapath *dp, const char *name,
				       struct vswitch **sw);
int datapath_add_switch(struct datapath *dp, struct vswitch *sw);
/* Removes and destroys a switch with its ports. */
void datapath_del_switch(struct datapath *dp, struct vswitch *sw);
/* One receive pass over every port of every switch; frames received. */
uint32_t datapath_poll(struct datapath *dp);
/* Housekeeping for every switch (see switch_run). */
void datapath_run(struct datapath *dp, uint32_t now);
/* A link changed somewhere (rtnetlink): every switch reads its carriers. */
void datapath_refresh_links(struct datapath *dp);
/* Whether some switch has an uplink port. */
bool datapath_has_uplinks(const struct datapath *dp);
/* switch_refresh_uplinks() on every switch; returns the uplinks read. */
uint32_t datapath_refresh_uplinks(struct datapath *dp);
/* switch_probe_uplinks() on every switch: reads, changes nothing. */
uint32_t datapath_probe_uplinks(const struct datapath *dp, bool *changed);

#endif
