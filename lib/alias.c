/*
 * alias.c - alias and .forward expansion for the local delivery agent.
 *
 * Public functions:
 *   alias_parse           one right-hand side (alias value or file) to
 *                         destinations
 *   alias_dests_free      release alias_parse's array
 *   alias_dest_type_name  name of a destination type
 *   alias_params_init     default expansion limits
 *   alias_expand          recipient local part to final deliveries
 *   alias_results_free    release alias_expand's array
 *   alias_source_name     name of a result source
 *
 * Ownership: alias_parse and alias_expand return heap arrays owned by the
 * caller; every string in them belongs to the array. Strings the callbacks
 * return are taken over and freed here. Nothing is kept between calls and
 * there is no static state.
 *
 * Untrusted input: alias values come from the alias database (the
 * administrator's text, but read back from a file), .forward files are
 * written by ordinary users and :include: files by whoever owns them. All
 * of it is parsed as hostile: NUL and control bytes are refused, every
 * length and count is capped, and every destination is classified here so
 * that the caller can apply allow_mail_to_commands / allow_mail_to_files
 * by source. This module runs with whatever privileges local has at
 * expansion time and touches no file itself: the callbacks do, under the
 * caller's privilege rules.
 *
 * Standards: addresses are RFC 5321 mailboxes (lib/addr.c); the list
 * syntax follows aliases(5) and sendmail/Postfix .forward files, with the
 * RFC 5322 section 3.4 "display-name <addr-spec>" form accepted and the
 * phrase ignored. docs/aliases.md is the reference.
 *
 * Limits: ALIAS_*_MAX_OCTETS, ALIAS_DESTS_MAX (parser); struct
 * alias_params (expansion depth, results, lookups); ALIAS_CHAIN_MAX.
 */
#include "lib/alias.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/addr.h"
#include "lib/buf.h"
#include "lib/checked.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

/* ":include:" and its length. */
#define INCLUDE_PREFIX ":include:"
#define INCLUDE_PREFIX_LEN 9

/* Flags for addr_parse_bare: local names and UTF-8 addresses are fine. */
#define ALIAS_ADDR_FLAGS (ADDR_F_NO_DOMAIN | ADDR_F_UTF8)

/* Enhanced status codes (RFC 3463) of the error classes. */
#define DSN_CONFIG_TEMP "4.3.5" /* malformed alias value or file: defer */
#define DSN_CONFIG_PERM "5.3.5" /* parse error reported by alias_parse */
#define DSN_LOOKUP_TEMP "4.3.0" /* table or file unavailable */
#define DSN_UNUSABLE "5.3.0"    /* unusable include file, limits */
#define DSN_LOOP "5.4.6"        /* routing loop (Postfix: alias loop) */
#define DSN_BAD_RCPT "5.1.3"    /* bad destination mailbox syntax */

/* Where a parse error points. */
enum where {
	WHERE_NONE,   /* the whole value or file */
	WHERE_OFFSET, /* a byte: "offset N" (alias), "line N" (file) */
	WHERE_DEST,   /* a destination: "destination N" / "line N" */
};

/* struct parser - state of one alias_parse call. */
struct parser {
	const uint8_t *p;
	size_t n;
	bool file; /* ALIAS_F_FILE */
	const char *origin;
	struct alias_dest *dests;
	size_t count;
	size_t cap;
	struct alias_error *err;
};

/* error_vset - fill err; a message too long for err->text ends in "..." */
static void __attribute__((format(printf, 4, 0)))
error_vset(struct alias_error *err, bool temporary, const char *dsn,
           const char *fmt, va_list ap)
{
	int len;

	err->temporary = temporary;
	err->dsn = dsn;
	len = vsnprintf(err->text, sizeof(err->text), fmt, ap);
	if (len < 0)
		snprintf(err->text, sizeof(err->text), "unformattable error");
	else if ((size_t)len >= sizeof(err->text))
		memcpy(err->text + sizeof(err->text) - 4, "...", 4);
}

/* error_set - error_vset with variable arguments */
static void __attribute__((format(printf, 4, 5)))
error_set(struct alias_error *err, bool temporary, const char *dsn,
          const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, temporary, dsn, fmt, ap);
	va_end(ap);
}

/* line_of - 1-based line number of offset off */
static size_t
line_of(const struct parser *ps, size_t off)
{
	size_t line = 1, i;

	for (i = 0; i < off && i < ps->n; i++)
		if (ps->p[i] == '\n')
			line++;
	return line;
}

