/* test_l3_parse.c — the L3/L4 reader: each header it reads, the chains it
 * walks, and that every truncation of a valid frame is refused or read
 * within bounds (ASan checks each length on an exact-size copy). */
#include <arpa/inet.h>
#include <stdlib.h>

#include "helpers.h"
#include "lib/l3_parse.h"

static size_t ipv4(uint8_t *b, unsigned ihl, uint8_t proto, uint16_t frag, const char *src)
{
	memset(b, 0, 14 + ihl * 4 + 8);
	b[14] = (uint8_t)(0x40 | ihl);
	store_be16(b + 14 + 6, frag);
	b[14 + 9] = proto;
	inet_pton(AF_INET, src, b + 14 + 12);
	uint8_t *l4 = b + 14 + ihl * 4;
	store_be16(l4, 68);
	store_be16(l4 + 2, 67);
	return 14 + ihl * 4 + 8;
}

static void test_ipv4_with_options_reads_udp_ports(void **state)
{
	(void)state;
	uint8_t b[128];
	struct l3_info l3;
	size_t len = ipv4(b, 7, L3_PROTO_UDP, 0, "10.0.0.1");
	assert_int_equal(l3_parse(b, (uint32_t)len, 14, ETH_TYPE_IPV4, &l3), L3_OK);
	assert_int_equal(l3.kind, L3_IPV4);
	assert_true(l3.l4);
	assert_int_equal(l3.sport, 68);
	assert_int_equal(l3.dport, 67);
	assert_int_equal(l3.src[0], 10);
	assert_int_equal(l3.src[3], 1);
	b[14] = 0x44; /* IHL 4 */
	assert_int_equal(l3_parse(b, (uint32_t)len, 14, ETH_TYPE_IPV4, &l3), L3_MALFORMED);
	b[14] = 0x65; /* version 6 */
	assert_int_equal(l3_parse(b, (uint32_t)len, 14, ETH_TYPE_IPV4, &l3), L3_MALFORMED);
}

static void test_ipv4_later_fragment_has_no_l4_and_first_must_carry_it(void **state)
{
	(void)state;
	uint8_t b[128];
	struct l3_info l3;
	size_t len = ipv4(b, 5, L3_PROTO_UDP, 100, "10.0.0.1");
	assert_int_equal(l3_parse(b, (uint32_t)len, 14, ETH_TYPE_IPV4, &l3), L3_OK);
	assert_false(l3.l4);
	len = ipv4(b, 5, L3_PROTO_UDP, 0x2000 /* MF, offset 0 */, "10.0.0.1");
	assert_int_equal(l3_parse(b, 14 + 20 + 2, 14, ETH_TYPE_IPV4, &l3), L3_TRUNCATED);
	assert_int_equal(l3_parse(b, 14 + 19, 14, ETH_TYPE_IPV4, &l3), L3_TRUNCATED);
}

/* IPv6 from src with `n_ext` destination-options headers, then ICMPv6
 * `type` with 24 bytes of body and the options given. */
static size_t ipv6(uint8_t *b, unsigned n_ext, uint8_t type, const uint8_t *opts, size_t opts_len)
{
	size_t at = 14 + 40;
	memset(b, 0, 14 + 40 + n_ext * 8 + 24 + opts_len);
	b[14] = 0x60;
	b[14 + 6] = n_ext ? 60 : L3_PROTO_ICMPV6;
	b[14 + 8] = 0xfe;
	b[14 + 9] = 0x80;
	for (unsigned i = 0; i < n_ext; i++, at += 8)
		b[at] = i + 1 < n_ext ? 60 : L3_PROTO_ICMPV6;
	b[at] = type;
	b[at + 8] = 0xfd; /* target fd00::7 */
	b[at + 23] = 7;
	if (opts_len)
		memcpy(b + at + 24, opts, opts_len);
	size_t len = at + 24 + opts_len;
	store_be16(b + 14 + 4, (uint16_t)(len - 54));
	return len;
}

static void test_ipv6_walks_extension_headers_to_icmpv6(void **state)
{
	(void)state;
	uint8_t b[256];
	struct l3_info l3;
	size_t len = ipv6(b, 3, ICMPV6_RA, NULL, 0);
	assert_int_equal(l3_parse(b, (uint32_t)len, 14, ETH_TYPE_IPV6, &l3), L3_OK);
	assert_int_equal(l3.kind, L3_IPV6);
	assert_int_equal(l3.proto, L3_PROTO_ICMPV6);
	assert_true(l3.l4);
	assert_int_equal(l3.icmp_type, ICMPV6_RA);
	assert_int_equal(l3.src[0], 0xfe);
	len = ipv6(b, L3_IPV6_MAX_EXT + 1, ICMPV6_RA, NULL, 0);
	assert_int_equal(l3_parse(b, (uint32_t)len, 14, ETH_TYPE_IPV6, &l3), L3_TOO_DEEP);
}

