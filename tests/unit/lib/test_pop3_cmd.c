/*
 * test_pop3_cmd.c - unit tests for lib/pop3_cmd.c: the line framer fed
 * whole, one byte at a time and split at every offset (all three give the
 * same lines), over-long lines reported once, and the command parser over
 * a table of good and malformed commands.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/pop3_cmd.h"

/* frame - frame in[0..n) in chunks split at cut (then chunk octets) */
static void
frame(const char *in, size_t n, size_t max, size_t cut, size_t chunk,
      struct buf *t)
{
	struct pop3_line fr;
	struct buf rx;
	size_t pos = 0;

	pop3_line_init(&fr, max);
	buf_init(&rx, max);
	while (pos < n) {
		size_t take = pos == 0 && cut > 0 ? cut : chunk;
		const uint8_t *line;
		size_t len;
		unsigned flags;

		if (take > n - pos)
			take = n - pos;
		if (take > buf_room(&rx))
			take = buf_room(&rx);
		assert_true(take > 0);
		buf_append(&rx, in + pos, take);
		pos += take;
		while (pop3_line_next(&fr, &rx, &line, &len, &flags) == 1) {
			assert_true(len <= max - 2);
			buf_printf(t, "%s[", flags & POP3_LINE_TOO_LONG
						     ? "LONG"
						     : "");
			buf_append(t, line, len);
			buf_append_str(t, "]");
			pop3_line_consume(&fr, &rx);
		}
	}
	buf_printf(t, "|%zu", rx.len);
	buf_deinit(&rx);
}

static const struct {
	const char *in;
	size_t max;
	const char *lines;	/* transcript: [line] per line, |left */
} frame_rows[] = {
	{ "USER a\r\nPASS b\r\n", 255, "[USER a][PASS b]|0" },
	{ "USER a\nPASS b\n", 255, "[USER a][PASS b]|0" },
	{ "NOOP\r\nSTA", 255, "[NOOP]|3" },
	{ "\r\n\n", 255, "[][]|0" },
	{ "a\rb\r\n", 255, "[a\rb]|0" },
	{ "0123456789\r\nok\r\n", 8, "LONG[012345][ok]|0" },
	{ "0123456789", 8, "LONG[012345]|0" },
	{ "012345\r\n", 8, "[012345]|0" },
	{ "0123456\r\nx\n", 8, "LONG[012345][x]|0" },
};

static void
test_framer(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(frame_rows) / sizeof(frame_rows[0]); i++) {
		const char *in = frame_rows[i].in;
		size_t n = strlen(in), max = frame_rows[i].max, cut;
		struct buf whole, bytes;

		buf_init(&whole, 4096);
		buf_init(&bytes, 4096);
		frame(in, n, max, 0, n, &whole);
		frame(in, n, max, 0, 1, &bytes);
		buf_append_byte(&whole, 0);
		buf_append_byte(&bytes, 0);
		/* A line cut off at the end stays in the buffer; a long one
		 * is dropped: compare without the remainder count. */
		if (strncmp((const char *)whole.data, frame_rows[i].lines,
			    strlen(frame_rows[i].lines)) != 0)
			fail_msg("row %zu: %s", i, (const char *)whole.data);
		*strrchr((char *)whole.data, '|') = '\0';
		*strrchr((char *)bytes.data, '|') = '\0';
		assert_string_equal(whole.data, bytes.data);
		for (cut = 1; cut < n; cut++) {
			struct buf split;

			buf_init(&split, 4096);
			frame(in, n, max, cut, n, &split);
			buf_append_byte(&split, 0);
			*strrchr((char *)split.data, '|') = '\0';
			assert_string_equal(whole.data, split.data);
			buf_deinit(&split);
		}
		buf_deinit(&whole);
		buf_deinit(&bytes);
	}
}

