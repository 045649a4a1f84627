/*
 * smtp_cmd.h - parse one SMTP command line (RFC 5321 4.1.1, with the
 * ESMTP parameters of RFC 1870, 6152/3030, 6531, 3461 and 4954).
 *
 * Input is one line as the framer (smtp_line.h) delivered it: bytes and a
 * length, without the CRLF. Any length and any octet (NUL included) is
 * safe; the 512-octet limit itself is the framer's job.
 *
 * Ownership: smtp_cmd_parse fills a caller-owned struct smtp_cmd whose
 * strings (and struct addr) are heap copies; release them with
 * smtp_cmd_deinit after every parse, successful or not (after a failure
 * there is nothing to release, but calling it is harmless).
 *
 * Strict and lenient syntax. Without SMTP_CMD_F_STRICT the parser is as
 * lenient as Postfix with strict_rfc821_envelopes = no: runs of spaces or
 * tabs separate words, trailing white space is ignored, "MAIL FROM: <a@b>"
 * (white space after the colon) and addresses without angle brackets
 * ("MAIL FROM:a@b") are accepted. With SMTP_CMD_F_STRICT every separator is
 * exactly one SP, the path must follow the colon directly and must be in
 * angle brackets, and the HELO/EHLO argument must be a valid domain or
 * address literal. Source routes are accepted and dropped in both modes.
 */
#ifndef MR_SMTP_CMD_H
#define MR_SMTP_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

/* Limits. */
#define SMTP_CMD_ENVID_MAX 100 /* RFC 3461 4.4: ENVID value, xtext octets */
#define SMTP_CMD_ORCPT_MAX 500 /* RFC 3461 4.2: ORCPT value, octets */
#define SMTP_CMD_AUTH_PARAM_MAX 500 /* MAIL AUTH= value (RFC 4954 5) */
#define SMTP_CMD_SASL_MECH_MAX 20   /* RFC 4422 3.1: mechanism name */

/* Flags for smtp_cmd_parse. */
#define SMTP_CMD_F_STRICT 0x1 /* strict_rfc821_envelopes = yes */
/*
 * SMTP_CMD_F_UTF8: on MAIL, the server offers SMTPUTF8 (the SMTPUTF8
 * parameter is known, and a non-ASCII reverse-path is accepted when the
 * parameter is present); on RCPT, the transaction's MAIL carried SMTPUTF8
 * (a non-ASCII forward-path is accepted). Also allows UTF-8 in ESMTP
 * parameter values (RFC 6531 3.3).
 */
#define SMTP_CMD_F_UTF8 0x2

enum smtp_verb {
	SMTP_VERB_UNKNOWN = 0,
	SMTP_VERB_HELO,
	SMTP_VERB_EHLO,
	SMTP_VERB_MAIL,
	SMTP_VERB_RCPT,
	SMTP_VERB_DATA,
	SMTP_VERB_BDAT,
	SMTP_VERB_RSET,
	SMTP_VERB_NOOP,
	SMTP_VERB_QUIT,
	SMTP_VERB_VRFY,
	SMTP_VERB_EXPN,
	SMTP_VERB_HELP,
	SMTP_VERB_STARTTLS,
	SMTP_VERB_AUTH,
};

/* Bits of smtp_cmd.params: which ESMTP parameters were given. */
#define SMTP_PARAM_SIZE 0x01
#define SMTP_PARAM_BODY 0x02
#define SMTP_PARAM_SMTPUTF8 0x04
#define SMTP_PARAM_RET 0x08
#define SMTP_PARAM_ENVID 0x10
#define SMTP_PARAM_AUTH 0x20
#define SMTP_PARAM_NOTIFY 0x40
#define SMTP_PARAM_ORCPT 0x80

enum smtp_body {
	SMTP_BODY_NONE = 0, /* no BODY= */
	SMTP_BODY_7BIT,
	SMTP_BODY_8BITMIME,   /* RFC 6152 */
	SMTP_BODY_BINARYMIME, /* RFC 3030: the smtpd must insist on BDAT */
};

enum smtp_ret {
	SMTP_RET_NONE = 0,
	SMTP_RET_FULL,
	SMTP_RET_HDRS,
};

/* Bits of smtp_cmd.notify (RFC 3461 4.1). */
#define SMTP_NOTIFY_NEVER 0x1
#define SMTP_NOTIFY_SUCCESS 0x2
#define SMTP_NOTIFY_FAILURE 0x4
#define SMTP_NOTIFY_DELAY 0x8

struct smtp_cmd {
	enum smtp_verb verb; /* set even when the arguments are bad */
	/*
	 * HELO/EHLO: the name as sent; VRFY/EXPN/HELP/NOOP: the argument or
	 * NULL; AUTH: the mechanism, upper-cased.
	 */
	char *arg;
	bool helo_valid;       /* HELO/EHLO: arg is a domain or literal */
	char *auth_initial;    /* AUTH: initial response (raw) or NULL */
	struct addr path;      /* MAIL: reverse-path; RCPT: forward-path */
	unsigned params;       /* SMTP_PARAM_* given */
	uint64_t size;         /* MAIL SIZE= (RFC 1870) */
	enum smtp_body body;   /* MAIL BODY= */
	enum smtp_ret ret;     /* MAIL RET= */
	char *envid;           /* MAIL ENVID=, xtext-decoded */
	char *auth;            /* MAIL AUTH=, raw xtext (RFC 4954 5) */
	unsigned notify;       /* RCPT NOTIFY=, SMTP_NOTIFY_* */
	char *orcpt_type;      /* RCPT ORCPT= addr-type, lower-cased */
	char *orcpt;           /* ORCPT address: decoded; raw for "utf-8" */
	uint64_t chunk_octets; /* BDAT chunk size */
	bool chunk_last;       /* BDAT ... LAST */
};

/*
 * struct smtp_cmd_error - the reply for a refused command:
 * "<code> <enhanced> <text>". The strings are static.
 */
struct smtp_cmd_error {
	int code;
	const char *enhanced;
	const char *text;
};

/*
 * smtp_cmd_parse - parse the n bytes at line. Returns 0 with *cmd_r
 * filled, or -1 with *error_r filled: 500 5.5.1 for an unknown verb (then
 * cmd_r->verb is SMTP_VERB_UNKNOWN), 501 for bad arguments or a bad
 * parameter value (the address errors of addr.h keep their codes), 555
 * 5.5.4 for an unknown parameter, 552 5.3.4 for a SIZE or BDAT size that
 * does not fit 64 bits, 553 5.6.7 for a non-ASCII address without
 * SMTPUTF8. Either way the caller calls smtp_cmd_deinit afterwards.
 */
int smtp_cmd_parse(const uint8_t *line, size_t n, int flags,
                   struct smtp_cmd *cmd_r, struct smtp_cmd_error *error_r);

/* smtp_cmd_deinit - free what smtp_cmd_parse stored and zero cmd. */
void smtp_cmd_deinit(struct smtp_cmd *cmd);

/* smtp_verb_name - the verb in upper case ("MAIL"), "" for UNKNOWN. */
const char *smtp_verb_name(enum smtp_verb verb);

#endif
