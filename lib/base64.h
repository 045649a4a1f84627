/*
 * base64.h - streaming base64 decoder (RFC 2045 6.8), fed arbitrary
 * chunks.
 *
 * Lenient as a reader of real mail must be: characters outside the
 * base64 alphabet (line breaks, white space, junk) are skipped, as RFC
 * 2045 6.8 tells a decoder to; "=" ends the current 4-character group and
 * decoding goes on after it (messages built by concatenating base64
 * blocks carry padding in the middle); a group left incomplete at the end
 * yields the whole octets it holds. Flags record what was irregular.
 *
 * The decoder owns nothing; output goes to a caller's array of at least
 * BASE64_DECODED_MAX(n) octets for n input octets.
 */
#ifndef MR_BASE64_H
#define MR_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Octets of output that n octets of input can give at most. */
#define BASE64_DECODED_MAX(n) ((n) / 4 * 3 + 3)

/* Flags in base64_decoder.flags (sticky). */
#define BASE64_F_JUNK 0x1    /* a character outside the alphabet (not CR LF) */
#define BASE64_F_PARTIAL 0x2 /* a group ended without its 4 characters */

struct base64_decoder {
	uint32_t acc;     /* sextets of the current group */
	unsigned sextets; /* how many (0..3) */
	unsigned flags;   /* BASE64_F_* */
};

/* base64_decoder_init - start decoding. */
void base64_decoder_init(struct base64_decoder *d);

/*
 * base64_decode - decode n octets at in, writing to out (room for
 * BASE64_DECODED_MAX(n) octets). Returns the octets written.
 */
size_t base64_decode(struct base64_decoder *d, const uint8_t *in, size_t n,
                     uint8_t *out);

/*
 * base64_decode_finish - end of input: out (room for 2 octets) gets what an
 * incomplete last group holds. Returns the octets written.
 */
size_t base64_decode_finish(struct base64_decoder *d, uint8_t *out);

#endif
