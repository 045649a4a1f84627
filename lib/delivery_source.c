/*
 * delivery_source.c - message sources for mailbox delivery, the copy loop,
 * and delivery errors (see delivery_source.h).
 *
 * delivery_source_queue_init  - source over a queued message's content
 * delivery_source_mem_init    - source over a memory buffer
 * delivery_source_copy        - source -> mailbox filter -> fd, size-capped
 * delivery_source_error_set   - fill a struct delivery_error
 * delivery_source_error_errno - the same for a failed system call
 *
 * Sources own nothing: the queue message or the memory stays the caller's.
 * SECURITY: the content is untrusted message data from anyone who can send
 * mail; it is only copied (through lib/mailbox_filter.c), never parsed
 * here. The copy runs with the privileges of the recipient (local, after
 * its switch). Limits: memory use is one output buffer of
 * DELIVERY_COPY_BUF_OCTETS whatever the message size; max_octets is
 * checked before any octet past it reaches the file.
 */
#include "lib/delivery_source.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/mailbox_filter.h"

/* Output is written to the mailbox in blocks of this size. */
#define DELIVERY_COPY_BUF_OCTETS 65536

/* queue_next - next content chunk of a queued message */
static int
queue_next(void *ctx, const uint8_t **p_r, size_t *n_r, const char **error_r)
{
	enum queue_err qerr;

	return queue_read_content_next(ctx, p_r, n_r, &qerr, error_r);
}

/* queue_rewind - restart a queued message's content */
static void
queue_rewind(void *ctx)
{
	queue_read_content_rewind(ctx);
}

/* delivery_source_queue_init - source over a queued message's content */
void
delivery_source_queue_init(struct delivery_source *src,
                           struct queue_message *msg)
{
	src->next = queue_next;
	src->rewind = queue_rewind;
	src->ctx = msg;
}

/* mem_next - next chunk of a memory source */
static int
mem_next(void *ctx, const uint8_t **p_r, size_t *n_r, const char **error_r)
{
	struct delivery_source_mem *mem = ctx;
	size_t n = mem->size - mem->pos;

	(void)error_r;
	if (n == 0)
		return 0;
	if (mem->chunk_octets > 0 && n > mem->chunk_octets)
		n = mem->chunk_octets;
	*p_r = mem->data + mem->pos;
	*n_r = n;
	mem->pos += n;
	return 1;
}

/* mem_rewind - restart a memory source */
static void
mem_rewind(void *ctx)
{
	struct delivery_source_mem *mem = ctx;

	mem->pos = 0;
}

/* delivery_source_mem_init - source over a memory buffer */
void
delivery_source_mem_init(struct delivery_source *src,
                         struct delivery_source_mem *mem, const void *data,
                         size_t size, size_t chunk_octets)
{
	mem->data = data;
	mem->size = size;
	mem->pos = 0;
	mem->chunk_octets = chunk_octets;
	src->next = mem_next;
	src->rewind = mem_rewind;
	src->ctx = mem;
}

/* delivery_source_error_set - fill a struct delivery_error */
void
delivery_source_error_set(struct delivery_error *err, bool temporary,
                          const char *dsn, const char *fmt, ...)
{
	va_list ap;

	err->temporary = temporary;
	MR_ASSERT(strlen(dsn) < sizeof(err->dsn));
	snprintf(err->dsn, sizeof(err->dsn), "%s", dsn);
	va_start(ap, fmt);
	/* A longer text is cut; it is only for people to read. */
	(void)vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
}

/* delivery_source_error_errno - the same for a failed system call */
void
delivery_source_error_errno(struct delivery_error *err, int errnum,
                            const char *what)
{
	const char *dsn;

	switch (errnum) {
	case ENOSPC:
		dsn = DELIVERY_DSN_SYSTEM_FULL;
		break;
	case EDQUOT:
	case EFBIG:
		dsn = DELIVERY_DSN_QUOTA;
		break;
	default:
		dsn = DELIVERY_DSN_MAILBOX;
		break;
	}
	delivery_source_error_set(err, true, dsn, "%s: %s", what,
	                          strerror(errnum));
}

