/*
 * cmd_copy.c - COPY (RFC 3501 6.4.7) and MOVE (RFC 6851), with their UID
 * forms and UIDPLUS's COPYUID (RFC 4315 3).
 *
 * cmd_copy - one job: sync the selected folder, open the destination
 * (the selected folder itself, or a handle of its own), hard-link each
 * message file there under a new name with its flags and keywords (MOVE
 * renames it instead; lib/mailstore_add copies the octets where links
 * do not work), fsync the destination's cur/, sync it to learn the new
 * UIDs, and for MOVE sync the source again. The answer pairs source and
 * destination UIDs in the client's order. MOVE sends the COPYUID in an
 * untagged OK, then the EXPUNGEs, then its tagged OK (RFC 6851 3.3).
 *
 * A destination that does not exist is NO [TRYCREATE] (RFC 3501 6.4.7).
 * Keywords are letters of a folder: each is looked up by name in the
 * destination and given a letter there when new.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapd/imapd.h"
#include "lib/log.h"
#include "lib/mem.h"

/* One message copied. */
struct copy_item {
	uint32_t src_uid;
	uint32_t dst_uid;	/* 0: not learnt */
	char *base;		/* its name in the destination */
};

struct copy_ctx {
	struct imapd_job job;
	bool move;
	char *dest;
	struct copy_item *items;
	size_t count;
	bool gone;
	bool missing;		/* no such destination */
	uint32_t dst_validity;
	int rc;
	struct mailstore_sync_result sync;
	char error[MAILSTORE_ERROR_MAX];
};

/* copy_free - release */
static void
copy_free(struct imapd_job *j)
{
	struct copy_ctx *c = (struct copy_ctx *)j;
	size_t i;

	for (i = 0; i < c->count; i++)
		mem_free(&c->items[i].base);
	mem_free(&c->items);
	mem_free(&c->dest);
	mem_free(&c);
}

/* map_keywords - the destination letters of a source message's keywords */
static int
map_keywords(struct mailstore_folder *src, struct mailstore_folder *dst,
	     uint32_t keywords, uint32_t *out_r, const char **error_r)
{
	unsigned i, idx;

	*out_r = 0;
	if (src == dst) {
		*out_r = keywords;
		return 0;
	}
	for (i = 0; i < MAILSTORE_KEYWORDS_MAX; i++) {
		const char *name = mailstore_keyword_name(src, i);
		int rc;

		if (!(keywords & (1u << i)) || name == NULL)
			continue;
		rc = mailstore_keyword_index(dst, name, true, &idx, error_r);
		if (rc < 0)
			return -1;
		if (rc > 0)
			*out_r |= 1u << idx;
	}
	return 0;
}

/* item_cmp_base - items by destination name */
static int
item_cmp_base(const void *a, const void *b)
{
	const struct copy_item *x = *(const struct copy_item *const *)a;
	const struct copy_item *y = *(const struct copy_item *const *)b;

	return strcmp(x->base != NULL ? x->base : "",
		      y->base != NULL ? y->base : "");
}

/* msg_cmp_base - folder messages by base */
static int
msg_cmp_base(const void *a, const void *b)
{
	const struct mailstore_msg *x = *(const struct mailstore_msg *const *)a;
	const struct mailstore_msg *y = *(const struct mailstore_msg *const *)b;

	return strcmp(x->base, y->base);
}

/* learn_uids - the UIDs the destination's sync gave our new names */
static void
learn_uids(struct copy_ctx *c, struct mailstore_folder *dst,
	   uint32_t old_next)
{
	struct copy_item **items;
	struct mailstore_msg **msgs;
	size_t n = mailstore_count(dst), i, k = 0, m = 0, j = 0;

	items = mem_alloc_array(c->count > 0 ? c->count : 1, sizeof(*items));
	msgs = mem_alloc_array(n > 0 ? n : 1, sizeof(*msgs));
	for (i = 0; i < c->count; i++)
		if (c->items[i].base != NULL)
			items[k++] = &c->items[i];
	for (i = 0; i < n; i++)
		if (mailstore_msg(dst, i)->uid >= old_next)
			msgs[m++] = mailstore_msg(dst, i);
	qsort(items, k, sizeof(*items), item_cmp_base);
	qsort(msgs, m, sizeof(*msgs), msg_cmp_base);
	for (i = 0; i < k && j < m;) {
		int cmp = strcmp(items[i]->base, msgs[j]->base);

		if (cmp == 0)
			items[i++]->dst_uid = msgs[j++]->uid;
		else if (cmp < 0)
			i++;
		else
			j++;
	}
	mem_free(&items);
	mem_free(&msgs);
}

