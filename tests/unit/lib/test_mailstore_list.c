/*
 * test_mailstore_list.c - unit tests for lib/mailstore_list.c: a table of
 * good and malformed UID list files (each malformed row names the line and
 * the reason), the round trip format(parse(x)) == x, every truncation of a
 * good file refused or accepted without a crash, and the limits (line
 * length, keywords, UIDs).
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mailstore_list.h"
#include "lib/mem.h"

struct row {
	const char *in;
	size_t line;		/* 0: must parse */
	const char *what;
};

#define HDR "mailroom-uidlist 1\nV 1700000000\nN 5\n"

static const struct row rows[] = {
	{ HDR, 0, NULL },
	{ HDR "K a $Forwarded\nK c Junk\n", 0, NULL },
	{ HDR "M 1 10 12 1700000000 1.M2P3.host,S=10\n"
	      "M 4 0 0 0 x y z\n", 0, NULL },
	{ HDR "K b x\nM 3 1 2 5 a\n", 0, NULL },
	{ "", 1, "header incomplete" },
	{ "mailroom-uidlist 1\n", 2, "header incomplete" },
	{ "mailroom-uidlist 2\nV 1\nN 1\n", 1, "not a version 1 UID list" },
	{ "mailroom-uidlist 1 \nV 1\nN 1\n", 1, "not a version 1 UID list" },
	{ "mailroom-uidlist 1\nV 0\nN 1\n", 2, "bad UIDVALIDITY record" },
	{ "mailroom-uidlist 1\nV 01\nN 1\n", 2, "bad UIDVALIDITY record" },
	{ "mailroom-uidlist 1\nV 4294967296\nN 1\n", 2,
	  "bad UIDVALIDITY record" },
	{ "mailroom-uidlist 1\nV\nN 1\n", 2, "bad UIDVALIDITY record" },
	{ "mailroom-uidlist 1\nN 1\nV 1\n", 2, "bad UIDVALIDITY record" },
	{ "mailroom-uidlist 1\nV 1\nN 1 \n", 3, "bad UIDNEXT record" },
	{ "mailroom-uidlist 1\nV 1\nN -1\n", 3, "bad UIDNEXT record" },
	{ HDR "M 1 1 1 1 a", 4, "last line has no LF" },
	{ HDR "M 5 1 1 1 a\n", 4, "UID not below UIDNEXT" },
	{ HDR "M 0 1 1 1 a\n", 4, "bad UID" },
	{ HDR "M 2 1 1 1 a\nM 2 1 1 1 b\n", 5, "UIDs not ascending" },
	{ HDR "M 3 1 1 1 a\nM 2 1 1 1 b\n", 5, "UIDs not ascending" },
	{ HDR "M 1 2 1 1 a\n", 4, "bad size" },
	{ HDR "M 1 1  1 1 a\n", 4, "bad size" },
	{ HDR "M 1 1 1 x a\n", 4, "bad date" },
	{ HDR "M 1 1 1 1 \n", 4, "bad base name" },
	{ HDR "M 1 1 1 1 a:2,S\n", 4, "bad base name" },
	{ HDR "M 1 1 1 1 .a\n", 4, "bad base name" },
	{ HDR "M 1 1 1 1 a/b\n", 4, "bad base name" },
	{ HDR "M 1 1 1 1 a\tb\n", 4, "bad base name" },
	{ HDR "M 1 1 1 1 a\nK a x\n", 5, "unknown record" },
	{ HDR "K A x\n", 4, "bad keyword letter" },
	{ HDR "K a \\Seen\n", 4, "bad keyword" },
	{ HDR "K a two words\n", 4, "bad keyword" },
	{ HDR "K a x\nK a y\n", 5, "duplicate keyword letter" },
	{ HDR "K a x\nK b X\n", 5, "duplicate keyword" },
	{ HDR "K c x\nK b y\n", 5, "keyword letters not ascending" },
	{ HDR "X 1\n", 4, "unknown record" },
	{ HDR "\n", 4, "unknown record" },
};

