/* sea_config.c — the Shared Ethernet Adapter in the desired-state model:
 * its keywords, the checks that tie it to its switch and ports, the real
 * adapter's VLANs it implies, and its line in running-config.
 *
 * An SEA's real adapter carries exactly what the SEA bridges: untagged
 * frames are the SEA's pvid, tagged frames pass for the VLANs its trunks
 * carry, and every other VLAN is dropped and counted (vlan-not-member). So
 * the real adapter's pvid and vids are not set on the port but follow from
 * the SEA (config_effective_port), and a pvid no trunk carries is refused. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int parse_port_list(struct sea_config *sea, const char *value, char *err, size_t err_size)
{
	char copy[SEA_TRUNKS_MAX * PORT_NAME_MAX + SEA_TRUNKS_MAX];
	if (strlen(value) >= sizeof(copy)) {
		snprintf(err, err_size, "sea %s: trunks list too long", sea->name);
		return -EINVAL;
	}
	strcpy(copy, value);
	sea->n_trunks = 0;
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (sea->n_trunks == SEA_TRUNKS_MAX) {
			snprintf(err, err_size, "sea %s: at most %d trunks", sea->name,
				 SEA_TRUNKS_MAX);
			return -EINVAL;
		}
		if (!copy_name(sea->trunks[sea->n_trunks++], PORT_NAME_MAX, t)) {
			snprintf(err, err_size, "sea %s: trunk name '%s' too long", sea->name, t);
			return -EINVAL;
		}
	}
	if (sea->n_trunks == 0) {
		snprintf(err, err_size, "sea %s: trunks must name at least one port", sea->name);
		return -EINVAL;
	}
	return 0;
}

static int parse_ms(struct sea_config *sea, const char *key, const char *value, uint32_t *out,
		    char *err, size_t err_size)
{
	char what[96];
	unsigned long v;
	snprintf(what, sizeof(what), "sea %s: %s (ms)", sea->name, key);
	if (config_parse_uint(what, value, 0, 3600000, &v, err, err_size))
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int config_parse_sea_settings(struct sea_config *sea, int argc, char **argv, char *err,
			      size_t err_size)
{
	char what[96];
	for (int i = 0; i < argc; i += 2) {
		const char *key = argv[i];
		if (i + 1 >= argc) {
			snprintf(err, err_size, "sea %s: '%s' needs a value", sea->name, key);
			return -EINVAL;
		}
		const char *value = argv[i + 1];
		unsigned long v;
		snprintf(what, sizeof(what), "sea %s: %s", sea->name, key);
		int error = 0;
		if (!strcmp(key, "real")) {
			if (!copy_name(sea->real, sizeof(sea->real), value))
				goto too_long;
		} else if (!strcmp(key, "trunks")) {
			error = parse_port_list(sea, value, err, err_size);
		} else if (!strcmp(key, "ctl")) {
			if (!strcmp(value, "none"))
				sea->ctl[0] = '\0';
			else if (!copy_name(sea->ctl, sizeof(sea->ctl), value))
				goto too_long;
		} else if (!strcmp(key, "pvid")) {
			error = config_parse_uint(what, value, 1, VID_MAX, &v, err, err_size);
			sea->pvid = (uint16_t)v;
		} else if (!strcmp(key, "priority") || !strcmp(key, "trunk-priority")) {
			/* PowerVM calls it the trunk priority (of the trunk adapters). */
			error = config_parse_uint(what, value, 1, 15, &v, err, err_size);
			sea->priority = (uint8_t)v;
		} else if (!strcmp(key, "ha-mode")) {
			if (!strcmp(value, "auto"))
				sea->ha_mode = SEA_HA_AUTO;
			else if (!strcmp(value, "standby"))
				sea->ha_mode = SEA_HA_STANDBY;
			else if (!strcmp(value, "sharing"))
				sea->ha_mode = SEA_HA_SHARING;
			else {
				snprintf(err, err_size, "%s '%s' must be auto, standby or sharing",
					 what, value);
				return -EINVAL;
			}
		} else if (!strcmp(key, "failback")) {
			error = config_parse_bool(what, value, &sea->failback, err, err_size);
		} else if (!strcmp(key, "failback-delay")) {
			error = parse_ms(sea, key, value, &sea->failback_delay_ms, err, err_size);
		} else if (!strcmp(key, "hello")) {
			error = parse_ms(sea, key, value, &sea->hello_ms, err, err_size);
		} else if (!strcmp(key, "dead")) {
			error = parse_ms(sea, key, value, &sea->dead_ms, err, err_size);
		} else if (!strcmp(key, "netaddr")) {
			if (!strcmp(value, "none"))
				sea->netaddr[0] = '\0';
			else if (!copy_name(sea->netaddr, sizeof(sea->netaddr), value)) {
				snprintf(err, err_size,
					 "sea %s: netaddr '%s' is not an IPv4 address", sea->name,
					 value);
				return -EINVAL;
			}
		} else if (!strcmp(key, "netaddr-interval")) {
			error = parse_ms(sea, key, value, &sea->netaddr_interval_ms, err, err_size);
		} else if (!strcmp(key, "netaddr-retries")) {
			error = config_parse_uint(what, value, 1, 100, &v, err, err_size);
			sea->netaddr_retries = (uint32_t)v;
		} else {
			snprintf(
			    err, err_size,
			    "sea %s: unknown setting '%s' (settings: real, trunks, ctl, pvid, "
			    "priority, ha-mode, failback, failback-delay, hello, dead, netaddr, "
			    "netaddr-interval, netaddr-retries)",
			    sea->name, key);
			return -EINVAL;
		}
		if (error)
			return -EINVAL;
		continue;
	too_long:
		snprintf(err, err_size, "sea %s: %s '%s' is too long", sea->name, key, value);
		return -EINVAL;
	}
	return 0;
}

