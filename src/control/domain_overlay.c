/* domain_overlay.c — the VXLAN overlay of the etcd domain
 * (docs/distributed.md "Overlay"): this host publishes, in its leased
 * hosts/HOST, its VTEP (the first vxlan port's local=), the VNIs of its
 * vxlan ports and the MAC of each domain-bound port with a `mac` setting
 * (in the VNI of the port's PVID); from every other live host's key it
 * works out each local vxlan port's flood lists (head-end replication to
 * the hosts serving the VNI) and static remote MACs, and installs the
 * difference through the vxlan port's live API while the poll threads are
 * paused. While etcd is unreachable the keys do not change, so the last
 * flood lists and MACs stay. Runs on the control thread. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/overlay.h"
#include "domain.h"
#include "engine/datapath.h"
#include "engine/engine.h"
#include "lib/frame.h"
#include "lib/log.h"
#include "lib/util.h"
#include "port/port.h"

/* A flood list member (mac unused) or a static remote MAC. */
struct ovl_entry {
	uint32_t vni;
	uint8_t mac[6];
	char vtep[64];
};

/* A local vxlan port: what it should have, or what was put into it. */
struct ovl_port {
	char name[PORT_NAME_MAX];
	/* Its options: a change rebuilds it. */
	char signature[CONFIG_MAX_OPTIONS * CONFIG_OPTION_MAX + 1];
	const struct port *dev; /* installed into (have only) */
	uint32_t *vnis;
	size_t n_vnis;
	struct ovl_entry *flood; /* sorted by (vni, vtep) */
	size_t n_flood;
	struct ovl_entry *macs; /* sorted by (vni, mac) */
	size_t n_macs;
};

struct domain_overlay {
	struct overlay_host self; /* what this host publishes */
	struct ovl_port *want, *have;
	size_t n_want, n_have;
	unsigned n_hosts;     /* other live hosts with a VTEP */
	unsigned unpublished; /* bound MACs beyond OVERLAY_MACS_MAX or without a VNI */
	uint64_t n_updates;   /* datapath calls */
	char last_error[256]; /* "" none */
};

/* ---- what this host is ------------------------------------------------------ */

static const char *option(const struct config_port *p, const char *key)
{
	size_t n = strlen(key);
	for (int i = 0; i < p->n_options; i++)
		if (!strncmp(p->options[i], key, n) && p->options[i][n] == '=')
			return p->options[i] + n + 1;
	return NULL;
}

/* The port's (VNI, VLAN) pairs, malloc'd; -errno. */
static int port_vnis(const struct config_port *p, struct overlay_vni **out)
{
	const char *spec = option(p, "vni");
	int n = overlay_vni_map(spec, p->settings.pvid, NULL, 0);
	*out = NULL;
	if (n <= 0)
		return n ? n : -EINVAL;
	*out = calloc((size_t)n, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	return overlay_vni_map(spec, p->settings.pvid, *out, (size_t)n);
}

static void vtep_of(const struct config_port *p, char *buf, size_t size)
{
	const char *local = option(p, "local"), *udp = option(p, "port");
	if (!local)
		buf[0] = '\0';
	else if (!udp)
		snprintf(buf, size, "%s", local);
	else
		snprintf(buf, size, strchr(local, ':') ? "[%s]:%s" : "%s:%s", local, udp);
}

static void ports_free(struct ovl_port *ports, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ports[i].vnis);
		free(ports[i].flood);
		free(ports[i].macs);
	}
	free(ports);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct ovl_entry *x = a, *y = b;
	if (x->vni != y->vni)
		return x->vni < y->vni ? -1 : 1;
	int c = memcmp(x->mac, y->mac, 6);
	return c ? c : strcmp(x->vtep, y->vtep);
}

