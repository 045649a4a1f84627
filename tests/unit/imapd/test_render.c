/*
 * test_render.c - unit tests for imapd/render.c: ENVELOPE, BODY and
 * BODYSTRUCTURE of real messages (LF line ends, as Maildir stores them;
 * sizes are those of the CR LF form) compared with exact strings;
 * strings, INTERNALDATE, flag lists and section numbers.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapd/parse.h"
#include "imapd/render.h"
#include "lib/buf.h"
#include "lib/mime.h"

static const struct {
	const char *msg;
	const char *envelope;
	const char *body;
	const char *bodystructure;
} rows[] = {
    /* simple text */
    {"Return-Path: <alice@example.com>\n"
     "Received: from client.example.com (client.example.com [192.0.2.1])\n"
     "\tby mail.example.org with ESMTP id 4F3A; Mon, 7 Feb 1994 21:52:27 "
     "-0800\n"
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
     "(\"Mon, 7 Feb 1994 21:52:25 -0800 (PST)\" \"Lunch on Friday?\" ((\"A"
     "lice Example\" NIL \"alice\" \"example.com\")) ((\"Alice Example\" N"
     "IL \"alice\" \"example.com\")) ((\"Alice Example\" NIL \"alice\" \"e"
     "xample.com\")) ((\"Bob\" NIL \"bob\" \"example.org\")(NIL NIL \"caro"
     "l\" \"example.org\")) ((\"Smith, Dave\" NIL \"dave\" \"example.net\""
     ")) NIL NIL \"<B27397-0100000@example.com>\")",
     "(\"text\" \"plain\" (\"charset\" \"US-ASCII\") NIL NIL \"7bit\" 55 5"
     ")",
     "(\"text\" \"plain\" (\"charset\" \"US-ASCII\") NIL NIL \"7bit\" 55 5"
     " NIL NIL NIL NIL)"},
    /* multipart/alternative, quoted-printable, encoded words */
    {"From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>\n"
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
     "(\"Tue, 1 Mar 2022 10:00:00 +0100\" \"=?UTF-8?B?w5xiZXJzaWNodA==?=\""
     " ((\"=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?=\" NIL \"joerg\" \"example.de"
     "\")) ((\"=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?=\" NIL \"joerg\" \"example"
     ".de\")) ((\"=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?=\" NIL \"joerg\" \"exam"
     "ple.de\")) ((NIL NIL \"team\" \"example.de\")) NIL NIL \"<orig@examp"
     "le.de>\" \"<alt-1@example.de>\")",
     "((\"text\" \"plain\" (\"charset\" \"UTF-8\") NIL NIL \"quoted-printa"
     "ble\" 34 1)(\"text\" \"html\" (\"charset\" \"UTF-8\") NIL NIL \"quot"
     "ed-printable\" 45 1) \"alternative\")",
     "((\"text\" \"plain\" (\"charset\" \"UTF-8\") NIL NIL \"quoted-printa"
     "ble\" 34 1 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"UTF-8\""
     ") NIL NIL \"quoted-printable\" 45 1 NIL NIL NIL NIL) \"alternative\""
     " (\"boundary\" \"000000000000abcdef\") NIL NIL NIL)"},
    /* multipart/mixed with a base64 attachment */
    {"From: reports@example.com\n"
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
     "(\"Wed, 2 Mar 2022 08:30:00 +0000\" \"Quarterly report\" ((NIL NIL "
     "\"reports\" \"example.com\")) ((NIL NIL \"reports\" \"example.com\")"
     ") ((NIL NIL \"reports\" \"example.com\")) ((NIL NIL \"boss\" \"examp"
     "le.com\")) NIL NIL NIL NIL)",
     "((\"text\" \"plain\" (\"charset\" \"iso-8859-1\" \"format\" \"flowed"
     "\") NIL NIL \"7bit\" 18 1)(\"application\" \"pdf\" (\"name\" \"repor"
     "t.pdf\") NIL \"Q1 report\" \"base64\" 36) \"mixed\")",
     "((\"text\" \"plain\" (\"charset\" \"iso-8859-1\" \"format\" \"flowed"
     "\") NIL NIL \"7bit\" 18 1 NIL NIL NIL NIL)(\"application\" \"pdf\" ("
     "\"name\" \"report.pdf\") NIL \"Q1 report\" \"base64\" 36 NIL (\"atta"
     "chment\" (\"filename\" \"report.pdf\" \"size\" \"12\")) NIL NIL) \"m"
     "ixed\" (\"boundary\" \"=_mixed_42\") NIL NIL NIL)"},
    /* message/rfc822 inside multipart/mixed */
    {"From: Postmaster <postmaster@example.org>\n"
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
     "(\"Thu, 3 Mar 2022 12:00:00 -0500\" \"Fwd: original\" ((\"Postmaster"
     "\" NIL \"postmaster\" \"example.org\")) ((\"Postmaster\" NIL \"postm"
     "aster\" \"example.org\")) ((\"Postmaster\" NIL \"postmaster\" \"exam"
     "ple.org\")) ((NIL NIL \"alice\" \"example.com\")) NIL NIL NIL NIL)",
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 28 "
     "1)(\"message\" \"rfc822\" NIL NIL \"forwarded message\" \"7bit\" 344"
     " (\"Wed, 2 Mar 2022 09:00:00 +0000\" \"original\" ((\"Carol\" NIL \""
     "carol\" \"example.net\")) ((\"Carol\" NIL \"carol\" \"example.net\")"
     ") ((\"Carol\" NIL \"carol\" \"example.net\")) ((NIL NIL \"bob\" \"ex"
     "ample.org\")) NIL NIL NIL \"<orig-7@example.net>\") ((\"text\" \"pla"
     "in\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 0)(\"text\" \"htm"
     "l\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 0) \"alternative"
     "\") 16) \"mixed\")",
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 28 "
     "1 NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL \"forwarded messag"
     "e\" \"7bit\" 344 (\"Wed, 2 Mar 2022 09:00:00 +0000\" \"original\" (("
     "\"Carol\" NIL \"carol\" \"example.net\")) ((\"Carol\" NIL \"carol\" "
     "\"example.net\")) ((\"Carol\" NIL \"carol\" \"example.net\")) ((NIL "
     "NIL \"bob\" \"example.org\")) NIL NIL NIL \"<orig-7@example.net>\") "
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 0"
     " NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL N"
     "IL \"7bit\" 12 0 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"in"
     "ner\") NIL NIL NIL) 16 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"ou"
     "ter\") NIL NIL NIL)"},
    /* RFC 2231 parameters, 8-bit parameter value */
    {"From: \"Doe, John\" <john@example.com>\n"
     "Subject: test\n"
     "Content-Type: multipart/mixed; boundary=\"XX\"\n"
     "\n"
     "preamble\n"
     "--XX\n"
     "Content-Type: text/plain; charset=utf-8\n"
     "Content-Transfer-Encoding: quoted-printable\n"
     "\n"
     "Hello=20there\n"
     "--XX\n"
     "Content-Type: application/pdf; name*0*=utf-8''J%C3%B6rg; "
     "name*1=\".pdf\"\n"
     "Content-Disposition: attachment; filename*=utf-8''J%C3%B6rg%20x.pdf; "
     "filename=\"fallback.pdf\"\n"
     "Content-Transfer-Encoding: base64\n"
     "Content-ID: <id1@x>\n"
     "Content-Description: =?utf-8?q?d=C3=A9sc?=\n"
     "Content-Language: en, de\n"
     "Content-Location: http://x/y\n"
     "Content-MD5: abc=\n"
     "\n"
     "AAAA\n"
     "--XX\n"
     "Content-Type: text/plain; name=\"J\xc3\xb6rg.txt\"\n"
     "\n"
     "raw 8bit name\n"
     "--XX--\n"
     "epilogue\n",
     "(NIL \"test\" ((\"Doe, John\" NIL \"john\" \"example.com\")) ((\"Doe"
     ", John\" NIL \"john\" \"example.com\")) ((\"Doe, John\" NIL \"john\""
     " \"example.com\")) NIL NIL NIL NIL NIL)",
     "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printa"
     "ble\" 13 0)(\"application\" \"pdf\" (\"name*\" \"utf-8''J%C3%B6rg.pd"
     "f\") \"<id1@x>\" \"=?utf-8?q?d=C3=A9sc?=\" \"base64\" 4)(\"text\" \""
     "plain\" (\"name\" {9}\r\nJ\xc3\xb6rg.txt \"charset\" \"us-ascii\") N"
     "IL NIL \"7bit\" 13 0) \"mixed\")",
     "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printa"
     "ble\" 13 0 NIL NIL NIL NIL)(\"application\" \"pdf\" (\"name*\" \"utf"
     "-8''J%C3%B6rg.pdf\") \"<id1@x>\" \"=?utf-8?q?d=C3=A9sc?=\" \"base64"
     "\" 4 \"abc=\" (\"attachment\" (\"filename*\" \"utf-8''J%C3%B6rg%20x."
     "pdf\" \"filename\" \"fallback.pdf\")) (\"en\" \"de\") \"http://x/y\""
     ")(\"text\" \"plain\" (\"name\" {9}\r\nJ\xc3\xb6rg.txt \"charset\" \""
     "us-ascii\") NIL NIL \"7bit\" 13 0 NIL NIL NIL NIL) \"mixed\" (\"boun"
     "dary\" \"XX\") NIL NIL NIL)"},
    /* group addresses, routes, comments as names, folded fields */
    {"From: joe@x (Joe Smith), Undisclosed, <@r1,@r2:u@d>, \"a b\"@c, "
     "=?utf-8?q?J=C3=B6rg?= <j@x>\r\n"
     "To: A Group:Ed <c@a.test>,joe@where.test;, undisclosed-recipients:;\r\n"
     "Cc: \r\n"
     "Reply-To: Ann <ann@x>\r\n"
     "Message-ID:   <x@y>  \r\n"
     "In-Reply-To: <a@b>\r\n"
     " <c@d>\r\n"
     "Subject: a\r\n"
     "  b\tc \r\n"
     "Content-Type: TEXT/Plain; Format=Flowed\r\n"
     "Content-Transfer-Encoding: Base64\r\n"
     "\r\n"
     "xx\r\n",
     "(NIL \"a  b\tc\" ((\"Joe Smith\" NIL \"joe\" \"x\")(NIL NIL \"Undisc"
     "losed\" \"MISSING_DOMAIN\")(NIL \"@r1,@r2\" \"u\" \"d\")(NIL NIL \"a"
     " b\" \"c\")(\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x\")) ((\"Joe Smit"
     "h\" NIL \"joe\" \"x\")(NIL NIL \"Undisclosed\" \"MISSING_DOMAIN\")(N"
     "IL \"@r1,@r2\" \"u\" \"d\")(NIL NIL \"a b\" \"c\")(\"=?utf-8?q?J=C3="
     "B6rg?=\" NIL \"j\" \"x\")) ((\"Ann\" NIL \"ann\" \"x\")) ((NIL NIL "
     "\"A Group\" NIL)(\"Ed\" NIL \"c\" \"a.test\")(NIL NIL \"joe\" \"wher"
     "e.test\")(NIL NIL NIL NIL)(NIL NIL \"undisclosed-recipients\" NIL)(N"
     "IL NIL NIL NIL)) NIL NIL \"<a@b> <c@d>\" \"<x@y>\")",
     "(\"text\" \"plain\" (\"format\" \"Flowed\" \"charset\" \"us-ascii\")"
     " NIL NIL \"base64\" 4 1)",
     "(\"text\" \"plain\" (\"format\" \"Flowed\" \"charset\" \"us-ascii\")"
     " NIL NIL \"base64\" 4 1 NIL NIL NIL NIL)"},
    /* RFC 5322 appendix A.5 style: obsolete syntax, empty elements, groups */
    {"From: \"Joe Q. Public\" <john.q.public@example.com>\n"
     "To: Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example\n"
     "Cc: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, "
     "Undisclosed recipients:;\n"
     "Sender: \n"
     "Reply-To: \"Mary Smith: Personal Account\" <smith@home.example>\n"
     "Subject: \t tab\tand \"quotes\" \\ backslash\n"
     "Message-ID: <5678.21-Nov-1997@example.com>\n"
     "Date: Thu,\n"
     "      13\n"
     "        Feb\n"
     "          1969\n"
     "      23:32\n"
     "               -0330 (Newfoundland Time)\n"
     "\n"
     "Testing.\n",
     "(\"Thu,      13        Feb          1969      23:32               -0"
     "330 (Newfoundland Time)\" \"tab\tand \\\"quotes\\\" \\\\ backslash\""
     " ((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\")) ((\"Joe"
     " Q. Public\" NIL \"john.q.public\" \"example.com\")) ((\"Mary Smith:"
     " Personal Account\" NIL \"smith\" \"home.example\")) ((\"Mary Smith"
     "\" \"@node.test\" \"mary\" \"example.net\")(NIL NIL \"jdoe\" \"test."
     "example\")) ((NIL NIL \"A Group\" NIL)(\"Ed Jones\" NIL \"c\" \"a.te"
     "st\")(NIL NIL \"joe\" \"where.test\")(\"John\" NIL \"jdoe\" \"one.te"
     "st\")(NIL NIL NIL NIL)(NIL NIL \"Undisclosed recipients\" NIL)(NIL N"
     "IL NIL NIL)) NIL NIL \"<5678.21-Nov-1997@example.com>\")",
     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 1"
     ")",
     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 1"
     " NIL NIL NIL NIL)"},
};

