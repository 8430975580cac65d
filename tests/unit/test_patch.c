/* test_patch.c — the patch port: two switches of one process joined like two
 * Linux bridges by a veth, without copies. */
#include <stdlib.h>

#include "helpers.h"

struct two {
	struct vswitch *sw1, *sw2;
	struct bridge_port *a, *b, *p1, *p2;
};

static struct bridge_port *patch(struct vswitch *sw, const char *name, const char *peer, uint16_t pvid,
			  const uint16_t *vids)
{
	char err[256], option[64];
	snprintf(option, sizeof(option), "peer=%s", peer);
	const char *opts[] = {option, NULL};
	struct port *port = port_create(name, "patch", opts, err, sizeof(err));
	if (!port)
		fail_msg("%s", err);
	struct port_config config;
	port_config_init(&config);
	config.pvid = pvid;
	for (; vids && *vids; vids++)
		bitset_set(config.vids, *vids);
	if (switch_add_port(sw, port, &config, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	return switch_find_port(sw, name);
}

static int setup(void **state)
{
	struct two *t = calloc(1, sizeof(*t));
	t->sw1 = test_switch(SWITCH_MODE_LEARNING);
	t->sw2 = test_switch(SWITCH_MODE_LEARNING);
	static const uint16_t vid2[] = {2, 0};
	t->a = test_port(t->sw1, "a", 2, NULL, false);
	t->p1 = patch(t->sw1, "p1", "p2", 1, vid2); /* a trunk carrying VLAN 2 tagged */
	t->p2 = patch(t->sw2, "p2", "p1", 1, vid2);
	t->b = test_port(t->sw2, "b", 2, NULL, false);
	switch_run(t->sw1, t->sw1->now + 1); /* p1 sees its peer's arrival */
	switch_run(t->sw2, t->sw2->now + 1);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct two *t = *state;
	/* Frames may sit in a patch ring: both switches share no pool, so
	 * destroy the ports first, each frame going back to its own pool. */
	test_switch_destroy(t->sw2);
	test_switch_destroy(t->sw1);
	free(t);
	return 0;
}

static void run_both(struct two *t)
{
	for (int i = 0; i < 3; i++) {
		switch_poll(t->sw1);
		switch_poll(t->sw2);
	}
}

static void test_frame_crosses_the_patch_between_switches(void **state)
{
	struct two *t = *state;
	assert_true(t->p1->up && t->p2->up);
	test_send(t->sw1, t->a, test_broadcast, test_mac(1), -1);
	run_both(t);
	struct test_frame f = test_take(t->b);
	assert_true(f.len > 0);
	assert_int_equal(test_frame_vid(&f), -1); /* untagged again on b's PVID */
	assert_int_equal(t->p1->dev->stats.tx_packets, 1);
	assert_int_equal(t->p2->counters.rx_packets, 1);
	/* learned on the far side behind the patch, and the reply comes back */
	test_send(t->sw2, t->b, test_mac(1), test_mac(2), -1);
	run_both(t);
	assert_int_equal(test_count_and_clear(t->a), 1);
}

static void test_patch_link_carries_the_tag(void **state)
{
	struct two *t = *state;
	test_send(t->sw1, t->a, test_broadcast, test_mac(1), -1);
	/* The frame waits in p2's ring, tagged as it left p1 (VLAN 2 is not
	 * p1's PVID). */
	struct packet_batch batch = {.count = 0};
	assert_int_equal(t->p2->dev->class->recv(t->p2->dev, t->sw2->pool, &batch), 1);
	assert_int_equal(load_be16(batch.packets[0]->data + 12), ETH_TYPE_VLAN);
	assert_int_equal(load_be16(batch.packets[0]->data + 14) & 0xfff, 2);
	packet_batch_free(&batch);
}

static void test_removing_one_end_takes_the_link_down(void **state)
{
	struct two *t = *state;
	switch_del_port(t->sw2, t->p2, true);
	switch_run(t->sw1, t->sw1->now + 1);
	assert_false(t->p1->up);
	test_send(t->sw1, t->a, test_broadcast, test_mac(1), -1);
	assert_int_equal(t->a->counters.drops[DROP_NO_ROUTE], 1); /* nobody else on VLAN 2 */
}

static void test_bad_patch_options_are_clear_errors(void **state)
{
	(void)state;
	char err[256];
	assert_null(port_create("x", "patch", NULL, err, sizeof(err)));
	assert_string_equal(err, "port x: a patch port needs peer=PORT");
	const char *self[] = {"peer=x", NULL};
	assert_null(port_create("x", "patch", self, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot be its own peer"));
	const char *to_p1[] = {"peer=p1", NULL};
	assert_null(port_create("p3", "patch", to_p1, err, sizeof(err)));
	assert_string_equal(err, "port p3: patch port p1 is paired with p2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_frame_crosses_the_patch_between_switches, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_patch_link_carries_the_tag, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_removing_one_end_takes_the_link_down, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bad_patch_options_are_clear_errors, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
