/* domain_move.c — see domain_move.h. The binding's `host` is the one truth
 * about where a VM's port lives: the host that loses it writes what the
 * port counted (and the MACs it learned there) to counters/PORT and removes
 * the port, so the VM is never reachable in two places; the host that
 * gains it adds those counters as an offset kept beside the engine's (read
 * only when counters are shown, never per packet) and sends a gratuitous
 * RARP from each of the VM's MACs as if the VM had, so every switch on the
 * way relearns it at once. */
#include "domain_move.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "domain.h"
#include "engine/datapath.h"
#include "engine/engine.h"
#include "lib/frame.h"
#include "lib/log.h"
#include "lib/util.h"

#define MOVE_MAX_OPS 64 /* the binding and the port's MAC allocations */

/* A port bound here: the counters/PORT revision it last took. */
struct move_port {
	char name[DOMAIN_NAME_MAX];
	int64_t revision;
	uint64_t written; /* the packet count last written, to skip idle ports */
};

struct domain_move {
	struct domain *d;
	int event_fd;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop, started;
	char (*noted)[DOMAIN_NAME_MAX]; /* ports that became bound here */
	size_t n_noted;
	struct move_port *ports;
	size_t n_ports;
	uint64_t last_write_ns;
};

/* ---- counters/PORT ------------------------------------------------------- */

char *domain_counters_encode(const struct domain_counters *m)
{
	cJSON *o = cJSON_CreateObject(), *drops = cJSON_CreateObject(), *macs = cJSON_CreateArray();
	char text[18];
	cJSON_AddStringToObject(o, "host", m->host);
	cJSON_AddBoolToObject(o, "released", m->released);
	cJSON_AddNumberToObject(o, "time", (double)time(NULL));
	cJSON_AddNumberToObject(o, "rx_packets", (double)m->c.rx_packets);
	cJSON_AddNumberToObject(o, "rx_bytes", (double)m->c.rx_bytes);
	cJSON_AddNumberToObject(o, "tx_packets", (double)m->c.tx_packets);
	cJSON_AddNumberToObject(o, "tx_bytes", (double)m->c.tx_bytes);
	cJSON_AddNumberToObject(o, "mac_moves", (double)m->c.mac_moves);
	cJSON_AddNumberToObject(o, "consumed", (double)m->c.consumed);
	for (int r = 1; r < DROP_MAX; r++)
		if (m->c.drops[r])
			cJSON_AddNumberToObject(drops, drop_reason_name((enum drop_reason)r),
						(double)m->c.drops[r]);
	cJSON_AddItemToObject(o, "drops", drops);
	for (int i = 0; i < m->n_macs; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "mac", mac_format(m->macs[i], text));
		cJSON_AddNumberToObject(e, "vid", m->vids[i]);
		cJSON_AddItemToArray(macs, e);
	}
	cJSON_AddItemToObject(o, "macs", macs);
	char *value = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return value;
}

static uint64_t number(const cJSON *o, const char *name)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsNumber(n) && n->valuedouble >= 0 && n->valuedouble < 1.8e19
		   ? (uint64_t)n->valuedouble
		   : 0;
}

int domain_counters_decode(const char *json, size_t len, struct domain_counters *m)
{
	memset(m, 0, sizeof(*m));
	cJSON *o = cJSON_ParseWithLength(json, len);
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(o, "host");
	if (!cJSON_IsObject(o) || !cJSON_IsString(host) ||
	    !copy_name(m->host, sizeof(m->host), host->valuestring)) {
		cJSON_Delete(o);
		return -EINVAL;
	}
	m->released = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "released"));
	m->c.rx_packets = number(o, "rx_packets");
	m->c.rx_bytes = number(o, "rx_bytes");
	m->c.tx_packets = number(o, "tx_packets");
	m->c.tx_bytes = number(o, "tx_bytes");
	m->c.mac_moves = number(o, "mac_moves");
	m->c.consumed = number(o, "consumed");
	const cJSON *drops = cJSON_GetObjectItemCaseSensitive(o, "drops"), *item;
	const cJSON *list = cJSON_IsObject(drops) ? drops : NULL;
	cJSON_ArrayForEach(item, list)
	{
		enum drop_reason r = drop_reason_from_name(item->string);
		if (r != DROP_NONE)
			m->c.drops[r] = number(drops, item->string);
	}
	const cJSON *macs = cJSON_GetObjectItemCaseSensitive(o, "macs");
	list = cJSON_IsArray(macs) ? macs : NULL;
	cJSON_ArrayForEach(item, list)
	{
		const cJSON *mac = cJSON_GetObjectItemCaseSensitive(item, "mac");
		uint64_t vid = number(item, "vid");
		if (m->n_macs < DOMAIN_MOVE_MACS && cJSON_IsString(mac) && vid <= VID_MAX &&
		    !mac_parse(mac->valuestring, m->macs[m->n_macs]))
			m->vids[m->n_macs++] = (uint16_t)vid;
	}
	cJSON_Delete(o);
	return 0;
}

