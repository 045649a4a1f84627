/*
 * smtp_reply.c - reading SMTP replies line by line; EHLO keywords.
 *
 * Input: lines from a remote SMTP server, untrusted: every length is
 * checked, the kept text is made printable. No I/O, no allocation beyond
 * the reply's own bounded line store.
 */
#include <string.h>
#include <strings.h>

#include "lib/mem.h"
#include "lib/smtp_reply.h"

/* Most octets of line texts kept for smtp_ehlo_features. */
#define SMTP_REPLY_LINE_TEXT_MAX (SMTP_REPLY_LINES_MAX * 128u)

/* smtp_reply_init - an empty reply */
void
smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof(*r));
}

/* smtp_reply_reset - forget the reply, keep the line store */
void
smtp_reply_reset(struct smtp_reply *r)
{
	r->code = 0;
	r->dsn[0] = '\0';
	r->text[0] = '\0';
	r->text_len = 0;
	r->lines = 0;
	r->line_text_len = 0;
}

/* smtp_reply_deinit - release the line store */
void
smtp_reply_deinit(struct smtp_reply *r)
{
	mem_free(&r->line_text);
	memset(r, 0, sizeof(*r));
}

/* reply_text_append - n octets to the printable text, cut at the max */
static void
reply_text_append(struct smtp_reply *r, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && r->text_len < SMTP_REPLY_TEXT_MAX; i++) {
		uint8_t c = p[i];

		r->text[r->text_len++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	r->text[r->text_len] = '\0';
}

/* reply_line_store - keep a line's text for the EHLO keywords */
static void
reply_line_store(struct smtp_reply *r, const uint8_t *p, size_t n)
{
	size_t need;

	if (n > 127)
		n = 127;	/* no keyword line is longer */
	need = r->line_text_len + n + 1;
	if (need > SMTP_REPLY_LINE_TEXT_MAX)
		return;
	if (need > r->line_text_cap) {
		size_t cap = r->line_text_cap == 0 ? 256 : r->line_text_cap;

		while (cap < need)
			cap *= 2;
		r->line_text = mem_realloc(r->line_text, cap);
		r->line_text_cap = cap;
	}
	memcpy(r->line_text + r->line_text_len, p, n);
	r->line_text[r->line_text_len + n] = '\0';
	r->line_text_len = need;
}

/*
 * reply_dsn - an enhanced status code "c.s.d" at the start of text whose
 * class matches the reply code: copied to r->dsn
 */
static void
reply_dsn(struct smtp_reply *r, const uint8_t *p, size_t n)
{
	size_t i = 0, digits;
	int part;

	if (n < 5 || p[0] != (uint8_t)('0' + r->code / 100) || p[1] != '.')
		return;
	i = 2;
	for (part = 0; part < 2; part++) {
		digits = 0;
		while (i < n && p[i] >= '0' && p[i] <= '9' && digits < 4) {
			i++;
			digits++;
		}
		if (digits == 0 || digits > 3)
			return;
		if (part == 0) {
			if (i >= n || p[i] != '.')
				return;
			i++;
		}
	}
	if (i < n && p[i] != ' ')
		return;
	memcpy(r->dsn, p, i);
	r->dsn[i] = '\0';
}

/* smtp_reply_add - one line of a reply */
int
smtp_reply_add(struct smtp_reply *r, const uint8_t *line, size_t len,
	       const char **error_r)
{
	int code;
	bool last;

	if (len > SMTP_REPLY_LINE_MAX) {
		*error_r = "reply line too long";
		return -1;
	}
	if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
	    line[1] > '9' || line[2] < '0' || line[2] > '9') {
		*error_r = "malformed reply: no reply code";
		return -1;
	}
	if (len > 3 && line[3] != ' ' && line[3] != '-') {
		*error_r = "malformed reply: bad separator after the code";
		return -1;
	}
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->lines > 0 && code != r->code) {
		*error_r = "malformed reply: code changes between lines";
		return -1;
	}
	if (r->lines >= SMTP_REPLY_LINES_MAX) {
		*error_r = "reply has too many lines";
		return -1;
	}
	last = len == 3 || line[3] == ' ';
	if (r->lines == 0) {
		r->code = code;
		reply_text_append(r, line, 3);
		if (len > 4)
			reply_dsn(r, line + 4, len - 4);
	}
	if (len > 4) {
		reply_text_append(r, (const uint8_t *)" ", 1);
		reply_text_append(r, line + 4, len - 4);
		reply_line_store(r, line + 4, len - 4);
	} else {
		reply_line_store(r, (const uint8_t *)"", 0);
	}
	r->lines++;
	return last ? 1 : 0;
}

/* ehlo_keyword - whether word (up to a space or the end) is kw */
static bool
ehlo_keyword(const char *word, const char *kw, const char **arg_r)
{
	size_t n = strlen(kw);

	if (strncasecmp(word, kw, n) != 0 || (word[n] != '\0' && word[n] != ' '))
		return false;
	*arg_r = word[n] == ' ' ? word + n + 1 : word + n;
	return true;
}

/* smtp_ehlo_features - the extensions a 250 EHLO reply announces */
unsigned
smtp_ehlo_features(const struct smtp_reply *r, uint64_t *size_r)
{
	static const struct {
		const char *kw;
		unsigned flag;
	} kws[] = {
		{ "PIPELINING", SMTP_EXT_PIPELINING },
		{ "SIZE", SMTP_EXT_SIZE },
		{ "8BITMIME", SMTP_EXT_8BITMIME },
		{ "SMTPUTF8", SMTP_EXT_SMTPUTF8 },
		{ "DSN", SMTP_EXT_DSN },
		{ "STARTTLS", SMTP_EXT_STARTTLS },
		{ "ENHANCEDSTATUSCODES", SMTP_EXT_ENHANCEDSTATUSCODES },
		{ "CHUNKING", SMTP_EXT_CHUNKING },
	};
	unsigned features = 0;
	size_t off, i;
	bool first = true;

	*size_r = 0;
	if (r->line_text == NULL)
		return 0;
	for (off = 0; off < r->line_text_len;
	     off += strlen(r->line_text + off) + 1) {
		const char *word = r->line_text + off, *arg;

		if (first) {
			first = false;
			continue;
		}
		for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++) {
			if (!ehlo_keyword(word, kws[i].kw, &arg))
				continue;
			features |= kws[i].flag;
			if (kws[i].flag == SMTP_EXT_SIZE) {
				uint64_t v = 0;
				size_t d = 0;

				while (arg[d] >= '0' && arg[d] <= '9' &&
				       d < 19) {
					v = v * 10 + (uint64_t)(arg[d] - '0');
					d++;
				}
				if (d > 0 && (arg[d] == '\0' || arg[d] == ' '))
					*size_r = v;
			}
		}
	}
	return features;
}
