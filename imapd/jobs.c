/*
 * jobs.c - worker jobs, the process's shared mailboxes, and the change
 * notices that wake idling sessions.
 *
 * imapd_job_start        - run work in a worker, then done in the loop
 * imapd_mbox_usable      - may the loop thread touch the mailbox now?
 *                          (else the session waits its turn)
 * imapd_mbox_cancel_wait - forget a session's place in the queue
 * imapd_mbox_get/unref   - the shared mailbox of (Maildir, folder); one
 *                          no session uses lingers IMAPD_MBOX_LINGER_MS
 *                          (at most IMAPD_MBOX_LINGER_MAX of them) before
 *                          it is closed
 * imapd_mbox_open        - open its folder (in a job)
 * imapd_mbox_forget      - a folder was deleted or renamed
 * imapd_mbox_attach/detach - sessions that selected a mailbox
 * imapd_idle_start/stop  - watch the folder for an idling session
 * imapd_notify_init/deinit - the process's inotify descriptor
 *
 * A mailbox (struct imapd_mbox) is shared by every session of the
 * process that selected the same folder: one mailstore handle, one
 * cache. Jobs on it run one at a time in arrival order; while one runs
 * (busy), the loop thread does not touch the folder or the cache, and a
 * generator that needs them queues a turn (a job without work) instead.
 * After each job the idling sessions of the mailbox get their updates.
 *
 * IDLE (RFC 2177): while a session idles, the folder's new/ and cur/ are
 * watched with inotify (one descriptor per process); a change arms a
 * short timer (IMAPD_IDLE_DEBOUNCE_MS, deliveries come in bursts), then
 * one sync job runs and every idler gets its EXISTS/EXPUNGE/FETCH. When
 * inotify cannot be used (no descriptor, watch limit reached) the
 * mailbox is synced every IMAPD_IDLE_POLL_MS while someone idles.
 *
 * Input: inotify events (from the kernel); paths are the users table's
 * Maildir and folder names checked by lib/mailstore_name.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "imapd/cache.h"
#include "imapd/imapd.h"
#include "lib/log.h"
#include "lib/mem.h"

/* inotify events that can change a folder's messages or flags. */
#define IMAPD_WATCH_MASK                                                    \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR |  \
	 IN_DONT_FOLLOW)
/* Read size for inotify events. */
#define IMAPD_NOTIFY_READ 4096

/* A job of the mailbox itself: its idlers' sync, its cache's write. */
struct mbox_job {
	struct imapd_job job;
	struct mailstore_sync_result res;
	char error[MAILSTORE_ERROR_MAX];
};

static void mbox_release(struct imapd_mbox *mbox);
static void linger_end(struct imapd_mbox *mbox);

/* job_work - worker thread: the job's work */
static void
job_work(void *arg)
{
	struct imapd_job *job = arg;

	job->work(job);
}

/* job_done - loop thread: the job's done, then the mailbox's next */
static void
job_done(void *arg)
{
	struct imapd_job *job = arg;
	struct imapd_session *s = job->s;
	struct imapd_mbox *mbox = job->mbox;

	if (s != NULL)
		s->job = NULL;
	/* Either frees the job (done may also start the next one). */
	if (s != NULL && s->peer_gone)
		job->discard(job);
	else
		job->done(job);
	if (mbox != NULL) {
		mbox_release(mbox);
		imapd_mbox_unref(&mbox);
	}
	if (s != NULL)
		imapd_session_resume(s);
}

/* job_submit - hand the job to its pool */
static void
job_submit(struct imapd_job *job)
{
	workpool_submit(job->pool, job_work, job_done, job);
}

/* imapd_job_start - run a job (after the mailbox's earlier ones) */
void
imapd_job_start(struct imapd_session *s, struct imapd_job *job,
		struct imapd_mbox *mbox, struct workpool *pool,
		imapd_job_fn *work, imapd_job_fn *done, imapd_job_fn *discard)
{
	job->s = s;
	job->mbox = mbox;
	job->pool = pool;
	job->work = work;
	job->done = done;
	job->discard = discard;
	job->next = NULL;
	if (s != NULL) {
		MR_ASSERT(s->job == NULL);
		s->job = job;
	}
	if (mbox == NULL) {
		job_submit(job);
		return;
	}
	mbox->refs++;
	if (mbox->busy) {
		if (mbox->queue_tail != NULL)
			mbox->queue_tail->next = job;
		else
			mbox->queue_head = job;
		mbox->queue_tail = job;
		return;
	}
	mbox->busy = true;
	job_submit(job);
}

