/*
 * parse.h - the IMAP4rev1 command parser (RFC 3501 2.2, 9; LITERAL+ of
 * RFC 7888): an incremental tokenizer over the client's byte stream, and
 * the grammars that turn its arguments into sequence sets, FETCH items,
 * SEARCH programs, STORE flag changes, mailbox names and dates.
 *
 * Tokenizer. The parser is fed whatever arrived and reports events:
 *  - IMAP_EVENT_COMMAND: a command is complete (tag, name, arguments);
 *  - IMAP_EVENT_CONTINUE: a synchronising literal {n} within the limits
 *    was announced: the caller sends "+ ..." (or rejects it), then goes
 *    on feeding; the parser collects the n octets itself;
 *  - IMAP_EVENT_LITERAL: a literal over literal_max was announced
 *    (APPEND's message): the caller either takes it
 *    (imap_parser_literal_take: send "+ ..." for a synchronising one,
 *    then consume exactly n octets of the stream itself, then feed the
 *    rest of the line) or rejects it.
 * Arguments are atoms, quoted strings (with \" and \\), literals, NIL
 * and parenthesised lists; an atom holding "[" runs to the matching "]"
 * whatever is inside (FETCH "BODY[HEADER.FIELDS (A B)]<0.10>" is one
 * atom). A command ends at CR LF or at a bare LF (lenient). SP runs count
 * as one separator. 8-bit octets are refused in atoms and accepted in
 * quoted strings (clients send UTF-8 there).
 *
 * Errors. imap_parser_feed returns -1 with a text for a BAD reply
 * ("Missing tag", "Line too long", ...). The parser then skips the rest
 * of the line by itself (a non-synchronising literal on it is read and
 * dropped; a synchronising one ends the line, as the client waits for a
 * continuation that never comes) and is ready for the next command. An
 * error is fatal (the caller says BYE and closes) only when the stream
 * cannot be kept in step: a non-synchronising literal larger than
 * literal_take_max.
 *
 * Limits (struct imap_parse_limits): line_max non-literal octets per
 * command (all its lines together), literal_max per literal kept in
 * memory, literal_take_max per literal a caller takes, literals_max per
 * command, depth_max list nesting. The command's storage is bounded by
 * them and reused; it is valid until the next imap_parser_feed.
 *
 * Grammar functions take the arguments of a complete command and fill
 * caller-owned structures (released with their _deinit); on error they
 * return -1 and a static text for "BAD ...".
 */
#ifndef MR_IMAPD_PARSE_H
#define MR_IMAPD_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"

/* Default limits (struct imap_parse_limits). */
#define IMAP_LINE_MAX (64 * 1024)    /* non-literal octets per command */
#define IMAP_LITERAL_MAX (64 * 1024) /* literal kept in memory */
#define IMAP_LITERAL_TAKE_MAX (50u * 1024 * 1024) /* APPEND message */
#define IMAP_LITERALS_MAX 64                      /* literals per command */
#define IMAP_DEPTH_MAX 32 /* parenthesised list nesting */
#define IMAP_TAG_MAX 64   /* tag octets */
#define IMAP_NAME_MAX 32  /* command name octets */

/* Grammar limits. */
#define IMAP_SEARCH_DEPTH_MAX 32   /* NOT, OR and parentheses nesting */
#define IMAP_SECTION_DEPTH_MAX 32  /* part numbers in a section: MIME depth */
#define IMAP_FETCH_SECTIONS_MAX 64 /* BODY[...] items per FETCH */
#define IMAP_FETCH_FIELDS_MAX 128  /* names in HEADER.FIELDS (...) */
#define IMAP_KEYWORD_MAX 128       /* octets of one keyword */
#define IMAP_KEYWORDS_MAX 64       /* keywords in one flag list */
#define IMAP_MAILBOX_MAX 1024      /* octets of a mailbox name (UTF-8) */

struct imap_parse_limits {
	size_t line_max;
	size_t literal_max;
	size_t literal_take_max;
	size_t literals_max;
	unsigned depth_max;
};

/* imap_parse_limits_default - the IMAP_*_MAX values above. */
void imap_parse_limits_default(struct imap_parse_limits *limits);

enum imap_arg_type {
	IMAP_ARG_ATOM,
	IMAP_ARG_QUOTED,
	IMAP_ARG_LITERAL,
	IMAP_ARG_NIL,           /* the atom NIL (any case) */
	IMAP_ARG_LIST,          /* "(" ... ")" */
	IMAP_ARG_LITERAL_TAKEN, /* a literal the caller took: len only */
};

