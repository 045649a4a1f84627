/*
 * test_dict.c - unit tests for lib/dict.c: build and lookup round trips
 * for hash and btree tables, case folding, the staleness rule, refused
 * files (missing, symlink, foreign, malformed values) and single-key
 * updates, and walks over every entry. Every test works in its own
 * mkdtemp directory under /tmp.
 */
#include "tests/unit/testlib.h"

#include <db.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/dict.h"
#include "lib/io.h"
#include "lib/mem.h"

/* The temporary directory of the running test. */
static char tmpdir[64];

/* dict_setup - capture the log and make the directory */
static int
dict_setup(void **state)
{
	testlib_tmpdir(tmpdir, sizeof(tmpdir), "test_dict");
	return testlib_setup(state);
}

/* dict_teardown - remove the directory, check the log */
static int
dict_teardown(void **state)
{
	testlib_rmtree(tmpdir);
	return testlib_teardown(state);
}

/* path_of - tmpdir/name in a new string */
static char *
path_of(const char *name)
{
	return mem_asprintf("%s/%s", tmpdir, name);
}

/* spec_of - TYPE:tmpdir/name in a new string */
static char *
spec_of(const char *type, const char *name)
{
	return mem_asprintf("%s:%s/%s", type, tmpdir, name);
}

/* write_source - tmpdir/name with the given text and mode */
static void
write_source(const char *name, const char *text, mode_t mode)
{
	char *path = path_of(name);

	assert_int_equal(io_atomic_replace(path, text, strlen(text), mode), 0);
	mem_free(&path);
}

/* count_files - entries in tmpdir (leftover temporaries show here) */
static int
count_files(void)
{
	DIR *dir = opendir(tmpdir);
	struct dirent *de;
	int n = 0;

	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(dir);
	return n;
}

/* One lookup and its expected result. */
struct probe {
	const char *key;
	int rc;
	const char *value;
};

/* One round-trip row. */
struct trip {
	const char *type;
	enum dict_syntax syntax;
	int flags;
	const char *source;
	size_t entries;
	struct probe probes[6];
};

static const struct trip trips[] = {
	{ "hash", DICT_SYNTAX_MAP, DICT_FLAG_FOLD_CASE,
	  "# relay table\nexample.com  smtp:[mx.example.com]\n"
	  "User@Example.ORG\tlocal\n  continued\n",
	  2,
	  { { "example.com", 1, "smtp:[mx.example.com]" },
	    { "EXAMPLE.com", 1, "smtp:[mx.example.com]" },
	    { "user@example.org", 1, "local continued" },
	    { "nobody", 0, NULL },
	    { "\001mailroom-dict-format", 0, NULL },
	    { "a\nb", 0, NULL } } },
	{ "btree", DICT_SYNTAX_MAP, DICT_FLAG_FOLD_CASE,
	  "b 2\na 1\nA 3\n", 2,
	  { { "a", 1, "1" }, { "B", 1, "2" }, { "c", 0, NULL } } },
	{ "hash", DICT_SYNTAX_MAP, 0, "Key Value\n", 1,
	  { { "Key", 1, "Value" }, { "key", 0, NULL } } },
	{ "btree", DICT_SYNTAX_MAP, 0, "Key Value\n", 1,
	  { { "Key", 1, "Value" }, { "KEY", 0, NULL } } },
	{ "hash", DICT_SYNTAX_ALIASES, 0,
	  "postmaster: root\nRoot: joe, \"|/bin/cmd\"\n\"John Doe\": john\n",
	  3,
	  { { "Postmaster", 1, "root" },
	    { "root", 1, "joe, \"|/bin/cmd\"" },
	    { "john doe", 1, "john" },
	    { "john", 0, NULL } } },
	{ "btree", DICT_SYNTAX_ALIASES, 0, "a: b\n", 1,
	  { { "A", 1, "b" } } },
	{ "hash", DICT_SYNTAX_MAP, DICT_FLAG_FOLD_CASE, "", 0,
	  { { "x", 0, NULL } } },
};

