/*
 * test_smtp_cmd.c - unit tests for lib/smtp_cmd.c: one table of command
 * lines, good and bad, in lenient and strict mode, with the expected verb,
 * reply code and the parsed fields that matter.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/smtp_cmd.h"

#define STRICT SMTP_CMD_F_STRICT
#define UTF8 SMTP_CMD_F_UTF8

/*
 * One row: line (len 0 means strlen), flags, expected verb and reply code
 * (0 = accepted), enhanced code of the error, and for accepted lines the
 * formatted path (NULL: not checked) and arg (NULL: must be NULL).
 */
struct cmd_row {
	const char *line;
	size_t len;
	int flags;
	enum smtp_verb verb;
	int code;
	const char *enhanced;
	const char *path;
	const char *arg;
};

static const struct cmd_row rows[] = {
    /* verbs without arguments */
    {"DATA", 0, 0, SMTP_VERB_DATA, 0, NULL, NULL, NULL},
    {"data", 0, STRICT, SMTP_VERB_DATA, 0, NULL, NULL, NULL},
    {"DATA x", 0, 0, SMTP_VERB_DATA, 501, "5.5.4", NULL, NULL},
    {"DATA ", 0, 0, SMTP_VERB_DATA, 0, NULL, NULL, NULL},
    {"DATA ", 0, STRICT, SMTP_VERB_DATA, 501, "5.5.4", NULL, NULL},
    {"RSET", 0, 0, SMTP_VERB_RSET, 0, NULL, NULL, NULL},
    {"RSET now", 0, 0, SMTP_VERB_RSET, 501, "5.5.4", NULL, NULL},
    {"QUIT", 0, 0, SMTP_VERB_QUIT, 0, NULL, NULL, NULL},
    {"StartTLS", 0, 0, SMTP_VERB_STARTTLS, 0, NULL, NULL, NULL},
    {"STARTTLS x", 0, 0, SMTP_VERB_STARTTLS, 501, "5.5.4", NULL, NULL},
    /* unknown verbs */
    {"FOO", 0, 0, SMTP_VERB_UNKNOWN, 500, "5.5.1", NULL, NULL},
    {"", 0, 0, SMTP_VERB_UNKNOWN, 500, "5.5.1", NULL, NULL},
    {"MAILFROM:<a@b.example>", 0, 0, SMTP_VERB_UNKNOWN, 500, "5.5.1", NULL,
     NULL},
    {"DAT", 0, 0, SMTP_VERB_UNKNOWN, 500, "5.5.1", NULL, NULL},
    {"DATA\0", 5, 0, SMTP_VERB_UNKNOWN, 500, "5.5.1", NULL, NULL},
    {"GET / HTTP/1.0", 0, 0, SMTP_VERB_UNKNOWN, 500, "5.5.1", NULL, NULL},
    /* control characters */
    {"NOOP a\0b", 8, 0, SMTP_VERB_NOOP, 501, "5.5.2", NULL, NULL},
    {"NOOP a\rb", 0, 0, SMTP_VERB_NOOP, 501, "5.5.2", NULL, NULL},
    {"NOOP a\nb", 0, 0, SMTP_VERB_NOOP, 501, "5.5.2", NULL, NULL},
    {"NOOP\tx", 0, STRICT, SMTP_VERB_UNKNOWN, 500, "5.5.1", NULL, NULL},
    /* optional arguments */
    {"NOOP", 0, 0, SMTP_VERB_NOOP, 0, NULL, NULL, NULL},
    {"NOOP hello there", 0, 0, SMTP_VERB_NOOP, 0, NULL, NULL, "hello there"},
    {"HELP", 0, 0, SMTP_VERB_HELP, 0, NULL, NULL, NULL},
    {"HELP mail", 0, 0, SMTP_VERB_HELP, 0, NULL, NULL, "mail"},
    {"VRFY postmaster", 0, 0, SMTP_VERB_VRFY, 0, NULL, NULL, "postmaster"},
    {"EXPN  staff ", 0, 0, SMTP_VERB_EXPN, 0, NULL, NULL, "staff"},
    {"VRFY \xff", 0, 0, SMTP_VERB_VRFY, 501, "5.5.4", NULL, NULL},
    /* HELO / EHLO */
    {"EHLO client.example", 0, 0, SMTP_VERB_EHLO, 0, NULL, NULL,
     "client.example"},
    {"HELO [192.0.2.7]", 0, STRICT, SMTP_VERB_HELO, 0, NULL, NULL,
     "[192.0.2.7]"},
    {"EHLO", 0, 0, SMTP_VERB_EHLO, 501, "5.5.4", NULL, NULL},
    {"EHLO   ", 0, 0, SMTP_VERB_EHLO, 501, "5.5.4", NULL, NULL},
    {"HELO my pc", 0, 0, SMTP_VERB_HELO, 0, NULL, NULL, "my pc"},
    {"HELO my pc", 0, STRICT, SMTP_VERB_HELO, 501, "5.5.2", NULL, NULL},
    {"EHLO  client.example", 0, STRICT, SMTP_VERB_EHLO, 501, "5.5.2", NULL,
     NULL},
    /* MAIL */
    {"MAIL FROM:<a@b.example>", 0, STRICT, SMTP_VERB_MAIL, 0, NULL,
     "a@b.example", NULL},
    {"mail from:<A@B.Example>", 0, 0, SMTP_VERB_MAIL, 0, NULL, "A@b.example",
     NULL},
    {"MAIL FROM:<>", 0, STRICT, SMTP_VERB_MAIL, 0, NULL, "", NULL},
    {"MAIL FROM: <a@b.example>", 0, 0, SMTP_VERB_MAIL, 0, NULL, "a@b.example",
     NULL},
    {"MAIL FROM: <a@b.example>", 0, STRICT, SMTP_VERB_MAIL, 501, "5.1.7", NULL,
     NULL},
    {"MAIL FROM:a@b.example", 0, 0, SMTP_VERB_MAIL, 0, NULL, "a@b.example",
     NULL},
    {"MAIL FROM:a@b.example SIZE=10", 0, 0, SMTP_VERB_MAIL, 0, NULL,
     "a@b.example", NULL},
    {"MAIL FROM:a@b.example", 0, STRICT, SMTP_VERB_MAIL, 501, "5.1.7", NULL,
     NULL},
    {"MAIL FROM:<@r.example:a@b.example>", 0, STRICT, SMTP_VERB_MAIL, 0, NULL,
     "a@b.example", NULL},
    {"MAIL TO:<a@b.example>", 0, 0, SMTP_VERB_MAIL, 501, "5.5.4", NULL, NULL},
    {"MAIL FROM:", 0, 0, SMTP_VERB_MAIL, 501, "5.5.4", NULL, NULL},
    {"MAIL", 0, 0, SMTP_VERB_MAIL, 501, "5.5.4", NULL, NULL},
    {"MAIL FROM:<a@b.example>x", 0, 0, SMTP_VERB_MAIL, 501, "5.1.7", NULL,
     NULL},
    {"MAIL FROM:<a@@b.example>", 0, 0, SMTP_VERB_MAIL, 501, "5.1.7", NULL,
     NULL},
    {"MAIL FROM:<a@b.example> ", 0, STRICT, SMTP_VERB_MAIL, 501, "5.5.4", NULL,
     NULL},
    {"MAIL FROM:<a@b.example>  SIZE=1", 0, STRICT, SMTP_VERB_MAIL, 501, "5.5.4",
     NULL, NULL},
    {"MAIL FROM:<a@b.example>  SIZE=1 ", 0, 0, SMTP_VERB_MAIL, 0, NULL,
     "a@b.example", NULL},
    /* MAIL parameters */
    {"MAIL FROM:<a@b.example> SIZE=12345 BODY=8BITMIME", 0, STRICT,
     SMTP_VERB_MAIL, 0, NULL, "a@b.example", NULL},
    {"MAIL FROM:<a@b.example> size=0 body=binarymime", 0, 0, SMTP_VERB_MAIL, 0,
     NULL, "a@b.example", NULL},
    {"MAIL FROM:<a@b.example> SIZE=18446744073709551615", 0, 0, SMTP_VERB_MAIL,
     0, NULL, "a@b.example", NULL},
    {"MAIL FROM:<a@b.example> SIZE=18446744073709551616", 0, 0, SMTP_VERB_MAIL,
     552, "5.3.4", NULL, NULL},
    {"MAIL FROM:<a@b.example> SIZE=99999999999999999999999", 0, 0,
     SMTP_VERB_MAIL, 552, "5.3.4", NULL, NULL},
    {"MAIL FROM:<a@b.example> SIZE=00000000000000000000000001", 0, 0,
     SMTP_VERB_MAIL, 0, NULL, "a@b.example", NULL},
    {"MAIL FROM:<a@b.example> SIZE=-1", 0, 0, SMTP_VERB_MAIL, 501, "5.5.4",
     NULL, NULL},
    {"MAIL FROM:<a@b.example> SIZE=1k", 0, 0, SMTP_VERB_MAIL, 501, "5.5.4",
     NULL, NULL},
    {"MAIL FROM:<a@b.example> SIZE=", 0, 0, SMTP_VERB_MAIL, 501, "5.5.4", NULL,
     NULL},
    {"MAIL FROM:<a@b.example> SIZE", 0, 0, SMTP_VERB_MAIL, 501, "5.5.4", NULL,
     NULL},
    {"MAIL FROM:<a@b.example> SIZE=1 SIZE=2", 0, 0, SMTP_VERB_MAIL, 501,
     "5.5.4", NULL, NULL},
    {"MAIL FROM:<a@b.example> BODY=9BIT", 0, 0, SMTP_VERB_MAIL, 501, "5.5.4",
     NULL, NULL},
    {"MAIL FROM:<a@b.example> RET=HDRS ENVID=QQ+2B1", 0, 0, SMTP_VERB_MAIL, 0,
     NULL, "a@b.example", NULL},
    {"MAIL FROM:<a@b.example> RET=BODY", 0, 0, SMTP_VERB_MAIL, 501, "5.5.4",
     NULL, NULL},
    {"MAIL FROM:<a@b.example> ENVID=a+0Ab", 0, 0, SMTP_VERB_MAIL, 501, "5.5.4",
     NULL, NULL},
    {"MAIL FROM:<a@b.example> ENVID=a+", 0, 0, SMTP_VERB_MAIL, 501, "5.5.4",
     NULL, NULL},
    {"MAIL FROM:<a@b.example> AUTH=<>", 0, 0, SMTP_VERB_MAIL, 0, NULL,
     "a@b.example", NULL},
    {"MAIL FROM:<a@b.example> AUTH=e+2Bf@x.example", 0, 0, SMTP_VERB_MAIL, 0,
     NULL, "a@b.example", NULL},
    {"MAIL FROM:<a@b.example> AUTH=a+zz", 0, 0, SMTP_VERB_MAIL, 501, "5.5.4",
     NULL, NULL},
    {"MAIL FROM:<a@b.example> FOO=bar", 0, 0, SMTP_VERB_MAIL, 555, "5.5.4",
     NULL, NULL},
    {"MAIL FROM:<a@b.example> NOTIFY=NEVER", 0, 0, SMTP_VERB_MAIL, 555, "5.5.4",
     NULL, NULL},
    {"MAIL FROM:<a@b.example> -X=1", 0, 0, SMTP_VERB_MAIL, 501, "5.5.4", NULL,
     NULL},
    {"MAIL FROM:<a@b.example> X=a=b", 0, 0, SMTP_VERB_MAIL, 501, "5.5.4", NULL,
     NULL},
    /* SMTPUTF8 */
    {"MAIL FROM:<a@b.example> SMTPUTF8", 0, UTF8, SMTP_VERB_MAIL, 0, NULL,
     "a@b.example", NULL},
    {"MAIL FROM:<a@b.example> SMTPUTF8", 0, 0, SMTP_VERB_MAIL, 555, "5.5.4",
     NULL, NULL},
    {"MAIL FROM:<a@b.example> SMTPUTF8=yes", 0, UTF8, SMTP_VERB_MAIL, 501,
     "5.5.4", NULL, NULL},
    {"MAIL FROM:<pel\xc3\xa9@b.example> SMTPUTF8", 0, UTF8, SMTP_VERB_MAIL, 0,
     NULL, "pel\xc3\xa9@b.example", NULL},
    {"MAIL FROM:<pel\xc3\xa9@b.example>", 0, UTF8, SMTP_VERB_MAIL, 553, "5.6.7",
     NULL, NULL},
    {"MAIL FROM:<pel\xc3\xa9@b.example> SMTPUTF8", 0, 0, SMTP_VERB_MAIL, 553,
     "5.6.7", NULL, NULL},
    /* RCPT */
    {"RCPT TO:<c@d.example>", 0, STRICT, SMTP_VERB_RCPT, 0, NULL, "c@d.example",
     NULL},
    {"RCPT TO:<Postmaster>", 0, STRICT, SMTP_VERB_RCPT, 0, NULL, "Postmaster",
     NULL},
    {"RCPT TO:<>", 0, 0, SMTP_VERB_RCPT, 501, "5.1.3", NULL, NULL},
    {"RCPT TO:<c>", 0, 0, SMTP_VERB_RCPT, 501, "5.1.3", NULL, NULL},
    {"RCPT FROM:<c@d.example>", 0, 0, SMTP_VERB_RCPT, 501, "5.5.4", NULL, NULL},
    {"RCPT TO:<c@d.example> NOTIFY=SUCCESS,FAILURE,DELAY", 0, 0, SMTP_VERB_RCPT,
     0, NULL, "c@d.example", NULL},
    {"RCPT TO:<c@d.example> NOTIFY=never", 0, 0, SMTP_VERB_RCPT, 0, NULL,
     "c@d.example", NULL},
    {"RCPT TO:<c@d.example> NOTIFY=NEVER,DELAY", 0, 0, SMTP_VERB_RCPT, 501,
     "5.5.4", NULL, NULL},
    {"RCPT TO:<c@d.example> NOTIFY=DELAY,DELAY", 0, 0, SMTP_VERB_RCPT, 501,
     "5.5.4", NULL, NULL},
    {"RCPT TO:<c@d.example> NOTIFY=SUCCESS,", 0, 0, SMTP_VERB_RCPT, 501,
     "5.5.4", NULL, NULL},
    {"RCPT TO:<c@d.example> NOTIFY=SOMETIMES", 0, 0, SMTP_VERB_RCPT, 501,
     "5.5.4", NULL, NULL},
    {"RCPT TO:<c@d.example> ORCPT=rfc822;c+40d.example", 0, 0, SMTP_VERB_RCPT,
     0, NULL, "c@d.example", NULL},
    {"RCPT TO:<c@d.example> ORCPT=rfc822;c@d.example", 0, 0, SMTP_VERB_RCPT, 0,
     NULL, "c@d.example", NULL},
    {"RCPT TO:<c@d.example> ORCPT=rfc822", 0, 0, SMTP_VERB_RCPT, 501, "5.5.4",
     NULL, NULL},
    {"RCPT TO:<c@d.example> ORCPT=rfc822;", 0, 0, SMTP_VERB_RCPT, 501, "5.5.4",
     NULL, NULL},
    {"RCPT TO:<c@d.example> ORCPT=;c", 0, 0, SMTP_VERB_RCPT, 501, "5.5.4", NULL,
     NULL},
    {"RCPT TO:<c@d.example> ORCPT=rfc822;a+0Db", 0, 0, SMTP_VERB_RCPT, 501,
     "5.5.4", NULL, NULL},
    {"RCPT TO:<c@d.example> ORCPT=utf-8;\xc3\xa9@d.example", 0, UTF8,
     SMTP_VERB_RCPT, 0, NULL, "c@d.example", NULL},
    {"RCPT TO:<c@d.example> ORCPT=utf-8;\xc3\xa9@d.example", 0, 0,
     SMTP_VERB_RCPT, 501, "5.5.4", NULL, NULL},
    {"RCPT TO:<c@d.example> SIZE=10", 0, 0, SMTP_VERB_RCPT, 555, "5.5.4", NULL,
     NULL},
    {"RCPT TO:<c@d.example> ORCPT=rfc822;a ORCPT=rfc822;b", 0, 0,
     SMTP_VERB_RCPT, 501, "5.5.4", NULL, NULL},
    /* BDAT */
    {"BDAT 1000", 0, STRICT, SMTP_VERB_BDAT, 0, NULL, NULL, NULL},
    {"BDAT 0 LAST", 0, STRICT, SMTP_VERB_BDAT, 0, NULL, NULL, NULL},
    {"bdat 5 last", 0, 0, SMTP_VERB_BDAT, 0, NULL, NULL, NULL},
    {"BDAT", 0, 0, SMTP_VERB_BDAT, 501, "5.5.4", NULL, NULL},
    {"BDAT x", 0, 0, SMTP_VERB_BDAT, 501, "5.5.4", NULL, NULL},
    {"BDAT -1", 0, 0, SMTP_VERB_BDAT, 501, "5.5.4", NULL, NULL},
    {"BDAT 1 FIRST", 0, 0, SMTP_VERB_BDAT, 501, "5.5.4", NULL, NULL},
    {"BDAT 1 LAST x", 0, 0, SMTP_VERB_BDAT, 501, "5.5.4", NULL, NULL},
    {"BDAT 99999999999999999999", 0, 0, SMTP_VERB_BDAT, 552, "5.3.4", NULL,
     NULL},
    /* AUTH */
    {"AUTH PLAIN", 0, STRICT, SMTP_VERB_AUTH, 0, NULL, NULL, "PLAIN"},
    {"AUTH plain AGZvbwBiYXI=", 0, 0, SMTP_VERB_AUTH, 0, NULL, NULL, "PLAIN"},
    {"AUTH PLAIN =", 0, 0, SMTP_VERB_AUTH, 0, NULL, NULL, "PLAIN"},
    {"AUTH", 0, 0, SMTP_VERB_AUTH, 501, "5.5.4", NULL, NULL},
    {"AUTH PL@IN", 0, 0, SMTP_VERB_AUTH, 501, "5.5.4", NULL, NULL},
    {"AUTH ABCDEFGHIJKLMNOPQRSTU", 0, 0, SMTP_VERB_AUTH, 501, "5.5.4", NULL,
     NULL},
    {"AUTH PLAIN abc", 0, 0, SMTP_VERB_AUTH, 501, "5.5.4", NULL, NULL},
    {"AUTH PLAIN ab=c", 0, 0, SMTP_VERB_AUTH, 501, "5.5.4", NULL, NULL},
    {"AUTH PLAIN abcd efgh", 0, 0, SMTP_VERB_AUTH, 501, "5.5.4", NULL, NULL},
};

