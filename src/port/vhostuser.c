/* vhostuser.c — a VM's virtio-net device served by vswitchd as its
 * vhost-user back end (QEMU `-netdev vhost-user`, DPDK's net_virtio_user):
 * the guest's rings live in its memory, which the front end shares with us
 * over a UNIX socket, so frames move with a copy and no system call.
 *
 *   vswitchctl port add SW NAME type vhostuser [socket=PATH]
 *       [mode=server|client] [queues=N]
 *
 * server (default): we listen on PATH (default /run/vswitch/NAME.sock) and
 * the front end connects (QEMU with reconnect=1 survives our restart);
 * client: the front end listens and we connect, retrying every second while
 * it is absent (OVS's dpdkvhostuserclient). One front end at a time.
 *
 * Work split: vhost_message.c applies the protocol messages, virtio_ring.c
 * moves frames, vhost_memory.c maps guest memory; this file owns the
 * sockets, the eventfds, the carrier and the status. The carrier is up while
 * a front end is connected and some queue pair has both rings ready.
 *
 * Polling and sleeping: recv() polls the guest's transmit rings. While
 * frames flow the guest is told not to kick; when recv() finds nothing a few
 * times in a row (VHOSTUSER_KICKS_AFTER_IDLE) it asks for kicks again and
 * the daemon may sleep on wait_fd(), our own epoll set holding the socket,
 * the reconnect timer and every transmit kick eventfd (edge-triggered:
 * harvesting the edges replaces reading each eventfd). Messages are read
 * from recv() without blocking: on every eighth idle call and at least once
 * a millisecond while busy, never per batch.
 *
 * Threads: send() may run on another thread than recv(), which handles the
 * messages. A per-port mutex, taken by send() once per batch and by the
 * message handler and the reset, keeps the guest's receive rings and memory
 * table from changing under send(). recv()'s own rings only change on its
 * own thread. */
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/gso.h"
#include "lib/log.h"
#include "lib/util.h"
#include "port.h"
#include "vhost_message.h"

#define VHOSTUSER_SOCKET_DIR   "/run/vswitch"
#define VHOSTUSER_CONTROL_NS   1000000 /* messages read at least this often while busy */
#define VHOSTUSER_IDLE_CONTROL 8       /* ... and on every 8th idle recv() */
/* Empty recv()s in a row before the guest is asked to kick again. Not the
 * first: a busy loop often finds one ring empty between bursts, and each
 * flip costs a store to a line the guest polls and a full fence. Fewer
 * than the daemon's IDLE_POLLS_BEFORE_SLEEP (16, src/poll_threads.c): the
 * daemon sleeps only after that many passes in which this recv() found
 * nothing, so kicks are on (and the ring rechecked) before it sleeps. */
#define VHOSTUSER_KICKS_AFTER_IDLE 4
#define VHOSTUSER_MESSAGES_BURST   64 /* per control step, so a chatty peer cannot hog */

enum { TAG_LISTEN = 1, TAG_CONN, TAG_TIMER, TAG_KICK };

#define BIT(n) (UINT64_C(1) << (n))
static const uint64_t vhostuser_features =
    BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_NET_F_MTU) |
    BIT(VIRTIO_RING_F_INDIRECT_DESC) | BIT(VIRTIO_RING_F_EVENT_IDX) |
    BIT(VHOST_USER_F_PROTOCOL_FEATURES) | BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) |
    BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_GUEST_TSO4) |
    BIT(VIRTIO_NET_F_GUEST_TSO6) |
    /* Buffers are always used in the order they were made available. */
    BIT(VIRTIO_F_IN_ORDER);
static const uint64_t vhostuser_protocol_features = BIT(VHOST_USER_PROTOCOL_F_MQ) |
						    BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) |
						    BIT(VHOST_USER_PROTOCOL_F_NET_MTU);
/* What the guest must take for frames to reach it unsegmented. */
static const uint64_t vhostuser_offload_features =
    BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6);

struct vhostuser_port {
	struct port *port;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool server;
	uint32_t queues;
	int epoll_fd; /* wait_fd(): listen or connection socket, timer, kicks */
	int listen_fd;
	int conn_fd;
	int timer_fd;			     /* client mode: reconnect every second */
	pthread_mutex_t lock;		     /* send() against ring and memory changes */
	struct vhost_device dev;	     /* under lock when it changes */
	int kick_fd[VHOST_MAX_VRINGS];	     /* in our epoll set */
	uint32_t kick_gen[VHOST_MAX_VRINGS]; /* dev's kick_gen when added */

