/*
 * commands.c - the SMTP command table and the trivial verbs.
 *
 * smtpd_command parses one command line (lib/smtp_cmd) and dispatches it;
 * HELO, EHLO, RSET, NOOP, QUIT, VRFY, EXPN and HELP are answered here;
 * MAIL, RCPT, DATA, BDAT, STARTTLS and AUTH live in cmd_*.c. smtpd_protocol
 * names the session's protocol for Received: headers and the queue file.
 * Every reply carries an RFC 3463 enhanced status code. With
 * smtpd_tls_security_level = encrypt every command but HELO, EHLO,
 * STARTTLS, RSET, NOOP, QUIT (and BDAT, whose chunk must still be read)
 * gets 530 5.7.0 before TLS, as with Postfix.
 */
#include <string.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "smtpd/smtpd.h"

/* smtpd_count - one more command of this kind, accepted or refused */
void
smtpd_count(struct smtpd_session *s, enum smtpd_stat stat, bool ok)
{
	s->stats[stat][ok ? 0 : 1]++;
	if (!ok)
		s->errors++;
}

/* cmd_helo - HELO and EHLO (RFC 5321 4.1.1.1) */
static void
cmd_helo(struct smtpd_session *s, struct smtp_cmd *cmd)
{
	bool ehlo = cmd->verb == SMTP_VERB_EHLO;

	mem_free(&s->helo);
	s->helo = mem_strdup(cmd->arg);
	s->esmtp = ehlo;
	/* A new greeting resets the transaction (RFC 5321 4.1.4). */
	smtpd_txn_reset(s);
	smtpd_count(s, ehlo ? SMTPD_STAT_EHLO : SMTPD_STAT_HELO, true);
	if (!ehlo) {
		smtpd_reply(s, "250 %s", param_myhostname);
		return;
	}
	smtpd_reply(s, "250-%s", param_myhostname);
	smtpd_reply(s, "250-PIPELINING");
	if (param_message_size_limit > 0)
		smtpd_reply(s, "250-SIZE %lld",
			    (long long)param_message_size_limit);
	else
		smtpd_reply(s, "250-SIZE");
	if (!param_disable_vrfy_command)
		smtpd_reply(s, "250-VRFY");
	if (smtpd_tls_is_offered(s))
		smtpd_reply(s, "250-STARTTLS");
	if (smtpd_auth_is_offered(s))
		smtpd_reply(s, "250-AUTH PLAIN LOGIN");
	smtpd_reply(s, "250-ENHANCEDSTATUSCODES");
	smtpd_reply(s, "250-8BITMIME");
	smtpd_reply(s, "250-DSN");
	if (param_smtputf8_enable)
		smtpd_reply(s, "250-SMTPUTF8");
	smtpd_reply(s, "250 CHUNKING");
}

/* cmd_rset - RSET */
static void
cmd_rset(struct smtpd_session *s, struct smtp_cmd *cmd)
{
	(void)cmd;
	smtpd_txn_reset(s);
	smtpd_count(s, SMTPD_STAT_RSET, true);
	smtpd_reply(s, "250 2.0.0 Ok");
}

/* cmd_noop - NOOP */
static void
cmd_noop(struct smtpd_session *s, struct smtp_cmd *cmd)
{
	(void)cmd;
	smtpd_count(s, SMTPD_STAT_NOOP, true);
	smtpd_reply(s, "250 2.0.0 Ok");
}

/* cmd_quit - QUIT */
static void
cmd_quit(struct smtpd_session *s, struct smtp_cmd *cmd)
{
	(void)cmd;
	smtpd_count(s, SMTPD_STAT_QUIT, true);
	smtpd_reply(s, "221 2.0.0 Bye");
	smtpd_session_close_after_reply(s);
}

/* cmd_vrfy - VRFY: never confirms or denies an address (RFC 5321 3.5.3) */
static void
cmd_vrfy(struct smtpd_session *s, struct smtp_cmd *cmd)
{
	if (param_disable_vrfy_command) {
		smtpd_count(s, SMTPD_STAT_VRFY, false);
		smtpd_reply(s, "502 5.5.1 VRFY command is disabled");
		return;
	}
	smtpd_count(s, SMTPD_STAT_VRFY, true);
	smtpd_reply(s, "252 2.0.0 Cannot VRFY user, but will accept "
		       "message and attempt delivery");
	(void)cmd;
}

/* cmd_expn - EXPN: mailing lists are not disclosed */
static void
cmd_expn(struct smtpd_session *s, struct smtp_cmd *cmd)
{
	(void)cmd;
	smtpd_count(s, SMTPD_STAT_OTHER, false);
	smtpd_reply(s, "502 5.5.1 Error: command not implemented");
}

/* cmd_help - HELP */
static void
cmd_help(struct smtpd_session *s, struct smtp_cmd *cmd)
{
	(void)cmd;
	smtpd_count(s, SMTPD_STAT_OTHER, true);
	smtpd_reply(s, "214-2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT "
		       "RSET NOOP QUIT VRFY HELP");
	smtpd_reply(s, "214 2.0.0 See RFC 5321");
}

