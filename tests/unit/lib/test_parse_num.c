/*
 * test_parse_num.c - unit tests for lib/parse_num.c: every parser with
 * good, malformed and out-of-range rows.
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "lib/parse_num.h"

static void
test_parse_uint(void **state)
{
	static const struct {
		const char *in;
		uint64_t min, max;
		int rc;
		uint64_t value;
	} rows[] = {
		{ "0", 0, 10, 0, 0 },
		{ "10", 0, 10, 0, 10 },
		{ "11", 0, 10, -1, 0 },
		{ "5", 6, 10, -1, 0 },
		{ "18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX },
		{ "18446744073709551616", 0, UINT64_MAX, -1, 0 },
		{ "99999999999999999999", 0, UINT64_MAX, -1, 0 },
		{ "", 0, 10, -1, 0 },
		{ "-1", 0, 10, -1, 0 },
		{ "+1", 0, 10, -1, 0 },
		{ " 1", 0, 10, -1, 0 },
		{ "1 ", 0, 10, -1, 0 },
		{ "1x", 0, 10, -1, 0 },
		{ "0x1", 0, 10, -1, 0 },
		{ "007", 0, 10, 0, 7 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = 12345;
		int rc = parse_uint(rows[i].in, rows[i].min, rows[i].max, &v);

		if (rc != rows[i].rc)
			fail_msg("row %zu (%s): rc %d", i, rows[i].in, rc);
		if (rc == 0 && v != rows[i].value)
			fail_msg("row %zu: value %llu", i,
				 (unsigned long long)v);
	}
	/* parse_uint_n stops at n: "12" of "123". */
	{
		uint64_t v;

		assert_int_equal(parse_uint_n("123", 2, 0, 100, &v), 0);
		assert_int_equal(v, 12);
		assert_int_equal(parse_uint_n("123", 0, 0, 100, &v), -1);
	}
}

static void
test_parse_int(void **state)
{
	static const struct {
		const char *in;
		int rc;
		int64_t value;
	} rows[] = {
		{ "0", 0, 0 },
		{ "-5", 0, -5 },
		{ "9223372036854775807", 0, INT64_MAX },
		{ "-9223372036854775808", 0, INT64_MIN },
		{ "9223372036854775808", -1, 0 },
		{ "-9223372036854775809", -1, 0 },
		{ "--1", -1, 0 },
		{ "-", -1, 0 },
		{ "", -1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t v = 0;
		int rc = parse_int(rows[i].in, INT64_MIN, INT64_MAX, &v);

		if (rc != rows[i].rc || (rc == 0 && v != rows[i].value))
			fail_msg("row %zu (%s)", i, rows[i].in);
	}
	{
		int64_t v;

		assert_int_equal(parse_int("-3", -2, 2, &v), -1);
	}
}

static void
test_parse_time(void **state)
{
	static const struct {
		const char *in;
		char unit;
		int rc;
		uint64_t seconds;
	} rows[] = {
		{ "300", 's', 0, 300 },	  { "300s", 'd', 0, 300 },
		{ "5m", 's', 0, 300 },	  { "2h", 's', 0, 7200 },
		{ "5d", 's', 0, 432000 }, { "1w", 's', 0, 604800 },
		{ "5", 'd', 0, 432000 },  { "5x", 's', -1, 0 },
		{ "m", 's', -1, 0 },	  { "", 's', -1, 0 },
		{ "-5m", 's', -1, 0 },	  { "99999999999999w", 's', -1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = 0;
		int rc = parse_time(rows[i].in, rows[i].unit, UINT32_MAX, &v);

		if (rc != rows[i].rc || (rc == 0 && v != rows[i].seconds))
			fail_msg("row %zu (%s): rc %d value %llu", i,
				 rows[i].in, rc, (unsigned long long)v);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse_uint, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_parse_int, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_parse_time, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
