/*
 * main.c - smtpd: the SMTP server (RFC 5321 with ESMTP extensions).
 *
 * Wiring only: the session logic is in session.c and commands.c, the verbs
 * with real work in cmd_*.c, recipient decisions in policy.c. Runs as
 * mail_owner; reads the network (untrusted) and writes the queue.
 */
#include "lib/mem.h"
#include "lib/server.h"
#include "lib/workpool.h"
#include "smtpd/smtpd.h"

/* smtpd_init - per-process state once configuration is loaded */
static void
smtpd_init(struct server *srv)
{
	struct smtpd *sd = mem_alloc(sizeof(*sd));

	sd->srv = srv;
	smtpd_policy_init(sd);
	smtpd_tls_init(sd);
	sd->pool = workpool_new(server_loop(srv), SMTPD_COMMIT_THREADS);
	server_set_ctx(srv, sd);
}

/* smtpd_deinit - release per-process state */
static void
smtpd_deinit(struct server *srv)
{
	struct smtpd *sd = server_ctx(srv);

	/* Commits in flight finish (and are answered) before we go. */
	workpool_free(&sd->pool);
	smtpd_tls_deinit(sd);
	smtpd_policy_deinit(sd);
	mem_free(&sd);
}

static const struct server_def smtpd_def = {
	.name = "smtpd",
	.needs_root = false,
	.max_idle_s = 0,
	.init = smtpd_init,
	.accept = smtpd_session_accept,
	.deinit = smtpd_deinit,
};

int
main(int argc, char **argv)
{
	return server_main(argc, argv, &smtpd_def);
}
