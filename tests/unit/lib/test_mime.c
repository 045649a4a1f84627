/*
 * test_mime.c - unit tests for lib/mime.c: the part tree of real and
 * malformed messages (LF and CR LF line ends), sizes in both forms,
 * Content-* fields and RFC 2231 parameters, envelope fields, and the
 * limits. Every message is parsed whole, one octet at a time and split
 * at every offset; all must give the same tree. With
 * MR_MIME_WRITE_CORPUS=DIR the messages are also written to DIR as the
 * seed corpus of tests/fuzz/fuzz_mime.c.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/io.h"
#include "lib/mem.h"
#include "lib/mime.h"

/*
 * One row: a message and its tree, one part per "|"-separated item in
 * depth-first order: depth, type/subtype, header offset octets crlf
 * lines, body offset octets crlf lines, flags in hex.
 */
static const struct {
	const char *in;
	const char *tree;
} rows[] = {
    {"", "0 text/plain h0,0,0,0 b0,0,0,0 f44"},
    {"From: a@b\nSubject: x\n\nhello\n",
     "0 text/plain h0,22,25,3 b22,6,7,1 f4"},
    {"From: a@b\r\nSubject: x\r\n\r\nhello\r\n",
     "0 text/plain h0,25,25,3 b25,7,7,1 f4"},
    {"Subject: x\nFrom: y\n", "0 text/plain h0,19,21,2 b19,0,0,0 f44"},
    {"Subject: x", "0 text/plain h0,10,10,0 b10,0,0,0 f44"},
    {"\nbody only\n", "0 text/plain h0,1,2,1 b1,10,11,1 f4"},
    {"Content-Type: multipart/mixed; "
     "boundary=\"XX\"\n\npreamble\n--XX\nContent-Type: text/plain\n\npart "
     "one\n--XX\n\npart two\n\n--XX--\nepilogue\n",
     "0 multipart/mixed h0,46,48,2 b46,81,92,11 f1|"
     "1 text/plain h60,26,28,2 b86,8,8,0 f0|"
     "1 text/plain h100,1,2,1 b101,9,10,1 f4"},
    {"Content-Type: multipart/mixed; "
     "boundary=\"XX\"\r\n\r\npreamble\r\n--XX\r\nContent-Type: "
     "text/plain\r\n\r\npart one\r\n--XX\r\n\r\npart "
     "two\r\n\r\n--XX--\r\nepilogue\r\n",
     "0 multipart/mixed h0,48,48,2 b48,92,92,11 f1|"
     "1 text/plain h64,28,28,2 b92,8,8,0 f0|"
     "1 text/plain h108,2,2,1 b110,10,10,1 f4"},
    {"Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: "
     "multipart/alternative; boundary=i\n\n--i\n\nplain\n--i\nContent-Type: "
     "text/html\n\n<p>html</p>\n--i--\n--o\nContent-Type: "
     "application/octet-stream\nContent-Transfer-Encoding: "
     "base64\n\nAAAA\n--o--\n",
     "0 multipart/mixed h0,43,45,2 b43,200,217,17 f1|"
     "1 multipart/alternative h47,49,51,2 b96,57,64,7 f1|"
     "2 text/plain h100,1,2,1 b101,5,5,0 f4|"
     "2 text/html h111,25,27,2 b136,11,11,0 f0|"
     "1 application/octet-stream h158,74,77,3 b232,4,4,0 f0"},
    {"Content-Type: multipart/mixed; boundary=zz\n\n--zz\nContent-Type: "
     "message/rfc822\n\nFrom: a@b\nSubject: inner\nContent-Type: "
     "multipart/alternative; boundary=yy\n\n--yy\n\ntext\n--yy\nContent-Type: "
     "text/html\n\n<b>x</b>\n--zz\nno header line\n\nbody\n",
     "0 multipart/mixed h0,44,46,2 b44,186,204,18 f9|"
     "1 message/rfc822 h49,30,32,2 b79,124,134,10 f2|"
     "2 multipart/alternative h79,75,79,4 b154,49,55,6 f9|"
     "3 text/plain h159,1,2,1 b160,4,4,0 f4|"
     "3 text/html h170,25,27,2 b195,8,8,0 f0|"
     "1 text/plain h209,16,18,2 b225,5,6,1 f4"},
    {"Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n",
     "0 multipart/mixed h0,43,45,2 b43,18,24,6 f9|"
     "1 text/plain h47,1,2,1 b48,3,3,0 f4|"
     "1 text/plain h56,1,2,1 b57,4,5,1 f4"},
    {"Content-Type: multipart/mixed; boundary=zz\n\nboundary never\nappears\n",
     "0 multipart/mixed h0,44,46,2 b44,23,25,2 f9"},
    {"Content-Type: multipart/mixed\n\nno boundary param\n",
     "0 multipart/mixed h0,31,33,2 b31,18,19,1 f0"},
    {"Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: "
     "multipart/mixed; boundary=i\n\n--i\n\ninner\n--o\n\nsecond "
     "outer\n--o--\n",
     "0 multipart/mixed h0,43,45,2 b43,82,92,10 f1|"
     "1 multipart/mixed h47,43,45,2 b90,10,12,2 f9|"
     "2 text/plain h94,1,2,1 b95,5,5,0 f4|"
     "1 text/plain h105,1,2,1 b106,12,12,0 f4"},
    {"Content-Type: multipart/mixed; boundary=b\n\n--b \t\n\nwhite space "
     "after\n--bX\n--b x\n--b--junk after close\nepilogue\n",
     "0 multipart/mixed h0,43,45,2 b43,67,74,7 f1|"
     "1 text/plain h49,1,2,1 b50,28,30,2 f4"},
    {"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: "
     "text/html\n--b\n\nafter\n--b--\n",
     "0 multipart/mixed h0,43,45,2 b43,45,51,6 f1|"
     "1 text/html h47,23,23,0 b70,0,0,0 f40|"
     "1 text/plain h75,1,2,1 b76,5,5,0 f4"},
    {"Content-Type: multipart/digest; boundary=d\n\n--d\n\nFrom: x@y\n\ndigest "
     "item\n--d\nContent-Type: text/plain\n\nplain item\n--d--\n",
     "0 multipart/digest h0,44,46,2 b44,75,85,10 f1|"
     "1 message/rfc822 h48,1,2,1 b49,22,24,2 f6|"
     "2 text/plain h49,11,13,2 b60,11,11,0 f4|"
     "1 text/plain h76,26,28,2 b102,10,10,0 f0"},
    {"Content-Type: message/rfc822\nContent-Transfer-Encoding: "
     "base64\n\nRnJvbTogYUBiCgpoaQo=\n",
     "0 message/rfc822 h0,64,67,3 b64,21,22,1 f0"},
    {"Content-Type: message/rfc822\n\nSubject: inner\n\ninner body\n",
     "0 message/rfc822 h0,30,32,2 b30,27,30,3 f2|"
     "1 text/plain h30,16,18,2 b46,11,12,1 f4"},
    {"Subject: cr\r\n\r\nbare\rcr\nand lf\r\nmixed\n",
     "0 text/plain h0,15,15,2 b15,22,24,3 f4"},
    {"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nlast\n--b--",
     "0 multipart/mixed h0,43,45,2 b43,15,18,3 f1|"
     "1 text/plain h47,1,2,1 b48,4,4,0 f4"},
    {"Content-Type: multipart/mixed; boundary=b\n\n--b\nthis is not a "
     "header\nContent-Type: text/html\n\nbody\n--b--\n",
     "0 multipart/mixed h0,43,45,2 b43,61,67,6 f1|"
     "1 text/html h47,46,49,3 b93,4,4,0 f0"},
    {"Content-Type: multipart/mixed; boundary=abc\n\n--abc\nContent-Type: "
     "multipart/mixed; boundary=ab\n\n--ab\n\nx\n--abc\n\ny\n--abc--\n",
     "0 multipart/mixed h0,45,47,2 b45,75,85,10 f1|"
     "1 multipart/mixed h51,44,46,2 b95,7,9,2 f9|"
     "2 text/plain h100,1,2,1 b101,1,1,0 f4|"
     "1 text/plain h109,1,2,1 b110,1,1,0 f4"},
    {"Content-Type: multipart/mixed; boundary=b\n\n--b\n\n\n--b--\n",
     "0 multipart/mixed h0,43,45,2 b43,12,16,4 f1|"
     "1 text/plain h47,1,2,1 b48,0,0,0 f4"},
    {"Content-Type: multipart/alternative;\n "
     "boundary=\"=_folded\"\n\n--=_folded\n\na\n--=_folded--\n",
     "0 multipart/alternative h0,59,62,3 b59,27,31,4 f1|"
     "1 text/plain h70,1,2,1 b71,1,1,0 f4"},
    {"Content-Type: MULTIPART/Mixed; "
     "BOUNDARY=Case\n\n--Case\n\nx\n--case\n--Case--\n",
     "0 multipart/mixed h0,46,48,2 b46,26,31,5 f1|"
     "1 text/plain h53,1,2,1 b54,8,9,1 f4"},
    {"Content-Type: multipart/mixed; boundary=b\n\n--b\n"
     "Content-Type: message/rfc822\n\nSubject: x\n\n--b--\n",
     "0 multipart/mixed h0,43,45,2 b43,52,58,6 f1|"
     "1 message/rfc822 h47,30,32,2 b77,12,14,2 f2|"
     "2 text/plain h77,12,14,2 b89,0,0,0 f4"},
    {"Content-Type: multipart/digest; boundary=d\n\n--d\nX: y\n\n--d--\n",
     "0 multipart/digest h0,44,46,2 b44,16,20,4 f1|"
     "1 message/rfc822 h48,6,8,2 b54,0,0,0 f6|"
     "2 text/plain h54,0,0,0 b54,0,0,0 f44"},
    {"Content-Type: text/plain\n\n--b\n--b--\n",
     "0 text/plain h0,26,28,2 b26,10,12,2 f0"},
};

