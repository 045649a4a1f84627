/*
 * rfc5322_addr.c - RFC 5322 section 3.4 address lists into addr-specs.
 *
 * rfc5322_addr_list_init, rfc5322_addr_list_parse,
 * rfc5322_addr_list_deinit. The list owns what it returns.
 *
 * Untrusted input: header values of messages handed to `sendmail -t` and
 * its recipient arguments, from the invoking user (no privilege; the
 * process runs as that user). Comments are counted, not recursed into;
 * groups cannot nest (RFC 5322 forbids it; refused). Limits:
 * RFC5322_ADDR_SPEC_MAX octets per address, RFC5322_ADDR_COMMENT_DEPTH_MAX
 * comment nesting, the caller's max_count addresses. Everything is read
 * with explicit lengths; the input need not end in NUL and a NUL inside is
 * a syntax error. The only recursion is one level: a group's members.
 *
 * Structure: a tokenizer (lex_next) that skips CFWS and yields atoms,
 * quoted strings, domain literals and the specials < > : ; @ , . ; a
 * parser that scans one list element ahead to see whether it is a
 * name-addr ("<" comes), a group (":" comes) or a bare addr-spec, then
 * rewinds and parses it. Header semantics and the leniencies are in
 * rfc5322_addr.h.
 */
#include "lib/rfc5322_addr.h"

#include <stdbool.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/checked.h"
#include "lib/log.h"
#include "lib/mem.h"

enum tok_type {
	TOK_END,
	TOK_ATOM,
	TOK_QSTRING,
	TOK_DLITERAL,
	TOK_SPECIAL,
};

struct tok {
	enum tok_type type;
	size_t start; /* offset of the first octet */
	size_t len;   /* octets, quotes or brackets included */
	uint8_t special;
};

struct lexer {
	const uint8_t *p;
	size_t n;
	size_t pos;
	struct rfc5322_addr_error *error;
};

