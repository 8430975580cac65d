/* helpers.c — shared by the unit tests; see helpers.h. */
#include "helpers.h"

#include <stdlib.h>

const uint8_t test_broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

struct vswitch *test_switch(enum switch_mode mode)
{
	char err[256];
	struct packet_pool *pool = packet_pool_create(4096, 0);
	assert_non_null(pool);
	struct switch_config config;
	switch_config_init(&config);
	config.mode = mode;
	config.fdb_capacity = 1024;
	struct vswitch *sw = switch_create("sw0", &config, pool, err, sizeof(err));
	if (!sw)
		fail_msg("%s", err);
	switch_run(sw, 1000);
	return sw;
}

uint64_t test_now_ns;

static uint64_t test_clock(void)
{
	return test_now_ns;
}

int test_switch_fake_clock(void **state)
{
	test_now_ns = 1000;
	rate_limit_clock = test_clock;
	*state = test_switch(SWITCH_MODE_LEARNING);
	return 0;
}

int test_switch_teardown(void **state)
{
	test_switch_destroy(*state);
	return 0;
}

void test_switch_destroy(struct vswitch *sw)
{
	struct packet_pool *pool = sw->pool;
	switch_destroy(sw);
	/* Every buffer must be back: a leak of packets is a bug too. */
	assert_int_equal(pool->available, pool->size);
	packet_pool_destroy(pool);
}

struct bridge_port *test_port(struct vswitch *sw, const char *name, uint16_t pvid,
			      const uint16_t *vids, bool uplink)
{
	char err[256];
	struct port *port = port_create(name, "pipe", NULL, err, sizeof(err));
	if (!port)
		fail_msg("%s", err);
	struct port_config config;
	port_config_init(&config);
	config.pvid = pvid;
	for (; vids && *vids; vids++)
		bitset_set(config.vids, *vids);
	config.uplink = uplink;
	if (switch_add_port(sw, port, &config, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	return switch_find_port(sw, name);
}

const uint8_t *test_mac(unsigned n)
{
	static uint8_t macs[8][6];
	static unsigned next;
	uint8_t *m = macs[next++ % 8];
	m[0] = 0x02;
	m[1] = m[2] = m[3] = 0;
	m[4] = (uint8_t)(n >> 8);
	m[5] = (uint8_t)n;
	return m;
}

void test_send(struct vswitch *sw, struct bridge_port *port, const uint8_t *dst, const uint8_t *src,
	       int tci)
{
	uint8_t frame[128];
	size_t len = frame_build(frame, sizeof(frame), dst, src, tci, 0x0800, "payload", 7);
	test_send_raw(sw, port, frame, (uint32_t)len);
}

void test_send_raw(struct vswitch *sw, struct bridge_port *port, const void *frame, uint32_t len)
{
	assert_int_equal(pipe_inject(port->dev, port->sw->pool, frame, len, -1), 0);
	switch_poll(sw);
}

struct test_frame test_take(struct bridge_port *port)
{
	struct test_frame f;
	f.len = pipe_take(port->dev, f.data, sizeof(f.data));
	if (f.len < 0)
		f.len = -1;
	return f;
}

uint32_t test_count_and_clear(struct bridge_port *port)
{
	uint32_t n = 0;
	while (test_take(port).len >= 0)
		n++;
	return n;
}

void test_clear_all(struct vswitch *sw)
{
	for (uint16_t i = 0; i < sw->n_ports; i++)
		if (sw->ports[i])
			test_count_and_clear(sw->ports[i]);
}

int test_frame_tci(const struct test_frame *f)
{
	if (f->len < 18 || load_be16(f->data + 12) != ETH_TYPE_VLAN)
		return -1;
	return load_be16(f->data + 14);
}

int test_frame_vid(const struct test_frame *f)
{
	int tci = test_frame_tci(f);
	return tci < 0 ? -1 : (tci & 0xfff);
}
