/*
 * test_alias.c - unit tests for lib/alias.c.
 *
 * Parser: one table of right-hand sides, good and malformed rows
 * together, in both syntaxes (alias value, .forward/include file); every
 * row is also cut short at every offset (success or a clean located
 * error, never a crash). Limits are checked with generated inputs.
 * Expansion: one table over an in-memory alias table, include files and
 * .forward files served by the callbacks, covering chains, fan-out, the
 * self-inclusion rule, cycles, the depth and result limits, duplicates,
 * :include:, recipient_delimiter and temporary failures.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alias.h"
#include "lib/buf.h"
#include "lib/mem.h"

/* Inputs up to this size are also cut at every offset. */
#define TEST_TRUNCATE_MAX 4096

#define FILE_F ALIAS_F_FILE

/* One parser row. */
struct parse_row {
	const char *name;
	int flags;
	const char *in;
	size_t in_len; /* 0: strlen(in) */
	int rc;
	const char *out;   /* rc 0: "type:value" lines ("local!" = \user) */
	const char *error; /* rc -1: expected substring of the error */
};

static const struct parse_row parse_rows[] = {
    /* Destination forms. */
    {"local name", 0, "bob", 0, 0, "local:bob\n", NULL},
    {"local name keeps case", 0, "Bob.Smith", 0, 0, "local:Bob.Smith\n", NULL},
    {"address", 0, "bob@Remote.Example", 0, 0, "address:bob@remote.example\n",
     NULL},
    {"angle address", 0, "<bob@x.example>", 0, 0, "address:bob@x.example\n",
     NULL},
    {"phrase and angle address", 0, "Bob Smith <bob@x.example>", 0, 0,
     "address:bob@x.example\n", NULL},
    {"quoted phrase", 0, "\"Smith, Bob\" <bob@x.example>, carol", 0, 0,
     "address:bob@x.example\nlocal:carol\n", NULL},
    {"angle local name", 0, "< bob >", 0, 0, "local:bob\n", NULL},
    {"command", 0, "|/usr/bin/vacation bob", 0, 0,
     "command:/usr/bin/vacation bob\n", NULL},
    {"quoted command with comma", 0, "\"|/usr/bin/foo, bar\", bob", 0, 0,
     "command:/usr/bin/foo, bar\nlocal:bob\n", NULL},
    {"quoted command with escapes", 0, "\"|echo \\\"hi\\\" \\\\\"", 0, 0,
     "command:echo \"hi\" \\\n", NULL},
    {"command keeps inner quotes", 0, "|/bin/echo \"a, b\" c, dan", 0, 0,
     "command:/bin/echo \"a, b\" c\nlocal:dan\n", NULL},
    {"command blanks trimmed", 0, "|  /bin/cmd  ,x", 0, 0,
     "command:/bin/cmd\nlocal:x\n", NULL},
    {"file", 0, "/var/log/mail.archive", 0, 0, "file:/var/log/mail.archive\n",
     NULL},
    {"maildir", 0, "/home/bob/Maildir/", 0, 0, "maildir:/home/bob/Maildir/\n",
     NULL},
    {"quoted file with space", 0, "\"/tmp/a b\"", 0, 0, "file:/tmp/a b\n",
     NULL},
    {"include", 0, ":include:/etc/mail/staff", 0, 0,
     "include:/etc/mail/staff\n", NULL},
    {"include any case, blank", 0, ":INCLUDE: /etc/x", 0, 0, "include:/etc/x\n",
     NULL},
    {"include quoted", 0, "\":include:/etc/a b\", :include:\"/c d\"", 0, 0,
     "include:/etc/a b\ninclude:/c d\n", NULL},
    {"backslash user", 0, "\\bob, bob-archive", 0, 0,
     "local!:bob\nlocal:bob-archive\n", NULL},
    {"quoted local part", 0, "\"john doe\", \"a b\"@x.example", 0, 0,
     "local:john doe\naddress:\"a b\"@x.example\n", NULL},
    {"blanks and commas separate", 0, " a,b c\t,, d ,", 0, 0,
     "local:a\nlocal:b\nlocal:c\nlocal:d\n", NULL},
    {"hash is text in an alias", 0, "#a, b", 0, 0, "local:#a\nlocal:b\n", NULL},
    {"utf-8 address", 0, "j\xc3\xb6rg@b\xc3\xa4r.example", 0, 0,
     "address:j\xc3\xb6rg@b\xc3\xa4r.example\n", NULL},
    /* .forward / include file syntax. */
    {"forward lines and comments", FILE_F,
     "# my forward\n\\bob\n  bob@x.example # work\n\n"
     "\"|IFS=' ' && exec /usr/bin/procmail -f- || exit 75 #bob\"\n",
     0, 0,
     "local!:bob\naddress:bob@x.example\n"
     "command:IFS=' ' && exec /usr/bin/procmail -f- || exit 75 #bob\n",
     NULL},
    {"forward command ends at newline", FILE_F,
     "|/bin/cmd # not a comment\nalice\r\n", 0, 0,
     "command:/bin/cmd # not a comment\nlocal:alice\n", NULL},
    {"forward comment after comma", FILE_F, "a,#b, c\nd", 0, 0,
     "local:a\nlocal:d\n", NULL},
    {"forward hash inside word", FILE_F, "a#b", 0, 0, "local:a#b\n", NULL},
    {"empty file", FILE_F, "", 0, 0, "", NULL},
    {"only comments", FILE_F, "# nothing\n\n   # here\n", 0, 0, "", NULL},
    /* Malformed. */
    {"empty alias value", 0, "", 0, -1, NULL, "alias \"t\": no destinations"},
    {"only commas", 0, " , ,", 0, -1, NULL, "no destinations"},
    {"NUL byte", 0, "bob,\0eve", 8, -1, NULL,
     "alias \"t\", offset 4: NUL byte"},
    {"NUL byte in file", FILE_F, "a\nb\0", 4, -1, NULL, "t, line 2: NUL byte"},
    {"control character", 0, "bob\001", 0, -1, NULL,
     "alias \"t\", offset 3: control character 0x01"},
    {"newline in alias value", 0, "a\nb", 0, -1, NULL,
     "control character 0x0a"},
    {"bare CR in file", FILE_F, "a\rb\n", 0, -1, NULL,
     "t, line 1: control character 0x0d"},
    {"DEL", 0, "a\177", 0, -1, NULL, "control character 0x7f"},
    {"unterminated quote", 0, "a, \"|cmd", 0, -1, NULL,
     "alias \"t\", destination 2: unterminated quoted string"},
    {"quote across lines", FILE_F, "a\n\"|cmd\nx\"", 0, -1, NULL,
     "t, line 2: unterminated quoted string"},
    {"empty command", 0, "bob, |  ", 0, -1, NULL,
     "destination 2: missing command after '|'"},
    {"command mid element", 0, "bob |cmd", 0, -1, NULL,
     "destination 2: a command must start a destination of its own"},
    {"slash alone", 0, "/", 0, -1, NULL, "missing file name after '/'"},
    {"include relative", 0, ":include:etc/x", 0, -1, NULL,
     ":include: needs an absolute file name"},
    {"include without name", 0, "a, :include:", 0, -1, NULL,
     "destination 2: missing file name after :include:"},
    {"include quoted empty", 0, "\":include: \"", 0, -1, NULL,
     "missing file name after :include:"},
    {"backslash alone", 0, "\\", 0, -1, NULL, "missing user name after '\\'"},
    {"backslash address", 0, "\\bob@x.example", 0, -1, NULL,
     "a backslash may only precede a local user name"},
    {"bad address", 0, "bob@", 0, -1, NULL, "invalid address \"bob@\""},
    {"empty quoted user", 0, "a, \"\"", 0, -1, NULL,
     "destination 2: empty user name"},
    {"empty quoted user, backslash", 0, "\\\"\"", 0, -1, NULL,
     "empty user name"},
    {"bad local", 0, "a..b", 0, -1, NULL, "invalid address \"a..b\""},
    {"missing >", 0, "Bob <bob@x", 0, -1, NULL, "missing '>' after '<'"},
    {"> alone", 0, "bob>", 0, -1, NULL, "'>' without '<'"},
    {"empty angle", 0, "Bob <>", 0, -1, NULL, "empty address <>"},
    {"two angles", 0, "<a@x.example> <b@x.example>", 0, -1, NULL,
     "text after '>'"},
    {"command in angle", 0, "<|cmd>", 0, -1, NULL,
     "only an address may be written in angle brackets"},
    {"quoted file in angle", 0, "<\"/tmp/x\">", 0, -1, NULL,
     "only an address may be written in angle brackets"},
    {"bad utf-8", 0, "j\xc3rg@x.example", 0, -1, NULL, "invalid address"},
    {"bad address in file", FILE_F, "a\n\nb c@\n", 0, -1, NULL,
     "t, line 3: invalid address \"c@\""},
};

