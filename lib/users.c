/*
 * users.c - the users table (see users.h, docs/users.md).
 *
 * users_new/free      - handle on one table spec
 * users_is_valid_name - the name rules (names become directory names)
 * users_add/passwd/del - change one user under the table's write lock
 * users_lookup        - one user, value checked
 * users_verify        - login check, same cost for unknown users
 * users_verify_entry  - its check, for an entry already looked up
 * users_verify_prepare/check - the same in two steps (worker threads)
 * users_list          - every user, sorted
 * users_maildir_create - the Maildir of a new user, without following links
 *
 * Ownership: struct users owns its lookup handle (lib/dict), the crypt(3)
 * work area and the error buffer its functions return messages in.
 *
 * Trust: names and passwords come from the command line, standard input or
 * a network login: names are validated before they reach the table or the
 * file system, passwords are only hashed and never logged. Table values are
 * data: each one is parsed and checked when read (version, hash alphabet
 * and scheme, absolute Maildir path without "." or ".." components).
 * Runs with the caller's privilege; as root the caller asks
 * users_maildir_create to give new directories to mail_owner.
 *
 * Concurrency: writers (add, passwd, del) serialise on an exclusive flock
 * of PATH.lock, so "add if absent" and "change the hash, keep the Maildir"
 * are atomic among mailroom commands; lib/dict makes each single update
 * atomic for readers.
 *
 * Limits: USERS_* in users.h (name 64@253 octets, password 511, hash 255,
 * Maildir path 4095).
 */
#include "lib/users.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/checked.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

_Static_assert(USERS_PASSWORD_MAX < CRYPT_MAX_PASSPHRASE_SIZE,
	       "libxcrypt refuses longer passphrases");
_Static_assert(USERS_HASH_MAX < CRYPT_OUTPUT_SIZE, "hash buffer size");

/* Format version of a value: the first field. */
#define USERS_VALUE_VERSION "1"

/* The Maildir below the user's directory. */
#define USERS_MAILDIR_LEAF "Maildir/"

/* Room for an error: two paths and some words. */
#define USERS_ERROR_MAX (2 * USERS_MAILDIR_MAX + 512)

/*
 * SECURITY: the hash users_verify checks for unknown names, so they cost
 * what a real user costs (yescrypt at libxcrypt's default cost, like the
 * hashes users_add makes). No password matches it by design: the result
 * is thrown away.
 */
static const char users_dummy_hash[] =
	"$y$j9T$rOS7w4BpuNxATO.mYpbpG0$"
	"iEol/ylQsN4nDLqgQtTvThngwG.kGpSbeomed3.br90";

struct users {
	char *spec;
	char *lock_path;	/* PATH.lock */
	char *db_path;		/* PATH.db */
	char *base;		/* virtual_mailbox_base, maybe "" */
	enum users_scheme scheme;
	struct dict *dict;	/* opened on first lookup */
	struct crypt_data *crypt;
	unsigned long crypt_count;
	char error[USERS_ERROR_MAX];
};

/* One listed user before sorting: the key and value from the table. */
struct users_row {
	char *name;
	char *value;
};

struct users_rows {
	struct users *u;
	struct users_row *rows;
	size_t count, cap;
	int rc;
};

/* users_fail - format an error into u->error, point *error_r at it, -1 */
static int __attribute__((format(printf, 3, 4)))
users_fail(struct users *u, const char **error_r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->error, sizeof(u->error), fmt, ap);
	va_end(ap);
	*error_r = u->error;
	return -1;
}

/* users_new - a handle on one table */
struct users *
users_new(const char *spec, const char *mailbox_base,
	  enum users_scheme scheme, const char **error_r)
{
	const char *colon = strchr(spec, ':');
	struct users *u;

