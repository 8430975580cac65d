/* internal.c — ports made of a tap queue that vswitchd itself owns: what
 * the kernel sends on the interface we read() from the tun fd, what we
 * write() the kernel receives. Two types:
 *
 * internal: an interface in the host's own network stack, like Open
 * vSwitch's internal ports or libvirt's virbr0: the host can hold an address
 * on the switch, route and NAT with its own tools. We create the tap
 * persistent (tun.c), so it outlives the daemon: when vswitchd stops or dies
 * the interface stays with its MAC, addresses, routes and MTU (carrier down
 * while no one holds its queue), and the next start attaches to it again,
 * so the host keeps its network. It goes only when the port is removed.
 *
 * vnic: the guest side of a tap that another switch owns — vswitchd takes
 * the place of QEMU. This is how a VIOS's trunk adapter plugs into the
 * hypervisor switch: the hypervisor switch creates a persistent tap (a `tap`
 * port, as for any VM), and the SEA's vswitchd opens its queue, in the
 * hypervisor switch's network namespace if need be (netns=NAME). The tap's
 * carrier is up while we hold the queue, so the hypervisor switch sees the
 * trunk go down the moment this daemon dies, even by SIGKILL; set_link()
 * lowers it on purpose (TUNSETCARRIER) when the SEA stands by. A vnic whose
 * tap (or namespace) is not there yet waits for it, link down, and looks
 * again every VNIC_RETRY_MS from recv(): a VIOS may start before the
 * hypervisor switch; a tap deleted under it is waited for the same way.
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
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/spinlock.h"
#include "lib/util.h"
#include "afpacket.h"
#include "tun.h"

#define VNIC_RETRY_MS  100
#define NETNS_NAME_MAX 64

struct internal_port {
	struct spinlock io_lock; /* recv() against send() */
	int fd;			 /* the tun queue; -1 while a vnic waits for its tap */
	int ctl;		 /* for interface ioctls, in the tap's namespace */
	int ifindex;
	char ifname[IFNAMSIZ];

	/* vnic only */
	bool vnic;
	char netns[NETNS_NAME_MAX + 1]; /* "" = the daemon's own */
	int wait;			/* epoll fd holding fd once attached: stays the same */
	bool link_up;			/* what set_link() asked for, applied on attach */
	uint64_t next_try_ns;		/* when a waiting vnic looks for its tap again */
	int last_error;			/* of the last look, so a wait logs once per cause */
};

/* Lets go of the queue (and of a vnic's namespace-bound socket). */
static void internal_detach(struct internal_port *in)
{
	if (in->fd >= 0)
		close(in->fd); /* the tap is persistent: it stays */
	if (in->ctl >= 0)
		close(in->ctl);
	in->fd = in->ctl = -1;
}

static void internal_free(struct internal_port *in)
{
	if (!in)
		return;
	internal_detach(in);
	if (in->wait >= 0)
		close(in->wait);
	free(in);
}

/* Runs the rest of an open in network namespace `netns` (a name under
 * /run/netns, as `ip netns` makes them; "" = stay) on this thread only; the
 * fds opened there stay bound to it. leave_netns() comes back. -ENOENT: no
 * such namespace. */
