/* show.c — the show commands. Each builds a JSON document of the live
 * state (cJSON) and prints it, or prints the same facts as aligned text. */
#include "show.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/datapath.h"
#include "lib/frame.h"
#include "lib/pause.h"
#include "security_config.h"

/* "none" for a port that admits tagged frames only (pvid 0). */
static const char *format_pvid(uint16_t pvid, char buf[8])
{
	if (!pvid)
		return "none";
	snprintf(buf, 8, "%u", pvid);
	return buf;
}

static int no_datapath(char *err, size_t n)
{
	snprintf(err, n, "show: no live state here");
	return -EINVAL;
}

int show_emit_json(struct command_context *ctx, cJSON *doc)
{
	char *text = doc ? cJSON_Print(doc) : NULL;
	if (text)
		fprintf(ctx->out, "%s\n", text);
	free(text);
	cJSON_Delete(doc);
	return text ? 0 : -ENOMEM;
}

/* The switch or port a show command names in argv[0], if it names one. */
static int switch_arg(const struct command_context *ctx, int argc, char **argv,
		      const struct vswitch **only, char *err, size_t n)
{
	*only = NULL;
	if (argc > 0 && !(*only = datapath_find_switch(ctx->dp, argv[0]))) {
		snprintf(err, n, "switch %s: no such switch", argv[0]);
		return -ENOENT;
	}
	return 0;
}

static int port_arg(const struct command_context *ctx, int argc, char **argv,
		    const struct bridge_port **only, char *err, size_t n)
{
	*only = NULL;
	if (argc > 0 && !(*only = datapath_find_port(ctx->dp, argv[0], NULL))) {
		snprintf(err, n, "port %s: no such port", argv[0]);
		return -ENOENT;
	}
	return 0;
}

static const struct config_port *model_port(const struct command_context *ctx, const char *name)
{
	return config_find_port(ctx->cfg, name);
}

/* The port type's own status (port_class.status); false when it has none. */
static bool port_status_of(const struct bridge_port *p, struct port_status *st)
{
	memset(st, 0, sizeof(*st));
	return p->dev->class->status && p->dev->class->status(p->dev, st) >= 0;
}

static void add_status_fields(cJSON *o, const struct port_status *st)
{
	for (int i = 0; i < st->n_fields; i++) {
		const struct port_status_field *f = &st->fields[i];
		if (f->type == PORT_STATUS_STRING)
			cJSON_AddStringToObject(o, f->key, f->string);
		else if (f->type == PORT_STATUS_NUMBER)
			cJSON_AddNumberToObject(o, f->key, (double)f->number);
		else
			cJSON_AddNullToObject(o, f->key);
	}
	cJSON_AddStringToObject(o, "status", st->text);
}

