/* test_erspan.c — the GRE and ERSPAN headers of type II and III, byte by
 * byte against draft-foschiano-erspan (the layouts Wireshark, scapy and
 * Linux's ip_gre decode). */
#include "helpers.h"

#include "control/erspan.h"

static const uint8_t tagged[] = {
    /* dst, src, 802.1Q PCP 5 VID 10, EtherType */
    0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x81, 0x00, 0xa0, 0x0a, 0x88, 0xb5, 1, 2,
};

static void test_type_2_header(void **state)
{
	(void)state;
	struct erspan_params p = {.session_id = 0x2a7, .version = 2};
	struct mirror_record r = {
	    .len = sizeof(tagged), .caplen = sizeof(tagged), .direction = MIRROR_RX};
	uint8_t buf[ERSPAN_MAX_HEADER];
	size_t len = erspan_encap(buf, &p, 0x01020304, &r, tagged);
	const uint8_t want[] = {
	    0x10, 0x00, 0x88, 0xbe, /* GRE: S bit, protocol ERSPAN type II */
	    0x01, 0x02, 0x03, 0x04, /* sequence number */
	    0x10, 0x0a,		    /* version 1, VLAN 10 */
	    0xba, 0xa7,		    /* COS 5, En 3 (tag kept), T 0, session 0x2a7 */
	    0x00, 0x00, 0x00, 0x00, /* reserved, index */
	};
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_type_3_header_with_time_direction_and_truncation(void **state)
{
	(void)state;
	struct erspan_params p = {.session_id = 9, .version = 3};
	struct mirror_record r = {.time_ns = 1234567ull * 100000 + 99999,
				  .len = 3000,
				  .caplen = sizeof(tagged),
				  .direction = MIRROR_TX};
	uint8_t buf[ERSPAN_MAX_HEADER];
	size_t len = erspan_encap(buf, &p, 7, &r, tagged);
	const uint8_t want[] = {
	    0x10, 0x00, 0x22, 0xeb, /* GRE: S bit, protocol ERSPAN type III */
	    0x00, 0x00, 0x00, 0x07, /* sequence number */
	    0x20, 0x0a,		    /* version 2, VLAN 10 */
	    0xa4, 0x09,		    /* COS 5, BSO 0, T 1 (cut), session 9 */
	    0x00, 0x12, 0xd6, 0x87, /* timestamp: 1234567 units of 100 us */
	    0x00, 0x00,		    /* SGT */
	    0x00, 0x08,		    /* P 0, FT 0, HW ID 0, D 1 (tx), Gra 00, O 0 */
	};
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_untagged_frame_has_vlan_0(void **state)
{
	(void)state;
	uint8_t frame[20];
	memcpy(frame, tagged, 12);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	struct erspan_params p = {.session_id = 1, .version = 2};
	struct mirror_record r = {.len = 20, .caplen = 20, .direction = MIRROR_RX};
	uint8_t buf[ERSPAN_MAX_HEADER];
	erspan_encap(buf, &p, 0, &r, frame);
	assert_int_equal(load_be16(buf + 8), 0x1000); /* version 1, VLAN 0 */
	assert_int_equal(load_be16(buf + 10), 0x0001);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_type_2_header),
	    cmocka_unit_test(test_type_3_header_with_time_direction_and_truncation),
	    cmocka_unit_test(test_untagged_frame_has_vlan_0),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
