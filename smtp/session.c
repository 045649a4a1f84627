/*
 * session.c - one SMTP client session: connect, greeting, EHLO (HELO as
 * fallback), STARTTLS, mail transactions, RSET before reuse, QUIT.
 *
 *   smtp_session_connect   a new session to one server address
 *   smtp_session_reuse     a cached session, checked with RSET
 *   smtp_session_send      one transaction: MAIL, RCPTs, DATA, content
 *   smtp_session_release   into the cache, or QUIT
 *
 * Commands are pipelined when the server offers PIPELINING (RFC 2920:
 * MAIL, every RCPT and DATA in one write, the replies matched in order);
 * otherwise each waits for the previous reply. Every stage has its own
 * timeout (smtp_*_timeout). Content is streamed from the queue file through
 * content.c, never held whole, while the output stays under
 * SMTP_OUT_HIGH_WATER.
 *
 * Untrusted input: the server's bytes. Lines are bounded (SMTP_IN_MAX),
 * replies checked by lib/smtp_reply; a server that speaks no SMTP ends the
 * session, never the process. Bytes a server sends after its STARTTLS
 * reply and before the handshake are discarded, never read as replies.
 *
 * Lifetime: callbacks into deliver.c can end the session; a session is
 * only freed when no callback of its own is running (busy count).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/queue_read.h"
#include "lib/stream.h"
#include "lib/str.h"
#include "lib/tls.h"
#include "lib/xtext.h"
#include "smtp/smtp.h"

enum sess_state {
	S_CONNECT,	/* TCP connect in progress */
	S_GREETING,	/* waiting for 220 */
	S_EHLO,
	S_HELO,
	S_STARTTLS,	/* waiting for 220 to STARTTLS */
	S_TLS,		/* handshake */
	S_EHLO_TLS,	/* EHLO again inside TLS */
	S_RSET,		/* a cached session checked before reuse */
	S_READY,	/* owned by a delivery, between steps */
	S_TXN,		/* MAIL, RCPT, DATA replies */
	S_CONTENT,	/* sending the message */
	S_DOT,		/* waiting for the reply to the final '.' */
	S_IDLE,		/* in the cache */
	S_QUIT,		/* QUIT sent; close at the reply or timeout */
};

/* Stage names for "while ..." and "(in reply to ... command)". */
static const char *const sess_stage[] = {
	[S_CONNECT] = "connecting",
	[S_GREETING] = "receiving the initial server greeting",
	[S_EHLO] = "performing the EHLO handshake",
	[S_HELO] = "performing the HELO handshake",
	[S_STARTTLS] = "sending STARTTLS",
	[S_TLS] = "performing the TLS handshake",
	[S_EHLO_TLS] = "performing the EHLO handshake",
	[S_RSET] = "sending RSET",
	[S_READY] = "waiting",
	[S_TXN] = "sending MAIL FROM",
	[S_CONTENT] = "sending message body",
	[S_DOT] = "sending end of data -- message may be sent more than once",
	[S_IDLE] = "waiting in the connection cache",
	[S_QUIT] = "sending QUIT",
};

struct smtp_session {
	struct smtp_server *sv;
	struct smtp_delivery *dlv;	/* owner; NULL when idle or quitting */
	struct smtp_session *cache_prev, *cache_next;
	char *cache_key;
	int fd;
	struct event_io *io;
	struct event_timer *timer;
	struct stream st;		/* the socket, plain or TLS */
	struct buf in;
	struct buf out;
	struct smtp_reply reply;
	enum sess_state state;
	struct smtp_target target;
	size_t target_index;
	char peer[SMTP_PEER_MAX];	/* "host[addr]:port" */
	char namaddr[SMTP_PEER_MAX];	/* "host[addr]", as Postfix's replies */
	unsigned features;
	uint64_t size_limit;
	unsigned messages;		/* transactions completed */
	bool broken;			/* not reusable */
	int connect_err;		/* connect() failed at once */
	unsigned busy;			/* callbacks of this session running */
	bool zombie;			/* free when busy drops to 0 */
	/* The transaction. */
	size_t *txn;			/* indexes into dlv->rcpts */
	size_t txn_count;
	size_t cmd_sent;		/* 0 MAIL, 1..n RCPT, n+1 DATA */
	size_t cmd_answered;
	bool mail_ok;
	size_t accepted;
	bool empty_dot;			/* '.' sent without recipients */
	bool content_eof;
	struct smtp_content enc;
	struct buf conv;		/* a chunk converted to 7 bit */
};

static void sess_update_events(struct smtp_session *s);
static void sess_fail(struct smtp_session *s, const char *dsn,
		      const char *text, bool next);

/* smtp_session_peer - "host[addr]:port" */
const char *
smtp_session_peer(const struct smtp_session *s)
{
	return s->peer;
}

