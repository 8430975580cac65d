/* test_sea.c — the SEA: every rule of the election (sea_decide, pure), the
 * trunk split of sharing mode, the configuration the control plane refuses
 * with a clear error, and one live SEA on pipe ports: its trunks follow its
 * role, a heartbeat from a peer moves it, and the real adapter's VLANs
 * follow the SEA. */
#include <stdlib.h>
#include <unistd.h>

#include "control/execute.h"
#include "control_fixture.h"
#include "engine/datapath.h"
#include "ha/sea.h"
#include "helpers.h"

/* ---- the election ------------------------------------------------------------ */

static struct sea_self self_ok(uint8_t priority, enum sea_role role)
{
	return (struct sea_self){.priority = priority,
				 .mode = SEA_HA_AUTO,
				 .failback = true,
				 .failback_delay_ms = 3000,
				 .health = SEA_HEALTH_OK,
				 .healthy_for_ms = 60000,
				 .role = role,
				 .n_trunks = 1};
}

static struct sea_peer peer_ok(uint8_t priority, enum sea_role role)
{
	return (struct sea_peer){.alive = true,
				 .priority = priority,
				 .mode = SEA_HA_AUTO,
				 .health = SEA_HEALTH_OK,
				 .role = role};
}

static void test_primary_forwards_backup_stands_by(void **state)
{
	(void)state;
	struct sea_self a = self_ok(1, SEA_ROLE_STANDBY);
	struct sea_peer b = peer_ok(2, SEA_ROLE_STANDBY);
	assert_int_equal(sea_decide(&a, &b).role, SEA_ROLE_ACTIVE);
	struct sea_self bs = self_ok(2, SEA_ROLE_STANDBY);
	struct sea_peer ap = peer_ok(1, SEA_ROLE_ACTIVE);
	struct sea_decision d = sea_decide(&bs, &ap);
	assert_int_equal(d.role, SEA_ROLE_STANDBY);
	assert_string_equal(d.why, "the primary forwards");
	/* Both just started: the backup leaves the start to the primary. */
	ap.role = SEA_ROLE_STANDBY;
	assert_int_equal(sea_decide(&bs, &ap).role, SEA_ROLE_STANDBY);
}

static void test_every_cause_of_a_failover(void **state)
{
	(void)state;
	struct sea_self b = self_ok(2, SEA_ROLE_STANDBY);
	struct sea_peer a = peer_ok(1, SEA_ROLE_ACTIVE);
	a.alive = false;
	assert_string_equal(sea_decide(&b, &a).why, "no heartbeat from the peer");
	a = peer_ok(1, SEA_ROLE_STANDBY);
	a.health = SEA_HEALTH_DOWN;
	assert_int_equal(sea_decide(&b, &a).role, SEA_ROLE_ACTIVE);
	assert_string_equal(sea_decide(&b, &a).why, "the peer's real adapter is down");
	a = peer_ok(1, SEA_ROLE_STANDBY);
	a.health = SEA_HEALTH_DEGRADED;
	assert_string_equal(sea_decide(&b, &a).why, "the peer's netaddr does not answer");
	assert_int_equal(sea_decide(&b, &a).role, SEA_ROLE_ACTIVE);
	a = peer_ok(1, SEA_ROLE_STANDBY);
	a.mode = SEA_HA_STANDBY;
	assert_string_equal(sea_decide(&b, &a).why, "the peer is forced to standby");

	/* And the primary's side of each. */
	struct sea_self p = self_ok(1, SEA_ROLE_ACTIVE);
	struct sea_peer q = peer_ok(2, SEA_ROLE_STANDBY);
	p.health = SEA_HEALTH_DOWN;
	assert_int_equal(sea_decide(&p, &q).role, SEA_ROLE_STANDBY);
	p.health = SEA_HEALTH_DEGRADED;
	assert_string_equal(sea_decide(&p, &q).why, "netaddr does not answer, the peer's does");
	p.health = SEA_HEALTH_OK;
	p.mode = SEA_HA_STANDBY;
	assert_string_equal(sea_decide(&p, &q).why, "ha-mode standby (forced)");
}

