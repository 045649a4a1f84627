/*
 * maildir.c - Maildir delivery (see maildir.h, docs/mailboxes.md).
 *
 * maildir_deliver - one message into MAILDIR/new, through MAILDIR/tmp
 *
 * Runs in the local delivery agent with the recipient's uid and gid. The
 * returned file name belongs to the caller.
 * SECURITY: the maildir path comes from the recipient's account (home
 * directory, .forward, virtual map), a directory the recipient controls.
 * A symbolic link or a directory owned by someone else there would let a
 * local user make the delivery agent write where it should not
 * (CVE-2008-2936 class), so the maildir and its tmp/, new/ and cur/ are
 * opened with O_NOFOLLOW | O_DIRECTORY and checked with fstat (a directory,
 * owned by the effective uid), and every later operation is made relative
 * to those open descriptors, so replacing a directory by a link after the
 * check redirects nothing. Message content is untrusted and only copied.
 * Limits: the delivered file is at most size_limit octets
 * (mailbox_size_limit); the host name part of a unique name at most
 * MAILDIR_HOSTNAME_MAX octets.
 */
#include "lib/maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"

/* Tries to find an unused tmp/ name before giving up (each is random). */
#define MAILDIR_NAME_ATTEMPTS 5

/* Mode of directories we create (the recipient's private mail). */
#define MAILDIR_DIR_MODE 0700
/* Mode of message files. */
#define MAILDIR_FILE_MODE 0600

/* maildir_unsafe - fill err for a maildir that fails a safety check */
static void
maildir_unsafe(struct delivery_error *err, const char *path, const char *name,
               const char *why)
{
	log_warn("unsafe maildir %s%s%s: %s", log_safe_str(path),
	         name != NULL ? "/" : "", name != NULL ? name : "", why);
	/*
	 * Temporary, like Postfix: the owner or the administrator can fix
	 * the directory, and a bounce would lose the mail for good.
	 */
	delivery_source_error_set(
	    err, true, DELIVERY_DSN_MAILBOX, "unsafe maildir%s%s: %s",
	    name != NULL ? " directory " : "", name != NULL ? name : "", why);
}

/*
 * maildir_open_dir - open and check name under dirfd (AT_FDCWD for the
 * maildir itself), creating it when missing; *created_r tells
 */
static int
maildir_open_dir(int dirfd, const char *path, const char *name, bool *created_r,
                 struct delivery_error *err)
{
	const char *open_name = name != NULL ? name : path;
	struct stat st;
	int fd;

	/* SECURITY: O_NOFOLLOW: a symbolic link is refused, never followed. */
	fd = openat(dirfd, open_name,
	            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(dirfd, open_name, MAILDIR_DIR_MODE) < 0 &&
		    errno != EEXIST) {
			delivery_source_error_errno(err, errno,
			                            "cannot create maildir "
			                            "directory");
			return -1;
		}
		*created_r = true;
		fd = openat(dirfd, open_name,
		            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR) {
			maildir_unsafe(err, path, name,
			               "a symbolic link or not a directory");
			return -1;
		}
		delivery_source_error_errno(err, errno,
		                            "cannot open maildir directory");
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		delivery_source_error_errno(err, errno,
		                            "cannot stat maildir directory");
		close(fd);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		maildir_unsafe(err, path, name, "not a directory");
		close(fd);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		char why[64];

		snprintf(why, sizeof(why), "owned by uid %lu, not %lu",
		         (unsigned long)st.st_uid, (unsigned long)geteuid());
		maildir_unsafe(err, path, name, why);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * maildir_host_escape - the host name part of unique names: '/' and ':'
 * (and, to be safe in a file name, any byte that is not printable ASCII)
 * become \ooo, as Courier and Dovecot write them; cut at
 * MAILDIR_HOSTNAME_MAX octets.
 */
static void
maildir_host_escape(const char *hostname, char *out, size_t size)
{
	char sys[256];
	size_t pos = 0;
	const char *s;

	MR_ASSERT(size > MAILDIR_HOSTNAME_MAX);
	if (hostname == NULL || hostname[0] == '\0') {
		if (gethostname(sys, sizeof(sys)) < 0 ||
		    memchr(sys, '\0', sizeof(sys)) == NULL || sys[0] == '\0')
			snprintf(sys, sizeof(sys), "localhost");
		hostname = sys;
	}
	for (s = hostname; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '/' || c == ':' || c <= ' ' || c >= 0x7f) {
			if (pos + 4 > MAILDIR_HOSTNAME_MAX)
				break;
			snprintf(out + pos, size - pos, "\\%03o", c);
			pos += 4;
		} else {
			if (pos + 1 > MAILDIR_HOSTNAME_MAX)
				break;
			out[pos++] = (char)c;
		}
	}
	out[pos] = '\0';
}

/*
 * maildir_unique - a new unique name "SECONDS.MusecPpidRrandom.HOST":
 * the time and pid as in Dovecot's names, and 64 random bits instead of a
 * per-process counter, so no global state is needed
 */
static int
maildir_unique(const char *host, char *out, size_t size,
               struct delivery_error *err)
{
	struct timespec ts;
	uint64_t random_bits;
	int len;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0) {
		delivery_source_error_errno(err, errno, "clock_gettime");
		return -1;
	}
	if (getrandom(&random_bits, sizeof(random_bits), 0) !=
	    (ssize_t)sizeof(random_bits)) {
		delivery_source_error_errno(err, errno, "getrandom");
		return -1;
	}
	len = snprintf(out, size, "%lld.M%ldP%ldR%016llx.%s",
	               (long long)ts.tv_sec, (long)(ts.tv_nsec / 1000),
	               (long)getpid(), (unsigned long long)random_bits, host);
	MR_ASSERT(len > 0 && (size_t)len < size);
	return 0;
}

