/*
 * charset.c - streaming conversion of MIME text to UTF-8 (see charset.h).
 *
 * charset_conv_new      - converter for a charset name
 * charset_conv_free     - release it
 * charset_conv_is_known - whether the charset was recognised
 * charset_conv_feed     - convert one chunk
 * charset_conv_finish   - end of text
 * charset_is_utf8       - whether a name means UTF-8 (or US-ASCII)
 * charset_utf8_valid_prefix - valid UTF-8 prefix of a byte range
 *
 * Untrusted input: charset names and text from message headers and
 * bodies. SECURITY: a name reaches iconv_open only after it passed a
 * character and length check (no "//" suffixes, no paths). At most
 * CHARSET_HOLD_MAX octets of an incomplete sequence are held between
 * chunks; iconv is fed from a fixed scratch array. An octet iconv cannot
 * convert is replaced and skipped, so every call makes progress and the
 * cost is linear. What iconv writes is checked as UTF-8 again before it
 * is passed on.
 */
#include "lib/charset.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

/* Input octets handed to iconv per step. */
#define CHARSET_STEP 1024

enum charset_kind {
	CHARSET_UTF8,   /* UTF-8, US-ASCII and unknown charsets */
	CHARSET_LATIN1, /* ISO-8859-1 */
	CHARSET_ICONV,  /* everything else */
};

struct charset_conv {
	enum charset_kind kind;
	bool known;
	iconv_t cd;
	uint8_t hold[CHARSET_HOLD_MAX]; /* incomplete sequence */
	size_t hold_len;
};

static const uint8_t replacement[] = {0xef, 0xbf, 0xbd}; /* U+FFFD */

/* is_name_char - characters of a charset name (RFC 2978 2.3) */
static bool
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("-_.:+()", c) != NULL;
}

/* is_valid_name - a plausible charset name */
static bool
is_valid_name(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= CHARSET_NAME_MAX || !is_name_char(s[i]))
			return false;
	return i > 0;
}

/* charset_is_utf8 - whether a name means UTF-8 (or US-ASCII) */
bool
charset_is_utf8(const char *charset)
{
	return str_eq_ci(charset, "utf-8") || str_eq_ci(charset, "utf8") ||
	       str_eq_ci(charset, "us-ascii") || str_eq_ci(charset, "ascii") ||
	       str_eq_ci(charset, "ansi_x3.4-1968");
}

/* charset_conv_new - converter for a charset name */
struct charset_conv *
charset_conv_new(const char *charset)
{
	struct charset_conv *conv = mem_alloc(sizeof(*conv));

	conv->kind = CHARSET_UTF8;
	conv->known = true;
	if (charset_is_utf8(charset))
		return conv;
	if (str_eq_ci(charset, "iso-8859-1") || str_eq_ci(charset, "latin1") ||
	    str_eq_ci(charset, "iso_8859-1") || str_eq_ci(charset, "l1")) {
		conv->kind = CHARSET_LATIN1;
		return conv;
	}
	if (is_valid_name(charset)) {
		conv->cd = iconv_open("UTF-8", charset);
		if (conv->cd != (iconv_t)-1) {
			conv->kind = CHARSET_ICONV;
			return conv;
		}
	}
	conv->known = false;
	return conv;
}

/* charset_conv_free - release it */
void
charset_conv_free(struct charset_conv **conv)
{
	if (*conv == NULL)
		return;
	if ((*conv)->kind == CHARSET_ICONV)
		iconv_close((*conv)->cd);
	mem_free(conv);
}

/* charset_conv_is_known - whether the charset was recognised */
bool
charset_conv_is_known(const struct charset_conv *conv)
{
	return conv->known;
}

