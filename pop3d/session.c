/*
 * session.c - one POP3 session: I/O, framing, replies, timeouts, logging.
 *
 * pop3d_session_accept (a new connection), pop3d_reply (queue a reply
 * line), pop3d_session_close_after_reply, pop3d_session_resume (a worker
 * job or a delay is over), pop3d_session_security (for log lines).
 *
 * Untrusted input: everything read from the client. The input buffer is
 * bounded (POP3D_IN_MAX); lines are framed by lib/pop3_cmd (at most
 * POP3_SASL_LINE_MAX octets; longer ones are answered -ERR and dropped).
 * Pipelined commands are answered in order (RFC 2449 6.6) and the output
 * is flushed when the input holds no complete command; while more than
 * POP3D_OUT_HIGH_WATER octets wait for the client, no command runs. A
 * session that does nothing for pop3d_timeout is closed (RFC 1939 3: at
 * least 10 minutes); sending a long RETR counts as activity.
 *
 * I/O goes through lib/stream, which hides whether TLS is on. Input that
 * OpenSSL has decrypted but the session could not take yet is not seen by
 * epoll: session_update_interest schedules a read for it (stream.h rule
 * 3). SECURITY: after "+OK Begin TLS negotiation now." the session reads
 * nothing more in plaintext and drops what it had buffered: the next
 * byte from the socket belongs to the handshake.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/sockaddr.h"
#include "lib/str.h"
#include "pop3d/pop3d.h"

static void session_on_io(void *ctx, int fd, unsigned revents);

/* pop3d_reply - append one reply line (CR LF added) */
void
pop3d_reply(struct pop3d_session *s, const char *fmt, ...)
{
	char line[POP3D_REPLY_MAX];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = str_vline(line, sizeof(line), NULL, fmt, ap);
	va_end(ap);
	/* Commands run only below the high-water mark, far below the
	 * maximum: hitting it would be our bug. */
	buf_append(&s->out, line, n);
}

/* pop3d_session_close_after_reply - finish once the output is flushed */
void
pop3d_session_close_after_reply(struct pop3d_session *s, const char *reason)
{
	s->state = POP3D_STATE_CLOSING;
	if (s->close_reason == NULL)
		s->close_reason = reason;
}

/* pop3d_session_security - Dovecot's %c: how the connection is kept */
void
pop3d_session_security(const struct pop3d_session *s, char *out, size_t size)
{
	if (s->state == POP3D_STATE_TLS && s->tls_error[0] != '\0')
		snprintf(out, size,
			 ", TLS handshaking: SSL_accept() failed: %s",
			 s->tls_error);
	else if (s->state == POP3D_STATE_TLS)
		snprintf(out, size, ", TLS handshaking");
	else if (stream_is_tls(&s->st))
		snprintf(out, size, ", TLS");
	else if (pop3d_plaintext_allowed(s) && s->loopback)
		snprintf(out, size, ", secured");
	else
		snprintf(out, size, "%s", "");
}

/* session_log_disconnect - Dovecot-style summary of the session */
static void
session_log_disconnect(struct pop3d_session *s)
{
	const char *reason = s->close_reason != NULL ? s->close_reason
						     : "Connection closed";
	char security[POP3D_SECURITY_MAX];

	if (s->logged_in) {
		log_info("pop3(%s): Disconnected: %s top=%u/%llu, "
			 "retr=%u/%llu, del=%zu/%zu, size=%llu",
			 s->user, reason, s->top_count,
			 (unsigned long long)s->top_bytes, s->retr_count,
			 (unsigned long long)s->retr_bytes, s->removed_count,
			 s->msg_count, (unsigned long long)s->total_vsize);
		return;
	}
	pop3d_session_security(s, security, sizeof(security));
	if (s->auth_failures > 0) {
		log_info("Disconnected (auth failed, %u attempts): %s: "
			 "user=<%s>, method=%s, rip=%s, lip=%s%s",
			 s->auth_failures, reason,
			 log_safe_str(s->user != NULL ? s->user : ""),
			 s->method != NULL ? s->method : "USER", s->addr,
			 s->local_addr, security);
	} else {
		log_info("Disconnected (no auth attempts): %s: rip=%s, "
			 "lip=%s%s",
			 reason, s->addr, s->local_addr, security);
	}
}

