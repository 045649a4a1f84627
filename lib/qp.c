/*
 * qp.c - streaming quoted-printable decoder (see qp.h).
 *
 * qp_decoder_init  - start decoding
 * qp_decode        - decode one chunk
 * qp_decode_finish - release what is held back at the end
 *
 * Untrusted input: message bodies (Content-Transfer-Encoding:
 * quoted-printable), in whatever process searches or bounces them. No
 * allocation; the state is QP_PENDING_MAX octets; each input octet is
 * handled a bounded number of times, so the cost is linear. Output is
 * bounded by QP_DECODED_MAX of the input, which the caller provides.
 */
#include "lib/qp.h"

#include <string.h>

/* hex_value - value of a hex digit of either case, or -1 */
static int
hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* is_pad - white space that rule 3 removes at the end of a line */
static int
is_pad(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* qp_decoder_init - start decoding */
void
qp_decoder_init(struct qp_decoder *d)
{
	memset(d, 0, sizeof(*d));
	d->state = QP_TEXT;
}

/* release - copy the held-back octets out as content */
static size_t
release(struct qp_decoder *d, uint8_t *out)
{
	size_t n = d->pending_len;

	memcpy(out, d->pending, n);
	d->pending_len = 0;
	return n;
}

/* line_end - LF in text: drop trailing white space, keep the break */
static size_t
line_end(struct qp_decoder *d, uint8_t *out)
{
	size_t n = d->pending_len, written;
	int crlf = n > 0 && d->pending[n - 1] == '\r';

	if (crlf)
		n--;
	while (n > 0 && (d->pending[n - 1] == ' ' || d->pending[n - 1] == '\t'))
		n--;
	/* What is left before the padding is content (a bare CR, say). */
	memcpy(out, d->pending, n);
	written = n;
	if (crlf)
		out[written++] = '\r';
	out[written++] = '\n';
	d->pending_len = 0;
	return written;
}

/* qp_decode - decode one chunk */
size_t
qp_decode(struct qp_decoder *d, const uint8_t *in, size_t n, uint8_t *out)
{
	size_t i = 0, written = 0;

	while (i < n) {
		uint8_t c = in[i];
		int v;

		switch (d->state) {
		case QP_TEXT:
			if (is_pad(c)) {
				if (d->pending_len == QP_PENDING_MAX)
					written += release(d, out + written);
				d->pending[d->pending_len++] = c;
			} else if (c == '\n') {
				written += line_end(d, out + written);
			} else {
				written += release(d, out + written);
				if (c == '=')
					d->state = QP_EQ;
				else
					out[written++] = c;
			}
			i++;
			break;
		case QP_EQ:
			if (hex_value(c) >= 0) {
				d->hex = c;
				d->state = QP_EQ_HEX;
				i++;
			} else if (c == '\n') {
				d->state = QP_TEXT; /* soft line break */
				i++;
			} else if (is_pad(c)) {
				d->pending[d->pending_len++] = c;
				d->state = QP_EQ_PAD;
				i++;
			} else {
				/* Not an escape: keep "=", look at c again. */
				d->flags |= QP_F_BAD_ESCAPE;
				out[written++] = '=';
				d->state = QP_TEXT;
			}
			break;
		case QP_EQ_HEX:
			v = hex_value(c);
			if (v >= 0) {
				out[written++] =
				    (uint8_t)(hex_value(d->hex) << 4 | v);
				i++;
			} else {
				d->flags |= QP_F_BAD_ESCAPE;
				out[written++] = '=';
				out[written++] = d->hex;
			}
			d->state = QP_TEXT;
			break;
		case QP_EQ_PAD:
			if (c == '\n') {
				/* "=" and padding before the break: soft. */
				d->pending_len = 0;
				d->state = QP_TEXT;
				i++;
			} else if (is_pad(c) &&
			           d->pending_len < QP_PENDING_MAX) {
				d->pending[d->pending_len++] = c;
				i++;
			} else {
				d->flags |= QP_F_BAD_ESCAPE;
				out[written++] = '=';
				written += release(d, out + written);
				d->state = QP_TEXT;
			}
			break;
		}
	}
	return written;
}

/* qp_decode_finish - release what is held back at the end */
size_t
qp_decode_finish(struct qp_decoder *d, uint8_t *out)
{
	size_t written = 0;

	switch (d->state) {
	case QP_TEXT:
		written = release(d, out);
		break;
	case QP_EQ:
		d->flags |= QP_F_BAD_ESCAPE;
		out[written++] = '=';
		break;
	case QP_EQ_HEX:
		d->flags |= QP_F_BAD_ESCAPE;
		out[written++] = '=';
		out[written++] = d->hex;
		break;
	case QP_EQ_PAD:
		/* "=" and padding at the very end: a soft break. */
		d->pending_len = 0;
		break;
	}
	d->state = QP_TEXT;
	return written;
}
