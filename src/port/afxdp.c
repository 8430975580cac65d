/* afxdp.c — a port on an existing Linux interface through AF_XDP sockets
 * (libxdp's xsk API): frames move through rings shared with the kernel, no
 * system call per frame and none at all on receive while the kernel keeps
 * the rings fed. The kernel's own path is bypassed: the port attaches an
 * XDP program that redirects every frame of a queue to the socket bound to
 * that queue.
 *
 * Memory. Each queue has its own UMEM (a page-aligned area registered with
 * the kernel) split in two halves that never meet: receive frames, which
 * cycle fill ring -> rx ring -> fill ring inside recv(), and transmit
 * frames, which cycle free list -> tx ring -> completion ring -> free list
 * inside send(). recv() and send() may run at once on two poll threads
 * (port.h's threading contract): they share no ring and no frame. The
 * completion ring belongs to send(); recv() drains it only when it gets the
 * transmit lock without waiting (a sender that stopped still gets its
 * frames back). Frames are copied between the UMEM and the pool's packets,
 * one memcpy per chunk each way: the engine keeps its buffers.
 * Without CAP_IPC_LOCK the kernel charges the UMEM to the memlock limit
 * (8 MiB is common): the rings shrink to fit it (size_rings).
 *
 * The program is our own (afxdp_prog.c), not libxdp's: libxdp 1.3's is not
 * frags-aware, and a program that is not makes the kernel cap the MTU at
 * one page. Binding, tried in order: zero copy with multi-buffer (the
 * driver maps the UMEM), zero copy, copy with multi-buffer (veth), copy;
 * then the program attaches in native XDP mode, else generic (SKB) mode,
 * frags-aware when the sockets are multi-buffer. Multi-buffer (XDP_USE_SG,
 * Linux 6.6): a frame above one UMEM chunk arrives as a chain of
 * descriptors, gathered into one pool packet (afxdp_ring.c; the daemon's
 * buffers hold 64 KB), and leaves split into a chain. A kernel or driver
 * that refuses it leaves the port single-buffer, as `port show` and the log
 * say: the MTU stays capped at a page and a longer frame is a counted drop.
 *
 * Queues. With queues=N there is one socket and one UMEM per receive queue;
 * recv() reads them all. send() uses the queue of the calling thread
 * (threads are numbered in the order they first transmit through an afxdp
 * port, modulo N), so poll threads up to N never share a transmit ring
 * (OVS's AF_XDP ports pick the PMD thread's queue the same way).
 *
 * Checksums. XDP sees a frame's bytes, not the kernel's note that its
 * TCP/UDP checksum is still to be filled in (CHECKSUM_PARTIAL): a veth peer
 * with transmit checksum offload on hands over frames whose checksums the
 * receiver will refuse. The port cannot tell them apart, so the peer must
 * checksum in software (`ethtool -K PEER tx off`, as OVS's AF_XDP on veth
 * also needs); open() says so in the log when it drives a veth. A NIC
 * receives from the wire, where every checksum is complete.
 *
 * Wakeups. With XDP_USE_NEED_WAKEUP the kernel says when it needs a kick:
 * one sendto() per batch on transmit (copy mode transmits inside that call,
 * up to 32 frames each, so a full batch takes a few), one recvfrom() when
 * the fill ring runs dry. The daemon sleeps on the sockets when idle
 * (wait_fds: all the queues' sockets, in the poll thread's own wait set,
 * which registers them only while it sleeps: lib/waitset.h). */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <linux/magic.h>
#include <linux/sockios.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "lib/log.h"
#include "lib/util.h"
#include "afpacket.h"
#include "afxdp_prog.h"
#include "afxdp_ring.h"

#define AFXDP_FRAME_SIZE 4096u /* one page: the largest copy-mode chunk */
/* libxdp's program, which vswitch attached before it had its own. */
#define AFXDP_LIBXDP_PROG "xsk_def_prog"
/* The receive ring absorbs the daemon's absences (a 2-CPU machine under
 * load deschedules it for milliseconds): 4096 frames, 16 MiB, were needed
 * to keep TCP from losing segments where 1024 lost 1-2 %. */
#define AFXDP_RX_FRAMES	 4096u /* = fill ring = rx ring */
#define AFXDP_TX_FRAMES	 1024u /* = tx ring = completion ring */
#define AFXDP_MIN_FRAMES 64u   /* below this the rings cannot hold a burst */
#define AFXDP_MAX_QUEUES 16
#define AFXDP_FALLBACK	 "; type afpacket reaches the same interface without AF_XDP"

struct afxdp_queue {
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	uint8_t *area;
	size_t area_size;
	uint32_t rx_frames, tx_frames;
	int fd;