/* utf8_seq_len - length a lead octet announces, 0 when it is no lead */
static size_t
utf8_seq_len(uint8_t c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

/*
 * utf8_check - how the n octets at p (n >= 1) start: the length of a
 * complete valid character; 0 when they are a valid but incomplete
 * start; or -k when they are invalid, k (>= 1) being the octets to
 * replace by one U+FFFD: the lead and the continuation octets that were
 * valid after it (the "maximal subpart" of Unicode 3.9)
 */
static int
utf8_check(const uint8_t *p, size_t n)
{
	size_t len = utf8_seq_len(p[0]), i;

	if (len == 0)
		return -1;
	for (i = 1; i < len; i++) {
		uint8_t lo = 0x80, hi = 0xbf;

		if (i >= n)
			return 0;
		/* RFC 3629 4: no overlongs, surrogates or > U+10FFFF. */
		if (i == 1 && p[0] == 0xe0)
			lo = 0xa0;
		else if (i == 1 && p[0] == 0xed)
			hi = 0x9f;
		else if (i == 1 && p[0] == 0xf0)
			lo = 0x90;
		else if (i == 1 && p[0] == 0xf4)
			hi = 0x8f;
		if (p[i] < lo || p[i] > hi)
			return -(int)i;
	}
	return (int)len;
}

/* charset_utf8_valid_prefix - valid UTF-8 prefix of a byte range */
size_t
charset_utf8_valid_prefix(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		int len;

		if (p[i] < 0x80) {
			i++;
			continue;
		}
		len = utf8_check(p + i, n - i);
		if (len <= 0)
			break;
		i += (size_t)len;
	}
	return i;
}

/* utf8_feed - validate UTF-8 octets, replacing invalid ones */
static void
utf8_feed(struct charset_conv *conv, const uint8_t *in, size_t n,
          struct buf *out)
{
	size_t i = 0;

	/* Complete a sequence held back from the last chunk first. */
	while (conv->hold_len > 0 && i < n) {
		int len;

		conv->hold[conv->hold_len++] = in[i++];
		len = utf8_check(conv->hold, conv->hold_len);
		if (len > 0) {
			buf_append(out, conv->hold, (size_t)len);
			conv->hold_len = 0;
		} else if (len < 0) {
			/*
			 * The held octets were a valid start, so the octet
			 * just added is the bad one: look at it again.
			 */
			buf_append(out, replacement, sizeof(replacement));
			conv->hold_len = 0;
			i--;
		}
	}
	while (i < n) {
		size_t start = i;
		int len;

		while (i < n && in[i] < 0x80)
			i++;
		buf_append(out, in + start, i - start);
		if (i == n)
			break;
		len = utf8_check(in + i, n - i);
		if (len > 0) {
			buf_append(out, in + i, (size_t)len);
			i += (size_t)len;
		} else if (len == 0) {
			memcpy(conv->hold, in + i, n - i);
			conv->hold_len = n - i;
			i = n;
		} else {
			buf_append(out, replacement, sizeof(replacement));
			i += (size_t)-len;
		}
	}
}

/* latin1_feed - ISO-8859-1 maps octet for code point */
static void
latin1_feed(const uint8_t *in, size_t n, struct buf *out)
{
	uint8_t *w = buf_reserve(out, 2 * n);
	size_t i, len = 0;

	for (i = 0; i < n; i++) {
		if (in[i] < 0x80) {
			w[len++] = in[i];
		} else {
			w[len++] = (uint8_t)(0xc0 | in[i] >> 6);
			w[len++] = (uint8_t)(0x80 | (in[i] & 0x3f));
		}
	}
	buf_commit(out, len);
}

/*
 * append_checked - append what iconv wrote, up to limit octets in out,
 * cut at a character boundary; each character that is not valid UTF-8
 * (glibc writes code points past U+10FFFF, in up to six octets, for
 * UCS-4 and WCHAR_T input) becomes one U+FFFD; false when it was cut
 */
static bool
append_checked(struct buf *out, size_t limit, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t run = charset_utf8_valid_prefix(p + i, n - i), take = run;
		int len;

		if (take > limit - out->len)
			take = charset_utf8_valid_prefix(p + i,
			                                 limit - out->len);
		buf_append(out, p + i, take);
		if (take < run)
			return false;
		i += run;
		if (i == n)
			break;
		len = utf8_check(p + i, n - i);
		/* The lead and every continuation octet after it. */
		i += len < 0 ? (size_t)-len : 1;
		while (i < n && (p[i] & 0xc0) == 0x80)
			i++;
		if (limit - out->len < sizeof(replacement))
			return false;
		buf_append(out, replacement, sizeof(replacement));
	}
	return true;
}

