/* waitset.c — poll(2) while small, epoll when large (waitset.h). */
#include "waitset.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

void waitset_init(struct waitset *ws, int wake_fd)
{
	*ws = (struct waitset){.wake_fd = wake_fd, .epoll_fd = -1};
	waitset_begin(ws);
}

void waitset_destroy(struct waitset *ws)
{
	if (ws->epoll_fd >= 0)
		close(ws->epoll_fd);
	free(ws->fds);
	*ws = (struct waitset){.wake_fd = ws->wake_fd, .epoll_fd = -1};
}

void waitset_begin(struct waitset *ws)
{
	if (ws->epoll_fd >= 0)
		close(ws->epoll_fd);
	ws->epoll_fd = -1;
	ws->n = 0;
	if (ws->wake_fd >= 0)
		waitset_add(ws, ws->wake_fd);
}

bool waitset_add(struct waitset *ws, int fd)
{
	if (ws->n == ws->cap) {
		unsigned cap = ws->cap ? ws->cap * 2 : 16;
		struct pollfd *fds = realloc(ws->fds, cap * sizeof(*fds));
		if (!fds)
			return false;
		ws->fds = fds;
		ws->cap = cap;
	}
	ws->fds[ws->n++] = (struct pollfd){.fd = fd, .events = POLLIN};
	return true;
}

bool waitset_end(struct waitset *ws)
{
	if (ws->n <= WAITSET_POLL_MAX)
		return true;
	ws->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (ws->epoll_fd < 0)
		return false;
	bool all = true;
	for (unsigned i = 0; i < ws->n; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = ws->fds[i].fd};
		if (epoll_ctl(ws->epoll_fd, EPOLL_CTL_ADD, ws->fds[i].fd, &ev) < 0)
			all = false;
	}
	return all;
}

static void drain_wake_fd(const struct waitset *ws)
{
	uint64_t count;
	(void)!read(ws->wake_fd, &count, sizeof(count));
}

int waitset_sleep(struct waitset *ws, int timeout_ms)
{
	if (ws->epoll_fd >= 0) {
		struct epoll_event events[64];
		int n = epoll_wait(ws->epoll_fd, events, 64, timeout_ms);
		if (n < 0)
			return -errno;
		for (int i = 0; i < n; i++)
			if (ws->wake_fd >= 0 && events[i].data.fd == ws->wake_fd)
				drain_wake_fd(ws);
		return n;
	}
	int n = poll(ws->fds, ws->n, timeout_ms);
	if (n < 0)
		return -errno;
	if (n > 0 && ws->wake_fd >= 0 && ws->fds[0].revents)
		drain_wake_fd(ws);
	return n;
}
