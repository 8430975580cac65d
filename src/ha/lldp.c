/* lldp.c — the LLDP agent (lldp.h): per port that runs LLDP, the neighbours
 * heard and the transmit timer.
 *
 * - Receive: the switch hands over frames of EtherType 0x88cc sent to a
 *   link-local address (01:80:c2:00:00:0e and its kin, never relayed by a
 *   bridge), inside the pipeline on the port's poll thread. A port without
 *   rx leaves them to be dropped as link-local, as before. Each port's
 *   state is written by its own poll thread there, and by thread 0 in
 *   lldp_run() and lldp_show() only while the others are paused.
 * - Neighbours are keyed by chassis and port ID (the MSAP); at most
 *   LLDP_NEIGHBORS_MAX per port, a new one beyond that is refused and
 *   counted (802.1AB tooManyNeighbors). TTL 0 removes the neighbour at once
 *   (shutdown), an expired TTL ages it out, both counted.
 * - Transmit: every msgTxInterval (30 s), and LLDP_TX_FAST_INIT frames a
 *   second apart when the link comes up or the settings change; TTL 0 when
 *   a port stops sending. Straight out of the port, untagged, past the
 *   forwarding queues. */
#include "lldp.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/frame.h"
#include "lib/log.h"

#define LLDP_FRAME_MAX 1500
#define FAST_TX_MS     1000

static const uint8_t lldp_dst[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e};

struct lldp_neighbor {
	struct lldp_info info;
	uint8_t src[6];
	uint64_t expires_ms;
};

struct lldp_counters {
	uint64_t tx, tx_failed, rx, discarded, unrecognised_tlvs, tlvs_discarded;
	uint64_t aged_out, shutdown, inserted, too_many;
	uint64_t errors[LLDP_ERR_MAX];
};

struct lldp_port {
	char sw[SWITCH_NAME_MAX], name[PORT_NAME_MAX];
	struct bridge_port *bp; /* refreshed by every sync */
	enum lldp_mode mode;
	bool up, seen;
	uint64_t next_tx_ms;
	unsigned fast_left;
	unsigned n_nbr;
	struct lldp_neighbor nbr[LLDP_NEIGHBORS_MAX];
	struct lldp_counters c;
};

static struct {
	struct lldp_settings cfg;
	bool have_host;
	uint8_t host_mac[6];
	char hostname[LLDP_SYSTEM_NAME_MAX];
	struct lldp_port **ports;
	size_t n, cap;
	bool resend; /* settings changed: fast start everywhere */
} agent;

static uint64_t now_ms(void)
{
	return time_now_ns() / 1000000;
}

/* ---- who we are ------------------------------------------------------------ */

/* The lowest MAC of the host's interfaces other than loopback: stable across
 * restarts, the same for every port, as a chassis ID should be. */
static void read_host(void)
{
	if (agent.have_host)
		return;
	agent.have_host = true;
	if (gethostname(agent.hostname, sizeof(agent.hostname) - 1) < 0)
		strcpy(agent.hostname, "vswitch");
	uint64_t best = UINT64_MAX;
	DIR *d = opendir("/sys/class/net");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char path[300], text[32];
		unsigned m[6];
		snprintf(path, sizeof(path), "/sys/class/net/%s/address", e->d_name);
		FILE *f = e->d_name[0] != '.' && strcmp(e->d_name, "lo") ? fopen(path, "r") : NULL;
		if (!f)
			continue;
		bool ok =
		    fgets(text, sizeof(text), f) && sscanf(text, "%x:%x:%x:%x:%x:%x", &m[0], &m[1],
							   &m[2], &m[3], &m[4], &m[5]) == 6;
		fclose(f);
		uint8_t mac[6];
		for (int i = 0; i < 6; i++)
			mac[i] = (uint8_t)m[i];
		uint64_t v = ok ? mac_to_u64(mac) : 0;
		if (v && !mac_is_group(mac) && v < best)
			best = v;
	}
	if (d)
		closedir(d);
	if (best == UINT64_MAX)
		best = 0x020000000001ull; /* locally administered, for a host without NICs */
	mac_from_u64(best, agent.host_mac);
}

static const uint8_t *chassis_mac(void)
{
	return agent.cfg.has_chassis_mac ? agent.cfg.chassis_mac : agent.host_mac;
}

