/*
 * hop_count.c - count Received: fields in a streamed message header (see
 * hop_count.h).
 *
 * Untrusted input: message text from an SMTP client. A byte-at-a-time
 * state machine; it keeps no text, so pieces may split a line anywhere.
 */
#include "lib/hop_count.h"

#include <limits.h>

/* The field name counted, in lower case. */
static const char received[] = "received";
#define RECEIVED_LEN (sizeof(received) - 1)
/* matched once the name stopped looking like "received" */
#define NO_MATCH 0xff

enum {
	HC_BOL,		/* at the start of a line */
	HC_CR,		/* a CR at the start of a line */
	HC_NAME,	/* in a field name */
	HC_NAME_WSP,	/* white space after a field name */
	HC_VALUE,	/* in a field body, up to the line's end */
};

void
hop_count_init(struct hop_count *hc)
{
	hc->received = 0;
	hc->done = false;
	hc->state = HC_BOL;
	hc->matched = 0;
}

/* is_ftext - a field-name octet: printable US-ASCII but ':' */
static bool
is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/* name_char - one more octet of a field name */
static void
name_char(struct hop_count *hc, unsigned char c)
{
	unsigned char lower = c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;

	if (hc->matched < RECEIVED_LEN &&
	    lower == (unsigned char)received[hc->matched])
		hc->matched++;
	else
		hc->matched = NO_MATCH;
}

/* name_end - the colon after a field name */
static void
name_end(struct hop_count *hc)
{
	if (hc->matched == RECEIVED_LEN && hc->received < UINT_MAX)
		hc->received++;
	hc->state = HC_VALUE;
}

void
hop_count_feed(struct hop_count *hc, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < n && !hc->done; i++) {
		unsigned char c = p[i];

		switch (hc->state) {
		case HC_BOL:
			if (c == ' ' || c == '\t') {
				hc->state = HC_VALUE;
			} else if (c == '\r') {
				hc->state = HC_CR;
			} else if (is_ftext(c)) {
				hc->state = HC_NAME;
				hc->matched = 0;
				name_char(hc, c);
			} else {
				/* An empty line, or not a header line. */
				hc->done = true;
			}
			break;
		case HC_CR:
			/* CR LF: the empty line; anything else: no header. */
			hc->done = true;
			break;
		case HC_NAME:
			if (c == ':')
				name_end(hc);
			else if (c == ' ' || c == '\t')
				hc->state = HC_NAME_WSP;
			else if (is_ftext(c))
				name_char(hc, c);
			else
				hc->done = true;
			break;
		case HC_NAME_WSP:
			if (c == ':')
				name_end(hc);
			else if (c != ' ' && c != '\t')
				hc->done = true;
			break;
		default:
			if (c == '\n')
				hc->state = HC_BOL;
			break;
		}
	}
}
