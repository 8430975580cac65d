/* http_server.c — see http_server.h. Modelled on the control socket's
 * clients (server.c): a connection's request is read whole, answered, and
 * its reply sent as fast as it reads it; its next request is not parsed
 * before then, so a client that sends and never reads holds one reply at
 * most. Every reply carries Content-Length (HEAD: the length the GET would
 * have, and no body), so keep-alive needs no chunking. */
#include "http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/nbio.h"
#include "lib/util.h"

#define NS 1000000000ull

/* A connection waits for its reply to be read (out != NULL), the rest of a
 * request (used > 0), or nothing (idle); each has its timeout. */
struct conn {
	int fd;
	char peer[INET6_ADDRSTRLEN + 8]; /* named in log lines */
	uint32_t watching;
	bool closing;  /* close once the reply is sent */
	bool draining; /* reply sent, our side shut: reading to the client's end */
	bool loopback; /* reached on a loopback address: the DNS-rebinding guard applies */
	size_t drained;
	uint64_t idle_since, request_since, reply_since;
	char *out;
	size_t out_len, out_sent;
	size_t used;
	uint8_t in[HTTP_MAX_REQUEST];
};

struct http_listener {
	int fd, epoll_fd;
	uint64_t tag_base;
	http_serve_fn *serve;
	void *arg;
	unsigned idle_timeout, request_timeout, stall_timeout;
	struct conn *conns[HTTP_MAX_CLIENTS];
};

static struct http_stats stats;

const int http_stats_codes[HTTP_STATS_CODES] = {200, 505, 400, 403, 404, 405, 408,
						414, 431, 500, 501, 503, 0};

const struct http_stats *http_listener_stats(void)
{
	return &stats;
}

static void count_answer(int status)
{
	int i = 0;
	while (http_stats_codes[i] && http_stats_codes[i] != status)
		i++;
	stats.answers[i]++;
}

/* ---- the address ---------------------------------------------------------- */

static int parse_port(const char *text, uint16_t *port)
{
	char *end;
	unsigned long v = strtoul(text, &end, 10);
	if (!*text || *end || v < 1 || v > 65535 || text[0] == '-' || text[0] == '+')
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int http_listen_parse(const char *text, struct sockaddr_storage *addr, socklen_t *addr_len,
		      char *err, size_t err_size)
{
	char host[INET6_ADDRSTRLEN + 2] = "127.0.0.1";
	const char *port_text = text;
	const char *colon = strrchr(text, ':');
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host))
			goto bad;
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = '\0';
		port_text = close + 2;
	} else if (colon) {
		if ((size_t)(colon - text) >= sizeof(host) ||
		    memchr(text, ':', (size_t)(colon - text)))
			goto bad;
		if (colon > text) {
			memcpy(host, text, (size_t)(colon - text));
			host[colon - text] = '\0';
		}
		port_text = colon + 1;
	}
	uint16_t port;
	if (parse_port(port_text, &port) < 0)
		goto bad;
	memset(addr, 0, sizeof(*addr));
	struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
	if (text[0] != '[' && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*addr_len = sizeof(*in4);
		return 0;
	}
	if (text[0] == '[' && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*addr_len = sizeof(*in6);
		return 0;
	}
bad:
	snprintf(err, err_size,
		 "metrics listen '%s': want ADDR:PORT, [IPV6]:PORT, :PORT or PORT (an IP "
		 "address, port 1-65535; ADDR defaults to 127.0.0.1)",
		 text);
	return -EINVAL;
}

