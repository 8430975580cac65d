/* server.h — the control socket: a UNIX stream socket speaking JSON-RPC 2.0,
 * one request per line, served by its own thread. Each request is handed to
 * the data-plane thread, which runs it between batches (handover), so the
 * forwarding state is never shared under a lock. */
#ifndef VSWITCH_SERVER_H
#define VSWITCH_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define CONTROL_DEFAULT_SOCKET "/run/vswitch/vswitchd.sock"
#define CONTROL_MAX_REQUEST    65536

/* A request waiting for the data-plane thread. */
struct control_request {
	int argc;
	char **argv;
	bool json;
	char *output; /* malloc'd by the executor */
	size_t output_len;
	int status;
	char err[1024];
};

struct control_mailbox;

struct control_server {
	int listen_fd;
	int epoll_fd;
	char path[108];
	struct control_mailbox *mailbox;
};

/* The data-plane side of the handover. wake_fd is readable (eventfd) when a
 * request waits; control_mailbox_take() returns it or NULL, and
 * control_mailbox_done() hands the answer back. */
struct control_mailbox *control_mailbox_create(void);
void control_mailbox_destroy(struct control_mailbox *mb);
int control_mailbox_wake_fd(const struct control_mailbox *mb);
bool control_mailbox_pending(const struct control_mailbox *mb);
struct control_request *control_mailbox_take(struct control_mailbox *mb);
void control_mailbox_done(struct control_mailbox *mb, struct control_request *req);
/* Wakes the data-plane thread and waits until it stops (shutdown). */
void control_mailbox_close(struct control_mailbox *mb);
bool control_mailbox_closed(const struct control_mailbox *mb);

/* Listens on path (directory created 0700, socket 0600; a stale socket is
 * replaced, a live one is an error). Returns 0 or -errno with err set. */
int control_server_open(struct control_server *srv, const char *path, struct control_mailbox *mb,
			char *err, size_t err_size);
/* Serves clients until a signal in `signals_fd` (a signalfd) asks to stop.
 * SIGHUP is passed on as a "reload" request. Returns on SIGTERM/SIGINT. */
void control_server_run(struct control_server *srv, int signals_fd);
void control_server_close(struct control_server *srv);

#endif
