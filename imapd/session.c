/*
 * session.c - one IMAP session: I/O (plain or TLS through lib/stream),
 * the parser's events, the command pipeline, output, timeouts, logging.
 *
 * imapd_session_accept - a new connection (TLS at once in wrapper mode)
 * imapd_session_resume - a job, a delay or the mailbox is ready: go on
 * imapd_session_close  - say BYE-free goodbye: flush, then close
 * imapd_printf, imapd_untagged, imapd_tagged, imapd_finish - output
 * imapd_set_ctx        - a command's state, freed when it ends
 * imapd_out_full       - whether a generator must stop for now
 * imapd_starttls_begin - after "OK Begin TLS negotiation now"
 * imapd_drain          - SIGHUP: close sessions that wait for a command
 *
 * A command runs in steps: its handler either answers at once
 * (imapd_tagged) or starts a job and/or a generator; imapd_finish sets
 * the tagged line, which is sent after the generator and the untagged
 * updates (imapd_updates_fill) are done. Commands run one at a time, in
 * the order they arrived; while more than IMAPD_OUT_HIGH_WATER octets
 * wait for the client, nothing new is produced.
 *
 * Untrusted input: everything read from the client. The input buffer is
 * bounded (IMAPD_IN_MAX); the parser bounds commands (imapd/parse.h);
 * the AUTHENTICATE and IDLE lines are bounded here. SECURITY: after
 * STARTTLS every octet that arrived before the handshake is dropped
 * (plaintext injection, CVE-2011-0411 and CVE-2021-33515 for IMAP).
 * Timeouts: IMAPD_PREAUTH_TIMEOUT_MS before login (or imapd_timeout when
 * shorter), imapd_timeout after; sending a long answer counts as
 * activity.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "imapd/imapd.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/sasl_plain.h"
#include "lib/sockaddr.h"
#include "lib/str.h"

/* Longest line outside the parser: an AUTHENTICATE response, "DONE". */
#define IMAPD_RAW_LINE_MAX (SASL_PLAIN_B64_MAX + 2)

/* imapd_printf - append a formatted line (CR LF added) */
void
imapd_printf(struct imapd_session *s, const char *fmt, ...)
{
	char line[IMAPD_LINE_MAX];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = str_vline(line, sizeof(line), NULL, fmt, ap);
	va_end(ap);
	/* Lines are written below the high-water mark, far under the
	 * maximum: passing it would be our bug. */
	buf_append(&s->out, line, n);
}

/* imapd_untagged - "* " and a line */
void
imapd_untagged(struct imapd_session *s, const char *fmt, ...)
{
	char line[IMAPD_LINE_MAX];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = str_vline(line, sizeof(line), "* ", fmt, ap);
	va_end(ap);
	buf_append(&s->out, line, n);
}

/* command_end - the tagged line is out: forget the command */
static void
command_end(struct imapd_session *s)
{
	s->cmd_active = false;
	s->gen = NULL;
	s->gen_with_job = false;
	s->gen_blocked = false;
	s->cmd_uid = false;
	if (s->cmd_ctx_free != NULL && s->cmd_ctx != NULL)
		s->cmd_ctx_free(s->cmd_ctx);
	s->cmd_ctx = NULL;
	s->cmd_ctx_free = NULL;
	mem_free(&s->final);
}

/* imapd_tagged - the tagged status line now; the command is over */
void
imapd_tagged(struct imapd_session *s, const char *status, const char *fmt,
	     ...)
{
	char line[IMAPD_LINE_MAX], prefix[IMAP_TAG_MAX + 16];
	va_list ap;
	size_t n;

	snprintf(prefix, sizeof(prefix), "%s %s ", s->tag, status);
	va_start(ap, fmt);
	n = str_vline(line, sizeof(line), prefix, fmt, ap);
	va_end(ap);
	buf_append(&s->out, line, n);
	if (strcmp(status, "OK") != 0)
		log_debug("%s: %.*s", s->user != NULL ? s->user : s->addr,
			  (int)(n - 2), line);
	command_end(s);
}