/* The local vxlan ports (want, without their lists yet) and self. */
static int local_part(struct domain_overlay *o, const struct config *cfg)
{
	struct overlay_host *self = &o->self;
	size_t n_macs = 0;
	overlay_host_free(self);
	self->vtep[0] = '\0';
	o->unpublished = 0;
	o->want = calloc(cfg->n_ports + 1, sizeof(*o->want));
	self->vnis = calloc(OVERLAY_VNIS_MAX, sizeof(*self->vnis));
	self->macs = calloc(OVERLAY_MACS_MAX, sizeof(*self->macs));
	if (!o->want || !self->vnis || !self->macs)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_ports; i++) {
		const struct config_port *p = &cfg->ports[i];
		struct overlay_vni *map;
		int n = strcmp(p->type, "vxlan") ? 0 : port_vnis(p, &map);
		if (n <= 0)
			continue;
		struct ovl_port *w = &o->want[o->n_want++];
		copy_name(w->name, sizeof(w->name), p->name);
		for (int k = 0; k < p->n_options; k++)
			strcat(strcat(w->signature, p->options[k]), " ");
		w->vnis = calloc((size_t)n, sizeof(*w->vnis));
		if (!w->vnis) {
			free(map);
			return -ENOMEM;
		}
		if (!self->vtep[0])
			vtep_of(p, self->vtep, sizeof(self->vtep));
		for (int k = 0; k < n; k++) {
			w->vnis[w->n_vnis++] = map[k].vni;
			if (self->n_vnis < OVERLAY_VNIS_MAX)
				self->vnis[self->n_vnis++] = map[k].vni;
		}
		/* Each bound VM's MAC in the VNI of its VLAN on this port's switch. */
		for (size_t b = 0; b < cfg->n_ports; b++) {
			const struct config_port *vm = &cfg->ports[b];
			const struct port_security *s = &vm->settings.security;
			if (!vm->domain || !s->has_mac || strcmp(vm->sw, p->sw))
				continue;
			int k = 0;
			while (k < n && map[k].vid != vm->settings.pvid)
				k++;
			if (k == n || n_macs == OVERLAY_MACS_MAX) {
				o->unpublished++;
				continue;
			}
			self->macs[n_macs].vni = map[k].vni;
			memcpy(self->macs[n_macs++].mac, s->pairs[0].mac, 6);
		}
		free(map);
	}
	self->n_macs = n_macs;
	overlay_host_normalise(self);
	return 0;
}

/* ---- what the other hosts make of it ---------------------------------------- */

/* Every other live host's overlay fields, from hosts/ keys. */
static struct overlay_host *remote_hosts(struct domain *d, size_t *n)
{
	char prefix[DOMAIN_KEY_MAX], name[DOMAIN_NAME_MAX], err[256];
	domain_prefix(d->name, prefix, sizeof(prefix));
	struct overlay_host *hosts = calloc(d->kvs.n + 1, sizeof(*hosts));
	*n = 0;
	for (size_t i = 0; hosts && i < d->kvs.n; i++) {
		const struct domain_kv *kv = &d->kvs.v[i];
		if (domain_key_parse(prefix, kv->key, name, sizeof(name)) != DOMAIN_KEY_HOST ||
		    !strcmp(name, d->host))
			continue;
		/* A bad value leaves that host out (domain show counts it). */
		if (!overlay_host_decode(name, kv->value, kv->value_len, &hosts[*n], err,
					 sizeof(err)))
			(*n)++;
	}
	return hosts;
}

static int add_entry(struct ovl_entry **list, size_t *n, uint32_t vni, const uint8_t *mac,
		     const char *vtep)
{
	struct ovl_entry *grown = realloc(*list, (*n + 1) * sizeof(**list));
	if (!grown)
		return -ENOMEM;
	*list = grown;
	struct ovl_entry *e = &grown[(*n)++];
	*e = (struct ovl_entry){.vni = vni};
	if (mac)
		memcpy(e->mac, mac, 6);
	copy_name(e->vtep, sizeof(e->vtep), vtep);
	return 0;
}

