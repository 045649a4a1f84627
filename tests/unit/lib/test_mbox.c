/*
 * test_mbox.c - unit tests for lib/mbox.c: the From_ line and mboxrd
 * quoting for every chunking, appending twice, an fcntl lock held by
 * another process, fresh and stale dot locks, the link, type and owner
 * checks, and truncation back after a failure (RLIMIT_FSIZE, the size
 * limit).
 */
#include "tests/unit/testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/delivery_source.h"
#include "lib/io.h"
#include "lib/mbox.h"
#include "lib/mem.h"

/* uid for the foreign-owner test (nobody) */
#define TEST_OTHER_UID 65534
/* Largest mbox the tests read back. */
#define TEST_MBOX_MAX (1024 * 1024)

/* make_tmpdir - a fresh directory under /tmp */
static char *
make_tmpdir(void)
{
	char dir[64];

	testlib_tmpdir(dir, sizeof(dir), "test_mbox");
	return mem_strdup(dir);
}

/* rm_tmpdir - remove a test directory and free its name */
static void
rm_tmpdir(char **dir)
{
	testlib_rmtree(*dir);
	mem_free(dir);
}

/* sub - "dir/name" into out */
static void
sub(char *out, size_t size, const char *dir, const char *name)
{
	int len = snprintf(out, size, "%s/%s", dir, name);

	assert_true(len > 0 && (size_t)len < size);
}

/* deliver_mem - mbox_deliver of a string with a chunk size */
static int
deliver_mem(const char *mbox, const char *sender, const char *prepend,
            const char *content, size_t chunk, uint64_t limit, int timeout_s,
            struct delivery_error *err)
{
	struct delivery_source_mem mem;
	struct delivery_source src;

	delivery_source_mem_init(&src, &mem, content, strlen(content), chunk);
	return mbox_deliver(mbox, sender, prepend, &src, limit, timeout_s, err);
}

/* read_all - the file's bytes into b (reset first) */
static void
read_all(const char *path, struct buf *b)
{
	buf_reset(b);
	assert_int_equal(io_read_file(path, TEST_MBOX_MAX, b), 0);
}

/* file_size - st_size of path */
static off_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/*
 * check_from_line - p starts with "From SENDER Www Mmm dd hh:mm:ss yyyy\n";
 * returns its length
 */
static size_t
check_from_line(const uint8_t *p, size_t n, const char *sender)
{
	/* A: letter, D: day (space or digit), 9: digit. */
	static const char shape[] = "AAA AAA D9 99:99:99 9999\n";
	size_t head = 5 + strlen(sender) + 1, i;
	const char *date = (const char *)p + head;

	assert_true(n >= head + sizeof(shape) - 1);
	assert_memory_equal(p, "From ", 5);
	assert_memory_equal(p + 5, sender, strlen(sender));
	assert_int_equal(p[head - 1], ' ');
	for (i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'A')
			assert_true((date[i] >= 'A' && date[i] <= 'Z') ||
			            (date[i] >= 'a' && date[i] <= 'z'));
		else if (shape[i] == 'D')
			assert_true(date[i] == ' ' ||
			            (date[i] >= '1' && date[i] <= '3'));
		else if (shape[i] == '9')
			assert_true(date[i] >= '0' && date[i] <= '9');
		else
			assert_int_equal(date[i], shape[i]);
	}
	return head + sizeof(shape) - 1;
}