const struct sea_config *config_sea_of_port(const struct config *cfg, const char *port)
{
	for (size_t i = 0; i < cfg->n_seas; i++) {
		const struct sea_config *s = &cfg->seas[i];
		if (!strcmp(s->real, port) || !strcmp(s->ctl, port))
			return s;
		for (int t = 0; t < s->n_trunks; t++)
			if (!strcmp(s->trunks[t], port))
				return s;
	}
	return NULL;
}

bool config_is_sea_trunk(const struct config *cfg, const char *port)
{
	for (size_t i = 0; i < cfg->n_seas; i++)
		for (int t = 0; t < cfg->seas[i].n_trunks; t++)
			if (!strcmp(cfg->seas[i].trunks[t], port))
				return true;
	return false;
}

static void port_vlans(const struct port_config *c, uint64_t out[VLAN_WORDS])
{
	memcpy(out, c->vids, VLAN_WORDS * sizeof(uint64_t));
	bitset_set(out, c->pvid);
}

/* The VLANs the SEA's trunks carry (trunks that do not exist add nothing). */
static void carried_vlans(const struct config *cfg, const struct sea_config *sea,
			  uint64_t out[VLAN_WORDS])
{
	memset(out, 0, VLAN_WORDS * sizeof(uint64_t));
	for (int t = 0; t < sea->n_trunks; t++) {
		const struct config_port *p = config_find_port(cfg, sea->trunks[t]);
		if (!p)
			continue;
		uint64_t v[VLAN_WORDS];
		port_vlans(&p->settings, v);
		for (unsigned w = 0; w < VLAN_WORDS; w++)
			out[w] |= v[w];
	}
}

