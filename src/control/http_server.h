/* http_server.h — the HTTP listener's connections (http.h says what it
 * serves): a TCP socket on the control thread's epoll (server.c), at most
 * HTTP_MAX_CLIENTS connections, keep-alive, one request at a time per
 * connection (a pipelined request waits for the reply before it), and the
 * same three timeouts as the control socket: idle, a request not finished,
 * a reply not read. */
#ifndef VSWITCH_HTTP_SERVER_H
#define VSWITCH_HTTP_SERVER_H

#include <stdint.h>
#include <sys/socket.h>

#include "http.h"

/* What answers a request: fills resp (http.h). */
typedef void http_serve_fn(void *arg, const struct http_request *req, struct http_response *resp);

struct http_listener;

/* "ADDR:PORT", "[IPV6]:PORT", ":PORT" or "PORT" (ADDR 127.0.0.1) into addr.
 * Returns 0 or -EINVAL with err set. */
int http_listen_parse(const char *text, struct sockaddr_storage *addr, socklen_t *addr_len,
		      char *err, size_t err_size);
/* Listens on `text` (http_listen_parse) and registers on epoll_fd with the
 * tag tag_base | 0 for the socket and tag_base | (slot + 1) per connection.
 * Timeouts in seconds. Returns NULL with err set ("address in use"...). */
struct http_listener *http_listener_open(const char *text, int epoll_fd, uint64_t tag_base,
					 http_serve_fn *serve, void *arg, unsigned idle_timeout,
					 unsigned request_timeout, unsigned stall_timeout,
					 char *err, size_t err_size);
/* An event on the tag's low 32 bits: 0 the socket, else a connection. */
void http_listener_event(struct http_listener *l, uint32_t tag);
/* Milliseconds until the first connection's deadline, -1 for none. */
int http_listener_next_deadline_ms(const struct http_listener *l);
/* Closes the connections whose deadline has passed (a half-written request
 * is answered 408 first). */
void http_listener_expire(struct http_listener *l);
void http_listener_close(struct http_listener *l);

#endif
