/*
 * test_service_table.c - unit tests for lib/service_table.c.
 */
#include "tests/unit/testlib.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/io.h"
#include "lib/mem.h"
#include "lib/service_table.h"

/* Largest text these tests build. */
#define TEST_MAX_TEXT (1024u * 1024)

/*
 * Good and malformed master.cf texts. A good row describes the first entry
 * of the result; a bad row names the error; either may expect a warning.
 */
static const struct table_row {
	const char *text;
	const char *error;
	const char *warning;
	size_t count;
	const char *name;
	enum service_type type;
	const char *host;
	unsigned port;
	bool is_private;
	bool is_unpriv;
	unsigned maxproc;
	const char *command;
	size_t argc;
	const char *last_arg;
	int line;		/* of the first entry; 0 means 1 */
} table_rows[] = {
	{ .text = "127.0.0.1:10025 inet n - n - - smtpd "
		  "-o smtpd_tls_security_level=encrypt -v\n",
	  .count = 1, .name = "127.0.0.1:10025", .type = SERVICE_TYPE_INET,
	  .host = "127.0.0.1", .port = 10025, .is_unpriv = true,
	  .command = "smtpd", .argc = 3, .last_arg = "-v" },
	{ .text = "[::1]:10143\tinet - y - 0 10 imapd",
	  .count = 1, .name = "[::1]:10143", .type = SERVICE_TYPE_INET,
	  .host = "::1", .port = 10143, .is_unpriv = true, .maxproc = 10,
	  .command = "imapd", .argc = 0 },
	{ .text = "10110 inet n - - - 5 pop3d\n",
	  .count = 1, .name = "10110", .type = SERVICE_TYPE_INET,
	  .port = 10110, .is_unpriv = true, .maxproc = 5,
	  .command = "pop3d", .argc = 0 },
	{ .text = "mail.Example.com:2525 inet n - n - - smtpd\n",
	  .count = 1, .name = "mail.Example.com:2525",
	  .type = SERVICE_TYPE_INET, .host = "mail.Example.com", .port = 2525,
	  .is_unpriv = true, .command = "smtpd", .argc = 0 },
	{ .text = "# comment\nqmgr unix n - n - 1 qmgr\n",
	  .count = 1, .name = "qmgr", .type = SERVICE_TYPE_UNIX,
	  .is_unpriv = true, .maxproc = 1, .command = "qmgr", .argc = 0,
	  .line = 2 },
	{ .text = "local unix - n n - - local\r\n",
	  .count = 1, .name = "local", .type = SERVICE_TYPE_UNIX,
	  .is_private = true, .command = "local", .argc = 0 },
	{ .text = "smtp unix - - n - - smtp\n  -o a=b\n\n  # c\n\t-v\n"
		  "x.y_z-1 unix y y n - - my_daemon-2\n",
	  .count = 2, .name = "smtp", .type = SERVICE_TYPE_UNIX,
	  .is_private = true, .is_unpriv = true, .command = "smtp",
	  .argc = 3, .last_arg = "-v" },
	{ .text = "25 inet n - n - - smtpd\n25 unix - - n - - x\n",
	  .count = 2, .name = "25", .type = SERVICE_TYPE_INET, .port = 25,
	  .is_unpriv = true, .command = "smtpd", .argc = 0 },
	{ .text = "smtp unix - - y - - smtp\n",
	  .warning = "master.cf, line 1: service \"smtp\": chroot is not "
		     "supported; the service runs without chroot",
	  .count = 1, .name = "smtp", .type = SERVICE_TYPE_UNIX,
	  .is_private = true, .is_unpriv = true, .command = "smtp",
	  .argc = 0, .last_arg = "smtp" },
	{ .text = "\nqmgr unix n - n 300? 1 qmgr\n",
	  .warning = "master.cf, line 2: service \"qmgr\": wakeup is not "
		     "supported; ignored",
	  .count = 1, .name = "qmgr", .type = SERVICE_TYPE_UNIX,
	  .is_unpriv = true, .maxproc = 1, .command = "qmgr", .argc = 0,
	  .line = 2 },
	{ .text = "", .count = 0 },
	{ .text = "# only a comment\n\n   \n", .count = 0 },

	{ .text = "smtp inet n - n - smtpd\n",
	  .error = "master.cf, line 1: expected at least 8 fields (service "
		   "type private unpriv chroot wakeup maxproc command), "
		   "found 7" },
	{ .text = "smtp fifo n - n - - smtpd",
	  .error = "master.cf, line 1: service \"smtp\": unsupported service "
		   "type \"fifo\" (use inet or unix)" },
	{ .text = "25 inet y - n - - smtpd",
	  .error = "master.cf, line 1: service \"25\": an inet service cannot "
		   "be private" },
	{ .text = "x unix q - n - - qmgr",
	  .error = "master.cf, line 1: bad private field \"q\" (use y, n or "
		   "-)" },
	{ .text = "x unix - yes n - - qmgr",
	  .error = "bad unpriv field \"yes\"" },
	{ .text = "x unix - - Y - - qmgr", .error = "bad chroot field \"Y\"" },
	{ .text = "../x unix - - n - - qmgr",
	  .error = "master.cf, line 1: bad unix service name \"../x\"" },
	{ .text = ".. unix - - n - - qmgr",
	  .error = "bad unix service name \"..\"" },
	{ .text = "x/y unix - - n - - qmgr",
	  .error = "bad unix service name \"x/y\"" },
	{ .text = "x unix - - n - - /bin/sh",
	  .error = "master.cf, line 1: bad command \"/bin/sh\"" },
	{ .text = "x unix - - n - - Qmgr", .error = "bad command \"Qmgr\"" },
	{ .text = "x unix - - n - 0 qmgr",
	  .error = "service \"x\": maxproc 0 (no limit) is not supported" },
	{ .text = "x unix - - n - 100001 qmgr",
	  .error = "bad maxproc field \"100001\" (1 to 100000 or -)" },
	{ .text = "x unix - - n - -1 qmgr",
	  .error = "bad maxproc field \"-1\"" },
	{ .text = "x unix - - n abc - qmgr",
	  .error = "bad wakeup field \"abc\"" },
	{ .text = "x unix - - n ? - qmgr", .error = "bad wakeup field \"?\"" },
	{ .text = "x unix - - n - - qmgr -o",
	  .error = "master.cf, line 1: -o without name=value" },
	{ .text = "x unix - - n - - qmgr -o novalue",
	  .error = "bad -o argument \"novalue\" (expected name=value)" },
	{ .text = "x unix - - n - - qmgr -o =v",
	  .error = "bad -o argument \"=v\"" },
	{ .text = "x unix - - n - - qmgr -o a-b=v",
	  .error = "bad -o argument \"a-b=v\"" },
	{ .text = "::1:25 inet n - n - - smtpd",
	  .error = "bad host \"::1\" (an IPv6 address goes in brackets)" },
	{ .text = "[::g]:25 inet n - n - - smtpd",
	  .error = "bad IPv6 address \"::g\"" },
	{ .text = "[::1]25 inet n - n - - smtpd",
	  .error = "bad address \"[::1]25\" (expected [ipv6]:port)" },
	{ .text = "[::1 inet n - n - - smtpd", .error = "bad address" },
	{ .text = "h:0 inet n - n - - smtpd", .error = "bad port \"0\"" },
	{ .text = "h:65536 inet n - n - - smtpd",
	  .error = "bad port \"65536\"" },
	{ .text = "h: inet n - n - - smtpd", .error = "bad port \"\"" },
	{ .text = "h_x:25 inet n - n - - smtpd", .error = "bad host \"h_x\"" },
	{ .text = ":25 inet n - n - - smtpd", .error = "bad host \"\"" },
	{ .text = "h:Smtp inet n - n - - smtpd",
	  .error = "bad port \"Smtp\"" },
	{ .text = "no-such-port-name-xyz inet n - n - - smtpd",
	  .error = "unknown port name \"no-such-port-name-xyz\"" },
	{ .text = "a unix - - n - - qmgr\n# c\nb unix - - n - - qmgr\n"
		  "a unix - - n - - qmgr\n",
	  .error = "master.cf, line 4: duplicate service \"a\" type unix "
		   "(first on line 1)" },
	{ .text = "a unix - - n - - qmgr\n  -v\n\nb unix\n",
	  .error = "master.cf, line 4: expected at least 8 fields" },
	{ .text = "  a unix - - n - - qmgr\n",
	  .error = "master.cf, line 1: indented line does not continue a "
		   "previous line" },
	{ .text = "a unix - - n - - qmgr\n\nb unix - - n - - q\001\n",
	  .error = "master.cf, line 3: control character 0x01 in line" },
};

