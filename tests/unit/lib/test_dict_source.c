/*
 * test_dict_source.c - unit tests for lib/dict_source.c.
 *
 * One table of inputs, good and malformed rows together. Each row is fed
 * whole, one byte at a time and split at every offset (all three must give
 * the same entries and the same error), and cut short at every offset
 * (success or a clean error naming the file and line, never a crash).
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/dict_source.h"
#include "lib/mem.h"

/* Inputs above this size are split at sampled offsets only. */
#define TEST_SPLIT_ALL_MAX 2048

/* Collected output of one parse. */
struct result {
	struct buf out;		/* "key=value@line\n" per entry */
	int rc;
	char *error;
};

/* One table row. */
struct row {
	const char *name;
	enum dict_syntax syntax;
	int flags;
	const char *in;
	size_t in_len;		/* 0: strlen(in) */
	const struct dict_source_limits *limits; /* NULL: defaults */
	int rc;
	const char *out;	/* expected entries (rc 0) */
	const char *error;	/* expected error substring (rc -1) */
	const char *warn;	/* expected warning substring, or NULL */
};

static const struct dict_source_limits small_limits = {
	.max_line = 40, .max_key = 8, .max_value = 12, .max_entries = 2,
};

#define MAP DICT_SYNTAX_MAP
#define ALI DICT_SYNTAX_ALIASES
#define FOLD DICT_FLAG_FOLD_CASE

