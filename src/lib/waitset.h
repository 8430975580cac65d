/* waitset.h — the fds a poll thread sleeps on when its ports are idle.
 *
 * A thread that is busy polling its ports should cost their senders
 * nothing. But a socket in an epoll set carries epoll's callback on its wait
 * queue for as long as it is registered, and every frame queued to it runs
 * that callback in the sender's context: a lock taken with interrupts off,
 * per frame on a veth (measured: 12 % of a 64-byte sender's time into an
 * afxdp port). So a small set (up to WAITSET_POLL_MAX fds) is handed to
 * poll(2) only while the thread sleeps, and no socket has a waiter while it
 * polls. poll(2) registers every fd again on each sleep, so a large set
 * stays in one epoll set instead, registered once. */
#ifndef VSWITCH_WAITSET_H
#define VSWITCH_WAITSET_H

#include <poll.h>
#include <stdbool.h>

#define WAITSET_POLL_MAX 64

struct waitset {
	int wake_fd;	  /* an eventfd, drained when it is what woke the sleeper */
	int epoll_fd;	  /* -1 while the set is small enough for poll(2) */
	unsigned n;	  /* fds in the set, wake_fd first */
	unsigned cap;	  /* room in fds */
	struct pollfd *fds;
};

/* An empty set that wakes on `wake_fd` (an eventfd; -1 for none). */
void waitset_init(struct waitset *ws, int wake_fd);
/* Closes what the set holds; it is empty afterwards (wake_fd is the
 * caller's). */
void waitset_destroy(struct waitset *ws);

/* Starts a new set: the wake fd only. */
void waitset_begin(struct waitset *ws);
/* Adds an fd to wait for readability on. False when it cannot be waited on
 * (no memory, or epoll refused it): the caller must then poll without
 * sleeping for long. */
bool waitset_add(struct waitset *ws, int fd);
/* Ends the set: a large one goes into an epoll set now. False when some fd
 * could not be registered (as waitset_add). */
bool waitset_end(struct waitset *ws);

/* Sleeps until an fd of the set is readable (or in error), the wake fd is
 * written, or timeout_ms passes (-1: no timeout). Returns the number of
 * ready fds, 0 on timeout, or a negative errno (EINTR included). */
int waitset_sleep(struct waitset *ws, int timeout_ms);
/* Whether the set is registered with the kernel while its owner is awake
 * (an epoll set): for tests and `show`. */
static inline bool waitset_registered(const struct waitset *ws)
{
	return ws->epoll_fd >= 0;
}

#endif
