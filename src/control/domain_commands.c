/* domain_commands.c — the domain's commands (docs/distributed.md): domain
 * show, host show, mac allocate, and, while this host is in a domain, the
 * profile and binding commands, which are written to etcd instead of the
 * model. Such a command first runs on a copy of the model with
 * ctx.domain_edit set, which checks it exactly as a local edit and works
 * out the new profiles and bindings; what differs from the running model
 * is written in one etcd transaction that holds only if nobody changed
 * those keys since this host read them; the command then waits until the
 * change came back by the watch and applied here. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "domain.h"
#include "domain_move.h"
#include "lib/frame.h"
#include "lib/util.h"

#define MAC_BATCH	64 /* etcd takes 128 operations per transaction by default */
#define MAC_MAX_COUNT	100000
#define MAC_MAX_RETRIES 8
#define EDIT_MAX_OPS	64

/* ---- domain show ------------------------------------------------------------ */

/* Prints and frees a JSON answer. */
static int print_json(FILE *out, cJSON *o)
{
	char *text = cJSON_Print(o);
	fprintf(out, "%s\n", text ? text : "{}");
	free(text);
	cJSON_Delete(o);
	return 0;
}

static void format_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	if (!t)
		snprintf(buf, size, "never");
	else
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", gmtime(&tt));
}

static int domain_show(struct domain *d, bool json, FILE *out)
{
	struct agent_status st;
	agent_get_status(d->agent, &st);
	char since[32];
	format_time(st.since, since, sizeof(since));
	const char *state = agent_state_name(st.state);
	if (json) {
		cJSON *o = cJSON_CreateObject(), *pending = cJSON_CreateArray();
		cJSON_AddStringToObject(o, "name", d->name);
		cJSON_AddStringToObject(o, "host", d->host);
		cJSON_AddStringToObject(o, "endpoints", d->endpoints);
		cJSON_AddStringToObject(o, "endpoint", st.endpoint);
		cJSON_AddStringToObject(o, "state", state);
		cJSON_AddStringToObject(o, "since", since);
		cJSON_AddNumberToObject(o, "revision", (double)d->applied_revision);
		cJSON_AddBoolToObject(o, "booting", d->booting);
		cJSON_AddStringToObject(o, "last_error", st.last_error);
		cJSON_AddStringToObject(o, "apply_error", d->apply_error);
		cJSON_AddStringToObject(o, "cache", d->cache_path);
		cJSON_AddNumberToObject(o, "keys", (double)d->kvs.n);
		cJSON_AddNumberToObject(o, "events", (double)d->n_events);
		cJSON_AddNumberToObject(o, "full_reads", (double)d->n_reads);
		cJSON_AddNumberToObject(o, "applies", (double)d->n_applies);
		for (size_t i = 0; i < d->n_pending; i++) {
			cJSON *p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "port", d->pending[i].port);
			cJSON_AddStringToObject(p, "reason", d->pending[i].reason);
			cJSON_AddItemToArray(pending, p);
		}
		cJSON_AddItemToObject(o, "pending", pending);
		domain_overlay_show(d, o, out);
		return print_json(out, o);
	}
	fprintf(out, "domain %s (host %s)\n  etcd: %s (answering: %s)\n", d->name, d->host,
		d->endpoints, st.endpoint[0] ? st.endpoint : "none yet");
	fprintf(out, "  state: %s since %s%s\n  revision: %lld\n", state, since,
		d->booting ? " (on the cache's system VLANs until etcd answers)" : "",
		(long long)d->applied_revision);
	fprintf(out, "  last error: %s\n", st.last_error[0] ? st.last_error : "none");
	if (d->apply_error[0])
		fprintf(out, "  refused here (revision %lld): %s\n",
			(long long)d->apply_error_revision, d->apply_error);
	for (size_t i = 0; i < d->n_pending; i++)
		fprintf(out, "  pending binding %s: %s\n", d->pending[i].port,
			d->pending[i].reason);
	fprintf(out, "  cache: %s\n", d->cache_path[0] ? d->cache_path : "none");
	fprintf(out,
		"  keys: %zu; watch events %llu, full reads %llu, model worked out %llu times\n",
		d->kvs.n, (unsigned long long)d->n_events, (unsigned long long)d->n_reads,
		(unsigned long long)d->n_applies);
	domain_overlay_show(d, NULL, out);
	return 0;
}

/* ---- host show ---------------------------------------------------------------- */

