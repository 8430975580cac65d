/* engine.h — the forwarding engine: switches, their MAC tables, and the
 * pipeline that moves a batch of frames from one ingress port to its egress
 * ports. Sectioned by the file that defines each part; the rule of DESIGN §3
 * that a function applies is named in its file's header. */
#ifndef VSWITCH_ENGINE_H
#define VSWITCH_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/packet.h"
#include "lib/spinlock.h"
#include "lib/util.h"
#include "port/port.h"
#include "counters.h"
#include "port_security.h"
#include "vlan_guard.h"
#include "mirror.h"
#include "acl.h"
#include "rate_limit.h"
#include "ipfix_cache.h"
#include "lldp_mode.h"
#include "mcast_snoop.h"

#define SWITCH_NAME_MAX	       32
#define PORT_INDEX_NONE	       0xffff
#define VLAN_COUNT	       4096
#define VLAN_WORDS	       (VLAN_COUNT / 64)
#define SWITCH_MAX_PORTS       1024
#define PORT_SET_WORDS	       (SWITCH_MAX_PORTS / 64)
#define VID_MAX		       4094
#define FDB_DEFAULT_CAPACITY   65536
#define FDB_MAX_CAPACITY       (16u << 20)
#define DEFAULT_AGEING_SECONDS 300
#define DEFAULT_MTU	       1500

/* Forwarding decisions besides a port index. */
#define FORWARD_FLOOD 0xfffe
#define FORWARD_DROP  0xfffd

/* ---- fdb.c: the MAC table ---------------------------------------------- */

enum fdb_flags {
	FDB_F_STATIC = 1 << 0,
};

#define FDB_LINE_SLOTS 4
/* Learning and lookup prefetch the MAC-table line of the frame this far
 * ahead. Prefetching the whole batch at once was slower: a core keeps only a
 * few dozen misses in flight and drops prefetches beyond that (measured with
 * bench-engine l2bdscale-100k/1m). */
#define FDB_PREFETCH_AHEAD 32

/* 16 bytes: four to a cache line. key 0 marks a free slot (VID 0 is never
 * learned). */
struct fdb_entry {
	uint64_t key;	    /* VID << 48 | MAC */
	uint32_t last_seen; /* seconds, switch clock */
	uint16_t port;
	uint16_t flags;
};

struct fdb {
	struct fdb_entry *slots;
	uint32_t n_slots;
	uint32_t capacity; /* entries allowed, n_slots * 2/3 */
	uint32_t count;
	uint32_t age_cursor;
	uint32_t port_dynamic[SWITCH_MAX_PORTS]; /* dynamic entries per port */
	/* Taken by learning when several poll threads run (learn.c); lookups
	 * take no lock (fdb.c says how). */
	struct spinlock lock;
};

static inline uint64_t fdb_key(uint16_t vid, const uint8_t *mac)
{
	return ((uint64_t)vid << 48) | mac_to_u64(mac);
}

static inline uint16_t fdb_key_vid(uint64_t key)
{
	return (uint16_t)(key >> 48);
}

/* A key's probe starts at the first slot of a cache line, so the one line
 * the pipeline prefetches holds the key unless four others got there first. */
static inline uint32_t fdb_home_slot(const struct fdb *fdb, uint64_t hash)
{
	return hash_reduce(hash, fdb->n_slots / FDB_LINE_SLOTS) * FDB_LINE_SLOTS;
}

static inline void fdb_prefetch(const struct fdb *fdb, uint64_t hash)
{
	PREFETCH(&fdb->slots[fdb_home_slot(fdb, hash)]);
}

/* A table for `capacity` entries (1 to FDB_MAX_CAPACITY), 24 bytes of slots
 * per entry. NULL when out of memory or capacity is out of range. */
struct fdb *fdb_create(uint32_t capacity);
void fdb_destroy(struct fdb *fdb);
/* The entry for key (hash = hash_u64(key)), or NULL. */
struct fdb_entry *fdb_find(struct fdb *fdb, uint64_t key, uint64_t hash);
/* With writers on other threads: copies the entry fdb_find() returned for
 * `key` into *copy and returns copy, or NULL if the slot changed meanwhile
 * (a miss: the frame is flooded, the next one finds the entry). */