static cJSON *port_json(const struct command_context *ctx, const struct bridge_port *p)
{
	const struct config_port *m = model_port(ctx, p->name);
	char vids[1024];
	config_format_vids(p->config.vids, vids, sizeof(vids));
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", p->name);
	cJSON_AddStringToObject(o, "switch", p->sw->name);
	cJSON_AddStringToObject(o, "type", p->dev->class->type);
	show_port_profile(m, NULL, o);
	cJSON *opts = cJSON_AddArrayToObject(o, "options");
	for (int i = 0; m && i < m->n_options; i++)
		cJSON_AddItemToArray(opts, cJSON_CreateString(m->options[i]));
	cJSON_AddBoolToObject(o, "carrier", p->up);
	cJSON_AddNumberToObject(o, "pvid", p->config.pvid);
	cJSON_AddStringToObject(o, "vids", vids);
	cJSON_AddBoolToObject(o, "uplink", p->config.uplink);
	cJSON_AddNumberToObject(o, "trunk_priority", p->config.trunk_priority);
	cJSON_AddBoolToObject(o, "active_uplink",
			      p->config.uplink && p->sw->active_uplink[p->config.pvid] == p->index);
	cJSON_AddStringToObject(o, "mode", config_port_mode_name(p->config.mode));
	cJSON_AddBoolToObject(o, "learning", p->config.learning);
	cJSON_AddBoolToObject(o, "hairpin", p->config.hairpin);
	cJSON_AddNumberToObject(o, "mac_limit", p->config.mac_limit);
	show_security_json(o, p);
	show_vlan_guard(&p->config.vlan_guard, p->config.security.enabled, p->config.uplink, NULL,
			o);
	cJSON_AddNumberToObject(o, "macs_learned", p->sw->fdb->port_dynamic[p->index]);
	acl_show_port(ctx, p, o);
	show_rate_json(o, p);
	show_lldp_mode(p, NULL, o);
	show_mcast_port(p, NULL, o);
	if (p->dev->class->recv && p->poll_thread != PORT_THREAD_NONE)
		cJSON_AddNumberToObject(o, "poll_thread", p->poll_thread);
	struct port_counters counters;
	const struct port_counters *c = &counters;
	bridge_port_counters(p, &counters);
	cJSON *cs = cJSON_AddObjectToObject(o, "counters");
	cJSON_AddNumberToObject(cs, "rx_packets", (double)c->rx_packets);
	cJSON_AddNumberToObject(cs, "rx_bytes", (double)c->rx_bytes);
	cJSON_AddNumberToObject(cs, "tx_packets", (double)c->tx_packets);
	cJSON_AddNumberToObject(cs, "tx_bytes", (double)c->tx_bytes);
	cJSON_AddNumberToObject(cs, "mac_moves", (double)c->mac_moves);
	cJSON_AddNumberToObject(cs, "consumed", (double)c->consumed);
	cJSON *drops = cJSON_AddObjectToObject(cs, "drops");
	for (int r = 1; r < DROP_MAX; r++)
		cJSON_AddNumberToObject(drops, drop_reason_name((enum drop_reason)r),
					(double)c->drops[r]);
	struct port_status st;
	if (port_status_of(p, &st))
		add_status_fields(cJSON_AddObjectToObject(o, p->dev->class->type), &st);
	return o;
}

static cJSON *switch_json(const struct vswitch *sw)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", sw->name);
	cJSON_AddStringToObject(o, "mode", config_switch_mode_name(sw->config.mode));
	cJSON_AddNumberToObject(o, "ageing", sw->config.ageing_seconds);
	cJSON_AddNumberToObject(o, "mtu", sw->config.mtu);
	cJSON_AddNumberToObject(o, "fdb_capacity", sw->fdb->capacity);
	cJSON_AddNumberToObject(o, "fdb_entries", sw->fdb->count);
	cJSON_AddNumberToObject(o, "fdb_full", (double)sw->fdb_full);
	cJSON *ports = cJSON_AddArrayToObject(o, "ports");
	for (uint16_t i = 0; i < sw->n_ports; i++)
		if (sw->ports[i])
			cJSON_AddItemToArray(ports, cJSON_CreateString(sw->ports[i]->name));
	return o;
}

static void print_switch_line(FILE *out, const struct vswitch *sw)
{
	unsigned n = 0;
	for (uint16_t i = 0; i < sw->n_ports; i++)
		n += sw->ports[i] != NULL;
	fprintf(out, "switch %s: %s, %u ports, %u of %u MACs, ageing %u s, mtu %u\n", sw->name,
		config_switch_mode_name(sw->config.mode), n, sw->fdb->count, sw->fdb->capacity,
		sw->config.ageing_seconds, sw->config.mtu);
}

/* With several poll threads (vswitchd --cores): which one receives on
 * which port, one line per thread. */
static void print_poll_threads(FILE *out, const struct vswitch *sw)
{
	for (unsigned t = 0; sw->n_threads > 1 && t < sw->n_threads; t++) {
		fprintf(out, "  poll thread %u:", t);
		for (uint16_t i = 0; i < sw->n_ports; i++) {
			const struct bridge_port *p = sw->ports[i];
			if (p && p->dev->class->recv && p->poll_thread == t)
				fprintf(out, " %s", p->name);
		}
		fputc('\n', out);
	}
}

