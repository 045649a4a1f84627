/*
 * test_rfc5322_addr.c - unit tests for lib/rfc5322_addr.c (RFC 5322
 * address lists).
 *
 * One table: each row is a header value, the address limit, and either
 * the addresses expected (joined with "|") or the error kind. With
 * MR_RFC5322_ADDR_WRITE_CORPUS=DIR the rows are also written to DIR as the
 * seed corpus of tests/fuzz/fuzz_rfc5322_addr.c.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/io.h"
#include "lib/rfc5322_addr.h"

#define E_SYNTAX RFC5322_ADDR_ERR_SYNTAX
#define E_LONG RFC5322_ADDR_ERR_TOO_LONG
#define E_MANY RFC5322_ADDR_ERR_TOO_MANY

static const struct {
	const char *in;
	size_t max_count;
	enum rfc5322_addr_error_kind error;
	const char *out; /* addresses joined with "|" when no error */
} rows[] = {
    /* Plain lists. */
    {"", 10, 0, ""},
    {"   ", 10, 0, ""},
    {"a@example.com", 10, 0, "a@example.com"},
    {"a@example.com, b@example.org", 10, 0, "a@example.com|b@example.org"},
    {"joe", 10, 0, "joe"},
    {"joe, ann", 10, 0, "joe|ann"},
    {"a@b,,c@d,", 10, 0, "a@b|c@d"}, /* obs-addr-list */
    {"first.last@sub.example.com", 10, 0, "first.last@sub.example.com"},
    {"a . b @ example . com", 10, 0, "a.b@example.com"}, /* obs CFWS */
    {"u@[192.0.2.1]", 10, 0, "u@[192.0.2.1]"},
    {"u@[IPv6:2001:db8::1]", 10, 0, "u@[IPv6:2001:db8::1]"},
    {"\"a b\"@example.com", 10, 0, "\"a b\"@example.com"},
    {"\"a\\\"b\"@example.com", 10, 0, "\"a\\\"b\"@example.com"},
    {"\"fold\r\n ed\"@x", 10, 0, "\"fold ed\"@x"},
    {"j\xc3\xb6rg@example.de", 10, 0, "j\xc3\xb6rg@example.de"},
    /* Display names, comments, folding. */
    {"Joe Q. Public <john.q.public@example.com>", 10, 0,
     "john.q.public@example.com"},
    {"\"Smith, John\" <js@example.com>, ann@x", 10, 0, "js@example.com|ann@x"},
    {"<a@b>", 10, 0, "a@b"},
    {"joe@x.com <joe@x.com>", 10, 0, "joe@x.com"},
    {"a@b (Ann (the) Admin)", 10, 0, "a@b"},
    {"(c)a(c)@(c)b(c)", 10, 0, "a@b"},
    {"(\\(escaped\\))a@b", 10, 0, "a@b"},
    {"Ann\r\n <a@b>,\r\n\tbob@c", 10, 0, "a@b|bob@c"},
    {"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", 10, 0,
     "pete@silly.test"},
    {"<@r1.example,@r2.example:u@d>", 10, 0, "u@d"}, /* obs-route */
    {"N\xc3\xa4me <u@d>", 10, 0, "u@d"},
    /* Groups. */
    {"undisclosed-recipients:;", 10, 0, ""},
    {"undisclosed-recipients: ;", 10, 0, ""},
    {"undisclosed-recipients:", 10, 0, ""}, /* lenient: no ";" */
    {"team: a@b, Bob <c@d>;, e@f", 10, 0, "a@b|c@d|e@f"},
    {"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;", 10, 0,
     "c@a.test|joe@where.test|jdoe@one.test"},
    {":a@b;", 10, 0, "a@b"},
    {"g: a@b;  (trailing)", 10, 0, "a@b"},
    /* Limits. */
    {"a@b, c@d", 1, E_MANY, NULL},
    {"a@b, c@d", 2, 0, "a@b|c@d"},
    {"g: a@b, c@d, e@f;", 2, E_MANY, NULL},
    {"((((((((((((((((((((((((((((((((x))))))))))))))))))))))))))))))))a@b", 10,
     0, "a@b"},
    {"(((((((((((((((((((((((((((((((((x)))))))))))))))))))))))))))))))))"
     "a@b",
     10, E_SYNTAX, NULL},
    /* Malformed. */
    {"John Smith", 10, E_SYNTAX, NULL},
    {"a@b@c", 10, E_SYNTAX, NULL},
    {"a@", 10, E_SYNTAX, NULL},
    {"@b", 10, E_SYNTAX, NULL},
    {"a.@b", 10, E_SYNTAX, NULL},
    {".a@b", 10, E_SYNTAX, NULL},
    {"a@b.", 10, E_SYNTAX, NULL},
    {"a@b..c", 10, E_SYNTAX, NULL},
    {"<>", 10, E_SYNTAX, NULL},
    {"Joe <a@b", 10, E_SYNTAX, NULL},
    {"Joe a@b>", 10, E_SYNTAX, NULL},
    {"Joe <a@b> extra", 10, E_SYNTAX, NULL},
    {"<a@b> <c@d>", 10, E_SYNTAX, NULL},
    {"a@b c@d", 10, E_SYNTAX, NULL},
    {"a@b; c@d", 10, E_SYNTAX, NULL},
    {"g1: g2: a@b;;", 10, E_SYNTAX, NULL},
    {"g: a@b c@d;", 10, E_SYNTAX, NULL},
    {"(unclosed a@b", 10, E_SYNTAX, NULL},
    {"a@b)", 10, E_SYNTAX, NULL},
    {"\"unclosed@b", 10, E_SYNTAX, NULL},
    {"\"bad\\", 10, E_SYNTAX, NULL},
    {"a@[1.2.3.4", 10, E_SYNTAX, NULL},
    {"a@[1.[2].3]", 10, E_SYNTAX, NULL},
    {"a\\b@c", 10, E_SYNTAX, NULL},
    {"a@b\x7f", 10, E_SYNTAX, NULL},
    {"a@b\x01", 10, E_SYNTAX, NULL},
    {"<@r1.example u@d>", 10, E_SYNTAX, NULL},
    {"<@r1.example:>", 10, E_SYNTAX, NULL},
    {"a@[1.2.3.4]x", 10, E_SYNTAX, NULL},
};

