/* http.h — the daemon's read-only HTTP listener (vswitchd --metrics
 * ADDR:PORT, or `metrics listen ADDR:PORT` in the startup file): Prometheus
 * metrics at /metrics (metrics.c) and the live web view with its JSON API
 * (web.c) at every other path. It is served by the control thread, on the
 * control socket's epoll (server.c), so a request reads the same model the
 * CLI reads and never races a configuration change; the data path pays
 * nothing but the one control_datapath_call() a page of counters needs.
 *
 * HTTP/1.1 and 1.0, GET and HEAD only, keep-alive, no request body: a
 * request of anything else is answered with its 4xx/5xx and the connection
 * closed. The parser is our own, small and fuzzed (tests/fuzz), because it
 * sits on a socket any local user may reach. */
#ifndef VSWITCH_HTTP_H
#define VSWITCH_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_REQUEST 8192 /* request line and headers; larger: 431 */
#define HTTP_MAX_PATH	 1024 /* decoded path; longer: 414 */
#define HTTP_MAX_CLIENTS 32
#define HTTP_MAX_HOST	 264 /* Host value (a DNS name is <= 253) + ":PORT"; longer: 400 */

enum http_method { HTTP_GET, HTTP_HEAD };

struct http_request {
	enum http_method method;
	/* The target's path, percent-decoded, always starting with '/', never
	 * holding a NUL, "/../" or "//": safe to compare and to split on '/'. */
	char path[HTTP_MAX_PATH];
	/* The query after '?', as sent (not decoded), "" for none. */
	char query[HTTP_MAX_PATH];
	/* The Host header's value as sent (trimmed, no control bytes), "" if
	 * there was none (HTTP/1.0 only: 1.1 without Host is refused). */
	char host[HTTP_MAX_HOST];
	bool keep_alive; /* HTTP/1.1 without "Connection: close", or 1.0 with keep-alive */
	bool http10;
};

/* Parses one request from the first len bytes of buf. Returns:
 *   > 0       the request is whole: the bytes it took (headers and the
 *             empty line; the next request may follow),
 *   0         not whole yet: read more (unless len reached HTTP_MAX_REQUEST),
 *   < 0       -(the HTTP status to answer) (-400, -405, -414, -431, -501,
 *             -505): answer it and close.
 * Never reads beyond len; any bytes are safe. */
int http_parse_request(const uint8_t *buf, size_t len, struct http_request *req);

/* Whether a Host value names this machine without a DNS name a page could
 * re-point: an IPv4 literal, a bracketed IPv6 literal, or "localhost" (any
 * case), each with an optional ":PORT". The DNS-rebinding guard of a
 * listener reached on a loopback address (http_server.c) serves only
 * these. "" (no Host, HTTP/1.0) is not local: every browser sends Host. */
bool http_host_is_local(const char *host);

/* What a route answers. body is malloc'd (the server frees it) or NULL for
 * an empty body; content_type and cache are static strings. */
struct http_response {
	int status; /* 200, 404... */
	const char *content_type;
	const char *cache_control; /* NULL: "no-store" */
	/* More header lines ("Name: value\r\n"...), a static string, or NULL
	 * (the web view's security headers, web.c). */
	const char *headers;
	char *body;
	size_t body_len;
};

/* The status line's reason phrase ("Not Found"); "" for an unknown code. */
const char *http_reason(int status);

#endif
