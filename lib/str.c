/*
 * str.c - small string helpers (see str.h).
 *
 * str_from_bytes, str_lower, str_trim, str_eq_ci, str_has_prefix(_ci),
 * str_split, str_split_free. str_from_bytes is the gate from untrusted bytes
 * to C strings.
 */
#include "lib/str.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "lib/mem.h"

/* str_from_bytes - validated copy of external bytes */
char *
str_from_bytes(const uint8_t *p, size_t n, int flags)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c == '\t' && (flags & STR_ALLOW_TAB))
			continue;
		if (c < 0x20 || c == 0x7f)
			return NULL;
		if (c >= 0x80 && !(flags & STR_ALLOW_8BIT))
			return NULL;
	}
	return mem_memdup(p, n);
}

/* str_lower - ASCII lower-case in place */
char *
str_lower(char *s)
{
	char *p;

	for (p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

/* str_trim - strip white space in place */
char *
str_trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\r' || end[-1] == '\n'))
		end--;
	*end = '\0';
	return s;
}

/* str_eq_ci - case-insensitive equality */
bool
str_eq_ci(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* str_has_prefix - prefix test */
bool
str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* str_has_prefix_ci - case-insensitive prefix test */
bool
str_has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* str_split - split into fields */
char **
str_split(const char *s, const char *separators, size_t *count_r)
{
	size_t count = 0, cap = 4;
	char **fields = mem_alloc_array(cap + 1, sizeof(*fields));

	for (;;) {
		size_t n;

		s += strspn(s, separators);
		if (*s == '\0')
			break;
		n = strcspn(s, separators);
		if (count == cap) {
			cap *= 2;
			fields = mem_realloc_array(fields, cap + 1,
						   sizeof(*fields));
		}
		fields[count++] = mem_strndup(s, n);
		s += n;
	}
	fields[count] = NULL;
	if (count_r != NULL)
		*count_r = count;
	return fields;
}

/* str_split_free - free split fields */
void
str_split_free(char ***fields)
{
	char **f;

	if (*fields == NULL)
		return;
	for (f = *fields; *f != NULL; f++)
		mem_free(f);
	mem_free(fields);
}

/* str_format - snprintf that may cut */
bool
str_format(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < size;
}

/* str_hex_value - one hex digit */
int
str_hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* str_vline - prefix and formatted text, cut to fit, CR LF added */
size_t
str_vline(char *line, size_t size, const char *prefix, const char *fmt,
	  va_list ap)
{
	size_t n = 0;
	int r;

	if (prefix != NULL) {
		r = snprintf(line, size - 2, "%s", prefix);
		n = r < 0 ? 0 : (size_t)r >= size - 2 ? size - 3 : (size_t)r;
	}
	r = vsnprintf(line + n, size - 2 - n, fmt, ap);
	if (r < 0)
		log_panic("str_vline: bad format");
	n += (size_t)r >= size - 2 - n ? size - 3 - n : (size_t)r;
	line[n++] = '\r';
	line[n++] = '\n';
	return n;
}
