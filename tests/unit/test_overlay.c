/* test_overlay.c — the overlay's pure parts (src/cluster/overlay.c): vni=
 * specs into (VNI, VLAN) pairs, the fields added to hosts/HOST and read back
 * (bad ones refused), and the flood list a host works out from the others. */
#include <stdlib.h>
#include <string.h>

#include "cluster/overlay.h"
#include "helpers.h"

static void test_vni_map_reads_every_form_of_the_spec(void **state)
{
	(void)state;
	struct overlay_vni v[8];
	assert_int_equal(overlay_vni_map("5000,20:5020,100-102:6100", 7, v, 8), 5);
	assert_int_equal(v[0].vni, 5000);
	assert_int_equal(v[0].vid, 7); /* the untagged frames: the pvid */
	assert_int_equal(v[1].vni, 5020);
	assert_int_equal(v[1].vid, 20);
	assert_int_equal(v[4].vni, 6102);
	assert_int_equal(v[4].vid, 102);
	assert_int_equal(overlay_vni_map("5000,20:5020", 1, NULL, 0), 2); /* counts only */
	assert_int_equal(overlay_vni_map("", 1, v, 8), -EINVAL);
	assert_int_equal(overlay_vni_map("0:5", 1, v, 8), -EINVAL);
	assert_int_equal(overlay_vni_map("16777216", 1, v, 8), -EINVAL);
	assert_int_equal(overlay_vni_map("5-3:10", 1, v, 8), -EINVAL);
	assert_int_equal(overlay_vni_map("5000,", 1, v, 8), -EINVAL);
}

static void test_fields_round_trip_beside_the_schema_1_ones(void **state)
{
	(void)state;
	uint32_t vnis[] = {5020, 5000, 5020};
	struct overlay_mac macs[] = {{5020, {2, 0, 0, 0, 0, 2}}, {5000, {2, 0, 0, 0, 0, 1}}};
	struct overlay_host h = {
	    .vtep = "192.0.2.1", .vnis = vnis, .n_vnis = 3, .macs = macs, .n_macs = 2};
	char *json = overlay_host_extend("{\"vtep\":\"192.0.2.1\",\"ports\":[\"vm1\"]}", &h);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"ports\":[\"vm1\"]")); /* schema 1 fields kept */
	struct overlay_host back;
	char err[256];
	assert_int_equal(overlay_host_decode("h1", json, strlen(json), &back, err, sizeof(err)), 0);
	assert_string_equal(back.name, "h1");
	assert_string_equal(back.vtep, "192.0.2.1");
	assert_int_equal(back.n_vnis, 2); /* sorted, once each */
	assert_int_equal(back.vnis[0], 5000);
	assert_int_equal(back.vnis[1], 5020);
	assert_int_equal(back.n_macs, 2);
	assert_int_equal(back.macs[0].vni, 5000);
	assert_int_equal(back.macs[0].mac[5], 1);
	assert_true(overlay_host_serves(&back, 5020));
	assert_false(overlay_host_serves(&back, 5001));
	overlay_host_free(&back);
	free(json);
	/* A schema-1 host without the fields serves nothing. */
	assert_int_equal(overlay_host_decode("h2", "{\"vtep\":\"\"}", 11, &back, err, sizeof(err)),
			 0);
	assert_int_equal(back.n_vnis + back.n_macs, 0);
	overlay_host_free(&back);
}

static void test_bad_fields_are_refused(void **state)
{
	(void)state;
	const char *bad[] = {
	    "[1]",
	    "{\"vnis\":5000}",
	    "{\"vnis\":[-1]}",
	    "{\"vnis\":[16777216]}",
	    "{\"vnis\":[1.5]}",
	    "{\"vni-macs\":[]}",
	    "{\"vni-macs\":{\"x\":[\"02:00:00:00:00:01\"]}}",
	    "{\"vni-macs\":{\"5000\":[\"01:00:5e:00:00:01\"]}}",
	    "{\"vni-macs\":{\"5000\":\"02:00:00:00:00:01\"}}",
	    "{\"vtep\":7}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct overlay_host h;
		char err[256] = "";
		assert_int_equal(
		    overlay_host_decode("h", bad[i], strlen(bad[i]), &h, err, sizeof(err)),
		    -EINVAL);
		assert_non_null(strstr(err, "host h"));
		assert_null(h.vnis);
		assert_null(h.macs);
	}
}

static void test_flood_list_is_every_other_host_of_the_vni_once(void **state)
{
	(void)state;
	uint32_t both[] = {5000, 5020}, one[] = {5000};
	struct overlay_host hosts[] = {
	    {.name = "h1", .vtep = "192.0.2.1", .vnis = both, .n_vnis = 2},
	    {.name = "h3", .vtep = "192.0.2.3", .vnis = one, .n_vnis = 1},
	    {.name = "h2", .vtep = "192.0.2.2", .vnis = both, .n_vnis = 2},
	    {.name = "h4", .vtep = "", .vnis = both, .n_vnis = 2},	    /* no VTEP yet */
	    {.name = "h5", .vtep = "192.0.2.2", .vnis = both, .n_vnis = 2}, /* same address */
	    {.name = "h6", .vtep = "192.0.2.1", .vnis = both, .n_vnis = 2}, /* ours */
	};
	const char *out[8];
	assert_int_equal(overlay_flood(hosts, 6, "h1", "192.0.2.1", 5000, out, 8), 2);
	assert_string_equal(out[0], "192.0.2.2");
	assert_string_equal(out[1], "192.0.2.3");
	assert_int_equal(overlay_flood(hosts, 6, "h1", "192.0.2.1", 5020, out, 8), 1);
	assert_string_equal(out[0], "192.0.2.2");
	assert_int_equal(overlay_flood(hosts, 6, "h1", "192.0.2.1", 7, out, 8), 0);
	assert_int_equal(overlay_flood(hosts, 6, "h1", "192.0.2.1", 5000, out, 1), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vni_map_reads_every_form_of_the_spec),
	    cmocka_unit_test(test_fields_round_trip_beside_the_schema_1_ones),
	    cmocka_unit_test(test_bad_fields_are_refused),
	    cmocka_unit_test(test_flood_list_is_every_other_host_of_the_vni_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
