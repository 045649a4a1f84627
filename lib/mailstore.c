/*
 * mailstore.c - one user's Maildir++ store (see mailstore.h,
 * docs/mailstore.md).
 *
 * mailstore_new/free, mailstore_path, mailstore_session_lock
 * mailstore_folder_open/free      - a folder and its directories
 * mailstore_sync                  - UID list + readdir -> messages
 * mailstore_uidvalidity/uidnext/count/msg/find_uid
 * mailstore_folder_fd/name        - for lib/mailstore_add.c and imapd
 * mailstore_keyword_name/index    - keyword letters of a folder
 * mailstore_file_reads            - test seam
 * mailstore_root_fd, mailstore_open_subdir, mailstore_fail - shared with
 *                                   lib/mailstore_folder.c (folder tree)
 * mailstore_folder_fail, mailstore_msg_set_file - shared with
 *                                   lib/mailstore_msg.c (message files)
 *
 * Ownership: a struct mailstore owns its root descriptor and error buffer;
 * a folder owns its descriptors, messages and names; mailstore_msg
 * pointers stay valid until the next sync of their folder.
 *
 * Untrusted input: file names in the folder directories and the UID list
 * file (parsed by lib/mailstore_list; a damaged one is rebuilt). Runs with
 * the caller's privilege (the mail owner). Nothing here logs, so a worker
 * thread may run it (see mailstore.h).
 *
 * Limits: MAILSTORE_MESSAGES_MAX messages per folder (more files are left
 * unlisted, with a warning), MAILSTORE_LIST_FILE_MAX octets of list,
 * MAILSTORE_LOCK_TIMEOUT_MS for the list lock, file names of
 * MAILSTORE_FILENAME_MAX octets.
 */
#include "lib/mailstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/checked.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"

/* The list is written here, then renamed over MAILSTORE_LIST_FILE. */
#define MAILSTORE_LIST_TMP "mailroom-uidlist.tmp"
/* Modes of what we create: the user's private mail. */
#define MAILSTORE_DIR_MODE 0700
#define MAILSTORE_FILE_MODE 0600
/* Poll interval while another process holds the list lock. */
#define MAILSTORE_LOCK_POLL_MS 5
/* Read size when a message file is read for its sizes. */
#define MAILSTORE_READ_CHUNK (64 * 1024)

struct mailstore {
	char *path;		/* without trailing slashes (but "/") */
	int root_fd;		/* -1 until needed */
	char error[MAILSTORE_ERROR_MAX];
};

struct mailstore_folder {
	struct mailstore *ms;
	char *name;
	int dir_fd, new_fd, cur_fd;
	bool loaded;		/* msgs reflect a list that was read */
	dev_t list_dev;		/* the list file last read or written */
	ino_t list_ino;
	off_t list_size;
	struct timespec list_mtime;
	uint32_t uidvalidity, uidnext;
	char *keywords[MAILSTORE_KEYWORDS_MAX];
	struct mailstore_msg *msgs;	/* ascending UID */
	size_t count, cap;
	bool dirs_known;	/* new/ and cur/ unchanged since these: */
	struct timespec new_mtime, cur_mtime;
	unsigned long file_reads;
	unsigned long dir_scans;
	char error[MAILSTORE_ERROR_MAX];
};

/* A file found by readdir that the list does not have yet. */
struct pending_file {
	char *filename;
	bool in_new;
	struct mailstore_name mn;
	int64_t mtime;
	uint64_t size, vsize;
	uint64_t sort_s;
};

/* Base name -> message index, open addressing over the folder's msgs. */
struct base_index {
	uint32_t *slots;	/* message index + 1; 0 empty */
	size_t mask;
};

/* store_fail - format an error into buf, point *error_r at it, -1 */
static int __attribute__((format(printf, 3, 4)))
store_fail(char *buf, const char **error_r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, MAILSTORE_ERROR_MAX, fmt, ap);
	va_end(ap);
	*error_r = buf;
	return -1;
}

/* mailstore_fail - an error in ms's buffer (for the mailstore_* modules) */
int
mailstore_fail(struct mailstore *ms, const char **error_r, const char *fmt,
	       ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ms->error, MAILSTORE_ERROR_MAX, fmt, ap);
	va_end(ap);
	*error_r = ms->error;
	return -1;
}

/* mailstore_folder_fail - an error in f's buffer (for the mailstore_*
 * modules) */
int
mailstore_folder_fail(struct mailstore_folder *f, const char **error_r,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->error, MAILSTORE_ERROR_MAX, fmt, ap);
	va_end(ap);
	*error_r = f->error;
	return -1;
}

/* mailstore_new - a handle; nothing opened */
struct mailstore *
mailstore_new(const char *path)
{
	struct mailstore *ms = mem_alloc(sizeof(*ms));
	size_t len;

	ms->path = mem_strdup(path);
	len = strlen(ms->path);
	while (len > 1 && ms->path[len - 1] == '/')
		ms->path[--len] = '\0';
	ms->root_fd = -1;
	return ms;
}

/* mailstore_free - close and release */
void
mailstore_free(struct mailstore **msp)
{
	struct mailstore *ms = *msp;

	if (ms == NULL)
		return;
	if (ms->root_fd >= 0)
		close(ms->root_fd);
	mem_free(&ms->path);
	mem_free(msp);
}

/* mailstore_path - the path given */
const char *
mailstore_path(const struct mailstore *ms)
{
	return ms->path;
}