static inline const struct fdb_entry *fdb_confirm(const struct fdb_entry *e, uint64_t key,
						  struct fdb_entry *copy)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	copy->port = __atomic_load_n(&e->port, __ATOMIC_RELAXED);
	copy->flags = __atomic_load_n(&e->flags, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	copy->key = __atomic_load_n(&e->key, __ATOMIC_RELAXED);
	copy->last_seen = 0;
	return copy->key == key ? copy : NULL;
}
/* Inserts a new key (which must not be present); NULL when full. */
struct fdb_entry *fdb_insert(struct fdb *fdb, uint64_t key, uint64_t hash, uint16_t port,
			     uint16_t flags, uint32_t now);
/* Moves a dynamic entry to another port, keeping the per-port counts. */
void fdb_move(struct fdb *fdb, struct fdb_entry *entry, uint16_t port);
void fdb_remove(struct fdb *fdb, struct fdb_entry *entry);
/* Removes one learned entry, the first after `hash`'s home slot; false
 * when every entry is static. */
bool fdb_evict_dynamic(struct fdb *fdb, uint64_t hash);
/* Removes one learned entry of `port`: the least recently seen of the first
 * few found from `hash`'s home slot on. False when the port has none. */
bool fdb_evict_port(struct fdb *fdb, uint16_t port, uint64_t hash);
/* Removes entries matching port (PORT_INDEX_NONE = any) whose VID is in `vids`
 * (a VLAN_WORDS bit set; NULL = any), static entries too when with_static.
 * One pass over the table. Returns how many. */
uint32_t fdb_flush(struct fdb *fdb, uint16_t port, const uint64_t *vids, bool with_static);
/* Scans up to `budget` slots from where the last call stopped and removes
 * dynamic entries not seen for `ageing` seconds. Returns how many. */
uint32_t fdb_age(struct fdb *fdb, uint32_t now, uint32_t ageing, uint32_t budget);
typedef void fdb_visit_fn(const struct fdb_entry *entry, void *ctx);
void fdb_foreach(const struct fdb *fdb, fdb_visit_fn *visit, void *ctx);

/* ---- parse.c: what the L2 header says ----------------------------------- */

struct frame_header {
	uint16_t tci;	 /* 802.1Q TCI when tagged */
	bool tagged;	 /* carries a C-tag (inline or in metadata), VID may be 0 */
	bool inline_tag; /* the C-tag is in the buffer at offset 12 */
	bool stacked;	 /* a second tag after the C-tag, or an S-tag outside */
	uint16_t type;	 /* EtherType after the C-tag: 0x8100/0x88a8 when stacked */
};

/* Validates and reads a frame's Ethernet and 802.1Q headers; pure, reads
 * only data[0, len). A tag stripped by the kernel comes in meta_tci when
 * meta_valid (always an 802.1Q C-tag: providers put any other back inline).
 * Only the outer 0x8100 tag is the frame's VLAN; a second tag, and an
 * 802.1ad (0x88a8, 0x9100) tag outside, are payload, reported in `stacked`
 * for the VLAN-hopping guard (DESIGN §3 rule 1). Returns DROP_NONE or why
 * the frame must be dropped. */
enum drop_reason parse_frame(const uint8_t *data, uint32_t len, bool meta_valid, uint16_t meta_tci,
			     uint16_t mtu, struct frame_header *out);

/* ---- switch.c: switches, ports and their VLAN tables -------------------- */

enum port_mode {
	PORT_MODE_VEB,	       /* switch locally (default) */
	PORT_MODE_VEPA,	       /* everything from this port goes to the uplink */
	PORT_MODE_PRIVATE,     /* talks only to uplinks, never to other ports */
	PORT_MODE_PASSTHROUGH, /* owns the uplink: all uplink traffic is its own */
};

/* A port's forwarding settings; see DESIGN §3. */
struct port_config {
	uint16_t pvid;		   /* 1-4094; 0 (pvid none): untagged frames are dropped */
	uint64_t vids[VLAN_WORDS]; /* extra tagged VLANs (the PVID need not be set here) */
	bool uplink;		   /* reaches the physical network */
	uint8_t trunk_priority;	   /* 1-15, lower wins among uplinks; 0 = not set */
	enum port_mode mode;
	bool learning;		       /* learn source MACs from this port */
	bool hairpin;		       /* frames may leave by the port they came in on */
	uint32_t mac_limit;	       /* dynamic MACs learned on this port; 0 = no limit */
	struct port_security security; /* port_security.h */
	/* stacked tags: forward (802.1Q) or drop (vlan_guard.h) */
	struct vlan_guard vlan_guard;
	/* Security groups and connection-table size (acl.h). */
	struct port_acl_config acl;
	/* rate_limit.h: policing, shaping, storm control */
	struct port_rate_config rate;
	struct port_lldp lldp; /* lldp_mode.h: LLDP off, rx, tx or both */
	struct mcast_port_config mcast; /* mcast_snoop.h: mcast-router */
};

