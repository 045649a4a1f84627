/*
 * mbox.c - mbox delivery with dot and fcntl locking (see mbox.h,
 * docs/mailboxes.md).
 *
 * mbox_deliver - append one message to an mbox file
 *
 * Runs in the local delivery agent with the recipient's uid and gid; owns
 * nothing the caller sees.
 * SECURITY: the mbox path (mail spool or home directory) may be in a
 * directory where the recipient or others can create links. A symbolic
 * link or a hard link there would let a local user make the delivery agent
 * append to someone else's file (CVE-2008-2936), so the file is opened with
 * O_NOFOLLOW (never following a link), O_NONBLOCK (a FIFO cannot hang us)
 * and O_EXCL when created, then fstat must show a regular file with one
 * link owned by the effective uid, the same inode lstat finds at the path.
 * The sender in the From_ line comes from the envelope: white space and
 * control characters in it become '_' so it cannot split the line. Message
 * content is untrusted; lib/mailbox_filter.c quotes its From_ lines so it
 * cannot forge a message boundary.
 * Limits: the mbox file may not pass size_limit (mailbox_size_limit);
 * locks are waited for at most lock_timeout_s seconds.
 */
#include "lib/mbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"

/* Delay between two lock attempts. */
#define MBOX_LOCK_RETRY_MS 100
/* Mode of an mbox file we create (the recipient's private mail). */
#define MBOX_FILE_MODE 0600
/* Tries at opening or creating the file when it comes and goes meanwhile. */
#define MBOX_OPEN_ATTEMPTS 3

/* Sender of the From_ line for the null sender (Postfix, sendmail). */
#define MBOX_NULL_SENDER "MAILER-DAEMON"

/* What mbox_deliver holds while it works. */
struct mbox_lock {
	char *lock_path; /* mbox_path.lock */
	bool dotlocked;  /* we created lock_path */
	dev_t lock_dev;  /* ... and it is this file */
	ino_t lock_ino;
	bool fcntl_locked;
};

/* mbox_unsafe - fill err for an mbox that fails a safety check */
static void
mbox_unsafe(struct delivery_error *err, const char *path, const char *why)
{
	log_warn("unsafe mailbox %s: %s", log_safe_str(path), why);
	/*
	 * Temporary: the owner or the administrator can repair the file, and
	 * a bounce would lose the mail for good.
	 */
	delivery_source_error_set(err, true, DELIVERY_DSN_MAILBOX,
	                          "unsafe mailbox: %s", why);
}

