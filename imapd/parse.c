/*
 * parse.c - the IMAP command tokenizer (see parse.h).
 *
 * imap_parse_limits_default  - default limits
 * imap_parser_new/_free      - a parser per connection
 * imap_parser_feed           - parse what arrived
 * imap_parser_event, imap_parser_command, imap_parser_literal_size,
 * imap_parser_literal_is_sync, imap_parser_literal_take,
 * imap_parser_literal_reject, imap_parser_error,
 * imap_parser_error_is_fatal, imap_parser_error_tag - events and errors
 * imap_arg_next, imap_arg_items, imap_arg_is_atom, imap_arg_astring,
 * imap_arg_string            - walking the arguments
 *
 * SECURITY: the input is the byte stream of an IMAP client, before and
 * after authentication (imapd, mail user). The parser is a byte-wise
 * state machine with no recursion; it never looks back, so any split of
 * the stream gives the same result. Every octet that is not literal data
 * counts against line_max before it is stored; a literal's size is
 * checked against literal_max (kept) or literal_take_max (taken by the
 * caller) before a byte of it is read, and literals_max bounds their
 * number; list nesting is bounded by depth_max. The command's storage
 * (one byte buffer and one argument array) is sized by these limits.
 * RFC 3501 2.2 (commands), 4.3 (literals), 9 (formal syntax: tag, atom,
 * quoted, literal, nil); RFC 7888 (LITERAL+).
 */
#include "imapd/parse.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/checked.h"
#include "lib/log.h"
#include "lib/mem.h"

/* Nesting of "[" inside a FETCH atom ("BODY[...]"). */
#define IMAP_BRACKET_DEPTH_MAX 4
/* Digits of a literal size; 19 keep it below 2^63. */
#define IMAP_LITERAL_DIGITS_MAX 19
/* End of a skipped line kept to find a literal announcement. */
#define IMAP_SKIP_TAIL 24

enum pstate {
	P_START, /* nothing of a command yet */
	P_TAG,
	P_NAME_WAIT, /* after the tag's SP */
	P_NAME,
	P_ARGS, /* between arguments */
	P_ATOM,
	P_BRACKET, /* inside "[...]" of an atom */
	P_QUOTED,
	P_QUOTED_ESC,
	P_LIT_LEN,
	P_LIT_PLUS, /* "{n+" seen, "}" expected */
	P_LIT_CR,   /* "}" seen, CR or LF expected */
	P_LIT_LF,   /* "}" CR seen */
	P_LIT_DATA,
	P_CR,   /* CR at the end of the line */
	P_WAIT, /* IMAP_EVENT_LITERAL: take or reject */
	P_DONE, /* IMAP_EVENT_COMMAND delivered */
	P_SKIP, /* after an error: to the end of the line */
	P_SKIP_LITERAL,
};

struct arg_priv {
	struct imap_arg pub;
	size_t off; /* of the text in data */
};

struct imap_parser {
	struct imap_parse_limits lim;
	enum pstate state;
	enum imap_event event;

	struct buf data; /* tag, name, argument texts, each NUL-ended */
	struct arg_priv *args;
	size_t arg_len, arg_cap, arg_max;
	size_t *stack; /* open lists: their index in args */
	unsigned depth;
	size_t top_count;
	size_t tag_off, name_off;
	bool have_tag, have_name;
	size_t line_octets;
	size_t literal_count;

	/* The token being read. */
	size_t tok_off;
	unsigned bracket_depth;
	bool bracket_quoted, bracket_esc;
	uint64_t lit_size, lit_left;
	unsigned lit_digits;
	bool lit_sync;

	/* Errors and skipping. */
	const char *error;
	bool fatal;
	char error_tag[IMAP_TAG_MAX + 1];
	bool error_has_tag;
	uint8_t tail[IMAP_SKIP_TAIL];
	size_t tail_len;

	struct imap_command cmd;
	struct imap_arg *pub_args; /* what imap_parser_command shows */
	size_t pub_cap;
};