/* imapd_finish - the tagged line, sent once the answer is complete */
void
imapd_finish(struct imapd_session *s, const char *status, const char *fmt,
	     ...)
{
	char line[IMAPD_LINE_MAX], prefix[IMAP_TAG_MAX + 16];
	va_list ap;
	size_t n;

	snprintf(prefix, sizeof(prefix), "%s %s ", s->tag, status);
	va_start(ap, fmt);
	n = str_vline(line, sizeof(line), prefix, fmt, ap);
	va_end(ap);
	mem_free(&s->final);
	s->final = mem_strndup(line, n);
}

/* imapd_set_ctx - the command's own state, freed when it ends */
void
imapd_set_ctx(struct imapd_session *s, void *ctx, void (*ctx_free)(void *))
{
	MR_ASSERT(s->cmd_ctx == NULL);
	s->cmd_ctx = ctx;
	s->cmd_ctx_free = ctx_free;
}

/* imapd_out_full - whether enough waits for the client */
bool
imapd_out_full(const struct imapd_session *s)
{
	return s->out.len >= IMAPD_OUT_HIGH_WATER;
}

/* imapd_session_is_secure - TLS, or a loopback client */
bool
imapd_session_is_secure(const struct imapd_session *s)
{
	return s->loopback || (stream_is_tls(&s->st) && !s->tls_handshake);
}

/* imapd_session_close - flush what is queued, then close */
void
imapd_session_close(struct imapd_session *s, const char *reason)
{
	s->closing = true;
	if (s->close_reason == NULL)
		s->close_reason = reason;
}

/* session_log_disconnect - one line about how the session ended */
static void
session_log_disconnect(struct imapd_session *s)
{
	const char *reason = s->close_reason != NULL ? s->close_reason
						     : "Connection closed";

	if (s->maildir != NULL)
		log_info("imap(%s): Disconnected: %s", s->user, reason);
	else if (s->auth_failures > 0)
		log_info("Disconnected (auth failed, %u attempts): %s: "
			 "user=<%s>, rip=%s, lip=%s",
			 s->auth_failures, reason,
			 log_safe_str(s->user != NULL ? s->user : ""), s->addr,
			 s->local_addr);
	else
		log_info("Disconnected (no auth attempts): %s: rip=%s, lip=%s",
			 reason, s->addr, s->local_addr);
}

/* session_free - close the connection and release everything */
static void
session_free(struct imapd_session *s)
{
	struct imapd *im = s->im;

	MR_ASSERT(s->job == NULL);
	session_log_disconnect(s);
	imapd_mbox_cancel_wait(s);
	command_end(s);
	imapd_append_take_free(s);
	imapd_unselect(s);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		im->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	event_io_remove(&s->io);
	event_timer_remove(&s->timer);
	event_timer_remove(&s->delay);
	event_defer_cancel(&s->defer);
	stream_close_notify(&s->st);
	stream_deinit(&s->st);
	close(s->fd);
	imap_parser_free(&s->parser);
	buf_deinit(&s->in);
	buf_deinit(&s->out);
	mem_free(&s->user);
	mem_free(&s->maildir);
	mem_free(&s);
	server_session_closed(im->srv);
}

/* session_timeout_ms - the idle limit in the current state */
static uint64_t
session_timeout_ms(const struct imapd_session *s)
{
	uint64_t ms = (uint64_t)param_imapd_timeout * 1000;

	if (s->state == IMAPD_STATE_NOT_AUTH && ms > IMAPD_PREAUTH_TIMEOUT_MS)
		ms = IMAPD_PREAUTH_TIMEOUT_MS;
	return ms;
}

/* session_touch - the client did something: restart the idle timer */
static void
session_touch(struct imapd_session *s)
{
	event_timer_reset(s->timer, session_timeout_ms(s));
}

/* session_flush - write pending output; -1 when the peer is gone */
static int
session_flush(struct imapd_session *s)
{
	if (s->tls_handshake)
		return 0;
	while (s->out.len > 0) {
		ssize_t w = stream_write(&s->st, s->out.data, s->out.len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (s->close_reason == NULL)
				s->close_reason = "Connection closed";
			return -1;
		}
		buf_consume(&s->out, (size_t)w);
		session_touch(s);
	}
	return 0;
}

/* session_wants_input - whether input may be read and handled now */
static bool
session_wants_input(const struct imapd_session *s)
{
	if (s->closing || s->tls_handshake || s->peer_gone ||
	    s->out.len >= IMAPD_OUT_HIGH_WATER || s->delay != NULL)
		return false;
	switch (s->input) {
	case IMAPD_INPUT_COMMAND:
		return !s->cmd_active;
	case IMAPD_INPUT_SASL:
	case IMAPD_INPUT_LITERAL:
		return true;
	case IMAPD_INPUT_IDLE:
		return s->job == NULL;
	default:
		return false;
	}
}