static void print_port_table(FILE *out, const struct vswitch *sw)
{
	fprintf(out, "  %-16s %-9s %-5s %-5s %-12s %-8s %-7s %12s %12s %10s\n", "PORT", "TYPE",
		"LINK", "PVID", "VIDS", "UPLINK", "MODE", "RX", "TX", "DROPS");
	for (uint16_t i = 0; i < sw->n_ports; i++) {
		const struct bridge_port *p = sw->ports[i];
		if (!p)
			continue;
		char vids[64], uplink[16] = "-";
		config_format_vids(p->config.vids, vids, sizeof(vids));
		if (p->config.uplink)
			snprintf(uplink, sizeof(uplink), "%s%u",
				 sw->active_uplink[p->config.pvid] == p->index ? "active/"
									       : "prio ",
				 p->config.trunk_priority);
		struct port_counters c;
		bridge_port_counters(p, &c);
		char pvid[8];
		fprintf(out, "  %-16s %-9s %-5s %-5s %-12s %-8s %-7s %12llu %12llu %10llu\n",
			p->name, p->dev->class->type, p->up ? "up" : "down",
			format_pvid(p->config.pvid, pvid), vids[0] ? vids : "-", uplink,
			config_port_mode_name(p->config.mode), (unsigned long long)c.rx_packets,
			(unsigned long long)c.tx_packets,
			(unsigned long long)port_counters_total_drops(&c));
	}
	print_poll_threads(out, sw);
}

/* vswitchd --cores: how often thread 0 stopped the other poll threads
 * (housekeeping once a second, carrier changes, SEA runs, control jobs). */
static void print_pauses(FILE *out, const struct datapath *dp)
{
	if (dp->pause)
		fprintf(out, "datapath: %u poll threads, paused %llu times by thread 0\n",
			dp->n_threads, (unsigned long long)dp->pause->pauses);
}

int show_overview(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	(void)argc;
	(void)argv;
	if (!ctx->dp)
		return no_datapath(err, n);
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();
		cJSON *sws = cJSON_AddArrayToObject(doc, "switches");
		for (size_t i = 0; i < ctx->dp->n_switches; i++) {
			const struct vswitch *sw = ctx->dp->switches[i];
			cJSON *o = switch_json(sw);
			cJSON *ports = cJSON_AddArrayToObject(o, "port_details");
			for (uint16_t j = 0; j < sw->n_ports; j++)
				if (sw->ports[j])
					cJSON_AddItemToArray(ports, port_json(ctx, sw->ports[j]));
			cJSON_AddItemToArray(sws, o);
		}
		cJSON *seas = cJSON_AddArrayToObject(doc, "seas");
		for (size_t i = 0; ctx->seas && i < ctx->seas->n; i++)
			cJSON_AddItemToArray(seas, sea_to_json(ctx->seas->seas[i]));
		if (ctx->dp->pause)
			cJSON_AddNumberToObject(doc, "pauses", (double)ctx->dp->pause->pauses);
		return show_emit_json(ctx, doc);
	}
	if (ctx->dp->n_switches == 0)
		fprintf(ctx->out, "no switches (add one: switch add NAME)\n");
	for (size_t i = 0; i < ctx->dp->n_switches; i++) {
		print_switch_line(ctx->out, ctx->dp->switches[i]);
		print_port_table(ctx->out, ctx->dp->switches[i]);
	}
	for (size_t i = 0; ctx->seas && i < ctx->seas->n; i++)
		sea_show_line(ctx->seas->seas[i], ctx->out);
	print_pauses(ctx->out, ctx->dp);
	return 0;
}

