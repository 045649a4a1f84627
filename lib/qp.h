/*
 * qp.h - streaming quoted-printable decoder (RFC 2045 6.7), fed arbitrary
 * chunks.
 *
 * "=XX" (hex digits of either case) becomes the octet; "=" at the end of
 * a line (optionally followed by white space, rule 3's transport padding)
 * is a soft line break and disappears with the line break; white space at
 * the end of a line is removed (rule 3). A line break is LF or CR LF and
 * is copied as it was written. Malformed escapes ("=G1", "=" followed by
 * text) are kept as written, as RFC 2045 6.7 advises, and flagged.
 *
 * Bounded: white space is held back until what follows shows whether it
 * ends a line; more than QP_PENDING_MAX octets of it are released as
 * content (a line cannot legitimately end in that much padding). The
 * decoder owns nothing; output goes to a caller's array of at least
 * QP_DECODED_MAX(n) octets for n input octets.
 */
#ifndef MR_QP_H
#define MR_QP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/* Trailing white space (and a CR) held back at most. */
#define QP_PENDING_MAX 64

/* Octets of output that n octets of input can give at most. */
#define QP_DECODED_MAX(n) ((n) + QP_PENDING_MAX + 3)

/* Flags in qp_decoder.flags (sticky). */
#define QP_F_BAD_ESCAPE 0x1 /* "=" not followed by two hex digits or a break   \
	                     */

enum qp_state {
	QP_TEXT,   /* ordinary text */
	QP_EQ,     /* after "=" */
	QP_EQ_HEX, /* after "=" and one hex digit */
	QP_EQ_PAD, /* after "=" and white space: a soft break if LF comes */
};

struct qp_decoder {
	enum qp_state state;
	uint8_t hex;                     /* the first digit in QP_EQ_HEX */
	uint8_t pending[QP_PENDING_MAX]; /* white space and CR held back */
	size_t pending_len;
	unsigned flags; /* QP_F_* */
};

/* qp_decoder_init - start decoding. */
void qp_decoder_init(struct qp_decoder *d);

/*
 * qp_decode - decode n octets at in, writing to out (room for
 * QP_DECODED_MAX(n) octets). Returns the octets written.
 */
size_t qp_decode(struct qp_decoder *d, const uint8_t *in, size_t n,
                 uint8_t *out);

/*
 * qp_decode_finish - end of input: out (room for QP_DECODED_MAX(0)
 * octets) gets what is held back (white space without a line break after
 * it is content; a dangling "=" is kept). Returns the octets written.
 */
size_t qp_decode_finish(struct qp_decoder *d, uint8_t *out);

/*
 * The encoder (RFC 2045 6.7), fed text in chunks: CR LF (or a lone LF)
 * is a hard line break, written as CR LF; printable ASCII other than '='
 * stays, everything else becomes "=XX"; white space is kept unless a line
 * break or the end follows, then it is encoded; lines are cut with soft
 * breaks ("=" CR LF) so none is longer than QP_LINE_MAX octets.
 */
#define QP_LINE_MAX 76

struct qp_encoder {
	size_t col;	/* octets on the current output line */
	int ws;		/* a held-back space or tab, or -1 */
	bool cr;	/* a CR held back: a break if LF follows */
};

/* qp_encoder_init - start encoding. */
void qp_encoder_init(struct qp_encoder *e);

/* qp_encode - n octets of text onto out (at most 3n + 3n/25 + 8). */
void qp_encode(struct qp_encoder *e, const uint8_t *in, size_t n,
	       struct buf *out);

/* qp_encode_finish - the end: held-back octets, no line break added. */
void qp_encode_finish(struct qp_encoder *e, struct buf *out);

#endif
