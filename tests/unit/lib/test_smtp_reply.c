/*
 * test_smtp_reply.c - unit tests for lib/smtp_reply.c: reply lines good
 * and malformed, multi-line replies, enhanced status codes, the printable
 * text, and EHLO keywords.
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "lib/smtp_reply.h"

struct reply_row {
	const char *lines[4];	/* fed in order until NULL */
	int ret;		/* of the last line fed */
	int code;
	const char *dsn;
	const char *text;
};

static const struct reply_row reply_rows[] = {
	{ { "250 ok" }, 1, 250, "", "250 ok" },
	{ { "250" }, 1, 250, "", "250" },
	{ { "550 5.1.1 <a@b>: unknown" }, 1, 550, "5.1.1",
	  "550 5.1.1 <a@b>: unknown" },
	{ { "451 4.3.0 try later" }, 1, 451, "4.3.0", "451 4.3.0 try later" },
	/* class mismatch: not an enhanced code of this reply */
	{ { "550 4.1.1 odd" }, 1, 550, "", "550 4.1.1 odd" },
	{ { "250 2.0.0" }, 1, 250, "2.0.0", "250 2.0.0" },
	{ { "250 2.0.0x" }, 1, 250, "", "250 2.0.0x" },
	{ { "250 2.1234.0 x" }, 1, 250, "", "250 2.1234.0 x" },
	{ { "250-mx.example", "250-PIPELINING", "250 SIZE 100" }, 1, 250, "",
	  "250 mx.example PIPELINING SIZE 100" },
	{ { "250-first" }, 0, 250, "", "250 first" },
	{ { "354 go ahead" }, 1, 354, "", "354 go ahead" },
	{ { "220 caf\xc3\xa9\x01" }, 1, 220, "", "220 caf???" },
	/* malformed */
	{ { "" }, -1, 0, "", "" },
	{ { "25" }, -1, 0, "", "" },
	{ { "2x0 no" }, -1, 0, "", "" },
	{ { "150 info" }, -1, 0, "", "" },
	{ { "650 no" }, -1, 0, "", "" },
	{ { "250:no" }, -1, 0, "", "" },
	{ { "250-a", "251 b" }, -1, 250, "", "250 a" },
};

/* test_reply_rows - the table */
static void
test_reply_rows(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(reply_rows) / sizeof(reply_rows[0]); i++) {
		const struct reply_row *row = &reply_rows[i];
		struct smtp_reply r;
		const char *error = NULL;
		int ret = 0;

		smtp_reply_init(&r);
		for (j = 0; j < 4 && row->lines[j] != NULL; j++)
			ret = smtp_reply_add(&r,
					     (const uint8_t *)row->lines[j],
					     strlen(row->lines[j]), &error);
		assert_int_equal(ret, row->ret);
		if (ret < 0)
			assert_non_null(error);
		if (row->code != 0) {
			assert_int_equal(r.code, row->code);
			assert_string_equal(r.dsn, row->dsn);
			assert_string_equal(r.text, row->text);
		}
		smtp_reply_deinit(&r);
	}
}

/* test_reply_limits - long lines, many lines, long texts */
static void
test_reply_limits(void **state)
{
	static uint8_t line[SMTP_REPLY_LINE_MAX + 2];
	struct smtp_reply r;
	const char *error;
	size_t i;

	(void)state;
	memset(line, 'x', sizeof(line));
	memcpy(line, "250-", 4);
	smtp_reply_init(&r);
	assert_int_equal(smtp_reply_add(&r, line, SMTP_REPLY_LINE_MAX + 1,
					 &error),
			 -1);
	/* at the limit: accepted, text cut */
	assert_int_equal(smtp_reply_add(&r, line, SMTP_REPLY_LINE_MAX,
					 &error),
			 0);
	assert_int_equal(r.text_len, SMTP_REPLY_TEXT_MAX);
	assert_int_equal(strlen(r.text), SMTP_REPLY_TEXT_MAX);
	smtp_reply_reset(&r);
	for (i = 0; i < SMTP_REPLY_LINES_MAX; i++)
		assert_int_equal(smtp_reply_add(&r, (const uint8_t *)"250-x", 5,
						&error),
				 0);
	assert_int_equal(smtp_reply_add(&r, (const uint8_t *)"250 x", 5,
					&error),
			 -1);
	smtp_reply_deinit(&r);
}

/* test_ehlo - keywords, SIZE values, the greeting line ignored */
static void
test_ehlo(void **state)
{
	static const char *const lines[] = {
		"250-PIPELINING ignored as the host name",
		"250-pipelining",
		"250-SIZE 10240000",
		"250-8BITMIME",
		"250-STARTTLS",
		"250-ENHANCEDSTATUSCODES",
		"250-DSN",
		"250-SMTPUTF8x",
		"250-AUTH PLAIN LOGIN",
		"250 CHUNKING",
	};
	struct smtp_reply r;
	const char *error;
	uint64_t size;
	unsigned f;
	size_t i;

	(void)state;
	smtp_reply_init(&r);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		smtp_reply_add(&r, (const uint8_t *)lines[i], strlen(lines[i]),
			       &error);
	f = smtp_ehlo_features(&r, &size);
	assert_int_equal(f, SMTP_EXT_PIPELINING | SMTP_EXT_SIZE |
				SMTP_EXT_8BITMIME | SMTP_EXT_STARTTLS |
				SMTP_EXT_ENHANCEDSTATUSCODES | SMTP_EXT_DSN |
				SMTP_EXT_CHUNKING);
	assert_int_equal(size, 10240000);
	smtp_reply_reset(&r);
	smtp_reply_add(&r, (const uint8_t *)"250-host", 8, &error);
	smtp_reply_add(&r, (const uint8_t *)"250 SIZE", 8, &error);
	assert_int_equal(smtp_ehlo_features(&r, &size), SMTP_EXT_SIZE);
	assert_int_equal(size, 0);
	smtp_reply_reset(&r);
	smtp_reply_add(&r, (const uint8_t *)"250 host", 8, &error);
	assert_int_equal(smtp_ehlo_features(&r, &size), 0);
	smtp_reply_deinit(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_rows),
		cmocka_unit_test(test_reply_limits),
		cmocka_unit_test(test_ehlo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
