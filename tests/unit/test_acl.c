/* test_acl.c — security groups in the engine (src/engine/acl.c): the
 * compiled classifier against a linear scan of the rules on random rule
 * sets and packets (port ranges, prefixes, priorities, both families), the
 * best rule winning, and the two hooks on a switch: whitelist, stateful
 * return traffic, ARP and DHCP passing, per-rule counters, drops counted. */
#include "helpers.h"

#include <stdlib.h>

#include "acl_frames.h"

static uint32_t linear(const struct acl_rule *rules, size_t n, const struct flow_key *k,
		       enum acl_direction dir)
{
	uint32_t best = ACL_NO_MATCH, seen = 0;
	uint64_t best_rank = UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		if (rules[i].spec.direction != dir)
			continue;
		uint64_t rank = (uint64_t)rules[i].spec.priority << 32 | seen;
		if (acl_rule_matches(&rules[i].spec, k, dir) && rank < best_rank)
			best_rank = rank, best = seen;
		seen++;
	}
	return best;
}

static const uint8_t protos[] = {FLOW_IPPROTO_TCP, FLOW_IPPROTO_UDP, FLOW_IPPROTO_ICMP, 47};

/* Addresses and ports drawn from small sets so that rules and packets meet. */
static void random_addr(uint8_t *out, uint8_t family)
{
	acl_addr(out, family, (uint32_t)(rand() % 4) << 8 | (uint32_t)(rand() % 8));
}

static void random_rule(struct acl_rule *r)
{
	memset(r, 0, sizeof(*r));
	struct acl_rule_spec *s = &r->spec;
	s->direction = (uint8_t)(rand() % 2);
	s->priority = (uint32_t)(rand() % 5);
	s->family = (uint8_t)(rand() % 3 == 0 ? 0 : rand() % 2 ? 4 : 6);
	s->proto = rand() % 4 == 0 ? ACL_PROTO_ANY : protos[rand() % 4];
	s->port_lo = 0, s->port_hi = 65535;
	if ((s->proto == FLOW_IPPROTO_TCP || s->proto == FLOW_IPPROTO_UDP) && rand() % 3) {
		s->port_lo = (uint16_t)(rand() % 40);
		s->port_hi = (uint16_t)(s->port_lo + rand() % (rand() % 2 ? 3 : 40));
	}
	if (s->family && rand() % 2) {
		random_addr(s->remote, s->family);
		s->remote_len = (uint8_t)(s->family == 4 ? 16 + rand() % 17 : 104 + rand() % 25);
		uint8_t mask[16] = {0};
		for (unsigned b = 0; b < s->remote_len; b++)
			mask[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		for (int i = 0; i < 16; i++)
			s->remote[i] &= mask[i];
	}
}

static void random_key(struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = rand() % 2 ? 4 : 6;
	k->proto = protos[rand() % 4];
	k->dport = (uint16_t)(rand() % 50);
	k->sport = (uint16_t)(rand() % 50);
	random_addr(k->src, k->family);
	random_addr(k->dst, k->family);
}

static void test_classifier_agrees_with_linear_scan(void **state)
{
	(void)state;
	srand(11);
	for (int round = 0; round < 200; round++) {
		size_t n = (size_t)(rand() % (round < 150 ? 20 : 400));
		struct acl_rule *rules = calloc(n + 1, sizeof(*rules));
		for (size_t i = 0; i < n; i++)
			random_rule(&rules[i]);
		for (int dir = 0; dir < 2; dir++) {
			struct acl_classifier *cls = acl_compile(rules, n, (enum acl_direction)dir);
			assert_non_null(cls);
			for (int p = 0; p < 300; p++) {
				struct flow_key k;
				random_key(&k);
				uint32_t want = linear(rules, n, &k, (enum acl_direction)dir);
				assert_int_equal(acl_classify(cls, &k), want);
			}
			acl_classifier_destroy(cls);
		}
		free(rules);
	}
}

static void test_shapes_not_rules_set_the_cost(void **state)
{
	(void)state;
	/* 10 000 single-port rules from /32 remotes: one shape per family. */
	struct acl_rule *rules = calloc(10000, sizeof(*rules));
	for (uint32_t i = 0; i < 10000; i++) {
		struct acl_rule_spec *s = &rules[i].spec;
		s->direction = ACL_INGRESS, s->family = 4, s->proto = FLOW_IPPROTO_TCP;
		s->port_lo = s->port_hi = (uint16_t)(1000 + i % 1000);
		acl_addr(s->remote, 4, i);
		s->remote_len = 32;
	}
	struct acl_classifier *cls = acl_compile(rules, 10000, ACL_INGRESS);
	assert_int_equal(acl_classifier_shapes(cls), 1);
	struct flow_key k = {.family = 4, .proto = FLOW_IPPROTO_TCP, .dport = 1000 + 1234 % 1000};
	acl_addr(k.src, 4, 1234);
	assert_int_equal(acl_classify(cls, &k), 1234);
	k.dport++;
	assert_int_equal(acl_classify(cls, &k), ACL_NO_MATCH);
	/* No IPv6 shape at all: the lookup ends at once. */
	struct flow_key k6 = {.family = 6, .proto = FLOW_IPPROTO_TCP, .dport = 1000};
	acl_addr(k6.src, 6, 0);
	assert_int_equal(acl_classify(cls, &k6), ACL_NO_MATCH);
	acl_classifier_destroy(cls);
	free(rules);
}

/* Port ranges up to 65535 become blocks of every size, each marked in its
 * shape's port bitmap: every destination port around their edges is
 * classified as the rules say. */
static void test_port_blocks_at_the_edges(void **state)
{
	(void)state;
	static const uint16_t ranges[][2] = {{65000, 65535}, {1024, 65535}, {0, 1023},
					     {65535, 65535}, {4095, 4096},  {0, 0}};
	struct acl_rule rules[ARRAY_SIZE(ranges)];
	memset(rules, 0, sizeof(rules));
	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++) {
		struct acl_rule_spec *s = &rules[i].spec;
		s->direction = ACL_INGRESS, s->family = 4, s->proto = FLOW_IPPROTO_UDP;
		s->priority = (uint32_t)(ARRAY_SIZE(ranges) - i);
		s->port_lo = ranges[i][0], s->port_hi = ranges[i][1];
	}
	for (size_t n = 1; n <= ARRAY_SIZE(ranges); n++) {
		struct acl_classifier *cls = acl_compile(rules, n, ACL_INGRESS);
		assert_non_null(cls);
		for (uint32_t port = 0; port <= 65535; port++) {
			struct flow_key k = {
			    .family = 4, .proto = FLOW_IPPROTO_UDP, .dport = (uint16_t)port};
			uint32_t want = linear(rules, n, &k, ACL_INGRESS);
			assert_int_equal(acl_classify(cls, &k), want);
		}
		acl_classifier_destroy(cls);
	}
}

