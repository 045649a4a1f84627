/*
 * view.c - a session's view of its selected mailbox, and the untagged
 * updates that keep the client's copy in step (RFC 3501 5.2, 7.3.1,
 * 7.3.2, 7.4.1).
 *
 * imapd_view_init        - the view at SELECT, from the synced folder
 * imapd_view_deinit      - release it
 * imapd_view_refresh     - compare with the folder after a sync: new
 *                          messages, expunged ones, changed flags
 * imapd_updates_start    - queue the updates for sending
 * imapd_updates_fill     - the generator that sends them
 * imapd_view_flags_line  - "* FLAGS" and "* OK [PERMANENTFLAGS ...]"
 * imapd_flags_from_store, imapd_flags_to_store - Maildir letters <-> IMAP
 * imapd_render_msg_flags - a message's flag list
 * imapd_view_find_uid    - sequence index of a UID
 * imapd_seqset_arg       - a sequence set argument, resolved
 * imapd_set_next         - walk a set over the view
 *
 * Sequence numbers are this session's: the view changes only when the
 * session is told. Messages another session expunged stay in the view
 * (IMAPD_VIEW_GONE) until an EXPUNGE may be sent: never while answering
 * FETCH, STORE or SEARCH (RFC 3501 7.4.1), always at NOOP, CHECK, IDLE
 * and the UID commands. EXPUNGEs go out from the highest sequence number
 * down, so each number is right when the client reads it; EXISTS never
 * shrinks without them. The view's keyword names are copies, so flag
 * lists can be written while a job holds the folder. Loop thread only;
 * imapd_view_refresh only while the mailbox is usable.
 */
#include <stdio.h>
#include <string.h>

#include "imapd/imapd.h"
#include "imapd/render.h"
#include "lib/checked.h"
#include "lib/log.h"
#include "lib/mem.h"

/* Maildir letters of the flags IMAP knows (docs/mailstore.md). */
#define STORE_IMAP_MASK                                                     \
	(MAILSTORE_FLAG_REPLIED | MAILSTORE_FLAG_FLAGGED |                  \
	 MAILSTORE_FLAG_TRASHED | MAILSTORE_FLAG_SEEN | MAILSTORE_FLAG_DRAFT)

enum {
	PHASE_FLAGS,	/* new keywords: FLAGS, PERMANENTFLAGS */
	PHASE_EXPUNGE,
	PHASE_FETCH,
	PHASE_EXISTS,
};

/* imapd_flags_from_store - IMAP_FLAG_* of Maildir letters */
unsigned
imapd_flags_from_store(uint32_t f)
{
	unsigned r = 0;

	if (f & MAILSTORE_FLAG_REPLIED)
		r |= IMAP_FLAG_ANSWERED;
	if (f & MAILSTORE_FLAG_FLAGGED)
		r |= IMAP_FLAG_FLAGGED;
	if (f & MAILSTORE_FLAG_TRASHED)
		r |= IMAP_FLAG_DELETED;
	if (f & MAILSTORE_FLAG_SEEN)
		r |= IMAP_FLAG_SEEN;
	if (f & MAILSTORE_FLAG_DRAFT)
		r |= IMAP_FLAG_DRAFT;
	return r;
}

/* imapd_flags_to_store - Maildir letters; others in old stay */
uint32_t
imapd_flags_to_store(unsigned f, uint32_t old)
{
	uint32_t r = old & ~STORE_IMAP_MASK;

	if (f & IMAP_FLAG_ANSWERED)
		r |= MAILSTORE_FLAG_REPLIED;
	if (f & IMAP_FLAG_FLAGGED)
		r |= MAILSTORE_FLAG_FLAGGED;
	if (f & IMAP_FLAG_DELETED)
		r |= MAILSTORE_FLAG_TRASHED;
	if (f & IMAP_FLAG_SEEN)
		r |= MAILSTORE_FLAG_SEEN;
	if (f & IMAP_FLAG_DRAFT)
		r |= MAILSTORE_FLAG_DRAFT;
	return r;
}