/* dump - the tree as text */
static void
dump_part(const struct mime_part *p, struct buf *out)
{
	const struct mime_part *c;

	if (out->len > 0)
		buf_append_byte(out, '|');
	buf_printf(out, "%u %s/%s h%zu,%zu,%zu,%zu b%zu,%zu,%zu,%zu f%x",
	           p->depth, p->type, p->subtype, p->header_offset,
	           p->header.octets, p->header.crlf_octets, p->header.lines,
	           p->body_offset, p->body.octets, p->body.crlf_octets,
	           p->body.lines, p->flags);
	for (c = p->children; c != NULL; c = c->next)
		dump_part(c, out);
}

/* parse_split - parse in pieces of step octets (0: whole); dump */
static void
parse_dump(const char *in, size_t len, size_t step, size_t split,
           struct buf *out)
{
	struct mime_parser *mp = mime_parser_new(MIME_PARSE_F_ENVELOPE);
	struct mime_message *msg;
	size_t i;

	if (split > 0) {
		mime_parser_feed(mp, (const uint8_t *)in, split);
		mime_parser_feed(mp, (const uint8_t *)in + split, len - split);
	} else if (step == 0) {
		mime_parser_feed(mp, (const uint8_t *)in, len);
	} else {
		for (i = 0; i < len; i += step)
			mime_parser_feed(mp, (const uint8_t *)in + i,
			                 len - i < step ? len - i : step);
	}
	msg = mime_parser_finish(&mp);
	assert_null(mp);
	buf_reset(out);
	dump_part(msg->root, out);
	assert_int_equal(msg->size, len);
	mime_message_free(&msg);
}

