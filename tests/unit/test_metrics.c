/* test_metrics.c — the Prometheus exposition (src/control/metrics.c) on a
 * switch that carried known frames: the counters' values, a drop under its
 * reason label, # HELP and # TYPE before every family's samples; the route
 * to it (http_routes.c); and `metrics listen` as a setting: its address
 * forms, running-config, and a change refused until a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/http_routes.h"
#include "control/metrics.h"
#include "control_fixture.h"
#include "engine/datapath.h"
#include "obs_frames.h"

/* A broadcast from 02:00:00:00:00:03, untagged, 60 bytes. */
#define BROADCAST_HEX                                                                              \
	"ffffffffffff020000000003080045"                                                           \
	"000000000000000000000000000000000000000000000000000000000000"                             \
	"000000000000000000000000000000"

static char *exposition(struct control_fixture *f)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	assert_non_null(out);
	metrics_write(f->state.dp, &f->seas, f->state.running, out);
	fclose(out);
	return text;
}

static void assert_has_line(const char *text, const char *line)
{
	char want[512];
	snprintf(want, sizeof(want), "\n%s\n", line);
	if (!strstr(text, want))
		fail_msg("no line '%s' in:\n%s", line, text);
}

static void build(struct control_fixture *f)
{
	assert_int_equal(control_fixture_run(f, "switch add sw0"), 0);
	assert_int_equal(control_fixture_run(f, "port add sw0 a type pipe"), 0);
	assert_int_equal(control_fixture_run(f, "port add sw0 b type pipe"), 0);
}

static void test_counters_of_known_frames(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	for (int i = 0; i < 3; i++)
		assert_int_equal(control_fixture_run(f, "port inject a " BROADCAST_HEX), 0);
	/* A source MAC of zeroes: dropped as zero-source. */
	assert_int_equal(control_fixture_run(f, "port inject a ffffffffffff000000000000"
						"0800450000000000000000000000000000"),
			 0);
	datapath_poll(f->state.dp);
	char *text = exposition(f);
	assert_has_line(text, "vswitch_port_rx_packets_total{switch=\"sw0\",port=\"a\"} 4");
	assert_has_line(text, "vswitch_port_tx_packets_total{switch=\"sw0\",port=\"b\"} 3");
	assert_has_line(text, "vswitch_port_tx_bytes_total{switch=\"sw0\",port=\"b\"} 180");
	assert_has_line(text, "vswitch_port_rx_packets_total{switch=\"sw0\",port=\"b\"} 0");
	assert_has_line(
	    text, "vswitch_port_drops_total{switch=\"sw0\",port=\"a\",reason=\"zero-source\"} 1");
	assert_has_line(
	    text, "vswitch_port_drops_total{switch=\"sw0\",port=\"b\",reason=\"zero-source\"} 0");
	assert_has_line(text, "vswitch_port_macs_learned{switch=\"sw0\",port=\"a\"} 1");
	assert_has_line(text, "vswitch_fdb_entries{switch=\"sw0\"} 1");
	assert_has_line(text, "vswitch_fdb_capacity{switch=\"sw0\"} 65536");
	assert_has_line(text, "vswitch_switch_ports{switch=\"sw0\"} 2");
	free(text);
}

/* Every sample's family was declared (HELP then TYPE) before it, once, and
 * a family's samples are not split. */
static void test_every_family_has_help_and_type_first(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	char *text = exposition(f);
	char *save = NULL, declared[128] = "", seen[64][128];
	int n_seen = 0, samples = 0;
	bool help = false;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128];
		if (sscanf(line, "# HELP %127s", name) == 1) {
			for (int i = 0; i < n_seen; i++)
				assert_string_not_equal(seen[i], name);
			assert_true(n_seen < 64);
			strcpy(seen[n_seen++], name);
			strcpy(declared, name);
			help = true;
			continue;
		}
		if (sscanf(line, "# TYPE %127s", name) == 1) {
			assert_true(help);
			assert_string_equal(name, declared);
			assert_true(strstr(line, " counter") || strstr(line, " gauge"));
			if (strstr(line, " counter"))
				assert_non_null(strstr(name, "_total"));
			help = false;
			continue;
		}
		size_t len = strcspn(line, "{ ");
		assert_int_equal(len, strlen(declared));
		assert_memory_equal(line, declared, len);
		samples++;
	}
	assert_true(n_seen >= 20);
	assert_true(samples > 2 * 48); /* the drop reasons of two ports at least */
	free(text);
}

