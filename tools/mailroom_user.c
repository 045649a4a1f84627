/*
 * mailroom_user.c - mailroom user: manage the users table.
 *
 * mailroom user add NAME      new user; password from stdin or prompted
 * mailroom user passwd NAME   new password
 * mailroom user del NAME      remove the user (the mail stays on disk)
 * mailroom user list          "NAME MAILDIR" per user, sorted by name
 *
 * NAME without a domain is a local user of every mydestination domain;
 * NAME@DOMAIN is a virtual user and DOMAIN must be in
 * virtual_mailbox_domains. The table and the Maildir rules are in
 * lib/users.h and docs/users.md.
 *
 * Untrusted input: NAME (validated by lib/users before it touches the
 * table or the file system) and the password: one line of standard input
 * when that is not a terminal (at most USER_PASSWORD_LINE_MAX octets, the
 * newline and a CR before it dropped), otherwise typed twice without echo.
 * Passwords are wiped from memory after use and never logged.
 *
 * Privilege: the invoking user's. Run by root, new Maildir directories and
 * the table file go to mail_owner, so the daemons (which run as
 * mail_owner) can read them.
 *
 * Exit codes: 0 done, 1 failure (message on stderr), 64 usage, 78 bad
 * configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/params.h"
#include "lib/privs.h"
#include "lib/str.h"
#include "lib/users.h"
#include "tools/mailroom.h"

/* Longest password line accepted on standard input or typed. */
#define USER_PASSWORD_LINE_MAX 1024

/* user_usage - the sub-command summary */
static int
user_usage(void)
{
	fprintf(stderr, "usage: mailroom user add NAME\n"
			"       mailroom user passwd NAME\n"
			"       mailroom user del NAME\n"
			"       mailroom user list\n");
	return MR_EXIT_USAGE;
}

/* user_open - the users table of the loaded configuration, or exit */
static struct users *
user_open(void)
{
	enum users_scheme scheme;
	const char *error;
	struct users *u;

	if (users_scheme_parse(param_user_password_scheme, &scheme) < 0) {
		fprintf(stderr, "mailroom: user_password_scheme: unknown "
				"scheme \"%s\" (yescrypt or sha512)\n",
			log_safe_str(param_user_password_scheme));
		exit(MR_EXIT_CONFIG);
	}
	u = users_new(param_user_database, param_virtual_mailbox_base, scheme,
		      &error);
	if (u == NULL) {
		fprintf(stderr, "mailroom: user_database: %s\n", error);
		exit(MR_EXIT_CONFIG);
	}
	return u;
}

/*
 * user_domain_listed - whether domain is in virtual_mailbox_domains: a
 * list of domains and TYPE:PATH tables (Postfix allows both). Returns 1,
 * 0, or -1 after printing why a table could not be read.
 */
static int
user_domain_listed(const char *domain)
{
	const char *value, *error;
	struct dict *d;
	char **items;
	size_t count, i;
	int rc = 0;

	items = str_split(param_virtual_mailbox_domains,
			  PARAM_LIST_SEPARATORS, &count);
	for (i = 0; i < count && rc == 0; i++) {
		if (strchr(items[i], ':') == NULL) {
			rc = str_eq_ci(items[i], domain) ? 1 : 0;
			continue;
		}
		d = dict_open(items[i], DICT_FLAG_FOLD_CASE, &error);
		if (d != NULL)
			rc = dict_lookup(d, domain, &value, &error);
		if (d == NULL || rc < 0) {
			fprintf(stderr, "mailroom: virtual_mailbox_domains: "
					"%s\n",
				error);
			rc = -1;
		}
		dict_close(&d);
	}
	str_split_free(&items);
	return rc;
}

/*
 * user_check_name - fold and check NAME for a sub-command; with
 * check_domain (add), a virtual user's domain must be a virtual mailbox
 * domain. Returns 0 or -1 after printing why.
 */
