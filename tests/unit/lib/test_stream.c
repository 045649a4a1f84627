/*
 * test_stream.c - unit tests for lib/stream.c: plain and TLS transfers in
 * the event loop (both ways at once, small and large reads), the
 * interest mapping (a TLS read may wait for writability and a write for
 * readability), the pending-data rule, a STARTTLS-style upgrade of a plain
 * stream, EOF and errors.
 */
#include "tests/unit/testlib.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/event.h"
#include "lib/stream.h"
#include "lib/tls.h"
#include "tests/unit/lib/tlstest.h"

static char dir[256], cert[300], key[300];

static int
setup(void **state)
{
	(void)state;
	testlib_tmpdir(dir, sizeof(dir), "test_stream");
	testlib_tls_cert(dir, "mx", "mx.test.example", cert, key,
			 sizeof(cert));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	testlib_rmtree(dir);
	return 0;
}

static void
test_events(void **state)
{
	/* Rows: the stream's wait state, what the caller wants, the
	 * interest stream_events must give. */
	static const struct {
		bool handshaking;
		unsigned handshake_wait, read_wait, write_wait;
		bool want_read, want_write;
		unsigned events;
	} rows[] = {
		{ false, 0, 0, 0, false, false, 0 },
		{ false, 0, 0, 0, true, false, EVENT_READ },
		{ false, 0, 0, 0, false, true, EVENT_WRITE },
		{ false, 0, 0, 0, true, true, EVENT_READ | EVENT_WRITE },
		/* A TLS read that needs to write first. */
		{ false, 0, EVENT_WRITE, 0, true, false, EVENT_WRITE },
		/* A TLS write that needs to read first. */
		{ false, 0, 0, EVENT_READ, false, true, EVENT_READ },
		{ false, 0, EVENT_WRITE, EVENT_READ, true, true,
		  EVENT_READ | EVENT_WRITE },
		/* A blocked write does not matter when nothing is to go. */
		{ false, 0, 0, EVENT_READ, false, false, 0 },
		/* The handshake decides alone. */
		{ true, EVENT_READ, 0, 0, false, true, EVENT_READ },
		{ true, EVENT_WRITE, 0, 0, true, false, EVENT_WRITE },
	};
	struct stream st;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		stream_init(&st, -1);
		st.handshaking = rows[i].handshaking;
		st.handshake_wait = rows[i].handshake_wait;
		st.read_wait = rows[i].read_wait;
		st.write_wait = rows[i].write_wait;
		if (stream_events(&st, rows[i].want_read,
				  rows[i].want_write) != rows[i].events)
			fail_msg("row %zu: events %u", i,
				 stream_events(&st, rows[i].want_read,
					       rows[i].want_write));
	}
	stream_init(&st, -1);
	assert_false(stream_is_tls(&st));
	assert_null(stream_tls(&st));
	assert_false(stream_has_pending(&st));
	assert_string_equal(stream_error(&st), "");
	stream_close_notify(&st);
	stream_deinit(&st);
}

/* transfer - c sends c_bytes, s sends s_bytes; reads of chunk bytes */
static void
transfer(struct tlstest_pair *p, size_t c_bytes, size_t s_bytes,
	 size_t chunk)
{
	tlstest_fill(&p->c.out, c_bytes, 1);
	tlstest_fill(&p->s.out, s_bytes, 2);
	p->s.want_in = c_bytes;
	p->c.want_in = s_bytes;
	p->s.read_chunk = chunk;
	p->c.read_chunk = chunk;
	tlstest_run(p);
	assert_false(p->c.failed);
	assert_false(p->s.failed);
	assert_int_equal(p->s.in.len, c_bytes);
	assert_int_equal(p->c.in.len, s_bytes);
}

