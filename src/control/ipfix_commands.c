/* ipfix_commands.c — the IPFIX exporters' commands: ipfix add and del edit
 * the model (ipfix_config.c parses and checks), ipfix show renders the
 * live caches and exporters with their counters (docs/ipfix.md). One line
 * in commands.c's list of tables registers them. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

#include "engine/datapath.h"
#include "ipfix.h"
#include "show.h"

static int ipfix_add_cmd(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	const char *name = argv[0];
	if (command_check_name("ipfix", name, IPFIX_NAME_MAX, err, n))
		return -EINVAL;
	if (config_find_ipfix(ctx->cfg, name)) {
		snprintf(err, n, "ipfix %s: already exists", name);
		return -EEXIST;
	}
	struct ipfix_config x = {.line = 0};
	copy_name(x.name, sizeof(x.name), name);
	if (config_parse_ipfix(&x, argc - 1, argv + 1, err, n))
		return -EINVAL;
	struct ipfix_config *slot = config_add_ipfix(ctx->cfg);
	if (!slot) {
		snprintf(err, n, "out of memory");
		return -ENOMEM;
	}
	*slot = x;
	ctx->changed = true;
	return 0;
}

static int ipfix_del_cmd(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	(void)argc;
	if (!config_find_ipfix(ctx->cfg, argv[0])) {
		snprintf(err, n, "ipfix %s: no such exporter", argv[0]);
		return -ENOENT;
	}
	config_del_ipfix(ctx->cfg, argv[0]);
	ctx->changed = true;
	return 0;
}

/* The live counters of one exporter, read once. */
struct ipfix_view {
	struct ipfix_cache_stats cache;
	struct ipfix_export_stats export;
	uint32_t flows;
};

static void read_view(const struct ipfix_cache *c, struct ipfix_view *v)
{
	const uint64_t *from = (const uint64_t *)&c->stats;
	uint64_t *to = (uint64_t *)&v->cache;
	for (size_t i = 0; i < sizeof(v->cache) / sizeof(uint64_t); i++)
		to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
	ipfix_exporter_stats(c, &v->export);
	v->flows = ipfix_cache_flows(c);
}

static cJSON *ipfix_json(const struct ipfix_config *x, const struct vswitch *sw,
			 const struct ipfix_view *v)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", x->name);
	cJSON_AddStringToObject(o, "switch", x->sw);
	cJSON_AddStringToObject(o, "collector", x->collector);
	cJSON_AddNumberToObject(o, "sampling", x->sampling);
	cJSON_AddNumberToObject(o, "obs_domain", x->observation_domain);
	cJSON_AddNumberToObject(o, "active_timeout", x->active_timeout);
	cJSON_AddNumberToObject(o, "idle_timeout", x->idle_timeout);
	cJSON_AddNumberToObject(o, "template_refresh", x->template_refresh);
	cJSON_AddNumberToObject(o, "max_flows", x->max_flows);
	cJSON_AddNumberToObject(o, "flows", v->flows);
	cJSON_AddNumberToObject(o, "flows_created", (double)v->cache.flows);
	cJSON_AddNumberToObject(o, "packets", (double)v->cache.packets);
	cJSON_AddNumberToObject(o, "skipped", (double)v->cache.skipped);
	cJSON_AddNumberToObject(o, "refused", (double)v->cache.refused);
	cJSON_AddNumberToObject(o, "expired", (double)v->cache.expired);
	cJSON_AddNumberToObject(o, "dropped", (double)v->cache.ring_full);
	cJSON_AddNumberToObject(o, "messages", (double)v->export.messages);
	cJSON_AddNumberToObject(o, "records", (double)v->export.records);
	cJSON_AddNumberToObject(o, "send_errors", (double)v->export.send_errors);
	cJSON *ifaces = cJSON_AddObjectToObject(o, "interfaces");
	for (uint16_t i = 0; i < sw->n_ports; i++)
		if (sw->ports[i])
			cJSON_AddNumberToObject(ifaces, sw->ports[i]->name, i + 1);
	return o;
}

static void ipfix_text(struct command_context *ctx, const struct ipfix_config *x,
		       const struct vswitch *sw, const struct ipfix_view *v)
{
	FILE *out = ctx->out;
	fprintf(out, "ipfix %s (switch %s) -> %s, observation domain %u\n", x->name, x->sw,
		x->collector, x->observation_domain);
	fprintf(out,
		"  sampling 1 in %u  active-timeout %us  idle-timeout %us  template-refresh %us\n",
		x->sampling, x->active_timeout, x->idle_timeout, x->template_refresh);
	fprintf(out, "  flows %u of %u  created %llu  packets %llu  skipped %llu  refused %llu\n",
		v->flows, x->max_flows, (unsigned long long)v->cache.flows,
		(unsigned long long)v->cache.packets, (unsigned long long)v->cache.skipped,
		(unsigned long long)v->cache.refused);
	fprintf(out,
		"  expired %llu  dropped %llu  messages %llu  records %llu  send errors %llu\n",
		(unsigned long long)v->cache.expired, (unsigned long long)v->cache.ring_full,
		(unsigned long long)v->export.messages, (unsigned long long)v->export.records,
		(unsigned long long)v->export.send_errors);
	fprintf(out, "  interfaces:");
	for (uint16_t i = 0; i < sw->n_ports; i++)
		if (sw->ports[i])
			fprintf(out, " %s=%u", sw->ports[i]->name, i + 1u);
	fprintf(out, "\n");
}

static int ipfix_show_cmd(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	if (!ctx->dp) {
		snprintf(err, n, "ipfix show: the daemon has no live state here");
		return -EINVAL;
	}
	const char *only = argc > 0 ? argv[0] : NULL;
	if (only && !config_find_ipfix(ctx->cfg, only)) {
		snprintf(err, n, "ipfix %s: no such exporter", only);
		return -ENOENT;
	}
	cJSON *doc = ctx->json ? cJSON_CreateArray() : NULL;
	for (size_t i = 0; i < ctx->cfg->n_ipfix; i++) {
		const struct ipfix_config *x = &ctx->cfg->ipfix[i];
		const struct vswitch *sw = datapath_find_switch(ctx->dp, x->sw);
		if ((only && strcmp(only, x->name)) || !sw || !sw->ipfix)
			continue;
		struct ipfix_view v;
		read_view(sw->ipfix, &v);
		if (doc)
			cJSON_AddItemToArray(doc, ipfix_json(x, sw, &v));
		else
			ipfix_text(ctx, x, sw, &v);
	}
	return doc ? show_emit_json(ctx, doc) : 0;
}

const struct command ipfix_commands[] = {
    {{"ipfix", "add"},
     true,
     false,
     ipfix_add_cmd,
     "ipfix add NAME switch SWITCH collector ADDR:PORT [sampling N] [obs-domain N]\n"
     "        [active-timeout S] [idle-timeout S] [template-refresh S] [max-flows N]"},
    {{"ipfix", "del"}, false, false, ipfix_del_cmd, "ipfix del NAME"},
    {{"ipfix", "show"}, false, true, ipfix_show_cmd, "ipfix show [NAME]"},
};
const size_t n_ipfix_commands = sizeof(ipfix_commands) / sizeof(ipfix_commands[0]);
