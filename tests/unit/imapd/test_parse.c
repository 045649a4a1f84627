/*
 * test_parse.c - unit tests for imapd/parse.c (the tokenizer) and the
 * grammars of imapd/parse_args.c, parse_fetch.c and parse_search.c.
 *
 * Tokenizer rows are a client's byte stream and the transcript of
 * events it must give (commands with their arguments, continuation
 * requests, literals taken, errors); each stream is fed whole, one octet
 * at a time and split at every offset, and all must give the same
 * transcript. Grammar rows are one command line each and the structure
 * or error expected. With MR_IMAP_PARSE_WRITE_CORPUS=DIR the streams are
 * written to DIR as the seed corpus of tests/fuzz/fuzz_imap_parse.c.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapd/parse.h"
#include "lib/buf.h"
#include "lib/io.h"
#include "lib/mem.h"

/* Small limits so the rows can reach them. */
static const struct imap_parse_limits small = {
    .line_max = 64,
    .literal_max = 8,
    .literal_take_max = 20,
    .literals_max = 3,
    .depth_max = 3,
};

static const struct {
	const char *in;
	const char *out;
} rows[] = {
    {"a1 NOOP\r\n", "CMD a1 NOOP\n"},
    {"a1 noop\n", "CMD a1 NOOP\n"},
    {"\r\n\r\na1 NOOP\r\n", "CMD a1 NOOP\n"},
    {"a1 LOGIN joe \"se\\\"cr\\\\et\"\r\n",
     "CMD a1 LOGIN joe \"se\"cr\\et\"\n"},
    {"a1 LOGIN {3}\r\njoe {2}\r\npw\r\n",
     "CONT 3\nCONT 2\nCMD a1 LOGIN {3}joe {2}pw\n"},
    {"a1 LOGIN {3+}\r\njoe {0+}\r\n\r\n", "CMD a1 LOGIN {3}joe {0}\n"},
    {"a1 SELECT NIL\r\n", "CMD a1 SELECT NIL\n"},
    {"a1 X \"NIL\" nil Nil\r\n", "CMD a1 X \"NIL\" NIL NIL\n"},
    {"a1 X (a (b c) ()) d\r\n", "CMD a1 X (a (b c) ()) d\n"},
    {"a1 X  a   b  \r\n", "CMD a1 X a b\n"},
    {"a1 FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.10>)\r\n",
     "CMD a1 FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.10>)\n"},
    {"a1 FETCH 1 BODY[HEADER.FIELDS (\"X-A]\" B)]\r\n",
     "CMD a1 FETCH 1 BODY[HEADER.FIELDS (\"X-A]\" B)]\n"},
    {"a1 STORE 1 +FLAGS (\\Seen \\Deleted)\r\n",
     "CMD a1 STORE 1 +FLAGS (\\Seen \\Deleted)\n"},
    {"a1 LIST \"\" %\r\na2 LIST \"\" *\r\n",
     "CMD a1 LIST \"\" %\nCMD a2 LIST \"\" *\n"},
    {"a1 SEARCH CHARSET UTF-8 SUBJECT \"\xc3\xa9\"\r\n",
     "CMD a1 SEARCH CHARSET UTF-8 SUBJECT \"\xc3\xa9\"\n"},
    {"a1 NOOP\r\na2 NOOP\r\n", "CMD a1 NOOP\nCMD a2 NOOP\n"},
    {"tag.with-odd:chars] NOOP\r\n", "CMD tag.with-odd:chars] NOOP\n"},
    /* Literals over literal_max: taken by the caller. */
    {"a1 APPEND INBOX {10}\r\n0123456789\r\n",
     "LIT 10 sync\nCMD a1 APPEND INBOX {taken 10}\n"},
    {"a1 APPEND INBOX (\\Seen) {10+}\r\n0123456789 x\r\n",
     "LIT 10\nCMD a1 APPEND INBOX (\\Seen) {taken 10} x\n"},
    {"a1 APPEND INBOX {21}\r\na2 NOOP\r\n",
     "LIT 21 sync\nERR a1 Literal too large\nCMD a2 NOOP\n"},
    {"a1 APPEND INBOX {21+}\r\n0123456789012345678901\r\n",
     "LIT 21\nFATAL a1 Literal too large\n"},
    /* Errors: reply BAD, skip the rest of the line, go on. */
    {"\r\n NOOP\r\na2 NOOP\r\n", "ERR - Missing tag\nCMD a2 NOOP\n"},
    {"a1\r\na2 NOOP\r\n", "ERR a1 Missing command\nCMD a2 NOOP\n"},
    {"a1 \r\na2 NOOP\r\n", "ERR a1 Missing command\nCMD a2 NOOP\n"},
    {"a+1 NOOP\r\na2 NOOP\r\n", "ERR - Invalid tag\nCMD a2 NOOP\n"},
    {"* NOOP\r\n", "ERR - Invalid tag\n"},
    {"a1 NO(OP\r\na2 NOOP\r\n", "ERR a1 Invalid command name\nCMD a2 NOOP\n"},
    {"a1 X \"unterminated\r\na2 NOOP\r\n",
     "ERR a1 Unterminated quoted string\nCMD a2 NOOP\n"},
    {"a1 X \"bad\\escape\"\r\na2 NOOP\r\n",
     "ERR a1 Invalid escape in quoted string\nCMD a2 NOOP\n"},
    {"a1 X (a\r\na2 NOOP\r\n", "ERR a1 Missing \")\"\nCMD a2 NOOP\n"},
    {"a1 X a)\r\na2 NOOP\r\n", "ERR a1 Unexpected \")\"\nCMD a2 NOOP\n"},
    {"a1 X ((((a))))\r\na2 NOOP\r\n",
     "ERR a1 Lists nested too deeply\nCMD a2 NOOP\n"},
    {"a1 X (((a)))\r\n", "CMD a1 X (((a)))\n"},
    {"a1 X \xc3\xa9\r\na2 NOOP\r\n",
     "ERR a1 8-bit octet in atom\nCMD a2 NOOP\n"},
    {"a1 X a\x01\r\na2 NOOP\r\n", "ERR a1 Invalid character\nCMD a2 NOOP\n"},
    {"a1 X a\rb\r\na2 NOOP\r\n", "ERR a1 Bare CR in command\nCMD a2 NOOP\n"},
    {"a1 X {3}x\r\na2 NOOP\r\n",
     "ERR a1 Literal must end the line\nCMD a2 NOOP\n"},
    {"a1 X {}\r\na2 NOOP\r\n", "ERR a1 Invalid literal\nCMD a2 NOOP\n"},
    {"a1 X {3} y\r\na2 NOOP\r\n",
     "ERR a1 Literal must end the line\nCMD a2 NOOP\n"},
    {"a1 X {99999999999999999999}\r\na2 NOOP\r\n",
     "ERR a1 Literal too large\nCMD a2 NOOP\n"},
    {"a1 X BODY[1\r\na2 NOOP\r\n", "ERR a1 Missing \"]\"\nCMD a2 NOOP\n"},
    {"a1 X 0123456789012345678901234567890123456789012345678901234567890123"
     "\r\na2 NOOP\r\n",
     "ERR a1 Line too long\nCMD a2 NOOP\n"},
    /* An error before a literal: a LITERAL+ one is skipped, sync ends. */
    {"a1 X \"bad\\x\" {5+}\r\nab\r\nc\r\na2 NOOP\r\n",
     "ERR a1 Invalid escape in quoted string\nCMD a2 NOOP\n"},
    {"a1 X \"bad\\x\" {5}\r\na2 NOOP\r\n",
     "ERR a1 Invalid escape in quoted string\nCMD a2 NOOP\n"},
    {"a1 X \"bad\\x\" {50+}\r\n",
     "ERR a1 Invalid escape in quoted string\nFATAL - Literal too large\n"},
    {"a1 X {1+}\r\na {1+}\r\nb {1+}\r\nc {2+}\r\nde\r\na2 NOOP\r\n",
     "ERR a1 Too many literals\nCMD a2 NOOP\n"},
    {"a1 X {1}\r\na {1}\r\nb {1}\r\nc {1}\r\na2 NOOP\r\n",
     "CONT 1\nCONT 1\nCONT 1\nERR a1 Too many literals\nCMD a2 NOOP\n"},
    /* Line length counts all lines of a command, not literals. */
    {"a1 X {8+}\r\n01234567 01234567890123456789012345678901234567890123"
     "\r\n",
     "CMD a1 X {8}01234567 01234567890123456789012345678901234567890123\n"},
};

