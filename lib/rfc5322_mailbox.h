/*
 * rfc5322_mailbox.h - address lists (From:, To:, ...) with display
 * names, source routes and groups, parsed the way a reader must: best
 * effort, never refusing (for IMAP's ENVELOPE, RFC 3501 7.4.2).
 *
 * Grammar: RFC 5322 3.4 with the obsolete forms of 4.4 (routes, CFWS
 * between dots, empty list elements). Each mailbox gives its display
 * name (the phrase: quoted strings unquoted, words joined by one space,
 * encoded-words left as written; without a phrase, the text of a
 * comment after the address, as readers show it), its route ("@a,@b"),
 * its local part (quoted strings unquoted) and its domain (domain
 * literals as written). A group gives a start item (its name) and an end
 * item. Leniency: an element that is not an address becomes a mailbox
 * whose local part is its text and whose domain is NULL (IMAP shows
 * MISSING_DOMAIN); a group's missing ";" is implied; junk up to the next
 * "," is skipped.
 *
 * Limits: at most max_count items; comments nest at most
 * RFC5322_MAILBOX_COMMENT_DEPTH_MAX deep (deeper ones end the value).
 * The list owns everything it returns (rfc5322_mailbox_list_deinit).
 */
#ifndef MR_RFC5322_MAILBOX_H
#define MR_RFC5322_MAILBOX_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

#define RFC5322_MAILBOX_COMMENT_DEPTH_MAX 32

enum rfc5322_mailbox_kind {
	RFC5322_MAILBOX_ADDR,
	RFC5322_MAILBOX_GROUP_START, /* local: the group's name */
	RFC5322_MAILBOX_GROUP_END,
};

struct rfc5322_mailbox {
	enum rfc5322_mailbox_kind kind;
	const char *name;   /* display name or NULL */
	const char *route;  /* "@a,@b" or NULL */
	const char *local;  /* local part; group name; NULL for GROUP_END */
	const char *domain; /* NULL when missing (and for groups) */
};

struct rfc5322_mailbox_list {
	struct rfc5322_mailbox *items;
	size_t count;
	size_t cap;
	struct buf text; /* the strings the items point into */
};

/* rfc5322_mailbox_list_init - an empty list. */
void rfc5322_mailbox_list_init(struct rfc5322_mailbox_list *list);

/*
 * rfc5322_mailbox_list_parse - parse the n octets at p (a header value,
 * folded or not) into list, replacing what it held. Never fails; returns
 * the number of items, at most max_count.
 */
size_t rfc5322_mailbox_list_parse(struct rfc5322_mailbox_list *list,
                                  const uint8_t *p, size_t n, size_t max_count);

/* rfc5322_mailbox_list_deinit - release everything. */
void rfc5322_mailbox_list_deinit(struct rfc5322_mailbox_list *list);

#endif
