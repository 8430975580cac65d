/* apply.c — makes the live datapath match a model, given the model it
 * matches now, as a prepared difference applied in steps (config.h).
 *
 * The control thread prepares: which static MACs go and which are
 * (re)installed, in linear time. The data-plane thread then runs, between
 * batches: (1) everything that may fail — new switches, tables of another
 * capacity, new or rebuilt ports' devices, new SEAs — undone whole if one
 * fails; (2) in the same step, the changes that cannot fail because
 * config_check() proved the model fits (deletions, settings, additions);
 * (3) static MACs, a slice per step, so a table of 100 000 entries never
 * stops forwarding for more than a slice. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "engine/datapath.h"
#include "lib/log.h"

/* A slice of static MACs per step: well under a millisecond of work. */
#define APPLY_MACS_PER_STEP 2048

enum apply_phase { APPLY_OPEN, APPLY_DEL_MACS, APPLY_ADD_MACS, APPLY_DONE };

struct config_apply {
	const struct config *have, *want;
	struct sea_set *seas; /* the HA layer's, changed on the data-plane thread */
	enum apply_phase phase;
	struct config_mac *del; /* have's static MACs that want lacks */
	size_t n_del;
	size_t *add; /* indexes of want->macs to install */
	size_t n_add;
	size_t done; /* MACs of the current phase handled */
	/* Opened in APPLY_OPEN, taken by the datapath right after; indexed
	 * like want's switches, ports and SEAs. */
	struct vswitch **new_switches;
	struct fdb **new_fdbs; /* an existing switch's table of another capacity */
	struct port **new_ports;
	struct sea **new_seas;
	struct mirror **new_mirrors; /* new or changed mirrors, made in step 1 */
	struct ipfix_cache **new_ipfix; /* new or changed IPFIX exporters, made in step 1 */
	bool ports_changed;
	/* Security groups compiled here for want's ports whose rules changed,
	 * and what they replaced, freed with the apply (acl_config.c). */
	struct acl_port **new_acls, **old_acls;
};

static unsigned fail_at, fallible_count;

void config_apply_fail_at(unsigned nth)
{
	fail_at = nth;
	fallible_count = 0;
}

/* Every action that may fail asks this first, so a test can fail each. */
static bool injected_failure(char *err, size_t err_size)
{
	if (!fail_at || ++fallible_count != fail_at)
		return false;
	fail_at = 0;
	snprintf(err, err_size, "out of memory (injected failure %u)", fallible_count);
	return true;
}

/* Same name but another switch, type or options: the port is rebuilt. */
static bool same_identity(const struct config_port *a, const struct config_port *b)
{
	if (strcmp(a->sw, b->sw) || strcmp(a->type, b->type) || a->n_options != b->n_options)
		return false;
	for (int i = 0; i < a->n_options; i++)
		if (strcmp(a->options[i], b->options[i]))
			return false;
	return true;
}

static bool kept_port(const struct config *have, const struct config_port *p)
{
	const struct config_port *old = config_find_port(have, p->name);
	return old && same_identity(old, p);
}

/* The switch exists in both and keeps its table (same capacity). */
static bool kept_table(const struct config *have, const struct config *want, const char *sw)
{
	const struct config_switch *a = config_find_switch(have, sw);
	const struct config_switch *b = config_find_switch(want, sw);
	return a && b && a->settings.fdb_capacity == b->settings.fdb_capacity;
}

/* A static MAC is installed unless it is already there as it should be:
 * same table, same port, and the port was not rebuilt (which flushes). */
static bool needs_install(const struct config *have, const struct config *want,
			  const struct config_mac *m)
{
	const struct config_port *port = config_find_port(want, m->port);
	if (!kept_table(have, want, m->sw) || !port || !kept_port(have, port))
		return true;
	const struct config_mac *old = config_find_mac(have, m->sw, m->vid, m->mac);
	return !old || strcmp(old->port, m->port) != 0;
}

/* Compiles the security groups of every port whose rules, groups or table
 * size changed, or that is new or rebuilt. */
