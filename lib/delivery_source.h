/*
 * delivery_source.h - the message a mailbox delivery copies, and how a
 * delivery fails.
 *
 * A struct delivery_source yields the message content in chunks, so that a
 * large message is never held in memory: one wraps a queued message (the
 * local delivery agent), one wraps a memory buffer (tests, generated
 * messages). delivery_source_copy streams a source, after the caller's
 * prepended header lines, through the mailbox filter (CR LF to LF, and
 * mboxrd From_ quoting for mbox) to a file descriptor, under a size limit.
 *
 * A struct delivery_error says whether a failed delivery is temporary
 * (defer: the message stays queued) or permanent (bounce), with an RFC 3463
 * enhanced status code and a text for the delivery status notification.
 */
#ifndef MR_DELIVERY_SOURCE_H
#define MR_DELIVERY_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/queue_read.h"

/* RFC 3463 status codes the mailbox writers use. */
#define DELIVERY_DSN_MAILBOX "4.2.0"      /* mailbox problem, temporary */
#define DELIVERY_DSN_MAILBOX_FULL "5.2.2" /* over mailbox_size_limit */
#define DELIVERY_DSN_QUOTA "4.2.2"        /* quota or file size, temporary */
#define DELIVERY_DSN_SYSTEM_FULL "4.3.1"  /* file system full */
#define DELIVERY_DSN_SYSTEM "4.3.0"       /* other local system problem */

/* Longest error text kept (it ends up in a DSN and the log). */
#define DELIVERY_ERROR_TEXT_MAX 256

struct delivery_error {
	bool temporary;                     /* defer (true) or bounce (false) */
	char dsn[8];                        /* RFC 3463 "x.y.z" */
	char text[DELIVERY_ERROR_TEXT_MAX]; /* for the DSN and the log */
};

/*
 * delivery_source_next_fn - the next chunk: 1 with *n_r bytes at *p_r
 * (valid until the next call), 0 at the end, -1 with *error_r on a read
 * error (the delivery is deferred).
 */
typedef int delivery_source_next_fn(void *ctx, const uint8_t **p_r, size_t *n_r,
                                    const char **error_r);

/* delivery_source_rewind_fn - restart at the first byte of the content. */
typedef void delivery_source_rewind_fn(void *ctx);

struct delivery_source {
	delivery_source_next_fn *next;
	delivery_source_rewind_fn *rewind;
	void *ctx;
};

/* State of a memory source; the caller owns it and the bytes. */
struct delivery_source_mem {
	const uint8_t *data;
	size_t size;
	size_t pos;
	size_t chunk_octets; /* largest chunk handed out */
};

/*
 * delivery_source_queue_init - a source over the content of msg (CR LF
 * line ends, as queued). msg must outlive the source.
 */
void delivery_source_queue_init(struct delivery_source *src,
                                struct queue_message *msg);

/*
 * delivery_source_mem_init - a source over the size bytes at data, in
 * chunks of at most chunk_octets (0: one chunk). mem holds the position;
 * mem and data must outlive the source.
 */
void delivery_source_mem_init(struct delivery_source *src,
                              struct delivery_source_mem *mem, const void *data,
                              size_t size, size_t chunk_octets);

/* Flags for delivery_source_copy. */
#define DELIVERY_COPY_MBOXRD 0x1 /* mbox: From_ quoting and framing */

/*
 * delivery_source_copy - rewind src, then write prepend_headers (NULL or
 * header lines ending in LF or CR LF) and the content to fd, with CR LF
 * turned into LF (and mboxrd quoting and framing with
 * DELIVERY_COPY_MBOXRD). max_octets (0: none) bounds the octets written.
 * Returns 0 with *octets_r the octets written, or -1 with err filled in:
 * permanent 5.2.2 past max_octets (nothing past the limit was written),
 * temporary for a source read error or a write error (classified by errno,
 * see delivery_source_error_errno). After -1 the caller removes or
 * truncates what was written.
 */
int delivery_source_copy(struct delivery_source *src,
                         const char *prepend_headers, unsigned flags,
                         uint64_t max_octets, int fd, uint64_t *octets_r,
                         struct delivery_error *err);

/* delivery_source_error_set - fill err with a class, status and text. */
void delivery_source_error_set(struct delivery_error *err, bool temporary,
                               const char *dsn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * delivery_source_error_errno - fill err for a system call failure: "what:
 * strerror(errnum)". Every errno is temporary: ENOSPC 4.3.1, EDQUOT and
 * EFBIG 4.2.2, anything else 4.2.0 (never lose mail over a local problem).
 */
void delivery_source_error_errno(struct delivery_error *err, int errnum,
                                 const char *what);

#endif
