/* domain_schema.h — the keys and values of a distributed switch's domain in
 * etcd (docs/distributed.md "Schema"): what every host writes and reads
 * under /vswitch/DOMAIN/. Pure: the codecs turn etcd's bytes, which other
 * hosts wrote, into structs and back, and refuse (never crash on) values
 * they cannot read; they are unit-tested and fuzzed.
 *
 *   version          "1"                               (schema version)
 *   hosts/HOST       {"vtep","version","started","ports":[...]}  (leased)
 *   host-state/HOST  {"registered","down-since"}       (no lease)
 *   profiles/NAME    {"inherit","system-vlans","settings":{"key":"value"}}
 *   bindings/PORT    {"host","switch","profile","overrides":{...}}
 *   macs/MAC         {"host","port","allocated"}
 *
 * Keys of kinds this version does not know are ignored, so a later
 * version may add kinds without breaking an older reader. */
#ifndef VSWITCH_DOMAIN_SCHEMA_H
#define VSWITCH_DOMAIN_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/domain_kvs.h"

/* The version this vswitchd writes, and the newest major it reads. */
#define DOMAIN_SCHEMA_VERSION "1"
#define DOMAIN_SCHEMA_MAJOR   1

#define DOMAIN_NAME_MAX	    32 /* a domain, host, profile, port or switch name */
#define DOMAIN_KEY_MAX	    160
#define DOMAIN_SETTING_KEY  24
#define DOMAIN_VALUE_MAX    512
#define DOMAIN_MAX_SETTINGS 32

enum domain_kind {
	DOMAIN_KEY_OTHER, /* under the prefix, of a kind this version ignores */
	DOMAIN_KEY_VERSION,
	DOMAIN_KEY_HOST,
	DOMAIN_KEY_HOST_STATE,
	DOMAIN_KEY_PROFILE,
	DOMAIN_KEY_BINDING,
	DOMAIN_KEY_MAC,
};

/* "/vswitch/DOMAIN/" into buf. */
void domain_prefix(const char *domain, char *buf, size_t size);
/* The key of an object of `kind` named `name` ("" for the version key).
 * Returns false when it does not fit. */
bool domain_key(const char *domain, enum domain_kind kind, const char *name, char *buf,
		size_t size);
/* What a key under prefix is, and its name (copied into name). Keys not
 * under the prefix, and names too long or empty, give DOMAIN_KEY_OTHER. */
enum domain_kind domain_key_parse(const char *prefix, const char *key, char *name,
				  size_t name_size);

/* The version key's value: 0 when this vswitchd reads it (same or older
 * major, or the key absent: value NULL), -EPROTO with err set otherwise. */
int domain_version_check(const char *domain, const char *value, char *err, size_t err_size);

/* A port setting as a command takes it: keyword and its words. */
struct domain_setting {
	char key[DOMAIN_SETTING_KEY];
	char value[DOMAIN_VALUE_MAX];
};

struct domain_host {
	char name[DOMAIN_NAME_MAX];
	char vtep[64];	  /* the VXLAN tunnel end point's address, "" for none */
	char version[32]; /* vswitchd's */
	int64_t started;  /* Unix time vswitchd started */
	char **ports;	  /* its local ports' names */
	size_t n_ports;
};

struct domain_host_state {
	char name[DOMAIN_NAME_MAX];
	int64_t registered; /* Unix time of its last registration */
	int64_t down_since; /* Unix time a live host saw its lease expire; 0: up */
};

struct domain_profile {
	char name[DOMAIN_NAME_MAX];
	char inherit[DOMAIN_NAME_MAX];
	char system_vlans[DOMAIN_VALUE_MAX]; /* a VLAN list as `vids` takes it, "" none */
	int n_settings;
	struct domain_setting settings[DOMAIN_MAX_SETTINGS];
};

/* A port's binding. Its host is a field, not part of the key, so moving a
 * VM to another host is one change of `host`. */
struct domain_binding {
	char port[DOMAIN_NAME_MAX];
	char host[DOMAIN_NAME_MAX];
	char sw[DOMAIN_NAME_MAX]; /* the switch the port is on, "" any */
	char profile[DOMAIN_NAME_MAX];
	int n_overrides;
	struct domain_setting overrides[DOMAIN_MAX_SETTINGS];
};

struct domain_mac {
	uint8_t mac[6];
	char host[DOMAIN_NAME_MAX];
	char port[DOMAIN_NAME_MAX]; /* "" while allocated but not bound */
	int64_t allocated;	    /* Unix time */
};

/* Codecs. encode: a malloc'd NUL-terminated JSON text (NULL when out of
 * memory). decode: 0, or -EINVAL with err naming the key and the fault;
 * the name comes from the key, not the value. */
char *domain_host_encode(const struct domain_host *h);
int domain_host_decode(const char *name, const char *json, size_t len, struct domain_host *out,
		       char *err, size_t err_size);
void domain_host_free(struct domain_host *h);

char *domain_host_state_encode(const struct domain_host_state *s);
int domain_host_state_decode(const char *name, const char *json, size_t len,
			     struct domain_host_state *out, char *err, size_t err_size);

char *domain_profile_encode(const struct domain_profile *p);
int domain_profile_decode(const char *name, const char *json, size_t len,
			  struct domain_profile *out, char *err, size_t err_size);

char *domain_binding_encode(const struct domain_binding *b);
int domain_binding_decode(const char *name, const char *json, size_t len,
			  struct domain_binding *out, char *err, size_t err_size);

/* MAC keys are written "02:00:00:00:00:01" (lower case). */
char *domain_mac_encode(const struct domain_mac *m);
int domain_mac_decode(const char *name, const char *json, size_t len, struct domain_mac *out,
		      char *err, size_t err_size);

/* ---- the whole domain, decoded -------------------------------------------- */

struct domain_view {
	bool has_version;
	char version[16];
	struct domain_host *hosts;
	size_t n_hosts;
	struct domain_host_state *host_states;
	size_t n_host_states;
	struct domain_profile *profiles;
	size_t n_profiles;
	struct domain_binding *bindings;
	size_t n_bindings;
	struct domain_mac *macs;
	size_t n_macs;
	/* Values that did not decode are left out and counted; the first
	 * one's message is kept for `domain show`. */
	unsigned n_bad;
	char first_bad[256];
};

/* Decodes every key of the table under the domain's prefix. Returns 0,
 * -ENOMEM, or -EPROTO with err set for a newer schema major. */
int domain_view_build(struct domain_view *view, const char *domain, const struct domain_kvs *kvs,
		      char *err, size_t err_size);
/* The same for some kinds only (a mask of 1 << DOMAIN_KEY_...; the version
 * is always checked): the model needs profiles and bindings, not the
 * thousands of MACs. */
#define DOMAIN_VIEW_ALL	  0xffffffffu
#define DOMAIN_VIEW_MODEL ((1u << DOMAIN_KEY_PROFILE) | (1u << DOMAIN_KEY_BINDING))
int domain_view_build_kinds(struct domain_view *view, const char *domain,
			    const struct domain_kvs *kvs, unsigned kinds, char *err,
			    size_t err_size);
void domain_view_free(struct domain_view *view);
const struct domain_host *domain_view_host(const struct domain_view *v, const char *name);
const struct domain_host_state *domain_view_host_state(const struct domain_view *v,
						       const char *name);
const struct domain_profile *domain_view_profile(const struct domain_view *v, const char *name);
const struct domain_binding *domain_view_binding(const struct domain_view *v, const char *port);
const struct domain_mac *domain_view_mac(const struct domain_view *v, const uint8_t mac[6]);

#endif