/* format_dests - "type:value" lines */
static char *
format_dests(const struct alias_dest *dests, size_t count)
{
	struct buf b;
	char *out;
	size_t i;

	buf_init(&b, 1024 * 1024);
	for (i = 0; i < count; i++)
		buf_printf(&b, "%s%s:%s\n", alias_dest_type_name(dests[i].type),
		           dests[i].no_expand ? "!" : "", dests[i].value);
	out = mem_strdup(buf_cstr(&b));
	buf_deinit(&b);
	return out;
}

/* parse_check - parse one input and check it against rc/out/error */
static void
parse_check(const char *name, const uint8_t *in, size_t len, int flags,
            int rc_want, const char *out_want, const char *error_want)
{
	struct alias_dest *dests;
	struct alias_error err;
	size_t count;
	int rc;

	rc = alias_parse(in, len, flags, "t", &dests, &count, &err);
	if (rc != rc_want)
		fail_msg("%s: rc %d, error \"%s\"", name, rc, err.text);
	if (rc == 0) {
		char *out = format_dests(dests, count);

		if (out_want != NULL && strcmp(out, out_want) != 0)
			fail_msg("%s: got\n%s\nwant\n%s", name, out, out_want);
		mem_free(&out);
		alias_dests_free(&dests, count);
		assert_null(dests);
	} else {
		assert_null(dests);
		assert_int_equal(count, 0);
		if (error_want != NULL && strstr(err.text, error_want) == NULL)
			fail_msg("%s: error \"%s\", want \"%s\"", name,
			         err.text, error_want);
		assert_false(err.temporary);
		assert_non_null(err.dsn);
	}
}