static const struct row rows[] = {
	{ "comments and blanks", MAP, FOLD,
	  "# comment\n\nfoo bar\n  # indented comment\n \t \nBaz  qux quux  \n",
	  0, NULL, 0, "foo=bar@3\nbaz=qux quux@6\n", NULL, NULL },
	{ "continuations", MAP, FOLD, "a b\n c\n\td  e\nf g", 0, NULL, 0,
	  "a=b c d  e@1\nf=g@4\n", NULL, NULL },
	{ "continuation after blank and comment", MAP, FOLD,
	  "a b\n\n# x\n c\n", 0, NULL, 0, "a=b c@1\n", NULL, NULL },
	{ "no folding", MAP, 0, "Foo Bar\n", 0, NULL, 0, "Foo=Bar@1\n", NULL,
	  NULL },
	{ "duplicate, first wins", MAP, FOLD, "a 1\nA 2\nb 3\n", 0, NULL, 0,
	  "a=1@1\nb=3@3\n", NULL,
	  "t, line 2: duplicate entry: \"a\", keeping the one on line 1" },
	{ "no duplicate without folding", MAP, 0, "a 1\nA 2\n", 0, NULL, 0,
	  "a=1@1\nA=2@2\n", NULL, NULL },
	{ "missing value", MAP, FOLD, "a b\nkey\nc d\n", 0, NULL, -1, NULL,
	  "t, line 2: missing value for key \"key\"", NULL },
	{ "missing value, trailing blanks", MAP, FOLD, "key  \t\n", 0, NULL,
	  -1, NULL, "t, line 1: missing value", NULL },
	{ "continuation first", MAP, FOLD, " a b\n", 0, NULL, -1, NULL,
	  "t, line 1: continuation line without an entry before it", NULL },
	{ "NUL byte", MAP, FOLD, "a b\nc\0d e\n", 11, NULL, -1, NULL,
	  "t, line 2: NUL byte in line", NULL },
	{ "NUL byte in comment", MAP, FOLD, "#\0\n", 3, NULL, -1, NULL,
	  "t, line 1: NUL byte", NULL },
	{ "control character", MAP, FOLD, "a b\001c\n", 0, NULL, -1, NULL,
	  "t, line 1: control character 0x01 in line", NULL },
	{ "bare CR inside", MAP, FOLD, "a b\rc\n", 0, NULL, -1, NULL,
	  "t, line 1: control character 0x0d", NULL },
	{ "CRLF lines", MAP, FOLD, "a b\r\nc d\r\n", 0, NULL, 0,
	  "a=b@1\nc=d@2\n", NULL, NULL },
	{ "empty input", MAP, FOLD, "", 0, NULL, 0, "", NULL, NULL },
	{ "only a comment", MAP, FOLD, "# x", 0, NULL, 0, "", NULL, NULL },
	{ "8-bit text kept", MAP, FOLD, "\xc3\x89X v\xc3\xa9\n", 0, NULL, 0,
	  "\xc3\x89x=v\xc3\xa9@1\n", NULL, NULL },
	{ "hash inside value", MAP, FOLD, "a b # c\n", 0, NULL, 0,
	  "a=b # c@1\n", NULL, NULL },
	{ "colon in map key", MAP, FOLD, "a:b c\n", 0, NULL, 0, "a:b=c@1\n",
	  NULL, NULL },
	{ "stop from callback", MAP, FOLD, "a 1\nstop 2\nc 3\n", 0, NULL, -1,
	  NULL, "t, line 2: entry not stored", NULL },
	{ "too many entries", MAP, FOLD, "a 1\nb 2\nc 3\n", 0, &small_limits,
	  -1, NULL, "t, line 3: too many entries (more than 2)", NULL },
	{ "duplicates do not count", MAP, FOLD, "a 1\na 2\nb 3\n", 0,
	  &small_limits, 0, "a=1@1\nb=3@3\n", NULL, "duplicate entry" },
	{ "key too long", MAP, FOLD, "abcdefghi v\n", 0, &small_limits, -1,
	  NULL, "t, line 1: key too long (more than 8 octets)", NULL },
	{ "key at limit", MAP, FOLD, "abcdefgh v\n", 0, &small_limits, 0,
	  "abcdefgh=v@1\n", NULL, NULL },
	{ "value too long", MAP, FOLD, "k 1234567890123\n", 0, &small_limits,
	  -1, NULL, "t, line 1: value too long (more than 12 octets)", NULL },
	{ "line too long", MAP, FOLD,
	  "k 12\nk2 12345678901234567890123456789012345678\n", 0,
	  &small_limits, -1, NULL, "t, line 2: line too long (more than 40",
	  NULL },
	{ "NUL past the line limit", MAP, FOLD,
	  "k 12345678901234567890123456789012345678\0\n", 42, &small_limits,
	  -1, NULL, "t, line 1: line too long", NULL },
	{ "NUL within the line limit", MAP, FOLD,
	  "k 1234567890123456789012345678901234567\0\n", 41, &small_limits,
	  -1, NULL, "t, line 1: NUL byte in line", NULL },
	{ "line too long by trailing blanks", MAP, FOLD,
	  "k 1                                        \n", 0, &small_limits,
	  -1, NULL, "t, line 1: line too long", NULL },
	{ "entry too long", MAP, FOLD,
	  "k 1234567890\n 12345678901234567890\n 1234567890\n", 0,
	  &small_limits, -1, NULL,
	  "t, line 3: entry starting on line 1 too long (more than 40", NULL },
	{ "aliases", ALI, 0,
	  "postmaster: root\nRoot: joe, \"|/bin/cmd arg\"\n  , mary\n", 0,
	  NULL, 0, "postmaster=root@1\nroot=joe, \"|/bin/cmd arg\" , mary@2\n",
	  NULL, NULL },
	{ "aliases name with blank before colon", ALI, 0, "a :  b\n", 0, NULL,
	  0, "a=b@1\n", NULL, NULL },
	{ "aliases quoted name", ALI, 0, "\"John Doe\": john\n", 0, NULL, 0,
	  "john doe=john@1\n", NULL, NULL },
	{ "aliases quoted name with escape", ALI, 0, "\"a\\\"b:\" : x\n", 0,
	  NULL, 0, "a\"b:=x@1\n", NULL, NULL },
	{ "aliases quoted tab", ALI, 0, "\"a\tb\": x\n", 0, NULL, -1, NULL,
	  "t, line 1: control character in key", NULL },
	{ "aliases missing colon", ALI, 0, "a: b\nfoo bar\n", 0, NULL, -1,
	  NULL, "t, line 2: missing ':' after alias name", NULL },
	{ "aliases missing value", ALI, 0, "a:\n", 0, NULL, -1, NULL,
	  "t, line 1: missing value for alias \"a\"", NULL },
	{ "aliases unterminated quote", ALI, 0, "\"abc: x\n", 0, NULL, -1,
	  NULL, "t, line 1: unterminated quoted alias name", NULL },
	{ "aliases backslash at end", ALI, 0, "\"abc\\", 0, NULL, -1, NULL,
	  "t, line 1: unterminated quoted alias name", NULL },
	{ "aliases empty quoted name", ALI, 0, "\"\": x\n", 0, NULL, -1, NULL,
	  "t, line 1: empty alias name", NULL },
	{ "aliases blank in name", ALI, 0, "a b: c\n", 0, NULL, -1, NULL,
	  "t, line 1: white space in alias name \"a b\" (quote the name)",
	  NULL },
	{ "aliases empty name", ALI, 0, ": c\n", 0, NULL, -1, NULL,
	  "t, line 1: missing alias name before ':'", NULL },
	{ "aliases quoted name without colon", ALI, 0, "\"a\" b\n", 0, NULL,
	  -1, NULL, "t, line 1: missing ':' after alias name", NULL },
	{ "aliases duplicate", ALI, 0, "a: 1\n# c\nA: 2\n", 0, NULL, 0,
	  "a=1@1\n", NULL,
	  "t, line 3: duplicate entry: \"a\", keeping the one on line 1" },
	{ "aliases quoted name too long", ALI, 0, "\"abcdefghi\": x\n", 0,
	  &small_limits, -1, NULL, "t, line 1: alias name too long", NULL },
	{ "aliases name too long", ALI, 0, "abcdefghi: x\n", 0,
	  &small_limits, -1, NULL, "t, line 1: alias name too long", NULL },
};

