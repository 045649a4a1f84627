/*
 * fuzz_mime.c - fuzz target for lib/mime.c and the decoders used on
 * what it finds (lib/base64.c, lib/qp.c, lib/charset.c, lib/rfc2047.c,
 * lib/rfc5322_header.c).
 *
 * Input: a message. Checks (abort() otherwise): parsing it whole and in
 * two pieces (split where the first octet says) gives the same tree;
 * every part lies inside its parent and the message, header before body,
 * children in order; CR LF sizes are at least the stored sizes. Then each
 * leaf body is decoded by its transfer encoding and charset, and header
 * values go through RFC 2047 decoding, whose output must be valid UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/buf.h"
#include "lib/charset.h"
#include "lib/mime.h"
#include "lib/qp.h"
#include "lib/rfc2047.h"
#include "lib/rfc5322_header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decoding chunk. */
#define CHUNK 512

/* same_tree - two trees are equal */
static void
same_tree(const struct mime_part *a, const struct mime_part *b)
{
	for (; a != NULL || b != NULL; a = a->next, b = b->next) {
		if (a == NULL || b == NULL)
			abort();
		if (a->header_offset != b->header_offset ||
		    a->body_offset != b->body_offset ||
		    memcmp(&a->header, &b->header, sizeof(a->header)) != 0 ||
		    memcmp(&a->body, &b->body, sizeof(a->body)) != 0 ||
		    a->flags != b->flags || strcmp(a->type, b->type) != 0 ||
		    strcmp(a->subtype, b->subtype) != 0 ||
		    a->param_count != b->param_count)
			abort();
		same_tree(a->children, b->children);
	}
}

/* check_size - a size is consistent */
static void
check_size(const struct mime_size *s)
{
	if (s->crlf_octets < s->octets || s->lines > s->octets ||
	    s->crlf_octets - s->octets > s->lines)
		abort();
}

/* check_part - part lies within [start, end) */
static void
check_part(const struct mime_part *p, size_t start, size_t end)
{
	const struct mime_part *c;
	size_t pos;

	check_size(&p->header);
	check_size(&p->body);
	if (p->header_offset < start ||
	    p->header_offset + p->header.octets != p->body_offset ||
	    p->body_offset + p->body.octets > end)
		abort();
	pos = p->body_offset;
	for (c = p->children; c != NULL; c = c->next) {
		if (c->parent != p || c->depth != p->depth + 1 ||
		    c->depth > MIME_DEPTH_MAX)
			abort();
		check_part(c, pos, p->body_offset + p->body.octets);
		pos = c->body_offset + c->body.octets;
	}
}

/* check_utf8 - output that must be valid UTF-8 */
static void
check_utf8(const struct buf *b)
{
	if (charset_utf8_valid_prefix(b->data, b->len) != b->len)
		abort();
}

/* decode_body - transfer decoding and charset conversion of a leaf */
static void
decode_body(const struct mime_part *p, const uint8_t *data)
{
	const struct mime_param *cs =
	    mime_param_get(p->params, p->param_count, "charset");
	struct charset_conv *cc =
	    charset_conv_new(cs != NULL ? cs->value : "us-ascii");
	struct base64_decoder b64;
	struct qp_decoder qp;
	uint8_t raw[QP_DECODED_MAX(CHUNK)];
	struct buf text;
	size_t i;

	buf_init(&text, CHARSET_OUT_MAX(sizeof(raw)));
	base64_decoder_init(&b64);
	qp_decoder_init(&qp);
	for (i = 0; i < p->body.octets; i += CHUNK) {
		const uint8_t *in = data + p->body_offset + i;
		size_t n =
		    p->body.octets - i < CHUNK ? p->body.octets - i : CHUNK;
		size_t len;

		if (p->encoding == MIME_ENC_BASE64)
			len = base64_decode(&b64, in, n, raw);
		else if (p->encoding == MIME_ENC_QP)
			len = qp_decode(&qp, in, n, raw);
		else
			len = n, memcpy(raw, in, n);
		buf_reset(&text);
		charset_conv_feed(cc, raw, len, &text);
		check_utf8(&text);
	}
	buf_reset(&text);
	charset_conv_finish(cc, &text);
	charset_conv_free(&cc);
	buf_deinit(&text);
}

/* walk - decode leaves and header values of every part */
static void
walk(const struct mime_part *p, const uint8_t *data)
{
	struct rfc5322_header_iter it;
	struct rfc5322_header_field f;
	struct buf out;

	buf_init(&out, 4096);
	rfc5322_header_iter_init(&it, data + p->header_offset,
	                         p->header.octets);
	while (rfc5322_header_next(&it, &f) == 1) {
		buf_reset(&out);
		rfc2047_decode(f.value, f.value_len, &out);
		check_utf8(&out);
		if (f.value < data ||
		    f.value + f.value_len > data + p->body_offset)
			abort();
	}
	buf_deinit(&out);
	if (p->children == NULL)
		decode_body(p, data);
	for (p = p->children; p != NULL; p = p->next)
		walk(p, data);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_message *whole, *split;
	struct mime_parser *mp;
	size_t at = size > 0 ? data[0] % (size + 1) : 0;

	whole = mime_parse(data, size, MIME_PARSE_F_ENVELOPE);
	mp = mime_parser_new(MIME_PARSE_F_ENVELOPE);
	mime_parser_feed(mp, data, at);
	mime_parser_feed(mp, data + at, size - at);
	split = mime_parser_finish(&mp);
	if (whole->size != size || whole->part_count != split->part_count ||
	    whole->part_count > MIME_PARTS_MAX)
		abort();
	same_tree(whole->root, split->root);
	check_part(whole->root, 0, size);
	walk(whole->root, data);
	mime_message_free(&whole);
	mime_message_free(&split);
	return 0;
}
