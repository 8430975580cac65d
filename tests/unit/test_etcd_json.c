/* test_etcd_json.c — the JSON of etcd's gateway (src/cluster/etcd_json.c):
 * base64 both ways (RFC 4648's vectors), the request bodies as etcd wants
 * them (prefix range ends, txn compares and ops, int64 as strings), the
 * answers as etcd 3.4 writes them (copied from a real one), etcd's error
 * objects mapped to errno, and hostile JSON refused without a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/etcd_json.h"

#define HEADER "\"header\":{\"cluster_id\":\"7801\",\"member_id\":\"1345\",\"revision\":\"7\"}"

static char err[256];

static void test_base64_rfc4648_vectors_both_ways(void **state)
{
	(void)state;
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const coded[] = {"",		"Zg==",	    "Zm8=",    "Zm9v",
					    "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	for (size_t i = 0; i < 7; i++) {
		char *text = etcd_base64_encode(plain[i], strlen(plain[i]));
		assert_string_equal(text, coded[i]);
		free(text);
		char *out;
		size_t len;
		assert_int_equal(etcd_base64_decode(coded[i], strlen(coded[i]), &out, &len), 0);
		assert_int_equal(len, strlen(plain[i]));
		assert_memory_equal(out, plain[i], len);
		assert_int_equal(out[len], '\0');
		free(out);
	}
}

static void test_base64_keeps_nul_and_high_bytes(void **state)
{
	(void)state;
	const char bytes[] = {0, (char)0xff, 'a', 0, (char)0x80};
	char *text = etcd_base64_encode(bytes, sizeof(bytes));
	char *out;
	size_t len;
	assert_int_equal(etcd_base64_decode(text, strlen(text), &out, &len), 0);
	assert_int_equal(len, sizeof(bytes));
	assert_memory_equal(out, bytes, len);
	free(text);
	free(out);
}

static void test_base64_refuses_what_is_not_base64(void **state)
{
	(void)state;
	static const char *const bad[] = {"Zg=",      "Z===",	"Zm9v!A==", "=Zm9",
					  "Zg==Zg==", "Zm\n9v", "Zm9\0"};
	for (size_t i = 0; i < 7; i++) {
		char *out = NULL;
		size_t len;
		size_t n = i == 6 ? 4 : strlen(bad[i]);
		assert_int_equal(etcd_base64_decode(bad[i], n, &out, &len), -EINVAL);
		assert_null(out);
	}
}

/* The value of a string field of a JSON body, base64-decoded when b64. */
static char *field(const char *body, const char *path, bool b64)
{
	cJSON *root = cJSON_Parse(body);
	assert_non_null(root);
	const cJSON *item = root;
	char copy[128];
	strcpy(copy, path);
	for (char *name = strtok(copy, "."); name; name = strtok(NULL, "."))
		item = name[0] >= '0' && name[0] <= '9' ? cJSON_GetArrayItem(item, atoi(name))
							: cJSON_GetObjectItem(item, name);
	char *out = NULL;
	if (cJSON_IsString(item)) {
		size_t len;
		if (b64)
			assert_int_equal(etcd_base64_decode(item->valuestring,
							    strlen(item->valuestring), &out, &len),
					 0);
		else
			out = strdup(item->valuestring);
	} else if (cJSON_IsBool(item)) {
		out = strdup(cJSON_IsTrue(item) ? "true" : "false");
	}
	cJSON_Delete(root);
	return out;
}

