/* test_domain.c — the domain's keys into the model (src/control/domain.c,
 * domain_model): the domain's profiles replace the domain ones, this
 * host's bindings bind their ports, others' are ignored, a binding without
 * its port is pending, an unbound port keeps what it ran with, and before
 * the first read a bound port forwards on its system VLANs only. Run on
 * the control fixture's model, without etcd. */
#include <stdlib.h>
#include <string.h>

#include "cluster/domain_schema.h"
#include "control/domain.h"
#include "control_fixture.h"
#include "helpers.h"

static void put(struct domain_kvs *t, const char *key, const char *value)
{
	char full[DOMAIN_KEY_MAX];
	snprintf(full, sizeof(full), "/vswitch/lab/%s", key);
	assert_int_equal(domain_kvs_put(t, full, value, strlen(value), 1, 1), 0);
}

/* The model the fixture's running one becomes with the keys. */
static struct config *model_with(struct control_fixture *f, struct domain *d,
				 const struct domain_kvs *t, int expect)
{
	struct domain_view view;
	char err[512];
	assert_int_equal(domain_view_build(&view, "lab", t, err, sizeof(err)), 0);
	struct config *next = NULL;
	int error = domain_model(d, f->state.running, &view, &next, err, sizeof(err));
	domain_view_free(&view);
	assert_int_equal(error, expect);
	return next;
}

static void build(struct control_fixture *f)
{
	assert_int_equal(control_fixture_run(f, "switch add sw"), 0);
	assert_int_equal(control_fixture_run(f, "port add sw vm1 type pipe"), 0);
	assert_int_equal(control_fixture_run(f, "port add sw vm2 type pipe pvid 7"), 0);
	assert_int_equal(control_fixture_run(f, "profile add web pvid 99"), 0); /* local */
}

static void test_this_hosts_bindings_bind_their_ports(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	struct domain d = {.name = "lab", .host = "h1"};
	struct domain_kvs t = {0};
	put(&t, "profiles/base", "{\"settings\":{\"mac-limit\":\"5\"}}");
	put(&t, "profiles/web", "{\"inherit\":\"base\",\"settings\":{\"pvid\":\"30\"}}");
	put(&t, "bindings/vm1",
	    "{\"host\":\"h1\",\"profile\":\"web\",\"overrides\":"
	    "{\"mac-limit\":\"9\"}}");
	put(&t, "bindings/vm2", "{\"host\":\"h2\",\"profile\":\"web\"}");
	put(&t, "bindings/vm9", "{\"host\":\"h1\",\"profile\":\"web\"}");
	struct config *next = model_with(f, &d, &t, 0);
	const struct config_port *vm1 = config_find_port(next, "vm1");
	assert_true(vm1->domain);
	assert_string_equal(vm1->profile, "web");
	assert_int_equal(vm1->settings.pvid, 30);
	assert_int_equal(vm1->settings.mac_limit, 9);
	/* Another host's binding of a same-named port is not ours. */
	const struct config_port *vm2 = config_find_port(next, "vm2");
	assert_false(vm2->domain);
	assert_int_equal(vm2->settings.pvid, 7);
	/* The domain's web replaced the local one. */
	assert_true(config_find_profile(next, "web")->domain);
	assert_int_equal(d.n_pending, 1);
	assert_string_equal(d.pending[0].port, "vm9");
	assert_non_null(strstr(d.pending[0].reason, "no such port"));
	free(d.pending);
	config_free(next);
	domain_kvs_clear(&t);
}