/* mailstore_root_fd - the root descriptor, opened on first use */
int
mailstore_root_fd(struct mailstore *ms, const char **error_r)
{
	if (ms->root_fd >= 0)
		return ms->root_fd;
	/* The path comes from the users table (the administrator's): links
	 * in it are followed, nothing below it is. */
	ms->root_fd = open(ms->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ms->root_fd < 0)
		return store_fail(ms->error, error_r, "open Maildir %s: %s",
				  ms->path, strerror(errno));
	return ms->root_fd;
}

/* mailstore_open_subdir - open (with create, make) dir name under dirfd */
int
mailstore_open_subdir(int dirfd, const char *name, bool create)
{
	int fd = openat(dirfd, name,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(dirfd, name, MAILSTORE_DIR_MODE) < 0 &&
		    errno != EEXIST)
			return -1;
		fd = openat(dirfd, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd;
}

/* mailstore_session_lock - OFD lock on a file in the root */
int
mailstore_session_lock(struct mailstore *ms, const char *name, int *fd_r,
		       const char **error_r)
{
	struct flock fl;
	int root = mailstore_root_fd(ms, error_r), fd;

	if (root < 0)
		return -1;
	fd = openat(root, name,
		    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
		    MAILSTORE_FILE_MODE);
	if (fd < 0)
		return store_fail(ms->error, error_r, "open %s/%s: %s",
				  ms->path, name, strerror(errno));
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		int saved = errno;

		close(fd);
		if (saved == EAGAIN || saved == EACCES)
			return 0;
		return store_fail(ms->error, error_r, "lock %s/%s: %s",
				  ms->path, name, strerror(saved));
	}
	*fd_r = fd;
	return 1;
}

/* folder_close_fds - close the directory descriptors */
static void
folder_close_fds(struct mailstore_folder *f)
{
	if (f->cur_fd >= 0)
		close(f->cur_fd);
	if (f->new_fd >= 0)
		close(f->new_fd);
	if (f->dir_fd >= 0)
		close(f->dir_fd);
	f->cur_fd = f->new_fd = f->dir_fd = -1;
}

/* mailstore_folder_open - a folder and its new/ and cur/ */
int
mailstore_folder_open(struct mailstore *ms, const char *name,
		      struct mailstore_folder **f_r, const char **error_r)
{
	struct mailstore_folder *f;
	char dirname[MAILSTORE_FOLDER_NAME_MAX + 2];
	int root = mailstore_root_fd(ms, error_r);
	bool inbox = mailstore_folder_name_is_inbox(name);
	int tmp_fd;

	if (root < 0)
		return -1;
	if (!inbox && !mailstore_folder_name_is_valid(name))
		return store_fail(ms->error, error_r, "invalid folder name");
	f = mem_alloc(sizeof(*f));
	f->ms = ms;
	f->name = mem_strdup(inbox ? "INBOX" : name);
	f->new_fd = f->cur_fd = -1;
	if (inbox) {
		f->dir_fd = fcntl(root, F_DUPFD_CLOEXEC, 0);
	} else {
		snprintf(dirname, sizeof(dirname), ".%s", name);
		f->dir_fd = mailstore_open_subdir(root, dirname, false);
	}
	if (f->dir_fd < 0) {
		int saved = errno;

		mailstore_folder_free(&f);
		if (saved == ENOENT || saved == ENOTDIR || saved == ELOOP)
			return store_fail(ms->error, error_r,
					  "no such folder");
		return store_fail(ms->error, error_r, "open folder %s: %s",
				  ms->path, strerror(saved));
	}
	/* A Maildir may lack tmp/, new/ or cur/ until its first delivery. */
	f->new_fd = mailstore_open_subdir(f->dir_fd, "new", true);
	f->cur_fd = f->new_fd >= 0 ? mailstore_open_subdir(f->dir_fd, "cur", true) : -1;
	tmp_fd = f->cur_fd >= 0 ? mailstore_open_subdir(f->dir_fd, "tmp", true) : -1;
	if (tmp_fd < 0) {
		int saved = errno;

		mailstore_folder_free(&f);
		return store_fail(ms->error, error_r,
				  "open new/, cur/ or tmp/ of %s: %s",
				  ms->path, strerror(saved));
	}
	close(tmp_fd);
	*f_r = f;
	return 0;
}

/* msgs_clear - drop every message */
static void
msgs_clear(struct mailstore_folder *f)
{
	size_t i;

	for (i = 0; i < f->count; i++) {
		mem_free(&f->msgs[i].base);
		mem_free(&f->msgs[i].filename);
	}
	f->count = 0;
}

/* keywords_clear - forget the keyword letters */
static void
keywords_clear(struct mailstore_folder *f)
{
	size_t i;

	for (i = 0; i < MAILSTORE_KEYWORDS_MAX; i++)
		mem_free(&f->keywords[i]);
}

/* mailstore_folder_free - close and release */
void
mailstore_folder_free(struct mailstore_folder **fp)
{
	struct mailstore_folder *f = *fp;

	if (f == NULL)
		return;
	folder_close_fds(f);
	msgs_clear(f);
	keywords_clear(f);
	mem_free(&f->msgs);
	mem_free(&f->name);
	mem_free(fp);
}

/* msgs_reserve - room for one more message */
static void
msgs_reserve(struct mailstore_folder *f)
{
	size_t cap;

	if (f->count < f->cap)
		return;
	if (!checked_grow(f->cap, f->count + 1, MAILSTORE_MESSAGES_MAX, &cap))
		log_panic("mailstore: message count past the limit");
	f->msgs = mem_realloc_array(f->msgs, cap, sizeof(*f->msgs));
	f->cap = cap;
}

