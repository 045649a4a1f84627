/*
 * test_top.c - unit tests for pop3d_top_cut (pop3d/cmd_retr.c): where TOP
 * stops (the headers, the empty line in LF or CR LF form, n body lines),
 * for a table of messages fed whole, byte by byte and split at every
 * offset.
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "pop3d/pop3d.h"

static const struct {
	const char *msg;
	uint32_t lines;
	const char *sent;
} rows[] = {
	{ "A: 1\n\nb1\nb2\nb3\n", 0, "A: 1\n\n" },
	{ "A: 1\n\nb1\nb2\nb3\n", 2, "A: 1\n\nb1\nb2\n" },
	{ "A: 1\n\nb1\nb2\nb3\n", 9, "A: 1\n\nb1\nb2\nb3\n" },
	{ "A: 1\r\nB: 2\r\n\r\nb1\r\nb2\r\n", 1,
	  "A: 1\r\nB: 2\r\n\r\nb1\r\n" },
	{ "A: 1\n\r\nb1\n", 0, "A: 1\n\r\n" },
	{ "A: 1\r\r\nb1\nb2\n", 0, "A: 1\r\r\nb1\nb2\n" },
	{ "\nbody\n", 0, "\n" },
	{ "\r\nbody\n", 1, "\r\nbody\n" },
	{ "A: 1\nB: 2", 3, "A: 1\nB: 2" },
	{ "A: 1\n\nlast", 5, "A: 1\n\nlast" },
	{ "", 0, "" },
};

/* cut - run the cutter over msg in chunks; the octets it keeps */
static size_t
cut(const char *msg, size_t n, uint32_t lines, size_t first, size_t chunk,
    char *out)
{
	struct pop3d_top top;
	size_t pos = 0, kept = 0;

	memset(&top, 0, sizeof(top));
	top.enabled = true;
	top.bol = true;
	top.lines_left = lines;
	while (pos < n && !top.done) {
		size_t take = pos == 0 && first > 0 ? first : chunk, k;

		if (take > n - pos)
			take = n - pos;
		k = pop3d_top_cut(&top, (const uint8_t *)msg + pos, take);
		assert_true(k <= take);
		memcpy(out + kept, msg + pos, k);
		kept += k;
		pos += take;
	}
	return kept;
}

static void
test_rows(void **state)
{
	char out[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *m = rows[i].msg;
		size_t n = strlen(m), want = strlen(rows[i].sent), k, c;

		k = cut(m, n, rows[i].lines, 0, n > 0 ? n : 1, out);
		if (k != want || memcmp(out, rows[i].sent, want) != 0)
			fail_msg("row %zu whole", i);
		k = cut(m, n, rows[i].lines, 0, 1, out);
		assert_int_equal(k, want);
		assert_memory_equal(out, rows[i].sent, want);
		for (c = 1; c < n; c++) {
			k = cut(m, n, rows[i].lines, c, n, out);
			assert_int_equal(k, want);
			assert_memory_equal(out, rows[i].sent, want);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
