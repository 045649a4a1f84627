/*
 * mailstore.h - one user's Maildir++ store, as pop3d and imapd read and
 * change it (docs/mailstore.md).
 *
 * A struct mailstore is the Maildir root (INBOX); a struct mailstore_folder
 * is one open folder with its messages. Each folder keeps a UID list file
 * (lib/mailstore_list.h) that gives every message a UID, fixed for the
 * folder's UIDVALIDITY, and caches its sizes and internal date, so that a
 * sync after the first needs only readdir of new/ and cur/ and that file.
 *
 *	struct mailstore *ms;
 *	struct mailstore_folder *f;
 *	struct mailstore_sync_result res;
 *
 *	ms = mailstore_new("/srv/mail/alice/Maildir/");
 *	if (mailstore_folder_open(ms, "INBOX", &f, &error) < 0 ||
 *	    mailstore_sync(f, 0, &res, &error) < 0)
 *		fail(error);
 *	if (res.warning[0] != '\0')
 *		log_warn("%s", res.warning);
 *	for (i = 0; i < mailstore_count(f); i++)
 *		use(mailstore_msg(f, i));
 *	mailstore_folder_free(&f);
 *	mailstore_free(&ms);
 *
 * Threads: nothing here logs or touches global state, so a folder may be
 * opened and synced in a worker thread (lib/workpool) and then used by
 * the loop thread; one object is used by one thread at a time. Warnings
 * come back in the sync result for the caller to log.
 *
 * Errors: functions return -1 with *error_r pointing into the object's own
 * buffer (valid until the next call on that object): a temporary failure
 * (I/O, permissions, lock timeout). A damaged UID list is not an error:
 * it is rebuilt with a new UIDVALIDITY and reported as a warning.
 *
 * SECURITY: the Maildir belongs to the user (the mail owner for users of
 * the users table). Folder directories are opened with O_NOFOLLOW and
 * every file operation is made relative to their descriptors; message
 * files are opened with O_NOFOLLOW and must be regular files.
 */
#ifndef MR_MAILSTORE_H
#define MR_MAILSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/mailstore_list.h"
#include "lib/mailstore_name.h"

/* The UID list file and its lock, in each folder directory. */
#define MAILSTORE_LIST_FILE "mailroom-uidlist"
#define MAILSTORE_LIST_LOCK "mailroom-uidlist.lock"
/* How long a sync waits for another process's lock on the list. */
#define MAILSTORE_LOCK_TIMEOUT_MS 10000
/* Room for an error or warning text. */
#define MAILSTORE_ERROR_MAX 512

/* One message of an open folder. */
struct mailstore_msg {
	uint32_t uid;
	uint32_t flags;		/* MAILSTORE_FLAG_* (letters A-Z) */
	uint32_t keywords;	/* bit i: keyword letter 'a' + i */
	bool in_new;		/* the file is in new/ (no flags yet) */
	bool recent;		/* this handle moved it from new/ to cur/ */
	bool expunged;		/* this handle removed it, or it vanished */
	uint64_t size;		/* octets of the file */
	uint64_t vsize;		/* octets with CR LF line ends */
	int64_t mtime;		/* internal date (seconds since the epoch) */
	char *base;		/* base name (before ":2,") */
	char *filename;		/* current name in new/ or cur/ */
};

/* What one sync did. */
struct mailstore_sync_result {
	size_t added;		/* messages that got a new UID */
	size_t removed;		/* listed messages whose file is gone */
	size_t moved;		/* new/ -> cur/ (MAILSTORE_SYNC_MOVE_NEW) */
	bool rebuilt;		/* the list was damaged or lost: new UIDVALIDITY */
	char warning[MAILSTORE_ERROR_MAX];	/* "" or one line to log */
};

/* mailstore_sync flags. */
#define MAILSTORE_SYNC_MOVE_NEW 0x1	/* move new/ to cur/, mark recent */

struct mailstore;
struct mailstore_folder;

/*
 * mailstore_new - a handle on the Maildir at path (its root is INBOX).
 * Opens nothing yet: errors show up at the first call that needs the
 * directory. Never returns NULL. Release with mailstore_free.
 */
struct mailstore *mailstore_new(const char *path);

