/* test_announce.c — gratuitous RARP for every client MAC and VLAN an uplink
 * carries, in the uplink's 802.1Q form; and from a VM's port that just
 * moved here (switch_announce_from), as if the VM had sent it. */
#include "helpers.h"

static int setup(void **state)
{
	*state = test_switch(SWITCH_MODE_AUTHORITATIVE);
	return 0;
}

static int teardown(void **state)
{
	test_switch_destroy(*state);
	return 0;
}

static void test_uplink_announces_each_client_mac_per_vlan(void **state)
{
	struct vswitch *sw = *state;
	char err[256];
	struct bridge_port *vm1 = test_port(sw, "vm1", 1, (const uint16_t[]){3, 0}, false);
	struct bridge_port *vm2 =
	    test_port(sw, "vm2", 5, NULL, false); /* VLAN 5: not on the uplink */
	struct bridge_port *up = test_port(sw, "up", 1, (const uint16_t[]){3, 0}, true);
	test_send(sw, vm1, test_broadcast, test_mac(1), -1); /* VLAN 1 */
	test_send(sw, vm1, test_broadcast, test_mac(2), 3);  /* VLAN 3 */
	test_send(sw, vm2, test_broadcast, test_mac(3), -1); /* VLAN 5 */
	test_send(sw, up, test_broadcast, test_mac(9), -1);  /* an outside host */
	assert_int_equal(switch_add_static_mac(sw, vm1, 3, test_mac(4), err, sizeof(err)), 0);
	test_clear_all(sw);
	uint64_t sent_before = up->dev->stats.tx_packets;

	assert_int_equal(switch_announce(sw, up), 3);
	bool seen[5] = {false};
	struct test_frame f;
	while ((f = test_take(up)).len > 0) {
		int vid = test_frame_vid(&f);
		const uint8_t *rarp = f.data + (vid < 0 ? 12 : 16);
		assert_memory_equal(f.data, test_broadcast, 6);
		assert_int_equal(load_be16(rarp), 0x8035);
		assert_int_equal(load_be16(rarp + 8), 3);      /* reverse request */
		assert_memory_equal(rarp + 10, f.data + 6, 6); /* sender MAC = source */
		assert_memory_equal(rarp + 20, f.data + 6, 6); /* target MAC too */
		unsigned n = f.data[11];
		assert_true(n >= 1 && n <= 4);
		assert_int_equal(vid, n == 1 ? -1 : 3); /* VLAN 1 untagged (PVID), 3 tagged */
		seen[n] = true;
	}
	assert_true(seen[1] && seen[2] && seen[4]);
	assert_false(seen[3]);
	assert_int_equal(up->dev->stats.tx_packets - sent_before, 3);
	assert_int_equal(test_count_and_clear(vm1) + test_count_and_clear(vm2), 0);
}

static void test_announce_with_nothing_learned_sends_nothing(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *up = test_port(sw, "up", 1, NULL, true);
	test_port(sw, "vm", 1, NULL, false);
	assert_int_equal(switch_announce(sw, up), 0);
	assert_int_equal(test_count_and_clear(up), 0);
}

static void test_moved_port_announces_its_mac_as_if_the_vm_sent_it(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *vm = test_port(sw, "vm", 1, (const uint16_t[]){3, 0}, false);
	struct bridge_port *other = test_port(sw, "other", 3, NULL, false);
	struct bridge_port *up = test_port(sw, "up", 1, (const uint16_t[]){3, 0}, true);
	test_clear_all(sw);
	assert_int_equal(switch_announce_from(sw, vm, test_mac(7), 1), 0);
	assert_int_equal(switch_announce_from(sw, vm, test_mac(7), 3), 0);
	/* VLAN 1 untagged on the uplink (its PVID), VLAN 3 tagged; the port
	 * on VLAN 3 hears the second, untagged; nothing back to the VM. */
	struct test_frame f = test_take(up);
	assert_int_equal(test_frame_vid(&f), -1);
	assert_memory_equal(f.data + 6, test_mac(7), 6);
	assert_int_equal(load_be16(f.data + 12), 0x8035);
	assert_memory_equal(f.data + 22, test_mac(7), 6);
	f = test_take(up);
	assert_int_equal(test_frame_vid(&f), 3);
	assert_int_equal(load_be16(f.data + 16), 0x8035);
	assert_int_equal(test_count_and_clear(up), 0);
	assert_int_equal(test_count_and_clear(other), 1);
	assert_int_equal(test_count_and_clear(vm), 0);
	/* The switch itself learned the MAC on the VM's port in both VLANs. */
	assert_int_equal(sw->fdb->port_dynamic[vm->index], 2);
}

static void test_carried_counters_add_to_the_ports_own(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *vm = test_port(sw, "vm", 1, NULL, false);
	test_port(sw, "up", 1, NULL, true);
	test_send(sw, vm, test_broadcast, test_mac(1), -1);
	vm->carried.rx_packets = 1000;
	vm->carried.tx_bytes = 5;
	vm->carried.drops[DROP_POLICED] = 7;
	struct port_counters c;
	bridge_port_counters(vm, &c);
	assert_int_equal(c.rx_packets, 1001);
	assert_int_equal(c.tx_bytes, 5);
	assert_int_equal(c.drops[DROP_POLICED], 7);
	switch_clear_counters(vm);
	bridge_port_counters(vm, &c);
	assert_int_equal(c.rx_packets, 0);
	assert_int_equal(c.drops[DROP_POLICED], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_uplink_announces_each_client_mac_per_vlan, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_announce_with_nothing_learned_sends_nothing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_moved_port_announces_its_mac_as_if_the_vm_sent_it,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_carried_counters_add_to_the_ports_own, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
