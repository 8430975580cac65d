/* capture.c — see capture.h. The tap is a mirror of the port (mirror.c)
 * named capture-N, so `mirror show` lists it while it runs; it is added
 * and removed on the data-plane thread (control_datapath_call), and its
 * ring is drained here, on the control thread, its only consumer. */
#include "capture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine/datapath.h"
#include "execute.h"
#include "mailbox.h"

#define CAPTURE_RING_SLOTS 4096 /* 8 MB: a second of a busy VM's small frames */

struct capture {
	struct control_state *state;
	struct mirror *mirror; /* the switch's while attached, then ours */
	char sw[SWITCH_NAME_MAX];
	bool attached;
	uint64_t limit; /* frames to stream; UINT64_MAX: until the client goes */
	uint64_t captured;
	uint64_t dropped_before; /* the ring's losses when the tap left */
};

/* ---- on the data-plane thread -------------------------------------------- */

struct attach_call {
	struct capture *c;
	const char *port;
	int error;
	char *err;
	size_t err_size;
};

static void attach(struct datapath *dp, void *arg)
{
	struct attach_call *call = arg;
	struct vswitch *sw;
	struct bridge_port *port = datapath_find_port(dp, call->port, &sw);
	if (!port) {
		snprintf(call->err, call->err_size, "capture: no such port %s", call->port);
		call->error = -ENOENT;
		return;
	}
	if (port->mirror.flags & MIRROR_PORT_OUTPUT) {
		snprintf(call->err, call->err_size,
			 "capture: port %s is the output of a mirror: capture its sources",
			 port->name);
		call->error = -EINVAL;
		return;
	}
	if (port->mirror.n == MIRROR_PER_PORT || (call->error = mirror_add(sw, call->c->mirror))) {
		snprintf(call->err, call->err_size,
			 "capture: port %s has %d mirrors and captures already", port->name,
			 (int)port->mirror.n);
		call->error = -ENOSPC;
		return;
	}
	copy_name(call->c->sw, sizeof(call->c->sw), sw->name);
	call->c->attached = true;
}

static void detach(struct datapath *dp, void *arg)
{
	struct capture *c = arg;
	/* The switch may be gone (switch del): its tap was orphaned, not freed. */
	struct vswitch *sw = c->mirror->orphaned ? NULL : datapath_find_switch(dp, c->sw);
	if (sw)
		mirror_remove(sw, c->mirror->spec.name);
	c->attached = false;
}

static void take_off(struct capture *c)
{
	if (!c->attached)
		return;
	struct control_mailbox *mb = c->state->mailbox;
	if (mb && control_mailbox_closed(mb))
		detach(c->state->dp, c); /* shutting down: the poll threads are gone */
	else
		control_datapath_call(c->state, detach, c);
	c->dropped_before = __atomic_load_n(&c->mirror->dropped, __ATOMIC_RELAXED);
}

/* ---- the control thread's side ------------------------------------------- */

static int parse_args(int argc, char **argv, struct mirror_spec *spec, uint64_t *limit, char *err,
		      size_t n)
{
	unsigned long v;
	if (argc < 1 || argc % 2 == 0) {
		snprintf(err, n, "usage: capture PORT [count N] [direction rx|tx|both]");
		return -EINVAL;
	}
	if (!copy_name(spec->sources[0], PORT_NAME_MAX, argv[0])) {
		snprintf(err, n, "capture: port name '%s' too long", argv[0]);
		return -EINVAL;
	}
	spec->n_sources = 1;
	spec->direction = MIRROR_BOTH;
	for (int i = 1; i < argc; i += 2) {
		if (!strcmp(argv[i], "count")) {
			if (config_parse_uint("capture: count", argv[i + 1], 1, UINT32_MAX, &v, err,
					      n))
				return -EINVAL;
			*limit = v;
		} else if (!strcmp(argv[i], "direction") && !strcmp(argv[i + 1], "rx")) {
			spec->direction = MIRROR_RX;
		} else if (!strcmp(argv[i], "direction") && !strcmp(argv[i + 1], "tx")) {
			spec->direction = MIRROR_TX;
		} else if (!strcmp(argv[i], "direction") && !strcmp(argv[i + 1], "both")) {
			spec->direction = MIRROR_BOTH;
		} else {
			snprintf(err, n, "capture: '%s %s' is not count N or direction rx|tx|both",
				 argv[i], argv[i + 1]);
			return -EINVAL;
		}
	}
	return 0;
}

struct capture *capture_open(struct control_state *state, int argc, char **argv, char *err,
			     size_t err_size)
{
	static unsigned next_id = 1;
	struct mirror_spec spec = {.sink = MIRROR_TO_CAPTURE};
	uint64_t limit = UINT64_MAX;
	if (parse_args(argc, argv, &spec, &limit, err, err_size))
		return NULL;
	snprintf(spec.name, sizeof(spec.name), "capture-%u", next_id++);
	struct capture *c = calloc(1, sizeof(*c));
	if (c)
		c->mirror = mirror_create(&spec, CAPTURE_RING_SLOTS);
	if (!c || !c->mirror) {
		snprintf(err, err_size, "capture: out of memory");
		free(c);
		return NULL;
	}
	c->state = state;
	c->limit = limit;
	struct attach_call call = {.c = c, .port = argv[0], .err = err, .err_size = err_size};
	control_datapath_call(state, attach, &call);
	if (call.error) {
		mirror_destroy(c->mirror);
		free(c);
		return NULL;
	}
	return c;
}

size_t capture_read(struct capture *c, uint8_t *out, size_t room, bool *done)
{
	size_t used = 0;
	*done = false;
	struct mirror_record r;
	while (c->attached && c->captured < c->limit &&
	       room - used >=
		   sizeof(struct capture_frame) + MIRROR_SNAPLEN + sizeof(struct capture_end) &&
	       mirror_ring_pop(c->mirror->ring, &r, out + used + sizeof(struct capture_frame))) {
		struct capture_frame f = {.magic = CAPTURE_MAGIC_FRAME,
					  .caplen = r.caplen,
					  .len = r.len,
					  .direction = r.direction,
					  .time_ns = r.time_ns};
		memcpy(out + used, &f, sizeof(f));
		used += sizeof(f) + r.caplen;
		c->captured++;
	}
	if (c->captured < c->limit && !c->mirror->orphaned)
		return used;
	take_off(c);
	struct capture_end end = {
	    .magic = CAPTURE_MAGIC_END, .captured = c->captured, .dropped = c->dropped_before};
	memcpy(out + used, &end, sizeof(end));
	*done = true;
	return used + sizeof(end);
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	take_off(c);
	mirror_destroy(c->mirror);
	free(c);
}

void *capture_stream_open(void *state, int argc, char **argv, char *err, size_t err_size)
{
	return capture_open(state, argc, argv, err, err_size);
}

size_t capture_stream_read(void *state, void *stream, uint8_t *out, size_t room, bool *done)
{
	(void)state;
	return capture_read(stream, out, room, done);
}

void capture_stream_close(void *state, void *stream)
{
	(void)state;
	capture_close(stream);
}
