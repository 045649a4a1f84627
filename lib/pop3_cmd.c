/*
 * pop3_cmd.c - POP3 command line framer and parser (see pop3_cmd.h).
 *
 * pop3_line_init/next/consume - lines ending in LF (CR LF) from a buf
 * pop3_cmd_parse              - one line to a struct pop3_cmd
 * pop3_cmd_verb_name          - verb names for logs
 *
 * SECURITY: input is raw octets from an unauthenticated POP3 client
 * (pop3d, mail owner). Returned lines point into the caller's buffer;
 * parsed arguments are copied into the struct pop3_cmd, bounded by
 * POP3_SASL_LINE_MAX. Work per octet is constant: the line search resumes
 * where the last one stopped, and over-long input is dropped as it
 * arrives. Limits: POP3_CMD_LINE_MAX (RFC 2449 4), POP3_SASL_LINE_MAX
 * (AUTH, RFC 5034 4), POP3_NUMBER_MAX.
 */
#include "lib/pop3_cmd.h"

#include <string.h>
#include <strings.h>

#include "lib/log.h"

/* Smallest usable framer limit: one octet and CR LF. */
#define POP3_LINE_MIN 3

/* pop3_line_init - set the limit */
void
pop3_line_init(struct pop3_line *fr, size_t max_line_octets)
{
	MR_ASSERT(max_line_octets >= POP3_LINE_MIN);
	memset(fr, 0, sizeof(*fr));
	fr->max_line_octets = max_line_octets;
}

/* pop3_line_discard - drop an over-long line's rest; true when done */
static bool
pop3_line_discard(struct pop3_line *fr, struct buf *in)
{
	const uint8_t *lf;

	if (in->len == 0)
		return false;
	lf = memchr(in->data, '\n', in->len);
	if (lf != NULL) {
		buf_consume(in, (size_t)(lf - in->data) + 1);
		fr->discarding = false;
		return true;
	}
	buf_consume(in, in->len);
	return false;
}

/* pop3_line_next - find the next line */
int
pop3_line_next(struct pop3_line *fr, struct buf *in, const uint8_t **line_r,
	       size_t *len_r, unsigned *flags_r)
{
	size_t content_max = fr->max_line_octets - 2, end, seen;
	const uint8_t *lf;

	MR_ASSERT(fr->pending == 0);
	if (fr->discarding && !pop3_line_discard(fr, in))
		return 0;
	if (in->len == 0)
		return 0;
	/* UNSAFE: memchr over [scanned, len), inside the buffer. */
	lf = memchr(in->data + fr->scanned, '\n', in->len - fr->scanned);
	if (lf != NULL) {
		end = (size_t)(lf - in->data);
		fr->pending = end + 1;
		if (end > 0 && in->data[end - 1] == '\r')
			end--;
		*line_r = in->data;
		*flags_r = 0;
		*len_r = end;
		if (end > content_max) {
			*len_r = content_max;
			*flags_r = POP3_LINE_TOO_LONG;
		}
		return 1;
	}
	fr->scanned = in->len;
	/* Octets of content so far; a last CR may still end the line. */
	seen = in->len - (in->data[in->len - 1] == '\r' ? 1 : 0);
	if (seen <= content_max)
		return 0;
	*line_r = in->data;
	*len_r = content_max;
	*flags_r = POP3_LINE_TOO_LONG;
	fr->pending = seen;
	fr->after_too_long = true;
	return 1;
}

/* pop3_line_consume - drop the returned line */
void
pop3_line_consume(struct pop3_line *fr, struct buf *in)
{
	MR_ASSERT(fr->pending > 0 && fr->pending <= in->len);
	buf_consume(in, fr->pending);
	fr->pending = 0;
	fr->scanned = 0;
	if (fr->after_too_long) {
		fr->after_too_long = false;
		fr->discarding = true;
	}
}

static const char *const verb_names[POP3_VERB_COUNT] = {
	[POP3_VERB_UNKNOWN] = "UNKNOWN",
	[POP3_VERB_USER] = "USER", [POP3_VERB_PASS] = "PASS",
	[POP3_VERB_APOP] = "APOP", [POP3_VERB_AUTH] = "AUTH",
	[POP3_VERB_CAPA] = "CAPA", [POP3_VERB_STLS] = "STLS",
	[POP3_VERB_QUIT] = "QUIT", [POP3_VERB_STAT] = "STAT",
	[POP3_VERB_LIST] = "LIST", [POP3_VERB_RETR] = "RETR",
	[POP3_VERB_DELE] = "DELE", [POP3_VERB_NOOP] = "NOOP",
	[POP3_VERB_RSET] = "RSET", [POP3_VERB_TOP] = "TOP",
	[POP3_VERB_UIDL] = "UIDL",
};

/*
 * What each verb takes: min and max arguments, and which are numbers
 * (bit i: argument i is a number; bit 7: the count may be 0).
 */
struct verb_rule {
	unsigned min_args, max_args;
	unsigned numeric;
};

