/*
 * test_mailstore_add.c - unit tests for lib/mailstore_add.c on real
 * Maildirs in temporary directories: a message written into tmp/ and
 * linked into cur/ with its flags, sizes in its name, its internal date,
 * the order the next sync numbers a batch in; copies as hard links with
 * new names; MOVE as a rename; an aborted message leaves nothing.
 */
#include "tests/unit/testlib.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/mailstore.h"
#include "lib/mem.h"

/* count_dir - files in dir (not . and ..) */
static size_t
count_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* test_append - write, commit, sync: flags, sizes, date, order */
static void
test_append(void **state)
{
	char dir[256], base[MAILSTORE_FILENAME_MAX + 1], sub[300];
	struct mailstore *ms;
	struct mailstore_folder *f;
	struct mailstore_sync_result res;
	struct mailstore_add add;
	const char *error;
	const struct mailstore_msg *m;
	int i;

	(void)state;
	testlib_tmpdir(dir, sizeof(dir), "test_msadd");
	ms = mailstore_new(dir);
	assert_int_equal(mailstore_folder_open(ms, "INBOX", &f, &error), 0);
	mailstore_add_init(&add, f);
	for (i = 0; i < 3; i++) {
		char text[64];

		snprintf(text, sizeof(text), "Subject: %d\n\nbody\r\nx\n", i);
		assert_int_equal(mailstore_add_begin(&add, &error), 0);
		assert_int_equal(mailstore_add_write(&add, text, 10, &error),
				 0);
		assert_int_equal(mailstore_add_write(&add, text + 10,
						     strlen(text) - 10, &error),
				 0);
		assert_int_equal(
			mailstore_add_commit(&add,
					     i == 1 ? MAILSTORE_FLAG_SEEN : 0,
					     i == 2 ? 1u : 0, 1600000000 + i,
					     base, sizeof(base), &error),
			0);
		/* ",S=" octets as written, ",W=" with CR LF line ends. */
		assert_non_null(strstr(base, ",S=20,W=23"));
	}
	/* An aborted message leaves nothing behind. */
	assert_int_equal(mailstore_add_begin(&add, &error), 0);
	assert_int_equal(mailstore_add_write(&add, "x", 1, &error), 0);
	mailstore_add_abort(&add);
	assert_int_equal(mailstore_add_finish(&add, &error), 0);
	mailstore_add_deinit(&add);
	snprintf(sub, sizeof(sub), "%s/tmp", dir);
	assert_int_equal(count_dir(sub), 0);
	snprintf(sub, sizeof(sub), "%s/cur", dir);
	assert_int_equal(count_dir(sub), 3);

	assert_int_equal(mailstore_sync(f, 0, &res, &error), 0);
	assert_int_equal(mailstore_count(f), 3);
	/* Numbered in the order they were added, without a file read. */
	assert_int_equal(mailstore_file_reads(f), 0);
	for (i = 0; i < 3; i++) {
		m = mailstore_msg(f, (size_t)i);
		assert_int_equal(m->uid, i + 1);
		assert_int_equal(m->size, 20);
		assert_int_equal(m->vsize, 23);
		assert_int_equal(m->mtime, 1600000000 + i);
		assert_false(m->in_new);
	}
	assert_int_equal(mailstore_msg(f, 1)->flags, MAILSTORE_FLAG_SEEN);
	assert_int_equal(mailstore_msg(f, 2)->keywords, 1);
	mailstore_folder_free(&f);
	mailstore_free(&ms);
	testlib_rmtree(dir);
}

/* test_copy_move - links under new names; a move is a rename */
static void
test_copy_move(void **state)
{
	char dir[256], base[MAILSTORE_FILENAME_MAX + 1];
	struct mailstore *ms;
	struct mailstore_folder *src, *dst;
	struct mailstore_sync_result res;
	struct mailstore_add add;
	const char *error;
	struct stat st;
	int fd;

	(void)state;
	testlib_tmpdir(dir, sizeof(dir), "test_msadd");
	ms = mailstore_new(dir);
	assert_int_equal(mailstore_folder_create(ms, "Archive", &error), 0);
	assert_int_equal(mailstore_folder_open(ms, "INBOX", &src, &error), 0);
	assert_int_equal(mailstore_folder_open(ms, "Archive", &dst, &error),
			 0);
	mailstore_add_init(&add, src);
	assert_int_equal(mailstore_add_begin(&add, &error), 0);
	assert_int_equal(mailstore_add_write(&add, "a\nb\n", 4, &error), 0);
	assert_int_equal(mailstore_add_commit(&add, 0, 0, 0, base,
					      sizeof(base), &error),
			 0);
	assert_int_equal(mailstore_add_begin(&add, &error), 0);
	assert_int_equal(mailstore_add_write(&add, "c\n", 2, &error), 0);
	assert_int_equal(mailstore_add_commit(&add, 0, 0, 0, base,
					      sizeof(base), &error),
			 0);
	mailstore_add_deinit(&add);
	assert_int_equal(mailstore_sync(src, 0, &res, &error), 0);
	assert_int_equal(mailstore_count(src), 2);

	mailstore_add_init(&add, dst);
	assert_int_equal(mailstore_add_copy(&add, src, 0,
					    MAILSTORE_FLAG_FLAGGED, 0, false,
					    base, sizeof(base), &error),
			 1);
	assert_int_equal(mailstore_add_copy(&add, src, 1, 0, 0, true, base,
					    sizeof(base), &error),
			 1);
	assert_int_equal(mailstore_add_finish(&add, &error), 0);
	mailstore_add_deinit(&add);
	assert_true(mailstore_msg(src, 1)->expunged);
	/* The copy shares the file; the source keeps its own name. */
	assert_int_equal(mailstore_msg_open(src, 0, &fd, &error), 1);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_nlink, 2);
	close(fd);
	assert_int_equal(mailstore_sync(dst, 0, &res, &error), 0);
	assert_int_equal(mailstore_count(dst), 2);
	assert_int_equal(mailstore_msg(dst, 0)->flags, MAILSTORE_FLAG_FLAGGED);
	assert_int_equal(mailstore_msg(dst, 0)->vsize, 6);
	assert_int_equal(mailstore_msg(dst, 1)->size, 2);
	assert_int_equal(mailstore_file_reads(dst), 0);
	assert_int_equal(mailstore_sync(src, 0, &res, &error), 0);
	assert_int_equal(mailstore_count(src), 1);
	/* A message gone meanwhile is reported as gone. */
	assert_int_equal(mailstore_msg_expunge(src, 0, &error), 1);
	mailstore_add_init(&add, dst);
	assert_int_equal(mailstore_add_copy(&add, src, 0, 0, 0, false, base,
					    sizeof(base), &error),
			 0);
	mailstore_add_deinit(&add);
	mailstore_folder_free(&src);
	mailstore_folder_free(&dst);
	mailstore_free(&ms);
	testlib_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_append, testlib_setup,
					    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_copy_move, testlib_setup,
					    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