/* collect - parser callback: append "key=value@line\n" */
static int
collect(void *ctx, const char *key, const char *value, size_t line)
{
	struct result *r = ctx;

	if (strcmp(key, "stop") == 0)
		return -1;
	buf_printf(&r->out, "%s=%s@%zu\n", key, value, line);
	return 0;
}

/* result_init - empty result */
static void
result_init(struct result *r)
{
	buf_init(&r->out, 1 << 20);
	r->rc = 0;
	r->error = NULL;
}

/* result_deinit - release a result */
static void
result_deinit(struct result *r)
{
	buf_deinit(&r->out);
	mem_free(&r->error);
}

/*
 * run_pieces - parse p in the pieces given by cuts (increasing end
 * offsets); the input ends at the last cut.
 */
static void
run_pieces(const struct row *row, const uint8_t *p, const size_t *cuts,
	   size_t cut_count, struct result *r)
{
	struct dict_source *src;
	const char *error = NULL;
	size_t i, start = 0;
	int rc = 0;

	src = dict_source_new(row->syntax, row->flags, "t", collect, r);
	if (row->limits != NULL)
		dict_source_set_limits(src, row->limits);
	for (i = 0; i < cut_count && rc == 0; i++) {
		rc = dict_source_feed(src, p + start, cuts[i] - start, &error);
		start = cuts[i];
	}
	if (rc == 0)
		rc = dict_source_finish(src, &error);
	r->rc = rc;
	if (rc < 0) {
		assert_non_null(error);
		r->error = mem_strdup(error);
	}
	dict_source_free(&src);
	assert_null(src);
}

/* check_same - two runs of one row agree */
static void
check_same(const struct row *row, const char *how, const struct result *a,
	   const struct result *b)
{
	if (a->rc != b->rc || a->out.len != b->out.len ||
	    (a->out.len > 0 && memcmp(a->out.data, b->out.data, a->out.len)) ||
	    (a->error != NULL && strcmp(a->error, b->error) != 0))
		fail_msg("%s: %s differs from whole", row->name, how);
}

/* check_row - every way of feeding one row */
static void
check_row(const struct row *row, const uint8_t *p, size_t n)
{
	struct result whole, other;
	size_t cuts[2], *bytes, i, step;

	/* Settle the previous row's log: the capture holds 256 lines. */
	testlib_log_check();
	if (row->warn != NULL)
		testlib_log_expect(row->warn);

	result_init(&whole);
	cuts[0] = n;
	run_pieces(row, p, cuts, 1, &whole);
	if (whole.rc != row->rc)
		fail_msg("%s: rc %d, error %s", row->name, whole.rc,
			 whole.error != NULL ? whole.error : "-");
	if (row->rc == 0 &&
	    strcmp(buf_cstr(&whole.out), row->out) != 0)
		fail_msg("%s: got \"%s\"", row->name, buf_cstr(&whole.out));
	if (row->rc < 0 && strstr(whole.error, row->error) == NULL)
		fail_msg("%s: error \"%s\"", row->name, whole.error);
	if (row->warn != NULL && !testlib_log_contains(row->warn))
		fail_msg("%s: no warning", row->name);

	/* The one-shot form gives the same (it has the default limits). */
	if (row->limits == NULL) {
		const char *error = NULL;

		result_init(&other);
		other.rc = dict_source_parse(p, n, row->syntax, row->flags,
					     "t", collect, &other, &error);
		if (other.rc < 0)
			other.error = mem_strdup(error);
		check_same(row, "dict_source_parse", &whole, &other);
		result_deinit(&other);
	}

	/* One byte at a time. */
	bytes = mem_alloc_array(n + 1, sizeof(*bytes));
	for (i = 0; i < n; i++)
		bytes[i] = i + 1;
	result_init(&other);
	run_pieces(row, p, bytes, n, &other);
	check_same(row, "byte by byte", &whole, &other);
	result_deinit(&other);
	mem_free(&bytes);

	/* Split at every offset, and cut short at every offset. */
	step = n > TEST_SPLIT_ALL_MAX ? n / 97 : 1;
	for (i = 0; i <= n; i += step) {
		cuts[0] = i;
		cuts[1] = n;
		result_init(&other);
		run_pieces(row, p, cuts, 2, &other);
		check_same(row, "split", &whole, &other);
		result_deinit(&other);

		result_init(&other);
		run_pieces(row, p, cuts, 1, &other);
		if (other.rc < 0 && strstr(other.error, "t, line ") == NULL)
			fail_msg("%s: truncated at %zu: \"%s\"", row->name, i,
				 other.error);
		result_deinit(&other);
	}
	result_deinit(&whole);
}

