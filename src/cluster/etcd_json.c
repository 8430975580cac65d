/* etcd_json.c — the JSON of etcd's HTTP gateway, both ways, without I/O
 * (etcd_json.h). The gateway is grpc-gateway over etcd's protobufs: bytes
 * fields (keys, values) are base64, int64 fields are decimal strings, and
 * a field at its zero value is left out (a PUT event has no "type", a failed
 * transaction no "succeeded", an expired lease's keepalive no "TTL"). Every
 * decoder treats the body as hostile: bounded by len, types checked, numbers
 * parsed strictly. */
#include "etcd_json.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- base64 --------------------------------------------------------------- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *etcd_base64_encode(const void *data, size_t len)
{
	const unsigned char *in = data;
	char *out = malloc((len + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	char *o = out;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*o++ = b64_alphabet[v >> 18 & 63];
		*o++ = b64_alphabet[v >> 12 & 63];
		*o++ = i + 1 < len ? b64_alphabet[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64_alphabet[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;
	return p ? (int)(p - b64_alphabet) : -1;
}

int etcd_base64_decode(const char *text, size_t len, char **out, size_t *out_len)
{
	if (len % 4 != 0)
		return -EINVAL;
	size_t pad = 0;
	if (len > 0 && text[len - 1] == '=')
		pad = len > 1 && text[len - 2] == '=' ? 2 : 1;
	char *buf = malloc(len / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < len; i += 4) {
		bool last = i + 4 == len;
		uint32_t v = 0;
		for (size_t j = 0; j < 4; j++) {
			int d = last && j >= 4 - pad ? 0 : b64_value(text[i + j]);
			if (d < 0) {
				free(buf);
				return -EINVAL;
			}
			v = v << 6 | (uint32_t)d;
		}
		buf[n++] = (char)(v >> 16);
		if (!last || pad < 2)
			buf[n++] = (char)(v >> 8 & 0xff);
		if (!last || pad < 1)
			buf[n++] = (char)(v & 0xff);
	}
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
}

/* ---- building requests ----------------------------------------------------- */

static bool add_b64(cJSON *obj, const char *name, const void *data, size_t len)
{
	char *text = etcd_base64_encode(data, len);
	bool ok = text && cJSON_AddStringToObject(obj, name, text);
	free(text);
	return ok;
}

static bool add_int64(cJSON *obj, const char *name, int64_t value)
{
	char text[24];
	snprintf(text, sizeof(text), "%" PRId64, value);
	return cJSON_AddStringToObject(obj, name, text) != NULL;
}

/* etcd's range over every key starting with key: range_end is key with its
 * last byte below 0xff incremented and what follows dropped; "\0" (every
 * key) when there is none. */
static bool add_key_range(cJSON *obj, const char *key, bool prefix)
{
	size_t len = strlen(key);
	if (!add_b64(obj, "key", key, len))
		return false;
	if (!prefix)
		return true;
	char end[len + 1];
	memcpy(end, key, len);
	while (len > 0 && (unsigned char)end[len - 1] == 0xff)
		len--;
	if (len == 0)
		return add_b64(obj, "range_end", "", 1);
	end[len - 1]++;
	return add_b64(obj, "range_end", end, len);
}

/* Prints and frees obj; NULL when ok is false or out of memory. */
static char *finish(cJSON *obj, bool ok)
{
	char *text = ok && obj ? cJSON_PrintUnformatted(obj) : NULL;
	cJSON_Delete(obj);
	return text;
}

char *etcd_json_range_request(const char *key, bool prefix)
{
	cJSON *obj = cJSON_CreateObject();
	return finish(obj, obj && add_key_range(obj, key, prefix));
}

char *etcd_json_put_request(const char *key, const char *value, size_t value_len, int64_t lease)
{
	cJSON *obj = cJSON_CreateObject();
	bool ok = obj && add_b64(obj, "key", key, strlen(key)) &&
		  add_b64(obj, "value", value, value_len) &&
		  (!lease || add_int64(obj, "lease", lease));
	return finish(obj, ok);
}

char *etcd_json_delete_request(const char *key, bool prefix)
{
	return etcd_json_range_request(key, prefix);
}

static const char *const compare_targets[] = {
    [ETCD_COMPARE_CREATE_REVISION] = "CREATE",
    [ETCD_COMPARE_MOD_REVISION] = "MOD",
    [ETCD_COMPARE_VERSION] = "VERSION",
    [ETCD_COMPARE_VALUE] = "VALUE",
};
static const char *const compare_fields[] = {
    [ETCD_COMPARE_CREATE_REVISION] = "create_revision",
    [ETCD_COMPARE_MOD_REVISION] = "mod_revision",
    [ETCD_COMPARE_VERSION] = "version",
};
static const char *const compare_results[] = {
    [ETCD_EQUAL] = "EQUAL",
    [ETCD_NOT_EQUAL] = "NOT_EQUAL",
    [ETCD_GREATER] = "GREATER",
    [ETCD_LESS] = "LESS",
};

static bool add_compare(cJSON *array, const struct etcd_compare *c)
{
	cJSON *obj = cJSON_CreateObject();
	if (!obj || !cJSON_AddItemToArray(array, obj))
		return cJSON_Delete(obj), false;
	if (!add_b64(obj, "key", c->key, strlen(c->key)) ||
	    !cJSON_AddStringToObject(obj, "target", compare_targets[c->target]) ||
	    !cJSON_AddStringToObject(obj, "result", compare_results[c->result]))
		return false;
	if (c->target == ETCD_COMPARE_VALUE)
		return add_b64(obj, "value", c->value, strlen(c->value));
	return add_int64(obj, compare_fields[c->target], c->number);
}

static bool add_op(cJSON *array, const struct etcd_op *op)
{
	cJSON *obj = cJSON_CreateObject();
	if (!obj || !cJSON_AddItemToArray(array, obj))
		return cJSON_Delete(obj), false;
	cJSON *req = cJSON_AddObjectToObject(obj, op->type == ETCD_OP_PUT ? "request_put"
									  : "request_delete_range");
	if (!req)
		return false;
	if (op->type == ETCD_OP_DELETE)
		return add_key_range(req, op->key, op->prefix);
	return add_b64(req, "key", op->key, strlen(op->key)) &&
	       add_b64(req, "value", op->value, strlen(op->value)) &&
	       (!op->lease || add_int64(req, "lease", op->lease));
}

static bool add_ops(cJSON *obj, const char *name, const struct etcd_op *ops, size_t n)
{
	cJSON *array = cJSON_AddArrayToObject(obj, name);
	for (size_t i = 0; array && i < n; i++)
		if (!add_op(array, &ops[i]))
			return false;
	return array != NULL;
}

char *etcd_json_txn_request(const struct etcd_compare *compares, size_t n_compares,
			    const struct etcd_op *success, size_t n_success,
			    const struct etcd_op *failure, size_t n_failure)
{
	cJSON *obj = cJSON_CreateObject();
	cJSON *array = obj ? cJSON_AddArrayToObject(obj, "compare") : NULL;
	bool ok = array != NULL;
	for (size_t i = 0; ok && i < n_compares; i++)
		ok = add_compare(array, &compares[i]);
	ok = ok && add_ops(obj, "success", success, n_success) &&
	     add_ops(obj, "failure", failure, n_failure);
	return finish(obj, ok);
}

char *etcd_json_compaction_request(int64_t revision)
{
	cJSON *obj = cJSON_CreateObject();
	return finish(obj, obj && add_int64(obj, "revision", revision) &&
			       cJSON_AddTrueToObject(obj, "physical"));
}

char *etcd_json_lease_grant_request(int64_t ttl_seconds)
{
	cJSON *obj = cJSON_CreateObject();
	return finish(obj, obj && add_int64(obj, "TTL", ttl_seconds));
}

char *etcd_json_lease_id_request(int64_t lease)
{
	cJSON *obj = cJSON_CreateObject();
	return finish(obj, obj && add_int64(obj, "ID", lease));
}

char *etcd_json_watch_request(const char *prefix, int64_t start_revision)
{
	cJSON *obj = cJSON_CreateObject();
	cJSON *create = obj ? cJSON_AddObjectToObject(obj, "create_request") : NULL;
	bool ok = create && add_key_range(create, prefix, true) &&
		  (!start_revision || add_int64(create, "start_revision", start_revision)) &&
		  cJSON_AddTrueToObject(create, "progress_notify");
	return finish(obj, ok);
}

char *etcd_json_auth_request(const char *user, const char *password)
{
	cJSON *obj = cJSON_CreateObject();
	return finish(obj, obj && cJSON_AddStringToObject(obj, "name", user) &&
			       cJSON_AddStringToObject(obj, "password", password));
}

/* ---- decoding answers ------------------------------------------------------ */

/* An int64 field: absent is 0 (the gateway leaves zeroes out); a decimal
 * string or an integral number; anything else -EIO. */
static int get_int64(const cJSON *obj, const char *name, int64_t *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	*out = 0;
	if (!item)
		return 0;
	if (cJSON_IsNumber(item)) {
		double d = item->valuedouble;
		if (!(d >= -9.2e18 && d <= 9.2e18) || d != (double)(int64_t)d)
			return -EIO;
		*out = (int64_t)d;
		return 0;
	}
	if (!cJSON_IsString(item) || !item->valuestring[0])
		return -EIO;
	char *end;
	errno = 0;
	long long v = strtoll(item->valuestring, &end, 10);
	if (errno || *end)
		return -EIO;
	*out = v;
	return 0;
}

/* A bytes field into a malloc'd NUL-terminated copy; absent is empty. */
static int get_bytes(const cJSON *obj, const char *name, char **out, size_t *len)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!item)
		return etcd_base64_decode("", 0, out, len);
	if (!cJSON_IsString(item))
		return -EIO;
	int rc = etcd_base64_decode(item->valuestring, strlen(item->valuestring), out, len);
	return rc == -EINVAL ? -EIO : rc;
}

static int bad(char *err, size_t err_size, const char *what)
{
	snprintf(err, err_size, "etcd answered something that is not %s", what);
	return -EIO;
}

static int errno_of(const char *message, int64_t code)
{
	if (strstr(message, "authentication failed") || strstr(message, "invalid auth token") ||
	    strstr(message, "permission denied") || strstr(message, "user name is empty") ||
	    strstr(message, "auth token") || code == 16 || code == 7)
		return -EACCES;
	if (strstr(message, "lease not found"))
		return -ENOENT;
	if (strstr(message, "compacted") || code == 11)
		return -ERANGE;
	return -EIO;
}

/* The error of an error object (grpc-gateway's {"error":"...","code":N,
 * "message":"..."}, or {"error":{...}} inside a stream), 0 for any other. */
static int object_error(const cJSON *root, char *err, size_t err_size)
{
	const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (!error)
		return 0;
	const cJSON *holder = cJSON_IsObject(error) ? error : root;
	const cJSON *message = cJSON_GetObjectItemCaseSensitive(holder, "message");
	const char *text = cJSON_IsString(message) ? message->valuestring
			   : cJSON_IsString(error) ? error->valuestring
						   : "(no message)";
	int64_t code = 0;
	if (get_int64(holder, "code", &code) < 0)
		code = 0;
	snprintf(err, err_size, "etcd: %s", text);
	return errno_of(text, code);
}

/* Parses body; *root is an object that is not an error object, or the
 * return value says why not. */
static int parse(const char *body, size_t len, cJSON **root, char *err, size_t err_size)
{
	*root = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(*root)) {
		cJSON_Delete(*root);
		*root = NULL;
		return bad(err, err_size, "a JSON object");
	}
	int rc = object_error(*root, err, err_size);
	if (rc < 0) {
		cJSON_Delete(*root);
		*root = NULL;
	}
	return rc;
}

int etcd_json_error(const char *body, size_t len, char *err, size_t err_size)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	int rc = cJSON_IsObject(root) ? object_error(root, err, err_size) : 0;
	cJSON_Delete(root);
	return rc;
}