/* ---- the hooks on a switch ---------------------------------------------- */

struct two_ports {
	struct vswitch *sw;
	struct bridge_port *vm, *net;
};

/* vm (with groups) and net, both on VLAN 1; the MACs learned both ways. */
static struct two_ports setup_ports(const struct acl_rule *rules, size_t n, uint32_t ct_max)
{
	struct two_ports t;
	t.sw = test_switch(SWITCH_MODE_LEARNING);
	t.vm = test_port(t.sw, "vm", 1, NULL, false);
	t.net = test_port(t.sw, "net", 1, NULL, false);
	struct acl_port *acl = calloc(1, sizeof(*acl));
	acl->cls[ACL_EGRESS] = acl_compile(rules, n, ACL_EGRESS);
	acl->cls[ACL_INGRESS] = acl_compile(rules, n, ACL_INGRESS);
	acl->ct = conntrack_create(ct_max);
	t.vm->acl = acl;
	return t;
}

/* A frame from the VM's side (10.0.0.1, MAC ..:01) or the network's. */
static uint32_t frame(uint8_t *buf, uint8_t proto, uint8_t flags, uint16_t sport, uint16_t dport,
		      bool from_vm)
{
	struct acl_frame_spec s = {.family = 4,
				   .proto = proto,
				   .tcp_flags = flags,
				   .sport = sport,
				   .dport = dport,
				   .icmp_type = flags};
	acl_addr(from_vm ? s.src : s.dst, 4, 1);
	acl_addr(from_vm ? s.dst : s.src, 4, 2);
	uint32_t len = acl_frame_build(buf, &s);
	const uint8_t *vm_mac = test_mac(1), *net_mac = test_mac(2);
	memcpy(buf, from_vm ? net_mac : vm_mac, 6);
	memcpy(buf + 6, from_vm ? vm_mac : net_mac, 6);
	return len;
}

static bool passes(struct two_ports *t, uint8_t proto, uint8_t flags, uint16_t sport,
		   uint16_t dport, bool from_vm)
{
	uint8_t buf[128];
	uint32_t len = frame(buf, proto, flags, sport, dport, from_vm);
	test_send_raw(t->sw, from_vm ? t->vm : t->net, buf, len);
	return test_count_and_clear(from_vm ? t->net : t->vm) == 1;
}

static void teardown_ports(struct two_ports *t)
{
	test_switch_destroy(t->sw);
}

static struct acl_rule allow(enum acl_direction dir, uint8_t proto, uint16_t lo, uint16_t hi)
{
	struct acl_rule r = {0};
	r.spec.direction = (uint8_t)dir, r.spec.proto = proto;
	r.spec.port_lo = lo, r.spec.port_hi = hi;
	strcpy(r.group, "web");
	return r;
}

