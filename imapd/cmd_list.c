/*
 * cmd_list.c - LIST and LSUB (RFC 3501 6.3.8, 6.3.9; CHILDREN of RFC
 * 3348, SPECIAL-USE attributes of RFC 6154) and STATUS (6.3.10).
 *
 * cmd_list, cmd_status
 * imapd_list_match  - a LIST pattern against a name ("*", "%")
 * imapd_special_use - the special-use attribute of a folder name
 *
 * LIST reads the Maildir root in a mail worker, adds the parents that
 * have no directory of their own (Maildir++ allows "A.B" without "A";
 * they are shown \Noselect), sorts, matches and builds the response
 * lines there; the loop thread only copies them out. STATUS syncs the
 * folder through a handle of its own (without moving new mail: the
 * messages in new/ are the recent ones).
 *
 * Input: patterns from the client (at most IMAP_MAILBOX_MAX octets,
 * matched in O(pattern x name) without recursion); directory names of
 * the user's Maildir, listed only when lib/mailstore_name accepts them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapd/imapd.h"
#include "imapd/render.h"
#include "imapd/subscriptions.h"
#include "lib/checked.h"
#include "lib/log.h"
#include "lib/mem.h"

/* Folders listed by one LIST: more are left out. */
#define IMAPD_LIST_MAX 100000
/* Response lines of one LIST. */
#define IMAPD_LIST_OUT_MAX (32u * 1024 * 1024)

/* imapd_special_use - "\Sent" for "Sent", ..., else NULL */
const char *
imapd_special_use(const char *name)
{
	static const char *const attrs[IMAPD_SPECIAL_FOLDERS] = {
		"\\Drafts", "\\Sent", "\\Trash", "\\Junk",
	};
	int i;

	for (i = 0; i < IMAPD_SPECIAL_FOLDERS; i++)
		if (strcmp(name, imapd_special_folders[i]) == 0)
			return attrs[i];
	return NULL;
}

/* match_char - pattern octet p against name octet c at position i */
static bool
match_char(char p, char c, size_t i, bool inbox)
{
	if (inbox && i < 5)
		return (p | 0x20) == (c | 0x20) && p != '.';
	return p == c;
}

/* imapd_list_match - whether name matches pattern */
bool
imapd_list_match(const char *pattern, const char *name)
{
	/* Positions of name reachable after the pattern so far. */
	bool reach[MAILSTORE_FOLDER_NAME_MAX + 2], next[sizeof(reach)];
	size_t n = strlen(name), i, j;
	bool inbox = strcmp(name, "INBOX") == 0, any;

	if (n > MAILSTORE_FOLDER_NAME_MAX)
		return false;
	memset(reach, 0, sizeof(reach));
	reach[0] = true;
	for (i = 0; pattern[i] != '\0'; i++) {
		char p = pattern[i];

		memset(next, 0, sizeof(next));
		any = false;
		if (p == '*') {
			for (j = 0; j <= n && !reach[j]; j++)
				;
			for (; j <= n; j++)
				next[j] = any = true;
		} else if (p == '%') {
			bool on = false;

			/* From each reachable position up to the next '.'. */
			for (j = 0; j <= n; j++) {
				if (reach[j])
					on = true;
				if (on)
					next[j] = any = true;
				if (j < n && name[j] == '.')
					on = false;
			}
		} else {
			for (j = 0; j < n; j++)
				if (reach[j] && match_char(p, name[j], j, inbox))
					next[j + 1] = any = true;
		}
		if (!any)
			return false;
		memcpy(reach, next, sizeof(reach));
	}
	return reach[n];
}

/* One folder of the listing. */
struct list_item {
	char *name;
	bool exists;		/* a directory (or INBOX) */
	bool subscribed;
};

struct list_job {
	struct imapd_job job;
	bool lsub;
	char *maildir;
	char *pattern;		/* reference + pattern */
	struct list_item *items;
	size_t count, cap;
	struct buf out;		/* the response lines */
	size_t sent;
	int rc;
	char error[MAILSTORE_ERROR_MAX];
};

/* list_job_free - release */
static void
list_job_free(struct imapd_job *j)
{
	struct list_job *job = (struct list_job *)j;
	size_t i;

	for (i = 0; i < job->count; i++)
		mem_free(&job->items[i].name);
	mem_free(&job->items);
	mem_free(&job->maildir);
	mem_free(&job->pattern);
	buf_deinit(&job->out);
	mem_free(&job);
}

