/* sea.h — the Shared Ethernet Adapter and its failover (DESIGN §4).
 *
 * An SEA is a role a switch of the daemon takes: it bridges a real adapter
 * (an uplink to the physical LAN) to one or more trunk adapters (vnic ports
 * plugged into the hypervisor switch). Two daemons, like two VIOS, run an
 * SEA each for the same VLANs; heartbeats over a control channel port
 * decide which one forwards. See sea.c for the rules. */
#ifndef VSWITCH_HA_SEA_H
#define VSWITCH_HA_SEA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"

/* The SEA's heartbeats (IEEE 802 local experimental EtherType 1). */
#define SEA_ETH_TYPE 0x88b5

#define SEA_NAME_MAX   32
#define SEA_TRUNKS_MAX 8
#define SEA_ADDR_MAX   16 /* "255.255.255.255" */

enum sea_ha_mode {
	SEA_HA_AUTO,	/* the primary forwards; the backup takes over when it fails */
	SEA_HA_STANDBY, /* forced to stand by (an operator's maintenance switch) */
	SEA_HA_SHARING, /* both forward, each its half of the trunks */
};

/* Timer defaults: a failover within 1 s, a failback after 3 s of health. */
#define SEA_DEFAULT_HELLO_MS		200
#define SEA_DEFAULT_DEAD_MS		600
#define SEA_DEFAULT_FAILBACK_DELAY_MS	3000
#define SEA_DEFAULT_NETADDR_INTERVAL_MS 200
#define SEA_DEFAULT_NETADDR_RETRIES	3

struct sea_config {
	char name[SEA_NAME_MAX];
	char sw[SWITCH_NAME_MAX];
	char real[PORT_NAME_MAX];
	char trunks[SEA_TRUNKS_MAX][PORT_NAME_MAX];
	int n_trunks;
	char ctl[PORT_NAME_MAX]; /* "" : no peer, the SEA forwards alone */
	uint16_t pvid;		 /* untagged frames of the real adapter */
	uint8_t priority;	 /* 1-15, lower is primary */
	enum sea_ha_mode ha_mode;
	bool failback; /* the primary takes back once healthy (auto) */
	uint32_t failback_delay_ms;
	uint32_t hello_ms;
	uint32_t dead_ms;
	char netaddr[SEA_ADDR_MAX]; /* "" : none */
	uint32_t netaddr_interval_ms;
	uint32_t netaddr_retries;
};

void sea_config_init(struct sea_config *config);
/* Ranges and combinations that need no other object. */
int sea_config_validate(const struct sea_config *config, char *err, size_t err_size);
const char *sea_ha_mode_name(enum sea_ha_mode mode);

/* ---- the election: a pure function, so every rule has a unit test ------- */

enum sea_role {
	SEA_ROLE_STANDBY, /* trunks down: the hypervisor switch does not use them */
	SEA_ROLE_ACTIVE,  /* every trunk up */
	SEA_ROLE_SHARING, /* this SEA's half of the trunks up */
};

/* How fit an SEA is to forward, worst first. */
enum sea_health {
	SEA_HEALTH_DOWN,     /* real adapter without link, or forced standby */
	SEA_HEALTH_DEGRADED, /* link up, netaddr does not answer */
	SEA_HEALTH_OK,
};

struct sea_self {
	uint8_t priority;
	enum sea_ha_mode mode;
	bool failback;
	uint32_t failback_delay_ms;
	enum sea_health health;
	uint64_t healthy_for_ms; /* how long health has been what it is */
	enum sea_role role;	 /* now */
	bool first;		 /* wins a tie of priorities (lower id) */
	int n_trunks;
};

struct sea_peer {
	bool alive; /* heard within the dead interval */
	uint8_t priority;
	enum sea_ha_mode mode;
	enum sea_health health;
	enum sea_role role;
	bool waiting; /* a primary that stands by until it may fail back */
};

struct sea_decision {
	enum sea_role role;
	bool waiting;	     /* primary waiting to take back (goes in heartbeats) */
	uint64_t recheck_ms; /* decide again after this long (0: on news only) */
	const char *why;     /* static text: the cause logged with a transition */
};

struct sea_decision sea_decide(const struct sea_self *self, const struct sea_peer *peer);
const char *sea_role_name(enum sea_role role);
/* Which trunks a role raises: bit i for trunk i. SHARING: the primary the
 * first half (rounded up), the backup the rest. */
uint32_t sea_role_trunks(enum sea_role role, bool primary, int n_trunks);

/* ---- the live SEA --------------------------------------------------------- */

struct sea;
struct datapath;

/* Creates the SEA for a checked configuration and attaches it to its
 * switch. NULL when out of memory. */
struct sea *sea_create(struct datapath *dp, const struct sea_config *config);
/* sea_create() in two halves, so that a configuration change can allocate
 * everything before it changes anything: sea_alloc() only allocates (NULL
 * when out of memory), sea_start() attaches to the datapath and cannot
 * fail. sea_destroy() takes an SEA that was never started. */
struct sea *sea_alloc(const struct sea_config *config);
void sea_start(struct sea *sea, struct datapath *dp);
/* Takes a changed configuration, keeping the role and the peer's state;
 * also finds the ports again (the caller may have rebuilt them). */
void sea_configure(struct sea *sea, struct datapath *dp, const struct sea_config *config);
/* Detaches from the switch and frees; the trunks are left down, so the
 * hypervisor switch stops using them. NULL is a no-op. */
void sea_destroy(struct sea *sea);
const char *sea_name(const struct sea *sea);
/* Timers, monitors, election, heartbeats. `links_changed`: a link event
 * arrived, read the real adapter's carrier now. Returns when it wants to
 * run again (ms, monotonic). */
uint64_t sea_run(struct sea *sea, uint64_t now_ms, bool links_changed);
/* `sea show`: text, or one JSON object; the one line of `show`. */
void sea_show(const struct sea *sea, FILE *out);
void sea_show_line(const struct sea *sea, FILE *out);
struct cJSON;
struct cJSON *sea_to_json(const struct sea *sea);
enum sea_role sea_role(const struct sea *sea);

/* ---- sea_set.c: the daemon's SEAs ------------------------------------------ */

#define SEA_SET_MAX 64

struct sea_set {
	struct sea *seas[SEA_SET_MAX];
	size_t n;
	/* A heartbeat brought news (a peer's role or health changed): run the
	 * SEAs now rather than at their next timer. */
	bool news;
};

struct sea *sea_set_find(const struct sea_set *set, const char *name);
/* Takes a started SEA; -ENOSPC when SEA_SET_MAX are there. */
int sea_set_add(struct sea_set *set, struct sea *sea);
/* Removes and destroys an SEA. */
void sea_set_del(struct sea_set *set, struct sea *sea);
/* Destroys every SEA: before the datapath whose ports they use. */
void sea_set_clear(struct sea_set *set);
/* Runs every SEA's timers and election; returns when to run again (ms,
 * monotonic), UINT64_MAX when there is no SEA. */
uint64_t sea_set_run(struct sea_set *set, uint64_t now_ms, bool links_changed);
/* Where the SEA raises news (sea_set.c sets it to its set's flag). */
void sea_set_news_flag(struct sea *sea, bool *news);

#endif
