/* etcd.c — the transport of the etcd client (etcd.h): libcurl POSTs of the
 * bodies etcd_json.c builds to etcd's HTTP gateway (/v3/...), over a list of
 * endpoints, with TLS and etcd's token authentication, and the streaming
 * watch. docs/etcd.md tells what the client does and how it fails.
 *
 * - One curl easy handle per client: its connection stays open between
 *   requests (HTTP keep-alive), so a steady client costs no handshakes.
 * - Failover: the endpoint that answered last is tried first; a connection
 *   failure, a timeout or a 5xx answer moves on to the next one; when none
 *   answers, the error names every endpoint tried and why it failed.
 *   A request that timed out may still have been applied by that endpoint:
 *   the retry elsewhere sees its effect (a create-if-absent then fails).
 * - Authentication: with a user, a token is taken from auth/authenticate
 *   and sent in the Authorization header; when etcd says it is invalid or
 *   expired, the client authenticates again once and repeats the request.
 * - The watch runs the easy handle inside a multi handle so that *stop is
 *   looked at every 100 ms even when nothing arrives (curl's progress
 *   callback may wait a second). TCP keepalives notice a peer host gone
 *   silent; a stream that ends or breaks is an error (-ECONNRESET) with the
 *   last revision seen in the message, and the caller resumes from it. */
#include "etcd.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "etcd_json.h"

#define DEFAULT_TIMEOUT_MS 2000
#define STOP_CHECK_MS	   100
/* A watch response larger than this is refused rather than buffered. */
#define MAX_LINE (64u << 20)
/* An endpoint's URL, so that it and "/v3/kv/deleterange" fit url[] below. */
#define MAX_URL 400

struct buffer {
	char *data;
	size_t len, cap;
	bool overflow;
};

struct etcd_client {
	CURL *curl;
	char *endpoints[ETCD_MAX_ENDPOINTS];
	size_t n_endpoints;
	size_t current; /* tried first: the one that answered last */
	bool answered;
	char *ca_file, *cert_file, *key_file, *user, *password;
	char *token;
	unsigned timeout_ms;
	struct buffer response;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

/* libcurl's global state is set up once for the process and released at
 * exit (curl_global_init is not thread-safe; its memory would otherwise
 * show up as a leak under ASan). */
static void curl_init(void)
{
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (curl_init_result == CURLE_OK)
		atexit(curl_global_cleanup);
}

static bool buffer_append(struct buffer *b, const char *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len + 1)
			cap *= 2;
		if (cap > MAX_LINE + 1) {
			b->overflow = true;
			return false;
		}
		char *data2 = realloc(b->data, cap);
		if (!data2)
			return false;
		b->data = data2;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return true;
}

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
	return buffer_append(arg, data, size * n) ? size * n : 0;
}

/* ---- creating ---------------------------------------------------------------- */

static int set_string(char **field, const char *value)
{
	if (!value)
		return 0;
	*field = strdup(value);
	return *field ? 0 : -ENOMEM;
}

static int check_file(const char *what, const char *path, char *err, size_t err_size)
{
	if (path && access(path, R_OK) != 0) {
		snprintf(err, err_size, "etcd %s %s: %s", what, path, strerror(errno));
		return -EINVAL;
	}
	return 0;
}

static int parse_endpoints(struct etcd_client *c, const char *list, char *err, size_t err_size)
{
	const char *p = list ? list : "";
	while (*p) {
		size_t len = strcspn(p, ",");
		if (len == 0 || len > MAX_URL || c->n_endpoints == ETCD_MAX_ENDPOINTS ||
		    (strncmp(p, "http://", 7) && strncmp(p, "https://", 8))) {
			snprintf(err, err_size,
				 "etcd endpoints \"%s\": want up to %d comma-separated "
				 "http:// or https:// URLs of up to %d characters",
				 list, ETCD_MAX_ENDPOINTS, MAX_URL);
			return -EINVAL;
		}
		/* A trailing slash would make "//v3/..." paths. */
		size_t keep = len;
		while (keep > 0 && p[keep - 1] == '/')
			keep--;
		if (!(c->endpoints[c->n_endpoints++] = strndup(p, keep)))
			return -ENOMEM;
		p += len + (p[len] == ',');
	}
	if (c->n_endpoints == 0) {
		snprintf(err, err_size, "etcd endpoints: none given");
		return -EINVAL;
	}
	return 0;
}

