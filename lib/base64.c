/*
 * base64.c - streaming base64 decoder (see base64.h).
 *
 * base64_decoder_init  - start decoding
 * base64_decode        - decode one chunk
 * base64_decode_finish - flush an incomplete last group
 *
 * Untrusted input: message bodies (Content-Transfer-Encoding: base64) and
 * RFC 2047 "B" encoded words, in whatever process searches or bounces
 * them. No allocation, no state beyond three sextets; every input octet
 * is looked at once, so the cost is linear. Output is bounded by
 * BASE64_DECODED_MAX of the input, which the caller provides.
 */
#include "lib/base64.h"

#include <string.h>

/* b64_value - value of an octet in the alphabet (RFC 2045 table 1), or 0xff */
static uint8_t
b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return (uint8_t)(c - 'A');
	if (c >= 'a' && c <= 'z')
		return (uint8_t)(c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (uint8_t)(c - '0' + 52);
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return 0xff;
}

/* base64_decoder_init - start decoding */
void
base64_decoder_init(struct base64_decoder *d)
{
	memset(d, 0, sizeof(*d));
}

/* flush_group - the whole octets of an incomplete group; resets it */
static size_t
flush_group(struct base64_decoder *d, uint8_t *out)
{
	size_t written = 0;

	/* One sextet holds no whole octet; two hold one; three hold two. */
	if (d->sextets == 2) {
		out[0] = (uint8_t)(d->acc >> 4);
		written = 1;
	} else if (d->sextets == 3) {
		out[0] = (uint8_t)(d->acc >> 10);
		out[1] = (uint8_t)(d->acc >> 2);
		written = 2;
	}
	if (d->sextets == 1)
		d->flags |= BASE64_F_PARTIAL;
	d->acc = 0;
	d->sextets = 0;
	return written;
}

/* base64_decode - decode one chunk */
size_t
base64_decode(struct base64_decoder *d, const uint8_t *in, size_t n,
              uint8_t *out)
{
	size_t i, written = 0;

	for (i = 0; i < n; i++) {
		uint8_t v = b64_value(in[i]);

		if (v == 0xff) {
			if (in[i] == '=')
				written += flush_group(d, out + written);
			else if (in[i] != '\r' && in[i] != '\n')
				d->flags |= BASE64_F_JUNK;
			continue;
		}
		d->acc = d->acc << 6 | v;
		if (++d->sextets == 4) {
			out[written++] = (uint8_t)(d->acc >> 16);
			out[written++] = (uint8_t)(d->acc >> 8);
			out[written++] = (uint8_t)d->acc;
			d->acc = 0;
			d->sextets = 0;
		}
	}
	return written;
}

/* base64_decode_finish - flush an incomplete last group */
size_t
base64_decode_finish(struct base64_decoder *d, uint8_t *out)
{
	if (d->sextets != 0)
		d->flags |= BASE64_F_PARTIAL;
	return flush_group(d, out);
}