static void set_text(struct lldp_text *t, const char *s)
{
	size_t len = strlen(s);
	t->len = (uint8_t)(len > LLDP_TEXT_MAX ? LLDP_TEXT_MAX : len);
	memcpy(t->data, s, t->len);
}

static unsigned tx_interval(void)
{
	return agent.cfg.tx_interval ? agent.cfg.tx_interval : LLDP_DEFAULT_TX_INTERVAL;
}

/* What `port` says: chassis, port name, TTL, descriptions, bridge, the
 * management addresses, its PVID and the VLANs it carries. */
static void describe(const struct bridge_port *port, uint16_t ttl, struct lldp_info *info)
{
	read_host();
	memset(info, 0, sizeof(*info));
	info->chassis.subtype = LLDP_CHASSIS_MAC;
	info->chassis.len = 6;
	memcpy(info->chassis.data, chassis_mac(), 6);
	info->port.subtype = LLDP_PORT_IFNAME;
	info->port.len = (uint8_t)strlen(port->name);
	memcpy(info->port.data, port->name, info->port.len);
	info->ttl = ttl;
	char text[LLDP_TEXT_MAX + 1];
	snprintf(text, sizeof(text), "vswitch %s port %s", port->sw->name, port->name);
	set_text(&info->port_desc, text);
	set_text(&info->sys_name,
		 agent.cfg.system_name[0] ? agent.cfg.system_name : agent.hostname);
	set_text(&info->sys_desc, "vswitch: user-space virtual Ethernet switch");
	info->has_caps = true;
	info->caps = info->caps_enabled = LLDP_CAP_BRIDGE;
	info->n_mgmt = agent.cfg.n_mgmt;
	memcpy(info->mgmt, agent.cfg.mgmt, sizeof(info->mgmt));
	info->pvid = port->config.pvid;
	for (unsigned v = 1; v <= VID_MAX && info->n_vlans < LLDP_VLANS_MAX; v++) {
		if (!bitset_test(port->vlans, v))
			continue;
		struct lldp_vlan *vl = &info->vlans[info->n_vlans++];
		vl->vid = (uint16_t)v;
		vl->name_len = (uint8_t)snprintf(vl->name, sizeof(vl->name), "vlan%u", v);
	}
}

int lldp_build_frame(const struct bridge_port *port, uint16_t ttl, uint8_t *buf, size_t size)
{
	static struct lldp_info info; /* 2 KiB: not on the stack of the loop */
	if (size < 60)
		return -1;
	describe(port, ttl, &info);
	memcpy(buf, lldp_dst, 6);
	memcpy(buf + 6, chassis_mac(), 6);
	store_be16(buf + 12, LLDP_ETH_TYPE);
	int n = lldp_encode(&info, buf + 14, size - 14);
	if (n < 0)
		return -1;
	n += 14;
	if (n < 60) {
		memset(buf + n, 0, 60 - (size_t)n);
		n = 60;
	}
	return n;
}

static void transmit(struct lldp_port *lp, uint16_t ttl)
{
	struct bridge_port *bp = lp->bp;
	struct packet *p = packet_alloc(packet_pool_here(bp->sw->pool));
	if (!p) {
		lp->c.tx_failed++;
		return;
	}
	int n = lldp_build_frame(bp, ttl, p->data, LLDP_FRAME_MAX);
	if (n < 0) {
		packet_free(p);
		lp->c.tx_failed++;
		return;
	}
	p->len = (uint16_t)n;
	p->flags = 0;
	p->vid = 0;
	struct packet_batch batch = {.count = 1, .packets = {p}};
	bool threads = bp->sw->n_threads > 1;
	if (threads)
		spin_lock(&bp->tx_lock);
	egress_transmit(bp, &batch);
	if (threads)
		spin_unlock(&bp->tx_lock);
	lp->c.tx++;
}

/* ---- receive ---------------------------------------------------------------- */

static struct lldp_port *find(const char *sw, const char *name)
{
	for (size_t i = 0; i < agent.n; i++)
		if (!strcmp(agent.ports[i]->name, name) && !strcmp(agent.ports[i]->sw, sw))
			return agent.ports[i];
	return NULL;
}

