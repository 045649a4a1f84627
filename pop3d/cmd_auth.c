/*
 * cmd_auth.c - the AUTHORIZATION state: USER, PASS (RFC 1939 7), AUTH
 * PLAIN with and without an initial response (RFC 5034, RFC 4616), and
 * CAPA (RFC 2449 5).
 *
 * SECURITY: names and passwords come from an unauthenticated client.
 * Passwords are never logged and are wiped from our copies once the
 * auth worker has them. A password is accepted only where
 * pop3d_plaintext_allowed (cmd_stls.c) says so: over TLS, or from
 * loopback (as Dovecot treats it) unless the TLS level is encrypt, or
 * anywhere with disable_plaintext_auth = no. Names are logged only
 * through log_safe.
 */
#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "pop3d/pop3d.h"

/* Dovecot's wording, which clients and users recognise. */
#define PLAINTEXT_REFUSED                                                   \
	"-ERR [AUTH] Plaintext authentication disallowed on non-secure "    \
	"(SSL/TLS) connections."

/* pop3d_capa - the capability list for the session's state */
void
pop3d_capa(struct pop3d_session *s)
{
	pop3d_reply(s, "+OK Capability list follows");
	pop3d_reply(s, "CAPA");
	pop3d_reply(s, "TOP");
	pop3d_reply(s, "UIDL");
	pop3d_reply(s, "RESP-CODES");
	pop3d_reply(s, "AUTH-RESP-CODE");
	pop3d_reply(s, "PIPELINING");
	/* RFC 2595 4: STLS only in AUTHORIZATION and before TLS. RFC 2449
	 * 6.3, 6.4: USER and SASL only where they can be used (Dovecot
	 * leaves them out where a password would be refused). */
	if (pop3d_tls_is_offered(s))
		pop3d_reply(s, "STLS");
	if (s->state != POP3D_STATE_TRANSACTION && pop3d_plaintext_allowed(s)) {
		pop3d_reply(s, "USER");
		pop3d_reply(s, "SASL PLAIN");
	}
	pop3d_reply(s, "IMPLEMENTATION %s", param_mail_name);
	pop3d_reply(s, ".");
}

/* cmd_user - USER name */
void
cmd_user(struct pop3d_session *s, struct pop3_cmd *cmd)
{
	if (!pop3d_plaintext_allowed(s)) {
		pop3d_bad_command(s);
		pop3d_reply(s, PLAINTEXT_REFUSED);
		return;
	}
	mem_free(&s->user);
	s->user = mem_strdup(cmd->args[0]);
	pop3d_reply(s, "+OK");
}

/* cmd_pass - PASS password */
void
cmd_pass(struct pop3d_session *s, struct pop3_cmd *cmd)
{
	if (!pop3d_plaintext_allowed(s)) {
		pop3d_bad_command(s);
		pop3d_reply(s, PLAINTEXT_REFUSED);
		return;
	}
	if (s->user == NULL) {
		pop3d_bad_command(s);
		pop3d_reply(s, "-ERR No username given.");
		return;
	}
	pop3d_login_start(s, s->user, cmd->args[0], "USER");
}

/* sasl_plain_login - decode a PLAIN response and log in with it */
static void
sasl_plain_login(struct pop3d_session *s, const char *b64, size_t len)
{
	struct sasl_plain sp;
	const char *error;

	/* RFC 5034 4: "=" is an empty initial response. */
	if (len == 1 && b64[0] == '=')
		len = 0;
	if (sasl_plain_decode(b64, len, &sp, &error) < 0) {
		explicit_bzero(&sp, sizeof(sp));
		pop3d_bad_command(s);
		pop3d_reply(s, "-ERR [AUTH] Invalid AUTH PLAIN response (%s).",
			    error);
		return;
	}
	mem_free(&s->user);
	s->user = mem_strdup(sp.authcid);
	/* No proxy logins: the password check fails. */
	if (sasl_plain_is_proxy(&sp))
		pop3d_login_start(s, sp.authcid, "", "PLAIN");
	else
		pop3d_login_start(s, sp.authcid, sp.passwd, "PLAIN");
	explicit_bzero(&sp, sizeof(sp));
}

/* cmd_auth - AUTH [mechanism [initial-response]] */
void
cmd_auth(struct pop3d_session *s, struct pop3_cmd *cmd)
{
	if (cmd->argc == 0) {
		/* The pre-RFC 5034 form clients use to list mechanisms. */
		pop3d_reply(s, "+OK");
		if (pop3d_plaintext_allowed(s))
			pop3d_reply(s, "PLAIN");
		pop3d_reply(s, ".");
		return;
	}
	if (strcasecmp(cmd->args[0], "PLAIN") != 0) {
		pop3d_bad_command(s);
		pop3d_reply(s, "-ERR [AUTH] Unsupported authentication "
			       "mechanism.");
		return;
	}
	if (!pop3d_plaintext_allowed(s)) {
		pop3d_bad_command(s);
		pop3d_reply(s, PLAINTEXT_REFUSED);
		return;
	}
	if (cmd->argc == 2) {
		sasl_plain_login(s, cmd->args[1], strlen(cmd->args[1]));
		return;
	}
	s->state = POP3D_STATE_SASL;
	pop3d_reply(s, "+ ");
}

/* pop3d_sasl_response - the line after "+ " */
void
pop3d_sasl_response(struct pop3d_session *s, const uint8_t *line, size_t len)
{
	char b64[POP3_SASL_LINE_MAX];

	s->state = POP3D_STATE_AUTH;
	if (len == 1 && line[0] == '*') {
		pop3d_reply(s, "-ERR [AUTH] Authentication aborted.");
		return;
	}
	MR_ASSERT(len < sizeof(b64));
	memcpy(b64, line, len);
	b64[len] = '\0';
	sasl_plain_login(s, b64, len);
	explicit_bzero(b64, sizeof(b64));
}
