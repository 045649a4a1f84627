/*
 * hop_count.h - count the Received: fields of a message's header while
 * its text streams past, for hopcount_limit (RFC 5321 6.3: a message
 * that has been relayed too often is in a loop).
 *
 *	struct hop_count hc;
 *
 *	hop_count_init(&hc);
 *	hop_count_feed(&hc, piece, n);	(any number of pieces, any sizes)
 *	if (hc.received > limit)
 *		refuse("5.4.0 too many hops");
 *
 * Input: message text as a client sends it, lines ending in CR LF (a bare
 * LF ends a line too). The header ends at the first empty line, or at the
 * first line that is neither a field ("name:", RFC 5322 2.2, with the
 * obsolete white space before the colon) nor a continuation (starting
 * with SP or HTAB); nothing after it is looked at. A field name is
 * compared without regard to case.
 *
 * Limits: constant memory, one pass; the count stops at UINT_MAX.
 */
#ifndef MR_HOP_COUNT_H
#define MR_HOP_COUNT_H

#include <stdbool.h>
#include <stddef.h>

struct hop_count {
	unsigned received;	/* Received: fields seen so far */
	bool done;		/* the header has ended */
	unsigned char state;	/* private */
	unsigned char matched;	/* private: name octets like "received" */
};

/* hop_count_init - nothing seen yet */
void hop_count_init(struct hop_count *hc);

/* hop_count_feed - the next n octets of the message */
void hop_count_feed(struct hop_count *hc, const void *data, size_t n);

#endif
