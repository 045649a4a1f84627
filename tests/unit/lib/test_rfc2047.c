/*
 * test_rfc2047.c - unit tests for lib/rfc2047.c (encoded-words to
 * UTF-8), lib/charset.c (conversion, fed whole and split) and
 * lib/rfc5322_header.c (walking and unfolding header fields).
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/charset.h"
#include "lib/rfc2047.h"
#include "lib/rfc5322_header.h"

static const struct {
	const char *in;
	const char *out;
} rows[] = {
    {"", ""},
    {"plain text", "plain text"},
    {"=?utf-8?q?J=C3=B6rg?=", "J\xc3\xb6rg"},
    {"=?UTF-8?Q?J=c3=b6rg_x?=", "J\xc3\xb6rg x"},
    {"=?iso-8859-1?q?caf=E9?=", "caf\xc3\xa9"},
    {"=?utf-8?b?SsO2cmc=?=", "J\xc3\xb6rg"},
    {"=?utf-8?B?SsO2cmc?=", "J\xc3\xb6rg"},
    {"a =?utf-8?q?x?= =?utf-8?q?y?= b", "a xy b"},
    {"=?utf-8?q?x?=\r\n =?utf-8?q?y?=", "xy"},
    {"=?utf-8?q?x?= y =?utf-8?q?z?=", "x y z"},
    {"Re: =?utf-8*de?q?Gr=C3=BC=C3=9Fe?=", "Re: Gr\xc3\xbc\xc3\x9f"
                                           "e"},
    {"folded\r\n line", "folded line"},
    {"=?utf-8?x?bad?=", "=?utf-8?x?bad?="},
    {"=?utf-8?q?unterminated", "=?utf-8?q?unterminated"},
    {"=??q?nocharset?=", "=??q?nocharset?="},
    {"=?utf-8?q?sp ace?=", "=?utf-8?q?sp ace?="},
    {"x=?utf-8?q?inside?=y", "xinsidey"},
    {"\"=?utf-8?q?quoted?=\" <a@b>", "\"quoted\" <a@b>"},
    {"=?no-such-charset?q?abc=FF?=", "abc\xef\xbf\xbd"},
    {"raw \xff latin", "raw \xef\xbf\xbd latin"},
    {"raw \xc3\xa9 utf-8", "raw \xc3\xa9 utf-8"},
    {"=?utf-8?q?=FF?=", "\xef\xbf\xbd"},
    {"=?utf-8?q?a=?= =?utf-8?q?=?=", "a=="},
    {"=?windows-1252?q?=80?=", "\xe2\x82\xac"},
    {"=?utf-8?q?=E2=82?= =?utf-8?q?=AC?=", "\xef\xbf\xbd\xef\xbf\xbd"},
};

static void
test_decode(void **state)
{
	struct buf out;
	size_t i;

	(void)state;
	buf_init(&out, 4096);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		buf_reset(&out);
		assert_int_equal(rfc2047_decode((const uint8_t *)rows[i].in,
		                                strlen(rows[i].in), &out),
		                 0);
		if (strcmp(buf_cstr(&out), rows[i].out) != 0)
			fail_msg("row %zu (%s): \"%s\"", i, rows[i].in,
			         buf_cstr(&out));
	}
	buf_deinit(&out);
}

/* The output maximum cuts at a character boundary and says so. */
static void
test_decode_limit(void **state)
{
	const char *in = "=?utf-8?q?=C3=A9=C3=A9=C3=A9?=";
	struct buf out;

	(void)state;
	buf_init(&out, 5);
	assert_int_equal(rfc2047_decode((const uint8_t *)in, strlen(in), &out),
	                 -1);
	assert_int_equal(out.len, 4);
	buf_deinit(&out);
}

/*
 * Lines and encoded-words as long as the limits allow: a line longer
 * than the decoded size of a B word, and a Q word that decodes to more.
 */
