/*
 * config.c - main.cf loading, $name expansion and the parameter values.
 *
 *   config_load          read DIR/main.cf, apply overrides, install values
 *   config_load_string   the same from memory (tests, fuzzing)
 *   config_get           expanded value of a parameter by name
 *   config_is_known      whether a name is in lib/params.def
 *   config_is_set        whether main.cf or an override set a name
 *   config_print         "name = value" lines (mailroom config [-n])
 *   config_doc_markdown  the reference that is docs/configuration.md
 *   config_deinit        free everything, reset the param_ variables
 *   config_reader_*      the logical-line reader (also used for master.cf)
 *
 * Ownership: every string a param_ variable or config_get returns belongs
 * to the loaded configuration and lives until the next successful load or
 * config_deinit. Error texts belong to this module (see config.h).
 *
 * Untrusted input: main.cf is written by the administrator, but it is
 * parsed as hostile bytes all the same (it is fuzzed, and a mistake must
 * give a message, never a crash): control characters and NUL are refused,
 * names are checked, numbers are range-checked, and every quantity is
 * bounded: CONFIG_MAX_FILE_OCTETS per file, CONFIG_MAX_LINE_OCTETS per
 * logical line, CONFIG_MAX_VALUE_OCTETS per expanded value,
 * CONFIG_MAX_EXPANDED_OCTETS for all expanded values together and
 * CONFIG_MAX_EXPAND_DEPTH nested references, with loop detection.
 * Privilege: whatever the caller has (master reads main.cf as root); the
 * module opens only DIR/main.cf.
 *
 * Loading builds a complete new configuration and swaps it in only when
 * every value expanded and converted, so a failed reload leaves the running
 * configuration untouched.
 */
#include "lib/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/checked.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/parse_num.h"
#include "lib/str.h"

/* Where an entry's text came from. */
enum config_origin {
	CONFIG_ORIGIN_DEFAULT,  /* params.def, a hook, or config_load's dir */
	CONFIG_ORIGIN_FILE,     /* main.cf; line is the line number */
	CONFIG_ORIGIN_OVERRIDE, /* overrides[line] */
};

/* Progress of $name expansion of one entry (loop detection). */
enum config_expand_state {
	CONFIG_EXPAND_TODO,
	CONFIG_EXPAND_BUSY,
	CONFIG_EXPAND_DONE,
};

struct config_entry {
	const char *name; /* def->name or owned_name */
	char *owned_name;
	const struct param_def *def; /* NULL: a name only main.cf knows */
	char *raw;   /* text before expansion; NULL: default_fn */
	char *value; /* after expansion */
	char *where; /* for messages, built when first needed */
	enum config_origin origin;
	int line;   /* main.cf line, or override index */
	size_t seq; /* later definitions win */
	enum config_expand_state state;
	bool literal;    /* raw is used as is, without expansion */
	bool referenced; /* some $name named this entry */
	int64_t num;     /* converted INT and TIME values */
	bool flag;       /* converted BOOL value */
};

/* One loaded (or loading) configuration. */
struct config {
	struct config_entry *entries; /* sorted by name once parsed */
	size_t count;
	size_t cap;
	char *filename;
	char **overrides; /* copies, for messages */
	size_t override_count;
	size_t next_seq;
	size_t expanded_octets;
	unsigned depth;
	char *error; /* the first error; loading stops there */
};

/* The configuration in force; read-only between loads. */
static struct config *config_current;

/* The message config_load's *error_r points to. */
static char *config_error_text;

/* config_reader_fail - record a reader error with file and line */
static int __attribute__((format(printf, 2, 3)))
config_reader_fail(struct config_reader *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mem_free(&r->error);
	r->error = mem_asprintf("%s, line %d: %s", r->filename, r->lineno, msg);
	return -1;
}

/* config_reader_init - start reading a buffer */
void
config_reader_init(struct config_reader *r, const void *text, size_t len,
                   const char *filename, size_t max_line_octets)
{
	memset(r, 0, sizeof(*r));
	r->text = text;
	r->len = len;
	r->filename = filename;
	r->max_line_octets = max_line_octets;
	buf_init(&r->line, max_line_octets);
}

/* config_reader_deinit - release the line buffer and error */
void
config_reader_deinit(struct config_reader *r)
{
	buf_deinit(&r->line);
	mem_free(&r->error);
}

/* config_reader_append - add bytes to the logical line, within the limit */
static int
config_reader_append(struct config_reader *r, const char *p, size_t n,
                     int first_line)
{
	if (!buf_has_room(&r->line, n)) {
		mem_free(&r->error);
		r->error =
		    mem_asprintf("%s, line %d: logical line longer "
		                 "than %zu bytes",
		                 r->filename, first_line, r->max_line_octets);
		return -1;
	}
	buf_append(&r->line, p, n);
	return 0;
}