	/* Receive half: recv() only. */
	struct xsk_ring_prod fill;
	struct xsk_ring_cons rx;

	/* Transmit half: send() only, or recv() holding tx_lock. */
	pthread_mutex_t tx_lock;
	struct xsk_ring_prod tx;
	struct xsk_ring_cons comp;
	uint32_t tx_n_free;
	uint32_t tx_outstanding; /* atomic: written under tx_lock, read by recv() */
	uint64_t *tx_free;	 /* free transmit frame addresses */
	uint64_t tx_sent;	 /* frames sent through this queue (port show) */

	struct xdp_statistics seen; /* the kernel's counters at the last update */
};

struct afxdp_port {
	char ifname[IFNAMSIZ];
	int ifindex;
	int ioctl_fd;	/* carrier queries */
	int promisc_fd; /* a packet socket whose membership keeps promiscuity */
	struct afxdp_prog prog;
	bool zerocopy;
	bool multibuf;	     /* the sockets are bound with XDP_USE_SG */
	bool single;	     /* multi-buffer=no: not even tried */
	uint32_t next_queue; /* where recv() starts, for fairness */
	int n_queues;
	struct afxdp_queue queues[];
};

/* ---- libbpf and libxdp messages ---------------------------------------------- */

/* libxdp explains its fallbacks on stderr (the dispatcher refused, a single
 * program loaded instead); the daemon keeps the last line for its own error
 * message instead. Set once, process-wide, from open (paused threads). */
static char library_note[160];

static int library_print(const char *fmt, va_list ap)
{
	char line[sizeof(library_note)];
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	if (line[0])
		memcpy(library_note, line, sizeof(line));
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_DEBUG ? 0 : library_print(fmt, ap);
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	return level == LIBXDP_DEBUG ? 0 : library_print(fmt, ap);
}

/* ---- what AF_XDP needs from the machine ------------------------------------- */

/* libxdp keeps its lock and pinned programs in a BPF filesystem
 * (LIBXDP_BPFFS, else /sys/fs/bpf). Mounts one there when missing. */
static int ensure_bpffs(const struct port *port, char *err, size_t err_size)
{
	const char *dir = getenv("LIBXDP_BPFFS");
	if (!dir || !dir[0])
		dir = "/sys/fs/bpf";
	struct statfs fs;
	if (statfs(dir, &fs) == 0 && fs.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", dir, "bpf", 0, "mode=0700") == 0) {
		log_info("port %s: mounted a BPF filesystem at %s for AF_XDP", port->name, dir);
		return 0;
	}
	int error = -errno;
	snprintf(err, err_size,
		 "port %s: AF_XDP needs a BPF filesystem (bpffs) at %s and mounting one failed: "
		 "%s (mount it: 'mount -t bpf bpf %s')" AFXDP_FALLBACK,
		 port->name, dir, strerror(errno), dir);
	return error;
}

/* Whether the process holds capability `cap` (CapEff of /proc/self/status). */
static bool have_capability(int cap)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	unsigned long long eff = 0;
	bool found = false;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			found = true;
	if (f)
		fclose(f);
	return found && (eff >> cap & 1);
}

/* Halves the rings until every queue's UMEM fits half the memlock limit,
 * which the kernel charges it to unless we hold CAP_IPC_LOCK. Returns 0 or
 * -ENOBUFS with the limit named in err. */
static int size_rings(const struct port *port, int n_queues, uint32_t *rx_frames,
		      uint32_t *tx_frames, char *err, size_t err_size)
{
	*rx_frames = AFXDP_RX_FRAMES;
	*tx_frames = AFXDP_TX_FRAMES;
	struct rlimit lim;
	if (have_capability(14 /* CAP_IPC_LOCK */) || getrlimit(RLIMIT_MEMLOCK, &lim) != 0 ||
	    lim.rlim_cur == RLIM_INFINITY)
		return 0;
	uint64_t budget = lim.rlim_cur / 2;
	while ((uint64_t)(*rx_frames + *tx_frames) * AFXDP_FRAME_SIZE * (uint64_t)n_queues >
	       budget) {
		if (*tx_frames <= AFXDP_MIN_FRAMES) {
			snprintf(err, err_size,
				 "port %s: the memlock limit (%llu KiB, ulimit -l) cannot hold "
				 "%d AF_XDP queue(s) of %u KiB: raise it (LimitMEMLOCK=) or grant "
				 "CAP_IPC_LOCK" AFXDP_FALLBACK,
				 port->name, (unsigned long long)lim.rlim_cur / 1024, n_queues,
				 2 * AFXDP_MIN_FRAMES * AFXDP_FRAME_SIZE / 1024);
			return -ENOBUFS;
		}
		*rx_frames /= 2;
		*tx_frames /= 2;
	}
	return 0;
}

