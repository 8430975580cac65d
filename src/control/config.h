/* config.h — the control plane: the desired state of the daemon as a model
 * (switches, ports, static MACs), the commands that edit and show it, and
 * their application to the live datapath. Every change — the startup file,
 * a reload, a vswitchctl command — edits a copy of the model, which is
 * checked whole and then applied as a difference, so nothing is ever
 * half-applied and `show running-config` is the model printed. */
#ifndef VSWITCH_CONFIG_H
#define VSWITCH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "engine/engine.h"
#include "erspan.h"
#include "ha/lldp.h"
#include "ha/sea.h"

#define CONFIG_MAX_OPTIONS 8
#define CONFIG_OPTION_MAX  128
#define CONFIG_TYPE_MAX	   16

struct datapath;

/* ---- config.c: the model ------------------------------------------------ */

struct config_switch {
	unsigned line; /* in the startup file it came from, 0 if none */
	char name[SWITCH_NAME_MAX];
	struct switch_config settings;
};

#define PROFILE_NAME_MAX     32
#define PROFILE_MAX_SETTINGS 32
#define PROFILE_VALUE_MAX    512

/* One port setting as written: its keyword and the words after it, joined
 * by single spaces ("vids", "10,20"). */
struct profile_setting {
	char key[24];
	char value[PROFILE_VALUE_MAX];
};

struct config_port {
	unsigned line;
	char name[PORT_NAME_MAX];
	char sw[SWITCH_NAME_MAX];
	char type[CONFIG_TYPE_MAX];
	int n_options;
	char options[CONFIG_MAX_OPTIONS][CONFIG_OPTION_MAX]; /* "key=value" */
	/* What the port runs with. For a port bound to a profile it is worked
	 * out (config_resolve_profiles): the defaults, then the settings of
	 * the profile's ancestors from the root down, then the profile's,
	 * then the port's own overrides. */
	struct port_config settings;
	char profile[PROFILE_NAME_MAX]; /* "" when not bound */
	int n_overrides;		/* the port's own settings over its profile's */
	struct profile_setting overrides[PROFILE_MAX_SETTINGS];
	/* Bound through the etcd domain (docs/distributed.md): local commands
	 * may not change it. */
	bool domain;
};

/* A port profile (Nexus 1000V port profile, vDS port group): settings that
 * every port bound to it takes; editing it reaches every bound port. */
struct profile_config {
	unsigned line;
	char name[PROFILE_NAME_MAX];
	char inherit[PROFILE_NAME_MAX]; /* the parent profile, "" for none */
	/* System VLANs: a bound port forwards on these even before the domain
	 * answered at boot (the VEM's rule for management and storage). */
	uint64_t system_vids[VLAN_WORDS];
	/* In the order first set; setting a key again replaces its value. */
	int n_settings;
	struct profile_setting settings[PROFILE_MAX_SETTINGS];
	/* Defined in the etcd domain: changed through it, not locally. */
	bool domain;
};

struct config_mac {
	unsigned line;
	char sw[SWITCH_NAME_MAX];
	uint16_t vid;
	uint8_t mac[6];
	char port[PORT_NAME_MAX];
};

/* A mirror (mirror_config.c): its spec's sink is MIRROR_TO_PORT (SPAN) or
 * MIRROR_TO_EXPORT (ERSPAN to `erspan`). Names are unique in the daemon. */
struct mirror_config {
	unsigned line;
	char sw[SWITCH_NAME_MAX];
	struct mirror_spec spec;
	struct erspan_params erspan;
};

/* An IPFIX exporter of a switch (ipfix_config.c, docs/ipfix.md). Names
 * are unique in the daemon; a switch has at most one. */
#define IPFIX_NAME_MAX 32
struct ipfix_config {
	unsigned line;
	char name[IPFIX_NAME_MAX];
	char sw[SWITCH_NAME_MAX];
	char collector[64]; /* as written: A.B.C.D:PORT or [X:X::X]:PORT */
	uint32_t sampling, observation_domain, active_timeout, idle_timeout, template_refresh,
	    max_flows;
};

