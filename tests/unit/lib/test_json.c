/*
 * test_json.c - unit tests for lib/json.c: one table of inputs and their
 * escaped forms (NUL, quotes, backslash, control characters, DEL, valid
 * and invalid UTF-8), a table for json_utf8_char_len, and the buffer limit.
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/json.h"

/* A C string literal with its length, NULs included. */
#define BYTES(s) s, sizeof(s) - 1

static void
test_escape_table(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} rows[] = {
		{ BYTES(""), "" },
		{ BYTES("user@example.com"), "user@example.com" },
		{ BYTES("a\"b"), "a\\\"b" },
		{ BYTES("a\\b"), "a\\\\b" },
		{ BYTES("/<>'"), "/<>'" },
		{ BYTES("nul\0x"), "nul\\u0000x" },
		{ BYTES("\0"), "\\u0000" },
		{ BYTES("\t\r\n"), "\\u0009\\u000d\\u000a" },
		{ BYTES("\x01\x1f "), "\\u0001\\u001f " },
		{ BYTES("del\x7f"), "del\\u007f" },
		/* Valid UTF-8 of each length passes through. */
		{ BYTES("\xc3\xa9t\xc3\xa9"), "\xc3\xa9t\xc3\xa9" },
		{ BYTES("\xe2\x82\xac"), "\xe2\x82\xac" },
		{ BYTES("\xf0\x9f\x93\xa7"), "\xf0\x9f\x93\xa7" },
		{ BYTES("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf" },
		{ BYTES("\xef\xbf\xbf"), "\xef\xbf\xbf" },
		/* Latin-1 and broken UTF-8: each bad byte escaped alone. */
		{ BYTES("caf\xe9"), "caf\\u00e9" },
		{ BYTES("\x80"), "\\u0080" },
		{ BYTES("\xbf\xc3"), "\\u00bf\\u00c3" },
		{ BYTES("\xc3("), "\\u00c3(" },
		/* Overlong "/", overlong 3-byte, surrogate, past U+10FFFF. */
		{ BYTES("\xc0\xaf"), "\\u00c0\\u00af" },
		{ BYTES("\xe0\x80\xaf"), "\\u00e0\\u0080\\u00af" },
		{ BYTES("\xed\xa0\x80"), "\\u00ed\\u00a0\\u0080" },
		{ BYTES("\xf4\x90\x80\x80"),
		  "\\u00f4\\u0090\\u0080\\u0080" },
		{ BYTES("\xf5\x80\x80\x80"),
		  "\\u00f5\\u0080\\u0080\\u0080" },
		/* Cut short. */
		{ BYTES("\xe2\x82"), "\\u00e2\\u0082" },
		{ BYTES("\xe2\x82\xac\xe2"), "\xe2\x82\xac\\u00e2" },
		{ BYTES("\xff\xfe"), "\\u00ff\\u00fe" },
	};
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 4096);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		buf_reset(&b);
		if (json_escape_append(&b, (const uint8_t *)rows[i].in,
				       rows[i].len) < 0)
			fail_msg("row %zu: failed", i);
		if (b.len != strlen(rows[i].out) ||
		    memcmp(b.data != NULL ? b.data : (uint8_t *)"",
			   rows[i].out, b.len) != 0)
			fail_msg("row %zu: got \"%s\", want \"%s\"", i,
				 buf_cstr(&b), rows[i].out);
	}
	buf_reset(&b);
	assert_int_equal(json_string_append(&b, (const uint8_t *)"a\"", 2), 0);
	assert_string_equal(buf_cstr(&b), "\"a\\\"\"");
	buf_deinit(&b);
}

static void
test_utf8_char_len(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		size_t want;
	} rows[] = {
		{ BYTES("a"), 0 },
		{ BYTES("\xc2\x80"), 2 },
		{ BYTES("\xc1\xbf"), 0 },
		{ BYTES("\xdf\xbf"), 2 },
		{ BYTES("\xe0\xa0\x80"), 3 },
		{ BYTES("\xe0\x9f\xbf"), 0 },
		{ BYTES("\xed\x9f\xbf"), 3 },
		{ BYTES("\xed\xa0\x80"), 0 },
		{ BYTES("\xf0\x90\x80\x80"), 4 },
		{ BYTES("\xf0\x8f\xbf\xbf"), 0 },
		{ BYTES("\xf4\x8f\xbf\xbf"), 4 },
		{ BYTES("\xf4\x90\x80\x80"), 0 },
		{ BYTES("\xe2\x82\x41"), 0 },
		{ BYTES("\xe2\x82"), 0 },
		{ BYTES("\x80\x80"), 0 },
		{ "", 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (json_utf8_char_len((const uint8_t *)rows[i].in,
				       rows[i].len) != rows[i].want)
			fail_msg("row %zu", i);
}

static void
test_limit(void **state)
{
	struct buf b;

	(void)state;
	/* 6 bytes of room: "ab" fits; "\u0000" fits alone but not after. */
	buf_init(&b, 6);
	assert_int_equal(json_escape_append(&b, (const uint8_t *)"ab", 2), 0);
	assert_int_equal(json_escape_append(&b, (const uint8_t *)"\0", 1), -1);
	assert_int_equal(b.len, 2);
	assert_int_equal(json_string_append(&b, (const uint8_t *)"cd", 2), 0);
	assert_int_equal(b.len, 6);
	assert_int_equal(json_string_append(&b, (const uint8_t *)"", 0), -1);
	assert_int_equal(b.len, 6);
	buf_reset(&b);
	assert_int_equal(json_escape_append(&b, (const uint8_t *)"\x01", 1), 0);
	assert_string_equal(buf_cstr(&b), "\\u0001");
	buf_reset(&b);
	/* The closing quote must fit too: 1 + 5 fill the buffer. */
	assert_int_equal(json_string_append(&b, (const uint8_t *)"abcde", 5),
			 -1);
	assert_int_equal(b.len, 0);
	buf_deinit(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_escape_table, testlib_setup, testlib_teardown),
		cmocka_unit_test_setup_teardown(
			test_utf8_char_len, testlib_setup, testlib_teardown),
		cmocka_unit_test_setup_teardown(test_limit, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
