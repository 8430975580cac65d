/* acl_commands.c — the security groups' commands: `acl add` and `acl del`
 * edit the model's rules (acl_config.c parses them); `acl show` lists the
 * rules with their live counters summed over the ports that use them;
 * `conntrack show` and `conntrack flush` read and clear the ports' connection
 * tables. One line in commands.c's list of tables registers them. A port's
 * groups are a port setting: `port set NAME security-group G1[,G2...]`. */
#include "config.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/datapath.h"
#include "show.h"

/* Connections `conntrack show` lists per port; the count is always exact. */
#define CONNTRACK_SHOW_MAX 1000

static int acl_add(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	const char *group = argv[0];
	if (command_check_name("security group", group, ACL_GROUP_MAX, err, n))
		return -EINVAL;
	struct acl_rule_spec spec;
	if (config_parse_acl_rule(group, argc - 1, argv + 1, &spec, err, n))
		return -EINVAL;
	if (!spec.id)
		spec.id = config_acl_next_id(ctx->cfg, group);
	else if (config_find_acl_rule(ctx->cfg, group, spec.id)) {
		snprintf(err, n, "acl %s: rule %u already exists", group, spec.id);
		return -EEXIST;
	}
	struct acl_rule_config *r = config_add_acl_rule(ctx->cfg);
	if (!r) {
		snprintf(err, n, "out of memory");
		return -ENOMEM;
	}
	copy_name(r->group, sizeof(r->group), group);
	r->spec = spec;
	ctx->changed = true;
	if (ctx->out && !ctx->json)
		fprintf(ctx->out, "acl %s rule %u\n", group, spec.id);
	return 0;
}

static int acl_del(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	(void)argc;
	unsigned long id = 0;
	if (strcmp(argv[1], "all") &&
	    config_parse_uint("acl del: rule id", argv[1], 1, UINT32_MAX - 1, &id, err, n))
		return -EINVAL;
	if (!config_del_acl_rules(ctx->cfg, argv[0], (uint32_t)id)) {
		snprintf(err, n, "acl %s: no rule %s", argv[0], argv[1]);
		return -ENOENT;
	}
	ctx->changed = true;
	return 0;
}

/* ---- acl show ----------------------------------------------------------- */

struct rule_counts {
	uint64_t packets, bytes;
};

static const struct config *sort_cfg; /* qsort has no context argument */

static int by_group_id(const void *a, const void *b)
{
	const struct acl_rule_config *x = &sort_cfg->acl_rules[*(const size_t *)a],
				     *y = &sort_cfg->acl_rules[*(const size_t *)b];
	int c = strcmp(x->group, y->group);
	return c ? c : (x->spec.id > y->spec.id) - (x->spec.id < y->spec.id);
}

static size_t find_rule(const struct config *cfg, const size_t *order, const char *group,
			uint32_t id)
{
	size_t lo = 0, hi = cfg->n_acl_rules;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct acl_rule_config *r = &cfg->acl_rules[order[mid]];
		int c = strcmp(r->group, group);
		if (!c)
			c = (r->spec.id > id) - (r->spec.id < id);
		if (!c)
			return order[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

/* Each model rule's packets and bytes, summed over the live ports. */
static void sum_counters(const struct command_context *ctx, struct rule_counts *sums)
{
	const struct config *cfg = ctx->cfg;
	size_t *order = malloc((cfg->n_acl_rules + 1) * sizeof(*order));
	if (!order || !ctx->dp) {
		free(order);
		return;
	}
	for (size_t i = 0; i < cfg->n_acl_rules; i++)
		order[i] = i;
	sort_cfg = cfg;
	qsort(order, cfg->n_acl_rules, sizeof(*order), by_group_id);
	for (size_t s = 0; s < ctx->dp->n_switches; s++) {
		const struct vswitch *sw = ctx->dp->switches[s];
		for (uint16_t p = 0; p < sw->n_ports; p++) {
			const struct acl_port *acl = sw->ports[p] ? sw->ports[p]->acl : NULL;
			for (int d = 0; acl && d < 2; d++)
				for (size_t i = 0; i < acl->cls[d]->n_rules; i++) {
					const struct acl_rule *r = &acl->cls[d]->rules[i];
					size_t at = find_rule(cfg, order, r->group, r->spec.id);
					if (at != SIZE_MAX) {
						sums[at].packets += r->packets;
						sums[at].bytes += r->bytes;
					}
				}
		}
	}
	free(order);
}

static bool listed(char (*groups)[ACL_GROUP_MAX], size_t n, const char *g)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(groups[i], g))
			return true;
	return false;
}

