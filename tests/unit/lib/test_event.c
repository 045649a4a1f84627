/*
 * test_event.c - unit tests for lib/event.c: timer order, reset, removal
 * from callbacks, watcher removal during dispatch, hang-up handling,
 * signals through signalfd, deferred calls, and a heap stress run.
 */
#include "tests/unit/testlib.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/event.h"
#include "lib/mem.h"

/* Longest a test loop may run before the guard timer fails the test. */
#define TEST_GUARD_MS 5000

/* test_guard - fail a loop that never stops */
static void
test_guard(void *ctx)
{
	(void)ctx;
	fail_msg("event loop did not stop in time");
}

struct order_log {
	struct event_loop *loop;
	int fired[32];
	size_t count;
	size_t expect;
	struct event_timer *timers[32];
};

struct order_ctx {
	struct order_log *log;
	int id;
};

/* order_fire - record which timer fired; stop after the expected count */
static void
order_fire(void *ctx)
{
	struct order_ctx *oc = ctx;

	oc->log->fired[oc->log->count++] = oc->id;
	if (oc->log->count == oc->log->expect)
		event_loop_stop(oc->log->loop);
}

static void
test_timer_order(void **state)
{
	/* Rows: delays and the firing order; equal delays fire in the order
	   they were armed. */
	static const struct {
		size_t n;
		uint64_t delay[6];
		int order[6];
	} rows[] = {
		{ 3, { 30, 10, 20 }, { 1, 2, 0 } },
		{ 4, { 5, 5, 0, 5 }, { 2, 0, 1, 3 } },
		{ 1, { 0 }, { 0 } },
		{ 5, { 40, 30, 20, 10, 0 }, { 4, 3, 2, 1, 0 } },
	};
	size_t r, i;

	(void)state;
	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct order_log log;
		struct order_ctx ctx[6];
		struct event_timer *guard;
		uint64_t start;

		memset(&log, 0, sizeof(log));
		log.loop = event_loop_new();
		log.expect = rows[r].n;
		start = event_now_ms(log.loop);
		guard = event_timer_add(log.loop, TEST_GUARD_MS, test_guard,
					NULL);
		for (i = 0; i < rows[r].n; i++) {
			ctx[i].log = &log;
			ctx[i].id = (int)i;
			log.timers[i] = event_timer_add(log.loop,
							rows[r].delay[i],
							order_fire, &ctx[i]);
		}
		assert_int_equal(event_loop_run(log.loop), 0);
		assert_int_equal(log.count, rows[r].n);
		for (i = 0; i < rows[r].n; i++) {
			if (log.fired[i] != rows[r].order[i])
				fail_msg("row %zu: position %zu fired %d", r, i,
					 log.fired[i]);
			assert_false(event_timer_is_armed(log.timers[i]));
		}
		assert_true(event_now_ms(log.loop) - start >=
			    rows[r].delay[rows[r].order[rows[r].n - 1]]);
		for (i = 0; i < rows[r].n; i++)
			event_timer_remove(&log.timers[i]);
		event_timer_remove(&guard);
		assert_null(guard);
		event_loop_free(&log.loop);
		assert_null(log.loop);
	}
}

static void
test_timer_reset(void **state)
{
	struct order_log log;
	struct order_ctx ctx[3];
	size_t i;

	(void)state;
	memset(&log, 0, sizeof(log));
	log.loop = event_loop_new();
	log.expect = 3;
	for (i = 0; i < 3; i++) {
		ctx[i].log = &log;
		ctx[i].id = (int)i;
		log.timers[i] = event_timer_add(log.loop, 10 * (i + 1),
						order_fire, &ctx[i]);
	}
	/* Push 0 later (lazy path), pull 2 earlier (sift up). */
	event_timer_reset(log.timers[0], 60);
	event_timer_reset(log.timers[2], 1);
	/* Stop and re-arm 1: still fires. */
	event_timer_stop(log.timers[1]);
	assert_false(event_timer_is_armed(log.timers[1]));
	event_timer_reset(log.timers[1], 30);
	assert_int_equal(event_loop_run(log.loop), 0);
	assert_int_equal(log.fired[0], 2);
	assert_int_equal(log.fired[1], 1);
	assert_int_equal(log.fired[2], 0);
	/* A fired timer is idle and can be re-armed. */
	log.expect = 4;
	event_timer_reset(log.timers[1], 0);
	assert_int_equal(event_loop_run(log.loop), 0);
	assert_int_equal(log.fired[3], 1);
	event_loop_free(&log.loop);	/* releases the idle timers */
}