static void test_whitelist_and_return_traffic(void **state)
{
	(void)state;
	struct acl_rule rules[] = {allow(ACL_INGRESS, FLOW_IPPROTO_TCP, 22, 22),
				   allow(ACL_EGRESS, FLOW_IPPROTO_UDP, 53, 53)};
	struct two_ports t = setup_ports(rules, 2, 64);
	/* Learn both MACs with ARP, which always passes. */
	uint8_t arp[60] = {0};
	memcpy(arp, test_broadcast, 6);
	memcpy(arp + 6, test_mac(1), 6);
	store_be16(arp + 12, ETH_TYPE_ARP);
	test_send_raw(t.sw, t.vm, arp, 60);
	assert_int_equal(test_count_and_clear(t.net), 1);
	memcpy(arp + 6, test_mac(2), 6);
	test_send_raw(t.sw, t.net, arp, 60);
	assert_int_equal(test_count_and_clear(t.vm), 1);

	/* Crafted SYN-ACKs before any SYN: dropped, to an allowed port too. */
	assert_false(passes(&t, FLOW_IPPROTO_TCP, FLOW_TCP_SYN | FLOW_TCP_ACK, 80, 40001, false));
	assert_false(passes(&t, FLOW_IPPROTO_TCP, FLOW_TCP_SYN | FLOW_TCP_ACK, 40000, 22, false));
	assert_int_equal(t.vm->tx_drops[DROP_CONNTRACK_INVALID], 1);
	/* Inbound SSH opens; the VM's replies pass as return traffic. */
	assert_true(passes(&t, FLOW_IPPROTO_TCP, FLOW_TCP_SYN, 40000, 22, false));
	assert_true(passes(&t, FLOW_IPPROTO_TCP, FLOW_TCP_SYN | FLOW_TCP_ACK, 22, 40000, true));
	assert_true(passes(&t, FLOW_IPPROTO_TCP, FLOW_TCP_ACK, 40000, 22, false));
	/* Outbound TCP is not allowed; its reply would not be either. */
	assert_false(passes(&t, FLOW_IPPROTO_TCP, FLOW_TCP_SYN, 40001, 80, true));
	/* A DNS reply before the query is dropped; after it, passes. */
	assert_false(passes(&t, FLOW_IPPROTO_UDP, 0, 53, 5000, false));
	assert_true(passes(&t, FLOW_IPPROTO_UDP, 0, 5000, 53, true));
	assert_true(passes(&t, FLOW_IPPROTO_UDP, 0, 53, 5000, false));
	/* DHCP client out and server in pass without a rule. */
	assert_true(passes(&t, FLOW_IPPROTO_UDP, 0, 68, 67, true));
	assert_true(passes(&t, FLOW_IPPROTO_UDP, 0, 67, 68, false));
	/* Ping is not allowed either way. */
	assert_false(passes(&t, FLOW_IPPROTO_ICMP, 8, 1, 0, true));

	assert_int_equal(t.vm->counters.drops[DROP_ACL_DENY], 2);
	assert_int_equal(t.vm->tx_drops[DROP_ACL_DENY], 2);
	struct acl_classifier *in = t.vm->acl->cls[ACL_INGRESS], *out = t.vm->acl->cls[ACL_EGRESS];
	assert_int_equal(in->rules[0].packets, 3); /* SYN, its SYN-ACK, the ACK */
	assert_int_equal(out->rules[0].packets, 2);
	assert_int_equal(in->rules[0].bytes, 3 * 54);
	teardown_ports(&t);
}

static void test_conntrack_full_is_counted(void **state)
{
	(void)state;
	struct acl_rule rules[] = {allow(ACL_INGRESS, FLOW_IPPROTO_TCP, 80, 80)};
	struct two_ports t = setup_ports(rules, 1, 4);
	uint8_t arp[60] = {0};
	memcpy(arp, test_broadcast, 6);
	memcpy(arp + 6, test_mac(1), 6);
	store_be16(arp + 12, ETH_TYPE_ARP);
	test_send_raw(t.sw, t.vm, arp, 60);
	for (uint16_t p = 0; p < 10; p++)
		passes(&t, FLOW_IPPROTO_TCP, FLOW_TCP_SYN, (uint16_t)(1000 + p), 80, false);
	assert_int_equal(t.vm->acl->ct->count, 4);
	assert_int_equal(t.vm->tx_drops[DROP_CONNTRACK_FULL], 6);
	/* A malformed IP header is its own reason. */
	uint8_t buf[128];
	uint32_t len = frame(buf, FLOW_IPPROTO_TCP, FLOW_TCP_SYN, 1, 80, true);
	buf[14] = 0x41;
	test_send_raw(t.sw, t.vm, buf, len);
	assert_int_equal(t.vm->counters.drops[DROP_ACL_BAD_HEADER], 1);
	teardown_ports(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_classifier_agrees_with_linear_scan),
	    cmocka_unit_test(test_shapes_not_rules_set_the_cost),
	    cmocka_unit_test(test_port_blocks_at_the_edges),
	    cmocka_unit_test(test_whitelist_and_return_traffic),
	    cmocka_unit_test(test_conntrack_full_is_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
