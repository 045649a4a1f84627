/*
 * io.c - safe file and descriptor I/O (see io.h).
 *
 * io_write_full, io_read_file, io_read_fd, io_fsync_dir, io_fsync_parent,
 * io_atomic_replace, io_set_nonblock, io_set_cloexec, io_mkdir_p.
 * Reads are bounded by the caller's maximum; paths are trusted (ours).
 */
#include "lib/io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* io_write_full - write everything */
int
io_write_full(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* io_read_fd - read to end with a limit */
int
io_read_fd(int fd, size_t max_bytes, struct buf *out)
{
	size_t start = out->len;

	for (;;) {
		size_t chunk = 65536;
		uint8_t *p;
		ssize_t r;

		if (out->len - start >= max_bytes + 1)
			break;
		if (chunk > max_bytes + 1 - (out->len - start))
			chunk = max_bytes + 1 - (out->len - start);
		if (!buf_has_room(out, chunk)) {
			chunk = buf_room(out);
			if (chunk == 0) {
				errno = EFBIG;
				return -1;
			}
		}
		p = buf_reserve(out, chunk);
		r = read(fd, p, chunk);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return 0;
		buf_commit(out, (size_t)r);
	}
	errno = EFBIG;
	return -1;
}

/* io_read_file - read a whole file with a limit */
int
io_read_file(const char *path, size_t max_bytes, struct buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int rc, saved;

	if (fd < 0)
		return -1;
	rc = io_read_fd(fd, max_bytes, out);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* io_fsync_dir - make directory entries durable */
int
io_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc, saved;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* io_fsync_parent - fsync the directory containing path */
int
io_fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return io_fsync_dir(".");
	n = (size_t)(slash - path);
	if (n == 0)
		return io_fsync_dir("/");
	if (n >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	return io_fsync_dir(dir);
}

/* io_atomic_replace - write a temp file and rename it over path */
int
io_atomic_replace(const char *path, const void *p, size_t n, mode_t mode)
{
	char tmp[PATH_MAX];
	int fd, saved, len;

	len = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (len < 0 || (size_t)len >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  mode);
	if (fd < 0)
		return -1;
	if (io_write_full(fd, p, n) < 0 || fchmod(fd, mode) < 0 ||
	    fsync(fd) < 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return io_fsync_parent(path);
}

/* io_set_nonblock - toggle O_NONBLOCK */
int
io_set_nonblock(int fd, bool on)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -1;
	flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, flags);
}

/* io_set_cloexec - toggle FD_CLOEXEC */
int
io_set_cloexec(int fd, bool on)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0)
		return -1;
	flags = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
	return fcntl(fd, F_SETFD, flags);
}

/* io_mkdir_p - mkdir -p */
int
io_mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path), i;

	if (n == 0 || n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -1;
		if (i < n)
			tmp[i] = '/';
	}
	return 0;
}