/* Whether `prog` is one a vswitch attached: ours, or libxdp's, which
 * vswitch attached before it had its own. */
static bool vswitch_program(struct xdp_program *prog)
{
	const char *name = prog ? xdp_program__name(prog) : NULL;
	return name && (strcmp(name, AFXDP_PROG_NAME) == 0 || strcmp(name, AFXDP_LIBXDP_PROG) == 0);
}

/* Detaches what a daemon killed before its close() left on the interface:
 * our program (or libxdp's), alone or in a dispatcher that holds nothing
 * else. A program of anyone else stays, and attaching ours reports it. */
static void detach_stale_program(const struct afxdp_port *ap, const struct port *port)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ap->ifindex);
	if (!mp || libxdp_get_error(mp))
		return;
	bool ours = true;
	if (xdp_multiprog__is_legacy(mp)) {
		ours = vswitch_program(xdp_multiprog__main_prog(mp));
	} else {
		struct xdp_program *p = NULL;
		while ((p = xdp_multiprog__next_prog(p, mp)) != NULL)
			ours = ours && vswitch_program(p);
	}
	if (ours && xdp_multiprog__detach(mp) == 0)
		log_info("port %s: detached a stale AF_XDP program from '%s'", port->name,
			 ap->ifname);
	xdp_multiprog__close(mp);
}

/* ---- queues --------------------------------------------------------------------- */

static void queue_close(struct afxdp_queue *q)
{
	if (q->xsk)
		xsk_socket__delete(q->xsk);
	if (q->umem)
		xsk_umem__delete(q->umem);
	if (q->area)
		munmap(q->area, q->area_size);
	free(q->tx_free);
	pthread_mutex_destroy(&q->tx_lock);
	memset(q, 0, sizeof(*q));
	q->fd = -1;
}

/* What an errno from socket creation means for the operator. */
static const char *create_hint(int error)
{
	switch (error) {
	case EPERM:
	case EACCES:
		return " (AF_XDP needs CAP_NET_ADMIN and CAP_BPF or CAP_SYS_ADMIN)";
	case ENOBUFS:
	case ENOMEM:
		return " (the UMEM did not fit the memlock limit, ulimit -l: raise it or grant "
		       "CAP_IPC_LOCK)";
	case EBUSY:
	case EEXIST:
		return " (another XDP program or AF_XDP socket holds the interface or queue)";
	case EOPNOTSUPP:
		return " (the driver has no AF_XDP support)";
	case EINVAL:
		return " (no such queue on the interface, or an MTU above one page)";
	default:
		return "";
	}
}

/* Registers the UMEM, retrying for up to 100 ms when the memlock limit is
 * reached right after a refused attempt: the kernel uncharges a UMEM in a
 * deferred release, so the attempt before may still hold the memory. */
static int register_umem(struct afxdp_queue *q, bool after_refusal)
{
	struct xsk_umem_config ucfg = {
	    .fill_size = q->rx_frames,
	    .comp_size = q->tx_frames,
	    .frame_size = AFXDP_FRAME_SIZE,
	    .frame_headroom = 0,
	};
	int error;
	for (int tries = 0;; tries++) {
		error =
		    xsk_umem__create(&q->umem, q->area, q->area_size, &q->fill, &q->comp, &ucfg);
		if (error != -ENOBUFS || !after_refusal || tries == 50)
			break;
		usleep(2000);
	}
	if (error)
		q->umem = NULL;
	return error;
}

/* Registers the UMEM and binds a socket to queue `qid`, in the first way
 * the kernel and the driver take: zero copy with multi-buffer, zero copy,
 * copy with multi-buffer (veth), copy (a kernel before 6.6: EINVAL, or a
 * driver without multi-buffer); queue 0 chooses, the others follow it.
 * libxdp loads no program: ours is attached afterwards (afxdp_prog.c).
 * Returns 0 or a negative errno. */
