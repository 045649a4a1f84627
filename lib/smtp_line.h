/*
 * smtp_line.h - strict SMTP command-line framer (the anti-smuggling core
 * of the command phase).
 *
 * A line ends only at CRLF. A CR not followed by LF and an LF not preceded
 * by CR are ordinary octets of the line and are flagged, so that a bare LF
 * can never end a command here while a downstream or upstream peer sees a
 * line end (SMTP smuggling, 2023). A line longer than the limit is reported
 * once, as soon as the limit is passed, with only its first octets; the
 * framer then drops the rest of it through the next CRLF by itself, so a
 * peer can never make it buffer more than the limit.
 *
 * Use (pipelining: many lines per read):
 *
 *	append what was read to in (never more than buf_room(in));
 *	while (smtp_line_next(&fr, in, &line, &len, &flags) == 1) {
 *		handle the line (flags first);
 *		smtp_line_consume(&fr, in);
 *	}
 *
 * The struct buf needs a maximum of at least max_line_octets. The line
 * pointer is valid until smtp_line_consume or any change to in. The caller
 * changes the front of in only through smtp_line_consume; when it hands
 * the remaining octets to another reader (DATA, BDAT) it calls
 * smtp_line_reset before framing lines again.
 *
 * SECURITY: after STARTTLS the caller must check that in is empty after
 * consuming the STARTTLS line and refuse (or drop) anything pipelined
 * behind it, or plaintext commands get injected into the TLS session
 * (CVE-2011-0411).
 */
#ifndef MR_SMTP_LINE_H
#define MR_SMTP_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* RFC 5321 4.5.3.1.4: command line, CRLF included. */
#define SMTP_LINE_MAX 512
/* Smallest usable limit: one octet and CRLF. */
#define SMTP_LINE_MIN 3

/* Flags of a returned line. */
#define SMTP_LINE_BARE_CR 0x1  /* a CR not followed by LF inside */
#define SMTP_LINE_BARE_LF 0x2  /* an LF not preceded by CR inside */
#define SMTP_LINE_TOO_LONG 0x4 /* over the limit; only a prefix returned */

struct smtp_line {
	size_t max_line_octets; /* limit, CRLF included */
	size_t scanned;         /* front octets of in searched in vain */
	size_t pending;         /* octets smtp_line_consume drops */
	bool discarding;        /* dropping an over-long line's rest */
	bool after_too_long;    /* consume must start discarding */
};

/* smtp_line_init - framer for lines of at most max_line_octets (>= 3). */
void smtp_line_init(struct smtp_line *fr, size_t max_line_octets);

/*
 * smtp_line_next - find the next line in in. Returns 1 with *line_r and
 * *len_r set to the line without its CRLF and *flags_r to SMTP_LINE_*
 * flags; 0 when more input is needed. With SMTP_LINE_TOO_LONG the line is
 * the first max_line_octets - 2 octets and the rest will be dropped; the
 * caller answers it (500 5.5.0 "Line too long") and does not execute it.
 * May drop octets from the front of in (the rest of an over-long line).
 * After 1 the caller must call smtp_line_consume before calling again.
 */
int smtp_line_next(struct smtp_line *fr, struct buf *in, const uint8_t **line_r,
                   size_t *len_r, unsigned *flags_r);

/* smtp_line_consume - drop the line last returned from in. */
void smtp_line_consume(struct smtp_line *fr, struct buf *in);

/*
 * smtp_line_reset - forget the search state (but not the limit), for when
 * other code has taken octets from in. Also ends dropping an over-long
 * line.
 */
void smtp_line_reset(struct smtp_line *fr);

#endif