	if (colon == NULL || colon[1] != '/' ||
	    strlen(spec) > DICT_SPEC_MAX) {
		*error_r = "users table: expected TYPE:/absolute/path";
		return NULL;
	}
	if (mailbox_base[0] != '\0' && mailbox_base[0] != '/') {
		*error_r = "virtual_mailbox_base must be an absolute path";
		return NULL;
	}
	u = mem_alloc(sizeof(*u));
	u->spec = mem_strdup(spec);
	u->lock_path = mem_asprintf("%s.lock", colon + 1);
	u->db_path = mem_asprintf("%s.db", colon + 1);
	u->base = mem_strdup(mailbox_base);
	/* A trailing slash would make "base//alice": drop it. */
	while (strlen(u->base) > 1 && u->base[strlen(u->base) - 1] == '/')
		u->base[strlen(u->base) - 1] = '\0';
	u->scheme = scheme;
	u->crypt = mem_alloc(sizeof(*u->crypt));
	return u;
}

/* users_free - release a handle */
void
users_free(struct users **up)
{
	struct users *u = *up;

	if (u == NULL)
		return;
	dict_close(&u->dict);
	/* The work area held passwords and their hashes. */
	explicit_bzero(u->crypt, sizeof(*u->crypt));
	mem_free(&u->crypt);
	mem_free(&u->spec);
	mem_free(&u->lock_path);
	mem_free(&u->db_path);
	mem_free(&u->base);
	mem_free(up);
}

/* users_scheme_parse - user_password_scheme to the enum */
int
users_scheme_parse(const char *text, enum users_scheme *scheme_r)
{
	if (strcmp(text, "yescrypt") == 0) {
		*scheme_r = USERS_SCHEME_YESCRYPT;
		return 0;
	}
	if (strcmp(text, "sha512") == 0) {
		*scheme_r = USERS_SCHEME_SHA512;
		return 0;
	}
	return -1;
}

/* users_db_path - the table file */
const char *
users_db_path(const struct users *u)
{
	return u->db_path;
}

/* users_crypt_count - crypt(3) calls so far (test seam) */
unsigned long
users_crypt_count(const struct users *u)
{
	return u->crypt_count;
}

/* users_is_valid_local - the local part rules */
static bool
users_is_valid_local(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > USERS_LOCAL_MAX)
		return false;
	/* SECURITY: "." and ".." as directory names, hidden directories and
	 * option-like names ("-rf") are all refused here. */
	if (p[0] == '.' || p[0] == '-' || p[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		char c = p[i];

		if (c == '.' && i + 1 < len && p[i + 1] == '.')
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '+' || c == '-'))
			return false;
	}
	return true;
}

/* users_is_valid_domain - a lower-case host name */
static bool
users_is_valid_domain(const char *p, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > USERS_DOMAIN_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = p[i];

		if (c == '.') {
			if (label == 0 || p[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > USERS_LABEL_MAX)
			return false;
	}
	/* No trailing dot, no trailing hyphen. */
	return label != 0 && p[len - 1] != '-';
}

/* users_is_valid_name - whether name is a canonical user name */
bool
users_is_valid_name(const char *name)
{
	size_t len = strnlen(name, USERS_NAME_MAX + 1);
	const char *at;

	if (len > USERS_NAME_MAX)
		return false;
	at = memchr(name, '@', len);
	if (at == NULL)
		return users_is_valid_local(name, len);
	return users_is_valid_local(name, (size_t)(at - name)) &&
	       users_is_valid_domain(at + 1, len - (size_t)(at - name) - 1);
}

/* users_name_domain - the domain part, or NULL */
const char *
users_name_domain(const char *name)
{
	const char *at = strchr(name, '@');

	return at == NULL ? NULL : at + 1;
}

/* users_canonical - fold name into out and validate it */
static bool
users_canonical(const char *name, char out[USERS_NAME_MAX + 1])
{
	if (strnlen(name, USERS_NAME_MAX + 1) > USERS_NAME_MAX)
		return false;
	snprintf(out, USERS_NAME_MAX + 1, "%s", name);
	str_lower(out);
	return users_is_valid_name(out);
}

/* users_is_hash_char - the crypt(3) output alphabet of $y$ and $6$ */
static bool
users_is_hash_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '/' || c == '$' ||
	       c == '=';
}