static void ports_of_group(const struct config *cfg, const char *group, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < cfg->n_ports && len < size; i++) {
		const struct port_acl_config *a = &cfg->ports[i].settings.acl;
		if (listed((char(*)[ACL_GROUP_MAX])a->groups, a->n_groups, group))
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "",
						cfg->ports[i].name);
	}
}

static cJSON *rule_json(const struct acl_rule_config *r, const struct rule_counts *c)
{
	char text[256];
	config_format_acl_rule(&r->spec, text, sizeof(text));
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", r->spec.id);
	cJSON_AddNumberToObject(o, "priority", r->spec.priority);
	cJSON_AddStringToObject(o, "direction",
				r->spec.direction == ACL_INGRESS ? "ingress" : "egress");
	cJSON_AddStringToObject(o, "rule", text);
	cJSON_AddNumberToObject(o, "packets", (double)c->packets);
	cJSON_AddNumberToObject(o, "bytes", (double)c->bytes);
	return o;
}

static int acl_show(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	const struct config *cfg = ctx->cfg;
	const char *only = argc > 0 ? argv[0] : NULL;
	/* The groups: those with rules, then those only ports name. */
	size_t cap = cfg->n_acl_rules + cfg->n_ports * ACL_PORT_GROUPS + 1, n_groups = 0;
	char(*groups)[ACL_GROUP_MAX] = calloc(cap, ACL_GROUP_MAX);
	struct rule_counts *sums = calloc(cfg->n_acl_rules + 1, sizeof(*sums));
	if (!groups || !sums) {
		free(groups);
		free(sums);
		snprintf(err, n, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_acl_rules; i++)
		if (!listed(groups, n_groups, cfg->acl_rules[i].group))
			copy_name(groups[n_groups++], ACL_GROUP_MAX, cfg->acl_rules[i].group);
	for (size_t i = 0; i < cfg->n_ports; i++)
		for (unsigned g = 0; g < cfg->ports[i].settings.acl.n_groups; g++)
			if (!listed(groups, n_groups, cfg->ports[i].settings.acl.groups[g]))
				copy_name(groups[n_groups++], ACL_GROUP_MAX,
					  cfg->ports[i].settings.acl.groups[g]);
	if (only && !listed(groups, n_groups, only)) {
		free(groups);
		free(sums);
		snprintf(err, n, "acl %s: no such security group (no rule, no port uses it)", only);
		return -ENOENT;
	}
	sum_counters(ctx, sums);
	cJSON *doc = ctx->json ? cJSON_CreateArray() : NULL;
	char ports[1024], text[256];
	for (size_t g = 0; g < n_groups; g++) {
		if (only && strcmp(only, groups[g]))
			continue;
		ports_of_group(cfg, groups[g], ports, sizeof(ports));
		cJSON *group = NULL, *rules = NULL;
		if (doc) {
			group = cJSON_CreateObject();
			cJSON_AddStringToObject(group, "group", groups[g]);
			cJSON_AddStringToObject(group, "ports", ports);
			rules = cJSON_AddArrayToObject(group, "rules");
			cJSON_AddItemToArray(doc, group);
		} else {
			fprintf(ctx->out, "security group %s (ports: %s)\n", groups[g],
				ports[0] ? ports : "none");
		}
		for (size_t i = 0; i < cfg->n_acl_rules; i++) {
			const struct acl_rule_config *r = &cfg->acl_rules[i];
			if (strcmp(r->group, groups[g]))
				continue;
			if (doc) {
				cJSON_AddItemToArray(rules, rule_json(r, &sums[i]));
				continue;
			}
			config_format_acl_rule(&r->spec, text, sizeof(text));
			fprintf(ctx->out, "  rule %u: %s  packets %llu bytes %llu\n", r->spec.id,
				text, (unsigned long long)sums[i].packets,
				(unsigned long long)sums[i].bytes);
		}
	}
	free(groups);
	free(sums);
	return doc ? show_emit_json(ctx, doc) : 0;
}

/* ---- conntrack show / flush --------------------------------------------- */

static void format_end(const struct ct_entry *e, bool local, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];
	inet_ntop(e->key.family == 4 ? AF_INET : AF_INET6, local ? e->key.local : e->key.remote,
		  addr, sizeof(addr));
	snprintf(buf, size, e->key.family == 4 ? "%s:%u" : "[%s]:%u", addr,
		 local ? e->key.lport : e->key.rport);
}