static void test_degraded_alone_still_forwards(void **state)
{
	(void)state;
	/* Better a path whose gateway does not answer than none: with both
	 * degraded the primary keeps forwarding. */
	struct sea_self a = self_ok(1, SEA_ROLE_ACTIVE);
	struct sea_peer b = peer_ok(2, SEA_ROLE_STANDBY);
	a.health = b.health = SEA_HEALTH_DEGRADED;
	assert_int_equal(sea_decide(&a, &b).role, SEA_ROLE_ACTIVE);
	b.alive = false;
	assert_int_equal(sea_decide(&a, &b).role, SEA_ROLE_ACTIVE);
}

static void test_failback_waits_for_the_hold_down(void **state)
{
	(void)state;
	struct sea_self a = self_ok(1, SEA_ROLE_STANDBY);
	struct sea_peer b = peer_ok(2, SEA_ROLE_ACTIVE);
	a.healthy_for_ms = 1000;
	struct sea_decision d = sea_decide(&a, &b);
	assert_int_equal(d.role, SEA_ROLE_STANDBY);
	assert_true(d.waiting);
	assert_int_equal(d.recheck_ms, 2000);
	/* The backup keeps forwarding while the primary waits. */
	struct sea_self bs = self_ok(2, SEA_ROLE_ACTIVE);
	struct sea_peer ap = peer_ok(1, SEA_ROLE_STANDBY);
	ap.waiting = true;
	assert_int_equal(sea_decide(&bs, &ap).role, SEA_ROLE_ACTIVE);
	a.healthy_for_ms = 3000;
	d = sea_decide(&a, &b);
	assert_int_equal(d.role, SEA_ROLE_ACTIVE);
	assert_string_equal(d.why, "failback: healthy for the whole hold-down");
	/* Once the primary forwards, the backup stands down. */
	ap.waiting = false;
	ap.role = SEA_ROLE_ACTIVE;
	assert_int_equal(sea_decide(&bs, &ap).role, SEA_ROLE_STANDBY);
}

static void test_failback_off_keeps_the_backup(void **state)
{
	(void)state;
	struct sea_self a = self_ok(1, SEA_ROLE_STANDBY);
	a.failback = false;
	struct sea_peer b = peer_ok(2, SEA_ROLE_ACTIVE);
	struct sea_decision d = sea_decide(&a, &b);
	assert_int_equal(d.role, SEA_ROLE_STANDBY);
	assert_true(d.waiting);
	assert_int_equal(d.recheck_ms, 0);
	/* But with no backup forwarding, the primary takes the role. */
	b.role = SEA_ROLE_STANDBY;
	assert_int_equal(sea_decide(&a, &b).role, SEA_ROLE_ACTIVE);
}

static void test_equal_priorities_break_the_tie(void **state)
{
	(void)state;
	struct sea_self x = self_ok(5, SEA_ROLE_STANDBY);
	struct sea_peer y = peer_ok(5, SEA_ROLE_STANDBY);
	x.first = true;
	assert_int_equal(sea_decide(&x, &y).role, SEA_ROLE_ACTIVE);
	x.first = false;
	assert_int_equal(sea_decide(&x, &y).role, SEA_ROLE_STANDBY);
}