/* mailstore_free - close the store and NULL *ms. Folders go first. */
void mailstore_free(struct mailstore **ms);

/* mailstore_path - the Maildir path as given to mailstore_new. */
const char *mailstore_path(const struct mailstore *ms);

/*
 * mailstore_session_lock - take an exclusive lock on the file name (made
 * when missing, mode 0600) in the Maildir root: an OFD lock, so it
 * excludes other processes and other descriptors of this one alike.
 * Returns 1 with *fd_r (close it to unlock), 0 when someone holds it, -1
 * with *error_r on failure.
 */
int mailstore_session_lock(struct mailstore *ms, const char *name, int *fd_r,
			   const char **error_r);

/*
 * mailstore_folder_open - open folder name ("INBOX" in any case, or a
 * valid folder name) of ms. Reads nothing yet: mailstore_sync fills it.
 * Returns 0 with *f_r, or -1 with *error_r (a missing folder says "no
 * such folder"). Release with mailstore_folder_free.
 */
int mailstore_folder_open(struct mailstore *ms, const char *name,
			  struct mailstore_folder **f_r, const char **error_r);

/* mailstore_folder_free - close the folder and NULL *f. */
void mailstore_folder_free(struct mailstore_folder **f);

/*
 * mailstore_sync - bring the folder's message list up to date under the
 * list lock: read the UID list when it changed, readdir new/ and cur/,
 * give UIDs (ascending, in arrival order: the time in the name, else the
 * mtime) to files not listed, forget listed files that are gone, and
 * write the list when anything changed. Sizes come from ",S=" and ",W="
 * in the name, else from reading the file once. With
 * MAILSTORE_SYNC_MOVE_NEW messages in new/ move to cur/ and are marked
 * recent in this handle. Messages this handle expunged are dropped.
 * Returns 0 with *res filled, or -1 with *error_r.
 */
int mailstore_sync(struct mailstore_folder *f, unsigned flags,
		   struct mailstore_sync_result *res, const char **error_r);

/* mailstore_uidvalidity / mailstore_uidnext - of the last sync. */
uint32_t mailstore_uidvalidity(const struct mailstore_folder *f);
uint32_t mailstore_uidnext(const struct mailstore_folder *f);

/* mailstore_count - messages after the last sync. */
size_t mailstore_count(const struct mailstore_folder *f);

/* mailstore_msg - message i (0-based, ascending UID), i < count. */
struct mailstore_msg *mailstore_msg(struct mailstore_folder *f, size_t i);

/*
 * mailstore_find_uid - the index of uid, or -1 when the folder has no such
 * message (binary search).
 */
long mailstore_find_uid(const struct mailstore_folder *f, uint32_t uid);

/* lib/mailstore_msg.c: one message's file. */

/*
 * mailstore_msg_open - open message i for reading (O_NOFOLLOW, a regular
 * file). When another session renamed it (flags) it is looked up again.
 * Returns 1 with *fd_r, 0 when the message is gone, -1 with *error_r.
 */
int mailstore_msg_open(struct mailstore_folder *f, size_t i, int *fd_r,
		       const char **error_r);

/*
 * mailstore_msg_set_flags - give message i these flags and keywords by
 * renaming its file to cur/BASE:2,FLAGS (a message in new/ moves to cur/).
 * Returns 1 when done, 0 when the message is gone, -1 with *error_r.
 */
int mailstore_msg_set_flags(struct mailstore_folder *f, size_t i,
			    uint32_t flags, uint32_t keywords,
			    const char **error_r);

/*
 * mailstore_msg_expunge - remove message i's file; it is marked expunged
 * and dropped by the next sync. Returns 1 when removed, 0 when it was
 * already gone, -1 with *error_r.
 */
int mailstore_msg_expunge(struct mailstore_folder *f, size_t i,
			  const char **error_r);

/*
 * mailstore_msg_link - give message i's file a second name dst_name in
 * directory dst_dir (linkat), or with move its only one (renameat2 with
 * RENAME_NOREPLACE; the message is then marked expunged here). An
 * existing dst_name is never replaced. The file is found again after a
 * rename by another session. Returns 1 when done, 0 when the message is
 * gone, -1 with *error_r and errno set (EXDEV, EPERM, EMLINK: the file
 * system cannot link; the caller copies the octets instead).
 */