/* check_row - parse one row and compare */
static void
check_row(const struct row *r, size_t len)
{
	struct mailstore_list list;
	struct mailstore_list_error err;
	int rc = mailstore_list_parse((const uint8_t *)r->in, len, &list,
				      &err);

	if (r->line == 0) {
		struct buf out;

		if (rc != 0)
			fail_msg("row %s: line %zu: %s", r->in, err.line,
				 err.what);
		/* One spelling per value: formatting gives the input. */
		buf_init(&out, 1 << 20);
		mailstore_list_format(&list, &out);
		assert_int_equal(out.len, len);
		assert_memory_equal(out.data, r->in, len);
		buf_deinit(&out);
		mailstore_list_deinit(&list);
	} else {
		if (rc != -1)
			fail_msg("row %s parsed", r->in);
		assert_int_equal(err.line, r->line);
		assert_string_equal(err.what, r->what);
		assert_int_equal(list.count, 0);
	}
}

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check_row(&rows[i], strlen(rows[i].in));
}

static void
test_truncations(void **state)
{
	const char *good = HDR "K a x\nM 1 10 12 1700000000 a,S=10\n"
			       "M 4 3 4 7 b\n";
	size_t len = strlen(good), cut;

	(void)state;
	for (cut = 0; cut <= len; cut++) {
		struct mailstore_list list;
		struct mailstore_list_error err;
		int rc = mailstore_list_parse((const uint8_t *)good, cut,
					      &list, &err);

		/* Only cuts at line ends after the header parse. */
		if (rc == 0) {
			assert_true(cut == len || good[cut - 1] == '\n');
			mailstore_list_deinit(&list);
		}
	}
}

static void
test_limits(void **state)
{
	struct mailstore_list list;
	struct mailstore_list_error err;
	struct buf b;
	char line[600];
	int i;

	(void)state;
	/* A base name of 255 octets fits the line limit; 256 does not. */
	buf_init(&b, 1 << 20);
	buf_append_str(&b, "mailroom-uidlist 1\nV 1\nN 4294967295\n");
	memset(line, 'a', sizeof(line));
	buf_printf(&b, "M 4294967294 1099511627776 2199023255552 "
		       "1099511627776 %.*s\n",
		   255, line);
	assert_int_equal(mailstore_list_parse(b.data, b.len, &list, &err), 0);
	assert_int_equal(list.entries[0].uid, 4294967294u);
	mailstore_list_deinit(&list);
	buf_reset(&b);
	buf_append_str(&b, "mailroom-uidlist 1\nV 1\nN 9\n");
	buf_printf(&b, "M 1 1 1 1 %.*s\n", 256, line);
	assert_int_equal(mailstore_list_parse(b.data, b.len, &list, &err),
			 -1);
	assert_string_equal(err.what, "bad base name");
	buf_reset(&b);
	buf_append_str(&b, "mailroom-uidlist 1\nV 1\nN 9\n");
	buf_printf(&b, "M 1 1 1 1 %.*s\n", 520, line);
	assert_int_equal(mailstore_list_parse(b.data, b.len, &list, &err),
			 -1);
	assert_string_equal(err.what, "line too long");
	/* Sizes past MAILSTORE_SIZE_MAX. */
	buf_reset(&b);
	buf_append_str(&b, "mailroom-uidlist 1\nV 1\nN 9\n"
			   "M 1 1099511627777 1099511627777 1 a\n");
	assert_int_equal(mailstore_list_parse(b.data, b.len, &list, &err),
			 -1);
	assert_string_equal(err.what, "bad size");
	/* NUL inside a line. */
	buf_reset(&b);
	{
		static const char nul[] =
			"mailroom-uidlist 1\nV 1\nN 9\nM 1 1 1 1 a\0b\n";

		buf_append(&b, nul, sizeof(nul) - 1);
	}
	assert_int_equal(mailstore_list_parse(b.data, b.len, &list, &err),
			 -1);
	assert_string_equal(err.what, "NUL in line");
	/* 26 keywords are fine. */
	buf_reset(&b);
	buf_append_str(&b, "mailroom-uidlist 1\nV 1\nN 9\n");
	for (i = 0; i < 26; i++)
		buf_printf(&b, "K %c k%d\n", 'a' + i, i);
	assert_int_equal(mailstore_list_parse(b.data, b.len, &list, &err), 0);
	assert_string_equal(list.keywords[25], "k25");
	mailstore_list_deinit(&list);
	buf_deinit(&b);
	assert_false(mailstore_list_keyword_is_valid("", 0));
	assert_false(mailstore_list_keyword_is_valid("a]", 2));
	assert_true(mailstore_list_keyword_is_valid("$Label1", 7));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_truncations,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_limits, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
