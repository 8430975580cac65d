/* test_vxlan_header.c — the VXLAN header codec (src/port/vxlan_header.c):
 * the bytes Linux puts on the wire, and the kernel's verdicts on short
 * payloads, a clear I flag and reserved bits. */
#include "helpers.h"
#include "port/vxlan_header.h"

static void test_build_writes_the_flag_and_the_vni_as_linux_does(void **state)
{
	(void)state;
	uint8_t h[VXLAN_HEADER_LEN];
	vxlan_header_build(h, 5000); /* 0x001388 */
	const uint8_t want[] = {0x08, 0, 0, 0, 0x00, 0x13, 0x88, 0x00};
	assert_memory_equal(h, want, sizeof(want));
	vxlan_header_build(h, VXLAN_VNI_MAX);
	const uint8_t max[] = {0x08, 0, 0, 0, 0xff, 0xff, 0xff, 0x00};
	assert_memory_equal(h, max, sizeof(max));
}

static void test_parse_round_trips_every_width_of_vni(void **state)
{
	(void)state;
	const uint32_t vnis[] = {0, 1, 255, 256, 5000, 65536, 0x123456, VXLAN_VNI_MAX};
	for (size_t i = 0; i < ARRAY_SIZE(vnis); i++) {
		uint8_t h[VXLAN_HEADER_LEN];
		uint32_t vni = 0xdeadbeef;
		vxlan_header_build(h, vnis[i]);
		assert_int_equal(vxlan_header_parse(h, sizeof(h), &vni), VXLAN_OK);
		assert_int_equal(vni, vnis[i]);
	}
}

static void test_parse_refuses_short_payloads(void **state)
{
	(void)state;
	uint8_t h[VXLAN_HEADER_LEN];
	uint32_t vni;
	vxlan_header_build(h, 7);
	for (size_t len = 0; len < VXLAN_HEADER_LEN; len++)
		assert_int_equal(vxlan_header_parse(h, len, &vni), VXLAN_SHORT);
}

static void test_parse_refuses_a_clear_i_flag(void **state)
{
	(void)state;
	uint8_t h[VXLAN_HEADER_LEN] = {0, 0, 0, 0, 0x00, 0x13, 0x88, 0};
	uint32_t vni;
	assert_int_equal(vxlan_header_parse(h, sizeof(h), &vni), VXLAN_NO_I_FLAG);
	h[0] = 0xf7; /* every flag but I */
	assert_int_equal(vxlan_header_parse(h, sizeof(h), &vni), VXLAN_NO_I_FLAG);
}

static void test_parse_refuses_each_reserved_bit_as_linux_does(void **state)
{
	(void)state;
	/* Bits 0-31 but I (bit 4 of byte 0) and bits 56-63 are reserved. */
	for (int bit = 0; bit < 64; bit++) {
		if (bit == 4 || (bit >= 32 && bit < 56))
			continue;
		uint8_t h[VXLAN_HEADER_LEN];
		uint32_t vni;
		vxlan_header_build(h, 5000);
		h[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
		assert_int_equal(vxlan_header_parse(h, sizeof(h), &vni), VXLAN_RESERVED);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_writes_the_flag_and_the_vni_as_linux_does),
	    cmocka_unit_test(test_parse_round_trips_every_width_of_vni),
	    cmocka_unit_test(test_parse_refuses_short_payloads),
	    cmocka_unit_test(test_parse_refuses_a_clear_i_flag),
	    cmocka_unit_test(test_parse_refuses_each_reserved_bit_as_linux_does),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
