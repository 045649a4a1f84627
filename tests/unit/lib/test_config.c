/*
 * test_config.c - unit tests for lib/config.c and lib/params.c.
 *
 * Run with "--write-doc PATH" it writes config_doc_markdown() to PATH
 * instead (how docs/configuration.md is regenerated); test_doc_current
 * fails while that file is out of date.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/io.h"
#include "lib/mem.h"
#include "lib/params.h"

/* Largest generated document or printout in these tests. */
#define TEST_MAX_TEXT (32u * 1024 * 1024)

/* The test binary's path, for the regeneration hint. */
static const char *test_argv0 = "unit_lib_test_config";

/* load - config_load_string of a C string, no overrides */
static int
load(const char *text, const char **error_r)
{
	return config_load_string(text, strlen(text), "main.cf", NULL,
				  error_r);
}

/* get - config_get that must find the name */
static const char *
get(const char *name)
{
	const char *v = config_get(name);

	if (v == NULL)
		fail_msg("%s is not defined", name);
	return v;
}

static void
test_defaults(void **state)
{
	const char *err = NULL;
	char *banner;

	(void)state;
	assert_int_equal(load("", &err), 0);
	assert_string_equal(param_config_directory, "/etc/mailroom");
	assert_string_equal(param_queue_directory, "/var/spool/mailroom");
	assert_string_equal(param_mail_owner, "mailroom");
	assert_string_equal(param_myorigin, param_myhostname);
	assert_non_null(strchr(param_myhostname, '.'));
	assert_string_equal(param_mydomain, strchr(param_myhostname, '.') + 1);
	banner = mem_asprintf("%s ESMTP mailroom", param_myhostname);
	assert_string_equal(param_smtpd_banner, banner);
	mem_free(&banner);
	assert_string_equal(param_mynetworks, "127.0.0.0/8 [::1]/128");
	assert_string_equal(param_relay_domains, "");
	assert_string_equal(param_inet_interfaces, "all");
	assert_string_equal(param_alias_maps, "hash:/etc/aliases");
	assert_string_equal(param_default_transport, "smtp");
	assert_int_equal(param_message_size_limit, 10240000);
	assert_int_equal(param_maximal_queue_lifetime, 5 * 86400);
	assert_int_equal(param_bounce_queue_lifetime, 5 * 86400);
	assert_int_equal(param_minimal_backoff_time, 300);
	assert_int_equal(param_maximal_backoff_time, 4000);
	assert_int_equal(param_queue_run_delay, 300);
	assert_int_equal(param_delay_warning_time, 0);
	assert_int_equal(param_smtpd_recipient_limit, 1000);
	assert_int_equal(param_smtpd_timeout, 300);
	assert_int_equal(param_smtpd_hard_error_limit, 20);
	assert_int_equal(param_smtpd_soft_error_limit, 10);
	assert_int_equal(param_smtpd_client_connection_count_limit, 50);
	assert_int_equal(param_default_process_limit, 100);
	assert_int_equal(param_default_destination_concurrency_limit, 20);
	assert_int_equal(param_pop3d_timeout, 600);
	assert_false(param_disable_vrfy_command);
	assert_true(param_smtputf8_enable);
	assert_string_equal(param_smtpd_tls_key_file, "");
	/* RAW parameters keep their $names for delivery time. */
	assert_non_null(strstr(param_forward_path, "$home/.forward"));
	assert_true(strlen(param_daemon_directory) > 17);
	assert_string_equal(param_daemon_directory +
				    strlen(param_daemon_directory) - 17,
			    "/libexec/mailroom");
	assert_true(config_is_known("myhostname"));
	assert_false(config_is_known("no_such_thing"));
	assert_false(config_is_set("myhostname"));
	assert_null(config_get("no_such_thing"));
	config_deinit();
	assert_null(param_myhostname);
	assert_int_equal(param_smtpd_timeout, 0);
	assert_null(config_get("myhostname"));
}

/*
 * Good and malformed main.cf texts. A good row names one parameter and its
 * expanded value; a bad row names the error; either may expect a warning.
 */
