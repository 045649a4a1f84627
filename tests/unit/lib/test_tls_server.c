/*
 * test_tls_server.c - unit tests for tls_server_setup (lib/tls.c), the one
 * rule by which smtpd, pop3d and imapd make their server TLS from main.cf:
 * the levels, the certificate cases at each level and in wrapper mode, and
 * the configuration errors with their texts and exit code.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/log.h"
#include "lib/tls.h"

#define HOST "pop.test.example"

static char dir[256];
static char cert[300], key[300], missing[300];

/* setup - a certificate and a queue directory with private/ */
static int
setup(void **state)
{
	(void)state;
	testlib_queue_tmpdir(dir, sizeof(dir), "test_tls_server");
	testlib_tls_cert(dir, "pop", HOST, cert, key, sizeof(cert));
	snprintf(missing, sizeof(missing), "%s/missing.pem", dir);
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

/* Which certificate a row configures. */
enum cert_choice {
	CERT_NONE,	/* none at all */
	CERT_GOOD,	/* certificate and key */
	CERT_MISSING,	/* a file that does not exist */
	CERT_NO_KEY,	/* the key file is the certificate */
};

struct setup_row {
	const char *service;
	const char *level;
	bool wrapper;
	enum cert_choice cert;
	int want_level;		/* -1: none expected (fatal) */
	bool has_ctx;
	bool fatal;
	const char *log;	/* expected warning or fatal text */
};

static const struct setup_row rows[] = {
	/* The levels, with a certificate. */
	{ "pop3d", "", false, CERT_GOOD, TLS_LEVEL_NONE, false, false, NULL },
	{ "pop3d", "none", false, CERT_GOOD, TLS_LEVEL_NONE, false, false,
	  NULL },
	{ "pop3d", "may", false, CERT_GOOD, TLS_LEVEL_MAY, true, false, NULL },
	{ "smtpd", "encrypt", false, CERT_GOOD, TLS_LEVEL_ENCRYPT, true, false,
	  NULL },
	{ "imapd", "none", true, CERT_GOOD, TLS_LEVEL_NONE, true, false,
	  NULL },
	/* Unknown levels: a configuration error naming the parameter. */
	{ "pop3d", "MAY", false, CERT_GOOD, -1, false, true,
	  "pop3d_tls_security_level: unknown level \"MAY\"" },
	{ "smtpd", "verify", false, CERT_GOOD, -1, false, true,
	  "smtpd_tls_security_level: unknown level \"verify\"" },
	{ "imapd", "may ", false, CERT_GOOD, -1, false, true,
	  "imapd_tls_security_level: unknown level" },
	{ "pop3d", "\x01", false, CERT_GOOD, -1, false, true,
	  "pop3d_tls_security_level: unknown level" },
	/* TLS off: the certificate is not even looked at. */
	{ "smtpd", "none", false, CERT_MISSING, TLS_LEVEL_NONE, false, false,
	  NULL },
	/* Wanted: no certificate configured is quietly no TLS... */
	{ "imapd", "may", false, CERT_NONE, TLS_LEVEL_MAY, false, false,
	  NULL },
	/* ... and one that cannot be loaded a warning and no TLS. */
	{ "smtpd", "may", false, CERT_MISSING, TLS_LEVEL_MAY, false, false,
	  "No server certs available. TLS won't be enabled: cannot load "
	  "certificate chain from " },
	{ "imapd", "may", false, CERT_NO_KEY, TLS_LEVEL_MAY, false, false,
	  "cannot load private key from " },
	/* Required (encrypt or wrapper mode) without one: fatal. */
	{ "pop3d", "encrypt", false, CERT_NONE, -1, false, true,
	  "pop3d_tls_cert_file is not set: TLS can't be enabled" },
	{ "imapd", "none", true, CERT_NONE, -1, false, true,
	  "imapd_tls_cert_file is not set" },
	{ "imapd", "may", true, CERT_MISSING, -1, false, true,
	  "No server certs available. TLS can't be enabled: cannot load "
	  "certificate chain" },
	{ "smtpd", "encrypt", false, CERT_NO_KEY, -1, false, true,
	  "No server certs available. TLS can't be enabled: cannot load "
	  "private key" },
};

/* run_row - tls_server_setup for one row, checked */
static void
run_row(size_t i, const struct setup_row *row)
{
	struct tls_server_conf conf = {
		.service = row->service,
		.level = row->level,
		.wrapper = row->wrapper,
		.cert_file = "",
		.key_file = "",
		.queue_dir = dir,
	};
	enum tls_level level = (enum tls_level)-1;
	struct tls_ctx *volatile ctx = NULL;

	switch (row->cert) {
	case CERT_NONE:
		break;
	case CERT_GOOD:
		conf.cert_file = cert;
		conf.key_file = key;
		break;
	case CERT_MISSING:
		conf.cert_file = missing;
		conf.key_file = missing;
		break;
	case CERT_NO_KEY:
		conf.cert_file = cert;
		conf.key_file = cert;
		break;
	}
	if (row->log != NULL)
		testlib_log_expect(row->log);
	if (row->fatal) {
		if (!TESTLIB_EXPECT_EXIT(ctx = tls_server_setup(&conf, &level)))
			fail_msg("row %zu: not fatal", i);
		assert_int_equal(testlib_exit_code, MR_EXIT_CONFIG);
	} else {
		ctx = tls_server_setup(&conf, &level);
		if ((int)level != row->want_level)
			fail_msg("row %zu: level %d", i, (int)level);
	}
	if (row->log != NULL && !testlib_log_contains(row->log))
		fail_msg("row %zu: no log line \"%s\"", i, row->log);
	if ((ctx != NULL) != row->has_ctx)
		fail_msg("row %zu: context %s", i,
			 ctx != NULL ? "made" : "missing");
	tls_ctx_free((struct tls_ctx **)&ctx);
}

static void
test_setup_rule(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(i, &rows[i]);
}

/* The context carries the instance's shared ticket key: made on first use. */
static void
test_ticket_key_made(void **state)
{
	const struct tls_server_conf conf = {
		.service = "pop3d",
		.level = "may",
		.cert_file = cert,
		.key_file = key,
		.queue_dir = dir,
	};
	char path[400];
	enum tls_level level;
	struct tls_ctx *ctx;
	struct stat st;

	(void)state;
	ctx = tls_server_setup(&conf, &level);
	assert_non_null(ctx);
	snprintf(path, sizeof(path), "%s/private/%s", dir,
		 TLS_TICKET_KEY_FILE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	tls_ctx_free(&ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_setup_rule, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_ticket_key_made,
						testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
