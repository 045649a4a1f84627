/*
 * mime.c - MIME structure of a message, parsed from a stream (see
 * mime.h).
 *
 * mime_parser_new    - start a message
 * mime_parser_feed   - the next chunk
 * mime_parser_finish - the tree
 * mime_parse         - the tree of a message in memory
 * mime_message_free  - release a tree
 * mime_param_get     - look up a parameter
 * mime_part_is       - compare a part's type
 *
 * Untrusted input: stored messages, in imapd (mail user) and whatever
 * else reads mailboxes. The message is looked at line by line: memchr
 * finds the line ends, and of each line only the first MIME_LINE_PREFIX
 * octets are kept (enough to recognise a boundary delimiter) plus, in a
 * header, the field being read (at most MIME_FIELD_MAX). Each delimiter
 * candidate is compared with at most MIME_DEPTH_MAX boundaries, so the
 * cost is linear in the message size. The tree lives in one arena owned
 * by the struct mime_message; its size is bounded by MIME_PARTS_MAX parts
 * and their bounded header values. The limits and the model are in
 * mime.h; RFC 2045 5 (Content-Type), 6 (Content-Transfer-Encoding), 7
 * (Content-ID), 8 (Content-Description); RFC 2046 5.1 (multipart), 5.2.1
 * (message/rfc822); RFC 2183 (Content-Disposition); RFC 2231 (parameter
 * sections, charsets and languages); RFC 3282 (Content-Language); RFC
 * 2557 4 (Content-Location); RFC 1864 (Content-MD5).
 */
#include "lib/mime.h"

#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/charset.h"
#include "lib/checked.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

/* Octets of a line kept: "--", the longest boundary, "--". */
#define MIME_LINE_PREFIX (MIME_BOUNDARY_MAX + 4)
/* Nesting of comments in a structured field (RFC 5322 3.2.2). */
#define MIME_COMMENT_DEPTH_MAX 32
/* RFC 2231 section numbers accepted: name*0 .. name*999. */
#define MIME_SECTION_MAX 999
/* Arena chunk size. */
#define MIME_ARENA_CHUNK 4096

/* ---- arena ---- */

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
	uint8_t data[] __attribute__((aligned(16)));
};

struct mime_arena {
	struct arena_chunk *chunks;
};

/* arena_alloc - zeroed memory that lives as long as the arena */
static void *
arena_alloc(struct mime_arena *a, size_t size)
{
	struct arena_chunk *c = a->chunks;
	size_t need, chunk_size;

	if (!checked_add(size, 15, &need))
		log_panic("mime: arena size overflow");
	need &= ~(size_t)15;
	if (c == NULL || c->size - c->used < need) {
		chunk_size =
		    need > MIME_ARENA_CHUNK / 4 ? need : MIME_ARENA_CHUNK;
		c = mem_alloc(sizeof(*c) + chunk_size);
		c->size = chunk_size;
		if (chunk_size == need && a->chunks != NULL) {
			/* A big block: keep the current chunk in front. */
			c->next = a->chunks->next;
			a->chunks->next = c;
		} else {
			c->next = a->chunks;
			a->chunks = c;
		}
	}
	c->used += need;
	return c->data + c->used - need;
}

/* arena_memdup - NUL-terminated copy of n octets */
static char *
arena_memdup(struct mime_arena *a, const void *p, size_t n)
{
	size_t size;
	char *s;

	if (!checked_add(n, 1, &size))
		log_panic("mime: arena size overflow");
	s = arena_alloc(a, size);
	memcpy(s, p, n);
	return s;
}

/* arena_lower - lower-cased NUL-terminated copy of n octets */
static char *
arena_lower(struct mime_arena *a, const uint8_t *p, size_t n)
{
	char *s = arena_memdup(a, p, n);
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	return s;
}

/* arena_free - release every chunk */
static void
arena_free(struct mime_arena *a)
{
	while (a->chunks != NULL) {
		struct arena_chunk *next = a->chunks->next;

		mem_free(&a->chunks);
		a->chunks = next;
	}
}

/* ---- structured field values: tokens, quoted strings, comments ---- */

struct lex {
	const uint8_t *p;
	size_t n;
	size_t pos;
};

/* is_tspecial - RFC 2045 5.1 tspecials */
static bool
is_tspecial(uint8_t c)
{
	return c != 0 && strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* is_token_char - token octet; 8-bit octets are tolerated (RFC 6532) */
static bool
is_token_char(uint8_t c)
{
	return c > 0x20 && c != 0x7f && !is_tspecial(c);
}

/* lex_skip_cfws - white space and comments; an unclosed comment ends all */
static void
lex_skip_cfws(struct lex *lx)
{
	while (lx->pos < lx->n) {
		uint8_t c = lx->p[lx->pos];
		unsigned depth = 0;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			lx->pos++;
			continue;
		}
		if (c != '(')
			return;
		do {
			c = lx->p[lx->pos++];
			if (c == '\\' && lx->pos < lx->n)
				lx->pos++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			if (depth > MIME_COMMENT_DEPTH_MAX) {
				lx->pos = lx->n;
				return;
			}
		} while (depth > 0 && lx->pos < lx->n);
	}
}