/* imap_parse_limits_default - default limits */
void
imap_parse_limits_default(struct imap_parse_limits *limits)
{
	limits->line_max = IMAP_LINE_MAX;
	limits->literal_max = IMAP_LITERAL_MAX;
	limits->literal_take_max = IMAP_LITERAL_TAKE_MAX;
	limits->literals_max = IMAP_LITERALS_MAX;
	limits->depth_max = IMAP_DEPTH_MAX;
}

/* imap_parser_new - a parser for one connection */
struct imap_parser *
imap_parser_new(const struct imap_parse_limits *limits)
{
	struct imap_parser *p = mem_alloc(sizeof(*p));
	size_t data_max, lit_total;

	p->lim = *limits;
	/*
	 * Storage: every non-literal octet yields at most two (itself and
	 * a NUL), every literal its octets and a NUL.
	 */
	if (!checked_add(p->lim.literal_max, 1, &lit_total) ||
	    !checked_mul(lit_total, p->lim.literals_max, &lit_total) ||
	    !checked_mul(p->lim.line_max, 2, &data_max) ||
	    !checked_add(data_max, lit_total, &data_max) ||
	    !checked_add(data_max, 2 * (IMAP_TAG_MAX + IMAP_NAME_MAX),
	                 &data_max))
		log_panic("imap_parser_new: limits overflow");
	buf_init(&p->data, data_max);
	/* An argument costs at least one octet, a literal none. */
	p->arg_max = p->lim.line_max + p->lim.literals_max + 1;
	p->stack = mem_alloc_array(p->lim.depth_max + 1, sizeof(*p->stack));
	p->state = P_START;
	return p;
}

/* imap_parser_free - release it */
void
imap_parser_free(struct imap_parser **pp)
{
	struct imap_parser *p = *pp;

	if (p == NULL)
		return;
	buf_deinit(&p->data);
	mem_free(&p->args);
	mem_free(&p->stack);
	mem_free(&p->pub_args);
	mem_free(pp);
}

/* command_reset - forget the command; keep (modest) storage */
static void
command_reset(struct imap_parser *p)
{
	if (p->data.cap > 2 * IMAP_LINE_MAX) {
		size_t max = p->data.max;

		buf_deinit(&p->data);
		buf_init(&p->data, max);
	} else {
		buf_reset(&p->data);
	}
	p->arg_len = 0;
	p->depth = 0;
	p->top_count = 0;
	p->have_tag = p->have_name = false;
	p->line_octets = 0;
	p->literal_count = 0;
	p->event = IMAP_EVENT_NONE;
	p->state = P_START;
}

/* fail - an error: remember the tag, then skip (or not) the line */
static int
fail(struct imap_parser *p, const char *text, bool skip)
{
	p->error = text;
	p->fatal = false;
	p->error_has_tag = p->have_tag;
	if (p->have_tag)
		snprintf(p->error_tag, sizeof(p->error_tag), "%s",
		         (const char *)p->data.data + p->tag_off);
	command_reset(p);
	p->tail_len = 0;
	p->state = skip ? P_SKIP : P_START;
	return -1;
}

/* fail_fatal - an error after which the stream is out of step */
static int
fail_fatal(struct imap_parser *p, const char *text)
{
	fail(p, text, false);
	p->fatal = true;
	return -1;
}

/* count_octet - one more non-literal octet; false past line_max */
static bool
count_octet(struct imap_parser *p)
{
	return ++p->line_octets <= p->lim.line_max;
}

/* arg_add - a new argument of type, its text starting now */
static struct arg_priv *
arg_add(struct imap_parser *p, enum imap_arg_type type)
{
	struct arg_priv *a;

	MR_ASSERT(p->arg_len < p->arg_max);
	if (p->arg_len == p->arg_cap) {
		size_t cap;

		if (!checked_grow(p->arg_cap, p->arg_len + 1, p->arg_max, &cap))
			log_panic("imap parser: argument array overflow");
		p->args = mem_realloc_array(p->args, cap, sizeof(*p->args));
		p->arg_cap = cap;
	}
	a = &p->args[p->arg_len++];
	memset(a, 0, sizeof(*a));
	a->pub.type = type;
	a->off = p->data.len;
	if (p->depth > 0)
		p->args[p->stack[p->depth - 1]].pub.list_count++;
	else
		p->top_count++;
	return a;
}

