/*
 * mailstore_add.c - new messages in a folder of the Maildir++ store: IMAP
 * APPEND, COPY and MOVE (see mailstore.h, docs/mailstore.md "Adding
 * messages").
 *
 * mailstore_add_init/deinit - a batch of new messages for one folder
 * mailstore_add_begin/write/commit/abort - one message written into
 *                             tmp/ and linked into cur/ with its flags
 * mailstore_add_copy        - a message of another folder linked (or,
 *                             for MOVE, renamed) into this one; its
 *                             octets copied where links do not work
 * mailstore_add_finish      - make the new directory entries durable
 *
 * A new message gets a fresh base name "SECONDS.MusecPpidRrandom.HOST,
 * S=SIZE,W=VSIZE", its file is complete and fsync'ed in tmp/ before it is
 * linked into cur/ as BASE:2,FLAGS (never replacing a file), and cur/ is
 * fsync'ed by mailstore_add_finish. The next mailstore_sync gives it a
 * UID; the names of one batch ascend (seconds, then microseconds), so
 * the sync numbers them in the order they were added.
 *
 * Input: message octets from an IMAP client (only copied and counted).
 * Runs with the caller's privilege (the mail owner); logs nothing, so a
 * worker thread may run it. Limits: MAILSTORE_FILENAME_MAX octets of
 * name; the size of a message is the caller's to bound.
 */
#include "lib/mailstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/log.h"

/* Modes of what we create: the user's private mail. */
#define MAILSTORE_FILE_MODE 0600
/* Copy size when a message's octets are copied. */
#define MAILSTORE_COPY_CHUNK (64 * 1024)
/* Unique names tried before giving up on a clash. */
#define MAILSTORE_ADD_TRIES 4

/* add_fail - format an error into the batch's buffer */
static int __attribute__((format(printf, 3, 4)))
add_fail(struct mailstore_add *a, const char **error_r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->error, sizeof(a->error), fmt, ap);
	va_end(ap);
	*error_r = a->error;
	return -1;
}