/* session_free - close the connection and release everything */
static void
session_free(struct pop3d_session *s)
{
	struct server *srv = s->pd->srv;

	MR_ASSERT(s->job == NULL);
	session_log_disconnect(s);
	pop3d_gen_stop(s);
	pop3d_mailbox_close(s);
	event_io_remove(&s->io);
	event_timer_remove(&s->timer);
	event_timer_remove(&s->delay);
	event_defer_cancel(&s->pending);
	stream_close_notify(&s->st);
	stream_deinit(&s->st);
	close(s->fd);
	buf_deinit(&s->in);
	buf_deinit(&s->out);
	buf_deinit(&s->msg_buf);
	mem_free(&s->user);
	mem_free(&s);
	server_session_closed(srv);
}

/* session_flush - write pending output; -1 when the peer is gone */
static int
session_flush(struct pop3d_session *s)
{
	/* Nothing goes out while the handshake owns the socket. */
	if (s->state == POP3D_STATE_TLS)
		return 0;
	while (s->out.len > 0) {
		ssize_t w = stream_write(&s->st, s->out.data, s->out.len);

		if (w <= 0) {
			if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return 0;
			if (s->close_reason == NULL)
				s->close_reason = "Connection closed";
			return -1;
		}
		buf_consume(&s->out, (size_t)w);
		/* A client reading a long answer is not idle. */
		event_timer_reset(s->timer,
				  (uint64_t)param_pop3d_timeout * 1000);
	}
	return 0;
}

/* session_wants_input - whether commands may be read now */
static bool
session_wants_input(const struct pop3d_session *s)
{
	return (s->state == POP3D_STATE_AUTH ||
		s->state == POP3D_STATE_SASL ||
		s->state == POP3D_STATE_TRANSACTION) &&
	       s->gen == POP3D_GEN_NONE && s->out.len < POP3D_OUT_HIGH_WATER;
}

/* session_on_pending - read TLS input that epoll does not signal */
static void
session_on_pending(void *ctx)
{
	struct pop3d_session *s = ctx;

	s->pending = NULL;
	session_on_io(s, s->fd, EVENT_READ);
}

/* session_update_interest - read while we can act, write while pending */
static void
session_update_interest(struct pop3d_session *s)
{
	bool want_read, want_write;

	if (s->state == POP3D_STATE_TLS) {
		event_io_set(s->io, stream_events(&s->st, false, false));
		return;
	}
	want_write = s->out.len > 0 || s->gen != POP3D_GEN_NONE;
	want_read = session_wants_input(s) && !s->input_eof &&
		    buf_room(&s->in) > 0;
	event_io_set(s->io, stream_events(&s->st, want_read, want_write));
	if (want_read && s->pending == NULL && stream_has_pending(&s->st))
		s->pending = event_defer(server_loop(s->pd->srv),
					 session_on_pending, s);
}

/* session_line - one framed line in the current state */
static void
session_line(struct pop3d_session *s, const uint8_t *line, size_t len,
	     unsigned flags)
{
	if (flags & POP3_LINE_TOO_LONG) {
		if (s->state == POP3D_STATE_SASL) {
			s->state = POP3D_STATE_AUTH;
			pop3d_reply(s, "-ERR Authentication failed: "
				       "response too long.");
		} else {
			pop3d_reply(s, "-ERR Line too long.");
		}
		pop3d_bad_command(s);
		return;
	}
	if (s->state == POP3D_STATE_SASL)
		pop3d_sasl_response(s, line, len);
	else
		pop3d_command(s, line, len);
}

