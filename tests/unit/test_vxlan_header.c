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

/* The outer source port's hash: one value for every frame of a flow (its
 * sequence numbers, lengths and payload change), another for most other
 * flows; a fragment hashes without ports. */
static void test_flow_hash_is_stable_per_flow_and_spreads_flows(void **state)
{
	(void)state;
	uint8_t f[80] = {0};
	f[12] = 0x08; /* IPv4, TCP 10.0.0.1:P -> 10.0.0.2:5201 */
	f[14] = 0x45;
	f[23] = 6;
	f[26] = 10;
	f[29] = 1;
	f[30] = 10;
	f[33] = 2;
	f[36] = 0x14;
	f[37] = 0x51;
	uint32_t first = vxlan_flow_hash(f, sizeof(f));
	f[38] = 0x12; /* sequence number, payload, IP length: the same flow */
	f[70] = 0x99;
	f[17] = 60;
	assert_int_equal(vxlan_flow_hash(f, sizeof(f)), first);
	assert_int_equal(vxlan_flow_hash(f, 54), first);
	uint32_t seen[64];
	unsigned distinct = 0;
	for (unsigned port = 0; port < 64; port++) {
		f[34] = (uint8_t)(port >> 8);
		f[35] = (uint8_t)port;
		uint32_t h = vxlan_flow_hash(f, sizeof(f));
		bool dup = false;
		for (unsigned i = 0; i < distinct; i++)
			dup |= seen[i] == h;
		if (!dup)
			seen[distinct++] = h;
		/* 16 buckets as the port picks them: not all in one */
	}
	assert_int_equal(distinct, 64);
	unsigned buckets = 0, mask = 0;
	for (unsigned i = 0; i < distinct; i++)
		mask |= 1u << (uint32_t)(((uint64_t)seen[i] * 16) >> 32);
	for (; mask; mask &= mask - 1)
		buckets++;
	assert_true(buckets >= 12);
	f[20] = 0x20; /* MF: a fragment, ports not read */
	uint32_t frag = vxlan_flow_hash(f, sizeof(f));
	f[35] ^= 1;
	assert_int_equal(vxlan_flow_hash(f, sizeof(f)), frag);
	for (size_t len = 0; len < 40; len++)
		(void)vxlan_flow_hash(f, len); /* short frames: no read past len */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_writes_the_flag_and_the_vni_as_linux_does),
	    cmocka_unit_test(test_parse_round_trips_every_width_of_vni),
	    cmocka_unit_test(test_parse_refuses_short_payloads),
	    cmocka_unit_test(test_flow_hash_is_stable_per_flow_and_spreads_flows),
	    cmocka_unit_test(test_parse_refuses_a_clear_i_flag),
	    cmocka_unit_test(test_parse_refuses_each_reserved_bit_as_linux_does),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