static bool same_msap(const struct lldp_info *a, const struct lldp_info *b)
{
	return a->chassis.subtype == b->chassis.subtype && a->chassis.len == b->chassis.len &&
	       !memcmp(a->chassis.data, b->chassis.data, a->chassis.len) &&
	       a->port.subtype == b->port.subtype && a->port.len == b->port.len &&
	       !memcmp(a->port.data, b->port.data, a->port.len);
}

static void remove_neighbor(struct lldp_port *lp, unsigned i)
{
	lp->nbr[i] = lp->nbr[--lp->n_nbr];
}

/* A decoded LLDPDU from `src`: update, insert, or remove on TTL 0. */
static void record(struct lldp_port *lp, const struct lldp_info *info, const uint8_t *src)
{
	lp->c.rx++;
	lp->c.unrecognised_tlvs += info->unrecognised;
	lp->c.tlvs_discarded += info->discarded;
	unsigned i = 0;
	while (i < lp->n_nbr && !same_msap(&lp->nbr[i].info, info))
		i++;
	if (info->ttl == 0) {
		if (i < lp->n_nbr) {
			remove_neighbor(lp, i);
			lp->c.shutdown++;
		}
		return;
	}
	if (i == lp->n_nbr) {
		if (lp->n_nbr == LLDP_NEIGHBORS_MAX) {
			lp->c.too_many++;
			return;
		}
		lp->n_nbr++;
		lp->c.inserted++;
	}
	struct lldp_neighbor *n = &lp->nbr[i];
	n->info = *info;
	memcpy(n->src, src, 6);
	n->expires_ms = now_ms() + (uint64_t)info->ttl * 1000;
}

/* The switch's link handler: in the pipeline, on the port's poll thread. */
static bool receive(void *ctx, struct bridge_port *in, struct packet *p)
{
	(void)ctx;
	if (!lldp_mode_rx(lldp_mode_effective(&in->config.lldp, in->config.uplink)))
		return false;
	struct lldp_port *lp = find(in->sw->name, in->name);
	if (!lp)
		return false; /* rx just turned on: the next sync adds the port */
	uint32_t off = load_be16(p->data + 12) == ETH_TYPE_VLAN ? 18 : 14;
	static __thread struct lldp_info info;
	enum lldp_error error =
	    p->len >= off ? lldp_decode(p->data + off, p->len - off, &info) : LLDP_ERR_TRUNCATED;
	if (error == LLDP_OK) {
		record(lp, &info, p->data + 6);
	} else {
		lp->c.discarded++;
		lp->c.errors[error]++;
	}
	packet_free(p);
	return true;
}

/* ---- the ports that run LLDP ------------------------------------------------- */

static void free_port(size_t i)
{
	free(agent.ports[i]);
	agent.ports[i] = agent.ports[--agent.n];
}

static struct lldp_port *add_port(struct bridge_port *bp)
{
	if (agent.n == agent.cap) {
		size_t cap = agent.cap ? agent.cap * 2 : 8;
		struct lldp_port **ports = realloc(agent.ports, cap * sizeof(*ports));
		if (!ports)
			return NULL;
		agent.ports = ports;
		agent.cap = cap;
	}
	struct lldp_port *lp = calloc(1, sizeof(*lp));
	if (!lp)
		return NULL;
	copy_name(lp->sw, sizeof(lp->sw), bp->sw->name);
	copy_name(lp->name, sizeof(lp->name), bp->name);
	lp->mode = LLDP_MODE_OFF;
	agent.ports[agent.n++] = lp;
	return lp;
}

/* A port's mode or link changed: a sender starts fast, a port that stops
 * sending says so (TTL 0). */
static void update_port(struct lldp_port *lp, struct bridge_port *bp, enum lldp_mode mode)
{
	bool was_tx = lldp_mode_tx(lp->mode) && lp->up;
	lp->bp = bp;
	bool up = bp->up;
	if (was_tx && (!lldp_mode_tx(mode) || mode == LLDP_MODE_OFF) && up)
		transmit(lp, 0);
	bool start = lldp_mode_tx(mode) && up && (!was_tx || agent.resend);
	lp->mode = mode;
	lp->up = up;
	if (start) {
		lp->fast_left = LLDP_TX_FAST_INIT;
		lp->next_tx_ms = 0;
	}
}

