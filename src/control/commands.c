/* commands.c — the command language shared by vswitchctl and the startup
 * file: one table of commands with their usage. Configuration commands edit
 * the model in ctx->cfg (the caller checks and applies it); live commands
 * act on the datapath; show commands are in show.c. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "engine/datapath.h"
#include "lib/frame.h"
#include "http_routes.h"
#include "show.h"

static int need(int argc, int n, const char *usage, char *err, size_t err_size)
{
	if (argc >= n)
		return 0;
	snprintf(err, err_size, "usage: %s", usage);
	return -EINVAL;
}

int command_check_name(const char *what, const char *name, size_t max, char *err, size_t err_size)
{
	size_t n = strlen(name);
	bool ok = n > 0 && n < max;
	for (size_t i = 0; ok && i < n; i++)
		ok = isalnum((unsigned char)name[i]) || strchr("._-:@", name[i]);
	if (!ok)
		snprintf(err, err_size,
			 "%s name '%s' must be 1-%zu characters of letters, digits and ._-:@", what,
			 name, max - 1);
	return ok ? 0 : -EINVAL;
}

/* ---- switch ------------------------------------------------------------- */

static int switch_add(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	const char *name = argv[0];
	if (command_check_name("switch", name, SWITCH_NAME_MAX, err, n))
		return -EINVAL;
	if (config_find_switch(ctx->cfg, name)) {
		snprintf(err, n, "switch %s: already exists", name);
		return -EEXIST;
	}
	struct switch_config settings;
	switch_config_init(&settings);
	if (config_parse_switch_settings(name, argc - 1, argv + 1, &settings, err, n))
		return -EINVAL;
	struct config_switch *sw = config_add_switch(ctx->cfg);
	if (!sw) {
		snprintf(err, n, "out of memory");
		return -ENOMEM;
	}
	copy_name(sw->name, sizeof(sw->name), name);
	sw->settings = settings;
	ctx->changed = true;
	return 0;
}

static int switch_set(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	struct config_switch *sw = config_find_switch(ctx->cfg, argv[0]);
	if (!sw) {
		snprintf(err, n, "switch %s: no such switch", argv[0]);
		return -ENOENT;
	}
	struct switch_config settings = sw->settings;
	if (config_parse_switch_settings(argv[0], argc - 1, argv + 1, &settings, err, n))
		return -EINVAL;
	sw->settings = settings;
	ctx->changed = true;
	return 0;
}

/* "datapath cores LIST": only its form is checked here (numbers, ranges,
 * commas); vswitchd checks the cores themselves when it starts on them. */
static int datapath_cores(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	(void)argc;
	const char *list = argv[0];
	bool form = list[0] != '\0' && strlen(list) < sizeof(ctx->cfg->cores);
	for (const char *c = list; form && *c; c++) {
		bool digit = *c >= '0' && *c <= '9';
		bool after_digit = c > list && c[-1] >= '0' && c[-1] <= '9';
		form = digit || ((*c == ',' || *c == '-') && after_digit && c[1] != '\0');
	}
	if (!form) {
		snprintf(err, n, "datapath cores: '%s' is not a list of cores like 0,1 or 0-3",
			 list);
		return -EINVAL;
	}
	copy_name(ctx->cfg->cores, sizeof(ctx->cfg->cores), list);
	ctx->changed = true;
	return 0;
}

static int switch_del(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	(void)argc;
	if (!config_find_switch(ctx->cfg, argv[0])) {
		snprintf(err, n, "switch %s: no such switch", argv[0]);
		return -ENOENT;
	}
	for (size_t i = 0; i < ctx->cfg->n_ports; i++) /* its ports go with it */
		if (!strcmp(ctx->cfg->ports[i].sw, argv[0]) &&
		    profile_port_guard(ctx, &ctx->cfg->ports[i], err, n))
			return -EPERM;
	config_del_switch(ctx->cfg, argv[0]);
	ctx->changed = true;
	return 0;
}

