/* test_mirror.c — port mirroring in the engine (mirror.c) and in the model
 * (mirror_config.c): which frames a mirror selects, that rx copies are the
 * frames as they arrived (a tag the kernel stripped put back; frames the
 * switch drops included) and tx copies as they left, that an output port
 * takes no part in forwarding, that lost copies are counted, and that
 * running-config reproduces a mirror exactly. */
#include "helpers.h"

#include <stdlib.h>
#include <unistd.h>

#include "control_fixture.h"
#include "engine/datapath.h"

static int setup(void **state)
{
	*state = test_switch(SWITCH_MODE_LEARNING);
	return 0;
}

static int teardown(void **state)
{
	test_switch_destroy(*state);
	return 0;
}

static struct mirror *add_span(struct vswitch *sw, const char *source, uint8_t direction,
			       uint16_t vid, const char *output)
{
	struct mirror_spec spec = {.n_sources = 1, .direction = direction, .vid = vid};
	snprintf(spec.name, sizeof(spec.name), "m-%s-%u", source, direction);
	snprintf(spec.sources[0], sizeof(spec.sources[0]), "%s", source);
	spec.sink = output ? MIRROR_TO_PORT : MIRROR_TO_EXPORT; /* a ring, freed with the switch */
	if (output)
		snprintf(spec.output, sizeof(spec.output), "%s", output);
	struct mirror *m = mirror_create(&spec, output ? 0 : 4);
	assert_non_null(m);
	assert_int_equal(mirror_add(sw, m), 0);
	return m;
}

/* A frame with a sequence number after the EtherType. */
static void inject(struct bridge_port *port, const uint8_t *dst, int tci, uint32_t seq)
{
	uint8_t frame[64];
	size_t len =
	    frame_build(frame, sizeof(frame), dst, test_mac(1), -1, 0x88b5, &seq, sizeof(seq));
	assert_int_equal(pipe_inject(port->dev, port->sw->pool, frame, (uint32_t)len, tci), 0);
}

static void run(struct vswitch *sw)
{
	while (switch_poll(sw))
		;
}

static void test_selects_by_direction_and_vlan(void **state)
{
	(void)state;
	struct mirror m = {.spec = {.direction = MIRROR_RX, .vid = 10}};
	assert_true(mirror_selects(&m, MIRROR_RX, 10));
	assert_false(mirror_selects(&m, MIRROR_RX, 11));
	assert_false(mirror_selects(&m, MIRROR_TX, 10));
	m.spec = (struct mirror_spec){.direction = MIRROR_BOTH, .vid = 0};
	assert_true(mirror_selects(&m, MIRROR_TX, 4094));
	assert_true(mirror_selects(&m, MIRROR_RX, 1));
}

static void test_rx_copy_is_the_frame_as_it_arrived_with_its_tag(void **state)
{
	struct vswitch *sw = *state;
	const uint16_t vids[] = {10, 0};
	struct bridge_port *a = test_port(sw, "a", 1, vids, false);
	struct bridge_port *b = test_port(sw, "b", 1, vids, false);
	struct bridge_port *m = test_port(sw, "m", 1, NULL, false);
	struct mirror *span = add_span(sw, "a", MIRROR_RX, 10, "m");
	inject(a, test_mac(2), 10, 1);	   /* tag in metadata, VLAN 10: mirrored */
	inject(a, test_mac(2), -1, 2);	   /* untagged, VLAN 1: not */
	inject(a, test_mac(2), 20, 3);	   /* VLAN 20, dropped by the switch: not of VLAN 10 */
	inject(a, test_mac(2), 0x200a, 4); /* priority 1, VLAN 10: mirrored with its PCP */
	run(sw);
	struct test_frame f = test_take(m);
	assert_int_equal(test_frame_tci(&f), 10);
	uint32_t seq;
	memcpy(&seq, f.data + 18, sizeof(seq));
	assert_int_equal(seq, 1);
	f = test_take(m);
	assert_int_equal(test_frame_tci(&f), 0x200a);
	assert_int_equal(test_take(m).len, -1);
	assert_int_equal(span->mirrored, 2);
	assert_int_equal(test_count_and_clear(b), 3); /* forwarding unchanged */
}

static void test_rx_mirror_copies_frames_the_switch_drops(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	test_port(sw, "b", 1, NULL, false);
	struct bridge_port *m = test_port(sw, "m", 1, NULL, false);
	add_span(sw, "a", MIRROR_RX, 0, "m");
	inject(a, test_mac(2), 20, 1); /* not a member of VLAN 20 */
	run(sw);
	assert_int_equal(a->counters.drops[DROP_VLAN_NOT_MEMBER], 1);
	struct test_frame f = test_take(m);
	assert_int_equal(test_frame_vid(&f), 20);
}