/*
 * One argument. Arguments are stored in one array, depth first: a list's
 * items follow it, list_size of them in all (nested ones included), so
 * imap_arg_next skips to its next sibling.
 */
struct imap_arg {
	enum imap_arg_type type;
	const char *str; /* text, NUL-terminated; a literal may hold NUL */
	size_t len;
	size_t list_count; /* IMAP_ARG_LIST: direct items */
	size_t list_size;  /* IMAP_ARG_LIST: all descendants */
};

struct imap_command {
	const char *tag;
	const char *name; /* upper-cased */
	const struct imap_arg *args;
	size_t arg_count; /* top-level arguments */
};

enum imap_event {
	IMAP_EVENT_NONE,
	IMAP_EVENT_COMMAND,
	IMAP_EVENT_CONTINUE,
	IMAP_EVENT_LITERAL,
};

struct imap_parser;

/* imap_parser_new - a parser for one connection. */
struct imap_parser *imap_parser_new(const struct imap_parse_limits *limits);

/* imap_parser_free - release it and NULL the caller's pointer. */
void imap_parser_free(struct imap_parser **p);

/*
 * imap_parser_feed - parse up to n octets at data; *used_r gets how many
 * were consumed. Returns 1 with an event (imap_parser_event) after which
 * the caller acts and feeds the rest; 0 when all was consumed and more
 * is needed; -1 on error (imap_parser_error), the offending octets
 * consumed.
 */
int imap_parser_feed(struct imap_parser *p, const uint8_t *data, size_t n,
                     size_t *used_r);

/* imap_parser_event - the event of the last feed that returned 1. */
enum imap_event imap_parser_event(const struct imap_parser *p);

/*
 * imap_parser_command - the command so far (complete after
 * IMAP_EVENT_COMMAND; the arguments before the literal after CONTINUE
 * and LITERAL, lists still open having their items so far). Valid until
 * the next feed.
 */
const struct imap_command *imap_parser_command(struct imap_parser *p);

/* imap_parser_literal_size - octets of the literal just announced. */
uint64_t imap_parser_literal_size(const struct imap_parser *p);

/* imap_parser_literal_is_sync - whether it needs "+" (not LITERAL+). */
bool imap_parser_literal_is_sync(const struct imap_parser *p);

/*
 * imap_parser_literal_take - after IMAP_EVENT_LITERAL: the caller
 * consumes the literal's octets itself (an IMAP_ARG_LITERAL_TAKEN
 * argument records it). Returns 0, or -1 (error set) when it is larger
 * than literal_take_max.
 */
int imap_parser_literal_take(struct imap_parser *p);

/*
 * imap_parser_literal_reject - after IMAP_EVENT_CONTINUE or
 * IMAP_EVENT_LITERAL: refuse the literal and the command with text (for
 * the caller's own "NO"/"BAD"). A synchronising literal is never sent;
 * a non-synchronising one is skipped with the rest of the line. Returns
 * 0, or -1 when the stream cannot be kept in step (fatal error set).
 */
int imap_parser_literal_reject(struct imap_parser *p);

/* imap_parser_error - the text of the last error. */
const char *imap_parser_error(const struct imap_parser *p);

/* imap_parser_error_is_fatal - whether the connection must close. */
bool imap_parser_error_is_fatal(const struct imap_parser *p);

/* imap_parser_error_tag - the failed command's tag, or NULL (untagged BAD). */
const char *imap_parser_error_tag(const struct imap_parser *p);

/* imap_arg_next - the argument after a (skipping a list's items). */
const struct imap_arg *imap_arg_next(const struct imap_arg *a);

/* imap_arg_items - the first item of list a (count in a->list_count). */
const struct imap_arg *imap_arg_items(const struct imap_arg *a);

/* imap_arg_is_atom - whether a is the atom word (any case). */
bool imap_arg_is_atom(const struct imap_arg *a, const char *word);

/*
 * imap_arg_astring - the text of an astring (atom, quoted, literal; NIL
 * as "NIL"); false for a list or a taken literal.
 */
bool imap_arg_astring(const struct imap_arg *a, const char **s_r,
                      size_t *len_r);

/* imap_arg_string - the same for a string only (quoted or literal). */
bool imap_arg_string(const struct imap_arg *a, const char **s_r, size_t *len_r);

/* ---- sequence sets (RFC 3501 9: sequence-set) ---- */

/* A range; 0 stands for "*", the largest number in use. */
struct imap_seq_range {
	uint32_t lo;
	uint32_t hi;
};

struct imap_seqset {
	struct imap_seq_range *ranges;
	size_t count;
	bool resolved; /* sorted, merged, without "*" (imap_seqset_resolve) */
};

