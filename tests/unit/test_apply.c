/* test_apply.c — a configuration change is all or nothing: every action of
 * an apply that may fail is made to fail in turn, and each time the live
 * datapath and the running model must be exactly as before; a change that
 * does not fit is refused before anything is touched; static MACs are
 * installed in slices. */
#include <stdlib.h>
#include <unistd.h>

#include "control/execute.h"
#include "control_fixture.h"
#include "engine/datapath.h"
#include "helpers.h"
#include "lib/frame.h"

static int run(struct control_fixture *f, const char *line)
{
	return control_fixture_run(f, line);
}

static void write_file(const char *path, const char *text)
{
	FILE *out = fopen(path, "w");
	assert_non_null(out);
	fputs(text, out);
	fclose(out);
}

static int compare_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Static entries of a switch's table, one line each, sorted. */
static void describe_statics(FILE *out, const struct vswitch *sw)
{
	char **lines = calloc(sw->fdb->count + 1, sizeof(*lines));
	size_t n = 0;
	for (uint32_t i = 0; i < sw->fdb->n_slots; i++) {
		const struct fdb_entry *e = &sw->fdb->slots[i];
		if (!e->key || !(e->flags & FDB_F_STATIC))
			continue;
		assert_true(asprintf(&lines[n++], "  static %012llx on %s\n",
				     (unsigned long long)e->key, sw->ports[e->port]->name) > 0);
	}
	qsort(lines, n, sizeof(*lines), compare_lines);
	for (size_t i = 0; i < n; i++) {
		fputs(lines[i], out);
		free(lines[i]);
	}
	free(lines);
}

/* Everything of the live datapath a configuration sets, as text. */
static char *describe_live(const struct datapath *dp, const struct sea_set *seas)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	for (size_t s = 0; s < dp->n_switches; s++) {
		const struct vswitch *sw = dp->switches[s];
		fprintf(out, "switch %s mode %d capacity %u ageing %u\n", sw->name,
			(int)sw->config.mode, sw->fdb->capacity, sw->config.ageing_seconds);
		for (uint16_t i = 0; i < sw->n_ports; i++) {
			const struct bridge_port *p = sw->ports[i];
			if (!p)
				continue;
			fprintf(out, "  port %s %s pvid %u uplink %d vlans", p->name, p->dev->class->type,
				p->config.pvid, (int)p->config.uplink);
			for (unsigned w = 0; w < VLAN_WORDS; w++)
				if (p->vlans[w])
					fprintf(out, " %u:%llx", w, (unsigned long long)p->vlans[w]);
			fputc('\n', out);
		}
		describe_statics(out, sw);
	}
	for (size_t i = 0; i < seas->n; i++)
		fprintf(out, "sea %s\n", sea_name(seas->seas[i]));
	fclose(out);
	return text;
}

static char *running_config(struct control_fixture *f)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	config_print(f->state.running, out);
	fclose(out);
	return text;
}

/* The live state and the model, to compare after a refusal. */
struct snapshot {
	char *live, *model;
};

static struct snapshot take_snapshot(struct control_fixture *f)
{
	return (struct snapshot){describe_live(f->state.dp, &f->seas), running_config(f)};
}

static void snapshot_free(struct snapshot *s)
{
	free(s->live);
	free(s->model);
}

static void assert_unchanged(struct control_fixture *f, const struct snapshot *before)
{
	struct snapshot now = take_snapshot(f);
	assert_string_equal(now.live, before->live);
	assert_string_equal(now.model, before->model);
	snapshot_free(&now);
}

static void build_base(struct control_fixture *f)
{
	assert_int_equal(run(f, "switch add hv fdb-capacity 100"), 0);
	assert_int_equal(run(f, "port add hv vm1 type pipe vids 3"), 0);
	assert_int_equal(run(f, "port add hv vm2 type pipe depth=256"), 0);
	assert_int_equal(run(f, "port add hv up type pipe vids 3 uplink on"), 0);
	for (int i = 0; i < 8; i++) {
		char line[128];
		snprintf(line, sizeof(line), "fdb add hv vlan 1 mac 02:00:00:00:00:%02x port vm%d",
			 i + 1, i % 2 + 1);
		assert_int_equal(run(f, line), 0);
	}
}

