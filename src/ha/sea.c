/* sea.c — the Shared Ethernet Adapter failover state machine.
 *
 * Two daemons each run an SEA for the same VLANs. Each SEA's trunks are
 * vnic ports plugged into the hypervisor switch's taps; an SEA that stands
 * by lowers its trunks' carrier, and the hypervisor switch uses, per VLAN,
 * only the live trunk with the lowest trunk priority (switch.c). A daemon
 * that dies drops its taps' carrier with its fds. So the hypervisor switch
 * itself can never take one VLAN's frames from two SEAs: that is what keeps
 * duplicates and loops out even when the SEAs disagree (split brain, the
 * control channel cut). The heartbeats only decide who should forward:
 *
 * - Every `hello` ms (and at once on any change) each SEA sends a heartbeat
 *   out of its control port: priority, ha-mode, health, role. A peer not
 *   heard for `dead` ms is gone.
 * - Health: the real adapter's carrier (read at every link event and every
 *   hello), and, with `netaddr`, whether the address answers ICMP echo.
 * - The election (sea_decide, pure): forced standby or a dead link stands
 *   by; otherwise the healthier SEA forwards; between equals the primary
 *   (lower priority) does, except that a primary which lost the role takes
 *   it back only after `failback-delay` ms of health (PowerVM's fb_delay),
 *   and never with `failback off`. In `sharing` mode both forward, the
 *   primary the first half of the trunks and the backup the rest.
 * - A new active SEA raises its trunks; the hypervisor switch sees the
 *   carrier at once (link event), makes the trunk the VLANs' active uplink
 *   and announces every client MAC through it (gratuitous RARP); we also
 *   announce the clients we know. The external switches relearn at once.
 *
 * Heartbeats are read inside the pipeline (the switch hands them over) and
 * only recorded there; sea_run() decides, outside any batch. */
#include "sea.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "engine/datapath.h"
#include "lib/frame.h"
#include "lib/log.h"
#include "lib/spinlock.h"
#include "monitor.h"

#define SEA_HISTORY	  16
#define SEA_WHY_MAX	  96
#define HELLO_VERSION	  1
#define HELLO_LEN	  18 /* payload bytes we read */
#define LINK_CHECK_MAX_MS 100
#define HELLO_F_WAITING	  0x01

static const uint8_t hello_dst[6] = {0x03, 'v', 's', 'h', 'a', 0x01};

struct sea_event {
	struct timespec when; /* wall clock, for the operator */
	enum sea_role from, to;
	char why[SEA_WHY_MAX];
};

struct sea {
	struct sea_config cfg;
	struct datapath *dp;
	bool *news; /* the set's flag: a peer's news wants a run now */
	/* Heartbeats may come in on two poll threads at once (vswitchd
	 * --cores); sea_run() only runs while the others are paused. */
	struct spinlock rx_lock;
	struct vswitch *sw;
	struct bridge_port *real, *ctl;
	struct bridge_port *trunks[SEA_TRUNKS_MAX];
	uint8_t id[6]; /* heartbeat source, and the tie-break between equals */

	enum sea_role role;
	uint32_t trunk_mask;
	bool waiting;
	char why[SEA_WHY_MAX];

	bool link_up;
	enum sea_health health;
	uint64_t health_since_ms;
	uint64_t next_link_check_ms;
	bool has_ping;
	struct ping_monitor ping;

	struct {
		bool heard;
		uint64_t last_ms;
		uint8_t id[6];
		struct sea_peer view;
	} peer;

	uint64_t started_ms, next_hello_ms;
	uint32_t seq;
	uint64_t hellos_sent, hellos_received, hellos_ignored, transitions;
	struct sea_event history[SEA_HISTORY];
	unsigned n_history; /* total recorded; the last SEA_HISTORY are kept */
};

/* ---- configuration ---------------------------------------------------------- */

