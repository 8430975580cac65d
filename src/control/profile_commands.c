/* profile_commands.c — the port profiles' commands (docs/profiles.md):
 * profile add, set, unset, del and show edit and render the profiles of the
 * model (profile_config.c resolves them), and port bind, unbind and unset
 * tie ports to them. `port add ... profile P` and `port set` on a bound
 * port come here from commands.c. Objects the etcd domain manages are
 * refused to local commands, unless the domain itself runs the command
 * (ctx->domain_edit). One line in commands.c's list of tables registers
 * these. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

#include "show.h"

static struct profile_config *find(struct command_context *ctx, const char *name, char *err,
				   size_t n)
{
	struct profile_config *p = config_find_profile(ctx->cfg, name);
	if (!p)
		snprintf(err, n, "profile %s: no such profile", name);
	return p;
}

static int profile_guard(const struct command_context *ctx, const struct profile_config *p,
			 char *err, size_t n)
{
	if (!p->domain || ctx->domain_edit)
		return 0;
	snprintf(err, n,
		 "profile %s is defined by the domain: local changes are refused; change it "
		 "through the domain with vswitchctl profile set %s ...",
		 p->name, p->name);
	return -EPERM;
}

int profile_port_guard(const struct command_context *ctx, const struct config_port *port, char *err,
		       size_t n)
{
	if (!port->domain || ctx->domain_edit)
		return 0;
	if (port->profile[0])
		snprintf(err, n,
			 "port %s is bound to profile %s by the domain: change the profile with "
			 "vswitchctl profile set %s ... or the binding with vswitchctl port bind",
			 port->name, port->profile, port->profile);
	else
		snprintf(err, n,
			 "port %s is managed by the domain: change its binding with vswitchctl "
			 "port bind",
			 port->name);
	return -EPERM;
}

static struct config_port *find_port(struct command_context *ctx, const char *name, char *err,
				     size_t n)
{
	struct config_port *p = config_find_port(ctx->cfg, name);
	if (!p)
		snprintf(err, n, "port %s: no such port", name);
	return p;
}

/* The leading `inherit P|none` and `system-vlans LIST|none` words; how
 * many were used, or -EINVAL. */
static int profile_words(struct profile_config *p, int argc, char **argv, char *err, size_t n)
{
	int i = 0;
	for (; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "inherit")) {
			const char *parent = strcmp(argv[i + 1], "none") ? argv[i + 1] : "";
			if (parent[0] &&
			    command_check_name("profile", parent, PROFILE_NAME_MAX, err, n))
				return -EINVAL;
			copy_name(p->inherit, sizeof(p->inherit), parent);
		} else if (!strcmp(argv[i], "system-vlans")) {
			if (config_parse_vids(argv[i + 1], p->system_vids, err, n)) {
				char reason[512];
				snprintf(reason, sizeof(reason), "%s", err);
				snprintf(err, n, "profile %s: system-%s", p->name, reason);
				return -EINVAL;
			}
		} else {
			break;
		}
	}
	return i;
}

/* Writes the edited profile `next` over *slot if the whole model still
 * resolves with it; else leaves *slot as it was. */
static int commit_profile(struct command_context *ctx, struct profile_config *slot,
			  const struct profile_config *next, char *err, size_t n)
{
	struct profile_config old = *slot;
	*slot = *next;
	int error = config_resolve_profiles(ctx->cfg, err, n);
	if (error) {
		*slot = old;
		return error;
	}
	ctx->changed = true;
	return 0;
}

static int edit_profile(struct profile_config *p, int argc, char **argv, char *err, size_t n)
{
	int used = profile_words(p, argc, argv, err, n);
	if (used < 0)
		return used;
	char what[PROFILE_NAME_MAX + 16];
	snprintf(what, sizeof(what), "profile %s", p->name);
	if (used < argc)
		return config_settings_set(p->settings, &p->n_settings, what, argc - used,
					   argv + used, err, n);
	return 0;
}

static int profile_add(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	const char *name = argv[0];
	if (command_check_name("profile", name, PROFILE_NAME_MAX, err, n))
		return -EINVAL;
	if (config_find_profile(ctx->cfg, name)) {
		snprintf(err, n, "profile %s: already exists", name);
		return -EEXIST;
	}
	struct profile_config p;
	memset(&p, 0, sizeof(p));
	copy_name(p.name, sizeof(p.name), name);
	if (edit_profile(&p, argc - 1, argv + 1, err, n))
		return -EINVAL;
	struct profile_config *slot = config_add_profile(ctx->cfg);
	if (!slot) {
		snprintf(err, n, "out of memory");
		return -ENOMEM;
	}
	int error = commit_profile(ctx, slot, &p, err, n);
	if (error)
		ctx->cfg->n_profiles--; /* the zeroed slot, last */
	return error;
}