/* A reload that touches every kind of fallible action: a new switch, a
 * table of another capacity, a rebuilt port (new options), a new port, a
 * removed port, new static MACs and a new SEA. */
static const char *big_change = "switch add hv fdb-capacity 200\n"
				"port add hv vm1 type pipe vids 3\n"
				"port add hv vm2 type pipe depth=512\n"
				"port add hv vm4 type pipe\n"
				"fdb add hv vlan 1 mac 02:00:00:00:00:01 port vm1\n"
				"fdb add hv vlan 1 mac 02:00:00:00:00:02 port vm2\n"
				"fdb add hv vlan 1 mac 02:00:00:00:00:44 port vm4\n"
				"switch add vios\n"
				"port add vios ent0 type pipe\n"
				"port add vios trk type pipe vids 3\n"
				"port add vios ctl type pipe pvid 99\n"
				"sea add s0 vios real ent0 trunks trk ctl ctl\n";

static void test_every_failure_point_of_an_apply_is_undone(void **state)
{
	struct control_fixture *f = *state;
	build_base(f);
	write_file(f->path, big_change);
	struct snapshot before = take_snapshot(f);
	unsigned failures = 0;
	for (unsigned nth = 1; nth < 100; nth++) {
		config_apply_fail_at(nth);
		int status = control_reload(&f->state, f->err, sizeof(f->err));
		if (status == 0)
			break;
		failures++;
		assert_non_null(strstr(f->err, "injected failure"));
		assert_unchanged(f, &before);
	}
	config_apply_fail_at(0);
	/* switch vios, hv's table, ports vm2 (rebuilt), vm4, ent0, trk, ctl, s0 */
	assert_int_equal(failures, 8);
	char *live = describe_live(f->state.dp, &f->seas);
	assert_string_not_equal(live, before.live);
	assert_non_null(strstr(live, "switch hv mode 0 capacity 200"));
	assert_non_null(strstr(live, "sea s0"));
	assert_null(strstr(live, "port up"));
	free(live);
	snapshot_free(&before);
}

static void test_capacity_below_the_static_macs_is_refused_before_anything_changes(void **state)
{
	struct control_fixture *f = *state;
	build_base(f);
	struct snapshot before = take_snapshot(f);
	assert_int_not_equal(run(f, "switch set hv fdb-capacity 5"), 0);
	assert_string_equal(f->err, "switch hv: 8 static MACs do not fit in fdb-capacity 5");
	assert_unchanged(f, &before);
	snapshot_free(&before);
	assert_int_equal(datapath_find_switch(f->state.dp, "hv")->fdb->capacity, 100);
}

static void test_reload_that_overflows_the_table_changes_nothing(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(run(f, "switch add hv fdb-capacity 10"), 0);
	assert_int_equal(run(f, "port add hv vm1 type pipe"), 0);
	assert_int_equal(run(f, "port add hv vm2 type pipe"), 0);
	struct snapshot before = take_snapshot(f);
	/* vm2 goes, 12 static MACs come: a 10-entry table cannot take them. */
	FILE *out = fopen(f->path, "w");
	fprintf(out, "switch add hv fdb-capacity 10\nport add hv vm1 type pipe\n");
	for (int i = 0; i < 12; i++)
		fprintf(out, "fdb add hv vlan 1 mac 02:00:00:00:01:%02x port vm1\n", i + 1);
	fclose(out);
	assert_int_not_equal(control_reload(&f->state, f->err, sizeof(f->err)), 0);
	char expect[300];
	snprintf(expect, sizeof(expect),
		 "%s:1: switch hv: 12 static MACs do not fit in fdb-capacity 10", f->path);
	assert_string_equal(f->err, expect);
	assert_unchanged(f, &before);
	snapshot_free(&before);
	assert_non_null(datapath_find_port(f->state.dp, "vm2", NULL));
}

