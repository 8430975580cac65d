/* agent.c — see agent.h. The watch thread owns the copy of the domain's
 * keys (domain_kvs) that the lease thread reads, under `lock`, to find dead
 * hosts; the control thread keeps its own copy from the changes. */
#include "cluster/agent.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "cluster/domain_kvs.h"
#include "cluster/domain_schema.h"
#include "lib/log.h"
#include "lib/util.h"

struct agent {
	char domain[DOMAIN_NAME_MAX];
	char host[DOMAIN_NAME_MAX];
	char prefix[DOMAIN_KEY_MAX];
	unsigned grace;
	struct etcd_client *watch_client, *lease_client;
	pthread_t watch_thread, lease_thread;
	bool watch_started, lease_started;
	atomic_bool stop;
	/* Ends the watch's stream: at stop, and when the lease thread reached
	 * etcd again after failing (after a partition the old stream may be
	 * silently dead: the watch resumes on a new one). */
	atomic_bool end_watch;
	int event_fd;

	pthread_mutex_t lock; /* everything below */
	pthread_cond_t wake;  /* stop */
	struct agent_change *queue;
	size_t n_queue, cap_queue;
	struct domain_kvs kvs; /* written by the watch thread */
	bool answered, lease_ok, watch_ok, synced;
	enum agent_state state;
	int64_t since, lease;
	char last_error[256];
	char endpoint[128]; /* the watch client's, as it last answered */
	char *host_value;
	bool host_value_dirty;
};

/* ---- shared state --------------------------------------------------------- */

static void signal_control(struct agent *a)
{
	uint64_t one = 1;
	if (write(a->event_fd, &one, sizeof(one)) < 0) {
		/* The counter is full only if nobody reads: nothing to add. */
	}
}

/* Records what a thread saw (under lock) and wakes the control thread when
 * the state changes. error NULL: success. */
static void update_locked(struct agent *a, const char *error)
{
	if (error) {
		a->answered = true;
		if (strcmp(a->last_error, error))
			log_error("domain %s: %s", a->domain, error);
		snprintf(a->last_error, sizeof(a->last_error), "%s", error);
	}
	enum agent_state state = agent_state_decide(a->answered, a->lease_ok, a->watch_ok);
	if (state != a->state) {
		log_info("domain %s: %s -> %s", a->domain, agent_state_name(a->state),
			 agent_state_name(state));
		a->state = state;
		a->since = time(NULL);
		signal_control(a);
	}
}

static void set_flag(struct agent *a, bool *flag, bool value, const char *error)
{
	pthread_mutex_lock(&a->lock);
	*flag = value;
	update_locked(a, error);
	pthread_mutex_unlock(&a->lock);
}

/* Sleeps ms unless stopped. Returns false when stopped. */
static bool nap(struct agent *a, unsigned ms)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&a->lock);
	while (!a->stop && pthread_cond_timedwait(&a->wake, &a->lock, &until) != ETIMEDOUT)
		;
	bool running = !a->stop;
	pthread_mutex_unlock(&a->lock);
	return running;
}

static void change_clear(struct agent_change *c)
{
	for (size_t j = 0; j < c->n; j++) {
		free(c->events[j].key);
		free(c->events[j].value);
	}
	free(c->events);
	c->events = NULL;
	c->n = 0;
}

void agent_changes_free(struct agent_change *changes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		change_clear(&changes[i]);
	free(changes);
}

/* Queues a change for the control thread and applies it to the agent's own
 * copy of the keys. Takes the events. */
