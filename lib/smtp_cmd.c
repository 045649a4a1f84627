/*
 * smtp_cmd.c - SMTP command line parser (see smtp_cmd.h).
 *
 * smtp_cmd_parse  - one de-framed command line to a struct smtp_cmd
 * smtp_cmd_deinit - release what a parse stored
 * smtp_verb_name  - verb to text
 *
 * Ownership: the strings and the struct addr inside struct smtp_cmd are
 * heap copies owned by the caller's struct until smtp_cmd_deinit.
 * SECURITY: every octet comes from an unauthenticated SMTP client; the
 * parser runs in smtpd as the mail user. It never logs (AUTH payloads pass
 * through it) and never reads outside [line, line + n).
 *
 * RFCs: 5321 4.1.1 (commands), 4.1.2 (Mail-parameters, esmtp-param), 4.1.4
 * (syntax leniency is a server's choice), 1870 (SIZE), 6152 (8BITMIME),
 * 3030 (BDAT, BINARYMIME), 6531 (SMTPUTF8, UTF-8 esmtp-value), 3461 4.1-4.4
 * (NOTIFY, ORCPT, RET, ENVID), 4954 4-5 (AUTH command, MAIL AUTH=), 6533
 * (utf-8 ORCPT addr-type, kept raw). Limits: ENVID 100 octets, ORCPT 500,
 * MAIL AUTH= 500, SASL mechanism 20, addresses per addr.h; SIZE and BDAT
 * sizes must fit 64 bits. Each known parameter at most once per command.
 *
 * Reply texts follow Postfix's where Postfix has the same error.
 */
#include "lib/smtp_cmd.h"

#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "lib/parse_num.h"
#include "lib/str.h"
#include "lib/xtext.h"

/* Longest digit string parse_uint_n takes (UINT64_MAX has 20 digits). */
#define SMTP_CMD_DIGITS_MAX 20

/* Verbs, their names and the usage text for a syntax error. */
static const struct smtp_verb_info {
	const char *name;
	enum smtp_verb verb;
	const char *usage;
} smtp_verbs[] = {
    {"HELO", SMTP_VERB_HELO, "Syntax: HELO hostname"},
    {"EHLO", SMTP_VERB_EHLO, "Syntax: EHLO hostname"},
    {"MAIL", SMTP_VERB_MAIL, "Syntax: MAIL FROM:<address>"},
    {"RCPT", SMTP_VERB_RCPT, "Syntax: RCPT TO:<address>"},
    {"DATA", SMTP_VERB_DATA, "Syntax: DATA"},
    {"BDAT", SMTP_VERB_BDAT, "Syntax: BDAT count [LAST]"},
    {"RSET", SMTP_VERB_RSET, "Syntax: RSET"},
    {"NOOP", SMTP_VERB_NOOP, "Syntax: NOOP [text]"},
    {"QUIT", SMTP_VERB_QUIT, "Syntax: QUIT"},
    {"VRFY", SMTP_VERB_VRFY, "Syntax: VRFY address"},
    {"EXPN", SMTP_VERB_EXPN, "Syntax: EXPN list"},
    {"HELP", SMTP_VERB_HELP, "Syntax: HELP [topic]"},
    {"STARTTLS", SMTP_VERB_STARTTLS, "Syntax: STARTTLS"},
    {"AUTH", SMTP_VERB_AUTH, "Syntax: AUTH mechanism [initial-response]"},
};
#define SMTP_VERB_COUNT (sizeof(smtp_verbs) / sizeof(smtp_verbs[0]))

/* Parser state for one line. */
struct smtp_cmd_parser {
	const uint8_t *p;
	size_t n;
	size_t pos;
	int flags;
	const struct smtp_verb_info *info;
	struct smtp_cmd *cmd;
	struct smtp_cmd_error *error_r;
	size_t arg_start; /* where smtp_cmd_rest found the argument */
};

