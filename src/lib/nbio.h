/* nbio.h — the non-blocking socket steps that the control socket
 * (control/server.c) and the HTTP listener (control/http_server.c) share:
 * what send() or recv() returning n means, sending what a client takes of
 * a reply, and epoll_wait's timeout until the next deadline. */
#ifndef VSWITCH_NBIO_H
#define VSWITCH_NBIO_H

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "util.h"

/* 1 bytes moved, 0 none for now (EAGAIN), -1 the peer is gone (EOF or an
 * error). */
static inline int nbio_status(ssize_t n)
{
	if (n > 0)
		return 1;
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
}

/* Sends buf[*sent, len) while the socket takes it; *sent and *progress_ns
 * (time_now_ns()) move with each part. Returns 1 once all is sent, 0 when
 * the socket is full, -1 when the peer is gone. */
static inline int nbio_send(int fd, const char *buf, size_t len, size_t *sent,
			    uint64_t *progress_ns)
{
	while (*sent < len) {
		ssize_t n;
		do
			n = send(fd, buf + *sent, len - *sent, MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		int status = nbio_status(n);
		if (status <= 0)
			return status;
		*sent += (size_t)n;
		*progress_ns = time_now_ns();
	}
	return 1;
}

/* Milliseconds until `deadline` (time_now_ns() nanoseconds), rounded up, as
 * epoll_wait takes them: -1 for UINT64_MAX (no deadline), 0 once passed. */
static inline int nbio_ms_until(uint64_t deadline)
{
	if (deadline == UINT64_MAX)
		return -1;
	uint64_t now = time_now_ns();
	uint64_t ms = deadline > now ? (deadline - now + 999999) / 1000000 : 0;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

#endif