/* check_row - one row of table_rows */
static void
check_row(size_t i, const struct table_row *row)
{
	struct service_table *t = NULL;
	const struct service_entry *e;
	const char *err = NULL;
	int rc;

	if (row->warning != NULL)
		testlib_log_expect(row->warning);
	rc = service_table_parse(row->text, strlen(row->text), "master.cf", &t,
				 &err);
	if (row->error != NULL) {
		if (rc != -1)
			fail_msg("row %zu: no error, expected \"%s\"", i,
				 row->error);
		if (strstr(err, row->error) == NULL)
			fail_msg("row %zu: error \"%s\", expected \"%s\"", i,
				 err, row->error);
		return;
	}
	if (rc != 0)
		fail_msg("row %zu: error \"%s\"", i, err);
	if (t->count != row->count)
		fail_msg("row %zu: %zu services, expected %zu", i, t->count,
			 row->count);
	if (row->count > 0) {
		e = &t->entries[0];
		assert_string_equal(e->name, row->name);
		assert_int_equal(e->type, row->type);
		if (row->host == NULL)
			assert_null(e->host);
		else
			assert_string_equal(e->host, row->host);
		if (row->type == SERVICE_TYPE_INET) {
			char port[8];

			snprintf(port, sizeof(port), "%u", row->port);
			assert_string_equal(e->port, port);
			assert_int_equal(e->port_number, row->port);
		} else {
			assert_null(e->port);
		}
		if (e->is_private != row->is_private ||
		    e->is_unpriv != row->is_unpriv)
			fail_msg("row %zu: private %d unpriv %d", i,
				 e->is_private, e->is_unpriv);
		assert_int_equal(e->maxproc, row->maxproc);
		assert_string_equal(e->command, row->command);
		assert_int_equal(e->argc, row->argc);
		if (row->argc > 0)
			assert_string_equal(e->argv[e->argc - 1],
					    row->last_arg);
		assert_null(e->argv[e->argc]);
		assert_int_equal(e->line, row->line != 0 ? row->line : 1);
	}
	if (row->warning != NULL && !testlib_log_contains(row->warning))
		fail_msg("row %zu: no warning \"%s\"", i, row->warning);
	service_table_free(&t);
	assert_null(t);
}

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(table_rows) / sizeof(table_rows[0]); i++) {
		check_row(i, &table_rows[i]);
		testlib_log_check();
	}
}

