/* metrics.c — see metrics.h. The numbers are copied on the data-plane
 * thread into plain structs (a snapshot: every family of one scrape is of
 * the same instant) and formatted afterwards, so forwarding waits only for
 * the copy. The SEAs are copied as the JSON `sea show` prints, which holds
 * every number they expose. Names follow Prometheus' conventions: a
 * vswitch_ prefix, _total for counters, base units (bytes); every family
 * gets its # HELP and # TYPE, and zero-valued series are written too, so
 * rate() has a start. */
#include "metrics.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine/datapath.h"
#include "ha/lldp.h"
#include "ha/sea.h"
#include "http_server.h"
#include "ipfix.h"
#include "port/bond.h"

#define MAX_MEMBERS 8

struct port_snap {
	char sw[SWITCH_NAME_MAX];
	char name[PORT_NAME_MAX];
	const char *type; /* the port class's static name */
	bool up, uplink, active_uplink;
	uint32_t macs_learned, mac_limit;
	struct port_counters c;
	bool bond;
	uint64_t failovers;
	int n_members;
	struct {
		char ifname[PORT_IFNAME_MAX];
		bool up, active;
	} members[MAX_MEMBERS];
};

struct switch_snap {
	char name[SWITCH_NAME_MAX];
	uint32_t fdb_entries, fdb_capacity;
	uint64_t fdb_full;
	unsigned ports, vlans;
	bool snooping;
	uint32_t mcast_groups;
	uint32_t *vlan_groups; /* [VLAN_COUNT] groups per VLAN, when snooping */
	struct mcast_counters mcast;
};

/* An IPFIX exporter (a config entry with its switch's live cache). */
struct ipfix_snap {
	char name[IPFIX_NAME_MAX];
	char sw[SWITCH_NAME_MAX];
	uint32_t flows;
	uint64_t refused, dropped;
	struct ipfix_export_stats export;
};

struct snapshot {
	struct sea_set *seas;
	const struct config *running; /* the exporters' names; NULL: none */
	struct switch_snap *sws;
	size_t n_sws;
	struct port_snap *ports;
	size_t n_ports;
	cJSON *sea_json;  /* array of sea_to_json() */
	cJSON *lldp_json; /* lldp show's array, every port that runs LLDP */
	struct ipfix_snap *ipfix;
	size_t n_ipfix;
	bool oom;
};

/* ---- the copy, on the data-plane thread ------------------------------------ */

static void snap_port(const struct bridge_port *p, struct port_snap *s)
{
	const struct vswitch *sw = p->sw;
	memset(s, 0, sizeof(*s));
	snprintf(s->sw, sizeof(s->sw), "%s", sw->name);
	snprintf(s->name, sizeof(s->name), "%s", p->name);
	s->type = p->dev->class->type;
	s->up = p->up;
	s->uplink = p->config.uplink;
	s->active_uplink = p->config.uplink && sw->active_uplink[p->config.pvid] == p->index;
	s->macs_learned = sw->fdb->port_dynamic[p->index];
	s->mac_limit = p->config.mac_limit;
	bridge_port_counters(p, &s->c);
	const char *active = bond_active_member(p->dev);
	bool up;
	for (int i = 0; i < MAX_MEMBERS; i++) {
		const char *ifname = bond_member(p->dev, i, &up);
		if (!ifname)
			break;
		s->bond = true;
		snprintf(s->members[i].ifname, sizeof(s->members[i].ifname), "%s", ifname);
		s->members[i].up = up;
		s->members[i].active = active && !strcmp(active, ifname);
		s->n_members = i + 1;
	}
	s->failovers = bond_failovers(p->dev);
}

static void count_vlan_group(const struct mcast_group *g, const struct mcast_member *first,
			     const struct mcast_table *t, void *arg)
{
	(void)first;
	(void)t;
	uint32_t *per_vlan = arg;
	per_vlan[g->vid % VLAN_COUNT]++;
}

/* Snooping's groups (per VLAN too) and counters; false if out of memory. */
static bool snap_mcast(const struct vswitch *sw, struct switch_snap *s)
{
	if (!sw->mcast)
		return true;
	s->snooping = true;
	s->mcast_groups = sw->mcast->table->n_groups;
	s->mcast = sw->mcast->counters;
	s->vlan_groups = calloc(VLAN_COUNT, sizeof(*s->vlan_groups));
	if (!s->vlan_groups)
		return false;
	mcast_table_foreach(sw->mcast->table, count_vlan_group, s->vlan_groups);
	return true;
}