/* parse_fail - fill the error with its location; returns -1 */
static int __attribute__((format(printf, 4, 5)))
parse_fail(struct parser *ps, enum where where, size_t off, const char *fmt,
           ...)
{
	char what[ALIAS_ERROR_MAX];
	char origin[LOG_SAFE_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	error_vset(ps->err, false, DSN_CONFIG_PERM, fmt, ap);
	va_end(ap);
	memcpy(what, ps->err->text, sizeof(what));
	snprintf(origin, sizeof(origin), "%s", log_safe_str(ps->origin));
	if (ps->file && where != WHERE_NONE)
		error_set(ps->err, false, DSN_CONFIG_PERM, "%s, line %zu: %s",
		          origin, line_of(ps, off), what);
	else if (ps->file)
		error_set(ps->err, false, DSN_CONFIG_PERM, "%s: %s", origin,
		          what);
	else if (where == WHERE_OFFSET)
		error_set(ps->err, false, DSN_CONFIG_PERM,
		          "alias \"%s\", offset %zu: %s", origin, off, what);
	else if (where == WHERE_DEST)
		error_set(ps->err, false, DSN_CONFIG_PERM,
		          "alias \"%s\", destination %zu: %s", origin,
		          ps->count + 1, what);
	else
		error_set(ps->err, false, DSN_CONFIG_PERM, "alias \"%s\": %s",
		          origin, what);
	return -1;
}

/* is_blank - white space between words (CR only ends a line in a file) */
static bool
is_blank(const struct parser *ps, uint8_t c)
{
	return c == ' ' || c == '\t' || (ps->file && c == '\r');
}

/* check_bytes - refuse NUL and control bytes before anything is parsed */
static int
check_bytes(struct parser *ps)
{
	size_t i;

	/* SECURITY: a NUL would cut a C string short and a control byte
	 * could forge log lines or confuse a shell; refuse both up front so
	 * every later step sees printable text, tabs and (files) newlines. */
	for (i = 0; i < ps->n; i++) {
		uint8_t c = ps->p[i];

		if (c == '\0')
			return parse_fail(ps, WHERE_OFFSET, i, "NUL byte");
		if (ps->file && c == '\n')
			continue;
		if (ps->file && c == '\r' && i + 1 < ps->n &&
		    ps->p[i + 1] == '\n')
			continue;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return parse_fail(ps, WHERE_OFFSET, i,
			                  "control character 0x%02x", c);
	}
	return 0;
}

/*
 * quoted_end - offset just past the quoted string whose '"' is at i, or 0
 * when it does not end before limit (or before the line ends)
 */
static size_t
quoted_end(const struct parser *ps, size_t i, size_t limit)
{
	/* UNSAFE: index arithmetic; every access is checked against limit. */
	for (i++; i < limit; i++) {
		uint8_t c = ps->p[i];

		if (c == '\n')
			return 0;
		if (c == '\\') {
			if (i + 1 >= limit || ps->p[i + 1] == '\n')
				return 0;
			i++;
		} else if (c == '"') {
			return i + 1;
		}
	}
	return 0;
}

/* unquote - the text of the quoted string [s, e), backslashes removed */
static char *
unquote(const struct parser *ps, size_t s, size_t e)
{
	/* UNSAFE: e - s >= 2 (both quotes) and the inner text, escapes
	 * removed, is at most e - s - 2 octets: out has room for it and
	 * its NUL. */
	char *out = mem_alloc(e - s);
	size_t i, o = 0;

	MR_ASSERT(e - s >= 2);
	for (i = s + 1; i + 1 < e; i++) {
		if (ps->p[i] == '\\')
			i++;
		out[o++] = (char)ps->p[i];
	}
	out[o] = '\0';
	return out;
}

/* dest_add - append a destination (takes value over) */
static int
dest_add(struct parser *ps, size_t off, enum alias_dest_type type, char *value,
         bool no_expand)
{
	if (ps->count >= ALIAS_DESTS_MAX) {
		mem_free(&value);
		return parse_fail(ps, WHERE_DEST, off,
		                  "too many destinations (limit %u)",
		                  ALIAS_DESTS_MAX);
	}
	if (ps->count == ps->cap) {
		size_t cap;

		MR_ASSERT(checked_grow(ps->cap, ps->count + 1, ALIAS_DESTS_MAX,
		                       &cap));
		ps->dests =
		    mem_realloc_array(ps->dests, cap, sizeof(*ps->dests));
		ps->cap = cap;
	}
	ps->dests[ps->count].type = type;
	ps->dests[ps->count].value = value;
	ps->dests[ps->count].no_expand = no_expand;
	ps->count++;
	return 0;
}

/* trim_span - drop blanks at both ends of the n bytes at *s */
static void
trim_span(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' ||
	                  (*s)[*n - 1] == '\r'))
		(*n)--;
}

/* dest_pipe - "|command": cmd is what follows the '|' */
static int
dest_pipe(struct parser *ps, size_t off, const char *cmd, size_t len)
{
	trim_span(&cmd, &len);
	if (len == 0)
		return parse_fail(ps, WHERE_DEST, off,
		                  "missing command after '|'");
	return dest_add(ps, off, ALIAS_DEST_PIPE, mem_strndup(cmd, len), false);
}

/* dest_path - "/file" or "/maildir/" (path starts with '/') */
static int
dest_path(struct parser *ps, size_t off, const char *path, size_t len)
{
	MR_ASSERT(len > 0 && path[0] == '/');
	if (len == 1)
		return parse_fail(ps, WHERE_DEST, off,
		                  "missing file name after '/'");
	return dest_add(ps, off,
	                path[len - 1] == '/' ? ALIAS_DEST_MAILDIR
	                                     : ALIAS_DEST_FILE,
	                mem_strndup(path, len), false);
}

/* dest_include - ":include:" followed by path */
static int
dest_include(struct parser *ps, size_t off, const char *path, size_t len)
{
	trim_span(&path, &len);
	if (len == 0)
		return parse_fail(ps, WHERE_DEST, off,
		                  "missing file name after :include:");
	/* Postfix refuses relative include names: relative to what? */
	if (path[0] != '/')
		return parse_fail(ps, WHERE_DEST, off,
		                  ":include: needs an absolute file name");
	return dest_add(ps, off, ALIAS_DEST_INCLUDE, mem_strndup(path, len),
	                false);
}