/* text_end - the current argument's text is complete */
static void
text_end(struct imap_parser *p)
{
	struct arg_priv *a = &p->args[p->arg_len - 1];

	a->pub.len = p->data.len - a->off;
	buf_append_byte(&p->data, '\0');
	if (a->pub.type == IMAP_ARG_ATOM && a->pub.len == 3 &&
	    strcasecmp((const char *)p->data.data + a->off, "NIL") == 0)
		a->pub.type = IMAP_ARG_NIL;
}

/* is_atom_char - RFC 3501 ATOM-CHAR, plus "\" (flags), "]" and wildcards */
static bool
is_atom_char(uint8_t c)
{
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '"' &&
	       c != '{';
}

/* is_tag_char - RFC 3501 tag: ASTRING-CHAR except "+" */
static bool
is_tag_char(uint8_t c)
{
	return is_atom_char(c) && c != '+' && c != '*' && c != '%' && c != '\\';
}

/* finish - the line ended: the command is complete */
static int
finish(struct imap_parser *p)
{
	if (!p->have_tag) {
		/* An empty line: nothing to do. */
		command_reset(p);
		return 0;
	}
	if (!p->have_name)
		return fail(p, "Missing command", false);
	if (p->depth > 0)
		return fail(p, "Missing \")\"", false);
	p->state = P_DONE;
	p->event = IMAP_EVENT_COMMAND;
	return 1;
}

/* literal_start - "{n}" CR LF read: decide what happens to the octets */
static int
literal_start(struct imap_parser *p)
{
	struct arg_priv *a;

	if (++p->literal_count > p->lim.literals_max) {
		if (p->lit_sync)
			return fail(p, "Too many literals", false);
		if (p->lit_size > p->lim.literal_take_max)
			return fail_fatal(p, "Too many literals");
		fail(p, "Too many literals", true);
		p->lit_left = p->lit_size;
		p->state = P_SKIP_LITERAL;
		return -1;
	}
	if (p->lit_size > p->lim.literal_max) {
		p->state = P_WAIT;
		p->event = IMAP_EVENT_LITERAL;
		return 1;
	}
	a = arg_add(p, IMAP_ARG_LITERAL);
	(void)a;
	p->lit_left = p->lit_size;
	p->state = P_LIT_DATA;
	if (p->lit_sync) {
		p->event = IMAP_EVENT_CONTINUE;
		return 1;
	}
	if (p->lit_left == 0) {
		text_end(p);
		p->state = P_ARGS;
	}
	return 0;
}

/* skip_line_end - a skipped line ended: a literal may follow it */
static void
skip_line_end(struct imap_parser *p)
{
	size_t n = p->tail_len, i;
	uint64_t size = 0;
	bool plus = false;

	p->state = P_START;
	if (n > 0 && p->tail[n - 1] == '\r')
		n--;
	if (n < 3 || p->tail[n - 1] != '}')
		return;
	n--;
	if (p->tail[n - 1] == '+') {
		plus = true;
		n--;
	}
	for (i = n; i > 0 && p->tail[i - 1] >= '0' && p->tail[i - 1] <= '9';
	     i--)
		;
	if (i == n || i == 0 || p->tail[i - 1] != '{' ||
	    n - i > IMAP_LITERAL_DIGITS_MAX)
		return;
	for (; i < n; i++)
		size = size * 10 + (uint64_t)(p->tail[i] - '0');
	/* A synchronising literal is never sent: the client waits for "+". */
	if (!plus)
		return;
	if (size > p->lim.literal_take_max) {
		fail_fatal(p, "Literal too large");
		return;
	}
	p->lit_left = size;
	p->state = P_SKIP_LITERAL;
}