/* ---- threads: what each poll thread keeps of its own ------------------- */

/* vswitchd --cores runs up to this many poll threads. */
#define ENGINE_MAX_THREADS 64
#define PORT_THREAD_NONE   0xffff

/* A poll thread's egress state. Each thread queues frames on its own
 * queue of a port (bridge_port.txq[id]) and lists the ports it queued on
 * here, so two threads can forward to one port at once; the sends
 * themselves are serialised per port (egress.c). */
struct engine_thread {
	uint16_t id;
	uint16_t n_pending;
	uint32_t txq_offset; /* id * sizeof(struct port_txq): its queue in bridge_port.txq */
	struct bridge_port *pending[SWITCH_MAX_PORTS];
};

/* The calling thread's; every thread that never sets it (the daemon's
 * thread 0, the control thread before the poll threads start, tests)
 * shares thread 0's. */
extern __thread struct engine_thread *engine_self;
/* Poll threads a switch created from now on serves: set once at start-up,
 * before any switch exists (vswitchd --cores). 1 by default. */
void engine_set_threads(unsigned n);
unsigned engine_threads(void);

/* One thread's queue of frames for one port. */
struct port_txq {
	struct packet_batch batch;
	bool pending; /* on its thread's engine_thread.pending list */
};

/* A port as the switch sees it, around the provider's handle `dev`
 * (port.h): what forwarding keeps per port. */
struct bridge_port {
	struct port *dev;
	const char *name; /* dev->name */

	struct vswitch *sw;
	uint16_t index;	      /* position in sw->ports */
	bool up;	      /* cached carrier, refreshed by switch_run() */
	uint16_t poll_thread; /* the thread whose pass calls recv(); see datapath.h */

	struct port_config config;
	uint64_t vlans[VLAN_WORDS]; /* membership: PVID plus vids */

	/* The engine's counters, written by the thread that polls the port;
	 * dev->stats are the provider's. */
	struct port_counters counters;
	/* Drops at egress, written by whichever thread holds tx_lock: apart
	 * from `counters` so that two threads never add to one word. */
	uint64_t tx_drops[DROP_MAX];
	struct spinlock tx_lock;   /* held around send() when several threads run */
	struct mirror_port mirror; /* the mirrors it is a source or output of (mirror.c) */
	/* Security groups, NULL when the port has none (acl.c). */
	struct acl_port *acl;
	/* rate_limit.h: the port's buckets and shaper */
	struct port_rate_state rate;
	/* Counters the port had on other hosts before a VM move, set by the
	 * control thread (domain_move.c) and added when counters are read:
	 * never touched per packet. */
	struct port_counters carried;
	/* Frames queued for send(), one queue per poll thread (sw->n_threads),
	 * in the port's own allocation: a thread reaches its queue by an offset,
	 * without a load. */
	struct port_txq txq[];
};

static inline void port_count_drop(struct bridge_port *port, enum drop_reason reason, uint64_t n)
{
	port->counters.drops[reason] += n;
}

static inline void port_count_tx_drop(struct bridge_port *port, enum drop_reason reason, uint64_t n)
{
	port->tx_drops[reason] += n;
}

enum switch_mode {
	SWITCH_MODE_LEARNING,	   /* unknown unicast is flooded (classic bridge) */
	SWITCH_MODE_AUTHORITATIVE, /* unknown unicast goes to the VID's uplink */
};

struct switch_config {
	enum switch_mode mode;
	uint32_t fdb_capacity;
	uint32_t ageing_seconds; /* 0 = never age */
	uint16_t mtu;		 /* payload bytes a frame may carry, 68-65535 */
	/* mcast_snoop.h: IGMP/MLD snooping */
	struct mcast_config mcast;
};

/* A protocol that consumes frames of its own EtherType on a switch (an
 * SEA's heartbeats; later LLDP, LACP, IGMP snooping) registers here, as
 * Linux's MRP registers with br_add_frame(): the pipeline hands it those
 * frames after VLAN ingress, counted as consumed, never forwarded. Its
 * timers run from its own layer, never from the engine. */
#define SWITCH_MAX_FRAME_HANDLERS 4

struct switch_frame_handler {
	uint16_t ethertype;
	/* Takes ownership of the packet. Runs inside the pipeline: it must
	 * record what it needs and return, never call back into the engine. */
	void (*receive)(void *ctx, struct bridge_port *in, struct packet *packet);
	void *ctx;
};