/* list_lock - take the folder's list lock (OFD), waiting a bounded time */
static int
list_lock(struct mailstore_folder *f, const char **error_r)
{
	struct flock fl;
	struct timespec nap = { 0, MAILSTORE_LOCK_POLL_MS * 1000000L };
	unsigned tries = MAILSTORE_LOCK_TIMEOUT_MS / MAILSTORE_LOCK_POLL_MS;
	int fd;

	fd = openat(f->dir_fd, MAILSTORE_LIST_LOCK,
		    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
		    MAILSTORE_FILE_MODE);
	if (fd < 0)
		return store_fail(f->error, error_r, "open %s of %s: %s",
				  MAILSTORE_LIST_LOCK, f->name,
				  strerror(errno));
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	while (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		int saved = errno;

		if ((saved != EAGAIN && saved != EACCES) || tries-- == 0) {
			close(fd);
			if (saved == EAGAIN || saved == EACCES)
				return store_fail(f->error, error_r,
						  "timeout waiting for the "
						  "UID list lock of %s",
						  f->name);
			return store_fail(f->error, error_r,
					  "lock %s of %s: %s",
					  MAILSTORE_LIST_LOCK, f->name,
					  strerror(saved));
		}
		nanosleep(&nap, NULL);
	}
	return fd;
}

/* list_new_uidvalidity - a UIDVALIDITY never used before in this folder */
static uint32_t
list_new_uidvalidity(uint32_t old)
{
	uint32_t now = (uint32_t)time(NULL);

	/* RFC 3501 2.3.1.1: a new one must be greater than the old. */
	if (old != 0 && now <= old)
		now = old + 1;
	return now == 0 ? 1 : now;
}

/*
 * folder_reset_list - a fresh empty list with a new UIDVALIDITY. The lock
 * file holds the last UIDVALIDITY given (decimal text): a lost or damaged
 * list may have taken the old one with it, and the new one must be
 * greater (RFC 3501 2.3.1.1), even within the same second.
 */
static void
folder_reset_list(struct mailstore_folder *f, int lock_fd)
{
	char text[16];
	ssize_t n = pread(lock_fd, text, sizeof(text) - 1, 0);
	uint64_t hint = 0;
	ssize_t i;

	for (i = 0; i < n && text[i] >= '0' && text[i] <= '9'; i++) {
		hint = hint * 10 + (uint64_t)(text[i] - '0');
		if (hint >= UINT32_MAX) {
			hint = 0;
			break;
		}
	}
	if (hint > f->uidvalidity)
		f->uidvalidity = (uint32_t)hint;
	msgs_clear(f);
	keywords_clear(f);
	f->uidvalidity = list_new_uidvalidity(f->uidvalidity);
	f->uidnext = 1;
	n = snprintf(text, sizeof(text), "%u\n", (unsigned)f->uidvalidity);
	/* A hint only: a failure to keep it is not an error. */
	if (pwrite(lock_fd, text, (size_t)n, 0) == n)
		(void)ftruncate(lock_fd, n);
}

/* msgs_from_list - replace the messages by the list's, keeping state */
static void
msgs_from_list(struct mailstore_folder *f, struct mailstore_list *list,
	       bool same_validity)
{
	struct mailstore_msg *old = f->msgs;
	size_t old_count = f->count, j = 0, i;

	f->msgs = mem_alloc_array(list->count > 0 ? list->count : 1,
				  sizeof(*f->msgs));
	f->cap = list->count > 0 ? list->count : 1;
	f->count = 0;
	for (i = 0; i < list->count; i++) {
		struct mailstore_list_entry *e = &list->entries[i];
		struct mailstore_msg *m = &f->msgs[f->count++];

		m->uid = e->uid;
		m->size = e->size;
		m->vsize = e->vsize;
		m->mtime = e->mtime;
		m->base = e->base;
		e->base = NULL;
		/* Both arrays ascend by UID: carry this handle's state. */
		while (same_validity && j < old_count && old[j].uid < m->uid)
			j++;
		if (same_validity && j < old_count && old[j].uid == m->uid) {
			m->recent = old[j].recent;
			m->expunged = old[j].expunged;
			m->in_new = old[j].in_new;
			m->flags = old[j].flags;
			m->keywords = old[j].keywords;
			m->filename = old[j].filename;
			old[j].filename = NULL;
		}
		if (m->filename == NULL) {
			m->filename = mem_strdup(m->base);
			m->in_new = true;
		}
	}
	for (i = 0; i < old_count; i++) {
		mem_free(&old[i].base);
		mem_free(&old[i].filename);
	}
	mem_free(&old);
	keywords_clear(f);
	for (i = 0; i < MAILSTORE_KEYWORDS_MAX; i++) {
		f->keywords[i] = list->keywords[i];
		list->keywords[i] = NULL;
	}
	f->uidvalidity = list->uidvalidity;
	f->uidnext = list->uidnext;
}

/* list_remember - note the identity of the list file fd */
static void
list_remember(struct mailstore_folder *f, const struct stat *st)
{
	f->list_dev = st->st_dev;
	f->list_ino = st->st_ino;
	f->list_size = st->st_size;
	f->list_mtime = st->st_mtim;
	f->loaded = true;
}

/* list_is_known - whether st is the list file last read or written */
static bool
list_is_known(const struct mailstore_folder *f, const struct stat *st)
{
	return f->loaded && st->st_dev == f->list_dev &&
	       st->st_ino == f->list_ino && st->st_size == f->list_size &&
	       st->st_mtim.tv_sec == f->list_mtime.tv_sec &&
	       st->st_mtim.tv_nsec == f->list_mtime.tv_nsec;
}

