/*
 * dict.h - lookup tables in Berkeley DB files (postmap/postalias style).
 *
 * A table is named by a spec "TYPE:PATH": "hash:/etc/aliases" is the
 * DB_HASH file /etc/aliases.db built from the text file /etc/aliases,
 * "btree:PATH" the same with DB_BTREE. docs/maps.md describes the specs,
 * the source syntaxes, case folding, the staleness rule, the atomic rebuild
 * and the on-disk encoding (format version 1).
 *
 * Error strings returned through error_r by dict_build, dict_open and
 * dict_update stay valid until the next call into this module;
 * dict_lookup's belong to the table and stay valid until the next lookup
 * on it or dict_close. Callers log them as warnings; an unavailable table
 * is a temporary failure (defer), never "not found".
 */
#ifndef MR_DICT_H
#define MR_DICT_H

#include "lib/dict_source.h"

/* Longest table spec accepted, type prefix included. */
#define DICT_SPEC_MAX 1024

struct dict;

/*
 * dict_build - (re)build the table spec from its source file PATH, parsed
 * with syntax. flags: DICT_FLAG_FOLD_CASE (aliases always fold). The new
 * table is written under a temporary name in the same directory, synced,
 * renamed over PATH.db and the directory synced: readers see the old table
 * or the new one, never a half-built one. The file gets the source's
 * permission bits minus write and execute for group and others; run as
 * root it also gets the source's owner and group. Duplicate keys are
 * warned about (FILE, line N) and the first one wins. If entry_count_r is
 * not NULL it gets the number of entries. Returns 0, or -1 with *error_r
 * set and no file left behind.
 */
int dict_build(const char *spec, enum dict_syntax syntax, int flags,
	       size_t *entry_count_r, const char **error_r);

/*
 * dict_open - open the table spec for lookups. Refuses a PATH.db that is
 * missing, not a regular file (a symlink included), not a mailroom table
 * of a known format version, or older than an existing source file PATH
 * (then the error says to run newaliases or "mailroom map build").
 * flags: DICT_FLAG_FOLD_CASE folds lookup keys; a table built with folding
 * folds them anyway. Returns the table, or NULL with *error_r set. Release
 * with dict_close. The handle follows its file: a lookup after an in-place
 * dict_update or a rebuild (rename over PATH.db) reopens it first, with the
 * same checks; a table removed meanwhile makes lookups fail (-1).
 */
struct dict *dict_open(const char *spec, int flags, const char **error_r);

/*
 * dict_lookup - look key up. Returns 1 with *value_r set (valid until the
 * next lookup on d or dict_close), 0 when the key is not in the table (a
 * key that no table can hold, such as one with control characters, is
 * simply not found), or -1 with *error_r set when the table cannot be
 * read or holds a malformed value: a temporary failure.
 */
int dict_lookup(struct dict *d, const char *key, const char **value_r,
		const char **error_r);

/*
 * dict_walk_fn - receives one entry of dict_walk: key and value, valid
 * only during the call. Return 0 to go on, 1 to stop the walk.
 */
typedef int dict_walk_fn(void *ctx, const char *key, const char *value);

/*
 * dict_walk - call cb for every entry of d, in the table's order (hash:
 * no useful order; sort if it matters), all under one shared lock so the
 * walk sees one version of the table and writers wait for it. The
 * callback must not use d. Returns 0 when the walk ended or the callback
 * stopped it, or -1 with *error_r set (valid like dict_lookup's) when the
 * table cannot be read or holds a malformed entry: a temporary failure.
 */
int dict_walk(struct dict *d, dict_walk_fn *cb, void *ctx,
	      const char **error_r);

/* dict_close - close the table and NULL the caller's pointer. */
void dict_close(struct dict **d);

/*
 * dict_update - set key to value in the table spec, or delete key when
 * value is NULL, in place under an exclusive lock, then sync. Creates an
 * empty table first when PATH.db does not exist (flags: DICT_FLAG_FOLD_CASE
 * for the new table; an existing table keeps how it was built). Meant for
 * tables without a text source (users): a rebuild from a source drops the
 * change. Key and value must pass dict_source_is_valid_key/value. Returns 1
 * when the key existed before (replaced or deleted), 0 when it did not
 * (added, or nothing to delete), -1 with *error_r set.
 */
int dict_update(const char *spec, int flags, const char *key,
		const char *value, const char **error_r);

#endif