static void test_sharing_splits_the_trunks(void **state)
{
	(void)state;
	struct sea_self a = self_ok(1, SEA_ROLE_STANDBY);
	struct sea_peer b = peer_ok(2, SEA_ROLE_STANDBY);
	a.mode = b.mode = SEA_HA_SHARING;
	a.n_trunks = 3;
	assert_int_equal(sea_decide(&a, &b).role, SEA_ROLE_SHARING);
	struct sea_self bs = self_ok(2, SEA_ROLE_STANDBY);
	struct sea_peer ap = peer_ok(1, SEA_ROLE_SHARING);
	bs.mode = ap.mode = SEA_HA_SHARING;
	bs.n_trunks = 3;
	assert_int_equal(sea_decide(&bs, &ap).role, SEA_ROLE_SHARING);
	assert_int_equal(sea_role_trunks(SEA_ROLE_SHARING, true, 3), 0x3);
	assert_int_equal(sea_role_trunks(SEA_ROLE_SHARING, false, 3), 0x4);
	assert_int_equal(sea_role_trunks(SEA_ROLE_ACTIVE, false, 3), 0x7);
	assert_int_equal(sea_role_trunks(SEA_ROLE_STANDBY, true, 3), 0);
	/* One takes all when the other fails. */
	ap.alive = false;
	assert_int_equal(sea_decide(&bs, &ap).role, SEA_ROLE_ACTIVE);
	/* Only one SEA in sharing mode, or one trunk: auto. */
	ap = peer_ok(1, SEA_ROLE_ACTIVE);
	assert_int_equal(sea_decide(&bs, &ap).role, SEA_ROLE_STANDBY);
	bs.n_trunks = 1;
	ap.mode = SEA_HA_SHARING;
	assert_int_equal(sea_decide(&bs, &ap).role, SEA_ROLE_STANDBY);
}

/* ---- configuration -------------------------------------------------------------- */

/* Runs one command line (control_fixture.h). */
static int run(struct control_fixture *f, const char *line)
{
	return control_fixture_run(f, line);
}

static void build_vios(struct control_fixture *f)
{
	assert_int_equal(run(f, "switch add vios"), 0);
	assert_int_equal(run(f, "port add vios ent0 type pipe"), 0);
	assert_int_equal(run(f, "port add vios trk type pipe vids 3"), 0);
	assert_int_equal(run(f, "port add vios trk2 type pipe pvid 7"), 0);
	assert_int_equal(run(f, "port add vios ctl type pipe pvid 99"), 0);
}

static void refused(struct control_fixture *f, const char *line, const char *message)
{
	if (run(f, line) == 0)
		fail_msg("'%s' was accepted", line);
	if (!strstr(f->err, message))
		fail_msg("'%s' said '%s', wanted '%s'", line, f->err, message);
	assert_int_equal(f->state.running->n_seas, 0);
}

static void test_bad_sea_configuration_is_refused(void **state)
{
	struct control_fixture *f = *state;
	build_vios(f);
	refused(f, "sea add s0 vios real ent0 trunks trk pvid 5",
		"sea s0: pvid 5 is not among the VLANs its trunks carry (1,3)");
	refused(f, "sea add s0 vios real ent0 trunks trk netaddr 10.0.0",
		"sea s0: netaddr '10.0.0' is not an IPv4 address");
	refused(f, "sea add s0 vios real ent0 trunks trk netaddr 300.1.1.1",
		"is not an IPv4 address");
	refused(f, "sea add s0 vios real ent0 trunks trk netaddr 224.0.0.1",
		"224.0.0.1 is not a host address one can ping");
	refused(f, "sea add s0 vios real ent0 trunks trk netaddr gateway",
		"'gateway' is not an IPv4 address");
	assert_int_equal(run(f, "port add vios lan type pipe vids 3"), 0);
	refused(f, "sea add s0 vios real ent0 trunks trk ctl lan",
		"sea s0: control port lan is in vlan 1, which the sea bridges");
	refused(f, "sea add s0 vios real ent0 trunks trk,trk ctl ctl", "trunk trk listed twice");
	refused(f, "sea add s0 vios real ent0 trunks nosuch", "trunk 'nosuch' is not a port");
	refused(f, "sea add s0 vios real ent0 trunks trk priority 16", "priority '16'");
	refused(f, "sea add s0 vios real ent0 trunks trk trunk-priority 0", "trunk-priority '0'");
	refused(f, "sea add s0 vios real ent0 trunks trk hello 100 dead 150",
		"dead 150 ms must be at least twice hello");
	refused(f, "sea add s0 vios real ent0 trunks trk ha-mode active",
		"must be auto, standby or sharing");
	refused(f, "sea add s0 vios trunks trk", "usage: sea add NAME SWITCH real PORT trunks");
	refused(f, "sea add s0 vios real ent0 trunks trk colour blue", "unknown setting 'colour'");
	assert_int_equal(run(f, "port add vios lnk type patch peer=x"), 0);
	refused(f, "sea add s0 vios real ent0 trunks lnk",
		"trunk lnk is a patch port, which cannot lower its link");
	assert_int_equal(run(f, "port set ent0 vids 9"), 0);
	refused(f, "sea add s0 vios real ent0 trunks trk",
		"port ent0: as the real adapter of sea s0 its VLANs follow the sea");
}