/* Every host the domain knows: registered (hosts/) or not (host-state/). */
static cJSON *host_json(const struct domain_view *v, const char *name)
{
	const struct domain_host *h = domain_view_host(v, name);
	const struct domain_host_state *s = domain_view_host_state(v, name);
	char t[32];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "state", h ? "up" : "down");
	cJSON_AddStringToObject(o, "vtep", h ? h->vtep : "");
	cJSON_AddStringToObject(o, "version", h ? h->version : "");
	format_time(h ? h->started : 0, t, sizeof(t));
	cJSON_AddStringToObject(o, "started", t);
	format_time(s ? s->registered : 0, t, sizeof(t));
	cJSON_AddStringToObject(o, "registered", t);
	/* Up: it kept its lease within the last TTL. Down: a live host saw the
	 * lease expire at down-since, TTL after its last heartbeat. */
	if (h)
		snprintf(t, sizeof(t), "within %d s", AGENT_TTL_SECONDS);
	else if (s && s->down_since)
		format_time(s->down_since - AGENT_TTL_SECONDS, t, sizeof(t));
	else
		snprintf(t, sizeof(t), "unknown");
	cJSON_AddStringToObject(o, "last_heartbeat", t);
	format_time(s && !h ? s->down_since : 0, t, sizeof(t));
	cJSON_AddStringToObject(o, "down_since", h ? "" : t);
	cJSON *ports = cJSON_AddArrayToObject(o, "ports");
	for (size_t i = 0; h && i < h->n_ports; i++)
		cJSON_AddItemToArray(ports, cJSON_CreateString(h->ports[i]));
	cJSON *bindings = cJSON_AddArrayToObject(o, "bindings");
	for (size_t i = 0; i < v->n_bindings; i++) {
		const struct domain_binding *b = &v->bindings[i];
		if (strcmp(b->host, name))
			continue;
		cJSON *bo = cJSON_CreateObject();
		cJSON_AddStringToObject(bo, "port", b->port);
		cJSON_AddStringToObject(bo, "profile", b->profile);
		cJSON_AddItemToArray(bindings, bo);
	}
	size_t macs = 0;
	for (size_t i = 0; i < v->n_macs; i++)
		macs += !strcmp(v->macs[i].host, name);
	cJSON_AddNumberToObject(o, "macs", (double)macs);
	return o;
}

static void host_text(const cJSON *o, FILE *out)
{
	const char *name = cJSON_GetObjectItem(o, "name")->valuestring;
	const char *state = cJSON_GetObjectItem(o, "state")->valuestring;
	fprintf(out, "host %s: %s, last heartbeat %s", name, state,
		cJSON_GetObjectItem(o, "last_heartbeat")->valuestring);
	if (!strcmp(state, "down"))
		fprintf(out, ", down since %s", cJSON_GetObjectItem(o, "down_since")->valuestring);
	fprintf(out, "\n  vtep %s, vswitchd %s, started %s\n  ports:",
		cJSON_GetObjectItem(o, "vtep")->valuestring,
		cJSON_GetObjectItem(o, "version")->valuestring,
		cJSON_GetObjectItem(o, "started")->valuestring);
	const cJSON *item;
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(o, "ports"))
	    fprintf(out, " %s", item->valuestring);
	fprintf(out, "\n  bindings:");
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(o, "bindings"))
	    fprintf(out, " %s (profile %s)", cJSON_GetObjectItem(item, "port")->valuestring,
		    cJSON_GetObjectItem(item, "profile")->valuestring);
	fprintf(out, "\n  MACs allocated: %d\n", cJSON_GetObjectItem(o, "macs")->valueint);
}

static bool listed(cJSON *hosts, const char *name)
{
	const cJSON *item;
	cJSON_ArrayForEach(item, hosts) if (!strcmp(cJSON_GetObjectItem(item, "name")->valuestring,
						    name)) return true;
	return false;
}