/* turn_done - a session's turn on the mailbox came: go on */
static void
turn_done(struct imapd_job *job)
{
	struct imapd_session *s = job->s;

	s->mbox_wait = false;
	mem_free(&job);
	imapd_session_resume(s);
}

/* imapd_mbox_usable - true when the loop may use the mailbox now */
bool
imapd_mbox_usable(struct imapd_session *s)
{
	struct imapd_mbox *mbox = s->mbox;
	struct imapd_job *turn;

	if (!mbox->busy)
		return true;
	/* Wait in line behind the jobs queued before us. */
	turn = mem_alloc(sizeof(*turn));
	turn->s = s;
	turn->done = turn_done;
	if (mbox->queue_tail != NULL)
		mbox->queue_tail->next = turn;
	else
		mbox->queue_head = turn;
	mbox->queue_tail = turn;
	s->mbox_wait = true;
	return false;
}

/* imapd_mbox_cancel_wait - drop the session's turn (it is closing) */
void
imapd_mbox_cancel_wait(struct imapd_session *s)
{
	struct imapd_job **pp, *prev = NULL;
	struct imapd_mbox *mbox = s->mbox;

	if (!s->mbox_wait || mbox == NULL)
		return;
	for (pp = &mbox->queue_head; *pp != NULL; pp = &(*pp)->next) {
		struct imapd_job *job = *pp;

		if (job->s == s && job->work == NULL) {
			*pp = job->next;
			if (mbox->queue_tail == job)
				mbox->queue_tail = prev;
			mem_free(&job);
			break;
		}
		prev = job;
	}
	s->mbox_wait = false;
}

/* idle_notify - give every idling session of mbox its updates */
static void
idle_notify(struct imapd_mbox *mbox)
{
	struct imapd_session *s, *next;

	for (s = mbox->selected; s != NULL; s = next) {
		next = s->sel_next;
		if (!s->idling || s->job != NULL || s->mbox_wait)
			continue;
		if (s->view.pending) {
			/* Still sending the last ones: after them. */
			s->idle_recheck = true;
			continue;
		}
		s->idle_recheck = false;
		if (imapd_view_refresh(s) < 0) {
			imapd_session_resume(s);
			continue;
		}
		imapd_updates_start(s, true);
		imapd_session_resume(s);
	}
}

/* mbox_release - a job is over: start the next, notify idlers */
static void
mbox_release(struct imapd_mbox *mbox)
{
	bool notify = mbox->idlers > 0;

	mbox->busy = false;
	if (notify) {
		/* Before anyone else runs: the folder is as the job left
		 * it, and idlers see that state. */
		mbox->refs++;
		idle_notify(mbox);
	}
	while (!mbox->busy && mbox->queue_head != NULL) {
		struct imapd_job *job = mbox->queue_head;

		mbox->queue_head = job->next;
		if (mbox->queue_head == NULL)
			mbox->queue_tail = NULL;
		job->next = NULL;
		if (job->work == NULL) {
			job->done(job);
			continue;
		}
		mbox->busy = true;
		job_submit(job);
	}
	if (notify)
		imapd_mbox_unref(&mbox);
}

/* imapd_mbox_get - the process's mailbox for (maildir, name), ref'd */
struct imapd_mbox *
imapd_mbox_get(struct imapd *im, const char *maildir, const char *name)
{
	struct imapd_mbox *mbox;

	for (mbox = im->mboxes; mbox != NULL; mbox = mbox->next) {
		if (!mbox->stale && !mbox->closing &&
		    strcmp(mbox->maildir, maildir) == 0 &&
		    strcmp(mbox->name, name) == 0) {
			linger_end(mbox);
			mbox->refs++;
			return mbox;
		}
	}
	mbox = mem_alloc(sizeof(*mbox));
	mbox->im = im;
	mbox->refs = 1;
	mbox->maildir = mem_strdup(maildir);
	mbox->name = mem_strdup(name);
	mbox->ms = mailstore_new(maildir);
	mbox->wd[0] = mbox->wd[1] = -1;
	mbox->next = im->mboxes;
	if (im->mboxes != NULL)
		im->mboxes->prev = mbox;
	im->mboxes = mbox;
	return mbox;
}

