/*
 * cmd_fetch.c - FETCH and UID FETCH (RFC 3501 6.4.5, 6.4.8, 7.4.2).
 *
 * cmd_fetch                - parse, sync (a job), then the generator
 * imapd_cache_write_start  - write the folder's cache when worth it
 *
 * The generator answers one message after the other in the loop thread:
 * FLAGS and UID from the session's view, RFC822.SIZE and INTERNALDATE
 * from the UID list, ENVELOPE, BODY and BODYSTRUCTURE from the folder's
 * cache (imapd/cache.h; a message missing there is parsed once and
 * added), BODY[section] and RFC822* streamed from the file through the
 * LF to CR LF conversion, a partial origin counted in the converted
 * form. Only IMAPD_GEN_BATCH messages are done per call and nothing
 * while the output buffer is over its mark, so one FETCH of 50 MB does
 * not hold other sessions up or fill memory. The mailbox is used only
 * while no job holds it (imapd_mbox_usable).
 *
 * Non-PEEK body sections set \Seen (RFC 3501 6.4.5) in a read-write
 * mailbox, and FLAGS is added to that message's response. A message
 * whose file is gone (another session expunged it) is left out and the
 * command ends in NO [EXPUNGEISSUED] (RFC 2180 4.1.2, Dovecot's
 * answer). Should a file not have the size its name announced, the
 * literal is padded or cut to the announced size and a warning logged:
 * the client's parser must never lose step.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imapd/cache.h"
#include "imapd/crlf.h"
#include "imapd/fetch_body.h"
#include "imapd/imapd.h"
#include "imapd/render.h"
#include "lib/log.h"
#include "lib/mem.h"

/* Items whose text comes from the cache. */
#define FETCH_CACHED                                                        \
	(IMAP_FETCH_ENVELOPE | IMAP_FETCH_BODY | IMAP_FETCH_BODYSTRUCTURE)
/* Longest item name, "BODY[1.2.HEADER.FIELDS (...)]<n>" bounded. */
#define FETCH_NAME_MAX (IMAP_FETCH_FIELDS_MAX * 80 + 256)

/* One body item of the request, in the order asked. */
struct fetch_body {
	struct imap_fetch_section sec;	/* a copy; fields borrowed */
	char *name;			/* as it goes in the response */
	bool sets_seen;
};

struct fetch_ctx {
	struct imapd_job job;
	struct imap_fetch fetch;
	struct imap_seqset set;
	unsigned items;
	struct fetch_body *bodies;
	size_t body_count;
	bool need_mime;		/* a section other than the whole message */
	bool sets_seen;
	int rc;
	struct mailstore_sync_result res;
	char error[MAILSTORE_ERROR_MAX];
	char cache_warning[MAILSTORE_ERROR_MAX];
	size_t next;		/* the next view index to look at */
	bool gone;		/* a message could not be read */
	uint8_t *chunk;		/* IMAPD_READ_CHUNK, for bodies */
	/* The message being answered. */
	bool in_msg;
	size_t cur;
	long fidx;
	int fd;
	struct mime_message *mime;
	size_t body_i;
	bool first;		/* nothing of the response's list yet */
	bool streaming;
	struct imapd_section src;
	struct imap_crlf conv;
	uint64_t left;		/* literal octets still owed */
	uint64_t raw_pos, raw_end;
	size_t chunk_off, chunk_len;
	bool short_file;
};

/* fetch_msg_end - close the current message's file and tree */
static void
fetch_msg_end(struct fetch_ctx *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	mime_message_free(&c->mime);
	imapd_section_deinit(&c->src);
	c->in_msg = false;
	c->streaming = false;
}

/* fetch_ctx_free - release the command's state */
static void
fetch_ctx_free(void *ctx)
{
	struct fetch_ctx *c = ctx;
	size_t i;

	fetch_msg_end(c);
	for (i = 0; i < c->body_count; i++)
		mem_free(&c->bodies[i].name);
	mem_free(&c->bodies);
	imap_fetch_deinit(&c->fetch);
	imap_seqset_deinit(&c->set);
	mem_free(&c->chunk);
	mem_free(&c);
}

