/*
 * mime.h - the MIME structure of a message (RFC 2045, 2046, 2231; header
 * syntax of RFC 5322), parsed from a stream of octets.
 *
 * The parser is fed the message in chunks of any size (the whole mmap'ed
 * file at once, or blocks read by offset) and builds a tree of parts. It
 * never fails: malformed structure gives a best-effort tree and flags.
 * Nothing of the message is kept: parts hold offsets and sizes into it,
 * plus copies of the few header values they are described by.
 *
 * The tree:
 *  - the root is the message; a multipart has its body parts as
 *    children; a message/rfc822 part (not base64 or quoted-printable
 *    encoded) has one child, the encapsulated message, whose header
 *    starts where the part's body starts and whose own body is parsed
 *    like any message;
 *  - every part has a header (the octets from its first line up to and
 *    including the empty line that ends it) and a body (the rest, up to
 *    the line break before the next boundary delimiter line, which
 *    belongs to the delimiter, RFC 2046 5.1.1; or to the end of the
 *    enclosing part). A multipart's body includes its preamble,
 *    children and epilogue.
 *
 * Sizes in two forms. Maildir files store LF line ends; IMAP serves the
 * message with CR LF. Each size is given in octets as stored ("octets")
 * and as served ("crlf_octets": every LF not preceded by CR counts as
 * CR LF, exactly the conversion the server applies on output), with the
 * number of lines (LF count; a last line without LF is not counted).
 * Offsets are always into the octets as stored. A file already in CR LF
 * form gives octets == crlf_octets.
 *
 * Header values are kept as the message has them, unfolded (CR and LF
 * removed) and trimmed; encoded-words are not decoded (IMAP wants them
 * as they are). Case-insensitive tokens (type, subtype, encoding,
 * disposition type, parameter names) are lower-cased. Parameters: RFC
 * 2231 sections ("name*0*", "name*1", ...) are joined in section order
 * and extended values ("charset'lang'%XX") decoded and converted to
 * UTF-8; plain values are unquoted and otherwise raw.
 *
 * Defaults (RFC 2045 5.2, RFC 2046 5.1.5): no (or an unusable)
 * Content-Type is text/plain (message/rfc822 in a multipart/digest),
 * MIME_PART_F_DEFAULT_TYPE set; no Content-Transfer-Encoding is 7bit.
 *
 * Boundaries: a delimiter line is "--" boundary, then either "--" (the
 * close delimiter; anything may follow) or nothing but white space. The
 * boundaries of all enclosing multiparts are recognised, innermost
 * first, so an outer delimiter ends unterminated inner parts. A header
 * ends at its empty line, at a delimiter line, or at the end; lines
 * without a colon inside a header are part of it and otherwise ignored.
 *
 * Limits: MIME_DEPTH_MAX levels of nesting (deeper multiparts and
 * messages are leaves, MIME_PART_F_LIMIT); MIME_PARTS_MAX parts (after
 * that, boundaries are no longer recognised and the rest of the message
 * belongs to the parts open at that point, MIME_MESSAGE_F_PARTS_LIMIT);
 * MIME_BOUNDARY_MAX octets of boundary (longer: not a multipart);
 * MIME_FIELD_MAX octets of one Content-* or envelope field (the rest is
 * ignored, MIME_PART_F_FIELD_CUT); MIME_PARAMS_MAX parameters per field.
 * Memory is therefore bounded by the limits, not by the message size;
 * the parser itself holds one field buffer and the boundary stack.
 *
 * Ownership: mime_parser_finish returns a struct mime_message that owns
 * every part and string (one arena); free it with mime_message_free.
 */
#ifndef MR_MIME_H
#define MR_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nesting of multiparts and messages (the root is depth 0). */
#define MIME_DEPTH_MAX 32
/* Parts of one message, the root included. */
#define MIME_PARTS_MAX 5000
/* RFC 2046 5.1.1 allows 70 octets; longer ones are accepted up to this. */
#define MIME_BOUNDARY_MAX 200
/* One header field kept for its value (Content-*, envelope fields). */
#define MIME_FIELD_MAX (64 * 1024)
/* Parameters of one Content-Type or Content-Disposition, sections counted. */
#define MIME_PARAMS_MAX 64
/* Languages of one Content-Language. */
#define MIME_LANGUAGES_MAX 16

/* Flags for mime_parser_new. */
#define MIME_PARSE_F_ENVELOPE 0x1 /* keep envelope fields of messages */

