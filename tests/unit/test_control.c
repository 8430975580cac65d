/* test_control.c — the control plane without threads or sockets: commands
 * run through control_execute() against a real datapath on pipe ports, the
 * startup file is loaded and saved, and every refusal leaves the running
 * state exactly as it was. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/execute.h"
#include "control_fixture.h"
#include "engine/datapath.h"
#include "helpers.h"

/* Runs one command line (control_fixture.h). */
static int run(struct control_fixture *f, const char *line)
{
	return control_fixture_run(f, line);
}

static void build_seed(struct control_fixture *f)
{
	assert_int_equal(run(f, "switch add hv mode authoritative ageing 120"), 0);
	assert_int_equal(run(f, "port add hv lpar1 type pipe vids 3"), 0);
	assert_int_equal(run(f, "port add hv lpar3 type pipe depth=256 pvid 2 vids 3"), 0);
	assert_int_equal(run(f, "port add hv vios type pipe vids 3 uplink on trunk-priority 1"), 0);
	assert_int_equal(run(f, "fdb add hv vlan 3 mac 02:00:00:00:01:03 port lpar1"), 0);
}

static void test_commands_build_the_live_switch(void **state)
{
	struct control_fixture *f = *state;
	build_seed(f);
	struct vswitch *sw = datapath_find_switch(f->state.dp, "hv");
	assert_non_null(sw);
	assert_int_equal(sw->config.mode, SWITCH_MODE_AUTHORITATIVE);
	assert_int_equal(sw->config.ageing_seconds, 120);
	struct bridge_port *lpar3 = switch_find_port(sw, "lpar3");
	assert_int_equal(lpar3->config.pvid, 2);
	assert_true(bitset_test(lpar3->vlans, 3));
	assert_int_equal(sw->active_uplink[3], switch_find_port(sw, "vios")->index);
	assert_int_equal(sw->fdb->count, 1);
	/* and it forwards: VLAN 3 from lpar3 reaches lpar1 tagged */
	test_send(sw, lpar3, test_broadcast, test_mac(3), 3);
	struct test_frame fr = test_take(switch_find_port(sw, "lpar1"));
	assert_int_equal(test_frame_vid(&fr), 3);
}

static void test_port_set_changes_only_what_it_names(void **state)
{
	struct control_fixture *f = *state;
	build_seed(f);
	assert_int_equal(run(f, "port set lpar1 pvid 7 mac-limit 10"), 0);
	struct bridge_port *p = datapath_find_port(f->state.dp, "lpar1", NULL);
	assert_int_equal(p->config.pvid, 7);
	assert_int_equal(p->config.mac_limit, 10);
	assert_true(bitset_test(p->vlans, 3)); /* vids kept */
	char *cfg = control_fixture_running_config(f);
	assert_non_null(strstr(cfg, "port add hv lpar1 type pipe pvid 7 vids 3 mac-limit 10\n"));
	free(cfg);
}

static void test_refused_command_changes_nothing(void **state)
{
	struct control_fixture *f = *state;
	build_seed(f);
	char *before = control_fixture_running_config(f);
	assert_int_equal(run(f, "port set lpar1 pvid 5000"), -EINVAL);
	assert_string_equal(f->err, "port lpar1: pvid '5000' is not a number in range 1-4094");
	assert_int_not_equal(run(f, "port add hv bad type pipe depth=3"), 0);
	assert_non_null(strstr(f->err, "depth '3' must be a power of two"));
	assert_int_not_equal(run(f, "port set lpar1 trunk-priority 3"), 0);
	assert_non_null(strstr(f->err, "only to an uplink"));
	assert_int_not_equal(run(f, "port add nosuch vm9 type pipe"), 0);
	assert_string_equal(f->err, "port vm9: no switch nosuch");
	assert_int_not_equal(run(f, "port add hv lpar1 type pipe"), 0);
	assert_string_equal(f->err, "port lpar1: already exists");
	assert_int_not_equal(run(f, "fdb add hv vlan 2 mac 02:00:00:00:00:09 port lpar1"), 0);
	assert_non_null(strstr(f->err, "not a member of vlan 2"));
	assert_int_not_equal(run(f, "port add hv x type bogus"), 0);
	assert_non_null(strstr(f->err, "unknown type 'bogus'"));
	assert_int_not_equal(run(f, "frobnicate"), 0);
	assert_non_null(strstr(f->err, "unknown command"));
	assert_int_not_equal(run(f, "port add hv"), 0);
	assert_non_null(strstr(f->err, "usage: port add"));
	char *after = control_fixture_running_config(f);
	assert_string_equal(before, after);
	assert_null(datapath_find_port(f->state.dp, "bad", NULL));
	free(before);
	free(after);
}

