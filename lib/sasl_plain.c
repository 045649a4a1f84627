/*
 * sasl_plain.c - SASL PLAIN responses (see sasl_plain.h).
 *
 * sasl_plain_decode - base64 text to authzid, authcid, passwd
 *
 * SECURITY: input comes from an unauthenticated client and holds a
 * password: it is decoded into the caller's struct only, never logged,
 * and the caller wipes it. Limits: SASL_PLAIN_B64_MAX octets of base64,
 * SASL_PLAIN_MAX decoded. RFC 4648 4 (base64 with padding, no line
 * breaks, padding bits zero), RFC 4616 2 (message syntax).
 */
#include "lib/sasl_plain.h"

#include <string.h>

/* b64_value - value of a base64 character, or -1 */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * b64_decode - canonical base64 to out (room for SASL_PLAIN_MAX octets):
 * a multiple of 4 characters, '=' only as the last one or two, padding
 * bits zero. Returns the decoded length, or -1.
 */
static long
b64_decode(const char *in, size_t len, uint8_t *out)
{
	size_t i, n = 0;

	if (len % 4 != 0 || len > SASL_PLAIN_B64_MAX)
		return -1;
	for (i = 0; i < len; i += 4) {
		int v[4], k, pad = 0;
		uint32_t bits = 0;

		for (k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)in[i + k];

			if (c == '=' && i + 4 == len && k >= 2) {
				pad++;
				v[k] = 0;
				continue;
			}
			if (pad > 0 || (v[k] = b64_value(c)) < 0)
				return -1;
		}
		for (k = 0; k < 4; k++)
			bits = (bits << 6) | (uint32_t)v[k];
		/* "x=y=" is not padding; the bits padding drops are 0. */
		if ((pad == 1 && (bits & 0xff) != 0) ||
		    (pad == 2 && (bits & 0xffff) != 0))
			return -1;
		if (n + 3 - (size_t)pad > SASL_PLAIN_MAX)
			return -1;
		out[n++] = (uint8_t)(bits >> 16);
		if (pad < 2)
			out[n++] = (uint8_t)(bits >> 8);
		if (pad < 1)
			out[n++] = (uint8_t)bits;
	}
	return (long)n;
}

/* sasl_plain_decode - decode and split */
int
sasl_plain_decode(const char *b64, size_t len, struct sasl_plain *out,
		  const char **error_r)
{
	long n = b64_decode(b64, len, (uint8_t *)out->data);
	char *nul1, *nul2;

	if (n < 0) {
		*error_r = "invalid base64";
		return -1;
	}
	out->data[n] = '\0';
	nul1 = memchr(out->data, '\0', (size_t)n);
	nul2 = nul1 != NULL ? memchr(nul1 + 1, '\0',
				     (size_t)(out->data + n - nul1 - 1))
			    : NULL;
	if (nul2 == NULL ||
	    memchr(nul2 + 1, '\0', (size_t)(out->data + n - nul2 - 1)) !=
		    NULL) {
		*error_r = "not authzid NUL authcid NUL passwd";
		return -1;
	}
	out->authzid = out->data;
	out->authcid = nul1 + 1;
	out->passwd = nul2 + 1;
	if (out->authcid[0] == '\0' || out->passwd[0] == '\0') {
		*error_r = "empty authcid or passwd";
		return -1;
	}
	return 0;
}
