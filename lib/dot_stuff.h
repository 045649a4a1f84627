/*
 * dot_stuff.h - DATA-phase filter: end-of-data detection and dot
 * unstuffing (RFC 5321 4.1.1.4, 4.5.2), fed arbitrary chunks.
 *
 * The end of data is CR LF "." CR LF and nothing else; the start of data
 * counts as just after a CR LF, so "." CR LF first thing is an empty
 * message. "\n.\n", "\r\n.\r", "\n.\r\n", "\r.\r", "\r\n.\n", "\n.\r" and
 * the like are message content (SMTP smuggling, 2023: a server that ends
 * data on any of them lets a client hide a second message inside the first
 * one when relaying through a server that does not).
 *
 * Bare CR and bare LF policy. A line ends only at CR LF, for unstuffing as
 * for the end of data. A bare CR or LF is kept in the output unchanged and
 * sets DOT_STUFF_BARE_CR / DOT_STUFF_BARE_LF; the filter never rewrites
 * content. smtpd is expected to read on to the real end of data (so the
 * session stays in step) and then refuse the message with "550 5.5.2
 * Error: bare <LF> received" (Postfix's smtpd_forbid_bare_newline = yes);
 * a configuration that accepts such mail must still never pass the bare
 * octets on unchanged to an SMTP peer (the smtp client normalises).
 *
 * Other checks, as flags for smtpd to act on after the end of data:
 * DOT_STUFF_LONG_LINE for a line over max_line_octets, CR LF included,
 * after unstuffing (RFC 5321 4.5.3.1.6: 1000); the octet count of the
 * message (for message_size_limit) is kept in ds->octets even when the
 * output is thrown away.
 *
 * Output: the message octets as received minus the stuffing dots and minus
 * the final "." CR LF (the CR LF before it ends the message's last line),
 * appended to a caller's struct buf so content streams to the queue writer
 * in chunks, or discarded when out is NULL (after a size overflow).
 */
#ifndef MR_DOT_STUFF_H
#define MR_DOT_STUFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* RFC 5321 4.5.3.1.6: text line, CR LF included. */
#define DOT_STUFF_LINE_MAX 1000
/* Room out must have for any progress: one input octet gives at most 2. */
#define DOT_STUFF_OUT_MIN 2

/* Flags (sticky for the whole message). */
#define DOT_STUFF_BARE_CR 0x1
#define DOT_STUFF_BARE_LF 0x2
#define DOT_STUFF_LONG_LINE 0x4

enum dot_stuff_state {
	DOT_STUFF_BOL,    /* at the start of a line */
	DOT_STUFF_DOT,    /* "." at the start of a line, dropped */
	DOT_STUFF_DOT_CR, /* "." CR at the start of a line, CR held */
	DOT_STUFF_TEXT,   /* inside a line */
	DOT_STUFF_CR,     /* CR inside a line (already output) */
	DOT_STUFF_DONE,   /* end of data seen */
};

struct dot_stuff {
	enum dot_stuff_state state;
	unsigned flags;         /* DOT_STUFF_* */
	size_t max_line_octets; /* line limit, CR LF included */
	size_t line_octets;     /* current line so far, capped */
	uint64_t octets;        /* message octets output (or dropped) */
};

/* dot_stuff_init - start a message; lines may have max_line_octets. */
void dot_stuff_init(struct dot_stuff *ds, size_t max_line_octets);

/*
 * dot_stuff_feed - filter the n octets at p. Output goes to out (NULL:
 * counted, then dropped); the filter uses no more input than out has room
 * for, so *used_r may be less than n: drain out and feed the rest. Returns
 * 1 when the end of data was found, with *used_r counting the octets up to
 * and including its LF (what follows belongs to the command parser: a
 * pipelined command after DATA); 0 when every octet it could take was used
 * and the end is still ahead. Feeding after the end returns 1 with
 * *used_r = 0. out needs at least DOT_STUFF_OUT_MIN octets of room for
 * progress.
 */
int dot_stuff_feed(struct dot_stuff *ds, const uint8_t *p, size_t n,
                   struct buf *out, size_t *used_r);

/* dot_stuff_is_done - whether the end of data was seen. */
bool dot_stuff_is_done(const struct dot_stuff *ds);

#endif