/* fetch_job_free - the job's form of fetch_ctx_free */
static void
fetch_job_free(struct imapd_job *j)
{
	fetch_ctx_free(j);
}

/* body_add - one body item */
static void
body_add(struct fetch_ctx *c, const struct imap_fetch_section *sec,
	 const char *name, bool sets_seen)
{
	struct fetch_body *b;
	struct buf n;

	c->bodies = mem_realloc_array(c->bodies, c->body_count + 1,
				      sizeof(*c->bodies));
	b = &c->bodies[c->body_count++];
	memset(b, 0, sizeof(*b));
	b->sec = *sec;
	b->sets_seen = sets_seen;
	if (name != NULL) {
		b->name = mem_strdup(name);
	} else {
		buf_init(&n, FETCH_NAME_MAX);
		imap_fetch_section_name(sec, &n);
		b->name = mem_strdup(buf_cstr(&n));
		buf_deinit(&n);
	}
	if (sec->part_count > 0 || sec->spec != IMAP_SECTION_ALL)
		c->need_mime = true;
	c->sets_seen |= sets_seen;
}

/* fetch_plan - the body items, RFC822* first */
static void
fetch_plan(struct fetch_ctx *c)
{
	struct imap_fetch_section sec;
	size_t i;

	memset(&sec, 0, sizeof(sec));
	if (c->items & IMAP_FETCH_RFC822_HEADER) {
		sec.spec = IMAP_SECTION_HEADER;
		body_add(c, &sec, "RFC822.HEADER", false);
	}
	if (c->items & IMAP_FETCH_RFC822_TEXT) {
		sec.spec = IMAP_SECTION_TEXT;
		body_add(c, &sec, "RFC822.TEXT", true);
	}
	if (c->items & IMAP_FETCH_RFC822) {
		sec.spec = IMAP_SECTION_ALL;
		body_add(c, &sec, "RFC822", true);
	}
	for (i = 0; i < c->fetch.section_count; i++)
		body_add(c, &c->fetch.sections[i], NULL,
			 !c->fetch.sections[i].peek);
}

/* fetch_work - worker: sync, and the cache's index */
static void
fetch_work(struct imapd_job *j)
{
	struct fetch_ctx *c = (struct fetch_ctx *)j;

	c->rc = imapd_job_sync(j, &c->res, c->error, sizeof(c->error));
	if (c->rc == 0)
		imap_cache_load(j->mbox->cache, j->mbox->folder,
				c->cache_warning, sizeof(c->cache_warning));
}

/* msg_open - open the current message's file (once) */
static int
msg_open(struct imapd_session *s, struct fetch_ctx *c)
{
	const char *error;
	int rc;

	if (c->fd >= 0)
		return 0;
	rc = mailstore_msg_open(s->mbox->folder, (size_t)c->fidx, &c->fd,
				&error);
	if (rc < 0)
		log_warn("imap(%s): %s", s->user, error);
	return rc > 0 ? 0 : -1;
}

/* cache_entry - the message's cached texts, computed when missing */
static int
cache_entry(struct imapd_session *s, struct fetch_ctx *c,
	    struct imap_cache_entry *e)
{
	struct imapd_mbox *mbox = s->mbox;
	uint32_t uid = s->view.msgs[c->cur].uid;
	struct imap_cache_entry ne;
	struct buf env, body, bs;

