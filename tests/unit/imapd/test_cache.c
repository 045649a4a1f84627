/*
 * test_cache.c - unit tests for imapd/cache.c, the per-folder cache file.
 *
 * The format: a file built from a table of entries parses back to the
 * same entries; a table of damaged copies (each row one change to a good
 * file) gives the expected error. The cache: entries learnt, written,
 * read back by a fresh cache, dropped for expunged messages, and a
 * damaged file is removed and rebuilt. With
 * MR_IMAP_CACHE_WRITE_CORPUS=DIR the files are written to DIR as the
 * seed corpus of tests/fuzz/fuzz_imap_cache.c.
 */
#include "tests/unit/testlib.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imapd/cache.h"
#include "lib/buf.h"
#include "lib/io.h"
#include "lib/mailstore.h"
#include "lib/mem.h"

static const struct {
	uint32_t uid;
	const char *env, *body, *bs;
} entries[] = {
    {1, "(NIL \"one\" NIL NIL NIL NIL NIL NIL NIL NIL)",
     "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 3 1)",
     "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL)"},
    {2, "", "", ""},
    {7, "(\"d\" \"s\" NIL NIL NIL NIL NIL NIL NIL \"<x@y>\")", "(b)",
     "(bs)"},
};

/* entry_of - row i as an entry */
static void
entry_of(size_t i, struct imap_cache_entry *e)
{
	e->envelope = entries[i].env;
	e->envelope_len = strlen(entries[i].env);
	e->body = entries[i].body;
	e->body_len = strlen(entries[i].body);
	e->bodystructure = entries[i].bs;
	e->bodystructure_len = strlen(entries[i].bs);
}

/* build - the file of the rows */
static void
build(struct buf *out)
{
	uint32_t uids[3];
	size_t sizes[3], i;
	struct imap_cache_entry e;

	for (i = 0; i < 3; i++) {
		entry_of(i, &e);
		uids[i] = entries[i].uid;
		sizes[i] = imap_cache_record_size(&e);
	}
	imap_cache_head_format(out, 42, uids, sizes, 3);
	for (i = 0; i < 3; i++) {
		entry_of(i, &e);
		imap_cache_record_format(out, entries[i].uid, &e);
	}
}

/* check_file - parse a whole file; the first error or NULL */
static const char *
check_file(const uint8_t *p, size_t n, size_t *records_r)
{
	struct imap_cache_header h;
	const char *error;
	size_t i;

	*records_r = 0;
	if (imap_cache_header_parse(p, n, &h, &error) < 0)
		return error;
	if (h.file_size != n)
		return "file size mismatch";
	if (imap_cache_index_check(p + IMAP_CACHE_HEADER_SIZE, &h, &error) <
	    0)
		return error;
	for (i = 0; i < h.count; i++) {
		struct imap_cache_entry e;
		uint32_t uid, off, next_off, next_uid;

		imap_cache_index_entry(p + IMAP_CACHE_HEADER_SIZE, i, &uid,
				       &off);
		if (i + 1 < h.count)
			imap_cache_index_entry(p + IMAP_CACHE_HEADER_SIZE,
					       i + 1, &next_uid, &next_off);
		else
			next_off = (uint32_t)n;
		if (imap_cache_record_parse(p + off, next_off - off, uid, &e,
					    &error) < 0)
			return error;
		(*records_r)++;
	}
	return NULL;
}

/* write_corpus - a seed file for the fuzz target */
static void
write_corpus(const char *name, const uint8_t *p, size_t n)
{
	const char *dir = getenv("MR_IMAP_CACHE_WRITE_CORPUS");
	char path[4096];
	int fd;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(io_write_full(fd, p, n), 0);
	close(fd);
}

/* test_format - a good file parses back to its rows */
static void
test_format(void **state)
{
	struct buf file;
	struct imap_cache_header h;
	const char *error;
	size_t records, i;

	(void)state;
	buf_init(&file, 1 << 20);
	build(&file);
	write_corpus("good", file.data, file.len);
	assert_null(check_file(file.data, file.len, &records));
	assert_int_equal(records, 3);
	assert_int_equal(imap_cache_header_parse(file.data, file.len, &h,
						 &error),
			 0);
	assert_int_equal(h.uidvalidity, 42);
	for (i = 0; i < 3; i++) {
		uint32_t uid, off, end, u2;
		struct imap_cache_entry e;

		imap_cache_index_entry(file.data + IMAP_CACHE_HEADER_SIZE, i,
				       &uid, &off);
		if (i < 2)
			imap_cache_index_entry(
				file.data + IMAP_CACHE_HEADER_SIZE, i + 1, &u2,
				&end);
		else
			end = (uint32_t)file.len;
		assert_int_equal(uid, entries[i].uid);
		assert_int_equal(imap_cache_record_parse(file.data + off,
							 end - off, uid, &e,
							 &error),
				 0);
		assert_int_equal(e.envelope_len, strlen(entries[i].env));
		assert_memory_equal(e.envelope, entries[i].env,
				    e.envelope_len);
		assert_int_equal(e.bodystructure_len, strlen(entries[i].bs));
		assert_memory_equal(e.bodystructure, entries[i].bs,
				    e.bodystructure_len);
	}
	buf_deinit(&file);
}