static int configure(struct etcd_client *c, const struct etcd_client_options *o, char *err,
		     size_t err_size)
{
	int rc = parse_endpoints(c, o->endpoints, err, err_size);
	if (rc == 0 && !o->user != !o->password) {
		snprintf(err, err_size, "etcd: a user needs a password and a password a user");
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = check_file("CA file", o->ca_file, err, err_size);
	if (rc == 0)
		rc = check_file("certificate", o->cert_file, err, err_size);
	if (rc == 0)
		rc = check_file("key", o->key_file, err, err_size);
	if (rc == 0 && !o->cert_file != !o->key_file) {
		snprintf(err, err_size,
			 "etcd: a client certificate needs its key, and a key its "
			 "certificate");
		rc = -EINVAL;
	}
	if (rc == 0 &&
	    (set_string(&c->ca_file, o->ca_file) || set_string(&c->cert_file, o->cert_file) ||
	     set_string(&c->key_file, o->key_file) || set_string(&c->user, o->user) ||
	     set_string(&c->password, o->password)))
		rc = -ENOMEM;
	if (rc == -ENOMEM)
		snprintf(err, err_size, "out of memory");
	c->timeout_ms = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	return rc;
}

struct etcd_client *etcd_client_create(const struct etcd_client_options *options, char *err,
				       size_t err_size)
{
	pthread_once(&curl_once, curl_init);
	if (curl_init_result != CURLE_OK) {
		snprintf(err, err_size, "libcurl: %s", curl_easy_strerror(curl_init_result));
		return NULL;
	}
	struct etcd_client *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	if (configure(c, options, err, err_size) < 0) {
		etcd_client_destroy(c);
		return NULL;
	}
	if (!(c->curl = curl_easy_init())) {
		snprintf(err, err_size, "libcurl: cannot create a handle");
		etcd_client_destroy(c);
		return NULL;
	}
	return c;
}

void etcd_client_destroy(struct etcd_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	for (size_t i = 0; i < c->n_endpoints; i++)
		free(c->endpoints[i]);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->user);
	free(c->password);
	free(c->token);
	free(c->response.data);
	free(c);
}

const char *etcd_client_endpoint(const struct etcd_client *c)
{
	return c->answered ? c->endpoints[c->current] : "";
}

/* ---- one request, with failover ------------------------------------------------ */

/* Sets up the handle for a POST of body to path on endpoint; the caller
 * frees *headers after the transfer. */
static void prepare(struct etcd_client *c, const char *endpoint, const char *path, const char *body,
		    bool with_token, struct curl_slist **headers)
{
	char url[512], auth[1024];
	snprintf(url, sizeof(url), "%s/v3/%s", endpoint, path);
	CURL *h = c->curl;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 5L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 2L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->cert_file) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert_file);
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->key_file);
	}
	*headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (with_token && c->token) {
		snprintf(auth, sizeof(auth), "Authorization: %s", c->token);
		*headers = curl_slist_append(*headers, auth);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *headers);
}

/* Appends "endpoint: why" to the list of failures in err. */
static void note_failure(char *err, size_t err_size, const char *endpoint, const char *why)
{
	size_t used = strnlen(err, err_size);
	if (used + 1 < err_size)
		snprintf(err + used, err_size - used, "%s%s: %s", used ? "; " : "", endpoint, why);
}

static bool moves_on(CURLcode code)
{
	return code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
	       code == CURLE_OPERATION_TIMEDOUT || code == CURLE_SEND_ERROR ||
	       code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING ||
	       code == CURLE_SSL_CONNECT_ERROR || code == CURLE_PEER_FAILED_VERIFICATION;
}

/* POSTs body to /v3/path of the endpoints in turn, until one answers (any
 * status below 500); its body is in c->response, its status in *status. */
