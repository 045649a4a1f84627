/*
 * session.c - one SMTP session: I/O, framing, replies, timeouts.
 *
 * smtpd_session_accept (a new connection), smtpd_reply (queue a reply),
 * smtpd_session_close_after_reply, smtpd_session_resume, smtpd_txn_reset.
 *
 * Untrusted input: everything read from the client. The input buffer is
 * bounded (SMTPD_IN_MAX); command lines are framed by lib/smtp_line (CRLF
 * only, 512 octets; AUTH lines SMTPD_AUTH_LINE_MAX when AUTH is enabled);
 * message text goes through lib/dot_stuff. Replies to pipelined commands
 * are answered in order and flushed when no complete command is left in
 * the input (RFC 2920 3.1). While the client does not read its replies
 * (more than SMTPD_OUT_HIGH_WATER pending), no further command is
 * executed. A session that says nothing for smtpd_timeout is closed with
 * 421 (without a reply during a TLS handshake).
 *
 * I/O goes through lib/stream, which hides whether TLS is on. Input that
 * OpenSSL has decrypted but the session could not take yet is not seen by
 * epoll: session_update_interest schedules a read for it (stream.h rule
 * 3). After "220 Ready to start TLS" the session reads nothing more in
 * plaintext: the next byte from the socket belongs to the handshake.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/sockaddr.h"
#include "lib/str.h"
#include "smtpd/smtpd.h"

static void session_process(struct smtpd_session *s);
static void session_free(struct smtpd_session *s);
static void session_on_io(void *ctx, int fd, unsigned revents);

/* smtpd_reply - append one reply line (CRLF added) */
void
smtpd_reply(struct smtpd_session *s, const char *fmt, ...)
{
	char line[SMTPD_HEADER_MAX];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = str_vline(line, sizeof(line), NULL, fmt, ap);
	va_end(ap);
	/* The high-water check before each command keeps this far below
	 * the maximum; hitting it would be our bug. */
	buf_append(&s->out, line, n);
}

/* smtpd_session_close_after_reply - finish the session once flushed */
void
smtpd_session_close_after_reply(struct smtpd_session *s)
{
	s->state = SMTPD_STATE_CLOSING;
}

/* smtpd_txn_reset - forget the mail transaction (RSET, after DATA) */
void
smtpd_txn_reset(struct smtpd_session *s)
{
	struct smtpd_txn *t = &s->txn;
	size_t i;

	for (i = 0; i < t->rcpt_count; i++) {
		mem_free(&t->rcpts[i].address);
		mem_free(&t->rcpts[i].orcpt_type);
		mem_free(&t->rcpts[i].orcpt);
	}
	mem_free(&t->rcpts);
	mem_free(&t->sender);
	mem_free(&t->envid);
	queue_write_free(&t->qw);
	buf_deinit(&t->chunk);
	memset(t, 0, sizeof(*t));
	buf_init(&t->chunk, SMTPD_CONTENT_CHUNK);
}

/* session_log_disconnect - Postfix-style summary of the session */
static void
session_log_disconnect(struct smtpd_session *s)
{
	static const char *const names[SMTPD_STAT_COUNT] = {
		"helo", "ehlo", "starttls", "auth", "mail", "rcpt", "data",
		"bdat", "rset", "noop", "quit", "vrfy", "unknown",
	};
	char text[512];
	size_t used = 0;
	unsigned total_ok = 0, total = 0;
	int i;

	text[0] = '\0';
	for (i = 0; i < SMTPD_STAT_COUNT; i++) {
		unsigned ok = s->stats[i][0], bad = s->stats[i][1];
		int n;

		if (ok + bad == 0)
			continue;
		total_ok += ok;
		total += ok + bad;
		if (bad == 0)
			n = snprintf(text + used, sizeof(text) - used, " %s=%u",
				     names[i], ok);
		else
			n = snprintf(text + used, sizeof(text) - used,
				     " %s=%u/%u", names[i], ok, ok + bad);
		if (n < 0 || (size_t)n >= sizeof(text) - used)
			break;
		used += (size_t)n;
	}
	if (total_ok == total)
		log_info("disconnect from %s[%s]%s commands=%u", s->client_name,
			 s->client_addr, text, total);
	else
		log_info("disconnect from %s[%s]%s commands=%u/%u",
			 s->client_name, s->client_addr, text, total_ok, total);
}

