/*
 * test_base64.c - unit tests for lib/base64.c and lib/qp.c: the
 * transfer-encoding decoders. Each row is decoded whole, one octet at a
 * time and split at every offset; all must agree.
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "lib/base64.h"
#include "lib/buf.h"
#include "lib/qp.h"

static const struct {
	const char *in;
	const char *out;
	size_t out_len;
	unsigned flags;
} b64_rows[] = {
    {"", "", 0, 0},
    {"SGVsbG8=", "Hello", 5, 0},
    {"SGVsbG8", "Hello", 5, BASE64_F_PARTIAL},
    {"SGVsbA==", "Hell", 4, 0},
    {"SGVs\r\nbG8h\r\n", "Hello!", 6, 0},
    {"SG Vs\tbG8h", "Hello!", 6, BASE64_F_JUNK},
    {"SGVs*bG8h", "Hello!", 6, BASE64_F_JUNK},
    {"SGVsbA==SGVsbA==", "HellHell", 8, 0},
    {"AA==", "\0", 1, 0},
    {"AAAA", "\0\0\0", 3, 0},
    {"A", "", 0, BASE64_F_PARTIAL},
    {"A=", "", 0, BASE64_F_PARTIAL},
    {"====", "", 0, 0},
    {"/+/+", "\xff\xef\xfe", 3, 0},
};

static const struct {
	const char *in;
	const char *out;
	unsigned flags;
} qp_rows[] = {
    {"", "", 0},
    {"plain", "plain", 0},
    {"a=3Db", "a=b", 0},
    {"a=3db", "a=b", 0},
    {"caf=C3=A9", "caf\xc3\xa9", 0},
    {"soft=\r\nbreak", "softbreak", 0},
    {"soft=\nbreak", "softbreak", 0},
    {"soft= \t\r\nbreak", "softbreak", 0},
    {"trailing   \r\nspace\t\n", "trailing\r\nspace\n", 0},
    {"keep  inner", "keep  inner", 0},
    {"end space  ", "end space  ", 0},
    {"bad=G1", "bad=G1", QP_F_BAD_ESCAPE},
    {"bad=1", "bad=1", QP_F_BAD_ESCAPE},
    {"bad=", "bad=", QP_F_BAD_ESCAPE},
    {"bad= x", "bad= x", QP_F_BAD_ESCAPE},
    {"bad==41", "bad=A", QP_F_BAD_ESCAPE},
    {"bare\rcr\r\n", "bare\rcr\r\n", 0},
    {"cr before \r \r\n", "cr before \r\r\n", 0},
    {"x=\r", "x", 0},
};

/* b64_run - decode in pieces of step (0: whole) or at split */
static void
b64_run(const char *in, size_t len, size_t step, size_t split, struct buf *out,
        unsigned *flags_r)
{
	struct base64_decoder d;
	size_t i = 0;

	base64_decoder_init(&d);
	buf_reset(out);
	while (i < len) {
		size_t take = len - i;
		uint8_t *w;

		if (step > 0 && take > step)
			take = step;
		if (split > 0 && i < split && take > split - i)
			take = split - i;
		w = buf_reserve(out, BASE64_DECODED_MAX(take));
		buf_commit(out,
		           base64_decode(&d, (const uint8_t *)in + i, take, w));
		i += take;
	}
	buf_commit(out, base64_decode_finish(&d, buf_reserve(out, 2)));
	*flags_r = d.flags;
}

static void
test_base64(void **state)
{
	struct buf whole, other;
	size_t i, k;

	(void)state;
	buf_init(&whole, 4096);
	buf_init(&other, 4096);
	for (i = 0; i < sizeof(b64_rows) / sizeof(b64_rows[0]); i++) {
		const char *in = b64_rows[i].in;
		size_t len = strlen(in);
		unsigned flags, f2;

		b64_run(in, len, 0, 0, &whole, &flags);
		if (whole.len != b64_rows[i].out_len ||
		    memcmp(whole.data, b64_rows[i].out, whole.len) != 0 ||
		    flags != b64_rows[i].flags)
			fail_msg("row %zu (%s): %zu octets flags %x", i, in,
			         whole.len, flags);
		b64_run(in, len, 1, 0, &other, &f2);
		assert_int_equal(other.len, whole.len);
		assert_int_equal(f2, flags);
		for (k = 1; k < len; k++) {
			b64_run(in, len, 0, k, &other, &f2);
			assert_int_equal(other.len, whole.len);
			assert_memory_equal(other.data, whole.data, whole.len);
			assert_int_equal(f2, flags);
		}
	}
	buf_deinit(&whole);
	buf_deinit(&other);
}

/* qp_run - decode in pieces of step (0: whole) or at split */
static void
qp_run(const char *in, size_t len, size_t step, size_t split, struct buf *out,
       unsigned *flags_r)
{
	struct qp_decoder d;
	size_t i = 0;

	qp_decoder_init(&d);
	buf_reset(out);
	while (i < len) {
		size_t take = len - i;
		uint8_t *w;

		if (step > 0 && take > step)
			take = step;
		if (split > 0 && i < split && take > split - i)
			take = split - i;
		w = buf_reserve(out, QP_DECODED_MAX(take));
		buf_commit(out,
		           qp_decode(&d, (const uint8_t *)in + i, take, w));
		i += take;
	}
	buf_commit(out,
	           qp_decode_finish(&d, buf_reserve(out, QP_DECODED_MAX(0))));
	*flags_r = d.flags;
}

static void
test_qp(void **state)
{
	struct buf whole, other;
	size_t i, k;

	(void)state;
	buf_init(&whole, 4096);
	buf_init(&other, 4096);
	for (i = 0; i < sizeof(qp_rows) / sizeof(qp_rows[0]); i++) {
		const char *in = qp_rows[i].in;
		size_t len = strlen(in);
		unsigned flags, f2;

		qp_run(in, len, 0, 0, &whole, &flags);
		if (strcmp(buf_cstr(&whole), qp_rows[i].out) != 0 ||
		    flags != qp_rows[i].flags)
			fail_msg("row %zu (%s): \"%s\" flags %x", i, in,
			         buf_cstr(&whole), flags);
		qp_run(in, len, 1, 0, &other, &f2);
		assert_string_equal(buf_cstr(&other), buf_cstr(&whole));
		assert_int_equal(f2, flags);
		for (k = 1; k < len; k++) {
			qp_run(in, len, 0, k, &other, &f2);
			assert_string_equal(buf_cstr(&other), buf_cstr(&whole));
			assert_int_equal(f2, flags);
		}
	}
	buf_deinit(&whole);
	buf_deinit(&other);
}

/* More white space than the decoder holds back is released as text. */
static void
test_qp_long_padding(void **state)
{
	struct qp_decoder d;
	uint8_t in[QP_PENDING_MAX * 3 + 2], out[QP_DECODED_MAX(sizeof(in))];
	size_t len;

	(void)state;
	memset(in, ' ', sizeof(in));
	in[0] = 'a';
	in[sizeof(in) - 1] = '\n';
	qp_decoder_init(&d);
	len = qp_decode(&d, in, sizeof(in), out);
	len += qp_decode_finish(&d, out + len);
	/* "a", the released spaces, then the break; the rest trimmed. */
	assert_true(len > 2 && len < sizeof(in));
	assert_int_equal(out[0], 'a');
	assert_int_equal(out[len - 1], '\n');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_base64, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_qp, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_qp_long_padding, testlib_setup,
	                                    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