static const struct config_row {
	const char *text;
	const char *overrides[3];
	const char *name;
	const char *value;
	const char *error;
	const char *warning;
} config_rows[] = {
	{ "myhostname = mail.example.com\n", { NULL }, "mydestination",
	  "mail.example.com, localhost.example.com, localhost", NULL, NULL },
	{ "myhostname = mail.example.com\n", { NULL }, "mydomain",
	  "example.com", NULL, NULL },
	{ "myhostname=single\n", { NULL }, "mydomain", "localdomain", NULL,
	  NULL },
	{ "mydomain = example.org\nmyhostname = mx.$mydomain\n", { NULL },
	  "myorigin", "mx.example.org", NULL, NULL },
	/* Continuation lines, comments and blank lines inside a value. */
	{ "mydestination = a,\n  b,\n\n   # not c\n\tc\n", { NULL },
	  "mydestination", "a, b, c", NULL, NULL },
	{ "relayhost = x\r\n", { NULL }, "relayhost", "x", NULL, NULL },
	{ "relayhost = a # not a comment  \n", { NULL }, "relayhost",
	  "a # not a comment", NULL, NULL },
	{ "  # indented comment\nrelayhost =\n", { NULL }, "relayhost", "",
	  NULL, NULL },
	{ "relayhost = [no.newline]", { NULL }, "relayhost", "[no.newline]",
	  NULL, NULL },
	/* Expansion forms. */
	{ "mail_name = X\nsmtpd_banner = ${myhostname} ESMTP $(mail_name)\n"
	  "myhostname = h.example\n",
	  { NULL }, "smtpd_banner", "h.example ESMTP X", NULL, NULL },
	{ "relayhost = a$$b$\n", { NULL }, "relayhost", "a$b$", NULL, NULL },
	{ "relayhost = a$ b$-\n", { NULL }, "relayhost", "a$ b$-", NULL,
	  NULL },
	{ "relayhost = ${recipient_delimiter?set}${recipient_delimiter:unset}"
	  "\n",
	  { NULL }, "relayhost", "unset", NULL, NULL },
	{ "recipient_delimiter = +\n"
	  "relayhost = ${recipient_delimiter?{$recipient_delimiter}}x\n",
	  { NULL }, "relayhost", "{+}x", NULL, NULL },
	{ "relayhost = ${nosuch?x}${nosuch:y}\n", { NULL }, "relayhost", "y",
	  NULL, NULL },
	/* Unknown names: kept for $name, warned when nothing uses them. */
	{ "my_nets = 10.0.0.0/8\nmynetworks = $my_nets [::1]/128\n",
	  { NULL }, "mynetworks", "10.0.0.0/8 [::1]/128", NULL, NULL },
	{ "\n# comment\nfoo = bar\n", { NULL }, "foo", "bar", NULL,
	  "main.cf, line 3: unknown parameter \"foo\"" },
	{ "relayhost = [$nosuch]\n", { NULL }, "relayhost", "[]", NULL,
	  "main.cf, line 1: parameter \"relayhost\" refers to undefined "
	  "parameter \"nosuch\"" },
	/* The later definition wins; overrides win over main.cf. */
	{ "relayhost = a\nrelayhost = b\n", { NULL }, "relayhost", "b", NULL,
	  NULL },
	{ "relayhost = a\n", { "relayhost=c", NULL }, "relayhost", "c", NULL,
	  NULL },
	{ "relayhost = a\n", { "relayhost = d ", "relayhost=e", NULL },
	  "relayhost", "e", NULL, NULL },
	{ "myhostname = h.example\n", { "myorigin=$mydomain", NULL },
	  "myorigin", "example", NULL, NULL },
	{ "", { "foo=1", NULL }, "foo", "1", NULL,
	  "override \"foo=1\": unknown parameter \"foo\"" },
	/* Typed values. */
	{ "smtpd_timeout = 5m\n", { NULL }, "smtpd_timeout", "5m", NULL,
	  NULL },
	{ "disable_vrfy_command = YES\n", { NULL }, "disable_vrfy_command",
	  "YES", NULL, NULL },
	/* Syntax errors name the file and the line. */
	{ "myhostname\n", { NULL }, NULL, NULL,
	  "main.cf, line 1: missing '=' after parameter name", NULL },
	{ "# c\n\nfoo-bar = 1\n", { NULL }, NULL, NULL,
	  "main.cf, line 3: bad parameter name \"foo-bar\"", NULL },
	{ "= x\n", { NULL }, NULL, NULL,
	  "main.cf, line 1: missing parameter name before '='", NULL },
	{ "relayhost = 1,\n  2\n\n  3\nmyhostname x\n", { NULL }, NULL, NULL,
	  "main.cf, line 5: missing '=' after parameter name", NULL },
	{ "mynetworks = 1,\n  2\nbad line\n", { NULL }, NULL, NULL,
	  "main.cf, line 3: missing '='", NULL },
	{ "  relayhost = x\n", { NULL }, NULL, NULL,
	  "main.cf, line 1: indented line does not continue a previous line",
	  NULL },
	{ "relayhost = a\n\nmail_name = \001\n", { NULL }, NULL, NULL,
	  "main.cf, line 3: control character 0x01 in line", NULL },
	{ "", { "relayhost", NULL }, NULL, NULL,
	  "override \"relayhost\": missing '=' after parameter name", NULL },
	{ "", { "a b=c", NULL }, NULL, NULL,
	  "override \"a b=c\": missing '='", NULL },
	/* Expansion errors. */
	{ "a = $b\nb = $a\nrelayhost = $a\n", { NULL }, NULL, NULL,
	  "main.cf, line 2: expansion loop: \"b\" refers back to \"a\"",
	  NULL },
	{ "relayhost = x$relayhost\n", { NULL }, NULL, NULL,
	  "main.cf, line 1: expansion loop: \"relayhost\" refers back to "
	  "\"relayhost\"",
	  NULL },
	{ "\nmyhostname = $myorigin\n", { NULL }, NULL, NULL,
	  "main.cf, line 2: expansion loop: \"myorigin\" refers back to "
	  "\"myhostname\"",
	  NULL },
	{ "relayhost = ${foo\n", { NULL }, NULL, NULL,
	  "main.cf, line 1: bad reference \"${foo\"", NULL },
	{ "relayhost = ${}\n", { NULL }, NULL, NULL,
	  "main.cf, line 1: bad reference \"${}\"", NULL },
	{ "relayhost = $(a b)\n", { NULL }, NULL, NULL,
	  "main.cf, line 1: bad reference \"$(a \"", NULL },
	{ "relayhost = ${foo?x\n", { NULL }, NULL, NULL,
	  "main.cf, line 1: missing '}' in value of \"relayhost\"", NULL },
	/* Conversion errors. */
	{ "smtpd_timeout = 5x\n", { NULL }, NULL, NULL,
	  "main.cf, line 1: bad time value \"5x\" for parameter "
	  "\"smtpd_timeout\"",
	  NULL },
	{ "\n\nsmtpd_timeout = 0\n", { NULL }, NULL, NULL,
	  "main.cf, line 3: time 0 of parameter \"smtpd_timeout\" is out of "
	  "range (1s..86400s)",
	  NULL },
	{ "message_size_limit = -1\n", { NULL }, NULL, NULL,
	  "main.cf, line 1: value -1 of parameter \"message_size_limit\" is "
	  "out of range",
	  NULL },
	{ "message_size_limit = 12abc\n", { NULL }, NULL, NULL,
	  "main.cf, line 1: bad integer value \"12abc\"", NULL },
	{ "message_size_limit =\n", { NULL }, NULL, NULL,
	  "main.cf, line 1: bad integer value \"\"", NULL },
	{ "message_size_limit = 99999999999999999999999\n", { NULL }, NULL,
	  NULL, "bad integer value", NULL },
	{ "disable_vrfy_command = maybe\n", { NULL }, NULL, NULL,
	  "main.cf, line 1: bad boolean value \"maybe\" for parameter "
	  "\"disable_vrfy_command\" (use yes or no)",
	  NULL },
	{ "limit = 0\nsmtpd_recipient_limit = $limit\n", { NULL }, NULL, NULL,
	  "main.cf, line 2: value 0 of parameter \"smtpd_recipient_limit\" is "
	  "out of range (1..1000000)",
	  NULL },
	{ "", { "smtpd_timeout=never", NULL }, NULL, NULL,
	  "override \"smtpd_timeout=never\": bad time value", NULL },
};

