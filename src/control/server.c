/* server.c — see server.h. The control thread multiplexes the listening
 * socket, its clients and the signalfd on one epoll; a client's request is
 * read whole (up to CONTROL_MAX_REQUEST), parsed, handed over, and answered
 * on the same line-oriented connection. */
#include "server.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
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

#include "lib/log.h"
#include "lib/utf8.h"

#define MAX_CLIENTS 64
#define MAX_ARGS    128
/* epoll tags: clients are 1..MAX_CLIENTS (slot + 1). */
#define TAG_LISTEN  (1ull << 32)
#define TAG_SIGNALS (2ull << 32)

/* ---- the socket --------------------------------------------------------- */

struct client {
	int fd;
	size_t used;
	char buf[CONTROL_MAX_REQUEST];
};

static struct client *clients[MAX_CLIENTS];

int control_server_open(struct control_server *srv, const char *path,
			const struct control_handler *handler, char *err, size_t err_size)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	srv->listen_fd = srv->epoll_fd = -1;
	srv->handler = *handler;
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

static void client_close(struct control_server *srv, int slot)
{
	epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, clients[slot]->fd, NULL);
	close(clients[slot]->fd);
	free(clients[slot]);
	clients[slot] = NULL;
}

static void send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* the client went away or stopped reading */
		data += n;
		len -= (size_t)n;
	}
}

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

/* The id is echoed if it is a string or a number, the kinds JSON-RPC
 * allows; otherwise it is null. */
static void reply(int fd, const cJSON *id, cJSON *result, int code, const char *message)
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
	if (text) {
		send_all(fd, text, strlen(text));
		send_all(fd, "\n", 1);
	}
	free(text);
	cJSON_Delete(doc);
}

/* JSON-RPC: {"method": "execute", "params": {"argv": [...], "json": bool}}. */
static void handle_request(struct control_server *srv, int fd, const char *line)
{
	cJSON *doc = cJSON_Parse(line);
	if (!doc || !cJSON_IsObject(doc)) {
		reply(fd, NULL, NULL, -32700, "parse error: the request is not a JSON object");
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
		reply(fd, id, NULL, -32600, "invalid request: no method");
		goto out;
	}
	if (strcmp(method->valuestring, "execute") != 0) {
		reply(fd, id, NULL, -32601, "method not found (the method is \"execute\")");
		goto out;
	}
	if (!cJSON_IsArray(argv_json) || cJSON_GetArraySize(argv_json) > MAX_ARGS) {
		reply(fd, id, NULL, -32602, "invalid params: want {\"argv\": [words...]}");
		goto out;
	}
	cJSON *word;
	cJSON_ArrayForEach(word, argv_json)
	{
		if (!cJSON_IsString(word)) {
			reply(fd, id, NULL, -32602,
			      "invalid params: every argv word must be a string");
			goto out;
		}
		argv[argc++] = word->valuestring;
	}
	cJSON *json = cJSON_GetObjectItemCaseSensitive(params, "json");
	char *output = NULL, err[1024];
	size_t output_len = 0;
	int status = srv->handler.execute(srv->handler.arg, argc, argv, cJSON_IsTrue(json), &output,
					  &output_len, err, sizeof(err));
	if (status) {
		reply(fd, id, NULL, status, err);
	} else {
		cJSON *result = cJSON_CreateObject();
		cJSON_AddItemToObject(result, "output",
				      json_string(output ? output : "", output ? output_len : 0));
		reply(fd, id, result, 0, NULL);
	}
	free(output);
out:
	cJSON_Delete(doc);
}

static void client_readable(struct control_server *srv, int slot)
{
	struct client *c = clients[slot];
	for (;;) {
		ssize_t n = recv(c->fd, c->buf + c->used, sizeof(c->buf) - 1 - c->used, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			client_close(srv, slot);
			return;
		}
		c->used += (size_t)n;
		char *nl;
		while ((nl = memchr(c->buf, '\n', c->used))) {
			*nl = '\0';
			handle_request(srv, c->fd, c->buf);
			size_t rest = c->used - (size_t)(nl + 1 - c->buf);
			memmove(c->buf, nl + 1, rest);
			c->used = rest;
		}
		if (c->used == sizeof(c->buf) - 1) {
			reply(c->fd, NULL, NULL, -32600, "invalid request: larger than 64 KiB");
			client_close(srv, slot);
			return;
		}
	}
}

static void accept_clients(struct control_server *srv)
{
	for (;;) {
		int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		int slot = 0;
		while (slot < MAX_CLIENTS && clients[slot])
			slot++;
		struct client *c = slot < MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			reply(fd, NULL, NULL, -32000, "too many control clients");
			close(fd);
			continue;
		}
		c->fd = fd;
		clients[slot] = c;
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)slot + 1};
		epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
	}
}

void control_server_run(struct control_server *srv, int signals_fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_SIGNALS};
	epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, signals_fd, &ev);
	for (;;) {
		struct epoll_event events[16];
		int n = epoll_wait(srv->epoll_fd, events, 16, -1);
		for (int i = 0; i < n; i++) {
			uint64_t tag = events[i].data.u64;
			if (tag == TAG_LISTEN) {
				accept_clients(srv);
			} else if (tag == TAG_SIGNALS) {
				struct signalfd_siginfo si;
				if (read(signals_fd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo != SIGHUP) {
					log_info("signal %d: shutting down", (int)si.ssi_signo);
					return;
				}
				char *argv[] = {"reload"}, *output = NULL, err[1024];
				size_t len;
				if (srv->handler.execute(srv->handler.arg, 1, argv, false, &output,
							 &len, err, sizeof(err)))
					log_error(
					    "SIGHUP reload failed, old configuration kept: %s",
					    err);
				else
					log_info("SIGHUP: configuration reloaded");
				free(output);
			} else {
				int slot = (int)tag - 1;
				if (slot >= 0 && slot < MAX_CLIENTS && clients[slot])
					client_readable(srv, slot);
			}
		}
	}
}

void control_server_close(struct control_server *srv)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i])
			client_close(srv, i);
	if (srv->listen_fd >= 0) {
		close(srv->listen_fd);
		unlink(srv->path);
	}
	if (srv->epoll_fd >= 0)
		close(srv->epoll_fd);
}
