/*
 * sasl_login.h - the SASL LOGIN mechanism (draft-murchison-sasl-login),
 * server side, for SMTP AUTH LOGIN (what Outlook and many older clients
 * use).
 *
 * The server asks twice ("Username:", "Password:"); each response is the
 * base64 (RFC 4648 4, canonical) of one field. sasl_login_decode checks
 * and decodes one response. Limits: SASL_LOGIN_MAX octets decoded (a
 * users-table password; names are shorter).
 */
#ifndef MR_SASL_LOGIN_H
#define MR_SASL_LOGIN_H

#include <stddef.h>

#include "lib/users.h"

/* Most decoded octets of one field: the longest password. */
#define SASL_LOGIN_MAX USERS_PASSWORD_MAX
/* Longest base64 text that can decode to SASL_LOGIN_MAX octets. */
#define SASL_LOGIN_B64_MAX (((SASL_LOGIN_MAX + 2) / 3) * 4)

/*
 * sasl_login_decode - decode the base64 text b64[0..len) into out, a
 * string (room for SASL_LOGIN_MAX + 1 octets). An empty response gives
 * "". Returns 0, or -1 with *error_r (static text) and out cleared when
 * the text is not canonical base64, decodes to more than SASL_LOGIN_MAX
 * octets, or holds a NUL. The caller wipes out (explicit_bzero) after
 * use: it may hold a password.
 */
int sasl_login_decode(const char *b64, size_t len,
		      char out[SASL_LOGIN_MAX + 1], const char **error_r);

#endif
