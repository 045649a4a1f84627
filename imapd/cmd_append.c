/*
 * cmd_append.c - APPEND (RFC 3501 6.3.11) with synchronising literals
 * and LITERAL+ (RFC 7888), and UIDPLUS's APPENDUID (RFC 4315 3).
 *
 * cmd_append            - the complete command: commit the message and
 *                         learn its UID (a job)
 * imapd_append_literal  - a literal over the parser's in-memory limit
 *                         was announced: check the command so far, open
 *                         the destination's tmp/ file, take the literal
 * imapd_append_take     - octets of that literal, into the file
 * imapd_append_take_free - drop it (the session ends)
 *
 * A small message arrives in memory with the command and is written in
 * the job; a large one is written into the destination folder's tmp/ as
 * it arrives, so memory stays flat whatever its size. Either way the
 * file is fsync'ed and linked into cur/ with its flags
 * (lib/mailstore_add) before the OK, and the folder is synced to learn
 * the UID; appending to the selected mailbox syncs the shared mailbox,
 * so the session also gets its EXISTS.
 *
 * Limits: message_size_limit (0: IMAP_LITERAL_TAKE_MAX); an empty
 * message is refused. A destination that does not exist is NO
 * [TRYCREATE]. Input: the message octets (untrusted, only stored and
 * counted).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "imapd/imapd.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"

struct append_ctx {
	struct imapd_job job;
	char *maildir;
	char *name;
	struct imap_flags flags;
	int64_t date;		/* 0: now */
	const uint8_t *data;	/* an in-memory message (the parser's) */
	size_t size;
	bool to_selected;
	/* The destination, opened for a taken literal or in the job. */
	struct mailstore *ms;
	struct mailstore_folder *f;
	struct mailstore_add add;
	bool add_open;
	bool write_failed;
	/* Results. */
	int rc;
	bool missing;
	bool no_keyword;
	uint32_t uidvalidity, uid;
	struct mailstore_sync_result sync;
	char error[MAILSTORE_ERROR_MAX];
};

/* append_free - release */
static void
append_free(struct append_ctx *c)
{
	if (c->add_open)
		mailstore_add_deinit(&c->add);
	mailstore_folder_free(&c->f);
	mailstore_free(&c->ms);
	imap_flags_deinit(&c->flags);
	mem_free(&c->maildir);
	mem_free(&c->name);
	mem_free(&c);
}

/* append_job_free - the job's form */
static void
append_job_free(struct imapd_job *j)
{
	append_free((struct append_ctx *)j);
}

/* append_open - the destination folder and a batch on it */
static int
append_open(struct append_ctx *c)
{
	const char *e;

	if (c->f != NULL)
		return 0;
	c->ms = mailstore_new(c->maildir);
	if (mailstore_folder_open(c->ms, c->name, &c->f, &e) < 0) {
		c->missing = strcmp(e, "no such folder") == 0;
		snprintf(c->error, sizeof(c->error), "%s", e);
		return -1;
	}
	mailstore_add_init(&c->add, c->f);
	c->add_open = true;
	return 0;
}

/* append_keywords - the folder's letters for the message's keywords */
static int
append_keywords(struct append_ctx *c, uint32_t *bits_r)
{
	const char *e;
	size_t i;

	*bits_r = 0;
	for (i = 0; i < c->flags.keyword_count; i++) {
		unsigned idx;
		int rc = mailstore_keyword_index(c->f, c->flags.keywords[i],
						 true, &idx, &e);

		if (rc < 0) {
			snprintf(c->error, sizeof(c->error), "%s", e);
			return -1;
		}
		if (rc == 0) {
			c->no_keyword = true;
			return -1;
		}
		*bits_r |= 1u << idx;
	}
	return 0;
}

/* find_base - the UID the folder gave base, or 0 */
static uint32_t
find_base(struct mailstore_folder *f, const char *base)
{
	size_t i = mailstore_count(f);

	/* New messages are at the end. */
	while (i-- > 0)
		if (strcmp(mailstore_msg(f, i)->base, base) == 0)
			return mailstore_msg(f, i)->uid;
	return 0;
}