/* truncate_check - a prefix parses or fails with a located error */
static void
truncate_check(const struct parse_row *row, size_t len, size_t cut)
{
	struct alias_dest *dests;
	struct alias_error err;
	size_t count;
	int rc;

	/* A copy of exactly cut bytes, so ASan sees any over-read. */
	uint8_t *copy = mem_memdup(row->in, cut);

	(void)len;
	rc = alias_parse(copy, cut, row->flags, "t", &dests, &count, &err);
	if (rc == 0) {
		assert_true(count <= cut);
		alias_dests_free(&dests, count);
	} else {
		assert_int_equal(rc, -1);
		assert_null(dests);
		if (strncmp(err.text, "alias \"t\"", 9) != 0 &&
		    strncmp(err.text, "t, line ", 8) != 0 &&
		    strncmp(err.text, "t: ", 3) != 0)
			fail_msg("%s cut at %zu: unlocated error \"%s\"",
			         row->name, cut, err.text);
	}
	mem_free(&copy);
}

static void
test_parse_rows(void **state)
{
	size_t i, cut;

	(void)state;
	for (i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
		const struct parse_row *row = &parse_rows[i];
		size_t len = row->in_len ? row->in_len : strlen(row->in);

		parse_check(row->name, (const uint8_t *)row->in, len,
		            row->flags, row->rc, row->out, row->error);
		if (len <= TEST_TRUNCATE_MAX)
			for (cut = 0; cut <= len; cut++)
				truncate_check(row, len, cut);
	}
}

/* repeat - a string of count copies of unit, then tail */
static char *
repeat(const char *unit, size_t count, const char *tail)
{
	struct buf b;
	char *out;
	size_t i;

	buf_init(&b, 8 * 1024 * 1024);
	for (i = 0; i < count; i++)
		buf_append_str(&b, unit);
	buf_append_str(&b, tail);
	out = mem_strdup(buf_cstr(&b));
	buf_deinit(&b);
	return out;
}

