/*
 * test_search.c - unit tests for imapd/search.c: a table of SEARCH
 * programs evaluated against a small mailbox of real messages (flags,
 * keywords, sizes, internal dates, headers with encoded-words, quoted-
 * printable and base64 bodies, an encapsulated message), each with the
 * set of sequence numbers that must match; plus the lazy message
 * callback and its failure.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <string.h>

#include "imapd/parse.h"
#include "imapd/search.h"
#include "lib/buf.h"
#include "lib/mime.h"

static const char *const texts[] = {
    "Return-Path: <alice@example.com>\n"
    "Received: from client.example.com (client.example.com [192.0.2.1])\n"
    "\tby mail.example.org with ESMTP id 4F3A; Mon, 7 Feb 1994 21:52:27 -0800\n"
    "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\n"
    "From: Alice Example <alice@example.com>\n"
    "To: Bob <bob@example.org>, carol@example.org\n"
    "Cc: \"Smith, Dave\" <dave@example.net>\n"
    "Subject: Lunch on Friday?\n"
    "Message-ID: <B27397-0100000@example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\n"
    "\n"
    "Hi Bob,\n"
    "\n"
    "are you free for lunch on Friday?\n"
    "\n"
    "Alice\n",
    "From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>\n"
    "To: team@example.de\n"
    "Subject: =?UTF-8?B?w5xiZXJzaWNodA==?=\n"
    "Date: Tue, 1 Mar 2022 10:00:00 +0100\n"
    "Message-ID: <alt-1@example.de>\n"
    "In-Reply-To: <orig@example.de>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/alternative; boundary=\"000000000000abcdef\"\n"
    "\n"
    "--000000000000abcdef\n"
    "Content-Type: text/plain; charset=\"UTF-8\"\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Gr=C3=BC=C3=9Fe aus M=C3=BCnchen\n"
    "\n"
    "--000000000000abcdef\n"
    "Content-Type: text/html; charset=\"UTF-8\"\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "<div>Gr=C3=BC=C3=9Fe aus M=C3=BCnchen</div>\n"
    "\n"
    "--000000000000abcdef--\n",
    "From: reports@example.com\n"
    "To: boss@example.com\n"
    "Subject: Quarterly report\n"
    "Date: Wed, 2 Mar 2022 08:30:00 +0000\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"=_mixed_42\"\n"
    "\n"
    "This is a multi-part message in MIME format.\n"
    "\n"
    "--=_mixed_42\n"
    "Content-Type: text/plain; charset=iso-8859-1; format=flowed\n"
    "Content-Transfer-Encoding: 7bit\n"
    "\n"
    "Report attached.\n"
    "\n"
    "--=_mixed_42\n"
    "Content-Type: application/pdf; name=\"report.pdf\"\n"
    "Content-Disposition: attachment; filename=\"report.pdf\"; size=12\n"
    "Content-Transfer-Encoding: base64\n"
    "Content-Description: Q1 report\n"
    "\n"
    "JVBERi0xLjQKJcfs\n"
    "j6IKMSAwIG9iago=\n"
    "\n"
    "--=_mixed_42--\n",
    "From: Postmaster <postmaster@example.org>\n"
    "To: alice@example.com\n"
    "Subject: Fwd: original\n"
    "Date: Thu, 3 Mar 2022 12:00:00 -0500\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\n"
    "\n"
    "--outer\n"
    "Content-Type: text/plain\n"
    "\n"
    "See the forwarded message.\n"
    "\n"
    "--outer\n"
    "Content-Type: message/rfc822\n"
    "Content-Description: forwarded message\n"
    "\n"
    "From: Carol <carol@example.net>\n"
    "To: bob@example.org\n"
    "Subject: original\n"
    "Date: Wed, 2 Mar 2022 09:00:00 +0000\n"
    "Message-ID: <orig-7@example.net>\n"
    "Content-Type: multipart/alternative; boundary=\"inner\"\n"
    "\n"
    "--inner\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "Plain.\n"
    "--inner\n"
    "Content-Type: text/html; charset=us-ascii\n"
    "\n"
    "<p>HTML.</p>\n"
    "--inner--\n"
    "\n"
    "--outer--\n",
    "Subject: no date\n"
    "\n"
    "body\n"};

#define MSG_COUNT (sizeof(texts) / sizeof(texts[0]))

static const char *const kw1[] = {"$Junk"};

/* The index's view of each message (seq is the position + 1). */
static const struct {
	uint32_t uid;
	unsigned flags;
	const char *const *keywords;
	size_t keyword_count;
	uint64_t size;
	int64_t internal;
	int tz;
} index_rows[] = {
    {10, IMAP_FLAG_SEEN, kw1, 1, 500, 760096800, 0}, /* 1-Feb-1994 */
    /* 15-Mar-2022 23:30 -0500, 16-Mar in UTC */
    {20, IMAP_FLAG_RECENT, NULL, 0, 1500, 1647405000, -300},
    {30, IMAP_FLAG_DELETED | IMAP_FLAG_ANSWERED, NULL, 0, 900, 1646179200,
     0},                                  /* 2-Mar-2022 */
    {40, 0, NULL, 0, 700, 1646265600, 0}, /* 3-Mar-2022 */
    {50, 0, NULL, 0, 30, 1578182400, 0},  /* 5-Jan-2020 */
};