/* Makes the agent's ports those of the datapath that run LLDP, and hooks
 * the switches that have a port listening. */
static void sync_ports(struct datapath *dp)
{
	for (size_t i = 0; i < agent.n; i++)
		agent.ports[i]->seen = false;
	for (size_t s = 0; s < dp->n_switches; s++) {
		struct vswitch *sw = dp->switches[s];
		bool listen = false;
		for (uint16_t i = 0; i < sw->n_ports; i++) {
			struct bridge_port *bp = sw->ports[i];
			enum lldp_mode mode =
			    bp ? lldp_mode_effective(&bp->config.lldp, bp->config.uplink)
			       : LLDP_MODE_OFF;
			if (mode == LLDP_MODE_OFF)
				continue;
			struct lldp_port *lp = find(sw->name, bp->name);
			if (!lp && !(lp = add_port(bp))) {
				log_error("lldp: out of memory for port %s", bp->name);
				continue;
			}
			lp->seen = true;
			update_port(lp, bp, mode);
			listen |= lldp_mode_rx(mode);
		}
		const struct switch_link_handler *h = switch_link_handler(sw, LLDP_ETH_TYPE);
		if (listen && !h)
			switch_add_link_handler(sw, LLDP_ETH_TYPE, receive, &agent);
		else if (!listen && h && h->ctx == &agent)
			switch_del_link_handler(sw, LLDP_ETH_TYPE, &agent);
	}
	for (size_t i = agent.n; i-- > 0;) {
		struct lldp_port *lp = agent.ports[i];
		if (lp->seen)
			continue;
		/* Turned off on a port that still exists: tell the neighbour. */
		struct vswitch *sw = datapath_find_switch(dp, lp->sw);
		struct bridge_port *bp = sw ? switch_find_port(sw, lp->name) : NULL;
		if (bp)
			update_port(lp, bp, LLDP_MODE_OFF);
		free_port(i);
	}
	agent.resend = false;
}

void lldp_configure(const struct lldp_settings *settings)
{
	if (memcmp(&agent.cfg, settings, sizeof(*settings)) == 0)
		return;
	agent.cfg = *settings;
	agent.resend = true;
}

uint64_t lldp_run(struct datapath *dp, uint64_t now)
{
	sync_ports(dp);
	uint64_t next = now + (uint64_t)tx_interval() * 1000;
	for (size_t i = 0; i < agent.n; i++) {
		struct lldp_port *lp = agent.ports[i];
		for (unsigned j = lp->n_nbr; j-- > 0;) {
			if (lp->nbr[j].expires_ms <= now) {
				remove_neighbor(lp, j);
				lp->c.aged_out++;
			} else if (lp->nbr[j].expires_ms < next) {
				next = lp->nbr[j].expires_ms;
			}
		}
		if (!lldp_mode_tx(lp->mode) || !lp->up)
			continue;
		if (now >= lp->next_tx_ms) {
			unsigned ttl = tx_interval() * LLDP_TX_HOLD + 1;
			transmit(lp, (uint16_t)(ttl > UINT16_MAX ? UINT16_MAX : ttl));
			bool fast = lp->fast_left > 0;
			lp->fast_left -= fast;
			lp->next_tx_ms = now + (fast ? FAST_TX_MS : (uint64_t)tx_interval() * 1000);
		}
		if (lp->next_tx_ms < next)
			next = lp->next_tx_ms;
	}
	return next;
}

void lldp_reset(struct datapath *dp)
{
	for (size_t s = 0; dp && s < dp->n_switches; s++)
		switch_del_link_handler(dp->switches[s], LLDP_ETH_TYPE, &agent);
	while (agent.n)
		free_port(0);
	free(agent.ports);
	agent.ports = NULL;
	agent.cap = 0;
	memset(&agent.cfg, 0, sizeof(agent.cfg));
}

/* ---- lldp show ------------------------------------------------------------------- */

static const char *mode_name(enum lldp_mode m)
{
	static const char *const names[] = {"default", "off", "rx", "tx", "rxtx"};
	return m < ARRAY_SIZE(names) ? names[m] : "?";
}