static int port_lists(struct domain_overlay *o, struct ovl_port *w,
		      const struct overlay_host *hosts, size_t n, const char *self)
{
	const char *vteps[VXLAN_FLOOD_MAX];
	for (size_t v = 0; v < w->n_vnis; v++) {
		size_t count =
		    overlay_flood(hosts, n, self, o->self.vtep, w->vnis[v], vteps, VXLAN_FLOOD_MAX);
		if (count > VXLAN_FLOOD_MAX)
			snprintf(o->last_error, sizeof(o->last_error),
				 "VNI %u: more than %d VTEPs, the first %d flood", w->vnis[v],
				 VXLAN_FLOOD_MAX, VXLAN_FLOOD_MAX);
		for (size_t k = 0; k < count && k < VXLAN_FLOOD_MAX; k++)
			if (add_entry(&w->flood, &w->n_flood, w->vnis[v], NULL, vteps[k]))
				return -ENOMEM;
	}
	for (size_t h = 0; h < n; h++) {
		const struct overlay_host *r = &hosts[h];
		if (!r->vtep[0] || !strcmp(r->vtep, o->self.vtep))
			continue;
		for (size_t m = 0; m < r->n_macs; m++) {
			bool carried = false;
			for (size_t v = 0; v < w->n_vnis && !carried; v++)
				carried = w->vnis[v] == r->macs[m].vni;
			if (carried && add_entry(&w->macs, &w->n_macs, r->macs[m].vni,
						 r->macs[m].mac, r->vtep))
				return -ENOMEM;
		}
	}
	if (w->n_flood)
		qsort(w->flood, w->n_flood, sizeof(*w->flood), cmp_entry);
	if (w->n_macs)
		qsort(w->macs, w->n_macs, sizeof(*w->macs), cmp_entry);
	/* A MAC two hosts publish (a VM moving): the first VTEP in order. */
	size_t k = 0;
	for (size_t i = 0; i < w->n_macs; i++)
		if (!k || w->macs[k - 1].vni != w->macs[i].vni ||
		    memcmp(w->macs[k - 1].mac, w->macs[i].mac, 6))
			w->macs[k++] = w->macs[i];
	w->n_macs = k;
	return 0;
}

static const struct ovl_port *find_port(const struct ovl_port *ports, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ports[i].name, name))
			return &ports[i];
	return NULL;
}

static bool entries_equal(const struct ovl_entry *a, size_t na, const struct ovl_entry *b,
			  size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (cmp_entry(&a[i], &b[i]))
			return false;
	return true;
}

static bool port_equal(const struct ovl_port *a, const struct ovl_port *b)
{
	return b && !strcmp(a->signature, b->signature) && a->n_vnis == b->n_vnis &&
	       (!a->n_vnis || !memcmp(a->vnis, b->vnis, a->n_vnis * sizeof(*a->vnis))) &&
	       entries_equal(a->flood, a->n_flood, b->flood, b->n_flood) &&
	       entries_equal(a->macs, a->n_macs, b->macs, b->n_macs);
}

/* ---- into the vxlan ports (poll threads paused) --------------------------- */

/* VNI vni's VTEPs in a sorted list: their first index, and how many. */
static size_t vni_run(const struct ovl_entry *list, size_t n, uint32_t vni, size_t *first)
{
	size_t i = 0, count = 0;
	while (i < n && list[i].vni < vni)
		i++;
	*first = i;
	while (i + count < n && list[i + count].vni == vni)
		count++;
	return count;
}

static const struct ovl_entry *find_entry(const struct ovl_entry *list, size_t n,
					  const struct ovl_entry *e)
{
	return n ? bsearch(e, list, n, sizeof(*list), cmp_entry) : NULL;
}

static void note(struct domain_overlay *o, const char *port, int error, const char *err)
{
	snprintf(o->last_error, sizeof(o->last_error), "port %s: %s", port,
		 err && err[0] ? err : strerror(-error));
}

