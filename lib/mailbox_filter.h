/*
 * mailbox_filter.h - queue content to mailbox line format, fed arbitrary
 * chunks.
 *
 * Queued content has CR LF line ends (RFC 5322 2.1); mailbox files (Maildir
 * and mbox) store LF line ends, as Postfix's local(8) writes them. The
 * filter turns every CR LF into LF; a bare CR is kept unchanged (it is
 * content, and dropping it would alter the message).
 *
 * With MAILBOX_FILTER_MBOXRD the output is also mbox message text in the
 * "mboxrd" variant: a line that starts with zero or more '>' followed by
 * "From " gets one more '>' ("From x" -> ">From x", ">From x" ->
 * ">>From x"), which a reader can undo exactly by removing one '>' from
 * every such line. At the end the text is completed with an LF when its
 * last line had none, plus the empty line that separates it from the next
 * message's From_ line.
 *
 * The filter holds at most a CR and the 4 octets of a partial "From";
 * everything else is output at once. Input octets are never dropped.
 */
#ifndef MR_MAILBOX_FILTER_H
#define MR_MAILBOX_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* Flags for mailbox_filter_init. */
#define MAILBOX_FILTER_MBOXRD 0x1 /* From_ quoting and mbox framing */

/*
 * Room out must have for any progress: one input octet may release a held
 * CR, a held "From" and itself, or complete ">From "; the end may add a
 * held CR, a held "From" and the two LFs of the mbox framing.
 */
#define MAILBOX_FILTER_OUT_MIN 8

struct mailbox_filter {
	unsigned flags;     /* MAILBOX_FILTER_* */
	bool cr_held;       /* a CR was the last input octet */
	bool bol;           /* at a line start (only '>' seen so far) */
	size_t from_held;   /* octets of "From" matched and held (0-4) */
	uint8_t last_octet; /* last octet output (0: none yet) */
	uint64_t octets;    /* octets output so far */
};

/* mailbox_filter_init - start a message with MAILBOX_FILTER_* flags. */
void mailbox_filter_init(struct mailbox_filter *f, unsigned flags);

/*
 * mailbox_filter_feed - filter the n octets at p, appending to out. Uses no
 * more input than out has room for: *used_r may be less than n, then drain
 * out and feed the rest. out needs MAILBOX_FILTER_OUT_MIN octets of room
 * for progress.
 */
void mailbox_filter_feed(struct mailbox_filter *f, const uint8_t *p, size_t n,
                         struct buf *out, size_t *used_r);

/*
 * mailbox_filter_finish - the end of the input: output what is held (and
 * the mbox framing with MAILBOX_FILTER_MBOXRD). out needs
 * MAILBOX_FILTER_OUT_MIN octets of room. Feeding afterwards is a bug.
 */
void mailbox_filter_finish(struct mailbox_filter *f, struct buf *out);

#endif
