/*
 * main.c - smtp: the SMTP delivery client (RFC 5321, with PIPELINING,
 * SIZE, 8BITMIME, SMTPUTF8, DSN and STARTTLS).
 *
 * Wiring only: qmgr connections in agent.c, deliveries in deliver.c, the
 * protocol in session.c. Runs as mail_owner; talks to the network
 * (untrusted) and reads the queue.
 */
#include <string.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/server.h"
#include "lib/str.h"
#include "lib/tls.h"
#include "smtp/smtp.h"

/* smtp_tls_level_parse - smtp_tls_security_level */
static int
smtp_tls_level_parse(const char *text, enum smtp_tls_level *level_r)
{
	if (text == NULL || *text == '\0' || strcmp(text, "none") == 0)
		*level_r = SMTP_TLS_NONE;
	else if (strcmp(text, "may") == 0)
		*level_r = SMTP_TLS_MAY;
	else if (strcmp(text, "encrypt") == 0)
		*level_r = SMTP_TLS_ENCRYPT;
	else if (strcmp(text, "verify") == 0 || strcmp(text, "secure") == 0)
		*level_r = SMTP_TLS_VERIFY;
	else
		return -1;
	return 0;
}

/* smtp_families - inet_protocols to DNS_FAMILY_* */
static unsigned
smtp_families(const char *value)
{
	char **list = str_split(value != NULL ? value : "all",
				PARAM_LIST_SEPARATORS, NULL);
	unsigned f = 0;
	char **p;

	for (p = list; *p != NULL; p++) {
		if (strcmp(*p, "all") == 0)
			f |= DNS_FAMILY_INET4 | DNS_FAMILY_INET6;
		else if (strcmp(*p, "ipv4") == 0)
			f |= DNS_FAMILY_INET4;
		else if (strcmp(*p, "ipv6") == 0)
			f |= DNS_FAMILY_INET6;
	}
	str_split_free(&list);
	return f != 0 ? f : DNS_FAMILY_INET4 | DNS_FAMILY_INET6;
}

/* smtp_init - per-process state once configuration is loaded */
static void
smtp_init(struct server *srv)
{
	struct smtp_server *sv = mem_alloc(sizeof(*sv));
	const char *error;
	char err[512];

	sv->srv = srv;
	sv->loop = server_loop(srv);
	sv->helo_name = param_smtp_helo_name;
	sv->port = (unsigned)param_smtp_port;
	sv->families = smtp_families(param_inet_protocols);
	sv->self = smtp_self_new();
	if (smtp_tls_level_parse(param_smtp_tls_security_level,
				 &sv->tls_level) < 0)
		log_fatal_code(MR_EXIT_CONFIG,
			       "smtp_tls_security_level: unknown level \"%s\"",
			       param_smtp_tls_security_level);
	sv->dns = dns_resolver_new(sv->loop, param_smtp_dns_servers,
				   (unsigned)param_smtp_dns_timeout * 1000, 2,
				   &error);
	if (sv->dns == NULL)
		log_fatal_code(MR_EXIT_CONFIG, "DNS resolver: %s", error);
	if (sv->tls_level != SMTP_TLS_NONE) {
		sv->tls = tls_client_ctx_new(param_smtp_tls_CAfile, err,
					     sizeof(err));
		if (sv->tls == NULL)
			log_fatal_code(MR_EXIT_CONFIG, "TLS client: %s", err);
	}
	server_set_ctx(srv, sv);
}

/* smtp_deinit - release per-process state */
static void
smtp_deinit(struct server *srv)
{
	struct smtp_server *sv = server_ctx(srv);

	smtp_session_close_cache(sv);
	dns_resolver_free(&sv->dns);
	smtp_self_free(&sv->self);
	if (sv->tls != NULL)
		tls_ctx_free(&sv->tls);
	mem_free(&sv);
}

static const struct server_def smtp_def = {
	.name = "smtp",
	.needs_root = false,
	.max_idle_s = 0,
	.init = smtp_init,
	.accept = smtp_agent_accept,
	.deinit = smtp_deinit,
};

int
main(int argc, char **argv)
{
	return server_main(argc, argv, &smtp_def);
}