static void install_port(struct domain_overlay *o, struct port *dev, const struct ovl_port *w,
			 const struct ovl_port *h)
{
	char err[256] = "";
	const char *vteps[VXLAN_FLOOD_MAX];
	for (size_t v = 0; v < w->n_vnis; v++) {
		size_t wf, hf = 0;
		size_t wn = vni_run(w->flood, w->n_flood, w->vnis[v], &wf);
		size_t hn = h ? vni_run(h->flood, h->n_flood, w->vnis[v], &hf) : 0;
		if (h && entries_equal(w->flood + wf, wn, h->flood + hf, hn))
			continue;
		for (size_t k = 0; k < wn; k++)
			vteps[k] = w->flood[wf + k].vtep;
		int error = vxlan_set_flood(dev, w->vnis[v], vteps, wn, err, sizeof(err));
		if (error)
			note(o, w->name, error, err);
	}
	/* MACs gone (or moved) first, then the new ones. */
	for (size_t i = 0; h && i < h->n_macs; i++)
		if (!find_entry(w->macs, w->n_macs, &h->macs[i]))
			vxlan_del_remote_mac(dev, h->macs[i].vni, h->macs[i].mac);
	for (size_t i = 0; i < w->n_macs; i++) {
		if (h && find_entry(h->macs, h->n_macs, &w->macs[i]))
			continue;
		int error = vxlan_add_remote_mac(dev, w->macs[i].vni, w->macs[i].mac,
						 w->macs[i].vtep, err, sizeof(err));
		if (error)
			note(o, w->name, error, err);
	}
}

static void install(struct datapath *dp, void *arg)
{
	struct domain_overlay *o = arg;
	for (size_t i = 0; i < o->n_want; i++) {
		struct ovl_port *w = &o->want[i];
		struct bridge_port *bp = datapath_find_port(dp, w->name, NULL);
		if (!bp)
			continue;
		const struct ovl_port *h = find_port(o->have, o->n_have, w->name);
		/* A rebuilt port has empty API lists and no static MACs. */
		if (h && (h->dev != bp->dev || strcmp(h->signature, w->signature)))
			h = NULL;
		install_port(o, bp->dev, w, h);
		w->dev = bp->dev;
	}
	/* A port no longer carrying the overlay: what we put in goes. */
	for (size_t i = 0; i < o->n_have; i++) {
		const struct ovl_port *h = &o->have[i];
		struct bridge_port *bp = datapath_find_port(dp, h->name, NULL);
		if (find_port(o->want, o->n_want, h->name) || !bp || bp->dev != h->dev)
			continue;
		struct ovl_port empty = {.vnis = h->vnis, .n_vnis = h->n_vnis};
		install_port(o, bp->dev, &empty, h);
	}
}

/* ---- the entry points --------------------------------------------------------- */

void domain_overlay_update(struct domain *d)
{
	if (!d->overlay && !(d->overlay = calloc(1, sizeof(*d->overlay))))
		return;
	struct domain_overlay *o = d->overlay;
	struct overlay_host before = o->self;
	o->self = (struct overlay_host){.n_vnis = 0};
	o->last_error[0] = '\0';
	size_t n = 0;
	struct overlay_host *hosts = NULL;
	int error = local_part(o, d->state->running);
	if (!error)
		hosts = remote_hosts(d, &n);
	if (!error && !hosts)
		error = -ENOMEM;
	o->n_hosts = 0;
	for (size_t i = 0; i < n; i++)
		o->n_hosts += hosts[i].vtep[0] != '\0';
	for (size_t i = 0; !error && i < o->n_want; i++)
		error = port_lists(o, &o->want[i], hosts, n, d->host);
	for (size_t i = 0; i < n; i++)
		overlay_host_free(&hosts[i]);
	free(hosts);
	bool republish = !overlay_host_equal(&before, &o->self);
	overlay_host_free(&before);
	if (error) {
		snprintf(o->last_error, sizeof(o->last_error), "out of memory");
		ports_free(o->want, o->n_want);
		o->want = NULL;
		o->n_want = 0;
		return;
	}
	if (republish) {
		domain_set_vtep(d, o->self.vtep);
		domain_register_again(d);
	}
	bool same = o->n_want == o->n_have;
	for (size_t i = 0; same && i < o->n_want; i++)
		same = port_equal(&o->want[i], find_port(o->have, o->n_have, o->want[i].name));
	if (!same) {
		control_datapath_call(d->state, install, o);
		o->n_updates++;
	}
	ports_free(o->have, o->n_have);
	o->have = o->want;
	o->n_have = o->n_want;
	o->want = NULL;
	o->n_want = 0;
}

