/*
 * cmd_auth.c - SMTP AUTH (RFC 4954) with PLAIN (RFC 4616) and LOGIN.
 *
 * smtpd_auth_is_offered (EHLO), cmd_auth (the command and an initial
 * response), smtpd_auth_line (responses to 334), smtpd_auth_reset.
 *
 * Offered when smtpd_sasl_auth_enable = yes, never on the local
 * submission socket, and with smtpd_tls_auth_only = yes (the default)
 * only over TLS. Names and passwords are checked against the users table
 * (lib/users): the lookup in the loop, the hashing (about 20 ms of
 * yescrypt) in a worker thread, so other sessions do not wait for it.
 *
 * Replies: 235 2.7.0 success; 334 challenges (PLAIN: empty; LOGIN:
 * "Username:" and "Password:" in base64); 501 5.7.0 when the client
 * cancels with "*"; 501 5.5.2 for a response that is not base64;
 * 500 5.5.6 for a response over SMTPD_AUTH_LINE_MAX; 535 5.7.8 for wrong
 * credentials; 454 4.7.0 when the users table cannot be read; 538 5.7.11
 * for AUTH without TLS when TLS is required for it; 504 5.5.4 for other
 * mechanisms; 503 5.5.1 out of sequence (no EHLO, already authenticated,
 * inside a mail transaction) or when AUTH is not enabled.
 *
 * Failed AUTHs count per client address across every smtpd process and
 * service (lib/auth_fail, policy.c); the one that reaches
 * smtpd_client_auth_failure_limit is answered after
 * smtpd_client_auth_failure_delay with 535 and then 421 4.7.0, and the
 * session ends; until smtpd_client_auth_failure_time has passed, AUTH
 * from that address gets the same delayed 421 without a password check.
 *
 * Responses are decoded by lib/sasl_plain and lib/sasl_login (canonical
 * base64 only, SASL_PLAIN_MAX and SASL_LOGIN_MAX octets decoded).
 *
 * SECURITY: passwords and AUTH payloads are never logged; the decoded
 * credentials, the job's copy and the client's line in the input buffer
 * are wiped once used. Log lines follow Postfix:
 *   warning: unknown[127.0.0.1]: SASL PLAIN authentication failed:
 *   authentication failure, sasl_username=alice
 */
#include <string.h>
#include <time.h>

#include "lib/base64.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/sasl_login.h"
#include "lib/sasl_plain.h"
#include "lib/str.h"
#include "lib/users.h"
#include "lib/workpool.h"
#include "smtpd/smtpd.h"

/* LOGIN challenges: "Username:" and "Password:" in base64. */
#define AUTH_LOGIN_USER_CHALLENGE "VXNlcm5hbWU6"
#define AUTH_LOGIN_PASS_CHALLENGE "UGFzc3dvcmQ6"

static const char reply_failed[] =
	"535 5.7.8 Error: authentication failed: authentication failure";
static const char reply_tempfail[] =
	"454 4.7.0 Temporary authentication failure";

/* A password check in a worker thread. */
struct auth_job {
	struct smtpd_session *s;
	struct users_check check;
	char name[SASL_PLAIN_MAX + 1];
	char password[SASL_PLAIN_MAX + 1];
	int rc;			/* users_verify_check */
};

/* smtpd_auth_is_offered - EHLO lists AUTH */
bool
smtpd_auth_is_offered(const struct smtpd_session *s)
{
	return s->sd->sasl_enabled && !s->is_local &&
	       (stream_is_tls(&s->st) || !param_smtpd_tls_auth_only) &&
	       !smtpd_tls_is_required(s);
}

/* smtpd_auth_reset - no login, no exchange */
void
smtpd_auth_reset(struct smtpd_session *s)
{
	mem_free(&s->sasl_username);
	s->sasl_method = NULL;
	s->auth_step = SMTPD_AUTH_NONE;
	if (s->auth_login_user != NULL)
		explicit_bzero(s->auth_login_user, strlen(s->auth_login_user));
	mem_free(&s->auth_login_user);
}

/* auth_end - the exchange is over (answered by the caller) */
static void
auth_end(struct smtpd_session *s)
{
	s->auth_step = SMTPD_AUTH_NONE;
	if (s->auth_login_user != NULL)
		explicit_bzero(s->auth_login_user, strlen(s->auth_login_user));
	mem_free(&s->auth_login_user);
}

/* auth_abort - end the exchange with a reply, counted as a failed AUTH */
static void
auth_abort(struct smtpd_session *s, const char *reply)
{
	auth_end(s);
	smtpd_count(s, SMTPD_STAT_AUTH, false);
	smtpd_reply(s, "%s", reply);
}