static int queue_bind(struct afxdp_port *ap, struct afxdp_queue *q, int qid)
{
	static const uint16_t binds[] = {
	    XDP_ZEROCOPY | XDP_USE_SG,
	    XDP_ZEROCOPY,
	    XDP_COPY | XDP_USE_SG,
	    XDP_COPY,
	};
	int error = -EOPNOTSUPP;
	bool refused = false;
	for (size_t i = 0; i < ARRAY_SIZE(binds); i++) {
		if ((qid > 0 && (((binds[i] & XDP_ZEROCOPY) != 0) != ap->zerocopy ||
				 ((binds[i] & XDP_USE_SG) != 0) != ap->multibuf)) ||
		    (ap->single && (binds[i] & XDP_USE_SG)))
			continue;
		error = register_umem(q, refused);
		if (error)
			return error;
		struct xsk_socket_config scfg = {
		    .rx_size = q->rx_frames,
		    .tx_size = q->tx_frames,
		    .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		    .bind_flags = binds[i] | XDP_USE_NEED_WAKEUP,
		};
		error = xsk_socket__create(&q->xsk, ap->ifname, (uint32_t)qid, q->umem, &q->rx,
					   &q->tx, &scfg);
		if (!error) {
			ap->zerocopy = (binds[i] & XDP_ZEROCOPY) != 0;
			ap->multibuf = (binds[i] & XDP_USE_SG) != 0;
			return 0;
		}
		q->xsk = NULL;
		xsk_umem__delete(q->umem);
		q->umem = NULL;
		refused = true;
		if (error == -EPERM || error == -EACCES || error == -ENOBUFS || error == -ENOMEM)
			return error; /* no other way will do better */
	}
	return error;
}

