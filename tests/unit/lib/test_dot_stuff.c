/*
 * test_dot_stuff.c - unit tests for lib/dot_stuff.c: end of data only at
 * CR LF "." CR LF, every SMTP smuggling vector kept as content and flagged,
 * dot unstuffing, the long-line flag and the octet count. Each row is fed
 * whole, one byte at a time, split at every offset, and through an output
 * buffer of the minimum size; all must agree.
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/dot_stuff.h"

#define BCR DOT_STUFF_BARE_CR
#define BLF DOT_STUFF_BARE_LF
#define LONG DOT_STUFF_LONG_LINE

/*
 * One row: input, line limit, expected output, whether the end is found
 * and where (octets used through the final LF), expected flags.
 */
static const struct {
	const char *in;
	size_t max;
	const char *out;
	bool done;
	size_t end;
	unsigned flags;
} rows[] = {
    {".\r\n", 1000, "", true, 3, 0},
    {"Hello\r\n.\r\n", 1000, "Hello\r\n", true, 10, 0},
    {"\r\n.\r\n", 1000, "\r\n", true, 5, 0},
    {"a\r\n.\r\nMAIL FROM:<x@y>\r\n", 1000, "a\r\n", true, 6, 0},
    {"a\r\n.\r\n.\r\n", 1000, "a\r\n", true, 6, 0},
    {"", 1000, "", false, 0, 0},
    {"a\r\n", 1000, "a\r\n", false, 0, 0},
    {"a\r\n.", 1000, "a\r\n", false, 0, 0},
    {"a\r\n.\r", 1000, "a\r\n", false, 0, 0},
    /* dot unstuffing */
    {"..\r\n.\r\n", 1000, ".\r\n", true, 7, 0},
    {"a\r\n..b\r\n.\r\n", 1000, "a\r\n.b\r\n", true, 11, 0},
    {"a\r\n...\r\n.\r\n", 1000, "a\r\n..\r\n", true, 11, 0},
    {"a\r\n.b\r\n.\r\n", 1000, "a\r\nb\r\n", true, 10, 0},
    {"a.\r\nb..\r\n.\r\n", 1000, "a.\r\nb..\r\n", true, 12, 0},
    {".\r\r\n.\r\n", 1000, "\r\r\n", true, 7, BCR},
    /* SMTP smuggling vectors: content, never the end */
    {"a\n.\nb\r\n.\r\n", 1000, "a\n.\nb\r\n", true, 10, BLF},
    {"a\r\n.\rb\r\n.\r\n", 1000, "a\r\n\rb\r\n", true, 11, BCR},
    {"a\n.\r\nb\r\n.\r\n", 1000, "a\n.\r\nb\r\n", true, 11, BLF},
    {"a\r.\rb\r\n.\r\n", 1000, "a\r.\rb\r\n", true, 10, BCR},
    {"a\r\n.\nb\r\n.\r\n", 1000, "a\r\n\nb\r\n", true, 11, BLF},
    {"a\n.\rb\r\n.\r\n", 1000, "a\n.\rb\r\n", true, 10, BLF | BCR},
    {"a\r.\r\nb\r\n.\r\n", 1000, "a\r.\r\nb\r\n", true, 11, BCR},
    {"a\n.\n", 1000, "a\n.\n", false, 0, BLF},
    {"a\r\n.\r", 1000, "a\r\n", false, 0, 0},
    {"a\r\n.\rMAIL FROM:<x@y>\r\n", 1000, "a\r\n\rMAIL FROM:<x@y>\r\n", false,
     0, BCR},
    {"x\n.\n\r\n.\r\r\n.\n\r\n.\r\n", 1000, "x\n.\n\r\n\r\r\n\n\r\n", true, 17,
     BLF | BCR},
    {"\n.\n", 1000, "\n.\n", false, 0, BLF},
    {"\r.\r", 1000, "\r.\r", false, 0, BCR},
    {"a\r\n\n.\r\nRCPT TO:<evil@x>\r\n.\r\n", 1000,
     "a\r\n\n.\r\nRCPT TO:<evil@x>\r\n", true, 28, BLF},
    /* long lines: limit 10 is 8 octets and CR LF after unstuffing */
    {"12345678\r\n.\r\n", 10, "12345678\r\n", true, 13, 0},
    {"123456789\r\n.\r\n", 10, "123456789\r\n", true, 14, LONG},
    {"..2345678\r\n.\r\n", 10, ".2345678\r\n", true, 14, 0},
    {"1234\n5678\r\n.\r\n", 10, "1234\n5678\r\n", true, 14, LONG | BLF},
    {"1234567\r\r\n.\r\n", 10, "1234567\r\r\n", true, 13, BCR},
    {"12345678\r\n12345678\r\n.\r\n", 10, "12345678\r\n12345678\r\n", true, 23,
     0},
};