struct config {
	struct config_switch *switches;
	size_t n_switches;
	struct config_port *ports;
	size_t n_ports;
	struct config_mac *macs;
	size_t n_macs;
	struct sea_config *seas;
	size_t n_seas;
	struct mirror_config *mirrors;
	size_t n_mirrors;
	struct acl_rule_config *acl_rules; /* security groups' rules (acl_config.c) */
	size_t n_acl_rules;
	struct profile_config *profiles; /* port profiles (profile_config.c) */
	size_t n_profiles;
	struct ipfix_config *ipfix; /* IPFIX exporters (ipfix_config.c) */
	size_t n_ipfix;
	/* `datapath cores LIST`: the cores of the poll threads (vswitchd
	 * --cores, docs/cores.md) as written, "" for one thread not pinned.
	 * Read once at start; a different list is refused until a restart. */
	char cores[64];
	/* `metrics listen ADDR:PORT`: the HTTP listener (vswitchd --metrics,
	 * docs/metrics.md) in its canonical form, "" for none. Like cores,
	 * read at start; a different address needs a restart. */
	char metrics_listen[64];
	/* `lldp system-name|chassis-id|mgmt-address|tx-interval` (lldp_config.c). */
	struct lldp_settings lldp;
	/* The startup file the model was loaded from: errors about an object
	 * with a line number start "FILE:LINE:". Empty for edits. */
	char source[256];
	/* A hash index over macs, so a table of 100 000 static MACs loads and
	 * compares in linear time; a cache, kept by config.c. */
	struct config_mac_index *mac_index;
};

struct config *config_new(void);
void config_free(struct config *cfg);
struct config *config_copy(const struct config *cfg);
struct config_switch *config_find_switch(const struct config *cfg, const char *name);
/* Port names are unique in the whole daemon, like Linux interface names. */
struct config_port *config_find_port(const struct config *cfg, const char *name);
struct config_mac *config_find_mac(const struct config *cfg, const char *sw, uint16_t vid,
				   const uint8_t mac[6]);
/* Appends and returns a zeroed element (NULL when out of memory). */
struct config_switch *config_add_switch(struct config *cfg);
struct config_port *config_add_port(struct config *cfg);
struct config_mac *config_add_mac(struct config *cfg);
struct sea_config *config_find_sea(const struct config *cfg, const char *name);
struct sea_config *config_add_sea(struct config *cfg);
struct acl_rule_config *config_add_acl_rule(struct config *cfg);
/* Removes a switch with its ports, MACs and SEA / a port with its MACs / a
 * MAC / an SEA. */
void config_del_switch(struct config *cfg, const char *name);
void config_del_port(struct config *cfg, const char *name);
void config_del_mac(struct config *cfg, struct config_mac *mac);
void config_del_sea(struct config *cfg, const char *name);
struct mirror_config *config_find_mirror(const struct config *cfg, const char *name);
struct mirror_config *config_add_mirror(struct config *cfg);
void config_del_mirror(struct config *cfg, const char *name);
/* A port's type options as the NULL-terminated array port_create() takes. */
void config_port_options(const struct config_port *p, const char *out[CONFIG_MAX_OPTIONS + 1]);
/* Whether port b, rebuilt from a, drives the same device, which then keeps
 * its addresses and routes (port_same_device); else a's device is removed. */
bool config_port_same_device(const struct config_port *a, const struct config_port *b);
/* Whether b can be opened while a still runs: their interfaces differ. */
bool config_port_devices_apart(const struct config_port *a, const struct config_port *b);
/* "FILE:LINE: " for an object of a loaded file (line != 0), else "". */
const char *config_where(const struct config *cfg, unsigned line, char *buf, size_t size);
/* Cross-checks the whole model, also that it fits: static MACs within each
 * switch's fdb-capacity, ports within a switch, switches and SEAs within
 * the datapath. Returns 0 or -EINVAL with err set. */