/* Rows with bytes a C string cannot hold: NUL inside. */
static const uint8_t nul_row[] = {'a', '@', 'b', '\0', 'c'};

/* join - the list as "a|b|c" */
static void
join(const struct rfc5322_addr_list *list, struct buf *out)
{
	size_t i;

	buf_reset(out);
	for (i = 0; i < list->count; i++) {
		if (i > 0)
			buf_append_byte(out, '|');
		buf_append_str(out, list->addrs[i]);
	}
}

/* corpus_write - dump a row for the fuzz seed corpus: max byte, input */
static void
corpus_write(const char *dir, size_t i, const char *in, size_t max_count)
{
	char path[4096];
	struct buf b;

	buf_init(&b, 1 + strlen(in));
	buf_append_byte(&b, (uint8_t)(max_count > 255 ? 255 : max_count));
	buf_append_str(&b, in);
	snprintf(path, sizeof(path), "%s/row%03zu", dir, i);
	assert_int_equal(io_atomic_replace(path, b.data, b.len, 0644), 0);
	buf_deinit(&b);
}

static void
test_table(void **state)
{
	const char *corpus = getenv("MR_RFC5322_ADDR_WRITE_CORPUS");
	struct buf got;
	size_t i;

	(void)state;
	buf_init(&got, 64 * 1024);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rfc5322_addr_list list;
		struct rfc5322_addr_error err;
		const char *in = rows[i].in;
		int ret;

		if (corpus != NULL)
			corpus_write(corpus, i, in, rows[i].max_count);
		rfc5322_addr_list_init(&list);
		ret = rfc5322_addr_list_parse(&list, (const uint8_t *)in,
		                              strlen(in), rows[i].max_count,
		                              &err);
		if (rows[i].error != 0) {
			if (ret != -1 || err.kind != rows[i].error)
				fail_msg("row %zu (%s): ret %d kind %d", i, in,
				         ret, (int)err.kind);
			assert_non_null(err.text);
			assert_true(err.offset <= strlen(in));
			assert_int_equal(list.count, 0);
		} else {
			if (ret != 0)
				fail_msg("row %zu (%s): %s at %zu", i, in,
				         err.text, err.offset);
			join(&list, &got);
			if (strcmp(buf_cstr(&got), rows[i].out) != 0)
				fail_msg("row %zu (%s): got \"%s\"", i, in,
				         buf_cstr(&got));
		}
		rfc5322_addr_list_deinit(&list);
	}
	buf_deinit(&got);
}

