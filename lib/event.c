/*
 * event.c - the single-threaded epoll event loop (see event.h).
 *
 * event_loop_new/free, event_loop_run/stop, event_now_ms/update: the loop.
 * event_io_add/set/events/remove: level-triggered descriptor watchers.
 * event_timer_add/reset/stop/is_armed/remove: one-shot monotonic timers.
 * event_signal_add/remove, event_signals_unblock_all: signals via signalfd.
 * event_defer/event_defer_cancel: calls run at the next iteration.
 *
 * Ownership: handles belong to their caller until removed; the loop frees
 * what is left in event_loop_free. Removed I/O watchers and signal handlers
 * are unlinked at once but their memory is released at the end of the
 * dispatch round, because the epoll batch being dispatched may still hold
 * pointers to them (the removed flag makes those events a no-op).
 *
 * Timers live in a binary min-heap ordered by (key, seq). key may lag
 * behind the real deadline: pushing an armed timer later only moves the
 * deadline, and the heap is fixed when the stale key reaches the top. That
 * makes the per-line timeout refresh of 10,000 idle sessions O(1).
 *
 * Handles no untrusted input; runs with whatever privilege the process has.
 * Limits: EVENT_BATCH_MAX events per epoll_wait, EVENT_SIGINFO_BATCH
 * siginfo records per signalfd read.
 */
#include "lib/event.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/checked.h"
#include "lib/log.h"
#include "lib/mem.h"

/* Events taken from the kernel per epoll_wait call. */
#define EVENT_BATCH_MAX 64

/* signalfd_siginfo records read per read(2) call. */
#define EVENT_SIGINFO_BATCH 16

/* heap_index of a timer that is not in the heap. */
#define EVENT_TIMER_IDLE SIZE_MAX

struct event_io {
	struct event_loop *loop;
	int fd;
	unsigned events;	/* interest: EVENT_READ|EVENT_WRITE */
	bool registered;	/* currently in the epoll set */
	bool removed;		/* waiting for the end of the round */
	event_io_fn *cb;
	void *ctx;
	struct event_io *prev, *next;	/* live list, or dead list (next) */
};

struct event_timer {
	struct event_loop *loop;
	uint64_t deadline_ms;	/* when it fires */
	uint64_t key_ms;	/* heap key, <= deadline_ms */
	uint64_t seq;		/* arming order, breaks ties */
	size_t heap_index;	/* EVENT_TIMER_IDLE when not armed */
	event_timer_fn *cb;
	void *ctx;
	struct event_timer *prev, *next;	/* all timers of the loop */
};

struct event_signal {
	struct event_loop *loop;
	int signo;
	bool removed;
	event_signal_fn *cb;
	void *ctx;
	struct event_signal *prev, *next;	/* live list */
	struct event_signal *dead_next;		/* dead list */
};

struct event_defer {
	struct event_loop *loop;
	uint64_t generation;	/* iteration it was queued in */
	event_defer_fn *fn;
	void *ctx;
	struct event_defer *prev, *next;
};

struct event_loop {
	int epoll_fd;
	bool running;
	bool stopping;
	bool dispatching;	/* inside an I/O batch: defer frees */
	uint64_t now_ms;

	struct event_io *ios;		/* live watchers */
	struct event_io *dead_ios;	/* removed during the round */

	struct event_timer **heap;
	size_t heap_len;
	size_t heap_cap;
	uint64_t timer_seq;
	struct event_timer *timers;	/* every timer, armed or idle */

	int signal_fd;			/* -1 until the first signal */
	struct event_io *signal_io;
	sigset_t signal_mask;		/* signals in the signalfd */
	sigset_t blocked_by_us;		/* to unblock in event_loop_free */
	struct event_signal *signals;
	struct event_signal *dead_signals;

	struct event_defer *defer_head, *defer_tail;
	uint64_t defer_generation;
};

