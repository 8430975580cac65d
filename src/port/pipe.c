/* pipe.c — an in-process port for tests and benchmarks (OVS netdev-dummy's
 * role): frames are injected into its receive queue from the test, and what
 * the switch sends is kept in a log the test reads back. With `sink=yes` it
 * frees sent frames at once, so a benchmark measures the engine alone. An
 * eventfd, readable while frames wait, lets an idle daemon sleep in epoll
 * and still forward a frame injected through the control socket at once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/util.h"
#include "port.h"

#define PIPE_DEFAULT_DEPTH 4096

/* A ring of packet pointers. */
struct pipe_ring {
	uint32_t head, tail, mask;
	struct packet **slots;
};

struct pipe_port {
	struct pipe_ring rx;
	struct pipe_ring tx;
	bool sink;
	bool carrier;
	int wake_fd;   /* eventfd, readable while rx holds frames */
	bool readable; /* wake_fd was written and not yet read */
};

static int ring_init(struct pipe_ring *ring, uint32_t depth)
{
	ring->head = ring->tail = 0;
	ring->mask = depth - 1;
	ring->slots = calloc(depth, sizeof(*ring->slots));
	return ring->slots ? 0 : -ENOMEM;
}

static uint32_t ring_used(const struct pipe_ring *ring)
{
	return ring->tail - ring->head;
}

static bool ring_put(struct pipe_ring *ring, struct packet *p)
{
	if (ring_used(ring) > ring->mask)
		return false;
	ring->slots[ring->tail++ & ring->mask] = p;
	return true;
}

static struct packet *ring_get(struct pipe_ring *ring)
{
	if (ring->head == ring->tail)
		return NULL;
	return ring->slots[ring->head++ & ring->mask];
}

static void ring_destroy(struct pipe_ring *ring)
{
	struct packet *p;
	while ((p = ring_get(ring)))
		packet_free_any(p);
	free(ring->slots);
}

static int pipe_open(struct port *port, const char *const *options, char *err, size_t err_size)
{
	static const char *const known[] = {"depth", "sink", NULL};
	int error = port_check_options(port, options, known, err, err_size);
	if (error)
		return error;
	uint32_t depth = PIPE_DEFAULT_DEPTH;
	const char *value = port_option(options, "depth");
	if (value) {
		char *end;
		unsigned long d = strtoul(value, &end, 10);
		if (*end || d < 1 || d > (1u << 20) || (d & (d - 1))) {
			snprintf(err, err_size,
				 "port %s: depth '%s' must be a power of two, 1-1048576",
				 port->name, value);
			return -EINVAL;
		}
		depth = (uint32_t)d;
	}
	struct pipe_port *pipe = calloc(1, sizeof(*pipe));
	if (!pipe || ring_init(&pipe->rx, depth) || ring_init(&pipe->tx, depth)) {
		if (pipe) {
			free(pipe->rx.slots);
			free(pipe->tx.slots);
		}
		free(pipe);
		snprintf(err, err_size, "port %s: out of memory", port->name);
		return -ENOMEM;
	}
	pipe->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pipe->wake_fd < 0) {
		int error = -errno;
		snprintf(err, err_size, "port %s: eventfd: %s", port->name, strerror(errno));
		ring_destroy(&pipe->rx);
		ring_destroy(&pipe->tx);
		free(pipe);
		return error;
	}
	value = port_option(options, "sink");
	pipe->sink = value && strcmp(value, "yes") == 0;
	pipe->carrier = true;
	port->priv = pipe;
	return 0;
}

static void pipe_close(struct port *port)
{
	struct pipe_port *pipe = port->priv;
	ring_destroy(&pipe->rx);
	ring_destroy(&pipe->tx);
	close(pipe->wake_fd);
	free(pipe);
}

static int pipe_recv(struct port *port, struct packet_pool *pool, struct packet_batch *batch)
{
	struct pipe_port *pipe = port->priv;
	int n = 0;
	struct packet *p;
	while (batch->count < BATCH_SIZE && (p = ring_get(&pipe->rx))) {
		/* Injected by thread 0, received here on another poll thread. */
		if (UNLIKELY(p->pool != pool) && !packet_adopt(pool, p)) {
			port->stats.rx_overflow += 1;
			packet_free_any(p);
			continue;
		}
		packet_batch_add(batch, p);
		n++;
	}
	/* A syscall only when the queue empties, not per frame. */
	eventfd_t count;
	if (pipe->readable && !ring_used(&pipe->rx) && eventfd_read(pipe->wake_fd, &count) == 0)
		pipe->readable = false;
	return n;
}

