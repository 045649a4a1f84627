/*
 * test_str.c - unit tests for the lib/str.c helpers added with the mail
 * clients and servers: str_format (cutting), str_vline (protocol lines
 * cut to fit, CR LF always there) and str_hex_value.
 */
#include "tests/unit/testlib.h"

#include <stdarg.h>
#include <string.h>

#include "lib/str.h"

/* vline - str_vline through varargs */
static size_t __attribute__((format(printf, 4, 5)))
vline(char *line, size_t size, const char *prefix, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = str_vline(line, size, prefix, fmt, ap);
	va_end(ap);
	return n;
}

/* test_vline - fits, cut, prefix alone too long */
static void
test_vline(void **state)
{
	char line[16];
	size_t n;

	(void)state;
	n = vline(line, sizeof(line), NULL, "+OK %d", 3);
	assert_int_equal(n, 7);
	assert_memory_equal(line, "+OK 3\r\n", 7);
	n = vline(line, sizeof(line), "* ", "%s", "abc");
	assert_int_equal(n, 7);
	assert_memory_equal(line, "* abc\r\n", 7);
	/* Cut: 13 octets of text, CR LF, room for the NUL. */
	n = vline(line, sizeof(line), "a1 ", "%s", "0123456789abcdefghij");
	assert_int_equal(n, sizeof(line) - 1);
	assert_memory_equal(line, "a1 0123456789\r\n", n);
	n = vline(line, sizeof(line), "0123456789abcdefghij", "%s", "x");
	assert_int_equal(n, sizeof(line) - 1);
	assert_memory_equal(line + n - 2, "\r\n", 2);
}

/* test_format - whether the text fit */
static void
test_format(void **state)
{
	char out[8];

	(void)state;
	assert_true(str_format(out, sizeof(out), "%s", "1234567"));
	assert_string_equal(out, "1234567");
	assert_false(str_format(out, sizeof(out), "%s", "12345678"));
	assert_string_equal(out, "1234567");
}

/* test_hex_value - every octet */
static void
test_hex_value(void **state)
{
	unsigned c;

	(void)state;
	for (c = 0; c < 256; c++) {
		int want = c >= '0' && c <= '9'   ? (int)c - '0'
			   : c >= 'a' && c <= 'f' ? (int)c - 'a' + 10
			   : c >= 'A' && c <= 'F' ? (int)c - 'A' + 10
						  : -1;

		assert_int_equal(str_hex_value((uint8_t)c), want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vline),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_hex_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
