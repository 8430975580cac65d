/* server.c — see server.h. The control thread multiplexes the listening
 * socket, its clients and the signalfd on one epoll. A client's request is
 * read whole (up to CONTROL_MAX_REQUEST), parsed and handed over; its reply
 * is queued and streamed as fast as the client reads it, and the client's
 * next request is not read before then, so a client that sends and does not
 * read holds one reply, never more (back-pressure). Clients that hold a slot
 * without using it are timed out; a new client finding every slot taken
 * closes the longest-idle one, so the CLI always gets in. */
#include "server.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "http_server.h"
#include "lib/log.h"
#include "lib/utf8.h"
#include "lib/util.h"

#define MAX_ARGS 128
#define NS	 1000000000ull
/* epoll tags: clients are 1..CONTROL_MAX_CLIENTS (slot + 1). */
#define TAG_LISTEN  (1ull << 32)
#define TAG_SIGNALS (2ull << 32)
#define TAG_EVENT   (3ull << 32)
#define TAG_HTTP    (4ull << 32) /* | 0 the HTTP socket, | slot + 1 its clients */

/* ---- the socket --------------------------------------------------------- */

/* A client waits for one of three things, each with its own timeout: its
 * reply to be read (out != NULL), the rest of a request (used > 0), or
 * nothing (idle). */
struct client {
	int fd;
	pid_t pid;		/* the peer, named in log lines */
	uint32_t watching;	/* EPOLLIN, or EPOLLOUT while a reply waits */
	bool closing;		/* close once the reply is sent */
	uint64_t idle_since;	/* connected, or last request answered */
	uint64_t request_since; /* first byte of the unfinished request */
	uint64_t reply_since;	/* reply queued, or last part of it taken */
	char *out;		/* the reply line being sent, NULL if none */
	size_t out_len, out_sent;
	void *stream; /* a streamed reply under way (stream_open), else NULL */
	bool stream_done;
	char *chunk; /* the stream's buffer, STREAM_CHUNK bytes; out points here while sent */
	size_t used;
	char in[CONTROL_MAX_REQUEST];
};

static struct client *clients[CONTROL_MAX_CLIENTS];

/* $VSWITCH_CONTROL_TIMEOUTS="IDLE,REQUEST,STALL" (seconds): short timeouts
 * for tests, which cannot wait a minute for an idle client to go. */
static void set_timeouts(struct control_server *srv)
{
	srv->idle_timeout = CONTROL_IDLE_TIMEOUT;
	srv->request_timeout = CONTROL_REQUEST_TIMEOUT;
	srv->stall_timeout = CONTROL_STALL_TIMEOUT;
	const char *text = getenv("VSWITCH_CONTROL_TIMEOUTS");
	unsigned idle, request, stall;
	if (!text)
		return;
	if (sscanf(text, "%u,%u,%u", &idle, &request, &stall) != 3 || !idle || !request || !stall) {
		log_error("VSWITCH_CONTROL_TIMEOUTS '%s' is not IDLE,REQUEST,STALL in seconds "
			  "(each at least 1): the defaults stay",
			  text);
		return;
	}
	srv->idle_timeout = idle;
	srv->request_timeout = request;
	srv->stall_timeout = stall;
	log_info("control timeouts: idle %u s, request %u s, reply %u s", idle, request, stall);
}

int control_server_open(struct control_server *srv, const char *path,
			const struct control_handler *handler, char *err, size_t err_size)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	srv->listen_fd = srv->epoll_fd = -1;
	srv->handler = *handler;
	set_timeouts(srv);
	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, err_size, "socket path '%s' is too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	strcpy(srv->path, path);

	char dir[sizeof(addr.sun_path)];
	strcpy(dir, path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			snprintf(err, err_size, "cannot create %s: %s", dir, strerror(errno));
			return -errno;
		}
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_size, "socket: %s", strerror(errno));
		return -errno;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
		close(fd);
		snprintf(err, err_size, "another vswitchd is already listening on %s", path);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(path); /* stale socket of a daemon that died */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	mode_t old_mask = umask(0177);
	int rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_mask);
	if (rc < 0 || listen(fd, 16) < 0) {
		int e = errno;
		snprintf(err, err_size, "cannot listen on %s: %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	srv->listen_fd = fd;
	srv->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_LISTEN};
	epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

/* Closes the client; `why`, if not NULL, is logged: a close the client did
 * not ask for. */
static void client_close(struct control_server *srv, int slot, const char *why)
{
	struct client *c = clients[slot];
	if (why)
		log_info("control client (pid %d) closed: %s", (int)c->pid, why);
	epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->stream)
		srv->handler.stream_close(srv->handler.arg, c->stream);
	if (c->out != c->chunk)
		free(c->out);
	free(c->chunk);
	free(c);
	clients[slot] = NULL;
}

