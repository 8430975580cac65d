/* afpacket.h — private to src/port: the batched packet-socket I/O that the
 * afpacket port is made of, reused by the tap port to reach a tap's host side
 * (QEMU owns the tap's queue, so we talk to the interface like any other
 * netdev), plus the few interface ioctls that tap.c and internal.c share.
 * Nothing outside src/port includes this. */
#ifndef VSWITCH_PORT_AFPACKET_H
#define VSWITCH_PORT_AFPACKET_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "port.h"

/* ---- afpacket.c: packet-socket I/O --------------------------------------- */

/* Socket buffer sizes: the kernel queues received frames here between two
 * recv() calls, and holds sent frames here until the device takes them. */
#define AFPACKET_DEFAULT_RCVBUF_KB 4096
#define AFPACKET_DEFAULT_SNDBUF_KB 4096

/* Slots of the receive ring (2 KB each, frames up to a standard MTU; larger
 * ones take the socket queue): 2 MB a port. */
#define AFPACKET_DEFAULT_RX_RING 1024
#define AFPACKET_RX_RING_MAX	 65536

struct afpacket_io_config {
	unsigned rcvbuf_kb;
	unsigned sndbuf_kb;
	unsigned rx_ring; /* slots; 0: no ring, every frame through recvmmsg() */
};

/* The option keys afpacket_io_parse_options() reads, for a type's list of
 * known options. */
#define AFPACKET_IO_OPTIONS "rcvbuf-kb", "sndbuf-kb", "rx-ring"

struct afpacket_io;

/* Reads rcvbuf-kb=, sndbuf-kb= and rx-ring= (defaults above) into config. Returns 0 or
 * -EINVAL with "port NAME: ..." in err. */
int afpacket_io_parse_options(const struct port *port, const char *const *options,
			      struct afpacket_io_config *config, char *err, size_t err_size);

/* Opens a nonblocking packet socket bound to every protocol on interface
 * `ifname`, with the virtio-net header on, VLAN metadata, its own
 * transmissions ignored, and the interface in promiscuous mode for as long as
 * the socket lives. Sets PORT_F_OFFLOAD in port->features. Returns 0 and
 * *out, or a negative errno with "port NAME: ..." in err. */
int afpacket_io_open(struct port *port, const char *ifname, const struct afpacket_io_config *config,
		     struct afpacket_io **out, char *err, size_t err_size);
/* Closes the socket (promiscuous mode goes with it); NULL is a no-op. */
void afpacket_io_close(struct afpacket_io *io);
/* The port_class recv(), send(), carrier() and wait_fd() of a packet-socket
 * port, with the same contracts (port.h). */
int afpacket_io_recv(struct afpacket_io *io, struct port *port, struct packet_pool *pool,
		     struct packet_batch *batch);
void afpacket_io_send(struct afpacket_io *io, struct port *port, struct packet_batch *batch);
bool afpacket_io_carrier(const struct afpacket_io *io);
/* Counts the frames the kernel dropped for a full receive queue. */
void afpacket_io_update_stats(struct afpacket_io *io, struct port *port);
int afpacket_io_fd(const struct afpacket_io *io);
/* Sends one frame built outside the packet pool (a bond's ARP probe), in its
 * wire form, without offloads, and counts it nowhere. Returns 0 or a
 * negative errno (-EAGAIN when the socket's send buffer is full). */
int afpacket_io_send_frame(struct afpacket_io *io, const void *frame, size_t len);
/* Reads the interface's current MAC address (SIOCGIFHWADDR, found by index
 * so a rename does not lose it). Returns 0 or a negative errno. */
int afpacket_io_hwaddr(const struct afpacket_io *io, uint8_t mac[6]);

/* ---- afpacket.c: interface helpers --------------------------------------- */

/* The interface a port drives: `dev=NAME` if given, else the port's own name.
 * Returns 0, or -EINVAL with "port NAME: ..." in err when the name is empty or
 * longer than the kernel's IFNAMSIZ - 1 characters. */
int afpacket_ifname(const struct port *port, const char *const *options, char ifname[IFNAMSIZ],
		    char *err, size_t err_size);
/* port_class interfaces() of a type that drives one interface of this
 * namespace: dev=NAME, else the port's name. */
int afpacket_interfaces(const char *name, const char *const *options, char (*out)[PORT_IFNAME_MAX],
			int max);
/* A socket for interface ioctls (AF_UNIX: asking needs no privilege), or a
 * negative errno. */
int afpacket_ioctl_socket(void);
/* The index of interface `ifname`, or -ENODEV / another negative errno. */
int afpacket_netdev_index(int fd, const char *ifname);
/* Sets IFF_UP on `ifname`. Returns 0 or a negative errno. */
int afpacket_netdev_set_up(int fd, const char *ifname);
/* True when the interface at `ifindex` is administratively up and its
 * operational state is up (IFF_RUNNING: carrier, or a tap's queue attached).
 * Looks the interface up by index, so a rename does not lose it. */
bool afpacket_netdev_running(int fd, int ifindex);

#endif