/* event_clock_ms - the monotonic clock in milliseconds */
static uint64_t
event_clock_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		log_panic("clock_gettime: %s", strerror(errno));
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* event_loop_new - create a loop */
struct event_loop *
event_loop_new(void)
{
	struct event_loop *loop = mem_alloc(sizeof(*loop));

	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epoll_fd < 0)
		log_fatal("epoll_create1: %s", strerror(errno));
	loop->signal_fd = -1;
	sigemptyset(&loop->signal_mask);
	sigemptyset(&loop->blocked_by_us);
	loop->now_ms = event_clock_ms();
	return loop;
}

/* event_now_ms - cached monotonic time */
uint64_t
event_now_ms(const struct event_loop *loop)
{
	return loop->now_ms;
}

/* event_now_update - refresh the cached time */
void
event_now_update(struct event_loop *loop)
{
	loop->now_ms = event_clock_ms();
}

/* event_loop_stop - leave event_loop_run after this iteration */
void
event_loop_stop(struct event_loop *loop)
{
	loop->stopping = true;
}

/* ---- I/O watchers ---- */

/* event_epoll_mask - epoll bits for an interest set */
static uint32_t
event_epoll_mask(unsigned events)
{
	uint32_t mask = 0;

	if (events & EVENT_READ)
		mask |= EPOLLIN;
	if (events & EVENT_WRITE)
		mask |= EPOLLOUT;
	return mask;
}

/* event_io_apply - bring the epoll registration in line with io->events */
static void
event_io_apply(struct event_io *io)
{
	struct epoll_event ev;
	int op;

	memset(&ev, 0, sizeof(ev));
	ev.events = event_epoll_mask(io->events);
	ev.data.ptr = io;
	if (io->events == 0) {
		/* Out of the set: EPOLLERR/EPOLLHUP are reported even with an
		   empty mask and would make a paused watcher spin. */
		if (!io->registered)
			return;
		if (epoll_ctl(io->loop->epoll_fd, EPOLL_CTL_DEL, io->fd,
			      NULL) < 0 &&
		    errno != EBADF && errno != ENOENT)
			log_panic("epoll_ctl(DEL, fd=%d): %s", io->fd,
				  strerror(errno));
		io->registered = false;
		return;
	}
	op = io->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(io->loop->epoll_fd, op, io->fd, &ev) < 0) {
		if (errno == ENOMEM || errno == ENOSPC)
			log_fatal("epoll_ctl(fd=%d): %s", io->fd,
				  strerror(errno));
		log_panic("epoll_ctl(fd=%d): %s", io->fd, strerror(errno));
	}
	io->registered = true;
}

/* event_io_add - watch a descriptor */
struct event_io *
event_io_add(struct event_loop *loop, int fd, unsigned events,
	     event_io_fn *cb, void *ctx)
{
	struct event_io *io = mem_alloc(sizeof(*io));

	MR_ASSERT(fd >= 0);
	MR_ASSERT((events & ~(EVENT_READ | EVENT_WRITE)) == 0);
	io->loop = loop;
	io->fd = fd;
	io->events = events;
	io->cb = cb;
	io->ctx = ctx;
	event_io_apply(io);
	io->next = loop->ios;
	if (loop->ios != NULL)
		loop->ios->prev = io;
	loop->ios = io;
	return io;
}

/* event_io_set - change the interest set */
void
event_io_set(struct event_io *io, unsigned events)
{
	MR_ASSERT(!io->removed);
	MR_ASSERT((events & ~(EVENT_READ | EVENT_WRITE)) == 0);
	if (events == io->events)
		return;
	io->events = events;
	event_io_apply(io);
}

/* event_io_events - the interest set */
unsigned
event_io_events(const struct event_io *io)
{
	return io->events;
}

/* event_io_remove - stop watching; free now or at the end of the round */
void
event_io_remove(struct event_io **iop)
{
	struct event_io *io = *iop;
	struct event_loop *loop;

	if (io == NULL)
		return;
	*iop = NULL;
	MR_ASSERT(!io->removed);
	loop = io->loop;
	io->events = 0;
	event_io_apply(io);
	if (io->prev != NULL)
		io->prev->next = io->next;
	else
		loop->ios = io->next;
	if (io->next != NULL)
		io->next->prev = io->prev;
	io->removed = true;
	if (loop->dispatching) {
		io->prev = NULL;
		io->next = loop->dead_ios;
		loop->dead_ios = io;
	} else {
		mem_free(&io);
	}
}