static int prepare_acls(struct config_apply *a)
{
	a->new_acls = calloc(a->want->n_ports + 1, sizeof(*a->new_acls));
	a->old_acls = calloc(a->want->n_ports + 1, sizeof(*a->old_acls));
	if (!a->new_acls || !a->old_acls)
		return -1;
	for (size_t i = 0; i < a->want->n_ports; i++) {
		const struct config_port *p = &a->want->ports[i];
		const struct config_port *old = config_find_port(a->have, p->name);
		if (!p->settings.acl.n_groups ||
		    (old && kept_port(a->have, p) &&
		     config_acl_port_unchanged(a->have, a->want, old, p)))
			continue;
		if (!(a->new_acls[i] = config_acl_build_port(a->want, p)))
			return -1;
	}
	return 0;
}

struct config_apply *config_apply_prepare(const struct config *have, const struct config *want,
					  struct sea_set *seas, char *err, size_t err_size)
{
	struct config_apply *a = calloc(1, sizeof(*a));
	if (!a)
		goto nomem;
	a->seas = seas;
	a->have = have;
	a->want = want;
	a->del = malloc((have->n_macs + 1) * sizeof(*a->del));
	a->add = malloc((want->n_macs + 1) * sizeof(*a->add));
	a->new_switches = calloc(want->n_switches + 1, sizeof(*a->new_switches));
	a->new_fdbs = calloc(want->n_switches + 1, sizeof(*a->new_fdbs));
	a->new_ports = calloc(want->n_ports + 1, sizeof(*a->new_ports));
	a->new_seas = calloc(want->n_seas + 1, sizeof(*a->new_seas));
	a->new_mirrors = calloc(want->n_mirrors + 1, sizeof(*a->new_mirrors));
	a->new_ipfix = calloc(want->n_ipfix + 1, sizeof(*a->new_ipfix));
	if (!a->del || !a->add || !a->new_switches || !a->new_fdbs || !a->new_ports ||
	    !a->new_seas || !a->new_mirrors || !a->new_ipfix || prepare_acls(a))
		goto nomem;
	for (size_t i = 0; i < have->n_macs; i++) {
		const struct config_mac *m = &have->macs[i];
		if (kept_table(have, want, m->sw) && !config_find_mac(want, m->sw, m->vid, m->mac))
			a->del[a->n_del++] = *m;
	}
	for (size_t i = 0; i < want->n_macs; i++)
		if (needs_install(have, want, &want->macs[i]))
			a->add[a->n_add++] = i;
	return a;
nomem:
	config_apply_free(a);
	snprintf(err, err_size, "out of memory");
	return NULL;
}

void config_apply_free(struct config_apply *a)
{
	if (!a)
		return;
	/* Whatever was opened and not taken by the datapath (undo did it). */
	free(a->del);
	free(a->add);
	free(a->new_switches);
	free(a->new_fdbs);
	free(a->new_ports);
	free(a->new_seas);
	free(a->new_mirrors);
	free(a->new_ipfix);
	for (size_t i = 0; a->new_acls && i < a->want->n_ports; i++)
		acl_port_destroy(a->new_acls[i]);
	for (size_t i = 0; a->old_acls && i < a->want->n_ports; i++)
		acl_port_destroy(a->old_acls[i]);
	free(a->new_acls);
	free(a->old_acls);
	free(a);
}

bool config_apply_ports_changed(const struct config_apply *a)
{
	return a->ports_changed;
}

/* ---- step 1: what may fail, and its undo -------------------------------- */

static struct port *open_port(const struct config *cfg, const struct config_port *p, char *err,
			      size_t err_size)
{
	const char *options[CONFIG_MAX_OPTIONS + 1];
	char reason[512], where[300];
	for (int i = 0; i < p->n_options; i++)
		options[i] = p->options[i];
	options[p->n_options] = NULL;
	if (injected_failure(reason, sizeof(reason)))
		goto fail;
	struct port *port = port_create(p->name, p->type, options, reason, sizeof(reason));
	if (port)
		return port;
fail:
	snprintf(err, err_size, "%s%s", config_where(cfg, p->line, where, sizeof(where)), reason);
	return NULL;
}

static int open_switches(struct config_apply *a, struct datapath *dp, char *err, size_t n)
{
	for (size_t i = 0; i < a->want->n_switches; i++) {
		const struct config_switch *s = &a->want->switches[i];
		const struct config_switch *old = config_find_switch(a->have, s->name);
		if (old && old->settings.fdb_capacity == s->settings.fdb_capacity)
			continue;
		if (injected_failure(err, n))
			return -ENOMEM;
		if (!old) {
			a->new_switches[i] = switch_create(s->name, &s->settings, dp->pool, err, n);
			if (!a->new_switches[i])
				return -ENOMEM;
		} else if (!(a->new_fdbs[i] = fdb_create(s->settings.fdb_capacity))) {
			snprintf(err, n, "switch %s: out of memory for %u MAC entries", s->name,
				 s->settings.fdb_capacity);
			return -ENOMEM;
		}
	}
	return 0;
}