	if (imap_cache_get(mbox->cache, uid, e) == 1)
		return 0;
	if (c->mime == NULL) {
		if (msg_open(s, c) < 0)
			return -1;
		c->mime = imapd_msg_parse(c->fd, MIME_PARSE_F_ENVELOPE,
					  c->chunk, IMAPD_READ_CHUNK);
		if (c->mime == NULL)
			return -1;
	}
	buf_init(&env, IMAP_CACHE_TEXT_MAX);
	buf_init(&body, IMAP_CACHE_TEXT_MAX);
	buf_init(&bs, IMAP_CACHE_TEXT_MAX);
	if (imap_render_envelope(&env, c->mime->root->envelope) < 0 ||
	    imap_render_body(&body, c->mime->root, false) < 0 ||
	    imap_render_body(&bs, c->mime->root, true) < 0) {
		/* Too large to cache: render straight into the output. */
		buf_deinit(&env);
		buf_deinit(&body);
		buf_deinit(&bs);
		return 1;
	}
	ne.envelope = (const char *)env.data;
	ne.envelope_len = env.len;
	ne.body = (const char *)body.data;
	ne.body_len = body.len;
	ne.bodystructure = (const char *)bs.data;
	ne.bodystructure_len = bs.len;
	imap_cache_put(mbox->cache, uid, &ne);
	buf_deinit(&env);
	buf_deinit(&body);
	buf_deinit(&bs);
	return imap_cache_get(mbox->cache, uid, e) == 1 ? 0 : 1;
}

/* put_item - " NAME " before an item (no space before the first) */
static void
put_item(struct imapd_session *s, bool *first, const char *name)
{
	if (!*first)
		buf_append_byte(&s->out, ' ');
	*first = false;
	buf_append_str(&s->out, name);
	buf_append_byte(&s->out, ' ');
}

/* put_cached - ENVELOPE, BODY, BODYSTRUCTURE; -1 when unavailable */
static int
put_cached(struct imapd_session *s, struct fetch_ctx *c, bool *first)
{
	struct imap_cache_entry e;
	int rc = cache_entry(s, c, &e);

	if (rc < 0)
		return -1;
	if (rc > 0) {
		/* Not cacheable: straight from the tree. */
		if (c->items & IMAP_FETCH_ENVELOPE) {
			put_item(s, first, "ENVELOPE");
			(void)imap_render_envelope(&s->out,
						   c->mime->root->envelope);
		}
		if (c->items & IMAP_FETCH_BODY) {
			put_item(s, first, "BODY");
			(void)imap_render_body(&s->out, c->mime->root, false);
		}
		if (c->items & IMAP_FETCH_BODYSTRUCTURE) {
			put_item(s, first, "BODYSTRUCTURE");
			(void)imap_render_body(&s->out, c->mime->root, true);
		}
		return 0;
	}
	if (c->items & IMAP_FETCH_ENVELOPE) {
		put_item(s, first, "ENVELOPE");
		buf_append(&s->out, e.envelope, e.envelope_len);
	}
	if (c->items & IMAP_FETCH_BODY) {
		put_item(s, first, "BODY");
		buf_append(&s->out, e.body, e.body_len);
	}
	if (c->items & IMAP_FETCH_BODYSTRUCTURE) {
		put_item(s, first, "BODYSTRUCTURE");
		buf_append(&s->out, e.bodystructure, e.bodystructure_len);
	}
	return 0;
}

/* set_seen - give the message \Seen; true when its flags changed */
static bool
set_seen(struct imapd_session *s, struct fetch_ctx *c)
{
	struct imapd_view_msg *e = &s->view.msgs[c->cur];
	struct mailstore_msg *m;
	const char *error;
	int rc;

	if (s->readonly || (e->flags & IMAP_FLAG_SEEN) || c->fidx < 0)
		return false;
	m = mailstore_msg(s->mbox->folder, (size_t)c->fidx);
	rc = mailstore_msg_set_flags(s->mbox->folder, (size_t)c->fidx,
				     m->flags | MAILSTORE_FLAG_SEEN,
				     m->keywords, &error);
	if (rc < 0)
		log_warn("imap(%s): %s", s->user, error);
	if (rc <= 0)
		return false;
	e->flags |= IMAP_FLAG_SEEN;
	return true;
}

