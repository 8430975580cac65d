/* domain_schema.c — see domain_schema.h. Every value is a JSON object;
 * fields this version does not know are ignored (a newer writer may add
 * some), fields it needs are checked for type and length. */
#include "cluster/domain_schema.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/frame.h"

static const char *const kind_dirs[] = {
    [DOMAIN_KEY_HOST] = "hosts/",	[DOMAIN_KEY_HOST_STATE] = "host-state/",
    [DOMAIN_KEY_PROFILE] = "profiles/", [DOMAIN_KEY_BINDING] = "bindings/",
    [DOMAIN_KEY_MAC] = "macs/",
};

void domain_prefix(const char *domain, char *buf, size_t size)
{
	snprintf(buf, size, "/vswitch/%s/", domain);
}

bool domain_key(const char *domain, enum domain_kind kind, const char *name, char *buf, size_t size)
{
	int n;
	if (kind == DOMAIN_KEY_VERSION)
		n = snprintf(buf, size, "/vswitch/%s/version", domain);
	else
		n = snprintf(buf, size, "/vswitch/%s/%s%s", domain,
			     kind < DOMAIN_KEY_HOST || kind > DOMAIN_KEY_MAC ? "" : kind_dirs[kind],
			     name);
	return n > 0 && (size_t)n < size;
}

/* The names the command language accepts (command_check_name). */
static bool name_ok(const char *name, size_t len)
{
	if (len == 0 || len >= DOMAIN_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-:@", name[i]))
			return false;
	return true;
}

enum domain_kind domain_key_parse(const char *prefix, const char *key, char *name, size_t name_size)
{
	size_t plen = strlen(prefix);
	if (strncmp(key, prefix, plen) != 0)
		return DOMAIN_KEY_OTHER;
	const char *rest = key + plen;
	if (!strcmp(rest, "version"))
		return DOMAIN_KEY_VERSION;
	for (int k = DOMAIN_KEY_HOST; k <= DOMAIN_KEY_MAC; k++) {
		size_t dlen = strlen(kind_dirs[k]);
		if (strncmp(rest, kind_dirs[k], dlen) != 0)
			continue;
		const char *n = rest + dlen;
		size_t len = strlen(n);
		if (!name_ok(n, len) || len >= name_size)
			return DOMAIN_KEY_OTHER;
		memcpy(name, n, len + 1);
		return (enum domain_kind)k;
	}
	return DOMAIN_KEY_OTHER;
}

int domain_version_check(const char *domain, const char *value, char *err, size_t err_size)
{
	if (!value)
		return 0;
	char *end;
	long major = strtol(value, &end, 10);
	if (end == value || major < 1 || (*end && *end != '.')) {
		snprintf(err, err_size, "domain %s: schema version '%.32s' is not a version",
			 domain, value);
		return -EPROTO;
	}
	if (major > DOMAIN_SCHEMA_MAJOR) {
		snprintf(err, err_size,
			 "domain %s: schema version %.32s is newer than this vswitchd reads (up to "
			 "%d): upgrade vswitchd on this host",
			 domain, value, DOMAIN_SCHEMA_MAJOR);
		return -EPROTO;
	}
	return 0;
}

/* ---- field helpers ------------------------------------------------------ */

static cJSON *parse_object(const char *what, const char *name, const char *json, size_t len,
			   char *err, size_t err_size)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsObject(root)) {
		snprintf(err, err_size, "%s %s: the value is not a JSON object", what, name);
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* A string field into buf; absent: "" unless required. */
static int get_string(const cJSON *root, const char *field, bool required, char *buf, size_t size,
		      const char *what, const char *name, char *err, size_t err_size)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, field);
	buf[0] = '\0';
	if (!item && !required)
		return 0;
	if (!cJSON_IsString(item) || strlen(item->valuestring) >= size) {
		snprintf(err, err_size, "%s %s: \"%s\" must be a string of at most %zu bytes", what,
			 name, field, size - 1);
		return -EINVAL;
	}
	memcpy(buf, item->valuestring, strlen(item->valuestring) + 1);
	return 0;
}

static int get_name(const cJSON *root, const char *field, bool required, char *buf,
		    const char *what, const char *name, char *err, size_t err_size)
{
	if (get_string(root, field, required, buf, DOMAIN_NAME_MAX, what, name, err, err_size))
		return -EINVAL;
	if (buf[0] && !name_ok(buf, strlen(buf))) {
		snprintf(err, err_size, "%s %s: \"%s\" is not a name", what, name, field);
		return -EINVAL;
	}
	return 0;
}

