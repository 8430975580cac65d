/* test_rate_limit.c — the token bucket on an injected clock (the rate exact
 * over simulated seconds at 1 kbit/s and 100 Gbit/s, the burst honoured, no
 * overflow at the extremes, an hour idle then one burst) and ingress
 * policing through the pipeline. */
#include "helpers.h"

/* Offers frames of `len` bytes as fast as the bucket takes them, refilling
 * every `step_ns` for `seconds`; returns the bytes that passed. */
static uint64_t run_bucket(uint64_t rate, uint64_t burst, uint32_t len, uint64_t step_ns,
			   uint64_t seconds)
{
	struct token_bucket b;
	token_bucket_init(&b, rate, burst * 8, 0);
	const int64_t cost = (int64_t)len * 8 * (int64_t)RATE_NS;
	uint64_t bytes = 0;
	for (uint64_t t = 0; t <= seconds * RATE_NS; t += step_ns) {
		token_bucket_refill(&b, t);
		while (token_bucket_take(&b, cost))
			bytes += len;
	}
	return bytes;
}

static void assert_rate_within_one_percent(uint64_t rate, uint64_t burst, uint32_t len,
					   uint64_t step_ns, uint64_t seconds)
{
	uint64_t bytes = run_bucket(rate, burst, len, step_ns, seconds);
	double want = (double)rate / 8 * (double)seconds;
	double got = (double)(bytes - burst); /* the first burst is free */
	if (got < want * 0.99 || got > want * 1.01)
		fail_msg("rate %llu: %.0f bytes in %llu s, want %.0f", (unsigned long long)rate,
			 got, (unsigned long long)seconds, want);
}

static void test_rate_is_exact_from_1k_to_100g(void **state)
{
	(void)state;
	assert_rate_within_one_percent(1000, 1500, 64, 10000000, 3600);	    /* 1 kbit/s, 1 h */
	assert_rate_within_one_percent(10000000, 65536, 1514, 10000, 3);    /* 10M */
	assert_rate_within_one_percent(1000000000, 262144, 1514, 10000, 2); /* 1G */
	assert_rate_within_one_percent(100000000000ULL, 1 << 22, 65535, 100000, 2); /* 100G */
	/* Refills far shorter than one frame's worth lose nothing. */
	assert_rate_within_one_percent(1000000, 1514, 1514, 1000, 3);
}

static void test_burst_is_honoured(void **state)
{
	(void)state;
	struct token_bucket b;
	token_bucket_init(&b, 1000000, 10000 * 8, 0);
	const int64_t cost = 1000 * 8 * (int64_t)RATE_NS;
	int n = 0;
	while (token_bucket_take(&b, cost))
		n++;
	assert_int_equal(n, 10);
	token_bucket_refill(&b, 8000000); /* 8 ms at 1 Mbit/s = 1000 bytes */
	assert_true(token_bucket_take(&b, cost));
	assert_false(token_bucket_take(&b, cost));
}

static void test_no_overflow_at_the_extremes(void **state)
{
	(void)state;
	struct token_bucket b;
	token_bucket_init(&b, RATE_MAX_BPS, RATE_MAX_BURST * 8, 0);
	const int64_t big = (int64_t)RATE_MAX_FRAME * 8 * (int64_t)RATE_NS;
	while (token_bucket_take(&b, big))
		;
	token_bucket_refill(&b, UINT64_MAX / 2); /* centuries idle */
	assert_int_equal(b.tokens, b.depth);
	assert_true(b.tokens > 0);
	token_bucket_init(&b, RATE_MIN_BPS, RATE_MAX_BURST * 8, 0);
	assert_true(token_bucket_take(&b, big));
	token_bucket_refill(&b, UINT64_MAX - 1);
	assert_int_equal(b.tokens, b.depth);
}

static void test_an_hour_idle_then_exactly_one_burst(void **state)
{
	(void)state;
	struct token_bucket b;
	token_bucket_init(&b, 10000000, 20000 * 8, 0);
	const int64_t cost = 1000 * 8 * (int64_t)RATE_NS;
	while (token_bucket_take(&b, cost))
		;
	token_bucket_refill(&b, 3600 * RATE_NS);
	int n = 0;
	while (token_bucket_take(&b, cost))
		n++;
	assert_int_equal(n, 20);
}

static void test_a_frame_larger_than_the_burst_passes_when_full(void **state)
{
	(void)state;
	struct token_bucket b;
	token_bucket_init(&b, 8000, 100 * 8, 0); /* 1000 bytes/s, burst 100 */
	const int64_t cost = 1000 * 8 * (int64_t)RATE_NS;
	assert_true(token_bucket_take(&b, cost)); /* 900 bytes of debt */
	token_bucket_refill(&b, RATE_NS / 2);
	assert_false(token_bucket_take(&b, cost));
	token_bucket_refill(&b, RATE_NS); /* repaid and full again */
	assert_true(token_bucket_take(&b, cost));
}

static void test_a_clock_going_back_adds_nothing(void **state)
{
	(void)state;
	struct token_bucket b;
	token_bucket_init(&b, 8000, 100 * 8, RATE_NS);
	b.tokens = 0;
	token_bucket_refill(&b, RATE_NS / 2);
	assert_int_equal(b.tokens, 0);
	assert_int_equal(b.last_ns, RATE_NS);
}