static int push_change(struct agent *a, struct agent_change *change)
{
	pthread_mutex_lock(&a->lock);
	int error = 0;
	bool queued = false;
	if (a->n_queue == a->cap_queue) {
		size_t cap = a->cap_queue ? a->cap_queue * 2 : 16;
		struct agent_change *q = realloc(a->queue, cap * sizeof(*q));
		if (!q)
			error = -ENOMEM;
		else
			a->queue = q, a->cap_queue = cap;
	}
	if (!error) {
		if (change->reset)
			domain_kvs_clear(&a->kvs);
		for (size_t i = 0; i < change->n; i++) {
			const struct agent_event *e = &change->events[i];
			if (e->deleted)
				domain_kvs_delete(&a->kvs, e->key);
			else if (domain_kvs_put(&a->kvs, e->key, e->value, e->value_len,
						e->create_revision, e->mod_revision))
				error = -ENOMEM;
		}
		a->kvs.revision = change->revision;
		a->queue[a->n_queue++] = *change;
		queued = true;
		signal_control(a);
	}
	pthread_mutex_unlock(&a->lock);
	if (error) {
		/* Queued or not, the copy may have missed a key: read again. */
		log_error("domain %s: out of memory keeping the domain's keys", a->domain);
		if (!queued)
			change_clear(change);
	}
	return error;
}

static int copy_event(struct agent_event *out, bool deleted, const struct etcd_kv *kv)
{
	*out = (struct agent_event){.deleted = deleted,
				    .create_revision = kv->create_revision,
				    .mod_revision = kv->mod_revision};
	out->key = strdup(kv->key);
	if (!deleted) {
		out->value = malloc(kv->value_len + 1);
		if (out->value) {
			memcpy(out->value, kv->value, kv->value_len);
			out->value[kv->value_len] = '\0';
			out->value_len = kv->value_len;
		}
	}
	return out->key && (deleted || out->value) ? 0 : -ENOMEM;
}

int agent_event_fd(const struct agent *a)
{
	return a->event_fd;
}

struct agent_change *agent_take(struct agent *a, size_t *n)
{
	uint64_t count;
	if (read(a->event_fd, &count, sizeof(count)) < 0) {
		/* EAGAIN: nothing signalled since the last take. */
	}
	pthread_mutex_lock(&a->lock);
	struct agent_change *changes = a->queue;
	*n = a->n_queue;
	a->queue = NULL;
	a->n_queue = a->cap_queue = 0;
	pthread_mutex_unlock(&a->lock);
	return changes;
}

void agent_get_status(struct agent *a, struct agent_status *out)
{
	pthread_mutex_lock(&a->lock);
	*out = (struct agent_status){.state = a->state,
				     .since = a->since,
				     .revision = a->kvs.revision,
				     .lease = a->lease,
				     .synced = a->synced};
	snprintf(out->last_error, sizeof(out->last_error), "%s", a->last_error);
	snprintf(out->endpoint, sizeof(out->endpoint), "%s", a->endpoint);
	pthread_mutex_unlock(&a->lock);
}

void agent_set_host_value(struct agent *a, const char *value)
{
	char *copy = strdup(value);
	if (!copy)
		return;
	pthread_mutex_lock(&a->lock);
	free(a->host_value);
	a->host_value = copy;
	a->host_value_dirty = true;
	pthread_mutex_unlock(&a->lock);
}

/* ---- the watch thread ------------------------------------------------------ */

static int full_read(struct agent *a, int64_t *revision, char *err, size_t err_size)
{
	struct etcd_result result = {0};
	int error = etcd_get(a->watch_client, a->prefix, true, &result, err, err_size);
	if (error)
		return error;
	struct agent_change change = {.reset = true, .revision = result.revision};
	change.events = calloc(result.n ? result.n : 1, sizeof(*change.events));
	error = change.events ? 0 : -ENOMEM;
	for (size_t i = 0; !error && i < result.n; i++) {
		error = copy_event(&change.events[i], false, &result.kvs[i]);
		change.n = i + 1;
	}
	etcd_result_free(&result);
	if (!error)
		error = push_change(a, &change);
	else
		change_clear(&change);
	if (error) {
		snprintf(err, err_size, "out of memory reading the domain");
		return error;
	}
	*revision = change.revision;
	pthread_mutex_lock(&a->lock);
	a->synced = true;
	pthread_mutex_unlock(&a->lock);
	return 0;
}