static void client_watch(struct control_server *srv, int slot, uint32_t events)
{
	struct client *c = clients[slot];
	struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)slot + 1};
	if (c->watching != events && epoll_ctl(srv->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->watching = events;
}

/* ---- replies ------------------------------------------------------------ */

/* A JSON string of s[0..len) with every byte that is not UTF-8 written as
 * \xHH: messages echo the caller's words, and a reply must be valid JSON
 * whatever they were. */
static cJSON *json_string(const char *s, size_t len)
{
	char *escaped = utf8_escape_invalid(s, len, NULL);
	cJSON *item = cJSON_CreateString(escaped ? escaped : "(out of memory)");
	free(escaped);
	return item;
}

/* The reply as one malloc'd line, newline included, its length in *len;
 * NULL if out of memory. Takes `result`. The id is echoed if it is a string
 * or a number, the kinds JSON-RPC allows; otherwise it is null. */
static char *reply_line(const cJSON *id, cJSON *result, int code, const char *message, size_t *len)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "jsonrpc", "2.0");
	cJSON_AddItemToObject(doc, "id",
			      cJSON_IsString(id)
				  ? json_string(id->valuestring, strlen(id->valuestring))
			      : cJSON_IsNumber(id) ? cJSON_Duplicate(id, false)
						   : cJSON_CreateNull());
	if (result) {
		cJSON_AddItemToObject(doc, "result", result);
	} else {
		cJSON *e = cJSON_AddObjectToObject(doc, "error");
		cJSON_AddNumberToObject(e, "code", code);
		cJSON_AddItemToObject(e, "message", json_string(message, strlen(message)));
	}
	char *text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	size_t n = text ? strlen(text) : 0;
	char *line = text ? realloc(text, n + 2) : NULL;
	if (!line) {
		free(text);
		return NULL;
	}
	memcpy(line + n, "\n", 2);
	*len = n + 1;
	return line;
}

/* Queues the client's reply; client_serve() sends it. Takes `result`. */
static void reply(struct client *c, const cJSON *id, cJSON *result, int code, const char *message)
{
	c->out = reply_line(id, result, code, message, &c->out_len);
	c->out_sent = 0;
	c->reply_since = time_now_ns();
}

/* ---- streamed replies --------------------------------------------------- */

/* Bytes of a stream queued at once: the client's share of memory. */
#define STREAM_CHUNK (256 * 1024)

/* {"method": "stream", "params": {"argv": [...]}}: the reply line says
 * {"stream": true}, the stream's bytes follow until it is done, then the
 * connection closes. */
static void start_stream(struct control_server *srv, struct client *c, const cJSON *id, int argc,
			 char **argv)
{
	char err[1024];
	c->chunk = malloc(STREAM_CHUNK);
	c->stream = c->chunk
			? srv->handler.stream_open(srv->handler.arg, argc, argv, err, sizeof(err))
			: NULL;
	if (!c->chunk)
		snprintf(err, sizeof(err), "out of memory");
	if (!c->stream) {
		reply(c, id, NULL, -EINVAL, err);
		c->closing = true;
		return;
	}
	cJSON *result = cJSON_CreateObject();
	cJSON_AddBoolToObject(result, "stream", true);
	reply(c, id, result, 0, NULL);
	c->stream_done = false;
}

/* Whether the client of a stream hung up (it sends nothing after its
 * request: anything it does send is dropped). */
