/* test_ipfix.c — IPFIX encoding byte by byte (RFC 7011 §3: message and
 * set headers, template and options template records; RFC 7012 element
 * IDs), data records in their template's layout, the message bound, and
 * the sequence number counting data records. */
#include "helpers.h"

#include "control/ipfix.h"

static void test_header_and_l2_record(void **state)
{
	(void)state;
	uint8_t buf[IPFIX_MAX_MESSAGE];
	struct ipfix_message m;
	ipfix_message_begin(&m, buf);
	struct ipfix_record r = {
	    .key = {.src_mac = {2, 0, 0, 0, 0, 1},
		    .dst_mac = {2, 0, 0, 0, 0, 2},
		    .ethertype = 0x88b5,
		    .vid = 10,
		    .in_port = 0,
		    .out_port = PORT_INDEX_NONE},
	    .packets = 3,
	    .l2_octets = 180,
	    .start_ms = 0x0102030405ull,
	    .end_ms = 0x0102030406ull,
	    .end_reason = IPFIX_END_IDLE,
	};
	assert_true(ipfix_message_add_record(&m, &r));
	size_t len = ipfix_message_finish(&m, 0x5f000000, 41, 7);
	const uint8_t want[] = {
	    0x00, 0x0a, 0x00, 0x4d,			    /* version 10, length 77 */
	    0x5f, 0x00, 0x00, 0x00,			    /* export time */
	    0x00, 0x00, 0x00, 0x29,			    /* sequence 41 */
	    0x00, 0x00, 0x00, 0x07,			    /* observation domain 7 */
	    0x01, 0x00, 0x00, 0x3d,			    /* set 256 (L2), length 61 */
	    0x02, 0x00, 0x00, 0x00, 0x00, 0x01,		    /* sourceMacAddress */
	    0x02, 0x00, 0x00, 0x00, 0x00, 0x02,		    /* destinationMacAddress */
	    0x88, 0xb5,					    /* ethernetType */
	    0x00, 0x0a,					    /* vlanId */
	    0x00, 0x00, 0x00, 0x01,			    /* ingressInterface: index 0 + 1 */
	    0x00, 0x00, 0x00, 0x00,			    /* egressInterface: flooded */
	    0,	  0,	0,    0,    0,	  0,	0,    3,    /* packetDeltaCount */
	    0,	  0,	0,    0,    0,	  0,	0,    180,  /* layer2OctetDeltaCount */
	    0,	  0,	0,    0x01, 0x02, 0x03, 0x04, 0x05, /* flowStartMilliseconds */
	    0,	  0,	0,    0x01, 0x02, 0x03, 0x04, 0x06, /* flowEndMilliseconds */
	    0x01,					    /* flowEndReason: idle timeout */
	};
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(m.data_records, 1);
}

static void test_ipv4_record_layout(void **state)
{
	(void)state;
	uint8_t buf[IPFIX_MAX_MESSAGE];
	struct ipfix_message m;
	ipfix_message_begin(&m, buf);
	struct ipfix_record r = {
	    .key = {.family = 4,
		    .proto = 6,
		    .sport = 40000,
		    .dport = 80,
		    .src = {10, 0, 0, 1},
		    .dst = {10, 0, 0, 2},
		    .vid = 1,
		    .in_port = 1,
		    .out_port = 2},
	    .tcp_flags = 0x12,
	    .packets = 2,
	    .octets = 80,
	    .l2_octets = 108,
	    .end_reason = IPFIX_END_ACTIVE,
	};
	assert_true(ipfix_message_add_record(&m, &r));
	ipfix_message_finish(&m, 0, 0, 0);
	const uint8_t want[] = {
	    0x01, 0x01, 0x00, 0x46,		     /* set 257 (IPv4), length 70 */
	    10,	  0,	0,    1,    10,	  0, 0, 2,   /* addresses */
	    6,	  0x9c, 0x40, 0x00, 0x50,	     /* protocol, ports */
	    0x00, 0x12,				     /* tcpControlBits */
	    0x00, 0x01,				     /* vlanId */
	    0,	  0,	0,    2,    0,	  0, 0, 3,   /* interfaces */
	    0,	  0,	0,    0,    0,	  0, 0, 2,   /* packets */
	    0,	  0,	0,    0,    0,	  0, 0, 80,  /* octetDeltaCount */
	    0,	  0,	0,    0,    0,	  0, 0, 108, /* layer2OctetDeltaCount */
	};
	assert_memory_equal(buf + IPFIX_HEADER_LEN, want, sizeof(want));
	assert_int_equal(buf[IPFIX_HEADER_LEN + 69], IPFIX_END_ACTIVE);
}

