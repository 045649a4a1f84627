/*
 * users.h - the users table: mailroom's own office and virtual users.
 *
 * Local delivery, pop3d, imapd and SMTP AUTH find users here. The table is
 * a lookup table (lib/dict.h) without a text source, changed one key at a
 * time; docs/users.md specifies it:
 *
 *   key    the user name, lower case: "alice" (a local user of every
 *          mydestination domain) or "alice@example.com" (a virtual user of
 *          a virtual_mailbox_domains domain)
 *   value  "1" TAB HASH TAB MAILDIR (format version 1): HASH is a crypt(3)
 *          string, yescrypt ("$y$...") or SHA-512 ("$6$..."); MAILDIR is
 *          the absolute path of the user's Maildir, ending in '/'.
 *
 * A value is checked whenever it is read (a malformed entry is a temporary
 * error: the table is damaged, not the user unknown).
 *
 * Names are folded to ASCII lower case by every function here (logins are
 * case-insensitive) and then must pass users_is_valid_name: they become
 * directory names.
 *
 * Error strings returned through error_r belong to the struct users and
 * stay valid until the next call on it.
 */
#ifndef MR_USERS_H
#define MR_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Local part: RFC 5321 4.5.3.1.1 caps it at 64 octets. */
#define USERS_LOCAL_MAX 64
/* Domain: RFC 1035 2.3.4, 253 octets in text form; labels 63. */
#define USERS_DOMAIN_MAX 253
#define USERS_LABEL_MAX 63
/* A whole name: local@domain. */
#define USERS_NAME_MAX (USERS_LOCAL_MAX + 1 + USERS_DOMAIN_MAX)
/*
 * Longest password: libxcrypt refuses passphrases of
 * CRYPT_MAX_PASSPHRASE_SIZE (512) octets or more.
 */
#define USERS_PASSWORD_MAX 511
/* Longest stored hash; yescrypt needs ~73 octets, SHA-512 ~106. */
#define USERS_HASH_MAX 255
/* Longest Maildir path, trailing slash included. */
#define USERS_MAILDIR_MAX 4095

/* Password hashing schemes for new hashes (verification takes both). */
enum users_scheme {
	USERS_SCHEME_YESCRYPT,	/* "$y$", libxcrypt's default cost */
	USERS_SCHEME_SHA512,	/* "$6$", 5000 rounds */
};

/* One user, as read from the table. */
struct users_entry {
	char name[USERS_NAME_MAX + 1];
	char hash[USERS_HASH_MAX + 1];
	char maildir[USERS_MAILDIR_MAX + 1];
};

struct users;

/*
 * users_new - a handle on the users table spec ("hash:/etc/mailroom/users";
 * the file is PATH.db, written lock PATH.lock). mailbox_base is
 * virtual_mailbox_base: new users get their Maildir below it (may be empty
 * when the handle only reads). Returns the handle, or NULL with *error_r
 * (a static string) when spec is not TYPE:/absolute/path or mailbox_base
 * is neither empty nor absolute. Release with users_free. Nothing is
 * opened yet.
 */
struct users *users_new(const char *spec, const char *mailbox_base,
			enum users_scheme scheme, const char **error_r);

/* users_free - release the handle and NULL the caller's pointer. */
void users_free(struct users **u);

/*
 * users_scheme_parse - "yescrypt" or "sha512" (the value of
 * user_password_scheme) to the enum. Returns 0, or -1 for anything else.
 */
int users_scheme_parse(const char *text, enum users_scheme *scheme_r);

/*
 * users_is_valid_name - whether name is a canonical user name: a local
 * part of 1 to 64 octets of [a-z0-9._+-], not starting with '.' or '-',
 * not ending with '.', without "..", optionally followed by '@' and a host
 * name (lower-case labels of [a-z0-9-], 1 to 63 octets, no '-' at either
 * end, 253 octets in all, no trailing dot).
 */
bool users_is_valid_name(const char *name);

/*
 * users_name_domain - the domain of a valid name ("example.com" for
 * "alice@example.com"), or NULL for a local user.
 */
const char *users_name_domain(const char *name);

/*
 * users_add - add a user with password (1 to USERS_PASSWORD_MAX octets)
 * and the default Maildir: MAILBOX_BASE/NAME/Maildir/ for a local user,
 * MAILBOX_BASE/DOMAIN/LOCAL/Maildir/ for a virtual one. Creates the table
 * when it does not exist. Fails when the user exists, the name or password
 * is invalid, mailbox_base is empty, or the table cannot be written.
 * Returns 0 (and the new entry in *entry_r when entry_r is not NULL), or
 * -1 with *error_r set. The Maildir itself is made by users_maildir_create.
 */
