/*
 * rfc5322_mailbox.c - address lists with names and groups, best effort
 * (see rfc5322_mailbox.h).
 *
 * rfc5322_mailbox_list_init   - an empty list
 * rfc5322_mailbox_list_parse  - parse a header value
 * rfc5322_mailbox_list_deinit - release it
 *
 * Untrusted input: address header values of stored messages (imapd's
 * ENVELOPE). A tokenizer skips white space and comments (counted, not
 * recursed into, bounded depth) and yields atoms, quoted strings, domain
 * literals and specials; the parser looks ahead within one list element
 * to see whether it is a name-addr, a group or a bare address, rewinds
 * and builds it. Each element is scanned a bounded number of times, so
 * the cost is linear. Strings go into one buffer (at most three times the
 * input plus a few octets per item) and items into one array.
 */
#include "lib/rfc5322_mailbox.h"

#include <stdbool.h>
#include <string.h>

#include "lib/checked.h"
#include "lib/log.h"
#include "lib/mem.h"

#define NONE ((size_t)-1)

enum tok_type { T_END, T_ATOM, T_QSTRING, T_DLITERAL, T_SPECIAL };

struct tok {
	enum tok_type type;
	size_t start, len; /* quotes and brackets included */
	uint8_t c;         /* T_SPECIAL */
};

struct lex {
	const uint8_t *p;
	size_t n, pos;
	size_t comment_start, comment_len; /* the last comment, inside */
	bool have_comment;
};

/* An item while the strings' buffer may still move. */
struct raw_item {
	enum rfc5322_mailbox_kind kind;
	size_t name, route, local, domain; /* offsets or NONE */
};

struct ctx {
	struct lex lx;
	struct rfc5322_mailbox_list *list;
	struct raw_item *raw;
	size_t count, max_count;
};

/* is_special - RFC 5322 specials that structure an address list */
static bool
is_special(uint8_t c)
{
	return c != 0 && strchr("<>:;@,.", c) != NULL;
}

/* lex_skip - white space, controls and comments */
static void
lex_skip(struct lex *lx)
{
	while (lx->pos < lx->n) {
		uint8_t c = lx->p[lx->pos];
		unsigned depth = 0;
		size_t start;

		if (c <= 0x20 || c == 0x7f) {
			lx->pos++;
			continue;
		}
		if (c != '(')
			return;
		start = lx->pos + 1;
		do {
			c = lx->p[lx->pos++];
			if (c == '\\' && lx->pos < lx->n)
				lx->pos++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			if (depth > RFC5322_MAILBOX_COMMENT_DEPTH_MAX) {
				lx->pos = lx->n;
				return;
			}
		} while (depth > 0 && lx->pos < lx->n);
		lx->have_comment = true;
		lx->comment_start = start;
		lx->comment_len = lx->pos - start - (depth == 0 ? 1 : 0);
	}
}

/* lex_next - the next token */
static void
lex_next(struct lex *lx, struct tok *t)
{
	uint8_t c;

	lex_skip(lx);
	memset(t, 0, sizeof(*t));
	t->start = lx->pos;
	if (lx->pos >= lx->n) {
		t->type = T_END;
		return;
	}
	c = lx->p[lx->pos];
	if (c == '"' || c == '[') {
		uint8_t close = c == '"' ? '"' : ']';

		for (lx->pos++; lx->pos < lx->n && lx->p[lx->pos] != close;
		     lx->pos++)
			if (lx->p[lx->pos] == '\\' && lx->pos + 1 < lx->n)
				lx->pos++;
		if (lx->pos < lx->n)
			lx->pos++;
		t->type = c == '"' ? T_QSTRING : T_DLITERAL;
	} else if (is_special(c)) {
		t->type = T_SPECIAL;
		t->c = c;
		lx->pos++;
	} else {
		while (lx->pos < lx->n && lx->p[lx->pos] > 0x20 &&
		       lx->p[lx->pos] != 0x7f && !is_special(lx->p[lx->pos]) &&
		       lx->p[lx->pos] != '"' && lx->p[lx->pos] != '(' &&
		       lx->p[lx->pos] != '[')
			lx->pos++;
		t->type = T_ATOM;
	}
	t->len = lx->pos - t->start;
}

/* is_sp - whether t is special c */
static bool
is_sp(const struct tok *t, uint8_t c)
{
	return t->type == T_SPECIAL && t->c == c;
}

/* text_open - start a string in the buffer; returns its offset */
static size_t
text_open(struct ctx *cx)
{
	return cx->list->text.len;
}

