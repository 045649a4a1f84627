/*
 * dot_encode.h - the output side of a POP3 multi-line response (RFC 1939
 * 3): a stored message (LF or CR LF line ends) to network form.
 *
 * Each LF not preceded by CR becomes CR LF (a CR LF stays as it is, a
 * bare CR is content); a line that starts with '.' gets one more '.'
 * (byte-stuffing); dot_encode_finish ends the response with CR LF when
 * the message's last line had no line end, then "." CR LF. Apart from the
 * stuffing dots and that added CR LF, the output has exactly the "vsize"
 * octets lib/mailstore counts (the file size plus one per bare LF).
 *
 * Fed arbitrary chunks; the state carries across them.
 */
#ifndef MR_DOT_ENCODE_H
#define MR_DOT_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* Room out needs for progress: one input octet gives at most 2. */
#define DOT_ENCODE_OUT_MIN 2
/* Room out needs for dot_encode_finish: CR LF "." CR LF. */
#define DOT_ENCODE_FINISH_MAX 5

struct dot_encode {
	bool bol;	/* at the start of a line */
	bool prev_cr;	/* the last octet fed was CR */
};

/* dot_encode_init - start a message (at the start of a line). */
void dot_encode_init(struct dot_encode *de);

/*
 * dot_encode_feed - encode the n octets at p into out, as many as fit in
 * buf_room(out). Returns how many input octets were used (less than n
 * when out is full: drain it and feed the rest).
 */
size_t dot_encode_feed(struct dot_encode *de, const uint8_t *p, size_t n,
		       struct buf *out);

/*
 * dot_encode_finish - append the end of the response: CR LF when a line is
 * open, then "." CR LF. out needs DOT_ENCODE_FINISH_MAX octets of room.
 */
void dot_encode_finish(struct dot_encode *de, struct buf *out);

#endif