/* corpus_write - dump a message for the fuzz seed corpus */
static void
corpus_write(const char *dir, size_t i, const char *in)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/row%03zu", dir, i);
	assert_int_equal(io_atomic_replace(path, in, strlen(in), 0644), 0);
}

static void
test_tree(void **state)
{
	const char *corpus = getenv("MR_MIME_WRITE_CORPUS");
	bool print = getenv("MR_MIME_PRINT") != NULL;
	struct buf whole, other;
	size_t i, k;

	(void)state;
	buf_init(&whole, 1 << 20);
	buf_init(&other, 1 << 20);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *in = rows[i].in;
		size_t len = strlen(in);

		if (corpus != NULL)
			corpus_write(corpus, i, in);
		parse_dump(in, len, 0, 0, &whole);
		if (print)
			printf("row %zu: \"%s\"\n", i, buf_cstr(&whole));
		else if (strcmp(buf_cstr(&whole), rows[i].tree) != 0)
			fail_msg("row %zu: got\n%s\nwant\n%s", i,
			         buf_cstr(&whole), rows[i].tree);
		parse_dump(in, len, 1, 0, &other);
		if (strcmp(buf_cstr(&whole), buf_cstr(&other)) != 0)
			fail_msg("row %zu byte by byte: %s", i,
			         buf_cstr(&other));
		for (k = 1; k < len; k++) {
			parse_dump(in, len, 0, k, &other);
			if (strcmp(buf_cstr(&whole), buf_cstr(&other)) != 0)
				fail_msg("row %zu split at %zu: %s", i, k,
				         buf_cstr(&other));
		}
	}
	buf_deinit(&whole);
	buf_deinit(&other);
}

