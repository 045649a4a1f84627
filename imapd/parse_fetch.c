/*
 * parse_fetch.c - FETCH items (see parse.h).
 *
 * imap_fetch_parse        - the items argument of FETCH
 * imap_fetch_deinit       - release it
 * imap_fetch_section_name - an item's name in the response
 *
 * Untrusted input: FETCH arguments, bounded by the tokenizer's limits.
 * Limits: IMAP_FETCH_SECTIONS_MAX BODY[...] items, IMAP_SECTION_DEPTH_MAX
 * part numbers, IMAP_FETCH_FIELDS_MAX header names. RFC 3501 6.4.5 and 9
 * (fetch-att, section, section-spec, header-list, partial).
 */
#include "imapd/parse.h"

#include <string.h>
#include <strings.h>

#include "lib/mem.h"

static const struct {
	const char *name;
	unsigned items;
} simple_items[] = {
    {"FLAGS", IMAP_FETCH_FLAGS},
    {"UID", IMAP_FETCH_UID},
    {"INTERNALDATE", IMAP_FETCH_INTERNALDATE},
    {"RFC822.SIZE", IMAP_FETCH_RFC822_SIZE},
    {"ENVELOPE", IMAP_FETCH_ENVELOPE},
    {"BODY", IMAP_FETCH_BODY},
    {"BODYSTRUCTURE", IMAP_FETCH_BODYSTRUCTURE},
    {"RFC822", IMAP_FETCH_RFC822},
    {"RFC822.HEADER", IMAP_FETCH_RFC822_HEADER},
    {"RFC822.TEXT", IMAP_FETCH_RFC822_TEXT},
    /* Macros (RFC 3501 6.4.5), only alone. */
};

#define MACRO_FAST                                                             \
	(IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE | IMAP_FETCH_RFC822_SIZE)
#define MACRO_ALL (MACRO_FAST | IMAP_FETCH_ENVELOPE)
#define MACRO_FULL (MACRO_ALL | IMAP_FETCH_BODY)

/* Scanner over an item's text. */
struct scan {
	const char *s;
	size_t n;
	size_t i;
};

/* scan_word - whether the text continues with word (any case) */
static bool
scan_word(struct scan *sc, const char *word)
{
	size_t len = strlen(word);

	if (sc->n - sc->i < len || strncasecmp(sc->s + sc->i, word, len) != 0)
		return false;
	sc->i += len;
	return true;
}

/* scan_number - a number below 2^32 (nz: not zero) */
static bool
scan_number(struct scan *sc, bool nz, uint64_t *v_r)
{
	size_t start = sc->i;
	uint64_t v = 0;

	while (sc->i < sc->n && sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9') {
		v = v * 10 + (uint64_t)(sc->s[sc->i++] - '0');
		if (v > UINT32_MAX)
			return false;
	}
	if (sc->i == start || (nz && (v == 0 || sc->s[start] == '0')))
		return false;
	*v_r = v;
	return true;
}