struct http_listener *http_listener_open(const char *text, int epoll_fd, uint64_t tag_base,
					 http_serve_fn *serve, void *arg, unsigned idle_timeout,
					 unsigned request_timeout, unsigned stall_timeout,
					 char *err, size_t err_size)
{
	struct sockaddr_storage addr;
	socklen_t addr_len;
	if (http_listen_parse(text, &addr, &addr_len, err, err_size) < 0)
		return NULL;
	struct http_listener *l = calloc(1, sizeof(*l));
	int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (!l || fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&addr, addr_len) < 0 || listen(fd, 64) < 0) {
		snprintf(err, err_size, "metrics listen %s: %s%s", text,
			 l ? strerror(errno) : "out of memory",
			 errno == EADDRINUSE ? " (another program listens there: choose another "
					       "port)"
					     : "");
		if (fd >= 0)
			close(fd);
		free(l);
		return NULL;
	}
	*l = (struct http_listener){.fd = fd,
				    .epoll_fd = epoll_fd,
				    .tag_base = tag_base,
				    .serve = serve,
				    .arg = arg,
				    .idle_timeout = idle_timeout,
				    .request_timeout = request_timeout,
				    .stall_timeout = stall_timeout};
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag_base};
	epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
	return l;
}

/* ---- connections ------------------------------------------------------------ */

static void conn_close(struct http_listener *l, int slot, const char *why)
{
	struct conn *c = l->conns[slot];
	if (why)
		log_info("http client %s closed: %s", c->peer, why);
	epoll_ctl(l->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	free(c);
	l->conns[slot] = NULL;
}

static void conn_watch(struct http_listener *l, int slot, uint32_t events)
{
	struct conn *c = l->conns[slot];
	struct epoll_event ev = {.events = events, .data.u64 = l->tag_base | ((uint64_t)slot + 1)};
	if (c->watching != events && epoll_ctl(l->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->watching = events;
}

/* Queues the status line, headers and (unless head_only) the body; takes
 * resp->body. */
static void queue_reply(struct conn *c, struct http_response *resp, bool head_only)
{
	char head[1024];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Cache-Control: %s\r\nX-Content-Type-Options: nosniff\r\n%s%s"
			 "Connection: %s\r\n\r\n",
			 resp->status, http_reason(resp->status),
			 resp->content_type ? resp->content_type : "text/plain; charset=utf-8",
			 resp->body_len, resp->cache_control ? resp->cache_control : "no-store",
			 resp->status == 405 ? "Allow: GET, HEAD\r\n" : "",
			 resp->headers ? resp->headers : "", c->closing ? "close" : "keep-alive");
	if (n < 0 || (size_t)n >= sizeof(head)) {
		n = snprintf(head, sizeof(head), "HTTP/1.1 500 %s\r\nContent-Length: 0\r\n\r\n",
			     http_reason(500));
		resp->status = 500;
		resp->body_len = 0;
		c->closing = true;
	}
	count_answer(resp->status);
	size_t body_len = head_only ? 0 : resp->body_len;
	c->out = malloc((size_t)n + body_len);
	if (c->out) {
		memcpy(c->out, head, (size_t)n);
		if (body_len)
			memcpy(c->out + n, resp->body, body_len);
		c->out_len = (size_t)n + body_len;
	} else {
		c->closing = true; /* out of memory: the client sees the close */
	}
	free(resp->body);
	c->out_sent = 0;
	c->reply_since = time_now_ns();
}

/* An error the listener answers itself (a refused request, a timeout): a
 * one-line text body, and the connection closes after it. */
static void queue_error(struct conn *c, int status)
{
	struct http_response resp = {.status = status};
	char text[64];
	int n = snprintf(text, sizeof(text), "%d %s\n", status, http_reason(status));
	resp.body = strdup(text);
	resp.body_len = resp.body ? (size_t)n : 0;
	c->closing = true;
	queue_reply(c, &resp, false);
}

static void answer(struct http_listener *l, struct conn *c, const struct http_request *req)
{
	struct http_response resp = {.status = 500};
	l->serve(l->arg, req, &resp);
	if (!resp.body)
		resp.body_len = 0;
	c->closing = !req->keep_alive;
	queue_reply(c, &resp, req->method == HTTP_HEAD);
}

/* Sends what the client takes of its reply: 0, or -1 if it is gone. */
static int conn_flush(struct conn *c)
{
	int status = nbio_send(c->fd, c->out, c->out_len, &c->out_sent, &c->reply_since);
	if (status <= 0)
		return status;
	free(c->out);
	c->out = NULL;
	c->idle_since = c->request_since = time_now_ns();
	return 0;
}

static int conn_receive(struct conn *c)
{
	ssize_t n;
	do
		n = recv(c->fd, c->in + c->used, sizeof(c->in) - c->used, 0);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		if (c->used == 0)
			c->request_since = time_now_ns();
		c->used += (size_t)n;
	}
	return nbio_status(n);
}

/* A connection closed with bytes unread would send a reset, which can
 * destroy the reply (a 431) before the client reads it: so our side is
 * shut, what it still sends is read and dropped, and the socket closes at
 * its end, after DRAIN_MAX bytes, or at the request timeout. Returns true
 * when the connection is gone. */
#define DRAIN_MAX (1u << 20)
static bool conn_drain(struct http_listener *l, int slot)
{
	struct conn *c = l->conns[slot];
	if (!c->draining) {
		shutdown(c->fd, SHUT_WR);
		c->draining = true;
		c->request_since = time_now_ns();
	}
	for (;;) {
		ssize_t n = recv(c->fd, c->in, sizeof(c->in), 0);
		if (n > 0 && (c->drained += (size_t)n) < DRAIN_MAX)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			conn_watch(l, slot, EPOLLIN);
			return false;
		}
		conn_close(l, slot, NULL);
		return true;
	}
}

