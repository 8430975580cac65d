/* afpacket.c — a port on an existing Linux interface (a physical NIC, a
 * veth, a bond) through a packet socket, as the Linux bridge attaches its
 * ports; the tap port reuses the same I/O for a tap's host side (afpacket.h).
 *
 * I/O design. Frames move in batches. The socket carries the virtio-net
 * header (PACKET_VNET_HDR), so a 64 KB TCP super-frame and a partial
 * checksum cross the switch as one frame and the NIC or the VM does the work.
 *
 * Receive: a TPACKET_V2 ring of fixed 2 KB slots (rx-ring=N slots, default
 * 1024) for frames up to a standard MTU, and the socket's queue for larger
 * ones: with PACKET_COPY_THRESH the kernel marks a frame too big for a slot
 * TP_STATUS_COPY and queues the whole of it too, in order, and one
 * recvmmsg() per pass takes those. A frame in the ring costs no system call
 * and no socket-buffer handling on our side: the kernel copies it into the
 * slot in the sender's context and we copy it into a pool buffer. Measured on
 * Linux 6.18 at 64 bytes (docs/benchmarks-peers.md): recvmmsg() took 39 % of
 * the switch thread (per-frame dequeue, copy and free), the ring's side of
 * receiving 3-4 %. We measured the alternatives too:
 *  - a TPACKET_V3 rx ring hands a block to user space only when it fills or
 *    its retire timer fires: a lone frame waited 0.6-0.9 ms with the minimum
 *    1 ms timeout (3.5-3.9 ms with 8 ms), per hop, too slow for a switch;
 *  - a ring whose slots hold 64 KB frames whole is 17 MB per 256 slots;
 *  - a TPACKET tx ring is unsafe on a veth: the kernel orphans the frame when
 *    it crosses namespaces and hands the slot back while the receiver may
 *    still read its pages.
 * rx-ring=0 receives everything with recvmmsg(), straight into pool buffers;
 * a frame larger than the pool's data_room is counted DROP_OVERSIZE.
 *
 * Send: sendmmsg(), a batch per call.
 *
 * The kernel takes a VLAN tag off on receive (the tag is in the auxdata);
 * we hand it on as metadata. Our own transmissions are ignored
 * (PACKET_IGNORE_OUTGOING, and the packet type as a second check). */
#include <linux/ethtool.h>
#include "afpacket.h"

#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "lib/util.h"

/* The header rides in host byte order: the legacy virtio-net header a packet
 * socket and a tap exchange is native-endian on every little-endian host and
 * is what struct packet_offload mirrors. */
_Static_assert(sizeof(struct virtio_net_hdr) == 10, "10-byte virtio-net header");

union afpacket_cmsg {
	char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	struct cmsghdr align;
};

#define AFPACKET_RX_WINDOW_MIN 8
#define AFPACKET_RX_WINDOW_MAX BATCH_SIZE

struct afpacket_io {
	int fd;
	int ifindex;
	char ifname[IFNAMSIZ];

	/* recvmmsg() state, one slot per frame of a batch. */
	struct mmsghdr rx_msgs[BATCH_SIZE];
	struct iovec rx_iov[BATCH_SIZE][2];
	struct virtio_net_hdr rx_vnet[BATCH_SIZE];
	struct sockaddr_ll rx_addr[BATCH_SIZE];
	union afpacket_cmsg rx_cmsg[BATCH_SIZE];
	struct packet *rx_packets[BATCH_SIZE];
	struct packet *rx_packets_out[BATCH_SIZE]; /* what queue_recv() kept */
	/* Buffers prepared per receive call: as many as recent calls needed. */
	uint32_t rx_window;

	/* The TPACKET_V2 receive ring; ring == NULL without one. */
	uint8_t *ring;
	size_t ring_size;
	uint32_t ring_slots;
	uint32_t ring_head; /* the next slot the kernel fills */
	/* Per slot taken in a pass: the frame copied out, or NULL for a frame
	 * that waits whole in the socket queue (TP_STATUS_COPY). */
	struct packet *ring_taken[BATCH_SIZE];
	bool ring_copied[BATCH_SIZE];
	/* Fewer whole frames came from the queue than slots said (one the
	 * kernel could not describe in a vnet header fails the read): what is
	 * left there is older than the next slots and is read first. */
	bool queue_behind;

