/*
 * search.h - evaluating a SEARCH program (imapd/parse.h) against one
 * message (RFC 3501 6.4.4).
 *
 * The caller describes the message with struct imap_search_msg: what
 * the index knows (sequence number, UID, flags, keywords, RFC822.SIZE,
 * internal date) plus a callback that gives the message octets and their
 * lib/mime tree, called only when a key needs them (HEADER, FROM, ...,
 * BODY, TEXT, SENT*), at most once per evaluation.
 *
 * Matching: strings match as substrings, case-insensitively with ASCII
 * case folding (non-ASCII letters match only in the same case; RFC 3501
 * leaves the comparator to the server, and i;ascii-casemap is what
 * deployed servers use). Header values are unfolded and their RFC 2047
 * encoded-words decoded to UTF-8 first; bodies are transfer-decoded
 * (base64, quoted-printable) and converted from their charset to UTF-8.
 * BODY looks at every leaf part of type "text" and at the headers of
 * encapsulated messages; other parts (attachments) are not searched.
 * TEXT is the top-level header and BODY. An empty string matches any
 * message that has the field (HEADER) or always (others).
 *
 * Dates: BEFORE/ON/SINCE compare the internal date's calendar day in its
 * own zone; SENTBEFORE/SENTON/SENTSINCE the Date: header's day as written
 * (RFC 3501: "disregarding time and timezone"); a message without a
 * usable Date: uses its internal date instead.
 *
 * Cost: linear in the octets looked at; no allocation per octet. A
 * header field is examined up to IMAP_SEARCH_FIELD_MAX octets.
 */
#ifndef MR_IMAPD_SEARCH_H
#define MR_IMAPD_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imapd/parse.h"
#include "lib/mime.h"

/* Octets of one header field searched. */
#define IMAP_SEARCH_FIELD_MAX (64 * 1024)

/*
 * imap_search_message_fn - give the message's octets and tree (the
 * caller keeps them valid until imap_search_eval returns). Returns 0, or
 * -1 when the message cannot be read.
 */
typedef int imap_search_message_fn(void *ctx, const uint8_t **data_r,
                                   size_t *size_r,
                                   const struct mime_message **mime_r);

struct imap_search_msg {
	uint32_t seq;
	uint32_t uid;
	unsigned flags; /* IMAP_FLAG_*, \Recent included */
	const char *const *keywords;
	size_t keyword_count;
	uint64_t size; /* RFC822.SIZE */
	int64_t internal_date;
	int internal_tz_minutes;
	imap_search_message_fn *message;
	void *ctx;
};

/*
 * imap_search_prepare - ready a parsed program for a mailbox whose
 * largest sequence number and UID are max_seq and max_uid ("*"), and
 * build its string matchers. Call once before evaluating.
 */
void imap_search_prepare(struct imap_search *search, uint32_t max_seq,
                         uint32_t max_uid);

/*
 * imap_search_eval - whether the message matches: 1 yes, 0 no, -1 when
 * the message callback failed.
 */
int imap_search_eval(const struct imap_search *search,
                     const struct imap_search_msg *msg);

#endif
