/*
 * test_base64.c - unit tests for lib/base64.c and lib/qp.c: the
 * transfer-encoding decoders. Each row is decoded whole, one octet at a
 * time and split at every offset; all must agree. The canonical form
 * (SASL): the RFC 4648 section 10 vectors, malformed and non-canonical
 * input (wrong length, characters outside the alphabet, misplaced
 * padding, non-zero pad bits), output that does not fit, and
 * encode/decode round trips of every length up to a few hundred octets.
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

static const struct {
	const char *in;
	int rc;
	const char *out;	/* decoded, when rc == 0 */
	size_t out_len;
} canonical_rows[] = {
	/* Canonical base64 (SASL): RFC 4648 section 10 first. */
	{ "", 0, "", 0 },
	{ "Zg==", 0, "f", 1 },
	{ "Zm8=", 0, "fo", 2 },
	{ "Zm9v", 0, "foo", 3 },
	{ "Zm9vYg==", 0, "foob", 4 },
	{ "Zm9vYmE=", 0, "fooba", 5 },
	{ "Zm9vYmFy", 0, "foobar", 6 },
	/* Binary, NULs and the last two alphabet characters. */
	{ "AGFsaWNlAHNlY3JldA==", 0, "\0alice\0secret", 13 },
	{ "+/+/", 0, "\xfb\xff\xbf", 3 },
	{ "////", 0, "\xff\xff\xff", 3 },
	{ "AAAA", 0, "\0\0\0", 3 },
	/* Wrong length. */
	{ "Z", -1, NULL, 0 },
	{ "Zg", -1, NULL, 0 },
	{ "Zg=", -1, NULL, 0 },
	{ "Zm9vY", -1, NULL, 0 },
	/* Padding only at the very end, at most two. */
	{ "Zg==Zg==", -1, NULL, 0 },
	{ "Z===", -1, NULL, 0 },
	{ "====", -1, NULL, 0 },
	{ "=Zm9", -1, NULL, 0 },
	{ "Zm=v", -1, NULL, 0 },
	{ "Z=m=", -1, NULL, 0 },
	/* Non-zero pad bits (RFC 4648 3.5): not canonical. */
	{ "Zh==", -1, NULL, 0 },
	{ "Zm9=", -1, NULL, 0 },
	/* Characters outside the alphabet: white space, URL-safe, NUL. */
	{ "Zm9v\r\n", -1, NULL, 0 },
	{ "Zm 9", -1, NULL, 0 },
	{ "Zm-_", -1, NULL, 0 },
	{ "Zm9*", -1, NULL, 0 },
	{ "Zm\x80v", -1, NULL, 0 },
};

static void
test_canonical_table(void **state)
{
	uint8_t out[64];
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(canonical_rows) / sizeof(canonical_rows[0]); i++) {
		int rc = base64_decode_canonical((const uint8_t *)canonical_rows[i].in,
				       strlen(canonical_rows[i].in), out, sizeof(out),
				       &len);

		if (rc != canonical_rows[i].rc)
			fail_msg("row %zu (%s): rc %d", i, canonical_rows[i].in, rc);
		if (rc == 0 && (len != canonical_rows[i].out_len ||
				memcmp(out, canonical_rows[i].out, len) != 0))
			fail_msg("row %zu (%s): wrong output", i, canonical_rows[i].in);
		if (rc < 0)
			assert_int_equal(len, 0);
	}
	/* A NUL inside the text is not base64 either. */
	assert_int_equal(base64_decode_canonical((const uint8_t *)"Zm\0v", 4, out,
				       sizeof(out), &len),
			 -1);
}

static void
test_canonical_room(void **state)
{
	uint8_t out[6];
	size_t len;

	(void)state;
	/* Exactly enough room, then one octet too little. */
	assert_int_equal(base64_decode_canonical((const uint8_t *)"Zm9vYmFy", 8, out, 6,
				       &len),
			 0);
	assert_int_equal(len, 6);
	assert_int_equal(base64_decode_canonical((const uint8_t *)"Zm9vYmFy", 8, out, 5,
				       &len),
			 -1);
	assert_int_equal(base64_decode_canonical((const uint8_t *)"Zm9vYg==", 8, out, 4,
				       &len),
			 0);
	assert_int_equal(base64_decode_canonical((const uint8_t *)"Zm9vYg==", 8, out, 3,
				       &len),
			 -1);
	assert_int_equal(base64_decode_canonical((const uint8_t *)"Zg==", 4, out, 0,
				       &len),
			 -1);
}

static void
test_canonical_round_trip(void **state)
{
	uint8_t in[300], out[300];
	struct buf enc;
	size_t n, i, len;
	unsigned seed = 7;

	(void)state;
	buf_init(&enc, 1024);
	for (n = 0; n <= sizeof(in); n++) {
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = (uint8_t)(seed >> 16);
		}
		buf_reset(&enc);
		base64_encode(in, n, &enc);
		assert_int_equal(enc.len, base64_encoded_size(n));
		assert_int_equal(base64_decode_canonical(enc.data, enc.len, out,
					       sizeof(out), &len),
				 0);
		assert_int_equal(len, n);
		assert_memory_equal(in, out, n);
	}
	buf_reset(&enc);
	base64_encode((const uint8_t *)"foobar", 6, &enc);
	assert_memory_equal(enc.data, "Zm9vYmFy", 8);
	assert_int_equal(base64_encoded_size(1), 4);
	assert_int_equal(base64_encoded_size(SIZE_MAX), SIZE_MAX);
	buf_deinit(&enc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_canonical_table,
					    testlib_setup, testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_canonical_room, testlib_setup,
					    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_canonical_round_trip,
					    testlib_setup, testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_base64, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_qp, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_qp_long_padding, testlib_setup,
	                                    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