/* check_data - what arrived is what was sent */
static void
check_data(const struct tlstest_pair *p)
{
	struct buf expect;

	buf_init(&expect, TLSTEST_DATA_MAX);
	tlstest_fill(&expect, p->s.in.len, 1);
	assert_memory_equal(p->s.in.data, expect.data, p->s.in.len);
	buf_reset(&expect);
	tlstest_fill(&expect, p->c.in.len, 2);
	assert_memory_equal(p->c.in.data, expect.data, p->c.in.len);
	buf_deinit(&expect);
}

static void
test_plain(void **state)
{
	static const struct {
		size_t c_bytes, s_bytes, chunk;
	} rows[] = {
		{ 0, 0, 1 },
		{ 1, 1, 1 },
		{ 1000, 10, 7 },
		{ 1024 * 1024, 300 * 1024, 65536 },
		{ 200 * 1024, 200 * 1024, 1000 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tlstest_pair p;

		tlstest_pair_init(&p);
		transfer(&p, rows[i].c_bytes, rows[i].s_bytes, rows[i].chunk);
		check_data(&p);
		assert_false(stream_is_tls(&p.c.st));
		/* A plain stream never holds data of its own. */
		assert_int_equal(p.c.pending_reads + p.s.pending_reads, 0);
		tlstest_pair_deinit(&p);
	}
}

static void
test_tls_pending_rule(void **state)
{
	static const struct {
		size_t c_bytes, s_bytes, chunk;
		bool expect_pending;
	} rows[] = {
		{ 100, 100, 65536, false },
		/* Reads far smaller than a TLS record: the rest of each
		 * record waits inside OpenSSL, invisible to epoll. Without
		 * the pending rule these runs hang. */
		{ 64 * 1024, 64 * 1024, 100, true },
		{ 1024 * 1024, 300 * 1024, 7000, true },
		{ 3, 100000, 1, true },
	};
	char err[512];
	struct tls_ctx *sctx = tls_server_ctx_new(cert, key, err, sizeof(err));
	struct tls_ctx *cctx = tls_client_ctx_new(cert, err, sizeof(err));
	size_t i;

	(void)state;
	assert_non_null(sctx);
	assert_non_null(cctx);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tlstest_pair p;

		tlstest_pair_init(&p);
		tlstest_start_tls(&p, sctx, cctx, "mx.test.example",
				  "mx.test.example");
		assert_true(stream_is_tls(&p.c.st));
		transfer(&p, rows[i].c_bytes, rows[i].s_bytes, rows[i].chunk);
		check_data(&p);
		assert_true(tls_conn_verified(stream_tls(&p.c.st)));
		if (rows[i].expect_pending)
			assert_true(p.c.pending_reads + p.s.pending_reads > 0);
		tlstest_pair_deinit(&p);
	}
	tls_ctx_free(&sctx);
	tls_ctx_free(&cctx);
}

static void
test_starttls_upgrade(void **state)
{
	char err[512];
	struct tls_ctx *sctx = tls_server_ctx_new(cert, key, err, sizeof(err));
	struct tls_ctx *cctx = tls_client_ctx_new(cert, err, sizeof(err));
	struct tlstest_pair p;

	(void)state;
	tlstest_pair_init(&p);
	/* Plain first: the command and its answer. */
	buf_append_str(&p.c.out, "STARTTLS\r\n");
	p.s.want_in = 10;
	buf_append_str(&p.s.out, "220 2.0.0 Ready to start TLS\r\n");
	p.c.want_in = 30;
	tlstest_run(&p);
	assert_memory_equal(p.s.in.data, "STARTTLS\r\n", 10);
	buf_reset(&p.c.in);
	buf_reset(&p.s.in);
	/* Then TLS on the same sockets. */
	tlstest_start_tls(&p, sctx, cctx, "mx.test.example", NULL);
	buf_append_str(&p.c.out, "EHLO client.example\r\n");
	p.s.want_in = 21;
	buf_append_str(&p.s.out, "250 mx.test.example\r\n");
	p.c.want_in = 21;
	tlstest_run(&p);
	assert_false(p.c.failed || p.s.failed);
	assert_memory_equal(p.s.in.data, "EHLO client.example\r\n", 21);
	assert_memory_equal(p.c.in.data, "250 mx.test.example\r\n", 21);
	tlstest_pair_deinit(&p);
	tls_ctx_free(&sctx);
	tls_ctx_free(&cctx);
}

