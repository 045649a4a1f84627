/*
 * render.c - IMAP response building blocks (see render.h).
 *
 * imap_render_string, imap_render_text  - strings
 * imap_render_envelope, imap_render_envelope_header - ENVELOPE
 * imap_render_body           - BODY and BODYSTRUCTURE
 * imap_render_internaldate   - INTERNALDATE
 * imap_render_flags          - flag lists
 * imap_render_section_part   - the part a section names
 *
 * Input: lib/mime trees and header values of stored messages (untrusted
 * content, already bounded by lib/mime's limits). Output goes only into
 * the caller's buffer, checked against its maximum before every append.
 * Recursion follows the MIME tree, at most MIME_DEPTH_MAX deep. Cost is
 * linear in the output; the only allocations are the address lists and
 * scratch buffers of one header field. RFC 3501 7.4.2 (ENVELOPE, BODY,
 * BODYSTRUCTURE, INTERNALDATE), 9 (formal syntax), RFC 2231 (parameter
 * values sent encoded).
 */
#include "imapd/render.h"

#include <stdio.h>
#include <string.h>

#include "imapd/parse.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/rfc5322_date.h"
#include "lib/rfc5322_header.h"
#include "lib/rfc5322_mailbox.h"

/* An output with a sticky "full" flag. */
struct w {
	struct buf *out;
	bool full;
};

/* put - append n octets unless the maximum would be passed */
static void
put(struct w *w, const void *p, size_t n)
{
	if (w->full)
		return;
	if (!buf_has_room(w->out, n)) {
		w->full = true;
		return;
	}
	buf_append(w->out, p, n);
}

/* puts_ - append a C string */
static void
put_str(struct w *w, const char *s)
{
	put(w, s, strlen(s));
}

/* is_quotable - printable 7-bit text and HT (RFC 3501 9: QUOTED-CHAR) */
static bool
is_quotable(const uint8_t *p, size_t n)
{
	size_t i;

	if (n > IMAP_RENDER_QUOTED_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] >= 0x7f)
			return false;
	return true;
}

/* string - a string or NIL */
static void
string(struct w *w, const void *vp, size_t n)
{
	const uint8_t *p = vp;
	char head[32];
	size_t i, start;

	if (p == NULL) {
		put_str(w, "NIL");
		return;
	}
	if (is_quotable(p, n)) {
		put(w, "\"", 1);
		for (i = start = 0; i < n; i++) {
			if (p[i] == '"' || p[i] == '\\') {
				put(w, p + start, i - start);
				put(w, "\\", 1);
				start = i;
			}
		}
		put(w, p + start, n - start);
		put(w, "\"", 1);
		return;
	}
	snprintf(head, sizeof(head), "{%zu}\r\n", n);
	put_str(w, head);
	for (i = start = 0; i < n; i++) {
		if (p[i] == '\0') {
			put(w, p + start, i - start);
			put(w, "?", 1);
			start = i + 1;
		}
	}
	put(w, p + start, n - start);
}

/* imap_render_string - a string (quoted or literal) */
int
imap_render_string(struct buf *out, const void *p, size_t n)
{
	struct w w = {.out = out};

	string(&w, p, n);
	return w.full ? -1 : 0;
}

/* imap_render_text - a C string or NIL */
int
imap_render_text(struct buf *out, const char *s)
{
	return imap_render_string(out, s, s != NULL ? strlen(s) : 0);
}

/* text - a header value or NIL */
static void
text(struct w *w, const struct mime_text *t)
{
	string(w, t != NULL ? t->p : NULL, t != NULL ? t->len : 0);
}

/* cstr - a C string or NIL */
static void
cstr(struct w *w, const char *s)
{
	string(w, s, s != NULL ? strlen(s) : 0);
}

/* address_list - an address field: "(" addresses ")" or NIL */
static void
address_list(struct w *w, const struct rfc5322_mailbox_list *list)
{
	size_t i;

	if (list->count == 0) {
		put_str(w, "NIL");
		return;
	}
	put(w, "(", 1);
	for (i = 0; i < list->count; i++) {
		const struct rfc5322_mailbox *m = &list->items[i];

		switch (m->kind) {
		case RFC5322_MAILBOX_GROUP_START:
			put_str(w, "(NIL NIL ");
			cstr(w, m->local);
			put_str(w, " NIL)");
			break;
		case RFC5322_MAILBOX_GROUP_END:
			put_str(w, "(NIL NIL NIL NIL)");
			break;
		case RFC5322_MAILBOX_ADDR:
			put(w, "(", 1);
			cstr(w, m->name);
			put(w, " ", 1);
			cstr(w, m->route);
			put(w, " ", 1);
			cstr(w,
			     m->local != NULL ? m->local : "MISSING_MAILBOX");
			put(w, " ", 1);
			cstr(w,
			     m->domain != NULL ? m->domain : "MISSING_DOMAIN");
			put(w, ")", 1);
			break;
		}
	}
	put(w, ")", 1);
}

