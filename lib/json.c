/*
 * json.c - JSON string escaping (see json.h).
 *
 * json_utf8_char_len  - length of a well-formed UTF-8 character, or 0
 * json_escape_append  - bytes to JSON string content, appended to a buf
 * json_string_append  - the same between double quotes
 *
 * Input: untrusted bytes (queue file values written from SMTP input); no
 * privilege. Implements RFC 8259 section 7 (strings) and section 8.1 (the
 * output is UTF-8), with UTF-8 validated per RFC 3629 section 4 / Unicode
 * Table 3-7. The output never exceeds the caller's buffer maximum: room is
 * checked before every append, and a result that does not fit is undone.
 */
#include "lib/json.h"

#include <stdbool.h>

/* json_is_cont - whether c is a UTF-8 continuation byte (10xxxxxx) */
static bool
json_is_cont(uint8_t c)
{
	return (c & 0xC0) == 0x80;
}

/* json_utf8_char_len - length of the well-formed UTF-8 character at p */
size_t
json_utf8_char_len(const uint8_t *p, size_t n)
{
	uint8_t lo = 0x80, hi = 0xBF;
	size_t len, i;

	if (n == 0)
		return 0;
	/*
	 * RFC 3629 section 4: the second byte's range depends on the first;
	 * that excludes overlong forms (C0, C1, E0 80..9F, F0 80..8F),
	 * surrogates (ED A0..BF) and code points past U+10FFFF (F4 90..,
	 * F5..FF).
	 */
	if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		len = 2;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		len = 3;
		if (p[0] == 0xE0)
			lo = 0xA0;
		else if (p[0] == 0xED)
			hi = 0x9F;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		len = 4;
		if (p[0] == 0xF0)
			lo = 0x90;
		else if (p[0] == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (!json_is_cont(p[i]))
			return 0;
	return len;
}

/* json_escape_byte - append "\u00XX" for c (room already checked) */
static void
json_escape_byte(struct buf *out, uint8_t c)
{
	static const char hex[] = "0123456789abcdef";
	char esc[JSON_ESCAPE_OCTETS_MAX] = { '\\', 'u', '0', '0', 0, 0 };

	esc[4] = hex[c >> 4];
	esc[5] = hex[c & 0x0F];
	buf_append(out, esc, sizeof(esc));
}

/* json_escape_append - append n bytes at p as JSON string content */
int
json_escape_append(struct buf *out, const uint8_t *p, size_t n)
{
	size_t saved = out->len, i = 0, len;
	uint8_t c;

	while (i < n) {
		c = p[i];
		if (c == '"' || c == '\\') {
			if (!buf_has_room(out, 2))
				goto full;
			buf_append_byte(out, '\\');
			buf_append_byte(out, c);
			i++;
		} else if (c >= 0x20 && c < 0x7F) {
			if (!buf_has_room(out, 1))
				goto full;
			buf_append_byte(out, c);
			i++;
		} else if (c >= 0x80 &&
			   (len = json_utf8_char_len(p + i, n - i)) > 0) {
			/* UNSAFE: len <= n - i by json_utf8_char_len. */
			if (!buf_has_room(out, len))
				goto full;
			buf_append(out, p + i, len);
			i += len;
		} else {
			/* Control character, DEL or a byte of bad UTF-8. */
			if (!buf_has_room(out, JSON_ESCAPE_OCTETS_MAX))
				goto full;
			json_escape_byte(out, c);
			i++;
		}
	}
	return 0;
full:
	buf_truncate(out, saved);
	return -1;
}

/* json_string_append - JSON string content between double quotes */
int
json_string_append(struct buf *out, const uint8_t *p, size_t n)
{
	size_t saved = out->len;

	if (!buf_has_room(out, 1))
		return -1;
	buf_append_byte(out, '"');
	if (json_escape_append(out, p, n) < 0 || !buf_has_room(out, 1)) {
		buf_truncate(out, saved);
		return -1;
	}
	buf_append_byte(out, '"');
	return 0;
}