/* A protocol of the link itself (LLDP; later LACP, 802.1X) sends to an
 * IEEE reserved address 01:80:c2:00:00:01-0f, which parse_frame() drops as
 * link-local before VLAN ingress (no bridge relays them). Registered here,
 * it is handed those frames of its EtherType from that drop path, so
 * frames that are forwarded never look. receive() returns true when it
 * took the packet (counted as consumed), false to leave it to be dropped
 * and counted as link-local (a port that does not run the protocol). */
#define SWITCH_MAX_LINK_HANDLERS 4

struct switch_link_handler {
	uint16_t ethertype;
	/* Runs inside the pipeline on the port's poll thread: record, return. */
	bool (*receive)(void *ctx, struct bridge_port *in, struct packet *packet);
	void *ctx;
};

struct vswitch {
	char name[SWITCH_NAME_MAX];
	struct switch_config config;
	struct packet_pool *pool;
	struct fdb *fdb;
	uint32_t now;	    /* seconds, set by switch_run() */
	uint16_t n_threads; /* poll threads that may forward on it (engine_threads) */

	struct bridge_port *ports[SWITCH_MAX_PORTS];
	uint16_t n_ports; /* highest index in use + 1 */
	uint16_t passthrough_port;

	uint64_t uplinks[PORT_SET_WORDS];
	uint64_t isolated[PORT_SET_WORDS]; /* private- and VEPA-mode ports */
	/* Per VID: the ports a flood reaches (members that are up, and of the
	 * uplinks only the active one), and the active uplink. */
	uint64_t flood_set[VLAN_COUNT][PORT_SET_WORDS];
	uint16_t active_uplink[VLAN_COUNT];
	uint64_t vids_in_use[VLAN_WORDS]; /* VIDs some port is a member of */

	uint64_t fdb_full; /* learning found the table full (learn.c: who gives way) */

	/* Uplinks that became a VID's active uplink since the last
	 * announcement: the outside must relearn our clients through them. */
	uint64_t announce_pending[PORT_SET_WORDS];

	/* Protocols that consume frames of their own (switch_add_frame_handler). */
	struct switch_frame_handler handlers[SWITCH_MAX_FRAME_HANDLERS];
	uint8_t n_handlers;

	struct switch_mirrors mirrors; /* SPAN, ERSPAN and captures (mirror.c) */
	uint16_t n_shaped;	       /* ports with egress shaping (shaper.c) */
	struct ipfix_cache *ipfix;     /* flow export, NULL when off (ipfix_cache.c) */

	/* Link-local protocols (switch_add_link_handler). */
	struct switch_link_handler link_handlers[SWITCH_MAX_LINK_HANDLERS];
	uint8_t n_link_handlers;
	struct mcast_state *mcast;     /* IGMP/MLD snooping, NULL when off (mcast_snoop.c) */
};

void switch_config_init(struct switch_config *config);
/* Defaults: pvid 1, no vids, learning on, veb, no limit. */
void port_config_init(struct port_config *config);
/* A port's counters as the CLI shows them: the engine's plus what its
 * provider counted (transmits, and drops the provider saw). */
void bridge_port_counters(const struct bridge_port *port, struct port_counters *out);
/* Zeroes both (counters clear). */
void switch_clear_counters(struct bridge_port *port);
/* Creates an empty switch whose ports use `pool`. NULL with err set. */
struct vswitch *switch_create(const char *name, const struct switch_config *config,
			      struct packet_pool *pool, char *err, size_t err_size);
/* Destroys the switch and every port on it, keeping the ports' persistent
 * devices (port_destroy); NULL is a no-op. */
void switch_destroy(struct vswitch *sw);
/* The same, removing the devices too when `remove_devices` (port_remove). */
void switch_destroy_removing(struct vswitch *sw, bool remove_devices);
/* Checks a port configuration's ranges and combinations. */
int port_config_validate(const char *name, const struct port_config *config, char *err,
			 size_t err_size);
/* Checks a port configuration: ranges, and that it fits this switch. */
int switch_check_port_config(const struct vswitch *sw, const struct bridge_port *port,
			     const struct port_config *config, char *err, size_t err_size);
/* Adds a created port with its settings; the switch owns it on success
 * (and wraps it in a bridge port), the caller still does on failure. */
int switch_add_port(struct vswitch *sw, struct port *dev, const struct port_config *config,
		    char *err, size_t err_size);