static void
test_config_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(config_rows) / sizeof(config_rows[0]); i++) {
		const struct config_row *row = &config_rows[i];
		const char *err = NULL;
		size_t len = strlen(row->text);
		int rc;

		/* A known state first, to see that errors keep it. */
		assert_int_equal(load("relayhost = before\n", &err), 0);
		if (row->warning != NULL)
			testlib_log_expect(row->warning);
		rc = config_load_string(row->text, len, "main.cf",
					(char *const *)row->overrides, &err);
		if (row->error != NULL) {
			if (rc != -1)
				fail_msg("row %zu: no error, expected \"%s\"",
					 i, row->error);
			if (strstr(err, row->error) == NULL)
				fail_msg("row %zu: error \"%s\", expected "
					 "\"%s\"",
					 i, err, row->error);
			assert_string_equal(get("relayhost"), "before");
			assert_string_equal(param_relayhost, "before");
		} else {
			if (rc != 0)
				fail_msg("row %zu: error \"%s\"", i, err);
			if (strcmp(get(row->name), row->value) != 0)
				fail_msg("row %zu: %s = \"%s\", expected "
					 "\"%s\"",
					 i, row->name, get(row->name),
					 row->value);
		}
		if (row->warning != NULL &&
		    !testlib_log_contains(row->warning))
			fail_msg("row %zu: no warning \"%s\"", i, row->warning);
		testlib_log_check();
	}
	/* A NUL byte inside a line, which a C string row cannot carry. */
	{
		const char *err = NULL;

		assert_int_equal(config_load_string("relayhost = a\0b\n", 16,
						    "main.cf", NULL, &err),
				 -1);
		assert_string_equal(err, "main.cf, line 1: control character "
					 "0x00 in line");
	}
	config_deinit();
}

