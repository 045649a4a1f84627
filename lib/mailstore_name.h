/*
 * mailstore_name.h - the names of the Maildir++ store: message file names
 * and folder names (docs/mailstore.md).
 *
 * A message file is "BASE" (in new/) or "BASE:2,FLAGS" (in cur/). BASE is
 * the unique name the message keeps for life; ",S=SIZE" and ",W=VSIZE"
 * fields inside it carry its sizes. FLAGS are letters in ASCII order: the
 * upper-case ones are system flags (D F P R S T are the ones IMAP knows),
 * the lower-case ones are keywords ('a' is keyword 0 of the folder).
 *
 * A folder name is an IMAP mailbox name in modified UTF-7 (RFC 3501
 * 5.1.3) with '.' as the hierarchy separator; folder "A.B" lives in the
 * directory ".A.B" of the Maildir. "INBOX" is the Maildir itself.
 *
 * Both parsers take untrusted bytes (names come from readdir of a
 * directory the user can write through IMAP, and from clients) and never
 * read past len.
 */
#ifndef MR_MAILSTORE_NAME_H
#define MR_MAILSTORE_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest message file name: NAME_MAX of Linux file systems. */
#define MAILSTORE_FILENAME_MAX 255
/* Longest folder name: ".NAME" must fit in NAME_MAX. */
#define MAILSTORE_FOLDER_NAME_MAX 254
/* Largest size taken from ",S=" or ",W=" (1 TiB): anything above is junk. */
#define MAILSTORE_SIZE_MAX (1ull << 40)
/* The info part that starts the flags of a file in cur/. */
#define MAILSTORE_INFO_PREFIX ":2,"

/* System flags: bit (letter - 'A') of mailstore_name.flags. */
#define MAILSTORE_FLAG_BIT(letter) (1u << ((letter) - 'A'))
#define MAILSTORE_FLAG_DRAFT MAILSTORE_FLAG_BIT('D')
#define MAILSTORE_FLAG_FLAGGED MAILSTORE_FLAG_BIT('F')
#define MAILSTORE_FLAG_PASSED MAILSTORE_FLAG_BIT('P')
#define MAILSTORE_FLAG_REPLIED MAILSTORE_FLAG_BIT('R')
#define MAILSTORE_FLAG_SEEN MAILSTORE_FLAG_BIT('S')
#define MAILSTORE_FLAG_TRASHED MAILSTORE_FLAG_BIT('T')
/* Every letter A-Z, a-z: masks of 26 bits. */
#define MAILSTORE_LETTERS_MASK ((1u << 26) - 1)

/* What a message file name says. */
struct mailstore_name {
	size_t base_len;	/* octets of BASE (before ':') */
	uint32_t flags;		/* A-Z letters after ":2," */
	uint32_t keywords;	/* a-z letters after ":2," */
	bool has_info;		/* a ':' part was present */
	bool has_size;		/* ",S=" gave size */
	bool has_vsize;		/* ",W=" gave vsize */
	uint64_t size;
	uint64_t vsize;
	bool has_time;		/* BASE starts with "SECONDS." */
	uint64_t time_s;
	uint64_t time_sub;	/* the number after ".M" (usec), else 0 */
};

/*
 * mailstore_name_parse - parse the file name at name (len octets, no NUL
 * needed). Returns 0 with *out filled, or -1 when the name is not a
 * message file: empty, longer than MAILSTORE_FILENAME_MAX, starting with
 * '.', or holding '/', NUL or a control character. Malformed size or time
 * fields are not errors: they are just not used.
 */
int mailstore_name_parse(const char *name, size_t len,
			 struct mailstore_name *out);

/*
 * mailstore_name_flags_format - "FLAGS" for flags and keywords (letters in
 * ASCII order) into out (at least 53 octets). Returns the length.
 */
size_t mailstore_name_flags_format(uint32_t flags, uint32_t keywords,
				   char *out, size_t size);

/*
 * mailstore_folder_name_is_valid - whether name (NUL-terminated) may name
 * a folder other than INBOX: 1 to MAILSTORE_FOLDER_NAME_MAX octets of
 * printable ASCII without '/', '\\', '*' or '%'; no empty level (no
 * leading, trailing or doubled '.'); no level "INBOX" (any case) first;
 * and correct modified UTF-7: '&' opens base64 of UTF-16 (alphabet
 * A-Z a-z 0-9 + ,) closed by '-', "&-" is '&', no printable ASCII encoded,
 * surrogates paired, no padding bits set.
 */
bool mailstore_folder_name_is_valid(const char *name);

/* mailstore_folder_name_is_inbox - "INBOX" in any case. */
bool mailstore_folder_name_is_inbox(const char *name);

#endif
