/* sea_set.c — the daemon's Shared Ethernet Adapters, kept by the HA layer
 * and run from the daemon's loop, never from the engine (as Open vSwitch
 * runs lacp_run() and bond_run() from ofproto, not from its datapath). */
#include "sea.h"

#include <errno.h>
#include <string.h>

struct sea *sea_set_find(const struct sea_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(sea_name(set->seas[i]), name))
			return set->seas[i];
	return NULL;
}

int sea_set_add(struct sea_set *set, struct sea *sea)
{
	if (set->n == SEA_SET_MAX)
		return -ENOSPC;
	set->seas[set->n++] = sea;
	sea_set_news_flag(sea, &set->news);
	return 0;
}

void sea_set_del(struct sea_set *set, struct sea *sea)
{
	for (size_t i = 0; i < set->n; i++) {
		if (set->seas[i] != sea)
			continue;
		memmove(&set->seas[i], &set->seas[i + 1], (set->n - i - 1) * sizeof(set->seas[0]));
		set->n--;
		sea_destroy(sea);
		return;
	}
}

void sea_set_clear(struct sea_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		sea_destroy(set->seas[i]);
	set->n = 0;
}

uint64_t sea_set_run(struct sea_set *set, uint64_t now_ms, bool links_changed)
{
	uint64_t next = UINT64_MAX;
	set->news = false;
	for (size_t i = 0; i < set->n; i++) {
		uint64_t t = sea_run(set->seas[i], now_ms, links_changed);
		if (t < next)
			next = t;
	}
	return next;
}