static void snap_ipfix(struct datapath *dp, struct snapshot *snap)
{
	for (size_t i = 0; snap->running && i < snap->running->n_ipfix; i++) {
		const struct ipfix_config *x = &snap->running->ipfix[i];
		const struct vswitch *sw = datapath_find_switch(dp, x->sw);
		if (!sw || !sw->ipfix)
			continue;
		struct ipfix_snap *s = &snap->ipfix[snap->n_ipfix++];
		snprintf(s->name, sizeof(s->name), "%s", x->name);
		snprintf(s->sw, sizeof(s->sw), "%s", x->sw);
		s->flows = ipfix_cache_flows(sw->ipfix);
		/* written by the poll threads atomically (ipfix_cache.c) */
		s->refused = __atomic_load_n(&sw->ipfix->stats.refused, __ATOMIC_RELAXED);
		s->dropped = __atomic_load_n(&sw->ipfix->stats.ring_full, __ATOMIC_RELAXED);
		ipfix_exporter_stats(sw->ipfix, &s->export);
	}
}

static void snap_switch(const struct vswitch *sw, struct switch_snap *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", sw->name);
	s->fdb_entries = sw->fdb->count;
	s->fdb_capacity = sw->fdb->capacity;
	s->fdb_full = sw->fdb_full;
	for (uint16_t i = 0; i < sw->n_ports; i++)
		s->ports += sw->ports[i] != NULL;
	for (unsigned vid = 1; vid <= VID_MAX; vid++)
		s->vlans += bitset_test(sw->vids_in_use, vid);
}

static void take_snapshot(struct datapath *dp, void *arg)
{
	struct snapshot *snap = arg;
	size_t n_ports = 0;
	for (size_t s = 0; s < dp->n_switches; s++)
		n_ports += dp->switches[s]->n_ports;
	snap->sws = calloc(dp->n_switches + 1, sizeof(*snap->sws));
	snap->ports = calloc(n_ports + 1, sizeof(*snap->ports));
	snap->sea_json = cJSON_CreateArray();
	snap->lldp_json = cJSON_CreateArray();
	size_t n_ipfix = snap->running ? snap->running->n_ipfix : 0;
	snap->ipfix = calloc(n_ipfix + 1, sizeof(*snap->ipfix));
	if (!snap->sws || !snap->ports || !snap->sea_json || !snap->lldp_json || !snap->ipfix) {
		snap->oom = true;
		return;
	}
	for (size_t s = 0; s < dp->n_switches; s++) {
		const struct vswitch *sw = dp->switches[s];
		snap_switch(sw, &snap->sws[snap->n_sws]);
		if (!snap_mcast(sw, &snap->sws[snap->n_sws++]))
			snap->oom = true;
		for (uint16_t i = 0; i < sw->n_ports; i++)
			if (sw->ports[i])
				snap_port(sw->ports[i], &snap->ports[snap->n_ports++]);
	}
	for (size_t i = 0; snap->seas && i < snap->seas->n; i++)
		cJSON_AddItemToArray(snap->sea_json, sea_to_json(snap->seas->seas[i]));
	lldp_show(dp, NULL, NULL, snap->lldp_json);
	snap_ipfix(dp, snap);
}

static void snapshot_free(struct snapshot *snap)
{
	for (size_t i = 0; snap->sws && i < snap->n_sws; i++)
		free(snap->sws[i].vlan_groups);
	free(snap->sws);
	free(snap->ipfix);
	cJSON_Delete(snap->lldp_json);
	free(snap->ports);
	cJSON_Delete(snap->sea_json);
}

/* ---- the text, on the control thread ----------------------------------------- */

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value as the format wants it: \\, \" and \n escaped. */
static void label_value(FILE *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', out);
		if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
}

/* One sample: name{k1="v1",...} value; labels is a NULL-ended list of
 * key, value pairs. */
static void sample(FILE *out, const char *name, const char *const *labels, uint64_t value)
{
	fputs(name, out);
	for (int i = 0; labels[i]; i += 2) {
		fprintf(out, "%s%s=\"", i ? "," : "{", labels[i]);
		label_value(out, labels[i + 1]);
		fputc('"', out);
	}
	fprintf(out, "%s %llu\n", labels[0] ? "}" : "", (unsigned long long)value);
}