/* param_dump - "name=value" pairs, "*" after extended names */
static void
param_dump(const struct mime_param *params, size_t count, struct buf *out)
{
	size_t i;

	for (i = 0; i < count; i++) {
		buf_printf(out, "%s%s%s=", i > 0 ? ";" : "", params[i].name,
		           params[i].extended ? "*" : "");
		buf_append(out, params[i].value, params[i].value_len);
		if (params[i].language != NULL)
			buf_printf(out, "(%s)", params[i].language);
	}
}

/* Content-* fields: one header, the fields as parsed. */
static const struct {
	const char *header;
	const char *type;   /* type/subtype */
	const char *params; /* param_dump */
	const char *encoding;
	const char *disp;  /* disposition;params */
	const char *other; /* id|description|md5|location|languages */
} field_rows[] = {
    {"Content-Type: text/plain; charset=utf-8\n", "text/plain", "charset=utf-8",
     "7bit", "", "||||"},
    {"Content-Type: Text/HTML; Charset=\"ISO-8859-1\"; format=flowed\n",
     "text/html", "charset=ISO-8859-1;format=flowed", "7bit", "", "||||"},
    {"Content-Type: text/plain (comment) ; (c) charset = (c) \"a\\\"b\" "
     "(c)\n",
     "text/plain", "charset=a\"b", "7bit", "", "||||"},
    {"Content-Type: text/plain;\n charset=us-ascii;\n\tname=\"a b.txt\"\n",
     "text/plain", "charset=us-ascii;name=a b.txt", "7bit", "", "||||"},
    {"Content-Type: text/plain;; junk; charset=x; =y; z\n", "text/plain",
     "charset=x", "7bit", "", "||||"},
    {"Content-Type: text\n", "text/plain", "", "7bit", "", "||||"},
    {"Content-Type: /plain\n", "text/plain", "", "7bit", "", "||||"},
    {"Content-Type: \n", "text/plain", "", "7bit", "", "||||"},
    {"Content-Type: text/html\nContent-Type: image/png\n", "text/html", "",
     "7bit", "", "||||"},
    {"Content-Type: application/x; name*=utf-8'de'J%C3%B6rg.pdf\n",
     "application/x", "name*=J\xc3\xb6rg.pdf(de)", "7bit", "", "||||"},
    {"Content-Type: application/x; name*0*=utf-8''J%C3%B6; "
     "name*2=\".pdf\"; name*1*=rg%20x\n",
     "application/x", "name*=J\xc3\xb6rg x.pdf", "7bit", "", "||||"},
    {"Content-Type: application/x; name*0=\"long \"; name*1=\"name\"\n",
     "application/x", "name=long name", "7bit", "", "||||"},
    {"Content-Type: application/x; name*=iso-8859-1''%E9t%E9\n",
     "application/x", "name*=\xc3\xa9t\xc3\xa9", "7bit", "", "||||"},
    {"Content-Type: application/x; name*=''%41%zz%4\n", "application/x",
     "name*=A%zz%4", "7bit", "", "||||"},
    {"Content-Type: application/x; name*=utf-8''%FF\n", "application/x",
     "name*=\xef\xbf\xbd", "7bit", "", "||||"},
    {"Content-Type: application/x; name=\"a\"; name*=utf-8''b; name=c\n",
     "application/x", "name=a;name*=b", "7bit", "", "||||"},
    {"Content-Type: application/x; name*0=a; name*0=b; name*x=c; "
     "name*1000=d\n",
     "application/x", "name=a", "7bit", "", "||||"},
    {"Content-Transfer-Encoding: BASE64\n", "text/plain", "", "base64", "",
     "||||"},
    {"Content-Transfer-Encoding: x-uuencode\n", "text/plain", "", "x-uuencode",
     "", "||||"},
    {"Content-Transfer-Encoding: (c) Quoted-Printable (c)\n", "text/plain", "",
     "quoted-printable", "", "||||"},
    {"Content-Disposition: Attachment; filename=\"a.pdf\"; size=3\n",
     "text/plain", "", "7bit", "attachment;filename=a.pdf;size=3", "||||"},
    {"Content-Disposition: inline\n", "text/plain", "", "7bit", "inline;",
     "||||"},
    {"Content-ID:  <id@x>  \nContent-Description: =?utf-8?q?d?= x\n"
     "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n"
     "Content-Location:\n http://example.com/a\n"
     "Content-Language: en, de-AT (comment), fr\n",
     "text/plain", "", "7bit", "",
     "<id@x>|=?utf-8?q?d?= x|Q2hlY2sgSW50ZWdyaXR5IQ==|http://example.com/a|"
     "en,de-AT,fr"},
    {"content-id: <a>\nCONTENT-ID: <b>\n", "text/plain", "", "7bit", "",
     "<a>||||"},
    {"Content-Type: text/plain; charset=\"unterminated\n", "text/plain",
     "charset=unterminated", "7bit", "", "||||"},
    {"Content-Type: text/plain; a=(unclosed comment\n", "text/plain", "",
     "7bit", "", "||||"},
};

