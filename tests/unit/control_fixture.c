/* control_fixture.c — see control_fixture.h. */
#include "control_fixture.h"

#include <stdlib.h>
#include <unistd.h>

#include "engine/datapath.h"
#include "helpers.h"

int control_fixture_setup(void **state)
{
	struct control_fixture *f = calloc(1, sizeof(*f));
	f->state.dp = datapath_create(2048, 0);
	f->state.seas = &f->seas;
	f->state.running = config_new();
	strcpy(f->dir, "/tmp/vswitch-control-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/vswitch.conf", f->dir);
	f->state.config_path = f->path;
	*state = f;
	return 0;
}

int control_fixture_teardown(void **state)
{
	struct control_fixture *f = *state;
	sea_set_clear(&f->seas);
	datapath_destroy(f->state.dp, false);
	config_free(f->state.running);
	free(f->output);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

int control_fixture_run(struct control_fixture *f, const char *line)
{
	char copy[8192], *argv[64]; /* room for a 2049-byte frame in hex */
	assert_true(strlen(line) < sizeof(copy));
	strcpy(copy, line);
	int argc = command_split(copy, argv, 64);
	size_t size = 0;
	free(f->output);
	f->output = NULL;
	FILE *out = open_memstream(&f->output, &size);
	f->err[0] = '\0';
	int status = control_execute(&f->state, argc, argv, false, out, f->err, sizeof(f->err));
	fclose(out);
	return status;
}

char *control_fixture_running_config(struct control_fixture *f)
{
	assert_int_equal(control_fixture_run(f, "show running-config"), 0);
	return strdup(f->output);
}

char *control_fixture_restart(struct control_fixture *f, struct control_state *fresh)
{
	*fresh = (struct control_state){
	    .dp = datapath_create(2048, 0), .running = config_new(), .config_path = f->path};
	assert_int_equal(control_reload(fresh, f->err, sizeof(f->err)), 0);
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	config_print(fresh->running, out);
	fclose(out);
	return text;
}

void control_fixture_restart_free(struct control_state *fresh)
{
	datapath_destroy(fresh->dp, false);
	config_free(fresh->running);
}
