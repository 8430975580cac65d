/* vhost_message.c — applies vhost-user messages to a device's state
 * (vhost_message.h). Each request checks its payload size and fd count
 * first, then its values, and only then changes anything, so a refused
 * message leaves the device as it was (and the caller resets it).
 *
 * Ring life cycle, as QEMU 7.2 and DPDK 22.11's virtio-user drive it:
 * SET_FEATURES, SET_MEM_TABLE, then per ring SET_VRING_NUM, _BASE, _ADDR,
 * _KICK, _CALL and (with protocol features) SET_VRING_ENABLE 1. A ring is
 * ready for I/O once it is started (kick received), enabled, and its three
 * parts translate into mapped memory; GET_VRING_BASE stops it and returns
 * where it stopped. A new memory table re-translates running rings. */
#include "vhost_message.h"

#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const refusal_names[] = {
#define VHOST_NAME(e, name, text) name,
    VHOST_REFUSALS(VHOST_NAME)
#undef VHOST_NAME
};

const char *vhost_refusal_name(enum vhost_refusal r)
{
	return r < VHOST_REFUSAL_MAX ? refusal_names[r] : "?";
}

/* Payload layouts (vhost-user.rst). */
struct vring_state_msg {
	uint32_t index;
	uint32_t num;
};
struct vring_addr_msg {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;
	uint64_t used;
	uint64_t avail;
	uint64_t log;
};
struct memory_msg {
	uint32_t n_regions;
	uint32_t padding;
	struct vhost_memory_desc regions[VHOST_MEMORY_MAX_REGIONS];
};

