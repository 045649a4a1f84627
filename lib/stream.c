/*
 * stream.c - a socket with an optional TLS layer (see stream.h).
 *
 * stream_init/deinit, stream_tls_start, stream_handshake, stream_is_tls,
 * stream_tls, stream_read, stream_write, stream_events,
 * stream_has_pending, stream_close_notify, stream_error.
 *
 * Untrusted input: the bytes read, which are only passed on. Runs in the
 * daemon's process with its privilege. No limits of its own: the caller's
 * buffers bound every read and write.
 */
#include "lib/stream.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/buf.h"
#include "lib/event.h"
#include "lib/log.h"

/* stream_init - plain stream */
void
stream_init(struct stream *st, int fd)
{
	memset(st, 0, sizeof(*st));
	st->fd = fd;
}

/* stream_deinit - drop the TLS layer */
void
stream_deinit(struct stream *st)
{
	tls_conn_free(&st->tls);
	st->handshaking = false;
}

/* stream_tls_start - TLS from now on */
void
stream_tls_start(struct stream *st, struct tls_conn *tls)
{
	int on = 1;

	MR_ASSERT(st->tls == NULL);
	/*
	 * The server's last handshake flight (with a TLS 1.3 session
	 * ticket) and its first reply are two writes; with Nagle the second
	 * waits for the client's delayed ACK (40 ms on Linux). Our writes
	 * are whole replies already, so Nagle buys nothing. Not TCP (a
	 * socketpair): nothing to do.
	 */
	(void)setsockopt(st->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	st->tls = tls;
	st->handshaking = true;
	/* The server waits for the ClientHello, the client writes first;
	 * stream_handshake corrects this after its first step. */
	st->handshake_wait = EVENT_READ;
	st->read_wait = 0;
	st->write_wait = 0;
}

/* stream_wait_of - the readiness a TLS status waits for */
static unsigned
stream_wait_of(enum tls_status status)
{
	return status == TLS_WANT_WRITE ? EVENT_WRITE : EVENT_READ;
}

/* stream_handshake - one step of the handshake */
int
stream_handshake(struct stream *st)
{
	enum tls_status status;

	MR_ASSERT(st->tls != NULL);
	if (!st->handshaking)
		return 1;
	status = tls_handshake(st->tls);
	switch (status) {
	case TLS_OK:
		st->handshaking = false;
		st->handshake_wait = 0;
		return 1;
	case TLS_WANT_READ:
	case TLS_WANT_WRITE:
		st->handshake_wait = stream_wait_of(status);
		return 0;
	case TLS_EOF:
		if (tls_conn_error(st->tls)[0] != '\0')
			snprintf(st->error, sizeof(st->error), "%s",
				 tls_conn_error(st->tls));
		else
			snprintf(st->error, sizeof(st->error),
				 "lost connection");
		return -1;
	default:
		snprintf(st->error, sizeof(st->error), "%s",
			 tls_conn_error(st->tls));
		return -1;
	}
}

/* stream_is_tls - TLS layer present */
bool
stream_is_tls(const struct stream *st)
{
	return st->tls != NULL;
}

/* stream_tls - the TLS connection */
struct tls_conn *
stream_tls(const struct stream *st)
{
	return st->tls;
}

/* stream_tls_result - errno and wait state after a TLS read or write */
static ssize_t
stream_tls_result(struct stream *st, ssize_t r, enum tls_status status,
		  unsigned *wait)
{
	*wait = 0;
	switch (status) {
	case TLS_OK:
		return r;
	case TLS_WANT_READ:
	case TLS_WANT_WRITE:
		*wait = stream_wait_of(status);
		errno = EAGAIN;
		return -1;
	case TLS_EOF:
		return 0;
	default:
		snprintf(st->error, sizeof(st->error), "%s",
			 tls_conn_error(st->tls));
		errno = EIO;
		return -1;
	}
}

/* stream_read - plain or TLS read */
ssize_t
stream_read(struct stream *st, void *p, size_t n)
{
	enum tls_status status;
	ssize_t r;

	MR_ASSERT(!st->handshaking);
	if (st->tls == NULL) {
		do
			r = recv(st->fd, p, n, 0);
		while (r < 0 && errno == EINTR);
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			snprintf(st->error, sizeof(st->error), "read: %s",
				 strerror(errno));
		return r;
	}
	r = tls_read(st->tls, p, n, &status);
	return stream_tls_result(st, r, status, &st->read_wait);
}

/* stream_read_buf - fill in from the stream, TLS-pending data too */
int
stream_read_buf(struct stream *st, struct buf *in, size_t *added_r)
{
	*added_r = 0;
	for (;;) {
		size_t room = buf_room(in);
		ssize_t r;

		if (room == 0)
			return 0;
		r = stream_read(st, buf_reserve(in, room), room);
		if (r > 0) {
			buf_commit(in, (size_t)r);
			*added_r += (size_t)r;
			if (stream_has_pending(st))
				continue;
			return 0;
		}
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (r == 0)
			errno = 0;
		return -1;
	}
}

/* stream_write - plain or TLS write */
ssize_t
stream_write(struct stream *st, const void *p, size_t n)
{
	enum tls_status status;
	ssize_t r;

	MR_ASSERT(!st->handshaking);
	if (st->tls == NULL) {
		do
			r = send(st->fd, p, n, MSG_NOSIGNAL);
		while (r < 0 && errno == EINTR);
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			snprintf(st->error, sizeof(st->error), "write: %s",
				 strerror(errno));
		return r;
	}
	r = tls_write(st->tls, p, n, &status);
	if (r <= 0 && status == TLS_EOF) {
		/* A write cannot "end": the peer is gone. */
		snprintf(st->error, sizeof(st->error), "write: %s",
			 tls_conn_error(st->tls)[0] ? tls_conn_error(st->tls)
						    : "connection closed");
		errno = EPIPE;
		return -1;
	}
	return stream_tls_result(st, r, status, &st->write_wait);
}

/* stream_events - interest for what the caller wants */
unsigned
stream_events(const struct stream *st, bool want_read, bool want_write)
{
	unsigned events = 0;

	if (st->handshaking)
		return st->handshake_wait;
	if (want_read)
		events |= st->read_wait != 0 ? st->read_wait : EVENT_READ;
	if (want_write)
		events |= st->write_wait != 0 ? st->write_wait : EVENT_WRITE;
	return events;
}

/* stream_has_pending - TLS input epoll does not see */
bool
stream_has_pending(const struct stream *st)
{
	return st->tls != NULL && !st->handshaking && tls_pending(st->tls);
}

/* stream_close_notify - clean TLS close, best effort */
void
stream_close_notify(struct stream *st)
{
	if (st->tls != NULL && !st->handshaking)
		tls_close_notify(st->tls);
}

/* stream_error - the last failure */
const char *
stream_error(const struct stream *st)
{
	return st->error;
}