static const struct {
	const char *args;
	const char *matches; /* sequence numbers */
} searches[] = {
    {"ALL", "1 2 3 4 5"},
    {"SEEN", "1"},
    {"UNSEEN", "2 3 4 5"},
    {"NEW", "2"},
    {"OLD", "1 3 4 5"},
    {"RECENT", "2"},
    {"DELETED ANSWERED", "3"},
    {"OR SEEN DELETED", "1 3"},
    {"NOT DELETED", "1 2 4 5"},
    {"(SEEN) (NOT ANSWERED)", "1"},
    {"KEYWORD $junk", "1"},
    {"UNKEYWORD $Junk", "2 3 4 5"},
    {"LARGER 900", "2"},
    {"SMALLER 500", "5"},
    {"2:3", "2 3"},
    {"*", "5"},
    {"UID 15:35", "2 3"},
    {"UID 60:*", "5"},
    {"UID 1:5", ""},
    {"SUBJECT lunch", "1"},
    {"SUBJECT \"\xc3\x9c"
     "bersicht\"",
     "2"},
    {"SUBJECT \"\xc3\xbc"
     "bersicht\"",
     ""},
    {"FROM \"m\xc3\xbcller\"", "2"},
    {"FROM \"Alice Example\"", "1"},
    {"TO bob", "1"},
    {"CC \"smith, dave\"", "1"},
    {"HEADER Message-ID alt-1", "2"},
    {"HEADER Message-ID \"\"", "1 2"},
    {"HEADER X-None \"\"", ""},
    {"BODY \"gr\xc3\xbc\xc3\x9f"
     "e\"",
     "2"},
    {"BODY \"report ATTACHED\"", "3"},
    {"BODY JVBERi", ""},
    {"BODY original", "4"},
    {"BODY \"\"", "1 2 3 4 5"},
    {"TEXT lunch", "1"},
    {"TEXT boss@example.com", "3"},
    {"TEXT \"Subject: Quarterly\"", "3"},
    {"BEFORE 2-Feb-1994", "1"},
    {"ON 15-Mar-2022", "2"},
    {"SINCE 2-Mar-2022", "2 3 4"},
    {"SINCE 16-Mar-2022", ""},
    {"SENTON 7-Feb-1994", "1"},
    {"SENTBEFORE 1-Jan-2000", "1"},
    {"SENTSINCE 2-Mar-2022", "3 4"},
    {"SENTON 5-Jan-2020", "5"},
    {"OR SUBJECT lunch BODY plain", "1 4"},
};

/* Message callback state. */
struct box {
	struct mime_message *mime[MSG_COUNT];
	size_t calls;
	bool fail;
};

struct msg_ctx {
	struct box *box;
	size_t i;
};

/* get_message - the imap_search_message_fn of the test */
static int
get_message(void *vctx, const uint8_t **data_r, size_t *size_r,
            const struct mime_message **mime_r)
{
	struct msg_ctx *ctx = vctx;

	ctx->box->calls++;
	if (ctx->box->fail)
		return -1;
	*data_r = (const uint8_t *)texts[ctx->i];
	*size_r = strlen(texts[ctx->i]);
	*mime_r = ctx->box->mime[ctx->i];
	return 0;
}

/* run - the matches of one program, as text; -1 when one failed */
static int
run(struct box *box, const char *args, struct buf *got)
{
	struct imap_parse_limits lim;
	struct imap_parser *p;
	struct imap_search s;
	enum imap_search_error kind;
	const char *err;
	char line[512];
	size_t used, i, len;
	const uint8_t *in;
	int ret = 0;

	imap_parse_limits_default(&lim);
	p = imap_parser_new(&lim);
	snprintf(line, sizeof(line), "a SEARCH %s\r\n", args);
	in = (const uint8_t *)line;
	len = strlen(line);
	while (imap_parser_feed(p, in, len, &used) == 1 &&
	       imap_parser_event(p) != IMAP_EVENT_COMMAND) {
		in += used;
		len -= used;
	}
	if (imap_parser_event(p) != IMAP_EVENT_COMMAND)
		fail_msg("%s: %s", args, imap_parser_error(p));
	if (imap_search_parse(imap_parser_command(p)->args,
	                      imap_parser_command(p)->arg_count, &s, &kind,
	                      &err) < 0)
		fail_msg("%s: %s", args, err);
	imap_search_prepare(&s, MSG_COUNT, index_rows[MSG_COUNT - 1].uid);
	buf_reset(got);
	for (i = 0; i < MSG_COUNT; i++) {
		struct msg_ctx ctx = {.box = box, .i = i};
		struct imap_search_msg m = {
		    .seq = (uint32_t)i + 1,
		    .uid = index_rows[i].uid,
		    .flags = index_rows[i].flags,
		    .keywords = index_rows[i].keywords,
		    .keyword_count = index_rows[i].keyword_count,
		    .size = index_rows[i].size,
		    .internal_date = index_rows[i].internal,
		    .internal_tz_minutes = index_rows[i].tz,
		    .message = get_message,
		    .ctx = &ctx,
		};
		int r = imap_search_eval(&s, &m);

		if (r < 0)
			ret = -1;
		else if (r == 1)
			buf_printf(got, "%s%zu", got->len > 0 ? " " : "",
			           i + 1);
	}
	imap_search_deinit(&s);
	imap_parser_free(&p);
	return ret;
}

