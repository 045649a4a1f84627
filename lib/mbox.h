/*
 * mbox.h - append one message to an mbox file, with locking.
 *
 * The local delivery agent calls this after it has switched to the
 * recipient's uid and gid. Format (mboxrd), locking, safety checks and
 * error classes: docs/mailboxes.md.
 *
 *	delivery_source_queue_init(&src, msg);
 *	if (mbox_deliver("/var/mail/joe", msg->sender, headers, &src,
 *			 param_mailbox_size_limit, MBOX_LOCK_TIMEOUT_DEFAULT,
 *			 &err) < 0)
 *		err.temporary ? defer(err.dsn, err.text) : bounce(...)
 */
#ifndef MR_MBOX_H
#define MR_MBOX_H

#include <stdint.h>

#include "lib/delivery_source.h"

/* Postfix: deliver_lock_attempts (20) times deliver_lock_delay (1s). */
#define MBOX_LOCK_TIMEOUT_DEFAULT 20

/* A dot lock file older than this is left over from a crash (Postfix's
 * stale_lock_time). */
#define MBOX_STALE_LOCK_SECONDS 500

/*
 * mbox_deliver - append a message to the mbox file at mbox_path: opens it
 * with O_APPEND and O_NOFOLLOW (creating it with mode 0600 when missing;
 * the directory must exist) and refuses it unless it is a regular file
 * with one link owned by the effective uid. Takes both a dot lock
 * (mbox_path.lock) and an fcntl() write lock, retrying for up to
 * lock_timeout_s seconds (0: one try). Writes the From_ line (sender, ""
 * meaning MAILER-DAEMON, and the current time in asctime() form),
 * prepend_headers (NULL or header lines), the content with LF line ends
 * and mboxrd quoting, and an empty line; fsyncs; unlocks.
 *
 * size_limit (0: none) bounds the size of the whole mbox file after the
 * append (Postfix's mailbox_size_limit).
 *
 * Returns 0 once the message is durably appended. Returns -1 with err
 * filled in and the file truncated back to its size before the delivery:
 * permanent 5.2.2 when the file would pass size_limit; temporary for
 * everything else, among them "mailbox is locked", an unsafe file (a
 * symbolic link, hard-linked, not a regular file, owned by someone else),
 * a full disk or quota, and a source read error.
 */
int mbox_deliver(const char *mbox_path, const char *sender,
                 const char *prepend_headers, struct delivery_source *src,
                 uint64_t size_limit, int lock_timeout_s,
                 struct delivery_error *err);

#endif