/* parse_list - the addresses of a field (none when absent) */
static void
parse_list(struct rfc5322_mailbox_list *list, const struct mime_text *t)
{
	rfc5322_mailbox_list_init(list);
	if (t->p != NULL)
		rfc5322_mailbox_list_parse(list, (const uint8_t *)t->p, t->len,
		                           IMAP_RENDER_ADDRESSES_MAX);
}

/* envelope - the ENVELOPE structure */
static void
envelope(struct w *w, const struct mime_envelope *env)
{
	static const struct mime_envelope none;
	struct rfc5322_mailbox_list from, list;

	if (env == NULL)
		env = &none;
	put(w, "(", 1);
	text(w, &env->date);
	put(w, " ", 1);
	text(w, &env->subject);
	put(w, " ", 1);
	parse_list(&from, &env->from);
	address_list(w, &from);
	/* RFC 3501 7.4.2: Sender and Reply-To default to From. */
	put(w, " ", 1);
	parse_list(&list, &env->sender);
	address_list(w, list.count > 0 ? &list : &from);
	rfc5322_mailbox_list_deinit(&list);
	put(w, " ", 1);
	parse_list(&list, &env->reply_to);
	address_list(w, list.count > 0 ? &list : &from);
	rfc5322_mailbox_list_deinit(&list);
	rfc5322_mailbox_list_deinit(&from);
	put(w, " ", 1);
	parse_list(&list, &env->to);
	address_list(w, &list);
	rfc5322_mailbox_list_deinit(&list);
	put(w, " ", 1);
	parse_list(&list, &env->cc);
	address_list(w, &list);
	rfc5322_mailbox_list_deinit(&list);
	put(w, " ", 1);
	parse_list(&list, &env->bcc);
	address_list(w, &list);
	rfc5322_mailbox_list_deinit(&list);
	put(w, " ", 1);
	text(w, &env->in_reply_to);
	put(w, " ", 1);
	text(w, &env->message_id);
	put(w, ")", 1);
}

/* imap_render_envelope - ENVELOPE from kept fields */
int
imap_render_envelope(struct buf *out, const struct mime_envelope *env)
{
	struct w w = {.out = out};

	envelope(&w, env);
	return w.full ? -1 : 0;
}

/* imap_render_envelope_header - ENVELOPE from a header in memory */
int
imap_render_envelope_header(struct buf *out, const uint8_t *header, size_t n)
{
	static const struct {
		const char *name;
		size_t offset;
	} fields[] = {
	    {"Date", offsetof(struct mime_envelope, date)},
	    {"Subject", offsetof(struct mime_envelope, subject)},
	    {"From", offsetof(struct mime_envelope, from)},
	    {"Sender", offsetof(struct mime_envelope, sender)},
	    {"Reply-To", offsetof(struct mime_envelope, reply_to)},
	    {"To", offsetof(struct mime_envelope, to)},
	    {"Cc", offsetof(struct mime_envelope, cc)},
	    {"Bcc", offsetof(struct mime_envelope, bcc)},
	    {"In-Reply-To", offsetof(struct mime_envelope, in_reply_to)},
	    {"Message-ID", offsetof(struct mime_envelope, message_id)},
	};
	size_t offs[sizeof(fields) / sizeof(fields[0])];
	size_t lens[sizeof(fields) / sizeof(fields[0])];
	struct rfc5322_header_iter it;
	struct rfc5322_header_field f;
	struct mime_envelope env;
	struct buf texts;
	size_t i;
	int ret;

	memset(&env, 0, sizeof(env));
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		offs[i] = (size_t)-1;
	/* Unfolded values are never longer than the header. */
	buf_init(&texts, n + sizeof(fields) / sizeof(fields[0]) + 1);
	rfc5322_header_iter_init(&it, header, n);
	while (rfc5322_header_next(&it, &f) == 1) {
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			if (offs[i] != (size_t)-1 ||
			    !rfc5322_header_name_is(&f, fields[i].name))
				continue;
			offs[i] = texts.len;
			rfc5322_header_unfold(f.value, f.value_len, &texts);
			lens[i] = texts.len - offs[i];
			buf_append_byte(&texts, '\0');
			break;
		}
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		struct mime_text *t;

		if (offs[i] == (size_t)-1)
			continue;
		t = (struct mime_text *)((char *)&env + fields[i].offset);
		t->p = (const char *)texts.data + offs[i];
		t->len = lens[i];
	}
	ret = imap_render_envelope(out, &env);
	buf_deinit(&texts);
	return ret;
}