/* session_fatal - a protocol error that ends the session */
static void
session_fatal(struct imapd_session *s, const char *text)
{
	imapd_untagged(s, "BYE %s", text);
	imapd_session_close(s, text);
}

/* session_parser_error - the parser refused a command */
static void
session_parser_error(struct imapd_session *s)
{
	const char *tag = imap_parser_error_tag(s->parser);
	const char *text = imap_parser_error(s->parser);

	/* An APPEND whose literal was taken ends here too. */
	imapd_append_take_free(s);
	if (imap_parser_error_is_fatal(s->parser)) {
		session_fatal(s, text);
		return;
	}
	s->bad_commands++;
	if (tag != NULL)
		imapd_printf(s, "%s BAD %s", tag, text);
	else
		imapd_untagged(s, "BAD %s", text);
}

/* session_literal - a literal over the in-memory limit was announced */
static void
session_literal(struct imapd_session *s)
{
	const struct imap_command *cmd = imap_parser_command(s->parser);
	uint64_t size = imap_parser_literal_size(s->parser);
	bool sync = imap_parser_literal_is_sync(s->parser);

	if (strcmp(cmd->name, "APPEND") == 0) {
		/* Taken, or answered and dropped there. */
		(void)imapd_append_literal(s, cmd, size, sync);
		return;
	}
	s->bad_commands++;
	imapd_printf(s, "%s BAD Literal too large", cmd->tag);
	if (imap_parser_literal_reject(s->parser) < 0)
		session_fatal(s, imap_parser_error(s->parser));
}

/* session_feed - run the parser over the input until an event */
static bool
session_feed(struct imapd_session *s)
{
	size_t used = 0;
	int rc;

	if (s->in.len == 0)
		return false;
	rc = imap_parser_feed(s->parser, s->in.data, s->in.len, &used);
	buf_consume(&s->in, used);
	/* Between commands only right after a whole command. */
	s->parser_idle = rc == 1 &&
			 imap_parser_event(s->parser) == IMAP_EVENT_COMMAND;
	if (rc < 0) {
		session_parser_error(s);
		return true;
	}
	if (rc == 0)
		return false;
	switch (imap_parser_event(s->parser)) {
	case IMAP_EVENT_COMMAND:
		imapd_command(s, imap_parser_command(s->parser));
		break;
	case IMAP_EVENT_CONTINUE:
		imapd_printf(s, "+ OK");
		break;
	case IMAP_EVENT_LITERAL:
		session_literal(s);
		break;
	default:
		break;
	}
	return true;
}

/* session_raw_line - a line outside the parser (AUTHENTICATE, DONE) */
static bool
session_raw_line(struct imapd_session *s)
{
	uint8_t *lf = memchr(s->in.data, '\n', s->in.len);
	size_t len;

	if (lf == NULL) {
		if (s->in.len > IMAPD_RAW_LINE_MAX) {
			session_fatal(s, "Line too long");
			buf_reset(&s->in);
			return true;
		}
		return false;
	}
	len = (size_t)(lf - s->in.data);
	if (len > IMAPD_RAW_LINE_MAX) {
		buf_consume(&s->in, len + 1);
		session_fatal(s, "Line too long");
		return true;
	}
	if (len > 0 && s->in.data[len - 1] == '\r')
		len--;
	if (s->input == IMAPD_INPUT_SASL) {
		s->input = IMAPD_INPUT_COMMAND;
		imapd_sasl_line(s, s->in.data, len);
		/* SECURITY: the line holds a password. */
		explicit_bzero(s->in.data, (size_t)(lf - s->in.data));
	} else {
		imapd_idle_line(s, s->in.data, len);
	}
	buf_consume(&s->in, (size_t)(lf - s->in.data) + 1);
	return true;
}

