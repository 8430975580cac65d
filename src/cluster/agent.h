/* agent.h — the host agent of a distributed switch's domain (DESIGN §7,
 * docs/distributed.md): registers this host in etcd with a lease (keepalive
 * 2 s, TTL 8 s), reads the domain's keys whole, watches them from the
 * revision it read and hands every change to the control thread, which
 * turns them into the model (control/domain.c). When etcd cannot be
 * reached the agent is `headless`: it keeps retrying (backoff at most 2 s)
 * and, once etcd answers, takes a new lease if the old one expired,
 * registers again and resumes the watch from the last revision it saw (or
 * reads everything again when etcd compacted it).
 *
 * Threads: the agent runs two threads of its own, each with its own etcd
 * client (one client per thread, etcd.h): the watch thread (full read,
 * watch) and the lease thread (grant, register, keepalive, and the release
 * of a dead host's MACs after the grace period). The control thread talks
 * to it only through the functions below: a queue of changes signalled on
 * an eventfd, and a status under a mutex. */
#ifndef VSWITCH_AGENT_H
#define VSWITCH_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/etcd.h"

#define AGENT_TTL_SECONDS    8
#define AGENT_KEEPALIVE_MS   2000
#define AGENT_BACKOFF_MAX_MS 2000
/* A dead host's MAC allocations are released this long after a live host
 * saw its lease expire (docs/distributed.md "Host death"). */
#define AGENT_MAC_GRACE_SECONDS 60

struct agent_options {
	const char *domain; /* required */
	const char *host;   /* required: this host's name in the domain */
	struct etcd_client_options etcd;
	/* hosts/HOST's value (domain_host_encode); may change later with
	 * agent_set_host_value(). */
	const char *host_value;
	unsigned mac_grace_seconds; /* 0: AGENT_MAC_GRACE_SECONDS */
};

enum agent_state {
	AGENT_CONNECTING, /* no answer from etcd yet */
	AGENT_ONLINE,	  /* registered, read, watching */
	AGENT_HEADLESS,	  /* etcd unreachable: the switch runs on its last configuration */
};
const char *agent_state_name(enum agent_state state);

struct agent_status {
	enum agent_state state;
	int64_t since;	      /* Unix time the state began */
	int64_t revision;     /* the last revision read or watched, 0 none */
	int64_t lease;	      /* the registration's lease, 0 none */
	bool synced;	      /* a full read has succeeded since start */
	char endpoint[128];   /* the endpoint that last answered */
	char last_error[256]; /* "" none */
};

/* One change of the domain's keys, in revision order. reset: a full read,
 * the events are every key (puts) and replace everything known before. */
struct agent_event {
	bool deleted;
	char *key;
	char *value; /* NUL-terminated, value_len bytes; NULL for a delete */
	size_t value_len;
	int64_t create_revision;
	int64_t mod_revision;
};
struct agent_change {
	bool reset;
	int64_t revision;
	struct agent_event *events;
	size_t n;
};
void agent_changes_free(struct agent_change *changes, size_t n);

/* Starts the threads (they connect in the background: the daemon starts
 * forwarding at once). NULL with err set on bad options or no memory. */
struct agent *agent_start(const struct agent_options *options, char *err, size_t err_size);
/* Readable (an eventfd) while changes wait or the state changed. */
int agent_event_fd(const struct agent *agent);
/* Takes every waiting change (malloc'd array, *n of them, NULL for none)
 * and clears the eventfd. */
struct agent_change *agent_take(struct agent *agent, size_t *n);
void agent_get_status(struct agent *agent, struct agent_status *out);
/* hosts/HOST's new value, put at the next keepalive. */
void agent_set_host_value(struct agent *agent, const char *value);
/* Stops the threads and revokes the lease (the host leaves the domain at
 * once rather than 8 s later). NULL is a no-op. */
void agent_stop(struct agent *agent);

/* ---- pure parts, unit-tested -------------------------------------------- */

/* The state from what the two threads last saw: `answered` is false until
 * etcd answered or failed once. */
enum agent_state agent_state_decide(bool answered, bool lease_ok, bool watch_ok);
/* The wait before the nth retry in a row (0-based): 100 ms doubling, at
 * most AGENT_BACKOFF_MAX_MS. */
unsigned agent_backoff_ms(unsigned failures);
/* What a live host does about another host whose key is gone: nothing
 * (still registered, or already marked and in its grace period), mark it
 * down (write down-since), or release its MACs. */
enum agent_dead_action { AGENT_DEAD_NONE, AGENT_DEAD_MARK, AGENT_DEAD_RELEASE };
enum agent_dead_action agent_dead_decide(bool registered, int64_t down_since, int64_t now,
					 unsigned grace_seconds);

#endif
