/*
 * mailroom_init.c - mailroom init: create an instance.
 *
 * mailroom -c DIR init [--base-port P] writes DIR/main.cf, DIR/master.cf,
 * DIR/aliases, a self-signed certificate for $myhostname in DIR/tls/
 * (cert.pem, and key.pem with mode 0600, owned by mail_owner so that the
 * daemons can read it) and the queue, data, mail and log directories.
 * Services listen on 127.0.0.1 at P plus the standard port (SMTP P+25,
 * submission P+587, SMTPS P+465, POP3 P+110, IMAP P+143, POP3S P+995,
 * IMAPS P+993; P defaults to 10000); only services whose daemon program is
 * installed are listed. Port 25 offers STARTTLS (level may) and no AUTH;
 * submission requires STARTTLS and offers AUTH, SMTPS is TLS from the
 * first byte with AUTH, like Postfix's commented master.cf examples. Run
 * by root, the daemons run as mail_owner and local delivers to system
 * users; run by anyone else, everything runs as that user. An existing
 * main.cf is never overwritten.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/dict.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/parse_num.h"
#include "lib/privs.h"
#include "lib/tls.h"
#include "tools/mailroom.h"

/* Largest base port: the highest offset (993) must stay below 65536. */
#define INIT_MAX_BASE_PORT (65535 - 995)
#define INIT_DEFAULT_BASE_PORT 10000
/* Generated files are small; this is a safety net. */
#define INIT_FILE_MAX (64 * 1024)

struct init_service {
	const char *name;	/* master.cf service name */
	unsigned offset;	/* port offset, 0 for unix services */
	const char *daemon;
	const char *private_col;
	const char *unpriv_col;
	const char *maxproc;
	const char *args;
};

/*
 * The default service table of an instance, in master.cf order.
 * "pickup" is the local submission socket of the sendmail command.
 */
static const struct init_service init_services[] = {
	{ "smtp", 25, "smtpd", "n", "-", "-", "" },
	{ "submission", 587, "smtpd", "n", "-", "-",
	  " -o syslog_name=mailroom/submission"
	  " -o smtpd_tls_security_level=encrypt"
	  " -o smtpd_sasl_auth_enable=yes" },
	{ "smtps", 465, "smtpd", "n", "-", "-",
	  " -o syslog_name=mailroom/smtps -o smtpd_tls_wrappermode=yes"
	  " -o smtpd_sasl_auth_enable=yes" },
	{ "pop3", 110, "pop3d", "n", "-", "-", "" },
	{ "pop3s", 995, "pop3d", "n", "-", "-", " -o pop3d_tls_wrappermode=yes" },
	{ "imap", 143, "imapd", "n", "-", "-", "" },
	{ "imaps", 993, "imapd", "n", "-", "-", " -o imapd_tls_wrappermode=yes" },
	{ "pickup", 0, "smtpd", "n", "-", "1", "" },
	{ "qmgr", 0, "qmgr", "-", "-", "1", "" },
	{ "smtp", 0, "smtp", "-", "-", "1", "" },
	{ "local", 0, "local", "-", "n", "1", "" },
};

/* init_daemon_exists - whether daemon_directory has the program */
static bool
init_daemon_exists(const char *daemon)
{
	char *path = mem_asprintf("%s/%s", param_daemon_directory, daemon);
	bool ok = access(path, X_OK) == 0;

	mem_free(&path);
	return ok;
}

/* init_write - write one generated file */
static int
init_write(const char *dir, const char *name, struct buf *content,
	   mode_t mode)
{
	char *path = mem_asprintf("%s/%s", dir, name);
	int rc = io_atomic_replace(path, content->data, content->len, mode);

	if (rc < 0)
		fprintf(stderr, "mailroom: write %s: %s\n", path,
			strerror(errno));
	mem_free(&path);
	return rc;
}

/*
 * init_certificate - a self-signed certificate for $myhostname; the key
 * belongs to mail_owner, who runs the daemons that read it
 */
