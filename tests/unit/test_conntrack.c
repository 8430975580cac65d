/* test_conntrack.c — the connection table (src/engine/conntrack.c): both
 * directions find one entry, TCP states from SYN to FIN and RST, timeouts
 * with an injected clock, the size limit and its counted refusals, expiry
 * freeing room, and deletion keeping every other entry reachable, for IPv4
 * and IPv6 keys side by side. */
#include "helpers.h"

#include "acl_frames.h"
#include "engine/conntrack.h"

static struct flow_key key(uint8_t proto, uint16_t sport, uint16_t dport, uint8_t flags,
			   bool from_vm)
{
	uint8_t buf[128];
	struct acl_frame_spec s = {.family = 4, .proto = proto, .tcp_flags = flags};
	acl_addr(from_vm ? s.src : s.dst, 4, 1);
	acl_addr(from_vm ? s.dst : s.src, 4, 2);
	s.sport = sport, s.dport = dport;
	if (proto == FLOW_IPPROTO_ICMP)
		s.icmp_type = flags;
	struct flow_key k;
	assert_int_equal(flow_key_parse(buf, acl_frame_build(buf, &s), &k), FLOW_IP);
	return k;
}

#define OUT(flags)  key(FLOW_IPPROTO_TCP, 40000, 80, flags, true)
#define BACK(flags) key(FLOW_IPPROTO_TCP, 80, 40000, flags, false)

static void test_tcp_handshake_to_established_and_fin(void **state)
{
	(void)state;
	struct conntrack *ct = conntrack_create(16);
	struct flow_key k = BACK(FLOW_TCP_SYN | FLOW_TCP_ACK);
	assert_null(conntrack_lookup(ct, &k, ACL_INGRESS, 0)); /* no request yet */
	k = OUT(FLOW_TCP_SYN);
	struct ct_entry *e = conntrack_commit(ct, &k, ACL_EGRESS, 0);
	assert_non_null(e);
	assert_int_equal(e->state, CT_TCP_SYN_SENT);
	k = BACK(FLOW_TCP_SYN | FLOW_TCP_ACK);
	assert_ptr_equal(conntrack_lookup(ct, &k, ACL_INGRESS, 1), e);
	assert_int_equal(e->state, CT_TCP_SYN_RECV);
	k = OUT(FLOW_TCP_ACK);
	conntrack_lookup(ct, &k, ACL_EGRESS, 1);
	assert_int_equal(e->state, CT_TCP_ESTABLISHED);
	assert_int_equal(e->expires, 1 + ct->timeouts.seconds[CT_TCP_ESTABLISHED]);
	k = OUT(FLOW_TCP_FIN | FLOW_TCP_ACK);
	conntrack_lookup(ct, &k, ACL_EGRESS, 2);
	assert_int_equal(e->state, CT_TCP_FIN_WAIT);
	k = BACK(FLOW_TCP_FIN | FLOW_TCP_ACK);
	conntrack_lookup(ct, &k, ACL_INGRESS, 2);
	assert_int_equal(e->state, CT_TCP_CLOSING);
	assert_int_equal(e->expires, 2 + ct->timeouts.seconds[CT_TCP_CLOSING]);
	conntrack_destroy(ct);
}

static void test_rst_closes_and_short_timeout(void **state)
{
	(void)state;
	struct conntrack *ct = conntrack_create(16);
	struct flow_key k = OUT(FLOW_TCP_SYN);
	struct ct_entry *e = conntrack_commit(ct, &k, ACL_EGRESS, 0);
	k = BACK(FLOW_TCP_RST | FLOW_TCP_ACK);
	conntrack_lookup(ct, &k, ACL_INGRESS, 5);
	assert_int_equal(e->state, CT_TCP_CLOSED);
	k = OUT(FLOW_TCP_ACK);
	assert_non_null(conntrack_lookup(ct, &k, ACL_EGRESS, 5 + 9));
	assert_null(conntrack_lookup(ct, &k, ACL_EGRESS, 5 + 9 + 10)); /* 10 s after the last */
	assert_int_equal(ct->count, 0);
	/* An RST alone opens nothing. */
	k = OUT(FLOW_TCP_RST);
	assert_null(conntrack_commit(ct, &k, ACL_EGRESS, 0));
	conntrack_destroy(ct);
}

