/*
 * subscriptions.h - a user's IMAP subscriptions (RFC 3501 6.3.6, 6.3.9):
 * the file "mailroom-subscriptions" in the Maildir root, format version
 * 1 (docs/imapd.md "Subscriptions"):
 *
 *	mailroom-subscriptions 1
 *	INBOX
 *	Sent
 *	Archive.2024
 *
 * The header line, then one mailbox name per line as the store spells it
 * ("INBOX", or a folder name in modified UTF-7), LF line ends, no
 * duplicates. The file is written whole (temporary file, fsync, rename).
 *
 * The parser takes the file's bytes (untrusted: the user's directory):
 * lines that are not valid names are skipped, a wrong header or a limit
 * makes the file damaged. Limits: IMAP_SUBS_MAX names,
 * IMAP_SUBS_LINE_MAX octets per line.
 */
#ifndef MR_IMAPD_SUBSCRIPTIONS_H
#define MR_IMAPD_SUBSCRIPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

#define IMAP_SUBS_FILE "mailroom-subscriptions"
#define IMAP_SUBS_TMP "mailroom-subscriptions.tmp"
#define IMAP_SUBS_MAGIC "mailroom-subscriptions 1"
/* Names kept: far more than any folder tree has. */
#define IMAP_SUBS_MAX 10000
/* A line: a folder name (254 octets) and its LF. */
#define IMAP_SUBS_LINE_MAX 256
/* The largest file read. */
#define IMAP_SUBS_FILE_MAX ((size_t)(IMAP_SUBS_MAX + 1) * IMAP_SUBS_LINE_MAX)

struct imap_subs {
	char **names;
	size_t count;
};

/*
 * imap_subs_parse - the n octets at p into subs (which the caller has not
 * initialised). Returns 0 (invalid names skipped; *skipped_r counts
 * them), or -1 with *error_r (static text) and subs empty.
 */
int imap_subs_parse(const uint8_t *p, size_t n, struct imap_subs *subs,
		    size_t *skipped_r, const char **error_r);

/* imap_subs_format - append the file for subs to out. */
void imap_subs_format(const struct imap_subs *subs, struct buf *out);

/*
 * imap_subs_read - read the file in the Maildir root root_fd. Returns 1
 * with subs filled, 0 when there is no file (subs empty), -1 with
 * *error_r (a damaged file is an error too: it is not overwritten).
 */
int imap_subs_read(int root_fd, struct imap_subs *subs, const char **error_r);

/* imap_subs_write - replace the file. Returns 0, or -1 with *error_r. */
int imap_subs_write(int root_fd, const struct imap_subs *subs,
		    const char **error_r);

/* imap_subs_has - whether name is subscribed. */
bool imap_subs_has(const struct imap_subs *subs, const char *name);

/* imap_subs_add - subscribe name; false when already there or full. */
bool imap_subs_add(struct imap_subs *subs, const char *name);

/* imap_subs_remove - unsubscribe name; false when it was not there. */
bool imap_subs_remove(struct imap_subs *subs, const char *name);

/* imap_subs_deinit - release the names. */
void imap_subs_deinit(struct imap_subs *subs);

#endif