/* skip_add - remember the end of a skipped line */
static void
skip_add(struct imap_parser *p, const uint8_t *s, size_t n)
{
	if (n >= IMAP_SKIP_TAIL) {
		memcpy(p->tail, s + n - IMAP_SKIP_TAIL, IMAP_SKIP_TAIL);
		p->tail_len = IMAP_SKIP_TAIL;
		return;
	}
	if (p->tail_len + n > IMAP_SKIP_TAIL) {
		size_t drop = p->tail_len + n - IMAP_SKIP_TAIL;

		memmove(p->tail, p->tail + drop, p->tail_len - drop);
		p->tail_len -= drop;
	}
	memcpy(p->tail + p->tail_len, s, n);
	p->tail_len += n;
}

/*
 * step - handle octet c in the current state. Returns 1 (event), 0 (go
 * on), -1 (error); *consumed is false when c must be looked at again.
 */
static int
step(struct imap_parser *p, uint8_t c, bool *consumed)
{
	*consumed = true;
	switch (p->state) {
	case P_START:
		if (c == '\r' || c == '\n') {
			if (!count_octet(p))
				return fail(p, "Line too long", true);
			if (c == '\n')
				command_reset(p);
			return 0;
		}
		p->tag_off = p->data.len;
		p->state = P_TAG;
		*consumed = false;
		return 0;
	case P_TAG:
		if (!count_octet(p))
			return fail(p, "Line too long", true);
		if (c == ' ' || c == '\r' || c == '\n') {
			if (p->data.len == p->tag_off)
				return fail(p, "Missing tag", c != '\n');
			buf_append_byte(&p->data, '\0');
			p->have_tag = true;
			if (c == ' ') {
				p->state = P_NAME_WAIT;
				return 0;
			}
			return fail(p, "Missing command", c != '\n');
		}
		if (!is_tag_char(c))
			return fail(p, "Invalid tag", true);
		if (p->data.len - p->tag_off >= IMAP_TAG_MAX)
			return fail(p, "Tag too long", true);
		buf_append_byte(&p->data, c);
		return 0;
	case P_NAME_WAIT:
		if (c == ' ') {
			if (!count_octet(p))
				return fail(p, "Line too long", true);
			return 0;
		}
		p->name_off = p->data.len;
		p->state = P_NAME;
		*consumed = false;
		return 0;
	case P_NAME:
		if (c == ' ' || c == '\r' || c == '\n') {
			if (p->data.len == p->name_off)
				return fail(p, "Missing command", c != '\n');
			buf_append_byte(&p->data, '\0');
			p->have_name = true;
			p->state = P_ARGS;
			*consumed = false;
			return 0;
		}
		if (!count_octet(p))
			return fail(p, "Line too long", true);
		if (!is_atom_char(c) || c == '[' || c == ']' || c == '\\')
			return fail(p, "Invalid command name", true);
		if (p->data.len - p->name_off >= IMAP_NAME_MAX)
			return fail(p, "Command name too long", true);
		buf_append_byte(&p->data,
		                c >= 'a' && c <= 'z' ? (uint8_t)(c - 32) : c);
		return 0;
	case P_ARGS:
		if (c == '\n')
			return finish(p);
		if (!count_octet(p))
			return fail(p, "Line too long", true);
		switch (c) {
		case ' ':
			return 0;
		case '\r':
			p->state = P_CR;
			return 0;
		case '(': {
			struct arg_priv *a;

			if (p->depth >= p->lim.depth_max)
				return fail(p, "Lists nested too deeply", true);
			a = arg_add(p, IMAP_ARG_LIST);
			buf_append_byte(&p->data, '\0');
			p->stack[p->depth++] = (size_t)(a - p->args);
			return 0;
		}
		case ')': {
			struct arg_priv *a;

			if (p->depth == 0)
				return fail(p, "Unexpected \")\"", true);
			a = &p->args[p->stack[--p->depth]];
			a->pub.list_size =
			    p->arg_len - (size_t)(a - p->args) - 1;
			return 0;
		}
		case '"':
			arg_add(p, IMAP_ARG_QUOTED);
			p->state = P_QUOTED;
			return 0;
		case '{':
			p->lit_size = 0;
			p->lit_digits = 0;
			p->lit_sync = true;
			p->state = P_LIT_LEN;
			return 0;
		}
		if (c >= 0x80)
			return fail(p, "8-bit octet in atom", true);
		if (!is_atom_char(c))
			return fail(p, "Invalid character", true);
		arg_add(p, IMAP_ARG_ATOM);
		buf_append_byte(&p->data, c);
		p->state = c == '[' ? P_BRACKET : P_ATOM;
		p->bracket_depth = c == '[' ? 1 : 0;
		p->bracket_quoted = p->bracket_esc = false;
		return 0;
	case P_ATOM:
		if (!is_atom_char(c) && c < 0x80) {
			text_end(p);
			p->state = P_ARGS;
			*consumed = false;
			return 0;
		}
		if (!count_octet(p))
			return fail(p, "Line too long", true);
		if (c >= 0x80)
			return fail(p, "8-bit octet in atom", true);
		buf_append_byte(&p->data, c);
		if (c == '[') {
			p->state = P_BRACKET;
			p->bracket_depth = 1;
			p->bracket_quoted = p->bracket_esc = false;
		}
		return 0;
	case P_BRACKET:
		if (!count_octet(p))
			return fail(p, "Line too long", true);
		if (c == '\r' || c == '\n' || c == '\0' || c >= 0x80)
			return fail(p, "Missing \"]\"", c != '\n');
		buf_append_byte(&p->data, c);
		if (p->bracket_esc) {
			p->bracket_esc = false;
		} else if (p->bracket_quoted) {
			if (c == '\\')
				p->bracket_esc = true;
			else if (c == '"')
				p->bracket_quoted = false;
		} else if (c == '"') {
			p->bracket_quoted = true;
		} else if (c == '[') {
			if (++p->bracket_depth > IMAP_BRACKET_DEPTH_MAX)
				return fail(p, "Brackets nested too deeply",
				            true);
		} else if (c == ']' && --p->bracket_depth == 0) {
			p->state = P_ATOM;
		}
		return 0;
	case P_QUOTED:
		if (!count_octet(p))
			return fail(p, "Line too long", true);
		if (c == '"') {
			text_end(p);
			p->state = P_ARGS;
		} else if (c == '\\') {
			p->state = P_QUOTED_ESC;
		} else if (c == '\r' || c == '\n' || c == '\0') {
			return fail(p, "Unterminated quoted string", c != '\n');
		} else {
			buf_append_byte(&p->data, c);
		}
		return 0;
	case P_QUOTED_ESC:
		if (!count_octet(p))
			return fail(p, "Line too long", true);
		if (c != '"' && c != '\\')
			return fail(p, "Invalid escape in quoted string",
			            c != '\n');
		buf_append_byte(&p->data, c);
		p->state = P_QUOTED;
		return 0;
	case P_LIT_LEN:
		if (!count_octet(p))
			return fail(p, "Line too long", true);
		if (c >= '0' && c <= '9') {
			if (++p->lit_digits > IMAP_LITERAL_DIGITS_MAX)
				return fail(p, "Literal too large", true);
			p->lit_size = p->lit_size * 10 + (uint64_t)(c - '0');
			return 0;
		}
		if (p->lit_digits == 0)
			return fail(p, "Invalid literal", c != '\n');
		if (c == '+') {
			p->lit_sync = false;
			p->state = P_LIT_PLUS;
			return 0;
		}
		if (c == '}') {
			p->state = P_LIT_CR;
			return 0;
		}
		return fail(p, "Invalid literal", c != '\n');
	case P_LIT_PLUS:
		if (!count_octet(p))
			return fail(p, "Line too long", true);
		if (c != '}')
			return fail(p, "Invalid literal", c != '\n');
		p->state = P_LIT_CR;
		return 0;
	case P_LIT_CR:
	case P_LIT_LF:
		if (!count_octet(p))
			return fail(p, "Line too long", true);
		if (c == '\r' && p->state == P_LIT_CR) {
			p->state = P_LIT_LF;
			return 0;
		}
		if (c != '\n')
			return fail(p, "Literal must end the line", true);
		return literal_start(p);
	case P_CR:
		if (c != '\n')
			return fail(p, "Bare CR in command", true);
		return finish(p);
	case P_SKIP:
		if (c == '\n')
			skip_line_end(p);
		else
			skip_add(p, &c, 1);
		return 0;
	case P_LIT_DATA:
	case P_SKIP_LITERAL:
	case P_WAIT:
	case P_DONE:
		break;
	}
	log_panic("imap parser: octet in state %d", (int)p->state);
}