/* dump_args - count arguments from a */
static void
dump_args(const struct imap_arg *a, size_t count, struct buf *out)
{
	size_t i;

	for (i = 0; i < count; i++, a = imap_arg_next(a)) {
		if (i > 0)
			buf_append_byte(out, ' ');
		switch (a->type) {
		case IMAP_ARG_ATOM:
			buf_append(out, a->str, a->len);
			break;
		case IMAP_ARG_NIL:
			buf_append_str(out, "NIL");
			break;
		case IMAP_ARG_QUOTED:
			buf_printf(out, "\"%s\"", a->str);
			break;
		case IMAP_ARG_LITERAL:
			buf_printf(out, "{%zu}", a->len);
			buf_append(out, a->str, a->len);
			break;
		case IMAP_ARG_LITERAL_TAKEN:
			buf_printf(out, "{taken %zu}", a->len);
			break;
		case IMAP_ARG_LIST:
			buf_append_byte(out, '(');
			if (a->list_count > 0)
				dump_args(imap_arg_items(a), a->list_count,
				          out);
			buf_append_byte(out, ')');
			break;
		}
	}
}

/*
 * run - feed the stream in pieces of step octets (0: whole) or split at
 * split; the transcript into out
 */
static void
run(const char *in, size_t len, size_t step, size_t split, struct buf *out)
{
	struct imap_parser *p = imap_parser_new(&small);
	size_t pos = 0, taking = 0;

	buf_reset(out);
	while (pos < len) {
		size_t n = len - pos, used;
		int ret;

		if (step > 0 && n > step)
			n = step;
		if (split > 0 && pos < split && n > split - pos)
			n = split - pos;
		if (taking > 0) {
			/* The caller consumes a taken literal itself. */
			used = n < taking ? n : taking;
			taking -= used;
			pos += used;
			continue;
		}
		ret = imap_parser_feed(p, (const uint8_t *)in + pos, n, &used);
		assert_true(used <= n);
		pos += used;
		if (ret < 0) {
			const char *tag = imap_parser_error_tag(p);

			buf_printf(
			    out, "%s %s %s\n",
			    imap_parser_error_is_fatal(p) ? "FATAL" : "ERR",
			    tag != NULL ? tag : "-", imap_parser_error(p));
			if (imap_parser_error_is_fatal(p))
				break;
			continue;
		}
		if (ret == 0) {
			assert_int_equal(used, n);
			continue;
		}
		switch (imap_parser_event(p)) {
		case IMAP_EVENT_COMMAND: {
			const struct imap_command *cmd = imap_parser_command(p);

			buf_printf(out, "CMD %s %s", cmd->tag, cmd->name);
			if (cmd->arg_count > 0)
				buf_append_byte(out, ' ');
			dump_args(cmd->args, cmd->arg_count, out);
			buf_append_byte(out, '\n');
			break;
		}
		case IMAP_EVENT_CONTINUE:
			buf_printf(
			    out, "CONT %llu\n",
			    (unsigned long long)imap_parser_literal_size(p));
			break;
		case IMAP_EVENT_LITERAL:
			buf_printf(
			    out, "LIT %llu%s\n",
			    (unsigned long long)imap_parser_literal_size(p),
			    imap_parser_literal_is_sync(p) ? " sync" : "");
			taking = imap_parser_literal_size(p);
			if (imap_parser_literal_take(p) < 0) {
				const char *tag = imap_parser_error_tag(p);
				bool fatal = imap_parser_error_is_fatal(p);

				buf_printf(out, "%s %s %s\n",
				           fatal ? "FATAL" : "ERR",
				           tag != NULL ? tag : "-",
				           imap_parser_error(p));
				taking = 0;
				if (fatal)
					pos = len;
			}
			break;
		case IMAP_EVENT_NONE:
			fail_msg("event NONE with ret 1");
		}
	}
	imap_parser_free(&p);
	assert_null(p);
}