/* auth_on_delay - the delay is over: the last answers, then close */
static void
auth_on_delay(void *ctx)
{
	struct smtpd_session *s = ctx;

	event_timer_remove(&s->auth_timer);
	if (s->auth_delayed_reply != NULL)
		smtpd_reply(s, "%s", s->auth_delayed_reply);
	s->auth_delayed_reply = NULL;
	smtpd_reply(s, "421 4.7.0 %s Error: too many failed authentications "
		       "from %s",
		    param_myhostname, s->client_addr);
	smtpd_session_close_after_reply(s);
	smtpd_session_resume(s);
}

/* auth_block - answer (reply, if any, then 421) after the delay, close */
static void
auth_block(struct smtpd_session *s, const char *reply)
{
	log_warn("too many failed authentications from %s", s->client_addr);
	s->auth_delayed_reply = reply;
	s->state = SMTPD_STATE_AUTH_CHECK;
	s->auth_timer = event_timer_add(
		server_loop(s->sd->srv),
		(uint64_t)param_smtpd_client_auth_failure_delay * 1000,
		auth_on_delay, s);
}

/* auth_failed - wrong credentials: log, count, answer (maybe later) */
static void
auth_failed(struct smtpd_session *s, const char *name)
{
	log_warn("%s[%s]: SASL %s authentication failed: authentication "
		 "failure, sasl_username=%s",
		 s->client_name, s->client_addr, s->sasl_method,
		 log_safe_str(name));
	auth_end(s);
	smtpd_count(s, SMTPD_STAT_AUTH, false);
	if (smtpd_policy_auth_failed(s))
		auth_block(s, reply_failed);
	else
		smtpd_reply(s, "%s", reply_failed);
}

/* auth_work - in a worker: hash and compare */
static void
auth_work(void *arg)
{
	struct auth_job *job = arg;

	job->rc = users_verify_check(&job->check, job->password);
}

/* auth_done - back in the loop: the verdict */
static void
auth_done(void *arg)
{
	struct auth_job *job = arg;
	struct smtpd_session *s = job->s;

	explicit_bzero(job->password, sizeof(job->password));
	explicit_bzero(&job->check, sizeof(job->check));
	s->state = SMTPD_STATE_CMD;
	if (job->rc > 0) {
		auth_end(s);
		s->sasl_username = str_lower(mem_strdup(job->name));
		smtpd_count(s, SMTPD_STAT_AUTH, true);
		smtpd_reply(s, "235 2.7.0 Authentication successful");
	} else if (job->rc < 0) {
		log_warn("%s[%s]: SASL %s authentication failed: cannot check "
			 "the password of sasl_username=%s",
			 s->client_name, s->client_addr, s->sasl_method,
			 log_safe_str(job->name));
		auth_abort(s, reply_tempfail);
	} else {
		auth_failed(s, job->name);
	}
	explicit_bzero(job, sizeof(*job));
	mem_free(&job);
	smtpd_session_resume(s);
}

/* auth_check - look name up here, hash the password in a worker */
static void
auth_check(struct smtpd_session *s, const char *name, const char *password)
{
	struct auth_job *job = mem_alloc(sizeof(*job));
	const char *error;

	if (users_verify_prepare(s->sd->users, name, &job->check, &error) <
	    0) {
		log_warn("%s[%s]: SASL %s authentication failed: %s",
			 s->client_name, s->client_addr, s->sasl_method, error);
		mem_free(&job);
		auth_abort(s, reply_tempfail);
		return;
	}
	job->s = s;
	/* Both fit: PLAIN and LOGIN fields are at most SASL_PLAIN_MAX. */
	MR_ASSERT(strlen(name) <= SASL_PLAIN_MAX &&
		  strlen(password) <= SASL_PLAIN_MAX);
	memcpy(job->name, name, strlen(name) + 1);
	memcpy(job->password, password, strlen(password) + 1);
	s->state = SMTPD_STATE_AUTH_CHECK;
	workpool_submit(s->sd->pool, auth_work, auth_done, job);
}

/*
 * auth_is_decodable - RFC 4954 4: a response that is not base64 is
 * answered 501; one that is base64 but not what the mechanism wants
 * (malformed, too long) is a failed login (535)
 */
static bool
auth_is_decodable(struct smtpd_session *s, const uint8_t *resp, size_t n)
{
	if (base64_is_canonical(resp, n))
		return true;
	auth_abort(s, "501 5.5.2 Cannot decode response");
	return false;
}

/* auth_plain - a PLAIN message (RFC 4616 2) */
static void
auth_plain(struct smtpd_session *s, const uint8_t *resp, size_t n)
{
	struct sasl_plain sp;
	const char *error;

	if (!auth_is_decodable(s, resp, n))
		return;
	if (sasl_plain_decode((const char *)resp, n, &sp, &error) < 0) {
		auth_failed(s, "");
	} else if (sasl_plain_is_proxy(&sp)) {
		auth_failed(s, sp.authcid);
	} else {
		auth_check(s, sp.authcid, sp.passwd);
	}
	explicit_bzero(&sp, sizeof(sp));
}