static void test_unbound_port_keeps_what_it_ran_with(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	struct domain d = {.name = "lab", .host = "h1"};
	struct domain_kvs t = {0};
	put(&t, "profiles/db", "{\"settings\":{\"pvid\":\"40\"}}");
	put(&t, "bindings/vm1", "{\"host\":\"h1\",\"profile\":\"db\"}");
	struct config *next = model_with(f, &d, &t, 0);
	char err[512];
	assert_int_equal(control_commit_resolved(&f->state, next, err, sizeof(err)), 0);
	/* The binding goes: vm1 stays on VLAN 40, unbound, no longer the domain's. */
	domain_kvs_delete(&t, "/vswitch/lab/bindings/vm1");
	next = model_with(f, &d, &t, 0);
	const struct config_port *vm1 = config_find_port(next, "vm1");
	assert_false(vm1->domain);
	assert_string_equal(vm1->profile, "");
	assert_int_equal(vm1->settings.pvid, 40);
	free(d.pending);
	config_free(next);
	domain_kvs_clear(&t);
}

static void test_booting_port_forwards_on_system_vlans_only(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	assert_int_equal(control_fixture_run(f, "port add sw vm3 type pipe"), 0);
	struct domain d = {.name = "lab", .host = "h1", .booting = true};
	struct domain_kvs t = {0};
	put(&t, "profiles/base", "{\"system-vlans\":\"10\"}");
	put(&t, "profiles/mgmt",
	    "{\"inherit\":\"base\",\"settings\":{\"pvid\":\"10\","
	    "\"vids\":\"11,12\"}}");
	put(&t, "profiles/web",
	    "{\"system-vlans\":\"31\",\"settings\":{\"pvid\":\"30\","
	    "\"vids\":\"31,32\"}}");
	put(&t, "profiles/app", "{\"settings\":{\"pvid\":\"50\"}}");
	put(&t, "bindings/vm1", "{\"host\":\"h1\",\"profile\":\"mgmt\"}");
	put(&t, "bindings/vm2", "{\"host\":\"h1\",\"profile\":\"web\"}");
	put(&t, "bindings/vm3", "{\"host\":\"h1\",\"profile\":\"app\"}");
	struct config *next = model_with(f, &d, &t, 0);
	/* mgmt: its PVID is a system VLAN (inherited); other VLANs cut. */
	const struct port_config *s = &config_find_port(next, "vm1")->settings;
	assert_int_equal(s->pvid, 10);
	assert_true(bitset_empty(s->vids, VLAN_WORDS));
	/* web: tagged 31 stays, untagged frames are dropped (pvid none). */
	s = &config_find_port(next, "vm2")->settings;
	assert_int_equal(s->pvid, 0);
	assert_true(bitset_test(s->vids, 31) && !bitset_test(s->vids, 32));
	/* app: no system VLAN at all: it forwards nothing. */
	s = &config_find_port(next, "vm3")->settings;
	assert_int_equal(s->pvid, 0);
	assert_true(bitset_empty(s->vids, VLAN_WORDS));
	config_free(next);
	/* After the first read: the full settings. */
	d.booting = false;
	next = model_with(f, &d, &t, 0);
	assert_int_equal(config_find_port(next, "vm2")->settings.pvid, 30);
	assert_int_equal(config_find_port(next, "vm3")->settings.pvid, 50);
	free(d.pending);
	config_free(next);
	domain_kvs_clear(&t);
}

static void test_a_profile_the_model_refuses_is_refused_whole(void **state)
{
	struct control_fixture *f = *state;
	build(f);
	struct domain d = {.name = "lab", .host = "h1"};
	struct domain_kvs t = {0};
	put(&t, "profiles/web", "{\"settings\":{\"pvid\":\"5000\"}}");
	put(&t, "bindings/vm1", "{\"host\":\"h1\",\"profile\":\"web\"}");
	assert_null(model_with(f, &d, &t, -EINVAL));
	put(&t, "profiles/web", "{\"system-vlans\":\"x\"}");
	assert_null(model_with(f, &d, &t, -EINVAL));
	free(d.pending);
	domain_kvs_clear(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_this_hosts_bindings_bind_their_ports,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_unbound_port_keeps_what_it_ran_with,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_booting_port_forwards_on_system_vlans_only,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_a_profile_the_model_refuses_is_refused_whole,
					    control_fixture_setup, control_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