struct watch_ctx {
	struct agent *a;
	int64_t *revision;
};

static int on_watch(void *arg, const struct etcd_event *events, size_t n, int64_t revision)
{
	struct watch_ctx *w = arg;
	struct agent_change change = {.revision = revision, .n = n};
	change.events = calloc(n ? n : 1, sizeof(*change.events));
	int error = change.events ? 0 : -ENOMEM;
	for (size_t i = 0; !error && i < n; i++)
		error = copy_event(&change.events[i], events[i].type == ETCD_EVENT_DELETE,
				   &events[i].kv);
	if (!error)
		error = push_change(w->a, &change);
	else
		change_clear(&change);
	if (error)
		return error; /* the watch ends; the loop reads everything again */
	*w->revision = revision;
	return 0;
}

static void *watch_main(void *arg)
{
	struct agent *a = arg;
	int64_t revision = 0; /* the last one handed on; 0: read everything */
	unsigned failures = 0;
	char err[512], key[DOMAIN_KEY_MAX];
	domain_key(a->domain, DOMAIN_KEY_VERSION, "", key, sizeof(key));
	while (!a->stop) {
		int error;
		if (!revision) {
			error = full_read(a, &revision, err, sizeof(err));
		} else {
			/* Resuming: etcd must answer before we call ourselves online. */
			struct etcd_result probe = {0};
			error = etcd_get(a->watch_client, key, false, &probe, err, sizeof(err));
			etcd_result_free(&probe);
		}
		if (!error) {
			/* The client is this thread's: its endpoint is read here. */
			pthread_mutex_lock(&a->lock);
			snprintf(a->endpoint, sizeof(a->endpoint), "%s",
				 etcd_client_endpoint(a->watch_client));
			pthread_mutex_unlock(&a->lock);
			set_flag(a, &a->watch_ok, true, NULL);
			struct watch_ctx w = {.a = a, .revision = &revision};
			uint64_t began = time_now_ns();
			a->end_watch = a->stop;
			error = etcd_watch(a->watch_client, a->prefix, revision + 1, on_watch, &w,
					   &a->end_watch, err, sizeof(err));
			if (a->stop)
				break;
			if (a->end_watch && !error) {
				log_info(
				    "domain %s: etcd answers again: the watch resumes on a new "
				    "stream from revision %lld",
				    a->domain, (long long)revision + 1);
				failures = 0;
				continue;
			}
			if (error == -ERANGE || error == -ENOMEM) {
				log_info("domain %s: %s: reading everything again", a->domain,
					 error == -ERANGE ? "the watch's revision was compacted"
							  : "out of memory");
				revision = 0;
			}
			/* A stream that ran a while broke (a member died): another
			 * endpoint may answer at once, before we call it headless. */
			if (time_now_ns() - began > 1000000000ull || error == -ERANGE) {
				failures = 0;
				continue;
			}
			if (!error)
				snprintf(err, sizeof(err), "the watch ended");
		}
		set_flag(a, &a->watch_ok, false, err);
		if (!nap(a, agent_backoff_ms(failures++)))
			break;
	}
	return NULL;
}

/* ---- the lease thread ------------------------------------------------------ */

