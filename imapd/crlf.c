/*
 * crlf.c - LF to CR LF on output (see crlf.h).
 *
 * imap_crlf_init, imap_crlf_convert, imap_crlf_flush, imap_crlf_size
 *
 * Input: message octets from the user's Maildir (untrusted, only
 * copied). The loop copies the runs between line ends with memcpy and
 * finds line ends with memchr: this is the inner loop of every body
 * FETCH.
 */
#include "imapd/crlf.h"

#include <string.h>

/* imap_crlf_init - a fresh converter */
void
imap_crlf_init(struct imap_crlf *c, uint64_t skip)
{
	c->prev_cr = false;
	c->lf_pending = false;
	c->skip = skip;
}

/* imap_crlf_flush - a pending LF */
size_t
imap_crlf_flush(struct imap_crlf *c, uint8_t *out, size_t room)
{
	if (!c->lf_pending || room == 0)
		return 0;
	c->lf_pending = false;
	out[0] = '\n';
	return 1;
}

/* imap_crlf_convert - convert what fits */
size_t
imap_crlf_convert(struct imap_crlf *c, const uint8_t *in, size_t n,
		  uint8_t *out, size_t room, size_t *used_r)
{
	size_t w = imap_crlf_flush(c, out, room), i = 0;
	bool prev_cr = c->prev_cr;

	while (i < n) {
		/* UNSAFE: memchr and memcpy stay inside [i, n) and [w, room). */
		const uint8_t *lf = memchr(in + i, '\n', n - i);
		size_t end = lf != NULL ? (size_t)(lf - in) : n, run, k;

		if (c->lf_pending)
			break;
		run = end - i;
		if (run > 0) {
			k = c->skip < run ? (size_t)c->skip : run;
			c->skip -= k;
			i += k;
			run -= k;
			k = run < room - w ? run : room - w;
			memcpy(out + w, in + i, k);
			w += k;
			i += k;
			if (i > 0)
				prev_cr = in[i - 1] == '\r';
			if (i < end)
				break; /* out of room */
		}
		if (lf == NULL)
			break;
		if (prev_cr) {
			/* CR LF already: one octet. */
			if (c->skip > 0) {
				c->skip--;
			} else {
				if (w == room)
					break;
				out[w++] = '\n';
			}
		} else if (c->skip >= 2) {
			c->skip -= 2;
		} else if (c->skip == 1) {
			c->skip = 0;
			if (w == room)
				break;
			out[w++] = '\n';
		} else {
			if (w == room)
				break;
			out[w++] = '\r';
			if (w == room)
				c->lf_pending = true;
			else
				out[w++] = '\n';
		}
		i++;
		prev_cr = false;
	}
	c->prev_cr = prev_cr;
	*used_r = i;
	return w;
}

/* imap_crlf_size - converted size */
uint64_t
imap_crlf_size(const uint8_t *in, size_t n, bool prev_cr)
{
	uint64_t size = n;
	size_t i = 0;

	while (i < n) {
		const uint8_t *lf = memchr(in + i, '\n', n - i);
		size_t at;

		if (lf == NULL)
			break;
		at = (size_t)(lf - in);
		if (at == 0 ? !prev_cr : in[at - 1] != '\r')
			size++;
		i = at + 1;
	}
	return size;
}
