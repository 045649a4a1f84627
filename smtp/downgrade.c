/*
 * downgrade.c - 8-bit mail for a server without 8BITMIME, as Postfix
 * does it: every MIME leaf part whose body holds 8-bit octets and is
 * declared 7bit, 8bit or binary (or not declared) is sent
 * quoted-printable, with its Content-Transfer-Encoding rewritten;
 * multiparts and messages declared 8bit or binary are declared 7bit.
 * A message without MIME-Version gets one when its body is converted.
 * Headers with 8-bit octets are sent as they are (that needs SMTPUTF8,
 * which is decided elsewhere).
 *
 * Three passes over the content, driven by the caller (the content is
 * streamed from the queue file each time, never held whole):
 *   1. smtp_downgrade_parse: the MIME tree (lib/mime);
 *   2. smtp_downgrade_check: which leaf bodies hold 8-bit octets; then
 *      smtp_downgrade_plan lists the edits, in content order;
 *   3. smtp_downgrade_feed: the content with the edits applied.
 * The edits are disjoint ranges: a part's header (rewritten whole, at
 * most SMTP_DOWNGRADE_HEADER_MAX octets, else the part is left alone) and
 * a leaf's body (encoded). Everything else is copied.
 */
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "lib/mime.h"
#include "lib/qp.h"
#include "smtp/smtp.h"

/* A part header longer than this is not rewritten. */
#define SMTP_DOWNGRADE_HEADER_MAX (256u * 1024)

enum edit_kind {
	EDIT_HEADER_QP,		/* CTE: quoted-printable */
	EDIT_HEADER_7BIT,	/* CTE: 7bit */
	EDIT_BODY,		/* quoted-printable encode */
};

struct edit {
	size_t start, end;	/* [start, end) of the content */
	enum edit_kind kind;
	bool add_mime_version;	/* the root of a message without MIME */
};

struct smtp_downgrade {
	struct mime_parser *parser;
	struct mime_message *tree;
	/* Leaves with a body that may need encoding, in content order. */
	struct mime_part **leaves;
	bool *leaf_8bit;
	size_t leaf_count;
	size_t check_pos;	/* pass 2: offset of the next octet */
	size_t check_leaf;
	struct edit *edits;
	size_t edit_count;
	/* pass 3 */
	size_t pos;
	size_t edit;		/* the current or next edit */
	struct buf header;	/* a header being rewritten */
	struct qp_encoder qp;
	bool has_mime_version;
};

/* smtp_downgrade_new - start pass 1 */
struct smtp_downgrade *
smtp_downgrade_new(void)
{
	struct smtp_downgrade *d = mem_alloc(sizeof(*d));

	d->parser = mime_parser_new(0);
	buf_init(&d->header, SMTP_DOWNGRADE_HEADER_MAX + 256);
	return d;
}

/* smtp_downgrade_free - release everything */
void
smtp_downgrade_free(struct smtp_downgrade **dp)
{
	struct smtp_downgrade *d = *dp;

	if (d == NULL)
		return;
	if (d->parser != NULL) {
		struct mime_message *m = mime_parser_finish(&d->parser);

		mime_message_free(&m);
	}
	if (d->tree != NULL)
		mime_message_free(&d->tree);
	mem_free(&d->leaves);
	mem_free(&d->leaf_8bit);
	mem_free(&d->edits);
	buf_deinit(&d->header);
	mem_free(dp);
}

/* smtp_downgrade_parse - pass 1: the next n content octets */
void
smtp_downgrade_parse(struct smtp_downgrade *d, const uint8_t *p, size_t n)
{
	mime_parser_feed(d->parser, p, n);
}

/* downgrade_encodable - a leaf whose body we may encode */
static bool
downgrade_encodable(const struct mime_part *part)
{
	if (part->flags & (MIME_PART_F_MULTIPART | MIME_PART_F_MESSAGE |
			   MIME_PART_F_HEADER_CUT))
		return false;
	return part->encoding == MIME_ENC_7BIT ||
	       part->encoding == MIME_ENC_8BIT ||
	       part->encoding == MIME_ENC_BINARY;
}

