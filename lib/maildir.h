/*
 * maildir.h - deliver one message into a Maildir.
 *
 * The local delivery agent calls this after it has switched to the
 * recipient's uid and gid. Format, unique names, safety checks and error
 * classes: docs/mailboxes.md.
 *
 *	struct delivery_source src;
 *	struct delivery_error err;
 *	char *name;
 *
 *	delivery_source_queue_init(&src, msg);
 *	if (maildir_deliver(path, "Return-Path: <s@x>\nDelivered-To: r@y\n",
 *			    &src, param_mailbox_size_limit, param_myhostname,
 *			    &name, &err) < 0)
 *		err.temporary ? defer(err.dsn, err.text) : bounce(...)
 *	else
 *		log delivered, mem_free(&name)
 */
#ifndef MR_MAILDIR_H
#define MR_MAILDIR_H

#include <stdint.h>

#include "lib/delivery_source.h"

/* Longest host name part of a unique name, after escaping. */
#define MAILDIR_HOSTNAME_MAX 64

/*
 * maildir_deliver - deliver prepend_headers (NULL or header lines) and the
 * content of src into the Maildir at maildir_path: creates maildir_path
 * (its parent must exist) and its tmp/, new/ and cur/ with mode 0700 when
 * missing, writes tmp/UNIQUE, fsyncs it, moves it to new/UNIQUE,S=SIZE
 * without ever replacing a file, and fsyncs new/. size_limit (0: none)
 * bounds the size of the delivered file (mailbox_size_limit). hostname
 * (NULL or "": gethostname()) goes into the unique name, escaped.
 *
 * Returns 0 once the message is durably in new/, with *filename_r (unless
 * filename_r is NULL) the new file's name within new/, which the caller
 * frees with mem_free. Returns -1 with err filled in and no file left
 * behind: permanent 5.2.2 over size_limit; temporary for everything else,
 * among them an unsafe maildir (a symbolic link, not a directory, not owned
 * by the effective uid), a full disk or quota, and a source read error.
 */
int maildir_deliver(const char *maildir_path, const char *prepend_headers,
                    struct delivery_source *src, uint64_t size_limit,
                    const char *hostname, char **filename_r,
                    struct delivery_error *err);

#endif