static void
test_messages(void **state)
{
	bool print = getenv("MR_RENDER_PRINT") != NULL;
	struct buf out, hdr;
	size_t i;

	(void)state;
	buf_init(&out, 1 << 20);
	buf_init(&hdr, 1 << 20);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *m = rows[i].msg;
		struct mime_message *msg = mime_parse(
		    (const uint8_t *)m, strlen(m), MIME_PARSE_F_ENVELOPE);

		buf_reset(&out);
		assert_int_equal(
		    imap_render_envelope(&out, msg->root->envelope), 0);
		/* The header walk gives the same ENVELOPE. */
		buf_reset(&hdr);
		assert_int_equal(
		    imap_render_envelope_header(
		        &hdr, (const uint8_t *)m + msg->root->header_offset,
		        msg->root->header.octets),
		    0);
		assert_string_equal(buf_cstr(&out), buf_cstr(&hdr));
		if (print)
			printf("%s\036", buf_cstr(&out));
		else if (strcmp(buf_cstr(&out), rows[i].envelope) != 0)
			fail_msg("row %zu ENVELOPE\n%s", i, buf_cstr(&out));
		buf_reset(&out);
		assert_int_equal(imap_render_body(&out, msg->root, false), 0);
		if (print)
			printf("%s\036", buf_cstr(&out));
		else if (strcmp(buf_cstr(&out), rows[i].body) != 0)
			fail_msg("row %zu BODY\n%s", i, buf_cstr(&out));
		buf_reset(&out);
		assert_int_equal(imap_render_body(&out, msg->root, true), 0);
		if (print)
			printf("%s\036", buf_cstr(&out));
		else if (strcmp(buf_cstr(&out), rows[i].bodystructure) != 0)
			fail_msg("row %zu BODYSTRUCTURE\n%s", i,
			         buf_cstr(&out));
		mime_message_free(&msg);
	}
	buf_deinit(&out);
	buf_deinit(&hdr);
}