/* copy_work - worker: the copy */
static void
copy_work(struct imapd_job *j)
{
	struct copy_ctx *c = (struct copy_ctx *)j;
	struct mailstore_folder *src, *dst = NULL, *own = NULL;
	struct mailstore_sync_result res;
	struct mailstore_add add;
	char base[MAILSTORE_FILENAME_MAX + 1];
	const char *e = "";
	uint32_t old_next;
	size_t i;

	if ((c->rc = imapd_job_sync(j, &c->sync, c->error,
				    sizeof(c->error))) < 0)
		return;
	src = j->mbox->folder;
	if (strcmp(c->dest, j->mbox->name) == 0) {
		dst = src;
	} else if (mailstore_folder_open(j->mbox->ms, c->dest, &own, &e) <
			   0 ||
		   mailstore_sync(own, 0, &res, &e) < 0) {
		c->missing = strcmp(e, "no such folder") == 0;
		goto fail;
	} else {
		dst = own;
	}
	old_next = mailstore_uidnext(dst);
	mailstore_add_init(&add, dst);
	for (i = 0; i < c->count; i++) {
		struct copy_item *it = &c->items[i];
		long idx = mailstore_find_uid(src, it->src_uid);
		struct mailstore_msg *m;
		uint32_t kw;
		int rc;

		if (idx < 0 || (m = mailstore_msg(src, (size_t)idx))->expunged) {
			c->gone = true;
			continue;
		}
		if (map_keywords(src, dst, m->keywords, &kw, &e) < 0)
			break;
		rc = mailstore_add_copy(&add, src, (size_t)idx, m->flags, kw,
					c->move, base, sizeof(base), &e);
		if (rc < 0)
			break;
		if (rc == 0) {
			c->gone = true;
			continue;
		}
		it->base = mem_strdup(base);
	}
	if (i < c->count || mailstore_add_finish(&add, &e) < 0) {
		mailstore_add_deinit(&add);
		goto fail;
	}
	mailstore_add_deinit(&add);
	/* The new UIDs (RFC 4315 COPYUID). */
	if (mailstore_sync(dst, dst == src ? MAILSTORE_SYNC_MOVE_NEW : 0, &res,
			   &e) < 0)
		goto fail;
	learn_uids(c, dst, old_next);
	c->dst_validity = mailstore_uidvalidity(dst);
	if (c->move && dst != src &&
	    mailstore_sync(src, MAILSTORE_SYNC_MOVE_NEW, &res, &e) < 0)
		goto fail;
	mailstore_folder_free(&own);
	return;
fail:
	c->rc = -1;
	snprintf(c->error, sizeof(c->error), "%s", e);
	mailstore_folder_free(&own);
}

/* put_uid_set - one side of COPYUID: the UIDs in the client's order */
static void
put_uid_set(struct buf *out, const struct copy_ctx *c, bool dst_side)
{
	size_t i = 0, n = 0;

	/* RFC 4315 3: the sets pair up in order when expanded, so each
	 * side is compressed on its own. */
	while (i < c->count) {
		uint32_t first, last;
		size_t k;

		if (c->items[i].dst_uid == 0) {
			i++;
			continue;
		}
		first = dst_side ? c->items[i].dst_uid : c->items[i].src_uid;
		last = first;
		for (k = i + 1; k < c->count; k++) {
			uint32_t u;

			if (c->items[k].dst_uid == 0)
				continue;
			u = dst_side ? c->items[k].dst_uid : c->items[k].src_uid;
			if (u != last + 1)
				break;
			last = u;
		}
		if (n++ > 0)
			buf_append_byte(out, ',');
		buf_printf(out, "%u", (unsigned)first);
		if (last != first)
			buf_printf(out, ":%u", (unsigned)last);
		i = k;
	}
}