static int host_show(struct domain *d, int argc, char **argv, bool json, FILE *out, char *err,
		     size_t err_size)
{
	struct domain_view v;
	int error = domain_view_build(&v, d->name, &d->kvs, err, err_size);
	if (error)
		return error;
	cJSON *hosts = cJSON_CreateArray();
	for (size_t i = 0; i < v.n_hosts; i++)
		if (!argc || !strcmp(argv[0], v.hosts[i].name))
			cJSON_AddItemToArray(hosts, host_json(&v, v.hosts[i].name));
	for (size_t i = 0; i < v.n_host_states; i++) {
		const char *name = v.host_states[i].name;
		if ((!argc || !strcmp(argv[0], name)) && !listed(hosts, name))
			cJSON_AddItemToArray(hosts, host_json(&v, name));
	}
	domain_view_free(&v);
	if (argc && !cJSON_GetArraySize(hosts)) {
		snprintf(err, err_size, "host %s: not in domain %s", argv[0], d->name);
		cJSON_Delete(hosts);
		return -ENOENT;
	}
	/* While headless the hosts are as last seen: say so first. */
	struct agent_status st;
	agent_get_status(d->agent, &st);
	char since[32];
	format_time(st.since, since, sizeof(since));
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "domain", d->name);
		cJSON_AddStringToObject(o, "state", agent_state_name(st.state));
		cJSON_AddStringToObject(o, "since", since);
		cJSON_AddItemToObject(o, "hosts", hosts);
		return print_json(out, o);
	}
	if (st.state != AGENT_ONLINE)
		fprintf(out, "domain %s is %s since %s: hosts as last seen\n", d->name,
			agent_state_name(st.state), since);
	const cJSON *item;
	cJSON_ArrayForEach(item, hosts) host_text(item, out);
	cJSON_Delete(hosts);
	return 0;
}

/* ---- mac allocate --------------------------------------------------------------- */

/* A random locally administered unicast MAC not known taken. */
static void random_mac(const struct domain *d, uint8_t mac[6])
{
	char text[18], key[DOMAIN_KEY_MAX];
	do {
		if (getrandom(mac, 6, 0) != 6)
			for (int i = 0; i < 6; i++)
				mac[i] = (uint8_t)rand();
		mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);
		domain_key(d->name, DOMAIN_KEY_MAC, mac_format(mac, text), key, sizeof(key));
	} while (domain_kvs_find(&d->kvs, key));
}

/* One transaction: every MAC created only if absent; false (nothing
 * written) when one was taken meanwhile. */
static int allocate_batch(struct domain *d, uint8_t (*macs)[6], size_t n, const char *port,
			  bool *done, char *err, size_t err_size)
{
	struct etcd_compare cmp[MAC_BATCH];
	struct etcd_op ops[MAC_BATCH];
	char keys[MAC_BATCH][DOMAIN_KEY_MAX], text[18];
	struct domain_mac m = {.allocated = time(NULL)};
	copy_name(m.host, sizeof(m.host), d->host);
	copy_name(m.port, sizeof(m.port), port ? port : "");
	char *value = domain_mac_encode(&m);
	if (!value) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		domain_key(d->name, DOMAIN_KEY_MAC, mac_format(macs[i], text), keys[i],
			   sizeof(keys[i]));
		cmp[i] =
		    (struct etcd_compare){.key = keys[i], .target = ETCD_COMPARE_CREATE_REVISION};
		ops[i] = (struct etcd_op){.type = ETCD_OP_PUT, .key = keys[i], .value = value};
	}
	int error = etcd_txn(d->client, cmp, n, ops, n, NULL, 0, done, NULL, err, err_size);
	free(value);
	return error;
}

static int mac_allocate(struct domain *d, int argc, char **argv, bool json, FILE *out, char *err,
			size_t err_size)
{
	unsigned long count = 1;
	const char *port = NULL;
	for (int i = 0; i + 1 < argc; i += 2) {
		char *end;
		if (!strcmp(argv[i], "count")) {
			count = strtoul(argv[i + 1], &end, 10);
			if (*end || count < 1 || count > MAC_MAX_COUNT) {
				snprintf(err, err_size, "mac allocate: count must be 1-%d",
					 MAC_MAX_COUNT);
				return -EINVAL;
			}
		} else if (!strcmp(argv[i], "port")) {
			if (command_check_name("port", argv[i + 1], DOMAIN_NAME_MAX, err, err_size))
				return -EINVAL;
			port = argv[i + 1];
		} else {
			argc = -1;
		}
	}
	if (argc % 2) {
		snprintf(err, err_size, "usage: mac allocate [count N] [port PORT]");
		return -EINVAL;
	}
	int error = domain_check_online(d, err, err_size);
	if (error)
		return error;
	cJSON *list = json ? cJSON_CreateArray() : NULL;
	uint8_t macs[MAC_BATCH][6];
	char text[18];
	unsigned long given = 0;
	while (!error && given < count) {
		size_t n = count - given < MAC_BATCH ? count - given : MAC_BATCH;
		bool done = false;
		for (int attempt = 0; !error && !done; attempt++) {
			if (attempt == MAC_MAX_RETRIES) {
				snprintf(err, err_size, "mac allocate: %d collisions in a row",
					 MAC_MAX_RETRIES);
				error = -EAGAIN;
				break;
			}
			for (size_t i = 0; i < n; i++)
				random_mac(d, macs[i]);
			error = allocate_batch(d, macs, n, port, &done, err, err_size);
		}
		for (size_t i = 0; !error && i < n; i++) {
			mac_format(macs[i], text);
			if (list)
				cJSON_AddItemToArray(list, cJSON_CreateString(text));
			else
				fprintf(out, "%s\n", text);
		}
		given += error ? 0 : n;
	}
	if (list) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "macs", list);
		print_json(out, o);
	}
	if (error && given)
		snprintf(err + strlen(err), err_size - strlen(err), " (%lu allocated before)",
			 given);
	return error;
}

