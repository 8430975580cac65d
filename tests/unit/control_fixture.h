/* control_fixture.h — the control plane without threads or sockets, for
 * unit tests: a datapath, an empty running model and a startup file path in
 * a private directory; command lines run through control_execute(). */
#ifndef VSWITCH_TEST_CONTROL_FIXTURE_H
#define VSWITCH_TEST_CONTROL_FIXTURE_H

#include "control/execute.h"
#include "ha/sea.h"

struct control_fixture {
	struct control_state state;
	struct sea_set seas;
	char dir[64];
	char path[128]; /* the startup file (not created) */
	char err[1024];
	char *output; /* of the last command */
};

/* cmocka setup/teardown: *state is the fixture. */
int control_fixture_setup(void **state);
int control_fixture_teardown(void **state);
/* Runs one command line; returns its status, output in f->output, the
 * message of a refusal in f->err. */
int control_fixture_run(struct control_fixture *f, const char *line);
/* `show running-config`, as a string to free. */
char *control_fixture_running_config(struct control_fixture *f);
/* A second daemon started from the fixture's startup file, as after a
 * restart (the file must exist: run "save" first); returns its running
 * config printed, to free. Free *fresh with control_fixture_restart_free. */
char *control_fixture_restart(struct control_fixture *f, struct control_state *fresh);
void control_fixture_restart_free(struct control_state *fresh);

#endif