static void
test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct cmd_row *r = &rows[i];
		size_t len = r->len != 0 ? r->len : strlen(r->line);
		struct smtp_cmd cmd;
		struct smtp_cmd_error err;
		int ret;

		ret = smtp_cmd_parse((const uint8_t *)r->line, len, r->flags,
		                     &cmd, &err);
		if (cmd.verb != r->verb || (ret == 0) != (r->code == 0) ||
		    err.code != r->code)
			fail_msg("row %zu (%s): verb %d ret %d code %d %s", i,
			         r->line, cmd.verb, ret, err.code, err.text);
		if (ret < 0) {
			if (strcmp(err.enhanced, r->enhanced) != 0)
				fail_msg("row %zu (%s): enhanced %s", i,
				         r->line, err.enhanced);
			assert_null(cmd.arg);
			assert_null(cmd.path.local);
			assert_null(cmd.envid);
		} else {
			if (r->path != NULL) {
				char *f = addr_format(&cmd.path);

				if (strcmp(f, r->path) != 0)
					fail_msg("row %zu: path %s", i, f);
				mem_free(&f);
			}
			if (r->arg == NULL && cmd.verb != SMTP_VERB_AUTH)
				assert_null(cmd.arg);
			else if (r->arg != NULL)
				assert_string_equal(cmd.arg, r->arg);
		}
		smtp_cmd_deinit(&cmd);
	}
}