static int profile_set(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	struct profile_config *p = find(ctx, argv[0], err, n);
	if (!p)
		return -ENOENT;
	if (profile_guard(ctx, p, err, n))
		return -EPERM;
	if (argc < 2) {
		snprintf(err, n, "profile %s: nothing to set (usage: %s)", p->name,
			 profile_commands[1].usage);
		return -EINVAL;
	}
	struct profile_config next = *p;
	if (edit_profile(&next, argc - 1, argv + 1, err, n))
		return -EINVAL;
	return commit_profile(ctx, p, &next, err, n);
}

static int profile_unset(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	struct profile_config *p = find(ctx, argv[0], err, n);
	if (!p)
		return -ENOENT;
	if (profile_guard(ctx, p, err, n))
		return -EPERM;
	struct profile_config next = *p;
	char what[PROFILE_NAME_MAX + 16];
	snprintf(what, sizeof(what), "profile %s", p->name);
	for (int i = 1; i < argc; i++) {
		int error = 0;
		if (!strcmp(argv[i], "inherit"))
			next.inherit[0] = '\0';
		else if (!strcmp(argv[i], "system-vlans"))
			memset(next.system_vids, 0, sizeof(next.system_vids));
		else
			error = config_settings_unset(next.settings, &next.n_settings, what, 1,
						      argv + i, err, n);
		if (error)
			return error;
	}
	return commit_profile(ctx, p, &next, err, n);
}

/* "port vm1, port vm2, profile child" of what uses profile `name`. */
static size_t users(const struct config *cfg, const char *name, char *buf, size_t size)
{
	size_t count = 0, used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < cfg->n_ports; i++)
		if (!strcmp(cfg->ports[i].profile, name) && used < size)
			used += (size_t)snprintf(buf + used, size - used, "%sport %s",
						 count++ ? ", " : "", cfg->ports[i].name);
	for (size_t i = 0; i < cfg->n_profiles; i++)
		if (!strcmp(cfg->profiles[i].inherit, name) && used < size)
			used += (size_t)snprintf(buf + used, size - used, "%sprofile %s",
						 count++ ? ", " : "", cfg->profiles[i].name);
	return count;
}

static int profile_del(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	(void)argc;
	struct profile_config *p = find(ctx, argv[0], err, n);
	if (!p)
		return -ENOENT;
	if (profile_guard(ctx, p, err, n))
		return -EPERM;
	char list[512];
	if (users(ctx->cfg, p->name, list, sizeof(list))) {
		snprintf(err, n, "profile %s: in use by %s (unbind or change them first)", p->name,
			 list);
		return -EBUSY;
	}
	config_del_profile(ctx->cfg, argv[0]);
	ctx->changed = true;
	return 0;
}

/* ---- profile show -------------------------------------------------------- */

/* The nearest ancestor of p that sets key, or NULL. */
static const struct profile_config *inherited_from(const struct config *cfg,
						   const struct profile_config *p, const char *key,
						   const struct profile_setting **setting)
{
	/* Bounded: a model that runs has no loop, and one with a loop is
	 * refused before it runs; the bound keeps a bad one from hanging. */
	for (size_t depth = 0; p->inherit[0] && depth <= cfg->n_profiles; depth++) {
		p = config_find_profile(cfg, p->inherit);
		if (!p)
			return NULL;
		for (int i = 0; i < p->n_settings; i++)
			if (!strcmp(p->settings[i].key, key)) {
				*setting = &p->settings[i];
				return p;
			}
	}
	return NULL;
}

/* Calls fn for every setting p inherits and does not set itself, each key
 * once, from the nearest ancestor. */
static void each_inherited(const struct config *cfg, const struct profile_config *p,
			   void (*fn)(void *arg, const struct profile_setting *s,
				      const struct profile_config *from),
			   void *arg)
{
	const struct profile_config *up = p;
	for (size_t depth = 0; up->inherit[0] && depth <= cfg->n_profiles; depth++) {
		up = config_find_profile(cfg, up->inherit);
		if (!up)
			return;
		for (int i = 0; i < up->n_settings; i++) {
			const struct profile_setting *s = &up->settings[i], *nearest = NULL;
			bool own = false;
			for (int j = 0; j < p->n_settings; j++)
				own |= !strcmp(p->settings[j].key, s->key);
			if (!own && inherited_from(cfg, p, s->key, &nearest) == up)
				fn(arg, s, up);
		}
	}
}

static void inherited_text(void *arg, const struct profile_setting *s,
			   const struct profile_config *from)
{
	fprintf(arg, "    %s %s (from %s)\n", s->key, s->value, from->name);
}