static void write_switches(const struct snapshot *snap, FILE *out)
{
	static const struct {
		const char *name, *type, *help;
		size_t offset;
		bool wide; /* uint64_t, else unsigned */
	} families[] = {
	    {"vswitch_fdb_entries", "gauge", "MAC table entries (learned and static).",
	     offsetof(struct switch_snap, fdb_entries), false},
	    {"vswitch_fdb_capacity", "gauge", "MAC table size (switch add fdb-capacity).",
	     offsetof(struct switch_snap, fdb_capacity), false},
	    {"vswitch_fdb_full_total", "counter",
	     "Times learning found the MAC table full (a new MAC not learned).",
	     offsetof(struct switch_snap, fdb_full), true},
	    {"vswitch_switch_ports", "gauge", "Ports on the switch.",
	     offsetof(struct switch_snap, ports), false},
	    {"vswitch_switch_vlans", "gauge", "VLANs some port of the switch is a member of.",
	     offsetof(struct switch_snap, vlans), false},
	};
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		family(out, families[f].name, families[f].type, families[f].help);
		for (size_t i = 0; i < snap->n_sws; i++) {
			const char *at = (const char *)&snap->sws[i] + families[f].offset;
			uint64_t v = families[f].wide ? *(const uint64_t *)(const void *)at
						      : *(const unsigned *)(const void *)at;
			const char *labels[] = {"switch", snap->sws[i].name, NULL};
			sample(out, families[f].name, labels, v);
		}
	}
}

static void write_port_counters(const struct snapshot *snap, FILE *out)
{
	static const struct {
		const char *name, *help;
		size_t offset;
	} families[] = {
	    {"vswitch_port_rx_packets_total", "Frames received on the port.",
	     offsetof(struct port_counters, rx_packets)},
	    {"vswitch_port_rx_bytes_total", "Bytes received on the port (Ethernet frames).",
	     offsetof(struct port_counters, rx_bytes)},
	    {"vswitch_port_tx_packets_total", "Frames sent on the port.",
	     offsetof(struct port_counters, tx_packets)},
	    {"vswitch_port_tx_bytes_total", "Bytes sent on the port (Ethernet frames).",
	     offsetof(struct port_counters, tx_bytes)},
	    {"vswitch_port_mac_moves_total", "Learned MACs that moved to this port.",
	     offsetof(struct port_counters, mac_moves)},
	    {"vswitch_port_consumed_total",
	     "Frames taken by a protocol of the switch (SEA heartbeats).",
	     offsetof(struct port_counters, consumed)},
	};
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		family(out, families[f].name, "counter", families[f].help);
		for (size_t i = 0; i < snap->n_ports; i++) {
			const struct port_snap *p = &snap->ports[i];
			const uint64_t *v = (const uint64_t *)(const void *)((const char *)&p->c +
									     families[f].offset);
			const char *labels[] = {"switch", p->sw, "port", p->name, NULL};
			sample(out, families[f].name, labels, *v);
		}
	}
	family(out, "vswitch_port_drops_total", "counter",
	       "Frames dropped, by reason (docs/metrics.md, vswitchctl counters).");
	for (size_t i = 0; i < snap->n_ports; i++) {
		const struct port_snap *p = &snap->ports[i];
		for (int r = 1; r < DROP_MAX; r++) {
			const char *labels[] = {"switch", p->sw,
						"port",	  p->name,
						"reason", drop_reason_name((enum drop_reason)r),
						NULL};
			sample(out, "vswitch_port_drops_total", labels, p->c.drops[r]);
		}
	}
}

static void write_port_gauges(const struct snapshot *snap, FILE *out)
{
	family(out, "vswitch_port_info", "gauge",
	       "Always 1: the port's type and whether it is an uplink, as labels.");
	for (size_t i = 0; i < snap->n_ports; i++) {
		const struct port_snap *p = &snap->ports[i];
		const char *labels[] = {"switch", p->sw,   "port",   p->name,
					"type",	  p->type, "uplink", p->uplink ? "true" : "false",
					NULL};
		sample(out, "vswitch_port_info", labels, 1);
	}
	static const char *const names[] = {"vswitch_port_link_up", "vswitch_port_macs_learned",
					    "vswitch_port_mac_limit", "vswitch_port_uplink_active"};
	static const char *const helps[] = {
	    "1 if the port's link (carrier) is up.", "MACs learned on the port.",
	    "The port's MAC limit, 0 for none.",
	    "1 if the uplink is the active one for its PVID (uplinks only)."};
	for (int f = 0; f < 4; f++) {
		family(out, names[f], "gauge", helps[f]);
		for (size_t i = 0; i < snap->n_ports; i++) {
			const struct port_snap *p = &snap->ports[i];
			uint64_t v[] = {p->up, p->macs_learned, p->mac_limit, p->active_uplink};
			const char *labels[] = {"switch", p->sw, "port", p->name, NULL};
			if (f < 3 || p->uplink)
				sample(out, names[f], labels, v[f]);
		}
	}
}

