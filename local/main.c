/*
 * main.c - local: the local delivery agent (Postfix local(8) class).
 *
 * Wiring only: qmgr connections are served in forked children
 * (session.c), recipients resolved and delivered in deliver.c, pure
 * decisions in resolve.c. Runs as root in a root instance (needs_root):
 * the per-delivery children drop to the recipient's ids; in a non-root
 * instance everything runs as the invoking user. docs/local.md.
 */
#include <signal.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/users.h"
#include "lib/dict.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/privs.h"
#include "lib/str.h"
#include "local/local.h"

/* local_lower_list - a list parameter, lower-cased */
static char **
local_lower_list(const char *value)
{
	char **list = str_split(value, PARAM_LIST_SEPARATORS "\r\n", NULL);
	char **p;

	for (p = list; *p != NULL; p++)
		str_lower(*p);
	return list;
}

/* local_config_init - the parameters local uses, parsed once */
void
local_config_init(struct local_config *cfg)
{
	const char *error;

	cfg->mydestination = local_lower_list(param_mydestination);
	cfg->virtual_domains = local_lower_list(param_virtual_mailbox_domains);
	cfg->alias_maps = str_split(param_alias_maps,
				    PARAM_LIST_SEPARATORS "\r\n", NULL);
	cfg->allow_commands = local_lower_list(param_allow_mail_to_commands);
	cfg->allow_files = local_lower_list(param_allow_mail_to_files);
	cfg->delimiter = param_recipient_delimiter;
	cfg->is_root = privs_is_root();
	cfg->self_uid = getuid();
	cfg->cache = mem_alloc(sizeof(*cfg->cache));
	if (privs_lookup(param_mail_owner, &cfg->owner_uid, &cfg->owner_gid,
			 &error) < 0)
		log_fatal_code(MR_EXIT_CONFIG, "mail_owner %s: %s",
			       param_mail_owner, error);
}

/* local_config_deinit - release the lists */
void
local_config_deinit(struct local_config *cfg)
{
	str_split_free(&cfg->mydestination);
	str_split_free(&cfg->virtual_domains);
	str_split_free(&cfg->alias_maps);
	str_split_free(&cfg->allow_commands);
	str_split_free(&cfg->allow_files);
	if (cfg->cache != NULL) {
		size_t i;

		for (i = 0; i < cfg->cache->map_count; i++)
			if (cfg->cache->maps[i] != NULL)
				dict_close(&cfg->cache->maps[i]);
		mem_free(&cfg->cache->maps);
		if (cfg->cache->users != NULL)
			users_free(&cfg->cache->users);
		mem_free(&cfg->cache);
	}
}

/* local_on_sigchld - reap connection children */
static void
local_on_sigchld(void *ctx, int signo)
{
	(void)signo;
	local_session_reap(ctx);
}

/* local_init - per-process state once configuration is loaded */
static void
local_init(struct server *srv)
{
	struct local_config *cfg = mem_alloc(sizeof(*cfg));

	/* A file size limit must fail a write (and defer), not kill us. */
	signal(SIGXFSZ, SIG_IGN);
	local_config_init(cfg);
	server_set_ctx(srv, cfg);
	event_signal_add(server_loop(srv), SIGCHLD, local_on_sigchld, srv);
}

/* local_deinit - release per-process state */
static void
local_deinit(struct server *srv)
{
	struct local_config *cfg = server_ctx(srv);

	local_config_deinit(cfg);
	mem_free(&cfg);
}

static const struct server_def local_def = {
	.name = "local",
	.needs_root = true,
	.max_idle_s = 0,
	.init = local_init,
	.accept = local_session_accept,
	.deinit = local_deinit,
};

int
main(int argc, char **argv)
{
	return server_main(argc, argv, &local_def);
}
