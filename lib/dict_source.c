/*
 * dict_source.c - parser for lookup table source files (see dict_source.h).
 *
 * dict_source_new, dict_source_free, dict_source_set_limits,
 * dict_source_feed, dict_source_finish, dict_source_entry_count,
 * dict_source_parse, dict_source_is_valid_key, dict_source_is_valid_value.
 *
 * Input: the text of a table source (/etc/aliases, a postmap file). It is
 * written by the administrator, but it is still parsed as untrusted bytes:
 * NUL and control characters are refused, every length is checked before
 * it is appended, and the number of entries is capped. The parser runs with
 * whatever privilege its caller has and touches no files.
 *
 * Ownership: the parser owns its buffers, its duplicate set and its error
 * string (valid until dict_source_free). Entries reach the callback as
 * strings that live only during the call. dict_source_parse keeps its error
 * in a module buffer (see below).
 *
 * Limits: DICT_SOURCE_MAX_LINE (a logical line, continuations joined),
 * DICT_SOURCE_MAX_KEY, DICT_SOURCE_MAX_VALUE, DICT_SOURCE_MAX_ENTRIES, or
 * the set given to dict_source_set_limits. Syntax and semantics follow
 * Postfix's postmap(1)/postalias(1); docs/maps.md is the reference.
 */
#include "lib/dict_source.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/checked.h"
#include "lib/log.h"
#include "lib/mem.h"

/* Longest error text before the "FILE, line N: " prefix is added. */
#define DICT_SOURCE_ERROR_TEXT_MAX 512

/* First size of the duplicate set; it doubles at half full. */
#define DICT_SOURCE_SEEN_INITIAL 64

/* One key already delivered, for the duplicate check. */
struct dict_seen {
	char *key;	/* NULL: free slot */
	uint64_t hash;
	size_t line;
};

struct dict_source {
	enum dict_syntax syntax;
	bool fold_case;
	bool finished;
	char *filename;
	dict_source_entry_fn *cb;
	void *ctx;
	struct dict_source_limits limits;
	struct buf line;	/* current physical line, no '\n' */
	size_t line_no;		/* its number, from 1 */
	struct buf entry;	/* pending logical line */
	size_t entry_line;	/* where it starts; 0 when none pending */
	struct buf key;		/* key of the entry being delivered */
	size_t entry_count;
	struct dict_seen *seen;
	size_t seen_cap;
	size_t seen_count;
	char *error;		/* set once; the parser is dead after it */
};

/*
 * XXX: dict_source_parse frees its parser before it returns, so its error
 * text is copied here and stays valid until the next dict_source_parse.
 * This is the module's only mutable state; processes are single-threaded.
 * Remove it when lib/ gets a per-call scratch arena to put errors in.
 */
static char dict_source_parse_error[PATH_MAX + DICT_SOURCE_ERROR_TEXT_MAX];

