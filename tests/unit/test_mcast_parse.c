/* test_mcast_parse.c — the IGMP/MLD reader: each message kind of IGMPv1-3
 * and MLDv1-2 read with its group, v3/MLDv2 records as joins and leaves,
 * link-local groups and PIM hellos told apart from data, and every
 * truncation of every message either malformed or read without a byte past
 * its end (ASan watches). */
#include <stdlib.h>

#include "helpers.h"
#include "mcast_frames.h"

static const uint8_t group6[16] = {0xff, 0x0e, [14] = 1, [15] = 2};

static struct mcast_addr v4(uint32_t a)
{
	struct mcast_addr m = {.b = {[10] = 0xff, [11] = 0xff}};
	store_be32(m.b + 12, a);
	return m;
}

static void test_igmp2_report_leave_query(void **state)
{
	(void)state;
	uint8_t ip[128];
	struct mcast_msg m;
	uint32_t len = mf_igmp2(ip, 0x16, 0xef010101);
	assert_int_equal(mcast_parse(ip, len, 0x0800, &m), MCAST_REPORT);
	struct mcast_addr want = v4(0xef010101);
	assert_memory_equal(m.group.b, want.b, 16);
	assert_null(m.records);
	len = mf_igmp2(ip, 0x17, 0xef010101);
	assert_int_equal(mcast_parse(ip, len, 0x0800, &m), MCAST_LEAVE);
	assert_memory_equal(m.group.b, want.b, 16);
	len = mf_igmp2(ip, 0x12, 0xef010101); /* v1 report */
	assert_int_equal(mcast_parse(ip, len, 0x0800, &m), MCAST_REPORT);
	len = mf_igmp2(ip, 0x11, 0);
	store_be32(ip + 16, 0xe0000001);
	assert_int_equal(mcast_parse(ip, len, 0x0800, &m), MCAST_QUERY);
	want = v4(0x0a000001);
	assert_memory_equal(m.src.b, want.b, 16);
	/* A report for a unicast "group" is malformed. */
	len = mf_igmp2(ip, 0x16, 0x0a000005);
	store_be32(ip + 16, 0xef000001);
	assert_int_equal(mcast_parse(ip, len, 0x0800, &m), MCAST_MALFORMED);
}

static void test_igmp3_records_are_joins_and_leaves(void **state)
{
	(void)state;
	uint8_t ip[128];
	struct mcast_msg m;
	struct mcast_record r;
	static const struct {
		uint8_t type;
		uint16_t sources;
		int want; /* 1 join, 0 leave, -1 skipped */
	} cases[] = {{2, 0, 1}, {4, 0, 1}, {4, 2, 1},  {1, 2, 1}, {5, 1, 1},
		     {1, 0, 0}, {3, 0, 0}, {6, 2, -1}, {9, 0, -1}};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t len = mf_igmp3(ip, cases[i].type, 0xef020202, cases[i].sources);
		assert_int_equal(mcast_parse(ip, len, 0x0800, &m), MCAST_REPORT);
		bool got = mcast_next_record(&m, &r);
		assert_int_equal(got, cases[i].want >= 0);
		if (got)
			assert_int_equal(r.join, cases[i].want == 1);
		assert_false(mcast_next_record(&m, &r));
	}
	/* A count beyond the records present stops at the end. */
	uint32_t len = mf_igmp3(ip, 4, 0xef020202, 0);
	store_be16(ip + 20 + 6, 50);
	assert_int_equal(mcast_parse(ip, len, 0x0800, &m), MCAST_REPORT);
	assert_true(mcast_next_record(&m, &r));
	assert_false(mcast_next_record(&m, &r));
}

static void test_mld_messages(void **state)
{
	(void)state;
	uint8_t ip[160];
	struct mcast_msg m;
	struct mcast_record r;
	uint32_t len = mf_mld1(ip, 131, group6);
	assert_int_equal(mcast_parse(ip, len, 0x86dd, &m), MCAST_REPORT);
	assert_true(m.v6);
	assert_memory_equal(m.group.b, group6, 16);
	len = mf_mld1(ip, 132, group6);
	assert_int_equal(mcast_parse(ip, len, 0x86dd, &m), MCAST_LEAVE);
	assert_memory_equal(m.group.b, group6, 16);
	len = mf_mld2(ip, 4, group6);
	assert_int_equal(mcast_parse(ip, len, 0x86dd, &m), MCAST_REPORT);
	assert_true(mcast_next_record(&m, &r));
	assert_true(r.join);
	assert_memory_equal(r.group.b, group6, 16);
	len = mf_mld2(ip, 3, group6);
	assert_int_equal(mcast_parse(ip, len, 0x86dd, &m), MCAST_REPORT);
	assert_true(mcast_next_record(&m, &r));
	assert_false(r.join);
	uint8_t query[24] = {130};
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
	len = mf_ipv6(ip, all_nodes, query, 24);
	assert_int_equal(mcast_parse(ip, len, 0x86dd, &m), MCAST_QUERY);
	/* Neighbour solicitation to a solicited-node group: link-local. */
	static const uint8_t solicited[16] = {0xff, 0x02, [11] = 1, [12] = 0xff, [15] = 7};
	uint8_t ns[24] = {135};
	len = mf_ipv6(ip, solicited, ns, 24);
	assert_int_equal(mcast_parse(ip, len, 0x86dd, &m), MCAST_LINK_LOCAL);
}

