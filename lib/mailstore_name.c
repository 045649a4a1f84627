/*
 * mailstore_name.c - message file names and folder names of the Maildir++
 * store (see mailstore_name.h, docs/mailstore.md).
 *
 * mailstore_name_parse           - BASE[:2,FLAGS] with ,S= ,W= and time
 * mailstore_name_flags_format    - flag letters in ASCII order
 * mailstore_folder_name_is_valid - IMAP modified UTF-7 folder names
 * mailstore_folder_name_is_inbox - "INBOX" in any case
 *
 * Untrusted input: file names read from the user's Maildir and folder
 * names sent by IMAP clients. Nothing is allocated; every loop is bounded
 * by the length given. Limits: MAILSTORE_FILENAME_MAX,
 * MAILSTORE_FOLDER_NAME_MAX, MAILSTORE_SIZE_MAX. No privilege needed.
 */
#include "lib/buf.h"
#include "lib/imap_utf7.h"
#include "lib/mailstore_name.h"

#include <string.h>
#include <strings.h>

/* Largest time in seconds taken from a name (year ~36812): junk above. */
#define MAILSTORE_NAME_TIME_MAX (1ull << 40)

/* name_number - digits at p (up to end) into *value_r; octets used, or 0 */
static size_t
name_number(const char *p, const char *end, uint64_t max, uint64_t *value_r)
{
	uint64_t v = 0;
	size_t n = 0;

	while (p + n < end && p[n] >= '0' && p[n] <= '9') {
		v = v * 10 + (uint64_t)(p[n] - '0');
		if (v > max)
			return 0;
		n++;
	}
	*value_r = v;
	return n;
}

/* name_fields - ",S=" and ",W=" anywhere in the base name */
static void
name_fields(const char *base, size_t len, struct mailstore_name *out)
{
	const char *p = base, *end = base + len;

	while ((p = memchr(p, ',', (size_t)(end - p))) != NULL) {
		uint64_t v;
		size_t n;

		p++;
		if (end - p < 3 || p[1] != '=' || (p[0] != 'S' && p[0] != 'W'))
			continue;
		n = name_number(p + 2, end, MAILSTORE_SIZE_MAX, &v);
		/* The field ends at ',' or the end of the base name. */
		if (n == 0 || (p + 2 + n < end && p[2 + n] != ','))
			continue;
		if (p[0] == 'S') {
			out->has_size = true;
			out->size = v;
		} else {
			out->has_vsize = true;
			out->vsize = v;
		}
	}
}

/* name_time - "SECONDS." and an optional ".M<number>" after it */
static void
name_time(const char *base, size_t len, struct mailstore_name *out)
{
	const char *end = base + len;
	uint64_t v;
	size_t n = name_number(base, end, MAILSTORE_NAME_TIME_MAX, &v);

	if (n == 0 || base + n >= end || base[n] != '.')
		return;
	out->has_time = true;
	out->time_s = v;
	if (base + n + 2 < end && base[n + 1] == 'M' &&
	    name_number(base + n + 2, end, UINT32_MAX, &v) > 0)
		out->time_sub = v;
}

/* mailstore_name_parse - what a message file name says */
int
mailstore_name_parse(const char *name, size_t len, struct mailstore_name *out)
{
	const char *colon;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > MAILSTORE_FILENAME_MAX || name[0] == '.')
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f || c == '/')
			return -1;
	}
	colon = memchr(name, ':', len);
	out->base_len = colon != NULL ? (size_t)(colon - name) : len;
	if (out->base_len == 0)
		return -1;
	if (colon != NULL) {
		const char *p = colon + 1, *end = name + len;

		out->has_info = true;
		/* Only the "2," semantics carry flags (Maildir spec). */
		if (end - p >= 2 && p[0] == '2' && p[1] == ',') {
			for (p += 2; p < end; p++) {
				if (*p >= 'A' && *p <= 'Z')
					out->flags |= 1u << (*p - 'A');
				else if (*p >= 'a' && *p <= 'z')
					out->keywords |= 1u << (*p - 'a');
			}
		}
	}
	name_fields(name, out->base_len, out);
	name_time(name, out->base_len, out);
	return 0;
}

/* mailstore_name_flags_format - letters of both masks in ASCII order */
size_t
mailstore_name_flags_format(uint32_t flags, uint32_t keywords, char *out,
			    size_t size)
{
	size_t n = 0;
	int i;

	for (i = 0; i < 26 && n + 1 < size; i++)
		if (flags & (1u << i))
			out[n++] = (char)('A' + i);
	for (i = 0; i < 26 && n + 1 < size; i++)
		if (keywords & (1u << i))
			out[n++] = (char)('a' + i);
	if (size > 0)
		out[n] = '\0';
	return n;
}

/* mailstore_folder_name_is_inbox - INBOX in any case */
bool
mailstore_folder_name_is_inbox(const char *name)
{
	return strcasecmp(name, "INBOX") == 0;
}

/* mailstore_folder_name_is_valid - the folder name rules */
bool
mailstore_folder_name_is_valid(const char *name)
{
	size_t len = strnlen(name, MAILSTORE_FOLDER_NAME_MAX + 1), i;
	const char *dot;
	struct buf utf8;
	bool ok;

	if (len == 0 || len > MAILSTORE_FOLDER_NAME_MAX)
		return false;
	if (name[0] == '.' || name[len - 1] == '.' ||
	    strstr(name, "..") != NULL)
		return false;
	/* INBOX is the Maildir itself: it has no folder directory. */
	dot = strchr(name, '.');
	if ((dot != NULL ? (size_t)(dot - name) : len) == 5 &&
	    strncasecmp(name, "INBOX", 5) == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c > 0x7e || c == '/' || c == '\\' ||
		    c == '*' || c == '%')
			return false;
	}
	/* One spelling in modified UTF-7 (lib/imap_utf7 decides). */
	buf_init(&utf8, MAILSTORE_FOLDER_NAME_MAX * 4);
	ok = imap_utf7_to_utf8(name, len, &utf8) == 0;
	buf_deinit(&utf8);
	return ok;
}