static void test_saved_config_rebuilds_the_same_state(void **state)
{
	struct control_fixture *f = *state;
	build_seed(f);
	assert_int_equal(run(f, "port set lpar3 mode private learning off hairpin on"), 0);
	assert_int_equal(run(f, "save"), 0);
	char *before = control_fixture_running_config(f);
	/* A new daemon from the saved file. */
	struct control_state fresh;
	char *text = control_fixture_restart(f, &fresh);
	assert_string_equal(before, text);
	struct bridge_port *p = datapath_find_port(fresh.dp, "lpar3", NULL);
	assert_int_equal(p->config.mode, PORT_MODE_PRIVATE);
	assert_false(p->config.learning);
	free(text);
	free(before);
	control_fixture_restart_free(&fresh);
}

static void write_file(const char *path, const char *text)
{
	FILE *out = fopen(path, "w");
	assert_non_null(out);
	fputs(text, out);
	fclose(out);
}

static void test_bad_startup_file_is_rejected_whole_with_file_and_line(void **state)
{
	struct control_fixture *f = *state;
	build_seed(f);
	char *before = control_fixture_running_config(f);
	write_file(f->path, "# a comment\n"
			    "switch add other\n"
			    "port add other a type pipe\n"
			    "port add other b type pipe pvid 9999\n");
	assert_int_not_equal(control_reload(&f->state, f->err, sizeof(f->err)), 0);
	char expect[256];
	snprintf(expect, sizeof(expect),
		 "%s:4: port b: pvid '9999' is not a number in range 1-4094", f->path);
	assert_string_equal(f->err, expect);
	char *after = control_fixture_running_config(f);
	assert_string_equal(before, after); /* nothing applied, not even line 2 */
	assert_null(datapath_find_switch(f->state.dp, "other"));
	free(after);
	write_file(f->path, "switch add s\nshow\n");
	assert_int_not_equal(control_reload(&f->state, f->err, sizeof(f->err)), 0);
	assert_non_null(strstr(f->err, ":2: 'show ' is not a configuration command"));
	free(before);
}

/* A port type's status reaches `port show` and a `TYPE show` command that no
 * table lists: the pipe type's, here. */
static void test_a_port_type_status_gives_its_show_command(void **state)
{
	struct control_fixture *f = *state;
	build_seed(f);
	struct bridge_port *p = datapath_find_port(f->state.dp, "lpar1", NULL);
	uint8_t frame[64] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 8, 0};
	assert_int_equal(pipe_inject(p->dev, p->sw->pool, frame, sizeof(frame), -1), 0);
	assert_int_equal(run(f, "pipe show lpar1"), 0);
	assert_string_equal(f->output, "pipe lpar1 (switch hv): carrier up, 1 frames waiting to be "
				       "received, 0 sent and not yet taken\n");
	assert_int_equal(run(f, "pipe show"), 0);
	assert_non_null(strstr(f->output, "pipe vios (switch hv):"));
	assert_int_equal(run(f, "port show lpar1"), 0);
	assert_non_null(strstr(f->output, "\n  pipe: carrier up, 1 frames waiting"));
	assert_int_equal(run(f, "help"), 0);
	assert_non_null(strstr(f->output, "  bond show [PORT]\n"));
	assert_non_null(strstr(f->output, "  pipe show [PORT]\n"));
	assert_int_not_equal(run(f, "afpacket show"), 0); /* a type without status */
	assert_non_null(strstr(f->err, "unknown command 'afpacket show'"));
	assert_int_not_equal(run(f, "bond show lpar1"), 0);
	assert_string_equal(f->err, "port lpar1: not a bond");
}

