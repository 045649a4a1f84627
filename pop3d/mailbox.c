/*
 * mailbox.c - logins and the mailbox of a POP3 session: the worker jobs.
 *
 * pop3d_login_start   - check a password (auth worker), then lock, open
 *                       and sync the Maildir (mailbox worker)
 * pop3d_update_start  - QUIT in TRANSACTION: remove the messages marked
 *                       deleted (RFC 1939 6), in a mailbox worker
 * pop3d_mailbox_close - unlock and forget the mailbox (a dropped
 *                       connection deletes nothing)
 * pop3d_msg_is_valid, pop3d_uidl_format
 *
 * SECURITY: a wrong password and an unknown user cost the same hashing
 * (users_verify; lib/login_cache skips it only for a password that logged
 * in recently) and get the same answer after the same per-address delay
 * (lib/login_delay). The password is copied once into the job and wiped
 * when the job is done.
 *
 * One session per mailbox: an OFD lock on POP3D_LOCK_FILE in the Maildir,
 * held from login to the end of the session, excludes a second session in
 * this or any other pop3d process ([IN-USE], RFC 2449 8.1.2). The message
 * list is fixed at login: mail that arrives later waits for the next
 * session.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "pop3d/pop3d.h"

struct pop3d_job {
	struct pop3d_session *s;
	struct pop3d *pd;
	char *user;		/* as the client gave it */
	char *password;		/* wiped in job_free */
	const char *method;
	int auth_rc;		/* users_verify, then users_lookup */
	struct users_entry entry;
	char error[MAILSTORE_ERROR_MAX];
	/* The mailbox, opened by the mailbox worker. */
	struct mailstore *ms;
	struct mailstore_folder *folder;
	int lock_fd;
	int mailbox_rc;		/* 1 open, 0 in use, -1 error */
	struct mailstore_sync_result res;
	/* UPDATE */
	size_t expunged, failed;
};

/* job_free - release a job and whatever it still holds */
static void
job_free(struct pop3d_job **jobp)
{
	struct pop3d_job *job = *jobp;

	if (job->password != NULL) {
		explicit_bzero(job->password, strlen(job->password));
		mem_free(&job->password);
	}
	mem_free(&job->user);
	explicit_bzero(&job->entry, sizeof(job->entry));
	mailstore_folder_free(&job->folder);
	mailstore_free(&job->ms);
	if (job->lock_fd >= 0)
		close(job->lock_fd);
	mem_free(jobp);
}

/* job_error - copy an error text into the job (in a worker) */
static void
job_error(struct pop3d_job *job, const char *error)
{
	snprintf(job->error, sizeof(job->error), "%s", error);
}

/*
 * auth_work - auth worker: the password check and the user's Maildir.
 * XXX: on their error paths (a damaged users table, a Berkeley DB error)
 * lib/users and lib/dict format texts with log_safe_str and may log, from
 * this thread. That is memory-safe (log lines are built on the stack,
 * log_safe's slot index is taken modulo its size) but a text may come out
 * garbled if the loop thread logs at the same moment. Remove when lib/log
 * gets per-thread log_safe slots.
 */
static void
auth_work(void *arg)
{
	struct pop3d_job *job = arg;
	const char *error;

	/* A password that logged in recently skips the hash. */
	job->auth_rc = login_cache_verify(job->pd->login_cache,
					  job->pd->users, job->user,
					  job->password, &job->entry, &error);
	if (job->auth_rc < 0)
		job_error(job, error);
}

/* mailbox_work - mailbox worker: lock, open and sync the INBOX */
static void
mailbox_work(void *arg)
{
	struct pop3d_job *job = arg;
	const char *error;

	job->ms = mailstore_new(job->entry.maildir);
	job->mailbox_rc = mailstore_session_lock(job->ms, POP3D_LOCK_FILE,
						 &job->lock_fd, &error);
	if (job->mailbox_rc == 1 &&
	    (mailstore_folder_open(job->ms, "INBOX", &job->folder, &error) <
		     0 ||
	     mailstore_sync(job->folder, 0, &job->res, &error) < 0))
		job->mailbox_rc = -1;
	if (job->mailbox_rc < 0)
		job_error(job, error);
}

