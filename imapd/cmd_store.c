/*
 * cmd_store.c - STORE and UID STORE (RFC 3501 6.4.6, 6.4.8): FLAGS,
 * +FLAGS, -FLAGS and their .SILENT forms.
 *
 * cmd_store - the messages' UIDs are taken from the view (the client's
 * sequence numbers), then jobs rename each file to its new flags
 * (lib/mailstore: flags live in the file names), starting from the flags
 * the folder has now, so changes by other sessions are kept. The first
 * job syncs the folder and gives new keywords a letter (at most 26;
 * PERMANENTFLAGS stops offering \* when they are taken). The renames go
 * in chunks of IMAPD_STORE_CHUNK messages: while a worker renames the
 * next chunk, the loop thread puts the previous one's flags into the
 * view and sends its FETCH FLAGS (unless .SILENT), so the client reads
 * while the server works. Changes made by others at the same time are
 * announced as well (RFC 3501 6.4.6).
 */
#include <stdio.h>
#include <string.h>

#include "imapd/imapd.h"
#include "lib/log.h"
#include "lib/mem.h"

/* Messages renamed per job: the answer for them goes out meanwhile. */
#define IMAPD_STORE_CHUNK 512

/* The result for one message. */
struct store_result {
	uint32_t uid;
	uint32_t flags;		/* Maildir letters */
	uint32_t keywords;
	bool done;		/* the message still exists */
};

struct store_ctx {
	struct imapd_job job;
	struct imap_store store;
	struct store_result *res;
	size_t count;
	size_t from, to;	/* the chunk the job works on */
	size_t ready;		/* results the loop has taken in */
	uint32_t kw;		/* the keywords' letters */
	size_t next;		/* the generator's position */
	bool no_keyword;	/* a keyword could not get a letter */
	bool gone;
	size_t failed;
	int rc;
	struct mailstore_sync_result sync;
	char error[MAILSTORE_ERROR_MAX];
};

/* store_ctx_free - release */
static void
store_ctx_free(void *ctx)
{
	struct store_ctx *c = ctx;

	imap_flags_deinit(&c->store.flags);
	mem_free(&c->res);
	mem_free(&c);
}

/* store_job_free - the job's form (not while it is the command's) */
static void
store_job_free(struct imapd_job *j)
{
	if (j->s != NULL && j->s->cmd_ctx == (void *)j)
		return; /* freed with the command */
	store_ctx_free(j);
}

/* store_keywords - the letters of the command's keywords */
static int
store_keywords(struct store_ctx *c, struct mailstore_folder *f,
	       uint32_t *bits_r)
{
	bool create = c->store.mode != IMAP_STORE_REMOVE;
	const char *error;
	size_t i;

	*bits_r = 0;
	for (i = 0; i < c->store.flags.keyword_count; i++) {
		unsigned idx;
		int rc = mailstore_keyword_index(f, c->store.flags.keywords[i],
						 create, &idx, &error);

		if (rc < 0) {
			snprintf(c->error, sizeof(c->error), "%s", error);
			return -1;
		}
		if (rc == 0) {
			/* Removing an unknown keyword removes nothing. */
			if (create)
				c->no_keyword = true;
			continue;
		}
		*bits_r |= 1u << idx;
	}
	return 0;
}

/* store_work - worker: (the first time) sync, then a chunk's renames */
static void
store_work(struct imapd_job *j)
{
	struct store_ctx *c = (struct store_ctx *)j;
	struct mailstore_folder *f;
	const char *error;
	size_t i;

	if (c->from == 0) {
		if ((c->rc = imapd_job_sync(j, &c->sync, c->error,
					    sizeof(c->error))) < 0)
			return;
		if (store_keywords(c, j->mbox->folder, &c->kw) < 0) {
			c->rc = -1;
			return;
		}
		if (c->no_keyword)
			return;
	}
	f = j->mbox->folder;
	for (i = c->from; i < c->to; i++) {
		struct store_result *r = &c->res[i];
		long idx = mailstore_find_uid(f, r->uid);
		struct mailstore_msg *m;
		uint32_t flags, keywords;
		unsigned sys = c->store.flags.system;
		int rc;

		if (idx < 0 || (m = mailstore_msg(f, (size_t)idx))->expunged) {
			c->gone = true;
			continue;
		}
		switch (c->store.mode) {
		case IMAP_STORE_REPLACE:
			flags = imapd_flags_to_store(sys, m->flags);
			keywords = c->kw;
			break;
		case IMAP_STORE_ADD:
			flags = imapd_flags_to_store(
				imapd_flags_from_store(m->flags) | sys,
				m->flags);
			keywords = m->keywords | c->kw;
			break;
		default:
			flags = imapd_flags_to_store(
				imapd_flags_from_store(m->flags) & ~sys,
				m->flags);
			keywords = m->keywords & ~c->kw;
			break;
		}
		rc = mailstore_msg_set_flags(f, (size_t)idx, flags, keywords,
					     &error);
		if (rc < 0) {
			c->failed++;
			snprintf(c->error, sizeof(c->error), "%s", error);
			continue;
		}
		if (rc == 0) {
			c->gone = true;
			continue;
		}
		r->flags = flags;
		r->keywords = keywords;
		r->done = true;
	}
}