static void
test_port_names(void **state)
{
	struct service_table *t = NULL;
	const char *err = NULL;
	static const char text[] = "smtp inet n - n - - smtpd\n"
				   "127.0.0.1:submission inet n - n - - smtpd\n";

	(void)state;
	if (getservbyname("smtp", "tcp") == NULL ||
	    getservbyname("submission", "tcp") == NULL) {
		skip(); /* no /etc/services here */
		return;
	}
	assert_int_equal(service_table_parse(text, strlen(text), "master.cf",
					     &t, &err),
			 0);
	assert_string_equal(t->entries[0].port, "25");
	assert_null(t->entries[0].host);
	assert_string_equal(t->entries[1].port, "587");
	assert_string_equal(t->entries[1].host, "127.0.0.1");
	service_table_free(&t);
}

static void
test_limits(void **state)
{
	struct service_table *t = NULL;
	const char *err = NULL;
	struct buf b;
	int i;

	(void)state;
	buf_init(&b, TEST_MAX_TEXT);
	for (i = 0; i < SERVICE_TABLE_MAX_SERVICES; i++)
		buf_printf(&b, "s%d unix - - n - - qmgr\n", i);
	assert_int_equal(service_table_parse((char *)b.data, b.len,
					     "master.cf", &t, &err),
			 0);
	assert_int_equal(t->count, SERVICE_TABLE_MAX_SERVICES);
	service_table_free(&t);
	buf_append_str(&b, "one_more unix - - n - - qmgr\n");
	assert_int_equal(service_table_parse((char *)b.data, b.len,
					     "master.cf", &t, &err),
			 -1);
	assert_string_equal(err, "master.cf, line 257: more than 256 services");

	buf_reset(&b);
	buf_append_str(&b, "x unix - - n - - qmgr");
	for (i = 0; i < SERVICE_MAX_ARGS; i++)
		buf_append_str(&b, " -v");
	assert_int_equal(service_table_parse((char *)b.data, b.len,
					     "master.cf", &t, &err),
			 0);
	assert_int_equal(t->entries[0].argc, SERVICE_MAX_ARGS);
	service_table_free(&t);
	buf_append_str(&b, " -v");
	assert_int_equal(service_table_parse((char *)b.data, b.len,
					     "master.cf", &t, &err),
			 -1);
	assert_string_equal(err, "master.cf, line 1: more than 64 arguments");

	buf_reset(&b);
	buf_append_str(&b, "x unix - - n - - qmgr\n");
	for (i = 0; i < 50; i++)
		buf_append_str(&b, "  -o smtpd_banner=xxxxxxxxxxxxxxxxxxxxxxxxxxx"
				   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				   "\n");
	assert_int_equal(service_table_parse((char *)b.data, b.len,
					     "master.cf", &t, &err),
			 -1);
	assert_string_equal(err, "master.cf, line 1: logical line longer "
				 "than 4096 bytes");
	buf_deinit(&b);
}

