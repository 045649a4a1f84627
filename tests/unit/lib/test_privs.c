/*
 * test_privs.c - unit tests for lib/privs.c: user lookup, the drop in a
 * forked child (as root: all ids changed, groups cleared, no way back),
 * and refusal to "drop" to root.
 */
#include "tests/unit/testlib.h"

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/privs.h"

static void
test_lookup(void **state)
{
	uid_t uid;
	gid_t gid;
	const char *error = NULL;

	(void)state;
	assert_int_equal(privs_lookup("root", &uid, &gid, &error), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(privs_lookup("no-such-user-mr", &uid, &gid, &error),
			 -1);
	assert_non_null(error);
}

static void
test_drop_in_child(void **state)
{
	uid_t uid;
	gid_t gid;
	const char *error;
	pid_t pid;
	int status;

	(void)state;
	if (!privs_is_root()) {
		/* Without root only "already that user" succeeds. */
		assert_int_equal(privs_drop(geteuid(), getegid()), 0);
		assert_int_equal(privs_drop(geteuid() + 1, getegid()), -1);
		return;
	}
	if (privs_lookup("nobody", &uid, &gid, &error) < 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uid_t r, e, s;
		gid_t groups[4];

		privs_drop(uid, gid);
		if (getresuid(&r, &e, &s) < 0 || r != uid || e != uid ||
		    s != uid)
			_exit(2);
		if (getgroups(4, groups) != 1 || groups[0] != gid)
			_exit(3);
		if (setuid(0) == 0 || seteuid(0) == 0)
			_exit(4);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* Dropping "to root" is a bug and panics. */
	assert_true(TESTLIB_EXPECT_EXIT(privs_drop(0, 0)));
	assert_int_equal(testlib_exit_level, LOG_LEVEL_PANIC);
	testlib_log_expect("refusing to drop to uid 0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lookup, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_drop_in_child,
						testlib_setup, testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