/* dest_include_word - the include file name in the word [s, e), quoted or not
 */
static int
dest_include_word(struct parser *ps, size_t s, size_t e)
{
	if (s < e && ps->p[s] == '"' && quoted_end(ps, s, e) == e) {
		char *path = unquote(ps, s, e);
		int rc = dest_include(ps, s, path, strlen(path));

		mem_free(&path);
		return rc;
	}
	return dest_include(ps, s, (const char *)ps->p + s, e - s);
}

/* dest_address - the word [s, e) as a mailbox or a local name */
static int
dest_address(struct parser *ps, size_t s, size_t e, bool no_expand)
{
	struct addr a;
	struct addr_error ae;
	int rc;

	if (addr_parse_bare(ps->p + s, e - s, ALIAS_ADDR_FLAGS, NULL, &a, &ae) <
	    0)
		return parse_fail(ps, WHERE_DEST, s,
		                  "invalid address \"%s\": %s",
		                  log_safe(ps->p + s, e - s), ae.text);
	if (a.domain == NULL && a.local[0] == '\0') {
		/* "" is a valid quoted local part but names nobody. */
		rc = parse_fail(ps, WHERE_DEST, s, "empty user name");
	} else if (a.domain == NULL) {
		rc = dest_add(ps, s, ALIAS_DEST_LOCAL, mem_strdup(a.local),
		              no_expand);
	} else if (no_expand) {
		rc = parse_fail(ps, WHERE_DEST, s,
		                "a backslash may only precede a local user "
		                "name");
	} else {
		rc =
		    dest_add(ps, s, ALIAS_DEST_ADDRESS, addr_format(&a), false);
	}
	addr_deinit(&a);
	return rc;
}

/*
 * dest_word - classify one word [s, e): "quoted", /path, :include:path,
 * \user, or an address. in_angle: it was written in <...>, where only an
 * address may be.
 */
static int
dest_word(struct parser *ps, size_t s, size_t e, bool in_angle)
{
	const char *w = (const char *)ps->p + s;
	size_t len = e - s;

	MR_ASSERT(len > 0);
	if (len > ALIAS_DEST_MAX_OCTETS)
		return parse_fail(ps, WHERE_DEST, s,
		                  "destination too long (%zu octets, limit "
		                  "%u)",
		                  len, ALIAS_DEST_MAX_OCTETS);
	if (w[0] == '"' && quoted_end(ps, s, e) == e) {
		/* A whole quoted word may hide a command, a file or an
		 * include with spaces or commas: "|/usr/bin/foo, bar". */
		char *q = unquote(ps, s, e);
		size_t qlen = strlen(q);
		int rc = 1;

		if (qlen > 0 &&
		    (q[0] == '|' || q[0] == '/' ||
		     str_has_prefix_ci(q, INCLUDE_PREFIX)) &&
		    in_angle)
			rc = parse_fail(ps, WHERE_DEST, s,
			                "only an address may be written in "
			                "angle brackets");
		else if (qlen > 0 && q[0] == '|')
			rc = dest_pipe(ps, s, q + 1, qlen - 1);
		else if (qlen > 0 && q[0] == '/')
			rc = dest_path(ps, s, q, qlen);
		else if (str_has_prefix_ci(q, INCLUDE_PREFIX))
			rc = dest_include(ps, s, q + INCLUDE_PREFIX_LEN,
			                  qlen - INCLUDE_PREFIX_LEN);
		mem_free(&q);
		if (rc <= 0)
			return rc;
		/* A quoted local part: "john doe" is a user name. */
		return dest_address(ps, s, e, false);
	}
	if (in_angle &&
	    (w[0] == '|' || w[0] == '/' || w[0] == '\\' ||
	     (len >= INCLUDE_PREFIX_LEN &&
	      strncasecmp(w, INCLUDE_PREFIX, INCLUDE_PREFIX_LEN) == 0)))
		return parse_fail(ps, WHERE_DEST, s,
		                  "only an address may be written in angle "
		                  "brackets");
	if (w[0] == '|')
		return parse_fail(ps, WHERE_DEST, s,
		                  "a command must start a destination of its "
		                  "own (put a comma before '|')");
	if (w[0] == '/')
		return dest_path(ps, s, w, len);
	if (len >= INCLUDE_PREFIX_LEN &&
	    strncasecmp(w, INCLUDE_PREFIX, INCLUDE_PREFIX_LEN) == 0)
		return dest_include_word(ps, s + INCLUDE_PREFIX_LEN, e);
	if (w[0] == '\\') {
		if (len == 1)
			return parse_fail(ps, WHERE_DEST, s,
			                  "missing user name after '\\'");
		return dest_address(ps, s + 1, e, true);
	}
	return dest_address(ps, s, e, false);
}

/* skip_separators - skip blanks, commas and (files) newlines and comments */
static size_t
skip_separators(const struct parser *ps, size_t i)
{
	while (i < ps->n) {
		uint8_t c = ps->p[i];

		if (c == ',' || is_blank(ps, c) || (ps->file && c == '\n')) {
			i++;
		} else if (ps->file && c == '#') {
			/* Only reached where a destination could start. */
			while (i < ps->n && ps->p[i] != '\n')
				i++;
		} else {
			break;
		}
	}
	return i;
}

/*
 * element_end - where the element at s ends: an unquoted comma, the end
 * of the line (files), a comment (files, not in a command) or the end
 */