void sea_config_init(struct sea_config *config)
{
	memset(config, 0, sizeof(*config));
	config->pvid = 1;
	config->priority = 1;
	config->ha_mode = SEA_HA_AUTO;
	config->failback = true;
	config->failback_delay_ms = SEA_DEFAULT_FAILBACK_DELAY_MS;
	config->hello_ms = SEA_DEFAULT_HELLO_MS;
	config->dead_ms = SEA_DEFAULT_DEAD_MS;
	config->netaddr_interval_ms = SEA_DEFAULT_NETADDR_INTERVAL_MS;
	config->netaddr_retries = SEA_DEFAULT_NETADDR_RETRIES;
}

const char *sea_ha_mode_name(enum sea_ha_mode mode)
{
	switch (mode) {
	case SEA_HA_AUTO:
		return "auto";
	case SEA_HA_STANDBY:
		return "standby";
	case SEA_HA_SHARING:
		return "sharing";
	}
	return "?";
}

const char *sea_role_name(enum sea_role role)
{
	switch (role) {
	case SEA_ROLE_STANDBY:
		return "standby";
	case SEA_ROLE_ACTIVE:
		return "active";
	case SEA_ROLE_SHARING:
		return "sharing";
	}
	return "?";
}

int sea_config_validate(const struct sea_config *c, char *err, size_t err_size)
{
	const char *n = c->name;
	if (c->pvid < 1 || c->pvid > VID_MAX) {
		snprintf(err, err_size, "sea %s: pvid %u out of range 1-%u", n, c->pvid, VID_MAX);
		return -ERANGE;
	}
	if (c->priority < 1 || c->priority > 15) {
		snprintf(err, err_size, "sea %s: priority %u out of range 1-15", n, c->priority);
		return -ERANGE;
	}
	if (c->n_trunks < 1) {
		snprintf(err, err_size, "sea %s: needs at least one trunk port", n);
		return -EINVAL;
	}
	if (c->hello_ms < 10 || c->hello_ms > 10000) {
		snprintf(err, err_size, "sea %s: hello %u ms out of range 10-10000", n,
			 c->hello_ms);
		return -ERANGE;
	}
	if (c->dead_ms < 2 * c->hello_ms || c->dead_ms > 60000) {
		snprintf(err, err_size,
			 "sea %s: dead %u ms must be at least twice hello (%u ms) and at most "
			 "60000",
			 n, c->dead_ms, c->hello_ms);
		return -ERANGE;
	}
	if (c->failback_delay_ms > 3600000) {
		snprintf(err, err_size, "sea %s: failback-delay %u ms above 3600000", n,
			 c->failback_delay_ms);
		return -ERANGE;
	}
	if (c->netaddr_interval_ms < 10 || c->netaddr_interval_ms > 60000) {
		snprintf(err, err_size, "sea %s: netaddr-interval %u ms out of range 10-60000", n,
			 c->netaddr_interval_ms);
		return -ERANGE;
	}
	if (c->netaddr_retries < 1 || c->netaddr_retries > 100) {
		snprintf(err, err_size, "sea %s: netaddr-retries %u out of range 1-100", n,
			 c->netaddr_retries);
		return -ERANGE;
	}
	if (c->netaddr[0]) {
		struct in_addr addr;
		char why[128];
		if (ping_parse_address(c->netaddr, &addr, why, sizeof(why)) < 0) {
			snprintf(err, err_size, "sea %s: netaddr %s", n, why);
			return -EINVAL;
		}
	}
	if (c->ha_mode > SEA_HA_SHARING) {
		snprintf(err, err_size, "sea %s: unknown ha-mode", n);
		return -EINVAL;
	}
	return 0;
}

/* ---- the election --------------------------------------------------------------- */

static struct sea_decision decided(enum sea_role role, const char *why)
{
	return (struct sea_decision){.role = role, .why = why};
}

/* Taking the role back from a peer that forwards everything waits until
 * this SEA has been healthy for the hold-down, so a flapping link does not
 * flap traffic; with failback off it waits for good. */
