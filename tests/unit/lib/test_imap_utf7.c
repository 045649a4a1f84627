/*
 * test_imap_utf7.c - unit tests for lib/imap_utf7.c: modified UTF-7
 * (RFC 3501 5.1.3) both ways, the strict decoding rules and the output
 * limit.
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/imap_utf7.h"

/* Pairs that convert both ways. */
static const struct {
	const char *utf7;
	const char *utf8;
} pairs[] = {
    {"", ""},
    {"INBOX", "INBOX"},
    {"a&-b", "a&b"},
    {"&-&-", "&&"},
    {"Entw&APw-rfe", "Entw\xc3\xbcrfe"},
    {"&ZeVnLIqe-", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"},
    {"~peter/mail/&U,BTFw-/&ZeVnLIqe-",
     "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac"
     "\xe8\xaa\x9e"},
    {"&2D3eAA-", "\xf0\x9f\x98\x80"},
    {"&AAk-", "\t"},
    {"x&AOkA6QDp-y", "x\xc3\xa9\xc3\xa9\xc3\xa9y"},
};

/* Modified UTF-7 that must be refused. */
static const char *const bad_utf7[] = {
    "&",         /* unterminated */
    "&APw",      /* unterminated */
    "&AGE-",     /* printable ASCII shifted */
    "&2D0-",     /* lone high surrogate */
    "&3gA-",     /* lone low surrogate */
    "&2D3YPQ-",  /* high surrogate followed by high */
    "&AP-",      /* leftover bits not zero */
    "&APw-&AP-", /* second shift broken */
    "&A/w-",     /* "/" is not modified base64 */
    "&AA-",      /* leftover bits make no character */
    "a\x01",     /* control character */
    "\xc3\xa9",  /* 8-bit */
};

/* UTF-8 that must be refused. */
static const char *const bad_utf8[] = {
    "\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
};

static void
test_pairs(void **state)
{
	struct buf out;
	size_t i;

	(void)state;
	buf_init(&out, 4096);
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		buf_reset(&out);
		assert_int_equal(imap_utf7_to_utf8(pairs[i].utf7,
		                                   strlen(pairs[i].utf7), &out),
		                 0);
		assert_string_equal(buf_cstr(&out), pairs[i].utf8);
		buf_reset(&out);
		assert_int_equal(imap_utf7_from_utf8(pairs[i].utf8,
		                                     strlen(pairs[i].utf8),
		                                     &out),
		                 0);
		assert_string_equal(buf_cstr(&out), pairs[i].utf7);
	}
	for (i = 0; i < sizeof(bad_utf7) / sizeof(bad_utf7[0]); i++) {
		buf_reset(&out);
		if (imap_utf7_to_utf8(bad_utf7[i], strlen(bad_utf7[i]), &out) !=
		    -1)
			fail_msg("accepted %s", bad_utf7[i]);
	}
	for (i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		buf_reset(&out);
		assert_int_equal(
		    imap_utf7_from_utf8(bad_utf8[i], strlen(bad_utf8[i]), &out),
		    -1);
	}
	buf_deinit(&out);
}

/* A full output buffer is an error, never an overflow. */
static void
test_limit(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out, 4);
	assert_int_equal(imap_utf7_to_utf8("abcde", 5, &out), -1);
	assert_int_equal(out.len, 4);
	buf_reset(&out);
	assert_int_equal(imap_utf7_from_utf8("\xc3\xa9", 2, &out), -1);
	buf_deinit(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pairs, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_limit, testlib_setup,
	                                    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
