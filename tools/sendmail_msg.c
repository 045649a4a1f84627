/*
 * sendmail_msg.c - the message of the sendmail command, from stdin.
 *
 * sendmail_msg_read, sendmail_msg_deinit.
 *
 * Untrusted input: standard input of the invoking user, read with that
 * user's privileges (none). It becomes the text of an SMTP DATA command,
 * so everything here makes it safe for that: every line ends in CR LF
 * (LF, CR LF and a bare CR all end a line on input, so no bare CR or LF
 * reaches smtpd); no line exceeds SENDMAIL_LINE_MAX octets (RFC 5322
 * 2.1.1): longer ones are split, by folding (CR LF SP) in the header and
 * by a plain CR LF in the body; the whole is at most o->max_octets
 * (message_size_limit) and the header section at most SENDMAIL_HEADER_MAX,
 * both checked before appending. Dot-stuffing happens on the way out
 * (sendmail_smtp.c).
 *
 * The input: a leading "From " line (mbox) is dropped, as Postfix does.
 * The header section is every line up to the first empty line or the
 * first line that is neither a header field (RFC 5322 2.2: name of
 * printable ASCII except ":", then ":"; obsolete white space before the
 * ":" accepted) nor a continuation (starts with SP or HT); an empty line
 * is inserted when a non-header line ends it. Without -i, a line holding
 * only "." ends the input. With -t, To:, Cc: and Bcc: are parsed
 * (lib/rfc5322_addr.c) into m->rcpts and Bcc: fields are removed.
 * From:, Date: and Message-ID: are added when missing (RFC 5322 3.6:
 * Date and From are required; Postfix adds all three to local
 * submissions).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/checked.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "tools/sendmail.h"

/* How much of stdin one read() takes. */
#define MSG_READ_CHUNK (64u * 1024)

/* Header fields we look at. */
enum field_kind {
	FIELD_OTHER,
	FIELD_TO,
	FIELD_CC,
	FIELD_BCC,
	FIELD_FROM,
	FIELD_DATE,
	FIELD_MESSAGE_ID,
};

/* One header field: octets [start, start + len) of reader.raw. */
struct field {
	enum field_kind kind;
	size_t start;
	size_t len;
	size_t name_len; /* octets up to and including ":" */
};

struct reader {
	const struct sendmail_msg_opts *o;
	struct sendmail_msg *m;
	uint8_t line[SENDMAIL_LINE_MAX];
	size_t line_len;
	bool continued;  /* line[] continues a split input line */
	bool pending_cr; /* a CR was read; an LF may follow */
	bool first_line;
	bool skipping; /* inside a leading "From " line */
	bool in_header;
	bool done;      /* "." line seen */
	struct buf raw; /* header fields as read, CR LF line ends */
	struct field *fields;
	size_t field_count;
	size_t field_cap;
	const char *error;
	int exit_code;
	char error_text[256];
};

/* reader_fail - record the first error; returns -1 */
static int
reader_fail(struct reader *r, int exit_code, const char *text)
{
	if (r->exit_code == 0) {
		r->exit_code = exit_code;
		r->error = text;
	}
	return -1;
}

/* reader_too_big - the message passed max_octets */
static int
reader_too_big(struct reader *r)
{
	snprintf(r->error_text, sizeof(r->error_text),
	         "message too big: more than %llu octets "
	         "(message_size_limit)",
	         (unsigned long long)r->o->max_octets);
	return reader_fail(r, EX_DATAERR, r->error_text);
}

/* reader_room - whether n more octets keep the message under its limit */
static bool
reader_room(struct reader *r, size_t n)
{
	size_t total;

	if (!checked_add(r->raw.len, r->m->body.len, &total) ||
	    !checked_add(total, n, &total))
		return false;
	return total <= r->o->max_octets;
}

/* note_8bit - remember whether p holds octets >= 0x80 */
static void
note_8bit(struct reader *r, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && !r->m->has_8bit; i++)
		if (p[i] >= 0x80)
			r->m->has_8bit = true;
}