/* ---- on the data-plane thread -------------------------------------------- */

struct port_call {
	const char *name;
	bool found;
	struct domain_counters m; /* read: filled; carry: m.c set; announce: m.macs sent */
	uint16_t index;
	int sent;
};

static void learned_mac(const struct fdb_entry *e, void *arg)
{
	struct port_call *call = arg;
	if (e->port != call->index || call->m.n_macs == DOMAIN_MOVE_MACS)
		return;
	mac_from_u64(e->key, call->m.macs[call->m.n_macs]);
	call->m.vids[call->m.n_macs++] = fdb_key_vid(e->key);
}

static void read_port(struct datapath *dp, void *arg)
{
	struct port_call *call = arg;
	struct vswitch *sw;
	struct bridge_port *p = datapath_find_port(dp, call->name, &sw);
	if (!(call->found = p != NULL))
		return;
	bridge_port_counters(p, &call->m.c);
	call->index = p->index;
	fdb_foreach(sw->fdb, learned_mac, call);
}

static void carry_port(struct datapath *dp, void *arg)
{
	struct port_call *call = arg;
	struct bridge_port *p = datapath_find_port(dp, call->name, NULL);
	if ((call->found = p != NULL))
		p->carried = call->m.c;
}

static void announce_port(struct datapath *dp, void *arg)
{
	struct port_call *call = arg;
	struct vswitch *sw;
	struct bridge_port *p = datapath_find_port(dp, call->name, &sw);
	for (int i = 0; p && i < call->m.n_macs; i++)
		call->sent += !switch_announce_from(sw, p, call->m.macs[i], call->m.vids[i]);
}

/* ---- counters written to etcd -------------------------------------------- */

static void counters_key(const struct domain *d, const char *port, char *key, size_t size)
{
	snprintf(key, size, "/vswitch/%s/counters/%s", d->name, port);
}

/* Reads the port and writes its counters (and learned MACs when
 * `released`); returns the packets it counted. */
static uint64_t write_counters(struct domain *d, const char *port, bool released)
{
	struct port_call call = {.name = port};
	control_datapath_call(d->state, read_port, &call);
	if (!call.found)
		return 0;
	copy_name(call.m.host, sizeof(call.m.host), d->host);
	call.m.released = released;
	if (!released)
		call.m.n_macs = 0;
	char key[DOMAIN_KEY_MAX], err[256];
	counters_key(d, port, key, sizeof(key));
	char *value = domain_counters_encode(&call.m);
	if (!value || etcd_put(d->client, key, value, strlen(value), 0, NULL, err, sizeof(err)))
		log_error("domain %s: port %s: cannot write its counters: %s", d->name, port,
			  value ? err : "out of memory");
	free(value);
	return call.m.c.rx_packets + call.m.c.tx_packets + port_counters_total_drops(&call.m.c);
}

/* ---- the move state ------------------------------------------------------ */

static void *timer_main(void *arg)
{
	struct domain_move *m = arg;
	pthread_mutex_lock(&m->lock);
	while (!m->stop) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_sec += DOMAIN_COUNTERS_PERIOD;
		if (pthread_cond_timedwait(&m->cond, &m->lock, &t) == ETIMEDOUT) {
			uint64_t one = 1;
			if (write(m->event_fd, &one, sizeof(one)) < 0) {
				/* a full eventfd wakes the control thread anyway */
			}
		}
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

struct domain_move *domain_move_create(struct domain *d, int event_fd)
{
	struct domain_move *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->d = d;
	m->event_fd = event_fd;
	m->last_write_ns = time_now_ns();
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cond, &attr);
	pthread_condattr_destroy(&attr);
	m->started = pthread_create(&m->thread, NULL, timer_main, m) == 0;
	if (!m->started)
		log_error("domain %s: no timer thread: counters are written at moves only",
			  d->name);
	return m;
}