/* smtp_session_features - the extensions of the last EHLO */
unsigned
smtp_session_features(const struct smtp_session *s)
{
	return s->features;
}

/* smtp_session_size_limit - SIZE of the last EHLO */
uint64_t
smtp_session_size_limit(const struct smtp_session *s)
{
	return s->size_limit;
}

/* sess_timeout_ms - a timeout parameter in milliseconds */
static uint64_t
sess_timeout_ms(int64_t seconds)
{
	return seconds > 0 ? (uint64_t)seconds * 1000 : 1000;
}

/* sess_arm - the timer for the stage just entered */
static void
sess_arm(struct smtp_session *s)
{
	int64_t t;

	switch (s->state) {
	case S_CONNECT: t = param_smtp_connect_timeout; break;
	case S_GREETING: case S_EHLO: case S_HELO: case S_EHLO_TLS:
		t = param_smtp_helo_timeout; break;
	case S_STARTTLS: case S_TLS: t = param_smtp_starttls_timeout; break;
	case S_RSET: t = param_smtp_rset_timeout; break;
	case S_TXN: t = param_smtp_rcpt_timeout; break;
	case S_CONTENT: t = param_smtp_data_xfer_timeout; break;
	case S_DOT: t = param_smtp_data_done_timeout; break;
	case S_QUIT: t = param_smtp_quit_timeout; break;
	case S_IDLE: t = param_smtp_connection_cache_time_limit; break;
	case S_READY: default:
		event_timer_stop(s->timer);
		return;
	}
	event_timer_reset(s->timer, sess_timeout_ms(t));
}

/* sess_enter - a new state with its timer */
static void
sess_enter(struct smtp_session *s, enum sess_state state)
{
	s->state = state;
	sess_arm(s);
}

/* sess_cache_unlink - take s out of the idle list */
static void
sess_cache_unlink(struct smtp_server *sv, struct smtp_session *s)
{
	if (s->cache_prev != NULL)
		s->cache_prev->cache_next = s->cache_next;
	else
		sv->cache_head = s->cache_next;
	if (s->cache_next != NULL)
		s->cache_next->cache_prev = s->cache_prev;
	else
		sv->cache_tail = s->cache_prev;
	sv->cache_count--;
	s->cache_prev = s->cache_next = NULL;
	mem_free(&s->cache_key);
}

/* sess_free_now - release everything */
static void
sess_free_now(struct smtp_session *s)
{
	struct smtp_server *sv = s->sv;

	if (s->cache_key != NULL)
		sess_cache_unlink(sv, s);
	event_io_remove(&s->io);
	event_timer_remove(&s->timer);
	stream_deinit(&s->st);
	if (s->fd >= 0)
		close(s->fd);
	buf_deinit(&s->in);
	buf_deinit(&s->out);
	buf_deinit(&s->conv);
	smtp_reply_deinit(&s->reply);
	mem_free(&s->txn);
	mem_free(&s);
}

/* sess_free - free now, or when the running callback returns */
static void
sess_free(struct smtp_session *s)
{
	if (s->dlv != NULL && s->dlv->sess == s)
		s->dlv->sess = NULL;
	s->dlv = NULL;
	if (s->busy > 0) {
		s->zombie = true;
		if (s->io != NULL)
			event_io_set(s->io, 0);
		event_timer_stop(s->timer);
		return;
	}
	sess_free_now(s);
}

/* sess_send - queue one command line */
static void
sess_send(struct smtp_session *s, const char *line)
{
	log_debug("> %s: %s", s->peer, line);
	buf_append_str(&s->out, line);
	buf_append(&s->out, "\r\n", 2);
}

/* sess_said - "host X said: REPLY (in reply to CMD command)" */
static void
sess_said(const struct smtp_session *s, const char *cmd, char *out,
	  size_t size)
{
	str_format(out, size, "host %s said: %s (in reply to %s command)",
		 s->namaddr, s->reply.text, cmd);
}

/* sess_reply_dsn - the reply's enhanced code, or one from its class */
static const char *
sess_reply_dsn(const struct smtp_session *s)
{
	if (s->reply.dsn[0] != '\0')
		return s->reply.dsn;
	return s->reply.code >= 500 ? "5.0.0"
	       : s->reply.code >= 400 ? "4.0.0" : "2.0.0";
}

/* sess_rcpt_reply - a recipient's final result from the current reply */
static void
sess_rcpt_reply(struct smtp_session *s, size_t rcpt, const char *cmd)
{
	struct smtp_delivery *dlv = s->dlv;
	char text[DELIVER_TEXT_MAX + 1];

	if (dlv->rcpts[rcpt].done)
		return;
	sess_said(s, cmd, text, sizeof(text));
	smtp_rcpt_final(dlv, &dlv->rcpts[rcpt],
			s->reply.code >= 500 ? DELIVER_STATUS_BOUNCED
					     : DELIVER_STATUS_DEFERRED,
			sess_reply_dsn(s), text);
}