/* text_close - end a string; NONE when it is empty */
static size_t
text_close(struct ctx *cx, size_t off)
{
	if (cx->list->text.len == off)
		return NONE;
	buf_append_byte(&cx->list->text, '\0');
	return off;
}

/* text_token - a token's text: quoted strings unquoted, CR LF dropped */
static void
text_token(struct ctx *cx, const struct tok *t)
{
	const uint8_t *p = cx->lx.p + t->start;
	size_t i, n = t->len;

	if (t->type == T_QSTRING) {
		p++;
		n = n >= 2 && p[n - 2] == '"' ? n - 2 : n - 1;
	}
	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (t->type == T_QSTRING && c == '\\' && i + 1 < n)
			c = p[++i];
		if (c == '\r' || c == '\n' || c == '\0')
			continue;
		buf_append_byte(&cx->list->text, c);
	}
}

/* text_range - raw octets (a comment), quoted-pairs and CR LF dropped */
static void
text_range(struct ctx *cx, size_t start, size_t n)
{
	const uint8_t *p = cx->lx.p + start;
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c == '\\' && i + 1 < n)
			c = p[++i];
		if (c == '\r' || c == '\n' || c == '\0')
			continue;
		buf_append_byte(&cx->list->text, c);
	}
}

/* item_add - a new item, or NULL past max_count */
static struct raw_item *
item_add(struct ctx *cx, enum rfc5322_mailbox_kind kind)
{
	struct raw_item *r;

	if (cx->count >= cx->max_count)
		return NULL;
	r = &cx->raw[cx->count++];
	r->kind = kind;
	r->name = r->route = r->local = r->domain = NONE;
	return r;
}

/*
 * phrase - the tokens from the current one up to the special stop, one
 * space where the value had white space or a comment between two (so
 * "Joe Q. Public" and "joe@x.com" both come out as written); *t is left
 * at the stop token
 */
static size_t
phrase(struct ctx *cx, struct tok *t, uint8_t stop)
{
	size_t off = text_open(cx), prev_end = 0;
	bool first = true;

	while (t->type != T_END && !is_sp(t, stop)) {
		if (!first && t->start > prev_end)
			buf_append_byte(&cx->list->text, ' ');
		text_token(cx, t);
		first = false;
		prev_end = t->start + t->len;
		lex_next(&cx->lx, t);
	}
	return text_close(cx, off);
}

/*
 * addr_spec - local-part ["@" domain] until a token that ends it (">",
 * ",", ";" or the end); *t is left there
 */
static void
addr_spec(struct ctx *cx, struct tok *t, struct raw_item *r, bool in_angle)
{
	size_t off = text_open(cx);
	bool word_before = false;

	while (t->type != T_END && !is_sp(t, '@') && !is_sp(t, ',') &&
	       !is_sp(t, ';') && !is_sp(t, '>') &&
	       !(in_angle && is_sp(t, '<'))) {
		bool word = t->type != T_SPECIAL;

		/* Words without a dot between: junk; keep them spaced. */
		if (word && word_before)
			buf_append_byte(&cx->list->text, ' ');
		text_token(cx, t);
		word_before = word;
		lex_next(&cx->lx, t);
	}
	r->local = text_close(cx, off);
	if (!is_sp(t, '@'))
		return;
	lex_next(&cx->lx, t);
	off = text_open(cx);
	while (t->type != T_END && !is_sp(t, ',') && !is_sp(t, ';') &&
	       !is_sp(t, '>') && !is_sp(t, '<')) {
		if (t->type != T_SPECIAL || t->c == '.' || t->c == '@')
			text_token(cx, t);
		lex_next(&cx->lx, t);
	}
	r->domain = text_close(cx, off);
}