static int
user_check_name(const char *arg, bool check_domain,
		char canon[USERS_NAME_MAX + 1])
{
	const char *domain;
	int rc;

	if (strnlen(arg, USERS_NAME_MAX + 1) > USERS_NAME_MAX) {
		fprintf(stderr, "mailroom: user name too long\n");
		return -1;
	}
	snprintf(canon, USERS_NAME_MAX + 1, "%s", arg);
	str_lower(canon);
	if (!users_is_valid_name(canon)) {
		fprintf(stderr,
			"mailroom: invalid user name \"%s\": expected NAME "
			"or NAME@DOMAIN, NAME of 1 to %d letters, digits and "
			"._+- (not starting with . or -, no ..)\n",
			log_safe_str(arg), USERS_LOCAL_MAX);
		return -1;
	}
	domain = users_name_domain(canon);
	if (domain == NULL || !check_domain)
		return 0;
	rc = user_domain_listed(domain);
	if (rc == 0)
		fprintf(stderr,
			"mailroom: %s is not in virtual_mailbox_domains "
			"(virtual users need a virtual mailbox domain; a "
			"local user has no @DOMAIN)\n",
			domain);
	return rc == 1 ? 0 : -1;
}

/*
 * user_read_line - one line from fd into out (size >= max + 2): the
 * newline and a CR before it dropped. Returns the length, or -1 after
 * printing why (nothing to read, too long, a NUL byte).
 */
static int
user_read_line(int fd, char *out, size_t size, size_t max)
{
	size_t len = 0;
	ssize_t n;
	char c;

	MR_ASSERT(size >= max + 2);
	for (;;) {
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "mailroom: read password: %s\n",
				strerror(errno));
			return -1;
		}
		if (n == 0 || c == '\n')
			break;
		if (c == '\0' || len > max) {
			fprintf(stderr, "mailroom: password %s\n",
				c == '\0' ? "contains a NUL byte"
					  : "line too long");
			return -1;
		}
		out[len++] = c;
	}
	if (n == 0 && len == 0) {
		fprintf(stderr, "mailroom: no password on standard input\n");
		return -1;
	}
	if (len > 0 && out[len - 1] == '\r')
		len--;
	if (len > max) {
		fprintf(stderr, "mailroom: password line too long\n");
		return -1;
	}
	out[len] = '\0';
	return (int)len;
}

/* user_prompt - prompt on stderr and read one line without echo */
static int
user_prompt(const char *prompt, char *out, size_t size)
{
	struct termios saved, quiet;
	int rc;

	if (tcgetattr(STDIN_FILENO, &saved) < 0) {
		fprintf(stderr, "mailroom: terminal: %s\n", strerror(errno));
		return -1;
	}
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	/* Echo off before the prompt: TCSAFLUSH drops what was typed ahead
	 * (with echo), nothing typed after the prompt. */
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) < 0) {
		fprintf(stderr, "mailroom: terminal: %s\n", strerror(errno));
		return -1;
	}
	fputs(prompt, stderr);
	fflush(stderr);
	rc = user_read_line(STDIN_FILENO, out, size, USER_PASSWORD_LINE_MAX);
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	fputc('\n', stderr);
	return rc;
}

/*
 * user_read_password - the new password into out (size >=
 * USER_PASSWORD_LINE_MAX + 2): from standard input, or typed twice on a
 * terminal. Returns 0, or -1 after printing why.
 */
static int
user_read_password(char *out, size_t size)
{
	char again[USER_PASSWORD_LINE_MAX + 2];
	int rc = 0;

	if (!isatty(STDIN_FILENO))
		return user_read_line(STDIN_FILENO, out, size,
				      USER_PASSWORD_LINE_MAX) < 0
			       ? -1
			       : 0;
	if (user_prompt("Password: ", out, size) < 0 ||
	    user_prompt("Retype password: ", again, sizeof(again)) < 0)
		rc = -1;
	else if (strcmp(out, again) != 0) {
		fprintf(stderr, "mailroom: passwords do not match\n");
		rc = -1;
	}
	explicit_bzero(again, sizeof(again));
	return rc;
}

/*
 * user_give_to_owner - as root, give path to mail_owner (no symlink
 * followed). Returns 0, or -1 after printing why.
 */