/* Damaged copies: at offset, set octet to value, or cut the file. */
static const struct {
	const char *name;
	long offset;		/* -1: cut to len */
	uint8_t value;
	size_t len;
	const char *error;
} damage[] = {
    {"magic", 0, 'X', 0, "not a cache file"},
    {"version", 8, 2, 0, "unknown version"},
    {"count", 19, 0xff, 0, "too many records"},
    {"index-check", 20, 0x55, 0, "index checksum mismatch"},
    {"file-size", 24, 0x01, 0, "file size mismatch"},
    {"file-size-high", 31, 0x01, 0, "bad file size"},
    {"short-header", -1, 0, 10, "not a cache file"},
    {"uid-order", 40, 1, 0, "index checksum mismatch"},
    {"record-uid", 56, 9, 0, "record UID mismatch"},
    {"record-len", 60, 0x7f, 0, "bad record lengths"},
    {"record-text", 80, '!', 0, "record checksum mismatch"},
};

/* test_damage - each damaged copy is refused with its reason */
static void
test_damage(void **state)
{
	size_t i, records;

	(void)state;
	for (i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
		struct buf file;
		const char *error;

		buf_init(&file, 1 << 20);
		build(&file);
		if (damage[i].offset < 0)
			buf_truncate(&file, damage[i].len);
		else
			file.data[damage[i].offset] = damage[i].value;
		write_corpus(damage[i].name, file.data, file.len);
		error = check_file(file.data, file.len, &records);
		assert_non_null(error);
		if (strcmp(error, damage[i].error) != 0)
			fail_msg("%s: got \"%s\"", damage[i].name, error);
		buf_deinit(&file);
	}
}

/* add_msg - a message file in cur/ of the Maildir at dir */
static void
add_msg(const char *dir, const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/cur/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(io_write_full(fd, "Subject: x\n\nx\n", 14), 0);
	close(fd);
}

/* test_cache - learn, write, read back, drop expunged, rebuild damaged */
static void
test_cache(void **state)
{
	char dir[256], path[512], warning[MAILSTORE_ERROR_MAX];
	struct mailstore *ms;
	struct mailstore_folder *f;
	struct mailstore_sync_result res;
	struct imap_cache *c;
	struct imap_cache_entry e;
	const char *error;
	size_t i;
	int fd;

	(void)state;
	testlib_tmpdir(dir, sizeof(dir), "test_cache");
	ms = mailstore_new(dir);
	assert_int_equal(mailstore_folder_open(ms, "INBOX", &f, &error), 0);
	add_msg(dir, "1700000001.M1P1.t:2,");
	add_msg(dir, "1700000002.M1P1.t:2,");
	add_msg(dir, "1700000003.M1P1.t:2,");
	assert_int_equal(mailstore_sync(f, 0, &res, &error), 0);
	assert_int_equal(mailstore_count(f), 3);

	c = imap_cache_new();
	imap_cache_load(c, f, warning, sizeof(warning));
	assert_string_equal(warning, "");
	assert_int_equal(imap_cache_get(c, 1, &e), 0);
	for (i = 0; i < 3; i++) {
		entry_of(i, &e);
		imap_cache_put(c, (uint32_t)(i + 1), &e);
	}
	assert_true(imap_cache_is_dirty(c));
	assert_int_equal(imap_cache_get(c, 3, &e), 1);
	assert_int_equal(e.envelope_len, strlen(entries[2].env));
	assert_int_equal(imap_cache_write(c, f, &error), 0);
	assert_false(imap_cache_is_dirty(c));
	assert_int_equal(imap_cache_get(c, 2, &e), 1);
	imap_cache_free(&c);

	/* A fresh cache reads the file; message 2 goes away. */
	assert_int_equal(mailstore_msg_expunge(f, 1, &error), 1);
	assert_int_equal(mailstore_sync(f, 0, &res, &error), 0);
	c = imap_cache_new();
	imap_cache_load(c, f, warning, sizeof(warning));
	assert_string_equal(warning, "");
	assert_int_equal(imap_cache_get(c, 1, &e), 1);
	assert_memory_equal(e.envelope, entries[0].env, e.envelope_len);
	assert_int_equal(imap_cache_get(c, 3, &e), 1);
	assert_memory_equal(e.bodystructure, entries[2].bs,
			    e.bodystructure_len);
	assert_int_equal(imap_cache_write(c, f, &error), 0);
	assert_int_equal(imap_cache_get(c, 2, &e), 0);
	assert_int_equal(imap_cache_get(c, 3, &e), 1);
	imap_cache_free(&c);

	/* A damaged file: removed, warned about, rebuilt empty. */
	snprintf(path, sizeof(path), "%s/%s", dir, IMAP_CACHE_FILE);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "junk", 4, 0), 4);
	close(fd);
	c = imap_cache_new();
	imap_cache_load(c, f, warning, sizeof(warning));
	assert_non_null(strstr(warning, "damaged mailroom-imapcache "
					 "(not a cache file); rebuilding it"));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(imap_cache_get(c, 1, &e), 0);
	imap_cache_free(&c);

	mailstore_folder_free(&f);
	mailstore_free(&ms);
	testlib_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_format, testlib_setup,
					    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_damage, testlib_setup,
					    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_cache, testlib_setup,
					    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
