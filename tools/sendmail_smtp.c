/*
 * sendmail_smtp.c - the sendmail command's SMTP client over the local
 * submission socket ($queue_directory/public/pickup, served by smtpd).
 *
 * sendmail_smtp_submit (one transaction for a prepared message),
 * sendmail_smtp_relay (-bs: bytes both ways).
 *
 * Untrusted input: the server's replies. They are read into a bounded
 * buffer, one line at a time (CR LF ended, at most SMTP_REPLY_LINE_MAX
 * octets, RFC 5321 4.5.3.1.5 allows 512: four times that is lenient), at
 * most SMTP_REPLY_LINES_MAX lines per reply (4.2.1 multi-line form, every
 * line with the same code); anything else is a protocol error. Replies
 * are shown to the user only through log_safe (control bytes escaped).
 * Every read and write waits at most SENDMAIL_TIMEOUT_MS (the end of data
 * SENDMAIL_DATA_END_TIMEOUT_MS), RFC 5321 4.5.3.2. We send only CR LF
 * ended lines: commands are built from validated addresses, the message
 * comes from sendmail_msg.c (CR LF only) and is dot-stuffed here (RFC 5321
 * 4.5.2). Runs with the invoking user's privileges; smtpd identifies the
 * user through SO_PEERCRED, never through anything we send.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/sockaddr.h"
#include "tools/sendmail.h"

/* RFC 5321 4.5.3.1.5: a reply line is at most 512 octets; be lenient. */
#define SMTP_REPLY_LINE_MAX 2048
/* Most lines of one multi-line reply (EHLO has a dozen). */
#define SMTP_REPLY_LINES_MAX 100
/* RFC 5321 4.5.3.1.4: a command line is at most 512 octets; ours carry
 * one address (at most 256) and a few short parameters, ENVID up to 300. */
#define SMTP_CMD_MAX 1024
/* Octets of message text written at a time. */
#define SMTP_DATA_CHUNK (64u * 1024)
/* -bs: octets copied at a time in each direction. */
#define SMTP_RELAY_CHUNK (16u * 1024)
/*
 * -bs: after stdin ends, how long the server may stay silent before we
 * half-close the connection. Not at once: smtpd may take the EOF before
 * it has answered commands still in its buffer (a pipelined QUIT), so we
 * give it the chance to answer and close first.
 */
#define SMTP_RELAY_LINGER_MS 5000

struct smtp_client {
	int fd;
	bool verbose;
	bool quiet;
	struct buf in;   /* received, not yet used */
	int code;        /* of the last reply */
	char text[1024]; /* the last reply, one line, for messages */
	bool ext_8bitmime, ext_dsn, ext_size, ext_smtputf8;
};