/* test_round_trip - build every row, then look its probes up */
static void
test_round_trip(void **state)
{
	size_t i, j;

	(void)state;
	testlib_log_expect("duplicate entry: \"a\"");
	for (i = 0; i < sizeof(trips) / sizeof(trips[0]); i++) {
		const struct trip *t = &trips[i];
		char *spec = spec_of(t->type, "t");
		const char *error = NULL, *value;
		size_t count = 99;
		struct dict *d;

		write_source("t", t->source, 0644);
		if (dict_build(spec, t->syntax, t->flags, &count, &error) < 0)
			fail_msg("row %zu: build: %s", i, error);
		assert_int_equal(count, t->entries);
		d = dict_open(spec, t->flags, &error);
		if (d == NULL)
			fail_msg("row %zu: open: %s", i, error);
		for (j = 0; j < 6 && t->probes[j].key != NULL; j++) {
			const struct probe *p = &t->probes[j];
			int rc = dict_lookup(d, p->key, &value, &error);

			if (rc != p->rc)
				fail_msg("row %zu probe %zu: rc %d", i, j, rc);
			if (rc == 1)
				assert_string_equal(value, p->value);
		}
		dict_close(&d);
		assert_null(d);
		mem_free(&spec);
	}
	/* Nothing but the source and the table is left. */
	assert_int_equal(count_files(), 2);
}

/* test_build_errors - failures name the line and leave no file behind */
static void
test_build_errors(void **state)
{
	char *spec = spec_of("hash", "t");
	const char *error = NULL, *value;
	struct dict *d;
	struct stat st;
	char *db_path = path_of("t.db");

	(void)state;
	assert_int_equal(dict_build(spec, DICT_SYNTAX_MAP, DICT_FLAGS_DEFAULT,
				    NULL, &error),
			 -1);
	assert_non_null(strstr(error, "No such file"));

	write_source("t", "good one\n", 0600);
	assert_int_equal(dict_build(spec, DICT_SYNTAX_MAP, DICT_FLAGS_DEFAULT,
				    NULL, &error),
			 0);
	/* The table takes the source's permission bits. */
	assert_int_equal(stat(db_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	write_source("t", "a b\nbad\n", 0644);
	assert_int_equal(dict_build(spec, DICT_SYNTAX_MAP, DICT_FLAGS_DEFAULT,
				    NULL, &error),
			 -1);
	assert_non_null(strstr(error, "/t, line 2: missing value"));
	assert_int_equal(count_files(), 2);

	/* The old table is still there and still works (the failed build
	 * left the source newer, so touch the table first). */
	assert_int_equal(utimensat(AT_FDCWD, db_path, NULL, 0), 0);
	d = dict_open(spec, DICT_FLAGS_DEFAULT, &error);
	assert_non_null(d);
	assert_int_equal(dict_lookup(d, "good", &value, &error), 1);
	assert_string_equal(value, "one");
	dict_close(&d);

	assert_int_equal(dict_build("cdb:/x", DICT_SYNTAX_MAP, 0, NULL,
				    &error),
			 -1);
	assert_non_null(strstr(error, "unsupported table type"));
	assert_int_equal(dict_build("hash:", DICT_SYNTAX_MAP, 0, NULL, &error),
			 -1);
	assert_non_null(strstr(error, "has no path"));
	mem_free(&db_path);
	mem_free(&spec);
}

/* test_stale - a source newer than its table is refused until rebuilt */
static void
test_stale(void **state)
{
	char *spec = spec_of("hash", "a");
	char *db_path = path_of("a.db"), *src_path = path_of("a");
	const char *error = NULL;
	struct timespec times[2];
	struct stat st;
	struct dict *d;

	(void)state;
	write_source("a", "root: joe\n", 0644);
	assert_int_equal(dict_build(spec, DICT_SYNTAX_ALIASES, 0, NULL,
				    &error),
			 0);
	assert_int_equal(stat(db_path, &st), 0);
	times[0] = st.st_mtim;
	times[1] = st.st_mtim;
	times[1].tv_sec += 10;
	assert_int_equal(utimensat(AT_FDCWD, src_path, times, 0), 0);
	d = dict_open(spec, 0, &error);
	assert_null(d);
	assert_non_null(strstr(error, "is older than its source"));
	assert_non_null(strstr(error, "run newaliases"));

	/* Equal times are not stale. */
	times[1] = st.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, src_path, times, 0), 0);
	d = dict_open(spec, 0, &error);
	assert_non_null(d);
	dict_close(&d);

	times[1].tv_sec += 10;
	assert_int_equal(utimensat(AT_FDCWD, src_path, times, 0), 0);
	assert_int_equal(dict_build(spec, DICT_SYNTAX_ALIASES, 0, NULL,
				    &error),
			 0);
	/* The rebuilt table is newer than the source, whatever the clock. */
	times[1].tv_sec -= 20;
	assert_int_equal(utimensat(AT_FDCWD, src_path, times, 0), 0);
	d = dict_open(spec, 0, &error);
	assert_non_null(d);
	dict_close(&d);
	mem_free(&spec);
	mem_free(&db_path);
	mem_free(&src_path);
}

