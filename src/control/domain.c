/* domain.c — see domain.h. The model is always worked out whole from the
 * running model and the domain's keys: the domain's profiles replace the
 * profiles marked `domain`, its bindings for this host bind their ports,
 * and the result goes through the same check and prepared difference as a
 * command's edit, so only what changed reaches the datapath. */
#include "domain.h"
#include "domain_move.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

#ifndef VSWITCH_VERSION
#define VSWITCH_VERSION "unknown"
#endif

/* ---- the domain's keys into the model ------------------------------------ */

static void setting_copy(struct profile_setting *to, const struct domain_setting *from)
{
	copy_name(to->key, sizeof(to->key), from->key);
	copy_name(to->value, sizeof(to->value), from->value);
}

/* The domain's profiles replace the model's domain profiles (and a local
 * one of the same name, which a saved startup file may hold). */
static int put_profiles(struct config *next, const struct domain_view *view, char *err,
			size_t err_size)
{
	for (size_t i = 0; i < next->n_profiles;) {
		const struct profile_config *p = &next->profiles[i];
		if (p->domain || domain_view_profile(view, p->name))
			config_del_profile(next, p->name);
		else
			i++;
	}
	for (size_t i = 0; i < view->n_profiles; i++) {
		const struct domain_profile *dp = &view->profiles[i];
		struct profile_config *p = config_add_profile(next);
		if (!p) {
			snprintf(err, err_size, "out of memory");
			return -ENOMEM;
		}
		copy_name(p->name, sizeof(p->name), dp->name);
		copy_name(p->inherit, sizeof(p->inherit), dp->inherit);
		if (dp->system_vlans[0] &&
		    config_parse_vids(dp->system_vlans, p->system_vids, err, err_size)) {
			char reason[512];
			snprintf(reason, sizeof(reason), "%s", err);
			snprintf(err, err_size, "profile %s: system-vlans: %s", dp->name, reason);
			return -EINVAL;
		}
		for (int k = 0; k < dp->n_settings && k < PROFILE_MAX_SETTINGS; k++)
			setting_copy(&p->settings[k], &dp->settings[k]);
		p->n_settings =
		    dp->n_settings < PROFILE_MAX_SETTINGS ? dp->n_settings : PROFILE_MAX_SETTINGS;
		p->domain = true;
	}
	return 0;
}

static void add_pending(struct domain *d, const char *port, const char *reason)
{
	struct domain_pending *grown = realloc(d->pending, (d->n_pending + 1) * sizeof(*grown));
	if (!grown)
		return;
	d->pending = grown;
	struct domain_pending *p = &d->pending[d->n_pending++];
	copy_name(p->port, sizeof(p->port), port);
	snprintf(p->reason, sizeof(p->reason), "%s", reason);
}

/* This host's bindings bind their ports; a port the domain no longer binds
 * keeps what it ran with, as its own settings (as `port unbind`). */
static void put_bindings(struct domain *d, struct config *next, const struct domain_view *view)
{
	d->n_pending = 0;
	for (size_t i = 0; i < next->n_ports; i++) {
		struct config_port *port = &next->ports[i];
		const struct domain_binding *b = domain_view_binding(view, port->name);
		if (port->domain && (!b || strcmp(b->host, d->host))) {
			port->profile[0] = '\0';
			port->n_overrides = 0;
			port->domain = false;
		}
	}
	for (size_t i = 0; i < view->n_bindings; i++) {
		const struct domain_binding *b = &view->bindings[i];
		if (strcmp(b->host, d->host))
			continue;
		struct config_port *port = config_find_port(next, b->port);
		char reason[128];
		if (!port || (b->sw[0] && strcmp(port->sw, b->sw))) {
			snprintf(reason, sizeof(reason),
				 port ? "on switch %s here, not %s" : "no such port on this host",
				 port ? port->sw : "", b->sw);
			add_pending(d, b->port, reason);
			continue;
		}
		copy_name(port->profile, sizeof(port->profile), b->profile);
		port->n_overrides =
		    b->n_overrides < PROFILE_MAX_SETTINGS ? b->n_overrides : PROFILE_MAX_SETTINGS;
		for (int k = 0; k < port->n_overrides; k++)
			setting_copy(&port->overrides[k], &b->overrides[k]);
		port->domain = true;
	}
}

