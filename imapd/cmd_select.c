/*
 * cmd_select.c - the selected state's life: SELECT and EXAMINE (RFC 3501
 * 6.3.1, 6.3.2), CLOSE (6.4.2), UNSELECT (RFC 3691), EXPUNGE (6.4.3) and
 * UID EXPUNGE (RFC 4315 2.1), NOOP and CHECK (6.1.2, 6.4.1), IDLE (RFC
 * 2177); the sync job the other commands share.
 *
 * cmd_select, cmd_close, cmd_unselect, cmd_expunge, cmd_noop, cmd_idle
 * imapd_idle_line   - the line that ends IDLE
 * imapd_unselect    - leave the mailbox (no expunge)
 * imapd_job_sync    - worker: sync the selected folder
 * imapd_job_refresh - loop: take a sync's result into the view
 *
 * Every command on the selected mailbox starts with a sync in its job,
 * so new mail, expunges and flag changes by others are announced before
 * its tagged line ("at the next command"). Runs as the mail owner on the
 * user's Maildir.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "imapd/cache.h"
#include "imapd/imapd.h"
#include "lib/log.h"
#include "lib/mem.h"

struct sel_job {
	struct imapd_job job;
	struct mailstore_sync_result res;
	char error[MAILSTORE_ERROR_MAX];
	int rc;
	char cache_warning[MAILSTORE_ERROR_MAX];
	/* EXPUNGE, CLOSE */
	struct imap_seqset set;
	bool has_set;
	size_t expunged, failed;
};

/* sel_job_free - release a job of this file */
static void
sel_job_free(struct imapd_job *j)
{
	struct sel_job *job = (struct sel_job *)j;

	imap_seqset_deinit(&job->set);
	mem_free(&job);
}

/* imapd_job_sync - worker: bring the selected folder up to date */
int
imapd_job_sync(struct imapd_job *job, struct mailstore_sync_result *res,
	       char *error, size_t size)
{
	const char *e;

	if (imapd_mbox_open(job->mbox, &e) < 0 ||
	    mailstore_sync(job->mbox->folder, MAILSTORE_SYNC_MOVE_NEW, res,
			   &e) < 0) {
		snprintf(error, size, "%s", e);
		return -1;
	}
	return 0;
}

/* imapd_job_refresh - loop: a sync's result into the view */
bool
imapd_job_refresh(struct imapd_session *s,
		  const struct mailstore_sync_result *res, const char *error,
		  int rc)
{
	struct stat st;

	if (res->warning[0] != '\0')
		log_warn("%s", res->warning);
	if (rc < 0 && s->mbox->folder != NULL &&
	    fstat(mailstore_folder_fd(s->mbox->folder,
				      MAILSTORE_SUBDIR_FOLDER),
		  &st) == 0 &&
	    st.st_nlink == 0) {
		/* DELETE by another session: nothing more to do here. */
		imapd_untagged(s, "BYE Mailbox was deleted.");
		imapd_session_close(s, "Mailbox deleted");
		return false;
	}
	if (rc < 0) {
		log_warn("imap(%s): %s", s->user, error);
		imapd_tagged(s, "NO", "[UNAVAILABLE] Internal error, try "
				      "again later.");
		return false;
	}
	return imapd_view_refresh(s) == 0;
}

/* imapd_unselect - leave the selected mailbox */
void
imapd_unselect(struct imapd_session *s)
{
	imapd_mbox_detach(s);
	imapd_view_deinit(&s->view);
	if (s->state == IMAPD_STATE_SELECTED)
		s->state = IMAPD_STATE_AUTH;
}

/* select_work - worker: open, sync, load the cache's index */
static void
select_work(struct imapd_job *j)
{
	struct sel_job *job = (struct sel_job *)j;

	job->rc = imapd_job_sync(j, &job->res, job->error,
				 sizeof(job->error));
	if (job->rc == 0)
		imap_cache_load(j->mbox->cache, j->mbox->folder,
				job->cache_warning,
				sizeof(job->cache_warning));
}

/* first_unseen - sequence number of the first message without \Seen */
static size_t
first_unseen(const struct imapd_view *v)
{
	size_t i;

	for (i = 0; i < v->count; i++)
		if (!(v->msgs[i].flags & IMAP_FLAG_SEEN))
			return i + 1;
	return 0;
}