/* fetch_msg_begin - open what the message needs, write its first items */
static bool
fetch_msg_begin(struct imapd_session *s, struct fetch_ctx *c)
{
	struct imapd_view_msg *e = &s->view.msgs[c->cur];
	struct mailstore_folder *f = s->mbox->folder;
	struct mailstore_msg *m = NULL;
	bool first = true, flags_changed = false;
	size_t start = s->out.len;

	c->fd = -1;
	c->fidx = -1;
	if (!(e->state & IMAPD_VIEW_GONE)) {
		c->fidx = mailstore_find_uid(f, e->uid);
		if (c->fidx >= 0 &&
		    mailstore_msg(f, (size_t)c->fidx)->expunged)
			c->fidx = -1;
	}
	if (c->fidx >= 0)
		m = mailstore_msg(f, (size_t)c->fidx);
	if ((c->items & ~(IMAP_FETCH_FLAGS | IMAP_FETCH_UID)) != 0 ||
	    c->body_count > 0) {
		if (m == NULL) {
			c->gone = true;
			return false;
		}
		if ((c->body_count > 0 || c->need_mime) &&
		    msg_open(s, c) < 0) {
			c->gone = true;
			return false;
		}
	}
	if (c->need_mime) {
		c->mime = imapd_msg_parse(c->fd, MIME_PARSE_F_ENVELOPE,
					  c->chunk, IMAPD_READ_CHUNK);
		if (c->mime == NULL) {
			log_warn("imap(%s): read %s: %m", s->user,
				 m->filename);
			c->gone = true;
			return false;
		}
	}
	if (c->sets_seen)
		flags_changed = set_seen(s, c);
	buf_printf(&s->out, "* %zu FETCH (", c->cur + 1);
	if (c->items & IMAP_FETCH_UID) {
		put_item(s, &first, "UID");
		buf_printf(&s->out, "%u", (unsigned)e->uid);
	}
	if ((c->items & IMAP_FETCH_FLAGS) || flags_changed) {
		put_item(s, &first, "FLAGS");
		imapd_render_msg_flags(s, &s->out, e);
		/* Told now: no separate FETCH for it later. */
		if (e->state & IMAPD_VIEW_CHANGED) {
			e->state &= (uint8_t)~IMAPD_VIEW_CHANGED;
			s->view.changed--;
		}
	}
	if (c->items & IMAP_FETCH_INTERNALDATE) {
		struct tm tm;
		time_t t = (time_t)m->mtime;

		localtime_r(&t, &tm);
		put_item(s, &first, "INTERNALDATE");
		(void)imap_render_internaldate(&s->out, m->mtime,
					       (int)(tm.tm_gmtoff / 60));
	}
	if (c->items & IMAP_FETCH_RFC822_SIZE) {
		put_item(s, &first, "RFC822.SIZE");
		buf_printf(&s->out, "%llu", (unsigned long long)m->vsize);
	}
	if ((c->items & FETCH_CACHED) && put_cached(s, c, &first) < 0) {
		buf_truncate(&s->out, start);
		log_warn("imap(%s): read %s: %m", s->user, m->filename);
		c->gone = true;
		return false;
	}
	c->in_msg = true;
	c->body_i = 0;
	c->first = first;
	return true;
}

/* body_start - the literal's head for body item body_i */
static int
body_start(struct imapd_session *s, struct fetch_ctx *c)
{
	const struct fetch_body *b = &c->bodies[c->body_i];
	const struct mailstore_msg *m =
		mailstore_msg(s->mbox->folder, (size_t)c->fidx);
	uint64_t skip = 0, size;

	imapd_section_deinit(&c->src);
	if (c->mime != NULL) {
		if (imapd_section_find(&b->sec, c->mime, c->fd, &c->src) < 0)
			return -1;
	} else {
		/* The whole message: sizes from the UID list. */
		memset(&c->src, 0, sizeof(c->src));
		c->src.raw_len = m->size;
		c->src.size = m->vsize;
	}
	size = c->src.size;
	if (b->sec.partial) {
		skip = b->sec.partial_offset < size ? b->sec.partial_offset
						    : size;
		size -= skip;
		if (size > b->sec.partial_count)
			size = b->sec.partial_count;
	}
	buf_printf(&s->out, "%s%s {%llu}\r\n", c->first ? "" : " ", b->name,
		   (unsigned long long)size);
	c->first = false;
	c->left = size;
	imap_crlf_init(&c->conv, skip);
	c->raw_pos = c->src.raw_off;
	c->raw_end = c->src.raw_off + c->src.raw_len;
	c->chunk_off = c->chunk_len = 0;
	c->short_file = false;
	c->streaming = true;
	if (c->src.mem) {
		/* Built text is CR LF already: the skip is a plain offset. */
		c->chunk_off = (size_t)skip;
	}
	return 0;
}

