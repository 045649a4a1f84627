/*
 * stream.h - a connected socket with an optional TLS layer, for daemons
 * that run in the event loop (smtpd, pop3d, imapd, the smtp client).
 *
 * A daemon reads and writes through stream_read/stream_write whether the
 * session is plain or TLS, and asks stream_events which readiness to
 * register (event_io_set) for what it wants to do next. The rules:
 *
 *   1. Both calls behave like recv/send on a non-blocking socket: >0 bytes;
 *      0 from stream_read at EOF; -1 with errno EAGAIN when they would
 *      block, or another errno (stream_error has the text) when the
 *      connection is broken.
 *   2. After each round of I/O, register
 *          event_io_set(io, stream_events(st, want_read, want_write))
 *      where want_read says "I can take input now" and want_write "I have
 *      output pending". With TLS a blocked read may wait for writability
 *      and a blocked write for readability (handshake messages, key
 *      updates); stream_events knows and maps accordingly. When the
 *      watcher fires, retry whatever is wanted, whatever revents says.
 *   3. Pending data: OpenSSL reads whole records and may keep decrypted
 *      bytes that did not fit the caller's buffer; epoll does not signal
 *      them. A reader that stops before stream_read returned EAGAIN (its
 *      buffer was full) and later wants input again must check
 *      stream_has_pending and, if true, read again without waiting for the
 *      loop (an event_defer call is the usual way).
 *   4. STARTTLS: answer the command in plaintext and flush it; discard
 *      every plaintext byte read so far (CVE-2011-0411); then
 *      stream_tls_start, then stream_handshake at once and again whenever
 *      the watcher fires, until it returns 1. While the
 *      handshake runs, stream_events returns only what it waits for.
 *
 * Ownership: the struct is embedded in the session (stream_init/deinit).
 * The socket stays the caller's (close it after stream_deinit); the
 * tls_conn given to stream_tls_start belongs to the stream from then on.
 */
#ifndef MR_STREAM_H
#define MR_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/tls.h"

struct stream {
	int fd;			/* connected, non-blocking; not owned */
	struct tls_conn *tls;	/* NULL while plain */
	bool handshaking;	/* stream_tls_start until stream_handshake == 1 */
	unsigned handshake_wait; /* EVENT_READ/EVENT_WRITE the handshake needs */
	unsigned read_wait;	/* what a blocked read needs, 0 if not blocked */
	unsigned write_wait;	/* what a blocked write needs, 0 if not blocked */
	char error[TLS_ERROR_MAX];
};

/* stream_init - a plain stream on fd. */
void stream_init(struct stream *st, int fd);

/*
 * stream_deinit - release the TLS layer (without close_notify; call
 * stream_close_notify first for a clean close). The socket stays open.
 */
void stream_deinit(struct stream *st);

/*
 * stream_tls_start - put tls (made on st->fd) under the stream; the
 * handshake is driven by stream_handshake. The stream owns tls from now.
 * Sets TCP_NODELAY on a TCP socket: the handshake's last flight and the
 * first reply must not wait for a delayed ACK.
 */
void stream_tls_start(struct stream *st, struct tls_conn *tls);

/*
 * stream_handshake - drive the handshake: 1 complete, 0 in progress
 * (register stream_events and call again when the watcher fires), -1
 * failed or the peer went away (stream_error says why).
 */
int stream_handshake(struct stream *st);

/* stream_is_tls - whether a TLS layer is in place (handshake done or not). */
bool stream_is_tls(const struct stream *st);

/* stream_tls - the TLS connection, NULL while plain. */
struct tls_conn *stream_tls(const struct stream *st);

/* stream_read - see rule 1 above. */
ssize_t stream_read(struct stream *st, void *p, size_t n);

struct buf;

/*
 * stream_read_buf - read into in as much as it has room for now: one
 * read, and more while the TLS layer holds decrypted records (rule 3), so
 * nothing is left where epoll cannot see it. *added_r is what was added.
 * Returns 0 (read again when the watcher fires), or -1 at the end of
 * input (errno 0) or when the connection broke (errno set, stream_error
 * says why); what was added before stays in the buffer.
 */
int stream_read_buf(struct stream *st, struct buf *in, size_t *added_r);

/* stream_write - see rule 1 above (MSG_NOSIGNAL on plain sockets). */
ssize_t stream_write(struct stream *st, const void *p, size_t n);

/*
 * stream_events - the EVENT_READ/EVENT_WRITE interest to register, for a
 * caller that wants input (want_read) and/or has output (want_write); see
 * rule 2. 0 means nothing to wait for.
 */
unsigned stream_events(const struct stream *st, bool want_read,
		       bool want_write);

/* stream_has_pending - input buffered inside the TLS layer (rule 3). */
bool stream_has_pending(const struct stream *st);

/* stream_close_notify - TLS close_notify, best effort, never blocks. */
void stream_close_notify(struct stream *st);

/* stream_error - text of the last failure ("" when none). */
const char *stream_error(const struct stream *st);

#endif
