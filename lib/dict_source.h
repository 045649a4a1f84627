/*
 * dict_source.h - parser for lookup table source files.
 *
 * Two syntaxes (docs/maps.md): map syntax as read by postmap ("key value")
 * and aliases syntax as read by postalias ("name: value, value"). Blank
 * lines and lines whose first non-blank byte is '#' are ignored; a line
 * that starts with white space continues the previous entry. Every entry is
 * handed to a callback as validated C strings; every error names the file
 * and the line.
 *
 * The parser is incremental: feed it any split of the input (whole, line by
 * line, byte by byte) and it produces the same entries and the same errors.
 * dict_source_parse is the one-shot form for a whole buffer.
 *
 * Error strings from dict_source_feed/finish belong to the parser and stay
 * valid until dict_source_free; the one from dict_source_parse stays valid
 * until the next dict_source_parse.
 */
#ifndef MR_DICT_SOURCE_H
#define MR_DICT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The source syntaxes. */
enum dict_syntax {
	DICT_SYNTAX_MAP,	/* postmap: key whitespace value */
	DICT_SYNTAX_ALIASES,	/* postalias: name: value[, value...] */
};

/*
 * Flags shared by dict_source and dict. DICT_FLAG_FOLD_CASE lower-cases
 * keys (ASCII) when the table is built and when it is searched; it is the
 * default, like Postfix. Aliases keys are always folded.
 */
#define DICT_FLAG_FOLD_CASE 0x1
#define DICT_FLAGS_DEFAULT DICT_FLAG_FOLD_CASE

/*
 * Limits. A logical line is one entry after its continuation lines are
 * joined. Keys are addresses, domains, networks: RFC 5321 4.5.3.1.3 caps a
 * path at 256 octets, so 1 KiB leaves room for anything sensible. The
 * entry count bounds the memory of the duplicate check.
 */
#define DICT_SOURCE_MAX_LINE (64u * 1024)	/* logical line, octets */
#define DICT_SOURCE_MAX_KEY 1024u		/* key, octets */
#define DICT_SOURCE_MAX_VALUE (64u * 1024)	/* value, octets */
#define DICT_SOURCE_MAX_ENTRIES 1000000u	/* entries per file */

/* Limit set for one parser; dict_source_new starts with the ones above. */
struct dict_source_limits {
	size_t max_line;
	size_t max_key;
	size_t max_value;
	size_t max_entries;
};

/*
 * dict_source_entry_fn - receives one entry: key (folded when asked),
 * value (white space at both ends removed, continuation lines joined with
 * one space) and the line the entry starts on. Both strings are valid only
 * during the call. Return 0 to go on, -1 to stop the parse.
 */
typedef int dict_source_entry_fn(void *ctx, const char *key,
				 const char *value, size_t line);

struct dict_source;

/*
 * dict_source_new - parser for one source file. filename is used in error
 * messages and warnings only (copied). flags: DICT_FLAG_FOLD_CASE. Every
 * entry goes to cb(ctx, ...). Release with dict_source_free.
 */
struct dict_source *dict_source_new(enum dict_syntax syntax, int flags,
				    const char *filename,
				    dict_source_entry_fn *cb, void *ctx);

/* dict_source_free - release the parser and NULL the caller's pointer. */
void dict_source_free(struct dict_source **src);

/* dict_source_set_limits - replace the limits (before the first feed). */
void dict_source_set_limits(struct dict_source *src,
			    const struct dict_source_limits *limits);

/*
 * dict_source_feed - parse the next n bytes. Entries are delivered when
 * they are known to be complete (at the next entry or at finish). Returns
 * 0, or -1 with *error_r set ("FILE, line N: what"); after -1 the parser
 * refuses further input with the same error.
 */
int dict_source_feed(struct dict_source *src, const uint8_t *p, size_t n,
		     const char **error_r);

/*
 * dict_source_finish - end of input: parse a last line without newline and
 * deliver the last entry. Returns 0 or -1 with *error_r set.
 */
int dict_source_finish(struct dict_source *src, const char **error_r);

/* dict_source_entry_count - entries delivered so far. */
size_t dict_source_entry_count(const struct dict_source *src);

/*
 * dict_source_parse - parse a whole buffer: new, feed, finish, free.
 * Returns 0 when every entry was delivered, -1 with *error_r set on a
 * syntax error, a limit, or a callback that returned -1.
 */
int dict_source_parse(const uint8_t *p, size_t n, enum dict_syntax syntax,
		      int flags, const char *filename,
		      dict_source_entry_fn *cb, void *ctx,
		      const char **error_r);

/*
 * dict_source_is_valid_key - whether key can be stored in a table: 1 to
 * DICT_SOURCE_MAX_KEY octets, no control characters (tab included). A
 * space is allowed: a quoted alias name may hold one.
 */
bool dict_source_is_valid_key(const char *key);

/*
 * dict_source_is_valid_value - whether value can be stored: at most
 * DICT_SOURCE_MAX_VALUE octets, no control characters except tab.
 */
bool dict_source_is_valid_value(const char *value);

#endif