/* lex_token - a token after CFWS: its start and length (0: none) */
static size_t
lex_token(struct lex *lx, const uint8_t **start_r)
{
	size_t start;

	lex_skip_cfws(lx);
	start = lx->pos;
	while (lx->pos < lx->n && is_token_char(lx->p[lx->pos]))
		lx->pos++;
	*start_r = lx->p + start;
	return lx->pos - start;
}

/* lex_special - whether the next thing after CFWS is c (then skip it) */
static bool
lex_special(struct lex *lx, uint8_t c)
{
	lex_skip_cfws(lx);
	if (lx->pos < lx->n && lx->p[lx->pos] == c) {
		lx->pos++;
		return true;
	}
	return false;
}

/*
 * lex_value - a parameter value (token or quoted string) appended to out
 * without quotes and quoted-pairs; false when there is none. An
 * unterminated quoted string runs to the end.
 */
static bool
lex_value(struct lex *lx, struct buf *out)
{
	const uint8_t *start;
	size_t len;

	lex_skip_cfws(lx);
	if (lx->pos < lx->n && lx->p[lx->pos] == '"') {
		lx->pos++;
		while (lx->pos < lx->n && lx->p[lx->pos] != '"') {
			if (lx->p[lx->pos] == '\\' && lx->pos + 1 < lx->n)
				lx->pos++;
			buf_append_byte(out, lx->p[lx->pos++]);
		}
		if (lx->pos < lx->n)
			lx->pos++;
		return true;
	}
	len = lex_token(lx, &start);
	buf_append(out, start, len);
	return len > 0;
}

/* lex_skip_param - skip to the next ";" (for a parameter we cannot use) */
static void
lex_skip_param(struct lex *lx)
{
	bool quoted = false;

	while (lx->pos < lx->n) {
		uint8_t c = lx->p[lx->pos];

		if (c == '"')
			quoted = !quoted;
		else if (c == '\\' && quoted && lx->pos + 1 < lx->n)
			lx->pos++;
		else if (c == ';' && !quoted)
			return;
		lx->pos++;
	}
}

/* ---- parameters (RFC 2045 5.1, RFC 2231) ---- */

/* One parameter as written, before RFC 2231 sections are joined. */
struct raw_param {
	const uint8_t *name; /* without "*" parts */
	size_t name_len;
	int section;      /* -1: none */
	bool extended;    /* ends in "*" */
	size_t value_off; /* in the value buffer */
	size_t value_len;
	bool used;
};

struct param_set {
	struct raw_param raw[MIME_PARAMS_MAX];
	size_t count;
	struct buf values; /* every value, one after another */
};

/* parse_param_name - split "name", "name*", "name*3", "name*3*" */
static bool
parse_param_name(const uint8_t *p, size_t n, struct raw_param *rp)
{
	const uint8_t *star = memchr(p, '*', n);
	size_t i;

	rp->section = -1;
	rp->extended = false;
	rp->name = p;
	rp->name_len = star != NULL ? (size_t)(star - p) : n;
	if (rp->name_len == 0)
		return false;
	if (star == NULL)
		return true;
	i = rp->name_len + 1;
	if (i == n) {
		rp->extended = true;
		return true;
	}
	rp->section = 0;
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		rp->section = rp->section * 10 + (p[i] - '0');
		if (rp->section > MIME_SECTION_MAX)
			return false;
	}
	if (i == rp->name_len + 1)
		return false;
	if (i + 1 == n && p[i] == '*') {
		rp->extended = true;
		return true;
	}
	return i == n;
}

/* parse_params - ";" name "=" value, repeated, into set */
static void
parse_params(struct lex *lx, struct param_set *set)
{
	while (lx->pos < lx->n) {
		struct raw_param *rp = &set->raw[set->count];
		const uint8_t *name;
		size_t len, before;

		if (!lex_special(lx, ';')) {
			/* Junk between parameters: skip to the next ";". */
			lex_skip_param(lx);
			if (!lex_special(lx, ';'))
				return;
		}
		len = lex_token(lx, &name);
		/* Past the maximum rp is one past the array: no writes. */
		if (len == 0 || !lex_special(lx, '=') ||
		    set->count == MIME_PARAMS_MAX ||
		    !parse_param_name(name, len, rp)) {
			lex_skip_param(lx);
			continue;
		}
		before = set->values.len;
		if (!lex_value(lx, &set->values)) {
			buf_truncate(&set->values, before);
			lex_skip_param(lx);
			continue;
		}
		rp->value_off = before;
		rp->value_len = set->values.len - before;
		rp->used = false;
		set->count++;
	}
}

/* same_name - parameter names equal, ignoring case */
static bool
same_name(const struct raw_param *a, const struct raw_param *b)
{
	return a->name_len == b->name_len &&
	       strncasecmp((const char *)a->name, (const char *)b->name,
	                   a->name_len) == 0;
}

