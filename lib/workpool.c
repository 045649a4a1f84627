/*
 * workpool.c - worker threads for blocking work (see workpool.h).
 *
 * workpool_new, workpool_submit, workpool_pending, workpool_free.
 * Handles no external input. Jobs are owned by the pool from submit until
 * their done function returns. Synchronisation: one mutex guards both
 * queues; workers wait on a condition variable; the loop thread is woken
 * by an eventfd.
 */
#include "lib/workpool.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"

struct workpool_job {
	struct workpool_job *next;
	workpool_fn *work;
	workpool_fn *done;
	void *arg;
};

struct workpool {
	struct event_loop *loop;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct workpool_job *todo_head, **todo_tail;
	struct workpool_job *done_head, **done_tail;
	pthread_t threads[WORKPOOL_MAX_THREADS];
	unsigned thread_count;
	unsigned pending;
	bool stopping;
	int event_fd;
	struct event_io *io;
};

/* workpool_thread - a worker: take a job, run it, hand it back */
static void *
workpool_thread(void *ctx)
{
	struct workpool *pool = ctx;
	uint64_t one = 1;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		struct workpool_job *job;

		while (pool->todo_head == NULL && !pool->stopping)
			pthread_cond_wait(&pool->wake, &pool->lock);
		job = pool->todo_head;
		if (job == NULL)
			break;
		pool->todo_head = job->next;
		if (pool->todo_head == NULL)
			pool->todo_tail = &pool->todo_head;
		pthread_mutex_unlock(&pool->lock);

		job->work(job->arg);

		pthread_mutex_lock(&pool->lock);
		job->next = NULL;
		*pool->done_tail = job;
		pool->done_tail = &job->next;
		/* A failed write only means the counter is already set. */
		if (write(pool->event_fd, &one, sizeof(one)) < 0 &&
		    errno != EAGAIN)
			break;
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

/* workpool_run_done - run done functions of finished jobs */
static void
workpool_run_done(struct workpool *pool)
{
	struct workpool_job *list;

	pthread_mutex_lock(&pool->lock);
	list = pool->done_head;
	pool->done_head = NULL;
	pool->done_tail = &pool->done_head;
	pthread_mutex_unlock(&pool->lock);
	while (list != NULL) {
		struct workpool_job *job = list;

		list = job->next;
		pool->pending--;
		job->done(job->arg);
		mem_free(&job);
	}
}

/* workpool_on_event - the eventfd says jobs are done */
static void
workpool_on_event(void *ctx, int fd, unsigned revents)
{
	struct workpool *pool = ctx;
	uint64_t count;

	(void)revents;
	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_warn("workpool: eventfd read: %m");
	workpool_run_done(pool);
}

/* workpool_new - start the workers */
struct workpool *
workpool_new(struct event_loop *loop, unsigned threads)
{
	struct workpool *pool = mem_alloc(sizeof(*pool));
	unsigned i;

	MR_ASSERT(threads >= 1 && threads <= WORKPOOL_MAX_THREADS);
	pool->loop = loop;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);
	pool->todo_tail = &pool->todo_head;
	pool->done_tail = &pool->done_head;
	pool->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pool->event_fd < 0)
		log_fatal("eventfd: %m");
	pool->io = event_io_add(loop, pool->event_fd, EVENT_READ,
				workpool_on_event, pool);
	for (i = 0; i < threads; i++) {
		int rc = pthread_create(&pool->threads[i], NULL,
					workpool_thread, pool);

		if (rc != 0)
			log_fatal("pthread_create: %s", strerror(rc));
		pool->thread_count++;
	}
	return pool;
}

/* workpool_submit - queue a job */
void
workpool_submit(struct workpool *pool, workpool_fn *work, workpool_fn *done,
		void *arg)
{
	struct workpool_job *job = mem_alloc(sizeof(*job));

	job->work = work;
	job->done = done;
	job->arg = arg;
	pool->pending++;
	pthread_mutex_lock(&pool->lock);
	*pool->todo_tail = job;
	pool->todo_tail = &job->next;
	pthread_cond_signal(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
}

/* workpool_pending - jobs not finished */
unsigned
workpool_pending(const struct workpool *pool)
{
	return pool->pending;
}

/* workpool_free - drain, stop and release */
void
workpool_free(struct workpool **poolp)
{
	struct workpool *pool = *poolp;
	unsigned i;

	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	/* Workers finish the queue before they see stopping with it empty. */
	for (i = 0; i < pool->thread_count; i++)
		pthread_join(pool->threads[i], NULL);
	workpool_run_done(pool);
	event_io_remove(&pool->io);
	close(pool->event_fd);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->wake);
	mem_free(poolp);
}
