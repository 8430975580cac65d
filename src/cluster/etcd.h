/* etcd.h — a client of etcd v3 (DESIGN §7: the distributed switch's control
 * plane is an etcd domain) through etcd's own HTTP/JSON gateway (/v3/...),
 * with libcurl and cJSON: the key-value range, put, delete, transactions,
 * leases and a streaming watch, over several endpoints, with TLS and
 * user/password authentication as etcd offers them. docs/distributed.md
 * says why the gateway and not gRPC.
 *
 * Threading: one client is used by one thread at a time (it owns a curl
 * handle and its connection); the domain agent keeps one per thread.
 * Every call blocks for at most the client's timeout, except etcd_watch(),
 * which streams until its callback or *stop ends it.
 *
 * Errors: 0 or a negative errno with a message for the operator in err:
 * -ECONNREFUSED / -ETIMEDOUT when no endpoint answered (the message names
 * them), -EACCES for refused credentials, -ENOENT for an expired lease,
 * -ERANGE when a watch's start revision was compacted, -EIO for any other
 * answer of etcd (its message quoted), -ENOMEM. */
#ifndef VSWITCH_ETCD_H
#define VSWITCH_ETCD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETCD_MAX_ENDPOINTS 8

struct etcd_client_options {
	/* "http://127.0.0.1:2379,https://10.0.0.2:2379": tried in turn, the
	 * one that last answered first. Required. */
	const char *endpoints;
	/* TLS: a CA bundle to verify the servers, and a client certificate
	 * and key for etcd's --client-cert-auth. NULL: none. */
	const char *ca_file;
	const char *cert_file;
	const char *key_file;
	/* etcd's authentication (auth enable): a token is taken with these
	 * and taken again when etcd says it expired. NULL: none. */
	const char *user;
	const char *password;
	/* Per request; 0: 2000 ms. */
	unsigned timeout_ms;
};

/* Checks the options (URLs, files readable) without connecting. NULL with
 * err set when they are wrong or out of memory. */
struct etcd_client *etcd_client_create(const struct etcd_client_options *options, char *err,
				       size_t err_size);
/* NULL is a no-op. */
void etcd_client_destroy(struct etcd_client *client);
/* The endpoint that answered last ("" before any answer). */
const char *etcd_client_endpoint(const struct etcd_client *client);

/* A key and its value; value is NUL-terminated for convenience (values may
 * also hold NULs: value_len counts them). */
struct etcd_kv {
	char *key;
	char *value;
	size_t value_len;
	int64_t create_revision;
	int64_t mod_revision;
	int64_t version;
	int64_t lease; /* 0: none */
};

/* What a range read returned, owned by the caller: etcd_result_free(). */
struct etcd_result {
	struct etcd_kv *kvs;
	size_t n;
	int64_t revision; /* of the store when read: a watch from revision + 1 misses nothing */
};
/* NULL is a no-op; also frees the kvs. */
void etcd_result_free(struct etcd_result *result);

/* The key, or with prefix every key starting with it, sorted by key. An
 * absent key gives n = 0, not an error. */
int etcd_get(struct etcd_client *client, const char *key, bool prefix, struct etcd_result *out,
	     char *err, size_t err_size);
/* lease 0: none. *revision (may be NULL): the store's revision after. */
int etcd_put(struct etcd_client *client, const char *key, const char *value, size_t value_len,
	     int64_t lease, int64_t *revision, char *err, size_t err_size);
/* The key, or every key under the prefix; *deleted (may be NULL) counts them. */
int etcd_delete(struct etcd_client *client, const char *key, bool prefix, int64_t *deleted,
		char *err, size_t err_size);

/* A transaction: if every compare holds, the success ops run, else the
 * failure ops; all at one revision (etcd's Txn). */
enum etcd_compare_target {
	ETCD_COMPARE_CREATE_REVISION, /* 0: the key does not exist */
	ETCD_COMPARE_MOD_REVISION,
	ETCD_COMPARE_VERSION,
	ETCD_COMPARE_VALUE,
};
enum etcd_compare_result { ETCD_EQUAL, ETCD_NOT_EQUAL, ETCD_GREATER, ETCD_LESS };
struct etcd_compare {
	const char *key;
	enum etcd_compare_target target;
	enum etcd_compare_result result;
	int64_t number;	   /* for the revisions and the version */
	const char *value; /* for ETCD_COMPARE_VALUE (NUL-terminated) */
};
enum etcd_op_type { ETCD_OP_PUT, ETCD_OP_DELETE };
struct etcd_op {
	enum etcd_op_type type;
	const char *key;
	const char *value; /* put: NUL-terminated */
	int64_t lease;	   /* put: 0 none */
	bool prefix;	   /* delete: the whole prefix */
};
/* *succeeded tells which branch ran; *revision (may be NULL) the store's
 * revision after. etcd takes at most 128 ops per transaction by default. */
int etcd_txn(struct etcd_client *client, const struct etcd_compare *compares, size_t n_compares,
	     const struct etcd_op *success, size_t n_success, const struct etcd_op *failure,
	     size_t n_failure, bool *succeeded, int64_t *revision, char *err, size_t err_size);

/* Leases: keys put with one vanish when it is not kept alive (a host's
 * registration). */
int etcd_lease_grant(struct etcd_client *client, int64_t ttl_seconds, int64_t *lease, char *err,
		     size_t err_size);
/* One keepalive; *ttl (may be NULL) is what remains. -ENOENT: expired. */
int etcd_lease_keepalive(struct etcd_client *client, int64_t lease, int64_t *ttl, char *err,
			 size_t err_size);
int etcd_lease_revoke(struct etcd_client *client, int64_t lease, char *err, size_t err_size);

/* Compacts the history up to revision: a watch from an older revision then
 * gets -ERANGE (tests, and an operator's housekeeping). */
int etcd_compact(struct etcd_client *client, int64_t revision, char *err, size_t err_size);

/* Watches every key under prefix from start_revision (0: from now on) and
 * calls fn for each response's events, in order, with the revision of the
 * response, until fn returns non-zero (etcd_watch returns that value), *stop
 * becomes true (checked at least every 100 ms: returns 0), or the stream
 * breaks (a negative errno: the caller resumes from the last revision it
 * saw + 1, or reads everything again after -ERANGE). */
enum etcd_event_type { ETCD_EVENT_PUT, ETCD_EVENT_DELETE };
struct etcd_event {
	enum etcd_event_type type;
	struct etcd_kv kv; /* a delete has only the key and mod_revision */
};
typedef int (*etcd_watch_fn)(void *arg, const struct etcd_event *events, size_t n,
			     int64_t revision);
int etcd_watch(struct etcd_client *client, const char *prefix, int64_t start_revision,
	       etcd_watch_fn fn, void *arg, const atomic_bool *stop, char *err, size_t err_size);

/* ---- etcd_json.c: the gateway's JSON, pure (unit-tested and fuzzed) ------ */

/* One watch response line of the stream ({"result":{...}}) into events
 * (malloc'd, *n of them; free with etcd_events_free) and its header
 * revision. Returns 0, 1 for a response without events (created,
 * progress), -ERANGE for a compacted start (*revision: the compact
 * revision), -EACCES when etcd refused the watch's credentials, -EIO with
 * err set for any other error or bad JSON. */
int etcd_json_watch_response(const char *json, size_t len, struct etcd_event **events, size_t *n,
			     int64_t *revision, char *err, size_t err_size);
void etcd_events_free(struct etcd_event *events, size_t n);

#endif