/* ---- connection setup ---- */

/* sess_ehlo - send EHLO (or HELO) */
static void
sess_ehlo(struct smtp_session *s, bool ehlo, enum sess_state next)
{
	char line[SMTP_PEER_MAX + 16];

	snprintf(line, sizeof(line), "%s %s", ehlo ? "EHLO" : "HELO",
		 s->sv->helo_name);
	sess_send(s, line);
	sess_enter(s, next);
}

/* sess_ready - setup done: the delivery may send */
static void
sess_ready(struct smtp_session *s)
{
	sess_enter(s, S_READY);
	if (s->dlv != NULL)
		smtp_delivery_session_ready(s->dlv);
}

/* sess_after_ehlo - TLS policy once the extensions are known */
static void
sess_after_ehlo(struct smtp_session *s)
{
	enum smtp_tls_level level = s->sv->tls_level;
	char text[DELIVER_TEXT_MAX + 1];

	if (stream_is_tls(&s->st) || level == SMTP_TLS_NONE ||
	    s->target.no_tls) {
		sess_ready(s);
		return;
	}
	if (s->features & SMTP_EXT_STARTTLS) {
		sess_send(s, "STARTTLS");
		sess_enter(s, S_STARTTLS);
		return;
	}
	if (level == SMTP_TLS_MAY) {
		sess_ready(s);
		return;
	}
	str_format(text, sizeof(text),
		 "TLS is required, but was not offered by host %s", s->namaddr);
	sess_fail(s, "4.7.4", text, true);
}

/* sess_tls_start - the server said 220 to STARTTLS: hand shake */
static void
sess_tls_start(struct smtp_session *s)
{
	const char *verify = s->sv->tls_level == SMTP_TLS_VERIFY
				     ? s->target.host
				     : NULL;

	/* SECURITY: anything the server sent after its 220 came before
	 * the handshake and must not be taken as a reply inside TLS. */
	buf_reset(&s->in);
	stream_tls_start(&s->st, tls_conn_client(s->sv->tls, s->fd,
						  s->target.host, verify));
	sess_enter(s, S_TLS);
}

/* sess_tls_step - drive the handshake */
static void
sess_tls_step(struct smtp_session *s)
{
	char text[DELIVER_TEXT_MAX + 1];

	switch (stream_handshake(&s->st)) {
	case 1:
		break;
	case 0:
		return;
	default:
		str_format(text, sizeof(text),
			 "TLS handshake with %s failed: %s", s->peer,
			 stream_error(&s->st));
		if (s->sv->tls_level == SMTP_TLS_MAY && s->dlv != NULL) {
			/* Opportunistic TLS: the same server again, in
			 * plain text (Postfix does the same). */
			log_info("%s: %s; trying again without TLS",
				 s->dlv->queue_id, text);
			s->dlv->targets[s->target_index].no_tls = true;
			s->dlv->next_target = s->target_index;
			s->dlv->sessions--;
		}
		s->broken = true;
		sess_fail(s, "4.7.5", text, true);
		return;
	}
	tls_log_established(stream_tls(&s->st), true, s->peer);
	if (s->sv->tls_level == SMTP_TLS_VERIFY &&
	    !tls_conn_verified(stream_tls(&s->st))) {
		str_format(text, sizeof(text),
			 "Server certificate not verified: %s: %s", s->peer,
			 tls_conn_error(stream_tls(&s->st)));
		s->broken = true;
		sess_fail(s, "4.7.5", text, true);
		return;
	}
	s->features = 0;
	sess_ehlo(s, true, S_EHLO_TLS);
}

/* ---- the transaction ---- */

/* sess_mail_cmd - MAIL FROM with the parameters the server takes */
static void
sess_mail_cmd(struct smtp_session *s)
{
	const struct queue_message *msg = s->dlv->msg;
	struct buf line;

	buf_init(&line, 4096);
	buf_printf(&line, "MAIL FROM:<%s>", msg->sender);
	if (s->features & SMTP_EXT_SIZE)
		buf_printf(&line, " SIZE=%llu",
			   (unsigned long long)msg->content_size);
	if ((s->features & SMTP_EXT_8BITMIME) &&
	    (msg->body == QUEUE_BODY_8BITMIME ||
	     msg->body == QUEUE_BODY_BINARYMIME))
		buf_append_str(&line, " BODY=8BITMIME");
	if ((s->features & SMTP_EXT_SMTPUTF8) && msg->smtputf8)
		buf_append_str(&line, " SMTPUTF8");
	if (s->features & SMTP_EXT_DSN) {
		if (msg->ret == QUEUE_RET_FULL)
			buf_append_str(&line, " RET=FULL");
		else if (msg->ret == QUEUE_RET_HDRS)
			buf_append_str(&line, " RET=HDRS");
		if (msg->envid != NULL) {
			buf_append_str(&line, " ENVID=");
			xtext_encode((const uint8_t *)msg->envid,
				     strlen(msg->envid), &line);
		}
	}
	sess_send(s, buf_cstr(&line));
	buf_deinit(&line);
}

