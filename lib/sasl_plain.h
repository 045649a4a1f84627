/*
 * sasl_plain.h - the SASL PLAIN mechanism (RFC 4616), server side, for
 * pop3d AUTH (RFC 5034), imapd AUTHENTICATE and SMTP AUTH.
 *
 * The client sends base64 (RFC 4648 4, with padding) of
 *
 *	[authzid] NUL authcid NUL passwd
 *
 * sasl_plain_decode checks and splits it. Limits: SASL_PLAIN_MAX octets
 * decoded (RFC 4616 2 allows 255 octets of UTF-8 per field; mailroom's
 * passwords have up to 511); each field is NUL-free by construction.
 */
#ifndef MR_SASL_PLAIN_H
#define MR_SASL_PLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most decoded octets: two 255-octet names, a 511-octet password, NULs. */
#define SASL_PLAIN_MAX 1024
/* Longest base64 text that can decode to SASL_PLAIN_MAX octets. */
#define SASL_PLAIN_B64_MAX (((SASL_PLAIN_MAX + 2) / 3) * 4)

/* A decoded PLAIN response; the fields point into data. */
struct sasl_plain {
	const char *authzid;	/* "" when none was given */
	const char *authcid;	/* never empty */
	const char *passwd;	/* never empty */
	char data[SASL_PLAIN_MAX + 1];
};

/*
 * sasl_plain_decode - decode and split the base64 text b64[0..len).
 * Returns 0 with *out filled, or -1 with *error_r (static text) when the
 * text is not canonical base64, decodes to more than SASL_PLAIN_MAX
 * octets, does not hold exactly two NULs, or has an empty authcid or
 * passwd. The caller wipes *out (explicit_bzero) after use: it holds the
 * password.
 */
int sasl_plain_decode(const char *b64, size_t len, struct sasl_plain *out,
		      const char **error_r);

/*
 * sasl_plain_is_proxy - whether *sp asks to act as another user: an
 * authzid other than the authcid (ASCII case aside). mailroom allows no
 * proxy logins; the daemons fail such a login as a wrong password.
 */
bool sasl_plain_is_proxy(const struct sasl_plain *sp);

#endif