static int
element_end(struct parser *ps, size_t s, bool command, size_t *end_r)
{
	size_t i = s;

	while (i < ps->n) {
		uint8_t c = ps->p[i];

		if (c == '"') {
			size_t q = quoted_end(ps, i, ps->n);

			if (q == 0)
				return parse_fail(ps, WHERE_DEST, i,
				                  "unterminated quoted string");
			i = q;
			continue;
		}
		if (c == ',')
			break;
		if (ps->file && (c == '\n' || c == '\r'))
			break;
		if (ps->file && !command && c == '#' && i > s &&
		    is_blank(ps, ps->p[i - 1]))
			break;
		i++;
	}
	*end_r = i;
	return 0;
}

/* find_unquoted - first unquoted c in [s, e), or e */
static size_t
find_unquoted(const struct parser *ps, size_t s, size_t e, uint8_t c)
{
	while (s < e) {
		if (ps->p[s] == '"') {
			size_t q = quoted_end(ps, s, e);

			if (q == 0)
				return e;
			s = q;
		} else if (ps->p[s] == c) {
			return s;
		} else {
			s++;
		}
	}
	return e;
}

/* parse_angle - "phrase <addr>" with '<' at lt: the address; no phrase check */
static int
parse_angle(struct parser *ps, size_t lt, size_t e)
{
	size_t gt = find_unquoted(ps, lt + 1, e, '>');
	size_t i, a, b;

	if (gt == e)
		return parse_fail(ps, WHERE_DEST, lt, "missing '>' after '<'");
	for (i = gt + 1; i < e; i++)
		if (!is_blank(ps, ps->p[i]))
			return parse_fail(ps, WHERE_DEST, i,
			                  "text after '>' (put a comma "
			                  "between destinations)");
	a = lt + 1;
	b = gt;
	while (a < b && is_blank(ps, ps->p[a]))
		a++;
	while (b > a && is_blank(ps, ps->p[b - 1]))
		b--;
	if (a == b)
		return parse_fail(ps, WHERE_DEST, lt, "empty address <>");
	return dest_word(ps, a, b, true);
}

/* parse_words - an element without '<': blank-separated destinations */
static int
parse_words(struct parser *ps, size_t s, size_t e)
{
	size_t i = s;
	bool include_next = false;

	for (;;) {
		size_t ws;

		while (i < e && is_blank(ps, ps->p[i]))
			i++;
		if (i >= e)
			break;
		ws = i;
		while (i < e && !is_blank(ps, ps->p[i])) {
			if (ps->p[i] == '"') {
				size_t q = quoted_end(ps, i, e);

				if (q == 0)
					return parse_fail(ps, WHERE_DEST, i,
					                  "unterminated quoted "
					                  "string");
				i = q;
			} else if (ps->p[i] == '>') {
				return parse_fail(ps, WHERE_DEST, i,
				                  "'>' without '<'");
			} else {
				i++;
			}
		}
		if (include_next) {
			/* ":include: /path" with a blank in between. */
			include_next = false;
			if (dest_include_word(ps, ws, i) < 0)
				return -1;
		} else if (i - ws == INCLUDE_PREFIX_LEN &&
		           strncasecmp((const char *)ps->p + ws, INCLUDE_PREFIX,
		                       INCLUDE_PREFIX_LEN) == 0) {
			include_next = true;
		} else if (dest_word(ps, ws, i, false) < 0) {
			return -1;
		}
	}
	if (include_next)
		return parse_fail(ps, WHERE_DEST, e,
		                  "missing file name after :include:");
	return 0;
}

/* parse_element - one comma-separated element starting at s */
static int
parse_element(struct parser *ps, size_t s, size_t *end_r)
{
	size_t e, lt;

	if (ps->p[s] == '|') {
		/* A command is the rest of the element, blanks and all. */
		if (element_end(ps, s, true, &e) < 0)
			return -1;
		*end_r = e;
		if (e - s > ALIAS_DEST_MAX_OCTETS)
			return parse_fail(ps, WHERE_DEST, s,
			                  "destination too long (%zu octets, "
			                  "limit %u)",
			                  e - s, ALIAS_DEST_MAX_OCTETS);
		return dest_pipe(ps, s, (const char *)ps->p + s + 1, e - s - 1);
	}
	if (element_end(ps, s, false, &e) < 0)
		return -1;
	*end_r = e;
	lt = find_unquoted(ps, s, e, '<');
	if (lt < e)
		return parse_angle(ps, lt, e);
	return parse_words(ps, s, e);
}

/* alias_parse - one right-hand side to destinations */
int
alias_parse(const uint8_t *text, size_t n, int flags, const char *origin,
            struct alias_dest **dests_r, size_t *count_r,
            struct alias_error *err_r)
{
	struct parser ps;
	size_t max = (flags & ALIAS_F_FILE) ? ALIAS_FILE_MAX_OCTETS
	                                    : ALIAS_VALUE_MAX_OCTETS;
	size_t i = 0;
	int rc = 0;

	memset(&ps, 0, sizeof(ps));
	ps.p = text;
	ps.n = n;
	ps.file = (flags & ALIAS_F_FILE) != 0;
	ps.origin = origin != NULL ? origin : "(unknown)";
	ps.err = err_r;
	*dests_r = NULL;
	*count_r = 0;
	err_r->temporary = false;
	err_r->dsn = NULL;
	err_r->text[0] = '\0';