static int register_host(struct agent *a, char *err, size_t err_size)
{
	char key[DOMAIN_KEY_MAX];
	int64_t lease = 0;
	int error = etcd_lease_grant(a->lease_client, AGENT_TTL_SECONDS, &lease, err, err_size);
	if (error)
		return error;
	pthread_mutex_lock(&a->lock);
	char *value = strdup(a->host_value ? a->host_value : "{}");
	a->host_value_dirty = false;
	pthread_mutex_unlock(&a->lock);
	if (!value)
		return -ENOMEM;
	domain_key(a->domain, DOMAIN_KEY_HOST, a->host, key, sizeof(key));
	error = etcd_put(a->lease_client, key, value, strlen(value), lease, NULL, err, err_size);
	free(value);
	struct domain_host_state hs = {.registered = time(NULL)};
	char *state = error ? NULL : domain_host_state_encode(&hs);
	if (!error && !state)
		error = -ENOMEM;
	if (!error) {
		domain_key(a->domain, DOMAIN_KEY_HOST_STATE, a->host, key, sizeof(key));
		error =
		    etcd_put(a->lease_client, key, state, strlen(state), 0, NULL, err, err_size);
	}
	free(state);
	if (!error) {
		/* The first host writes the schema version; a later one keeps it. */
		domain_key(a->domain, DOMAIN_KEY_VERSION, "", key, sizeof(key));
		struct etcd_compare absent = {.key = key, .target = ETCD_COMPARE_CREATE_REVISION};
		struct etcd_op put = {
		    .type = ETCD_OP_PUT, .key = key, .value = DOMAIN_SCHEMA_VERSION};
		bool done;
		error = etcd_txn(a->lease_client, &absent, 1, &put, 1, NULL, 0, &done, NULL, err,
				 err_size);
	}
	if (error) {
		char ignored[256];
		etcd_lease_revoke(a->lease_client, lease, ignored, sizeof(ignored));
		return error;
	}
	pthread_mutex_lock(&a->lock);
	a->lease = lease;
	pthread_mutex_unlock(&a->lock);
	log_info("domain %s: host %s registered (lease %llx)", a->domain, a->host,
		 (unsigned long long)lease);
	return 0;
}

/* Puts hosts/HOST again when the glue changed it (ports added...). */
static int refresh_host(struct agent *a, char *err, size_t err_size)
{
	pthread_mutex_lock(&a->lock);
	char *value = a->host_value_dirty && a->host_value ? strdup(a->host_value) : NULL;
	a->host_value_dirty = false;
	int64_t lease = a->lease;
	pthread_mutex_unlock(&a->lock);
	if (!value)
		return 0;
	char key[DOMAIN_KEY_MAX];
	domain_key(a->domain, DOMAIN_KEY_HOST, a->host, key, sizeof(key));
	int error =
	    etcd_put(a->lease_client, key, value, strlen(value), lease, NULL, err, err_size);
	free(value);
	if (error) {
		pthread_mutex_lock(&a->lock);
		a->host_value_dirty = true;
		pthread_mutex_unlock(&a->lock);
	}
	return error;
}

/* A dead host found in the agent's copy of the keys: what to write. */
struct dead_host {
	char name[DOMAIN_NAME_MAX];
	int64_t state_revision; /* host-state/NAME's mod_revision */
	struct domain_host_state state;
	enum agent_dead_action action;
};

/* Marks a host whose lease expired down, or after the grace period
 * releases its MACs; each write holds only while the host is still gone
 * and its host-state unchanged, so two live hosts doing it at once, or the
 * host coming back, cannot go wrong. */