/* sess_rcpt_cmd - RCPT TO with NOTIFY and ORCPT when the server has DSN */
static void
sess_rcpt_cmd(struct smtp_session *s, size_t k)
{
	const struct smtp_rcpt *r = &s->dlv->rcpts[s->txn[k]];
	const struct queue_rcpt *qr = &s->dlv->msg->rcpts[r->index];
	struct buf line;

	buf_init(&line, 4096);
	buf_printf(&line, "RCPT TO:<%s>", r->address);
	if ((s->features & SMTP_EXT_DSN) && qr->notify != 0) {
		const char *sep = " NOTIFY=";

		if (qr->notify & QUEUE_NOTIFY_NEVER) {
			buf_append_str(&line, " NOTIFY=NEVER");
		} else {
			if (qr->notify & QUEUE_NOTIFY_SUCCESS) {
				buf_printf(&line, "%sSUCCESS", sep);
				sep = ",";
			}
			if (qr->notify & QUEUE_NOTIFY_FAILURE) {
				buf_printf(&line, "%sFAILURE", sep);
				sep = ",";
			}
			if (qr->notify & QUEUE_NOTIFY_DELAY)
				buf_printf(&line, "%sDELAY", sep);
		}
	}
	if ((s->features & SMTP_EXT_DSN) && qr->orcpt != NULL &&
	    qr->orcpt_type != NULL) {
		buf_printf(&line, " ORCPT=%s;", qr->orcpt_type);
		xtext_encode((const uint8_t *)qr->orcpt, strlen(qr->orcpt),
			     &line);
	}
	sess_send(s, buf_cstr(&line));
	buf_deinit(&line);
}

/* sess_send_cmds - send what may be sent now: all when pipelining */
static void
sess_send_cmds(struct smtp_session *s)
{
	size_t total = s->txn_count + 2;

	while (s->cmd_sent < total) {
		if (!(s->features & SMTP_EXT_PIPELINING) &&
		    s->cmd_sent > s->cmd_answered)
			return;
		if (s->cmd_sent == 0)
			sess_mail_cmd(s);
		else if (s->cmd_sent <= s->txn_count)
			sess_rcpt_cmd(s, s->cmd_sent - 1);
		else
			sess_send(s, "DATA");
		s->cmd_sent++;
	}
}

/* sess_txn_end - the transaction is over, the delivery takes it on */
static void
sess_txn_end(struct smtp_session *s)
{
	s->messages++;
	sess_enter(s, S_READY);
	if (s->dlv != NULL)
		smtp_delivery_txn_done(s->dlv);
}

/* sess_content_fill - encode content ahead of the socket */
static int
sess_content_fill(struct smtp_session *s)
{
	enum queue_err qerr;
	const char *error;
	const uint8_t *p;
	size_t n;
	int rc;

	while (!s->content_eof && s->out.len < SMTP_OUT_HIGH_WATER) {
		rc = queue_read_content_next(s->dlv->msg, &p, &n, &qerr,
					     &error);
		if (rc < 0) {
			log_warn("%s: cannot read queue file: %s",
				 s->dlv->queue_id, error);
			return -1;
		}
		if (rc == 0) {
			if (s->dlv->downgrade != NULL) {
				buf_reset(&s->conv);
				smtp_downgrade_finish(s->dlv->downgrade,
						      &s->conv);
				smtp_content_encode(&s->enc, s->conv.data,
						    s->conv.len, &s->out);
			}
			smtp_content_finish(&s->enc, &s->out);
			s->content_eof = true;
			break;
		}
		if (s->dlv->downgrade != NULL) {
			buf_reset(&s->conv);
			smtp_downgrade_feed(s->dlv->downgrade, p, n, &s->conv);
			p = s->conv.data;
			n = s->conv.len;
		}
		smtp_content_encode(&s->enc, p, n, &s->out);
	}
	return 0;
}