/*
 * corpus_write - a stream for the fuzz seed corpus, after the control
 * octet fuzz_imap_parse.c expects (varied, so splits and literal
 * decisions vary)
 */
static void
corpus_write(const char *dir, const char *in)
{
	static unsigned count;
	char path[4096];
	struct buf b;

	buf_init(&b, strlen(in) + 1);
	buf_append_byte(&b, (uint8_t)(count * 37));
	buf_append_str(&b, in);
	snprintf(path, sizeof(path), "%s/row%03u", dir, count++);
	assert_int_equal(io_atomic_replace(path, b.data, b.len, 0644), 0);
	buf_deinit(&b);
}

static void
test_tokenizer(void **state)
{
	const char *corpus = getenv("MR_IMAP_PARSE_WRITE_CORPUS");
	struct buf whole, other;
	size_t i, k;

	(void)state;
	buf_init(&whole, 1 << 16);
	buf_init(&other, 1 << 16);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *in = rows[i].in;
		size_t len = strlen(in);

		if (corpus != NULL)
			corpus_write(corpus, in);
		run(in, len, 0, 0, &whole);
		if (strcmp(buf_cstr(&whole), rows[i].out) != 0)
			fail_msg("row %zu: got\n%swant\n%s", i,
			         buf_cstr(&whole), rows[i].out);
		run(in, len, 1, 0, &other);
		if (strcmp(buf_cstr(&whole), buf_cstr(&other)) != 0)
			fail_msg("row %zu byte by byte:\n%s", i,
			         buf_cstr(&other));
		for (k = 1; k < len; k++) {
			run(in, len, 0, k, &other);
			if (strcmp(buf_cstr(&whole), buf_cstr(&other)) != 0)
				fail_msg("row %zu split %zu:\n%s", i, k,
				         buf_cstr(&other));
		}
	}
	buf_deinit(&whole);
	buf_deinit(&other);
}

