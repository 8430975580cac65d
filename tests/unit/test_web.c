/* test_web.c — the web view's routes (src/control/web.c): the page's files
 * with their types, the JSON API's whitelist of show commands, its errors,
 * and that no URL reaches a command that changes anything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/web.h"
#include "control_fixture.h"
#include "engine/datapath.h"
#include "obs_frames.h"

static int setup(void **state)
{
	int rc = control_fixture_setup(state);
	if (rc)
		return rc;
	struct control_fixture *f = *state;
	const char *lines[] = {
	    "switch add hv mode authoritative", "port add hv lpar1 type pipe vids 3",
	    "port add hv lpar4 type pipe pvid 2", "port add hv vios type pipe vids 3 uplink on",
	    "fdb add hv vlan 1 mac 02:00:00:00:00:01 port lpar1"};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (control_fixture_run(f, lines[i]))
			return -1;
	return 0;
}

/* One GET; the response's body is NUL-terminated for the checks. */
static struct http_response get(struct control_fixture *f, const char *path)
{
	struct http_request req = {.method = HTTP_GET, .keep_alive = true};
	snprintf(req.path, sizeof(req.path), "%s", path);
	struct http_response resp = {0};
	web_serve(&f->state, &req, &resp);
	assert_non_null(resp.content_type);
	resp.body = realloc(resp.body, resp.body_len + 1);
	assert_non_null(resp.body);
	resp.body[resp.body_len] = '\0';
	return resp;
}

static cJSON *get_json(struct control_fixture *f, const char *path, int status)
{
	struct http_response resp = get(f, path);
	assert_int_equal(resp.status, status);
	assert_string_equal(resp.content_type, "application/json");
	assert_null(resp.cache_control); /* no-store */
	assert_ptr_equal(resp.headers, web_security_headers);
	cJSON *doc = cJSON_Parse(resp.body);
	free(resp.body);
	assert_non_null(doc);
	return doc;
}

static void test_root_serves_the_page_as_html(void **state)
{
	struct http_response resp = get(*state, "/");
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.content_type, "text/html; charset=utf-8");
	assert_non_null(strstr(resp.body, "<script src=\"/app.js\""));
	assert_ptr_equal(resp.headers, web_security_headers);
	free(resp.body);
}

static void test_assets_are_served_with_their_types(void **state)
{
	const char *paths[][2] = {{"/index.html", "text/html; charset=utf-8"},
				  {"/app.js", "text/javascript; charset=utf-8"},
				  {"/style.css", "text/css; charset=utf-8"},
				  {"/favicon.svg", "image/svg+xml"}};
	for (size_t i = 0; i < 4; i++) {
		struct http_response resp = get(*state, paths[i][0]);
		assert_int_equal(resp.status, 200);
		assert_string_equal(resp.content_type, paths[i][1]);
		assert_true(resp.body_len > 100);
		assert_string_equal(resp.cache_control, "no-cache");
		free(resp.body);
	}
}

static void test_unknown_page_is_404(void **state)
{
	struct http_response resp = get(*state, "/etc/passwd");
	assert_int_equal(resp.status, 404);
	assert_string_equal(resp.content_type, "text/plain; charset=utf-8");
	free(resp.body);
}

static void test_security_headers_forbid_framing_and_other_origins(void **state)
{
	(void)state;
	assert_non_null(strstr(web_security_headers, "X-Frame-Options: DENY\r\n"));
	assert_non_null(strstr(web_security_headers, "frame-ancestors 'none'"));
	assert_non_null(strstr(web_security_headers, "Content-Security-Policy: default-src 'none'; "
						     "script-src 'self'"));
	assert_null(strstr(web_security_headers, "unsafe"));
	assert_null(strstr(web_security_headers, "*"));
}

static void test_api_show_has_switches_ports_and_counters(void **state)
{
	cJSON *doc = get_json(*state, "/api/v1/show", 200);
	cJSON *sw = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "switches"), 0);
	assert_string_equal(cJSON_GetObjectItem(sw, "name")->valuestring, "hv");
	cJSON *ports = cJSON_GetObjectItem(sw, "port_details");
	assert_int_equal(cJSON_GetArraySize(ports), 3);
	assert_non_null(cJSON_GetObjectItem(cJSON_GetArrayItem(ports, 0), "counters"));
	cJSON_Delete(doc);
}