/* smtp_error - print "sendmail: ..." unless quiet; returns exit_code */
static int __attribute__((format(printf, 3, 4)))
smtp_error(struct smtp_client *c, int exit_code, const char *fmt, ...)
{
	va_list ap;

	if (c->quiet)
		return exit_code;
	fputs("sendmail: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return exit_code;
}

/* smtp_connect - a stream connection to the Unix socket at path */
static int
smtp_connect(const char *path, int *fd_r, const char **error_r)
{
	struct sockaddr_un sun;
	int fd;

	if (sockaddr_un_set(&sun, path) < 0) {
		*error_r = "socket path too long";
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		*error_r = strerror(errno);
		close(fd);
		return -1;
	}
	*fd_r = fd;
	return 0;
}

/* smtp_wait - poll fd for events; -1 on timeout or error (errno set) */
static int
smtp_wait(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = events};

	for (;;) {
		int n = poll(&pfd, 1, timeout_ms);

		if (n > 0)
			return 0;
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
}

/* smtp_write - write n octets within the timeout */
static int
smtp_write(struct smtp_client *c, const void *p, size_t n)
{
	const uint8_t *q = p;

	while (n > 0) {
		ssize_t w = send(c->fd, q, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w > 0) {
			q += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (smtp_wait(c->fd, POLLOUT, SENDMAIL_TIMEOUT_MS) < 0)
				return -1;
			continue;
		}
		return -1;
	}
	return 0;
}

/* smtp_read_line - the next CR LF ended reply line (without CR LF) */
static int
smtp_read_line(struct smtp_client *c, int timeout_ms, char *line, size_t size)
{
	for (;;) {
		uint8_t *lf =
		    c->in.len > 0 ? memchr(c->in.data, '\n', c->in.len) : NULL;
		uint8_t *p;
		ssize_t got;
		size_t len;

		if (lf != NULL) {
			len = (size_t)(lf - c->in.data);
			if (len == 0 || c->in.data[len - 1] != '\r' ||
			    len - 1 >= size) {
				errno = EPROTO;
				return -1;
			}
			memcpy(line, c->in.data, len - 1);
			line[len - 1] = '\0';
			buf_consume(&c->in, len + 1);
			return 0;
		}
		if (buf_room(&c->in) == 0) {
			errno = EPROTO; /* a line longer than we accept */
			return -1;
		}
		if (smtp_wait(c->fd, POLLIN, timeout_ms) < 0)
			return -1;
		p = buf_reserve(&c->in, buf_room(&c->in));
		got = recv(c->fd, p, buf_room(&c->in), 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if (got == 0) {
			errno = ECONNRESET;
			return -1;
		}
		buf_commit(&c->in, (size_t)got);
	}
}

/* smtp_is_reply_line - "NNN", "NNN text" or "NNN-text" with code */
static bool
smtp_is_reply_line(const char *line, int code, bool *more_r)
{
	int i, value = 0;

	for (i = 0; i < 3; i++) {
		if (line[i] < '0' || line[i] > '9')
			return false;
		value = value * 10 + (line[i] - '0');
	}
	if (value < 200 || value > 599 || (code != 0 && value != code))
		return false;
	if (line[3] != '\0' && line[3] != ' ' && line[3] != '-')
		return false;
	*more_r = line[3] == '-';
	return true;
}

/* smtp_ehlo_keyword - note an EHLO extension we use */
static void
smtp_ehlo_keyword(struct smtp_client *c, const char *kw)
{
	size_t n = strcspn(kw, " ");

	if (n == 8 && strncasecmp(kw, "8BITMIME", n) == 0)
		c->ext_8bitmime = true;
	else if (n == 3 && strncasecmp(kw, "DSN", n) == 0)
		c->ext_dsn = true;
	else if (n == 4 && strncasecmp(kw, "SIZE", n) == 0)
		c->ext_size = true;
	else if (n == 8 && strncasecmp(kw, "SMTPUTF8", n) == 0)
		c->ext_smtputf8 = true;
}

/*
 * smtp_reply - read one (multi-line) reply into c->code and c->text;
 * ehlo: note the extensions. Returns 0, or an exit code after a message.
 */
static int
smtp_reply(struct smtp_client *c, int timeout_ms, bool ehlo)
{
	char line[SMTP_REPLY_LINE_MAX];
	bool more = true;
	int lines;
	size_t used = 0;

	c->code = 0;
	c->text[0] = '\0';
	for (lines = 0; more; lines++) {
		if (lines == SMTP_REPLY_LINES_MAX) {
			errno = EPROTO;
			break;
		}
		if (smtp_read_line(c, timeout_ms, line, sizeof(line)) < 0)
			break;
		if (c->verbose)
			fprintf(stderr, "<<< %s\n", log_safe_str(line));
		if (!smtp_is_reply_line(line, c->code, &more)) {
			errno = EPROTO;
			break;
		}
		if (c->code == 0) {
			c->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
			          (line[2] - '0');
			used = (size_t)snprintf(c->text, sizeof(c->text),
			                        "%.3s", line);
		} else if (ehlo) {
			smtp_ehlo_keyword(c, line + 4);
		}
		/* The text of every line, joined with spaces. */
		if (line[3] != '\0' && used < sizeof(c->text) - 1) {
			int n = snprintf(c->text + used, sizeof(c->text) - used,
			                 " %s", log_safe_str(line + 4));

			if (n > 0)
				used += (size_t)n;
			if (used >= sizeof(c->text))
				used = sizeof(c->text) - 1;
		}
	}
	if (!more)
		return 0;
	if (errno == ETIMEDOUT)
		return smtp_error(c, EX_TEMPFAIL,
		                  "timeout waiting for the mail system");
	if (errno == EPROTO)
		return smtp_error(c, EX_PROTOCOL,
		                  "malformed reply from the mail system");
	return smtp_error(c, EX_TEMPFAIL,
	                  "lost connection with the mail system: %s",
	                  strerror(errno));
}

/* smtp_command - send one command line and read its reply */
static int __attribute__((format(printf, 2, 3)))
smtp_command(struct smtp_client *c, const char *fmt, ...)
{
	char line[SMTP_CMD_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	/* Our commands are built from checked values: too long is our bug. */
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		log_panic("sendmail: SMTP command too long");
	if (c->verbose)
		fprintf(stderr, ">>> %s\n", log_safe_str(line));
	line[n++] = '\r';
	line[n++] = '\n';
	if (smtp_write(c, line, (size_t)n) < 0)
		return smtp_error(c, EX_TEMPFAIL,
		                  "lost connection with the mail system: %s",
		                  strerror(errno));
	return smtp_reply(c, SENDMAIL_TIMEOUT_MS, false);
}

/* smtp_code_exit - exit code for an unexpected reply in the transaction */
static int
smtp_code_exit(int code, int permanent)
{
	return code >= 500 ? permanent : EX_TEMPFAIL;
}

/* smtp_send_text - n octets of message text, dot-stuffed (RFC 5321 4.5.2) */
static int
smtp_send_text(struct smtp_client *c, struct buf *out, const uint8_t *p,
               size_t n, bool *bol)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf_room(out) < 2) {
			if (smtp_write(c, out->data, out->len) < 0)
				return -1;
			buf_reset(out);
		}
		if (*bol && p[i] == '.')
			buf_append_byte(out, '.');
		buf_append_byte(out, p[i]);
		*bol = p[i] == '\n';
	}
	return 0;
}

