/*
 * test_stls.c - unit tests for pop3d/cmd_stls.c (the TLS levels and
 * certificate cases are test_tls_server's): the table of who may send a
 * password: CAPA's STLS, USER and SASL
 * lines, the answers to USER, AUTH PLAIN and STLS, and the security
 * element of the log lines, for loopback or not, TLS or not, each level
 * and both values of disable_plaintext_auth.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "pop3d/pop3d.h"

#define HOST "pop.test.example"

/* Longest main.cf text a test builds. */
#define TEST_CF_MAX 2048

static char dir[256];
static char cert[300], key[300];

/* load_cf - main.cf of the test: the queue in dir, then extra lines */
static void
load_cf(const char *extra)
{
	char text[TEST_CF_MAX];
	const char *error;
	int n;

	n = snprintf(text, sizeof(text), "queue_directory = %s\n%s", dir,
		     extra);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	if (config_load_string(text, (size_t)n, "main.cf", NULL, &error) < 0)
		fail_msg("main.cf: %s", error);
}

/* setup - a certificate and a queue directory with private/ */
static int
setup(void **state)
{
	(void)state;
	testlib_queue_tmpdir(dir, sizeof(dir), "test_stls");
	testlib_tls_cert(dir, "pop", HOST, cert, key, sizeof(cert));
	return 0;
}

/* teardown - remove the files */
static int
teardown(void **state)
{
	(void)state;
	testlib_rmtree(dir);
	return 0;
}

/* A row of the password table: the session, then what it is told. */
struct rule_row {
	bool loopback;
	bool tls;		/* after STLS or on pop3s */
	const char *cf;		/* main.cf lines */
	bool plaintext;		/* USER/PASS and AUTH PLAIN allowed */
	bool stls;		/* CAPA lists STLS */
	const char *security;	/* the log element */
};

#define REFUSED                                                             \
	"-ERR [AUTH] Plaintext authentication disallowed on non-secure "    \
	"(SSL/TLS) connections.\r\n"

static const struct rule_row rule_rows[] = {
	/* disable_plaintext_auth = yes (default), level may (default). */
	{ false, false, "", false, true, "" },
	{ true, false, "", true, true, ", secured" },
	{ false, true, "", true, false, ", TLS" },
	{ true, true, "", true, false, ", TLS" },
	/* Level encrypt: loopback needs TLS too. */
	{ true, false, "pop3d_tls_security_level = encrypt\n", false, true,
	  "" },
	{ false, false, "pop3d_tls_security_level = encrypt\n", false, true,
	  "" },
	{ false, true, "pop3d_tls_security_level = encrypt\n", true, false,
	  ", TLS" },
	/* encrypt wins over disable_plaintext_auth = no. */
	{ false, false,
	  "pop3d_tls_security_level = encrypt\ndisable_plaintext_auth = no\n",
	  false, true, "" },
	/* disable_plaintext_auth = no: anyone, anywhere. */
	{ false, false, "disable_plaintext_auth = no\n", true, true, "" },
	{ true, false, "disable_plaintext_auth = no\n", true, true,
	  ", secured" },
	/* Level none: no STLS; the loopback rule stays. */
	{ false, false, "pop3d_tls_security_level = none\n", false, false,
	  "" },
	{ true, false, "pop3d_tls_security_level = none\n", true, false,
	  ", secured" },
};

/* out_take - the session's output as a string; the buffer is emptied */
static void
out_take(struct pop3d_session *s, char *text, size_t size)
{
	assert_true(s->out.len < size);
	memcpy(text, s->out.data, s->out.len);
	text[s->out.len] = '\0';
	buf_reset(&s->out);
}

/* capa_text - the CAPA answer a row's session expects */
static void
capa_text(const struct rule_row *row, bool transaction, char *text,
	  size_t size)
{
	snprintf(text, size,
		 "+OK Capability list follows\r\nCAPA\r\nTOP\r\nUIDL\r\n"
		 "RESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n%s%s"
		 "IMPLEMENTATION mailroom\r\n.\r\n",
		 row->stls && !transaction ? "STLS\r\n" : "",
		 row->plaintext && !transaction ? "USER\r\nSASL PLAIN\r\n"
						: "");
}

