/* test_switch.c — switches and ports: settings are checked with messages an
 * operator can act on, several switches live side by side, and removing a
 * port or a VLAN takes its MACs with it. */
#include "helpers.h"
#include "lib/frame.h"

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

/* Applies config to port and returns the error text ("" on success). */
static const char *try_config(struct vswitch *sw, struct bridge_port *port, const struct port_config *c)
{
	static char err[256];
	err[0] = '\0';
	if (switch_configure_port(sw, port, c, err, sizeof(err)) == 0)
		return "";
	return err;
}

struct consumer {
	unsigned frames;
	struct bridge_port *last_in;
};

static void consume(void *ctx, struct bridge_port *in, struct packet *packet)
{
	struct consumer *c = ctx;
	c->frames++;
	c->last_in = in;
	packet_free(packet);
}

/* A protocol registered for an EtherType gets those frames, counted as
 * consumed, never forwarded nor dropped; other EtherTypes pass by. */
static void test_frame_handler_consumes_its_ethertype_only(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	struct consumer c = {0};
	assert_int_equal(switch_add_frame_handler(sw, 0x88cc, consume, &c), 0);
	assert_int_equal(switch_add_frame_handler(sw, 0x88cc, consume, &c), -EEXIST);
	uint8_t frame[64];
	size_t len = frame_build(frame, sizeof(frame), test_broadcast, test_mac(1), -1, 0x88cc,
				 "lldp", 4);
	test_send_raw(sw, a, frame, (uint32_t)len);
	assert_int_equal(c.frames, 1);
	assert_ptr_equal(c.last_in, a);
	assert_int_equal(a->counters.consumed, 1);
	assert_int_equal(port_counters_total_drops(&a->counters), 0);
	assert_int_equal(test_count_and_clear(b), 0);
	test_send(sw, a, test_broadcast, test_mac(1), -1); /* IPv4: forwarded */
	assert_int_equal(c.frames, 1);
	assert_int_equal(test_count_and_clear(b), 1);
	/* Gone: the frames are forwarded like any other. */
	switch_del_frame_handler(sw, 0x88cc, &c);
	test_send_raw(sw, a, frame, (uint32_t)len);
	assert_int_equal(c.frames, 1);
	assert_int_equal(test_count_and_clear(b), 1);
	for (uint16_t t = 0; t < SWITCH_MAX_FRAME_HANDLERS; t++)
		assert_int_equal(switch_add_frame_handler(sw, (uint16_t)(0x9000 + t), consume, &c),
				 0);
	assert_int_equal(switch_add_frame_handler(sw, 0x88cc, consume, &c), -ENOSPC);
}

static void test_bad_port_settings_are_rejected_with_reason(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *vm = test_port(sw, "vm1", 1, NULL, false);
	struct port_config c = vm->config;
	c.pvid = 5000;
	assert_string_equal(try_config(sw, vm, &c),
			    "port vm1: pvid 5000 out of range 1-4094 or none");
	c = vm->config;
	bitset_set(c.vids, 4095);
	assert_non_null(strstr(try_config(sw, vm, &c), "reserved"));
	c = vm->config;
	c.uplink = true;
	c.trunk_priority = 16;
	assert_non_null(strstr(try_config(sw, vm, &c), "trunk-priority 16 out of range 1-15"));
	c.uplink = false;
	c.trunk_priority = 3;
	assert_non_null(strstr(try_config(sw, vm, &c), "only to an uplink"));
	c = vm->config;
	c.uplink = true;
	c.mode = PORT_MODE_PRIVATE;
	assert_non_null(strstr(try_config(sw, vm, &c), "veb mode only"));
	assert_int_equal(vm->config.pvid, 1); /* nothing was half-applied */
	assert_false(vm->config.uplink);
}

static void test_second_passthrough_port_is_rejected(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	struct port_config c = a->config;
	c.mode = PORT_MODE_PASSTHROUGH;
	assert_string_equal(try_config(sw, a, &c), "");
	c = b->config;
	c.mode = PORT_MODE_PASSTHROUGH;
	assert_non_null(strstr(try_config(sw, b, &c), "already owns the uplink"));
}

static void test_duplicate_port_name_is_rejected(void **state)
{
	struct vswitch *sw = *state;
	char err[256];
	test_port(sw, "vm1", 1, NULL, false);
	struct port *again = port_create("vm1", "pipe", NULL, err, sizeof(err));
	struct port_config c;
	port_config_init(&c);
	assert_int_equal(switch_add_port(sw, again, &c, err, sizeof(err)), -EEXIST);
	assert_string_equal(err, "port vm1: already exists on switch sw0");
	port_destroy(again);
}