/* users_is_valid_hash - a yescrypt or SHA-512 crypt string */
static bool
users_is_valid_hash(const char *hash, size_t len)
{
	size_t i;

	if (len < 4 || len > USERS_HASH_MAX)
		return false;
	if (memcmp(hash, "$y$", 3) != 0 && memcmp(hash, "$6$", 3) != 0)
		return false;
	for (i = 0; i < len; i++)
		if (!users_is_hash_char(hash[i]))
			return false;
	return true;
}

/* users_is_valid_maildir - absolute, ends in '/', no "." or ".." steps */
static bool
users_is_valid_maildir(const char *path, size_t len)
{
	size_t i, start;

	if (len < 2 || len > USERS_MAILDIR_MAX || path[0] != '/' ||
	    path[len - 1] != '/')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	/* SECURITY: delivery writes below this path; a ".." step could
	 * leave the mailbox base. */
	for (start = 1; start < len; start = i + 1) {
		for (i = start; path[i] != '/'; i++)
			;
		if (i == start || (i - start == 1 && path[start] == '.') ||
		    (i - start == 2 && path[start] == '.' &&
		     path[start + 1] == '.'))
			return false;
	}
	return true;
}

/*
 * users_entry_parse - "1\tHASH\tMAILDIR" from the table into *e. Returns
 * 0, or -1 (malformed) without a message: callers name the table.
 */
static int
users_entry_parse(const char *name, const char *value, struct users_entry *e)
{
	const char *hash, *maildir, *tab;
	size_t hash_len, maildir_len;

	if (!users_is_valid_name(name))
		return -1;
	if (!str_has_prefix(value, USERS_VALUE_VERSION "\t"))
		return -1;
	hash = value + sizeof(USERS_VALUE_VERSION);
	tab = strchr(hash, '\t');
	if (tab == NULL)
		return -1;
	hash_len = (size_t)(tab - hash);
	maildir = tab + 1;
	if (strchr(maildir, '\t') != NULL)
		return -1;
	maildir_len = strlen(maildir);
	if (!users_is_valid_hash(hash, hash_len) ||
	    !users_is_valid_maildir(maildir, maildir_len))
		return -1;
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	memcpy(e->hash, hash, hash_len);
	memcpy(e->maildir, maildir, maildir_len);
	return 0;
}

/* users_value - the stored form of an entry, a new string */
static char *
users_value(const char *hash, const char *maildir)
{
	return mem_asprintf(USERS_VALUE_VERSION "\t%s\t%s", hash, maildir);
}

