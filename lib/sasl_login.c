/*
 * sasl_login.c - SASL LOGIN responses (see sasl_login.h).
 *
 * sasl_login_decode - one base64 response to a user name or password
 *
 * SECURITY: input comes from an unauthenticated client and may hold a
 * password: it is decoded into the caller's buffer only, never logged,
 * and wiped here on failure. Limits: SASL_LOGIN_B64_MAX octets of base64,
 * SASL_LOGIN_MAX decoded. RFC 4648 4 (canonical base64, via lib/base64).
 */
#include "lib/sasl_login.h"

#include <stdint.h>
#include <string.h>

#include "lib/base64.h"

/* sasl_login_decode - decode one field */
int
sasl_login_decode(const char *b64, size_t len, char out[SASL_LOGIN_MAX + 1],
		  const char **error_r)
{
	size_t n;

	out[0] = '\0';
	if (len > SASL_LOGIN_B64_MAX ||
	    base64_decode_canonical((const uint8_t *)b64, len, (uint8_t *)out,
				    SASL_LOGIN_MAX, &n) < 0) {
		*error_r = base64_is_canonical((const uint8_t *)b64, len)
				   ? "response too long"
				   : "invalid base64";
		explicit_bzero(out, SASL_LOGIN_MAX + 1);
		return -1;
	}
	if (memchr(out, '\0', n) != NULL) {
		*error_r = "NUL in response";
		explicit_bzero(out, SASL_LOGIN_MAX + 1);
		return -1;
	}
	out[n] = '\0';
	return 0;
}