/* is_atext - RFC 5322 3.2.3 atext, plus 8-bit octets (RFC 6532 3.2) */
static bool
is_atext(uint8_t c)
{
	if (c >= 0x80)
		return true;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* is_wsp - white space, CR and LF of folding included */
static bool
is_wsp(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* is_forbidden - NUL, control bytes other than white space, DEL */
static bool
is_forbidden(uint8_t c)
{
	return (c < 0x20 && !is_wsp(c)) || c == 0x7f;
}

/* lex_fail - record a syntax error at offset; returns -1 */
static int
lex_fail(struct lexer *lx, size_t offset, const char *text)
{
	lx->error->kind = RFC5322_ADDR_ERR_SYNTAX;
	lx->error->text = text;
	lx->error->offset = offset;
	return -1;
}

/* lex_skip_cfws - skip white space and (nested) comments */
static int
lex_skip_cfws(struct lexer *lx)
{
	while (lx->pos < lx->n) {
		uint8_t c = lx->p[lx->pos];
		size_t open = lx->pos;
		unsigned depth = 0;

		if (is_wsp(c)) {
			lx->pos++;
			continue;
		}
		if (c != '(')
			return 0;
		do {
			if (lx->pos >= lx->n)
				return lex_fail(lx, open, "unbalanced comment");
			c = lx->p[lx->pos++];
			if (is_forbidden(c))
				return lex_fail(lx, lx->pos - 1,
				                "control character in comment");
			if (c == '\\') {
				if (lx->pos >= lx->n)
					return lex_fail(lx, open,
					                "unbalanced comment");
				if (is_forbidden(lx->p[lx->pos]))
					return lex_fail(
					    lx, lx->pos,
					    "control character in comment");
				lx->pos++;
			} else if (c == '(') {
				if (++depth > RFC5322_ADDR_COMMENT_DEPTH_MAX)
					return lex_fail(lx, lx->pos - 1,
					                "comments nested too "
					                "deeply");
			} else if (c == ')') {
				depth--;
			}
		} while (depth > 0);
	}
	return 0;
}

/* lex_quoted - a quoted string or domain literal ending in close */
static int
lex_quoted(struct lexer *lx, struct tok *t, uint8_t close, bool literal)
{
	size_t start = lx->pos;

	lx->pos++;
	for (;;) {
		uint8_t c;

		if (lx->pos >= lx->n)
			return lex_fail(lx, start,
			                literal ? "unterminated domain literal"
			                        : "unterminated quoted string");
		c = lx->p[lx->pos++];
		if (is_forbidden(c))
			return lex_fail(lx, lx->pos - 1,
			                "control character in quoted text");
		if (c == close)
			break;
		if (literal && c == '[')
			return lex_fail(lx, lx->pos - 1,
			                "\"[\" inside a domain literal");
		if (c == '\\') {
			if (lx->pos >= lx->n || is_forbidden(lx->p[lx->pos]))
				return lex_fail(lx, lx->pos - 1,
				                "bad quoted-pair");
			lx->pos++;
		}
	}
	t->type = literal ? TOK_DLITERAL : TOK_QSTRING;
	t->start = start;
	t->len = lx->pos - start;
	return 0;
}

/* lex_next - the next token after CFWS */
static int
lex_next(struct lexer *lx, struct tok *t)
{
	uint8_t c;

	memset(t, 0, sizeof(*t));
	if (lex_skip_cfws(lx) < 0)
		return -1;
	t->start = lx->pos;
	if (lx->pos >= lx->n) {
		t->type = TOK_END;
		return 0;
	}
	c = lx->p[lx->pos];
	if (c == '"')
		return lex_quoted(lx, t, '"', false);
	if (c == '[')
		return lex_quoted(lx, t, ']', true);
	if (strchr("<>:;@,.", c) != NULL) {
		t->type = TOK_SPECIAL;
		t->special = c;
		t->len = 1;
		lx->pos++;
		return 0;
	}
	if (!is_atext(c)) {
		if (is_forbidden(c))
			return lex_fail(lx, lx->pos, "control character");
		return lex_fail(lx, lx->pos, "unexpected special character");
	}
	while (lx->pos < lx->n && is_atext(lx->p[lx->pos]))
		lx->pos++;
	t->type = TOK_ATOM;
	t->len = lx->pos - t->start;
	return 0;
}

/* is_special - whether t is the special character c */
static bool
is_special(const struct tok *t, uint8_t c)
{
	return t->type == TOK_SPECIAL && t->special == c;
}

/* is_word - RFC 5322 word: atom or quoted string */
static bool
is_word(const struct tok *t)
{
	return t->type == TOK_ATOM || t->type == TOK_QSTRING;
}

/* spec_add - append a token's text (CR and LF dropped) to the addr-spec */
static int
spec_add(struct lexer *lx, struct buf *spec, const struct tok *t)
{
	size_t i;

	for (i = 0; i < t->len; i++) {
		uint8_t c = lx->p[t->start + i];

		if (c == '\r' || c == '\n')
			continue;
		if (!buf_has_room(spec, 1)) {
			lx->error->kind = RFC5322_ADDR_ERR_TOO_LONG;
			lx->error->text = "address too long";
			lx->error->offset = t->start;
			return -1;
		}
		buf_append_byte(spec, c);
	}
	return 0;
}

/*
 * parse_addr_spec - local-part ["@" domain] into spec; leaves *t at the
 * token after it
 */
static int
parse_addr_spec(struct lexer *lx, struct tok *t, struct buf *spec)
{
	if (!is_word(t))
		return lex_fail(lx, t->start, "expected an address");
	for (;;) {
		if (spec_add(lx, spec, t) < 0 || lex_next(lx, t) < 0)
			return -1;
		if (!is_special(t, '.'))
			break;
		if (spec_add(lx, spec, t) < 0 || lex_next(lx, t) < 0)
			return -1;
		if (!is_word(t))
			return lex_fail(lx, t->start,
			                "expected a word after \".\"");
	}
	if (!is_special(t, '@'))
		return 0;
	if (spec_add(lx, spec, t) < 0 || lex_next(lx, t) < 0)
		return -1;
	if (t->type == TOK_DLITERAL) {
		if (spec_add(lx, spec, t) < 0)
			return -1;
		return lex_next(lx, t);
	}
	for (;;) {
		if (t->type != TOK_ATOM)
			return lex_fail(lx, t->start, "expected a domain");
		if (spec_add(lx, spec, t) < 0 || lex_next(lx, t) < 0)
			return -1;
		if (!is_special(t, '.'))
			return 0;
		if (spec_add(lx, spec, t) < 0 || lex_next(lx, t) < 0)
			return -1;
	}
}

/* parse_angle - after "<": [route ":"] addr-spec ">"; *t after ">" */
static int
parse_angle(struct lexer *lx, struct tok *t, struct buf *spec)
{
	if (lex_next(lx, t) < 0)
		return -1;
	if (is_special(t, '>'))
		return lex_fail(lx, t->start, "empty address \"<>\"");
	if (is_special(t, '@')) {
		/* RFC 5322 4.4 obs-route: "@a,@b:" is dropped. */
		while (!is_special(t, ':')) {
			if (t->type == TOK_END || is_special(t, '>'))
				return lex_fail(lx, t->start,
				                "malformed source route");
			if (lex_next(lx, t) < 0)
				return -1;
		}
		if (lex_next(lx, t) < 0)
			return -1;
	}
	if (parse_addr_spec(lx, t, spec) < 0)
		return -1;
	if (!is_special(t, '>'))
		return lex_fail(lx, t->start, "expected \">\"");
	return lex_next(lx, t);
}

/* list_push - take ownership of a new address string */
static int
list_push(struct rfc5322_addr_list *list, struct buf *spec, size_t max_count,
          struct lexer *lx)
{
	if (list->count >= max_count) {
		lx->error->kind = RFC5322_ADDR_ERR_TOO_MANY;
		lx->error->text = "too many addresses";
		lx->error->offset = lx->pos;
		return -1;
	}
	if (list->count == list->cap) {
		size_t cap = 8;

		if (list->cap > 0 && !checked_mul(list->cap, 2, &cap))
			log_panic("rfc5322_addr: list size overflow");
		list->addrs =
		    mem_realloc_array(list->addrs, cap, sizeof(*list->addrs));
		list->cap = cap;
	}
	list->addrs[list->count++] = mem_memdup(spec->data, spec->len);
	buf_reset(spec);
	return 0;
}

/*
 * parse_element - one list element (mailbox or group); *t is its first
 * token and is left at the token after the element
 */
static int
parse_element(struct lexer *lx, struct tok *t, bool in_group,
              struct rfc5322_addr_list *list, size_t max_count,
              struct buf *spec)
{
	size_t start = t->start;

	/* Look ahead: what ends the phrase or addr-spec we are in? */
	while (t->type != TOK_END && !is_special(t, '<') &&
	       !is_special(t, ':') && !is_special(t, ',') &&
	       !is_special(t, ';')) {
		if (is_special(t, '>'))
			return lex_fail(lx, t->start, "unexpected \">\"");
		if (lex_next(lx, t) < 0)
			return -1;
	}
	if (is_special(t, '<')) {
		/* name-addr: the display name before it is not used. */
		if (parse_angle(lx, t, spec) < 0 ||
		    list_push(list, spec, max_count, lx) < 0)
			return -1;
		return 0;
	}
	if (is_special(t, ':')) {
		if (in_group)
			return lex_fail(lx, t->start, "nested group");
		if (lex_next(lx, t) < 0)
			return -1;
		for (;;) {
			if (t->type == TOK_END || is_special(t, ';'))
				break;
			if (is_special(t, ',')) {
				if (lex_next(lx, t) < 0)
					return -1;
				continue;
			}
			if (parse_element(lx, t, true, list, max_count, spec) <
			    0)
				return -1;
			if (!is_special(t, ',') && !is_special(t, ';') &&
			    t->type != TOK_END)
				return lex_fail(lx, t->start,
				                "expected \",\" or \";\"");
		}
		/* Leniency: a group may end with the value, without ";". */
		if (is_special(t, ';') && lex_next(lx, t) < 0)
			return -1;
		return 0;
	}
	/* A bare addr-spec: rewind and parse it for real. */
	lx->pos = start;
	if (lex_next(lx, t) < 0 || parse_addr_spec(lx, t, spec) < 0)
		return -1;
	return list_push(list, spec, max_count, lx);
}

/* rfc5322_addr_list_init - an empty list */
void
rfc5322_addr_list_init(struct rfc5322_addr_list *list)
{
	memset(list, 0, sizeof(*list));
}

/* list_truncate - drop the addresses after the first count */
static void
list_truncate(struct rfc5322_addr_list *list, size_t count)
{
	while (list->count > count)
		mem_free(&list->addrs[--list->count]);
}

/* rfc5322_addr_list_parse - append the addresses of one address-list */
int
rfc5322_addr_list_parse(struct rfc5322_addr_list *list, const uint8_t *p,
                        size_t n, size_t max_count,
                        struct rfc5322_addr_error *error_r)
{
	struct lexer lx = {.p = p, .n = n, .pos = 0, .error = error_r};
	size_t old_count = list->count;
	struct buf spec;
	struct tok t;
	int ret = -1;

	memset(error_r, 0, sizeof(*error_r));
	buf_init(&spec, RFC5322_ADDR_SPEC_MAX);
	if (lex_next(&lx, &t) < 0)
		goto out;
	while (t.type != TOK_END) {
		if (is_special(&t, ',')) {
			/* RFC 5322 4.4 obs-addr-list: empty elements. */
			if (lex_next(&lx, &t) < 0)
				goto out;
			continue;
		}
		if (parse_element(&lx, &t, false, list, max_count, &spec) < 0)
			goto out;
		if (is_special(&t, ';')) {
			lex_fail(&lx, t.start, "\";\" outside a group");
			goto out;
		}
		if (t.type != TOK_END && !is_special(&t, ',')) {
			lex_fail(&lx, t.start, "expected \",\"");
			goto out;
		}
	}
	ret = 0;
out:
	if (ret < 0)
		list_truncate(list, old_count);
	buf_deinit(&spec);
	return ret;
}

/* rfc5322_addr_list_deinit - free everything */
void
rfc5322_addr_list_deinit(struct rfc5322_addr_list *list)
{
	list_truncate(list, 0);
	mem_free(&list->addrs);
	memset(list, 0, sizeof(*list));
}
