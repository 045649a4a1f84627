/*
 * scan.c - when qmgr looks at the queue.
 *
 *   qmgr_scan_start     first full scan now, then every queue_run_delay
 *   qmgr_scan_request   scan active/ soon, coalescing bursts of wakeups
 *   qmgr_scan_deferred  deferred/ files whose retry time came -> active/
 *   qmgr_scan_active    load active/ files up to qmgr_message_active_limit
 *   qmgr_wakeup_accept  one IPC_QMGR_WAKEUP connection on private/qmgr
 *
 * A deferred file's modification time is its next retry time (Postfix's
 * convention; message.c sets it). active/ is qmgr's own: at start every
 * file there is retried, also those left by a crash. A scan that reaches
 * the message limit stops; the rest waits in active/ and a later scan
 * (when messages finish) picks it up.
 *
 * SECURITY: anyone who can reach private/qmgr (smtpd, the mailroom
 * command) can only make qmgr scan sooner: the frame is checked
 * (IPC_QMGR_WAKEUP only, QMGR_WAKEUP_TIMEOUT_MS, QMGR_WAKEUP_CONN_MAX
 * connections) and scans are coalesced to one per QMGR_SCAN_COALESCE_MS.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/ipc_conn.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "qmgr/qmgr.h"

/* One wakeup connection. */
struct scan_wakeup {
	struct qmgr *q;
	struct ipc_conn *ipc;
	struct event_timer *timer;
};

/* The only frame accepted on private/qmgr. */
static const struct ipc_type scan_wakeup_types[] = {
	{ IPC_QMGR_WAKEUP, IPC_QMGR_WAKEUP_MAX_LEN },
};
static const struct ipc_limits scan_wakeup_limits = {
	scan_wakeup_types, 1
};

/* scan_deferred_one - move one due deferred file to active/ */
static int
scan_deferred_one(void *ctx, const char *id)
{
	struct qmgr *q = ctx;
	char path[4096];
	struct stat st;
	const char *error;

	if (queue_path(q->queue_dir, QUEUE_STATE_DEFERRED, id, path,
		       sizeof(path)) < 0)
		return 0;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			log_warn("%s: stat deferred file: %m", id);
		return 0;
	}
	if (st.st_mtime > time(NULL))
		return 0;
	if (queue_move(q->queue_dir, id, QUEUE_STATE_DEFERRED,
		       QUEUE_STATE_ACTIVE, &error) < 0 && errno != ENOENT)
		log_warn("%s: cannot move deferred file to active: %s: %m", id,
			 error);
	return 0;
}

/* qmgr_scan_deferred - deferred/ files whose time has come */
void
qmgr_scan_deferred(struct qmgr *q)
{
	const char *error;

	if (queue_scan(q->queue_dir, QUEUE_STATE_DEFERRED, scan_deferred_one,
		       q, &error) < 0)
		log_warn("scan of deferred queue: %s: %m", error);
}

/* scan_active_one - load one active/ file unless known or at the limit */
static int
scan_active_one(void *ctx, const char *id)
{
	struct qmgr *q = ctx;

	if (qmgr_message_find(q, id) != NULL)
		return 0;
	if (q->message_count >= q->message_limit) {
		q->active_more = true;
		return 1;
	}
	(void)qmgr_message_load(q, id);
	return 0;
}

/* qmgr_scan_active - load what active/ holds */
void
qmgr_scan_active(struct qmgr *q)
{
	const char *error;

	q->active_more = false;
	q->scanned = true;
	q->last_scan_ms = event_now_ms(q->loop);
	if (queue_scan(q->queue_dir, QUEUE_STATE_ACTIVE, scan_active_one, q,
		       &error) < 0)
		log_warn("scan of active queue: %s: %m", error);
	event_now_update(q->loop);
}

/* scan_on_run - the periodic queue run */
static void
scan_on_run(void *ctx)
{
	struct qmgr *q = ctx;

	qmgr_scan_deferred(q);
	qmgr_scan_active(q);
	event_timer_reset(q->run_timer,
			  (uint64_t)param_queue_run_delay * 1000);
}

/* scan_on_timer - the coalesced active/ scan */
static void
scan_on_timer(void *ctx)
{
	qmgr_scan_active(ctx);
}

/* qmgr_scan_start - full scan at once, then periodically */
void
qmgr_scan_start(struct qmgr *q)
{
	q->scan_timer = event_timer_add(q->loop, 0, scan_on_timer, q);
	event_timer_stop(q->scan_timer);
	q->run_timer = event_timer_add(q->loop, 0, scan_on_run, q);
}

/* qmgr_scan_request - scan active/ soon, at most once per gap */
void
qmgr_scan_request(struct qmgr *q)
{
	uint64_t now, delay = 0;

	if (q->scan_timer == NULL || event_timer_is_armed(q->scan_timer))
		return;
	now = event_now_ms(q->loop);
	if (q->scanned && now < q->last_scan_ms + QMGR_SCAN_COALESCE_MS)
		delay = q->last_scan_ms + QMGR_SCAN_COALESCE_MS - now;
	event_timer_reset(q->scan_timer, delay);
}

/* scan_wakeup_free - release one wakeup connection */
static void
scan_wakeup_free(struct scan_wakeup *w)
{
	ipc_conn_free(&w->ipc);
	event_timer_remove(&w->timer);
	MR_ASSERT(w->q->wakeup_conns > 0);
	w->q->wakeup_conns--;
	mem_free(&w);
}

/* scan_wakeup_on_frame - a wakeup arrived: check it, scan, close */
static void
scan_wakeup_on_frame(void *ctx, const struct ipc_frame *frame, int fd)
{
	struct scan_wakeup *w = ctx;
	const char *error;

	if (fd >= 0)
		close(fd);
	/* No attributes are defined; unknown ones are skipped. */
	if (ipc_frame_validate(frame, NULL, 0, &error) < 0)
		log_warn("bad wakeup from %s: %s", ipc_conn_peer(w->ipc),
			 error);
	else
		qmgr_scan_request(w->q);
	scan_wakeup_free(w);
}

/* scan_wakeup_on_close - the peer went away without a frame */
static void
scan_wakeup_on_close(void *ctx, enum ipc_conn_close_reason reason,
		     const char *error)
{
	(void)reason;
	(void)error;
	scan_wakeup_free(ctx);
}

/* scan_wakeup_on_timeout - a silent peer */
static void
scan_wakeup_on_timeout(void *ctx)
{
	struct scan_wakeup *w = ctx;

	log_warn("wakeup from %s: timed out", ipc_conn_peer(w->ipc));
	scan_wakeup_free(w);
}

/* qmgr_wakeup_accept - one connection on private/qmgr */
void
qmgr_wakeup_accept(struct qmgr *q, int fd)
{
	struct ipc_conn_settings set = { &scan_wakeup_limits, 0, NULL };
	struct scan_wakeup *w;

	if (q->wakeup_conns >= QMGR_WAKEUP_CONN_MAX) {
		/* The scan they ask for is coming anyway. */
		close(fd);
		qmgr_scan_request(q);
		return;
	}
	w = mem_alloc(sizeof(*w));
	w->q = q;
	q->wakeup_conns++;
	w->ipc = ipc_conn_new(q->loop, fd, &set, scan_wakeup_on_frame,
			      scan_wakeup_on_close, w);
	w->timer = event_timer_add(q->loop, QMGR_WAKEUP_TIMEOUT_MS,
				   scan_wakeup_on_timeout, w);
}