static void test_startup_file_line_with_a_nul_byte_is_refused(void **state)
{
	struct control_fixture *f = *state;
	build_seed(f);
	FILE *out = fopen(f->path, "w");
	fwrite("switch add s\nswitch add t\0 mode learning\n", 1, 41, out);
	fclose(out);
	assert_int_not_equal(control_reload(&f->state, f->err, sizeof(f->err)), 0);
	assert_non_null(strstr(f->err, ":2: a NUL byte in the line"));
	assert_null(datapath_find_switch(f->state.dp, "s"));
}

static void test_startup_file_that_is_not_a_regular_file_is_refused(void **state)
{
	struct control_fixture *f = *state;
	/* A FIFO without a writer: opening it for reading would block. */
	assert_int_equal(mkfifo(f->path, 0600), 0);
	assert_int_not_equal(control_reload(&f->state, f->err, sizeof(f->err)), 0);
	char expect[256];
	snprintf(expect, sizeof(expect), "%s: not a regular file", f->path);
	assert_string_equal(f->err, expect);
}

static void test_error_while_applying_a_file_names_its_line(void **state)
{
	struct control_fixture *f = *state;
	write_file(f->path, "switch add s\n"
			    "port add s a type pipe\n"
			    "port add s b type afpacket dev=vsw-no-such0\n");
	assert_int_not_equal(control_reload(&f->state, f->err, sizeof(f->err)), 0);
	char expect[256];
	snprintf(expect, sizeof(expect), "%s:3: port b:", f->path);
	if (strncmp(f->err, expect, strlen(expect)))
		fail_msg("'%s' does not start with '%s'", f->err, expect);
	assert_null(datapath_find_switch(f->state.dp, "s"));
}

static void test_reload_applies_only_the_difference(void **state)
{
	struct control_fixture *f = *state;
	build_seed(f);
	struct bridge_port *vios = datapath_find_port(f->state.dp, "vios", NULL);
	struct vswitch *sw = datapath_find_switch(f->state.dp, "hv");
	test_send(sw, vios, test_broadcast, test_mac(77), -1); /* a learned MAC */
	assert_int_equal(sw->fdb->count, 2);
	write_file(f->path, "switch add hv mode authoritative ageing 120\n"
			    "port add hv lpar1 type pipe vids 3,4\n"
			    "port add hv vios type pipe vids 3 uplink on trunk-priority 1\n"
			    "port add hv lpar5 type pipe\n");
	assert_int_equal(control_reload(&f->state, f->err, sizeof(f->err)), 0);
	/* vios was not rebuilt: same port object, its learned MAC kept */
	assert_ptr_equal(datapath_find_port(f->state.dp, "vios", NULL), vios);
	uint64_t key = fdb_key(1, test_mac(77));
	assert_non_null(fdb_find(sw->fdb, key, hash_u64(key)));
	assert_null(datapath_find_port(f->state.dp, "lpar3", NULL));
	assert_non_null(datapath_find_port(f->state.dp, "lpar5", NULL));
	assert_true(bitset_test(datapath_find_port(f->state.dp, "lpar1", NULL)->vlans, 4));
	key = fdb_key(3, (const uint8_t[]){2, 0, 0, 0, 1, 3});
	assert_null(fdb_find(sw->fdb, key, hash_u64(key))); /* static MAC gone with the file */
}