static struct sea_decision take_back(const struct sea_self *self, enum sea_role serve)
{
	if (!self->failback) {
		struct sea_decision d =
		    decided(SEA_ROLE_STANDBY, "failback off: the peer keeps forwarding");
		d.waiting = true;
		return d;
	}
	if (self->healthy_for_ms < self->failback_delay_ms) {
		struct sea_decision d =
		    decided(SEA_ROLE_STANDBY, "healthy again: failback hold-down");
		d.waiting = true;
		d.recheck_ms = self->failback_delay_ms - self->healthy_for_ms;
		return d;
	}
	return decided(serve, "failback: healthy for the whole hold-down");
}

struct sea_decision sea_decide(const struct sea_self *self, const struct sea_peer *peer)
{
	if (self->mode == SEA_HA_STANDBY)
		return decided(SEA_ROLE_STANDBY, "ha-mode standby (forced)");
	if (self->health == SEA_HEALTH_DOWN)
		return decided(SEA_ROLE_STANDBY, "real adapter link down");
	if (!peer->alive)
		return decided(SEA_ROLE_ACTIVE, "no heartbeat from the peer");
	if (peer->mode == SEA_HA_STANDBY)
		return decided(SEA_ROLE_ACTIVE, "the peer is forced to standby");
	if (peer->health == SEA_HEALTH_DOWN)
		return decided(SEA_ROLE_ACTIVE, "the peer's real adapter is down");
	if (self->health > peer->health)
		return decided(SEA_ROLE_ACTIVE, "the peer's netaddr does not answer");
	if (self->health < peer->health)
		return decided(SEA_ROLE_STANDBY, "netaddr does not answer, the peer's does");

	bool primary =
	    self->priority < peer->priority || (self->priority == peer->priority && self->first);
	bool sharing =
	    self->mode == SEA_HA_SHARING && peer->mode == SEA_HA_SHARING && self->n_trunks > 1;
	enum sea_role serve = sharing ? SEA_ROLE_SHARING : SEA_ROLE_ACTIVE;
	if (primary) {
		if (self->role == SEA_ROLE_STANDBY && peer->role != SEA_ROLE_STANDBY)
			return take_back(self, serve);
		return decided(serve, sharing ? "sharing: the primary's half" : "primary");
	}
	if (peer->role == SEA_ROLE_STANDBY) {
		/* A primary that waits out its hold-down, or one that has not
		 * yet taken over from us, leaves the work to us; a primary about
		 * to start (both just came up) does not. */
		if (peer->waiting || self->role != SEA_ROLE_STANDBY)
			return decided(SEA_ROLE_ACTIVE, "the primary stands by");
		return decided(SEA_ROLE_STANDBY, "the primary is taking over");
	}
	if (sharing) {
		if (self->role == SEA_ROLE_STANDBY && peer->role == SEA_ROLE_ACTIVE)
			return take_back(self, serve);
		return decided(serve, "sharing: the backup's half");
	}
	return decided(SEA_ROLE_STANDBY, "the primary forwards");
}

uint32_t sea_role_trunks(enum sea_role role, bool primary, int n_trunks)
{
	uint32_t all = n_trunks >= 32 ? ~0u : (1u << n_trunks) - 1;
	uint32_t first_half = (1u << ((n_trunks + 1) / 2)) - 1;
	switch (role) {
	case SEA_ROLE_ACTIVE:
		return all;
	case SEA_ROLE_SHARING:
		return primary ? first_half : all & ~first_half;
	case SEA_ROLE_STANDBY:
		break;
	}
	return 0;
}

/* ---- heartbeats ------------------------------------------------------------------ */

static uint64_t now_ms(void)
{
	return time_now_ns() / 1000000;
}

static void record_hello(struct sea *sea, struct bridge_port *in, struct packet *p);

/* Called by the switch inside the pipeline, on any poll thread: record
 * only, one heartbeat at a time. */
static void receive_hello(void *ctx, struct bridge_port *in, struct packet *p)
{
	struct sea *sea = ctx;
	spin_lock(&sea->rx_lock);
	record_hello(sea, in, p);
	spin_unlock(&sea->rx_lock);
	packet_free(p);
}

