/*
 * mailstore_msg.c - one message's file in a Maildir++ folder (see
 * mailstore.h, docs/mailstore.md).
 *
 * mailstore_msg_open/set_flags/expunge/link - open, rename for new
 *                                   flags, unlink, link or move
 *
 * Another session may rename a message's file at any time (new flags,
 * new/ to cur/); each operation that finds the name gone looks for the
 * file again by its base name once before it counts the message as
 * expunged.
 *
 * Untrusted input: file names in new/ and cur/. Runs with the caller's
 * privilege (the mail owner); nothing here logs.
 */
#include "lib/mailstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/mem.h"

/* msg_dir - the directory (new/ or cur/) that holds m's file */
static int
msg_dir(const struct mailstore_folder *f, const struct mailstore_msg *m)
{
	return mailstore_folder_fd(f, m->in_new ? MAILSTORE_SUBDIR_NEW
	                                        : MAILSTORE_SUBDIR_CUR);
}

/*
 * msg_relocate - find message m's file again after another session renamed
 * it. Returns 1 when found (filename updated), 0 when gone, -1 on error.
 */
static int
msg_relocate(struct mailstore_folder *f, struct mailstore_msg *m,
             const char **error_r)
{
	int pass;

	for (pass = 0; pass < 2; pass++) {
		bool in_new = pass == 1;
		enum mailstore_subdir which =
		    in_new ? MAILSTORE_SUBDIR_NEW : MAILSTORE_SUBDIR_CUR;
		int fd =
		    fcntl(mailstore_folder_fd(f, which), F_DUPFD_CLOEXEC, 0);
		size_t blen = strlen(m->base);
		struct dirent *de;
		DIR *d;

		if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
		    (d = fdopendir(fd)) == NULL) {
			int saved = errno;

			if (fd >= 0)
				close(fd);
			return mailstore_folder_fail(
			    f, error_r, "readdir of %s: %s",
			    mailstore_folder_name(f), strerror(saved));
		}
		while ((de = readdir(d)) != NULL) {
			struct mailstore_name mn;

			if (strncmp(de->d_name, m->base, blen) != 0 ||
			    mailstore_name_parse(de->d_name, strlen(de->d_name),
			                         &mn) < 0 ||
			    mn.base_len != blen)
				continue;
			mailstore_msg_set_file(m, de->d_name, &mn, in_new);
			closedir(d);
			return 1;
		}
		closedir(d);
	}
	return 0;
}

/* mailstore_msg_open - open message i's file */
int
mailstore_msg_open(struct mailstore_folder *f, size_t i, int *fd_r,
                   const char **error_r)
{
	struct mailstore_msg *m = mailstore_msg(f, i);
	int attempt;

	if (m->expunged)
		return 0;
	for (attempt = 0; attempt < 2; attempt++) {
		struct stat st;
		int rc, fd = openat(msg_dir(f, m), m->filename,
		                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		                        O_CLOEXEC | O_NOCTTY);

		if (fd >= 0) {
			if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
				close(fd);
				return mailstore_folder_fail(
				    f, error_r, "%s: not a regular file",
				    m->filename);
			}
			*fd_r = fd;
			return 1;
		}
		if (errno != ENOENT)
			return mailstore_folder_fail(f, error_r, "open %s: %s",
			                             m->filename,
			                             strerror(errno));
		if (attempt > 0 || (rc = msg_relocate(f, m, error_r)) == 0)
			break;
		if (rc < 0)
			return -1;
	}
	m->expunged = true;
	return 0;
}

/* mailstore_msg_set_flags - rename to cur/BASE:2,FLAGS */
int
mailstore_msg_set_flags(struct mailstore_folder *f, size_t i, uint32_t flags,
                        uint32_t keywords, const char **error_r)
{
	struct mailstore_msg *m = mailstore_msg(f, i);
	char name[MAILSTORE_FILENAME_MAX + 1], letters[64];
	int attempt, n;

	if (m->expunged)
		return 0;
	flags &= MAILSTORE_LETTERS_MASK;
	keywords &= MAILSTORE_LETTERS_MASK;
	mailstore_name_flags_format(flags, keywords, letters, sizeof(letters));
	n = snprintf(name, sizeof(name), "%s" MAILSTORE_INFO_PREFIX "%s",
	             m->base, letters);
	if (n < 0 || (size_t)n >= sizeof(name))
		return mailstore_folder_fail(
		    f, error_r, "%s: file name too long for its flags",
		    m->base);
	for (attempt = 0; attempt < 2; attempt++) {
		int rc;

		if (!m->in_new && strcmp(m->filename, name) == 0)
			return 1;
		if (renameat(msg_dir(f, m), m->filename,
		             mailstore_folder_fd(f, MAILSTORE_SUBDIR_CUR),
		             name) == 0) {
			mem_free(&m->filename);
			m->filename = mem_strdup(name);
			m->in_new = false;
			m->flags = flags;
			m->keywords = keywords;
			return 1;
		}
		if (errno != ENOENT)
			return mailstore_folder_fail(
			    f, error_r, "rename %s: %s", m->filename,
			    strerror(errno));
		if (attempt > 0 || (rc = msg_relocate(f, m, error_r)) == 0)
			break;
		if (rc < 0)
			return -1;
	}
	m->expunged = true;
	return 0;
}

/* mailstore_msg_expunge - unlink message i */
int
mailstore_msg_expunge(struct mailstore_folder *f, size_t i,
                      const char **error_r)
{
	struct mailstore_msg *m = mailstore_msg(f, i);
	int attempt;

	if (m->expunged)
		return 0;
	for (attempt = 0; attempt < 2; attempt++) {
		int rc;

		if (unlinkat(msg_dir(f, m), m->filename, 0) == 0) {
			m->expunged = true;
			return 1;
		}
		if (errno != ENOENT)
			return mailstore_folder_fail(
			    f, error_r, "unlink %s: %s", m->filename,
			    strerror(errno));
		if (attempt > 0 || (rc = msg_relocate(f, m, error_r)) == 0)
			break;
		if (rc < 0)
			return -1;
	}
	m->expunged = true;
	return 0;
}

/* mailstore_msg_link - link or move message i's file to dst_dir/dst_name */
int
mailstore_msg_link(struct mailstore_folder *f, size_t i, int dst_dir,
                   const char *dst_name, bool move, const char **error_r)
{
	struct mailstore_msg *m = mailstore_msg(f, i);
	int attempt, rc, saved;

	if (m->expunged)
		return 0;
	for (attempt = 0; attempt < 2; attempt++) {
		int src_dir = msg_dir(f, m);

		/* Never replace a file: a clash is an error, not a loss. */
		rc = move ? renameat2(src_dir, m->filename, dst_dir, dst_name,
		                      RENAME_NOREPLACE)
		          : linkat(src_dir, m->filename, dst_dir, dst_name, 0);
		if (rc == 0) {
			if (move)
				m->expunged = true;
			return 1;
		}
		if (errno != ENOENT) {
			saved = errno;
			mailstore_folder_fail(f, error_r, "%s %s: %s",
			                      move ? "rename" : "link",
			                      m->filename, strerror(saved));
			errno = saved;
			return -1;
		}
		if (attempt > 0 || (rc = msg_relocate(f, m, error_r)) == 0)
			break;
		if (rc < 0)
			return -1;
	}
	m->expunged = true;
	return 0;
}