static void
test_format(void **state)
{
	static const struct {
		const char *sender;
		const char *from_sender;
		const char *prepend;
		const char *content;
		const char *want;
	} rows[] = {
	    {"s@x", "s@x", "Return-Path: <s@x>\nDelivered-To: r@y\n",
	     "Subject: t\r\n\r\nFrom x\r\n>From x\r\nFromage\r\nFrom",
	     "Return-Path: <s@x>\nDelivered-To: r@y\n"
	     "Subject: t\n\n>From x\n>>From x\nFromage\nFrom\n\n"},
	    {"", "MAILER-DAEMON", NULL, "a\r\n", "a\n\n"},
	    {"a b\t@x", "a_b_@x", NULL, "From \r\n", ">From \n\n"},
	    {"s@x", "s@x", NULL, "x\r\n\r\n", "x\n\n\n"},
	    {"s@x", "s@x", NULL, "", "\n"},
	    {"s@x", "s@x", NULL, "a\rFrom b\r\n >From c\r\n",
	     "a\rFrom b\n >From c\n\n"},
	};
	static const size_t chunks[] = {0, 1, 3};
	char *dir = make_tmpdir();
	char mbox[512], lock[512];
	struct delivery_error err;
	struct buf b;
	struct stat st;
	size_t i, c, head;

	(void)state;
	buf_init(&b, TEST_MBOX_MAX);
	sub(mbox, sizeof(mbox), dir, "mbox");
	sub(lock, sizeof(lock), dir, "mbox.lock");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			unlink(mbox);
			assert_int_equal(
			    deliver_mem(mbox, rows[i].sender, rows[i].prepend,
			                rows[i].content, chunks[c], 0, 1, &err),
			    0);
			read_all(mbox, &b);
			head =
			    check_from_line(b.data, b.len, rows[i].from_sender);
			if (b.len - head != strlen(rows[i].want) ||
			    memcmp(b.data + head, rows[i].want, b.len - head) !=
			        0)
				fail_msg("row %zu chunk %zu: got \"%.*s\"", i,
				         chunks[c], (int)b.len,
				         (const char *)b.data);
			assert_int_equal(stat(mbox, &st), 0);
			assert_int_equal(st.st_mode & 0777, 0600);
			assert_int_equal(access(lock, F_OK), -1);
		}
	}
	buf_deinit(&b);
	rm_tmpdir(&dir);
}

static void
test_append_twice(void **state)
{
	char *dir = make_tmpdir();
	char mbox[512];
	struct delivery_error err;
	struct buf b;
	size_t head;

	(void)state;
	buf_init(&b, TEST_MBOX_MAX);
	sub(mbox, sizeof(mbox), dir, "mbox");
	/* An existing file (made by someone else's tool) is appended to. */
	assert_int_equal(close(open(mbox, O_CREAT | O_WRONLY, 0600)), 0);
	assert_int_equal(
	    deliver_mem(mbox, "a@x", NULL, "one\r\n", 0, 0, 1, &err), 0);
	assert_int_equal(
	    deliver_mem(mbox, "b@x", NULL, "two\r\n", 0, 0, 1, &err), 0);
	read_all(mbox, &b);
	head = check_from_line(b.data, b.len, "a@x");
	assert_memory_equal(b.data + head, "one\n\n", 5);
	head += 5;
	head += check_from_line(b.data + head, b.len - head, "b@x");
	assert_int_equal(b.len - head, 5);
	assert_memory_equal(b.data + head, "two\n\n", 5);
	buf_deinit(&b);
	rm_tmpdir(&dir);
}