void domain_move_destroy(struct domain_move *m)
{
	if (!m)
		return;
	if (m->started) {
		pthread_mutex_lock(&m->lock);
		m->stop = true;
		pthread_cond_signal(&m->cond);
		pthread_mutex_unlock(&m->lock);
		pthread_join(m->thread, NULL);
	}
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	free(m->noted);
	free(m->ports);
	free(m);
}

static struct move_port *find_port(struct domain_move *m, const char *name, bool add)
{
	for (size_t i = 0; i < m->n_ports; i++)
		if (!strcmp(m->ports[i].name, name))
			return &m->ports[i];
	if (!add)
		return NULL;
	struct move_port *grown = realloc(m->ports, (m->n_ports + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	m->ports = grown;
	struct move_port *p = &m->ports[m->n_ports++];
	*p = (struct move_port){.revision = -1};
	copy_name(p->name, sizeof(p->name), name);
	return p;
}

static void note(struct domain_move *m, const char *name)
{
	char(*grown)[DOMAIN_NAME_MAX] = realloc(m->noted, (m->n_noted + 1) * sizeof(*grown));
	if (!grown)
		return;
	m->noted = grown;
	copy_name(m->noted[m->n_noted++], DOMAIN_NAME_MAX, name);
}

void domain_move_prepare(struct domain *d, const struct domain_view *view, struct config *next)
{
	struct domain_move *m = d->move;
	const struct config *running = d->state->running;
	if (!m)
		return;
	m->n_noted = 0;
	for (size_t i = 0; i < running->n_ports; i++) {
		const struct config_port *port = &running->ports[i];
		const struct domain_binding *b = domain_view_binding(view, port->name);
		if (!port->domain || !b || !strcmp(b->host, d->host) ||
		    !config_find_port(next, port->name))
			continue;
		/* Moved away: what it counted goes to etcd for the new host, and
		 * the port goes (QEMU's source side drops the VM's tap too). */
		write_counters(d, port->name, true);
		struct move_port *mp = find_port(m, port->name, false);
		if (mp)
			*mp = m->ports[--m->n_ports];
		log_info("domain %s: port %s moved to host %s: released here", d->name, port->name,
			 b->host);
		config_del_port(next, port->name);
	}
	for (size_t i = 0; i < next->n_ports; i++) {
		const struct config_port *port = &next->ports[i];
		const struct config_port *was = config_find_port(running, port->name);
		if (port->domain && !(was && was->domain))
			note(m, port->name);
	}
}

/* counters/PORT as another host wrote it, or false. */
static bool other_counters(struct domain *d, const char *port, struct domain_counters *out,
			   int64_t *revision)
{
	char key[DOMAIN_KEY_MAX];
	counters_key(d, port, key, sizeof(key));
	const struct domain_kv *kv = domain_kvs_find(&d->kvs, key);
	if (revision)
		*revision = kv ? kv->mod_revision : 0;
	return kv && !domain_counters_decode(kv->value, kv->value_len, out) &&
	       strcmp(out->host, d->host) != 0;
}

/* Adds (mac, vid) unless it is there already. */
static void add_mac(struct domain_counters *to, const uint8_t mac[6], uint16_t vid)
{
	for (int i = 0; i < to->n_macs; i++)
		if (to->vids[i] == vid && !memcmp(to->macs[i], mac, 6))
			return;
	if (to->n_macs == DOMAIN_MOVE_MACS)
		return;
	memcpy(to->macs[to->n_macs], mac, 6);
	to->vids[to->n_macs++] = vid;
}

/* The port's own MAC (port security's `mac`) on its PVID. */
static void own_mac(const struct config_port *port, struct domain_counters *to)
{
	const struct port_security *s = &port->settings.security;
	if (s->has_mac)
		add_mac(to, s->pairs[0].mac, port->settings.pvid);
}

static void announce(struct domain *d, const char *port, const struct domain_counters *m,
		     const char *why)
{
	struct port_call call = {.name = port, .m = *m};
	control_datapath_call(d->state, announce_port, &call);
	log_info("domain %s: port %s: announced %d MAC/VLAN pairs (%s)", d->name, port, call.sent,
		 why);
}

void domain_move_applied(struct domain *d)
{
	struct domain_move *m = d->move;
	for (size_t i = 0; m && !d->booting && i < m->n_noted; i++) {
		const struct config_port *port = config_find_port(d->state->running, m->noted[i]);
		if (!port || !port->domain)
			continue;
		/* The VM's own MAC (port security's `mac`) on its PVID, and
		 * the MACs the previous host learned on it, if written yet. */
		struct domain_counters carried, macs = {.n_macs = 0};
		own_mac(port, &macs);
		if (other_counters(d, port->name, &carried, NULL) && carried.released)
			for (int k = 0; k < carried.n_macs; k++)
				add_mac(&macs, carried.macs[k], carried.vids[k]);
		announce(d, port->name, &macs, "bound here");
	}
	if (m)
		m->n_noted = 0;
}

/* Every DOMAIN_COUNTERS_PERIOD: the bound ports' counters, those that
 * counted something since the last write. */
static void periodic_write(struct domain *d)
{
	struct domain_move *m = d->move;
	uint64_t now = time_now_ns();
	char err[512];
	if (now - m->last_write_ns < (uint64_t)DOMAIN_COUNTERS_PERIOD * 1000000000 ||
	    domain_check_online(d, err, sizeof(err)))
		return;
	m->last_write_ns = now;
	for (size_t i = 0; i < m->n_ports; i++) {
		struct move_port *p = &m->ports[i];
		uint64_t before = p->written;
		struct port_call call = {.name = p->name};
		control_datapath_call(d->state, read_port, &call);
		uint64_t count = call.m.c.rx_packets + call.m.c.tx_packets +
				 port_counters_total_drops(&call.m.c);
		if (call.found && count != before)
			p->written = write_counters(d, p->name, false);
	}
}

void domain_move_sync(struct domain *d)
{
	struct domain_move *m = d->move;
	if (!m)
		return;
	const struct config *running = d->state->running;
	/* Ports no longer bound here are forgotten. */
	for (size_t i = 0; i < m->n_ports;) {
		const struct config_port *port = config_find_port(running, m->ports[i].name);
		if (port && port->domain)
			i++;
		else
			m->ports[i] = m->ports[--m->n_ports];
	}
	for (size_t i = 0; i < running->n_ports; i++) {
		const struct config_port *port = &running->ports[i];
		struct move_port *p = port->domain ? find_port(m, port->name, true) : NULL;
		struct domain_counters mc;
		int64_t revision;
		bool theirs = p && other_counters(d, port->name, &mc, &revision);
		if (!p || revision == p->revision)
			continue;
		/* A port just bound announced what was written then. */
		bool fresh = p->revision == -1;
		p->revision = revision;
		if (!theirs)
			continue;
		struct port_call call = {.name = port->name, .m = mc};
		control_datapath_call(d->state, carry_port, &call);
		/* Written at the release, after this host bound the port: the
		 * MACs learned there that the bind did not announce go now. */
		struct domain_counters own = {.n_macs = 0}, learned = {.n_macs = 0};
		own_mac(port, &own);
		for (int k = 0; k < mc.n_macs; k++)
			if (!(own.n_macs && own.vids[0] == mc.vids[k] &&
			      !memcmp(own.macs[0], mc.macs[k], 6)))
				add_mac(&learned, mc.macs[k], mc.vids[k]);
		if (mc.released && learned.n_macs && !fresh && !d->booting)
			announce(d, port->name, &learned, "learned on the previous host");
	}
	periodic_write(d);
}

/* ---- port move PORT host HOST -------------------------------------------- */

static bool host_has_port(const struct domain_kv *kv, const char *host, const char *port)
{
	static struct domain_host h;
	char err[256];
	bool has = false;
	if (!kv || domain_host_decode(host, kv->value, kv->value_len, &h, err, sizeof(err)))
		return false;
	for (size_t i = 0; i < h.n_ports; i++)
		has |= !strcmp(h.ports[i], port);
	domain_host_free(&h);
	return has;
}

/* The binding's host changes in one transaction, with the port's MAC
 * allocations (their host follows the VM, so the old host's death does
 * not release them). */
static int move_txn(struct domain *d, const struct domain_kv *binding, struct domain_binding *b,
		    const char *to, int64_t *revision, char *err, size_t err_size)
{
	static struct etcd_compare cmp[MOVE_MAX_OPS];
	static struct etcd_op ops[MOVE_MAX_OPS];
	static char *values[MOVE_MAX_OPS];
	char prefix[DOMAIN_KEY_MAX], name[DOMAIN_NAME_MAX], msg[256];
	size_t n = 0;
	char from[DOMAIN_NAME_MAX];
	copy_name(from, sizeof(from), b->host);
	copy_name(b->host, sizeof(b->host), to);
	values[n] = domain_binding_encode(b);
	cmp[n] = (struct etcd_compare){.key = binding->key,
				       .target = ETCD_COMPARE_MOD_REVISION,
				       .number = binding->mod_revision};
	ops[n] = (struct etcd_op){.type = ETCD_OP_PUT, .key = binding->key, .value = values[n]};
	n++;
	domain_prefix(d->name, prefix, sizeof(prefix));
	for (size_t i = 0; i < d->kvs.n && n < MOVE_MAX_OPS; i++) {
		const struct domain_kv *kv = &d->kvs.v[i];
		struct domain_mac mac;
		if (domain_key_parse(prefix, kv->key, name, sizeof(name)) != DOMAIN_KEY_MAC ||
		    domain_mac_decode(name, kv->value, kv->value_len, &mac, msg, sizeof(msg)) ||
		    strcmp(mac.port, b->port) || strcmp(mac.host, from))
			continue;
		copy_name(mac.host, sizeof(mac.host), to);
		values[n] = domain_mac_encode(&mac);
		cmp[n] = (struct etcd_compare){.key = kv->key,
					       .target = ETCD_COMPARE_MOD_REVISION,
					       .number = kv->mod_revision};
		ops[n] = (struct etcd_op){.type = ETCD_OP_PUT, .key = kv->key, .value = values[n]};
		n++;
	}
	bool done = false, encoded = true;
	for (size_t i = 0; i < n; i++)
		encoded &= values[i] != NULL;
	int error =
	    encoded ? etcd_txn(d->client, cmp, n, ops, n, NULL, 0, &done, revision, err, err_size)
		    : -ENOMEM;
	for (size_t i = 0; i < n; i++)
		free(values[i]);
	if (error == -ENOMEM)
		snprintf(err, err_size, "out of memory");
	if (!error && !done) {
		snprintf(err, err_size,
			 "domain %s: port %s changed meanwhile by another host: nothing written; "
			 "try again",
			 d->name, b->port);
		error = -EAGAIN;
	}
	return error;
}

int domain_move_command(struct domain *d, int argc, char **argv, char *err, size_t err_size)
{
	if (argc != 3 || strcmp(argv[1], "host")) {
		snprintf(err, err_size, "usage: port move PORT host HOST");
		return -EINVAL;
	}
	const char *port = argv[0], *to = argv[2];
	int error = command_check_name("port", port, DOMAIN_NAME_MAX, err, err_size);
	if (!error)
		error = command_check_name("host", to, DOMAIN_NAME_MAX, err, err_size);
	if (!error)
		error = domain_check_online(d, err, err_size);
	if (error)
		return error;
	char key[DOMAIN_KEY_MAX], msg[256];
	static struct domain_binding b;
	domain_key(d->name, DOMAIN_KEY_BINDING, port, key, sizeof(key));
	const struct domain_kv *binding = domain_kvs_find(&d->kvs, key);
	if (!binding ||
	    domain_binding_decode(port, binding->value, binding->value_len, &b, msg, sizeof(msg))) {
		snprintf(err, err_size,
			 "port %s is not bound in domain %s: bind it first (port bind)", port,
			 d->name);
		return -ENOENT;
	}
	if (!strcmp(b.host, to)) {
		snprintf(err, err_size, "port %s is on host %s already", port, to);
		return -EALREADY;
	}
	domain_key(d->name, DOMAIN_KEY_HOST, to, key, sizeof(key));
	const struct domain_kv *host = domain_kvs_find(&d->kvs, key);
	const struct config_port *local = config_find_port(d->state->running, port);
	if (!host) {
		snprintf(err, err_size, "host %s is not up in domain %s", to, d->name);
		return -EHOSTDOWN;
	}
	/* The destination has the VM's port already, as QEMU creates it on
	 * the destination of a migration: on this host the model says so,
	 * elsewhere the host's registration. */
	if (!strcmp(to, d->host) ? !local : !host_has_port(host, to, port)) {
		snprintf(err, err_size,
			 "port %s is not on host %s: add it there first (as the destination of a "
			 "migration does), then move",
			 port, to);
		return -ENOENT;
	}
	if (!strcmp(to, d->host) && b.sw[0] && strcmp(b.sw, local->sw))
		copy_name(b.sw, sizeof(b.sw), local->sw);
	int64_t revision = 0;
	error = move_txn(d, binding, &b, to, &revision, err, err_size);
	if (!error)
		error = domain_wait_applied(d, revision, DOMAIN_WAIT_MS, err, err_size);
	return error;
}