static int
user_give_to_owner(const char *path, uid_t uid, gid_t gid)
{
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fchown(fd, uid, gid) < 0) {
		fprintf(stderr, "mailroom: chown %s: %s\n", path,
			strerror(errno));
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * user_owner - mail_owner's ids when run as root. Returns 1 with the ids,
 * 0 when not root, -1 after printing why.
 */
static int
user_owner(uid_t *uid_r, gid_t *gid_r)
{
	const char *error;

	if (!privs_is_root())
		return 0;
	if (privs_lookup(param_mail_owner, uid_r, gid_r, &error) < 0) {
		fprintf(stderr, "mailroom: mail_owner: %s\n", error);
		return -1;
	}
	return 1;
}

/* user_add - mailroom user add NAME */
static int
user_add(struct users *u, const char *canon)
{
	char password[USER_PASSWORD_LINE_MAX + 2];
	struct users_entry e;
	const char *error;
	uid_t uid = 0;
	gid_t gid = 0;
	int owner, rc;

	if ((owner = user_owner(&uid, &gid)) < 0 ||
	    user_read_password(password, sizeof(password)) < 0)
		return 1;
	rc = users_add(u, canon, password, &e, &error);
	explicit_bzero(password, sizeof(password));
	if (rc < 0) {
		fprintf(stderr, "mailroom: %s\n", error);
		return 1;
	}
	if (owner == 1 &&
	    user_give_to_owner(users_db_path(u), uid, gid) < 0)
		return 1;
	if (users_maildir_create(u, &e, owner == 1, uid, gid, &error) < 0) {
		fprintf(stderr,
			"mailroom: user %s added, but its Maildir could not "
			"be made: %s\n",
			e.name, error);
		return 1;
	}
	return 0;
}

/* user_passwd - mailroom user passwd NAME */
static int
user_passwd(struct users *u, const char *canon)
{
	char password[USER_PASSWORD_LINE_MAX + 2];
	struct users_entry e;
	const char *error;
	int rc;

	/* Say "no such user" before asking for a password. */
	rc = users_lookup(u, canon, &e, &error);
	if (rc <= 0) {
		if (rc < 0)
			fprintf(stderr, "mailroom: %s\n", error);
		else
			fprintf(stderr, "mailroom: no such user: %s\n", canon);
		return 1;
	}
	if (user_read_password(password, sizeof(password)) < 0)
		return 1;
	rc = users_passwd(u, canon, password, &error);
	explicit_bzero(password, sizeof(password));
	if (rc < 0) {
		fprintf(stderr, "mailroom: %s\n", error);
		return 1;
	}
	return 0;
}

/* user_list_print - users_list callback: one line per user */
static int
user_list_print(void *ctx, const struct users_entry *e)
{
	(void)ctx;
	/* The Maildir last: it may hold spaces. */
	printf("%s %s\n", e->name, e->maildir);
	return 0;
}

/* mailroom_cmd_user - mailroom user SUBCOMMAND */
int
mailroom_cmd_user(struct mailroom_cli *cli, int argc, char **argv)
{
	char canon[USERS_NAME_MAX + 1];
	const char *error;
	struct users *u;
	int rc = 1;

	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		mailroom_load_config(cli);
		u = user_open();
		if (users_list(u, user_list_print, NULL, &error) < 0)
			fprintf(stderr, "mailroom: %s\n", error);
		else
			rc = 0;
		if (fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(stderr, "mailroom: write: %s\n",
				strerror(errno));
			rc = 1;
		}
		users_free(&u);
		config_deinit();
		return rc;
	}
	if (argc != 2 || (strcmp(argv[0], "add") != 0 &&
			  strcmp(argv[0], "passwd") != 0 &&
			  strcmp(argv[0], "del") != 0))
		return user_usage();
	mailroom_load_config(cli);
	if (user_check_name(argv[1], strcmp(argv[0], "add") == 0, canon) <
	    0) {
		config_deinit();
		return 1;
	}
	u = user_open();
	if (strcmp(argv[0], "add") == 0)
		rc = user_add(u, canon);
	else if (strcmp(argv[0], "passwd") == 0)
		rc = user_passwd(u, canon);
	else if (users_del(u, canon, NULL, &error) < 0)
		fprintf(stderr, "mailroom: %s\n", error);
	else
		rc = 0;
	users_free(&u);
	config_deinit();
	return rc;
}