/* list_push - one more name */
static int
list_push(struct list_job *job, const char *name, size_t len, bool exists)
{
	size_t cap;

	if (job->count == job->cap) {
		if (!checked_grow(job->cap, job->count + 1, IMAPD_LIST_MAX,
				  &cap))
			return -1;
		job->items = mem_realloc_array(job->items, cap,
					       sizeof(*job->items));
		job->cap = cap;
	}
	memset(&job->items[job->count], 0, sizeof(job->items[0]));
	job->items[job->count].name = mem_strndup(name, len);
	job->items[job->count].exists = exists;
	job->count++;
	return 0;
}

/* list_collect - mailstore_folder_list callback */
static int
list_collect(void *ctx, const char *name)
{
	struct list_job *job = ctx;

	(void)list_push(job, name, strlen(name), true);
	return 0;
}

/* item_cmp - by name; INBOX first */
static int
item_cmp(const void *a, const void *b)
{
	const struct list_item *x = a, *y = b;
	int c;

	if (strcmp(x->name, "INBOX") == 0 || strcmp(y->name, "INBOX") == 0)
		return strcmp(x->name, "INBOX") == 0 ? -1
		       : strcmp(y->name, "INBOX") == 0 ? 1
						       : 0;
	c = strcmp(x->name, y->name);
	if (c != 0)
		return c;
	/* A real folder before a parent made up for the same name. */
	return (int)y->exists - (int)x->exists;
}

/* list_add_parents - "A" for "A.B" when "A" has no directory */
static void
list_add_parents(struct list_job *job)
{
	size_t i, n = job->count, k;

	for (i = 0; i < n; i++) {
		const char *name = job->items[i].name;
		size_t len = strlen(name);

		for (k = 1; k < len; k++)
			if (name[k] == '.')
				(void)list_push(job, name, k, false);
	}
	qsort(job->items, job->count, sizeof(*job->items), item_cmp);
	/* Drop duplicates: the first of a run is the one to keep. */
	for (i = 0, k = 0; i < job->count; i++) {
		if (k > 0 &&
		    strcmp(job->items[k - 1].name, job->items[i].name) == 0) {
			job->items[k - 1].subscribed |= job->items[i].subscribed;
			mem_free(&job->items[i].name);
			continue;
		}
		job->items[k++] = job->items[i];
	}
	job->count = k;
}

/* has_children - whether item i (sorted) has a name below it */
static bool
has_children(const struct list_job *job, size_t i)
{
	const char *name = job->items[i].name;
	size_t len = strlen(name);

	/* Children sort right after the parent (after "name" + '.'), but
	 * names like "A-B" (sorting between "A" and "A.B") may come
	 * first: look on while names start with "name". */
	for (i++; i < job->count; i++) {
		const char *other = job->items[i].name;

		if (strncmp(other, name, len) != 0)
			return false;
		if (other[len] == '.')
			return true;
	}
	return false;
}

/* list_line - one LIST/LSUB response line */
static void
list_line(struct list_job *job, size_t i)
{
	const struct list_item *it = &job->items[i];
	const char *special = imapd_special_use(it->name);
	bool children = has_children(job, i);
	bool first = true;

	buf_printf(&job->out, "* %s (", job->lsub ? "LSUB" : "LIST");
	if (!job->lsub ? !it->exists : !it->subscribed) {
		buf_append_str(&job->out, "\\Noselect");
		first = false;
	}
	if (!job->lsub) {
		buf_printf(&job->out, "%s%s", first ? "" : " ",
			   children ? "\\HasChildren" : "\\HasNoChildren");
		first = false;
		if (special != NULL && it->exists)
			buf_printf(&job->out, " %s", special);
	}
	buf_append_str(&job->out, ") \".\" ");
	(void)imap_render_string(&job->out, it->name, strlen(it->name));
	buf_append_str(&job->out, "\r\n");
}

