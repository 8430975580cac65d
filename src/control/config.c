/* config.c — the desired-state model: its elements, their lookup, the
 * keyword settings that `add` and `set` share, the cross-checks that make a
 * model valid as a whole, and its printing as running-config. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/datapath.h"
#include "lib/frame.h"
#include "security_config.h"

static const char *const port_mode_names[] = {"veb", "vepa", "private", "passthrough"};
static const char *const switch_mode_names[] = {"learning", "authoritative"};

const char *config_port_mode_name(enum port_mode mode)
{
	return (unsigned)mode < ARRAY_SIZE(port_mode_names) ? port_mode_names[mode] : "?";
}

const char *config_switch_mode_name(enum switch_mode mode)
{
	return (unsigned)mode < ARRAY_SIZE(switch_mode_names) ? switch_mode_names[mode] : "?";
}

/* Open addressing over the macs array: slot = index + 1, 0 = empty. Kept
 * up to date lazily: entries appended since the last lookup are indexed on
 * the next one (their key is written after config_add_mac returns), and a
 * deletion, which moves entries, has the index rebuilt. */
struct config_mac_index {
	uint32_t *slots;
	size_t size;	  /* a power of two, at least twice the entries */
	size_t n_indexed; /* macs[0 .. n_indexed) are in slots */
};

struct config *config_new(void)
{
	struct config *cfg = calloc(1, sizeof(struct config));
	if (cfg && !(cfg->mac_index = calloc(1, sizeof(*cfg->mac_index)))) {
		free(cfg);
		return NULL;
	}
	return cfg;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->switches);
	free(cfg->ports);
	free(cfg->macs);
	free(cfg->seas);
	free(cfg->mirrors);
	free(cfg->acl_rules);
	free(cfg->profiles);
	free(cfg->ipfix);
	free(cfg->mac_index->slots);
	free(cfg->mac_index);
	free(cfg);
}

/* Arrays grow by doubling: a file of 100 000 lines must not copy its
 * table once per line. The room allocated for n elements is this. */
static size_t room_for(size_t n)
{
	size_t room = 8;
	while (room < n)
		room *= 2;
	return room;
}

static void *copy_array(const void *src, size_t n, size_t size)
{
	void *dst = malloc(room_for(n) * size);
	if (dst && n)
		memcpy(dst, src, n * size);
	return dst;
}

struct config *config_copy(const struct config *cfg)
{
	struct config *c = config_new();
	if (!c)
		return NULL;
	c->switches = copy_array(cfg->switches, cfg->n_switches, sizeof(*cfg->switches));
	c->ports = copy_array(cfg->ports, cfg->n_ports, sizeof(*cfg->ports));
	c->macs = copy_array(cfg->macs, cfg->n_macs, sizeof(*cfg->macs));
	c->seas = copy_array(cfg->seas, cfg->n_seas, sizeof(*cfg->seas));
	c->mirrors = copy_array(cfg->mirrors, cfg->n_mirrors, sizeof(*cfg->mirrors));
	c->acl_rules = copy_array(cfg->acl_rules, cfg->n_acl_rules, sizeof(*cfg->acl_rules));
	c->profiles = copy_array(cfg->profiles, cfg->n_profiles, sizeof(*cfg->profiles));
	if (!c->switches || !c->ports || !c->macs || !c->seas || !c->mirrors || !c->acl_rules ||
	    !c->profiles) {
		config_free(c);
		return NULL;
	}
	c->n_profiles = cfg->n_profiles;
	c->n_switches = cfg->n_switches;
	c->n_ports = cfg->n_ports;
	c->n_macs = cfg->n_macs;
	c->n_seas = cfg->n_seas;
	c->n_mirrors = cfg->n_mirrors;
	c->n_acl_rules = cfg->n_acl_rules;
	if (config_copy_ipfix(c, cfg)) {
		config_free(c);
		return NULL;
	}
	memcpy(c->source, cfg->source, sizeof(c->source));
	memcpy(c->cores, cfg->cores, sizeof(c->cores));
	memcpy(c->metrics_listen, cfg->metrics_listen, sizeof(c->metrics_listen));
	c->lldp = cfg->lldp;
	return c;
}

struct config_switch *config_find_switch(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_switches; i++)
		if (strcmp(cfg->switches[i].name, name) == 0)
			return &cfg->switches[i];
	return NULL;
}

struct config_port *config_find_port(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].name, name) == 0)
			return &cfg->ports[i];
	return NULL;
}

static uint64_t mac_hash(const char *sw, uint16_t vid, const uint8_t mac[6])
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a over the switch name */
	for (; *sw; sw++)
		h = (h ^ (uint8_t)*sw) * 1099511628211ull;
	uint64_t key = (uint64_t)vid << 48;
	for (int i = 0; i < 6; i++)
		key |= (uint64_t)mac[i] << (40 - 8 * i);
	return hash_u64(h ^ key);
}

