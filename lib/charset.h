/*
 * charset.h - streaming conversion of text in a MIME charset to UTF-8.
 *
 * UTF-8 and US-ASCII are validated in place, ISO-8859-1 is mapped
 * directly, every other charset goes through iconv(3). The output is
 * always valid UTF-8: an octet that is not valid in the source charset
 * becomes U+FFFD. A charset that is unknown (or a name that is not a
 * plausible charset name) is read as UTF-8, so ASCII text still comes
 * through; charset_conv_is_known() tells the caller. US-ASCII is read as
 * UTF-8 too, since mail labelled us-ascii often is not.
 *
 * Owner: the caller owns the converter (charset_conv_new/_free); output
 * is appended to a caller's struct buf, which must have room for
 * CHARSET_OUT_MAX(n) more octets for n input octets.
 */
#ifndef MR_CHARSET_H
#define MR_CHARSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* Longest charset name looked up (RFC 2978 2.3 allows 40). */
#define CHARSET_NAME_MAX 40

/*
 * Octets of output that charset_conv_feed of n octets followed by
 * charset_conv_finish give at most: 4 for each octet fed and each octet
 * held back from the last chunk (at most CHARSET_HOLD_MAX), plus
 * CHARSET_FINISH_MAX. Output is cut there, at a character boundary: a
 * few iconv charsets (TSCII) write up to 12 octets for one.
 */
#define CHARSET_HOLD_MAX 8
#define CHARSET_FINISH_MAX (4 * CHARSET_HOLD_MAX + 3)
#define CHARSET_OUT_MAX(n) (4 * ((n) + CHARSET_HOLD_MAX) + CHARSET_FINISH_MAX)

struct charset_conv;

/* charset_conv_new - converter from charset (a MIME name, any case). */
struct charset_conv *charset_conv_new(const char *charset);

/* charset_conv_free - release and NULL the caller's pointer. */
void charset_conv_free(struct charset_conv **conv);

/* charset_conv_is_known - false when charset fell back to UTF-8. */
bool charset_conv_is_known(const struct charset_conv *conv);

/* charset_conv_feed - convert n octets, appending UTF-8 to out. */
void charset_conv_feed(struct charset_conv *conv, const uint8_t *in, size_t n,
                       struct buf *out);

/*
 * charset_conv_finish - end of input: a held-back partial sequence
 * becomes U+FFFD. The converter is ready for new text afterwards. out
 * must have room for CHARSET_FINISH_MAX more octets.
 */
void charset_conv_finish(struct charset_conv *conv, struct buf *out);

/* charset_is_utf8 - whether charset names UTF-8 or US-ASCII. */
bool charset_is_utf8(const char *charset);

/*
 * charset_utf8_valid_prefix - length of the longest prefix of the n
 * octets at p that ends on a UTF-8 character boundary and is valid UTF-8.
 */
size_t charset_utf8_valid_prefix(const uint8_t *p, size_t n);

#endif