/* smtp_send_message - header, body and the final "." */
static int
smtp_send_message(struct smtp_client *c, const struct sendmail_msg *m)
{
	struct buf out;
	bool bol = true;
	int ret = -1;

	buf_init(&out, SMTP_DATA_CHUNK);
	if (smtp_send_text(c, &out, m->header.data, m->header.len, &bol) < 0 ||
	    smtp_send_text(c, &out, m->body.data, m->body.len, &bol) < 0)
		goto out;
	/* Both parts end in CR LF (sendmail_msg.c), so "." starts a line. */
	MR_ASSERT(bol);
	if (smtp_write(c, out.data, out.len) < 0 ||
	    smtp_write(c, ".\r\n", 3) < 0)
		goto out;
	ret = 0;
out:
	buf_deinit(&out);
	return ret;
}

/* smtp_mail_from - the MAIL command with the parameters that apply */
static int
smtp_mail_from(struct smtp_client *c, const struct sendmail_envelope *env,
               const struct sendmail_msg *m)
{
	char params[512];
	size_t used = 0;
	int n;

	params[0] = '\0';
	if (c->ext_size) {
		n = snprintf(params + used, sizeof(params) - used, " SIZE=%zu",
		             m->header.len + m->body.len);
		used += n > 0 ? (size_t)n : 0;
	}
	if (m->has_8bit && c->ext_8bitmime && used < sizeof(params)) {
		n = snprintf(params + used, sizeof(params) - used,
		             " BODY=8BITMIME");
		used += n > 0 ? (size_t)n : 0;
	}
	if (env->smtputf8 && c->ext_smtputf8 && used < sizeof(params)) {
		n = snprintf(params + used, sizeof(params) - used, " SMTPUTF8");
		used += n > 0 ? (size_t)n : 0;
	}
	if (c->ext_dsn && env->ret != NULL && used < sizeof(params)) {
		n = snprintf(params + used, sizeof(params) - used, " RET=%s",
		             env->ret);
		used += n > 0 ? (size_t)n : 0;
	}
	if (c->ext_dsn && env->envid != NULL && used < sizeof(params)) {
		n = snprintf(params + used, sizeof(params) - used, " ENVID=%s",
		             env->envid);
		used += n > 0 ? (size_t)n : 0;
	}
	if (used >= sizeof(params))
		log_panic("sendmail: MAIL parameters too long");
	if (!c->ext_dsn &&
	    (env->ret != NULL || env->envid != NULL || env->notify != NULL))
		smtp_error(c, 0,
		           "warning: the mail system does not offer "
		           "DSN; -N, -R and -V are ignored");
	return smtp_command(c, "MAIL FROM:<%s>%s", env->sender, params);
}