/* ---- port --------------------------------------------------------------- */

static int port_add(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	const char *sw = argv[0], *name = argv[1];
	if (command_check_name("port", name, PORT_NAME_MAX, err, n))
		return -EINVAL;
	if (!config_find_switch(ctx->cfg, sw)) {
		snprintf(err, n, "port %s: no switch %s", name, sw);
		return -ENOENT;
	}
	if (config_find_port(ctx->cfg, name)) {
		snprintf(err, n, "port %s: already exists", name);
		return -EEXIST;
	}
	if (strcmp(argv[2], "type") != 0) {
		snprintf(err, n, "port %s: 'type TYPE' must follow the port name", name);
		return -EINVAL;
	}
	if (!port_class_find(argv[3])) {
		snprintf(err, n, "port %s: unknown type '%s' (types: %s)", name, argv[3],
			 port_class_list());
		return -EINVAL;
	}
	struct config_port port;
	memset(&port, 0, sizeof(port));
	copy_name(port.name, sizeof(port.name), name);
	copy_name(port.sw, sizeof(port.sw), sw);
	copy_name(port.type, sizeof(port.type), argv[3]);
	port_config_init(&port.settings);
	/* `profile P [overrides...]` after the type options binds it. */
	int k = 4;
	while (k < argc && strchr(argv[k], '='))
		k++;
	bool bind = k + 1 < argc && !strcmp(argv[k], "profile");
	if (config_parse_port_settings(&port, (bind ? k : argc) - 4, argv + 4, true, err, n)) {
		for (int i = k + 1; i < argc && !bind; i++)
			if (!strcmp(argv[i], "profile"))
				snprintf(err, n,
					 "port %s: 'profile NAME' comes right after the type "
					 "options; the settings after it are the port's overrides",
					 name);
		return -EINVAL;
	}
	if (port_config_validate(name, &port.settings, err, n))
		return -EINVAL;
	struct config_port *slot = config_add_port(ctx->cfg);
	if (!slot) {
		snprintf(err, n, "out of memory");
		return -ENOMEM;
	}
	*slot = port;
	int error =
	    bind ? profile_bind_port(ctx, slot, argv[k + 1], argc - k - 2, argv + k + 2, err, n)
		 : 0;
	if (error) {
		config_del_port(ctx->cfg, name);
		return error;
	}
	ctx->changed = true;
	return 0;
}

static int port_set(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	struct config_port *port = config_find_port(ctx->cfg, argv[0]);
	if (!port) {
		snprintf(err, n, "port %s: no such port", argv[0]);
		return -ENOENT;
	}
	if (profile_port_guard(ctx, port, err, n))
		return -EPERM;
	if (port->profile[0]) /* an override of its profile's setting */
		return profile_port_override(ctx, port, argc - 1, argv + 1, err, n);
	struct config_port changed = *port;
	if (config_parse_port_settings(&changed, argc - 1, argv + 1, false, err, n) ||
	    port_config_validate(changed.name, &changed.settings, err, n))
		return -EINVAL;
	*port = changed;
	ctx->changed = true;
	return 0;
}

static int port_del(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	(void)argc;
	const struct config_port *port = config_find_port(ctx->cfg, argv[0]);
	if (!port) {
		snprintf(err, n, "port %s: no such port", argv[0]);
		return -ENOENT;
	}
	if (profile_port_guard(ctx, port, err, n))
		return -EPERM;
	config_del_port(ctx->cfg, argv[0]);
	ctx->changed = true;
	return 0;
}

/* ---- fdb ---------------------------------------------------------------- */

