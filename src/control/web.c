/* web.c — see web.h. Two kinds of answer: the page's own files, built into
 * the daemon (web_assets.h), and the JSON API under /api/v1/ that the page
 * polls. The API is a fixed table of read-only show commands run through
 * control_execute() with --json: the URL picks a row of the table and may
 * add a name, never the command's words, so no URL can reach a command that
 * changes anything. */
#include "web.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "web_assets.h"

#define API_PREFIX   "/api/v1/"
#define WEB_NAME_MAX 64

/* Sent with every answer of the web view (http_response.headers): the page
 * and its API are not to be framed by another site, or allowed to load or
 * send anything anywhere but here. (X-Content-Type-Options: nosniff the
 * listener sends with every answer, /metrics too.) */
const char web_security_headers[] =
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'\r\n";

/* The whitelist: /api/v1/PATH[/NAME] runs `words... [NAME]`. Only commands
 * of two words take a name: the command table matches at most two words, so
 * a name after them can never turn into another command (as "counters
 * clear" would from a name after "counters"). */
static const struct web_route {
	const char *path;
	const char *words[2];
	int min_names, max_names;
} routes[] = {
    {"show", {"show", NULL}, 0, 0},	{"switches", {"switch", "show"}, 0, 1},
    {"ports", {"port", "show"}, 0, 1},	{"fdb", {"fdb", "show"}, 1, 1},
    {"vlans", {"vlan", "show"}, 0, 1},	{"counters", {"counters", NULL}, 0, 0},
    {"seas", {"sea", "show"}, 0, 1},	{"bonds", {"bond", "show"}, 0, 1},
    {"lldp", {"lldp", "show"}, 0, 1},	{"mcast", {"mcast", "show"}, 0, 1},
    {"ipfix", {"ipfix", "show"}, 0, 1},
};

static void respond(struct http_response *resp, int status, const char *type, char *body,
		    size_t len)
{
	resp->status = status;
	resp->content_type = type;
	resp->body = body;
	resp->body_len = body ? len : 0;
}

static void respond_text(struct http_response *resp, int status, const char *text)
{
	char *body = strdup(text);
	respond(resp, status, "text/plain; charset=utf-8", body, body ? strlen(body) : 0);
}

static void respond_json(struct http_response *resp, int status, cJSON *doc)
{
	char *body = doc ? cJSON_PrintUnformatted(doc) : NULL;
	cJSON_Delete(doc);
	if (!body) {
		respond_text(resp, 503, "out of memory\n");
		return;
	}
	respond(resp, status, "application/json", body, strlen(body));
}

static void respond_error(struct http_response *resp, int status, const char *message)
{
	cJSON *doc = cJSON_CreateObject();
	if (doc) {
		cJSON_AddNumberToObject(doc, "status", status);
		cJSON_AddStringToObject(doc, "error", message);
	}
	respond_json(resp, status, doc);
}

static int status_of(int error)
{
	switch (error) {
	case -ENOENT:
		return 404;
	case -ENOMEM:
		return 503;
	default:
		return 400;
	}
}

/* A name as the commands take them (switch, port, SEA): anything else is
 * refused before it reaches a command. */
static bool valid_name(const char *s, size_t len)
{
	if (len == 0 || len >= WEB_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
			    s[i]))
			return false;
	return true;
}

/* GET /api/v1/: the routes, so a script can find them. */
static void serve_index(struct http_response *resp)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *list = doc ? cJSON_AddArrayToObject(doc, "routes") : NULL;
	for (size_t i = 0; list && i < ARRAY_SIZE(routes); i++) {
		char path[64];
		snprintf(path, sizeof(path), API_PREFIX "%s%s", routes[i].path,
			 routes[i].min_names   ? "/NAME"
			 : routes[i].max_names ? "[/NAME]"
					       : "");
		cJSON_AddItemToArray(list, cJSON_CreateString(path));
	}
	respond_json(resp, 200, doc);
}

static void run_route(struct control_state *state, const struct web_route *r, const char *name,
		      struct http_response *resp)
{
	char words[3][WEB_NAME_MAX];
	char *argv[3];
	int argc = 0;
	for (int i = 0; i < 2 && r->words[i]; i++, argc++)
		argv[argc] = strcpy(words[argc], r->words[i]);
	if (name) {
		argv[argc] = strcpy(words[argc], name);
		argc++;
	}
	char *output = NULL, err[512] = "";
	size_t len = 0;
	FILE *out = open_memstream(&output, &len);
	if (!out) {
		respond_error(resp, 503, "out of memory");
		return;
	}
	int error = control_execute(state, argc, argv, true, out, err, sizeof(err));
	fclose(out);
	if (error) {
		free(output);
		respond_error(resp, status_of(error), err[0] ? err : "the command failed");
		return;
	}
	respond(resp, 200, "application/json", output, len);
}

static void serve_api(struct control_state *state, const char *rest, struct http_response *resp)
{
	if (!*rest) {
		serve_index(resp);
		return;
	}
	size_t head = strcspn(rest, "/");
	const char *name = rest[head] == '/' ? rest + head + 1 : NULL;
	if (name && !*name)
		name = NULL; /* a trailing slash */
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
		const struct web_route *r = &routes[i];
		if (strlen(r->path) != head || strncmp(r->path, rest, head))
			continue;
		if (name && r->max_names == 0) {
			respond_error(resp, 404, "no such resource (this route takes no name)");
			return;
		}
		if (!name && r->min_names) {
			respond_error(resp, 400,
				      "this route needs a name: " API_PREFIX "PATH/NAME");
			return;
		}
		if (name && !valid_name(name, strlen(name))) {
			respond_error(resp, 400, "a name is letters, digits, '.', '_' or '-'");
			return;
		}
		run_route(state, r, name, resp);
		return;
	}
	respond_error(resp, 404, "no such resource: " API_PREFIX " lists them");
}

static void serve_asset(const char *path, struct http_response *resp)
{
	if (!strcmp(path, "/"))
		path = "/index.html";
	for (size_t i = 0; i < n_web_assets; i++) {
		const struct web_asset *a = &web_assets[i];
		if (strcmp(a->path, path))
			continue;
		char *body = malloc(a->len ? a->len : 1);
		if (!body) {
			respond_text(resp, 503, "out of memory\n");
			return;
		}
		memcpy(body, a->data, a->len);
		respond(resp, 200, a->content_type, body, a->len);
		/* Revalidated each time, so a new daemon's page is the one shown. */
		resp->cache_control = "no-cache";
		return;
	}
	respond_text(resp, 404, "not found\n");
}

void web_serve(struct control_state *state, const struct http_request *req,
	       struct http_response *resp)
{
	resp->cache_control = NULL;
	resp->headers = web_security_headers;
	if (!strncmp(req->path, API_PREFIX, strlen(API_PREFIX)))
		serve_api(state, req->path + strlen(API_PREFIX), resp);
	else if (!strcmp(req->path, "/api/v1"))
		serve_index(resp);
	else
		serve_asset(req->path, resp);
}