/* An address of RFC5322_ADDR_SPEC_MAX octets passes, one more does not. */
static void
test_too_long(void **state)
{
	struct rfc5322_addr_list list;
	struct rfc5322_addr_error err;
	char in[RFC5322_ADDR_SPEC_MAX + 2];

	(void)state;
	memset(in, 'a', sizeof(in));
	in[1] = '@';
	rfc5322_addr_list_init(&list);
	assert_int_equal(rfc5322_addr_list_parse(&list, (const uint8_t *)in,
	                                         RFC5322_ADDR_SPEC_MAX, 10,
	                                         &err),
	                 0);
	assert_int_equal(list.count, 1);
	assert_int_equal(strlen(list.addrs[0]), RFC5322_ADDR_SPEC_MAX);
	assert_int_equal(rfc5322_addr_list_parse(&list, (const uint8_t *)in,
	                                         RFC5322_ADDR_SPEC_MAX + 1, 10,
	                                         &err),
	                 -1);
	assert_int_equal(err.kind, RFC5322_ADDR_ERR_TOO_LONG);
	assert_int_equal(list.count, 1); /* unchanged on error */
	rfc5322_addr_list_deinit(&list);
}

/* Lists accumulate across calls; an error rolls back only its own call. */
static void
test_append_and_rollback(void **state)
{
	struct rfc5322_addr_list list;
	struct rfc5322_addr_error err;
	const char *good = "a@b, c@d", *bad = "e@f, John Smith";

	(void)state;
	rfc5322_addr_list_init(&list);
	assert_int_equal(rfc5322_addr_list_parse(&list, (const uint8_t *)good,
	                                         strlen(good), 3, &err),
	                 0);
	assert_int_equal(rfc5322_addr_list_parse(&list, (const uint8_t *)good,
	                                         strlen(good), 3, &err),
	                 -1);
	assert_int_equal(err.kind, RFC5322_ADDR_ERR_TOO_MANY);
	assert_int_equal(list.count, 2);
	assert_int_equal(rfc5322_addr_list_parse(&list, (const uint8_t *)bad,
	                                         strlen(bad), 100, &err),
	                 -1);
	assert_int_equal(err.kind, RFC5322_ADDR_ERR_SYNTAX);
	assert_int_equal(list.count, 2);
	assert_int_equal(
	    rfc5322_addr_list_parse(&list, nul_row, sizeof(nul_row), 100, &err),
	    -1);
	assert_int_equal(err.kind, RFC5322_ADDR_ERR_SYNTAX);
	assert_int_equal(err.offset, 3);
	assert_string_equal(list.addrs[1], "c@d");
	rfc5322_addr_list_deinit(&list);
	assert_int_equal(list.count, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_table, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_too_long, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_append_and_rollback,
	                                    testlib_setup, testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
