/* mirror_commands.c — the mirrors' commands: mirror add and del edit the
 * model (mirror_config.c parses and checks them); mirror show renders the
 * live mirrors with their counters, live captures (vswitchctl capture,
 * capture.c) among them. One line in commands.c's list of tables
 * registers them. */
#include "config.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

#include "engine/datapath.h"
#include "show.h"

static const char *const direction_names[] = {"", "rx", "tx", "both"};

static int mirror_add_cmd(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	const char *sw = argv[0], *name = argv[1];
	if (command_check_name("mirror", name, MIRROR_NAME_MAX, err, n))
		return -EINVAL;
	if (!strncmp(name, "capture-", 8)) {
		snprintf(err, n, "mirror %s: names capture-* are the live captures'", name);
		return -EINVAL;
	}
	if (config_find_mirror(ctx->cfg, name)) {
		snprintf(err, n, "mirror %s: already exists", name);
		return -EEXIST;
	}
	struct mirror_config m = {.line = 0};
	copy_name(m.sw, sizeof(m.sw), sw);
	copy_name(m.spec.name, sizeof(m.spec.name), name);
	m.spec.direction = MIRROR_BOTH;
	m.spec.sink = MIRROR_TO_PORT;
	if (config_parse_mirror(&m, argc - 2, argv + 2, err, n))
		return -EINVAL;
	if (!m.spec.n_sources || (m.spec.sink == MIRROR_TO_PORT && !m.spec.output[0])) {
		snprintf(err, n,
			 "mirror %s: needs 'source PORT[,PORT...]' and 'output PORT' or "
			 "'output erspan remote A.B.C.D'",
			 name);
		return -EINVAL;
	}
	struct mirror_config *slot = config_add_mirror(ctx->cfg);
	if (!slot) {
		snprintf(err, n, "out of memory");
		return -ENOMEM;
	}
	*slot = m;
	ctx->changed = true;
	return 0;
}

static int mirror_del_cmd(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	(void)argc;
	if (!config_find_mirror(ctx->cfg, argv[0])) {
		snprintf(err, n, "mirror %s: no such mirror", argv[0]);
		return -ENOENT;
	}
	config_del_mirror(ctx->cfg, argv[0]);
	ctx->changed = true;
	return 0;
}

/* Where the copies go, as one word or phrase. */
static void format_output(const struct command_context *ctx, const struct mirror *m, char *buf,
			  size_t size)
{
	const struct mirror_config *c = config_find_mirror(ctx->cfg, m->spec.name);
	char remote[INET_ADDRSTRLEN] = "";
	if (m->spec.sink == MIRROR_TO_PORT)
		snprintf(buf, size, "%s", m->spec.output);
	else if (m->spec.sink == MIRROR_TO_CAPTURE)
		snprintf(buf, size, "capture");
	else if (c)
		snprintf(buf, size, "erspan%u %s session %u", c->erspan.version == 3 ? 3u : 2u,
			 inet_ntop(AF_INET, &c->erspan.remote, remote, sizeof(remote)),
			 c->erspan.session_id);
	else
		snprintf(buf, size, "erspan");
}

static cJSON *mirror_json(const struct command_context *ctx, const struct vswitch *sw,
			  const struct mirror *m)
{
	char output[96];
	format_output(ctx, m, output, sizeof(output));
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", m->spec.name);
	cJSON_AddStringToObject(o, "switch", sw->name);
	cJSON *sources = cJSON_AddArrayToObject(o, "sources");
	for (uint8_t s = 0; s < m->spec.n_sources; s++)
		cJSON_AddItemToArray(sources, cJSON_CreateString(m->spec.sources[s]));
	cJSON_AddStringToObject(o, "direction", direction_names[m->spec.direction & MIRROR_BOTH]);
	cJSON_AddNumberToObject(o, "vlan", m->spec.vid);
	cJSON_AddStringToObject(o, "output", output);
	cJSON_AddBoolToObject(o, "capture", m->spec.sink == MIRROR_TO_CAPTURE);
	cJSON_AddNumberToObject(o, "mirrored", (double)m->mirrored);
	cJSON_AddNumberToObject(o, "dropped", (double)m->dropped);
	return o;
}

static void mirror_text(const struct command_context *ctx, const struct vswitch *sw,
			const struct mirror *m)
{
	char output[96];
	format_output(ctx, m, output, sizeof(output));
	fprintf(ctx->out, "mirror %s (switch %s): source ", m->spec.name, sw->name);
	for (uint8_t s = 0; s < m->spec.n_sources; s++)
		fprintf(ctx->out, "%s%s", s ? "," : "", m->spec.sources[s]);
	fprintf(ctx->out, " %s", direction_names[m->spec.direction & MIRROR_BOTH]);
	if (m->spec.vid)
		fprintf(ctx->out, " vlan %u", m->spec.vid);
	fprintf(ctx->out, " -> %s%s\n  mirrored %llu  dropped %llu\n", output,
		m->output || m->spec.sink != MIRROR_TO_PORT ? "" : " (port missing)",
		(unsigned long long)m->mirrored, (unsigned long long)m->dropped);
}

static int mirror_show_cmd(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	if (!ctx->dp) {
		snprintf(err, n, "mirror show: the daemon has no live state here");
		return -EINVAL;
	}
	const char *only = argc > 0 ? argv[0] : NULL;
	bool found = false;
	cJSON *doc = ctx->json ? cJSON_CreateArray() : NULL;
	for (size_t i = 0; i < ctx->dp->n_switches; i++) {
		const struct vswitch *sw = ctx->dp->switches[i];
		for (uint16_t j = 0; j < sw->mirrors.n; j++) {
			const struct mirror *m = sw->mirrors.list[j];
			if (only && strcmp(only, m->spec.name))
				continue;
			found = true;
			if (doc)
				cJSON_AddItemToArray(doc, mirror_json(ctx, sw, m));
			else
				mirror_text(ctx, sw, m);
		}
	}
	if (only && !found) {
		cJSON_Delete(doc);
		snprintf(err, n, "mirror %s: no such mirror", only);
		return -ENOENT;
	}
	return doc ? show_emit_json(ctx, doc) : 0;
}

const struct command mirror_commands[] = {
    {{"mirror", "add"},
     true,
     false,
     mirror_add_cmd,
     "mirror add SWITCH NAME source PORT[,PORT...] [direction rx|tx|both] [vlan VID]\n"
     "        output PORT | output erspan remote A.B.C.D [local A.B.C.D]\n"
     "        [session-id 0-1023] [version 2|3]"},
    {{"mirror", "del"}, false, false, mirror_del_cmd, "mirror del NAME"},
    {{"mirror", "show"}, false, true, mirror_show_cmd, "mirror show [NAME]"},
};
const size_t n_mirror_commands = sizeof(mirror_commands) / sizeof(mirror_commands[0]);
