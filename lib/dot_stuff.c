/*
 * dot_stuff.c - DATA-phase end detection and dot unstuffing (see
 * dot_stuff.h).
 *
 * dot_stuff_init    - start a message
 * dot_stuff_feed    - filter one chunk of the DATA stream
 * dot_stuff_is_done - end of data seen
 *
 * The filter owns nothing; output goes to the caller's struct buf.
 * SECURITY: the input is the raw DATA stream of an unauthenticated SMTP
 * client (smtpd, mail user). Only CR LF "." CR LF ends it (RFC 5321
 * 4.1.1.4; section 2.3.8 forbids other line ends), which is what defeats
 * SMTP smuggling; bare CR and LF are content and flagged. A leading "." is
 * removed from every line that has more after it (RFC 5321 4.5.2).
 * Limits: a line of max_line_octets (RFC 5321 4.5.3.1.6) is flagged, not
 * refused, so the stream stays in step; nothing is buffered, the state is
 * a few words whatever the input.
 */
#include "lib/dot_stuff.h"

#include <string.h>

#include "lib/log.h"

/* dot_stuff_init - start a message */
void
dot_stuff_init(struct dot_stuff *ds, size_t max_line_octets)
{
	MR_ASSERT(max_line_octets >= 2);
	memset(ds, 0, sizeof(*ds));
	ds->state = DOT_STUFF_BOL;
	ds->max_line_octets = max_line_octets;
}

/* dot_stuff_is_done - end of data seen */
bool
dot_stuff_is_done(const struct dot_stuff *ds)
{
	return ds->state == DOT_STUFF_DONE;
}

/* dot_stuff_emit - output n octets of the current line and count them */
static void
dot_stuff_emit(struct dot_stuff *ds, struct buf *out, const uint8_t *p,
               size_t n)
{
	if (out != NULL)
		buf_append(out, p, n);
	ds->octets += n;
	/* Capped just past the limit: enough to know, cannot overflow. */
	if (ds->line_octets > ds->max_line_octets ||
	    n > ds->max_line_octets - ds->line_octets)
		ds->line_octets = ds->max_line_octets + 1;
	else
		ds->line_octets += n;
}

/* dot_stuff_line_end - the LF of a CR LF was output: next line */
static void
dot_stuff_line_end(struct dot_stuff *ds)
{
	/* line_octets counts the CR and the LF already. */
	if (ds->line_octets > ds->max_line_octets)
		ds->flags |= DOT_STUFF_LONG_LINE;
	ds->line_octets = 0;
	ds->state = DOT_STUFF_BOL;
}

/* dot_stuff_text_run - length of the run of octets that are not CR or LF */
static size_t
dot_stuff_text_run(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == '\r' || p[i] == '\n')
			break;
	return i;
}

/* dot_stuff_feed - filter one chunk */
int
dot_stuff_feed(struct dot_stuff *ds, const uint8_t *p, size_t n,
               struct buf *out, size_t *used_r)
{
	static const uint8_t cr = '\r';
	size_t i = 0;

	*used_r = 0;
	if (ds->state == DOT_STUFF_DONE)
		return 1;
	while (i < n) {
		uint8_t c = p[i];
		size_t room = out != NULL ? buf_room(out) : SIZE_MAX;

		if (room < DOT_STUFF_OUT_MIN)
			break;
		switch (ds->state) {
		case DOT_STUFF_BOL:
			if (c == '.') {
				ds->state = DOT_STUFF_DOT;
				i++;
				continue;
			}
			ds->state = DOT_STUFF_TEXT;
			continue; /* same octet, inside the line */
		case DOT_STUFF_DOT:
			/* The dot is dropped whatever follows, unless CR LF. */
			if (c == '\r') {
				ds->state = DOT_STUFF_DOT_CR;
				i++;
				continue;
			}
			ds->state = DOT_STUFF_TEXT;
			continue;
		case DOT_STUFF_DOT_CR:
			if (c == '\n') {
				ds->state = DOT_STUFF_DONE;
				*used_r = i + 1;
				return 1;
			}
			/* "." CR x: the CR was a bare one, and content. */
			ds->flags |= DOT_STUFF_BARE_CR;
			dot_stuff_emit(ds, out, &cr, 1);
			ds->state = DOT_STUFF_TEXT;
			continue;
		case DOT_STUFF_TEXT: {
			/* UNSAFE: the run stays inside [p + i, p + n). */
			size_t run = dot_stuff_text_run(p + i, n - i);

			if (run > 0) {
				if (run > room)
					run = room;
				dot_stuff_emit(ds, out, p + i, run);
				i += run;
				continue;
			}
			if (c == '\n')
				ds->flags |= DOT_STUFF_BARE_LF;
			else
				ds->state = DOT_STUFF_CR;
			dot_stuff_emit(ds, out, &c, 1);
			i++;
			continue;
		}
		case DOT_STUFF_CR:
			if (c == '\n') {
				dot_stuff_emit(ds, out, &c, 1);
				i++;
				dot_stuff_line_end(ds);
				continue;
			}
			/* The CR output before was a bare one. */
			ds->flags |= DOT_STUFF_BARE_CR;
			ds->state = DOT_STUFF_TEXT;
			continue;
		case DOT_STUFF_DONE:
			break;
		}
		log_panic("dot_stuff_feed: bad state %d", (int)ds->state);
	}
	*used_r = i;
	return 0;
}
