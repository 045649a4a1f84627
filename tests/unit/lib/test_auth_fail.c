/*
 * test_auth_fail.c - unit tests for lib/auth_fail.c: counting within a
 * window and starting over after it, one table shared by two handles on
 * the same file (two processes), addresses kept apart, a clock that went
 * back, a full table reusing its oldest slot, and the fallbacks to a
 * private table (no private/ directory, a planted link, a damaged file).
 */
#include "tests/unit/testlib.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/auth_fail.h"
#include "lib/client_count.h"
#include "lib/io.h"

#define WINDOW 600

static char dir[256];

static int
setup(void **state)
{
	testlib_queue_tmpdir(dir, sizeof(dir), "test_auth_fail");
	return testlib_setup(state);
}

static int
teardown(void **state)
{
	testlib_rmtree(dir);
	return testlib_teardown(state);
}

/* addr_of - the 16-byte form of text */
static void
addr_of(const char *text, uint8_t addr[CLIENT_COUNT_ADDR_SIZE])
{
	assert_int_equal(client_count_addr_parse(text, addr), 0);
}

static void
test_window(void **state)
{
	/* Rows: an operation at a time offset, and the count it gives. */
	static const struct {
		char op;	/* 'a' add, 'c' count */
		const char *addr;
		int at;		/* seconds after t0 */
		unsigned count;
	} rows[] = {
		{ 'c', "192.0.2.1", 0, 0 },
		{ 'a', "192.0.2.1", 0, 1 },
		{ 'a', "192.0.2.1", 10, 2 },
		{ 'a', "192.0.2.1", 20, 3 },
		{ 'c', "192.0.2.1", 30, 3 },
		{ 'c', "192.0.2.2", 30, 0 },
		{ 'c', "::ffff:192.0.2.1", 30, 3 },	/* the same client */
		{ 'a', "2001:db8::1", 30, 1 },
		{ 'c', "192.0.2.1", WINDOW - 1, 3 },
		/* The window counts from the first failure. */
		{ 'c', "192.0.2.1", WINDOW, 0 },
		{ 'a', "192.0.2.1", WINDOW, 1 },
		{ 'c', "192.0.2.1", WINDOW + 1, 1 },
		/* A clock set back: the slot's window is over. */
		{ 'c', "192.0.2.1", -100, 0 },
		{ 'a', "192.0.2.1", -100, 1 },
		{ 'c', "2001:db8::1", 31, 1 },
	};
	struct auth_fail *a = auth_fail_new(dir);
	time_t t0 = 1700000000;
	size_t i;

	(void)state;
	assert_true(auth_fail_is_shared(a));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t addr[CLIENT_COUNT_ADDR_SIZE];
		unsigned got;

		addr_of(rows[i].addr, addr);
		if (rows[i].op == 'a')
			got = auth_fail_add(a, addr, t0 + rows[i].at, WINDOW);
		else
			got = auth_fail_count(a, addr, t0 + rows[i].at,
					      WINDOW);
		if (got != rows[i].count)
			fail_msg("row %zu: %u", i, got);
	}
	auth_fail_free(&a);
	assert_null(a);
}

static void
test_shared(void **state)
{
	struct auth_fail *one = auth_fail_new(dir), *two = auth_fail_new(dir);
	uint8_t addr[CLIENT_COUNT_ADDR_SIZE];
	time_t now = time(NULL);

	(void)state;
	addr_of("198.51.100.7", addr);
	assert_int_equal(auth_fail_add(one, addr, now, WINDOW), 1);
	assert_int_equal(auth_fail_add(two, addr, now, WINDOW), 2);
	assert_int_equal(auth_fail_count(one, addr, now, WINDOW), 2);
	auth_fail_free(&one);
	/* The counts outlive the process that made them. */
	one = auth_fail_new(dir);
	assert_int_equal(auth_fail_count(one, addr, now, WINDOW), 2);
	auth_fail_free(&one);
	auth_fail_free(&two);
}

static void
test_full_table(void **state)
{
	struct auth_fail *a = auth_fail_new(dir);
	uint8_t addr[CLIENT_COUNT_ADDR_SIZE];
	time_t t0 = 1700000000;
	char text[64];
	unsigned i;

	(void)state;
	/* Every slot live, the first one oldest. */
	for (i = 0; i < AUTH_FAIL_SLOTS; i++) {
		snprintf(text, sizeof(text), "10.%u.%u.1", i / 256, i % 256);
		addr_of(text, addr);
		assert_int_equal(auth_fail_add(a, addr, t0 + (i == 0 ? 0 : 1),
					       WINDOW),
				 1);
	}
	addr_of("203.0.113.9", addr);
	assert_int_equal(auth_fail_add(a, addr, t0 + 2, WINDOW), 1);
	assert_int_equal(auth_fail_count(a, addr, t0 + 2, WINDOW), 1);
	/* The oldest was forgotten, the others kept. */
	addr_of("10.0.0.1", addr);
	assert_int_equal(auth_fail_count(a, addr, t0 + 2, WINDOW), 0);
	addr_of("10.0.1.1", addr);
	assert_int_equal(auth_fail_count(a, addr, t0 + 2, WINDOW), 1);
	auth_fail_free(&a);
}

static void
test_fallbacks(void **state)
{
	char path[300], target[300], other[300];
	uint8_t addr[CLIENT_COUNT_ADDR_SIZE];
	struct auth_fail *a;

	(void)state;
	addr_of("192.0.2.1", addr);
	/* No private/ directory: counting per process. */
	snprintf(other, sizeof(other), "%s/none", dir);
	testlib_log_expect("auth failure table");
	a = auth_fail_new(other);
	assert_false(auth_fail_is_shared(a));
	assert_int_equal(auth_fail_add(a, addr, 1000, WINDOW), 1);
	assert_int_equal(auth_fail_count(a, addr, 1000, WINDOW), 1);
	auth_fail_free(&a);
	/* A link planted where the file goes is not followed. */
	snprintf(path, sizeof(path), "%s/private/" AUTH_FAIL_FILE, dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	assert_int_equal(io_atomic_replace(target, "x", 1, 0600), 0);
	assert_int_equal(symlink(target, path), 0);
	a = auth_fail_new(dir);
	assert_false(auth_fail_is_shared(a));
	auth_fail_free(&a);
	assert_int_equal(unlink(path), 0);
	/* A damaged file is started over. */
	assert_int_equal(io_atomic_replace(path, "garbage", 7, 0600), 0);
	a = auth_fail_new(dir);
	assert_true(auth_fail_is_shared(a));
	assert_true(testlib_log_contains("bad header, reinitialized"));
	assert_int_equal(auth_fail_count(a, addr, 1000, WINDOW), 0);
	auth_fail_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fallbacks, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
