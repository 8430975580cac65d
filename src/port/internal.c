/* internal.c — ports made of a tap queue that vswitchd itself owns: what
 * the kernel sends on the interface we read() from the tun fd, what we
 * write() the kernel receives. Two types:
 *
 * internal: an interface in the host's own network stack, like Open
 * vSwitch's internal ports or libvirt's virbr0: the host can hold an address
 * on the switch, route and NAT with its own tools. We create the tap; it is
 * not persistent, so it goes away with the fd, also if the daemon dies.
 *
 * vnic: the guest side of a tap that another switch owns — vswitchd takes
 * the place of QEMU. This is how a VIOS's trunk adapter plugs into the
 * hypervisor switch: the hypervisor switch creates a persistent tap (a `tap`
 * port, as for any VM), and the SEA's vswitchd opens its queue, in the
 * hypervisor switch's network namespace if need be (netns=NAME). The tap's
 * carrier is up while we hold the queue, so the hypervisor switch sees the
 * trunk go down the moment this daemon dies, even by SIGKILL; set_link()
 * lowers it on purpose (TUNSETCARRIER) when the SEA stands by.
 *
 * The tun fd carries a 10-byte virtio-net header (the packet socket's size,
 * so a frame's offload metadata means the same on every port) and announces
 * checksum and TSO offload, so the host's TCP hands us 64 KB super-frames
 * that cross the switch whole. A tun has no batched read or write: one
 * system call per frame, but many frames per recv()/send() call. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../lib/util.h"
#include "afpacket.h"

struct internal_port {
	int fd;	 /* the tun queue */
	int ctl; /* for interface ioctls */
	int ifindex;
	char ifname[IFNAMSIZ];
};

static void internal_free(struct internal_port *in)
{
	if (!in)
		return;
	if (in->fd >= 0)
		close(in->fd); /* internal: not persistent, the interface goes too */
	if (in->ctl >= 0)
		close(in->ctl);
	free(in);
}

/* Runs the rest of an open in network namespace `netns` (a name under
 * /run/netns, as `ip netns` makes them) on this thread only; the fds opened
 * there stay bound to it. leave_netns() comes back. */
static int enter_netns(const struct port *port, const char *netns, int *home, char *err,
		       size_t err_size)
{
	*home = -1;
	if (!netns)
		return 0;
	char path[128];
	if (!netns[0] || strchr(netns, '/') || strlen(netns) > 64) {
		snprintf(err, err_size, "port %s: netns '%s' is not a namespace name", port->name,
			 netns);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	int target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0) {
		int e = errno;
		snprintf(err, err_size, "port %s: no network namespace '%s' (%s): %s", port->name,
			 netns, path, strerror(e));
		return -e;
	}
	*home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*home < 0 || setns(target, CLONE_NEWNET) < 0) {
		int e = errno;
		snprintf(err, err_size, "port %s: cannot enter network namespace '%s': %s",
			 port->name, netns, strerror(e));
		if (*home >= 0)
			close(*home);
		*home = -1;
		close(target);
		return -e;
	}
	close(target);
	return 0;
}

static void leave_netns(int home)
{
	if (home < 0)
		return;
	if (setns(home, CLONE_NEWNET) < 0)
		abort(); /* a data-plane thread in the wrong namespace would corrupt all else */
	close(home);
}

/* Opens the queue of tap `in->ifname`: a new one (create) or an existing
 * one that another switch made (attach). */