/* is_attr_char - RFC 2231 attribute-char, sent as it is */
static bool
is_attr_char(uint8_t c)
{
	return c > 0x20 && c < 0x7f &&
	       strchr("*'%()<>@,;:\\\"/[]?=", c) == NULL;
}

/* params - "(" name value ... ")" or NIL; text parts get a charset */
static void
params(struct w *w, const struct mime_param *ps, size_t count, bool add_charset)
{
	size_t i, k;

	if (count == 0 && !add_charset) {
		put_str(w, "NIL");
		return;
	}
	put(w, "(", 1);
	for (i = 0; i < count; i++) {
		const struct mime_param *p = &ps[i];

		if (i > 0)
			put(w, " ", 1);
		if (!p->extended) {
			cstr(w, p->name);
			put(w, " ", 1);
			string(w, p->value, p->value_len);
			continue;
		}
		/* name* "utf-8'lang'%XX": ASCII, whatever the value holds. */
		put(w, "\"", 1);
		put_str(w, p->name);
		put_str(w, "*\" \"utf-8'");
		if (p->language != NULL &&
		    is_quotable((const uint8_t *)p->language,
		                strlen(p->language)))
			for (k = 0; p->language[k] != '\0'; k++)
				if (p->language[k] != '"' &&
				    p->language[k] != '\\')
					put(w, &p->language[k], 1);
		put(w, "'", 1);
		for (k = 0; k < p->value_len; k++) {
			uint8_t c = (uint8_t)p->value[k];
			char hex[4];

			if (is_attr_char(c)) {
				put(w, &c, 1);
				continue;
			}
			snprintf(hex, sizeof(hex), "%%%02X", c);
			put(w, hex, 3);
		}
		put(w, "\"", 1);
	}
	if (add_charset)
		put_str(w, count > 0 ? " \"charset\" \"us-ascii\""
		                     : "\"charset\" \"us-ascii\"");
	put(w, ")", 1);
}

/* disposition - "(" type params ")" or NIL */
static void
disposition(struct w *w, const struct mime_part *part)
{
	if (part->disposition == NULL) {
		put_str(w, "NIL");
		return;
	}
	put(w, "(", 1);
	cstr(w, part->disposition);
	put(w, " ", 1);
	params(w, part->disp_params, part->disp_param_count, false);
	put(w, ")", 1);
}

/* language - NIL, a string, or a list of them */
static void
language(struct w *w, const struct mime_part *part)
{
	size_t i;

	if (part->language_count == 0) {
		put_str(w, "NIL");
		return;
	}
	if (part->language_count == 1) {
		cstr(w, part->languages[0]);
		return;
	}
	put(w, "(", 1);
	for (i = 0; i < part->language_count; i++) {
		if (i > 0)
			put(w, " ", 1);
		cstr(w, part->languages[i]);
	}
	put(w, ")", 1);
}

/* number - a decimal number */
static void
number(struct w *w, size_t v)
{
	char s[32];

	snprintf(s, sizeof(s), "%zu", v);
	put_str(w, s);
}

/* Stand-in for a multipart without parts (the grammar needs one). */
#define EMPTY_PART                                                             \
	"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "              \
	"\"7bit\" 0 0"

static void body(struct w *w, const struct mime_part *part, bool ext);

/* body_multi - body-type-mpart */
static void
body_multi(struct w *w, const struct mime_part *part, bool ext)
{
	const struct mime_part *c;

	put(w, "(", 1);
	if (part->children == NULL)
		put_str(w,
		        ext ? EMPTY_PART " NIL NIL NIL NIL)" : EMPTY_PART ")");
	for (c = part->children; c != NULL; c = c->next)
		body(w, c, ext);
	put(w, " ", 1);
	cstr(w, part->subtype);
	if (ext) {
		put(w, " ", 1);
		params(w, part->params, part->param_count, false);
		put(w, " ", 1);
		disposition(w, part);
		put(w, " ", 1);
		language(w, part);
		put(w, " ", 1);
		text(w, &part->location);
	}
	put(w, ")", 1);
}

