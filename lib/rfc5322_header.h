/*
 * rfc5322_header.h - walk the fields of a message header held in memory
 * (RFC 5322 2.2, 3.6; obsolete syntax of 4.5).
 *
 * The header is the octets from the message start up to and including
 * the empty line (lib/mime.h gives its offset and size). Lines end in LF
 * or CR LF. A field is a line "name:" value plus the continuation lines
 * that start with SP or HT. White space between the name and the colon
 * is allowed (obs-optional) and not part of the name. A line without a
 * colon is not a field and is skipped, as is a line whose name would be
 * empty or hold characters outside RFC 5322 ftext (33-126).
 *
 * Nothing is copied or allocated: a field's name and value point into
 * the caller's header, which must stay valid while they are used.
 */
#ifndef MR_RFC5322_HEADER_H
#define MR_RFC5322_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* Longest field name recognised (RFC 5322 sets none; names are short). */
#define RFC5322_HEADER_NAME_MAX 128

struct rfc5322_header_iter {
	const uint8_t *p;
	size_t n;
	size_t pos;
};

/*
 * struct rfc5322_header_field - one field: name without the colon, value
 * from after the colon to the end of its last line (line break excluded,
 * folding line breaks included, leading white space not removed).
 */
struct rfc5322_header_field {
	const uint8_t *name;
	size_t name_len;
	const uint8_t *value;
	size_t value_len;
	size_t offset; /* of the field's first octet in the header */
};

/* rfc5322_header_iter_init - walk the n octets of header at p. */
void rfc5322_header_iter_init(struct rfc5322_header_iter *it, const uint8_t *p,
                              size_t n);

/*
 * rfc5322_header_next - the next field into *field. Returns 1, or 0 at
 * the end of the header (the empty line or the end of the octets).
 */
int rfc5322_header_next(struct rfc5322_header_iter *it,
                        struct rfc5322_header_field *field);

/* rfc5322_header_name_is - whether the field's name is name (any case). */
bool rfc5322_header_name_is(const struct rfc5322_header_field *field,
                            const char *name);

/*
 * rfc5322_header_unfold - append the value with its line breaks (LF, CR
 * LF; a bare CR is content) removed, then SP and HT trimmed at both
 * ends, to out. Returns 0, or -1 when out's maximum cut it (out
 * holds what fitted).
 */
int rfc5322_header_unfold(const uint8_t *value, size_t n, struct buf *out);

#endif