/* maildir_move - tmp/name to new/new_name, never replacing a file */
static int
maildir_move(int tmp_fd, const char *name, int new_fd, const char *new_name)
{
	/*
	 * link() then unlink() as the Maildir protocol says: link fails with
	 * EEXIST instead of replacing a message. File systems without hard
	 * links get rename with RENAME_NOREPLACE, which keeps that promise.
	 */
	if (linkat(tmp_fd, name, new_fd, new_name, 0) == 0) {
		if (unlinkat(tmp_fd, name, 0) < 0) {
			int unlink_errno = errno;

			log_warn("maildir: cannot remove tmp/%s: %s",
			         log_safe_str(name), strerror(unlink_errno));
		}
		return 0;
	}
	if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS &&
	    errno != EMLINK)
		return -1;
	return renameat2(tmp_fd, name, new_fd, new_name, RENAME_NOREPLACE);
}

/* maildir_deliver - one message into MAILDIR/new, through MAILDIR/tmp */
int
maildir_deliver(const char *maildir_path, const char *prepend_headers,
                struct delivery_source *src, uint64_t size_limit,
                const char *hostname, char **filename_r,
                struct delivery_error *err)
{
	char host[MAILDIR_HOSTNAME_MAX + 1], name[NAME_MAX + 1];
	char new_name[NAME_MAX + 1];
	int maildir_fd = -1, tmp_fd = -1, new_fd = -1, cur_fd = -1, fd = -1;
	bool created = false, maildir_created = false, tmp_made = false;
	uint64_t octets = 0;
	char *path;
	size_t len;
	int rc = -1, attempt, saved;

	/*
	 * SECURITY: drop trailing slashes, or "link/" would make the kernel
	 * follow a symbolic link despite O_NOFOLLOW.
	 */
	path = mem_strdup(maildir_path);
	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	if (len == 0 || strcmp(path, "/") == 0) {
		delivery_source_error_set(err, true, DELIVERY_DSN_MAILBOX,
		                          "invalid maildir path");
		goto out;
	}

	maildir_fd =
	    maildir_open_dir(AT_FDCWD, path, NULL, &maildir_created, err);
	if (maildir_fd < 0)
		goto out;
	if ((tmp_fd = maildir_open_dir(maildir_fd, path, "tmp", &created,
	                               err)) < 0 ||
	    (new_fd = maildir_open_dir(maildir_fd, path, "new", &created,
	                               err)) < 0 ||
	    (cur_fd =
	         maildir_open_dir(maildir_fd, path, "cur", &created, err)) < 0)
		goto out;
	if ((maildir_created && io_fsync_parent(path) < 0) ||
	    ((created || maildir_created) && fsync(maildir_fd) < 0)) {
		delivery_source_error_errno(err, errno,
		                            "cannot sync maildir directory");
		goto out;
	}

	maildir_host_escape(hostname, host, sizeof(host));
	for (attempt = 0;; attempt++) {
		if (maildir_unique(host, name, sizeof(name), err) < 0)
			goto out;
		fd = openat(tmp_fd, name,
		            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		                O_NOCTTY | O_CLOEXEC,
		            MAILDIR_FILE_MODE);
		if (fd >= 0)
			break;
		if (errno != EEXIST || attempt + 1 >= MAILDIR_NAME_ATTEMPTS) {
			delivery_source_error_errno(err, errno,
			                            "cannot create maildir "
			                            "file");
			goto out;
		}
	}
	tmp_made = true;

	if (delivery_source_copy(src, prepend_headers, 0, size_limit, fd,
	                         &octets, err) < 0)
		goto out;
	if (fsync(fd) < 0) {
		delivery_source_error_errno(err, errno,
		                            "error writing message");
		goto out;
	}
	saved = close(fd);
	fd = -1;
	if (saved < 0) {
		delivery_source_error_errno(err, errno,
		                            "error writing message");
		goto out;
	}

	/* Dovecot and Courier read the file size from ",S=" in the name. */
	if (snprintf(new_name, sizeof(new_name), "%s,S=%llu", name,
	             (unsigned long long)octets) >= (int)sizeof(new_name)) {
		delivery_source_error_set(err, true, DELIVERY_DSN_MAILBOX,
		                          "maildir file name too long");
		goto out;
	}
	if (maildir_move(tmp_fd, name, new_fd, new_name) < 0) {
		delivery_source_error_errno(err, errno,
		                            "cannot move message to new/");
		goto out;
	}
	tmp_made = false;
	if (fsync(new_fd) < 0) {
		/* Not durable: take it back, the message stays queued. */
		delivery_source_error_errno(err, errno,
		                            "cannot sync maildir new/");
		(void)unlinkat(new_fd, new_name, 0);
		goto out;
	}
	if (filename_r != NULL)
		*filename_r = mem_strdup(new_name);
	rc = 0;
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (tmp_made && unlinkat(tmp_fd, name, 0) < 0) {
		int unlink_errno = errno;

		log_warn("maildir %s: cannot remove tmp/%s: %s",
		         log_safe_str(path), log_safe_str(name),
		         strerror(unlink_errno));
	}
	if (cur_fd >= 0)
		close(cur_fd);
	if (new_fd >= 0)
		close(new_fd);
	if (tmp_fd >= 0)
		close(tmp_fd);
	if (maildir_fd >= 0)
		close(maildir_fd);
	mem_free(&path);
	errno = saved;
	return rc;
}