int mailstore_msg_link(struct mailstore_folder *f, size_t i, int dst_dir,
		       const char *dst_name, bool move, const char **error_r);

enum mailstore_subdir {
	MAILSTORE_SUBDIR_FOLDER,	/* the folder's own directory */
	MAILSTORE_SUBDIR_NEW,
	MAILSTORE_SUBDIR_CUR,
};

/*
 * mailstore_folder_fd - a descriptor of the open folder (owned by it,
 * valid until mailstore_folder_free), for files that live beside the
 * messages (lib/mailstore_add.c, imapd's cache).
 */
int mailstore_folder_fd(const struct mailstore_folder *f,
			enum mailstore_subdir which);

/* mailstore_folder_name - the name the folder was opened with. */
const char *mailstore_folder_name(const struct mailstore_folder *f);

/*
 * mailstore_keyword_name - the keyword of letter index idx (0 = 'a'), or
 * NULL when unused.
 */
const char *mailstore_keyword_name(const struct mailstore_folder *f,
				   unsigned idx);

/*
 * mailstore_keyword_index - the letter index of keyword name (compared
 * without case). When it has none and create is true, the first free
 * letter is given to it and the list is written under its lock. Returns
 * 1 with *idx_r, 0 when unknown (and not created: all 26 letters taken,
 * or create is false), -1 with *error_r (also for an invalid name).
 */
int mailstore_keyword_index(struct mailstore_folder *f, const char *name,
			    bool create, unsigned *idx_r,
			    const char **error_r);

/* lib/mailstore_folder.c: the folder tree. */

/*
 * mailstore_folder_list_fn - one folder of mailstore_folder_list (name
 * valid during the call only). Return 0 to go on.
 */
typedef int mailstore_folder_list_fn(void *ctx, const char *name);

/*
 * mailstore_folder_list - "INBOX", then every folder directory with a
 * valid name, in readdir order. Returns 0, or -1 with *error_r.
 */
int mailstore_folder_list(struct mailstore *ms, mailstore_folder_list_fn *cb,
			  void *ctx, const char **error_r);

/*
 * mailstore_folder_create - make folder name (its directory with cur/,
 * new/, tmp/ and the Maildir++ "maildirfolder" marker, mode 0700).
 * Returns 0, or -1 with *error_r (invalid name, exists, I/O).
 */
int mailstore_folder_create(struct mailstore *ms, const char *name,
			    const char **error_r);

/*
 * mailstore_folder_delete - remove folder name and the messages in it
 * (its subfolders stay). INBOX cannot be deleted. Returns 0, or -1 with
 * *error_r.
 */
int mailstore_folder_delete(struct mailstore *ms, const char *name,
			    const char **error_r);

/*
 * mailstore_folder_rename - rename folder from to "to", with its
 * subfolders ("from.x" becomes "to.x"). INBOX cannot be renamed here.
 * Returns 0, or -1 with *error_r (invalid name, missing, target exists).
 */
int mailstore_folder_rename(struct mailstore *ms, const char *from,
			    const char *to, const char **error_r);

/*
 * mailstore_root_fd - the Maildir root's descriptor, opened on first use
 * and owned by ms; -1 with *error_r when it cannot be opened. For the
 * mailstore_* modules.
 */
int mailstore_root_fd(struct mailstore *ms, const char **error_r);

/*
 * mailstore_open_subdir - open directory name under dirfd (O_NOFOLLOW),
 * with create making it first (mode 0700) when missing. Returns the
 * descriptor, or -1 with errno set. For the mailstore_* modules.
 */
int mailstore_open_subdir(int dirfd, const char *name, bool create);

/*
 * mailstore_fail - format an error into ms's buffer, point *error_r at it
 * and return -1. For the mailstore_* modules.
 */
