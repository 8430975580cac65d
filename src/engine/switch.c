/* switch.c — a switch and its ports: creation, port settings and their
 * checks, static MACs, housekeeping (clock, aging, carrier), and the per-VID
 * tables the fast path reads (flood sets, active uplink). A daemon runs
 * several switches; each owns its ports and MAC table. */
#include "engine.h"

#include "lib/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* Slots aged per switch_run(): a full sweep of a 1M-entry table in ~30 calls. */
#define AGE_BUDGET 65536

static struct engine_thread thread_zero;
__thread struct engine_thread *engine_self = &thread_zero;
static unsigned n_threads = 1;

void engine_set_threads(unsigned n)
{
	n_threads = n < 1 ? 1 : n > ENGINE_MAX_THREADS ? ENGINE_MAX_THREADS : n;
}

unsigned engine_threads(void)
{
	return n_threads;
}

void switch_config_init(struct switch_config *config)
{
	config->mode = SWITCH_MODE_LEARNING;
	config->fdb_capacity = FDB_DEFAULT_CAPACITY;
	config->ageing_seconds = DEFAULT_AGEING_SECONDS;
	config->mtu = DEFAULT_MTU;
	mcast_config_init(&config->mcast);
}

struct vswitch *switch_create(const char *name, const struct switch_config *config,
			      struct packet_pool *pool, char *err, size_t err_size)
{
	if (name[0] == '\0' || strlen(name) >= SWITCH_NAME_MAX) {
		snprintf(err, err_size, "switch '%s': name must be 1-%d characters", name,
			 SWITCH_NAME_MAX - 1);
		return NULL;
	}
	if (config->fdb_capacity == 0 || config->fdb_capacity > FDB_MAX_CAPACITY) {
		snprintf(err, err_size, "switch %s: fdb capacity %u out of range 1-%u", name,
			 config->fdb_capacity, FDB_MAX_CAPACITY);
		return NULL;
	}
	if (config->mtu < 68) {
		snprintf(err, err_size, "switch %s: mtu %u below the IPv4 minimum 68", name,
			 config->mtu);
		return NULL;
	}
	struct vswitch *sw = calloc(1, sizeof(*sw));
	if (!sw) {
		snprintf(err, err_size, "switch %s: out of memory", name);
		return NULL;
	}
	sw->fdb = fdb_create(config->fdb_capacity);
	if (!sw->fdb) {
		snprintf(err, err_size, "switch %s: out of memory for %u MAC entries", name,
			 config->fdb_capacity);
		free(sw);
		return NULL;
	}
	copy_name(sw->name, sizeof(sw->name), name);
	sw->config = *config;
	sw->pool = pool;
	sw->n_threads = (uint16_t)n_threads;
	/* Frames may arrive before the first switch_run(): learn them with the
	 * right age, not 0 (which the first housekeeping would expire). */
	sw->now = time_now_seconds();
	sw->passthrough_port = PORT_INDEX_NONE;
	for (unsigned vid = 0; vid < VLAN_COUNT; vid++)
		sw->active_uplink[vid] = PORT_INDEX_NONE;
	mcast_configure(sw);
	return sw;
}

static void bridge_port_free(struct bridge_port *port, bool remove_device);

void switch_destroy(struct vswitch *sw)
{
	switch_destroy_removing(sw, false);
}

void switch_destroy_removing(struct vswitch *sw, bool remove_devices)
{
	if (!sw)
		return;
	for (uint16_t i = 0; i < sw->n_ports; i++)
		if (sw->ports[i])
			bridge_port_free(sw->ports[i], remove_devices);
	mirror_clear(sw);
	ipfix_cache_destroy(sw->ipfix);
	mcast_destroy(sw);
	fdb_destroy(sw->fdb);
	free(sw);
}

void port_config_init(struct port_config *config)
{
	memset(config, 0, sizeof(*config));
	config->pvid = 1;
	config->mode = PORT_MODE_VEB;
	config->learning = true;
}