int config_check(const struct config *cfg, char *err, size_t err_size);
/* Whether two models describe the same switches, ports and static MACs. */
bool config_equal(const struct config *a, const struct config *b);
/* Writes the model as the commands that rebuild it. */
void config_print(const struct config *cfg, FILE *out);

/* Parses switch keywords (mode, ageing, fdb-capacity, mtu) from argv into
 * settings. Returns 0 or -EINVAL with err set. */
int config_parse_switch_settings(const char *name, int argc, char **argv,
				 struct switch_config *settings, char *err, size_t err_size);
/* Parses port keywords (pvid, vids, uplink, trunk-priority, mode, learning,
 * hairpin, mac-limit, stacked-tags) and, when options is not NULL, type options
 * hairpin, mac-limit, the rate limits of rate_config.c) and, when options is not NULL, type options
 * (key=value words) into port. */
int config_parse_port_settings(struct config_port *port, int argc, char **argv, bool options,
			       char *err, size_t err_size);
/* A number in [min, max] / on|off, or -EINVAL with "WHAT 'TEXT' ..." in err. */
int config_parse_uint(const char *what, const char *text, unsigned long min, unsigned long max,
		      unsigned long *out, char *err, size_t err_size);
int config_parse_bool(const char *what, const char *text, bool *out, char *err, size_t err_size);
/* "3,5-7" into a VLAN bit set (replacing it). */
int config_parse_vids(const char *text, uint64_t vids[VLAN_WORDS], char *err, size_t err_size);
/* "A.B.C.D[/LEN]" or "X:X::[/LEN]" into addr (zero-padded to 16 bytes),
 * *family (4 or 6) and *len (32 or 128 for an address alone); the host bits
 * are left as written, for the caller to clear or refuse. Returns 0 or
 * -EINVAL with "WHAT 'TEXT' ..." in err. */
int config_parse_prefix(const char *what, const char *text, uint8_t addr[16], uint8_t *family,
			uint8_t *len, char *err, size_t err_size);
/* The bit set as "3,5-7" ("" when empty). */
void config_format_vids(const uint64_t vids[VLAN_WORDS], char *buf, size_t size);
const char *config_port_mode_name(enum port_mode mode);
const char *config_switch_mode_name(enum switch_mode mode);

/* ---- vlan_guard_config.c: the VLAN-hopping guard of a port ---------------- */

struct cJSON;
/* `stacked-tags forward|drop|default` into guard; -EINVAL with "WHAT 'VALUE' ..." in err. */
int config_parse_vlan_guard(const char *what, const char *value, struct vlan_guard *guard,
			    char *err, size_t err_size);
bool config_vlan_guard_equal(const struct vlan_guard *a, const struct vlan_guard *b);
/* " stacked-tags forward|drop" when not the default, for a port's line of the config. */
void config_print_vlan_guard(const struct vlan_guard *guard, FILE *out);
/* Adds the setting to json if not NULL, else prints a line of `port show` to out. */
void show_vlan_guard(const struct vlan_guard *guard, bool security, bool uplink, FILE *out,
		     struct cJSON *json);
/* ---- mcast_config.c: IGMP/MLD snooping's settings ------------------------ */

/* One switch setting whose key starts "mcast-" into c. */
int config_parse_mcast_setting(const char *what, const char *key, const char *value,
			       struct mcast_config *c, char *err, size_t err_size);
bool config_mcast_equal(const struct mcast_config *a, const struct mcast_config *b);
/* " mcast-snooping on ..." for the settings that are not the default. */
void config_print_mcast(const struct mcast_config *c, FILE *out);
/* A port's mcast-router auto|yes|no. */
int config_parse_mcast_router(const char *what, const char *value, struct mcast_port_config *c,
			      char *err, size_t err_size);
bool config_mcast_port_equal(const struct mcast_port_config *a, const struct mcast_port_config *b);
void config_print_mcast_port(const struct mcast_port_config *c, FILE *out);
/* port show's line (out) or fields (json). */
void show_mcast_port(const struct bridge_port *p, FILE *out, struct cJSON *json);