/* config_reader_next - one logical line */
int
config_reader_next(struct config_reader *r, const char **line_r, int *lineno_r,
                   const char **error_r)
{
	int first_line = 0;

	buf_reset(&r->line);
	while (r->pos < r->len) {
		/* UNSAFE: p and n stay within text[pos, len). */
		const char *p = r->text + r->pos;
		const char *nl = memchr(p, '\n', r->len - r->pos);
		size_t n = nl != NULL ? (size_t)(nl - p) : r->len - r->pos;
		size_t next_pos = r->pos + n + (nl != NULL ? 1 : 0);
		size_t i, start;

		if (n > 0 && p[n - 1] == '\r')
			n--;
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)p[i];

			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				r->lineno++;
				r->pos = next_pos;
				config_reader_fail(r,
				                   "control character "
				                   "0x%02x in line",
				                   c);
				*error_r = r->error;
				return -1;
			}
		}
		start = 0;
		while (start < n && (p[start] == ' ' || p[start] == '\t'))
			start++;
		while (n > start && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (start == n || p[start] == '#') {
			/* Blank or comment: skipped, even inside a value. */
			r->lineno++;
			r->pos = next_pos;
			continue;
		}
		if (start == 0) {
			/* A new logical line: ends the one in progress. */
			if (first_line != 0)
				break;
			r->lineno++;
			r->pos = next_pos;
			first_line = r->lineno;
			if (config_reader_append(r, p, n, first_line) < 0) {
				*error_r = r->error;
				return -1;
			}
			continue;
		}
		r->lineno++;
		r->pos = next_pos;
		if (first_line == 0) {
			config_reader_fail(r, "indented line does not continue "
			                      "a previous line");
			*error_r = r->error;
			return -1;
		}
		if (config_reader_append(r, " ", 1, first_line) < 0 ||
		    config_reader_append(r, p + start, n - start, first_line) <
		        0) {
			*error_r = r->error;
			return -1;
		}
	}
	if (first_line == 0)
		return 0;
	*line_r = buf_cstr(&r->line);
	*lineno_r = first_line;
	return 1;
}

/* config_fail - record the first error of a load */
static void __attribute__((format(printf, 2, 3)))
config_fail(struct config *c, const char *fmt, ...)
{
	va_list ap, ap2;
	int n;

	if (c->error != NULL)
		return;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		log_panic("config_fail: bad format");
	c->error = mem_alloc((size_t)n + 1);
	vsnprintf(c->error, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
}

/* config_is_name_char - letters, digits and '_' make parameter names */
static bool
config_is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* config_where - "FILE, line N", "override \"...\"" or the default */
static const char *
config_where(struct config *c, struct config_entry *e)
{
	if (e->where != NULL)
		return e->where;
	switch (e->origin) {
	case CONFIG_ORIGIN_FILE:
		e->where = mem_asprintf("%s, line %d", c->filename, e->line);
		break;
	case CONFIG_ORIGIN_OVERRIDE:
		e->where = mem_asprintf("override \"%s\"",
		                        log_safe_str(c->overrides[e->line]));
		break;
	case CONFIG_ORIGIN_DEFAULT:
		e->where = mem_asprintf("default value of \"%s\"", e->name);
		break;
	}
	return e->where;
}

/* config_entry_deinit - free what one entry owns */
static void
config_entry_deinit(struct config_entry *e)
{
	mem_free(&e->owned_name);
	mem_free(&e->raw);
	mem_free(&e->value);
	mem_free(&e->where);
}

/* config_free - free a configuration */
static void
config_free(struct config **cp)
{
	struct config *c = *cp;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->count; i++)
		config_entry_deinit(&c->entries[i]);
	mem_free(&c->entries);
	for (i = 0; i < c->override_count; i++)
		mem_free(&c->overrides[i]);
	mem_free(&c->overrides);
	mem_free(&c->filename);
	mem_free(&c->error);
	mem_free(cp);
}

/* config_add - append an unsorted entry */
static struct config_entry *
config_add(struct config *c)
{
	struct config_entry *e;

	if (c->count == c->cap) {
		size_t cap;

		if (!checked_mul(c->cap == 0 ? 64 : c->cap, 2, &cap))
			log_panic("config: entry count overflow");
		c->entries =
		    mem_realloc_array(c->entries, cap, sizeof(*c->entries));
		c->cap = cap;
	}
	e = &c->entries[c->count++];
	memset(e, 0, sizeof(*e));
	e->seq = c->next_seq++;
	return e;
}

/* config_new - a configuration holding every default */
static struct config *
config_new(const char *filename)
{
	struct config *c = mem_alloc(sizeof(*c));
	size_t i;

	c->filename = mem_strdup(filename);
	for (i = 0; i < params_count; i++) {
		struct config_entry *e = config_add(c);

		e->def = &params_table[i];
		e->name = e->def->name;
		e->origin = CONFIG_ORIGIN_DEFAULT;
		if (e->def->default_value != NULL)
			e->raw = mem_strdup(e->def->default_value);
	}
	return c;
}