/* An SEA's role and health are state sets: one series per value, exactly
 * one of them 1, and the one `sea show` names. */
static void test_sea_state_sets_and_counters(void **state)
{
	struct control_fixture *f = *state;
	static const char *const lines[] = {
	    "switch add vios", "port add vios ent0 type pipe", "port add vios trk type pipe vids 3",
	    "port add vios ctl type pipe pvid 99", "sea add s0 vios real ent0 trunks trk ctl ctl"};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_int_equal(control_fixture_run(f, lines[i]), 0);
	char *text = exposition(f);
	static const char *const roles[] = {"standby", "active", "sharing"};
	static const char *const health[] = {"down", "degraded", "ok"};
	char want[256];
	int ones = 0;
	for (int i = 0; i < 3; i++) {
		snprintf(want, sizeof(want),
			 "\nvswitch_sea_role{sea=\"s0\",switch=\"vios\",role=\"%s\"} 1\n",
			 roles[i]);
		ones += strstr(text, want) != NULL;
		want[strlen(want) - 2] = '0';
		ones += 10 * (strstr(text, want) != NULL);
	}
	assert_int_equal(ones, 1 + 2 * 10);
	ones = 0;
	for (int i = 0; i < 3; i++) {
		snprintf(want, sizeof(want),
			 "\nvswitch_sea_health{sea=\"s0\",switch=\"vios\",health=\"%s\"} 1\n",
			 health[i]);
		ones += strstr(text, want) != NULL;
	}
	assert_int_equal(ones, 1);
	assert_non_null(
	    strstr(text, "\nvswitch_sea_transitions_total{sea=\"s0\",switch=\"vios\"} "));
	assert_non_null(
	    strstr(text, "\nvswitch_sea_heartbeats_sent_total{sea=\"s0\",switch=\"vios\"} "));
	assert_non_null(strstr(
	    text, "\nvswitch_sea_heartbeats_received_total{sea=\"s0\",switch=\"vios\"} 0\n"));
	assert_non_null(strstr(text, "\nvswitch_sea_peer_alive{sea=\"s0\",switch=\"vios\"} 0\n"));
	free(text);
}

/* LLDP per port, snooping per switch and VLAN, IPFIX per exporter, from
 * one injected LLDPDU and one IGMP join: the families are in the same
 * snapshot as the rest, with exact values. */
static void test_lldp_mcast_and_ipfix_families(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	assert_int_equal(control_fixture_run(f, "port set b lldp rx"), 0);
	char *text = exposition(f); /* the agent has b from the first look */
	assert_has_line(text, "vswitch_lldp_neighbors{switch=\"sw0\",port=\"b\"} 0");
	assert_null(strstr(text, "vswitch_mcast_groups{")); /* snooping off: no series */
	assert_null(strstr(text, "vswitch_ipfix_flows{"));
	free(text);
	assert_int_equal(control_fixture_run(f, "switch set sw0 mcast-snooping on"), 0);
	assert_int_equal(control_fixture_run(f, "ipfix add fx switch sw0 collector 127.0.0.1:4739"),
			 0);
	assert_int_equal(control_fixture_run(f, "port inject b " LLDPDU_HEX), 0);
	assert_int_equal(control_fixture_run(f, "port inject a " IGMP_JOIN_HEX), 0);
	datapath_poll(f->state.dp);
	text = exposition(f);
	assert_has_line(text, "vswitch_lldp_neighbors{switch=\"sw0\",port=\"b\"} 1");
	assert_has_line(text, "vswitch_lldp_frames_rx_total{switch=\"sw0\",port=\"b\"} 1");
	assert_has_line(text, "vswitch_lldp_frames_tx_total{switch=\"sw0\",port=\"b\"} 0");
	assert_has_line(text, "vswitch_lldp_frames_discarded_total{switch=\"sw0\",port=\"b\"} 0");
	assert_has_line(text, "vswitch_lldp_neighbors_aged_out_total{switch=\"sw0\",port=\"b\"} 0");
	assert_null(strstr(text, "vswitch_lldp_neighbors{switch=\"sw0\",port=\"a\"}"));
	assert_has_line(text, "vswitch_mcast_groups{switch=\"sw0\"} 1");
	assert_has_line(text, "vswitch_mcast_vlan_groups{switch=\"sw0\",vlan=\"1\"} 1");
	assert_has_line(text, "vswitch_mcast_reports_received_total{switch=\"sw0\"} 1");
	assert_has_line(text, "vswitch_mcast_leaves_received_total{switch=\"sw0\"} 0");
	assert_has_line(
	    text, "vswitch_mcast_refused_joins_total{switch=\"sw0\",reason=\"port-limit\"} 0");
	assert_has_line(text,
			"vswitch_ipfix_flows_refused_total{exporter=\"fx\",switch=\"sw0\"} 0");
	assert_has_line(text, "vswitch_ipfix_send_errors_total{exporter=\"fx\",switch=\"sw0\"} 0");
	assert_non_null(strstr(text, "\nvswitch_ipfix_flows{exporter=\"fx\",switch=\"sw0\"} "));
	free(text);
}

