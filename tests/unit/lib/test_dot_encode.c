/*
 * test_dot_encode.c - unit tests for lib/dot_encode.c: LF to CR LF,
 * byte-stuffing and the terminator for a table of messages, each fed
 * whole, one byte at a time, split at every offset, and through an output
 * buffer of the smallest room that still makes progress; the output minus
 * the stuffing dots and the added line end is the vsize.
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/dot_encode.h"

static const struct {
	const char *in;
	const char *out;
} rows[] = {
	{ "", ".\r\n" },
	{ "a\n", "a\r\n.\r\n" },
	{ "a", "a\r\n.\r\n" },
	{ "a\r\nb\r\n", "a\r\nb\r\n.\r\n" },
	{ "a\rb\n", "a\rb\r\n.\r\n" },
	{ "a\r", "a\r\n.\r\n" },
	{ ".\n", "..\r\n.\r\n" },
	{ ".", "..\r\n.\r\n" },
	{ "..x\n.\r\n", "...x\r\n..\r\n.\r\n" },
	{ "a.\n.b\nc", "a.\r\n..b\r\nc\r\n.\r\n" },
	{ "\n\n", "\r\n\r\n.\r\n" },
	{ "\r\n.\r\n", "\r\n..\r\n.\r\n" },
	{ "x\n\r\n\n", "x\r\n\r\n\r\n.\r\n" },
};

/* encode - feed in chunks (first cut octets, then chunk), out room */
static void
encode(const char *in, size_t n, size_t cut, size_t chunk, size_t out_max,
       struct buf *result)
{
	struct dot_encode de;
	struct buf out;
	size_t pos = 0;

	dot_encode_init(&de);
	buf_init(&out, out_max);
	while (pos < n) {
		size_t take = pos == 0 && cut > 0 ? cut : chunk, used;

		if (take > n - pos)
			take = n - pos;
		used = dot_encode_feed(&de, (const uint8_t *)in + pos, take,
				       &out);
		pos += used;
		/* Drain: the caller empties out when it is full. */
		buf_append(result, out.data, out.len);
		buf_reset(&out);
		assert_true(used > 0);
	}
	dot_encode_finish(&de, &out);
	buf_append(result, out.data, out.len);
	buf_deinit(&out);
}

/* vsize - octets with CR LF line ends */
static size_t
vsize(const char *in, size_t n)
{
	size_t i, v = n;

	for (i = 0; i < n; i++)
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			v++;
	return v;
}

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *in = rows[i].in, *want = rows[i].out;
		size_t n = strlen(in), cut, outlen = strlen(want), dots = 0, k;
		size_t chunks[] = { n > 0 ? n : 1, 1, 2, 3 };
		size_t rooms[] = { 4096, DOT_ENCODE_FINISH_MAX };

		for (k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
			size_t r;

			for (r = 0; r < 2; r++) {
				struct buf got;

				buf_init(&got, 4096);
				encode(in, n, 0, chunks[k], rooms[r], &got);
				if (got.len != outlen ||
				    memcmp(got.data, want, outlen) != 0)
					fail_msg("row %zu chunk %zu room %zu",
						 i, chunks[k], rooms[r]);
				buf_deinit(&got);
			}
		}
		for (cut = 1; cut < n; cut++) {
			struct buf got;

			buf_init(&got, 4096);
			encode(in, n, cut, n, 4096, &got);
			assert_int_equal(got.len, outlen);
			assert_memory_equal(got.data, want, outlen);
			buf_deinit(&got);
		}
		/* vsize: output minus ".\r\n", stuffing and the added end. */
		for (k = 0; k + 1 < outlen; k++)
			if (want[k] == '.' && (k == 0 || want[k - 1] == '\n') &&
			    k + 3 < outlen)
				dots++;
		assert_int_equal(outlen - 3 - dots -
					 (n > 0 && in[n - 1] != '\n'
						  ? (in[n - 1] == '\r' ? 1 : 2)
						  : 0),
				 vsize(in, n));
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
