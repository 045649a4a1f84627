/*
 * mailstore_list.h - the UID list file of a Maildir folder, format
 * version 1 (docs/mailstore.md, "The UID list").
 *
 *	mailroom-uidlist 1
 *	V 1764000000
 *	N 3
 *	K a $Forwarded
 *	M 1 4096 4180 1764000000 1764000000.M1P2R3.host,S=4096
 *	M 2 ...
 *
 * One record per line, fields separated by one space, LF line ends: the
 * header line, V (UIDVALIDITY), N (UIDNEXT), K (a keyword letter and its
 * name, letters ascending, at most 26), then M (UID, size, vsize, internal date, base name)
 * with UIDs strictly ascending and below UIDNEXT. Numbers are decimal
 * without leading zeros. Anything else makes the file damaged.
 *
 * The parser takes the file's bytes (untrusted: the user's directory) and
 * returns a struct mailstore_list it allocates; the formatter writes one.
 */
#ifndef MR_MAILSTORE_LIST_H
#define MR_MAILSTORE_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* The first line of a version 1 file. */
#define MAILSTORE_LIST_MAGIC "mailroom-uidlist 1"
/* Longest line, LF included: a 255-octet base name and five numbers. */
#define MAILSTORE_LIST_LINE_MAX 512
/* Most messages in one folder (and M records in one file). */
#define MAILSTORE_MESSAGES_MAX 1000000
/* Keywords per folder: one per lower-case letter. */
#define MAILSTORE_KEYWORDS_MAX 26
/* Longest keyword name (an IMAP atom). */
#define MAILSTORE_KEYWORD_MAX 64
/* Largest file accepted: every line at its longest. */
#define MAILSTORE_LIST_FILE_MAX                                               \
	((size_t)(MAILSTORE_MESSAGES_MAX + MAILSTORE_KEYWORDS_MAX + 3) *      \
	 MAILSTORE_LIST_LINE_MAX)

/* One M record. */
struct mailstore_list_entry {
	uint32_t uid;
	uint64_t size;	/* octets of the file */
	uint64_t vsize;	/* octets with CR LF line ends */
	int64_t mtime;	/* internal date, seconds since the epoch */
	char *base;	/* base name, NUL-terminated, owned by the list */
};

struct mailstore_list {
	uint32_t uidvalidity;
	uint32_t uidnext;
	char *keywords[MAILSTORE_KEYWORDS_MAX];	/* NULL: letter unused */
	struct mailstore_list_entry *entries;	/* ascending UID */
	size_t count;
	size_t cap;
};

/* Why a file was refused: the line (1-based) and what was wrong. */
struct mailstore_list_error {
	size_t line;
	const char *what;	/* static text */
};

/*
 * mailstore_list_parse - parse the n octets at p into *list (which the
 * caller has not initialised). Returns 0, or -1 with *err set and *list
 * empty (nothing to free). On success release with mailstore_list_deinit.
 */
int mailstore_list_parse(const uint8_t *p, size_t n,
			 struct mailstore_list *list,
			 struct mailstore_list_error *err);

/* mailstore_list_format - append the file for list to out. */
void mailstore_list_format(const struct mailstore_list *list,
			   struct buf *out);

/*
 * mailstore_list_keyword_is_valid - whether name may be a keyword: 1 to
 * MAILSTORE_KEYWORD_MAX octets of printable ASCII that an IMAP atom
 * allows (no space, ( ) { % * " \ ]), and not starting with '\'.
 */
bool mailstore_list_keyword_is_valid(const char *name, size_t len);

/*
 * mailstore_list_base_is_valid - whether a base name may be listed: 1 to
 * MAILSTORE_FILENAME_MAX octets without ':', '/' or control characters,
 * not starting with '.' (what mailstore_name_parse takes as a base).
 */
bool mailstore_list_base_is_valid(const char *base, size_t len);

/* mailstore_list_init - an empty list. */
void mailstore_list_init(struct mailstore_list *list);

/* mailstore_list_deinit - release entries and keywords; list is empty. */
void mailstore_list_deinit(struct mailstore_list *list);

#endif