/* event_io_dispatch - run the callback for one epoll event */
static void
event_io_dispatch(struct event_io *io, uint32_t kernel_events)
{
	unsigned revents = 0;

	if (io->removed || io->events == 0)
		return;
	if ((kernel_events & EPOLLIN) && (io->events & EVENT_READ))
		revents |= EVENT_READ;
	if ((kernel_events & EPOLLOUT) && (io->events & EVENT_WRITE))
		revents |= EVENT_WRITE;
	if (kernel_events & (EPOLLERR | EPOLLHUP)) {
		if (kernel_events & EPOLLERR)
			revents |= EVENT_ERROR;
		if (kernel_events & EPOLLHUP)
			revents |= EVENT_HUP;
		revents |= EVENT_READ | (io->events & EVENT_WRITE);
	}
	if (revents != 0)
		io->cb(io->ctx, io->fd, revents);
}

/* event_sweep - release watchers and handlers removed during the round */
static void
event_sweep(struct event_loop *loop)
{
	while (loop->dead_ios != NULL) {
		struct event_io *io = loop->dead_ios;

		loop->dead_ios = io->next;
		mem_free(&io);
	}
	while (loop->dead_signals != NULL) {
		struct event_signal *sig = loop->dead_signals;

		loop->dead_signals = sig->dead_next;
		mem_free(&sig);
	}
}

/* ---- timers ---- */

/* event_timer_less - heap order: key, then arming order */
static bool
event_timer_less(const struct event_timer *a, const struct event_timer *b)
{
	return a->key_ms < b->key_ms ||
	       (a->key_ms == b->key_ms && a->seq < b->seq);
}

/* event_heap_place - store timer t at heap slot i */
static void
event_heap_place(struct event_loop *loop, size_t i, struct event_timer *t)
{
	loop->heap[i] = t;
	t->heap_index = i;
}

/* event_heap_up - move the timer at i toward the root */
static void
event_heap_up(struct event_loop *loop, size_t i)
{
	struct event_timer *t = loop->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!event_timer_less(t, loop->heap[parent]))
			break;
		event_heap_place(loop, i, loop->heap[parent]);
		i = parent;
	}
	event_heap_place(loop, i, t);
}

/* event_heap_down - move the timer at i toward the leaves */
static void
event_heap_down(struct event_loop *loop, size_t i)
{
	struct event_timer *t = loop->heap[i];

	for (;;) {
		size_t child = 2 * i + 1;	/* heap_len < SIZE_MAX / 2 */

		if (child >= loop->heap_len)
			break;
		if (child + 1 < loop->heap_len &&
		    event_timer_less(loop->heap[child + 1], loop->heap[child]))
			child++;
		if (!event_timer_less(loop->heap[child], t))
			break;
		event_heap_place(loop, i, loop->heap[child]);
		i = child;
	}
	event_heap_place(loop, i, t);
}

/* event_heap_insert - add an idle timer to the heap */
static void
event_heap_insert(struct event_loop *loop, struct event_timer *t)
{
	if (loop->heap_len == loop->heap_cap) {
		size_t cap;

		if (!checked_grow(loop->heap_cap, loop->heap_len + 1,
				  SIZE_MAX / (2 * sizeof(*loop->heap)), &cap))
			log_panic("timer heap overflow");
		loop->heap = mem_realloc_array(loop->heap, cap,
					       sizeof(*loop->heap));
		loop->heap_cap = cap;
	}
	event_heap_place(loop, loop->heap_len++, t);
	event_heap_up(loop, t->heap_index);
}

/* event_heap_delete - take an armed timer out of the heap */
static void
event_heap_delete(struct event_loop *loop, struct event_timer *t)
{
	size_t i = t->heap_index;
	struct event_timer *last;

	MR_ASSERT(i < loop->heap_len && loop->heap[i] == t);
	t->heap_index = EVENT_TIMER_IDLE;
	last = loop->heap[--loop->heap_len];
	if (last == t)
		return;
	event_heap_place(loop, i, last);
	if (i > 0 && event_timer_less(last, loop->heap[(i - 1) / 2]))
		event_heap_up(loop, i);
	else
		event_heap_down(loop, i);
}

