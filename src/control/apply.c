/* apply.c — makes the live datapath match a model, given the model it
 * matches now. What can fail (a switch's memory, a port's device) is done
 * first and undone on failure; what cannot fail once the model passed
 * config_check (settings, deletions, static MACs) comes after. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "engine/datapath.h"

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

static const struct config_port *kept_port(const struct config *have, const struct config_port *p)
{
	const struct config_port *old = config_find_port(have, p->name);
	return old && same_identity(old, p) ? old : NULL;
}

static struct port *open_port(const struct config_port *p, char *err, size_t err_size)
{
	const char *options[CONFIG_MAX_OPTIONS + 1];
	for (int i = 0; i < p->n_options; i++)
		options[i] = p->options[i];
	options[p->n_options] = NULL;
	return port_create(p->name, p->type, options, err, err_size);
}

/* Switches whose fdb capacity changed get a new, empty table. */
static int resize_fdb(struct vswitch *sw, uint32_t capacity, char *err, size_t err_size)
{
	struct fdb *fdb = fdb_create(capacity);
	if (!fdb) {
		snprintf(err, err_size, "switch %s: out of memory for %u MAC entries", sw->name,
			 capacity);
		return -ENOMEM;
	}
	fdb_destroy(sw->fdb);
	sw->fdb = fdb;
	return 0;
}

int config_apply(struct datapath *dp, const struct config *have, const struct config *want,
		 char *err, size_t err_size)
{
	int error = 0;
	struct vswitch **new_switches = calloc(want->n_switches + 1, sizeof(*new_switches));
	struct port **new_ports = calloc(want->n_ports + 1, sizeof(*new_ports));
	if (!new_switches || !new_ports) {
		snprintf(err, err_size, "out of memory");
		error = -ENOMEM;
		goto out;
	}

	/* 1. What may fail: new switches, new or rebuilt ports' devices. */
	for (size_t i = 0; i < want->n_switches; i++) {
		const struct config_switch *s = &want->switches[i];
		if (config_find_switch(have, s->name))
			continue;
		new_switches[i] = switch_create(s->name, &s->settings, dp->pool, err, err_size);
		if (!new_switches[i]) {
			error = -ENOMEM;
			goto undo;
		}
	}
	for (size_t i = 0; i < want->n_ports; i++) {
		if (kept_port(have, &want->ports[i]))
			continue;
		const struct config_port *old = config_find_port(have, want->ports[i].name);
		if (old) {
			/* A rebuilt port may reopen the same device: close it first,
			 * keeping the device if it does, removing it if not. */
			struct vswitch *sw;
			struct port *live = datapath_find_port(dp, old->name, &sw);
			if (live)
				switch_del_port(sw, live,
						!config_port_same_device(old, &want->ports[i]));
		}
		new_ports[i] = open_port(&want->ports[i], err, err_size);
		if (!new_ports[i]) {
			error = -ENODEV;
			goto undo;
		}
		/* A new SEA trunk starts down, or the hypervisor switch could
		 * take it for an active trunk before the SEA has been elected. */
		const struct port_class *class = new_ports[i]->class;
		if (class->set_link && config_is_sea_trunk(want, want->ports[i].name))
			class->set_link(new_ports[i], false);
	}

	/* 2. Cannot fail from here on: deletions first, so names and the
	 * passthrough role are free for what comes. An SEA goes before its
	 * switch and ports. */
	for (size_t i = 0; i < have->n_seas; i++) {
		const char *name = have->seas[i].name;
		struct sea *sea = datapath_find_sea(dp, name);
		const struct sea_config *s = config_find_sea(want, name);
		if (sea && (!s || strcmp(s->sw, have->seas[i].sw)))
			datapath_del_sea(dp, sea);
	}
	for (size_t i = 0; i < have->n_ports; i++) {
		const struct config_port *old = &have->ports[i];
		const struct config_port *p = config_find_port(want, old->name);
		struct vswitch *sw;
		struct port *live = datapath_find_port(dp, old->name, &sw);
		if (live && (!p || !same_identity(old, p)))
			switch_del_port(sw, live, !p || !config_port_same_device(old, p));
	}
	for (size_t i = 0; i < have->n_switches; i++) {
		const char *name = have->switches[i].name;
		struct vswitch *sw = datapath_find_switch(dp, name);
		if (sw && !config_find_switch(want, name))
			datapath_del_switch(dp, sw);
	}
	for (size_t i = 0; i < want->n_switches; i++) {
		const struct config_switch *s = &want->switches[i];
		if (new_switches[i]) {
			datapath_add_switch(dp, new_switches[i]);
			new_switches[i] = NULL;
			continue;
		}
		struct vswitch *sw = datapath_find_switch(dp, s->name);
		if (s->settings.fdb_capacity != sw->config.fdb_capacity &&
		    resize_fdb(sw, s->settings.fdb_capacity, err, err_size) < 0)
			return -ENOMEM; /* the old table is still in place */
		sw->config = s->settings;
	}
	/* Ports leaving passthrough before ports taking it. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < want->n_ports; i++) {
			const struct config_port *p = &want->ports[i];
			if ((p->settings.mode == PORT_MODE_PASSTHROUGH) != (pass == 1))
				continue;
			struct vswitch *sw = datapath_find_switch(dp, p->sw);
			struct port_config settings;
			config_effective_port(want, p, &settings);
			if (new_ports[i]) {
				error = switch_add_port(sw, new_ports[i], &settings, err, err_size);
				if (error)
					port_destroy(new_ports[i]);
				new_ports[i] = NULL;
			} else {
				error = switch_configure_port(sw, switch_find_port(sw, p->name),
							      &settings, err, err_size);
			}
			if (error)
				goto out; /* config_check should have caught it */
		}
	}
	for (size_t i = 0; i < have->n_macs; i++) {
		const struct config_mac *m = &have->macs[i];
		struct vswitch *sw = datapath_find_switch(dp, m->sw);
		if (sw && !config_find_mac(want, m->sw, m->vid, m->mac))
			switch_del_mac(sw, m->vid, m->mac);
	}
	for (size_t i = 0; i < want->n_macs; i++) {
		const struct config_mac *m = &want->macs[i];
		struct vswitch *sw = datapath_find_switch(dp, m->sw);
		error = switch_add_static_mac(sw, switch_find_port(sw, m->port), m->vid, m->mac,
					      err, err_size);
		if (error)
			goto out;
	}
	/* Every SEA finds its ports again: some may have been rebuilt. */
	for (size_t i = 0; i < want->n_seas; i++) {
		const struct sea_config *s = &want->seas[i];
		struct sea *sea = datapath_find_sea(dp, s->name);
		if (sea) {
			sea_configure(sea, dp, s);
			continue;
		}
		sea = sea_create(dp, s);
		if (!sea || datapath_add_sea(dp, sea) < 0) {
			sea_destroy(sea);
			snprintf(err, err_size, "sea %s: out of memory", s->name);
			error = -ENOMEM;
			goto out;
		}
	}
	/* A port added may have brought another's link up (a patch port's
	 * peer): every switch sees it now, not at the next second. */
	datapath_refresh_links(dp);
	goto out;