static int queue_open(struct afxdp_port *ap, struct afxdp_queue *q, int qid, uint32_t rx_frames,
		      uint32_t tx_frames)
{
	q->fd = -1;
	pthread_mutex_init(&q->tx_lock, NULL);
	q->rx_frames = rx_frames;
	q->tx_frames = tx_frames;
	q->area_size = (size_t)(rx_frames + tx_frames) * AFXDP_FRAME_SIZE;
	void *area =
	    mmap(NULL, q->area_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	q->tx_free = calloc(tx_frames, sizeof(*q->tx_free));
	if (area == MAP_FAILED || !q->tx_free) {
		if (area != MAP_FAILED)
			munmap(area, q->area_size);
		return -ENOMEM;
	}
	q->area = area;
	int error = queue_bind(ap, q, qid);
	if (error)
		return error;
	q->fd = xsk_socket__fd(q->xsk);

	/* The first half of the area feeds the kernel, the second transmits. */
	uint32_t idx;
	if (xsk_ring_prod__reserve(&q->fill, rx_frames, &idx) != rx_frames)
		return -ENOBUFS;
	for (uint32_t i = 0; i < rx_frames; i++)
		*xsk_ring_prod__fill_addr(&q->fill, idx + i) = (uint64_t)i * AFXDP_FRAME_SIZE;
	xsk_ring_prod__submit(&q->fill, rx_frames);
	for (uint32_t i = 0; i < tx_frames; i++)
		q->tx_free[i] = (uint64_t)(rx_frames + i) * AFXDP_FRAME_SIZE;
	q->tx_n_free = tx_frames;
	return 0;
}

/* ---- open and close ------------------------------------------------------------- */

static int parse_queues(const struct port *port, const char *const *options, int *out, char *err,
			size_t err_size)
{
	const char *value = port_option(options, "queues");
	*out = 1;
	if (!value)
		return 0;
	char *end;
	long n = strtol(value, &end, 10);
	if (end == value || *end || n < 1 || n > AFXDP_MAX_QUEUES) {
		snprintf(err, err_size, "port %s: queues '%s' must be 1-%d", port->name, value,
			 AFXDP_MAX_QUEUES);
		return -EINVAL;
	}
	*out = (int)n;
	return 0;
}

static void afxdp_free(struct afxdp_port *ap)
{
	if (!ap)
		return;
	afxdp_prog_detach(&ap->prog); /* frames go to the kernel's stack again */
	for (int i = 0; i < ap->n_queues; i++)
		queue_close(&ap->queues[i]);
	if (ap->promisc_fd >= 0)
		close(ap->promisc_fd);
	if (ap->ioctl_fd >= 0)
		close(ap->ioctl_fd);
	free(ap);
}

/* The driver's name (ETHTOOL_GDRVINFO), "" when it will not say. */
static void driver_name(const struct afxdp_port *ap, char *out, size_t size)
{
	struct ethtool_drvinfo info = {.cmd = ETHTOOL_GDRVINFO};
	struct ifreq ifr = {0};
	copy_name(ifr.ifr_name, sizeof(ifr.ifr_name), ap->ifname);
	ifr.ifr_data = (void *)&info;
	out[0] = '\0';
	if (ioctl(ap->ioctl_fd, SIOCETHTOOL, &ifr) == 0)
		copy_name(out, size, info.driver);
}

/* A switch port sees every frame, not only those for its MAC: a packet
 * socket's promiscuous membership lasts as long as the socket, so a crash
 * leaves the interface as it found it. */
static int hold_promisc(struct afxdp_port *ap)
{
	ap->promisc_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (ap->promisc_fd < 0)
		return -errno;
	struct packet_mreq mreq = {.mr_ifindex = ap->ifindex, .mr_type = PACKET_MR_PROMISC};
	if (setsockopt(ap->promisc_fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) < 0)
		return -errno;
	return 0;
}

static int open_queues(struct port *port, struct afxdp_port *ap, char *err, size_t err_size)
{
	uint32_t rx_frames, tx_frames;
	int error = size_rings(port, ap->n_queues, &rx_frames, &tx_frames, err, err_size);
	if (error)
		return error;
	detach_stale_program(ap, port);
	for (int i = 0; i < ap->n_queues; i++) {
		library_note[0] = '\0';
		error = queue_open(ap, &ap->queues[i], i, rx_frames, tx_frames);
		if (error) {
			snprintf(err, err_size,
				 "port %s: cannot open an AF_XDP socket on '%s' queue %d: "
				 "%s%s%s%s" AFXDP_FALLBACK,
				 port->name, ap->ifname, i, strerror(-error), create_hint(-error),
				 library_note[0] ? "; libxdp: " : "", library_note);
			return error;
		}
	}
	/* Frags-aware only for multi-buffer sockets: otherwise the kernel's
	 * page cap on the MTU keeps frames we could not take off the link. */
	const char *what = "";
	library_note[0] = '\0';
	error = afxdp_prog_attach(&ap->prog, ap->ifindex, ap->n_queues, ap->multibuf, &what);
	for (int i = 0; !error && i < ap->n_queues; i++) {
		what = "adding a socket to its map";
		error = afxdp_prog_add_socket(&ap->prog, i, ap->queues[i].fd);
	}
	if (error) {
		snprintf(err, err_size,
			 "port %s: AF_XDP on '%s': %s failed: %s%s%s%s" AFXDP_FALLBACK, port->name,
			 ap->ifname, what, strerror(-error), create_hint(-error),
			 library_note[0] ? "; libbpf: " : "", library_note);
		return error;
	}
	if (ap->multibuf && !ap->prog.frags)
		ap->multibuf = false; /* the kernel took the sockets, not the program */
	return 0;
}

static int afxdp_open(struct port *port, const char *const *options, char *err, size_t err_size)
{
	static const char *const known[] = {"dev", "queues", "multi-buffer", NULL};
	char ifname[IFNAMSIZ];
	int n_queues = 1;
	int error = port_check_options(port, options, known, err, err_size);
	if (!error)
		error = afpacket_ifname(port, options, ifname, err, err_size);
	if (!error)
		error = parse_queues(port, options, &n_queues, err, err_size);
	/* multi-buffer=no: single-buffer as a kernel without it would be (a
	 * driver whose multi-buffer misbehaves; the tests of the fallback). */
	const char *multi = port_option(options, "multi-buffer");
	if (!error && multi && strcmp(multi, "yes") != 0 && strcmp(multi, "no") != 0) {
		snprintf(err, err_size, "port %s: multi-buffer '%s' must be yes or no", port->name,
			 multi);
		error = -EINVAL;
	}
	if (error)
		return error;

	struct afxdp_port *ap = calloc(1, sizeof(*ap) + (size_t)n_queues * sizeof(ap->queues[0]));
	if (!ap) {
		snprintf(err, err_size, "port %s: out of memory", port->name);
		return -ENOMEM;
	}
	ap->ioctl_fd = ap->promisc_fd = -1;
	ap->prog.prog_fd = ap->prog.map_fd = -1;
	ap->single = multi && strcmp(multi, "no") == 0;
	copy_name(ap->ifname, sizeof(ap->ifname), ifname);
	for (int i = 0; i < n_queues; i++)
		ap->queues[i].fd = -1;

	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
	ap->ioctl_fd = afpacket_ioctl_socket();
	error = ap->ioctl_fd < 0 ? ap->ioctl_fd : 0;
	if (!error) {
		ap->ifindex = afpacket_netdev_index(ap->ioctl_fd, ifname);
		error = ap->ifindex < 0 ? ap->ifindex : 0;
	}
	if (error) {
		snprintf(err, err_size, "port %s: %s '%s': %s", port->name,
			 error == -ENODEV ? "no such interface" : "cannot look up interface",
			 ifname, strerror(-error));
		goto fail;
	}
	error = ensure_bpffs(port, err, err_size);
	if (error)
		goto fail;
	ap->n_queues = n_queues;
	error = open_queues(port, ap, err, err_size);
	if (error)
		goto fail;
	error = hold_promisc(ap);
	if (error) {
		snprintf(err, err_size, "port %s: cannot set up '%s': %s", port->name, ifname,
			 strerror(-error));
		goto fail;
	}
	log_info("port %s: AF_XDP on '%s', %d queue(s), %s mode, %s, %s", port->name, ifname,
		 n_queues, ap->prog.xdp_flags == XDP_FLAGS_DRV_MODE ? "native" : "generic",
		 ap->zerocopy ? "zero copy" : "copy",
		 ap->multibuf ? "multi-buffer" : "single-buffer");
	if (!ap->multibuf)
		log_info("port %s: %s on '%s': frames above %u bytes are dropped (tx-error) and "
			 "the MTU stays capped at one page",
			 port->name,
			 ap->single ? "multi-buffer=no"
				    : "the kernel refused AF_XDP multi-buffer "
				      "(XDP_USE_SG)",
			 ifname, AFXDP_FRAME_SIZE);
	char driver[32];
	driver_name(ap, driver, sizeof(driver));
	if (strcmp(driver, "veth") == 0)
		log_info("port %s: '%s' is a veth: its peer must checksum in software "
			 "(ethtool -K PEER tx off), AF_XDP cannot see a partial checksum",
			 port->name, ifname);
	port->priv = ap;
	return 0;
fail:
	afxdp_free(ap);
	return error;
}

/* The program is detached before the sockets go. */
static void afxdp_close(struct port *port)
{
	afxdp_free(port->priv);
	port->priv = NULL;
}

/* ---- transmit --------------------------------------------------------------------- */

/* Takes back the frames the kernel has sent. Caller holds tx_lock. */
static void drain_completions(struct afxdp_queue *q)
{
	uint32_t idx;
	uint32_t n = xsk_ring_cons__peek(&q->comp, q->tx_frames, &idx);
	for (uint32_t i = 0; i < n; i++)
		q->tx_free[q->tx_n_free++] = *xsk_ring_cons__comp_addr(&q->comp, idx + i);
	xsk_ring_cons__release(&q->comp, n);
	__atomic_fetch_sub(&q->tx_outstanding, n, __ATOMIC_RELAXED);
}

/* Copy mode transmits inside sendto(), at most 32 descriptors a call: kicks
 * until the kernel has taken the `descs` just queued (a frame of a chain is
 * several) or stops making progress. */
static void kick_tx(struct afxdp_queue *q, uint32_t descs)
{
	for (uint32_t i = 0; i < descs / 32 + 2; i++) {
		if (!xsk_ring_prod__needs_wakeup(&q->tx))
			return;
		uint32_t before = __atomic_load_n(q->tx.consumer, __ATOMIC_ACQUIRE);
		if (before == *q->tx.producer)
			return;
		if (sendto(q->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN &&
		    errno != EBUSY && errno != ENOBUFS && errno != EINTR)
			return; /* ENETDOWN, ENXIO: the frames wait for the link */
		if (__atomic_load_n(q->tx.consumer, __ATOMIC_ACQUIRE) == before)
			return;
	}
}

/* The frames of `batch` in wire form that this port can send, in `out`:
 * one UMEM frame each, or any length (a chain) on a multi-buffer socket;
 * the others are freed and counted. Returns how many. */
static uint32_t tx_prepare(struct port *port, const struct afxdp_port *ap,
			   struct packet_batch *batch, struct packet **out)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		if (UNLIKELY(!packet_inline_meta_vlan(p) || /* the wire form */
			     (p->len > AFXDP_FRAME_SIZE && !ap->multibuf))) {
			port->stats.tx_errors += 1;
			packet_free(p);
			continue;
		}
		out[n++] = p;
	}
	batch->count = 0;
	return n;
}