/* users_table_exists - whether PATH.db is there at all */
static int
users_table_exists(struct users *u, const char **error_r)
{
	struct stat st;

	if (lstat(u->db_path, &st) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	return users_fail(u, error_r, "users table %s: %s", u->db_path,
			  strerror(errno));
}

/* users_dict - the lookup handle; 0 when there is no table yet */
static int
users_dict(struct users *u, const char **error_r)
{
	const char *error;
	int rc;

	if (u->dict != NULL)
		return 1;
	if ((rc = users_table_exists(u, error_r)) <= 0)
		return rc;
	u->dict = dict_open(u->spec, DICT_FLAG_FOLD_CASE, &error);
	if (u->dict == NULL)
		return users_fail(u, error_r, "%s", error);
	return 1;
}

/* users_lookup_canonical - users_lookup for a name already canonical */
static int
users_lookup_canonical(struct users *u, const char *name,
		       struct users_entry *e, const char **error_r)
{
	const char *value, *error;
	int rc;

	if ((rc = users_dict(u, error_r)) <= 0)
		return rc;
	rc = dict_lookup(u->dict, name, &value, &error);
	if (rc < 0)
		return users_fail(u, error_r, "%s", error);
	if (rc == 0)
		return 0;
	if (users_entry_parse(name, value, e) < 0)
		return users_fail(u, error_r,
				  "users table %s: malformed entry for \"%s\"",
				  u->db_path, log_safe_str(name));
	return 1;
}

/* users_lookup - find one user */
int
users_lookup(struct users *u, const char *name, struct users_entry *entry_r,
	     const char **error_r)
{
	char canon[USERS_NAME_MAX + 1];

	if (!users_canonical(name, canon))
		return 0;
	return users_lookup_canonical(u, canon, entry_r, error_r);
}

/*
 * users_crypt - crypt_rn into u's work area. Returns the output (valid
 * until the next crypt on u), or NULL when crypt failed.
 */
static const char *
users_crypt(struct users *u, const char *password, const char *setting)
{
	const char *out;

	u->crypt_count++;
	out = crypt_rn(password, setting, u->crypt, (int)sizeof(*u->crypt));
	/* libxcrypt signals failure with NULL or a string starting '*'. */
	if (out == NULL || out[0] == '*')
		return NULL;
	return out;
}

/* users_hash - a new hash of password in u's scheme, into out */
static int
users_hash(struct users *u, const char *password, char *out, size_t size,
	   const char **error_r)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *prefix, *hash;

	prefix = u->scheme == USERS_SCHEME_SHA512 ? "$6$" : "$y$";
	/* NULL random bytes: libxcrypt reads them from the kernel. */
	if (crypt_gensalt_rn(prefix, 0, NULL, 0, setting,
			     (int)sizeof(setting)) == NULL)
		return users_fail(u, error_r, "cannot make a salt: %s",
				  strerror(errno));
	hash = users_crypt(u, password, setting);
	if (hash == NULL || strlen(hash) >= size ||
	    !users_is_valid_hash(hash, strlen(hash)))
		return users_fail(u, error_r, "cannot hash the password");
	snprintf(out, size, "%s", hash);
	return 0;
}

/* users_check_password - the rules for a new password */
static int
users_check_password(struct users *u, const char *password,
		     const char **error_r)
{
	size_t len = strnlen(password, USERS_PASSWORD_MAX + 1);

	if (len == 0)
		return users_fail(u, error_r, "empty password");
	if (len > USERS_PASSWORD_MAX)
		return users_fail(u, error_r,
				  "password too long (at most %d octets)",
				  USERS_PASSWORD_MAX);
	return 0;
}

/* users_default_maildir - BASE/[DOMAIN/]LOCAL/Maildir/ into out */
static int
users_default_maildir(struct users *u, const char *name, char *out,
		      size_t size, const char **error_r)
{
	const char *domain = users_name_domain(name);
	int n;

	if (u->base[0] == '\0')
		return users_fail(u, error_r,
				  "virtual_mailbox_base is not set: it is "
				  "where user Maildirs go");
	if (domain == NULL)
		n = snprintf(out, size, "%s/%s/" USERS_MAILDIR_LEAF, u->base,
			     name);
	else
		n = snprintf(out, size, "%s/%s/%.*s/" USERS_MAILDIR_LEAF,
			     u->base, domain, (int)(domain - 1 - name), name);
	if (n < 0 || (size_t)n >= size ||
	    !users_is_valid_maildir(out, (size_t)n))
		return users_fail(u, error_r,
				  "cannot use Maildir path below %s",
				  u->base);
	return 0;
}

/* users_lock - exclusive write lock of the table; returns the fd */
static int
users_lock(struct users *u, const char **error_r)
{
	int fd, rc;

	fd = open(u->lock_path,
		  O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return users_fail(u, error_r, "cannot open lock file %s: %s",
				  u->lock_path, strerror(errno));
	do
		rc = flock(fd, LOCK_EX);
	while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		close(fd);
		return users_fail(u, error_r, "cannot lock %s: %s",
				  u->lock_path, strerror(errno));
	}
	return fd;
}

/* users_store - write name's value; called under the lock */
static int
users_store(struct users *u, const char *name, const char *value,
	    const char **error_r)
{
	const char *error;

	if (dict_update(u->spec, DICT_FLAG_FOLD_CASE, name, value, &error) <
	    0)
		return users_fail(u, error_r, "%s", error);
	return 0;
}