/* Replaces a port's settings; MACs learned on VLANs it leaves are flushed. */
int switch_configure_port(struct vswitch *sw, struct bridge_port *port,
			  const struct port_config *config, char *err, size_t err_size);
/* Removes and destroys a port, flushing its MACs. `remove_device`: the port
 * leaves the model (or changes type or device), so the devices it made go
 * too (port_remove); else they stay for a port that reopens them. */
void switch_del_port(struct vswitch *sw, struct bridge_port *port, bool remove_device);
struct bridge_port *switch_find_port(const struct vswitch *sw, const char *name);
/* Adds a static MAC on a port, which must be a member of vid. */
int switch_add_static_mac(struct vswitch *sw, struct bridge_port *port, uint16_t vid,
			  const uint8_t *mac, char *err, size_t err_size);
int switch_del_mac(struct vswitch *sw, uint16_t vid, const uint8_t *mac);
/* Housekeeping, called at least once a second: advances the clock, ages a
 * slice of the MAC table, refreshes carriers and the VLAN tables. */
void switch_run(struct vswitch *sw, uint32_t now);
/* Reads every port's carrier now (a link event, an SEA changing its
 * trunks); on a change, flushes the MACs behind dead links, recomputes the
 * VLAN tables and sends the announcements that a new active uplink owes.
 * Returns true if some port's link changed. */
bool switch_refresh_links(struct vswitch *sw);
/* The same for uplinks only, which decide failovers: cheap enough to run
 * every few milliseconds. The kernel reports some carrier changes to
 * rtnetlink through its link watch, up to a second late (a NIC driver's, a
 * tap's TUNSETCARRIER until someone reads it); the carrier itself is read at
 * once. Returns how many uplinks have a carrier to read. */
uint32_t switch_refresh_uplinks(struct vswitch *sw);
/* Reads the uplinks' carriers as switch_refresh_uplinks() does but changes
 * nothing: sets *changed if one differs from port->up. Safe while other
 * poll threads forward (port.h: carrier() may run beside recv and send), so
 * thread 0 pauses them only when there is a change to apply. Returns how
 * many uplinks have a carrier to read. */
uint32_t switch_probe_uplinks(const struct vswitch *sw, bool *changed);
/* Registers a consumer of `ethertype` frames. -EEXIST if one is there,
 * -ENOSPC when SWITCH_MAX_FRAME_HANDLERS are. */
int switch_add_frame_handler(struct vswitch *sw, uint16_t ethertype,
			     void (*receive)(void *ctx, struct bridge_port *in,
					     struct packet *packet),
			     void *ctx);
/* Removes the handler of `ethertype` registered with `ctx`, if any. */
void switch_del_frame_handler(struct vswitch *sw, uint16_t ethertype, const void *ctx);
/* The handler of `ethertype`, or NULL. */
static inline const struct switch_frame_handler *switch_frame_handler(const struct vswitch *sw,
								      uint16_t ethertype)
{
	for (unsigned i = 0; i < sw->n_handlers; i++)
		if (sw->handlers[i].ethertype == ethertype)
			return &sw->handlers[i];
	return NULL;
}
/* Registers a consumer of link-local `ethertype` frames (see struct
 * switch_link_handler). -EEXIST if one is there, -ENOSPC when full. */
int switch_add_link_handler(struct vswitch *sw, uint16_t ethertype,
			    bool (*receive)(void *ctx, struct bridge_port *in,
					    struct packet *packet),
			    void *ctx);
/* Removes the link-local handler of `ethertype` registered with `ctx`, if any. */
void switch_del_link_handler(struct vswitch *sw, uint16_t ethertype, const void *ctx);
/* The link-local handler of `ethertype`, or NULL. */
static inline const struct switch_link_handler *switch_link_handler(const struct vswitch *sw,
								    uint16_t ethertype)
{
	for (unsigned i = 0; i < sw->n_link_handlers; i++)
		if (sw->link_handlers[i].ethertype == ethertype)
			return &sw->link_handlers[i];
	return NULL;
}
/* Acts on the events a port's provider raised (port.h) and clears them. */
void switch_port_events(struct vswitch *sw, struct bridge_port *port);
/* Sends the announcements pending since an uplink became active. */
void switch_announce_pending(struct vswitch *sw);
/* Recomputes flood sets and active uplinks after a configuration or
 * carrier change. */
void switch_update_vlans(struct vswitch *sw);

/* ---- vlan.c: 802.1Q ingress and egress rules ---------------------------- */