int show_switches(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	if (!ctx->dp)
		return no_datapath(err, n);
	const struct vswitch *only;
	if (switch_arg(ctx, argc, argv, &only, err, n))
		return -ENOENT;
	cJSON *doc = ctx->json ? cJSON_CreateArray() : NULL;
	for (size_t i = 0; i < ctx->dp->n_switches; i++) {
		const struct vswitch *sw = ctx->dp->switches[i];
		if (only && sw != only)
			continue;
		if (doc)
			cJSON_AddItemToArray(doc, switch_json(sw));
		else
			print_switch_line(ctx->out, sw);
	}
	return doc ? show_emit_json(ctx, doc) : 0;
}

static void print_port_detail(struct command_context *ctx, const struct bridge_port *p)
{
	FILE *out = ctx->out;
	const struct config_port *m = model_port(ctx, p->name);
	char vids[1024];
	config_format_vids(p->config.vids, vids, sizeof(vids));
	fprintf(out, "port %s (switch %s, type %s", p->name, p->sw->name, p->dev->class->type);
	for (int i = 0; m && i < m->n_options; i++)
		fprintf(out, " %s", m->options[i]);
	char pvid[8];
	fprintf(out, ")\n  link %s, pvid %s, vids %s, mode %s, learning %s, hairpin %s\n",
		p->up ? "up" : "down", format_pvid(p->config.pvid, pvid), vids[0] ? vids : "none",
		config_port_mode_name(p->config.mode), p->config.learning ? "on" : "off",
		p->config.hairpin ? "on" : "off");
	show_port_profile(m, out, NULL);
	struct port_status st;
	if (port_status_of(p, &st))
		fprintf(out, "  %s: %s\n", p->dev->class->type, st.text);
	if (p->config.uplink)
		fprintf(out, "  uplink, trunk-priority %u, active for its pvid: %s\n",
			p->config.trunk_priority,
			p->sw->active_uplink[p->config.pvid] == p->index ? "yes" : "no");
	fprintf(out, "  MACs learned %u (limit %s%u)\n", p->sw->fdb->port_dynamic[p->index],
		p->config.mac_limit ? "" : "none, ", p->config.mac_limit);
	show_security_text(out, p);
	show_vlan_guard(&p->config.vlan_guard, p->config.security.enabled, p->config.uplink, out,
			NULL);
	acl_show_port(ctx, p, NULL);
	show_rate_text(out, p);
	show_lldp_mode(p, out, NULL);
	show_mcast_port(p, out, NULL);
	if (p->sw->n_threads > 1 && p->dev->class->recv)
		fprintf(out, "  received by poll thread %u\n", p->poll_thread);
	struct port_counters counters;
	const struct port_counters *c = &counters;
	bridge_port_counters(p, &counters);
	fprintf(out,
		"  rx %llu packets %llu bytes, tx %llu packets %llu bytes, mac moves %llu, "
		"consumed %llu\n",
		(unsigned long long)c->rx_packets, (unsigned long long)c->rx_bytes,
		(unsigned long long)c->tx_packets, (unsigned long long)c->tx_bytes,
		(unsigned long long)c->mac_moves, (unsigned long long)c->consumed);
	for (int r = 1; r < DROP_MAX; r++)
		if (c->drops[r])
			fprintf(
			    out, "  drop %-16s %llu  (%s)\n", drop_reason_name((enum drop_reason)r),
			    (unsigned long long)c->drops[r], drop_reason_text((enum drop_reason)r));
}

int show_ports(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	if (!ctx->dp)
		return no_datapath(err, n);
	const struct bridge_port *only;
	if (port_arg(ctx, argc, argv, &only, err, n))
		return -ENOENT;
	cJSON *doc = ctx->json ? cJSON_CreateArray() : NULL;
	for (size_t s = 0; s < ctx->dp->n_switches; s++) {
		const struct vswitch *sw = ctx->dp->switches[s];
		for (uint16_t i = 0; i < sw->n_ports; i++) {
			const struct bridge_port *p = sw->ports[i];
			if (!p || (only && p != only))
				continue;
			if (doc)
				cJSON_AddItemToArray(doc, port_json(ctx, p));
			else
				print_port_detail(ctx, p);
		}
	}
	return doc ? show_emit_json(ctx, doc) : 0;
}