/* A synchronising literal can be refused before the client sends it. */
static void
test_literal_reject(void **state)
{
	struct imap_parser *p = imap_parser_new(&small);
	const char *in = "a1 APPEND nosuch {5}\r\n";
	const char *next = "a2 NOOP\r\n";
	size_t used;

	(void)state;
	assert_int_equal(
	    imap_parser_feed(p, (const uint8_t *)in, strlen(in), &used), 1);
	assert_int_equal(imap_parser_event(p), IMAP_EVENT_CONTINUE);
	assert_int_equal(imap_parser_command(p)->arg_count, 1);
	assert_string_equal(imap_parser_command(p)->args[0].str, "nosuch");
	assert_int_equal(imap_parser_literal_reject(p), 0);
	assert_int_equal(
	    imap_parser_feed(p, (const uint8_t *)next, strlen(next), &used), 1);
	assert_string_equal(imap_parser_command(p)->tag, "a2");
	imap_parser_free(&p);

	/* A refused LITERAL+ one is read and dropped with its line. */
	p = imap_parser_new(&small);
	in = "a1 APPEND nosuch {12+}\r\n";
	assert_int_equal(
	    imap_parser_feed(p, (const uint8_t *)in, strlen(in), &used), 1);
	assert_int_equal(imap_parser_event(p), IMAP_EVENT_LITERAL);
	assert_int_equal(imap_parser_literal_reject(p), 0);
	in = "0123456789ab rest\r\na2 NOOP\r\n";
	assert_int_equal(
	    imap_parser_feed(p, (const uint8_t *)in, strlen(in), &used), 1);
	assert_string_equal(imap_parser_command(p)->tag, "a2");
	imap_parser_free(&p);
}

/* A default-limit parser takes a long line and a 64 KiB literal. */
static void
test_default_limits(void **state)
{
	struct imap_parse_limits lim;
	struct imap_parser *p;
	struct buf in;
	size_t used, i;

	(void)state;
	imap_parse_limits_default(&lim);
	p = imap_parser_new(&lim);
	buf_init(&in, 1 << 20);
	buf_printf(&in, "a1 X {%u+}\r\n", IMAP_LITERAL_MAX);
	for (i = 0; i < IMAP_LITERAL_MAX; i++)
		buf_append_byte(&in, 'x');
	buf_append_byte(&in, ' ');
	for (i = 0; i < IMAP_LINE_MAX - 64; i++)
		buf_append_byte(&in, 'y');
	buf_append_str(&in, "\r\n");
	assert_int_equal(imap_parser_feed(p, in.data, in.len, &used), 1);
	assert_int_equal(used, in.len);
	assert_int_equal(imap_parser_command(p)->arg_count, 2);
	assert_int_equal(imap_parser_command(p)->args[0].len, IMAP_LITERAL_MAX);
	imap_parser_free(&p);
	buf_deinit(&in);
}

/* command - tokenize one line with default limits */
static const struct imap_command *
command(struct imap_parser **pp, const char *line)
{
	const char *corpus = getenv("MR_IMAP_PARSE_WRITE_CORPUS");
	struct imap_parse_limits lim;
	size_t used, len = strlen(line);

	if (corpus != NULL)
		corpus_write(corpus, line);
	imap_parse_limits_default(&lim);
	*pp = imap_parser_new(&lim);
	for (;;) {
		if (imap_parser_feed(*pp, (const uint8_t *)line, len, &used) !=
		    1)
			fail_msg("cannot tokenize %s: %s", line,
			         imap_parser_error(*pp));
		if (imap_parser_event(*pp) == IMAP_EVENT_COMMAND)
			return imap_parser_command(*pp);
		line += used;
		len -= used;
	}
}

static void
test_seqset(void **state)
{
	static const struct {
		const char *in;
		uint32_t max;
		const char *members; /* of 1..12, or NULL: invalid */
	} sets[] = {
	    {"1", 10, "1"},           {"1:3", 10, "1 2 3"},
	    {"3:1", 10, "1 2 3"},     {"1:*", 10, "1 2 3 4 5 6 7 8 9 10"},
	    {"*", 10, "10"},          {"*:8", 10, "8 9 10"},
	    {"12:*", 10, "10 11 12"}, {"2,4:5,9,4", 10, "2 4 5 9"},
	    {"1:*", 0, ""},           {"4294967295", 10, ""},
	    {"0", 10, NULL},          {"01", 10, NULL},
	    {"1:", 10, NULL},         {":1", 10, NULL},
	    {"1,", 10, NULL},         {",1", 10, NULL},
	    {"1,,2", 10, NULL},       {"4294967296", 10, NULL},
	    {"1:2:3", 10, NULL},      {"$", 10, NULL},
	    {"", 10, NULL},
	};
	struct buf got;
	size_t i;

	(void)state;
	buf_init(&got, 1024);
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		struct imap_seqset set;
		const char *err;
		uint32_t n;

		if (imap_seqset_parse(sets[i].in, strlen(sets[i].in), &set,
		                      &err) < 0) {
			if (sets[i].members != NULL)
				fail_msg("set %zu (%s): %s", i, sets[i].in,
				         err);
			continue;
		}
		if (sets[i].members == NULL)
			fail_msg("set %zu (%s) accepted", i, sets[i].in);
		imap_seqset_resolve(&set, sets[i].max);
		buf_reset(&got);
		for (n = 1; n <= 12; n++)
			if (imap_seqset_contains(&set, n))
				buf_printf(&got, "%s%u", got.len > 0 ? " " : "",
				           n);
		if (strcmp(buf_cstr(&got), sets[i].members) != 0)
			fail_msg("set %zu (%s): %s", i, sets[i].in,
			         buf_cstr(&got));
		imap_seqset_deinit(&set);
	}
	buf_deinit(&got);
}