/* Parses "vlan V mac M [port P]" after the switch name. */
static int parse_fdb_args(int argc, char **argv, uint16_t *vid, uint8_t mac[6], const char **port,
			  char *err, size_t n)
{
	*port = NULL;
	*vid = 0;
	bool have_mac = false;
	for (int i = 0; i + 1 < argc; i += 2) {
		char *end;
		if (!strcmp(argv[i], "vlan")) {
			unsigned long v = strtoul(argv[i + 1], &end, 10);
			if (*end || v < 1 || v > VID_MAX) {
				snprintf(err, n, "fdb: vlan '%s' out of range 1-%u", argv[i + 1],
					 VID_MAX);
				return -EINVAL;
			}
			*vid = (uint16_t)v;
		} else if (!strcmp(argv[i], "mac")) {
			if (mac_parse(argv[i + 1], mac)) {
				snprintf(err, n,
					 "fdb: '%s' is not a MAC address (aa:bb:cc:dd:ee:ff)",
					 argv[i + 1]);
				return -EINVAL;
			}
			have_mac = true;
		} else if (!strcmp(argv[i], "port")) {
			*port = argv[i + 1];
		} else {
			snprintf(err, n, "fdb: unknown word '%s' (want vlan, mac, port)", argv[i]);
			return -EINVAL;
		}
	}
	if (argc % 2 || !*vid || !have_mac) {
		snprintf(err, n, "fdb: need 'vlan VID mac MAC'");
		return -EINVAL;
	}
	return 0;
}

static int fdb_add(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	uint16_t vid;
	uint8_t mac[6];
	const char *port;
	char text[18];
	if (!config_find_switch(ctx->cfg, argv[0])) {
		snprintf(err, n, "fdb: no switch %s", argv[0]);
		return -ENOENT;
	}
	if (parse_fdb_args(argc - 1, argv + 1, &vid, mac, &port, err, n))
		return -EINVAL;
	if (!port) {
		snprintf(err, n, "fdb: need 'port PORT'");
		return -EINVAL;
	}
	if (mac_is_group(mac) || mac_is_zero(mac)) {
		snprintf(err, n, "fdb: %s is not a unicast MAC", mac_format(mac, text));
		return -EINVAL;
	}
	struct config_mac *m = config_find_mac(ctx->cfg, argv[0], vid, mac);
	if (!m)
		m = config_add_mac(ctx->cfg);
	if (!m) {
		snprintf(err, n, "out of memory");
		return -ENOMEM;
	}
	copy_name(m->sw, sizeof(m->sw), argv[0]);
	m->vid = vid;
	memcpy(m->mac, mac, 6);
	copy_name(m->port, sizeof(m->port), port);
	ctx->changed = true;
	return 0;
}

static int fdb_del(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	uint16_t vid;
	uint8_t mac[6];
	const char *port;
	char text[18];
	if (parse_fdb_args(argc - 1, argv + 1, &vid, mac, &port, err, n))
		return -EINVAL;
	struct config_mac *m = config_find_mac(ctx->cfg, argv[0], vid, mac);
	if (m) {
		config_del_mac(ctx->cfg, m);
		ctx->changed = true;
		return 0;
	}
	if (!ctx->dp) {
		ctx->needs_datapath = true; /* a learned entry, maybe */
		return 0;
	}
	struct vswitch *sw = datapath_find_switch(ctx->dp, argv[0]);
	if (!sw) {
		snprintf(err, n, "fdb: no switch %s", argv[0]);
		return -ENOENT;
	}
	if (switch_del_mac(sw, vid, mac) < 0) {
		snprintf(err, n, "fdb: no entry for %s in vlan %u on %s", mac_format(mac, text),
			 vid, sw->name);
		return -ENOENT;
	}
	return 0;
}

