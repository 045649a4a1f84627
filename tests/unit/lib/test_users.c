/*
 * test_users.c - unit tests for lib/users.c: the name rules (table of good
 * and bad names), add/lookup/verify/passwd/del/list round trips with both
 * hashing schemes, refused passwords and handles, malformed table values,
 * the hashing done for unknown users, and Maildir creation (modes,
 * idempotence, a planted symbolic link). Each test works in its own
 * mkdtemp directory under /tmp.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/dict.h"
#include "lib/mem.h"
#include "lib/users.h"

/* The temporary directory of the running test. */
static char tmpdir[64];

/* users_setup - capture the log and make the directory */
static int
users_setup(void **state)
{
	testlib_tmpdir(tmpdir, sizeof(tmpdir), "test_users");
	return testlib_setup(state);
}

/* users_teardown - remove the directory, check the log */
static int
users_teardown(void **state)
{
	testlib_rmtree(tmpdir);
	return testlib_teardown(state);
}

/* open_users - a handle on tmpdir/users with base tmpdir/mail */
static struct users *
open_users(enum users_scheme scheme)
{
	char *spec = mem_asprintf("hash:%s/users", tmpdir);
	char *base = mem_asprintf("%s/mail/", tmpdir);
	const char *error = NULL;
	struct users *u = users_new(spec, base, scheme, &error);

	if (u == NULL)
		fail_msg("users_new: %s", error);
	mem_free(&spec);
	mem_free(&base);
	return u;
}

/* One name and whether it is valid. */
struct name_row {
	const char *name;
	bool valid;
};

#define L64 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl"
#define D63 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk"

static const struct name_row name_rows[] = {
	{ "alice", true },
	{ "a", true },
	{ "alice.smith", true },
	{ "a_b+c-d9", true },
	{ "0", true },
	{ L64, true },
	{ "alice@example.com", true },
	{ "a@b", true },
	{ "a@x-y.example", true },
	{ "a@" D63 ".com", true },
	{ "a@" D63 "." D63 "." D63 "." D63 "x", false },	/* 256 */
	{ "a@" D63 "." D63 "." D63 "." "abcdefghijklmnopqrstuvwxyz"
	  "abcdefghijklmnopqrstuvwxyzabcdefghi", true },	/* 253 */
	{ "", false },
	{ "../x", false },
	{ "..", false },
	{ ".", false },
	{ "a/b", false },
	{ "/etc", false },
	{ ".hidden", false },
	{ "A@B", false },
	{ "Alice", false },
	{ L64 "m", false },
	{ "a..b", false },
	{ "alice.", false },
	{ "-rf", false },
	{ "a b", false },
	{ "a\tb", false },
	{ "a\nb", false },
	{ "\xc3\xa4", false },
	{ "a@", false },
	{ "@b", false },
	{ "a@b@c", false },
	{ "a@-b.com", false },
	{ "a@b-.com", false },
	{ "a@b..com", false },
	{ "a@.b", false },
	{ "a@b.com.", false },
	{ "a@b_c.com", false },
	{ "a@b/c", false },
	{ "a@..", false },
	{ "a@" D63 "x.com", false },
};

/* test_names - the name rules, one row each */
static void
test_names(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(name_rows) / sizeof(name_rows[0]); i++)
		if (users_is_valid_name(name_rows[i].name) !=
		    name_rows[i].valid)
			fail_msg("row %zu (%s): expected %s", i,
				 name_rows[i].name,
				 name_rows[i].valid ? "valid" : "invalid");
	assert_null(users_name_domain("alice"));
	assert_string_equal(users_name_domain("alice@example.com"),
			    "example.com");
}

/* collect - users_list callback appending "name maildir;" */
static int
collect(void *ctx, const struct users_entry *e)
{
	char *acc = ctx;
	size_t len = strlen(acc);

	snprintf(acc + len, 1024 - len, "%s %s;", e->name, e->maildir);
	return 0;
}