/* run_row - one row against a session on a socketpair */
static void
run_row(size_t i, const struct rule_row *row, struct tls_ctx *ctx)
{
	char cf[TEST_CF_MAX], want[1024], got[4096], security[512];
	struct pop3d pd;
	struct pop3d_session s;
	struct pop3_cmd cmd;
	enum pop3_cmd_error err;
	int sv[2];

	snprintf(cf, sizeof(cf),
		 "pop3d_tls_cert_file = %s\npop3d_tls_key_file = %s\n%s", cert,
		 key, row->cf);
	load_cf(cf);
	memset(&pd, 0, sizeof(pd));
	pop3d_tls_init(&pd);
	memset(&s, 0, sizeof(s));
	s.pd = &pd;
	s.loopback = row->loopback;
	s.state = POP3D_STATE_AUTH;
	buf_init(&s.out, POP3D_OUT_MAX);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s.fd = sv[0];
	stream_init(&s.st, s.fd);
	if (row->tls)
		stream_tls_start(&s.st, tls_conn_server(ctx, s.fd));

	if (pop3d_plaintext_allowed(&s) != row->plaintext)
		fail_msg("row %zu: plaintext_allowed", i);
	if (pop3d_tls_is_offered(&s) != row->stls)
		fail_msg("row %zu: tls_is_offered", i);
	pop3d_session_security(&s, security, sizeof(security));
	if (strcmp(security, row->security) != 0)
		fail_msg("row %zu: security \"%s\"", i, security);

	pop3d_capa(&s);
	out_take(&s, got, sizeof(got));
	capa_text(row, false, want, sizeof(want));
	if (strcmp(got, want) != 0)
		fail_msg("row %zu: CAPA\n%s", i, got);

	/* USER, and AUTH PLAIN with an initial response: refused before a
	 * password is looked at, or taken. */
	assert_int_equal(pop3_cmd_parse((const uint8_t *)"USER alice", 10,
					&cmd, &err),
			 0);
	cmd_user(&s, &cmd);
	out_take(&s, got, sizeof(got));
	assert_string_equal(got, row->plaintext ? "+OK\r\n" : REFUSED);
	assert_int_equal(pop3_cmd_parse((const uint8_t *)"AUTH PLAIN", 10,
					&cmd, &err),
			 0);
	cmd_auth(&s, &cmd);
	out_take(&s, got, sizeof(got));
	assert_string_equal(got, row->plaintext ? "+ \r\n" : REFUSED);
	s.state = POP3D_STATE_AUTH;
	cmd_auth(&s, &(struct pop3_cmd){ .verb = POP3_VERB_AUTH });
	out_take(&s, got, sizeof(got));
	assert_string_equal(got, row->plaintext ? "+OK\r\nPLAIN\r\n.\r\n"
						: "+OK\r\n.\r\n");

	/* STLS */
	cmd_stls(&s, &cmd);
	out_take(&s, got, sizeof(got));
	if (row->stls) {
		assert_string_equal(got, "+OK Begin TLS negotiation now.\r\n");
		assert_int_equal(s.state, POP3D_STATE_TLS_START);
	} else if (row->tls) {
		assert_string_equal(got, "-ERR TLS is already active.\r\n");
		assert_int_equal(s.state, POP3D_STATE_AUTH);
	} else {
		assert_string_equal(got, "-ERR [SYS/PERM] TLS support isn't "
					 "enabled.\r\n");
		assert_int_equal(s.state, POP3D_STATE_AUTH);
	}

	/* TRANSACTION: neither STLS nor the login mechanisms. */
	s.state = POP3D_STATE_TRANSACTION;
	assert_false(pop3d_tls_is_offered(&s));
	pop3d_capa(&s);
	out_take(&s, got, sizeof(got));
	capa_text(row, true, want, sizeof(want));
	assert_string_equal(got, want);

	mem_free(&s.user);
	stream_deinit(&s.st);
	close(sv[0]);
	close(sv[1]);
	buf_deinit(&s.out);
	pop3d_tls_deinit(&pd);
}

static void
test_plaintext_rule(void **state)
{
	char err[TLS_ERROR_MAX];
	struct tls_ctx *ctx;
	size_t i;

	(void)state;
	ctx = tls_server_ctx_new(cert, key, err, sizeof(err));
	if (ctx == NULL)
		fail_msg("%s", err);
	for (i = 0; i < sizeof(rule_rows) / sizeof(rule_rows[0]); i++)
		run_row(i, &rule_rows[i], ctx);
	tls_ctx_free(&ctx);
}

static void
test_security_while_handshaking(void **state)
{
	char err[TLS_ERROR_MAX], security[512];
	struct pop3d pd;
	struct pop3d_session s;
	struct tls_ctx *ctx;
	int sv[2];

	(void)state;
	load_cf("");
	ctx = tls_server_ctx_new(cert, key, err, sizeof(err));
	if (ctx == NULL)
		fail_msg("%s", err);
	memset(&pd, 0, sizeof(pd));
	pd.tls = ctx;
	pd.tls_level = TLS_LEVEL_MAY;
	memset(&s, 0, sizeof(s));
	s.pd = &pd;
	s.loopback = true;
	buf_init(&s.out, 64);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s.fd = sv[0];
	stream_init(&s.st, s.fd);
	pop3d_tls_begin(&s);
	assert_int_equal(s.state, POP3D_STATE_TLS);
	pop3d_session_security(&s, security, sizeof(security));
	assert_string_equal(security, ", TLS handshaking");
	/* Not TLS on the other end: the handshake fails, and says why. */
	assert_int_equal(write(sv[1], "USER alice\r\n", 12), 12);
	assert_int_equal(pop3d_tls_step(&s), -1);
	pop3d_session_security(&s, security, sizeof(security));
	if (strncmp(security, ", TLS handshaking: SSL_accept() failed: ",
		    40) != 0 ||
	    strlen(security) <= 40)
		fail_msg("%s", security);
	stream_deinit(&s.st);
	close(sv[0]);
	close(sv[1]);
	buf_deinit(&s.out);
	tls_ctx_free(&ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plaintext_rule,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_security_while_handshaking,
						testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
