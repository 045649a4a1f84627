/*
 * test_shm_table.c - unit tests for lib/shm_table.c: a new file and its
 * layout, counts that outlive a handle, malformed headers and short files
 * reinitialized (at open and while mapped), two handles in one process on
 * the same file, two processes adding under the lock (fork), the private
 * fallbacks (no private/, a link, a FIFO, a directory, a long path), and
 * slot addresses and their bound.
 */
#include "tests/unit/testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/shm_table.h"

#define FILE_NAME "test-table"
#define SLOTS 64

/* Rounds of increments each process makes in test_fork_shared. */
#define FORK_ROUNDS 2000

/* A slot as a caller lays it out: 8-byte alignment, 16 bytes. */
struct test_slot {
	uint32_t count;
	uint32_t tag;
	int64_t stamp;
};

static const struct shm_table_layout layout = {
	.label = "test table",
	.magic = 0x6d727474U, /* "mrtt" */
	.version = 1,
	.slot_count = SLOTS,
	.slot_size = sizeof(struct test_slot),
};

/* The header (16 bytes) and the slots. */
#define FILE_SIZE (16 + SLOTS * sizeof(struct test_slot))

static char dir[256];
static char path[PATH_MAX];

static int
setup(void **state)
{
	testlib_queue_tmpdir(dir, sizeof(dir), "test_shm_table");
	snprintf(path, sizeof(path), "%s/private/" FILE_NAME, dir);
	return testlib_setup(state);
}

static int
teardown(void **state)
{
	testlib_rmtree(dir);
	return testlib_teardown(state);
}

/* slot_at - slot i of t, as a test_slot */
static struct test_slot *
slot_at(struct shm_table *t, size_t i)
{
	return shm_table_slot(t, i);
}

/* slot_add - lock, add to slot i's count, unlock; the new count */
static uint32_t
slot_add(struct shm_table *t, size_t i, uint32_t n)
{
	uint32_t count;

	assert_int_equal(shm_table_lock(t), 0);
	slot_at(t, i)->count += n;
	count = slot_at(t, i)->count;
	shm_table_unlock(t);
	return count;
}

/* slot_count_of - lock, read slot i's count, unlock */
static uint32_t
slot_count_of(struct shm_table *t, size_t i)
{
	uint32_t count;

	assert_int_equal(shm_table_lock(t), 0);
	count = slot_at(t, i)->count;
	shm_table_unlock(t);
	return count;
}

/* header_read - the four header words of the file */
static void
header_read(uint32_t h[4])
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, h, 4 * sizeof(uint32_t), 0),
			 4 * sizeof(uint32_t));
	close(fd);
}

/* header_word_write - overwrite header word i of the file */
static void
header_word_write(size_t i, uint32_t value)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &value, sizeof(value),
				(off_t)(i * sizeof(value))),
			 sizeof(value));
	close(fd);
}

/* file_write - replace the file's content with n bytes of p */
static void
file_write(const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

/* pipe_put - write one byte (no cmocka assert: children use it) */
static void
pipe_put(int fd, char c)
{
	while (write(fd, &c, 1) < 0 && errno == EINTR)
		;
}

/* pipe_get - read one byte (0 at EOF) */
static char
pipe_get(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? c : 0;
}

static void
test_new_file(void **state)
{
	struct shm_table *t = shm_table_new(dir, FILE_NAME, &layout);
	uint32_t h[4];
	struct stat st;
	size_t i;

	(void)state;
	assert_true(shm_table_is_shared(t));
	assert_string_equal(shm_table_path(t), path);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, FILE_SIZE);
	header_read(h);
	assert_int_equal(h[0], layout.magic);
	assert_int_equal(h[1], layout.version);
	assert_int_equal(h[2], SLOTS);
	assert_int_equal(h[3], sizeof(struct test_slot));
	for (i = 0; i < SLOTS; i++)
		assert_int_equal(slot_count_of(t, i), 0);
	assert_int_equal(slot_add(t, 3, 5), 5);
	shm_table_free(&t);
	assert_null(t);
	shm_table_free(&t); /* NULL is fine */

	/* The counts outlive the handle; a good header is kept. */
	t = shm_table_new(dir, FILE_NAME, &layout);
	assert_true(shm_table_is_shared(t));
	assert_int_equal(slot_count_of(t, 3), 5);
	shm_table_free(&t);

	/* A longer file is used, only as far as the table reaches. */
	assert_int_equal(truncate(path, FILE_SIZE + 4096), 0);
	t = shm_table_new(dir, FILE_NAME, &layout);
	assert_int_equal(slot_count_of(t, 3), 5);
	shm_table_free(&t);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_size, FILE_SIZE + 4096);
}