/* percent_decode - RFC 2231 %XX into out; a stray "%" stays */
static void
percent_decode(const uint8_t *p, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '%' && i + 2 < n && str_hex_value(p[i + 1]) >= 0 &&
		    str_hex_value(p[i + 2]) >= 0) {
			buf_append_byte(out,
			                (uint8_t)(str_hex_value(p[i + 1]) << 4 |
			                          str_hex_value(p[i + 2])));
			i += 2;
		} else {
			buf_append_byte(out, p[i]);
		}
	}
}

/*
 * join_param - the value of parameter rp (first of its name) into out:
 * RFC 2231 sections in order, extended parts decoded and converted to
 * UTF-8; *language_r gets the language or NULL
 */
static bool
join_param(struct param_set *set, size_t first, struct buf *out,
           struct mime_arena *a, const char **language_r)
{
	const struct raw_param *order[MIME_PARAMS_MAX];
	size_t count = 0, i;
	char charset[CHARSET_NAME_MAX + 1] = "";
	bool extended = false;
	struct buf raw;

	*language_r = NULL;
	/* Gather the sections of this name (or the one unsectioned value). */
	for (i = first; i < set->count; i++) {
		struct raw_param *rp = &set->raw[i];
		size_t j;

		if (rp->used || !same_name(rp, &set->raw[first]) ||
		    (rp->section < 0) != (set->raw[first].section < 0) ||
		    (rp->section < 0 &&
		     rp->extended != set->raw[first].extended))
			continue;
		rp->used = true;
		for (j = 0; j < count; j++)
			if (order[j]->section == rp->section)
				break;
		if (j < count)
			continue; /* a repeated section: the first counts */
		/* Insertion by section number (count <= MIME_PARAMS_MAX). */
		for (j = count; j > 0 && order[j - 1]->section > rp->section;
		     j--)
			order[j] = order[j - 1];
		order[j] = rp;
		count++;
		if (rp->section < 0)
			break;
	}
	buf_init(&raw, MIME_FIELD_MAX);
	for (i = 0; i < count; i++) {
		/* Every value may be empty: no storage at all then. */
		const uint8_t *v = set->values.data != NULL
		                       ? set->values.data + order[i]->value_off
		                       : (const uint8_t *)"";
		size_t len = order[i]->value_len;

		if (!order[i]->extended) {
			buf_append(&raw, v, len);
			continue;
		}
		if (i == 0) {
			/* charset'language'text (RFC 2231 4) */
			const uint8_t *q1 = memchr(v, '\'', len), *q2;

			q2 = q1 != NULL ? memchr(q1 + 1, '\'',
			                         len - (size_t)(q1 + 1 - v))
			                : NULL;
			if (q2 != NULL) {
				size_t cs_len = (size_t)(q1 - v);

				if (cs_len <= CHARSET_NAME_MAX) {
					memcpy(charset, v, cs_len);
					charset[cs_len] = '\0';
				}
				if (q2 > q1 + 1)
					*language_r = arena_memdup(
					    a, q1 + 1, (size_t)(q2 - q1 - 1));
				len -= (size_t)(q2 + 1 - v);
				v = q2 + 1;
			}
		}
		extended = true;
		percent_decode(v, len, &raw);
	}
	if (extended) {
		struct charset_conv *cc =
		    charset_conv_new(charset[0] != '\0' ? charset : "utf-8");

		buf_init(out, CHARSET_OUT_MAX(raw.len));
		charset_conv_feed(cc, raw.data, raw.len, out);
		charset_conv_finish(cc, out);
		charset_conv_free(&cc);
	} else {
		buf_init(out, raw.len + 1);
		buf_append(out, raw.data, raw.len);
	}
	buf_deinit(&raw);
	return extended;
}

/* build_params - the final parameter array of a field */
static void
build_params(struct param_set *set, struct mime_arena *a,
             struct mime_param **params_r, size_t *count_r)
{
	struct mime_param *params;
	size_t i, count = 0;

	*params_r = NULL;
	*count_r = 0;
	if (set->count == 0)
		return;
	params = arena_alloc(a, set->count * sizeof(*params));
	for (i = 0; i < set->count; i++) {
		struct raw_param *rp = &set->raw[i];
		struct mime_param *mp;
		struct buf value;
		size_t j;

		if (rp->used)
			continue;
		mp = &params[count];
		mp->name = arena_lower(a, rp->name, rp->name_len);
		mp->extended = join_param(set, i, &value, a, &mp->language);
		mp->value = arena_memdup(
		    a, value.data != NULL ? value.data : (uint8_t *)"",
		    value.len);
		mp->value_len = value.len;
		buf_deinit(&value);
		/* A name given twice in the same form: the first counts. */
		for (j = 0; j < count; j++)
			if (params[j].extended == mp->extended &&
			    strcmp(params[j].name, mp->name) == 0)
				break;
		if (j == count)
			count++;
	}
	*params_r = params;
	*count_r = count;
}