static cJSON *entry_json(const struct ct_entry *e, uint32_t now)
{
	char local[64], remote[64];
	format_end(e, true, local, sizeof(local));
	format_end(e, false, remote, sizeof(remote));
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "proto", e->key.proto);
	cJSON_AddStringToObject(o, "local", local);
	cJSON_AddStringToObject(o, "remote", remote);
	cJSON_AddStringToObject(o, "state", conntrack_state_name((enum ct_state)e->state));
	cJSON_AddStringToObject(o, "origin", e->origin == ACL_INGRESS ? "ingress" : "egress");
	cJSON_AddNumberToObject(o, "expires_in", (double)(int32_t)(e->expires - now));
	return o;
}

static cJSON *table_show(struct command_context *ctx, const struct bridge_port *p)
{
	struct conntrack *ct = p->acl->ct;
	uint32_t now = p->sw->now, live = 0, shown = 0;
	spin_lock(&ct->lock);
	for (uint32_t i = 0; i <= ct->mask; i++)
		live += conntrack_live(&ct->slots[i], now);
	cJSON *o = NULL, *list = NULL;
	if (ctx->json) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "port", p->name);
		cJSON_AddStringToObject(o, "switch", p->sw->name);
		cJSON_AddNumberToObject(o, "count", live);
		cJSON_AddNumberToObject(o, "max", ct->max);
		cJSON_AddNumberToObject(o, "refused_full", (double)ct->full);
		list = cJSON_AddArrayToObject(o, "connections");
	} else {
		fprintf(ctx->out,
			"port %s (switch %s): %u connections, max %u, refused (full) %llu\n",
			p->name, p->sw->name, live, ct->max, (unsigned long long)ct->full);
	}
	for (uint32_t i = 0; i <= ct->mask && shown < CONNTRACK_SHOW_MAX; i++) {
		const struct ct_entry *e = &ct->slots[i];
		if (!conntrack_live(e, now))
			continue;
		shown++;
		if (list) {
			cJSON_AddItemToArray(list, entry_json(e, now));
			continue;
		}
		char local[64], remote[64];
		format_end(e, true, local, sizeof(local));
		format_end(e, false, remote, sizeof(remote));
		fprintf(ctx->out, "  proto %u %s %s %s %s, expires in %d s\n", e->key.proto, local,
			e->origin == ACL_INGRESS ? "<-" : "->", remote,
			conntrack_state_name((enum ct_state)e->state), (int32_t)(e->expires - now));
	}
	spin_unlock(&ct->lock);
	return o;
}

/* Calls fn on every port with security groups of switch `only` (all when
 * NULL). */