static void inherited_json(void *arg, const struct profile_setting *s,
			   const struct profile_config *from)
{
	cJSON *o = cJSON_AddObjectToObject(arg, s->key);
	cJSON_AddStringToObject(o, "value", s->value);
	cJSON_AddStringToObject(o, "from", from->name);
}

static void show_text(const struct config *cfg, const struct profile_config *p, FILE *out)
{
	char vids[1024];
	config_format_vids(p->system_vids, vids, sizeof(vids));
	fprintf(out, "profile %s%s%s%s\n", p->name, p->inherit[0] ? " (inherit " : "", p->inherit,
		p->inherit[0] ? ")" : "");
	if (p->domain)
		fprintf(out, "  defined by the domain\n");
	fprintf(out, "  system-vlans %s\n", vids[0] ? vids : "none");
	fprintf(out, "  settings:%s\n", p->n_settings ? "" : " none of its own");
	for (int i = 0; i < p->n_settings; i++)
		fprintf(out, "    %s %s\n", p->settings[i].key, p->settings[i].value);
	if (p->inherit[0]) {
		fprintf(out, "  inherited:\n");
		each_inherited(cfg, p, inherited_text, out);
	}
	fprintf(out, "  ports:");
	size_t count = 0;
	for (size_t i = 0; i < cfg->n_ports; i++) {
		const struct config_port *port = &cfg->ports[i];
		if (strcmp(port->profile, p->name))
			continue;
		fprintf(out, " %s", port->name);
		if (port->n_overrides) {
			fprintf(out, " (overrides:");
			config_print_settings(port->overrides, port->n_overrides, out);
			fprintf(out, ")");
		}
		count++;
	}
	fprintf(out, "%s\n", count ? "" : " none");
}

static cJSON *show_json(const struct config *cfg, const struct profile_config *p)
{
	char vids[1024];
	config_format_vids(p->system_vids, vids, sizeof(vids));
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", p->name);
	if (p->inherit[0])
		cJSON_AddStringToObject(o, "inherit", p->inherit);
	else
		cJSON_AddNullToObject(o, "inherit");
	cJSON_AddStringToObject(o, "system_vlans", vids);
	cJSON_AddBoolToObject(o, "domain", p->domain);
	cJSON *own = cJSON_AddObjectToObject(o, "settings");
	for (int i = 0; i < p->n_settings; i++)
		cJSON_AddStringToObject(own, p->settings[i].key, p->settings[i].value);
	each_inherited(cfg, p, inherited_json, cJSON_AddObjectToObject(o, "inherited"));
	cJSON *ports = cJSON_AddArrayToObject(o, "ports");
	for (size_t i = 0; i < cfg->n_ports; i++) {
		const struct config_port *port = &cfg->ports[i];
		if (strcmp(port->profile, p->name))
			continue;
		cJSON *b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "name", port->name);
		cJSON_AddStringToObject(b, "switch", port->sw);
		cJSON *over = cJSON_AddObjectToObject(b, "overrides");
		for (int k = 0; k < port->n_overrides; k++)
			cJSON_AddStringToObject(over, port->overrides[k].key,
						port->overrides[k].value);
		cJSON_AddBoolToObject(b, "domain", port->domain);
		cJSON_AddItemToArray(ports, b);
	}
	return o;
}

static int profile_show(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	const struct profile_config *only = NULL;
	if (argc > 0 && !strcmp(argv[argc - 1], "--json")) { /* as written after the name */
		ctx->json = true;
		argc--;
	}
	if (argc > 0 && !(only = find(ctx, argv[0], err, n)))
		return -ENOENT;
	if (!ctx->out)
		return 0;
	cJSON *doc = ctx->json ? cJSON_CreateArray() : NULL;
	for (size_t i = 0; i < ctx->cfg->n_profiles; i++) {
		const struct profile_config *p = &ctx->cfg->profiles[i];
		if (only && p != only)
			continue;
		if (doc)
			cJSON_AddItemToArray(doc, show_json(ctx->cfg, p));
		else
			show_text(ctx->cfg, p, ctx->out);
	}
	if (!doc && !ctx->cfg->n_profiles)
		fprintf(ctx->out, "no profiles (add one: profile add NAME SETTING VALUE...)\n");
	return doc ? show_emit_json(ctx, doc) : 0;
}

void show_port_profile(const struct config_port *port, FILE *out, cJSON *json)
{
	const char *name = port && port->profile[0] ? port->profile : NULL;
	if (json) {
		if (name)
			cJSON_AddStringToObject(json, "profile", name);
		else
			cJSON_AddNullToObject(json, "profile");
		return;
	}
	if (!name)
		return;
	fprintf(out, "  profile %s%s", name, port->n_overrides ? ", overrides:" : "");
	config_print_settings(port->overrides, port->n_overrides, out);
	fputc('\n', out);
}