/* select_done - loop: answer SELECT/EXAMINE */
static void
select_done(struct imapd_job *j)
{
	struct sel_job *job = (struct sel_job *)j;
	struct imapd_session *s = j->s;
	struct mailstore_folder *f;
	size_t unseen;

	if (job->res.warning[0] != '\0')
		log_warn("%s", job->res.warning);
	if (job->cache_warning[0] != '\0')
		log_warn("%s: %s", s->maildir, job->cache_warning);
	if (job->rc < 0) {
		bool missing = strcmp(job->error, "no such folder") == 0;

		if (!missing)
			log_warn("imap(%s): %s", s->user, job->error);
		imapd_unselect(s);
		if (missing)
			imapd_tagged(s, "NO", "[NONEXISTENT] Mailbox doesn't "
					      "exist.");
		else
			imapd_tagged(s, "NO", "[UNAVAILABLE] Internal error, "
					      "try again later.");
		sel_job_free(j);
		return;
	}
	f = s->mbox->folder;
	imapd_view_init(s);
	s->state = IMAPD_STATE_SELECTED;
	imapd_view_flags_line(s);
	imapd_untagged(s, "%zu EXISTS", s->view.count);
	imapd_untagged(s, "%zu RECENT", s->view.recent);
	unseen = first_unseen(&s->view);
	if (unseen > 0)
		imapd_untagged(s, "OK [UNSEEN %zu] First unseen.", unseen);
	imapd_untagged(s, "OK [UIDVALIDITY %u] UIDs valid",
		       (unsigned)mailstore_uidvalidity(f));
	imapd_untagged(s, "OK [UIDNEXT %u] Predicted next UID",
		       (unsigned)mailstore_uidnext(f));
	imapd_tagged(s, "OK", "[%s] %s completed.",
		     s->readonly ? "READ-ONLY" : "READ-WRITE",
		     s->readonly ? "Examine" : "Select");
	sel_job_free(j);
}

/* cmd_select - SELECT/EXAMINE mailbox */
void
cmd_select(struct imapd_session *s, const struct imap_command *cmd)
{
	struct sel_job *job;
	char *name;

	if (cmd->arg_count != 1) {
		imapd_bad(s, "%s needs one mailbox name.", s->cmd_name);
		return;
	}
	if (imapd_mailbox_arg(s, cmd->args, &name) < 0)
		return;
	/* RFC 3501 6.3.1: a failed SELECT leaves no mailbox selected. */
	imapd_unselect(s);
	s->readonly = strcmp(s->cmd_name, "EXAMINE") == 0;
	imapd_mbox_attach(s, imapd_mbox_get(s->im, s->maildir, name));
	mem_free(&name);
	job = mem_alloc(sizeof(*job));
	imapd_job_start(s, &job->job, s->mbox, s->im->mail_pool, select_work,
			select_done, sel_job_free);
}

/* expunge_work - worker: sync, remove \Deleted messages, sync again */
static void
expunge_work(struct imapd_job *j)
{
	struct sel_job *job = (struct sel_job *)j;
	struct mailstore_folder *f;
	const char *error;
	size_t i, n;

	if ((job->rc = imapd_job_sync(j, &job->res, job->error,
				      sizeof(job->error))) < 0)
		return;
	f = j->mbox->folder;
	n = mailstore_count(f);
	for (i = 0; i < n; i++) {
		struct mailstore_msg *m = mailstore_msg(f, i);

		if (!(m->flags & MAILSTORE_FLAG_TRASHED) || m->expunged ||
		    (job->has_set && !imap_seqset_contains(&job->set, m->uid)))
			continue;
		if (mailstore_msg_expunge(f, i, &error) < 0) {
			job->failed++;
			snprintf(job->error, sizeof(job->error), "%s", error);
		} else {
			job->expunged++;
		}
	}
	if (job->expunged > 0 &&
	    mailstore_sync(f, MAILSTORE_SYNC_MOVE_NEW, &job->res, &error) < 0) {
		job->rc = -1;
		snprintf(job->error, sizeof(job->error), "%s", error);
	}
}

/* expunge_done - loop: EXPUNGE responses, then OK */
static void
expunge_done(struct imapd_job *j)
{
	struct sel_job *job = (struct sel_job *)j;
	struct imapd_session *s = j->s;

	if (job->failed > 0)
		log_warn("imap(%s): %zu messages not expunged: %s", s->user,
			 job->failed, job->error);
	if (imapd_job_refresh(s, &job->res, job->error, job->rc)) {
		imapd_updates_start(s, true);
		if (job->failed > 0)
			imapd_finish(s, "NO", "[UNAVAILABLE] Some messages "
					      "could not be expunged.");
		else
			imapd_finish(s, "OK", "Expunge completed.");
	}
	sel_job_free(j);
}

