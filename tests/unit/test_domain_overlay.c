/* test_domain_overlay.c — the overlay between the domain's keys and the
 * vxlan ports (src/control/domain_overlay.c), on the control fixture
 * without etcd: this host publishes its VTEP, VNIs and its bound VMs' MACs;
 * the other hosts' keys become flood lists and static remote MACs in the
 * vxlan port, which follow when a host's key goes. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/overlay.h"
#include "control/domain.h"
#include "control_fixture.h"
#include "engine/datapath.h"
#include "engine/engine.h"
#include "helpers.h"
#include "port/port.h"

static void put(struct domain_kvs *t, const char *key, const char *value)
{
	char full[DOMAIN_KEY_MAX];
	snprintf(full, sizeof(full), "/vswitch/lab/%s", key);
	assert_int_equal(domain_kvs_put(t, full, value, strlen(value), 1, 1), 0);
}

static void del(struct domain_kvs *t, const char *key)
{
	char full[DOMAIN_KEY_MAX];
	snprintf(full, sizeof(full), "/vswitch/lab/%s", key);
	assert_true(domain_kvs_delete(t, full));
}

/* The domain's binding of vm1 (with its MAC) made the running model. */
static void bind_vm1(struct control_fixture *f, struct domain *d, struct domain_kvs *t)
{
	put(t, "profiles/web", "{\"settings\":{\"pvid\":\"1\"}}");
	put(t, "bindings/vm1",
	    "{\"host\":\"h1\",\"profile\":\"web\",\"overrides\":{\"mac\":\"02:00:00:00:00:11\"}}");
	struct domain_view view;
	struct config *next = NULL;
	char err[512];
	assert_int_equal(domain_view_build(&view, "lab", t, err, sizeof(err)), 0);
	assert_int_equal(domain_model(d, f->state.running, &view, &next, err, sizeof(err)), 0);
	domain_view_free(&view);
	assert_int_equal(control_commit_resolved(&f->state, next, err, sizeof(err)), 0);
}

static struct port *vx(struct control_fixture *f)
{
	struct bridge_port *bp = datapath_find_port(f->state.dp, "vx", NULL);
	assert_non_null(bp);
	return bp->dev;
}

static void test_hosts_keys_become_flood_lists_and_static_macs(void **state)
{
	struct control_fixture *f = *state;
	char line[256];
	unsigned udp = 20000 + (unsigned)getpid() % 20000;
	assert_int_equal(control_fixture_run(f, "switch add sw"), 0);
	snprintf(line, sizeof(line),
		 "port add sw vx type vxlan local=127.0.0.1 port=%u vni=5000,20:5020 vids 20", udp);
	assert_int_equal(control_fixture_run(f, line), 0);
	assert_int_equal(control_fixture_run(f, "port add sw vm1 type pipe"), 0);
	struct domain d = {.name = "lab", .host = "h1", .state = &f->state};
	bind_vm1(f, &d, &d.kvs);
	put(&d.kvs, "hosts/h1", "{\"vtep\":\"127.0.0.1\",\"vnis\":[5000]}"); /* ourselves */
	put(&d.kvs, "hosts/h2",
	    "{\"vtep\":\"127.0.0.2\",\"vnis\":[5000,5020],\"vni-macs\":{\"5000\":"
	    "[\"02:00:00:00:00:21\"],\"5020\":[\"02:00:00:00:00:22\"],\"7\":[\"02:00:00:00:00:23\"]"
	    "}}");
	put(&d.kvs, "hosts/h3", "{\"vtep\":\"127.0.0.3\",\"vnis\":[5000]}");
	put(&d.kvs, "hosts/h4", "{\"vtep\":\"127.0.0.4\",\"vnis\":\"bad\"}"); /* left out */
	domain_overlay_update(&d);

	/* What this host publishes. */
	struct domain_host h = {.version = "x"};
	char *value = domain_overlay_host_value(&d, &h);
	struct overlay_host self;
	char err[256];
	assert_int_equal(overlay_host_decode("h1", value, strlen(value), &self, err, sizeof(err)),
			 0);
	snprintf(line, sizeof(line), "127.0.0.1:%u", udp);
	assert_string_equal(d.vtep, line);
	assert_int_equal(self.n_vnis, 2);
	assert_int_equal(self.n_macs, 1);
	assert_int_equal(self.macs[0].vni, 5000);
	assert_int_equal(self.macs[0].mac[5], 0x11);
	overlay_host_free(&self);
	free(value);

	/* What the others' keys made of the port. */
	assert_int_equal(control_fixture_run(f, "port show vx"), 0);
	assert_non_null(strstr(f->output, "5000 (untagged, flood to 2 VTEPs)"));
	assert_non_null(strstr(f->output, "5020 (vlan 20, flood to 1 VTEPs)"));
	struct vxlan_remote_mac macs[8];
	assert_int_equal(vxlan_remote_macs(vx(f), macs, 8), 2); /* not VNI 7: not carried */
	snprintf(line, sizeof(line), "127.0.0.2:%u", udp); /* a bare address: the port's port= */
	for (int i = 0; i < 2; i++) {
		assert_true(macs[i].is_static);
		assert_string_equal(macs[i].vtep, line);
	}

	/* h2's lease expired: its VTEP and MACs go. */
	del(&d.kvs, "hosts/h2");
	domain_overlay_update(&d);
	assert_int_equal(control_fixture_run(f, "port show vx"), 0);
	assert_non_null(strstr(f->output, "5000 (untagged, flood to 1 VTEPs)"));
	assert_non_null(strstr(f->output, "5020 (vlan 20, flood to 0 VTEPs)"));
	assert_int_equal(vxlan_remote_macs(vx(f), macs, 8), 0);

	/* The vxlan port rebuilt (an option changed): everything goes in again. */
	put(&d.kvs, "hosts/h2",
	    "{\"vtep\":\"127.0.0.2\",\"vnis\":[5000],\"vni-macs\":{\"5000\":[\"02:00:00:00:00:21\"]"
	    "}}");
	domain_overlay_update(&d);
	assert_int_equal(control_fixture_run(f, "port del vx"), 0);
	snprintf(line, sizeof(line),
		 "port add sw vx type vxlan local=127.0.0.1 port=%u vni=5000,20:5020 ttl=9 vids 20",
		 udp);
	assert_int_equal(control_fixture_run(f, line), 0);
	domain_overlay_update(&d);
	assert_int_equal(vxlan_remote_macs(vx(f), macs, 8), 1);
	assert_int_equal(control_fixture_run(f, "port show vx"), 0);
	assert_non_null(strstr(f->output, "5000 (untagged, flood to 2 VTEPs)"));

	domain_overlay_free(&d);
	domain_kvs_clear(&d.kvs);
	free(d.pending);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_hosts_keys_become_flood_lists_and_static_macs,
					    control_fixture_setup, control_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
