/* datapath.c — the set of switches a daemon runs and their shared pool. */
#include "datapath.h"

#include <errno.h>
#include <stdlib.h>

struct datapath *datapath_create(uint32_t packets, uint32_t data_room)
{
	struct datapath *dp = calloc(1, sizeof(*dp));
	if (!dp)
		return NULL;
	dp->pool = packet_pool_create(packets, data_room);
	if (!dp->pool) {
		free(dp);
		return NULL;
	}
	return dp;
}

void datapath_destroy(struct datapath *dp, bool remove_devices)
{
	if (!dp)
		return;
	for (size_t i = 0; i < dp->n_switches; i++) {
		switch_destroy_removing(dp->switches[i], remove_devices);
	}
	packet_pool_destroy(dp->pool);
	free(dp);
}

struct vswitch *datapath_find_switch(const struct datapath *dp, const char *name)
{
	for (size_t i = 0; i < dp->n_switches; i++)
		if (!strcmp(dp->switches[i]->name, name))
			return dp->switches[i];
	return NULL;
}

struct bridge_port *datapath_find_port(const struct datapath *dp, const char *name, struct vswitch **sw)
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