/* session_input_step - handle some input; false when nothing was done */
static bool
session_input_step(struct imapd_session *s)
{
	size_t n;

	switch (s->input) {
	case IMAPD_INPUT_COMMAND:
		return session_feed(s);
	case IMAPD_INPUT_SASL:
	case IMAPD_INPUT_IDLE:
		return s->in.len > 0 && session_raw_line(s);
	case IMAPD_INPUT_LITERAL:
		n = s->in.len < s->take_left ? s->in.len : (size_t)s->take_left;
		if (n == 0)
			return false;
		imapd_append_take(s, s->in.data, n);
		buf_consume(&s->in, n);
		return true;
	default:
		return false;
	}
}

/*
 * session_can_step - whether the command may produce now: no job holds
 * the session (or the command's generator runs beside its own job, for
 * the results the job already gave), no wait for the mailbox, room for
 * output
 */
static bool
session_can_step(const struct imapd_session *s)
{
	return (s->job == NULL || (s->gen_with_job && !s->gen_blocked)) &&
	       !s->mbox_wait && !imapd_out_full(s);
}

/* session_command_step - advance the command; false when it must wait */
static bool
session_command_step(struct imapd_session *s)
{
	if (!session_can_step(s))
		return false;
	/* The updates first: EXISTS before the FETCH of new messages,
	 * others' flag changes before ours. */
	if (s->view.pending) {
		if (!imapd_updates_fill(s))
			return false;
		return true;
	}
	if (s->gen != NULL) {
		if (!s->gen(s))
			return false;
		s->gen = NULL;
		return true;
	}
	if (s->final != NULL) {
		buf_append_str(&s->out, s->final);
		command_end(s);
		return true;
	}
	/* A command without a tagged line yet: IDLE, AUTHENTICATE. */
	return false;
}

/* session_process - run commands and generators while we can */
static void
session_process(struct imapd_session *s)
{
	unsigned rounds;

	/* Bounded: a client that pipelines thousands of commands gets
	 * them answered over several loop iterations. */
	for (rounds = 0; rounds < IMAPD_GEN_BATCH; rounds++) {
		if (s->closing || s->peer_gone || s->tls_handshake)
			return;
		if (s->cmd_active && session_command_step(s))
			continue;
		if (!s->cmd_active && server_is_draining(s->im->srv)) {
			/* A reload: the command is done, the session too. */
			imapd_untagged(s, "BYE Server shutting down.");
			imapd_session_close(s, "Server shutting down");
			return;
		}
		if (s->bad_commands >= IMAPD_BAD_COMMANDS_MAX) {
			session_fatal(s, "Too many invalid commands.");
			return;
		}
		if (!session_wants_input(s) || !session_input_step(s))
			return;
	}
}

/* session_has_work - whether another round would do something */
static bool
session_has_work(const struct imapd_session *s)
{
	if (s->closing || s->peer_gone || s->tls_handshake)
		return false;
	if (s->cmd_active)
		return session_can_step(s) &&
		       (s->gen != NULL || s->view.pending ||
			(s->final != NULL && s->job == NULL));
	return session_wants_input(s) && s->in.len > 0;
}

/* session_update_interest - what to wait for */
static void
session_update_interest(struct imapd_session *s)
{
	bool want_read = session_wants_input(s) && !s->input_eof &&
			 buf_room(&s->in) > 0;
	unsigned events;

	if (s->tls_handshake)
		events = s->st.handshake_wait;
	else
		events = stream_events(&s->st, want_read, s->out.len > 0);
	event_io_set(s->io, events);
}

/*
 * session_release_idle_buffers - no buffers while the session waits for
 * its client (between commands, or idling): 10,000 idle sessions must
 * stay small (docs/imapd.md "Memory")
 */
static void
session_release_idle_buffers(struct imapd_session *s)
{
	struct imap_parse_limits limits;

	if ((s->cmd_active && !s->idling) || s->in.len > 0 ||
	    s->out.len > 0 || s->gen != NULL || s->view.pending ||
	    s->input == IMAPD_INPUT_LITERAL)
		return;
	/* The parser keeps the last command's storage: start afresh when
	 * it stands between commands. */
	if (s->parser_idle) {
		imap_parser_free(&s->parser);
		imap_parse_limits_default(&limits);
		s->parser = imap_parser_new(&limits);
		s->parser_idle = false;
	}
	if (s->in.cap > 0) {
		buf_deinit(&s->in);
		buf_init(&s->in, IMAPD_IN_MAX);
	}
	if (s->out.cap > 0) {
		buf_deinit(&s->out);
		buf_init(&s->out, IMAPD_OUT_MAX);
	}
}