static void
test_types(void **state)
{
	const char *err = NULL;

	(void)state;
	assert_int_equal(load("smtpd_timeout = 5m\n"
			      "delay_warning_time = 4\n"
			      "maximal_queue_lifetime = 2w\n"
			      "minimal_backoff_time = 90\n"
			      "message_size_limit = 0\n"
			      "disable_vrfy_command = YES\n"
			      "smtputf8_enable = no\n"
			      "default_process_limit = 7\n",
			      &err),
			 0);
	assert_int_equal(param_smtpd_timeout, 300);
	assert_int_equal(param_delay_warning_time, 4 * 3600);
	assert_int_equal(param_maximal_queue_lifetime, 14 * 86400);
	assert_int_equal(param_minimal_backoff_time, 90);
	assert_int_equal(param_message_size_limit, 0);
	assert_true(param_disable_vrfy_command);
	assert_false(param_smtputf8_enable);
	assert_int_equal(param_default_process_limit, 7);
	assert_true(config_is_set("smtpd_timeout"));
	config_deinit();
}

/* test_limits - the named limits turn into errors, never into crashes */
static void
test_limits(void **state)
{
	struct buf b;
	const char *err = NULL;
	int i;

	(void)state;
	buf_init(&b, TEST_MAX_TEXT);

	/* A logical line past CONFIG_MAX_LINE_OCTETS, via continuations. */
	buf_append_str(&b, "relayhost = x\nmynetworks = a\n");
	for (i = 0; i < 70; i++) {
		buf_append_str(&b, " ");
		memset(buf_reserve(&b, 1000), 'a', 1000);
		buf_commit(&b, 1000);
		buf_append_str(&b, "\n");
	}
	assert_int_equal(config_load_string((char *)b.data, b.len, "main.cf",
					    NULL, &err),
			 -1);
	assert_string_equal(err, "main.cf, line 2: logical line longer than "
				 "65536 bytes");

	/* A chain of references deeper than CONFIG_MAX_EXPAND_DEPTH. */
	buf_reset(&b);
	buf_append_str(&b, "relayhost = $p0\n");
	for (i = 0; i < 150; i++)
		buf_printf(&b, "p%d = $p%d\n", i, i + 1);
	buf_append_str(&b, "p150 = end\n");
	assert_int_equal(config_load_string((char *)b.data, b.len, "main.cf",
					    NULL, &err),
			 -1);
	assert_non_null(strstr(err, "nested deeper than 100 levels"));

	/* The same chain, 90 deep, is fine. */
	buf_reset(&b);
	buf_append_str(&b, "relayhost = $p0\n");
	for (i = 0; i < 90; i++)
		buf_printf(&b, "p%d = $p%d\n", i, i + 1);
	buf_append_str(&b, "p90 = end\n");
	assert_int_equal(config_load_string((char *)b.data, b.len, "main.cf",
					    NULL, &err),
			 0);
	assert_string_equal(param_relayhost, "end");

	/* Values that double each other hit CONFIG_MAX_VALUE_OCTETS. */
	buf_reset(&b);
	buf_append_str(&b, "relayhost = $d20\nd0 = xxxxxxxx\n");
	for (i = 1; i <= 20; i++)
		buf_printf(&b, "d%d = $d%d$d%d\n", i, i - 1, i - 1);
	assert_int_equal(config_load_string((char *)b.data, b.len, "main.cf",
					    NULL, &err),
			 -1);
	assert_non_null(strstr(err, "is longer than 65536 bytes after "
				    "expansion"));

	/* Many large values hit CONFIG_MAX_EXPANDED_OCTETS. */
	buf_reset(&b);
	buf_append_str(&b, "relayhost = x\nbig = ");
	memset(buf_reserve(&b, 60000), 'b', 60000);
	buf_commit(&b, 60000);
	buf_append_str(&b, "\n");
	for (i = 0; i < 300; i++)
		buf_printf(&b, "r%d = $big\nrelayhost = $r%d\n", i, i);
	testlib_log_expect("unknown parameter \"r");
	assert_int_equal(config_load_string((char *)b.data, b.len, "main.cf",
					    NULL, &err),
			 -1);
	assert_non_null(strstr(err, "expanded values exceed 16777216 bytes"));
	buf_deinit(&b);
	config_deinit();
}