/* mbox_open - open (or create) the mbox for appending and check it */
static int
mbox_open(const char *path, struct delivery_error *err)
{
	const int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK |
	                  O_NOCTTY | O_CLOEXEC;
	struct stat st, lst;
	int fd = -1, attempt;

	for (attempt = 0; attempt < MBOX_OPEN_ATTEMPTS; attempt++) {
		fd = open(path, flags);
		if (fd >= 0 || errno != ENOENT)
			break;
		/* SECURITY: O_EXCL fails on anything already there. */
		fd = open(path, flags | O_CREAT | O_EXCL, MBOX_FILE_MODE);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		if (errno == ELOOP)
			mbox_unsafe(err, path, "a symbolic link");
		else
			delivery_source_error_errno(err, errno,
			                            "cannot open mailbox");
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		delivery_source_error_errno(err, errno, "cannot stat mailbox");
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		mbox_unsafe(err, path, "not a regular file");
		goto fail;
	}
	if (st.st_nlink != 1) {
		mbox_unsafe(err, path, "more than one hard link");
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		char why[64];

		snprintf(why, sizeof(why), "owned by uid %lu, not %lu",
		         (unsigned long)st.st_uid, (unsigned long)geteuid());
		mbox_unsafe(err, path, why);
		goto fail;
	}
	/* The file we opened is still the one at the path. */
	if (lstat(path, &lst) < 0 || lst.st_dev != st.st_dev ||
	    lst.st_ino != st.st_ino) {
		mbox_unsafe(err, path, "replaced while being opened");
		goto fail;
	}
	if (io_set_nonblock(fd, false) < 0) {
		delivery_source_error_errno(err, errno, "cannot open mailbox");
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* mbox_now_ms - monotonic clock in milliseconds */
static int64_t
mbox_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* mbox_wait - sleep before the next lock attempt; false past the deadline */
static bool
mbox_wait(int64_t deadline_ms)
{
	int64_t left_ms = deadline_ms - mbox_now_ms();
	struct timespec ts;

	if (left_ms <= 0)
		return false;
	if (left_ms > MBOX_LOCK_RETRY_MS)
		left_ms = MBOX_LOCK_RETRY_MS;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)left_ms * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return true;
}

/* mbox_dotlock - create mbox_path.lock, removing a stale one */
static int
mbox_dotlock(const char *path, struct mbox_lock *lk, int64_t deadline_ms,
             struct delivery_error *err)
{
	struct stat st;
	int fd;

	for (;;) {
		/* SECURITY: O_EXCL | O_NOFOLLOW: never through a link. */
		fd = open(lk->lock_path,
		          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY |
		              O_CLOEXEC,
		          MBOX_FILE_MODE);
		if (fd >= 0)
			break;
		if (errno == EACCES || errno == EPERM || errno == EROFS) {
			/*
			 * No write access to the directory (a mail spool
			 * without the sticky, world-writable mode): the
			 * recipient's own mail readers cannot dot-lock
			 * either, so the fcntl lock is the one that counts
			 * (Postfix: MBOX_DOT_LOCK_MAY_FAIL).
			 */
			int lock_errno = errno;

			log_debug("mailbox %s: no dot lock: %s",
			          log_safe_str(path), strerror(lock_errno));
			return 0;
		}
		if (errno != EEXIST) {
			delivery_source_error_errno(err, errno,
			                            "cannot create lock file");
			return -1;
		}
		/*
		 * XXX: two deliveries may both find the same stale lock, and
		 * the second may remove the lock the first just made. The
		 * fcntl lock, taken next, still keeps them apart; remove this
		 * note if the dot lock is ever used alone.
		 */
		if (lstat(lk->lock_path, &st) == 0 && !S_ISDIR(st.st_mode) &&
		    st.st_mtime + MBOX_STALE_LOCK_SECONDS < time(NULL)) {
			if (unlink(lk->lock_path) == 0) {
				log_info("mailbox %s: removed stale lock "
				         "file (%lld seconds old)",
				         log_safe_str(path),
				         (long long)(time(NULL) - st.st_mtime));
				continue;
			}
		}
		if (!mbox_wait(deadline_ms)) {
			delivery_source_error_set(
			    err, true, DELIVERY_DSN_MAILBOX,
			    "mailbox is locked: lock file exists");
			return -1;
		}
	}
	if (fstat(fd, &st) < 0) {
		delivery_source_error_errno(err, errno,
		                            "cannot stat lock file");
		close(fd);
		(void)unlink(lk->lock_path);
		return -1;
	}
	close(fd);
	lk->dotlocked = true;
	lk->lock_dev = st.st_dev;
	lk->lock_ino = st.st_ino;
	return 0;
}

/* mbox_fcntl_lock - write-lock the whole file with fcntl() */
static int
mbox_fcntl_lock(int fd, struct mbox_lock *lk, int64_t deadline_ms,
                struct delivery_error *err)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	for (;;) {
		if (fcntl(fd, F_SETLK, &fl) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EACCES) {
			delivery_source_error_errno(err, errno,
			                            "cannot lock mailbox");
			return -1;
		}
		if (!mbox_wait(deadline_ms)) {
			delivery_source_error_set(
			    err, true, DELIVERY_DSN_MAILBOX,
			    "mailbox is locked by another process");
			return -1;
		}
	}
	lk->fcntl_locked = true;
	return 0;
}

/* mbox_unlock - release what mbox_dotlock and mbox_fcntl_lock took */
static void
mbox_unlock(int fd, const char *path, struct mbox_lock *lk)
{
	struct stat st;

	if (lk->fcntl_locked) {
		struct flock fl;

		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_UNLCK;
		fl.l_whence = SEEK_SET;
		(void)fcntl(fd, F_SETLK, &fl);
		lk->fcntl_locked = false;
	}
	if (lk->dotlocked) {
		/* Remove our lock file only, not one that replaced it. */
		if (lstat(lk->lock_path, &st) == 0 &&
		    st.st_dev == lk->lock_dev && st.st_ino == lk->lock_ino)
			(void)unlink(lk->lock_path);
		else
			log_warn("mailbox %s: lock file was removed or "
			         "replaced during delivery",
			         log_safe_str(path));
		lk->dotlocked = false;
	}
}

