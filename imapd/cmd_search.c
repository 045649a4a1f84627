/*
 * cmd_search.c - SEARCH and UID SEARCH (RFC 3501 6.4.4, 6.4.8, 7.2.5).
 *
 * cmd_search - parse the program (imapd/parse.h), sync in a job, then a
 * generator evaluates it (imapd/search.h) over the view, IMAPD_GEN_BATCH
 * messages per call, writing "* SEARCH" and each hit as it is found.
 * Flags, sizes and dates come from the view and the UID list; a message
 * file is read only when a key needs it: just its header (up to
 * IMAPD_FIELDS_HEADER_MAX octets) when no key looks at the body, else
 * the whole file (up to IMAPD_SEARCH_MESSAGE_MAX octets). A message
 * whose file is gone does not match.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imapd/fetch_body.h"
#include "imapd/imapd.h"
#include "imapd/search.h"
#include "lib/log.h"
#include "lib/mem.h"

/* Octets of one message a body search reads. */
#define IMAPD_SEARCH_MESSAGE_MAX (64u * 1024 * 1024)

struct search_ctx {
	struct imapd_job job;
	struct imap_search search;
	struct imapd_session *s;
	size_t next;
	bool started;
	int rc;
	struct mailstore_sync_result sync;
	char error[MAILSTORE_ERROR_MAX];
	/* The message being looked at. */
	long fidx;
	struct buf data;
	struct mime_message *mime;
};

/* search_ctx_free - release */
static void
search_ctx_free(void *ctx)
{
	struct search_ctx *c = ctx;

	imap_search_deinit(&c->search);
	mime_message_free(&c->mime);
	buf_deinit(&c->data);
	mem_free(&c);
}

/* search_job_free - the job's form */
static void
search_job_free(struct imapd_job *j)
{
	search_ctx_free(j);
}