static const struct {
	const char *line;
	int rc;
	enum pop3_verb verb;
	enum pop3_cmd_error err;
	unsigned argc;
	const char *arg0, *arg1;
	uint32_t num0, num1;
} parse_rows[] = {
	{ "USER alice", 0, POP3_VERB_USER, 0, 1, "alice", NULL, 0, 0 },
	{ "user  alice  ", 0, POP3_VERB_USER, 0, 1, "alice", NULL, 0, 0 },
	{ "PASS two words ", 0, POP3_VERB_PASS, 0, 1, "two words ", NULL, 0,
	  0 },
	{ "PASS", -1, POP3_VERB_PASS, POP3_CMD_ERR_ARGS, 0, 0, 0, 0, 0 },
	{ "USER", -1, POP3_VERB_USER, POP3_CMD_ERR_ARGS, 0, 0, 0, 0, 0 },
	{ "USER a b", -1, POP3_VERB_USER, POP3_CMD_ERR_ARGS, 0, 0, 0, 0, 0 },
	{ "STAT", 0, POP3_VERB_STAT, 0, 0, NULL, NULL, 0, 0 },
	{ "STAT 1", -1, POP3_VERB_STAT, POP3_CMD_ERR_ARGS, 0, 0, 0, 0, 0 },
	{ "LIST", 0, POP3_VERB_LIST, 0, 0, NULL, NULL, 0, 0 },
	{ "LIST 7", 0, POP3_VERB_LIST, 0, 1, "7", NULL, 7, 0 },
	{ "LIST 0", -1, POP3_VERB_LIST, POP3_CMD_ERR_NUMBER, 0, 0, 0, 0, 0 },
	{ "LIST -1", -1, POP3_VERB_LIST, POP3_CMD_ERR_NUMBER, 0, 0, 0, 0,
	  0 },
	{ "LIST 4294967295", 0, POP3_VERB_LIST, 0, 1, "4294967295", NULL,
	  4294967295u, 0 },
	{ "LIST 4294967296", -1, POP3_VERB_LIST, POP3_CMD_ERR_NUMBER, 0, 0,
	  0, 0, 0 },
	{ "RETR 12", 0, POP3_VERB_RETR, 0, 1, "12", NULL, 12, 0 },
	{ "RETR", -1, POP3_VERB_RETR, POP3_CMD_ERR_ARGS, 0, 0, 0, 0, 0 },
	{ "RETR 1x", -1, POP3_VERB_RETR, POP3_CMD_ERR_NUMBER, 0, 0, 0, 0, 0 },
	{ "TOP 3 0", 0, POP3_VERB_TOP, 0, 2, "3", "0", 3, 0 },
	{ "TOP 0 3", -1, POP3_VERB_TOP, POP3_CMD_ERR_NUMBER, 0, 0, 0, 0, 0 },
	{ "TOP 3", -1, POP3_VERB_TOP, POP3_CMD_ERR_ARGS, 0, 0, 0, 0, 0 },
	{ "TOP 1 2 3", -1, POP3_VERB_TOP, POP3_CMD_ERR_ARGS, 0, 0, 0, 0, 0 },
	{ "AUTH", 0, POP3_VERB_AUTH, 0, 0, NULL, NULL, 0, 0 },
	{ "AUTH PLAIN AGEAYg==", 0, POP3_VERB_AUTH, 0, 2, "PLAIN", "AGEAYg==",
	  0, 0 },
	{ "UIDL 2", 0, POP3_VERB_UIDL, 0, 1, "2", NULL, 2, 0 },
	{ "DELE 1", 0, POP3_VERB_DELE, 0, 1, "1", NULL, 1, 0 },
	{ "NOOP", 0, POP3_VERB_NOOP, 0, 0, NULL, NULL, 0, 0 },
	{ "RSET", 0, POP3_VERB_RSET, 0, 0, NULL, NULL, 0, 0 },
	{ "QUIT", 0, POP3_VERB_QUIT, 0, 0, NULL, NULL, 0, 0 },
	{ "CAPA", 0, POP3_VERB_CAPA, 0, 0, NULL, NULL, 0, 0 },
	{ "STLS", 0, POP3_VERB_STLS, 0, 0, NULL, NULL, 0, 0 },
	{ "APOP a b", 0, POP3_VERB_APOP, 0, 2, "a", "b", 0, 0 },
	{ "", -1, POP3_VERB_UNKNOWN, POP3_CMD_ERR_UNKNOWN, 0, 0, 0, 0, 0 },
	{ " STAT", -1, POP3_VERB_UNKNOWN, POP3_CMD_ERR_UNKNOWN, 0, 0, 0, 0,
	  0 },
	{ "STATS", -1, POP3_VERB_UNKNOWN, POP3_CMD_ERR_UNKNOWN, 0, 0, 0, 0,
	  0 },
	{ "LAST", -1, POP3_VERB_UNKNOWN, POP3_CMD_ERR_UNKNOWN, 0, 0, 0, 0, 0 },
	{ "USER a\tb", -1, POP3_VERB_USER, POP3_CMD_ERR_ARGS, 0, 0, 0, 0, 0 },
	{ "STAT\r", -1, POP3_VERB_UNKNOWN, POP3_CMD_ERR_UNKNOWN, 0, 0, 0, 0,
	  0 },
};

