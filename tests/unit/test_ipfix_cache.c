/* test_ipfix_cache.c — the IPFIX flow cache fed by the real pipeline: L2,
 * IPv4 and IPv6 flows keyed and counted (packets, IP and frame bytes, TCP
 * flags, in and out port, flooded frames), idle and active timeouts, the
 * bound (refusals counted), 1-in-N sampling and the ring to the exporter. */
#include "helpers.h"

#include "engine/ipfix_cache.h"

#define A 1
#define B 2

struct lab {
	struct vswitch *sw;
	struct bridge_port *pa, *pb;
	struct ipfix_cache *c;
};

static struct lab lab_with(uint32_t max_flows, uint32_t sampling)
{
	struct lab l;
	l.sw = test_switch(SWITCH_MODE_LEARNING);
	l.pa = test_port(l.sw, "pa", 1, NULL, false);
	l.pb = test_port(l.sw, "pb", 1, NULL, false);
	/* b speaks first: its MAC is learned, a's frames to it are unicast */
	test_send(l.sw, l.pb, test_broadcast, test_mac(B), -1);
	struct ipfix_cache_config cc = {
	    .max_flows = max_flows, .sampling = sampling, .active_ms = 60000, .idle_ms = 15000};
	l.c = ipfix_cache_create(&cc);
	assert_non_null(l.c);
	assert_null(ipfix_cache_install(l.sw, l.c));
	test_clear_all(l.sw);
	return l;
}

static void lab_free(struct lab *l)
{
	test_switch_destroy(l->sw); /* frees the cache */
}

/* An IPv4 (family 4) or IPv6 frame from a to b with `payload` bytes of
 * UDP (proto 17) or TCP (6, with `flags`). Returns its length. */
static uint32_t ip_frame(uint8_t *f, int family, uint8_t proto, uint16_t sport, uint16_t dport,
			 uint8_t flags, uint32_t payload)
{
	memset(f, 0, 1600);
	memcpy(f, test_mac(B), 6);
	memcpy(f + 6, test_mac(A), 6);
	uint32_t l4len = (proto == 6 ? 20 : 8) + payload, off;
	if (family == 4) {
		store_be16(f + 12, 0x0800);
		uint8_t *ip = f + 14;
		ip[0] = 0x45;
		store_be16(ip + 2, (uint16_t)(20 + l4len));
		ip[8] = 64;
		ip[9] = proto;
		ip[12] = 10, ip[15] = 1;
		ip[16] = 10, ip[19] = 2;
		off = 34;
	} else {
		store_be16(f + 12, 0x86dd);
		uint8_t *ip = f + 14;
		ip[0] = 0x60;
		store_be16(ip + 4, (uint16_t)l4len);
		ip[6] = proto;
		ip[7] = 64;
		ip[8] = 0xfd, ip[23] = 1;
		ip[24] = 0xfd, ip[39] = 2;
		off = 54;
	}
	store_be16(f + off, sport);
	store_be16(f + off + 2, dport);
	if (proto == 6) {
		f[off + 12] = 5 << 4;
		f[off + 13] = flags;
	} else {
		store_be16(f + off + 4, (uint16_t)l4len);
	}
	return off + l4len;
}

/* A frame of EtherType 0x88b5 from a to dst. */
static void send_l2(struct lab *l, const uint8_t *dst)
{
	uint8_t frame[128];
	size_t len = frame_build(frame, sizeof(frame), dst, test_mac(A), -1, 0x88b5, "payload", 7);
	test_send_raw(l->sw, l->pa, frame, (uint32_t)len);
}

/* Ends every flow and returns them, sorted by nothing: the test finds. */
static uint32_t drain(struct lab *l, struct ipfix_record *out, uint32_t max)
{
	ipfix_cache_expire(l->c, 0, true);
	uint32_t n = 0;
	while (n < max && ipfix_cache_pop(l->c, &out[n]))
		n++;
	return n;
}