char *domain_overlay_host_value(struct domain *d, const struct domain_host *h)
{
	char *base = domain_host_encode(h);
	if (!base || !d->overlay)
		return base;
	char *value = overlay_host_extend(base, &d->overlay->self);
	free(base);
	return value;
}

void domain_overlay_free(struct domain *d)
{
	struct domain_overlay *o = d->overlay;
	if (!o)
		return;
	overlay_host_free(&o->self);
	ports_free(o->want, o->n_want);
	ports_free(o->have, o->n_have);
	free(o);
	d->overlay = NULL;
}

/* ---- domain show ------------------------------------------------------------------ */

void domain_overlay_show(const struct domain *d, struct cJSON *json, FILE *out)
{
	const struct domain_overlay *o = d->overlay;
	if (!o)
		return;
	cJSON *ov = json ? cJSON_AddObjectToObject(json, "overlay") : NULL;
	cJSON *vnis = ov ? cJSON_AddArrayToObject(ov, "vnis") : NULL;
	cJSON *ports = ov ? cJSON_AddArrayToObject(ov, "ports") : NULL;
	if (ov) {
		cJSON_AddStringToObject(ov, "vtep", o->self.vtep);
		for (size_t i = 0; i < o->self.n_vnis; i++)
			cJSON_AddItemToArray(vnis, cJSON_CreateNumber(o->self.vnis[i]));
		cJSON_AddNumberToObject(ov, "published_macs", (double)o->self.n_macs);
		cJSON_AddNumberToObject(ov, "unpublished_macs", o->unpublished);
		cJSON_AddNumberToObject(ov, "remote_hosts", o->n_hosts);
		cJSON_AddNumberToObject(ov, "updates", (double)o->n_updates);
		cJSON_AddStringToObject(ov, "last_error", o->last_error);
	} else {
		fprintf(out, "  overlay: VTEP %s, VNIs", o->self.vtep[0] ? o->self.vtep : "none");
		for (size_t i = 0; i < o->self.n_vnis && i < 8; i++)
			fprintf(out, "%s%u", i ? "," : " ", o->self.vnis[i]);
		fprintf(out, "%s; bound MACs published: %zu", o->self.n_vnis > 8 ? ",..." : "",
			o->self.n_macs);
		if (o->unpublished)
			fprintf(out, " (%u not: no VNI or over %d)", o->unpublished,
				OVERLAY_MACS_MAX);
		fprintf(out, "; %u other hosts with a VTEP\n", o->n_hosts);
		if (o->last_error[0])
			fprintf(out, "  overlay error: %s\n", o->last_error);
	}
	for (size_t i = 0; i < o->n_have; i++) {
		const struct ovl_port *p = &o->have[i];
		cJSON *pj = ports ? cJSON_CreateObject() : NULL, *fl = NULL;
		if (pj) {
			cJSON_AddStringToObject(pj, "name", p->name);
			cJSON_AddNumberToObject(pj, "static_macs", (double)p->n_macs);
			fl = cJSON_AddObjectToObject(pj, "flood");
			cJSON_AddItemToArray(ports, pj);
		} else {
			fprintf(out, "  %s:", p->name);
		}
		for (size_t v = 0; v < p->n_vnis; v++) {
			size_t first, n = vni_run(p->flood, p->n_flood, p->vnis[v], &first);
			char vni[16];
			snprintf(vni, sizeof(vni), "%u", p->vnis[v]);
			cJSON *list = fl ? cJSON_AddArrayToObject(fl, vni) : NULL;
			if (!fl)
				fprintf(out, "%s VNI %s floods to", v ? ";" : "", vni);
			for (size_t k = 0; k < n; k++) {
				if (list)
					cJSON_AddItemToArray(
					    list, cJSON_CreateString(p->flood[first + k].vtep));
				else
					fprintf(out, "%s %s", k ? "," : "",
						p->flood[first + k].vtep);
			}
			if (!fl && !n)
				fprintf(out, " no host");
		}
		if (!fl)
			fprintf(out, "; %zu static remote MACs\n", p->n_macs);
	}
}
