/* lldp_commands.c — LLDP's commands: `lldp show [PORT]` renders the live
 * agent (ha/lldp.c) on the data-plane thread; `lldp KEY VALUE` edits the
 * daemon's LLDP settings in the model (lldp_config.c). One line in
 * commands.c's list of tables registers them. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

#include "show.h"

static int lldp_show_cmd(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	if (!ctx->dp) {
		ctx->needs_datapath = true;
		return 0;
	}
	const char *port = argc > 0 ? argv[0] : NULL;
	cJSON *doc = ctx->json ? cJSON_CreateArray() : NULL;
	if (lldp_show(ctx->dp, port, ctx->out, doc) < 0) {
		cJSON_Delete(doc);
		snprintf(err, n, "lldp: port %s does not run LLDP (port set %s lldp rx|tx|rxtx)",
			 port, port);
		return -ENOENT;
	}
	return doc ? show_emit_json(ctx, doc) : 0;
}

/* `lldp KEY VALUE`: the verb's second word is the key. */
static int lldp_set(struct command_context *ctx, const char *key, const char *value, char *err,
		    size_t n)
{
	struct lldp_settings changed = ctx->cfg->lldp;
	if (config_parse_lldp_setting(&changed, key, value, err, n))
		return -EINVAL;
	ctx->cfg->lldp = changed;
	ctx->changed = true;
	return 0;
}

static int lldp_system_name(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	(void)argc;
	return lldp_set(ctx, "system-name", argv[0], err, n);
}

static int lldp_chassis_id(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	(void)argc;
	return lldp_set(ctx, "chassis-id", argv[0], err, n);
}

static int lldp_mgmt_address(struct command_context *ctx, int argc, char **argv, char *err,
			     size_t n)
{
	(void)argc;
	return lldp_set(ctx, "mgmt-address", argv[0], err, n);
}

static int lldp_tx_interval(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	(void)argc;
	return lldp_set(ctx, "tx-interval", argv[0], err, n);
}

const struct command lldp_commands[] = {
    {{"lldp", "show"}, false, true, lldp_show_cmd, "lldp show [PORT]"},
    {{"lldp", "system-name"}, true, false, lldp_system_name, "lldp system-name NAME|default"},
    {{"lldp", "chassis-id"}, true, false, lldp_chassis_id, "lldp chassis-id MAC|auto"},
    {{"lldp", "mgmt-address"},
     true,
     false,
     lldp_mgmt_address,
     "lldp mgmt-address ADDR[,ADDR]|none"},
    {{"lldp", "tx-interval"}, true, false, lldp_tx_interval, "lldp tx-interval SECONDS"},
};
const size_t n_lldp_commands = sizeof(lldp_commands) / sizeof(lldp_commands[0]);
