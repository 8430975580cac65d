/* test_vlan.c — DESIGN §3 rules 1 (ingress classification and filtering,
 * stacked tags as 802.1Q reads them, the VLAN-hopping guard) and 4 (egress
 * tagging), through the whole pipeline on pipe ports. */
#include "helpers.h"

static const uint16_t vid3[] = {3, 0};

static int setup(void **state)
{
	*state = test_switch(SWITCH_MODE_LEARNING);
	return 0;
}

static int teardown(void **state)
{
	test_switch_destroy(*state);
	return 0;
}

/* Ports: access a (pvid 1), access b (pvid 1), trunk t (pvid 1, vid 3). */
static void three_ports(struct vswitch *sw, struct bridge_port **a, struct bridge_port **b,
			struct bridge_port **t)
{
	*a = test_port(sw, "a", 1, NULL, false);
	*b = test_port(sw, "b", 1, NULL, false);
	*t = test_port(sw, "t", 1, vid3, false);
}

static void test_untagged_frame_gets_pvid(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 5, NULL, false);
	struct bridge_port *t = test_port(sw, "t", 1, (const uint16_t[]){5, 0}, false);
	test_send(sw, a, test_broadcast, test_mac(1), -1);
	struct test_frame f = test_take(t);
	assert_int_equal(test_frame_vid(&f), 5);
	uint64_t key = fdb_key(5, test_mac(1));
	assert_non_null(fdb_find(sw->fdb, key, hash_u64(key)));
}

static void test_priority_tagged_frame_gets_pvid(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a, *b, *t;
	three_ports(sw, &a, &b, &t);
	test_send(sw, a, test_broadcast, test_mac(1), (5 << 13) | 0); /* PCP 5, VID 0 */
	struct test_frame fb = test_take(b);
	assert_true(fb.len > 0);
	assert_int_equal(test_frame_vid(&fb), -1); /* untagged on its PVID */
	assert_int_equal(test_count_and_clear(t), 1);
	assert_int_equal(a->counters.drops[DROP_VLAN_NOT_MEMBER], 0);
}

static void test_tagged_frame_keeps_its_vid(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a, *b, *t;
	three_ports(sw, &a, &b, &t);
	struct bridge_port *t2 = test_port(sw, "t2", 2, vid3, false);
	test_send(sw, t, test_broadcast, test_mac(1), 3);
	struct test_frame f = test_take(t2);
	assert_int_equal(test_frame_vid(&f), 3);
	assert_int_equal(test_count_and_clear(a), 0); /* VLAN 1 ports see nothing */
	assert_int_equal(test_count_and_clear(b), 0);
}

static void test_tagged_frame_for_vid_not_member_is_dropped(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a, *b, *t;
	three_ports(sw, &a, &b, &t);
	test_send(sw, a, test_broadcast, test_mac(1), 3); /* a VM trying to hop to VLAN 3 */
	assert_int_equal(a->counters.drops[DROP_VLAN_NOT_MEMBER], 1);
	assert_int_equal(test_count_and_clear(t), 0);
	assert_int_equal(test_count_and_clear(b), 0);
	uint64_t key = fdb_key(3, test_mac(1));
	assert_null(fdb_find(sw->fdb, key, hash_u64(key))); /* nor learned */
}

static void test_frame_tagged_with_pvid_is_accepted(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a, *b, *t;
	three_ports(sw, &a, &b, &t);
	test_send(sw, a, test_broadcast, test_mac(1), 1);
	struct test_frame f = test_take(b);
	assert_true(f.len > 0);
	assert_int_equal(test_frame_vid(&f), -1);
}

static void test_vid_4095_is_dropped(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a, *b, *t;
	three_ports(sw, &a, &b, &t);
	test_send(sw, t, test_broadcast, test_mac(1), 4095);
	assert_int_equal(t->counters.drops[DROP_VID_4095], 1);
	assert_int_equal(test_count_and_clear(a) + test_count_and_clear(b), 0);
}

static void test_egress_untagged_iff_vid_is_egress_pvid(void **state)
{
	struct vswitch *sw = *state;
	/* VLAN 3 is the PVID of `access3`, a tagged VLAN on `trunk`. */
	struct bridge_port *access3 = test_port(sw, "access3", 3, NULL, false);
	struct bridge_port *trunk = test_port(sw, "trunk", 1, vid3, false);
	struct bridge_port *trunk2 = test_port(sw, "trunk2", 1, vid3, false);
	test_send(sw, access3, test_broadcast, test_mac(1), -1);
	struct test_frame f = test_take(trunk);
	assert_int_equal(test_frame_vid(&f), 3);
	f = test_take(trunk2);
	assert_int_equal(test_frame_vid(&f), 3);
	test_send(sw, trunk, test_broadcast, test_mac(2), 3);
	f = test_take(access3);
	assert_int_equal(test_frame_vid(&f), -1);
	assert_int_equal(f.len, 60 - 4); /* the tag was removed, not just rewritten */
	f = test_take(trunk2);
	assert_int_equal(test_frame_vid(&f), 3);
}