/* field_kind_of - which field a header line starts, by name */
static enum field_kind
field_kind_of(const uint8_t *name, size_t n)
{
	static const struct {
		const char *name;
		enum field_kind kind;
	} names[] = {
	    {"to", FIELD_TO},     {"cc", FIELD_CC},
	    {"bcc", FIELD_BCC},   {"from", FIELD_FROM},
	    {"date", FIELD_DATE}, {"message-id", FIELD_MESSAGE_ID},
	};
	size_t i, j;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i].name) != n)
			continue;
		for (j = 0; j < n; j++) {
			uint8_t c = name[j];

			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c - 'A' + 'a');
			if (c != (uint8_t)names[i].name[j])
				break;
		}
		if (j == n)
			return names[i].kind;
	}
	return FIELD_OTHER;
}

/*
 * header_name_len - octets of "name [WSP] :" at the start of the line, or 0
 * when the line does not start a header field (RFC 5322 2.2, 4.5)
 */
static size_t
header_name_len(const uint8_t *p, size_t n, size_t *name_only_r)
{
	size_t i = 0, name_end;

	while (i < n && p[i] > 0x20 && p[i] < 0x7f && p[i] != ':')
		i++;
	if (i == 0)
		return 0;
	name_end = i;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i >= n || p[i] != ':')
		return 0;
	*name_only_r = name_end;
	return i + 1;
}

/* header_append - add octets to the current header field */
static int
header_append(struct reader *r, const void *p, size_t n)
{
	size_t need;

	if (!checked_add(n, 2, &need) || !buf_has_room(&r->raw, need)) {
		snprintf(r->error_text, sizeof(r->error_text),
		         "message header too big: more than %u octets",
		         SENDMAIL_HEADER_MAX);
		return reader_fail(r, EX_DATAERR, r->error_text);
	}
	if (!reader_room(r, need))
		return reader_too_big(r);
	buf_append(&r->raw, p, n);
	buf_append(&r->raw, "\r\n", 2);
	note_8bit(r, p, n);
	r->fields[r->field_count - 1].len += need;
	return 0;
}

/* header_start - a new header field begins with this line */
static int
header_start(struct reader *r, const uint8_t *p, size_t n, size_t name_len,
             size_t name_only)
{
	struct field *f;

	if (r->field_count == r->field_cap) {
		size_t cap = 32;

		if (r->field_cap > 0 && !checked_mul(r->field_cap, 2, &cap))
			return reader_fail(r, EX_DATAERR,
			                   "too many header fields");
		r->fields =
		    mem_realloc_array(r->fields, cap, sizeof(*r->fields));
		r->field_cap = cap;
	}
	f = &r->fields[r->field_count++];
	f->kind = field_kind_of(p, name_only);
	f->start = r->raw.len;
	f->len = 0;
	f->name_len = name_len;
	return header_append(r, p, n);
}

/* body_append - add one line to the body */
static int
body_append(struct reader *r, const uint8_t *p, size_t n)
{
	size_t need;

	if (!checked_add(n, 2, &need) || !reader_room(r, need) ||
	    !buf_has_room(&r->m->body, need))
		return reader_too_big(r);
	buf_append(&r->m->body, p, n);
	buf_append(&r->m->body, "\r\n", 2);
	note_8bit(r, p, n);
	return 0;
}