static bool mac_matches(const struct config_mac *m, const char *sw, uint16_t vid,
			const uint8_t mac[6])
{
	return m->vid == vid && memcmp(m->mac, mac, 6) == 0 && strcmp(m->sw, sw) == 0;
}

static void index_insert(struct config_mac_index *ix, const struct config_mac *macs, size_t i)
{
	const struct config_mac *m = &macs[i];
	size_t slot = mac_hash(m->sw, m->vid, m->mac) & (ix->size - 1);
	while (ix->slots[slot])
		slot = (slot + 1) & (ix->size - 1);
	ix->slots[slot] = (uint32_t)i + 1;
}

/* Brings the index up to date; false when out of memory. */
static bool index_refresh(const struct config *cfg)
{
	struct config_mac_index *ix = cfg->mac_index;
	if (ix->n_indexed > cfg->n_macs || ix->size < 2 * cfg->n_macs + 2) {
		size_t size = 64;
		while (size < 4 * cfg->n_macs)
			size *= 2;
		uint32_t *slots = calloc(size, sizeof(*slots));
		if (!slots)
			return false;
		free(ix->slots);
		ix->slots = slots;
		ix->size = size;
		ix->n_indexed = 0;
	}
	for (; ix->n_indexed < cfg->n_macs; ix->n_indexed++)
		index_insert(ix, cfg->macs, ix->n_indexed);
	return true;
}

/* Entries move: forget the index, it is rebuilt on the next lookup. */
static void index_forget(struct config *cfg)
{
	cfg->mac_index->n_indexed = SIZE_MAX;
}

struct config_mac *config_find_mac(const struct config *cfg, const char *sw, uint16_t vid,
				   const uint8_t mac[6])
{
	const struct config_mac_index *ix = cfg->mac_index;
	if (!index_refresh(cfg)) { /* out of memory: still correct, slowly */
		for (size_t i = 0; i < cfg->n_macs; i++)
			if (mac_matches(&cfg->macs[i], sw, vid, mac))
				return &cfg->macs[i];
		return NULL;
	}
	size_t slot = mac_hash(sw, vid, mac) & (ix->size - 1);
	for (; ix->slots[slot]; slot = (slot + 1) & (ix->size - 1)) {
		struct config_mac *m = &cfg->macs[ix->slots[slot] - 1];
		if (mac_matches(m, sw, vid, mac))
			return m;
	}
	return NULL;
}

/* Grows *array by one zeroed element of `size` bytes. */
static void *append(void **array, size_t *n, size_t size)
{
	if (!*array || *n == room_for(*n)) {
		char *grown = realloc(*array, room_for(*n + 1) * size);
		if (!grown)
			return NULL;
		*array = grown;
	}
	char *base = *array;
	memset(base + *n * size, 0, size);
	return base + (*n)++ * size;
}

struct config_switch *config_add_switch(struct config *cfg)
{
	return append((void **)&cfg->switches, &cfg->n_switches, sizeof(*cfg->switches));
}

struct config_port *config_add_port(struct config *cfg)
{
	return append((void **)&cfg->ports, &cfg->n_ports, sizeof(*cfg->ports));
}

struct config_mac *config_add_mac(struct config *cfg)
{
	return append((void **)&cfg->macs, &cfg->n_macs, sizeof(*cfg->macs));
}

struct sea_config *config_find_sea(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_seas; i++)
		if (strcmp(cfg->seas[i].name, name) == 0)
			return &cfg->seas[i];
	return NULL;
}

struct sea_config *config_add_sea(struct config *cfg)
{
	return append((void **)&cfg->seas, &cfg->n_seas, sizeof(*cfg->seas));
}

struct acl_rule_config *config_add_acl_rule(struct config *cfg)
{
	return append((void **)&cfg->acl_rules, &cfg->n_acl_rules, sizeof(*cfg->acl_rules));
}

void config_del_sea(struct config *cfg, const char *name)
{
	struct sea_config *sea = config_find_sea(cfg, name);
	if (!sea)
		return;
	size_t i = (size_t)(sea - cfg->seas);
	memmove(sea, sea + 1, (cfg->n_seas - i - 1) * sizeof(*sea));
	cfg->n_seas--;
}

void config_del_mac(struct config *cfg, struct config_mac *mac)
{
	size_t i = (size_t)(mac - cfg->macs);
	memmove(mac, mac + 1, (cfg->n_macs - i - 1) * sizeof(*mac));
	cfg->n_macs--;
	index_forget(cfg);
}