/* Parses and answers what the client sent, one request at a time, until
 * it has sent nothing more, a reply waits to be read, or it is closed. */
static void conn_serve(struct http_listener *l, int slot)
{
	struct conn *c = l->conns[slot];
	for (;;) {
		if (c->out && conn_flush(c) < 0) {
			conn_close(l, slot, NULL);
			return;
		}
		if (c->out) {
			conn_watch(l, slot, EPOLLOUT);
			return;
		}
		if (c->closing) {
			conn_drain(l, slot);
			return;
		}
		struct http_request req;
		int taken = c->used ? http_parse_request(c->in, c->used, &req) : 0;
		if (taken > 0 && c->loopback && !http_host_is_local(req.host)) {
			/* A page of a rebound DNS name would read us as its own
			 * origin (docs/metrics.md): 403, counted, closed. */
			c->used = 0;
			queue_error(c, 403);
			continue;
		}
		if (taken > 0) {
			answer(l, c, &req);
			memmove(c->in, c->in + taken, c->used - (size_t)taken);
			c->used -= (size_t)taken;
			c->request_since = time_now_ns();
			continue;
		}
		if (taken < 0) {
			queue_error(c, -taken);
			continue;
		}
		int received = conn_receive(c);
		if (received < 0) {
			conn_close(l, slot, NULL);
			return;
		}
		if (received == 0) {
			conn_watch(l, slot, EPOLLIN);
			return;
		}
	}
}

/* ---- timeouts and slots ---------------------------------------------------- */

static uint64_t conn_deadline(const struct http_listener *l, const struct conn *c)
{
	if (c->out)
		return c->reply_since + l->stall_timeout * NS;
	if (c->used || c->draining)
		return c->request_since + l->request_timeout * NS;
	return c->idle_since + l->idle_timeout * NS;
}

int http_listener_next_deadline_ms(const struct http_listener *l)
{
	uint64_t first = UINT64_MAX;
	for (int slot = 0; l && slot < HTTP_MAX_CLIENTS; slot++)
		if (l->conns[slot] && conn_deadline(l, l->conns[slot]) < first)
			first = conn_deadline(l, l->conns[slot]);
	return nbio_ms_until(first);
}

