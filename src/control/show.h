/* show.h — the show commands: live state as text for people and JSON for
 * scripts (ctx->json). Same signature as every command in commands.c. */
#ifndef VSWITCH_SHOW_H
#define VSWITCH_SHOW_H

#include <cjson/cJSON.h>

#include "config.h"

int show_overview(struct command_context *ctx, int argc, char **argv, char *err, size_t n);
int show_switches(struct command_context *ctx, int argc, char **argv, char *err, size_t n);
int show_ports(struct command_context *ctx, int argc, char **argv, char *err, size_t n);
int show_fdb(struct command_context *ctx, int argc, char **argv, char *err, size_t n);
int show_vlans(struct command_context *ctx, int argc, char **argv, char *err, size_t n);
int show_counters(struct command_context *ctx, int argc, char **argv, char *err, size_t n);
/* `TYPE show [PORT]` for any port type with a status operation (bond show,
 * and the next types without a line here): each port of that type's
 * status, as port_class.status describes it. */
int show_port_type(struct command_context *ctx, const char *type, int argc, char **argv, char *err,
		   size_t n);
int show_running_config(struct command_context *ctx, int argc, char **argv, char *err, size_t n);

/* A port's security groups and connection table in `port show`: into json
 * when not NULL, else as a text line (acl_commands.c). */
void acl_show_port(const struct command_context *ctx, const struct bridge_port *p, cJSON *json);

/* A port's profile in `port show`: a "profile" member of json (null when
 * unbound) when not NULL, else a text line if bound (profile_commands.c). */
void show_port_profile(const struct config_port *port, FILE *out, cJSON *json);

/* Prints doc as the reply's JSON and frees it. */
int show_emit_json(struct command_context *ctx, cJSON *doc);

#endif
