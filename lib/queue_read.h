/*
 * queue_read.h - the one queue file reader.
 *
 * Used by qmgr, the delivery agents, bounce generation and the `mailroom
 * queue` command. Format and the checks made: docs/queue-format.md.
 *
 *	if (queue_read_open(path, QUEUE_READ_WRITE, &msg, &err, &error) < 0)
 *		CORRUPT: queue_move_corrupt(); IO: retry later; NOTFOUND: gone
 *	... msg->sender, msg->rcpts[i], msg->content_size ...
 *	while ((rc = queue_read_content_next(msg, &p, &n, &err, &error)) > 0)
 *		use n bytes at p
 *	queue_read_mark_rcpt(msg, i, QUEUE_RCPT_DELIVERED, &error);
 *	queue_read_free(&msg);
 */
#ifndef MR_QUEUE_READ_H
#define MR_QUEUE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/queue_file.h"

/* Flags for queue_read_open. */
#define QUEUE_READ_WRITE 0x1	/* open read-write, for queue_read_mark_rcpt */

/* One ATTR record. */
struct queue_attr {
	char *name;
	char *value;
};

/*
 * A parsed queue file. Every string is a validated C string owned by the
 * message (no control characters; 8-bit bytes only in sender, addresses,
 * client name, HELO, user and attribute values).
 */
struct queue_message {
	uint64_t arrival_us;	/* microseconds since 1970 */
	char *sender;		/* "" is the null sender */
	char *envid;		/* NULL when absent */
	enum queue_ret ret;
	enum queue_body body;
	bool smtputf8;
	struct queue_client client; /* NULL fields are absent */
	struct queue_attr *attrs;
	size_t attr_count;
	struct queue_rcpt *rcpts;
	size_t rcpt_count;
	uint64_t content_offset; /* file offset of the first content record */
	uint64_t content_size;	 /* content bytes */
	uint64_t file_size;

	/* The reader's own state; callers do not touch it. */
	int fd;			/* -1 for queue_read_buffer */
	bool writable;
	const uint8_t *mem;	/* queue_read_buffer's bytes */
	struct buf window;	/* bytes read from fd at window_offset */
	uint64_t window_offset;
	uint64_t end_offset;	/* file offset of the END record */
	uint64_t content_pos;	/* next content record */
	uint64_t content_read;	/* content bytes returned so far */
};

/*
 * queue_read_open - open and parse the queue file at path; with
 * QUEUE_READ_WRITE the file is opened read-write so that recipients can be
 * marked. Returns 0 with *msg_r set, or -1 with *err_r QUEUE_ERR_CORRUPT
 * (the file is refused: move it to corrupt/ and log *error_r),
 * QUEUE_ERR_NOTFOUND (no such file) or QUEUE_ERR_IO (temporary, errno
 * kept). *error_r is a fixed description. The caller frees *msg_r with
 * queue_read_free.
 */
int queue_read_open(const char *path, int flags, struct queue_message **msg_r,
		    enum queue_err *err_r, const char **error_r);

/*
 * queue_read_buffer - parse n bytes at p as a queue file (tests, fuzzing,
 * files received whole). p must outlive the message; recipients cannot be
 * marked. Returns like queue_read_open (only QUEUE_ERR_CORRUPT fails).
 */
int queue_read_buffer(const uint8_t *p, size_t n, struct queue_message **msg_r,
		      enum queue_err *err_r, const char **error_r);

/*
 * queue_read_content_next - the next chunk of content: returns 1 with n_r
 * bytes at *p_r (valid until the next call on msg), 0 at the end of the
 * content, or -1 with *err_r QUEUE_ERR_IO or QUEUE_ERR_CORRUPT (the file
 * changed since it was opened).
 */
int queue_read_content_next(struct queue_message *msg, const uint8_t **p_r,
			    size_t *n_r, enum queue_err *err_r,
			    const char **error_r);

/* queue_read_content_rewind - restart the content at its first byte. */
void queue_read_content_rewind(struct queue_message *msg);

/*
 * queue_read_mark_rcpt - durably set the status of recipient index (see
 * queue_file_mark_rcpt) and update msg->rcpts[index]. The message must
 * have been opened with QUEUE_READ_WRITE. Returns 0, or -1 with *error_r
 * and errno (then treat the recipient as not finished).
 */
int queue_read_mark_rcpt(struct queue_message *msg, size_t index,
			 enum queue_rcpt_status status, const char **error_r);

/*
 * queue_read_mark_rcpt_unsynced - record a status like queue_read_mark_rcpt
 * but leave it in the page cache; the caller calls queue_read_sync before
 * anything depends on it surviving a crash. Returns 0, or -1 (error_r).
 */
int queue_read_mark_rcpt_unsynced(struct queue_message *msg, size_t index,
				  enum queue_rcpt_status status,
				  const char **error_r);

/* queue_read_sync - fdatasync the file: earlier marks are durable. */
int queue_read_sync(struct queue_message *msg, const char **error_r);

/* queue_read_pending_count - recipients still QUEUE_RCPT_PENDING. */
size_t queue_read_pending_count(const struct queue_message *msg);

/* queue_read_free - close the file, free everything, NULL *msg. */
void queue_read_free(struct queue_message **msg);

#endif
