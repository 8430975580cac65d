/* test_lldp.c — the LLDP agent (src/ha/lldp.c) on a switch of pipe ports:
 * an uplink listens by default and a VM port does not; what is heard is
 * kept per port (updated, aged out by its TTL, removed by TTL 0, bounded,
 * malformed frames counted by reason), never relayed to another port; a
 * port that sends starts fast, then every tx-interval, untagged, with its
 * name, VLANs and the daemon's settings, and says TTL 0 when it stops. */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "engine/datapath.h"
#include "ha/lldp.h"
#include "helpers.h"

static const uint8_t lldp_dst[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e};

struct lab {
	struct vswitch *sw;
	struct datapath dp;
	struct bridge_port *up, *vm;
};

static int setup(void **state)
{
	struct lab *l = calloc(1, sizeof(*l));
	l->sw = test_switch(SWITCH_MODE_LEARNING);
	static const uint16_t vids[] = {10, 20, 0};
	l->up = test_port(l->sw, "uplink0", 1, vids, true);
	l->vm = test_port(l->sw, "vm1", 10, NULL, false);
	l->dp.switches[0] = l->sw;
	l->dp.n_switches = 1;
	l->dp.pool = l->sw->pool;
	switch_run(l->sw, 1000);
	*state = l;
	return 0;
}

static int teardown(void **state)
{
	struct lab *l = *state;
	lldp_reset(&l->dp);
	test_switch_destroy(l->sw);
	free(l);
	return 0;
}

static uint64_t now_ms(void)
{
	return time_now_ns() / 1000000;
}

/* An LLDP frame from neighbour `n` (chassis 02:00:00:00:00:n, port eth0). */
static int lldp_frame(uint8_t *f, unsigned n, uint16_t ttl, const char *name)
{
	static struct lldp_info info;
	memset(&info, 0, sizeof(info));
	info.chassis.subtype = LLDP_CHASSIS_MAC;
	info.chassis.len = 6;
	memcpy(info.chassis.data, test_mac(n), 6);
	info.port.subtype = LLDP_PORT_IFNAME;
	info.port.len = 4;
	memcpy(info.port.data, "eth0", 4);
	info.ttl = ttl;
	info.sys_name.len = (uint8_t)strlen(name);
	memcpy(info.sys_name.data, name, info.sys_name.len);
	memcpy(f, lldp_dst, 6);
	memcpy(f + 6, test_mac(n), 6);
	store_be16(f + 12, LLDP_ETH_TYPE);
	int len = lldp_encode(&info, f + 14, 1400);
	assert_true(len > 0);
	return len + 14 < 60 ? 60 : len + 14;
}

static void hear(struct lab *l, struct bridge_port *port, unsigned n, uint16_t ttl)
{
	uint8_t f[1500] = {0};
	int len = lldp_frame(f, n, ttl, "tor1");
	test_send_raw(l->sw, port, f, (uint32_t)len);
}

/* The port's entry of `lldp show --json`, NULL when it does not run LLDP;
 * free with cJSON_Delete(*doc). */
static cJSON *shown(struct lab *l, const char *port, cJSON **doc)
{
	*doc = cJSON_CreateArray();
	if (lldp_show(&l->dp, port, NULL, *doc) < 0)
		return NULL;
	return cJSON_GetArrayItem(*doc, 0);
}

static double counter(struct lab *l, const char *port, const char *name)
{
	cJSON *doc;
	cJSON *p = shown(l, port, &doc);
	assert_non_null(p);
	double v = cJSON_GetObjectItem(cJSON_GetObjectItem(p, "counters"), name)->valuedouble;
	cJSON_Delete(doc);
	return v;
}

static int neighbors(struct lab *l, const char *port)
{
	cJSON *doc;
	cJSON *p = shown(l, port, &doc);
	int n = p ? cJSON_GetArraySize(cJSON_GetObjectItem(p, "neighbors")) : -1;
	cJSON_Delete(doc);
	return n;
}

static void set_mode(struct lab *l, struct bridge_port *port, enum lldp_mode mode)
{
	struct port_config c = port->config;
	c.lldp.mode = (uint8_t)mode;
	char err[256];
	assert_int_equal(switch_configure_port(l->sw, port, &c, err, sizeof(err)), 0);
}

