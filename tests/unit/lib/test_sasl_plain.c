/*
 * test_sasl_plain.c - unit tests for lib/sasl_plain.c: canonical base64
 * only, exactly two NULs, non-empty authcid and passwd, the size limit,
 * and which authzids ask for a proxy login.
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "lib/sasl_plain.h"

static const struct {
	const char *b64;
	int rc;
	const char *authzid, *authcid, *passwd, *error;
} rows[] = {
	{ "AGFsaWNlAHNlY3JldA==", 0, "", "alice", "secret", NULL },
	{ "Ym9iAGFsaWNlAHMgcw==", 0, "bob", "alice", "s s", NULL },
	{ "AGEAYg==", 0, "", "a", "b", NULL },
	{ "AGEAYmM=", 0, "", "a", "bc", NULL },
	{ "AGEAYmNk", 0, "", "a", "bcd", NULL },
	{ "", -1, 0, 0, 0, "not authzid NUL authcid NUL passwd" },
	{ "AGFsaWNl", -1, 0, 0, 0, "not authzid NUL authcid NUL passwd" },
	{ "AABzZWNyZXQ=", -1, 0, 0, 0, "empty authcid or passwd" },
	{ "AGFsaWNlAA==", -1, 0, 0, 0, "empty authcid or passwd" },
	{ "AGEAYgBj", -1, 0, 0, 0, "not authzid NUL authcid NUL passwd" },
	{ "AGEAYg=", -1, 0, 0, 0, "invalid base64" },
	{ "AGEAYg", -1, 0, 0, 0, "invalid base64" },
	{ "AGEA Yg==", -1, 0, 0, 0, "invalid base64" },
	{ "AGEAYh==", -1, 0, 0, 0, "invalid base64" },	/* bits set */
	{ "AGEAYmN=", -1, 0, 0, 0, "invalid base64" },
	{ "AG=AYg==", -1, 0, 0, 0, "invalid base64" },
	{ "=GEAYg==", -1, 0, 0, 0, "invalid base64" },
	{ "AGEAY===", -1, 0, 0, 0, "invalid base64" },
	{ "AGEAYg==AGEA", -1, 0, 0, 0, "invalid base64" },
	{ "AGEAYg-_", -1, 0, 0, 0, "invalid base64" },
};

static void
test_rows(void **state)
{
	struct sasl_plain sp;
	const char *error;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = sasl_plain_decode(rows[i].b64, strlen(rows[i].b64),
					   &sp, &error);

		if (rc != rows[i].rc)
			fail_msg("row \"%s\": rc %d", rows[i].b64, rc);
		if (rc < 0) {
			assert_string_equal(error, rows[i].error);
			continue;
		}
		assert_string_equal(sp.authzid, rows[i].authzid);
		assert_string_equal(sp.authcid, rows[i].authcid);
		assert_string_equal(sp.passwd, rows[i].passwd);
	}
}

static void
test_limit(void **state)
{
	char b64[SASL_PLAIN_B64_MAX + 8];
	struct sasl_plain sp;
	const char *error;

	(void)state;
	/* "AAAA" is three NULs: the split fails, but only after decoding;
	 * one group more is refused before. */
	memset(b64, 'A', sizeof(b64));
	assert_int_equal(sasl_plain_decode(b64, SASL_PLAIN_B64_MAX - 4, &sp,
					   &error),
			 -1);
	assert_string_equal(error, "not authzid NUL authcid NUL passwd");
	assert_int_equal(sasl_plain_decode(b64, SASL_PLAIN_B64_MAX + 4, &sp,
					   &error),
			 -1);
	assert_string_equal(error, "invalid base64");
}

static void
test_proxy(void **state)
{
	static const struct {
		const char *b64;	/* authzid NUL authcid NUL passwd */
		bool proxy;
	} cases[] = {
		{ "AGFsaWNlAHNlY3JldA==", false },	/* "", alice */
		{ "YWxpY2UAYWxpY2UAcw==", false },	/* alice, alice */
		{ "QUxJQ0UAYWxpY2UAcw==", false },	/* ALICE, alice */
		{ "Ym9iAGFsaWNlAHMgcw==", true },	/* bob, alice */
		{ "YWxpY2UxAGFsaWNlAHM=", true },	/* alice1, alice */
	};
	struct sasl_plain sp;
	const char *error;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(sasl_plain_decode(cases[i].b64,
						   strlen(cases[i].b64), &sp,
						   &error),
				 0);
		if (sasl_plain_is_proxy(&sp) != cases[i].proxy)
			fail_msg("case %zu: %s", i, cases[i].b64);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_limit, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_proxy, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