/* host_part - the host name part of unique names: safe characters only */
static void
host_part(char *out, size_t size)
{
	char sys[256];
	size_t i, pos = 0;

	if (gethostname(sys, sizeof(sys)) < 0 ||
	    memchr(sys, '\0', sizeof(sys)) == NULL || sys[0] == '\0')
		snprintf(sys, sizeof(sys), "localhost");
	for (i = 0; sys[i] != '\0' && pos + 1 < size &&
		    pos < MAILSTORE_ADD_HOST_MAX;
	     i++) {
		char c = sys[i];

		/* '/' and ':' would break the name; keep it plain. */
		out[pos++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
					     (c >= '0' && c <= '9') ||
					     c == '-' || c == '.'
				     ? c
				     : '_';
	}
	out[pos] = '\0';
}

/* mailstore_add_init - a batch for folder f */
void
mailstore_add_init(struct mailstore_add *a, struct mailstore_folder *f)
{
	memset(a, 0, sizeof(*a));
	a->f = f;
	a->tmp_fd = -1;
	a->fd = -1;
	host_part(a->host, sizeof(a->host));
}

/* mailstore_add_deinit - drop an unfinished message, close tmp/ */
void
mailstore_add_deinit(struct mailstore_add *a)
{
	mailstore_add_abort(a);
	if (a->tmp_fd >= 0)
		close(a->tmp_fd);
	a->tmp_fd = -1;
}

/* add_unique - the next unique name of the batch (ascending) */
static int
add_unique(struct mailstore_add *a, char *out, size_t size,
	   const char **error_r)
{
	struct timespec ts;
	uint64_t random_bits;
	long usec;
	int n;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return add_fail(a, error_r, "clock_gettime: %s",
				strerror(errno));
	if (getrandom(&random_bits, sizeof(random_bits), 0) !=
	    (ssize_t)sizeof(random_bits))
		return add_fail(a, error_r, "getrandom: %s", strerror(errno));
	usec = ts.tv_nsec / 1000;
	/* Names of one batch ascend, so the sync numbers them in order. */
	if (ts.tv_sec < a->last_sec ||
	    (ts.tv_sec == a->last_sec && usec <= a->last_usec)) {
		ts.tv_sec = a->last_sec;
		usec = a->last_usec + 1;
		if (usec >= 1000000) {
			ts.tv_sec++;
			usec = 0;
		}
	}
	a->last_sec = ts.tv_sec;
	a->last_usec = usec;
	n = snprintf(out, size, "%lld.M%ldP%ldR%016llx.%s",
		     (long long)ts.tv_sec, usec, (long)getpid(),
		     (unsigned long long)random_bits, a->host);
	MR_ASSERT(n > 0 && (size_t)n < size);
	return 0;
}

/* add_tmp_dir - the folder's tmp/, opened once per batch */
static int
add_tmp_dir(struct mailstore_add *a, const char **error_r)
{
	if (a->tmp_fd >= 0)
		return a->tmp_fd;
	a->tmp_fd = mailstore_open_subdir(
		mailstore_folder_fd(a->f, MAILSTORE_SUBDIR_FOLDER), "tmp",
		true);
	if (a->tmp_fd < 0)
		return add_fail(a, error_r, "open tmp/ of %s: %s",
				mailstore_folder_name(a->f), strerror(errno));
	return a->tmp_fd;
}

/* mailstore_add_begin - a new file in tmp/ */
int
mailstore_add_begin(struct mailstore_add *a, const char **error_r)
{
	int tries, dir;

	MR_ASSERT(a->fd < 0);
	if ((dir = add_tmp_dir(a, error_r)) < 0)
		return -1;
	for (tries = 0; tries < MAILSTORE_ADD_TRIES; tries++) {
		if (add_unique(a, a->tmp_name, sizeof(a->tmp_name), error_r) <
		    0)
			return -1;
		a->fd = openat(dir, a->tmp_name,
			       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				       O_CLOEXEC | O_NOCTTY,
			       MAILSTORE_FILE_MODE);
		if (a->fd >= 0)
			break;
		if (errno != EEXIST)
			return add_fail(a, error_r, "create tmp/%s: %s",
					a->tmp_name, strerror(errno));
	}
	if (a->fd < 0)
		return add_fail(a, error_r, "no unique name in tmp/");
	a->size = a->vsize = 0;
	a->last_cr = false;
	return 0;
}

/* mailstore_add_write - n more octets of the message */
int
mailstore_add_write(struct mailstore_add *a, const void *p, size_t n,
		    const char **error_r)
{
	const uint8_t *s = p, *end = s + n;
	uint64_t extra = 0;

	MR_ASSERT(a->fd >= 0);
	if (n == 0)
		return 0;
	/* UNSAFE: memchr within [s, end). An LF without CR before it
	 * counts one more octet in the CR LF size. */
	while (s < end) {
		const uint8_t *lf = memchr(s, '\n', (size_t)(end - s));

		if (lf == NULL)
			break;
		if (lf == p ? !a->last_cr : lf[-1] != '\r')
			extra++;
		s = lf + 1;
	}
	a->last_cr = ((const uint8_t *)p)[n - 1] == '\r';
	if (io_write_full(a->fd, p, n) < 0)
		return add_fail(a, error_r, "write tmp/%s: %s", a->tmp_name,
				strerror(errno));
	a->size += n;
	a->vsize += n + extra;
	return 0;
}

/* mailstore_add_abort - remove the message being written */
void
mailstore_add_abort(struct mailstore_add *a)
{
	if (a->fd < 0)
		return;
	close(a->fd);
	a->fd = -1;
	(void)unlinkat(a->tmp_fd, a->tmp_name, 0);
}

/* add_final_name - "BASE:2,FLAGS" for base into out */
static int
add_final_name(struct mailstore_add *a, const char *base, uint32_t flags,
	       uint32_t keywords, char *out, size_t size,
	       const char **error_r)
{
	char letters[64];
	int n;

	mailstore_name_flags_format(flags & MAILSTORE_LETTERS_MASK,
				    keywords & MAILSTORE_LETTERS_MASK,
				    letters, sizeof(letters));
	n = snprintf(out, size, "%s" MAILSTORE_INFO_PREFIX "%s", base,
		     letters);
	if (n < 0 || (size_t)n >= size)
		return add_fail(a, error_r, "%s: name too long", base);
	return 0;
}

/* mailstore_add_commit - fsync, link into cur/ with flags */
int
mailstore_add_commit(struct mailstore_add *a, uint32_t flags,
		     uint32_t keywords, int64_t mtime, char *base_r,
		     size_t base_size, const char **error_r)
{
	char name[MAILSTORE_FILENAME_MAX + 1];
	struct timespec times[2];
	int n, saved;

	MR_ASSERT(a->fd >= 0);
	/* The internal date is the file's mtime (docs/mailstore.md). */
	times[0].tv_sec = 0;
	times[0].tv_nsec = UTIME_OMIT;
	times[1].tv_sec = (time_t)mtime;
	times[1].tv_nsec = 0;
	if ((mtime > 0 && futimens(a->fd, times) < 0) || fsync(a->fd) < 0) {
		saved = errno;
		mailstore_add_abort(a);
		return add_fail(a, error_r, "write tmp/%s: %s", a->tmp_name,
				strerror(saved));
	}
	n = snprintf(base_r, base_size, "%s,S=%llu,W=%llu", a->tmp_name,
		     (unsigned long long)a->size,
		     (unsigned long long)a->vsize);
	if (n < 0 || (size_t)n >= base_size ||
	    add_final_name(a, base_r, flags, keywords, name, sizeof(name),
			   error_r) < 0) {
		mailstore_add_abort(a);
		return add_fail(a, error_r, "%s: name too long", a->tmp_name);
	}
	/* link, then unlink: link never replaces a message (the Maildir
	 * protocol); the file system without links gets RENAME_NOREPLACE. */
	if (linkat(a->tmp_fd, a->tmp_name,
		   mailstore_folder_fd(a->f, MAILSTORE_SUBDIR_CUR), name,
		   0) < 0 &&
	    renameat2(a->tmp_fd, a->tmp_name,
		      mailstore_folder_fd(a->f, MAILSTORE_SUBDIR_CUR), name,
		      RENAME_NOREPLACE) < 0) {
		saved = errno;
		mailstore_add_abort(a);
		return add_fail(a, error_r, "link cur/%s: %s", name,
				strerror(saved));
	}
	(void)unlinkat(a->tmp_fd, a->tmp_name, 0);
	close(a->fd);
	a->fd = -1;
	a->added++;
	return 0;
}

/* add_copy_octets - copy message i of src through a new tmp/ file */
static int
add_copy_octets(struct mailstore_add *a, struct mailstore_folder *src,
		size_t i, uint32_t flags, uint32_t keywords, char *base_r,
		size_t base_size, const char **error_r)
{
	uint8_t chunk[MAILSTORE_COPY_CHUNK];
	const char *error;
	int fd, rc;

	rc = mailstore_msg_open(src, i, &fd, &error);
	if (rc <= 0) {
		if (rc < 0)
			add_fail(a, error_r, "%s", error);
		return rc;
	}
	if (mailstore_add_begin(a, error_r) < 0) {
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;

			close(fd);
			mailstore_add_abort(a);
			return add_fail(a, error_r, "read %s: %s",
					mailstore_msg(src, i)->filename,
					strerror(saved));
		}
		if (r == 0)
			break;
		if (mailstore_add_write(a, chunk, (size_t)r, error_r) < 0) {
			close(fd);
			mailstore_add_abort(a);
			return -1;
		}
	}
	close(fd);
	if (mailstore_add_commit(a, flags, keywords,
				 mailstore_msg(src, i)->mtime, base_r,
				 base_size, error_r) < 0)
		return -1;
	return 1;
}