/* ---- profile and binding edits, written to etcd ---------------------------------- */

/* What one edit writes: keys, values and the compares that make it hold
 * only over what this host read. */
struct edit {
	struct domain *d;
	struct etcd_compare cmp[EDIT_MAX_OPS];
	struct etcd_op ops[EDIT_MAX_OPS];
	char keys[EDIT_MAX_OPS][DOMAIN_KEY_MAX];
	char *values[EDIT_MAX_OPS];
	size_t n_cmp, n_ops;
};

/* The key must still be as this host read it (absent, or at its revision). */
static void edit_expect(struct edit *e, const char *key)
{
	const struct domain_kv *kv = domain_kvs_find(&e->d->kvs, key);
	if (e->n_cmp == EDIT_MAX_OPS)
		return;
	e->cmp[e->n_cmp++] = (struct etcd_compare){.key = key,
						   .target = kv ? ETCD_COMPARE_MOD_REVISION
								: ETCD_COMPARE_CREATE_REVISION,
						   .number = kv ? kv->mod_revision : 0};
}

/* Adds a put (value taken, NULL: a delete) of kind/name; -E2BIG when full. */
static int edit_add(struct edit *e, enum domain_kind kind, const char *name, char *value)
{
	if (e->n_ops == EDIT_MAX_OPS) {
		free(value);
		return -E2BIG;
	}
	char *key = e->keys[e->n_ops];
	domain_key(e->d->name, kind, name, key, DOMAIN_KEY_MAX);
	e->values[e->n_ops] = value;
	e->ops[e->n_ops] = (struct etcd_op){
	    .type = value ? ETCD_OP_PUT : ETCD_OP_DELETE, .key = key, .value = value};
	e->n_ops++;
	edit_expect(e, key);
	return 0;
}

static void to_domain_settings(struct domain_setting *to, const struct profile_setting *from, int n)
{
	for (int i = 0; i < n; i++) {
		copy_name(to[i].key, sizeof(to[i].key), from[i].key);
		copy_name(to[i].value, sizeof(to[i].value), from[i].value);
	}
}

/* The local copy knows this host's bindings only: a profile another
 * host's port is bound to stays. */
static int check_unused_elsewhere(struct domain *d, const char *profile, char *err, size_t err_size)
{
	struct domain_view v;
	int error = domain_view_build_kinds(&v, d->name, &d->kvs, DOMAIN_VIEW_MODEL, err, err_size);
	for (size_t i = 0; !error && i < v.n_bindings; i++) {
		const struct domain_binding *b = &v.bindings[i];
		if (!strcmp(b->profile, profile) && strcmp(b->host, d->host)) {
			snprintf(err, err_size,
				 "profile %s: in use by port %s on host %s (unbind it first)",
				 profile, b->port, b->host);
			error = -EBUSY;
		}
	}
	domain_view_free(&v);
	return error;
}

static int edit_profiles(struct edit *e, const struct config *old, const struct config *next,
			 char *err, size_t err_size)
{
	static struct domain_profile dp;
	int error = 0;
	for (size_t i = 0; !error && i < next->n_profiles; i++) {
		const struct profile_config *p = &next->profiles[i];
		const struct profile_config *was = config_find_profile(old, p->name);
		if (was && !strcmp(was->inherit, p->inherit) &&
		    !memcmp(was->system_vids, p->system_vids, sizeof(p->system_vids)) &&
		    config_settings_equal(was->settings, was->n_settings, p->settings,
					  p->n_settings))
			continue;
		memset(&dp, 0, sizeof(dp));
		copy_name(dp.name, sizeof(dp.name), p->name);
		copy_name(dp.inherit, sizeof(dp.inherit), p->inherit);
		config_format_vids(p->system_vids, dp.system_vlans, sizeof(dp.system_vlans));
		dp.n_settings = p->n_settings;
		to_domain_settings(dp.settings, p->settings, p->n_settings);
		char *value = domain_profile_encode(&dp);
		error = value ? edit_add(e, DOMAIN_KEY_PROFILE, p->name, value) : -ENOMEM;
	}
	for (size_t i = 0; !error && i < old->n_profiles; i++) {
		const char *name = old->profiles[i].name;
		if (config_find_profile(next, name))
			continue;
		error = check_unused_elsewhere(e->d, name, err, err_size);
		if (!error)
			error = edit_add(e, DOMAIN_KEY_PROFILE, name, NULL);
	}
	return error;
}