/* The system VLANs of a profile and its ancestors. */
static void system_vids(const struct config *cfg, const char *name, uint64_t out[VLAN_WORDS])
{
	memset(out, 0, VLAN_WORDS * sizeof(uint64_t));
	const struct profile_config *p = config_find_profile(cfg, name);
	for (size_t depth = 0; p && depth <= cfg->n_profiles; depth++) {
		for (unsigned w = 0; w < VLAN_WORDS; w++)
			out[w] |= p->system_vids[w];
		p = p->inherit[0] ? config_find_profile(cfg, p->inherit) : NULL;
	}
}

/* Before the domain answered at boot: a bound port forwards only on its
 * profile's system VLANs (the VEM's rule for management and storage). */
static void restrict_to_system_vlans(struct config *next)
{
	for (size_t i = 0; i < next->n_ports; i++) {
		struct config_port *port = &next->ports[i];
		if (!port->domain)
			continue;
		uint64_t sys[VLAN_WORDS];
		system_vids(next, port->profile, sys);
		struct port_config *s = &port->settings;
		for (unsigned w = 0; w < VLAN_WORDS; w++)
			s->vids[w] &= sys[w];
		/* Untagged frames of a VLAN that is not a system VLAN are dropped. */
		if (!bitset_test(sys, s->pvid))
			s->pvid = 0;
	}
}

/* ---- the cache of this host's part of the domain ---------------------------- */

/* Keys worth keeping for a boot without etcd: every profile and this
 * host's bindings. */
static bool cached_key(const struct domain *d, const struct domain_kv *kv)
{
	char prefix[DOMAIN_KEY_MAX], name[DOMAIN_NAME_MAX], err[256];
	domain_prefix(d->name, prefix, sizeof(prefix));
	enum domain_kind kind = domain_key_parse(prefix, kv->key, name, sizeof(name));
	if (kind == DOMAIN_KEY_PROFILE || kind == DOMAIN_KEY_VERSION)
		return true;
	static struct domain_binding b;
	return kind == DOMAIN_KEY_BINDING &&
	       !domain_binding_decode(name, kv->value, kv->value_len, &b, err, sizeof(err)) &&
	       !strcmp(b.host, d->host);
}

static void cache_write(struct domain *d)
{
	if (!d->cache_path[0])
		return;
	cJSON *root = cJSON_CreateObject(), *keys = cJSON_CreateObject();
	char tmp[4200];
	char *text = NULL;
	if (root && keys) {
		cJSON_AddStringToObject(root, "domain", d->name);
		cJSON_AddStringToObject(root, "host", d->host);
		cJSON_AddNumberToObject(root, "revision", (double)d->kvs.revision);
		for (size_t i = 0; i < d->kvs.n; i++)
			if (cached_key(d, &d->kvs.v[i]))
				cJSON_AddStringToObject(keys, d->kvs.v[i].key, d->kvs.v[i].value);
		/* Other hosts' changes leave this host's part as it was: no
		 * write, no fsync. */
		char *part = cJSON_PrintUnformatted(keys);
		if (part && d->cached && !strcmp(part, d->cached)) {
			free(part);
			cJSON_Delete(root);
			cJSON_Delete(keys);
			return;
		}
		free(d->cached);
		d->cached = part;
		cJSON_AddItemToObject(root, "keys", keys);
		keys = NULL;
		text = cJSON_Print(root);
	}
	cJSON_Delete(root);
	cJSON_Delete(keys);
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->cache_path);
	int fd = text ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	bool ok =
	    fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text) && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok || rename(tmp, d->cache_path) < 0) {
		free(d->cached); /* try again next time */
		d->cached = NULL;
		log_error("domain %s: cannot write the cache %s: %s", d->name, d->cache_path,
			  text ? strerror(errno) : "out of memory");
		unlink(tmp);
	}
	free(text);
}

