/*
 * smtp_reply.h - SMTP replies as the client reads them (RFC 5321 4.2).
 *
 * A reply is one or more lines "CODE-text" ending with "CODE text" (or a
 * bare "CODE"). The client feeds the lines one at a time (without the line
 * end) to smtp_reply_add, which checks each and says when the reply is
 * complete:
 *
 *	struct smtp_reply r;
 *
 *	smtp_reply_init(&r);
 *	while (line available)
 *		switch (smtp_reply_add(&r, line, len, &error)) {
 *		case 1:  use r.code, r.dsn, r.text; smtp_reply_reset(&r)
 *		case 0:  need the next line
 *		case -1: the peer speaks no SMTP: drop the session
 *		}
 *	smtp_reply_deinit(&r);
 *
 * Limits: SMTP_REPLY_LINE_MAX octets per line, SMTP_REPLY_LINES_MAX lines,
 * every line of a reply with the same code. The text kept for logs and
 * bounces is the lines' texts joined by a space, cut at SMTP_REPLY_TEXT_MAX
 * octets, with every byte that is not printable ASCII replaced by '?'
 * (a server's words end up in log files and bounce messages).
 *
 * EHLO: smtp_ehlo_features reads the extension keywords of a 250 reply.
 */
#ifndef MR_SMTP_REPLY_H
#define MR_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest reply line accepted (RFC 5321 4.5.3.1.5 says 512). */
#define SMTP_REPLY_LINE_MAX 2048
/* Most lines in one reply (a long EHLO has about 15). */
#define SMTP_REPLY_LINES_MAX 100
/* Longest reply text kept. */
#define SMTP_REPLY_TEXT_MAX 1000

struct smtp_reply {
	int code;		/* 200..599 once a line was added, else 0 */
	char dsn[10];		/* "5.1.1" from the first line, or "" */
	char text[SMTP_REPLY_TEXT_MAX + 1];	/* "550 5.1.1 <a@b>: unknown" */
	size_t text_len;
	size_t lines;
	/* Each line's text after "CODE-" (EHLO keywords), '\0'-separated. */
	char *line_text;
	size_t line_text_len;
	size_t line_text_cap;
};

/* EHLO extensions (smtp_ehlo_features). */
#define SMTP_EXT_PIPELINING 0x01u
#define SMTP_EXT_SIZE 0x02u
#define SMTP_EXT_8BITMIME 0x04u
#define SMTP_EXT_SMTPUTF8 0x08u
#define SMTP_EXT_DSN 0x10u
#define SMTP_EXT_STARTTLS 0x20u
#define SMTP_EXT_ENHANCEDSTATUSCODES 0x40u
#define SMTP_EXT_CHUNKING 0x80u

/* smtp_reply_init - an empty reply. */
void smtp_reply_init(struct smtp_reply *r);

/* smtp_reply_reset - empty again for the next reply (memory kept). */
void smtp_reply_reset(struct smtp_reply *r);

/* smtp_reply_deinit - release the reply's memory. */
void smtp_reply_deinit(struct smtp_reply *r);

/*
 * smtp_reply_add - one line (without CRLF) of the reply. Returns 1 when
 * the reply is complete, 0 when more lines follow, -1 with *error_r
 * (static) when the line is not a valid reply line: too long, no
 * three-digit code 200..599 (1xx never appears in SMTP replies a client
 * reads; 3xx does), a fourth character other than '-', ' ' or the end, a
 * code that differs from the first line's, or too many lines.
 */
int smtp_reply_add(struct smtp_reply *r, const uint8_t *line, size_t len,
		   const char **error_r);

/*
 * smtp_ehlo_features - the SMTP_EXT_* flags of a complete EHLO reply;
 * *size_r is the SIZE limit (0: none announced or "SIZE" without a
 * number). The first line (the server's name) is not a keyword.
 */
unsigned smtp_ehlo_features(const struct smtp_reply *r, uint64_t *size_r);

#endif
