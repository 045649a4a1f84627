/*
 * test_maildir.c - unit tests for lib/maildir.c: exact file contents
 * (prepended headers, CR LF to LF) for every chunking, unique names and
 * the S= size, directory creation, the size limit, the symbolic link and
 * ownership checks, a full disk (RLIMIT_FSIZE) and a source read error,
 * each leaving nothing behind in tmp/ or new/.
 */
#include "tests/unit/testlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/delivery_source.h"
#include "lib/io.h"
#include "lib/maildir.h"
#include "lib/mem.h"

/* uid for the foreign-owner tests (nobody) */
#define TEST_OTHER_UID 65534

/* make_tmpdir - a fresh directory under /tmp */
static char *
make_tmpdir(void)
{
	char dir[64];

	testlib_tmpdir(dir, sizeof(dir), "test_maildir");
	return mem_strdup(dir);
}

/* rm_tmpdir - remove a test directory and free its name */
static void
rm_tmpdir(char **dir)
{
	testlib_rmtree(*dir);
	mem_free(dir);
}

/* dir_count - entries of dir (without . and ..); the last name to name_r */
static size_t
dir_count(const char *dir, char *name_r, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t count = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		count++;
		if (name_r != NULL)
			snprintf(name_r, size, "%s", de->d_name);
	}
	closedir(d);
	return count;
}

/* sub - "dir/name" in a static-sized buffer */
static void
sub(char *out, size_t size, const char *dir, const char *name)
{
	int len = snprintf(out, size, "%s/%s", dir, name);

	assert_true(len > 0 && (size_t)len < size);
}

/* assert_empty_maildir - nothing in tmp/ or new/ */
static void
assert_empty_maildir(const char *md)
{
	char path[512];

	sub(path, sizeof(path), md, "tmp");
	assert_int_equal(dir_count(path, NULL, 0), 0);
	sub(path, sizeof(path), md, "new");
	assert_int_equal(dir_count(path, NULL, 0), 0);
}

/* deliver_mem - maildir_deliver of a string with a chunk size */
static int
deliver_mem(const char *md, const char *prepend, const char *content,
            size_t chunk, uint64_t limit, const char *host, char **name_r,
            struct delivery_error *err)
{
	struct delivery_source_mem mem;
	struct delivery_source src;

	delivery_source_mem_init(&src, &mem, content, strlen(content), chunk);
	return maildir_deliver(md, prepend, &src, limit, host, name_r, err);
}

static void
test_contents(void **state)
{
	static const struct {
		const char *prepend;
		const char *content;
		const char *want;
	} rows[] = {
	    {"Return-Path: <s@x>\nDelivered-To: r@y\n",
	     "Subject: hi\r\n\r\nbody\r\nFrom me\r\n",
	     "Return-Path: <s@x>\nDelivered-To: r@y\n"
	     "Subject: hi\n\nbody\nFrom me\n"},
	    {NULL, "a\rb\r\n\r\n", "a\rb\n\n"},
	    {"X: 1\r\n", "", "X: 1\n"},
	    {NULL, "no newline at the end", "no newline at the end"},
	};
	static const size_t chunks[] = {0, 1, 2, 3, 7};
	char *dir = make_tmpdir();
	char md[512], path[512], name[256], want_suffix[64];
	struct delivery_error err;
	struct stat st;
	size_t i, c;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			char *filename = NULL;
			struct buf b;

			snprintf(md, sizeof(md), "%s/Maildir-%zu-%zu", dir, i,
			         c);
			assert_int_equal(
			    deliver_mem(md, rows[i].prepend, rows[i].content,
			                chunks[c], 0, "host", &filename, &err),
			    0);
			sub(path, sizeof(path), md, "new");
			assert_int_equal(dir_count(path, name, sizeof(name)),
			                 1);
			assert_string_equal(name, filename);
			sub(path, sizeof(path), md, "tmp");
			assert_int_equal(dir_count(path, NULL, 0), 0);

			sub(path, sizeof(path), md, "new");
			sub(path + strlen(path), sizeof(path) - strlen(path),
			    "", name);
			buf_init(&b, 4096);
			assert_int_equal(io_read_file(path, 4096, &b), 0);
			if (b.len != strlen(rows[i].want) ||
			    memcmp(b.data, rows[i].want, b.len) != 0)
				fail_msg("row %zu chunk %zu: got \"%.*s\"", i,
				         chunks[c], (int)b.len,
				         (const char *)b.data);
			/* S= is the file size, at the end of the name. */
			snprintf(want_suffix, sizeof(want_suffix), ",S=%zu",
			         b.len);
			assert_true(strlen(name) > strlen(want_suffix));
			assert_string_equal(name + strlen(name) -
			                        strlen(want_suffix),
			                    want_suffix);
			assert_int_equal(stat(path, &st), 0);
			assert_int_equal(st.st_mode & 0777, 0600);
			buf_deinit(&b);
			mem_free(&filename);

			/* The directories were made, mode 0700. */
			assert_int_equal(stat(md, &st), 0);
			assert_int_equal(st.st_mode & 0777, 0700);
			sub(path, sizeof(path), md, "cur");
			assert_int_equal(stat(path, &st), 0);
			assert_true(S_ISDIR(st.st_mode));
			assert_int_equal(st.st_mode & 0777, 0700);
		}
	}
	rm_tmpdir(&dir);
}