/* event_deadline - now + delay, saturating */
static uint64_t
event_deadline(const struct event_loop *loop, uint64_t delay_ms)
{
	uint64_t deadline;

	if (__builtin_add_overflow(loop->now_ms, delay_ms, &deadline))
		deadline = UINT64_MAX;
	return deadline;
}

/* event_timer_add - create and arm a one-shot timer */
struct event_timer *
event_timer_add(struct event_loop *loop, uint64_t delay_ms, event_timer_fn *cb,
		void *ctx)
{
	struct event_timer *t = mem_alloc(sizeof(*t));

	t->loop = loop;
	t->cb = cb;
	t->ctx = ctx;
	t->heap_index = EVENT_TIMER_IDLE;
	t->next = loop->timers;
	if (loop->timers != NULL)
		loop->timers->prev = t;
	loop->timers = t;
	event_timer_reset(t, delay_ms);
	return t;
}

/* event_timer_reset - (re-)arm a timer */
void
event_timer_reset(struct event_timer *t, uint64_t delay_ms)
{
	struct event_loop *loop = t->loop;

	t->deadline_ms = event_deadline(loop, delay_ms);
	t->seq = loop->timer_seq++;
	if (t->heap_index == EVENT_TIMER_IDLE) {
		t->key_ms = t->deadline_ms;
		event_heap_insert(loop, t);
	} else if (t->deadline_ms < t->key_ms) {
		t->key_ms = t->deadline_ms;
		event_heap_up(loop, t->heap_index);
	}
	/* Later than the key: leave the heap alone; the stale key is
	   corrected when it reaches the top (event_timers_run). */
}

/* event_timer_stop - disarm */
void
event_timer_stop(struct event_timer *t)
{
	if (t->heap_index != EVENT_TIMER_IDLE)
		event_heap_delete(t->loop, t);
}

/* event_timer_is_armed - whether the timer will fire */
bool
event_timer_is_armed(const struct event_timer *t)
{
	return t->heap_index != EVENT_TIMER_IDLE;
}

/* event_timer_remove - disarm and release */
void
event_timer_remove(struct event_timer **tp)
{
	struct event_timer *t = *tp;

	if (t == NULL)
		return;
	*tp = NULL;
	event_timer_stop(t);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		t->loop->timers = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	mem_free(&t);
}

/*
 * event_timers_run - fire expired timers. Timers armed during this round
 * (seq >= round_seq) wait for the next iteration, so a callback that
 * re-arms itself with delay 0 cannot starve I/O.
 */
static void
event_timers_run(struct event_loop *loop)
{
	uint64_t round_seq = loop->timer_seq;

	while (loop->heap_len > 0 && !loop->stopping) {
		struct event_timer *t = loop->heap[0];

		if (t->key_ms > loop->now_ms)
			break;
		if (t->deadline_ms > t->key_ms) {
			t->key_ms = t->deadline_ms;	/* lazily pushed */
			event_heap_down(loop, 0);
			continue;
		}
		if (t->seq >= round_seq)
			break;
		event_heap_delete(loop, t);
		/* t may be removed or re-armed by its callback: do not touch
		   it afterwards. */
		t->cb(t->ctx);
	}
}

/* event_timeout_ms - how long epoll_wait may block */
static int
event_timeout_ms(const struct event_loop *loop)
{
	const struct event_timer *t;
	uint64_t wait_ms;

	if (loop->defer_head != NULL)
		return 0;
	if (loop->heap_len == 0)
		return -1;
	t = loop->heap[0];
	if (t->key_ms <= loop->now_ms)
		return 0;
	wait_ms = t->key_ms - loop->now_ms;
	return wait_ms > INT_MAX ? INT_MAX : (int)wait_ms;
}

/* ---- signals ---- */

