/*
 * fuzz_imap_render.c - fuzz target for imapd/render.c over lib/mime.c
 * trees (and so lib/rfc5322_mailbox.c for the addresses).
 *
 * Input: a message. Its ENVELOPE (from kept fields and from the header
 * walk, which must agree), BODY and BODYSTRUCTURE are rendered, and each
 * must read back through the IMAP tokenizer (imapd/parse.c) as one
 * well-formed argument: balanced lists, proper strings and literals.
 * Every section number path of up to three levels is resolved too.
 * abort() on any broken promise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imapd/parse.h"
#include "imapd/render.h"
#include "lib/buf.h"
#include "lib/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* reparse - "x X " out CR LF must tokenize to one list argument */
static void
reparse(const struct buf *out)
{
	struct imap_parse_limits lim;
	struct imap_parser *p;
	struct buf line;
	size_t pos = 0, used;
	int ret = 0;

	imap_parse_limits_default(&lim);
	lim.line_max = 4 * out->len + 64;
	lim.literal_max = out->len + 1;
	lim.literals_max = out->len + 1;
	lim.depth_max = 2 * MIME_DEPTH_MAX + 8;
	p = imap_parser_new(&lim);
	buf_init(&line, out->len + 16);
	buf_append_str(&line, "x X ");
	buf_append(&line, out->data, out->len);
	buf_append_str(&line, "\r\n");
	while (pos < line.len) {
		ret =
		    imap_parser_feed(p, line.data + pos, line.len - pos, &used);
		pos += used;
		if (ret < 0)
			abort();
		if (ret == 1 && imap_parser_event(p) == IMAP_EVENT_COMMAND)
			break;
	}
	if (ret != 1 || pos != line.len ||
	    imap_parser_command(p)->arg_count != 1 ||
	    imap_parser_command(p)->args[0].type != IMAP_ARG_LIST)
		abort();
	imap_parser_free(&p);
	buf_deinit(&line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_message *msg =
	    mime_parse(data, size, MIME_PARSE_F_ENVELOPE);
	const struct mime_part *root = msg->root;
	struct buf a, b;
	uint32_t n[3];

	buf_init(&a, 64 * 1024 * 1024);
	buf_init(&b, 64 * 1024 * 1024);
	if (imap_render_envelope(&a, root->envelope) < 0 ||
	    imap_render_envelope_header(&b, data + root->header_offset,
	                                root->header.octets) < 0)
		abort();
	/* Kept fields are cut at MIME_FIELD_MAX; a walk is not. */
	if (!(root->flags & MIME_PART_F_FIELD_CUT) &&
	    (a.len != b.len || memcmp(a.data, b.data, a.len) != 0))
		abort();
	reparse(&a);
	buf_reset(&a);
	if (imap_render_body(&a, root, false) < 0)
		abort();
	reparse(&a);
	buf_reset(&a);
	if (imap_render_body(&a, root, true) < 0)
		abort();
	reparse(&a);
	for (n[0] = 0; n[0] < 4; n[0]++)
		for (n[1] = 0; n[1] < 4; n[1]++)
			for (n[2] = 0; n[2] < 4; n[2]++)
				imap_render_section_part(root, n, 3);
	buf_deinit(&a);
	buf_deinit(&b);
	mime_message_free(&msg);
	return 0;
}