static void handle_dead_host(struct agent *a, const struct dead_host *d, char **macs, size_t n)
{
	char state_key[DOMAIN_KEY_MAX], host_key[DOMAIN_KEY_MAX], err[256];
	domain_key(a->domain, DOMAIN_KEY_HOST_STATE, d->name, state_key, sizeof(state_key));
	domain_key(a->domain, DOMAIN_KEY_HOST, d->name, host_key, sizeof(host_key));
	struct etcd_compare cmp[2] = {
	    {.key = state_key, .target = ETCD_COMPARE_MOD_REVISION, .number = d->state_revision},
	    {.key = host_key, .target = ETCD_COMPARE_CREATE_REVISION},
	};
	bool done = false;
	if (d->action == AGENT_DEAD_MARK) {
		struct domain_host_state s = d->state;
		s.down_since = time(NULL);
		char *value = domain_host_state_encode(&s);
		struct etcd_op put = {.type = ETCD_OP_PUT, .key = state_key, .value = value};
		if (value &&
		    !etcd_txn(a->lease_client, cmp, 2, &put, 1, NULL, 0, &done, NULL, err,
			      sizeof(err)) &&
		    done)
			log_info("domain %s: host %s is down (its lease expired)", a->domain,
				 d->name);
		free(value);
		return;
	}
	/* etcd takes 128 operations per transaction by default. */
	struct etcd_op ops[64];
	size_t released = 0;
	for (size_t i = 0; i < n; i += 64) {
		size_t k = n - i < 64 ? n - i : 64;
		for (size_t j = 0; j < k; j++)
			ops[j] = (struct etcd_op){.type = ETCD_OP_DELETE, .key = macs[i + j]};
		if (etcd_txn(a->lease_client, cmp, 2, ops, k, NULL, 0, &done, NULL, err,
			     sizeof(err)) ||
		    !done)
			break;
		released += k;
	}
	if (released)
		log_info("domain %s: released %zu MAC(s) of host %s, down for %u s or more",
			 a->domain, released, d->name, a->grace);
}

/* Finds, in the agent's copy, the first host that needs a write. */
static bool find_dead_host(struct agent *a, struct dead_host *d, char ***macs, size_t *n_macs)
{
	char name[DOMAIN_NAME_MAX], key[DOMAIN_KEY_MAX], err[256];
	bool found = false;
	*macs = NULL;
	*n_macs = 0;
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; !found && i < a->kvs.n; i++) {
		const struct domain_kv *kv = &a->kvs.v[i];
		if (domain_key_parse(a->prefix, kv->key, name, sizeof(name)) !=
			DOMAIN_KEY_HOST_STATE ||
		    !strcmp(name, a->host))
			continue;
		domain_key(a->domain, DOMAIN_KEY_HOST, name, key, sizeof(key));
		*d = (struct dead_host){.state_revision = kv->mod_revision};
		snprintf(d->name, sizeof(d->name), "%s", name);
		if (domain_host_state_decode(name, kv->value, kv->value_len, &d->state, err,
					     sizeof(err)))
			continue;
		d->action = agent_dead_decide(domain_kvs_find(&a->kvs, key) != NULL,
					      d->state.down_since, time(NULL), a->grace);
		found = d->action != AGENT_DEAD_NONE;
	}
	for (size_t i = 0; found && d->action == AGENT_DEAD_RELEASE && i < a->kvs.n; i++) {
		const struct domain_kv *kv = &a->kvs.v[i];
		struct domain_mac m;
		if (domain_key_parse(a->prefix, kv->key, name, sizeof(name)) != DOMAIN_KEY_MAC ||
		    domain_mac_decode(name, kv->value, kv->value_len, &m, err, sizeof(err)) ||
		    strcmp(m.host, d->name))
			continue;
		char **grown = realloc(*macs, (*n_macs + 1) * sizeof(**macs));
		if (!grown)
			break;
		*macs = grown;
		if (((*macs)[*n_macs] = strdup(kv->key)))
			(*n_macs)++;
	}
	pthread_mutex_unlock(&a->lock);
	/* Released already: only the mark is left, to be kept for `host show`. */
	if (found && d->action == AGENT_DEAD_RELEASE && !*n_macs)
		found = false;
	return found;
}

static void sweep_dead_hosts(struct agent *a)
{
	struct dead_host d;
	char **macs;
	size_t n;
	/* One host per keepalive period: the sweep must not delay keepalives. */
	if (!find_dead_host(a, &d, &macs, &n))
		return;
	handle_dead_host(a, &d, macs, n);
	for (size_t i = 0; i < n; i++)
		free(macs[i]);
	free(macs);
}