static void test_syn_timeout_is_short_established_long(void **state)
{
	(void)state;
	struct conntrack *ct = conntrack_create(16);
	struct flow_key k = OUT(FLOW_TCP_SYN);
	conntrack_commit(ct, &k, ACL_EGRESS, 100);
	k = OUT(FLOW_TCP_ACK);
	assert_null(conntrack_lookup(ct, &k, ACL_EGRESS, 100 + 30));
	/* Picked up mid-stream (after a flush): established at once. */
	struct ct_entry *e = conntrack_commit(ct, &k, ACL_EGRESS, 200);
	assert_int_equal(e->state, CT_TCP_ESTABLISHED);
	k = BACK(FLOW_TCP_ACK);
	assert_non_null(conntrack_lookup(ct, &k, ACL_INGRESS, 200 + 3600));
	conntrack_destroy(ct);
}

static void test_udp_reply_and_timeouts(void **state)
{
	(void)state;
	struct conntrack *ct = conntrack_create(16);
	struct flow_key out = key(FLOW_IPPROTO_UDP, 5000, 53, 0, true);
	struct flow_key back = key(FLOW_IPPROTO_UDP, 53, 5000, 0, false);
	struct flow_key other = key(FLOW_IPPROTO_UDP, 53, 5001, 0, false);
	struct ct_entry *e = conntrack_commit(ct, &out, ACL_EGRESS, 0);
	assert_int_equal(e->state, CT_UDP_NEW);
	assert_null(conntrack_lookup(ct, &other, ACL_INGRESS, 1));
	assert_ptr_equal(conntrack_lookup(ct, &back, ACL_INGRESS, 1), e);
	assert_int_equal(e->state, CT_UDP_REPLIED);
	assert_non_null(conntrack_lookup(ct, &back, ACL_INGRESS, 1 + 119));
	assert_null(conntrack_lookup(ct, &back, ACL_INGRESS, 1 + 119 + 120));
	/* Unreplied: 30 s. */
	conntrack_commit(ct, &out, ACL_EGRESS, 1000);
	assert_null(conntrack_lookup(ct, &back, ACL_INGRESS, 1030));
	conntrack_destroy(ct);
}

static void test_icmp_echo_reply_only(void **state)
{
	(void)state;
	struct conntrack *ct = conntrack_create(16);
	struct flow_key req = key(FLOW_IPPROTO_ICMP, 9, 0, 8, true);
	struct flow_key reply = key(FLOW_IPPROTO_ICMP, 9, 0, 0, false);
	struct flow_key their_req = key(FLOW_IPPROTO_ICMP, 9, 0, 8, false);
	struct flow_key unreachable = key(FLOW_IPPROTO_ICMP, 9, 0, 3, false);
	assert_null(conntrack_commit(ct, &reply, ACL_INGRESS, 0)); /* a reply opens nothing */
	assert_non_null(conntrack_commit(ct, &req, ACL_EGRESS, 0));
	assert_non_null(conntrack_lookup(ct, &reply, ACL_INGRESS, 1));
	assert_null(conntrack_lookup(ct, &their_req, ACL_INGRESS, 1));
	assert_null(conntrack_lookup(ct, &unreachable, ACL_INGRESS, 1));
	assert_null(conntrack_lookup(ct, &reply, ACL_INGRESS, 1 + 30));
	conntrack_destroy(ct);
}

static void test_limit_holds_and_counts_refusals(void **state)
{
	(void)state;
	struct conntrack *ct = conntrack_create(100);
	for (uint16_t p = 0; p < 150; p++) {
		struct flow_key k =
		    key(FLOW_IPPROTO_TCP, (uint16_t)(1000 + p), 80, FLOW_TCP_SYN, false);
		conntrack_commit(ct, &k, ACL_INGRESS, 0);
	}
	assert_int_equal(ct->count, 100);
	assert_int_equal(ct->full, 50);
	/* Every admitted one is still found (probe chains intact). */
	unsigned found = 0;
	for (uint16_t p = 0; p < 150; p++) {
		struct flow_key k =
		    key(FLOW_IPPROTO_TCP, (uint16_t)(1000 + p), 80, FLOW_TCP_ACK, false);
		found += conntrack_lookup(ct, &k, ACL_INGRESS, 1) != NULL;
	}
	assert_int_equal(found, 100);
	/* Once they expire, a new connection finds room without any sweep. */
	struct flow_key k = key(FLOW_IPPROTO_UDP, 7, 7, 0, true);
	assert_null(conntrack_commit(ct, &k, ACL_EGRESS, 10));
	assert_non_null(conntrack_commit(ct, &k, ACL_EGRESS, 31 + 64));
	conntrack_destroy(ct);
}