static void
test_parse_limits(void **state)
{
	static const struct {
		const char *name;
		const char *unit;
		size_t count;
		const char *tail;
		int flags;
		int rc;
		const char *error;
	} rows[] = {
	    {"1000 destinations", "a,", 1000, "", 0, 0, NULL},
	    {"1001 destinations", "a,", 1000, "b", 0, -1,
	     "alias \"t\", destination 1001: too many destinations "
	     "(limit 1000)"},
	    {"1001 in a file", "a\n", 1001, "", FILE_F, -1,
	     "t, line 1001: too many destinations"},
	    {"destination at the limit", "x", ALIAS_DEST_MAX_OCTETS - 1, "/", 0,
	     0, NULL},
	    {"destination too long", "x", ALIAS_DEST_MAX_OCTETS, "/", 0, -1,
	     "destination too long (4097 octets, limit 4096)"},
	    {"command too long", "x", ALIAS_DEST_MAX_OCTETS, "|", 0, -1,
	     "destination too long"},
	    {"value at the limit", " ", ALIAS_VALUE_MAX_OCTETS - 1, "a", 0, 0,
	     NULL},
	    {"value too long", " ", ALIAS_VALUE_MAX_OCTETS, "a", 0, -1,
	     "alias \"t\": too long (65537 octets, limit 65536)"},
	    {"file at the limit", "#\n", ALIAS_FILE_MAX_OCTETS / 2 - 1, "a\n",
	     FILE_F, 0, NULL},
	    {"file too long", "#\n", ALIAS_FILE_MAX_OCTETS / 2, "a", FILE_F, -1,
	     "t: too long"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *in = repeat(rows[i].unit, rows[i].count, rows[i].tail);

		/* Files and commands put their marker first. */
		if (strcmp(rows[i].tail, "/") == 0 ||
		    strcmp(rows[i].tail, "|") == 0) {
			size_t len = strlen(in);

			memmove(in + 1, in, len - 1);
			in[0] = rows[i].tail[0];
		}
		parse_check(rows[i].name, (const uint8_t *)in, strlen(in),
		            rows[i].flags, rows[i].rc, NULL, rows[i].error);
		mem_free(&in);
	}
}

/* A row's in-memory world: alias table, include files, .forward files. */
struct kv {
	const char *key;
	const char *value; /* "TEMPFAIL": the callback fails */
};

/* struct world - callback context: the tables and a lookup log */
struct world {
	const struct kv *aliases;
	const struct kv *files;    /* path -> text */
	const struct kv *forwards; /* "user" or "user+ext" -> text */
	struct buf log;            /* every callback key, "; " separated */
};

/* kv_find - the entry for key, or NULL */
static const struct kv *
kv_find(const struct kv *table, const char *key)
{
	for (; table != NULL && table->key != NULL; table++)
		if (strcmp(table->key, key) == 0)
			return table;
	return NULL;
}

/* log_call - remember a callback call */
static void
log_call(struct world *w, const char *what, const char *key)
{
	if (w->log.len > 0)
		buf_append_str(&w->log, "; ");
	buf_printf(&w->log, "%s %s", what, key);
}

/* cb_lookup - alias_lookup_fn over w->aliases */
static int
cb_lookup(void *ctx, const char *key, char **value_r, const char **error_r)
{
	struct world *w = ctx;
	const struct kv *e = kv_find(w->aliases, key);

	log_call(w, "alias", key);
	if (e == NULL)
		return ALIAS_CB_NOT_FOUND;
	if (strcmp(e->value, "TEMPFAIL") == 0) {
		*error_r = "database unavailable";
		return ALIAS_CB_TEMPFAIL;
	}
	*value_r = mem_strdup(e->value);
	return ALIAS_CB_FOUND;
}

/* cb_read_file - alias_read_file_fn over w->files */
static int
cb_read_file(void *ctx, const char *path, char **text_r, const char **error_r)
{
	struct world *w = ctx;
	const struct kv *e = kv_find(w->files, path);

	log_call(w, "include", path);
	if (e == NULL) {
		*error_r = "No such file or directory";
		return ALIAS_CB_NOT_FOUND;
	}
	if (strcmp(e->value, "TEMPFAIL") == 0) {
		*error_r = "Input/output error";
		return ALIAS_CB_TEMPFAIL;
	}
	*text_r = mem_strdup(e->value);
	return ALIAS_CB_FOUND;
}

/* cb_read_forward - alias_read_forward_fn over w->forwards */
static int
cb_read_forward(void *ctx, const char *user, const char *extension,
                char **text_r, char **path_r, const char **error_r)
{
	struct world *w = ctx;
	char *key = extension != NULL ? mem_asprintf("%s+%s", user, extension)
	                              : mem_strdup(user);
	const struct kv *e = kv_find(w->forwards, key);

	log_call(w, "forward", key);
	/* Like forward_path: $home/.forward+ext, then $home/.forward. */
	if (e == NULL && extension != NULL)
		e = kv_find(w->forwards, user);
	mem_free(&key);
	if (e == NULL)
		return ALIAS_CB_NOT_FOUND;
	if (strcmp(e->value, "TEMPFAIL") == 0) {
		*error_r = "Permission denied";
		return ALIAS_CB_TEMPFAIL;
	}
	*text_r = mem_strdup(e->value);
	*path_r = mem_asprintf("/home/%s/.forward", user);
	return ALIAS_CB_FOUND;
}

static const struct kv world_aliases[] = {
    {"postmaster", "root"},
    {"root", "alice"},
    {"staff", "alice, bob, carol@remote.example"},
    {"all", "staff, ops, alice"},
    {"ops", "dave, \"|/usr/bin/ticket\", /var/log/ops, /srv/ops/"},
    {"self", "self, bob"},
    {"a", "b"},
    {"b", "c"},
    {"c", "a, x"},
    {"list", ":include:/etc/list"},
    {"nested", ":include:/etc/outer"},
    {"looping", ":include:/etc/loop"},
    {"missing", ":include:/etc/nonexistent"},
    {"broken", "bob@"},
    {"down", "TEMPFAIL"},
    {"via-down", "bob, down"},
    {"dups", "bob, bob, \\bob, Bob, |cmd, \"|cmd\""},
    {"deep0", "deep1"},
    {"deep1", "deep2"},
    {"deep2", "deep3"},
    {"deep3", "deep4"},
    {"deep4", "end"},
    {"wide", "w1, w2, w3, w4"},
    {"sales+eu", "eu-team"},
    {"sales", "sales-team"},
    {"fwd-alias", "frank"},
    {"owner-x", "xowner"},
    {"x-request", "xreq"},
    {"empty-inc", ":include:/etc/empty"},
    {"inc-down", ":include:/etc/down"},
    {"big", "b1, b1, b1, b1, b1, b1, b1, b1"},
    {"b1", "b2, b2, b2, b2, b2, b2, b2, b2"},
    {"b2", "b3, b3, b3, b3, b3, b3, b3, b3"},
    {NULL, NULL},
};

static const struct kv world_files[] = {
    {"/etc/list", "# team list\nalice\nbob, \"|/usr/bin/archive\"\n"},
    {"/etc/outer", "carol\n:include:/etc/inner\n"},
    {"/etc/inner", "dave\n"},
    {"/etc/loop", "erin\n:include:/etc/loop2\n"},
    {"/etc/loop2", ":include:/etc/loop\nfred\n"},
    {"/etc/empty", "# nobody\n"},
    {"/etc/down", "TEMPFAIL"},
    {NULL, NULL},
};

static const struct kv world_forwards[] = {
    {"frank", "\\frank, frank@elsewhere.example, \"|/usr/bin/vacation\""},
    {"gina", "gina@elsewhere.example"},
    {"gina+lists", "/home/gina/lists/"},
    {"henry", "henry, hank"},
    {"ivy", "# empty\n"},
    {"jack", "bad@"},
    {"kim", "TEMPFAIL"},
    {NULL, NULL},
};

/* One expansion row. */
struct expand_row {
	const char *name;
	const char *rcpt;
	const char *delimiter;
	size_t max_depth, max_results, max_lookups; /* 0: defaults */
	int rc;
	const char *out;   /* "type:value/source" joined with ", " */
	const char *error; /* rc -1: substring */
	bool temporary;
	const char *calls; /* if set: the callback log */
};

static const struct expand_row expand_rows[] = {
    {"not an alias", "zed", NULL, 0, 0, 0, 0, "local:zed/recipient", NULL,
     false, "alias zed; forward zed"},
    {"case folded", "ZeD", NULL, 0, 0, 0, 0, "local:zed/recipient", NULL, false,
     NULL},
    {"simple chain", "postmaster", NULL, 0, 0, 0, 0, "local:alice/alias", NULL,
     false, "alias postmaster; alias root; alias alice; forward alice"},
    {"fan-out", "staff", NULL, 0, 0, 0, 0,
     "local:alice/alias, local:bob/alias, "
     "address:carol@remote.example/alias",
     NULL, false, NULL},
    {"nested fan-out with duplicates", "all", NULL, 0, 0, 0, 0,
     "local:alice/alias, local:bob/alias, "
     "address:carol@remote.example/alias, local:dave/alias, "
     "command:/usr/bin/ticket/alias, file:/var/log/ops/alias, "
     "maildir:/srv/ops//alias",
     NULL, false, NULL},
    {"self inclusion", "self", NULL, 0, 0, 0, 0,
     "local:self/alias, local:bob/alias", NULL, false, NULL},
    {"3-cycle without self", "a", NULL, 0, 0, 0, 0,
     "local:a/alias, local:x/alias", NULL, false, NULL},
    {"3-cycle entered in the middle", "b", NULL, 0, 0, 0, 0,
     "local:b/alias, local:x/alias", NULL, false, NULL},
    {"duplicates", "dups", NULL, 0, 0, 0, 0,
     "local:bob/alias, command:cmd/alias", NULL, false, NULL},
    {"depth within limit", "deep0", NULL, 5, 0, 0, 0, "local:end/alias", NULL,
     false, NULL},
    {"depth limit", "deep0", NULL, 4, 0, 0, -1, NULL,
     "alias expansion loop: too many levels (limit 4) at \"deep4\"", false,
     NULL},
    {"result limit", "wide", NULL, 0, 3, 0, -1, NULL,
     "alias expansion of \"wide\": too many destinations (limit 3)", false,
     NULL},
    {"result limit counts distinct results", "dups", NULL, 0, 2, 0, 0,
     "local:bob/alias, command:cmd/alias", NULL, false, NULL},
    {"lookup limit", "big", NULL, 0, 0, 50, -1, NULL,
     "needs too many lookups (limit 50)", false, NULL},
    {"include", "list", NULL, 0, 0, 0, 0,
     "local:alice/include, local:bob/include, "
     "command:/usr/bin/archive/include",
     NULL, false, NULL},
    {"nested include", "nested", NULL, 0, 0, 0, 0,
     "local:carol/include, local:dave/include", NULL, false, NULL},
    {"include loop skipped", "looping", NULL, 0, 0, 0, 0,
     "local:erin/include, local:fred/include", NULL, false, NULL},
    {"missing include", "missing", NULL, 0, 0, 0, -1, NULL,
     ":include: file /etc/nonexistent: No such file or directory", false, NULL},
    {"include read failure", "inc-down", NULL, 0, 0, 0, -1, NULL,
     ":include: file /etc/down: Input/output error", true, NULL},
    {"empty include", "empty-inc", NULL, 0, 0, 0, -1, NULL,
     "alias expansion of \"empty-inc\" produced no destinations", false, NULL},
    {"malformed alias defers", "broken", NULL, 0, 0, 0, -1, NULL,
     "alias \"broken\", destination 1: invalid address \"bob@\"", true, NULL},
    {"lookup tempfail", "down", NULL, 0, 0, 0, -1, NULL,
     "alias lookup of \"down\" failed: database unavailable", true, NULL},
    {"lookup tempfail deeper", "via-down", NULL, 0, 0, 0, -1, NULL,
     "alias lookup of \"down\" failed", true, NULL},
    {"delimiter: exact key first", "sales+eu", "+", 0, 0, 0, 0,
     "local:eu-team/alias", NULL, false,
     "alias sales+eu; alias eu-team; "
     "forward eu-team"},
    {"delimiter: then the user", "sales+us", "+", 0, 0, 0, 0,
     "local:sales-team/alias", NULL, false,
     "alias sales+us; alias sales; alias sales-team; "
     "forward sales-team"},
    {"delimiter: unknown user keeps extension", "zed+foo", "+-", 0, 0, 0, 0,
     "local:zed+foo/recipient", NULL, false,
     "alias zed+foo; alias zed; forward zed+foo"},
    {"delimiter: set of characters", "sales-us", "+-", 0, 0, 0, 0,
     "local:sales-team/alias", NULL, false, NULL},
    {"delimiter: first octet does not split", "+sales", "+", 0, 0, 0, 0,
     "local:+sales/recipient", NULL, false, "alias +sales; forward +sales"},
    {"delimiter: owner- not split", "owner-y", "-", 0, 0, 0, 0,
     "local:owner-y/recipient", NULL, false, "alias owner-y; forward owner-y"},
    {"delimiter: -request not split", "y-request", "-", 0, 0, 0, 0,
     "local:y-request/recipient", NULL, false, NULL},
    {"delimiter off", "sales+us", NULL, 0, 0, 0, 0, "local:sales+us/recipient",
     NULL, false, NULL},
    {"forward", "frank", NULL, 0, 0, 0, 0,
     "local:frank/forward, address:frank@elsewhere.example/forward, "
     "command:/usr/bin/vacation/forward",
     NULL, false, NULL},
    {"forward via alias", "fwd-alias", NULL, 0, 0, 0, 0,
     "local:frank/forward, address:frank@elsewhere.example/forward, "
     "command:/usr/bin/vacation/forward",
     NULL, false, NULL},
    {"forward with extension file", "gina+lists", "+", 0, 0, 0, 0,
     "maildir:/home/gina/lists//forward", NULL, false, NULL},
    {"forward without extension file", "gina+other", "+", 0, 0, 0, 0,
     "address:gina@elsewhere.example/forward", NULL, false, NULL},
    {"forward self without backslash", "henry", NULL, 0, 0, 0, 0,
     "local:henry/forward, local:hank/forward", NULL, false, NULL},
    {"empty forward: mailbox", "ivy", NULL, 0, 0, 0, 0, "local:ivy/recipient",
     NULL, false, NULL},
    {"malformed forward defers", "jack", NULL, 0, 0, 0, -1, NULL,
     "/home/jack/.forward, line 1: invalid address \"bad@\"", true, NULL},
    {"forward read failure", "kim", NULL, 0, 0, 0, -1, NULL,
     ".forward file of \"kim\": Permission denied", true, NULL},
    {"bad recipient", "a\tb", NULL, 0, 0, 0, -1, NULL,
     "invalid recipient local part", false, NULL},
    {"empty recipient", "", NULL, 0, 0, 0, -1, NULL,
     "invalid recipient local part", false, NULL},
};

/* format_results - "type:value/source" joined with ", " */
static char *
format_results(const struct alias_result *res, size_t count)
{
	struct buf b;
	char *out;
	size_t i;

	buf_init(&b, 1024 * 1024);
	for (i = 0; i < count; i++)
		buf_printf(&b, "%s%s:%s/%s", i > 0 ? ", " : "",
		           alias_dest_type_name(res[i].type), res[i].value,
		           alias_source_name(res[i].source));
	out = mem_strdup(buf_cstr(&b));
	buf_deinit(&b);
	return out;
}

static void
test_expand_rows(void **state)
{
	struct alias_callbacks cb = {cb_lookup, cb_read_file, cb_read_forward};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(expand_rows) / sizeof(expand_rows[0]); i++) {
		const struct expand_row *row = &expand_rows[i];
		struct world w = {
		    world_aliases, world_files, world_forwards, {0}};
		struct alias_params prm;
		struct alias_result *res;
		struct alias_error err;
		size_t count;
		int rc;

		buf_init(&w.log, 64 * 1024);
		alias_params_init(&prm);
		prm.recipient_delimiter = row->delimiter;
		if (row->max_depth)
			prm.max_depth = row->max_depth;
		if (row->max_results)
			prm.max_results = row->max_results;
		if (row->max_lookups)
			prm.max_lookups = row->max_lookups;
		rc = alias_expand(row->rcpt, &cb, &w, &prm, &res, &count, &err);
		if (rc != row->rc)
			fail_msg("%s: rc %d, error \"%s\"", row->name, rc,
			         err.text);
		if (rc == 0) {
			char *out = format_results(res, count);

			if (strcmp(out, row->out) != 0)
				fail_msg("%s: got\n%s\nwant\n%s", row->name,
				         out, row->out);
			mem_free(&out);
			alias_results_free(&res, count);
			assert_null(res);
		} else {
			assert_null(res);
			assert_int_equal(count, 0);
			if (strstr(err.text, row->error) == NULL)
				fail_msg("%s: error \"%s\", want \"%s\"",
				         row->name, err.text, row->error);
			if (err.temporary != row->temporary)
				fail_msg("%s: temporary %d", row->name,
				         err.temporary);
			assert_non_null(err.dsn);
			assert_int_equal(err.dsn[0],
			                 row->temporary ? '4' : '5');
		}
		if (row->calls != NULL &&
		    strcmp(buf_cstr(&w.log), row->calls) != 0)
			fail_msg("%s: calls\n%s\nwant\n%s", row->name,
			         buf_cstr(&w.log), row->calls);
		buf_deinit(&w.log);
	}
}

