/*
 * test_queue.c - unit tests for lib/queue.c: queue IDs, states, paths,
 * directory creation, moves, removal, scans and the flags in the file mode.
 */
#include "tests/unit/testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/queue.h"

/* tmpdir_new - fresh queue directory with its state directories */
static void
tmpdir_new(char *dir, size_t size)
{
	const char *error;

	testlib_tmpdir(dir, size, "test_queue");
	assert_int_equal(queue_init_dirs(dir, 0700, &error), 0);
}

/* tmpdir_free - remove a test directory */
static void
tmpdir_free(const char *dir)
{
	testlib_rmtree(dir);
}

/* touch - create queue_dir/state/name */
static void
touch(const char *dir, const char *state, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, state, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
}

/* exists - whether queue_dir/state/name exists */
static bool
exists(const char *dir, const char *state, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, state, name);
	return lstat(path, &st) == 0;
}

static void
test_id_valid(void **state)
{
	static const struct {
		const char *id;
		bool valid;
	} rows[] = {
		{ "0000000000000000000000", false }, /* 22: too long */
		{ "000000000000000000000", true },
		{ "zzzzzzzzzzzzzzzzzzzzz", true },
		{ "0JZ6a2B3cD0000000f3Ab", true },
		{ "00000000000000000000", false },    /* 20: too short */
		{ "", false },
		{ "../../../../etc/passw", false },
		{ "..", false },
		{ "0000000000/0000000000", false },
		{ "000000000000000000 00", false },
		{ "00000000000000000000-", false },
		{ "00000000000000000000\n", false },
		{ "0000000000000000000\xc3\xa9", false },
		{ NULL, false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (queue_id_is_valid(rows[i].id) != rows[i].valid)
			fail_msg("row %zu: %s", i, rows[i].id);
}

static void
test_id_format(void **state)
{
	static const struct {
		uint64_t time_us;
		uint64_t inode;
		const char *id;
	} rows[] = {
		{ 0, 0, "000000000000000000000" },
		{ 61, 61, "000000000z0000000000z" },
		{ 62, 1, "000000001000000000001" },
		{ UINT64_MAX, UINT64_MAX, "zzzzzzzzzzLygHa16AHYF" },
	};
	char id[QUEUE_ID_SIZE];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		queue_id_format(rows[i].time_us, rows[i].inode, id);
		assert_string_equal(id, rows[i].id);
		assert_true(queue_id_is_valid(id));
	}
	queue_id_format(1700000000123456u, 42, id);
	assert_int_equal(queue_id_time_us(id), 1700000000123456u);
}

static void
test_id_order(void **state)
{
	/* (time, inode) pairs in arrival order: IDs must sort the same way. */
	static const uint64_t pairs[][2] = {
		{ 0, UINT64_MAX },
		{ 1, 0 },
		{ 61, 5 },
		{ 62, 4 },
		{ 1700000000000000u, 99999 },
		{ 1700000000000001u, 1 },
		{ 1700000000000001u, 2 },
		{ 1700000061000000u, 0 },
		{ 4102444800000000u, 0 }, /* 2100 */
	};
	char prev[QUEUE_ID_SIZE], id[QUEUE_ID_SIZE];
	size_t i;

	(void)state;
	queue_id_format(pairs[0][0], pairs[0][1], prev);
	for (i = 1; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		queue_id_format(pairs[i][0], pairs[i][1], id);
		if (strcmp(prev, id) >= 0)
			fail_msg("pair %zu: %s >= %s", i, prev, id);
		memcpy(prev, id, sizeof(id));
	}
}

static void
test_state_names(void **state)
{
	enum queue_state s;
	size_t i;

	(void)state;
	for (i = 0; i < QUEUE_STATE_COUNT; i++) {
		assert_int_equal(
			queue_state_from_name(
				queue_state_name((enum queue_state)i), &s),
			0);
		assert_int_equal(s, i);
	}
	assert_string_equal(queue_state_name(QUEUE_STATE_DEFERRED),
			    "deferred");
	assert_int_equal(queue_state_from_name("bounce", &s), -1);
	assert_int_equal(queue_state_from_name("", &s), -1);
}

static void
test_path(void **state)
{
	char out[64], big[PATH_MAX + 10];

	(void)state;
	assert_int_equal(queue_path("/q", QUEUE_STATE_HOLD,
				    "000000000000000000001", out, sizeof(out)),
			 0);
	assert_string_equal(out, "/q/hold/000000000000000000001");
	errno = 0;
	assert_int_equal(queue_path("/q", QUEUE_STATE_HOLD, "../../etc/passwd",
				    out, sizeof(out)),
			 -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(queue_path("/q", QUEUE_STATE_HOLD,
				    "000000000000000000001", out, 20),
			 -1);
	assert_int_equal(errno, ENAMETOOLONG);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(queue_path(big, QUEUE_STATE_HOLD,
				    "000000000000000000001", out, sizeof(out)),
			 -1);
}

static void
test_init_dirs(void **state)
{
	char dir[64], path[PATH_MAX];
	const char *error;
	struct stat st;
	size_t i;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	for (i = 0; i < QUEUE_STATE_COUNT; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir,
			 queue_state_name((enum queue_state)i));
		assert_int_equal(stat(path, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
	}
	/* Again over existing directories: fine. */
	assert_int_equal(queue_init_dirs(dir, 0700, &error), 0);
	/* A file where a directory belongs: refused. */
	snprintf(path, sizeof(path), "%s/hold", dir);
	assert_int_equal(rmdir(path), 0);
	close(open(path, O_WRONLY | O_CREAT, 0600));
	assert_int_equal(queue_init_dirs(dir, 0700, &error), -1);
	assert_int_equal(errno, ENOTDIR);
	tmpdir_free(dir);
}

static void
test_move_remove(void **state)
{
	const char *id = "0JZ6a2B3cD0000000f3Ab", *error;
	char dir[64];

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	touch(dir, "active", id);
	assert_int_equal(queue_move(dir, id, QUEUE_STATE_ACTIVE,
				    QUEUE_STATE_DEFERRED, &error),
			 0);
	assert_false(exists(dir, "active", id));
	assert_true(exists(dir, "deferred", id));
	/* Gone from where it was: ENOENT. */
	assert_int_equal(queue_move(dir, id, QUEUE_STATE_ACTIVE,
				    QUEUE_STATE_DEFERRED, &error),
			 -1);
	assert_int_equal(errno, ENOENT);
	/* IDs from outside never become paths. */
	assert_int_equal(queue_move(dir, "../active/x", QUEUE_STATE_DEFERRED,
				    QUEUE_STATE_ACTIVE, &error),
			 -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(queue_move_corrupt(dir, id, QUEUE_STATE_DEFERRED,
					    "bad magic"),
			 0);
	testlib_log_expect("moved to corrupt: bad magic");
	assert_true(testlib_log_contains(id));
	assert_true(exists(dir, "corrupt", id));
	assert_int_equal(queue_move_corrupt(dir, id, QUEUE_STATE_DEFERRED,
					    "again"),
			 -1);
	testlib_log_expect("(again)");
	assert_int_equal(queue_remove(dir, id, QUEUE_STATE_CORRUPT, &error),
			 0);
	assert_false(exists(dir, "corrupt", id));
	assert_int_equal(queue_remove(dir, id, QUEUE_STATE_CORRUPT, &error),
			 -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(queue_remove(dir, "..", QUEUE_STATE_CORRUPT, &error),
			 -1);
	tmpdir_free(dir);
}

/* Collected IDs of a scan. */
struct scan_ctx {
	char ids[32][QUEUE_ID_SIZE];
	size_t count;
	size_t stop_after;
};

/* scan_collect - queue_scan callback */
static int
scan_collect(void *ctx, const char *id)
{
	struct scan_ctx *sc = ctx;

	assert_true(queue_id_is_valid(id));
	assert_true(sc->count < 32);
	memcpy(sc->ids[sc->count++], id, QUEUE_ID_SIZE);
	return sc->stop_after != 0 && sc->count == sc->stop_after ? 7 : 0;
}

static void
test_scan(void **state)
{
	static const char *const valid[] = {
		"000000000100000000001",
		"000000000200000000002",
		"000000000300000000003",
	};
	struct scan_ctx sc;
	const char *error;
	char dir[64], name[32];
	size_t i;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	for (i = 0; i < 3; i++)
		touch(dir, "deferred", valid[i]);
	touch(dir, "deferred", ".tmp.123.456.0");	/* silently skipped */
	touch(dir, "deferred", "junk");
	touch(dir, "deferred", "0000000001000000000012"); /* 22 chars */
	memset(&sc, 0, sizeof(sc));
	assert_int_equal(queue_scan(dir, QUEUE_STATE_DEFERRED, scan_collect,
				    &sc, &error),
			 0);
	assert_int_equal(sc.count, 3);
	testlib_log_expect("not a queue ID, skipped");
	assert_true(testlib_log_contains("deferred/junk"));
	assert_false(testlib_log_contains(".tmp."));
	/* The callback stops the scan with its own value. */
	memset(&sc, 0, sizeof(sc));
	sc.stop_after = 2;
	assert_int_equal(queue_scan(dir, QUEUE_STATE_DEFERRED, scan_collect,
				    &sc, &error),
			 7);
	assert_int_equal(sc.count, 2);
	/* Empty state; missing directory. */
	memset(&sc, 0, sizeof(sc));
	assert_int_equal(queue_scan(dir, QUEUE_STATE_HOLD, scan_collect, &sc,
				    &error),
			 0);
	assert_int_equal(sc.count, 0);
	assert_int_equal(queue_scan("/nonexistent/queue", QUEUE_STATE_HOLD,
				    scan_collect, &sc, &error),
			 -1);
	/* Many bad names: a bounded number of warnings, then a summary. */
	for (i = 0; i < QUEUE_SCAN_WARN_MAX + 5; i++) {
		snprintf(name, sizeof(name), "bad%zu", i);
		touch(dir, "hold", name);
	}
	testlib_log_check();
	memset(&sc, 0, sizeof(sc));
	assert_int_equal(queue_scan(dir, QUEUE_STATE_HOLD, scan_collect, &sc,
				    &error),
			 0);
	testlib_log_expect("not a queue ID");
	testlib_log_expect("15 names skipped in all");
	assert_true(testlib_log_contains("15 names skipped in all"));
	tmpdir_free(dir);
}

struct flag_row {
	mode_t mode;
	bool warned;
};

static const struct flag_row flag_rows[] = {
	{ S_IFREG | 0600, false },	/* every queue file as written */
	{ S_IFREG | 0700, true },	/* warned */
	{ S_IFREG | 0100, true },	/* only the flag bit counts */
	{ S_IFREG | 0644, false },
	{ S_IFREG | 0611, false },	/* group/other x: not the flag */
	{ 0700, true },			/* type bits do not matter */
	{ 0, false },
};

/* test_flag_is_delay_warned - the predicate reads u+x only */
static void
test_flag_is_delay_warned(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(flag_rows) / sizeof(flag_rows[0]); i++)
		assert_int_equal(queue_flag_is_delay_warned(flag_rows[i].mode),
				 flag_rows[i].warned);
}

/* file_mode - permission bits of queue_dir/state/name */
static mode_t
file_mode(const char *dir, const char *state, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, state, name);
	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

/* test_flag_delay_warned_set - u+x set durably, idempotent, kept by moves */
static void
test_flag_delay_warned_set(void **state)
{
	const char *id = "0JZ6a2B3cD0000000f3Ab", *error;
	char dir[64], path[PATH_MAX];
	struct stat st;
	int fd, dfd;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	touch(dir, "active", id);
	snprintf(path, sizeof(path), "%s/active/%s", dir, id);
	assert_int_equal(chmod(path, 0600), 0);	/* whatever the umask */
	/* Read-only is enough: the owner may chmod, and fsync any fd. */
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_false(queue_flag_is_delay_warned(st.st_mode));
	assert_int_equal(queue_flag_delay_warned_set(fd, &error), 0);
	assert_int_equal(file_mode(dir, "active", id), 0700);
	/* Setting it again changes nothing. */
	assert_int_equal(queue_flag_delay_warned_set(fd, &error), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(queue_flag_is_delay_warned(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	close(fd);
	/* The flag lives in the inode: a move between states keeps it. */
	assert_int_equal(queue_move(dir, id, QUEUE_STATE_ACTIVE,
				    QUEUE_STATE_DEFERRED, &error),
			 0);
	assert_int_equal(file_mode(dir, "deferred", id), 0700);
	/* Only regular files carry flags. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(queue_flag_delay_warned_set(dfd, &error), -1);
	assert_int_equal(errno, EINVAL);
	close(dfd);
	assert_int_equal(queue_flag_delay_warned_set(-1, &error), -1);
	assert_int_equal(errno, EBADF);
	tmpdir_free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_id_valid, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_id_format, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_id_order, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_state_names, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_path, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_init_dirs, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_move_remove, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_scan, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_flag_is_delay_warned,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_flag_delay_warned_set,
						testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
