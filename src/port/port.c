/* port.c — the registry of port types and what every port shares: creation,
 * destruction, defaults and option parsing. The only file that lists the
 * types; everything else reaches a type through its struct port_class. */
#include "port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

/* In the order `port add` lists them in errors. */
/* clang-format off */
static const struct port_class *const classes[] = {
	&afpacket_port_class,
	&tap_port_class,
	&internal_port_class,
	&vnic_port_class,
	&patch_port_class,
	&bond_port_class,
	&pipe_port_class,
	&pcap_port_class,
	&afxdp_port_class,
	&vhostuser_port_class,
	&vxlan_port_class,
};
/* clang-format on */

const struct port_class *port_class_find(const char *type)
{
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
		if (strcmp(classes[i]->type, type) == 0)
			return classes[i];
	return NULL;
}

const struct port_class *port_class_at(size_t i)
{
	return i < ARRAY_SIZE(classes) ? classes[i] : NULL;
}

const char *port_class_list(void)
{
	static char list[192];
	if (!list[0]) {
		size_t used = 0;
		for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
						 i ? ", " : "", classes[i]->type);
	}
	return list;
}

struct port *port_create(const char *name, const char *type, const char *const *options, char *err,
			 size_t err_size)
{
	const struct port_class *class = port_class_find(type);
	if (!class) {
		snprintf(err, err_size, "port %s: unknown type '%s' (types: %s)", name, type,
			 port_class_list());
		return NULL;
	}
	if (name[0] == '\0' || strlen(name) >= PORT_NAME_MAX) {
		snprintf(err, err_size, "port '%s': name must be 1-%d characters", name,
			 PORT_NAME_MAX - 1);
		return NULL;
	}
	struct port *port = calloc(1, sizeof(*port));
	if (!port) {
		snprintf(err, err_size, "port %s: out of memory", name);
		return NULL;
	}
	copy_name(port->name, sizeof(port->name), name);
	port->class = class;
	if (class->open(port, options, err, err_size) < 0) {
		free(port);
		return NULL;
	}
	return port;
}

static void port_free(struct port *port, void (*release)(struct port *port))
{
	release(port);
	free(port);
}

void port_destroy(struct port *port)
{
	if (port)
		port_free(port, port->class->close);
}

void port_remove(struct port *port)
{
	if (port)
		port_free(port, port->class->remove ? port->class->remove : port->class->close);
}

#define PORT_MAX_INTERFACES 16 /* a bond's members and then some */

bool port_same_device(const char *name, const char *type_a, const char *const *options_a,
		      const char *type_b, const char *const *options_b)
{
	if (strcmp(type_a, type_b) != 0)
		return false;
	const struct port_class *class = port_class_find(type_a);
	if (!class || !class->interfaces)
		return true; /* no device to keep or lose */
	char a[PORT_MAX_INTERFACES][PORT_IFNAME_MAX], b[PORT_MAX_INTERFACES][PORT_IFNAME_MAX];
	int n = class->interfaces(name, options_a, a, PORT_MAX_INTERFACES);
	if (n != class->interfaces(name, options_b, b, PORT_MAX_INTERFACES))
		return false;
	for (int i = 0; i < n; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

bool port_devices_apart(const char *name, const char *type_a, const char *const *options_a,
			const char *type_b, const char *const *options_b)
{
	const struct port_class *a = port_class_find(type_a), *b = port_class_find(type_b);
	if (!a || !b || !a->interfaces || !b->interfaces)
		return false;
	char ia[PORT_MAX_INTERFACES][PORT_IFNAME_MAX], ib[PORT_MAX_INTERFACES][PORT_IFNAME_MAX];
	int na = a->interfaces(name, options_a, ia, PORT_MAX_INTERFACES);
	int nb = b->interfaces(name, options_b, ib, PORT_MAX_INTERFACES);
	for (int i = 0; i < na; i++)
		for (int j = 0; j < nb; j++)
			if (strcmp(ia[i], ib[j]) == 0)
				return false;
	return true;
}

static struct port_status_field *status_field(struct port_status *st, const char *key)
{
	if (st->n_fields == PORT_STATUS_FIELDS)
		return NULL;
	struct port_status_field *f = &st->fields[st->n_fields++];
	memset(f, 0, sizeof(*f));
	copy_name(f->key, sizeof(f->key), key);
	return f;
}

void port_status_string(struct port_status *st, const char *key, const char *string)
{
	struct port_status_field *f = status_field(st, key);
	if (!f)
		return;
	f->type = string ? PORT_STATUS_STRING : PORT_STATUS_NULL;
	if (string)
		copy_name(f->string, sizeof(f->string), string);
}

void port_status_number(struct port_status *st, const char *key, uint64_t number)
{
	struct port_status_field *f = status_field(st, key);
	if (f) {
		f->type = PORT_STATUS_NUMBER;
		f->number = number;
	}
}

const char *port_option(const char *const *options, const char *key)
{
	size_t klen = strlen(key);
	for (; options && *options; options++)
		if (strncmp(*options, key, klen) == 0 && (*options)[klen] == '=')
			return *options + klen + 1;
	return NULL;
}

int port_check_options(const struct port *port, const char *const *options,
		       const char *const *known, char *err, size_t err_size)
{
	for (; options && *options; options++) {
		const char *eq = strchr(*options, '=');
		size_t klen = eq ? (size_t)(eq - *options) : strlen(*options);
		bool ok = eq != NULL;
		for (const char *const *k = known; ok && *k; k++)
			if (strlen(*k) == klen && strncmp(*k, *options, klen) == 0)
				goto next;
		char takes[160] = "";
		size_t used = 0;
		for (const char *const *k = known; *k && used < sizeof(takes); k++)
			used += (size_t)snprintf(takes + used, sizeof(takes) - used, "%s%s",
						 k == known ? "" : ", ", *k);
		snprintf(err, err_size, "port %s: %s option '%.*s' (type %s takes: %s)", port->name,
			 eq ? "unknown" : "malformed (want key=value)", (int)klen, *options,
			 port->class->type, takes[0] ? takes : "no options");
		return -EINVAL;
	next:;
	}
	return 0;
}
