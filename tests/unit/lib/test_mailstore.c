/*
 * test_mailstore.c - unit tests for lib/mailstore.c and lib/mailstore_msg.c
 * on real Maildirs in temporary directories: UIDs in arrival order and
 * stable across handles, sizes from ",S=" / ",W=" or from the file (read
 * once, then cached), vanished files forgotten, new/ -> cur/ with recent,
 * flags by rename, expunge, message operations that follow a file another
 * handle renamed, keywords, damaged and missing UID lists rebuilt with a
 * new UIDVALIDITY, 10,000 messages synced without reading a file, the
 * session lock, and folders (create, list, rename, delete).
 */
#include "tests/unit/testlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/io.h"
#include "lib/mailstore.h"
#include "lib/mem.h"

struct fixture {
	char dir[128];
	char md[192];
};

/* path - "md/rel" */
static char *
path(const struct fixture *fx, const char *rel)
{
	return mem_asprintf("%s/%s", fx->md, rel);
}

/* put - write a file rel under the Maildir with content, mtime t */
static void
put(const struct fixture *fx, const char *rel, const char *content, time_t t)
{
	char *p = path(fx, rel);
	struct timeval tv[2] = { { t, 0 }, { t, 0 } };

	assert_int_equal(io_atomic_replace(p, content, strlen(content), 0600),
			 0);
	if (t != 0)
		assert_int_equal(utimes(p, tv), 0);
	mem_free(&p);
}

/* exists - whether rel exists under the Maildir */
static bool
exists(const struct fixture *fx, const char *rel)
{
	char *p = path(fx, rel);
	bool ok = access(p, F_OK) == 0;

	mem_free(&p);
	return ok;
}

/* setup_md - a Maildir with cur/ new/ tmp/ */
static void
setup_md(struct fixture *fx)
{
	char *p;

	testlib_tmpdir(fx->dir, sizeof(fx->dir), "test_mailstore");
	snprintf(fx->md, sizeof(fx->md), "%s/Maildir", fx->dir);
	assert_int_equal(mkdir(fx->md, 0700), 0);
	p = path(fx, "cur");
	assert_int_equal(mkdir(p, 0700), 0);
	mem_free(&p);
	p = path(fx, "new");
	assert_int_equal(mkdir(p, 0700), 0);
	mem_free(&p);
	p = path(fx, "tmp");
	assert_int_equal(mkdir(p, 0700), 0);
	mem_free(&p);
}

/* open_inbox - store and INBOX, synced */
static struct mailstore_folder *
open_inbox(struct mailstore **ms, const struct fixture *fx, unsigned flags,
	   struct mailstore_sync_result *res)
{
	struct mailstore_folder *f;
	const char *error;

	*ms = mailstore_new(fx->md);
	assert_int_equal(mailstore_folder_open(*ms, "inbox", &f, &error), 0);
	assert_int_equal(mailstore_sync(f, flags, res, &error), 0);
	return f;
}

/* read_list - the list file's content */
static char *
read_list(const struct fixture *fx)
{
	struct buf b;
	char *p = path(fx, MAILSTORE_LIST_FILE), *out;

	buf_init(&b, 1 << 20);
	assert_int_equal(io_read_file(p, 1 << 20, &b), 0);
	out = mem_strndup((const char *)b.data, b.len);
	buf_deinit(&b);
	mem_free(&p);
	return out;
}