/* session_free - close the connection and release everything */
static void
session_free(struct smtpd_session *s)
{
	struct server *srv = s->sd->srv;

	session_log_disconnect(s);
	smtpd_policy_client_release(s->sd, s);
	event_io_remove(&s->io);
	event_timer_remove(&s->timer);
	event_timer_remove(&s->auth_timer);
	event_defer_cancel(&s->pending);
	stream_close_notify(&s->st);
	stream_deinit(&s->st);
	close(s->fd);
	smtpd_auth_reset(s);
	smtpd_txn_reset(s);
	buf_deinit(&s->txn.chunk);
	buf_deinit(&s->in);
	buf_deinit(&s->out);
	mem_free(&s->helo);
	mem_free(&s);
	server_session_closed(srv);
}

/* session_flush - write pending replies; returns -1 when the peer is gone */
static int
session_flush(struct smtpd_session *s)
{
	/* Nothing goes out while the handshake owns the socket. */
	if (s->state == SMTPD_STATE_TLS)
		return 0;
	while (s->out.len > 0) {
		ssize_t w = stream_write(&s->st, s->out.data, s->out.len);

		if (w <= 0) {
			if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return 0;
			log_info("write to %s[%s]: %s", s->client_name,
				 s->client_addr, stream_error(&s->st));
			return -1;
		}
		buf_consume(&s->out, (size_t)w);
	}
	return 0;
}

/* session_on_pending - read TLS input that epoll does not signal */
static void
session_on_pending(void *ctx)
{
	struct smtpd_session *s = ctx;

	s->pending = NULL;
	session_on_io(s, s->fd, EVENT_READ);
}

/* session_update_interest - read while we can act on input, write while
 * replies are pending */
static void
session_update_interest(struct smtpd_session *s)
{
	bool want_read, want_write = s->out.len > 0;

	if (s->state == SMTPD_STATE_TLS) {
		event_io_set(s->io, stream_events(&s->st, false, false));
		return;
	}
	/* After "220 Ready to start TLS" plaintext input is over. */
	want_read = s->state != SMTPD_STATE_CLOSING &&
		    s->state != SMTPD_STATE_TLS_START &&
		    s->out.len < SMTPD_OUT_HIGH_WATER && buf_room(&s->in) > 0;
	event_io_set(s->io, stream_events(&s->st, want_read, want_write));
	if (want_read && s->pending == NULL && stream_has_pending(&s->st))
		s->pending = event_defer(server_loop(s->sd->srv),
					 session_on_pending, s);
}

/* session_on_timeout - the client said nothing for smtpd_timeout */
static void
session_on_timeout(void *ctx)
{
	struct smtpd_session *s = ctx;

	if (s->state == SMTPD_STATE_COMMIT ||
	    s->state == SMTPD_STATE_AUTH_CHECK) {
		event_timer_reset(s->timer,
				  (uint64_t)param_smtpd_timeout * 1000);
		return;
	}
	if (s->state == SMTPD_STATE_TLS || s->state == SMTPD_STATE_TLS_START) {
		/* No plaintext reply fits into a TLS handshake. */
		log_info("timeout after STARTTLS from %s[%s]", s->client_name,
			 s->client_addr);
		session_free(s);
		return;
	}
	log_info("timeout after %s from %s[%s]",
		 s->state == SMTPD_STATE_DATA ? "DATA" : "command",
		 s->client_name, s->client_addr);
	buf_reset(&s->out);
	smtpd_reply(s, "421 4.4.2 %s Error: timeout exceeded",
		    param_myhostname);
	session_flush(s);
	session_free(s);
}

/* session_is_auth_command - an AUTH line, which may be longer than 512 */
static bool
session_is_auth_command(const uint8_t *line, size_t len)
{
	return len >= 5 && strncasecmp((const char *)line, "AUTH ", 5) == 0;
}

/* session_process_commands - execute complete command lines */
static void
session_process_commands(struct smtpd_session *s)
{
	const uint8_t *line;
	size_t len;
	unsigned flags;

	while (s->state == SMTPD_STATE_CMD &&
	       s->out.len < SMTPD_OUT_HIGH_WATER &&
	       smtp_line_next(&s->framer, &s->in, &line, &len, &flags) == 1) {
		if (s->auth_step != SMTPD_AUTH_NONE) {
			smtpd_auth_line(s, line, len, flags);
		} else if ((flags & SMTP_LINE_TOO_LONG) ||
			   (len > SMTP_LINE_MAX - 2 &&
			    !session_is_auth_command(line, len))) {
			smtpd_reply(s, "500 5.5.2 Error: line too long");
			smtpd_count(s, SMTPD_STAT_OTHER, false);
			s->errors++;
		} else if (flags & (SMTP_LINE_BARE_LF | SMTP_LINE_BARE_CR)) {
			/* Not a command: bare CR/LF never end or start one. */
			smtpd_reply(s, "500 5.5.2 Error: bare <%s> received",
				    (flags & SMTP_LINE_BARE_LF) ? "LF" : "CR");
			smtpd_count(s, SMTPD_STAT_OTHER, false);
			s->errors++;
		} else {
			smtpd_command(s, line, len);
			/* UNSAFE: our own input buffer; an initial response
			 * holds a password: wipe it before it is consumed. */
			if (session_is_auth_command(line, len))
				explicit_bzero((void *)line, len);
		}
		smtp_line_consume(&s->framer, &s->in);
		if (s->discard_input) {
			/* SECURITY: nothing pipelined behind STARTTLS may be
			 * executed (CVE-2011-0411). */
			buf_reset(&s->in);
			smtp_line_reset(&s->framer);
			s->discard_input = false;
		}
		if (s->state == SMTPD_STATE_CMD &&
		    s->errors >= (unsigned)param_smtpd_hard_error_limit) {
			log_info("too many errors from %s[%s]",
				 s->client_name, s->client_addr);
			smtpd_reply(s, "421 4.7.0 %s Error: too many errors",
				    param_myhostname);
			smtpd_session_close_after_reply(s);
		}
	}
}

