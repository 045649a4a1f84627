/*
 * io.h - safe file and descriptor I/O.
 *
 * Full writes, bounded reads, fsync of files and directories, and atomic
 * replacement of a file (write temp, fsync, rename, fsync directory). All
 * return 0 on success and -1 with errno set on failure; EINTR is retried.
 */
#ifndef MR_IO_H
#define MR_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/buf.h"

/* io_write_full - write all n bytes (retrying short writes and EINTR). */
int io_write_full(int fd, const void *p, size_t n);

/*
 * io_read_file - read the whole file at path into out (appending), failing
 * with EFBIG when it holds more than max_bytes.
 */
int io_read_file(const char *path, size_t max_bytes, struct buf *out);

/* io_read_fd - read fd to its end into out, EFBIG past max_bytes. */
int io_read_fd(int fd, size_t max_bytes, struct buf *out);

/* io_fsync_dir - fsync the directory at path (makes renames durable). */
int io_fsync_dir(const char *path);

/* io_fsync_parent - fsync the directory holding path. */
int io_fsync_parent(const char *path);

/*
 * io_atomic_replace - replace path with the n bytes at p: write path.tmp.PID,
 * fsync, rename over path, fsync the directory. mode applies to the new file.
 */
int io_atomic_replace(const char *path, const void *p, size_t n, mode_t mode);

/* io_set_nonblock - set or clear O_NONBLOCK. */
int io_set_nonblock(int fd, bool on);

/* io_set_cloexec - set or clear FD_CLOEXEC. */
int io_set_cloexec(int fd, bool on);

/* io_mkdir_p - create path and missing parents with mode (existing is ok). */
int io_mkdir_p(const char *path, mode_t mode);

#endif