/* view_reserve - room for one more entry */
static void
view_reserve(struct imapd_view *v)
{
	size_t cap;

	if (v->count < v->cap)
		return;
	if (!checked_grow(v->cap, v->count + 1, MAILSTORE_MESSAGES_MAX, &cap))
		log_panic("imapd: view past the message limit");
	v->msgs = mem_realloc_array(v->msgs, cap, sizeof(*v->msgs));
	v->cap = cap;
}

/* view_keywords_copy - names of the folder's keyword letters */
static void
view_keywords_copy(struct imapd_view *v, struct mailstore_folder *f)
{
	unsigned i;

	for (i = 0; i < MAILSTORE_KEYWORDS_MAX; i++) {
		const char *name = mailstore_keyword_name(f, i);

		if (name == NULL ||
		    (v->keywords[i] != NULL && strcmp(v->keywords[i], name) ==
						       0))
			continue;
		mem_free(&v->keywords[i]);
		v->keywords[i] = mem_strdup(name);
	}
}

/* view_add - append message m of the folder */
static void
view_add(struct imapd_session *s, struct mailstore_msg *m)
{
	struct imapd_view *v = &s->view;
	struct imapd_view_msg *e;

	view_reserve(v);
	e = &v->msgs[v->count++];
	e->uid = m->uid;
	e->flags = (uint8_t)imapd_flags_from_store(m->flags);
	e->keywords = m->keywords;
	e->state = 0;
	/* \Recent belongs to one session: the first writer to see it. */
	if (m->recent && !s->readonly) {
		m->recent = false;
		e->flags |= IMAP_FLAG_RECENT;
		v->recent++;
	}
}

/* imapd_view_init - the view of a freshly synced folder */
void
imapd_view_init(struct imapd_session *s)
{
	struct mailstore_folder *f = s->mbox->folder;
	struct imapd_view *v = &s->view;
	size_t i, n = mailstore_count(f);

	imapd_view_deinit(v);
	v->uidvalidity = mailstore_uidvalidity(f);
	for (i = 0; i < n; i++) {
		struct mailstore_msg *m = mailstore_msg(f, i);

		if (!m->expunged)
			view_add(s, m);
	}
	view_keywords_copy(v, f);
	v->exists_sent = v->count;
	v->recent_sent = v->recent;
	for (i = 0; i < MAILSTORE_KEYWORDS_MAX; i++)
		if (v->keywords[i] != NULL)
			v->keywords_sent |= 1u << i;
}

/* imapd_view_deinit - release the view */
void
imapd_view_deinit(struct imapd_view *v)
{
	size_t i;

	for (i = 0; i < MAILSTORE_KEYWORDS_MAX; i++)
		mem_free(&v->keywords[i]);
	mem_free(&v->msgs);
	memset(v, 0, sizeof(*v));
}

/* imapd_view_refresh - learn what changed in the folder */
int
imapd_view_refresh(struct imapd_session *s)
{
	struct mailstore_folder *f = s->mbox->folder;
	struct imapd_view *v = &s->view;
	size_t i, j = 0, n = mailstore_count(f);
	uint32_t last = v->count > 0 ? v->msgs[v->count - 1].uid : 0;

	if (mailstore_uidvalidity(f) != v->uidvalidity) {
		/* Every UID changed (a lost or damaged list was rebuilt):
		 * the client must start over. */
		imapd_untagged(s, "BYE [UIDVALIDITY] The mailbox was "
				  "renumbered; please reconnect.");
		imapd_session_close(s, "UIDVALIDITY changed");
		return -1;
	}
	view_keywords_copy(v, f);
	for (i = 0; i < v->count; i++) {
		struct imapd_view_msg *e = &v->msgs[i];
		struct mailstore_msg *m;
		unsigned flags;

		if (e->state & IMAPD_VIEW_GONE)
			continue;
		while (j < n && mailstore_msg(f, j)->uid < e->uid)
			j++;
		if (j >= n || (m = mailstore_msg(f, j))->uid != e->uid ||
		    m->expunged) {
			e->state |= IMAPD_VIEW_GONE;
			v->gone++;
			continue;
		}
		flags = imapd_flags_from_store(m->flags) |
			(e->flags & IMAP_FLAG_RECENT);
		if (flags != e->flags || m->keywords != e->keywords) {
			e->flags = (uint8_t)flags;
			e->keywords = m->keywords;
			if (!(e->state & IMAPD_VIEW_CHANGED)) {
				e->state |= IMAPD_VIEW_CHANGED;
				v->changed++;
			}
		}
	}
	for (; j < n; j++) {
		struct mailstore_msg *m = mailstore_msg(f, j);

		if (m->uid > last && !m->expunged)
			view_add(s, m);
	}
	return 0;
}

