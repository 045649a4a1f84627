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
#include "lib/buf.h"
#include "lib/qp.h"
#include "lib/str.h"

#include <string.h>

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
			if (str_hex_value(c) >= 0) {
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
			v = str_hex_value(c);
			if (v >= 0) {
				out[written++] =
				    (uint8_t)(str_hex_value(d->hex) << 4 | v);
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

/* qp_encoder_init - at the start of a line */
void
qp_encoder_init(struct qp_encoder *e)
{
	e->col = 0;
	e->ws = -1;
	e->cr = false;
}

/* qp_put - one output token of len octets, with a soft break first if
 * the line would grow past QP_LINE_MAX - 1 (room for the soft "=") */
static void
qp_put(struct qp_encoder *e, const char *tok, size_t len, struct buf *out)
{
	if (e->col + len > QP_LINE_MAX - 1) {
		buf_append(out, "=\r\n", 3);
		e->col = 0;
	}
	buf_append(out, tok, len);
	e->col += len;
}

/* qp_put_escaped - "=XX" */
static void
qp_put_escaped(struct qp_encoder *e, uint8_t c, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	char tok[3] = { '=', hex[c >> 4], hex[c & 15] };

	qp_put(e, tok, 3, out);
}

/* qp_flush_ws - the held-back white space: literal, or escaped at a line end */
static void
qp_flush_ws(struct qp_encoder *e, bool line_end, struct buf *out)
{
	char c;

	if (e->ws < 0)
		return;
	c = (char)e->ws;
	e->ws = -1;
	if (line_end)
		qp_put_escaped(e, (uint8_t)c, out);
	else
		qp_put(e, &c, 1, out);
}

/* qp_break - a hard line break */
static void
qp_break(struct qp_encoder *e, struct buf *out)
{
	qp_flush_ws(e, true, out);
	buf_append(out, "\r\n", 2);
	e->col = 0;
}

/* qp_encode - text to quoted-printable */
void
qp_encode(struct qp_encoder *e, const uint8_t *in, size_t n, struct buf *out)
{
	size_t i;

	buf_reserve(out, n * 3 + n / 25 + 8);
	for (i = 0; i < n; i++) {
		uint8_t c = in[i];

		if (e->cr) {
			e->cr = false;
			if (c == '\n') {
				qp_break(e, out);
				continue;
			}
			qp_flush_ws(e, false, out);
			qp_put_escaped(e, '\r', out);
		}
		if (c == '\r') {
			e->cr = true;
		} else if (c == '\n') {
			qp_break(e, out);
		} else if (c == ' ' || c == '\t') {
			qp_flush_ws(e, false, out);
			e->ws = c;
		} else {
			qp_flush_ws(e, false, out);
			if (c >= 33 && c <= 126 && c != '=') {
				char ch = (char)c;

				qp_put(e, &ch, 1, out);
			} else {
				qp_put_escaped(e, c, out);
			}
		}
	}
}

/* qp_encode_finish - what is held back; the text ends here */
void
qp_encode_finish(struct qp_encoder *e, struct buf *out)
{
	qp_flush_ws(e, true, out);
	if (e->cr)
		qp_put_escaped(e, '\r', out);
	e->cr = false;
}
