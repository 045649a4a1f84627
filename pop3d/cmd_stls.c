/*
 * cmd_stls.c - STLS (RFC 2595 4), implicit TLS on the pop3s port (RFC
 * 8314) and the rule for passwords in clear.
 *
 * pop3d_tls_init/deinit (the process's TLS context
 * from main.cf), pop3d_tls_is_offered, pop3d_plaintext_allowed, cmd_stls,
 * pop3d_tls_begin and pop3d_tls_step (the handshake, then a fresh start).
 *
 * Levels (pop3d_tls_security_level): none or empty, no TLS; may, STLS is
 * offered when a certificate is configured; encrypt, as may, and no login
 * without TLS, loopback included (Dovecot's ssl = required).
 * pop3d_tls_wrappermode = yes starts TLS at connect, whatever the level.
 * The certificate is read once, when the process starts: a reload (new
 * processes) picks up a renewed one. Without a usable certificate "may"
 * goes on without STLS, while encrypt and wrapper mode are configuration
 * errors (the rule of tls_server_setup).
 *
 * SECURITY: nothing the client sent in plaintext survives STLS: commands
 * pipelined behind it are dropped unread (the CVE-2021-33515 and
 * CVE-2011-0411 injection), and after the handshake the session forgets
 * the USER name (RFC 2595 4: discard what was not obtained from the TLS
 * negotiation). Runs as mail_owner; the key file must be readable by it.
 */
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "pop3d/pop3d.h"

/* pop3d_tls_init - the TLS context of this process, if TLS is wanted */
void
pop3d_tls_init(struct pop3d *pd)
{
	const struct tls_server_conf conf = {
		.service = "pop3d",
		.level = param_pop3d_tls_security_level,
		.wrapper = param_pop3d_tls_wrappermode,
		.cert_file = param_pop3d_tls_cert_file,
		.key_file = param_pop3d_tls_key_file,
		.queue_dir = param_queue_directory,
	};

	pd->tls_wrapper = param_pop3d_tls_wrappermode;
	pd->tls = tls_server_setup(&conf, &pd->tls_level);
}

/* pop3d_tls_deinit - drop the context */
void
pop3d_tls_deinit(struct pop3d *pd)
{
	tls_ctx_free(&pd->tls);
}

/* pop3d_tls_is_offered - CAPA lists STLS */
bool
pop3d_tls_is_offered(const struct pop3d_session *s)
{
	return s->pd->tls != NULL && s->pd->tls_level != TLS_LEVEL_NONE &&
	       !stream_is_tls(&s->st) && s->state != POP3D_STATE_TRANSACTION;
}

/* pop3d_plaintext_allowed - whether a password may be sent here */
bool
pop3d_plaintext_allowed(const struct pop3d_session *s)
{
	if (stream_is_tls(&s->st))
		return true;
	if (s->pd->tls_level == TLS_LEVEL_ENCRYPT)
		return false;
	/* Dovecot treats loopback as secure: nobody can listen there. */
	return s->loopback || !param_disable_plaintext_auth;
}

/* cmd_stls - STLS (RFC 2595 4) */
void
cmd_stls(struct pop3d_session *s, struct pop3_cmd *cmd)
{
	(void)cmd;
	if (stream_is_tls(&s->st)) {
		pop3d_bad_command(s);
		pop3d_reply(s, "-ERR TLS is already active.");
		return;
	}
	if (!pop3d_tls_is_offered(s)) {
		pop3d_bad_command(s);
		pop3d_reply(s, "-ERR [SYS/PERM] TLS support isn't enabled.");
		return;
	}
	/* The session reads nothing more in plaintext and drops what it
	 * has (session.c), then starts TLS once this reply is out. */
	pop3d_reply(s, "+OK Begin TLS negotiation now.");
	s->state = POP3D_STATE_TLS_START;
}

/* pop3d_tls_begin - TLS under the session from the next byte on */
void
pop3d_tls_begin(struct pop3d_session *s)
{
	MR_ASSERT(s->pd->tls != NULL && !stream_is_tls(&s->st));
	MR_ASSERT(s->out.len == 0);
	stream_tls_start(&s->st, tls_conn_server(s->pd->tls, s->fd));
	s->state = POP3D_STATE_TLS;
}

/* tls_fresh_start - RFC 2595 4: forget what plaintext told us */
static void
tls_fresh_start(struct pop3d_session *s)
{
	mem_free(&s->user);
	s->method = NULL;
	buf_reset(&s->in);
	pop3_line_init(&s->framer, POP3_SASL_LINE_MAX);
	s->state = POP3D_STATE_AUTH;
}

/* pop3d_tls_step - one handshake step */
int
pop3d_tls_step(struct pop3d_session *s)
{
	char desc[TLS_DESCRIBE_MAX];
	int r = stream_handshake(&s->st);

	if (r == 0)
		return 0;
	if (r < 0) {
		snprintf(s->tls_error, sizeof(s->tls_error), "%s",
			 stream_error(&s->st));
		return -1;
	}
	tls_conn_describe(stream_tls(&s->st), desc, sizeof(desc));
	log_debug("TLS from %s: %s", s->addr, desc);
	tls_fresh_start(s);
	return 1;
}