bool etcd_json_token_invalid(const char *body, size_t len)
{
	char err[256] = "";
	return etcd_json_error(body, len, err, sizeof(err)) == -EACCES &&
	       (strstr(err, "invalid auth token") || strstr(err, "token expired") ||
		strstr(err, "user name is empty"));
}

static int header_revision(const cJSON *root, int64_t *revision)
{
	const cJSON *header = cJSON_GetObjectItemCaseSensitive(root, "header");
	if (!cJSON_IsObject(header))
		return -EIO;
	return get_int64(header, "revision", revision);
}

static int decode_kv(const cJSON *obj, struct etcd_kv *kv)
{
	memset(kv, 0, sizeof(*kv));
	size_t key_len;
	if (!cJSON_IsObject(obj) || !cJSON_GetObjectItemCaseSensitive(obj, "key"))
		return -EIO;
	int rc = get_bytes(obj, "key", &kv->key, &key_len);
	if (rc == 0)
		rc = get_bytes(obj, "value", &kv->value, &kv->value_len);
	if (rc == 0)
		rc = get_int64(obj, "create_revision", &kv->create_revision);
	if (rc == 0)
		rc = get_int64(obj, "mod_revision", &kv->mod_revision);
	if (rc == 0)
		rc = get_int64(obj, "version", &kv->version);
	if (rc == 0)
		rc = get_int64(obj, "lease", &kv->lease);
	if (rc < 0) {
		free(kv->key);
		free(kv->value);
		memset(kv, 0, sizeof(*kv));
	}
	return rc;
}