/* cache_flush_work - worker: write the cache of a closing mailbox */
static void
cache_flush_work(struct imapd_job *j)
{
	struct mbox_job *job = (struct mbox_job *)j;
	const char *error;

	if (imap_cache_write(j->mbox->cache, j->mbox->folder, &error) < 0)
		snprintf(job->error, sizeof(job->error), "%s", error);
}

/* cache_flush_done - loop: the closing mailbox's cache is written */
static void
cache_flush_done(struct imapd_job *j)
{
	struct mbox_job *job = (struct mbox_job *)j;

	if (job->error[0] != '\0')
		log_warn("%s: folder %s: cache: %s", j->mbox->maildir,
			 j->mbox->name, job->error);
	mem_free(&job);
}

/* mbox_close - write the cache if it learnt something, then free */
static void
mbox_close(struct imapd_mbox *mbox)
{
	struct imap_cache *cache;

	MR_ASSERT(mbox->refs == 0 && !mbox->busy &&
		  mbox->queue_head == NULL);
	if (!mbox->flushed && mbox->cache != NULL && mbox->folder != NULL &&
	    imap_cache_is_dirty(mbox->cache)) {
		/* One last job writes what was learnt; it holds the last
		 * reference, and its end comes back here. */
		struct mbox_job *job = mem_alloc(sizeof(*job));

		mbox->flushed = true;
		imapd_job_start(NULL, &job->job, mbox, mbox->im->mail_pool,
				cache_flush_work, cache_flush_done,
				cache_flush_done);
		return;
	}
	event_timer_remove(&mbox->notice);
	event_timer_remove(&mbox->linger);
	if (mbox->prev != NULL)
		mbox->prev->next = mbox->next;
	else if (mbox->im->mboxes == mbox)
		mbox->im->mboxes = mbox->next;
	if (mbox->next != NULL)
		mbox->next->prev = mbox->prev;
	cache = mbox->cache;
	imap_cache_free(&cache);
	mailstore_folder_free(&mbox->folder);
	mailstore_free(&mbox->ms);
	mem_free(&mbox->maildir);
	mem_free(&mbox->name);
	mem_free(&mbox);
}

/* linger_end - stop lingering (taken again, or closing) */
static void
linger_end(struct imapd_mbox *mbox)
{
	if (!mbox->lingering)
		return;
	mbox->lingering = false;
	mbox->im->lingering--;
	if (mbox->linger != NULL)
		event_timer_stop(mbox->linger);
}

/* linger_fire - nobody took the mailbox again: close it */
static void
linger_fire(void *ctx)
{
	struct imapd_mbox *mbox = ctx;

	if (mbox->refs != 0 || !mbox->lingering)
		return;
	linger_end(mbox);
	mbox->closing = true;
	mbox_close(mbox);
}

/* imapd_mbox_unref - drop a reference; the last one lingers or closes */
void
imapd_mbox_unref(struct imapd_mbox **mboxp)
{
	struct imapd_mbox *mbox = *mboxp;

	*mboxp = NULL;
	if (mbox == NULL || --mbox->refs > 0)
		return;
	MR_ASSERT(!mbox->busy && mbox->queue_head == NULL);
	/* A client that logs in again soon (many do, every few minutes)
	 * finds the folder open and synced: no list to parse again. */
	if (!mbox->stale && !mbox->closing && mbox->folder != NULL &&
	    mbox->im->lingering < IMAPD_MBOX_LINGER_MAX) {
		mbox->lingering = true;
		mbox->im->lingering++;
		if (mbox->linger == NULL)
			mbox->linger = event_timer_add(
				server_loop(mbox->im->srv),
				IMAPD_MBOX_LINGER_MS, linger_fire, mbox);
		else
			event_timer_reset(mbox->linger, IMAPD_MBOX_LINGER_MS);
		return;
	}
	mbox->closing = true;
	mbox_close(mbox);
}

/* imapd_mbox_open - open the folder (in a job on the mailbox) */
int
imapd_mbox_open(struct imapd_mbox *mbox, const char **error_r)
{
	if (mbox->folder != NULL)
		return 0;
	if (mailstore_folder_open(mbox->ms, mbox->name, &mbox->folder,
				  error_r) < 0)
		return -1;
	mbox->cache = imap_cache_new();
	return 0;
}

