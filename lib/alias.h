/*
 * alias.h - alias and .forward expansion for the local delivery agent.
 *
 * Two layers (docs/aliases.md is the reference for syntax and rules):
 *
 *  - alias_parse reads one right-hand side: the value of an alias (the raw
 *    text newaliases stored, continuation lines already joined) or the
 *    whole text of a .forward or :include: file (ALIAS_F_FILE). It returns
 *    the destinations in order: local names, addresses, |commands,
 *    /files, /maildirs/ and :include: files.
 *  - alias_expand starts from a recipient's local part and follows
 *    aliases, :include: files and .forward files through callbacks (so it
 *    needs no database and no file system), down to the final deliveries,
 *    with Postfix's recipient_delimiter order, the self-inclusion rule,
 *    duplicate elimination and limits on depth, fan-out and work.
 *
 * Nothing here enforces privileges. Each result says where it came from
 * (enum alias_source); the caller must apply allow_mail_to_commands and
 * allow_mail_to_files to that source and pick the user to run as
 * (docs/aliases.md, "Privileges").
 */
#ifndef MR_ALIAS_H
#define MR_ALIAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Parser limits. One destination is a file name, a command or an address:
 * PATH_MAX (4096 on Linux) bounds the first, and nobody needs a longer
 * command line in an alias. An alias value is what newaliases can store
 * (DICT_SOURCE_MAX_VALUE, docs/maps.md). A .forward or :include: file
 * may carry comments and long member lists, hence more room. The
 * destination count matches the default expansion result limit (Postfix's
 * duplicate_filter_limit, 1000).
 */
#define ALIAS_DEST_MAX_OCTETS 4096u          /* one destination */
#define ALIAS_VALUE_MAX_OCTETS (64u * 1024)  /* one alias value */
#define ALIAS_FILE_MAX_OCTETS (1024u * 1024) /* one .forward/include */
#define ALIAS_DESTS_MAX 1000u                /* destinations per value */

/* Expansion defaults (struct alias_params). */
#define ALIAS_DEFAULT_MAX_DEPTH 100     /* Postfix local: level > 100 */
#define ALIAS_DEFAULT_MAX_RESULTS 1000  /* duplicate_filter_limit */
#define ALIAS_DEFAULT_MAX_LOOKUPS 10000 /* lookups + file reads */
#define ALIAS_DEPTH_CEILING 1000        /* max_depth is clamped to this */

/* Longest error text, NUL included; longer messages end in "...". */
#define ALIAS_ERROR_MAX 512

/* Longest alias_result.chain, NUL excluded; longer chains end in "...". */
#define ALIAS_CHAIN_MAX 1024

/* alias_parse flags. */
#define ALIAS_F_FILE 0x1 /* .forward / :include: syntax: lines, # */
#define ALIAS_F_FORWARD_FILE ALIAS_F_FILE

/* What a destination is. */
enum alias_dest_type {
	ALIAS_DEST_LOCAL,   /* "user": a local name (value unquoted) */
	ALIAS_DEST_ADDRESS, /* "user@domain": canonical form */
	ALIAS_DEST_PIPE,    /* "|command": value is the command */
	ALIAS_DEST_FILE,    /* "/path": append to an mbox file */
	ALIAS_DEST_MAILDIR, /* "/path/": deliver to a Maildir */
	ALIAS_DEST_INCLUDE, /* ":include:/path": value is the path */
};

/* struct alias_dest - one destination of a right-hand side. */
struct alias_dest {
	enum alias_dest_type type;
	char *value;    /* heap, owned by the array (alias_dests_free) */
	bool no_expand; /* "\user": LOCAL only, deliver to the mailbox */
};

/*
 * struct alias_error - why parsing or expansion failed. text names what
 * was wrong and where: 'alias "staff", destination 3: ...',
 * 'alias "staff", offset 7: ...' or '/home/u/.forward, line 4: ...'.
 * temporary: defer the recipient (true) or bounce it (false). dsn is the
 * enhanced status code to report (a static string).
 */
struct alias_error {
	bool temporary;
	const char *dsn;
	char text[ALIAS_ERROR_MAX];
};

/*
 * alias_parse - parse the n bytes at text as one right-hand side: an alias
 * value (flags 0) or a .forward / :include: file (ALIAS_F_FILE). origin
 * names it in error messages: the alias name, or the file's path. Returns
 * 0 with *dests_r (NULL when *count_r is 0) and *count_r set; the caller
 * releases them with alias_dests_free. Returns -1 with *err_r filled
 * (temporary false, dsn "5.3.5") and *dests_r NULL, *count_r 0 on a NUL
 * byte, a control character, a syntax error or a limit. An alias value
 * must hold at least one destination; a file may hold none.
 */
int alias_parse(const uint8_t *text, size_t n, int flags, const char *origin,
                struct alias_dest **dests_r, size_t *count_r,
                struct alias_error *err_r);

/* alias_dests_free - free count destinations and NULL the caller's array. */
void alias_dests_free(struct alias_dest **dests, size_t count);

/*
 * alias_dest_type_name - "local", "address", "command", "file",
 * "maildir" or "include", for logs and tests.
 */
const char *alias_dest_type_name(enum alias_dest_type type);

