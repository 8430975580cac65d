/* server.h — the control socket: a UNIX stream socket speaking JSON-RPC 2.0,
 * one request per line, served by the daemon's control thread, which hands
 * each request to a handler (execute.c) and answers on the same connection.
 * Replies may be of any size; they are valid UTF-8 whatever the request. */
#ifndef VSWITCH_SERVER_H
#define VSWITCH_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_request;
struct http_response;
struct http_listener;

#define CONTROL_DEFAULT_SOCKET "/run/vswitch/vswitchd.sock"
#define CONTROL_MAX_REQUEST    65536
#define CONTROL_MAX_CLIENTS    64
/* A client is closed after this long without a request (idle), between the
 * first byte of a request and its newline (half-written), or without taking
 * any of a pending reply (not reading). When all CONTROL_MAX_CLIENTS slots
 * are taken, a new client closes the longest-idle one instead. For tests,
 * $VSWITCH_CONTROL_TIMEOUTS="IDLE,REQUEST,STALL" in seconds overrides them. */
#define CONTROL_IDLE_TIMEOUT	60
#define CONTROL_REQUEST_TIMEOUT 5
#define CONTROL_STALL_TIMEOUT	30
/* How often streams and ticks are served while any runs. */
#define CONTROL_TICK_MS 5

/* What the server does with a request, on the control thread (it may
 * block there): runs argv and returns 0 with *output (malloc'd, NULL for
 * none), or a negative errno with err set to the operator's message. */
struct control_handler {
	int (*execute)(void *arg, int argc, char **argv, bool json, char **output,
		       size_t *output_len, char *err, size_t err_size);
	void *arg;
	/* A streamed reply (method "stream", vswitchctl capture): open returns
	 * the stream or NULL with err set; read moves what it has into out (at
	 * most room bytes) and sets *done after its last bytes; close ends it,
	 * whichever way the client left. NULL: no streams. */
	void *(*stream_open)(void *arg, int argc, char **argv, char *err, size_t err_size);
	size_t (*stream_read)(void *arg, void *stream, uint8_t *out, size_t room, bool *done);
	void (*stream_close)(void *arg, void *stream);
	/* Periodic work of the control thread (ERSPAN export), run every
	 * CONTROL_TICK_MS while it returns true, and once after every event. */
	bool (*tick)(void *arg);
	/* Work another thread signals (the domain agent's changes, domain.c):
	 * event(arg) runs on the control thread whenever event_fd (an eventfd
	 * it owns) is readable. NULL: none. */
	void (*event)(void *arg);
	void *event_arg;
	int event_fd;
	/* The HTTP listener's requests (http.h), with arg: fills the
	 * response. NULL: no HTTP listener. */
	void (*http)(void *arg, const struct http_request *req, struct http_response *resp);
};

struct control_server {
	int listen_fd;
	int epoll_fd;
	char path[108];
	struct control_handler handler;
	unsigned idle_timeout, request_timeout, stall_timeout; /* seconds */
	struct http_listener *http; /* NULL: none (control_server_listen_http) */
};

/* Listens on path (directory created 0700, socket 0600; a stale socket is
 * replaced, a live one is an error). Returns 0 or -errno with err set. */
int control_server_open(struct control_server *srv, const char *path,
			const struct control_handler *handler, char *err, size_t err_size);
/* Also serves HTTP on addr ("ADDR:PORT", http_server.h) with the
 * handler's http callback, on the same thread and timeouts. Returns 0 or
 * -errno with err set (a port in use...). */
int control_server_listen_http(struct control_server *srv, const char *addr, char *err,
			       size_t err_size);
/* Serves clients until a signal in `signals_fd` (a signalfd) asks to stop.
 * SIGHUP is passed to the handler as a "reload" request. Returns on SIGTERM/SIGINT. */
void control_server_run(struct control_server *srv, int signals_fd);
void control_server_close(struct control_server *srv);

#endif