/* imapd_updates_start - send the pending updates before the tagged line */
void
imapd_updates_start(struct imapd_session *s, bool allow_expunge)
{
	struct imapd_view *v = &s->view;
	uint32_t letters = 0;
	unsigned i;

	/* Already on their way: the generator must not start over (it
	 * would send EXPUNGEs twice); nothing refreshes the view meanwhile
	 * (jobs.c's idle_notify waits). */
	MR_ASSERT(!v->pending);
	for (i = 0; i < MAILSTORE_KEYWORDS_MAX; i++)
		if (v->keywords[i] != NULL)
			letters |= 1u << i;
	if (v->changed == 0 && v->count == v->exists_sent &&
	    v->recent == v->recent_sent && (letters & ~v->keywords_sent) == 0 &&
	    (v->gone == 0 || !allow_expunge))
		return;
	v->pending = true;
	v->allow_expunge = allow_expunge;
	v->uid_fetch = s->cmd_uid;
	v->phase = PHASE_FLAGS;
	v->cursor = v->count;
}

/* imapd_render_msg_flags - "(\Seen kw ...)" of one message */
void
imapd_render_msg_flags(struct imapd_session *s, struct buf *out,
		       const struct imapd_view_msg *e)
{
	const char *names[MAILSTORE_KEYWORDS_MAX];
	size_t count = 0;
	unsigned i;

	for (i = 0; i < MAILSTORE_KEYWORDS_MAX; i++)
		if ((e->keywords & (1u << i)) && s->view.keywords[i] != NULL)
			names[count++] = s->view.keywords[i];
	/* Far below IMAPD_OUT_MAX: 26 names of 64 octets. */
	(void)imap_render_flags(out, e->flags, names, count);
}

/* imapd_view_flags_line - FLAGS and PERMANENTFLAGS of the mailbox */
void
imapd_view_flags_line(struct imapd_session *s)
{
	struct imapd_view *v = &s->view;
	unsigned i, used = 0;

	buf_append_str(&s->out, "* FLAGS (\\Answered \\Flagged \\Deleted "
				"\\Seen \\Draft");
	for (i = 0; i < MAILSTORE_KEYWORDS_MAX; i++) {
		if (v->keywords[i] == NULL)
			continue;
		buf_printf(&s->out, " %s", v->keywords[i]);
		used++;
	}
	buf_append_str(&s->out, ")\r\n");
	if (s->readonly) {
		imapd_untagged(s, "OK [PERMANENTFLAGS ()] Read-only mailbox.");
		return;
	}
	buf_append_str(&s->out, "* OK [PERMANENTFLAGS (\\Answered \\Flagged "
				"\\Deleted \\Seen \\Draft");
	for (i = 0; i < MAILSTORE_KEYWORDS_MAX; i++)
		if (v->keywords[i] != NULL)
			buf_printf(&s->out, " %s", v->keywords[i]);
	/* New keywords while a letter is free (docs/mailstore.md). */
	if (used < MAILSTORE_KEYWORDS_MAX)
		buf_append_str(&s->out, " \\*");
	buf_append_str(&s->out, ")] Flags permitted.\r\n");
}