	/* A message being read: header and payload, and the fds with it. */
	uint8_t in[VHOST_HEADER_SIZE + VHOST_PAYLOAD_MAX];
	uint32_t in_len;
	int in_fds[VHOST_MAX_FDS];
	int n_in_fds;
	bool in_fds_lost; /* more fds than a message may carry */

	uint64_t control_due_ns;
	uint32_t idle_calls;
	bool busy; /* frames flowed on the last recv(): guest kicks are off */
	/* recv() calls and those that found nothing: whether the switch or
	 * the guest is the bottleneck (few empty polls: the switch). */
	uint64_t polls, empty_polls;
	uint64_t connects, resets;
	char last_reset[192];

	/* send() scratch, one list per guest receive queue. */
	struct packet *tx_queue[VHOST_MAX_QUEUE_PAIRS][BATCH_SIZE];
	uint32_t tx_count[VHOST_MAX_QUEUE_PAIRS];
};

/* ---- epoll set ------------------------------------------------------------- */

static void watch(struct vhostuser_port *v, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = {.events = events, .data.u64 = tag};
	if (epoll_ctl(v->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		log_error("port %s: epoll_ctl: %s", v->port->name, strerror(errno));
}

static void unwatch(struct vhostuser_port *v, int fd)
{
	epoll_ctl(v->epoll_fd, EPOLL_CTL_DEL, fd, NULL); /* gone already if closed */
}

/* Follows the transmit rings' kick eventfds into the epoll set. */
static void sync_kicks(struct vhostuser_port *v)
{
	for (uint32_t i = 1; i < 2 * v->queues; i += 2) {
		const struct vhost_vring *ring = &v->dev.vrings[i];
		if (ring->kick_gen == v->kick_gen[i])
			continue;
		if (v->kick_fd[i] >= 0)
			unwatch(v, v->kick_fd[i]);
		v->kick_fd[i] = ring->kick_fd;
		v->kick_gen[i] = ring->kick_gen;
		if (ring->kick_fd >= 0)
			watch(v, ring->kick_fd, EPOLLIN | EPOLLET, TAG_KICK + i);
	}
}

static void set_timer(struct vhostuser_port *v, bool on)
{
	struct itimerspec t = {0};
	if (on)
		t.it_value.tv_sec = t.it_interval.tv_sec = 1;
	if (v->timer_fd >= 0)
		timerfd_settime(v->timer_fd, 0, &t, NULL);
}

/* ---- connection ------------------------------------------------------------ */

static void close_in_fds(struct vhostuser_port *v)
{
	for (int i = 0; i < v->n_in_fds; i++)
		close(v->in_fds[i]);
	v->n_in_fds = 0;
	v->in_fds_lost = false;
	v->in_len = 0;
}

/* Drops the connection and everything it set up; back to waiting for (or
 * reconnecting to) a front end. */
static void disconnect(struct vhostuser_port *v, const char *why)
{
	if (v->conn_fd < 0)
		return;
	log_info("port %s: vhost-user front end gone: %s", v->port->name, why);
	snprintf(v->last_reset, sizeof(v->last_reset), "%s", why);
	v->resets++;
	for (uint32_t i = 0; i < VHOST_MAX_VRINGS; i++) {
		if (v->kick_fd[i] >= 0)
			unwatch(v, v->kick_fd[i]);
		v->kick_fd[i] = -1;
	}
	pthread_mutex_lock(&v->lock);
	vhost_device_reset(&v->dev);
	__atomic_and_fetch(&v->port->features, ~(uint32_t)PORT_F_OFFLOAD, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&v->lock);
	for (uint32_t i = 0; i < VHOST_MAX_VRINGS; i++)
		v->kick_gen[i] = v->dev.vrings[i].kick_gen;
	unwatch(v, v->conn_fd);
	close(v->conn_fd);
	v->conn_fd = -1;
	close_in_fds(v);
	v->busy = false;
	if (v->server)
		watch(v, v->listen_fd, EPOLLIN, TAG_LISTEN);
	else
		set_timer(v, true);
}

static void connected(struct vhostuser_port *v, int fd)
{
	v->conn_fd = fd;
	v->connects++;
	watch(v, fd, EPOLLIN, TAG_CONN);
	if (v->server)
		unwatch(v, v->listen_fd); /* one front end: the next waits in the backlog */
	else
		set_timer(v, false);
	log_info("port %s: vhost-user front end connected on %s", v->port->name, v->path);
}

static void accept_front_end(struct vhostuser_port *v)
{
	int fd = accept4(v->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0)
		connected(v, fd);
}

/* Client mode: one attempt; false while the front end is not listening. */
static bool connect_front_end(struct vhostuser_port *v)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	memcpy(addr.sun_path, v->path, sizeof(addr.sun_path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return false;
	}
	connected(v, fd);
	return true;
}

/* ---- messages -------------------------------------------------------------- */

static int send_reply(struct vhostuser_port *v, const struct vhost_reply *reply)
{
	uint8_t buf[VHOST_HEADER_SIZE + sizeof(reply->payload)];
	uint32_t header[3] = {reply->request, VHOST_USER_VERSION | VHOST_USER_REPLY,
			      (uint32_t)reply->size};
	memcpy(buf, header, sizeof(header));
	memcpy(buf + VHOST_HEADER_SIZE, reply->payload, (size_t)reply->size);
	size_t len = VHOST_HEADER_SIZE + (size_t)reply->size;
	ssize_t n = send(v->conn_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* Applies a complete message. Returns 0 or a negative errno to reset. */
static int apply_message(struct vhostuser_port *v)
{
	uint32_t header[3];
	memcpy(header, v->in, sizeof(header));
	struct vhost_reply reply;
	int error;
	pthread_mutex_lock(&v->lock);
	if (v->in_fds_lost) {
		v->dev.refusals[VHOST_BAD_FDS]++;
		snprintf(v->dev.last_refusal, sizeof(v->dev.last_refusal),
			 "request %u: more than %d fds", header[0], VHOST_MAX_FDS);
		error = -EPROTO;
	} else {
		error =
		    vhost_message_handle(&v->dev, header[0], header[1], v->in + VHOST_HEADER_SIZE,
					 header[2], v->in_fds, v->n_in_fds, &reply);
		v->n_in_fds = 0; /* the handler took them */
	}
	bool offload = (v->dev.features & vhostuser_offload_features) == vhostuser_offload_features;
	if (offload)
		__atomic_or_fetch(&v->port->features, (uint32_t)PORT_F_OFFLOAD, __ATOMIC_RELAXED);
	else
		__atomic_and_fetch(&v->port->features, ~(uint32_t)PORT_F_OFFLOAD, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&v->lock);
	close_in_fds(v);
	if (error)
		return error;
	sync_kicks(v);
	return reply.size >= 0 ? send_reply(v, &reply) : 0;
}

static void take_fds(struct vhostuser_port *v, struct msghdr *m)
{
	if (m->msg_flags & MSG_CTRUNC)
		v->in_fds_lost = true;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (v->n_in_fds < VHOST_MAX_FDS) {
				v->in_fds[v->n_in_fds++] = fd;
			} else {
				close(fd);
				v->in_fds_lost = true;
			}
		}
	}
}

/* Reads what the socket has of the current message. Returns 1 when a
 * message was applied, 0 when the socket has no more for now, or a
 * negative errno to reset the connection. */
static int read_message(struct vhostuser_port *v)
{
	uint32_t size = 0;
	if (v->in_len >= VHOST_HEADER_SIZE) {
		memcpy(&size, v->in + 8, sizeof(size));
		if (size > VHOST_PAYLOAD_MAX) {
			v->dev.refusals[VHOST_BAD_SIZE]++;
			snprintf(v->dev.last_refusal, sizeof(v->dev.last_refusal),
				 "a payload of %u bytes announced", size);
			return -EMSGSIZE;
		}
	}
	uint32_t want = v->in_len < VHOST_HEADER_SIZE ? VHOST_HEADER_SIZE - v->in_len
						      : VHOST_HEADER_SIZE + size - v->in_len;
	if (want) {
		union {
			char buf[CMSG_SPACE(VHOST_MAX_FDS * sizeof(int))];
			struct cmsghdr align;
		} control;
		struct iovec iov = {v->in + v->in_len, want};
		struct msghdr m = {.msg_iov = &iov,
				   .msg_iovlen = 1,
				   .msg_control = control.buf,
				   .msg_controllen = sizeof(control.buf)};
		ssize_t n = recvmsg(v->conn_fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0
											 : -errno;
		take_fds(v, &m);
		v->in_len += (uint32_t)n;
		if (v->in_len < VHOST_HEADER_SIZE)
			return 0;
		memcpy(&size, v->in + 8, sizeof(size));
		if (v->in_len == VHOST_HEADER_SIZE && size)
			return 1; /* the header alone: its payload next */
		if (v->in_len < VHOST_HEADER_SIZE + size)
			return 0;
	}
	int error = apply_message(v);
	return error ? error : 1;
}

static void read_messages(struct vhostuser_port *v)
{
	for (int i = 0; i < VHOSTUSER_MESSAGES_BURST && v->conn_fd >= 0; i++) {
		int rc = read_message(v);
		if (rc == 0)
			return;
		if (rc < 0) {
			char why[200];
			if (rc == -ECONNRESET)
				snprintf(why, sizeof(why), "the connection closed");
			else if (rc == -EPROTO || rc == -EMSGSIZE)
				snprintf(why, sizeof(why), "refused: %s", v->dev.last_refusal);
			else
				snprintf(why, sizeof(why), "%s", strerror(-rc));
			disconnect(v, why);
			return;
		}
	}
}

/* The control step: socket events, reconnection, kick edges, and queues a
 * guest broke from send()'s side. */
static void control(struct vhostuser_port *v, uint64_t now)
{
	v->control_due_ns = now + VHOSTUSER_CONTROL_NS;
	struct epoll_event events[VHOST_MAX_VRINGS + 4];
	int n = epoll_wait(v->epoll_fd, events, ARRAY_SIZE(events), 0);
	for (int i = 0; i < n; i++) {
		uint64_t tag = events[i].data.u64;
		if (tag == TAG_CONN && v->conn_fd >= 0)
			read_messages(v);
		else if (tag == TAG_LISTEN && v->conn_fd < 0)
			accept_front_end(v);
		else if (tag == TAG_TIMER) {
			uint64_t expirations;
			if (read(v->timer_fd, &expirations, sizeof(expirations)) > 0 &&
			    v->conn_fd < 0)
				connect_front_end(v);
		}
		/* TAG_KICK: harvesting the edge was the point. */
	}
	for (uint32_t i = 0; v->conn_fd >= 0 && i < 2 * v->queues; i += 2) {
		if (__atomic_load_n(&v->dev.vrings[i].q.broken, __ATOMIC_RELAXED)) {
			char why[200];
			snprintf(why, sizeof(why), "receive queue %u broken by the guest", i / 2);
			disconnect(v, why);
		}
	}
}

/* ---- data path ------------------------------------------------------------- */

/* Guest kicks off while busy, on when idle; false when frames came
 * meanwhile. */
static bool want_kicks(struct vhostuser_port *v, bool on)
{
	bool work = false;
	for (uint32_t i = 1; i < 2 * v->queues; i += 2)
		if (vhost_vring_ready(&v->dev, i))
			work |= virtq_want_kicks(&v->dev.vrings[i].q, on);
	return work;
}

static int vhostuser_recv(struct port *port, struct packet_pool *pool, struct packet_batch *batch)
{
	struct vhostuser_port *v = port->priv;
	int received = 0;
	for (uint32_t i = 1; i < 2 * v->queues; i += 2) {
		if (!vhost_vring_ready(&v->dev, i))
			continue;
		int n = virtq_dequeue(&v->dev.vrings[i].q, &v->dev.mem, pool, batch, BATCH_SIZE);
		if (UNLIKELY(n < 0)) {
			char why[200];
			snprintf(why, sizeof(why), "transmit queue %u broken by the guest", i / 2);
			disconnect(v, why);
			return received;
		}
		received += n;
	}
	uint64_t now = time_now_ns();
	v->polls++;
	if (received) {
		if (UNLIKELY(!v->busy)) {
			v->busy = true;
			want_kicks(v, false);
		}
		v->idle_calls = 0;
	} else {
		v->empty_polls++;
		if (v->busy && v->idle_calls + 1 >= VHOSTUSER_KICKS_AFTER_IDLE) {
			v->busy = false;
			want_kicks(v, true); /* what came meanwhile is read next call */
		}
		if (v->idle_calls++ % VHOSTUSER_IDLE_CONTROL == 0)
			v->control_due_ns = 0;
	}
	if (now >= v->control_due_ns)
		control(v, now);
	return received;
}

/* Frames as the guest may take them: tag inline, and a checksum or
 * segmentation it did not negotiate done here or refused. */
static bool prepare(struct port *port, struct packet *p)
{
	if (UNLIKELY(!packet_inline_meta_vlan(p)))
		return false;
	if (UNLIKELY(p->flags & PACKET_F_OFFLOAD) &&
	    !(__atomic_load_n(&port->features, __ATOMIC_RELAXED) & PORT_F_OFFLOAD)) {
		/* The guest renegotiated after the engine chose: a super-frame
		 * is lost, a partial checksum completed. */
		if (p->offload.gso_type != VIRTIO_NET_HDR_GSO_NONE || packet_csum_complete(p) < 0)
			return false;
	}
	return true;
}

static void vhostuser_send(struct port *port, struct packet_batch *batch)
{
	struct vhostuser_port *v = port->priv;
	uint32_t ready[VHOST_MAX_QUEUE_PAIRS], n_ready = 0;
	pthread_mutex_lock(&v->lock);
	for (uint32_t q = 0; q < v->queues; q++)
		if (vhost_vring_ready(&v->dev, 2 * q))
			ready[n_ready++] = q;
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		if (UNLIKELY(!n_ready || !prepare(port, p))) {
			port->stats.tx_errors++;
			packet_free(p);
			continue;
		}
		/* A flow keeps to one queue, so the guest sees it in order. */
		uint32_t q = n_ready == 1 ? ready[0]
					  : ready[hash_reduce(p->src_hash ^ p->dst_hash, n_ready)];
		v->tx_queue[q][v->tx_count[q]++] = p;
	}
	for (uint32_t r = 0; r < n_ready; r++) {
		uint32_t q = ready[r], n = v->tx_count[q], delivered;
		uint64_t bytes;
		if (!n)
			continue;
		uint32_t done = virtq_enqueue(&v->dev.vrings[2 * q].q, &v->dev.mem, v->tx_queue[q],
					      n, &delivered, &bytes);
		port->stats.tx_packets += delivered;
		port->stats.tx_bytes += bytes;
		port->stats.tx_errors += done - delivered;
		port->stats.tx_full += n - done;
		for (uint32_t i = 0; i < n; i++)
			packet_free(v->tx_queue[q][i]);
		v->tx_count[q] = 0;
	}
	pthread_mutex_unlock(&v->lock);
	batch->count = 0;
}

static bool vhostuser_carrier(const struct port *port)
{
	struct vhostuser_port *v = port->priv;
	/* recv() resets the device (under the lock) before it drops the
	 * connection, and thread 0 may read an uplink's carrier while recv()
	 * runs (port.h): the device alone, under the lock, says it. */
	pthread_mutex_lock(&v->lock);
	bool up = vhost_device_running(&v->dev);
	pthread_mutex_unlock(&v->lock);
	return up;
}

static int vhostuser_wait_fd(const struct port *port)
{
	const struct vhostuser_port *v = port->priv;
	return v->epoll_fd;
}

static uint64_t queue_counter(const struct vhostuser_port *v, enum virtq_counter c)
{
	uint64_t sum = 0;
	for (uint32_t i = 0; i < 2 * v->queues; i++)
		sum += v->dev.vrings[i].q.counters[c];
	return sum;
}

static void vhostuser_update_stats(struct port *port)
{
	struct vhostuser_port *v = port->priv;
	port->stats.rx_oversize = queue_counter(v, VIRTQ_OVERSIZE);
}

/* ---- status ---------------------------------------------------------------- */

static int vhostuser_status(const struct port *port, struct port_status *out)
{
	const struct vhostuser_port *v = port->priv;
	const struct vhost_device *d = &v->dev;
	char features[512], refusals[640] = "";
	uint32_t pairs = 0;
	uint64_t refused = 0;
	size_t used = 0;
	for (uint32_t q = 0; q < v->queues; q++)
		pairs += vhost_vring_ready(d, 2 * q) && vhost_vring_ready(d, 2 * q + 1);
	vhost_feature_names(d->features, features, sizeof(features));
	for (int r = 0; r < VHOST_REFUSAL_MAX; r++) {
		refused += d->refusals[r];
		if (d->refusals[r] && used < sizeof(refusals))
			used +=
			    (size_t)snprintf(refusals + used, sizeof(refusals) - used, " %s %llu",
					     vhost_refusal_name((enum vhost_refusal)r),
					     (unsigned long long)d->refusals[r]);
	}
	for (int c = 0; c < VIRTQ_COUNTER_MAX; c++) {
		uint64_t n = queue_counter(v, (enum virtq_counter)c);
		refused += c < VIRTQ_FIRST_DROP ? n : 0;
		if (n && used < sizeof(refusals))
			used += (size_t)snprintf(
			    refusals + used, sizeof(refusals) - used, " %s %llu",
			    virtq_counter_name((enum virtq_counter)c), (unsigned long long)n);
	}
	const char *state = v->conn_fd >= 0 ? "connected" : v->server ? "listening" : "connecting";
	snprintf(out->text, sizeof(out->text),
		 "%s %s, %s; queues %u of %u ready; mtu %u; features: %s; refused:%s; "
		 "connections %llu, resets %llu%s%s; polls %llu, empty %llu",
		 v->server ? "server" : "client", v->path, state, pairs, v->queues, d->mtu,
		 features[0] ? features : "none", refusals[0] ? refusals : " none",
		 (unsigned long long)v->connects, (unsigned long long)v->resets,
		 v->last_reset[0] ? ", last: " : "", v->last_reset, (unsigned long long)v->polls,
		 (unsigned long long)v->empty_polls);
	/* Where each ring stands: ours and the guest's indexes, and whether
	 * we asked for kicks (what to look at when a queue seems stuck). */
	size_t len = strlen(out->text);
	for (uint32_t i = 0; i < 2 * v->queues && len < sizeof(out->text); i++) {
		const struct virtq *q = &d->vrings[i].q;
		if (!q->size)
			continue;
		len += (size_t)snprintf(out->text + len, sizeof(out->text) - len,
					"; %s%u avail %u/%u used %u%s", i & 1 ? "tx" : "rx", i / 2,
					q->last_avail,
					__atomic_load_n(&q->avail->idx, __ATOMIC_RELAXED),
					q->last_used, q->kicks_wanted ? " kicks" : "");
	}
	char hex[24];
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)d->features);
	port_status_string(out, "mode", v->server ? "server" : "client");
	port_status_string(out, "socket", v->path);
	port_status_string(out, "state", state);
	port_status_string(out, "features", hex);
	port_status_number(out, "queues", pairs);
	port_status_number(out, "mtu", d->mtu);
	port_status_number(out, "refused", refused);
	port_status_number(out, "resets", v->resets);
	return 0;
}

