/*
 * main.c - pop3d: the POP3 server (RFC 1939, RFC 2449, RFC 5034).
 *
 * Wiring only: the session logic is in session.c and commands.c, logins
 * in cmd_auth.c and mailbox.c, TLS in cmd_stls.c, the multi-line answers
 * in cmd_retr.c.
 * Runs as mail_owner; reads the network (untrusted) and the Maildirs of
 * the users of the users table (lib/users.h), which the mail owner owns.
 * System users of a root instance are not served yet (docs/pop3d.md).
 */
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/server.h"
#include "pop3d/pop3d.h"

/* pop3d_init - per-process state once configuration is loaded */
static void
pop3d_init(struct server *srv)
{
	struct pop3d *pd = mem_alloc(sizeof(*pd));
	const char *error;

	pd->srv = srv;
	pd->users = users_new(param_user_database, "", USERS_SCHEME_YESCRYPT,
			      &error);
	if (pd->users == NULL)
		log_fatal_code(MR_EXIT_CONFIG, "user_database %s: %s",
			       param_user_database, error);
	/* One auth thread: it alone uses pd->users (lib/dict is not
	 * thread-safe), and crypt saturates a core anyway. */
	pd->auth_pool = workpool_new(server_loop(srv), 1);
	pd->mailbox_pool = workpool_new(server_loop(srv),
					POP3D_MAILBOX_THREADS);
	pd->delays = login_delay_new(LOGIN_DELAY_SLOTS);
	pd->login_cache = login_cache_new(LOGIN_CACHE_SLOTS);
	pop3d_tls_init(pd);
	server_set_ctx(srv, pd);
}

/* pop3d_deinit - release per-process state */
static void
pop3d_deinit(struct server *srv)
{
	struct pop3d *pd = server_ctx(srv);

	/* Jobs in flight finish (and are answered) before we go. */
	workpool_free(&pd->auth_pool);
	workpool_free(&pd->mailbox_pool);
	users_free(&pd->users);
	login_cache_free(&pd->login_cache);
	login_delay_free(&pd->delays);
	pop3d_tls_deinit(pd);
	mem_free(&pd);
}

static const struct server_def pop3d_def = {
	.name = "pop3d",
	.needs_root = false,
	.max_idle_s = 0,
	.init = pop3d_init,
	.accept = pop3d_session_accept,
	.deinit = pop3d_deinit,
};

int
main(int argc, char **argv)
{
	return server_main(argc, argv, &pop3d_def);
}