/* users_add - add a user */
int
users_add(struct users *u, const char *name, const char *password,
	  struct users_entry *entry_r, const char **error_r)
{
	struct users_entry e, old;
	char *value;
	int fd, rc;

	memset(&e, 0, sizeof(e));
	if (!users_canonical(name, e.name))
		return users_fail(u, error_r, "invalid user name \"%s\"",
				  log_safe_str(name));
	if (users_check_password(u, password, error_r) < 0 ||
	    users_default_maildir(u, e.name, e.maildir, sizeof(e.maildir),
				  error_r) < 0)
		return -1;
	/* Hash before taking the lock: it is the slow part. */
	if (users_hash(u, password, e.hash, sizeof(e.hash), error_r) < 0)
		return -1;
	if ((fd = users_lock(u, error_r)) < 0)
		return -1;
	rc = users_lookup_canonical(u, e.name, &old, error_r);
	if (rc > 0)
		rc = users_fail(u, error_r, "user %s exists", e.name);
	else if (rc == 0) {
		value = users_value(e.hash, e.maildir);
		rc = users_store(u, e.name, value, error_r);
		mem_free(&value);
	}
	close(fd);
	if (rc == 0 && entry_r != NULL)
		*entry_r = e;
	explicit_bzero(&e, sizeof(e));
	return rc < 0 ? -1 : 0;
}

/* users_passwd - new password for an existing user */
int
users_passwd(struct users *u, const char *name, const char *password,
	     const char **error_r)
{
	char canon[USERS_NAME_MAX + 1], hash[USERS_HASH_MAX + 1];
	struct users_entry old;
	char *value;
	int fd, rc;

	if (!users_canonical(name, canon))
		return users_fail(u, error_r, "invalid user name \"%s\"",
				  log_safe_str(name));
	if (users_check_password(u, password, error_r) < 0 ||
	    users_hash(u, password, hash, sizeof(hash), error_r) < 0)
		return -1;
	if ((fd = users_lock(u, error_r)) < 0)
		return -1;
	rc = users_lookup_canonical(u, canon, &old, error_r);
	if (rc == 0)
		rc = users_fail(u, error_r, "no such user: %s", canon);
	else if (rc > 0) {
		value = users_value(hash, old.maildir);
		rc = users_store(u, canon, value, error_r);
		mem_free(&value);
	}
	close(fd);
	return rc < 0 ? -1 : 0;
}

/* users_del - remove a user */
int
users_del(struct users *u, const char *name, struct users_entry *entry_r,
	  const char **error_r)
{
	char canon[USERS_NAME_MAX + 1];
	struct users_entry old;
	int fd, rc;

	if (!users_canonical(name, canon))
		return users_fail(u, error_r, "invalid user name \"%s\"",
				  log_safe_str(name));
	if ((fd = users_lock(u, error_r)) < 0)
		return -1;
	rc = users_lookup_canonical(u, canon, &old, error_r);
	if (rc == 0)
		rc = users_fail(u, error_r, "no such user: %s", canon);
	else if (rc > 0)
		rc = users_store(u, canon, NULL, error_r);
	close(fd);
	if (rc == 0 && entry_r != NULL)
		*entry_r = old;
	return rc < 0 ? -1 : 0;
}