/* ---- the parser ---- */

/* A part with the line counters the public struct does not show. */
struct part_priv {
	struct mime_part pub;          /* first: a struct mime_part * is this */
	size_t header_lf, header_bare; /* counters at header_offset */
	size_t body_lf, body_bare;     /* counters at body_offset */
	bool has_type;
	bool has_encoding;
	struct mime_part *last_child;
};

struct boundary {
	struct mime_part *part;
	size_t len;
	uint8_t text[MIME_BOUNDARY_MAX];
};

struct mime_parser {
	unsigned flags;
	struct mime_message *msg;
	struct mime_arena *arena;
	struct part_priv *cur; /* innermost open part */
	bool in_header;        /* cur's header is being read */
	bool saturated;        /* MIME_PARTS_MAX reached */
	struct boundary bounds[MIME_DEPTH_MAX];
	unsigned bound_count;

	/* Position: octets fed, LFs and LFs without CR before them. */
	size_t pos, lf, bare;
	bool prev_cr; /* the last octet was CR */

	/* The current line. */
	bool at_line_start;
	size_t line_start, line_lf, line_bare;
	size_t line_len;
	uint8_t prefix[MIME_LINE_PREFIX];
	size_t prefix_len;
	bool tail_nonws; /* not white space after the prefix */

	/* The line break before the current line (where a body ends). */
	bool have_break;
	size_t break_pos, break_lf, break_bare;
	/* The current line's own break, until the line is done. */
	size_t next_break_pos, next_break_lf, next_break_bare;
	bool prev_cr_line; /* the current line ended in CR LF */

	/* The header field being read. */
	bool field_open;
	bool field_cut;
	struct buf field;
};

/* new_part - a part starting at the current position */
static struct part_priv *
new_part(struct mime_parser *mp, struct part_priv *parent)
{
	struct part_priv *pp = arena_alloc(mp->arena, sizeof(*pp));

	pp->pub.header_offset = mp->pos;
	pp->header_lf = mp->lf;
	pp->header_bare = mp->bare;
	pp->pub.encoding_name = "7bit";
	if (parent != NULL) {
		pp->pub.parent = &parent->pub;
		pp->pub.depth = parent->pub.depth + 1;
		if (parent->last_child != NULL)
			parent->last_child->next = &pp->pub;
		else
			parent->pub.children = &pp->pub;
		parent->last_child = &pp->pub;
	}
	mp->msg->part_count++;
	return pp;
}

/* mime_parser_new - start a message */
struct mime_parser *
mime_parser_new(unsigned flags)
{
	struct mime_parser *mp = mem_alloc(sizeof(*mp));

	mp->flags = flags;
	mp->msg = mem_alloc(sizeof(*mp->msg));
	mp->arena = mem_alloc(sizeof(*mp->arena));
	mp->msg->arena = mp->arena;
	buf_init(&mp->field, MIME_FIELD_MAX);
	mp->cur = new_part(mp, NULL);
	mp->msg->root = &mp->cur->pub;
	mp->in_header = true;
	mp->at_line_start = true;
	return mp;
}

/* text_set - a trimmed copy of n octets as a header value */
static void
text_set(struct mime_parser *mp, struct mime_text *t, const uint8_t *p,
         size_t n)
{
	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	t->p = arena_memdup(mp->arena, p, n);
	t->len = n;
}

/* field_content_type - Content-Type: type "/" subtype *(";" param) */
static void
field_content_type(struct mime_parser *mp, struct part_priv *pp,
                   const uint8_t *v, size_t n)
{
	struct lex lx = {.p = v, .n = n, .pos = 0};
	const uint8_t *type, *subtype;
	size_t type_len, subtype_len;
	struct param_set *set;

	type_len = lex_token(&lx, &type);
	if (type_len == 0 || !lex_special(&lx, '/'))
		return;
	subtype_len = lex_token(&lx, &subtype);
	if (subtype_len == 0)
		return;
	pp->has_type = true;
	pp->pub.type = arena_lower(mp->arena, type, type_len);
	pp->pub.subtype = arena_lower(mp->arena, subtype, subtype_len);
	set = mem_alloc(sizeof(*set));
	buf_init(&set->values, MIME_FIELD_MAX);
	parse_params(&lx, set);
	build_params(set, mp->arena, &pp->pub.params, &pp->pub.param_count);
	buf_deinit(&set->values);
	mem_free(&set);
}

/* field_disposition - Content-Disposition: type *(";" param) */
static void
field_disposition(struct mime_parser *mp, struct part_priv *pp,
                  const uint8_t *v, size_t n)
{
	struct lex lx = {.p = v, .n = n, .pos = 0};
	const uint8_t *type;
	size_t type_len;
	struct param_set *set;

	type_len = lex_token(&lx, &type);
	if (type_len == 0)
		return;
	pp->pub.disposition = arena_lower(mp->arena, type, type_len);
	set = mem_alloc(sizeof(*set));
	buf_init(&set->values, MIME_FIELD_MAX);
	parse_params(&lx, set);
	build_params(set, mp->arena, &pp->pub.disp_params,
	             &pp->pub.disp_param_count);
	buf_deinit(&set->values);
	mem_free(&set);
}