/* Fills d->kvs from the cache; false when there is none usable. */
static bool cache_read(struct domain *d)
{
	FILE *f = d->cache_path[0] ? fopen(d->cache_path, "re") : NULL;
	if (!f)
		return false;
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	char buf[4096];
	size_t got;
	while (mem && (got = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, got, mem);
	fclose(f);
	if (mem)
		fclose(mem);
	cJSON *root = text ? cJSON_ParseWithLength(text, len) : NULL;
	free(text);
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(root, "keys");
	const cJSON *domain = cJSON_GetObjectItemCaseSensitive(root, "domain"), *kv;
	bool ok =
	    cJSON_IsObject(keys) && cJSON_IsString(domain) && !strcmp(domain->valuestring, d->name);
	const cJSON *list = ok ? keys : NULL;
	cJSON_ArrayForEach(kv, list)
	{
		if (cJSON_IsString(kv))
			domain_kvs_put(&d->kvs, kv->string, kv->valuestring,
				       strlen(kv->valuestring), 0, 0);
	}
	if (!ok)
		log_error("domain %s: the cache %s is not this domain's: ignored", d->name,
			  d->cache_path);
	cJSON_Delete(root);
	return ok;
}

/* ---- applying ------------------------------------------------------------ */

static void port_list(const struct config *cfg, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < cfg->n_ports; i++) {
		int n = snprintf(buf + used, size - used, "%s,", cfg->ports[i].name);
		if (n > 0 && used + (size_t)n < size)
			used += (size_t)n;
	}
}

static bool ports_changed(struct domain *d)
{
	char ports[sizeof(d->registered_ports)];
	port_list(d->state->running, ports, sizeof(ports));
	return strcmp(ports, d->registered_ports) != 0;
}

/* hosts/HOST lists the local ports; put again when they change. */
static void update_registration(struct domain *d)
{
	char ports[sizeof(d->registered_ports)];
	const struct config *cfg = d->state->running;
	port_list(cfg, ports, sizeof(ports));
	char **names = calloc(cfg->n_ports + 1, sizeof(*names));
	if (!names)
		return;
	for (size_t i = 0; i < cfg->n_ports; i++)
		names[i] = (char *)cfg->ports[i].name;
	if (d->agent && strcmp(ports, d->registered_ports)) {
		struct domain_host h = {
		    .started = d->started, .ports = names, .n_ports = cfg->n_ports};
		copy_name(h.version, sizeof(h.version), VSWITCH_VERSION);
		copy_name(h.vtep, sizeof(h.vtep), d->vtep);
		char *value = domain_overlay_host_value(d, &h);
		if (value) {
			agent_set_host_value(d->agent, value);
			memcpy(d->registered_ports, ports, sizeof(ports));
		}
		free(value);
	}
	free(names);
}

void domain_set_vtep(struct domain *d, const char *address)
{
	if (!strcmp(d->vtep, address))
		return;
	copy_name(d->vtep, sizeof(d->vtep), address);
	copy_name(d->registered_ports, sizeof(d->registered_ports), "?"); /* no list: put again */
	update_registration(d);
}

void domain_register_again(struct domain *d)
{
	copy_name(d->registered_ports, sizeof(d->registered_ports), "?"); /* no list: put again */
	update_registration(d);
}

/* Works the model out from the running one and the domain's keys and
 * makes it the running one, or records why not. */
int domain_model(struct domain *d, const struct config *running, const struct domain_view *view,
		 struct config **out, char *err, size_t err_size)
{
	struct config *next = config_copy(running);
	int error = next ? put_profiles(next, view, err, err_size) : -ENOMEM;
	if (error == -ENOMEM)
		snprintf(err, err_size, "out of memory");
	if (!error) {
		next->source[0] = '\0';
		put_bindings(d, next, view);
		error = config_resolve_profiles(next, err, err_size);
	}
	if (!error && d->booting)
		restrict_to_system_vlans(next);
	if (error) {
		config_free(next);
		next = NULL;
	}
	*out = next;
	return error;
}

static void domain_apply(struct domain *d)
{
	char err[512] = "";
	struct domain_view view;
	struct config *next = NULL;
	int error =
	    domain_view_build_kinds(&view, d->name, &d->kvs, DOMAIN_VIEW_MODEL, err, sizeof(err));
	if (!error) {
		error = domain_model(d, d->state->running, &view, &next, err, sizeof(err));
		if (!error) {
			domain_move_prepare(d, &view, next);
			error = control_commit_resolved(d->state, next, err, sizeof(err));
			next = NULL; /* taken */
		}
		domain_view_free(&view);
	}
	config_free(next);
	d->n_applies++;
	d->applied_revision = d->kvs.revision;
	if (error) {
		log_error("domain %s: the change at revision %lld is refused here, the last "
			  "configuration kept: %s",
			  d->name, (long long)d->kvs.revision, err);
		snprintf(d->apply_error, sizeof(d->apply_error), "%s", err);
		d->apply_error_revision = d->kvs.revision;
		return;
	}
	d->apply_error[0] = '\0';
	domain_move_applied(d);
	if (!d->booting)
		cache_write(d);
	update_registration(d);
}