static void
test_search(void **state)
{
	struct box box = {0};
	struct buf got;
	size_t i;

	(void)state;
	for (i = 0; i < MSG_COUNT; i++)
		box.mime[i] =
		    mime_parse((const uint8_t *)texts[i], strlen(texts[i]), 0);
	buf_init(&got, 4096);
	for (i = 0; i < sizeof(searches) / sizeof(searches[0]); i++) {
		assert_int_equal(run(&box, searches[i].args, &got), 0);
		if (strcmp(buf_cstr(&got), searches[i].matches) != 0)
			fail_msg("search %zu (%s): %s", i, searches[i].args,
			         buf_cstr(&got));
	}
	/* Flags alone never read a message. */
	box.calls = 0;
	assert_int_equal(run(&box, "OR SEEN UID 1:*", &got), 0);
	assert_int_equal(box.calls, 0);
	/* A message read at most once per evaluation. */
	assert_int_equal(run(&box,
	                     "SUBJECT x BODY y SENTON 1-Jan-2000 "
	                     "TEXT z",
	                     &got),
	                 0);
	assert_true(box.calls <= MSG_COUNT);
	/* A message that cannot be read fails the evaluation. */
	box.fail = true;
	assert_int_equal(run(&box, "SUBJECT lunch", &got), -1);
	assert_int_equal(run(&box, "SEEN", &got), 0);
	buf_deinit(&got);
	for (i = 0; i < MSG_COUNT; i++)
		mime_message_free(&box.mime[i]);
}

/* One message held in a buffer, for the callback. */
struct one {
	const struct buf *text;
	struct mime_message *mime;
};

/* get_one - the imap_search_message_fn for struct one */
static int
get_one(void *vctx, const uint8_t **data_r, size_t *size_r,
        const struct mime_message **mime_r)
{
	struct one *one = vctx;

	*data_r = one->text->data;
	*size_r = one->text->len;
	*mime_r = one->mime;
	return 0;
}

/* eval_one - whether the program in args matches one (-1: error) */
static int
eval_one(struct one *one, const char *args)
{
	struct imap_parse_limits lim;
	struct imap_parser *p;
	struct imap_search s;
	enum imap_search_error kind;
	const char *err;
	char line[512];
	size_t used;
	struct imap_search_msg m = {.seq = 1, .uid = 1, .ctx = one};
	int ret;

	m.message = one != NULL ? get_one : NULL;
	snprintf(line, sizeof(line), "a SEARCH %s\r\n", args);
	imap_parse_limits_default(&lim);
	p = imap_parser_new(&lim);
	assert_int_equal(
	    imap_parser_feed(p, (const uint8_t *)line, strlen(line), &used), 1);
	assert_int_equal(imap_search_parse(imap_parser_command(p)->args,
	                                   imap_parser_command(p)->arg_count,
	                                   &s, &kind, &err),
	                 0);
	imap_search_prepare(&s, 1, 1);
	ret = imap_search_eval(&s, &m);
	imap_search_deinit(&s);
	imap_parser_free(&p);
	return ret;
}

/* A needle across decoding chunks and folded lines; no callback. */
static void
test_long_body(void **state)
{
	struct buf msg;
	struct one one;
	size_t i;

	(void)state;
	buf_init(&msg, 1 << 20);
	buf_append_str(&msg, "Subject: a\n very long\n\tfolded subject\n"
	                     "Content-Transfer-Encoding: base64\n\n");
	/* "xxx" 5000 times, then "needle": it straddles decoding chunks. */
	for (i = 0; i < 5000; i++)
		buf_append_str(&msg, "eHh4\n");
	buf_append_str(&msg, "bmVlZGxl\n");
	one.text = &msg;
	one.mime = mime_parse(msg.data, msg.len, 0);
	assert_int_equal(eval_one(&one, "BODY NEEDLE"), 1);
	assert_int_equal(eval_one(&one, "BODY xneedle"), 1);
	assert_int_equal(eval_one(&one, "BODY needles"), 0);
	assert_int_equal(eval_one(&one, "SUBJECT \"long\tfolded\""), 1);
	assert_int_equal(eval_one(&one, "SUBJECT \"long folded\""), 0);
	/* KMP: a needle with a repeated prefix. */
	assert_int_equal(eval_one(&one, "BODY xxxxxxne"), 1);
	assert_int_equal(eval_one(NULL, "BODY x"), -1);
	assert_int_equal(eval_one(NULL, "SEEN"), 0);
	mime_message_free(&one.mime);
	buf_deinit(&msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_search, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_long_body, testlib_setup,
	                                    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
