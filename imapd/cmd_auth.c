/*
 * cmd_auth.c - the not-authenticated state: LOGIN (RFC 3501 6.2.3),
 * AUTHENTICATE PLAIN (RFC 3501 6.2.2, RFC 4616) with SASL-IR (RFC 4959),
 * STARTTLS (RFC 3501 6.2.1), and the login jobs.
 *
 * A login is two jobs: the password check in the auth worker (the only
 * user of the users table handle and of the login cache, lib/login_cache:
 * crypt costs tens of milliseconds, so a password that logged in
 * recently is not hashed again), then
 * the user's Maildir in a mail worker (the special-use folders and the
 * subscriptions file at the first login, RFC 6154).
 *
 * SECURITY: names and passwords come from an unauthenticated client.
 * Passwords are never logged, are copied once into the job and wiped
 * there and on the stack. A wrong password and an unknown user cost the
 * same hashing (users_verify) and get the same answer after the same
 * per-address delay (lib/login_delay). With disable_plaintext_auth (the
 * default) a password is taken only over TLS or from loopback, and the
 * greeting says LOGINDISABLED otherwise. Names are logged through
 * log_safe only.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "imapd/imapd.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/sasl_plain.h"

/* Dovecot's wording, which clients and users recognise. */
#define PLAINTEXT_REFUSED                                                   \
	"[PRIVACYREQUIRED] Plaintext authentication disallowed on "         \
	"non-secure (SSL/TLS) connections."

struct login_job {
	struct imapd_job job;
	char *user;			/* as the client gave it */
	char *password;			/* wiped in login_job_free */
	const char *method;
	int auth_rc;			/* users_verify, then users_lookup */
	struct users_entry entry;
	int mail_rc;
	char error[MAILSTORE_ERROR_MAX];
};

/* login_job_free - release the job, wiping what it held */
static void
login_job_free(struct imapd_job *j)
{
	struct login_job *job = (struct login_job *)j;

	if (job->password != NULL) {
		explicit_bzero(job->password, strlen(job->password));
		mem_free(&job->password);
	}
	mem_free(&job->user);
	explicit_bzero(&job->entry, sizeof(job->entry));
	mem_free(&job);
}

/*
 * auth_work - auth worker: the password check and the user's Maildir.
 * XXX: lib/users and lib/dict may log on their error paths from this
 * thread (see pop3d/mailbox.c); remove when lib/log gets per-thread
 * log_safe slots.
 */
static void
auth_work(struct imapd_job *j)
{
	struct login_job *job = (struct login_job *)j;
	struct imapd *im = j->s->im;
	const char *error;

	job->auth_rc = login_cache_verify(im->login_cache, im->users,
					  job->user, job->password,
					  &job->entry, &error);
	if (job->auth_rc < 0)
		snprintf(job->error, sizeof(job->error), "%s", error);
}

/* mail_work - mail worker: the Maildir is there; first-login folders */
static void
mail_work(struct imapd_job *j)
{
	struct login_job *job = (struct login_job *)j;
	const char *error;

	job->mail_rc = imapd_first_login(job->entry.maildir, &error,
					 job->error, sizeof(job->error));
}

/* mail_done - loop thread: logged in (or the Maildir is unusable) */
static void
mail_done(struct imapd_job *j)
{
	struct login_job *job = (struct login_job *)j;
	struct imapd_session *s = j->s;
	struct buf caps;

	if (job->mail_rc < 0) {
		log_warn("imap(%s): %s", job->entry.name, job->error);
		imapd_tagged(s, "NO",
			     "[UNAVAILABLE] Cannot open the mailbox, try "
			     "again later.");
		login_job_free(j);
		return;
	}
	mem_free(&s->user);
	s->user = mem_strdup(job->entry.name);
	s->maildir = mem_strdup(job->entry.maildir);
	s->state = IMAPD_STATE_AUTH;
	log_info("Login: user=<%s>, method=%s, rip=%s, lip=%s%s", s->user,
		 job->method, s->addr, s->local_addr,
		 stream_is_tls(&s->st) ? ", TLS" : "");
	buf_init(&caps, IMAPD_LINE_MAX);
	imapd_capability_string(s, &caps);
	imapd_tagged(s, "OK", "[CAPABILITY %s] Logged in", buf_cstr(&caps));
	buf_deinit(&caps);
	login_job_free(j);
}

/* on_delay - a failed login's delay is over: answer it */
static void
on_delay(void *ctx)
{
	struct imapd_session *s = ctx;

	event_timer_remove(&s->delay);
	imapd_tagged(s, "NO", "[AUTHENTICATIONFAILED] Authentication failed.");
	if (s->auth_failures >= IMAPD_AUTH_FAILURES_MAX) {
		imapd_untagged(s, "BYE Too many invalid login attempts.");
		imapd_session_close(s, "Too many failed logins");
	}
	imapd_session_resume(s);
}

/* auth_done - loop thread: the password check is over */
static void
auth_done(struct imapd_job *j)
{
	struct login_job *job = (struct login_job *)j;
	struct imapd_session *s = j->s;
	struct imapd *im = s->im;
	uint64_t delay_ms;

	explicit_bzero(job->password, strlen(job->password));
	if (job->auth_rc == 1) {
		/* Next: the Maildir, in a mail worker. */
		imapd_job_start(s, j, NULL, im->mail_pool, mail_work,
				mail_done, login_job_free);
		return;
	}
	if (job->auth_rc < 0) {
		log_warn("login of %s from %s: %s", log_safe_str(job->user),
			 s->addr, job->error);
		imapd_tagged(s, "NO",
			     "[UNAVAILABLE] Temporary authentication failure, "
			     "try again later.");
		login_job_free(j);
		return;
	}
	s->auth_failures++;
	delay_ms = login_delay_failed(im->delays, s->addr,
				      event_now_ms(server_loop(im->srv)));
	log_info("authentication failed: user=<%s>, method=%s, rip=%s, "
		 "delay=%llums",
		 log_safe_str(job->user), job->method, s->addr,
		 (unsigned long long)delay_ms);
	login_job_free(j);
	/* SECURITY: the same delay whatever failed, before the answer. */
	s->delay = event_timer_add(server_loop(im->srv), delay_ms, on_delay, s);
}