/* The calling thread's transmit queue: threads are numbered in the order
 * they first send through an afxdp port, so with as many queues as poll
 * threads no two share a ring (the engine already serialises the sends of
 * one port; this keeps each ring, its lock and its cache lines on one
 * core, as OVS's per-PMD transmit queues do). */
static __thread int tx_slot = -1;
static int tx_slots;

static struct afxdp_queue *tx_queue(struct afxdp_port *ap)
{
	if (UNLIKELY(tx_slot < 0))
		tx_slot = __atomic_fetch_add(&tx_slots, 1, __ATOMIC_RELAXED);
	return &ap->queues[ap->n_queues == 1 ? 0 : tx_slot % ap->n_queues];
}

static void afxdp_send(struct port *port, struct packet_batch *batch)
{
	struct afxdp_port *ap = port->priv;
	struct afxdp_queue *q = tx_queue(ap);
	struct packet *ready[BATCH_SIZE];
	uint32_t n = tx_prepare(port, ap, batch, ready);

	pthread_mutex_lock(&q->tx_lock);
	drain_completions(q);
	/* As many whole frames as the free chunks and the ring hold. */
	uint32_t budget = xsk_prod_nb_free(&q->tx, q->tx_n_free);
	if (budget > q->tx_n_free)
		budget = q->tx_n_free;
	uint32_t room = 0, descs = 0;
	for (; room < n; room++) {
		uint32_t need = afxdp_chain_length(ready[room]->len, AFXDP_FRAME_SIZE);
		if (need > budget - descs)
			break;
		descs += need;
	}
	uint32_t idx = 0;
	if (descs && xsk_ring_prod__reserve(&q->tx, descs, &idx) != descs)
		room = descs = 0; /* cannot happen: nb_free said there was room */
	uint64_t bytes = 0;
	for (uint32_t i = 0, at = idx; i < room; i++) {
		at += afxdp_split(&q->tx, at, q->area, q->tx_free, &q->tx_n_free, ready[i]->data,
				  ready[i]->len, AFXDP_FRAME_SIZE);
		bytes += ready[i]->len;
	}
	if (descs) {
		xsk_ring_prod__submit(&q->tx, descs);
		__atomic_fetch_add(&q->tx_outstanding, descs, __ATOMIC_RELAXED);
		q->tx_sent += room;
		kick_tx(q, descs);
	}
	pthread_mutex_unlock(&q->tx_lock);

	port->stats.tx_packets += room;
	port->stats.tx_bytes += bytes;
	port->stats.tx_full += n - room; /* no free frame: the kernel is behind */
	for (uint32_t i = 0; i < n; i++)
		packet_free(ready[i]);
}

