/*
 * rfc2047.c - RFC 2047 encoded-words to UTF-8 (see rfc2047.h).
 *
 * rfc2047_decode - unfold and decode one header value
 *
 * Untrusted input: header values of stored messages. Limits: an
 * encoded-word is at most RFC2047_WORD_MAX octets (longer ones stay text),
 * its charset name at most CHARSET_NAME_MAX; output never passes the
 * caller's buffer maximum. Scratch space is two buffers bounded by
 * RFC2047_WORD_MAX; each input octet is examined a bounded number of
 * times (a word candidate is scanned at most to RFC2047_WORD_MAX), so the
 * cost is linear in the input.
 */
#include "lib/rfc2047.h"

#include <stdbool.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/charset.h"
#include "lib/log.h"
#include "lib/str.h"

/* A parsed encoded-word. */
struct word {
	char charset[CHARSET_NAME_MAX + 1];
	uint8_t encoding; /* 'B' or 'Q' */
	const uint8_t *text;
	size_t text_len;
	size_t len; /* of the whole word, "=?" to "?=" */
};

/* Output with a limit that is never passed. */
struct out {
	struct buf *buf;
	bool cut;
};

/* out_add - append what fits, cut at a UTF-8 character boundary */
static void
out_add(struct out *o, const uint8_t *p, size_t n)
{
	size_t room = buf_room(o->buf);

	if (o->cut)
		return;
	if (n > room) {
		n = charset_utf8_valid_prefix(p, room);
		o->cut = true;
	}
	buf_append(o->buf, p, n);
}

/* is_token_char - RFC 2047 2 token: no space, controls or especials */
static bool
is_token_char(uint8_t c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\"/[]?.=", c) == NULL;
}

/* parse_word - an encoded-word at p (which starts with "=?"), or false */
static bool
parse_word(const uint8_t *p, size_t n, struct word *w)
{
	size_t i = 2, cs_start = 2, cs_len, end;

	if (n > RFC2047_WORD_MAX)
		n = RFC2047_WORD_MAX;
	while (i < n && is_token_char(p[i]) && p[i] != '*')
		i++;
	cs_len = i - cs_start;
	if (i < n && p[i] == '*') {
		/* RFC 2231 5: a language after the charset, ignored. */
		i++;
		while (i < n && is_token_char(p[i]))
			i++;
	}
	if (cs_len == 0 || cs_len > CHARSET_NAME_MAX || i + 3 > n ||
	    p[i] != '?' || p[i + 2] != '?')
		return false;
	w->encoding = p[i + 1] & ~0x20;
	if (w->encoding != 'B' && w->encoding != 'Q')
		return false;
	memcpy(w->charset, p + cs_start, cs_len);
	w->charset[cs_len] = '\0';
	i += 3;
	/* encoded-text: printable ASCII except "?" and space. */
	for (end = i;
	     end < n && p[end] > 0x20 && p[end] < 0x7f && p[end] != '?'; end++)
		;
	if (end + 1 >= n || p[end] != '?' || p[end + 1] != '=')
		return false;
	w->text = p + i;
	w->text_len = end - i;
	w->len = end + 2;
	return true;
}

/* decode_word - the octets of an encoded-word's text into raw */
static void
decode_word(const struct word *w, struct buf *raw)
{
	size_t i;

	buf_reset(raw);
	if (w->encoding == 'B') {
		struct base64_decoder d;
		uint8_t *o = buf_reserve(raw, BASE64_DECODED_MAX(w->text_len));
		size_t len;

		base64_decoder_init(&d);
		len = base64_decode(&d, w->text, w->text_len, o);
		len += base64_decode_finish(&d, o + len);
		buf_commit(raw, len);
		return;
	}
	/* RFC 2047 4.2: "_" is space, "=XX" an octet. */
	for (i = 0; i < w->text_len; i++) {
		uint8_t c = w->text[i];

		if (c == '_') {
			c = ' ';
		} else if (c == '=' && i + 2 < w->text_len &&
		           str_hex_value(w->text[i + 1]) >= 0 &&
		           str_hex_value(w->text[i + 2]) >= 0) {
			c = (uint8_t)(str_hex_value(w->text[i + 1]) << 4 |
			              str_hex_value(w->text[i + 2]));
			i += 2;
		}
		buf_append_byte(raw, c);
	}
}

/* add_text - plain header text (unfolded) as UTF-8 */
static void
add_text(struct out *o, struct charset_conv *utf8, const uint8_t *p, size_t n,
         struct buf *scratch)
{
	size_t i = 0;

	while (i < n && !o->cut) {
		size_t start = i, take;

		while (i < n && p[i] != '\r' && p[i] != '\n' &&
		       i - start < RFC2047_WORD_MAX)
			i++;
		take = i - start;
		buf_reset(scratch);
		charset_conv_feed(utf8, p + start, take, scratch);
		out_add(o, scratch->data, scratch->len);
		while (i < n && (p[i] == '\r' || p[i] == '\n'))
			i++;
	}
	buf_reset(scratch);
	charset_conv_finish(utf8, scratch);
	out_add(o, scratch->data, scratch->len);
}

/* rfc2047_decode - unfold and decode one header value */
int
rfc2047_decode(const uint8_t *p, size_t n, struct buf *out)
{
	struct out o = {.buf = out, .cut = false};
	struct charset_conv *utf8 = charset_conv_new("utf-8");
	struct buf raw, conv;
	size_t i = 0, text_start = 0;
	/* End of the last encoded-word, for the white space rule. */
	size_t last_word_end = (size_t)-1;

	/*
	 * A Q word decodes to at most its length, a B word to less, and
	 * add_text converts at most RFC2047_WORD_MAX octets at a time.
	 */
	buf_init(&raw, RFC2047_WORD_MAX);
	buf_init(&conv, CHARSET_OUT_MAX(RFC2047_WORD_MAX));
	while (i < n && !o.cut) {
		struct word w;
		struct charset_conv *cc;
		size_t j;

		if (p[i] != '=' || i + 1 >= n || p[i + 1] != '?' ||
		    !parse_word(p + i, n - i, &w)) {
			i++;
			continue;
		}
		/* Only folding white space since the last word: drop it. */
		for (j = text_start; j < i; j++)
			if (p[j] != ' ' && p[j] != '\t' && p[j] != '\r' &&
			    p[j] != '\n')
				break;
		if (!(j == i && last_word_end == text_start))
			add_text(&o, utf8, p + text_start, i - text_start,
			         &conv);
		decode_word(&w, &raw);
		cc = charset_conv_new(w.charset);
		buf_reset(&conv);
		charset_conv_feed(cc, raw.data, raw.len, &conv);
		charset_conv_finish(cc, &conv);
		charset_conv_free(&cc);
		out_add(&o, conv.data, conv.len);
		i += w.len;
		text_start = last_word_end = i;
	}
	if (!o.cut)
		add_text(&o, utf8, p + text_start, n - text_start, &conv);
	charset_conv_free(&utf8);
	buf_deinit(&raw);
	buf_deinit(&conv);
	return o.cut ? -1 : 0;
}