static const struct ipfix_record *find(const struct ipfix_record *r, uint32_t n, int family,
				       uint16_t dport, uint16_t ethertype)
{
	for (uint32_t i = 0; i < n; i++)
		if (r[i].key.family == family && r[i].key.dport == dport &&
		    r[i].key.ethertype == ethertype)
			return &r[i];
	return NULL;
}

static void test_flows_are_keyed_and_counted(void **state)
{
	(void)state;
	struct lab l = lab_with(64, 1);
	uint8_t f[1600];
	for (int i = 0; i < 3; i++)
		test_send_raw(l.sw, l.pa, f, ip_frame(f, 4, 17, 1000, 53, 0, 100));
	for (int i = 0; i < 2; i++)
		test_send_raw(l.sw, l.pa, f, ip_frame(f, 4, 17, 1000, 54, 0, 10));
	test_send_raw(l.sw, l.pa, f, ip_frame(f, 4, 6, 2000, 80, 0x02, 0));
	test_send_raw(l.sw, l.pa, f, ip_frame(f, 4, 6, 2000, 80, 0x10, 0));
	test_send_raw(l.sw, l.pa, f, ip_frame(f, 6, 17, 3000, 443, 0, 50));
	send_l2(&l, test_mac(B));
	send_l2(&l, test_broadcast);
	assert_int_equal(ipfix_cache_flows(l.c), 6);
	struct ipfix_record r[16];
	assert_int_equal(drain(&l, r, 16), 6);
	assert_int_equal(ipfix_cache_flows(l.c), 0);

	const struct ipfix_record *u = find(r, 6, 4, 53, 0x0800);
	assert_non_null(u);
	assert_int_equal(u->packets, 3);
	assert_int_equal(u->octets, 3 * 128);
	assert_int_equal(u->l2_octets, 3 * 142);
	assert_int_equal(u->key.proto, 17);
	assert_int_equal(u->key.sport, 1000);
	assert_int_equal(u->key.in_port, l.pa->index);
	assert_int_equal(u->key.out_port, l.pb->index);
	assert_int_equal(u->key.vid, 1);
	assert_memory_equal(u->key.src, ((uint8_t[]){10, 0, 0, 1}), 4);
	assert_int_equal(u->end_reason, IPFIX_END_FORCED);
	assert_true(u->end_ms >= u->start_ms && u->start_ms > 0);
	assert_int_equal(find(r, 6, 4, 54, 0x0800)->packets, 2);

	const struct ipfix_record *t = find(r, 6, 4, 80, 0x0800);
	assert_int_equal(t->packets, 2);
	assert_int_equal(t->tcp_flags, 0x12); /* SYN | ACK, OR'ed */

	const struct ipfix_record *v6 = find(r, 6, 6, 443, 0x86dd);
	assert_non_null(v6);
	assert_int_equal(v6->octets, 40 + 8 + 50);
	assert_int_equal(v6->key.src[0], 0xfd);
	assert_int_equal(v6->key.src[15], 1);

	/* not IP: an L2 flow by MACs and EtherType; a flood has no egress */
	int l2 = 0;
	for (int i = 0; i < 6; i++) {
		if (r[i].key.family)
			continue;
		l2++;
		assert_int_equal(r[i].key.ethertype, 0x88b5);
		assert_memory_equal(r[i].key.src_mac, test_mac(A), 6);
		bool flood = !memcmp(r[i].key.dst_mac, test_broadcast, 6);
		assert_int_equal(r[i].key.out_port, flood ? PORT_INDEX_NONE : l.pb->index);
		assert_int_equal(r[i].packets, 1);
	}
	assert_int_equal(l2, 2);
	lab_free(&l);
}