/*
 * config_split - split "name = value" into new strings. Returns 0, or -1
 * with a problem description in *problem_r (a new string).
 */
static int
config_split(const char *line, size_t len, char **name_r, char **value_r,
             char **problem_r)
{
	size_t name_end = 0, token_end, vstart, vend;

	while (name_end < len && config_is_name_char(line[name_end]))
		name_end++;
	token_end = name_end;
	while (token_end < len && line[token_end] != '=' &&
	       line[token_end] != ' ' && line[token_end] != '\t')
		token_end++;
	if (token_end == 0) {
		*problem_r = mem_strdup("missing parameter name before '='");
		return -1;
	}
	if (token_end != name_end) {
		*problem_r = mem_asprintf("bad parameter name \"%s\"",
		                          log_safe(line, token_end));
		return -1;
	}
	vstart = name_end;
	while (vstart < len && (line[vstart] == ' ' || line[vstart] == '\t'))
		vstart++;
	if (vstart >= len || line[vstart] != '=') {
		*problem_r = mem_strdup("missing '=' after parameter name");
		return -1;
	}
	vstart++;
	while (vstart < len && (line[vstart] == ' ' || line[vstart] == '\t'))
		vstart++;
	vend = len;
	while (vend > vstart &&
	       (line[vend - 1] == ' ' || line[vend - 1] == '\t'))
		vend--;
	*name_r = mem_strndup(line, name_end);
	*value_r = mem_strndup(line + vstart, vend - vstart);
	return 0;
}

/* config_add_setting - record one name = value from main.cf or -o */
static void
config_add_setting(struct config *c, char *name, char *value,
                   enum config_origin origin, int line)
{
	struct config_entry *e = config_add(c);

	e->owned_name = name;
	e->name = name;
	e->raw = value;
	e->origin = origin;
	e->line = line;
}

/* config_parse_text - every logical line of main.cf */
static int
config_parse_text(struct config *c, const char *text, size_t len,
                  bool forced_dir)
{
	struct config_reader r;
	const char *line, *err = NULL;
	int lineno, rc;

	config_reader_init(&r, text, len, c->filename, CONFIG_MAX_LINE_OCTETS);
	while ((rc = config_reader_next(&r, &line, &lineno, &err)) > 0) {
		char *name, *value, *problem;

		if (config_split(line, strlen(line), &name, &value, &problem) <
		    0) {
			config_fail(c, "%s, line %d: %s", c->filename, lineno,
			            problem);
			mem_free(&problem);
			rc = -1;
			break;
		}
		if (forced_dir && strcmp(name, "config_directory") == 0) {
			log_warn("%s, line %d: config_directory is the "
			         "directory main.cf is read from; the value "
			         "here is ignored",
			         c->filename, lineno);
			mem_free(&name);
			mem_free(&value);
			continue;
		}
		config_add_setting(c, name, value, CONFIG_ORIGIN_FILE, lineno);
	}
	if (rc < 0 && err != NULL)
		config_fail(c, "%s", err);
	config_reader_deinit(&r);
	return rc < 0 ? -1 : 0;
}

/* config_parse_overrides - "name=value" strings, applied after main.cf */
static int
config_parse_overrides(struct config *c, char *const *overrides,
                       bool forced_dir)
{
	size_t i, n = 0;

	if (overrides == NULL)
		return 0;
	while (overrides[n] != NULL)
		n++;
	if (n > CONFIG_MAX_OVERRIDES) {
		config_fail(c, "more than %d overrides", CONFIG_MAX_OVERRIDES);
		return -1;
	}
	c->overrides = mem_alloc_array(n, sizeof(*c->overrides));
	for (i = 0; i < n; i++) {
		const char *o = overrides[i];
		size_t len = strlen(o), j;
		char *name, *value, *problem;

		c->overrides[c->override_count++] = mem_strdup(o);
		if (len > CONFIG_MAX_LINE_OCTETS) {
			config_fail(c, "override longer than %u bytes",
			            CONFIG_MAX_LINE_OCTETS);
			return -1;
		}
		for (j = 0; j < len; j++) {
			unsigned char ch = (unsigned char)o[j];

			if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
				config_fail(c,
				            "override \"%s\": control "
				            "character 0x%02x",
				            log_safe_str(o), ch);
				return -1;
			}
		}
		if (config_split(o, len, &name, &value, &problem) < 0) {
			config_fail(c, "override \"%s\": %s", log_safe_str(o),
			            problem);
			mem_free(&problem);
			return -1;
		}
		if (forced_dir && strcmp(name, "config_directory") == 0) {
			log_warn("override \"%s\": config_directory is the "
			         "directory main.cf is read from; ignored",
			         log_safe_str(o));
			mem_free(&name);
			mem_free(&value);
			continue;
		}
		config_add_setting(c, name, value, CONFIG_ORIGIN_OVERRIDE,
		                   (int)i);
	}
	return 0;
}