static void test_api_vlans_give_the_matrix(void **state)
{
	cJSON *doc = get_json(*state, "/api/v1/vlans/hv", 200);
	assert_int_equal(cJSON_GetArraySize(doc), 3); /* VLANs 1, 2, 3 */
	cJSON *v3 = cJSON_GetArrayItem(doc, 2);
	assert_int_equal(cJSON_GetObjectItem(v3, "vlan")->valueint, 3);
	cJSON *tagged = cJSON_GetObjectItem(v3, "tagged");
	assert_string_equal(cJSON_GetArrayItem(tagged, 0)->valuestring, "lpar1");
	assert_string_equal(cJSON_GetObjectItem(v3, "active_uplink")->valuestring, "vios");
	cJSON_Delete(doc);
}

static void test_api_routes_each_run_their_show(void **state)
{
	const char *paths[] = {"/api/v1/switches", "/api/v1/switches/hv",
			       "/api/v1/ports",	   "/api/v1/ports/lpar4",
			       "/api/v1/vlans",	   "/api/v1/counters",
			       "/api/v1/bonds",	   "/api/v1/seas",
			       "/api/v1/fdb/hv",   "/api/v1/",
			       "/api/v1"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		cJSON_Delete(get_json(*state, paths[i], 200));
	cJSON *fdb = get_json(*state, "/api/v1/fdb/hv", 200);
	cJSON *row = cJSON_GetArrayItem(fdb, 0);
	assert_string_equal(cJSON_GetObjectItem(row, "mac")->valuestring, "02:00:00:00:00:01");
	assert_string_equal(cJSON_GetObjectItem(row, "port")->valuestring, "lpar1");
	cJSON_Delete(fdb);
	cJSON *port = get_json(*state, "/api/v1/ports/lpar4", 200);
	assert_int_equal(cJSON_GetArraySize(port), 1);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(port, 0), "pvid")->valueint, 2);
	cJSON_Delete(port);
}

static void assert_error(struct control_fixture *f, const char *path, int status)
{
	cJSON *doc = get_json(f, path, status);
	assert_int_equal(cJSON_GetObjectItem(doc, "status")->valueint, status);
	assert_true(cJSON_IsString(cJSON_GetObjectItem(doc, "error")));
	cJSON_Delete(doc);
}

/* The views of LLDP, snooping and IPFIX (what the page's sections poll):
 * each route runs its show, with a name too, and a join shows up. */
static void test_api_lldp_mcast_ipfix_routes(void **state)
{
	struct control_fixture *f = *state;
	cJSON *doc = get_json(f, "/api/v1/lldp", 200);
	assert_int_equal(cJSON_GetArraySize(doc), 1); /* the uplink listens by default */
	cJSON_Delete(doc);
	assert_int_equal(control_fixture_run(f, "port inject vios " LLDPDU_HEX), 0);
	datapath_poll(f->state.dp);
	doc = get_json(f, "/api/v1/lldp", 200);
	cJSON *n =
	    cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(doc, 0), "neighbors"), 0);
	assert_non_null(n);
	assert_string_equal(cJSON_GetObjectItem(n, "system_name")->valuestring, "tor1");
	assert_string_equal(cJSON_GetObjectItem(n, "port_id")->valuestring, "eth1");
	assert_int_equal(cJSON_GetObjectItem(n, "ttl")->valueint, 120);
	cJSON_Delete(doc);
	cJSON_Delete(get_json(f, "/api/v1/lldp/vios", 200));
	assert_error(f, "/api/v1/lldp/lpar1", 404); /* does not run LLDP */
	assert_int_equal(control_fixture_run(f, "switch set hv mcast-snooping on"), 0);
	assert_int_equal(control_fixture_run(f, "port set vios mcast-router yes"), 0);
	assert_int_equal(control_fixture_run(f, "port inject lpar1 " IGMP_JOIN_HEX), 0);
	datapath_poll(f->state.dp);
	doc = get_json(f, "/api/v1/mcast/hv", 200);
	cJSON *sw = cJSON_GetArrayItem(doc, 0);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(sw, "snooping")));
	cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(sw, "groups"), 0);
	assert_string_equal(cJSON_GetObjectItem(g, "group")->valuestring, "239.1.2.3");
	assert_int_equal(cJSON_GetObjectItem(g, "vlan")->valueint, 1);
	cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(g, "members"), 0);
	assert_string_equal(cJSON_GetObjectItem(m, "port")->valuestring, "lpar1");
	cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(sw, "routers"), 0);
	assert_string_equal(cJSON_GetObjectItem(r, "port")->valuestring, "vios");
	cJSON_Delete(doc);
	cJSON_Delete(get_json(f, "/api/v1/mcast", 200));
	assert_error(f, "/api/v1/mcast/nosuch", 404);
	doc = get_json(f, "/api/v1/ipfix", 200);
	assert_int_equal(cJSON_GetArraySize(doc), 0);
	cJSON_Delete(doc);
	assert_int_equal(control_fixture_run(f, "ipfix add fx switch hv collector 127.0.0.1:4739"),
			 0);
	doc = get_json(f, "/api/v1/ipfix/fx", 200);
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(doc, 0), "collector")->valuestring,
	    "127.0.0.1:4739");
	cJSON_Delete(doc);
}