static void test_static_mac_takes_the_place_of_a_learned_one_in_a_full_table(void **state)
{
	struct control_fixture *f = *state;
	assert_int_equal(run(f, "switch add hv fdb-capacity 4"), 0);
	assert_int_equal(run(f, "port add hv vm1 type pipe"), 0);
	assert_int_equal(run(f, "port add hv vm2 type pipe"), 0);
	struct vswitch *sw = datapath_find_switch(f->state.dp, "hv");
	struct bridge_port *vm2 = switch_find_port(sw, "vm2");
	for (int i = 0; i < 4; i++)
		test_send(sw, vm2, test_broadcast, test_mac(10 + i), -1);
	assert_int_equal(sw->fdb->count, 4);
	assert_int_equal(run(f, "fdb add hv vlan 1 mac 02:00:00:00:00:99 port vm1"), 0);
	assert_int_equal(sw->fdb->count, 4);
	const uint8_t mac[6] = {2, 0, 0, 0, 0, 0x99};
	uint64_t key = fdb_key(1, mac);
	struct fdb_entry *e = fdb_find(sw->fdb, key, hash_u64(key));
	assert_non_null(e);
	assert_true(e->flags & FDB_F_STATIC);
}

/* Thousands of static MACs go in several steps, each bounded, and the
 * result is the whole table. */
static void test_static_macs_are_installed_in_slices(void **state)
{
	struct control_fixture *f = *state;
	struct config *have = config_new();
	struct config *want = NULL;
	FILE *out = fopen(f->path, "w");
	fprintf(out, "switch add hv fdb-capacity 20000\nport add hv vm1 type pipe\n");
	for (int i = 0; i < 10000; i++)
		fprintf(out, "fdb add hv vlan 1 mac 02:00:00:00:%02x:%02x port vm1\n", i >> 8,
			i & 0xff);
	fclose(out);
	want = config_load(f->path, f->err, sizeof(f->err));
	assert_non_null(want);
	struct config_apply *a = config_apply_prepare(have, want, &f->seas, f->err, sizeof(f->err));
	assert_non_null(a);
	int steps = 0, rc;
	while ((rc = config_apply_step(a, f->state.dp, f->err, sizeof(f->err))) > 0) {
		struct vswitch *sw = datapath_find_switch(f->state.dp, "hv");
		/* never more than one slice of MACs between two looks */
		assert_true(sw->fdb->count <= (uint32_t)(steps + 1) * 2048);
		steps++;
	}
	assert_int_equal(rc, 0);
	assert_true(steps >= 5);
	assert_int_equal(datapath_find_switch(f->state.dp, "hv")->fdb->count, 10000);
	config_apply_free(a);
	/* The fixture's running model is empty: leave the datapath as it was. */
	assert_int_equal(config_apply(f->state.dp, &f->seas, want, have, f->err, sizeof(f->err)), 0);
	config_free(want);
	config_free(have);
}

static uint32_t installed_at(struct vswitch *sw, uint8_t last_byte)
{
	const uint8_t mac[6] = {2, 0, 0, 0, 0, last_byte};
	uint64_t key = fdb_key(1, mac);
	struct fdb_entry *e = fdb_find(sw->fdb, key, hash_u64(key));
	assert_non_null(e);
	return e->last_seen;
}

/* A change elsewhere does not re-install a table of static MACs: only the
 * new one is written (an entry's time says when it was installed). */
static void test_unchanged_static_macs_are_left_alone(void **state)
{
	struct control_fixture *f = *state;
	build_base(f);
	struct vswitch *sw = datapath_find_switch(f->state.dp, "hv");
	uint32_t first = installed_at(sw, 1);
	sw->now = first + 1000;
	assert_int_equal(run(f, "port set vm1 mac-limit 50"), 0);
	assert_int_equal(run(f, "fdb add hv vlan 1 mac 02:00:00:00:00:09 port vm1"), 0);
	for (uint8_t i = 1; i <= 8; i++)
		assert_int_equal(installed_at(sw, i), first);
	assert_int_equal(installed_at(sw, 9), first + 1000);
	/* a moved MAC is written again */
	assert_int_equal(run(f, "fdb add hv vlan 1 mac 02:00:00:00:00:01 port vm2"), 0);
	assert_int_equal(installed_at(sw, 1), first + 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_every_failure_point_of_an_apply_is_undone,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		test_capacity_below_the_static_macs_is_refused_before_anything_changes,
		control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_reload_that_overflows_the_table_changes_nothing,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		test_static_mac_takes_the_place_of_a_learned_one_in_a_full_table,
		control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_static_macs_are_installed_in_slices,
					    control_fixture_setup, control_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_unchanged_static_macs_are_left_alone,
					    control_fixture_setup, control_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