static void record_hello(struct sea *sea, struct bridge_port *in, struct packet *p)
{
	const uint8_t *f = p->data;
	uint32_t off = load_be16(f + 12) == ETH_TYPE_VLAN ? 18 : 14;
	if (in != sea->ctl || p->len < off + HELLO_LEN || memcmp(f + off, "VSHA", 4) ||
	    f[off + 4] != HELLO_VERSION || memcmp(f + 6, sea->id, 6) == 0) {
		sea->hellos_ignored++;
		return;
	}
	const uint8_t *h = f + off;
	struct sea_peer *v = &sea->peer.view;
	struct sea_peer before = *v;
	v->role = h[5] <= SEA_ROLE_SHARING ? (enum sea_role)h[5] : SEA_ROLE_STANDBY;
	v->priority = h[6];
	v->mode = h[7] <= SEA_HA_SHARING ? (enum sea_ha_mode)h[7] : SEA_HA_AUTO;
	v->health = h[8] <= SEA_HEALTH_OK ? (enum sea_health)h[8] : SEA_HEALTH_DOWN;
	v->waiting = h[9] & HELLO_F_WAITING;
	if (!sea->peer.heard || v->role != before.role || v->health != before.health ||
	    v->mode != before.mode || v->waiting != before.waiting ||
	    v->priority != before.priority || memcmp(sea->peer.id, f + 6, 6))
		if (sea->news)
			__atomic_store_n(sea->news, true, __ATOMIC_RELEASE);
	memcpy(sea->peer.id, f + 6, 6);
	sea->peer.heard = true;
	sea->peer.last_ms = now_ms();
	sea->hellos_received++;
}

static void send_hello(struct sea *sea)
{
	if (!sea->ctl)
		return;
	struct packet *p = packet_alloc(sea->sw->pool);
	if (!p) {
		port_count_drop(sea->ctl, DROP_NO_BUFFER, 1);
		return;
	}
	uint8_t *f = p->data;
	memset(f, 0, 60);
	memcpy(f, hello_dst, 6);
	memcpy(f + 6, sea->id, 6);
	store_be16(f + 12, SEA_ETH_TYPE);
	uint8_t *h = f + 14;
	memcpy(h, "VSHA", 4);
	h[4] = HELLO_VERSION;
	h[5] = (uint8_t)sea->role;
	h[6] = sea->cfg.priority;
	h[7] = (uint8_t)sea->cfg.ha_mode;
	h[8] = (uint8_t)sea->health;
	h[9] = sea->waiting ? HELLO_F_WAITING : 0;
	store_be16(h + 10, (uint16_t)sea->cfg.hello_ms);
	store_be16(h + 12, (uint16_t)(++sea->seq >> 16));
	store_be16(h + 14, (uint16_t)sea->seq);
	p->len = 60;
	p->vid = sea->ctl->config.pvid;
	p->pcp = 7; /* a heartbeat must not queue behind bulk traffic */
	egress_enqueue(sea->sw, sea->ctl, p);
	egress_flush(sea->sw);
	sea->hellos_sent++;
}

/* ---- the live SEA ----------------------------------------------------------------- */

/* Its switch hands it the heartbeats (switch_add_frame_handler). */
static void attach(struct sea *sea, struct vswitch *sw)
{
	if (sea->sw)
		switch_del_frame_handler(sea->sw, SEA_ETH_TYPE, sea);
	sea->sw = sw;
	if (sw && switch_add_frame_handler(sw, SEA_ETH_TYPE, receive_hello, sea) < 0)
		log_error("sea %s: switch %s already has a consumer of its heartbeats",
			  sea->cfg.name, sw->name);
}

static void find_ports(struct sea *sea)
{
	attach(sea, datapath_find_switch(sea->dp, sea->cfg.sw));
	sea->real = sea->ctl = NULL;
	memset(sea->trunks, 0, sizeof(sea->trunks));
	if (!sea->sw)
		return;
	sea->real = switch_find_port(sea->sw, sea->cfg.real);
	sea->ctl = sea->cfg.ctl[0] ? switch_find_port(sea->sw, sea->cfg.ctl) : NULL;
	for (int i = 0; i < sea->cfg.n_trunks; i++)
		sea->trunks[i] = switch_find_port(sea->sw, sea->cfg.trunks[i]);
}