static void
test_uids_and_sizes(void **state)
{
	struct fixture fx;
	struct mailstore *ms;
	struct mailstore_folder *f;
	struct mailstore_sync_result res;
	const struct mailstore_msg *m;
	const char *error;
	char *list;
	uint32_t validity;

	(void)state;
	setup_md(&fx);
	/* Arrival order: the time in the name, then the ".M" number,
	 * whatever the readdir order; without a time, the mtime. */
	put(&fx, "new/1700000002.M5P1.h,S=6", "b\nc\nd\n", 0);
	put(&fx, "new/1700000001.M9P1.h", "a\r\nb\n", 0);
	put(&fx, "cur/1700000002.M3P1.h,S=3,W=4:2,S", "x\ny", 0);
	put(&fx, "cur/zzz:2,FRa", "", 1700000000);
	put(&fx, "cur/.hidden", "junk", 0);
	f = open_inbox(&ms, &fx, 0, &res);
	assert_int_equal(res.added, 4);
	assert_int_equal(res.removed, 0);
	assert_false(res.rebuilt);
	assert_string_equal(res.warning, "");
	assert_int_equal(mailstore_count(f), 4);
	/* ,S=+,W= is trusted; the others are read once. */
	assert_int_equal(mailstore_file_reads(f), 3);

	m = mailstore_msg(f, 0);
	assert_int_equal(m->uid, 1);
	assert_string_equal(m->base, "zzz");
	assert_int_equal(m->flags,
			 MAILSTORE_FLAG_FLAGGED | MAILSTORE_FLAG_REPLIED);
	assert_int_equal(m->keywords, 1);
	assert_int_equal(m->size, 0);
	assert_int_equal(m->vsize, 0);
	assert_int_equal(m->mtime, 1700000000);
	m = mailstore_msg(f, 1);
	assert_string_equal(m->base, "1700000001.M9P1.h");
	assert_true(m->in_new);
	assert_int_equal(m->size, 5);
	assert_int_equal(m->vsize, 6); /* one bare LF */
	m = mailstore_msg(f, 2);
	assert_string_equal(m->base, "1700000002.M3P1.h,S=3,W=4");
	assert_int_equal(m->flags, MAILSTORE_FLAG_SEEN);
	assert_int_equal(m->vsize, 4);
	m = mailstore_msg(f, 3);
	assert_string_equal(m->base, "1700000002.M5P1.h,S=6");
	assert_int_equal(m->size, 6);
	assert_int_equal(m->vsize, 9);
	assert_int_equal(mailstore_uidnext(f), 5);
	validity = mailstore_uidvalidity(f);
	assert_true(validity > 0);
	assert_int_equal(mailstore_find_uid(f, 3), 2);
	assert_int_equal(mailstore_find_uid(f, 9), -1);

	/* The list file says the same. */
	list = read_list(&fx);
	assert_non_null(strstr(list, "mailroom-uidlist 1\nV "));
	assert_non_null(strstr(list, "\nN 5\nM 1 0 0 1700000000 zzz\n"));
	mem_free(&list);

	/* A second sync of the same handle reads nothing. */
	assert_int_equal(mailstore_sync(f, 0, &res, &error), 0);
	assert_int_equal(res.added + res.removed, 0);
	assert_int_equal(mailstore_file_reads(f), 3);
	mailstore_folder_free(&f);
	mailstore_free(&ms);

	/* A new handle: same UIDs, nothing read; a new file gets UID 5, a
	 * vanished one is forgotten. */
	put(&fx, "new/1600000000.M1P1.h,S=2", "o\n", 0);
	{
		char *p = path(&fx, "cur/zzz:2,FRa");

		assert_int_equal(unlink(p), 0);
		mem_free(&p);
	}
	f = open_inbox(&ms, &fx, 0, &res);
	assert_int_equal(res.added, 1);
	assert_int_equal(res.removed, 1);
	assert_int_equal(mailstore_file_reads(f), 1);
	assert_int_equal(mailstore_uidvalidity(f), validity);
	assert_int_equal(mailstore_count(f), 4);
	assert_int_equal(mailstore_msg(f, 0)->uid, 2);
	assert_int_equal(mailstore_msg(f, 3)->uid, 5);
	assert_string_equal(mailstore_msg(f, 3)->base,
			    "1600000000.M1P1.h,S=2");
	mailstore_folder_free(&f);
	mailstore_free(&ms);
	testlib_rmtree(fx.dir);
}