static void
test_strings(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} strs[] = {
	    {"plain", 5, "\"plain\""},
	    {"", 0, "\"\""},
	    {"a \"q\" \\ b\tc", 11, "\"a \\\"q\\\" \\\\ b\tc\""},
	    {"caf\xc3\xa9", 5, "{5}\r\ncaf\xc3\xa9"},
	    {"two\r\nlines", 10, "{10}\r\ntwo\r\nlines"},
	    {"n\0l", 3, "{3}\r\nn?l"},
	    {NULL, 0, "NIL"},
	};
	struct buf out;
	size_t i;

	(void)state;
	buf_init(&out, 4096);
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		buf_reset(&out);
		assert_int_equal(
		    imap_render_string(&out, strs[i].in, strs[i].len), 0);
		assert_string_equal(buf_cstr(&out), strs[i].out);
	}
	/* Longer than IMAP_RENDER_QUOTED_MAX: a literal. */
	{
		char big[IMAP_RENDER_QUOTED_MAX + 1];

		memset(big, 'x', sizeof(big));
		buf_reset(&out);
		assert_int_equal(imap_render_string(&out, big, sizeof(big)), 0);
		assert_memory_equal(out.data, "{1025}\r\n", 8);
		buf_reset(&out);
		assert_int_equal(imap_render_string(&out, big, sizeof(big) - 1),
		                 0);
		assert_int_equal(out.data[0], '"');
	}
	/* The buffer's maximum is never passed. */
	buf_deinit(&out);
	buf_init(&out, 4);
	assert_int_equal(imap_render_string(&out, "plain", 5), -1);
	assert_true(out.len <= 4);
	buf_deinit(&out);
}

