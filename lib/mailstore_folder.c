/*
 * mailstore_folder.c - the folder tree of a Maildir++ store (see
 * mailstore.h, docs/mailstore.md "Layout").
 *
 * mailstore_folder_list   - INBOX and every ".NAME" directory
 * mailstore_folder_create - ".NAME" with cur/ new/ tmp/ maildirfolder
 * mailstore_folder_delete - out of sight first, then emptied and removed
 * mailstore_folder_rename - a folder and its children
 *
 * Input: folder names from IMAP clients (checked by
 * mailstore_folder_name_is_valid before they reach the file system) and
 * directory entries of the user's Maildir. Every operation is relative to
 * the root descriptor; nothing follows a symbolic link below it. Runs
 * with the caller's privilege (the mail owner); logs nothing.
 */
#include "lib/mailstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Modes of what we create: the user's private mail. */
#define MAILSTORE_DIR_MODE 0700
#define MAILSTORE_FILE_MODE 0600
/* The Maildir++ marker file of a folder. */
#define MAILSTORE_FOLDER_MARKER "maildirfolder"

/* folder_dirname - ".NAME" for a valid folder name, or -1 */
static int
folder_dirname(struct mailstore *ms, const char *name, char *out,
	       size_t size, const char **error_r)
{
	if (mailstore_folder_name_is_inbox(name))
		return mailstore_fail(ms, error_r,
				  "INBOX cannot be changed this way");
	if (!mailstore_folder_name_is_valid(name))
		return mailstore_fail(ms, error_r, "invalid folder name");
	snprintf(out, size, ".%s", name);
	return 0;
}

/* mailstore_folder_list - INBOX and every folder directory */
int
mailstore_folder_list(struct mailstore *ms, mailstore_folder_list_fn *cb,
		      void *ctx, const char **error_r)
{
	int root = mailstore_root_fd(ms, error_r), fd;
	struct dirent *de;
	DIR *d;

	if (root < 0)
		return -1;
	if (cb(ctx, "INBOX") != 0)
		return 0;
	fd = fcntl(root, F_DUPFD_CLOEXEC, 0);
	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		return mailstore_fail(ms, error_r, "readdir %s: %s",
				  mailstore_path(ms), strerror(saved));
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] != '.' ||
		    !mailstore_folder_name_is_valid(de->d_name + 1))
			continue;
		if (de->d_type != DT_DIR &&
		    (de->d_type != DT_UNKNOWN ||
		     fstatat(root, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		     !S_ISDIR(st.st_mode)))
			continue;
		if (cb(ctx, de->d_name + 1) != 0)
			break;
	}
	closedir(d);
	return 0;
}

/* mailstore_folder_create - a new folder directory */
int
mailstore_folder_create(struct mailstore *ms, const char *name,
			const char **error_r)
{
	char dirname[MAILSTORE_FOLDER_NAME_MAX + 2];
	static const char *const subs[] = { "cur", "new", "tmp" };
	int root = mailstore_root_fd(ms, error_r), fd, mfd;
	size_t i;

	if (root < 0 ||
	    folder_dirname(ms, name, dirname, sizeof(dirname), error_r) < 0)
		return -1;
	if (mkdirat(root, dirname, MAILSTORE_DIR_MODE) < 0)
		return mailstore_fail(ms, error_r, "%s",
				  errno == EEXIST ? "folder exists"
						  : strerror(errno));
	fd = mailstore_open_subdir(root, dirname, false);
	if (fd < 0)
		return mailstore_fail(ms, error_r, "open %s: %s", dirname,
				  strerror(errno));
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (mkdirat(fd, subs[i], MAILSTORE_DIR_MODE) < 0 &&
		    errno != EEXIST) {
			int saved = errno;

			close(fd);
			return mailstore_fail(ms, error_r,
					  "mkdir %s/%s: %s", dirname, subs[i],
					  strerror(saved));
		}
	}
	mfd = openat(fd, MAILSTORE_FOLDER_MARKER,
		     O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		     MAILSTORE_FILE_MODE);
	if (mfd >= 0)
		close(mfd);
	close(fd);
	return 0;
}

