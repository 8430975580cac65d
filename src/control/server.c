/* server.c — see server.h. The control thread multiplexes the listening
 * socket, its clients and the signalfd on one epoll; a client's request is
 * read whole (up to CONTROL_MAX_REQUEST), parsed, handed over, and answered
 * on the same line-oriented connection. */
#include "server.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"

#define MAX_CLIENTS 64
#define MAX_ARGS    128
/* epoll tags: clients are 1..MAX_CLIENTS (slot + 1). */
#define TAG_LISTEN  (1ull << 32)
#define TAG_SIGNALS (2ull << 32)

struct control_mailbox {
	pthread_mutex_t lock;
	pthread_cond_t answered;
	int wake_fd;
	atomic_bool pending;
	atomic_bool closed;
	struct control_request *request;
	bool done;
};

struct control_mailbox *control_mailbox_create(void)
{
	struct control_mailbox *mb = calloc(1, sizeof(*mb));
	if (!mb)
		return NULL;
	mb->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (mb->wake_fd < 0) {
		free(mb);
		return NULL;
	}
	pthread_mutex_init(&mb->lock, NULL);
	pthread_cond_init(&mb->answered, NULL);
	return mb;
}

void control_mailbox_destroy(struct control_mailbox *mb)
{
	if (!mb)
		return;
	close(mb->wake_fd);
	pthread_mutex_destroy(&mb->lock);
	pthread_cond_destroy(&mb->answered);
	free(mb);
}

int control_mailbox_wake_fd(const struct control_mailbox *mb)
{
	return mb->wake_fd;
}

bool control_mailbox_pending(const struct control_mailbox *mb)
{
	return atomic_load_explicit(&mb->pending, memory_order_acquire);
}

bool control_mailbox_closed(const struct control_mailbox *mb)
{
	return atomic_load_explicit(&mb->closed, memory_order_acquire);
}

struct control_request *control_mailbox_take(struct control_mailbox *mb)
{
	uint64_t drain;
	if (read(mb->wake_fd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
		log_error("control: eventfd read: %s", strerror(errno));
	if (!atomic_load_explicit(&mb->pending, memory_order_acquire))
		return NULL;
	pthread_mutex_lock(&mb->lock);
	struct control_request *req = mb->request;
	pthread_mutex_unlock(&mb->lock);
	return req;
}

void control_mailbox_done(struct control_mailbox *mb, struct control_request *req)
{
	(void)req;
	pthread_mutex_lock(&mb->lock);
	atomic_store_explicit(&mb->pending, false, memory_order_release);
	mb->done = true;
	pthread_cond_signal(&mb->answered);
	pthread_mutex_unlock(&mb->lock);
}

void control_mailbox_close(struct control_mailbox *mb)
{
	uint64_t one = 1;
	atomic_store_explicit(&mb->closed, true, memory_order_release);
	if (write(mb->wake_fd, &one, sizeof(one)) < 0)
		log_error("control: eventfd write: %s", strerror(errno));
}

/* Hands req to the data-plane thread and waits for the answer. */
static void mailbox_call(struct control_mailbox *mb, struct control_request *req)
{
	uint64_t one = 1;
	pthread_mutex_lock(&mb->lock);
	mb->request = req;
	mb->done = false;
	atomic_store_explicit(&mb->pending, true, memory_order_release);
	if (write(mb->wake_fd, &one, sizeof(one)) < 0)
		log_error("control: eventfd write: %s", strerror(errno));
	while (!mb->done)
		pthread_cond_wait(&mb->answered, &mb->lock);
	mb->request = NULL;
	pthread_mutex_unlock(&mb->lock);
}

/* ---- the socket --------------------------------------------------------- */

struct client {
	int fd;
	size_t used;
	char buf[CONTROL_MAX_REQUEST];
};

static struct client *clients[MAX_CLIENTS];

int control_server_open(struct control_server *srv, const char *path, struct control_mailbox *mb,
			char *err, size_t err_size)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	srv->listen_fd = srv->epoll_fd = -1;
	srv->mailbox = mb;
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

static void reply(int fd, cJSON *id, cJSON *result, int code, const char *message)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "jsonrpc", "2.0");
	cJSON_AddItemToObject(doc, "id", id ? cJSON_Duplicate(id, true) : cJSON_CreateNull());
	if (result) {
		cJSON_AddItemToObject(doc, "result", result);
	} else {
		cJSON *e = cJSON_AddObjectToObject(doc, "error");
		cJSON_AddNumberToObject(e, "code", code);
		cJSON_AddStringToObject(e, "message", message);
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
	struct control_request req = {.argc = argc, .argv = argv, .json = cJSON_IsTrue(json)};
	mailbox_call(srv->mailbox, &req);
	if (req.status) {
		reply(fd, id, NULL, req.status, req.err);
	} else {
		cJSON *result = cJSON_CreateObject();
		cJSON_AddStringToObject(result, "output", req.output ? req.output : "");
		reply(fd, id, result, 0, NULL);
	}
	free(req.output);
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
				char *argv[] = {"reload"};
				struct control_request req = {.argc = 1, .argv = argv};
				mailbox_call(srv->mailbox, &req);
				if (req.status)
					log_error(
					    "SIGHUP reload failed, old configuration kept: %s",
					    req.err);
				else
					log_info("SIGHUP: configuration reloaded");
				free(req.output);
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
