/* vxlan.c — the vxlan port type: a VTEP (RFC 7348) that carries the
 * switch's VLANs over an IP underlay, one VNI per VLAN, wire-compatible
 * with the Linux kernel's vxlan device (docs/vxlan.md).
 *
 * I/O. The VTEP is a kernel UDP socket bound to local:port in vswitchd's
 * network namespace: the kernel routes, resolves neighbours and fragments
 * the outer packets. recvmmsg() takes a batch of datagrams in one call, the
 * 8-byte VXLAN header into a slot of our own and the inner frame straight
 * into a pool buffer (no copy, no move); sendmmsg() sends a batch, each
 * datagram gathered from a shared header and the frame itself, so head-end
 * replication to N VTEPs sends N messages pointing at one buffer.
 *
 * Mapping. A VNI carries one VLAN: the port's untagged frames (vni=N, an
 * access port's pvid) or a tagged VID (vni=VID:N, a trunk's vids). On
 * receive the VNI's VLAN goes to the engine as metadata (PACKET_F_META_VLAN),
 * as a packet socket hands over a tag the kernel stripped; on send the tag
 * is popped and its VID picks the VNI.
 *
 * Remote MACs. (VNI, inner source MAC) -> the outer source address, learned
 * on receive, aged, bounded; static entries come from the live API. Known
 * unicast goes to its VTEP; the rest is replicated to the VNI's flood list.
 * The table is the one state recv() (learning, on the port's poll thread)
 * and send() (lookups, on any poll thread) share: each takes its spinlock
 * once per batch, never per frame, and never across a system call. The
 * segments and flood lists change only while the poll threads are paused. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lib/spinlock.h"
#include "lib/util.h"
#include "port.h"
#include "vxlan_gro.h"
#include "vxlan_header.h"

#define VXLAN_DEFAULT_AGEING	300
#define VXLAN_DEFAULT_MAX_MACS	16384
#define VXLAN_SOCKET_BUFFER	(4 << 20)
#define VXLAN_TX_MAX		1024 /* messages per sendmmsg(): the kernel's UIO_MAXIOV */
#define VXLAN_RX_WINDOW_MIN	8
#define VXLAN_SWEEP_BUDGET	4096 /* table slots aged per update_stats() */
#define VXLAN_VID_MAX		4094
#define VXLAN_DEFAULT_SRC_PORTS 16
#define VXLAN_SRC_PORTS_MAX	64
#define VXLAN_GSO_SEGMENTS	64    /* the kernel's UDP_MAX_SEGMENTS (Linux 4.18+) */
#define VXLAN_GSO_BYTES		65000 /* UDP payload of one GSO write */
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h */
#endif
#ifndef UDP_GRO
#define UDP_GRO 104 /* linux/udp.h */
#endif
/* A UDP_GRO read is at most one IPv4 datagram's payload: reading them whole
 * needs a pool buffer this large (vswitchd's are 64 KB; a small pool, as in
 * the unit tests, reads one datagram at a time). */
#define VXLAN_GRO_MIN_ROOM (65535 - 20 - 8 - VXLAN_HEADER_LEN)

union vxlan_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* One VNI of the port and the VLAN it carries. */
struct vxlan_segment {
	uint32_t vni;
	uint16_t vid; /* 0: the port's untagged frames */
	uint16_t n_flood;
	/* The port's remote= VTEPs first, then the live API's (vxlan_set_flood). */
	union vxlan_sockaddr *flood;
};

/* A remote MAC: chained in a bucket, or on the free list, by `next`. */
struct vxlan_mac {
	uint64_t mac; /* mac_to_u64 */
	uint32_t vni;
	uint32_t next; /* index + 1; 0 ends the chain */
	uint32_t seen; /* seconds, time_now_seconds() */
	bool live;
	bool is_static;
	union vxlan_sockaddr vtep;
};

/* What the port drops or refuses, each named in `port show`. Receive
 * counters are written by the receiving thread, transmit ones under the
 * engine's per-port send serialisation. */
#define FOREACH_VXLAN_COUNTER(X)                                                                   \
	X(rx_short, "rx-short", "datagrams shorter than a VXLAN header")                           \
	X(rx_no_i_flag, "rx-bad-flags", "headers without the I flag")                              \
	X(rx_reserved, "rx-reserved", "headers with reserved bits set")                            \
	X(rx_unknown_vni, "rx-unknown-vni", "VNIs the port does not carry")                        \
	X(rx_inner_short, "rx-inner-short", "inner frames shorter than an Ethernet header")        \
	X(rx_inner_tagged, "rx-inner-tagged", "inner frames with their own VLAN tag")              \
	X(tx_no_vni, "tx-no-vni", "frames of a VLAN that has no VNI")                              \
	X(tx_inner_tagged, "tx-inner-tagged", "frames still tagged once the VLAN tag is popped")   \
	X(tx_too_big, "tx-too-big", "frames that do not fit the underlay MTU with df=on")          \
	X(tx_no_vtep, "tx-no-vtep", "frames to flood in a VNI with no remote VTEP")                \
	X(table_full, "table-full", "remote MACs not learned: the table was full")                 \
	X(mac_moves, "mac-moves", "remote MACs learned again behind another VTEP")                 \
	X(gso_writes, "gso-writes", "runs of datagrams sent as one UDP GSO write")                 \
	X(gso_refused, "gso-refused", "GSO writes the kernel refused: GSO is then off")            \
	X(gro_reads, "gro-reads", "reads that returned several datagrams (UDP_GRO)")               \
	X(gro_frames, "gro-frames", "TCP super-frames rebuilt from several datagrams")             \
	X(gro_bad_csum, "gro-bad-csum", "TCP segments not merged: their inner checksum is wrong")

struct vxlan_counters {
#define VXLAN_FIELD(field, name, text) uint64_t field;
	FOREACH_VXLAN_COUNTER(VXLAN_FIELD)
#undef VXLAN_FIELD
};

struct vxlan_port {
	int fd;
	int family;
	union vxlan_sockaddr local;
	uint16_t udp_port;
	bool df;
	int ttl;	       /* 0: the kernel's default */
	uint32_t underlay_mtu; /* 0: the route's, which the kernel checks itself */
	uint32_t overhead;     /* outer IP + UDP + VXLAN bytes */
	uint32_t ageing;
	char vni_spec[256]; /* as configured, for status */
	/* Underlay entropy (RFC 7348 §5): frames leave from one of src_ports
	 * sockets bound to kernel-chosen source ports, the inner flow's hash
	 * picking it (so a flow keeps its port and GSO runs stay whole); with
	 * src-ports=0 from fd, the port= socket. Reception is on fd only. */
	uint32_t src_ports, n_tx_fds;
	int tx_fds[VXLAN_SRC_PORTS_MAX];
	uint16_t tx_src_port[VXLAN_SRC_PORTS_MAX];
	int tx_fd; /* the socket the messages being built leave from */

	struct vxlan_segment *segs; /* sorted by VNI */
	uint16_t n_segs;
	int16_t seg_of_vid[VXLAN_VID_MAX + 1]; /* index 0: untagged; -1: none */
	union vxlan_sockaddr *remotes;	       /* remote=, in every segment */
	uint16_t n_remotes;

	/* The remote MAC table (see the file comment for its lock). */
	struct spinlock lock;
	struct vxlan_mac *macs;
	uint32_t max_macs, n_macs, free_head;
	uint32_t *buckets; /* index + 1 of a chain's first entry */
	uint32_t bucket_mask;
	uint32_t sweep;

	struct vxlan_counters c;