/* One run's outcome. */
struct outcome {
	struct buf out;
	bool done;
	size_t end;
	unsigned flags;
	uint64_t octets;
};

/*
 * feed - filter in, first_chunk octets and then chunk octets per call,
 * through an output buffer of out_room octets drained after every call
 */
static void
feed(const uint8_t *in, size_t n, size_t max, size_t first_chunk, size_t chunk,
     size_t out_room, struct outcome *o)
{
	struct dot_stuff ds;
	struct buf stage;
	size_t pos = 0, calls = 0;

	dot_stuff_init(&ds, max);
	buf_init(&stage, out_room);
	buf_init(&o->out, 1 << 16);
	o->done = false;
	o->end = 0;
	while (pos < n && !o->done) {
		size_t want = pos == 0 ? first_chunk : chunk, used;

		if (want > n - pos)
			want = n - pos;
		o->done =
		    dot_stuff_feed(&ds, in + pos, want, &stage, &used) == 1;
		assert_true(used <= want);
		pos += used;
		buf_append(&o->out, stage.data, stage.len);
		buf_reset(&stage);
		assert_true(++calls < 4 * n + 4); /* always progress */
	}
	if (o->done)
		o->end = pos;
	assert_int_equal(o->done, dot_stuff_is_done(&ds));
	o->flags = ds.flags;
	o->octets = ds.octets;
	buf_deinit(&stage);
}

/* check - compare a run with the row */
static void
check(size_t row, const char *how, size_t k, struct outcome *o)
{
	size_t out_len = strlen(rows[row].out);

	if (o->out.len != out_len ||
	    (out_len > 0 && memcmp(o->out.data, rows[row].out, out_len) != 0) ||
	    o->done != rows[row].done || o->end != rows[row].end ||
	    o->flags != rows[row].flags || o->octets != out_len)
		fail_msg("row %zu %s %zu: out %s done %d end %zu flags %u", row,
		         how, k, log_safe(o->out.data, o->out.len), o->done,
		         o->end, o->flags);
	buf_deinit(&o->out);
}

static void
test_table(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const uint8_t *in = (const uint8_t *)rows[i].in;
		size_t n = strlen(rows[i].in);
		struct outcome o;

		feed(in, n, rows[i].max, n, n, 4096, &o);
		check(i, "whole", 0, &o);
		feed(in, n, rows[i].max, 1, 1, 4096, &o);
		check(i, "bytes", 0, &o);
		feed(in, n, rows[i].max, n, n, DOT_STUFF_OUT_MIN, &o);
		check(i, "small out", 0, &o);
		for (k = 1; k < n; k++) {
			feed(in, n, rows[i].max, k, n, 4096, &o);
			check(i, "split", k, &o);
		}
	}
}

static void
test_discard_and_limit(void **state)
{
	static uint8_t msg[2100];
	struct dot_stuff ds;
	size_t used;

	(void)state;
	/* out NULL: counted, thrown away (after a size overflow). */
	dot_stuff_init(&ds, DOT_STUFF_LINE_MAX);
	assert_int_equal(
	    dot_stuff_feed(&ds, (const uint8_t *)"ab\r\n.\r\n", 7, NULL, &used),
	    1);
	assert_int_equal(used, 7);
	assert_int_equal(ds.octets, 4);
	/* Feeding after the end uses nothing. */
	assert_int_equal(
	    dot_stuff_feed(&ds, (const uint8_t *)"x", 1, NULL, &used), 1);
	assert_int_equal(used, 0);
	/* The RFC 5321 limit: 998 octets and CR LF pass, 999 do not. */
	memset(msg, 'm', sizeof(msg));
	memcpy(msg + 998, "\r\n", 2);
	memcpy(msg + 1000, "\r\n.\r\n", 5);
	dot_stuff_init(&ds, DOT_STUFF_LINE_MAX);
	assert_int_equal(dot_stuff_feed(&ds, msg, 1005, NULL, &used), 1);
	assert_int_equal(ds.flags, 0);
	memset(msg, 'm', sizeof(msg));
	memcpy(msg + 999, "\r\n.\r\n", 5);
	dot_stuff_init(&ds, DOT_STUFF_LINE_MAX);
	assert_int_equal(dot_stuff_feed(&ds, msg, 1004, NULL, &used), 1);
	assert_int_equal(ds.flags, DOT_STUFF_LONG_LINE);
	/* A very long line does not overflow the counter. */
	memset(msg, 'm', sizeof(msg));
	dot_stuff_init(&ds, DOT_STUFF_LINE_MAX);
	for (used = 0; used < 1000; used++) {
		size_t u;

		assert_int_equal(
		    dot_stuff_feed(&ds, msg, sizeof(msg), NULL, &u), 0);
	}
	assert_int_equal(ds.octets, 1000 * sizeof(msg));
	assert_int_equal(ds.line_octets, DOT_STUFF_LINE_MAX + 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_table, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_discard_and_limit,
	                                    testlib_setup, testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