/* users_equal_ct - compare two strings of equal length in constant time */
static bool
users_equal_ct(const char *a, const char *b, size_t len)
{
	volatile unsigned char diff = 0;
	size_t i;

	for (i = 0; i < len; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return diff == 0;
}

/* users_verify - check a login */
int
users_verify(struct users *u, const char *name, const char *password,
	     const char **error_r)
{
	struct users_entry e;
	int rc = users_lookup(u, name, &e, error_r);

	if (rc < 0)
		return -1;
	rc = users_verify_entry(u, rc == 1 ? &e : NULL, password, error_r);
	explicit_bzero(&e, sizeof(e));
	return rc;
}

/* users_verify_entry - check password against a looked-up entry */
int
users_verify_entry(struct users *u, const struct users_entry *entry,
		   const char *password, const char **error_r)
{
	const char *out;
	size_t len;

	if (entry == NULL || strnlen(password, USERS_PASSWORD_MAX + 1) >
				     USERS_PASSWORD_MAX) {
		/* SECURITY: spend what a real check spends, then say no.
		 * An over-long password hashes as "" (crypt refuses it). */
		(void)users_crypt(u, entry == NULL ? password : "",
				  users_dummy_hash);
		return 0;
	}
	out = users_crypt(u, password, entry->hash);
	if (out == NULL)
		return users_fail(u, error_r,
				  "users table %s: cannot check the hash of "
				  "\"%s\"",
				  u->db_path, entry->name);
	len = strlen(entry->hash);
	/* The output of a setting has a fixed length: comparing lengths
	 * first tells nothing about the password. */
	return strlen(out) == len && users_equal_ct(out, entry->hash, len) ? 1
									   : 0;
}

/* users_verify_prepare - the hash to check a login against */
int
users_verify_prepare(struct users *u, const char *name,
		    struct users_check *check_r, const char **error_r)
{
	char canon[USERS_NAME_MAX + 1];
	struct users_entry e;
	int rc = 0;

	memset(check_r, 0, sizeof(*check_r));
	if (users_canonical(name, canon))
		rc = users_lookup_canonical(u, canon, &e, error_r);
	if (rc < 0)
		return -1;
	/* SECURITY: an unknown name is hashed like a known one. */
	snprintf(check_r->hash, sizeof(check_r->hash), "%s",
		 rc > 0 ? e.hash : users_dummy_hash);
	check_r->known = rc > 0;
	explicit_bzero(&e, sizeof(e));
	return 0;
}

/* users_verify_check - crypt and compare, in any thread */
int
users_verify_check(const struct users_check *check, const char *password)
{
	struct crypt_data work;
	const char *out;
	size_t len = strlen(check->hash);
	int rc;

	/* An over-long password hashes as "" (crypt refuses it). */
	if (strnlen(password, USERS_PASSWORD_MAX + 1) > USERS_PASSWORD_MAX)
		password = "";
	memset(&work, 0, sizeof(work));
	out = crypt_rn(password, check->hash, &work, (int)sizeof(work));
	if (!check->known)
		rc = 0;		/* the dummy hash: the cost was the point */
	else if (out == NULL || out[0] == '*')
		rc = -1;
	else
		rc = password[0] != '\0' && strlen(out) == len &&
			     users_equal_ct(out, check->hash, len)
			     ? 1
			     : 0;
	explicit_bzero(&work, sizeof(work));
	return rc;
}

/* users_rows_add - dict_walk callback collecting rows */
static int
users_rows_add(void *ctx, const char *key, const char *value)
{
	struct users_rows *r = ctx;
	struct users_entry e;

	if (users_entry_parse(key, value, &e) < 0) {
		snprintf(r->u->error, sizeof(r->u->error),
			 "users table %s: malformed entry for \"%s\"",
			 r->u->db_path, log_safe_str(key));
		r->rc = -1;
		return 1;
	}
	if (r->count == r->cap) {
		size_t cap;

		if (!checked_mul(r->cap == 0 ? 16 : r->cap, 2, &cap))
			log_panic("users_list: too many users");
		r->rows = mem_realloc_array(r->rows, cap, sizeof(*r->rows));
		r->cap = cap;
	}
	r->rows[r->count].name = mem_strdup(key);
	r->rows[r->count].value = mem_strdup(value);
	r->count++;
	return 0;
}

/* users_row_cmp - qsort by name */
static int
users_row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct users_row *)a)->name,
		      ((const struct users_row *)b)->name);
}

