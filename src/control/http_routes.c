/* http_routes.c — see http_routes.h. */
#include "http_routes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "execute.h"
#include "http_server.h"
#include "lib/util.h"
#include "metrics.h"
#include "web.h"

void http_route(void *state, const struct http_request *req, struct http_response *resp)
{
	if (!strcmp(req->path, "/metrics"))
		metrics_serve(state, req, resp);
	else
		web_serve(state, req, resp);
}

int metrics_listen_canonical(const char *text, char *out, size_t out_size, char *err,
			     size_t err_size)
{
	struct sockaddr_storage addr;
	socklen_t len;
	if (http_listen_parse(text, &addr, &len, err, err_size) < 0)
		return -EINVAL;
	char ip[INET6_ADDRSTRLEN];
	if (addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)&addr;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(out, out_size, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		const struct sockaddr_in *in4 = (const void *)&addr;
		inet_ntop(AF_INET, &in4->sin_addr, ip, sizeof(ip));
		snprintf(out, out_size, "%s:%u", ip, ntohs(in4->sin_port));
	}
	return 0;
}

int metrics_listen_command(struct command_context *ctx, int argc, char **argv, char *err,
			   size_t err_size)
{
	(void)argc;
	char canonical[sizeof(ctx->cfg->metrics_listen)];
	if (metrics_listen_canonical(argv[0], canonical, sizeof(canonical), err, err_size) < 0)
		return -EINVAL;
	copy_name(ctx->cfg->metrics_listen, sizeof(ctx->cfg->metrics_listen), canonical);
	ctx->changed = true;
	return 0;
}
