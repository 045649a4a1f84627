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

/*
 * One operation on message m's file, which is in directory dir. Returns 0
 * when done, -1 with errno set (ENOENT: the name is gone), or -2 after
 * mailstore_folder_fail.
 */
typedef int msg_op_fn(struct mailstore_folder *f, struct mailstore_msg *m,
                      int dir, void *ctx, const char **error_r);

/*
 * msg_apply - run op on message i's file; when its name is gone, find the
 * file again and try once more. Returns 1 when done, 0 when the message
 * is gone (now marked expunged), -1 with *error_r (errno kept).
 */
static int
msg_apply(struct mailstore_folder *f, size_t i, const char *what, msg_op_fn *op,
          void *ctx, const char **error_r)
{
	struct mailstore_msg *m = mailstore_msg(f, i);
	int attempt, rc;

	if (m->expunged)
		return 0;
	for (attempt = 0; attempt < 2; attempt++) {
		rc = op(f, m, msg_dir(f, m), ctx, error_r);
		if (rc == 0)
			return 1;
		if (rc == -2)
			return -1;
		if (errno != ENOENT) {
			int saved = errno;

			mailstore_folder_fail(f, error_r, "%s %s: %s", what,
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

/* op_open - open the file read-only; it must be a regular file */
static int
op_open(struct mailstore_folder *f, struct mailstore_msg *m, int dir, void *ctx,
        const char **error_r)
{
	int *fd_r = ctx;
	struct stat st;
	int fd =
	    openat(dir, m->filename,
	           O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		mailstore_folder_fail(f, error_r, "%s: not a regular file",
		                      m->filename);
		return -2;
	}
	*fd_r = fd;
	return 0;
}

/* mailstore_msg_open - open message i's file */
int
mailstore_msg_open(struct mailstore_folder *f, size_t i, int *fd_r,
                   const char **error_r)
{
	return msg_apply(f, i, "open", op_open, fd_r, error_r);
}

/* What op_set_flags renames a file to. */
struct set_flags {
	const char *name; /* BASE:2,LETTERS */
	uint32_t flags, keywords;
};

/* op_set_flags - rename the file to cur/NAME (nothing when it is that) */
static int
op_set_flags(struct mailstore_folder *f, struct mailstore_msg *m, int dir,
             void *ctx, const char **error_r)
{
	const struct set_flags *sf = ctx;

	(void)error_r;
	if (!m->in_new && strcmp(m->filename, sf->name) == 0)
		return 0;
	if (renameat(dir, m->filename,
	             mailstore_folder_fd(f, MAILSTORE_SUBDIR_CUR),
	             sf->name) < 0)
		return -1;
	mem_free(&m->filename);
	m->filename = mem_strdup(sf->name);
	m->in_new = false;
	m->flags = sf->flags;
	m->keywords = sf->keywords;
	return 0;
}

/* mailstore_msg_set_flags - rename to cur/BASE:2,FLAGS */
int
mailstore_msg_set_flags(struct mailstore_folder *f, size_t i, uint32_t flags,
                        uint32_t keywords, const char **error_r)
{
	struct mailstore_msg *m = mailstore_msg(f, i);
	char name[MAILSTORE_FILENAME_MAX + 1], letters[64];
	struct set_flags sf = {name, flags & MAILSTORE_LETTERS_MASK,
	                       keywords & MAILSTORE_LETTERS_MASK};
	int n;

	if (m->expunged)
		return 0;
	mailstore_name_flags_format(sf.flags, sf.keywords, letters,
	                            sizeof(letters));
	n = snprintf(name, sizeof(name), "%s" MAILSTORE_INFO_PREFIX "%s",
	             m->base, letters);
	if (n < 0 || (size_t)n >= sizeof(name))
		return mailstore_folder_fail(
		    f, error_r, "%s: file name too long for its flags",
		    m->base);
	return msg_apply(f, i, "rename", op_set_flags, &sf, error_r);
}

/* op_expunge - unlink the file */
static int
op_expunge(struct mailstore_folder *f, struct mailstore_msg *m, int dir,
           void *ctx, const char **error_r)
{
	(void)f;
	(void)ctx;
	(void)error_r;
	if (unlinkat(dir, m->filename, 0) < 0)
		return -1;
	m->expunged = true;
	return 0;
}

/* mailstore_msg_expunge - unlink message i */
int
mailstore_msg_expunge(struct mailstore_folder *f, size_t i,
                      const char **error_r)
{
	return msg_apply(f, i, "unlink", op_expunge, NULL, error_r);
}

/* Where op_link puts the file. */
struct link_to {
	int dir;
	const char *name;
	bool move;
};

/* op_link - link (or move) the file to the target, never replacing one */
static int
op_link(struct mailstore_folder *f, struct mailstore_msg *m, int dir, void *ctx,
        const char **error_r)
{
	const struct link_to *to = ctx;

	(void)f;
	(void)error_r;
	/* Never replace a file: a clash is an error, not a loss. */
	if (to->move) {
		if (renameat2(dir, m->filename, to->dir, to->name,
		              RENAME_NOREPLACE) < 0)
			return -1;
		m->expunged = true;
		return 0;
	}
	return linkat(dir, m->filename, to->dir, to->name, 0) < 0 ? -1 : 0;
}

/* mailstore_msg_link - link or move message i's file to dst_dir/dst_name */
int
mailstore_msg_link(struct mailstore_folder *f, size_t i, int dst_dir,
                   const char *dst_name, bool move, const char **error_r)
{
	struct link_to to = {dst_dir, dst_name, move};

	return msg_apply(f, i, move ? "rename" : "link", op_link, &to, error_r);
}