	/* recvmmsg() state. */
	struct mmsghdr rx_msgs[BATCH_SIZE];
	struct iovec rx_iov[BATCH_SIZE][2];
	uint8_t rx_hdr[BATCH_SIZE][VXLAN_HEADER_LEN];
	union vxlan_sockaddr rx_addr[BATCH_SIZE];
	struct packet *rx_packets[BATCH_SIZE];
	uint32_t rx_window;
	/* UDP_GRO: a read may return up to 64 datagrams of one flow, cut at
	 * the segment size its cmsg gives (vxlan_gro.h rebuilds TCP
	 * super-frames from them). Reads whose frames did not fit the batch
	 * wait in their slots, [rx_pend, rx_pend_end), for the next call. */
	bool gro_tried, gro;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} rx_cmsg[BATCH_SIZE];
	uint32_t rx_pend, rx_pend_end;
	const uint8_t *gro_hdr[VXLAN_GRO_MAX_SEGS];
	const uint8_t *gro_frame[VXLAN_GRO_MAX_SEGS];
	uint32_t gro_len[VXLAN_GRO_MAX_SEGS]; /* UDP payload bytes of each */
	uint32_t gro_inner[VXLAN_GRO_MAX_SEGS];

	/* sendmmsg() state: frames kept for the batch, then their messages. */
	struct packet *tx_packets[BATCH_SIZE];
	int16_t tx_seg[BATCH_SIZE];
	uint8_t tx_sock[BATCH_SIZE]; /* index into tx_fds */
	struct packet *sort_packets[BATCH_SIZE];
	int16_t sort_seg[BATCH_SIZE];
	uint8_t sort_sock[BATCH_SIZE];
	bool tx_known[BATCH_SIZE];
	uint8_t tx_hdr[BATCH_SIZE][VXLAN_HEADER_LEN];
	union vxlan_sockaddr tx_dest[BATCH_SIZE];
	struct mmsghdr tx_msgs[VXLAN_TX_MAX];
	struct iovec tx_iov[VXLAN_TX_MAX][2];
	uint16_t tx_count[VXLAN_TX_MAX]; /* datagrams in message i */
	uint32_t tx_inner[VXLAN_TX_MAX]; /* their inner bytes */

	/* UDP GSO: a run of equal-sized datagrams to one VTEP (the segments of
	 * a TCP super-frame, cut by the egress stage) is written once, gathered
	 * from its headers and frames (gso_iov, two entries a datagram: no
	 * copy in user space); the kernel cuts it again
	 * (UDP_SEGMENT), instead of one trip through its UDP stack each. Off
	 * for good once the kernel refuses such a write (a segment larger than
	 * the route's MTU with df=off, a device without checksum offload): the
	 * run is then sent datagram by datagram. */
	bool gso;
	struct iovec gso_iov[2 * BATCH_SIZE];
	uint32_t gso_iov_used;
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} tx_cmsg[VXLAN_TX_MAX];
	struct mmsghdr split_msgs[VXLAN_GSO_SEGMENTS];
	uint16_t split_count[VXLAN_GSO_SEGMENTS];
	uint32_t split_inner[VXLAN_GSO_SEGMENTS];
};

/* ---- addresses ------------------------------------------------------------ */

static socklen_t addr_len(const union vxlan_sockaddr *a)
{
	return a->sa.sa_family == AF_INET ? sizeof(a->in) : sizeof(a->in6);
}

static uint16_t addr_port(const union vxlan_sockaddr *a)
{
	return ntohs(a->sa.sa_family == AF_INET ? a->in.sin_port : a->in6.sin6_port);
}

static void addr_set_port(union vxlan_sockaddr *a, uint16_t port)
{
	if (a->sa.sa_family == AF_INET)
		a->in.sin_port = htons(port);
	else
		a->in6.sin6_port = htons(port);
}

static bool addr_same_ip(const union vxlan_sockaddr *a, const union vxlan_sockaddr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	return memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof(a->in6.sin6_addr)) == 0;
}

static bool addr_equal(const union vxlan_sockaddr *a, const union vxlan_sockaddr *b)
{
	return addr_same_ip(a, b) && addr_port(a) == addr_port(b);
}

/* "IP", "IP:PORT", "IPv6" or "[IPv6]:PORT"; the port defaults to
 * default_port. Returns 0 or -EINVAL. */
static int addr_parse(const char *text, uint16_t default_port, union vxlan_sockaddr *out)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL;
	size_t n = strlen(text);
	memset(out, 0, sizeof(*out));
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || (close[1] && close[1] != ':') ||
		    (size_t)(close - text) > sizeof(host))
			return -EINVAL;
		n = (size_t)(close - text - 1);
		memcpy(host, text + 1, n);
		port = close[1] ? close + 2 : NULL;
	} else {
		const char *colon = strchr(text, ':');
		if (colon && !strchr(colon + 1, ':')) { /* one colon: IPv4:PORT */
			n = (size_t)(colon - text);
			port = colon + 1;
		}
		if (n >= sizeof(host))
			return -EINVAL;
		memcpy(host, text, n);
	}
	host[n] = '\0';
	unsigned long p = default_port;
	if (port) {
		char *end;
		errno = 0;
		p = strtoul(port, &end, 10);
		if (errno || end == port || *end || p < 1 || p > 65535)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, host, &out->in.sin_addr) == 1)
		out->sa.sa_family = AF_INET;
	else if (inet_pton(AF_INET6, host, &out->in6.sin6_addr) == 1)
		out->sa.sa_family = AF_INET6;
	else
		return -EINVAL;
	addr_set_port(out, (uint16_t)p);
	return 0;
}

static void addr_format(const union vxlan_sockaddr *a, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (a->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->in.sin_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, addr_port(a));
	} else {
		inet_ntop(AF_INET6, &a->in6.sin6_addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, addr_port(a));
	}
}

/* Parses a VTEP address of the port's family, or says why not. */
static int vtep_parse(const struct port *port, const struct vxlan_port *vp, const char *text,
		      union vxlan_sockaddr *out, char *err, size_t err_size)
{
	if (addr_parse(text, vp->udp_port, out) < 0) {
		snprintf(err, err_size, "port %s: '%s' is not a VTEP address (IP or IP:PORT)",
			 port->name, text);
		return -EINVAL;
	}
	if (out->sa.sa_family != vp->family) {
		snprintf(err, err_size, "port %s: VTEP %s is not of local=%s's address family",
			 port->name, text, vp->family == AF_INET ? "IPv4" : "IPv6");
		return -EINVAL;
	}
	return 0;
}

/* ---- segments ------------------------------------------------------------- */