/* body_fill - more of the literal; true when it is complete */
static bool
body_fill(struct imapd_session *s, struct fetch_ctx *c)
{
	while (c->left > 0) {
		size_t room, w, used;
		uint8_t *dst;

		if (imapd_out_full(s))
			return false;
		room = IMAPD_OUT_HIGH_WATER;
		if (room > c->left)
			room = (size_t)c->left;
		if (c->src.mem) {
			buf_append(&s->out, c->src.text.data + c->chunk_off,
				   room);
			c->chunk_off += room;
			c->left -= room;
			continue;
		}
		if (c->chunk_off == c->chunk_len && c->raw_pos < c->raw_end) {
			size_t want = IMAPD_READ_CHUNK;
			ssize_t r;

			if (want > c->raw_end - c->raw_pos)
				want = (size_t)(c->raw_end - c->raw_pos);
			r = pread(c->fd, c->chunk, want, (off_t)c->raw_pos);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				c->raw_end = c->raw_pos;
			} else {
				c->raw_pos += (uint64_t)r;
				c->chunk_off = 0;
				c->chunk_len = (size_t)r;
			}
		}
		dst = buf_reserve(&s->out, room);
		if (c->chunk_off < c->chunk_len) {
			w = imap_crlf_convert(&c->conv, c->chunk + c->chunk_off,
					      c->chunk_len - c->chunk_off, dst,
					      room, &used);
			c->chunk_off += used;
		} else {
			w = imap_crlf_flush(&c->conv, dst, room);
			if (w == 0) {
				/* The file is shorter than announced. */
				memset(dst, ' ', room);
				w = room;
				c->short_file = true;
			}
		}
		buf_commit(&s->out, w);
		c->left -= w;
	}
	if (c->short_file || c->raw_pos < c->raw_end ||
	    c->chunk_off < c->chunk_len)
		log_warn("imap(%s): UID %u: message file size differs from "
			 "its announced size; literal %s",
			 s->user, (unsigned)s->view.msgs[c->cur].uid,
			 c->short_file ? "padded" : "cut");
	c->streaming = false;
	return true;
}

/* fetch_msg_bodies - the body items of the current message */
static bool
fetch_msg_bodies(struct imapd_session *s, struct fetch_ctx *c)
{
	while (c->body_i < c->body_count) {
		if (!c->streaming) {
			if (imapd_out_full(s))
				return false;
			if (body_start(s, c) < 0) {
				/* The head is not out yet: end the response
				 * cleanly, report it at the end. */
				c->gone = true;
				break;
			}
		}
		if (!body_fill(s, c))
			return false;
		c->body_i++;
	}
	buf_append_str(&s->out, ")\r\n");
	fetch_msg_end(c);
	return true;
}

/* fetch_gen - the FETCH responses */
static bool
fetch_gen(struct imapd_session *s)
{
	struct fetch_ctx *c = s->cmd_ctx;
	unsigned batch = 0;

	for (;;) {
		if (c->in_msg) {
			if (!fetch_msg_bodies(s, c))
				return false;
			c->next = c->cur + 1;
		}
		if (imapd_out_full(s) || batch++ >= IMAPD_GEN_BATCH)
			return false;
		c->cur = imapd_set_next(s, &c->set, s->cmd_uid, c->next);
		if (c->cur >= s->view.count)
			break;
		if (!imapd_mbox_usable(s))
			return false;
		if (!fetch_msg_begin(s, c)) {
			fetch_msg_end(c);
			c->next = c->cur + 1;
		}
	}
	if (imap_cache_wants_write(s->mbox->cache))
		imapd_cache_write_start(s);
	if (c->gone)
		imapd_finish(s, "NO", "[EXPUNGEISSUED] Some of the requested "
				      "messages no longer exist.");
	else
		imapd_finish(s, "OK", "Fetch completed.");
	return true;
}

