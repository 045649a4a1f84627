/*
 * cmd_folder.c - the folder tree: CREATE, DELETE, RENAME (RFC 3501
 * 6.3.3-6.3.5, INBOX's special RENAME included), SUBSCRIBE and
 * UNSUBSCRIBE (6.3.6, 6.3.7); mailbox name arguments; the special-use
 * folders made at the first login (RFC 6154).
 *
 * imapd_mailbox_arg  - a mailbox argument as the store names it
 * imapd_first_login  - Sent, Drafts, Trash, Junk and the subscriptions
 *                      file, when the user has no subscriptions file yet
 * cmd_create, cmd_delete, cmd_rename, cmd_subscribe
 *
 * Names: the client's modified UTF-7 is what the store keeps
 * (docs/mailstore.md), so a name is checked (lib/mailstore_name) and
 * used as sent; "INBOX" in any case is INBOX. Every change runs in a
 * mail worker, as the mail owner, relative to the Maildir's descriptors.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "imapd/imapd.h"
#include "imapd/subscriptions.h"
#include "lib/log.h"
#include "lib/mem.h"

/* The special-use folders, in the order LIST shows attributes for. */
const char *const imapd_special_folders[IMAPD_SPECIAL_FOLDERS] = {
	"Drafts", "Sent", "Trash", "Junk",
};

enum folder_op {
	FOLDER_CREATE,
	FOLDER_DELETE,
	FOLDER_RENAME,
	FOLDER_SUBSCRIBE,
	FOLDER_UNSUBSCRIBE,
};

struct folder_job {
	struct imapd_job job;
	enum folder_op op;
	char *maildir;
	char *name, *to;
	int rc;
	char error[MAILSTORE_ERROR_MAX];
};

/* folder_job_free - release */
static void
folder_job_free(struct imapd_job *j)
{
	struct folder_job *job = (struct folder_job *)j;

	mem_free(&job->maildir);
	mem_free(&job->name);
	mem_free(&job->to);
	mem_free(&job);
}

/* imapd_mailbox_arg - a mailbox argument; NO or BAD sent when invalid */
int
imapd_mailbox_arg(struct imapd_session *s, const struct imap_arg *a,
		  char **name_r)
{
	const char *str;
	size_t len;

	if (!imap_arg_astring(a, &str, &len) || strlen(str) != len) {
		imapd_bad(s, "Invalid mailbox name.");
		return -1;
	}
	if (strcasecmp(str, "INBOX") == 0) {
		*name_r = mem_strdup("INBOX");
		return 0;
	}
	if (!mailstore_folder_name_is_valid(str)) {
		imapd_tagged(s, "NO", "[CANNOT] Invalid mailbox name.");
		return -1;
	}
	*name_r = mem_strdup(str);
	return 0;
}

/* imapd_first_login - special-use folders and subscriptions, once */
int
imapd_first_login(const char *maildir, const char **error_r, char *error,
		  size_t error_size)
{
	struct mailstore *ms = mailstore_new(maildir);
	struct imap_subs subs;
	const char *e;
	int root, rc, i;

	memset(&subs, 0, sizeof(subs));
	root = mailstore_root_fd(ms, &e);
	if (root < 0)
		goto fail;
	rc = imap_subs_read(root, &subs, &e);
	if (rc != 0) {
		/* Not the first login (or a damaged file: left alone). */
		imap_subs_deinit(&subs);
		mailstore_free(&ms);
		return 0;
	}
	imap_subs_add(&subs, "INBOX");
	for (i = 0; i < IMAPD_SPECIAL_FOLDERS; i++) {
		const char *name = imapd_special_folders[i];

		if (mailstore_folder_create(ms, name, &e) < 0 &&
		    strcmp(e, "folder exists") != 0)
			goto fail;
		imap_subs_add(&subs, name);
	}
	if (imap_subs_write(root, &subs, &e) < 0)
		goto fail;
	imap_subs_deinit(&subs);
	mailstore_free(&ms);
	return 0;
fail:
	snprintf(error, error_size, "%s: %s", maildir, e);
	*error_r = error;
	imap_subs_deinit(&subs);
	mailstore_free(&ms);
	return -1;
}