struct remove_ctx {
	struct event_loop *loop;
	struct event_timer *self;
	struct event_timer *other;
	int fired;
};

/* remove_fire - remove the other timer and this one from the callback */
static void
remove_fire(void *ctx)
{
	struct remove_ctx *rc = ctx;

	rc->fired++;
	event_timer_remove(&rc->other);
	event_timer_remove(&rc->self);
	event_loop_stop(rc->loop);
}

/* never_fire - a timer or watcher that must have been removed */
static void
never_fire(void *ctx)
{
	(void)ctx;
	fail_msg("removed timer fired");
}

static void
test_timer_remove_in_callback(void **state)
{
	struct remove_ctx rc;
	struct event_timer *stopper;

	(void)state;
	memset(&rc, 0, sizeof(rc));
	rc.loop = event_loop_new();
	/* Same deadline: self fires first (armed first), removes other. */
	rc.self = event_timer_add(rc.loop, 5, remove_fire, &rc);
	rc.other = event_timer_add(rc.loop, 5, never_fire, NULL);
	stopper = event_timer_add(rc.loop, TEST_GUARD_MS, test_guard, NULL);
	assert_int_equal(event_loop_run(rc.loop), 0);
	assert_int_equal(rc.fired, 1);
	assert_null(rc.self);
	assert_null(rc.other);
	event_timer_remove(&stopper);
	event_loop_free(&rc.loop);
}

/* rearm_zero - re-arm with delay 0: must not starve the loop */
static void
rearm_zero(void *ctx)
{
	struct remove_ctx *rc = ctx;

	rc->fired++;
	event_timer_reset(rc->self, 0);
}

/* stop_loop - timer callback that stops the loop */
static void
stop_loop(void *ctx)
{
	event_loop_stop(ctx);
}

static void
test_timer_rearm_zero(void **state)
{
	struct remove_ctx rc;
	struct event_timer *stopper;

	(void)state;
	memset(&rc, 0, sizeof(rc));
	rc.loop = event_loop_new();
	rc.self = event_timer_add(rc.loop, 0, rearm_zero, &rc);
	stopper = event_timer_add(rc.loop, 20, stop_loop, rc.loop);
	assert_int_equal(event_loop_run(rc.loop), 0);
	assert_true(rc.fired > 1);
	event_timer_remove(&stopper);
	event_timer_remove(&rc.self);
	event_loop_free(&rc.loop);
}

struct stress_ctx {
	struct event_loop *loop;
	struct event_timer *timer;
	uint64_t deadline;
	size_t index;
	bool removed;
	uint64_t *last_deadline;
	size_t *fired;
	size_t expect;
};

/* stress_fire - deadlines must come out non-decreasing */
static void
stress_fire(void *ctx)
{
	struct stress_ctx *sc = ctx;

	assert_false(sc->removed);
	assert_true(sc->deadline >= *sc->last_deadline);
	assert_true(event_now_ms(sc->loop) >= sc->deadline);
	*sc->last_deadline = sc->deadline;
	if (++*sc->fired == sc->expect)
		event_loop_stop(sc->loop);
}

static void
test_timer_heap_stress(void **state)
{
	enum { COUNT = 10000 };
	struct stress_ctx *sc = mem_alloc_array(COUNT, sizeof(*sc));
	struct event_loop *loop = event_loop_new();
	uint64_t last = 0, now = event_now_ms(loop);
	size_t fired = 0, live = COUNT, i;

	(void)state;
	srandom(12345);
	for (i = 0; i < COUNT; i++) {
		uint64_t delay = (uint64_t)(random() % 40);

		sc[i].loop = loop;
		sc[i].index = i;
		sc[i].deadline = now + delay;
		sc[i].last_deadline = &last;
		sc[i].fired = &fired;
		sc[i].timer = event_timer_add(loop, delay, stress_fire, &sc[i]);
	}
	/* Reset a third (forward and backward) and remove a tenth. */
	for (i = 0; i < COUNT; i += 3) {
		uint64_t delay = (uint64_t)(random() % 60);

		event_timer_reset(sc[i].timer, delay);
		sc[i].deadline = now + delay;
	}
	for (i = 0; i < COUNT; i += 10) {
		event_timer_remove(&sc[i].timer);
		sc[i].removed = true;
		live--;
	}
	for (i = 0; i < COUNT; i++)
		sc[i].expect = live;
	assert_int_equal(event_loop_run(loop), 0);
	assert_int_equal(fired, live);
	event_loop_free(&loop);
	mem_free(&sc);
}

