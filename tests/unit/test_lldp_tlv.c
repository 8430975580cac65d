/* test_lldp_tlv.c — the LLDPDU codec (src/ha/lldp_tlv.c): what vswitch
 * sends decodes to what it meant; lldpd's usual PDU (bytes as lldpd 1.0
 * sends them) reads into every field; each broken mandatory TLV refuses the
 * PDU with its own reason; broken or unknown optional TLVs are skipped and
 * counted; the operator's rendering of IDs and text is printable. */
#include <stdlib.h>

#include "ha/lldp_tlv.h"
#include "helpers.h"

static size_t put(uint8_t *p, unsigned type, const void *v, size_t len)
{
	p[0] = (uint8_t)(type << 1 | len >> 8);
	p[1] = (uint8_t)len;
	memcpy(p + 2, v, len);
	return 2 + len;
}

/* chassis MAC 02:00:00:00:00:01, port "eth0", TTL 121. */
static size_t mandatory(uint8_t *p)
{
	size_t n = put(p, 1, "\x04\x02\x00\x00\x00\x00\x01", 7);
	n += put(p + n, 2,
		 "\x05"
		 "eth0",
		 5);
	n += put(p + n, 3, "\x00\x79", 2);
	return n;
}

static void fill(struct lldp_info *in)
{
	memset(in, 0, sizeof(*in));
	in->chassis.subtype = LLDP_CHASSIS_MAC;
	in->chassis.len = 6;
	memcpy(in->chassis.data, test_mac(7), 6);
	in->port.subtype = LLDP_PORT_IFNAME;
	in->port.len = 7;
	memcpy(in->port.data, "uplink1", 7);
	in->ttl = 121;
	in->sys_name.len = 4;
	memcpy(in->sys_name.data, "hv01", 4);
	in->sys_desc.len = 3;
	memcpy(in->sys_desc.data, "vsw", 3);
	in->port_desc.len = 2;
	memcpy(in->port_desc.data, "up", 2);
	in->has_caps = true;
	in->caps = in->caps_enabled = LLDP_CAP_BRIDGE;
	in->n_mgmt = 2;
	in->mgmt[0].family = 4;
	memcpy(in->mgmt[0].addr, "\xc0\x00\x02\x0a", 4);
	in->mgmt[1].family = 6;
	memcpy(in->mgmt[1].addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	in->pvid = 10;
	in->n_vlans = 2;
	in->vlans[0] = (struct lldp_vlan){.vid = 10, .name_len = 6, .name = "vlan10"};
	in->vlans[1] = (struct lldp_vlan){.vid = 20, .name_len = 6, .name = "vlan20"};
}

static void test_round_trip(void **state)
{
	(void)state;
	static struct lldp_info in, out;
	fill(&in);
	uint8_t buf[1500];
	int n = lldp_encode(&in, buf, sizeof(buf));
	assert_true(n > 0);
	/* chassis ID first, End last */
	assert_int_equal(buf[0] >> 1, 1);
	assert_memory_equal(buf + n - 2, "\x00\x00", 2);
	assert_int_equal(lldp_decode(buf, (size_t)n, &out), LLDP_OK);
	assert_memory_equal(&in.chassis, &out.chassis, sizeof(in.chassis));
	assert_memory_equal(&in.port, &out.port, sizeof(in.port));
	assert_int_equal(out.ttl, 121);
	assert_int_equal(out.sys_name.len, 4);
	assert_memory_equal(out.sys_name.data, "hv01", 4);
	assert_true(out.has_caps);
	assert_int_equal(out.caps_enabled, LLDP_CAP_BRIDGE);
	assert_int_equal(out.n_mgmt, 2);
	assert_memory_equal(out.mgmt, in.mgmt, sizeof(in.mgmt));
	assert_int_equal(out.pvid, 10);
	assert_int_equal(out.n_vlans, 2);
	assert_int_equal(out.vlans[1].vid, 20);
	assert_memory_equal(out.vlans[1].name, "vlan20", 6);
	assert_int_equal(out.unrecognised, 0);
	assert_int_equal(out.discarded, 0);
	/* too small a buffer is refused, not overrun */
	assert_int_equal(lldp_encode(&in, buf, 20), -1);
}

/* lldpd's PDU: MAC chassis, ifname port, names, capabilities, an IPv4
 * management address with its ifIndex, the 802.1 PVID and a VLAN name, and
 * an 802.3 MAC/PHY TLV we do not read. */
static void test_lldpd_pdu(void **state)
{
	(void)state;
	uint8_t p[512];
	size_t n = mandatory(p);
	n += put(p + n, 4, "veth-tor", 8);
	n += put(p + n, 5, "tor1", 4);
	n += put(p + n, 6, "Debian GNU/Linux", 16);
	n += put(p + n, 7, "\x00\x14\x00\x04", 4);
	n += put(p + n, 8, "\x05\x01\xc0\x00\x02\x01\x02\x00\x00\x00\x03\x00", 12);
	n += put(p + n, 127, "\x00\x80\xc2\x01\x00\x0a", 6);
	n += put(p + n, 127, "\x00\x80\xc2\x03\x00\x0a\x06vlan10", 13);
	n += put(p + n, 127, "\x00\x12\x0f\x01\x03\x6c\x03\x00\x10", 9);
	n += put(p + n, 0, "", 0);
	memset(p + n, 0, 20); /* padding after End */
	static struct lldp_info out;
	assert_int_equal(lldp_decode(p, n + 20, &out), LLDP_OK);
	char text[800];
	lldp_format_id(&out.chassis, true, text, sizeof(text));
	assert_string_equal(text, "02:00:00:00:00:01");
	lldp_format_id(&out.port, false, text, sizeof(text));
	assert_string_equal(text, "eth0");
	lldp_format_text(&out.sys_name, text, sizeof(text));
	assert_string_equal(text, "tor1");
	lldp_format_mgmt(&out.mgmt[0], text, sizeof(text));
	assert_string_equal(text, "192.0.2.1");
	assert_int_equal(out.pvid, 10);
	assert_int_equal(out.n_vlans, 1);
	assert_int_equal(out.unrecognised, 1); /* the 802.3 TLV */
	assert_int_equal(out.ttl, 121);
}

static enum lldp_error decode(const uint8_t *p, size_t n)
{
	static struct lldp_info out;
	return lldp_decode(p, n, &out);
}

static void test_refused(void **state)
{
	(void)state;
	uint8_t p[256];
	size_t n = mandatory(p);
	/* cut inside the TTL TLV, and a TLV longer than the PDU */
	assert_int_equal(decode(p, n - 1), LLDP_ERR_TRUNCATED);
	assert_int_equal(decode(p, 1), LLDP_ERR_TRUNCATED);
	/* no TLV at all, or only the chassis */
	assert_int_equal(decode(p, 0), LLDP_ERR_FIRST_TLVS);
	assert_int_equal(decode(p, 9), LLDP_ERR_FIRST_TLVS);
	/* port ID before chassis ID */
	uint8_t q[256];
	size_t m = put(q, 2,
		       "\x05"
		       "eth0",
		       5);
	m += put(q + m, 1, "\x04\x02\x00\x00\x00\x00\x01", 7);
	m += put(q + m, 3, "\x00\x79", 2);
	assert_int_equal(decode(q, m), LLDP_ERR_FIRST_TLVS);
	/* empty chassis and port IDs, a one-byte TTL */
	m = put(q, 1, "\x04", 1);
	assert_int_equal(decode(q, m), LLDP_ERR_BAD_CHASSIS);
	m = put(q, 1, "\x04\x02\x00\x00\x00\x00\x01", 7);
	size_t k = m + put(q + m, 2, "\x05", 1);
	assert_int_equal(decode(q, k), LLDP_ERR_BAD_PORT);
	k = m + put(q + m, 2,
		    "\x05"
		    "eth0",
		    5);
	assert_int_equal(decode(q, k + put(q + k, 3, "\x00", 1)), LLDP_ERR_BAD_TTL);
	/* a second TTL later */
	n += put(p + n, 5, "x", 1);
	n += put(p + n, 3, "\x00\x79", 2);
	assert_int_equal(decode(p, n), LLDP_ERR_DUPLICATE);
	assert_string_equal(lldp_error_name(LLDP_ERR_DUPLICATE), "duplicate-mandatory-tlv");
}

/* A malformed optional TLV is skipped and counted; the PDU stands. */
static void test_bad_optional_skipped(void **state)
{
	(void)state;
	uint8_t p[256];
	size_t n = mandatory(p);
	n += put(p + n, 7, "\x00\x14", 2);			   /* capabilities: 2 bytes */
	n += put(p + n, 8, "\x09\x01\xc0\x00\x02\x01\x02", 7);	   /* address longer than TLV */
	n += put(p + n, 127, "\x00\x80\xc2\x03\x00\x0a\x09vl", 9); /* name longer than TLV */
	n += put(p + n, 42, "?", 1);				   /* reserved type */
	n += put(p + n, 5, "ok", 2);
	static struct lldp_info out;
	assert_int_equal(lldp_decode(p, n, &out), LLDP_OK);
	assert_false(out.has_caps);
	assert_int_equal(out.n_mgmt, 0);
	assert_int_equal(out.n_vlans, 0);
	assert_int_equal(out.discarded, 3);
	assert_int_equal(out.unrecognised, 1);
	assert_int_equal(out.sys_name.len, 2);
}

/* More VLAN names than are kept: the rest counted as discarded. */
static void test_vlan_names_bounded(void **state)
{
	(void)state;
	uint8_t p[2048];
	size_t n = mandatory(p);
	for (unsigned v = 1; v <= LLDP_VLANS_MAX + 3; v++) {
		uint8_t t[7] = {0x00, 0x80, 0xc2, 0x03, 0, (uint8_t)v, 0};
		n += put(p + n, 127, t, 7);
	}
	static struct lldp_info out;
	assert_int_equal(lldp_decode(p, n, &out), LLDP_OK);
	assert_int_equal(out.n_vlans, LLDP_VLANS_MAX);
	assert_int_equal(out.discarded, 3);
}

static void test_format_printable(void **state)
{
	(void)state;
	struct lldp_id id = {.subtype = LLDP_PORT_LOCAL, .len = 4, .data = {'a', 0x01, 0xff, 'b'}};
	char text[800];
	lldp_format_id(&id, false, text, sizeof(text));
	assert_string_equal(text, "a??b");
	struct lldp_id net = {.subtype = 5, .len = 5, .data = {1, 192, 0, 2, 7}};
	lldp_format_id(&net, true, text, sizeof(text));
	assert_string_equal(text, "192.0.2.7");
	char small[3];
	lldp_format_id(&id, false, small, sizeof(small));
	assert_string_equal(small, "a?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_lldpd_pdu),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_bad_optional_skipped),
	    cmocka_unit_test(test_vlan_names_bounded),
	    cmocka_unit_test(test_format_printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
