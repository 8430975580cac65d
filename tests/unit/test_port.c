/* test_port.c — what every port shares (src/port/port.c): the rule that
 * decides whether a rebuilt port keeps its device, with the addresses and
 * routes the host put on it, or whether the old device is removed. Pure:
 * nothing is opened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "port/port.h"

static bool same(const char *type_a, const char *const *a, const char *type_b, const char *const *b)
{
	return port_same_device("host", type_a, a, type_b, b);
}

static void test_same_type_and_device_keeps_the_device(void **state)
{
	(void)state;
	const char *const dev[] = {"dev=en0", NULL};
	assert_true(same("internal", dev, "internal", dev));
	assert_true(same("tap", dev, "tap", dev));
	/* Other options (socket buffers, owner) do not make another device. */
	const char *const bigger[] = {"dev=en0", "rcvbuf-kb=8192", NULL};
	assert_true(same("tap", dev, "tap", bigger));
}

static void test_device_named_after_the_port_is_the_same_as_dev_of_that_name(void **state)
{
	(void)state;
	const char *const named[] = {"dev=host", NULL};
	assert_true(same("internal", NULL, "internal", named));
}

static void test_another_device_name_removes_the_old_device(void **state)
{
	(void)state;
	const char *const en0[] = {"dev=en0", NULL};
	const char *const en1[] = {"dev=en1", NULL};
	assert_false(same("internal", en0, "internal", en1));
	assert_false(same("internal", NULL, "internal", en1));
}

static void test_another_type_removes_the_old_device_even_of_the_same_name(void **state)
{
	(void)state;
	const char *const dev[] = {"dev=en0", NULL};
	assert_false(same("internal", dev, "tap", dev));
	assert_false(same("tap", dev, "afpacket", dev));
}

static void test_vnic_in_another_namespace_is_another_device(void **state)
{
	(void)state;
	const char *const hyp[] = {"dev=trA", "netns=hyp", NULL};
	const char *const hyp2[] = {"dev=trA", "netns=hyp2", NULL};
	assert_true(same("vnic", hyp, "vnic", hyp));
	assert_false(same("vnic", hyp, "vnic", hyp2));
}

static void test_bond_with_other_members_is_another_device(void **state)
{
	(void)state;
	const char *const ab[] = {"members=eth1,eth2", "mode=active-backup", NULL};
	const char *const ab_slb[] = {"members=eth1,eth2", "mode=balance-slb", NULL};
	const char *const ac[] = {"members=eth1,eth3", "mode=active-backup", NULL};
	assert_true(same("bond", ab, "bond", ab_slb));
	assert_false(same("bond", ab, "bond", ac));
}

static void test_type_without_a_device_is_always_the_same(void **state)
{
	(void)state;
	const char *const a[] = {"depth=16", NULL};
	const char *const b[] = {"depth=64", "sink=yes", NULL};
	assert_true(same("pipe", a, "pipe", b));
	assert_false(same("pipe", a, "pcap", NULL));
}

/* A port rebuilt onto other interfaces may open beside the old one (the
 * apply keeps the old running until it cannot fail); on a shared
 * interface, or a type that cannot say what it drives, it may not. */
static void test_ports_are_apart_only_on_known_different_interfaces(void **state)
{
	(void)state;
	const char *const en0[] = {"dev=en0", NULL}, *const en1[] = {"dev=en1", NULL};
	const char *const m12[] = {"members=en1,en2", NULL};
	assert_true(port_devices_apart("host", "internal", en0, "tap", en1));
	assert_true(port_devices_apart("host", "afpacket", en0, "afpacket", en1));
	assert_false(port_devices_apart("host", "internal", en0, "tap", en0));
	assert_false(port_devices_apart("host", "afpacket", en1, "bond", m12));
	assert_false(port_devices_apart("host", "pipe", NULL, "pipe", NULL));
	assert_false(port_devices_apart("host", "afpacket", en0, "patch", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_type_and_device_keeps_the_device),
	    cmocka_unit_test(test_device_named_after_the_port_is_the_same_as_dev_of_that_name),
	    cmocka_unit_test(test_another_device_name_removes_the_old_device),
	    cmocka_unit_test(test_another_type_removes_the_old_device_even_of_the_same_name),
	    cmocka_unit_test(test_vnic_in_another_namespace_is_another_device),
	    cmocka_unit_test(test_bond_with_other_members_is_another_device),
	    cmocka_unit_test(test_type_without_a_device_is_always_the_same),
	    cmocka_unit_test(test_ports_are_apart_only_on_known_different_interfaces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