static void test_show_commands_describe_live_state(void **state)
{
	struct control_fixture *f = *state;
	build_seed(f);
	assert_int_equal(run(f, "vlan show hv"), 0);
	assert_non_null(strstr(f->output, "3     -                            lpar1,lpar3,vios"));
	assert_int_equal(run(f, "fdb show hv"), 0);
	assert_non_null(strstr(f->output, "02:00:00:00:01:03  lpar1            static"));
	assert_int_equal(run(f, "port show vios"), 0);
	assert_non_null(strstr(f->output, "uplink, trunk-priority 1, active for its pvid: yes"));
	struct vswitch *sw = datapath_find_switch(f->state.dp, "hv");
	test_send(sw, switch_find_port(sw, "lpar1"), test_broadcast, test_mac(1), 9);
	assert_int_equal(run(f, "counters lpar1"), 0);
	assert_non_null(strstr(f->output, "vlan-not-member=1"));
	assert_int_equal(run(f, "counters clear lpar1"), 0);
	assert_int_equal(run(f, "counters lpar1"), 0);
	assert_null(strstr(f->output, "vlan-not-member"));
	test_send(sw, switch_find_port(sw, "lpar1"), test_broadcast, test_mac(1), -1);
	/* lpar1's static MAC in VLAN 3 and the one it just taught us in VLAN 1 */
	test_clear_all(sw);
	assert_int_equal(run(f, "port announce vios"), 0);
	assert_string_equal(f->output, "2 announcements (gratuitous RARP) sent on vios\n");
	int vids = 0;
	for (int i = 0; i < 2; i++) {
		struct test_frame rarp = test_take(switch_find_port(sw, "vios"));
		int vid = test_frame_vid(&rarp);
		assert_int_equal(load_be16(rarp.data + (vid < 0 ? 12 : 16)), 0x8035);
		vids += vid; /* -1 (VLAN 1 leaves untagged) + 3 */
	}
	assert_int_equal(vids, 2);
	assert_int_not_equal(run(f, "port announce nosuch"), 0);
	assert_int_equal(run(f, "fdb flush hv"), 0);
	assert_string_equal(f->output, "1 entries flushed\n"); /* the static one stays */
	assert_int_equal(sw->fdb->count, 1);
}

static void test_json_output_is_valid_json(void **state)
{
	struct control_fixture *f = *state;
	build_seed(f);
	const char *commands[] = {
	    "show",	"port show",   "vlan show",	      "fdb show hv",
	    "counters", "switch show", "show running-config", "port take lpar1"};
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		char copy[128], *argv[8];
		strcpy(copy, commands[i]);
		int argc = command_split(copy, argv, 8);
		char *text = NULL;
		size_t size = 0;
		FILE *out = open_memstream(&text, &size);
		assert_int_equal(
		    control_execute(&f->state, argc, argv, true, out, f->err, sizeof(f->err)), 0);
		fclose(out);
		/* Balanced and starting like JSON; the e2e tests parse it fully. */
		assert_true(text[0] == '{' || text[0] == '[');
		int depth = 0;
		for (char *p = text; *p; p++)
			depth += (*p == '{' || *p == '[') - (*p == '}' || *p == ']');
		assert_int_equal(depth, 0);
		free(text);
	}
}

static void test_deleting_a_switch_removes_its_ports(void **state)
{
	struct control_fixture *f = *state;
	build_seed(f);
	assert_int_equal(run(f, "switch del hv"), 0);
	assert_int_equal(f->state.dp->n_switches, 0);
	assert_int_equal(f->state.running->n_ports, 0);
	assert_int_equal(f->state.running->n_macs, 0);
	assert_int_equal(f->state.dp->pool->available, f->state.dp->pool->size);
}

/* Runs lines against a bare model, as a startup file is read, then checks
 * the model whole; returns config_check's status. */
