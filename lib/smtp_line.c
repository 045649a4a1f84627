/*
 * smtp_line.c - strict SMTP command-line framer (see smtp_line.h).
 *
 * smtp_line_init    - set the limit
 * smtp_line_next    - find the next CRLF-terminated line in a struct buf
 * smtp_line_consume - drop the returned line
 * smtp_line_reset   - forget search state
 *
 * Returned lines point into the caller's buffer; the framer owns nothing.
 * SECURITY: input is raw octets from an unauthenticated SMTP client (smtpd,
 * mail user). RFC 5321 2.3.8: lines end with CRLF only, and a server must
 * not recognise other line ends (4.1.1.4 does so for the end of data); bare
 * CR and bare LF are flagged so the server can refuse them (Postfix's
 * smtpd_forbid_bare_newline). RFC 5321 4.5.3.1.4 sets the 512-octet limit.
 *
 * Work per octet is constant: the search resumes where the last one
 * stopped (fr->scanned), and over-long input is dropped as it arrives.
 */
#include "lib/smtp_line.h"

#include <string.h>

#include "lib/log.h"

/* smtp_line_init - set the limit */
void
smtp_line_init(struct smtp_line *fr, size_t max_line_octets)
{
	MR_ASSERT(max_line_octets >= SMTP_LINE_MIN);
	memset(fr, 0, sizeof(*fr));
	fr->max_line_octets = max_line_octets;
}

/* smtp_line_reset - forget search state */
void
smtp_line_reset(struct smtp_line *fr)
{
	fr->scanned = 0;
	fr->pending = 0;
	fr->discarding = false;
	fr->after_too_long = false;
}

/* smtp_line_find_crlf - index of the CR of the first CRLF at or after from */
static bool
smtp_line_find_crlf(const uint8_t *p, size_t n, size_t from, size_t *cr_r)
{
	while (from < n) {
		/* UNSAFE: memchr over [from, n), inside the buffer. */
		const uint8_t *lf = memchr(p + from, '\n', n - from);
		size_t at;

		if (lf == NULL)
			return false;
		at = (size_t)(lf - p);
		if (at > 0 && p[at - 1] == '\r') {
			*cr_r = at - 1;
			return true;
		}
		from = at + 1;
	}
	return false;
}

/*
 * smtp_line_flags - flags of line content: no CRLF is inside it, so every
 * CR and every LF there is bare
 */
static unsigned
smtp_line_flags(const uint8_t *p, size_t n)
{
	unsigned flags = 0;

	if (memchr(p, '\r', n) != NULL)
		flags |= SMTP_LINE_BARE_CR;
	if (memchr(p, '\n', n) != NULL)
		flags |= SMTP_LINE_BARE_LF;
	return flags;
}

/* smtp_line_discard - drop an over-long line's rest; true when done */
static bool
smtp_line_discard(struct smtp_line *fr, struct buf *in)
{
	size_t cr;

	if (in->len == 0)
		return false;
	if (smtp_line_find_crlf(in->data, in->len, 0, &cr)) {
		buf_consume(in, cr + 2);
		fr->discarding = false;
		return true;
	}
	/* Keep a last CR: its LF may be the next octet to arrive. */
	buf_consume(in, in->len - (in->data[in->len - 1] == '\r' ? 1 : 0));
	return false;
}

/* smtp_line_next - find the next line */
int
smtp_line_next(struct smtp_line *fr, struct buf *in, const uint8_t **line_r,
               size_t *len_r, unsigned *flags_r)
{
	size_t content_max = fr->max_line_octets - 2, cr, seen;

	MR_ASSERT(fr->pending == 0);
	if (fr->discarding && !smtp_line_discard(fr, in))
		return 0;
	if (in->len == 0)
		return 0;
	if (smtp_line_find_crlf(in->data, in->len, fr->scanned, &cr)) {
		*line_r = in->data;
		*len_r = cr;
		fr->pending = cr + 2;
		if (cr > content_max) {
			*len_r = content_max;
			*flags_r = SMTP_LINE_TOO_LONG |
			           smtp_line_flags(in->data, content_max);
		} else {
			*flags_r = smtp_line_flags(in->data, cr);
		}
		return 1;
	}
	fr->scanned = in->len;
	/* Octets of content so far; a last CR may still become CRLF. */
	seen = in->len - (in->data[in->len - 1] == '\r' ? 1 : 0);
	if (seen <= content_max)
		return 0;
	*line_r = in->data;
	*len_r = content_max;
	*flags_r = SMTP_LINE_TOO_LONG | smtp_line_flags(in->data, content_max);
	fr->pending = seen;
	fr->after_too_long = true;
	return 1;
}

/* smtp_line_consume - drop the returned line */
void
smtp_line_consume(struct smtp_line *fr, struct buf *in)
{
	MR_ASSERT(fr->pending > 0 && fr->pending <= in->len);
	buf_consume(in, fr->pending);
	fr->pending = 0;
	fr->scanned = 0;
	if (fr->after_too_long) {
		fr->after_too_long = false;
		fr->discarding = true;
	}
}