/* text_dump - a header value or nothing */
static void
text_dump(const struct mime_text *t, struct buf *out)
{
	if (t->p != NULL)
		buf_append(out, t->p, t->len);
}

static void
test_fields(void **state)
{
	struct buf got;
	size_t i, j;

	(void)state;
	buf_init(&got, 1 << 16);
	for (i = 0; i < sizeof(field_rows) / sizeof(field_rows[0]); i++) {
		struct mime_message *msg;
		const struct mime_part *p;
		char in[1024];

		snprintf(in, sizeof(in), "%s\nbody\n", field_rows[i].header);
		msg = mime_parse((const uint8_t *)in, strlen(in), 0);
		p = msg->root;
		buf_reset(&got);
		buf_printf(&got, "%s/%s", p->type, p->subtype);
		if (strcmp(buf_cstr(&got), field_rows[i].type) != 0)
			fail_msg("row %zu type %s", i, buf_cstr(&got));
		buf_reset(&got);
		param_dump(p->params, p->param_count, &got);
		if (strcmp(buf_cstr(&got), field_rows[i].params) != 0)
			fail_msg("row %zu params %s", i, buf_cstr(&got));
		assert_string_equal(p->encoding_name, field_rows[i].encoding);
		buf_reset(&got);
		if (p->disposition != NULL) {
			buf_printf(&got, "%s;", p->disposition);
			param_dump(p->disp_params, p->disp_param_count, &got);
		}
		if (strcmp(buf_cstr(&got), field_rows[i].disp) != 0)
			fail_msg("row %zu disposition %s", i, buf_cstr(&got));
		buf_reset(&got);
		text_dump(&p->id, &got);
		buf_append_byte(&got, '|');
		text_dump(&p->description, &got);
		buf_append_byte(&got, '|');
		text_dump(&p->md5, &got);
		buf_append_byte(&got, '|');
		text_dump(&p->location, &got);
		buf_append_byte(&got, '|');
		for (j = 0; j < p->language_count; j++)
			buf_printf(&got, "%s%s", j > 0 ? "," : "",
			           p->languages[j]);
		if (strcmp(buf_cstr(&got), field_rows[i].other) != 0)
			fail_msg("row %zu other %s", i, buf_cstr(&got));
		mime_message_free(&msg);
		assert_null(msg);
	}
	buf_deinit(&got);
}

/* Encodings map to the enum; an unknown one is MIME_ENC_OTHER. */
static void
test_encoding_enum(void **state)
{
	static const struct {
		const char *in;
		enum mime_encoding enc;
	} encs[] = {
	    {"Subject: x\n\n", MIME_ENC_7BIT},
	    {"Content-Transfer-Encoding: 8bit\n\n", MIME_ENC_8BIT},
	    {"Content-Transfer-Encoding: binary\n\n", MIME_ENC_BINARY},
	    {"Content-Transfer-Encoding: base64\n\n", MIME_ENC_BASE64},
	    {"Content-Transfer-Encoding: quoted-printable\n\n", MIME_ENC_QP},
	    {"Content-Transfer-Encoding: x-gzip\n\n", MIME_ENC_OTHER},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
		struct mime_message *msg = mime_parse(
		    (const uint8_t *)encs[i].in, strlen(encs[i].in), 0);

		assert_int_equal(msg->root->encoding, encs[i].enc);
		mime_message_free(&msg);
	}
}

