/*
 * base64.c - base64 decoding and encoding (see base64.h).
 *
 * base64_decoder_init  - start decoding
 * base64_decode        - decode one chunk
 * base64_decode_finish - flush an incomplete last group
 * base64_decode_canonical - strict decoding of a whole text
 * base64_is_canonical  - the same check without output
 * base64_encode, base64_encoded_size - canonical encoding
 *
 * Untrusted input: message bodies (Content-Transfer-Encoding: base64) and
 * RFC 2047 "B" encoded words, in whatever process searches or bounces
 * them; SASL responses from unauthenticated clients (canonical form). No
 * allocation, no state beyond three sextets; every input octet is looked
 * at once, so the cost is linear. Output is bounded by BASE64_DECODED_MAX
 * of the input, which the caller provides, or checked against out_size
 * before each write (canonical form). RFC 4648 3.3 (no characters outside
 * the alphabet), 3.5 (pad bits zero) and 4 for the canonical form.
 */
#include "lib/base64.h"

#include <string.h>

#include "lib/checked.h"

static const char base64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

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

/*
 * canonical_group - the 24 bits of group i of a canonical text of n
 * characters and how many of its octets are real (3 - padding); false
 * when the group is not canonical
 */
static bool
canonical_group(const uint8_t *in, size_t n, size_t i, uint32_t *bits_r,
		size_t *octets_r)
{
	size_t pad = 0, k;
	uint32_t v = 0;

	/* '=' only at the end of the last group: "x===" is never valid,
	 * "xx==" and "xxx=" are. */
	if (i + 4 == n && in[i + 3] == '=')
		pad = in[i + 2] == '=' ? 2 : 1;
	for (k = 0; k < 4 - pad; k++) {
		uint8_t d = b64_value(in[i + k]);

		if (d == 0xff)
			return false;
		v = v << 6 | d;
	}
	v <<= 6 * pad;
	/* RFC 4648 3.5: the bits the padding stands for are zero. */
	if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0))
		return false;
	*bits_r = v;
	*octets_r = 3 - pad;
	return true;
}

/* base64_is_canonical - syntax check without decoding */
bool
base64_is_canonical(const uint8_t *in, size_t n)
{
	size_t i, octets;
	uint32_t v;

	if (n % 4 != 0)
		return false;
	for (i = 0; i < n; i += 4)
		if (!canonical_group(in, n, i, &v, &octets))
			return false;
	return true;
}

/* base64_decode_canonical - strict decoding */
int
base64_decode_canonical(const uint8_t *in, size_t n, uint8_t *out,
			size_t out_size, size_t *len_r)
{
	size_t i, used = 0, octets;
	uint32_t v;

	*len_r = 0;
	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		if (!canonical_group(in, n, i, &v, &octets) ||
		    out_size - used < octets)
			return -1;
		/* UNSAFE: used + octets <= out_size, checked above. */
		out[used++] = (uint8_t)(v >> 16);
		if (octets > 1)
			out[used++] = (uint8_t)(v >> 8);
		if (octets > 2)
			out[used++] = (uint8_t)v;
	}
	*len_r = used;
	return 0;
}

/* base64_encoded_size - output length for n octets */
size_t
base64_encoded_size(size_t n)
{
	size_t groups = n / 3 + (n % 3 != 0), r;

	if (!checked_mul(groups, 4, &r))
		return SIZE_MAX;
	return r;
}

/* base64_encode - append the canonical encoding */
void
base64_encode(const uint8_t *in, size_t n, struct buf *out)
{
	char group[4];
	size_t i;

	for (i = 0; i < n; i += 3) {
		size_t left = n - i;
		uint32_t v = (uint32_t)in[i] << 16;

		if (left > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			v |= in[i + 2];
		group[0] = base64_alphabet[v >> 18 & 63];
		group[1] = base64_alphabet[v >> 12 & 63];
		group[2] = left > 1 ? base64_alphabet[v >> 6 & 63] : '=';
		group[3] = left > 2 ? base64_alphabet[v & 63] : '=';
		buf_append(out, group, sizeof(group));
	}
}
