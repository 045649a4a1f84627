/*
 * json.h - JSON string escaping (RFC 8259 section 7) for machine-readable
 * output such as `mailroom queue list --json`.
 *
 * Input is any bytes (queue file values are Text8: UTF-8 under SMTPUTF8,
 * otherwise unknown 8-bit). The output is always valid JSON string content
 * in UTF-8:
 *
 *	"  and  \             ->  \"  and  \\
 *	0x00..0x1F and 0x7F   ->  \u00XX (lower-case hex)
 *	other ASCII           ->  itself
 *	well-formed UTF-8     ->  itself (Unicode Table 3-7: no overlong
 *	                          forms, no surrogates, nothing past U+10FFFF)
 *	any other byte        ->  \u00XX, the byte read as Latin-1
 *
 * The last rule keeps the byte's value visible (legacy 8-bit addresses are
 * usually Latin-1) instead of collapsing every bad byte into U+FFFD. A
 * consumer that needs the raw bytes back cannot tell an escaped byte 0xE9
 * from a real U+00E9, which is the price of emitting valid UTF-8.
 */
#ifndef MR_JSON_H
#define MR_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* Longest escape of one input byte: "\u00XX". */
#define JSON_ESCAPE_OCTETS_MAX 6

/*
 * json_utf8_char_len - the length (2, 3 or 4) of the well-formed UTF-8
 * multi-byte character starting at p, of which n bytes are available;
 * 0 when p does not start one (ASCII, a stray continuation byte, an
 * overlong form, a surrogate, a code point past U+10FFFF, or a sequence
 * cut short by n).
 */
size_t json_utf8_char_len(const uint8_t *p, size_t n);

/*
 * json_escape_append - append the n bytes at p to out as the content of a
 * JSON string (without the surrounding quotes), escaped as described
 * above. Returns 0, or -1 when the result does not fit under out's
 * maximum; out is then left as it was. At most n * JSON_ESCAPE_OCTETS_MAX
 * bytes are appended.
 */
int json_escape_append(struct buf *out, const uint8_t *p, size_t n);

/*
 * json_string_append - json_escape_append between double quotes. Returns 0,
 * or -1 (out unchanged) when it does not fit.
 */
int json_string_append(struct buf *out, const uint8_t *p, size_t n);

#endif
