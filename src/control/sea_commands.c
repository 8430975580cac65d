/* sea_commands.c — the Shared Ethernet Adapter's commands: sea add, set and
 * del edit the model (sea_config.c parses and checks their settings); sea
 * show renders the live SEAs, which render themselves (ha/sea.c). One line
 * in commands.c's list of tables registers them. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

#include "show.h"

static int sea_add(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	const char *name = argv[0], *sw = argv[1];
	if (command_check_name("sea", name, SEA_NAME_MAX, err, n))
		return -EINVAL;
	if (config_find_sea(ctx->cfg, name)) {
		snprintf(err, n, "sea %s: already exists", name);
		return -EEXIST;
	}
	if (!config_find_switch(ctx->cfg, sw)) {
		snprintf(err, n, "sea %s: no switch %s", name, sw);
		return -ENOENT;
	}
	struct sea_config sea;
	sea_config_init(&sea);
	copy_name(sea.name, sizeof(sea.name), name);
	copy_name(sea.sw, sizeof(sea.sw), sw);
	if (config_parse_sea_settings(&sea, argc - 2, argv + 2, err, n))
		return -EINVAL;
	if (!sea.real[0] || !sea.n_trunks) {
		snprintf(err, n, "sea %s: needs 'real PORT' and 'trunks PORT[,PORT...]'", name);
		return -EINVAL;
	}
	struct sea_config *slot = config_add_sea(ctx->cfg);
	if (!slot) {
		snprintf(err, n, "out of memory");
		return -ENOMEM;
	}
	*slot = sea;
	ctx->changed = true;
	return 0;
}

static int sea_set(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	struct sea_config *sea = config_find_sea(ctx->cfg, argv[0]);
	if (!sea) {
		snprintf(err, n, "sea %s: no such sea", argv[0]);
		return -ENOENT;
	}
	struct sea_config changed = *sea;
	if (config_parse_sea_settings(&changed, argc - 1, argv + 1, err, n))
		return -EINVAL;
	*sea = changed;
	ctx->changed = true;
	return 0;
}

static int sea_del(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	(void)argc;
	if (!config_find_sea(ctx->cfg, argv[0])) {
		snprintf(err, n, "sea %s: no such sea", argv[0]);
		return -ENOENT;
	}
	config_del_sea(ctx->cfg, argv[0]);
	ctx->changed = true;
	return 0;
}

static int sea_show_cmd(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	if (!ctx->seas) {
		snprintf(err, n, "sea show: the daemon has no live state here");
		return -EINVAL;
	}
	const struct sea *only = NULL;
	if (argc > 0) {
		only = sea_set_find(ctx->seas, argv[0]);
		if (!only) {
			snprintf(err, n, "sea %s: no such sea", argv[0]);
			return -ENOENT;
		}
	}
	cJSON *doc = ctx->json ? cJSON_CreateArray() : NULL;
	for (size_t i = 0; i < ctx->seas->n; i++) {
		const struct sea *sea = ctx->seas->seas[i];
		if (only && sea != only)
			continue;
		if (doc)
			cJSON_AddItemToArray(doc, sea_to_json(sea));
		else
			sea_show(sea, ctx->out);
	}
	return doc ? show_emit_json(ctx, doc) : 0;
}

const struct command sea_commands[] = {
    {{"sea", "add"},
     true,
     false,
     sea_add,
     "sea add NAME SWITCH real PORT trunks PORT[,PORT...] [ctl PORT] [pvid VID]\n"
     "        [priority 1-15] [ha-mode auto|standby|sharing] [failback on|off]\n"
     "        [failback-delay MS] [hello MS] [dead MS] [netaddr A.B.C.D]\n"
     "        [netaddr-interval MS] [netaddr-retries N]"},
    {{"sea", "set"}, true, false, sea_set, "sea set NAME SETTING VALUE..."},
    {{"sea", "del"}, false, false, sea_del, "sea del NAME"},
    {{"sea", "show"}, false, true, sea_show_cmd, "sea show [NAME]"},
};
const size_t n_sea_commands = sizeof(sea_commands) / sizeof(sea_commands[0]);