/* Every parser feature in one text, cut at every offset below. */
static const char truncation_text[] =
	"# main.cf\n"
	"myhostname = mail.example.com\n"
	"mydestination = $myhostname,\n"
	"    localhost.${mydomain}, $(mydomain)\n"
	"\n"
	"  # a comment inside\n"
	"\tlocalhost\n"
	"relayhost = ${recipient_delimiter?{x}}${recipient_delimiter:[y]}\n"
	"smtpd_timeout = 120s\r\n"
	"message_size_limit = 20480000\n"
	"disable_vrfy_command = yes\n"
	"my_helper = 10.0.0.0/8\n"
	"mynetworks = $my_helper 127.0.0.0/8\n"
	"smtpd_banner = $myhostname ESMTP $$mail_name\n";

static void
test_truncation(void **state)
{
	size_t k, len = strlen(truncation_text), ok = 0;

	(void)state;
	for (k = 0; k <= len; k++) {
		const char *err = NULL;
		int rc;

		testlib_log_expect("unknown parameter");
		testlib_log_expect("refers to undefined parameter");
		rc = config_load_string(truncation_text, k, "main.cf", NULL,
					&err);
		if (rc < 0) {
			assert_non_null(err);
			assert_true(strstr(err, "main.cf, line ") == err);
		} else {
			assert_int_equal(rc, 0);
			ok++;
		}
		testlib_log_check();
	}
	assert_true(ok > 0);
	assert_string_equal(param_mynetworks, "10.0.0.0/8 127.0.0.0/8");
	assert_string_equal(param_smtpd_banner,
			    "mail.example.com ESMTP $mail_name");
	assert_string_equal(param_relayhost, "[y]");
	assert_string_equal(param_mydestination,
			    "mail.example.com, localhost.example.com, "
			    "example.com localhost");
	config_deinit();
}

/* test_reload - a second load replaces everything; a bad one changes nothing */
static void
test_reload(void **state)
{
	const char *err = NULL;
	char *keep[] = { "smtpd_timeout=10", NULL };

	(void)state;
	testlib_log_expect("unknown parameter \"only_first\"");
	assert_int_equal(load("relayhost = first\nonly_first = 1\n", &err),
			 0);
	assert_string_equal(get("only_first"), "1");
	assert_int_equal(config_load_string("relayhost = second\n", 19,
					    "main.cf", keep, &err),
			 0);
	assert_string_equal(param_relayhost, "second");
	assert_int_equal(param_smtpd_timeout, 10);
	assert_null(config_get("only_first"));
	assert_int_equal(load("relayhost = third\nsmtpd_timeout = x\n", &err),
			 -1);
	assert_string_equal(param_relayhost, "second");
	assert_int_equal(param_smtpd_timeout, 10);
	assert_int_equal(load("relayhost = fourth\n", &err), 0);
	assert_string_equal(param_relayhost, "fourth");
	assert_int_equal(param_smtpd_timeout, 300);
	config_deinit();
	config_deinit(); /* twice is harmless */
}