static int fdb_flush_cmd(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	struct vswitch *sw = ctx->dp ? datapath_find_switch(ctx->dp, argv[0]) : NULL;
	if (!sw) {
		snprintf(err, n, "fdb: no switch %s", argv[0]);
		return -ENOENT;
	}
	uint16_t port = PORT_INDEX_NONE;
	uint64_t vids[VLAN_WORDS];
	bool by_vid = false;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "port")) {
			struct bridge_port *p = switch_find_port(sw, argv[i + 1]);
			if (!p) {
				snprintf(err, n, "fdb: no port %s on switch %s", argv[i + 1],
					 sw->name);
				return -ENOENT;
			}
			port = p->index;
		} else if (!strcmp(argv[i], "vlan")) {
			if (config_parse_vids(argv[i + 1], vids, err, n))
				return -EINVAL;
			by_vid = true;
		} else {
			snprintf(err, n, "usage: fdb flush SWITCH [port PORT] [vlan VIDS]");
			return -EINVAL;
		}
	}
	if (argc % 2 == 0) {
		snprintf(err, n, "usage: fdb flush SWITCH [port PORT] [vlan VIDS]");
		return -EINVAL;
	}
	uint32_t removed = fdb_flush(sw->fdb, port, by_vid ? vids : NULL, false);
	if (ctx->out)
		fprintf(ctx->out, "%u entries flushed\n", removed);
	return 0;
}

static int port_announce(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	(void)argc;
	struct vswitch *sw;
	struct bridge_port *port = ctx->dp ? datapath_find_port(ctx->dp, argv[0], &sw) : NULL;
	if (!port) {
		snprintf(err, n, "port %s: no such port", argv[0]);
		return -ENOENT;
	}
	uint32_t sent = switch_announce(sw, port);
	if (ctx->out)
		fprintf(ctx->out, "%u announcements (gratuitous RARP) sent on %s\n", sent,
			port->name);
	return 0;
}

/* ---- pipe ports: frames in and out, for tests (OVS netdev-dummy/receive) -- */

/* The port a live command names, or NULL with "no such port" in err. */
static struct bridge_port *live_port(struct command_context *ctx, const char *name, char *err,
				     size_t n)
{
	struct bridge_port *port = ctx->dp ? datapath_find_port(ctx->dp, name, NULL) : NULL;
	if (!port)
		snprintf(err, n, "port %s: no such port", name);
	return port;
}

/* Decodes the hex digits of a frame into a new buffer; NULL with err set. */
static uint8_t *frame_from_hex(const char *port, const char *hex, size_t *len, char *err, size_t n)
{
	size_t digits = strspn(hex, "0123456789abcdefABCDEF");
	if (hex[digits] || digits % 2) {
		if (hex[digits])
			snprintf(err, n, "port %s: frame: '%c' at character %zu is not a hex digit",
				 port, hex[digits], digits + 1);
		else
			snprintf(err, n, "port %s: frame: %zu hex digits, not two per byte", port,
				 digits);
		return NULL;
	}
	*len = digits / 2;
	uint8_t *frame = malloc(*len + 1);
	for (size_t i = 0; frame && i < *len; i++) {
		char byte[3] = {hex[2 * i], hex[2 * i + 1], '\0'};
		frame[i] = (uint8_t)strtoul(byte, NULL, 16);
	}
	if (!frame)
		snprintf(err, n, "out of memory");
	return frame;
}

static int port_inject(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	unsigned long vid = 0;
	char what[PORT_NAME_MAX + 16];
	snprintf(what, sizeof(what), "port %s: vlan", argv[0]);
	if ((argc != 2 && argc != 4) || (argc == 4 && strcmp(argv[2], "vlan"))) {
		snprintf(err, n, "usage: port inject PORT HEX [vlan VID]");
		return -EINVAL;
	}
	if (argc == 4 && config_parse_uint(what, argv[3], 0, 4095, &vid, err, n))
		return -EINVAL;
	struct bridge_port *bp = live_port(ctx, argv[0], err, n);
	if (!bp)
		return -ENOENT;
	struct port *port = bp->dev;
	uint32_t max = pipe_frame_max(port, bp->sw->pool);
	if (!max) {
		snprintf(err, n, "port %s: a %s port has no queue to inject into (pipe ports do)",
			 port->name, port->class->type);
		return -EOPNOTSUPP;
	}
	size_t len;
	uint8_t *frame = frame_from_hex(port->name, argv[1], &len, err, n);
	if (!frame)
		return -EINVAL;
	/* A runt is refused here, not by the pipe: unit and fuzz tests feed
	 * runts to the parser; an operator's test wants a frame. */
	int error = -EMSGSIZE;
	if (len >= ETH_HEADER_LEN && len <= max)
		error = pipe_inject(port, bp->sw->pool, frame, (uint32_t)len,
				    argc == 4 ? (int)vid : -1);
	free(frame);
	if (error == -EMSGSIZE)
		snprintf(err, n, "port %s: a frame of %zu bytes is outside %d-%u", port->name, len,
			 ETH_HEADER_LEN, max);
	else if (error)
		snprintf(err, n, "port %s: cannot queue the frame: %s", port->name,
			 strerror(-error));
	return error;
}