/* Whether a key changes the model (profiles and bindings do; hosts, MACs
 * and host states only what `host show` prints). */
static bool key_shapes_model(const struct domain *d, const char *key)
{
	char prefix[DOMAIN_KEY_MAX], name[DOMAIN_NAME_MAX];
	domain_prefix(d->name, prefix, sizeof(prefix));
	enum domain_kind kind = domain_key_parse(prefix, key, name, sizeof(name));
	return kind == DOMAIN_KEY_PROFILE || kind == DOMAIN_KEY_BINDING ||
	       kind == DOMAIN_KEY_VERSION;
}

void domain_process(struct domain *d)
{
	size_t n;
	struct agent_change *changes = agent_take(d->agent, &n);
	bool shaped = false;
	for (size_t i = 0; i < n; i++) {
		const struct agent_change *c = &changes[i];
		d->n_events += c->n;
		if (c->reset) {
			d->n_reads++;
			domain_kvs_clear(&d->kvs);
			shaped = true;
			if (d->booting)
				log_info("domain %s: first read at revision %lld: bound ports take "
					 "their full profiles",
					 d->name, (long long)c->revision);
			d->booting = false;
		}
		for (size_t k = 0; k < c->n; k++) {
			const struct agent_event *e = &c->events[k];
			shaped |= key_shapes_model(d, e->key);
			if (e->deleted)
				domain_kvs_delete(&d->kvs, e->key);
			else if (domain_kvs_put(&d->kvs, e->key, e->value, e->value_len,
						e->create_revision, e->mod_revision))
				log_error("domain %s: out of memory keeping the domain's keys",
					  d->name);
		}
		d->kvs.revision = c->revision;
	}
	agent_changes_free(changes, n);
	if (shaped)
		domain_apply(d);
	else if (n)
		d->applied_revision = d->kvs.revision;
	domain_move_sync(d);
	if (n)
		domain_overlay_update(d);
}

void domain_event(void *arg)
{
	domain_process(arg);
}

int domain_event_fd(const struct domain *d)
{
	return agent_event_fd(d->agent);
}

int domain_wait_applied(struct domain *d, int64_t revision, unsigned timeout_ms, char *err,
			size_t err_size)
{
	uint64_t deadline = time_now_ns() + (uint64_t)timeout_ms * 1000000;
	while (d->applied_revision < revision) {
		uint64_t now = time_now_ns();
		if (now >= deadline) {
			snprintf(err, err_size,
				 "domain %s: written at revision %lld but not back by the watch "
				 "within %u ms: it applies when it arrives",
				 d->name, (long long)revision, timeout_ms);
			return -ETIMEDOUT;
		}
		struct pollfd pfd = {.fd = agent_event_fd(d->agent), .events = POLLIN};
		poll(&pfd, 1, (int)((deadline - now) / 1000000) + 1);
		domain_process(d);
	}
	if (d->apply_error[0] && d->apply_error_revision >= revision) {
		snprintf(err, err_size, "domain %s: written, but refused on this host: %s", d->name,
			 d->apply_error);
		return -EINVAL;
	}
	return 0;
}

int domain_check_online(struct domain *d, char *err, size_t err_size)
{
	struct agent_status st;
	agent_get_status(d->agent, &st);
	if (st.state == AGENT_ONLINE)
		return 0;
	char since[64];
	time_t t = (time_t)st.since;
	strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	if (st.state == AGENT_HEADLESS)
		snprintf(err, err_size,
			 "domain %s is headless (etcd unreachable since %s): profile changes are "
			 "refused; the switch keeps forwarding with its last configuration",
			 d->name, since);
	else
		snprintf(err, err_size,
			 "domain %s is connecting to etcd (since %s): profile changes are refused "
			 "until it answers",
			 d->name, since);
	return -EAGAIN;
}

/* ---- open and close ---------------------------------------------------------- */

