/*
 * mem.c - allocation wrappers (see mem.h).
 *
 * mem_alloc, mem_alloc_array, mem_realloc, mem_realloc_array, mem_strdup,
 * mem_strndup, mem_memdup, mem_free, mem_asprintf.
 * The caller owns every block returned and releases it with mem_free.
 * Out of memory is fatal; overflowing sizes are our bug and panic.
 */
#include "lib/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/checked.h"
#include "lib/log.h"

/* mem_alloc - zeroed allocation that never fails */
void *
mem_alloc(size_t size)
{
	void *p = calloc(1, size ? size : 1);

	if (p == NULL)
		log_fatal("out of memory allocating %zu bytes", size);
	return p;
}

/* mem_alloc_array - zeroed array allocation with overflow check */
void *
mem_alloc_array(size_t count, size_t elem_size)
{
	size_t total;

	if (!checked_mul(count, elem_size, &total))
		log_panic("mem_alloc_array: %zu * %zu overflows", count,
			  elem_size);
	return mem_alloc(total);
}

/* mem_realloc - resize a block */
void *
mem_realloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		log_fatal("out of memory reallocating %zu bytes", size);
	return p;
}

/* mem_realloc_array - resize an array with overflow check */
void *
mem_realloc_array(void *ptr, size_t count, size_t elem_size)
{
	size_t total;

	if (!checked_mul(count, elem_size, &total))
		log_panic("mem_realloc_array: %zu * %zu overflows", count,
			  elem_size);
	return mem_realloc(ptr, total);
}

/* mem_strdup - duplicate a string */
char *
mem_strdup(const char *s)
{
	return mem_memdup(s, strlen(s));
}

/* mem_strndup - duplicate at most n bytes of a string */
char *
mem_strndup(const char *s, size_t n)
{
	return mem_memdup(s, strnlen(s, n));
}

/* mem_memdup - duplicate bytes, adding a terminating NUL */
void *
mem_memdup(const void *p, size_t size)
{
	size_t total;
	char *copy;

	if (!checked_add(size, 1, &total))
		log_panic("mem_memdup: size overflows");
	copy = mem_alloc(total);
	if (size > 0)
		memcpy(copy, p, size);
	return copy;
}

/* mem_free_impl - free and clear the caller's pointer */
void
mem_free_impl(void **ptr)
{
	free(*ptr);
	*ptr = NULL;
}

/* mem_asprintf - allocate a formatted string */
char *
mem_asprintf(const char *fmt, ...)
{
	va_list ap;
	int need;
	char *s;

	va_start(ap, fmt);
	need = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (need < 0)
		log_panic("mem_asprintf: bad format");
	s = mem_alloc((size_t)need + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)need + 1, fmt, ap);
	va_end(ap);
	return s;
}