	if (n > max)
		rc = parse_fail(&ps, WHERE_NONE, 0,
		                "too long (%zu octets, limit %zu)", n, max);
	else
		rc = check_bytes(&ps);
	while (rc == 0) {
		i = skip_separators(&ps, i);
		if (i >= n)
			break;
		rc = parse_element(&ps, i, &i);
	}
	if (rc == 0 && !ps.file && ps.count == 0)
		rc = parse_fail(&ps, WHERE_NONE, 0, "no destinations");
	if (rc < 0) {
		alias_dests_free(&ps.dests, ps.count);
		return -1;
	}
	*dests_r = ps.dests;
	*count_r = ps.count;
	return 0;
}

/* alias_dests_free - release alias_parse's array */
void
alias_dests_free(struct alias_dest **dests, size_t count)
{
	size_t i;

	if (*dests == NULL)
		return;
	for (i = 0; i < count; i++)
		mem_free(&(*dests)[i].value);
	mem_free(dests);
}

/* alias_dest_type_name - printable destination type */
const char *
alias_dest_type_name(enum alias_dest_type type)
{
	switch (type) {
	case ALIAS_DEST_LOCAL:
		return "local";
	case ALIAS_DEST_ADDRESS:
		return "address";
	case ALIAS_DEST_PIPE:
		return "command";
	case ALIAS_DEST_FILE:
		return "file";
	case ALIAS_DEST_MAILDIR:
		return "maildir";
	case ALIAS_DEST_INCLUDE:
		return "include";
	}
	return "unknown";
}

/* alias_source_name - printable result source */
const char *
alias_source_name(enum alias_source source)
{
	switch (source) {
	case ALIAS_SOURCE_RECIPIENT:
		return "recipient";
	case ALIAS_SOURCE_ALIAS:
		return "alias";
	case ALIAS_SOURCE_INCLUDE:
		return "include";
	case ALIAS_SOURCE_FORWARD:
		return "forward";
	}
	return "unknown";
}

/* alias_params_init - default limits */
void
alias_params_init(struct alias_params *params)
{
	params->max_depth = ALIAS_DEFAULT_MAX_DEPTH;
	params->max_results = ALIAS_DEFAULT_MAX_RESULTS;
	params->max_lookups = ALIAS_DEFAULT_MAX_LOOKUPS;
	params->recipient_delimiter = NULL;
}

/*
 * struct frame - one list being expanded: an alias value or a .forward
 * (name set: the alias or user) or an include file (name NULL).
 */
struct frame {
	const char *name; /* borrowed from the expanding call */
	const char *file; /* borrowed; NULL for an alias value */
	char *label;      /* chain element, owned */
};

/* struct expander - state of one alias_expand call. */
struct expander {
	const struct alias_callbacks *cb;
	void *ctx;
	struct alias_params prm;
	char *orig;
	struct frame *stack; /* prm.max_depth entries */
	size_t depth;
	struct alias_result *res;
	size_t count;
	size_t cap;
	size_t *index;     /* open addressing: result number + 1 */
	size_t index_size; /* power of two, > 2 * count; 0: none yet */
	size_t lookups;
	struct alias_error *err;
};

static int expand_local(struct expander *ex, const char *value, bool no_expand,
                        enum alias_source source);

/* chain_build - the labels of the stack joined with " > ", capped */
static char *
chain_build(const struct expander *ex)
{
	struct buf b;
	size_t i;
	char *out;

	if (ex->depth == 0)
		return mem_strdup(ex->orig);
	buf_init(&b, ALIAS_CHAIN_MAX + 1);
	for (i = 0; i < ex->depth; i++) {
		const char *label = ex->stack[i].label;
		size_t need = strlen(label) + (i > 0 ? 3 : 0);

		/* Leave room for "..." within the maximum. */
		if (need > ALIAS_CHAIN_MAX - 3 - b.len) {
			buf_append_str(&b, "...");
			break;
		}
		if (i > 0)
			buf_append_str(&b, " > ");
		buf_append_str(&b, label);
	}
	out = mem_strdup(buf_cstr(&b));
	buf_deinit(&b);
	return out;
}

/* result_hash - FNV-1a over the type and the value */
static size_t
result_hash(enum alias_dest_type type, const char *value)
{
	uint64_t h = 14695981039346656037ull;

	h = (h ^ (uint64_t)type) * 1099511628211ull;
	for (; *value != '\0'; value++)
		h = (h ^ (unsigned char)*value) * 1099511628211ull;
	return (size_t)h;
}

/*
 * index_find - the slot of (type, value) in the duplicate index: the one
 * holding it, or the empty one where it belongs
 */
static size_t
index_find(const struct expander *ex, enum alias_dest_type type,
           const char *value)
{
	size_t mask = ex->index_size - 1;
	size_t slot = result_hash(type, value) & mask;

	/* The index is never more than half full: the probe ends. */
	while (ex->index[slot] != 0) {
		const struct alias_result *r = &ex->res[ex->index[slot] - 1];

		if (r->type == type && strcmp(r->value, value) == 0)
			break;
		slot = (slot + 1) & mask;
	}
	return slot;
}