static void test_gso_frame_counts_every_segment_header(void **state)
{
	(void)state;
	struct packet p = {.len = 66 + 3000, .flags = PACKET_F_OFFLOAD};
	p.offload.gso_type = 1;
	p.offload.gso_size = 1000;
	p.offload.hdr_len = 66;
	assert_int_equal(rate_frame_bytes(&p), 66 * 3 + 3000);
	p.offload.gso_size = 1; /* a lying header costs at most RATE_MAX_FRAME */
	p.len = 65000;
	assert_int_equal(rate_frame_bytes(&p), RATE_MAX_FRAME);
	p.flags = 0;
	assert_int_equal(rate_frame_bytes(&p), 65000);
}

static void configure(struct vswitch *sw, struct bridge_port *port,
		      const struct port_rate_config *rate)
{
	char err[256];
	struct port_config c = port->config;
	c.rate = *rate;
	if (switch_configure_port(sw, port, &c, err, sizeof(err)))
		fail_msg("%s", err);
}

/* Injects n frames of 1000 bytes from a to b (known to the switch) and
 * runs the switch once. */
static void inject(struct vswitch *sw, struct bridge_port *a, int n)
{
	uint8_t frame[1000] = {0};
	frame_build(frame, sizeof(frame), test_mac(2), test_mac(1), -1, 0x88b5, NULL, 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(pipe_inject(a->dev, sw->pool, frame, sizeof(frame), -1), 0);
	switch_poll(sw);
}

static void test_policing_drops_beyond_the_burst_and_counts(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct bridge_port *b = test_port(sw, "b", 1, NULL, false);
	test_send(sw, b, test_broadcast, test_mac(2), -1);
	test_clear_all(sw);
	struct port_rate_config rate = {.ingress_rate = 8000000, .ingress_burst = 10000};
	configure(sw, a, &rate); /* 1 MB/s, 10 frames of burst */
	inject(sw, a, 20);
	assert_int_equal(test_count_and_clear(b), 10);
	assert_int_equal(a->counters.drops[DROP_POLICED], 10);
	test_now_ns += 5000000; /* 5 ms: 5000 bytes */
	inject(sw, a, 10);
	assert_int_equal(test_count_and_clear(b), 5);
	assert_int_equal(a->counters.drops[DROP_POLICED], 15);
	/* Off again: everything passes, and the switch pays nothing. */
	rate.ingress_rate = rate.ingress_burst = 0;
	configure(sw, a, &rate);
	assert_false(a->rate.police);
	inject(sw, a, 30);
	assert_int_equal(test_count_and_clear(b), 30);
}

static void test_unchanged_setting_keeps_its_credit(void **state)
{
	struct vswitch *sw = *state;
	struct bridge_port *a = test_port(sw, "a", 1, NULL, false);
	struct port_rate_config rate = {.ingress_rate = 8000000, .ingress_burst = 10000};
	configure(sw, a, &rate);
	a->rate.ingress.tokens = 0;
	struct port_config c = a->config;
	c.hairpin = true; /* another setting changes */
	char err[256];
	assert_int_equal(switch_configure_port(sw, a, &c, err, sizeof(err)), 0);
	assert_int_equal(a->rate.ingress.tokens, 0);
}

static void test_validation_refuses_incoherent_settings(void **state)
{
	(void)state;
	char err[256];
	struct port_rate_config r = {.ingress_burst = 1000};
	assert_int_equal(rate_limit_validate("p", &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ingress-burst needs ingress-rate"));
	r = (struct port_rate_config){.egress_rate = 100000000, .egress_peak = 10000000};
	assert_int_equal(rate_limit_validate("p", &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "egress-peak must be at least"));
	r = (struct port_rate_config){.ingress_rate = 999};
	assert_int_equal(rate_limit_validate("p", &r, err, sizeof(err)), -EINVAL);
	r = (struct port_rate_config){.egress_rate = 1000, .egress_burst = RATE_MAX_BURST + 1};
	assert_int_equal(rate_limit_validate("p", &r, err, sizeof(err)), -EINVAL);
	r = (struct port_rate_config){
	    .egress_rate = 1000, .egress_peak = 2000, .storm_pps = {1, 2, 3}};
	assert_int_equal(rate_limit_validate("p", &r, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rate_is_exact_from_1k_to_100g),
	    cmocka_unit_test(test_burst_is_honoured),
	    cmocka_unit_test(test_no_overflow_at_the_extremes),
	    cmocka_unit_test(test_an_hour_idle_then_exactly_one_burst),
	    cmocka_unit_test(test_a_frame_larger_than_the_burst_passes_when_full),
	    cmocka_unit_test(test_a_clock_going_back_adds_nothing),
	    cmocka_unit_test(test_gso_frame_counts_every_segment_header),
	    cmocka_unit_test_setup_teardown(test_policing_drops_beyond_the_burst_and_counts,
					    test_switch_fake_clock, test_switch_teardown),
	    cmocka_unit_test_setup_teardown(test_unchanged_setting_keeps_its_credit,
					    test_switch_fake_clock, test_switch_teardown),
	    cmocka_unit_test(test_validation_refuses_incoherent_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