static void set_trunks(struct sea *sea, uint32_t mask)
{
	for (int i = 0; i < sea->cfg.n_trunks; i++) {
		struct bridge_port *t = sea->trunks[i];
		if (t && t->dev->class->set_link) {
			int error = t->dev->class->set_link(t->dev, mask & (1u << i));
			if (error)
				log_error("sea %s: cannot set the link of trunk %s: %s",
					  sea->cfg.name, t->name, strerror(-error));
		}
	}
	sea->trunk_mask = mask;
	if (sea->sw)
		switch_refresh_links(sea->sw);
}

static void open_ping(struct sea *sea)
{
	sea->has_ping = false;
	if (!sea->cfg.netaddr[0])
		return;
	struct in_addr addr;
	char err[160];
	if (ping_parse_address(sea->cfg.netaddr, &addr, err, sizeof(err)) < 0)
		return; /* config_check refused it already */
	if (ping_monitor_open(&sea->ping, addr, sea->cfg.netaddr_interval_ms,
			      sea->cfg.netaddr_retries, err, sizeof(err)) < 0)
		log_error("sea %s: netaddr %s: %s (counts as not answering)", sea->cfg.name,
			  sea->cfg.netaddr, err);
	sea->has_ping = true;
}

struct sea *sea_alloc(const struct sea_config *config)
{
	struct sea *sea = calloc(1, sizeof(*sea));
	if (!sea)
		return NULL;
	sea->cfg = *config;
	if (getrandom(sea->id, sizeof(sea->id), 0) != sizeof(sea->id)) {
		uint64_t t = time_now_ns();
		memcpy(sea->id, &t, sizeof(sea->id));
	}
	sea->id[0] = (uint8_t)((sea->id[0] & 0xfc) | 0x02); /* local, unicast */
	sea->role = SEA_ROLE_STANDBY;
	sea->health = SEA_HEALTH_DOWN;
	sea->started_ms = sea->health_since_ms = now_ms();
	snprintf(sea->why, sizeof(sea->why), "starting");
	return sea;
}

void sea_start(struct sea *sea, struct datapath *dp)
{
	const struct sea_config *config = &sea->cfg;
	sea->dp = dp;
	find_ports(sea);
	open_ping(sea);
	/* Down until elected: the hypervisor switch must not use us yet. */
	set_trunks(sea, 0);
	log_info("sea %s: created on switch %s, priority %u, ha-mode %s", config->name, config->sw,
		 config->priority, sea_ha_mode_name(config->ha_mode));
}

struct sea *sea_create(struct datapath *dp, const struct sea_config *config)
{
	struct sea *sea = sea_alloc(config);
	if (sea)
		sea_start(sea, dp);
	return sea;
}

void sea_configure(struct sea *sea, struct datapath *dp, const struct sea_config *config)
{
	bool ping_changed = strcmp(sea->cfg.netaddr, config->netaddr) ||
			    sea->cfg.netaddr_interval_ms != config->netaddr_interval_ms ||
			    sea->cfg.netaddr_retries != config->netaddr_retries;
	sea->cfg = *config;
	sea->dp = dp;
	find_ports(sea);
	if (ping_changed) {
		if (sea->has_ping)
			ping_monitor_close(&sea->ping);
		open_ping(sea);
	}
	/* Rebuilt trunk ports come up raised: put them as the role says. */
	set_trunks(sea, sea->trunk_mask);
	sea->next_hello_ms = 0; /* tell the peer at once */
}

void sea_destroy(struct sea *sea)
{
	if (!sea)
		return;
	set_trunks(sea, 0);
	attach(sea, NULL);
	if (sea->has_ping)
		ping_monitor_close(&sea->ping);
	log_info("sea %s: deleted", sea->cfg.name);
	free(sea);
}

void sea_set_news_flag(struct sea *sea, bool *news)
{
	sea->news = news;
}

const char *sea_name(const struct sea *sea)
{
	return sea->cfg.name;
}

enum sea_role sea_role(const struct sea *sea)
{
	return sea->role;
}

