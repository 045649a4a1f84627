/*
 * test_client_count.c - unit tests for lib/client_count.c: address parsing,
 * acquire/release arithmetic, counting across processes (forked children
 * sequenced through pipes), reclaiming a dead process's slots, a full
 * table, a corrupt header, and the per-process fallback.
 */
#include "tests/unit/testlib.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/client_count.h"

#define SERVICE "127.0.0.1:25"

/* Room for a testlib_tmpdir path; short, so paths under it fit. */
#define TEST_DIR_MAX 256

/* addr_of - the 16-byte form of text, which must parse */
static void
addr_of(const char *text, uint8_t addr[CLIENT_COUNT_ADDR_SIZE])
{
	assert_int_equal(client_count_addr_parse(text, addr), 0);
}

/* acquire - acquire and return whether allowed; counted must match */
static bool
acquire(struct client_count *t, const char *text, unsigned limit,
	bool want_counted_if_allowed)
{
	uint8_t addr[CLIENT_COUNT_ADDR_SIZE];
	bool counted = true;
	bool ok;

	addr_of(text, addr);
	ok = client_count_acquire(t, addr, limit, &counted);
	if (ok)
		assert_int_equal(counted, want_counted_if_allowed);
	else
		assert_false(counted);
	return ok;
}

/* release - release one connection of text */
static void
release(struct client_count *t, const char *text)
{
	uint8_t addr[CLIENT_COUNT_ADDR_SIZE];

	addr_of(text, addr);
	client_count_release(t, addr);
}

/* pipe_put - write one byte */
static void
pipe_put(int fd, char c)
{
	while (write(fd, &c, 1) != 1)
		;
}

/* pipe_get - read one byte (0 at EOF) */
static char
pipe_get(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? c : 0;
}