/* append_work - worker: write (if in memory), commit, sync */
static void
append_work(struct imapd_job *j)
{
	struct append_ctx *c = (struct append_ctx *)j;
	char base[MAILSTORE_FILENAME_MAX + 1];
	struct mailstore_folder *sync_f;
	uint32_t kw;
	const char *e;

	c->rc = -1;
	if (append_open(c) < 0 || append_keywords(c, &kw) < 0)
		return;
	if (c->data != NULL) {
		if (mailstore_add_begin(&c->add, &e) < 0 ||
		    mailstore_add_write(&c->add, c->data, c->size, &e) < 0)
			goto fail;
	} else if (c->write_failed || c->add.fd < 0) {
		snprintf(c->error, sizeof(c->error), "%s", c->add.error);
		return;
	}
	if (mailstore_add_commit(&c->add,
				 imapd_flags_to_store(c->flags.system, 0), kw,
				 c->date, base, sizeof(base), &e) < 0 ||
	    mailstore_add_finish(&c->add, &e) < 0)
		goto fail;
	/* The selected mailbox learns it through the shared handle. */
	if (c->to_selected && imapd_mbox_open(j->mbox, &e) == 0)
		sync_f = j->mbox->folder;
	else
		sync_f = c->f;
	if (mailstore_sync(sync_f,
			   sync_f == c->f ? 0 : MAILSTORE_SYNC_MOVE_NEW,
			   &c->sync, &e) < 0)
		goto fail;
	c->uid = find_base(sync_f, base);
	c->uidvalidity = mailstore_uidvalidity(sync_f);
	c->rc = 0;
	return;
fail:
	snprintf(c->error, sizeof(c->error), "%s", e);
}

/* append_done - loop: answer */
static void
append_done(struct imapd_job *j)
{
	struct append_ctx *c = (struct append_ctx *)j;
	struct imapd_session *s = j->s;

	if (c->sync.warning[0] != '\0')
		log_warn("%s", c->sync.warning);
	if (c->rc < 0) {
		if (c->missing)
			imapd_tagged(s, "NO", "[TRYCREATE] Mailbox doesn't "
					      "exist.");
		else if (c->no_keyword)
			imapd_tagged(s, "NO", "[LIMIT] No more keywords can "
					      "be defined in this mailbox.");
		else {
			log_warn("imap(%s): APPEND: %s", s->user, c->error);
			imapd_tagged(s, "NO", "[UNAVAILABLE] Internal error, "
					      "try again later.");
		}
		append_free(c);
		return;
	}
	log_info("imap(%s): appended to %s, uid=%u, size=%llu", s->user,
		 c->name, (unsigned)c->uid, (unsigned long long)c->add.size);
	if (c->to_selected && s->mbox != NULL && imapd_view_refresh(s) == 0)
		imapd_updates_start(s, true);
	if (c->uid != 0)
		imapd_finish(s, "OK", "[APPENDUID %u %u] Append completed.",
			     (unsigned)c->uidvalidity, (unsigned)c->uid);
	else
		imapd_finish(s, "OK", "Append completed.");
	append_free(c);
}

/* append_args - mailbox, flags and date of an APPEND; -1: answered */
static int
append_args(struct imapd_session *s, const struct imap_command *cmd,
	    size_t count, struct append_ctx *c)
{
	const struct imap_arg *a = cmd->args;
	const char *error;
	size_t i;
	int tz;

	if (imapd_mailbox_arg(s, a, &c->name) < 0)
		return -1;
	for (i = 1, a = imap_arg_next(a); i < count; i++, a = imap_arg_next(a)) {
		if (a->type == IMAP_ARG_LIST && i == 1) {
			if (imap_flags_parse(a, 1, &c->flags, &error) < 0) {
				imapd_bad(s, "%s", error);
				return -1;
			}
		} else if (a->type == IMAP_ARG_QUOTED && c->date == 0) {
			if (imap_datetime_parse(a->str, a->len, &c->date, &tz,
						&error) < 0) {
				imapd_bad(s, "%s", error);
				return -1;
			}
		} else {
			imapd_bad(s, "Invalid APPEND arguments.");
			return -1;
		}
	}
	c->maildir = mem_strdup(s->maildir);
	c->to_selected = s->mbox != NULL && strcmp(s->mbox->name, c->name) == 0;
	return 0;
}

/* size_limit - the largest message accepted */
static uint64_t
size_limit(void)
{
	if (param_message_size_limit > 0 &&
	    (uint64_t)param_message_size_limit < IMAP_LITERAL_TAKE_MAX)
		return (uint64_t)param_message_size_limit;
	return IMAP_LITERAL_TAKE_MAX;
}

/* append_start - the job, on the selected mailbox when it is the target */
static void
append_start(struct imapd_session *s, struct append_ctx *c)
{
	imapd_job_start(s, &c->job, c->to_selected ? s->mbox : NULL,
			s->im->mail_pool, append_work, append_done,
			append_job_free);
}

