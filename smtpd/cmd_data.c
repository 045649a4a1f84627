/*
 * cmd_data.c - DATA (RFC 5321 4.1.1.4) and BDAT (RFC 3030): the message
 * into the queue.
 *
 * cmd_data and cmd_bdat open the queue file (lib/queue_write) with the
 * envelope and a Received: header (RFC 5321 4.4); smtpd_data_feed and
 * smtpd_bdat_feed stream the client's octets into it in bounded chunks.
 * The reply is 250 only after queue_write_commit: file complete, fsync'ed,
 * renamed into active/ and the directory fsync'ed.
 *
 * Rejections after the end of data (the whole message is read first so the
 * session stays in step): bare CR or LF in the text (SMTP smuggling) and
 * lines over 1000 octets (RFC 5321 4.5.3.1.6) get 550 5.5.2; a message
 * over message_size_limit gets 552 5.3.4; one whose header has more than
 * hopcount_limit Received: fields (lib/hop_count: a mail loop) gets
 * 554 5.4.0, as Postfix's smtpd answers; a queue write error gets
 * 451 4.3.0 (nothing was accepted, the client retries).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/trigger.h"
#include "lib/workpool.h"
#include "smtpd/smtpd.h"

static const char reply_write_error[] =
	"451 4.3.0 Error: queue file write error";
static const char reply_too_big[] =
	"552 5.3.4 Message size exceeds fixed limit";
static const char reply_too_many_hops[] = "554 5.4.0 Error: too many hops";
static const char reply_bare_lf[] = "550 5.5.2 Error: bare <LF> received";
static const char reply_bare_cr[] = "550 5.5.2 Error: bare <CR> received";
static const char reply_long_line[] =
	"550 5.5.2 Error: message line longer than 1000 octets";

/* data_header_text - copy s for a header field, printable ASCII only */
static void
data_header_text(char *out, size_t size, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (c > 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[i] = '\0';
}

/* data_received - the Received: header of this message */
static void
data_received(struct smtpd_session *s, const char *id, struct buf *b)
{
	struct smtpd_txn *t = &s->txn;
	char date[64], helo[SMTPD_NAME_MAX];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z (%Z)", &tm);
	if (s->is_local) {
		buf_printf(b,
			   "Received: by %s (%s, from userid %ld)\r\n"
			   "\tid %s; %s\r\n",
			   param_myhostname, param_mail_name,
			   (long)s->peer_uid, id, date);
		return;
	}
	data_header_text(helo, sizeof(helo),
			 s->helo != NULL ? s->helo : s->client_name);
	buf_printf(b, "Received: from %s (%s [%s])\r\n", helo,
		   s->client_name, s->client_addr);
	/* Postfix's TLS comment; no client certificate is asked for. */
	if (s->tls_desc[0] != '\0')
		buf_printf(b,
			   "\t(using %s)\r\n"
			   "\t(No client certificate requested)\r\n",
			   s->tls_desc);
	buf_printf(b, "\tby %s (%s) with %s id %s", param_myhostname,
		   param_mail_name, smtpd_protocol(s), id);
	if (t->rcpt_count == 1 && strlen(t->rcpts[0].address) < 256 &&
	    !t->smtputf8)
		buf_printf(b, "\r\n\tfor <%s>; %s\r\n", t->rcpts[0].address,
			   date);
	else
		buf_printf(b, ";\r\n\t%s\r\n", date);
}

/* data_fail - content from here on is read and dropped */
static void
data_fail(struct smtpd_session *s, const char *reply)
{
	if (!s->txn.failed) {
		s->txn.failed = true;
		s->txn.fail_reply = reply;
	}
}

/* data_open_queue - create the queue file with envelope and Received: */
static int
data_open_queue(struct smtpd_session *s)
{
	struct smtpd_txn *t = &s->txn;
	struct queue_client client;
	const char *error;
	uint64_t max = 0;
	size_t i;

	if (param_message_size_limit > 0)
		max = (uint64_t)param_message_size_limit + SMTPD_HEADER_MAX;
	t->qw = queue_write_begin(param_queue_directory, max, &error);
	if (t->qw == NULL) {
		log_warn("queue file: %s", error);
		return -1;
	}
	memset(&client, 0, sizeof(client));
	client.name = s->client_name;
	client.addr = s->client_addr;
	client.helo = s->helo;
	client.protocol = (char *)smtpd_protocol(s);
	client.auth_user = s->sasl_username;
	queue_write_sender(t->qw, t->sender);
	for (i = 0; i < t->rcpt_count; i++) {
		struct queue_rcpt r;

		memset(&r, 0, sizeof(r));
		r.address = t->rcpts[i].address;
		r.orcpt_type = t->rcpts[i].orcpt_type;
		r.orcpt = t->rcpts[i].orcpt;
		r.notify = t->rcpts[i].notify;
		r.status = QUEUE_RCPT_PENDING;
		queue_write_rcpt(t->qw, &r);
	}
	if (t->envid != NULL)
		queue_write_envid(t->qw, t->envid);
	if (t->ret == SMTP_RET_FULL)
		queue_write_ret(t->qw, QUEUE_RET_FULL);
	else if (t->ret == SMTP_RET_HDRS)
		queue_write_ret(t->qw, QUEUE_RET_HDRS);
	if (t->body == SMTP_BODY_7BIT)
		queue_write_body(t->qw, QUEUE_BODY_7BIT);
	else if (t->body == SMTP_BODY_8BITMIME)
		queue_write_body(t->qw, QUEUE_BODY_8BITMIME);
	else if (t->body == SMTP_BODY_BINARYMIME)
		queue_write_body(t->qw, QUEUE_BODY_BINARYMIME);
	if (t->smtputf8)
		queue_write_smtputf8(t->qw);
	queue_write_client(t->qw, &client);
	data_received(s, queue_write_id(t->qw), &t->chunk);
	if (queue_write_content(t->qw, t->chunk.data, t->chunk.len) < 0) {
		queue_write_error(t->qw, &error);
		log_warn("%s: queue file: %s", queue_write_id(t->qw), error);
		queue_write_free(&t->qw);
		return -1;
	}
	buf_reset(&t->chunk);
	hop_count_init(&t->hops);
	if (s->is_local)
		log_info("%s: uid=%ld from=<%s>", queue_write_id(t->qw),
			 (long)s->peer_uid, log_safe_str(t->sender));
	else if (s->sasl_username != NULL)
		log_info("%s: client=%s[%s], sasl_method=%s, "
			 "sasl_username=%s",
			 queue_write_id(t->qw), s->client_name,
			 s->client_addr, s->sasl_method, s->sasl_username);
	else
		log_info("%s: client=%s[%s]", queue_write_id(t->qw),
			 s->client_name, s->client_addr);
	return 0;
}

/* data_write - hand content to the queue file */
static void
data_write(struct smtpd_session *s, const uint8_t *p, size_t n)
{
	struct smtpd_txn *t = &s->txn;
	const char *error;

	if (t->failed || n == 0)
		return;
	hop_count_feed(&t->hops, p, n);
	if (queue_write_content(t->qw, p, n) == 0)
		return;
	if (queue_write_error(t->qw, &error) == QUEUE_ERR_TOO_BIG) {
		data_fail(s, reply_too_big);
	} else {
		log_warn("%s: queue file: %s", queue_write_id(t->qw), error);
		data_fail(s, reply_write_error);
	}
}

/* data_conclude - answer the transaction and forget it */
static void
data_conclude(struct smtpd_session *s)
{
	struct smtpd_txn *t = &s->txn;

	if (t->failed) {
		log_info("%s: reject: %s from %s[%s]: %s; from=<%s>",
			 t->qw ? queue_write_id(t->qw) : "NOQUEUE",
			 t->bdat_started ? "BDAT" : "DATA", s->client_name,
			 s->client_addr, t->fail_reply,
			 log_safe_str(t->sender));
		smtpd_count(s, t->bdat_started ? SMTPD_STAT_BDAT
					       : SMTPD_STAT_DATA,
			    false);
		smtpd_reply(s, "%s", t->fail_reply);
	} else {
		log_info("%s: from=<%s>, size=%llu, nrcpt=%zu (queue active)",
			 queue_write_id(t->qw), log_safe_str(t->sender),
			 (unsigned long long)queue_write_content_size(t->qw),
			 t->rcpt_count);
		smtpd_count(s, t->bdat_started ? SMTPD_STAT_BDAT
					       : SMTPD_STAT_DATA,
			    true);
		smtpd_reply(s, "250 2.0.0 Ok: queued as %s",
			    queue_write_id(t->qw));
		trigger_qmgr(param_queue_directory);
	}
	smtpd_txn_reset(s);
	s->state = SMTPD_STATE_CMD;
}

/* data_commit_work - in a worker thread: END, fsync, rename, fsync */
static void
data_commit_work(void *arg)
{
	struct smtpd_session *s = arg;

	s->txn.commit_rc = queue_write_commit(s->txn.qw);
}

/* data_commit_done - back in the loop: answer, go on with the session */
static void
data_commit_done(void *arg)
{
	struct smtpd_session *s = arg;
	const char *error;

	if (s->txn.commit_rc < 0) {
		queue_write_error(s->txn.qw, &error);
		log_warn("%s: queue file: %s", queue_write_id(s->txn.qw), error);
		data_fail(s, reply_write_error);
	}
	data_conclude(s);
	smtpd_session_resume(s);
}

/*
 * data_finish - the whole message is in: refuse it, or commit it in a
 * worker so that other sessions go on while this one waits for its fsync.
 * Nothing else touches the session's queue writer meanwhile: the session
 * is in SMTPD_STATE_COMMIT, which executes no input.
 */
static void
data_finish(struct smtpd_session *s, uint64_t octets)
{
	struct smtpd_txn *t = &s->txn;

	if (param_message_size_limit > 0 &&
	    octets > (uint64_t)param_message_size_limit)
		data_fail(s, reply_too_big);
	/* Relayed too often: a mail loop (RFC 5321 6.3). */
	if (t->hops.received > (unsigned)param_hopcount_limit)
		data_fail(s, reply_too_many_hops);
	if (t->failed) {
		data_conclude(s);
		return;
	}
	s->state = SMTPD_STATE_COMMIT;
	workpool_submit(s->sd->pool, data_commit_work, data_commit_done, s);
}

/* data_check_order - MAIL and RCPT came first */
static bool
data_check_order(struct smtpd_session *s, enum smtpd_stat stat)
{
	if (!s->txn.active) {
		smtpd_count(s, stat, false);
		smtpd_reply(s, "503 5.5.1 Error: need MAIL command");
		return false;
	}
	if (s->txn.rcpt_count == 0) {
		smtpd_count(s, stat, false);
		smtpd_reply(s, "554 5.5.1 Error: no valid recipients");
		return false;
	}
	return true;
}

/* cmd_data - DATA: 354, then message text */
void
cmd_data(struct smtpd_session *s, struct smtp_cmd *cmd)
{
	struct smtpd_txn *t = &s->txn;

	(void)cmd;
	if (!data_check_order(s, SMTPD_STAT_DATA))
		return;
	if (t->bdat_started || t->body == SMTP_BODY_BINARYMIME) {
		smtpd_count(s, SMTPD_STAT_DATA, false);
		smtpd_reply(s, "503 5.5.1 Error: BDAT required for this "
			       "message");
		return;
	}
	if (data_open_queue(s) < 0) {
		smtpd_count(s, SMTPD_STAT_DATA, false);
		smtpd_reply(s, "%s", reply_write_error);
		smtpd_txn_reset(s);
		return;
	}
	dot_stuff_init(&t->ds, DOT_STUFF_LINE_MAX);
	smtpd_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	s->state = SMTPD_STATE_DATA;
}

/* smtpd_data_feed - message text after 354; returns octets used */
size_t
smtpd_data_feed(struct smtpd_session *s, const uint8_t *p, size_t n)
{
	struct smtpd_txn *t = &s->txn;
	size_t total = 0;

	while (total < n) {
		size_t used = 0;
		int done = dot_stuff_feed(&t->ds, p + total, n - total,
					  t->failed ? NULL : &t->chunk, &used);

		total += used;
		data_write(s, t->chunk.data, t->chunk.len);
		buf_reset(&t->chunk);
		if (done == 1) {
			if (t->ds.flags & DOT_STUFF_BARE_LF)
				data_fail(s, reply_bare_lf);
			else if (t->ds.flags & DOT_STUFF_BARE_CR)
				data_fail(s, reply_bare_cr);
			else if (t->ds.flags & DOT_STUFF_LONG_LINE)
				data_fail(s, reply_long_line);
			data_finish(s, t->ds.octets);
			break;
		}
		if (used == 0)
			break;
	}
	return total;
}

/* cmd_bdat - BDAT size [LAST]: a chunk of exactly size octets follows */
void
cmd_bdat(struct smtpd_session *s, struct smtp_cmd *cmd)
{
	struct smtpd_txn *t = &s->txn;

	/* The chunk follows whatever we answer: read it in any case. */
	t->bdat_remaining = cmd->chunk_octets;
	t->bdat_last = cmd->chunk_last;
	if (!t->active || t->rcpt_count == 0) {
		if (!t->active)
			data_fail(s, "503 5.5.1 Error: need MAIL command");
		else
			data_fail(s, "554 5.5.1 Error: no valid recipients");
	} else if (!t->bdat_started && !t->failed &&
		   data_open_queue(s) < 0) {
		data_fail(s, reply_write_error);
	}
	t->bdat_started = true;
	s->state = SMTPD_STATE_BDAT;
	if (t->bdat_remaining == 0)
		smtpd_bdat_feed(s, NULL, 0);
}

/* smtpd_bdat_feed - chunk octets; returns octets used */
size_t
smtpd_bdat_feed(struct smtpd_session *s, const uint8_t *p, size_t n)
{
	struct smtpd_txn *t = &s->txn;
	size_t take = n;

	if (take > t->bdat_remaining)
		take = (size_t)t->bdat_remaining;
	if (t->qw != NULL)
		data_write(s, p, take);
	t->bdat_remaining -= take;
	if (t->bdat_remaining > 0)
		return take;
	if (!t->active || t->rcpt_count == 0) {
		/* BDAT out of order: answer, forget the chunk. */
		smtpd_count(s, SMTPD_STAT_BDAT, false);
		smtpd_reply(s, "%s", t->fail_reply);
		t->failed = false;
		t->fail_reply = NULL;
		s->state = SMTPD_STATE_CMD;
		return take;
	}
	if (t->bdat_last) {
		data_finish(s, t->qw ? queue_write_content_size(t->qw) : 0);
		return take;
	}
	if (t->failed) {
		smtpd_count(s, SMTPD_STAT_BDAT, false);
		smtpd_reply(s, "%s", t->fail_reply);
	} else {
		smtpd_count(s, SMTPD_STAT_BDAT, true);
		smtpd_reply(s, "250 2.0.0 Ok: %llu octets",
			    (unsigned long long)queue_write_content_size(
				    t->qw));
	}
	s->state = SMTPD_STATE_CMD;
	return take;
}