static void test_uplink_listens_by_default(void **state)
{
	struct lab *l = *state;
	lldp_run(&l->dp, now_ms());
	hear(l, l->up, 1, 120);
	/* consumed, relayed nowhere, nothing sent back (rx only) */
	assert_int_equal(l->up->counters.consumed, 1);
	assert_int_equal(l->up->counters.drops[DROP_LINK_LOCAL], 0);
	assert_int_equal(test_count_and_clear(l->vm), 0);
	assert_int_equal(test_count_and_clear(l->up), 0);
	cJSON *doc;
	cJSON *p = shown(l, "uplink0", &doc);
	assert_string_equal(cJSON_GetObjectItem(p, "mode")->valuestring, "rx");
	cJSON *n = cJSON_GetArrayItem(cJSON_GetObjectItem(p, "neighbors"), 0);
	assert_string_equal(cJSON_GetObjectItem(n, "chassis_id")->valuestring, "02:00:00:00:00:01");
	assert_string_equal(cJSON_GetObjectItem(n, "port_id")->valuestring, "eth0");
	assert_string_equal(cJSON_GetObjectItem(n, "system_name")->valuestring, "tor1");
	assert_true(cJSON_GetObjectItem(n, "ttl_left")->valuedouble > 118);
	cJSON_Delete(doc);
	/* the same neighbour again updates its entry */
	hear(l, l->up, 1, 120);
	assert_int_equal(neighbors(l, "uplink0"), 1);
	assert_int_equal(counter(l, "uplink0", "rx"), 2);
	assert_int_equal(counter(l, "uplink0", "tx"), 0);
}

/* A VM port does not run LLDP: its LLDP frames are dropped as link-local,
 * as before, and relayed to no one. */
static void test_vm_port_off(void **state)
{
	struct lab *l = *state;
	lldp_run(&l->dp, now_ms());
	hear(l, l->vm, 1, 120);
	assert_int_equal(l->vm->counters.drops[DROP_LINK_LOCAL], 1);
	assert_int_equal(l->vm->counters.consumed, 0);
	assert_int_equal(test_count_and_clear(l->up), 0);
	cJSON *doc;
	assert_null(shown(l, "vm1", &doc));
	cJSON_Delete(doc);
}

/* No port runs LLDP: the switch has no link handler, and LLDP frames are
 * still never relayed. */
static void test_no_lldp_no_handler(void **state)
{
	struct lab *l = *state;
	set_mode(l, l->up, LLDP_MODE_OFF);
	lldp_run(&l->dp, now_ms());
	assert_int_equal(l->sw->n_link_handlers, 0);
	hear(l, l->up, 1, 120);
	assert_int_equal(l->up->counters.drops[DROP_LINK_LOCAL], 1);
	assert_int_equal(test_count_and_clear(l->vm), 0);
}

static void test_ttl_ages_and_shutdown_removes(void **state)
{
	struct lab *l = *state;
	lldp_run(&l->dp, now_ms());
	hear(l, l->up, 1, 2);
	hear(l, l->up, 2, 120);
	assert_int_equal(neighbors(l, "uplink0"), 2);
	/* the next run is due when the short TTL runs out */
	uint64_t due = lldp_run(&l->dp, now_ms());
	assert_true(due <= now_ms() + 2000);
	lldp_run(&l->dp, now_ms() + 2500);
	assert_int_equal(neighbors(l, "uplink0"), 1);
	assert_int_equal(counter(l, "uplink0", "aged_out"), 1);
	hear(l, l->up, 2, 0);
	assert_int_equal(neighbors(l, "uplink0"), 0);
	assert_int_equal(counter(l, "uplink0", "shutdown"), 1);
}

static void test_neighbors_bounded(void **state)
{
	struct lab *l = *state;
	lldp_run(&l->dp, now_ms());
	for (unsigned i = 1; i <= LLDP_NEIGHBORS_MAX + 2; i++)
		hear(l, l->up, i, 120);
	assert_int_equal(neighbors(l, "uplink0"), LLDP_NEIGHBORS_MAX);
	assert_int_equal(counter(l, "uplink0", "too_many_neighbors"), 2);
	/* one that is known still updates */
	hear(l, l->up, 1, 120);
	assert_int_equal(counter(l, "uplink0", "too_many_neighbors"), 2);
}