/* smtpd_protocol - RFC 3848 protocol name of the session */
const char *
smtpd_protocol(const struct smtpd_session *s)
{
	static const char *const names[2][2][2] = {
		/* [utf8][tls][auth] */
		{ { "ESMTP", "ESMTPA" }, { "ESMTPS", "ESMTPSA" } },
		{ { "UTF8SMTP", "UTF8SMTPA" }, { "UTF8SMTPS", "UTF8SMTPSA" } },
	};
	bool tls = s->tls_desc[0] != '\0';

	if (s->is_local)
		return "local";
	if (!s->esmtp)
		return tls ? "SMTPS" : "SMTP";
	return names[s->txn.smtputf8][tls][s->sasl_username != NULL];
}

/* command_stat - the counter of a verb */
static enum smtpd_stat
command_stat(enum smtp_verb verb)
{
	switch (verb) {
	case SMTP_VERB_AUTH:
		return SMTPD_STAT_AUTH;
	case SMTP_VERB_MAIL:
		return SMTPD_STAT_MAIL;
	case SMTP_VERB_RCPT:
		return SMTPD_STAT_RCPT;
	case SMTP_VERB_DATA:
		return SMTPD_STAT_DATA;
	case SMTP_VERB_VRFY:
		return SMTPD_STAT_VRFY;
	default:
		return SMTPD_STAT_OTHER;
	}
}

/* command_needs_tls - refused before STARTTLS at level encrypt */
static bool
command_needs_tls(enum smtp_verb verb)
{
	switch (verb) {
	case SMTP_VERB_HELO:
	case SMTP_VERB_EHLO:
	case SMTP_VERB_STARTTLS:
	case SMTP_VERB_RSET:
	case SMTP_VERB_NOOP:
	case SMTP_VERB_QUIT:
	case SMTP_VERB_BDAT:	/* no transaction: its chunk is dropped */
		return false;
	default:
		return true;
	}
}

typedef void smtpd_cmd_fn(struct smtpd_session *s, struct smtp_cmd *cmd);

static smtpd_cmd_fn *const handlers[] = {
	[SMTP_VERB_HELO] = cmd_helo,	 [SMTP_VERB_EHLO] = cmd_helo,
	[SMTP_VERB_MAIL] = cmd_mail,	 [SMTP_VERB_RCPT] = cmd_rcpt,
	[SMTP_VERB_DATA] = cmd_data,	 [SMTP_VERB_BDAT] = cmd_bdat,
	[SMTP_VERB_RSET] = cmd_rset,	 [SMTP_VERB_NOOP] = cmd_noop,
	[SMTP_VERB_QUIT] = cmd_quit,	 [SMTP_VERB_VRFY] = cmd_vrfy,
	[SMTP_VERB_EXPN] = cmd_expn,	 [SMTP_VERB_HELP] = cmd_help,
	[SMTP_VERB_STARTTLS] = cmd_starttls, [SMTP_VERB_AUTH] = cmd_auth,
};

/* smtpd_command - parse and execute one command line */
void
smtpd_command(struct smtpd_session *s, const uint8_t *line, size_t n)
{
	struct smtp_cmd cmd;
	struct smtp_cmd_error err;
	int flags = 0;

	if (param_smtputf8_enable)
		flags |= SMTP_CMD_F_UTF8;
	memset(&cmd, 0, sizeof(cmd));
	if (smtp_cmd_parse(line, n, flags, &cmd, &err) < 0) {
		if (cmd.verb == SMTP_VERB_UNKNOWN) {
			smtpd_count(s, SMTPD_STAT_OTHER, false);
			smtpd_reply(s, "500 5.5.2 Error: command not "
				       "recognized");
		} else {
			smtpd_count(s, SMTPD_STAT_OTHER, false);
			smtpd_reply(s, "%d %s %s", err.code, err.enhanced,
				    err.text);
		}
		if (cmd.verb == SMTP_VERB_BDAT) {
			/* The chunk size is unknown: the stream cannot be
			 * followed any more (RFC 3030 2). */
			smtpd_reply(s, "421 4.5.0 %s Error: bad BDAT "
				       "command, closing",
				    param_myhostname);
			smtpd_session_close_after_reply(s);
		}
		smtp_cmd_deinit(&cmd);
		return;
	}
	if (smtpd_tls_is_required(s) && command_needs_tls(cmd.verb)) {
		smtpd_count(s, command_stat(cmd.verb), false);
		smtpd_reply(s, "530 5.7.0 Must issue a STARTTLS command first");
	} else if ((size_t)cmd.verb < sizeof(handlers) / sizeof(handlers[0]) &&
		   handlers[cmd.verb] != NULL) {
		handlers[cmd.verb](s, &cmd);
	} else {
		smtpd_reply(s, "502 5.5.1 Error: command not implemented");
	}
	smtp_cmd_deinit(&cmd);
}
