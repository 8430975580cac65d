/* test_http.c — the HTTP listener's request parser (src/control/http.c):
 * each answer of http_parse_request() (whole, not yet, and every refusal
 * status), pipelined requests, a request split at every byte, percent-
 * decoding, the "/../" refusal, the size limits, and the reason phrases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/http.h"

static int parse(const char *text, struct http_request *req)
{
	return http_parse_request((const uint8_t *)text, strlen(text), req);
}

static int status_of(const char *text)
{
	struct http_request req;
	return parse(text, &req);
}

static void test_get_is_parsed_with_path_query_and_keep_alive(void **state)
{
	(void)state;
	const char *text = "GET /metrics?x=1&y=%41 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n";
	struct http_request req;
	assert_int_equal(parse(text, &req), (int)strlen(text));
	assert_int_equal(req.method, HTTP_GET);
	assert_string_equal(req.path, "/metrics");
	assert_string_equal(req.query, "x=1&y=%41"); /* the query is not decoded */
	assert_true(req.keep_alive);
	assert_false(req.http10);
}

static void test_head_and_connection_headers(void **state)
{
	(void)state;
	struct http_request req;
	assert_true(parse("HEAD / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &req) > 0);
	assert_int_equal(req.method, HTTP_HEAD);
	assert_false(req.keep_alive);
	assert_true(parse("GET / HTTP/1.0\r\n\r\n", &req) > 0);
	assert_true(req.http10);
	assert_false(req.keep_alive); /* 1.0 closes unless it asks */
	assert_true(parse("GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n", &req) > 0);
	assert_true(req.keep_alive);
	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", &req) > 0);
	assert_false(req.keep_alive);
	/* A bare LF ends a line too. */
	assert_true(parse("GET /a HTTP/1.1\nHost: a\n\n", &req) > 0);
	assert_string_equal(req.path, "/a");
}

static void test_incomplete_request_asks_for_more(void **state)
{
	(void)state;
	assert_int_equal(status_of(""), 0);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\n"), 0);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\n\r"), 0);
}

static void test_every_split_of_a_request_waits_then_parses(void **state)
{
	(void)state;
	const char *text = "GET /a%20b HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n";
	size_t len = strlen(text);
	struct http_request req;
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(http_parse_request((const uint8_t *)text, cut, &req), 0);
	assert_int_equal(http_parse_request((const uint8_t *)text, len, &req), (int)len);
	assert_string_equal(req.path, "/a b");
}

static void test_pipelined_requests_are_taken_one_at_a_time(void **state)
{
	(void)state;
	const char *text = "GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
			   "HEAD /two HTTP/1.1\r\nHost: a\r\n\r\n"
			   "GET /thr";
	struct http_request req;
	size_t len = strlen(text);
	int first = http_parse_request((const uint8_t *)text, len, &req);
	assert_int_equal(first, 30);
	assert_string_equal(req.path, "/one");
	int second = http_parse_request((const uint8_t *)text + first, len - (size_t)first, &req);
	assert_int_equal(second, 31);
	assert_string_equal(req.path, "/two");
	assert_int_equal(req.method, HTTP_HEAD);
	assert_int_equal(http_parse_request((const uint8_t *)text + first + second,
					    len - (size_t)(first + second), &req),
			 0);
}

static void test_percent_decoding(void **state)
{
	(void)state;
	struct http_request req;
	assert_true(parse("GET /a%2Fb%7e%C3%A9 HTTP/1.1\r\nHost: a\r\n\r\n", &req) > 0);
	assert_string_equal(req.path, "/a/b~\xc3\xa9");
	assert_true(parse("GET //x///y HTTP/1.1\r\nHost: a\r\n\r\n", &req) > 0);
	assert_string_equal(req.path, "/x/y"); /* "//" never reaches a route */
	assert_int_equal(status_of("GET /a%2 HTTP/1.1\r\nHost: a\r\n\r\n"), -400);
	assert_int_equal(status_of("GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n"), -400);
	assert_int_equal(status_of("GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n"), -400);
	assert_int_equal(status_of("GET /a%"), 0);
}

static void test_dot_segments_are_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {"/../etc/passwd", "/a/../b",	   "/a/..",
					  "/%2e%2e/x",	    "/a%2F..%2Fb", "/./a",
					  "/a/.",	    "/..",	   "/%2E."};
	char text[128];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", bad[i]);
		assert_int_equal(status_of(text), -400);
	}
	struct http_request req;
	assert_true(parse("GET /a..b/.c/..d HTTP/1.1\r\nHost: a\r\n\r\n", &req) > 0);
	assert_string_equal(req.path, "/a..b/.c/..d");
}

static void test_bad_requests_are_400(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "GET\r\n\r\n",
	    "GET /\r\n\r\n",
	    "\r\n\r\n",
	    "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
	    "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
	    "GET x HTTP/1.1\r\nHost: a\r\n\r\n",
	    "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
	    "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n",
	    "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n",
	    "GET /\xff HTTP/1.1\r\nHost: a\r\n\r\n",
	    "GET / HTTP/1.1\r\n\r\n", /* no Host */
	    "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: a\r\nNo colon\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
	    "GET / HTTPS/1.1\r\nHost: a\r\n\r\n",
	    "GET / HTTP/1.10\r\nHost: a\r\n\r\n",
	    "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (status_of(bad[i]) != -400)
			fail_msg("request %zu: %d, want -400", i, status_of(bad[i]));
	}
	/* A body of length 0 is no body. */
	assert_true(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n") > 0);
}