/* sess_txn_reply - one reply of MAIL, RCPT or DATA, in order */
static void
sess_txn_reply(struct smtp_session *s)
{
	struct smtp_delivery *dlv = s->dlv;
	size_t k = s->cmd_answered++, i;
	bool ok = s->reply.code >= 200 && s->reply.code < 300;

	if (k == 0) {
		s->mail_ok = ok;
		if (!ok)
			for (i = 0; i < s->txn_count; i++)
				sess_rcpt_reply(s, s->txn[i], "MAIL FROM");
	} else if (k <= s->txn_count) {
		size_t r = s->txn[k - 1];

		if (s->mail_ok && ok) {
			dlv->rcpts[r].accepted = true;
			s->accepted++;
		} else if (s->mail_ok) {
			sess_rcpt_reply(s, r, "RCPT TO");
		}
	} else {
		if (s->reply.code == 354) {
			if (s->accepted == 0) {
				/* RFC 2920 3.1: an empty message ends it. */
				sess_send(s, ".");
				s->empty_dot = true;
				sess_enter(s, S_DOT);
				return;
			}
			smtp_content_init(&s->enc);
			queue_read_content_rewind(dlv->msg);
			s->content_eof = false;
			sess_enter(s, S_CONTENT);
			if (sess_content_fill(s) < 0) {
				s->broken = true;
				sess_fail(s, "4.3.0", "cannot read queue file",
					  false);
			}
			return;
		}
		if (s->mail_ok)
			for (i = 0; i < s->txn_count; i++)
				if (dlv->rcpts[s->txn[i]].accepted)
					sess_rcpt_reply(s, s->txn[i], "DATA");
		sess_txn_end(s);
		return;
	}
	if (s->reply.code == 421) {
		s->broken = true;
		return;
	}
	/* Without pipelining: stop early when nothing can come of it. */
	if (!(s->features & SMTP_EXT_PIPELINING)) {
		if (!s->mail_ok ||
		    (s->cmd_answered == s->txn_count + 1 && s->accepted == 0)) {
			sess_txn_end(s);
			return;
		}
		sess_send_cmds(s);
	}
}

/* sess_dot_reply - the reply to the final '.' */
static void
sess_dot_reply(struct smtp_session *s)
{
	struct smtp_delivery *dlv = s->dlv;
	char text[DELIVER_TEXT_MAX + 1];
	size_t i;

	if (!s->empty_dot) {
		bool ok = s->reply.code >= 200 && s->reply.code < 300;

		for (i = 0; i < s->txn_count; i++) {
			struct smtp_rcpt *r = &dlv->rcpts[s->txn[i]];

			if (!r->accepted || r->done)
				continue;
			if (ok)
				smtp_rcpt_final(dlv, r, DELIVER_STATUS_SENT,
						sess_reply_dsn(s),
						s->reply.text);
			else {
				sess_said(s, "end of DATA", text,
					  sizeof(text));
				smtp_rcpt_final(
				    dlv, r,
				    s->reply.code >= 500
					? DELIVER_STATUS_BOUNCED
					: DELIVER_STATUS_DEFERRED,
				    sess_reply_dsn(s), text);
			}
		}
	}
	if (s->reply.code == 421)
		s->broken = true;
	sess_txn_end(s);
}

/* ---- replies ---- */

/* sess_refused - the server refused the session at a setup stage */
static void
sess_refused(struct smtp_session *s, const char *what)
{
	char text[DELIVER_TEXT_MAX + 1];

	str_format(text, sizeof(text), "host %s %s: %s", s->namaddr, what,
		 s->reply.text);
	s->broken = true;
	sess_fail(s, s->reply.code >= 500 ? "5.0.0" : "4.0.0", text, true);
}

/* sess_on_reply - a complete reply arrived */
static void
sess_on_reply(struct smtp_session *s)
{
	bool ok = s->reply.code >= 200 && s->reply.code < 300;

	log_debug("< %s: %s", s->peer, s->reply.text);
	switch (s->state) {
	case S_GREETING:
		if (!ok) {
			sess_refused(s, "refused to talk to me");
			return;
		}
		if (s->dlv != NULL)
			s->dlv->sessions++;
		sess_ehlo(s, true, S_EHLO);
		return;
	case S_EHLO:
	case S_EHLO_TLS:
		if (ok) {
			s->features = smtp_ehlo_features(&s->reply,
							 &s->size_limit);
			sess_after_ehlo(s);
		} else if (s->state == S_EHLO && s->reply.code != 421) {
			sess_ehlo(s, false, S_HELO);
		} else {
			sess_refused(s, "refused EHLO");
		}
		return;
	case S_HELO:
		if (!ok) {
			sess_refused(s, "refused HELO");
			return;
		}
		s->features = 0;
		s->size_limit = 0;
		sess_after_ehlo(s);
		return;
	case S_STARTTLS:
		if (s->reply.code == 220) {
			sess_tls_start(s);
			sess_tls_step(s);
		} else if (s->sv->tls_level == SMTP_TLS_MAY) {
			sess_ready(s);
		} else {
			sess_refused(s, "refused STARTTLS");
		}
		return;
	case S_RSET:
		if (!ok) {
			sess_refused(s, "refused RSET");
			return;
		}
		sess_ready(s);
		return;
	case S_TXN:
		sess_txn_reply(s);
		return;
	case S_DOT:
		sess_dot_reply(s);
		return;
	case S_QUIT:
		sess_free(s);
		return;
	case S_IDLE:
		/* A cached session's server hung up with 421 or spoke out
		 * of turn: drop it. */
		log_debug("%s: closing cached session: %s", s->peer,
			  s->reply.text);
		sess_free(s);
		return;
	default:
		/* A reply nobody asked for (S_READY, S_CONTENT). */
		{
			char text[DELIVER_TEXT_MAX + 1];

			str_format(text, sizeof(text),
				 "host %s sent an unexpected reply while %s: "
				 "%s",
				 s->peer, sess_stage[s->state], s->reply.text);
			s->broken = true;
			sess_fail(s, "4.5.0", text,
				  s->state != S_CONTENT);
		}
		return;
	}
}

