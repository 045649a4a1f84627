/*
 * test_buf.c - unit tests for lib/buf.c, lib/checked.h and lib/str.c.
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/checked.h"
#include "lib/mem.h"
#include "lib/str.h"

static void
test_append_and_limit(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_true(buf_has_room(&b, 10));
	assert_false(buf_has_room(&b, 11));
	buf_append(&b, "hello", 5);
	buf_append_byte(&b, ' ');
	buf_printf(&b, "%d", 123);
	assert_int_equal(b.len, 9);
	assert_string_equal(buf_cstr(&b), "hello 123");
	assert_false(buf_has_room(&b, 2));
	/* Appending past the maximum is a missing limit check: panic. */
	assert_true(TESTLIB_EXPECT_EXIT(buf_append(&b, "xy", 2)));
	assert_int_equal(testlib_exit_level, LOG_LEVEL_PANIC);
	testlib_log_expect("buffer overflow");
	buf_consume(&b, 6);
	assert_string_equal(buf_cstr(&b), "123");
	buf_truncate(&b, 1);
	assert_string_equal(buf_cstr(&b), "1");
	buf_deinit(&b);
}

static void
test_reserve_commit(void **state)
{
	struct buf *b = buf_new(1 << 20);
	uint8_t *p;

	(void)state;
	p = buf_reserve(b, 100);
	memset(p, 'a', 60);
	buf_commit(b, 60);
	assert_int_equal(b->len, 60);
	buf_reset(b);
	assert_int_equal(b->len, 0);
	buf_append(b, "\0x", 2); /* NUL bytes are content like any other */
	assert_int_equal(b->len, 2);
	buf_free(&b);
	assert_null(b);
}

static void
test_checked(void **state)
{
	size_t r;

	(void)state;
	assert_true(checked_add(1, 2, &r));
	assert_int_equal(r, 3);
	assert_false(checked_add(SIZE_MAX, 1, &r));
	assert_false(checked_mul(SIZE_MAX / 2, 3, &r));
	assert_true(checked_grow(0, 100, 1000, &r));
	assert_int_equal(r, 128);
	assert_true(checked_grow(512, 700, 1000, &r));
	assert_int_equal(r, 1000);
	assert_false(checked_grow(16, 1001, 1000, &r));
}

static void
test_str(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		int flags;
		bool ok;
	} rows[] = {
		{ "plain", 5, 0, true },
		{ "tab\there", 8, 0, false },
		{ "tab\there", 8, STR_ALLOW_TAB, true },
		{ "nul\0x", 5, STR_ALLOW_TAB, false },
		{ "cr\r", 3, 0, false },
		{ "\xc3\xa9t\xc3\xa9", 5, 0, false },
		{ "\xc3\xa9t\xc3\xa9", 5, STR_ALLOW_8BIT, true },
		{ "del\x7f", 4, STR_ALLOW_8BIT, false },
	};
	size_t i, n;
	char **f;
	char tr[] = "  a b \t";

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *s = str_from_bytes((const uint8_t *)rows[i].in,
					 rows[i].len, rows[i].flags);

		if ((s != NULL) != rows[i].ok)
			fail_msg("row %zu", i);
		mem_free(&s);
	}
	f = str_split("a, b,,c ", ", ", &n);
	assert_int_equal(n, 3);
	assert_string_equal(f[2], "c");
	assert_null(f[3]);
	str_split_free(&f);
	assert_string_equal(str_trim(tr), "a b");
	assert_true(str_eq_ci("MaIl", "mail"));
	assert_true(str_has_prefix_ci("EHLO x", "ehlo"));
}

static void
test_log_safe(void **state)
{
	char big[1000];

	(void)state;
	assert_string_equal(log_safe("a\r\nb", 4), "a\\015\\012b");
	memset(big, 'x', sizeof(big));
	assert_true(strlen(log_safe(big, sizeof(big))) <= LOG_SAFE_MAX);
	assert_string_equal(log_safe_str(NULL), "(null)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_and_limit,
						testlib_setup, testlib_teardown),
		cmocka_unit_test_setup_teardown(test_reserve_commit,
						testlib_setup, testlib_teardown),
		cmocka_unit_test_setup_teardown(test_checked, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_str, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_log_safe, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