static void write_bonds(const struct snapshot *snap, FILE *out)
{
	family(out, "vswitch_bond_failovers_total", "counter",
	       "Times the bond's active member (balance-slb: its set of live members) changed.");
	for (size_t i = 0; i < snap->n_ports; i++) {
		const struct port_snap *p = &snap->ports[i];
		const char *labels[] = {"switch", p->sw, "port", p->name, NULL};
		if (p->bond)
			sample(out, "vswitch_bond_failovers_total", labels, p->failovers);
	}
	static const char *const names[] = {"vswitch_bond_member_up", "vswitch_bond_member_active"};
	static const char *const helps[] = {
	    "1 if the bond member's link is up (as of the bond's last check).",
	    "1 for the member carrying the traffic (balance-slb: the designated member)."};
	for (int f = 0; f < 2; f++) {
		family(out, names[f], "gauge", helps[f]);
		for (size_t i = 0; i < snap->n_ports; i++) {
			const struct port_snap *p = &snap->ports[i];
			for (int m = 0; m < p->n_members; m++) {
				const char *labels[] = {"switch", p->sw,    "port",
							p->name,  "member", p->members[m].ifname,
							NULL};
				sample(out, names[f], labels,
				       f ? p->members[m].active : p->members[m].up);
			}
		}
	}
}

static const char *json_text(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static uint64_t json_number(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	return cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
}

/* A state as a labelled gauge: one series per possible value, 1 for the
 * current one (Prometheus' "state set"), so a graph and an alert need no
 * string matching. */
static void write_sea_state(const cJSON *seas, FILE *out, const char *name, const char *help,
			    const char *key, const char *const *values)
{
	family(out, name, "gauge", help);
	const cJSON *s;
	cJSON_ArrayForEach(s, seas)
	{
		for (int v = 0; values[v]; v++) {
			const char *labels[] = {"sea",	  json_text(s, "name"),
						"switch", json_text(s, "switch"),
						key,	  values[v],
						NULL};
			sample(out, name, labels, !strcmp(json_text(s, key), values[v]));
		}
	}
}

static void write_seas(const cJSON *seas, FILE *out)
{
	static const char *const roles[] = {"standby", "active", "sharing", NULL};
	static const char *const health[] = {"down", "degraded", "ok", NULL};
	write_sea_state(seas, out, "vswitch_sea_role", "1 for the SEA's current role.", "role",
			roles);
	write_sea_state(seas, out, "vswitch_sea_health",
			"1 for the SEA's current health (down, degraded: netaddr does not "
			"answer, ok).",
			"health", health);
	static const struct {
		const char *name, *type, *help, *key;
	} families[] = {
	    {"vswitch_sea_transitions_total", "counter", "Role changes of the SEA.", "transitions"},
	    {"vswitch_sea_heartbeats_sent_total", "counter", "Heartbeats the SEA sent.",
	     "heartbeats_sent"},
	    {"vswitch_sea_heartbeats_received_total", "counter",
	     "Heartbeats the SEA received from its peer.", "heartbeats_received"},
	    {"vswitch_sea_real_link_up", "gauge", "1 if the SEA's real adapter has link.",
	     "real_link"},
	    {"vswitch_sea_priority", "gauge", "The SEA's priority (lower wins).", "priority"},
	};
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		family(out, families[f].name, families[f].type, families[f].help);
		const cJSON *s;
		cJSON_ArrayForEach(s, seas)
		{
			const char *labels[] = {"sea", json_text(s, "name"), "switch",
						json_text(s, "switch"), NULL};
			sample(out, families[f].name, labels, json_number(s, families[f].key));
		}
	}
	family(out, "vswitch_sea_peer_alive", "gauge",
	       "1 if the SEA heard its peer within the dead interval.");
	const cJSON *s;
	cJSON_ArrayForEach(s, seas)
	{
		const char *labels[] = {"sea", json_text(s, "name"), "switch",
					json_text(s, "switch"), NULL};
		const cJSON *peer = cJSON_GetObjectItemCaseSensitive(s, "peer");
		sample(out, "vswitch_sea_peer_alive", labels,
		       peer ? json_number(peer, "alive") : 0);
	}
}