/* test_round_trip - add, lookup, verify, passwd, list, del */
static void
test_round_trip(void **state)
{
	struct users *u = open_users(USERS_SCHEME_YESCRYPT);
	struct users *u6 = open_users(USERS_SCHEME_SHA512);
	struct users_entry e, added;
	const char *error = NULL;
	char old_hash[USERS_HASH_MAX + 1], *want, acc[1024] = "";

	(void)state;
	/* No table yet: nobody, and an empty list. */
	assert_int_equal(users_lookup(u, "alice", &e, &error), 0);
	assert_int_equal(users_verify(u, "alice", "pw", &error), 0);
	assert_int_equal(users_list(u, collect, acc, &error), 0);
	assert_string_equal(acc, "");

	assert_int_equal(users_add(u, "Alice", "s3cret pw", &added, &error),
			 0);
	assert_string_equal(added.name, "alice");
	assert_int_equal(users_lookup(u, "ALICE", &e, &error), 1);
	assert_string_equal(e.name, "alice");
	assert_true(strncmp(e.hash, "$y$", 3) == 0);
	want = mem_asprintf("%s/mail/alice/Maildir/", tmpdir);
	assert_string_equal(e.maildir, want);
	mem_free(&want);
	assert_int_equal(users_verify(u, "alice", "s3cret pw", &error), 1);
	assert_int_equal(users_verify(u, "Alice", "s3cret pw", &error), 1);
	assert_int_equal(users_verify(u, "alice", "s3cret pW", &error), 0);
	assert_int_equal(users_verify(u, "alice", "", &error), 0);

	assert_int_equal(users_add(u, "alice", "other", NULL, &error), -1);
	assert_non_null(strstr(error, "user alice exists"));

	/* A new password: new hash, same Maildir; the old one fails. */
	snprintf(old_hash, sizeof(old_hash), "%s", e.hash);
	assert_int_equal(users_passwd(u6, "alice", "new pw", &error), 0);
	assert_int_equal(users_lookup(u, "alice", &e, &error), 1);
	assert_true(strncmp(e.hash, "$6$", 3) == 0);
	assert_string_not_equal(e.hash, old_hash);
	assert_string_equal(e.maildir, added.maildir);
	assert_int_equal(users_verify(u, "alice", "s3cret pw", &error), 0);
	assert_int_equal(users_verify(u, "alice", "new pw", &error), 1);

	/* A virtual user, hashed with SHA-512. */
	assert_int_equal(users_add(u6, "bob@Example.COM", "pw", NULL, &error),
			 0);
	assert_int_equal(users_lookup(u, "bob@example.com", &e, &error), 1);
	assert_true(strncmp(e.hash, "$6$", 3) == 0);
	want = mem_asprintf("%s/mail/example.com/bob/Maildir/", tmpdir);
	assert_string_equal(e.maildir, want);
	mem_free(&want);
	assert_int_equal(users_verify(u, "bob@example.com", "pw", &error), 1);
	assert_int_equal(users_verify(u, "bob", "pw", &error), 0);
	assert_int_equal(users_add(u, "aaron", "pw", NULL, &error), 0);

	assert_int_equal(users_list(u, collect, acc, &error), 0);
	want = mem_asprintf("aaron %s/mail/aaron/Maildir/;"
			    "alice %s/mail/alice/Maildir/;"
			    "bob@example.com %s/mail/example.com/bob/Maildir/;",
			    tmpdir, tmpdir, tmpdir);
	assert_string_equal(acc, want);
	mem_free(&want);

	assert_int_equal(users_del(u, "alice", &e, &error), 0);
	assert_string_equal(e.maildir, added.maildir);
	assert_int_equal(users_lookup(u, "alice", &e, &error), 0);
	assert_int_equal(users_verify(u, "alice", "new pw", &error), 0);
	assert_int_equal(users_del(u, "alice", NULL, &error), -1);
	assert_non_null(strstr(error, "no such user: alice"));
	assert_int_equal(users_passwd(u, "alice", "x", &error), -1);
	assert_non_null(strstr(error, "no such user: alice"));
	users_free(&u);
	users_free(&u6);
	assert_null(u);
}