static void
test_dates_flags(void **state)
{
	static const char *const kw[] = {"$Junk", "work"};
	struct buf out;

	(void)state;
	buf_init(&out, 4096);
	assert_int_equal(imap_render_internaldate(&out, 837596665, -420), 0);
	assert_string_equal(buf_cstr(&out), "\"17-Jul-1996 02:44:25 -0700\"");
	buf_reset(&out);
	assert_int_equal(imap_render_internaldate(&out, 0, 0), 0);
	assert_string_equal(buf_cstr(&out), "\" 1-Jan-1970 00:00:00 +0000\"");
	buf_reset(&out);
	assert_int_equal(imap_render_internaldate(&out, 0, 330), 0);
	assert_string_equal(buf_cstr(&out), "\" 1-Jan-1970 05:30:00 +0530\"");
	buf_reset(&out);
	assert_int_equal(imap_render_internaldate(&out, -1, 0), 0);
	assert_string_equal(buf_cstr(&out), "\"31-Dec-1969 23:59:59 +0000\"");
	buf_reset(&out);
	assert_int_equal(imap_render_flags(&out, 0, NULL, 0), 0);
	assert_string_equal(buf_cstr(&out), "()");
	buf_reset(&out);
	assert_int_equal(imap_render_flags(&out,
	                                   IMAP_FLAG_SEEN | IMAP_FLAG_ANSWERED |
	                                       IMAP_FLAG_RECENT,
	                                   kw, 2),
	                 0);
	assert_string_equal(buf_cstr(&out),
	                    "(\\Answered \\Seen \\Recent $Junk work)");
	buf_deinit(&out);
}