static void record(struct sea *sea, enum sea_role from, enum sea_role to, const char *why)
{
	struct sea_event *e = &sea->history[sea->n_history++ % SEA_HISTORY];
	clock_gettime(CLOCK_REALTIME, &e->when);
	e->from = from;
	e->to = to;
	snprintf(e->why, sizeof(e->why), "%s", why);
}

static void update_health(struct sea *sea, uint64_t now, bool links_changed, uint64_t *next)
{
	if (links_changed || now >= sea->next_link_check_ms) {
		bool up = sea->real && (!sea->real->dev->class->carrier ||
					sea->real->dev->class->carrier(sea->real->dev));
		if (up != sea->link_up)
			log_info("sea %s: real adapter %s link %s", sea->cfg.name, sea->cfg.real,
				 up ? "up" : "down");
		sea->link_up = up;
		uint32_t every =
		    sea->cfg.hello_ms < LINK_CHECK_MAX_MS ? sea->cfg.hello_ms : LINK_CHECK_MAX_MS;
		sea->next_link_check_ms = now + every;
	}
	if (*next > sea->next_link_check_ms)
		*next = sea->next_link_check_ms;
	if (sea->has_ping) {
		uint64_t ping_next;
		if (ping_monitor_run(&sea->ping, now, &ping_next))
			log_info("sea %s: netaddr %s %s", sea->cfg.name, sea->cfg.netaddr,
				 sea->ping.reachable ? "answers again" : "does not answer");
		if (*next > ping_next)
			*next = ping_next;
	}
	enum sea_health health = SEA_HEALTH_OK;
	if (sea->cfg.ha_mode == SEA_HA_STANDBY || !sea->link_up)
		health = SEA_HEALTH_DOWN;
	else if (sea->has_ping && !sea->ping.reachable)
		health = SEA_HEALTH_DEGRADED;
	if (health != sea->health) {
		sea->health = health;
		sea->health_since_ms = now;
	}
}

uint64_t sea_run(struct sea *sea, uint64_t now, bool links_changed)
{
	uint64_t next = now + sea->cfg.hello_ms;
	if (!sea->sw || !sea->real)
		return now + 1000;
	update_health(sea, now, links_changed, &next);

	/* last_ms may be a little ahead of `now`: read in the poll since. */
	bool alive = sea->ctl && sea->peer.heard &&
		     (sea->peer.last_ms >= now || now - sea->peer.last_ms < sea->cfg.dead_ms);
	struct sea_peer peer = sea->peer.view;
	peer.alive = alive;
	struct sea_self self = {
	    .priority = sea->cfg.priority,
	    .mode = sea->cfg.ha_mode,
	    .failback = sea->cfg.failback,
	    .failback_delay_ms = sea->cfg.failback_delay_ms,
	    .health = sea->health,
	    .healthy_for_ms = now - sea->health_since_ms,
	    .role = sea->role,
	    .first = memcmp(sea->id, sea->peer.id, 6) < 0,
	    .n_trunks = sea->cfg.n_trunks,
	};
	struct sea_decision d = sea_decide(&self, &peer);
	if (!sea->ctl && !alive && d.role == SEA_ROLE_ACTIVE)
		d.why = "no control channel: forwarding alone";
	/* A daemon that just started listens before it claims anything: the
	 * peer may be forwarding already. */
	uint64_t listen_until = sea->started_ms + sea->cfg.dead_ms;
	if (sea->ctl && !sea->peer.heard && now < listen_until && d.role != SEA_ROLE_STANDBY) {
		d = decided(SEA_ROLE_STANDBY, "listening for the peer's heartbeats");
		if (next > listen_until)
			next = listen_until;
	}
	bool primary = !alive || self.priority < peer.priority ||
		       (self.priority == peer.priority && self.first);
	uint32_t mask = sea_role_trunks(d.role, primary, sea->cfg.n_trunks);

	bool changed = d.role != sea->role || mask != sea->trunk_mask;
	if (changed) {
		bool gained = (mask & ~sea->trunk_mask) != 0;
		log_info("sea %s: %s -> %s: %s", sea->cfg.name, sea_role_name(sea->role),
			 sea_role_name(d.role), d.why);
		record(sea, sea->role, d.role, d.why);
		sea->transitions++;
		sea->role = d.role;
		set_trunks(sea, mask);
		if (gained)
			switch_announce(sea->sw, sea->real);
	}
	snprintf(sea->why, sizeof(sea->why), "%s", d.why);
	if (changed || d.waiting != sea->waiting || now >= sea->next_hello_ms) {
		sea->waiting = d.waiting;
		send_hello(sea);
		sea->next_hello_ms = now + sea->cfg.hello_ms;
	}
	if (next > sea->next_hello_ms)
		next = sea->next_hello_ms;
	if (d.recheck_ms && next > now + d.recheck_ms)
		next = now + d.recheck_ms;
	if (alive && next > sea->peer.last_ms + sea->cfg.dead_ms)
		next = sea->peer.last_ms + sea->cfg.dead_ms;
	return next;
}

