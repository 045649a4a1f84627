/*
 * testlib.c - shared helpers for the cmocka unit tests (see testlib.h).
 */
#include "tests/unit/testlib.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/tls.h"

/* Captured lines and declared expectations; test-only process state. */
#define TESTLIB_MAX_LINES 256
#define TESTLIB_MAX_EXPECT 32

static char *captured[TESTLIB_MAX_LINES];
static enum log_level captured_level[TESTLIB_MAX_LINES];
static size_t captured_count;
static char *expected[TESTLIB_MAX_EXPECT];
static size_t expected_count;

jmp_buf testlib_exit_jmp;
int testlib_exit_code;
enum log_level testlib_exit_level;

/* testlib_log_hook - store one line */
static void
testlib_log_hook(enum log_level level, const char *text, void *ctx)
{
	(void)ctx;
	if (captured_count < TESTLIB_MAX_LINES) {
		captured_level[captured_count] = level;
		captured[captured_count++] = strdup(text);
	}
	if (getenv("TESTLIB_VERBOSE") != NULL)
		fprintf(stderr, "log: %s\n", text);
}

/* testlib_reset - forget lines and expectations */
static void
testlib_reset(void)
{
	size_t i;

	for (i = 0; i < captured_count; i++)
		free(captured[i]);
	for (i = 0; i < expected_count; i++)
		free(expected[i]);
	captured_count = 0;
	expected_count = 0;
}

void
testlib_log_capture(void)
{
	testlib_reset();
	log_set_hook(testlib_log_hook, NULL, true);
}

void
testlib_log_expect(const char *text)
{
	if (expected_count < TESTLIB_MAX_EXPECT)
		expected[expected_count++] = strdup(text);
}

bool
testlib_log_contains(const char *text)
{
	size_t i;

	for (i = 0; i < captured_count; i++)
		if (strstr(captured[i], text) != NULL)
			return true;
	return false;
}

void
testlib_log_check(void)
{
	size_t i, j;

	for (i = 0; i < captured_count; i++) {
		bool declared = false;

		if (captured_level[i] < LOG_LEVEL_WARN)
			continue;
		for (j = 0; j < expected_count; j++)
			if (strstr(captured[i], expected[j]) != NULL)
				declared = true;
		if (!declared)
			fail_msg("undeclared log line: %s", captured[i]);
	}
	testlib_reset();
}

int
testlib_setup(void **state)
{
	(void)state;
	testlib_log_capture();
	return 0;
}

int
testlib_teardown(void **state)
{
	(void)state;
	testlib_log_check();
	log_set_hook(NULL, NULL, false);
	return 0;
}

void
testlib_exit_hook(enum log_level level, int exit_code)
{
	testlib_exit_level = level;
	testlib_exit_code = exit_code;
	longjmp(testlib_exit_jmp, 1);
}

/* rmtree_entry - nftw callback removing one entry */
static int
rmtree_entry(const char *path, const struct stat *st, int type,
	     struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

void
testlib_tmpdir(char *dir, size_t size, const char *name)
{
	int n = snprintf(dir, size, "/tmp/%s.XXXXXX", name);

	if (n < 0 || (size_t)n >= size || mkdtemp(dir) == NULL)
		fail_msg("cannot make a temporary directory for %s", name);
}

void
testlib_queue_tmpdir(char *dir, size_t size, const char *name)
{
	char priv[PATH_MAX];

	testlib_tmpdir(dir, size, name);
	snprintf(priv, sizeof(priv), "%s/private", dir);
	if (mkdir(priv, 0700) < 0)
		fail_msg("cannot make %s", priv);
}

void
testlib_rmtree(const char *dir)
{
	nftw(dir, rmtree_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void
testlib_tls_cert(const char *dir, const char *stem, const char *host,
		 char *cert, char *key, size_t size)
{
	char err[TLS_ERROR_MAX];
	int c = snprintf(cert, size, "%s/%s-cert.pem", dir, stem);
	int k = snprintf(key, size, "%s/%s-key.pem", dir, stem);

	if (c < 0 || (size_t)c >= size || k < 0 || (size_t)k >= size)
		fail_msg("certificate paths in %s: too long", dir);
	if (tls_make_self_signed(host, cert, key, err, sizeof(err)) < 0)
		fail_msg("tls_make_self_signed: %s", err);
}