/* What a malformed-header row does to a good file before it is used. */
enum damage {
	DAMAGE_WORD,	/* header word `word` becomes `value` */
	DAMAGE_CONTENT, /* the file becomes `content` (`len` bytes) */
};

static const struct {
	enum damage damage;
	size_t word;
	uint32_t value;
	const char *content;
	size_t len;
	bool warns; /* a zero magic and version is a new file: silent */
} header_rows[] = {
	{ DAMAGE_WORD, 0, 0xdeadbeefU, NULL, 0, true },	  /* magic */
	{ DAMAGE_WORD, 0, 0x6d726366U, NULL, 0, true },	  /* another kind */
	{ DAMAGE_WORD, 1, 2, NULL, 0, true },		  /* version */
	{ DAMAGE_WORD, 1, 0, NULL, 0, true },		  /* version zero */
	{ DAMAGE_WORD, 2, SLOTS + 1, NULL, 0, true },	  /* slot count */
	{ DAMAGE_WORD, 2, UINT32_MAX, NULL, 0, true },	  /* huge count */
	{ DAMAGE_WORD, 2, 0, NULL, 0, true },		  /* no slots */
	{ DAMAGE_WORD, 3, 8, NULL, 0, true },		  /* slot size */
	{ DAMAGE_WORD, 3, UINT32_MAX, NULL, 0, true },	  /* huge size */
	{ DAMAGE_CONTENT, 0, 0, "garbage", 7, true },	  /* short, junk */
	{ DAMAGE_CONTENT, 0, 0, "", 0, false },		  /* empty */
	{ DAMAGE_CONTENT, 0, 0, "\0\0\0\0\0\0\0\0", 8, false }, /* zeros */
	{ DAMAGE_CONTENT, 0, 0, "mrtt", 4, true },	  /* header cut short */
};

/* damage_apply - damage the file as row i says */
static void
damage_apply(size_t i)
{
	if (header_rows[i].damage == DAMAGE_WORD)
		header_word_write(header_rows[i].word, header_rows[i].value);
	else
		file_write(header_rows[i].content, header_rows[i].len);
}

/* header_expect_good - the file's header is the layout's again */
static void
header_expect_good(void)
{
	uint32_t h[4];

	header_read(h);
	assert_int_equal(h[0], layout.magic);
	assert_int_equal(h[1], layout.version);
	assert_int_equal(h[2], SLOTS);
	assert_int_equal(h[3], sizeof(struct test_slot));
}

static void
test_malformed_header(void **state)
{
	struct shm_table *t;
	size_t i;

	(void)state;
	testlib_log_expect("bad header, reinitialized");
	for (i = 0; i < sizeof(header_rows) / sizeof(header_rows[0]); i++) {
		/* At open: a damaged file from before. */
		t = shm_table_new(dir, FILE_NAME, &layout);
		assert_int_equal(slot_add(t, 0, 1), 1);
		assert_int_equal(slot_add(t, SLOTS - 1, 7), 7);
		shm_table_free(&t);
		damage_apply(i);
		t = shm_table_new(dir, FILE_NAME, &layout);
		if (!shm_table_is_shared(t))
			fail_msg("row %zu: not shared", i);
		if (testlib_log_contains("bad header") != header_rows[i].warns)
			fail_msg("row %zu: warning %s", i,
				 header_rows[i].warns ? "missing" : "given");
		header_expect_good();
		if (slot_count_of(t, 0) != 0 || slot_count_of(t, SLOTS - 1) != 0)
			fail_msg("row %zu: counts kept at open", i);
		testlib_log_check();
		testlib_log_expect("bad header, reinitialized");

		/* While mapped: the next lock notices. Only header words can
		 * change under a mapping (a shorter file would fault). */
		if (header_rows[i].damage == DAMAGE_WORD) {
			assert_int_equal(slot_add(t, 5, 2), 2);
			damage_apply(i);
			assert_int_equal(slot_count_of(t, 5), 0);
			assert_true(testlib_log_contains("bad header"));
			header_expect_good();
			testlib_log_check();
			testlib_log_expect("bad header, reinitialized");
		}
		shm_table_free(&t);
		assert_int_equal(unlink(path), 0);
	}

	/* A table of another version on the same file starts it over. */
	{
		struct shm_table_layout v2 = layout;

		v2.version = 2;
		t = shm_table_new(dir, FILE_NAME, &layout);
		assert_int_equal(slot_add(t, 1, 1), 1);
		shm_table_free(&t);
		t = shm_table_new(dir, FILE_NAME, &v2);
		assert_true(testlib_log_contains("bad header"));
		assert_int_equal(slot_count_of(t, 1), 0);
		shm_table_free(&t);
	}
}

