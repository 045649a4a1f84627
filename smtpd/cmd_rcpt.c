/*
 * cmd_rcpt.c - RCPT TO (RFC 5321 4.1.1.3) with NOTIFY and ORCPT
 * (RFC 3461 4.1, 4.2).
 *
 * Checks the order of commands, smtpd_recipient_limit (RFC 5321 4.5.3.1.8:
 * 452 when exceeded) and asks policy.c whether the recipient is local,
 * virtual or may be relayed.
 */
#include <stdio.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/queue_file.h"
#include "smtpd/smtpd.h"

/* rcpt_notify - smtp_cmd NOTIFY bits as queue file bits */
static unsigned
rcpt_notify(unsigned notify)
{
	unsigned q = 0;

	if (notify & SMTP_NOTIFY_NEVER)
		q |= QUEUE_NOTIFY_NEVER;
	if (notify & SMTP_NOTIFY_SUCCESS)
		q |= QUEUE_NOTIFY_SUCCESS;
	if (notify & SMTP_NOTIFY_FAILURE)
		q |= QUEUE_NOTIFY_FAILURE;
	if (notify & SMTP_NOTIFY_DELAY)
		q |= QUEUE_NOTIFY_DELAY;
	return q;
}

/* cmd_rcpt - add a recipient to the transaction */
void
cmd_rcpt(struct smtpd_session *s, struct smtp_cmd *cmd)
{
	struct smtpd_txn *t = &s->txn;
	struct smtpd_rcpt *r;
	char reply_buf[SMTPD_HEADER_MAX];
	const char *reply;
	char *formatted;

	if (!t->active) {
		smtpd_count(s, SMTPD_STAT_RCPT, false);
		smtpd_reply(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (t->rcpt_count >= (size_t)param_smtpd_recipient_limit) {
		smtpd_count(s, SMTPD_STAT_RCPT, false);
		smtpd_reply(s, "452 4.5.3 Error: too many recipients");
		return;
	}
	if (addr_has_8bit(&cmd->path) && !t->smtputf8) {
		smtpd_count(s, SMTPD_STAT_RCPT, false);
		smtpd_reply(s, "553 5.6.7 Error: SMTPUTF8 is required for "
			       "this address");
		return;
	}
	formatted = addr_format(&cmd->path);
	if (smtpd_policy_rcpt(s, &cmd->path, formatted, reply_buf,
			      sizeof(reply_buf), &reply) < 0) {
		log_info("NOQUEUE: reject: RCPT from %s[%s]: %s; from=<%s> "
			 "to=<%s> proto=%s helo=<%s>",
			 s->client_name, s->client_addr, reply,
			 log_safe_str(t->sender), log_safe_str(formatted),
			 s->esmtp ? "ESMTP" : "SMTP",
			 log_safe_str(s->helo ? s->helo : ""));
		smtpd_count(s, SMTPD_STAT_RCPT, false);
		smtpd_reply(s, "%s", reply);
		mem_free(&formatted);
		return;
	}
	if (t->rcpt_count == t->rcpt_cap) {
		t->rcpt_cap = t->rcpt_cap ? t->rcpt_cap * 2 : 4;
		t->rcpts = mem_realloc_array(t->rcpts, t->rcpt_cap,
					     sizeof(*t->rcpts));
	}
	r = &t->rcpts[t->rcpt_count++];
	r->address = formatted;
	r->orcpt_type = cmd->orcpt_type ? mem_strdup(cmd->orcpt_type) : NULL;
	r->orcpt = cmd->orcpt ? mem_strdup(cmd->orcpt) : NULL;
	r->notify = rcpt_notify(cmd->notify);
	smtpd_count(s, SMTPD_STAT_RCPT, true);
	smtpd_reply(s, "250 2.1.5 Ok");
}