/* on_delay - a failed login's delay is over: answer it */
static void
on_delay(void *ctx)
{
	struct pop3d_session *s = ctx;

	event_timer_remove(&s->delay);
	s->state = POP3D_STATE_AUTH;
	pop3d_reply(s, "-ERR [AUTH] Authentication failed.");
	if (s->auth_failures >= POP3D_AUTH_FAILURES_MAX)
		pop3d_session_close_after_reply(s,
						"Too many failed logins");
	pop3d_session_resume(s);
}

/* mailbox_done - loop thread: the mailbox is open (or not) */
static void
mailbox_done(void *arg)
{
	struct pop3d_job *job = arg;
	struct pop3d_session *s = job->s;

	s->job = NULL;
	if (s->peer_gone) {
		job_free(&job);
		pop3d_session_resume(s);
		return;
	}
	s->state = POP3D_STATE_AUTH;
	if (job->res.warning[0] != '\0')
		log_warn("%s", job->res.warning);
	if (job->mailbox_rc == 0) {
		log_info("pop3(%s): mailbox in use, rip=%s", job->entry.name,
			 s->addr);
		pop3d_reply(s, "-ERR [IN-USE] Mailbox is locked by another "
			       "POP3 session.");
	} else if (job->mailbox_rc < 0) {
		log_warn("pop3(%s): %s", job->entry.name, job->error);
		pop3d_reply(s, "-ERR [SYS/TEMP] Cannot open the mailbox, try "
			       "again later.");
	} else {
		char security[POP3D_SECURITY_MAX];
		size_t i;

		s->ms = job->ms;
		s->folder = job->folder;
		s->lock_fd = job->lock_fd;
		job->ms = NULL;
		job->folder = NULL;
		job->lock_fd = -1;
		s->msg_count = mailstore_count(s->folder);
		s->deleted = mem_alloc_array(s->msg_count > 0 ? s->msg_count
							      : 1,
					     sizeof(*s->deleted));
		for (i = 0; i < s->msg_count; i++)
			s->total_vsize += mailstore_msg(s->folder, i)->vsize;
		mem_free(&s->user);
		s->user = mem_strdup(job->entry.name);
		s->logged_in = true;
		s->state = POP3D_STATE_TRANSACTION;
		pop3d_session_security(s, security, sizeof(security));
		log_info("Login: user=<%s>, method=%s, rip=%s, lip=%s%s",
			 s->user, s->method, s->addr, s->local_addr, security);
		pop3d_reply(s, "+OK Logged in.");
	}
	job_free(&job);
	pop3d_session_resume(s);
}

/* auth_done - loop thread: the password check is over */
static void
auth_done(void *arg)
{
	struct pop3d_job *job = arg;
	struct pop3d_session *s = job->s;
	struct pop3d *pd = job->pd;
	uint64_t delay_ms;

	explicit_bzero(job->password, strlen(job->password));
	if (s->peer_gone) {
		s->job = NULL;
		job_free(&job);
		pop3d_session_resume(s);
		return;
	}
	if (job->auth_rc == 1) {
		/* Same job, next worker: open the mailbox. */
		workpool_submit(pd->mailbox_pool, mailbox_work, mailbox_done,
				job);
		return;
	}
	s->job = NULL;
	if (job->auth_rc < 0) {
		log_warn("login of %s from %s: %s", log_safe_str(job->user),
			 s->addr, job->error);
		s->state = POP3D_STATE_AUTH;
		pop3d_reply(s, "-ERR [SYS/TEMP] Temporary authentication "
			       "failure, try again later.");
		job_free(&job);
		pop3d_session_resume(s);
		return;
	}
	s->auth_failures++;
	delay_ms = login_delay_failed(pd->delays, s->addr,
				      event_now_ms(server_loop(pd->srv)));
	log_info("authentication failed: user=<%s>, method=%s, rip=%s, "
		 "delay=%llums",
		 log_safe_str(job->user), job->method, s->addr,
		 (unsigned long long)delay_ms);
	job_free(&job);
	/* SECURITY: the same delay whatever failed, before the answer. */
	s->delay = event_timer_add(server_loop(pd->srv), delay_ms, on_delay,
				   s);
}

