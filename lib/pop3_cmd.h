/*
 * pop3_cmd.h - POP3 command lines: a line framer and a command parser
 * (RFC 1939, RFC 2449, RFC 5034).
 *
 * Framing: a line ends at LF; a CR right before it is dropped (clients
 * send CR LF; a bare LF is accepted, as Dovecot does: POP3 carries no
 * relayed data, so there is nothing to smuggle). A line longer than the
 * framer's limit is reported once with its first octets and flagged; the
 * framer drops the rest through the next LF by itself, so a peer can never
 * make it buffer more than the limit.
 *
 *	append what was read to in (never more than buf_room(in));
 *	while (pop3_line_next(&fr, in, &line, &len, &flags) == 1) {
 *		if (flags & POP3_LINE_TOO_LONG) -ERR; else
 *		if (pop3_cmd_parse(line, len, &cmd, &err) == 0) run(&cmd);
 *		pop3_line_consume(&fr, in);
 *	}
 *
 * Limits: a command line is at most POP3_CMD_LINE_MAX octets with its
 * CR LF (RFC 2449 4); AUTH lines and SASL responses (RFC 5034 4: the
 * base64 of a PLAIN response with a long password does not fit in 255)
 * may have POP3_SASL_LINE_MAX, which is the framer's limit.
 */
#ifndef MR_POP3_CMD_H
#define MR_POP3_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* RFC 2449 4: a command is at most 255 octets, CR LF included. */
#define POP3_CMD_LINE_MAX 255
/* AUTH and SASL response lines, CR LF included (the framer's limit). */
#define POP3_SASL_LINE_MAX 4096
/* Largest message number or line count accepted. */
#define POP3_NUMBER_MAX UINT32_MAX

/* Flags of a framed line. */
#define POP3_LINE_TOO_LONG 0x1	/* over the limit; only a prefix returned */

struct pop3_line {
	size_t max_line_octets;	/* limit, CR LF included (>= 3) */
	size_t scanned;		/* front octets of in searched in vain */
	size_t pending;		/* octets pop3_line_consume drops */
	bool discarding;	/* dropping an over-long line's rest */
	bool after_too_long;	/* consume must start discarding */
};

/* pop3_line_init - framer for lines of at most max_line_octets (>= 3). */
void pop3_line_init(struct pop3_line *fr, size_t max_line_octets);

/*
 * pop3_line_next - find the next line in in. Returns 1 with *line_r and
 * *len_r the line without its line end and *flags_r POP3_LINE_* flags; 0
 * when more input is needed. With POP3_LINE_TOO_LONG the line is the first
 * max_line_octets - 2 octets and the rest will be dropped. May drop octets
 * from the front of in (the rest of an over-long line). After 1 the caller
 * calls pop3_line_consume before calling again.
 */
int pop3_line_next(struct pop3_line *fr, struct buf *in,
		   const uint8_t **line_r, size_t *len_r, unsigned *flags_r);

/* pop3_line_consume - drop the line last returned from in. */
void pop3_line_consume(struct pop3_line *fr, struct buf *in);

enum pop3_verb {
	POP3_VERB_UNKNOWN,
	POP3_VERB_USER, POP3_VERB_PASS, POP3_VERB_APOP, POP3_VERB_AUTH,
	POP3_VERB_CAPA, POP3_VERB_STLS, POP3_VERB_QUIT, POP3_VERB_STAT,
	POP3_VERB_LIST, POP3_VERB_RETR, POP3_VERB_DELE, POP3_VERB_NOOP,
	POP3_VERB_RSET, POP3_VERB_TOP, POP3_VERB_UIDL,
	POP3_VERB_COUNT
};

/* Most arguments of any command (TOP msg n, AUTH mech initial). */
#define POP3_CMD_ARGS_MAX 2

/* A parsed command; args point into the struct's own storage. */
struct pop3_cmd {
	enum pop3_verb verb;
	unsigned argc;
	const char *args[POP3_CMD_ARGS_MAX];	/* NUL-terminated */
	uint32_t nums[POP3_CMD_ARGS_MAX];	/* numeric arguments */
	char storage[POP3_SASL_LINE_MAX];
};

/* Why a line is not a command. */
enum pop3_cmd_error {
	POP3_CMD_ERR_UNKNOWN,	/* no such command */
	POP3_CMD_ERR_TOO_LONG,	/* over POP3_CMD_LINE_MAX (not AUTH) */
	POP3_CMD_ERR_ARGS,	/* wrong number or form of arguments */
	POP3_CMD_ERR_NUMBER,	/* a message number or count is invalid */
};

/*
 * pop3_cmd_parse - parse one framed line (len octets, no line end) into
 * *cmd. The verb is case-insensitive; arguments are separated by spaces;
 * PASS takes the rest of the line as its one argument (RFC 1939 7: it may
 * contain spaces). Arguments must not hold NUL or control characters.
 * Numeric arguments (LIST, UIDL, RETR, DELE, TOP) are decimal: message
 * numbers 1..POP3_NUMBER_MAX, the TOP line count 0..POP3_NUMBER_MAX.
 * Returns 0, or -1 with *err_r (cmd->verb is then set when the verb was
 * recognised, so the caller can count it).
 */
int pop3_cmd_parse(const uint8_t *line, size_t len, struct pop3_cmd *cmd,
		   enum pop3_cmd_error *err_r);

/* pop3_cmd_verb_name - "USER" etc., "UNKNOWN" for the rest. */
const char *pop3_cmd_verb_name(enum pop3_verb verb);

#endif