static void
test_print(void **state)
{
	const char *err = NULL;
	char *over[] = { "smtpd_timeout=60", NULL };
	static const char text[] = "relayhost = [h]:25\n"
				   "foo = x\n"
				   "myorigin = $mydomain\n"
				   "mydomain = example.com\n";
	const char *const some[] = { "relayhost", "mail_name", NULL };
	const char *const bad[] = { "relayhost", "nosuch", "foo", NULL };
	struct buf out;
	const char *line, *prev = "";
	size_t lines = 0;

	(void)state;
	buf_init(&out, TEST_MAX_TEXT);
	config_print(&out, NULL, false);
	assert_int_equal(out.len, 0); /* nothing loaded yet */
	testlib_log_expect("main.cf, line 2: unknown parameter \"foo\"");
	assert_int_equal(config_load_string(text, strlen(text), "main.cf",
					    over, &err),
			 0);
	config_print(&out, NULL, true);
	assert_string_equal(buf_cstr(&out), "foo = x\n"
					    "mydomain = example.com\n"
					    "myorigin = example.com\n"
					    "relayhost = [h]:25\n"
					    "smtpd_timeout = 60\n");
	buf_reset(&out);
	config_print(&out, some, false);
	assert_string_equal(buf_cstr(&out), "relayhost = [h]:25\n"
					    "mail_name = mailroom\n");
	buf_reset(&out);
	config_print(&out, bad, false);
	assert_string_equal(buf_cstr(&out), "relayhost = [h]:25\n"
					    "foo = x\n");
	buf_reset(&out);
	config_print(&out, some, true);
	assert_string_equal(buf_cstr(&out), "relayhost = [h]:25\n");
	buf_reset(&out);
	config_print(&out, NULL, false);
	for (line = buf_cstr(&out); *line != '\0';
	     line = strchr(line, '\n') + 1) {
		assert_true(strcmp(prev, line) < 0); /* sorted by name */
		prev = line;
		lines++;
	}
	assert_int_equal(lines, params_count + 1);
	assert_non_null(strstr(buf_cstr(&out), "\nqueue_run_delay = 300s\n"));
	assert_non_null(strstr(buf_cstr(&out), "\nsmtpd_timeout = 60\n"));
	buf_deinit(&out);

	/* An output buffer that is too small: whole lines and a warning. */
	buf_init(&out, 40);
	testlib_log_expect("configuration listing truncated: more than 40 "
			   "bytes");
	config_print(&out, NULL, false);
	assert_string_equal(buf_cstr(&out), "alias_database = "
					    "hash:/etc/aliases\n");
	buf_deinit(&out);
	config_deinit();
}

/* write_file - create path with text */
static void
write_file(const char *path, const char *text)
{
	assert_int_equal(io_atomic_replace(path, text, strlen(text), 0644), 0);
}

static void
test_load_directory(void **state)
{
	char tmpl[] = "/tmp/test_config.XXXXXX";
	char *dir, *path, *queue, *real;
	const char *err = NULL;

	(void)state;
	dir = mkdtemp(tmpl);
	assert_non_null(dir);
	real = realpath(dir, NULL);
	assert_non_null(real);
	path = mem_asprintf("%s/main.cf", dir);
	assert_int_equal(config_load(dir, NULL, &err), -1);
	assert_non_null(strstr(err, "cannot read "));
	assert_non_null(strstr(err, "/main.cf: No such file or directory"));
	assert_int_equal(config_load("/nonexistent/dir", NULL, &err), -1);
	assert_non_null(strstr(err, "configuration directory"));

	write_file(path, "config_directory = /elsewhere\n"
			 "queue_directory = $config_directory/queue\n");
	testlib_log_expect("main.cf, line 1: config_directory is the "
			   "directory main.cf is read from");
	testlib_log_expect("override \"config_directory=/x\": "
			   "config_directory is");
	{
		char *over[] = { "config_directory=/x", NULL };

		assert_int_equal(config_load(dir, over, &err), 0);
	}
	assert_string_equal(param_config_directory, real);
	queue = mem_asprintf("%s/queue", real);
	assert_string_equal(param_queue_directory, queue);
	assert_false(config_is_set("config_directory"));

	/* Errors name the file by its full path. */
	write_file(path, "relayhost = x\nsmtpd_timeout = forever\n");
	assert_int_equal(config_load(dir, NULL, &err), -1);
	mem_free(&queue);
	queue = mem_asprintf("%s/main.cf, line 2: bad time value", real);
	assert_true(strstr(err, queue) == err);
	assert_string_equal(param_config_directory, real);

	unlink(path);
	rmdir(dir);
	mem_free(&queue);
	mem_free(&path);
	free(real);
	config_deinit();
}