int port_config_validate(const char *name, const struct port_config *config, char *err,
			 size_t err_size)
{
	if (config->pvid > VID_MAX) {
		snprintf(err, err_size, "port %s: pvid %u out of range 1-%u or none", name,
			 config->pvid, VID_MAX);
		return -ERANGE;
	}
	if (bitset_test(config->vids, 0) || bitset_test(config->vids, 4095)) {
		snprintf(err, err_size,
			 "port %s: vids must be in range 1-%u (0 and 4095 are reserved)", name,
			 VID_MAX);
		return -ERANGE;
	}
	if (config->trunk_priority > 15) {
		snprintf(err, err_size, "port %s: trunk-priority %u out of range 1-15", name,
			 config->trunk_priority);
		return -ERANGE;
	}
	if (config->trunk_priority && !config->uplink) {
		snprintf(err, err_size, "port %s: trunk-priority applies only to an uplink port",
			 name);
		return -EINVAL;
	}
	if (config->mode > PORT_MODE_PASSTHROUGH) {
		snprintf(err, err_size, "port %s: unknown mode %d", name, (int)config->mode);
		return -EINVAL;
	}
	if (config->uplink && config->mode != PORT_MODE_VEB) {
		snprintf(err, err_size, "port %s: an uplink forwards in veb mode only", name);
		return -EINVAL;
	}
	int error = port_security_validate(name, &config->security, err, err_size);
	return error ? error : rate_limit_validate(name, &config->rate, err, err_size);
}

int switch_check_port_config(const struct vswitch *sw, const struct bridge_port *port,
			     const struct port_config *config, char *err, size_t err_size)
{
	int error = port_config_validate(port->name, config, err, err_size);
	if (error)
		return error;
	if (config->mode == PORT_MODE_PASSTHROUGH && sw->passthrough_port != PORT_INDEX_NONE &&
	    sw->passthrough_port != port->index) {
		snprintf(err, err_size,
			 "port %s: port %s already owns the uplink in passthrough mode", port->name,
			 sw->ports[sw->passthrough_port]->name);
		return -EBUSY;
	}
	return 0;
}

static void apply_port_config(struct vswitch *sw, struct bridge_port *port,
			      const struct port_config *config)
{
	uint64_t left[VLAN_WORDS];
	memcpy(left, port->vlans, sizeof(left));

	port->config = *config;
	memcpy(port->vlans, config->vids, sizeof(port->vlans));
	if (config->pvid)
		bitset_set(port->vlans, config->pvid);

	if (config->uplink)
		bitset_set(sw->uplinks, port->index);
	else
		bitset_clear(sw->uplinks, port->index);
	if (config->mode == PORT_MODE_PRIVATE || config->mode == PORT_MODE_VEPA)
		bitset_set(sw->isolated, port->index);
	else
		bitset_clear(sw->isolated, port->index);
	if (config->mode == PORT_MODE_PASSTHROUGH)
		sw->passthrough_port = port->index;
	else if (sw->passthrough_port == port->index)
		sw->passthrough_port = PORT_INDEX_NONE;

	/* A MAC learned on a VLAN the port has left must not keep pulling
	 * frames towards it. */
	bool any_left = false;
	for (unsigned w = 0; w < VLAN_WORDS; w++) {
		left[w] &= ~port->vlans[w];
		any_left |= left[w] != 0;
	}
	if (any_left)
		fdb_flush(sw->fdb, port->index, left, true);
	switch_update_vlans(sw);
}

int switch_add_port(struct vswitch *sw, struct port *dev, const struct port_config *config,
		    char *err, size_t err_size)
{
	if (switch_find_port(sw, dev->name)) {
		snprintf(err, err_size, "port %s: already exists on switch %s", dev->name,
			 sw->name);
		return -EEXIST;
	}
	uint16_t index = 0;
	while (index < sw->n_ports && sw->ports[index])
		index++;
	if (index == SWITCH_MAX_PORTS) {
		snprintf(err, err_size, "switch %s: no room for port %s (at most %d ports)",
			 sw->name, dev->name, SWITCH_MAX_PORTS);
		return -ENOSPC;
	}
	struct bridge_port *port =
	    calloc(1, sizeof(*port) + sw->n_threads * sizeof(struct port_txq));
	if (!port) {
		snprintf(err, err_size, "port %s: out of memory", dev->name);
		return -ENOMEM;
	}
	port->poll_thread = sw->n_threads > 1 ? PORT_THREAD_NONE : 0;
	port->dev = dev;
	port->name = dev->name;
	port->index = index;
	int error = switch_check_port_config(sw, port, config, err, err_size);
	if (!error)
		error = rate_limit_configure(sw, port, &config->rate, err, err_size);
	if (error) {
		free(port);
		return error;
	}
	port->sw = sw;
	sw->ports[index] = port;
	if (index == sw->n_ports)
		sw->n_ports++;
	port->up = dev->class->carrier ? dev->class->carrier(dev) : true;
	apply_port_config(sw, port, config);
	if (UNLIKELY(sw->mirrors.n))
		mirror_bind(sw); /* the port may be a mirror's source or output */
	return 0;
}