static void
test_parse(void **state)
{
	struct pop3_cmd cmd;
	enum pop3_cmd_error err;
	char line[POP3_SASL_LINE_MAX + 8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
		const char *l = parse_rows[i].line;
		int rc = pop3_cmd_parse((const uint8_t *)l, strlen(l), &cmd,
					&err);

		if (rc != parse_rows[i].rc)
			fail_msg("row \"%s\": rc %d", l, rc);
		assert_int_equal(cmd.verb, parse_rows[i].verb);
		if (rc < 0) {
			assert_int_equal(err, parse_rows[i].err);
			continue;
		}
		assert_int_equal(cmd.argc, parse_rows[i].argc);
		if (cmd.argc > 0)
			assert_string_equal(cmd.args[0], parse_rows[i].arg0);
		if (cmd.argc > 1)
			assert_string_equal(cmd.args[1], parse_rows[i].arg1);
		assert_int_equal(cmd.nums[0], parse_rows[i].num0);
		assert_int_equal(cmd.nums[1], parse_rows[i].num1);
	}
	/* NUL inside. */
	assert_int_equal(pop3_cmd_parse((const uint8_t *)"USER a\0b", 8, &cmd,
					&err),
			 -1);
	assert_int_equal(err, POP3_CMD_ERR_ARGS);
	/* 253 octets (255 with CR LF) pass, 254 do not; AUTH may be long. */
	memset(line, ' ', sizeof(line));
	memcpy(line, "NOOP", 4);
	assert_int_equal(pop3_cmd_parse((const uint8_t *)line, 253, &cmd,
					&err),
			 0);
	assert_int_equal(pop3_cmd_parse((const uint8_t *)line, 254, &cmd,
					&err),
			 -1);
	assert_int_equal(err, POP3_CMD_ERR_TOO_LONG);
	memcpy(line, "AUTH PLAIN ", 11);
	memset(line + 11, 'A', sizeof(line) - 11);
	assert_int_equal(pop3_cmd_parse((const uint8_t *)line,
					POP3_SASL_LINE_MAX - 2, &cmd, &err),
			 0);
	assert_int_equal(strlen(cmd.args[1]), POP3_SASL_LINE_MAX - 13);
	assert_int_equal(pop3_cmd_parse((const uint8_t *)line,
					POP3_SASL_LINE_MAX - 1, &cmd, &err),
			 -1);
	assert_int_equal(err, POP3_CMD_ERR_TOO_LONG);
	assert_string_equal(pop3_cmd_verb_name(POP3_VERB_TOP), "TOP");
	assert_string_equal(pop3_cmd_verb_name(POP3_VERB_COUNT), "UNKNOWN");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_framer, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_parse, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