static void session_on_io(void *ctx, int fd, unsigned revents);

/* session_on_defer - TLS holds input that epoll does not announce */
static void
session_on_defer(void *ctx)
{
	struct imapd_session *s = ctx;

	s->defer = NULL;
	session_on_io(s, s->fd, EVENT_READ);
}

/* session_settle - after input was handled: flush, close or wait */
static void
session_settle(struct imapd_session *s)
{
	unsigned round;

	if (s->job != NULL && (!s->gen_with_job || s->peer_gone)) {
		/* A worker owns part of the session: keep it until done. */
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
		/* The client sends nothing more: what it sent is still
		 * answered, then the session ends; a command that waits
		 * for input (IDLE, AUTHENTICATE, a literal) ends now. */
		if (s->input_eof && s->job == NULL && !s->mbox_wait &&
		    !session_has_work(s) &&
		    (!s->cmd_active || s->input != IMAPD_INPUT_COMMAND))
			imapd_session_close(s, "Connection closed");
		if (session_flush(s) < 0) {
			if (s->job != NULL) {
				s->peer_gone = true;
				event_io_set(s->io, 0);
				return;
			}
			session_free(s);
			return;
		}
		if (s->closing && s->out.len == 0 && s->job == NULL) {
			session_free(s);
			return;
		}
		/* The client took it all: refill now rather than after
		 * another trip through epoll, a few times at most. */
		if (round >= 4 || s->out.len > 0 || !session_has_work(s))
			break;
		session_process(s);
		if (s->job != NULL && !s->gen_with_job)
			break;
	}
	session_release_idle_buffers(s);
	session_update_interest(s);
	/* Come back at the next loop iteration: a generator yielded to
	 * let other sessions run (nothing else would wake it), or TLS
	 * holds input that epoll does not announce. */
	if (s->defer == NULL &&
	    ((s->out.len == 0 && session_has_work(s)) ||
	     (!s->tls_handshake && stream_has_pending(&s->st) &&
	      session_wants_input(s) && buf_room(&s->in) > 0)))
		s->defer = event_defer(server_loop(s->im->srv),
				       session_on_defer, s);
}

/* imapd_session_resume - a job, a delay or the mailbox is ready */
void
imapd_session_resume(struct imapd_session *s)
{
	if (s->peer_gone && s->job == NULL) {
		session_free(s);
		return;
	}
	if (s->job == NULL || s->gen_with_job)
		session_process(s);
	session_settle(s);
}

/* session_handshake - drive the TLS handshake */
static void
session_handshake(struct imapd_session *s)
{
	char peer[IMAPD_ADDR_MAX + 16];
	int rc = stream_handshake(&s->st);

	if (rc == 0)
		return;
	if (rc < 0) {
		log_info("TLS handshake failed: rip=%s: %s", s->addr,
			 stream_error(&s->st));
		s->close_reason = "TLS handshake failed";
		s->peer_gone = true;
		return;
	}
	s->tls_handshake = false;
	snprintf(peer, sizeof(peer), "unknown[%s]", s->addr);
	tls_log_established(stream_tls(&s->st), false, peer);
	session_touch(s);
}

/* session_read - read what the client sent */
static void
session_read(struct imapd_session *s)
{
	size_t room = buf_room(&s->in);
	ssize_t r;

	if (room == 0)
		return;
	if (room > IMAPD_READ_CHUNK)
		room = IMAPD_READ_CHUNK;
	r = stream_read(&s->st, buf_reserve(&s->in, room), room);
	if (r > 0) {
		buf_commit(&s->in, (size_t)r);
		session_touch(s);
	} else if (r == 0) {
		s->input_eof = true;
	} else if (errno != EAGAIN && errno != EINTR) {
		s->input_eof = true;
		if (s->close_reason == NULL)
			s->close_reason = "Connection reset";
	}
}

/* session_on_io - the socket is ready */
static void
session_on_io(void *ctx, int fd, unsigned revents)
{
	struct imapd_session *s = ctx;

	(void)fd;
	(void)revents;
	if (s->tls_handshake) {
		session_handshake(s);
		if (s->peer_gone) {
			if (s->job == NULL)
				session_free(s);
			else
				event_io_set(s->io, 0);
			return;
		}
	}
	if (!s->tls_handshake && !s->closing && !s->input_eof &&
	    session_wants_input(s))
		session_read(s);
	if (s->job == NULL || s->gen_with_job)
		session_process(s);
	session_settle(s);
}