static int open_ports(struct config_apply *a, struct datapath *dp, char *err, size_t n)
{
	for (size_t i = 0; i < a->want->n_ports; i++) {
		const struct config_port *p = &a->want->ports[i];
		if (kept_port(a->have, p))
			continue;
		struct vswitch *sw;
		struct bridge_port *live = datapath_find_port(dp, p->name, &sw);
		const struct config_port *old = config_find_port(a->have, p->name);
		/* Rebuilt on the same device: closed, its device kept for the new
		 * port (and for an undo) to adopt. On other devices: it runs on
		 * until step 2 removes it with its device, so an undo finds it
		 * whole. On a device of another type: removed now, the one case
		 * an undo cannot give back the device's addresses. */
		if (live && !config_port_devices_apart(old, p))
			switch_del_port(sw, live, !config_port_same_device(old, p));
		a->ports_changed = true;
		a->new_ports[i] = open_port(a->want, p, err, n);
		if (!a->new_ports[i])
			return -ENODEV;
		/* A new SEA trunk starts down, or the hypervisor switch could
		 * take it for an active trunk before the SEA has been elected. */
		const struct port_class *class = a->new_ports[i]->class;
		if (class->set_link && config_is_sea_trunk(a->want, p->name))
			class->set_link(a->new_ports[i], false);
	}
	return 0;
}

static int open_seas(struct config_apply *a, char *err, size_t n)
{
	for (size_t i = 0; i < a->want->n_seas; i++) {
		const struct sea_config *s = &a->want->seas[i];
		const struct sea_config *old = config_find_sea(a->have, s->name);
		if (old && !strcmp(old->sw, s->sw))
			continue;
		if (injected_failure(err, n))
			return -ENOMEM;
		if (!(a->new_seas[i] = sea_alloc(s))) {
			snprintf(err, n, "sea %s: out of memory", s->name);
			return -ENOMEM;
		}
	}
	return 0;
}

/* A mirror's engine object, with its ring and ERSPAN socket for an export. */
static struct mirror *open_mirror(const struct mirror_config *m, char *err, size_t n)
{
	bool export = m->spec.sink == MIRROR_TO_EXPORT;
	struct mirror *live = mirror_create(&m->spec, export ? MIRROR_RING_DEFAULT : 0);
	if (!live) {
		snprintf(err, n, "mirror %s: out of memory", m->spec.name);
		return NULL;
	}
	if (export) {
		char reason[256];
		live->sink_ctx = erspan_session_open(&m->erspan, reason, sizeof(reason));
		live->sink_free = erspan_session_close;
		if (!live->sink_ctx) {
			snprintf(err, n, "mirror %s: %s", m->spec.name, reason);
			mirror_destroy(live);
			return NULL;
		}
	}
	return live;
}

static bool kept_mirror(const struct config *have, const struct mirror_config *m)
{
	const struct mirror_config *old = config_find_mirror(have, m->spec.name);
	return old && config_mirror_equal(old, m);
}

static int open_mirrors(struct config_apply *a, char *err, size_t n)
{
	for (size_t i = 0; i < a->want->n_mirrors; i++) {
		const struct mirror_config *m = &a->want->mirrors[i];
		if (kept_mirror(a->have, m))
			continue;
		if (injected_failure(err, n))
			return -ENOMEM;
		if (!(a->new_mirrors[i] = open_mirror(m, err, n)))
			return -ENOMEM;
	}
	return 0;
}

/* IPFIX exporters new or changed, or on a switch that has none live: their
 * caches and sockets, made before anything changes. */
static int open_ipfix(struct config_apply *a, struct datapath *dp, char *err, size_t n)
{
	for (size_t i = 0; i < a->want->n_ipfix; i++) {
		const struct ipfix_config *x = &a->want->ipfix[i];
		const struct ipfix_config *old = config_find_ipfix(a->have, x->name);
		const struct vswitch *sw = datapath_find_switch(dp, x->sw);
		if (old && config_ipfix_equal(old, x) && sw && sw->ipfix)
			continue;
		if (injected_failure(err, n))
			return -ENOMEM;
		if (!(a->new_ipfix[i] = config_ipfix_open(x, err, n)))
			return -ENOMEM;
	}
	return 0;
}