void http_listener_expire(struct http_listener *l)
{
	char why[128];
	for (int slot = 0; l && slot < HTTP_MAX_CLIENTS; slot++) {
		struct conn *c = l->conns[slot];
		if (!c || time_now_ns() < conn_deadline(l, c))
			continue;
		conn_serve(l, slot); /* what it did while this thread was busy counts */
		c = l->conns[slot];
		if (!c || time_now_ns() < conn_deadline(l, c))
			continue;
		if (c->draining) {
			conn_close(l, slot, NULL);
		} else if (c->out) {
			snprintf(why, sizeof(why),
				 "did not read its reply for %u s (%zu of %zu bytes taken)",
				 l->stall_timeout, c->out_sent, c->out_len);
			stats.stalled++;
			conn_close(l, slot, why);
		} else if (c->used) {
			log_info("http client %s: request not finished within %u s: 408", c->peer,
				 l->request_timeout);
			c->used = 0;
			queue_error(c, 408);
			conn_serve(l, slot);
		} else {
			conn_close(l, slot, NULL); /* idle keep-alive: routine */
		}
	}
}

/* A free slot, else the longest-idle connection's (closed), else -1. */
static int free_slot(struct http_listener *l)
{
	int idlest = -1;
	for (int slot = 0; slot < HTTP_MAX_CLIENTS; slot++) {
		struct conn *c = l->conns[slot];
		if (!c)
			return slot;
		if (!c->out && !c->used && !c->closing &&
		    (idlest < 0 || c->idle_since < l->conns[idlest]->idle_since))
			idlest = slot;
	}
	if (idlest >= 0)
		conn_close(l, idlest, "idle, its slot taken by a new client");
	return idlest;
}

static void format_peer(const struct sockaddr_storage *a, char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_in *in4 = (const void *)a;
	const struct sockaddr_in6 *in6 = (const void *)a;
	if (a->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(out, size, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		inet_ntop(AF_INET, &in4->sin_addr, ip, sizeof(ip));
		snprintf(out, size, "%s:%u", ip, ntohs(in4->sin_port));
	}
}

/* Whether the connection arrived on 127.0.0.0/8, ::1 or ::ffff:127.x: so
 * also a wildcard listener reached through localhost is guarded. */
static bool arrived_on_loopback(int fd)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	if (getsockname(fd, (struct sockaddr *)&local, &len) < 0)
		return true; /* unknown: the stricter answer */
	const struct sockaddr_in *in4 = (const void *)&local;
	const struct sockaddr_in6 *in6 = (const void *)&local;
	if (local.ss_family == AF_INET)
		return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
	if (local.ss_family != AF_INET6)
		return false;
	return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
	       (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127);
}

static void accept_conns(struct http_listener *l)
{
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t peer_len = sizeof(peer);
		int fd = accept4(l->fd, (struct sockaddr *)&peer, &peer_len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		int slot = free_slot(l);
		struct conn *c = slot >= 0 ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
						   "Content-Length: 0\r\nConnection: close\r\n\r\n";
			count_answer(503);
			ssize_t sent = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL);
			(void)sent;
			close(fd);
			continue;
		}
		stats.connections++;
		c->fd = fd;
		c->loopback = arrived_on_loopback(fd);
		format_peer(&peer, c->peer, sizeof(c->peer));
		c->watching = EPOLLIN;
		c->idle_since = time_now_ns();
		l->conns[slot] = c;
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.u64 = l->tag_base | ((uint64_t)slot + 1)};
		epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
	}
}

void http_listener_event(struct http_listener *l, uint32_t tag)
{
	if (tag == 0)
		accept_conns(l);
	else if (tag <= HTTP_MAX_CLIENTS && l->conns[tag - 1])
		conn_serve(l, (int)tag - 1);
}

void http_listener_close(struct http_listener *l)
{
	if (!l)
		return;
	for (int slot = 0; slot < HTTP_MAX_CLIENTS; slot++)
		if (l->conns[slot])
			conn_close(l, slot, NULL);
	epoll_ctl(l->epoll_fd, EPOLL_CTL_DEL, l->fd, NULL);
	close(l->fd);
	free(l);
}
