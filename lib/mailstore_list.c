/*
 * mailstore_list.c - the UID list file, format version 1 (see
 * mailstore_list.h, docs/mailstore.md).
 *
 * mailstore_list_parse  - bytes of a list file to a struct mailstore_list
 * mailstore_list_format - the reverse
 * mailstore_list_keyword_is_valid, mailstore_list_base_is_valid
 * mailstore_list_init, mailstore_list_deinit
 *
 * Untrusted input: the file lives in the user's Maildir. The parser is
 * strict (one spelling per value, so format(parse(x)) == x for every x it
 * accepts) and bounded: MAILSTORE_LIST_LINE_MAX octets per line,
 * MAILSTORE_MESSAGES_MAX M records, MAILSTORE_KEYWORDS_MAX K records,
 * MAILSTORE_LIST_FILE_MAX octets. Entries are owned by the list.
 */
#include "lib/mailstore_list.h"

#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "lib/checked.h"
#include "lib/mailstore_name.h"
#include "lib/mem.h"

/* Largest internal date (seconds): year ~36812, as in mailstore_name. */
#define LIST_MTIME_MAX (1ll << 40)

/* mailstore_list_init - empty list */
void
mailstore_list_init(struct mailstore_list *list)
{
	memset(list, 0, sizeof(*list));
}

/* mailstore_list_deinit - release everything */
void
mailstore_list_deinit(struct mailstore_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		mem_free(&list->entries[i].base);
	for (i = 0; i < MAILSTORE_KEYWORDS_MAX; i++)
		mem_free(&list->keywords[i]);
	mem_free(&list->entries);
	memset(list, 0, sizeof(*list));
}

/* mailstore_list_keyword_is_valid - an IMAP atom, not a system flag */
bool
mailstore_list_keyword_is_valid(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > MAILSTORE_KEYWORD_MAX || name[0] == '\\')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return false;
	}
	return true;
}

/* mailstore_list_base_is_valid - a base name mailstore_name accepts */
bool
mailstore_list_base_is_valid(const char *base, size_t len)
{
	struct mailstore_name mn;

	return len > 0 && memchr(base, ':', len) == NULL &&
	       mailstore_name_parse(base, len, &mn) == 0;
}

/*
 * list_number - a decimal field at *pp (before end) in [0, max], followed
 * by a space or the end: the canonical spelling only. Advances *pp past
 * the field and its space.
 */
static int
list_number(const char **pp, const char *end, uint64_t max, bool last,
	    uint64_t *value_r)
{
	const char *p = *pp;
	uint64_t v = 0;
	size_t n = 0;

	while (p + n < end && p[n] >= '0' && p[n] <= '9') {
		v = v * 10 + (uint64_t)(p[n] - '0');
		if (v > max)
			return -1;
		n++;
	}
	if (n == 0 || (n > 1 && p[0] == '0'))
		return -1;
	p += n;
	if (last) {
		if (p != end)
			return -1;
	} else {
		if (p >= end || *p != ' ')
			return -1;
		p++;
	}
	*pp = p;
	*value_r = v;
	return 0;
}

/* list_fail - set the error, free what was parsed, -1 */
static int
list_fail(struct mailstore_list *list, struct mailstore_list_error *err,
	  size_t line, const char *what)
{
	mailstore_list_deinit(list);
	err->line = line;
	err->what = what;
	return -1;
}

/* list_entry_add - append one M record (the UID order is checked) */
static const char *
list_entry_add(struct mailstore_list *list, const char *p, const char *end)
{
	struct mailstore_list_entry *e;
	uint64_t uid, size, vsize, mtime;

	if (list_number(&p, end, UINT32_MAX, false, &uid) < 0 || uid == 0)
		return "bad UID";
	if (list_number(&p, end, MAILSTORE_SIZE_MAX, false, &size) < 0 ||
	    list_number(&p, end, 2 * MAILSTORE_SIZE_MAX, false, &vsize) < 0 ||
	    vsize < size)
		return "bad size";
	if (list_number(&p, end, LIST_MTIME_MAX, false, &mtime) < 0)
		return "bad date";
	if (!mailstore_list_base_is_valid(p, (size_t)(end - p)))
		return "bad base name";
	if (uid >= list->uidnext)
		return "UID not below UIDNEXT";
	if (list->count > 0 && uid <= list->entries[list->count - 1].uid)
		return "UIDs not ascending";
	if (list->count == MAILSTORE_MESSAGES_MAX)
		return "too many messages";
	if (list->count == list->cap) {
		size_t cap;

		if (!checked_grow(list->cap, list->count + 1,
				  MAILSTORE_MESSAGES_MAX, &cap))
			return "too many messages";
		list->entries = mem_realloc_array(list->entries, cap,
						  sizeof(*list->entries));
		list->cap = cap;
	}
	e = &list->entries[list->count++];
	e->uid = (uint32_t)uid;
	e->size = size;
	e->vsize = vsize;
	e->mtime = (int64_t)mtime;
	e->base = mem_strndup(p, (size_t)(end - p));
	return NULL;
}