/* fetch_done - loop: the sync's updates, then the generator */
static void
fetch_done(struct imapd_job *j)
{
	struct fetch_ctx *c = (struct fetch_ctx *)j;
	struct imapd_session *s = j->s;

	if (c->cache_warning[0] != '\0')
		log_warn("%s: %s", s->maildir, c->cache_warning);
	if (!imapd_job_refresh(s, &c->res, c->error, c->rc)) {
		fetch_ctx_free(c);
		return;
	}
	/* RFC 3501 7.4.1: no EXPUNGE during FETCH, but UID FETCH may. */
	imapd_updates_start(s, s->cmd_uid);
	/* "*" is the last message the client is now told of. */
	imapd_seqset_resolve_view(s, &c->set, s->cmd_uid);
	imapd_set_ctx(s, c, fetch_ctx_free);
	s->gen = fetch_gen;
}

/* cmd_fetch - FETCH set items */
void
cmd_fetch(struct imapd_session *s, const struct imap_command *cmd)
{
	struct fetch_ctx *c;
	const char *error;

	if (cmd->arg_count != 2) {
		imapd_bad(s, "FETCH needs a message set and items.");
		return;
	}
	c = mem_alloc(sizeof(*c));
	c->fd = -1;
	if (imap_fetch_parse(imap_arg_next(cmd->args), &c->fetch, &error) <
	    0) {
		fetch_ctx_free(c);
		imapd_bad(s, "%s", error);
		return;
	}
	if (imapd_seqset_arg(s, cmd->args, s->cmd_uid, &c->set) < 0) {
		fetch_ctx_free(c);
		return;
	}
	c->items = c->fetch.items;
	/* RFC 3501 6.4.8: UID FETCH always answers the UID. */
	if (s->cmd_uid)
		c->items |= IMAP_FETCH_UID;
	fetch_plan(c);
	if (c->body_count > 0 || (c->items & FETCH_CACHED))
		c->chunk = mem_alloc(IMAPD_READ_CHUNK);
	imapd_job_start(s, &c->job, s->mbox, s->im->mail_pool, fetch_work,
			fetch_done, fetch_job_free);
}

/* The cache writer's job. */
struct cache_write_job {
	struct imapd_job job;
	char error[MAILSTORE_ERROR_MAX];
};

/* cache_write_work - worker: rewrite the cache file */
static void
cache_write_work(struct imapd_job *j)
{
	struct cache_write_job *job = (struct cache_write_job *)j;
	const char *error;

	if (imap_cache_write(j->mbox->cache, j->mbox->folder, &error) < 0)
		snprintf(job->error, sizeof(job->error), "%s", error);
}

/* cache_write_done - loop: log a failure */
static void
cache_write_done(struct imapd_job *j)
{
	struct cache_write_job *job = (struct cache_write_job *)j;

	j->mbox->cache_write_queued = false;
	if (job->error[0] != '\0')
		log_warn("%s: folder %s: %s", j->mbox->maildir, j->mbox->name,
			 job->error);
	mem_free(&job);
}

/* imapd_cache_write_start - a job that writes the cache of s's mailbox */
void
imapd_cache_write_start(struct imapd_session *s)
{
	struct cache_write_job *job;

	if (s->mbox->cache_write_queued)
		return;
	s->mbox->cache_write_queued = true;
	job = mem_alloc(sizeof(*job));
	imapd_job_start(NULL, &job->job, s->mbox, s->im->mail_pool,
			cache_write_work, cache_write_done, cache_write_done);
}
