/* test_port_security.c — each check of port security on crafted frames
 * through the real pipeline (pipe ports): what a VM port with a bound MAC
 * may send (forged MAC, IPv4/IPv6 source, ARP, ND, DHCP and RA guard) and
 * receive (promiscuous, mac-changes), each drop under its reason, the
 * legitimate frame passing beside it, and ports without settings or
 * uplinks left alone. */
#include <arpa/inet.h>

#include "control/security_config.h"
#include "helpers.h"
#include "lib/l3_parse.h"

#define VM_MAC "02:00:00:00:00:01"
#define VM_IP  "10.0.0.1"

static const uint8_t vm_mac[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t peer_mac[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t other_mac[6] = {2, 0, 0, 0, 0, 3};
static const uint8_t pair_mac[6] = {2, 0, 0, 0, 0, 4};

struct fixture {
	struct vswitch *sw;
	struct bridge_port *vm, *peer, *up;
};

static int setup(void **state)
{
	static struct fixture f;
	f.sw = test_switch(SWITCH_MODE_LEARNING);
	f.vm = test_port(f.sw, "vm", 1, NULL, false);
	f.peer = test_port(f.sw, "peer", 1, NULL, false);
	f.up = test_port(f.sw, "up", 1, NULL, true);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	test_switch_destroy(f->sw);
	return 0;
}

/* Applies settings ("mac", "02:..", ...) to port the way `port set` does. */
static int secure_words(struct bridge_port *port, int argc, const char **words)
{
	struct port_config c = port->config;
	char err[256], what[64];
	for (int i = 0; i < argc; i++) {
		const char *key = words[i++];
		snprintf(what, sizeof(what), "port %s: %s", port->name, key);
		int error = config_parse_security_setting(&c.security, what, key, argc,
							  (char **)words, &i, err, sizeof(err));
		if (error)
			return error;
	}
	return switch_configure_port(port->sw, port, &c, err, sizeof(err));
}

#define secure(port, ...)                                                                          \
	assert_int_equal(                                                                          \
	    secure_words(port,                                                                     \
			 (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)),      \
			 (const char *[]){__VA_ARGS__}),                                           \
	    0)

static size_t eth(uint8_t *b, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memset(b, 0, 256);
	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	store_be16(b + 12, type);
	return 14;
}

static size_t ipv4_udp(uint8_t *b, const uint8_t *src_mac, const char *src, uint16_t sport,
		       uint16_t dport)
{
	size_t at = eth(b, test_broadcast, src_mac, ETH_TYPE_IPV4);
	b[at] = 0x45;
	b[at + 9] = L3_PROTO_UDP;
	inet_pton(AF_INET, src, b + at + 12);
	inet_pton(AF_INET, "255.255.255.255", b + at + 16);
	store_be16(b + at + 20, sport);
	store_be16(b + at + 22, dport);
	return 60;
}

/* ICMPv6 of `type` (or UDP sport->dport when type is 0) from src; an ND
 * target and a link-layer option when given. */
static size_t ipv6(uint8_t *b, const uint8_t *src_mac, const char *src, uint8_t type,
		   uint16_t sport, uint16_t dport, const char *target, const uint8_t *lladdr)
{
	static const uint8_t all_nodes[6] = {0x33, 0x33, 0, 0, 0, 1};
	size_t at = eth(b, all_nodes, src_mac, ETH_TYPE_IPV6);
	b[at] = 0x60;
	b[at + 6] = type ? L3_PROTO_ICMPV6 : L3_PROTO_UDP;
	inet_pton(AF_INET6, src, b + at + 8);
	inet_pton(AF_INET6, "ff02::1", b + at + 24);
	uint8_t *l4 = b + at + 40;
	size_t l4_len = 24;
	if (type) {
		l4[0] = type;
		if (target)
			inet_pton(AF_INET6, target, l4 + 8);
		if (lladdr) {
			l4[24] = type == ICMPV6_NS ? 1 : 2;
			l4[25] = 1;
			memcpy(l4 + 26, lladdr, 6);
			l4_len += 8;
		}
	} else {
		store_be16(l4, sport);
		store_be16(l4 + 2, dport);
	}
	store_be16(b + at + 4, (uint16_t)l4_len);
	return at + 40 + l4_len;
}

static size_t arp(uint8_t *b, const uint8_t *src_mac, const uint8_t *sha, const char *spa)
{
	size_t at = eth(b, test_broadcast, src_mac, ETH_TYPE_ARP);
	const uint8_t head[8] = {0, 1, 8, 0, 6, 4, 0, 1};
	memcpy(b + at, head, 8);
	memcpy(b + at + 8, sha, 6);
	inet_pton(AF_INET, spa, b + at + 14);
	inet_pton(AF_INET, "10.0.0.2", b + at + 24);
	return 60;
}

/* Sends b from the VM; true if the peer got it. */
static bool passes(struct fixture *f, const uint8_t *b, size_t len)
{
	test_clear_all(f->sw);
	test_send_raw(f->sw, f->vm, b, (uint32_t)len);
	bool got = test_count_and_clear(f->peer) > 0;
	test_clear_all(f->sw);
	return got;
}

static uint64_t drops(const struct bridge_port *p, enum drop_reason why)
{
	return p->counters.drops[why];
}

static void test_port_without_settings_forwards_anything(void **state)
{
	struct fixture *f = *state;
	uint8_t b[256];
	assert_false(f->vm->config.security.enabled);
	assert_true(passes(f, b, ipv4_udp(b, other_mac, "192.0.2.9", 67, 68)));
	assert_true(passes(f, b, ipv6(b, other_mac, "fe80::1", ICMPV6_RA, 0, 0, NULL, NULL)));
}

static void test_forged_source_mac_is_dropped_before_learning(void **state)
{
	struct fixture *f = *state;
	uint8_t b[256];
	secure(f->vm, "mac", VM_MAC);
	assert_true(f->vm->config.security.enabled);
	assert_false(passes(f, b, ipv4_udp(b, other_mac, VM_IP, 1000, 2000)));
	assert_int_equal(drops(f->vm, DROP_FORGED_SOURCE_MAC), 1);
	uint64_t key = fdb_key(1, other_mac);
	assert_null(fdb_find(f->sw->fdb, key, hash_u64(key)));
	assert_true(passes(f, b, ipv4_udp(b, vm_mac, "192.0.2.9", 1000, 2000))); /* any IP */
}

static void test_forged_ipv4_source_and_dhcp_discover(void **state)
{
	struct fixture *f = *state;
	uint8_t b[256];
	secure(f->vm, "mac", VM_MAC "," VM_IP);
	assert_true(passes(f, b, ipv4_udp(b, vm_mac, VM_IP, 1000, 2000)));
	assert_false(passes(f, b, ipv4_udp(b, vm_mac, "10.0.0.2", 1000, 2000)));
	assert_int_equal(drops(f->vm, DROP_FORGED_SOURCE_IP), 1);
	assert_true(passes(f, b, ipv4_udp(b, vm_mac, "0.0.0.0", 68, 67)));
	assert_false(passes(f, b, ipv4_udp(b, vm_mac, "0.0.0.0", 1000, 67)));
	assert_int_equal(drops(f->vm, DROP_FORGED_SOURCE_IP), 2);
	/* with an inline 802.1Q tag the L3 header is 4 bytes later */
	uint16_t vids[] = {5, 0};
	struct bridge_port *trunk = test_port(f->sw, "trunk", 1, vids, false);
	struct bridge_port *other = test_port(f->sw, "other", 1, vids, false);
	secure(trunk, "mac", VM_MAC "," VM_IP);
	uint8_t t[256];
	size_t len = ipv4_udp(b, vm_mac, "10.0.0.2", 1, 2);
	memcpy(t, b, 12);
	store_be16(t + 12, ETH_TYPE_VLAN);
	store_be16(t + 14, 5);
	memcpy(t + 16, b + 12, len - 12);
	test_send_raw(f->sw, trunk, t, (uint32_t)len + 4);
	assert_int_equal(drops(trunk, DROP_FORGED_SOURCE_IP), 1);
	inet_pton(AF_INET, VM_IP, t + 18 + 12);
	test_send_raw(f->sw, trunk, t, (uint32_t)len + 4);
	assert_int_equal(test_count_and_clear(other), 1);
}

static void test_forged_ipv6_source_link_local_and_dad(void **state)
{
	struct fixture *f = *state;
	uint8_t b[256];
	secure(f->vm, "mac", VM_MAC ",fd00::1");
	assert_true(passes(f, b, ipv6(b, vm_mac, "fd00::1", 0, 1000, 2000, NULL, NULL)));
	assert_false(passes(f, b, ipv6(b, vm_mac, "fd00::2", 0, 1000, 2000, NULL, NULL)));
	assert_int_equal(drops(f->vm, DROP_FORGED_SOURCE_IP), 1);
	/* EUI-64 of 02:00:00:00:00:01: fe80::ff:fe00:1 */
	assert_true(passes(f, b, ipv6(b, vm_mac, "fe80::ff:fe00:1", 0, 1, 2, NULL, NULL)));
	assert_false(passes(f, b, ipv6(b, vm_mac, "fe80::ff:fe00:2", 0, 1, 2, NULL, NULL)));
	assert_true(passes(f, b, ipv6(b, vm_mac, "::", ICMPV6_NS, 0, 0, "fd00::1", NULL)));
	assert_false(passes(f, b, ipv6(b, vm_mac, "::", 0, 546, 547, NULL, NULL)));
	assert_int_equal(drops(f->vm, DROP_FORGED_SOURCE_IP), 3);
	/* an IPv4-only binding still allows nothing but the link-local in IPv6 */
	secure(f->vm, "mac", VM_MAC "," VM_IP);
	assert_false(passes(f, b, ipv6(b, vm_mac, "fd00::1", 0, 1000, 2000, NULL, NULL)));
	secure(f->vm, "mac", VM_MAC "," VM_IP ",::/0");
	assert_true(passes(f, b, ipv6(b, vm_mac, "fd00::1", 0, 1000, 2000, NULL, NULL)));
}

static void test_arp_poisoning(void **state)
{
	struct fixture *f = *state;
	uint8_t b[256];
	secure(f->vm, "mac", VM_MAC "," VM_IP);
	assert_true(passes(f, b, arp(b, vm_mac, vm_mac, VM_IP)));
	assert_true(passes(f, b, arp(b, vm_mac, vm_mac, "0.0.0.0"))); /* RFC 5227 probe */
	assert_false(passes(f, b, arp(b, vm_mac, vm_mac, "10.0.0.2")));
	assert_false(passes(f, b, arp(b, vm_mac, other_mac, VM_IP)));
	assert_int_equal(drops(f->vm, DROP_ARP_SPOOF), 2);
}

static void test_spoofed_neighbour_advertisement(void **state)
{
	struct fixture *f = *state;
	uint8_t b[256];
	secure(f->vm, "mac", VM_MAC ",fd00::1");
	const char *ll = "fe80::ff:fe00:1";
	assert_true(passes(f, b, ipv6(b, vm_mac, ll, ICMPV6_NA, 0, 0, "fd00::1", vm_mac)));
	assert_true(passes(f, b, ipv6(b, vm_mac, ll, ICMPV6_NA, 0, 0, ll, NULL)));
	assert_false(passes(f, b, ipv6(b, vm_mac, ll, ICMPV6_NA, 0, 0, "fd00::2", vm_mac)));
	assert_false(passes(f, b, ipv6(b, vm_mac, ll, ICMPV6_NA, 0, 0, "fd00::1", other_mac)));
	assert_false(passes(f, b, ipv6(b, vm_mac, ll, ICMPV6_NS, 0, 0, "fd00::9", other_mac)));
	assert_int_equal(drops(f->vm, DROP_ND_SPOOF), 3);
}

static void test_dhcp_server_guard_and_trusted_port(void **state)
{
	struct fixture *f = *state;
	uint8_t b[256];
	secure(f->vm, "mac", VM_MAC);
	assert_false(passes(f, b, ipv4_udp(b, vm_mac, VM_IP, 67, 68)));
	assert_false(passes(f, b, ipv6(b, vm_mac, "fe80::ff:fe00:1", 0, 547, 546, NULL, NULL)));
	assert_int_equal(drops(f->vm, DROP_DHCP_SERVER_GUARD), 2);
	assert_true(passes(f, b, ipv4_udp(b, vm_mac, VM_IP, 68, 67))); /* the client side */
	secure(f->vm, "trusted", "on");
	assert_true(passes(f, b, ipv4_udp(b, vm_mac, VM_IP, 67, 68)));
	/* guards without a bound MAC: trusted off */
	secure(f->peer, "trusted", "off");
	test_send_raw(f->sw, f->peer, b, 60);
	assert_int_equal(drops(f->peer, DROP_DHCP_SERVER_GUARD), 1);
}

static void test_ra_guard_also_behind_extension_headers(void **state)
{
	struct fixture *f = *state;
	uint8_t b[256];
	secure(f->vm, "mac", VM_MAC);
	const char *ll = "fe80::ff:fe00:1";
	assert_false(passes(f, b, ipv6(b, vm_mac, ll, ICMPV6_RA, 0, 0, NULL, NULL)));
	assert_false(passes(f, b, ipv6(b, vm_mac, ll, ICMPV6_REDIRECT, 0, 0, NULL, NULL)));
	assert_int_equal(drops(f->vm, DROP_RA_GUARD), 2);
	/* the RA after a destination-options header */
	size_t len = ipv6(b, vm_mac, ll, ICMPV6_RA, 0, 0, NULL, NULL);
	memmove(b + 62, b + 54, len - 54);
	memset(b + 54, 0, 8);
	b[54] = L3_PROTO_ICMPV6;
	b[20] = 60;
	store_be16(b + 18, (uint16_t)(load_be16(b + 18) + 8));
	assert_false(passes(f, b, len + 8));
	assert_int_equal(drops(f->vm, DROP_RA_GUARD), 3);
	/* the same with its ICMPv6 header cut off: cannot be checked */
	assert_false(passes(f, b, 62));
	assert_int_equal(drops(f->vm, DROP_L3_MALFORMED), 1);
	assert_true(passes(f, b, ipv6(b, vm_mac, ll, ICMPV6_RS, 0, 0, NULL, NULL)));
}

static void test_allowed_address_pairs(void **state)
{
	struct fixture *f = *state;
	uint8_t b[256];
	secure(f->vm, "mac", VM_MAC "," VM_IP, "allowed-addresses", "02:00:00:00:00:04,10.0.9.0/24",
	       "02:00:00:00:00:05");
	assert_int_equal(f->vm->config.security.n_pairs, 3);
	assert_true(passes(f, b, ipv4_udp(b, pair_mac, "10.0.9.77", 1, 2)));
	assert_false(passes(f, b, ipv4_udp(b, pair_mac, VM_IP, 1, 2))); /* not with that MAC */
	const uint8_t any_ip_mac[6] = {2, 0, 0, 0, 0, 5};
	assert_true(passes(f, b, ipv4_udp(b, any_ip_mac, "198.51.100.1", 1, 2)));
	assert_false(passes(f, b, ipv4_udp(b, other_mac, VM_IP, 1, 2)));
	assert_int_equal(drops(f->vm, DROP_FORGED_SOURCE_IP), 1);
	assert_int_equal(drops(f->vm, DROP_FORGED_SOURCE_MAC), 1);
	secure(f->vm, "allowed-addresses", "none");
	assert_int_equal(f->vm->config.security.n_pairs, 1);
	assert_false(passes(f, b, ipv4_udp(b, pair_mac, "10.0.9.77", 1, 2)));
}

/* peer sends to dst; true if the VM received it. */
static bool reaches_vm(struct fixture *f, const uint8_t *dst)
{
	test_clear_all(f->sw);
	test_send(f->sw, f->peer, dst, peer_mac, -1);
	bool got = test_count_and_clear(f->vm) > 0;
	test_clear_all(f->sw);
	return got;
}

static void test_promiscuous_reject_keeps_other_unicast_floods_away(void **state)
{
	struct fixture *f = *state;
	secure(f->vm, "mac", VM_MAC);
	assert_false(reaches_vm(f, other_mac)); /* unknown: flooded */
	assert_int_equal(f->vm->tx_drops[DROP_NOT_PROMISCUOUS], 1);
	assert_true(reaches_vm(f, vm_mac));
	assert_true(reaches_vm(f, test_broadcast));
	secure(f->vm, "promiscuous", "accept");
	assert_true(reaches_vm(f, other_mac));
	struct port_counters c;
	bridge_port_counters(f->vm, &c);
	assert_int_equal(c.drops[DROP_NOT_PROMISCUOUS], 1);
}

static void test_mac_changes_reject_drops_unicast_for_a_changed_mac(void **state)
{
	struct fixture *f = *state;
	uint8_t b[256];
	/* the guest changed its MAC: allowed to send, learned on the port */
	secure(f->vm, "mac", VM_MAC, "forged-transmits", "accept");
	assert_true(passes(f, b, ipv4_udp(b, other_mac, VM_IP, 1, 2)));
	assert_false(reaches_vm(f, other_mac)); /* known unicast to the port */
	assert_int_equal(f->vm->tx_drops[DROP_MAC_CHANGE], 1);
	secure(f->vm, "mac-changes", "accept");
	assert_true(reaches_vm(f, other_mac));
}

static void test_uplink_is_never_checked(void **state)
{
	struct fixture *f = *state;
	uint8_t b[256];
	secure(f->up, "mac", VM_MAC);
	test_send_raw(f->sw, f->up, b, ipv4_udp(b, other_mac, "192.0.2.1", 67, 68));
	assert_int_equal(test_count_and_clear(f->peer), 1);
	assert_int_equal(drops(f->up, DROP_FORGED_SOURCE_MAC), 0);
}

static void test_settings_refused(void **state)
{
	struct fixture *f = *state;
	const char *reject[] = {"forged-transmits", "reject"};
	assert_int_equal(secure_words(f->vm, 2, reject), -EINVAL);
	const char *twice[] = {"mac", VM_MAC, "allowed-addresses", VM_MAC ",10.0.0.9"};
	assert_int_equal(secure_words(f->vm, 4, twice), -EINVAL);
	const char *words[PORT_SECURITY_MAX_PAIRS + 2] = {"allowed-addresses"};
	char macs[PORT_SECURITY_MAX_PAIRS + 1][18];
	for (int i = 0; i <= PORT_SECURITY_MAX_PAIRS; i++) {
		snprintf(macs[i], sizeof(macs[i]), "02:00:00:00:01:%02x", i);
		words[i + 1] = macs[i];
	}
	assert_int_equal(secure_words(f->vm, PORT_SECURITY_MAX_PAIRS + 1, words), 0);
	assert_int_equal(secure_words(f->vm, PORT_SECURITY_MAX_PAIRS + 2, words), -E2BIG);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_port_without_settings_forwards_anything),
	    T(test_forged_source_mac_is_dropped_before_learning),
	    T(test_forged_ipv4_source_and_dhcp_discover),
	    T(test_forged_ipv6_source_link_local_and_dad),
	    T(test_arp_poisoning),
	    T(test_spoofed_neighbour_advertisement),
	    T(test_dhcp_server_guard_and_trusted_port),
	    T(test_ra_guard_also_behind_extension_headers),
	    T(test_allowed_address_pairs),
	    T(test_promiscuous_reject_keeps_other_unicast_floods_away),
	    T(test_mac_changes_reject_drops_unicast_for_a_changed_mac),
	    T(test_uplink_is_never_checked),
	    T(test_settings_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