/* imap_parser_feed - parse what arrived */
int
imap_parser_feed(struct imap_parser *p, const uint8_t *data, size_t n,
                 size_t *used_r)
{
	size_t i = 0;
	int ret = 0;

	if (p->state == P_DONE)
		command_reset(p);
	if (p->state == P_WAIT) {
		/* The caller neither took nor rejected the literal. */
		if (imap_parser_literal_reject(p) < 0) {
			*used_r = 0;
			return -1;
		}
	}
	p->event = IMAP_EVENT_NONE;
	while (i < n) {
		bool consumed;

		if (p->state == P_LIT_DATA) {
			size_t take = n - i;

			if (take > p->lit_left)
				take = (size_t)p->lit_left;
			buf_append(&p->data, data + i, take);
			i += take;
			p->lit_left -= take;
			if (p->lit_left == 0) {
				text_end(p);
				p->state = P_ARGS;
			}
			continue;
		}
		if (p->state == P_SKIP_LITERAL) {
			size_t take = n - i;

			if (take > p->lit_left)
				take = (size_t)p->lit_left;
			i += take;
			p->lit_left -= take;
			if (p->lit_left == 0) {
				p->tail_len = 0;
				p->state = P_SKIP;
			}
			continue;
		}
		if (p->state == P_SKIP) {
			const uint8_t *lf = memchr(data + i, '\n', n - i);
			size_t end = lf != NULL ? (size_t)(lf - data) : n;

			skip_add(p, data + i, end - i);
			i = end;
			if (lf != NULL) {
				i++;
				skip_line_end(p);
				if (p->fatal) {
					*used_r = i;
					return -1;
				}
			}
			continue;
		}
		ret = step(p, data[i], &consumed);
		if (consumed)
			i++;
		if (ret != 0)
			break;
	}
	*used_r = i;
	return ret;
}

