/*
 * rfc2047.h - header text with RFC 2047 encoded-words to UTF-8 (for
 * SEARCH on headers, and anything that shows a header to a person).
 *
 * The value is unfolded (CR and LF removed, RFC 5322 2.2.3) and every
 * well-formed encoded-word "=?charset[*lang]?B|Q?text?=" is replaced by
 * its decoded text converted to UTF-8 (lib/charset.h). White space
 * between two adjacent encoded-words is dropped (RFC 2047 6.2). Leniency,
 * as deployed readers: an encoded-word is decoded wherever it stands,
 * also inside a word or a quoted string; "Q" accepts lower-case hex.
 * Text outside encoded-words is taken as UTF-8 (RFC 6532); invalid
 * octets become U+FFFD, so the output is always valid UTF-8. An
 * encoded-word longer than RFC2047_WORD_MAX is left as written.
 *
 * Output is appended to a caller's struct buf, never past its maximum:
 * what does not fit is cut at a character boundary.
 */
#ifndef MR_RFC2047_H
#define MR_RFC2047_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/*
 * Longest encoded-word decoded, octets. RFC 2047 2 says 75; mailers
 * exceed it, so a generous bound that still keeps one word's work small.
 */
#define RFC2047_WORD_MAX 2048

/*
 * rfc2047_decode - decode the n octets of a header value at p into out.
 * Returns 0, or -1 when out's maximum cut the text (out then holds what
 * fitted).
 */
int rfc2047_decode(const uint8_t *p, size_t n, struct buf *out);

#endif