void config_del_port(struct config *cfg, const char *name)
{
	size_t kept = 0; /* one pass: a port may own 100 000 static MACs */
	for (size_t i = 0; i < cfg->n_macs; i++)
		if (strcmp(cfg->macs[i].port, name) != 0)
			cfg->macs[kept++] = cfg->macs[i];
	if (kept != cfg->n_macs) {
		cfg->n_macs = kept;
		index_forget(cfg);
	}
	struct config_port *port = config_find_port(cfg, name);
	if (!port)
		return;
	size_t i = (size_t)(port - cfg->ports);
	memmove(port, port + 1, (cfg->n_ports - i - 1) * sizeof(*port));
	cfg->n_ports--;
}

struct mirror_config *config_find_mirror(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_mirrors; i++)
		if (strcmp(cfg->mirrors[i].spec.name, name) == 0)
			return &cfg->mirrors[i];
	return NULL;
}

struct mirror_config *config_add_mirror(struct config *cfg)
{
	return append((void **)&cfg->mirrors, &cfg->n_mirrors, sizeof(*cfg->mirrors));
}

void config_del_mirror(struct config *cfg, const char *name)
{
	struct mirror_config *m = config_find_mirror(cfg, name);
	if (!m)
		return;
	size_t i = (size_t)(m - cfg->mirrors);
	memmove(m, m + 1, (cfg->n_mirrors - i - 1) * sizeof(*m));
	cfg->n_mirrors--;
}

void config_del_switch(struct config *cfg, const char *name)
{
	for (struct ipfix_config *x; (x = config_ipfix_of_switch(cfg, name));)
		config_del_ipfix(cfg, x->name);
	for (size_t i = 0; i < cfg->n_mirrors;)
		if (strcmp(cfg->mirrors[i].sw, name) == 0)
			config_del_mirror(cfg, cfg->mirrors[i].spec.name);
		else
			i++;
	for (size_t i = 0; i < cfg->n_seas;)
		if (strcmp(cfg->seas[i].sw, name) == 0)
			config_del_sea(cfg, cfg->seas[i].name);
		else
			i++;
	for (size_t i = 0; i < cfg->n_ports;)
		if (strcmp(cfg->ports[i].sw, name) == 0)
			config_del_port(cfg, cfg->ports[i].name);
		else
			i++;
	struct config_switch *sw = config_find_switch(cfg, name);
	if (!sw)
		return;
	size_t i = (size_t)(sw - cfg->switches);
	memmove(sw, sw + 1, (cfg->n_switches - i - 1) * sizeof(*sw));
	cfg->n_switches--;
}

/* ---- parsing of keyword settings ---------------------------------------- */

int config_parse_uint(const char *what, const char *text, unsigned long min, unsigned long max,
		      unsigned long *out, char *err, size_t err_size)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (!*text || *end || errno || text[0] == '-' || v < min || v > max) {
		snprintf(err, err_size, "%s '%s' is not a number in range %lu-%lu", what, text, min,
			 max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int config_parse_bool(const char *what, const char *text, bool *out, char *err, size_t err_size)
{
	if (!strcmp(text, "on") || !strcmp(text, "yes") || !strcmp(text, "true")) {
		*out = true;
		return 0;
	}
	if (!strcmp(text, "off") || !strcmp(text, "no") || !strcmp(text, "false")) {
		*out = false;
		return 0;
	}
	snprintf(err, err_size, "%s '%s' must be on or off", what, text);
	return -EINVAL;
}

int config_parse_vids(const char *text, uint64_t vids[VLAN_WORDS], char *err, size_t err_size)
{
	memset(vids, 0, VLAN_WORDS * sizeof(uint64_t));
	if (!strcmp(text, "none"))
		return 0;
	const char *p = text;
	while (*p) {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;
		if (end == p)
			goto bad;
		if (*end == '-') {
			const char *q = end + 1;
			hi = strtoul(q, &end, 10);
			if (end == q)
				goto bad;
		}
		if (lo < 1 || hi > VID_MAX || lo > hi) {
			snprintf(err, err_size, "vids '%s': %lu-%lu is outside 1-%u", text, lo, hi,
				 VID_MAX);
			return -ERANGE;
		}
		for (unsigned long v = lo; v <= hi; v++)
			bitset_set(vids, (unsigned)v);
		if (*end == ',')
			end++;
		else if (*end)
			goto bad;
		p = end;
	}
	return 0;
bad:
	snprintf(err, err_size, "vids '%s' must be a list like 3,5-7 (or none)", text);
	return -EINVAL;
}

int config_parse_prefix(const char *what, const char *text, uint8_t addr[16], uint8_t *family,
			uint8_t *len, char *err, size_t err_size)
{
	char host[64];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	memset(addr, 0, 16);
	if (n >= sizeof(host))
		goto bad;
	memcpy(host, text, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, addr) == 1)
		*family = 4;
	else if (inet_pton(AF_INET6, host, addr) == 1)
		*family = 6;
	else
		goto bad;
	unsigned long max = *family == 4 ? 32 : 128, bits = max;
	if (slash && config_parse_uint(what, slash + 1, 0, max, &bits, err, err_size))
		return -EINVAL;
	*len = (uint8_t)bits;
	return 0;
bad:
	snprintf(err, err_size, "%s '%s' is not an IPv4 or IPv6 address[/prefix]", what, text);
	return -EINVAL;
}

void config_format_vids(const uint64_t vids[VLAN_WORDS], char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned v = 1; v <= VID_MAX && used < size; v++) {
		if (!bitset_test(vids, v))
			continue;
		unsigned end = v;
		while (end < VID_MAX && bitset_test(vids, end + 1))
			end++;
		if (end == v)
			used +=
			    (size_t)snprintf(buf + used, size - used, "%s%u", used ? "," : "", v);
		else
			used += (size_t)snprintf(buf + used, size - used, "%s%u-%u",
						 used ? "," : "", v, end);
		v = end;
	}
}

