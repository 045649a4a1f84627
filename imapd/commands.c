/*
 * commands.c - the IMAP command table and the trivial commands.
 *
 * imapd_command dispatches a parsed command by name and state (RFC 3501
 * 3: a command in the wrong state is refused with BAD); "UID" commands
 * (RFC 3501 6.4.8) set the session's cmd_uid. CAPABILITY, LOGOUT, ID
 * (RFC 2971), ENABLE (RFC 5161) and NAMESPACE (RFC 2342) are answered
 * here; everything else lives in its cmd_*.c file.
 *
 * imapd_bad                - count and answer a refused command
 * imapd_capability_string  - the capability list for the session now
 * imapd_plaintext_allowed  - whether LOGIN/AUTHENTICATE PLAIN may run
 *
 * Input: commands from the parser (untrusted, bounded there). Responses
 * to ID list only our own name and version.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "imapd/imapd.h"
#include "lib/log.h"
#include "lib/params.h"

/* Where a command may run. */
#define IN_NOT_AUTH 0x1u
#define IN_AUTH 0x2u
#define IN_SELECTED 0x4u
#define IN_ANY (IN_NOT_AUTH | IN_AUTH | IN_SELECTED)
#define IN_LOGGED (IN_AUTH | IN_SELECTED)

typedef void imapd_cmd_fn(struct imapd_session *s,
			  const struct imap_command *cmd);