int mailstore_fail(struct mailstore *ms, const char **error_r,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * mailstore_folder_fail - format an error into f's buffer, point *error_r
 * at it and return -1. For the mailstore_* modules.
 */
int mailstore_folder_fail(struct mailstore_folder *f, const char **error_r,
			  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * mailstore_msg_set_file - record that message m's file is now name, in
 * new/ (in_new) or cur/, with the flags mn parsed from it. For the
 * mailstore_* modules.
 */
void mailstore_msg_set_file(struct mailstore_msg *m, const char *name,
			    const struct mailstore_name *mn, bool in_new);

/*
 * mailstore_file_reads - how many message files this folder handle has
 * read to learn sizes. A test seam: a folder whose list is up to date
 * syncs without reading any.
 */
unsigned long mailstore_file_reads(const struct mailstore_folder *f);

/*
 * mailstore_dir_scans - how many syncs of this handle read new/ and cur/.
 * A test seam: a sync after which neither directory nor the list
 * changed (and whose directories were last changed more than a second
 * before it looked) reads neither.
 */
unsigned long mailstore_dir_scans(const struct mailstore_folder *f);

/* lib/mailstore_add.c: new messages (IMAP APPEND, COPY, MOVE). */

/* Longest host name part of the names mailstore_add makes. */
#define MAILSTORE_ADD_HOST_MAX 64

/*
 * A batch of new messages for one folder (caller-owned; init/deinit).
 * The names it makes ascend, so the next sync numbers the messages in
 * the order they were added.
 */
struct mailstore_add {
	struct mailstore_folder *f;
	int tmp_fd;		/* the folder's tmp/, -1 until needed */
	int fd;			/* the message being written, or -1 */
	char tmp_name[MAILSTORE_FILENAME_MAX + 1];
	uint64_t size, vsize;	/* of what was written */
	bool last_cr;		/* the last octet written was CR */
	long long last_sec;	/* the last name's time */
	long last_usec;
	size_t added;		/* names made since the last finish */
	char host[MAILSTORE_ADD_HOST_MAX + 1];
	char error[MAILSTORE_ERROR_MAX];
};

/* mailstore_add_init - a batch for folder f (which stays the caller's). */
void mailstore_add_init(struct mailstore_add *a, struct mailstore_folder *f);

/* mailstore_add_deinit - remove an unfinished message, close tmp/. */
void mailstore_add_deinit(struct mailstore_add *a);

/*
 * mailstore_add_begin - create the next message's file in tmp/ (a fresh
 * unique name, mode 0600). Returns 0, or -1 with *error_r.
 */
int mailstore_add_begin(struct mailstore_add *a, const char **error_r);

/*
 * mailstore_add_write - append n octets to the message (counting its
 * size and its size with CR LF line ends). Returns 0, or -1 with
 * *error_r (call mailstore_add_abort).
 */
int mailstore_add_write(struct mailstore_add *a, const void *p, size_t n,
			const char **error_r);

/*
 * mailstore_add_commit - the message is complete: give it mtime as its
 * internal date (0: now), fsync it, link it into cur/ as
 * "BASE:2,FLAGS" and remove the tmp/ name. *base_r (base_size octets,
 * MAILSTORE_FILENAME_MAX + 1 is enough) gets its base name. Returns 0,
 * or -1 with *error_r and the file removed.
 */
int mailstore_add_commit(struct mailstore_add *a, uint32_t flags,
			 uint32_t keywords, int64_t mtime, char *base_r,
			 size_t base_size, const char **error_r);

/* mailstore_add_abort - remove the message being written, if any. */
void mailstore_add_abort(struct mailstore_add *a);

/*
 * mailstore_add_copy - message i of folder src into the batch's folder
 * with these flags and keywords (letters of the destination): a hard
 * link under a new name, or with move a rename (the source is then
 * marked expunged); where the file system cannot link, the octets are
 * copied. The internal date stays. Returns 1 with *base_r, 0 when the
 * source message is gone, -1 with *error_r.
 */
int mailstore_add_copy(struct mailstore_add *a, struct mailstore_folder *src,
		       size_t i, uint32_t flags, uint32_t keywords, bool move,
		       char *base_r, size_t base_size, const char **error_r);

/*
 * mailstore_add_finish - fsync cur/ once after the batch's links, so
 * the new names survive a crash. Returns 0, or -1 with *error_r.
 */
int mailstore_add_finish(struct mailstore_add *a, const char **error_r);

#endif
