/*
 * buf.h - bounded growable byte buffers.
 *
 * A struct buf holds bytes from outside (network, files, IPC): pointer,
 * length, capacity and a hard maximum fixed at creation. Bytes are not
 * assumed to end in NUL and may contain NUL. Protocol code checks its own
 * limits with buf_has_room() before appending; appending past the maximum
 * is a missing check (our bug) and panics.
 *
 * The buffer owns its storage; buf_deinit/buf_free release it.
 */
#ifndef MR_BUF_H
#define MR_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;	/* len bytes of content, then room; may be NULL */
	size_t len;	/* bytes of content */
	size_t cap;	/* bytes allocated (always > len once allocated) */
	size_t max;	/* hard maximum of len */
};

/* buf_init - empty buffer that may hold at most max bytes. */
void buf_init(struct buf *b, size_t max);

/* buf_deinit - release the storage; the buffer is empty afterwards. */
void buf_deinit(struct buf *b);

/* buf_new - heap buffer; release with buf_free. */
struct buf *buf_new(size_t max);

/* buf_free - release a heap buffer and NULL the caller's pointer. */
void buf_free(struct buf **b);

/* buf_has_room - whether n more bytes fit under the maximum. */
bool buf_has_room(const struct buf *b, size_t n);

/* buf_append - append n bytes; panics past the maximum. */
void buf_append(struct buf *b, const void *p, size_t n);

/* buf_append_str - append a NUL-terminated string (without the NUL). */
void buf_append_str(struct buf *b, const char *s);

/* buf_append_byte - append one byte. */
void buf_append_byte(struct buf *b, uint8_t c);

/* buf_printf - append formatted text; panics past the maximum. */
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * buf_reserve - make room for n more bytes and return where they go; the
 * caller writes at most n bytes there and calls buf_commit with the count.
 * Panics past the maximum.
 */
uint8_t *buf_reserve(struct buf *b, size_t n);

/* buf_commit - add n bytes written after buf_reserve to the length. */
void buf_commit(struct buf *b, size_t n);

/* buf_reset - drop the content, keep the storage. */
void buf_reset(struct buf *b);

/* buf_consume - drop the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);

/* buf_truncate - shorten the content to len bytes (len <= b->len). */
void buf_truncate(struct buf *b, size_t len);

/*
 * buf_cstr - the content as a C string: a NUL is kept after the last byte.
 * Only meaningful when the content has no NUL of its own.
 */
const char *buf_cstr(struct buf *b);

/* buf_room - free bytes under the maximum. */
size_t buf_room(const struct buf *b);

#endif
