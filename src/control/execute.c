/* execute.c — see execute.h. */
#include "execute.h"

#include <errno.h>
#include <string.h>

#include "engine/datapath.h"

/* Makes `next` the running model if it is valid and the datapath takes it;
 * frees whichever model is not kept. */
static int commit(struct control_state *state, struct config *next, char *err, size_t err_size)
{
	int error = config_check(next, err, err_size);
	if (!error)
		error = config_apply(state->dp, state->running, next, err, err_size);
	if (error) {
		config_free(next);
		return error;
	}
	if (next->n_ports != state->running->n_ports ||
	    next->n_switches != state->running->n_switches)
		state->ports_changed = true;
	else
		for (size_t i = 0; i < next->n_ports; i++)
			if (strcmp(next->ports[i].name, state->running->ports[i].name) ||
			    strcmp(next->ports[i].type, state->running->ports[i].type))
				state->ports_changed = true;
	config_free(state->running);
	state->running = next;
	return 0;
}

int control_reload(struct control_state *state, char *err, size_t err_size)
{
	if (!state->config_path) {
		snprintf(err, err_size, "reload: the daemon was started without a startup file");
		return -EINVAL;
	}
	struct config *next = config_load(state->config_path, err, err_size);
	if (!next)
		return -EINVAL;
	/* Rebuilt ports get new devices: tell the loop even if names match. */
	state->ports_changed = true;
	return commit(state, next, err, err_size);
}

int control_execute(struct control_state *state, int argc, char **argv, bool json, FILE *out,
		    char *err, size_t err_size)
{
	struct config *next = config_copy(state->running);
	if (!next) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	struct command_context ctx = {
	    .dp = state->dp,
	    .cfg = next,
	    .config_path = state->config_path,
	    .json = json,
	    .out = out,
	};
	int error = command_run(&ctx, argc, argv, err, err_size);
	if (error || !ctx.changed) {
		config_free(next);
		if (!error && ctx.reload)
			return control_reload(state, err, err_size);
		return error;
	}
	return commit(state, next, err, err_size);
}
