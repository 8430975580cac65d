/* mailbox.c — see mailbox.h. One job at a time: the control thread is the
 * only poster and waits for each answer, so a slot, a mutex for the
 * condition variable and an eventfd to wake the sleeping data plane are
 * the whole mechanism. */
#include "mailbox.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

struct control_mailbox {
	pthread_mutex_t lock;
	pthread_cond_t answered;
	int wake_fd;
	atomic_bool pending;
	atomic_bool closed;
	struct control_job *job;
	bool done;
};

struct control_mailbox *control_mailbox_create(void)
{
	struct control_mailbox *mb = calloc(1, sizeof(*mb));
	if (!mb)
		return NULL;
	mb->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (mb->wake_fd < 0) {
		free(mb);
		return NULL;
	}
	pthread_mutex_init(&mb->lock, NULL);
	pthread_cond_init(&mb->answered, NULL);
	return mb;
}

void control_mailbox_destroy(struct control_mailbox *mb)
{
	if (!mb)
		return;
	close(mb->wake_fd);
	pthread_mutex_destroy(&mb->lock);
	pthread_cond_destroy(&mb->answered);
	free(mb);
}

static void wake(struct control_mailbox *mb)
{
	uint64_t one = 1;
	if (write(mb->wake_fd, &one, sizeof(one)) < 0)
		log_error("control: eventfd write: %s", strerror(errno));
}

void control_mailbox_call(struct control_mailbox *mb, struct control_job *job)
{
	pthread_mutex_lock(&mb->lock);
	mb->job = job;
	mb->done = false;
	atomic_store_explicit(&mb->pending, true, memory_order_release);
	wake(mb);
	while (!mb->done)
		pthread_cond_wait(&mb->answered, &mb->lock);
	mb->job = NULL;
	pthread_mutex_unlock(&mb->lock);
}

void control_mailbox_close(struct control_mailbox *mb)
{
	atomic_store_explicit(&mb->closed, true, memory_order_release);
	wake(mb);
}

int control_mailbox_wake_fd(const struct control_mailbox *mb)
{
	return mb->wake_fd;
}

bool control_mailbox_pending(const struct control_mailbox *mb)
{
	return atomic_load_explicit(&mb->pending, memory_order_acquire);
}

bool control_mailbox_closed(const struct control_mailbox *mb)
{
	return atomic_load_explicit(&mb->closed, memory_order_acquire);
}

struct control_job *control_mailbox_take(struct control_mailbox *mb)
{
	uint64_t drain;
	if (read(mb->wake_fd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
		log_error("control: eventfd read: %s", strerror(errno));
	if (!atomic_load_explicit(&mb->pending, memory_order_acquire))
		return NULL;
	pthread_mutex_lock(&mb->lock);
	struct control_job *job = mb->job;
	/* Taken: the loop steps it until done, and must not take it twice. */
	atomic_store_explicit(&mb->pending, false, memory_order_release);
	pthread_mutex_unlock(&mb->lock);
	return job;
}

void control_mailbox_done(struct control_mailbox *mb, struct control_job *job)
{
	(void)job;
	pthread_mutex_lock(&mb->lock);
	mb->done = true;
	pthread_cond_signal(&mb->answered);
	pthread_mutex_unlock(&mb->lock);
}

bool control_job_step(struct control_job *job, struct datapath *dp)
{
	uint64_t start = time_now_ns();
	bool done = job->step(job, dp);
	uint64_t took = time_now_ns() - start;
	job->steps++;
	if (took > job->longest_step_ns)
		job->longest_step_ns = took;
	return done;
}

void control_job_run_here(struct control_job *job, struct datapath *dp)
{
	while (!control_job_step(job, dp))
		;
}