/* pvid none: 802.1Q's "admit only VLAN-tagged frames" — untagged and
 * priority-tagged frames are dropped and counted, tagged ones of its VLANs
 * pass, and nothing leaves the port untagged. */
static void test_port_without_pvid_admits_tagged_frames_only(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *none = test_port(sw, "none", 0, vid3, false);
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *t = test_port(sw, "t", 1, vid3, false);
	test_send(sw, none, test_broadcast, test_mac(1), -1);
	test_send(sw, none, test_broadcast, test_mac(1), 5 << 13); /* priority tag, VID 0 */
	assert_int_equal(none->counters.drops[DROP_UNTAGGED], 2);
	assert_int_equal(test_count_and_clear(a) + test_count_and_clear(t), 0);
	test_send(sw, none, test_broadcast, test_mac(1), 3);
	struct test_frame f = test_take(t);
	assert_int_equal(test_frame_vid(&f), 3);
	test_send(sw, a, test_broadcast, test_mac(2), -1); /* VLAN 1: not its VLAN */
	assert_int_equal(test_count_and_clear(none), 0);
	test_send(sw, t, test_broadcast, test_mac(3), 3);
	f = test_take(none);
	assert_int_equal(test_frame_vid(&f), 3); /* tagged: it has no untagged VLAN */
}

static void test_egress_tag_keeps_priority_bits(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *t1 = test_port(sw, "t1", 1, vid3, false);
	struct bridge_port *t2 = test_port(sw, "t2", 1, vid3, false);
	test_send(sw, t1, test_broadcast, test_mac(1), (6 << 13) | 3);
	struct test_frame f = test_take(t2);
	assert_int_equal(test_frame_tci(&f), (6 << 13) | 3);
}

static void test_tag_stripped_by_kernel_is_honoured(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *t1 = test_port(sw, "t1", 1, vid3, false);
	struct bridge_port *t2 = test_port(sw, "t2", 1, vid3, false);
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	uint8_t frame[64];
	size_t len =
	    frame_build(frame, sizeof(frame), test_broadcast, test_mac(1), -1, 0x0800, 0, 0);
	/* A packet socket delivers the tag in PACKET_AUXDATA, not in the frame. */
	assert_int_equal(pipe_inject(t1->dev, t1->sw->pool, frame, (uint32_t)len, 3), 0);
	switch_poll(sw);
	struct test_frame f = test_take(t2);
	assert_int_equal(test_frame_vid(&f), 3);
	assert_int_equal(test_count_and_clear(a), 0);
	assert_int_equal(pipe_inject(a->dev, a->sw->pool, frame, (uint32_t)len, 7),
			 0); /* VID 7: not a member */
	switch_poll(sw);
	assert_int_equal(a->counters.drops[DROP_VLAN_NOT_MEMBER], 1);
}

/* ---- stacked tags: only the outer C-tag is ours ------------------------- */

#define STACKED_LEN 64

/* dst broadcast, src test_mac(src), then 16-bit words from offset 12, the
 * rest a payload pattern the tests compare. */
static void stacked_frame(uint8_t *buf, unsigned src, const uint16_t *words, unsigned n_words)
{
	for (unsigned i = 0; i < STACKED_LEN; i++)
		buf[i] = (uint8_t)(0xa0 + i);
	memcpy(buf, test_broadcast, 6);
	memcpy(buf + 6, test_mac(src), 6);
	for (unsigned i = 0; i < n_words; i++)
		store_be16(buf + 12 + 2 * i, words[i]);
}

/* The frame that left `port`, which must be `want` with `tag` (a whole
 * 4-byte tag, or NULL) inserted after the addresses and `pop` bytes of
 * `want`'s header removed there. */
static void assert_frame_is(struct bridge_port *port, const uint8_t *want, uint32_t pop,
			    const uint16_t *tag)
{
	struct test_frame f = test_take(port);
	uint8_t expect[STACKED_LEN + VLAN_TAG_LEN];
	uint32_t len = 12;
	memcpy(expect, want, 12);
	if (tag) {
		store_be16(expect + 12, tag[0]);
		store_be16(expect + 14, tag[1]);
		len += VLAN_TAG_LEN;
	}
	memcpy(expect + len, want + 12 + pop, STACKED_LEN - 12 - pop);
	len += STACKED_LEN - 12 - pop;
	assert_int_equal(f.len, len);
	assert_memory_equal(f.data, expect, len);
}