static void test_tx_copy_is_tagged_as_it_leaves(void **state)
{
	struct vswitch *sw = *state;
	const uint16_t vids[] = {10, 0};
	struct bridge_port *a = test_port(sw, "a", 1, vids, false);
	struct bridge_port *b = test_port(sw, "b", 10, NULL, false);
	struct bridge_port *m = test_port(sw, "m", 1, NULL, false);
	add_span(sw, "a", MIRROR_TX, 0, "m");
	add_span(sw, "b", MIRROR_TX, 0, "m");
	inject(b, test_mac(9), -1, 7); /* VLAN 10 untagged on b, leaves a tagged */
	run(sw);
	struct test_frame out = test_take(a), copy = test_take(m);
	assert_int_equal(test_frame_vid(&out), 10);
	assert_int_equal(copy.len, out.len);
	assert_memory_equal(copy.data, out.data, (size_t)out.len);
	assert_int_equal(test_take(m).len, -1); /* b's tx was nothing */
}

static void test_output_port_leaves_forwarding(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	struct bridge_port *m = test_port(sw, "m", 1, NULL, false);
	add_span(sw, "a", MIRROR_TX, 0, "m");
	inject(a, test_broadcast, -1, 1); /* a flood reaches b, not m */
	run(sw);
	assert_int_equal(test_count_and_clear(b), 1);
	assert_int_equal(test_take(m).len, -1);
	inject(m, test_broadcast, -1, 2); /* what m receives goes nowhere */
	run(sw);
	assert_int_equal(test_count_and_clear(a) + test_count_and_clear(b), 0);
	assert_int_equal(m->counters.drops[DROP_MIRROR_OUTPUT], 1);
	/* the mirror gone, m forwards again */
	mirror_destroy(mirror_remove(sw, "m-a-2"));
	inject(a, test_broadcast, -1, 3);
	run(sw);
	assert_int_equal(test_count_and_clear(m), 1);
}

static void test_full_ring_drops_copies_not_frames(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	struct mirror *cap = add_span(sw, "a", MIRROR_RX, 0, NULL); /* a ring of 4 */
	for (uint32_t i = 0; i < 6; i++)
		inject(a, test_mac(2), -1, i);
	run(sw);
	assert_int_equal(test_count_and_clear(b), 6);
	assert_int_equal(cap->mirrored, 4);
	assert_int_equal(cap->dropped, 2);
	struct mirror_record r;
	uint8_t data[MIRROR_SLOT_SIZE];
	for (uint32_t i = 0; i < 4; i++) {
		assert_true(mirror_ring_pop(cap->ring, &r, data));
		uint32_t seq;
		memcpy(&seq, data + 14, sizeof(seq));
		assert_int_equal(seq, i);
		assert_int_equal(r.direction, MIRROR_RX);
		assert_int_equal(r.caplen, r.len);
	}
	assert_false(mirror_ring_pop(cap->ring, &r, data));
}

static void test_empty_pool_counts_lost_copies(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	test_port(sw, "m", 1, NULL, false);
	struct mirror *span = add_span(sw, "a", MIRROR_RX, 0, "m");
	inject(a, test_mac(2), -1, 1);
	/* Take every free buffer: the frame itself is already received. */
	struct packet_pool *pool = sw->pool;
	uint32_t taken = pool->available;
	struct packet **held = calloc(taken, sizeof(*held));
	for (uint32_t i = 0; i < taken; i++)
		held[i] = packet_alloc(pool);
	run(sw);
	for (uint32_t i = 0; i < taken; i++)
		packet_free(held[i]);
	free(held);
	assert_int_equal(test_count_and_clear(b), 1);
	assert_int_equal(span->dropped, 1);
	assert_int_equal(span->mirrored, 0);
}

static void test_removed_port_unbinds_its_mirrors(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *m = test_port(sw, "m", 1, NULL, false);
	struct mirror *span = add_span(sw, "a", MIRROR_BOTH, 0, "m");
	assert_ptr_equal(span->output, m);
	assert_int_equal(a->mirror.n, 1);
	switch_del_port(sw, m, true);
	assert_null(span->output);
	inject(a, test_broadcast, -1, 1);
	run(sw); /* nothing to send the copy to: no crash */
	assert_int_equal(span->mirrored, 0);
}

/* ---- the model ------------------------------------------------------------- */

static int control_setup(void **state)
{
	return control_fixture_setup(state);
}