static int port_take(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	unsigned long count = ULONG_MAX; /* all */
	char what[PORT_NAME_MAX + 16];
	snprintf(what, sizeof(what), "port %s: count", argv[0]);
	if ((argc != 1 && argc != 3) || (argc == 3 && strcmp(argv[1], "count"))) {
		snprintf(err, n, "usage: port take PORT [count N]");
		return -EINVAL;
	}
	if (argc == 3 && config_parse_uint(what, argv[2], 1, 1u << 20, &count, err, n))
		return -EINVAL;
	struct bridge_port *bp = live_port(ctx, argv[0], err, n);
	if (!bp)
		return -ENOENT;
	struct port *port = bp->dev;
	uint8_t *buf = malloc(UINT16_MAX);
	if (!buf) {
		snprintf(err, n, "out of memory");
		return -ENOMEM;
	}
	int len = -EAGAIN;
	unsigned long taken = 0;
	for (; taken < count && (len = pipe_take(port, buf, UINT16_MAX)) >= 0; taken++) {
		if (!ctx->out)
			continue;
		if (ctx->json)
			fprintf(ctx->out, "%s{\"len\": %d, \"hex\": \"", taken ? ",\n  " : "[\n  ",
				len);
		/* This runs on the data-plane thread: no format parsing per byte. */
		for (int i = 0; i < len; i++) {
			putc("0123456789abcdef"[buf[i] >> 4], ctx -> out);
			putc("0123456789abcdef"[buf[i] & 15], ctx -> out);
		}
		fputs(ctx->json ? "\"}" : "\n", ctx->out);
	}
	free(buf);
	if (len == -EOPNOTSUPP) {
		snprintf(err, n, "port %s: a %s port keeps no log of what it sent (pipe ports do)",
			 port->name, port->class->type);
		return len;
	}
	if (ctx->out && ctx->json)
		fputs(taken ? "\n]\n" : "[]\n", ctx->out);
	return 0;
}

/* ---- control ------------------------------------------------------------ */

static int counters_clear(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	if (!ctx->dp)
		return 0;
	struct bridge_port *port = NULL;
	if (argc > 0 && !(port = datapath_find_port(ctx->dp, argv[0], NULL))) {
		snprintf(err, n, "port %s: no such port", argv[0]);
		return -ENOENT;
	}
	for (size_t s = 0; s < ctx->dp->n_switches; s++) {
		struct vswitch *sw = ctx->dp->switches[s];
		for (uint16_t i = 0; i < sw->n_ports; i++)
			if (sw->ports[i] && (!port || port == sw->ports[i]))
				switch_clear_counters(sw->ports[i]);
	}
	return 0;
}

static int save(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	const char *path = argc > 0 ? argv[0] : ctx->config_path;
	if (!path) {
		snprintf(err, n, "save: the daemon has no startup file; name one: save PATH");
		return -EINVAL;
	}
	int error = config_save(ctx->cfg, path, err, n);
	if (!error && ctx->out)
		fprintf(ctx->out, "saved to %s\n", path);
	return error;
}

static int reload(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	(void)argc;
	(void)argv;
	if (!ctx->config_path) {
		snprintf(err, n, "reload: the daemon was started without a startup file");
		return -EINVAL;
	}
	ctx->reload = true;
	return 0;
}