/* downgrade_collect - leaves in content order (depth first) */
static void
downgrade_collect(struct smtp_downgrade *d, struct mime_part *part,
		  size_t cap)
{
	struct mime_part *c;

	if (part->children == NULL) {
		if (downgrade_encodable(part) && d->leaf_count < cap)
			d->leaves[d->leaf_count++] = part;
		return;
	}
	for (c = part->children; c != NULL; c = c->next)
		downgrade_collect(d, c, cap);
}

/* smtp_downgrade_parsed - end of pass 1 */
void
smtp_downgrade_parsed(struct smtp_downgrade *d)
{
	size_t cap;

	d->tree = mime_parser_finish(&d->parser);
	cap = d->tree->part_count + 1;
	d->leaves = mem_alloc_array(cap, sizeof(*d->leaves));
	d->leaf_8bit = mem_alloc_array(cap, sizeof(*d->leaf_8bit));
	downgrade_collect(d, d->tree->root, cap);
}

/* smtp_downgrade_check - pass 2: the next n content octets */
void
smtp_downgrade_check(struct smtp_downgrade *d, const uint8_t *p, size_t n)
{
	size_t end = d->check_pos + n;

	while (d->check_leaf < d->leaf_count) {
		const struct mime_part *leaf = d->leaves[d->check_leaf];
		size_t from = leaf->body_offset;
		size_t to = leaf->body_offset + leaf->body.octets;
		size_t i;

		if (from >= end)
			break;
		if (from < d->check_pos)
			from = d->check_pos;
		for (i = from; i < to && i < end; i++)
			if (p[i - d->check_pos] & 0x80) {
				d->leaf_8bit[d->check_leaf] = true;
				break;
			}
		if (to > end && !d->leaf_8bit[d->check_leaf])
			break;	/* the body goes on in the next chunk */
		d->check_leaf++;
	}
	d->check_pos = end;
}

/* downgrade_add - one edit (they come in content order) */
static void
downgrade_add(struct smtp_downgrade *d, size_t start, size_t end,
	      enum edit_kind kind, bool mime_version)
{
	struct edit *e;

	e = &d->edits[d->edit_count++];
	e->start = start;
	e->end = end;
	e->kind = kind;
	e->add_mime_version = mime_version;
}

/* downgrade_needs - whether part or anything inside holds a marked leaf */
static bool
downgrade_needs(const struct smtp_downgrade *d, const struct mime_part *part)
{
	size_t i;

	for (i = 0; i < d->leaf_count; i++) {
		const struct mime_part *p;

		if (!d->leaf_8bit[i])
			continue;
		for (p = d->leaves[i]; p != NULL; p = p->parent)
			if (p == part)
				return true;
	}
	return false;
}

/* downgrade_plan_part - edits for part and its children, in order */
static void
downgrade_plan_part(struct smtp_downgrade *d, const struct mime_part *part)
{
	const struct mime_part *c;
	size_t i;
	bool hdr_ok = !(part->flags & MIME_PART_F_HEADER_CUT) &&
		      part->header.octets <= SMTP_DOWNGRADE_HEADER_MAX;

	if (part->children == NULL) {
		for (i = 0; i < d->leaf_count; i++)
			if (d->leaves[i] == part && d->leaf_8bit[i])
				break;
		if (i == d->leaf_count || !hdr_ok)
			return;
		downgrade_add(d, part->header_offset,
			      part->header_offset + part->header.octets,
			      EDIT_HEADER_QP, part->parent == NULL);
		downgrade_add(d, part->body_offset,
			      part->body_offset + part->body.octets, EDIT_BODY,
			      false);
		return;
	}
	if (hdr_ok && (part->encoding == MIME_ENC_8BIT ||
		       part->encoding == MIME_ENC_BINARY) &&
	    downgrade_needs(d, part))
		downgrade_add(d, part->header_offset,
			      part->header_offset + part->header.octets,
			      EDIT_HEADER_7BIT, false);
	for (c = part->children; c != NULL; c = c->next)
		downgrade_plan_part(d, c);
}