/* event_signal_read - signalfd is readable: dispatch every record */
static void
event_signal_read(void *ctx, int fd, unsigned revents)
{
	struct event_loop *loop = ctx;
	struct signalfd_siginfo info[EVENT_SIGINFO_BATCH];

	(void)revents;
	for (;;) {
		ssize_t got = read(fd, info, sizeof(info));
		size_t i, count;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_error("signalfd read: %s", strerror(errno));
			return;
		}
		count = (size_t)got / sizeof(info[0]);
		for (i = 0; i < count; i++) {
			struct event_signal *sig;

			/* Removed handlers stay linked until the sweep, so
			   sig->next is valid after any callback. */
			for (sig = loop->signals; sig != NULL; sig = sig->next)
				if (!sig->removed &&
				    sig->signo == (int)info[i].ssi_signo)
					sig->cb(sig->ctx, sig->signo);
		}
		if (count < EVENT_SIGINFO_BATCH)
			return;
	}
}

/* event_signal_update_fd - (re)point the signalfd at signal_mask */
static void
event_signal_update_fd(struct event_loop *loop)
{
	int fd = signalfd(loop->signal_fd, &loop->signal_mask,
			  SFD_NONBLOCK | SFD_CLOEXEC);

	if (fd < 0)
		log_fatal("signalfd: %s", strerror(errno));
	if (loop->signal_fd < 0) {
		loop->signal_fd = fd;
		loop->signal_io = event_io_add(loop, fd, EVENT_READ,
					       event_signal_read, loop);
	}
}

/* event_signal_add - handle a signal from the loop */
struct event_signal *
event_signal_add(struct event_loop *loop, int signo, event_signal_fn *cb,
		 void *ctx)
{
	struct event_signal *sig;
	sigset_t one, old;

	MR_ASSERT(signo > 0 && signo < _NSIG && signo != SIGKILL &&
		  signo != SIGSTOP);
	if (!sigismember(&loop->signal_mask, signo)) {
		sigemptyset(&one);
		sigaddset(&one, signo);
		if (sigprocmask(SIG_BLOCK, &one, &old) < 0)
			log_panic("sigprocmask: %s", strerror(errno));
		if (!sigismember(&old, signo))
			sigaddset(&loop->blocked_by_us, signo);
		sigaddset(&loop->signal_mask, signo);
		event_signal_update_fd(loop);
	}
	sig = mem_alloc(sizeof(*sig));
	sig->loop = loop;
	sig->signo = signo;
	sig->cb = cb;
	sig->ctx = ctx;
	sig->next = loop->signals;
	if (loop->signals != NULL)
		loop->signals->prev = sig;
	loop->signals = sig;
	return sig;
}

/* event_signal_remove - drop a signal handler */
void
event_signal_remove(struct event_signal **sigp)
{
	struct event_signal *sig = *sigp, *s;
	struct event_loop *loop;
	bool still_watched = false;

	if (sig == NULL)
		return;
	*sigp = NULL;
	loop = sig->loop;
	if (sig->prev != NULL)
		sig->prev->next = sig->next;
	else
		loop->signals = sig->next;
	if (sig->next != NULL)
		sig->next->prev = sig->prev;
	sig->removed = true;
	for (s = loop->signals; s != NULL; s = s->next)
		if (s->signo == sig->signo)
			still_watched = true;
	if (!still_watched) {
		sigdelset(&loop->signal_mask, sig->signo);
		event_signal_update_fd(loop);
	}
	if (loop->dispatching) {
		/* The dispatcher may be walking from sig: keep sig->next. */
		sig->dead_next = loop->dead_signals;
		loop->dead_signals = sig;
	} else {
		mem_free(&sig);
	}
}

/* event_signals_unblock_all - clear the signal mask (fork, then exec) */
void
event_signals_unblock_all(void)
{
	sigset_t none;

	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		log_panic("sigprocmask: %s", strerror(errno));
}