/*
 * list_salvage_uidvalidity - the number of a "\nV N\n" record in a
 * damaged list, or 0
 */
static uint32_t
list_salvage_uidvalidity(const struct buf *data)
{
	const char *p = (const char *)data->data, *end = p + data->len;
	uint64_t v = 0;

	while (p != NULL && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL || end - nl < 4)
			return 0;
		p = nl + 1;
		if (p[0] == 'V' && p[1] == ' ') {
			for (p += 2; p < end && *p >= '0' && *p <= '9'; p++) {
				v = v * 10 + (uint64_t)(*p - '0');
				if (v >= UINT32_MAX)
					return 0;
			}
			return p < end && *p == '\n' ? (uint32_t)v : 0;
		}
	}
	return 0;
}

/*
 * list_refresh - read the list file when it changed since we last saw it
 * (lock_fd: the list lock, held). Sets *dirty_r when the list must be
 * written (missing, damaged).
 */
static int
list_refresh(struct mailstore_folder *f, int lock_fd,
	     struct mailstore_sync_result *res, bool *dirty_r,
	     const char **error_r)
{
	struct mailstore_list list;
	struct mailstore_list_error lerr;
	struct stat st;
	struct buf data;
	int fd, rc;

	fd = openat(f->dir_fd, MAILSTORE_LIST_FILE,
		    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno != ENOENT)
		return store_fail(f->error, error_r, "open %s of %s: %s",
				  MAILSTORE_LIST_FILE, f->name,
				  strerror(errno));
	if (fd < 0) {
		if (f->loaded && f->count > 0) {
			res->rebuilt = true;
			snprintf(res->warning, sizeof(res->warning),
				 "%s: folder %s: UID list disappeared; new "
				 "UIDVALIDITY",
				 f->ms->path, f->name);
		}
		folder_reset_list(f, lock_fd);
		f->loaded = false;
		*dirty_r = true;
		return 0;
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return store_fail(f->error, error_r, "stat %s of %s: %s",
				  MAILSTORE_LIST_FILE, f->name,
				  strerror(errno));
	}
	if (list_is_known(f, &st)) {
		close(fd);
		return 0;
	}
	buf_init(&data, MAILSTORE_LIST_FILE_MAX);
	if (!S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (uint64_t)st.st_size > MAILSTORE_LIST_FILE_MAX) {
		rc = -1;
		lerr.line = 0;
		lerr.what = !S_ISREG(st.st_mode) ? "not a regular file"
						 : "file too large";
	} else if (io_read_fd(fd, MAILSTORE_LIST_FILE_MAX, &data) < 0) {
		int saved = errno;

		close(fd);
		buf_deinit(&data);
		if (saved == EFBIG) {
			rc = -1;
		} else {
			return store_fail(f->error, error_r,
					  "read %s of %s: %s",
					  MAILSTORE_LIST_FILE, f->name,
					  strerror(saved));
		}
		lerr.line = 0;
		lerr.what = "file too large";
		fd = -1;
	} else {
		rc = mailstore_list_parse(data.data, data.len, &list, &lerr);
	}
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		/* The V record may have survived the damage. */
		uint32_t old = list_salvage_uidvalidity(&data);

		if (old > f->uidvalidity)
			f->uidvalidity = old;
	}
	buf_deinit(&data);
	if (rc < 0) {
		folder_reset_list(f, lock_fd);
		res->rebuilt = true;
		snprintf(res->warning, sizeof(res->warning),
			 "%s: folder %s: damaged UID list (line %zu: %s); "
			 "rebuilt with UIDVALIDITY %u",
			 f->ms->path, f->name, lerr.line, lerr.what,
			 (unsigned)f->uidvalidity);
		f->loaded = false;
		*dirty_r = true;
		return 0;
	}
	msgs_from_list(f, &list, f->loaded && f->uidvalidity != 0 &&
					 list.uidvalidity == f->uidvalidity);
	mailstore_list_deinit(&list);
	list_remember(f, &st);
	return 0;
}

/* list_write - write the folder's list: temp file, fsync, rename */
static int
list_write(struct mailstore_folder *f, const char **error_r)
{
	struct mailstore_list list;
	struct stat st;
	struct buf out;
	size_t i;
	int fd, saved;

	/* Borrow the messages' base names for the formatter. */
	mailstore_list_init(&list);
	list.uidvalidity = f->uidvalidity;
	list.uidnext = f->uidnext;
	list.entries = mem_alloc_array(f->count > 0 ? f->count : 1,
				       sizeof(*list.entries));
	for (i = 0; i < f->count; i++) {
		list.entries[i].uid = f->msgs[i].uid;
		list.entries[i].size = f->msgs[i].size;
		list.entries[i].vsize = f->msgs[i].vsize;
		list.entries[i].mtime = f->msgs[i].mtime;
		list.entries[i].base = f->msgs[i].base;
	}
	list.count = f->count;
	for (i = 0; i < MAILSTORE_KEYWORDS_MAX; i++)
		list.keywords[i] = f->keywords[i];
	buf_init(&out, MAILSTORE_LIST_FILE_MAX);
	mailstore_list_format(&list, &out);
	mem_free(&list.entries);

	fd = openat(f->dir_fd, MAILSTORE_LIST_TMP,
		    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC |
			    O_NOCTTY,
		    MAILSTORE_FILE_MODE);
	if (fd < 0) {
		saved = errno;
		buf_deinit(&out);
		return store_fail(f->error, error_r, "create %s of %s: %s",
				  MAILSTORE_LIST_TMP, f->name,
				  strerror(saved));
	}
	/* fsync before rename: a crash must never leave a list that lost
	 * its UIDs (clients would download everything again). */
	if (io_write_full(fd, out.data, out.len) < 0 || fsync(fd) < 0 ||
	    fstat(fd, &st) < 0) {
		saved = errno;
		close(fd);
		(void)unlinkat(f->dir_fd, MAILSTORE_LIST_TMP, 0);
		buf_deinit(&out);
		return store_fail(f->error, error_r, "write %s of %s: %s",
				  MAILSTORE_LIST_TMP, f->name,
				  strerror(saved));
	}
	buf_deinit(&out);
	if (close(fd) < 0 || renameat(f->dir_fd, MAILSTORE_LIST_TMP,
				      f->dir_fd, MAILSTORE_LIST_FILE) < 0) {
		saved = errno;
		(void)unlinkat(f->dir_fd, MAILSTORE_LIST_TMP, 0);
		return store_fail(f->error, error_r, "replace %s of %s: %s",
				  MAILSTORE_LIST_FILE, f->name,
				  strerror(saved));
	}
	list_remember(f, &st);
	return 0;
}