static int request(struct etcd_client *c, const char *path, const char *body, bool with_token,
		   long *status, char *err, size_t err_size)
{
	char failures[1024] = "";
	bool timed_out = false;
	for (size_t i = 0; i < c->n_endpoints; i++) {
		size_t e = (c->current + i) % c->n_endpoints;
		struct curl_slist *headers;
		prepare(c, c->endpoints[e], path, body, with_token, &headers);
		c->response.len = 0;
		c->response.overflow = false;
		curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &c->response);
		CURLcode code = curl_easy_perform(c->curl);
		curl_slist_free_all(headers);
		*status = 0;
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
		if (code == CURLE_OK && *status < 500 && buffer_append(&c->response, "", 0)) {
			c->current = e;
			c->answered = true;
			return 0;
		}
		if (code == CURLE_OK && *status >= 500) {
			char why[160];
			snprintf(why, sizeof(why), "HTTP %ld %.100s", *status,
				 c->response.data ? c->response.data : "");
			note_failure(failures, sizeof(failures), c->endpoints[e], why);
			continue;
		}
		if (code != CURLE_OK && !moves_on(code)) {
			snprintf(err, err_size, "etcd %s: %s", c->endpoints[e],
				 code == CURLE_WRITE_ERROR ? "answer too large or out of memory"
							   : curl_easy_strerror(code));
			return -EIO;
		}
		timed_out |= code == CURLE_OPERATION_TIMEDOUT;
		note_failure(failures, sizeof(failures), c->endpoints[e],
			     code == CURLE_OK ? "out of memory" : curl_easy_strerror(code));
	}
	snprintf(err, err_size, "no etcd endpoint answered: %s", failures);
	return timed_out ? -ETIMEDOUT : -ECONNREFUSED;
}

static int authenticate(struct etcd_client *c, char *err, size_t err_size)
{
	free(c->token);
	c->token = NULL;
	char *body = etcd_json_auth_request(c->user, c->password);
	long status;
	if (!body) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	int rc = request(c, "auth/authenticate", body, false, &status, err, err_size);
	free(body);
	if (rc == 0)
		rc = etcd_json_auth_response(c->response.data, c->response.len, &c->token, err,
					     err_size);
	if (rc == -EACCES) {
		size_t used = strnlen(err, err_size);
		snprintf(err + used, err_size - used, " (user %s)", c->user);
	}
	return rc;
}

/* A request with authentication: a token first when there is none, and
 * once more when etcd says it went stale. The answer is in c->response;
 * an HTTP error without etcd's error object becomes -EIO here. body is
 * freed (NULL: out of memory). */
static int call(struct etcd_client *c, const char *path, char *body, char *err, size_t err_size)
{
	if (!body) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	int rc = c->user && !c->token ? authenticate(c, err, err_size) : 0;
	long status = 0;
	if (rc == 0)
		rc = request(c, path, body, true, &status, err, err_size);
	if (rc == 0 && c->user && etcd_json_token_invalid(c->response.data, c->response.len)) {
		rc = authenticate(c, err, err_size);
		if (rc == 0)
			rc = request(c, path, body, true, &status, err, err_size);
	}
	free(body);
	if (rc == 0 && status >= 400 &&
	    etcd_json_error(c->response.data, c->response.len, err, err_size) == 0) {
		snprintf(err, err_size, "etcd %s: HTTP %ld on /v3/%s", c->endpoints[c->current],
			 status, path);
		rc = -EIO;
	}
	return rc;
}

/* ---- the key-value store and leases ------------------------------------------ */

int etcd_get(struct etcd_client *c, const char *key, bool prefix, struct etcd_result *out,
	     char *err, size_t err_size)
{
	memset(out, 0, sizeof(*out));
	int rc = call(c, "kv/range", etcd_json_range_request(key, prefix), err, err_size);
	return rc < 0 ? rc
		      : etcd_json_range_response(c->response.data, c->response.len, out, err,
						 err_size);
}

int etcd_put(struct etcd_client *c, const char *key, const char *value, size_t value_len,
	     int64_t lease, int64_t *revision, char *err, size_t err_size)
{
	int rc =
	    call(c, "kv/put", etcd_json_put_request(key, value, value_len, lease), err, err_size);
	return rc < 0 ? rc
		      : etcd_json_header_response(c->response.data, c->response.len, revision, NULL,
						  err, err_size);
}

int etcd_delete(struct etcd_client *c, const char *key, bool prefix, int64_t *deleted, char *err,
		size_t err_size)
{
	int rc = call(c, "kv/deleterange", etcd_json_delete_request(key, prefix), err, err_size);
	return rc < 0 ? rc
		      : etcd_json_header_response(c->response.data, c->response.len, NULL, deleted,
						  err, err_size);
}