/*
 * iconv_step - convert the n octets at p (n <= CHARSET_STEP +
 * CHARSET_HOLD_MAX) with iconv, writing at most up to limit octets in
 * out; an incomplete sequence at the end is held back unless final
 */
static void
iconv_step(struct charset_conv *conv, const uint8_t *p, size_t n,
           struct buf *out, size_t limit, bool final)
{
	/* UNSAFE: iconv takes char ** for input it never writes. */
	char *inp = (char *)(uintptr_t)p;
	size_t inleft = n;
	uint8_t scratch[4 * (CHARSET_STEP + CHARSET_HOLD_MAX) + 16];

	while (inleft > 0) {
		char *outp = (char *)scratch;
		size_t outleft = sizeof(scratch), ret;

		ret = iconv(conv->cd, &inp, &inleft, &outp, &outleft);
		if (!append_checked(out, limit, scratch,
		                    sizeof(scratch) - outleft))
			break;
		if (ret != (size_t)-1)
			break;
		if (errno == EINVAL && !final && inleft <= CHARSET_HOLD_MAX) {
			memcpy(conv->hold, inp, inleft);
			conv->hold_len = inleft;
			return;
		}
		if (errno == E2BIG)
			continue;
		/* EILSEQ, or an incomplete sequence that stays so. */
		if (limit - out->len < sizeof(replacement))
			break;
		buf_append(out, replacement, sizeof(replacement));
		inp++;
		inleft--;
		iconv(conv->cd, NULL, NULL, NULL, NULL);
	}
	/* Cut: the rest of this text is dropped, the state reset. */
	if (inleft > 0)
		iconv(conv->cd, NULL, NULL, NULL, NULL);
}

/* iconv_feed - convert through iconv in steps of CHARSET_STEP */
static void
iconv_feed(struct charset_conv *conv, const uint8_t *in, size_t n,
           struct buf *out)
{
	uint8_t scratch[CHARSET_HOLD_MAX + CHARSET_STEP];
	size_t limit = out->len + 4 * (n + conv->hold_len);

	while (n > 0) {
		size_t take = n < CHARSET_STEP ? n : CHARSET_STEP;
		size_t len = conv->hold_len;

		memcpy(scratch, conv->hold, len);
		memcpy(scratch + len, in, take);
		conv->hold_len = 0;
		iconv_step(conv, scratch, len + take, out, limit, false);
		in += take;
		n -= take;
	}
}

/* charset_conv_feed - convert one chunk */
void
charset_conv_feed(struct charset_conv *conv, const uint8_t *in, size_t n,
                  struct buf *out)
{
	MR_ASSERT(buf_has_room(out, CHARSET_OUT_MAX(n)));
	switch (conv->kind) {
	case CHARSET_UTF8:
		utf8_feed(conv, in, n, out);
		break;
	case CHARSET_LATIN1:
		latin1_feed(in, n, out);
		break;
	case CHARSET_ICONV:
		iconv_feed(conv, in, n, out);
		break;
	}
}

/* charset_conv_finish - end of text */
void
charset_conv_finish(struct charset_conv *conv, struct buf *out)
{
	MR_ASSERT(buf_has_room(out, CHARSET_FINISH_MAX));
	if (conv->kind == CHARSET_ICONV) {
		uint8_t hold[CHARSET_HOLD_MAX];
		size_t len = conv->hold_len;

		memcpy(hold, conv->hold, len);
		conv->hold_len = 0;
		if (len > 0)
			iconv_step(conv, hold, len, out,
			           out->len + CHARSET_FINISH_MAX, true);
		iconv(conv->cd, NULL, NULL, NULL, NULL);
		return;
	}
	if (conv->hold_len > 0)
		buf_append(out, replacement, sizeof(replacement));
	conv->hold_len = 0;
}