static void
test_move_flags_expunge(void **state)
{
	struct fixture fx;
	struct mailstore *ms;
	struct mailstore_folder *f, *g;
	struct mailstore_sync_result res;
	const char *error;
	char buf[16];
	int fd;
	ssize_t r;

	(void)state;
	setup_md(&fx);
	put(&fx, "new/1.M1P1.h,S=2,W=3", "a\n", 0);
	put(&fx, "new/2.M1P1.h,S=2,W=3", "b\n", 0);
	f = open_inbox(&ms, &fx, MAILSTORE_SYNC_MOVE_NEW, &res);
	assert_int_equal(res.moved, 2);
	assert_true(mailstore_msg(f, 0)->recent);
	assert_false(mailstore_msg(f, 0)->in_new);
	assert_true(exists(&fx, "cur/1.M1P1.h,S=2,W=3:2,"));

	/* A second handle sees them in cur/, not recent for it. */
	assert_int_equal(mailstore_folder_open(ms, "INBOX", &g, &error), 0);
	assert_int_equal(mailstore_sync(g, MAILSTORE_SYNC_MOVE_NEW, &res,
					&error),
			 0);
	assert_int_equal(res.moved, 0);
	assert_false(mailstore_msg(g, 0)->recent);

	/* Flags by rename; g still opens the file after f renamed it. */
	assert_int_equal(mailstore_msg_set_flags(f, 0,
						 MAILSTORE_FLAG_SEEN |
							 MAILSTORE_FLAG_DRAFT,
						 1u << 2, &error),
			 1);
	assert_true(exists(&fx, "cur/1.M1P1.h,S=2,W=3:2,DSc"));
	assert_int_equal(mailstore_msg_open(g, 0, &fd, &error), 1);
	r = read(fd, buf, sizeof(buf));
	assert_int_equal(r, 2);
	close(fd);
	assert_string_equal(mailstore_msg(g, 0)->filename,
			    "1.M1P1.h,S=2,W=3:2,DSc");

	/* Expunge: gone for both, dropped at the next sync. */
	assert_int_equal(mailstore_msg_expunge(f, 1, &error), 1);
	assert_int_equal(mailstore_msg_expunge(f, 1, &error), 0);
	assert_int_equal(mailstore_msg_open(g, 1, &fd, &error), 0);
	assert_true(mailstore_msg(g, 1)->expunged);
	assert_int_equal(mailstore_msg_set_flags(g, 1, 0, 0, &error), 0);
	assert_int_equal(mailstore_sync(f, 0, &res, &error), 0);
	assert_int_equal(res.removed, 1);
	assert_int_equal(mailstore_count(f), 1);
	/* g re-reads the list f wrote; its recent state is kept. */
	assert_int_equal(mailstore_sync(g, 0, &res, &error), 0);
	assert_int_equal(mailstore_count(g), 1);
	assert_true(mailstore_msg(f, 0)->recent);

	mailstore_folder_free(&g);
	mailstore_folder_free(&f);
	mailstore_free(&ms);
	testlib_rmtree(fx.dir);
}

/* Every message operation follows a file another handle renamed. */
static void
test_ops_follow_renames(void **state)
{
	struct fixture fx;
	struct mailstore *ms;
	struct mailstore_folder *f, *g;
	struct mailstore_sync_result res;
	const char *error;
	char *fifo;
	int fd, dst;

	(void)state;
	setup_md(&fx);
	put(&fx, "cur/1.M1P1.h,S=2:2,", "a\n", 0);
	put(&fx, "cur/2.M1P1.h,S=2:2,", "b\n", 0);
	f = open_inbox(&ms, &fx, 0, &res);
	assert_int_equal(mailstore_folder_open(ms, "INBOX", &g, &error), 0);
	assert_int_equal(mailstore_sync(g, 0, &res, &error), 0);

	/* g renames; f's set_flags finds the file and renames it again. */
	assert_int_equal(mailstore_msg_set_flags(g, 0, MAILSTORE_FLAG_SEEN, 0,
						 &error),
			 1);
	assert_int_equal(mailstore_msg_set_flags(f, 0, MAILSTORE_FLAG_FLAGGED,
						 0, &error),
			 1);
	assert_true(exists(&fx, "cur/1.M1P1.h,S=2:2,F"));
	assert_false(exists(&fx, "cur/1.M1P1.h,S=2:2,S"));
	/* Setting what the name already says renames nothing. */
	assert_int_equal(mailstore_msg_set_flags(f, 0, MAILSTORE_FLAG_FLAGGED,
						 0, &error),
			 1);

	/* g's link follows f's rename; a clash is an error, never a loss. */
	dst = mailstore_folder_fd(f, MAILSTORE_SUBDIR_FOLDER);
	assert_int_equal(mailstore_msg_link(g, 0, dst, "copy", false, &error),
			 1);
	assert_true(exists(&fx, "copy"));
	assert_true(exists(&fx, "cur/1.M1P1.h,S=2:2,F"));
	assert_int_equal(mailstore_msg_link(g, 0, dst, "copy", true, &error),
			 -1);
	assert_int_equal(errno, EEXIST);
	assert_non_null(strstr(error, "rename 1.M1P1.h,S=2:2,F: "));
	assert_true(exists(&fx, "cur/1.M1P1.h,S=2:2,F"));

	/* g's expunge follows another rename by f. */
	assert_int_equal(mailstore_msg_set_flags(f, 0, 0, 0, &error), 1);
	assert_int_equal(mailstore_msg_expunge(g, 0, &error), 1);
	assert_false(exists(&fx, "cur/1.M1P1.h,S=2:2,"));
	assert_int_equal(mailstore_msg_open(f, 0, &fd, &error), 0);
	assert_true(mailstore_msg(f, 0)->expunged);

	/* Not a regular file: an error, not a message to read. */
	assert_int_equal(mailstore_msg_expunge(f, 1, &error), 1);
	fifo = path(&fx, "cur/2.M1P1.h,S=2:2,");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	mem_free(&fifo);
	assert_int_equal(mailstore_msg_open(g, 1, &fd, &error), -1);
	assert_string_equal(error, "2.M1P1.h,S=2:2,: not a regular file");

	mailstore_folder_free(&g);
	mailstore_folder_free(&f);
	mailstore_free(&ms);
	testlib_rmtree(fx.dir);
}