static int enter_netns(const struct port *port, const char *netns, int *home, char *err,
		       size_t err_size)
{
	*home = -1;
	if (!netns[0])
		return 0;
	char path[128];
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

/* Offloads, the interface's index, and up: on a queue just attached. */
static int setup_queue(struct port *port, struct internal_port *in, char *err, size_t err_size)
{
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

static int open_ctl(struct port *port, struct internal_port *in, char *err, size_t err_size)
{
	in->ctl = afpacket_ioctl_socket();
	if (in->ctl < 0) {
		int error = in->ctl;
		snprintf(err, err_size, "port %s: cannot open a socket: %s", port->name,
			 strerror(-error));
		return error;
	}
	return 0;
}

/* internal: makes the persistent tap, or adopts the one an earlier daemon
 * made, with whatever the host put on it since. */
static int internal_attach(struct port *port, struct internal_port *in, char *err, size_t err_size)
{
	int error = open_ctl(port, in, err, err_size);
	if (error)
		return error;
	bool exists = afpacket_netdev_index(in->ctl, in->ifname) >= 0;
	if (exists && !tun_is_tap(in->ctl, in->ifname)) {
		snprintf(err, err_size, "port %s: interface '%s' exists and is not a tap",
			 port->name, in->ifname);
		return -EEXIST;
	}
	in->fd = tun_attach(in->ifname, !exists);
	if (in->fd < 0) {
		error = in->fd;
		if (error == -EBUSY)
			snprintf(
			    err, err_size,
			    "port %s: tap '%s' is in use (another vswitchd or a QEMU holds its "
			    "queue)",
			    port->name, in->ifname);
		else
			snprintf(err, err_size, "port %s: cannot %s interface '%s': %s", port->name,
				 exists ? "attach to" : "create", in->ifname, strerror(-error));
		return error;
	}
	if (!exists) {
		error = tun_keep(in->fd, in->ifname, port->name);
		if (error) {
			snprintf(err, err_size, "port %s: cannot make '%s' persistent: %s",
				 port->name, in->ifname, strerror(-error));
			return error; /* closing the fd takes the tap away */
		}
	}
	error = setup_queue(port, in, err, err_size);
	if (error && !exists)
		tun_set_persist(in->fd, false); /* made in vain: it goes with the fd */
	if (!error && exists)
		log_info("port %s: adopted interface '%s' with its addresses and routes",
			 port->name, in->ifname);
	return error;
}

/* vnic_attach() inside the tap's namespace. */
static int vnic_attach_here(struct port *port, struct internal_port *in, char *err, size_t err_size)
{
	int error = open_ctl(port, in, err, err_size);
	if (error)
		return error;
	/* TUNSETIFF would make a new tap where none exists: a vnic must find
	 * the hypervisor switch's. */
	if (afpacket_netdev_index(in->ctl, in->ifname) < 0) {
		snprintf(
		    err, err_size,
		    "port %s: no tap '%s'%s%s to attach to (the switch that owns it creates it "
		    "with a tap port)",
		    port->name, in->ifname, in->netns[0] ? " in namespace " : "", in->netns);
		return -ENODEV;
	}
	in->fd = tun_attach(in->ifname, false);
	error = in->fd < 0 ? in->fd : 0;
	if (error == -EINVAL)
		snprintf(err, err_size, "port %s: interface '%s' is not a tap", port->name,
			 in->ifname);
	else if (error == -EBUSY)
		snprintf(err, err_size, "port %s: tap '%s' is already attached", port->name,
			 in->ifname);
	else if (error)
		snprintf(err, err_size, "port %s: cannot attach to interface '%s': %s", port->name,
			 in->ifname, strerror(-error));
	if (!error)
		error = setup_queue(port, in, err, err_size);
	int off = 0;
	if (!error && !in->link_up)
		ioctl(in->fd, TUNSETCARRIER, &off); /* a standby SEA's trunk stays down */
	return error;
}

/* vnic: opens the queue of the tap another switch made. -ENOENT (no such
 * namespace) and -ENODEV (no such tap): not there yet, worth waiting for. */
static int vnic_attach(struct port *port, struct internal_port *in, char *err, size_t err_size)
{
	int home;
	int error = enter_netns(port, in->netns, &home, err, err_size);
	if (error)
		return error;
	error = vnic_attach_here(port, in, err, err_size);
	leave_netns(home);
	struct epoll_event ev = {.events = EPOLLIN};
	if (!error && epoll_ctl(in->wait, EPOLL_CTL_ADD, in->fd, &ev) < 0) {
		error = -errno;
		snprintf(err, err_size, "port %s: cannot watch tap '%s': %s", port->name,
			 in->ifname, strerror(-error));
	}
	if (error)
		internal_detach(in);
	return error;
}

static bool vnic_worth_waiting(int error)
{
	return error == -ENOENT || error == -ENODEV;
}

/* A waiting vnic looks for its tap, at most every VNIC_RETRY_MS. */
static void vnic_retry(struct port *port, struct internal_port *in)
{
	uint64_t now = time_now_ns();
	if (now < in->next_try_ns)
		return;
	in->next_try_ns = now + VNIC_RETRY_MS * 1000000ULL;
	char err[256];
	int error = vnic_attach(port, in, err, sizeof(err));
	if (!error)
		log_info("port %s: tap '%s' is there: attached", port->name, in->ifname);
	else if (error != in->last_error)
		log_error("%s; %s", err, vnic_worth_waiting(error) ? "waiting for it" : "retrying");
	in->last_error = error;
}

/* A vnic's first look: a tap that is not there yet is waited for. */
static int vnic_attach_or_wait(struct port *port, struct internal_port *in, char *err,
			       size_t err_size)
{
	in->wait = epoll_create1(EPOLL_CLOEXEC);
	if (in->wait < 0) {
		int e = errno;
		snprintf(err, err_size, "port %s: cannot create an epoll fd: %s", port->name,
			 strerror(e));
		return -e;
	}
	int error = vnic_attach(port, in, err, err_size);
	if (vnic_worth_waiting(error)) {
		log_info("%s; waiting for it, link down", err);
		in->last_error = error;
		in->next_try_ns = time_now_ns() + VNIC_RETRY_MS * 1000000ULL;
		error = 0;
	}
	return error;
}

static int open_tap_queue(struct port *port, const char *const *options, bool vnic, char *err,
			  size_t err_size)
{
	static const char *const known_internal[] = {"dev", NULL};
	static const char *const known_vnic[] = {"dev", "netns", NULL};
	int error =
	    port_check_options(port, options, vnic ? known_vnic : known_internal, err, err_size);
	if (error)
		return error;
	const char *netns = vnic ? port_option(options, "netns") : NULL;
	if (netns && (!netns[0] || strchr(netns, '/') || strlen(netns) > NETNS_NAME_MAX)) {
		snprintf(err, err_size, "port %s: netns '%s' is not a namespace name", port->name,
			 netns);
		return -EINVAL;
	}
	struct internal_port *in = calloc(1, sizeof(*in));
	if (!in) {
		snprintf(err, err_size, "port %s: out of memory", port->name);
		return -ENOMEM;
	}
	in->fd = in->ctl = in->wait = -1;
	in->vnic = vnic;
	in->link_up = true;
	copy_name(in->netns, sizeof(in->netns), netns ? netns : "");
	error = afpacket_ifname(port, options, in->ifname, err, err_size);
	if (!error)
		error = vnic ? vnic_attach_or_wait(port, in, err, err_size)
			     : internal_attach(port, in, err, err_size);
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
	return open_tap_queue(port, options, false, err, err_size);
}

static int vnic_open(struct port *port, const char *const *options, char *err, size_t err_size)
{
	return open_tap_queue(port, options, true, err, err_size);
}

static void internal_close(struct port *port)
{
	internal_free(port->priv);
	port->priv = NULL;
}

static void internal_remove(struct port *port)
{
	struct internal_port *in = port->priv;
	/* Not persistent any more: the interface goes with our fd. */
	int error = in->fd < 0 ? 0 : tun_set_persist(in->fd, false);
	if (error)
		log_error("port %s: interface '%s' not removed: %s", port->name, in->ifname,
			  strerror(-error));
	internal_close(port);
}

static int internal_recv_io(struct port *port, struct packet_pool *pool, struct packet_batch *batch)
{
	struct internal_port *in = port->priv;
	struct virtio_net_hdr h;
	uint8_t spill; /* a byte past the buffer: a frame that reaches it did not fit */
	int received = 0;
	if (UNLIKELY(in->fd < 0)) {
		if (in->vnic)
			vnic_retry(port, in);
		return 0; /* frames, if attached now, come at the next call */
	}
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
			if (e == EBADFD) {
				/* Deleted under us (ip link del): a vnic waits for a
				 * new tap; an internal port stays down, not polled. */
				if (in->vnic)
					log_error("port %s: tap '%s' went away; waiting for it, "
						  "link down",
						  port->name, in->ifname);
				else
					log_error("port %s: interface '%s' was deleted; port del "
						  "and port add make it again",
						  port->name, in->ifname);
				internal_detach(in);
				in->last_error = -ENODEV;
				break;
			}
			return received ? received : -e;
		}
		if (UNLIKELY((size_t)n > sizeof(h) + room)) {
			/* The tun cut it to our buffer: never pass a cut frame. */
			port->stats.rx_oversize += 1;
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

static void internal_send_io(struct port *port, struct packet_batch *batch)
{
	struct internal_port *in = port->priv;
	if (UNLIKELY(in->fd < 0)) {
		port->stats.tx_errors += batch->count;
		packet_batch_free(batch);
		return;
	}
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		struct virtio_net_hdr h = {0};
		if (UNLIKELY(!packet_inline_meta_vlan(p))) { /* the wire form */
			port->stats.tx_errors += 1;
			continue;
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
			port->stats.tx_packets++;
			port->stats.tx_bytes += p->len;
		} else {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				port->stats.tx_full++;
			else
				port->stats.tx_errors++;
		}
	}
	packet_batch_free(batch);
}

/* recv() and send() may run on two poll threads at once (port.h); recv() may detach
 * the tun queue or attach a vnic's, which send() uses: one at a time, a lock
 * taken once per batch. */
static int internal_recv(struct port *port, struct packet_pool *pool, struct packet_batch *batch)
{
	struct internal_port *priv = port->priv;
	spin_lock(&priv->io_lock);
	int n = internal_recv_io(port, pool, batch);
	spin_unlock(&priv->io_lock);
	return n;
}

static void internal_send(struct port *port, struct packet_batch *batch)
{
	struct internal_port *priv = port->priv;
	spin_lock(&priv->io_lock);
	internal_send_io(port, batch);
	spin_unlock(&priv->io_lock);
}

static bool internal_carrier(const struct port *port)
{
	/* recv() may detach or reattach the tap (fd, ctl, ifindex) while
	 * thread 0 reads the carrier of an uplink without pausing (port.h). */
	struct internal_port *in = port->priv;
	spin_lock(&in->io_lock);
	bool up = in->fd >= 0 && afpacket_netdev_running(in->ctl, in->ifindex);
	spin_unlock(&in->io_lock);
	return up;
}

static int internal_set_link(struct port *port, bool up)
{
	struct internal_port *in = port->priv;
	int on = up;
	in->link_up = up;
	if (in->fd < 0)
		return 0; /* applied when the tap is there */
	if (ioctl(in->fd, TUNSETCARRIER, &on) < 0)
		return -errno;
	/* The kernel reports a lowered carrier to rtnetlink through its link
	 * watch, up to a second late; reading it with ETHTOOL_GLINK makes it
	 * report it now (Linux 6.18: ethtool_op_get_link syncs the link watch).
	 * The switch that owns the tap sleeps until it hears. */
	afpacket_netdev_running(in->ctl, in->ifindex);
	return 0;
}

/* A vnic's fd changes as its tap comes and goes; its epoll fd does not. */
static int internal_wait_fd(const struct port *port)
{
	const struct internal_port *in = port->priv;
	return in->vnic ? in->wait : in->fd;
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
    .remove = internal_remove,
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
