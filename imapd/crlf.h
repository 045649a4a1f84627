/*
 * crlf.h - the LF to CR LF conversion of message octets on output (RFC
 * 3501 4.3: IMAP sends CR LF line ends; Maildir files have LF).
 *
 * Every LF not preceded by CR becomes CR LF; everything else is copied.
 * A converter is fed the raw octets in chunks of any size and writes as
 * much as fits into the caller's space; it can first drop skip converted
 * octets (a partial FETCH's origin counts in the converted form). The
 * result does not depend on how the input or the output space is split.
 */
#ifndef MR_IMAPD_CRLF_H
#define MR_IMAPD_CRLF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct imap_crlf {
	bool prev_cr;		/* the last raw octet consumed was CR */
	bool lf_pending;	/* CR of an added CR LF written, LF not yet */
	uint64_t skip;		/* converted octets still to drop */
};

/* imap_crlf_init - a converter that first drops skip octets. */
void imap_crlf_init(struct imap_crlf *c, uint64_t skip);

/*
 * imap_crlf_convert - convert raw octets in[0..n) into out (room
 * octets). Returns the octets written; *used_r gets the raw octets
 * consumed (fewer than n when out is full).
 */
size_t imap_crlf_convert(struct imap_crlf *c, const uint8_t *in, size_t n,
			 uint8_t *out, size_t room, size_t *used_r);

/*
 * imap_crlf_flush - write a pending LF (room >= 1); returns 0 or 1. Call
 * when the input has ended but output is still owed.
 */
size_t imap_crlf_flush(struct imap_crlf *c, uint8_t *out, size_t room);

/* imap_crlf_size - the converted size of n raw octets (prev_cr before). */
uint64_t imap_crlf_size(const uint8_t *in, size_t n, bool prev_cr);

#endif