static void
test_keywords(void **state)
{
	struct fixture fx;
	struct mailstore *ms;
	struct mailstore_folder *f, *g;
	struct mailstore_sync_result res;
	const char *error;
	unsigned idx;
	char name[8];
	int i;

	(void)state;
	setup_md(&fx);
	f = open_inbox(&ms, &fx, 0, &res);
	assert_int_equal(mailstore_keyword_index(f, "$Junk", false, &idx,
						 &error),
			 0);
	assert_int_equal(mailstore_keyword_index(f, "$Junk", true, &idx,
						 &error),
			 1);
	assert_int_equal(idx, 0);
	assert_int_equal(mailstore_keyword_index(f, "bad word", true, &idx,
						 &error),
			 -1);
	assert_int_equal(mailstore_keyword_index(f, "\\Seen", true, &idx,
						 &error),
			 -1);
	/* Another handle takes the next letter; both agree. */
	assert_int_equal(mailstore_folder_open(ms, "INBOX", &g, &error), 0);
	assert_int_equal(mailstore_sync(g, 0, &res, &error), 0);
	assert_string_equal(mailstore_keyword_name(g, 0), "$Junk");
	assert_int_equal(mailstore_keyword_index(g, "work", true, &idx,
						 &error),
			 1);
	assert_int_equal(idx, 1);
	assert_int_equal(mailstore_keyword_index(f, "WORK", true, &idx,
						 &error),
			 1);
	assert_int_equal(idx, 1);
	/* 26 letters at most. */
	for (i = 2; i < 26; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		assert_int_equal(mailstore_keyword_index(f, name, true, &idx,
							 &error),
				 1);
		assert_int_equal(idx, i);
	}
	assert_int_equal(mailstore_keyword_index(f, "one-more", true, &idx,
						 &error),
			 0);
	assert_null(mailstore_keyword_name(f, 26));
	mailstore_folder_free(&g);
	mailstore_folder_free(&f);
	mailstore_free(&ms);
	testlib_rmtree(fx.dir);
}

/* Damaged lists: each is rebuilt with a new, larger UIDVALIDITY. */
static const char *const damaged_lists[] = {
	"",
	"mailroom-uidlist 2\nV 5\nN 2\n",
	"mailroom-uidlist 1\nV 5\n",
	"mailroom-uidlist 1\nV 5\nN 2\nM 1 1 1 0 a",	/* no LF */
	"mailroom-uidlist 1\nV 5\nN 2\nM 2 1 1 0 a\n",	/* uid >= next */
	"mailroom-uidlist 1\nV 5\nN 9\nM 2 1 1 0 a\nM 2 1 1 0 b\n",
	"mailroom-uidlist 1\nV 5\nN 9\nM 1 2 1 0 a\n",	/* vsize < size */
	"mailroom-uidlist 1\nV 5\nN 9\nM 1 1 1 0 a:2,S\n",
	"mailroom-uidlist 1\nV 5\nN 9\nX\n",
	"\0\0\0\0",
};