static const struct {
	const char *text;
	int ret;
	uint8_t addr[CLIENT_COUNT_ADDR_SIZE];
} parse_rows[] = {
	{ "192.0.2.1", 0,
	  { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1 } },
	{ "::ffff:192.0.2.1", 0,
	  { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1 } },
	{ "2001:db8::1", 0,
	  { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
	{ "fe80::1%eth0", 0,
	  { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
	{ "unknown", -1, { 0 } },
	{ "", -1, { 0 } },
	{ "192.0.2.256", -1, { 0 } },
	{ "uid=1000", -1, { 0 } },
	{ "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb", -1,
	  { 0 } },
};

static void
test_addr_parse(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
		uint8_t addr[CLIENT_COUNT_ADDR_SIZE];

		memset(addr, 0x55, sizeof(addr));
		assert_int_equal(client_count_addr_parse(parse_rows[i].text,
							 addr),
				 parse_rows[i].ret);
		assert_memory_equal(addr, parse_rows[i].addr, sizeof(addr));
	}
}

static void
test_arithmetic(void **state)
{
	char dir[TEST_DIR_MAX], path[PATH_MAX];
	struct client_count *t;
	struct stat st;

	(void)state;
	testlib_queue_tmpdir(dir, sizeof(dir), "test_client_count");
	t = client_count_new(dir, SERVICE);
	assert_true(client_count_is_shared(t));
	/* The service name is sanitized for the file name. */
	snprintf(path, sizeof(path), "%s/private/smtpd-clients.127.0.0.1_25",
		 dir);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);

	assert_true(acquire(t, "192.0.2.1", 2, true));
	assert_true(acquire(t, "192.0.2.1", 2, true));
	assert_false(acquire(t, "192.0.2.1", 2, true));
	/* The v4-mapped spelling is the same client. */
	assert_false(acquire(t, "::ffff:192.0.2.1", 2, true));
	assert_true(acquire(t, "2001:db8::1", 2, true));
	assert_true(acquire(t, "192.0.2.2", 1, true));
	assert_false(acquire(t, "192.0.2.2", 1, true));
	release(t, "192.0.2.1");
	assert_true(acquire(t, "192.0.2.1", 2, true));
	assert_false(acquire(t, "192.0.2.1", 2, true));
	release(t, "192.0.2.1");
	release(t, "192.0.2.1");
	/* Releasing more than was acquired does not wrap the count. */
	release(t, "192.0.2.1");
	assert_true(acquire(t, "192.0.2.1", 2, true));
	assert_true(acquire(t, "192.0.2.1", 2, true));
	assert_false(acquire(t, "192.0.2.1", 2, true));
	/* A limit of 0 refuses everything. */
	assert_false(acquire(t, "192.0.2.9", 0, true));
	client_count_free(&t);
	assert_null(t);
	testlib_rmtree(dir);
}

static void
test_other_process_counts(void **state)
{
	char dir[TEST_DIR_MAX];
	struct client_count *t;
	int to_child[2], to_parent[2], status;
	pid_t pid;

	(void)state;
	testlib_queue_tmpdir(dir, sizeof(dir), "test_client_count");
	t = client_count_new(dir, SERVICE);
	assert_true(acquire(t, "192.0.2.1", 3, true));
	assert_true(acquire(t, "192.0.2.1", 3, true));
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(to_parent), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The child: its own table on the same file, as a second
		 * smtpd process has. */
		struct client_count *c = client_count_new(dir, SERVICE);
		uint8_t addr[CLIENT_COUNT_ADDR_SIZE];
		bool counted;

		(void)client_count_addr_parse("192.0.2.1", addr);
		/* One left of three: the parent holds two. */
		pipe_put(to_parent[1],
			 client_count_acquire(c, addr, 3, &counted) &&
			 counted ? 'y' : 'n');
		pipe_put(to_parent[1],
			 client_count_acquire(c, addr, 3, &counted) ? 'y'
								    : 'n');
		(void)pipe_get(to_child[0]);
		client_count_release(c, addr);
		pipe_put(to_parent[1], 'r');
		(void)pipe_get(to_child[0]);
		client_count_free(&c);
		_exit(0);
	}
	assert_int_equal(pipe_get(to_parent[0]), 'y');
	assert_int_equal(pipe_get(to_parent[0]), 'n');
	/* The child's connection counts against the parent. */
	assert_false(acquire(t, "192.0.2.1", 3, true));
	assert_true(acquire(t, "192.0.2.2", 3, true));
	pipe_put(to_child[1], 'g');
	assert_int_equal(pipe_get(to_parent[0]), 'r');
	assert_true(acquire(t, "192.0.2.1", 3, true));
	assert_false(acquire(t, "192.0.2.1", 3, true));
	pipe_put(to_child[1], 'x');
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	client_count_free(&t);
	testlib_rmtree(dir);
}

static void
test_dead_process_reclaimed(void **state)
{
	char dir[TEST_DIR_MAX];
	struct client_count *t;
	int to_parent[2], status;
	pid_t pid;

	(void)state;
	testlib_queue_tmpdir(dir, sizeof(dir), "test_client_count");
	t = client_count_new(dir, SERVICE);
	assert_int_equal(pipe(to_parent), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct client_count *c = client_count_new(dir, SERVICE);
		uint8_t addr[CLIENT_COUNT_ADDR_SIZE];
		bool counted, ok;

		(void)client_count_addr_parse("192.0.2.1", addr);
		ok = client_count_acquire(c, addr, 2, &counted) && counted;
		ok = ok && client_count_acquire(c, addr, 2, &counted) &&
		     counted;
		pipe_put(to_parent[1], ok ? 'y' : 'n');
		/* Exits holding both, as a crashed smtpd would. */
		_exit(0);
	}
	assert_int_equal(pipe_get(to_parent[0]), 'y');
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(acquire(t, "192.0.2.1", 2, true));
	assert_true(acquire(t, "192.0.2.1", 2, true));
	assert_false(acquire(t, "192.0.2.1", 2, true));
	close(to_parent[0]);
	close(to_parent[1]);
	client_count_free(&t);
	testlib_rmtree(dir);
}

static void
test_full_table(void **state)
{
	char dir[TEST_DIR_MAX], text[64];
	struct client_count *t;
	size_t i;

	(void)state;
	testlib_queue_tmpdir(dir, sizeof(dir), "test_client_count");
	t = client_count_new(dir, SERVICE);
	for (i = 0; i < CLIENT_COUNT_SLOTS; i++) {
		snprintf(text, sizeof(text), "2001:db8::%zx", i);
		assert_true(acquire(t, text, 1, true));
	}
	/* A known client still counts: its slot exists. */
	assert_false(acquire(t, "2001:db8::0", 1, true));
	testlib_log_expect("slots in use");
	assert_true(acquire(t, "192.0.2.1", 1, false));
	assert_true(acquire(t, "192.0.2.1", 1, false));
	assert_true(testlib_log_contains("all 4096 slots in use"));
	/* A free slot makes new clients counted again. */
	release(t, "2001:db8::5");
	assert_true(acquire(t, "192.0.2.1", 1, true));
	assert_false(acquire(t, "192.0.2.1", 1, true));
	client_count_free(&t);
	testlib_rmtree(dir);
}

static void
test_corrupt_header(void **state)
{
	char dir[TEST_DIR_MAX], path[PATH_MAX];
	const uint32_t junk[4] = { 0xdeadbeef, 7, 1, 1 };
	struct client_count *t;
	FILE *f;

	(void)state;
	testlib_queue_tmpdir(dir, sizeof(dir), "test_client_count");
	t = client_count_new(dir, SERVICE);
	assert_true(acquire(t, "192.0.2.1", 1, true));
	assert_false(acquire(t, "192.0.2.1", 1, true));
	snprintf(path, sizeof(path), "%s/private/smtpd-clients.127.0.0.1_25",
		 dir);
	f = fopen(path, "r+");
	assert_non_null(f);
	assert_int_equal(fwrite(junk, sizeof(junk), 1, f), 1);
	assert_int_equal(fclose(f), 0);
	testlib_log_expect("bad header, reinitialized");
	/* Counts are lost with the header: the client is let in again. */
	assert_true(acquire(t, "192.0.2.1", 1, true));
	assert_true(testlib_log_contains("bad header, reinitialized"));
	assert_false(acquire(t, "192.0.2.1", 1, true));
	client_count_free(&t);

	/* Reopening a damaged file reinitializes it as well. */
	f = fopen(path, "r+");
	assert_non_null(f);
	assert_int_equal(fwrite(junk, sizeof(junk), 1, f), 1);
	assert_int_equal(fclose(f), 0);
	t = client_count_new(dir, SERVICE);
	assert_true(client_count_is_shared(t));
	assert_true(acquire(t, "192.0.2.1", 1, true));
	client_count_free(&t);
	testlib_rmtree(dir);
}

static void
test_fallback(void **state)
{
	char dir[TEST_DIR_MAX], path[PATH_MAX];
	struct client_count *t;

	(void)state;
	testlib_tmpdir(dir, sizeof(dir), "test_client_count");
	/* No private/ directory: the file cannot be created. */
	testlib_log_expect("client count table");
	t = client_count_new(dir, SERVICE);
	assert_false(client_count_is_shared(t));
	assert_true(testlib_log_contains("counting per process"));
	assert_true(acquire(t, "192.0.2.1", 1, true));
	assert_false(acquire(t, "192.0.2.1", 1, true));
	release(t, "192.0.2.1");
	assert_true(acquire(t, "192.0.2.1", 1, true));
	client_count_free(&t);

	/* SECURITY: a link in place of the file is not followed. */
	snprintf(path, sizeof(path), "%s/private", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/private/smtpd-clients.x", dir);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	testlib_log_expect("client count table");
	t = client_count_new(dir, "x");
	assert_false(client_count_is_shared(t));
	client_count_free(&t);
	testlib_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_addr_parse, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_arithmetic, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_other_process_counts,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_dead_process_reclaimed,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_full_table, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_header,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_fallback, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