/* ---- rate_config.c: a port's rate limits ---------------------------------- */

struct cJSON;
/* Whether `key` is a rate-limit setting (ingress-rate, ingress-burst,
 * egress-rate, egress-peak, egress-burst, storm-broadcast, storm-multicast,
 * storm-unknown). */
bool config_rate_key(const char *key);
/* Parses one of them into rate ("off" clears it; a rate's off clears its
 * burst and peak too). Returns 0 or -EINVAL with "WHAT 'VALUE' ..." in err. */
int config_parse_rate_setting(const char *what, const char *key, const char *value,
			      struct port_rate_config *rate, char *err, size_t err_size);
/* " ingress-rate 100M ..." for the settings that are not 0. */
void config_print_rate(const struct port_rate_config *rate, FILE *out);
/* The limits and their buckets' credit now, for `port show`. */
void show_rate_text(FILE *out, const struct bridge_port *port);
void show_rate_json(struct cJSON *o, const struct bridge_port *port);

/* ---- lldp_config.c: LLDP's part of the model ---------------------------- */

/* A port's `lldp off|rx|tx|rxtx|default`; -EINVAL with "WHAT 'VALUE' ..." in err. */
int config_parse_lldp_mode(const char *what, const char *value, struct port_lldp *lldp, char *err,
			   size_t err_size);
bool config_lldp_mode_equal(const struct port_lldp *a, const struct port_lldp *b);
/* " lldp MODE" when not the default, for a port's line of the config. */
void config_print_lldp_mode(const struct port_lldp *lldp, FILE *out);
/* Adds the mode to json if not NULL, else prints a line of `port show` to out. */
void show_lldp_mode(const struct bridge_port *port, FILE *out, struct cJSON *json);
/* One daemon setting (system-name, chassis-id, mgmt-address, tx-interval)
 * with its value; -EINVAL with err set. */
int config_parse_lldp_setting(struct lldp_settings *s, const char *key, const char *value,
			      char *err, size_t err_size);
bool config_lldp_settings_equal(const struct lldp_settings *a, const struct lldp_settings *b);
/* The `lldp KEY VALUE` lines of the settings that are not the default. */
void config_print_lldp_settings(const struct lldp_settings *s, FILE *out);

/* ---- sea_config.c: the SEA's part of the model ----------------------------- */

/* Parses SEA keywords (real, trunks, ctl, pvid, priority, ha-mode, failback,
 * failback-delay, hello, dead, netaddr, netaddr-interval, netaddr-retries)
 * into sea. Returns 0 or -EINVAL with err set. */
int config_parse_sea_settings(struct sea_config *sea, int argc, char **argv, char *err,
			      size_t err_size);
/* Cross-checks every SEA against the switches and ports of the model. */
int config_check_seas(const struct config *cfg, char *err, size_t err_size);
/* The settings a port is applied with: its own, except that the real
 * adapter of an SEA is an uplink whose VLANs are the SEA's pvid and the
 * VLANs its trunks carry. */
void config_effective_port(const struct config *cfg, const struct config_port *p,
			   struct port_config *out);
/* The SEA whose real adapter, trunk or control port `port` is, or NULL. */
const struct sea_config *config_sea_of_port(const struct config *cfg, const char *port);
/* Whether `port` is a trunk adapter of some SEA. */
bool config_is_sea_trunk(const struct config *cfg, const char *port);
bool config_sea_equal(const struct sea_config *a, const struct sea_config *b);
void config_print_sea(const struct sea_config *sea, FILE *out);

/* ---- ipfix_config.c: IPFIX exporters in the model ------------------------- */