/* smtp_transaction - greeting to end of data; returns 0 or an exit code */
static int
smtp_transaction(struct smtp_client *c, const struct sendmail_envelope *env,
                 const struct sendmail_msg *m)
{
	int ret, rcpt_fail = 0;
	size_t i;

	if ((ret = smtp_reply(c, SENDMAIL_TIMEOUT_MS, false)) != 0)
		return ret;
	if (c->code != 220)
		return smtp_error(c, smtp_code_exit(c->code, EX_UNAVAILABLE),
		                  "mail system not ready: %s", c->text);
	if (c->verbose)
		fprintf(stderr, ">>> EHLO localhost\n");
	if (smtp_write(c, "EHLO localhost\r\n", 16) < 0)
		return smtp_error(c, EX_TEMPFAIL,
		                  "lost connection with the mail system: %s",
		                  strerror(errno));
	if ((ret = smtp_reply(c, SENDMAIL_TIMEOUT_MS, true)) != 0)
		return ret;
	if (c->code != 250)
		return smtp_error(c, smtp_code_exit(c->code, EX_UNAVAILABLE),
		                  "EHLO refused: %s", c->text);
	if ((ret = smtp_mail_from(c, env, m)) != 0)
		return ret;
	if (c->code / 100 != 2)
		return smtp_error(c, smtp_code_exit(c->code, EX_DATAERR),
		                  "<%s>: %s", env->sender, c->text);
	for (i = 0; i < env->rcpt_count; i++) {
		if (c->ext_dsn && env->notify != NULL)
			ret = smtp_command(c, "RCPT TO:<%s> NOTIFY=%s",
			                   env->rcpts[i], env->notify);
		else
			ret = smtp_command(c, "RCPT TO:<%s>", env->rcpts[i]);
		if (ret != 0)
			return ret;
		if (c->code / 100 == 2)
			continue;
		/* Report every refused recipient; a permanent refusal
		 * decides the exit code over a temporary one. */
		smtp_error(c, 0, "<%s>: %s", env->rcpts[i], c->text);
		if (c->code >= 500)
			rcpt_fail = EX_NOUSER;
		else if (rcpt_fail == 0)
			rcpt_fail = EX_TEMPFAIL;
	}
	if (rcpt_fail != 0) {
		/* All or nothing: nothing was queued, so re-running the
		 * command after a fix never duplicates mail. */
		smtp_error(c, 0, "message not sent: %s",
		           rcpt_fail == EX_NOUSER ? "recipient refused"
		                                  : "recipient deferred, "
		                                    "try again later");
		return rcpt_fail;
	}
	if ((ret = smtp_command(c, "DATA")) != 0)
		return ret;
	if (c->code != 354)
		return smtp_error(c, smtp_code_exit(c->code, EX_DATAERR),
		                  "DATA refused: %s", c->text);
	if (smtp_send_message(c, m) < 0)
		return smtp_error(c, EX_TEMPFAIL,
		                  "lost connection with the mail system: %s",
		                  strerror(errno));
	if (c->verbose)
		fprintf(stderr, ">>> .\n");
	if ((ret = smtp_reply(c, SENDMAIL_DATA_END_TIMEOUT_MS, false)) != 0)
		return ret;
	if (c->code / 100 != 2)
		return smtp_error(c, smtp_code_exit(c->code, EX_DATAERR),
		                  "message refused: %s", c->text);
	return 0;
}