/* smtp_cmd_fail - fill the error and return -1 */
static int
smtp_cmd_fail(struct smtp_cmd_parser *ps, int code, const char *enhanced,
              const char *text)
{
	ps->error_r->code = code;
	ps->error_r->enhanced = enhanced;
	ps->error_r->text = text;
	return -1;
}

/* smtp_cmd_usage - 501 with the verb's usage text */
static int
smtp_cmd_usage(struct smtp_cmd_parser *ps)
{
	return smtp_cmd_fail(ps, 501, "5.5.4", ps->info->usage);
}

/* smtp_cmd_bad_param - 501 for a bad parameter value */
static int
smtp_cmd_bad_param(struct smtp_cmd_parser *ps, const char *text)
{
	return smtp_cmd_fail(ps, 501, "5.5.4", text);
}

/* smtp_cmd_is_strict - strict_rfc821_envelopes */
static bool
smtp_cmd_is_strict(const struct smtp_cmd_parser *ps)
{
	return (ps->flags & SMTP_CMD_F_STRICT) != 0;
}

/* smtp_cmd_is_ws - a word separator in the current mode */
static bool
smtp_cmd_is_ws(const struct smtp_cmd_parser *ps, uint8_t c)
{
	return c == ' ' || (c == '\t' && !smtp_cmd_is_strict(ps));
}

/*
 * smtp_cmd_skip_sep - skip the separator before the next word: exactly one
 * SP in strict mode, a run of SP/HT otherwise. Returns false when there is
 * none.
 */
static bool
smtp_cmd_skip_sep(struct smtp_cmd_parser *ps)
{
	if (ps->pos >= ps->n || !smtp_cmd_is_ws(ps, ps->p[ps->pos]))
		return false;
	ps->pos++;
	if (!smtp_cmd_is_strict(ps))
		while (ps->pos < ps->n && smtp_cmd_is_ws(ps, ps->p[ps->pos]))
			ps->pos++;
	return true;
}

/* smtp_cmd_word_end - end of the word starting at pos */
static size_t
smtp_cmd_word_end(const struct smtp_cmd_parser *ps)
{
	size_t end = ps->pos;

	while (end < ps->n && !smtp_cmd_is_ws(ps, ps->p[end]))
		end++;
	return end;
}

/* smtp_cmd_is_utf8 - all 8-bit octets form well-formed UTF-8 */
static bool
smtp_cmd_is_utf8(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t len = addr_utf8_seq_len(p + i, n - i);

		if (len == 0)
			return false;
		i += len;
	}
	return true;
}

/* smtp_cmd_text - copy of an argument: no controls, well-formed UTF-8 */
static char *
smtp_cmd_text(const struct smtp_cmd_parser *ps, const uint8_t *p, size_t n)
{
	int str_flags = STR_ALLOW_8BIT;

	if (!smtp_cmd_is_strict(ps))
		str_flags |= STR_ALLOW_TAB;
	if (!smtp_cmd_is_utf8(p, n))
		return NULL;
	return str_from_bytes(p, n, str_flags);
}