/* dict_source_is_space - white space inside a line */
static bool
dict_source_is_space(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* dict_source_is_ctl - control character (HT counts) */
static bool
dict_source_is_ctl(uint8_t c)
{
	return c < 0x20 || c == 0x7f;
}

/* dict_source_fold - ASCII lower case in place */
static void
dict_source_fold(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (uint8_t)(p[i] - 'A' + 'a');
}

/* dict_source_fail - record the error for a line and return -1 */
static int __attribute__((format(printf, 3, 4)))
dict_source_fail(struct dict_source *src, size_t line, const char *fmt, ...)
{
	char text[DICT_SOURCE_ERROR_TEXT_MAX];
	va_list ap;

	MR_ASSERT(src->error == NULL);
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	src->error = mem_asprintf("%s, line %zu: %s", src->filename, line,
				  text);
	return -1;
}

/* dict_source_new - parser with the default limits */
struct dict_source *
dict_source_new(enum dict_syntax syntax, int flags, const char *filename,
		dict_source_entry_fn *cb, void *ctx)
{
	struct dict_source *src = mem_alloc(sizeof(*src));
	static const struct dict_source_limits defaults = {
		.max_line = DICT_SOURCE_MAX_LINE,
		.max_key = DICT_SOURCE_MAX_KEY,
		.max_value = DICT_SOURCE_MAX_VALUE,
		.max_entries = DICT_SOURCE_MAX_ENTRIES,
	};

	MR_ASSERT(syntax == DICT_SYNTAX_MAP || syntax == DICT_SYNTAX_ALIASES);
	src->syntax = syntax;
	/* postalias always folds: local parts of aliases are caseless. */
	src->fold_case = (flags & DICT_FLAG_FOLD_CASE) != 0 ||
			 syntax == DICT_SYNTAX_ALIASES;
	src->filename = mem_strdup(filename);
	src->cb = cb;
	src->ctx = ctx;
	src->line_no = 1;
	dict_source_set_limits(src, &defaults);
	return src;
}

/* dict_source_set_limits - replace the limit set before any input */
void
dict_source_set_limits(struct dict_source *src,
		       const struct dict_source_limits *limits)
{
	MR_ASSERT(src->line.len == 0 && src->entry_line == 0 &&
		  src->entry_count == 0);
	src->limits = *limits;
	buf_deinit(&src->line);
	buf_deinit(&src->entry);
	buf_deinit(&src->key);
	buf_init(&src->line, limits->max_line);
	buf_init(&src->entry, limits->max_line);
	buf_init(&src->key, limits->max_key);
}

/* dict_source_free - release the parser */
void
dict_source_free(struct dict_source **srcp)
{
	struct dict_source *src = *srcp;
	size_t i;

	if (src == NULL)
		return;
	for (i = 0; i < src->seen_cap; i++)
		mem_free(&src->seen[i].key);
	mem_free(&src->seen);
	buf_deinit(&src->line);
	buf_deinit(&src->entry);
	buf_deinit(&src->key);
	mem_free(&src->filename);
	mem_free(&src->error);
	mem_free(srcp);
}

/* dict_source_entry_count - entries delivered */
size_t
dict_source_entry_count(const struct dict_source *src)
{
	return src->entry_count;
}

/* dict_source_hash - FNV-1a over the key */
static uint64_t
dict_source_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* dict_source_seen_slot - slot holding key, or the free slot for it */
static struct dict_seen *
dict_source_seen_slot(struct dict_seen *set, size_t cap, const char *key,
		      uint64_t hash)
{
	size_t i = (size_t)hash & (cap - 1);

	/* Open addressing, linear probing; cap is a power of two and the
	 * set is never more than half full, so the loop ends. */
	while (set[i].key != NULL) {
		if (set[i].hash == hash && strcmp(set[i].key, key) == 0)
			return &set[i];
		i = (i + 1) & (cap - 1);
	}
	return &set[i];
}

/* dict_source_seen_grow - double the duplicate set and rehash */
static void
dict_source_seen_grow(struct dict_source *src)
{
	struct dict_seen *old = src->seen;
	size_t old_cap = src->seen_cap, new_cap, i;

	if (old_cap == 0)
		new_cap = DICT_SOURCE_SEEN_INITIAL;
	else if (!checked_mul(old_cap, 2, &new_cap))
		log_panic("dict_source: duplicate set overflows");
	src->seen = mem_alloc_array(new_cap, sizeof(*src->seen));
	src->seen_cap = new_cap;
	for (i = 0; i < old_cap; i++) {
		struct dict_seen *slot;

		if (old[i].key == NULL)
			continue;
		slot = dict_source_seen_slot(src->seen, new_cap, old[i].key,
					     old[i].hash);
		*slot = old[i];
	}
	mem_free(&old);
}

/*
 * dict_source_key_map - split a map entry into key and value: the key ends
 * at the first blank. Sets *value_off_r; returns 0 or -1.
 */
static int
dict_source_key_map(struct dict_source *src, size_t *value_off_r)
{
	const uint8_t *s = src->entry.data;
	size_t len = src->entry.len, k = 0;

	while (k < len && !dict_source_is_space(s[k]))
		k++;
	if (k == len)
		return dict_source_fail(src, src->entry_line,
					"missing value for key \"%s\" "
					"(expected format: key whitespace "
					"value)",
					log_safe(s, k));
	if (k > src->limits.max_key)
		return dict_source_fail(src, src->entry_line,
					"key too long (more than %zu octets)",
					src->limits.max_key);
	buf_append(&src->key, s, k);
	while (k < len && dict_source_is_space(s[k]))
		k++;
	*value_off_r = k;
	return 0;
}

/*
 * dict_source_key_quoted - a quoted alias name: "name with space": value.
 * Backslash quotes the next byte. The key is the unquoted text. Sets *i_r
 * to the offset after the closing quote.
 */
static int
dict_source_key_quoted(struct dict_source *src, size_t *i_r)
{
	const uint8_t *s = src->entry.data;
	size_t len = src->entry.len, i = 1;

	for (;;) {
		uint8_t c;

		if (i == len)
			return dict_source_fail(src, src->entry_line,
						"unterminated quoted alias "
						"name");
		c = s[i++];
		if (c == '"')
			break;
		if (c == '\\') {
			if (i == len)
				return dict_source_fail(
					src, src->entry_line,
					"unterminated quoted alias name");
			c = s[i++];
		}
		if (!buf_has_room(&src->key, 1))
			return dict_source_fail(src, src->entry_line,
						"alias name too long (more "
						"than %zu octets)",
						src->limits.max_key);
		buf_append_byte(&src->key, c);
	}
	if (src->key.len == 0)
		return dict_source_fail(src, src->entry_line,
					"empty alias name");
	*i_r = i;
	return 0;
}

/*
 * dict_source_key_aliases - split an aliases entry: name, ':', value.
 * Sets *value_off_r; returns 0 or -1.
 */
static int
dict_source_key_aliases(struct dict_source *src, size_t *value_off_r)
{
	const uint8_t *s = src->entry.data;
	size_t len = src->entry.len, i = 0, k;

	if (s[0] == '"') {
		if (dict_source_key_quoted(src, &i) < 0)
			return -1;
		while (i < len && dict_source_is_space(s[i]))
			i++;
		if (i == len || s[i] != ':')
			return dict_source_fail(src, src->entry_line,
						"missing ':' after alias "
						"name");
	} else {
		const uint8_t *colon = memchr(s, ':', len);

		if (colon == NULL)
			return dict_source_fail(src, src->entry_line,
						"missing ':' after alias "
						"name");
		/* UNSAFE: colon points into s[0..len). */
		i = (size_t)(colon - s);
		k = i;
		while (k > 0 && dict_source_is_space(s[k - 1]))
			k--;
		if (k == 0)
			return dict_source_fail(src, src->entry_line,
						"missing alias name before "
						"':'");
		if (memchr(s, ' ', k) != NULL || memchr(s, '\t', k) != NULL)
			return dict_source_fail(src, src->entry_line,
						"white space in alias name "
						"\"%s\" (quote the name)",
						log_safe(s, k));
		if (k > src->limits.max_key)
			return dict_source_fail(src, src->entry_line,
						"alias name too long (more "
						"than %zu octets)",
						src->limits.max_key);
		buf_append(&src->key, s, k);
	}
	i++; /* the ':' */
	while (i < len && dict_source_is_space(s[i]))
		i++;
	if (i == len)
		return dict_source_fail(src, src->entry_line,
					"missing value for alias \"%s\"",
					log_safe(src->key.data, src->key.len));
	*value_off_r = i;
	return 0;
}

/* dict_source_flush - parse and deliver the pending logical line */
static int
dict_source_flush(struct dict_source *src)
{
	struct dict_seen *slot;
	const char *key, *value;
	size_t value_off = 0, value_len, line = src->entry_line;
	uint64_t hash;
	int rc;

	if (line == 0)
		return 0;
	buf_reset(&src->key);
	rc = src->syntax == DICT_SYNTAX_MAP
		     ? dict_source_key_map(src, &value_off)
		     : dict_source_key_aliases(src, &value_off);
	if (rc < 0)
		return -1;
	src->entry_line = 0;
	value_len = src->entry.len - value_off;
	if (value_len > src->limits.max_value)
		return dict_source_fail(src, line,
					"value too long (more than %zu "
					"octets)",
					src->limits.max_value);
	key = buf_cstr(&src->key);
	if (src->fold_case)
		dict_source_fold(src->key.data, src->key.len);
	/* Only a quoted alias name can still hold a tab here. */
	if (memchr(key, '\t', src->key.len) != NULL)
		return dict_source_fail(src, line,
					"control character in key \"%s\"",
					log_safe_str(key));
	/* UNSAFE: value_off <= entry.len, and buf_cstr ends it in NUL. */
	value = buf_cstr(&src->entry) + value_off;

	hash = dict_source_hash(src->key.data, src->key.len);
	if (src->seen_cap != 0) {
		slot = dict_source_seen_slot(src->seen, src->seen_cap, key,
					     hash);
		if (slot->key != NULL) {
			/* postmap keeps the first entry and warns. */
			log_warn("%s, line %zu: duplicate entry: \"%s\", "
				 "keeping the one on line %zu",
				 src->filename, line, log_safe_str(key),
				 slot->line);
			return 0;
		}
	}
	if (src->entry_count >= src->limits.max_entries)
		return dict_source_fail(src, line,
					"too many entries (more than %zu)",
					src->limits.max_entries);
	if ((src->seen_count + 1) * 2 > src->seen_cap)
		dict_source_seen_grow(src);
	slot = dict_source_seen_slot(src->seen, src->seen_cap, key, hash);
	slot->key = mem_memdup(key, src->key.len);
	slot->hash = hash;
	slot->line = line;
	src->seen_count++;
	src->entry_count++;
	if (src->cb(src->ctx, key, value, line) < 0)
		return dict_source_fail(src, line, "entry not stored");
	return 0;
}

/*
 * dict_source_line - one physical line (without '\n'): skip blanks and
 * comments, join continuations, deliver the previous entry when a new one
 * starts.
 */
static int
dict_source_line(struct dict_source *src, const uint8_t *p, size_t len)
{
	size_t i = 0, j, need;

	/* Trailing blanks go, CR included, so CRLF files read the same. */
	while (len > 0 && (dict_source_is_space(p[len - 1]) ||
			   p[len - 1] == '\r'))
		len--;
	while (i < len && dict_source_is_space(p[i]))
		i++;
	if (i == len || p[i] == '#')
		return 0;
	for (j = i; j < len; j++)
		if (dict_source_is_ctl(p[j]) && p[j] != '\t')
			return dict_source_fail(src, src->line_no,
						"control character 0x%02x in "
						"line",
						(unsigned int)p[j]);
	if (i > 0) {
		if (src->entry_line == 0)
			return dict_source_fail(src, src->line_no,
						"continuation line without "
						"an entry before it");
		/* One space joins the line to its entry. */
		if (!checked_add(len - i, 1, &need) ||
		    !buf_has_room(&src->entry, need))
			return dict_source_fail(
				src, src->line_no,
				"entry starting on line %zu too long (more "
				"than %zu octets)",
				src->entry_line, src->limits.max_line);
		buf_append_byte(&src->entry, ' ');
		buf_append(&src->entry, p + i, len - i);
		return 0;
	}
	if (dict_source_flush(src) < 0)
		return -1;
	buf_reset(&src->entry);
	/* The physical line is within max_line, so it fits. */
	buf_append(&src->entry, p, len);
	src->entry_line = src->line_no;
	return 0;
}

/* dict_source_feed - parse more input */
int
dict_source_feed(struct dict_source *src, const uint8_t *p, size_t n,
		 const char **error_r)
{
	MR_ASSERT(!src->finished);
	while (src->error == NULL && n > 0) {
		const uint8_t *nl = memchr(p, '\n', n);
		/* UNSAFE: nl points into p[0..n). */
		size_t chunk = nl != NULL ? (size_t)(nl - p) : n;

		size_t room = buf_room(&src->line);

		/* Look for NUL only within the room left, so that the same
		 * error wins however the input is split. */
		if (memchr(p, '\0', chunk < room ? chunk : room) != NULL) {
			dict_source_fail(src, src->line_no, "NUL byte in line");
			break;
		}
		if (chunk > room) {
			dict_source_fail(src, src->line_no,
					 "line too long (more than %zu "
					 "octets)",
					 src->limits.max_line);
			break;
		}
		buf_append(&src->line, p, chunk);
		if (nl == NULL)
			break;
		p += chunk + 1;
		n -= chunk + 1;
		if (dict_source_line(src, src->line.data, src->line.len) < 0)
			break;
		buf_reset(&src->line);
		src->line_no++;
	}
	if (src->error != NULL) {
		*error_r = src->error;
		return -1;
	}
	return 0;
}

/* dict_source_finish - last line and last entry */
int
dict_source_finish(struct dict_source *src, const char **error_r)
{
	MR_ASSERT(!src->finished);
	src->finished = true;
	if (src->error == NULL && src->line.len > 0 &&
	    dict_source_line(src, src->line.data, src->line.len) == 0)
		buf_reset(&src->line);
	if (src->error == NULL)
		(void)dict_source_flush(src);
	if (src->error != NULL) {
		*error_r = src->error;
		return -1;
	}
	return 0;
}

/* dict_source_parse - one-shot parse of a whole buffer */
int
dict_source_parse(const uint8_t *p, size_t n, enum dict_syntax syntax,
		  int flags, const char *filename, dict_source_entry_fn *cb,
		  void *ctx, const char **error_r)
{
	struct dict_source *src = dict_source_new(syntax, flags, filename, cb,
						  ctx);
	const char *error;
	int rc;

	rc = dict_source_feed(src, p, n, &error);
	if (rc == 0)
		rc = dict_source_finish(src, &error);
	if (rc < 0) {
		/* Truncating a long file name in the message is fine. */
		snprintf(dict_source_parse_error,
			 sizeof(dict_source_parse_error), "%s", error);
		*error_r = dict_source_parse_error;
	}
	dict_source_free(&src);
	return rc;
}

/* dict_source_is_valid_key - key fits the table rules */
bool
dict_source_is_valid_key(const char *key)
{
	size_t i;

	for (i = 0; key[i] != '\0'; i++) {
		if (i >= DICT_SOURCE_MAX_KEY)
			return false;
		if (dict_source_is_ctl((uint8_t)key[i]))
			return false;
	}
	return i > 0;
}

/* dict_source_is_valid_value - value fits the table rules */
bool
dict_source_is_valid_value(const char *value)
{
	size_t i;

	for (i = 0; value[i] != '\0'; i++) {
		if (i >= DICT_SOURCE_MAX_VALUE)
			return false;
		if (dict_source_is_ctl((uint8_t)value[i]) && value[i] != '\t')
			return false;
	}
	return true;
}