/* index_grow - make room for one more result in the duplicate index */
static void
index_grow(struct expander *ex)
{
	size_t size, i;

	if (ex->index_size > 0 && ex->count + 1 <= ex->index_size / 2)
		return;
	size = ex->index_size > 0 ? ex->index_size : 32;
	while (ex->count + 1 > size / 2)
		MR_ASSERT(checked_mul(size, 2, &size));
	mem_free(&ex->index);
	ex->index = mem_alloc_array(size, sizeof(*ex->index));
	ex->index_size = size;
	for (i = 0; i < ex->count; i++)
		ex->index[index_find(ex, ex->res[i].type, ex->res[i].value)] =
		    i + 1;
}

/* result_add - a final delivery, unless the same one is there already */
static int
result_add(struct expander *ex, enum alias_dest_type type, const char *value,
           enum alias_source source)
{
	struct alias_result *r;
	size_t i, slot;

	/* Hashed: duplicates of commands, files and addresses cost no
	 * lookup, so a list repeated many times must stay cheap. */
	if (ex->index_size > 0 && ex->index[index_find(ex, type, value)] != 0)
		return 0;
	if (ex->count >= ex->prm.max_results) {
		error_set(ex->err, false, DSN_UNUSABLE,
		          "alias expansion of \"%s\": too many destinations "
		          "(limit %zu)",
		          log_safe_str(ex->orig), ex->prm.max_results);
		return -1;
	}
	if (ex->count == ex->cap) {
		size_t cap;

		MR_ASSERT(checked_grow(ex->cap, ex->count + 1,
		                       ex->prm.max_results, &cap));
		ex->res = mem_realloc_array(ex->res, cap, sizeof(*ex->res));
		ex->cap = cap;
	}
	index_grow(ex);
	slot = index_find(ex, type, value);
	MR_ASSERT(ex->index[slot] == 0);
	ex->index[slot] = ex->count + 1;
	r = &ex->res[ex->count++];
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->value = mem_strdup(value);
	r->orig = mem_strdup(ex->orig);
	r->chain = chain_build(ex);
	r->source = source;
	for (i = ex->depth; i > 0; i--) {
		if (ex->stack[i - 1].name != NULL) {
			r->owner = mem_strdup(ex->stack[i - 1].name);
			break;
		}
	}
	if (ex->depth > 0 && ex->stack[ex->depth - 1].file != NULL &&
	    (source == ALIAS_SOURCE_INCLUDE || source == ALIAS_SOURCE_FORWARD))
		r->file = mem_strdup(ex->stack[ex->depth - 1].file);
	return 0;
}

/* count_lookup - charge one callback call against max_lookups */
static int
count_lookup(struct expander *ex, const char *what)
{
	if (ex->lookups >= ex->prm.max_lookups) {
		error_set(ex->err, false, DSN_UNUSABLE,
		          "alias expansion of \"%s\" needs too many lookups "
		          "(limit %zu) at \"%s\"",
		          log_safe_str(ex->orig), ex->prm.max_lookups,
		          log_safe_str(what));
		return -1;
	}
	ex->lookups++;
	return 0;
}

/* check_depth - refuse one more nested list past max_depth */
static int
check_depth(struct expander *ex, const char *what)
{
	if (ex->depth >= ex->prm.max_depth) {
		error_set(ex->err, false, DSN_LOOP,
		          "alias expansion loop: too many levels (limit %zu) "
		          "at \"%s\"",
		          ex->prm.max_depth, log_safe_str(what));
		return -1;
	}
	return 0;
}

/* is_expanding - whether the alias or user name is on the stack */
static bool
is_expanding(const struct expander *ex, const char *name)
{
	size_t i;

	for (i = 0; i < ex->depth; i++)
		if (ex->stack[i].name != NULL &&
		    strcmp(ex->stack[i].name, name) == 0)
			return true;
	return false;
}

/* is_including - whether the include file path is on the stack */
static bool
is_including(const struct expander *ex, const char *path)
{
	size_t i;

	for (i = 0; i < ex->depth; i++)
		if (ex->stack[i].name == NULL &&
		    strcmp(ex->stack[i].file, path) == 0)
			return true;
	return false;
}

static int expand_dests(struct expander *ex, const struct alias_dest *dests,
                        size_t count, enum alias_source source);

/*
 * expand_text - parse text (an alias value or a file) and expand it as
 * a list one level down; *empty_r tells a file without destinations
 */
static int
expand_text(struct expander *ex, const char *text, int flags,
            const char *origin, const char *name, const char *file, char *label,
            enum alias_source source, bool *empty_r)
{
	struct alias_dest *dests;
	size_t count;
	struct frame *fr;
	int rc;

	*empty_r = false;
	/* SECURITY: text is an alias value, a user's .forward or an
	 * include file: hostile until alias_parse has classified it. */
	if (alias_parse((const uint8_t *)text, strlen(text), flags, origin,
	                &dests, &count, ex->err) < 0) {
		/* A broken alias value or file is a local configuration
		 * problem: defer so it can be fixed, never lose the mail. */
		ex->err->temporary = true;
		ex->err->dsn = DSN_CONFIG_TEMP;
		mem_free(&label);
		return -1;
	}
	if (count == 0) {
		*empty_r = true;
		mem_free(&label);
		return 0;
	}
	if (check_depth(ex, label) < 0) {
		alias_dests_free(&dests, count);
		mem_free(&label);
		return -1;
	}
	fr = &ex->stack[ex->depth++];
	fr->name = name;
	fr->file = file;
	fr->label = label;
	rc = expand_dests(ex, dests, count, source);
	ex->depth--;
	mem_free(&fr->label);
	alias_dests_free(&dests, count);
	return rc;
}