/*
 * Callback results: found, not found, temporary failure. Strings returned
 * through value_r/text_r/path_r must come from lib/mem.h allocators: the
 * engine takes them over and frees them. error_r is copied at once.
 */
#define ALIAS_CB_FOUND 1
#define ALIAS_CB_NOT_FOUND 0
#define ALIAS_CB_TEMPFAIL (-1)

/*
 * alias_lookup_fn - look key (a folded local name) up in alias_maps.
 * Returns ALIAS_CB_FOUND with *value_r set, ALIAS_CB_NOT_FOUND, or
 * ALIAS_CB_TEMPFAIL with *error_r set (table unavailable: defer).
 */
typedef int alias_lookup_fn(void *ctx, const char *key, char **value_r,
                            const char **error_r);

/*
 * alias_read_file_fn - read the :include: file path with the privileges
 * and size limit the caller enforces. Returns ALIAS_CB_FOUND with *text_r
 * set (NUL-terminated; its length is strlen), ALIAS_CB_NOT_FOUND with
 * *error_r set when the file must not or cannot be used for good (bounce),
 * or ALIAS_CB_TEMPFAIL with *error_r set (defer).
 */
typedef int alias_read_file_fn(void *ctx, const char *path, char **text_r,
                               const char **error_r);

/*
 * alias_read_forward_fn - the .forward file of the local user user (folded,
 * without extension) for the address extension extension (NULL when
 * none): the caller walks forward_path. Returns ALIAS_CB_FOUND with
 * *text_r and *path_r set, ALIAS_CB_NOT_FOUND when the user has no usable
 * .forward (deliver to the mailbox), or ALIAS_CB_TEMPFAIL with *error_r.
 */
typedef int alias_read_forward_fn(void *ctx, const char *user,
                                  const char *extension, char **text_r,
                                  char **path_r, const char **error_r);

/*
 * struct alias_callbacks - lookup is required; read_file NULL refuses
 * :include: (bounce); read_forward NULL skips .forward files.
 */
struct alias_callbacks {
	alias_lookup_fn *lookup;
	alias_read_file_fn *read_file;
	alias_read_forward_fn *read_forward;
};

/*
 * struct alias_params - limits and the recipient_delimiter. Fill with
 * alias_params_init, then change what differs. A limit of 0 means the
 * default; max_depth is clamped to ALIAS_DEPTH_CEILING.
 */
struct alias_params {
	size_t max_depth;   /* nested aliases, includes and .forwards */
	size_t max_results; /* distinct final deliveries */
	size_t max_lookups; /* alias lookups plus file reads */
	const char *recipient_delimiter; /* set of characters; NULL or "" */
};

/* alias_params_init - the defaults above, no recipient_delimiter. */
void alias_params_init(struct alias_params *params);

/* Where a result was listed: decides the privilege rules (docs/aliases.md). */
enum alias_source {
	ALIAS_SOURCE_RECIPIENT, /* the recipient itself, not an alias */
	ALIAS_SOURCE_ALIAS,     /* an alias value from alias_maps */
	ALIAS_SOURCE_INCLUDE,   /* a :include: file */
	ALIAS_SOURCE_FORWARD,   /* a user's .forward file */
};

/*
 * struct alias_result - one final delivery. Every string is heap, owned
 * by the array (alias_results_free).
 *  type:   LOCAL (deliver to this user's mailbox), ADDRESS (re-queue),
 *          PIPE, FILE or MAILDIR; never INCLUDE.
 *  value:  LOCAL: the folded local part, extension included ("bob+x");
 *          the others as alias_dest.value.
 *  orig:   the recipient alias_expand started from (orig_to in logs).
 *  chain:  how it was reached, "staff > :include:/etc/team > bob" (the
 *          aliases, users with .forward and include files that led here);
 *          equal to orig when nothing was expanded.
 *  source: the kind of list it was written in.
 *  owner:  the nearest alias or user being expanded (the alias name for
 *          ALIAS, the user for FORWARD, the alias or user that included
 *          the file for INCLUDE); NULL for RECIPIENT.
 *  file:   INCLUDE and FORWARD: the file it was written in; else NULL.
 */
struct alias_result {
	enum alias_dest_type type;
	char *value;
	char *orig;
	char *chain;
	enum alias_source source;
	char *owner;
	char *file;
};

/*
 * alias_expand - expand the recipient local part local_part (unquoted,
 * any case; folded here) into its final deliveries, in the order they are
 * first reached, each once. params NULL means the defaults. Returns 0
 * with *results_r and *count_r set (at least one result; release with
 * alias_results_free), or -1 with *err_r filled and *results_r NULL,
 * *count_r 0: err_r->temporary says whether to defer (lookup or read
 * failure, malformed alias value or file) or bounce (loop or depth limit,
 * too many results or lookups, unusable :include: file, bad recipient).
 */
int alias_expand(const char *local_part, const struct alias_callbacks *cb,
                 void *ctx, const struct alias_params *params,
                 struct alias_result **results_r, size_t *count_r,
                 struct alias_error *err_r);

/* alias_results_free - free count results and NULL the caller's array. */
void alias_results_free(struct alias_result **results, size_t count);

/* alias_source_name - "recipient", "alias", "include" or "forward". */
const char *alias_source_name(enum alias_source source);

#endif