static void
test_decode_long(void **state)
{
	struct buf in, out;
	size_t i;

	(void)state;
	buf_init(&in, 3 * RFC2047_WORD_MAX);
	buf_init(&out, 4 * RFC2047_WORD_MAX);
	for (i = 0; i < 2 * RFC2047_WORD_MAX; i++)
		buf_append_byte(&in, 'a');
	assert_int_equal(rfc2047_decode(in.data, in.len, &out), 0);
	assert_int_equal(out.len, in.len);

	buf_reset(&in);
	buf_reset(&out);
	buf_append_str(&in, "=?utf-8?q?");
	while (in.len < RFC2047_WORD_MAX - 2)
		buf_append_byte(&in, 'q');
	buf_append_str(&in, "?=");
	assert_int_equal(rfc2047_decode(in.data, in.len, &out), 0);
	assert_int_equal(out.len, RFC2047_WORD_MAX - 12);
	assert_int_equal(out.data[0], 'q');
	buf_deinit(&in);
	buf_deinit(&out);
}

/* Charset conversion gives the same output fed whole or split. */
static void
test_charset_split(void **state)
{
	static const struct {
		const char *charset;
		const char *in;
		const char *out;
		size_t len; /* of in, when it holds NUL */
	} conv_rows[] = {
	    {"utf-8", "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z",
	     "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", 0},
	    {"UTF-8", "\xc0\xaf\xed\xa0\x80\xe2\x82",
	     "\xef\xbf\xbd\xef\xbf\xbd"
	     "\xef\xbf\xbd\xef\xbf\xbd"
	     "\xef\xbf\xbd\xef\xbf\xbd", 0},
	    {"latin1", "caf\xe9", "caf\xc3\xa9", 0},
	    {"iso-8859-15", "\xa4", "\xe2\x82\xac", 0},
	    {"utf-16be",
	     "\x00"
	     "A\xd8\x3d\xde\x00",
	     "A\xf0\x9f\x98\x80", 6},
	    {"shift_jis", "\x82\xa0", "\xe3\x81\x82", 0},
	    /* iconv writes code points past U+10FFFF; they are replaced. */
	    {"ucs-4be",
	     "\x00\x11\x00\x00"
	     "\x7f\xff\xff\xff"
	     "\x00\x00\x00z",
	     "\xef\xbf\xbd\xef\xbf\xbdz", 12},
	    {"x-unknown", "ok\xff", "ok\xef\xbf\xbd", 0},
	    {"../etc/passwd", "ok", "ok", 0},
	};
	struct buf whole, split;
	size_t i, k;

	(void)state;
	buf_init(&whole, 4096);
	buf_init(&split, 4096);
	for (i = 0; i < sizeof(conv_rows) / sizeof(conv_rows[0]); i++) {
		const char *in = conv_rows[i].in;
		/* The rows may hold NUL: lengths from the literal. */
		size_t len = conv_rows[i].len > 0 ? conv_rows[i].len
		                                  : strlen(in);
		struct charset_conv *cc =
		    charset_conv_new(conv_rows[i].charset);

		buf_reset(&whole);
		charset_conv_feed(cc, (const uint8_t *)in, len, &whole);
		charset_conv_finish(cc, &whole);
		if (strcmp(buf_cstr(&whole), conv_rows[i].out) != 0)
			fail_msg("row %zu: got \"%s\"", i, buf_cstr(&whole));
		for (k = 1; k < len; k++) {
			buf_reset(&split);
			charset_conv_feed(cc, (const uint8_t *)in, k, &split);
			charset_conv_feed(cc, (const uint8_t *)in + k, len - k,
			                  &split);
			charset_conv_finish(cc, &split);
			if (strcmp(buf_cstr(&split), buf_cstr(&whole)) != 0)
				fail_msg("row %zu split %zu: \"%s\"", i, k,
				         buf_cstr(&split));
		}
		assert_int_equal(charset_conv_is_known(cc), i < 7);
		charset_conv_free(&cc);
		assert_null(cc);
	}
	buf_deinit(&whole);
	buf_deinit(&split);
}

/*
 * A charset that writes more than 4 octets for one (TSCII: up to 12) is
 * cut at the documented maximum, at a character boundary, and leaves
 * room for charset_conv_finish.
 */
