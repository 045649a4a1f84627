/*
 * test_addr.c - unit tests for lib/addr.c: one table of good and bad
 * paths and bare mailboxes, checked for result, error class, reply code
 * and canonical form.
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "lib/addr.h"
#include "lib/mem.h"

#define PATH true
#define BARE false
#define NULLP ADDR_F_NULL_OK
#define UTF8 ADDR_F_UTF8
#define SND ADDR_F_SENDER
#define PM ADDR_F_POSTMASTER

/*
 * One row: input (len 0 means strlen), path or bare, flags; then the
 * expected error kind, and on success local, domain and addr_format's
 * output; on failure the reply code and enhanced code.
 */
struct addr_row {
	const char *in;
	size_t len;
	bool path;
	int flags;
	enum addr_error_kind kind;
	const char *local;
	const char *domain;
	const char *formatted;
	int code;
	const char *enhanced;
};

/* Inputs built at run time (long ones). */
static char long_local[80], long_domain[300], long_path[300], ok_local[80];
static char long_label[100], ok_path[300];

static const struct addr_row rows[] = {
    /* plain */
    {"<user@example.com>", 0, PATH, 0, ADDR_ERR_NONE, "user", "example.com",
     "user@example.com", 0, NULL},
    {"<User.Name+tag@Example.COM>", 0, PATH, 0, ADDR_ERR_NONE, "User.Name+tag",
     "example.com", "User.Name+tag@example.com", 0, NULL},
    {"<a!#$%&'*+-/=?^_`{|}~@x.y>", 0, PATH, 0, ADDR_ERR_NONE,
     "a!#$%&'*+-/=?^_`{|}~", "x.y", "a!#$%&'*+-/=?^_`{|}~@x.y", 0, NULL},
    /* null path */
    {"<>", 0, PATH, NULLP, ADDR_ERR_NONE, NULL, NULL, "", 0, NULL},
    {"<>", 0, PATH, 0, ADDR_ERR_NULL, NULL, NULL, NULL, 501, "5.1.3"},
    {"<> ", 0, PATH, NULLP, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501, "5.1.3"},
    /* source routes: accepted, dropped */
    {"<@a.example,@b.example:user@dom.example>", 0, PATH, 0, ADDR_ERR_NONE,
     "user", "dom.example", "user@dom.example", 0, NULL},
    {"<@a.example:user@dom.example>", 0, PATH, 0, ADDR_ERR_NONE, "user",
     "dom.example", "user@dom.example", 0, NULL},
    {"<@a.example,b.example:user@dom.example>", 0, PATH, 0, ADDR_ERR_SYNTAX,
     NULL, NULL, NULL, 501, "5.1.3"},
    {"<@a.example user@dom.example>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL,
     NULL, 501, "5.1.3"},
    {"<@-bad:user@dom.example>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL,
     501, "5.1.3"},
    /* quoted local parts */
    {"<\"john doe\"@example.com>", 0, PATH, 0, ADDR_ERR_NONE, "john doe",
     "example.com", "\"john doe\"@example.com", 0, NULL},
    {"<\"a\\\"b\\\\c\"@example.com>", 0, PATH, 0, ADDR_ERR_NONE, "a\"b\\c",
     "example.com", "\"a\\\"b\\\\c\"@example.com", 0, NULL},
    {"<\"plain\"@example.com>", 0, PATH, 0, ADDR_ERR_NONE, "plain",
     "example.com", "plain@example.com", 0, NULL},
    {"<\"\"@example.com>", 0, PATH, 0, ADDR_ERR_NONE, "", "example.com",
     "\"\"@example.com", 0, NULL},
    {"<\"a..b\"@example.com>", 0, PATH, 0, ADDR_ERR_NONE, "a..b", "example.com",
     "\"a..b\"@example.com", 0, NULL},
    {"<\"unterminated@example.com>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL,
     NULL, 501, "5.1.3"},
    {"<\"a\tb\"@example.com>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL,
     501, "5.1.3"},
    {"<\"a\\\x01\"@example.com>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL,
     501, "5.1.3"},
    /* dot-string errors */
    {"<a..b@example.com>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<.a@example.com>", 0, PATH, SND, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.7"},
    {"<a.@example.com>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<a b@example.com>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<@example.com>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    /* domains */
    {"<u@a-b.c_d.example>", 0, PATH, 0, ADDR_ERR_NONE, "u", "a-b.c_d.example",
     "u@a-b.c_d.example", 0, NULL},
    {"<u@c_d.example>", 0, PATH, ADDR_F_STRICT, ADDR_ERR_SYNTAX, NULL, NULL,
     NULL, 501, "5.1.3"},
    {"<u@-a.example>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<u@a-.example>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<u@example.com.>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<u@a..b>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501, "5.1.3"},
    {"<u@>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501, "5.1.3"},
    {"<u@exa mple.com>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<u@localhost>", 0, PATH, 0, ADDR_ERR_NONE, "u", "localhost",
     "u@localhost", 0, NULL},
    {"<u@123.example>", 0, PATH, 0, ADDR_ERR_NONE, "u", "123.example",
     "u@123.example", 0, NULL},
    /* address literals */
    {"<u@[192.0.2.1]>", 0, PATH, 0, ADDR_ERR_NONE, "u", "[192.0.2.1]",
     "u@[192.0.2.1]", 0, NULL},
    {"<u@[256.0.0.1]>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<u@[1.2.3]>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<u@[1.2.3.4.5]>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<u@[IPv6:2001:DB8::1]>", 0, PATH, 0, ADDR_ERR_NONE, "u",
     "[IPv6:2001:db8::1]", "u@[IPv6:2001:db8::1]", 0, NULL},
    {"<u@[ipv6:::ffff:192.0.2.1]>", 0, PATH, 0, ADDR_ERR_NONE, "u",
     "[IPv6:::ffff:192.0.2.1]", "u@[IPv6:::ffff:192.0.2.1]", 0, NULL},
    {"<u@[IPv6:2001:db8::1::2]>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL,
     501, "5.1.3"},
    {"<u@[IPv6:1.2.3.4]>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<u@[x-tag:abc]>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<u@[192.0.2.1>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    /* Postmaster without domain */
    {"<Postmaster>", 0, PATH, PM, ADDR_ERR_NONE, "Postmaster", NULL,
     "Postmaster", 0, NULL},
    {"<POSTMASTER>", 0, PATH, PM, ADDR_ERR_NONE, "POSTMASTER", NULL,
     "POSTMASTER", 0, NULL},
    {"<Postmaster>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<\"Postmaster\">", 0, PATH, PM, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<user>", 0, PATH, PM, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501, "5.1.3"},
    /* brackets and junk */
    {"user@example.com", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<user@example.com", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<user@example.com>x", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<<user@example.com>>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"", 0, PATH, NULLP, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501, "5.1.3"},
    {"<", 0, PATH, NULLP, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501, "5.1.3"},
    {"<u\0x@example.com>", 18, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<u@exam\0ple.com>", 16, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"<\"a\0b\"@example.com>", 19, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL,
     501, "5.1.3"},
    /* UTF-8 (RFC 6531) */
    {"<pel\xc3\xa9@example.com>", 0, PATH, UTF8, ADDR_ERR_NONE, "pel\xc3\xa9",
     "example.com", "pel\xc3\xa9@example.com", 0, NULL},
    {"<pel\xc3\xa9@example.com>", 0, PATH, SND, ADDR_ERR_UTF8, NULL, NULL, NULL,
     553, "5.6.7"},
    {"<u@\xe4\xbe\x8b\xe3\x81\x88.jp>", 0, PATH, UTF8, ADDR_ERR_NONE, "u",
     "\xe4\xbe\x8b\xe3\x81\x88.jp", "u@\xe4\xbe\x8b\xe3\x81\x88.jp", 0, NULL},
    {"<u@\xe4\xbe\x8b.jp>", 0, PATH, 0, ADDR_ERR_UTF8, NULL, NULL, NULL, 553,
     "5.6.7"},
    {"<\"\xc3\xa9 x\"@example.com>", 0, PATH, UTF8, ADDR_ERR_NONE, "\xc3\xa9 x",
     "example.com", "\"\xc3\xa9 x\"@example.com", 0, NULL},
    {"<a\xc3@example.com>", 0, PATH, UTF8, ADDR_ERR_SYNTAX, NULL, NULL, NULL,
     501, "5.1.3"}, /* truncated sequence */
    {"<a\xc0\xaf@example.com>", 0, PATH, UTF8, ADDR_ERR_SYNTAX, NULL, NULL,
     NULL, 501, "5.1.3"}, /* overlong "/" */
    {"<a\xed\xa0\x80@example.com>", 0, PATH, UTF8, ADDR_ERR_SYNTAX, NULL, NULL,
     NULL, 501, "5.1.3"}, /* surrogate */
    {"<a\xf4\x90\x80\x80@example.com>", 0, PATH, UTF8, ADDR_ERR_SYNTAX, NULL,
     NULL, NULL, 501, "5.1.3"}, /* > U+10FFFF */
    {"<a\xff@example.com>", 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    /* limits (inputs filled in by fill_long) */
    {ok_local, 0, PATH, 0, ADDR_ERR_NONE, NULL, NULL, NULL, 0, NULL},
    {long_local, 0, PATH, 0, ADDR_ERR_TOO_LONG, NULL, NULL, NULL, 553, "5.1.3"},
    {long_domain, 0, PATH, SND, ADDR_ERR_TOO_LONG, NULL, NULL, NULL, 553,
     "5.1.7"},
    {long_path, 0, PATH, 0, ADDR_ERR_TOO_LONG, NULL, NULL, NULL, 501, "5.1.3"},
    {ok_path, 0, PATH, 0, ADDR_ERR_NONE, NULL, NULL, NULL, 0, NULL},
    {long_label, 0, PATH, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501, "5.1.3"},
    /* bare mailboxes */
    {"user@Example.COM", 0, BARE, 0, ADDR_ERR_NONE, "user", "example.com",
     "user@example.com", 0, NULL},
    {"user", 0, BARE, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501, "5.1.3"},
    {"user", 0, BARE, ADDR_F_NO_DOMAIN, ADDR_ERR_NONE, "user", NULL, "user", 0,
     NULL},
    {"\"a b\"", 0, BARE, ADDR_F_NO_DOMAIN, ADDR_ERR_NONE, "a b", NULL,
     "\"a b\"", 0, NULL},
    {"<user@example.com>", 0, BARE, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"user@example.com junk", 0, BARE, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL,
     501, "5.1.3"},
    {"", 0, BARE, ADDR_F_NO_DOMAIN, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
    {"@a:user@example.com", 0, BARE, 0, ADDR_ERR_SYNTAX, NULL, NULL, NULL, 501,
     "5.1.3"},
};

/* fill_long - build the limit rows */
static void
fill_long(void)
{
	size_t i;

	/* 64-octet local part: fits; 65: too long. */
	memset(ok_local, 0, sizeof(ok_local));
	ok_local[0] = '<';
	memset(ok_local + 1, 'l', ADDR_LOCAL_MAX);
	memcpy(ok_local + 1 + ADDR_LOCAL_MAX, "@x.example>", 11);
	memset(long_local, 0, sizeof(long_local));
	long_local[0] = '<';
	memset(long_local + 1, 'l', ADDR_LOCAL_MAX + 1);
	memcpy(long_local + 2 + ADDR_LOCAL_MAX, "@x.example>", 11);
	/* 256-octet domain of 63-octet labels: too long. */
	memset(long_domain, 0, sizeof(long_domain));
	memcpy(long_domain, "<u@", 3);
	for (i = 0; i < 256; i++)
		long_domain[3 + i] = (i % 64 == 63) ? '.' : 'd';
	long_domain[3 + 256] = '>';
	/* A path of 257 octets with legal parts: 64 + "@" + 190 + "<>". */
	memset(long_path, 0, sizeof(long_path));
	long_path[0] = '<';
	memset(long_path + 1, 'l', 64);
	long_path[65] = '@';
	for (i = 0; i < 190; i++)
		long_path[66 + i] = (i % 60 == 59) ? '.' : 'd';
	long_path[66 + 190] = '>';
	/* 256 octets exactly: fits. */
	memcpy(ok_path, long_path, sizeof(ok_path));
	memmove(ok_path + 65 + 189, ok_path + 65 + 190, 2);
	ok_path[66 + 190] = '\0';
	memset(long_label, 0, sizeof(long_label));
	memcpy(long_label, "<u@", 3);
	memset(long_label + 3, 'x', ADDR_LABEL_MAX + 1);
	memcpy(long_label + 3 + ADDR_LABEL_MAX + 1, ".example>", 9);
}

static void
test_table(void **state)
{
	size_t i;

	(void)state;
	fill_long();
	assert_int_equal(strlen(ok_path), ADDR_PATH_MAX);
	assert_int_equal(strlen(long_path), ADDR_PATH_MAX + 1);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct addr_row *r = &rows[i];
		size_t len = r->len != 0 ? r->len : strlen(r->in);
		struct addr a;
		struct addr_error err;
		int ret;

		if (r->path)
			ret = addr_parse_path((const uint8_t *)r->in, len,
			                      r->flags, NULL, &a, &err);
		else
			ret = addr_parse_bare((const uint8_t *)r->in, len,
			                      r->flags, NULL, &a, &err);
		if (err.kind != r->kind || (ret == 0) != (r->kind == 0))
			fail_msg("row %zu (%s): kind %d ret %d (%s)", i, r->in,
			         err.kind, ret, err.text);
		if (ret < 0) {
			assert_null(a.local);
			assert_null(a.domain);
			if (err.code != r->code ||
			    strcmp(err.enhanced, r->enhanced) != 0)
				fail_msg("row %zu (%s): %d %s", i, r->in,
				         err.code, err.enhanced);
			continue;
		}
		if (r->formatted != NULL) {
			char *f = addr_format(&a);

			if (strcmp(f, r->formatted) != 0)
				fail_msg("row %zu: formatted %s", i, f);
			mem_free(&f);
			if (r->local == NULL)
				assert_null(a.local);
			else
				assert_string_equal(a.local, r->local);
			if (r->domain == NULL)
				assert_null(a.domain);
			else
				assert_string_equal(a.domain, r->domain);
		}
		addr_deinit(&a);
		assert_true(addr_is_null(&a));
	}
}

static void
test_used(void **state)
{
	static const char in[] = "<\"a >b\"@x.example> SIZE=10";
	struct addr a;
	struct addr_error err;
	size_t used = 0;

	(void)state;
	/* A quoted ">" does not end the path. */
	assert_int_equal(addr_parse_path((const uint8_t *)in, strlen(in), 0,
	                                 &used, &a, &err),
	                 0);
	assert_int_equal(used, 18);
	assert_string_equal(a.local, "a >b");
	addr_deinit(&a);
	assert_int_equal(addr_parse_bare((const uint8_t *)"u@x.example z", 13,
	                                 0, &used, &a, &err),
	                 0);
	assert_int_equal(used, 11);
	assert_false(addr_has_8bit(&a));
	addr_deinit(&a);
}

static void
test_domain_check(void **state)
{
	(void)state;
	assert_true(
	    addr_is_valid_domain((const uint8_t *)"mail.example", 12, 0));
	assert_true(addr_is_valid_domain((const uint8_t *)"[10.0.0.1]", 10, 0));
	assert_false(addr_is_valid_domain((const uint8_t *)"my host", 7, 0));
	assert_false(addr_is_valid_domain((const uint8_t *)"", 0, 0));
	assert_false(
	    addr_is_valid_domain((const uint8_t *)"a_b", 3, ADDR_F_STRICT));
	assert_true(addr_is_valid_domain((const uint8_t *)"a_b", 3, 0));
}

static void
test_utf8_seq(void **state)
{
	(void)state;
	assert_int_equal(addr_utf8_seq_len((const uint8_t *)"a", 1), 1);
	assert_int_equal(addr_utf8_seq_len((const uint8_t *)"\xc3\xa9", 2), 2);
	assert_int_equal(addr_utf8_seq_len((const uint8_t *)"\xc3", 1), 0);
	assert_int_equal(addr_utf8_seq_len((const uint8_t *)"\xc1\xbf", 2), 0);
	assert_int_equal(addr_utf8_seq_len((const uint8_t *)"\xe0\x9f\xbf", 3),
	                 0);
	assert_int_equal(
	    addr_utf8_seq_len((const uint8_t *)"\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(addr_utf8_seq_len((const uint8_t *)"\x80", 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_table, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_used, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_domain_check, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_utf8_seq, testlib_setup,
	                                    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
