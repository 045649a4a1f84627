/*
 * test_crlf.c - unit tests for imapd/crlf.c, the LF to CR LF conversion
 * of FETCH.
 *
 * Each row is raw octets, a number of converted octets to drop (a
 * partial origin) and the expected output. Every row is converted whole,
 * fed one octet at a time, split at every offset, and with an output
 * space of one octet at a time: all must give the same octets.
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "imapd/crlf.h"
#include "lib/buf.h"

static const struct {
	const char *in;
	unsigned skip;
	const char *out;
} rows[] = {
    {"", 0, ""},
    {"abc", 0, "abc"},
    {"a\nb\n", 0, "a\r\nb\r\n"},
    {"a\r\nb\r\n", 0, "a\r\nb\r\n"},
    {"\n\n", 0, "\r\n\r\n"},
    {"a\rb\n", 0, "a\rb\r\n"},
    {"\r\r\n\r", 0, "\r\r\n\r"},
    {"a\nb", 1, "\r\nb"},
    {"a\nb", 2, "\nb"},
    {"a\nb", 3, "b"},
    {"a\nb", 4, ""},
    {"a\nb", 9, ""},
    {"a\r\nb", 2, "\nb"},
    {"line one\nline two\n", 10, "line two\r\n"},
    {"x\n\ny", 3, "\r\ny"},
};

/* convert - run the converter with input and output cut into pieces */
static void
convert(const char *in, size_t n, unsigned skip, size_t in_step,
	size_t out_step, struct buf *out)
{
	struct imap_crlf c;
	size_t pos = 0;

	imap_crlf_init(&c, skip);
	while (pos < n) {
		size_t take = n - pos < in_step ? n - pos : in_step, used;
		size_t w = imap_crlf_convert(&c, (const uint8_t *)in + pos,
					     take, buf_reserve(out, out_step),
					     out_step, &used);

		buf_commit(out, w);
		pos += used;
		assert_true(used > 0 || w > 0);
	}
	for (;;) {
		size_t w = imap_crlf_flush(&c, buf_reserve(out, out_step),
					   out_step);

		buf_commit(out, w);
		if (w == 0)
			break;
	}
}

/* test_rows - every row, every way of cutting it */
static void
test_rows(void **state)
{
	size_t i, step, split;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t n = strlen(rows[i].in);
		struct buf out;

		for (step = 1; step <= n + 1; step++) {
			size_t out_steps[] = {1, 2, 3, 1024};
			size_t k;

			for (k = 0; k < 4; k++) {
				buf_init(&out, 4096);
				convert(rows[i].in, n, rows[i].skip, step,
					out_steps[k], &out);
				assert_int_equal(out.len, strlen(rows[i].out));
				assert_memory_equal(out.data, rows[i].out,
						    out.len);
				buf_deinit(&out);
			}
		}
		for (split = 0; split <= n; split++) {
			struct imap_crlf c;
			size_t used, w;

			buf_init(&out, 4096);
			imap_crlf_init(&c, rows[i].skip);
			w = imap_crlf_convert(&c, (const uint8_t *)rows[i].in,
					      split, buf_reserve(&out, 64), 64,
					      &used);
			assert_int_equal(used, split);
			buf_commit(&out, w);
			w = imap_crlf_convert(
				&c, (const uint8_t *)rows[i].in + split,
				n - split, buf_reserve(&out, 64), 64, &used);
			assert_int_equal(used, n - split);
			buf_commit(&out, w);
			assert_int_equal(out.len, strlen(rows[i].out));
			assert_memory_equal(out.data, rows[i].out, out.len);
			buf_deinit(&out);
		}
		if (rows[i].skip == 0)
			assert_int_equal(imap_crlf_size(
						 (const uint8_t *)rows[i].in, n,
						 false),
					 strlen(rows[i].out));
	}
}

/* test_prev_cr - a CR at the end of one chunk pairs with the next LF */
static void
test_prev_cr(void **state)
{
	assert_int_equal(imap_crlf_size((const uint8_t *)"\nx\n", 3, true),
			 4);
	assert_int_equal(imap_crlf_size((const uint8_t *)"\nx\n", 3, false),
			 5);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rows, testlib_setup,
					    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_prev_cr, testlib_setup,
					    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