static void test_templates(void **state)
{
	(void)state;
	uint8_t buf[IPFIX_MAX_MESSAGE];
	struct ipfix_message m;
	ipfix_message_begin(&m, buf);
	ipfix_message_add_templates(&m);
	struct ipfix_process_stats s = {.observation_domain = 7, .sampling = 4, .messages = 9};
	assert_true(ipfix_message_add_options(&m, &s));
	size_t len = ipfix_message_finish(&m, 0, 0, 7);
	const uint8_t *p = buf + IPFIX_HEADER_LEN;
	/* template set: L2 template, 11 fields, starting with sourceMacAddress/6 */
	assert_int_equal(load_be16(p), IPFIX_TEMPLATE_SET_ID);
	const uint8_t l2[] = {0x01, 0x00, 0x00, 0x0b, 0x00, 0x38, 0x00, 0x06,
			      0x00, 0x50, 0x00, 0x06, 0x01, 0x00, 0x00, 0x02};
	assert_memory_equal(p + 4, l2, sizeof(l2));
	uint16_t set_len = load_be16(p + 2);
	/* L2 11 fields, IPv4 and IPv6 15 each: 4 + (4 + 4 * n) per template */
	assert_int_equal(set_len, 4 + (4 + 44) + 2 * (4 + 60));
	assert_int_equal(load_be16(p + 4 + 48), IPFIX_TEMPLATE_IPV4);
	assert_int_equal(load_be16(p + 4 + 48 + 2), 15);
	/* options template set: id 259, 8 fields, scope count 1, observationDomainId */
	const uint8_t *o = p + set_len;
	const uint8_t opt[] = {0x00, 0x03, 0x00, 0x2a, 0x01, 0x03, 0x00,
			       0x08, 0x00, 0x01, 0x00, 0x95, 0x00, 0x04};
	assert_memory_equal(o, opt, sizeof(opt));
	/* its data: domain 7, algorithm 1, interval 1, space 3, messages 9 */
	const uint8_t *d = o + load_be16(o + 2);
	assert_int_equal(load_be16(d), IPFIX_TEMPLATE_OPTIONS);
	assert_int_equal(load_be16(d + 2), 4 + 4 + 2 + 4 + 4 + 4 * 8);
	assert_int_equal(load_be32(d + 4), 7);
	assert_int_equal(load_be16(d + 8), 1);
	assert_int_equal(load_be32(d + 10), 1);
	assert_int_equal(load_be32(d + 14), 3);
	assert_int_equal(load_be32(d + 22), 9);
	assert_int_equal(len, (size_t)(d - buf) + load_be16(d + 2));
	assert_int_equal(m.data_records, 1);
}

static void test_message_bound_and_sets(void **state)
{
	(void)state;
	uint8_t buf[IPFIX_MAX_MESSAGE];
	struct ipfix_message m;
	ipfix_message_begin(&m, buf);
	struct ipfix_record v4 = {.key = {.family = 4}}, v6 = {.key = {.family = 6}};
	uint32_t n = 0;
	while (ipfix_message_add_record(&m, n % 4 ? &v4 : &v6))
		n++;
	size_t len = ipfix_message_finish(&m, 0, 0, 0);
	assert_true(len <= IPFIX_MAX_MESSAGE);
	assert_int_equal(m.data_records, n);
	/* the sets add up to the message */
	size_t off = IPFIX_HEADER_LEN, records = 0;
	while (off < len) {
		uint16_t id = load_be16(buf + off), set_len = load_be16(buf + off + 2);
		assert_true(id == IPFIX_TEMPLATE_IPV4 || id == IPFIX_TEMPLATE_IPV6);
		records += (set_len - 4u) / (id == IPFIX_TEMPLATE_IPV4 ? 66u : 90u);
		off += set_len;
	}
	assert_int_equal(off, len);
	assert_int_equal(records, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_header_and_l2_record),
	    cmocka_unit_test(test_ipv4_record_layout),
	    cmocka_unit_test(test_templates),
	    cmocka_unit_test(test_message_bound_and_sets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