/* store_gen - FETCH FLAGS for the stored messages taken in so far */
static bool
store_gen(struct imapd_session *s)
{
	struct store_ctx *c = s->cmd_ctx;

	for (; c->next < c->ready; c->next++) {
		const struct store_result *r = &c->res[c->next];
		long i;

		if (imapd_out_full(s))
			return false;
		if (!r->done ||
		    (i = imapd_view_find_uid(&s->view, r->uid)) < 0 ||
		    (s->view.msgs[i].state & IMAPD_VIEW_GONE))
			continue;
		buf_printf(&s->out, "* %ld FETCH (", i + 1);
		if (s->cmd_uid)
			buf_printf(&s->out, "UID %u ", (unsigned)r->uid);
		buf_append_str(&s->out, "FLAGS ");
		imapd_render_msg_flags(s, &s->out, &s->view.msgs[i]);
		buf_append_str(&s->out, ")\r\n");
	}
	if (c->ready < c->count) {
		/* The next chunk is still being renamed. */
		s->gen_blocked = true;
		return false;
	}
	return true;
}

/* store_take - loop: a chunk's new flags into the view */
static void
store_take(struct imapd_session *s, struct store_ctx *c)
{
	size_t k;

	for (k = c->from; k < c->to; k++) {
		const struct store_result *r = &c->res[k];
		struct imapd_view_msg *e;
		long i;

		if (!r->done || (i = imapd_view_find_uid(&s->view, r->uid)) < 0)
			continue;
		e = &s->view.msgs[i];
		e->flags = (uint8_t)(imapd_flags_from_store(r->flags) |
				     (e->flags & IMAP_FLAG_RECENT));
		e->keywords = r->keywords;
		if (e->state & IMAPD_VIEW_CHANGED) {
			e->state &= (uint8_t)~IMAPD_VIEW_CHANGED;
			s->view.changed--;
		}
	}
	c->ready = c->to;
}

/* store_finish - the tagged line */
static void
store_finish(struct imapd_session *s, struct store_ctx *c)
{
	if (c->failed > 0) {
		log_warn("imap(%s): STORE: %zu messages failed: %s", s->user,
			 c->failed, c->error);
		imapd_finish(s, "NO", "[UNAVAILABLE] Some flags could not be "
				      "changed.");
	} else if (c->gone) {
		imapd_finish(s, "NO", "[EXPUNGEISSUED] Some of the messages "
				      "no longer exist.");
	} else {
		imapd_finish(s, "OK", "Store completed.");
	}
}

static void store_done(struct imapd_job *j);

/* store_next - the job for the next chunk */
static void
store_next(struct imapd_session *s, struct store_ctx *c)
{
	c->from = c->to;
	c->to = c->count - c->from > IMAPD_STORE_CHUNK
			? c->from + IMAPD_STORE_CHUNK
			: c->count;
	imapd_job_start(s, &c->job, s->mbox, s->im->mail_pool, store_work,
			store_done, store_job_free);
}

/* store_done - loop: a chunk is renamed */
static void
store_done(struct imapd_job *j)
{
	struct store_ctx *c = (struct store_ctx *)j;
	struct imapd_session *s = j->s;
	bool first = s->cmd_ctx != c;

	if (first) {
		if (c->sync.warning[0] != '\0')
			log_warn("%s", c->sync.warning);
		if (c->rc < 0) {
			log_warn("imap(%s): STORE: %s", s->user, c->error);
			imapd_tagged(s, "NO", "[UNAVAILABLE] Internal error, "
					      "try again later.");
			store_ctx_free(c);
			return;
		}
		if (c->no_keyword) {
			imapd_tagged(s, "NO", "[LIMIT] No more keywords can "
					      "be defined in this mailbox.");
			store_ctx_free(c);
			return;
		}
	}
	/* Our own changes go into the view first: reported (or not) by
	 * this command, not as someone else's. */
	store_take(s, c);
	if (first) {
		if (imapd_view_refresh(s) < 0) {
			store_ctx_free(c);
			return;
		}
		imapd_updates_start(s, s->cmd_uid);
		imapd_set_ctx(s, c, store_ctx_free);
		s->gen = c->store.silent ? NULL : store_gen;
	}
	s->gen_blocked = false;
	if (c->to < c->count) {
		/* Rename the next chunk while this one's answer goes. */
		s->gen_with_job = !c->store.silent;
		store_next(s, c);
		return;
	}
	s->gen_with_job = false;
	store_finish(s, c);
}

/* cmd_store - STORE set item value */
void
cmd_store(struct imapd_session *s, const struct imap_command *cmd)
{
	struct imap_seqset set;
	struct store_ctx *c;
	const char *error;
	uint32_t *uids;
	size_t i;

	if (cmd->arg_count < 3) {
		imapd_bad(s, "STORE needs a message set, an item and flags.");
		return;
	}
	c = mem_alloc(sizeof(*c));
	if (imap_store_parse(imap_arg_next(cmd->args), cmd->arg_count - 1,
			     &c->store, &error) < 0) {
		store_ctx_free(c);
		imapd_bad(s, "%s", error);
		return;
	}
	if (s->readonly) {
		store_ctx_free(c);
		imapd_tagged(s, "NO", "[READ-ONLY] Mailbox is read-only.");
		return;
	}
	if (imapd_seqset_arg(s, cmd->args, s->cmd_uid, &set) < 0) {
		store_ctx_free(c);
		return;
	}
	imapd_seqset_resolve_view(s, &set, s->cmd_uid);
	uids = imapd_set_uids(s, &set, s->cmd_uid, &c->count);
	imap_seqset_deinit(&set);
	c->res = mem_alloc_array(c->count > 0 ? c->count : 1,
				 sizeof(*c->res));
	for (i = 0; i < c->count; i++)
		c->res[i].uid = uids[i];
	mem_free(&uids);
	store_next(s, c);
}