/* base_hash - FNV-1a of a base name */
static uint32_t
base_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (uint8_t)p[i];
		h *= 16777619u;
	}
	return h;
}

/* base_index_build - index every message of f by base name */
static void
base_index_build(struct base_index *ix, const struct mailstore_folder *f)
{
	size_t size = 16, i;

	while (size < 2 * f->count + 1)
		size *= 2;
	ix->slots = mem_alloc_array(size, sizeof(*ix->slots));
	ix->mask = size - 1;
	for (i = 0; i < f->count; i++) {
		const char *b = f->msgs[i].base;
		size_t h = base_hash(b, strlen(b)) & ix->mask;

		while (ix->slots[h] != 0)
			h = (h + 1) & ix->mask;
		ix->slots[h] = (uint32_t)(i + 1);
	}
}

/* base_index_find - the message with base p[0..n), or -1 */
static long
base_index_find(const struct base_index *ix,
		const struct mailstore_folder *f, const char *p, size_t n)
{
	size_t h = base_hash(p, n) & ix->mask;

	while (ix->slots[h] != 0) {
		const char *b = f->msgs[ix->slots[h] - 1].base;

		if (strncmp(b, p, n) == 0 && b[n] == '\0')
			return (long)ix->slots[h] - 1;
		h = (h + 1) & ix->mask;
	}
	return -1;
}

/* mailstore_msg_set_file - message m's file is now name in new/ or cur/ */
void
mailstore_msg_set_file(struct mailstore_msg *m, const char *name,
	     const struct mailstore_name *mn, bool in_new)
{
	if (m->filename == NULL || strcmp(m->filename, name) != 0) {
		mem_free(&m->filename);
		m->filename = mem_strdup(name);
	}
	m->in_new = in_new;
	m->flags = in_new ? 0 : mn->flags;
	m->keywords = in_new ? 0 : mn->keywords;
}

/* pending_free - release the files not listed */
static void
pending_free(struct pending_file **pending, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		mem_free(&(*pending)[i].filename);
	mem_free(pending);
}

struct scan {
	struct mailstore_folder *f;
	struct base_index ix;
	unsigned char *seen;		/* per message: 0, 1 new/, 2 cur/ */
	struct pending_file *pending;	/* files not listed */
	size_t pending_count, pending_cap;
	bool collect;			/* add unlisted files to pending */
	bool overflow;			/* more files than can be listed */
};

/* scan_dir - readdir new/ or cur/ into the scan */
static int
scan_dir(struct scan *sc, bool in_new, const char **error_r)
{
	struct mailstore_folder *f = sc->f;
	int fd = fcntl(in_new ? f->new_fd : f->cur_fd, F_DUPFD_CLOEXEC, 0);
	DIR *d;
	struct dirent *de;

	/* fdopendir takes the descriptor: give it a copy, rewound. */
	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		return store_fail(f->error, error_r, "readdir %s/ of %s: %s",
				  in_new ? "new" : "cur", f->name,
				  strerror(saved));
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		struct mailstore_name mn;
		size_t len = strlen(de->d_name);
		long idx;

		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if (mailstore_name_parse(de->d_name, len, &mn) < 0)
			continue;
		idx = base_index_find(&sc->ix, f, de->d_name, mn.base_len);
		if (idx >= 0) {
			/* The same base in new/ and cur/: cur/ wins. */
			if (sc->seen[idx] == 2 ||
			    (sc->seen[idx] == 1 && in_new))
				continue;
			sc->seen[idx] = in_new ? 1 : 2;
			mailstore_msg_set_file(&f->msgs[idx], de->d_name, &mn, in_new);
			continue;
		}
		if (!sc->collect)
			continue;
		if (sc->pending_count == sc->pending_cap) {
			size_t cap;

			if (!checked_grow(sc->pending_cap,
					  sc->pending_count + 1,
					  MAILSTORE_MESSAGES_MAX, &cap)) {
				sc->overflow = true;
				continue;
			}
			sc->pending = mem_realloc_array(sc->pending, cap,
							sizeof(*sc->pending));
			sc->pending_cap = cap;
		}
		memset(&sc->pending[sc->pending_count], 0,
		       sizeof(*sc->pending));
		sc->pending[sc->pending_count].filename =
			mem_strdup(de->d_name);
		sc->pending[sc->pending_count].in_new = in_new;
		sc->pending[sc->pending_count].mn = mn;
		sc->pending_count++;
	}
	if (errno != 0) {
		int saved = errno;

		closedir(d);
		return store_fail(f->error, error_r, "readdir %s/ of %s: %s",
				  in_new ? "new" : "cur", f->name,
				  strerror(saved));
	}
	closedir(d);
	return 0;
}

