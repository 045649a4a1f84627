/*
 * imap_utf7.h - IMAP mailbox names in modified UTF-7 (RFC 3501 5.1.3)
 * to and from UTF-8.
 *
 * Modified UTF-7: printable US-ASCII (0x20-0x7e) except "&" stands for
 * itself, "&" is "&-", everything else is "&" + modified base64 ("," for
 * "/", no padding) of its UTF-16BE form + "-". Decoding is strict, as a
 * name must have one spelling: a shift that encodes printable ASCII, an
 * unterminated shift, leftover bits that are not zero or a whole
 * character, a broken surrogate pair, two shifts in a row (one would
 * do), and octets outside 0x20-0x7e are errors. Encoding refuses invalid UTF-8.
 *
 * Output is appended to a caller's struct buf; running into its maximum
 * is an error too (the buffer then holds a partial result).
 */
#ifndef MR_IMAP_UTF7_H
#define MR_IMAP_UTF7_H

#include <stddef.h>

#include "lib/buf.h"

/*
 * imap_utf7_to_utf8 - decode n octets of modified UTF-7 into out.
 * Returns 0, or -1 when the input is not valid modified UTF-7 or out is
 * full.
 */
int imap_utf7_to_utf8(const char *in, size_t n, struct buf *out);

/*
 * imap_utf7_from_utf8 - encode n octets of UTF-8 into out. Returns 0, or
 * -1 when the input is not valid UTF-8 or out is full.
 */
int imap_utf7_from_utf8(const char *in, size_t n, struct buf *out);

#endif