/* subs_change - worker: subscribe or unsubscribe name */
static int
subs_change(struct folder_job *job, struct mailstore *ms, const char **e)
{
	struct imap_subs subs;
	int root = mailstore_root_fd(ms, e), rc = 0;
	bool changed;

	if (root < 0 || imap_subs_read(root, &subs, e) < 0)
		return -1;
	if (job->op == FOLDER_SUBSCRIBE)
		changed = imap_subs_add(&subs, job->name);
	else
		changed = imap_subs_remove(&subs, job->name);
	if (changed)
		rc = imap_subs_write(root, &subs, e);
	imap_subs_deinit(&subs);
	return rc;
}

/* rename_inbox - worker: RENAME INBOX moves its messages (RFC 3501 6.3.5) */
static int
rename_inbox(struct folder_job *job, struct mailstore *ms, const char **e)
{
	struct mailstore_folder *src = NULL, *dst = NULL;
	struct mailstore_sync_result res;
	struct mailstore_add add;
	char base[MAILSTORE_FILENAME_MAX + 1];
	size_t i;
	int rc = -1;

	if (mailstore_folder_create(ms, job->to, e) < 0)
		return -1;
	if (mailstore_folder_open(ms, "INBOX", &src, e) < 0 ||
	    mailstore_sync(src, 0, &res, e) < 0 ||
	    mailstore_folder_open(ms, job->to, &dst, e) < 0)
		goto out;
	mailstore_add_init(&add, dst);
	for (i = 0; i < mailstore_count(src); i++) {
		struct mailstore_msg *m = mailstore_msg(src, i);

		/* Keywords are letters of the folder: only flags move. */
		if (mailstore_add_copy(&add, src, i, m->flags, 0, true, base,
				       sizeof(base), e) < 0) {
			mailstore_add_deinit(&add);
			goto out;
		}
	}
	rc = mailstore_add_finish(&add, e);
	mailstore_add_deinit(&add);
out:
	mailstore_folder_free(&src);
	mailstore_folder_free(&dst);
	return rc;
}

/* folder_work - worker: the change */
static void
folder_work(struct imapd_job *j)
{
	struct folder_job *job = (struct folder_job *)j;
	struct mailstore *ms = mailstore_new(job->maildir);
	const char *e = "";

	switch (job->op) {
	case FOLDER_CREATE:
		job->rc = mailstore_folder_create(ms, job->name, &e);
		break;
	case FOLDER_DELETE:
		job->rc = mailstore_folder_delete(ms, job->name, &e);
		break;
	case FOLDER_RENAME:
		if (strcmp(job->name, "INBOX") == 0)
			job->rc = rename_inbox(job, ms, &e);
		else
			job->rc = mailstore_folder_rename(ms, job->name,
							  job->to, &e);
		break;
	default:
		job->rc = subs_change(job, ms, &e);
		break;
	}
	if (job->rc < 0)
		snprintf(job->error, sizeof(job->error), "%s", e);
	mailstore_free(&ms);
}

/* folder_done - loop: answer */
static void
folder_done(struct imapd_job *j)
{
	struct folder_job *job = (struct folder_job *)j;
	struct imapd_session *s = j->s;
	static const char *const verbs[] = { "Create", "Delete", "Rename",
					     "Subscribe", "Unsubscribe" };

	if (job->op == FOLDER_DELETE || job->op == FOLDER_RENAME)
		imapd_mbox_forget(s->im, s->maildir, job->name);
	if (job->op == FOLDER_RENAME)
		imapd_mbox_forget(s->im, s->maildir, job->to);
	if (job->rc == 0) {
		imapd_tagged(s, "OK", "%s completed.", verbs[job->op]);
	} else if (strcmp(job->error, "folder exists") == 0) {
		imapd_tagged(s, "NO", "[ALREADYEXISTS] Mailbox already "
				      "exists.");
	} else if (strcmp(job->error, "no such folder") == 0) {
		imapd_tagged(s, "NO", "[NONEXISTENT] Mailbox doesn't exist.");
	} else if (strcmp(job->error, "cannot move a folder into itself") ==
		   0) {
		imapd_tagged(s, "NO", "[CANNOT] Cannot rename a mailbox into "
				      "itself.");
	} else {
		log_warn("imap(%s): %s %s: %s", s->user, verbs[job->op],
			 job->name, job->error);
		imapd_tagged(s, "NO", "[UNAVAILABLE] Internal error, try "
				      "again later.");
	}
	folder_job_free(j);
}