/* Envelope fields of the message and of an encapsulated message. */
static void
test_envelope(void **state)
{
	const char *in =
	    "From: Ann <ann@example.com>\r\nTo: bob@example.com,\r\n"
	    " carol@example.com\r\nSubject:  Hello\r\n  world \r\n"
	    "Subject: second\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
	    "Message-ID: <1@x>\r\nIn-Reply-To: <0@x>\r\n"
	    "Content-Type: message/rfc822\r\n\r\n"
	    "From: inner@example.com\r\nSubject: inner\r\n\r\nbody\r\n";
	struct mime_message *msg;
	const struct mime_envelope *e;

	(void)state;
	msg =
	    mime_parse((const uint8_t *)in, strlen(in), MIME_PARSE_F_ENVELOPE);
	e = msg->root->envelope;
	assert_non_null(e);
	assert_string_equal(e->from.p, "Ann <ann@example.com>");
	assert_string_equal(e->to.p, "bob@example.com, carol@example.com");
	assert_string_equal(e->subject.p, "Hello  world");
	assert_string_equal(e->date.p, "Mon, 7 Feb 1994 21:52:25 -0800");
	assert_string_equal(e->message_id.p, "<1@x>");
	assert_string_equal(e->in_reply_to.p, "<0@x>");
	assert_null(e->cc.p);
	assert_null(e->sender.p);
	assert_non_null(msg->root->children);
	e = msg->root->children->envelope;
	assert_non_null(e);
	assert_string_equal(e->from.p, "inner@example.com");
	assert_string_equal(e->subject.p, "inner");
	mime_message_free(&msg);

	/* Without the flag nothing is kept. */
	msg = mime_parse((const uint8_t *)in, strlen(in), 0);
	assert_null(msg->root->envelope);
	mime_message_free(&msg);
}

/* nested - n levels of multipart, each with one text part inside */
static void
nested(struct buf *b, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		buf_printf(b,
		           "Content-Type: multipart/mixed; boundary=b%u\n\n"
		           "--b%u\n",
		           i, i);
	buf_printf(b, "\ndeep\n");
	for (i = n; i-- > 0;)
		buf_printf(b, "--b%u--\n", i);
}

/* depth_of - the deepest part */
static unsigned
depth_of(const struct mime_part *p)
{
	unsigned d = p->depth;
	const struct mime_part *c;

	for (c = p->children; c != NULL; c = c->next) {
		unsigned cd = depth_of(c);

		if (cd > d)
			d = cd;
	}
	return d;
}

static void
test_depth_limit(void **state)
{
	struct mime_message *msg;
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 20);
	nested(&b, MIME_DEPTH_MAX);
	msg = mime_parse(b.data, b.len, 0);
	assert_int_equal(depth_of(msg->root), MIME_DEPTH_MAX);
	assert_int_equal(msg->part_count, MIME_DEPTH_MAX + 1);
	mime_message_free(&msg);

	buf_reset(&b);
	nested(&b, MIME_DEPTH_MAX + 10);
	msg = mime_parse(b.data, b.len, 0);
	assert_int_equal(depth_of(msg->root), MIME_DEPTH_MAX);
	mime_message_free(&msg);

	/* message/rfc822 inside message/rfc822 ... */
	buf_reset(&b);
	for (unsigned i = 0; i < MIME_DEPTH_MAX + 10; i++)
		buf_printf(&b, "Content-Type: message/rfc822\n\n");
	buf_printf(&b, "body\n");
	msg = mime_parse(b.data, b.len, 0);
	assert_int_equal(depth_of(msg->root), MIME_DEPTH_MAX);
	mime_message_free(&msg);
	buf_deinit(&b);
}

