/* mcast_commands.c — IGMP/MLD snooping's commands: `mcast show [SWITCH]`
 * renders each snooping switch's groups per VLAN with their member ports and
 * ages, its router ports, querier state and counters (text or --json);
 * `mcast flush [SWITCH]` forgets the learned groups and router ports. Both
 * run on the datapath thread with the poll threads paused (live commands).
 * One line in commands.c's list of tables registers them. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

#include "engine/datapath.h"
#include "show.h"

struct group_visit {
	const struct vswitch *sw;
	struct command_context *ctx;
	cJSON *groups; /* --json */
};

static const char *port_name(const struct vswitch *sw, uint16_t index)
{
	return index < sw->n_ports && sw->ports[index] ? sw->ports[index]->name : "?";
}

static void show_group(const struct mcast_group *g, const struct mcast_member *first,
		       const struct mcast_table *t, void *arg)
{
	struct group_visit *v = arg;
	char addr[64];
	mcast_addr_format(&g->addr, addr, sizeof(addr));
	cJSON *members = NULL;
	if (v->groups) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "vlan", g->vid);
		cJSON_AddStringToObject(o, "group", addr);
		members = cJSON_AddArrayToObject(o, "members");
		cJSON_AddItemToArray(v->groups, o);
	} else {
		fprintf(v->ctx->out, "  vlan %-4u %-39s", g->vid, addr);
	}
	for (const struct mcast_member *m = first; m;
	     m = m->next ? &t->members[m->next - 1] : NULL) {
		uint32_t age = v->sw->now - m->joined;
		int32_t left = (int32_t)(m->expires - v->sw->now);
		if (members) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "port", port_name(v->sw, m->port));
			cJSON_AddNumberToObject(o, "age", age);
			cJSON_AddNumberToObject(o, "expires_in", left > 0 ? left : 0);
			cJSON_AddItemToArray(members, o);
		} else {
			fprintf(v->ctx->out, " %s (age %u s, expires in %d s)",
				port_name(v->sw, m->port), age, left > 0 ? left : 0);
		}
	}
	if (!v->groups)
		fputc('\n', v->ctx->out);
}

static void add_counters(cJSON *o, const struct mcast_counters *c)
{
	cJSON_AddNumberToObject(o, "reports", (double)c->reports);
	cJSON_AddNumberToObject(o, "leaves", (double)c->leaves);
	cJSON_AddNumberToObject(o, "queries", (double)c->queries);
	cJSON_AddNumberToObject(o, "router_hellos", (double)c->router_hellos);
	cJSON_AddNumberToObject(o, "refused_joins", (double)(c->refused_switch + c->refused_port));
	cJSON_AddNumberToObject(o, "refused_switch_limit", (double)c->refused_switch);
	cJSON_AddNumberToObject(o, "refused_port_limit", (double)c->refused_port);
	cJSON_AddNumberToObject(o, "malformed", (double)c->malformed);
	cJSON_AddNumberToObject(o, "queries_sent", (double)c->queries_sent);
	cJSON_AddNumberToObject(o, "snooped", (double)c->snooped);
	cJSON_AddNumberToObject(o, "unregistered", (double)c->unregistered);
}

static void print_counters(FILE *out, const struct mcast_counters *c)
{
	fprintf(out,
		"  reports %llu, leaves %llu, queries %llu, PIM hellos %llu, refused joins %llu "
		"(switch limit %llu, port limit %llu), malformed %llu, queries sent %llu\n"
		"  data frames: snooped %llu, unregistered %llu\n",
		(unsigned long long)c->reports, (unsigned long long)c->leaves,
		(unsigned long long)c->queries, (unsigned long long)c->router_hellos,
		(unsigned long long)(c->refused_switch + c->refused_port),
		(unsigned long long)c->refused_switch, (unsigned long long)c->refused_port,
		(unsigned long long)c->malformed, (unsigned long long)c->queries_sent,
		(unsigned long long)c->snooped, (unsigned long long)c->unregistered);
}

/* Router ports (learned, with seconds left, or set yes) and the querier
 * state of each VLAN the switch may be querier on. */