static void
test_unique_names(void **state)
{
	char *dir = make_tmpdir();
	char md[512], path[512], prefix[64];
	char *one = NULL, *two = NULL, *three = NULL;
	struct delivery_error err;

	(void)state;
	sub(md, sizeof(md), dir, "Maildir/");
	assert_int_equal(
	    deliver_mem(md, NULL, "x\r\n", 0, 0, "mx.example", &one, &err), 0);
	assert_int_equal(
	    deliver_mem(md, NULL, "x\r\n", 0, 0, "mx.example", &two, &err), 0);
	assert_string_not_equal(one, two);
	sub(path, sizeof(path), md, "new");
	assert_int_equal(dir_count(path, NULL, 0), 2);
	/* SECONDS.MusecPpidRrandom.HOST,S=SIZE */
	assert_true(strchr("123456789", one[0]) != NULL);
	snprintf(prefix, sizeof(prefix), "P%ldR", (long)getpid());
	assert_non_null(strstr(one, ".M"));
	assert_non_null(strstr(one, prefix));
	assert_non_null(strstr(one, ".mx.example,S=2"));

	/* '/' and ':' in the host name are escaped. */
	assert_int_equal(
	    deliver_mem(md, NULL, "x\r\n", 0, 0, "a/b:c", &three, &err), 0);
	assert_non_null(strstr(three, ".a\\057b\\072c,S=2"));
	mem_free(&one);
	mem_free(&two);
	mem_free(&three);
	rm_tmpdir(&dir);
}

static void
test_size_limit(void **state)
{
	char *dir = make_tmpdir();
	char md[512];
	struct delivery_error err;

	(void)state;
	sub(md, sizeof(md), dir, "Maildir");
	/* "X: 1\n" + "abc\n" is 9 octets. */
	assert_int_equal(
	    deliver_mem(md, "X: 1\n", "abc\r\n", 2, 8, "h", NULL, &err), -1);
	assert_false(err.temporary);
	assert_string_equal(err.dsn, "5.2.2");
	assert_non_null(strstr(err.text, "mailbox full"));
	assert_empty_maildir(md);
	assert_int_equal(
	    deliver_mem(md, "X: 1\n", "abc\r\n", 2, 9, "h", NULL, &err), 0);
	rm_tmpdir(&dir);
}