/* find_result - the result with this value, or fail */
static const struct alias_result *
find_result(const struct alias_result *res, size_t count, const char *value)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strcmp(res[i].value, value) == 0)
			return &res[i];
	fail_msg("no result %s", value);
	return NULL;
}

/* expect_str - equality where NULL equals only NULL */
static void
expect_str(const char *got, const char *want)
{
	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
}

static void
test_expand_provenance(void **state)
{
	struct alias_callbacks cb = {cb_lookup, cb_read_file, cb_read_forward};
	struct world w = {world_aliases, world_files, world_forwards, {0}};
	struct alias_result *res;
	struct alias_error err;
	const struct alias_result *r;
	size_t count;

	(void)state;
	buf_init(&w.log, 64 * 1024);
	/* all > staff > alice; all > ops > |ticket */
	assert_int_equal(alias_expand("All", &cb, &w, NULL, &res, &count, &err),
	                 0);
	r = find_result(res, count, "alice");
	expect_str(r->orig, "all");
	expect_str(r->chain, "all > staff");
	expect_str(r->owner, "staff");
	expect_str(r->file, NULL);
	r = find_result(res, count, "/usr/bin/ticket");
	expect_str(r->chain, "all > ops");
	expect_str(r->owner, "ops");
	alias_results_free(&res, count);

	/* list > :include:/etc/list > |archive */
	assert_int_equal(
	    alias_expand("list", &cb, &w, NULL, &res, &count, &err), 0);
	r = find_result(res, count, "/usr/bin/archive");
	assert_int_equal(r->source, ALIAS_SOURCE_INCLUDE);
	expect_str(r->chain, "list > :include:/etc/list");
	expect_str(r->owner, "list");
	expect_str(r->file, "/etc/list");
	alias_results_free(&res, count);

	/* fwd-alias > frank (.forward) > |vacation */
	assert_int_equal(
	    alias_expand("fwd-alias", &cb, &w, NULL, &res, &count, &err), 0);
	r = find_result(res, count, "/usr/bin/vacation");
	assert_int_equal(r->source, ALIAS_SOURCE_FORWARD);
	expect_str(r->orig, "fwd-alias");
	expect_str(r->chain, "fwd-alias > frank");
	expect_str(r->owner, "frank");
	expect_str(r->file, "/home/frank/.forward");
	alias_results_free(&res, count);

	/* A plain recipient. */
	assert_int_equal(alias_expand("zed", &cb, &w, NULL, &res, &count, &err),
	                 0);
	expect_str(res[0].chain, "zed");
	expect_str(res[0].owner, NULL);
	expect_str(res[0].file, NULL);
	alias_results_free(&res, count);
	buf_deinit(&w.log);
}