/* sess_lost - the server closed or the socket failed */
static void
sess_lost(struct smtp_session *s, const char *why)
{
	char text[DELIVER_TEXT_MAX + 1];

	s->broken = true;
	if (s->dlv == NULL) {
		sess_free(s);
		return;
	}
	str_format(text, sizeof(text), "%s with %s while %s", why, s->namaddr,
		 sess_stage[s->state]);
	/* After the final '.' the message may be in: no other server. */
	sess_fail(s, "4.4.2", text, s->state != S_DOT);
}

/* sess_read_lines - read what is there and act on complete replies */
static void
sess_read_lines(struct smtp_session *s)
{
	for (;;) {
		uint8_t *nl;
		const char *error;
		size_t room;
		ssize_t n;
		int rc;

		while (s->in.len > 0 && !s->zombie &&
		       (nl = memchr(s->in.data, '\n', s->in.len)) != NULL) {
			size_t len = (size_t)(nl - s->in.data);
			size_t line = len > 0 && s->in.data[len - 1] == '\r'
					  ? len - 1
					  : len;

			rc = smtp_reply_add(&s->reply, s->in.data, line,
					    &error);
			buf_consume(&s->in, len + 1);
			if (rc < 0) {
				char text[DELIVER_TEXT_MAX + 1];

				str_format(text, sizeof(text),
					 "host %s: %s while %s", s->namaddr,
					 error, sess_stage[s->state]);
				s->broken = true;
				if (s->dlv == NULL)
					sess_free(s);
				else
					sess_fail(s, "4.5.0", text,
						  s->state != S_DOT);
				return;
			}
			if (rc == 1) {
				enum sess_state before = s->state;

				sess_on_reply(s);
				smtp_reply_reset(&s->reply);
				/* After the handshake starts, bytes are TLS. */
				if (before == S_STARTTLS || s->zombie)
					return;
			}
		}
		if (s->zombie || s->state == S_TLS || s->state == S_CONNECT)
			return;
		room = buf_room(&s->in);
		if (room == 0) {
			s->broken = true;
			if (s->dlv == NULL)
				sess_free(s);
			else
				sess_fail(s, "4.5.0", "reply line too long",
					  s->state != S_DOT);
			return;
		}
		n = stream_read(&s->st, buf_reserve(&s->in, room), room);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			sess_lost(s, n == 0 || !stream_is_tls(&s->st)
					 ? "lost connection"
					 : "TLS error");
			return;
		}
		buf_commit(&s->in, (size_t)n);
	}
}

/* sess_flush - write pending output; -1 when the connection failed */
static int
sess_flush(struct smtp_session *s)
{
	while (s->out.len > 0) {
		ssize_t n;

		n = stream_write(&s->st, s->out.data, s->out.len);
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		buf_consume(&s->out, (size_t)n);
		if (s->state == S_CONTENT)
			sess_arm(s);	/* progress resets the xfer timer */
		if (s->state == S_CONTENT && s->out.len < SMTP_OUT_HIGH_WATER / 2 &&
		    sess_content_fill(s) < 0)
			return -2;
	}
	if (s->state == S_CONTENT && s->content_eof)
		sess_enter(s, S_DOT);
	return 0;
}

/* sess_connected - the TCP connect finished, well or not */
static void
sess_connected(struct smtp_session *s)
{
	char text[DELIVER_TEXT_MAX + 1];
	socklen_t len = sizeof(int);
	int err = 0;

	if (s->connect_err != 0)
		err = s->connect_err;
	else if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		str_format(text, sizeof(text), "connect to %s: %s", s->peer,
			 strerror(err));
		s->broken = true;
		sess_fail(s, "4.4.1", text, true);
		return;
	}
	sess_enter(s, S_GREETING);
}