/* dir_empty_files - unlink every non-directory entry of dirfd */
static int
dir_empty_files(int dirfd)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_type == DT_DIR)
			continue;
		if (unlinkat(dirfd, de->d_name, 0) < 0 && errno != ENOENT &&
		    errno != EISDIR)
			rc = -1;
	}
	closedir(d);
	return rc;
}

/* mailstore_folder_delete - remove a folder and its messages */
int
mailstore_folder_delete(struct mailstore *ms, const char *name,
			const char **error_r)
{
	char dirname[MAILSTORE_FOLDER_NAME_MAX + 2], trash[64];
	static const char *const subs[] = { "cur", "new", "tmp" };
	int root = mailstore_root_fd(ms, error_r), fd;
	struct timespec ts;
	size_t i;

	if (root < 0 ||
	    folder_dirname(ms, name, dirname, sizeof(dirname), error_r) < 0)
		return -1;
	/* Out of sight first (a name no folder can have), then emptied. */
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(trash, sizeof(trash), "..deleted.%lld.%ld.%ld",
		 (long long)ts.tv_sec, ts.tv_nsec, (long)getpid());
	if (renameat2(root, dirname, root, trash, RENAME_NOREPLACE) < 0)
		return mailstore_fail(ms, error_r, "%s",
				  errno == ENOENT ? "no such folder"
						  : strerror(errno));
	fd = mailstore_open_subdir(root, trash, false);
	if (fd < 0)
		return mailstore_fail(ms, error_r, "open %s: %s", trash,
				  strerror(errno));
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		int sfd = mailstore_open_subdir(fd, subs[i], false);

		if (sfd < 0)
			continue;
		(void)dir_empty_files(sfd);
		close(sfd);
		(void)unlinkat(fd, subs[i], AT_REMOVEDIR);
	}
	(void)dir_empty_files(fd);
	close(fd);
	if (unlinkat(root, trash, AT_REMOVEDIR) < 0)
		return mailstore_fail(ms, error_r,
				  "remove %s/%s: %s (left behind)", mailstore_path(ms),
				  trash, strerror(errno));
	return 0;
}

/* mailstore_folder_rename - a folder and its subfolders */
int
mailstore_folder_rename(struct mailstore *ms, const char *from,
			const char *to, const char **error_r)
{
	char src[MAILSTORE_FOLDER_NAME_MAX + 2], dst[MAILSTORE_FOLDER_NAME_MAX + 2];
	int root = mailstore_root_fd(ms, error_r), fd;
	size_t src_len, dst_len;
	struct dirent *de;
	DIR *d;

	if (root < 0 || folder_dirname(ms, from, src, sizeof(src), error_r) < 0 ||
	    folder_dirname(ms, to, dst, sizeof(dst), error_r) < 0)
		return -1;
	src_len = strlen(src);
	dst_len = strlen(dst);
	if (strncmp(dst, src, src_len) == 0 && dst[src_len] == '.')
		return mailstore_fail(ms, error_r,
				  "cannot move a folder into itself");
	if (renameat2(root, src, root, dst, RENAME_NOREPLACE) < 0)
		return mailstore_fail(ms, error_r, "%s",
				  errno == ENOENT   ? "no such folder"
				  : errno == EEXIST ? "folder exists"
						    : strerror(errno));
	/* Then the subfolders, ".from.x" -> ".to.x". */
	fd = fcntl(root, F_DUPFD_CLOEXEC, 0);
	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return mailstore_fail(ms, error_r,
				  "readdir %s: %s (subfolders not renamed)",
				  mailstore_path(ms), strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		char child[MAILSTORE_FILENAME_MAX + 1];
		size_t rest;
		int n;

		if (strncmp(de->d_name, src, src_len) != 0 ||
		    de->d_name[src_len] != '.')
			continue;
		rest = strlen(de->d_name + src_len);
		if (dst_len + rest > MAILSTORE_FILENAME_MAX)
			continue;
		n = snprintf(child, sizeof(child), "%s%s", dst,
			     de->d_name + src_len);
		if (n < 0 || (size_t)n >= sizeof(child))
			continue;
		(void)renameat2(root, de->d_name, root, child,
				RENAME_NOREPLACE);
	}
	closedir(d);
	return 0;
}