static void
test_damaged_list(void **state)
{
	struct fixture fx;
	size_t i;

	(void)state;
	setup_md(&fx);
	put(&fx, "cur/1.M1P1.h,S=2,W=3:2,S", "a\n", 0);
	put(&fx, "cur/2.M1P1.h,S=2,W=3:2,", "b\n", 0);
	for (i = 0; i < sizeof(damaged_lists) / sizeof(damaged_lists[0]);
	     i++) {
		struct mailstore *ms;
		struct mailstore_folder *f;
		struct mailstore_sync_result res;
		char *p = path(&fx, MAILSTORE_LIST_FILE);
		size_t len = i == sizeof(damaged_lists) /
						 sizeof(damaged_lists[0]) -
					 1
				     ? 4
				     : strlen(damaged_lists[i]);

		assert_int_equal(io_atomic_replace(p, damaged_lists[i], len,
						   0600),
				 0);
		mem_free(&p);
		f = open_inbox(&ms, &fx, 0, &res);
		assert_true(res.rebuilt);
		assert_non_null(strstr(res.warning, "damaged UID list"));
		assert_true(mailstore_uidvalidity(f) > 5);
		assert_int_equal(mailstore_count(f), 2);
		assert_int_equal(mailstore_msg(f, 0)->uid, 1);
		assert_int_equal(mailstore_msg(f, 1)->uid, 2);
		mailstore_folder_free(&f);
		mailstore_free(&ms);
	}
	testlib_rmtree(fx.dir);
}

static void
test_lost_list(void **state)
{
	struct fixture fx;
	struct mailstore *ms;
	struct mailstore_folder *f;
	struct mailstore_sync_result res;
	const char *error;
	uint32_t validity;
	char *p;

	(void)state;
	setup_md(&fx);
	put(&fx, "cur/1.M1P1.h,S=2,W=3:2,S", "a\n", 0);
	f = open_inbox(&ms, &fx, 0, &res);
	validity = mailstore_uidvalidity(f);
	p = path(&fx, MAILSTORE_LIST_FILE);
	assert_int_equal(unlink(p), 0);
	mem_free(&p);
	assert_int_equal(mailstore_sync(f, 0, &res, &error), 0);
	assert_true(res.rebuilt);
	assert_non_null(strstr(res.warning, "UID list disappeared"));
	assert_true(mailstore_uidvalidity(f) > validity);
	assert_int_equal(mailstore_count(f), 1);
	validity = mailstore_uidvalidity(f);
	mailstore_folder_free(&f);
	mailstore_free(&ms);

	/* A new handle, the same second, the V record damaged: the new
	 * UIDVALIDITY still differs (the file's mtime bounds the old). */
	p = path(&fx, MAILSTORE_LIST_FILE);
	{
		int fd = open(p, O_WRONLY);

		assert_true(fd >= 0);
		assert_int_equal(pwrite(fd, "garbage", 7, 20), 7);
		close(fd);
	}
	mem_free(&p);
	f = open_inbox(&ms, &fx, 0, &res);
	assert_true(res.rebuilt);
	assert_true(mailstore_uidvalidity(f) > validity);
	validity = mailstore_uidvalidity(f);
	mailstore_folder_free(&f);
	mailstore_free(&ms);

	/* Lost, with a new handle: the directory's mtime bounds the old. */
	p = path(&fx, MAILSTORE_LIST_FILE);
	assert_int_equal(unlink(p), 0);
	mem_free(&p);
	f = open_inbox(&ms, &fx, 0, &res);
	assert_true(mailstore_uidvalidity(f) > validity);
	mailstore_folder_free(&f);
	mailstore_free(&ms);
	testlib_rmtree(fx.dir);
}