static void test_data_link_local_and_pim(void **state)
{
	(void)state;
	uint8_t ip[128], udp[8] = {0};
	struct mcast_msg m;
	uint32_t len = mf_ipv4(ip, 17, 0xef010101, udp, 8);
	assert_int_equal(mcast_parse(ip, len, 0x0800, &m), MCAST_DATA);
	len = mf_ipv4(ip, 17, 0xe00000fb, udp, 8); /* 224.0.0.251, mDNS */
	assert_int_equal(mcast_parse(ip, len, 0x0800, &m), MCAST_LINK_LOCAL);
	uint8_t hello[4] = {0x20};
	len = mf_ipv4(ip, 103, 0xe000000d, hello, 4);
	assert_int_equal(mcast_parse(ip, len, 0x0800, &m), MCAST_ROUTER);
	/* Other IGMP types to a link-local group flood (DVMRP, mtrace). */
	uint8_t dvmrp[8] = {0x13};
	len = mf_ipv4(ip, 2, 0xe0000004, dvmrp, 8);
	assert_int_equal(mcast_parse(ip, len, 0x0800, &m), MCAST_LINK_LOCAL);
	/* A unicast IP in a group MAC is not snooped. */
	len = mf_ipv4(ip, 17, 0x0a000002, udp, 8);
	assert_int_equal(mcast_parse(ip, len, 0x0800, &m), MCAST_OTHER);
	/* A non-first fragment to a group is data even with protocol IGMP. */
	len = mf_igmp2(ip, 0x16, 0xef010101);
	store_be16(ip + 6, 10);
	assert_int_equal(mcast_parse(ip, len, 0x0800, &m), MCAST_DATA);
}

/* Every prefix of every message, in a buffer of exactly that size. */
static void test_truncations_are_malformed_or_safe(void **state)
{
	(void)state;
	uint8_t ip[160];
	uint32_t lens[6];
	uint8_t frames[6][160];
	uint16_t types[6] = {0x0800, 0x0800, 0x0800, 0x86dd, 0x86dd, 0x86dd};
	lens[0] = mf_igmp2(frames[0], 0x16, 0xef010101);
	lens[1] = mf_igmp2(frames[1], 0x17, 0xef010101);
	lens[2] = mf_igmp3(frames[2], 4, 0xef010101, 3);
	lens[3] = mf_mld1(frames[3], 131, group6);
	lens[4] = mf_mld1(frames[4], 132, group6);
	lens[5] = mf_mld2(frames[5], 4, group6);
	for (int f = 0; f < 6; f++)
		for (uint32_t n = 0; n < lens[f]; n++) {
			uint8_t *copy = malloc(n ? n : 1);
			memcpy(copy, frames[f], n);
			struct mcast_msg m;
			/* The IP length says more than there is: malformed. */
			assert_int_equal(mcast_parse(copy, n, types[f], &m), MCAST_MALFORMED);
			/* The IP length cut too: malformed, or records cut short. */
			if (n >= 40 || (types[f] == 0x0800 && n >= 20)) {
				if (types[f] == 0x0800)
					store_be16(copy + 2, (uint16_t)n);
				else
					store_be16(copy + 4, (uint16_t)(n - 40));
				enum mcast_kind k = mcast_parse(copy, n, types[f], &m);
				struct mcast_record r;
				while (k == MCAST_REPORT && mcast_next_record(&m, &r))
					;
			}
			free(copy);
		}
	(void)ip;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_igmp2_report_leave_query),
	    cmocka_unit_test(test_igmp3_records_are_joins_and_leaves),
	    cmocka_unit_test(test_mld_messages),
	    cmocka_unit_test(test_data_link_local_and_pim),
	    cmocka_unit_test(test_truncations_are_malformed_or_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