static void test_sea_runs_on_pipes(void **state)
{
	struct control_fixture *f = *state;
	build_vios(f);
	assert_int_equal(
	    run(f, "sea add s0 vios real ent0 trunks trk,trk2 ctl ctl priority 2 hello 20 dead 60"),
	    0);
	struct vswitch *sw = datapath_find_switch(f->state.dp, "vios");
	struct bridge_port *ent0 = switch_find_port(sw, "ent0"), *trk = switch_find_port(sw, "trk");
	struct bridge_port *trk2 = switch_find_port(sw, "trk2"), *ctl = switch_find_port(sw, "ctl");
	/* The real adapter: an uplink, pvid 1, tagged for what the trunks carry. */
	assert_true(ent0->config.uplink);
	assert_int_equal(ent0->config.pvid, 1);
	assert_true(bitset_test(ent0->config.vids, 3) && bitset_test(ent0->config.vids, 7));
	assert_false(bitset_test(ent0->config.vids, 1));
	/* Created standby: trunks down, the hypervisor switch must not use us. */
	assert_false(trk->up);
	assert_false(trk2->up);

	/* Alone after listening for the dead interval: active. */
	struct sea *sea = sea_set_find(&f->seas, "s0");
	uint64_t now = time_now_ns() / 1000000;
	sea_run(sea, now, true);
	assert_int_equal(sea_role(sea), SEA_ROLE_STANDBY);
	usleep(70 * 1000);
	now = time_now_ns() / 1000000;
	sea_run(sea, now, true);
	assert_int_equal(sea_role(sea), SEA_ROLE_ACTIVE);
	assert_true(trk->up && trk2->up);
	/* It told the control channel: a heartbeat left ctl. */
	struct test_frame hello = {.len = -1}, next;
	while ((next = test_take(ctl)).len > 0)
		hello = next; /* the newest */
	assert_true(hello.len >= 32);
	assert_memory_equal(hello.data + 14, "VSHA", 4);
	assert_int_equal(hello.data[19], SEA_ROLE_ACTIVE);
	assert_int_equal(hello.data[20], 2);

	/* A peer with a better priority says it forwards: we stand by. */
	uint8_t peer[60] = {0x03, 'v', 's', 'h', 'a', 0x01, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5};
	memcpy(peer + 14, "VSHA", 4);
	peer[18] = 1; /* version */
	peer[19] = SEA_ROLE_ACTIVE;
	peer[20] = 1; /* priority: ours is 2 */
	peer[21] = SEA_HA_AUTO;
	peer[22] = SEA_HEALTH_OK;
	test_send_raw(sw, ctl, peer, sizeof(peer));
	now = time_now_ns() / 1000000;
	sea_run(sea, now, false);
	assert_int_equal(sea_role(sea), SEA_ROLE_STANDBY);
	assert_false(trk->up || trk2->up);
	/* The heartbeat was counted as consumed and never forwarded. */
	assert_int_equal(ctl->counters.consumed, 1);
	assert_int_equal(port_counters_total_drops(&ctl->counters), 0);
	test_clear_all(sw);
	/* The same frame on a trunk is not from the control channel: counted,
	 * ignored, and not relayed either. */
	test_send_raw(sw, trk, peer, sizeof(peer));
	assert_int_equal(trk->counters.consumed, 1);
	assert_int_equal(test_count_and_clear(ent0), 0);

	assert_int_equal(run(f, "sea show s0"), 0);
	assert_non_null(strstr(f->output, "sea s0 (switch vios): standby — the primary forwards"));
	assert_non_null(strstr(f->output, "standby -> active: no heartbeat from the peer"));
	assert_int_equal(run(f, "show"), 0);
	assert_non_null(
	    strstr(f->output, "sea s0 (switch vios, real ent0): standby — the primary forwards\n"));
	assert_int_equal(run(f, "show running-config"), 0);
	assert_non_null(strstr(
	    f->output,
	    "sea add s0 vios real ent0 trunks trk,trk2 ctl ctl priority 2 hello 20 dead 60\n"));
	/* A port the SEA uses cannot go away under it. */
	assert_int_not_equal(run(f, "port del trk2"), 0);
	assert_non_null(strstr(f->err, "sea s0: trunk 'trk2' is not a port of switch vios"));
	assert_int_equal(run(f, "sea del s0"), 0);
	assert_int_equal(f->seas.n, 0);
	assert_null(switch_frame_handler(sw, SEA_ETH_TYPE));
}

