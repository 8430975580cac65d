/* port.h — the provider interface: what a port type owns (I/O, carrier,
 * features, its own statistics) and nothing of forwarding.
 *
 * Every port type (pipe, pcap, tap, afpacket, internal, vnic, patch, bond,
 * and later afxdp, vxlan, vhost-user) implements one `struct port_class`;
 * port.c is the only place that knows the list of types, and nothing else
 * asks which type a port is. The switch wraps each `struct port` in its own
 * `struct bridge_port` (engine.h: VLANs, learning, counters, transmit queue)
 * as Open vSwitch keeps `struct netdev` apart from `dp_netdev_port` and Linux
 * `net_device` apart from `net_bridge_port`: a provider never sees the
 * switch, and tells it about events through `port->events`. */
#ifndef VSWITCH_PORT_H
#define VSWITCH_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/packet.h"

#define PORT_NAME_MAX	32
#define PORT_IFNAME_MAX 96 /* "NETNS/IFNAME" */

struct port;
struct port_status;

/* The provider interface, and its threading contract (docs/cores.md):
 * with vswitchd --cores several poll threads forward at once.
 *  - recv() runs on one poll thread, the port's (bridge_port.poll_thread);
 *  - send() may run on any poll thread, never on two at once for one port
 *    (the engine serialises sends per port, once per batch), and may run
 *    concurrently with the same port's recv() on another thread: state the
 *    two share needs the provider's own care (a lock per batch at most);
 *  - carrier() runs on poll thread 0 while the others may be in recv() and
 *    send() of the same port (the uplinks' carriers are read every 10 ms
 *    without a pause): it only reads, and state recv() may change under it
 *    (a reattached queue, a vhost-user reset) is read under the provider's
 *    own lock;
 *  - every other operation runs while all poll threads are paused;
 *  - packets come from the receiving thread's pool (recv()'s `pool`): free
 *    a packet on the thread that received it or in send(), and never keep
 *    one across calls unless the type is designed to (patch, pipe: those
 *    adopt a packet of another pool on receive, packet_adopt()).
 * With one thread (the default) all of it holds trivially. */
struct port_class {
	const char *type; /* "pipe", "pcap", ... as the CLI spells it */

	/* Opens the port's I/O. `options` is a NULL-terminated array of
	 * "key=value" strings of this type (may be NULL when there are none).
	 * May set port->priv. Returns 0, or a negative errno with a message for
	 * the operator in err. Required. */
	int (*open)(struct port *port, const char *const *options, char *err, size_t err_size);

	/* Releases everything open() took, including packets still queued.
	 * A device the port made stays: an internal port's interface and a
	 * VM's tap are persistent, so a restart, a crash or a port rebuilt on
	 * the same device keeps them with their MAC, addresses, routes and MTU,
	 * and the next open() of that type and device adopts them. Required. */
	void (*close)(struct port *port);

	/* What close() does, and then removes the devices close() would keep.
	 * Called instead of close() when the port leaves for good — gone from
	 * the model, or rebuilt with another type or device — and at a
	 * shutdown with --remove-devices: the caller decides, the provider
	 * never guesses. Devices the port did not make (an afpacket's NIC, a
	 * tap libvirt made, the tap a vnic attached to) stay; one still in use
	 * elsewhere (a tap a QEMU holds) stays and is logged. NULL: the type
	 * makes no device, close() is all. */
	void (*remove)(struct port *port);

	/* Receives at most BATCH_SIZE - batch->count frames into `batch`,
	 * buffers taken from `pool`. A frame whose tag the kernel stripped sets
	 * PACKET_F_META_VLAN and meta_tci. Returns the number received (0 when
	 * idle) or a negative errno. NULL: the port never receives. */
	int (*recv)(struct port *port, struct packet_pool *pool, struct packet_batch *batch);

	/* Transmits every packet of `batch`. The caller transfers ownership of
	 * all the packets: the provider frees each one, sent or not, counts
	 * stats.tx_packets/tx_bytes for those sent and tx_errors or tx_full for
	 * the others, and leaves batch->count at 0. Required. */
	void (*send)(struct port *port, struct packet_batch *batch);