/* fdb show copies the table on the data-plane thread (a few milliseconds
 * for a million entries) and renders it here, on the control thread, so
 * listing a large table never holds forwarding for the seconds printing
 * takes. */
struct fdb_row {
	uint64_t key;
	uint32_t age;
	uint16_t port;
	bool is_static;
};

struct fdb_copy {
	/* asked */
	const char *sw, *port;
	uint16_t vid;
	/* answered */
	int status;
	char err[256];
	struct fdb_row *rows;
	size_t n_rows;
	uint16_t port_index;
	uint16_t n_ports;
	char (*port_names)[PORT_NAME_MAX];
	const struct vswitch *from;
};

static void copy_fdb_entry(const struct fdb_entry *e, void *arg)
{
	struct fdb_copy *c = arg;
	uint16_t vid = fdb_key_vid(e->key);
	if ((c->vid && vid != c->vid) ||
	    (c->port_index != PORT_INDEX_NONE && e->port != c->port_index))
		return;
	c->rows[c->n_rows++] = (struct fdb_row){.key = e->key,
						.age = c->from->now - e->last_seen,
						.port = e->port,
						.is_static = e->flags & FDB_F_STATIC};
}

static void copy_fdb(struct datapath *dp, void *arg)
{
	struct fdb_copy *c = arg;
	const struct vswitch *sw = datapath_find_switch(dp, c->sw);
	c->port_index = PORT_INDEX_NONE;
	if (!sw) {
		snprintf(c->err, sizeof(c->err), "fdb: no switch %s", c->sw);
		c->status = -ENOENT;
		return;
	}
	const struct bridge_port *p = c->port ? switch_find_port(sw, c->port) : NULL;
	if (c->port && !p) {
		snprintf(c->err, sizeof(c->err), "fdb: no port %s on switch %s", c->port, sw->name);
		c->status = -ENOENT;
		return;
	}
	c->port_index = p ? p->index : PORT_INDEX_NONE;
	c->rows = malloc((sw->fdb->count + 1) * sizeof(*c->rows));
	c->port_names = calloc(sw->n_ports + 1u, sizeof(*c->port_names));
	if (!c->rows || !c->port_names) {
		snprintf(c->err, sizeof(c->err), "fdb: out of memory for %u entries",
			 sw->fdb->count);
		c->status = -ENOMEM;
		return;
	}
	c->from = sw;
	fdb_foreach(sw->fdb, copy_fdb_entry, c);
	c->from = NULL;
	c->n_ports = sw->n_ports;
	for (uint16_t i = 0; i < sw->n_ports; i++)
		if (sw->ports[i])
			copy_name(c->port_names[i], PORT_NAME_MAX, sw->ports[i]->name);
}

static void show_fdb_row(struct command_context *ctx, const struct fdb_copy *c,
			 const struct fdb_row *r, cJSON *doc)
{
	uint8_t mac[6];
	char text[18], age_text[16] = "-";
	mac_from_u64(r->key, mac);
	const char *port =
	    r->port < c->n_ports && c->port_names[r->port][0] ? c->port_names[r->port] : "?";
	if (doc) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "vlan", fdb_key_vid(r->key));
		cJSON_AddStringToObject(o, "mac", mac_format(mac, text));
		cJSON_AddStringToObject(o, "port", port);
		cJSON_AddStringToObject(o, "type", r->is_static ? "static" : "dynamic");
		if (!r->is_static)
			cJSON_AddNumberToObject(o, "age", r->age);
		cJSON_AddItemToArray(doc, o);
		return;
	}
	if (!r->is_static)
		snprintf(age_text, sizeof(age_text), "%u", r->age);
	fprintf(ctx->out, "  %-5u %-17s  %-16s %-8s %s\n", fdb_key_vid(r->key),
		mac_format(mac, text), port, r->is_static ? "static" : "dynamic", age_text);
}