/* Classifies a frame on ingress: sets *vid and returns DROP_NONE, or the
 * reason it is dropped (not a member, VID 4095, inactive uplink, stacked
 * tags on a port with the guard). */
enum drop_reason vlan_ingress(const struct vswitch *sw, const struct bridge_port *in,
			      const struct frame_header *header, uint16_t *vid);
/* Gives the packet the form it leaves `out` in: untagged iff its VID is the
 * port's PVID. Returns false if a tag cannot be pushed. */
bool vlan_egress(struct packet *packet, const struct bridge_port *out);

/* ---- learn.c: source MAC learning --------------------------------------- */

/* Learns (VID, source MAC) of every packet of the batch on `in` (src_hash
 * set); marks frames that break a learning rule (MAC limit, static
 * conflict) dropped. */
void learn_batch(struct vswitch *sw, struct bridge_port *in, struct packet_batch *batch);

/* ---- forward.c: the per-packet decision --------------------------------- */

/* Where a frame from `in` on `vid` to `dst` goes, given the MAC table's
 * answer (NULL when unknown): a port index, FORWARD_FLOOD, or FORWARD_DROP
 * with *why set. Pure. */
uint16_t forward_decide(const struct vswitch *sw, const struct bridge_port *in, uint16_t vid,
			const uint8_t *dst, const struct fdb_entry *known, enum drop_reason *why);
/* Looks up (dst_hash set for unicast) and decides for the whole batch:
 * sets out_port, or drop. */
void forward_batch(struct vswitch *sw, struct bridge_port *in, struct packet_batch *batch);

/* ---- flood.c: broadcast, multicast and unknown unicast ------------------ */

/* The ports a flooded frame from `in` on `vid` reaches. */
void flood_ports(const struct vswitch *sw, const struct bridge_port *in, uint16_t vid,
		 uint64_t out[PORT_SET_WORDS]);
/* Queues a copy of the packet on each of those ports; frees it if none.
 * `self` is engine_self, read once per batch by the caller. */
void flood_packet(struct engine_thread *self, struct vswitch *sw, struct bridge_port *in,
		  struct packet *packet);
/* The same to the ports of `set` (a subset of flood_ports(): snooping). */
void flood_packet_to(struct vswitch *sw, struct bridge_port *in, struct packet *packet,
		     const uint64_t set[PORT_SET_WORDS]);

/* ---- egress.c: per-port transmit queues --------------------------------- */

/* Queues the packet for `out` (ownership passes), sending the queue at once
 * if it is full. */
void egress_enqueue(struct vswitch *sw, struct bridge_port *out, struct packet *packet);
/* The same for a caller that holds engine_self already (once per batch). */
void egress_enqueue_on(struct engine_thread *self, struct bridge_port *out, struct packet *packet);
/* Tags each frame the calling thread queued for its port and hands the
 * queues to the ports. */
void egress_flush(struct vswitch *sw);
/* Hands a batch of frames in their final form to the port (send()), copying
 * them to the port's tx mirrors first; under the port's tx_lock. */
void egress_transmit(struct bridge_port *port, struct packet_batch *out);

/* ---- announce.c: telling the outside where the clients are --------------- */

/* Sends one gratuitous RARP out of `out` for every client MAC (learned or
 * static on a port that is not an uplink) in each VLAN `out` carries.
 * Returns how many were sent. */
uint32_t switch_announce(struct vswitch *sw, struct bridge_port *out);
/* A gratuitous RARP from `mac` in VLAN `vid`, run through the pipeline as
 * if `in` had received it (a VM that just moved here: the local switch and
 * every switch beyond the uplinks relearn the MAC at once). On the
 * data-plane thread; 0, or -ENOBUFS when no buffer was free. */
int switch_announce_from(struct vswitch *sw, struct bridge_port *in, const uint8_t mac[6],
			 uint16_t vid);

/* ---- pipeline.c: the stages, in order ----------------------------------- */

/* Runs one batch received on `in` through parse, VLAN ingress, learning,
 * lookup and egress. Takes ownership of every packet. */
void pipeline_run(struct vswitch *sw, struct bridge_port *in, struct packet_batch *batch);
/* Receives one batch from every port of the switch and forwards it.
 * Returns the number of frames received. */
uint32_t switch_poll(struct vswitch *sw);
/* The same for the ports whose poll_thread is `thread`, taking buffers from
 * `pool` (that thread's). */
uint32_t switch_poll_thread(struct vswitch *sw, uint16_t thread, struct packet_pool *pool);

#endif
