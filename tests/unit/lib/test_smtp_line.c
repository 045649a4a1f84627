/*
 * test_smtp_line.c - unit tests for lib/smtp_line.c: every row is framed
 * whole, one byte at a time and split at every offset, and all must give
 * the same line sequence (flags and content) and the same leftover.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/smtp_line.h"

#define BCR SMTP_LINE_BARE_CR
#define BLF SMTP_LINE_BARE_LF
#define LONG SMTP_LINE_TOO_LONG

/*
 * One row: input (len 0 means strlen), limit, and the transcript: for each
 * line "<flags>:<content>|", then "R:<octets left in the buffer>".
 */
static const struct {
	const char *in;
	size_t len;
	size_t max;
	const char *expect;
} rows[] = {
    {"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n", 0, 512,
     "0:EHLO x|0:MAIL FROM:<a@b>|0:RCPT TO:<c@d>|0:DATA|R:"},
    {"\r\n", 0, 512, "0:|R:"},
    {"", 0, 512, "R:"},
    {"abc", 0, 512, "R:abc"},
    {"abc\r", 0, 512, "R:abc\r"},
    {"QUIT\r\nNOOP", 0, 512, "0:QUIT|R:NOOP"},
    /* bare LF and CR never end a line */
    {"NOOP\nQUIT\r\n", 0, 512, "2:NOOP\nQUIT|R:"},
    {"A\rB\r\n", 0, 512, "1:A\rB|R:"},
    {"\r\r\n", 0, 512, "1:\r|R:"},
    {"\n\r\n", 0, 512, "2:\n|R:"},
    {"a\n\rb\r\n", 0, 512, "3:a\n\rb|R:"},
    {"RSET\n\nQUIT\n", 0, 512, "R:RSET\n\nQUIT\n"},
    {"NO\0OP\r\n", 7, 512, "0:NO\0OP|R:"},
    /* pipelined STARTTLS: the framer gives both; smtpd must refuse */
    {"STARTTLS\r\nMAIL FROM:<x@y>\r\n", 0, 512,
     "0:STARTTLS|0:MAIL FROM:<x@y>|R:"},
    /* limit 10: 8 octets of content and CRLF */
    {"12345678\r\nOK\r\n", 0, 10, "0:12345678|0:OK|R:"},
    {"123456789\r\nOK\r\n", 0, 10, "4:12345678|0:OK|R:"},
    {"1234567\r\r\n", 0, 10, "1:1234567\r|R:"},
    {"1234567\r9\r\nOK\r\n", 0, 10, "5:1234567\r|0:OK|R:"},
    {"12345678\rx\r\nOK\r\n", 0, 10, "4:12345678|0:OK|R:"},
    {"123\n5678x\r\nOK\r\n", 0, 10, "6:123\n5678|0:OK|R:"},
    {"123456789012", 0, 10, "4:12345678|R:"},
    {"12345678901\r", 0, 10, "4:12345678|R:\r"},
    {"123456789\n.\r\nQUIT\r\n", 0, 10, "4:12345678|0:QUIT|R:"},
    {"123456789\r.\rQUIT\r\nA\r\n", 0, 10, "4:12345678|0:A|R:"},
    {"123456789012345678901234567890\r\nB\r\n", 0, 10, "4:12345678|0:B|R:"},
    {"a\r\n123456789012345678901234567890\r\nB\r\nC", 0, 10,
     "0:a|4:12345678|0:B|R:C"},
};

/* frame - run the framer over in, fed in chunks of the given sizes */
static void
frame(const uint8_t *in, size_t n, size_t max, size_t first_chunk, size_t chunk,
      struct buf *transcript)
{
	struct smtp_line fr;
	struct buf rx;
	size_t pos = 0;

	smtp_line_init(&fr, max);
	buf_init(&rx, max);
	while (pos < n) {
		size_t want = pos == 0 ? first_chunk : chunk, take;
		const uint8_t *line;
		size_t len;
		unsigned flags;

		if (want > n - pos)
			want = n - pos;
		take = want < buf_room(&rx) ? want : buf_room(&rx);
		assert_true(take > 0); /* the framer always makes room */
		buf_append(&rx, in + pos, take);
		pos += take;
		while (smtp_line_next(&fr, &rx, &line, &len, &flags) == 1) {
			buf_printf(transcript, "%u:", flags);
			buf_append(transcript, line, len);
			buf_append_byte(transcript, '|');
			smtp_line_consume(&fr, &rx);
		}
	}
	buf_append_str(transcript, "R:");
	buf_append(transcript, rx.data, rx.len);
	buf_deinit(&rx);
}