static void
test_parts_limit(void **state)
{
	struct mime_message *msg;
	const struct mime_part *p;
	size_t count = 0;
	struct buf b;
	unsigned i;

	(void)state;
	buf_init(&b, 1 << 20);
	buf_printf(&b, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (i = 0; i < MIME_PARTS_MAX + 100; i++)
		buf_printf(&b, "--b\n\n%u\n", i);
	buf_printf(&b, "--b--\n");
	msg = mime_parse(b.data, b.len, 0);
	assert_int_equal(msg->part_count, MIME_PARTS_MAX);
	assert_true(msg->flags & MIME_MESSAGE_F_PARTS_LIMIT);
	for (p = msg->root->children; p != NULL; p = p->next)
		count++;
	assert_int_equal(count, MIME_PARTS_MAX - 1);
	/* The rest of the message belongs to the open parts. */
	assert_int_equal(msg->root->body_offset + msg->root->body.octets,
	                 b.len);
	mime_message_free(&msg);
	buf_deinit(&b);
}

/* A field over MIME_FIELD_MAX is cut and flagged, not refused. */
static void
test_field_cut(void **state)
{
	struct mime_message *msg;
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 1 << 20);
	buf_printf(&b, "Content-Type: text/plain; charset=x");
	for (i = 0; i < MIME_FIELD_MAX; i++)
		buf_append_str(&b, i % 70 == 0 ? "\n y" : "y");
	buf_printf(&b, "\nContent-ID: <after>\n\nbody\n");
	msg = mime_parse(b.data, b.len, 0);
	assert_true(msg->root->flags & MIME_PART_F_FIELD_CUT);
	assert_string_equal(msg->root->type, "text");
	assert_string_equal(msg->root->id.p, "<after>");
	assert_int_equal(msg->root->body.octets, 5);
	mime_message_free(&msg);
	buf_deinit(&b);
}

/*
 * Parameters past MIME_PARAMS_MAX are skipped, whatever their form, and
 * the ones kept are intact.
 */
static void
test_params_limit(void **state)
{
	struct mime_message *msg;
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 1 << 16);
	buf_printf(&b, "Content-Type: text/plain");
	for (i = 0; i < MIME_PARAMS_MAX + 20; i++)
		buf_printf(&b, ";\n p%zu*%zu*=utf-8''v%%41%zu", i, i % 3, i);
	buf_printf(&b, "\n\nbody\n");
	msg = mime_parse(b.data, b.len, 0);
	assert_int_equal(msg->root->param_count, MIME_PARAMS_MAX);
	assert_string_equal(msg->root->params[0].name, "p0");
	assert_string_equal(msg->root->params[0].value, "vA0");
	assert_string_equal(msg->root->params[MIME_PARAMS_MAX - 1].value,
	                    "vA63");
	assert_int_equal(msg->root->body.octets, 5);
	mime_message_free(&msg);
	buf_deinit(&b);
}

/* A field name with a NUL or a space in it is not a field. */
static void
test_bad_field_name(void **state)
{
	static const char in[] = "Content-Type\0: text/html\n"
	                         "Content Type: text/html\n\nbody\n";
	struct mime_message *msg;

	(void)state;
	msg = mime_parse((const uint8_t *)in, sizeof(in) - 1, 0);
	assert_string_equal(msg->root->type, "text");
	assert_string_equal(msg->root->subtype, "plain");
	mime_message_free(&msg);
}

/* A boundary over MIME_BOUNDARY_MAX makes the multipart a leaf. */
static void
test_long_boundary(void **state)
{
	struct mime_message *msg;
	struct buf b;
	char bd[MIME_BOUNDARY_MAX + 2];

	(void)state;
	buf_init(&b, 1 << 16);
	memset(bd, 'x', sizeof(bd) - 1);
	bd[MIME_BOUNDARY_MAX] = '\0';
	buf_printf(&b,
	           "Content-Type: multipart/mixed; boundary=%s\n\n--%s\n\n"
	           "a\n--%s--\n",
	           bd, bd, bd);
	msg = mime_parse(b.data, b.len, 0);
	assert_non_null(msg->root->children);
	mime_message_free(&msg);
	bd[MIME_BOUNDARY_MAX] = 'x';
	bd[MIME_BOUNDARY_MAX + 1] = '\0';
	buf_reset(&b);
	buf_printf(&b,
	           "Content-Type: multipart/mixed; boundary=%s\n\n--%s\n\n"
	           "a\n--%s--\n",
	           bd, bd, bd);
	msg = mime_parse(b.data, b.len, 0);
	assert_null(msg->root->children);
	mime_message_free(&msg);
	buf_deinit(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_tree, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_fields, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_encoding_enum, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_envelope, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_depth_limit, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_parts_limit, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_field_cut, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_long_boundary, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_params_limit, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_field_name, testlib_setup,
	                                    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