enum mime_encoding {
	MIME_ENC_7BIT = 0,
	MIME_ENC_8BIT,
	MIME_ENC_BINARY,
	MIME_ENC_BASE64,
	MIME_ENC_QP,
	MIME_ENC_OTHER, /* an unknown token: see encoding_name */
};

/* One parameter of Content-Type or Content-Disposition. */
struct mime_param {
	const char *name;     /* lower-case, without "*" and section */
	const char *value;    /* unquoted; UTF-8 when extended */
	size_t value_len;     /* octets of value (it may hold NUL) */
	bool extended;        /* RFC 2231 "name*" form */
	const char *language; /* RFC 2231 language or NULL */
};

/* A header value: octets (NUL-terminated copy) or p == NULL when absent. */
struct mime_text {
	const char *p;
	size_t len;
};

/*
 * Envelope fields of a message header (MIME_PARSE_F_ENVELOPE): the first
 * occurrence of each, unfolded and trimmed.
 */
struct mime_envelope {
	struct mime_text date, subject, from, sender, reply_to, to, cc, bcc,
	    in_reply_to, message_id;
};

/* A size in both forms (see above). */
struct mime_size {
	size_t octets;
	size_t crlf_octets;
	size_t lines;
};

/* Part flags. */
#define MIME_PART_F_MULTIPART 0x001    /* parsed as multipart: children */
#define MIME_PART_F_MESSAGE 0x002      /* message/rfc822: one child */
#define MIME_PART_F_DEFAULT_TYPE 0x004 /* no usable Content-Type */
#define MIME_PART_F_NO_END 0x008       /* multipart without close delimiter */
#define MIME_PART_F_LIMIT 0x010        /* left unparsed: a limit was reached */
#define MIME_PART_F_FIELD_CUT 0x020    /* a field over MIME_FIELD_MAX */
#define MIME_PART_F_HEADER_CUT 0x040   /* header ended without empty line */

struct mime_part {
	struct mime_part *parent;
	struct mime_part *children; /* first child */
	struct mime_part *next;     /* next sibling */
	unsigned depth;
	unsigned flags; /* MIME_PART_F_* */

	size_t header_offset; /* offset of the header's first octet */
	struct mime_size header;
	size_t body_offset;
	struct mime_size body;

	const char *type;    /* "text" */
	const char *subtype; /* "plain" */
	struct mime_param *params;
	size_t param_count;
	enum mime_encoding encoding;
	const char *encoding_name; /* lower-case, "7bit" by default */
	struct mime_text id, description, md5, location;
	const char *disposition; /* lower-case type or NULL */
	struct mime_param *disp_params;
	size_t disp_param_count;
	const char **languages;
	size_t language_count;

	/* Root and encapsulated messages, with MIME_PARSE_F_ENVELOPE. */
	struct mime_envelope *envelope;
};

/* Message flags. */
#define MIME_MESSAGE_F_PARTS_LIMIT 0x1 /* MIME_PARTS_MAX was reached */

struct mime_message {
	struct mime_part *root;
	size_t part_count;
	size_t size;      /* octets fed */
	size_t crlf_size; /* in CR LF form */
	unsigned flags;   /* MIME_MESSAGE_F_* */
	struct mime_arena *arena;
};

struct mime_parser;

/* mime_parser_new - start parsing a message (flags MIME_PARSE_F_*). */
struct mime_parser *mime_parser_new(unsigned flags);

/* mime_parser_feed - the next n octets of the message. */
void mime_parser_feed(struct mime_parser *mp, const uint8_t *p, size_t n);

/*
 * mime_parser_finish - end of the message: frees the parser, NULLs the
 * caller's pointer and returns the tree (never NULL); the caller frees it
 * with mime_message_free.
 */
struct mime_message *mime_parser_finish(struct mime_parser **mp);

/* mime_parse - the tree of a message held in memory (feed + finish). */
struct mime_message *mime_parse(const uint8_t *p, size_t n, unsigned flags);

/* mime_message_free - release the tree and NULL the caller's pointer. */
void mime_message_free(struct mime_message **msg);

/* mime_param_get - the value of parameter name (lower-case), or NULL. */
const struct mime_param *mime_param_get(const struct mime_param *params,
                                        size_t count, const char *name);

/* mime_part_is - whether the part's type/subtype are these (lower-case). */
bool mime_part_is(const struct mime_part *part, const char *type,
                  const char *subtype);

#endif
