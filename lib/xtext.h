/*
 * xtext.h - RFC 3461 section 4 "xtext" encoding (ENVID=, ORCPT=, AUTH=).
 *
 *	xtext   = *( xchar / hexchar )
 *	xchar   = %d33-126 except "+" and "="
 *	hexchar = "+" 2HEXDIG	(upper case on output; either case accepted)
 */
#ifndef MR_XTEXT_H
#define MR_XTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/*
 * xtext_is_valid - whether the n bytes at p are well-formed xtext (every
 * byte an xchar, every "+" followed by two hex digits).
 */
bool xtext_is_valid(const uint8_t *p, size_t n);

/*
 * xtext_decode - append the decoded form of the n xtext bytes at p to out.
 * The decoded bytes may contain any octet (even NUL); callers that need
 * text check the result. Returns 0, or -1 when the input is malformed or
 * out has no room for n more bytes (decoding never grows the data); on -1
 * out is left as it was.
 */
int xtext_decode(const uint8_t *p, size_t n, struct buf *out);

/*
 * xtext_encode - append the xtext form of the n bytes at p to out. Returns
 * 0, or -1 (out unchanged) when out has no room for the worst case of 3n
 * bytes.
 */
int xtext_encode(const uint8_t *p, size_t n, struct buf *out);

#endif