int config_parse_switch_settings(const char *name, int argc, char **argv, struct switch_config *s,
				 char *err, size_t err_size)
{
	char what[160];
	for (int i = 0; i < argc; i += 2) {
		const char *key = argv[i];
		if (i + 1 >= argc) {
			snprintf(err, err_size, "switch %s: '%s' needs a value", name, key);
			return -EINVAL;
		}
		const char *value = argv[i + 1];
		unsigned long v;
		snprintf(what, sizeof(what), "switch %s: %s", name, key);
		if (!strcmp(key, "mode")) {
			if (!strcmp(value, "learning"))
				s->mode = SWITCH_MODE_LEARNING;
			else if (!strcmp(value, "authoritative"))
				s->mode = SWITCH_MODE_AUTHORITATIVE;
			else {
				snprintf(err, err_size, "%s '%s' must be learning or authoritative",
					 what, value);
				return -EINVAL;
			}
		} else if (!strcmp(key, "ageing") || !strcmp(key, "aging")) {
			if (config_parse_uint(what, value, 0, 1000000, &v, err, err_size))
				return -EINVAL;
			s->ageing_seconds = (uint32_t)v;
		} else if (!strcmp(key, "fdb-capacity")) {
			if (config_parse_uint(what, value, 1, FDB_MAX_CAPACITY, &v, err, err_size))
				return -EINVAL;
			s->fdb_capacity = (uint32_t)v;
		} else if (!strcmp(key, "mtu")) {
			if (config_parse_uint(what, value, 68, 65535, &v, err, err_size))
				return -EINVAL;
			s->mtu = (uint16_t)v;
		} else if (!strncmp(key, "mcast-", 6)) {
			if (config_parse_mcast_setting(what, key, value, &s->mcast, err, err_size))
				return -EINVAL;
		} else {
			snprintf(err, err_size,
				 "switch %s: unknown setting '%s' (settings: mode, ageing, "
				 "fdb-capacity, "
				 "mtu, mcast-*)",
				 name, key);
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_port_mode(const char *what, const char *value, enum port_mode *mode, char *err,
			   size_t err_size)
{
	for (size_t m = 0; m < ARRAY_SIZE(port_mode_names); m++)
		if (!strcmp(value, port_mode_names[m])) {
			*mode = (enum port_mode)m;
			return 0;
		}
	snprintf(err, err_size, "%s '%s' must be veb, vepa, private or passthrough", what, value);
	return -EINVAL;
}

int config_parse_port_settings(struct config_port *port, int argc, char **argv, bool options,
			       char *err, size_t err_size)
{
	struct port_config *s = &port->settings;
	char what[160];
	for (int i = 0; i < argc; i++) {
		const char *key = argv[i];
		if (strchr(key, '=')) {
			if (!options) {
				snprintf(err, err_size,
					 "port %s: type options like '%s' are set with port add",
					 port->name, key);
				return -EINVAL;
			}
			if (port->n_options == CONFIG_MAX_OPTIONS ||
			    strlen(key) >= CONFIG_OPTION_MAX) {
				snprintf(err, err_size, "port %s: too many or too long options",
					 port->name);
				return -EINVAL;
			}
			copy_name(port->options[port->n_options++], CONFIG_OPTION_MAX, key);
			continue;
		}
		if (i + 1 >= argc) {
			snprintf(err, err_size, "port %s: '%s' needs a value", port->name, key);
			return -EINVAL;
		}
		const char *value = argv[++i];
		unsigned long v;
		snprintf(what, sizeof(what), "port %s: %s", port->name, key);
		if (!strcmp(key, "pvid")) {
			/* none: the port admits tagged frames only */
			if (!strcmp(value, "none"))
				v = 0;
			else if (config_parse_uint(what, value, 1, VID_MAX, &v, err, err_size))
				return -EINVAL;
			s->pvid = (uint16_t)v;
		} else if (!strcmp(key, "vids")) {
			if (config_parse_vids(value, s->vids, err, err_size))
				return -EINVAL;
		} else if (!strcmp(key, "uplink")) {
			if (config_parse_bool(what, value, &s->uplink, err, err_size))
				return -EINVAL;
		} else if (!strcmp(key, "trunk-priority")) {
			if (!strcmp(value, "none"))
				v = 0;
			else if (config_parse_uint(what, value, 1, 15, &v, err, err_size))
				return -EINVAL;
			s->trunk_priority = (uint8_t)v;
		} else if (!strcmp(key, "mode")) {
			if (parse_port_mode(what, value, &s->mode, err, err_size))
				return -EINVAL;
		} else if (!strcmp(key, "learning")) {
			if (config_parse_bool(what, value, &s->learning, err, err_size))
				return -EINVAL;
		} else if (!strcmp(key, "hairpin")) {
			if (config_parse_bool(what, value, &s->hairpin, err, err_size))
				return -EINVAL;
		} else if (!strcmp(key, "mac-limit")) {
			if (config_parse_uint(what, value, 0, FDB_MAX_CAPACITY, &v, err, err_size))
				return -EINVAL;
			s->mac_limit = (uint32_t)v;
		} else if (config_is_security_setting(key)) {
			if (config_parse_security_setting(&s->security, what, key, argc, argv, &i,
							  err, err_size))
				return -EINVAL;
		} else if (!strcmp(key, "stacked-tags")) {
			if (config_parse_vlan_guard(what, value, &s->vlan_guard, err, err_size))
				return -EINVAL;
		} else if (!strcmp(key, "security-group") || !strcmp(key, "conntrack-max")) {
			if (config_parse_acl_port_setting(port->name, key, value, &s->acl, err,
							  err_size))
				return -EINVAL;
		} else if (config_rate_key(key)) {
			if (config_parse_rate_setting(what, key, value, &s->rate, err, err_size))
				return -EINVAL;
		} else if (!strcmp(key, "lldp")) {
			if (config_parse_lldp_mode(what, value, &s->lldp, err, err_size))
				return -EINVAL;
		} else if (!strcmp(key, "mcast-router")) {
			if (config_parse_mcast_router(what, value, &s->mcast, err, err_size))
				return -EINVAL;
		} else if (!strcmp(key, "type")) {
			snprintf(err, err_size, "port %s: the type is set with port add",
				 port->name);
			return -EINVAL;
		} else {
			snprintf(
			    err, err_size,
			    "port %s: unknown setting '%s' (settings: pvid, vids, uplink, "
			    "trunk-priority, mode, learning, hairpin, mac-limit, mac, "
			    "allowed-addresses, promiscuous, mac-changes, forged-transmits, "
			    "trusted, stacked-tags, security-group, conntrack-max, ingress-rate, "
			    "ingress-burst, egress-rate, egress-peak, egress-burst, "
			    "storm-broadcast, storm-multicast, storm-unknown, lldp, mcast-router)",
			    port->name, key);
			return -EINVAL;
		}
	}
	return 0;
}

void config_port_options(const struct config_port *p, const char *out[CONFIG_MAX_OPTIONS + 1])
{
	for (int i = 0; i < p->n_options; i++)
		out[i] = p->options[i];
	out[p->n_options] = NULL;
}

bool config_port_same_device(const struct config_port *a, const struct config_port *b)
{
	const char *options_a[CONFIG_MAX_OPTIONS + 1], *options_b[CONFIG_MAX_OPTIONS + 1];
	config_port_options(a, options_a);
	config_port_options(b, options_b);
	return port_same_device(a->name, a->type, options_a, b->type, options_b);
}

bool config_port_devices_apart(const struct config_port *a, const struct config_port *b)
{
	const char *options_a[CONFIG_MAX_OPTIONS + 1], *options_b[CONFIG_MAX_OPTIONS + 1];
	config_port_options(a, options_a);
	config_port_options(b, options_b);
	return port_devices_apart(a->name, a->type, options_a, b->type, options_b);
}

/* ---- whole-model checks ------------------------------------------------- */

/* Two ports on one interface would each see the other's frames: refused
 * before anything is opened. */
static int check_interfaces(const struct config *cfg, char *err, size_t err_size)
{
	struct used {
		char name[PORT_IFNAME_MAX];
		const char *port;
	} *used = NULL;
	size_t n_used = 0;
	int error = 0;
	for (size_t i = 0; i < cfg->n_ports && !error; i++) {
		const struct config_port *p = &cfg->ports[i];
		const struct port_class *class = port_class_find(p->type);
		if (!class || !class->interfaces)
			continue;
		const char *options[CONFIG_MAX_OPTIONS + 1];
		config_port_options(p, options);
		char names[16][PORT_IFNAME_MAX];
		int k = class->interfaces(p->name, options, names, 16);
		struct used *grown = realloc(used, (n_used + (size_t)k + 1) * sizeof(*used));
		if (!grown) {
			snprintf(err, err_size, "out of memory");
			error = -ENOMEM;
			break;
		}
		used = grown;
		for (int j = 0; j < k && !error; j++) {
			for (size_t u = 0; u < n_used; u++) {
				/* A port naming one twice: its open() says so. */
				if (strcmp(used[u].name, names[j]) || used[u].port == p->name)
					continue;
				snprintf(err, err_size,
					 "port %s: interface %s is already used by port %s",
					 p->name, names[j], used[u].port);
				error = -EBUSY;
				break;
			}
			memcpy(used[n_used].name, names[j], PORT_IFNAME_MAX);
			used[n_used++].port = p->name;
		}
	}
	free(used);
	return error;
}

const char *config_where(const struct config *cfg, unsigned line, char *buf, size_t size)
{
	if (cfg->source[0] && line)
		snprintf(buf, size, "%s:%u: ", cfg->source, line);
	else if (size)
		buf[0] = '\0';
	return buf;
}

/* Puts "FILE:LINE: " before err when the object came from a file. */
static int at_line(const struct config *cfg, unsigned line, int error, char *err, size_t err_size)
{
	char where[300], reason[512];
	config_where(cfg, line, where, sizeof(where));
	if (error && where[0]) {
		snprintf(reason, sizeof(reason), "%s", err);
		snprintf(err, err_size, "%s%s", where, reason);
	}
	return error;
}

static int check_port(const struct config *cfg, size_t i, char *err, size_t err_size)
{
	const struct config_port *p = &cfg->ports[i];
	if (!config_find_switch(cfg, p->sw)) {
		snprintf(err, err_size, "port %s: no switch %s", p->name, p->sw);
		return -EINVAL;
	}
	struct port_config settings;
	config_effective_port(cfg, p, &settings);
	int error = port_config_validate(p->name, &settings, err, err_size);
	if (error || p->settings.mode != PORT_MODE_PASSTHROUGH)
		return error;
	for (size_t j = 0; j < i; j++)
		if (cfg->ports[j].settings.mode == PORT_MODE_PASSTHROUGH &&
		    !strcmp(cfg->ports[j].sw, p->sw)) {
			snprintf(err, err_size,
				 "port %s: port %s already owns the uplink in passthrough mode",
				 p->name, cfg->ports[j].name);
			return -EBUSY;
		}
	return 0;
}

static int check_mac(const struct config *cfg, const struct config_mac *m, char *err,
		     size_t err_size)
{
	const struct config_port *p = config_find_port(cfg, m->port);
	char text[18];
	if (!p || strcmp(p->sw, m->sw) != 0) {
		snprintf(err, err_size, "fdb %s: no port %s on switch %s", mac_format(m->mac, text),
			 m->port, m->sw);
		return -EINVAL;
	}
	struct port_config settings;
	config_effective_port(cfg, p, &settings);
	if (m->vid != settings.pvid && !bitset_test(settings.vids, m->vid)) {
		snprintf(err, err_size, "fdb %s: port %s is not a member of vlan %u",
			 mac_format(m->mac, text), m->port, m->vid);
		return -EINVAL;
	}
	return 0;
}

/* What the datapath has room for is known before anything is applied, so
 * that applying cannot run out of it halfway. */
static int check_room(const struct config *cfg, char *err, size_t err_size)
{
	if (cfg->n_switches > DATAPATH_MAX_SWITCHES || cfg->n_seas > DATAPATH_MAX_SWITCHES) {
		snprintf(err, err_size, "at most %d switches and %d SEAs", DATAPATH_MAX_SWITCHES,
			 DATAPATH_MAX_SWITCHES);
		return -ENOSPC;
	}
	for (size_t s = 0; s < cfg->n_switches; s++) {
		const struct config_switch *sw = &cfg->switches[s];
		size_t ports = 0, macs = 0;
		for (size_t i = 0; i < cfg->n_ports; i++)
			ports += !strcmp(cfg->ports[i].sw, sw->name);
		for (size_t i = 0; i < cfg->n_macs; i++)
			macs += !strcmp(cfg->macs[i].sw, sw->name);
		if (ports > SWITCH_MAX_PORTS) {
			snprintf(err, err_size, "switch %s: %zu ports, at most %d", sw->name, ports,
				 SWITCH_MAX_PORTS);
			return at_line(cfg, sw->line, -ENOSPC, err, err_size);
		}
		if (macs > sw->settings.fdb_capacity) {
			snprintf(err, err_size,
				 "switch %s: %zu static MACs do not fit in fdb-capacity %u",
				 sw->name, macs, sw->settings.fdb_capacity);
			return at_line(cfg, sw->line, -ENOSPC, err, err_size);
		}
	}
	return 0;
}

int config_check(const struct config *cfg, char *err, size_t err_size)
{
	int error = check_interfaces(cfg, err, err_size);
	for (size_t i = 0; i < cfg->n_ports && !error; i++)
		error = at_line(cfg, cfg->ports[i].line, check_port(cfg, i, err, err_size), err,
				err_size);
	for (size_t i = 0; i < cfg->n_macs && !error; i++)
		error = at_line(cfg, cfg->macs[i].line,
				check_mac(cfg, &cfg->macs[i], err, err_size), err, err_size);
	if (!error)
		error = check_room(cfg, err, err_size);
	if (!error)
		error = config_check_seas(cfg, err, err_size);
	if (!error)
		error = config_check_mirrors(cfg, err, err_size);
	if (!error)
		error = config_check_ipfix(cfg, err, err_size);
	if (!error)
		error = config_check_acls(cfg, err, err_size);
	return error;
}

/* ---- comparing ---------------------------------------------------------- */

/* Field by field: the structs have padding that memcmp would compare. */
static bool switch_equal(const struct config_switch *a, const struct config_switch *b)
{
	return !strcmp(a->name, b->name) && a->settings.mode == b->settings.mode &&
	       a->settings.fdb_capacity == b->settings.fdb_capacity &&
	       a->settings.ageing_seconds == b->settings.ageing_seconds &&
	       a->settings.mtu == b->settings.mtu &&
	       config_mcast_equal(&a->settings.mcast, &b->settings.mcast);
}

static bool port_equal(const struct config_port *a, const struct config_port *b)
{
	const struct port_config *x = &a->settings, *y = &b->settings;
	if (strcmp(a->name, b->name) || strcmp(a->sw, b->sw) || strcmp(a->type, b->type) ||
	    a->n_options != b->n_options)
		return false;
	for (int i = 0; i < a->n_options; i++)
		if (strcmp(a->options[i], b->options[i]))
			return false;
	return x->pvid == y->pvid && !memcmp(x->vids, y->vids, sizeof(x->vids)) &&
	       x->uplink == y->uplink && x->trunk_priority == y->trunk_priority &&
	       x->mode == y->mode && x->learning == y->learning && x->hairpin == y->hairpin &&
	       x->mac_limit == y->mac_limit && config_security_equal(&x->security, &y->security) &&
	       config_vlan_guard_equal(&x->vlan_guard, &y->vlan_guard) &&
	       config_acl_port_equal(&x->acl, &y->acl) && rate_config_equal(&x->rate, &y->rate) &&
	       config_lldp_mode_equal(&x->lldp, &y->lldp) &&
	       config_mcast_port_equal(&x->mcast, &y->mcast);
}

bool config_equal(const struct config *a, const struct config *b)
{
	if (strcmp(a->metrics_listen, b->metrics_listen) != 0)
		return false;
	if (a->n_switches != b->n_switches || a->n_ports != b->n_ports || a->n_macs != b->n_macs ||
	    a->n_seas != b->n_seas || strcmp(a->cores, b->cores) != 0 ||
	    a->n_mirrors != b->n_mirrors || !config_acls_equal(a, b) ||
	    !config_profiles_equal(a, b) || !config_ipfixes_equal(a, b) ||
	    !config_lldp_settings_equal(&a->lldp, &b->lldp))
		return false;
	for (size_t i = 0; i < a->n_mirrors; i++) {
		const struct mirror_config *other = config_find_mirror(b, a->mirrors[i].spec.name);
		if (!other || !config_mirror_equal(&a->mirrors[i], other))
			return false;
	}
	for (size_t i = 0; i < a->n_seas; i++) {
		const struct sea_config *other = config_find_sea(b, a->seas[i].name);
		if (!other || !config_sea_equal(&a->seas[i], other))
			return false;
	}
	for (size_t i = 0; i < a->n_switches; i++) {
		const struct config_switch *other = config_find_switch(b, a->switches[i].name);
		if (!other || !switch_equal(&a->switches[i], other))
			return false;
	}
	for (size_t i = 0; i < a->n_ports; i++) {
		const struct config_port *other = config_find_port(b, a->ports[i].name);
		if (!other || !port_equal(&a->ports[i], other))
			return false;
	}
	for (size_t i = 0; i < a->n_macs; i++) {
		const struct config_mac *m = &a->macs[i];
		const struct config_mac *other = config_find_mac(b, m->sw, m->vid, m->mac);
		if (!other || strcmp(m->port, other->port))
			return false;
	}
	return true;
}

/* ---- printing ----------------------------------------------------------- */

static void print_port(const struct config_port *p, FILE *out)
{
	const struct port_config *s = &p->settings;
	fprintf(out, "port add %s %s type %s", p->sw, p->name, p->type);
	for (int i = 0; i < p->n_options; i++)
		fprintf(out, " %s", p->options[i]);
	/* Its profile's settings are the profile's lines. A binding of the
	 * etcd domain lives there (domain.c): the port is saved as it runs,
	 * so a startup file never brings back a binding the domain dropped. */
	if (p->profile[0] && !p->domain) {
		fprintf(out, " profile %s", p->profile);
		config_print_settings(p->overrides, p->n_overrides, out);
		fputc('\n', out);
		return;
	}
	if (s->pvid == 0)
		fprintf(out, " pvid none");
	else if (s->pvid != 1)
		fprintf(out, " pvid %u", s->pvid);
	char vids[1024];
	config_format_vids(s->vids, vids, sizeof(vids));
	if (vids[0])
		fprintf(out, " vids %s", vids);
	if (s->uplink)
		fprintf(out, " uplink on");
	if (s->trunk_priority)
		fprintf(out, " trunk-priority %u", s->trunk_priority);
	if (s->mode != PORT_MODE_VEB)
		fprintf(out, " mode %s", config_port_mode_name(s->mode));
	if (!s->learning)
		fprintf(out, " learning off");
	if (s->hairpin)
		fprintf(out, " hairpin on");
	if (s->mac_limit)
		fprintf(out, " mac-limit %u", s->mac_limit);
	config_print_security(&s->security, out);
	config_print_vlan_guard(&s->vlan_guard, out);
	config_print_acl_port(&s->acl, out);
	config_print_rate(&s->rate, out);
	config_print_lldp_mode(&s->lldp, out);
	config_print_mcast_port(&s->mcast, out);
	fputc('\n', out);
}

void config_print(const struct config *cfg, FILE *out)
{
	struct switch_config defaults;
	switch_config_init(&defaults);
	if (cfg->cores[0])
		fprintf(out, "datapath cores %s\n", cfg->cores);
	if (cfg->metrics_listen[0])
		fprintf(out, "metrics listen %s\n", cfg->metrics_listen);
	config_print_lldp_settings(&cfg->lldp, out);
	config_print_acls(cfg, out);
	config_print_profiles(cfg, out);
	for (size_t i = 0; i < cfg->n_switches; i++) {
		const struct config_switch *sw = &cfg->switches[i];
		const struct switch_config *s = &sw->settings;
		fprintf(out, "switch add %s", sw->name);
		if (s->mode != defaults.mode)
			fprintf(out, " mode %s", config_switch_mode_name(s->mode));
		if (s->ageing_seconds != defaults.ageing_seconds)
			fprintf(out, " ageing %u", s->ageing_seconds);
		if (s->fdb_capacity != defaults.fdb_capacity)
			fprintf(out, " fdb-capacity %u", s->fdb_capacity);
		if (s->mtu != defaults.mtu)
			fprintf(out, " mtu %u", s->mtu);
		config_print_mcast(&s->mcast, out);
		fputc('\n', out);
		for (size_t j = 0; j < cfg->n_ports; j++)
			if (!strcmp(cfg->ports[j].sw, sw->name))
				print_port(&cfg->ports[j], out);
		for (size_t j = 0; j < cfg->n_macs; j++) {
			const struct config_mac *m = &cfg->macs[j];
			char text[18];
			if (!strcmp(m->sw, sw->name))
				fprintf(out, "fdb add %s vlan %u mac %s port %s\n", m->sw, m->vid,
					mac_format(m->mac, text), m->port);
		}
		for (size_t j = 0; j < cfg->n_seas; j++)
			if (!strcmp(cfg->seas[j].sw, sw->name))
				config_print_sea(&cfg->seas[j], out);
		for (size_t j = 0; j < cfg->n_mirrors; j++)
			if (!strcmp(cfg->mirrors[j].sw, sw->name))
				config_print_mirror(&cfg->mirrors[j], out);
		config_print_ipfix(cfg, sw->name, out);
	}
}
