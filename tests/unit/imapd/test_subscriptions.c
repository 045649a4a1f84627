/*
 * test_subscriptions.c - unit tests for imapd/subscriptions.c (the
 * subscriptions file) and imapd_list_match (LIST patterns, cmd_list.c).
 *
 * Parser rows: a file and the names it gives (or its error); good and
 * malformed rows in one table; an accepted file formats back to the
 * names' canonical file. Pattern rows: a pattern, a name, whether it
 * matches. With MR_IMAP_SUBS_WRITE_CORPUS=DIR the files are written to
 * DIR as the seed corpus of tests/fuzz/fuzz_imap_subscriptions.c.
 */
#include "tests/unit/testlib.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imapd/imapd.h"
#include "imapd/subscriptions.h"
#include "lib/io.h"

static const struct {
	const char *in;
	const char *names;	/* joined with "|"; NULL: an error */
	size_t skipped;
	size_t len;		/* of in, when it holds a NUL */
} rows[] = {
    {"mailroom-subscriptions 1\n", "", 0, 0},
    {"mailroom-subscriptions 1\nINBOX\nSent\n", "INBOX|Sent", 0, 0},
    {"mailroom-subscriptions 1\nA.B\nEntw&APw-rfe\n", "A.B|Entw&APw-rfe", 0, 0},
    {"mailroom-subscriptions 1\nSent\nSent\n", "Sent", 1, 0},
    {"mailroom-subscriptions 1\ninbox\n.bad\nx/y\n\nok\n", "ok", 4, 0},
    {"mailroom-subscriptions 1\nA\0B\n", "", 1, 29},
    {"mailroom-subscriptions 1\nBad&AGE-\n", "", 1, 0},
    {"mailroom-subscriptions 2\nINBOX\n", NULL, 0, 0},
    {"mailroom-subscriptions 1", NULL, 0, 0},
    {"", NULL, 0, 0},
    {"mailroom-subscriptions 1\nINBOX", NULL, 0, 0},
    {"mailroom-subscriptions 1 \nINBOX\n", NULL, 0, 0},
};

/* joined - the names as "a|b" */
static void
joined(const struct imap_subs *subs, char *out, size_t size)
{
	size_t i, pos = 0;

	out[0] = '\0';
	for (i = 0; i < subs->count; i++)
		pos += (size_t)snprintf(out + pos, size - pos, "%s%s",
					i > 0 ? "|" : "", subs->names[i]);
}

/* test_parse - the rows, and formatting what was accepted */
static void
test_parse(void **state)
{
	const char *dir = getenv("MR_IMAP_SUBS_WRITE_CORPUS");
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct imap_subs subs, again;
		const char *error;
		size_t n = rows[i].len > 0 ? rows[i].len : strlen(rows[i].in);
		size_t skipped;
		char names[1024];
		struct buf out;
		int rc;

		if (dir != NULL) {
			char path[4096];
			int fd;

			snprintf(path, sizeof(path), "%s/row%zu", dir, i);
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			assert_true(fd >= 0);
			assert_int_equal(io_write_full(fd, rows[i].in, n), 0);
			close(fd);
		}
		rc = imap_subs_parse((const uint8_t *)rows[i].in, n, &subs,
				     &skipped, &error);
		if (rows[i].names == NULL) {
			if (rc != -1)
				fail_msg("row %zu accepted", i);
			assert_int_equal(subs.count, 0);
			continue;
		}
		if (rc != 0)
			fail_msg("row %zu: %s", i, error);
		joined(&subs, names, sizeof(names));
		assert_string_equal(names, rows[i].names);
		assert_int_equal(skipped, rows[i].skipped);
		buf_init(&out, IMAP_SUBS_FILE_MAX);
		imap_subs_format(&subs, &out);
		assert_int_equal(imap_subs_parse(out.data, out.len, &again,
						 &skipped, &error),
				 0);
		assert_int_equal(skipped, 0);
		assert_int_equal(again.count, subs.count);
		imap_subs_deinit(&again);
		buf_deinit(&out);
		imap_subs_deinit(&subs);
	}
}

/* test_add_remove - the list operations and the file */
static void
test_add_remove(void **state)
{
	struct imap_subs subs;
	char dir[256], names[256];
	const char *error;
	int root;

	(void)state;
	memset(&subs, 0, sizeof(subs));
	assert_true(imap_subs_add(&subs, "INBOX"));
	assert_true(imap_subs_add(&subs, "Sent"));
	assert_false(imap_subs_add(&subs, "Sent"));
	assert_true(imap_subs_has(&subs, "Sent"));
	assert_true(imap_subs_remove(&subs, "INBOX"));
	assert_false(imap_subs_remove(&subs, "INBOX"));
	testlib_tmpdir(dir, sizeof(dir), "test_subs");
	root = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(root >= 0);
	assert_int_equal(imap_subs_write(root, &subs, &error), 0);
	imap_subs_deinit(&subs);
	assert_int_equal(imap_subs_read(root, &subs, &error), 1);
	joined(&subs, names, sizeof(names));
	assert_string_equal(names, "Sent");
	imap_subs_deinit(&subs);
	close(root);
	testlib_rmtree(dir);
}

static const struct {
	const char *pattern, *name;
	bool match;
} patterns[] = {
    {"*", "INBOX", true},
    {"*", "A.B.C", true},
    {"%", "A", true},
    {"%", "A.B", false},
    {"A.%", "A.B", true},
    {"A.%", "A.B.C", false},
    {"A.*", "A.B.C", true},
    {"A*", "A", true},
    {"A*C", "A.B.C", true},
    {"A%C", "A.B.C", false},
    {"%.%", "A.B", true},
    {"inbox", "INBOX", true},
    {"InBoX", "INBOX", true},
    {"inbox", "Inbox2", false},
    {"sent", "Sent", false},
    {"", "INBOX", false},
    {"Sent", "Sent", true},
    {"Sen", "Sent", false},
    {"**%%**", "A.B", true},
    {"*.*.*", "A.B", false},
};

/* test_list_match - LIST wildcards */
static void
test_list_match(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (imapd_list_match(patterns[i].pattern, patterns[i].name) !=
		    patterns[i].match)
			fail_msg("\"%s\" against \"%s\"", patterns[i].pattern,
				 patterns[i].name);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_parse, testlib_setup,
					    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_add_remove, testlib_setup,
					    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_list_match, testlib_setup,
					    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