static void
test_expand_optional_callbacks(void **state)
{
	struct alias_callbacks cb = {cb_lookup, NULL, NULL};
	struct world w = {world_aliases, world_files, world_forwards, {0}};
	struct alias_result *res;
	struct alias_error err;
	size_t count;

	(void)state;
	buf_init(&w.log, 64 * 1024);
	/* Without read_forward, frank's .forward is not read. */
	assert_int_equal(
	    alias_expand("frank", &cb, &w, NULL, &res, &count, &err), 0);
	assert_int_equal(count, 1);
	assert_string_equal(res[0].value, "frank");
	alias_results_free(&res, count);
	/* Without read_file, :include: bounces. */
	assert_int_equal(
	    alias_expand("list", &cb, &w, NULL, &res, &count, &err), -1);
	assert_false(err.temporary);
	assert_non_null(strstr(err.text, "include files are not allowed"));
	buf_deinit(&w.log);
}

/* A long chain of distinct aliases: alias N -> N+1, for the ceiling. */
static int
cb_chain(void *ctx, const char *key, char **value_r, const char **error_r)
{
	unsigned long n;
	char *end;

	(void)ctx;
	(void)error_r;
	n = strtoul(key + 1, &end, 10);
	if (key[0] != 'n' || *end != '\0')
		return ALIAS_CB_NOT_FOUND;
	*value_r = mem_asprintf("n%lu", n + 1);
	return ALIAS_CB_FOUND;
}

