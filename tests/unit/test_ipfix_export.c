/* test_ipfix_export.c — the exporter on a real UDP socket: templates (with
 * the options record) go first, then the ended flows drained from the
 * cache's ring in as few messages as fit, sequence numbers counting data
 * records; templates again after template-refresh seconds; a collector
 * that was not listening costs no message; an IPv6 collector. */
#include "helpers.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control/ipfix.h"

struct collector {
	int fd;
	struct ipfix_export_params params;
};

static void collector_open(struct collector *col, int family)
{
	col->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(col->fd >= 0);
	memset(&col->params, 0, sizeof(col->params));
	struct sockaddr_storage *ss = &col->params.collector;
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	}
	assert_int_equal(bind(col->fd, (struct sockaddr *)ss, len), 0);
	assert_int_equal(getsockname(col->fd, (struct sockaddr *)ss, &len), 0);
	col->params.observation_domain = 99;
	col->params.template_refresh = 60;
}

/* The next datagram, its length; -1 when none. */
static int receive(struct collector *col, uint8_t *buf)
{
	return (int)recv(col->fd, buf, 2048, 0);
}

static struct ipfix_cache *cache_with_exporter(struct collector *col)
{
	struct ipfix_cache_config cc = {
	    .max_flows = 64, .sampling = 5, .active_ms = 1, .idle_ms = 1};
	struct ipfix_cache *c = ipfix_cache_create(&cc);
	assert_non_null(c);
	char err[256];
	c->sink_ctx = ipfix_exporter_open(&col->params, err, sizeof(err));
	assert_non_null(c->sink_ctx);
	c->sink_free = ipfix_exporter_close;
	return c;
}

/* Puts n ended IPv4 flows into the ring, as expiry would. */
static void end_flows(struct ipfix_cache *c, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct ipfix_record r = {.key = {.family = 4, .dport = (uint16_t)i}, .packets = 1};
		c->ring[c->head++ & (c->ring_slots - 1)] = r;
	}
}

static void test_templates_then_records_with_sequence_numbers(void **state)
{
	(void)state;
	struct collector col;
	collector_open(&col, AF_INET);
	struct ipfix_cache *c = cache_with_exporter(&col);
	uint8_t buf[2048];

	end_flows(c, 3);
	assert_int_equal(ipfix_exporter_flush(c, 1000), 3);
	int len = receive(&col, buf);
	assert_true(len > 0);
	/* first: the templates and the options record, sequence 0, domain 99 */
	assert_int_equal(load_be16(buf), IPFIX_VERSION);
	assert_int_equal(load_be16(buf + 2), len);
	assert_int_equal(load_be32(buf + 4), 1000);
	assert_int_equal(load_be32(buf + 8), 0);
	assert_int_equal(load_be32(buf + 12), 99);
	assert_int_equal(load_be16(buf + 16), IPFIX_TEMPLATE_SET_ID);
	/* then the three records, after the one options record */
	len = receive(&col, buf);
	assert_int_equal(len, IPFIX_HEADER_LEN + 4 + 3 * 66);
	assert_int_equal(load_be32(buf + 8), 1);
	assert_int_equal(load_be16(buf + 16), IPFIX_TEMPLATE_IPV4);
	assert_int_equal(receive(&col, buf), -1);

	/* 100 records do not fit one message: several, numbered on */
	end_flows(c, 100);
	assert_int_equal(ipfix_exporter_flush(c, 1001), 100);
	uint32_t seq = 4, records = 0;
	while ((len = receive(&col, buf)) > 0) {
		assert_true(len <= IPFIX_MAX_MESSAGE);
		assert_int_equal(load_be32(buf + 8), seq);
		uint32_t n = (load_be16(buf + 18) - 4u) / 66;
		seq += n;
		records += n;
	}
	assert_int_equal(records, 100);
	struct ipfix_export_stats s;
	ipfix_exporter_stats(c, &s);
	assert_int_equal(s.records, 1 + 3 + 100);
	assert_int_equal(s.send_errors, 0);

	/* nothing to send before the refresh; the templates after it */
	assert_int_equal(ipfix_exporter_flush(c, 1059), 0);
	assert_int_equal(receive(&col, buf), -1);
	assert_int_equal(ipfix_exporter_flush(c, 1060), 0);
	assert_true(receive(&col, buf) > 0);
	assert_int_equal(load_be16(buf + 16), IPFIX_TEMPLATE_SET_ID);
	ipfix_cache_destroy(c);
	close(col.fd);
}

static void test_collector_not_listening_yet_loses_nothing(void **state)
{
	(void)state;
	struct collector col;
	collector_open(&col, AF_INET6);
	close(col.fd); /* the address stays in params: nobody listens there now */
	struct ipfix_cache *c = cache_with_exporter(&col);
	assert_int_equal(ipfix_exporter_flush(c, 1), 0); /* the templates: ICMP unreachable */
	usleep(10000);
	/* the collector comes up on the same port */
	col.fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_int_equal(
	    bind(col.fd, (struct sockaddr *)&col.params.collector, sizeof(struct sockaddr_in6)), 0);
	end_flows(c, 1);
	assert_int_equal(ipfix_exporter_flush(c, 2), 1);
	uint8_t buf[2048];
	assert_int_equal(receive(&col, buf), IPFIX_HEADER_LEN + 4 + 66);
	struct ipfix_export_stats s;
	ipfix_exporter_stats(c, &s);
	assert_int_equal(s.send_errors, 0);
	ipfix_cache_destroy(c);
	close(col.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_templates_then_records_with_sequence_numbers),
	    cmocka_unit_test(test_collector_not_listening_yet_loses_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