int etcd_compact(struct etcd_client *c, int64_t revision, char *err, size_t err_size)
{
	int rc = call(c, "kv/compaction", etcd_json_compaction_request(revision), err, err_size);
	return rc < 0 ? rc
		      : etcd_json_header_response(c->response.data, c->response.len, NULL, NULL,
						  err, err_size);
}

int etcd_txn(struct etcd_client *c, const struct etcd_compare *compares, size_t n_compares,
	     const struct etcd_op *success, size_t n_success, const struct etcd_op *failure,
	     size_t n_failure, bool *succeeded, int64_t *revision, char *err, size_t err_size)
{
	char *body =
	    etcd_json_txn_request(compares, n_compares, success, n_success, failure, n_failure);
	int rc = call(c, "kv/txn", body, err, err_size);
	return rc < 0 ? rc
		      : etcd_json_txn_response(c->response.data, c->response.len, succeeded,
					       revision, err, err_size);
}

int etcd_lease_grant(struct etcd_client *c, int64_t ttl_seconds, int64_t *lease, char *err,
		     size_t err_size)
{
	int rc = call(c, "lease/grant", etcd_json_lease_grant_request(ttl_seconds), err, err_size);
	return rc < 0 ? rc
		      : etcd_json_lease_grant_response(c->response.data, c->response.len, lease,
						       err, err_size);
}

int etcd_lease_keepalive(struct etcd_client *c, int64_t lease, int64_t *ttl, char *err,
			 size_t err_size)
{
	int rc = call(c, "lease/keepalive", etcd_json_lease_id_request(lease), err, err_size);
	return rc < 0 ? rc
		      : etcd_json_keepalive_response(c->response.data, c->response.len, ttl, err,
						     err_size);
}

int etcd_lease_revoke(struct etcd_client *c, int64_t lease, char *err, size_t err_size)
{
	int rc = call(c, "lease/revoke", etcd_json_lease_id_request(lease), err, err_size);
	return rc < 0 ? rc
		      : etcd_json_header_response(c->response.data, c->response.len, NULL, NULL,
						  err, err_size);
}

/* ---- the watch ------------------------------------------------------------------- */

struct watch {
	struct etcd_client *client;
	etcd_watch_fn fn;
	void *arg;
	const atomic_bool *stop;
	struct buffer line;
	int64_t last_revision; /* of the last response handed to fn */
	bool created;	       /* etcd acknowledged the watch */
	int result;	       /* what ends the watch: fn's value or an error */
	bool done;
	char *err;
	size_t err_size;
};

/* One line of the stream: a response of etcd. */
static void watch_line(struct watch *w, const char *line, size_t len)
{
	struct etcd_event *events;
	size_t n;
	int64_t revision = 0;
	int rc = etcd_json_watch_response(line, len, &events, &n, &revision, w->err, w->err_size);
	if (rc == 1) {
		w->created = true;
		return;
	}
	if (rc < 0) {
		w->result = rc;
		w->done = true;
		return;
	}
	w->created = true;
	w->last_revision = revision;
	int stop = w->fn(w->arg, events, n, revision);
	etcd_events_free(events, n);
	if (stop) {
		w->result = stop;
		w->done = true;
	}
}

/* curl's write callback: splits the stream into lines. Returning less than
 * it was given ends the transfer (fn said stop, or an error). */
static size_t watch_write(char *data, size_t size, size_t n, void *arg)
{
	struct watch *w = arg;
	if (!buffer_append(&w->line, data, size * n)) {
		snprintf(w->err, w->err_size, "etcd watch: %s",
			 w->line.overflow ? "a response over 64 MiB" : "out of memory");
		w->result = -ENOMEM;
		w->done = true;
		return 0;
	}
	char *start = w->line.data, *nl;
	while (!w->done && !*w->stop &&
	       (nl = memchr(start, '\n', w->line.len - (start - w->line.data)))) {
		if (nl > start)
			watch_line(w, start, (size_t)(nl - start));
		start = nl + 1;
	}
	w->line.len -= (size_t)(start - w->line.data);
	memmove(w->line.data, start, w->line.len + 1);
	return w->done || *w->stop ? 0 : size * n;
}

/* Runs the transfer set up on c->curl until it ends, fn or an error ends
 * it, or *stop (looked at every STOP_CHECK_MS). */