/* auth_login_user - LOGIN: the user name; ask for the password */
static void
auth_login_user(struct smtpd_session *s, const uint8_t *resp, size_t n)
{
	char name[SASL_LOGIN_MAX + 1];
	const char *error;

	if (!auth_is_decodable(s, resp, n))
		return;
	if (sasl_login_decode((const char *)resp, n, name, &error) < 0) {
		auth_failed(s, "");
		return;
	}
	s->auth_login_user = mem_strdup(name);
	explicit_bzero(name, sizeof(name));
	s->auth_step = SMTPD_AUTH_LOGIN_PASS;
	smtpd_reply(s, "334 " AUTH_LOGIN_PASS_CHALLENGE);
}

/* auth_login_pass - LOGIN: the password; check the pair */
static void
auth_login_pass(struct smtpd_session *s, const uint8_t *resp, size_t n)
{
	char password[SASL_LOGIN_MAX + 1];
	const char *error;

	if (!auth_is_decodable(s, resp, n))
		return;
	if (sasl_login_decode((const char *)resp, n, password, &error) < 0)
		auth_failed(s, s->auth_login_user);
	else
		auth_check(s, s->auth_login_user, password);
	explicit_bzero(password, sizeof(password));
}

/* auth_refuse - AUTH out of place */
static bool
auth_refuse(struct smtpd_session *s, struct smtp_cmd *cmd)
{
	const char *reply = NULL;

	if (!s->sd->sasl_enabled || s->is_local)
		reply = "503 5.5.1 Error: authentication not enabled";
	else if (!stream_is_tls(&s->st) && param_smtpd_tls_auth_only)
		reply = "538 5.7.11 Encryption required for requested "
			"authentication mechanism";
	else if (!s->esmtp)
		reply = "503 5.5.1 Error: send EHLO first";
	else if (s->sasl_username != NULL)
		reply = "503 5.5.1 Error: already authenticated";
	else if (s->txn.active)
		reply = "503 5.5.1 Error: MAIL transaction in progress";
	else if (strcmp(cmd->arg, "PLAIN") != 0 &&
		 strcmp(cmd->arg, "LOGIN") != 0)
		reply = "504 5.5.4 Unrecognized authentication type";
	if (reply == NULL)
		return false;
	smtpd_count(s, SMTPD_STAT_AUTH, false);
	smtpd_reply(s, "%s", reply);
	return true;
}

/* cmd_auth - AUTH mechanism [initial-response] (RFC 4954 4) */
void
cmd_auth(struct smtpd_session *s, struct smtp_cmd *cmd)
{
	const uint8_t *initial = (const uint8_t *)cmd->auth_initial;
	size_t n = initial != NULL ? strlen(cmd->auth_initial) : 0;

	if (auth_refuse(s, cmd))
		return;
	if (smtpd_policy_auth_is_blocked(s)) {
		smtpd_count(s, SMTPD_STAT_AUTH, false);
		auth_block(s, NULL);
		return;
	}
	s->sasl_method = strcmp(cmd->arg, "PLAIN") == 0 ? "PLAIN" : "LOGIN";
	/* RFC 4954 4: "=" is an empty initial response. */
	if (initial != NULL && n == 1 && initial[0] == '=')
		n = 0;
	if (s->sasl_method[0] == 'P') {
		if (initial != NULL) {
			auth_plain(s, initial, n);
		} else {
			s->auth_step = SMTPD_AUTH_PLAIN;
			smtpd_reply(s, "334 ");
		}
	} else if (initial != NULL) {
		auth_login_user(s, initial, n);
	} else {
		s->auth_step = SMTPD_AUTH_LOGIN_USER;
		smtpd_reply(s, "334 " AUTH_LOGIN_USER_CHALLENGE);
	}
	if (initial != NULL)
		explicit_bzero(cmd->auth_initial, strlen(cmd->auth_initial));
}

/* smtpd_auth_line - a response line inside an AUTH exchange */
void
smtpd_auth_line(struct smtpd_session *s, const uint8_t *line, size_t n,
		unsigned flags)
{
	enum smtpd_auth_step step = s->auth_step;

	if (flags & SMTP_LINE_TOO_LONG)
		auth_abort(s, "500 5.5.6 Authentication Exchange line is too "
			      "long");
	else if (flags & (SMTP_LINE_BARE_CR | SMTP_LINE_BARE_LF))
		auth_abort(s, "501 5.5.2 Cannot decode response");
	else if (n == 1 && line[0] == '*')
		auth_abort(s, "501 5.7.0 Authentication aborted");
	else if (step == SMTPD_AUTH_PLAIN)
		auth_plain(s, line, n);
	else if (step == SMTPD_AUTH_LOGIN_USER)
		auth_login_user(s, line, n);
	else
		auth_login_pass(s, line, n);
	/* UNSAFE: the line lies in the session's own input buffer, which
	 * is writable; wipe the response (a password) before it is
	 * consumed. */
	explicit_bzero((void *)line, n);
}