/* body - one body structure */
static void
body(struct w *w, const struct mime_part *part, bool ext)
{
	bool is_text = strcmp(part->type, "text") == 0;

	if (strcmp(part->type, "multipart") == 0) {
		body_multi(w, part, ext);
		return;
	}
	put(w, "(", 1);
	cstr(w, part->type);
	put(w, " ", 1);
	cstr(w, part->subtype);
	put(w, " ", 1);
	params(w, part->params, part->param_count,
	       is_text && mime_param_get(part->params, part->param_count,
	                                 "charset") == NULL);
	put(w, " ", 1);
	text(w, &part->id);
	put(w, " ", 1);
	text(w, &part->description);
	put(w, " ", 1);
	cstr(w, part->encoding_name);
	put(w, " ", 1);
	number(w, part->body.crlf_octets);
	if ((part->flags & MIME_PART_F_MESSAGE) && part->children != NULL) {
		put(w, " ", 1);
		envelope(w, part->children->envelope);
		put(w, " ", 1);
		body(w, part->children, ext);
		put(w, " ", 1);
		number(w, part->body.lines);
	} else if (is_text) {
		put(w, " ", 1);
		number(w, part->body.lines);
	}
	if (ext) {
		put(w, " ", 1);
		text(w, &part->md5);
		put(w, " ", 1);
		disposition(w, part);
		put(w, " ", 1);
		language(w, part);
		put(w, " ", 1);
		text(w, &part->location);
	}
	put(w, ")", 1);
}

/* imap_render_body - BODY or BODYSTRUCTURE */
int
imap_render_body(struct buf *out, const struct mime_part *part, bool extended)
{
	struct w w = {.out = out};

	body(&w, part, extended);
	return w.full ? -1 : 0;
}

/* imap_render_internaldate - INTERNALDATE */
int
imap_render_internaldate(struct buf *out, int64_t time, int tz_minutes)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
	                                     "May", "Jun", "Jul", "Aug",
	                                     "Sep", "Oct", "Nov", "Dec"};
	int64_t local = time + (int64_t)tz_minutes * 60, secs;
	int32_t days;
	unsigned month, day,
	    tz = (unsigned)(tz_minutes < 0 ? -tz_minutes : tz_minutes);
	int year;
	char s[64];
	struct w w = {.out = out};

	days = (int32_t)(local >= 0 ? local / 86400 : (local - 86399) / 86400);
	secs = local - (int64_t)days * 86400;
	rfc5322_civil_from_days(days, &year, &month, &day);
	snprintf(s, sizeof(s), "\"%2u-%s-%04d %02d:%02d:%02d %c%02u%02u\"", day,
	         months[month - 1], year, (int)(secs / 3600),
	         (int)(secs / 60 % 60), (int)(secs % 60),
	         tz_minutes < 0 ? '-' : '+', tz / 60 % 100, tz % 60);
	put_str(&w, s);
	return w.full ? -1 : 0;
}

/* imap_render_flags - a flag list */
int
imap_render_flags(struct buf *out, unsigned system, const char *const *keywords,
                  size_t keyword_count)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
	    {IMAP_FLAG_ANSWERED, "\\Answered"},
	    {IMAP_FLAG_FLAGGED, "\\Flagged"},
	    {IMAP_FLAG_DELETED, "\\Deleted"},
	    {IMAP_FLAG_SEEN, "\\Seen"},
	    {IMAP_FLAG_DRAFT, "\\Draft"},
	    {IMAP_FLAG_RECENT, "\\Recent"},
	};
	struct w w = {.out = out};
	bool first = true;
	size_t i;

	put(&w, "(", 1);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(system & names[i].bit))
			continue;
		if (!first)
			put(&w, " ", 1);
		put_str(&w, names[i].name);
		first = false;
	}
	for (i = 0; i < keyword_count; i++) {
		if (!first)
			put(&w, " ", 1);
		put_str(&w, keywords[i]);
		first = false;
	}
	put(&w, ")", 1);
	return w.full ? -1 : 0;
}

/* imap_render_section_part - the part section numbers name */
const struct mime_part *
imap_render_section_part(const struct mime_part *root, const uint32_t *parts,
                         size_t count)
{
	const struct mime_part *cur = root;
	size_t i;

	for (i = 0; i < count; i++) {
		if (parts[i] == 0)
			return NULL;
		if (i > 0 && (cur->flags & MIME_PART_F_MESSAGE) &&
		    cur->children != NULL)
			cur = cur->children; /* into the encapsulated message */
		if (strcmp(cur->type, "multipart") == 0) {
			const struct mime_part *c = cur->children;
			uint32_t k;

			for (k = 1; c != NULL && k < parts[i]; k++)
				c = c->next;
			if (c == NULL)
				return NULL;
			cur = c;
		} else if (parts[i] != 1) {
			return NULL;
		}
	}
	return cur;
}