/* imapd_mbox_forget - later selects of this folder open it afresh */
void
imapd_mbox_forget(struct imapd *im, const char *maildir, const char *name)
{
	struct imapd_mbox *mbox, *next;
	size_t len = strlen(name);

	for (mbox = im->mboxes; mbox != NULL; mbox = mbox->next) {
		if (strcmp(mbox->maildir, maildir) != 0)
			continue;
		/* The folder and its children (renamed with it). */
		if (strcmp(mbox->name, name) == 0 ||
		    (strncmp(mbox->name, name, len) == 0 &&
		     mbox->name[len] == '.'))
			mbox->stale = true;
	}
	/* Lingering ones of those go now. */
	for (mbox = im->mboxes; mbox != NULL; mbox = next) {
		next = mbox->next;
		if (mbox->stale && mbox->lingering && mbox->refs == 0) {
			linger_end(mbox);
			mbox->closing = true;
			mbox_close(mbox);
		}
	}
}

/* imapd_mbox_attach - s selected mbox (its reference moves to s) */
void
imapd_mbox_attach(struct imapd_session *s, struct imapd_mbox *mbox)
{
	MR_ASSERT(s->mbox == NULL);
	s->mbox = mbox;
	s->sel_prev = NULL;
	s->sel_next = mbox->selected;
	if (mbox->selected != NULL)
		mbox->selected->sel_prev = s;
	mbox->selected = s;
}

/* imapd_mbox_detach - s leaves its mailbox */
void
imapd_mbox_detach(struct imapd_session *s)
{
	struct imapd_mbox *mbox = s->mbox;

	if (mbox == NULL)
		return;
	if (s->idling)
		imapd_idle_stop(s);
	if (s->sel_prev != NULL)
		s->sel_prev->sel_next = s->sel_next;
	else
		mbox->selected = s->sel_next;
	if (s->sel_next != NULL)
		s->sel_next->sel_prev = s->sel_prev;
	s->sel_next = s->sel_prev = NULL;
	imapd_mbox_unref(&s->mbox);
}

/* sync_work - worker: the mailbox's own sync for its idlers */
static void
sync_work(struct imapd_job *j)
{
	struct mbox_job *job = (struct mbox_job *)j;
	const char *error;

	if (mailstore_sync(j->mbox->folder, MAILSTORE_SYNC_MOVE_NEW,
			   &job->res, &error) < 0)
		snprintf(job->error, sizeof(job->error), "%s", error);
}

/* sync_done - loop: the idlers are told in mbox_release */
static void
sync_done(struct imapd_job *j)
{
	struct mbox_job *job = (struct mbox_job *)j;

	j->mbox->sync_queued = false;
	if (job->res.warning[0] != '\0')
		log_warn("%s", job->res.warning);
	if (job->error[0] != '\0')
		log_warn("%s: folder %s: %s", j->mbox->maildir, j->mbox->name,
			 job->error);
	mem_free(&job);
}

static void notice_fire(void *ctx);

/* notice_fire - sync for the idlers now (debounce or poll timer) */
static void
notice_fire(void *ctx)
{
	struct imapd_mbox *mbox = ctx;
	struct mbox_job *job;

	if (mbox->idlers == 0 || mbox->folder == NULL)
		return;
	if (mbox->wd[0] < 0)
		event_timer_reset(mbox->notice, IMAPD_IDLE_POLL_MS);
	if (mbox->sync_queued)
		return;
	mbox->sync_queued = true;
	job = mem_alloc(sizeof(*job));
	imapd_job_start(NULL, &job->job, mbox, mbox->im->mail_pool, sync_work,
			sync_done, sync_done);
}