/* copy_state - what delivery_source_copy carries between its steps */
struct copy_state {
	struct mailbox_filter filter;
	struct buf out;
	uint64_t max_octets;
	uint64_t written;
	int fd;
	struct delivery_error *err;
};

/* copy_flush - write the output buffer; -1 with err on a write error */
static int
copy_flush(struct copy_state *cs)
{
	if (cs->out.len == 0)
		return 0;
	if (io_write_full(cs->fd, cs->out.data, cs->out.len) < 0) {
		delivery_source_error_errno(cs->err, errno,
		                            "error writing message");
		return -1;
	}
	cs->written += cs->out.len;
	buf_reset(&cs->out);
	return 0;
}

/* copy_is_over - whether the output so far passes the size limit */
static bool
copy_is_over(const struct copy_state *cs)
{
	return cs->max_octets > 0 && cs->written + cs->out.len > cs->max_octets;
}

/* copy_over - fill err for a message past the size limit */
static void
copy_over(struct copy_state *cs)
{
	delivery_source_error_set(cs->err, false, DELIVERY_DSN_MAILBOX_FULL,
	                          "mailbox full: message would exceed "
	                          "mailbox_size_limit (%llu octets)",
	                          (unsigned long long)cs->max_octets);
}

/* copy_feed - filter n octets at p into the output, flushing as it fills */
static int
copy_feed(struct copy_state *cs, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t used;

		mailbox_filter_feed(&cs->filter, p, n, &cs->out, &used);
		p += used;
		n -= used;
		if (copy_is_over(cs)) {
			copy_over(cs);
			return -1;
		}
		if (buf_room(&cs->out) < MAILBOX_FILTER_OUT_MIN &&
		    copy_flush(cs) < 0)
			return -1;
	}
	return 0;
}

/* delivery_source_copy - source -> mailbox filter -> fd, size-capped */
int
delivery_source_copy(struct delivery_source *src, const char *prepend_headers,
                     unsigned flags, uint64_t max_octets, int fd,
                     uint64_t *octets_r, struct delivery_error *err)
{
	struct copy_state cs;
	const uint8_t *p;
	const char *error;
	size_t n;
	int rc = -1, more;

	memset(&cs, 0, sizeof(cs));
	mailbox_filter_init(&cs.filter, (flags & DELIVERY_COPY_MBOXRD) != 0
	                                    ? MAILBOX_FILTER_MBOXRD
	                                    : 0);
	buf_init(&cs.out, DELIVERY_COPY_BUF_OCTETS);
	cs.max_octets = max_octets;
	cs.fd = fd;
	cs.err = err;
	src->rewind(src->ctx);

	if (prepend_headers != NULL &&
	    copy_feed(&cs, (const uint8_t *)prepend_headers,
	              strlen(prepend_headers)) < 0)
		goto out;
	for (;;) {
		error = NULL;
		more = src->next(src->ctx, &p, &n, &error);
		if (more < 0) {
			delivery_source_error_set(
			    err, true, DELIVERY_DSN_SYSTEM,
			    "error reading queued message: %s",
			    error != NULL ? error : "unknown error");
			goto out;
		}
		if (more == 0)
			break;
		if (copy_feed(&cs, p, n) < 0)
			goto out;
	}
	if (buf_room(&cs.out) < MAILBOX_FILTER_OUT_MIN && copy_flush(&cs) < 0)
		goto out;
	mailbox_filter_finish(&cs.filter, &cs.out);
	if (copy_is_over(&cs)) {
		copy_over(&cs);
		goto out;
	}
	if (copy_flush(&cs) < 0)
		goto out;
	*octets_r = cs.written;
	rc = 0;
out:
	buf_deinit(&cs.out);
	return rc;
}
