/*
 * queue_write.h - the one queue file writer.
 *
 * Used by smtpd, the local submission path and bounce generation. Format:
 * docs/queue-format.md. The sequence is
 *
 *	w = queue_write_begin(queue_dir, max_content_octets, &error);
 *	queue_write_sender(w, ...); queue_write_rcpt(w, ...); ...
 *	queue_write_content(w, p, n); ...       (any number of times)
 *	if (queue_write_commit(w) == 0) -> answer 250 with queue_write_id(w)
 *	else queue_write_error(w, &error) -> 4xx/5xx by class
 *	queue_write_free(&w);                   (removes the file unless committed)
 *
 * Every envelope setter must come before the first queue_write_content, and
 * each single-valued setter at most once: breaking either is a caller bug and
 * panics. Errors are sticky: after the first failure every call returns -1
 * without doing anything, and queue_write_error tells what failed first.
 */
#ifndef MR_QUEUE_WRITE_H
#define MR_QUEUE_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/queue.h"
#include "lib/queue_file.h"

struct queue_writer;

/*
 * queue_write_begin - create a new queue file incoming/ID (mode 0600) under
 * queue_dir for a message of at most max_content_octets content bytes (0:
 * no limit). Returns the writer, or NULL with *error_r set and errno kept
 * (a temporary problem: answer 4xx). The ID is known from here on.
 */
struct queue_writer *queue_write_begin(const char *queue_dir,
				       uint64_t max_content_octets,
				       const char **error_r);

/* queue_write_id - the new message's queue ID (for logging, the 250 reply). */
const char *queue_write_id(const struct queue_writer *w);

/*
 * queue_write_arrival - override the arrival time (microseconds since 1970);
 * by default it is the time of queue_write_begin, as in the ID.
 */
int queue_write_arrival(struct queue_writer *w, uint64_t time_us);

/* queue_write_sender - the envelope sender without <>; "" is the null sender. */
int queue_write_sender(struct queue_writer *w, const char *sender);

/*
 * queue_write_rcpt - add one recipient (address, optional ORCPT type and
 * address, NOTIFY flags, status - normally QUEUE_RCPT_PENDING).
 */
int queue_write_rcpt(struct queue_writer *w, const struct queue_rcpt *rcpt);

/* queue_write_envid - RFC 3461 ENVID (xtext-decoded). */
int queue_write_envid(struct queue_writer *w, const char *envid);

/* queue_write_ret - RFC 3461 RET (QUEUE_RET_UNSPEC writes nothing). */
int queue_write_ret(struct queue_writer *w, enum queue_ret ret);

/* queue_write_body - BODY= (QUEUE_BODY_UNSPEC writes nothing). */
int queue_write_body(struct queue_writer *w, enum queue_body body);

/* queue_write_smtputf8 - the client asked for SMTPUTF8. */
int queue_write_smtputf8(struct queue_writer *w);

/* queue_write_client - client attributes; NULL fields are left out. */
int queue_write_client(struct queue_writer *w,
		       const struct queue_client *client);

/* queue_write_attr - a name=value attribute for later extensions. */
int queue_write_attr(struct queue_writer *w, const char *name,
		     const char *value);

/*
 * queue_write_content - append n bytes of message content (after
 * dot-unstuffing, CRLF line ends). The first call ends the envelope, which
 * must then have a sender and a recipient. Returns 0, or -1 (sticky) for
 * QUEUE_ERR_TOO_BIG past the size limit, QUEUE_ERR_IO on a write error,
 * QUEUE_ERR_INVALID for an incomplete envelope.
 */
int queue_write_content(struct queue_writer *w, const void *p, size_t n);

/* queue_write_content_size - content bytes accepted so far. */
uint64_t queue_write_content_size(const struct queue_writer *w);

/*
 * queue_write_commit - finish the file (END record), fsync it, rename it to
 * active/ID and fsync active/. Returns 0 once the message is durably
 * queued (only then answer 250), or -1 (see queue_write_error).
 */
int queue_write_commit(struct queue_writer *w);

/*
 * queue_write_error - the class of the first failure (QUEUE_ERR_NONE when
 * none) and its description in *error_r (valid until queue_write_free).
 * Setters fail with QUEUE_ERR_INVALID (a value the format cannot hold) or
 * QUEUE_ERR_LIMIT (too many recipients or attributes, envelope too large).
 */
enum queue_err queue_write_error(const struct queue_writer *w,
				 const char **error_r);

/*
 * queue_write_free - release the writer and NULL *w. A file not committed
 * is removed (this is how a transaction is aborted).
 */
void queue_write_free(struct queue_writer **w);

#endif
