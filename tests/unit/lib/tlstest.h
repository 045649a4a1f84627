/*
 * tlstest.h - a test harness shared by test_tls.c and test_stream.c: two
 * endpoints over a non-blocking socketpair, each a lib/stream driven by
 * the lib/event loop exactly as a daemon drives one (stream.h rules 1-4).
 *
 * Each endpoint sends the bytes in its out buffer and reads until it has
 * want_in bytes, read_chunk bytes per readiness event at most (so that
 * TLS keeps decrypted records inside OpenSSL and the pending-data rule is
 * exercised). The loop stops when both endpoints are finished (done,
 * failed or at EOF); a guard timer fails a test that hangs.
 */
#ifndef MR_TLSTEST_H
#define MR_TLSTEST_H

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/event.h"
#include "lib/stream.h"
#include "lib/tls.h"

/* Longest a harness run may take before the test fails. */
#define TLSTEST_GUARD_MS 20000
/* Most bytes an endpoint sends or receives in one test. */
#define TLSTEST_DATA_MAX (4u * 1024 * 1024)

struct tlstest_pair;

struct tlstest_end {
	struct tlstest_pair *pair;
	int fd;
	struct stream st;
	struct event_io *io;
	struct event_defer *pending;
	bool ready;		/* handshake complete, or plain */
	bool failed;
	bool eof;
	bool close_notify;	/* send close_notify once out is empty */
	struct buf out;
	struct buf in;
	size_t read_chunk;
	size_t want_in;
	unsigned pending_reads;	/* reads started by the pending rule */
};

struct tlstest_pair {
	struct event_loop *loop;
	struct event_timer *guard;
	struct tlstest_end c, s;
};

/* tlstest_guard - a run that never ends */
static inline void
tlstest_guard(void *ctx)
{
	(void)ctx;
	fail_msg("TLS test loop did not finish in time");
}

/* tlstest_end_finished - nothing more will happen at this end */
static inline bool
tlstest_end_finished(const struct tlstest_end *e)
{
	return e->failed || e->eof ||
	       (e->ready && e->out.len == 0 && e->in.len >= e->want_in);
}

static inline void tlstest_on_io(void *ctx, int fd, unsigned revents);

/* tlstest_on_pending - read what OpenSSL holds (stream.h rule 3) */
static inline void
tlstest_on_pending(void *ctx)
{
	struct tlstest_end *e = ctx;

	e->pending = NULL;
	e->pending_reads++;
	tlstest_on_io(e, e->fd, EVENT_READ);
}

/* tlstest_update - register what the endpoint waits for */
static inline void
tlstest_update(struct tlstest_end *e)
{
	bool want_read, want_write;

	if (e->failed || e->eof) {
		event_io_set(e->io, 0);
	} else {
		want_read = e->in.len < e->want_in;
		want_write = e->out.len > 0;
		event_io_set(e->io,
			     stream_events(&e->st, want_read, want_write));
		if (want_read && !e->st.handshaking && e->pending == NULL &&
		    stream_has_pending(&e->st))
			e->pending = event_defer(e->pair->loop,
						 tlstest_on_pending, e);
	}
	if (tlstest_end_finished(&e->pair->c) &&
	    tlstest_end_finished(&e->pair->s))
		event_loop_stop(e->pair->loop);
}

/* tlstest_on_io - handshake, write, read once */
static inline void
tlstest_on_io(void *ctx, int fd, unsigned revents)
{
	struct tlstest_end *e = ctx;
	uint8_t chunk[64 * 1024];
	ssize_t r;

	(void)fd;
	(void)revents;
	if (e->st.handshaking) {
		r = stream_handshake(&e->st);
		if (r < 0)
			e->failed = true;
		e->ready = r > 0;
	}
	while (e->ready && !e->failed && e->out.len > 0) {
		r = stream_write(&e->st, e->out.data, e->out.len);
		if (r < 0) {
			e->failed = errno != EAGAIN;
			break;
		}
		buf_consume(&e->out, (size_t)r);
	}
	if (e->ready && !e->failed && e->out.len == 0 && e->close_notify) {
		stream_close_notify(&e->st);
		e->close_notify = false;
	}
	if (e->ready && !e->failed && e->in.len < e->want_in) {
		size_t n = e->read_chunk;

		if (n > sizeof(chunk))
			n = sizeof(chunk);
		if (n > e->want_in - e->in.len)
			n = e->want_in - e->in.len;
		r = stream_read(&e->st, chunk, n);
		if (r > 0)
			buf_append(&e->in, chunk, (size_t)r);
		else if (r == 0)
			e->eof = true;
		else if (errno != EAGAIN)
			e->failed = true;
	}
	tlstest_update(e);
}

/* tlstest_end_init - one endpoint on fd */
static inline void
tlstest_end_init(struct tlstest_pair *p, struct tlstest_end *e, int fd)
{
	memset(e, 0, sizeof(*e));
	e->pair = p;
	e->fd = fd;
	e->ready = true;
	e->read_chunk = 64 * 1024;
	stream_init(&e->st, fd);
	buf_init(&e->out, TLSTEST_DATA_MAX);
	buf_init(&e->in, TLSTEST_DATA_MAX);
	e->io = event_io_add(p->loop, fd, 0, tlstest_on_io, e);
}

/* tlstest_pair_init - a loop and two plain endpoints */
static inline void
tlstest_pair_init(struct tlstest_pair *p)
{
	int sv[2];

	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
						     SOCK_CLOEXEC,
				    0, sv),
			 0);
	p->loop = event_loop_new();
	tlstest_end_init(p, &p->c, sv[0]);
	tlstest_end_init(p, &p->s, sv[1]);
}

/* tlstest_start_tls - TLS on both ends (server_ctx, client_ctx) */
static inline void
tlstest_start_tls(struct tlstest_pair *p, struct tls_ctx *server_ctx,
		  struct tls_ctx *client_ctx, const char *sni,
		  const char *verify_name)
{
	stream_tls_start(&p->s.st, tls_conn_server(server_ctx, p->s.fd));
	p->s.ready = false;
	if (client_ctx != NULL) {
		stream_tls_start(&p->c.st, tls_conn_client(client_ctx, p->c.fd,
							   sni, verify_name));
		p->c.ready = false;
	}
}

/* tlstest_run - kick both ends and run the loop until both finish */
static inline void
tlstest_run(struct tlstest_pair *p)
{
	p->guard = event_timer_add(p->loop, TLSTEST_GUARD_MS, tlstest_guard,
				   NULL);
	tlstest_on_io(&p->c, p->c.fd, 0);
	tlstest_on_io(&p->s, p->s.fd, 0);
	if (!tlstest_end_finished(&p->c) || !tlstest_end_finished(&p->s))
		assert_int_equal(event_loop_run(p->loop), 0);
	event_timer_remove(&p->guard);
}

/* tlstest_end_deinit - release one endpoint */
static inline void
tlstest_end_deinit(struct tlstest_end *e)
{
	event_defer_cancel(&e->pending);
	event_io_remove(&e->io);
	stream_deinit(&e->st);
	close(e->fd);
	buf_deinit(&e->out);
	buf_deinit(&e->in);
}

/* tlstest_pair_deinit - release everything */
static inline void
tlstest_pair_deinit(struct tlstest_pair *p)
{
	tlstest_end_deinit(&p->c);
	tlstest_end_deinit(&p->s);
	event_loop_free(&p->loop);
}

/* tlstest_fill - n pseudo-random bytes (a fixed pattern) into b */
static inline void
tlstest_fill(struct buf *b, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		buf_append_byte(b, (uint8_t)(seed >> 16));
	}
}

#endif