static void test_api_errors_are_json_4xx(void **state)
{
	assert_error(*state, "/api/v1/nothing", 404);
	assert_error(*state, "/api/v1/ports/nosuchport", 404);
	assert_error(*state, "/api/v1/switches/nosuch", 404);
	assert_error(*state, "/api/v1/fdb", 400);		/* needs a switch */
	assert_error(*state, "/api/v1/ports/a b", 400);		/* not a name */
	assert_error(*state, "/api/v1/ports/lpar1/extra", 400); /* not a name */
	assert_error(*state, "/api/v1/show/running-config", 404);
}

/* Whatever the URL says, nothing changes: the model after a volley of
 * configuration-shaped requests prints as before, and counters stay. */
static void test_api_never_runs_a_configuration_command(void **state)
{
	struct control_fixture *f = *state;
	char *before = control_fixture_running_config(f);
	const char *paths[] = {
	    "/api/v1/counters/clear",
	    "/api/v1/port/del/lpar1",
	    "/api/v1/ports/del",
	    "/api/v1/switch/del/hv",
	    "/api/v1/switch/add/x",
	    "/api/v1/fdb/flush",
	    "/api/v1/save",
	    "/api/v1/reload",
	    "/api/v1/sea/add/s",
	    "/api/v1/port%20del",
	    "/api/v1/show/running-config",
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct http_response resp = get(f, paths[i]);
		assert_true(resp.status >= 400 && resp.status < 500);
		free(resp.body);
	}
	/* A name that is a command word stays a name. */
	struct http_response resp = get(f, "/api/v1/ports/del");
	assert_int_equal(resp.status, 404);
	free(resp.body);
	char *after = control_fixture_running_config(f);
	assert_string_equal(before, after);
	free(before);
	free(after);
	assert_int_equal(control_fixture_run(f, "fdb show hv"), 0);
	assert_non_null(strstr(f->output, "02:00:00:00:00:01"));
}

int main(void)
{
#define WEB_TEST(name) cmocka_unit_test_setup_teardown(name, setup, control_fixture_teardown)
	const struct CMUnitTest tests[] = {
	    WEB_TEST(test_root_serves_the_page_as_html),
	    WEB_TEST(test_assets_are_served_with_their_types),
	    WEB_TEST(test_unknown_page_is_404),
	    WEB_TEST(test_security_headers_forbid_framing_and_other_origins),
	    WEB_TEST(test_api_show_has_switches_ports_and_counters),
	    WEB_TEST(test_api_vlans_give_the_matrix),
	    WEB_TEST(test_api_routes_each_run_their_show),
	    WEB_TEST(test_api_errors_are_json_4xx),
	    WEB_TEST(test_api_lldp_mcast_ipfix_routes),
	    WEB_TEST(test_api_never_runs_a_configuration_command),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
