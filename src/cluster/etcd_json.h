/* etcd_json.h — the pure half of the etcd client (etcd_json.c): the JSON
 * bodies etcd's HTTP gateway (/v3/...) takes and the answers it gives, and
 * base64 (keys and values travel as base64; int64 fields as JSON strings).
 * No I/O: etcd.c sends and receives; this file only builds and decodes, so
 * that every decoder is unit-tested and fuzzed on hostile bytes.
 *
 * Builders return a malloc'd NUL-terminated body, NULL when out of memory.
 * Decoders take the body (not necessarily NUL-terminated) and return 0, or
 * a negative errno with err set: an error object of etcd
 * ({"error","code","message"}) maps as etcd_json_error() says, anything
 * else that is not the expected answer is -EIO. */
#ifndef VSWITCH_ETCD_JSON_H
#define VSWITCH_ETCD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/etcd.h"

/* base64 (RFC 4648, with padding). encode: malloc'd text, NULL on ENOMEM.
 * decode: *out malloc'd with a NUL after its *out_len bytes; -EINVAL for a
 * character or length that is not base64, -ENOMEM. */
char *etcd_base64_encode(const void *data, size_t len);
int etcd_base64_decode(const char *text, size_t len, char **out, size_t *out_len);

char *etcd_json_range_request(const char *key, bool prefix);
char *etcd_json_put_request(const char *key, const char *value, size_t value_len, int64_t lease);
char *etcd_json_delete_request(const char *key, bool prefix);
char *etcd_json_txn_request(const struct etcd_compare *compares, size_t n_compares,
			    const struct etcd_op *success, size_t n_success,
			    const struct etcd_op *failure, size_t n_failure);
char *etcd_json_compaction_request(int64_t revision);
char *etcd_json_lease_grant_request(int64_t ttl_seconds);
/* {"ID":"..."}: lease keepalive and revoke. */
char *etcd_json_lease_id_request(int64_t lease);
/* A create_request for every key under prefix, with progress_notify. */
char *etcd_json_watch_request(const char *prefix, int64_t start_revision);
char *etcd_json_auth_request(const char *user, const char *password);

/* If body is an error object of etcd, its errno (-EACCES: authentication
 * failed or refused; -ENOENT: lease not found; -ERANGE: revision compacted;
 * -EIO: anything else), err quoting its message; 0 when it is not one. */
int etcd_json_error(const char *body, size_t len, char *err, size_t err_size);
/* Whether an error body says the auth token is invalid or expired (the
 * client then authenticates again, once). */
bool etcd_json_token_invalid(const char *body, size_t len);

int etcd_json_range_response(const char *body, size_t len, struct etcd_result *out, char *err,
			     size_t err_size);
/* The header's revision: put, compaction, delete (with *deleted) answers. */
int etcd_json_header_response(const char *body, size_t len, int64_t *revision, int64_t *deleted,
			      char *err, size_t err_size);
int etcd_json_txn_response(const char *body, size_t len, bool *succeeded, int64_t *revision,
			   char *err, size_t err_size);
int etcd_json_lease_grant_response(const char *body, size_t len, int64_t *lease, char *err,
				   size_t err_size);
/* -ENOENT when the lease is gone (the answer has no TTL). */
int etcd_json_keepalive_response(const char *body, size_t len, int64_t *ttl, char *err,
				 size_t err_size);
/* *token malloc'd. */
int etcd_json_auth_response(const char *body, size_t len, char **token, char *err, size_t err_size);

#endif