	/* Link state. NULL: the link is always up. */
	bool (*carrier)(const struct port *port);

	/* Raises or lowers the link as the far side sees it (a tap's carrier),
	 * without closing the port: how a standby SEA tells the hypervisor
	 * switch not to use its trunk. Returns 0 or a negative errno. NULL:
	 * the type cannot signal its link. */
	int (*set_link)(struct port *port, bool up);

	/* A file descriptor that becomes readable when recv() has frames, for
	 * the daemon's wait set (lib/waitset.h); -1 or NULL: the port must be polled. */
	int (*wait_fd)(const struct port *port);

	/* Several such fds (a port of several queues, each its own socket):
	 * writes up to `max` into fds, returns how many. NULL: wait_fd() is
	 * the port's one fd. port_wait_fds() asks the right one. */
	int (*wait_fds)(const struct port *port, int *fds, int max);

	/* The interfaces a port of this type with these options would drive,
	 * found without opening anything, so that the control plane refuses
	 * two ports on one interface before it touches either. Writes up to
	 * `max` names ("NETNS/IFNAME" for another namespace) and returns how
	 * many. NULL: the type drives no interface. */
	int (*interfaces)(const char *name, const char *const *options,
			  char (*out)[PORT_IFNAME_MAX], int max);

	/* What this type knows of its port beyond the common state (OVS's
	 * get_status): a sentence for `port show` and `TYPE show`, and typed
	 * fields for their JSON (port_status_*() below). Returns 0 or a
	 * negative errno. NULL: nothing to add. */
	int (*status)(const struct port *port, struct port_status *out);

	/* Adds to the port's stats what the kernel counted for it (frames
	 * dropped before the switch saw them: rx_overflow). Called about once
	 * a second. NULL: nothing to collect. */
	void (*update_stats)(struct port *port);
};

/* What a port can transmit, set by open(). Frames with offload metadata
 * (PACKET_F_OFFLOAD) go to a port without PORT_F_OFFLOAD only after the
 * egress stage has segmented them and completed their checksums. */
enum port_features {
	PORT_F_OFFLOAD = 1 << 0, /* takes a virtio-net header: GSO and partial checksums */
};

/* What a provider counts itself; the switch shows them with its own
 * counters (drop reasons tx-error, tx-full, oversize, uplink-inactive and
 * rx-overflow in counters.h). */
struct port_stats {
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_errors;   /* the device failed to transmit */
	uint64_t tx_full;     /* the transmit queue was full */
	uint64_t rx_oversize; /* received frames longer than a buffer */
	uint64_t rx_overflow; /* frames the kernel dropped before we read them */
	uint64_t rx_inactive; /* received on a bond member not in use */

	/* AF_XDP multi-buffer (afxdp): chains of descriptors too long for a
	 * buffer, and malformed ones. */
	uint64_t rx_chain_long;
	uint64_t rx_chain_broken;
};

/* Frames the provider lost, whatever the reason. */
static inline uint64_t port_stats_lost(const struct port_stats *s)
{
	return s->tx_errors + s->tx_full + s->rx_oversize + s->rx_overflow + s->rx_inactive +
	       s->rx_chain_long + s->rx_chain_broken;
}

/* A port type's own status (the status operation). */
#define PORT_STATUS_FIELDS 24
enum port_status_type { PORT_STATUS_NULL, PORT_STATUS_STRING, PORT_STATUS_NUMBER };
struct port_status {
	char text[1536];
	int n_fields;
	struct port_status_field {
		char key[24];
		enum port_status_type type;
		char string[64];
		uint64_t number;
	} fields[PORT_STATUS_FIELDS];
};
/* Adds a field (dropped beyond PORT_STATUS_FIELDS); string NULL: null. */
void port_status_string(struct port_status *st, const char *key, const char *string);
void port_status_number(struct port_status *st, const char *key, uint64_t number);

/* Events a provider raises for the switch, which reads and clears them
 * after each receive pass (a provider never calls the engine). */