static int64_t get_time(const cJSON *root, const char *field)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, field);
	if (!cJSON_IsNumber(item) || item->valuedouble < 0 || item->valuedouble > 1e15)
		return 0;
	return (int64_t)item->valuedouble;
}

/* {"key":"value words",...} in order into list. */
static int get_settings(const cJSON *root, const char *field, struct domain_setting *list, int *n,
			const char *what, const char *name, char *err, size_t err_size)
{
	const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, field), *item;
	*n = 0;
	if (!obj)
		return 0;
	if (!cJSON_IsObject(obj)) {
		snprintf(err, err_size, "%s %s: \"%s\" must be an object", what, name, field);
		return -EINVAL;
	}
	cJSON_ArrayForEach(item, obj)
	{
		if (*n == DOMAIN_MAX_SETTINGS || !cJSON_IsString(item) || !item->string ||
		    !item->string[0] || strlen(item->string) >= DOMAIN_SETTING_KEY ||
		    strlen(item->valuestring) >= DOMAIN_VALUE_MAX) {
			snprintf(err, err_size,
				 "%s %s: \"%s\" must map at most %d keywords to strings", what,
				 name, field, DOMAIN_MAX_SETTINGS);
			return -EINVAL;
		}
		memcpy(list[*n].key, item->string, strlen(item->string) + 1);
		memcpy(list[*n].value, item->valuestring, strlen(item->valuestring) + 1);
		(*n)++;
	}
	return 0;
}

static cJSON *settings_object(const struct domain_setting *list, int n)
{
	cJSON *obj = cJSON_CreateObject();
	for (int i = 0; obj && i < n; i++)
		cJSON_AddStringToObject(obj, list[i].key, list[i].value);
	return obj;
}

static char *print_and_free(cJSON *root)
{
	char *text = root ? cJSON_PrintUnformatted(root) : NULL;
	cJSON_Delete(root);
	return text;
}

/* ---- hosts/HOST and host-state/HOST -------------------------------------- */

char *domain_host_encode(const struct domain_host *h)
{
	cJSON *root = cJSON_CreateObject(), *ports = cJSON_CreateArray();
	if (!root || !ports) {
		cJSON_Delete(root);
		cJSON_Delete(ports);
		return NULL;
	}
	cJSON_AddStringToObject(root, "vtep", h->vtep);
	cJSON_AddStringToObject(root, "version", h->version);
	cJSON_AddNumberToObject(root, "started", (double)h->started);
	for (size_t i = 0; i < h->n_ports; i++)
		cJSON_AddItemToArray(ports, cJSON_CreateString(h->ports[i]));
	cJSON_AddItemToObject(root, "ports", ports);
	return print_and_free(root);
}

int domain_host_decode(const char *name, const char *json, size_t len, struct domain_host *out,
		       char *err, size_t err_size)
{
	*out = (struct domain_host){.n_ports = 0};
	cJSON *root = parse_object("host", name, json, len, err, err_size);
	if (!root)
		return -EINVAL;
	snprintf(out->name, sizeof(out->name), "%s", name);
	int error = get_string(root, "vtep", false, out->vtep, sizeof(out->vtep), "host", name, err,
			       err_size);
	if (!error)
		error = get_string(root, "version", false, out->version, sizeof(out->version),
				   "host", name, err, err_size);
	out->started = get_time(root, "started");
	const cJSON *ports = cJSON_GetObjectItemCaseSensitive(root, "ports"), *item;
	if (!error && ports && !cJSON_IsArray(ports)) {
		snprintf(err, err_size, "host %s: \"ports\" must be an array", name);
		error = -EINVAL;
	}
	size_t n = !error && ports ? (size_t)cJSON_GetArraySize(ports) : 0;
	out->ports = n ? calloc(n, sizeof(*out->ports)) : NULL;
	if (n && !out->ports)
		error = -ENOMEM;
	const cJSON *list = error ? NULL : ports;
	cJSON_ArrayForEach(item, list)
	{
		if (!cJSON_IsString(item) ||
		    !name_ok(item->valuestring, strlen(item->valuestring))) {
			snprintf(err, err_size, "host %s: \"ports\" must hold port names", name);
			error = -EINVAL;
			break;
		}
		if (!(out->ports[out->n_ports++] = strdup(item->valuestring))) {
			error = -ENOMEM;
			break;
		}
	}
	cJSON_Delete(root);
	if (error)
		domain_host_free(out);
	return error;
}

void domain_host_free(struct domain_host *h)
{
	for (size_t i = 0; i < h->n_ports; i++)
		free(h->ports[i]);
	free(h->ports);
	h->ports = NULL;
	h->n_ports = 0;
}