static void test_unknown_port_type_and_option_are_clear_errors(void **state)
{
	(void)state;
	char err[256];
	assert_null(port_create("x", "bogus", NULL, err, sizeof(err)));
	assert_non_null(strstr(
	    err,
	    "unknown type 'bogus' (types: afpacket, tap, internal, vnic, patch, bond, pipe, pcap"));
	const char *opts[] = {"colour=blue", NULL};
	assert_null(port_create("x", "pipe", opts, err, sizeof(err)));
	assert_non_null(strstr(err, "unknown option 'colour'"));
	const char *bad_depth[] = {"depth=3", NULL};
	assert_null(port_create("x", "pipe", bad_depth, err, sizeof(err)));
	assert_non_null(strstr(err, "power of two"));
	assert_null(
	    port_create("a-name-that-is-far-too-long-for-a-port", "pipe", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "name must be"));
}

static void test_switches_are_independent(void **state)
{
	struct vswitch *sw = *state;
	struct vswitch *sw2 = test_switch(SWITCH_MODE_LEARNING);
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	struct bridge_port *c = test_port(sw2, "a", 1, NULL, false); /* same name, other switch */
	struct bridge_port *d = test_port(sw2, "d", 1, NULL, false);
	test_send(sw, a, test_broadcast, test_mac(1), -1);
	assert_int_equal(test_count_and_clear(b), 1);
	assert_int_equal(test_count_and_clear(d), 0);
	assert_int_equal(sw2->fdb->count, 0);
	test_send(sw2, c, test_broadcast, test_mac(1), -1);
	assert_int_equal(test_count_and_clear(d), 1);
	assert_int_equal(test_count_and_clear(b), 0);
	test_switch_destroy(sw2);
}

static void test_deleting_a_port_forgets_its_macs(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	test_send(sw, a, test_broadcast, test_mac(1), -1);
	test_clear_all(sw);
	assert_int_equal(sw->fdb->count, 1);
	switch_del_port(sw, a, true);
	assert_int_equal(sw->fdb->count, 0);
	assert_null(switch_find_port(sw, "a"));
	struct bridge_port *c = test_port(sw, "c", 1, NULL, false); /* reuses the slot */
	test_send(sw, b, test_mac(1), test_mac(2), -1);
	assert_int_equal(test_count_and_clear(c), 1); /* flooded, not sent to a dead port */
}

static void test_leaving_a_vlan_forgets_macs_learned_in_it(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *t = test_port(sw, "t", 1, (const uint16_t[]){3, 0}, false);
	test_port(sw, "u", 1, (const uint16_t[]){3, 0}, false);
	test_send(sw, t, test_broadcast, test_mac(1), 3);
	test_send(sw, t, test_broadcast, test_mac(2), -1);
	assert_int_equal(sw->fdb->count, 2);
	struct port_config c = t->config;
	bitset_clear(c.vids, 3);
	assert_string_equal(try_config(sw, t, &c), "");
	assert_int_equal(sw->fdb->count, 1);
	uint64_t key = fdb_key(1, test_mac(2));
	assert_non_null(fdb_find(sw->fdb, key, hash_u64(key)));
}

static void test_static_mac_needs_membership_and_unicast(void **state)
{
	struct vswitch *sw = *state;
	char err[256];
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	assert_int_equal(switch_add_static_mac(sw, a, 3, test_mac(1), err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "fdb: port a is not a member of vlan 3");
	assert_int_equal(switch_add_static_mac(sw, a, 1, test_broadcast, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(switch_add_static_mac(sw, a, 4095, test_mac(1), err, sizeof(err)),
			 -ERANGE);
	assert_int_equal(switch_del_mac(sw, 1, test_mac(1)), -ENOENT);
}

static void test_bad_switch_settings_are_rejected(void **state)
{
	(void)state;
	char err[256];
	struct switch_config c;
	switch_config_init(&c);
	c.fdb_capacity = 0;
	assert_null(switch_create("s", &c, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "fdb capacity 0 out of range"));
	switch_config_init(&c);
	c.mtu = 10;
	assert_null(switch_create("s", &c, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "mtu 10"));
	switch_destroy(NULL);
	port_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_frame_handler_consumes_its_ethertype_only, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bad_port_settings_are_rejected_with_reason, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_second_passthrough_port_is_rejected, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_duplicate_port_name_is_rejected, setup, teardown),
	    cmocka_unit_test(test_unknown_port_type_and_option_are_clear_errors),
	    cmocka_unit_test_setup_teardown(test_switches_are_independent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deleting_a_port_forgets_its_macs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_leaving_a_vlan_forgets_macs_learned_in_it, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_static_mac_needs_membership_and_unicast, setup,
					    teardown),
	    cmocka_unit_test(test_bad_switch_settings_are_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