/* imap_parser_event - the last event */
enum imap_event
imap_parser_event(const struct imap_parser *p)
{
	return p->event;
}

/* imap_parser_command - the command so far */
const struct imap_command *
imap_parser_command(struct imap_parser *p)
{
	size_t i, count = p->arg_len, top = p->top_count;
	unsigned d;

	if (count > p->pub_cap) {
		p->pub_args =
		    mem_realloc_array(p->pub_args, count, sizeof(*p->pub_args));
		p->pub_cap = count;
	}
	for (i = 0; i < count; i++) {
		p->pub_args[i] = p->args[i].pub;
		p->pub_args[i].str =
		    (const char *)p->data.data + p->args[i].off;
	}
	if (p->state == P_LIT_DATA) {
		/* The literal being read is not shown yet. */
		count--;
		if (p->depth > 0)
			p->pub_args[p->stack[p->depth - 1]].list_count--;
		else
			top--;
	}
	/* Lists still open hold what has been read. */
	for (d = 0; d < p->depth; d++)
		p->pub_args[p->stack[d]].list_size = count - p->stack[d] - 1;
	p->cmd.tag = p->have_tag ? (const char *)p->data.data + p->tag_off : "";
	p->cmd.name =
	    p->have_name ? (const char *)p->data.data + p->name_off : "";
	p->cmd.args = p->pub_args;
	p->cmd.arg_count = top;
	return &p->cmd;
}