/* expand_include - read a :include: file and expand its destinations */
static int
expand_include(struct expander *ex, const char *path)
{
	const char *error = NULL;
	char *text = NULL;
	bool empty;
	int rc;

	if (is_including(ex, path)) {
		/* The outer expansion of this file delivers to everyone in
		 * it; going round again would only repeat them. */
		log_debug("alias expansion of %s: include loop at %s, skipped",
		          log_safe_str(ex->orig), log_safe_str(path));
		return 0;
	}
	if (count_lookup(ex, path) < 0)
		return -1;
	if (ex->cb->read_file == NULL) {
		error_set(ex->err, false, DSN_UNUSABLE,
		          ":include: file %s: include files are not allowed "
		          "here",
		          log_safe_str(path));
		return -1;
	}
	rc = ex->cb->read_file(ex->ctx, path, &text, &error);
	if (rc == ALIAS_CB_FOUND && text == NULL) {
		rc = ALIAS_CB_TEMPFAIL;
		error = "no text returned";
	}
	if (rc != ALIAS_CB_FOUND) {
		bool temp = rc != ALIAS_CB_NOT_FOUND;

		error_set(ex->err, temp, temp ? DSN_LOOKUP_TEMP : DSN_UNUSABLE,
		          ":include: file %s: %s", log_safe_str(path),
		          error != NULL ? log_safe_str(error)
		                        : "cannot be used");
		mem_free(&text);
		return -1;
	}
	rc = expand_text(ex, text, ALIAS_F_FILE, path, NULL, path,
	                 mem_asprintf(":include:%s", path),
	                 ALIAS_SOURCE_INCLUDE, &empty);
	mem_free(&text);
	return rc;
}

/* expand_dests - expand each destination of one parsed list */
static int
expand_dests(struct expander *ex, const struct alias_dest *dests, size_t count,
             enum alias_source source)
{
	size_t i;

