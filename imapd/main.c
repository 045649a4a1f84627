/*
 * main.c - imapd: the IMAP4rev1 server (RFC 3501 and the extensions in
 * imapd.h).
 *
 * Wiring only: sessions in session.c, commands in commands.c and the
 * cmd_*.c files, jobs and shared mailboxes in jobs.c, the view and its
 * updates in view.c, the cache in cache.c. Runs as mail_owner; reads the
 * network (untrusted) and the Maildirs of the users of the users table
 * (lib/users.h), which the mail owner owns.
 */
#include <stdio.h>
#include <string.h>

#include "imapd/imapd.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/tls.h"

/* imapd_tls_init - the TLS context of this process, if TLS is wanted */
static void
imapd_tls_init(struct imapd *im)
{
	const struct tls_server_conf conf = {
		.service = "imapd",
		.level = param_imapd_tls_security_level,
		.wrapper = param_imapd_tls_wrappermode,
		.cert_file = param_imapd_tls_cert_file,
		.key_file = param_imapd_tls_key_file,
		.queue_dir = param_queue_directory,
	};

	im->tls = tls_server_setup(&conf, &im->tls_level);
}

/* imapd_init - per-process state once configuration is loaded */
static void
imapd_init(struct server *srv)
{
	struct imapd *im = mem_alloc(sizeof(*im));
	const char *error;

	im->srv = srv;
	im->inotify_fd = -1;
	im->users = users_new(param_user_database, "", USERS_SCHEME_YESCRYPT,
			      &error);
	if (im->users == NULL)
		log_fatal_code(MR_EXIT_CONFIG, "user_database %s: %s",
			       param_user_database, error);
	imapd_tls_init(im);
	/* One auth thread: it alone uses im->users (lib/dict is not
	 * thread-safe), and crypt saturates a core anyway. */
	im->auth_pool = workpool_new(server_loop(srv), 1);
	im->mail_pool = workpool_new(server_loop(srv), IMAPD_MAIL_THREADS);
	im->delays = login_delay_new(LOGIN_DELAY_SLOTS);
	im->login_cache = login_cache_new(LOGIN_CACHE_SLOTS);
	imapd_notify_init(im);
	server_set_ctx(srv, im);
}

/* imapd_deinit - release per-process state */
static void
imapd_deinit(struct server *srv)
{
	struct imapd *im = server_ctx(srv);

	/* Jobs in flight finish (and are answered) before we go. */
	workpool_free(&im->auth_pool);
	workpool_free(&im->mail_pool);
	imapd_notify_deinit(im);
	users_free(&im->users);
	login_delay_free(&im->delays);
	login_cache_free(&im->login_cache);
	tls_ctx_free(&im->tls);
	mem_free(&im);
}

static const struct server_def imapd_def = {
	.name = "imapd",
	.needs_root = false,
	.max_idle_s = 0,
	.init = imapd_init,
	.accept = imapd_session_accept,
	.drain = imapd_drain,
	.deinit = imapd_deinit,
};

int
main(int argc, char **argv)
{
	return server_main(argc, argv, &imapd_def);
}
