/* test_acl_config.c — security groups in the model and through the apply
 * (src/control/acl_config.c, acl_commands.c, apply.c): rule words and their
 * refusals, running-config reproducing every rule and binding exactly in a
 * fresh daemon, the compiled rules reaching the live port and following
 * edits, connections kept across a rule change, acl show's counters, and
 * conntrack show/flush. */
#include <stdlib.h>

#include "acl_frames.h"
#include "control/execute.h"
#include "control_fixture.h"
#include "engine/datapath.h"
#include "helpers.h"

static int run(struct control_fixture *f, const char *line)
{
	return control_fixture_run(f, line);
}

static void build(struct control_fixture *f)
{
	assert_int_equal(run(f, "switch add br"), 0);
	assert_int_equal(run(f, "port add br vm1 type pipe"), 0);
	assert_int_equal(run(f, "port add br net type pipe"), 0);
	assert_int_equal(run(f, "acl add web direction ingress proto tcp port 80"), 0);
	assert_int_equal(run(f, "acl add web priority 10 direction ingress ethertype ipv6 proto "
				"tcp port 8000-8080 remote fd00::1234/64"),
			 0);
	assert_int_equal(run(f, "acl add web direction egress"), 0);
	assert_int_equal(run(f, "acl add ssh id 7 direction ingress proto tcp port 22 remote "
				"10.1.2.3/24 action allow"),
			 0);
	assert_int_equal(run(f, "acl add ssh direction ingress proto icmp"), 0);
	assert_int_equal(run(f, "acl add ssh direction ingress proto 47"), 0);
	assert_int_equal(run(f, "port set vm1 security-group web,ssh conntrack-max 100"), 0);
}

static void test_rule_words_and_running_config(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	char *text = control_fixture_running_config(f);
	assert_non_null(strstr(text, "acl add web id 1 priority 1000 direction ingress proto tcp "
				     "port 80\n"));
	assert_non_null(strstr(text, "acl add web id 2 priority 10 direction ingress ethertype "
				     "ipv6 proto tcp port 8000-8080 remote fd00::/64\n"));
	assert_non_null(strstr(text, "acl add web id 3 priority 1000 direction egress\n"));
	assert_non_null(strstr(
	    text, "acl add ssh id 7 priority 1000 direction ingress ethertype ipv4 proto tcp "
		  "port 22 remote 10.1.2.0/24\n"));
	assert_non_null(strstr(text, "acl add ssh id 8 priority 1000 direction ingress ethertype "
				     "ipv4 proto icmp\n"));
	assert_non_null(
	    strstr(text, "acl add ssh id 9 priority 1000 direction ingress proto 47\n"));
	assert_non_null(strstr(text, " security-group web,ssh conntrack-max 100\n"));
	free(text);
}

static void test_saved_config_rebuilds_the_same_rules(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	assert_int_equal(run(f, "save"), 0);
	char *before = control_fixture_running_config(f);
	struct control_state fresh;
	char *text = control_fixture_restart(f, &fresh);
	assert_string_equal(before, text);
	assert_true(config_equal(f->state.running, fresh.running));
	struct bridge_port *p = datapath_find_port(fresh.dp, "vm1", NULL);
	assert_non_null(p->acl);
	assert_int_equal(p->acl->cls[ACL_INGRESS]->n_rules, 5);
	assert_int_equal(p->acl->cls[ACL_EGRESS]->n_rules, 1);
	assert_int_equal(p->acl->ct->max, 100);
	free(text);
	free(before);
	control_fixture_restart_free(&fresh);
}