char *domain_host_state_encode(const struct domain_host_state *s)
{
	cJSON *root = cJSON_CreateObject();
	if (root) {
		cJSON_AddNumberToObject(root, "registered", (double)s->registered);
		if (s->down_since)
			cJSON_AddNumberToObject(root, "down-since", (double)s->down_since);
	}
	return print_and_free(root);
}

int domain_host_state_decode(const char *name, const char *json, size_t len,
			     struct domain_host_state *out, char *err, size_t err_size)
{
	*out = (struct domain_host_state){.registered = 0};
	cJSON *root = parse_object("host-state", name, json, len, err, err_size);
	if (!root)
		return -EINVAL;
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->registered = get_time(root, "registered");
	out->down_since = get_time(root, "down-since");
	cJSON_Delete(root);
	return 0;
}

/* ---- profiles/NAME ------------------------------------------------------ */

char *domain_profile_encode(const struct domain_profile *p)
{
	cJSON *root = cJSON_CreateObject();
	if (!root)
		return NULL;
	if (p->inherit[0])
		cJSON_AddStringToObject(root, "inherit", p->inherit);
	if (p->system_vlans[0])
		cJSON_AddStringToObject(root, "system-vlans", p->system_vlans);
	cJSON_AddItemToObject(root, "settings", settings_object(p->settings, p->n_settings));
	return print_and_free(root);
}

int domain_profile_decode(const char *name, const char *json, size_t len,
			  struct domain_profile *out, char *err, size_t err_size)
{
	memset(out, 0, sizeof(*out));
	cJSON *root = parse_object("profile", name, json, len, err, err_size);
	if (!root)
		return -EINVAL;
	snprintf(out->name, sizeof(out->name), "%s", name);
	int error = get_name(root, "inherit", false, out->inherit, "profile", name, err, err_size);
	if (!error)
		error = get_string(root, "system-vlans", false, out->system_vlans,
				   sizeof(out->system_vlans), "profile", name, err, err_size);
	if (!error)
		error = get_settings(root, "settings", out->settings, &out->n_settings, "profile",
				     name, err, err_size);
	cJSON_Delete(root);
	return error;
}

/* ---- bindings/PORT ------------------------------------------------------ */

char *domain_binding_encode(const struct domain_binding *b)
{
	cJSON *root = cJSON_CreateObject();
	if (!root)
		return NULL;
	cJSON_AddStringToObject(root, "host", b->host);
	if (b->sw[0])
		cJSON_AddStringToObject(root, "switch", b->sw);
	cJSON_AddStringToObject(root, "profile", b->profile);
	cJSON_AddItemToObject(root, "overrides", settings_object(b->overrides, b->n_overrides));
	return print_and_free(root);
}

int domain_binding_decode(const char *name, const char *json, size_t len,
			  struct domain_binding *out, char *err, size_t err_size)
{
	memset(out, 0, sizeof(*out));
	cJSON *root = parse_object("binding", name, json, len, err, err_size);
	if (!root)
		return -EINVAL;
	snprintf(out->port, sizeof(out->port), "%s", name);
	int error = get_name(root, "host", true, out->host, "binding", name, err, err_size);
	if (!error)
		error = get_name(root, "switch", false, out->sw, "binding", name, err, err_size);
	if (!error)
		error =
		    get_name(root, "profile", true, out->profile, "binding", name, err, err_size);
	if (!error)
		error = get_settings(root, "overrides", out->overrides, &out->n_overrides,
				     "binding", name, err, err_size);
	cJSON_Delete(root);
	return error;
}

/* ---- macs/MAC ----------------------------------------------------------- */

char *domain_mac_encode(const struct domain_mac *m)
{
	cJSON *root = cJSON_CreateObject();
	if (!root)
		return NULL;
	cJSON_AddStringToObject(root, "host", m->host);
	if (m->port[0])
		cJSON_AddStringToObject(root, "port", m->port);
	cJSON_AddNumberToObject(root, "allocated", (double)m->allocated);
	return print_and_free(root);
}

int domain_mac_decode(const char *name, const char *json, size_t len, struct domain_mac *out,
		      char *err, size_t err_size)
{
	memset(out, 0, sizeof(*out));
	if (mac_parse(name, out->mac) < 0) {
		snprintf(err, err_size, "mac %s: the key is not a MAC address", name);
		return -EINVAL;
	}
	cJSON *root = parse_object("mac", name, json, len, err, err_size);
	if (!root)
		return -EINVAL;
	int error = get_name(root, "host", true, out->host, "mac", name, err, err_size);
	if (!error)
		error = get_name(root, "port", false, out->port, "mac", name, err, err_size);
	out->allocated = get_time(root, "allocated");
	cJSON_Delete(root);
	return error;
}