/* imap_parser_literal_size - octets of the literal just announced */
uint64_t
imap_parser_literal_size(const struct imap_parser *p)
{
	return p->lit_size;
}

/* imap_parser_literal_is_sync - whether it needs "+" */
bool
imap_parser_literal_is_sync(const struct imap_parser *p)
{
	return p->lit_sync;
}

/* imap_parser_literal_take - the caller consumes the literal itself */
int
imap_parser_literal_take(struct imap_parser *p)
{
	struct arg_priv *a;

	MR_ASSERT(p->state == P_WAIT);
	if (p->lit_size > p->lim.literal_take_max) {
		if (p->lit_sync)
			return fail(p, "Literal too large", false);
		return fail_fatal(p, "Literal too large");
	}
	a = arg_add(p, IMAP_ARG_LITERAL_TAKEN);
	buf_append_byte(&p->data, '\0');
	a->pub.len = (size_t)p->lit_size;
	p->state = P_ARGS;
	return 0;
}

/* imap_parser_literal_reject - refuse the literal and the command */
int
imap_parser_literal_reject(struct imap_parser *p)
{
	bool sync = p->lit_sync;
	uint64_t size = p->lit_size;

	MR_ASSERT(p->state == P_WAIT || p->state == P_LIT_DATA);
	if (sync) {
		command_reset(p);
		return 0;
	}
	if (size > p->lim.literal_take_max)
		return fail_fatal(p, "Literal too large");
	fail(p, "Literal refused", true);
	p->lit_left = size;
	p->state = size > 0 ? P_SKIP_LITERAL : P_SKIP;
	return 0;
}

/* imap_parser_error - the text of the last error */
const char *
imap_parser_error(const struct imap_parser *p)
{
	return p->error != NULL ? p->error : "";
}

/* imap_parser_error_is_fatal - whether the connection must close */
bool
imap_parser_error_is_fatal(const struct imap_parser *p)
{
	return p->fatal;
}

/* imap_parser_error_tag - the failed command's tag, or NULL */
const char *
imap_parser_error_tag(const struct imap_parser *p)
{
	return p->error_has_tag ? p->error_tag : NULL;
}

/* imap_arg_next - the next sibling */
const struct imap_arg *
imap_arg_next(const struct imap_arg *a)
{
	return a + 1 + (a->type == IMAP_ARG_LIST ? a->list_size : 0);
}

/* imap_arg_items - the first item of a list */
const struct imap_arg *
imap_arg_items(const struct imap_arg *a)
{
	MR_ASSERT(a->type == IMAP_ARG_LIST);
	return a + 1;
}

/* imap_arg_is_atom - whether a is the atom word */
bool
imap_arg_is_atom(const struct imap_arg *a, const char *word)
{
	return (a->type == IMAP_ARG_ATOM || a->type == IMAP_ARG_NIL) &&
	       strcasecmp(a->str, word) == 0;
}

/* imap_arg_astring - the text of an astring */
bool
imap_arg_astring(const struct imap_arg *a, const char **s_r, size_t *len_r)
{
	if (a->type == IMAP_ARG_LIST || a->type == IMAP_ARG_LITERAL_TAKEN)
		return false;
	*s_r = a->str;
	*len_r = a->len;
	return true;
}

/* imap_arg_string - the text of a string */
bool
imap_arg_string(const struct imap_arg *a, const char **s_r, size_t *len_r)
{
	if (a->type != IMAP_ARG_QUOTED && a->type != IMAP_ARG_LITERAL)
		return false;
	*s_r = a->str;
	*len_r = a->len;
	return true;
}