/* ---- show ---------------------------------------------------------------------------- */

static const char *health_name(enum sea_health health)
{
	switch (health) {
	case SEA_HEALTH_DOWN:
		return "down";
	case SEA_HEALTH_DEGRADED:
		return "degraded";
	case SEA_HEALTH_OK:
		return "ok";
	}
	return "?";
}

static void format_time(const struct timespec *t, char *buf, size_t size)
{
	struct tm tm;
	localtime_r(&t->tv_sec, &tm);
	size_t n = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03ld", t->tv_nsec / 1000000);
}

static const struct sea_event *event_at(const struct sea *sea, unsigned i)
{
	return &sea->history[i % SEA_HISTORY];
}

static unsigned first_event(const struct sea *sea)
{
	return sea->n_history > SEA_HISTORY ? sea->n_history - SEA_HISTORY : 0;
}

void sea_show_line(const struct sea *sea, FILE *out)
{
	fprintf(out, "sea %s (switch %s, real %s): %s — %s\n", sea->cfg.name, sea->cfg.sw,
		sea->cfg.real, sea_role_name(sea->role), sea->why);
}

void sea_show(const struct sea *sea, FILE *out)
{
	const struct sea_config *c = &sea->cfg;
	uint64_t now = now_ms();
	char mac[18];
	fprintf(out, "sea %s (switch %s): %s — %s\n", c->name, c->sw, sea_role_name(sea->role),
		sea->why);
	fprintf(out,
		"  priority %u, ha-mode %s, failback %s (delay %u ms), hello %u ms, dead %u ms\n",
		c->priority, sea_ha_mode_name(c->ha_mode), c->failback ? "on" : "off",
		c->failback_delay_ms, c->hello_ms, c->dead_ms);
	fprintf(out, "  health %s: real adapter %s link %s", health_name(sea->health), c->real,
		sea->link_up ? "up" : "down");
	if (sea->has_ping)
		fprintf(out, ", netaddr %s %s (echoes %llu, answered %llu)", c->netaddr,
			sea->ping.reachable ? "answers" : "does not answer",
			(unsigned long long)sea->ping.sent, (unsigned long long)sea->ping.answered);
	fprintf(out, "\n  trunks:");
	for (int i = 0; i < c->n_trunks; i++)
		fprintf(out, " %s %s", c->trunks[i], sea->trunk_mask & (1u << i) ? "up" : "down");
	fprintf(out, "\n");
	if (!c->ctl[0]) {
		fprintf(out, "  control: none (no failover)\n");
	} else if (!sea->peer.heard) {
		fprintf(out, "  control %s: no peer heard\n", c->ctl);
	} else {
		const struct sea_peer *v = &sea->peer.view;
		bool alive = now - sea->peer.last_ms < c->dead_ms;
		fprintf(
		    out,
		    "  control %s: peer %s %s, priority %u, %s, health %s%s, heard %llu ms ago\n",
		    c->ctl, mac_format(sea->peer.id, mac), alive ? "alive" : "DEAD", v->priority,
		    sea_role_name(v->role), health_name(v->health),
		    v->waiting ? ", waiting to fail back" : "",
		    (unsigned long long)(now - sea->peer.last_ms));
	}
	fprintf(out, "  heartbeats sent %llu, received %llu, ignored %llu; transitions %llu\n",
		(unsigned long long)sea->hellos_sent, (unsigned long long)sea->hellos_received,
		(unsigned long long)sea->hellos_ignored, (unsigned long long)sea->transitions);
	for (unsigned i = first_event(sea); i < sea->n_history; i++) {
		const struct sea_event *e = event_at(sea, i);
		char when[40];
		format_time(&e->when, when, sizeof(when));
		fprintf(out, "    %s  %s -> %s: %s\n", when, sea_role_name(e->from),
			sea_role_name(e->to), e->why);
	}
}