int etcd_json_range_response(const char *body, size_t len, struct etcd_result *out, char *err,
			     size_t err_size)
{
	memset(out, 0, sizeof(*out));
	cJSON *root;
	int rc = parse(body, len, &root, err, err_size);
	if (rc < 0)
		return rc;
	const cJSON *kvs = cJSON_GetObjectItemCaseSensitive(root, "kvs");
	size_t n = cJSON_GetArraySize(kvs);
	if (header_revision(root, &out->revision) < 0 || (kvs && !cJSON_IsArray(kvs))) {
		rc = bad(err, err_size, "a range answer");
		goto out;
	}
	out->kvs = calloc(n ? n : 1, sizeof(*out->kvs));
	if (!out->kvs) {
		rc = -ENOMEM;
		snprintf(err, err_size, "out of memory");
		goto out;
	}
	const cJSON *item;
	cJSON_ArrayForEach(item, kvs)
	{
		rc = decode_kv(item, &out->kvs[out->n]);
		if (rc < 0) {
			if (rc == -EIO)
				bad(err, err_size, "a key-value");
			else
				snprintf(err, err_size, "out of memory");
			etcd_result_free(out);
			goto out;
		}
		out->n++;
	}
out:
	cJSON_Delete(root);
	return rc;
}

void etcd_result_free(struct etcd_result *result)
{
	if (!result)
		return;
	for (size_t i = 0; i < result->n; i++) {
		free(result->kvs[i].key);
		free(result->kvs[i].value);
	}
	free(result->kvs);
	memset(result, 0, sizeof(*result));
}