/* folder_start - the job */
static void
folder_start(struct imapd_session *s, enum folder_op op, char *name, char *to)
{
	struct folder_job *job = mem_alloc(sizeof(*job));

	job->op = op;
	job->maildir = mem_strdup(s->maildir);
	job->name = name;
	job->to = to;
	imapd_job_start(s, &job->job, NULL, s->im->mail_pool, folder_work,
			folder_done, folder_job_free);
}

/* cmd_create - CREATE mailbox */
void
cmd_create(struct imapd_session *s, const struct imap_command *cmd)
{
	const char *str;
	size_t len;
	char *name;

	if (cmd->arg_count != 1 || !imap_arg_astring(cmd->args, &str, &len)) {
		imapd_bad(s, "CREATE needs one mailbox name.");
		return;
	}
	/* RFC 3501 6.3.3: a trailing separator asks for a parent name;
	 * Maildir++ needs no directory for that. */
	if (len > 1 && str[len - 1] == '.') {
		char *cut = mem_strndup(str, len - 1);
		struct imap_arg a = cmd->args[0];

		a.str = cut;
		a.len = len - 1;
		if (imapd_mailbox_arg(s, &a, &name) < 0) {
			mem_free(&cut);
			return;
		}
		mem_free(&cut);
	} else if (imapd_mailbox_arg(s, cmd->args, &name) < 0) {
		return;
	}
	if (strcmp(name, "INBOX") == 0) {
		mem_free(&name);
		imapd_tagged(s, "NO", "[ALREADYEXISTS] Mailbox already exists.");
		return;
	}
	folder_start(s, FOLDER_CREATE, name, NULL);
}

/* cmd_delete - DELETE mailbox */
void
cmd_delete(struct imapd_session *s, const struct imap_command *cmd)
{
	char *name;

	if (cmd->arg_count != 1) {
		imapd_bad(s, "DELETE needs one mailbox name.");
		return;
	}
	if (imapd_mailbox_arg(s, cmd->args, &name) < 0)
		return;
	if (strcmp(name, "INBOX") == 0) {
		mem_free(&name);
		imapd_tagged(s, "NO", "[CANNOT] INBOX can't be deleted.");
		return;
	}
	if (s->mbox != NULL && strcmp(s->mbox->name, name) == 0) {
		mem_free(&name);
		imapd_tagged(s, "NO", "[INUSE] Can't delete the selected "
				      "mailbox.");
		return;
	}
	folder_start(s, FOLDER_DELETE, name, NULL);
}

/* cmd_rename - RENAME from to */
void
cmd_rename(struct imapd_session *s, const struct imap_command *cmd)
{
	char *from, *to;

	if (cmd->arg_count != 2) {
		imapd_bad(s, "RENAME needs two mailbox names.");
		return;
	}
	if (imapd_mailbox_arg(s, cmd->args, &from) < 0)
		return;
	if (imapd_mailbox_arg(s, imap_arg_next(cmd->args), &to) < 0) {
		mem_free(&from);
		return;
	}
	if (strcmp(to, "INBOX") == 0) {
		mem_free(&from);
		mem_free(&to);
		imapd_tagged(s, "NO", "[ALREADYEXISTS] Mailbox already exists.");
		return;
	}
	folder_start(s, FOLDER_RENAME, from, to);
}

/* cmd_subscribe - SUBSCRIBE and UNSUBSCRIBE mailbox */
void
cmd_subscribe(struct imapd_session *s, const struct imap_command *cmd)
{
	bool sub = strcmp(s->cmd_name, "SUBSCRIBE") == 0;
	char *name;

	if (cmd->arg_count != 1) {
		imapd_bad(s, "%s needs one mailbox name.", s->cmd_name);
		return;
	}
	if (imapd_mailbox_arg(s, cmd->args, &name) < 0)
		return;
	folder_start(s, sub ? FOLDER_SUBSCRIBE : FOLDER_UNSUBSCRIBE, name,
		     NULL);
}
