/*
 * mem.h - allocation wrappers.
 *
 * Every wrapper returns zeroed memory and never returns NULL: running out of
 * memory is fatal for the process (log_fatal), and master restarts it.
 * Sizes are checked for overflow before they reach the allocator.
 */
#ifndef MR_MEM_H
#define MR_MEM_H

#include <stddef.h>

/* mem_alloc - zeroed block of size bytes (size 0 gives a valid 1-byte block). */
void *mem_alloc(size_t size);

/* mem_alloc_array - zeroed array of count elements; panics on overflow. */
void *mem_alloc_array(size_t count, size_t elem_size);

/* mem_realloc - resize ptr to size bytes; new bytes are NOT zeroed. */
void *mem_realloc(void *ptr, size_t size);

/* mem_realloc_array - resize ptr to count elements; panics on overflow. */
void *mem_realloc_array(void *ptr, size_t count, size_t elem_size);

/* mem_strdup - copy of a NUL-terminated string. */
char *mem_strdup(const char *s);

/* mem_strndup - copy of at most n bytes of s, NUL-terminated. */
char *mem_strndup(const char *s, size_t n);

/* mem_memdup - copy of size bytes with one extra NUL byte after them. */
void *mem_memdup(const void *p, size_t size);

/* mem_free - free *ptr (NULL is fine) and set *ptr to NULL. */
#define mem_free(pp) mem_free_impl((void **)(pp))
void mem_free_impl(void **ptr);

/* mem_asprintf - newly allocated formatted string. */
char *mem_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