struct io_pair {
	struct event_loop *loop;
	struct event_io *io[2];
	int fds[2][2];
	int calls[2];
	unsigned revents[2];
	struct event_timer *stopper;
};

/* pair_cb - first watcher called removes the other one and itself */
static void
pair_cb(void *ctx, int fd, unsigned revents)
{
	struct io_pair *p = ctx;
	int me = fd == p->fds[0][0] ? 0 : 1;

	p->calls[me]++;
	p->revents[me] = revents;
	event_io_remove(&p->io[1 - me]);
	event_io_remove(&p->io[me]);
	event_timer_reset(p->stopper, 10);
}

static void
test_io_remove_during_dispatch(void **state)
{
	struct io_pair p;
	int i;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.loop = event_loop_new();
	for (i = 0; i < 2; i++) {
		assert_int_equal(pipe(p.fds[i]), 0);
		assert_int_equal(write(p.fds[i][1], "x", 1), 1);
	}
	/* Both readable: both events arrive in the same epoll batch. */
	for (i = 0; i < 2; i++)
		p.io[i] = event_io_add(p.loop, p.fds[i][0], EVENT_READ, pair_cb,
				       &p);
	p.stopper = event_timer_add(p.loop, TEST_GUARD_MS, stop_loop, p.loop);
	assert_int_equal(event_loop_run(p.loop), 0);
	assert_int_equal(p.calls[0] + p.calls[1], 1);
	assert_null(p.io[0]);
	assert_null(p.io[1]);
	event_timer_remove(&p.stopper);
	event_loop_free(&p.loop);
	for (i = 0; i < 2; i++) {
		close(p.fds[i][0]);
		close(p.fds[i][1]);
	}
}

/* hup_cb - record revents and stop */
static void
hup_cb(void *ctx, int fd, unsigned revents)
{
	struct io_pair *p = ctx;

	(void)fd;
	p->calls[0]++;
	p->revents[0] |= revents;
	event_io_set(p->io[0], 0);	/* paused: must not spin */
}

static void
test_io_hup_and_pause(void **state)
{
	struct io_pair p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.loop = event_loop_new();
	assert_int_equal(pipe(p.fds[0]), 0);
	close(p.fds[0][1]);
	p.io[0] = event_io_add(p.loop, p.fds[0][0], EVENT_READ, hup_cb, &p);
	p.stopper = event_timer_add(p.loop, 30, stop_loop, p.loop);
	assert_int_equal(event_loop_run(p.loop), 0);
	/* The hang-up is reported as readable, once: paused afterwards. */
	assert_int_equal(p.calls[0], 1);
	assert_true(p.revents[0] & EVENT_READ);
	assert_true(p.revents[0] & EVENT_HUP);
	assert_int_equal(event_io_events(p.io[0]), 0);
	event_io_remove(&p.io[0]);
	event_timer_remove(&p.stopper);
	event_loop_free(&p.loop);
	close(p.fds[0][0]);
}

/* write_cb - writable pipe end: count and stop */
static void
write_cb(void *ctx, int fd, unsigned revents)
{
	struct io_pair *p = ctx;

	(void)fd;
	p->calls[1]++;
	p->revents[1] = revents;
	event_loop_stop(p->loop);
}

static void
test_io_write(void **state)
{
	struct io_pair p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.loop = event_loop_new();
	assert_int_equal(pipe(p.fds[0]), 0);
	p.io[1] = event_io_add(p.loop, p.fds[0][1], 0, write_cb, &p);
	event_io_set(p.io[1], EVENT_WRITE);
	assert_int_equal(event_loop_run(p.loop), 0);
	assert_int_equal(p.calls[1], 1);
	assert_int_equal(p.revents[1], EVENT_WRITE);
	event_io_remove(&p.io[1]);
	event_loop_free(&p.loop);
	close(p.fds[0][0]);
	close(p.fds[0][1]);
}

struct sig_ctx {
	struct event_loop *loop;
	int got;
	int signo;
};

/* sig_cb - record the signal and stop */
static void
sig_cb(void *ctx, int signo)
{
	struct sig_ctx *sc = ctx;

	sc->got++;
	sc->signo = signo;
	if (signo == SIGCHLD) {
		int status;

		while (waitpid(-1, &status, WNOHANG) > 0)
			;
	}
	event_loop_stop(sc->loop);
}