static void assert_field(const char *body, const char *path, bool b64, const char *want)
{
	char *got = field(body, path, b64);
	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_range_request_prefix_end_increments_the_last_byte(void **state)
{
	(void)state;
	char *body = etcd_json_range_request("/vswitch/", true);
	assert_field(body, "key", true, "/vswitch/");
	assert_field(body, "range_end", true, "/vswitch0");
	free(body);
	body = etcd_json_range_request("/a", false);
	assert_field(body, "range_end", false, NULL);
	free(body);
	/* Trailing 0xff bytes cannot be incremented: dropped. */
	body = etcd_json_range_request("a\xff\xff", true);
	assert_field(body, "range_end", true, "b");
	free(body);
	/* The empty prefix is every key: range_end "\0". */
	body = etcd_json_range_request("", true);
	char *end = field(body, "range_end", false);
	assert_string_equal(end, "AA==");
	free(end);
	free(body);
}

static void test_put_request_has_value_bytes_and_lease_as_string(void **state)
{
	(void)state;
	char *body = etcd_json_put_request("/k", "v\0w", 3, 7587868381484761635);
	char *value = field(body, "value", false);
	assert_string_equal(value, "dgB3");
	assert_field(body, "lease", false, "7587868381484761635");
	free(value);
	free(body);
	body = etcd_json_put_request("/k", "", 0, 0);
	assert_field(body, "lease", false, NULL);
	assert_field(body, "value", true, "");
	free(body);
}

static void test_txn_request_compares_and_ops(void **state)
{
	(void)state;
	struct etcd_compare compares[] = {
	    {.key = "/a", .target = ETCD_COMPARE_CREATE_REVISION, .result = ETCD_EQUAL},
	    {.key = "/b", .target = ETCD_COMPARE_VALUE, .result = ETCD_NOT_EQUAL, .value = "x"},
	    {.key = "/c", .target = ETCD_COMPARE_MOD_REVISION, .result = ETCD_LESS, .number = 9},
	    {.key = "/d", .target = ETCD_COMPARE_VERSION, .result = ETCD_GREATER, .number = 2},
	};
	struct etcd_op success[] = {{.type = ETCD_OP_PUT, .key = "/a", .value = "1", .lease = 5}};
	struct etcd_op failure[] = {{.type = ETCD_OP_DELETE, .key = "/p/", .prefix = true}};
	char *body = etcd_json_txn_request(compares, 4, success, 1, failure, 1);
	assert_field(body, "compare.0.target", false, "CREATE");
	assert_field(body, "compare.0.result", false, "EQUAL");
	assert_field(body, "compare.0.create_revision", false, "0");
	assert_field(body, "compare.1.target", false, "VALUE");
	assert_field(body, "compare.1.result", false, "NOT_EQUAL");
	assert_field(body, "compare.1.value", true, "x");
	assert_field(body, "compare.2.mod_revision", false, "9");
	assert_field(body, "compare.2.result", false, "LESS");
	assert_field(body, "compare.3.version", false, "2");
	assert_field(body, "compare.3.result", false, "GREATER");
	assert_field(body, "success.0.request_put.key", true, "/a");
	assert_field(body, "success.0.request_put.value", true, "1");
	assert_field(body, "success.0.request_put.lease", false, "5");
	assert_field(body, "failure.0.request_delete_range.key", true, "/p/");
	assert_field(body, "failure.0.request_delete_range.range_end", true, "/p0");
	free(body);
}

static void test_other_requests(void **state)
{
	(void)state;
	char *body = etcd_json_watch_request("/w/", 42);
	assert_field(body, "create_request.key", true, "/w/");
	assert_field(body, "create_request.range_end", true, "/w0");
	assert_field(body, "create_request.start_revision", false, "42");
	assert_field(body, "create_request.progress_notify", false, "true");
	free(body);
	body = etcd_json_watch_request("/w/", 0);
	assert_field(body, "create_request.start_revision", false, NULL);
	free(body);
	body = etcd_json_lease_grant_request(3);
	assert_field(body, "TTL", false, "3");
	free(body);
	body = etcd_json_lease_id_request(-1);
	assert_field(body, "ID", false, "-1");
	free(body);
	body = etcd_json_compaction_request(12);
	assert_field(body, "revision", false, "12");
	free(body);
	body = etcd_json_auth_request("root", "p\"w");
	assert_field(body, "password", false, "p\"w");
	free(body);
}

#define S(text) text, strlen(text)

static void test_range_response_decodes_kvs_and_revision(void **state)
{
	(void)state;
	struct etcd_result r;
	const char *body =
	    "{" HEADER ",\"kvs\":[{\"key\":\"L2E=\",\"create_revision\":\"2\","
	    "\"mod_revision\":\"5\",\"version\":\"3\",\"value\":\"MQ==\",\"lease\":\"99\"},"
	    "{\"key\":\"L2I=\",\"create_revision\":\"6\",\"mod_revision\":\"6\",\"version\":\"1\"}]"
	    ","
	    "\"count\":\"2\"}";
	assert_int_equal(etcd_json_range_response(S(body), &r, err, sizeof(err)), 0);
	assert_int_equal(r.revision, 7);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.kvs[0].key, "/a");
	assert_string_equal(r.kvs[0].value, "1");
	assert_int_equal(r.kvs[0].value_len, 1);
	assert_int_equal(r.kvs[0].create_revision, 2);
	assert_int_equal(r.kvs[0].mod_revision, 5);
	assert_int_equal(r.kvs[0].version, 3);
	assert_int_equal(r.kvs[0].lease, 99);
	/* An empty value is left out by the gateway. */
	assert_string_equal(r.kvs[1].value, "");
	assert_int_equal(r.kvs[1].value_len, 0);
	assert_int_equal(r.kvs[1].lease, 0);
	etcd_result_free(&r);
	assert_int_equal(etcd_json_range_response(S("{" HEADER "}"), &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 0);
	etcd_result_free(&r);
}

static void test_error_objects_map_to_errno(void **state)
{
	(void)state;
	struct {
		const char *body;
		int want;
	} cases[] = {
	    {"{\"error\":\"etcdserver: authentication failed, invalid user ID or password\","
	     "\"message\":\"etcdserver: authentication failed, invalid user ID or password\","
	     "\"code\":3}",
	     -EACCES},
	    {"{\"error\":\"etcdserver: invalid auth token\",\"message\":\"etcdserver: invalid auth "
	     "token\",\"code\":16}",
	     -EACCES},
	    {"{\"error\":\"etcdserver: requested lease not found\",\"message\":\"etcdserver: "
	     "requested lease not found\",\"code\":5}",
	     -ENOENT},
	    {"{\"error\":\"etcdserver: mvcc: required revision has been compacted\",\"code\":11}",
	     -ERANGE},
	    {"{\"error\":\"illegal base64 data at input byte 0\",\"code\":3}", -EIO},
	    {"{\"error\":{\"grpc_code\":14,\"message\":\"etcdserver: no leader\"}}", -EIO},
	    {"{\"error\":7}", -EIO},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct etcd_result r;
		err[0] = '\0';
		assert_int_equal(etcd_json_error(S(cases[i].body), err, sizeof(err)),
				 cases[i].want);
		assert_non_null(strstr(err, "etcd"));
		assert_int_equal(etcd_json_range_response(S(cases[i].body), &r, err, sizeof(err)),
				 cases[i].want);
		assert_null(r.kvs);
	}
	assert_int_equal(etcd_json_error(S("{" HEADER "}"), err, sizeof(err)), 0);
	assert_true(etcd_json_token_invalid(S(cases[1].body)));
	assert_false(etcd_json_token_invalid(S(cases[0].body)));
}

static void test_small_answers(void **state)
{
	(void)state;
	int64_t rev = 0, deleted = 0, lease = 0, ttl = 0;
	bool ok = true;
	char *token = NULL;
	assert_int_equal(etcd_json_header_response(S("{" HEADER ",\"deleted\":\"3\"}"), &rev,
						   &deleted, err, sizeof(err)),
			 0);
	assert_int_equal(rev, 7);
	assert_int_equal(deleted, 3);
	assert_int_equal(etcd_json_txn_response(S("{" HEADER ",\"responses\":[{}]}"), &ok, &rev,
						err, sizeof(err)),
			 0);
	assert_false(ok);
	assert_int_equal(etcd_json_txn_response(S("{" HEADER ",\"succeeded\":true}"), &ok, NULL,
						err, sizeof(err)),
			 0);
	assert_true(ok);
	assert_int_equal(etcd_json_lease_grant_response(
			     S("{" HEADER ",\"ID\":\"5007618175972371721\",\"TTL\":\"2\"}"), &lease,
			     err, sizeof(err)),
			 0);
	assert_int_equal(lease, 5007618175972371721);
	assert_int_equal(
	    etcd_json_keepalive_response(S("{\"result\":{" HEADER ",\"ID\":\"12\",\"TTL\":\"4\"}}"),
					 &ttl, err, sizeof(err)),
	    0);
	assert_int_equal(ttl, 4);
	/* An expired lease's keepalive has no TTL. */
	assert_int_equal(etcd_json_keepalive_response(S("{\"result\":{" HEADER ",\"ID\":\"12\"}}"),
						      &ttl, err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(etcd_json_auth_response(S("{" HEADER ",\"token\":\"KKXw.17\"}"), &token,
						 err, sizeof(err)),
			 0);
	assert_string_equal(token, "KKXw.17");
	free(token);
	/* A token that would inject a header line is refused. */
	assert_int_equal(etcd_json_auth_response(S("{" HEADER ",\"token\":\"a\\r\\nX: y\"}"),
						 &token, err, sizeof(err)),
			 -EIO);
}

static int watch(const char *line, struct etcd_event **events, size_t *n, int64_t *rev)
{
	return etcd_json_watch_response(S(line), events, n, rev, err, sizeof(err));
}

static void test_watch_lines(void **state)
{
	(void)state;
	struct etcd_event *ev;
	size_t n;
	int64_t rev = 0;
	assert_int_equal(watch("{\"result\":{" HEADER ",\"created\":true}}", &ev, &n, &rev), 1);
	assert_int_equal(rev, 7);
	assert_int_equal(n, 0);
	assert_int_equal(watch("{\"result\":{" HEADER ",\"events\":[{\"kv\":{\"key\":\"L2E=\","
			       "\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":\"1\","
			       "\"value\":\"MQ==\"}},{\"type\":\"DELETE\",\"kv\":{\"key\":\"L2E=\","
			       "\"mod_revision\":\"3\"}}]}}",
			       &ev, &n, &rev),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].type, ETCD_EVENT_PUT);
	assert_string_equal(ev[0].kv.value, "1");
	assert_int_equal(ev[1].type, ETCD_EVENT_DELETE);
	assert_string_equal(ev[1].kv.key, "/a");
	assert_int_equal(ev[1].kv.mod_revision, 3);
	etcd_events_free(ev, n);
	assert_int_equal(watch("{\"result\":{\"header\":{\"raft_term\":\"2\"},\"canceled\":true,"
			       "\"compact_revision\":\"5\"}}",
			       &ev, &n, &rev),
			 -ERANGE);
	assert_int_equal(rev, 5);
	assert_int_equal(watch("{\"result\":{" HEADER ",\"watch_id\":\"-1\",\"created\":true,"
			       "\"canceled\":true,\"cancel_reason\":\"rpc error: code = "
			       "Unauthenticated desc = etcdserver: invalid auth token\"}}",
			       &ev, &n, &rev),
			 -EACCES);
	assert_int_equal(watch("{\"result\":{" HEADER ",\"canceled\":true}}", &ev, &n, &rev), -EIO);
	assert_non_null(strstr(err, "canceled"));
}

static void test_hostile_json_is_refused(void **state)
{
	(void)state;
	static const char *const lines[] = {
	    "",
	    "null",
	    "[]",
	    "{",
	    "\"result\"",
	    "{\"result\":[]}",
	    "{\"result\":{}}",
	    "{\"result\":{" HEADER ",\"events\":{}}}",
	    "{\"result\":{" HEADER ",\"events\":[1]}}",
	    "{\"result\":{" HEADER ",\"events\":[{}]}}",
	    "{\"result\":{" HEADER ",\"events\":[{\"kv\":{\"key\":\"!!\"}}]}}",
	    "{\"result\":{" HEADER ",\"events\":[{\"kv\":{\"key\":7}}]}}",
	    "{\"result\":{" HEADER ",\"events\":[{\"type\":\"EXPIRE\",\"kv\":{\"key\":\"\"}}]}}",
	    "{\"result\":{" HEADER ",\"events\":[{\"type\":1,\"kv\":{\"key\":\"\"}}]}}",
	    "{\"result\":{" HEADER ",\"events\":[{\"kv\":{\"key\":\"\",\"version\":\"1x\"}}]}}",
	    "{\"result\":{" HEADER ",\"events\":[{\"kv\":{\"key\":\"\",\"version\":"
	    "\"99999999999999999999\"}}]}}",
	    "{\"result\":{" HEADER ",\"events\":[{\"kv\":{\"key\":\"\",\"version\":1e300}}]}}",
	    "{\"result\":{" HEADER ",\"events\":[{\"kv\":{\"key\":\"\",\"version\":0.5}}]}}",
	    "{\"result\":{\"header\":{\"revision\":[]}}}",
	    "{\"result\":{\"header\":{\"revision\":\"\"}}}",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct etcd_event *ev = (void *)1;
		size_t n = 1;
		int64_t rev;
		assert_int_equal(watch(lines[i], &ev, &n, &rev), -EIO);
		assert_null(ev);
		assert_int_equal(n, 0);
		struct etcd_result r;
		assert_true(etcd_json_range_response(S(lines[i]), &r, err, sizeof(err)) < 0);
	}
	/* Deep nesting stops at cJSON's limit, without a crash. */
	char deep[4000];
	memset(deep, '[', sizeof(deep));
	struct etcd_result r;
	assert_int_equal(etcd_json_range_response(deep, sizeof(deep), &r, err, sizeof(err)), -EIO);
	/* The length bounds the parse: what follows is not read. */
	const char *two = "{" HEADER "}garbage";
	assert_int_equal(etcd_json_range_response(two, strlen(two) - 7, &r, err, sizeof(err)), 0);
	etcd_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_base64_rfc4648_vectors_both_ways),
	    cmocka_unit_test(test_base64_keeps_nul_and_high_bytes),
	    cmocka_unit_test(test_base64_refuses_what_is_not_base64),
	    cmocka_unit_test(test_range_request_prefix_end_increments_the_last_byte),
	    cmocka_unit_test(test_put_request_has_value_bytes_and_lease_as_string),
	    cmocka_unit_test(test_txn_request_compares_and_ops),
	    cmocka_unit_test(test_other_requests),
	    cmocka_unit_test(test_range_response_decodes_kvs_and_revision),
	    cmocka_unit_test(test_error_objects_map_to_errno),
	    cmocka_unit_test(test_small_answers),
	    cmocka_unit_test(test_watch_lines),
	    cmocka_unit_test(test_hostile_json_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