/* ---- receive ---------------------------------------------------------------------- */

/* Receives up to `want` frames from one queue. On a multi-buffer socket up
 * to AFXDP_CHAIN_MAX - 1 descriptors beyond `want` are looked at, so the
 * last frame's chain is seen whole; a chain cut by the peek stays in the
 * ring for the next call. */
static int queue_recv(struct port *port, const struct afxdp_port *ap, struct afxdp_queue *q,
		      struct packet_pool *pool, struct packet_batch *batch, uint32_t want)
{
	uint32_t idx;
	uint32_t n =
	    xsk_ring_cons__peek(&q->rx, want + (ap->multibuf ? AFXDP_CHAIN_MAX - 1 : 0), &idx);
	if (n == 0) {
		if (xsk_ring_prod__needs_wakeup(&q->fill))
			recvfrom(q->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		return 0;
	}
	const struct afxdp_area area = {
	    .base = q->area,
	    .first = 0,
	    .end = (uint64_t)q->rx_frames * AFXDP_FRAME_SIZE,
	    .chunk = AFXDP_FRAME_SIZE,
	};
	int received = 0;
	uint32_t used = 0;
	while (used < n && (uint32_t)received < want) {
		struct packet *p = packet_alloc(pool);
		uint32_t room = packet_tailroom(p) < UINT16_MAX ? packet_tailroom(p) : UINT16_MAX;
		uint32_t len = 0;
		enum afxdp_gather_status status;
		uint32_t k =
		    afxdp_gather(&q->rx, idx + used, n - used, &area, p->data, room, &len, &status);
		if (LIKELY(status == AFXDP_GATHER_OK)) {
			p->len = (uint16_t)len;
			packet_batch_add(batch, p);
			received++;
		} else {
			packet_free(p);
			if (status == AFXDP_GATHER_INCOMPLETE)
				break;
			if (status == AFXDP_GATHER_TOO_LONG && k == 1)
				port->stats.rx_oversize += 1; /* a pool with buffers under a page */
			else if (status == AFXDP_GATHER_TOO_LONG)
				port->stats.rx_chain_long += 1;
			else
				port->stats.rx_chain_broken += 1;
		}
		used += k;
	}
	/* Every rx descriptor was a fill entry: the fill ring has room for it. */
	uint32_t fidx;
	xsk_ring_prod__reserve(&q->fill, used, &fidx);
	for (uint32_t i = 0; i < used; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->rx, idx + i);
		*xsk_ring_prod__fill_addr(&q->fill, fidx + i) = afxdp_chunk_of(&area, d->addr);
	}
	xsk_ring_cons__release(&q->rx, used);
	if (used < n) {
		xsk_ring_cons__cancel(&q->rx, n - used);
		/* libxdp reads the producer again only when its cached view
		 * is empty, which a chain left behind keeps from happening:
		 * the next peek must see the rest of it. */
		q->rx.cached_prod = __atomic_load_n(q->rx.producer, __ATOMIC_ACQUIRE);
	}
	xsk_ring_prod__submit(&q->fill, used);
	return received;
}