static int help(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	(void)argc;
	(void)argv;
	(void)err;
	(void)n;
	if (ctx->out)
		command_help(ctx->out);
	return 0;
}

static const struct command commands[] = {
    {{"switch", "add"},
     true,
     false,
     switch_add,
     "switch add NAME [mode learning|authoritative] [ageing SECONDS] [fdb-capacity N] [mtu BYTES]\n"
     "        [mcast-snooping on|off] [mcast-flood-unknown on|off] [mcast-fast-leave on|off]\n"
     "        [mcast-max-groups N] [mcast-max-port-groups N] [mcast-membership-interval S]\n"
     "        [mcast-router-timeout S] [mcast-query-interval S] [mcast-querier VLANS|none]\n"
     "        [mcast-querier-address A.B.C.D] [mcast-querier-address6 fe80::X|none]"},
    {{"switch", "set"}, true, false, switch_set, "switch set NAME SETTING VALUE..."},
    {{"datapath", "cores"}, true, false, datapath_cores, "datapath cores LIST"},
    {{"metrics", "listen"}, true, false, metrics_listen_command, "metrics listen ADDR:PORT"},
    {{"switch", "del"}, false, false, switch_del, "switch del NAME"},
    {{"switch", "show"}, false, true, show_switches, "switch show [NAME]"},
    {{"port", "add"},
     true,
     false,
     port_add,
     "port add SWITCH NAME type TYPE [key=value...] [pvid VID|none] [vids LIST] [uplink on|off] "
     "[trunk-priority 1-15] [mode veb|vepa|private|passthrough] [learning on|off] [hairpin on|off] "
     "[mac-limit N] [mac MAC[,IP/LEN...]|none] [allowed-addresses MAC[,IP/LEN...]...|none] "
     "[promiscuous|mac-changes|forged-transmits accept|reject|default] "
     "[trusted on|off|default] [stacked-tags forward|drop|default] "
     "[security-group G1[,G2...]|none] [conntrack-max N] "
     "[ingress-rate BPS [ingress-burst BYTES]] [egress-rate BPS [egress-peak BPS] "
     "[egress-burst BYTES]] [storm-broadcast PPS] [storm-multicast PPS] [storm-unknown PPS] "
     "[lldp off|rx|tx|rxtx|default]\n"
     "[mcast-router auto|yes|no]\n"
     "        port add SWITCH NAME type TYPE [key=value...] profile PROFILE [SETTING VALUE...]"},
    {{"port", "set"}, true, false, port_set, "port set NAME SETTING VALUE..."},
    {{"port", "del"}, false, false, port_del, "port del NAME"},
    {{"port", "show"}, false, true, show_ports, "port show [NAME]"},
    {{"port", "announce"}, false, true, port_announce, "port announce NAME"},
    {{"port", "inject"}, false, true, port_inject, "port inject PORT HEX [vlan VID]"},
    {{"port", "take"}, false, true, port_take, "port take PORT [count N]"},
    {{"fdb", "add"}, true, false, fdb_add, "fdb add SWITCH vlan VID mac MAC port PORT"},
    {{"fdb", "del"}, false, false, fdb_del, "fdb del SWITCH vlan VID mac MAC"},
    {{"fdb", "flush"}, false, true, fdb_flush_cmd, "fdb flush SWITCH [port PORT] [vlan VIDS]"},
    {{"fdb", "show"}, false, false, show_fdb, "fdb show SWITCH [vlan VID] [port PORT]"},
    {{"vlan", "show"}, false, true, show_vlans, "vlan show [SWITCH]"},
    {{"counters", "clear"}, false, true, counters_clear, "counters clear [PORT]"},
    {{"counters", NULL}, false, true, show_counters, "counters [PORT]"},
    {{"show", "running-config"}, false, false, show_running_config, "show running-config"},
    {{"show", NULL}, false, true, show_overview, "show"},
    {{"save", NULL}, false, false, save, "save [PATH]"},
    {{"reload", NULL}, false, false, reload, "reload"},
    {{"help", NULL}, false, false, help, "help"},
};
static const size_t n_commands = ARRAY_SIZE(commands);