/* cmd_append - APPEND mailbox [(flags)] [date-time] literal */
void
cmd_append(struct imapd_session *s, const struct imap_command *cmd)
{
	struct append_ctx *c = s->take_ctx;
	const struct imap_arg *last;
	size_t i;

	s->take_ctx = NULL;
	if (cmd->arg_count < 2 || cmd->arg_count > 4) {
		if (c != NULL)
			append_free(c);
		imapd_bad(s, "Invalid APPEND arguments.");
		return;
	}
	for (i = 0, last = cmd->args; i + 1 < cmd->arg_count; i++)
		last = imap_arg_next(last);
	if (last->type == IMAP_ARG_LITERAL_TAKEN && c != NULL) {
		/* Checked when the literal was announced. */
		append_start(s, c);
		return;
	}
	if (c != NULL)
		append_free(c);
	if (last->type != IMAP_ARG_LITERAL) {
		imapd_bad(s, "APPEND needs the message as a literal.");
		return;
	}
	c = mem_alloc(sizeof(*c));
	if (append_args(s, cmd, cmd->arg_count - 1, c) < 0) {
		append_free(c);
		return;
	}
	if (last->len == 0 || last->len > size_limit()) {
		append_free(c);
		imapd_tagged(s, "NO", last->len == 0
					      ? "Can't save an empty message."
					      : "[TOOBIG] Message too large.");
		return;
	}
	c->data = (const uint8_t *)last->str;
	c->size = last->len;
	append_start(s, c);
}

/* refuse - answer the literal's command and drop the literal */
static int
refuse(struct imapd_session *s, const char *status, const char *text)
{
	imapd_tagged(s, status, "%s", text);
	if (imap_parser_literal_reject(s->parser) < 0) {
		imapd_untagged(s, "BYE %s", imap_parser_error(s->parser));
		imapd_session_close(s, imap_parser_error(s->parser));
	}
	return -1;
}

/* imapd_append_literal - a large literal of APPEND announced */
int
imapd_append_literal(struct imapd_session *s, const struct imap_command *cmd,
		     uint64_t size, bool sync)
{
	struct append_ctx *c;
	const char *e;

	/* The command is not running yet: answer with its own tag. */
	s->cmd_active = true;
	snprintf(s->tag, sizeof(s->tag), "%s", cmd->tag);
	snprintf(s->cmd_name, sizeof(s->cmd_name), "APPEND");
	if (s->state != IMAPD_STATE_AUTH && s->state != IMAPD_STATE_SELECTED) {
		s->bad_commands++;
		return refuse(s, "BAD", "Command not valid in this state.");
	}
	if (cmd->arg_count < 1 || cmd->arg_count > 3) {
		s->bad_commands++;
		return refuse(s, "BAD", "Invalid APPEND arguments.");
	}
	if (size > size_limit())
		return refuse(s, "NO", "[TOOBIG] Message too large.");
	if (size == 0)
		return refuse(s, "NO", "Can't save an empty message.");
	c = mem_alloc(sizeof(*c));
	if (append_args(s, cmd, cmd->arg_count, c) < 0) {
		/* append_args answered: only the literal is left. */
		append_free(c);
		if (imap_parser_literal_reject(s->parser) < 0) {
			imapd_untagged(s, "BYE %s",
				       imap_parser_error(s->parser));
			imapd_session_close(s, imap_parser_error(s->parser));
		}
		return -1;
	}
	if (append_open(c) < 0 || mailstore_add_begin(&c->add, &e) < 0) {
		bool missing = c->missing;

		if (!missing)
			log_warn("imap(%s): APPEND: %s", s->user,
				 c->error[0] != '\0' ? c->error
						     : c->add.error);
		append_free(c);
		s->cmd_active = true;
		return refuse(s, "NO", missing
					       ? "[TRYCREATE] Mailbox doesn't "
						 "exist."
					       : "[UNAVAILABLE] Internal error, "
						 "try again later.");
	}
	/* Within size_limit, itself within the parser's take limit. */
	if (imap_parser_literal_take(s->parser) < 0)
		log_panic("imapd: literal take refused below the limit");
	s->cmd_active = false;
	s->take_ctx = c;
	s->take_left = size;
	s->input = IMAPD_INPUT_LITERAL;
	if (sync)
		imapd_printf(s, "+ OK");
	return 0;
}

/* imapd_append_take - octets of the taken literal */
void
imapd_append_take(struct imapd_session *s, const uint8_t *p, size_t n)
{
	struct append_ctx *c = s->take_ctx;
	const char *e;

	MR_ASSERT(n <= s->take_left);
	s->take_left -= n;
	if (s->take_left == 0)
		s->input = IMAPD_INPUT_COMMAND;
	if (c == NULL || c->write_failed)
		return;
	/* Written in the loop thread: page cache, fsync'ed in the job. */
	if (mailstore_add_write(&c->add, p, n, &e) < 0)
		c->write_failed = true;
}

/* imapd_append_take_free - drop a taken literal's file */
void
imapd_append_take_free(struct imapd_session *s)
{
	if (s->take_ctx != NULL)
		append_free(s->take_ctx);
	s->take_ctx = NULL;
}
