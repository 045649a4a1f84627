/*
 * str.h - small string helpers for validated C strings.
 *
 * Converting raw external bytes to a C string goes through str_from_bytes,
 * which refuses embedded NULs and control characters where they are not
 * allowed.
 */
#ifndef MR_STR_H
#define MR_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Flags for str_from_bytes. */
#define STR_ALLOW_TAB 0x1	/* HT is allowed */
#define STR_ALLOW_8BIT 0x2	/* bytes >= 0x80 are allowed */

/*
 * str_from_bytes - a new NUL-terminated copy of n bytes, or NULL when they
 * contain NUL, another control character (except HT with STR_ALLOW_TAB) or,
 * without STR_ALLOW_8BIT, bytes >= 0x80. The caller frees the copy.
 */
char *str_from_bytes(const uint8_t *p, size_t n, int flags);

/* str_lower - ASCII lower-case s in place; returns s. */
char *str_lower(char *s);

/* str_trim - strip leading and trailing white space in place; returns the start. */
char *str_trim(char *s);

/*
 * str_format - snprintf into out (size > 0 bytes), cutting the text when it
 * does not fit: for diagnostics built from peers' words, where a cut is
 * fine. Returns true when the whole text fit.
 */
bool str_format(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * str_vline - a protocol line into line (size >= 4 octets): prefix (NULL:
 * none), then the formatted text, cut so that the CR LF added after it
 * fits with room for a NUL. Returns the octets written, CR LF included.
 * Lines made of peers' words (a reply echoing a command) are cut, never
 * overflowed.
 */
size_t str_vline(char *line, size_t size, const char *prefix,
		 const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* str_hex_value - the value of a hex digit of either case, or -1. */
int str_hex_value(uint8_t c);

/* str_eq_ci - ASCII case-insensitive equality. */
bool str_eq_ci(const char *a, const char *b);

/* str_has_prefix - whether s starts with prefix. */
bool str_has_prefix(const char *s, const char *prefix);

/* str_has_prefix_ci - the same, ignoring ASCII case. */
bool str_has_prefix_ci(const char *s, const char *prefix);

/*
 * str_split - split s at any of the separator characters (runs count as
 * one, empty fields dropped) into a NULL-terminated array of new strings;
 * *count_r gets the number of fields. Free with str_split_free.
 */
char **str_split(const char *s, const char *separators, size_t *count_r);

/* str_split_free - free a str_split result and NULL the caller's pointer. */
void str_split_free(char ***fields);

#endif