struct ipfix_config *config_find_ipfix(const struct config *cfg, const char *name);
/* The exporter of switch `sw`, or NULL. */
struct ipfix_config *config_ipfix_of_switch(const struct config *cfg, const char *sw);
/* Appends a zeroed one; NULL when out of memory. */
struct ipfix_config *config_add_ipfix(struct config *cfg);
void config_del_ipfix(struct config *cfg, const char *name);
/* Defaults, then the words after `ipfix add NAME`. 0 or -EINVAL. */
int config_parse_ipfix(struct ipfix_config *x, int argc, char **argv, char *err, size_t err_size);
/* Each exporter's switch exists, one per switch; the collector parses. */
int config_check_ipfix(const struct config *cfg, char *err, size_t err_size);
bool config_ipfix_equal(const struct ipfix_config *a, const struct ipfix_config *b);
/* The collection's part of copy, equal, del-switch and print. */
int config_copy_ipfix(struct config *dst, const struct config *src);
bool config_ipfixes_equal(const struct config *a, const struct config *b);
void config_print_ipfix(const struct config *cfg, const char *sw, FILE *out);
/* The exporter's engine cache and socket; NULL with err set. */
struct ipfix_cache *config_ipfix_open(const struct ipfix_config *x, char *err, size_t err_size);

/* ---- mirror_config.c: mirrors in the model -------------------------------- */

/* Parses a mirror's words after its name (source, direction, vlan, output
 * PORT | output erspan remote ADDR [local ADDR] [session-id N] [version
 * 2|3]) into m. Returns 0 or -EINVAL with err set. */
int config_parse_mirror(struct mirror_config *m, int argc, char **argv, char *err, size_t err_size);
/* Cross-checks every mirror against the switches and ports of the model. */
int config_check_mirrors(const struct config *cfg, char *err, size_t err_size);
bool config_mirror_equal(const struct mirror_config *a, const struct mirror_config *b);
void config_print_mirror(const struct mirror_config *m, FILE *out);
/* ---- acl_config.c: security groups in the model ------------------------- */

struct acl_rule_config {
	unsigned line;
	char group[ACL_GROUP_MAX];
	struct acl_rule_spec spec; /* spec.id: the rule's number in its group */
};

/* Parses a rule's words (id, priority, direction, ethertype, proto, port,
 * remote, action) into r. Returns 0 or -EINVAL with err set. */
int config_parse_acl_rule(const char *group, int argc, char **argv, struct acl_rule_spec *r,
			  char *err, size_t err_size);
struct acl_rule_config *config_find_acl_rule(const struct config *cfg, const char *group,
					     uint32_t id);
/* One more than the group's highest rule id. */
uint32_t config_acl_next_id(const struct config *cfg, const char *group);
/* Removes the group's rule `id`, or all its rules when id is 0; how many. */
size_t config_del_acl_rules(struct config *cfg, const char *group, uint32_t id);
int config_check_acls(const struct config *cfg, char *err, size_t err_size);
bool config_acls_equal(const struct config *a, const struct config *b);
/* A rule's words after its group and id, as `acl add` takes them. */
void config_format_acl_rule(const struct acl_rule_spec *r, char *buf, size_t size);
void config_print_acls(const struct config *cfg, FILE *out);
/* Port keywords security-group (G1[,G2...] | none) and conntrack-max. */
int config_parse_acl_port_setting(const char *port, const char *key, const char *value,
				  struct port_acl_config *acl, char *err, size_t err_size);
bool config_acl_port_equal(const struct port_acl_config *a, const struct port_acl_config *b);
void config_print_acl_port(const struct port_acl_config *a, FILE *out);
/* Whether port p of `want` keeps what its old self of `have` runs: the same
 * groups, conntrack-max, and rules of those groups. */
bool config_acl_port_unchanged(const struct config *have, const struct config *want,
			       const struct config_port *old, const struct config_port *p);
/* The port's rules compiled and a new connection table; NULL when out of
 * memory. On the control thread. */
struct acl_port *config_acl_build_port(const struct config *cfg, const struct config_port *p);
/* Installs acl (NULL: none) on the live port, moving the open connections
 * over when the table keeps its size; *old gets what to free later. */
void config_acl_install(struct bridge_port *live, struct acl_port *acl, struct acl_port **old);

/* ---- profile_config.c: port profiles in the model ----------------------- */