/* watch_path - the path of the folder's subdirectory sub */
static int
watch_path(const struct imapd_mbox *mbox, const char *sub, char *out,
	   size_t size)
{
	int n;

	if (strcmp(mbox->name, "INBOX") == 0)
		n = snprintf(out, size, "%s/%s", mbox->maildir, sub);
	else
		n = snprintf(out, size, "%s/.%s/%s", mbox->maildir,
			     mbox->name, sub);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* watch_add - inotify watches on new/ and cur/; -1: poll instead */
static int
watch_add(struct imapd_mbox *mbox)
{
	static const char *const subs[2] = { "new", "cur" };
	char path[USERS_MAILDIR_MAX + MAILSTORE_FOLDER_NAME_MAX + 16];
	int i;

	if (mbox->im->inotify_fd < 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if (watch_path(mbox, subs[i], path, sizeof(path)) < 0 ||
		    (mbox->wd[i] = inotify_add_watch(mbox->im->inotify_fd,
						     path, IMAPD_WATCH_MASK)) <
			    0) {
			if (errno == ENOSPC)
				log_warn("inotify watch limit reached "
					 "(fs.inotify.max_user_watches): "
					 "polling idle mailboxes");
			if (i == 1) {
				inotify_rm_watch(mbox->im->inotify_fd,
						 mbox->wd[0]);
				mbox->wd[0] = -1;
			}
			mbox->wd[1] = -1;
			return -1;
		}
	}
	return 0;
}

/* watch_remove - drop the watches */
static void
watch_remove(struct imapd_mbox *mbox)
{
	int i;

	for (i = 0; i < 2; i++) {
		/* Another mailbox may share a watch descriptor only if it
		 * is the same directory: a stale twin. Keep it then. */
		struct imapd_mbox *other;
		bool shared = false;

		if (mbox->wd[i] < 0)
			continue;
		for (other = mbox->im->mboxes; other != NULL;
		     other = other->next)
			if (other != mbox && (other->wd[0] == mbox->wd[i] ||
					      other->wd[1] == mbox->wd[i]))
				shared = true;
		if (!shared)
			inotify_rm_watch(mbox->im->inotify_fd, mbox->wd[i]);
		mbox->wd[i] = -1;
	}
}

/* imapd_idle_start - the session idles: watch its folder */
void
imapd_idle_start(struct imapd_session *s)
{
	struct imapd_mbox *mbox = s->mbox;

	s->idling = true;
	if (mbox->idlers++ > 0)
		return;
	if (mbox->notice == NULL)
		mbox->notice = event_timer_add(server_loop(mbox->im->srv),
					       IMAPD_IDLE_POLL_MS, notice_fire,
					       mbox);
	if (watch_add(mbox) < 0)
		event_timer_reset(mbox->notice, IMAPD_IDLE_POLL_MS);
	else
		event_timer_stop(mbox->notice);
	/* Changes since the last sync (before the watch existed). */
	notice_fire(mbox);
}

/* imapd_idle_stop - the session stops idling */
void
imapd_idle_stop(struct imapd_session *s)
{
	struct imapd_mbox *mbox = s->mbox;

	if (!s->idling)
		return;
	s->idling = false;
	MR_ASSERT(mbox->idlers > 0);
	if (--mbox->idlers > 0)
		return;
	watch_remove(mbox);
	if (mbox->notice != NULL)
		event_timer_stop(mbox->notice);
}

/* notify_on_io - inotify events: arm the debounce timer of each mailbox */
static void
notify_on_io(void *ctx, int fd, unsigned revents)
{
	struct imapd *im = ctx;
	uint8_t data[IMAPD_NOTIFY_READ]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)revents;
	while ((n = read(fd, data, sizeof(data))) > 0) {
		size_t off = 0;

		/* UNSAFE: events are walked by their own lengths, which
		 * the kernel sets; each is checked against n. */
		while (off + sizeof(struct inotify_event) <= (size_t)n) {
			const struct inotify_event *ev =
				(const struct inotify_event *)(data + off);
			struct imapd_mbox *mbox;

			off += sizeof(*ev) + ev->len;
			for (mbox = im->mboxes; mbox != NULL;
			     mbox = mbox->next) {
				if (mbox->idlers == 0 ||
				    (mbox->wd[0] != ev->wd &&
				     mbox->wd[1] != ev->wd))
					continue;
				if (!event_timer_is_armed(mbox->notice))
					event_timer_reset(
						mbox->notice,
						IMAPD_IDLE_DEBOUNCE_MS);
			}
		}
	}
}

/* imapd_notify_init - the process's inotify descriptor */
void
imapd_notify_init(struct imapd *im)
{
	im->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (im->inotify_fd < 0) {
		log_warn("inotify_init1: %m; idle sessions are polled");
		return;
	}
	im->inotify_io = event_io_add(server_loop(im->srv), im->inotify_fd,
				      EVENT_READ, notify_on_io, im);
}

/* imapd_notify_deinit - close it */
void
imapd_notify_deinit(struct imapd *im)
{
	event_io_remove(&im->inotify_io);
	if (im->inotify_fd >= 0)
		close(im->inotify_fd);
	im->inotify_fd = -1;
}