/* reader_piece - one line, or one piece of a split line, without CR LF */
static int
reader_piece(struct reader *r, const uint8_t *p, size_t n, bool continued)
{
	size_t name_len, name_only = 0;

	if (r->first_line && !continued && n >= 5 && memcmp(p, "From ", 5) == 0)
		r->skipping = true;
	r->first_line = false;
	if (r->skipping)
		return 0;
	if (!r->in_header)
		return body_append(r, p, n);
	if (continued) {
		uint8_t folded[SENDMAIL_LINE_MAX];

		/* reader_feed keeps these pieces one octet shorter. */
		MR_ASSERT(n < SENDMAIL_LINE_MAX);
		folded[0] = ' ';
		memcpy(folded + 1, p, n);
		return header_append(r, folded, n + 1);
	}
	if (n == 0) {
		r->in_header = false; /* the empty line: not kept here */
		return 0;
	}
	if ((p[0] == ' ' || p[0] == '\t') && r->field_count > 0)
		return header_append(r, p, n);
	name_len = header_name_len(p, n, &name_only);
	if (name_len > 0)
		return header_start(r, p, n, name_len, name_only);
	r->in_header = false;
	return body_append(r, p, n);
}

/* reader_emit - hand over line[]; line_end: the input line ended there */
static int
reader_emit(struct reader *r, bool line_end)
{
	int ret = 0;

	if (line_end && !r->continued && r->line_len == 1 &&
	    r->line[0] == '.' && r->o->dot_ends) {
		r->done = true;
		return 0;
	}
	ret = reader_piece(r, r->line, r->line_len, r->continued);
	r->line_len = 0;
	r->continued = !line_end;
	if (line_end)
		r->skipping = false;
	return ret;
}

/* reader_feed - split input octets into lines */
static int
reader_feed(struct reader *r, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && !r->done; i++) {
		uint8_t c = p[i];
		size_t limit;

		if (r->pending_cr) {
			r->pending_cr = false;
			if (reader_emit(r, true) < 0)
				return -1;
			if (c == '\n' || r->done)
				continue;
		}
		if (c == '\r') {
			r->pending_cr = true;
			continue;
		}
		if (c == '\n') {
			if (reader_emit(r, true) < 0)
				return -1;
			continue;
		}
		/* A header continuation piece gets a leading SP: keep it
		 * one octet shorter. */
		limit = r->continued && r->in_header ? SENDMAIL_LINE_MAX - 1
		                                     : SENDMAIL_LINE_MAX;
		if (r->line_len >= limit && reader_emit(r, false) < 0)
			return -1;
		r->line[r->line_len++] = c;
	}
	return 0;
}

/* reader_finish - the input ended: the last line, with or without LF */
static int
reader_finish(struct reader *r)
{
	if (r->done)
		return 0;
	if (r->pending_cr || r->line_len > 0 || r->continued)
		return reader_emit(r, true);
	return 0;
}

/* msg_extract - -t: the addresses of one To:, Cc: or Bcc: field */
static int
msg_extract(struct reader *r, const struct field *f)
{
	struct rfc5322_addr_error err;
	const uint8_t *value = r->raw.data + f->start + f->name_len;
	size_t len = f->len - f->name_len;

	if (rfc5322_addr_list_parse(&r->m->rcpts, value, len,
	                            SENDMAIL_RCPT_PARSE_MAX, &err) == 0)
		return 0;
	snprintf(r->error_text, sizeof(r->error_text),
	         "malformed address in %.*s header: %s", (int)(f->name_len - 1),
	         r->raw.data + f->start, err.text);
	return reader_fail(r, EX_DATAERR, r->error_text);
}

/* msg_add_from - From: "Full Name" <addr>, or From: addr */
static void
msg_add_from(struct reader *r, struct buf *h)
{
	const char *name = r->o->full_name;
	const char *s;

	if (name == NULL || name[0] == '\0') {
		buf_printf(h, "From: %s\r\n", r->o->from_addr);
		return;
	}
	/* RFC 5322 3.2.4: a quoted string; '"' and '\' need quoted-pairs.
	 * The caller has refused control characters in the name. */
	buf_append_str(h, "From: \"");
	for (s = name; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_append_byte(h, '\\');
		buf_append_byte(h, (uint8_t)*s);
	}
	buf_printf(h, "\" <%s>\r\n", r->o->from_addr);
	note_8bit(r, (const uint8_t *)name, strlen(name));
}

