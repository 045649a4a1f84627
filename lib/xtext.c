/*
 * xtext.c - RFC 3461 xtext encoding and decoding (see xtext.h).
 *
 * xtext_is_valid - syntax check
 * xtext_decode   - xtext to raw octets, appended to a struct buf
 * xtext_encode   - raw octets to xtext, appended to a struct buf
 *
 * Input is untrusted (ESMTP parameter values from SMTP clients); no
 * privilege. Implements RFC 3461 section 4. The output never exceeds the
 * room the caller's buffer has: both directions check before appending.
 * Decoding accepts lower-case hex digits after "+" (RFC 3461 says upper
 * case; nothing is gained by refusing the other) and encoding always
 * writes upper case.
 */
#include "lib/xtext.h"

#include "lib/checked.h"
#include "lib/str.h"

/* Octets an encoded input byte can grow to ("+XX"). */
#define XTEXT_HEX_OCTETS 3

/* xtext_is_xchar - byte allowed as itself in xtext */
static bool
xtext_is_xchar(uint8_t c)
{
	return c >= '!' && c <= '~' && c != '+' && c != '=';
}

/* xtext_is_valid - syntax check */
bool
xtext_is_valid(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '+') {
			/* UNSAFE: i + 2 < n checked before reading ahead. */
			if (n - i < 3 || str_hex_value(p[i + 1]) < 0 ||
			    str_hex_value(p[i + 2]) < 0)
				return false;
			i += 2;
		} else if (!xtext_is_xchar(p[i])) {
			return false;
		}
	}
	return true;
}

/* xtext_decode - xtext to raw octets */
int
xtext_decode(const uint8_t *p, size_t n, struct buf *out)
{
	size_t i;

	if (!buf_has_room(out, n) || !xtext_is_valid(p, n))
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] == '+') {
			buf_append_byte(
			    out, (uint8_t)(str_hex_value(p[i + 1]) * 16 +
			                   str_hex_value(p[i + 2])));
			i += 2;
		} else {
			buf_append_byte(out, p[i]);
		}
	}
	return 0;
}

/* xtext_encode - raw octets to xtext */
int
xtext_encode(const uint8_t *p, size_t n, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t worst, i;

	if (!checked_mul(n, XTEXT_HEX_OCTETS, &worst) ||
	    !buf_has_room(out, worst))
		return -1;
	for (i = 0; i < n; i++) {
		if (xtext_is_xchar(p[i])) {
			buf_append_byte(out, p[i]);
		} else {
			buf_append_byte(out, '+');
			buf_append_byte(out, (uint8_t)hex[p[i] >> 4]);
			buf_append_byte(out, (uint8_t)hex[p[i] & 0xf]);
		}
	}
	return 0;
}