static CURLcode watch_run(struct watch *w)
{
	CURLM *multi = curl_multi_init();
	if (!multi)
		return CURLE_OUT_OF_MEMORY;
	CURLcode code = CURLE_OK;
	curl_multi_add_handle(multi, w->client->curl);
	for (;;) {
		int running = 0;
		curl_multi_perform(multi, &running);
		if (!running || w->done || *w->stop)
			break;
		curl_multi_poll(multi, NULL, 0, STOP_CHECK_MS, NULL);
		if (*w->stop)
			break;
	}
	int left;
	CURLMsg *msg;
	while ((msg = curl_multi_info_read(multi, &left)))
		if (msg->msg == CURLMSG_DONE)
			code = msg->data.result;
	curl_multi_remove_handle(multi, w->client->curl);
	curl_multi_cleanup(multi);
	return code;
}

/* One watch on endpoint e: 0 when it ran (w->result and w->done tell how
 * it ended), or a failure to reach the endpoint, written to why. */
static int watch_endpoint(struct watch *w, size_t e, const char *body, char *why, size_t why_size)
{
	struct etcd_client *c = w->client;
	struct curl_slist *headers;
	prepare(c, c->endpoints[e], "watch", body, true, &headers);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, 0L); /* a stream has no end */
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, watch_write);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, w);
	w->line.len = 0;
	CURLcode code = watch_run(w);
	curl_slist_free_all(headers);
	long status = 0;
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (w->done || *w->stop)
		return 0;
	if (!w->created && (moves_on(code) || status >= 500)) {
		snprintf(why, why_size, "%s",
			 code != CURLE_OK ? curl_easy_strerror(code) : "HTTP 5xx");
		return -ECONNREFUSED;
	}
	c->current = e;
	c->answered = true;
	/* An error object without a newline: etcd refused the watch. */
	w->result =
	    w->line.len ? etcd_json_error(w->line.data, w->line.len, w->err, w->err_size) : 0;
	if (!w->result)
		snprintf(w->err, w->err_size,
			 "etcd watch on %s broke (%s) after revision %" PRId64
			 ": resume from the next one",
			 c->endpoints[e],
			 code == CURLE_OK ? "the stream ended" : curl_easy_strerror(code),
			 w->last_revision);
	if (!w->result)
		w->result = -ECONNRESET;
	w->done = true;
	return 0;
}

/* Tries the endpoints in turn until one takes the watch. */
static int watch_once(struct watch *w, const char *body)
{
	struct etcd_client *c = w->client;
	char failures[1024] = "";
	for (size_t i = 0; i < c->n_endpoints && !*w->stop; i++) {
		size_t e = (c->current + i) % c->n_endpoints;
		char why[256];
		if (watch_endpoint(w, e, body, why, sizeof(why)) == 0)
			return *w->stop && !w->done ? 0 : w->result;
		note_failure(failures, sizeof(failures), c->endpoints[e], why);
	}
	if (*w->stop)
		return 0;
	snprintf(w->err, w->err_size, "no etcd endpoint answered the watch: %s", failures);
	return -ECONNREFUSED;
}

int etcd_watch(struct etcd_client *c, const char *prefix, int64_t start_revision, etcd_watch_fn fn,
	       void *arg, const atomic_bool *stop, char *err, size_t err_size)
{
	static const atomic_bool never;
	struct watch w = {.client = c,
			  .fn = fn,
			  .arg = arg,
			  .stop = stop ? stop : &never,
			  .last_revision = start_revision ? start_revision - 1 : 0,
			  .err = err,
			  .err_size = err_size};
	char *body = etcd_json_watch_request(prefix, start_revision);
	int rc = body ? 0 : -ENOMEM;
	if (rc == 0 && c->user && !c->token)
		rc = authenticate(c, err, err_size);
	if (rc == 0)
		rc = watch_once(&w, body);
	/* A token gone stale is refused when the watch is created, before any
	 * event: take a new one and watch again, once. */
	if (rc == -EACCES && c->user && !w.created && authenticate(c, err, err_size) == 0) {
		w.done = false;
		w.result = 0;
		rc = watch_once(&w, body);
	}
	if (rc == -ENOMEM && !body)
		snprintf(err, err_size, "out of memory");
	free(body);
	free(w.line.data);
	return rc;
}