cJSON *sea_to_json(const struct sea *sea)
{
	const struct sea_config *c = &sea->cfg;
	uint64_t now = now_ms();
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", c->name);
	cJSON_AddStringToObject(o, "switch", c->sw);
	cJSON_AddStringToObject(o, "role", sea_role_name(sea->role));
	cJSON_AddStringToObject(o, "why", sea->why);
	cJSON_AddNumberToObject(o, "priority", c->priority);
	cJSON_AddStringToObject(o, "ha_mode", sea_ha_mode_name(c->ha_mode));
	cJSON_AddBoolToObject(o, "failback", c->failback);
	cJSON_AddNumberToObject(o, "failback_delay_ms", c->failback_delay_ms);
	cJSON_AddNumberToObject(o, "hello_ms", c->hello_ms);
	cJSON_AddNumberToObject(o, "dead_ms", c->dead_ms);
	cJSON_AddStringToObject(o, "health", health_name(sea->health));
	cJSON_AddStringToObject(o, "real", c->real);
	cJSON_AddBoolToObject(o, "real_link", sea->link_up);
	if (sea->has_ping) {
		cJSON_AddStringToObject(o, "netaddr", c->netaddr);
		cJSON_AddBoolToObject(o, "netaddr_answers", sea->ping.reachable);
	}
	cJSON *trunks = cJSON_AddArrayToObject(o, "trunks");
	for (int i = 0; i < c->n_trunks; i++) {
		cJSON *t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "port", c->trunks[i]);
		cJSON_AddBoolToObject(t, "up", sea->trunk_mask & (1u << i));
		cJSON_AddItemToArray(trunks, t);
	}
	if (c->ctl[0])
		cJSON_AddStringToObject(o, "control", c->ctl);
	if (sea->peer.heard) {
		const struct sea_peer *v = &sea->peer.view;
		char mac[18];
		cJSON *p = cJSON_AddObjectToObject(o, "peer");
		cJSON_AddStringToObject(p, "id", mac_format(sea->peer.id, mac));
		cJSON_AddBoolToObject(p, "alive", now - sea->peer.last_ms < c->dead_ms);
		cJSON_AddNumberToObject(p, "priority", v->priority);
		cJSON_AddStringToObject(p, "role", sea_role_name(v->role));
		cJSON_AddStringToObject(p, "health", health_name(v->health));
		cJSON_AddBoolToObject(p, "waiting", v->waiting);
		cJSON_AddNumberToObject(p, "heard_ms_ago", (double)(now - sea->peer.last_ms));
	}
	cJSON_AddNumberToObject(o, "heartbeats_sent", (double)sea->hellos_sent);
	cJSON_AddNumberToObject(o, "heartbeats_received", (double)sea->hellos_received);
	cJSON_AddNumberToObject(o, "transitions", (double)sea->transitions);
	cJSON *history = cJSON_AddArrayToObject(o, "history");
	for (unsigned i = first_event(sea); i < sea->n_history; i++) {
		const struct sea_event *e = event_at(sea, i);
		char when[40];
		format_time(&e->when, when, sizeof(when));
		cJSON *h = cJSON_CreateObject();
		cJSON_AddStringToObject(h, "time", when);
		cJSON_AddStringToObject(h, "from", sea_role_name(e->from));
		cJSON_AddStringToObject(h, "to", sea_role_name(e->to));
		cJSON_AddStringToObject(h, "why", e->why);
		cJSON_AddItemToArray(history, h);
	}
	return o;
}
