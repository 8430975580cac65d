/* datapath.c — the set of switches a daemon runs, and what each poll thread
 * keeps apart: a packet pool and its egress state. */
#include "datapath.h"

#include <errno.h>
#include <stdlib.h>

struct datapath *datapath_create(uint32_t packets, uint32_t data_room)
{
	return datapath_create_threads(packets, data_room, 1);
}

struct datapath *datapath_create_threads(uint32_t packets, uint32_t data_room, unsigned threads)
{
	if (threads < 1 || threads > ENGINE_MAX_THREADS)
		return NULL;
	struct datapath *dp = calloc(1, sizeof(*dp));
	if (!dp)
		return NULL;
	dp->n_threads = threads;
	engine_set_threads(threads);
	dp->threads[0] = engine_self;
	for (unsigned t = 0; t < threads; t++) {
		dp->pools[t] = packet_pool_create(packets, data_room);
		if (t > 0)
			dp->threads[t] = calloc(1, sizeof(struct engine_thread));
		if (!dp->pools[t] || !dp->threads[t]) {
			datapath_destroy(dp, false);
			return NULL;
		}
		if (threads > 1)
			packet_pool_share(dp->pools[t]);
		dp->threads[t]->id = (uint16_t)t;
		dp->threads[t]->txq_offset = (uint32_t)(t * sizeof(struct port_txq));
	}
	dp->pool = dp->pools[0];
	return dp;
}

void datapath_destroy(struct datapath *dp, bool remove_devices)
{
	if (!dp)
		return;
	for (size_t i = 0; i < dp->n_switches; i++) {
		switch_destroy_removing(dp->switches[i], remove_devices);
	}
	for (unsigned t = 0; t < dp->n_threads; t++) {
		packet_pool_destroy(dp->pools[t]);
		if (t > 0)
			free(dp->threads[t]);
	}
	free(dp);
}

void datapath_thread_enter(struct datapath *dp, unsigned thread)
{
	engine_self = dp->threads[thread];
	if (dp->n_threads > 1)
		packet_pool_self = dp->pools[thread];
}

void datapath_assign_ports(struct datapath *dp)
{
	uint32_t load[ENGINE_MAX_THREADS] = {0};
	for (int pass = 0; pass < 2; pass++) {
		for (size_t s = 0; s < dp->n_switches; s++) {
			struct vswitch *sw = dp->switches[s];
			for (uint16_t i = 0; i < sw->n_ports; i++) {
				struct bridge_port *port = sw->ports[i];
				if (!port || !port->dev->class->recv)
					continue;
				bool given = port->poll_thread < dp->n_threads;
				if (pass == 0 && given) {
					load[port->poll_thread]++;
				} else if (pass == 1 && !given) {
					unsigned best = 0;
					for (unsigned t = 1; t < dp->n_threads; t++)
						if (load[t] < load[best])
							best = t;
					port->poll_thread = (uint16_t)best;
					load[best]++;
				}
			}
		}
	}
}

uint32_t datapath_poll_thread(struct datapath *dp, unsigned thread)
{
	uint32_t n = 0;
	for (size_t i = 0; i < dp->n_switches; i++)
		n += switch_poll_thread(dp->switches[i], (uint16_t)thread, dp->pools[thread]);
	return n;
}

struct vswitch *datapath_find_switch(const struct datapath *dp, const char *name)
{
	for (size_t i = 0; i < dp->n_switches; i++)
		if (!strcmp(dp->switches[i]->name, name))
			return dp->switches[i];
	return NULL;
}

struct bridge_port *datapath_find_port(const struct datapath *dp, const char *name,
				       struct vswitch **sw)
{
	for (size_t i = 0; i < dp->n_switches; i++) {
		struct bridge_port *port = switch_find_port(dp->switches[i], name);
		if (port) {
			if (sw)
				*sw = dp->switches[i];
			return port;
		}
	}
	return NULL;
}

int datapath_add_switch(struct datapath *dp, struct vswitch *sw)
{
	if (dp->n_switches == DATAPATH_MAX_SWITCHES)
		return -ENOSPC;
	dp->switches[dp->n_switches++] = sw;
	return 0;
}

void datapath_del_switch(struct datapath *dp, struct vswitch *sw)
{
	for (size_t i = 0; i < dp->n_switches; i++) {
		if (dp->switches[i] != sw)
			continue;
		memmove(&dp->switches[i], &dp->switches[i + 1],
			(dp->n_switches - i - 1) * sizeof(dp->switches[0]));
		dp->n_switches--;
		switch_destroy(sw);
		return;
	}
}

uint32_t datapath_poll(struct datapath *dp)
{
	uint32_t n = 0;
	for (size_t i = 0; i < dp->n_switches; i++)
		n += switch_poll(dp->switches[i]);
	return n;
}

void datapath_run(struct datapath *dp, uint32_t now)
{
	for (size_t i = 0; i < dp->n_switches; i++)
		switch_run(dp->switches[i], now);
}

void datapath_refresh_links(struct datapath *dp)
{
	for (size_t i = 0; i < dp->n_switches; i++)
		switch_refresh_links(dp->switches[i]);
}

uint32_t datapath_refresh_uplinks(struct datapath *dp)
{
	uint32_t n = 0;
	for (size_t i = 0; i < dp->n_switches; i++)
		n += switch_refresh_uplinks(dp->switches[i]);
	return n;
}

uint32_t datapath_probe_uplinks(const struct datapath *dp, bool *changed)
{
	uint32_t n = 0;
	for (size_t i = 0; i < dp->n_switches; i++)
		n += switch_probe_uplinks(dp->switches[i], changed);
	return n;
}

bool datapath_has_uplinks(const struct datapath *dp)
{
	for (size_t i = 0; i < dp->n_switches; i++)
		for (unsigned w = 0; w < PORT_SET_WORDS; w++)
			if (dp->switches[i]->uplinks[w])
				return true;
	return false;
}