/* session_process - act on whatever input is buffered */
static void
session_process(struct smtpd_session *s)
{
	for (;;) {
		size_t used;

		if (s->state == SMTPD_STATE_CMD) {
			session_process_commands(s);
			if (s->state == SMTPD_STATE_CMD)
				break;
			continue;
		}
		if (s->state != SMTPD_STATE_DATA &&
		    s->state != SMTPD_STATE_BDAT)
			break;
		if (s->in.len == 0)
			break;
		if (s->state == SMTPD_STATE_DATA)
			used = smtpd_data_feed(s, s->in.data, s->in.len);
		else
			used = smtpd_bdat_feed(s, s->in.data, s->in.len);
		buf_consume(&s->in, used);
		if (s->state == SMTPD_STATE_CMD)
			smtp_line_reset(&s->framer);
		else if (used == 0)
			break;
	}
}

/* session_state_name - what the session was doing, for log lines */
static const char *
session_state_name(const struct smtpd_session *s)
{
	switch (s->state) {
	case SMTPD_STATE_DATA:
		return "DATA";
	case SMTPD_STATE_BDAT:
		return "BDAT";
	case SMTPD_STATE_TLS:
	case SMTPD_STATE_TLS_START:
		return "STARTTLS";
	default:
		return s->auth_step != SMTPD_AUTH_NONE ? "AUTH" : "command";
	}
}

/* session_settle - after input was handled: flush, close or wait */
static void
session_settle(struct smtpd_session *s, bool eof)
{
	if (session_flush(s) < 0 || eof) {
		if (eof && s->state != SMTPD_STATE_CLOSING)
			log_info("lost connection after %s from %s[%s]",
				 session_state_name(s), s->client_name,
				 s->client_addr);
		session_free(s);
		return;
	}
	if (s->state == SMTPD_STATE_CLOSING && s->out.len == 0) {
		session_free(s);
		return;
	}
	if (s->state == SMTPD_STATE_TLS_START && s->out.len == 0) {
		/* "220 Ready to start TLS" is out: the first handshake step
		 * (session_on_io may free the session). */
		smtpd_tls_begin(s);
		session_on_io(s, s->fd, 0);
		return;
	}
	session_update_interest(s);
}

/* session_is_waiting - a worker or a timer has the session */
static bool
session_is_waiting(const struct smtpd_session *s)
{
	return s->state == SMTPD_STATE_COMMIT ||
	       s->state == SMTPD_STATE_AUTH_CHECK;
}

/* session_read - take what the client sent; true at EOF or on an error */
static bool
session_read(struct smtpd_session *s)
{
	size_t added;
	int rc = stream_read_buf(&s->st, &s->in, &added);

	if (added > 0)
		event_timer_reset(s->timer, (uint64_t)param_smtpd_timeout * 1000);
	if (rc == 0)
		return false;
	if (errno != 0 && stream_is_tls(&s->st))
		log_info("TLS read error from %s[%s]: %s", s->client_name,
			 s->client_addr, stream_error(&s->st));
	return true;
}

/* session_greet - the banner, or 421 when the client has too many */
static void
session_greet(struct smtpd_session *s)
{
	if (s->refused) {
		smtpd_reply(s, "421 4.7.0 %s Error: too many connections "
			       "from %s",
			    param_myhostname, s->client_addr);
		smtpd_session_close_after_reply(s);
	} else {
		smtpd_reply(s, "220 %s", param_smtpd_banner);
	}
}

/* session_handshake - drive the TLS handshake; false when the session
 * is gone */
static bool
session_handshake(struct smtpd_session *s)
{
	bool wrapper = !s->greeted;
	int r = smtpd_tls_step(s);

	if (r < 0) {
		session_free(s);
		return false;
	}
	if (r > 0 && wrapper) {
		/* Implicit TLS: the greeting comes over TLS. */
		s->greeted = true;
		session_greet(s);
	}
	return true;
}

