/*
 * rfc5322_header.c - walk the fields of a header in memory (see
 * rfc5322_header.h).
 *
 * rfc5322_header_iter_init - start a walk
 * rfc5322_header_next      - the next field
 * rfc5322_header_name_is   - compare a field name
 * rfc5322_header_unfold    - a value without folding
 *
 * Untrusted input: headers of stored messages. Nothing is allocated;
 * each octet is looked at a bounded number of times (memchr for line
 * ends), so a walk is linear in the header size. Limits: a name over
 * RFC5322_HEADER_NAME_MAX octets is not a field; unfolding never passes
 * the caller's buffer maximum.
 */
#include "lib/rfc5322_header.h"

#include <string.h>

/* rfc5322_header_iter_init - start a walk */
void
rfc5322_header_iter_init(struct rfc5322_header_iter *it, const uint8_t *p,
                         size_t n)
{
	it->p = p;
	it->n = n;
	it->pos = 0;
}

/* line_end - offset of the LF ending the line at pos, or n */
static size_t
line_end(const struct rfc5322_header_iter *it, size_t pos)
{
	const uint8_t *lf = memchr(it->p + pos, '\n', it->n - pos);

	return lf != NULL ? (size_t)(lf - it->p) : it->n;
}

/* is_empty_line - LF or CR LF alone at pos */
static bool
is_empty_line(const struct rfc5322_header_iter *it, size_t pos)
{
	if (it->p[pos] == '\n')
		return true;
	return it->p[pos] == '\r' && pos + 1 < it->n && it->p[pos + 1] == '\n';
}

/* rfc5322_header_next - the next field */
int
rfc5322_header_next(struct rfc5322_header_iter *it,
                    struct rfc5322_header_field *field)
{
	while (it->pos < it->n && !is_empty_line(it, it->pos)) {
		size_t start = it->pos, end = line_end(it, start), name_end;
		size_t colon, value_end;

		/* The field runs on over continuation lines. */
		value_end = end;
		while (value_end < it->n && value_end + 1 < it->n &&
		       (it->p[value_end + 1] == ' ' ||
		        it->p[value_end + 1] == '\t'))
			value_end = line_end(it, value_end + 1);
		it->pos = value_end < it->n ? value_end + 1 : it->n;
		if (it->p[start] == ' ' || it->p[start] == '\t')
			continue; /* continuation without a field */
		for (colon = start; colon < end && it->p[colon] != ':'; colon++)
			;
		if (colon == end)
			continue; /* no colon: not a field */
		name_end = colon;
		while (name_end > start && (it->p[name_end - 1] == ' ' ||
		                            it->p[name_end - 1] == '\t'))
			name_end--;
		if (name_end == start ||
		    name_end - start > RFC5322_HEADER_NAME_MAX)
			continue;
		for (size_t i = start; i < name_end; i++)
			if (it->p[i] < 33 || it->p[i] > 126)
				goto next;
		/* The line break of the last line is not in the value. */
		if (value_end > colon + 1 && it->p[value_end - 1] == '\r' &&
		    value_end < it->n)
			value_end--;
		field->name = it->p + start;
		field->name_len = name_end - start;
		field->value = it->p + colon + 1;
		field->value_len = value_end - (colon + 1);
		field->offset = start;
		return 1;
	next:;
	}
	return 0;
}

/* rfc5322_header_name_is - compare a field name */
bool
rfc5322_header_name_is(const struct rfc5322_header_field *field,
                       const char *name)
{
	return strlen(name) == field->name_len &&
	       strncasecmp((const char *)field->name, name, field->name_len) ==
	           0;
}

/* rfc5322_header_unfold - a value without folding */
int
rfc5322_header_unfold(const uint8_t *value, size_t n, struct buf *out)
{
	size_t start = out->len, i;
	int ret = 0;

	for (i = 0; i < n; i++) {
		/* A line break is LF or CR LF; a bare CR is content. */
		if (value[i] == '\n' ||
		    (value[i] == '\r' && i + 1 < n && value[i + 1] == '\n'))
			continue;
		if (out->len == start && (value[i] == ' ' || value[i] == '\t'))
			continue;
		if (!buf_has_room(out, 1)) {
			ret = -1;
			break;
		}
		buf_append_byte(out, value[i]);
	}
	while (out->len > start && (out->data[out->len - 1] == ' ' ||
	                            out->data[out->len - 1] == '\t'))
		buf_truncate(out, out->len - 1);
	return ret;
}
