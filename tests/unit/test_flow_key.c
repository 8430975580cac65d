/* test_flow_key.c — flow_key_parse() (src/engine/flow_key.c): the five-tuple
 * of IPv4 and IPv6 TCP, UDP and ICMP echo, IPv4 options, IPv6 extension
 * headers and their limit, fragments without ports, ARP and neighbour
 * discovery passing, DHCP flagged, and truncations refused at every length. */
#include "helpers.h"

#include <stdlib.h>

#include "acl_frames.h"

static struct acl_frame_spec tcp4(void)
{
	struct acl_frame_spec s = {.family = 4,
				   .proto = FLOW_IPPROTO_TCP,
				   .tcp_flags = FLOW_TCP_SYN,
				   .sport = 40000,
				   .dport = 22};
	acl_addr(s.src, 4, 1);
	acl_addr(s.dst, 4, 2);
	return s;
}

static void test_ipv4_tcp_five_tuple(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct acl_frame_spec s = tcp4();
	uint32_t len = acl_frame_build(buf, &s);
	struct flow_key k;
	assert_int_equal(flow_key_parse(buf, len, &k), FLOW_IP);
	assert_int_equal(k.family, 4);
	assert_int_equal(k.proto, 6);
	assert_int_equal(k.sport, 40000);
	assert_int_equal(k.dport, 22);
	assert_int_equal(k.tcp_flags, FLOW_TCP_SYN);
	assert_memory_equal(k.src, s.src, 16);
	assert_memory_equal(k.dst, s.dst, 16);
}

static void test_ipv4_options_skipped(void **state)
{
	(void)state;
	uint8_t buf[160] = {0}, plain[128];
	struct acl_frame_spec s = tcp4();
	uint32_t len = acl_frame_build(plain, &s);
	/* Insert 8 bytes of options (NOPs) after the 20-byte header. */
	memcpy(buf, plain, 34);
	memset(buf + 34, 1, 8);
	memcpy(buf + 42, plain + 34, len - 34);
	buf[14] = 0x47;
	store_be16(buf + 16, (uint16_t)(load_be16(plain + 16) + 8));
	struct flow_key k;
	assert_int_equal(flow_key_parse(buf, len + 8, &k), FLOW_IP);
	assert_int_equal(k.dport, 22);
	buf[14] = 0x44; /* IHL 16 bytes: shorter than a header */
	assert_int_equal(flow_key_parse(buf, len + 8, &k), FLOW_MALFORMED);
}

static void test_tagged_frame_parsed_past_tag(void **state)
{
	(void)state;
	uint8_t plain[128], buf[140];
	struct acl_frame_spec s = tcp4();
	uint32_t len = acl_frame_build(plain, &s);
	memcpy(buf, plain, 12);
	store_be16(buf + 12, ETH_TYPE_VLAN);
	store_be16(buf + 14, 5);
	memcpy(buf + 16, plain + 12, len - 12);
	struct flow_key k;
	assert_int_equal(flow_key_parse(buf, len + 4, &k), FLOW_IP);
	assert_int_equal(k.dport, 22);
}

static void test_ipv6_udp_and_dhcp_flags(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct acl_frame_spec s = {
	    .family = 6, .proto = FLOW_IPPROTO_UDP, .sport = 546, .dport = 547};
	acl_addr(s.src, 6, 1);
	acl_addr(s.dst, 6, 2);
	struct flow_key k;
	assert_int_equal(flow_key_parse(buf, acl_frame_build(buf, &s), &k), FLOW_IP);
	assert_int_equal(k.family, 6);
	assert_true(k.flags & FLOW_F_DHCP_CLIENT);
	s.family = 4, s.sport = 67, s.dport = 68;
	assert_int_equal(flow_key_parse(buf, acl_frame_build(buf, &s), &k), FLOW_IP);
	assert_true(k.flags & FLOW_F_DHCP_SERVER);
	s.sport = 5353;
	assert_int_equal(flow_key_parse(buf, acl_frame_build(buf, &s), &k), FLOW_IP);
	assert_false(k.flags & (FLOW_F_DHCP_SERVER | FLOW_F_DHCP_CLIENT));
}

