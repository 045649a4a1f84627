/*
 * test_mailbox_filter.c - unit tests for lib/mailbox_filter.c: CR LF to LF,
 * bare CR kept, mboxrd From_ quoting and mbox framing; every row fed
 * whole, one octet at a time, split at every offset, and through an
 * output buffer of the minimum size.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mailbox_filter.h"

#define MBOXRD MAILBOX_FILTER_MBOXRD

static const struct {
	unsigned flags;
	const char *in;
	const char *out;
} rows[] = {
    /* CR LF to LF; a bare CR stays; a bare LF stays. */
    {0, "", ""},
    {0, "a\r\nb\r\n", "a\nb\n"},
    {0, "a\rb\r\n", "a\rb\n"},
    {0, "a\nb", "a\nb"},
    {0, "\r\r\n\r", "\r\n\r"},
    {0, "x\r", "x\r"},
    {0, "From x\r\n", "From x\n"},
    /* mboxrd quoting. */
    {MBOXRD, "From x\r\n", ">From x\n\n"},
    {MBOXRD, ">From x\r\n", ">>From x\n\n"},
    {MBOXRD, ">>>From x\r\n", ">>>>From x\n\n"},
    {MBOXRD, "a\r\nFrom x\r\nb\r\n", "a\n>From x\nb\n\n"},
    {MBOXRD, "a\r\nFrom", "a\nFrom\n\n"},
    {MBOXRD, "a\r\nFrom ", "a\n>From \n\n"},
    {MBOXRD, "Fromage\r\n", "Fromage\n\n"},
    {MBOXRD, "From\r\n", "From\n\n"},
    {MBOXRD, "from x\r\n", "from x\n\n"},
    {MBOXRD, " From x\r\n", " From x\n\n"},
    {MBOXRD, "x From y\r\n", "x From y\n\n"},
    {MBOXRD, ">\r\n>Fro\r\n> From\r\n", ">\n>Fro\n> From\n\n"},
    {MBOXRD, "Fr\rom x\r\n", "Fr\rom x\n\n"},
    {MBOXRD, "a\rFrom x\r\n", "a\rFrom x\n\n"},
    {MBOXRD, "a\nFrom x", "a\n>From x\n\n"},
    {MBOXRD, "FFrom x\r\n", "FFrom x\n\n"},
    /* Framing: a last line without LF gets one, then the empty line. */
    {MBOXRD, "", "\n"},
    {MBOXRD, "a", "a\n\n"},
    {MBOXRD, "a\r", "a\r\n\n"},
    {MBOXRD, "a\r\n\r\n", "a\n\n\n"},
};

/* feed_all - feed n octets at p through f into out, draining to acc */
static void
feed_all(struct mailbox_filter *f, const uint8_t *p, size_t n, struct buf *out,
         struct buf *acc)
{
	while (n > 0) {
		size_t used;

		mailbox_filter_feed(f, p, n, out, &used);
		p += used;
		n -= used;
		buf_append(acc, out->data, out->len);
		buf_reset(out);
	}
}

/* run - filter in with the given piece size and output room */
static void
run(unsigned flags, const char *in, size_t split, size_t piece, size_t out_max,
    struct buf *acc)
{
	struct mailbox_filter f;
	struct buf out;
	size_t len = strlen(in), pos = 0;

	buf_init(&out, out_max);
	mailbox_filter_init(&f, flags);
	if (split > 0 && split < len) {
		feed_all(&f, (const uint8_t *)in, split, &out, acc);
		pos = split;
	}
	while (pos < len) {
		size_t n = len - pos;

		if (piece > 0 && n > piece)
			n = piece;
		feed_all(&f, (const uint8_t *)in + pos, n, &out, acc);
		pos += n;
	}
	mailbox_filter_finish(&f, &out);
	buf_append(acc, out.data, out.len);
	assert_int_equal(f.octets, acc->len);
	buf_deinit(&out);
}

/* check - compare one run's output with the row */
static void
check(size_t row, const char *how, struct buf *acc)
{
	const char *want = rows[row].out;

	if (acc->len != strlen(want) || memcmp(acc->data, want, acc->len) != 0)
		fail_msg("row %zu (%s): got \"%.*s\"", row, how, (int)acc->len,
		         (const char *)acc->data);
	buf_reset(acc);
}

static void
test_rows(void **state)
{
	struct buf acc;
	size_t i, split;

	(void)state;
	buf_init(&acc, 4096);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		run(rows[i].flags, rows[i].in, 0, 0, 4096, &acc);
		check(i, "whole", &acc);
		run(rows[i].flags, rows[i].in, 0, 1, 4096, &acc);
		check(i, "bytes", &acc);
		run(rows[i].flags, rows[i].in, 0, 0, MAILBOX_FILTER_OUT_MIN,
		    &acc);
		check(i, "small out", &acc);
		for (split = 1; split < strlen(rows[i].in); split++) {
			run(rows[i].flags, rows[i].in, split, 0, 4096, &acc);
			check(i, "split", &acc);
		}
	}
	buf_deinit(&acc);
}

static void
test_long_runs(void **state)
{
	/* Long lines and many '>' go through without being held. */
	static char in[20000], want[20000];
	struct buf acc;
	size_t i;

	(void)state;
	for (i = 0; i < 9000; i++)
		in[i] = '>';
	memcpy(in + 9000, "From x\r\n", 8);
	for (i = 0; i < 9001; i++)
		want[i] = '>';
	memcpy(want + 9001, "From x\n\n", 9);
	buf_init(&acc, 40000);
	run(MBOXRD, in, 0, 0, 4096, &acc);
	assert_int_equal(acc.len, strlen(want));
	assert_memory_equal(acc.data, want, acc.len);
	buf_reset(&acc);
	run(MBOXRD, in, 0, 7, MAILBOX_FILTER_OUT_MIN + 3, &acc);
	assert_int_equal(acc.len, strlen(want));
	assert_memory_equal(acc.data, want, acc.len);
	buf_deinit(&acc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rows, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_long_runs, testlib_setup,
	                                    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