static void
test_daemon_directory(void **state)
{
	static const struct {
		const char *exe;
		const char *dir;
	} rows[] = {
		{ "/usr/libexec/mailroom/smtpd", "/usr/libexec/mailroom" },
		{ "/usr/sbin/mailroom", "/usr/libexec/mailroom" },
		{ "/w/build/sbin/mailroom", "/w/build/libexec/mailroom" },
		{ "/w/build/tests/unit_lib_test_config",
		  "/w/build/libexec/mailroom" },
		{ "/mailroom", "/libexec/mailroom" },
		{ "sbin/mailroom", "./libexec/mailroom" },
		{ "mailroom", "../libexec/mailroom" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *d = params_daemon_directory_for(rows[i].exe);

		if (strcmp(d, rows[i].dir) != 0)
			fail_msg("%s: %s, expected %s", rows[i].exe, d,
				 rows[i].dir);
		mem_free(&d);
	}
}

static void
test_myhostname(void **state)
{
	char host[256];
	const char *err = NULL;
	char *want;

	(void)state;
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	assert_int_equal(load("mydomain = example.org\n", &err), 0);
	if (strchr(host, '.') != NULL)
		want = mem_strdup(host);
	else
		want = mem_asprintf("%s.example.org", host);
	assert_string_equal(param_myhostname, want);
	assert_string_equal(param_mydomain, "example.org");
	mem_free(&want);
	config_deinit();
}

/* test_table - the descriptor table is consistent */
static void
test_table(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < params_count; i++) {
		const struct param_def *d = &params_table[i];

		assert_ptr_equal(params_find(d->name), d);
		assert_true(strlen(d->doc) > 10);
		assert_true((d->default_value != NULL) !=
			    (d->default_fn != NULL));
		for (j = 0; j < i; j++)
			assert_string_not_equal(d->name, params_table[j].name);
	}
	assert_null(params_find("service_table"));
}

static void
test_doc_current(void **state)
{
	const char *src = getenv("MR_SOURCE_DIR");
	struct buf want, have;
	char *path;

	(void)state;
	if (src == NULL) {
		skip();
		return;
	}
	path = mem_asprintf("%s/docs/configuration.md", src);
	buf_init(&want, TEST_MAX_TEXT);
	buf_init(&have, TEST_MAX_TEXT);
	config_doc_markdown(&want);
	if (io_read_file(path, TEST_MAX_TEXT, &have) < 0 ||
	    want.len != have.len || memcmp(want.data, have.data, want.len) != 0)
		fail_msg("%s is out of date with lib/params.def; regenerate "
			 "it with: %s --write-doc %s",
			 path, test_argv0, path);
	buf_deinit(&want);
	buf_deinit(&have);
	mem_free(&path);
}

/* write_doc - the --write-doc mode */
static int
write_doc(const char *path)
{
	struct buf doc;
	int rc;

	buf_init(&doc, TEST_MAX_TEXT);
	config_doc_markdown(&doc);
	rc = io_atomic_replace(path, doc.data, doc.len, 0644);
	if (rc < 0)
		perror(path);
	else
		printf("wrote %s\n", path);
	buf_deinit(&doc);
	return rc < 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_config_rows,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_types, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_limits, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_truncation,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_reload, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_print, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_load_directory,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_daemon_directory,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_myhostname,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_table, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_doc_current,
						testlib_setup,
						testlib_teardown),
	};

	if (argc == 3 && strcmp(argv[1], "--write-doc") == 0)
		return write_doc(argv[2]);
	if (argc > 0)
		test_argv0 = argv[0];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