/* users_list - every user, sorted by name */
int
users_list(struct users *u, users_list_fn *cb, void *ctx,
	   const char **error_r)
{
	struct users_rows r;
	struct users_entry e;
	const char *error;
	size_t i;
	int rc;

	memset(&r, 0, sizeof(r));
	r.u = u;
	if ((rc = users_dict(u, error_r)) <= 0)
		return rc;
	if (dict_walk(u->dict, users_rows_add, &r, &error) < 0)
		rc = users_fail(u, error_r, "%s", error);
	else if (r.rc < 0) {
		*error_r = u->error;
		rc = -1;
	} else {
		rc = 0;
		if (r.count > 1)
			qsort(r.rows, r.count, sizeof(*r.rows), users_row_cmp);
		for (i = 0; i < r.count; i++) {
			/* Checked in users_rows_add. */
			MR_ASSERT(users_entry_parse(r.rows[i].name,
						    r.rows[i].value, &e) == 0);
			if (cb(ctx, &e) != 0)
				break;
		}
	}
	for (i = 0; i < r.count; i++) {
		mem_free(&r.rows[i].name);
		mem_free(&r.rows[i].value);
	}
	mem_free(&r.rows);
	return rc;
}

/*
 * users_mkdir_at - make (or keep) directory name in dirfd and open it
 * without following a symbolic link. Returns the new descriptor or -1.
 */
static int
users_mkdir_at(struct users *u, int dirfd, const char *name, bool set_owner,
	       uid_t uid, gid_t gid, const char *path, const char **error_r)
{
	bool created;
	int fd;

	created = mkdirat(dirfd, name, 0700) == 0;
	if (!created && errno != EEXIST)
		return users_fail(u, error_r, "mkdir %s: %s", path,
				  strerror(errno));
	/* SECURITY: O_NOFOLLOW: a link planted here is refused, never
	 * followed into a directory we would then chown. */
	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return users_fail(u, error_r,
				  "%s: %s (a symbolic link is refused)", path,
				  strerror(errno));
	if (created && set_owner && fchown(fd, uid, gid) < 0) {
		close(fd);
		return users_fail(u, error_r, "chown %s: %s", path,
				  strerror(errno));
	}
	return fd;
}

/* users_maildir_create - the Maildir of a user and its parents */
int
users_maildir_create(struct users *u, const struct users_entry *entry,
		     bool set_owner, uid_t uid, gid_t gid,
		     const char **error_r)
{
	static const char *const subdirs[] = { "cur", "new", "tmp" };
	char path[USERS_MAILDIR_MAX + 1], *p, *slash;
	size_t base_len = strlen(u->base), i;
	int fd, next;

	if (u->base[0] == '\0')
		return users_fail(u, error_r,
				  "virtual_mailbox_base is not set");
	if (!users_is_valid_maildir(entry->maildir, strlen(entry->maildir)) ||
	    strncmp(entry->maildir, u->base, base_len) != 0 ||
	    entry->maildir[base_len] != '/')
		return users_fail(u, error_r, "Maildir %s is not below %s",
				  log_safe_str(entry->maildir), u->base);
	/* The base comes from the configuration: trusted, links allowed. */
	fd = open(u->base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return users_fail(u, error_r, "virtual_mailbox_base %s: %s",
				  u->base, strerror(errno));
	snprintf(path, sizeof(path), "%s", entry->maildir);
	/* UNSAFE: walks path in place, cutting it at each '/'. The path
	 * was checked: it ends in '/', has no empty, "." or ".." step. */
	for (p = path + base_len + 1; *p != '\0'; p = slash + 1) {
		slash = strchr(p, '/');
		MR_ASSERT(slash != NULL);
		*slash = '\0';
		next = users_mkdir_at(u, fd, p, set_owner, uid, gid,
				      entry->maildir, error_r);
		*slash = '/';
		close(fd);
		if (next < 0)
			return -1;
		fd = next;
	}
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		next = users_mkdir_at(u, fd, subdirs[i], set_owner, uid, gid,
				      entry->maildir, error_r);
		if (next < 0) {
			close(fd);
			return -1;
		}
		close(next);
	}
	close(fd);
	return 0;
}