static void run_ok(struct control_fixture *f, const char *line)
{
	if (control_fixture_run(f, line))
		fail_msg("%s: %s", line, f->err);
}

static void test_running_config_reproduces_mirrors(void **state)
{
	struct control_fixture *f = *state;
	run_ok(f, "switch add sw");
	run_ok(f, "port add sw a type pipe");
	run_ok(f, "port add sw b type pipe");
	run_ok(f, "port add sw m type pipe");
	run_ok(f, "mirror add sw span source a,b vlan 10 direction tx output m");
	run_ok(f, "show running-config");
	const char *line = "mirror add sw span source a,b direction tx vlan 10 output m\n";
	assert_non_null(strstr(f->output, line));
	/* the printed config, loaded again, is the same model */
	char *text = strdup(f->output);
	struct config *again = config_new();
	struct command_context ctx = {.cfg = again};
	char *save = NULL, err[256];
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *argv[64];
		int argc = command_split(l, argv, 64);
		if (argc > 0 && command_run(&ctx, argc, argv, err, sizeof(err)))
			fail_msg("%s", err);
	}
	assert_true(config_equal(again, f->state.running));
	config_free(again);
	free(text);
	run_ok(f, "mirror show");
	assert_non_null(strstr(f->output, "mirror span (switch sw): source a,b tx vlan 10 -> m"));
}

static void test_mirror_refusals_name_the_reason(void **state)
{
	struct control_fixture *f = *state;
	run_ok(f, "switch add sw");
	run_ok(f, "port add sw a type pipe");
	run_ok(f, "port add sw m type pipe uplink on");
	run_ok(f, "port add sw n type pipe");
	assert_int_not_equal(control_fixture_run(f, "mirror add sw x source a output m"), 0);
	assert_non_null(strstr(f->err, "uplink"));
	assert_int_not_equal(control_fixture_run(f, "mirror add sw x source zz output n"), 0);
	assert_non_null(strstr(f->err, "no port zz"));
	assert_int_not_equal(
	    control_fixture_run(f, "mirror add sw x source a direction up output n"), 0);
	assert_non_null(strstr(f->err, "direction 'up'"));
	assert_int_not_equal(control_fixture_run(f, "mirror add sw x source a output erspan"), 0);
	assert_non_null(strstr(f->err, "remote"));
	run_ok(f, "mirror add sw x source a output n");
	/* the output of a mirror is not mirrored, nor removed under it */
	assert_int_not_equal(control_fixture_run(f, "mirror add sw y source n output a"), 0);
	assert_non_null(strstr(f->err, "output of a mirror"));
	assert_int_not_equal(control_fixture_run(f, "port del n"), 0);
	run_ok(f, "mirror del x");
	run_ok(f, "port del n");
}

static void test_failed_apply_adds_no_mirror(void **state)
{
	struct control_fixture *f = *state;
	run_ok(f, "switch add sw");
	run_ok(f, "port add sw a type pipe");
	run_ok(f, "port add sw m type pipe");
	config_apply_fail_at(1); /* the mirror's allocation */
	assert_int_not_equal(control_fixture_run(f, "mirror add sw x source a output m"), 0);
	assert_non_null(strstr(f->err, "injected failure"));
	assert_int_equal(f->state.running->n_mirrors, 0);
	struct vswitch *sw = datapath_find_switch(f->state.dp, "sw");
	assert_int_equal(sw->mirrors.n, 0);
	assert_int_equal(switch_find_port(sw, "a")->mirror.flags, 0);
}

static void test_bad_mirror_in_startup_file_names_its_line(void **state)
{
	struct control_fixture *f = *state;
	FILE *out = fopen(f->path, "w");
	assert_non_null(out);
	fputs("switch add sw\nport add sw a type pipe\nmirror add sw m source a output zz\n", out);
	fclose(out);
	char err[512];
	assert_null(config_load(f->path, err, sizeof(err)));
	assert_non_null(strstr(err, ":3: mirror m: no output port zz"));
	unlink(f->path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_selects_by_direction_and_vlan),
	    cmocka_unit_test_setup_teardown(test_rx_copy_is_the_frame_as_it_arrived_with_its_tag,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_mirror_copies_frames_the_switch_drops, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_tx_copy_is_tagged_as_it_leaves, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_output_port_leaves_forwarding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_ring_drops_copies_not_frames, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_empty_pool_counts_lost_copies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_removed_port_unbinds_its_mirrors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_running_config_reproduces_mirrors, control_setup,
					    control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_mirror_refusals_name_the_reason, control_setup,
					    control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_failed_apply_adds_no_mirror, control_setup,
					    control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_mirror_in_startup_file_names_its_line,
					    control_setup, control_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