/* smtp_cmd_digits - whether the n bytes are all decimal digits (n > 0) */
static bool
smtp_cmd_digits(const uint8_t *p, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/*
 * smtp_cmd_number - a decimal count that must fit 64 bits: 0, or -1 with
 * 501 for non-digits and 552 5.3.4 for a value too large (RFC 1870 6).
 */
static int
smtp_cmd_number(struct smtp_cmd_parser *ps, const uint8_t *p, size_t n,
                const char *syntax_text, uint64_t *value_r)
{
	if (!smtp_cmd_digits(p, n))
		return smtp_cmd_bad_param(ps, syntax_text);
	/* Leading zeros do not make a number bigger. */
	while (n > 1 && p[0] == '0') {
		p++;
		n--;
	}
	if (n > SMTP_CMD_DIGITS_MAX ||
	    parse_uint_n((const char *)p, n, 0, UINT64_MAX, value_r) < 0)
		return smtp_cmd_fail(ps, 552, "5.3.4",
		                     "Message size exceeds fixed maximum "
		                     "message size");
	return 0;
}

/* smtp_cmd_value_is - case-insensitive comparison of a value with s */
static bool
smtp_cmd_value_is(const uint8_t *p, size_t n, const char *s)
{
	return strlen(s) == n && strncasecmp((const char *)p, s, n) == 0;
}

/* smtp_cmd_param_size - SIZE=n (RFC 1870) */
static int
smtp_cmd_param_size(struct smtp_cmd_parser *ps, const uint8_t *v, size_t n)
{
	return smtp_cmd_number(ps, v, n, "Bad message size syntax",
	                       &ps->cmd->size);
}

/* smtp_cmd_param_body - BODY=7BIT|8BITMIME|BINARYMIME */
static int
smtp_cmd_param_body(struct smtp_cmd_parser *ps, const uint8_t *v, size_t n)
{
	if (smtp_cmd_value_is(v, n, "7BIT"))
		ps->cmd->body = SMTP_BODY_7BIT;
	else if (smtp_cmd_value_is(v, n, "8BITMIME"))
		ps->cmd->body = SMTP_BODY_8BITMIME;
	else if (smtp_cmd_value_is(v, n, "BINARYMIME"))
		ps->cmd->body = SMTP_BODY_BINARYMIME;
	else
		return smtp_cmd_bad_param(ps, "Bad BODY keyword value");
	return 0;
}

/* smtp_cmd_param_ret - RET=FULL|HDRS (RFC 3461 4.3) */
static int
smtp_cmd_param_ret(struct smtp_cmd_parser *ps, const uint8_t *v, size_t n)
{
	if (smtp_cmd_value_is(v, n, "FULL"))
		ps->cmd->ret = SMTP_RET_FULL;
	else if (smtp_cmd_value_is(v, n, "HDRS"))
		ps->cmd->ret = SMTP_RET_HDRS;
	else
		return smtp_cmd_bad_param(ps, "Bad RET parameter");
	return 0;
}

/*
 * smtp_cmd_xtext_printable - decode xtext into a new string of printable
 * US-ASCII (RFC 3461 4.2 and 4.4: graphic characters and space), or NULL.
 */
static char *
smtp_cmd_xtext_printable(const uint8_t *v, size_t n)
{
	struct buf b;
	char *s = NULL;

	buf_init(&b, n);
	if (xtext_decode(v, n, &b) == 0)
		s = str_from_bytes(b.data != NULL ? b.data : (uint8_t *)"",
		                   b.len, 0);
	buf_deinit(&b);
	return s;
}

/* smtp_cmd_param_envid - ENVID=xtext (RFC 3461 4.4), decoded */
static int
smtp_cmd_param_envid(struct smtp_cmd_parser *ps, const uint8_t *v, size_t n)
{
	if (n > SMTP_CMD_ENVID_MAX)
		return smtp_cmd_bad_param(ps, "ENVID parameter too long");
	ps->cmd->envid = smtp_cmd_xtext_printable(v, n);
	if (ps->cmd->envid == NULL)
		return smtp_cmd_bad_param(ps, "Bad ENVID parameter syntax");
	return 0;
}

/* smtp_cmd_param_auth - AUTH=xtext (RFC 4954 5), kept encoded */
static int
smtp_cmd_param_auth(struct smtp_cmd_parser *ps, const uint8_t *v, size_t n)
{
	if (n > SMTP_CMD_AUTH_PARAM_MAX || !xtext_is_valid(v, n))
		return smtp_cmd_bad_param(ps, "Bad AUTH parameter syntax");
	ps->cmd->auth = mem_memdup(v, n);
	return 0;
}

/* smtp_cmd_param_smtputf8 - SMTPUTF8 (RFC 6531 3.4), no value */
static int
smtp_cmd_param_smtputf8(struct smtp_cmd_parser *ps, const uint8_t *v, size_t n)
{
	(void)ps;
	(void)v;
	(void)n;
	return 0;
}

/* smtp_cmd_param_notify - NOTIFY=NEVER or a list of SUCCESS,FAILURE,DELAY */
static int
smtp_cmd_param_notify(struct smtp_cmd_parser *ps, const uint8_t *v, size_t n)
{
	static const struct {
		const char *name;
		unsigned bit;
	} items[] = {
	    {"NEVER", SMTP_NOTIFY_NEVER},
	    {"SUCCESS", SMTP_NOTIFY_SUCCESS},
	    {"FAILURE", SMTP_NOTIFY_FAILURE},
	    {"DELAY", SMTP_NOTIFY_DELAY},
	};
	size_t start = 0, end, i;
	unsigned bits = 0;

	while (start <= n) {
		unsigned bit = 0;

		for (end = start; end < n && v[end] != ','; end++)
			;
		for (i = 0; i < sizeof(items) / sizeof(items[0]); i++)
			if (smtp_cmd_value_is(v + start, end - start,
			                      items[i].name))
				bit = items[i].bit;
		if (bit == 0 || (bits & bit) != 0)
			return smtp_cmd_bad_param(
			    ps, "Bad NOTIFY parameter syntax");
		bits |= bit;
		start = end + 1;
	}
	/* RFC 3461 4.1: NEVER must appear alone. */
	if ((bits & SMTP_NOTIFY_NEVER) && bits != SMTP_NOTIFY_NEVER)
		return smtp_cmd_bad_param(ps, "Bad NOTIFY parameter syntax");
	ps->cmd->notify = bits;
	return 0;
}

/* smtp_cmd_param_orcpt - ORCPT=addr-type;xtext (RFC 3461 4.2) */
static int
smtp_cmd_param_orcpt(struct smtp_cmd_parser *ps, const uint8_t *v, size_t n)
{
	static const char bad[] = "Bad ORCPT parameter syntax";
	size_t semi, i;

	if (n > SMTP_CMD_ORCPT_MAX)
		return smtp_cmd_bad_param(ps, "ORCPT parameter too long");
	for (semi = 0; semi < n && v[semi] != ';'; semi++)
		;
	if (semi == 0 || semi >= n - 1)
		return smtp_cmd_bad_param(ps, bad);
	/* addr-type = atom; registered names are letters, digits, "-". */
	for (i = 0; i < semi; i++) {
		uint8_t c = v[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return smtp_cmd_bad_param(ps, bad);
	}
	ps->cmd->orcpt_type = str_lower(mem_memdup(v, semi));
	if (strcmp(ps->cmd->orcpt_type, "utf-8") == 0) {
		/*
		 * RFC 6533 utf-8-addr-xtext / unitext: kept as sent; the
		 * value was already checked for controls and UTF-8 form.
		 */
		ps->cmd->orcpt = mem_memdup(v + semi + 1, n - semi - 1);
		return 0;
	}
	ps->cmd->orcpt = smtp_cmd_xtext_printable(v + semi + 1, n - semi - 1);
	if (ps->cmd->orcpt == NULL)
		return smtp_cmd_bad_param(ps, bad);
	return 0;
}

/* ESMTP parameters: name, bit, the verbs that take it, value handler. */
typedef int smtp_cmd_param_fn(struct smtp_cmd_parser *, const uint8_t *,
                              size_t);
static const struct smtp_cmd_param_info {
	const char *name;
	unsigned bit;
	enum smtp_verb verb;
	bool has_value;
	smtp_cmd_param_fn *fn;
} smtp_cmd_params[] = {
    {"SIZE", SMTP_PARAM_SIZE, SMTP_VERB_MAIL, true, smtp_cmd_param_size},
    {"BODY", SMTP_PARAM_BODY, SMTP_VERB_MAIL, true, smtp_cmd_param_body},
    {"SMTPUTF8", SMTP_PARAM_SMTPUTF8, SMTP_VERB_MAIL, false,
     smtp_cmd_param_smtputf8},
    {"RET", SMTP_PARAM_RET, SMTP_VERB_MAIL, true, smtp_cmd_param_ret},
    {"ENVID", SMTP_PARAM_ENVID, SMTP_VERB_MAIL, true, smtp_cmd_param_envid},
    {"AUTH", SMTP_PARAM_AUTH, SMTP_VERB_MAIL, true, smtp_cmd_param_auth},
    {"NOTIFY", SMTP_PARAM_NOTIFY, SMTP_VERB_RCPT, true, smtp_cmd_param_notify},
    {"ORCPT", SMTP_PARAM_ORCPT, SMTP_VERB_RCPT, true, smtp_cmd_param_orcpt},
};

/* smtp_cmd_is_keyword - esmtp-keyword = (ALPHA / DIGIT) *(ALPHA/DIGIT/"-") */
static bool
smtp_cmd_is_keyword(const uint8_t *p, size_t n)
{
	size_t i;

	if (n == 0 || p[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

/*
 * smtp_cmd_is_value - esmtp-value = 1*(%d33-60 / %d62-126), plus
 * UTF8-non-ascii with SMTPUTF8 (RFC 6531 3.3)
 */
static bool
smtp_cmd_is_value(const struct smtp_cmd_parser *ps, const uint8_t *p, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return false;
	while (i < n) {
		uint8_t c = p[i];

		if (c >= 0x80) {
			size_t len = addr_utf8_seq_len(p + i, n - i);

			if (len == 0 || !(ps->flags & SMTP_CMD_F_UTF8))
				return false;
			i += len;
			continue;
		}
		if (c < 33 || c > 126 || c == '=')
			return false;
		i++;
	}
	return true;
}

/* smtp_cmd_param - one esmtp-param of MAIL or RCPT */
static int
smtp_cmd_param(struct smtp_cmd_parser *ps, const uint8_t *p, size_t n)
{
	const struct smtp_cmd_param_info *info = NULL;
	size_t key_len, i;
	const uint8_t *value = NULL;
	size_t value_len = 0;

	for (key_len = 0; key_len < n && p[key_len] != '='; key_len++)
		;
	if (key_len < n) {
		value = p + key_len + 1;
		value_len = n - key_len - 1;
	}
	if (!smtp_cmd_is_keyword(p, key_len) ||
	    (value != NULL && !smtp_cmd_is_value(ps, value, value_len)))
		return smtp_cmd_bad_param(ps, "Bad parameter syntax");
	for (i = 0; i < sizeof(smtp_cmd_params) / sizeof(smtp_cmd_params[0]);
	     i++)
		if (smtp_cmd_params[i].verb == ps->cmd->verb &&
		    smtp_cmd_value_is(p, key_len, smtp_cmd_params[i].name))
			info = &smtp_cmd_params[i];
	/* SMTPUTF8 is a parameter only where the server offers it. */
	if (info != NULL && info->bit == SMTP_PARAM_SMTPUTF8 &&
	    !(ps->flags & SMTP_CMD_F_UTF8))
		info = NULL;
	if (info == NULL)
		return smtp_cmd_fail(ps, 555, "5.5.4", "Unsupported option");
	if (ps->cmd->params & info->bit)
		return smtp_cmd_bad_param(ps, "Duplicate parameter");
	if ((value != NULL) != info->has_value)
		return smtp_cmd_bad_param(ps, "Bad parameter syntax");
	ps->cmd->params |= info->bit;
	return info->fn(ps, value, value_len);
}

/* smtp_cmd_path - MAIL FROM: / RCPT TO: with address and parameters */
static int
smtp_cmd_path(struct smtp_cmd_parser *ps, const char *prefix)
{
	struct smtp_cmd *cmd = ps->cmd;
	size_t prefix_len = strlen(prefix), used = 0;
	struct addr_error aerr;
	int aflags = 0, ret;

	if (!smtp_cmd_skip_sep(ps) || ps->n - ps->pos < prefix_len ||
	    strncasecmp((const char *)ps->p + ps->pos, prefix, prefix_len) != 0)
		return smtp_cmd_usage(ps);
	ps->pos += prefix_len;
	if (!smtp_cmd_is_strict(ps))
		while (ps->pos < ps->n && smtp_cmd_is_ws(ps, ps->p[ps->pos]))
			ps->pos++;
	if (ps->pos >= ps->n)
		return smtp_cmd_usage(ps);
	if (cmd->verb == SMTP_VERB_MAIL)
		aflags |= ADDR_F_SENDER | ADDR_F_NULL_OK;
	else
		aflags |= ADDR_F_POSTMASTER;
	if (ps->flags & SMTP_CMD_F_UTF8)
		aflags |= ADDR_F_UTF8;
	if (ps->p[ps->pos] == '<' || smtp_cmd_is_strict(ps))
		ret = addr_parse_path(ps->p + ps->pos, ps->n - ps->pos, aflags,
		                      &used, &cmd->path, &aerr);
	else
		ret = addr_parse_bare(ps->p + ps->pos, ps->n - ps->pos, aflags,
		                      &used, &cmd->path, &aerr);
	if (ret < 0)
		return smtp_cmd_fail(ps, aerr.code, aerr.enhanced, aerr.text);
	ps->pos += used;
	if (ps->pos < ps->n && !smtp_cmd_is_ws(ps, ps->p[ps->pos]))
		return smtp_cmd_fail(
		    ps, 501, cmd->verb == SMTP_VERB_MAIL ? "5.1.7" : "5.1.3",
		    cmd->verb == SMTP_VERB_MAIL
		        ? "Bad sender address syntax"
		        : "Bad recipient address syntax");
	while (ps->pos < ps->n) {
		size_t end;

		if (!smtp_cmd_skip_sep(ps) || ps->pos >= ps->n)
			return smtp_cmd_usage(ps); /* strict: "x  y", "x " */
		end = smtp_cmd_word_end(ps);
		if (smtp_cmd_param(ps, ps->p + ps->pos, end - ps->pos) < 0)
			return -1;
		ps->pos = end;
	}
	/* RFC 6531 3.4: a non-ASCII reverse-path needs the parameter. */
	if (cmd->verb == SMTP_VERB_MAIL && addr_has_8bit(&cmd->path) &&
	    !(cmd->params & SMTP_PARAM_SMTPUTF8))
		return smtp_cmd_fail(ps, 553, "5.6.7",
		                     "Non-ASCII address without SMTPUTF8");
	return 0;
}

/* smtp_cmd_rest - the rest of the line after one separator, as text */
static int
smtp_cmd_rest(struct smtp_cmd_parser *ps, bool required)
{
	if (ps->pos >= ps->n)
		return required ? smtp_cmd_usage(ps) : 0;
	if (!smtp_cmd_skip_sep(ps) || ps->pos >= ps->n)
		return smtp_cmd_usage(ps);
	ps->arg_start = ps->pos;
	ps->cmd->arg = smtp_cmd_text(ps, ps->p + ps->pos, ps->n - ps->pos);
	if (ps->cmd->arg == NULL)
		return smtp_cmd_usage(ps);
	ps->pos = ps->n;
	return 0;
}

/* smtp_cmd_helo - HELO/EHLO name */
static int
smtp_cmd_helo(struct smtp_cmd_parser *ps)
{
	int aflags = 0;

	if (smtp_cmd_rest(ps, true) < 0)
		return -1;
	if (ps->flags & SMTP_CMD_F_STRICT)
		aflags |= ADDR_F_STRICT;
	if (ps->flags & SMTP_CMD_F_UTF8)
		aflags |= ADDR_F_UTF8;
	ps->cmd->helo_valid = addr_is_valid_domain(
	    ps->p + ps->arg_start, ps->n - ps->arg_start, aflags);
	if (smtp_cmd_is_strict(ps) && !ps->cmd->helo_valid)
		return smtp_cmd_fail(ps, 501, "5.5.2",
		                     "Invalid name in HELO/EHLO");
	return 0;
}

/* smtp_cmd_bdat - BDAT chunk-size [LAST] (RFC 3030 2) */
static int
smtp_cmd_bdat(struct smtp_cmd_parser *ps)
{
	size_t end;

	if (!smtp_cmd_skip_sep(ps) || ps->pos >= ps->n)
		return smtp_cmd_usage(ps);
	end = smtp_cmd_word_end(ps);
	if (!smtp_cmd_digits(ps->p + ps->pos, end - ps->pos))
		return smtp_cmd_usage(ps);
	if (smtp_cmd_number(ps, ps->p + ps->pos, end - ps->pos, ps->info->usage,
	                    &ps->cmd->chunk_octets) < 0)
		return -1;
	ps->pos = end;
	if (ps->pos == ps->n)
		return 0;
	if (!smtp_cmd_skip_sep(ps))
		return smtp_cmd_usage(ps);
	end = smtp_cmd_word_end(ps);
	if (end != ps->n ||
	    !smtp_cmd_value_is(ps->p + ps->pos, end - ps->pos, "LAST"))
		return smtp_cmd_usage(ps);
	ps->cmd->chunk_last = true;
	ps->pos = end;
	return 0;
}

/* smtp_cmd_is_base64 - base64 text with optional padding, or "=" */
static bool
smtp_cmd_is_base64(const uint8_t *p, size_t n)
{
	size_t i, pad = 0;

	if (n == 1 && p[0] == '=')
		return true; /* RFC 4954 4: empty initial response */
	if (n == 0 || n % 4 != 0)
		return false;
	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return false;
	}
	return pad <= 2;
}

/* smtp_cmd_auth - AUTH mechanism [initial-response] (RFC 4954 4) */
static int
smtp_cmd_auth(struct smtp_cmd_parser *ps)
{
	size_t end, i;

	if (!smtp_cmd_skip_sep(ps) || ps->pos >= ps->n)
		return smtp_cmd_usage(ps);
	end = smtp_cmd_word_end(ps);
	if (end - ps->pos > SMTP_CMD_SASL_MECH_MAX)
		return smtp_cmd_usage(ps);
	/* RFC 4422 3.1: sasl-mech = 1*20(UPPER-ALPHA / DIGIT / "-" / "_") */
	for (i = ps->pos; i < end; i++) {
		uint8_t c = ps->p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return smtp_cmd_usage(ps);
	}
	ps->cmd->arg = mem_memdup(ps->p + ps->pos, end - ps->pos);
	for (i = 0; ps->cmd->arg[i]; i++)
		if (ps->cmd->arg[i] >= 'a' && ps->cmd->arg[i] <= 'z')
			ps->cmd->arg[i] = (char)(ps->cmd->arg[i] - 'a' + 'A');
	ps->pos = end;
	if (ps->pos == ps->n)
		return 0;
	if (!smtp_cmd_skip_sep(ps))
		return smtp_cmd_usage(ps);
	end = smtp_cmd_word_end(ps);
	if (end != ps->n || !smtp_cmd_is_base64(ps->p + ps->pos, end - ps->pos))
		return smtp_cmd_usage(ps);
	ps->cmd->auth_initial = mem_memdup(ps->p + ps->pos, end - ps->pos);
	ps->pos = end;
	return 0;
}

/* smtp_cmd_verb - look up the verb word at the start of the line */
static const struct smtp_verb_info *
smtp_cmd_verb(struct smtp_cmd_parser *ps)
{
	size_t end = smtp_cmd_word_end(ps), i;

	for (i = 0; i < SMTP_VERB_COUNT; i++)
		if (smtp_cmd_value_is(ps->p, end, smtp_verbs[i].name)) {
			ps->pos = end;
			return &smtp_verbs[i];
		}
	return NULL;
}

/* smtp_cmd_parse - parse one command line */
int
smtp_cmd_parse(const uint8_t *line, size_t n, int flags, struct smtp_cmd *cmd_r,
               struct smtp_cmd_error *error_r)
{
	struct smtp_cmd_parser ps;
	size_t i;
	int ret;

	memset(cmd_r, 0, sizeof(*cmd_r));
	memset(&ps, 0, sizeof(ps));
	ps.p = line;
	ps.n = n;
	ps.flags = flags;
	ps.cmd = cmd_r;
	ps.error_r = error_r;
	error_r->code = 0;
	error_r->enhanced = "";
	error_r->text = "";
	if (!smtp_cmd_is_strict(&ps))
		while (ps.n > 0 && smtp_cmd_is_ws(&ps, line[ps.n - 1]))
			ps.n--;
	ps.info = smtp_cmd_verb(&ps);
	if (ps.info == NULL)
		return smtp_cmd_fail(&ps, 500, "5.5.1",
		                     "Error: command not recognized");
	cmd_r->verb = ps.info->verb;
	/*
	 * SECURITY: a control octet (NUL, a bare CR or LF the framer let
	 * through, ESC...) never reaches an argument or the log.
	 */
	for (i = 0; i < ps.n; i++)
		if ((line[i] < 0x20 &&
		     !(line[i] == '\t' && !smtp_cmd_is_strict(&ps))) ||
		    line[i] == 0x7f)
			return smtp_cmd_fail(&ps, 501, "5.5.2",
			                     "Syntax error: invalid character "
			                     "in command");
	switch (cmd_r->verb) {
	case SMTP_VERB_HELO:
	case SMTP_VERB_EHLO:
		ret = smtp_cmd_helo(&ps);
		break;
	case SMTP_VERB_MAIL:
		ret = smtp_cmd_path(&ps, "FROM:");
		break;
	case SMTP_VERB_RCPT:
		ret = smtp_cmd_path(&ps, "TO:");
		break;
	case SMTP_VERB_BDAT:
		ret = smtp_cmd_bdat(&ps);
		break;
	case SMTP_VERB_AUTH:
		ret = smtp_cmd_auth(&ps);
		break;
	case SMTP_VERB_NOOP:
	case SMTP_VERB_VRFY:
	case SMTP_VERB_EXPN:
	case SMTP_VERB_HELP:
		ret = smtp_cmd_rest(&ps, false);
		break;
	default:
		/* DATA, RSET, QUIT, STARTTLS take no argument. */
		ret = ps.pos == ps.n ? 0 : smtp_cmd_usage(&ps);
		break;
	}
	if (ret < 0) {
		enum smtp_verb verb = cmd_r->verb;

		smtp_cmd_deinit(cmd_r);
		cmd_r->verb = verb;
	}
	return ret;
}

/* smtp_cmd_deinit - release parsed strings */
void
smtp_cmd_deinit(struct smtp_cmd *cmd)
{
	mem_free(&cmd->arg);
	mem_free(&cmd->auth_initial);
	addr_deinit(&cmd->path);
	mem_free(&cmd->envid);
	mem_free(&cmd->auth);
	mem_free(&cmd->orcpt_type);
	mem_free(&cmd->orcpt);
	memset(cmd, 0, sizeof(*cmd));
}

/* smtp_verb_name - verb to text */
const char *
smtp_verb_name(enum smtp_verb verb)
{
	size_t i;

	for (i = 0; i < SMTP_VERB_COUNT; i++)
		if (smtp_verbs[i].verb == verb)
			return smtp_verbs[i].name;
	return "";
}