enum port_events {
	/* The path behind the port changed (a bond's new active member): the
	 * switch announces the clients it knows through it, so the LAN
	 * relearns them. */
	PORT_EVENT_ANNOUNCE = 1 << 0,
};

/* A provider's handle. */
struct port {
	char name[PORT_NAME_MAX];
	const struct port_class *class;
	void *priv;	     /* the provider's state */
	uint32_t features;   /* enum port_features, set by open() */
	uint32_t events;     /* enum port_events, raised by the provider */
	char event_note[48]; /* what the switch adds when it logs the event */
	struct port_stats stats;
};

/* The fds the daemon sleeps on for `port` (wait_fds, else wait_fd): how
 * many, 0 when the port must be polled. */
#define PORT_WAIT_FDS_MAX 16
static inline int port_wait_fds(const struct port *port, int fds[PORT_WAIT_FDS_MAX])
{
	if (port->class->wait_fds)
		return port->class->wait_fds(port, fds, PORT_WAIT_FDS_MAX);
	fds[0] = port->class->wait_fd ? port->class->wait_fd(port) : -1;
	return fds[0] >= 0;
}

/* port.c */
/* The provider for a type name, or NULL if there is no such type. */
const struct port_class *port_class_find(const char *type);
/* The i-th known type, NULL past the last: to list them. */
const struct port_class *port_class_at(size_t i);
/* "pipe, pcap": the known types, for error messages. */
const char *port_class_list(void);
/* Allocates a port and opens its I/O. NULL with a message in err on failure. */
struct port *port_create(const char *name, const char *type, const char *const *options, char *err,
			 size_t err_size);
/* Closes the I/O and frees the port, keeping its persistent devices (see
 * close); port_destroy(NULL) is a no-op. */
void port_destroy(struct port *port);
/* The same, removing the devices the port made (see remove): for a port
 * that leaves the model. port_remove(NULL) is a no-op. */
void port_remove(struct port *port);
/* Whether a port rebuilt from (type_a, options_a) to (type_b, options_b)
 * drives the same device, which it then keeps, with its addresses and
 * routes: the same type and the same interfaces(). Pure. */
bool port_same_device(const char *name, const char *type_a, const char *const *options_a,
		      const char *type_b, const char *const *options_b);
/* Whether ports of these types and options drive interfaces known to be
 * all different, so the second can be opened while the first still runs
 * (false when a type cannot say which interfaces it drives). */
bool port_devices_apart(const char *name, const char *type_a, const char *const *options_a,
			const char *type_b, const char *const *options_b);
/* Finds "key=value" in options and returns value, or NULL. */
const char *port_option(const char *const *options, const char *key);
/* Returns 0 when every option's key is in `known` (NULL-terminated), else
 * -EINVAL with "port NAME: unknown option KEY (type TYPE takes: ...)". */
int port_check_options(const struct port *port, const char *const *options,
		       const char *const *known, char *err, size_t err_size);

/* pipe.c: an in-process port for tests and benchmarks. The functions below
 * may be given a port of any type: they act only on a pipe port and return
 * -EOPNOTSUPP (or 0, or nothing) for another, so no caller asks the type. */
extern const struct port_class pipe_port_class;
/* Queues a copy of `frame`, in a buffer from `pool`, for the next recv();
 * `tci` >= 0 delivers it with the tag in metadata, as a packet socket does.
 * Any length up to pipe_frame_max() is taken, runts included, so tests can
 * feed the parser what a NIC never would. Returns 0, -EOPNOTSUPP (not a
 * pipe), -EMSGSIZE (too long) or -ENOBUFS (queue full or no buffer). */
int pipe_inject(struct port *port, struct packet_pool *pool, const void *frame, uint32_t len,
		int tci);
/* Queues an already built packet for the next recv() (ownership passes:
 * freed on failure). Returns 0, -EOPNOTSUPP or -ENOBUFS. */
int pipe_inject_packet(struct port *port, struct packet *packet);
/* The longest frame pipe_inject() takes from `pool` (its buffer size), or
 * 0 when it takes none: another type. */
