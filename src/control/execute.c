/* execute.c — see execute.h. */
#include "execute.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/datapath.h"
#include "lib/log.h"
#include "lib/util.h"
#include "mailbox.h"

static void run_job(struct control_state *state, struct control_job *job)
{
	if (state->mailbox)
		control_mailbox_call(state->mailbox, job);
	else
		control_job_run_here(job, state->dp);
}

/* ---- show and live commands: one step on the data-plane thread ---------- */

struct live_job {
	struct control_job job;
	struct command_context ctx;
	int argc;
	char **argv;
	char *err;
	size_t err_size;
	int status;
};

static bool live_step(struct control_job *job, struct datapath *dp)
{
	struct live_job *live = CONTAINER_OF(job, struct live_job, job);
	live->ctx.dp = dp;
	live->status = command_run(&live->ctx, live->argc, live->argv, live->err, live->err_size);
	return true;
}

static int run_live(struct control_state *state, int argc, char **argv, bool json, FILE *out,
		    char *err, size_t err_size)
{
	/* The model is only read: the control thread, its owner, waits. */
	struct live_job live = {
	    .job.step = live_step,
	    .ctx = {.cfg = state->running,
		    .seas = state->seas,
		    .config_path = state->config_path,
		    .json = json,
		    .out = out},
	    .argc = argc,
	    .argv = argv,
	    .err = err,
	    .err_size = err_size,
	};
	run_job(state, &live.job);
	return live.status;
}

/* ---- a copy of live state, taken on the data-plane thread ---------------- */

struct call_job {
	struct control_job job;
	void (*fn)(struct datapath *dp, void *arg);
	void *arg;
};

static bool call_step(struct control_job *job, struct datapath *dp)
{
	struct call_job *call = CONTAINER_OF(job, struct call_job, job);
	call->fn(dp, call->arg);
	return true;
}

static void datapath_call(void *executor, void (*fn)(struct datapath *dp, void *arg), void *arg)
{
	struct call_job call = {.job.step = call_step, .fn = fn, .arg = arg};
	run_job(executor, &call.job);
}

void control_datapath_call(struct control_state *state, void (*fn)(struct datapath *dp, void *arg),
			   void *arg)
{
	datapath_call(state, fn, arg);
}

/* ---- configuration changes: a prepared difference, applied in slices ----- */

struct apply_job {
	struct control_job job;
	struct config_apply *apply;
	char *err;
	size_t err_size;
	int status;
};

static bool apply_step(struct control_job *job, struct datapath *dp)
{
	struct apply_job *a = CONTAINER_OF(job, struct apply_job, job);
	int rc = config_apply_step(a->apply, dp, a->err, a->err_size);
	if (rc > 0)
		return false;
	a->status = rc;
	job->ports_changed = config_apply_ports_changed(a->apply);
	return true;
}

/* Makes `next` the running model if it is valid and the datapath takes it;
 * frees whichever model is not kept. */
static int commit(struct control_state *state, struct config *next, char *err, size_t err_size)
{
	int error = config_resolve_profiles(next, err, err_size);
	if (error) {
		config_free(next);
		return error;
	}
	return control_commit_resolved(state, next, err, err_size);
}

int control_commit_resolved(struct control_state *state, struct config *next, char *err,
			    size_t err_size)
{
	int error = config_check(next, err, err_size);
	/* The poll threads, their pools and queues are made at start. */
	if (!error && strcmp(next->cores, state->running->cores) != 0) {
		snprintf(
		    err, err_size,
		    "datapath cores: the poll threads run on %s; %s%s takes effect at the next "
		    "start of vswitchd (restart needed)",
		    state->running->cores[0] ? state->running->cores : "one thread, not pinned",
		    next->cores[0] ? "cores " : "one thread, not pinned,", next->cores);
		error = -EBUSY;
	}
	if (!error && strcmp(next->metrics_listen, state->running->metrics_listen) != 0) {
		snprintf(err, err_size,
			 "metrics listen: the HTTP listener is %s; %s takes effect at the next "
			 "start of vswitchd (restart needed)",
			 state->running->metrics_listen[0] ? state->running->metrics_listen : "off",
			 next->metrics_listen[0] ? next->metrics_listen : "none");
		error = -EBUSY;
	}
	struct config_apply *apply = NULL;
	if (!error) {
		apply = config_apply_prepare(state->running, next, state->seas, err, err_size);
		error = apply ? 0 : -ENOMEM;
	}
	if (!error) {
		struct apply_job job = {
		    .job.step = apply_step, .apply = apply, .err = err, .err_size = err_size};
		run_job(state, &job.job);
		error = job.status;
		/* What an operator asks after a big reload: did traffic stop? */
		if (job.job.steps > 2 || job.job.longest_step_ns > 1000000)
			log_info(
			    "control: change applied in %u steps, forwarding held at most %.1f ms",
			    job.job.steps, (double)job.job.longest_step_ns / 1e6);
	}
	config_apply_free(apply);
	if (error) {
		config_free(next);
		return error;
	}
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
	/* A file without `datapath cores` keeps the cores vswitchd runs on
	 * (--cores): only a different list is a change. */
	if (!next->cores[0])
		memcpy(next->cores, state->running->cores, sizeof(next->cores));
	if (!next->metrics_listen[0]) /* the same for --metrics */
		memcpy(next->metrics_listen, state->running->metrics_listen,
		       sizeof(next->metrics_listen));
	return commit(state, next, err, err_size);
}

int control_execute(struct control_state *state, int argc, char **argv, bool json, FILE *out,
		    char *err, size_t err_size)
{
	if (command_is_live(argc, argv))
		return run_live(state, argc, argv, json, out, err, err_size);
	struct config *next = config_copy(state->running);
	if (!next) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	/* FILE:LINE belongs to errors of a file being loaded, not to edits. */
	next->source[0] = '\0';
	struct command_context ctx = {
	    .cfg = next,
	    .config_path = state->config_path,
	    .json = json,
	    .out = out,
	    .datapath_call = datapath_call,
	    .executor = state,
	};
	int error = command_run(&ctx, argc, argv, err, err_size);
	if (!error && ctx.needs_datapath) {
		config_free(next);
		return run_live(state, argc, argv, json, out, err, err_size);
	}
	if (error || !ctx.changed) {
		config_free(next);
		if (!error && ctx.reload)
			return control_reload(state, err, err_size);
		return error;
	}
	error = commit(state, next, err, err_size);
	if (!error)
		log_info("control: %s%s%s done", argv[0], argc > 1 ? " " : "",
			 argc > 1 ? argv[1] : "");
	return error;
}

int control_handle(void *state, int argc, char **argv, bool json, char **output, size_t *output_len,
		   char *err, size_t err_size)
{
	*output = NULL;
	*output_len = 0;
	FILE *out = open_memstream(output, output_len);
	if (!out) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	int status = control_execute(state, argc, argv, json, out, err, err_size);
	fclose(out);
	return status;
}