/* list_work - worker: read, sort, match, build the lines */
static void
list_work(struct imapd_job *j)
{
	struct list_job *job = (struct list_job *)j;
	struct mailstore *ms = mailstore_new(job->maildir);
	struct imap_subs subs;
	const char *e = "";
	int root;
	size_t i;

	memset(&subs, 0, sizeof(subs));
	root = mailstore_root_fd(ms, &e);
	if (root < 0 || imap_subs_read(root, &subs, &e) < 0) {
		job->rc = -1;
		goto out;
	}
	if (job->lsub) {
		for (i = 0; i < subs.count; i++)
			if (list_push(job, subs.names[i],
				      strlen(subs.names[i]), true) == 0)
				job->items[job->count - 1].subscribed = true;
	} else if (mailstore_folder_list(ms, list_collect, job, &e) < 0) {
		job->rc = -1;
		goto out;
	}
	list_add_parents(job);
	for (i = 0; i < job->count; i++) {
		if (!imapd_list_match(job->pattern, job->items[i].name))
			continue;
		if (!buf_has_room(&job->out, IMAPD_LINE_MAX))
			break;
		list_line(job, i);
	}
out:
	if (job->rc < 0)
		snprintf(job->error, sizeof(job->error), "%s", e);
	imap_subs_deinit(&subs);
	mailstore_free(&ms);
}

/* list_gen - copy the lines out */
static bool
list_gen(struct imapd_session *s)
{
	struct list_job *job = s->cmd_ctx;

	while (job->sent < job->out.len) {
		size_t n = job->out.len - job->sent;

		if (imapd_out_full(s))
			return false;
		if (n > IMAPD_OUT_HIGH_WATER)
			n = IMAPD_OUT_HIGH_WATER;
		buf_append(&s->out, job->out.data + job->sent, n);
		job->sent += n;
	}
	return true;
}

/* list_ctx_free - the job as the command's state */
static void
list_ctx_free(void *ctx)
{
	list_job_free(ctx);
}

/* list_done - loop: send */
static void
list_done(struct imapd_job *j)
{
	struct list_job *job = (struct list_job *)j;
	struct imapd_session *s = j->s;

	if (job->rc < 0) {
		log_warn("imap(%s): %s: %s", s->user, s->cmd_name, job->error);
		imapd_tagged(s, "NO", "[UNAVAILABLE] Internal error, try "
				      "again later.");
		list_job_free(j);
		return;
	}
	imapd_set_ctx(s, job, list_ctx_free);
	s->gen = list_gen;
	imapd_finish(s, "OK", "%s completed.",
		     job->lsub ? "Lsub" : "List");
}

/* cmd_list - LIST/LSUB reference pattern */
void
cmd_list(struct imapd_session *s, const struct imap_command *cmd)
{
	const char *ref, *pat;
	size_t ref_len, pat_len;
	struct list_job *job;

	if (cmd->arg_count != 2 || !imap_arg_astring(cmd->args, &ref, &ref_len) ||
	    !imap_arg_astring(imap_arg_next(cmd->args), &pat, &pat_len) ||
	    strlen(ref) != ref_len || strlen(pat) != pat_len) {
		imapd_bad(s, "%s needs a reference and a pattern.",
			  s->cmd_name);
		return;
	}
	if (pat_len == 0 && strcmp(s->cmd_name, "LIST") == 0) {
		/* RFC 3501 6.3.8: the hierarchy delimiter. */
		imapd_untagged(s, "LIST (\\Noselect) \".\" \"\"");
		imapd_tagged(s, "OK", "List completed.");
		return;
	}
	job = mem_alloc(sizeof(*job));
	job->lsub = strcmp(s->cmd_name, "LSUB") == 0;
	job->maildir = mem_strdup(s->maildir);
	job->pattern = mem_asprintf("%s%s", ref, pat);
	buf_init(&job->out, IMAPD_LIST_OUT_MAX);
	imapd_job_start(s, &job->job, NULL, s->im->mail_pool, list_work,
			list_done, list_job_free);
}

/* STATUS items (RFC 3501 6.3.10). */
enum status_item {
	ST_MESSAGES,
	ST_RECENT,
	ST_UIDNEXT,
	ST_UIDVALIDITY,
	ST_UNSEEN,
};

static const char *const status_names[] = {
	"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN",
};

#define STATUS_ITEMS_MAX 16

struct status_job {
	struct imapd_job job;
	char *maildir;
	char *name;
	enum status_item items[STATUS_ITEMS_MAX];
	size_t item_count;
	uint64_t values[5];
	int rc;
	char error[MAILSTORE_ERROR_MAX];
	char warning[MAILSTORE_ERROR_MAX];
};

