/*
 * fetch_body.h - the octets of a FETCH BODY[section] (RFC 3501 6.4.5)
 * and the message parse shared by FETCH and SEARCH.
 */
#ifndef MR_IMAPD_FETCH_BODY_H
#define MR_IMAPD_FETCH_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imapd/parse.h"
#include "lib/buf.h"
#include "lib/mime.h"

/* Octets of a header searched for HEADER.FIELDS (the rest is ignored). */
#define IMAPD_FIELDS_HEADER_MAX (1024u * 1024)

/* A section: a region of the file, or text built in memory. */
struct imapd_section {
	bool mem;		/* text holds it (CR LF already) */
	struct buf text;
	uint64_t raw_off;	/* else: the region, as stored */
	uint64_t raw_len;
	uint64_t size;		/* octets sent (CR LF form) */
};

/*
 * imapd_msg_parse - read the open message file fd from its start in
 * chunk_size pieces through chunk and parse it (lib/mime flags). Returns
 * the tree (free with mime_message_free), or NULL on a read error.
 */
struct mime_message *imapd_msg_parse(int fd, unsigned flags, uint8_t *chunk,
				     size_t chunk_size);

/*
 * imapd_section_find - where section sec of the message (tree mime,
 * file fd) is. Returns 0 with *out set (release with
 * imapd_section_deinit), or -1 when the file cannot be read.
 */
int imapd_section_find(const struct imap_fetch_section *sec,
		       const struct mime_message *mime, int fd,
		       struct imapd_section *out);

/* imapd_section_deinit - release a section's text. */
void imapd_section_deinit(struct imapd_section *s);

#endif
