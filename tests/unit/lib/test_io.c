/*
 * test_io.c - unit tests for lib/io.c: full writes, bounded reads (under,
 * at and over the limit), directory fsync, atomic replace, mkdir -p, and
 * descriptor flags.
 */
#include "tests/unit/testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/mem.h"

/* make_tmpdir - a fresh directory under /tmp */
static char *
make_tmpdir(void)
{
	char dir[64];

	testlib_tmpdir(dir, sizeof(dir), "mr-test-io");
	return mem_strdup(dir);
}

static void
test_read_limits(void **state)
{
	static const struct {
		size_t file_size;
		size_t limit;
		int rc;
		int err;
	} rows[] = {
		{ 0, 10, 0, 0 },	{ 10, 10, 0, 0 },
		{ 11, 10, -1, EFBIG },	{ 200000, 200000, 0, 0 },
		{ 200001, 200000, -1, EFBIG },
	};
	char *dir = make_tmpdir();
	char path[256];
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "%s/f", dir);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t *data = mem_alloc(rows[i].file_size + 1);
		struct buf b;
		int fd, rc;

		memset(data, 'a' + (int)i, rows[i].file_size);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_true(fd >= 0);
		assert_int_equal(io_write_full(fd, data, rows[i].file_size), 0);
		close(fd);
		buf_init(&b, 1024 * 1024);
		errno = 0;
		rc = io_read_file(path, rows[i].limit, &b);
		if (rc != rows[i].rc)
			fail_msg("row %zu: rc %d", i, rc);
		if (rc == 0) {
			assert_int_equal(b.len, rows[i].file_size);
			assert_true(b.len == 0 ||
				    memcmp(b.data, data, b.len) == 0);
		} else {
			assert_int_equal(errno, rows[i].err);
		}
		buf_deinit(&b);
		mem_free(&data);
	}
	{
		struct buf b;

		buf_init(&b, 100);
		assert_int_equal(io_read_file("/nonexistent/x", 10, &b), -1);
		assert_int_equal(errno, ENOENT);
		buf_deinit(&b);
	}
	testlib_rmtree(dir);
	mem_free(&dir);
}

static void
test_atomic_replace_and_dirs(void **state)
{
	char *dir = make_tmpdir();
	char path[256], deep[256];
	struct buf b;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/file", dir);
	assert_int_equal(io_atomic_replace(path, "one", 3, 0640), 0);
	assert_int_equal(io_atomic_replace(path, "second", 6, 0600), 0);
	buf_init(&b, 100);
	assert_int_equal(io_read_file(path, 100, &b), 0);
	assert_int_equal(b.len, 6);
	assert_memory_equal(b.data, "second", 6);
	buf_deinit(&b);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(io_fsync_dir(dir), 0);
	assert_int_equal(io_fsync_parent(path), 0);
	assert_int_equal(io_fsync_dir("/nonexistent"), -1);

	snprintf(deep, sizeof(deep), "%s/a/b/c", dir);
	assert_int_equal(io_mkdir_p(deep, 0755), 0);
	assert_int_equal(io_mkdir_p(deep, 0755), 0);
	assert_int_equal(stat(deep, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* A file in the way is an error. */
	snprintf(deep, sizeof(deep), "%s/file/x", dir);
	assert_int_equal(io_mkdir_p(deep, 0755), -1);

	testlib_rmtree(dir);
	mem_free(&dir);
}

static void
test_fd_flags(void **state)
{
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(io_set_nonblock(fds[0], true), 0);
	assert_true(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
	assert_int_equal(io_set_nonblock(fds[0], false), 0);
	assert_false(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
	assert_int_equal(io_set_cloexec(fds[1], true), 0);
	assert_true(fcntl(fds[1], F_GETFD) & FD_CLOEXEC);
	assert_int_equal(io_set_cloexec(fds[1], false), 0);
	assert_false(fcntl(fds[1], F_GETFD) & FD_CLOEXEC);
	/* A write to a pipe without reader fails cleanly (SIGPIPE ignored). */
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(io_write_full(fds[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	close(fds[1]);
	assert_int_equal(io_set_cloexec(fds[1], true), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_limits, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_atomic_replace_and_dirs,
						testlib_setup, testlib_teardown),
		cmocka_unit_test_setup_teardown(test_fd_flags, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
