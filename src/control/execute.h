/* execute.h — one command against the daemon's running state: the model is
 * copied, edited by the command, checked whole, applied to the datapath as
 * a difference, and kept only if all of that worked. Runs on the data-plane
 * thread (between batches), so the datapath needs no lock. */
#ifndef VSWITCH_EXECUTE_H
#define VSWITCH_EXECUTE_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

struct control_state {
	struct datapath *dp;
	struct config *running;	 /* what the datapath is configured as */
	const char *config_path; /* startup file, or NULL */
	bool ports_changed;	 /* set when ports came or went (the epoll set changes) */
};

/* Runs argv; output goes to `out`. Returns 0, or a negative errno with err
 * set to a message for the operator. */
int control_execute(struct control_state *state, int argc, char **argv, bool json, FILE *out,
		    char *err, size_t err_size);
/* Replaces the running model with the startup file's (SIGHUP, reload). */
int control_reload(struct control_state *state, char *err, size_t err_size);

#endif