void vhost_device_init(struct vhost_device *dev, uint64_t offered, uint64_t protocol_offered,
		       uint32_t queue_pairs)
{
	memset(dev, 0, sizeof(*dev));
	dev->offered = offered;
	dev->protocol_offered = protocol_offered;
	dev->queue_pairs = queue_pairs;
	for (int i = 0; i < VHOST_MAX_VRINGS; i++) {
		dev->vrings[i].kick_fd = -1;
		dev->vrings[i].q.call_fd = -1;
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void stop_vring(struct vhost_vring *v)
{
	if (v->kick_fd >= 0) {
		close_fd(&v->kick_fd);
		v->kick_gen++;
	}
	v->started = false;
	v->q.size = 0;
}

void vhost_device_reset(struct vhost_device *dev)
{
	for (int i = 0; i < VHOST_MAX_VRINGS; i++) {
		struct vhost_vring *v = &dev->vrings[i];
		stop_vring(v);
		close_fd(&v->q.call_fd);
		uint64_t counters[VIRTQ_COUNTER_MAX], calls = v->q.calls;
		uint32_t gen = v->kick_gen;
		memcpy(counters, v->q.counters, sizeof(counters));
		memset(v, 0, sizeof(*v));
		memcpy(v->q.counters, counters, sizeof(counters));
		v->q.calls = calls;
		v->kick_gen = gen;
		v->kick_fd = -1;
		v->q.call_fd = -1;
	}
	vhost_memory_unmap(&dev->mem);
	dev->features = dev->protocol = 0;
	dev->owned = false;
	dev->mtu = 0;
}

bool vhost_device_running(const struct vhost_device *dev)
{
	for (uint32_t i = 0; i + 1 < VHOST_MAX_VRINGS; i += 2)
		if (vhost_vring_ready(dev, i) && vhost_vring_ready(dev, i + 1))
			return true;
	return false;
}

static bool has_protocol_features(const struct vhost_device *dev)
{
	return (dev->features >> VHOST_USER_F_PROTOCOL_FEATURES) & 1;
}

/* Makes the ring ready for I/O when everything it needs is there, or not
 * ready. Returns false when its addresses do not translate. */
static bool update_vring(struct vhost_device *dev, uint32_t index)
{
	struct vhost_vring *v = &dev->vrings[index];
	struct virtq *q = &v->q;
	bool enabled = has_protocol_features(dev) ? v->enabled : true;
	bool was_ready = q->size != 0;
	q->size = 0;
	if (!v->addr_set || !dev->mem.n_regions || !v->num)
		return true;
	void *desc = vhost_memory_uva(&dev->mem, v->desc_addr, virtq_desc_bytes(v->num));
	void *avail = vhost_memory_uva(&dev->mem, v->avail_addr, virtq_avail_bytes(v->num));
	void *used = vhost_memory_uva(&dev->mem, v->used_addr, virtq_used_bytes(v->num));
	if (!desc || !avail || !used || (uintptr_t)desc % 16 || (uintptr_t)avail % 2 ||
	    (uintptr_t)used % 4)
		return false;
	if (!v->started || !enabled)
		return true;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	virtq_set_features(q, dev->features);
	if (!was_ready) {
		q->last_avail = q->last_used = v->base;
		q->broken = false;
		/* We never wait for receive buffers: a full ring drops. */
		if (!(index & 1) && !q->event_idx)
			__atomic_store_n(&q->used->flags, VRING_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
	}
	q->size = (uint16_t)v->num;
	/* A transmit ring starts idle, kicks asked for: a ring taken over
	 * from a back end that was polling it may still say NO_NOTIFY. */
	if (!was_ready && (index & 1))
		virtq_want_kicks(q, true);
	return true;
}

/* Counts a refusal and says why; returns -EPROTO for one that resets. */
static int refuse(struct vhost_device *dev, enum vhost_refusal r, uint32_t request, const char *fmt,
		  ...) __attribute__((format(printf, 4, 5)));

#include <stdarg.h>
static int refuse(struct vhost_device *dev, enum vhost_refusal r, uint32_t request, const char *fmt,
		  ...)
{
	dev->refusals[r]++;
	int used = snprintf(dev->last_refusal, sizeof(dev->last_refusal), "request %u: ", request);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dev->last_refusal + used, sizeof(dev->last_refusal) - (size_t)used, fmt, ap);
	va_end(ap);
	return r < VHOST_FIRST_HARMLESS ? -EPROTO : 1;
}

static void reply_u64(struct vhost_reply *reply, uint64_t value)
{
	reply->size = sizeof(value);
	memcpy(reply->payload, &value, sizeof(value));
}

/* Checks the payload size; `exact` false: at least `want` bytes. */
#define NEED_SIZE(want, exact)                                                                     \
	do {                                                                                       \
		if ((exact) ? size != (want) : size < (want))                                      \
			return refuse(dev, VHOST_BAD_SIZE, request,                                \
				      "payload of %u bytes, want %zu", size, (size_t)(want));      \
	} while (0)

static int vring_index(struct vhost_device *dev, uint32_t request, uint32_t index)
{
	if (index >= 2 * dev->queue_pairs)
		return refuse(dev, VHOST_BAD_QUEUE, request, "vring %u of %u", index,
			      2 * dev->queue_pairs);
	return 0;
}

static int set_features(struct vhost_device *dev, uint32_t request, uint64_t features)
{
	if (features & ~dev->offered)
		return refuse(dev, VHOST_BAD_FEATURES, request,
			      "features 0x%llx beyond those offered 0x%llx",
			      (unsigned long long)features, (unsigned long long)dev->offered);
	dev->features = features;
	for (uint32_t i = 0; i < 2 * dev->queue_pairs; i++)
		update_vring(dev, i);
	return 0;
}

static int set_mem_table(struct vhost_device *dev, uint32_t request, const void *payload,
			 uint32_t size, const int *fds, int n_fds)
{
	struct memory_msg m = {0};
	NEED_SIZE(8, false);
	memcpy(&m, payload, 8);
	if (m.n_regions == 0 || m.n_regions > VHOST_MEMORY_MAX_REGIONS)
		return refuse(dev, VHOST_BAD_MEMORY, request, "%u memory regions (1-%d)",
			      m.n_regions, VHOST_MEMORY_MAX_REGIONS);
	NEED_SIZE(8 + m.n_regions * sizeof(struct vhost_memory_desc), false);
	if (size > sizeof(m))
		return refuse(dev, VHOST_BAD_SIZE, request, "payload of %u bytes", size);
	if ((uint32_t)n_fds != m.n_regions)
		return refuse(dev, VHOST_BAD_FDS, request, "%d fds for %u memory regions", n_fds,
			      m.n_regions);
	memcpy(&m, payload, size);
	char why[120];
	if (vhost_memory_map(&dev->mem, m.regions, m.n_regions, fds, why, sizeof(why)) < 0)
		return refuse(dev, VHOST_BAD_MEMORY, request, "%s", why);
	for (uint32_t i = 0; i < 2 * dev->queue_pairs; i++)
		if (!update_vring(dev, i))
			return refuse(dev, VHOST_BAD_RING_ADDRESS, request,
				      "vring %u outside the new memory table", i);
	return 0;
}

static int set_vring_addr(struct vhost_device *dev, uint32_t request, const void *payload,
			  uint32_t size)
{
	struct vring_addr_msg a;
	NEED_SIZE(sizeof(a), true);
	memcpy(&a, payload, sizeof(a));
	int error = vring_index(dev, request, a.index);
	if (error)
		return error;
	struct vhost_vring *v = &dev->vrings[a.index];
	v->desc_addr = a.desc;
	v->avail_addr = a.avail;
	v->used_addr = a.used;
	v->addr_set = true;
	if (!update_vring(dev, a.index))
		return refuse(dev, VHOST_BAD_RING_ADDRESS, request,
			      "vring %u at desc 0x%llx avail 0x%llx used 0x%llx: outside guest "
			      "memory or misaligned",
			      a.index, (unsigned long long)a.desc, (unsigned long long)a.avail,
			      (unsigned long long)a.used);
	return 0;
}

/* SET_VRING_NUM, _BASE, _ENABLE and GET_VRING_BASE. */
static int vring_state(struct vhost_device *dev, uint32_t request, const void *payload,
		       uint32_t size, struct vhost_reply *reply)
{
	struct vring_state_msg s;
	NEED_SIZE(sizeof(s), true);
	memcpy(&s, payload, sizeof(s));
	int error = vring_index(dev, request, s.index);
	if (error)
		return error;
	struct vhost_vring *v = &dev->vrings[s.index];
	switch (request) {
	case VHOST_USER_SET_VRING_NUM:
		if (!virtq_size_valid(s.num))
			return refuse(dev, VHOST_BAD_RING_SIZE, request, "vring %u size %u",
				      s.index, s.num);
		v->num = s.num;
		break;
	case VHOST_USER_SET_VRING_BASE:
		if (s.num > UINT16_MAX)
			return refuse(dev, VHOST_BAD_RING_SIZE, request, "vring %u base %u",
				      s.index, s.num);
		v->base = (uint16_t)s.num;
		if (v->q.size)
			v->q.last_avail = v->q.last_used = v->base;
		break;
	case VHOST_USER_SET_VRING_ENABLE:
		v->enabled = s.num != 0;
		break;
	case VHOST_USER_GET_VRING_BASE:
		s.num = v->q.size ? v->q.last_avail : v->base;
		v->base = (uint16_t)s.num;
		stop_vring(v);
		reply->size = sizeof(s);
		memcpy(reply->payload, &s, sizeof(s));
		return 0;
	}
	return update_vring(dev, s.index) ? 0
					  : refuse(dev, VHOST_BAD_RING_ADDRESS, request,
						   "vring %u does not fit guest memory", s.index);
}

/* SET_VRING_KICK, _CALL and _ERR: an index, and an fd unless NOFD. */
static int vring_fd(struct vhost_device *dev, uint32_t request, const void *payload, uint32_t size,
		    int *fds, int n_fds)
{
	uint64_t u;
	NEED_SIZE(sizeof(u), true);
	memcpy(&u, payload, sizeof(u));
	uint32_t index = u & VHOST_VRING_INDEX_MASK;
	int want = (u & VHOST_VRING_NOFD) ? 0 : 1;
	if (n_fds != want)
		return refuse(dev, VHOST_BAD_FDS, request, "%d fds, want %d", n_fds, want);
	int error = vring_index(dev, request, index);
	if (error)
		return error;
	struct vhost_vring *v = &dev->vrings[index];
	int fd = want ? fds[0] : -1;
	if (want)
		fds[0] = -1; /* ours now */
	if (request == VHOST_USER_SET_VRING_KICK) {
		close_fd(&v->kick_fd);
		v->kick_fd = fd;
		v->kick_gen++;
		v->started = true;
	} else if (request == VHOST_USER_SET_VRING_CALL) {
		close_fd(&v->q.call_fd);
		v->q.call_fd = fd;
	} else {
		close_fd(&fd); /* we never report ring errors */
	}
	return update_vring(dev, index) ? 0
					: refuse(dev, VHOST_BAD_RING_ADDRESS, request,
						 "vring %u does not fit guest memory", index);
}

static int u64_payload(struct vhost_device *dev, uint32_t request, const void *payload,
		       uint32_t size, uint64_t *out)
{
	NEED_SIZE(sizeof(*out), true);
	memcpy(out, payload, sizeof(*out));
	return 0;
}

/* The fds each request carries (-1: checked by the request itself). */
static int fds_expected(uint32_t request)
{
	switch (request) {
	case VHOST_USER_SET_MEM_TABLE:
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
		return -1;
	case VHOST_USER_SET_LOG_BASE:
	case VHOST_USER_SET_LOG_FD:
	case VHOST_USER_SET_BACKEND_REQ_FD:
		return -1; /* refused whatever comes */
	default:
		return 0;
	}
}

static int dispatch(struct vhost_device *dev, uint32_t request, const void *payload, uint32_t size,
		    int *fds, int n_fds, struct vhost_reply *reply)
{
	uint64_t u = 0;
	int error = 0;
	switch (request) {
	case VHOST_USER_GET_FEATURES:
		reply_u64(reply, dev->offered);
		return 0;
	case VHOST_USER_SET_FEATURES:
		error = u64_payload(dev, request, payload, size, &u);
		return error ? error : set_features(dev, request, u);
	case VHOST_USER_SET_OWNER:
		dev->owned = true;
		return 0;
	case VHOST_USER_RESET_OWNER:
		for (uint32_t i = 0; i < VHOST_MAX_VRINGS; i++)
			stop_vring(&dev->vrings[i]);
		dev->features = 0;
		return 0;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		reply_u64(reply, dev->protocol_offered);
		return 0;
	case VHOST_USER_SET_PROTOCOL_FEATURES:
		error = u64_payload(dev, request, payload, size, &u);
		if (!error && (u & ~dev->protocol_offered))
			error =
			    refuse(dev, VHOST_BAD_FEATURES, request,
				   "protocol features 0x%llx beyond 0x%llx", (unsigned long long)u,
				   (unsigned long long)dev->protocol_offered);
		if (!error)
			dev->protocol = u;
		return error;
	case VHOST_USER_GET_QUEUE_NUM:
		reply_u64(reply, dev->queue_pairs);
		return 0;
	case VHOST_USER_SET_MEM_TABLE:
		return set_mem_table(dev, request, payload, size, fds, n_fds);
	case VHOST_USER_SET_VRING_ADDR:
		return set_vring_addr(dev, request, payload, size);
	case VHOST_USER_SET_VRING_NUM:
	case VHOST_USER_SET_VRING_BASE:
	case VHOST_USER_GET_VRING_BASE:
	case VHOST_USER_SET_VRING_ENABLE:
		return vring_state(dev, request, payload, size, reply);
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
		return vring_fd(dev, request, payload, size, fds, n_fds);
	case VHOST_USER_NET_SET_MTU:
		error = u64_payload(dev, request, payload, size, &u);
		if (!error && (u < 68 || u > UINT16_MAX))
			error =
			    refuse(dev, VHOST_BAD_MTU, request, "MTU %llu", (unsigned long long)u);
		if (!error)
			dev->mtu = (uint16_t)u;
		return error;
	case VHOST_USER_SEND_RARP:
		/* The guest announces itself after a migration anyway. */
		return refuse(dev, VHOST_IGNORED, request, "SEND_RARP ignored");
	default:
		/* The dirty log (live migration), back-end requests and all we
		 * did not offer: refused, the connection kept. */
		return refuse(dev, VHOST_UNSUPPORTED, request, "request not supported");
	}
}

/* Requests that answer with a payload of their own (no REPLY_ACK). */
static bool replies_itself(uint32_t request)
{
	return request == VHOST_USER_GET_FEATURES || request == VHOST_USER_GET_PROTOCOL_FEATURES ||
	       request == VHOST_USER_GET_QUEUE_NUM || request == VHOST_USER_GET_VRING_BASE;
}

int vhost_message_handle(struct vhost_device *dev, uint32_t request, uint32_t flags,
			 const void *payload, uint32_t size, int *fds, int n_fds,
			 struct vhost_reply *reply)
{
	int error;
	reply->size = -1;
	reply->request = request;
	dev->messages++;
	if ((flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION)
		error = refuse(dev, VHOST_BAD_VERSION, request, "flags 0x%x", flags);
	else if (size > VHOST_PAYLOAD_MAX)
		error = refuse(dev, VHOST_BAD_SIZE, request, "payload of %u bytes", size);
	else if (n_fds < 0 || n_fds > VHOST_MAX_FDS || (fds_expected(request) == 0 && n_fds != 0))
		error = refuse(dev, VHOST_BAD_FDS, request, "%d fds, want none", n_fds);
	else
		error = dispatch(dev, request, payload, size, fds, n_fds, reply);
	for (int i = 0; i < n_fds && i < VHOST_MAX_FDS; i++)
		close_fd(&fds[i]);
	if (error < 0) {
		reply->size = -1;
		return error;
	}
	if ((flags & VHOST_USER_NEED_REPLY) && !replies_itself(request) &&
	    ((dev->protocol >> VHOST_USER_PROTOCOL_F_REPLY_ACK) & 1))
		reply_u64(reply, error ? 1 : 0);
	return 0;
}

static const struct {
	unsigned bit;
	const char *name;
} feature_names[] = {
    {VIRTIO_NET_F_CSUM, "csum"},
    {VIRTIO_NET_F_GUEST_CSUM, "guest_csum"},
    {VIRTIO_NET_F_MTU, "mtu"},
    {VIRTIO_NET_F_GUEST_TSO4, "guest_tso4"},
    {VIRTIO_NET_F_GUEST_TSO6, "guest_tso6"},
    {VIRTIO_NET_F_HOST_TSO4, "host_tso4"},
    {VIRTIO_NET_F_HOST_TSO6, "host_tso6"},
    {VIRTIO_NET_F_MRG_RXBUF, "mrg_rxbuf"},
    {VIRTIO_NET_F_MQ, "mq"},
    {VIRTIO_RING_F_INDIRECT_DESC, "indirect_desc"},
    {VIRTIO_RING_F_EVENT_IDX, "event_idx"},
    {VHOST_USER_F_PROTOCOL_FEATURES, "protocol_features"},
    {VIRTIO_F_VERSION_1, "version_1"},
    {VIRTIO_F_IN_ORDER, "in_order"},
};

void vhost_feature_names(uint64_t features, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++) {
		if (!((features >> feature_names[i].bit) & 1) || used >= size)
			continue;
		used += (size_t)snprintf(out + used, size - used, "%s%s", used ? " " : "",
					 feature_names[i].name);
		features &= ~(UINT64_C(1) << feature_names[i].bit);
	}
	if (features && used < size)
		snprintf(out + used, size - used, "%s0x%llx", used ? " " : "",
			 (unsigned long long)features);
}
