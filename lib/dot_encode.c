/*
 * dot_encode.c - LF to CR LF and byte-stuffing for POP3 responses (see
 * dot_encode.h).
 *
 * dot_encode_init, dot_encode_feed, dot_encode_finish
 *
 * Input: message files from the user's Maildir (untrusted content, only
 * copied). The output never exceeds the room of the caller's bounded
 * buffer. Works on whole runs between line ends (memchr, memcpy), not
 * octet by octet. RFC 1939 3 (multi-line responses).
 */
#include "lib/dot_encode.h"

#include <string.h>

#include "lib/log.h"

/* dot_encode_init - start of a message */
void
dot_encode_init(struct dot_encode *de)
{
	de->bol = true;
	de->prev_cr = false;
}

/* dot_encode_feed - encode as much as fits */
size_t
dot_encode_feed(struct dot_encode *de, const uint8_t *in, size_t n,
		struct buf *out)
{
	size_t room = buf_room(out), olen = 0, i = 0;
	uint8_t *o;

	if (n == 0 || room < DOT_ENCODE_OUT_MIN)
		return 0;
	o = buf_reserve(out, room);
	while (i < n) {
		size_t avail = room - olen, seg, take;
		const uint8_t *lf;

		if (de->bol) {
			if (in[i] == '.') {
				if (avail < 2)
					break;
				o[olen++] = '.';
				avail--;
			}
			de->bol = false;
		}
		/* UNSAFE: memchr and memcpy within [i, n) and out's room. */
		lf = memchr(in + i, '\n', n - i);
		seg = lf != NULL ? (size_t)(lf - (in + i)) : n - i;
		take = seg < avail ? seg : avail;
		memcpy(o + olen, in + i, take);
		olen += take;
		avail -= take;
		if (take > 0)
			de->prev_cr = in[i + take - 1] == '\r';
		i += take;
		if (take < seg || lf == NULL)
			break;
		if (de->prev_cr) {
			if (avail < 1)
				break;
			o[olen++] = '\n';
		} else {
			if (avail < 2)
				break;
			o[olen++] = '\r';
			o[olen++] = '\n';
		}
		i++;
		de->prev_cr = false;
		de->bol = true;
	}
	buf_commit(out, olen);
	return i;
}

/* dot_encode_finish - close the last line and the response */
void
dot_encode_finish(struct dot_encode *de, struct buf *out)
{
	MR_ASSERT(buf_room(out) >= DOT_ENCODE_FINISH_MAX);
	if (!de->bol) {
		/* A last line without LF; a CR already sent needs the LF. */
		if (de->prev_cr)
			buf_append(out, "\n", 1);
		else
			buf_append(out, "\r\n", 2);
	}
	buf_append(out, ".\r\n", 3);
	de->bol = true;
	de->prev_cr = false;
}