static void test_idle_and_active_timeouts(void **state)
{
	(void)state;
	struct lab l = lab_with(64, 1);
	l.c->config.idle_ms = 1000;
	l.c->config.active_ms = 5000;
	uint8_t f[1600];
	test_send_raw(l.sw, l.pa, f, ip_frame(f, 4, 17, 1, 2, 0, 0));
	uint64_t t0 = l.c->entries[0].r.start_ms;
	assert_int_equal(ipfix_cache_expire(l.c, t0 + 999, false), 0);
	assert_int_equal(ipfix_cache_expire(l.c, t0 + 1000, false), 1);
	struct ipfix_record r;
	assert_true(ipfix_cache_pop(l.c, &r));
	assert_int_equal(r.end_reason, IPFIX_END_IDLE);
	assert_false(ipfix_cache_pop(l.c, &r));

	/* a busy flow ends at the active timeout, counted so far */
	test_send_raw(l.sw, l.pa, f, ip_frame(f, 4, 17, 1, 2, 0, 0));
	l.c->entries[0].r.start_ms -= 5000; /* as if it had started 5 s ago */
	assert_int_equal(ipfix_cache_expire(l.c, l.c->entries[0].r.end_ms, false), 1);
	assert_true(ipfix_cache_pop(l.c, &r));
	assert_int_equal(r.end_reason, IPFIX_END_ACTIVE);
	assert_int_equal(r.packets, 1);
	lab_free(&l);
}

static void test_full_cache_refuses_new_flows(void **state)
{
	(void)state;
	struct lab l = lab_with(2, 1);
	uint8_t f[1600];
	for (uint16_t port = 1; port <= 5; port++)
		test_send_raw(l.sw, l.pa, f, ip_frame(f, 4, 17, 9, port, 0, 0));
	/* flows already there still count */
	test_send_raw(l.sw, l.pa, f, ip_frame(f, 4, 17, 9, 1, 0, 0));
	assert_int_equal(ipfix_cache_flows(l.c), 2);
	assert_int_equal(l.c->stats.refused, 3);
	assert_int_equal(l.c->stats.flows, 2);
	struct ipfix_record r[4];
	assert_int_equal(drain(&l, r, 4), 2);
	assert_int_equal(find(r, 2, 4, 1, 0x0800)->packets, 2);
	/* room again once flows ended */
	test_send_raw(l.sw, l.pa, f, ip_frame(f, 4, 17, 9, 5, 0, 0));
	assert_int_equal(ipfix_cache_flows(l.c), 1);
	lab_free(&l);
}

static void test_one_in_n_sampling(void **state)
{
	(void)state;
	struct lab l = lab_with(64, 4);
	uint8_t f[1600];
	for (int i = 0; i < 20; i++)
		test_send_raw(l.sw, l.pa, f, ip_frame(f, 4, 17, 7, 7, 0, 0));
	struct ipfix_record r[4];
	assert_int_equal(drain(&l, r, 4), 1);
	assert_int_equal(r[0].packets, 5); /* the 4th, 8th, ... 20th */
	assert_int_equal(l.c->stats.skipped, 15);
	lab_free(&l);
}

static void test_removal_keeps_the_table_consistent(void **state)
{
	(void)state;
	struct lab l = lab_with(256, 1);
	uint8_t f[1600];
	for (uint16_t port = 1; port <= 200; port++)
		test_send_raw(l.sw, l.pa, f, ip_frame(f, 4, 17, 9, port, 0, 0));
	/* end every other flow, then every remaining one must still be found */
	for (uint32_t i = 0; i < l.c->count; i++)
		if (l.c->entries[i].r.key.dport % 2)
			l.c->entries[i].r.end_ms = 0, l.c->entries[i].r.start_ms = 0;
	uint64_t now = 0;
	for (uint32_t i = 0; i < l.c->count; i++)
		if (l.c->entries[i].r.end_ms > now)
			now = l.c->entries[i].r.end_ms;
	assert_int_equal(ipfix_cache_expire(l.c, now, false), 100);
	for (uint16_t port = 2; port <= 200; port += 2)
		test_send_raw(l.sw, l.pa, f, ip_frame(f, 4, 17, 9, port, 0, 0));
	assert_int_equal(ipfix_cache_flows(l.c), 100);
	assert_int_equal(l.c->stats.flows, 200);
	lab_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flows_are_keyed_and_counted),
	    cmocka_unit_test(test_idle_and_active_timeouts),
	    cmocka_unit_test(test_full_cache_refuses_new_flows),
	    cmocka_unit_test(test_one_in_n_sampling),
	    cmocka_unit_test(test_removal_keeps_the_table_consistent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