/* login_start - check user and password off the loop */
static void
login_start(struct imapd_session *s, const char *user, const char *password,
	    const char *method)
{
	struct login_job *job = mem_alloc(sizeof(*job));

	job->user = mem_strdup(user);
	job->password = mem_strdup(password);
	job->method = method;
	mem_free(&s->user);
	s->user = mem_strdup(user);
	imapd_job_start(s, &job->job, NULL, s->im->auth_pool, auth_work,
			auth_done, login_job_free);
}

/* cmd_login - LOGIN userid password */
void
cmd_login(struct imapd_session *s, const struct imap_command *cmd)
{
	const char *user, *password;
	size_t ulen, plen;

	if (cmd->arg_count != 2 ||
	    !imap_arg_astring(&cmd->args[0], &user, &ulen) ||
	    !imap_arg_astring(imap_arg_next(&cmd->args[0]), &password,
			      &plen)) {
		imapd_bad(s, "LOGIN needs a user name and a password.");
		return;
	}
	if (!imapd_plaintext_allowed(s)) {
		s->bad_commands++;
		imapd_tagged(s, "NO", PLAINTEXT_REFUSED);
		return;
	}
	/* A NUL inside would cut the name: refuse what the table never
	 * holds anyway. */
	if (strlen(user) != ulen || strlen(password) != plen || ulen == 0 ||
	    ulen > USERS_NAME_MAX || plen > USERS_PASSWORD_MAX) {
		login_start(s, "", "", "LOGIN");
		return;
	}
	login_start(s, user, password, "LOGIN");
}

/* sasl_plain_login - decode a PLAIN response and log in with it */
static void
sasl_plain_login(struct imapd_session *s, const char *b64, size_t len)
{
	struct sasl_plain sp;
	const char *error;

	/* RFC 4959 3: "=" is an empty initial response. */
	if (len == 1 && b64[0] == '=')
		len = 0;
	if (sasl_plain_decode(b64, len, &sp, &error) < 0) {
		explicit_bzero(&sp, sizeof(sp));
		imapd_bad(s, "Invalid AUTHENTICATE PLAIN response (%s).",
			  error);
		return;
	}
	/* No proxy logins: the password check fails. */
	if (sasl_plain_is_proxy(&sp))
		login_start(s, sp.authcid, "", "PLAIN");
	else
		login_start(s, sp.authcid, sp.passwd, "PLAIN");
	explicit_bzero(&sp, sizeof(sp));
}

/* cmd_authenticate - AUTHENTICATE mechanism [initial-response] */
void
cmd_authenticate(struct imapd_session *s, const struct imap_command *cmd)
{
	const struct imap_arg *a = cmd->args;
	const char *ir;
	size_t len;

	if (cmd->arg_count < 1 || cmd->arg_count > 2 ||
	    a->type != IMAP_ARG_ATOM) {
		imapd_bad(s, "AUTHENTICATE needs a mechanism.");
		return;
	}
	if (strcasecmp(a->str, "PLAIN") != 0) {
		s->bad_commands++;
		imapd_tagged(s, "NO", "Unsupported authentication mechanism.");
		return;
	}
	if (!imapd_plaintext_allowed(s)) {
		s->bad_commands++;
		imapd_tagged(s, "NO", PLAINTEXT_REFUSED);
		return;
	}
	if (cmd->arg_count == 2) {
		if (!imap_arg_astring(imap_arg_next(a), &ir, &len)) {
			imapd_bad(s, "Invalid initial response.");
			return;
		}
		sasl_plain_login(s, ir, len);
		return;
	}
	s->input = IMAPD_INPUT_SASL;
	imapd_printf(s, "+ ");
}

/* imapd_sasl_line - the client's line after "+ " */
void
imapd_sasl_line(struct imapd_session *s, const uint8_t *line, size_t len)
{
	char b64[SASL_PLAIN_B64_MAX + 1];

	if (len == 1 && line[0] == '*') {
		/* RFC 3501 6.2.2: a cancelled exchange gets BAD. */
		imapd_tagged(s, "BAD", "Authentication aborted by client.");
		return;
	}
	if (len > SASL_PLAIN_B64_MAX) {
		imapd_bad(s, "Authentication response too long.");
		return;
	}
	memcpy(b64, line, len);
	b64[len] = '\0';
	sasl_plain_login(s, b64, len);
	explicit_bzero(b64, sizeof(b64));
}

/* cmd_starttls - STARTTLS */
void
cmd_starttls(struct imapd_session *s, const struct imap_command *cmd)
{
	if (cmd->arg_count != 0) {
		imapd_bad(s, "STARTTLS takes no arguments.");
		return;
	}
	if (s->im->tls == NULL) {
		imapd_bad(s, "TLS support isn't enabled.");
		return;
	}
	if (stream_is_tls(&s->st)) {
		imapd_bad(s, "TLS is already active.");
		return;
	}
	imapd_tagged(s, "OK", "Begin TLS negotiation now.");
	imapd_starttls_begin(s);
}