static void
test_table(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const uint8_t *in = (const uint8_t *)rows[i].in;
		size_t n = rows[i].len != 0 ? rows[i].len : strlen(rows[i].in);
		size_t expect_len = strlen(rows[i].expect);
		struct buf t;

		if (rows[i].len != 0) /* rows with a NUL: the expect too */
			expect_len =
			    strlen(rows[i].expect) + 1 +
			    strlen(rows[i].expect + strlen(rows[i].expect) + 1);
		buf_init(&t, 4096);
		/* whole, one byte at a time, then split at every offset */
		frame(in, n, rows[i].max, n, n, &t);
		if (t.len != expect_len ||
		    memcmp(t.data, rows[i].expect, expect_len) != 0)
			fail_msg("row %zu whole: %s", i,
			         log_safe(t.data, t.len));
		buf_reset(&t);
		frame(in, n, rows[i].max, 1, 1, &t);
		if (t.len != expect_len ||
		    memcmp(t.data, rows[i].expect, expect_len) != 0)
			fail_msg("row %zu bytes: %s", i,
			         log_safe(t.data, t.len));
		for (k = 1; k < n; k++) {
			buf_reset(&t);
			frame(in, n, rows[i].max, k, n, &t);
			if (t.len != expect_len ||
			    memcmp(t.data, rows[i].expect, expect_len) != 0)
				fail_msg("row %zu split %zu: %s", i, k,
				         log_safe(t.data, t.len));
		}
		buf_deinit(&t);
	}
}

static void
test_consume_required(void **state)
{
	struct smtp_line fr;
	struct buf rx;
	const uint8_t *line;
	size_t len;
	unsigned flags;

	(void)state;
	smtp_line_init(&fr, SMTP_LINE_MAX);
	buf_init(&rx, SMTP_LINE_MAX);
	buf_append_str(&rx, "QUIT\r\n");
	assert_int_equal(smtp_line_next(&fr, &rx, &line, &len, &flags), 1);
	/* Asking again without consuming is a caller bug. */
	assert_true(
	    TESTLIB_EXPECT_EXIT(smtp_line_next(&fr, &rx, &line, &len, &flags)));
	testlib_log_expect("assertion failed");
	smtp_line_consume(&fr, &rx);
	assert_int_equal(rx.len, 0);
	/* Reset after handing octets to another reader. */
	buf_append_str(&rx, "abc");
	assert_int_equal(smtp_line_next(&fr, &rx, &line, &len, &flags), 0);
	buf_consume(&rx, 3);
	smtp_line_reset(&fr);
	buf_append_str(&rx, "x\r\n");
	assert_int_equal(smtp_line_next(&fr, &rx, &line, &len, &flags), 1);
	assert_int_equal(len, 1);
	smtp_line_consume(&fr, &rx);
	buf_deinit(&rx);
}

static void
test_real_limit(void **state)
{
	struct smtp_line fr;
	struct buf rx;
	const uint8_t *line;
	size_t len;
	unsigned flags;

	(void)state;
	smtp_line_init(&fr, SMTP_LINE_MAX);
	buf_init(&rx, SMTP_LINE_MAX);
	/* 510 octets and CRLF: exactly the RFC 5321 limit. */
	memset(buf_reserve(&rx, 510), 'a', 510);
	buf_commit(&rx, 510);
	assert_int_equal(smtp_line_next(&fr, &rx, &line, &len, &flags), 0);
	buf_append_str(&rx, "\r\n");
	assert_int_equal(smtp_line_next(&fr, &rx, &line, &len, &flags), 1);
	assert_int_equal(len, 510);
	assert_int_equal(flags, 0);
	smtp_line_consume(&fr, &rx);
	memset(buf_reserve(&rx, 511), 'a', 511);
	buf_commit(&rx, 511);
	assert_int_equal(smtp_line_next(&fr, &rx, &line, &len, &flags), 1);
	assert_int_equal(flags, SMTP_LINE_TOO_LONG);
	assert_int_equal(len, 510);
	smtp_line_consume(&fr, &rx);
	buf_deinit(&rx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_table, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_consume_required,
	                                    testlib_setup, testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_real_limit, testlib_setup,
	                                    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