/* updates_expunge - EXPUNGE for gone entries, highest first */
static bool
updates_expunge(struct imapd_session *s)
{
	struct imapd_view *v = &s->view;
	size_t i, kept;

	while (v->cursor > 0) {
		struct imapd_view_msg *e = &v->msgs[v->cursor - 1];

		if (imapd_out_full(s))
			return false;
		if (e->state & IMAPD_VIEW_GONE) {
			buf_printf(&s->out, "* %zu EXPUNGE\r\n", v->cursor);
			v->exists_sent--;
		}
		v->cursor--;
	}
	for (i = 0, kept = 0; i < v->count; i++) {
		struct imapd_view_msg *e = &v->msgs[i];

		if (e->state & IMAPD_VIEW_GONE) {
			if (e->flags & IMAP_FLAG_RECENT) {
				v->recent--;
				v->recent_sent--;
			}
			if (e->state & IMAPD_VIEW_CHANGED)
				v->changed--;
			continue;
		}
		v->msgs[kept++] = *e;
	}
	v->count = kept;
	v->gone = 0;
	return true;
}

/* updates_fetch - FETCH FLAGS for entries whose flags changed */
static bool
updates_fetch(struct imapd_session *s)
{
	struct imapd_view *v = &s->view;

	for (; v->cursor < v->count && v->changed > 0; v->cursor++) {
		struct imapd_view_msg *e = &v->msgs[v->cursor];

		if (!(e->state & IMAPD_VIEW_CHANGED))
			continue;
		if (imapd_out_full(s))
			return false;
		e->state &= (uint8_t)~IMAPD_VIEW_CHANGED;
		v->changed--;
		if (e->state & IMAPD_VIEW_GONE)
			continue;
		buf_printf(&s->out, "* %zu FETCH (", v->cursor + 1);
		if (v->uid_fetch)
			buf_printf(&s->out, "UID %u ", (unsigned)e->uid);
		buf_append_str(&s->out, "FLAGS ");
		imapd_render_msg_flags(s, &s->out, e);
		buf_append_str(&s->out, ")\r\n");
	}
	return true;
}

/* imapd_updates_fill - send the updates; true when all are out */
bool
imapd_updates_fill(struct imapd_session *s)
{
	struct imapd_view *v = &s->view;
	uint32_t letters = 0;
	unsigned i;

	switch (v->phase) {
	case PHASE_FLAGS:
		for (i = 0; i < MAILSTORE_KEYWORDS_MAX; i++)
			if (v->keywords[i] != NULL)
				letters |= 1u << i;
		if ((letters & ~v->keywords_sent) != 0) {
			imapd_view_flags_line(s);
			v->keywords_sent = letters;
		}
		v->phase = PHASE_EXPUNGE;
		v->cursor = v->count;
		/* fall through */
	case PHASE_EXPUNGE:
		if (v->allow_expunge && v->gone > 0 && !updates_expunge(s))
			return false;
		v->phase = PHASE_FETCH;
		v->cursor = 0;
		/* fall through */
	case PHASE_FETCH:
		if (!updates_fetch(s))
			return false;
		v->phase = PHASE_EXISTS;
		/* fall through */
	default:
		if (v->count != v->exists_sent) {
			buf_printf(&s->out, "* %zu EXISTS\r\n", v->count);
			v->exists_sent = v->count;
			buf_printf(&s->out, "* %zu RECENT\r\n", v->recent);
			v->recent_sent = v->recent;
		} else if (v->recent != v->recent_sent) {
			buf_printf(&s->out, "* %zu RECENT\r\n", v->recent);
			v->recent_sent = v->recent;
		}
		v->pending = false;
		/* An idler told of more changes while these went out. */
		if (s->idling && s->idle_recheck && !s->mbox->busy) {
			s->idle_recheck = false;
			if (imapd_view_refresh(s) == 0)
				imapd_updates_start(s, true);
		}
		return true;
	}
}