/* parse_ok - parse a line that must be accepted */
static void
parse_ok(const char *line, int flags, struct smtp_cmd *cmd)
{
	struct smtp_cmd_error err;

	if (smtp_cmd_parse((const uint8_t *)line, strlen(line), flags, cmd,
	                   &err) != 0)
		fail_msg("%s: %d %s", line, err.code, err.text);
}

static void
test_fields(void **state)
{
	struct smtp_cmd cmd;

	(void)state;
	parse_ok("MAIL FROM:<> SIZE=123 BODY=8BITMIME RET=FULL "
	         "ENVID=id+2B1 AUTH=u+2Bx@h.example SMTPUTF8",
	         SMTP_CMD_F_UTF8, &cmd);
	assert_true(addr_is_null(&cmd.path));
	assert_int_equal(cmd.params, SMTP_PARAM_SIZE | SMTP_PARAM_BODY |
	                                 SMTP_PARAM_RET | SMTP_PARAM_ENVID |
	                                 SMTP_PARAM_AUTH | SMTP_PARAM_SMTPUTF8);
	assert_int_equal(cmd.size, 123);
	assert_int_equal(cmd.body, SMTP_BODY_8BITMIME);
	assert_int_equal(cmd.ret, SMTP_RET_FULL);
	assert_string_equal(cmd.envid, "id+1");
	assert_string_equal(cmd.auth, "u+2Bx@h.example");
	smtp_cmd_deinit(&cmd);

	parse_ok("RCPT TO:<c@d.example> NOTIFY=FAILURE,DELAY "
	         "ORCPT=RFC822;c+2Bx@d.example",
	         0, &cmd);
	assert_int_equal(cmd.notify, SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY);
	assert_string_equal(cmd.orcpt_type, "rfc822");
	assert_string_equal(cmd.orcpt, "c+x@d.example");
	smtp_cmd_deinit(&cmd);

	parse_ok("BDAT 0000512 LAST", 0, &cmd);
	assert_int_equal(cmd.chunk_octets, 512);
	assert_true(cmd.chunk_last);
	smtp_cmd_deinit(&cmd);

	parse_ok("AUTH login dXNlcg==", 0, &cmd);
	assert_string_equal(cmd.arg, "LOGIN");
	assert_string_equal(cmd.auth_initial, "dXNlcg==");
	smtp_cmd_deinit(&cmd);

	parse_ok("EHLO [IPv6:2001:db8::5]", 0, &cmd);
	assert_true(cmd.helo_valid);
	smtp_cmd_deinit(&cmd);
	parse_ok("HELO bad_name!", 0, &cmd);
	assert_false(cmd.helo_valid);
	smtp_cmd_deinit(&cmd);
	assert_string_equal(smtp_verb_name(SMTP_VERB_STARTTLS), "STARTTLS");
	assert_string_equal(smtp_verb_name(SMTP_VERB_UNKNOWN), "");
}