/* status_job_free - release */
static void
status_job_free(struct imapd_job *j)
{
	struct status_job *job = (struct status_job *)j;

	mem_free(&job->maildir);
	mem_free(&job->name);
	mem_free(&job);
}

/* status_work - worker: sync a handle of our own and count */
static void
status_work(struct imapd_job *j)
{
	struct status_job *job = (struct status_job *)j;
	struct mailstore *ms = mailstore_new(job->maildir);
	struct mailstore_folder *f = NULL;
	struct mailstore_sync_result res;
	const char *e;
	size_t i, n;

	if (mailstore_folder_open(ms, job->name, &f, &e) < 0 ||
	    mailstore_sync(f, 0, &res, &e) < 0) {
		job->rc = -1;
		snprintf(job->error, sizeof(job->error), "%s", e);
		goto out;
	}
	snprintf(job->warning, sizeof(job->warning), "%s", res.warning);
	n = mailstore_count(f);
	job->values[ST_MESSAGES] = n;
	job->values[ST_UIDNEXT] = mailstore_uidnext(f);
	job->values[ST_UIDVALIDITY] = mailstore_uidvalidity(f);
	for (i = 0; i < n; i++) {
		const struct mailstore_msg *m = mailstore_msg(f, i);

		if (m->in_new)
			job->values[ST_RECENT]++;
		if (!(m->flags & MAILSTORE_FLAG_SEEN))
			job->values[ST_UNSEEN]++;
	}
out:
	mailstore_folder_free(&f);
	mailstore_free(&ms);
}

/* status_done - loop: answer */
static void
status_done(struct imapd_job *j)
{
	struct status_job *job = (struct status_job *)j;
	struct imapd_session *s = j->s;
	size_t i;

	if (job->warning[0] != '\0')
		log_warn("%s", job->warning);
	if (job->rc < 0) {
		if (strcmp(job->error, "no such folder") == 0) {
			imapd_tagged(s, "NO", "[NONEXISTENT] Mailbox doesn't "
					      "exist.");
		} else {
			log_warn("imap(%s): STATUS: %s", s->user, job->error);
			imapd_tagged(s, "NO", "[UNAVAILABLE] Internal error, "
					      "try again later.");
		}
		status_job_free(j);
		return;
	}
	buf_append_str(&s->out, "* STATUS ");
	(void)imap_render_string(&s->out, job->name, strlen(job->name));
	buf_append_str(&s->out, " (");
	for (i = 0; i < job->item_count; i++)
		buf_printf(&s->out, "%s%s %llu", i > 0 ? " " : "",
			   status_names[job->items[i]],
			   (unsigned long long)job->values[job->items[i]]);
	buf_append_str(&s->out, ")\r\n");
	imapd_tagged(s, "OK", "Status completed.");
	status_job_free(j);
}

/* cmd_status - STATUS mailbox (items) */
void
cmd_status(struct imapd_session *s, const struct imap_command *cmd)
{
	const struct imap_arg *list, *a;
	struct status_job *job;
	size_t i, k;
	char *name;

	if (cmd->arg_count != 2 ||
	    (list = imap_arg_next(cmd->args))->type != IMAP_ARG_LIST ||
	    list->list_count == 0 || list->list_count > STATUS_ITEMS_MAX) {
		imapd_bad(s, "STATUS needs a mailbox and a list of items.");
		return;
	}
	job = mem_alloc(sizeof(*job));
	for (i = 0, a = imap_arg_items(list); i < list->list_count;
	     i++, a = imap_arg_next(a)) {
		for (k = 0; k < sizeof(status_names) / sizeof(status_names[0]);
		     k++)
			if (imap_arg_is_atom(a, status_names[k]))
				break;
		if (a->type != IMAP_ARG_ATOM ||
		    k == sizeof(status_names) / sizeof(status_names[0])) {
			mem_free(&job);
			imapd_bad(s, "Unknown STATUS item.");
			return;
		}
		job->items[job->item_count++] = (enum status_item)k;
	}
	if (imapd_mailbox_arg(s, cmd->args, &name) < 0) {
		mem_free(&job);
		return;
	}
	job->maildir = mem_strdup(s->maildir);
	job->name = name;
	imapd_job_start(s, &job->job, NULL, s->im->mail_pool, status_work,
			status_done, status_job_free);
}