static const struct command *find_in(const struct command *table, size_t n, int argc, char **argv,
				     int *used)
{
	for (size_t i = 0; i < n; i++) {
		const struct command *c = &table[i];
		if (argc < 1 || strcmp(c->verb[0], argv[0]))
			continue;
		if (!c->verb[1]) {
			*used = 1;
			return c;
		}
		if (argc >= 2 && !strcmp(c->verb[1], argv[1])) {
			*used = 2;
			return c;
		}
	}
	return NULL;
}

/* Every module's table of commands: a protocol or feature with commands of
 * its own adds one line here (sea_commands.c). */
static const struct command_table {
	const struct command *commands;
	const size_t *n;
} tables[] = {
    {commands, &n_commands},
    {sea_commands, &n_sea_commands},
    {mirror_commands, &n_mirror_commands},
    {ipfix_commands, &n_ipfix_commands},
    {acl_commands, &n_acl_commands},
    {profile_commands, &n_profile_commands},
    {lldp_commands, &n_lldp_commands},
    {mcast_commands, &n_mcast_commands},
};

static const struct command *find_command(int argc, char **argv, int *used)
{
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		const struct command *c =
		    find_in(tables[t].commands, *tables[t].n, argc, argv, used);
		if (c)
			return c;
	}
	return NULL;
}

/* Minimum words after the verb, from the usage line's leading operands. */
static int required_operands(const struct command *c)
{
	int words = 0, required = 0;
	const char *p = c->usage;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *start = p;
		while (*p && *p != ' ')
			p++;
		if (p == start)
			break;
		if (++words <= (c->verb[1] ? 2 : 1))
			continue;
		if (*start == '[')
			break;
		required++;
		if (!strncmp(start, "TYPE", 4))
			break; /* port add: "type TYPE" counted, options follow */
	}
	return required;
}

bool command_is_config(int argc, char **argv)
{
	int used;
	const struct command *c = find_command(argc, argv, &used);
	return c && c->config;
}

/* `TYPE show [PORT]` exists for every port type with a status operation:
 * a new type's show command needs no line here. */
static const struct port_class *type_show(int argc, char **argv)
{
	const struct port_class *class = argc >= 2 ? port_class_find(argv[0]) : NULL;
	return class && class->status && !strcmp(argv[1], "show") ? class : NULL;
}

bool command_is_live(int argc, char **argv)
{
	int used;
	const struct command *c = find_command(argc, argv, &used);
	return c ? c->live : type_show(argc, argv) != NULL;
}

int command_run(struct command_context *ctx, int argc, char **argv, char *err, size_t err_size)
{
	int used = 0;
	const struct command *c = find_command(argc, argv, &used);
	const struct port_class *typed = c ? NULL : type_show(argc, argv);
	if (typed)
		return show_port_type(ctx, typed->type, argc - 2, argv + 2, err, err_size);
	if (!c) {
		snprintf(err, err_size, "unknown command '%s%s%s' (try: help)", argc ? argv[0] : "",
			 argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
		return -EINVAL;
	}
	if (need(argc - used, required_operands(c), c->usage, err, err_size))
		return -EINVAL;
	return c->run(ctx, argc - used, argv + used, err, err_size);
}

int command_split(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;
	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			break;
		if (argc == max)
			return -E2BIG;
		argv[argc++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	return argc;
}

void command_help(FILE *out)
{
	fprintf(out, "commands:\n");
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++)
		for (size_t i = 0; i < *tables[t].n; i++)
			fprintf(out, "  %s\n", tables[t].commands[i].usage);
	const struct port_class *class;
	for (size_t i = 0; (class = port_class_at(i)); i++)
		if (class->status)
			fprintf(out, "  %s show [PORT]\n", class->type);
}