static void
test_large_folder(void **state)
{
	struct fixture fx;
	struct mailstore *ms;
	struct mailstore_folder *f;
	struct mailstore_sync_result res;
	char rel[96];
	int i;

	(void)state;
	setup_md(&fx);
	/* Like the benchmark: ",S=" only, so the first sync reads each. */
	for (i = 0; i < 10000; i++) {
		snprintf(rel, sizeof(rel), "cur/%d.M%dP1.bench,S=4:2,",
			 1700000000 + i, i);
		put(&fx, rel, "a\nb\n", 0);
	}
	f = open_inbox(&ms, &fx, 0, &res);
	assert_int_equal(res.added, 10000);
	assert_int_equal(mailstore_file_reads(f), 10000);
	assert_int_equal(mailstore_msg(f, 9999)->uid, 10000);
	assert_int_equal(mailstore_msg(f, 9999)->vsize, 6);
	assert_string_equal(mailstore_msg(f, 9999)->base,
			    "1700009999.M9999P1.bench,S=4");
	mailstore_folder_free(&f);
	mailstore_free(&ms);
	/* Later: readdir and the list only. */
	f = open_inbox(&ms, &fx, 0, &res);
	assert_int_equal(res.added + res.removed, 0);
	assert_int_equal(mailstore_file_reads(f), 0);
	assert_int_equal(mailstore_count(f), 10000);
	assert_int_equal(mailstore_msg(f, 5000)->vsize, 6);
	mailstore_folder_free(&f);
	mailstore_free(&ms);
	testlib_rmtree(fx.dir);
}

static void
test_session_lock(void **state)
{
	struct fixture fx;
	struct mailstore *ms;
	const char *error;
	int fd1, fd2;

	(void)state;
	setup_md(&fx);
	ms = mailstore_new(fx.md);
	assert_int_equal(mailstore_session_lock(ms, "x.lock", &fd1, &error),
			 1);
	/* Another descriptor of the same process is refused too. */
	assert_int_equal(mailstore_session_lock(ms, "x.lock", &fd2, &error),
			 0);
	close(fd1);
	assert_int_equal(mailstore_session_lock(ms, "x.lock", &fd2, &error),
			 1);
	close(fd2);
	mailstore_free(&ms);
	/* A missing Maildir is an error, not a crash. */
	ms = mailstore_new("/nonexistent/Maildir/");
	assert_int_equal(mailstore_session_lock(ms, "x.lock", &fd1, &error),
			 -1);
	assert_non_null(strstr(error, "open Maildir"));
	mailstore_free(&ms);
	testlib_rmtree(fx.dir);
}

/* collect - mailstore_folder_list callback into a comma list */
static int
collect(void *ctx, const char *name)
{
	struct buf *b = ctx;

	buf_append_str(b, name);
	buf_append_byte(b, ',');
	return 0;
}

static void
test_folders(void **state)
{
	struct fixture fx;
	struct mailstore *ms;
	struct mailstore_folder *f;
	struct mailstore_sync_result res;
	const char *error;
	struct buf b;

	(void)state;
	setup_md(&fx);
	ms = mailstore_new(fx.md);
	assert_int_equal(mailstore_folder_create(ms, "Sent", &error), 0);
	assert_int_equal(mailstore_folder_create(ms, "Sent", &error), -1);
	assert_string_equal(error, "folder exists");
	assert_int_equal(mailstore_folder_create(ms, "A&AOQ-b.c", &error), 0);
	assert_int_equal(mailstore_folder_create(ms, "A&AOQ-b", &error), 0);
	assert_int_equal(mailstore_folder_create(ms, "../x", &error), -1);
	assert_int_equal(mailstore_folder_create(ms, "inbox", &error), -1);
	assert_true(exists(&fx, ".Sent/cur"));
	assert_true(exists(&fx, ".Sent/maildirfolder"));

	buf_init(&b, 4096);
	assert_int_equal(mailstore_folder_list(ms, collect, &b, &error), 0);
	buf_append_byte(&b, 0);
	assert_true(strncmp((const char *)b.data, "INBOX,", 6) == 0);
	assert_non_null(strstr((const char *)b.data, ",Sent,"));
	assert_non_null(strstr((const char *)b.data, ",A&AOQ-b.c,"));
	buf_deinit(&b);

	put(&fx, ".Sent/cur/1.M1P1.h:2,S", "x\n", 0);
	assert_int_equal(mailstore_folder_open(ms, "Sent", &f, &error), 0);
	assert_int_equal(mailstore_sync(f, 0, &res, &error), 0);
	assert_int_equal(mailstore_count(f), 1);
	mailstore_folder_free(&f);
	assert_int_equal(mailstore_folder_open(ms, "Nope", &f, &error), -1);
	assert_string_equal(error, "no such folder");

	/* Rename with children; delete. */
	assert_int_equal(mailstore_folder_rename(ms, "A&AOQ-b", "B", &error),
			 0);
	assert_true(exists(&fx, ".B"));
	assert_true(exists(&fx, ".B.c"));
	assert_false(exists(&fx, ".A&AOQ-b.c"));
	assert_int_equal(mailstore_folder_rename(ms, "B", "B.x", &error), -1);
	assert_int_equal(mailstore_folder_rename(ms, "B", "Sent", &error), -1);
	assert_string_equal(error, "folder exists");
	assert_int_equal(mailstore_folder_delete(ms, "Sent", &error), 0);
	assert_false(exists(&fx, ".Sent"));
	assert_int_equal(mailstore_folder_delete(ms, "Sent", &error), -1);
	assert_string_equal(error, "no such folder");
	mailstore_free(&ms);
	testlib_rmtree(fx.dir);
}