/* One neighbour's fields as text, for both renderings. */
struct nbr_text {
	char chassis[3 * LLDP_ID_MAX + 1], port[3 * LLDP_ID_MAX + 1];
	char name[LLDP_TEXT_MAX + 1], desc[LLDP_TEXT_MAX + 1], port_desc[LLDP_TEXT_MAX + 1];
	char mgmt[LLDP_MGMT_MAX][48];
};

/* Seconds of TTL left, rounded up; 0 for one due to age out at the next run. */
static unsigned long long ttl_left(const struct lldp_neighbor *n, uint64_t now)
{
	return n->expires_ms > now ? (n->expires_ms - now + 999) / 1000 : 0;
}

static void neighbor_text(const struct lldp_neighbor *n, struct nbr_text *t)
{
	lldp_format_id(&n->info.chassis, true, t->chassis, sizeof(t->chassis));
	lldp_format_id(&n->info.port, false, t->port, sizeof(t->port));
	lldp_format_text(&n->info.sys_name, t->name, sizeof(t->name));
	lldp_format_text(&n->info.sys_desc, t->desc, sizeof(t->desc));
	lldp_format_text(&n->info.port_desc, t->port_desc, sizeof(t->port_desc));
	for (unsigned i = 0; i < n->info.n_mgmt; i++)
		lldp_format_mgmt(&n->info.mgmt[i], t->mgmt[i], sizeof(t->mgmt[i]));
}

static void vlan_name(const struct lldp_vlan *v, char *buf, size_t size)
{
	struct lldp_text t = {.len = v->name_len};
	memcpy(t.data, v->name, v->name_len);
	lldp_format_text(&t, buf, size);
}

static cJSON *neighbor_json(const struct lldp_neighbor *n, uint64_t now)
{
	static struct nbr_text t;
	neighbor_text(n, &t);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "chassis_id", t.chassis);
	cJSON_AddNumberToObject(o, "chassis_subtype", n->info.chassis.subtype);
	cJSON_AddStringToObject(o, "port_id", t.port);
	cJSON_AddNumberToObject(o, "port_subtype", n->info.port.subtype);
	cJSON_AddStringToObject(o, "port_description", t.port_desc);
	cJSON_AddStringToObject(o, "system_name", t.name);
	cJSON_AddStringToObject(o, "system_description", t.desc);
	cJSON_AddNumberToObject(o, "ttl", n->info.ttl);
	cJSON_AddNumberToObject(o, "ttl_left", (double)ttl_left(n, now));
	char mac[18];
	cJSON_AddStringToObject(o, "source_mac", mac_format(n->src, mac));
	cJSON *m = cJSON_AddArrayToObject(o, "mgmt_addresses");
	for (unsigned i = 0; i < n->info.n_mgmt; i++)
		cJSON_AddItemToArray(m, cJSON_CreateString(t.mgmt[i]));
	if (n->info.has_caps) {
		cJSON_AddNumberToObject(o, "capabilities", n->info.caps);
		cJSON_AddNumberToObject(o, "capabilities_enabled", n->info.caps_enabled);
	}
	if (n->info.pvid)
		cJSON_AddNumberToObject(o, "pvid", n->info.pvid);
	cJSON *vl = cJSON_AddArrayToObject(o, "vlans");
	for (unsigned i = 0; i < n->info.n_vlans; i++) {
		char name[LLDP_VLAN_NAME_MAX + 1];
		vlan_name(&n->info.vlans[i], name, sizeof(name));
		cJSON *v = cJSON_CreateObject();
		cJSON_AddNumberToObject(v, "vid", n->info.vlans[i].vid);
		cJSON_AddStringToObject(v, "name", name);
		cJSON_AddItemToArray(vl, v);
	}
	return o;
}