/* element - one list element starting at token *t */
static void
element(struct ctx *cx, struct tok *t, bool *in_group)
{
	size_t start_pos = t->start;
	struct raw_item *r;
	struct tok look = *t;

	cx->lx.have_comment = false;
	/* Look ahead for what ends the phrase. */
	while (look.type != T_END && !is_sp(&look, '<') && !is_sp(&look, ',') &&
	       !is_sp(&look, ';') && !(is_sp(&look, ':') && !*in_group))
		lex_next(&cx->lx, &look);
	cx->lx.pos = start_pos;
	lex_next(&cx->lx, t);
	if (is_sp(&look, ':')) {
		r = item_add(cx, RFC5322_MAILBOX_GROUP_START);
		if (r == NULL) {
			t->type = T_END;
			return;
		}
		r->local = phrase(cx, t, ':');
		if (r->local == NONE) {
			/* An empty group name: still a group start. */
			r->local = text_open(cx);
			buf_append_byte(&cx->list->text, '\0');
		}
		lex_next(&cx->lx, t); /* the ":" */
		*in_group = true;
		return;
	}
	r = item_add(cx, RFC5322_MAILBOX_ADDR);
	if (r == NULL) {
		t->type = T_END;
		return;
	}
	if (is_sp(&look, '<')) {
		size_t off;

		r->name = phrase(cx, t, '<');
		lex_next(&cx->lx, t); /* the "<" */
		if (is_sp(t, '@')) {
			/* obs-route: "@a,@b:" */
			off = text_open(cx);
			while (t->type != T_END && !is_sp(t, ':') &&
			       !is_sp(t, '>')) {
				text_token(cx, t);
				lex_next(&cx->lx, t);
			}
			r->route = text_close(cx, off);
			if (is_sp(t, ':'))
				lex_next(&cx->lx, t);
		}
		addr_spec(cx, t, r, true);
		/* Skip to the end of the element. */
		while (t->type != T_END && !is_sp(t, ',') && !is_sp(t, ';'))
			lex_next(&cx->lx, t);
		return;
	}
	cx->lx.have_comment = false;
	addr_spec(cx, t, r, false);
	if (cx->lx.have_comment && r->name == NONE) {
		/* "joe@x (Joe Smith)": the comment names the address. */
		size_t off = text_open(cx);

		text_range(cx, cx->lx.comment_start, cx->lx.comment_len);
		r->name = text_close(cx, off);
	}
}

/* rfc5322_mailbox_list_init - an empty list */
void
rfc5322_mailbox_list_init(struct rfc5322_mailbox_list *list)
{
	memset(list, 0, sizeof(*list));
}

/* str_at - offset to pointer */
static const char *
str_at(const struct rfc5322_mailbox_list *list, size_t off)
{
	return off == NONE ? NULL : (const char *)list->text.data + off;
}

/* rfc5322_mailbox_list_parse - parse a header value */
size_t
rfc5322_mailbox_list_parse(struct rfc5322_mailbox_list *list, const uint8_t *p,
                           size_t n, size_t max_count)
{
	struct ctx cx = {.lx = {.p = p, .n = n}, .list = list};
	size_t max_text, i, elem_cap;
	bool in_group = false;
	struct tok t;

	rfc5322_mailbox_list_deinit(list);
	/* Items: at most one per two octets, plus a group end. */
	elem_cap = n / 2 + 2;
	cx.max_count = max_count < elem_cap ? max_count : elem_cap;
	if (!checked_mul(n, 3, &max_text) ||
	    !checked_add(max_text, 8 * (cx.max_count + 1), &max_text))
		log_panic("rfc5322_mailbox: size overflow");
	buf_init(&list->text, max_text);
	cx.raw = mem_alloc_array(cx.max_count + 1, sizeof(*cx.raw));
	lex_next(&cx.lx, &t);
	while (t.type != T_END) {
		if (is_sp(&t, ',')) {
			lex_next(&cx.lx, &t);
			continue;
		}
		if (is_sp(&t, ';')) {
			if (in_group &&
			    item_add(&cx, RFC5322_MAILBOX_GROUP_END) == NULL)
				break;
			in_group = false;
			lex_next(&cx.lx, &t);
			continue;
		}
		if (is_sp(&t, '>') || (is_sp(&t, ':') && in_group)) {
			lex_next(&cx.lx, &t); /* junk */
			continue;
		}
		element(&cx, &t, &in_group);
	}
	/* A group left open is closed (the room was reserved). */
	if (in_group) {
		struct raw_item *r = &cx.raw[cx.count++];

		r->kind = RFC5322_MAILBOX_GROUP_END;
		r->name = r->route = r->local = r->domain = NONE;
	}
	list->items = mem_alloc_array(cx.count + 1, sizeof(*list->items));
	list->cap = cx.count + 1;
	for (i = 0; i < cx.count; i++) {
		list->items[i].kind = cx.raw[i].kind;
		list->items[i].name = str_at(list, cx.raw[i].name);
		list->items[i].route = str_at(list, cx.raw[i].route);
		list->items[i].local = str_at(list, cx.raw[i].local);
		list->items[i].domain = str_at(list, cx.raw[i].domain);
	}
	list->count = cx.count;
	mem_free(&cx.raw);
	return list->count;
}

/* rfc5322_mailbox_list_deinit - release everything */
void
rfc5322_mailbox_list_deinit(struct rfc5322_mailbox_list *list)
{
	mem_free(&list->items);
	buf_deinit(&list->text);
	memset(list, 0, sizeof(*list));
}