static void pipe_send(struct port *port, struct packet_batch *batch)
{
	struct pipe_port *pipe = port->priv;
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		port->stats.tx_packets++;
		port->stats.tx_bytes += p->len;
		if (pipe->sink) {
			packet_free(p);
		} else if (!ring_put(&pipe->tx, p)) {
			port->stats.tx_packets--;
			port->stats.tx_bytes -= p->len;
			port->stats.tx_full += 1;
			packet_free(p);
		}
	}
	batch->count = 0;
}

static bool pipe_carrier(const struct port *port)
{
	const struct pipe_port *pipe = port->priv;
	return pipe->carrier;
}

/* As a tap's carrier: the far side (the test) sees it. */
static int pipe_set_link(struct port *port, bool up)
{
	pipe_set_carrier(port, up);
	return 0;
}

static int pipe_wait_fd(const struct port *port)
{
	const struct pipe_port *pipe = port->priv;
	return pipe->wake_fd;
}

static int pipe_status(const struct port *port, struct port_status *out)
{
	const struct pipe_port *pipe = port->priv;
	snprintf(out->text, sizeof(out->text),
		 "carrier %s, %u frames waiting to be received, %u sent and not yet taken%s",
		 pipe->carrier ? "up" : "down", ring_used(&pipe->rx), ring_used(&pipe->tx),
		 pipe->sink ? " (sink: sent frames are dropped)" : "");
	port_status_number(out, "rx_waiting", ring_used(&pipe->rx));
	port_status_number(out, "tx_waiting", ring_used(&pipe->tx));
	return 0;
}

const struct port_class pipe_port_class = {
    .type = "pipe",
    .open = pipe_open,
    .close = pipe_close,
    .recv = pipe_recv,
    .send = pipe_send,
    .carrier = pipe_carrier,
    .set_link = pipe_set_link,
    .status = pipe_status,
    .wait_fd = pipe_wait_fd,
};

/* The pipe behind `port`, or NULL when the port is of another type. */
static struct pipe_port *pipe_of(const struct port *port)
{
	return port->class == &pipe_port_class ? port->priv : NULL;
}

int pipe_inject_packet(struct port *port, struct packet *packet)
{
	struct pipe_port *pipe = pipe_of(port);
	if (!pipe || !ring_put(&pipe->rx, packet)) {
		packet_free_any(packet);
		return pipe ? -ENOBUFS : -EOPNOTSUPP;
	}
	if (!pipe->readable && eventfd_write(pipe->wake_fd, 1) == 0)
		pipe->readable = true;
	return 0;
}

int pipe_inject(struct port *port, struct packet_pool *pool, const void *frame, uint32_t len,
		int tci)
{
	if (!pipe_of(port))
		return -EOPNOTSUPP;
	if (len > pipe_frame_max(port, pool))
		return -EMSGSIZE;
	struct packet *p = packet_from_bytes(pool, frame, len);
	if (!p)
		return -ENOBUFS;
	if (tci >= 0) {
		p->flags |= PACKET_F_META_VLAN;
		p->meta_tci = (uint16_t)tci;
	}
	return pipe_inject_packet(port, p);
}

uint32_t pipe_frame_max(const struct port *port, const struct packet_pool *pool)
{
	return pipe_of(port) && pool ? pool->data_room : 0;
}

int pipe_take(struct port *port, void *buf, uint32_t size)
{
	struct pipe_port *pipe = pipe_of(port);
	if (!pipe)
		return -EOPNOTSUPP;
	struct packet *p = ring_get(&pipe->tx);
	if (!p)
		return -EAGAIN;
	int len = p->len;
	memcpy(buf, p->data, p->len < size ? p->len : size);
	packet_free_any(p); /* sent by any poll thread */
	return len;
}

uint32_t pipe_pending(const struct port *port)
{
	const struct pipe_port *pipe = pipe_of(port);
	return pipe ? ring_used(&pipe->tx) : 0;
}

void pipe_set_carrier(struct port *port, bool up)
{
	struct pipe_port *pipe = pipe_of(port);
	if (pipe)
		pipe->carrier = up;
}