static void
test_fetch(void **state)
{
	static const struct {
		const char *args;
		unsigned items;
		const char *sections; /* names joined with "|" (peek: "P") */
		const char *error;
	} fetches[] = {
	    {"ALL", 0x01d, "", NULL},
	    {"fast", 0x00d, "", NULL},
	    {"FULL", 0x03d, "", NULL},
	    {"UID", IMAP_FETCH_UID, "", NULL},
	    {"(FLAGS UID RFC822.SIZE ENVELOPE BODYSTRUCTURE)", 0x05b, "", NULL},
	    {"(RFC822 RFC822.HEADER RFC822.TEXT INTERNALDATE BODY)", 0x3a4, "",
	     NULL},
	    {"BODY[]", 0, "BODY[]", NULL},
	    {"BODY.PEEK[]<0.100>", 0, "PBODY[]<0>", NULL},
	    {"(BODY[1.2.3] body[1.mime] BODY[2.HEADER] BODY[TEXT])", 0,
	     "BODY[1.2.3]|BODY[1.MIME]|BODY[2.HEADER]|BODY[TEXT]", NULL},
	    {"BODY.PEEK[HEADER.FIELDS (From to \"X-Spam\")]", 0,
	     "PBODY[HEADER.FIELDS (FROM TO X-SPAM)]", NULL},
	    {"BODY[1.HEADER.FIELDS.NOT (Received)]<10.5>", 0,
	     "BODY[1.HEADER.FIELDS.NOT (RECEIVED)]<10>", NULL},
	    {"(ALL)", 0, NULL, "Unknown FETCH item"},
	    {"BODY.PEEK", 0, NULL, "Invalid BODY[] section"},
	    {"BODY[MIME]", 0, NULL, "Invalid BODY[] section"},
	    {"BODY[0]", 0, NULL, "Invalid BODY[] section"},
	    {"BODY[1.]", 0, NULL, "Invalid BODY[] section"},
	    {"BODY[1.FOO]", 0, NULL, "Invalid BODY[] section"},
	    {"BODY[HEADER.FIELDS]", 0, NULL, "Invalid header field list"},
	    {"BODY[HEADER.FIELDS ()]", 0, NULL, "Invalid header field list"},
	    {"BODY[HEADER.FIELDS (a:b)]", 0, NULL, "Invalid header field list"},
	    {"BODY[]<0>", 0, NULL, "Invalid BODY[] section"},
	    {"BODY[]<0.0>", 0, NULL, "Invalid BODY[] section"},
	    {"BODY[]<1.2>x", 0, NULL, "Invalid BODY[] section"},
	    {"BODY[1]<4294967296.1>", 0, NULL, "Invalid BODY[] section"},
	    {"()", 0, NULL, "Invalid FETCH items"},
	    {"\"FLAGS\"", 0, NULL, "Invalid FETCH items"},
	    {"(FLAGS \"UID\")", 0, NULL, "Invalid FETCH item"},
	    {"XYZ", 0, NULL, "Unknown FETCH item"},
	    {"BODY[1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23."
	     "24.25.26.27.28.29.30.31.32.33]",
	     0, NULL, "Section nested too deeply"},
	};
	struct buf got;
	size_t i, k;

	(void)state;
	buf_init(&got, 4096);
	for (i = 0; i < sizeof(fetches) / sizeof(fetches[0]); i++) {
		struct imap_parser *p;
		struct imap_fetch f;
		const char *err = NULL;
		char line[512];
		int ret;

		snprintf(line, sizeof(line), "a FETCH 1 %s\r\n",
		         fetches[i].args);
		ret = imap_fetch_parse(imap_arg_next(command(&p, line)->args),
		                       &f, &err);
		if (fetches[i].error != NULL) {
			if (ret != -1 || strcmp(err, fetches[i].error) != 0)
				fail_msg("fetch %zu (%s): %d %s", i,
				         fetches[i].args, ret, err);
			imap_parser_free(&p);
			continue;
		}
		if (ret != 0)
			fail_msg("fetch %zu (%s): %s", i, fetches[i].args, err);
		assert_int_equal(f.items, fetches[i].items);
		buf_reset(&got);
		for (k = 0; k < f.section_count; k++) {
			if (k > 0)
				buf_append_byte(&got, '|');
			if (f.sections[k].peek)
				buf_append_byte(&got, 'P');
			imap_fetch_section_name(&f.sections[k], &got);
		}
		if (strcmp(buf_cstr(&got), fetches[i].sections) != 0)
			fail_msg("fetch %zu (%s): %s", i, fetches[i].args,
			         buf_cstr(&got));
		imap_fetch_deinit(&f);
		imap_parser_free(&p);
	}
	buf_deinit(&got);
}

