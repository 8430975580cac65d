/* http_routes.h — what the HTTP listener (http.h) serves where, and its
 * address as a setting: `vswitchd --metrics ADDR:PORT` or the startup
 * file's `metrics listen ADDR:PORT`. */
#ifndef VSWITCH_HTTP_ROUTES_H
#define VSWITCH_HTTP_ROUTES_H

#include <stddef.h>

#include "config.h"
#include "http.h"

/* The server's http callback (server.h); state is a struct control_state:
 * /metrics to metrics.c, every other path to the web view (web.h). */
void http_route(void *state, const struct http_request *req, struct http_response *resp);

/* The address in its one written form ("127.0.0.1:9100", "[::1]:9100"),
 * so --metrics and the file compare equal however each was written.
 * Returns 0 or -EINVAL with err set. */
int metrics_listen_canonical(const char *text, char *out, size_t out_size, char *err,
			     size_t err_size);

/* The command `metrics listen ADDR:PORT` (commands.c's table). */
int metrics_listen_command(struct command_context *ctx, int argc, char **argv, char *err,
			   size_t err_size);

#endif
