/*
 * test_tls.c - unit tests for lib/tls.c: self-signed certificates,
 * context errors, handshakes in the event loop (TLS 1.0 and 1.1 refused,
 * 1.2 and 1.3 accepted), peer verification with and without a name,
 * log wording, session resumption within a context and across contexts
 * that share a ticket key file, the ticket key file's checks, and
 * close_notify.
 */
#include "tests/unit/testlib.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lib/buf.h"
#include "lib/io.h"
#include "lib/mem.h"
#include "lib/tls.h"
#include "tests/unit/lib/tlstest.h"

#define HOST "mx.test.example"

static char dir[256];
static char cert[300], key[300];	/* HOST's */
static char cert2[300], key2[300];	/* another host's */

/* path_in - dir/name into out */
static void
path_in(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static int
setup(void **state)
{
	(void)state;
	testlib_tmpdir(dir, sizeof(dir), "test_tls");
	testlib_tls_cert(dir, "mx", HOST, cert, key, sizeof(cert));
	testlib_tls_cert(dir, "other", "other.example", cert2, key2,
			 sizeof(cert2));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	testlib_rmtree(dir);
	return 0;
}

/* server_ctx - a server context for HOST's certificate */
static struct tls_ctx *
server_ctx(void)
{
	char err[512];
	struct tls_ctx *ctx = tls_server_ctx_new(cert, key, err, sizeof(err));

	if (ctx == NULL)
		fail_msg("tls_server_ctx_new: %s", err);
	return ctx;
}

/* client_ctx - a client context trusting ca */
static struct tls_ctx *
client_ctx(const char *ca)
{
	char err[512];
	struct tls_ctx *ctx = tls_client_ctx_new(ca, err, sizeof(err));

	if (ctx == NULL)
		fail_msg("tls_client_ctx_new: %s", err);
	return ctx;
}

static void
test_self_signed(void **state)
{
	static const struct {
		const char *host;
		bool ok;
	} rows[] = {
		{ "mx.test.example", true },
		{ "localhost", true },
		{ "a-b.example", true },
		/* Longer than a CN may be: the SAN carries it. */
		{ "a-very-long-host-name-label-that-goes-on-and-on.and-on-and-"
		  "on.example.org",
		  true },
		{ "", false },
		{ "bad host", false },
		{ "-x.example", false },
		{ ".x.example", false },
		{ "x_y.example", false },
		{ "a\nb", false },
	};
	char c[300], k[300], err[512];
	struct stat st;
	size_t i;

	(void)state;
	path_in(c, sizeof(c), "row-cert.pem");
	path_in(k, sizeof(k), "row-key.pem");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		FILE *f;
		X509 *x;
		int days = 0, secs = 0;

		unlink(c);
		unlink(k);
		if (tls_make_self_signed(rows[i].host, c, k, err,
					 sizeof(err)) != (rows[i].ok ? 0 : -1))
			fail_msg("row %zu (%s): %s", i, rows[i].host, err);
		if (!rows[i].ok) {
			assert_non_null(strstr(err, "not a host name"));
			assert_int_equal(access(c, F_OK), -1);
			continue;
		}
		assert_int_equal(stat(c, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0644);
		assert_int_equal(stat(k, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		f = fopen(c, "r");
		assert_non_null(f);
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
		assert_non_null(x);
		/* The name is in the subjectAltName (RFC 6125). */
		assert_int_equal(X509_check_host(x, rows[i].host, 0, 0, NULL),
				 1);
		assert_int_equal(X509_check_host(x, "other.example", 0, 0,
						 NULL),
				 0);
		assert_int_equal(ASN1_TIME_diff(&days, &secs,
						X509_get0_notBefore(x),
						X509_get0_notAfter(x)),
				 1);
		assert_true(days >= TLS_SELF_SIGNED_DAYS);
		X509_free(x);
	}
	/* A directory that does not exist. */
	assert_int_equal(tls_make_self_signed(HOST, "/nonexistent/c.pem",
					      "/nonexistent/k.pem", err,
					      sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "write /nonexistent/k.pem"));
}

static void
test_ctx_errors(void **state)
{
	char err[512];

	(void)state;
	assert_null(tls_server_ctx_new("", "", err, sizeof(err)));
	assert_string_equal(err, "no certificate file given");
	assert_null(tls_server_ctx_new("/nonexistent/cert.pem", key, err,
				       sizeof(err)));
	assert_non_null(strstr(err, "cannot load certificate chain from "
				    "/nonexistent/cert.pem"));
	assert_non_null(strstr(err, "No such file"));
	assert_null(tls_server_ctx_new(cert, "/nonexistent/key.pem", err,
				       sizeof(err)));
	assert_non_null(strstr(err, "cannot load private key from "
				    "/nonexistent/key.pem"));
	/* A key that belongs to another certificate. */
	assert_null(tls_server_ctx_new(cert, key2, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot load private key from"));
	assert_non_null(strstr(err, "key values mismatch"));
	/* A certificate file that holds no certificate. */
	assert_null(tls_server_ctx_new(key, key, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot load certificate chain"));
	assert_null(tls_client_ctx_new("/nonexistent/ca.pem", err,
				       sizeof(err)));
	assert_non_null(strstr(err, "cannot load trusted certificates"));
}

/* A raw OpenSSL client that offers only the versions it is told. */
struct raw_client {
	struct tlstest_pair *pair;
	SSL_CTX *ctx;
	SSL *ssl;
	struct event_io *io;
	bool done, failed;
};

/* raw_on_io - drive SSL_connect */
static void
raw_on_io(void *arg, int fd, unsigned revents)
{
	struct raw_client *rc = arg;
	int r, e;

	(void)fd;
	(void)revents;
	ERR_clear_error();
	r = SSL_connect(rc->ssl);
	if (r == 1) {
		rc->done = true;
	} else {
		e = SSL_get_error(rc->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			event_io_set(rc->io, EVENT_READ);
		else if (e == SSL_ERROR_WANT_WRITE)
			event_io_set(rc->io, EVENT_WRITE);
		else
			rc->failed = true;
		ERR_clear_error();
	}
	if (rc->done || rc->failed) {
		/* The harness's client end stands in for this one. */
		event_io_set(rc->io, 0);
		rc->pair->c.eof = true;
		if (tlstest_end_finished(&rc->pair->s))
			event_loop_stop(rc->pair->loop);
	}
}

static void
test_versions(void **state)
{
	static const struct {
		int version;
		bool ok;
		const char *name;
	} rows[] = {
		{ TLS1_VERSION, false, NULL },
		{ TLS1_1_VERSION, false, NULL },
		{ TLS1_2_VERSION, true, "TLSv1.2" },
		{ TLS1_3_VERSION, true, "TLSv1.3" },
	};
	struct tls_ctx *sctx = server_ctx();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tlstest_pair p;
		struct raw_client rc;
		char desc[TLS_DESCRIBE_MAX];

		tlstest_pair_init(&p);
		/* The client end is the raw one: no watcher of its own, and
		 * finished only when raw_on_io says so. */
		event_io_remove(&p.c.io);
		p.c.want_in = 1;
		memset(&rc, 0, sizeof(rc));
		rc.pair = &p;
		rc.ctx = SSL_CTX_new(TLS_client_method());
		assert_non_null(rc.ctx);
		/* Old versions need security level 0 in OpenSSL 3. */
		SSL_CTX_set_security_level(rc.ctx, 0);
		assert_int_equal(SSL_CTX_set_cipher_list(rc.ctx,
							 "DEFAULT@SECLEVEL=0"),
				 1);
		assert_int_equal(SSL_CTX_set_min_proto_version(
					 rc.ctx, rows[i].version),
				 1);
		assert_int_equal(SSL_CTX_set_max_proto_version(
					 rc.ctx, rows[i].version),
				 1);
		rc.ssl = SSL_new(rc.ctx);
		SSL_set_fd(rc.ssl, p.c.fd);
		rc.io = event_io_add(p.loop, p.c.fd, 0, raw_on_io, &rc);
		tlstest_start_tls(&p, sctx, NULL, NULL, NULL);
		p.guard = event_timer_add(p.loop, TLSTEST_GUARD_MS,
					  tlstest_guard, NULL);
		raw_on_io(&rc, p.c.fd, 0);
		tlstest_on_io(&p.s, p.s.fd, 0);
		assert_int_equal(event_loop_run(p.loop), 0);
		event_timer_remove(&p.guard);
		if (rows[i].ok) {
			assert_true(rc.done);
			assert_true(p.s.ready);
			tls_conn_describe(stream_tls(&p.s.st), desc,
					  sizeof(desc));
			assert_non_null(strstr(desc, rows[i].name));
			assert_string_equal(SSL_get_version(rc.ssl),
					    rows[i].name);
		} else {
			/* RFC 8996: the server refuses, whatever the client
			 * is willing to do. */
			assert_true(rc.failed);
			assert_true(p.s.failed);
			if (strstr(stream_error(&p.s.st),
				   "unsupported protocol") == NULL)
				fail_msg("row %zu: %s", i,
					 stream_error(&p.s.st));
		}
		event_io_remove(&rc.io);
		SSL_free(rc.ssl);
		SSL_CTX_free(rc.ctx);
		tlstest_pair_deinit(&p);
	}
	tls_ctx_free(&sctx);
	assert_null(sctx);
}

/* run_exchange - a handshake and a few bytes each way; returns the pair */
static void
run_exchange(struct tlstest_pair *p, struct tls_ctx *sctx,
	     struct tls_ctx *cctx, const char *sni, const char *verify_name,
	     const struct tls_session *resume)
{
	tlstest_pair_init(p);
	tlstest_start_tls(p, sctx, cctx, sni, verify_name);
	if (resume != NULL)
		tls_conn_session_set(stream_tls(&p->c.st), resume);
	buf_append_str(&p->c.out, "EHLO client.example\r\n");
	p->s.want_in = strlen("EHLO client.example\r\n");
	buf_append_str(&p->s.out, "250 mx.test.example\r\n");
	p->c.want_in = strlen("250 mx.test.example\r\n");
	tlstest_run(p);
	assert_false(p->c.failed);
	assert_false(p->s.failed);
	assert_memory_equal(p->s.in.data, "EHLO client.example\r\n",
			    p->s.want_in);
	assert_memory_equal(p->c.in.data, "250 mx.test.example\r\n",
			    p->c.want_in);
}

static void
test_verify(void **state)
{
	static const struct {
		const char *ca;		/* "1": cert, "2": cert2, "": system */
		const char *verify_name;
		bool trusted, verified;
		const char *logged;
	} rows[] = {
		{ "1", HOST, true, true, "Verified TLS connection established "
					 "to peer[192.0.2.1]:25: TLSv1.3 with "
					 "cipher " },
		{ "1", "MX.Test.Example", true, true, "Verified TLS" },
		{ "1", "other.example", true, false, "Trusted TLS connection "
						    "established to " },
		{ "1", "192.0.2.1", true, false, "Trusted TLS" },
		{ "1", NULL, true, true, "Trusted TLS connection" },
		{ "2", HOST, false, false, "Untrusted TLS connection "
					   "established to " },
		{ "", HOST, false, false, "Untrusted TLS" },
	};
	struct tls_ctx *sctx = server_ctx();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tlstest_pair p;
		struct tls_ctx *cctx;
		struct tls_conn *c;

		cctx = client_ctx(rows[i].ca[0] == '1'	 ? cert
				  : rows[i].ca[0] == '2' ? cert2
							 : "");
		run_exchange(&p, sctx, cctx, HOST, rows[i].verify_name, NULL);
		c = stream_tls(&p.c.st);
		if (tls_conn_trusted(c) != rows[i].trusted ||
		    tls_conn_verified(c) != rows[i].verified)
			fail_msg("row %zu: trusted %d verified %d", i,
				 tls_conn_trusted(c), tls_conn_verified(c));
		tls_log_established(c, true, "peer[192.0.2.1]:25");
		if (!testlib_log_contains(rows[i].logged))
			fail_msg("row %zu: no log line \"%s\"", i,
				 rows[i].logged);
		testlib_log_check();
		tls_log_established(stream_tls(&p.s.st), false,
				    "unknown[127.0.0.1]");
		assert_true(testlib_log_contains(
			"Anonymous TLS connection established from "
			"unknown[127.0.0.1]: TLSv1.3 with cipher "));
		testlib_log_check();
		tlstest_pair_deinit(&p);
		tls_ctx_free(&cctx);
	}
	tls_ctx_free(&sctx);
}

static void
test_resumption(void **state)
{
	char tickets[300], err[512];
	struct tls_ctx *a, *b, *lone, *cctx;
	struct tls_session *session;
	struct tlstest_pair p;

	(void)state;
	path_in(tickets, sizeof(tickets), "tickets.key");
	/* Two server contexts stand for two processes of an instance. */
	a = server_ctx();
	b = server_ctx();
	lone = server_ctx();
	assert_int_equal(tls_ctx_ticket_keys_load(a, tickets, err,
						  sizeof(err)),
			 0);
	assert_int_equal(tls_ctx_ticket_keys_load(b, tickets, err,
						  sizeof(err)),
			 0);
	cctx = client_ctx(cert);

	run_exchange(&p, a, cctx, HOST, HOST, NULL);
	assert_false(tls_conn_resumed(stream_tls(&p.c.st)));
	/* The TLS 1.3 ticket came with the server's reply. */
	session = tls_conn_session_get(stream_tls(&p.c.st));
	assert_non_null(session);
	assert_null(tls_conn_session_get(stream_tls(&p.s.st)));
	tlstest_pair_deinit(&p);

	/* The same process, and another one with the same key file. */
	run_exchange(&p, a, cctx, HOST, HOST, session);
	assert_true(tls_conn_resumed(stream_tls(&p.c.st)));
	assert_true(tls_conn_resumed(stream_tls(&p.s.st)));
	assert_true(tls_conn_verified(stream_tls(&p.c.st)));
	tlstest_pair_deinit(&p);
	run_exchange(&p, b, cctx, HOST, HOST, session);
	assert_true(tls_conn_resumed(stream_tls(&p.s.st)));
	tlstest_pair_deinit(&p);

	/* A process with its own key cannot read the ticket: a full
	 * handshake, which works all the same. */
	run_exchange(&p, lone, cctx, HOST, HOST, session);
	assert_false(tls_conn_resumed(stream_tls(&p.s.st)));
	assert_false(tls_conn_resumed(stream_tls(&p.c.st)));
	tlstest_pair_deinit(&p);

	tls_session_free(&session);
	assert_null(session);
	tls_session_free(&session);
	tls_ctx_free(&a);
	tls_ctx_free(&b);
	tls_ctx_free(&lone);
	tls_ctx_free(&cctx);
}

/* file_bytes - the content of path */
static void
file_bytes(const char *path, struct buf *out)
{
	buf_reset(out);
	assert_int_equal(io_read_file(path, 4096, out), 0);
}

static void
test_ticket_file(void **state)
{
	char path[300], link_path[300], err[512];
	struct tls_ctx *ctx = server_ctx();
	struct timeval old[2];
	struct buf first, now;
	struct stat st;

	(void)state;
	buf_init(&first, 4096);
	buf_init(&now, 4096);
	path_in(path, sizeof(path), "ticket-test.key");
	/* Made at first use: version 1, 88 octets, mode 0600. */
	assert_int_equal(tls_ctx_ticket_keys_load(ctx, path, err, sizeof(err)),
			 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	file_bytes(path, &first);
	assert_int_equal(first.len, 88);
	assert_memory_equal(first.data, "MRTK\x01\0\0\0", 8);
	/* Used as it is by the next process. */
	assert_int_equal(tls_ctx_ticket_keys_load(ctx, path, err, sizeof(err)),
			 0);
	file_bytes(path, &now);
	assert_memory_equal(first.data, now.data, 88);
	/* Replaced when older than a day. */
	memset(old, 0, sizeof(old));
	old[0].tv_sec = old[1].tv_sec =
		time(NULL) - TLS_TICKET_KEY_MAX_AGE_S - 60;
	assert_int_equal(utimes(path, old), 0);
	assert_int_equal(tls_ctx_ticket_keys_load(ctx, path, err, sizeof(err)),
			 0);
	file_bytes(path, &now);
	assert_int_equal(now.len, 88);
	assert_memory_not_equal(first.data + 8, now.data + 8, 80);
	/* Readable by others: refused, the file is left alone. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(tls_ctx_ticket_keys_load(ctx, path, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "mode 0600"));
	/* Not a key file. */
	assert_int_equal(io_atomic_replace(path, "short", 5, 0600), 0);
	assert_int_equal(tls_ctx_ticket_keys_load(ctx, path, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "not a version 1 ticket key file"));
	assert_int_equal(io_atomic_replace(path, "MRTK\x02", 5, 0600), 0);
	assert_int_equal(tls_ctx_ticket_keys_load(ctx, path, err, sizeof(err)),
			 -1);
	/* A planted link is not followed. */
	path_in(link_path, sizeof(link_path), "ticket-link.key");
	assert_int_equal(symlink(path, link_path), 0);
	assert_int_equal(tls_ctx_ticket_keys_load(ctx, link_path, err,
						  sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "open "));
	/* A directory that cannot be written. */
	assert_int_equal(tls_ctx_ticket_keys_load(ctx, "/nonexistent/t.key",
						  err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "open /nonexistent/t.key.lock"));
	buf_deinit(&first);
	buf_deinit(&now);
	tls_ctx_free(&ctx);
}

static void
test_close_notify_and_refs(void **state)
{
	struct tls_ctx *sctx = server_ctx(), *cctx = client_ctx(cert);
	struct tls_ctx *shared = sctx;
	struct tlstest_pair p;

	(void)state;
	/* A second owner keeps the context when the first lets go. */
	tls_ctx_ref(shared);
	tls_ctx_free(&sctx);
	assert_null(sctx);
	/* The connections keep their contexts alive too. */
	tlstest_pair_init(&p);
	tlstest_start_tls(&p, shared, cctx, HOST, HOST);
	tls_ctx_free(&shared);
	tls_ctx_free(&cctx);
	buf_append_str(&p.s.out, "221 2.0.0 Bye\r\n");
	p.s.close_notify = true;
	p.c.want_in = strlen("221 2.0.0 Bye\r\n") + 1;
	tlstest_run(&p);
	/* The client read the reply, then a clean EOF. */
	assert_int_equal(p.c.in.len, strlen("221 2.0.0 Bye\r\n"));
	assert_true(p.c.eof);
	assert_false(p.c.failed);
	assert_string_equal(tls_conn_error(stream_tls(&p.c.st)), "");
	/* Twice is harmless. */
	tls_close_notify(stream_tls(&p.s.st));
	tlstest_pair_deinit(&p);
}

static void
test_garbage_and_eof(void **state)
{
	struct tls_ctx *sctx = server_ctx();
	struct tlstest_pair p;

	(void)state;
	/* Plaintext SMTP where a ClientHello belongs. */
	tlstest_pair_init(&p);
	tlstest_start_tls(&p, sctx, NULL, NULL, NULL);
	buf_append_str(&p.c.out, "MAIL FROM:<evil@example.com>\r\n");
	tlstest_run(&p);
	assert_true(p.s.failed);
	assert_non_null(strstr(stream_error(&p.s.st), "SSL routines"));
	tlstest_pair_deinit(&p);
	/* The client goes away in the middle of the handshake. */
	tlstest_pair_init(&p);
	tlstest_start_tls(&p, sctx, NULL, NULL, NULL);
	buf_append_str(&p.c.out, "\x16\x03\x01");
	p.c.want_in = 0;
	tlstest_on_io(&p.c, p.c.fd, 0);
	shutdown(p.c.fd, SHUT_WR);
	tlstest_run(&p);
	assert_true(p.s.failed);
	assert_string_equal(stream_error(&p.s.st), "lost connection");
	tlstest_pair_deinit(&p);
	tls_ctx_free(&sctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_self_signed, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_ctx_errors, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_versions, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_verify, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_resumption, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_ticket_file, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_close_notify_and_refs, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_garbage_and_eof, testlib_setup,
						testlib_teardown),
	};

	/* As in every daemon (lib/server): OpenSSL writes with write(2). */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