/* ---- open and close -------------------------------------------------------- */

static int parse_options(struct port *port, const char *const *options, struct vhostuser_port *v,
			 char *err, size_t err_size)
{
	static const char *const known[] = {"socket", "mode", "queues", NULL};
	int error = port_check_options(port, options, known, err, err_size);
	if (error)
		return error;
	const char *path = port_option(options, "socket");
	char def[sizeof(v->path) + PORT_NAME_MAX];
	snprintf(def, sizeof(def), "%s/%s.sock", VHOSTUSER_SOCKET_DIR, port->name);
	if (!path)
		path = def;
	if (path[0] != '/' || strlen(path) >= sizeof(v->path)) {
		snprintf(err, err_size,
			 "port %s: socket '%s' must be an absolute path under %zu bytes",
			 port->name, path, sizeof(v->path));
		return -EINVAL;
	}
	memcpy(v->path, path, strlen(path) + 1);
	const char *mode = port_option(options, "mode");
	if (mode && strcmp(mode, "server") && strcmp(mode, "client")) {
		snprintf(err, err_size, "port %s: mode '%s' is not server or client", port->name,
			 mode);
		return -EINVAL;
	}
	v->server = !mode || !strcmp(mode, "server");
	const char *queues = port_option(options, "queues");
	char *end = NULL;
	unsigned long n = queues ? strtoul(queues, &end, 10) : 1;
	if ((queues && (!queues[0] || *end)) || n < 1 || n > VHOST_MAX_QUEUE_PAIRS) {
		snprintf(err, err_size, "port %s: queues '%s' is not 1-%d", port->name, queues,
			 VHOST_MAX_QUEUE_PAIRS);
		return -EINVAL;
	}
	v->queues = (uint32_t)n;
	return 0;
}