static void *lease_main(void *arg)
{
	struct agent *a = arg;
	unsigned failures = 0;
	char err[512];
	while (!a->stop) {
		int error = 0;
		pthread_mutex_lock(&a->lock);
		int64_t lease = a->lease;
		pthread_mutex_unlock(&a->lock);
		if (!lease) {
			error = register_host(a, err, sizeof(err));
		} else {
			error =
			    etcd_lease_keepalive(a->lease_client, lease, NULL, err, sizeof(err));
			if (error == -ENOENT) {
				log_info("domain %s: lease %llx expired: registering again",
					 a->domain, (unsigned long long)lease);
				pthread_mutex_lock(&a->lock);
				a->lease = 0;
				pthread_mutex_unlock(&a->lock);
				error = register_host(a, err, sizeof(err));
			}
			if (!error)
				error = refresh_host(a, err, sizeof(err));
		}
		set_flag(a, &a->lease_ok, !error, error ? err : NULL);
		if (!error) {
			if (failures)
				a->end_watch = true;
			failures = 0;
			sweep_dead_hosts(a);
		}
		if (!nap(a, error ? agent_backoff_ms(failures++) : AGENT_KEEPALIVE_MS))
			break;
	}
	return NULL;
}

/* ---- start and stop ---------------------------------------------------------- */

struct agent *agent_start(const struct agent_options *o, char *err, size_t err_size)
{
	struct agent *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	a->event_fd = -1;
	pthread_mutex_init(&a->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&a->wake, &attr);
	pthread_condattr_destroy(&attr);
	snprintf(a->domain, sizeof(a->domain), "%s", o->domain ? o->domain : "");
	snprintf(a->host, sizeof(a->host), "%s", o->host ? o->host : "");
	a->grace = o->mac_grace_seconds ? o->mac_grace_seconds : AGENT_MAC_GRACE_SECONDS;
	a->since = time(NULL);
	if (!o->domain || !o->host || !o->domain[0] || !o->host[0] ||
	    strlen(o->domain) >= sizeof(a->domain) || strlen(o->host) >= sizeof(a->host)) {
		snprintf(err, err_size, "domain and host names must be 1-%d characters",
			 DOMAIN_NAME_MAX - 1);
		goto fail;
	}
	domain_prefix(a->domain, a->prefix, sizeof(a->prefix));
	a->host_value = strdup(o->host_value ? o->host_value : "{}");
	a->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	a->watch_client = etcd_client_create(&o->etcd, err, err_size);
	a->lease_client = a->watch_client ? etcd_client_create(&o->etcd, err, err_size) : NULL;
	if (!a->lease_client)
		goto fail;
	if (!a->host_value || a->event_fd < 0) {
		snprintf(err, err_size, "out of memory");
		goto fail;
	}
	a->watch_started = !pthread_create(&a->watch_thread, NULL, watch_main, a);
	a->lease_started =
	    a->watch_started && !pthread_create(&a->lease_thread, NULL, lease_main, a);
	if (!a->lease_started) {
		snprintf(err, err_size, "cannot start the domain agent's threads");
		goto fail;
	}
	return a;
fail:
	agent_stop(a);
	return NULL;
}

void agent_stop(struct agent *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->stop = true;
	a->end_watch = true;
	pthread_cond_broadcast(&a->wake);
	pthread_mutex_unlock(&a->lock);
	if (a->watch_started)
		pthread_join(a->watch_thread, NULL);
	if (a->lease_started)
		pthread_join(a->lease_thread, NULL);
	char err[256];
	if (a->lease && etcd_lease_revoke(a->lease_client, a->lease, err, sizeof(err)))
		log_error("domain %s: the lease was not revoked (%s): the host shows down in %d s",
			  a->domain, err, AGENT_TTL_SECONDS);
	etcd_client_destroy(a->watch_client);
	etcd_client_destroy(a->lease_client);
	agent_changes_free(a->queue, a->n_queue);
	domain_kvs_clear(&a->kvs);
	free(a->host_value);
	if (a->event_fd >= 0)
		close(a->event_fd);
	pthread_cond_destroy(&a->wake);
	pthread_mutex_destroy(&a->lock);
	free(a);
}