uint32_t pipe_frame_max(const struct port *port, const struct packet_pool *pool);
/* Takes the oldest transmitted frame: copies at most `size` bytes into buf,
 * returns its length, -EAGAIN when nothing was sent, or -EOPNOTSUPP. */
int pipe_take(struct port *port, void *buf, uint32_t size);
/* Frames waiting in the transmit log (0 for another type). */
uint32_t pipe_pending(const struct port *port);
/* Sets the carrier the port reports (nothing for another type). */
void pipe_set_carrier(struct port *port, bool up);

/* pcap.c: reads frames from / writes frames to pcap files. */
extern const struct port_class pcap_port_class;

/* afpacket.c: an existing Linux interface (veth, NIC) through a packet
 * socket with batched I/O and virtio-net headers. */
extern const struct port_class afpacket_port_class;
/* afxdp.c: an existing Linux interface through AF_XDP sockets (libxdp):
 * shared rings, no system call per frame. */
extern const struct port_class afxdp_port_class;
/* tap.c: a VM's vNIC: a persistent tap QEMU opens, reached through its host
 * side like afpacket. */
extern const struct port_class tap_port_class;
/* internal.c: an interface in the host's own stack (a tap vswitchd owns). */
extern const struct port_class internal_port_class;
/* internal.c: the guest side of another switch's tap (a VIOS trunk adapter). */
extern const struct port_class vnic_port_class;

/* patch.c: a zero-copy link between two switches of the same daemon. */
extern const struct port_class patch_port_class;

/* bond.c: several interfaces as one uplink, one member active at a time
 * (active-backup: Linux bonding mode 1, PowerVM Network Interface Backup). */
extern const struct port_class bond_port_class;

/* vhostuser.c: a VM's virtio-net device served as its vhost-user back end
 * (QEMU, DPDK virtio-user): rings in guest memory, no system call per frame. */
extern const struct port_class vhostuser_port_class;

/* vxlan.c: a VTEP (RFC 7348) on a kernel UDP socket, one VNI per VLAN,
 * wire-compatible with the Linux vxlan device (docs/vxlan.md). The live API
 * below is for the distributed switch's control code: it runs while the
 * poll threads are paused, takes VTEP addresses as "IP" or "IP:PORT"
 * ("[IPv6]:PORT"), and returns -EOPNOTSUPP for a port of another type. */
extern const struct port_class vxlan_port_class;
#define VXLAN_FLOOD_MAX 1024 /* VTEPs in one VNI's flood list */
/* Replaces the flood list VNI `vni` gets beyond the port's remote= VTEPs
 * (n = 0 clears it). 0, -EOPNOTSUPP, -ENOENT (the port has no such VNI),
 * -EINVAL (a bad address), -E2BIG or -ENOMEM, with a message in err. */
int vxlan_set_flood(struct port *port, uint32_t vni, const char *const *vteps, size_t n, char *err,
		    size_t err_size);
/* Adds or replaces a static remote MAC: never ages, never moves by
 * learning. 0, -EOPNOTSUPP, -ENOENT, -EINVAL or -ENOSPC (table full). */
int vxlan_add_remote_mac(struct port *port, uint32_t vni, const uint8_t mac[6], const char *vtep,
			 char *err, size_t err_size);
/* Removes a static or learned remote MAC: 0, -EOPNOTSUPP or -ENOENT. */
int vxlan_del_remote_mac(struct port *port, uint32_t vni, const uint8_t mac[6]);
/* One entry of the remote MAC table. */
struct vxlan_remote_mac {
	uint32_t vni;
	uint8_t mac[6];
	bool is_static;
	uint32_t age;  /* seconds since last seen (0 for static) */
	char vtep[64]; /* "IP:PORT" ("[IPv6]:PORT") */
};
/* Copies up to `max` live entries into out; returns how many there are in
 * all (more than max when out was too small) or -EOPNOTSUPP. */
int vxlan_remote_macs(const struct port *port, struct vxlan_remote_mac *out, size_t max);

#endif
