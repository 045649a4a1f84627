/*
 * content.c - message content as it goes on the wire after DATA.
 *
 * Queue files hold the content with CRLF line ends already (smtpd refuses
 * bare CR and LF); this encoder still turns any bare CR or LF into CRLF,
 * so the client never sends one whatever the file holds, doubles a '.'
 * that starts a line (RFC 5321 4.5.2), and ends the content with
 * CRLF "." CRLF. State carries across chunk boundaries.
 */
#include <string.h>

#include "smtp/smtp.h"

/* smtp_content_init - at the start of the message */
void
smtp_content_init(struct smtp_content *c)
{
	c->line_start = true;
	c->cr = false;
}

/* smtp_content_encode - n content bytes at p, encoded onto out */
void
smtp_content_encode(struct smtp_content *c, const uint8_t *p, size_t n,
		    struct buf *out)
{
	size_t i = 0;

	/* At most 2 output bytes per input byte, plus a pending CRLF. */
	buf_reserve(out, n * 2 + 2);
	while (i < n) {
		uint8_t ch = p[i];

		if (c->cr) {
			/* CR LF, or a bare CR that becomes CR LF. */
			buf_append(out, "\r\n", 2);
			c->cr = false;
			c->line_start = true;
			if (ch == '\n') {
				i++;
				continue;
			}
		}
		if (ch == '\r') {
			c->cr = true;
			i++;
			continue;
		}
		if (ch == '\n') {
			buf_append(out, "\r\n", 2);
			c->line_start = true;
			i++;
			continue;
		}
		if (c->line_start && ch == '.')
			buf_append(out, ".", 1);
		c->line_start = false;
		/* The rest of the line up to the next CR or LF in one copy. */
		{
			size_t j = i;

			while (j < n && p[j] != '\r' && p[j] != '\n')
				j++;
			buf_append(out, p + i, j - i);
			i = j;
		}
	}
}

/* smtp_content_finish - close the last line and the message */
void
smtp_content_finish(struct smtp_content *c, struct buf *out)
{
	if (c->cr || !c->line_start)
		buf_append(out, "\r\n", 2);
	c->cr = false;
	c->line_start = true;
	buf_append(out, ".\r\n", 3);
}