	for (i = 0; i < count; i++) {
		const struct alias_dest *d = &dests[i];
		int rc;

		switch (d->type) {
		case ALIAS_DEST_LOCAL:
			rc = expand_local(ex, d->value, d->no_expand, source);
			break;
		case ALIAS_DEST_INCLUDE:
			rc = expand_include(ex, d->value);
			break;
		default:
			rc = result_add(ex, d->type, d->value, source);
			break;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

/*
 * extension_offset - where the recipient_delimiter splits name, or 0 when
 * it does not (Postfix split_addr: never at the first octet, never for
 * the special names, owner-x and x-request when '-' is a delimiter)
 */
static size_t
extension_offset(const char *name, const char *delims)
{
	size_t i, len = strlen(name);

	if (delims == NULL || *delims == '\0' || len < 2)
		return 0;
	if (strcmp(name, "postmaster") == 0 ||
	    strcmp(name, "mailer-daemon") == 0 ||
	    strcmp(name, "double-bounce") == 0)
		return 0;
	if (strchr(delims, '-') != NULL &&
	    (str_has_prefix(name, "owner-") ||
	     (len > 8 && strcmp(name + len - 8, "-request") == 0)))
		return 0;
	i = 1 + strcspn(name + 1, delims);
	return name[i] != '\0' ? i : 0;
}

/* lookup_alias - one alias_maps lookup; 1 found, 0 not, -1 error set */
static int
lookup_alias(struct expander *ex, const char *key, char **value_r)
{
	const char *error = NULL;
	int rc;

	*value_r = NULL;
	if (count_lookup(ex, key) < 0)
		return -1;
	rc = ex->cb->lookup(ex->ctx, key, value_r, &error);
	if (rc == ALIAS_CB_FOUND && *value_r != NULL)
		return 1;
	if (rc == ALIAS_CB_NOT_FOUND) {
		mem_free(value_r);
		return 0;
	}
	mem_free(value_r);
	error_set(ex->err, true, DSN_LOOKUP_TEMP,
	          "alias lookup of \"%s\" failed: %s", log_safe_str(key),
	          error != NULL ? log_safe_str(error) : "no value returned");
	return -1;
}

/* expand_forward - a user's .forward: 1 expanded, 0 none, -1 error set */
static int
expand_forward(struct expander *ex, const char *name, size_t ext_off)
{
	const char *error = NULL;
	char *user, *text = NULL, *path = NULL;
	bool empty = false;
	int rc;

	if (ex->cb->read_forward == NULL)
		return 0;
	if (count_lookup(ex, name) < 0)
		return -1;
	user = ext_off > 0 ? mem_strndup(name, ext_off) : mem_strdup(name);
	rc = ex->cb->read_forward(ex->ctx, user,
	                          ext_off > 0 ? name + ext_off + 1 : NULL,
	                          &text, &path, &error);
	if (rc == ALIAS_CB_FOUND && (text == NULL || path == NULL)) {
		rc = ALIAS_CB_TEMPFAIL;
		error = "no text returned";
	}
	if (rc == ALIAS_CB_FOUND) {
		rc =
		    expand_text(ex, text, ALIAS_F_FILE, path, name, path,
		                mem_strdup(name), ALIAS_SOURCE_FORWARD, &empty);
		/* An empty .forward forwards nowhere: like sendmail, deliver
		 * to the mailbox rather than drop the mail. */
		if (rc == 0)
			rc = empty ? 0 : 1;
	} else if (rc == ALIAS_CB_NOT_FOUND) {
		rc = 0;
	} else {
		error_set(ex->err, true, DSN_LOOKUP_TEMP,
		          ".forward file of \"%s\": %s", log_safe_str(user),
		          error != NULL ? log_safe_str(error)
		                        : "cannot be read");
		rc = -1;
	}
	mem_free(&user);
	mem_free(&text);
	mem_free(&path);
	return rc;
}

/* expand_local - a local name: alias, .forward, or the mailbox */
static int
expand_local(struct expander *ex, const char *value, bool no_expand,
             enum alias_source source)
{
	char *name = str_lower(mem_strdup(value));
	char *text = NULL;
	size_t ext_off;
	bool empty;
	int rc;

	/* "\user" goes to the mailbox. A name that is being expanded
	 * already is the user's own mailbox too: "alice: alice, bob"
	 * delivers to alice's mailbox and to bob, and so does any cycle
	 * back to a name on the stack (docs/aliases.md, "Loops"). */
	if (no_expand || is_expanding(ex, name)) {
		rc = result_add(ex, ALIAS_DEST_LOCAL, name, source);
		goto out;
	}
	/* Postfix order: "user+ext" first, then "user". */
	ext_off = extension_offset(name, ex->prm.recipient_delimiter);
	rc = lookup_alias(ex, name, &text);
	if (rc == 0 && ext_off > 0) {
		char *user = mem_strndup(name, ext_off);

		rc = lookup_alias(ex, user, &text);
		if (rc == 1) {
			rc = expand_text(ex, text, 0, user, name, NULL,
			                 mem_strdup(name), ALIAS_SOURCE_ALIAS,
			                 &empty);
			mem_free(&user);
			goto out;
		}
		mem_free(&user);
	} else if (rc == 1) {
		rc = expand_text(ex, text, 0, name, name, NULL,
		                 mem_strdup(name), ALIAS_SOURCE_ALIAS, &empty);
		goto out;
	}
	if (rc < 0)
		goto out;
	rc = expand_forward(ex, name, ext_off);
	if (rc == 0)
		rc = result_add(ex, ALIAS_DEST_LOCAL, name, source);
	else if (rc > 0)
		rc = 0;
out:
	mem_free(&text);
	mem_free(&name);
	return rc;
}

/* is_valid_local_part - a recipient local part we can look up */
static bool
is_valid_local_part(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= ALIAS_DEST_MAX_OCTETS || c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* alias_expand - recipient local part to final deliveries */
int
alias_expand(const char *local_part, const struct alias_callbacks *cb,
             void *ctx, const struct alias_params *params,
             struct alias_result **results_r, size_t *count_r,
             struct alias_error *err_r)
{
	struct expander ex;
	int rc;

	MR_ASSERT(cb != NULL && cb->lookup != NULL);
	*results_r = NULL;
	*count_r = 0;
	err_r->temporary = false;
	err_r->dsn = NULL;
	err_r->text[0] = '\0';
	/* SECURITY: the local part comes from the envelope, written by
	 * whoever sent the mail; it becomes a lookup key and a name. */
	if (!is_valid_local_part(local_part)) {
		error_set(err_r, false, DSN_BAD_RCPT,
		          "invalid recipient local part \"%s\"",
		          log_safe_str(local_part));
		return -1;
	}
	memset(&ex, 0, sizeof(ex));
	ex.cb = cb;
	ex.ctx = ctx;
	alias_params_init(&ex.prm);
	if (params != NULL) {
		if (params->max_depth > 0)
			ex.prm.max_depth = params->max_depth;
		if (params->max_results > 0)
			ex.prm.max_results = params->max_results;
		if (params->max_lookups > 0)
			ex.prm.max_lookups = params->max_lookups;
		ex.prm.recipient_delimiter = params->recipient_delimiter;
	}
	/* The expansion recurses once per level: bound the C stack. */
	if (ex.prm.max_depth > ALIAS_DEPTH_CEILING)
		ex.prm.max_depth = ALIAS_DEPTH_CEILING;
	ex.stack = mem_alloc_array(ex.prm.max_depth, sizeof(*ex.stack));
	ex.orig = str_lower(mem_strdup(local_part));
	ex.err = err_r;

	rc = expand_local(&ex, local_part, false, ALIAS_SOURCE_RECIPIENT);
	if (rc == 0 && ex.count == 0) {
		/* Only empty include files get here: never drop mail
		 * silently, bounce it with a reason. */
		error_set(err_r, false, DSN_UNUSABLE,
		          "alias expansion of \"%s\" produced no destinations",
		          log_safe_str(ex.orig));
		rc = -1;
	}
	MR_ASSERT(ex.depth == 0);
	mem_free(&ex.index);
	mem_free(&ex.stack);
	mem_free(&ex.orig);
	if (rc < 0) {
		alias_results_free(&ex.res, ex.count);
		return -1;
	}
	*results_r = ex.res;
	*count_r = ex.count;
	return 0;
}

/* alias_results_free - release alias_expand's array */
void
alias_results_free(struct alias_result **results, size_t count)
{
	size_t i;

	if (*results == NULL)
		return;
	for (i = 0; i < count; i++) {
		struct alias_result *r = &(*results)[i];

		mem_free(&r->value);
		mem_free(&r->orig);
		mem_free(&r->chain);
		mem_free(&r->owner);
		mem_free(&r->file);
	}
	mem_free(results);
}