static void test_malformed_counted(void **state)
{
	struct lab *l = *state;
	lldp_run(&l->dp, now_ms());
	uint8_t f[1500] = {0};
	int len = lldp_frame(f, 1, 120, "tor1");
	f[14] = 0x04; /* the chassis TLV becomes a port TLV */
	test_send_raw(l->sw, l->up, f, (uint32_t)len);
	len = lldp_frame(f, 1, 120, "tor1");
	f[15] = 0xff; /* the chassis TLV runs past the frame */
	f[14] |= 1;
	test_send_raw(l->sw, l->up, f, (uint32_t)len);
	assert_int_equal(counter(l, "uplink0", "discarded"), 2);
	assert_int_equal(counter(l, "uplink0", "rx"), 0);
	cJSON *doc;
	cJSON *p = shown(l, "uplink0", &doc);
	cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(p, "counters"), "malformed");
	assert_int_equal(cJSON_GetObjectItem(m, "bad-first-tlvs")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(m, "truncated")->valueint, 1);
	cJSON_Delete(doc);
	assert_int_equal(test_count_and_clear(l->vm), 0);
}

static void take_lldp(struct bridge_port *port, struct lldp_info *info)
{
	struct test_frame f = test_take(port);
	assert_true(f.len >= 60);
	assert_memory_equal(f.data, lldp_dst, 6);
	assert_int_equal(load_be16(f.data + 12), LLDP_ETH_TYPE); /* untagged */
	assert_int_equal(lldp_decode(f.data + 14, (size_t)f.len - 14, info), LLDP_OK);
}

static void test_transmit(void **state)
{
	struct lab *l = *state;
	struct lldp_settings s = {.system_name = "hv01", .tx_interval = 5};
	s.n_mgmt = 1;
	s.mgmt[0].family = 4;
	memcpy(s.mgmt[0].addr, "\xc0\x00\x02\x0a", 4);
	lldp_configure(&s);
	set_mode(l, l->up, LLDP_MODE_RXTX);
	uint64_t t = now_ms();
	uint64_t due = lldp_run(&l->dp, t);
	static struct lldp_info info;
	take_lldp(l->up, &info);
	assert_int_equal(test_count_and_clear(l->vm), 0);
	assert_int_equal(info.port.subtype, LLDP_PORT_IFNAME);
	assert_memory_equal(info.port.data, "uplink0", 7);
	assert_int_equal(info.ttl, 5 * LLDP_TX_HOLD + 1);
	assert_memory_equal(info.sys_name.data, "hv01", 4);
	assert_int_equal(info.n_mgmt, 1);
	assert_int_equal(info.caps_enabled, LLDP_CAP_BRIDGE);
	assert_int_equal(info.pvid, 1);
	assert_int_equal(info.n_vlans, 3);
	assert_int_equal(info.vlans[2].vid, 20);
	/* fast start: LLDP_TX_FAST_INIT more a second apart, then every 5 s */
	assert_int_equal(due, t + 1000);
	for (unsigned i = 0; i < LLDP_TX_FAST_INIT; i++) {
		t += 1000;
		lldp_run(&l->dp, t);
		take_lldp(l->up, &info);
	}
	assert_int_equal(lldp_run(&l->dp, t + 1000), t + 5000);
	assert_int_equal(test_count_and_clear(l->up), 0);
	assert_int_equal(lldp_run(&l->dp, t + 5000), t + 10000);
	take_lldp(l->up, &info);
	/* turned off: one last frame with TTL 0 */
	set_mode(l, l->up, LLDP_MODE_OFF);
	lldp_run(&l->dp, t + 6000);
	take_lldp(l->up, &info);
	assert_int_equal(info.ttl, 0);
	lldp_run(&l->dp, t + 20000);
	assert_int_equal(test_count_and_clear(l->up), 0);
}

/* A tx-only port does not listen: what it hears is link-local, dropped. */
static void test_tx_only_does_not_listen(void **state)
{
	struct lab *l = *state;
	set_mode(l, l->up, LLDP_MODE_TX);
	lldp_run(&l->dp, now_ms());
	test_count_and_clear(l->up);
	hear(l, l->up, 1, 120);
	assert_int_equal(l->up->counters.drops[DROP_LINK_LOCAL], 1);
	assert_int_equal(neighbors(l, "uplink0"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_uplink_listens_by_default, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vm_port_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_lldp_no_handler, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ttl_ages_and_shutdown_removes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_neighbors_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_counted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transmit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tx_only_does_not_listen, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
