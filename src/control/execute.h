/* execute.h — one command against the daemon's running state, on the
 * control thread. A configuration command edits a copy of the model, which
 * is checked whole and turned into a prepared difference here; only that
 * difference goes to the data-plane thread, which applies it in slices
 * (mailbox.h), and the copy becomes the running model only if all of it
 * worked. Show and live commands (counters, fdb flush...) read or act on
 * the datapath, so they run on the data-plane thread, between batches. */
#ifndef VSWITCH_EXECUTE_H
#define VSWITCH_EXECUTE_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

struct control_mailbox;
struct domain;

struct control_state {
	struct datapath *dp;
	struct sea_set *seas;	 /* the SEAs; owned, like dp, by the data-plane thread */
	struct config *running;	 /* what the datapath is configured as */
	const char *config_path; /* startup file, or NULL */
	/* Where datapath work goes; NULL: run it on this thread (before the
	 * data-plane thread starts, and in unit tests). */
	struct control_mailbox *mailbox;
	/* The etcd domain this host is in (domain.h), NULL for none. */
	struct domain *domain;
};

/* Runs argv; output goes to `out`. Returns 0, or a negative errno with err
 * set to a message for the operator. */
int control_execute(struct control_state *state, int argc, char **argv, bool json, FILE *out,
		    char *err, size_t err_size);
/* Runs fn(dp, arg) on the data-plane thread (here, before it runs) and
 * waits: how a live capture attaches to and leaves the engine. */
void control_datapath_call(struct control_state *state, void (*fn)(struct datapath *dp, void *arg),
			   void *arg);
/* Makes `next` (taken) the running model if it is valid and the datapath
 * takes it, all or nothing, as a command's edit; its profiles must be
 * resolved already (the domain restricts bound ports to their system
 * VLANs before its first read, domain.c). */
int control_commit_resolved(struct control_state *state, struct config *next, char *err,
			    size_t err_size);
/* Replaces the running model with the startup file's (SIGHUP, reload). */
int control_reload(struct control_state *state, char *err, size_t err_size);
/* control_execute() in the control server's handler shape (server.h);
 * `state` is a struct control_state. */
int control_handle(void *state, int argc, char **argv, bool json, char **output, size_t *output_len,
		   char *err, size_t err_size);

#endif