/* pending_cmp_base - order by base name, cur/ before new/ */
static int
pending_cmp_base(const void *a, const void *b)
{
	const struct pending_file *x = a, *y = b;
	size_t n = x->mn.base_len < y->mn.base_len ? x->mn.base_len
						   : y->mn.base_len;
	int c = memcmp(x->filename, y->filename, n);

	if (c != 0)
		return c;
	if (x->mn.base_len != y->mn.base_len)
		return x->mn.base_len < y->mn.base_len ? -1 : 1;
	return (int)x->in_new - (int)y->in_new;
}

/* pending_cmp_arrival - arrival order: name time, sub-second, name */
static int
pending_cmp_arrival(const void *a, const void *b)
{
	const struct pending_file *x = a, *y = b;

	if (x->sort_s != y->sort_s)
		return x->sort_s < y->sort_s ? -1 : 1;
	if (x->mn.time_sub != y->mn.time_sub)
		return x->mn.time_sub < y->mn.time_sub ? -1 : 1;
	return strcmp(x->filename, y->filename);
}

/*
 * file_vsize - read the open file for its size with CR LF line ends: each
 * LF not preceded by CR counts one more octet
 */
static int
file_vsize(int fd, uint64_t *size_r, uint64_t *vsize_r)
{
	uint8_t *chunk = mem_alloc(MAILSTORE_READ_CHUNK);
	uint64_t size = 0, extra = 0;
	bool prev_cr = false;

	for (;;) {
		ssize_t r = read(fd, chunk, MAILSTORE_READ_CHUNK);
		const uint8_t *p, *end;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			mem_free(&chunk);
			return -1;
		}
		if (r == 0)
			break;
		p = chunk;
		end = chunk + r;
		while (p < end) {
			const uint8_t *lf = memchr(p, '\n', (size_t)(end - p));

			if (lf == NULL)
				break;
			if (lf == chunk ? !prev_cr : lf[-1] != '\r')
				extra++;
			p = lf + 1;
		}
		prev_cr = chunk[r - 1] == '\r';
		size += (uint64_t)r;
	}
	mem_free(&chunk);
	*size_r = size;
	*vsize_r = size + extra;
	return 0;
}

/*
 * pending_measure - stat one new file (internal date, size) and read it
 * when its name has no ",W=". Returns 1, 0 when it is not a regular file
 * any more (skip it), -1 with *error_r.
 */