static void
test_expand_depth_ceiling(void **state)
{
	struct alias_callbacks cb = {cb_chain, NULL, NULL};
	struct alias_params prm;
	struct alias_result *res;
	struct alias_error err;
	size_t count;

	(void)state;
	/* The default: more than 100 levels is a loop. */
	assert_int_equal(
	    alias_expand("n0", &cb, NULL, NULL, &res, &count, &err), -1);
	assert_non_null(strstr(err.text, "too many levels (limit 100)"));
	assert_string_equal(err.dsn, "5.4.6");
	/* A huge max_depth is clamped to the ceiling. */
	alias_params_init(&prm);
	prm.max_depth = (size_t)-1;
	prm.max_lookups = 100000;
	assert_int_equal(
	    alias_expand("n0", &cb, NULL, &prm, &res, &count, &err), -1);
	assert_non_null(strstr(err.text, "too many levels (limit 1000)"));
}

/* cb_rep_lookup - "rep" lists the same include file 1000 times */
static int
cb_rep_lookup(void *ctx, const char *key, char **value_r, const char **error_r)
{
	(void)ctx;
	(void)error_r;
	if (strcmp(key, "rep") != 0)
		return ALIAS_CB_NOT_FOUND;
	*value_r = repeat(":include:/f,", 1000, "");
	return ALIAS_CB_FOUND;
}