/* dump_key - a search program as text */
static void
dump_key(const struct imap_search_key *k, struct buf *out)
{
	static const char *const names[] = {
	    "ALL",    "AND",       "OR",     "NOT",  "SEQSET",  "UID",
	    "FLAG",   "UNFLAG",    "NEW",    "OLD",  "KEYWORD", "UNKEYWORD",
	    "LARGER", "SMALLER",   "BEFORE", "ON",   "SINCE",   "SENTBEFORE",
	    "SENTON", "SENTSINCE", "HEADER", "BODY", "TEXT",
	};
	const struct imap_search_key *c;

	buf_append_str(out, names[k->type]);
	if (k->type == IMAP_SK_FLAG || k->type == IMAP_SK_UNFLAG)
		buf_printf(out, ":%x", k->flag);
	if (k->header != NULL)
		buf_printf(out, ":%s", k->header);
	if (k->str != NULL)
		buf_printf(out, ":%s", k->str);
	if (k->type == IMAP_SK_LARGER || k->type == IMAP_SK_SMALLER)
		buf_printf(out, ":%llu", (unsigned long long)k->number);
	if (k->type >= IMAP_SK_BEFORE && k->type <= IMAP_SK_SENTSINCE)
		buf_printf(out, ":%d", k->days);
	if (k->type == IMAP_SK_SEQSET || k->type == IMAP_SK_UID)
		buf_printf(out, ":%zu", k->set.count);
	if (k->children == NULL)
		return;
	buf_append_byte(out, '(');
	for (c = k->children; c != NULL; c = c->next) {
		dump_key(c, out);
		if (c->next != NULL)
			buf_append_byte(out, ' ');
	}
	buf_append_byte(out, ')');
}

static void
test_search(void **state)
{
	static const struct {
		const char *args;
		const char *program; /* or the error text */
		enum imap_search_error kind;
	} searches[] = {
	    {"ALL", "AND(ALL)", 0},
	    {"seen unseen ANSWERED UNANSWERED DELETED UNDELETED DRAFT "
	     "UNDRAFT FLAGGED UNFLAGGED RECENT NEW OLD",
	     "AND(FLAG:8 UNFLAG:8 FLAG:1 UNFLAG:1 FLAG:4 UNFLAG:4 FLAG:10 "
	     "UNFLAG:10 FLAG:2 UNFLAG:2 FLAG:20 NEW OLD)",
	     0},
	    {"FROM joe TO \"a b\" CC c BCC d SUBJECT {2}\r\nhi",
	     "AND(HEADER:From:joe HEADER:To:a b HEADER:Cc:c HEADER:Bcc:d "
	     "HEADER:Subject:hi)",
	     0},
	    {"HEADER X-Spam yes BODY b TEXT t",
	     "AND(HEADER:X-Spam:yes BODY:b "
	     "TEXT:t)",
	     0},
	    {"BEFORE 1-Feb-1994 ON \"01-Jan-1970\" SINCE 29-Feb-2000",
	     "AND(BEFORE:8797 ON:0 SINCE:11016)", 0},
	    {"SENTBEFORE 1-feb-1994 SENTON 2-Feb-1994 SENTSINCE 3-FEB-1994",
	     "AND(SENTBEFORE:8797 SENTON:8798 SENTSINCE:8799)", 0},
	    {"LARGER 100 SMALLER 4294967295",
	     "AND(LARGER:100 "
	     "SMALLER:4294967295)",
	     0},
	    {"KEYWORD $Junk UNKEYWORD foo", "AND(KEYWORD:$Junk UNKEYWORD:foo)",
	     0},
	    {"1:3,5 UID 1:*", "AND(SEQSET:2 UID:1)", 0},
	    {"NOT SEEN", "AND(NOT(FLAG:8))", 0},
	    {"OR SEEN (FROM a TO b)",
	     "AND(OR(FLAG:8 AND(HEADER:From:a HEADER:To:b)))", 0},
	    {"OR OR a b c", NULL, IMAP_SEARCH_ERR_SYNTAX},
	    {"OR OR 1 2 3", "AND(OR(OR(SEQSET:1 SEQSET:1) SEQSET:1))", 0},
	    {"CHARSET UTF-8 SUBJECT \"\xc3\xa9\"",
	     "AND(HEADER:Subject:\xc3\xa9)", 0},
	    {"CHARSET us-ascii ALL", "AND(ALL)", 0},
	    {"CHARSET ISO-8859-1 ALL", "Unsupported charset",
	     IMAP_SEARCH_ERR_BADCHARSET},
	    {"", "Missing search key", IMAP_SEARCH_ERR_SYNTAX},
	    {"()", "Missing search key", IMAP_SEARCH_ERR_SYNTAX},
	    {"FROM", "Missing search string", IMAP_SEARCH_ERR_SYNTAX},
	    {"FROM (a)", "Missing search string", IMAP_SEARCH_ERR_SYNTAX},
	    {"NOT", "Missing search key", IMAP_SEARCH_ERR_SYNTAX},
	    {"OR SEEN", "Missing search key", IMAP_SEARCH_ERR_SYNTAX},
	    {"BEFORE 30-Feb-2000", "Invalid search date",
	     IMAP_SEARCH_ERR_SYNTAX},
	    {"BEFORE 1-Feb-94", "Invalid search date", IMAP_SEARCH_ERR_SYNTAX},
	    {"BEFORE 1-Fev-1994", "Invalid search date",
	     IMAP_SEARCH_ERR_SYNTAX},
	    {"LARGER -1", "Invalid search number", IMAP_SEARCH_ERR_SYNTAX},
	    {"LARGER 4294967296", "Invalid search number",
	     IMAP_SEARCH_ERR_SYNTAX},
	    {"KEYWORD \\Seen", "Invalid keyword", IMAP_SEARCH_ERR_SYNTAX},
	    {"HEADER \"a:b\" x", "Invalid header field name",
	     IMAP_SEARCH_ERR_SYNTAX},
	    {"UID x", "Invalid sequence set", IMAP_SEARCH_ERR_SYNTAX},
	    {"1:0", "Invalid sequence set", IMAP_SEARCH_ERR_SYNTAX},
	    {"BOGUS", "Unknown search key", IMAP_SEARCH_ERR_SYNTAX},
	    {"SUBJECT {1}\r\n\xff", "Search string is not valid UTF-8",
	     IMAP_SEARCH_ERR_SYNTAX},
	    {"NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT "
	     "NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT "
	     "ALL",
	     "Search keys nested too deeply", IMAP_SEARCH_ERR_SYNTAX},
	};
	struct buf got;
	size_t i;

	(void)state;
	buf_init(&got, 4096);
	for (i = 0; i < sizeof(searches) / sizeof(searches[0]); i++) {
		const struct imap_command *cmd;
		struct imap_search s;
		enum imap_search_error kind;
		struct imap_parser *p;
		const char *err = NULL;
		char line[512];
		int ret;

		snprintf(line, sizeof(line), "a SEARCH %s\r\n",
		         searches[i].args);
		cmd = command(&p, line);
		ret = imap_search_parse(cmd->args, cmd->arg_count, &s, &kind,
		                        &err);
		if (searches[i].kind != 0) {
			if (ret != -1 || kind != searches[i].kind ||
			    (searches[i].program != NULL &&
			     strcmp(err, searches[i].program) != 0))
				fail_msg("search %zu (%s): %d %s", i,
				         searches[i].args, ret, err);
			assert_null(s.keys);
			imap_parser_free(&p);
			continue;
		}
		if (ret != 0)
			fail_msg("search %zu (%s): %s", i, searches[i].args,
			         err);
		buf_reset(&got);
		dump_key(s.root, &got);
		if (strcmp(buf_cstr(&got), searches[i].program) != 0)
			fail_msg("search %zu (%s): %s", i, searches[i].args,
			         buf_cstr(&got));
		imap_search_deinit(&s);
		imap_parser_free(&p);
	}
	buf_deinit(&got);
}