static void
test_symlinks(void **state)
{
	char *dir = make_tmpdir();
	char md[512], link_path[512], path[512], elsewhere[512];
	struct delivery_error err;

	(void)state;
	/* The maildir itself is a link: refused, with or without '/'. */
	sub(md, sizeof(md), dir, "real");
	assert_int_equal(mkdir(md, 0700), 0);
	sub(link_path, sizeof(link_path), dir, "Maildir");
	assert_int_equal(symlink(md, link_path), 0);
	testlib_log_expect("unsafe maildir");
	assert_int_equal(
	    deliver_mem(link_path, NULL, "x\r\n", 0, 0, "h", NULL, &err), -1);
	assert_true(err.temporary);
	assert_string_equal(err.dsn, "4.2.0");
	assert_non_null(strstr(err.text, "unsafe maildir"));
	sub(link_path, sizeof(link_path), dir, "Maildir//");
	assert_int_equal(
	    deliver_mem(link_path, NULL, "x\r\n", 0, 0, "h", NULL, &err), -1);
	assert_non_null(strstr(err.text, "unsafe maildir"));
	assert_int_equal(dir_count(md, NULL, 0), 0);

	/* tmp/ replaced by a link to elsewhere: refused, nothing written. */
	sub(elsewhere, sizeof(elsewhere), dir, "elsewhere");
	assert_int_equal(mkdir(elsewhere, 0700), 0);
	assert_int_equal(deliver_mem(md, NULL, "x\r\n", 0, 0, "h", NULL, &err),
	                 0);
	sub(path, sizeof(path), md, "tmp");
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(symlink(elsewhere, path), 0);
	assert_int_equal(deliver_mem(md, NULL, "x\r\n", 0, 0, "h", NULL, &err),
	                 -1);
	assert_true(err.temporary);
	assert_non_null(strstr(err.text, "directory tmp"));
	assert_int_equal(dir_count(elsewhere, NULL, 0), 0);

	/* new/ a link: refused too; new/ a plain file: refused. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	sub(path, sizeof(path), md, "new");
	sub(link_path, sizeof(link_path), md, "new-old");
	assert_int_equal(rename(path, link_path), 0);
	assert_int_equal(symlink(elsewhere, path), 0);
	assert_int_equal(deliver_mem(md, NULL, "x\r\n", 0, 0, "h", NULL, &err),
	                 -1);
	assert_non_null(strstr(err.text, "directory new"));
	assert_int_equal(dir_count(elsewhere, NULL, 0), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(close(open(path, O_CREAT | O_WRONLY, 0600)), 0);
	assert_int_equal(deliver_mem(md, NULL, "x\r\n", 0, 0, "h", NULL, &err),
	                 -1);
	assert_non_null(strstr(err.text, "directory new"));
	sub(path, sizeof(path), md, "tmp");
	assert_int_equal(dir_count(path, NULL, 0), 0);
	rm_tmpdir(&dir);
}

static void
test_foreign_owner(void **state)
{
	char *dir;
	char md[512], path[512];
	struct delivery_error err;

	(void)state;
	if (geteuid() != 0)
		skip();
	dir = make_tmpdir();
	sub(md, sizeof(md), dir, "Maildir");
	assert_int_equal(deliver_mem(md, NULL, "x\r\n", 0, 0, "h", NULL, &err),
	                 0);
	testlib_log_expect("unsafe maildir");
	/* The maildir owned by another user. */
	assert_int_equal(chown(md, TEST_OTHER_UID, TEST_OTHER_UID), 0);
	assert_int_equal(deliver_mem(md, NULL, "x\r\n", 0, 0, "h", NULL, &err),
	                 -1);
	assert_true(err.temporary);
	assert_non_null(strstr(err.text, "owned by uid 65534"));
	assert_int_equal(chown(md, 0, 0), 0);
	/* Only new/ owned by another user. */
	sub(path, sizeof(path), md, "new");
	assert_int_equal(chown(path, TEST_OTHER_UID, TEST_OTHER_UID), 0);
	assert_int_equal(deliver_mem(md, NULL, "x\r\n", 0, 0, "h", NULL, &err),
	                 -1);
	assert_non_null(strstr(err.text, "directory new"));
	assert_int_equal(dir_count(path, NULL, 0), 1);
	sub(path, sizeof(path), md, "tmp");
	assert_int_equal(dir_count(path, NULL, 0), 0);
	rm_tmpdir(&dir);
}

static void
test_disk_full(void **state)
{
	char *dir = make_tmpdir();
	char md[512], *big;
	struct delivery_error err;
	struct rlimit saved, small;
	int rc;

	(void)state;
	sub(md, sizeof(md), dir, "Maildir");
	big = mem_alloc(200001);
	memset(big, 'a', 200000);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	small = saved;
	small.rlim_cur = 1000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	rc = deliver_mem(md, NULL, big, 4096, 0, "h", NULL, &err);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(rc, -1);
	assert_true(err.temporary);
	assert_string_equal(err.dsn, "4.2.2");
	assert_non_null(strstr(err.text, "error writing message"));
	assert_empty_maildir(md);
	mem_free(&big);
	rm_tmpdir(&dir);
}

/* fail_next - a source that fails after one chunk */
static int
fail_next(void *ctx, const uint8_t **p_r, size_t *n_r, const char **error_r)
{
	int *calls = ctx;

	if ((*calls)++ == 0) {
		*p_r = (const uint8_t *)"abc\r\n";
		*n_r = 5;
		return 1;
	}
	*error_r = "read error";
	return -1;
}

/* fail_rewind - restart fail_next */
static void
fail_rewind(void *ctx)
{
	*(int *)ctx = 0;
}

static void
test_other_failures(void **state)
{
	char *dir = make_tmpdir();
	char md[512];
	struct delivery_source src;
	struct delivery_error err;
	int calls = 0;

	(void)state;
	/* A source read error: temporary, nothing left. */
	sub(md, sizeof(md), dir, "Maildir");
	src.next = fail_next;
	src.rewind = fail_rewind;
	src.ctx = &calls;
	assert_int_equal(maildir_deliver(md, NULL, &src, 0, "h", NULL, &err),
	                 -1);
	assert_true(err.temporary);
	assert_string_equal(err.dsn, "4.3.0");
	assert_empty_maildir(md);

	/* The parent of the maildir is missing: temporary. */
	sub(md, sizeof(md), dir, "missing/Maildir");
	assert_int_equal(deliver_mem(md, NULL, "x\r\n", 0, 0, "h", NULL, &err),
	                 -1);
	assert_true(err.temporary);
	assert_non_null(strstr(err.text, "cannot create maildir directory"));
	rm_tmpdir(&dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_contents, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_unique_names, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_size_limit, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_symlinks, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_owner, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_disk_full, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_other_failures, testlib_setup,
	                                    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
