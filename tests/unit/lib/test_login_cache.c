/*
 * test_login_cache.c - unit tests for lib/login_cache.c: a remembered
 * login matches only the same name, stored hash and password within the
 * time to live; the oldest entry makes room; nothing of the password is
 * kept in clear; login_cache_verify against a real users table: the user
 * back on success, failures still failures, a new password honoured.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <string.h>

#include "lib/login_cache.h"
#include "lib/mem.h"
#include "lib/users.h"

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

/* test_verify - through a users table, with and without the cache */
static void
test_verify(void **state)
{
	struct login_cache *lc = login_cache_new(4);
	struct users_entry entry;
	struct users *u;
	const char *error = NULL;
	char dir[64], *spec, *base;
	unsigned long crypts;
	int i;

	(void)state;
	testlib_tmpdir(dir, sizeof(dir), "test_login_cache");
	spec = mem_asprintf("hash:%s/users", dir);
	base = mem_asprintf("%s/mail/", dir);
	u = users_new(spec, base, USERS_SCHEME_SHA512, &error);
	assert_non_null(u);
	assert_int_equal(users_add(u, "alice", "first", NULL, &error), 0);
	/* One hash for the first login, none for the remembered ones. */
	crypts = users_crypt_count(u);
	for (i = 0; i < 3; i++) {
		memset(&entry, 0, sizeof(entry));
		assert_int_equal(login_cache_verify(lc, u, "alice", "first",
						    &entry, &error),
				 1);
		assert_string_equal(entry.name, "alice");
		assert_true(entry.maildir[0] != '\0');
	}
	assert_int_equal(users_crypt_count(u), crypts + 1);
	/* Failures are hashed in full, an unknown user too. */
	assert_int_equal(login_cache_verify(lc, u, "alice", "First", &entry,
					    &error),
			 0);
	assert_int_equal(users_crypt_count(u), crypts + 2);
	assert_int_equal(login_cache_verify(lc, u, "nobody", "first", &entry,
					    &error),
			 0);
	assert_int_equal(users_crypt_count(u), crypts + 3);
	/* A new password: the remembered login no longer counts. */
	assert_int_equal(users_passwd(u, "alice", "second", &error), 0);
	assert_int_equal(login_cache_verify(lc, u, "alice", "first", &entry,
					    &error),
			 0);
	assert_int_equal(login_cache_verify(lc, u, "alice", "second", &entry,
					    &error),
			 1);
	users_free(&u);
	mem_free(&spec);
	mem_free(&base);
	testlib_rmtree(dir);
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
	    cmocka_unit_test_setup_teardown(test_verify, testlib_setup,
					    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