/* config_entry_cmp - order by name, then by definition order */
static int
config_entry_cmp(const void *a, const void *b)
{
	const struct config_entry *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r != 0)
		return r;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* config_sort - sort by name; the last definition of a name wins */
static void
config_sort(struct config *c)
{
	size_t i, out = 0;

	qsort(c->entries, c->count, sizeof(*c->entries), config_entry_cmp);
	for (i = 0; i < c->count;) {
		size_t j = i;
		const struct param_def *def = c->entries[i].def;

		while (j + 1 < c->count &&
		       strcmp(c->entries[j + 1].name, c->entries[i].name) == 0)
			j++;
		/* Keep entries[j]; the default (if any) sorts first. */
		for (; i < j; i++)
			config_entry_deinit(&c->entries[i]);
		c->entries[out] = c->entries[j];
		c->entries[out].def = def;
		out++;
		i = j + 1;
	}
	c->count = out;
}

/* config_find - entry by name in a sorted configuration */
static struct config_entry *
config_find(struct config *c, const char *name, size_t name_len)
{
	size_t lo = 0, hi = c->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *n = c->entries[mid].name;
		int r = strncmp(n, name, name_len);

		if (r == 0 && n[name_len] != '\0')
			r = 1;
		if (r == 0)
			return &c->entries[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int config_expand_entry(struct config *c, struct config_entry *e);

/* config_emit - append expanded text, within the value limit */
static int
config_emit(struct config *c, struct config_entry *owner, struct buf *out,
            const char *p, size_t n)
{
	if (!buf_has_room(out, n)) {
		config_fail(c,
		            "%s: value of \"%s\" is longer than %u bytes "
		            "after expansion",
		            config_where(c, owner), owner->name,
		            CONFIG_MAX_VALUE_OCTETS);
		return -1;
	}
	buf_append(out, p, n);
	return 0;
}

/*
 * config_reference - the expanded value of $name as seen from owner: the
 * value, "" for an undefined name (with a warning when warn is set), or
 * NULL after an error.
 */
static const char *
config_reference(struct config *c, struct config_entry *owner, const char *name,
                 size_t name_len, bool warn)
{
	struct config_entry *e = config_find(c, name, name_len);

	if (e == NULL) {
		if (warn)
			log_warn("%s: parameter \"%s\" refers to undefined "
			         "parameter \"%s\"",
			         config_where(c, owner), owner->name,
			         log_safe(name, name_len));
		return "";
	}
	e->referenced = true;
	if (e->state == CONFIG_EXPAND_BUSY) {
		struct config_entry *at =
		    owner->origin == CONFIG_ORIGIN_DEFAULT ? e : owner;

		config_fail(c,
		            "%s: expansion loop: \"%s\" refers back to "
		            "\"%s\"",
		            config_where(c, at), owner->name, e->name);
		return NULL;
	}
	if (config_expand_entry(c, e) < 0)
		return NULL;
	return e->value;
}

/*
 * config_expand_text - expand $name, ${name}, $(name), ${name?text},
 * ${name:text} and $$ in text[0, n) into out. A '$' that starts none of
 * these is kept as is, like Postfix does.
 */
static int
config_expand_text(struct config *c, struct config_entry *owner,
                   const char *text, size_t n, struct buf *out)
{
	size_t i = 0;

	if (c->depth >= CONFIG_MAX_EXPAND_DEPTH) {
		config_fail(c,
		            "%s: parameter references nested deeper than "
		            "%d levels",
		            config_where(c, owner), CONFIG_MAX_EXPAND_DEPTH);
		return -1;
	}
	c->depth++;
	while (i < n) {
		const char *dollar = memchr(text + i, '$', n - i);
		size_t lit =
		    dollar != NULL ? (size_t)(dollar - (text + i)) : n - i;
		size_t name_start, name_len;
		const char *value;
		char open, close;

		if (config_emit(c, owner, out, text + i, lit) < 0)
			goto fail;
		i += lit;
		if (i >= n)
			break;
		i++; /* the '$' */
		if (i >= n || text[i] == '$' ||
		    !(text[i] == '{' || text[i] == '(' ||
		      config_is_name_char(text[i]))) {
			/* "$$" is one '$'; a lone '$' stays. */
			if (config_emit(c, owner, out, "$", 1) < 0)
				goto fail;
			if (i < n && text[i] == '$')
				i++;
			continue;
		}
		if (config_is_name_char(text[i])) {
			name_start = i;
			while (i < n && config_is_name_char(text[i]))
				i++;
			value = config_reference(c, owner, text + name_start,
			                         i - name_start, true);
			if (value == NULL || config_emit(c, owner, out, value,
			                                 strlen(value)) < 0)
				goto fail;
			continue;
		}
		open = text[i];
		close = open == '{' ? '}' : ')';
		name_start = ++i;
		while (i < n && config_is_name_char(text[i]))
			i++;
		name_len = i - name_start;
		if (name_len == 0 || i >= n ||
		    (text[i] != close && text[i] != '?' && text[i] != ':')) {
			config_fail(c,
			            "%s: bad reference \"$%c%s\" in value "
			            "of \"%s\"",
			            config_where(c, owner), open,
			            log_safe(text + name_start,
			                     (i < n ? i + 1 : n) - name_start),
			            owner->name);
			goto fail;
		}
		if (text[i] == close) {
			i++;
			value = config_reference(c, owner, text + name_start,
			                         name_len, true);
			if (value == NULL || config_emit(c, owner, out, value,
			                                 strlen(value)) < 0)
				goto fail;
		} else {
			/* ${name?text}: text when name is non-empty;
			 * ${name:text}: text when it is empty. */
			char op = text[i++];
			size_t text_start = i;
			int nest = 1;
			bool want;

			for (; i < n; i++) {
				if (text[i] == open)
					nest++;
				else if (text[i] == close && --nest == 0)
					break;
			}
			if (i >= n) {
				config_fail(c,
				            "%s: missing '%c' in value of "
				            "\"%s\"",
				            config_where(c, owner), close,
				            owner->name);
				goto fail;
			}
			value = config_reference(c, owner, text + name_start,
			                         name_len, false);
			if (value == NULL)
				goto fail;
			want = (*value != '\0') == (op == '?');
			if (want &&
			    config_expand_text(c, owner, text + text_start,
			                       i - text_start, out) < 0)
				goto fail;
			i++;
		}
	}
	c->depth--;
	return 0;
fail:
	c->depth--;
	return -1;
}

/* config_env_is_set - param_env hook: set by main.cf or an override? */
static bool
config_env_is_set(void *ctx, const char *name)
{
	struct config_entry *e = config_find(ctx, name, strlen(name));

	return e != NULL && e->origin != CONFIG_ORIGIN_DEFAULT;
}

/* config_env_get - param_env hook: expanded value of another parameter */
static const char *
config_env_get(void *ctx, const char *name)
{
	struct config *c = ctx;
	struct config_entry *e = config_find(c, name, strlen(name));

	MR_ASSERT(e != NULL); /* hooks ask only for known parameters */
	e->referenced = true;
	if (e->state == CONFIG_EXPAND_BUSY) {
		config_fail(c,
		            "%s: expansion loop through the default of "
		            "\"%s\"",
		            config_where(c, e), e->name);
		return NULL;
	}
	if (config_expand_entry(c, e) < 0)
		return NULL;
	return e->value;
}

/* config_expand_entry - compute e->value once */
static int
config_expand_entry(struct config *c, struct config_entry *e)
{
	struct buf out;
	size_t len;

	if (e->state == CONFIG_EXPAND_DONE)
		return 0;
	if (c->error != NULL)
		return -1;
	MR_ASSERT(e->state == CONFIG_EXPAND_TODO);
	e->state = CONFIG_EXPAND_BUSY;
	if (e->raw == NULL) {
		struct param_env env = {c, config_env_is_set, config_env_get};

		MR_ASSERT(e->def != NULL && e->def->default_fn != NULL);
		c->depth++;
		e->value = e->def->default_fn(&env);
		c->depth--;
		if (e->value == NULL)
			return -1;
	} else if (e->literal ||
	           (e->def != NULL && e->def->type == PARAM_TYPE_RAW)) {
		e->value = mem_strdup(e->raw);
	} else {
		buf_init(&out, CONFIG_MAX_VALUE_OCTETS);
		if (config_expand_text(c, e, e->raw, strlen(e->raw), &out) <
		    0) {
			buf_deinit(&out);
			return -1;
		}
		e->value = mem_strdup(buf_cstr(&out));
		buf_deinit(&out);
	}
	len = strlen(e->value);
	if (len > CONFIG_MAX_VALUE_OCTETS) {
		config_fail(c, "%s: value of \"%s\" is longer than %u bytes",
		            config_where(c, e), e->name,
		            CONFIG_MAX_VALUE_OCTETS);
		return -1;
	}
	if (!checked_add(c->expanded_octets, len, &c->expanded_octets) ||
	    c->expanded_octets > CONFIG_MAX_EXPANDED_OCTETS) {
		config_fail(c, "%s: expanded values exceed %u bytes in total",
		            config_where(c, e), CONFIG_MAX_EXPANDED_OCTETS);
		return -1;
	}
	e->state = CONFIG_EXPAND_DONE;
	return 0;
}

/* config_convert - check and convert a known parameter's value */
static int
config_convert(struct config *c, struct config_entry *e)
{
	const struct param_def *d = e->def;
	uint64_t secs;
	int64_t v;

	switch (d->type) {
	case PARAM_TYPE_STR:
	case PARAM_TYPE_LIST:
	case PARAM_TYPE_RAW:
		return 0;
	case PARAM_TYPE_INT:
		if (parse_int(e->value, INT64_MIN, INT64_MAX, &v) < 0) {
			config_fail(c,
			            "%s: bad integer value \"%s\" for "
			            "parameter \"%s\"",
			            config_where(c, e), log_safe_str(e->value),
			            e->name);
			return -1;
		}
		if (v < d->min || v > d->max) {
			config_fail(c,
			            "%s: value %lld of parameter \"%s\" is "
			            "out of range (%lld..%lld)",
			            config_where(c, e), (long long)v, e->name,
			            (long long)d->min, (long long)d->max);
			return -1;
		}
		e->num = v;
		return 0;
	case PARAM_TYPE_BOOL:
		if (str_eq_ci(e->value, "yes")) {
			e->flag = true;
		} else if (str_eq_ci(e->value, "no")) {
			e->flag = false;
		} else {
			config_fail(c,
			            "%s: bad boolean value \"%s\" for "
			            "parameter \"%s\" (use yes or no)",
			            config_where(c, e), log_safe_str(e->value),
			            e->name);
			return -1;
		}
		return 0;
	case PARAM_TYPE_TIME:
		if (parse_time(e->value, d->time_unit, UINT64_MAX, &secs) < 0) {
			config_fail(c,
			            "%s: bad time value \"%s\" for "
			            "parameter \"%s\" (a number with an "
			            "optional unit s, m, h, d or w)",
			            config_where(c, e), log_safe_str(e->value),
			            e->name);
			return -1;
		}
		if (secs < (uint64_t)d->min || secs > (uint64_t)d->max) {
			config_fail(c,
			            "%s: time %s of parameter \"%s\" is out "
			            "of range (%llds..%llds)",
			            config_where(c, e), log_safe_str(e->value),
			            e->name, (long long)d->min,
			            (long long)d->max);
			return -1;
		}
		e->num = (int64_t)secs;
		return 0;
	}
	log_panic("config: bad parameter type %d", (int)d->type);
}

/*
 * config_expand_all - expand everything: known parameters first, so that
 * what they refer to is marked; then warn about names nothing uses; then
 * expand the rest and convert the known ones.
 */
static int
config_expand_all(struct config *c)
{
	size_t i;

	for (i = 0; i < c->count; i++)
		if (c->entries[i].def != NULL &&
		    config_expand_entry(c, &c->entries[i]) < 0)
			return -1;
	for (i = 0; i < c->count; i++) {
		struct config_entry *e = &c->entries[i];

		if (e->def == NULL && !e->referenced)
			log_warn("%s: unknown parameter \"%s\"",
			         config_where(c, e), e->name);
	}
	for (i = 0; i < c->count; i++)
		if (config_expand_entry(c, &c->entries[i]) < 0)
			return -1;
	for (i = 0; i < c->count; i++)
		if (c->entries[i].def != NULL &&
		    config_convert(c, &c->entries[i]) < 0)
			return -1;
	return 0;
}

/* config_install - make c the configuration in force */
static void
config_install(struct config *c)
{
	size_t i;

	for (i = 0; i < c->count; i++) {
		const struct config_entry *e = &c->entries[i];
		const struct param_def *d = e->def;

		if (d == NULL)
			continue;
		if (d->str_var != NULL)
			*d->str_var = e->value;
		else if (d->num_var != NULL)
			*d->num_var = e->num;
		else if (d->bool_var != NULL)
			*d->bool_var = e->flag;
	}
	config_free(&config_current);
	config_current = c;
}

/* config_load_common - parse, override, expand, convert and install */
static int
config_load_common(const char *text, size_t len, const char *filename,
                   const char *config_dir, char *const *overrides,
                   const char **error_r)
{
	struct config *c = config_new(filename);

	mem_free(&config_error_text);
	if (config_dir != NULL) {
		size_t i;

		for (i = 0; i < c->count; i++) {
			struct config_entry *e = &c->entries[i];

			if (strcmp(e->name, "config_directory") == 0) {
				mem_free(&e->raw);
				e->raw = mem_strdup(config_dir);
				e->literal = true;
			}
		}
	}
	if (config_parse_text(c, text, len, config_dir != NULL) < 0 ||
	    config_parse_overrides(c, overrides, config_dir != NULL) < 0)
		goto fail;
	config_sort(c);
	if (config_expand_all(c) < 0)
		goto fail;
	config_install(c);
	return 0;
fail:
	MR_ASSERT(c->error != NULL);
	config_error_text = c->error;
	c->error = NULL;
	config_free(&c);
	*error_r = config_error_text;
	return -1;
}

/* config_load_string - load main.cf text from memory */
int
config_load_string(const char *text, size_t len, const char *filename,
                   char *const *overrides, const char **error_r)
{
	return config_load_common(text, len, filename, NULL, overrides,
	                          error_r);
}

/* config_load - load DIR/main.cf */
int
config_load(const char *config_dir, char *const *overrides,
            const char **error_r)
{
	char *path, *dir;
	struct buf text;
	int rc;

	dir = realpath(config_dir, NULL);
	if (dir == NULL) {
		mem_free(&config_error_text);
		config_error_text =
		    mem_asprintf("configuration directory %s: %s", config_dir,
		                 strerror(errno));
		*error_r = config_error_text;
		return -1;
	}
	path = mem_asprintf("%s/%s", dir, CONFIG_MAIN_CF);
	buf_init(&text, CONFIG_MAX_FILE_OCTETS);
	if (io_read_file(path, CONFIG_MAX_FILE_OCTETS, &text) < 0) {
		mem_free(&config_error_text);
		config_error_text =
		    errno == EFBIG
		        ? mem_asprintf("%s: file larger than %u bytes", path,
		                       CONFIG_MAX_FILE_OCTETS)
		        : mem_asprintf("cannot read %s: %s", path,
		                       strerror(errno));
		*error_r = config_error_text;
		rc = -1;
	} else {
		rc = config_load_common(
		    text.data != NULL ? (char *)text.data : "", text.len, path,
		    dir, overrides, error_r);
	}
	buf_deinit(&text);
	mem_free(&path);
	free(dir); /* from realpath(), the C library's allocator */
	return rc;
}

/* config_get - expanded value by name */
const char *
config_get(const char *name)
{
	struct config_entry *e;

	if (config_current == NULL)
		return NULL;
	e = config_find(config_current, name, strlen(name));
	return e != NULL ? e->value : NULL;
}

/* config_is_known - name is in params.def */
bool
config_is_known(const char *name)
{
	return params_find(name) != NULL;
}

/* config_is_set - name was set by main.cf or an override */
bool
config_is_set(const char *name)
{
	return config_current != NULL &&
	       config_env_is_set(config_current, name);
}

/* config_print_entry - one "name = value" line, if it fits */
static int
config_print_entry(struct buf *out, const struct config_entry *e)
{
	size_t need;

	if (!checked_add(strlen(e->name), strlen(e->value), &need) ||
	    !checked_add(need, 4, &need) || !buf_has_room(out, need))
		return -1;
	buf_printf(out, "%s = %s\n", e->name, e->value);
	return 0;
}

/* config_print - "name = value" lines for mailroom config */
void
config_print(struct buf *out, const char *const *names, bool non_default_only)
{
	struct config *c = config_current;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; names == NULL ? i < c->count : names[i] != NULL; i++) {
		const struct config_entry *e =
		    names == NULL ? &c->entries[i]
		                  : config_find(c, names[i], strlen(names[i]));

		if (e == NULL ||
		    (non_default_only && e->origin == CONFIG_ORIGIN_DEFAULT))
			continue;
		if (config_print_entry(out, e) < 0) {
			log_warn("configuration listing truncated: more than "
			         "%zu bytes",
			         out->max);
			break;
		}
	}
}

/* config_def_cmp - sort parameter descriptors by name */
static int
config_def_cmp(const void *a, const void *b)
{
	const struct param_def *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* The syntax part of the reference; the parameters follow it. */
static const char config_doc_intro[] =
    "# Configuration parameters\n"
    "\n"
    "<!-- Generated from lib/params.def by config_doc_markdown() in\n"
    "     lib/config.c; do not edit. After changing either, regenerate "
    "with\n"
    "     build/tests/unit_lib_test_config --write-doc "
    "docs/configuration.md\n"
    "     (the unit test fails while this file is out of date). -->\n"
    "\n"
    "mailroom reads `main.cf` in the configuration directory (`mailroom "
    "-c DIR`,\n"
    "default `/etc/mailroom`). The syntax is Postfix's, so most of an "
    "existing\n"
    "Postfix `main.cf` works unchanged. `mailroom config` prints the "
    "effective\n"
    "value of every parameter, `mailroom config NAME...` of some, and\n"
    "`mailroom config -n` only those that main.cf or an override sets.\n"
    "\n"
    "## Syntax\n"
    "\n"
    "- `name = value`, one per logical line. Names are letters, digits "
    "and `_`.\n"
    "  White space around `=` and at the ends of the value is dropped.\n"
    "- A line whose first non-blank character is `#` is a comment. `#` "
    "anywhere\n"
    "  else is part of the value.\n"
    "- A line that starts with a space or tab continues the previous "
    "logical\n"
    "  line; the line break and leading white space become one space. "
    "Blank\n"
    "  lines and comments between continuation lines are skipped.\n"
    "- When a name is set twice, the later line wins. Overrides (`-o "
    "name=value`\n"
    "  on a command line or in master.cf) win over main.cf.\n"
    "- `$name`, `${name}` and `$(name)` are replaced by the value of "
    "that\n"
    "  parameter, recursively, when the configuration is loaded; "
    "`${name?text}`\n"
    "  gives text when name is not empty and `${name:text}` when it is "
    "empty;\n"
    "  `$$` is one `$`. A reference to an undefined name is empty (with "
    "a\n"
    "  warning). A loop (`a = $b`, `b = $a`) is an error. Parameters of "
    "type\n"
    "  \"string, expanded when used\" keep their `$name` text for the "
    "daemon\n"
    "  that uses them.\n"
    "- Unknown names are warned about (`main.cf, line N: unknown "
    "parameter\n"
    "  \"NAME\"`) unless another value refers to them; their values are "
    "kept for\n"
    "  `$NAME` references, as in Postfix.\n"
    "- `config_directory` is always the directory main.cf was read "
    "from.\n";

/* The limits (printed from their constants), then the types. */
static const char config_doc_limits[] =
    "- Limits: main.cf at most %u bytes, a logical line at most %u "
    "bytes, a\n"
    "  value after expansion at most %u bytes, all values together at "
    "most\n"
    "  %u bytes, references nested at most %d deep. Control "
    "characters\n"
    "  other than tab are errors. Every error names the file and line "
    "and\n"
    "  stops the program that loads the configuration (exit status "
    "78,\n"
    "  EX_CONFIG); a failed reload keeps the running configuration.\n";

static const char config_doc_types[] =
    "\n"
    "## Types\n"
    "\n"
    "- **string**: any text.\n"
    "- **list**: elements separated by commas and/or white space.\n"
    "- **integer**: a decimal number within the range shown.\n"
    "- **boolean**: `yes` or `no`.\n"
    "- **time**: a number with an optional unit `s`, `m`, `h`, `d` or "
    "`w`\n"
    "  (seconds to weeks); a bare number is in the unit shown.\n"
    "\n"
    "## Parameters\n";

/* config_doc_markdown - the configuration reference */
void
config_doc_markdown(struct buf *out)
{
	const struct param_def **sorted =
	    mem_alloc_array(params_count, sizeof(*sorted));
	size_t i;

	for (i = 0; i < params_count; i++)
		sorted[i] = &params_table[i];
	qsort(sorted, params_count, sizeof(*sorted), config_def_cmp);
	buf_append_str(out, config_doc_intro);
	buf_printf(out, config_doc_limits, CONFIG_MAX_FILE_OCTETS,
	           CONFIG_MAX_LINE_OCTETS, CONFIG_MAX_VALUE_OCTETS,
	           CONFIG_MAX_EXPANDED_OCTETS, CONFIG_MAX_EXPAND_DEPTH);
	buf_append_str(out, config_doc_types);
	for (i = 0; i < params_count; i++) {
		const struct param_def *d = sorted[i];

		buf_printf(out, "\n### %s\n\n", d->name);
		buf_printf(out, "- type: %s", params_type_name(d->type));
		if (d->type == PARAM_TYPE_INT)
			buf_printf(out, ", %lld to %lld", (long long)d->min,
			           (long long)d->max);
		if (d->type == PARAM_TYPE_TIME) {
			buf_printf(out, ", bare number in %c, at least %llds",
			           d->time_unit, (long long)d->min);
			if (d->max != PARAM_TIME_MAX)
				buf_printf(out, ", at most %llds",
				           (long long)d->max);
		}
		buf_append_str(out, "\n");
		if (d->default_fn != NULL)
			buf_printf(out, "- default: %s\n", d->default_doc);
		else if (*d->default_value == '\0')
			buf_append_str(out, "- default: empty\n");
		else
			buf_printf(out, "- default: `%s`\n", d->default_value);
		buf_printf(out, "\n%s\n", d->doc);
	}
	mem_free(&sorted);
}

/* config_deinit - free everything and reset the variables */
void
config_deinit(void)
{
	size_t i;

	for (i = 0; i < params_count; i++) {
		const struct param_def *d = &params_table[i];

		if (d->str_var != NULL)
			*d->str_var = NULL;
		if (d->num_var != NULL)
			*d->num_var = 0;
		if (d->bool_var != NULL)
			*d->bool_var = false;
	}
	config_free(&config_current);
	mem_free(&config_error_text);
}