/* LLDP per port that runs it, from lldp show's JSON. */
static void write_lldp(const cJSON *ports, FILE *out)
{
	static const struct {
		const char *name, *type, *help, *key;
	} families[] = {
	    {"vswitch_lldp_neighbors", "gauge", "LLDP neighbours the port knows now.", NULL},
	    {"vswitch_lldp_frames_tx_total", "counter", "LLDP frames the port sent.", "tx"},
	    {"vswitch_lldp_frames_rx_total", "counter", "LLDP frames the port received.", "rx"},
	    {"vswitch_lldp_frames_discarded_total", "counter",
	     "LLDP frames received malformed and discarded.", "discarded"},
	    {"vswitch_lldp_neighbors_aged_out_total", "counter",
	     "LLDP neighbours removed because their TTL expired.", "aged_out"},
	    {"vswitch_lldp_neighbors_refused_total", "counter",
	     "New LLDP neighbours refused: the port had its maximum (tooManyNeighbors).",
	     "too_many_neighbors"},
	};
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		family(out, families[f].name, families[f].type, families[f].help);
		const cJSON *p;
		cJSON_ArrayForEach(p, ports)
		{
			const char *labels[] = {"switch", json_text(p, "switch"), "port",
						json_text(p, "port"), NULL};
			const cJSON *c = cJSON_GetObjectItemCaseSensitive(p, "counters");
			uint64_t v = families[f].key
					 ? json_number(c, families[f].key)
					 : (uint64_t)cJSON_GetArraySize(
					       cJSON_GetObjectItemCaseSensitive(p, "neighbors"));
			sample(out, families[f].name, labels, v);
		}
	}
}

/* IGMP/MLD snooping, per switch that has it on. */
static void write_mcast(const struct snapshot *snap, FILE *out)
{
	family(out, "vswitch_mcast_groups", "gauge", "Multicast groups snooped on the switch.");
	for (size_t i = 0; i < snap->n_sws; i++) {
		const char *labels[] = {"switch", snap->sws[i].name, NULL};
		if (snap->sws[i].snooping)
			sample(out, "vswitch_mcast_groups", labels, snap->sws[i].mcast_groups);
	}
	family(out, "vswitch_mcast_vlan_groups", "gauge",
	       "Multicast groups snooped on a VLAN (VLANs with groups only).");
	for (size_t i = 0; i < snap->n_sws; i++) {
		for (unsigned vid = 0; snap->sws[i].vlan_groups && vid < VLAN_COUNT; vid++) {
			char vlan[8];
			snprintf(vlan, sizeof(vlan), "%u", vid);
			const char *labels[] = {"switch", snap->sws[i].name, "vlan", vlan, NULL};
			if (snap->sws[i].vlan_groups[vid])
				sample(out, "vswitch_mcast_vlan_groups", labels,
				       snap->sws[i].vlan_groups[vid]);
		}
	}
	static const struct {
		const char *name, *help;
		size_t offset;
	} families[] = {
	    {"vswitch_mcast_reports_received_total", "IGMP/MLD membership reports received.",
	     offsetof(struct mcast_counters, reports)},
	    {"vswitch_mcast_leaves_received_total", "IGMP/MLD leaves (done) received.",
	     offsetof(struct mcast_counters, leaves)},
	    {"vswitch_mcast_queries_received_total", "IGMP/MLD queries received.",
	     offsetof(struct mcast_counters, queries)},
	    {"vswitch_mcast_malformed_total", "IGMP/MLD messages too malformed to use.",
	     offsetof(struct mcast_counters, malformed)},
	};
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		family(out, families[f].name, "counter", families[f].help);
		for (size_t i = 0; i < snap->n_sws; i++) {
			const char *labels[] = {"switch", snap->sws[i].name, NULL};
			const uint64_t *v =
			    (const uint64_t *)(const void *)((const char *)&snap->sws[i].mcast +
							     families[f].offset);
			if (snap->sws[i].snooping)
				sample(out, families[f].name, labels, *v);
		}
	}
	family(out, "vswitch_mcast_refused_joins_total", "counter",
	       "Joins refused, by the limit reached: switch-limit (mcast-max-groups) or "
	       "port-limit (mcast-max-port-groups).");
	for (size_t i = 0; i < snap->n_sws; i++) {
		const struct switch_snap *s = &snap->sws[i];
		const char *sw_labels[] = {"switch", s->name, "reason", "switch-limit", NULL};
		const char *port_labels[] = {"switch", s->name, "reason", "port-limit", NULL};
		if (!s->snooping)
			continue;
		sample(out, "vswitch_mcast_refused_joins_total", sw_labels,
		       s->mcast.refused_switch);
		sample(out, "vswitch_mcast_refused_joins_total", port_labels,
		       s->mcast.refused_port);
	}
}

