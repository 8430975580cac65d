/* test_capture.c — a live capture (capture.c) without a socket: its tap
 * appears among the port's mirrors, the records it streams are the port's
 * frames in order, it stops at its count with an end record that reports
 * losses, and every way it ends removes the tap. */
#include "helpers.h"

#include <stdlib.h>

#include "control/capture.h"
#include "control_fixture.h"
#include "engine/datapath.h"

static void run_ok(struct control_fixture *f, const char *line)
{
	if (control_fixture_run(f, line))
		fail_msg("%s: %s", line, f->err);
}

static struct bridge_port *setup_ports(struct control_fixture *f)
{
	run_ok(f, "switch add sw");
	run_ok(f, "port add sw a type pipe");
	run_ok(f, "port add sw b type pipe");
	return datapath_find_port(f->state.dp, "a", NULL);
}

static void inject(struct control_fixture *f, struct bridge_port *port, uint32_t seq)
{
	uint8_t frame[64];
	size_t len = frame_build(frame, sizeof(frame), test_mac(2), test_mac(1), -1, 0x88b5, &seq,
				 sizeof(seq));
	assert_int_equal(pipe_inject(port->dev, port->sw->pool, frame, (uint32_t)len, -1), 0);
	while (datapath_poll(f->state.dp))
		;
}

static void pipe_take_all(struct bridge_port *port)
{
	uint8_t buf[2048];
	while (pipe_take(port->dev, buf, sizeof(buf)) >= 0)
		;
}

static bool tap_listed(struct control_fixture *f)
{
	run_ok(f, "mirror show");
	return strstr(f->output, "capture-") != NULL;
}

static void test_capture_streams_frames_in_order_and_stops_at_count(void **state)
{
	struct control_fixture *f = *state;
	struct bridge_port *a = setup_ports(f);
	char *argv[] = {"a", "count", "2", "direction", "rx"};
	struct capture *c = capture_open(&f->state, 5, argv, f->err, sizeof(f->err));
	assert_non_null(c);
	assert_true(tap_listed(f));
	for (uint32_t i = 0; i < 3; i++)
		inject(f, a, i);
	size_t room = 256 * 1024;
	uint8_t *out = malloc(room);
	bool done;
	size_t n = capture_read(c, out, room, &done);
	assert_true(done);
	size_t at = 0;
	for (uint32_t i = 0; i < 2; i++) {
		struct capture_frame fr;
		memcpy(&fr, out + at, sizeof(fr));
		assert_int_equal(fr.magic, CAPTURE_MAGIC_FRAME);
		assert_int_equal(fr.direction, MIRROR_RX);
		uint32_t seq;
		memcpy(&seq, out + at + sizeof(fr) + 14, sizeof(seq));
		assert_int_equal(seq, i);
		at += sizeof(fr) + fr.caplen;
	}
	struct capture_end end;
	assert_int_equal(n, at + sizeof(end));
	memcpy(&end, out + at, sizeof(end));
	assert_int_equal(end.magic, CAPTURE_MAGIC_END);
	assert_int_equal(end.captured, 2);
	assert_int_equal(end.dropped, 0);
	assert_false(tap_listed(f)); /* removed at its count */
	capture_close(c);
	free(out);
}

static void test_closing_a_running_capture_removes_its_tap(void **state)
{
	struct control_fixture *f = *state;
	struct bridge_port *a = setup_ports(f);
	char *argv[] = {"a"};
	struct capture *c = capture_open(&f->state, 1, argv, f->err, sizeof(f->err));
	assert_non_null(c);
	inject(f, a, 1);
	capture_close(c); /* the client went away */
	assert_false(tap_listed(f));
	assert_int_equal(a->mirror.n, 0);
	inject(f, a, 2); /* forwarding goes on without it */
}

static void test_slow_client_loses_frames_counted_not_forwarding(void **state)
{
	struct control_fixture *f = *state;
	struct bridge_port *a = setup_ports(f);
	struct bridge_port *b = datapath_find_port(f->state.dp, "b", NULL);
	char *argv[] = {"a", "count", "4100"};
	struct capture *c = capture_open(&f->state, 3, argv, f->err, sizeof(f->err));
	assert_non_null(c);
	/* Nobody reads: the ring (4096) fills, the rest of the copies are lost. */
	for (uint32_t i = 0; i < 4200; i++) {
		inject(f, a, i);
		if (i % 1000 == 999)
			pipe_take_all(b);
	}
	size_t room = 16 << 20;
	uint8_t *out = malloc(room);
	bool done;
	size_t n = capture_read(c, out, room, &done);
	assert_false(done);
	inject(f, a, 5000);
	inject(f, a, 5001);
	inject(f, a, 5002);
	inject(f, a, 5003);
	n = capture_read(c, out, room, &done);
	assert_true(done);
	struct capture_end end;
	memcpy(&end, out + n - sizeof(end), sizeof(end));
	assert_int_equal(end.captured, 4100);
	assert_int_equal(end.dropped, 4200 - 4096);
	assert_int_equal(a->counters.rx_packets, 4204); /* every frame forwarded */
	capture_close(c);
	free(out);
}

static void test_capture_ends_when_its_switch_is_deleted(void **state)
{
	struct control_fixture *f = *state;
	setup_ports(f);
	char *argv[] = {"a", "count", "5"};
	struct capture *c = capture_open(&f->state, 3, argv, f->err, sizeof(f->err));
	assert_non_null(c);
	run_ok(f, "switch del sw");
	uint8_t *out = malloc(128 * 1024);
	bool done;
	size_t n = capture_read(c, out, 128 * 1024, &done);
	assert_true(done);
	struct capture_end end;
	assert_int_equal(n, sizeof(end));
	memcpy(&end, out, sizeof(end));
	assert_int_equal(end.magic, CAPTURE_MAGIC_END);
	assert_int_equal(end.captured, 0);
	capture_close(c); /* frees the tap: no leak */
	free(out);
}

static void test_capture_of_unknown_port_is_refused(void **state)
{
	struct control_fixture *f = *state;
	setup_ports(f);
	char *argv[] = {"zz"};
	assert_null(capture_open(&f->state, 1, argv, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "no such port zz"));
	char *bad[] = {"a", "count", "0"};
	assert_null(capture_open(&f->state, 3, bad, f->err, sizeof(f->err)));
	assert_false(tap_listed(f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_capture_streams_frames_in_order_and_stops_at_count,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_closing_a_running_capture_removes_its_tap,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_slow_client_loses_frames_counted_not_forwarding,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_capture_ends_when_its_switch_is_deleted,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_capture_of_unknown_port_is_refused,
					    control_fixture_setup, control_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