void config_effective_port(const struct config *cfg, const struct config_port *p,
			   struct port_config *out)
{
	*out = p->settings;
	for (size_t i = 0; i < cfg->n_seas; i++) {
		const struct sea_config *sea = &cfg->seas[i];
		if (strcmp(sea->real, p->name))
			continue;
		carried_vlans(cfg, sea, out->vids);
		bitset_clear(out->vids, sea->pvid);
		out->pvid = sea->pvid;
		out->uplink = true;
		return;
	}
}

/* The port named `name`, which must be on the SEA's switch. */
static const struct config_port *sea_port(const struct config *cfg, const struct sea_config *sea,
					  const char *role, const char *name, char *err,
					  size_t err_size)
{
	const struct config_port *p = config_find_port(cfg, name);
	if (!p || strcmp(p->sw, sea->sw)) {
		snprintf(err, err_size, "sea %s: %s '%s' is not a port of switch %s", sea->name,
			 role, name, sea->sw);
		return NULL;
	}
	return p;
}

static int check_sea(const struct config *cfg, const struct sea_config *sea, char *err,
		     size_t err_size)
{
	int error = sea_config_validate(sea, err, err_size);
	if (error)
		return error;
	if (!config_find_switch(cfg, sea->sw)) {
		snprintf(err, err_size, "sea %s: no switch %s", sea->name, sea->sw);
		return -EINVAL;
	}
	const struct config_port *real =
	    sea_port(cfg, sea, "real adapter", sea->real, err, err_size);
	if (!real)
		return -EINVAL;
	if (real->settings.pvid != 1 || !bitset_empty(real->settings.vids, VLAN_WORDS)) {
		snprintf(err, err_size,
			 "port %s: as the real adapter of sea %s its VLANs follow the sea (pvid "
			 "and the trunks' VLANs); leave its pvid and vids unset",
			 real->name, sea->name);
		return -EINVAL;
	}
	for (int t = 0; t < sea->n_trunks; t++) {
		const struct config_port *p =
		    sea_port(cfg, sea, "trunk", sea->trunks[t], err, err_size);
		if (!p)
			return -EINVAL;
		if (!strcmp(p->name, sea->real) || !strcmp(p->name, sea->ctl)) {
			snprintf(err, err_size, "sea %s: port %s cannot be a trunk and %s",
				 sea->name, p->name,
				 !strcmp(p->name, sea->real) ? "the real adapter"
							     : "the control port");
			return -EINVAL;
		}
		for (int u = 0; u < t; u++)
			if (!strcmp(sea->trunks[u], p->name)) {
				snprintf(err, err_size, "sea %s: trunk %s listed twice", sea->name,
					 p->name);
				return -EINVAL;
			}
		const struct port_class *class = port_class_find(p->type);
		if (!class || !class->set_link) {
			snprintf(err, err_size,
				 "sea %s: trunk %s is a %s port, which cannot lower its link to "
				 "stand by; plug trunks into the hypervisor switch as vnic ports",
				 sea->name, p->name, p->type);
			return -EINVAL;
		}
		if (p->settings.uplink) {
			snprintf(
			    err, err_size,
			    "sea %s: trunk %s faces the hypervisor switch; it is not an uplink",
			    sea->name, p->name);
			return -EINVAL;
		}
	}
	uint64_t carried[VLAN_WORDS];
	carried_vlans(cfg, sea, carried);
	if (!bitset_test(carried, sea->pvid)) {
		char list[256];
		config_format_vids(carried, list, sizeof(list));
		snprintf(err, err_size,
			 "sea %s: pvid %u is not among the VLANs its trunks carry (%s)", sea->name,
			 sea->pvid, list);
		return -EINVAL;
	}
	if (sea->ctl[0]) {
		const struct config_port *ctl =
		    sea_port(cfg, sea, "control port", sea->ctl, err, err_size);
		if (!ctl)
			return -EINVAL;
		if (!strcmp(ctl->name, sea->real)) {
			snprintf(err, err_size,
				 "sea %s: the real adapter cannot be the control port", sea->name);
			return -EINVAL;
		}
		/* A control port in a bridged VLAN would bridge the control
		 * channel into the LAN: a loop between the two SEAs. */
		uint64_t ctl_vlans[VLAN_WORDS];
		port_vlans(&ctl->settings, ctl_vlans);
		bitset_set(carried, sea->pvid);
		for (unsigned v = 1; v <= VID_MAX; v++)
			if (bitset_test(ctl_vlans, v) && bitset_test(carried, v)) {
				snprintf(err, err_size,
					 "sea %s: control port %s is in vlan %u, which the sea "
					 "bridges; give it a VLAN of its own",
					 sea->name, ctl->name, v);
				return -EINVAL;
			}
	}
	for (size_t i = 0; i < cfg->n_seas; i++) {
		const struct sea_config *other = &cfg->seas[i];
		if (other != sea && !strcmp(other->sw, sea->sw)) {
			snprintf(err, err_size, "sea %s: switch %s already has sea %s", sea->name,
				 sea->sw, other->name);
			return -EBUSY;
		}
	}
	return 0;
}