/* sendmail_smtp_submit - one transaction for the message */
int
sendmail_smtp_submit(const char *path, const struct sendmail_envelope *env,
                     const struct sendmail_msg *m, bool verbose, bool quiet)
{
	struct smtp_client c;
	const char *error;
	int ret;

	memset(&c, 0, sizeof(c));
	c.verbose = verbose;
	c.quiet = quiet;
	if (smtp_connect(path, &c.fd, &error) < 0)
		return smtp_error(&c, EX_UNAVAILABLE,
		                  "cannot connect to the mail system at %s: "
		                  "%s (is mailroom running?)",
		                  path, error);
	buf_init(&c.in, SMTP_REPLY_LINE_MAX);
	ret = smtp_transaction(&c, env, m);
	if (ret == 0 && verbose)
		fprintf(stderr, "sendmail: %s\n", c.text);
	/* QUIT either way (after a refusal it abandons the transaction);
	 * its reply does not matter any more. */
	c.quiet = true;
	if (smtp_command(&c, "QUIT") != 0 && ret == 0 && verbose)
		fprintf(stderr, "sendmail: no reply to QUIT\n");
	buf_deinit(&c.in);
	close(c.fd);
	return ret;
}

/* relay_crlf - copy n octets into out with LF turned into CR LF */
static void
relay_crlf(const uint8_t *p, size_t n, struct buf *out, bool *last_cr)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && !*last_cr)
			buf_append_byte(out, '\r');
		buf_append_byte(out, p[i]);
		*last_cr = p[i] == '\r';
	}
}

/* sendmail_smtp_relay - -bs: stdin to the socket, the socket to stdout */
int
sendmail_smtp_relay(const char *path)
{
	struct buf up;
	bool stdin_open = true, last_cr = false, shut = false;
	const char *error;
	uint8_t chunk[SMTP_RELAY_CHUNK];
	int fd, ret = 0;

	if (smtp_connect(path, &fd, &error) < 0) {
		fprintf(stderr,
		        "sendmail: cannot connect to the mail system at %s: "
		        "%s (is mailroom running?)\n",
		        path, error);
		return EX_UNAVAILABLE;
	}
	/* LF to CR LF can double what is read from stdin. */
	buf_init(&up, 2 * SMTP_RELAY_CHUNK);
	for (;;) {
		struct pollfd pfd[2];
		ssize_t got;
		int n;

		pfd[0].fd = fd;
		pfd[0].events = (short)(POLLIN | (up.len > 0 ? POLLOUT : 0));
		pfd[0].revents = 0;
		pfd[1].fd = stdin_open && up.len == 0 ? STDIN_FILENO : -1;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		n = poll(pfd, 2,
		         stdin_open || shut || up.len > 0
		             ? -1
		             : SMTP_RELAY_LINGER_MS);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = EX_OSERR;
			break;
		}
		if (n == 0) {
			/* The server sees EOF and ends the session. */
			shutdown(fd, SHUT_WR);
			shut = true;
			continue;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			got = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0)
				break; /* the server closed: done */
			if (io_write_full(STDOUT_FILENO, chunk, (size_t)got) <
			    0) {
				ret = EX_IOERR;
				break;
			}
		}
		if ((pfd[0].revents & POLLOUT) && up.len > 0) {
			got = send(fd, up.data, up.len,
			           MSG_NOSIGNAL | MSG_DONTWAIT);
			if (got < 0 && errno != EINTR && errno != EAGAIN)
				break; /* the server is gone: done */
			if (got > 0)
				buf_consume(&up, (size_t)got);
		}
		if (pfd[1].fd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP))) {
			got = read(STDIN_FILENO, chunk, sizeof(chunk));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				stdin_open = false;
			} else {
				relay_crlf(chunk, (size_t)got, &up, &last_cr);
			}
		}
	}
	buf_deinit(&up);
	close(fd);
	if (ret == EX_IOERR)
		fprintf(stderr, "sendmail: write to standard output: %s\n",
		        strerror(errno));
	return ret;
}
