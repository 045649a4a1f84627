/*
 * fetch_body.c - where the octets of a BODY[section] are (RFC 3501
 * 6.4.5), and the message parse FETCH and SEARCH share.
 *
 * imapd_msg_parse     - a message file's MIME tree, read in chunks
 * imapd_section_find  - a section as a region of the file (sent with LF
 *                       to CR LF conversion) or as built text (header
 *                       field subsets)
 * imapd_section_deinit
 *
 * Sections: "" is the whole message; part numbers name a multipart's
 * parts, "1" of a non-multipart its body, and go on inside an
 * encapsulated message (render.c's imap_render_section_part); HEADER,
 * TEXT and HEADER.FIELDS[.NOT] apply to a message (the root, or a
 * message/rfc822 part's message), MIME to a part's own header. A
 * section that names nothing (no such part, HEADER of a text part) is
 * the empty string, as Dovecot answers. HEADER.FIELDS lists the chosen
 * fields in message order, then the empty line.
 *
 * Input: message files from the user's Maildir (untrusted). Limits:
 * IMAPD_FIELDS_HEADER_MAX octets of a header are searched for fields.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "imapd/crlf.h"
#include "imapd/fetch_body.h"
#include "imapd/render.h"
#include "lib/rfc5322_header.h"

/* imapd_msg_parse - the MIME tree of the open file fd */
struct mime_message *
imapd_msg_parse(int fd, unsigned flags, uint8_t *chunk, size_t chunk_size)
{
	struct mime_parser *mp = mime_parser_new(flags);
	off_t off = 0;

	for (;;) {
		ssize_t r = pread(fd, chunk, chunk_size, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			struct mime_message *msg = mime_parser_finish(&mp);

			mime_message_free(&msg);
			return NULL;
		}
		if (r == 0)
			break;
		mime_parser_feed(mp, chunk, (size_t)r);
		off += r;
	}
	return mime_parser_finish(&mp);
}

/* section_region - the section is octets [off, off + size.octets) */
static void
section_region(struct imapd_section *out, size_t off,
	       const struct mime_size *size)
{
	out->mem = false;
	out->raw_off = off;
	out->raw_len = size->octets;
	out->size = size->crlf_octets;
}

/* field_is_listed - whether a field's name is among the section's */
static bool
field_is_listed(const struct imap_fetch_section *sec,
		const struct rfc5322_header_field *f)
{
	size_t i;

	for (i = 0; i < sec->field_count; i++)
		if (rfc5322_header_name_is(f, sec->fields[i]))
			return true;
	return false;
}

/* section_fields - HEADER.FIELDS[.NOT] of the header at [off, off+n) */
static int
section_fields(const struct imap_fetch_section *sec, int fd, size_t off,
	       size_t n, struct imapd_section *out)
{
	struct rfc5322_header_iter it;
	struct rfc5322_header_field f;
	struct buf header;
	bool not = sec->spec == IMAP_SECTION_HEADER_FIELDS_NOT;
	size_t done = 0;

	if (n > IMAPD_FIELDS_HEADER_MAX)
		n = IMAPD_FIELDS_HEADER_MAX;
	buf_init(&header, IMAPD_FIELDS_HEADER_MAX);
	while (done < n) {
		ssize_t r = pread(fd, buf_reserve(&header, n - done), n - done,
				  (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			buf_deinit(&header);
			return -1;
		}
		buf_commit(&header, (size_t)r);
		done += (size_t)r;
	}
	out->mem = true;
	buf_init(&out->text, IMAPD_FIELDS_HEADER_MAX * 3 + 2);
	rfc5322_header_iter_init(&it, header.data, header.len);
	while (rfc5322_header_next(&it, &f) == 1) {
		/* The field as written: from its name to its value's end. */
		const uint8_t *start = header.data + f.offset;
		size_t len = (size_t)(f.value + f.value_len - start);
		struct imap_crlf conv;
		size_t used, w;

		if (field_is_listed(sec, &f) == not)
			continue;
		imap_crlf_init(&conv, 0);
		w = imap_crlf_convert(&conv, start, len,
				      buf_reserve(&out->text, 2 * len), 2 * len,
				      &used);
		buf_commit(&out->text, w);
		buf_append(&out->text, "\r\n", 2);
	}
	buf_append(&out->text, "\r\n", 2);
	out->size = out->text.len;
	buf_deinit(&header);
	return 0;
}

/* imapd_section_find - where the section's octets are */
int
imapd_section_find(const struct imap_fetch_section *sec,
		   const struct mime_message *mime, int fd,
		   struct imapd_section *out)
{
	const struct mime_part *p = mime->root, *msg;

	memset(out, 0, sizeof(*out));
	if (sec->part_count > 0) {
		p = imap_render_section_part(mime->root, sec->parts,
					     sec->part_count);
		if (p == NULL)
			goto empty;
	}
	switch (sec->spec) {
	case IMAP_SECTION_ALL:
		if (sec->part_count == 0) {
			out->raw_off = 0;
			out->raw_len = mime->size;
			out->size = mime->crlf_size;
			return 0;
		}
		section_region(out, p->body_offset, &p->body);
		return 0;
	case IMAP_SECTION_MIME:
		if (sec->part_count == 0)
			goto empty;
		section_region(out, p->header_offset, &p->header);
		return 0;
	default:
		break;
	}
	/* HEADER, TEXT, HEADER.FIELDS: of a message. */
	msg = p;
	if (sec->part_count > 0) {
		if (!(p->flags & MIME_PART_F_MESSAGE) || p->children == NULL)
			goto empty;
		msg = p->children;
	}
	if (sec->spec == IMAP_SECTION_HEADER) {
		section_region(out, msg->header_offset, &msg->header);
		return 0;
	}
	if (sec->spec == IMAP_SECTION_TEXT) {
		section_region(out, msg->body_offset, &msg->body);
		return 0;
	}
	return section_fields(sec, fd, msg->header_offset, msg->header.octets,
			      out);
empty:
	out->mem = true;
	buf_init(&out->text, 1);
	out->size = 0;
	return 0;
}

/* imapd_section_deinit - release built text */
void
imapd_section_deinit(struct imapd_section *s)
{
	if (s->mem)
		buf_deinit(&s->text);
	s->mem = false;
}