/* test_refusals - bad names, passwords and handles */
static void
test_refusals(void **state)
{
	struct users *u = open_users(USERS_SCHEME_YESCRYPT);
	char long_pw[USERS_PASSWORD_MAX + 2];
	const char *error = NULL;
	enum users_scheme scheme;
	struct users *none;

	(void)state;
	memset(long_pw, 'p', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';
	assert_int_equal(users_add(u, "../x", "pw", NULL, &error), -1);
	assert_non_null(strstr(error, "invalid user name"));
	assert_int_equal(users_add(u, "a/b", "pw", NULL, &error), -1);
	assert_int_equal(users_del(u, ".hidden", NULL, &error), -1);
	assert_int_equal(users_passwd(u, "", "pw", &error), -1);
	assert_int_equal(users_add(u, "carol", "", NULL, &error), -1);
	assert_non_null(strstr(error, "empty password"));
	assert_int_equal(users_add(u, "carol", long_pw, NULL, &error), -1);
	assert_non_null(strstr(error, "password too long"));
	long_pw[USERS_PASSWORD_MAX] = '\0';
	assert_int_equal(users_add(u, "carol", long_pw, NULL, &error), 0);
	assert_int_equal(users_verify(u, "carol", long_pw, &error), 1);
	users_free(&u);

	none = users_new("users", "/x", USERS_SCHEME_YESCRYPT, &error);
	assert_null(none);
	none = users_new("hash:users", "/x", USERS_SCHEME_YESCRYPT, &error);
	assert_null(none);
	none = users_new("hash:/x/users", "mail", USERS_SCHEME_YESCRYPT,
			 &error);
	assert_null(none);
	assert_non_null(strstr(error, "virtual_mailbox_base"));
	none = users_new("hash:/nonexistent/users", "", USERS_SCHEME_YESCRYPT,
			 &error);
	assert_non_null(none);
	assert_int_equal(users_add(none, "dave", "pw", NULL, &error), -1);
	assert_non_null(strstr(error, "virtual_mailbox_base is not set"));
	users_free(&none);

	assert_int_equal(users_scheme_parse("yescrypt", &scheme), 0);
	assert_int_equal(scheme, USERS_SCHEME_YESCRYPT);
	assert_int_equal(users_scheme_parse("sha512", &scheme), 0);
	assert_int_equal(scheme, USERS_SCHEME_SHA512);
	assert_int_equal(users_scheme_parse("md5", &scheme), -1);
}

/* test_unknown_costs_a_hash - unknown users are hashed like known ones */
static void
test_unknown_costs_a_hash(void **state)
{
	struct users *u = open_users(USERS_SCHEME_YESCRYPT);
	static const char *const names[] = { "nobody", "../x", "Nobody@x.y",
					     "" };
	const char *error = NULL;
	unsigned long before;
	char long_pw[USERS_PASSWORD_MAX + 2];
	size_t i;

	(void)state;
	memset(long_pw, 'p', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';
	/* No table at all, then a table without the name. */
	before = users_crypt_count(u);
	assert_int_equal(users_verify(u, "nobody", "pw", &error), 0);
	assert_int_equal(users_crypt_count(u), before + 1);
	assert_int_equal(users_add(u, "alice", "pw", NULL, &error), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		before = users_crypt_count(u);
		assert_int_equal(users_verify(u, names[i], "pw", &error), 0);
		assert_int_equal(users_crypt_count(u), before + 1);
	}
	/* A known user with a too-long password is hashed too. */
	before = users_crypt_count(u);
	assert_int_equal(users_verify(u, "alice", long_pw, &error), 0);
	assert_int_equal(users_crypt_count(u), before + 1);
	users_free(&u);
}

/* test_verify_two_steps - users_verify_prepare and users_verify_check */
static void
test_verify_two_steps(void **state)
{
	static const struct {
		const char *name, *password;
		bool known;
		int rc;
	} rows[] = {
		{ "alice", "s3cret", true, 1 },
		{ "Alice", "s3cret", true, 1 },
		{ "alice", "S3cret", true, 0 },
		{ "alice", "", true, 0 },
		{ "bob@example.com", "pw6", true, 1 },
		{ "bob@example.com", "s3cret", true, 0 },
		{ "nobody", "s3cret", false, 0 },
		{ "../x", "s3cret", false, 0 },
		{ "", "", false, 0 },
	};
	struct users *u = open_users(USERS_SCHEME_YESCRYPT);
	struct users *u6 = open_users(USERS_SCHEME_SHA512);
	char long_pw[USERS_PASSWORD_MAX + 2];
	struct users_check check;
	const char *error = NULL;
	size_t i;

	(void)state;
	/* No table yet: nobody is known, nothing fails. */
	assert_int_equal(users_verify_prepare(u, "alice", &check, &error), 0);
	assert_false(check.known);
	assert_int_equal(users_verify_check(&check, "s3cret"), 0);
	assert_int_equal(users_add(u, "alice", "s3cret", NULL, &error), 0);
	assert_int_equal(users_add(u6, "bob@example.com", "pw6", NULL,
				   &error),
			 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(users_verify_prepare(u, rows[i].name, &check,
						      &error),
				 0);
		if (check.known != rows[i].known ||
		    users_verify_check(&check, rows[i].password) != rows[i].rc)
			fail_msg("row %zu (%s)", i, rows[i].name);
		/* The unknown still get a hash to spend time on. */
		assert_true(strncmp(check.hash, "$y$", 3) == 0 ||
			    strncmp(check.hash, "$6$", 3) == 0);
		/* users_verify agrees. */
		assert_int_equal(users_verify(u, rows[i].name,
					      rows[i].password, &error),
				 rows[i].rc);
	}
	memset(long_pw, 'p', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';
	assert_int_equal(users_verify_prepare(u, "alice", &check, &error), 0);
	assert_int_equal(users_verify_check(&check, long_pw), 0);
	users_free(&u);
	users_free(&u6);
}

/* One stored value and whether users.c must refuse it. */
struct value_row {
	const char *value;
	bool valid;
};

static const struct value_row value_rows[] = {
	{ "1\t$y$j9T$abc$def\t/m/alice/Maildir/", true },
	{ "1\t$6$salt$hash\t/m/a b/", true },
	{ "1\t$6$rounds=9000$salt$hash\t/m/", true },
	{ "", false },
	{ "garbage", false },
	{ "2\t$y$j9T$abc$def\t/m/", false },
	{ "1\t$1$abc$def\t/m/", false },		/* MD5: not taken */
	{ "1\tplain\t/m/", false },
	{ "1\t$y$a b\t/m/", false },
	{ "1\t$y$j9T$abc$def\tm/", false },		/* relative */
	{ "1\t$y$j9T$abc$def\t/m", false },		/* no slash */
	{ "1\t$y$j9T$abc$def\t/m/../etc/", false },
	{ "1\t$y$j9T$abc$def\t/m/./x/", false },
	{ "1\t$y$j9T$abc$def\t/m//x/", false },
	{ "1\t$y$j9T$abc$def\t/m/\textra", false },
	{ "1\t$y$j9T$abc$def", false },
	{ "1\t\t/m/", false },
};

/* test_malformed - values are checked when read */
static void
test_malformed(void **state)
{
	struct users *u = open_users(USERS_SCHEME_YESCRYPT);
	char *spec = mem_asprintf("hash:%s/users", tmpdir);
	const char *error = NULL;
	struct users_entry e;
	char acc[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(value_rows) / sizeof(value_rows[0]); i++) {
		const struct value_row *r = &value_rows[i];
		int want = r->valid ? 1 : -1;

		assert_int_equal(dict_update(spec, DICT_FLAG_FOLD_CASE,
					     "mallory", r->value, &error),
				 i == 0 ? 0 : 1);
		if (users_lookup(u, "mallory", &e, &error) != want)
			fail_msg("row %zu: lookup", i);
		acc[0] = '\0';
		if (users_list(u, collect, acc, &error) != (r->valid ? 0 : -1))
			fail_msg("row %zu: list", i);
		if (!r->valid) {
			assert_non_null(strstr(error, "malformed entry"));
			assert_string_equal(acc, "");
			assert_int_equal(users_verify(u, "mallory", "pw",
						      &error),
					 -1);
		}
	}
	/* A key that is no user name. */
	assert_int_equal(dict_update(spec, 0, "mallory", NULL, &error), 1);
	assert_int_equal(dict_update(spec, 0, "../x",
				     "1\t$6$salt$hash\t/m/", &error),
			 0);
	assert_int_equal(users_list(u, collect, acc, &error), -1);
	assert_non_null(strstr(error, "malformed entry for \"../x\""));
	mem_free(&spec);
	users_free(&u);
}

/* is_dir_0700 - whether path is a directory with mode 0700 */
static bool
is_dir_0700(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	       (st.st_mode & 07777) == 0700;
}

/* test_maildir_create - directories, modes, links */
static void
test_maildir_create(void **state)
{
	struct users *u = open_users(USERS_SCHEME_SHA512);
	static const char *const subs[] = { "", "cur", "new", "tmp" };
	const char *error = NULL;
	struct users_entry e;
	char *path, *target;
	size_t i;

	(void)state;
	path = mem_asprintf("%s/mail", tmpdir);
	assert_int_equal(mkdir(path, 0755), 0);
	mem_free(&path);
	assert_int_equal(users_add(u, "alice", "pw", &e, &error), 0);
	assert_int_equal(users_maildir_create(u, &e, false, 0, 0, &error), 0);
	for (i = 0; i < 4; i++) {
		path = mem_asprintf("%s%s", e.maildir, subs[i]);
		assert_true(is_dir_0700(path));
		mem_free(&path);
	}
	/* Again: nothing to do, no error. */
	assert_int_equal(users_maildir_create(u, &e, false, 0, 0, &error), 0);

	/* SECURITY: a link where a domain directory goes is refused. */
	target = mem_asprintf("%s/elsewhere", tmpdir);
	assert_int_equal(mkdir(target, 0755), 0);
	path = mem_asprintf("%s/mail/example.com", tmpdir);
	assert_int_equal(symlink(target, path), 0);
	mem_free(&path);
	assert_int_equal(users_add(u, "bob@example.com", "pw", &e, &error), 0);
	assert_int_equal(users_maildir_create(u, &e, false, 0, 0, &error), -1);
	assert_non_null(strstr(error, "symbolic link"));
	path = mem_asprintf("%s/bob", target);
	assert_int_equal(access(path, F_OK), -1);
	mem_free(&path);
	mem_free(&target);

	/* Not below the base: refused. */
	snprintf(e.maildir, sizeof(e.maildir), "/tmp/x/Maildir/");
	assert_int_equal(users_maildir_create(u, &e, false, 0, 0, &error), -1);
	assert_non_null(strstr(error, "is not below"));
	users_free(&u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_round_trip, users_setup,
						users_teardown),
		cmocka_unit_test_setup_teardown(test_refusals, users_setup,
						users_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_costs_a_hash,
						users_setup, users_teardown),
		cmocka_unit_test_setup_teardown(test_verify_two_steps,
						users_setup, users_teardown),
		cmocka_unit_test_setup_teardown(test_malformed, users_setup,
						users_teardown),
		cmocka_unit_test_setup_teardown(test_maildir_create,
						users_setup, users_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