static void
test_signals(void **state)
{
	static const struct {
		int signo;
		bool via_child;	/* SIGCHLD from a child exiting */
	} rows[] = {
		{ SIGUSR1, false }, { SIGHUP, false }, { SIGTERM, false },
		{ SIGINT, false },  { SIGCHLD, true },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sig_ctx sc;
		struct event_signal *sig, *other;
		struct event_timer *guard;
		sigset_t mask;

		memset(&sc, 0, sizeof(sc));
		sc.loop = event_loop_new();
		sig = event_signal_add(sc.loop, rows[i].signo, sig_cb, &sc);
		/* A second handler that is removed before the signal. */
		other = event_signal_add(sc.loop, rows[i].signo, sig_cb, &sc);
		event_signal_remove(&other);
		assert_null(other);
		guard = event_timer_add(sc.loop, TEST_GUARD_MS, test_guard,
					NULL);
		if (rows[i].via_child) {
			pid_t pid = fork();

			assert_true(pid >= 0);
			if (pid == 0)
				_exit(0);
		} else {
			assert_int_equal(kill(getpid(), rows[i].signo), 0);
		}
		assert_int_equal(event_loop_run(sc.loop), 0);
		assert_int_equal(sc.got, 1);
		assert_int_equal(sc.signo, rows[i].signo);
		event_signal_remove(&sig);
		event_timer_remove(&guard);
		event_loop_free(&sc.loop);
		/* The loop restores the mask it found. */
		assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &mask), 0);
		assert_false(sigismember(&mask, rows[i].signo));
	}
}

static void
test_signals_unblock_all(void **state)
{
	struct event_loop *loop = event_loop_new();
	struct event_signal *sig;
	struct sig_ctx sc;
	int status;
	pid_t pid;

	(void)state;
	memset(&sc, 0, sizeof(sc));
	sig = event_signal_add(loop, SIGTERM, sig_cb, &sc);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sigset_t mask;

		event_signals_unblock_all();
		if (sigprocmask(SIG_BLOCK, NULL, &mask) < 0 ||
		    sigismember(&mask, SIGTERM))
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	event_signal_remove(&sig);
	event_loop_free(&loop);
}

struct defer_ctx {
	struct event_loop *loop;
	int log[8];
	size_t count;
	struct event_defer *cancel_me;
	struct event_defer *self;
};

/* defer_a - first call: queues another call and cancels a third */
static void
defer_a(void *ctx);
/* defer_b - records its id */
static void
defer_b(void *ctx);

static void
defer_a(void *ctx)
{
	struct defer_ctx *dc = ctx;

	dc->self = NULL;	/* released before the call */
	dc->log[dc->count++] = 1;
	event_defer_cancel(&dc->cancel_me);
	event_defer(dc->loop, defer_b, dc);
}

static void
defer_b(void *ctx)
{
	struct defer_ctx *dc = ctx;

	dc->log[dc->count++] = 2;
	if (dc->count >= 3)
		event_loop_stop(dc->loop);
}

/* defer_never - a cancelled call */
static void
defer_never(void *ctx)
{
	(void)ctx;
	fail_msg("cancelled deferred call ran");
}

static void
test_defer(void **state)
{
	struct defer_ctx dc;
	struct event_defer *dropped;

	(void)state;
	memset(&dc, 0, sizeof(dc));
	dc.loop = event_loop_new();
	dc.self = event_defer(dc.loop, defer_a, &dc);
	dc.cancel_me = event_defer(dc.loop, defer_never, &dc);
	event_defer(dc.loop, defer_b, &dc);
	assert_int_equal(event_loop_run(dc.loop), 0);
	/* a, then b (same iteration), then the b queued by a. */
	assert_int_equal(dc.count, 3);
	assert_int_equal(dc.log[0], 1);
	assert_int_equal(dc.log[1], 2);
	assert_int_equal(dc.log[2], 2);
	assert_null(dc.self);
	assert_null(dc.cancel_me);
	/* Calls still queued at free are released. */
	dropped = event_defer(dc.loop, defer_never, &dc);
	(void)dropped;
	event_loop_free(&dc.loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_timer_order, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_timer_reset, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_timer_remove_in_callback,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_timer_rearm_zero,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_timer_heap_stress,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_io_remove_during_dispatch,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_io_hup_and_pause,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_io_write, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_signals, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_signals_unblock_all,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_defer, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