static void
test_store_flags(void **state)
{
	static const struct {
		const char *args;
		const char *result; /* mode silent system keywords, or error */
	} stores[] = {
	    {"FLAGS (\\Seen)", "0 0 8"},
	    {"+FLAGS.SILENT (\\Answered \\flagged $Junk)", "1 1 3 $Junk"},
	    {"-flags \\Deleted \\Draft", "2 0 14"},
	    {"FLAGS ()", "0 0 0"},
	    {"FLAGS (a A b)", "0 0 0 a b"},
	    {"FLAGS (\\Recent)", "Invalid system flag"},
	    {"FLAGS (\\Bogus)", "Invalid system flag"},
	    {"FLAGS (a]b)", "Invalid keyword"},
	    {"FLAGS (\"quoted\")", "Invalid flag"},
	    {"FLAGS ((nested))", "Invalid flag"},
	    {"XFLAGS (\\Seen)", "Invalid STORE item"},
	    {"FLAGS", "Invalid STORE arguments"},
	    {"(FLAGS) x", "Invalid STORE arguments"},
	};
	struct buf got;
	size_t i, k;

	(void)state;
	buf_init(&got, 4096);
	for (i = 0; i < sizeof(stores) / sizeof(stores[0]); i++) {
		const struct imap_command *cmd;
		struct imap_parser *p;
		struct imap_store st;
		const char *err = NULL;
		char line[512];

		snprintf(line, sizeof(line), "a STORE 1 %s\r\n",
		         stores[i].args);
		cmd = command(&p, line);
		buf_reset(&got);
		if (imap_store_parse(imap_arg_next(cmd->args),
		                     cmd->arg_count - 1, &st, &err) < 0) {
			buf_append_str(&got, err);
		} else {
			buf_printf(&got, "%d %d %x", (int)st.mode, st.silent,
			           st.flags.system);
			for (k = 0; k < st.flags.keyword_count; k++)
				buf_printf(&got, " %s", st.flags.keywords[k]);
			imap_flags_deinit(&st.flags);
		}
		if (strcmp(buf_cstr(&got), stores[i].result) != 0)
			fail_msg("store %zu (%s): %s", i, stores[i].args,
			         buf_cstr(&got));
		imap_parser_free(&p);
	}
	buf_deinit(&got);
}

