/*
 * test_workpool.c - unit tests for lib/workpool.c: every job's work runs
 * in a worker and its done in the loop thread, exactly once, also for jobs
 * still queued when the pool is freed.
 */
#include "tests/unit/testlib.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "lib/event.h"
#include "lib/workpool.h"

#define JOBS 200

struct job_state {
	pthread_t loop_thread;
	int worked[JOBS];
	int done[JOBS];
	bool work_off_loop[JOBS];
	int done_count;
	struct event_loop *loop;
};

struct job {
	struct job_state *st;
	int index;
};

static void
job_work(void *arg)
{
	struct job *j = arg;

	j->st->worked[j->index]++;
	j->st->work_off_loop[j->index] =
		!pthread_equal(pthread_self(), j->st->loop_thread);
	if (j->index % 17 == 0)
		usleep(1000);
}

static void
job_done(void *arg)
{
	struct job *j = arg;

	assert_true(pthread_equal(pthread_self(), j->st->loop_thread));
	assert_int_equal(j->st->worked[j->index], 1);
	j->st->done[j->index]++;
	if (++j->st->done_count == JOBS / 2)
		event_loop_stop(j->st->loop);
}

static void
test_jobs_run_once(void **state)
{
	static struct job_state st;
	static struct job jobs[JOBS];
	struct workpool *pool;
	int i;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.loop_thread = pthread_self();
	st.loop = event_loop_new();
	pool = workpool_new(st.loop, 4);
	for (i = 0; i < JOBS; i++) {
		jobs[i].st = &st;
		jobs[i].index = i;
		workpool_submit(pool, job_work, job_done, &jobs[i]);
	}
	assert_int_equal(workpool_pending(pool), JOBS);
	event_loop_run(st.loop);
	assert_true(st.done_count >= JOBS / 2);
	/* The rest finish while the pool is freed. */
	workpool_free(&pool);
	assert_null(pool);
	for (i = 0; i < JOBS; i++) {
		assert_int_equal(st.worked[i], 1);
		assert_int_equal(st.done[i], 1);
		assert_true(st.work_off_loop[i]);
	}
	event_loop_free(&st.loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_jobs_run_once,
						testlib_setup, testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
