/*
 * buf.c - bounded growable byte buffers (see buf.h).
 *
 * buf_init/buf_deinit, buf_new/buf_free, buf_has_room, buf_append*,
 * buf_printf, buf_reserve/buf_commit, buf_reset, buf_consume, buf_truncate,
 * buf_cstr, buf_room.
 * Handles untrusted bytes but never interprets them. Growth doubles and is
 * capped at max + 1 (one byte for buf_cstr's NUL).
 */
#include "lib/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/checked.h"
#include "lib/log.h"
#include "lib/mem.h"

/* buf_init - empty bounded buffer */
void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

/* buf_deinit - release storage */
void
buf_deinit(struct buf *b)
{
	mem_free(&b->data);
	b->len = 0;
	b->cap = 0;
}

/* buf_new - heap buffer */
struct buf *
buf_new(size_t max)
{
	struct buf *b = mem_alloc(sizeof(*b));

	buf_init(b, max);
	return b;
}

/* buf_free - release a heap buffer */
void
buf_free(struct buf **b)
{
	if (*b == NULL)
		return;
	buf_deinit(*b);
	mem_free(b);
}

/* buf_has_room - whether n more bytes fit */
bool
buf_has_room(const struct buf *b, size_t n)
{
	return n <= b->max - b->len;
}

/* buf_room - free bytes under the maximum */
size_t
buf_room(const struct buf *b)
{
	return b->max - b->len;
}

/* buf_grow - ensure capacity for len + n + 1 bytes */
static void
buf_grow(struct buf *b, size_t n)
{
	size_t need, newcap;

	if (!buf_has_room(b, n))
		log_panic("buffer overflow: %zu + %zu exceeds maximum %zu",
			  b->len, n, b->max);
	need = b->len + n + 1;	/* cannot overflow: len + n <= max */
	if (need <= b->cap)
		return;
	if (!checked_grow(b->cap, need, b->max + 1, &newcap))
		log_panic("buffer growth failed");
	b->data = mem_realloc(b->data, newcap);
	b->cap = newcap;
}

/* buf_append - append bytes */
void
buf_append(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

/* buf_append_str - append a string */
void
buf_append_str(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

/* buf_append_byte - append one byte */
void
buf_append_byte(struct buf *b, uint8_t c)
{
	buf_grow(b, 1);
	b->data[b->len++] = c;
}

/* buf_printf - append formatted text */
void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int need;

	va_start(ap, fmt);
	need = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (need < 0)
		log_panic("buf_printf: bad format");
	buf_grow(b, (size_t)need);
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)need + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)need;
}

/* buf_reserve - room for n more bytes */
uint8_t *
buf_reserve(struct buf *b, size_t n)
{
	buf_grow(b, n);
	return b->data + b->len;
}

/* buf_commit - account for bytes written after buf_reserve */
void
buf_commit(struct buf *b, size_t n)
{
	MR_ASSERT(b->len + n < b->cap);
	b->len += n;
}

/* buf_reset - empty the buffer */
void
buf_reset(struct buf *b)
{
	b->len = 0;
}

/* buf_consume - drop bytes from the front */
void
buf_consume(struct buf *b, size_t n)
{
	MR_ASSERT(n <= b->len);
	if (n < b->len)
		memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

/* buf_truncate - shorten the content */
void
buf_truncate(struct buf *b, size_t len)
{
	MR_ASSERT(len <= b->len);
	b->len = len;
}

/* buf_cstr - content as a NUL-terminated string */
const char *
buf_cstr(struct buf *b)
{
	buf_grow(b, 0);
	b->data[b->len] = '\0';
	return (const char *)b->data;
}