/* sess_on_io - readiness of the socket */
static void
sess_on_io(void *ctx, int fd, unsigned revents)
{
	struct smtp_session *s = ctx;
	int rc;

	(void)fd;
	(void)revents;
	s->busy++;
	if (s->state == S_CONNECT) {
		sess_connected(s);
	} else if (s->state == S_TLS) {
		sess_tls_step(s);
		if (!s->zombie && s->state != S_TLS)
			sess_flush(s);
	} else {
		if (s->out.len > 0) {
			rc = sess_flush(s);
			if (rc == -2) {
				s->broken = true;
				sess_fail(s, "4.3.0", "cannot read queue file",
					  false);
			} else if (rc < 0) {
				sess_lost(s, "lost connection");
			}
		}
		/* Whatever fired: with TLS a read may wait for writability. */
		if (!s->zombie)
			sess_read_lines(s);
		/* Decrypted bytes may wait inside TLS without a wakeup. */
		while (!s->zombie && s->state != S_TLS &&
		       stream_has_pending(&s->st) && buf_room(&s->in) > 0)
			sess_read_lines(s);
	}
	if (!s->zombie && s->out.len > 0 && s->state != S_CONNECT &&
	    s->state != S_TLS) {
		rc = sess_flush(s);
		if (rc == -2) {
			s->broken = true;
			sess_fail(s, "4.3.0", "cannot read queue file", false);
		} else if (rc < 0) {
			sess_lost(s, "lost connection");
		}
	}
	s->busy--;
	if (s->zombie) {
		if (s->busy == 0)
			sess_free_now(s);
		return;
	}
	sess_update_events(s);
}

/* sess_on_timer - the stage took too long */
static void
sess_on_timer(void *ctx)
{
	struct smtp_session *s = ctx;
	char text[DELIVER_TEXT_MAX + 1];

	s->busy++;
	if (s->state == S_IDLE || s->state == S_QUIT || s->dlv == NULL) {
		s->busy--;
		sess_free(s);
		return;
	}
	s->broken = true;
	if (s->state == S_CONNECT && s->connect_err != 0) {
		s->busy--;
		sess_connected(s);
		return;
	}
	if (s->state == S_CONNECT)
		str_format(text, sizeof(text),
			 "connect to %s: Connection timed out", s->peer);
	else
		str_format(text, sizeof(text),
			 "conversation with %s timed out while %s", s->namaddr,
			 sess_stage[s->state]);
	sess_fail(s, "4.4.2", text, s->state != S_DOT);
	s->busy--;
	if (s->zombie && s->busy == 0)
		sess_free_now(s);
}

/* sess_update_events - what the socket is watched for */
static void
sess_update_events(struct smtp_session *s)
{
	unsigned ev;

	if (s->state == S_CONNECT)
		ev = EVENT_WRITE;
	else
		ev = stream_events(&s->st, true, s->out.len > 0);
	event_io_set(s->io, ev);
}

/* sess_fail - the session cannot go on: tell the delivery, free */
static void
sess_fail(struct smtp_session *s, const char *dsn, const char *text,
	  bool next)
{
	struct smtp_delivery *dlv = s->dlv;

	sess_free(s);
	if (dlv != NULL)
		smtp_delivery_session_failed(dlv, dsn, text, next);
}

/* ---- public ---- */

/* smtp_session_connect - start a session to target */
struct smtp_session *
smtp_session_connect(struct smtp_delivery *dlv,
		     const struct smtp_target *target)
{
	struct smtp_session *s = mem_alloc(sizeof(*s));
	struct sockaddr_storage ss;
	socklen_t sslen;
	char addr[64];

	s->sv = dlv->sv;
	s->dlv = dlv;
	s->target = *target;
	s->target_index = (size_t)(target - dlv->targets);
	buf_init(&s->in, SMTP_IN_MAX);
	buf_init(&s->out, SMTP_OUT_HIGH_WATER + 256 * 1024 +
			      DELIVER_MAX_RCPTS * 1100);
	/* A 64 KB chunk grows at most 3.2 times, plus a rewritten header. */
	buf_init(&s->conv, 4 * 65536 + 2 * 256 * 1024);
	smtp_reply_init(&s->reply);
	nexthop_addr_format(&target->addr, addr, sizeof(addr));
	str_format(s->namaddr, sizeof(s->namaddr), "%s[%s]", target->host,
		 addr);
	str_format(s->peer, sizeof(s->peer), "%s:%u", s->namaddr, dlv->nh.port);
	memset(&ss, 0, sizeof(ss));
	if (target->addr.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)dlv->nh.port);
		sin->sin_addr = target->addr.u.v4;
		sslen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)dlv->nh.port);
		sin6->sin6_addr = target->addr.u.v6;
		sslen = sizeof(*sin6);
	}
	s->fd = socket(target->addr.family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	stream_init(&s->st, s->fd);
	s->timer = event_timer_add(dlv->sv->loop, 1000, sess_on_timer, s);
	s->state = S_CONNECT;
	if (s->fd < 0) {
		/* Report from the loop, never from inside this call. */
		s->connect_err = errno;
		event_timer_reset(s->timer, 0);
		return s;
	}
	s->io = event_io_add(dlv->sv->loop, s->fd, EVENT_WRITE, sess_on_io, s);
	if (connect(s->fd, (struct sockaddr *)&ss, sslen) < 0 &&
	    errno != EINPROGRESS) {
		s->connect_err = errno;
		event_io_set(s->io, 0);
		event_timer_reset(s->timer, 0);
		return s;
	}
	sess_arm(s);
	return s;
}