static int
init_certificate(const char *dir, const char *owner)
{
	char err[TLS_ERROR_MAX + 2 * PATH_MAX];
	char *tls_dir = mem_asprintf("%s/tls", dir);
	char *cert = mem_asprintf("%s/cert.pem", tls_dir);
	char *key = mem_asprintf("%s/key.pem", tls_dir);
	const char *error;
	uid_t uid;
	gid_t gid;
	int rc = -1;

	if (io_mkdir_p(tls_dir, 0755) < 0) {
		fprintf(stderr, "mailroom: %s: %s\n", tls_dir,
			strerror(errno));
		goto out;
	}
	if (tls_make_self_signed(param_myhostname, cert, key, err,
				 sizeof(err)) < 0) {
		fprintf(stderr, "mailroom: certificate: %s\n", err);
		goto out;
	}
	if (privs_is_root()) {
		if (privs_lookup(owner, &uid, &gid, &error) < 0) {
			fprintf(stderr,
				"mailroom: mail_owner %s: %s (%s stays "
				"root's: the daemons cannot read it)\n",
				owner, error, key);
		} else if (chown(key, uid, gid) < 0) {
			fprintf(stderr, "mailroom: chown %s: %s\n", key,
				strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	mem_free(&tls_dir);
	mem_free(&cert);
	mem_free(&key);
	return rc;
}

/* init_main_cf - the instance's main.cf */
static void
init_main_cf(struct buf *b, const char *dir, const char *owner)
{
	buf_printf(b,
		   "# main.cf of the mailroom instance in %s, written by "
		   "`mailroom init`.\n"
		   "# Every parameter: docs/configuration.md; effective "
		   "values: mailroom -c %s config\n"
		   "queue_directory = %s/queue\n"
		   "data_directory = %s/data\n"
		   "mail_owner = %s\n"
		   "maillog_file = %s/log/maillog\n"
		   "inet_interfaces = 127.0.0.1\n"
		   "mynetworks = 127.0.0.0/8\n"
		   "alias_maps = hash:%s/aliases\n"
		   "alias_database = hash:%s/aliases\n"
		   "home_mailbox = Maildir/\n"
		   "virtual_mailbox_base = %s/mail\n"
		   "smtpd_tls_cert_file = %s/tls/cert.pem\n"
		   "smtpd_tls_key_file = %s/tls/key.pem\n"
		   "smtpd_tls_security_level = may\n",
		   dir, dir, dir, dir, owner, dir, dir, dir, dir, dir, dir);
	/* Without root, local cannot deliver to system users. */
	if (!privs_is_root())
		buf_printf(b, "local_recipient_maps = $alias_maps "
			      "$user_database\n");
}

/* init_master_cf - the instance's service table */
static void
init_master_cf(struct buf *b, unsigned base)
{
	size_t i;

	buf_printf(b, "# master.cf: the services of this instance "
		      "(docs/services.md).\n"
		      "# service                type  private unpriv chroot "
		      "wakeup maxproc command + args\n");
	for (i = 0; i < sizeof(init_services) / sizeof(init_services[0]);
	     i++) {
		const struct init_service *s = &init_services[i];
		char name[64];

		if (!init_daemon_exists(s->daemon))
			continue;
		if (s->offset != 0)
			snprintf(name, sizeof(name), "127.0.0.1:%u",
				 base + s->offset);
		else
			snprintf(name, sizeof(name), "%s", s->name);
		buf_printf(b, "%-24s %-5s %-7s %-6s %-6s %-6s %-7s %s%s\n",
			   name, s->offset != 0 ? "inet" : "unix",
			   s->private_col, s->unpriv_col, "n", "-", s->maxproc,
			   s->daemon, s->args);
	}
}

/* mailroom_cmd_init - create an instance */
int
mailroom_cmd_init(struct mailroom_cli *cli, int argc, char **argv)
{
	char dir[PATH_MAX], *path;
	uint64_t base = INIT_DEFAULT_BASE_PORT;
	const char *owner = "mailroom";
	struct passwd *pw;
	struct buf b;
	struct stat st;
	int rc = 1;
	static const char *const subdirs[] = { "data", "mail", "log" };
	size_t i;
	char *no_overrides[] = { NULL };
	const char *error;

	if (argc == 2 && strcmp(argv[0], "--base-port") == 0) {
		if (parse_uint(argv[1], 1024, INIT_MAX_BASE_PORT, &base) < 0) {
			fprintf(stderr, "mailroom: bad base port %s "
					"(1024..%d)\n",
				log_safe_str(argv[1]), INIT_MAX_BASE_PORT);
			return MR_EXIT_USAGE;
		}
	} else if (argc != 0) {
		fprintf(stderr, "usage: mailroom init [--base-port P]\n");
		return MR_EXIT_USAGE;
	}
	if (io_mkdir_p(cli->config_dir, 0755) < 0 ||
	    realpath(cli->config_dir, dir) == NULL) {
		fprintf(stderr, "mailroom: %s: %s\n", cli->config_dir,
			strerror(errno));
		return 1;
	}
	path = mem_asprintf("%s/main.cf", dir);
	if (stat(path, &st) == 0) {
		fprintf(stderr, "mailroom: %s exists; not overwriting\n",
			path);
		mem_free(&path);
		return 1;
	}
	mem_free(&path);
	if (!privs_is_root()) {
		pw = getpwuid(geteuid());
		if (pw == NULL) {
			fprintf(stderr, "mailroom: who am I? (uid %ld)\n",
				(long)geteuid());
			return 1;
		}
		owner = pw->pw_name;
	}
	/* Defaults (daemon_directory above all) come from the parameter
	 * table: load it with an empty main.cf first. */
	buf_init(&b, INIT_FILE_MAX);
	if (config_load_string("", 0, "main.cf", no_overrides, &error) < 0) {
		fprintf(stderr, "mailroom: %s\n", error);
		goto out;
	}
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		char *sub = mem_asprintf("%s/%s", dir, subdirs[i]);

		if (io_mkdir_p(sub, 0755) < 0) {
			fprintf(stderr, "mailroom: %s: %s\n", sub,
				strerror(errno));
			mem_free(&sub);
			goto out;
		}
		mem_free(&sub);
	}
	init_master_cf(&b, (unsigned)base);
	if (init_write(dir, "master.cf", &b, 0644) < 0)
		goto out;
	buf_reset(&b);
	buf_printf(&b, "# aliases: local aliases of this instance "
		       "(aliases(5) syntax); rebuild with newaliases.\n"
		       "postmaster: %s\n",
		   privs_is_root() ? "root" : owner);
	if (init_write(dir, "aliases", &b, 0644) < 0)
		goto out;
	path = mem_asprintf("hash:%s/aliases", dir);
	if (dict_build(path, DICT_SYNTAX_ALIASES, DICT_FLAGS_DEFAULT, NULL,
		       &error) < 0) {
		fprintf(stderr, "mailroom: %s\n", error);
		mem_free(&path);
		goto out;
	}
	mem_free(&path);
	if (init_certificate(dir, owner) < 0)
		goto out;
	buf_reset(&b);
	init_main_cf(&b, dir, owner);
	if (init_write(dir, "main.cf", &b, 0644) < 0)
		goto out;
	printf("mailroom: instance created in %s (SMTP on 127.0.0.1:%u)\n",
	       dir, (unsigned)base + 25);
	rc = 0;
out:
	buf_deinit(&b);
	config_deinit();
	return rc;
}