/* mailstore_add_copy - message i of src into the batch's folder */
int
mailstore_add_copy(struct mailstore_add *a, struct mailstore_folder *src,
		   size_t i, uint32_t flags, uint32_t keywords, bool move,
		   char *base_r, size_t base_size, const char **error_r)
{
	const struct mailstore_msg *m = mailstore_msg(src, i);
	char unique[MAILSTORE_FILENAME_MAX + 1];
	char name[MAILSTORE_FILENAME_MAX + 1];
	const char *error = "no unique name";
	int n, rc, tries;

	for (tries = 0; tries < MAILSTORE_ADD_TRIES; tries++) {
		if (add_unique(a, unique, sizeof(unique), error_r) < 0)
			return -1;
		/* The sizes travel with the name: no file read at sync. */
		n = snprintf(base_r, base_size, "%s,S=%llu,W=%llu", unique,
			     (unsigned long long)m->size,
			     (unsigned long long)m->vsize);
		if (n < 0 || (size_t)n >= base_size ||
		    add_final_name(a, base_r, flags, keywords, name,
				   sizeof(name), error_r) < 0)
			return add_fail(a, error_r, "%s: name too long",
					unique);
		rc = mailstore_msg_link(
			src, i, mailstore_folder_fd(a->f, MAILSTORE_SUBDIR_CUR),
			name, move, &error);
		if (rc >= 0) {
			if (rc > 0)
				a->added++;
			return rc;
		}
		if (errno != EEXIST)
			break;
	}
	if (errno == EXDEV || errno == EPERM || errno == EMLINK ||
	    errno == ENOTSUP) {
		/* No links here: copy the octets, then remove the source
		 * for MOVE. */
		rc = add_copy_octets(a, src, i, flags, keywords, base_r,
				     base_size, error_r);
		if (rc > 0 && move &&
		    mailstore_msg_expunge(src, i, &error) < 0)
			return add_fail(a, error_r, "%s", error);
		return rc;
	}
	return add_fail(a, error_r, "%s", error);
}

/* mailstore_add_finish - fsync cur/ so the new names are durable */
int
mailstore_add_finish(struct mailstore_add *a, const char **error_r)
{
	if (a->added == 0)
		return 0;
	a->added = 0;
	if (fsync(mailstore_folder_fd(a->f, MAILSTORE_SUBDIR_CUR)) < 0)
		return add_fail(a, error_r, "fsync cur/ of %s: %s",
				mailstore_folder_name(a->f), strerror(errno));
	return 0;
}