/* smtp_session_reuse - a cached session for dlv, checked with RSET */
void
smtp_session_reuse(struct smtp_session *s, struct smtp_delivery *dlv)
{
	s->dlv = dlv;
	dlv->sess = s;
	sess_send(s, "RSET");
	sess_enter(s, S_RSET);
	sess_flush(s);
	sess_update_events(s);
}

/* smtp_session_send - one mail transaction for s->dlv */
void
smtp_session_send(struct smtp_session *s)
{
	struct smtp_delivery *dlv = s->dlv;
	size_t i;

	mem_free(&s->txn);
	s->txn = mem_alloc_array(dlv->rcpt_count, sizeof(*s->txn));
	s->txn_count = 0;
	for (i = 0; i < dlv->rcpt_count; i++) {
		dlv->rcpts[i].accepted = false;
		if (!dlv->rcpts[i].done)
			s->txn[s->txn_count++] = i;
	}
	s->cmd_sent = 0;
	s->cmd_answered = 0;
	s->mail_ok = false;
	s->accepted = 0;
	s->empty_dot = false;
	s->content_eof = false;
	sess_enter(s, S_TXN);
	sess_send_cmds(s);
	if (sess_flush(s) < 0) {
		/* Reported from the loop: the read side sees the EOF. */
		s->broken = true;
	}
	sess_update_events(s);
}

/* smtp_session_abandon - close without telling anyone */
void
smtp_session_abandon(struct smtp_session *s)
{
	s->broken = true;
	sess_free(s);
}

/* cache_evict_oldest - make room in the cache */
static void
cache_evict_oldest(struct smtp_server *sv)
{
	struct smtp_session *old = sv->cache_head;

	if (old != NULL)
		sess_free(old);
}

/* smtp_session_release - cache s under key, or say goodbye */
void
smtp_session_release(struct smtp_session *s, const char *key)
{
	struct smtp_server *sv = s->sv;
	bool reuse = !s->broken && param_smtp_connection_cache_time_limit > 0 &&
		     (param_smtp_connection_reuse_count_limit == 0 ||
		      s->messages <
			  (unsigned)param_smtp_connection_reuse_count_limit);

	if (s->dlv != NULL && s->dlv->sess == s)
		s->dlv->sess = NULL;
	s->dlv = NULL;
	if (s->broken) {
		sess_free(s);
		return;
	}
	if (!reuse) {
		sess_send(s, "QUIT");
		sess_enter(s, S_QUIT);
		if (sess_flush(s) < 0) {
			sess_free(s);
			return;
		}
		sess_update_events(s);
		return;
	}
	if (sv->cache_count >= SMTP_CACHE_MAX)
		cache_evict_oldest(sv);
	s->cache_key = mem_strdup(key);
	s->cache_next = NULL;
	s->cache_prev = sv->cache_tail;
	if (sv->cache_tail != NULL)
		sv->cache_tail->cache_next = s;
	else
		sv->cache_head = s;
	sv->cache_tail = s;
	sv->cache_count++;
	sess_enter(s, S_IDLE);
	sess_update_events(s);
}

/* smtp_session_cache_take - the newest idle session for key */
struct smtp_session *
smtp_session_cache_take(struct smtp_server *sv, const char *key)
{
	struct smtp_session *s;

	for (s = sv->cache_tail; s != NULL; s = s->cache_prev) {
		if (s->zombie || strcmp(s->cache_key, key) != 0)
			continue;
		sess_cache_unlink(sv, s);
		return s;
	}
	return NULL;
}

/* smtp_session_close_cache - QUIT is not worth waiting for at exit */
void
smtp_session_close_cache(struct smtp_server *sv)
{
	while (sv->cache_head != NULL)
		sess_free(sv->cache_head);
}