/* copy_done - loop: answer */
static void
copy_done(struct imapd_job *j)
{
	struct copy_ctx *c = (struct copy_ctx *)j;
	struct imapd_session *s = j->s;
	const char *verb = c->move ? "Move" : "Copy";
	struct buf code;
	bool any = false;
	size_t i;

	if (c->sync.warning[0] != '\0')
		log_warn("%s", c->sync.warning);
	if (c->rc < 0) {
		if (c->missing) {
			imapd_tagged(s, "NO", "[TRYCREATE] Mailbox doesn't "
					      "exist.");
		} else {
			log_warn("imap(%s): %s: %s", s->user, s->cmd_name,
				 c->error);
			imapd_tagged(s, "NO", "[UNAVAILABLE] Internal error, "
					      "try again later.");
		}
		copy_free(j);
		return;
	}
	for (i = 0; i < c->count; i++)
		any |= c->items[i].dst_uid != 0;
	buf_init(&code, IMAPD_OUT_MAX);
	if (any) {
		buf_printf(&code, "[COPYUID %u ", (unsigned)c->dst_validity);
		put_uid_set(&code, c, false);
		buf_append_byte(&code, ' ');
		put_uid_set(&code, c, true);
		buf_append_str(&code, "] ");
	}
	if (c->move && any) {
		/* RFC 6851 4.3: the COPYUID goes first, untagged. */
		buf_append_str(&s->out, "* OK ");
		buf_append(&s->out, code.data, code.len);
		buf_append_str(&s->out, "Moved UIDs.\r\n");
		buf_reset(&code);
	}
	if (imapd_view_refresh(s) < 0) {
		buf_deinit(&code);
		copy_free(j);
		return;
	}
	/* MOVE may expunge (RFC 6851 3.3); COPY only as a UID command. */
	imapd_updates_start(s, c->move || s->cmd_uid);
	if (c->gone) {
		imapd_finish(s, "NO", "[EXPUNGEISSUED] Some of the messages "
				      "no longer exist.");
	} else {
		/* The COPYUID sets may be long: the line is built here. */
		mem_free(&s->final);
		s->final = mem_asprintf("%s OK %s%s completed.\r\n", s->tag,
					buf_cstr(&code), verb);
	}
	buf_deinit(&code);
	copy_free(j);
}

/* cmd_copy - COPY/MOVE set mailbox */
void
cmd_copy(struct imapd_session *s, const struct imap_command *cmd)
{
	struct imap_seqset set;
	struct copy_ctx *c;
	uint32_t *uids;
	char *dest;
	size_t i;

	if (cmd->arg_count != 2) {
		imapd_bad(s, "%s needs a message set and a mailbox.",
			  s->cmd_name);
		return;
	}
	if (imapd_seqset_arg(s, cmd->args, s->cmd_uid, &set) < 0)
		return;
	if (imapd_mailbox_arg(s, imap_arg_next(cmd->args), &dest) < 0) {
		imap_seqset_deinit(&set);
		return;
	}
	c = mem_alloc(sizeof(*c));
	c->move = strcmp(s->cmd_name, "MOVE") == 0;
	c->dest = dest;
	if (c->move && s->readonly) {
		imap_seqset_deinit(&set);
		copy_free(&c->job);
		imapd_tagged(s, "NO", "[READ-ONLY] Mailbox is read-only.");
		return;
	}
	imapd_seqset_resolve_view(s, &set, s->cmd_uid);
	uids = imapd_set_uids(s, &set, s->cmd_uid, &c->count);
	imap_seqset_deinit(&set);
	c->items = mem_alloc_array(c->count > 0 ? c->count : 1,
				   sizeof(*c->items));
	for (i = 0; i < c->count; i++)
		c->items[i].src_uid = uids[i];
	mem_free(&uids);
	imapd_job_start(s, &c->job, s->mbox, s->im->mail_pool, copy_work,
			copy_done, copy_free);
}
