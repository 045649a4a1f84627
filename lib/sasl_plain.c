/*
 * sasl_plain.c - SASL PLAIN responses (see sasl_plain.h).
 *
 * sasl_plain_decode - base64 text to authzid, authcid, passwd
 * sasl_plain_is_proxy - an authzid naming someone else
 *
 * SECURITY: input comes from an unauthenticated client and holds a
 * password: it is decoded into the caller's struct only, never logged,
 * and the caller wipes it. Limits: SASL_PLAIN_B64_MAX octets of base64,
 * SASL_PLAIN_MAX decoded. RFC 4648 4 (base64 with padding, no line
 * breaks, padding bits zero), RFC 4616 2 (message syntax).
 */
#include "lib/sasl_plain.h"

#include <string.h>

#include "lib/base64.h"
#include "lib/str.h"

/* sasl_plain_decode - decode and split */
int
sasl_plain_decode(const char *b64, size_t len, struct sasl_plain *out,
		  const char **error_r)
{
	char *nul1, *nul2;
	size_t n;

	/* Canonical base64 (lib/base64), at most SASL_PLAIN_MAX decoded. */
	if (len > SASL_PLAIN_B64_MAX ||
	    base64_decode_canonical((const uint8_t *)b64, len,
				    (uint8_t *)out->data, SASL_PLAIN_MAX,
				    &n) < 0) {
		*error_r = "invalid base64";
		return -1;
	}
	out->data[n] = '\0';
	nul1 = memchr(out->data, '\0', n);
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

/* sasl_plain_is_proxy - an authzid other than the authcid */
bool
sasl_plain_is_proxy(const struct sasl_plain *sp)
{
	return sp->authzid[0] != '\0' && !str_eq_ci(sp->authzid, sp->authcid);
}