static void show_routers(struct command_context *ctx, const struct vswitch *sw, cJSON *o)
{
	const struct mcast_state *m = sw->mcast;
	cJSON *routers = o ? cJSON_AddArrayToObject(o, "routers") : NULL;
	if (!o)
		fprintf(ctx->out, "  router ports:");
	for (uint16_t i = 0; i < m->n_routers; i++) {
		const struct mcast_router_entry *r = &m->router_list[i];
		int32_t left = (int32_t)(r->expires - sw->now);
		if (routers) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddNumberToObject(e, "vlan", r->vid);
			cJSON_AddStringToObject(e, "port", port_name(sw, r->port));
			cJSON_AddNumberToObject(e, "expires_in", left > 0 ? left : 0);
			cJSON_AddItemToArray(routers, e);
		} else {
			fprintf(ctx->out, " %s (vlan %u, %d s)", port_name(sw, r->port), r->vid,
				left > 0 ? left : 0);
		}
	}
	for (uint16_t i = 0; i < sw->n_ports; i++) {
		if (!bitset_test(m->yes_routers, i))
			continue;
		if (routers) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "port", port_name(sw, i));
			cJSON_AddBoolToObject(e, "configured", true);
			cJSON_AddItemToArray(routers, e);
		} else {
			fprintf(ctx->out, " %s (configured)", port_name(sw, i));
		}
	}
	if (!o)
		fputc('\n', ctx->out);
	cJSON *queriers = o ? cJSON_AddArrayToObject(o, "querier") : NULL;
	for (unsigned vid = 1; vid <= VID_MAX; vid++) {
		if (!bitset_test(sw->config.mcast.querier_vids, vid))
			continue;
		const struct mcast_vlan_state *v = &m->vlans[vid];
		char other[64] = "";
		bool v4_other = (int32_t)(v->other_until4 - sw->now) > 0;
		bool v6_other = (int32_t)(v->other_until6 - sw->now) > 0;
		if (v4_other)
			mcast_addr_format(&v->other4, other, sizeof(other));
		if (queriers) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddNumberToObject(e, "vlan", vid);
			cJSON_AddBoolToObject(e, "igmp_querier", !v4_other);
			cJSON_AddBoolToObject(e, "mld_querier", !v6_other);
			if (v4_other)
				cJSON_AddStringToObject(e, "other_querier", other);
			cJSON_AddItemToArray(queriers, e);
		} else {
			fprintf(ctx->out, "  vlan %u: IGMP querier %s%s, MLD querier %s\n", vid,
				v4_other ? "another: " : "this switch", other,
				v6_other ? "another" : "this switch");
		}
	}
}

static void show_switch(struct command_context *ctx, const struct vswitch *sw, cJSON *doc)
{
	const struct mcast_state *m = sw->mcast;
	const struct mcast_config *c = &sw->config.mcast;
	struct group_visit v = {.sw = sw, .ctx = ctx};
	cJSON *o = NULL;
	if (doc) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "switch", sw->name);
		cJSON_AddBoolToObject(o, "snooping", m != NULL);
		cJSON_AddItemToArray(doc, o);
		if (!m)
			return;
		cJSON_AddBoolToObject(o, "flood_unknown", c->flood_unknown);
		cJSON_AddNumberToObject(o, "max_groups", c->max_groups);
		cJSON_AddNumberToObject(o, "max_port_groups", c->max_port_groups);
		cJSON_AddNumberToObject(o, "n_groups", m->table->n_groups);
		v.groups = cJSON_AddArrayToObject(o, "groups");
		add_counters(cJSON_AddObjectToObject(o, "counters"), &m->counters);
	} else {
		fprintf(ctx->out, "switch %s: snooping %s", sw->name, m ? "on" : "off");
		if (!m) {
			fputc('\n', ctx->out);
			return;
		}
		fprintf(ctx->out, ", %u of %u groups, unknown groups %s\n", m->table->n_groups,
			c->max_groups, c->flood_unknown ? "flood" : "to router ports");
	}
	mcast_table_foreach(m->table, show_group, &v);
	show_routers(ctx, sw, o);
	if (!doc)
		print_counters(ctx->out, &m->counters);
}

static int mcast_show_cmd(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	if (!ctx->dp) {
		snprintf(err, n, "mcast show: the daemon has no live state here");
		return -EINVAL;
	}
	const char *only = argc > 0 ? argv[0] : NULL;
	bool found = false;
	cJSON *doc = ctx->json ? cJSON_CreateArray() : NULL;
	for (size_t i = 0; i < ctx->dp->n_switches; i++) {
		const struct vswitch *sw = ctx->dp->switches[i];
		if (only && strcmp(only, sw->name))
			continue;
		found = true;
		show_switch(ctx, sw, doc);
	}
	if (only && !found) {
		cJSON_Delete(doc);
		snprintf(err, n, "mcast show: no switch %s", only);
		return -ENOENT;
	}
	return doc ? show_emit_json(ctx, doc) : 0;
}

static int mcast_flush_cmd(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	if (!ctx->dp) {
		snprintf(err, n, "mcast flush: the daemon has no live state here");
		return -EINVAL;
	}
	const char *only = argc > 0 ? argv[0] : NULL;
	bool found = false;
	for (size_t i = 0; i < ctx->dp->n_switches; i++) {
		struct vswitch *sw = ctx->dp->switches[i];
		if (only && strcmp(only, sw->name))
			continue;
		found = true;
		mcast_flush(sw);
	}
	if (only && !found) {
		snprintf(err, n, "mcast flush: no switch %s", only);
		return -ENOENT;
	}
	return 0;
}

const struct command mcast_commands[] = {
    {{"mcast", "show"}, false, true, mcast_show_cmd, "mcast show [SWITCH]"},
    {{"mcast", "flush"}, false, true, mcast_flush_cmd, "mcast flush [SWITCH]"},
};
const size_t n_mcast_commands = sizeof(mcast_commands) / sizeof(mcast_commands[0]);
