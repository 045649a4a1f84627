/*
 * checked.h - overflow-checked size arithmetic.
 *
 * Every size computation influenced by a peer goes through these. Each
 * returns true and stores the result when it fits, false otherwise (the
 * result is then unspecified).
 */
#ifndef MR_CHECKED_H
#define MR_CHECKED_H

#include <stdbool.h>
#include <stddef.h>

/* checked_add - *r = a + b; false on overflow. */
static inline bool
checked_add(size_t a, size_t b, size_t *r)
{
	return !__builtin_add_overflow(a, b, r);
}

/* checked_mul - *r = a * b; false on overflow. */
static inline bool
checked_mul(size_t a, size_t b, size_t *r)
{
	return !__builtin_mul_overflow(a, b, r);
}

/*
 * checked_grow - the capacity to grow cap to so that it holds need bytes:
 * doubling from cap (at least 16), capped at max. False when need > max.
 */
static inline bool
checked_grow(size_t cap, size_t need, size_t max, size_t *r)
{
	size_t next = cap < 16 ? 16 : cap;

	if (need > max)
		return false;
	while (next < need) {
		if (next > max / 2) {
			next = max;
			break;
		}
		next *= 2;
	}
	if (next > max)
		next = max;
	*r = next;
	return true;
}

#endif