/* session_process - answer buffered commands and feed the generator */
static void
session_process(struct pop3d_session *s)
{
	const uint8_t *line;
	size_t len;
	unsigned flags;

	for (;;) {
		if (s->gen != POP3D_GEN_NONE && !pop3d_gen_fill(s))
			break;
		if (!session_wants_input(s))
			break;
		if (pop3_line_next(&s->framer, &s->in, &line, &len, &flags) !=
		    1)
			break;
		session_line(s, line, len, flags);
		pop3_line_consume(&s->framer, &s->in);
		if (s->state == POP3D_STATE_TLS_START) {
			/* SECURITY: whatever was pipelined behind STLS was
			 * sent in plaintext and is never executed
			 * (CVE-2021-33515, CVE-2011-0411). */
			buf_reset(&s->in);
			pop3_line_init(&s->framer, POP3_SASL_LINE_MAX);
			break;
		}
		if (s->bad_commands >= POP3D_BAD_COMMANDS_MAX &&
		    s->state != POP3D_STATE_CLOSING) {
			pop3d_reply(s, "-ERR Too many bad commands.");
			pop3d_session_close_after_reply(s,
							"Too many bad commands");
		}
	}
}

/* session_has_line - whether a complete line waits in the input */
static bool
session_has_line(const struct pop3d_session *s)
{
	return session_wants_input(s) && s->in.len > 0 &&
	       memchr(s->in.data, '\n', s->in.len) != NULL;
}

/*
 * session_settle - after input was handled: flush, close or wait. eof:
 * the client will send nothing more; what it sent before is still
 * answered (a client may half-close after its last command), then the
 * session ends.
 */
static void
session_settle(struct pop3d_session *s, bool eof)
{
	int round;

	if (eof)
		s->input_eof = true;
	if (s->job != NULL) {
		/* The worker owns part of the session: wait for it. */
		if (!s->peer_gone && session_flush(s) < 0)
			s->peer_gone = true;
		if (s->peer_gone)
			event_io_set(s->io, 0);
		else
			session_update_interest(s);
		return;
	}
	if (s->peer_gone) {
		session_free(s);
		return;
	}
	for (round = 0;; round++) {
		if (s->input_eof && session_wants_input(s) &&
		    !session_has_line(s))
			pop3d_session_close_after_reply(s, "Connection closed");
		if (session_flush(s) < 0) {
			session_free(s);
			return;
		}
		if (s->state == POP3D_STATE_CLOSING && s->out.len == 0) {
			session_free(s);
			return;
		}
		if (s->state == POP3D_STATE_TLS_START && s->out.len == 0) {
			/* "+OK Begin TLS negotiation now." is out: the first
			 * handshake step (session_on_io may free s). */
			pop3d_tls_begin(s);
			session_on_io(s, s->fd, 0);
			return;
		}
		/* The client took it all: refill now rather than after
		 * another trip through epoll, a few times at most. */
		if (round >= 2 || s->out.len > 0 ||
		    (s->gen == POP3D_GEN_NONE && !session_has_line(s)))
			break;
		session_process(s);
	}
	session_update_interest(s);
}

/* pop3d_session_resume - a job or a delay ended: go on */
void
pop3d_session_resume(struct pop3d_session *s)
{
	if (s->peer_gone) {
		session_free(s);
		return;
	}
	session_process(s);
	session_settle(s, false);
}

/* session_read - take what the client sent; true at EOF or on an error */
static bool
session_read(struct pop3d_session *s)
{
	size_t added;
	int rc = stream_read_buf(&s->st, &s->in, &added);

	if (added > 0)
		event_timer_reset(s->timer, (uint64_t)param_pop3d_timeout * 1000);
	if (rc == 0)
		return false;
	if (errno != 0 && stream_is_tls(&s->st)) {
		/* Dovecot: "Connection closed: SSL_read() failed". */
		snprintf(s->close_text, sizeof(s->close_text),
			 "Connection closed: SSL_read() failed: %s",
			 stream_error(&s->st));
		if (s->close_reason == NULL)
			s->close_reason = s->close_text;
	}
	return true;
}

/* session_greet - the banner */
static void
session_greet(struct pop3d_session *s)
{
	s->greeted = true;
	pop3d_reply(s, "+OK %s ready.", param_mail_name);
}

