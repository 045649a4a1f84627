/*
 * test_mailstore_name.c - unit tests for lib/mailstore_name.c: message
 * file names (base, flags, keywords, ",S=", ",W=", time; names that are
 * not messages), flag letters in ASCII order, and folder names (modified
 * UTF-7, levels, INBOX, forbidden characters).
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "lib/mailstore_name.h"

struct name_row {
	const char *name;
	int rc;
	size_t base_len;
	uint32_t flags, keywords;
	int has_size, has_vsize;
	uint64_t size, vsize;
	int has_time;
	uint64_t time_s, time_sub;
};

#define F(c) MAILSTORE_FLAG_BIT(c)

static const struct name_row name_rows[] = {
	{ "1700000000.M123P4R5.host,S=42:2,FS", 0, 29, F('F') | F('S'), 0,
	  1, 0, 42, 0, 1, 1700000000, 123 },
	{ "1700000000.M123P4.host,S=42,W=44", 0, 32, 0, 0, 1, 1, 42, 44, 1,
	  1700000000, 123 },
	{ "x:2,Sab", 0, 1, F('S'), 3, 0, 0, 0, 0, 0, 0, 0 },
	{ "x:2,", 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "x:1,S", 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 },	/* not "2," */
	{ "x:2,S!Z", 0, 1, F('S') | F('Z'), 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "1.host", 0, 6, 0, 0, 0, 0, 0, 0, 1, 1, 0 },
	{ "12host", 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "x,S=,W=x", 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "x,S=12x", 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "x,S=1099511627777", 0, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "x,S=1099511627776", 0, 17, 0, 0, 1, 0, 1099511627776ull, 0, 0, 0,
	  0 },
	{ "", -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ ".hidden", -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ ":2,S", -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "a\tb", -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "a\x7f", -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
};

static void
test_file_names(void **state)
{
	struct mailstore_name mn;
	char longname[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(name_rows) / sizeof(name_rows[0]); i++) {
		const struct name_row *r = &name_rows[i];
		int rc = mailstore_name_parse(r->name, strlen(r->name), &mn);

		assert_int_equal(rc, r->rc);
		if (rc < 0)
			continue;
		assert_int_equal(mn.base_len, r->base_len);
		assert_int_equal(mn.flags, r->flags);
		assert_int_equal(mn.keywords, r->keywords);
		assert_int_equal(mn.has_size, r->has_size);
		assert_int_equal(mn.has_vsize, r->has_vsize);
		assert_int_equal(mn.size, r->size);
		assert_int_equal(mn.vsize, r->vsize);
		assert_int_equal(mn.has_time, r->has_time);
		assert_int_equal(mn.time_s, r->time_s);
		assert_int_equal(mn.time_sub, r->time_sub);
	}
	/* NUL and '/' inside, length limits: never past len. */
	assert_int_equal(mailstore_name_parse("a\0b", 3, &mn), -1);
	assert_int_equal(mailstore_name_parse("a/b", 3, &mn), -1);
	assert_int_equal(mailstore_name_parse("abc", 1, &mn), 0);
	assert_int_equal(mn.base_len, 1);
	memset(longname, 'a', sizeof(longname));
	assert_int_equal(mailstore_name_parse(longname, 255, &mn), 0);
	assert_int_equal(mailstore_name_parse(longname, 256, &mn), -1);
}

static void
test_flags_format(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(mailstore_name_flags_format(
				 F('S') | F('D') | F('T'), (1u << 25) | 1,
				 out, sizeof(out)),
			 5);
	assert_string_equal(out, "DSTaz");
	assert_int_equal(mailstore_name_flags_format(0, 0, out, sizeof(out)),
			 0);
	assert_string_equal(out, "");
	assert_int_equal(mailstore_name_flags_format(
				 MAILSTORE_LETTERS_MASK,
				 MAILSTORE_LETTERS_MASK, out, sizeof(out)),
			 52);
	/* Cut to the room given, still NUL-terminated. */
	assert_int_equal(mailstore_name_flags_format(F('A') | F('B'), 0, out,
						     2),
			 1);
	assert_string_equal(out, "A");
}

static const struct {
	const char *name;
	bool valid;
} folder_rows[] = {
	{ "Sent", true },
	{ "Archive.2024", true },
	{ "a b", true },
	{ "&-", true },				/* "&" */
	{ "Entw&APw-rfe", true },		/* "Entwürfe" */
	{ "&ZeVnLIqe-", true },			/* CJK */
	{ "&2D3cAA-", true },			/* U+1F600 (a pair) */
	{ "INBOXES", true },
	{ "Inbox2.x", true },
	{ "", false },
	{ ".Sent", false },
	{ "Sent.", false },
	{ "a..b", false },
	{ "INBOX", false },
	{ "inbox.sub", false },
	{ "a/b", false },
	{ "a\\b", false },
	{ "a*", false },
	{ "a%", false },
	{ "a\tb", false },
	{ "caf\xc3\xa9", false },		/* 8-bit: must be mUTF-7 */
	{ "&", false },
	{ "&AOQ", false },			/* not closed */
	{ "&AOQ=-", false },
	{ "&AEE-", false },			/* "A" encoded */
	{ "&2D0-", false },			/* lone high surrogate */
	{ "&3AA-", false },			/* lone low surrogate */
	{ "&AOR-", false },			/* padding bits set */
	{ "&AOQA-", false },			/* half a unit left */
	{ "&AO/-", false },			/* '/' is not modified base64 */
};

static void
test_folder_names(void **state)
{
	char name[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(folder_rows) / sizeof(folder_rows[0]); i++)
		if (mailstore_folder_name_is_valid(folder_rows[i].name) !=
		    folder_rows[i].valid)
			fail_msg("folder name \"%s\"", folder_rows[i].name);
	memset(name, 'x', sizeof(name));
	name[254] = '\0';
	assert_true(mailstore_folder_name_is_valid(name));
	name[254] = 'x';
	name[255] = '\0';
	assert_false(mailstore_folder_name_is_valid(name));
	assert_true(mailstore_folder_name_is_inbox("iNbOx"));
	assert_false(mailstore_folder_name_is_inbox("INBOX.x"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_names, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_flags_format,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_folder_names,
						testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