/* session_on_timeout - the client did nothing for too long */
static void
session_on_timeout(void *ctx)
{
	struct imapd_session *s = ctx;

	if (s->job != NULL || s->delay != NULL) {
		session_touch(s);
		return;
	}
	s->close_reason = "Disconnected for inactivity";
	buf_reset(&s->out);
	if (!s->tls_handshake) {
		imapd_untagged(s, "BYE Disconnected for inactivity.");
		(void)session_flush(s);
	}
	session_free(s);
}

/* imapd_starttls_begin - the OK is queued: flush it, then hand shake */
void
imapd_starttls_begin(struct imapd_session *s)
{
	/* Written out at once: nothing may follow it in plaintext. */
	if (session_flush(s) < 0 || s->out.len > 0) {
		/* The client does not even read a line: give up. */
		imapd_session_close(s, "STARTTLS output blocked");
		buf_reset(&s->out);
		return;
	}
	/* SECURITY: whatever the client pipelined after STARTTLS came in
	 * plaintext and must not be read as if it were protected. */
	buf_reset(&s->in);
	stream_tls_start(&s->st, tls_conn_server(s->im->tls, s->fd));
	s->tls_handshake = true;
	session_handshake(s);
}

/* session_identify - client and local address, loopback or not */
static void
session_identify(struct imapd_session *s)
{
	/* Dovecot treats loopback as secure too. */
	s->loopback = sockaddr_fd_text(s->fd, s->addr, sizeof(s->addr),
				       s->local_addr, sizeof(s->local_addr));
}

/* session_greet - the greeting with the capabilities */
static void
session_greet(struct imapd_session *s)
{
	struct buf caps;

	buf_init(&caps, IMAPD_LINE_MAX);
	imapd_capability_string(s, &caps);
	imapd_untagged(s, "OK [CAPABILITY %s] %s ready.", buf_cstr(&caps),
		       param_mail_name);
	buf_deinit(&caps);
}

/* imapd_session_accept - a new client */
void
imapd_session_accept(struct server *srv, int fd)
{
	struct imapd *im = server_ctx(srv);
	struct imapd_session *s;
	struct imap_parse_limits limits;

	if (param_imapd_tls_wrappermode && im->tls == NULL) {
		/* imaps without a certificate: main.c said so at start. */
		close(fd);
		return;
	}
	s = mem_alloc(sizeof(*s));
	s->im = im;
	s->fd = fd;
	stream_init(&s->st, fd);
	buf_init(&s->in, IMAPD_IN_MAX);
	buf_init(&s->out, IMAPD_OUT_MAX);
	imap_parse_limits_default(&limits);
	s->parser = imap_parser_new(&limits);
	s->state = IMAPD_STATE_NOT_AUTH;
	s->input = IMAPD_INPUT_COMMAND;
	session_identify(s);
	s->next = im->sessions;
	if (im->sessions != NULL)
		im->sessions->prev = s;
	im->sessions = s;
	server_session_opened(srv);
	s->io = event_io_add(server_loop(srv), fd, 0, session_on_io, s);
	s->timer = event_timer_add(server_loop(srv), session_timeout_ms(s),
				   session_on_timeout, s);
	log_debug("connect from %s", s->addr);
	if (param_imapd_tls_wrappermode) {
		stream_tls_start(&s->st, tls_conn_server(im->tls, fd));
		s->tls_handshake = true;
		session_handshake(s);
	}
	session_greet(s);
	if (s->peer_gone) {
		session_free(s);
		return;
	}
	session_settle(s);
}

/* imapd_drain - SIGHUP: end sessions that wait for a command */
void
imapd_drain(struct server *srv)
{
	struct imapd *im = server_ctx(srv);
	struct imapd_session *s, *next;

	for (s = im->sessions; s != NULL; s = next) {
		next = s->next;
		if (s->cmd_active && !s->idling)
			continue;
		if (s->idling) {
			s->idling = false;
			imapd_idle_stop(s);
		}
		imapd_untagged(s, "BYE Server shutting down.");
		imapd_session_close(s, "Server shutting down");
		session_settle(s);
	}
}