/* header_end - octets up to and with the empty line, or 0 */
static size_t
header_end(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* search_message - imap_search_message_fn: the octets and tree */
static int
search_message(void *ctx, const uint8_t **data_r, size_t *size_r,
	       const struct mime_message **mime_r)
{
	struct search_ctx *c = ctx;
	struct imapd_session *s = c->s;
	bool header_only = !c->search.uses_body;
	size_t max = header_only ? IMAPD_FIELDS_HEADER_MAX
				 : IMAPD_SEARCH_MESSAGE_MAX;
	const char *error;
	int fd, rc;

	if (c->fidx < 0)
		return -1;
	rc = mailstore_msg_open(s->mbox->folder, (size_t)c->fidx, &fd, &error);
	if (rc < 0)
		log_warn("imap(%s): %s", s->user, error);
	if (rc <= 0)
		return -1;
	buf_reset(&c->data);
	while (c->data.len < max) {
		size_t want = max - c->data.len;
		ssize_t r;

		if (want > IMAPD_READ_CHUNK)
			want = IMAPD_READ_CHUNK;
		r = read(fd, buf_reserve(&c->data, want), want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		buf_commit(&c->data, (size_t)r);
		if (header_only) {
			size_t end = header_end(c->data.data, c->data.len);

			if (end > 0) {
				buf_truncate(&c->data, end);
				break;
			}
		}
	}
	close(fd);
	c->mime = mime_parse(c->data.data, c->data.len, 0);
	*data_r = c->data.data;
	*size_r = c->data.len;
	*mime_r = c->mime;
	return 0;
}

/* search_eval - whether view entry i matches */
static bool
search_eval(struct imapd_session *s, struct search_ctx *c, size_t i)
{
	const struct imapd_view_msg *e = &s->view.msgs[i];
	struct mailstore_folder *f = s->mbox->folder;
	const char *names[MAILSTORE_KEYWORDS_MAX];
	struct imap_search_msg msg;
	struct mailstore_msg *m = NULL;
	size_t count = 0;
	unsigned k;
	struct tm tm;
	time_t t;
	int rc;

	c->fidx = -1;
	if (!(e->state & IMAPD_VIEW_GONE)) {
		c->fidx = mailstore_find_uid(f, e->uid);
		if (c->fidx >= 0 &&
		    (m = mailstore_msg(f, (size_t)c->fidx))->expunged)
			c->fidx = -1;
	}
	if (c->fidx < 0)
		return false;
	for (k = 0; k < MAILSTORE_KEYWORDS_MAX; k++)
		if ((e->keywords & (1u << k)) && s->view.keywords[k] != NULL)
			names[count++] = s->view.keywords[k];
	memset(&msg, 0, sizeof(msg));
	msg.seq = (uint32_t)(i + 1);
	msg.uid = e->uid;
	msg.flags = e->flags;
	msg.keywords = names;
	msg.keyword_count = count;
	msg.size = m->vsize;
	msg.internal_date = m->mtime;
	t = (time_t)m->mtime;
	localtime_r(&t, &tm);
	msg.internal_tz_minutes = (int)(tm.tm_gmtoff / 60);
	msg.message = search_message;
	msg.ctx = c;
	rc = imap_search_eval(&c->search, &msg);
	mime_message_free(&c->mime);
	return rc == 1;
}

/* search_gen - evaluate a batch, write the hits */
static bool
search_gen(struct imapd_session *s)
{
	struct search_ctx *c = s->cmd_ctx;
	unsigned batch = 0;

	if (!c->started) {
		buf_append_str(&s->out, "* SEARCH");
		c->started = true;
	}
	for (; c->next < s->view.count; c->next++) {
		if (imapd_out_full(s) || batch++ >= IMAPD_GEN_BATCH)
			return false;
		if (batch == 1 && !imapd_mbox_usable(s))
			return false;
		if (search_eval(s, c, c->next))
			buf_printf(&s->out, " %u",
				   s->cmd_uid ? (unsigned)s->view.msgs[c->next].uid
					      : (unsigned)(c->next + 1));
	}
	buf_append_str(&s->out, "\r\n");
	imapd_finish(s, "OK", "Search completed.");
	return true;
}

/* search_work - worker: the sync */
static void
search_work(struct imapd_job *j)
{
	struct search_ctx *c = (struct search_ctx *)j;

	c->rc = imapd_job_sync(j, &c->sync, c->error, sizeof(c->error));
}

/* search_done - loop: updates, then the generator */
static void
search_done(struct imapd_job *j)
{
	struct search_ctx *c = (struct search_ctx *)j;
	struct imapd_session *s = j->s;
	const struct imapd_view *v;

	if (!imapd_job_refresh(s, &c->sync, c->error, c->rc)) {
		search_ctx_free(c);
		return;
	}
	imapd_updates_start(s, s->cmd_uid);
	v = &s->view;
	imap_search_prepare(&c->search, (uint32_t)v->count,
			    v->count > 0 ? v->msgs[v->count - 1].uid : 0);
	imapd_set_ctx(s, c, search_ctx_free);
	s->gen = search_gen;
}

/* cmd_search - SEARCH [CHARSET name] keys */
void
cmd_search(struct imapd_session *s, const struct imap_command *cmd)
{
	enum imap_search_error kind;
	struct search_ctx *c;
	const char *error;

	c = mem_alloc(sizeof(*c));
	c->s = s;
	buf_init(&c->data, IMAPD_SEARCH_MESSAGE_MAX);
	if (imap_search_parse(cmd->args, cmd->arg_count, &c->search, &kind,
			      &error) < 0) {
		search_ctx_free(c);
		if (kind == IMAP_SEARCH_ERR_BADCHARSET)
			imapd_tagged(s, "NO", "[BADCHARSET (UTF-8 US-ASCII)] "
					      "Unsupported charset.");
		else
			imapd_bad(s, "%s", error);
		return;
	}
	imapd_job_start(s, &c->job, s->mbox, s->im->mail_pool, search_work,
			search_done, search_job_free);
}