/* field_encoding - Content-Transfer-Encoding: mechanism */
static void
field_encoding(struct mime_parser *mp, struct part_priv *pp, const uint8_t *v,
               size_t n)
{
	static const struct {
		const char *name;
		enum mime_encoding enc;
	} names[] = {
	    {"7bit", MIME_ENC_7BIT},           {"8bit", MIME_ENC_8BIT},
	    {"binary", MIME_ENC_BINARY},       {"base64", MIME_ENC_BASE64},
	    {"quoted-printable", MIME_ENC_QP},
	};
	struct lex lx = {.p = v, .n = n, .pos = 0};
	const uint8_t *tok;
	size_t len = lex_token(&lx, &tok), i;

	if (len == 0)
		return;
	pp->has_encoding = true;
	pp->pub.encoding_name = arena_lower(mp->arena, tok, len);
	pp->pub.encoding = MIME_ENC_OTHER;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(pp->pub.encoding_name, names[i].name) == 0)
			pp->pub.encoding = names[i].enc;
}

/* field_language - Content-Language: 1#Language-Tag (RFC 3282 2) */
static void
field_language(struct mime_parser *mp, struct part_priv *pp, const uint8_t *v,
               size_t n)
{
	struct lex lx = {.p = v, .n = n, .pos = 0};
	const char *tags[MIME_LANGUAGES_MAX];
	size_t count = 0;

	while (lx.pos < lx.n && count < MIME_LANGUAGES_MAX) {
		const uint8_t *tok;
		size_t len = lex_token(&lx, &tok);

		if (len > 0)
			tags[count++] = arena_memdup(mp->arena, tok, len);
		if (!lex_special(&lx, ','))
			break;
	}
	if (count == 0)
		return;
	pp->pub.languages = arena_alloc(mp->arena, count * sizeof(tags[0]));
	memcpy(pp->pub.languages, tags, count * sizeof(tags[0]));
	pp->pub.language_count = count;
}

/* is_message_header - whether pp's header is a message's */
static bool
is_message_header(const struct part_priv *pp)
{
	return pp->pub.parent == NULL ||
	       (pp->pub.parent->flags & MIME_PART_F_MESSAGE) != 0;
}

/* field_envelope - keep an envelope field of a message header */
static void
field_envelope(struct mime_parser *mp, struct part_priv *pp, const char *name,
               const uint8_t *v, size_t n)
{
	static const struct {
		const char *name;
		size_t offset;
	} fields[] = {
	    {"date", offsetof(struct mime_envelope, date)},
	    {"subject", offsetof(struct mime_envelope, subject)},
	    {"from", offsetof(struct mime_envelope, from)},
	    {"sender", offsetof(struct mime_envelope, sender)},
	    {"reply-to", offsetof(struct mime_envelope, reply_to)},
	    {"to", offsetof(struct mime_envelope, to)},
	    {"cc", offsetof(struct mime_envelope, cc)},
	    {"bcc", offsetof(struct mime_envelope, bcc)},
	    {"in-reply-to", offsetof(struct mime_envelope, in_reply_to)},
	    {"message-id", offsetof(struct mime_envelope, message_id)},
	};
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		struct mime_text *t;

		if (strcmp(name, fields[i].name) != 0)
			continue;
		if (pp->pub.envelope == NULL)
			pp->pub.envelope =
			    arena_alloc(mp->arena, sizeof(*pp->pub.envelope));
		t = (struct mime_text *)((char *)pp->pub.envelope +
		                         fields[i].offset);
		if (t->p == NULL)
			text_set(mp, t, v, n);
		return;
	}
}