static void test_real_adapter_carries_only_the_trunks_vlans(void **state)
{
	struct control_fixture *f = *state;
	build_vios(f);
	/* No control channel: a lone SEA, active at its first run. */
	assert_int_equal(run(f, "sea add s0 vios real ent0 trunks trk,trk2 pvid 3"), 0);
	struct vswitch *sw = datapath_find_switch(f->state.dp, "vios");
	struct bridge_port *ent0 = switch_find_port(sw, "ent0"), *trk = switch_find_port(sw, "trk");
	struct bridge_port *trk2 = switch_find_port(sw, "trk2");
	struct sea *sea = sea_set_find(&f->seas, "s0");
	sea_run(sea, time_now_ns() / 1000000, true);
	assert_int_equal(sea_role(sea), SEA_ROLE_ACTIVE);
	test_clear_all(sw);

	/* Untagged from the LAN is the SEA's pvid, 3: tagged 3 on trk. */
	test_send(sw, ent0, test_broadcast, test_mac(1), -1);
	struct test_frame out = test_take(trk);
	assert_int_equal(test_frame_vid(&out), 3);
	assert_int_equal(test_count_and_clear(trk2), 0);
	/* Tagged 1 (trk's pvid) leaves trk untagged; tagged 7 reaches trk2. */
	test_send(sw, ent0, test_broadcast, test_mac(2), 1);
	out = test_take(trk);
	assert_int_equal(test_frame_vid(&out), -1);
	test_send(sw, ent0, test_broadcast, test_mac(3), 7);
	assert_int_equal(test_count_and_clear(trk2), 1);
	/* A VLAN no trunk carries is dropped and counted. */
	test_send(sw, ent0, test_broadcast, test_mac(4), 9);
	assert_int_equal(test_count_and_clear(trk) + test_count_and_clear(trk2), 0);
	assert_int_equal(ent0->counters.drops[DROP_VLAN_NOT_MEMBER], 1);
	/* And the SEA's pvid leaves the LAN side untagged. */
	test_send(sw, trk, test_broadcast, test_mac(5), 3);
	out = test_take(ent0);
	assert_int_equal(test_frame_vid(&out), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_primary_forwards_backup_stands_by),
	    cmocka_unit_test(test_every_cause_of_a_failover),
	    cmocka_unit_test(test_degraded_alone_still_forwards),
	    cmocka_unit_test(test_failback_waits_for_the_hold_down),
	    cmocka_unit_test(test_failback_off_keeps_the_backup),
	    cmocka_unit_test(test_equal_priorities_break_the_tie),
	    cmocka_unit_test(test_sharing_splits_the_trunks),
	    cmocka_unit_test_setup_teardown(test_bad_sea_configuration_is_refused,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_real_adapter_carries_only_the_trunks_vlans,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_sea_runs_on_pipes, control_fixture_setup,
					    control_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