/* list_keyword_add - one K record */
static const char *
list_keyword_add(struct mailstore_list *list, const char *p, const char *end)
{
	int idx;
	size_t i;

	if (end - p < 3 || p[0] < 'a' || p[0] > 'z' || p[1] != ' ')
		return "bad keyword letter";
	idx = p[0] - 'a';
	p += 2;
	if (!mailstore_list_keyword_is_valid(p, (size_t)(end - p)))
		return "bad keyword";
	if (list->keywords[idx] != NULL)
		return "duplicate keyword letter";
	/* One spelling per list: letters ascend, as the formatter writes. */
	for (i = (size_t)idx + 1; i < MAILSTORE_KEYWORDS_MAX; i++)
		if (list->keywords[i] != NULL)
			return "keyword letters not ascending";
	for (i = 0; i < MAILSTORE_KEYWORDS_MAX; i++)
		if (list->keywords[i] != NULL &&
		    strlen(list->keywords[i]) == (size_t)(end - p) &&
		    strncasecmp(list->keywords[i], p, (size_t)(end - p)) == 0)
			return "duplicate keyword";
	list->keywords[idx] = mem_strndup(p, (size_t)(end - p));
	return NULL;
}

/* mailstore_list_parse - the whole file */
int
mailstore_list_parse(const uint8_t *data, size_t n,
		     struct mailstore_list *list,
		     struct mailstore_list_error *err)
{
	const char *p = (const char *)data, *end = p + n;
	size_t line = 0;
	int stage = 0;	/* 0 magic, 1 V, 2 N, 3 K or M, 4 M only */

	mailstore_list_init(list);
	if (n > MAILSTORE_LIST_FILE_MAX)
		return list_fail(list, err, 0, "file too large");
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *what = NULL;
		uint64_t v;

		line++;
		if (eol == NULL)
			return list_fail(list, err, line, "last line has no LF");
		if ((size_t)(eol - p) + 1 > MAILSTORE_LIST_LINE_MAX)
			return list_fail(list, err, line, "line too long");
		if (memchr(p, '\0', (size_t)(eol - p)) != NULL)
			return list_fail(list, err, line, "NUL in line");
		switch (stage) {
		case 0:
			if ((size_t)(eol - p) != strlen(MAILSTORE_LIST_MAGIC) ||
			    memcmp(p, MAILSTORE_LIST_MAGIC,
				   strlen(MAILSTORE_LIST_MAGIC)) != 0)
				what = "not a version 1 UID list";
			stage = 1;
			break;
		case 1:
			p += 2;
			if (p > eol || p[-2] != 'V' || p[-1] != ' ' ||
			    list_number(&p, eol, UINT32_MAX, true, &v) < 0 ||
			    v == 0)
				what = "bad UIDVALIDITY record";
			else
				list->uidvalidity = (uint32_t)v;
			stage = 2;
			break;
		case 2:
			p += 2;
			if (p > eol || p[-2] != 'N' || p[-1] != ' ' ||
			    list_number(&p, eol, UINT32_MAX, true, &v) < 0 ||
			    v == 0)
				what = "bad UIDNEXT record";
			else
				list->uidnext = (uint32_t)v;
			stage = 3;
			break;
		default:
			if (eol - p >= 2 && p[0] == 'K' && p[1] == ' ' &&
			    stage == 3)
				what = list_keyword_add(list, p + 2, eol);
			else if (eol - p >= 2 && p[0] == 'M' && p[1] == ' ') {
				stage = 4;
				what = list_entry_add(list, p + 2, eol);
			} else
				what = "unknown record";
			break;
		}
		if (what != NULL)
			return list_fail(list, err, line, what);
		p = eol + 1;
	}
	if (stage < 3)
		return list_fail(list, err, line + 1, "header incomplete");
	return 0;
}

/* mailstore_list_format - one file for list */
void
mailstore_list_format(const struct mailstore_list *list, struct buf *out)
{
	size_t i;

	buf_printf(out, "%s\nV %" PRIu32 "\nN %" PRIu32 "\n",
		   MAILSTORE_LIST_MAGIC, list->uidvalidity, list->uidnext);
	for (i = 0; i < MAILSTORE_KEYWORDS_MAX; i++)
		if (list->keywords[i] != NULL)
			buf_printf(out, "K %c %s\n", (char)('a' + i),
				   list->keywords[i]);
	for (i = 0; i < list->count; i++) {
		const struct mailstore_list_entry *e = &list->entries[i];

		buf_printf(out, "M %" PRIu32 " %" PRIu64 " %" PRIu64
				" %" PRId64 " %s\n",
			   e->uid, e->size, e->vsize, e->mtime, e->base);
	}
}