struct profile_config *config_find_profile(const struct config *cfg, const char *name);
/* Appends and returns a zeroed profile (NULL when out of memory). */
struct profile_config *config_add_profile(struct config *cfg);
void config_del_profile(struct config *cfg, const char *name);
/* Sets port settings (argv: KEY VALUE... as `port set` takes them, several
 * at once) in a profile's or a port's list, each checked by the port
 * parser; a key set again replaces its value in place. `what` names the
 * owner in messages ("profile web"). Returns 0 or -EINVAL with err set. */
int config_settings_set(struct profile_setting *list, int *n, const char *what, int argc,
			char **argv, char *err, size_t err_size);
/* Whether two lists hold the same keys and values in the same order. */
bool config_settings_equal(const struct profile_setting *a, int n_a,
			   const struct profile_setting *b, int n_b);
/* Removes the named keys; -ENOENT with err set for a key not in the list. */
int config_settings_unset(struct profile_setting *list, int *n, const char *what, int argc,
			  char **argv, char *err, size_t err_size);
/* Works out the settings of every port bound to a profile (see struct
 * config_port). -EINVAL with err set for an unknown profile, a loop of
 * inherit, or settings that do not parse together. Every command that
 * edits the model, the startup file and the domain call it before
 * config_check(). */
int config_resolve_profiles(struct config *cfg, char *err, size_t err_size);
/* The same for one port (nothing to do when it is not bound); its settings
 * are left as they were on error. */
int config_resolve_port(const struct config *cfg, struct config_port *port, char *err,
			size_t err_size);
/* Whether the profiles and the ports' bindings and overrides are equal
 * (the domain flags are not compared: running-config does not carry them). */
bool config_profiles_equal(const struct config *a, const struct config *b);
/* `profile add` lines, parents before children. */
void config_print_profiles(const struct config *cfg, FILE *out);
/* What a port bound to prof alone (no overrides) runs with; -EINVAL with
 * err set as config_resolve_profiles says. */
int config_profile_settings(const struct config *cfg, const struct profile_config *prof,
			    struct port_config *out, char *err, size_t err_size);
/* " KEY VALUE..." for each setting of a list. */
void config_print_settings(const struct profile_setting *list, int n, FILE *out);

/* ---- apply.c: model to datapath ----------------------------------------- */

struct config_apply;

/* Prepares making the datapath and the SEAs in `seas` match `want`, given
 * that they match `have` now: the static MACs to remove and to add are worked out here, on the
 * control thread, in linear time. Both models must outlive the apply.
 * NULL when out of memory (err set). */
struct config_apply *config_apply_prepare(const struct config *have, const struct config *want,
					  struct sea_set *seas, char *err, size_t err_size);
/* Runs the next slice on the data-plane thread: first what may fail (new
 * switches and tables, new devices) with its undo, then in one step the
 * changes that cannot fail, then static MACs a few thousand per call.
 * Returns 1 while there is more, 0 when done, or a negative errno with err
 * set, in which case everything was undone: the datapath matches `have`. */
int config_apply_step(struct config_apply *apply, struct datapath *dp, char *err, size_t err_size);
/* Whether ports came or went (the daemon's epoll set changes). */
bool config_apply_ports_changed(const struct config_apply *apply);
/* NULL is a no-op. */
void config_apply_free(struct config_apply *apply);
/* All the steps at once. */
int config_apply(struct datapath *dp, struct sea_set *seas, const struct config *have,
		 const struct config *want, char *err, size_t err_size);
/* For tests: the nth fallible action of the following applies fails as if
 * out of memory (0: none), to prove that every failure is undone. */
void config_apply_fail_at(unsigned nth);

/* ---- file.c: startup file ----------------------------------------------- */

/* Reads a startup file of commands into a new model. NULL with
 * "FILE:LINE: reason" in err when any line is bad. */
struct config *config_load(const char *path, char *err, size_t err_size);
/* Writes the model to path atomically: temp file, fsync, rename. */
int config_save(const struct config *cfg, const char *path, char *err, size_t err_size);

/* ---- commands.c: the command language ----------------------------------- */