/* event_signals_restore - discard pending watched signals and unblock them */
static void
event_signals_restore(struct event_loop *loop)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t pending;
	int signo;

	if (sigpending(&pending) < 0)
		sigemptyset(&pending);
	for (signo = 1; signo < _NSIG; signo++) {
		sigset_t one;

		if (!sigismember(&loop->blocked_by_us, signo))
			continue;
		sigemptyset(&one);
		sigaddset(&one, signo);
		/* Consume what arrived for us so unblocking cannot kill the
		   process with a signal that was meant for the loop. */
		while (sigismember(&pending, signo) &&
		       sigtimedwait(&one, NULL, &zero) == signo &&
		       sigpending(&pending) == 0)
			;
		if (sigprocmask(SIG_UNBLOCK, &one, NULL) < 0)
			log_panic("sigprocmask: %s", strerror(errno));
	}
}

/* ---- deferred calls ---- */

/* event_defer - queue a call for the next iteration */
struct event_defer *
event_defer(struct event_loop *loop, event_defer_fn *fn, void *ctx)
{
	struct event_defer *d = mem_alloc(sizeof(*d));

	d->loop = loop;
	d->fn = fn;
	d->ctx = ctx;
	d->generation = loop->defer_generation;
	d->prev = loop->defer_tail;
	if (loop->defer_tail != NULL)
		loop->defer_tail->next = d;
	else
		loop->defer_head = d;
	loop->defer_tail = d;
	return d;
}

/* event_defer_unlink - take a call off the queue */
static void
event_defer_unlink(struct event_defer *d)
{
	struct event_loop *loop = d->loop;

	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		loop->defer_head = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	else
		loop->defer_tail = d->prev;
}

/* event_defer_cancel - drop a queued call */
void
event_defer_cancel(struct event_defer **dp)
{
	struct event_defer *d = *dp;

	if (d == NULL)
		return;
	*dp = NULL;
	event_defer_unlink(d);
	mem_free(&d);
}

/* event_defers_run - run calls queued before this iteration */
static void
event_defers_run(struct event_loop *loop)
{
	uint64_t generation = loop->defer_generation++;

	while (loop->defer_head != NULL &&
	       loop->defer_head->generation <= generation) {
		struct event_defer *d = loop->defer_head;
		event_defer_fn *fn = d->fn;
		void *ctx = d->ctx;

		event_defer_unlink(d);
		mem_free(&d);
		fn(ctx);
	}
}

/* ---- the loop ---- */

/* event_loop_run - dispatch until stopped */
int
event_loop_run(struct event_loop *loop)
{
	struct epoll_event events[EVENT_BATCH_MAX];

	MR_ASSERT(!loop->running);
	loop->running = true;
	loop->stopping = false;
	while (!loop->stopping) {
		int count, i;

		event_defers_run(loop);
		if (loop->stopping)
			break;
		count = epoll_wait(loop->epoll_fd, events, EVENT_BATCH_MAX,
				   event_timeout_ms(loop));
		if (count < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(errno));
			loop->running = false;
			return -1;
		}
		event_now_update(loop);
		loop->dispatching = true;
		for (i = 0; i < count; i++)
			event_io_dispatch(events[i].data.ptr, events[i].events);
		loop->dispatching = false;
		event_sweep(loop);
		event_timers_run(loop);
	}
	loop->running = false;
	return 0;
}

/* event_loop_free - release the loop and what is still registered */
void
event_loop_free(struct event_loop **loopp)
{
	struct event_loop *loop = *loopp;

	if (loop == NULL)
		return;
	MR_ASSERT(!loop->running);
	while (loop->defer_head != NULL) {
		struct event_defer *d = loop->defer_head;

		event_defer_cancel(&d);
	}
	while (loop->signals != NULL) {
		struct event_signal *sig = loop->signals;

		event_signal_remove(&sig);
	}
	while (loop->timers != NULL) {
		struct event_timer *t = loop->timers;

		event_timer_remove(&t);
	}
	while (loop->ios != NULL) {
		struct event_io *io = loop->ios;

		event_io_remove(&io);
	}
	event_sweep(loop);
	if (loop->signal_fd >= 0)
		close(loop->signal_fd);
	event_signals_restore(loop);
	close(loop->epoll_fd);
	mem_free(&loop->heap);
	mem_free(loopp);
}