int users_add(struct users *u, const char *name, const char *password,
	      struct users_entry *entry_r, const char **error_r);

/*
 * users_passwd - give an existing user a new password (new salt, current
 * scheme); the Maildir stays. Returns 0, or -1 with *error_r set (unknown
 * user included).
 */
int users_passwd(struct users *u, const char *name, const char *password,
		 const char **error_r);

/*
 * users_del - remove a user from the table; its mail stays on disk.
 * Returns 0 with the removed entry in *entry_r (when not NULL), or -1 with
 * *error_r set (unknown user included).
 */
int users_del(struct users *u, const char *name, struct users_entry *entry_r,
	      const char **error_r);

/*
 * users_lookup - find a user. Returns 1 with *entry_r filled, 0 when there
 * is no such user (or no table yet, or name is not a valid name), or -1
 * with *error_r set when the table cannot be read or the entry is
 * malformed: a temporary failure.
 */
int users_lookup(struct users *u, const char *name,
		 struct users_entry *entry_r, const char **error_r);

/*
 * users_verify - check a login. Returns 1 when name is a user and password
 * is theirs, 0 when not (wrong password, unknown or invalid name), -1 with
 * *error_r set on a temporary failure (table unreadable, malformed entry,
 * crypt failure). SECURITY: an unknown name costs the same hashing as a
 * known one (a fixed dummy hash is checked), and the crypt outputs are
 * compared in constant time, so timing does not reveal which users exist.
 */
int users_verify(struct users *u, const char *name, const char *password,
		 const char **error_r);

/*
 * users_verify_entry - the check of users_verify for an entry users_lookup
 * has found, or for entry NULL when it found none (the dummy hash is
 * spent all the same). Returns 1, 0 or -1 as users_verify; for a caller
 * that needs the entry too, without a second lookup.
 */
int users_verify_entry(struct users *u, const struct users_entry *entry,
		       const char *password, const char **error_r);

/*
 * struct users_check - a login's hash, found by users_verify_prepare for
 * users_verify_check: users_verify in two steps, so that the expensive
 * hashing can run in a worker thread (lib/workpool) while the lookup,
 * which may log, stays in the caller's thread.
 */
struct users_check {
	char hash[USERS_HASH_MAX + 1];	/* the user's, or the dummy hash */
	bool known;			/* name is a user */
};

/*
 * users_verify_prepare - look name up for users_verify_check. Returns 0
 * with *check_r filled (an unknown or invalid name gets the dummy hash
 * that users_verify checks, so both cost the same), or -1 with *error_r
 * set on a temporary failure. Wipe check_r with explicit_bzero after use.
 */
int users_verify_prepare(struct users *u, const char *name,
			struct users_check *check_r, const char **error_r);

/*
 * users_verify_check - hash password with check's hash and compare in
 * constant time. Returns 1 when the user is known and the password is
 * theirs, 0 when not (over-long passwords included), -1 when crypt(3)
 * failed. Thread-safe: it uses its own work area (on the stack, wiped)
 * and no handle, logs nothing.
 */
int users_verify_check(const struct users_check *check,
			 const char *password);

/*
 * users_list_fn - receives one user of users_list (valid during the call
 * only). Return 0 to go on, anything else to stop.
 */
typedef int users_list_fn(void *ctx, const struct users_entry *entry);

/*
 * users_list - every user, sorted by name (strcmp). A missing table lists
 * nothing. Every entry is read and checked before the first callback, so
 * a damaged table gives -1 with *error_r set and no partial listing.
 * Returns 0 otherwise.
 */
int users_list(struct users *u, users_list_fn *cb, void *ctx,
	       const char **error_r);

/*
 * users_maildir_create - make entry's Maildir (cur/, new/, tmp/ and the
 * missing directories between MAILBOX_BASE and it), each new directory
 * mode 0700 and, when set_owner, given uid and gid. Existing directories
 * are kept as they are. SECURITY: below MAILBOX_BASE no symbolic link is
 * followed (openat with O_NOFOLLOW), so a planted link cannot redirect a
 * chown done as root. The Maildir must be below MAILBOX_BASE. Returns 0,
 * or -1 with *error_r set (directories made so far stay).
 */
int users_maildir_create(struct users *u, const struct users_entry *entry,
			 bool set_owner, uid_t uid, gid_t gid,
			 const char **error_r);

/*
 * users_db_path - the table's file (PATH.db), for callers that set its
 * owner or mode.
 */
const char *users_db_path(const struct users *u);

/*
 * users_crypt_count - how many times this handle ran crypt(3). A test
 * seam: it shows that users_verify hashes for unknown users too.
 */
unsigned long users_crypt_count(const struct users *u);

#endif