/* pop3d_login_start - check user and password off the loop */
void
pop3d_login_start(struct pop3d_session *s, const char *user,
		  const char *password, const char *method)
{
	struct pop3d_job *job = mem_alloc(sizeof(*job));

	MR_ASSERT(s->job == NULL);
	job->s = s;
	job->pd = s->pd;
	job->user = mem_strdup(user);
	job->password = mem_strdup(password);
	job->method = method;
	job->lock_fd = -1;
	s->method = method;
	s->job = job;
	s->state = POP3D_STATE_BUSY;
	workpool_submit(s->pd->auth_pool, auth_work, auth_done, job);
}

/* update_work - mailbox worker: remove the marked messages */
static void
update_work(void *arg)
{
	struct pop3d_job *job = arg;
	struct pop3d_session *s = job->s;
	const char *error = NULL;
	size_t i;

	for (i = 0; i < s->msg_count; i++) {
		if (!s->deleted[i])
			continue;
		if (mailstore_msg_expunge(s->folder, i, &error) < 0) {
			job->failed++;
			job_error(job, error);
		} else {
			job->expunged++;
		}
	}
	/* Write the UID list without them now, not at the next login. */
	if (mailstore_sync(s->folder, 0, &job->res, &error) < 0)
		job_error(job, error);
}

/* update_done - loop thread: UPDATE is over */
static void
update_done(void *arg)
{
	struct pop3d_job *job = arg;
	struct pop3d_session *s = job->s;

	s->job = NULL;
	s->removed_count = job->expunged;
	if (job->res.warning[0] != '\0')
		log_warn("%s", job->res.warning);
	if (job->failed > 0) {
		log_warn("pop3(%s): %zu deleted messages not removed: %s",
			 s->user, job->failed, job->error);
		pop3d_reply(s, "-ERR [SYS/TEMP] Some deleted messages were "
			       "not removed.");
	} else {
		if (job->error[0] != '\0')
			log_warn("pop3(%s): %s", s->user, job->error);
		pop3d_reply(s, "+OK Logging out, messages deleted.");
	}
	pop3d_session_close_after_reply(s, "Logged out");
	job_free(&job);
	pop3d_session_resume(s);
}

/* pop3d_update_start - the UPDATE state */
void
pop3d_update_start(struct pop3d_session *s)
{
	struct pop3d_job *job;

	if (s->deleted_count == 0) {
		pop3d_reply(s, "+OK Logging out.");
		pop3d_session_close_after_reply(s, "Logged out");
		return;
	}
	job = mem_alloc(sizeof(*job));
	job->s = s;
	job->pd = s->pd;
	job->lock_fd = -1;
	s->job = job;
	s->state = POP3D_STATE_BUSY;
	workpool_submit(s->pd->mailbox_pool, update_work, update_done, job);
}

/* pop3d_mailbox_close - unlock and release the mailbox */
void
pop3d_mailbox_close(struct pop3d_session *s)
{
	mailstore_folder_free(&s->folder);
	mailstore_free(&s->ms);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	s->lock_fd = -1;
	mem_free(&s->deleted);
}

/* pop3d_msg_is_valid - n names a message not deleted; else -ERR sent */
bool
pop3d_msg_is_valid(struct pop3d_session *s, uint32_t n)
{
	if (n == 0 || n > s->msg_count) {
		pop3d_reply(s, "-ERR There's no message %lu.",
			    (unsigned long)n);
		return false;
	}
	if (s->deleted[n - 1]) {
		pop3d_reply(s, "-ERR Message is deleted.");
		return false;
	}
	return true;
}

/*
 * pop3d_uidl_format - message i's unique-id: its UID and the folder's
 * UIDVALIDITY in hexadecimal, as Dovecot's default pop3_uidl_format
 * (%08Xu%08Xv), so imapd and pop3d agree and it survives sessions
 */
void
pop3d_uidl_format(struct pop3d_session *s, size_t i, char *out, size_t size)
{
	snprintf(out, size, "%08X%08X",
		 (unsigned)mailstore_msg(s->folder, i)->uid,
		 (unsigned)mailstore_uidvalidity(s->folder));
}