static void test_icmp_echo_id_is_both_ports(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct acl_frame_spec s = {
	    .family = 4, .proto = FLOW_IPPROTO_ICMP, .icmp_type = 8, .sport = 777};
	struct flow_key k;
	assert_int_equal(flow_key_parse(buf, acl_frame_build(buf, &s), &k), FLOW_IP);
	assert_true(k.flags & FLOW_F_ECHO_REQUEST);
	assert_int_equal(k.sport, 777);
	assert_int_equal(k.dport, 777);
	s.family = 6, s.proto = FLOW_IPPROTO_ICMPV6, s.icmp_type = 129;
	assert_int_equal(flow_key_parse(buf, acl_frame_build(buf, &s), &k), FLOW_IP);
	assert_true(k.flags & FLOW_F_ECHO_REPLY);
	s.icmp_type = 135; /* neighbour solicitation */
	assert_int_equal(flow_key_parse(buf, acl_frame_build(buf, &s), &k), FLOW_ALWAYS);
}

static void test_arp_always_other_types_not_ip(void **state)
{
	(void)state;
	uint8_t buf[60] = {0};
	struct flow_key k;
	store_be16(buf + 12, ETH_TYPE_ARP);
	assert_int_equal(flow_key_parse(buf, 60, &k), FLOW_ALWAYS);
	store_be16(buf + 12, 0x88cc);
	assert_int_equal(flow_key_parse(buf, 60, &k), FLOW_NOT_IP);
}

/* An IPv6 packet with n hop-by-hop/destination-options headers, then UDP. */
static uint32_t ipv6_with_extensions(uint8_t *buf, unsigned n, bool fragment_offset)
{
	memset(buf, 0, 512);
	store_be16(buf + 12, ETH_TYPE_IPV6);
	uint8_t *ip = buf + 14;
	ip[0] = 0x60;
	uint32_t off = 40;
	uint8_t *next = ip + 6;
	for (unsigned i = 0; i < n; i++) {
		*next = i == 0 && fragment_offset ? 44 : 60;
		ip[off + 1] = 0;
		if (*next == 44)
			store_be16(ip + off + 2, 8 << 3);
		next = ip + off;
		off += 8;
	}
	*next = FLOW_IPPROTO_UDP;
	store_be16(ip + off, 1000);
	store_be16(ip + off + 2, 53);
	off += 8;
	store_be16(ip + 4, (uint16_t)(off - 40));
	return 14 + off;
}

static void test_ipv6_extension_headers_walked_to_a_limit(void **state)
{
	(void)state;
	uint8_t buf[512];
	struct flow_key k;
	uint32_t len = ipv6_with_extensions(buf, 3, false);
	assert_int_equal(flow_key_parse(buf, len, &k), FLOW_IP);
	assert_int_equal(k.proto, FLOW_IPPROTO_UDP);
	assert_int_equal(k.dport, 53);
	len = ipv6_with_extensions(buf, FLOW_MAX_IPV6_EXTENSIONS + 1, false);
	assert_int_equal(flow_key_parse(buf, len, &k), FLOW_MALFORMED);
}

static void test_non_first_fragment_has_no_ports(void **state)
{
	(void)state;
	uint8_t buf[512];
	struct flow_key k;
	uint32_t len = ipv6_with_extensions(buf, 1, true);
	assert_int_equal(flow_key_parse(buf, len, &k), FLOW_IP);
	assert_true(k.flags & FLOW_F_FRAGMENT);
	assert_int_equal(k.dport, 0);
	uint8_t v4[128];
	struct acl_frame_spec s = tcp4();
	len = acl_frame_build(v4, &s);
	store_be16(v4 + 20, 100); /* fragment offset 800 bytes */
	assert_int_equal(flow_key_parse(v4, len, &k), FLOW_IP);
	assert_true(k.flags & FLOW_F_FRAGMENT);
	assert_int_equal(k.sport, 0);
}

/* Every truncation of a valid frame is refused or parsed within bounds
 * (ASan checks the reads: each length gets a buffer of exactly that size). */
static void test_every_truncation_is_safe(void **state)
{
	(void)state;
	uint8_t full[128];
	struct acl_frame_spec s = tcp4();
	uint32_t len = acl_frame_build(full, &s);
	for (uint32_t n = 14; n < len; n++) {
		uint8_t *copy = malloc(n);
		memcpy(copy, full, n);
		struct flow_key k;
		assert_int_equal(flow_key_parse(copy, n, &k), FLOW_MALFORMED);
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ipv4_tcp_five_tuple),
	    cmocka_unit_test(test_ipv4_options_skipped),
	    cmocka_unit_test(test_tagged_frame_parsed_past_tag),
	    cmocka_unit_test(test_ipv6_udp_and_dhcp_flags),
	    cmocka_unit_test(test_icmp_echo_id_is_both_ports),
	    cmocka_unit_test(test_arp_always_other_types_not_ip),
	    cmocka_unit_test(test_ipv6_extension_headers_walked_to_a_limit),
	    cmocka_unit_test(test_non_first_fragment_has_no_ports),
	    cmocka_unit_test(test_every_truncation_is_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