int etcd_json_header_response(const char *body, size_t len, int64_t *revision, int64_t *deleted,
			      char *err, size_t err_size)
{
	cJSON *root;
	int rc = parse(body, len, &root, err, err_size);
	if (rc < 0)
		return rc;
	int64_t rev, del;
	if (header_revision(root, &rev) < 0 || get_int64(root, "deleted", &del) < 0)
		rc = bad(err, err_size, "an answer with a header");
	else {
		if (revision)
			*revision = rev;
		if (deleted)
			*deleted = del;
	}
	cJSON_Delete(root);
	return rc;
}

int etcd_json_txn_response(const char *body, size_t len, bool *succeeded, int64_t *revision,
			   char *err, size_t err_size)
{
	cJSON *root;
	int rc = parse(body, len, &root, err, err_size);
	if (rc < 0)
		return rc;
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(root, "succeeded");
	int64_t rev;
	if (header_revision(root, &rev) < 0 || (ok && !cJSON_IsBool(ok)))
		rc = bad(err, err_size, "a transaction's answer");
	else {
		*succeeded = cJSON_IsTrue(ok);
		if (revision)
			*revision = rev;
	}
	cJSON_Delete(root);
	return rc;
}

int etcd_json_lease_grant_response(const char *body, size_t len, int64_t *lease, char *err,
				   size_t err_size)
{
	cJSON *root;
	int rc = parse(body, len, &root, err, err_size);
	if (rc < 0)
		return rc;
	if (get_int64(root, "ID", lease) < 0 || *lease == 0)
		rc = bad(err, err_size, "a lease");
	cJSON_Delete(root);
	return rc;
}

int etcd_json_keepalive_response(const char *body, size_t len, int64_t *ttl, char *err,
				 size_t err_size)
{
	cJSON *root;
	int rc = parse(body, len, &root, err, err_size);
	if (rc < 0)
		return rc;
	/* The gateway streams keepalives: one answer, inside "result". */
	const cJSON *result = cJSON_GetObjectItemCaseSensitive(root, "result");
	int64_t id, left;
	if (!cJSON_IsObject(result) || get_int64(result, "ID", &id) < 0 ||
	    get_int64(result, "TTL", &left) < 0)
		rc = bad(err, err_size, "a keepalive's answer");
	else if (left <= 0) {
		snprintf(err, err_size, "etcd: lease %" PRId64 " expired or unknown", id);
		rc = -ENOENT;
	} else if (ttl)
		*ttl = left;
	cJSON_Delete(root);
	return rc;
}