/* Makes the socket's directory if missing (one level, 0755). */
static void make_socket_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
}

/* Server mode: listens on the path, replacing a stale socket file left by a
 * daemon that died, never one another process serves. */
static int listen_socket(struct port *port, struct vhostuser_port *v, char *err, size_t err_size)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	memcpy(addr.sun_path, v->path, sizeof(addr.sun_path));
	make_socket_dir(v->path);
	struct stat st;
	if (lstat(v->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, err_size, "port %s: %s exists and is not a socket",
				 port->name, v->path);
			return -EEXIST;
		}
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool live =
		    probe >= 0 && connect(probe, (struct sockaddr *)&addr, sizeof(addr)) == 0;
		if (probe >= 0)
			close(probe);
		if (live) {
			snprintf(err, err_size, "port %s: socket %s is served by another process",
				 port->name, v->path);
			return -EADDRINUSE;
		}
		unlink(v->path);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 4) < 0) {
		int error = -errno;
		snprintf(err, err_size, "port %s: cannot listen on %s: %s", port->name, v->path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return error;
	}
	v->listen_fd = fd;
	watch(v, fd, EPOLLIN, TAG_LISTEN);
	return 0;
}

static void vhostuser_close(struct port *port)
{
	struct vhostuser_port *v = port->priv;
	if (!v)
		return;
	disconnect(v, "port closed");
	vhost_device_reset(&v->dev);
	if (v->listen_fd >= 0) {
		close(v->listen_fd);
		unlink(v->path);
	}
	if (v->timer_fd >= 0)
		close(v->timer_fd);
	if (v->epoll_fd >= 0)
		close(v->epoll_fd);
	pthread_mutex_destroy(&v->lock);
	free(v);
	port->priv = NULL;
}

