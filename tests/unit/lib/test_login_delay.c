/*
 * test_login_delay.c - unit tests for lib/login_delay.c: the delays grow
 * 1, 2, 4, 8, 15, 15 s per address, addresses are independent, failures
 * are forgotten after LOGIN_DELAY_FORGET_MS, and a full table forgets the
 * oldest address.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>

#include "lib/login_delay.h"

static void
test_growth(void **state)
{
	static const uint64_t expect[] = { 1000, 2000, 4000, 8000, 15000,
					   15000, 15000 };
	struct login_delay *ld = login_delay_new(8);
	uint64_t now = 5000;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		assert_int_equal(login_delay_failed(ld, "192.0.2.1", now),
				 expect[i]);
		now += 1000;
	}
	assert_int_equal(login_delay_failures(ld, "192.0.2.1", now), 7);
	/* Another address starts afresh. */
	assert_int_equal(login_delay_failed(ld, "2001:db8::1", now), 1000);
	assert_int_equal(login_delay_failures(ld, "198.51.100.7", now), 0);
	/* Forgotten after a quiet period. */
	now += LOGIN_DELAY_FORGET_MS;
	assert_int_equal(login_delay_failures(ld, "192.0.2.1", now), 0);
	assert_int_equal(login_delay_failed(ld, "192.0.2.1", now), 1000);
	/* An empty or over-long address text still works. */
	assert_int_equal(login_delay_failed(ld, "", now), 1000);
	assert_int_equal(login_delay_failed(ld,
					    "0123456789012345678901234567890"
					    "123456789012345678901234567890",
					    now),
			 1000);
	login_delay_free(&ld);
	assert_null(ld);
}

static void
test_full_table(void **state)
{
	struct login_delay *ld = login_delay_new(4);
	char addr[32];
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		snprintf(addr, sizeof(addr), "10.0.0.%d", i);
		login_delay_failed(ld, addr, 100 + (uint64_t)i);
		login_delay_failed(ld, addr, 100 + (uint64_t)i);
	}
	/* A fifth address takes the slot of the oldest (10.0.0.0). */
	assert_int_equal(login_delay_failed(ld, "10.0.0.9", 200), 1000);
	assert_int_equal(login_delay_failures(ld, "10.0.0.0", 200), 0);
	assert_int_equal(login_delay_failures(ld, "10.0.0.1", 200), 2);
	assert_int_equal(login_delay_failures(ld, "10.0.0.9", 200), 1);
	login_delay_free(&ld);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_growth, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_full_table, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