static void test_expiry_sweep_keeps_survivors_reachable(void **state)
{
	(void)state;
	struct conntrack *ct = conntrack_create(512);
	for (uint16_t p = 0; p < 500; p++) {
		struct flow_key k = key(FLOW_IPPROTO_UDP, p, 53, 0, true);
		conntrack_commit(ct, &k, ACL_EGRESS, p % 2 ? 0 : 100);
	}
	while (conntrack_expire(ct, 40, 4096))
		;
	assert_int_equal(ct->count, 250);
	for (uint16_t p = 0; p < 500; p++) {
		struct flow_key k = key(FLOW_IPPROTO_UDP, p, 53, 0, true);
		assert_int_equal(conntrack_lookup(ct, &k, ACL_EGRESS, 40) != NULL, p % 2 == 0);
	}
	conntrack_flush(ct);
	assert_int_equal(ct->count, 0);
	conntrack_destroy(ct);
	assert_null(conntrack_create(0));
	assert_null(conntrack_create(CONNTRACK_MAX_MAX + 1));
}

/* A UDP key of either family, from the VM (10.0.0.1 or fd00::1) port
 * `sport` to address `peer` port 53, or the reply to it. */
static struct flow_key udp_key(uint8_t family, uint32_t peer, uint16_t sport, bool from_vm)
{
	uint8_t buf[128];
	struct acl_frame_spec s = {.family = family, .proto = FLOW_IPPROTO_UDP};
	acl_addr(from_vm ? s.src : s.dst, family, 1);
	acl_addr(from_vm ? s.dst : s.src, family, peer);
	s.sport = from_vm ? sport : 53, s.dport = from_vm ? 53 : sport;
	struct flow_key k;
	assert_int_equal(flow_key_parse(buf, acl_frame_build(buf, &s), &k), FLOW_IP);
	return k;
}

/* IPv6 keys use all five words of the key, IPv4 ones three (the lookup
 * skips the zero words): both kinds side by side, found from either
 * direction, after deletions have moved entries along their probe chains;
 * an IPv4 connection never answers for an IPv6 one of the same numbers. */
static void test_both_families_found_both_ways_after_deletions(void **state)
{
	(void)state;
	struct conntrack *ct = conntrack_create(1024);
	for (uint16_t p = 0; p < 400; p++) {
		struct flow_key k4 = udp_key(4, 2 + p % 7, p, true);
		struct flow_key k6 = udp_key(6, 2 + p % 7, p, true);
		assert_non_null(conntrack_commit(ct, &k4, ACL_EGRESS, p % 3 ? 0 : 100));
		if (p % 2)
			assert_non_null(conntrack_commit(ct, &k6, ACL_EGRESS, p % 3 ? 0 : 100));
	}
	while (conntrack_expire(ct, 40, 4096))
		;
	for (uint16_t p = 0; p < 400; p++) {
		bool alive = p % 3 == 0;
		for (int back = 0; back < 2; back++) {
			enum acl_direction dir = back ? ACL_INGRESS : ACL_EGRESS;
			struct flow_key k4 = udp_key(4, 2 + p % 7, p, !back);
			struct flow_key k6 = udp_key(6, 2 + p % 7, p, !back);
			assert_int_equal(conntrack_lookup(ct, &k4, dir, 40) != NULL, alive);
			assert_int_equal(conntrack_lookup(ct, &k6, dir, 40) != NULL,
					 alive && p % 2);
		}
	}
	conntrack_destroy(ct);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tcp_handshake_to_established_and_fin),
	    cmocka_unit_test(test_rst_closes_and_short_timeout),
	    cmocka_unit_test(test_syn_timeout_is_short_established_long),
	    cmocka_unit_test(test_udp_reply_and_timeouts),
	    cmocka_unit_test(test_icmp_echo_reply_only),
	    cmocka_unit_test(test_limit_holds_and_counts_refusals),
	    cmocka_unit_test(test_expiry_sweep_keeps_survivors_reachable),
	    cmocka_unit_test(test_both_families_found_both_ways_after_deletions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