static int read_password(const char *path, char *buf, size_t size, char *err, size_t err_size)
{
	FILE *f = fopen(path, "re");
	if (!f || !fgets(buf, (int)size, f)) {
		snprintf(err, err_size, "--etcd-password-file %s: %s", path,
			 f ? "empty" : strerror(errno));
		if (f)
			fclose(f);
		return -EINVAL;
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static void default_cache_path(struct domain *d, const char *config_path)
{
	if (!config_path)
		return;
	const char *slash = strrchr(config_path, '/');
	int dir = slash ? (int)(slash - config_path) : 1;
	snprintf(d->cache_path, sizeof(d->cache_path), "%.*s/domain-%s.cache.json", dir,
		 slash ? config_path : ".", d->name);
}

struct domain *domain_open(const struct domain_options *o, struct control_state *state, char *err,
			   size_t err_size)
{
	struct domain *d = calloc(1, sizeof(*d));
	char hostname[256] = "", password[256] = "";
	if (!d) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	d->state = state;
	d->started = time(NULL);
	if (!o->host && gethostname(hostname, sizeof(hostname)) < 0)
		hostname[0] = '\0';
	const char *host = o->host ? o->host : hostname;
	if (command_check_name("domain", o->domain, DOMAIN_NAME_MAX, err, err_size) ||
	    command_check_name("host", host, DOMAIN_NAME_MAX, err, err_size))
		goto fail;
	copy_name(d->name, sizeof(d->name), o->domain);
	copy_name(d->host, sizeof(d->host), host);
	snprintf(d->endpoints, sizeof(d->endpoints), "%s", o->endpoints ? o->endpoints : "");
	if (o->password_file &&
	    read_password(o->password_file, password, sizeof(password), err, err_size))
		goto fail;
	struct etcd_client_options etcd = {.endpoints = o->endpoints,
					   .ca_file = o->ca_file,
					   .cert_file = o->cert_file,
					   .key_file = o->key_file,
					   .user = o->user,
					   .password = o->password_file ? password : NULL};
	d->client = etcd_client_create(&etcd, err, err_size);
	if (!d->client)
		goto fail;
	if (o->cache_path)
		snprintf(d->cache_path, sizeof(d->cache_path), "%s", o->cache_path);
	else
		default_cache_path(d, state->config_path);
	/* Before etcd answers: the last known bindings, on system VLANs only. */
	d->booting = true;
	if (cache_read(d)) {
		log_info("domain %s: cache %s read: bound ports forward on their system VLANs "
			 "until etcd answers",
			 d->name, d->cache_path);
		domain_apply(d);
	}
	struct domain_host h = {.started = d->started};
	copy_name(h.version, sizeof(h.version), VSWITCH_VERSION);
	char *value = domain_host_encode(&h);
	struct agent_options ao = {.domain = d->name,
				   .host = d->host,
				   .etcd = etcd,
				   .host_value = value,
				   .mac_grace_seconds = o->mac_grace_seconds};
	d->agent = value ? agent_start(&ao, err, err_size) : NULL;
	free(value);
	explicit_bzero(password, sizeof(password));
	if (!d->agent)
		goto fail;
	d->move = domain_move_create(d, agent_event_fd(d->agent));
	update_registration(d);
	state->domain = d;
	log_info("domain %s: host %s, etcd %s", d->name, d->host, d->endpoints);
	return d;
fail:
	explicit_bzero(password, sizeof(password));
	domain_close(d);
	return NULL;
}

void domain_close(struct domain *d)
{
	if (!d)
		return;
	if (d->state && d->state->domain == d)
		d->state->domain = NULL;
	domain_move_destroy(d->move);
	agent_stop(d->agent);
	domain_overlay_free(d);
	etcd_client_destroy(d->client);
	domain_kvs_clear(&d->kvs);
	free(d->pending);
	free(d->cached);
	free(d);
}

int domain_handle(void *arg, int argc, char **argv, bool json, char **output, size_t *output_len,
		  char *err, size_t err_size)
{
	struct control_state *state = arg;
	*output = NULL;
	*output_len = 0;
	FILE *out = open_memstream(output, output_len);
	if (!out) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	struct domain *d = state->domain;
	int status = domain_command(d, argc, argv, json, out, err, err_size);
	if (status == 1) {
		status = control_execute(state, argc, argv, json, out, err, err_size);
		/* A reload drops what the domain bound, a new port may be one a
		 * binding waits for: work the domain's part out again. */
		if (!status && d && (!strcmp(argv[0], "reload") || ports_changed(d)))
			domain_apply(d);
		if (!status && d)
			domain_overlay_update(d);
		if (!status && argc == 1 && !strcmp(argv[0], "help"))
			fprintf(out, "  domain show\n  host show [HOST]\n"
				     "  mac allocate [count N] [port PORT]\n"
				     "  port move PORT host HOST\n");
	}
	fclose(out);
	return status;
}