/* imapd_bad - a refused command: BAD with text, counted */
void
imapd_bad(struct imapd_session *s, const char *fmt, ...)
{
	char text[IMAPD_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	s->bad_commands++;
	imapd_tagged(s, "BAD", "%s", text);
}

/* imapd_plaintext_allowed - passwords only over TLS (or loopback) */
bool
imapd_plaintext_allowed(const struct imapd_session *s)
{
	if (s->im->tls_level == TLS_LEVEL_ENCRYPT)
		return stream_is_tls(&s->st) && imapd_session_is_secure(s);
	return !param_disable_plaintext_auth || imapd_session_is_secure(s);
}

/* imapd_capability_string - what we offer, by state */
void
imapd_capability_string(struct imapd_session *s, struct buf *out)
{
	buf_append_str(out, "IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE "
			    "NAMESPACE UNSELECT CHILDREN UIDPLUS MOVE "
			    "SPECIAL-USE");
	if (s->state != IMAPD_STATE_NOT_AUTH)
		return;
	/* RFC 3501 6.2.1: STARTTLS before login, LOGINDISABLED while a
	 * password may not be sent. */
	if (s->im->tls != NULL && !stream_is_tls(&s->st))
		buf_append_str(out, " STARTTLS");
	if (imapd_plaintext_allowed(s))
		buf_append_str(out, " AUTH=PLAIN");
	else
		buf_append_str(out, " LOGINDISABLED");
}

/* no_args - the command takes no arguments; BAD sent when it has some */
static bool
no_args(struct imapd_session *s, const struct imap_command *cmd)
{
	if (cmd->arg_count == 0)
		return true;
	imapd_bad(s, "%s takes no arguments.", cmd->name);
	return false;
}

/* cmd_capability - CAPABILITY (RFC 3501 6.1.1) */
static void
cmd_capability(struct imapd_session *s, const struct imap_command *cmd)
{
	struct buf caps;

	if (!no_args(s, cmd))
		return;
	buf_init(&caps, IMAPD_LINE_MAX);
	imapd_capability_string(s, &caps);
	imapd_untagged(s, "CAPABILITY %s", buf_cstr(&caps));
	buf_deinit(&caps);
	imapd_tagged(s, "OK", "Capability completed.");
}

/* cmd_logout - LOGOUT (RFC 3501 6.1.3) */
static void
cmd_logout(struct imapd_session *s, const struct imap_command *cmd)
{
	if (!no_args(s, cmd))
		return;
	imapd_untagged(s, "BYE Logging out");
	imapd_tagged(s, "OK", "Logout completed.");
	s->state = IMAPD_STATE_LOGOUT;
	imapd_session_close(s, "Logged out");
}

/* cmd_id - ID (RFC 2971): check the client's list, give ours */
static void
cmd_id(struct imapd_session *s, const struct imap_command *cmd)
{
	const struct imap_arg *a = cmd->args, *item;
	size_t i;

	if (cmd->arg_count != 1 ||
	    (a->type != IMAP_ARG_NIL && a->type != IMAP_ARG_LIST)) {
		imapd_bad(s, "Invalid ID arguments.");
		return;
	}
	if (a->type == IMAP_ARG_LIST) {
		/* RFC 2971 3.3: field-value pairs of strings, 30 at most. */
		if (a->list_count % 2 != 0 ||
		    a->list_count > 2 * IMAPD_ID_PAIRS_MAX) {
			imapd_bad(s, "Invalid ID arguments.");
			return;
		}
		item = imap_arg_items(a);
		for (i = 0; i < a->list_count; i++) {
			const char *str;
			size_t len;

			if (item->type != IMAP_ARG_NIL &&
			    !imap_arg_string(item, &str, &len)) {
				imapd_bad(s, "Invalid ID arguments.");
				return;
			}
			item = imap_arg_next(item);
		}
	}
	imapd_untagged(s, "ID (\"name\" \"%s\" \"version\" \"%s\")",
		       "mailroom", MR_VERSION);
	imapd_tagged(s, "OK", "ID completed.");
}

/* cmd_enable - ENABLE (RFC 5161): nothing we have needs enabling */
static void
cmd_enable(struct imapd_session *s, const struct imap_command *cmd)
{
	const struct imap_arg *a = cmd->args;
	size_t i;

	if (cmd->arg_count == 0) {
		imapd_bad(s, "ENABLE needs capability names.");
		return;
	}
	for (i = 0; i < cmd->arg_count; i++, a = imap_arg_next(a)) {
		if (a->type != IMAP_ARG_ATOM) {
			imapd_bad(s, "Invalid ENABLE arguments.");
			return;
		}
	}
	imapd_untagged(s, "ENABLED");
	imapd_tagged(s, "OK", "Enabled.");
}

/* cmd_namespace - NAMESPACE (RFC 2342): one personal namespace */
static void
cmd_namespace(struct imapd_session *s, const struct imap_command *cmd)
{
	if (!no_args(s, cmd))
		return;
	imapd_untagged(s, "NAMESPACE ((\"\" \".\")) NIL NIL");
	imapd_tagged(s, "OK", "Namespace completed.");
}

static const struct {
	const char *name;
	imapd_cmd_fn *fn;
	unsigned states;
	bool uid;	/* allowed after "UID" */
} commands[] = {
	{ "CAPABILITY", cmd_capability, IN_ANY, false },
	{ "NOOP", cmd_noop, IN_ANY, false },
	{ "LOGOUT", cmd_logout, IN_ANY, false },
	{ "ID", cmd_id, IN_ANY, false },
	{ "STARTTLS", cmd_starttls, IN_NOT_AUTH, false },
	{ "LOGIN", cmd_login, IN_NOT_AUTH, false },
	{ "AUTHENTICATE", cmd_authenticate, IN_NOT_AUTH, false },
	{ "ENABLE", cmd_enable, IN_AUTH, false },
	{ "NAMESPACE", cmd_namespace, IN_LOGGED, false },
	{ "SELECT", cmd_select, IN_LOGGED, false },
	{ "EXAMINE", cmd_select, IN_LOGGED, false },
	{ "CREATE", cmd_create, IN_LOGGED, false },
	{ "DELETE", cmd_delete, IN_LOGGED, false },
	{ "RENAME", cmd_rename, IN_LOGGED, false },
	{ "SUBSCRIBE", cmd_subscribe, IN_LOGGED, false },
	{ "UNSUBSCRIBE", cmd_subscribe, IN_LOGGED, false },
	{ "LIST", cmd_list, IN_LOGGED, false },
	{ "LSUB", cmd_list, IN_LOGGED, false },
	{ "STATUS", cmd_status, IN_LOGGED, false },
	{ "APPEND", cmd_append, IN_LOGGED, false },
	{ "IDLE", cmd_idle, IN_LOGGED, false },
	{ "CHECK", cmd_noop, IN_SELECTED, false },
	{ "CLOSE", cmd_close, IN_SELECTED, false },
	{ "UNSELECT", cmd_unselect, IN_SELECTED, false },
	{ "EXPUNGE", cmd_expunge, IN_SELECTED, true },
	{ "SEARCH", cmd_search, IN_SELECTED, true },
	{ "FETCH", cmd_fetch, IN_SELECTED, true },
	{ "STORE", cmd_store, IN_SELECTED, true },
	{ "COPY", cmd_copy, IN_SELECTED, true },
	{ "MOVE", cmd_copy, IN_SELECTED, true },
};

/* state_bit - the table bit of the session's state */
static unsigned
state_bit(const struct imapd_session *s)
{
	switch (s->state) {
	case IMAPD_STATE_NOT_AUTH:
		return IN_NOT_AUTH;
	case IMAPD_STATE_AUTH:
		return IN_AUTH;
	case IMAPD_STATE_SELECTED:
		return IN_SELECTED;
	default:
		return 0;
	}
}

/* imapd_command - run one command */
void
imapd_command(struct imapd_session *s, const struct imap_command *cmd)
{
	struct imap_command sub;
	const char *name = cmd->name;
	bool uid = false;
	size_t i;

	MR_ASSERT(!s->cmd_active);
	s->cmd_active = true;
	snprintf(s->tag, sizeof(s->tag), "%s", cmd->tag);
	if (strcmp(name, "UID") == 0) {
		if (cmd->arg_count == 0 || cmd->args[0].type != IMAP_ARG_ATOM) {
			imapd_bad(s, "UID needs a command.");
			return;
		}
		/* The rest of the arguments, as a command of its own. */
		sub = *cmd;
		sub.name = cmd->args[0].str;
		sub.args = imap_arg_next(cmd->args);
		sub.arg_count = cmd->arg_count - 1;
		cmd = &sub;
		uid = true;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcasecmp(cmd->name, commands[i].name) != 0)
			continue;
		if (uid && !commands[i].uid)
			break;
		snprintf(s->cmd_name, sizeof(s->cmd_name), "%s",
			 commands[i].name);
		if (!(commands[i].states & state_bit(s))) {
			imapd_bad(s, "Command not valid in this state.");
			return;
		}
		s->cmd_uid = uid;
		commands[i].fn(s, cmd);
		return;
	}
	snprintf(s->cmd_name, sizeof(s->cmd_name), "%s", name);
	imapd_bad(s, "Unknown command.");
}