int show_fdb(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	struct fdb_copy c = {.sw = argv[0]};
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "vlan"))
			c.vid = (uint16_t)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "port"))
			c.port = argv[i + 1];
	}
	if (ctx->dp)
		copy_fdb(ctx->dp, &c);
	else if (ctx->datapath_call)
		ctx->datapath_call(ctx->executor, copy_fdb, &c);
	else
		return no_datapath(err, n);
	int status = c.status;
	if (status) {
		snprintf(err, n, "%s", c.err);
		goto out;
	}
	cJSON *doc = ctx->json ? cJSON_CreateArray() : NULL;
	if (!doc)
		fprintf(ctx->out, "  %-5s %-17s  %-16s %-8s %s\n", "VLAN", "MAC", "PORT", "TYPE",
			"AGE");
	for (size_t i = 0; i < c.n_rows; i++)
		show_fdb_row(ctx, &c, &c.rows[i], doc);
	if (doc)
		status = show_emit_json(ctx, doc);
	else
		fprintf(ctx->out, "%zu entries\n", c.n_rows);
out:
	free(c.rows);
	free(c.port_names);
	return status;
}

static void vlan_members(const struct vswitch *sw, unsigned vid, char *untagged, char *tagged,
			 size_t size, cJSON *ju, cJSON *jt)
{
	size_t nu = 0, nt = 0;
	untagged[0] = tagged[0] = '\0';
	for (uint16_t i = 0; i < sw->n_ports; i++) {
		const struct bridge_port *p = sw->ports[i];
		if (!p || !bitset_test(p->vlans, vid))
			continue;
		bool is_untagged = p->config.pvid == vid;
		char *buf = is_untagged ? untagged : tagged;
		size_t *used = is_untagged ? &nu : &nt;
		if (*used < size)
			*used += (size_t)snprintf(buf + *used, size - *used, "%s%s",
						  *used ? "," : "", p->name);
		if (ju)
			cJSON_AddItemToArray(is_untagged ? ju : jt, cJSON_CreateString(p->name));
	}
}

int show_vlans(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	if (!ctx->dp)
		return no_datapath(err, n);
	const struct vswitch *only;
	if (switch_arg(ctx, argc, argv, &only, err, n))
		return -ENOENT;
	cJSON *doc = ctx->json ? cJSON_CreateArray() : NULL;
	for (size_t s = 0; s < ctx->dp->n_switches; s++) {
		const struct vswitch *sw = ctx->dp->switches[s];
		if (only && sw != only)
			continue;
		if (!doc)
			fprintf(ctx->out, "switch %s\n  %-5s %-28s %-28s %s\n", sw->name, "VLAN",
				"UNTAGGED", "TAGGED", "ACTIVE UPLINK");
		for (unsigned vid = 1; vid <= VID_MAX; vid++) {
			if (!bitset_test(sw->vids_in_use, vid))
				continue;
			char untagged[256], tagged[256];
			cJSON *o = NULL, *ju = NULL, *jt = NULL;
			if (doc) {
				o = cJSON_CreateObject();
				cJSON_AddStringToObject(o, "switch", sw->name);
				cJSON_AddNumberToObject(o, "vlan", vid);
				ju = cJSON_AddArrayToObject(o, "untagged");
				jt = cJSON_AddArrayToObject(o, "tagged");
			}
			vlan_members(sw, vid, untagged, tagged, sizeof(untagged), ju, jt);
			uint16_t up = sw->active_uplink[vid];
			const char *uplink = up == PORT_INDEX_NONE ? "-" : sw->ports[up]->name;
			if (doc) {
				cJSON_AddStringToObject(o, "active_uplink", uplink);
				cJSON_AddItemToArray(doc, o);
			} else {
				fprintf(ctx->out, "  %-5u %-28s %-28s %s\n", vid,
					untagged[0] ? untagged : "-", tagged[0] ? tagged : "-",
					uplink);
			}
		}
	}
	return doc ? show_emit_json(ctx, doc) : 0;
}