static void
test_two_handles(void **state)
{
	struct shm_table *one = shm_table_new(dir, FILE_NAME, &layout);
	struct shm_table *two = shm_table_new(dir, FILE_NAME, &layout);
	int fd;

	(void)state;
	assert_true(shm_table_is_shared(one));
	assert_true(shm_table_is_shared(two));
	assert_int_equal(slot_add(one, 9, 1), 1);
	assert_int_equal(slot_add(two, 9, 1), 2);
	assert_int_equal(slot_count_of(one, 9), 2);
	assert_int_equal(slot_add(one, 10, 4), 4);
	assert_int_equal(slot_count_of(two, 10), 4);

	/* Each handle locks the file itself: while one holds the lock, any
	 * other open of the file (as the other handle's) would wait. */
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(shm_table_lock(one), 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	shm_table_unlock(one);
	assert_int_equal(shm_table_lock(two), 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	shm_table_unlock(two);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(flock(fd, LOCK_UN), 0);
	close(fd);

	/* Freeing one handle leaves the other working. */
	shm_table_free(&one);
	assert_int_equal(slot_add(two, 9, 1), 3);
	shm_table_free(&two);
}

/*
 * fork_add_rounds - FORK_ROUNDS times, add 1 to slot 0 under the lock,
 * reading and writing it apart so that, unlocked, the two processes
 * would lose some.
 * No cmocka asserts: the child runs it too. False when a lock failed.
 */
static bool
fork_add_rounds(struct shm_table *t)
{
	size_t i;

	for (i = 0; i < FORK_ROUNDS; i++) {
		volatile struct test_slot *slot;
		uint32_t count;

		if (shm_table_lock(t) < 0)
			return false;
		slot = slot_at(t, 0);
		count = slot->count;
		slot->stamp++;
		/* Let the other process run inside the section. */
		(void)sched_yield();
		slot->count = count + 1;
		shm_table_unlock(t);
	}
	return true;
}

static void
test_fork_shared(void **state)
{
	struct shm_table *t = shm_table_new(dir, FILE_NAME, &layout);
	int to_child[2], to_parent[2], status;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(to_parent), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The child opens its own handle, as a second daemon process
		 * does; the parent's is not used across fork(). */
		struct shm_table *c = shm_table_new(dir, FILE_NAME, &layout);
		bool ok = shm_table_is_shared(c);

		if (ok && shm_table_lock(c) == 0) {
			slot_at(c, 1)->tag = (uint32_t)getpid();
			shm_table_unlock(c);
		}
		pipe_put(to_parent[1], ok ? 'y' : 'n');
		if (pipe_get(to_child[0]) != 'g' || !fork_add_rounds(c))
			ok = false;
		shm_table_free(&c);
		_exit(ok ? 0 : 1);
	}
	/* What the child wrote, the parent reads. */
	assert_int_equal(pipe_get(to_parent[0]), 'y');
	assert_int_equal(shm_table_lock(t), 0);
	assert_int_equal(slot_at(t, 1)->tag, (uint32_t)pid);
	shm_table_unlock(t);
	/* Both add at once: not one addition is lost. */
	pipe_put(to_child[1], 'g');
	assert_true(fork_add_rounds(t));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(slot_count_of(t, 0), 2 * FORK_ROUNDS);
	assert_int_equal(shm_table_lock(t), 0);
	assert_int_equal(slot_at(t, 0)->stamp, 2 * FORK_ROUNDS);
	shm_table_unlock(t);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	shm_table_free(&t);
}

/* private_expect - t is private, zeroed and usable */
static void
private_expect(struct shm_table *t)
{
	size_t i;

	assert_false(shm_table_is_shared(t));
	for (i = 0; i < SLOTS; i++)
		assert_int_equal(slot_count_of(t, i), 0);
	assert_int_equal(slot_add(t, 2, 3), 3);
	assert_int_equal(slot_add(t, 2, 1), 4);
}

static void
test_private_fallback(void **state)
{
	char other[PATH_MAX], target[PATH_MAX], longname[PATH_MAX];
	struct shm_table *t;
	struct stat st;

	(void)state;
	/* No private/ directory. */
	snprintf(other, sizeof(other), "%s/none", dir);
	testlib_log_expect("test table");
	t = shm_table_new(other, FILE_NAME, &layout);
	assert_true(testlib_log_contains(": open: "));
	assert_true(testlib_log_contains("unusable: counting per process"));
	private_expect(t);
	shm_table_free(&t);

	/* SECURITY: a link planted in the file's place is not followed. */
	snprintf(target, sizeof(target), "%s/target", dir);
	file_write("", 0);
	assert_int_equal(rename(path, target), 0);
	assert_int_equal(symlink(target, path), 0);
	t = shm_table_new(dir, FILE_NAME, &layout);
	private_expect(t);
	shm_table_free(&t);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(unlink(path), 0);

	/* A FIFO opens, but is not a plain file. */
	assert_int_equal(mkfifo(path, 0600), 0);
	t = shm_table_new(dir, FILE_NAME, &layout);
	assert_true(testlib_log_contains("not a regular file"));
	private_expect(t);
	shm_table_free(&t);
	assert_int_equal(unlink(path), 0);

	/* A directory does not open for writing. */
	assert_int_equal(mkdir(path, 0700), 0);
	t = shm_table_new(dir, FILE_NAME, &layout);
	private_expect(t);
	shm_table_free(&t);
	assert_int_equal(rmdir(path), 0);

	/* A path longer than PATH_MAX. */
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	t = shm_table_new(dir, longname, &layout);
	assert_true(testlib_log_contains("path too long; counting per "
					 "process"));
	private_expect(t);
	shm_table_free(&t);

	/* Two private tables are apart. */
	{
		struct shm_table *a = shm_table_new(other, FILE_NAME, &layout);
		struct shm_table *b = shm_table_new(other, FILE_NAME, &layout);

		assert_int_equal(slot_add(a, 0, 1), 1);
		assert_int_equal(slot_count_of(b, 0), 0);
		shm_table_free(&a);
		shm_table_free(&b);
	}
}

/* slot_panics - whether shm_table_slot(t, i) panics */
static bool
slot_panics(struct shm_table *t, size_t i)
{
	volatile bool exited = false;

	log_set_exit_hook(testlib_exit_hook);
	if (setjmp(testlib_exit_jmp) == 0)
		(void)shm_table_slot(t, i);
	else
		exited = true;
	log_set_exit_hook(NULL);
	return exited;
}

static void
test_slot_address(void **state)
{
	struct shm_table *t = shm_table_new(dir, FILE_NAME, &layout);
	uint8_t *first = shm_table_slot(t, 0);
	size_t i;

	(void)state;
	assert_int_equal((uintptr_t)first % _Alignof(struct test_slot), 0);
	for (i = 1; i < SLOTS; i++)
		assert_ptr_equal(shm_table_slot(t, i),
				 first + i * sizeof(struct test_slot));
	/* The last slot ends the file: write it, read it back. */
	assert_int_equal(slot_add(t, SLOTS - 1, 9), 9);
	shm_table_free(&t);
	{
		struct test_slot last;
		int fd = open(path, O_RDONLY);

		assert_true(fd >= 0);
		assert_int_equal(pread(fd, &last, sizeof(last),
				       FILE_SIZE - sizeof(last)),
				 sizeof(last));
		close(fd);
		assert_int_equal(last.count, 9);
	}
	/* An index past the table is our bug: panic. */
	t = shm_table_new(dir, FILE_NAME, &layout);
	testlib_log_expect("assertion failed");
	assert_true(slot_panics(t, SLOTS));
	assert_true(slot_panics(t, SIZE_MAX));
	assert_false(slot_panics(t, SLOTS - 1));
	shm_table_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed_header, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_two_handles, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fork_shared, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_private_fallback, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_slot_address, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
