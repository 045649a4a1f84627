/*
 * test_cidr.c - unit tests for lib/cidr.c: parsing (good and bad lists)
 * and matching.
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "lib/cidr.h"

static void
test_parse(void **state)
{
	static const struct {
		const char *text;
		int rc;
		size_t count;
	} rows[] = {
		{ "127.0.0.0/8 [::1]/128", 0, 2 },
		{ "10.0.0.1, 2001:db8::/32,192.168.0.0/16", 0, 3 },
		{ "", 0, 0 },
		{ "  ,, ", 0, 0 },
		{ "127.0.0.0/33", -1, 0 },
		{ "[::1]/129", -1, 0 },
		{ "300.1.1.1", -1, 0 },
		{ "example.com", -1, 0 },
		{ "1.2.3.4/", -1, 0 },
		{ "1.2.3.4/-1", -1, 0 },
		{ "[::1", -1, 0 },
		{ "[]", -1, 0 },
		{ "1.2.3.4/8x", -1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct cidr_list list = { NULL, 0 };
		const char *error = NULL;
		int rc = cidr_list_parse(&list, rows[i].text, &error);

		if (rc != rows[i].rc)
			fail_msg("row %zu (%s): rc %d", i, rows[i].text, rc);
		if (rc == 0)
			assert_int_equal(list.count, rows[i].count);
		else
			assert_non_null(strstr(error, "bad network"));
		cidr_list_deinit(&list);
	}
}

static void
test_match(void **state)
{
	static const struct {
		const char *addr;
		bool match;
	} rows[] = {
		{ "127.0.0.1", true },	   { "127.255.0.9", true },
		{ "128.0.0.1", false },	   { "::1", true },
		{ "::2", false },	   { "::ffff:127.0.0.5", true },
		{ "::ffff:10.0.0.5", false }, { "192.168.4.200", true },
		{ "192.168.5.1", false },  { "2001:db8:1::7", true },
		{ "2001:db9::7", false },  { "not an address", false },
	};
	struct cidr_list list = { NULL, 0 };
	const char *error;
	size_t i;

	(void)state;
	assert_int_equal(cidr_list_parse(&list,
					 "127.0.0.0/8 [::1]/128 "
					 "192.168.4.128/25 2001:db8::/32",
					 &error),
			 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (cidr_list_match_text(&list, rows[i].addr) !=
		    rows[i].match)
			fail_msg("row %zu: %s", i, rows[i].addr);
	cidr_list_deinit(&list);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_match, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