/* test_rows - the table */
static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *row = &rows[i];
		size_t n = row->in_len != 0 ? row->in_len : strlen(row->in);

		check_row(row, (const uint8_t *)row->in, n);
	}
}

/* big_row - check a generated input against the default limits */
static void
big_row(const char *name, const struct buf *in, int rc, const char *text)
{
	struct row row = {
		.name = name, .syntax = MAP, .flags = FOLD, .in = "",
		.rc = rc, .out = rc == 0 ? text : NULL,
		.error = rc < 0 ? text : NULL,
	};

	check_row(&row, in->data, in->len);
}

/* test_default_limits - the compiled-in limits, at and past the edge */
static void
test_default_limits(void **state)
{
	struct buf in, want;
	size_t i;

	(void)state;
	buf_init(&in, 4 * DICT_SOURCE_MAX_LINE);
	buf_init(&want, 4 * DICT_SOURCE_MAX_LINE);

	/* A line of exactly DICT_SOURCE_MAX_LINE octets. */
	buf_append_str(&in, "k ");
	for (i = 2; i < DICT_SOURCE_MAX_LINE; i++)
		buf_append_byte(&in, 'v');
	buf_append_byte(&in, '\n');
	buf_append_str(&want, "k=");
	buf_append(&want, in.data + 2, DICT_SOURCE_MAX_LINE - 2);
	buf_append_str(&want, "@1\n");
	big_row("line at limit", &in, 0, buf_cstr(&want));

	/* One octet more. */
	buf_reset(&in);
	buf_append_str(&in, "a b\nk ");
	for (i = 2; i < DICT_SOURCE_MAX_LINE + 1; i++)
		buf_append_byte(&in, 'v');
	buf_append_byte(&in, '\n');
	big_row("line past limit", &in, -1,
		"t, line 2: line too long (more than 65536 octets)");

	/* A key one octet too long. */
	buf_reset(&in);
	for (i = 0; i < DICT_SOURCE_MAX_KEY + 1; i++)
		buf_append_byte(&in, 'k');
	buf_append_str(&in, " v\n");
	big_row("key past limit", &in, -1,
		"t, line 1: key too long (more than 1024 octets)");

	/* Continuations that add up past the logical line limit. */
	buf_reset(&in);
	buf_append_str(&in, "k v\n");
	for (i = 0; i < 3; i++) {
		size_t j;

		buf_append_byte(&in, ' ');
		for (j = 0; j < DICT_SOURCE_MAX_LINE / 2; j++)
			buf_append_byte(&in, 'x');
		buf_append_byte(&in, '\n');
	}
	big_row("entry past limit", &in, -1,
		"t, line 3: entry starting on line 1 too long");

	buf_deinit(&in);
	buf_deinit(&want);
}

/* test_many_entries - the duplicate set grows and still finds keys */
static void
test_many_entries(void **state)
{
	struct buf in;
	struct result r;
	const char *error = NULL;
	size_t i;

	(void)state;
	buf_init(&in, 1 << 20);
	for (i = 0; i < 5000; i++)
		buf_printf(&in, "key%zu value%zu\n", i, i);
	buf_append_str(&in, "KEY4321 again\n");
	testlib_log_expect("t, line 5001: duplicate entry: \"key4321\", "
			   "keeping the one on line 4322");
	result_init(&r);
	r.rc = dict_source_parse(in.data, in.len, MAP, FOLD, "t", collect, &r,
				 &error);
	assert_int_equal(r.rc, 0);
	assert_true(testlib_log_contains("duplicate entry"));
	result_deinit(&r);
	buf_deinit(&in);
}

/* test_validators - the key and value rules dict_update relies on */
static void
test_validators(void **state)
{
	char big[DICT_SOURCE_MAX_KEY + 2];

	(void)state;
	assert_true(dict_source_is_valid_key("user@example.com"));
	assert_true(dict_source_is_valid_key("john doe"));
	assert_false(dict_source_is_valid_key(""));
	assert_false(dict_source_is_valid_key("a\tb"));
	assert_false(dict_source_is_valid_key("\001mailroom-dict-format"));
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_false(dict_source_is_valid_key(big));
	big[DICT_SOURCE_MAX_KEY] = '\0';
	assert_true(dict_source_is_valid_key(big));
	assert_true(dict_source_is_valid_value(""));
	assert_true(dict_source_is_valid_value("a\tb"));
	assert_false(dict_source_is_valid_value("a\r\nb"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_default_limits,
						testlib_setup, testlib_teardown),
		cmocka_unit_test_setup_teardown(test_many_entries,
						testlib_setup, testlib_teardown),
		cmocka_unit_test_setup_teardown(test_validators, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