	/* sendmmsg() state. */
	struct mmsghdr tx_msgs[BATCH_SIZE];
	struct iovec tx_iov[BATCH_SIZE][2];
	struct virtio_net_hdr tx_vnet[BATCH_SIZE];
	struct packet *tx_packets[BATCH_SIZE];
};

/* ---- interface helpers ---------------------------------------------------- */

int afpacket_ifname(const struct port *port, const char *const *options, char ifname[IFNAMSIZ],
		    char *err, size_t err_size)
{
	const char *dev = port_option(options, "dev");
	const char *name = dev ? dev : port->name;
	if (!name[0]) {
		snprintf(err, err_size, "port %s: dev= needs an interface name", port->name);
		return -EINVAL;
	}
	if (!copy_name(ifname, IFNAMSIZ, name)) {
		snprintf(err, err_size,
			 "port %s: interface name '%s' is longer than %d characters%s", port->name,
			 name, IFNAMSIZ - 1, dev ? "" : "; give a shorter one with dev=NAME");
		return -EINVAL;
	}
	return 0;
}

int afpacket_interfaces(const char *name, const char *const *options, char (*out)[PORT_IFNAME_MAX],
			int max)
{
	const char *dev = port_option(options, "dev");
	/* A name too long for an interface is open()'s to refuse. */
	if (max < 1 || !copy_name(out[0], PORT_IFNAME_MAX, dev ? dev : name))
		return 0;
	return 1;
}

int afpacket_ioctl_socket(void)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