static void set_stacked_tags(struct vswitch *sw, struct bridge_port *port, enum stacked_tags how)
{
	struct port_config c = port->config;
	c.vlan_guard.stacked_tags = (uint8_t)how;
	char err[256];
	assert_int_equal(switch_configure_port(sw, port, &c, err, sizeof(err)), 0);
}

static void test_double_tagged_frame_goes_by_outer_tag_inner_intact(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *t = test_port(sw, "t", 1, vid3, false);
	struct bridge_port *t2 = test_port(sw, "t2", 1, vid3, false);
	struct bridge_port *access3 = test_port(sw, "access3", 3, NULL, false);
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	uint8_t frame[STACKED_LEN];
	stacked_frame(frame, 1, (const uint16_t[]){ETH_TYPE_VLAN, 3, ETH_TYPE_VLAN, 100, 0x0800},
		      5);
	test_send_raw(sw, t, frame, sizeof(frame));
	assert_frame_is(t2, frame, 0, NULL); /* tagged VLAN 3: exactly as received */
	assert_frame_is(access3, frame, VLAN_TAG_LEN, NULL); /* outer popped, inner kept */
	assert_int_equal(test_count_and_clear(a), 0);	     /* not VLAN 100, not VLAN 1 */
	uint64_t key = fdb_key(3, test_mac(1));
	assert_non_null(fdb_find(sw->fdb, key, hash_u64(key)));
	assert_int_equal(t->counters.drops[DROP_STACKED_TAG], 0);
}

static void test_inner_tag_does_not_make_a_frame_hop_vlans(void **state)
{
	struct vswitch *sw = *state;
	/* An access VM (pvid 1) sends C-tag 0 (priority) + C-tag 3: VLAN 1. */
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	struct bridge_port *t = test_port(sw, "t", 2, vid3, false);
	uint8_t frame[STACKED_LEN];
	stacked_frame(frame, 1, (const uint16_t[]){ETH_TYPE_VLAN, 0, ETH_TYPE_VLAN, 3, 0x0800}, 5);
	test_send_raw(sw, a, frame, sizeof(frame));
	assert_frame_is(b, frame, VLAN_TAG_LEN, NULL); /* priority tag gone, VLAN-3 tag payload */
	assert_int_equal(test_count_and_clear(t), 0);  /* never reaches VLAN 3 */
}

static void test_service_tagged_frame_is_untagged_and_takes_pvid(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *in = test_port(sw, "in", 2, NULL, false);
	struct bridge_port *out2 = test_port(sw, "out2", 2, NULL, false);
	struct bridge_port *trunk = test_port(sw, "trunk", 1, (const uint16_t[]){2, 0}, false);
	struct bridge_port *v3 = test_port(sw, "v3", 3, NULL, false);
	const uint16_t tpids[] = {ETH_TYPE_QINQ, ETH_TYPE_QINQ_OLD};
	for (unsigned i = 0; i < ARRAY_SIZE(tpids); i++) {
		uint8_t frame[STACKED_LEN];
		stacked_frame(frame, 1, (const uint16_t[]){tpids[i], 3, ETH_TYPE_VLAN, 100, 0x0800},
			      5);
		test_send_raw(sw, in, frame, sizeof(frame));
		assert_frame_is(out2, frame, 0, NULL); /* VLAN 2 untagged: S-tag intact */
		/* our C-tag goes outside the S-tag, as Linux and OVS push theirs */
		assert_frame_is(trunk, frame, 0, (const uint16_t[]){ETH_TYPE_VLAN, 2});
		assert_int_equal(test_count_and_clear(v3), 0); /* the S-VID 3 means nothing */
	}
	uint64_t key = fdb_key(2, test_mac(1));
	assert_non_null(fdb_find(sw->fdb, key, hash_u64(key)));
}

static void test_kernel_stripped_outer_tag_with_inline_inner_tag(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *t = test_port(sw, "t", 1, vid3, false);
	struct bridge_port *t2 = test_port(sw, "t2", 1, vid3, false);
	struct bridge_port *access3 = test_port(sw, "access3", 3, NULL, false);
	uint8_t frame[STACKED_LEN];
	stacked_frame(frame, 1, (const uint16_t[]){ETH_TYPE_VLAN, 100, 0x0800}, 3);
	/* A packet socket took the outer tag (VID 3, PCP 5) into auxdata. */
	assert_int_equal(pipe_inject(t->dev, sw->pool, frame, sizeof(frame), (5 << 13) | 3), 0);
	switch_poll(sw);
	assert_frame_is(t2, frame, 0, (const uint16_t[]){ETH_TYPE_VLAN, (5 << 13) | 3});
	assert_frame_is(access3, frame, 0, NULL);
}