/* A MAC a port binds (its security `mac`) must be the port's own in
 * macs/, or free: then the binding takes it in the same transaction. */
static int edit_mac(struct edit *e, const struct config_port *port, char *err, size_t err_size)
{
	const struct port_security *s = &port->settings.security;
	if (!s->has_mac)
		return 0;
	char text[18], key[DOMAIN_KEY_MAX], msg[256];
	mac_format(s->pairs[0].mac, text);
	domain_key(e->d->name, DOMAIN_KEY_MAC, text, key, sizeof(key));
	const struct domain_kv *kv = domain_kvs_find(&e->d->kvs, key);
	struct domain_mac m;
	if (kv && !domain_mac_decode(text, kv->value, kv->value_len, &m, msg, sizeof(msg))) {
		bool ours =
		    !strcmp(m.host, e->d->host) && (!m.port[0] || !strcmp(m.port, port->name));
		if (!ours) {
			snprintf(err, err_size,
				 "port %s: MAC %s is already allocated to %s%s%s on host %s: a MAC "
				 "is bound once in domain %s",
				 port->name, text, m.port[0] ? "port " : "an unbound allocation",
				 m.port, m.port[0] ? "" : "", m.host, e->d->name);
			return -EEXIST;
		}
		if (m.port[0])
			return 0;
	}
	m = (struct domain_mac){.allocated = time(NULL)};
	memcpy(m.mac, s->pairs[0].mac, 6);
	copy_name(m.host, sizeof(m.host), e->d->host);
	copy_name(m.port, sizeof(m.port), port->name);
	char *value = domain_mac_encode(&m);
	return value ? edit_add(e, DOMAIN_KEY_MAC, text, value) : -ENOMEM;
}

static int edit_bindings(struct edit *e, const struct config *old, const struct config *next,
			 char *err, size_t err_size)
{
	static struct domain_binding b;
	int error = 0;
	for (size_t i = 0; !error && i < next->n_ports; i++) {
		const struct config_port *p = &next->ports[i];
		const struct config_port *was = config_find_port(old, p->name);
		if (was && !strcmp(was->profile, p->profile) &&
		    config_settings_equal(was->overrides, was->n_overrides, p->overrides,
					  p->n_overrides))
			continue;
		if (!p->profile[0]) {
			error = edit_add(e, DOMAIN_KEY_BINDING, p->name, NULL);
			continue;
		}
		memset(&b, 0, sizeof(b));
		copy_name(b.port, sizeof(b.port), p->name);
		copy_name(b.host, sizeof(b.host), e->d->host);
		copy_name(b.sw, sizeof(b.sw), p->sw);
		copy_name(b.profile, sizeof(b.profile), p->profile);
		b.n_overrides = p->n_overrides;
		to_domain_settings(b.overrides, p->overrides, p->n_overrides);
		char *value = domain_binding_encode(&b);
		error = value ? edit_add(e, DOMAIN_KEY_BINDING, p->name, value) : -ENOMEM;
		if (!error)
			error = edit_mac(e, p, err, err_size);
	}
	return error;
}

/* A port name is bound on one host of the domain at a time. */
static int check_binding_host(struct domain *d, const char *port, char *err, size_t err_size)
{
	char key[DOMAIN_KEY_MAX], msg[256];
	static struct domain_binding b;
	domain_key(d->name, DOMAIN_KEY_BINDING, port, key, sizeof(key));
	const struct domain_kv *kv = domain_kvs_find(&d->kvs, key);
	if (!kv || domain_binding_decode(port, kv->value, kv->value_len, &b, msg, sizeof(msg)) ||
	    !strcmp(b.host, d->host))
		return 0;
	snprintf(err, err_size,
		 "port %s is bound on host %s in domain %s: port names are unique "
		 "in the domain (port move PORT host HOST moves it)",
		 port, b.host, d->name);
	return -EEXIST;
}