/* field_done - the field in mp->field is complete: use it */
static void
field_done(struct mime_parser *mp)
{
	struct part_priv *pp = mp->cur;
	const uint8_t *f = mp->field.data, *colon, *v;
	char name[32];
	size_t name_len, n;

	if (!mp->field_open)
		return;
	mp->field_open = false;
	if (mp->field.len == 0)
		return;
	colon = memchr(f, ':', mp->field.len);
	if (colon == NULL)
		return; /* a line without colon: part of the header, unused */
	name_len = (size_t)(colon - f);
	while (name_len > 0 &&
	       (f[name_len - 1] == ' ' || f[name_len - 1] == '\t'))
		name_len--;
	if (name_len == 0 || name_len >= sizeof(name))
		return;
	for (size_t i = 0; i < name_len; i++) {
		/* RFC 5322 2.2: a field name is printable ASCII. */
		if (f[i] < 33 || f[i] > 126)
			return;
		name[i] = (char)(f[i] >= 'A' && f[i] <= 'Z' ? f[i] - 'A' + 'a'
		                                            : f[i]);
	}
	name[name_len] = '\0';
	v = colon + 1;
	n = mp->field.len - (size_t)(v - f);
	if (strncmp(name, "content-", 8) == 0) {
		const char *sub = name + 8;

		if (mp->field_cut)
			pp->pub.flags |= MIME_PART_F_FIELD_CUT;
		if (strcmp(sub, "type") == 0 && !pp->has_type)
			field_content_type(mp, pp, v, n);
		else if (strcmp(sub, "transfer-encoding") == 0 &&
		         !pp->has_encoding)
			field_encoding(mp, pp, v, n);
		else if (strcmp(sub, "id") == 0 && pp->pub.id.p == NULL)
			text_set(mp, &pp->pub.id, v, n);
		else if (strcmp(sub, "description") == 0 &&
		         pp->pub.description.p == NULL)
			text_set(mp, &pp->pub.description, v, n);
		else if (strcmp(sub, "md5") == 0 && pp->pub.md5.p == NULL)
			text_set(mp, &pp->pub.md5, v, n);
		else if (strcmp(sub, "location") == 0 &&
		         pp->pub.location.p == NULL)
			text_set(mp, &pp->pub.location, v, n);
		else if (strcmp(sub, "disposition") == 0 &&
		         pp->pub.disposition == NULL)
			field_disposition(mp, pp, v, n);
		else if (strcmp(sub, "language") == 0 &&
		         pp->pub.languages == NULL)
			field_language(mp, pp, v, n);
		return;
	}
	if ((mp->flags & MIME_PARSE_F_ENVELOPE) && is_message_header(pp)) {
		if (mp->field_cut)
			pp->pub.flags |= MIME_PART_F_FIELD_CUT;
		field_envelope(mp, pp, name, v, n);
	}
}

/* size_set - a size from the counters at its two ends */
static void
size_set(struct mime_size *s, size_t start, size_t start_lf, size_t start_bare,
         size_t end, size_t end_lf, size_t end_bare)
{
	s->octets = end - start;
	s->lines = end_lf - start_lf;
	s->crlf_octets = s->octets + (end_bare - start_bare);
}

/* header_defaults - what RFC 2045 5.2 assumes without Content-Type */
static void
header_defaults(struct part_priv *pp)
{
	const struct mime_part *parent = pp->pub.parent;

	if (pp->has_type)
		return;
	pp->pub.flags |= MIME_PART_F_DEFAULT_TYPE;
	if (parent != NULL && (parent->flags & MIME_PART_F_MULTIPART) &&
	    mime_part_is(parent, "multipart", "digest")) {
		pp->pub.type = "message";
		pp->pub.subtype = "rfc822";
	} else {
		pp->pub.type = "text";
		pp->pub.subtype = "plain";
	}
}

/* header_end - cur's header ends at pos (counters lf, bare) */
static void
header_end(struct mime_parser *mp, size_t pos, size_t lf, size_t bare)
{
	struct part_priv *pp = mp->cur;

	field_done(mp);
	header_defaults(pp);
	size_set(&pp->pub.header, pp->pub.header_offset, pp->header_lf,
	         pp->header_bare, pos, lf, bare);
	pp->pub.body_offset = pos;
	pp->body_lf = lf;
	pp->body_bare = bare;
	mp->in_header = false;
}

/* can_add_part - whether one more part fits; else stop recognising */
static bool
can_add_part(struct mime_parser *mp)
{
	if (mp->msg->part_count < MIME_PARTS_MAX)
		return true;
	mp->saturated = true;
	mp->msg->flags |= MIME_MESSAGE_F_PARTS_LIMIT;
	return false;
}

/* body_begin - cur's header ended with its empty line: what follows */
static void
body_begin(struct mime_parser *mp)
{
	struct part_priv *pp = mp->cur;
	struct mime_part *part = &pp->pub;

	if (strcmp(part->type, "multipart") == 0) {
		const struct mime_param *b =
		    mime_param_get(part->params, part->param_count, "boundary");
		struct boundary *bd;

		if (b == NULL || b->value_len == 0 ||
		    b->value_len > MIME_BOUNDARY_MAX ||
		    strlen(b->value) != b->value_len)
			return; /* not usable: the body is a leaf */
		if (part->depth >= MIME_DEPTH_MAX || mp->saturated) {
			part->flags |= MIME_PART_F_LIMIT;
			return;
		}
		MR_ASSERT(mp->bound_count < MIME_DEPTH_MAX);
		bd = &mp->bounds[mp->bound_count++];
		bd->part = part;
		bd->len = b->value_len;
		memcpy(bd->text, b->value, b->value_len);
		part->flags |= MIME_PART_F_MULTIPART;
		return;
	}
	if (mime_part_is(part, "message", "rfc822")) {
		/* RFC 2046 5.2.1: only 7bit, 8bit or binary can be parsed. */
		if (part->encoding != MIME_ENC_7BIT &&
		    part->encoding != MIME_ENC_8BIT &&
		    part->encoding != MIME_ENC_BINARY)
			return;
		if (part->depth >= MIME_DEPTH_MAX || mp->saturated ||
		    !can_add_part(mp)) {
			part->flags |= MIME_PART_F_LIMIT;
			return;
		}
		part->flags |= MIME_PART_F_MESSAGE;
		mp->cur = new_part(mp, pp);
		mp->in_header = true;
	}
}

