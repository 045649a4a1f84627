/*
 * test_xtext.c - unit tests for lib/xtext.c (RFC 3461 xtext).
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/xtext.h"

/* One decode row: input, whether it is valid, the decoded bytes. */
static const struct {
	const char *in;
	bool ok;
	const char *out;
	size_t out_len;
} decode_rows[] = {
    {"", true, "", 0},
    {"plain", true, "plain", 5},
    {"a+2Bb", true, "a+b", 3},
    {"+3D", true, "=", 1},
    {"+20x+7E", true, " x~", 3},
    {"+2b", true, "+", 1},  /* lower case accepted */
    {"+00", true, "\0", 1}, /* decodes; callers check */
    {"a+", false, NULL, 0},
    {"a+2", false, NULL, 0},
    {"+G0", false, NULL, 0},
    {"a=b", false, NULL, 0},
    {"a b", false, NULL, 0},
    {"\x7f", false, NULL, 0},
    {"\xc3\xa9", false, NULL, 0},
    {"tab\t", false, NULL, 0},
};

static void
test_decode(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(decode_rows) / sizeof(decode_rows[0]); i++) {
		const char *in = decode_rows[i].in;
		struct buf b;
		int ret;

		buf_init(&b, 64);
		buf_append_str(&b, "X");
		ret = xtext_decode((const uint8_t *)in, strlen(in), &b);
		if ((ret == 0) != decode_rows[i].ok)
			fail_msg("row %zu (%s): ret %d", i, in, ret);
		if (xtext_is_valid((const uint8_t *)in, strlen(in)) !=
		    decode_rows[i].ok)
			fail_msg("row %zu: is_valid disagrees", i);
		if (ret == 0) {
			assert_int_equal(b.len, decode_rows[i].out_len + 1);
			assert_memory_equal(b.data + 1, decode_rows[i].out,
			                    decode_rows[i].out_len);
		} else {
			assert_int_equal(b.len, 1); /* untouched */
		}
		buf_deinit(&b);
	}
}

static void
test_encode_roundtrip(void **state)
{
	uint8_t all[256];
	struct buf enc, dec;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)i;
	buf_init(&enc, 3 * sizeof(all));
	buf_init(&dec, sizeof(all) * 3);
	assert_int_equal(xtext_encode(all, sizeof(all), &enc), 0);
	assert_true(xtext_is_valid(enc.data, enc.len));
	assert_int_equal(xtext_decode(enc.data, enc.len, &dec), 0);
	assert_int_equal(dec.len, sizeof(all));
	assert_memory_equal(dec.data, all, sizeof(all));
	buf_reset(&enc);
	assert_int_equal(xtext_encode((const uint8_t *)"a+b=", 4, &enc), 0);
	assert_string_equal(buf_cstr(&enc), "a+2Bb+3D");
	buf_deinit(&enc);
	buf_deinit(&dec);
}

static void
test_room(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4);
	/* Encoding needs room for the worst case; decoding for the input. */
	assert_int_equal(xtext_encode((const uint8_t *)"ab", 2, &b), -1);
	assert_int_equal(b.len, 0);
	assert_int_equal(xtext_decode((const uint8_t *)"abcde", 5, &b), -1);
	assert_int_equal(xtext_decode((const uint8_t *)"+41+42", 6, &b), -1);
	assert_int_equal(xtext_decode((const uint8_t *)"+41b", 4, &b), 0);
	assert_string_equal(buf_cstr(&b), "Ab");
	buf_deinit(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_decode, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_encode_roundtrip,
	                                    testlib_setup, testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_room, testlib_setup,
	                                    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