/* msg_build_header - the final header section of m */
static int
msg_build_header(struct reader *r)
{
	bool has_from = false, has_date = false, has_msgid = false;
	struct buf *h = &r->m->header;
	size_t i, total;

	for (i = 0; i < r->field_count; i++) {
		const struct field *f = &r->fields[i];

		switch (f->kind) {
		case FIELD_TO:
		case FIELD_CC:
		case FIELD_BCC:
			if (r->o->extract && msg_extract(r, f) < 0)
				return -1;
			break;
		case FIELD_FROM:
			has_from = true;
			break;
		case FIELD_DATE:
			has_date = true;
			break;
		case FIELD_MESSAGE_ID:
			has_msgid = true;
			break;
		case FIELD_OTHER:
			break;
		}
		/* Bcc: names recipients the others must not see. */
		if (f->kind == FIELD_BCC && r->o->extract)
			continue;
		buf_append(h, r->raw.data + f->start, f->len);
	}
	if (!has_from)
		msg_add_from(r, h);
	if (!has_date || !has_msgid) {
		struct timeval tv;
		struct tm tm;
		char stamp[64];

		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		if (!has_date && strftime(stamp, sizeof(stamp),
		                          "%a, %d %b %Y %H:%M:%S %z", &tm) > 0)
			buf_printf(h, "Date: %s\r\n", stamp);
		if (!has_msgid &&
		    strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm) > 0)
			buf_printf(h, "Message-ID: <%s.%06ld.%ld@%s>\r\n",
			           stamp, (long)tv.tv_usec, (long)getpid(),
			           r->o->myhostname);
	}
	buf_append(h, "\r\n", 2);
	if (!checked_add(h->len, r->m->body.len, &total) ||
	    total > r->o->max_octets)
		return reader_too_big(r);
	return 0;
}

/* sendmail_msg_read - read and prepare the message */
int
sendmail_msg_read(int fd, const struct sendmail_msg_opts *o,
                  struct sendmail_msg *m, const char **error_r)
{
	static char error_copy[256];
	struct reader r;
	uint8_t chunk[MSG_READ_CHUNK];
	size_t header_max, body_max;
	int ret = 0;

	memset(m, 0, sizeof(*m));
	memset(&r, 0, sizeof(r));
	r.o = o;
	r.m = m;
	r.first_line = true;
	r.in_header = true;
	buf_init(&r.raw, SENDMAIL_HEADER_MAX);
	/* The final header: fields, the added ones, the name (quoted-pairs
	 * can double it) and the hostname. */
	header_max = SENDMAIL_HEADER_MAX + SENDMAIL_ADDED_HEADER_MAX +
	             2 * SENDMAIL_FULL_NAME_MAX + 2 * strlen(o->from_addr) +
	             strlen(o->myhostname);
	buf_init(&m->header, header_max);
	body_max = o->max_octets > SIZE_MAX ? SIZE_MAX : (size_t)o->max_octets;
	buf_init(&m->body, body_max);
	rfc5322_addr_list_init(&m->rcpts);
	while (!r.done) {
		ssize_t got = read(fd, chunk, sizeof(chunk));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(r.error_text, sizeof(r.error_text),
			         "cannot read the message: %s",
			         strerror(errno));
			reader_fail(&r, EX_IOERR, r.error_text);
			break;
		}
		if (got == 0) {
			reader_finish(&r);
			break;
		}
		if (reader_feed(&r, chunk, (size_t)got) < 0)
			break;
	}
	if (r.exit_code == 0)
		msg_build_header(&r);
	if (r.exit_code != 0) {
		snprintf(error_copy, sizeof(error_copy), "%s", r.error);
		*error_r = error_copy;
		ret = r.exit_code;
	}
	buf_deinit(&r.raw);
	mem_free(&r.fields);
	return ret;
}

/* sendmail_msg_deinit - release everything */
void
sendmail_msg_deinit(struct sendmail_msg *m)
{
	buf_deinit(&m->header);
	buf_deinit(&m->body);
	rfc5322_addr_list_deinit(&m->rcpts);
}