static bool stream_client_gone(struct client *c)
{
	char scratch[256];
	ssize_t n;
	do
		n = recv(c->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
	while (n > 0 || (n < 0 && errno == EINTR));
	return n == 0 || (n < 0 && errno != EAGAIN);
}

static int client_flush(struct client *c);

/* Sends what the stream has while the client takes it; the client's
 * pace decides, never the stream's producers. */
static void stream_serve(struct control_server *srv, int slot)
{
	struct client *c = clients[slot];
	for (;;) {
		if ((c->out && client_flush(c) < 0) || stream_client_gone(c)) {
			client_close(srv, slot, NULL);
			return;
		}
		if (c->out) {
			client_watch(srv, slot, EPOLLIN | EPOLLOUT);
			return;
		}
		if (c->stream_done || c->closing) {
			client_close(srv, slot, NULL);
			return;
		}
		size_t n =
		    srv->handler.stream_read(srv->handler.arg, c->stream, (uint8_t *)c->chunk,
					     STREAM_CHUNK, &c->stream_done);
		if (!n) {
			client_watch(srv, slot, EPOLLIN);
			if (!c->stream_done)
				return;
			continue;
		}
		c->out = c->chunk;
		c->out_len = n;
		c->out_sent = 0;
		c->reply_since = time_now_ns();
	}
}

static bool any_stream(void)
{
	for (int slot = 0; slot < CONTROL_MAX_CLIENTS; slot++)
		if (clients[slot] && clients[slot]->stream)
			return true;
	return false;
}

/* JSON-RPC: {"method": "execute", "params": {"argv": [...], "json": bool}}. */
static void handle_request(struct control_server *srv, struct client *c, const char *line)
{
	cJSON *doc = cJSON_Parse(line);
	if (!doc || !cJSON_IsObject(doc)) {
		reply(c, NULL, NULL, -32700, "parse error: the request is not a JSON object");
		cJSON_Delete(doc);
		return;
	}
	cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "id");
	cJSON *method = cJSON_GetObjectItemCaseSensitive(doc, "method");
	cJSON *params = cJSON_GetObjectItemCaseSensitive(doc, "params");
	cJSON *argv_json = params ? cJSON_GetObjectItemCaseSensitive(params, "argv") : NULL;
	char *argv[MAX_ARGS];
	int argc = 0;
	if (!cJSON_IsString(method)) {
		reply(c, id, NULL, -32600, "invalid request: no method");
		goto out;
	}
	bool stream = !strcmp(method->valuestring, "stream") && srv->handler.stream_open;
	if (strcmp(method->valuestring, "execute") != 0 && !stream) {
		reply(c, id, NULL, -32601, "method not found (the method is \"execute\")");
		goto out;
	}
	if (!cJSON_IsArray(argv_json) || cJSON_GetArraySize(argv_json) > MAX_ARGS) {
		reply(c, id, NULL, -32602, "invalid params: want {\"argv\": [words...]}");
		goto out;
	}
	cJSON *word;
	cJSON_ArrayForEach(word, argv_json)
	{
		if (!cJSON_IsString(word)) {
			reply(c, id, NULL, -32602,
			      "invalid params: every argv word must be a string");
			goto out;
		}
		argv[argc++] = word->valuestring;
	}
	if (stream) {
		start_stream(srv, c, id, argc, argv);
		goto out;
	}
	cJSON *json = cJSON_GetObjectItemCaseSensitive(params, "json");
	char *output = NULL, err[1024];
	size_t output_len = 0;
	int status = srv->handler.execute(srv->handler.arg, argc, argv, cJSON_IsTrue(json), &output,
					  &output_len, err, sizeof(err));
	if (status) {
		reply(c, id, NULL, status, err);
	} else {
		cJSON *result = cJSON_CreateObject();
		cJSON_AddItemToObject(result, "output",
				      json_string(output ? output : "", output ? output_len : 0));
		reply(c, id, result, 0, NULL);
	}
	free(output);
out:
	cJSON_Delete(doc);
}

/* ---- a client's requests and replies ------------------------------------ */

/* What send() or recv() returning n on a non-blocking socket means: 1 bytes
 * moved, 0 none for now (EAGAIN), -1 the client is gone (EOF or an error). */
static int io_status(ssize_t n)
{
	if (n > 0)
		return 1;
	return n < 0 && errno == EAGAIN ? 0 : -1;
}

/* Sends what the client takes of its reply. Returns 0, or -1 if it is gone. */
static int client_flush(struct client *c)
{
	while (c->out_sent < c->out_len) {
		ssize_t n;
		do
			n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
				 MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		int status = io_status(n);
		if (status <= 0)
			return status;
		c->out_sent += (size_t)n;
		c->reply_since = time_now_ns();
	}
	if (c->out != c->chunk) /* a stream's buffer is used again */
		free(c->out);
	c->out = NULL;
	/* A request that came behind this one starts its clock now. */
	c->idle_since = c->request_since = time_now_ns();
	return 0;
}

/* Reads what the client sent. Returns 1 if something came, 0 if nothing is
 * there yet, -1 if the client is gone. */
static int client_receive(struct client *c)
{
	ssize_t n;
	do
		n = recv(c->fd, c->in + c->used, sizeof(c->in) - 1 - c->used, 0);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		if (c->used == 0)
			c->request_since = time_now_ns();
		c->used += (size_t)n;
	}
	return io_status(n);
}

