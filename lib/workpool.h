/*
 * workpool.h - run blocking work (fsync) off the event loop.
 *
 * A fixed set of worker threads takes jobs from a queue; each job's work
 * function runs in a worker, then its done function runs in the loop's
 * thread (woken through an eventfd). This lets one event-driven process
 * have many fsyncs in flight at once, which the file system commits
 * together, instead of stalling every session behind each one.
 *
 * Rules for work functions: touch only the job's own data (nothing the
 * loop thread uses meanwhile), no logging, no event loop calls. The owner
 * of a job's data keeps it alive until done has run.
 */
#ifndef MR_WORKPOOL_H
#define MR_WORKPOOL_H

#include "lib/event.h"

/* Most worker threads in one pool. */
#define WORKPOOL_MAX_THREADS 64

struct workpool;

typedef void workpool_fn(void *arg);

/* workpool_new - threads workers (1..WORKPOOL_MAX_THREADS) for loop. */
struct workpool *workpool_new(struct event_loop *loop, unsigned threads);

/* workpool_submit - run work(arg) in a worker, then done(arg) in the loop. */
void workpool_submit(struct workpool *pool, workpool_fn *work,
		     workpool_fn *done, void *arg);

/* workpool_pending - jobs submitted whose done has not run yet. */
unsigned workpool_pending(const struct workpool *pool);

/*
 * workpool_free - wait for queued and running jobs, run their done
 * functions, stop the workers, release the pool and NULL *pool.
 */
void workpool_free(struct workpool **pool);

#endif