int show_counters(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	if (!ctx->dp)
		return no_datapath(err, n);
	const struct bridge_port *only;
	if (port_arg(ctx, argc, argv, &only, err, n))
		return -ENOENT;
	cJSON *doc = ctx->json ? cJSON_CreateObject() : NULL;
	if (!doc)
		fprintf(ctx->out, "%-16s %14s %16s %14s %16s  %s\n", "PORT", "RX-PACKETS",
			"RX-BYTES", "TX-PACKETS", "TX-BYTES", "DROPS");
	for (size_t s = 0; s < ctx->dp->n_switches; s++) {
		const struct vswitch *sw = ctx->dp->switches[s];
		for (uint16_t i = 0; i < sw->n_ports; i++) {
			const struct bridge_port *p = sw->ports[i];
			if (!p || (only && p != only))
				continue;
			if (doc) {
				cJSON *o = port_json(ctx, p);
				cJSON_AddItemToObject(doc, p->name,
						      cJSON_DetachItemFromObject(o, "counters"));
				cJSON_Delete(o);
				continue;
			}
			struct port_counters counters;
			const struct port_counters *c = &counters;
			bridge_port_counters(p, &counters);
			fprintf(ctx->out, "%-16s %14llu %16llu %14llu %16llu ", p->name,
				(unsigned long long)c->rx_packets, (unsigned long long)c->rx_bytes,
				(unsigned long long)c->tx_packets, (unsigned long long)c->tx_bytes);
			bool any = false;
			for (int r = 1; r < DROP_MAX; r++)
				if (c->drops[r]) {
					fprintf(ctx->out, " %s=%llu",
						drop_reason_name((enum drop_reason)r),
						(unsigned long long)c->drops[r]);
					any = true;
				}
			fprintf(ctx->out, "%s\n", any ? "" : " -");
		}
	}
	return doc ? show_emit_json(ctx, doc) : 0;
}

int show_running_config(struct command_context *ctx, int argc, char **argv, char *err, size_t n)
{
	(void)argc;
	(void)argv;
	(void)err;
	(void)n;
	if (ctx->json) {
		char *text = NULL;
		size_t size = 0;
		FILE *mem = open_memstream(&text, &size);
		if (!mem)
			return -ENOMEM;
		config_print(ctx->cfg, mem);
		fclose(mem);
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "running_config", text);
		free(text);
		return show_emit_json(ctx, doc);
	}
	config_print(ctx->cfg, ctx->out);
	return 0;
}

int show_port_type(struct command_context *ctx, const char *type, int argc, char **argv, char *err,
		   size_t n)
{
	if (!ctx->dp)
		return no_datapath(err, n);
	const struct bridge_port *only;
	if (port_arg(ctx, argc, argv, &only, err, n))
		return -ENOENT;
	cJSON *doc = ctx->json ? cJSON_CreateArray() : NULL;
	unsigned shown = 0;
	for (size_t s = 0; s < ctx->dp->n_switches; s++) {
		const struct vswitch *sw = ctx->dp->switches[s];
		for (uint16_t i = 0; i < sw->n_ports; i++) {
			const struct bridge_port *p = sw->ports[i];
			struct port_status st;
			if (!p || (only && p != only) || strcmp(p->dev->class->type, type) ||
			    !port_status_of(p, &st))
				continue;
			shown++;
			if (doc) {
				cJSON *o = cJSON_CreateObject();
				cJSON_AddStringToObject(o, "name", p->name);
				cJSON_AddStringToObject(o, "switch", sw->name);
				add_status_fields(o, &st);
				cJSON_AddItemToArray(doc, o);
			} else {
				fprintf(ctx->out, "%s %s (switch %s): %s\n", type, p->name,
					sw->name, st.text);
			}
		}
	}
	if (only && !shown) {
		cJSON_Delete(doc);
		snprintf(err, n, "port %s: not a %s", only->name, type);
		return -EINVAL;
	}
	return doc ? show_emit_json(ctx, doc) : 0;
}