static int each_table(struct command_context *ctx, const char *only,
		      void (*fn)(struct command_context *ctx, struct bridge_port *p, void *arg),
		      void *arg, char *err, size_t n)
{
	if (!ctx->dp) {
		snprintf(err, n, "conntrack: no live state here");
		return -EINVAL;
	}
	if (only && !datapath_find_switch(ctx->dp, only)) {
		snprintf(err, n, "switch %s: no such switch", only);
		return -ENOENT;
	}
	for (size_t s = 0; s < ctx->dp->n_switches; s++) {
		struct vswitch *sw = ctx->dp->switches[s];
		if (only && strcmp(sw->name, only))
			continue;
		for (uint16_t i = 0; i < sw->n_ports; i++)
			if (sw->ports[i] && sw->ports[i]->acl)
				fn(ctx, sw->ports[i], arg);
	}
	return 0;
}

static void show_one(struct command_context *ctx, struct bridge_port *p, void *doc)
{
	cJSON *o = table_show(ctx, p);
	if (o)
		cJSON_AddItemToArray(doc, o);
}

static int conntrack_show(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	cJSON *doc = ctx->json ? cJSON_CreateArray() : NULL;
	int error = each_table(ctx, argc > 0 ? argv[0] : NULL, show_one, doc, err, n);
	if (error) {
		cJSON_Delete(doc);
		return error;
	}
	return doc ? show_emit_json(ctx, doc) : 0;
}

static void flush_one(struct command_context *ctx, struct bridge_port *p, void *arg)
{
	(void)ctx;
	(void)arg;
	spin_lock(&p->acl->ct->lock);
	conntrack_flush(p->acl->ct);
	spin_unlock(&p->acl->ct->lock);
}

static int conntrack_flush_cmd(struct command_context *ctx, int argc, char **argv, char *err,
			       size_t n)
{
	return each_table(ctx, argc > 0 ? argv[0] : NULL, flush_one, NULL, err, n);
}

const struct command acl_commands[] = {
    {{"acl", "add"},
     true,
     false,
     acl_add,
     "acl add GROUP [id N] [priority 0-65535] direction ingress|egress\n"
     "        [ethertype ipv4|ipv6|any] [proto tcp|udp|icmp|icmpv6|any|0-255]\n"
     "        [port LOW[-HIGH]] [remote A.B.C.D/LEN|X:X::/LEN] [action allow]"},
    {{"acl", "del"}, false, false, acl_del, "acl del GROUP RULE-ID|all"},
    {{"acl", "show"}, false, true, acl_show, "acl show [GROUP]"},
    {{"conntrack", "show"}, false, true, conntrack_show, "conntrack show [SWITCH]"},
    {{"conntrack", "flush"}, false, true, conntrack_flush_cmd, "conntrack flush [SWITCH]"},
};
const size_t n_acl_commands = sizeof(acl_commands) / sizeof(acl_commands[0]);

void acl_show_port(const struct command_context *ctx, const struct bridge_port *p, cJSON *json)
{
	const struct port_acl_config *a = &p->config.acl;
	char groups[ACL_PORT_GROUPS * ACL_GROUP_MAX + ACL_PORT_GROUPS] = "";
	size_t len = 0;
	for (unsigned i = 0; i < a->n_groups; i++)
		len += (size_t)snprintf(groups + len, sizeof(groups) - len, "%s%s", i ? "," : "",
					a->groups[i]);
	uint32_t count = p->acl ? p->acl->ct->count : 0, max = p->acl ? p->acl->ct->max : 0;
	if (json) {
		cJSON *o = cJSON_AddObjectToObject(json, "security_groups");
		cJSON_AddStringToObject(o, "groups", groups);
		cJSON_AddNumberToObject(o, "conntrack_count", count);
		cJSON_AddNumberToObject(o, "conntrack_max", max);
	} else if (a->n_groups) {
		fprintf(ctx->out, "  security groups %s, connections %u (max %u)\n", groups, count,
			max);
	}
}
