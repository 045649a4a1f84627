/*
 * event.h - the single-threaded epoll event loop every process runs.
 *
 * One loop per process (master and every daemon). It dispatches four kinds
 * of events, always from the loop itself and never from signal context:
 *
 *   I/O watchers   level-triggered readiness of a descriptor
 *   timers         one-shot, monotonic clock, held in a binary heap
 *   signals        through signalfd; the signal is blocked while watched
 *   deferred calls run once at the start of the next loop iteration
 *
 * Order inside one iteration: deferred calls queued before the iteration,
 * then epoll_wait, then the I/O callbacks of that batch, then the expired
 * timers (earliest deadline first, ties in the order they were armed).
 *
 * Ownership: every handle returned here belongs to the caller until it is
 * removed or the loop is freed. Removing any handle from inside any
 * callback, including the running one, is safe: memory of I/O watchers is
 * released only at the end of the dispatch round. event_loop_free releases
 * whatever handles are left; pointers to them are invalid afterwards.
 *
 * After fork() a child must not use its parent's loop (the epoll and
 * signalfd descriptors are shared with the parent); a child that execs
 * calls event_signals_unblock_all() first.
 */
#ifndef MR_EVENT_H
#define MR_EVENT_H

#include <stdbool.h>
#include <stdint.h>

struct event_loop;
struct event_io;
struct event_timer;
struct event_signal;
struct event_defer;

/* Readiness bits for event_io_add/event_io_set and the callback's revents. */
#define EVENT_READ 0x1u
#define EVENT_WRITE 0x2u
#define EVENT_ERROR 0x4u	/* revents only: error condition (EPOLLERR) */
#define EVENT_HUP 0x8u		/* revents only: hang-up (EPOLLHUP) */

/*
 * event_io_fn - descriptor fd is ready. revents holds EVENT_READ and/or
 * EVENT_WRITE; an error or hang-up adds EVENT_ERROR/EVENT_HUP together with
 * EVENT_READ (and EVENT_WRITE when the watcher asked for it), so an owner
 * that only reads still sees the condition as EOF or a read error.
 */
typedef void event_io_fn(void *ctx, int fd, unsigned revents);

/* event_timer_fn - the timer's deadline passed; the timer is now idle. */
typedef void event_timer_fn(void *ctx);

/* event_signal_fn - signal signo arrived (one call per delivery batch). */
typedef void event_signal_fn(void *ctx, int signo);

/* event_defer_fn - a deferred call. */
typedef void event_defer_fn(void *ctx);

/*
 * event_loop_new - a new loop with its epoll descriptor (close-on-exec).
 * Never returns NULL: failing to create the epoll instance is fatal.
 */
struct event_loop *event_loop_new(void);

/*
 * event_loop_free - release the loop and every handle still registered,
 * restore the signal mask for signals the loop blocked, and NULL *loop.
 * Must not be called from inside a callback of that loop.
 */
void event_loop_free(struct event_loop **loop);

/*
 * event_loop_run - dispatch events until event_loop_stop is called.
 * Returns 0 after a stop, -1 (errno set, error logged) when epoll_wait
 * fails for another reason than EINTR. It keeps running (blocked in
 * epoll_wait) while nothing is registered: something must call stop.
 */
int event_loop_run(struct event_loop *loop);

/*
 * event_loop_stop - make event_loop_run return after the current dispatch
 * round. Callable from any callback; a later event_loop_run starts again.
 */
void event_loop_stop(struct event_loop *loop);

/*
 * event_now_ms - the loop's cached monotonic time in milliseconds, updated
 * after each wait. Timer deadlines count from this value.
 */
uint64_t event_now_ms(const struct event_loop *loop);

/* event_now_update - refresh the cached time, e.g. after long work. */
void event_now_update(struct event_loop *loop);

/*
 * event_io_add - watch fd for events (EVENT_READ|EVENT_WRITE, or 0 to
 * register without interest). The fd stays the caller's: remove the watcher
 * before closing it. Never returns NULL; a refused epoll registration (the
 * fd is already watched, or not pollable) is a bug and panics.
 */
struct event_io *event_io_add(struct event_loop *loop, int fd,
			      unsigned events, event_io_fn *cb, void *ctx);

/*
 * event_io_set - change the interest set. With 0 the descriptor is taken
 * out of epoll entirely, so a hang-up cannot make the loop spin while the
 * owner is not reading.
 */
void event_io_set(struct event_io *io, unsigned events);

/* event_io_events - the current interest set. */
unsigned event_io_events(const struct event_io *io);

/*
 * event_io_remove - stop watching and NULL *io (NULL *io is fine). Safe
 * from any callback, also for a watcher whose event is pending in the
 * same batch: that event is dropped.
 */
void event_io_remove(struct event_io **io);

/*
 * event_timer_add - a one-shot timer firing delay_ms after event_now_ms.
 * After it fires the timer stays allocated and idle: re-arm it with
 * event_timer_reset or release it with event_timer_remove (the owner
 * always removes it). Never returns NULL.
 */
struct event_timer *event_timer_add(struct event_loop *loop, uint64_t delay_ms,
				    event_timer_fn *cb, void *ctx);

/*
 * event_timer_reset - (re-)arm the timer to fire delay_ms after now,
 * whether it is armed, idle or running its callback. Pushing an armed
 * timer later costs O(1) (it is re-sorted lazily when it reaches the top
 * of the heap); moving it earlier or re-arming costs O(log n).
 */
void event_timer_reset(struct event_timer *timer, uint64_t delay_ms);

/* event_timer_stop - disarm without releasing (idle until reset). */
void event_timer_stop(struct event_timer *timer);

/* event_timer_is_armed - whether the timer will fire. */
bool event_timer_is_armed(const struct event_timer *timer);

/* event_timer_remove - disarm, release, NULL *timer (NULL *timer is fine). */
void event_timer_remove(struct event_timer **timer);

/*
 * event_signal_add - call cb from the loop when signo arrives. The signal
 * is blocked with sigprocmask and read from the loop's signalfd. Several
 * arrivals before the loop reads coalesce into one call (for SIGCHLD reap
 * with waitpid(WNOHANG) in a loop). Never returns NULL; an invalid signal
 * number (SIGKILL, SIGSTOP, out of range) panics.
 */
struct event_signal *event_signal_add(struct event_loop *loop, int signo,
				      event_signal_fn *cb, void *ctx);

/*
 * event_signal_remove - stop calling the handler and NULL *sig. When it was
 * the last handler of its signal, the signal leaves the signalfd but stays
 * blocked (discarded if it arrives) until event_loop_free.
 */
void event_signal_remove(struct event_signal **sig);

/*
 * event_signals_unblock_all - unblock every signal. Call in a forked child
 * between fork and exec: a blocked mask survives exec.
 */
void event_signals_unblock_all(void);

/*
 * event_defer - call fn(ctx) once at the start of the next loop iteration
 * (the loop then does not block). Calls run in the order they were queued;
 * calls queued by a deferred call run in the following iteration. The
 * handle is released just BEFORE fn runs: a caller that keeps it must
 * clear its copy first thing in fn. Never returns NULL.
 */
struct event_defer *event_defer(struct event_loop *loop, event_defer_fn *fn,
				void *ctx);

/* event_defer_cancel - drop a call that has not run yet; NULLs *defer. */
void event_defer_cancel(struct event_defer **defer);

#endif