static void test_methods_versions_and_encodings(void **state)
{
	(void)state;
	assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\n\r\n"), -405);
	assert_int_equal(status_of("DELETE / HTTP/1.1\r\nHost: a\r\n\r\n"), -405);
	assert_int_equal(status_of("BREW / HTTP/1.1\r\nHost: a\r\n\r\n"), -501);
	assert_int_equal(status_of("get / HTTP/1.1\r\nHost: a\r\n\r\n"), -501); /* case counts */
	assert_int_equal(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), -505);
	assert_int_equal(status_of("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), -505);
	assert_int_equal(
	    status_of("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"), -501);
}

static void test_limits(void **state)
{
	(void)state;
	size_t size = HTTP_MAX_REQUEST + 100;
	char *text = malloc(size + 1);
	assert_non_null(text);
	struct http_request req;
	/* A path of HTTP_MAX_PATH - 1 bytes fits; one more is 414. */
	int n = snprintf(text, size, "GET /");
	memset(text + n, 'a', HTTP_MAX_PATH - 2);
	strcpy(text + n + HTTP_MAX_PATH - 2, " HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_true(parse(text, &req) > 0);
	assert_int_equal(strlen(req.path), HTTP_MAX_PATH - 1);
	memset(text + n, 'a', HTTP_MAX_PATH - 1);
	strcpy(text + n + HTTP_MAX_PATH - 1, " HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(parse(text, &req), -414);
	/* A query as long. */
	n = snprintf(text, size, "GET /?");
	memset(text + n, 'q', HTTP_MAX_PATH);
	strcpy(text + n + HTTP_MAX_PATH, " HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(parse(text, &req), -414);
	/* A request line that never ends within HTTP_MAX_REQUEST: 414. */
	n = snprintf(text, size, "GET /");
	memset(text + n, 'a', size - (size_t)n);
	assert_int_equal(http_parse_request((uint8_t *)text, HTTP_MAX_REQUEST - 1, &req), 0);
	assert_int_equal(http_parse_request((uint8_t *)text, HTTP_MAX_REQUEST, &req), -414);
	/* Headers that never end within it: 431, even with more bytes. */
	n = snprintf(text, size, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	memset(text + n, 'x', size - (size_t)n);
	assert_int_equal(http_parse_request((uint8_t *)text, HTTP_MAX_REQUEST - 1, &req), 0);
	assert_int_equal(http_parse_request((uint8_t *)text, HTTP_MAX_REQUEST, &req), -431);
	assert_int_equal(http_parse_request((uint8_t *)text, size, &req), -431);
	free(text);
}

static void test_host_is_kept_trimmed_and_bounded(void **state)
{
	(void)state;
	struct http_request req;
	assert_true(parse("GET / HTTP/1.1\r\nhost:  127.0.0.1:9100 \r\n\r\n", &req) > 0);
	assert_string_equal(req.host, "127.0.0.1:9100");
	assert_true(parse("GET / HTTP/1.0\r\n\r\n", &req) > 0);
	assert_string_equal(req.host, "");
	char text[HTTP_MAX_HOST + 64];
	snprintf(text, sizeof(text), "GET / HTTP/1.1\r\nHost: %0*d\r\n\r\n", HTTP_MAX_HOST, 0);
	assert_int_equal(status_of(text), -400);
	snprintf(text, sizeof(text), "GET / HTTP/1.1\r\nHost: %0*d\r\n\r\n", HTTP_MAX_HOST - 1, 0);
	assert_true(parse(text, &req) > 0);
	assert_int_equal(strlen(req.host), HTTP_MAX_HOST - 1);
}

/* The DNS-rebinding guard's test: IP literals and localhost, with or
 * without a port, are local; a DNS name, a malformed port or literal, and
 * no Host at all are not. */
static void test_host_is_local(void **state)
{
	(void)state;
	static const char *const local[] = {"127.0.0.1",  "127.0.0.1:9100", "10.1.2.3:80",
					    "localhost",  "LocalHost:1",    "[::1]",
					    "[::1]:9100", "[fe80::1]",	    "0.0.0.0:65535"};
	static const char *const not_local[] = {"",
						"evil.example",
						"evil.example:9100",
						"localhost.evil.example",
						"localhost.",
						"127.0.0.1.nip.io",
						"127.1",
						"127.0.0.1:",
						"127.0.0.1:x",
						"127.0.0.1:123456",
						"[::1",
						"[::1]9100",
						"[evil]:80",
						"::1",
						"localhost:80:80",
						"[::1]:80:80"};
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		assert_true(http_host_is_local(local[i]));
	for (size_t i = 0; i < sizeof(not_local) / sizeof(not_local[0]); i++) {
		if (http_host_is_local(not_local[i]))
			fail_msg("'%s' taken as local", not_local[i]);
	}
}

static void test_reason_phrases(void **state)
{
	(void)state;
	static const int codes[] = {200, 400, 404, 405, 408, 414, 431, 500, 501, 503, 505};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		assert_true(strlen(http_reason(codes[i])) > 0);
	assert_string_equal(http_reason(404), "Not Found");
	assert_string_equal(http_reason(431), "Request Header Fields Too Large");
	assert_string_equal(http_reason(299), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_is_parsed_with_path_query_and_keep_alive),
	    cmocka_unit_test(test_head_and_connection_headers),
	    cmocka_unit_test(test_incomplete_request_asks_for_more),
	    cmocka_unit_test(test_every_split_of_a_request_waits_then_parses),
	    cmocka_unit_test(test_pipelined_requests_are_taken_one_at_a_time),
	    cmocka_unit_test(test_percent_decoding),
	    cmocka_unit_test(test_dot_segments_are_refused),
	    cmocka_unit_test(test_bad_requests_are_400),
	    cmocka_unit_test(test_methods_versions_and_encodings),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_host_is_kept_trimmed_and_bounded),
	    cmocka_unit_test(test_host_is_local),
	    cmocka_unit_test(test_reason_phrases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