/* IPFIX, per exporter. */
static void write_ipfix(const struct snapshot *snap, FILE *out)
{
	static const struct {
		const char *name, *type, *help;
	} families[] = {
	    {"vswitch_ipfix_flows", "gauge", "Flows in the exporter's cache now."},
	    {"vswitch_ipfix_records_sent_total", "counter",
	     "IPFIX data records sent (options records included)."},
	    {"vswitch_ipfix_messages_sent_total", "counter", "IPFIX messages sent."},
	    {"vswitch_ipfix_flows_refused_total", "counter",
	     "New flows refused: the cache was full (max-flows)."},
	    {"vswitch_ipfix_records_dropped_total", "counter",
	     "Ended flows lost: the export ring was full."},
	    {"vswitch_ipfix_send_errors_total", "counter",
	     "IPFIX messages the kernel refused to send (lost)."},
	};
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		family(out, families[f].name, families[f].type, families[f].help);
		for (size_t i = 0; i < snap->n_ipfix; i++) {
			const struct ipfix_snap *x = &snap->ipfix[i];
			uint64_t v[] = {x->flows,   x->export.records, x->export.messages,
					x->refused, x->dropped,	       x->export.send_errors};
			const char *labels[] = {"exporter", x->name, "switch", x->sw, NULL};
			sample(out, families[f].name, labels, v[f]);
		}
	}
}

/* The listener's own counters: refusals an operator may want to see. */
static void write_http(FILE *out)
{
	const struct http_stats *s = http_listener_stats();
	family(out, "vswitch_http_responses_total", "counter",
	       "Answers of the HTTP listener by status code (refusals included; code "
	       "\"other\" for the rest).");
	for (int i = 0; i < HTTP_STATS_CODES; i++) {
		char code[16] = "other";
		if (http_stats_codes[i])
			snprintf(code, sizeof(code), "%d", http_stats_codes[i]);
		const char *labels[] = {"code", code, NULL};
		sample(out, "vswitch_http_responses_total", labels, s->answers[i]);
	}
	const char *none[] = {NULL};
	family(out, "vswitch_http_connections_total", "counter",
	       "Connections the HTTP listener accepted.");
	sample(out, "vswitch_http_connections_total", none, s->connections);
	family(out, "vswitch_http_stalled_total", "counter",
	       "HTTP connections closed for not reading their reply in time.");
	sample(out, "vswitch_http_stalled_total", none, s->stalled);
}

static void write_snapshot(const struct snapshot *snap, FILE *out)
{
	family(out, "vswitch_build_info", "gauge", "Always 1: the vswitchd version as a label.");
	const char *labels[] = {"version", VSWITCH_VERSION, NULL};
	sample(out, "vswitch_build_info", labels, 1);
	write_switches(snap, out);
	write_port_counters(snap, out);
	write_port_gauges(snap, out);
	write_bonds(snap, out);
	write_seas(snap->sea_json, out);
	write_lldp(snap->lldp_json, out);
	write_mcast(snap, out);
	write_ipfix(snap, out);
	write_http(out);
}

void metrics_write(struct datapath *dp, struct sea_set *seas, const struct config *running,
		   FILE *out)
{
	struct snapshot snap = {.seas = seas, .running = running};
	take_snapshot(dp, &snap);
	if (!snap.oom)
		write_snapshot(&snap, out);
	snapshot_free(&snap);
}

void metrics_serve(struct control_state *state, const struct http_request *req,
		   struct http_response *resp)
{
	(void)req;
	struct snapshot snap = {.seas = state->seas, .running = state->running};
	control_datapath_call(state, take_snapshot, &snap);
	char *text = NULL;
	size_t len = 0;
	FILE *out = snap.oom ? NULL : open_memstream(&text, &len);
	if (out) {
		write_snapshot(&snap, out);
		fclose(out);
	}
	snapshot_free(&snap);
	resp->status = text ? 200 : 500;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	resp->body = text;
	resp->body_len = text ? len : 0;
}