struct command_context {
	struct datapath *dp;	 /* live state, for show commands; may be NULL */
	struct config *cfg;	 /* model the command edits */
	const char *config_path; /* startup file, for save and reload */
	bool json;		 /* show output as JSON */
	FILE *out;		 /* output */
	bool changed;		 /* set when cfg was edited */
	bool reload;		 /* set by `reload`: the caller re-reads the file */
	bool needs_datapath;	 /* set when run without dp: run it again with one */
	/* Runs fn(dp, arg) on the data-plane thread and waits, for a command
	 * that copies live state there and renders it on the control thread;
	 * NULL where there is no data-plane thread. */
	void (*datapath_call)(void *executor, void (*fn)(struct datapath *dp, void *arg),
			      void *arg);
	void *executor;
	struct sea_set *seas; /* live SEAs, for show commands; may be NULL */
	/* Set by the domain (docs/distributed.md) when it runs a command on a
	 * copy of the model to work out what to write to etcd: profiles and
	 * ports marked `domain` may then be edited. */
	bool domain_edit;
};

/* One command of the language: a module's table (commands.c, sea_commands.c)
 * holds these. */
struct command {
	const char *verb[2]; /* "port", "add" */
	bool config;	     /* may appear in a startup file */
	bool live;	     /* reads or acts on the datapath, not the model */
	int (*run)(struct command_context *ctx, int argc, char **argv, char *err, size_t err_size);
	const char *usage;
};

/* The SEA's commands (sea_commands.c). */
extern const struct command sea_commands[];
extern const size_t n_sea_commands;
/* LLDP's commands (lldp_commands.c). */
extern const struct command lldp_commands[];
extern const size_t n_lldp_commands;
/* The mirrors' commands (mirror_commands.c). */
extern const struct command mirror_commands[];
extern const size_t n_mirror_commands;
/* IPFIX exporters' commands (ipfix_commands.c). */
extern const struct command ipfix_commands[];
extern const size_t n_ipfix_commands;
/* mcast show and mcast flush (mcast_commands.c). */
extern const struct command mcast_commands[];
extern const size_t n_mcast_commands;
/* The security groups' commands (acl_commands.c). */
extern const struct command acl_commands[];
extern const size_t n_acl_commands;
/* Port profiles' commands with port bind/unbind/unset (profile_commands.c). */
extern const struct command profile_commands[];
extern const size_t n_profile_commands;
/* -EPERM with err naming its profile when `port` is managed by the domain
 * and ctx is not the domain's own edit (ctx->domain_edit). */
int profile_port_guard(const struct command_context *ctx, const struct config_port *port, char *err,
		       size_t err_size);
/* Binds `port` (in ctx->cfg) to profile `name` with argv as its overrides,
 * replacing its own settings; the port is left as it was on error. */
int profile_bind_port(struct command_context *ctx, struct config_port *port, const char *name,
		      int argc, char **argv, char *err, size_t err_size);
/* `port set` on a bound port: argv become overrides. */
int profile_port_override(struct command_context *ctx, struct config_port *port, int argc,
			  char **argv, char *err, size_t err_size);
/* A name of 1 to max-1 letters, digits and ._-:@, or -EINVAL with err set. */
int command_check_name(const char *what, const char *name, size_t max, char *err, size_t err_size);

/* Runs one command (argv as the words of a vswitchctl line). Returns 0, or
 * a negative errno with err set to a message naming the object and why. */
int command_run(struct command_context *ctx, int argc, char **argv, char *err, size_t err_size);
/* True for commands a startup file may hold (they only edit the model). */
bool command_is_config(int argc, char **argv);
/* True for commands that read or act on the datapath (show, counters,
 * fdb flush...): they run on the data-plane thread. */
bool command_is_live(int argc, char **argv);
/* Splits a line into words (whitespace; '#' starts a comment). Returns the
 * word count, or -E2BIG. Words point into line, which is modified. */
int command_split(char *line, char **argv, int max);
/* The usage text of every command. */
void command_help(FILE *out);

#endif
