/* port.h — a switch port and the provider interface behind it.
 *
 * Every port type (pipe, pcap, and later tap, afpacket, afxdp, internal,
 * patch, vxlan) implements one `struct port_class`; port.c is the only place
 * that knows the list of types, and nothing else asks which type a port is.
 * The forwarding settings and counters of a port live here too, because the
 * engine reads them for every packet. */
#ifndef VSWITCH_PORT_H
#define VSWITCH_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/counters.h"
#include "../lib/packet.h"

#define PORT_NAME_MAX	32
#define PORT_IFNAME_MAX 96 /* "NETNS/IFNAME" */
#define PORT_INDEX_NONE 0xffff
#define VLAN_COUNT	4096
#define VLAN_WORDS	(VLAN_COUNT / 64)

struct port;
struct vswitch;

/* The provider interface. Operations run on the data-plane thread. */
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
	 * tx_packets/tx_bytes for those sent and a TX_ERROR or TX_FULL drop for
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
	 * the daemon's epoll; -1 or NULL: the port must be polled. */
	int (*wait_fd)(const struct port *port);

	/* The interfaces a port of this type with these options would drive,
	 * found without opening anything, so that the control plane refuses
	 * two ports on one interface before it touches either. Writes up to
	 * `max` names ("NETNS/IFNAME" for another namespace) and returns how
	 * many. NULL: the type drives no interface. */
	int (*interfaces)(const char *name, const char *const *options,
			  char (*out)[PORT_IFNAME_MAX], int max);

	/* Adds to the port's counters what the kernel counted for it (frames
	 * dropped before the switch saw them). Called about once a second.
	 * NULL: nothing to collect. */
	void (*update_stats)(struct port *port);
};

/* What a port can transmit, set by open(). Frames with offload metadata
 * (PACKET_F_OFFLOAD) go to a port without PORT_F_OFFLOAD only after the
 * egress stage has segmented them and completed their checksums. */
enum port_features {
	PORT_F_OFFLOAD = 1 << 0, /* takes a virtio-net header: GSO and partial checksums */
};

enum port_mode {
	PORT_MODE_VEB,	       /* switch locally (default) */
	PORT_MODE_VEPA,	       /* everything from this port goes to the uplink */
	PORT_MODE_PRIVATE,     /* talks only to uplinks, never to other ports */
	PORT_MODE_PASSTHROUGH, /* owns the uplink: all uplink traffic is its own */
};

/* Forwarding settings; see DESIGN §3. */
struct port_config {
	uint16_t pvid;		   /* 1-4094 */
	uint64_t vids[VLAN_WORDS]; /* extra tagged VLANs (the PVID need not be set here) */
	bool uplink;		   /* reaches the physical network */
	uint8_t trunk_priority;	   /* 1-15, lower wins among uplinks; 0 = not set */
	enum port_mode mode;
	bool learning;	    /* learn source MACs from this port */
	bool hairpin;	    /* frames may leave by the port they came in on */
	uint32_t mac_limit; /* dynamic MACs learned on this port; 0 = no limit */
};

struct port {
	char name[PORT_NAME_MAX];
	const struct port_class *class;
	void *priv; /* the provider's state */

	struct vswitch *sw;
	uint16_t index;	   /* position in sw->ports */
	bool up;	   /* cached carrier, refreshed by switch_run() */
	bool tx_pending;   /* on the switch's list of queues to send */
	uint32_t features; /* enum port_features */

	struct port_config config;
	uint64_t vlans[VLAN_WORDS]; /* membership: PVID plus vids */

	struct port_counters counters;
	struct packet_batch txq; /* frames the pipeline queued for send() */
};

/* port.c */
/* The provider for a type name, or NULL if there is no such type. */
const struct port_class *port_class_find(const char *type);
/* "pipe, pcap": the known types, for error messages. */
const char *port_class_list(void);
/* Defaults: pvid 1, no vids, learning on, veb, no limit. */
void port_config_init(struct port_config *config);
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
static inline void port_count_drop(struct port *port, enum drop_reason reason, uint64_t n)
{
	port->counters.drops[reason] += n;
}
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
/* Queues a copy of `frame` for the next recv(); `tci` >= 0 delivers it with
 * the tag in metadata, as a packet socket does. Any length up to
 * pipe_frame_max() is taken, runts included, so tests can feed the parser
 * what a NIC never would. Returns 0, -EOPNOTSUPP (not a pipe), -EMSGSIZE
 * (too long), -ENODEV (not on a switch) or -ENOBUFS (queue full or no
 * buffer). */
int pipe_inject(struct port *port, const void *frame, uint32_t len, int tci);
/* Queues an already built packet for the next recv() (ownership passes:
 * freed on failure). Returns 0, -EOPNOTSUPP or -ENOBUFS. */
int pipe_inject_packet(struct port *port, struct packet *packet);
/* The longest frame pipe_inject() takes (the switch's buffer size), or 0
 * when it takes none: another type, or not on a switch. */
uint32_t pipe_frame_max(const struct port *port);
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

#endif