/* smtpd_session_resume - a commit finished: go on with buffered input */
void
smtpd_session_resume(struct smtpd_session *s)
{
	if (s->peer_gone) {
		session_settle(s, true);
		return;
	}
	session_process(s);
	session_settle(s, false);
}

/* session_on_io - the socket is ready; with TLS either way may serve a
 * read or a write, so whatever is wanted is tried (stream.h rule 2) */
static void
session_on_io(void *ctx, int fd, unsigned revents)
{
	struct smtpd_session *s = ctx;
	bool eof = false;

	(void)fd;
	if (s->state == SMTPD_STATE_TLS) {
		if (!session_handshake(s))
			return;
		if (s->state == SMTPD_STATE_TLS) {
			session_update_interest(s);
			return;
		}
		/* Done: the client may already have sent its EHLO. */
	} else if (s->state == SMTPD_STATE_TLS_START) {
		session_settle(s, false);
		return;
	}
	if (s->state != SMTPD_STATE_CLOSING &&
	    ((revents & (EVENT_READ | EVENT_HUP | EVENT_ERROR)) ||
	     stream_is_tls(&s->st)))
		eof = session_read(s);
	if (!session_is_waiting(s))
		session_process(s);
	if (session_is_waiting(s)) {
		/* A worker or a timer owns the session: wait for it. */
		if (eof) {
			s->peer_gone = true;
			event_io_set(s->io, 0);
		} else if (session_flush(s) == 0) {
			session_update_interest(s);
		}
		return;
	}
	/* A client that half-closed after QUIT still gets its answers. */
	session_settle(s, eof && s->state != SMTPD_STATE_CLOSING);
}

/* session_identify - client address text and local-submission identity */
static void
session_identify(struct smtpd_session *s)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);

	snprintf(s->client_name, sizeof(s->client_name), "unknown");
	snprintf(s->client_addr, sizeof(s->client_addr), "unknown");
	if (getpeername(s->fd, (struct sockaddr *)&ss, &sslen) < 0)
		return;
	if (ss.ss_family == AF_UNIX) {
		struct ucred cred;
		socklen_t credlen = sizeof(cred);

		s->is_local = true;
		s->may_relay = true;
		snprintf(s->client_name, sizeof(s->client_name), "localhost");
		if (getsockopt(s->fd, SOL_SOCKET, SO_PEERCRED, &cred,
			       &credlen) == 0) {
			s->peer_uid = cred.uid;
			snprintf(s->client_addr, sizeof(s->client_addr),
				 "uid=%ld", (long)cred.uid);
		}
		return;
	}
	/* A v4 client on a dual-stack socket is logged as v4. */
	sockaddr_text(&ss, sslen, s->client_addr, sizeof(s->client_addr));
	s->may_relay = cidr_list_match(&s->sd->mynetworks,
				       (struct sockaddr *)&ss);
}

/* smtpd_session_accept - a new client */
void
smtpd_session_accept(struct server *srv, int fd)
{
	struct smtpd *sd = server_ctx(srv);
	struct smtpd_session *s = mem_alloc(sizeof(*s));

	s->sd = sd;
	s->fd = fd;
	stream_init(&s->st, fd);
	buf_init(&s->in, SMTPD_IN_MAX);
	buf_init(&s->out, SMTPD_OUT_MAX);
	buf_init(&s->txn.chunk, SMTPD_CONTENT_CHUNK);
	smtp_line_init(&s->framer, sd->sasl_enabled ? SMTPD_AUTH_LINE_MAX
						     : SMTP_LINE_MAX);
	s->state = SMTPD_STATE_CMD;
	session_identify(s);
	server_session_opened(srv);
	s->io = event_io_add(server_loop(srv), fd, 0, session_on_io, s);
	s->timer = event_timer_add(server_loop(srv),
				   (uint64_t)param_smtpd_timeout * 1000,
				   session_on_timeout, s);
	log_info("connect from %s[%s]", s->client_name, s->client_addr);
	if (!smtpd_policy_client_allowed(sd, s)) {
		log_warn("too many connections from %s", s->client_addr);
		s->refused = true;
	}
	if (sd->tls_wrapper && !s->is_local) {
		/* Implicit TLS (RFC 8314): the handshake comes first, the
		 * greeting over TLS after it (session_handshake). */
		smtpd_tls_begin(s);
		session_on_io(s, fd, 0);
		return;
	}
	s->greeted = true;
	session_greet(s);
	if (session_flush(s) < 0 ||
	    (s->state == SMTPD_STATE_CLOSING && s->out.len == 0)) {
		session_free(s);
		return;
	}
	session_update_interest(s);
}