/* Frees the bridge port and closes its provider, keeping or removing the
 * devices it made. */
static void bridge_port_free(struct bridge_port *port, bool remove_device)
{
	for (uint16_t t = 0; t < port->sw->n_threads; t++)
		for (uint32_t i = 0; i < port->txq[t].batch.count; i++)
			packet_free_any(port->txq[t].batch.packets[i]);
	rate_limit_release(port);
	if (remove_device)
		port_remove(port->dev);
	else
		port_destroy(port->dev);
	acl_port_destroy(port->acl);
	free(port);
}

int switch_configure_port(struct vswitch *sw, struct bridge_port *port,
			  const struct port_config *config, char *err, size_t err_size)
{
	int error = switch_check_port_config(sw, port, config, err, err_size);
	if (!error)
		error = rate_limit_configure(sw, port, &config->rate, err, err_size);
	if (error)
		return error;
	apply_port_config(sw, port, config);
	return 0;
}

void switch_del_port(struct vswitch *sw, struct bridge_port *port, bool remove_device)
{
	fdb_flush(sw->fdb, port->index, NULL, true);
	sw->ports[port->index] = NULL;
	bitset_clear(sw->uplinks, port->index);
	bitset_clear(sw->isolated, port->index);
	if (sw->passthrough_port == port->index)
		sw->passthrough_port = PORT_INDEX_NONE;
	while (sw->n_ports > 0 && !sw->ports[sw->n_ports - 1])
		sw->n_ports--;
	switch_update_vlans(sw);
	if (UNLIKELY(sw->mirrors.n))
		mirror_bind(sw); /* no mirror keeps the port it loses */
	bridge_port_free(port, remove_device);
}

int switch_add_frame_handler(struct vswitch *sw, uint16_t ethertype,
			     void (*receive)(void *ctx, struct bridge_port *in,
					     struct packet *packet),
			     void *ctx)
{
	if (switch_frame_handler(sw, ethertype))
		return -EEXIST;
	if (sw->n_handlers == SWITCH_MAX_FRAME_HANDLERS)
		return -ENOSPC;
	sw->handlers[sw->n_handlers++] =
	    (struct switch_frame_handler){.ethertype = ethertype, .receive = receive, .ctx = ctx};
	return 0;
}

void switch_del_frame_handler(struct vswitch *sw, uint16_t ethertype, const void *ctx)
{
	for (unsigned i = 0; i < sw->n_handlers; i++) {
		if (sw->handlers[i].ethertype != ethertype || sw->handlers[i].ctx != ctx)
			continue;
		sw->handlers[i] = sw->handlers[--sw->n_handlers];
		return;
	}
}

int switch_add_link_handler(struct vswitch *sw, uint16_t ethertype,
			    bool (*receive)(void *ctx, struct bridge_port *in,
					    struct packet *packet),
			    void *ctx)
{
	if (switch_link_handler(sw, ethertype))
		return -EEXIST;
	if (sw->n_link_handlers == SWITCH_MAX_LINK_HANDLERS)
		return -ENOSPC;
	sw->link_handlers[sw->n_link_handlers++] =
	    (struct switch_link_handler){.ethertype = ethertype, .receive = receive, .ctx = ctx};
	return 0;
}

void switch_del_link_handler(struct vswitch *sw, uint16_t ethertype, const void *ctx)
{
	for (unsigned i = 0; i < sw->n_link_handlers; i++) {
		if (sw->link_handlers[i].ethertype != ethertype || sw->link_handlers[i].ctx != ctx)
			continue;
		sw->link_handlers[i] = sw->link_handlers[--sw->n_link_handlers];
		return;
	}
}

struct bridge_port *switch_find_port(const struct vswitch *sw, const char *name)
{
	for (uint16_t i = 0; i < sw->n_ports; i++)
		if (sw->ports[i] && strcmp(sw->ports[i]->name, name) == 0)
			return sw->ports[i];
	return NULL;
}