int etcd_json_auth_response(const char *body, size_t len, char **token, char *err, size_t err_size)
{
	cJSON *root;
	int rc = parse(body, len, &root, err, err_size);
	if (rc < 0)
		return rc;
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "token");
	if (!cJSON_IsString(item) || !item->valuestring[0] || strpbrk(item->valuestring, "\r\n"))
		rc = bad(err, err_size, "a token");
	else if (!(*token = strdup(item->valuestring))) {
		snprintf(err, err_size, "out of memory");
		rc = -ENOMEM;
	}
	cJSON_Delete(root);
	return rc;
}

/* ---- the watch stream ------------------------------------------------------- */

void etcd_events_free(struct etcd_event *events, size_t n)
{
	for (size_t i = 0; events && i < n; i++) {
		free(events[i].kv.key);
		free(events[i].kv.value);
	}
	free(events);
}

static int decode_event(const cJSON *obj, struct etcd_event *event)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(obj, "type");
	if (!cJSON_IsObject(obj) || (type && !cJSON_IsString(type)))
		return -EIO;
	if (!type || !strcmp(type->valuestring, "PUT"))
		event->type = ETCD_EVENT_PUT;
	else if (!strcmp(type->valuestring, "DELETE"))
		event->type = ETCD_EVENT_DELETE;
	else
		return -EIO;
	return decode_kv(cJSON_GetObjectItemCaseSensitive(obj, "kv"), &event->kv);
}

/* The events of one watch response into a malloc'd array. */
static int decode_events(const cJSON *array, struct etcd_event **events, size_t *n, char *err,
			 size_t err_size)
{
	size_t count = cJSON_GetArraySize(array);
	struct etcd_event *out = calloc(count, sizeof(*out));
	if (!out) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	size_t i = 0;
	const cJSON *item;
	cJSON_ArrayForEach(item, array)
	{
		int rc = decode_event(item, &out[i]);
		if (rc < 0) {
			etcd_events_free(out, i);
			return rc == -ENOMEM ? (snprintf(err, err_size, "out of memory"), rc)
					     : bad(err, err_size, "a watch event");
		}
		i++;
	}
	*events = out;
	*n = i;
	return 0;
}

static int watch_canceled(const cJSON *result, int64_t *revision, char *err, size_t err_size)
{
	int64_t compact;
	if (get_int64(result, "compact_revision", &compact) == 0 && compact > 0) {
		*revision = compact;
		snprintf(err, err_size,
			 "etcd: the watch's start revision was compacted (oldest kept: %" PRId64
			 ")",
			 compact);
		return -ERANGE;
	}
	const cJSON *reason = cJSON_GetObjectItemCaseSensitive(result, "cancel_reason");
	const char *text = cJSON_IsString(reason) ? reason->valuestring : "no reason given";
	snprintf(err, err_size, "etcd canceled the watch: %s", text);
	return errno_of(text, 0);
}

int etcd_json_watch_response(const char *json, size_t len, struct etcd_event **events, size_t *n,
			     int64_t *revision, char *err, size_t err_size)
{
	*events = NULL;
	*n = 0;
	cJSON *root;
	int rc = parse(json, len, &root, err, err_size);
	if (rc < 0)
		return rc == -ERANGE || rc == -EACCES || rc == -ENOMEM ? rc : -EIO;
	const cJSON *result = cJSON_GetObjectItemCaseSensitive(root, "result");
	const cJSON *array = cJSON_GetObjectItemCaseSensitive(result, "events");
	int64_t rev;
	if (!cJSON_IsObject(result) || (array && !cJSON_IsArray(array)) ||
	    header_revision(result, &rev) < 0) {
		rc = bad(err, err_size, "a watch response");
		goto out;
	}
	*revision = rev;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "canceled")))
		rc = watch_canceled(result, revision, err, err_size);
	else if (cJSON_GetArraySize(array) == 0)
		rc = 1;
	else
		rc = decode_events(array, events, n, err, err_size);
out:
	cJSON_Delete(root);
	return rc;
}
