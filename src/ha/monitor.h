/* monitor.h — what failover decisions are made of: link events from the
 * kernel and a ping to a network address. Both are used by the SEA
 * (sea.c); the link monitor also wakes the daemon so every switch sees a
 * carrier change at once instead of at its next once-a-second check. */
#ifndef VSWITCH_HA_MONITOR_H
#define VSWITCH_HA_MONITOR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- link events ---------------------------------------------------------- */

/* A nonblocking rtnetlink socket that becomes readable when any interface
 * of this network namespace changes (RTMGRP_LINK), or a negative errno. */
int link_monitor_open(void);
/* Reads every pending message; true if there was any (or the kernel said
 * some were lost), meaning: read the carriers again. */
bool link_monitor_drain(int fd);

/* ---- ping ------------------------------------------------------------------- */

/* Periodic ICMP echo to one IPv4 address (PowerVM's SEA `netaddr`). The
 * address counts as reachable until `retries` echoes in a row went
 * unanswered within `interval_ms` each; one answer makes it reachable
 * again. Optimistic at the start, so a daemon that starts does not fail
 * over before its first echo could be answered. */
struct ping_monitor {
	int fd; /* raw ICMP socket, -1 when it could not be opened */
	struct in_addr target;
	uint16_t id, seq;
	uint32_t interval_ms, retries;
	uint64_t next_send_ms;
	bool awaiting;	 /* the last echo has no answer yet */
	uint32_t missed; /* echoes in a row without an answer */
	bool reachable;
	uint64_t sent, answered;
};

/* Parses `address` (dotted IPv4, a unicast host address). Returns 0, or
 * -EINVAL with a message for the operator in err. */
int ping_parse_address(const char *address, struct in_addr *out, char *err, size_t err_size);
/* Opens the socket; on failure the monitor still exists, never answers, and
 * err says why (the caller logs it). Returns 0 or a negative errno. */
int ping_monitor_open(struct ping_monitor *m, struct in_addr target, uint32_t interval_ms,
		      uint32_t retries, char *err, size_t err_size);
void ping_monitor_close(struct ping_monitor *m);
/* Reads answers and sends the echo that is due. Returns true when
 * `reachable` changed. *next_ms gets the time it wants to run again. */
bool ping_monitor_run(struct ping_monitor *m, uint64_t now_ms, uint64_t *next_ms);

#endif