/* smtp_downgrade_plan - end of pass 2: the edits; 0 when none */
size_t
smtp_downgrade_plan(struct smtp_downgrade *d)
{
	/* At most a header edit per part and a body edit per leaf. */
	d->edits = mem_alloc_array(d->tree->part_count * 2 + 2,
				   sizeof(*d->edits));
	downgrade_plan_part(d, d->tree->root);
	d->pos = 0;
	d->edit = 0;
	return d->edit_count;
}

/* hdr_is_field - whether the line starts header field name */
static bool
hdr_is_field(const uint8_t *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && line[n] == ':' &&
	       strncasecmp((const char *)line, name, n) == 0;
}

/* downgrade_header_out - the buffered header, rewritten, onto out */
static void
downgrade_header_out(struct smtp_downgrade *d, const struct edit *e,
		     struct buf *out)
{
	const uint8_t *p = d->header.data;
	size_t n = d->header.len, i = 0;
	bool skipping = false, seen_version = false;

	while (i < n) {
		const uint8_t *nl = memchr(p + i, '\n', n - i);
		size_t end = nl != NULL ? (size_t)(nl - p) + 1 : n;
		const uint8_t *line = p + i;
		size_t len = end - i;
		bool blank = len == 1 || (len == 2 && line[0] == '\r');

		if (blank) {
			/* The header ends: the new field goes first. */
			if (e->add_mime_version && !seen_version)
				buf_append_str(out, "MIME-Version: 1.0\r\n");
			buf_append_str(out,
				       e->kind == EDIT_HEADER_QP
					   ? "Content-Transfer-Encoding: "
					     "quoted-printable\r\n"
					   : "Content-Transfer-Encoding: 7bit\r\n");
			buf_append(out, line, n - i);
			return;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			if (!skipping)
				buf_append(out, line, len);
		} else {
			skipping = hdr_is_field(line, len,
						"Content-Transfer-Encoding");
			if (hdr_is_field(line, len, "MIME-Version"))
				seen_version = true;
			if (!skipping)
				buf_append(out, line, len);
		}
		i = end;
	}
}

/* smtp_downgrade_feed - pass 3: the next n octets, converted, onto out */
void
smtp_downgrade_feed(struct smtp_downgrade *d, const uint8_t *p, size_t n,
		    struct buf *out)
{
	while (n > 0) {
		const struct edit *e =
		    d->edit < d->edit_count ? &d->edits[d->edit] : NULL;
		size_t take;

		if (e == NULL || d->pos < e->start) {
			take = e == NULL ? n : e->start - d->pos;
			if (take > n)
				take = n;
			buf_append(out, p, take);
		} else {
			take = e->end - d->pos;
			if (take > n)
				take = n;
			if (e->kind == EDIT_BODY) {
				if (d->pos == e->start)
					qp_encoder_init(&d->qp);
				qp_encode(&d->qp, p, take, out);
			} else {
				buf_append(&d->header, p, take);
			}
			if (d->pos + take == e->end) {
				if (e->kind == EDIT_BODY)
					qp_encode_finish(&d->qp, out);
				else
					downgrade_header_out(d, e, out);
				buf_reset(&d->header);
				d->edit++;
			}
		}
		d->pos += take;
		p += take;
		n -= take;
	}
}

/* smtp_downgrade_finish - the end of the content */
void
smtp_downgrade_finish(struct smtp_downgrade *d, struct buf *out)
{
	/* An edit cut short by the end (a body at the very end is not):
	 * close what is open. */
	if (d->edit < d->edit_count) {
		const struct edit *e = &d->edits[d->edit];

		if (d->pos > e->start) {
			if (e->kind == EDIT_BODY)
				qp_encode_finish(&d->qp, out);
			else
				buf_append(out, d->header.data, d->header.len);
		}
	}
}