/* is_field_char - RFC 5322 ftext */
static bool
is_field_char(char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/* scan_fields - SP "(" header-fld-name *(SP header-fld-name) ")" */
static int
scan_fields(struct scan *sc, struct imap_fetch_section *sec,
            const char **error_r)
{
	char name[1024];

	if (!scan_word(sc, " ("))
		goto bad;
	sec->fields = mem_alloc_array(IMAP_FETCH_FIELDS_MAX, sizeof(char *));
	for (;;) {
		size_t len = 0;

		if (sc->i < sc->n && sc->s[sc->i] == '"') {
			/* A quoted name (astring). */
			for (sc->i++; sc->i < sc->n && sc->s[sc->i] != '"';
			     sc->i++) {
				if (sc->s[sc->i] == '\\' && sc->i + 1 < sc->n)
					sc->i++;
				if (len == sizeof(name) - 1 ||
				    !is_field_char(sc->s[sc->i]))
					goto bad;
				name[len++] = sc->s[sc->i];
			}
			if (sc->i == sc->n)
				goto bad;
			sc->i++;
		} else {
			while (sc->i < sc->n && sc->s[sc->i] != ' ' &&
			       sc->s[sc->i] != ')') {
				if (len == sizeof(name) - 1 ||
				    !is_field_char(sc->s[sc->i]) ||
				    sc->s[sc->i] == '(' || sc->s[sc->i] == '"')
					goto bad;
				name[len++] = sc->s[sc->i++];
			}
		}
		if (len == 0)
			goto bad;
		if (sec->field_count == IMAP_FETCH_FIELDS_MAX) {
			*error_r = "Too many header field names";
			return -1;
		}
		name[len] = '\0';
		for (size_t k = 0; k < len; k++)
			if (name[k] >= 'a' && name[k] <= 'z')
				name[k] = (char)(name[k] - 32);
		sec->fields[sec->field_count++] = mem_strdup(name);
		if (scan_word(sc, ")"))
			return 0;
		if (!scan_word(sc, " "))
			goto bad;
	}
bad:
	*error_r = "Invalid header field list";
	return -1;
}

/* scan_section - "[" section-spec "]" [partial] after BODY / BODY.PEEK */
static int
scan_section(struct scan *sc, struct imap_fetch_section *sec,
             const char **error_r)
{
	uint64_t v;

	if (!scan_word(sc, "["))
		goto bad;
	/* section-part: nz-number *("." nz-number) */
	while (sc->i < sc->n && sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9') {
		if (!scan_number(sc, true, &v))
			goto bad;
		if (sec->part_count == IMAP_SECTION_DEPTH_MAX) {
			*error_r = "Section nested too deeply";
			return -1;
		}
		sec->parts[sec->part_count++] = (uint32_t)v;
		if (!scan_word(sc, "."))
			break;
		if (sc->i < sc->n && (sc->s[sc->i] < '0' || sc->s[sc->i] > '9'))
			break; /* "1.HEADER" */
	}
	if (sec->part_count > 0 && sc->s[sc->i - 1] == '.' && sc->i < sc->n &&
	    sc->s[sc->i] == ']')
		goto bad; /* "1.]" */
	sec->spec = IMAP_SECTION_ALL;
	if (scan_word(sc, "HEADER.FIELDS.NOT")) {
		sec->spec = IMAP_SECTION_HEADER_FIELDS_NOT;
		if (scan_fields(sc, sec, error_r) < 0)
			return -1;
	} else if (scan_word(sc, "HEADER.FIELDS")) {
		sec->spec = IMAP_SECTION_HEADER_FIELDS;
		if (scan_fields(sc, sec, error_r) < 0)
			return -1;
	} else if (scan_word(sc, "HEADER")) {
		sec->spec = IMAP_SECTION_HEADER;
	} else if (scan_word(sc, "TEXT")) {
		sec->spec = IMAP_SECTION_TEXT;
	} else if (sec->part_count > 0 && scan_word(sc, "MIME")) {
		sec->spec = IMAP_SECTION_MIME;
	} else if (sec->part_count > 0 && sc->s[sc->i - 1] == '.') {
		goto bad;
	}
	if (!scan_word(sc, "]"))
		goto bad;
	if (scan_word(sc, "<")) {
		sec->partial = true;
		if (!scan_number(sc, false, &sec->partial_offset) ||
		    !scan_word(sc, ".") ||
		    !scan_number(sc, true, &sec->partial_count) ||
		    !scan_word(sc, ">"))
			goto bad;
	}
	if (sc->i != sc->n)
		goto bad;
	return 0;
bad:
	*error_r = "Invalid BODY[] section";
	return -1;
}

/* section_free - release one section's names */
static void
section_free(struct imap_fetch_section *sec)
{
	size_t i;

	for (i = 0; i < sec->field_count; i++)
		mem_free(&sec->fields[i]);
	mem_free(&sec->fields);
}

/* parse_item - one fetch-att */
static int
parse_item(const struct imap_arg *a, struct imap_fetch *fetch,
           const char **error_r)
{
	struct scan sc = {.s = a->str, .n = a->len, .i = 0};
	struct imap_fetch_section *sec;
	size_t i;

	if (a->type != IMAP_ARG_ATOM) {
		*error_r = "Invalid FETCH item";
		return -1;
	}
	for (i = 0; i < sizeof(simple_items) / sizeof(simple_items[0]); i++) {
		if (strcasecmp(a->str, simple_items[i].name) == 0) {
			fetch->items |= simple_items[i].items;
			return 0;
		}
	}
	if (!scan_word(&sc, "BODY")) {
		*error_r = "Unknown FETCH item";
		return -1;
	}
	if (fetch->section_count == IMAP_FETCH_SECTIONS_MAX) {
		*error_r = "Too many BODY[] items";
		return -1;
	}
	if (fetch->sections == NULL)
		fetch->sections = mem_alloc_array(IMAP_FETCH_SECTIONS_MAX,
		                                  sizeof(*fetch->sections));
	sec = &fetch->sections[fetch->section_count];
	memset(sec, 0, sizeof(*sec));
	sec->peek = scan_word(&sc, ".PEEK");
	if (scan_section(&sc, sec, error_r) < 0) {
		section_free(sec);
		return -1;
	}
	fetch->section_count++;
	return 0;
}

/* imap_fetch_parse - the items argument of FETCH */
int
imap_fetch_parse(const struct imap_arg *a, struct imap_fetch *fetch,
                 const char **error_r)
{
	const struct imap_arg *item;
	size_t i;

	memset(fetch, 0, sizeof(*fetch));
	if (a->type == IMAP_ARG_ATOM) {
		if (strcasecmp(a->str, "ALL") == 0)
			fetch->items = MACRO_ALL;
		else if (strcasecmp(a->str, "FAST") == 0)
			fetch->items = MACRO_FAST;
		else if (strcasecmp(a->str, "FULL") == 0)
			fetch->items = MACRO_FULL;
		else if (parse_item(a, fetch, error_r) < 0)
			goto fail;
		return 0;
	}
	if (a->type != IMAP_ARG_LIST || a->list_count == 0) {
		*error_r = "Invalid FETCH items";
		return -1;
	}
	item = imap_arg_items(a);
	for (i = 0; i < a->list_count; i++, item = imap_arg_next(item))
		if (parse_item(item, fetch, error_r) < 0)
			goto fail;
	return 0;
fail:
	imap_fetch_deinit(fetch);
	return -1;
}

/* imap_fetch_deinit - release it */
void
imap_fetch_deinit(struct imap_fetch *fetch)
{
	size_t i;

	for (i = 0; i < fetch->section_count; i++)
		section_free(&fetch->sections[i]);
	mem_free(&fetch->sections);
	fetch->section_count = 0;
}

/* imap_fetch_section_name - an item's name in the response */
void
imap_fetch_section_name(const struct imap_fetch_section *s, struct buf *out)
{
	static const char *const specs[] = {
	    [IMAP_SECTION_ALL] = "",
	    [IMAP_SECTION_HEADER] = "HEADER",
	    [IMAP_SECTION_HEADER_FIELDS] = "HEADER.FIELDS",
	    [IMAP_SECTION_HEADER_FIELDS_NOT] = "HEADER.FIELDS.NOT",
	    [IMAP_SECTION_TEXT] = "TEXT",
	    [IMAP_SECTION_MIME] = "MIME",
	};
	size_t i;

	buf_append_str(out, "BODY[");
	for (i = 0; i < s->part_count; i++)
		buf_printf(out, "%s%u", i > 0 ? "." : "", s->parts[i]);
	if (s->part_count > 0 && s->spec != IMAP_SECTION_ALL)
		buf_append_byte(out, '.');
	buf_append_str(out, specs[s->spec]);
	if (s->field_count > 0) {
		buf_append_str(out, " (");
		for (i = 0; i < s->field_count; i++)
			buf_printf(out, "%s%s", i > 0 ? " " : "", s->fields[i]);
		buf_append_byte(out, ')');
	}
	buf_append_byte(out, ']');
	if (s->partial)
		buf_printf(out, "<%llu>",
		           (unsigned long long)s->partial_offset);
}