#define NUM0 0x1u
#define NUM1 0x2u
#define NUM1_ZERO_OK 0x80u

static const struct verb_rule verb_rules[POP3_VERB_COUNT] = {
	[POP3_VERB_USER] = { 1, 1, 0 },
	[POP3_VERB_PASS] = { 1, 1, 0 },
	[POP3_VERB_APOP] = { 2, 2, 0 },
	[POP3_VERB_AUTH] = { 0, 2, 0 },
	[POP3_VERB_CAPA] = { 0, 0, 0 },
	[POP3_VERB_STLS] = { 0, 0, 0 },
	[POP3_VERB_QUIT] = { 0, 0, 0 },
	[POP3_VERB_STAT] = { 0, 0, 0 },
	[POP3_VERB_LIST] = { 0, 1, NUM0 },
	[POP3_VERB_RETR] = { 1, 1, NUM0 },
	[POP3_VERB_DELE] = { 1, 1, NUM0 },
	[POP3_VERB_NOOP] = { 0, 0, 0 },
	[POP3_VERB_RSET] = { 0, 0, 0 },
	[POP3_VERB_TOP] = { 2, 2, NUM0 | NUM1 | NUM1_ZERO_OK },
	[POP3_VERB_UIDL] = { 0, 1, NUM0 },
};

/* pop3_cmd_verb_name - name of a verb */
const char *
pop3_cmd_verb_name(enum pop3_verb verb)
{
	if ((unsigned)verb >= POP3_VERB_COUNT)
		verb = POP3_VERB_UNKNOWN;
	return verb_names[verb];
}

/* cmd_number - a decimal argument in [min, POP3_NUMBER_MAX] */
static int
cmd_number(const char *s, uint32_t min, uint32_t *value_r)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > POP3_NUMBER_MAX)
			return -1;
	}
	if (i == 0 || v < min)
		return -1;
	*value_r = (uint32_t)v;
	return 0;
}

/* pop3_cmd_parse - one line to a command */
int
pop3_cmd_parse(const uint8_t *line, size_t len, struct pop3_cmd *cmd,
	       enum pop3_cmd_error *err_r)
{
	const struct verb_rule *rule;
	size_t vlen = 0, i, pos;
	unsigned a;

	memset(cmd, 0, offsetof(struct pop3_cmd, storage));
	while (vlen < len && line[vlen] != ' ')
		vlen++;
	for (i = 1; i < POP3_VERB_COUNT; i++) {
		if (strlen(verb_names[i]) == vlen &&
		    strncasecmp((const char *)line, verb_names[i], vlen) == 0) {
			cmd->verb = (enum pop3_verb)i;
			break;
		}
	}
	if (cmd->verb == POP3_VERB_UNKNOWN) {
		*err_r = POP3_CMD_ERR_UNKNOWN;
		return -1;
	}
	/* AUTH may be long (an initial response); nothing else may. */
	if (len + 2 > (cmd->verb == POP3_VERB_AUTH ? POP3_SASL_LINE_MAX
						   : POP3_CMD_LINE_MAX)) {
		*err_r = POP3_CMD_ERR_TOO_LONG;
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (line[i] < 0x20 || line[i] == 0x7f) {
			*err_r = POP3_CMD_ERR_ARGS;
			return -1;
		}
	}
	rule = &verb_rules[cmd->verb];
	pos = vlen;
	if (cmd->verb == POP3_VERB_PASS) {
		/* RFC 1939 7: the whole rest, spaces included. */
		if (pos + 1 < len) {
			memcpy(cmd->storage, line + pos + 1, len - pos - 1);
			cmd->storage[len - pos - 1] = '\0';
			cmd->args[0] = cmd->storage;
			cmd->argc = 1;
		}
	} else {
		size_t out = 0;

		while (pos < len) {
			size_t start;

			while (pos < len && line[pos] == ' ')
				pos++;
			if (pos == len)
				break;
			if (cmd->argc == POP3_CMD_ARGS_MAX) {
				*err_r = POP3_CMD_ERR_ARGS;
				return -1;
			}
			start = pos;
			while (pos < len && line[pos] != ' ')
				pos++;
			memcpy(cmd->storage + out, line + start, pos - start);
			cmd->args[cmd->argc++] = cmd->storage + out;
			out += pos - start;
			cmd->storage[out++] = '\0';
		}
	}
	if (cmd->argc < rule->min_args || cmd->argc > rule->max_args) {
		*err_r = POP3_CMD_ERR_ARGS;
		return -1;
	}
	for (a = 0; a < cmd->argc; a++) {
		uint32_t min = 1;

		if (!(rule->numeric & (1u << a)))
			continue;
		if (a == 1 && (rule->numeric & NUM1_ZERO_OK))
			min = 0;
		if (cmd_number(cmd->args[a], min, &cmd->nums[a]) < 0) {
			*err_r = POP3_CMD_ERR_NUMBER;
			return -1;
		}
	}
	return 0;
}