/* imapd_view_find_uid - index of uid, or -1 */
long
imapd_view_find_uid(const struct imapd_view *v, uint32_t uid)
{
	size_t lo = 0, hi = v->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->msgs[mid].uid == uid)
			return (long)mid;
		if (v->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* view_max - the largest sequence number or UID in the view */
static uint32_t
view_max(const struct imapd_session *s, bool uid)
{
	const struct imapd_view *v = &s->view;

	if (uid)
		return v->count > 0 ? v->msgs[v->count - 1].uid : 0;
	return (uint32_t)v->count;
}

/* imapd_seqset_arg - parse a set (left unresolved); BAD on error */
int
imapd_seqset_arg(struct imapd_session *s, const struct imap_arg *a, bool uid,
		 struct imap_seqset *set)
{
	struct imap_seqset check;
	const char *error;
	uint32_t max = view_max(s, uid);

	memset(set, 0, sizeof(*set));
	if (a->type != IMAP_ARG_ATOM ||
	    imap_seqset_parse(a->str, a->len, set, &error) < 0) {
		imap_seqset_deinit(set);
		imapd_bad(s, "Invalid message set.");
		return -1;
	}
	if (uid)
		return 0;
	/* RFC 3501 9: a sequence number the client was not told of. The
	 * view only grows until the client is told, so checking now is
	 * checking for the whole command. */
	check.count = set->count;
	check.ranges = mem_alloc_array(set->count > 0 ? set->count : 1,
				       sizeof(*check.ranges));
	memcpy(check.ranges, set->ranges, set->count * sizeof(*set->ranges));
	check.resolved = false;
	imap_seqset_resolve(&check, max);
	if (check.count > 0 && check.ranges[check.count - 1].hi > max) {
		imap_seqset_deinit(&check);
		imap_seqset_deinit(set);
		imapd_bad(s, "Invalid message sequence number.");
		return -1;
	}
	imap_seqset_deinit(&check);
	return 0;
}

/* imapd_seqset_resolve_view - "*" is the view's last message now */
void
imapd_seqset_resolve_view(const struct imapd_session *s,
			  struct imap_seqset *set, bool uid)
{
	imap_seqset_resolve(set, view_max(s, uid));
}

/* uid_first_at_least - first view index whose UID is >= uid */
static size_t
uid_first_at_least(const struct imapd_view *v, size_t from, uint32_t uid)
{
	size_t lo = from, hi = v->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* range_at_least - first range whose hi >= n, or count */
static size_t
range_at_least(const struct imap_seqset *set, uint32_t n)
{
	size_t lo = 0, hi = set->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (set->ranges[mid].hi < n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* imapd_set_next - the first view index >= from in the set, or count */
size_t
imapd_set_next(const struct imapd_session *s, const struct imap_seqset *set,
	       bool uid, size_t from)
{
	const struct imapd_view *v = &s->view;
	size_t r;

	while (from < v->count) {
		uint32_t n = uid ? v->msgs[from].uid : (uint32_t)(from + 1);

		r = range_at_least(set, n);
		if (r >= set->count)
			return v->count;
		if (set->ranges[r].lo <= n)
			return from;
		/* Skip to the range's start. */
		if (uid)
			from = uid_first_at_least(v, from, set->ranges[r].lo);
		else
			from = set->ranges[r].lo - 1;
	}
	return v->count;
}

/* imapd_set_uids - the UIDs of the view's messages in a resolved set */
uint32_t *
imapd_set_uids(const struct imapd_session *s, const struct imap_seqset *set,
	       bool uid, size_t *count_r)
{
	const struct imapd_view *v = &s->view;
	uint32_t *uids = NULL;
	size_t n = 0, cap = 0, i;

	for (i = imapd_set_next(s, set, uid, 0); i < v->count;
	     i = imapd_set_next(s, set, uid, i + 1)) {
		if (n == cap) {
			if (!checked_grow(cap, n + 1, MAILSTORE_MESSAGES_MAX,
					  &cap))
				log_panic("imapd: set past the message limit");
			uids = mem_realloc_array(uids, cap, sizeof(*uids));
		}
		uids[n++] = v->msgs[i].uid;
	}
	*count_r = n;
	return uids;
}