/*
 * part_close - pp ends at *pos (counters *lf, *bare); when its header's
 * empty line was also the delimiter's line break, it ends after that
 * line instead, and *pos and the counters move there so that the parts
 * around it end no earlier
 */
static void
part_close(struct mime_parser *mp, struct part_priv *pp, size_t *pos,
           size_t *lf, size_t *bare)
{
	if (*pos < pp->pub.header_offset) {
		/* A part that starts right after the delimiter's break. */
		*pos = pp->pub.header_offset;
		*lf = pp->header_lf;
		*bare = pp->header_bare;
	}
	if (pp == mp->cur && mp->in_header) {
		/* A header cut short by a delimiter or the end. */
		pp->pub.flags |= MIME_PART_F_HEADER_CUT;
		header_end(mp, *pos, *lf, *bare);
	}
	if (*pos < pp->pub.body_offset) {
		*pos = pp->pub.body_offset;
		*lf = pp->body_lf;
		*bare = pp->body_bare;
	}
	size_set(&pp->pub.body, pp->pub.body_offset, pp->body_lf, pp->body_bare,
	         *pos, *lf, *bare);
}

/* delimiter_match - the boundary the current line delimits, or -1 */
static int
delimiter_match(const struct mime_parser *mp, bool *close_r)
{
	const uint8_t *l = mp->prefix;
	size_t n = mp->prefix_len;
	int k;

	if (n < 3 || l[0] != '-' || l[1] != '-')
		return -1;
	for (k = (int)mp->bound_count - 1; k >= 0; k--) {
		const struct boundary *bd = &mp->bounds[k];
		size_t i = 2 + bd->len;

		if (n < i || memcmp(l + 2, bd->text, bd->len) != 0)
			continue;
		if (n >= i + 2 && l[i] == '-' && l[i + 1] == '-') {
			*close_r = true;
			return k;
		}
		/* Transport padding (RFC 2046 5.1.1), then the line end. */
		while (i < n && (l[i] == ' ' || l[i] == '\t' || l[i] == '\r'))
			i++;
		if (i == n && !mp->tail_nonws) {
			*close_r = false;
			return k;
		}
	}
	return -1;
}

/* delimiter - the current line is a delimiter of bounds[k] */
static void
delimiter(struct mime_parser *mp, int k, bool close)
{
	struct mime_part *multi = mp->bounds[k].part;
	struct part_priv *pp = mp->cur;
	size_t end = mp->line_start, end_lf = mp->line_lf;
	size_t end_bare = mp->line_bare;
	unsigned j;

	/* The line break before the delimiter belongs to it. */
	if (mp->have_break) {
		end = mp->break_pos;
		end_lf = mp->break_lf;
		end_bare = mp->break_bare;
	}
	mp->field_open = false; /* the delimiter line is not a field */
	while (&pp->pub != multi) {
		part_close(mp, pp, &end, &end_lf, &end_bare);
		pp = (struct part_priv *)pp->pub.parent;
	}
	for (j = (unsigned)k + 1; j < mp->bound_count; j++)
		mp->bounds[j].part->flags |= MIME_PART_F_NO_END;
	mp->bound_count = (unsigned)k + 1;
	mp->cur = pp;
	mp->in_header = false;
	if (close) {
		mp->bound_count--; /* the epilogue follows */
		return;
	}
	if (!can_add_part(mp))
		return;
	mp->cur = new_part(mp, pp);
	mp->in_header = true;
}

/* line_begin - a new line starts at pos */
static void
line_begin(struct mime_parser *mp)
{
	mp->at_line_start = false;
	mp->line_start = mp->pos;
	mp->line_lf = mp->lf;
	mp->line_bare = mp->bare;
	mp->line_len = 0;
	mp->prefix_len = 0;
	mp->tail_nonws = false;
}

/* line_add - n more octets of the current line (no LF among them) */
static void
line_add(struct mime_parser *mp, const uint8_t *p, size_t n)
{
	size_t take = MIME_LINE_PREFIX - mp->prefix_len, i;

	if (take > n)
		take = n;
	memcpy(mp->prefix + mp->prefix_len, p, take);
	mp->prefix_len += take;
	/* Only a delimiter candidate needs its tail looked at. */
	if (take < n && mp->bound_count > 0 && mp->prefix[0] == '-' &&
	    mp->prefix[1] == '-' && !mp->tail_nonws) {
		for (i = take; i < n; i++) {
			if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r') {
				mp->tail_nonws = true;
				break;
			}
		}
	}
	if (mp->in_header) {
		if (mp->line_len == 0 && p[0] != ' ' && p[0] != '\t') {
			/* Not a continuation: the last field is complete. */
			field_done(mp);
			buf_reset(&mp->field);
			mp->field_open = true;
			mp->field_cut = false;
		}
		if (mp->field_open) {
			size_t room = buf_room(&mp->field);

			if (n > room)
				mp->field_cut = true;
			buf_append(&mp->field, p, n > room ? room : n);
		}
	}
	mp->line_len += n;
	mp->pos += n;
	mp->prev_cr = p[n - 1] == '\r';
}