undo:
	for (size_t i = 0; i < want->n_switches; i++)
		switch_destroy(new_switches[i]);
	for (size_t i = 0; i < want->n_ports; i++)
		port_destroy(new_ports[i]);
	/* Rebuilt ports whose old device was closed come back as they were. */
	for (size_t i = 0; i < have->n_ports; i++) {
		const struct config_port *old = &have->ports[i];
		struct vswitch *sw = datapath_find_switch(dp, old->sw);
		char ignored[256];
		if (!sw || switch_find_port(sw, old->name))
			continue;
		struct port *port = open_port(old, ignored, sizeof(ignored));
		struct port_config settings;
		config_effective_port(have, old, &settings);
		if (port && switch_add_port(sw, port, &settings, ignored, sizeof(ignored)) < 0)
			port_destroy(port);
	}
	for (size_t i = 0; i < have->n_macs; i++) {
		const struct config_mac *m = &have->macs[i];
		struct vswitch *sw = datapath_find_switch(dp, m->sw);
		struct port *port = sw ? switch_find_port(sw, m->port) : NULL;
		char ignored[256];
		if (port)
			switch_add_static_mac(sw, port, m->vid, m->mac, ignored, sizeof(ignored));
	}
	for (size_t i = 0; i < have->n_seas; i++) {
		struct sea *sea = datapath_find_sea(dp, have->seas[i].name);
		if (sea)
			sea_configure(sea, dp, &have->seas[i]);
	}
out:
	free(new_switches);
	free(new_ports);
	return error;
}