/* Runs the request that ends at nl and drops it from the input. */
static void client_take_request(struct control_server *srv, struct client *c, char *nl)
{
	*nl = '\0';
	handle_request(srv, c, c->in);
	size_t rest = c->used - (size_t)(nl + 1 - c->in);
	memmove(c->in, nl + 1, rest);
	c->used = rest;
	c->idle_since = c->request_since = time_now_ns();
}

/* Answers the client's requests one at a time until it has sent nothing
 * more, a reply waits for it to read (then only EPOLLOUT is watched: its
 * further requests wait in the kernel), or it is closed. */
static void client_serve(struct control_server *srv, int slot)
{
	struct client *c = clients[slot];
	for (;;) {
		if (c->stream) {
			stream_serve(srv, slot);
			return;
		}
		if (c->out && client_flush(c) < 0) {
			client_close(srv, slot, NULL);
			return;
		}
		if (c->out) {
			client_watch(srv, slot, EPOLLOUT);
			return;
		}
		if (c->closing) {
			client_close(srv, slot, NULL);
			return;
		}
		char *nl = memchr(c->in, '\n', c->used);
		int received = 1;
		if (nl) {
			client_take_request(srv, c, nl);
		} else if (c->used == sizeof(c->in) - 1) {
			reply(c, NULL, NULL, -32600, "invalid request: larger than 64 KiB");
			c->closing = true;
		} else {
			received = client_receive(c);
		}
		if (received < 0) {
			client_close(srv, slot, NULL);
			return;
		}
		if (received == 0) {
			client_watch(srv, slot, EPOLLIN);
			return;
		}
	}
}

/* ---- timeouts and slots ------------------------------------------------- */

/* When what the client waits for runs out (see struct client). */
static uint64_t client_deadline(const struct control_server *srv, const struct client *c)
{
	if (c->stream && !c->out)
		return UINT64_MAX; /* a capture may wait long for its frames */
	if (c->out)
		return c->reply_since + srv->stall_timeout * NS;
	if (c->used)
		return c->request_since + srv->request_timeout * NS;
	return c->idle_since + srv->idle_timeout * NS;
}

/* Milliseconds until the first deadline, -1 if there is no client. */
static int next_deadline_ms(const struct control_server *srv)
{
	uint64_t first = UINT64_MAX, now = time_now_ns();
	for (int slot = 0; slot < CONTROL_MAX_CLIENTS; slot++) {
		uint64_t d = clients[slot] ? client_deadline(srv, clients[slot]) : UINT64_MAX;
		first = d < first ? d : first;
	}
	int http_ms = http_listener_next_deadline_ms(srv->http);
	if (first == UINT64_MAX)
		return http_ms;
	uint64_t ms = first > now ? (first - now + 999999) / 1000000 : 0;
	if (http_ms >= 0 && (uint64_t)http_ms < ms)
		ms = (uint64_t)http_ms;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Closes the clients whose deadline has passed, saying why in the log. A
 * half-written request is answered with an error first. */
static void expire_clients(struct control_server *srv)
{
	char why[128];
	for (int slot = 0; slot < CONTROL_MAX_CLIENTS; slot++) {
		struct client *c = clients[slot];
		if (!c || time_now_ns() < client_deadline(srv, c))
			continue;
		/* What the client did while a handler held this thread counts:
		 * the rest of its request, or reading its reply. */
		client_serve(srv, slot);
		c = clients[slot];
		if (!c || time_now_ns() < client_deadline(srv, c))
			continue;
		if (c->out) {
			snprintf(why, sizeof(why),
				 "did not read its reply for %u s (%zu of %zu bytes taken)",
				 srv->stall_timeout, c->out_sent, c->out_len);
			client_close(srv, slot, why);
		} else if (c->used) {
			snprintf(why, sizeof(why), "invalid request: not finished within %u s",
				 srv->request_timeout);
			log_info("control client (pid %d) closed: %s", (int)c->pid, why);
			reply(c, NULL, NULL, -32600, why);
			c->closing = true;
			client_serve(srv, slot);
		} else {
			snprintf(why, sizeof(why), "idle for %u s", srv->idle_timeout);
			client_close(srv, slot, why);
		}
	}
}

/* A slot for a new client: a free one, else the one of the client that has
 * been idle longest (neither a request in progress nor a reply pending),
 * which is closed. -1 if every client is busy. */
static int free_slot(struct control_server *srv)
{
	int idlest = -1;
	for (int slot = 0; slot < CONTROL_MAX_CLIENTS; slot++) {
		struct client *c = clients[slot];
		if (!c)
			return slot;
		if (!c->out && !c->used &&
		    (idlest < 0 || c->idle_since < clients[idlest]->idle_since))
			idlest = slot;
	}
	if (idlest >= 0) {
		char why[128];
		snprintf(why, sizeof(why),
			 "idle for %.1f s, its slot taken by a new client (all %d in use)",
			 (double)(time_now_ns() - clients[idlest]->idle_since) / NS,
			 CONTROL_MAX_CLIENTS);
		client_close(srv, idlest, why);
	}
	return idlest;
}

static pid_t peer_pid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.pid : 0;
}

