/*
 * render.h - IMAP response building blocks (RFC 3501 7.4.2, 9): strings
 * (quoted or literal), ENVELOPE, BODY and BODYSTRUCTURE from a
 * lib/mime.h tree, INTERNALDATE, flag lists, and the part a BODY[n.n]
 * section names.
 *
 * Strings: NULL is NIL; text of at most IMAP_RENDER_QUOTED_MAX octets
 * of printable 7-bit characters (and HT) is quoted with \" and \\
 * escaped; anything else (8-bit, CR, LF, longer) is a literal "{n}" CR
 * LF text. IMAP4rev1 literals cannot carry NUL: a NUL becomes "?" (only
 * broken header values have one).
 *
 * ENVELOPE: header values as the message has them (unfolded; encoded
 * words untouched, as RFC 3501 wants); addresses parsed with
 * lib/rfc5322_mailbox.h into (name adl mailbox host), a group as
 * (NIL NIL "name" NIL) ... (NIL NIL NIL NIL); an address without a
 * domain gets host "MISSING_DOMAIN" (NIL there would mean a group);
 * Sender and Reply-To are From's when absent or empty; an empty list is
 * NIL. At most IMAP_RENDER_ADDRESSES_MAX addresses per field.
 *
 * BODY/BODYSTRUCTURE: sizes are the CR LF form (what the server sends);
 * lines for text and message/rfc822 parts; type, subtype, encoding,
 * disposition and parameter names as lib/mime lower-cases them; a text
 * part without charset is given ("charset" "us-ascii"); an RFC 2231
 * parameter is sent as name* "utf-8'lang'%XX..." (its decoded value,
 * re-encoded); a multipart without parts (no boundary found, or a
 * limit) shows one empty text/plain part, as the grammar needs one.
 *
 * Every function appends to a caller's struct buf and returns 0, or -1
 * when the buffer's maximum would be passed (the buffer then holds a
 * partial response to be discarded).
 */
#ifndef MR_IMAPD_RENDER_H
#define MR_IMAPD_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/mime.h"

/* Longest string sent quoted; longer ones are literals. */
#define IMAP_RENDER_QUOTED_MAX 1024
/* Addresses per ENVELOPE field. */
#define IMAP_RENDER_ADDRESSES_MAX 1000

/* imap_render_string - a string (quoted or literal); p NULL: NIL. */
int imap_render_string(struct buf *out, const void *p, size_t n);

/* imap_render_text - a NUL-terminated string, or NIL for NULL. */
int imap_render_text(struct buf *out, const char *s);

/*
 * imap_render_envelope - ENVELOPE from the fields lib/mime kept
 * (MIME_PARSE_F_ENVELOPE); env NULL: a header without any of them.
 */
int imap_render_envelope(struct buf *out, const struct mime_envelope *env);

/*
 * imap_render_envelope_header - ENVELOPE from a header in memory (the
 * octets lib/mime's header offset and size give).
 */
int imap_render_envelope_header(struct buf *out, const uint8_t *header,
                                size_t n);

/*
 * imap_render_body - BODY (extended false) or BODYSTRUCTURE (extended
 * true) of part (the message's root, or a part of it). A message/rfc822
 * part's ENVELOPE comes from its child's envelope fields, so the tree
 * should be parsed with MIME_PARSE_F_ENVELOPE.
 */
int imap_render_body(struct buf *out, const struct mime_part *part,
                     bool extended);

/*
 * imap_render_internaldate - "17-Jul-1996 02:44:25 -0700": time (seconds
 * since the epoch) shown in the zone tz_minutes east of UTC.
 */
int imap_render_internaldate(struct buf *out, int64_t time, int tz_minutes);

/*
 * imap_render_flags - "(\Answered ... keyword ...)": system is
 * IMAP_FLAG_* bits (imapd/parse.h), then the keywords in order.
 */
int imap_render_flags(struct buf *out, unsigned system,
                      const char *const *keywords, size_t keyword_count);

/*
 * imap_render_section_part - the part that section numbers name (RFC
 * 3501 6.4.5: a multipart's n-th part; "1" of a non-multipart is its
 * body; after a message/rfc822 part the numbers go on inside the
 * encapsulated message). count 0 gives root. NULL when there is no such
 * part.
 */
const struct mime_part *imap_render_section_part(const struct mime_part *root,
                                                 const uint32_t *parts,
                                                 size_t count);

#endif