static int afxdp_recv(struct port *port, struct packet_pool *pool, struct packet_batch *batch)
{
	struct afxdp_port *ap = port->priv;
	int received = 0;
	for (int k = 0; k < ap->n_queues; k++) {
		struct afxdp_queue *q = &ap->queues[(ap->next_queue + (uint32_t)k) % ap->n_queues];
		uint32_t want = BATCH_SIZE - batch->count;
		if (want > pool->available)
			want = pool->available;
		if (want == 0)
			break; /* frames wait in the ring; the kernel counts what overflows */
		received += queue_recv(port, ap, q, pool, batch, want);
		/* A sender that went quiet still gets its frames back. */
		if (__atomic_load_n(&q->tx_outstanding, __ATOMIC_RELAXED) &&
		    pthread_mutex_trylock(&q->tx_lock) == 0) {
			drain_completions(q);
			pthread_mutex_unlock(&q->tx_lock);
		}
	}
	ap->next_queue = (ap->next_queue + 1) % (uint32_t)ap->n_queues;
	return received;
}

/* ---- the rest of the provider ------------------------------------------------------- */

static bool afxdp_carrier(const struct port *port)
{
	const struct afxdp_port *ap = port->priv;
	return afpacket_netdev_running(ap->ioctl_fd, ap->ifindex);
}

/* Every queue's socket: the poll thread's wait set holds them only while
 * it sleeps (lib/waitset.h), where an epoll set of our own would keep a
 * waiter on each socket, and its callback on every frame, for good. */
static int afxdp_wait_fds(const struct port *port, int *fds, int max)
{
	const struct afxdp_port *ap = port->priv;
	int n = ap->n_queues < max ? ap->n_queues : max;
	for (int i = 0; i < n; i++)
		fds[i] = ap->queues[i].fd;
	return n;
}

/* The kernel's socket counters are cumulative: add what grew since. */
static void afxdp_update_stats(struct port *port)
{
	struct afxdp_port *ap = port->priv;
	for (int i = 0; i < ap->n_queues; i++) {
		struct afxdp_queue *q = &ap->queues[i];
		struct xdp_statistics now;
		socklen_t len = sizeof(now);
		if (getsockopt(q->fd, SOL_XDP, XDP_STATISTICS, &now, &len) != 0)
			continue;
		/* rx_dropped already holds the full-ring drops (counted more
		 * than once on Linux 6.18), and a frame too long for the
		 * socket never gets this far (a single-buffer port's program
		 * keeps the MTU at a page): all of it is overflow. */
		uint64_t full = (now.rx_ring_full - q->seen.rx_ring_full) +
				(now.rx_fill_ring_empty_descs - q->seen.rx_fill_ring_empty_descs);
		uint64_t dropped = now.rx_dropped - q->seen.rx_dropped;
		port->stats.rx_overflow += dropped > full ? dropped : full;
		port->stats.tx_errors += now.tx_invalid_descs - q->seen.tx_invalid_descs;
		q->seen = now;
	}
}

static int afxdp_status(const struct port *port, struct port_status *out)
{
	const struct afxdp_port *ap = port->priv;
	const char *mode = ap->prog.xdp_flags == XDP_FLAGS_DRV_MODE ? "native" : "generic";
	const char *copy = ap->zerocopy ? "zero-copy" : "copy";
	const char *multibuf = ap->multibuf ? "multi-buffer" : "single-buffer";
	int at = snprintf(out->text, sizeof(out->text),
			  "AF_XDP on %s: %d queue(s), %s XDP, %s, %s%s, %u rx + %u tx frames of %u "
			  "bytes; frames sent per queue:",
			  ap->ifname, ap->n_queues, mode, copy, multibuf,
			  ap->multibuf ? ""
			  : ap->single ? " (multi-buffer=no)"
				       : " (the kernel refused XDP_USE_SG)",
			  ap->queues[0].rx_frames, ap->queues[0].tx_frames, AFXDP_FRAME_SIZE);
	for (int i = 0; i < ap->n_queues && at > 0 && (size_t)at < sizeof(out->text); i++)
		at += snprintf(out->text + at, sizeof(out->text) - (size_t)at, " %d: %llu", i,
			       (unsigned long long)ap->queues[i].tx_sent);
	port_status_string(out, "device", ap->ifname);
	port_status_string(out, "xdp-mode", mode);
	port_status_string(out, "copy-mode", copy);
	port_status_string(out, "buffers", multibuf);
	port_status_number(out, "queues", (uint64_t)ap->n_queues);
	port_status_number(out, "frame-size", AFXDP_FRAME_SIZE);
	for (int i = 0; i < ap->n_queues; i++) {
		char key[24];
		snprintf(key, sizeof(key), "queue%d-tx", i);
		port_status_number(out, key, ap->queues[i].tx_sent);
	}
	return 0;
}

const struct port_class afxdp_port_class = {
    .type = "afxdp",
    .open = afxdp_open,
    .close = afxdp_close,
    .recv = afxdp_recv,
    .send = afxdp_send,
    .carrier = afxdp_carrier,
    .wait_fds = afxdp_wait_fds,
    .interfaces = afpacket_interfaces,
    .status = afxdp_status,
    .update_stats = afxdp_update_stats,
};