static int check_model(const char *const *lines, char *err, size_t size)
{
	struct config *cfg = config_new();
	int status = 0;
	for (int i = 0; lines[i] && !status; i++) {
		char copy[512], *argv[32];
		strcpy(copy, lines[i]);
		int argc = command_split(copy, argv, 32);
		struct command_context ctx = {.cfg = cfg};
		status = command_run(&ctx, argc, argv, err, size);
	}
	if (!status)
		status = config_check(cfg, err, size);
	config_free(cfg);
	return status;
}

static void test_two_ports_on_one_interface_are_refused(void **state)
{
	(void)state;
	char err[512];
	const char *same[] = {"switch add s", "port add s eth1 type afpacket",
			      "port add s vm type tap dev=eth1", NULL};
	assert_int_equal(check_model(same, err, sizeof(err)), -EBUSY);
	assert_string_equal(err, "port vm: interface eth1 is already used by port eth1");
	const char *internal[] = {"switch add s", "port add s a type afpacket dev=x0",
				  "port add s b type internal dev=x0", NULL};
	assert_int_equal(check_model(internal, err, sizeof(err)), -EBUSY);
	const char *bonds[] = {"switch add s", "port add s b0 type bond members=e1,e2",
			       "port add s b1 type bond members=e3,e2", NULL};
	assert_int_equal(check_model(bonds, err, sizeof(err)), -EBUSY);
	assert_string_equal(err, "port b1: interface e2 is already used by port b0");
	const char *member[] = {"switch add s", "port add s b0 type bond members=e1,e2",
				"port add s e2 type afpacket", NULL};
	assert_int_equal(check_model(member, err, sizeof(err)), -EBUSY);
	/* The same tap name in two namespaces is two interfaces. */
	const char *vnics[] = {"switch add s", "port add s a type vnic dev=tr netns=h1",
			       "port add s b type vnic dev=tr netns=h2",
			       "port add s c type afpacket dev=tr", NULL};
	assert_int_equal(check_model(vnics, err, sizeof(err)), 0);
}

static void test_patch_link_is_up_as_soon_as_both_ends_exist(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(run(f, "switch add a"), 0);
	assert_int_equal(run(f, "switch add b"), 0);
	assert_int_equal(run(f, "port add a pa type patch peer=pb"), 0);
	struct bridge_port *pa = datapath_find_port(f->state.dp, "pa", NULL);
	assert_false(pa->up);
	assert_int_equal(run(f, "port add b pb type patch peer=pa"), 0);
	assert_true(pa->up);
	assert_true(datapath_find_port(f->state.dp, "pb", NULL)->up);
}

/* A broadcast from 02:00:00:00:00:03 in hex, untagged, 60 bytes. */
#define ADDRESSES_HEX "ffffffffffff020000000003"
#define PAYLOAD_HEX                                                                                \
	"080045"                                                                                   \
	"000000000000000000000000000000000000000000000000000000000000"                             \
	"000000000000000000000000000000"
#define BROADCAST_HEX ADDRESSES_HEX PAYLOAD_HEX

static void test_port_inject_and_take_carry_a_frame_through_the_switch(void **state)
{
	struct control_fixture *f = *state;
	build_seed(f);
	assert_int_equal(run(f, "port inject lpar3 " BROADCAST_HEX " vlan 3"), 0);
	assert_string_equal(f->output, "");
	datapath_poll(f->state.dp);
	/* lpar1 carries VLAN 3 tagged: the tag from metadata is on the wire. */
	assert_int_equal(run(f, "port take lpar1 count 1"), 0);
	assert_string_equal(f->output, ADDRESSES_HEX "81000003" PAYLOAD_HEX "\n");
	assert_int_equal(run(f, "port take lpar1"), 0);
	assert_string_equal(f->output, ""); /* taken means gone */
	assert_int_equal(run(f, "port take vios"), 0);
	assert_int_equal(strlen(f->output), 2 * 64 + 1);
	assert_int_equal(datapath_find_port(f->state.dp, "lpar3", NULL)->counters.rx_packets, 1);
}