static void
test_eof_and_errors(void **state)
{
	struct stream st;
	uint8_t byte;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
				    sv),
			 0);
	stream_init(&st, sv[0]);
	/* Nothing there yet: EAGAIN, no error text. */
	assert_int_equal(stream_read(&st, &byte, 1), -1);
	assert_int_equal(errno, EAGAIN);
	assert_string_equal(stream_error(&st), "");
	close(sv[1]);
	assert_int_equal(stream_read(&st, &byte, 1), 0);
	/* Writing to a peer that is gone: EPIPE, no SIGPIPE. */
	assert_int_equal(stream_write(&st, "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	assert_non_null(strstr(stream_error(&st), "write: "));
	stream_deinit(&st);
	close(sv[0]);
}

static void
test_write_after_peer_closed(void **state)
{
	char err[512];
	struct tls_ctx *sctx = tls_server_ctx_new(cert, key, err, sizeof(err));
	struct tls_ctx *cctx = tls_client_ctx_new(cert, err, sizeof(err));
	struct tlstest_pair p;
	uint8_t byte;
	int i;

	(void)state;
	/* The client says goodbye (close_notify) and closes. */
	tlstest_pair_init(&p);
	tlstest_start_tls(&p, sctx, cctx, NULL, NULL);
	p.c.close_notify = true;
	p.s.want_in = 1;
	tlstest_run(&p);
	assert_true(p.s.eof);
	shutdown(p.c.fd, SHUT_RDWR);
	/* The server's reply has nowhere to go: an error, never 0 (a
	 * caller looping "while output is left" would spin on 0). */
	for (i = 0; i < 3; i++) {
		errno = 0;
		assert_int_equal(stream_write(&p.s.st, "221 Bye\r\n", 9), -1);
		assert_int_not_equal(errno, EAGAIN);
	}
	assert_int_equal(stream_read(&p.s.st, &byte, 1), 0);
	tlstest_pair_deinit(&p);
	tls_ctx_free(&sctx);
	tls_ctx_free(&cctx);
}

/* test_read_buf - nothing there, data, a full buffer, the end */
static void
test_read_buf(void **state)
{
	struct stream st;
	struct buf in;
	size_t added = 99;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
				    sv),
			 0);
	stream_init(&st, sv[0]);
	buf_init(&in, 8);
	assert_int_equal(stream_read_buf(&st, &in, &added), 0);
	assert_int_equal(added, 0);
	assert_int_equal(write(sv[1], "hello", 5), 5);
	assert_int_equal(stream_read_buf(&st, &in, &added), 0);
	assert_int_equal(added, 5);
	assert_memory_equal(in.data, "hello", 5);
	/* More than there is room for: the rest waits in the socket. */
	assert_int_equal(write(sv[1], "worldwide", 9), 9);
	assert_int_equal(stream_read_buf(&st, &in, &added), 0);
	assert_int_equal(added, 3);
	assert_int_equal(stream_read_buf(&st, &in, &added), 0);
	assert_int_equal(added, 0);
	buf_consume(&in, in.len);
	/* The end: -1 with errno 0, what came before it kept. */
	close(sv[1]);
	assert_int_equal(stream_read_buf(&st, &in, &added), 0);
	assert_int_equal(added, 6);
	assert_int_equal(stream_read_buf(&st, &in, &added), -1);
	assert_int_equal(errno, 0);
	assert_int_equal(added, 0);
	assert_memory_equal(in.data, "ldwide", 6);
	buf_deinit(&in);
	stream_deinit(&st);
	close(sv[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_events, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_plain, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_tls_pending_rule,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_starttls_upgrade,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_write_after_peer_closed,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_eof_and_errors,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_read_buf, testlib_setup,
						testlib_teardown),
	};

	/* As in every daemon (lib/server): OpenSSL writes with write(2). */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