static cJSON *port_json(const struct lldp_port *lp, uint64_t now)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "port", lp->name);
	cJSON_AddStringToObject(o, "switch", lp->sw);
	cJSON_AddStringToObject(o, "mode", mode_name(lp->mode));
	cJSON *c = cJSON_AddObjectToObject(o, "counters");
	const struct lldp_counters *k = &lp->c;
	cJSON_AddNumberToObject(c, "tx", (double)k->tx);
	cJSON_AddNumberToObject(c, "tx_failed", (double)k->tx_failed);
	cJSON_AddNumberToObject(c, "rx", (double)k->rx);
	cJSON_AddNumberToObject(c, "discarded", (double)k->discarded);
	cJSON_AddNumberToObject(c, "unrecognised_tlvs", (double)k->unrecognised_tlvs);
	cJSON_AddNumberToObject(c, "tlvs_discarded", (double)k->tlvs_discarded);
	cJSON_AddNumberToObject(c, "inserted", (double)k->inserted);
	cJSON_AddNumberToObject(c, "aged_out", (double)k->aged_out);
	cJSON_AddNumberToObject(c, "shutdown", (double)k->shutdown);
	cJSON_AddNumberToObject(c, "too_many_neighbors", (double)k->too_many);
	cJSON *e = cJSON_AddObjectToObject(c, "malformed");
	for (int i = 1; i < LLDP_ERR_MAX; i++)
		cJSON_AddNumberToObject(e, lldp_error_name((enum lldp_error)i),
					(double)k->errors[i]);
	cJSON *n = cJSON_AddArrayToObject(o, "neighbors");
	for (unsigned i = 0; i < lp->n_nbr; i++)
		cJSON_AddItemToArray(n, neighbor_json(&lp->nbr[i], now));
	return o;
}

static void port_text(const struct lldp_port *lp, uint64_t now, FILE *out)
{
	const struct lldp_counters *k = &lp->c;
	fprintf(out, "port %s (switch %s): lldp %s, %u neighbor%s\n", lp->name, lp->sw,
		mode_name(lp->mode), lp->n_nbr, lp->n_nbr == 1 ? "" : "s");
	fprintf(out,
		"  tx %llu (failed %llu), rx %llu, discarded %llu, unrecognised TLVs %llu, "
		"TLVs discarded %llu, aged out %llu, shutdown %llu, too many %llu\n",
		(unsigned long long)k->tx, (unsigned long long)k->tx_failed,
		(unsigned long long)k->rx, (unsigned long long)k->discarded,
		(unsigned long long)k->unrecognised_tlvs, (unsigned long long)k->tlvs_discarded,
		(unsigned long long)k->aged_out, (unsigned long long)k->shutdown,
		(unsigned long long)k->too_many);
	for (int i = 1; i < LLDP_ERR_MAX; i++)
		if (k->errors[i])
			fprintf(out, "  malformed %s: %llu\n", lldp_error_name((enum lldp_error)i),
				(unsigned long long)k->errors[i]);
	static struct nbr_text t;
	for (unsigned i = 0; i < lp->n_nbr; i++) {
		const struct lldp_neighbor *n = &lp->nbr[i];
		neighbor_text(n, &t);
		fprintf(out, "  neighbor chassis %s port %s system-name \"%s\" ttl-left %llu\n",
			t.chassis, t.port, t.name, ttl_left(n, now));
		if (t.port_desc[0])
			fprintf(out, "    port-description \"%s\"\n", t.port_desc);
		if (t.desc[0])
			fprintf(out, "    system-description \"%s\"\n", t.desc);
		for (unsigned j = 0; j < n->info.n_mgmt; j++)
			fprintf(out, "    mgmt-address %s\n", t.mgmt[j]);
		if (n->info.pvid)
			fprintf(out, "    pvid %u\n", n->info.pvid);
		for (unsigned j = 0; j < n->info.n_vlans; j++) {
			char name[LLDP_VLAN_NAME_MAX + 1];
			vlan_name(&n->info.vlans[j], name, sizeof(name));
			fprintf(out, "    vlan %u \"%s\"\n", n->info.vlans[j].vid, name);
		}
	}
}

int lldp_show(struct datapath *dp, const char *port, FILE *out, cJSON *json)
{
	sync_ports(dp); /* a port just configured shows at once */
	uint64_t now = now_ms();
	bool found = false;
	for (size_t i = 0; i < agent.n; i++) {
		const struct lldp_port *lp = agent.ports[i];
		if (port && strcmp(port, lp->name))
			continue;
		found = true;
		if (json)
			cJSON_AddItemToArray(json, port_json(lp, now));
		else
			port_text(lp, now, out);
	}
	return port && !found ? -ENOENT : 0;
}