static void
test_limits(void **state)
{
	char line[700];
	struct smtp_cmd cmd;
	struct smtp_cmd_error err;
	size_t n;

	(void)state;
	/* ENVID: 100 octets fit, 101 do not. */
	n = (size_t)snprintf(line, sizeof(line), "MAIL FROM:<> ENVID=");
	memset(line + n, 'e', SMTP_CMD_ENVID_MAX);
	assert_int_equal(smtp_cmd_parse((const uint8_t *)line,
	                                n + SMTP_CMD_ENVID_MAX, 0, &cmd, &err),
	                 0);
	smtp_cmd_deinit(&cmd);
	line[n + SMTP_CMD_ENVID_MAX] = 'e';
	assert_int_equal(smtp_cmd_parse((const uint8_t *)line,
	                                n + SMTP_CMD_ENVID_MAX + 1, 0, &cmd,
	                                &err),
	                 -1);
	assert_int_equal(err.code, 501);
	smtp_cmd_deinit(&cmd);
	/* ORCPT: 500 octets fit, 501 do not. */
	n = (size_t)snprintf(line, sizeof(line),
	                     "RCPT TO:<a@b.example> "
	                     "ORCPT=rfc822;");
	memset(line + n, 'o', SMTP_CMD_ORCPT_MAX - 7);
	assert_int_equal(smtp_cmd_parse((const uint8_t *)line,
	                                n + SMTP_CMD_ORCPT_MAX - 7, 0, &cmd,
	                                &err),
	                 0);
	smtp_cmd_deinit(&cmd);
	line[n + SMTP_CMD_ORCPT_MAX - 7] = 'o';
	assert_int_equal(smtp_cmd_parse((const uint8_t *)line,
	                                n + SMTP_CMD_ORCPT_MAX - 6, 0, &cmd,
	                                &err),
	                 -1);
	smtp_cmd_deinit(&cmd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_table, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_fields, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_limits, testlib_setup,
	                                    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
