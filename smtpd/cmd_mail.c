/*
 * cmd_mail.c - MAIL FROM (RFC 5321 4.1.1.2) with SIZE (RFC 1870), BODY
 * (RFC 6152, RFC 3030), SMTPUTF8 (RFC 6531) and RET/ENVID (RFC 3461).
 *
 * The path and parameters were parsed and validated by lib/smtp_cmd; this
 * file applies session rules: one transaction at a time, the declared
 * size against message_size_limit. The null sender is accepted.
 */
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "smtpd/smtpd.h"

/* cmd_mail - start a mail transaction */
void
cmd_mail(struct smtpd_session *s, struct smtp_cmd *cmd)
{
	struct smtpd_txn *t = &s->txn;

	if (t->active) {
		smtpd_count(s, SMTPD_STAT_MAIL, false);
		smtpd_reply(s, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if ((cmd->params & SMTP_PARAM_SIZE) && param_message_size_limit > 0 &&
	    cmd->size > (uint64_t)param_message_size_limit) {
		smtpd_count(s, SMTPD_STAT_MAIL, false);
		smtpd_reply(s, "552 5.3.4 Message size exceeds fixed limit");
		return;
	}
	if ((cmd->params & SMTP_PARAM_SMTPUTF8) && !param_smtputf8_enable) {
		smtpd_count(s, SMTPD_STAT_MAIL, false);
		smtpd_reply(s, "555 5.5.4 Unsupported option: SMTPUTF8");
		return;
	}
	smtpd_txn_reset(s);
	t->active = true;
	t->sender = addr_format(&cmd->path);
	t->body = cmd->body;
	t->ret = cmd->ret;
	t->smtputf8 = (cmd->params & SMTP_PARAM_SMTPUTF8) != 0;
	if (cmd->envid != NULL)
		t->envid = mem_strdup(cmd->envid);
	smtpd_count(s, SMTPD_STAT_MAIL, true);
	smtpd_reply(s, "250 2.1.0 Ok");
}