/* cmd_expunge - EXPUNGE, UID EXPUNGE set */
void
cmd_expunge(struct imapd_session *s, const struct imap_command *cmd)
{
	struct sel_job *job;

	if (cmd->arg_count != (s->cmd_uid ? 1u : 0u)) {
		imapd_bad(s, "Invalid EXPUNGE arguments.");
		return;
	}
	if (s->readonly) {
		imapd_tagged(s, "NO", "[READ-ONLY] Mailbox is read-only.");
		return;
	}
	job = mem_alloc(sizeof(*job));
	if (s->cmd_uid) {
		if (imapd_seqset_arg(s, cmd->args, true, &job->set) < 0) {
			mem_free(&job);
			return;
		}
		imapd_seqset_resolve_view(s, &job->set, true);
		job->has_set = true;
	}
	imapd_job_start(s, &job->job, s->mbox, s->im->mail_pool, expunge_work,
			expunge_done, sel_job_free);
}

/* close_done - loop: CLOSE is silent; leave the mailbox */
static void
close_done(struct imapd_job *j)
{
	struct sel_job *job = (struct sel_job *)j;
	struct imapd_session *s = j->s;

	if (job->res.warning[0] != '\0')
		log_warn("%s", job->res.warning);
	if (job->rc < 0 || job->failed > 0)
		log_warn("imap(%s): CLOSE: %s", s->user, job->error);
	imapd_unselect(s);
	imapd_tagged(s, "OK", "Close completed.");
	sel_job_free(j);
}

/* cmd_close - CLOSE: expunge silently (read-write), then unselect */
void
cmd_close(struct imapd_session *s, const struct imap_command *cmd)
{
	struct sel_job *job;

	if (cmd->arg_count != 0) {
		imapd_bad(s, "CLOSE takes no arguments.");
		return;
	}
	if (s->readonly) {
		imapd_unselect(s);
		imapd_tagged(s, "OK", "Close completed.");
		return;
	}
	job = mem_alloc(sizeof(*job));
	imapd_job_start(s, &job->job, s->mbox, s->im->mail_pool, expunge_work,
			close_done, sel_job_free);
}

/* cmd_unselect - UNSELECT: leave without expunging */
void
cmd_unselect(struct imapd_session *s, const struct imap_command *cmd)
{
	if (cmd->arg_count != 0) {
		imapd_bad(s, "UNSELECT takes no arguments.");
		return;
	}
	imapd_unselect(s);
	imapd_tagged(s, "OK", "Unselect completed.");
}

/* noop_work - worker: the sync */
static void
noop_work(struct imapd_job *j)
{
	struct sel_job *job = (struct sel_job *)j;

	job->rc = imapd_job_sync(j, &job->res, job->error,
				 sizeof(job->error));
}

/* noop_done - loop: the updates, then OK */
static void
noop_done(struct imapd_job *j)
{
	struct sel_job *job = (struct sel_job *)j;
	struct imapd_session *s = j->s;

	if (imapd_job_refresh(s, &job->res, job->error, job->rc)) {
		imapd_updates_start(s, true);
		imapd_finish(s, "OK", "%s completed.",
			     strcmp(s->cmd_name, "CHECK") == 0 ? "Check"
							       : "NOOP");
	}
	sel_job_free(j);
}

/* cmd_noop - NOOP (any state), CHECK (selected) */
void
cmd_noop(struct imapd_session *s, const struct imap_command *cmd)
{
	struct sel_job *job;

	if (cmd->arg_count != 0) {
		imapd_bad(s, "%s takes no arguments.", s->cmd_name);
		return;
	}
	if (s->state != IMAPD_STATE_SELECTED) {
		imapd_tagged(s, "OK", "NOOP completed.");
		return;
	}
	job = mem_alloc(sizeof(*job));
	imapd_job_start(s, &job->job, s->mbox, s->im->mail_pool, noop_work,
			noop_done, sel_job_free);
}

/* cmd_idle - IDLE: "+ idling", then updates as they happen */
void
cmd_idle(struct imapd_session *s, const struct imap_command *cmd)
{
	if (cmd->arg_count != 0) {
		imapd_bad(s, "IDLE takes no arguments.");
		return;
	}
	imapd_printf(s, "+ idling");
	s->input = IMAPD_INPUT_IDLE;
	if (s->state == IMAPD_STATE_SELECTED)
		imapd_idle_start(s);
}

/* imapd_idle_line - the client's line during IDLE */
void
imapd_idle_line(struct imapd_session *s, const uint8_t *line, size_t len)
{
	s->input = IMAPD_INPUT_COMMAND;
	if (s->mbox != NULL)
		imapd_idle_stop(s);
	/* Pending updates go out before the tagged line. */
	if (len == 4 && strncasecmp((const char *)line, "DONE", 4) == 0) {
		imapd_finish(s, "OK", "Idle completed.");
		return;
	}
	s->bad_commands++;
	imapd_finish(s, "BAD", "Expected DONE.");
}