/* read_default_table - the example block of docs/services.md */
static char *
read_default_table(void)
{
	const char *src = getenv("MR_SOURCE_DIR");
	struct buf doc;
	char *path, *table = NULL;
	const char *start, *end;

	if (src == NULL)
		return NULL;
	path = mem_asprintf("%s/docs/services.md", src);
	buf_init(&doc, TEST_MAX_TEXT);
	assert_int_equal(io_read_file(path, TEST_MAX_TEXT, &doc), 0);
	start = strstr(buf_cstr(&doc), "## The default table");
	assert_non_null(start);
	start = strstr(start, "\n```\n");
	assert_non_null(start);
	start += 5;
	end = strstr(start, "```\n");
	assert_non_null(end);
	table = mem_strndup(start, (size_t)(end - start));
	buf_deinit(&doc);
	mem_free(&path);
	return table;
}

static void
test_default_table(void **state)
{
	char *text = read_default_table();
	struct service_table *t = NULL;
	const struct service_entry *e;
	const char *err = NULL;
	char *path;

	(void)state;
	if (text == NULL) {
		skip();
		return;
	}
	if (service_table_parse(text, strlen(text), "services.md", &t,
				&err) < 0)
		fail_msg("docs/services.md example: %s", err);
	assert_int_equal(t->count, 11);
	e = service_table_find(t, "127.0.0.1:10587", SERVICE_TYPE_INET);
	assert_non_null(e);
	assert_int_equal(e->argc, 6);
	assert_string_equal(e->argv[3], "smtpd_tls_security_level=encrypt");
	e = service_table_find(t, "127.0.0.1:10465", SERVICE_TYPE_INET);
	assert_non_null(e);
	assert_string_equal(e->argv[3], "smtpd_tls_wrappermode=yes");
	e = service_table_find(t, "127.0.0.1:10995", SERVICE_TYPE_INET);
	assert_non_null(e);
	assert_string_equal(e->port, "10995");
	assert_string_equal(e->argv[1], "pop3d_tls_wrappermode=yes");
	e = service_table_find(t, "pickup", SERVICE_TYPE_UNIX);
	assert_non_null(e);
	path = service_table_socket_path(e, "/q");
	assert_string_equal(path, "/q/public/pickup");
	mem_free(&path);
	e = service_table_find(t, "local", SERVICE_TYPE_UNIX);
	assert_non_null(e);
	assert_false(e->is_unpriv);
	path = service_table_socket_path(e, "/q");
	assert_string_equal(path, "/q/private/local");
	mem_free(&path);
	e = service_table_find(t, "qmgr", SERVICE_TYPE_UNIX);
	assert_int_equal(e->maxproc, 1);
	path = service_table_socket_path(e, "/q");
	assert_string_equal(path, "/q/private/qmgr");
	mem_free(&path);
	assert_null(service_table_find(t, "qmgr", SERVICE_TYPE_INET));
	assert_string_equal(service_table_type_name(e->type), "unix");
	service_table_free(&t);
	mem_free(&text);
}

/* test_truncation - every prefix of a table parses or fails cleanly */
static void
test_truncation(void **state)
{
	char *text = read_default_table();
	size_t k, len, ok = 0;

	(void)state;
	if (text == NULL) {
		skip();
		return;
	}
	len = strlen(text);
	for (k = 0; k <= len; k++) {
		struct service_table *t = NULL;
		const char *err = NULL;

		if (service_table_parse(text, k, "master.cf", &t, &err) < 0) {
			assert_true(strstr(err, "master.cf, line ") == err);
			assert_null(t);
		} else {
			assert_non_null(t);
			service_table_free(&t);
			ok++;
		}
		testlib_log_check();
	}
	assert_true(ok > 10);
	mem_free(&text);
}

static void
test_load(void **state)
{
	struct service_table *t = NULL;
	const char *err = NULL;
	char tmpl[] = "/tmp/test_service_table.XXXXXX";
	char *dir = mkdtemp(tmpl), *path;
	static const char text[] = "qmgr unix n - n - 1 qmgr\n";

	(void)state;
	assert_non_null(dir);
	path = mem_asprintf("%s/%s", dir, SERVICE_TABLE_FILE);
	assert_int_equal(service_table_load(path, &t, &err), -1);
	assert_non_null(strstr(err, "cannot read "));
	assert_int_equal(io_atomic_replace(path, text, strlen(text), 0644), 0);
	assert_int_equal(service_table_load(path, &t, &err), 0);
	assert_int_equal(t->count, 1);
	service_table_free(&t);
	assert_int_equal(io_atomic_replace(path, "x\n", 2, 0644), 0);
	assert_int_equal(service_table_load(path, &t, &err), -1);
	assert_true(strstr(err, path) == err);
	unlink(path);
	rmdir(dir);
	mem_free(&path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_port_names, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_limits, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_default_table,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_truncation,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_load, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