static void accept_clients(struct control_server *srv)
{
	for (;;) {
		int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		int slot = free_slot(srv);
		struct client *c = slot >= 0 ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			size_t len;
			char *line =
			    reply_line(NULL, NULL, -32000, "too many control clients", &len);
			if (line)
				send(fd, line, len, MSG_NOSIGNAL);
			free(line);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->pid = peer_pid(fd);
		c->watching = EPOLLIN;
		c->idle_since = time_now_ns();
		clients[slot] = c;
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)slot + 1};
		epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
	}
}

/* ---- the loop ----------------------------------------------------------- */

/* Reads a signal; SIGHUP reloads. Returns true for a signal to stop on. */
static bool handle_signal(struct control_server *srv, int signals_fd)
{
	struct signalfd_siginfo si;
	if (read(signals_fd, &si, sizeof(si)) != sizeof(si))
		return false;
	if (si.ssi_signo != SIGHUP) {
		log_info("signal %d: shutting down", (int)si.ssi_signo);
		return true;
	}
	char *argv[] = {"reload"}, *output = NULL, err[1024];
	size_t len;
	if (srv->handler.execute(srv->handler.arg, 1, argv, false, &output, &len, err, sizeof(err)))
		log_error("SIGHUP reload failed, old configuration kept: %s", err);
	else
		log_info("SIGHUP: configuration reloaded");
	free(output);
	return false;
}

void control_server_run(struct control_server *srv, int signals_fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_SIGNALS};
	epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, signals_fd, &ev);
	struct epoll_event event_ev = {.events = EPOLLIN, .data.u64 = TAG_EVENT};
	if (srv->handler.event)
		epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, srv->handler.event_fd, &event_ev);
	bool ticking = srv->handler.tick && srv->handler.tick(srv->handler.arg);
	for (;;) {
		struct epoll_event events[16];
		int timeout = next_deadline_ms(srv);
		if ((ticking || any_stream()) && (timeout < 0 || timeout > CONTROL_TICK_MS))
			timeout = CONTROL_TICK_MS;
		int n = epoll_wait(srv->epoll_fd, events, 16, timeout);
		for (int i = 0; i < n; i++) {
			uint64_t tag = events[i].data.u64;
			if (tag == TAG_LISTEN) {
				accept_clients(srv);
			} else if (tag == TAG_SIGNALS) {
				if (handle_signal(srv, signals_fd))
					return;
			} else if (tag == TAG_EVENT) {
				srv->handler.event(srv->handler.event_arg);
			} else if ((tag & ~0xffffffffull) == TAG_HTTP) {
				http_listener_event(srv->http, (uint32_t)tag);
			} else if (tag >= 1 && tag <= CONTROL_MAX_CLIENTS && clients[tag - 1]) {
				client_serve(srv, (int)tag - 1);
			}
		}
		expire_clients(srv);
		http_listener_expire(srv->http);
		/* Streams and periodic work are served by time, not by events:
		 * their producers are the poll threads, which never wake us. */
		for (int slot = 0; slot < CONTROL_MAX_CLIENTS; slot++)
			if (clients[slot] && clients[slot]->stream)
				stream_serve(srv, slot);
		ticking = srv->handler.tick && srv->handler.tick(srv->handler.arg);
	}
}

int control_server_listen_http(struct control_server *srv, const char *addr, char *err,
			       size_t err_size)
{
	srv->http = http_listener_open(addr, srv->epoll_fd, TAG_HTTP, srv->handler.http,
				       srv->handler.arg, srv->idle_timeout, srv->request_timeout,
				       srv->stall_timeout, err, err_size);
	return srv->http ? 0 : -EINVAL;
}

void control_server_close(struct control_server *srv)
{
	http_listener_close(srv->http);
	srv->http = NULL;
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (clients[i])
			client_close(srv, i, NULL);
	if (srv->listen_fd >= 0) {
		close(srv->listen_fd);
		unlink(srv->path);
	}
	if (srv->epoll_fd >= 0)
		close(srv->epoll_fd);
}