/* session_handshake - drive the TLS handshake; false when s is gone */
static bool
session_handshake(struct pop3d_session *s)
{
	int r = pop3d_tls_step(s);

	if (r < 0) {
		if (s->close_reason == NULL)
			s->close_reason = "TLS handshake failed";
		session_free(s);
		return false;
	}
	/* pop3s: the greeting comes over TLS. */
	if (r > 0 && !s->greeted)
		session_greet(s);
	return true;
}

/* session_may_read - whether input may be taken from the socket now */
static bool
session_may_read(const struct pop3d_session *s)
{
	/* After STLS's +OK the next byte belongs to the handshake. */
	return s->state != POP3D_STATE_CLOSING &&
	       s->state != POP3D_STATE_TLS_START && !s->input_eof;
}

/* session_on_io - the socket is ready; with TLS either way may serve a
 * read or a write, so whatever is wanted is tried (stream.h rule 2) */
static void
session_on_io(void *ctx, int fd, unsigned revents)
{
	struct pop3d_session *s = ctx;
	bool eof = false;

	(void)fd;
	if (s->state == POP3D_STATE_TLS) {
		if (!session_handshake(s))
			return;
		if (s->state == POP3D_STATE_TLS) {
			session_update_interest(s);
			return;
		}
		/* Done: the client may already have sent a command. */
	} else if (s->state == POP3D_STATE_TLS_START) {
		session_settle(s, false);
		return;
	}
	if (session_may_read(s) &&
	    ((revents & (EVENT_READ | EVENT_HUP | EVENT_ERROR)) ||
	     (stream_is_tls(&s->st) && session_wants_input(s))))
		eof = session_read(s);
	if (s->job == NULL && s->state != POP3D_STATE_BUSY)
		session_process(s);
	session_settle(s, eof);
}

/* session_on_timeout - the client did nothing for pop3d_timeout */
static void
session_on_timeout(void *ctx)
{
	struct pop3d_session *s = ctx;

	if (s->job != NULL || s->state == POP3D_STATE_BUSY) {
		event_timer_reset(s->timer,
				  (uint64_t)param_pop3d_timeout * 1000);
		return;
	}
	s->close_reason = "Disconnected for inactivity";
	if (s->state == POP3D_STATE_TLS || s->state == POP3D_STATE_TLS_START) {
		/* No plaintext reply fits into a TLS handshake. */
		session_free(s);
		return;
	}
	pop3d_gen_stop(s);
	buf_reset(&s->out);
	pop3d_reply(s, "-ERR Disconnected for inactivity.");
	(void)session_flush(s);
	session_free(s);
}

/* session_identify - client and local address, loopback or not */
static void
session_identify(struct pop3d_session *s)
{
	s->loopback = sockaddr_fd_text(s->fd, s->addr, sizeof(s->addr),
				       s->local_addr, sizeof(s->local_addr));
}

/* pop3d_session_accept - a new client */
void
pop3d_session_accept(struct server *srv, int fd)
{
	struct pop3d *pd = server_ctx(srv);
	struct pop3d_session *s = mem_alloc(sizeof(*s));

	s->pd = pd;
	s->fd = fd;
	stream_init(&s->st, fd);
	s->lock_fd = -1;
	s->msg_fd = -1;
	buf_init(&s->in, POP3D_IN_MAX);
	buf_init(&s->out, POP3D_OUT_MAX);
	buf_init(&s->msg_buf, POP3D_READ_CHUNK);
	pop3_line_init(&s->framer, POP3_SASL_LINE_MAX);
	s->state = POP3D_STATE_AUTH;
	session_identify(s);
	server_session_opened(srv);
	s->io = event_io_add(server_loop(srv), fd, 0, session_on_io, s);
	s->timer = event_timer_add(server_loop(srv),
				   (uint64_t)param_pop3d_timeout * 1000,
				   session_on_timeout, s);
	log_debug("connect from %s", s->addr);
	if (pd->tls_wrapper) {
		/* Implicit TLS (RFC 8314): the handshake comes first, the
		 * greeting over TLS after it (session_handshake). */
		pop3d_tls_begin(s);
		session_on_io(s, fd, 0);
		return;
	}
	session_greet(s);
	session_settle(s, false);
}
