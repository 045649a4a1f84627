/*
 * test_sasl_login.c - unit tests for lib/sasl_login.c: canonical base64
 * only, no NUL, the size limit; an empty response is an empty field. The
 * rows are the seed corpus of tests/fuzz/fuzz_sasl_login.c (written to
 * DIR with MR_SASL_LOGIN_WRITE_CORPUS=DIR).
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/buf.h"
#include "lib/io.h"
#include "lib/sasl_login.h"

static const struct {
	const char *b64;
	int rc;
	const char *out, *error;
} rows[] = {
	{ "YWxpY2U=", 0, "alice", NULL },
	{ "Ym9iQGV4YW1wbGUuY29t", 0, "bob@example.com", NULL },
	{ "cMOkc3Mgd8O2cmQ=", 0, "p\xc3\xa4ss w\xc3\xb6rd", NULL },
	{ "", 0, "", NULL },
	{ "YQBi", -1, NULL, "NUL in response" },
	{ "AA==", -1, NULL, "NUL in response" },
	{ "YWxpY2U", -1, NULL, "invalid base64" },
	{ "YWxpY2U==", -1, NULL, "invalid base64" },
	{ "YWxp Y2U=", -1, NULL, "invalid base64" },
	{ "YWxpY2V=", -1, NULL, "invalid base64" },	/* pad bits set */
	{ "*", -1, NULL, "invalid base64" },
	{ "=", -1, NULL, "invalid base64" },
	{ "YWxpY2U=\r\n", -1, NULL, "invalid base64" },
};

/* corpus_write - a seed for the fuzz target */
static void
corpus_write(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(io_atomic_replace(path, p, n, 0644), 0);
}

static void
test_rows(void **state)
{
	const char *corpus = getenv("MR_SASL_LOGIN_WRITE_CORPUS");
	char out[SASL_LOGIN_MAX + 1], name[32];
	const char *error;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = sasl_login_decode(rows[i].b64, strlen(rows[i].b64),
					   out, &error);

		if (corpus != NULL) {
			snprintf(name, sizeof(name), "row%03zu", i);
			corpus_write(corpus, name, rows[i].b64,
				     strlen(rows[i].b64));
		}
		if (rc != rows[i].rc)
			fail_msg("row \"%s\": rc %d", rows[i].b64, rc);
		if (rc < 0) {
			assert_string_equal(error, rows[i].error);
			assert_string_equal(out, "");
			continue;
		}
		assert_string_equal(out, rows[i].out);
	}
}

static void
test_limit(void **state)
{
	const char *corpus = getenv("MR_SASL_LOGIN_WRITE_CORPUS");
	char field[SASL_LOGIN_MAX + 2], out[SASL_LOGIN_MAX + 1];
	const char *error;
	struct buf b64;

	(void)state;
	buf_init(&b64, 2 * SASL_LOGIN_B64_MAX);
	memset(field, 'p', sizeof(field));
	/* At the limit, then one octet over it. */
	base64_encode((const uint8_t *)field, SASL_LOGIN_MAX, &b64);
	if (corpus != NULL)
		corpus_write(corpus, "limit", b64.data, b64.len);
	assert_int_equal(sasl_login_decode((const char *)b64.data, b64.len,
					   out, &error),
			 0);
	assert_int_equal(strlen(out), SASL_LOGIN_MAX);
	buf_reset(&b64);
	base64_encode((const uint8_t *)field, SASL_LOGIN_MAX + 1, &b64);
	if (corpus != NULL)
		corpus_write(corpus, "over", b64.data, b64.len);
	assert_int_equal(sasl_login_decode((const char *)b64.data, b64.len,
					   out, &error),
			 -1);
	assert_string_equal(error, "response too long");
	assert_string_equal(out, "");
	buf_deinit(&b64);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, testlib_setup, testlib_teardown);
}
