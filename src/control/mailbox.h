/* mailbox.h — how the control thread hands work to the data-plane thread.
 * The data-plane thread owns the datapath and is never blocked by a lock:
 * the control thread posts one job and waits; the data-plane thread runs
 * the job in steps between batches, so a long job (thousands of static
 * MACs) is sliced and forwarding never pauses for more than one step. */
#ifndef VSWITCH_MAILBOX_H
#define VSWITCH_MAILBOX_H

#include <stdbool.h>
#include <stdint.h>

struct datapath;

struct control_job {
	/* Runs the next slice of the job on the data-plane thread; returns
	 * true once the job is finished (its result is in the enclosing
	 * struct). Never called again after it returned true. */
	bool (*step)(struct control_job *job, struct datapath *dp);
	/* Set by a step when ports came or went: the data-plane thread
	 * rebuilds the set of fds it sleeps on. */
	bool ports_changed;
	/* Kept by control_job_step(): how long forwarding waited for it. */
	unsigned steps;
	uint64_t longest_step_ns;
};

struct control_mailbox;

struct control_mailbox *control_mailbox_create(void);
/* NULL is a no-op. */
void control_mailbox_destroy(struct control_mailbox *mb);

/* ---- the control thread's side ------------------------------------------ */

/* Posts `job` and waits until the data-plane thread has finished it. */
void control_mailbox_call(struct control_mailbox *mb, struct control_job *job);
/* Wakes the data-plane thread and tells it to stop (shutdown). */
void control_mailbox_close(struct control_mailbox *mb);

/* ---- the data-plane thread's side --------------------------------------- */

/* Readable (an eventfd) when a job was posted or the mailbox closed. */
int control_mailbox_wake_fd(const struct control_mailbox *mb);
/* Cheap enough to ask after every batch: one atomic load. */
bool control_mailbox_pending(const struct control_mailbox *mb);
bool control_mailbox_closed(const struct control_mailbox *mb);
/* The posted job, or NULL; clears the wake-up. */
struct control_job *control_mailbox_take(struct control_mailbox *mb);
/* The job is finished: wakes its poster. */
void control_mailbox_done(struct control_mailbox *mb, struct control_job *job);

/* Runs the job's next step, timing it; true once the job is finished. */
bool control_job_step(struct control_job *job, struct datapath *dp);
/* Runs `job` to its end on this thread: before the data-plane thread runs
 * (the startup file) and in unit tests. */
void control_job_run_here(struct control_job *job, struct datapath *dp);

#endif