/* cb_rep_read_file - /f holds 1000 distinct remote addresses */
static int
cb_rep_read_file(void *ctx, const char *path, char **text_r,
                 const char **error_r)
{
	struct buf b;
	size_t i;

	(void)ctx;
	(void)path;
	(void)error_r;
	buf_init(&b, 64 * 1024);
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "u%zu@x.example\n", i);
	*text_r = mem_strdup(buf_cstr(&b));
	buf_deinit(&b);
	return ALIAS_CB_FOUND;
}

static void
test_expand_repeated_fanout(void **state)
{
	struct alias_callbacks cb = {cb_rep_lookup, cb_rep_read_file, NULL};
	struct alias_result *res;
	struct alias_error err;
	size_t count, i;

	(void)state;
	/* A million duplicate results: found by the hash index, each kept
	 * once, in first-seen order. */
	assert_int_equal(
	    alias_expand("rep", &cb, NULL, NULL, &res, &count, &err), 0);
	assert_int_equal(count, 1000);
	for (i = 0; i < count; i++) {
		char want[32];

		snprintf(want, sizeof(want), "u%zu@x.example", i);
		assert_string_equal(res[i].value, want);
		assert_int_equal(res[i].source, ALIAS_SOURCE_INCLUDE);
	}
	alias_results_free(&res, count);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_parse_rows, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_parse_limits, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_expand_rows, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_expand_provenance,
	                                    testlib_setup, testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_expand_optional_callbacks,
	                                    testlib_setup, testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_expand_repeated_fanout,
	                                    testlib_setup, testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_expand_depth_ceiling,
	                                    testlib_setup, testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
