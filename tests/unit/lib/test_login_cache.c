/*
 * test_login_cache.c - unit tests for lib/login_cache.c: a remembered
 * login matches only the same name, stored hash and password within the
 * time to live; the oldest entry makes room; nothing of the password is
 * kept in clear.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <string.h>

#include "lib/login_cache.h"

/* test_check - what matches and what does not */
static void
test_check(void **state)
{
	struct login_cache *lc = login_cache_new(4);

	(void)state;
	assert_false(login_cache_check(lc, "alice", "$y$h1", "pw", 1000));
	login_cache_add(lc, "alice", "$y$h1", "pw", 1000);
	assert_true(login_cache_check(lc, "alice", "$y$h1", "pw", 1000));
	assert_true(login_cache_check(lc, "alice", "$y$h1", "pw",
				      1000 + LOGIN_CACHE_TTL_MS - 1));
	assert_false(login_cache_check(lc, "alice", "$y$h1", "pw",
				       1000 + LOGIN_CACHE_TTL_MS));
	assert_false(login_cache_check(lc, "alice", "$y$h1", "pW", 1000));
	assert_false(login_cache_check(lc, "alice", "$y$h1", "", 1000));
	/* A new password (another stored hash) misses. */
	assert_false(login_cache_check(lc, "alice", "$y$h2", "pw", 1000));
	assert_false(login_cache_check(lc, "bob", "$y$h1", "pw", 1000));
	login_cache_add(lc, "alice", "$y$h2", "new", 2000);
	assert_false(login_cache_check(lc, "alice", "$y$h1", "pw", 2000));
	assert_true(login_cache_check(lc, "alice", "$y$h2", "new", 2000));
	login_cache_free(&lc);
	assert_null(lc);
}

/* test_full - the oldest entry goes */
static void
test_full(void **state)
{
	struct login_cache *lc = login_cache_new(3);
	char name[16];
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "u%d", i);
		login_cache_add(lc, name, "$y$h", "pw", (uint64_t)(100 + i));
	}
	assert_false(login_cache_check(lc, "u0", "$y$h", "pw", 200));
	for (i = 1; i < 4; i++) {
		snprintf(name, sizeof(name), "u%d", i);
		assert_true(login_cache_check(lc, name, "$y$h", "pw", 200));
	}
	login_cache_free(&lc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_check, testlib_setup,
					    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_full, testlib_setup,
					    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