static void test_ipv6_first_fragment_without_upper_header_is_truncated(void **state)
{
	(void)state;
	uint8_t b[128] = {0};
	struct l3_info l3;
	b[14] = 0x60;
	b[14 + 6] = 44; /* fragment header, offset 0, next: ICMPv6, but nothing after */
	b[54] = L3_PROTO_ICMPV6;
	assert_int_equal(l3_parse(b, 62, 14, ETH_TYPE_IPV6, &l3), L3_TRUNCATED);
	store_be16(b + 56, 8 << 3); /* a later fragment: no upper header expected */
	assert_int_equal(l3_parse(b, 62, 14, ETH_TYPE_IPV6, &l3), L3_OK);
	assert_false(l3.l4);
}

static void test_neighbour_advertisement_target_and_link_layer_option(void **state)
{
	(void)state;
	uint8_t b[256];
	struct l3_info l3;
	const uint8_t tll[8] = {2, 1, 0x52, 0x54, 0, 0, 0, 9};
	size_t len = ipv6(b, 0, ICMPV6_NA, tll, sizeof(tll));
	assert_int_equal(l3_parse(b, (uint32_t)len, 14, ETH_TYPE_IPV6, &l3), L3_OK);
	assert_true(l3.nd_has_target);
	assert_int_equal(l3.nd_target[0], 0xfd);
	assert_int_equal(l3.nd_target[15], 7);
	assert_true(l3.nd_has_lladdr);
	assert_memory_equal(l3.nd_lladdr, tll + 2, 6);
	const uint8_t zero_len[8] = {2, 0};
	len = ipv6(b, 0, ICMPV6_NA, zero_len, sizeof(zero_len));
	assert_int_equal(l3_parse(b, (uint32_t)len, 14, ETH_TYPE_IPV6, &l3), L3_MALFORMED);
	const uint8_t too_long[8] = {2, 2};
	len = ipv6(b, 0, ICMPV6_NA, too_long, sizeof(too_long));
	assert_int_equal(l3_parse(b, (uint32_t)len, 14, ETH_TYPE_IPV6, &l3), L3_TRUNCATED);
}

static void test_arp_sender_and_bad_sizes(void **state)
{
	(void)state;
	uint8_t b[60] = {0};
	struct l3_info l3;
	const uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 2, 2, 0, 0, 0, 0, 5, 10, 0, 0, 5};
	memcpy(b + 14, arp, sizeof(arp));
	assert_int_equal(l3_parse(b, 60, 14, ETH_TYPE_ARP, &l3), L3_OK);
	assert_int_equal(l3.kind, L3_ARP);
	assert_int_equal(l3.arp_op, 2);
	assert_int_equal(l3.arp_sha[5], 5);
	assert_int_equal(l3.arp_spa[0], 10);
	assert_int_equal(l3_parse(b, 14 + 27, 14, ETH_TYPE_ARP, &l3), L3_TRUNCATED);
	b[14 + 4] = 8;
	assert_int_equal(l3_parse(b, 60, 14, ETH_TYPE_ARP, &l3), L3_MALFORMED);
	assert_int_equal(l3_parse(b, 60, 14, 0x88b5, &l3), L3_OK);
	assert_int_equal(l3.kind, L3_OTHER);
	assert_int_equal(l3_parse(b, 10, 14, ETH_TYPE_ARP, &l3), L3_TRUNCATED);
}

static void test_every_truncation_stays_in_bounds(void **state)
{
	(void)state;
	uint8_t b[256];
	const uint8_t tll[16] = {1, 1, 2, 0, 0, 0, 0, 1, 2, 1, 2, 0, 0, 0, 0, 1};
	size_t len = ipv6(b, 2, ICMPV6_NA, tll, sizeof(tll));
	for (uint32_t n = 0; n <= len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, b, n);
		struct l3_info l3;
		enum l3_status s = l3_parse(copy, n, 14, ETH_TYPE_IPV6, &l3);
		/* payload length beyond what arrived: read what did */
		assert_true(s == L3_OK ? n >= 14 + 40 + 16 + 24 : n < 14 + 40 + 16 + 24 + 16);
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ipv4_with_options_reads_udp_ports),
	    cmocka_unit_test(test_ipv4_later_fragment_has_no_l4_and_first_must_carry_it),
	    cmocka_unit_test(test_ipv6_walks_extension_headers_to_icmpv6),
	    cmocka_unit_test(test_ipv6_first_fragment_without_upper_header_is_truncated),
	    cmocka_unit_test(test_neighbour_advertisement_target_and_link_layer_option),
	    cmocka_unit_test(test_arp_sender_and_bad_sizes),
	    cmocka_unit_test(test_every_truncation_stays_in_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