int switch_add_static_mac(struct vswitch *sw, struct bridge_port *port, uint16_t vid,
			  const uint8_t *mac, char *err, size_t err_size)
{
	if (vid < 1 || vid > VID_MAX) {
		snprintf(err, err_size, "fdb: vid %u out of range 1-%u", vid, VID_MAX);
		return -ERANGE;
	}
	if (mac_is_group(mac) || mac_is_zero(mac)) {
		snprintf(err, err_size, "fdb: %02x:%02x:%02x:%02x:%02x:%02x is not a unicast MAC",
			 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
		return -EINVAL;
	}
	if (!bitset_test(port->vlans, vid)) {
		snprintf(err, err_size, "fdb: port %s is not a member of vlan %u", port->name, vid);
		return -EINVAL;
	}
	uint64_t key = fdb_key(vid, mac);
	uint64_t hash = hash_u64(key);
	struct fdb_entry *e = fdb_find(sw->fdb, key, hash);
	if (e)
		fdb_remove(sw->fdb, e);
	/* A full table makes room: a configured MAC outranks a learned one. */
	if (sw->fdb->count >= sw->fdb->capacity)
		fdb_evict_dynamic(sw->fdb, hash);
	if (!fdb_insert(sw->fdb, key, hash, port->index, FDB_F_STATIC, sw->now)) {
		snprintf(err, err_size, "fdb: switch %s MAC table is full (%u entries)", sw->name,
			 sw->fdb->capacity);
		return -ENOSPC;
	}
	return 0;
}

int switch_del_mac(struct vswitch *sw, uint16_t vid, const uint8_t *mac)
{
	uint64_t key = fdb_key(vid, mac);
	struct fdb_entry *e = fdb_find(sw->fdb, key, hash_u64(key));
	if (!e)
		return -ENOENT;
	fdb_remove(sw->fdb, e);
	return 0;
}

/* Reads one port's carrier; on a change, flushes the MACs behind a dead
 * link. Returns true when the carrier changed. */
static bool read_carrier(struct vswitch *sw, struct bridge_port *port)
{
	bool up = port->dev->class->carrier(port->dev);
	if (up == port->up)
		return false;
	port->up = up;
	/* Frames for MACs behind a dead link would be lost until aged. */
	if (!up)
		fdb_flush(sw->fdb, port->index, NULL, false);
	return true;
}

/* After carriers changed: new VLAN tables, and announcements from every
 * uplink that took a VID over from another (a failover): the outside must
 * relearn that VID's clients through it. */
static void carriers_changed(struct vswitch *sw)
{
	uint16_t before[VLAN_COUNT];
	memcpy(before, sw->active_uplink, sizeof(before));
	switch_update_vlans(sw);
	for (unsigned vid = 1; vid <= VID_MAX; vid++) {
		uint16_t now_active = sw->active_uplink[vid];
		if (now_active != before[vid] && now_active != PORT_INDEX_NONE)
			bitset_set(sw->announce_pending, now_active);
	}
	switch_announce_pending(sw);
}

bool switch_refresh_links(struct vswitch *sw)
{
	bool changed = false;
	for (uint16_t i = 0; i < sw->n_ports; i++) {
		struct bridge_port *port = sw->ports[i];
		if (port && port->dev->class->carrier)
			changed |= read_carrier(sw, port);
	}
	if (changed)
		carriers_changed(sw);
	else
		switch_announce_pending(sw);
	return changed;
}

uint32_t switch_refresh_uplinks(struct vswitch *sw)
{
	bool changed = false;
	uint32_t checked = 0;
	for (unsigned w = 0; w < PORT_SET_WORDS; w++) {
		for (uint64_t bits = sw->uplinks[w]; bits; bits &= bits - 1) {
			struct bridge_port *port =
			    sw->ports[w * 64 + (unsigned)__builtin_ctzll(bits)];
			if (!port || !port->dev->class->carrier)
				continue;
			changed |= read_carrier(sw, port);
			checked++;
		}
	}
	if (changed)
		carriers_changed(sw);
	return checked;
}

uint32_t switch_probe_uplinks(const struct vswitch *sw, bool *changed)
{
	uint32_t checked = 0;
	for (unsigned w = 0; w < PORT_SET_WORDS; w++) {
		for (uint64_t bits = sw->uplinks[w]; bits; bits &= bits - 1) {
			const struct bridge_port *port =
			    sw->ports[w * 64 + (unsigned)__builtin_ctzll(bits)];
			if (!port || !port->dev->class->carrier)
				continue;
			*changed |= port->dev->class->carrier(port->dev) != port->up;
			checked++;
		}
	}
	return checked;
}

void switch_announce_pending(struct vswitch *sw)
{
	for (unsigned w = 0; w < PORT_SET_WORDS; w++) {
		for (uint64_t bits = sw->announce_pending[w]; bits; bits &= bits - 1) {
			uint16_t i = (uint16_t)(w * 64 + (unsigned)__builtin_ctzll(bits));
			struct bridge_port *port = i < sw->n_ports ? sw->ports[i] : NULL;
			if (!port || !port->up)
				continue;
			unsigned vlans = 0;
			for (unsigned vid = 1; vid <= VID_MAX; vid++)
				vlans += sw->active_uplink[vid] == i;
			uint32_t sent = switch_announce(sw, port);
			log_info(
			    "switch %s: %s is the active uplink of %u VLAN(s) now: announced %u "
			    "client MAC/VLAN pairs",
			    sw->name, port->name, vlans, sent);
		}
		sw->announce_pending[w] = 0;
	}
}

void switch_run(struct vswitch *sw, uint32_t now)
{
	sw->now = now;
	if (sw->config.ageing_seconds)
		fdb_age(sw->fdb, now, sw->config.ageing_seconds, AGE_BUDGET);
	if (sw->ipfix)
		ipfix_switch_run(sw);
	for (uint16_t i = 0; i < sw->n_ports; i++) {
		struct bridge_port *port = sw->ports[i];
		if (port && port->dev->class->update_stats)
			port->dev->class->update_stats(port->dev);
		if (port && port->dev->events)
			switch_port_events(sw, port);
	}
	switch_refresh_links(sw);
	if (UNLIKELY(sw->mcast))
		mcast_run(sw, now);
}

/* The active uplink of a VID is the live uplink member with the lowest
 * trunk priority (unset counts as 16), ties to the lowest index: PowerVM's
 * rule for several trunk adapters on one VLAN. Only it carries the VID, so
 * two uplinks into one LAN never make a loop, and two SEAs that both claim
 * to be active never both get the VLAN's frames. */
static void update_vlan(struct vswitch *sw, unsigned vid)
{
	uint64_t *set = sw->flood_set[vid];
	memset(set, 0, sizeof(sw->flood_set[vid]));
	uint16_t best = PORT_INDEX_NONE;
	unsigned best_priority = 99;
	for (uint16_t i = 0; i < sw->n_ports; i++) {
		const struct bridge_port *port = sw->ports[i];
		if (!port || !port->up || !bitset_test(port->vlans, vid))
			continue;
		if (!port->config.uplink) {
			bitset_set(set, i);
			continue;
		}
		unsigned priority = port->config.trunk_priority ? port->config.trunk_priority : 16;
		if (priority < best_priority) {
			best = i;
			best_priority = priority;
		}
	}
	sw->active_uplink[vid] = best;
	if (best != PORT_INDEX_NONE)
		bitset_set(set, best);
}

/* Only VIDs some port used before or uses now can change. */
void switch_update_vlans(struct vswitch *sw)
{
	uint64_t in_use[VLAN_WORDS] = {0};
	for (uint16_t i = 0; i < sw->n_ports; i++)
		if (sw->ports[i])
			for (unsigned w = 0; w < VLAN_WORDS; w++)
				in_use[w] |= sw->ports[i]->vlans[w];
	for (unsigned w = 0; w < VLAN_WORDS; w++) {
		for (uint64_t bits = in_use[w] | sw->vids_in_use[w]; bits; bits &= bits - 1) {
			unsigned vid = w * 64 + (unsigned)__builtin_ctzll(bits);
			if (vid >= 1 && vid <= VID_MAX)
				update_vlan(sw, vid);
		}
	}
	memcpy(sw->vids_in_use, in_use, sizeof(in_use));
	if (UNLIKELY(sw->mirrors.n))
		mirror_exclude_outputs(sw);
}