/* line_done - the current line is complete (its LF, if any, counted) */
static void
line_done(struct mime_parser *mp)
{
	bool close = false;
	int k = -1;

	if (!mp->saturated && mp->bound_count > 0)
		k = delimiter_match(mp, &close);
	if (k >= 0) {
		delimiter(mp, k, close);
		return;
	}
	if (!mp->in_header)
		return;
	/* Folding: the line's CR is not part of the field's value. */
	if (mp->field_open && mp->field.len > 0 &&
	    mp->field.data[mp->field.len - 1] == '\r' && mp->prev_cr_line)
		buf_truncate(&mp->field, mp->field.len - 1);
	if (mp->line_len == 0 || (mp->line_len == 1 && mp->prefix[0] == '\r')) {
		/* "\r" opened a field of its own; LF alone did not. */
		if (mp->line_len == 0)
			field_done(mp);
		mp->field_open = false;
		header_end(mp, mp->pos, mp->lf, mp->bare);
		body_begin(mp);
	}
}

/* mime_parser_feed - the next chunk */
void
mime_parser_feed(struct mime_parser *mp, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const uint8_t *lf;
		size_t end;
		bool bare;

		if (mp->at_line_start)
			line_begin(mp);
		lf = memchr(p + i, '\n', n - i);
		end = lf != NULL ? (size_t)(lf - p) : n;
		if (end > i)
			line_add(mp, p + i, end - i);
		i = end;
		if (lf == NULL)
			break;
		/* The line break: where it starts, then the LF itself. */
		bare = !mp->prev_cr;
		mp->prev_cr_line = mp->prev_cr;
		mp->next_break_pos = mp->pos - (bare ? 0 : 1);
		mp->next_break_lf = mp->lf;
		mp->next_break_bare = mp->bare;
		mp->pos++;
		mp->lf++;
		if (bare)
			mp->bare++;
		mp->prev_cr = false;
		i++;
		line_done(mp);
		mp->have_break = true;
		mp->break_pos = mp->next_break_pos;
		mp->break_lf = mp->next_break_lf;
		mp->break_bare = mp->next_break_bare;
		mp->at_line_start = true;
	}
}

/* mime_parser_finish - the tree */
struct mime_message *
mime_parser_finish(struct mime_parser **mpp)
{
	struct mime_parser *mp = *mpp;
	struct mime_message *msg = mp->msg;
	struct part_priv *pp;
	unsigned j;

	if (!mp->at_line_start) {
		/*
		 * A last line without LF: it may still be a delimiter. A CR
		 * at its end is no line break (none follows): content.
		 */
		mp->prev_cr_line = false;
		line_done(mp);
	}
	if (mp->in_header)
		field_done(mp);
	for (pp = mp->cur; pp != NULL;
	     pp = (struct part_priv *)pp->pub.parent) {
		size_t pos = mp->pos, lf = mp->lf, bare = mp->bare;

		part_close(mp, pp, &pos, &lf, &bare);
	}
	for (j = 0; j < mp->bound_count; j++)
		mp->bounds[j].part->flags |= MIME_PART_F_NO_END;
	msg->size = mp->pos;
	msg->crlf_size = mp->pos + mp->bare;
	buf_deinit(&mp->field);
	mem_free(mpp);
	return msg;
}

/* mime_parse - the tree of a message in memory */
struct mime_message *
mime_parse(const uint8_t *p, size_t n, unsigned flags)
{
	struct mime_parser *mp = mime_parser_new(flags);

	mime_parser_feed(mp, p, n);
	return mime_parser_finish(&mp);
}

/* mime_message_free - release a tree */
void
mime_message_free(struct mime_message **msg)
{
	if (*msg == NULL)
		return;
	arena_free((*msg)->arena);
	mem_free(&(*msg)->arena);
	mem_free(msg);
}

/* mime_param_get - look up a parameter */
const struct mime_param *
mime_param_get(const struct mime_param *params, size_t count, const char *name)
{
	size_t i;

	/* A plain value first; else the RFC 2231 one. */
	for (i = 0; i < count; i++)
		if (!params[i].extended && strcmp(params[i].name, name) == 0)
			return &params[i];
	for (i = 0; i < count; i++)
		if (strcmp(params[i].name, name) == 0)
			return &params[i];
	return NULL;
}

/* mime_part_is - compare a part's type */
bool
mime_part_is(const struct mime_part *part, const char *type,
             const char *subtype)
{
	return strcmp(part->type, type) == 0 &&
	       strcmp(part->subtype, subtype) == 0;
}