int config_check_seas(const struct config *cfg, char *err, size_t err_size)
{
	for (size_t i = 0; i < cfg->n_seas; i++) {
		int error = check_sea(cfg, &cfg->seas[i], err, err_size);
		if (error)
			return error;
	}
	return 0;
}

bool config_sea_equal(const struct sea_config *a, const struct sea_config *b)
{
	if (strcmp(a->name, b->name) || strcmp(a->sw, b->sw) || strcmp(a->real, b->real) ||
	    strcmp(a->ctl, b->ctl) || strcmp(a->netaddr, b->netaddr) || a->n_trunks != b->n_trunks)
		return false;
	for (int i = 0; i < a->n_trunks; i++)
		if (strcmp(a->trunks[i], b->trunks[i]))
			return false;
	return a->pvid == b->pvid && a->priority == b->priority && a->ha_mode == b->ha_mode &&
	       a->failback == b->failback && a->failback_delay_ms == b->failback_delay_ms &&
	       a->hello_ms == b->hello_ms && a->dead_ms == b->dead_ms &&
	       a->netaddr_interval_ms == b->netaddr_interval_ms &&
	       a->netaddr_retries == b->netaddr_retries;
}

void config_print_sea(const struct sea_config *s, FILE *out)
{
	struct sea_config d;
	sea_config_init(&d);
	fprintf(out, "sea add %s %s real %s trunks ", s->name, s->sw, s->real);
	for (int i = 0; i < s->n_trunks; i++)
		fprintf(out, "%s%s", i ? "," : "", s->trunks[i]);
	if (s->ctl[0])
		fprintf(out, " ctl %s", s->ctl);
	if (s->pvid != d.pvid)
		fprintf(out, " pvid %u", s->pvid);
	if (s->priority != d.priority)
		fprintf(out, " priority %u", s->priority);
	if (s->ha_mode != d.ha_mode)
		fprintf(out, " ha-mode %s", sea_ha_mode_name(s->ha_mode));
	if (s->failback != d.failback)
		fprintf(out, " failback %s", s->failback ? "on" : "off");
	if (s->failback_delay_ms != d.failback_delay_ms)
		fprintf(out, " failback-delay %u", s->failback_delay_ms);
	if (s->hello_ms != d.hello_ms)
		fprintf(out, " hello %u", s->hello_ms);
	if (s->dead_ms != d.dead_ms)
		fprintf(out, " dead %u", s->dead_ms);
	if (s->netaddr[0])
		fprintf(out, " netaddr %s", s->netaddr);
	if (s->netaddr_interval_ms != d.netaddr_interval_ms)
		fprintf(out, " netaddr-interval %u", s->netaddr_interval_ms);
	if (s->netaddr_retries != d.netaddr_retries)
		fprintf(out, " netaddr-retries %u", s->netaddr_retries);
	fputc('\n', out);
}