/*
 * imap_seqset_parse - the n octets at s as a sequence set into set
 * (which the caller then releases with imap_seqset_deinit). Returns 0,
 * or -1 with *error_r.
 */
int imap_seqset_parse(const char *s, size_t n, struct imap_seqset *set,
                      const char **error_r);

/*
 * imap_seqset_resolve - replace "*" by max (the largest sequence number
 * or UID in use; RFC 3501 9: "n:*" with n > max means max:n), then sort
 * and merge the ranges so lookups are O(log ranges).
 */
void imap_seqset_resolve(struct imap_seqset *set, uint32_t max);

/* imap_seqset_contains - whether n is in a resolved set. */
bool imap_seqset_contains(const struct imap_seqset *set, uint32_t n);

/* imap_seqset_deinit - release the ranges. */
void imap_seqset_deinit(struct imap_seqset *set);

/* ---- flags (RFC 3501 2.3.2, 9: flag-list) ---- */

#define IMAP_FLAG_ANSWERED 0x01
#define IMAP_FLAG_FLAGGED 0x02
#define IMAP_FLAG_DELETED 0x04
#define IMAP_FLAG_SEEN 0x08
#define IMAP_FLAG_DRAFT 0x10
#define IMAP_FLAG_RECENT 0x20 /* output only; refused in input */

struct imap_flags {
	unsigned system; /* IMAP_FLAG_* */
	char **keywords; /* as given; duplicates (any case) dropped */
	size_t keyword_count;
};

/*
 * imap_flags_parse - count arguments at args, each a flag, or one list
 * of flags, into flags (released with imap_flags_deinit). Returns 0, or
 * -1 with *error_r.
 */
int imap_flags_parse(const struct imap_arg *args, size_t count,
                     struct imap_flags *flags, const char **error_r);

/* imap_flags_deinit - release the keywords. */
void imap_flags_deinit(struct imap_flags *flags);

enum imap_store_mode {
	IMAP_STORE_REPLACE, /* FLAGS */
	IMAP_STORE_ADD,     /* +FLAGS */
	IMAP_STORE_REMOVE,  /* -FLAGS */
};

struct imap_store {
	enum imap_store_mode mode;
	bool silent;
	struct imap_flags flags;
};

/*
 * imap_store_parse - the arguments of STORE after the sequence set
 * (store-att-flags, RFC 3501 6.4.6) into store (release with
 * imap_flags_deinit(&store->flags)). Returns 0, or -1 with *error_r.
 */
int imap_store_parse(const struct imap_arg *args, size_t count,
                     struct imap_store *store, const char **error_r);

/* ---- mailbox names and dates ---- */

/*
 * imap_mailbox_parse - a mailbox argument (astring in modified UTF-7,
 * RFC 3501 5.1.3) as a new UTF-8 string; "INBOX" in any case becomes
 * "INBOX". Returns 0, or -1 with *error_r (bad modified UTF-7, control
 * characters, longer than IMAP_MAILBOX_MAX).
 */
int imap_mailbox_parse(const struct imap_arg *a, char **utf8_r,
                       const char **error_r);

/*
 * imap_date_parse - date "1-Feb-1994" (or quoted) as days since
 * 1970-01-01. Returns 0, or -1 with *error_r.
 */
int imap_date_parse(const char *s, size_t n, int32_t *days_r,
                    const char **error_r);

/*
 * imap_datetime_parse - date-time " 1-Feb-1994 21:52:25 -0800" (APPEND)
 * as seconds since the epoch and the zone's offset in minutes. Returns 0,
 * or -1 with *error_r.
 */
int imap_datetime_parse(const char *s, size_t n, int64_t *time_r,
                        int *tz_minutes_r, const char **error_r);

/* ---- FETCH items (RFC 3501 6.4.5, 9: fetch-att) ---- */

#define IMAP_FETCH_FLAGS 0x001
#define IMAP_FETCH_UID 0x002
#define IMAP_FETCH_INTERNALDATE 0x004
#define IMAP_FETCH_RFC822_SIZE 0x008
#define IMAP_FETCH_ENVELOPE 0x010
#define IMAP_FETCH_BODY 0x020 /* BODY without section */
#define IMAP_FETCH_BODYSTRUCTURE 0x040
#define IMAP_FETCH_RFC822 0x080
#define IMAP_FETCH_RFC822_HEADER 0x100
#define IMAP_FETCH_RFC822_TEXT 0x200