static void test_port_inject_and_take_refusals_name_the_port(void **state)
{
	struct control_fixture *f = *state;
	build_seed(f);
	assert_int_equal(run(f, "port add hv pa type patch peer=pb"), 0);
	assert_int_equal(run(f, "port inject pa " BROADCAST_HEX), -EOPNOTSUPP);
	assert_string_equal(f->err,
			    "port pa: a patch port has no queue to inject into (pipe ports do)");
	assert_int_equal(run(f, "port take pa"), -EOPNOTSUPP);
	assert_string_equal(f->err,
			    "port pa: a patch port keeps no log of what it sent (pipe ports do)");
	assert_int_equal(run(f, "port inject lpar1 ffffffffffffzz"), -EINVAL);
	assert_string_equal(f->err, "port lpar1: frame: 'z' at character 13 is not a hex digit");
	assert_int_equal(run(f, "port inject lpar1 fff"), -EINVAL);
	assert_string_equal(f->err, "port lpar1: frame: 3 hex digits, not two per byte");
	assert_int_equal(run(f, "port inject lpar1 ffffffffffff0200000000030800ff"), 0);
	assert_int_equal(run(f, "port inject lpar1 ffffffffffff02000000000308"), -EMSGSIZE);
	assert_string_equal(f->err, "port lpar1: a frame of 13 bytes is outside 14-2048");
	char line[8192] = "port inject lpar1 ";
	for (int i = 0; i < 2049; i++)
		strcat(line, "00");
	assert_int_equal(run(f, line), -EMSGSIZE);
	assert_string_equal(f->err, "port lpar1: a frame of 2049 bytes is outside 14-2048");
	assert_int_equal(run(f, "port inject lpar1 " BROADCAST_HEX " vlan 4096"), -EINVAL);
	assert_string_equal(f->err, "port lpar1: vlan '4096' is not a number in range 0-4095");
	assert_int_equal(run(f, "port inject lpar1 " BROADCAST_HEX " pcp 3"), -EINVAL);
	assert_string_equal(f->err, "usage: port inject PORT HEX [vlan VID]");
	assert_int_equal(run(f, "port inject nosuch " BROADCAST_HEX), -ENOENT);
	assert_string_equal(f->err, "port nosuch: no such port");
	assert_int_equal(run(f, "port take lpar1 count 0"), -EINVAL);
	assert_string_equal(f->err, "port lpar1: count '0' is not a number in range 1-1048576");
	assert_int_equal(run(f, "port inject lpar1"), -EINVAL);
	assert_string_equal(f->err, "usage: port inject PORT HEX [vlan VID]");
	/* Only the one good frame went in. */
	datapath_poll(f->state.dp);
	assert_int_equal(datapath_find_port(f->state.dp, "lpar1", NULL)->counters.rx_packets, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_two_ports_on_one_interface_are_refused),
	    cmocka_unit_test_setup_teardown(test_patch_link_is_up_as_soon_as_both_ends_exist,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_commands_build_the_live_switch,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_port_set_changes_only_what_it_names,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_refused_command_changes_nothing,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_saved_config_rebuilds_the_same_state,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		test_bad_startup_file_is_rejected_whole_with_file_and_line, control_fixture_setup,
		control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_reload_applies_only_the_difference,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_show_commands_describe_live_state,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_json_output_is_valid_json, control_fixture_setup,
					    control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_a_port_type_status_gives_its_show_command,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_startup_file_line_with_a_nul_byte_is_refused,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_startup_file_that_is_not_a_regular_file_is_refused,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_error_while_applying_a_file_names_its_line,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_deleting_a_switch_removes_its_ports,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		test_port_inject_and_take_carry_a_frame_through_the_switch, control_fixture_setup,
		control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_port_inject_and_take_refusals_name_the_port,
					    control_fixture_setup, control_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