/* Back to `have`: what was opened is closed, rebuilt ports come back. */
static void undo(struct config_apply *a, struct datapath *dp)
{
	const struct config *have = a->have;
	for (size_t i = 0; i < a->want->n_switches; i++) {
		switch_destroy(a->new_switches[i]);
		fdb_destroy(a->new_fdbs[i]);
	}
	for (size_t i = 0; i < a->want->n_ports; i++)
		port_destroy(a->new_ports[i]);
	for (size_t i = 0; i < a->want->n_seas; i++)
		sea_destroy(a->new_seas[i]);
	for (size_t i = 0; i < a->want->n_mirrors; i++) {
		mirror_destroy(a->new_mirrors[i]);
		a->new_mirrors[i] = NULL;
	}
	for (size_t i = 0; i < a->want->n_ipfix; i++) {
		ipfix_cache_destroy(a->new_ipfix[i]);
		a->new_ipfix[i] = NULL;
	}
	for (size_t i = 0; i < have->n_ports; i++) {
		const struct config_port *old = &have->ports[i];
		struct vswitch *sw = datapath_find_switch(dp, old->sw);
		char ignored[512];
		if (!sw || switch_find_port(sw, old->name))
			continue;
		struct port *port = open_port(have, old, ignored, sizeof(ignored));
		struct port_config settings;
		config_effective_port(have, old, &settings);
		if (!port || switch_add_port(sw, port, &settings, ignored, sizeof(ignored)) < 0) {
			log_error("apply undo: port %s could not be reopened: %s", old->name,
				  ignored);
			port_destroy(port);
		} else if (old->settings.acl.n_groups) { /* its security groups too */
			switch_find_port(sw, old->name)->acl = config_acl_build_port(have, old);
		}
	}
	for (size_t i = 0; i < have->n_macs; i++) {
		const struct config_mac *m = &have->macs[i];
		struct vswitch *sw = datapath_find_switch(dp, m->sw);
		struct bridge_port *port = sw ? switch_find_port(sw, m->port) : NULL;
		char ignored[256];
		if (port &&
		    !fdb_find(sw->fdb, fdb_key(m->vid, m->mac), hash_u64(fdb_key(m->vid, m->mac))))
			switch_add_static_mac(sw, port, m->vid, m->mac, ignored, sizeof(ignored));
	}
	for (size_t i = 0; i < have->n_seas; i++) {
		struct sea *sea = sea_set_find(a->seas, have->seas[i].name);
		if (sea)
			sea_configure(sea, dp, &have->seas[i]);
	}
}

/* ---- step 2: what cannot fail once step 1 did not ----------------------- */

/* config_check() proved the model fits; if the engine disagrees, that is
 * a bug to report, not a reason to leave the change half done. */
static void must(int error, const char *err)
{
	if (error)
		log_error("apply: BUG: the checked model was refused: %s", err);
}

static void delete_gone(struct config_apply *a, struct datapath *dp)
{
	const struct config *have = a->have, *want = a->want;
	/* An SEA goes before its switch and ports. */
	for (size_t i = 0; i < have->n_seas; i++) {
		struct sea *sea = sea_set_find(a->seas, have->seas[i].name);
		const struct sea_config *s = config_find_sea(want, have->seas[i].name);
		if (sea && (!s || strcmp(s->sw, have->seas[i].sw)))
			sea_set_del(a->seas, sea);
	}
	/* Ports gone, and rebuilt ones left running by step 1: with their
	 * devices (a port rebuilt on its own device was closed already). */
	for (size_t i = 0; i < have->n_ports; i++) {
		const struct config_port *old = &have->ports[i];
		const struct config_port *p = config_find_port(want, old->name);
		struct vswitch *sw;
		struct bridge_port *live = datapath_find_port(dp, old->name, &sw);
		if (live && (!p || !same_identity(old, p))) {
			switch_del_port(sw, live, true);
			a->ports_changed = true;
		}
	}
	for (size_t i = 0; i < have->n_switches; i++) {
		struct vswitch *sw = datapath_find_switch(dp, have->switches[i].name);
		if (sw && !config_find_switch(want, have->switches[i].name)) {
			datapath_del_switch(dp, sw);
			a->ports_changed = true;
		}
	}
}