enum imap_section_spec {
	IMAP_SECTION_ALL,               /* BODY[] or BODY[1.2] */
	IMAP_SECTION_HEADER,            /* HEADER */
	IMAP_SECTION_HEADER_FIELDS,     /* HEADER.FIELDS (...) */
	IMAP_SECTION_HEADER_FIELDS_NOT, /* HEADER.FIELDS.NOT (...) */
	IMAP_SECTION_TEXT,              /* TEXT */
	IMAP_SECTION_MIME,              /* MIME (after a part number) */
};

struct imap_fetch_section {
	bool peek;
	uint32_t parts[IMAP_SECTION_DEPTH_MAX];
	size_t part_count;
	enum imap_section_spec spec;
	char **fields; /* upper-cased header names */
	size_t field_count;
	bool partial;
	uint64_t partial_offset;
	uint64_t partial_count;
};

struct imap_fetch {
	unsigned items; /* IMAP_FETCH_* */
	struct imap_fetch_section *sections;
	size_t section_count;
};

/*
 * imap_fetch_parse - the FETCH items argument (a macro ALL, FAST, FULL,
 * one item, or a list) into fetch (release with imap_fetch_deinit).
 * Returns 0, or -1 with *error_r.
 */
int imap_fetch_parse(const struct imap_arg *a, struct imap_fetch *fetch,
                     const char **error_r);

/* imap_fetch_deinit - release the sections. */
void imap_fetch_deinit(struct imap_fetch *fetch);

/*
 * imap_fetch_section_name - the item's name in the response:
 * "BODY[1.HEADER.FIELDS (FROM TO)]" and "<origin>" when partial.
 */
void imap_fetch_section_name(const struct imap_fetch_section *s,
                             struct buf *out);

/* ---- SEARCH (RFC 3501 6.4.4, 9: search-key) ---- */

enum imap_search_type {
	IMAP_SK_ALL,
	IMAP_SK_AND, /* a parenthesised list, and the program's top */
	IMAP_SK_OR,
	IMAP_SK_NOT,
	IMAP_SK_SEQSET,
	IMAP_SK_UID,
	IMAP_SK_FLAG,   /* flag set: ANSWERED, DELETED, ..., SEEN */
	IMAP_SK_UNFLAG, /* flag clear: UNANSWERED, ... UNSEEN */
	IMAP_SK_NEW,    /* RECENT UNSEEN */
	IMAP_SK_OLD,    /* NOT RECENT */
	IMAP_SK_KEYWORD,
	IMAP_SK_UNKEYWORD,
	IMAP_SK_LARGER,
	IMAP_SK_SMALLER,
	IMAP_SK_BEFORE, /* internal date */
	IMAP_SK_ON,
	IMAP_SK_SINCE,
	IMAP_SK_SENTBEFORE, /* Date: header */
	IMAP_SK_SENTON,
	IMAP_SK_SENTSINCE,
	IMAP_SK_HEADER, /* FROM, TO, CC, BCC, SUBJECT are HEADER too */
	IMAP_SK_BODY,
	IMAP_SK_TEXT,
};

struct imap_search_matcher;

struct imap_search_key {
	enum imap_search_type type;
	struct imap_search_key *children; /* AND, OR (two), NOT (one) */
	struct imap_search_key *next;
	unsigned flag; /* FLAG, UNFLAG: IMAP_FLAG_* */
	char *header;  /* HEADER: field name */
	char *str;     /* HEADER, BODY, TEXT: UTF-8; KEYWORD */
	size_t len;
	uint64_t number;        /* LARGER, SMALLER */
	int32_t days;           /* date keys: days since 1970-01-01 */
	struct imap_seqset set; /* SEQSET, UID */
	struct imap_search_matcher *matcher; /* search.c's, for str */
};

struct imap_search {
	struct imap_search_key *root; /* IMAP_SK_AND */
	struct imap_search_key *keys; /* storage */
	size_t key_count;
	bool uses_header; /* whether evaluation needs the message */
	bool uses_body;
};

enum imap_search_error {
	IMAP_SEARCH_ERR_NONE,
	IMAP_SEARCH_ERR_SYNTAX,     /* BAD */
	IMAP_SEARCH_ERR_BADCHARSET, /* NO [BADCHARSET (UTF-8 US-ASCII)] */
};

/*
 * imap_search_parse - the arguments of SEARCH ([CHARSET name] keys...)
 * into search (release with imap_search_deinit). Returns 0, or -1 with
 * *kind_r and *error_r.
 */
int imap_search_parse(const struct imap_arg *args, size_t count,
                      struct imap_search *search,
                      enum imap_search_error *kind_r, const char **error_r);

/* imap_search_deinit - release the program. */
void imap_search_deinit(struct imap_search *search);

#endif