static int
pending_measure(struct mailstore_folder *f, struct pending_file *p,
		const char **error_r)
{
	int dirfd = p->in_new ? f->new_fd : f->cur_fd;
	struct stat st;
	int fd;

	if (p->mn.has_size && p->mn.has_vsize && p->mn.vsize >= p->mn.size) {
		if (fstatat(dirfd, p->filename, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return errno == ENOENT ? 0
					       : store_fail(f->error, error_r,
							    "stat %s: %s",
							    p->filename,
							    strerror(errno));
		if (!S_ISREG(st.st_mode))
			return 0;
		p->size = p->mn.size;
		p->vsize = p->mn.vsize;
	} else {
		fd = openat(dirfd, p->filename,
			    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
				    O_NOCTTY);
		if (fd < 0)
			return errno == ENOENT || errno == ELOOP
				       ? 0
				       : store_fail(f->error, error_r,
						    "open %s: %s",
						    p->filename,
						    strerror(errno));
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			return 0;
		}
		f->file_reads++;
		if (file_vsize(fd, &p->size, &p->vsize) < 0) {
			int saved = errno;

			close(fd);
			return store_fail(f->error, error_r, "read %s: %s",
					  p->filename, strerror(saved));
		}
		close(fd);
	}
	p->mtime = st.st_mtim.tv_sec > 0 ? st.st_mtim.tv_sec : 0;
	p->sort_s = p->mn.has_time ? p->mn.time_s : (uint64_t)p->mtime;
	return 1;
}

/* pending_keep - move entry i down to *kept (its name moves with it) */
static void
pending_keep(struct scan *sc, size_t *kept, size_t i)
{
	if (*kept != i) {
		sc->pending[*kept] = sc->pending[i];
		sc->pending[i].filename = NULL;
	}
	(*kept)++;
}

/* sync_add_pending - give UIDs to the files not listed */
static int
sync_add_pending(struct mailstore_folder *f, struct scan *sc,
		 struct mailstore_sync_result *res, const char **error_r)
{
	size_t i, kept = 0, skipped = 0;

	if (sc->pending_count == 0)
		return 0;
	/* Drop a base seen twice (moved between the readdirs): sorted by
	 * base with cur/ first, the first of a run is kept. Each entry
	 * keeps its file name in one place only, so pending_free frees
	 * whatever is left after an error. */
	qsort(sc->pending, sc->pending_count, sizeof(*sc->pending),
	      pending_cmp_base);
	for (i = 0; i < sc->pending_count; i++) {
		struct pending_file *p = &sc->pending[i], *prev;

		prev = kept > 0 ? &sc->pending[kept - 1] : NULL;
		if (prev != NULL && prev->mn.base_len == p->mn.base_len &&
		    memcmp(prev->filename, p->filename, p->mn.base_len) == 0) {
			mem_free(&p->filename);
			continue;
		}
		pending_keep(sc, &kept, i);
	}
	sc->pending_count = kept;
	for (i = 0, kept = 0; i < sc->pending_count; i++) {
		struct pending_file *p = &sc->pending[i];
		int rc = pending_measure(f, p, error_r);

		if (rc < 0)
			return -1;
		if (rc == 0) {
			mem_free(&p->filename);
			continue;
		}
		pending_keep(sc, &kept, i);
	}
	sc->pending_count = kept;
	qsort(sc->pending, sc->pending_count, sizeof(*sc->pending),
	      pending_cmp_arrival);
	for (i = 0; i < sc->pending_count; i++) {
		struct pending_file *p = &sc->pending[i];
		struct mailstore_msg *m;

		if (f->count >= MAILSTORE_MESSAGES_MAX ||
		    f->uidnext == UINT32_MAX) {
			skipped = sc->pending_count - i;
			break;
		}
		msgs_reserve(f);
		m = &f->msgs[f->count++];
		memset(m, 0, sizeof(*m));
		m->uid = f->uidnext++;
		m->size = p->size;
		m->vsize = p->vsize;
		m->mtime = p->mtime;
		m->base = mem_strndup(p->filename, p->mn.base_len);
		m->filename = p->filename;
		p->filename = NULL;
		m->in_new = p->in_new;
		m->flags = p->in_new ? 0 : p->mn.flags;
		m->keywords = p->in_new ? 0 : p->mn.keywords;
		res->added++;
	}
	if ((skipped > 0 || sc->overflow) && res->warning[0] == '\0')
		snprintf(res->warning, sizeof(res->warning),
			 "%s: folder %s: %zu messages left unlisted (at most "
			 "%d messages, UIDs below 2^32)",
			 f->ms->path, f->name, skipped, MAILSTORE_MESSAGES_MAX);
	return 0;
}

/* sync_move_new - new/ to cur/, marking the moved messages recent */
static void
sync_move_new(struct mailstore_folder *f, struct mailstore_sync_result *res)
{
	char name[MAILSTORE_FILENAME_MAX + 1];
	size_t i;

	for (i = 0; i < f->count; i++) {
		struct mailstore_msg *m = &f->msgs[i];
		int n;

		if (!m->in_new || m->expunged)
			continue;
		n = snprintf(name, sizeof(name), "%s" MAILSTORE_INFO_PREFIX,
			     m->base);
		if (n < 0 || (size_t)n >= sizeof(name))
			continue;	/* stays in new/ */
		/* Never replace a file: a name clash leaves it in new/. */
		if (renameat2(f->new_fd, m->filename, f->cur_fd, name,
			      RENAME_NOREPLACE) < 0)
			continue;	/* gone or clashing: next sync */
		mem_free(&m->filename);
		m->filename = mem_strdup(name);
		m->in_new = false;
		m->recent = true;
		res->moved++;
	}
}

/* ts_eq - equal timestamps */
static bool
ts_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/*
 * dirs_unchanged - whether new/ and cur/ are as the last scan saw them.
 * Records their times for the scan about to run otherwise: trusted next
 * time only when both were changed more than a second before we looked,
 * as a change in the same clock tick as our readdir would not move the
 * time (Dovecot's rule for Maildir).
 */
static bool
dirs_unchanged(struct mailstore_folder *f)
{
	struct stat nst, cst;
	struct timespec now;

	if (fstat(f->new_fd, &nst) < 0 || fstat(f->cur_fd, &cst) < 0 ||
	    clock_gettime(CLOCK_REALTIME, &now) < 0) {
		f->dirs_known = false;
		return false;
	}
	if (f->dirs_known && ts_eq(&nst.st_mtim, &f->new_mtime) &&
	    ts_eq(&cst.st_mtim, &f->cur_mtime))
		return true;
	f->new_mtime = nst.st_mtim;
	f->cur_mtime = cst.st_mtim;
	f->dirs_known = nst.st_mtim.tv_sec < now.tv_sec - 1 &&
			cst.st_mtim.tv_sec < now.tv_sec - 1;
	return false;
}

/* sync_locked - the sync, with the list lock held */
static int
sync_locked(struct mailstore_folder *f, int lock_fd, unsigned flags,
	    struct mailstore_sync_result *res, const char **error_r)
{
	struct scan sc;
	bool dirty = false, missing = false, same_list;
	struct timespec list_mtime = f->list_mtime;
	ino_t list_ino = f->list_ino;
	size_t i, kept;
	int rc = -1;

	if (list_refresh(f, lock_fd, res, &dirty, error_r) < 0)
		return -1;
	same_list = f->loaded && f->list_ino == list_ino &&
		    ts_eq(&f->list_mtime, &list_mtime);
	/* Nothing moved in new/ or cur/ and nobody rewrote the list: the
	 * messages are as we know them, without a readdir. */
	if (!dirty && same_list && dirs_unchanged(f))
		return 0;
	f->dir_scans++;
	memset(&sc, 0, sizeof(sc));
	sc.f = f;
	sc.collect = true;
	base_index_build(&sc.ix, f);
	sc.seen = mem_alloc(f->count > 0 ? f->count : 1);
	if (scan_dir(&sc, true, error_r) < 0 ||
	    scan_dir(&sc, false, error_r) < 0)
		goto out;
	for (i = 0; i < f->count; i++)
		if (sc.seen[i] == 0 && !f->msgs[i].expunged)
			missing = true;
	if (missing) {
		/* A rename by another session (a flag change) during our
		 * readdir can hide a file for one pass: look once more. */
		sc.collect = false;
		if (scan_dir(&sc, false, error_r) < 0 ||
		    scan_dir(&sc, true, error_r) < 0)
			goto out;
	}
	for (i = 0, kept = 0; i < f->count; i++) {
		if (sc.seen[i] == 0) {
			mem_free(&f->msgs[i].base);
			mem_free(&f->msgs[i].filename);
			res->removed++;
			continue;
		}
		/* A file we took for gone in a race is still here. */
		f->msgs[i].expunged = false;
		f->msgs[kept++] = f->msgs[i];
	}
	f->count = kept;
	if (sync_add_pending(f, &sc, res, error_r) < 0)
		goto out;
	if (res->added > 0 || res->removed > 0)
		dirty = true;
	if (flags & MAILSTORE_SYNC_MOVE_NEW)
		sync_move_new(f, res);
	if (dirty && list_write(f, error_r) < 0)
		goto out;
	rc = 0;
out:
	pending_free(&sc.pending, sc.pending_count);
	mem_free(&sc.ix.slots);
	mem_free(&sc.seen);
	return rc;
}

/* mailstore_sync - bring the folder up to date */
int
mailstore_sync(struct mailstore_folder *f, unsigned flags,
	       struct mailstore_sync_result *res, const char **error_r)
{
	int lock_fd, rc;

	memset(res, 0, sizeof(*res));
	lock_fd = list_lock(f, error_r);
	if (lock_fd < 0)
		return -1;
	rc = sync_locked(f, lock_fd, flags, res, error_r);
	close(lock_fd);
	return rc;
}

/* mailstore_uidvalidity - of the last sync */
uint32_t
mailstore_uidvalidity(const struct mailstore_folder *f)
{
	return f->uidvalidity;
}

/* mailstore_uidnext - of the last sync */
uint32_t
mailstore_uidnext(const struct mailstore_folder *f)
{
	return f->uidnext;
}

/* mailstore_count - messages */
size_t
mailstore_count(const struct mailstore_folder *f)
{
	return f->count;
}

/* mailstore_msg - message i */
struct mailstore_msg *
mailstore_msg(struct mailstore_folder *f, size_t i)
{
	MR_ASSERT(i < f->count);
	return &f->msgs[i];
}

/* mailstore_find_uid - binary search */
long
mailstore_find_uid(const struct mailstore_folder *f, uint32_t uid)
{
	size_t lo = 0, hi = f->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->msgs[mid].uid == uid)
			return (long)mid;
		if (f->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* mailstore_file_reads - test seam */
unsigned long
mailstore_file_reads(const struct mailstore_folder *f)
{
	return f->file_reads;
}

/* mailstore_dir_scans - test seam */
unsigned long
mailstore_dir_scans(const struct mailstore_folder *f)
{
	return f->dir_scans;
}

/* mailstore_folder_fd - the folder's directory, new/ or cur/ descriptor */
int
mailstore_folder_fd(const struct mailstore_folder *f,
		    enum mailstore_subdir which)
{
	switch (which) {
	case MAILSTORE_SUBDIR_NEW:
		return f->new_fd;
	case MAILSTORE_SUBDIR_CUR:
		return f->cur_fd;
	default:
		return f->dir_fd;
	}
}

/* mailstore_folder_name - the folder's name */
const char *
mailstore_folder_name(const struct mailstore_folder *f)
{
	return f->name;
}

/* mailstore_keyword_name - letter idx's keyword */
const char *
mailstore_keyword_name(const struct mailstore_folder *f, unsigned idx)
{
	return idx < MAILSTORE_KEYWORDS_MAX ? f->keywords[idx] : NULL;
}

/* keyword_find - the letter of name, or -1 */
static int
keyword_find(const struct mailstore_folder *f, const char *name)
{
	int i;

	for (i = 0; i < MAILSTORE_KEYWORDS_MAX; i++)
		if (f->keywords[i] != NULL &&
		    strcasecmp(f->keywords[i], name) == 0)
			return i;
	return -1;
}

/* mailstore_keyword_index - a keyword's letter, maybe a new one */
int
mailstore_keyword_index(struct mailstore_folder *f, const char *name,
			bool create, unsigned *idx_r, const char **error_r)
{
	struct mailstore_sync_result res;
	bool dirty = false;
	int idx, lock_fd, rc = 0;

	if (!mailstore_list_keyword_is_valid(name, strlen(name)))
		return store_fail(f->error, error_r, "invalid keyword");
	if ((idx = keyword_find(f, name)) >= 0) {
		*idx_r = (unsigned)idx;
		return 1;
	}
	if (!create)
		return 0;
	if ((lock_fd = list_lock(f, error_r)) < 0)
		return -1;
	memset(&res, 0, sizeof(res));
	/* Another process may have given it a letter meanwhile. */
	if (list_refresh(f, lock_fd, &res, &dirty, error_r) < 0) {
		rc = -1;
	} else if ((idx = keyword_find(f, name)) >= 0) {
		*idx_r = (unsigned)idx;
		rc = 1;
	} else {
		for (idx = 0; idx < MAILSTORE_KEYWORDS_MAX; idx++)
			if (f->keywords[idx] == NULL)
				break;
		if (idx < MAILSTORE_KEYWORDS_MAX) {
			f->keywords[idx] = mem_strdup(name);
			dirty = true;
			*idx_r = (unsigned)idx;
			rc = 1;
		}
	}
	if (rc >= 0 && dirty && list_write(f, error_r) < 0)
		rc = -1;
	close(lock_fd);
	return rc;
}
