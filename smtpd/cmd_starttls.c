/*
 * cmd_starttls.c - STARTTLS (RFC 3207) and implicit TLS (RFC 8314).
 *
 * smtpd_tls_init/deinit (the process's TLS context from main.cf),
 * smtpd_tls_is_offered, smtpd_tls_is_required, cmd_starttls,
 * smtpd_tls_begin and smtpd_tls_step (the handshake, then a fresh start).
 *
 * Levels (smtpd_tls_security_level): none or empty, no TLS; may, STARTTLS
 * is offered; encrypt, every command but HELO, EHLO, STARTTLS, RSET, NOOP
 * and QUIT gets 530 5.7.0 before TLS. smtpd_tls_wrappermode=yes starts TLS
 * at connect, whatever the level. The certificate is read once, when the
 * process starts: a reload (new processes) picks up a renewed one.
 * Without a usable certificate "may" goes on without TLS (454 4.7.0 to
 * STARTTLS), while "encrypt" and wrapper mode are configuration errors,
 * as Postfix refuses to run them without certificates (the rule of
 * tls_server_setup).
 *
 * SECURITY: nothing the client sent in plaintext survives STARTTLS:
 * commands pipelined behind it are dropped (CVE-2011-0411), and after the
 * handshake the session forgets the EHLO name, the transaction and the
 * login (RFC 3207 4.2): the client must say EHLO again.
 */
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "smtpd/smtpd.h"

/* smtpd_tls_init - the TLS context of this process, if TLS is wanted */
void
smtpd_tls_init(struct smtpd *sd)
{
	const struct tls_server_conf conf = {
		.service = "smtpd",
		.level = param_smtpd_tls_security_level,
		.wrapper = param_smtpd_tls_wrappermode,
		.cert_file = param_smtpd_tls_cert_file,
		.key_file = param_smtpd_tls_key_file,
		.queue_dir = param_queue_directory,
	};

	sd->tls_wrapper = param_smtpd_tls_wrappermode;
	sd->tls = tls_server_setup(&conf, &sd->tls_level);
}

/* smtpd_tls_deinit - drop the context */
void
smtpd_tls_deinit(struct smtpd *sd)
{
	tls_ctx_free(&sd->tls);
}

/* smtpd_tls_is_offered - EHLO lists STARTTLS */
bool
smtpd_tls_is_offered(const struct smtpd_session *s)
{
	return s->sd->tls != NULL && s->sd->tls_level != TLS_LEVEL_NONE &&
	       !s->is_local && !stream_is_tls(&s->st);
}

/* smtpd_tls_is_required - commands need TLS first (level encrypt) */
bool
smtpd_tls_is_required(const struct smtpd_session *s)
{
	return s->sd->tls_level == TLS_LEVEL_ENCRYPT && !s->is_local &&
	       !stream_is_tls(&s->st);
}

/* cmd_starttls - STARTTLS (RFC 3207 4) */
void
cmd_starttls(struct smtpd_session *s, struct smtp_cmd *cmd)
{
	struct smtpd *sd = s->sd;

	(void)cmd;
	if (stream_is_tls(&s->st)) {
		smtpd_count(s, SMTPD_STAT_STARTTLS, false);
		smtpd_reply(s, "554 5.5.1 Error: TLS already active");
		return;
	}
	if (s->is_local || (sd->tls_level == TLS_LEVEL_NONE)) {
		smtpd_count(s, SMTPD_STAT_STARTTLS, false);
		smtpd_reply(s, "502 5.5.1 Error: command not implemented");
		return;
	}
	/* SECURITY: whatever was pipelined behind STARTTLS is dropped, with
	 * TLS or without (CVE-2011-0411). */
	s->discard_input = true;
	if (sd->tls == NULL) {
		smtpd_count(s, SMTPD_STAT_STARTTLS, false);
		smtpd_reply(s, "454 4.7.0 TLS not available due to local "
			       "problem");
		return;
	}
	smtpd_count(s, SMTPD_STAT_STARTTLS, true);
	smtpd_reply(s, "220 2.0.0 Ready to start TLS");
	s->state = SMTPD_STATE_TLS_START;
}

/* smtpd_tls_begin - TLS under the session from the next byte on */
void
smtpd_tls_begin(struct smtpd_session *s)
{
	MR_ASSERT(s->sd->tls != NULL && !stream_is_tls(&s->st));
	MR_ASSERT(s->out.len == 0);
	stream_tls_start(&s->st, tls_conn_server(s->sd->tls, s->fd));
	s->state = SMTPD_STATE_TLS;
}

/* tls_fresh_start - RFC 3207 4.2: forget what plaintext told us */
static void
tls_fresh_start(struct smtpd_session *s)
{
	mem_free(&s->helo);
	s->esmtp = false;
	smtpd_txn_reset(s);
	smtpd_auth_reset(s);
	buf_reset(&s->in);
	smtp_line_reset(&s->framer);
	s->state = SMTPD_STATE_CMD;
}

/* smtpd_tls_step - one handshake step */
int
smtpd_tls_step(struct smtpd_session *s)
{
	char peer[2 * SMTPD_NAME_MAX + 4];
	int r = stream_handshake(&s->st);

	if (r == 0)
		return 0;
	if (r < 0) {
		/* Postfix: "SSL_accept error from host[addr]: reason". */
		log_info("SSL_accept error from %s[%s]: %s", s->client_name,
			 s->client_addr, stream_error(&s->st));
		return -1;
	}
	snprintf(peer, sizeof(peer), "%s[%s]", s->client_name, s->client_addr);
	tls_log_established(stream_tls(&s->st), false, peer);
	tls_conn_describe(stream_tls(&s->st), s->tls_desc,
			  sizeof(s->tls_desc));
	tls_fresh_start(s);
	return 1;
}