static int domain_edit(struct domain *d, int argc, char **argv, char *err, size_t err_size)
{
	int error = domain_check_online(d, err, err_size);
	if (error)
		return error;
	if (!strcmp(argv[0], "port") && argc > 2 &&
	    (error = check_binding_host(d, argv[2], err, err_size)))
		return error;
	struct config *next = config_copy(d->state->running);
	if (!next) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	next->source[0] = '\0';
	struct command_context ctx = {.cfg = next, .domain_edit = true};
	error = command_run(&ctx, argc, argv, err, err_size);
	if (!error)
		error = config_resolve_profiles(next, err, err_size);
	if (!error)
		error = config_check(next, err, err_size);
	static struct edit e;
	memset(&e, 0, sizeof(e));
	e.d = d;
	if (!error)
		error = edit_profiles(&e, d->state->running, next, err, err_size);
	if (!error)
		error = edit_bindings(&e, d->state->running, next, err, err_size);
	if (error == -E2BIG)
		snprintf(err, err_size, "domain %s: one change may write at most %d keys", d->name,
			 EDIT_MAX_OPS);
	else if (error == -ENOMEM)
		snprintf(err, err_size, "out of memory");
	config_free(next);
	bool done = false;
	int64_t revision = 0;
	if (!error && e.n_ops) {
		error = etcd_txn(d->client, e.cmp, e.n_cmp, e.ops, e.n_ops, NULL, 0, &done,
				 &revision, err, err_size);
		if (!error && !done) {
			snprintf(err, err_size,
				 "domain %s: changed meanwhile by another host: nothing written; "
				 "try again",
				 d->name);
			error = -EAGAIN;
		}
	}
	for (size_t i = 0; i < e.n_ops; i++)
		free(e.values[i]);
	if (!error && e.n_ops)
		error = domain_wait_applied(d, revision, DOMAIN_WAIT_MS, err, err_size);
	return error;
}

/* ---- dispatch ---------------------------------------------------------------------- */

static bool is(int argc, char **argv, const char *verb, const char *object)
{
	return argc >= 2 && !strcmp(argv[0], verb) && !strcmp(argv[1], object);
}

static bool local_profile(const struct domain *d, const char *name)
{
	const struct profile_config *p = config_find_profile(d->state->running, name);
	return p && !p->domain;
}

/* The edits that belong to the domain while it is on: new profiles and the
 * domain's own; bindings to them; unbinding or unsetting a port the domain
 * bound. Profiles of the startup file stay local. */
static bool is_domain_edit(const struct domain *d, int argc, char **argv)
{
	if (is(argc, argv, "profile", "add"))
		return true;
	if (argc >= 3 && (is(argc, argv, "profile", "set") || is(argc, argv, "profile", "unset") ||
			  is(argc, argv, "profile", "del")))
		return !local_profile(d, argv[2]);
	if (argc >= 5 && is(argc, argv, "port", "bind"))
		return !local_profile(d, argv[4]);
	const struct config_port *port =
	    argc >= 3 && (is(argc, argv, "port", "unset") || is(argc, argv, "port", "unbind"))
		? config_find_port(d->state->running, argv[2])
		: NULL;
	return port && port->domain;
}

int domain_command(struct domain *d, int argc, char **argv, bool json, FILE *out, char *err,
		   size_t err_size)
{
	bool ours = is(argc, argv, "domain", "show") || is(argc, argv, "host", "show") ||
		    is(argc, argv, "mac", "allocate") || is(argc, argv, "port", "move");
	if (!d) {
		if (!ours)
			return 1;
		snprintf(err, err_size,
			 "%s %s: this vswitchd is not in a domain (start it with --domain NAME "
			 "--etcd URL)",
			 argv[0], argv[1]);
		return -ENOTCONN;
	}
	domain_process(d); /* answer from the latest changes */
	if (is(argc, argv, "domain", "show"))
		return domain_show(d, json, out);
	if (is(argc, argv, "host", "show"))
		return host_show(d, argc - 2, argv + 2, json, out, err, err_size);
	if (is(argc, argv, "mac", "allocate"))
		return mac_allocate(d, argc - 2, argv + 2, json, out, err, err_size);
	if (is(argc, argv, "port", "move"))
		return domain_move_command(d, argc - 2, argv + 2, err, err_size);
	if (is_domain_edit(d, argc, argv))
		return domain_edit(d, argc, argv, err, err_size);
	return 1;
}