/* Too many keywords in one list. */
static void
test_keyword_limit(void **state)
{
	struct imap_parser *p;
	struct imap_flags flags;
	const char *err;
	struct buf line;
	unsigned i;

	(void)state;
	buf_init(&line, 1 << 16);
	buf_append_str(&line, "a STORE 1 FLAGS (");
	for (i = 0; i <= IMAP_KEYWORDS_MAX; i++)
		buf_printf(&line, "%sk%u", i > 0 ? " " : "", i);
	buf_append_str(&line, ")\r\n");
	assert_int_equal(
	    imap_flags_parse(command(&p, buf_cstr(&line))->args + 2, 1, &flags,
	                     &err),
	    -1);
	assert_string_equal(err, "Too many keywords");
	imap_parser_free(&p);
	buf_deinit(&line);
}

static void
test_mailbox(void **state)
{
	static const struct {
		const char *arg;
		const char *utf8; /* or the error */
	} boxes[] = {
	    {"INBOX", "INBOX"},
	    {"inbox", "INBOX"},
	    {"\"InBoX\"", "INBOX"},
	    {"INBOX.Sent", "INBOX.Sent"},
	    {"Entw&APw-rfe", "Entw\xc3\xbc"
	                     "rfe"},
	    {"&ZeVnLIqe-", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"},
	    {"\"a&-b\"", "a&b"},
	    {"&2D3eAA-", "\xf0\x9f\x98\x80"},
	    {"Entw&APw", "Mailbox name is not valid modified UTF-7"},
	    {"&AGE-", "Mailbox name is not valid modified UTF-7"},
	    {"&2D0-", "Mailbox name is not valid modified UTF-7"},
	    {"&3gA-", "Mailbox name is not valid modified UTF-7"},
	    {"&APw", "Mailbox name is not valid modified UTF-7"},
	    {"&AP-", "Mailbox name is not valid modified UTF-7"},
	    {"&A/w-", "Mailbox name is not valid modified UTF-7"},
	    {"{3}\r\na\x01"
	     "b",
	     "Mailbox name is not valid modified UTF-7"},
	    {"&AAE-", "Control character in mailbox name"},
	    {"\"\"", "Invalid mailbox name"},
	    {"(INBOX)", "Invalid mailbox name"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(boxes) / sizeof(boxes[0]); i++) {
		const struct imap_command *cmd;
		struct imap_parser *p;
		const char *err = NULL;
		char line[512], *name;

		snprintf(line, sizeof(line), "a SELECT %s\r\n", boxes[i].arg);
		cmd = command(&p, line);
		if (imap_mailbox_parse(cmd->args, &name, &err) < 0) {
			if (strcmp(err, boxes[i].utf8) != 0)
				fail_msg("box %zu (%s): %s", i, boxes[i].arg,
				         err);
		} else {
			if (strcmp(name, boxes[i].utf8) != 0)
				fail_msg("box %zu (%s): %s", i, boxes[i].arg,
				         name);
			mem_free(&name);
		}
		imap_parser_free(&p);
	}
}

static void
test_dates(void **state)
{
	static const struct {
		const char *in;
		int64_t time; /* -1: invalid */
		int tz;
	} rows_dt[] = {
	    {"17-Jul-1996 02:44:25 -0700", 837596665, -420},
	    {" 1-Jan-1970 00:00:00 +0000", 0, 0},
	    {"01-Jan-1970 01:00:00 +0100", 0, 60},
	    {"29-Feb-2024 23:59:60 +0000", 1709251200, 0},
	    {"1-Jan-1970 00:00:00 +0000", 0, 0}, /* lenient */
	    {"17-Jul-1996 02:44:25", -1, 0},
	    {"17-Jul-1996 24:00:00 +0000", -1, 0},
	    {"17-Jul-1996 02:44:25 +0060", -1, 0},
	    {"31-Apr-1996 02:44:25 +0000", -1, 0},
	    {"17-Jul-96 02:44:25 +0000", -1, 0},
	};
	size_t i;
	int32_t days;
	const char *err;

	(void)state;
	for (i = 0; i < sizeof(rows_dt) / sizeof(rows_dt[0]); i++) {
		int64_t t;
		int tz;
		int ret = imap_datetime_parse(
		    rows_dt[i].in, strlen(rows_dt[i].in), &t, &tz, &err);

		if (rows_dt[i].time < 0) {
			if (ret != -1)
				fail_msg("date-time %zu accepted", i);
			continue;
		}
		if (ret != 0 || t != rows_dt[i].time || tz != rows_dt[i].tz)
			fail_msg("date-time %zu: %d %lld %d", i, ret,
			         (long long)t, tz);
	}
	assert_int_equal(imap_date_parse("1-Jan-1970", 10, &days, &err), 0);
	assert_int_equal(days, 0);
	assert_int_equal(imap_date_parse("31-Dec-1969", 11, &days, &err), 0);
	assert_int_equal(days, -1);
	assert_int_equal(imap_date_parse("1-Jan-1970x", 11, &days, &err), -1);
	assert_int_equal(imap_date_parse("123-Jan-1970", 12, &days, &err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_tokenizer, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_literal_reject, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_default_limits, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_seqset, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_fetch, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_search, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_store_flags, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_keyword_limit, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_mailbox, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_dates, testlib_setup,
	                                    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