static void test_guard_drops_stacked_frames_and_counts(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *t = test_port(sw, "t", 1, vid3, false);
	struct bridge_port *t2 = test_port(sw, "t2", 1, vid3, false);
	set_stacked_tags(sw, t, STACKED_TAGS_DROP);
	uint8_t cc[STACKED_LEN], sc[STACKED_LEN], meta[STACKED_LEN], single[STACKED_LEN];
	stacked_frame(cc, 1, (const uint16_t[]){ETH_TYPE_VLAN, 3, ETH_TYPE_VLAN, 100, 0x0800}, 5);
	stacked_frame(sc, 1, (const uint16_t[]){ETH_TYPE_QINQ, 3, ETH_TYPE_VLAN, 100, 0x0800}, 5);
	stacked_frame(meta, 1, (const uint16_t[]){ETH_TYPE_VLAN, 100, 0x0800}, 3);
	stacked_frame(single, 1, (const uint16_t[]){ETH_TYPE_VLAN, 3, 0x0800}, 3);
	test_send_raw(sw, t, cc, sizeof(cc));
	test_send_raw(sw, t, sc, sizeof(sc));
	assert_int_equal(pipe_inject(t->dev, sw->pool, meta, sizeof(meta), 3), 0);
	switch_poll(sw);
	assert_int_equal(t->counters.drops[DROP_STACKED_TAG], 3);
	assert_int_equal(test_count_and_clear(t2), 0);
	uint64_t key = fdb_key(3, test_mac(1));
	assert_null(fdb_find(sw->fdb, key, hash_u64(key))); /* nor learned */
	/* one tag, or none, still passes */
	test_send_raw(sw, t, single, sizeof(single));
	test_send(sw, t, test_broadcast, test_mac(2), -1);
	assert_int_equal(test_count_and_clear(t2), 2);
	assert_int_equal(t->counters.drops[DROP_STACKED_TAG], 3);
	/* only the port with the guard: t2 still forwards stacked frames */
	test_send_raw(sw, t2, cc, sizeof(cc));
	assert_int_equal(test_count_and_clear(t), 1);
	/* and it can be lifted */
	set_stacked_tags(sw, t, STACKED_TAGS_FORWARD);
	test_send_raw(sw, t, cc, sizeof(cc));
	assert_int_equal(test_count_and_clear(t2), 1);
	assert_int_equal(t->counters.drops[DROP_STACKED_TAG], 3);
}

/* By default the guard follows port security: a secured VM port would
 * otherwise pass an IP packet behind a second tag without reading it. */
static void test_guard_is_on_by_default_on_a_secured_port(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *t = test_port(sw, "t", 1, vid3, false);
	struct bridge_port *t2 = test_port(sw, "t2", 1, vid3, false);
	struct port_config c = t->config;
	c.security.trusted = PSEC_REJECT; /* the DHCP and RA guards, nothing bound */
	port_security_update(&c.security);
	char err[256];
	assert_int_equal(switch_configure_port(sw, t, &c, err, sizeof(err)), 0);
	assert_int_equal(t->config.vlan_guard.stacked_tags, STACKED_TAGS_DEFAULT);
	uint8_t cc[STACKED_LEN];
	stacked_frame(cc, 1, (const uint16_t[]){ETH_TYPE_VLAN, 3, ETH_TYPE_VLAN, 100, 0x0800}, 5);
	test_send_raw(sw, t, cc, sizeof(cc));
	assert_int_equal(t->counters.drops[DROP_STACKED_TAG], 1);
	assert_int_equal(test_count_and_clear(t2), 0);
	/* forward, named, overrides the default */
	set_stacked_tags(sw, t, STACKED_TAGS_FORWARD);
	test_send_raw(sw, t, cc, sizeof(cc));
	assert_int_equal(test_count_and_clear(t2), 1);
	/* an unsecured port forwards by default */
	test_send_raw(sw, t2, cc, sizeof(cc));
	assert_int_equal(test_count_and_clear(t), 1);
	assert_int_equal(t2->counters.drops[DROP_STACKED_TAG], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_untagged_frame_gets_pvid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_guard_is_on_by_default_on_a_secured_port, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_priority_tagged_frame_gets_pvid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tagged_frame_keeps_its_vid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tagged_frame_for_vid_not_member_is_dropped, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_frame_tagged_with_pvid_is_accepted, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_vid_4095_is_dropped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_egress_untagged_iff_vid_is_egress_pvid, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_egress_tag_keeps_priority_bits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_port_without_pvid_admits_tagged_frames_only, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_tag_stripped_by_kernel_is_honoured, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_double_tagged_frame_goes_by_outer_tag_inner_intact,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_inner_tag_does_not_make_a_frame_hop_vlans, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_service_tagged_frame_is_untagged_and_takes_pvid,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kernel_stripped_outer_tag_with_inline_inner_tag,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_guard_drops_stacked_frames_and_counts, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