/*
 * mbox_from_line - "From SENDER DATE\n" with the date as asctime() writes
 * it, in local time, with English names whatever the locale
 */
static char *
mbox_from_line(const char *sender)
{
	static const char days[7][4] = {
	    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
	};
	static const char months[12][4] = {
	    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	time_t now = time(NULL);
	char *who, *line, *s;
	struct tm tm;

	if (localtime_r(&now, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	who = mem_strdup(sender[0] != '\0' ? sender : MBOX_NULL_SENDER);
	/* SECURITY: the envelope sender cannot split the From_ line. */
	for (s = who; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s == 0x7f)
			*s = '_';
	line = mem_asprintf(
	    "From %s %s %s %2d %02d:%02d:%02d %d\n", who,
	    days[(unsigned)tm.tm_wday % 7], months[(unsigned)tm.tm_mon % 12],
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
	mem_free(&who);
	return line;
}

/* mbox_append - write the message at the end of the locked file */
static int
mbox_append(int fd, const char *sender, const char *prepend_headers,
            struct delivery_source *src, uint64_t size_limit,
            uint64_t orig_size, struct delivery_error *err)
{
	uint64_t max_octets = 0, octets;
	char *from_line = mbox_from_line(sender);
	size_t from_len = strlen(from_line);
	int rc = -1;

	if (size_limit > 0) {
		/* Any message adds at least the empty line after it. */
		if (orig_size >= size_limit ||
		    size_limit - orig_size <= from_len) {
			delivery_source_error_set(
			    err, false, DELIVERY_DSN_MAILBOX_FULL,
			    "mailbox full: mailbox_size_limit (%llu "
			    "octets) reached",
			    (unsigned long long)size_limit);
			goto out;
		}
		max_octets = size_limit - orig_size - from_len;
	}
	if (io_write_full(fd, from_line, from_len) < 0) {
		delivery_source_error_errno(err, errno,
		                            "error writing message");
		goto out;
	}
	if (delivery_source_copy(src, prepend_headers, DELIVERY_COPY_MBOXRD,
	                         max_octets, fd, &octets, err) < 0)
		goto out;
	if (fsync(fd) < 0) {
		delivery_source_error_errno(err, errno,
		                            "error writing message");
		goto out;
	}
	rc = 0;
out:
	mem_free(&from_line);
	return rc;
}

/* mbox_deliver - append one message to an mbox file */
int
mbox_deliver(const char *mbox_path, const char *sender,
             const char *prepend_headers, struct delivery_source *src,
             uint64_t size_limit, int lock_timeout_s,
             struct delivery_error *err)
{
	struct mbox_lock lk;
	struct stat st;
	int64_t deadline_ms;
	int fd, rc = -1;

	memset(&lk, 0, sizeof(lk));
	if (lock_timeout_s < 0)
		lock_timeout_s = 0;
	fd = mbox_open(mbox_path, err);
	if (fd < 0)
		return -1;
	lk.lock_path = mem_asprintf("%s.lock", mbox_path);
	deadline_ms = mbox_now_ms() + (int64_t)lock_timeout_s * 1000;
	/* Dot lock first, then fcntl, as Postfix and procmail do. */
	if (mbox_dotlock(mbox_path, &lk, deadline_ms, err) < 0 ||
	    mbox_fcntl_lock(fd, &lk, deadline_ms, err) < 0)
		goto out;
	/* The size is only stable once we hold the locks. */
	if (fstat(fd, &st) < 0) {
		delivery_source_error_errno(err, errno, "cannot stat mailbox");
		goto out;
	}
	if (mbox_append(fd, sender, prepend_headers, src, size_limit,
	                (uint64_t)st.st_size, err) < 0) {
		/* No half message: cut the file back to where it was. */
		if (ftruncate(fd, st.st_size) < 0 || fsync(fd) < 0) {
			int trunc_errno = errno;

			log_error("mailbox %s: cannot truncate back to %lld "
			          "octets after a failed delivery: %s",
			          log_safe_str(mbox_path),
			          (long long)st.st_size, strerror(trunc_errno));
		}
		goto out;
	}
	rc = 0;
out:
	mbox_unlock(fd, mbox_path, &lk);
	close(fd);
	mem_free(&lk.lock_path);
	return rc;
}