int afpacket_netdev_index(int fd, const char *ifname)
{
	struct ifreq ifr = {0};
	copy_name(ifr.ifr_name, sizeof(ifr.ifr_name), ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	return ifr.ifr_ifindex;
}

int afpacket_netdev_set_up(int fd, const char *ifname)
{
	struct ifreq ifr = {0};
	copy_name(ifr.ifr_name, sizeof(ifr.ifr_name), ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	if (ifr.ifr_flags & IFF_UP)
		return 0;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return -errno;
	return 0;
}

bool afpacket_netdev_running(int fd, int ifindex)
{
	struct ifreq ifr = {0};
	ifr.ifr_ifindex = ifindex;
	if (ioctl(fd, SIOCGIFNAME, &ifr) < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return false;	     /* gone: no link */
	short flags = ifr.ifr_flags; /* ifr_data below shares its space */
	if (!(flags & IFF_UP))
		return false;
	/* The carrier itself, as the driver sees it. IFF_RUNNING (the
	 * operstate) follows it through the kernel's link watch, up to a
	 * second later (a tap that lost its QEMU stayed RUNNING past 1 s); a
	 * bond or a failover must not wait for that. IFF_LOWER_UP would say it
	 * too, but SIOCGIFFLAGS returns only the low 16 flag bits. */
	struct ethtool_value link = {.cmd = ETHTOOL_GLINK};
	ifr.ifr_data = (void *)&link;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0)
		return link.data != 0;
	return flags & IFF_RUNNING; /* a driver without ethtool */
}

/* ---- options -------------------------------------------------------------- */

static int parse_kb(const struct port *port, const char *const *options, const char *key,
		    unsigned fallback, unsigned *out, char *err, size_t err_size)
{
	const char *value = port_option(options, key);
	*out = fallback;
	if (!value)
		return 0;
	char *end;
	errno = 0;
	unsigned long kb = strtoul(value, &end, 10);
	if (errno || end == value || *end || kb < 64 || kb > 1048576) {
		snprintf(err, err_size, "port %s: %s '%s' must be 64-1048576 (KiB)", port->name,
			 key, value);
		return -EINVAL;
	}
	*out = (unsigned)kb;
	return 0;
}

int afpacket_io_parse_options(const struct port *port, const char *const *options,
			      struct afpacket_io_config *config, char *err, size_t err_size)
{
	int error = parse_kb(port, options, "rcvbuf-kb", AFPACKET_DEFAULT_RCVBUF_KB,
			     &config->rcvbuf_kb, err, err_size);
	if (!error)
		error = parse_kb(port, options, "sndbuf-kb", AFPACKET_DEFAULT_SNDBUF_KB,
				 &config->sndbuf_kb, err, err_size);
	config->rx_ring = AFPACKET_DEFAULT_RX_RING;
	const char *ring = port_option(options, "rx-ring");
	if (!error && ring) {
		char *end;
		errno = 0;
		unsigned long slots = strtoul(ring, &end, 10);
		if (errno || end == ring || *end || (slots != 0 && slots < 64) ||
		    slots > AFPACKET_RX_RING_MAX || slots % 32) {
			snprintf(err, err_size,
				 "port %s: rx-ring '%s' must be 0 (no ring) or a multiple of 32 "
				 "from 64 to %d (slots)",
				 port->name, ring, AFPACKET_RX_RING_MAX);
			return -EINVAL;
		}
		config->rx_ring = (unsigned)slots;
	}
	return error;
}

/* ---- open and close ------------------------------------------------------- */

/* Sets a socket buffer size; the FORCE variant (CAP_NET_ADMIN) goes past
 * net.core.[rw]mem_max, the plain one is capped there. */
static int set_buffer(int fd, int force_option, int option, unsigned kb)
{
	int bytes = (int)(kb * 1024u);
	if (setsockopt(fd, SOL_SOCKET, force_option, &bytes, sizeof(bytes)) == 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof(bytes)) == 0)
		return 0;
	return -errno;
}

static void rx_slots_init(struct afpacket_io *io)
{
	for (uint32_t i = 0; i < BATCH_SIZE; i++) {
		struct msghdr *m = &io->rx_msgs[i].msg_hdr;
		io->rx_iov[i][0].iov_base = &io->rx_vnet[i];
		io->rx_iov[i][0].iov_len = sizeof(io->rx_vnet[i]);
		m->msg_iov = io->rx_iov[i];
		m->msg_iovlen = 2;
		m->msg_name = &io->rx_addr[i];
		m->msg_control = io->rx_cmsg[i].buf;
	}
}

static void tx_slots_init(struct afpacket_io *io)
{
	for (uint32_t i = 0; i < BATCH_SIZE; i++) {
		struct msghdr *m = &io->tx_msgs[i].msg_hdr;
		io->tx_iov[i][0].iov_base = &io->tx_vnet[i];
		io->tx_iov[i][0].iov_len = sizeof(io->tx_vnet[i]);
		m->msg_iov = io->tx_iov[i];
		m->msg_iovlen = 2;
	}
}

#define RING_SLOT_SIZE	     2048u
#define RING_SLOTS_PER_BLOCK 32u /* 64 KB blocks: whole pages, no large allocation */

/* The receive ring (see the top of the file); after the virtio-net header is
 * on, before bind(). Returns 0 or a negative errno. */
static int ring_open(struct afpacket_io *io, unsigned slots)
{
	int version = TPACKET_V2;
	/* Any frame too big for a slot is queued whole as well: the threshold's
	 * only meaning to the kernel is "on". */
	int thresh = 1;
	struct tpacket_req req = {
	    .tp_block_size = RING_SLOT_SIZE * RING_SLOTS_PER_BLOCK,
	    .tp_block_nr = slots / RING_SLOTS_PER_BLOCK,
	    .tp_frame_size = RING_SLOT_SIZE,
	    .tp_frame_nr = slots,
	};
	if (setsockopt(io->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0 ||
	    setsockopt(io->fd, SOL_PACKET, PACKET_COPY_THRESH, &thresh, sizeof(thresh)) < 0 ||
	    setsockopt(io->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0)
		return -errno;
	size_t size = (size_t)req.tp_block_size * req.tp_block_nr;
	void *ring = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, io->fd, 0);
	if (ring == MAP_FAILED)
		return -errno;
	io->ring = ring;
	io->ring_size = size;
	io->ring_slots = slots;
	io->ring_head = 0;
	return 0;
}

int afpacket_io_open(struct port *port, const char *ifname, const struct afpacket_io_config *config,
		     struct afpacket_io **out, char *err, size_t err_size)
{
	int error = 0;
	struct afpacket_io *io = calloc(1, sizeof(*io));
	if (io)
		io->rx_window = AFPACKET_RX_WINDOW_MIN * 4;
	if (!io) {
		snprintf(err, err_size, "port %s: out of memory", port->name);
		error = -ENOMEM;
		goto out;
	}
	io->fd = -1;
	copy_name(io->ifname, sizeof(io->ifname), ifname);
	/* Protocol 0: nothing is queued before bind(), when the options below
	 * (the vnet header above all) are in place. */
	io->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (io->fd < 0) {
		error = -errno;
		snprintf(err, err_size, "port %s: cannot open a packet socket: %s%s", port->name,
			 strerror(errno), errno == EPERM ? " (needs CAP_NET_RAW)" : "");
		goto out;
	}

	struct ifreq ifr = {0};
	copy_name(ifr.ifr_name, sizeof(ifr.ifr_name), ifname);
	if (ioctl(io->fd, SIOCGIFINDEX, &ifr) < 0) {
		error = -errno;
		if (errno == ENODEV)
			snprintf(err, err_size, "port %s: no such interface '%s'", port->name,
				 ifname);
		else
			snprintf(err, err_size, "port %s: cannot look up interface '%s': %s",
				 port->name, ifname, strerror(errno));
		goto out;
	}
	io->ifindex = ifr.ifr_ifindex;
	if (ioctl(io->fd, SIOCGIFHWADDR, &ifr) < 0 || ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		error = -EPROTONOSUPPORT;
		snprintf(err, err_size, "port %s: interface '%s' is not an Ethernet interface",
			 port->name, ifname);
		goto out;
	}

	int one = 1;
	if (setsockopt(io->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0 ||
	    setsockopt(io->fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0) {
		error = -errno;
		snprintf(err, err_size,
			 "port %s: packet socket on '%s': cannot enable the "
			 "virtio-net header or VLAN auxdata: %s",
			 port->name, ifname, strerror(errno));
		goto out;
	}
	/* Linux 4.20+. Without it, recv() still drops PACKET_OUTGOING frames,
	 * after the kernel has copied them to us. */
	(void)setsockopt(io->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if (config->rx_ring) {
		error = ring_open(io, config->rx_ring);
		if (error) {
			snprintf(err, err_size,
				 "port %s: cannot map a receive ring of %u slots on '%s': %s "
				 "(rx-ring=0 receives without one)",
				 port->name, config->rx_ring, ifname, strerror(-error));
			goto out;
		}
	}
	error = set_buffer(io->fd, SO_RCVBUFFORCE, SO_RCVBUF, config->rcvbuf_kb);
	if (!error)
		error = set_buffer(io->fd, SO_SNDBUFFORCE, SO_SNDBUF, config->sndbuf_kb);
	if (error) {
		snprintf(err, err_size, "port %s: cannot size the socket buffers of '%s': %s",
			 port->name, ifname, strerror(-error));
		goto out;
	}

	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET,
	    .sll_protocol = htons(ETH_P_ALL),
	    .sll_ifindex = io->ifindex,
	};
	if (bind(io->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		error = -errno;
		snprintf(err, err_size, "port %s: cannot bind a packet socket to '%s': %s",
			 port->name, ifname, strerror(errno));
		goto out;
	}
	/* A switch port sees every frame, not only those for its own MAC. */
	struct packet_mreq mreq = {.mr_ifindex = io->ifindex, .mr_type = PACKET_MR_PROMISC};
	if (setsockopt(io->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) < 0) {
		error = -errno;
		snprintf(err, err_size, "port %s: cannot put '%s' in promiscuous mode: %s",
			 port->name, ifname, strerror(errno));
		goto out;
	}

	rx_slots_init(io);
	tx_slots_init(io);
	port->features |= PORT_F_OFFLOAD;
	*out = io;
	io = NULL;
out:
	afpacket_io_close(io);
	return error;
}

void afpacket_io_close(struct afpacket_io *io)
{
	if (!io)
		return;
	if (io->ring)
		munmap(io->ring, io->ring_size);
	if (io->fd >= 0)
		close(io->fd);
	free(io);
}

void afpacket_io_update_stats(struct afpacket_io *io, struct port *port)
{
	/* The kernel counts what overflowed the socket queue before we saw it,
	 * and resets the count on every read. */
	struct tpacket_stats stats;
	socklen_t len = sizeof(stats);
	if (getsockopt(io->fd, SOL_PACKET, PACKET_STATISTICS, &stats, &len) == 0 && stats.tp_drops)
		port->stats.rx_overflow += stats.tp_drops;
}

int afpacket_io_fd(const struct afpacket_io *io)
{
	return io->fd;
}

bool afpacket_io_carrier(const struct afpacket_io *io)
{
	return afpacket_netdev_running(io->fd, io->ifindex);
}

int afpacket_io_hwaddr(const struct afpacket_io *io, uint8_t mac[6])
{
	struct ifreq ifr = {0};
	ifr.ifr_ifindex = io->ifindex;
	if (ioctl(io->fd, SIOCGIFNAME, &ifr) < 0 || ioctl(io->fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/* ---- receive -------------------------------------------------------------- */

static void offload_from_vnet(struct packet *p, const struct virtio_net_hdr *h)
{
	if (LIKELY(h->flags == 0 && h->gso_type == VIRTIO_NET_HDR_GSO_NONE))
		return;
	p->flags |= PACKET_F_OFFLOAD;
	p->offload.flags = h->flags;
	p->offload.gso_type = h->gso_type;
	p->offload.hdr_len = h->hdr_len;
	p->offload.gso_size = h->gso_size;
	p->offload.csum_start = h->csum_start;
	p->offload.csum_offset = h->csum_offset;
}

/* Takes the tag the kernel stripped (from the auxdata or the ring slot's
 * header). An 802.1Q tag becomes metadata. Any other TPID (an 802.1ad service
 * tag, 0x88a8) has no place in the metadata, which means 802.1Q: it goes back
 * into the frame where it was, so the engine's parser sees it for what it is
 * (not a C-tag: the frame is untagged to the switch and the S-tag payload,
 * docs/qinq.md) rather than taking it for a customer VLAN. Returns false when
 * the frame cannot be made whole. */
static bool vlan_from_kernel(struct packet *p, uint32_t status, uint16_t tci, uint16_t tpid)
{
	if (!(status & TP_STATUS_VLAN_VALID))
		return true;
	if (!(status & TP_STATUS_VLAN_TPID_VALID))
		tpid = ETH_TYPE_VLAN;
	if (LIKELY(tpid == ETH_TYPE_VLAN)) {
		p->flags |= PACKET_F_META_VLAN;
		p->meta_tci = tci;
		return true;
	}
	if (p->len < 12 || p->len > UINT16_MAX - VLAN_TAG_LEN || packet_headroom(p) < VLAN_TAG_LEN)
		return false;
	p->data -= VLAN_TAG_LEN;
	memmove(p->data, p->data + VLAN_TAG_LEN, 12);
	store_be16(p->data + 12, tpid);
	store_be16(p->data + 14, tci);
	p->len += VLAN_TAG_LEN;
	if (p->flags & PACKET_F_OFFLOAD)
		packet_offload_shift(p, VLAN_TAG_LEN);
	return true;
}

static bool vlan_from_auxdata(struct packet *p, struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
		    c->cmsg_len < CMSG_LEN(sizeof(struct tpacket_auxdata)))
			continue;
		struct tpacket_auxdata aux;
		memcpy(&aux, CMSG_DATA(c), sizeof(aux));
		return vlan_from_kernel(p, aux.tp_status, aux.tp_vlan_tci, aux.tp_vlan_tpid);
	}
	return true;
}

/* Receives up to `want` frames from the socket queue into pool buffers:
 * out[i] is frame i, or NULL when it was dropped (ours, cut, or a tag that
 * would not fit). Returns how many frames it took, or a negative errno. */
static int queue_recv(struct afpacket_io *io, struct port *port, struct packet_pool *pool,
		      uint32_t want, struct packet **out)
{
	for (uint32_t i = 0; i < want; i++) {
		struct packet *p = packet_alloc(pool);
		struct msghdr *m = &io->rx_msgs[i].msg_hdr;
		io->rx_packets[i] = p;
		io->rx_iov[i][1].iov_base = p->data;
		io->rx_iov[i][1].iov_len = packet_tailroom(p);
		m->msg_namelen = sizeof(io->rx_addr[i]);
		m->msg_controllen = sizeof(io->rx_cmsg[i].buf);
		m->msg_flags = 0;
	}

	int error = 0;
	int n = recvmmsg(io->fd, io->rx_msgs, want, MSG_DONTWAIT, NULL);
	if (n < 0) {
		n = 0;
		/* EINVAL: a frame the kernel could not describe in a vnet header
		 * (an unknown GSO type) was dropped; the next call goes on. */
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != EINVAL)
			error = -errno;
	}
	for (int i = 0; i < n; i++) {
		struct packet *p = io->rx_packets[i];
		struct msghdr *m = &io->rx_msgs[i].msg_hdr;
		uint32_t len = io->rx_msgs[i].msg_len;
		io->rx_packets[i] = NULL;
		out[i] = NULL;
		if (UNLIKELY(io->rx_addr[i].sll_pkttype == PACKET_OUTGOING ||
			     len < sizeof(struct virtio_net_hdr))) {
			packet_free(p);
			continue;
		}
		if (UNLIKELY(m->msg_flags & MSG_TRUNC)) {
			/* Larger than a pool buffer: a cut frame must never pass. */
			port->stats.rx_oversize += 1;
			packet_free(p);
			continue;
		}
		p->len = (uint16_t)(len - sizeof(struct virtio_net_hdr));
		offload_from_vnet(p, &io->rx_vnet[i]);
		if (UNLIKELY(!vlan_from_auxdata(p, m))) {
			port->stats.rx_oversize += 1;
			packet_free(p);
			continue;
		}
		out[i] = p;
	}
	/* Back in reverse order, so the next call gets the same buffers. */
	for (uint32_t i = want; i-- > (uint32_t)n;)
		packet_free(io->rx_packets[i]);
	if ((uint32_t)n == want && io->rx_window < AFPACKET_RX_WINDOW_MAX)
		io->rx_window *= 2;
	else if ((uint32_t)n < want / 4 && io->rx_window > AFPACKET_RX_WINDOW_MIN)
		io->rx_window /= 2;
	return error ? error : n;
}

static struct tpacket2_hdr *ring_slot(const struct afpacket_io *io, uint32_t i)
{
	return (struct tpacket2_hdr *)(io->ring + (size_t)i * RING_SLOT_SIZE);
}

/* Copies the frame of a filled slot into a pool buffer; NULL when it is
 * dropped (ours, cut with no whole copy queued, or a tag that will not fit). */
static struct packet *ring_frame(struct port *port, struct packet_pool *pool,
				 const struct tpacket2_hdr *h, uint32_t status)
{
	const uint8_t *slot = (const uint8_t *)h;
	const struct sockaddr_ll *sll =
	    (const struct sockaddr_ll *)(slot + TPACKET_ALIGN(sizeof(struct tpacket2_hdr)));
	uint32_t mac = h->tp_mac, len = h->tp_snaplen;
	if (UNLIKELY(sll->sll_pkttype == PACKET_OUTGOING))
		return NULL;
	if (UNLIKELY(len < h->tp_len || mac < sizeof(struct virtio_net_hdr) ||
		     mac + len > RING_SLOT_SIZE)) {
		/* Cut, and the socket queue had no room for the whole frame:
		 * lost to a full receive buffer. */
		port->stats.rx_overflow += 1;
		return NULL;
	}
	struct packet *p = packet_alloc(pool);
	if (UNLIKELY(!p))
		return NULL; /* the caller took no more slots than the pool has buffers */
	if (UNLIKELY(len > packet_tailroom(p))) {
		port->stats.rx_oversize += 1;
		packet_free(p);
		return NULL;
	}
	struct virtio_net_hdr vnet;
	memcpy(&vnet, slot + mac - sizeof(vnet), sizeof(vnet));
	memcpy(p->data, slot + mac, len);
	p->len = (uint16_t)len;
	offload_from_vnet(p, &vnet);
	if (UNLIKELY(!vlan_from_kernel(p, status, h->tp_vlan_tci, h->tp_vlan_tpid))) {
		port->stats.rx_oversize += 1;
		packet_free(p);
		return NULL;
	}
	return p;
}

/* Takes the filled slots in order (at most `want`, and no more than the pool
 * can give buffers for), then the whole frames the kernel queued for slots
 * too small, and adds all to the batch in arrival order. */
static int ring_recv(struct afpacket_io *io, struct port *port, struct packet_pool *pool,
		     struct packet_batch *batch, uint32_t want)
{
	int received = 0;
	if (UNLIKELY(io->queue_behind)) {
		int n = queue_recv(io, port, pool, want, io->rx_packets_out);
		if (n < 0)
			return n;
		io->queue_behind = n > 0; /* until a read finds the queue empty */
		for (int i = 0; i < n; i++)
			if (io->rx_packets_out[i]) {
				packet_batch_add(batch, io->rx_packets_out[i]);
				received++;
			}
		want -= (uint32_t)n;
	}
	uint32_t taken = 0, copied = 0;
	while (taken < want) {
		struct tpacket2_hdr *h = ring_slot(io, io->ring_head);
		uint32_t status = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
		if (!(status & TP_STATUS_USER))
			break;
		bool copy = status & TP_STATUS_COPY;
		io->ring_copied[taken] = copy;
		io->ring_taken[taken] = copy ? NULL : ring_frame(port, pool, h, status);
		copied += copy;
		taken++;
		__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		io->ring_head = io->ring_head + 1 == io->ring_slots ? 0 : io->ring_head + 1;
	}
	int error = 0;
	int n = 0;
	if (copied) {
		n = queue_recv(io, port, pool, copied, io->rx_packets_out);
		if (n < 0) {
			error = n;
			n = 0;
		}
	}
	if ((uint32_t)n < copied)
		io->queue_behind = true;
	int next = 0;
	for (uint32_t i = 0; i < taken; i++) {
		struct packet *p = io->ring_taken[i];
		if (io->ring_copied[i])
			p = next < n ? io->rx_packets_out[next++] : NULL;
		if (p) {
			packet_batch_add(batch, p);
			received++;
		}
	}
	/* Frames taken from the ring are delivered even if the queue failed. */
	return received ? received : error;
}

int afpacket_io_recv(struct afpacket_io *io, struct port *port, struct packet_pool *pool,
		     struct packet_batch *batch)
{
	/* Preparing a buffer costs two cache misses (alloc and, unused, free):
	 * a trickle of large TCP frames must not pay for 256 every call. */
	uint32_t want = BATCH_SIZE - batch->count;
	if (want > pool->available)
		want = pool->available;
	if (io->ring && want)
		return ring_recv(io, port, pool, batch, want);
	if (want > io->rx_window)
		want = io->rx_window;
	if (want == 0)
		return 0; /* frames wait in the socket; the kernel counts what overflows */

	int n = queue_recv(io, port, pool, want, io->rx_packets_out);
	if (n < 0)
		return n;
	int received = 0;
	for (int i = 0; i < n; i++)
		if (io->rx_packets_out[i]) {
			packet_batch_add(batch, io->rx_packets_out[i]);
			received++;
		}
	return received;
}

/* ---- send ----------------------------------------------------------------- */

static void vnet_from_offload(struct virtio_net_hdr *h, const struct packet *p)
{
	if (LIKELY(!(p->flags & PACKET_F_OFFLOAD))) {
		memset(h, 0, sizeof(*h));
		return;
	}
	h->flags = p->offload.flags;
	h->gso_type = p->offload.gso_type;
	h->hdr_len = p->offload.hdr_len;
	h->gso_size = p->offload.gso_size;
	h->csum_start = p->offload.csum_start;
	h->csum_offset = p->offload.csum_offset;
}

void afpacket_io_send(struct afpacket_io *io, struct port *port, struct packet_batch *batch)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		/* The engine hands frames over in their wire form; a tag still in
		 * metadata goes inline, as the wire has it. */
		if (UNLIKELY(!packet_inline_meta_vlan(p))) {
			port->stats.tx_errors += 1;
			packet_free(p);
			continue;
		}
		vnet_from_offload(&io->tx_vnet[n], p);
		io->tx_iov[n][1].iov_base = p->data;
		io->tx_iov[n][1].iov_len = p->len;
		io->tx_packets[n++] = p;
	}

	/* Each sendmmsg() either sends some frames or fails on the first one
	 * left, so this loop makes at most one call per frame, and that only
	 * while frames are refused one by one. */
	uint32_t done = 0;
	while (done < n) {
		int sent = sendmmsg(io->fd, &io->tx_msgs[done], n - done, MSG_DONTWAIT);
		if (sent > 0) {
			for (uint32_t i = done; i < done + (uint32_t)sent; i++) {
				port->stats.tx_packets++;
				port->stats.tx_bytes += io->tx_packets[i]->len;
			}
			done += (uint32_t)sent;
			continue;
		}
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
			/* The socket's send buffer is full: waiting would stall the
			 * data plane, so the rest of the batch is dropped. */
			port->stats.tx_full += n - done;
			break;
		}
		if (errno == ENETDOWN || errno == ENXIO || errno == ENODEV) {
			/* The interface is down or gone: so is the rest. */
			port->stats.tx_errors += n - done;
			break;
		}
		/* ENOBUFS (the device queue dropped it), EMSGSIZE, EINVAL (an
		 * offload header the kernel refused): this frame only. */
		port->stats.tx_errors += 1;
		done++;
	}
	for (uint32_t i = 0; i < n; i++)
		packet_free(io->tx_packets[i]);
	batch->count = 0;
}

int afpacket_io_send_frame(struct afpacket_io *io, const void *frame, size_t len)
{
	/* The socket takes a virtio-net header before every frame: all zero
	 * says no offload. */
	struct virtio_net_hdr vnet = {0};
	struct iovec iov[2] = {{.iov_base = &vnet, .iov_len = sizeof(vnet)},
			       {.iov_base = (void *)frame, .iov_len = len}};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
	if (sendmsg(io->fd, &msg, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

/* ---- the afpacket port type ------------------------------------------------ */

static int afpacket_open(struct port *port, const char *const *options, char *err, size_t err_size)
{
	static const char *const known[] = {"dev", AFPACKET_IO_OPTIONS, NULL};
	char ifname[IFNAMSIZ];
	struct afpacket_io_config config;
	struct afpacket_io *io = NULL;
	int error = port_check_options(port, options, known, err, err_size);
	if (!error)
		error = afpacket_ifname(port, options, ifname, err, err_size);
	if (!error)
		error = afpacket_io_parse_options(port, options, &config, err, err_size);
	if (!error)
		error = afpacket_io_open(port, ifname, &config, &io, err, err_size);
	if (!error)
		port->priv = io;
	return error;
}

static void afpacket_close(struct port *port)
{
	afpacket_io_close(port->priv);
	port->priv = NULL;
}

static int afpacket_recv(struct port *port, struct packet_pool *pool, struct packet_batch *batch)
{
	return afpacket_io_recv(port->priv, port, pool, batch);
}

static void afpacket_send(struct port *port, struct packet_batch *batch)
{
	afpacket_io_send(port->priv, port, batch);
}

static bool afpacket_carrier(const struct port *port)
{
	return afpacket_io_carrier(port->priv);
}

static void afpacket_update_stats(struct port *port)
{
	afpacket_io_update_stats(port->priv, port);
}

static int afpacket_wait_fd(const struct port *port)
{
	return afpacket_io_fd(port->priv);
}

const struct port_class afpacket_port_class = {
    .type = "afpacket",
    .open = afpacket_open,
    .close = afpacket_close,
    .recv = afpacket_recv,
    .send = afpacket_send,
    .carrier = afpacket_carrier,
    .interfaces = afpacket_interfaces,
    .wait_fd = afpacket_wait_fd,
    .update_stats = afpacket_update_stats,
};