/* ---- ports and their profile ----------------------------------------------- */

/* Writes the edited port `next` over *port if it resolves. */
static int commit_port(struct command_context *ctx, struct config_port *port,
		       struct config_port *next, char *err, size_t n)
{
	int error = config_resolve_port(ctx->cfg, next, err, n);
	if (error)
		return error;
	*port = *next;
	ctx->changed = true;
	return 0;
}

int profile_bind_port(struct command_context *ctx, struct config_port *port, const char *name,
		      int argc, char **argv, char *err, size_t n)
{
	if (profile_port_guard(ctx, port, err, n))
		return -EPERM;
	if (!find(ctx, name, err, n))
		return -ENOENT;
	struct config_port next = *port;
	copy_name(next.profile, sizeof(next.profile), name);
	next.n_overrides = 0;
	char what[PORT_NAME_MAX + 16];
	snprintf(what, sizeof(what), "port %s", port->name);
	if (argc > 0 &&
	    config_settings_set(next.overrides, &next.n_overrides, what, argc, argv, err, n))
		return -EINVAL;
	return commit_port(ctx, port, &next, err, n);
}

int profile_port_override(struct command_context *ctx, struct config_port *port, int argc,
			  char **argv, char *err, size_t n)
{
	if (profile_port_guard(ctx, port, err, n))
		return -EPERM;
	struct config_port next = *port;
	char what[PORT_NAME_MAX + 16];
	snprintf(what, sizeof(what), "port %s", port->name);
	if (config_settings_set(next.overrides, &next.n_overrides, what, argc, argv, err, n))
		return -EINVAL;
	return commit_port(ctx, port, &next, err, n);
}

static int port_bind(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	struct config_port *port = find_port(ctx, argv[0], err, n);
	if (!port)
		return -ENOENT;
	if (strcmp(argv[1], "profile")) {
		snprintf(err, n, "usage: port bind PORT profile NAME [SETTING VALUE...]");
		return -EINVAL;
	}
	return profile_bind_port(ctx, port, argv[2], argc - 3, argv + 3, err, n);
}

/* The port keeps what it ran with, as settings of its own. */
static int port_unbind(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	(void)argc;
	struct config_port *port = find_port(ctx, argv[0], err, n);
	if (!port)
		return -ENOENT;
	if (profile_port_guard(ctx, port, err, n))
		return -EPERM;
	if (!port->profile[0]) {
		snprintf(err, n, "port %s: not bound to a profile", port->name);
		return -EINVAL;
	}
	port->profile[0] = '\0';
	port->n_overrides = 0;
	ctx->changed = true;
	return 0;
}

static int port_unset(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	struct config_port *port = find_port(ctx, argv[0], err, n);
	if (!port)
		return -ENOENT;
	if (profile_port_guard(ctx, port, err, n))
		return -EPERM;
	if (!port->profile[0]) {
		snprintf(err, n,
			 "port %s: not bound to a profile, so it has no overrides to unset (set "
			 "the default value with port set)",
			 port->name);
		return -EINVAL;
	}
	struct config_port next = *port;
	char what[PORT_NAME_MAX + 16];
	snprintf(what, sizeof(what), "port %s", port->name);
	if (config_settings_unset(next.overrides, &next.n_overrides, what, argc - 1, argv + 1, err,
				  n))
		return -ENOENT;
	return commit_port(ctx, port, &next, err, n);
}

const struct command profile_commands[] = {
    {{"profile", "add"},
     true,
     false,
     profile_add,
     "profile add NAME [inherit PROFILE] [system-vlans LIST] [SETTING VALUE...]"},
    {{"profile", "set"},
     true,
     false,
     profile_set,
     "profile set NAME [inherit PROFILE|none] [system-vlans LIST|none] [SETTING VALUE...]"},
    {{"profile", "unset"}, false, false, profile_unset, "profile unset NAME SETTING..."},
    {{"profile", "del"}, false, false, profile_del, "profile del NAME"},
    {{"profile", "show"}, false, false, profile_show, "profile show [NAME] [--json]"},
    {{"port", "bind"}, true, false, port_bind, "port bind PORT profile NAME [SETTING VALUE...]"},
    {{"port", "unbind"}, false, false, port_unbind, "port unbind PORT"},
    {{"port", "unset"}, false, false, port_unset, "port unset PORT SETTING..."},
};
const size_t n_profile_commands = sizeof(profile_commands) / sizeof(profile_commands[0]);