static int open_queue(struct port *port, struct internal_port *in, bool create, char *err,
		      size_t err_size)
{
	in->ctl = afpacket_ioctl_socket();
	if (in->ctl < 0) {
		int error = in->ctl;
		snprintf(err, err_size, "port %s: cannot open a socket: %s", port->name,
			 strerror(-error));
		return error;
	}
	/* TUNSETIFF would make a new tap where none exists: a vnic must find
	 * the hypervisor switch's. */
	if (!create && afpacket_netdev_index(in->ctl, in->ifname) < 0) {
		snprintf(err, err_size,
			 "port %s: no tap '%s' to attach to (the switch that owns it creates it "
			 "with a tap port)",
			 port->name, in->ifname);
		return -ENODEV;
	}
	in->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (in->fd < 0) {
		int e = errno;
		snprintf(err, err_size, "port %s: cannot open /dev/net/tun: %s", port->name,
			 strerror(e));
		return -e;
	}
	struct ifreq ifr = {0};
	copy_name(ifr.ifr_name, sizeof(ifr.ifr_name), in->ifname);
	/* IFF_TUN_EXCL: a new interface, never someone else's tap. */
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (create ? IFF_TUN_EXCL : 0));
	if (ioctl(in->fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		if (e == EBUSY && create)
			snprintf(err, err_size, "port %s: interface '%s' already exists",
				 port->name, in->ifname);
		else if (e == EINVAL && !create)
			snprintf(err, err_size, "port %s: interface '%s' is not a tap", port->name,
				 in->ifname);
		else if (e == EBUSY)
			snprintf(err, err_size, "port %s: tap '%s' is already attached", port->name,
				 in->ifname);
		else
			snprintf(err, err_size, "port %s: cannot %s interface '%s': %s", port->name,
				 create ? "create" : "attach to", in->ifname, strerror(e));
		return -e;
	}
	int hdr_size = sizeof(struct virtio_net_hdr);
	if (ioctl(in->fd, TUNSETVNETHDRSZ, &hdr_size) < 0 ||
	    ioctl(in->fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) <
		0) {
		int e = errno;
		snprintf(err, err_size, "port %s: cannot set offloads on '%s': %s", port->name,
			 in->ifname, strerror(e));
		return -e;
	}
	in->ifindex = afpacket_netdev_index(in->ctl, in->ifname);
	int error = in->ifindex < 0 ? in->ifindex : afpacket_netdev_set_up(in->ctl, in->ifname);
	if (error)
		snprintf(err, err_size, "port %s: cannot bring '%s' up: %s", port->name, in->ifname,
			 strerror(-error));
	return error;
}

static int open_tap_queue(struct port *port, const char *const *options, bool create, char *err,
			  size_t err_size)
{
	static const char *const known_internal[] = {"dev", NULL};
	static const char *const known_vnic[] = {"dev", "netns", NULL};
	struct internal_port *in = NULL;
	int error =
	    port_check_options(port, options, create ? known_internal : known_vnic, err, err_size);
	if (error)
		return error;
	in = calloc(1, sizeof(*in));
	if (!in) {
		snprintf(err, err_size, "port %s: out of memory", port->name);
		return -ENOMEM;
	}
	in->fd = in->ctl = -1;
	error = afpacket_ifname(port, options, in->ifname, err, err_size);
	int home = -1;
	if (!error)
		error = enter_netns(port, create ? NULL : port_option(options, "netns"), &home, err,
				    err_size);
	if (!error) {
		error = open_queue(port, in, create, err, err_size);
		leave_netns(home);
	}
	if (error) {
		internal_free(in);
		return error;
	}
	port->features |= PORT_F_OFFLOAD;
	port->priv = in;
	return 0;
}

static int internal_open(struct port *port, const char *const *options, char *err, size_t err_size)
{
	return open_tap_queue(port, options, true, err, err_size);
}

static int vnic_open(struct port *port, const char *const *options, char *err, size_t err_size)
{
	return open_tap_queue(port, options, false, err, err_size);
}

static void internal_close(struct port *port)
{
	internal_free(port->priv);
	port->priv = NULL;
}

static int internal_recv(struct port *port, struct packet_pool *pool, struct packet_batch *batch)
{
	struct internal_port *in = port->priv;
	struct virtio_net_hdr h;
	uint8_t spill; /* a byte past the buffer: a frame that reaches it did not fit */
	int received = 0;
	while (batch->count < BATCH_SIZE) {
		struct packet *p = packet_alloc(pool);
		if (!p)
			break; /* the frames wait in the tun queue */
		uint32_t room = packet_tailroom(p);
		struct iovec iov[3] = {
		    {.iov_base = &h, .iov_len = sizeof(h)},
		    {.iov_base = p->data, .iov_len = room},
		    {.iov_base = &spill, .iov_len = 1},
		};
		ssize_t n = readv(in->fd, iov, 3);
		if (n < 0) {
			int e = errno;
			packet_free(p);
			if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR)
				break;
			return received ? received : -e;
		}
		if (UNLIKELY((size_t)n > sizeof(h) + room)) {
			/* The tun cut it to our buffer: never pass a cut frame. */
			port_count_drop(port, DROP_OVERSIZE, 1);
			packet_free(p);
			continue;
		}
		if (UNLIKELY((size_t)n < sizeof(h))) {
			packet_free(p);
			continue;
		}
		p->len = (uint16_t)((size_t)n - sizeof(h));
		if (UNLIKELY(h.flags || h.gso_type != VIRTIO_NET_HDR_GSO_NONE)) {
			p->flags |= PACKET_F_OFFLOAD;
			p->offload = (struct packet_offload){
			    .flags = h.flags,
			    .gso_type = h.gso_type,
			    .hdr_len = h.hdr_len,
			    .gso_size = h.gso_size,
			    .csum_start = h.csum_start,
			    .csum_offset = h.csum_offset,
			};
		}
		packet_batch_add(batch, p);
		received++;
	}
	return received;
}