static void
test_fcntl_locked(void **state)
{
	char *dir = make_tmpdir();
	char mbox[512], lock[512];
	struct delivery_error err;
	int ready[2], release[2], status;
	off_t before;
	pid_t pid;
	char c;

	(void)state;
	sub(mbox, sizeof(mbox), dir, "mbox");
	sub(lock, sizeof(lock), dir, "mbox.lock");
	assert_int_equal(
	    deliver_mem(mbox, "s@x", NULL, "one\r\n", 0, 0, 1, &err), 0);
	before = file_size(mbox);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(release), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The child holds a write lock until the parent says. */
		struct flock fl;
		int fd = open(mbox, O_RDWR);

		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fd < 0 || fcntl(fd, F_SETLKW, &fl) < 0)
			_exit(1);
		close(release[1]);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		while (read(release[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(release[0]);
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);

	assert_int_equal(
	    deliver_mem(mbox, "s@x", NULL, "two\r\n", 0, 0, 1, &err), -1);
	assert_true(err.temporary);
	assert_string_equal(err.dsn, "4.2.0");
	assert_non_null(strstr(err.text, "mailbox is locked"));
	assert_int_equal(file_size(mbox), before);
	/* Our dot lock went away with the failure. */
	assert_int_equal(access(lock, F_OK), -1);

	close(release[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(ready[0]);
	assert_int_equal(
	    deliver_mem(mbox, "s@x", NULL, "two\r\n", 0, 0, 1, &err), 0);
	assert_true(file_size(mbox) > before);
	rm_tmpdir(&dir);
}

static void
test_dotlock(void **state)
{
	char *dir = make_tmpdir();
	char mbox[512], lock[512];
	struct delivery_error err;
	struct timespec times[2];

	(void)state;
	sub(mbox, sizeof(mbox), dir, "mbox");
	sub(lock, sizeof(lock), dir, "mbox.lock");
	/* A fresh lock file: someone is working on the mailbox. */
	assert_int_equal(close(open(lock, O_CREAT | O_WRONLY, 0600)), 0);
	assert_int_equal(deliver_mem(mbox, "s@x", NULL, "x\r\n", 0, 0, 1, &err),
	                 -1);
	assert_true(err.temporary);
	assert_non_null(strstr(err.text, "mailbox is locked"));
	assert_int_equal(access(lock, F_OK), 0);
	assert_int_equal(file_size(mbox), 0);

	/* The same lock file, older than MBOX_STALE_LOCK_SECONDS. */
	times[0].tv_sec = times[1].tv_sec =
	    time(NULL) - MBOX_STALE_LOCK_SECONDS - 10;
	times[0].tv_nsec = times[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, lock, times, 0), 0);
	assert_int_equal(deliver_mem(mbox, "s@x", NULL, "x\r\n", 0, 0, 1, &err),
	                 0);
	assert_true(testlib_log_contains("removed stale lock file"));
	assert_int_equal(access(lock, F_OK), -1);
	assert_true(file_size(mbox) > 0);
	rm_tmpdir(&dir);
}

static void
test_unsafe(void **state)
{
	char *dir = make_tmpdir();
	char mbox[512], other[512], path[512];
	struct delivery_error err;

	(void)state;
	sub(mbox, sizeof(mbox), dir, "mbox");
	sub(other, sizeof(other), dir, "other");
	testlib_log_expect("unsafe mailbox");

	/* A hard link to another file. */
	assert_int_equal(close(open(other, O_CREAT | O_WRONLY, 0600)), 0);
	assert_int_equal(link(other, mbox), 0);
	assert_int_equal(deliver_mem(mbox, "s@x", NULL, "x\r\n", 0, 0, 1, &err),
	                 -1);
	assert_true(err.temporary);
	assert_string_equal(err.dsn, "4.2.0");
	assert_non_null(strstr(err.text, "hard link"));
	assert_int_equal(file_size(other), 0);
	assert_int_equal(unlink(mbox), 0);

	/* A symbolic link to another file, and a dangling one. */
	assert_int_equal(symlink(other, mbox), 0);
	assert_int_equal(deliver_mem(mbox, "s@x", NULL, "x\r\n", 0, 0, 1, &err),
	                 -1);
	assert_non_null(strstr(err.text, "symbolic link"));
	assert_int_equal(file_size(other), 0);
	assert_int_equal(unlink(mbox), 0);
	sub(path, sizeof(path), dir, "nonexistent");
	assert_int_equal(symlink(path, mbox), 0);
	assert_int_equal(deliver_mem(mbox, "s@x", NULL, "x\r\n", 0, 0, 1, &err),
	                 -1);
	assert_non_null(strstr(err.text, "symbolic link"));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(unlink(mbox), 0);

	/* A FIFO (must not hang) and a directory. */
	assert_int_equal(mkfifo(mbox, 0600), 0);
	assert_int_equal(deliver_mem(mbox, "s@x", NULL, "x\r\n", 0, 0, 1, &err),
	                 -1);
	assert_true(err.temporary);
	assert_int_equal(unlink(mbox), 0);
	assert_int_equal(mkdir(mbox, 0700), 0);
	assert_int_equal(deliver_mem(mbox, "s@x", NULL, "x\r\n", 0, 0, 1, &err),
	                 -1);
	assert_true(err.temporary);
	assert_int_equal(rmdir(mbox), 0);

	/* Owned by another user (only root can make one). */
	if (geteuid() == 0) {
		assert_int_equal(close(open(mbox, O_CREAT | O_WRONLY, 0600)),
		                 0);
		assert_int_equal(chown(mbox, TEST_OTHER_UID, TEST_OTHER_UID),
		                 0);
		assert_int_equal(
		    deliver_mem(mbox, "s@x", NULL, "x\r\n", 0, 0, 1, &err), -1);
		assert_non_null(strstr(err.text, "owned by uid 65534"));
		assert_int_equal(file_size(mbox), 0);
	}

	/* The directory is missing: no file is made, temporary. */
	sub(path, sizeof(path), dir, "missing/mbox");
	assert_int_equal(deliver_mem(path, "s@x", NULL, "x\r\n", 0, 0, 1, &err),
	                 -1);
	assert_true(err.temporary);
	assert_non_null(strstr(err.text, "cannot open mailbox"));
	rm_tmpdir(&dir);
}

static void
test_truncate_back(void **state)
{
	char *dir = make_tmpdir();
	char mbox[512], *big;
	struct delivery_error err;
	struct rlimit saved, small;
	struct buf before, after;
	int rc;

	(void)state;
	buf_init(&before, TEST_MBOX_MAX);
	buf_init(&after, TEST_MBOX_MAX);
	sub(mbox, sizeof(mbox), dir, "mbox");
	assert_int_equal(
	    deliver_mem(mbox, "s@x", NULL, "one\r\n", 0, 0, 1, &err), 0);
	read_all(mbox, &before);
	big = mem_alloc(200001);
	memset(big, 'a', 200000);

	/* The disk fills up half-way: the file is cut back. */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	small = saved;
	small.rlim_cur = before.len + 1000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	rc = deliver_mem(mbox, "s@x", NULL, big, 4096, 0, 1, &err);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(rc, -1);
	assert_true(err.temporary);
	assert_string_equal(err.dsn, "4.2.2");
	read_all(mbox, &after);
	assert_int_equal(after.len, before.len);
	assert_memory_equal(after.data, before.data, before.len);

	/* Past mailbox_size_limit: permanent, the file is cut back too. */
	rc = deliver_mem(mbox, "s@x", NULL, big, 4096, before.len + 1000, 1,
	                 &err);
	assert_int_equal(rc, -1);
	assert_false(err.temporary);
	assert_string_equal(err.dsn, "5.2.2");
	assert_non_null(strstr(err.text, "mailbox full"));
	read_all(mbox, &after);
	assert_int_equal(after.len, before.len);
	/* Already at the limit: refused before anything is written. */
	rc = deliver_mem(mbox, "s@x", NULL, "x\r\n", 0, before.len, 1, &err);
	assert_int_equal(rc, -1);
	assert_string_equal(err.dsn, "5.2.2");
	/* Under the limit: delivered. */
	rc = deliver_mem(mbox, "s@x", NULL, "x\r\n", 0, before.len + 1000, 1,
	                 &err);
	assert_int_equal(rc, 0);

	mem_free(&big);
	buf_deinit(&before);
	buf_deinit(&after);
	rm_tmpdir(&dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_format, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_append_twice, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_fcntl_locked, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_dotlock, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_unsafe, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_truncate_back, testlib_setup,
	                                    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