/* Section numbers: multiparts, a single part, an encapsulated message. */
static void
test_section_part(void **state)
{
	const char *m = rows[3].msg; /* mixed: text, message/rfc822(alt) */
	struct mime_message *msg =
	    mime_parse((const uint8_t *)m, strlen(m), MIME_PARSE_F_ENVELOPE);
	const struct mime_part *root = msg->root, *p;
	static const uint32_t n1[] = {1}, n2[] = {2}, n21[] = {2, 1},
	                      n22[] = {2, 2}, n23[] = {2, 3}, n3[] = {3},
	                      n11[] = {1, 1}, n12[] = {1, 2}, n0[] = {0};

	(void)state;
	assert_ptr_equal(imap_render_section_part(root, NULL, 0), root);
	assert_ptr_equal(imap_render_section_part(root, n1, 1), root->children);
	p = imap_render_section_part(root, n2, 1);
	assert_true(mime_part_is(p, "message", "rfc822"));
	p = imap_render_section_part(root, n21, 2);
	assert_true(mime_part_is(p, "text", "plain"));
	assert_int_equal(p->depth, 3);
	p = imap_render_section_part(root, n22, 2);
	assert_true(mime_part_is(p, "text", "html"));
	assert_null(imap_render_section_part(root, n23, 2));
	assert_null(imap_render_section_part(root, n3, 1));
	assert_null(imap_render_section_part(root, n0, 1));
	/* "1.1" of a text part is the part itself; "1.2" is nothing. */
	assert_ptr_equal(imap_render_section_part(root, n11, 2),
	                 root->children);
	assert_null(imap_render_section_part(root, n12, 2));
	mime_message_free(&msg);

	/* A single-part message: "1" is its body. */
	m = rows[0].msg;
	msg = mime_parse((const uint8_t *)m, strlen(m), 0);
	assert_ptr_equal(imap_render_section_part(msg->root, n1, 1), msg->root);
	assert_null(imap_render_section_part(msg->root, n2, 1));
	mime_message_free(&msg);
}

/* A multipart without parts still gets one (the grammar needs one). */
static void
test_empty_multipart(void **state)
{
	const char *m = "Content-Type: multipart/mixed; boundary=b\n\nnone\n";
	struct mime_message *msg =
	    mime_parse((const uint8_t *)m, strlen(m), MIME_PARSE_F_ENVELOPE);
	struct buf out;

	(void)state;
	buf_init(&out, 4096);
	assert_int_equal(imap_render_body(&out, msg->root, true), 0);
	assert_string_equal(
	    buf_cstr(&out),
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL "
	    "NIL \"7bit\" 0 0 NIL NIL NIL NIL) \"mixed\" "
	    "(\"boundary\" \"b\") NIL NIL NIL)");
	buf_reset(&out);
	assert_int_equal(imap_render_body(&out, msg->root, false), 0);
	assert_string_equal(
	    buf_cstr(&out),
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL "
	    "NIL \"7bit\" 0 0) \"mixed\")");
	buf_reset(&out);
	assert_int_equal(imap_render_envelope(&out, msg->root->envelope), 0);
	assert_string_equal(buf_cstr(&out),
	                    "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
	buf_deinit(&out);
	mime_message_free(&msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_messages, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_strings, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_dates_flags, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_section_part, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_empty_multipart, testlib_setup,
	                                    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