static void test_refusals_name_the_problem(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	char *before = control_fixture_running_config(f);
	assert_int_equal(run(f, "acl add web proto tcp"), -EINVAL);
	assert_non_null(strstr(f->err, "direction"));
	assert_int_equal(run(f, "acl add web direction ingress port 80"), -EINVAL);
	assert_non_null(strstr(f->err, "'port' needs 'proto tcp'"));
	assert_int_equal(run(f, "acl add web direction ingress ethertype ipv6 proto icmp"),
			 -EINVAL);
	assert_int_equal(run(f, "acl add web direction ingress ethertype ipv4 remote fd00::/8"),
			 -EINVAL);
	assert_int_equal(run(f, "acl add web direction ingress remote 10.0.0.0/33"), -EINVAL);
	assert_int_equal(run(f, "acl add web direction ingress proto tcp port 90-80"), -EINVAL);
	assert_int_equal(run(f, "acl add web direction ingress action deny"), -EINVAL);
	assert_int_equal(run(f, "acl add web id 1 direction ingress"), -EEXIST);
	assert_int_equal(run(f, "acl del web 99"), -ENOENT);
	assert_int_equal(run(f, "port set vm1 security-group a,a"), -EINVAL);
	assert_int_equal(run(f, "port set vm1 security-group 1,2,3,4,5,6,7,8,9"), -EINVAL);
	assert_int_equal(run(f, "port set vm1 conntrack-max 0"), -EINVAL);
	char *after = control_fixture_running_config(f);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static uint32_t tcp_frame(uint8_t *buf, uint16_t sport, uint16_t dport, uint8_t flags, bool to_vm)
{
	struct acl_frame_spec s = {.family = 4,
				   .proto = FLOW_IPPROTO_TCP,
				   .tcp_flags = flags,
				   .sport = sport,
				   .dport = dport};
	acl_addr(s.src, 4, to_vm ? 2 : 1);
	acl_addr(s.dst, 4, to_vm ? 1 : 2);
	uint32_t len = acl_frame_build(buf, &s);
	memcpy(buf, to_vm ? test_mac(1) : test_mac(2), 6);
	memcpy(buf + 6, to_vm ? test_mac(2) : test_mac(1), 6);
	return len;
}

static void test_live_port_follows_edits_and_keeps_connections(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	struct vswitch *sw = datapath_find_switch(f->state.dp, "br");
	struct bridge_port *vm1 = switch_find_port(sw, "vm1"), *net = switch_find_port(sw, "net");
	/* Let the switch learn vm1's MAC (egress allows anything). */
	uint8_t buf[128];
	test_send_raw(sw, vm1, buf, tcp_frame(buf, 1, 2, FLOW_TCP_ACK, false));
	test_clear_all(sw);
	test_send_raw(sw, net, buf, tcp_frame(buf, 40000, 80, FLOW_TCP_SYN, true));
	assert_int_equal(test_count_and_clear(vm1), 1);
	test_send_raw(sw, net, buf, tcp_frame(buf, 40000, 81, FLOW_TCP_SYN, true));
	assert_int_equal(test_count_and_clear(vm1), 0);
	assert_int_equal(vm1->tx_drops[DROP_ACL_DENY], 1);

	assert_int_equal(run(f, "acl show web"), 0);
	assert_non_null(strstr(f->output, "rule 1: priority 1000 direction ingress proto tcp port "
					  "80  packets 1 bytes 54"));
	assert_int_equal(run(f, "conntrack show br"), 0);
	assert_non_null(strstr(f->output, "port vm1 (switch br): 2 connections, max 100"));

	/* Port 80's rule goes: the open connection stays, new ones are refused. */
	assert_int_equal(run(f, "acl del web 1"), 0);
	test_send_raw(sw, net, buf, tcp_frame(buf, 40000, 80, FLOW_TCP_ACK, true));
	assert_int_equal(test_count_and_clear(vm1), 1);
	test_send_raw(sw, net, buf, tcp_frame(buf, 40001, 80, FLOW_TCP_SYN, true));
	assert_int_equal(test_count_and_clear(vm1), 0);
	assert_int_equal(run(f, "conntrack flush"), 0);
	test_send_raw(sw, net, buf, tcp_frame(buf, 40000, 80, FLOW_TCP_ACK, true));
	assert_int_equal(test_count_and_clear(vm1), 0);
	assert_int_equal(run(f, "acl show"), 0);
	assert_non_null(strstr(f->output, "security group ssh (ports: vm1)"));

	/* No groups: everything passes again, and the port's state is gone. */
	assert_int_equal(run(f, "port set vm1 security-group none"), 0);
	assert_null(vm1->acl);
	test_send_raw(sw, net, buf, tcp_frame(buf, 40001, 81, FLOW_TCP_SYN, true));
	assert_int_equal(test_count_and_clear(vm1), 1);
	assert_int_equal(run(f, "port show vm1"), 0);
}

static void test_failed_apply_keeps_the_old_rules(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	struct bridge_port *vm1 = datapath_find_port(f->state.dp, "vm1", NULL);
	struct acl_port *before = vm1->acl;
	config_apply_fail_at(1);
	assert_int_not_equal(run(f, "port add br vm2 type pipe security-group web"), 0);
	assert_ptr_equal(datapath_find_port(f->state.dp, "vm1", NULL)->acl, before);
	config_apply_fail_at(0);
}

#define T(name)                                                                                    \
	cmocka_unit_test_setup_teardown(name, control_fixture_setup, control_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_rule_words_and_running_config),
	    T(test_saved_config_rebuilds_the_same_rules),
	    T(test_refusals_name_the_problem),
	    T(test_live_port_follows_edits_and_keeps_connections),
	    T(test_failed_apply_keeps_the_old_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