/* The segment carrying `vni`, or -1: a binary search of the sorted array. */
static int segment_of_vni(const struct vxlan_port *vp, uint32_t vni)
{
	int lo = 0, hi = vp->n_segs - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		uint32_t v = vp->segs[mid].vni;
		if (v == vni)
			return mid;
		if (v < vni)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static int compare_segments(const void *a, const void *b)
{
	uint32_t x = ((const struct vxlan_segment *)a)->vni;
	uint32_t y = ((const struct vxlan_segment *)b)->vni;
	return x < y ? -1 : x > y;
}

static bool parse_number(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	char buf[16];
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	char *end;
	errno = 0;
	*out = strtoul(buf, &end, 10);
	return !errno && *end == '\0' && buf[0] >= '0' && buf[0] <= '9' && *out <= max;
}

/* vni=N (the untagged frames) and VID:N (a tagged VLAN), comma-separated. */
static int parse_vni_spec(const struct port *port, struct vxlan_port *vp, const char *spec,
			  char *err, size_t err_size)
{
	for (int v = 0; v <= VXLAN_VID_MAX; v++)
		vp->seg_of_vid[v] = -1;
	if (!spec || !spec[0]) {
		snprintf(err, err_size,
			 "port %s: vni= is required: vni=N for the untagged frames and/or "
			 "VID:N,... for tagged VLANs",
			 port->name);
		return -EINVAL;
	}
	if (!copy_name(vp->vni_spec, sizeof(vp->vni_spec), spec)) {
		snprintf(err, err_size, "port %s: vni= is longer than %zu characters", port->name,
			 sizeof(vp->vni_spec) - 1);
		return -EINVAL;
	}
	/* At most one segment per VLAN and one for the untagged frames. */
	vp->segs = calloc(VXLAN_VID_MAX + 1, sizeof(*vp->segs));
	if (!vp->segs) {
		snprintf(err, err_size, "port %s: out of memory", port->name);
		return -ENOMEM;
	}
	for (const char *item = spec; item;) {
		const char *comma = strchr(item, ',');
		size_t n = comma ? (size_t)(comma - item) : strlen(item);
		const char *colon = memchr(item, ':', n);
		/* VID:N, or a range VID1-VID2:N mapping VID1+i to N+i. */
		const char *dash = colon ? memchr(item, '-', (size_t)(colon - item)) : NULL;
		const char *vids_end = dash ? dash : colon;
		unsigned long vid = 0, last = 0, vni;
		bool ok =
		    colon ? parse_number(item, (size_t)(vids_end - item), VXLAN_VID_MAX, &vid) &&
				vid >= 1 &&
				parse_number(colon + 1, n - (size_t)(colon - item) - 1,
					     VXLAN_VNI_MAX, &vni)
			  : parse_number(item, n, VXLAN_VNI_MAX, &vni);
		last = vid;
		if (ok && dash)
			ok = parse_number(dash + 1, (size_t)(colon - dash - 1), VXLAN_VID_MAX,
					  &last) &&
			     last >= vid && vni + (last - vid) <= VXLAN_VNI_MAX;
		if (!ok) {
			snprintf(err, err_size,
				 "port %s: vni item '%.*s' is not N, VID:N or VID-VID:N (VID 1-%d, "
				 "VNI 0-%u)",
				 port->name, (int)n, item, VXLAN_VID_MAX, VXLAN_VNI_MAX);
			return -EINVAL;
		}
		for (unsigned long v = vid; v <= last; v++) {
			if (vp->seg_of_vid[v] >= 0) {
				if (v)
					snprintf(err, err_size,
						 "port %s: VLAN %lu has two VNIs in vni=%s",
						 port->name, v, spec);
				else
					snprintf(err, err_size,
						 "port %s: the untagged frames have two VNIs in "
						 "vni=%s",
						 port->name, spec);
				return -EINVAL;
			}
			vp->seg_of_vid[v] = (int16_t)vp->n_segs;
			vp->segs[vp->n_segs++] = (struct vxlan_segment){
			    .vni = (uint32_t)(vni + (v - vid)), .vid = (uint16_t)v};
		}
		item = comma ? comma + 1 : NULL;
	}
	qsort(vp->segs, vp->n_segs, sizeof(*vp->segs), compare_segments);
	for (uint16_t i = 0; i < vp->n_segs; i++) {
		if (i && vp->segs[i].vni == vp->segs[i - 1].vni) {
			snprintf(
			    err, err_size,
			    "port %s: VNI %u carries two VLANs in vni=%s (one VNI is one VLAN)",
			    port->name, vp->segs[i].vni, spec);
			return -EINVAL;
		}
		vp->seg_of_vid[vp->segs[i].vid] = (int16_t)i;
	}
	return 0;
}

/* Sets a segment's flood list to remote= plus `extra` (duplicates of
 * remote= or of each other left out). Takes ownership of nothing. */
static int segment_set_flood(struct vxlan_port *vp, struct vxlan_segment *seg,
			     const union vxlan_sockaddr *extra, size_t n_extra)
{
	union vxlan_sockaddr *list = calloc(vp->n_remotes + n_extra + 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	uint16_t n = 0;
	for (uint16_t i = 0; i < vp->n_remotes; i++)
		list[n++] = vp->remotes[i];
	for (size_t i = 0; i < n_extra; i++) {
		bool dup = false;
		for (uint16_t j = 0; j < n && !dup; j++)
			dup = addr_equal(&list[j], &extra[i]);
		if (!dup)
			list[n++] = extra[i];
	}
	free(seg->flood);
	seg->flood = list;
	seg->n_flood = n;
	return 0;
}

/* ---- the remote MAC table ------------------------------------------------- */

static uint32_t mac_bucket(const struct vxlan_port *vp, uint32_t vni, uint64_t mac)
{
	return (uint32_t)hash_u64(mac ^ ((uint64_t)vni << 40) ^ ((uint64_t)vni >> 8)) &
	       vp->bucket_mask;
}

/* The entry for (vni, mac), live or aged, or NULL. */
static struct vxlan_mac *mac_find(const struct vxlan_port *vp, uint32_t vni, uint64_t mac)
{
	for (uint32_t i = vp->buckets[mac_bucket(vp, vni, mac)]; i; i = vp->macs[i - 1].next) {
		struct vxlan_mac *e = &vp->macs[i - 1];
		if (e->mac == mac && e->vni == vni)
			return e;
	}
	return NULL;
}

static bool mac_expired(const struct vxlan_port *vp, const struct vxlan_mac *e, uint32_t now)
{
	return !e->is_static && now - e->seen > vp->ageing;
}

/* A new entry for (vni, mac), or NULL when the table is full. */
static struct vxlan_mac *mac_insert(struct vxlan_port *vp, uint32_t vni, uint64_t mac)
{
	if (!vp->free_head)
		return NULL;
	uint32_t index = vp->free_head;
	struct vxlan_mac *e = &vp->macs[index - 1];
	vp->free_head = e->next;
	uint32_t b = mac_bucket(vp, vni, mac);
	*e = (struct vxlan_mac){.mac = mac, .vni = vni, .next = vp->buckets[b], .live = true};
	vp->buckets[b] = index;
	vp->n_macs++;
	return e;
}

static void mac_remove(struct vxlan_port *vp, struct vxlan_mac *e)
{
	uint32_t index = (uint32_t)(e - vp->macs) + 1;
	for (uint32_t *link = &vp->buckets[mac_bucket(vp, e->vni, e->mac)]; *link;
	     link = &vp->macs[*link - 1].next)
		if (*link == index) {
			*link = e->next;
			break;
		}
	e->live = false;
	e->next = vp->free_head;
	vp->free_head = index;
	vp->n_macs--;
}

/* Where frames for a MAC learned from `source` go: the source IP at the
 * VXLAN port (a Linux VTEP sends from a port hashed from the inner flow,
 * never from 4789), unless the source is exactly one of the segment's
 * flood VTEPs (two VTEPs sharing an IP on different ports). */
static void learned_vtep(const struct vxlan_port *vp, const struct vxlan_segment *seg,
			 const union vxlan_sockaddr *source, union vxlan_sockaddr *out)
{
	for (uint16_t i = 0; i < seg->n_flood; i++)
		if (addr_equal(&seg->flood[i], source)) {
			*out = *source;
			return;
		}
	*out = *source;
	addr_set_port(out, vp->udp_port);
}

/* Learns the inner source MAC of a frame from `source`; the lock is held. */
static void learn(struct vxlan_port *vp, const struct vxlan_segment *seg, const uint8_t *src,
		  const union vxlan_sockaddr *source, uint32_t now)
{
	uint64_t mac = mac_to_u64(src);
	struct vxlan_mac *e = mac_find(vp, seg->vni, mac);
	if (LIKELY(e)) {
		if (e->is_static)
			return;
		if (LIKELY(addr_same_ip(&e->vtep, source))) {
			e->seen = now;
			return;
		}
		if (!mac_expired(vp, e, now))
			vp->c.mac_moves++;
	} else if (!(e = mac_insert(vp, seg->vni, mac))) {
		vp->c.table_full++;
		return;
	}
	learned_vtep(vp, seg, source, &e->vtep);
	e->seen = now;
}

/* ---- options, open and close ---------------------------------------------- */

static int parse_uint(const struct port *port, const char *const *options, const char *key,
		      unsigned long min, unsigned long max, unsigned long fallback,
		      unsigned long *out, char *err, size_t err_size)
{
	const char *value = port_option(options, key);
	*out = fallback;
	if (!value)
		return 0;
	if (!parse_number(value, strlen(value), max, out) || *out < min) {
		snprintf(err, err_size, "port %s: %s '%s' must be %lu-%lu", port->name, key, value,
			 min, max);
		return -EINVAL;
	}
	return 0;
}

static int parse_remotes(const struct port *port, struct vxlan_port *vp, const char *list,
			 char *err, size_t err_size)
{
	if (!list || !list[0])
		return 0;
	size_t items = 1;
	for (const char *c = list; *c; c++)
		items += *c == ',';
	if (items > VXLAN_FLOOD_MAX) {
		snprintf(err, err_size, "port %s: more than %d remote VTEPs", port->name,
			 VXLAN_FLOOD_MAX);
		return -E2BIG;
	}
	vp->remotes = calloc(items, sizeof(*vp->remotes));
	if (!vp->remotes) {
		snprintf(err, err_size, "port %s: out of memory", port->name);
		return -ENOMEM;
	}
	for (const char *item = list; item;) {
		const char *comma = strchr(item, ',');
		char text[INET6_ADDRSTRLEN + 8];
		size_t n = comma ? (size_t)(comma - item) : strlen(item);
		if (n >= sizeof(text))
			n = sizeof(text) - 1; /* too long for an address: refused below */
		memcpy(text, item, n);
		text[n] = '\0';
		union vxlan_sockaddr a;
		int error = vtep_parse(port, vp, text, &a, err, err_size);
		if (error)
			return error;
		bool dup = false;
		for (uint16_t i = 0; i < vp->n_remotes && !dup; i++)
			dup = addr_equal(&vp->remotes[i], &a);
		if (!dup)
			vp->remotes[vp->n_remotes++] = a;
		item = comma ? comma + 1 : NULL;
	}
	return 0;
}

static int parse_options(struct port *port, struct vxlan_port *vp, const char *const *options,
			 char *err, size_t err_size)
{
	static const char *const known[] = {
	    "local",	    "port",   "remote",	  "vni",       "df", "ttl",
	    "underlay-mtu", "ageing", "max-macs", "src-ports", NULL};
	int error = port_check_options(port, options, known, err, err_size);
	if (error)
		return error;
	unsigned long udp_port, ttl, mtu, ageing, max_macs, src_ports;
	if ((error = parse_uint(port, options, "port", 1, 65535, VXLAN_DEFAULT_PORT, &udp_port, err,
				err_size)) ||
	    (error = parse_uint(port, options, "ttl", 1, 255, 0, &ttl, err, err_size)) ||
	    (error =
		 parse_uint(port, options, "underlay-mtu", 576, 65535, 0, &mtu, err, err_size)) ||
	    (error = parse_uint(port, options, "ageing", 1, 86400, VXLAN_DEFAULT_AGEING, &ageing,
				err, err_size)) ||
	    (error = parse_uint(port, options, "max-macs", 1, 1u << 22, VXLAN_DEFAULT_MAX_MACS,
				&max_macs, err, err_size)) ||
	    (error = parse_uint(port, options, "src-ports", 0, VXLAN_SRC_PORTS_MAX,
				VXLAN_DEFAULT_SRC_PORTS, &src_ports, err, err_size)))
		return error;
	vp->src_ports = (uint32_t)src_ports;
	vp->udp_port = (uint16_t)udp_port;
	vp->ttl = (int)ttl;
	vp->underlay_mtu = (uint32_t)mtu;
	vp->ageing = (uint32_t)ageing;
	vp->max_macs = (uint32_t)max_macs;
	const char *df = port_option(options, "df");
	if (df && strcmp(df, "on") && strcmp(df, "off")) {
		snprintf(err, err_size, "port %s: df '%s' must be on or off", port->name, df);
		return -EINVAL;
	}
	vp->df = df && !strcmp(df, "on");

	const char *local = port_option(options, "local");
	if (!local || addr_parse(local, vp->udp_port, &vp->local) < 0 || strchr(local, ']') ||
	    (strchr(local, ':') && vp->local.sa.sa_family == AF_INET)) {
		snprintf(err, err_size,
			 "port %s: local= must be the VTEP's own IPv4 or IPv6 address (the "
			 "port number is port=)",
			 port->name);
		return -EINVAL;
	}
	vp->family = vp->local.sa.sa_family;
	vp->overhead = vp->family == AF_INET ? VXLAN_IPV4_OVERHEAD : VXLAN_IPV6_OVERHEAD;
	error = parse_remotes(port, vp, port_option(options, "remote"), err, err_size);
	if (!error)
		error = parse_vni_spec(port, vp, port_option(options, "vni"), err, err_size);
	for (uint16_t i = 0; !error && i < vp->n_segs; i++)
		if (segment_set_flood(vp, &vp->segs[i], NULL, 0) < 0) {
			snprintf(err, err_size, "port %s: out of memory", port->name);
			error = -ENOMEM;
		}
	return error;
}

static int open_table(struct vxlan_port *vp)
{
	uint32_t buckets = 1;
	while (buckets < vp->max_macs * 2)
		buckets <<= 1;
	vp->macs = calloc(vp->max_macs, sizeof(*vp->macs));
	vp->buckets = calloc(buckets, sizeof(*vp->buckets));
	if (!vp->macs || !vp->buckets)
		return -ENOMEM;
	vp->bucket_mask = buckets - 1;
	for (uint32_t i = 0; i < vp->max_macs; i++)
		vp->macs[i].next = i + 2 <= vp->max_macs ? i + 2 : 0;
	vp->free_head = 1;
	return 0;
}

static int set_int(int fd, int level, int option, int value)
{
	return setsockopt(fd, level, option, &value, sizeof(value)) == 0 ? 0 : -errno;
}

/* A UDP socket of the port's family with its options set, in *fd. */
static int udp_socket(struct port *port, const struct vxlan_port *vp, int *fd, char *err,
		      size_t err_size)
{
	*fd = socket(vp->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (*fd < 0) {
		snprintf(err, err_size, "port %s: cannot open a UDP socket: %s", port->name,
			 strerror(errno));
		return -errno;
	}
	bool v4 = vp->family == AF_INET;
	/* df=off is the Linux vxlan default: the outer packet may be
	 * fragmented, by us or on the path. df=on sets DF and the kernel
	 * refuses what exceeds the route's MTU (counted tx-too-big). */
	int pmtu = v4 ? (vp->df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT)
		      : (vp->df ? IPV6_PMTUDISC_DO : IPV6_PMTUDISC_DONT);
	int error = set_int(*fd, v4 ? IPPROTO_IP : IPPROTO_IPV6,
			    v4 ? IP_MTU_DISCOVER : IPV6_MTU_DISCOVER, pmtu);
	if (!error && vp->ttl)
		error = set_int(*fd, v4 ? IPPROTO_IP : IPPROTO_IPV6,
				v4 ? IP_TTL : IPV6_UNICAST_HOPS, vp->ttl);
	if (!error && !v4)
		error = set_int(*fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	if (error) {
		snprintf(err, err_size, "port %s: cannot set up the UDP socket: %s", port->name,
			 strerror(-error));
		return error;
	}
	/* Room for bursts while the poll thread is busy elsewhere; the FORCE
	 * variants (CAP_NET_ADMIN) go past net.core.[rw]mem_max. */
	if (set_int(*fd, SOL_SOCKET, SO_RCVBUFFORCE, VXLAN_SOCKET_BUFFER))
		(void)set_int(*fd, SOL_SOCKET, SO_RCVBUF, VXLAN_SOCKET_BUFFER);
	if (set_int(*fd, SOL_SOCKET, SO_SNDBUFFORCE, VXLAN_SOCKET_BUFFER))
		(void)set_int(*fd, SOL_SOCKET, SO_SNDBUF, VXLAN_SOCKET_BUFFER);
	return 0;
}

static int open_socket(struct port *port, struct vxlan_port *vp, char *err, size_t err_size)
{
	char local[80];
	addr_format(&vp->local, local, sizeof(local));
	int error = udp_socket(port, vp, &vp->fd, err, err_size);
	if (error)
		return error;
	if (bind(vp->fd, &vp->local.sa, addr_len(&vp->local)) < 0) {
		error = -errno;
		snprintf(err, err_size, "port %s: cannot bind the VTEP to %s: %s%s", port->name,
			 local, strerror(errno),
			 errno == EADDRINUSE	  ? " (another VTEP, e.g. a kernel vxlan device, "
						    "has that UDP port: give another with port=)"
			 : errno == EADDRNOTAVAIL ? " (local= must be an address of this host)"
						  : "");
		return error;
	}
	/* The source-port pool: bound to local:0, so the kernel picks each
	 * port from its ephemeral range (net.ipv4.ip_local_port_range,
	 * 32768-60999 by default, as Linux's vxlan). Nothing is read from
	 * them: the smallest receive buffer. */
	for (; vp->n_tx_fds < vp->src_ports; vp->n_tx_fds++) {
		int *fd = &vp->tx_fds[vp->n_tx_fds];
		union vxlan_sockaddr a = vp->local;
		socklen_t len = sizeof(a);
		addr_set_port(&a, 0);
		if ((error = udp_socket(port, vp, fd, err, err_size)))
			return error;
		(void)set_int(*fd, SOL_SOCKET, SO_RCVBUF, 1);
		if (bind(*fd, &a.sa, addr_len(&a)) < 0 || getsockname(*fd, &a.sa, &len) < 0) {
			error = -errno;
			close(*fd);
			snprintf(err, err_size,
				 "port %s: cannot bind a source-port socket to %s: %s", port->name,
				 local, strerror(errno));
			return error;
		}
		vp->tx_src_port[vp->n_tx_fds] = addr_port(&a);
	}
	return 0;
}

static void vxlan_free(struct vxlan_port *vp)
{
	if (!vp)
		return;
	if (vp->fd >= 0)
		close(vp->fd);
	for (uint32_t i = vp->rx_pend; i < vp->rx_pend_end; i++)
		packet_free_any(vp->rx_packets[i]);
	for (uint32_t i = 0; i < vp->n_tx_fds; i++)
		close(vp->tx_fds[i]);
	for (uint16_t i = 0; vp->segs && i < vp->n_segs; i++)
		free(vp->segs[i].flood);
	free(vp->segs);
	free(vp->remotes);
	free(vp->macs);
	free(vp->buckets);
	free(vp);
}

static void slots_init(struct vxlan_port *vp)
{
	for (uint32_t i = 0; i < BATCH_SIZE; i++) {
		struct msghdr *m = &vp->rx_msgs[i].msg_hdr;
		vp->rx_iov[i][0].iov_base = vp->rx_hdr[i];
		vp->rx_iov[i][0].iov_len = VXLAN_HEADER_LEN;
		m->msg_iov = vp->rx_iov[i];
		m->msg_iovlen = 2;
		m->msg_name = &vp->rx_addr[i];
	}
	for (uint32_t i = 0; i < VXLAN_TX_MAX; i++) {
		vp->tx_msgs[i].msg_hdr.msg_iov = vp->tx_iov[i];
		vp->tx_msgs[i].msg_hdr.msg_iovlen = 2;
		vp->tx_iov[i][0].iov_len = VXLAN_HEADER_LEN;
	}
	vp->rx_window = VXLAN_RX_WINDOW_MIN * 4;
}

static int vxlan_open(struct port *port, const char *const *options, char *err, size_t err_size)
{
	struct vxlan_port *vp = calloc(1, sizeof(*vp));
	if (!vp) {
		snprintf(err, err_size, "port %s: out of memory", port->name);
		return -ENOMEM;
	}
	vp->fd = -1;
	int error = parse_options(port, vp, options, err, err_size);
	if (!error && open_table(vp) < 0) {
		snprintf(err, err_size, "port %s: out of memory for %u remote MACs", port->name,
			 vp->max_macs);
		error = -ENOMEM;
	}
	if (!error)
		error = open_socket(port, vp, err, err_size);
	if (error) {
		vxlan_free(vp);
		return error;
	}
	slots_init(vp);
	vp->gso = true;
	port->priv = vp;
	return 0;
}

static void vxlan_close(struct port *port)
{
	vxlan_free(port->priv);
	port->priv = NULL;
}

/* ---- receive -------------------------------------------------------------- */

static bool is_tag_type(uint16_t type)
{
	return type == ETH_TYPE_VLAN || type == ETH_TYPE_QINQ || type == ETH_TYPE_QINQ_OLD;
}

/* Decapsulates a datagram (its header and UDP payload length) into its
 * packet, or counts why not. The table's lock is taken by the first frame
 * that learns and held for the batch. Inlined into the receive loop, the
 * per-datagram path (a call with seven arguments cost 15 % of it). */
static inline __attribute__((always_inline)) bool
decapsulate(struct vxlan_port *vp, const uint8_t *hdr, uint32_t len, struct packet *p,
	    const union vxlan_sockaddr *source, uint32_t now, bool *locked)
{
	uint32_t vni;
	switch (vxlan_header_parse(hdr, len, &vni)) {
	case VXLAN_OK:
		break;
	case VXLAN_SHORT:
		vp->c.rx_short++;
		return false;
	case VXLAN_NO_I_FLAG:
		vp->c.rx_no_i_flag++;
		return false;
	case VXLAN_RESERVED:
		vp->c.rx_reserved++;
		return false;
	}
	int s = segment_of_vni(vp, vni);
	if (UNLIKELY(s < 0)) {
		vp->c.rx_unknown_vni++;
		return false;
	}
	const struct vxlan_segment *seg = &vp->segs[s];
	if (UNLIKELY(len - VXLAN_HEADER_LEN < ETH_HEADER_LEN)) {
		vp->c.rx_inner_short++;
		return false;
	}
	p->len = (uint16_t)(len - VXLAN_HEADER_LEN);
	if (UNLIKELY(is_tag_type(load_be16(p->data + 12)))) {
		vp->c.rx_inner_tagged++;
		return false;
	}
	const uint8_t *src = p->data + 6;
	/* A group or zero source is the engine's to drop; never a MAC to learn. */
	if (LIKELY(!mac_is_group(src) && !mac_is_zero(src))) {
		if (!*locked) {
			spin_lock(&vp->lock);
			*locked = true;
		}
		learn(vp, seg, src, source, now);
	}
	if (seg->vid) {
		p->flags |= PACKET_F_META_VLAN;
		p->meta_tci = seg->vid;
	}
	return true;
}

/* Turns UDP_GRO on for a pool whose buffers hold a whole read; once, at
 * the first receive (the pool is not known at open). */
static void gro_setup(struct vxlan_port *vp, const struct packet_pool *pool)
{
	vp->gro_tried = true;
	vp->gro =
	    pool->data_room >= VXLAN_GRO_MIN_ROOM && set_int(vp->fd, SOL_UDP, UDP_GRO, 1) == 0;
	for (uint32_t i = 0; i < BATCH_SIZE; i++) {
		vp->rx_msgs[i].msg_hdr.msg_control = vp->gro ? vp->rx_cmsg[i].buf : NULL;
		vp->rx_msgs[i].msg_hdr.msg_controllen = 0;
	}
}

/* The segment size of read i (its UDP_GRO cmsg), 0 for a single datagram. */
static uint32_t gro_size(const struct vxlan_port *vp, uint32_t i)
{
	struct msghdr *m = (struct msghdr *)&vp->rx_msgs[i].msg_hdr;
	if (!vp->gro || !m->msg_controllen)
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int size;
			memcpy(&size, CMSG_DATA(c), sizeof(size));
			return size > 0 ? (uint32_t)size : 0;
		}
	return 0;
}

/* Whether a run may merge under this header: a valid one of a VNI of the
 * port (what decapsulate() then refuses only for the inner frame). */
static bool gro_header_ok(const struct vxlan_port *vp, const uint8_t *hdr)
{
	uint32_t vni;
	return vxlan_header_parse(hdr, VXLAN_HEADER_LEN, &vni) == VXLAN_OK &&
	       segment_of_vni(vp, vni) >= 0;
}

/* Read i holds several datagrams of `size` bytes (the last maybe shorter),
 * the first one's header in its slot and its frame at p->data, the others'
 * headers and frames after it. Runs of in-order segments of one TCP flow
 * under one header become one super-frame (the first in place, in p); the
 * rest are copied into frames of their own, each judged as a single
 * datagram would be. Appends them to the batch in order; returns how many. */
static int receive_gro(struct port *port, struct vxlan_port *vp, struct packet_pool *pool,
		       uint32_t i, uint32_t size, struct packet_batch *batch, uint32_t now,
		       bool *locked)
{
	struct packet *p = vp->rx_packets[i];
	uint32_t total = vp->rx_msgs[i].msg_len, n = 0;
	for (uint32_t at = 0; at < total && n < VXLAN_GRO_MAX_SEGS; n++) {
		uint32_t len = total - at < size ? total - at : size;
		/* UDP payload byte X >= 8 is at p->data + X - 8: the first
		 * header is in the slot, later ones just before their frames. */
		vp->gro_hdr[n] = at ? p->data + at - VXLAN_HEADER_LEN : vp->rx_hdr[i];
		vp->gro_frame[n] = p->data + at;
		vp->gro_len[n] = len;
		vp->gro_inner[n] = len >= VXLAN_HEADER_LEN ? len - VXLAN_HEADER_LEN : 0;
		at += len;
	}
	vp->c.gro_reads++;
	int received = 0;
	bool p_used = false;
	for (uint32_t j = 0; j < n;) {
		uint32_t same = 1, k = 1;
		if (vp->gro_len[j] >= VXLAN_HEADER_LEN && gro_header_ok(vp, vp->gro_hdr[j])) {
			while (j + same < n && vp->gro_len[j + same] >= VXLAN_HEADER_LEN &&
			       !memcmp(vp->gro_hdr[j + same], vp->gro_hdr[j], VXLAN_HEADER_LEN))
				same++;
			k = vxlan_gro_run(&vp->gro_frame[j], &vp->gro_inner[j], same,
					  pool->data_room);
			if (UNLIKELY(!k)) { /* delivered alone, unchanged */
				vp->c.gro_bad_csum++;
				k = 1;
			}
		}
		struct packet *q = j == 0 ? p : packet_alloc(pool);
		if (UNLIKELY(!q)) {
			port->stats.rx_overflow += k; /* the pool ran dry */
			j += k;
			continue;
		}
		uint32_t len = vp->gro_len[j];
		struct packet_offload off;
		if (k > 1) {
			len = VXLAN_HEADER_LEN + vxlan_gro_merge(q->data, &vp->gro_frame[j],
								 &vp->gro_inner[j], k, &off);
		} else if (j) {
			memcpy(q->data, vp->gro_frame[j], vp->gro_inner[j]);
		}
		if (decapsulate(vp, vp->gro_hdr[j], len, q, &vp->rx_addr[i], now, locked)) {
			if (k > 1) {
				q->flags |= PACKET_F_OFFLOAD;
				q->offload = off;
				vp->c.gro_frames++;
			}
			packet_batch_add(batch, q);
			received++;
			p_used |= q == p;
		} else if (q != p) {
			packet_free(q);
		}
		j += k;
	}
	if (!p_used)
		packet_free(p);
	return received;
}

/* Frames read i may give the batch at most: one per datagram it holds. */
static uint32_t read_frames_max(const struct vxlan_port *vp, uint32_t i)
{
	uint32_t size = gro_size(vp, i), len = vp->rx_msgs[i].msg_len;
	return size && len > size ? (len + size - 1) / size : 1;
}

static int vxlan_recv(struct port *port, struct packet_pool *pool, struct packet_batch *batch)
{
	struct vxlan_port *vp = port->priv;
	if (UNLIKELY(!vp->gro_tried))
		gro_setup(vp, pool);
	uint32_t first = 0, want = 0;
	int n = 0, received = 0;
	if (vp->rx_pend < vp->rx_pend_end) {
		/* Reads the last call had no room for, before any new one. */
		first = vp->rx_pend;
		n = (int)vp->rx_pend_end;
		vp->rx_pend = vp->rx_pend_end = 0;
	} else {
		want = BATCH_SIZE - batch->count;
		if (want > vp->rx_window)
			want = vp->rx_window;
		if (want > pool->available)
			want = pool->available;
		if (want == 0)
			return 0;
		for (uint32_t i = 0; i < want; i++) {
			struct packet *p = packet_alloc(pool);
			struct msghdr *m = &vp->rx_msgs[i].msg_hdr;
			vp->rx_packets[i] = p;
			vp->rx_iov[i][1].iov_base = p->data;
			vp->rx_iov[i][1].iov_len = packet_tailroom(p);
			m->msg_namelen = sizeof(vp->rx_addr[i]);
			m->msg_controllen = vp->gro ? sizeof(vp->rx_cmsg[i].buf) : 0;
			m->msg_flags = 0;
		}
		n = recvmmsg(vp->fd, vp->rx_msgs, want, MSG_DONTWAIT, NULL);
		if (n < 0) {
			n = 0;
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				received = -errno;
		}
	}
	uint32_t now = n ? time_now_seconds() : 0;
	bool locked = false;
	for (uint32_t i = first; i < (uint32_t)n; i++) {
		struct packet *p = vp->rx_packets[i];
		if (UNLIKELY(vp->gro) && read_frames_max(vp, i) > BATCH_SIZE - batch->count) {
			vp->rx_pend = i; /* no room: the next call takes it first */
			vp->rx_pend_end = (uint32_t)n;
			break;
		}
		uint32_t size = UNLIKELY(vp->gro) ? gro_size(vp, i) : 0;
		vp->rx_packets[i] = NULL;
		if (UNLIKELY(vp->rx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) {
			port->stats.rx_oversize += 1; /* larger than a buffer: never cut */
			packet_free(p);
		} else if (size && vp->rx_msgs[i].msg_len > size) {
			vp->rx_packets[i] = p;
			received += receive_gro(port, vp, pool, i, size, batch, now, &locked);
			vp->rx_packets[i] = NULL;
		} else if (LIKELY(decapsulate(vp, vp->rx_hdr[i], vp->rx_msgs[i].msg_len, p,
					      &vp->rx_addr[i], now, &locked))) {
			packet_batch_add(batch, p);
			received++;
		} else {
			packet_free(p);
		}
	}
	if (locked)
		spin_unlock(&vp->lock);
	if (!want)
		return received;
	for (uint32_t i = want; i-- > (uint32_t)n;)
		packet_free(vp->rx_packets[i]);
	/* As afpacket: as many buffers per call as recent calls needed. */
	if ((uint32_t)n == want && vp->rx_window < BATCH_SIZE)
		vp->rx_window *= 2;
	else if ((uint32_t)n < want / 4 && vp->rx_window > VXLAN_RX_WINDOW_MIN)
		vp->rx_window /= 2;
	return received;
}

/* ---- send ----------------------------------------------------------------- */

/* Pops the frame's VLAN tag and returns the segment of its VLAN, or -1
 * with the reason counted. */
static int egress_segment(struct vxlan_port *vp, struct packet *p)
{
	uint16_t vid = 0;
	if (p->flags & PACKET_F_META_VLAN) {
		vid = p->meta_tci & 0x0fff;
		p->flags &= (uint16_t)~PACKET_F_META_VLAN;
	} else if (p->len >= ETH_HEADER_LEN + VLAN_TAG_LEN &&
		   load_be16(p->data + 12) == ETH_TYPE_VLAN) {
		vid = load_be16(p->data + 14) & 0x0fff;
		packet_pop_vlan(p);
	}
	if (UNLIKELY(p->len < ETH_HEADER_LEN))
		return -1; /* nothing the engine makes: a tx error */
	int s = vid <= VXLAN_VID_MAX ? vp->seg_of_vid[vid] : -1;
	if (UNLIKELY(s < 0)) {
		vp->c.tx_no_vni++;
		return -1;
	}
	if (UNLIKELY(is_tag_type(load_be16(p->data + 12)))) {
		vp->c.tx_inner_tagged++;
		return -1;
	}
	if (UNLIKELY(vp->df && vp->underlay_mtu && p->len + vp->overhead > vp->underlay_mtu)) {
		vp->c.tx_too_big++;
		return -1;
	}
	return s;
}

static void send_split(struct port *port, struct vxlan_port *vp, uint32_t i);

/* Sends msgs [0, n), message i holding count[i] datagrams of inner[i]
 * bytes: the afpacket loop, one call per batch unless the kernel refuses
 * messages one by one. A refused GSO write goes again datagram by
 * datagram (send_split), and GSO stops. */
static void send_messages(struct port *port, struct vxlan_port *vp, struct mmsghdr *msgs,
			  const uint16_t *count, const uint32_t *inner, uint32_t n)
{
	uint32_t done = 0;
	while (done < n) {
		int sent = sendmmsg(vp->tx_fd, &msgs[done], n - done, MSG_DONTWAIT);
		if (sent > 0) {
			for (uint32_t i = done; i < done + (uint32_t)sent; i++) {
				port->stats.tx_packets += count[i];
				port->stats.tx_bytes += inner[i];
				vp->c.gso_writes += count[i] > 1;
			}
			done += (uint32_t)sent;
			continue;
		}
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
			for (uint32_t i = done; i < n; i++)
				port->stats.tx_full += count[i];
			break;
		}
		if (count[done] > 1 && msgs == vp->tx_msgs) {
			vp->gso = false;
			vp->c.gso_refused++;
			send_split(port, vp, done);
		} else {
			/* This message only: too big for the route with df=on
			 * (EMSGSIZE), no route to that VTEP, ... */
			if (errno == EMSGSIZE)
				vp->c.tx_too_big++;
			port->stats.tx_errors += 1;
		}
		done++;
	}
}

/* Sends GSO message i of the batch as the datagrams it holds. */
static void send_split(struct port *port, struct vxlan_port *vp, uint32_t i)
{
	const struct msghdr *h = &vp->tx_msgs[i].msg_hdr;
	uint32_t n = (uint32_t)h->msg_iovlen / 2; /* a header and a frame each */
	for (uint32_t j = 0; j < n; j++) {
		vp->split_msgs[j].msg_hdr = (struct msghdr){.msg_name = h->msg_name,
							    .msg_namelen = h->msg_namelen,
							    .msg_iov = &h->msg_iov[2 * j],
							    .msg_iovlen = 2};
		vp->split_count[j] = 1;
		vp->split_inner[j] = (uint32_t)h->msg_iov[2 * j + 1].iov_len;
	}
	send_messages(port, vp, vp->split_msgs, vp->split_count, vp->split_inner, n);
}

static void flush_messages(struct port *port, struct vxlan_port *vp, uint32_t n)
{
	send_messages(port, vp, vp->tx_msgs, vp->tx_count, vp->tx_inner, n);
}

/* How many frames from k on make one GSO write: known unicast to one VTEP
 * in one VNI, all of the first one's length but the last, which may be
 * shorter; 1 when there is no run. */
static uint32_t gso_run(const struct vxlan_port *vp, uint32_t k, uint32_t kept)
{
	uint32_t size = vp->tx_packets[k]->len + VXLAN_HEADER_LEN, j = k + 1;
	if (!vp->gso || !vp->tx_known[k])
		return 1;
	for (; j < kept && j - k < VXLAN_GSO_SEGMENTS && (j - k + 1) * size <= VXLAN_GSO_BYTES;
	     j++) {
		uint32_t len = vp->tx_packets[j]->len + VXLAN_HEADER_LEN;
		if (!vp->tx_known[j] || vp->tx_seg[j] != vp->tx_seg[k] || len > size ||
		    vp->tx_sock[j] != vp->tx_sock[k] ||
		    !addr_equal(&vp->tx_dest[j], &vp->tx_dest[k]))
			break;
		if (len < size) {
			j++;
			break;
		}
	}
	return j - k;
}

/* Message m: frames [k, k + run), each after its header, one write. */
static void build_gso(struct vxlan_port *vp, uint32_t m, uint32_t k, uint32_t run)
{
	struct iovec *iov = &vp->gso_iov[vp->gso_iov_used];
	uint32_t inner = 0;
	for (uint32_t j = k; j < k + run; j++) {
		const struct packet *p = vp->tx_packets[j];
		iov[2 * (j - k)] = (struct iovec){vp->tx_hdr[j], VXLAN_HEADER_LEN};
		iov[2 * (j - k) + 1] = (struct iovec){p->data, p->len};
		inner += p->len;
	}
	vp->gso_iov_used += 2 * run;
	uint16_t size = (uint16_t)(vp->tx_packets[k]->len + VXLAN_HEADER_LEN);
	struct msghdr *h = &vp->tx_msgs[m].msg_hdr;
	h->msg_name = &vp->tx_dest[k];
	h->msg_namelen = addr_len(&vp->tx_dest[k]);
	h->msg_iov = iov;
	h->msg_iovlen = 2 * run;
	h->msg_control = vp->tx_cmsg[m].buf;
	h->msg_controllen = sizeof(vp->tx_cmsg[m].buf);
	struct cmsghdr *c = CMSG_FIRSTHDR(h);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(size));
	memcpy(CMSG_DATA(c), &size, sizeof(size));
	vp->tx_count[m] = (uint16_t)run;
	vp->tx_inner[m] = inner;
}

/* Groups the frames by source socket, each flow's frames in their order
 * (a stable counting sort), so each socket's messages go in one call. */
static void sort_by_socket(struct vxlan_port *vp, uint32_t kept)
{
	uint32_t start[VXLAN_SRC_PORTS_MAX + 1] = {0};
	for (uint32_t k = 0; k < kept; k++)
		start[vp->tx_sock[k] + 1]++;
	for (uint32_t s = 0; s < vp->n_tx_fds; s++)
		start[s + 1] += start[s];
	for (uint32_t k = 0; k < kept; k++) {
		uint32_t at = start[vp->tx_sock[k]]++;
		vp->sort_packets[at] = vp->tx_packets[k];
		vp->sort_seg[at] = vp->tx_seg[k];
		vp->sort_sock[at] = vp->tx_sock[k];
	}
	memcpy(vp->tx_packets, vp->sort_packets, kept * sizeof(vp->tx_packets[0]));
	memcpy(vp->tx_seg, vp->sort_seg, kept * sizeof(vp->tx_seg[0]));
	memcpy(vp->tx_sock, vp->sort_sock, kept * sizeof(vp->tx_sock[0]));
}

static void vxlan_send(struct port *port, struct packet_batch *batch)
{
	struct vxlan_port *vp = port->priv;
	uint32_t kept = 0;
	bool mixed = false;
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		int s = egress_segment(vp, p);
		if (UNLIKELY(s < 0)) {
			port->stats.tx_errors += 1;
			packet_free(p);
			continue;
		}
		vp->tx_packets[kept] = p;
		vp->tx_seg[kept] = (int16_t)s;
		vp->tx_sock[kept] = 0;
		if (vp->n_tx_fds > 1) {
			vp->tx_sock[kept] = (uint8_t)hash_reduce(
			    (uint64_t)vxlan_flow_hash(p->data, p->len) << 32, vp->n_tx_fds);
			mixed |= vp->tx_sock[kept] != vp->tx_sock[0];
		}
		kept++;
	}
	batch->count = 0;
	if (!kept)
		return;
	if (mixed)
		sort_by_socket(vp, kept);
	for (uint32_t k = 0; k < kept; k++)
		vxlan_header_build(vp->tx_hdr[k], vp->segs[vp->tx_seg[k]].vni);

	/* Known unicast: its VTEP, copied out under the lock (learning may
	 * move it meanwhile on the receiving thread). */
	uint32_t now = time_now_seconds();
	spin_lock(&vp->lock);
	for (uint32_t k = 0; k < kept; k++) {
		const uint8_t *dst = vp->tx_packets[k]->data;
		const struct vxlan_mac *e =
		    mac_is_group(dst) ? NULL
				      : mac_find(vp, vp->segs[vp->tx_seg[k]].vni, mac_to_u64(dst));
		vp->tx_known[k] = e && !mac_expired(vp, e, now);
		if (vp->tx_known[k])
			vp->tx_dest[k] = e->vtep;
	}
	spin_unlock(&vp->lock);

	/* One message per (frame, VTEP), or per run of a GSO write; the flood
	 * lists stay put while the poll threads run, so messages point into
	 * them. */
	uint32_t m = 0;
	vp->tx_fd = -1;
	vp->gso_iov_used = 0;
	for (uint32_t k = 0; k < kept;) {
		struct packet *p = vp->tx_packets[k];
		int fd = vp->n_tx_fds ? vp->tx_fds[vp->tx_sock[k]] : vp->fd;
		if (fd != vp->tx_fd) { /* the next socket's frames */
			if (m)
				flush_messages(port, vp, m);
			m = 0;
			vp->tx_fd = fd;
		}
		const struct vxlan_segment *seg = &vp->segs[vp->tx_seg[k]];
		uint32_t run = gso_run(vp, k, kept);
		if (run > 1) {
			build_gso(vp, m, k, run);
			k += run;
			if (++m == VXLAN_TX_MAX) {
				flush_messages(port, vp, m);
				m = 0;
			}
			continue;
		}
		union vxlan_sockaddr *to = vp->tx_known[k] ? &vp->tx_dest[k] : seg->flood;
		uint32_t n_to = vp->tx_known[k] ? 1 : seg->n_flood;
		if (UNLIKELY(n_to == 0)) {
			vp->c.tx_no_vtep++;
			port->stats.tx_errors += 1;
		}
		for (uint32_t t = 0; t < n_to; t++) {
			struct msghdr *h = &vp->tx_msgs[m].msg_hdr;
			h->msg_name = &to[t];
			h->msg_namelen = addr_len(&to[t]);
			h->msg_iov = vp->tx_iov[m];
			h->msg_iovlen = 2;
			h->msg_control = NULL;
			h->msg_controllen = 0;
			vp->tx_iov[m][0] = (struct iovec){vp->tx_hdr[k], VXLAN_HEADER_LEN};
			vp->tx_iov[m][1] = (struct iovec){p->data, p->len};
			vp->tx_count[m] = 1;
			vp->tx_inner[m] = p->len;
			if (++m == VXLAN_TX_MAX) {
				flush_messages(port, vp, m);
				m = 0;
			}
		}
		k++;
	}
	flush_messages(port, vp, m);
	for (uint32_t k = 0; k < kept; k++)
		packet_free(vp->tx_packets[k]);
}

/* ---- the rest of the port type -------------------------------------------- */

static int vxlan_wait_fd(const struct port *port)
{
	const struct vxlan_port *vp = port->priv;
	return vp->fd;
}

/* Ages the table a slice at a time (about once a second, on thread 0
 * while other poll threads may run: under the lock). */
static void vxlan_update_stats(struct port *port)
{
	struct vxlan_port *vp = port->priv;
	uint32_t now = time_now_seconds();
	spin_lock(&vp->lock);
	for (uint32_t n = 0; n < VXLAN_SWEEP_BUDGET && n < vp->max_macs; n++) {
		struct vxlan_mac *e = &vp->macs[vp->sweep];
		if (e->live && mac_expired(vp, e, now))
			mac_remove(vp, e);
		vp->sweep = vp->sweep + 1 < vp->max_macs ? vp->sweep + 1 : 0;
	}
	spin_unlock(&vp->lock);
}

static size_t append(char *buf, size_t size, size_t used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t append(char *buf, size_t size, size_t used, const char *fmt, ...)
{
	if (used >= size)
		return used;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
	return n < 0 ? used : used + (size_t)n;
}

static int vxlan_status(const struct port *port, struct port_status *out)
{
	const struct vxlan_port *vp = port->priv;
	char local[80];
	addr_format(&vp->local, local, sizeof(local));
	size_t size = sizeof(out->text), used = 0;
	char *t = out->text;
	used = append(t, size, used, "local %s, df %s", local, vp->df ? "on" : "off");
	if (vp->underlay_mtu)
		used = append(t, size, used, ", underlay-mtu %u", vp->underlay_mtu);
	used = append(t, size, used, ", %u source ports", vp->n_tx_fds ? vp->n_tx_fds : 1);
	used = append(t, size, used, ", %u remote MACs (max %u, ageing %u s); VNIs:", vp->n_macs,
		      vp->max_macs, vp->ageing);
	for (uint16_t i = 0; i < vp->n_segs; i++) {
		const struct vxlan_segment *s = &vp->segs[i];
		if (i == 8) { /* a wide trunk: the rest in a word */
			used = append(t, size, used, ", and %u more", vp->n_segs - i);
			break;
		}
		used = append(t, size, used, "%s %u", i ? "," : "", s->vni);
		used = s->vid ? append(t, size, used, " (vlan %u,", s->vid)
			      : append(t, size, used, " (untagged,");
		used = append(t, size, used, " flood to %u VTEPs)", s->n_flood);
	}
	/* A taste of the table (the control code reads it whole). */
	uint32_t shown = 0, now = time_now_seconds();
	for (uint32_t i = 0; i < vp->max_macs && shown < 4; i++) {
		const struct vxlan_mac *e = &vp->macs[i];
		if (!e->live || mac_expired(vp, e, now))
			continue;
		uint8_t mac[6];
		char vtep[80];
		mac_from_u64(e->mac, mac);
		addr_format(&e->vtep, vtep, sizeof(vtep));
		used = append(t, size, used, "%s %02x:%02x:%02x:%02x:%02x:%02x vni %u at %s%s",
			      shown ? "," : "; remote MACs:", mac[0], mac[1], mac[2], mac[3],
			      mac[4], mac[5], e->vni, vtep, e->is_static ? " (static)" : "");
		shown++;
	}
	if (shown && vp->n_macs > shown)
		used = append(t, size, used, ", ...");
	const char *sep = "; counters:";
#define VXLAN_TEXT(field, name, text)                                                              \
	if (vp->c.field) {                                                                         \
		used = append(t, size, used, "%s %s %llu", sep, name,                              \
			      (unsigned long long)vp->c.field);                                    \
		sep = ",";                                                                         \
	}
	FOREACH_VXLAN_COUNTER(VXLAN_TEXT)
#undef VXLAN_TEXT
	if (used >= size)
		memcpy(t + size - 4, "...", 4);
	port_status_string(out, "local", local);
	char spec[64];
	if (!copy_name(spec, sizeof(spec), vp->vni_spec))
		snprintf(spec, sizeof(spec), "%.59s...", vp->vni_spec);
	port_status_string(out, "vni", spec);
	port_status_string(out, "df", vp->df ? "on" : "off");
	port_status_number(out, "remote-macs", vp->n_macs);
	port_status_number(out, "src-ports", vp->n_tx_fds);
#define VXLAN_NUMBER(field, name, text) port_status_number(out, name, vp->c.field);
	FOREACH_VXLAN_COUNTER(VXLAN_NUMBER)
#undef VXLAN_NUMBER
	return 0;
}

const struct port_class vxlan_port_class = {
    .type = "vxlan",
    .open = vxlan_open,
    .close = vxlan_close,
    .recv = vxlan_recv,
    .send = vxlan_send,
    .wait_fd = vxlan_wait_fd,
    .status = vxlan_status,
    .update_stats = vxlan_update_stats,
};

/* ---- the live API (port.h) ------------------------------------------------- */

static struct vxlan_port *vxlan_of(const struct port *port)
{
	return port->class == &vxlan_port_class ? port->priv : NULL;
}

static int segment_arg(const struct port *port, const struct vxlan_port *vp, uint32_t vni,
		       char *err, size_t err_size)
{
	int s = segment_of_vni(vp, vni);
	if (s < 0)
		snprintf(err, err_size, "port %s: carries no VNI %u (vni=%s)", port->name, vni,
			 vp->vni_spec);
	return s;
}

int vxlan_set_flood(struct port *port, uint32_t vni, const char *const *vteps, size_t n, char *err,
		    size_t err_size)
{
	struct vxlan_port *vp = vxlan_of(port);
	if (!vp) {
		snprintf(err, err_size, "port %s: not a vxlan port", port->name);
		return -EOPNOTSUPP;
	}
	int s = segment_arg(port, vp, vni, err, err_size);
	if (s < 0)
		return -ENOENT;
	if (n + vp->n_remotes > VXLAN_FLOOD_MAX) {
		snprintf(err, err_size, "port %s: more than %d VTEPs in VNI %u's flood list",
			 port->name, VXLAN_FLOOD_MAX, vni);
		return -E2BIG;
	}
	union vxlan_sockaddr *list = calloc(n + 1, sizeof(*list));
	if (!list) {
		snprintf(err, err_size, "port %s: out of memory", port->name);
		return -ENOMEM;
	}
	int error = 0;
	for (size_t i = 0; !error && i < n; i++)
		error = vtep_parse(port, vp, vteps[i], &list[i], err, err_size);
	if (!error && segment_set_flood(vp, &vp->segs[s], list, n) < 0) {
		snprintf(err, err_size, "port %s: out of memory", port->name);
		error = -ENOMEM;
	}
	free(list);
	return error;
}

int vxlan_add_remote_mac(struct port *port, uint32_t vni, const uint8_t mac[6], const char *vtep,
			 char *err, size_t err_size)
{
	struct vxlan_port *vp = vxlan_of(port);
	if (!vp) {
		snprintf(err, err_size, "port %s: not a vxlan port", port->name);
		return -EOPNOTSUPP;
	}
	union vxlan_sockaddr a;
	if (segment_arg(port, vp, vni, err, err_size) < 0)
		return -ENOENT;
	int error = vtep_parse(port, vp, vtep, &a, err, err_size);
	if (error)
		return error;
	if (mac_is_group(mac) || mac_is_zero(mac)) {
		snprintf(err, err_size, "port %s: a remote MAC must be a unicast address",
			 port->name);
		return -EINVAL;
	}
	spin_lock(&vp->lock);
	struct vxlan_mac *e = mac_find(vp, vni, mac_to_u64(mac));
	if (!e)
		e = mac_insert(vp, vni, mac_to_u64(mac));
	if (e) {
		e->is_static = true;
		e->vtep = a;
		e->seen = time_now_seconds();
	}
	spin_unlock(&vp->lock);
	if (!e) {
		snprintf(err, err_size, "port %s: the remote MAC table is full (max-macs=%u)",
			 port->name, vp->max_macs);
		return -ENOSPC;
	}
	return 0;
}

int vxlan_del_remote_mac(struct port *port, uint32_t vni, const uint8_t mac[6])
{
	struct vxlan_port *vp = vxlan_of(port);
	if (!vp)
		return -EOPNOTSUPP;
	spin_lock(&vp->lock);
	struct vxlan_mac *e = mac_find(vp, vni, mac_to_u64(mac));
	if (e)
		mac_remove(vp, e);
	spin_unlock(&vp->lock);
	return e ? 0 : -ENOENT;
}

int vxlan_remote_macs(const struct port *port, struct vxlan_remote_mac *out, size_t max)
{
	struct vxlan_port *vp = vxlan_of(port);
	if (!vp)
		return -EOPNOTSUPP;
	uint32_t now = time_now_seconds();
	size_t n = 0;
	spin_lock(&vp->lock);
	for (uint32_t i = 0; i < vp->max_macs; i++) {
		const struct vxlan_mac *e = &vp->macs[i];
		if (!e->live || mac_expired(vp, e, now))
			continue;
		if (n < max) {
			struct vxlan_remote_mac *r = &out[n];
			r->vni = e->vni;
			mac_from_u64(e->mac, r->mac);
			r->is_static = e->is_static;
			r->age = e->is_static ? 0 : now - e->seen;
			addr_format(&e->vtep, r->vtep, sizeof(r->vtep));
		}
		n++;
	}
	spin_unlock(&vp->lock);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}