static void test_route_sends_metrics_and_the_rest_to_the_web_view(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	struct http_request req = {.method = HTTP_GET, .path = "/metrics"};
	struct http_response resp = {0};
	http_route(&f->state, &req, &resp);
	assert_int_equal(resp.status, 200);
	assert_non_null(strstr(resp.content_type, "version=0.0.4"));
	assert_true(resp.body_len > 0 && strlen(resp.body) == resp.body_len);
	assert_non_null(strstr(resp.body, "vswitch_port_rx_packets_total{"));
	free(resp.body);
	strcpy(req.path, "/metrics/x");
	resp = (struct http_response){0};
	http_route(&f->state, &req, &resp);
	assert_int_not_equal(resp.status, 200); /* not ours: the web view's */
	free(resp.body);
}

static void test_listen_address_forms(void **state)
{
	(void)state;
	static const char *const forms[][2] = {
	    {"9100", "127.0.0.1:9100"},	  {":9100", "127.0.0.1:9100"},
	    {"0.0.0.0:80", "0.0.0.0:80"}, {"[::1]:9100", "[::1]:9100"},
	    {"[::]:1", "[::]:1"},	  {"10.1.2.3:65535", "10.1.2.3:65535"},
	};
	char out[64], err[256];
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		assert_int_equal(
		    metrics_listen_canonical(forms[i][0], out, sizeof(out), err, sizeof(err)), 0);
		assert_string_equal(out, forms[i][1]);
	}
	static const char *const bad[] = {
	    "",	      "0", "65536",   "x",	  "1.2.3:80",	  "::1:80", "[::1]80",
	    "[::1]:", ":", "host:80", "1.2.3.4:", "[1.2.3.4]:80", "9100 ",  "-1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (metrics_listen_canonical(bad[i], out, sizeof(out), err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(err, "ADDR:PORT"));
	}
}

static void test_metrics_listen_is_read_at_start_only(void **state)
{
	struct control_fixture *f = *state;
	/* Live: a different address needs a restart. */
	assert_int_equal(control_fixture_run(f, "metrics listen 9100"), -EBUSY);
	assert_non_null(strstr(f->err, "restart needed"));
	assert_int_equal(control_fixture_run(f, "metrics listen nowhere"), -EINVAL);
	/* As vswitchd starts: the running model holds --metrics or the file's. */
	strcpy(f->state.running->metrics_listen, "127.0.0.1:9100");
	assert_int_equal(control_fixture_run(f, "metrics listen :9100"), 0); /* no change */
	char *text = control_fixture_running_config(f);
	assert_non_null(strstr(text, "metrics listen 127.0.0.1:9100\n"));
	free(text);
	/* A reload of a file without the line keeps the listener. */
	FILE *file = fopen(f->path, "w");
	assert_non_null(file);
	fputs("switch add sw0\n", file);
	fclose(file);
	assert_int_equal(control_fixture_run(f, "reload"), 0);
	assert_string_equal(f->state.running->metrics_listen, "127.0.0.1:9100");
	/* A file's line is read in its canonical form. */
	file = fopen(f->path, "w");
	fputs("metrics listen [::1]:9200\n", file);
	fclose(file);
	char err[256];
	struct config *cfg = config_load(f->path, err, sizeof(err));
	assert_non_null(cfg);
	assert_string_equal(cfg->metrics_listen, "[::1]:9200");
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_counters_of_known_frames, control_fixture_setup,
					    control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_every_family_has_help_and_type_first,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_sea_state_sets_and_counters, control_fixture_setup,
					    control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_lldp_mcast_and_ipfix_families,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_route_sends_metrics_and_the_rest_to_the_web_view,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test(test_listen_address_forms),
	    cmocka_unit_test_setup_teardown(test_metrics_listen_is_read_at_start_only,
					    control_fixture_setup, control_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