static void internal_send(struct port *port, struct packet_batch *batch)
{
	struct internal_port *in = port->priv;
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		struct virtio_net_hdr h = {0};
		if (UNLIKELY(p->flags & PACKET_F_META_VLAN)) {
			/* The wire form: a tag still in metadata goes inline. */
			if (!packet_push_vlan(p, p->meta_tci)) {
				port_count_drop(port, DROP_TX_ERROR, 1);
				continue;
			}
		}
		if (p->flags & PACKET_F_OFFLOAD)
			h = (struct virtio_net_hdr){
			    .flags = p->offload.flags,
			    .gso_type = p->offload.gso_type,
			    .hdr_len = p->offload.hdr_len,
			    .gso_size = p->offload.gso_size,
			    .csum_start = p->offload.csum_start,
			    .csum_offset = p->offload.csum_offset,
			};
		struct iovec iov[2] = {
		    {.iov_base = &h, .iov_len = sizeof(h)},
		    {.iov_base = p->data, .iov_len = p->len},
		};
		ssize_t n = writev(in->fd, iov, 2);
		if (LIKELY(n >= 0)) {
			port->counters.tx_packets++;
			port->counters.tx_bytes += p->len;
		} else {
			port_count_drop(port,
					errno == EAGAIN || errno == EWOULDBLOCK ? DROP_TX_FULL
										: DROP_TX_ERROR,
					1);
		}
	}
	packet_batch_free(batch);
}

static bool internal_carrier(const struct port *port)
{
	const struct internal_port *in = port->priv;
	return afpacket_netdev_running(in->ctl, in->ifindex);
}

static int internal_set_link(struct port *port, bool up)
{
	struct internal_port *in = port->priv;
	int on = up;
	if (ioctl(in->fd, TUNSETCARRIER, &on) < 0)
		return -errno;
	/* The kernel reports a lowered carrier to rtnetlink through its link
	 * watch, up to a second late; reading it with ETHTOOL_GLINK makes it
	 * report it now (Linux 6.18: ethtool_op_get_link syncs the link watch).
	 * The switch that owns the tap sleeps until it hears. */
	afpacket_netdev_running(in->ctl, in->ifindex);
	return 0;
}

static int internal_wait_fd(const struct port *port)
{
	const struct internal_port *in = port->priv;
	return in->fd;
}

static int vnic_interfaces(const char *name, const char *const *options,
			   char (*out)[PORT_IFNAME_MAX], int max)
{
	const char *dev = port_option(options, "dev");
	const char *netns = port_option(options, "netns");
	if (max < 1)
		return 0;
	snprintf(out[0], PORT_IFNAME_MAX, "%s%s%s", netns ? netns : "", netns ? "/" : "",
		 dev ? dev : name);
	return 1;
}

const struct port_class internal_port_class = {
    .type = "internal",
    .open = internal_open,
    .close = internal_close,
    .recv = internal_recv,
    .send = internal_send,
    .carrier = internal_carrier,
    .set_link = internal_set_link,
    .interfaces = afpacket_interfaces,
    .wait_fd = internal_wait_fd,
};

const struct port_class vnic_port_class = {
    .type = "vnic",
    .open = vnic_open,
    .close = internal_close,
    .recv = internal_recv,
    .send = internal_send,
    .carrier = internal_carrier,
    .set_link = internal_set_link,
    .interfaces = vnic_interfaces,
    .wait_fd = internal_wait_fd,
};
