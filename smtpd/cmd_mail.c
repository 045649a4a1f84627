/*
 * cmd_mail.c - MAIL FROM (RFC 5321 4.1.1.2) with SIZE (RFC 1870), BODY
 * (RFC 6152, RFC 3030), SMTPUTF8 (RFC 6531) and RET/ENVID (RFC 3461).
 *
 * The path and parameters were parsed and validated by lib/smtp_cmd; this
 * file applies session rules: one transaction at a time, the declared
 * size against message_size_limit, and who may use the sender address
 * (smtpd_sender_login_maps, policy.c). The null sender is accepted.
 * AUTH=<mailbox> (RFC 4954 5) is accepted and not kept: mailroom trusts
 * no other server's word on who authenticated, as RFC 4954 allows.
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
	char reply_buf[SMTPD_HEADER_MAX];
	const char *reply;
	char *formatted;

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
	formatted = addr_format(&cmd->path);
	if (smtpd_policy_sender(s, &cmd->path, formatted, reply_buf,
				sizeof(reply_buf), &reply) < 0) {
		log_info("NOQUEUE: reject: MAIL from %s[%s]: %s; from=<%s> "
			 "proto=%s helo=<%s>",
			 s->client_name, s->client_addr, reply,
			 log_safe_str(formatted), s->esmtp ? "ESMTP" : "SMTP",
			 log_safe_str(s->helo ? s->helo : ""));
		smtpd_count(s, SMTPD_STAT_MAIL, false);
		smtpd_reply(s, "%s", reply);
		mem_free(&formatted);
		return;
	}
	smtpd_txn_reset(s);
	t->active = true;
	t->sender = formatted;
	t->body = cmd->body;
	t->ret = cmd->ret;
	t->smtputf8 = (cmd->params & SMTP_PARAM_SMTPUTF8) != 0;
	if (cmd->envid != NULL)
		t->envid = mem_strdup(cmd->envid);
	smtpd_count(s, SMTPD_STAT_MAIL, true);
	smtpd_reply(s, "250 2.1.0 Ok");
}