static void
test_charset_cut(void **state)
{
	uint8_t in[100];
	struct buf out, enc;
	struct charset_conv *cc = charset_conv_new("tscii");
	size_t i;

	(void)state;
	memset(in, 0x82, sizeof(in));
	buf_init(&out, CHARSET_OUT_MAX(sizeof(in)));
	charset_conv_feed(cc, in, sizeof(in), &out);
	assert_true(out.len > 4 * sizeof(in) - 12);
	assert_true(out.len <= 4 * sizeof(in));
	charset_conv_finish(cc, &out);
	assert_int_equal(charset_utf8_valid_prefix(out.data, out.len), out.len);
	charset_conv_free(&cc);

	buf_init(&enc, 1024);
	buf_append_str(&enc, "=?tscii?q?");
	for (i = 0; i < 200; i++)
		buf_append_str(&enc, "=82");
	buf_append_str(&enc, "?=");
	buf_deinit(&out);
	buf_init(&out, 4096);
	assert_int_equal(rfc2047_decode(enc.data, enc.len, &out), 0);
	assert_int_equal(charset_utf8_valid_prefix(out.data, out.len), out.len);
	assert_true(out.len > 0 && out.len <= 4 * 200);
	buf_deinit(&enc);
	buf_deinit(&out);
}

/* Header walk: fields, continuation lines, lines without colon. */
static void
test_header_walk(void **state)
{
	const char *hdr = "Subject: one\r\n two\r\nno colon line\r\n"
	                  "X-Empty:\r\n\tcontinued\r\nFrom : a@b\r\n"
	                  " : no name\r\nBad Name: x\r\nTo: c@d\r\n\r\n"
	                  "Body: not a field\r\n";
	const char *want[] = {"Subject| one\r\n two", "X-Empty|\r\n\tcontinued",
	                      "From| a@b\r\n : no name", "To| c@d"};
	struct rfc5322_header_iter it;
	struct rfc5322_header_field f;
	struct buf got;
	size_t i = 0;

	(void)state;
	buf_init(&got, 4096);
	rfc5322_header_iter_init(&it, (const uint8_t *)hdr, strlen(hdr));
	while (rfc5322_header_next(&it, &f) == 1) {
		assert_true(i < sizeof(want) / sizeof(want[0]));
		buf_reset(&got);
		buf_append(&got, f.name, f.name_len);
		buf_append_byte(&got, '|');
		buf_append(&got, f.value, f.value_len);
		assert_string_equal(buf_cstr(&got), want[i]);
		i++;
	}
	assert_int_equal(i, 4);
	rfc5322_header_iter_init(&it, (const uint8_t *)hdr, strlen(hdr));
	assert_int_equal(rfc5322_header_next(&it, &f), 1);
	assert_true(rfc5322_header_name_is(&f, "SUBJECT"));
	assert_false(rfc5322_header_name_is(&f, "Subj"));
	buf_reset(&got);
	assert_int_equal(rfc5322_header_unfold(f.value, f.value_len, &got), 0);
	assert_string_equal(buf_cstr(&got), "one two");
	/* A bare CR is content; LF and CR LF are line breaks. */
	buf_reset(&got);
	assert_int_equal(rfc5322_header_unfold(
	                     (const uint8_t *)" a\rb\r\n c\n d ", 12, &got),
	                 0);
	assert_string_equal(buf_cstr(&got), "a\rb c d");
	buf_deinit(&got);

	/* LF only, no empty line, last line without LF. */
	hdr = "A: 1\nB: 2\n 3\nC: 4";
	rfc5322_header_iter_init(&it, (const uint8_t *)hdr, strlen(hdr));
	for (i = 0; rfc5322_header_next(&it, &f) == 1; i++)
		;
	assert_int_equal(i, 3);
	assert_int_equal(f.value_len, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_decode, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_decode_limit, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_decode_long, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_charset_split, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_charset_cut, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_header_walk, testlib_setup,
	                                    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