/* raw_db - write a Berkeley DB file by hand (records with their NUL
 * unless raw_len says otherwise) */
static void
raw_db(const char *name, DBTYPE type, const char *const *kv, size_t pairs,
       const size_t *raw_len)
{
	char *path = path_of(name);
	DB *db;
	size_t i;

	assert_int_equal(db_create(&db, NULL, 0), 0);
	assert_int_equal(db->open(db, NULL, path, NULL, type, DB_CREATE, 0644),
			 0);
	for (i = 0; i < pairs; i++) {
		DBT k, v;

		memset(&k, 0, sizeof(k));
		memset(&v, 0, sizeof(v));
		k.data = (void *)kv[2 * i];
		k.size = (u_int32_t)strlen(kv[2 * i]) + 1;
		v.data = (void *)kv[2 * i + 1];
		v.size = raw_len != NULL && raw_len[i] != 0
				 ? (u_int32_t)raw_len[i]
				 : (u_int32_t)strlen(kv[2 * i + 1]) + 1;
		assert_int_equal(db->put(db, NULL, &k, &v, 0), 0);
	}
	assert_int_equal(db->close(db, 0), 0);
	mem_free(&path);
}

/* test_refused_files - missing, symlink, foreign, wrong type, bad values */
static void
test_refused_files(void **state)
{
	static const char *const foreign[] = { "a", "b" };
	static const char *const bad[] = {
		"\001mailroom-dict-format", "version=1 fold=0",
		"nonul", "abc",
		"ctl", "a\001b",
		"inner", "a\0b",
		"good", "fine",
	};
	static const size_t bad_len[] = { 0, 3, 0, 4, 0 };
	static const char *const future[] = {
		"\001mailroom-dict-format", "version=2 fold=0",
	};
	char *spec = spec_of("hash", "x"), *db_path = path_of("x.db");
	char *other = path_of("t.db"), *bt = spec_of("btree", "x");
	const char *error = NULL, *value;
	struct dict *d;
	int fd;

	(void)state;
	assert_null(dict_open(spec, 0, &error));
	assert_non_null(strstr(error, "cannot open table"));
	assert_non_null(strstr(error, "x.db"));

	raw_db("x.db", DB_HASH, foreign, 1, NULL);
	assert_null(dict_open(spec, 0, &error));
	assert_non_null(strstr(error, "not built by mailroom"));
	assert_int_equal(unlink(db_path), 0);

	raw_db("x.db", DB_HASH, future, 1, NULL);
	assert_null(dict_open(spec, 0, &error));
	assert_non_null(strstr(error, "unknown format version"));

	/* A hash file opened as btree: Berkeley DB refuses it. */
	assert_null(dict_open(bt, 0, &error));
	assert_non_null(strstr(error, "cannot open table"));
	assert_int_equal(unlink(db_path), 0);

	raw_db("x.db", DB_HASH, bad, 5, bad_len);
	d = dict_open(spec, 0, &error);
	assert_non_null(d);
	assert_int_equal(dict_lookup(d, "nonul", &value, &error), -1);
	assert_non_null(strstr(error, "malformed value for key \"nonul\""));
	assert_int_equal(dict_lookup(d, "ctl", &value, &error), -1);
	assert_non_null(strstr(error, "malformed value"));
	assert_int_equal(dict_lookup(d, "inner", &value, &error), -1);
	assert_int_equal(dict_lookup(d, "good", &value, &error), 1);
	assert_string_equal(value, "fine");
	dict_close(&d);
	assert_int_equal(unlink(db_path), 0);

	/* SECURITY: a symlink in place of the table is refused. */
	raw_db("t.db", DB_HASH, future, 1, NULL);
	assert_int_equal(symlink(other, db_path), 0);
	assert_null(dict_open(spec, 0, &error));
	assert_non_null(strstr(error, "symbolic link"));
	assert_int_equal(dict_update(spec, 0, "k", "v", &error), -1);
	assert_non_null(strstr(error, "symbolic link"));
	assert_int_equal(unlink(db_path), 0);

	/* A FIFO does not hang the open. */
	assert_int_equal(mkfifo(db_path, 0600), 0);
	assert_null(dict_open(spec, 0, &error));
	assert_non_null(strstr(error, "not a regular file"));
	assert_int_equal(unlink(db_path), 0);
	fd = open(db_path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_null(dict_open(spec, 0, &error));
	assert_non_null(error);
	mem_free(&spec);
	mem_free(&bt);
	mem_free(&db_path);
	mem_free(&other);
}

/* test_long_value - a value longer than the lookup buffer is an error */
static void
test_long_value(void **state)
{
	char *spec = spec_of("btree", "x");
	char *big = mem_alloc(DICT_SOURCE_MAX_VALUE + 2);
	const char *kv[4] = { "\001mailroom-dict-format", "version=1 fold=1",
			      "big", big };
	const char *error = NULL, *value;
	struct dict *d;

	(void)state;
	memset(big, 'v', DICT_SOURCE_MAX_VALUE + 1);
	raw_db("x.db", DB_BTREE, kv, 2, NULL);
	d = dict_open(spec, 0, &error);
	assert_non_null(d);
	assert_int_equal(dict_lookup(d, "BIG", &value, &error), -1);
	assert_non_null(strstr(error, "too long"));
	dict_close(&d);
	mem_free(&big);
	mem_free(&spec);
}

/* test_update - create, add, replace, delete; open readers follow */
static void
test_update(void **state)
{
	static const char *const types[] = { "hash", "btree" };
	char big[DICT_SOURCE_MAX_KEY + 2];
	size_t i;

	(void)state;
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 2; i++) {
		char *spec = spec_of(types[i], "u");
		char *db_path = path_of("u.db");
		const char *error = NULL, *value;
		struct dict *d;
		struct stat st;

		assert_int_equal(dict_update(spec, DICT_FLAG_FOLD_CASE, "Bob",
					     "hash1", &error),
				 0);
		assert_int_equal(stat(db_path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		d = dict_open(spec, 0, &error);
		assert_non_null(d);
		assert_int_equal(dict_lookup(d, "BOB", &value, &error), 1);
		assert_string_equal(value, "hash1");

		/* The open reader sees the in-place change. */
		assert_int_equal(dict_update(spec, 0, "bob", "hash2", &error),
				 1);
		assert_int_equal(dict_update(spec, 0, "alice", "x\ty", &error),
				 0);
		assert_int_equal(dict_lookup(d, "bob", &value, &error), 1);
		assert_string_equal(value, "hash2");
		assert_int_equal(dict_lookup(d, "Alice", &value, &error), 1);
		assert_string_equal(value, "x\ty");

		assert_int_equal(dict_update(spec, 0, "BOB", NULL, &error), 1);
		assert_int_equal(dict_update(spec, 0, "bob", NULL, &error), 0);
		assert_int_equal(dict_lookup(d, "bob", &value, &error), 0);
		assert_int_equal(dict_lookup(d, "alice", &value, &error), 1);
		dict_close(&d);

		assert_int_equal(dict_update(spec, 0, "", "v", &error), -1);
		assert_non_null(strstr(error, "invalid key"));
		assert_int_equal(dict_update(spec, 0, "a\nb", "v", &error),
				 -1);
		assert_int_equal(dict_update(spec, 0, big, "v", &error), -1);
		assert_int_equal(dict_update(spec, 0, "k", "a\r\nb", &error),
				 -1);
		assert_non_null(strstr(error, "invalid value"));
		assert_int_equal(unlink(db_path), 0);
		mem_free(&spec);
		mem_free(&db_path);
	}
}

/* test_reader_follows_rebuild - an open handle picks up a rebuild */
static void
test_reader_follows_rebuild(void **state)
{
	char *spec = spec_of("hash", "t"), *db_path = path_of("t.db");
	const char *error = NULL, *value;
	struct dict *d;

	(void)state;
	write_source("t", "k old\n", 0644);
	assert_int_equal(dict_build(spec, DICT_SYNTAX_MAP, DICT_FLAGS_DEFAULT,
				    NULL, &error),
			 0);
	d = dict_open(spec, DICT_FLAGS_DEFAULT, &error);
	assert_non_null(d);
	assert_int_equal(dict_lookup(d, "k", &value, &error), 1);
	assert_string_equal(value, "old");
	write_source("t", "k new\n", 0644);
	assert_int_equal(dict_build(spec, DICT_SYNTAX_MAP, DICT_FLAGS_DEFAULT,
				    NULL, &error),
			 0);
	assert_int_equal(dict_lookup(d, "k", &value, &error), 1);
	assert_string_equal(value, "new");

	/* Removed: a temporary failure, and again on the next lookup. */
	assert_int_equal(unlink(db_path), 0);
	assert_int_equal(dict_lookup(d, "k", &value, &error), -1);
	assert_non_null(strstr(error, "cannot open table"));
	assert_int_equal(dict_lookup(d, "k", &value, &error), -1);
	assert_non_null(strstr(error, "cannot open table"));
	dict_close(&d);
	mem_free(&spec);
	mem_free(&db_path);
}

/* walk_collect - dict_walk callback appending "key=value;" to a buffer */
static int
walk_collect(void *ctx, const char *key, const char *value)
{
	char *acc = ctx;
	size_t len = strlen(acc);

	snprintf(acc + len, 256 - len, "%s=%s;", key, value);
	return strcmp(key, "stop") == 0 ? 1 : 0;
}

/* test_walk - every entry once, format record hidden, early stop */
static void
test_walk(void **state)
{
	char *spec = spec_of("btree", "w");
	const char *error = NULL;
	char acc[256] = "";
	struct dict *d;

	(void)state;
	write_source("w", "b 2\na 1\nc 3\n", 0644);
	assert_int_equal(dict_build(spec, DICT_SYNTAX_MAP, DICT_FLAGS_DEFAULT,
				    NULL, &error),
			 0);
	d = dict_open(spec, DICT_FLAGS_DEFAULT, &error);
	assert_non_null(d);
	assert_int_equal(dict_walk(d, walk_collect, acc, &error), 0);
	/* btree order; the format record is not an entry. */
	assert_string_equal(acc, "a=1;b=2;c=3;");

	/* An in-place update is seen; the callback can stop the walk. */
	assert_int_equal(dict_update(spec, 0, "stop", "x\ty", &error), 0);
	acc[0] = '\0';
	assert_int_equal(dict_walk(d, walk_collect, acc, &error), 0);
	assert_string_equal(acc, "a=1;b=2;c=3;stop=x\ty;");
	assert_int_equal(dict_update(spec, 0, "aa", "0", &error), 0);
	assert_int_equal(dict_update(spec, 0, "z", "9", &error), 0);
	acc[0] = '\0';
	assert_int_equal(dict_walk(d, walk_collect, acc, &error), 0);
	assert_string_equal(acc, "a=1;aa=0;b=2;c=3;stop=x\ty;");
	dict_close(&d);
	mem_free(&spec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, dict_setup,
						dict_teardown),
		cmocka_unit_test_setup_teardown(test_build_errors, dict_setup,
						dict_teardown),
		cmocka_unit_test_setup_teardown(test_stale, dict_setup,
						dict_teardown),
		cmocka_unit_test_setup_teardown(test_refused_files, dict_setup,
						dict_teardown),
		cmocka_unit_test_setup_teardown(test_long_value, dict_setup,
						dict_teardown),
		cmocka_unit_test_setup_teardown(test_update, dict_setup,
						dict_teardown),
		cmocka_unit_test_setup_teardown(test_reader_follows_rebuild,
						dict_setup, dict_teardown),
		cmocka_unit_test_setup_teardown(test_walk, dict_setup,
						dict_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