static int vhostuser_open(struct port *port, const char *const *options, char *err, size_t err_size)
{
	struct vhostuser_port *v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, err_size, "port %s: out of memory", port->name);
		return -ENOMEM;
	}
	v->port = port;
	v->epoll_fd = v->listen_fd = v->conn_fd = v->timer_fd = -1;
	for (int i = 0; i < VHOST_MAX_VRINGS; i++)
		v->kick_fd[i] = -1;
	pthread_mutex_init(&v->lock, NULL);
	vhost_device_init(&v->dev, 0, 0, 1); /* no fds yet, for close() on failure */
	port->priv = v;
	int error = parse_options(port, options, v, err, err_size);
	if (error)
		goto fail;
	uint64_t offered = vhostuser_features | (v->queues > 1 ? BIT(VIRTIO_NET_F_MQ) : 0);
	vhost_device_init(&v->dev, offered, vhostuser_protocol_features, v->queues);
	v->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (v->epoll_fd < 0) {
		error = -errno;
		snprintf(err, err_size, "port %s: epoll: %s", port->name, strerror(errno));
		goto fail;
	}
	if (v->server) {
		error = listen_socket(port, v, err, err_size);
		if (error)
			goto fail;
		log_info("port %s: vhost-user server on %s, %u queue pair(s)", port->name, v->path,
			 v->queues);
		return 0;
	}
	v->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (v->timer_fd < 0) {
		error = -errno;
		snprintf(err, err_size, "port %s: timerfd: %s", port->name, strerror(errno));
		goto fail;
	}
	watch(v, v->timer_fd, EPOLLIN, TAG_TIMER);
	if (!connect_front_end(v)) {
		set_timer(v, true);
		log_info("port %s: vhost-user client: waiting for %s, retrying every second",
			 port->name, v->path);
	}
	return 0;
fail:
	vhostuser_close(port);
	return error;
}

/* The socket is the device two ports must not share. */
static int vhostuser_interfaces(const char *name, const char *const *options,
				char (*out)[PORT_IFNAME_MAX], int max)
{
	const char *path = port_option(options, "socket");
	if (max < 1)
		return 0;
	if (path)
		snprintf(out[0], PORT_IFNAME_MAX, "%s", path);
	else
		snprintf(out[0], PORT_IFNAME_MAX, "%s/%s.sock", VHOSTUSER_SOCKET_DIR, name);
	return 1;
}

const struct port_class vhostuser_port_class = {
    .type = "vhostuser",
    .open = vhostuser_open,
    .close = vhostuser_close,
    .recv = vhostuser_recv,
    .send = vhostuser_send,
    .carrier = vhostuser_carrier,
    .wait_fd = vhostuser_wait_fd,
    .interfaces = vhostuser_interfaces,
    .status = vhostuser_status,
    .update_stats = vhostuser_update_stats,
};
