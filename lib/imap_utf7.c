/*
 * imap_utf7.c - modified UTF-7 mailbox names (see imap_utf7.h).
 *
 * imap_utf7_to_utf8   - decode
 * imap_utf7_from_utf8 - encode
 *
 * Untrusted input: mailbox names from IMAP clients and from mailbox
 * directories. Single pass, no allocation of its own; output bounded by
 * the caller's buffer. RFC 3501 5.1.3, RFC 2152 (UTF-7), RFC 2781
 * (UTF-16 surrogates).
 */
#include "lib/imap_utf7.h"

#include <stdbool.h>
#include <stdint.h>

static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* b64_value - value of a modified base64 character, or -1 */
static int
b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

/* put - append octets; false when out is full */
static bool
put(struct buf *out, const void *p, size_t n)
{
	if (!buf_has_room(out, n))
		return false;
	buf_append(out, p, n);
	return true;
}

/* put_utf8 - a code point as UTF-8 */
static bool
put_utf8(struct buf *out, uint32_t cp)
{
	uint8_t s[4];
	size_t n;

	if (cp < 0x80) {
		s[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		s[0] = (uint8_t)(0xc0 | cp >> 6);
		s[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		s[0] = (uint8_t)(0xe0 | cp >> 12);
		s[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		s[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		s[0] = (uint8_t)(0xf0 | cp >> 18);
		s[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
		s[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		s[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return put(out, s, n);
}

/* imap_utf7_to_utf8 - decode */
int
imap_utf7_to_utf8(const char *in, size_t n, struct buf *out)
{
	const uint8_t *p = (const uint8_t *)in;
	size_t i = 0;

	while (i < n) {
		uint32_t bits = 0, high = 0;
		unsigned nbits = 0;
		size_t start;

		if (p[i] < 0x20 || p[i] > 0x7e)
			return -1;
		if (p[i] != '&') {
			if (!put(out, &p[i], 1))
				return -1;
			i++;
			continue;
		}
		start = ++i;
		for (; i < n && p[i] != '-'; i++) {
			int v = b64_value(p[i]);

			if (v < 0)
				return -1;
			bits = bits << 6 | (uint32_t)v;
			nbits += 6;
			if (nbits < 16)
				continue;
			nbits -= 16;
			{
				uint32_t unit = bits >> nbits & 0xffff;

				bits &= (1u << nbits) - 1;
				if (high != 0) {
					if (unit < 0xdc00 || unit > 0xdfff)
						return -1;
					if (!put_utf8(out, 0x10000 +
					                       ((high - 0xd800)
					                        << 10) +
					                       (unit - 0xdc00)))
						return -1;
					high = 0;
				} else if (unit >= 0xd800 && unit <= 0xdbff) {
					high = unit;
				} else if (unit >= 0xdc00 && unit <= 0xdfff) {
					return -1;
				} else if (unit >= 0x20 && unit <= 0x7e) {
					/* Printable ASCII must not be shifted.
					 */
					return -1;
				} else if (!put_utf8(out, unit)) {
					return -1;
				}
			}
		}
		if (i == n || high != 0 || nbits >= 6 || bits != 0)
			return -1;
		if (i == start) {
			/* "&-" */
			if (!put(out, "&", 1))
				return -1;
		} else if (i + 2 < n && p[i + 1] == '&' && p[i + 2] != '-') {
			/* Two shifts in a row: one spelling only. */
			return -1;
		}
		i++;
	}
	return 0;
}

/* utf8_next - the code point at p[*i], advancing; -1 when invalid */
static int64_t
utf8_next(const uint8_t *p, size_t n, size_t *i)
{
	uint8_t c = p[*i];
	size_t len, k;
	uint32_t cp, min;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07, min = 0x10000;
	else
		return -1;
	if (n - *i < len)
		return -1;
	for (k = 1; k < len; k++) {
		if ((p[*i + k] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (p[*i + k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += len;
	return cp;
}

/* put_units - modified base64 of UTF-16 units, with the pending bits */
static bool
put_unit(struct buf *out, uint32_t unit, uint32_t *bits, unsigned *nbits)
{
	*bits = *bits << 16 | unit;
	*nbits += 16;
	while (*nbits >= 6) {
		*nbits -= 6;
		if (!put(out, &b64_chars[*bits >> *nbits & 0x3f], 1))
			return false;
	}
	*bits &= (1u << *nbits) - 1;
	return true;
}

/* imap_utf7_from_utf8 - encode */
int
imap_utf7_from_utf8(const char *in, size_t n, struct buf *out)
{
	const uint8_t *p = (const uint8_t *)in;
	size_t i = 0;

	while (i < n) {
		uint32_t bits = 0;
		unsigned nbits = 0;

		if (p[i] >= 0x20 && p[i] <= 0x7e) {
			if (!put(out, p[i] == '&' ? "&-" : (const char *)&p[i],
			         p[i] == '&' ? 2 : 1))
				return -1;
			i++;
			continue;
		}
		if (!put(out, "&", 1))
			return -1;
		while (i < n && (p[i] < 0x20 || p[i] > 0x7e)) {
			int64_t cp = utf8_next(p, n, &i);

			if (cp < 0)
				return -1;
			if (cp >= 0x10000) {
				uint32_t v = (uint32_t)cp - 0x10000;

				if (!put_unit(out, 0xd800 + (v >> 10), &bits,
				              &nbits) ||
				    !put_unit(out, 0xdc00 + (v & 0x3ff), &bits,
				              &nbits))
					return -1;
			} else if (!put_unit(out, (uint32_t)cp, &bits,
			                     &nbits)) {
				return -1;
			}
		}
		if (nbits > 0 &&
		    !put(out, &b64_chars[bits << (6 - nbits) & 0x3f], 1))
			return -1;
		if (!put(out, "-", 1))
			return -1;
	}
	return 0;
}
