/*
 * commands.c - the POP3 command table and the trivial verbs.
 *
 * pop3d_command parses one line (lib/pop3_cmd) and dispatches it by state
 * (RFC 1939 3: a command in the wrong state gets -ERR); CAPA, APOP,
 * NOOP, STAT, DELE, RSET and QUIT are answered here; USER, PASS and AUTH
 * live in cmd_auth.c, STLS in cmd_stls.c, LIST, UIDL, RETR and TOP in
 * cmd_retr.c. Response
 * codes in brackets are RFC 2449 8, RFC 3206 and RFC 5034's AUTH.
 */
#include <string.h>

#include "lib/log.h"
#include "lib/params.h"
#include "pop3d/pop3d.h"

/* pop3d_bad_command - count a refused command */
void
pop3d_bad_command(struct pop3d_session *s)
{
	s->bad_commands++;
}

/* cmd_capa - CAPA (RFC 2449 5) */
static void
cmd_capa(struct pop3d_session *s, struct pop3_cmd *cmd)
{
	(void)cmd;
	pop3d_capa(s);
}

/* cmd_apop - APOP needs the password in clear on the server: never */
static void
cmd_apop(struct pop3d_session *s, struct pop3_cmd *cmd)
{
	(void)cmd;
	pop3d_bad_command(s);
	pop3d_reply(s, "-ERR APOP is not supported.");
}

/* cmd_noop - NOOP */
static void
cmd_noop(struct pop3d_session *s, struct pop3_cmd *cmd)
{
	(void)cmd;
	pop3d_reply(s, "+OK");
}

/* cmd_stat - STAT: messages not marked deleted, and their size */
static void
cmd_stat(struct pop3d_session *s, struct pop3_cmd *cmd)
{
	uint64_t size = 0;
	size_t i;

	(void)cmd;
	for (i = 0; i < s->msg_count; i++)
		if (!s->deleted[i])
			size += mailstore_msg(s->folder, i)->vsize;
	pop3d_reply(s, "+OK %zu %llu", s->msg_count - s->deleted_count,
		    (unsigned long long)size);
}

/* cmd_dele - DELE n: marked now, removed at QUIT */
static void
cmd_dele(struct pop3d_session *s, struct pop3_cmd *cmd)
{
	uint32_t n = cmd->nums[0];

	if (!pop3d_msg_is_valid(s, n))
		return;
	s->deleted[n - 1] = true;
	s->deleted_count++;
	pop3d_reply(s, "+OK Marked to be deleted.");
}

/* cmd_rset - RSET: unmark every message */
static void
cmd_rset(struct pop3d_session *s, struct pop3_cmd *cmd)
{
	(void)cmd;
	memset(s->deleted, 0, s->msg_count * sizeof(*s->deleted));
	s->deleted_count = 0;
	pop3d_reply(s, "+OK");
}

/* cmd_quit - QUIT: in TRANSACTION the UPDATE state (RFC 1939 6) */
static void
cmd_quit(struct pop3d_session *s, struct pop3_cmd *cmd)
{
	(void)cmd;
	if (s->state == POP3D_STATE_TRANSACTION) {
		pop3d_update_start(s);
		return;
	}
	pop3d_reply(s, "+OK Logging out.");
	pop3d_session_close_after_reply(s, "Logged out");
}

typedef void pop3d_cmd_fn(struct pop3d_session *s, struct pop3_cmd *cmd);

/* Where each verb is allowed, and its handler. */
#define IN_AUTH 0x1u
#define IN_TRANS 0x2u

static const struct {
	pop3d_cmd_fn *fn;
	unsigned states;
} handlers[POP3_VERB_COUNT] = {
	[POP3_VERB_USER] = { cmd_user, IN_AUTH },
	[POP3_VERB_PASS] = { cmd_pass, IN_AUTH },
	[POP3_VERB_APOP] = { cmd_apop, IN_AUTH },
	[POP3_VERB_AUTH] = { cmd_auth, IN_AUTH },
	[POP3_VERB_STLS] = { cmd_stls, IN_AUTH },
	[POP3_VERB_CAPA] = { cmd_capa, IN_AUTH | IN_TRANS },
	[POP3_VERB_QUIT] = { cmd_quit, IN_AUTH | IN_TRANS },
	[POP3_VERB_STAT] = { cmd_stat, IN_TRANS },
	[POP3_VERB_LIST] = { cmd_list, IN_TRANS },
	[POP3_VERB_RETR] = { cmd_retr, IN_TRANS },
	[POP3_VERB_DELE] = { cmd_dele, IN_TRANS },
	[POP3_VERB_NOOP] = { cmd_noop, IN_TRANS },
	[POP3_VERB_RSET] = { cmd_rset, IN_TRANS },
	[POP3_VERB_TOP] = { cmd_top, IN_TRANS },
	[POP3_VERB_UIDL] = { cmd_uidl, IN_TRANS },
};

/* pop3d_command - parse and execute one command line */
void
pop3d_command(struct pop3d_session *s, const uint8_t *line, size_t len)
{
	struct pop3_cmd cmd;
	enum pop3_cmd_error err;
	unsigned state = s->state == POP3D_STATE_TRANSACTION ? IN_TRANS
							     : IN_AUTH;

	if (pop3_cmd_parse(line, len, &cmd, &err) < 0) {
		pop3d_bad_command(s);
		switch (err) {
		case POP3_CMD_ERR_UNKNOWN:
			pop3d_reply(s, "-ERR Unknown command.");
			break;
		case POP3_CMD_ERR_TOO_LONG:
			pop3d_reply(s, "-ERR Line too long.");
			break;
		case POP3_CMD_ERR_NUMBER:
			pop3d_reply(s, "-ERR Invalid message number.");
			break;
		default:
			pop3d_reply(s, "-ERR Invalid arguments.");
			break;
		}
		if (cmd.verb == POP3_VERB_PASS)
			explicit_bzero(&cmd, sizeof(cmd));
		return;
	}
	if (!(handlers[cmd.verb].states & state)) {
		pop3d_bad_command(s);
		pop3d_reply(s, "-ERR %s not allowed in this state.",
			    pop3_cmd_verb_name(cmd.verb));
	} else {
		handlers[cmd.verb].fn(s, &cmd);
	}
	/* SECURITY: the stack copy may hold a password (PASS, AUTH). */
	if (cmd.verb == POP3_VERB_PASS || cmd.verb == POP3_VERB_AUTH)
		explicit_bzero(&cmd, sizeof(cmd));
}
