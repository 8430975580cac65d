/* test_pipe.c — the pipe port (src/port/pipe.c) as the daemon and the
 * control socket use it: its wait fd is readable exactly while frames wait,
 * it takes frames up to the switch's buffer size, and its functions refuse a
 * port of another type instead of reading its state as a pipe's. */
#include <poll.h>
#include <stdlib.h>

#include "helpers.h"

static bool readable(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

static void test_wait_fd_is_readable_exactly_while_frames_wait(void **state)
{
	(void)state;
	struct vswitch *sw = test_switch(SWITCH_MODE_LEARNING);
	struct port *a = test_port(sw, "a", 1, NULL, false)->dev;
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	int fd = a->class->wait_fd(a);
	assert_true(fd >= 0);
	assert_false(readable(fd));
	uint8_t frame[64];
	size_t len =
	    frame_build(frame, sizeof(frame), test_broadcast, test_mac(1), -1, 0x0800, NULL, 0);
	/* More than one batch: still readable after the first. */
	for (int i = 0; i < BATCH_SIZE + 1; i++)
		assert_int_equal(pipe_inject(a, sw->pool, frame, (uint32_t)len, -1), 0);
	assert_true(readable(fd));
	assert_int_equal(switch_poll(sw), BATCH_SIZE);
	assert_true(readable(fd));
	assert_int_equal(switch_poll(sw), 1);
	assert_false(readable(fd));
	assert_int_equal(test_count_and_clear(b), BATCH_SIZE + 1);
	test_switch_destroy(sw);
}

static void test_inject_takes_frames_up_to_the_buffer_size(void **state)
{
	(void)state;
	struct vswitch *sw = test_switch(SWITCH_MODE_LEARNING);
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	uint32_t max = pipe_frame_max(a->dev, sw->pool);
	assert_int_equal(max, sw->pool->data_room);
	uint8_t *frame = calloc(1, max + 1);
	assert_int_equal(pipe_inject(a->dev, sw->pool, frame, max + 1, -1), -EMSGSIZE);
	assert_int_equal(pipe_inject(a->dev, sw->pool, frame, max, -1), 0);
	/* Runts too: the parser's tests need them. */
	assert_int_equal(pipe_inject(a->dev, sw->pool, frame, 3, -1), 0);
	switch_poll(sw);
	assert_int_equal(a->counters.drops[DROP_RUNT], 1);
	free(frame);
	test_switch_destroy(sw);
}

static int other_open(struct port *port, const char *const *options, char *err, size_t size)
{
	(void)port, (void)options, (void)err, (void)size;
	return 0;
}

static void other_close(struct port *port)
{
	(void)port;
}

static void other_send(struct port *port, struct packet_batch *batch)
{
	(void)port;
	batch->count = 0;
}

static void test_another_type_is_refused_and_left_alone(void **state)
{
	(void)state;
	static const struct port_class other = {
	    .type = "other", .open = other_open, .close = other_close, .send = other_send};
	struct vswitch *sw = test_switch(SWITCH_MODE_LEARNING);
	int canary = 42; /* what a pipe function would scribble on */
	struct port port = {.class = &other, .priv = &canary};
	uint8_t frame[64] = {0}, buf[64];
	assert_int_equal(pipe_inject(&port, sw->pool, frame, sizeof(frame), -1), -EOPNOTSUPP);
	assert_int_equal(pipe_take(&port, buf, sizeof(buf)), -EOPNOTSUPP);
	assert_int_equal(pipe_frame_max(&port, sw->pool), 0);
	assert_int_equal(pipe_pending(&port), 0);
	pipe_set_carrier(&port, false);
	struct packet *p = packet_from_bytes(sw->pool, frame, sizeof(frame));
	assert_int_equal(pipe_inject_packet(&port, p), -EOPNOTSUPP); /* and freed */
	assert_int_equal(canary, 42);
	test_switch_destroy(sw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wait_fd_is_readable_exactly_while_frames_wait),
	    cmocka_unit_test(test_inject_takes_frames_up_to_the_buffer_size),
	    cmocka_unit_test(test_another_type_is_refused_and_left_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