/* age_dirs - new/ and cur/ last changed long ago */
static void
age_dirs(const struct fixture *fx)
{
	struct timeval tv[2] = { { 1600000000, 0 }, { 1600000000, 0 } };
	char *p = path(fx, "new");

	assert_int_equal(utimes(p, tv), 0);
	mem_free(&p);
	p = path(fx, "cur");
	assert_int_equal(utimes(p, tv), 0);
	mem_free(&p);
}

/* test_unchanged_dirs - no readdir while nothing changed */
static void
test_unchanged_dirs(void **state)
{
	struct mailstore_sync_result res;
	struct mailstore_folder *f, *other;
	struct mailstore *ms, *ms2;
	struct fixture fx;
	const char *error;
	unsigned long scans;

	(void)state;
	setup_md(&fx);
	put(&fx, "cur/1700000001.M1P1.h,S=5:2,S", "x\ny\n", 1700000001);
	put(&fx, "new/1700000002.M1P1.h,S=5", "x\ny\n", 1700000002);
	f = open_inbox(&ms, &fx, 0, &res);
	assert_int_equal(mailstore_count(f), 2);
	age_dirs(&fx);
	/* The first sync after the change reads, and learns the times. */
	assert_int_equal(mailstore_sync(f, 0, &res, &error), 0);
	scans = mailstore_dir_scans(f);
	assert_int_equal(mailstore_sync(f, 0, &res, &error), 0);
	assert_int_equal(mailstore_sync(f, 0, &res, &error), 0);
	assert_int_equal(mailstore_dir_scans(f), scans);
	/* A flag change by another handle renames in cur/: read again. */
	other = open_inbox(&ms2, &fx, 0, &res);
	assert_int_equal(mailstore_msg_set_flags(other, 0, 0, 0, &error), 1);
	assert_int_equal(mailstore_sync(f, 0, &res, &error), 0);
	assert_int_equal(mailstore_dir_scans(f), scans + 1);
	assert_int_equal(mailstore_msg(f, 0)->flags, 0);
	/* Changed within the last second: not trusted, read each time. */
	assert_int_equal(mailstore_sync(f, 0, &res, &error), 0);
	assert_int_equal(mailstore_dir_scans(f), scans + 2);
	/* A delivery to new/ is seen. */
	age_dirs(&fx);
	assert_int_equal(mailstore_sync(f, 0, &res, &error), 0);
	assert_int_equal(mailstore_sync(f, 0, &res, &error), 0);
	scans = mailstore_dir_scans(f);
	put(&fx, "new/1700000003.M1P1.h,S=5", "x\ny\n", 0);
	assert_int_equal(mailstore_sync(f, 0, &res, &error), 0);
	assert_int_equal(res.added, 1);
	assert_int_equal(mailstore_dir_scans(f), scans + 1);
	mailstore_folder_free(&other);
	mailstore_free(&ms2);
	mailstore_folder_free(&f);
	mailstore_free(&ms);
	testlib_rmtree(fx.dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_uids_and_sizes,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_move_flags_expunge,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_ops_follow_renames,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_keywords, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_damaged_list,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_lost_list, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_large_folder,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_session_lock,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_unchanged_dirs,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_folders, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