static void set_switches(struct config_apply *a, struct datapath *dp)
{
	for (size_t i = 0; i < a->want->n_switches; i++) {
		const struct config_switch *s = &a->want->switches[i];
		if (a->new_switches[i]) {
			must(datapath_add_switch(dp, a->new_switches[i]), "too many switches");
			a->new_switches[i] = NULL;
			continue;
		}
		struct vswitch *sw = datapath_find_switch(dp, s->name);
		if (a->new_fdbs[i]) { /* learned entries go; statics come back in step 3 */
			fdb_destroy(sw->fdb);
			sw->fdb = a->new_fdbs[i];
			a->new_fdbs[i] = NULL;
		}
		sw->config = s->settings;
	}
}

static void set_ports(struct config_apply *a, struct datapath *dp)
{
	char err[512];
	/* Ports leaving passthrough before ports taking it. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < a->want->n_ports; i++) {
			const struct config_port *p = &a->want->ports[i];
			if ((p->settings.mode == PORT_MODE_PASSTHROUGH) != (pass == 1))
				continue;
			struct vswitch *sw = datapath_find_switch(dp, p->sw);
			struct port_config settings;
			config_effective_port(a->want, p, &settings);
			int error;
			if (a->new_ports[i]) {
				error = switch_add_port(sw, a->new_ports[i], &settings, err,
							sizeof(err));
				if (error)
					port_destroy(a->new_ports[i]);
				a->new_ports[i] = NULL;
			} else {
				error = switch_configure_port(sw, switch_find_port(sw, p->name),
							      &settings, err, sizeof(err));
			}
			must(error, err);
		}
	}
}

/* Each port gets its compiled security groups, or loses them, with the
 * poll threads paused: they see the old pointer or the new, never half. */
static void set_acls(struct config_apply *a, struct datapath *dp)
{
	for (size_t i = 0; i < a->want->n_ports; i++) {
		const struct config_port *p = &a->want->ports[i];
		struct bridge_port *live = datapath_find_port(dp, p->name, NULL);
		if (live && (a->new_acls[i] || !p->settings.acl.n_groups)) {
			config_acl_install(live, a->new_acls[i], &a->old_acls[i]);
			a->new_acls[i] = NULL;
		}
	}
}

/* Every SEA finds its ports again: some may have been rebuilt. */
static void set_seas(struct config_apply *a, struct datapath *dp)
{
	for (size_t i = 0; i < a->want->n_seas; i++) {
		const struct sea_config *s = &a->want->seas[i];
		if (a->new_seas[i]) {
			sea_start(a->new_seas[i], dp);
			must(sea_set_add(a->seas, a->new_seas[i]), "too many SEAs");
			a->new_seas[i] = NULL;
		} else {
			sea_configure(sea_set_find(a->seas, s->name), dp, s);
		}
	}
}

/* Mirrors gone or changed leave, new and changed ones come: after the
 * ports, which they find by name (mirror_bind). */
static void set_mirrors(struct config_apply *a, struct datapath *dp)
{
	for (size_t i = 0; i < a->have->n_mirrors; i++) {
		const struct mirror_config *old = &a->have->mirrors[i];
		const struct mirror_config *m = config_find_mirror(a->want, old->spec.name);
		struct vswitch *sw = datapath_find_switch(dp, old->sw);
		if (sw && (!m || !config_mirror_equal(old, m)))
			mirror_destroy(mirror_remove(sw, old->spec.name));
	}
	for (size_t i = 0; i < a->want->n_mirrors; i++) {
		if (!a->new_mirrors[i])
			continue;
		struct vswitch *sw = datapath_find_switch(dp, a->want->mirrors[i].sw);
		int error = sw ? mirror_add(sw, a->new_mirrors[i]) : -ENOENT;
		if (error)
			mirror_destroy(a->new_mirrors[i]);
		a->new_mirrors[i] = NULL;
		must(error, "a mirror does not fit its switch");
	}
}

/* Exporters gone or changed leave their switch; new ones take their place. */
static void set_ipfix(struct config_apply *a, struct datapath *dp)
{
	for (size_t i = 0; i < a->have->n_ipfix; i++) {
		const struct ipfix_config *old = &a->have->ipfix[i];
		const struct ipfix_config *x = config_find_ipfix(a->want, old->name);
		struct vswitch *sw = datapath_find_switch(dp, old->sw);
		if (sw && (!x || !config_ipfix_equal(old, x)))
			ipfix_cache_destroy(ipfix_cache_install(sw, NULL));
	}
	for (size_t i = 0; i < a->want->n_ipfix; i++) {
		struct vswitch *sw = datapath_find_switch(dp, a->want->ipfix[i].sw);
		if (!a->new_ipfix[i])
			continue;
		if (sw)
			ipfix_cache_destroy(ipfix_cache_install(sw, a->new_ipfix[i]));
		else
			ipfix_cache_destroy(a->new_ipfix[i]);
		must(sw ? 0 : -ENOENT, "an IPFIX exporter's switch is missing");
		a->new_ipfix[i] = NULL;
	}
}

static int open_and_change(struct config_apply *a, struct datapath *dp, char *err, size_t n)
{
	err[0] = '\0';
	int error = open_switches(a, dp, err, n);
	if (!error)
		error = open_ports(a, dp, err, n);
	if (!error)
		error = open_seas(a, err, n);
	if (!error)
		error = open_mirrors(a, err, n);
	if (!error)
		error = open_ipfix(a, dp, err, n);
	if (error) {
		undo(a, dp);
		return error;
	}
	delete_gone(a, dp);
	set_switches(a, dp);
	set_ports(a, dp);
	set_acls(a, dp);
	set_seas(a, dp);
	set_mirrors(a, dp);
	set_ipfix(a, dp);
	lldp_configure(&a->want->lldp);
	for (size_t i = 0; i < dp->n_switches; i++) /* after the ports: mcast-router */
		mcast_configure(dp->switches[i]);
	/* A port added may have brought another's link up (a patch port's
	 * peer): every switch sees it now, not at the next second. */
	datapath_refresh_links(dp);
	return 0;
}

/* ---- step 3: static MACs, a slice at a time ----------------------------- */

static void del_macs(struct config_apply *a, struct datapath *dp, size_t end)
{
	for (; a->done < end; a->done++) {
		const struct config_mac *m = &a->del[a->done];
		struct vswitch *sw = datapath_find_switch(dp, m->sw);
		if (sw) /* already gone with its port or VLAN: fine */
			switch_del_mac(sw, m->vid, m->mac);
	}
}

static void add_macs(struct config_apply *a, struct datapath *dp, size_t end)
{
	char err[256];
	for (; a->done < end; a->done++) {
		const struct config_mac *m = &a->want->macs[a->add[a->done]];
		struct vswitch *sw = datapath_find_switch(dp, m->sw);
		struct bridge_port *port = switch_find_port(sw, m->port);
		must(port ? switch_add_static_mac(sw, port, m->vid, m->mac, err, sizeof(err))
			  : -ENOENT,
		     port ? err : m->port);
	}
}

int config_apply_step(struct config_apply *a, struct datapath *dp, char *err, size_t err_size)
{
	size_t total = a->phase == APPLY_DEL_MACS ? a->n_del : a->n_add;
	size_t end = a->done + APPLY_MACS_PER_STEP < total ? a->done + APPLY_MACS_PER_STEP : total;
	switch (a->phase) {
	case APPLY_OPEN: {
		int error = open_and_change(a, dp, err, err_size);
		if (error)
			return error;
		a->phase = APPLY_DEL_MACS;
		return 1;
	}
	case APPLY_DEL_MACS:
		del_macs(a, dp, end);
		break;
	case APPLY_ADD_MACS:
		add_macs(a, dp, end);
		break;
	case APPLY_DONE:
		return 0;
	}
	if (a->done == total) {
		a->phase++;
		a->done = 0;
	}
	return a->phase == APPLY_DONE ? 0 : 1;
}

int config_apply(struct datapath *dp, struct sea_set *seas, const struct config *have,
		 const struct config *want, char *err, size_t err_size)
{
	struct config_apply *a = config_apply_prepare(have, want, seas, err, err_size);
	if (!a)
		return -ENOMEM;
	int rc;
	while ((rc = config_apply_step(a, dp, err, err_size)) > 0)
		;
	config_apply_free(a);
	return rc;
}
