/*
 * queue.c - the queue directory: states, queue IDs, paths, moves, scans,
 * flags in the file mode.
 *
 * queue_state_name, queue_state_from_name   state <-> directory name
 * queue_id_is_valid                         check an ID from outside
 * queue_id_format, queue_id_time_us         make an ID, read its time
 * queue_path                                queue_dir/state/id
 * queue_init_dirs                           create the state directories
 * queue_move, queue_move_corrupt            durable moves between states
 * queue_remove                              delete a finished message
 * queue_scan                                list the IDs of one state
 * queue_flag_is_delay_warned                whether u+x (warned) is set
 * queue_flag_delay_warned_set               set u+x durably (fsync)
 *
 * Layout and ID format: docs/queue-format.md. Untrusted input: queue IDs
 * given by users of the `mailroom queue` command and names found in the
 * queue directories; neither becomes part of a path unless it is a valid ID
 * (fixed length, [0-9A-Za-z] only, so never "..", "/" or empty). Runs as the
 * mail user. Paths are limited to PATH_MAX.
 */
#include "lib/queue.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/log.h"

/* Base-62 digits in ASCII order, so IDs sort as strings like numbers. */
static const char queue_id_digits[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
#define QUEUE_ID_BASE 62

static const char *const queue_state_names[QUEUE_STATE_COUNT] = {
	"incoming", "active", "deferred", "hold", "corrupt",
};

/* queue_state_name - directory name of a state */
const char *
queue_state_name(enum queue_state state)
{
	MR_ASSERT((unsigned int)state < QUEUE_STATE_COUNT);
	return queue_state_names[state];
}

/* queue_state_from_name - state for a directory name */
int
queue_state_from_name(const char *name, enum queue_state *state_r)
{
	size_t i;

	for (i = 0; i < QUEUE_STATE_COUNT; i++) {
		if (strcmp(name, queue_state_names[i]) == 0) {
			*state_r = (enum queue_state)i;
			return 0;
		}
	}
	return -1;
}

/* queue_digit_value - value of a base-62 digit, or -1 */
static int
queue_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 36;
	return -1;
}

/* queue_id_is_valid - fixed length, base-62 digits only */
bool
queue_id_is_valid(const char *id)
{
	size_t i;

	if (id == NULL)
		return false;
	for (i = 0; i < QUEUE_ID_LEN; i++)
		if (queue_digit_value(id[i]) < 0)
			return false; /* also stops at the NUL of a short id */
	return id[QUEUE_ID_LEN] == '\0';
}

/* queue_id_put - value as exactly digits base-62 digits */
static void
queue_id_put(char *out, size_t digits, uint64_t value)
{
	size_t i;

	for (i = digits; i > 0; i--) {
		out[i - 1] = queue_id_digits[value % QUEUE_ID_BASE];
		value /= QUEUE_ID_BASE;
	}
}

/* queue_id_format - time and inode as a queue ID */
void
queue_id_format(uint64_t time_us, uint64_t inode, char id_r[QUEUE_ID_SIZE])
{
	uint64_t time_max = 1;
	size_t i;

	/* 62^10 - 1 microseconds is in the year 28000: clamp beyond it. */
	for (i = 0; i < QUEUE_ID_TIME_DIGITS; i++)
		time_max *= QUEUE_ID_BASE;
	if (time_us >= time_max)
		time_us = time_max - 1;
	queue_id_put(id_r, QUEUE_ID_TIME_DIGITS, time_us);
	/* 62^11 > 2^64, so every inode number fits. */
	queue_id_put(id_r + QUEUE_ID_TIME_DIGITS, QUEUE_ID_INODE_DIGITS, inode);
	id_r[QUEUE_ID_LEN] = '\0';
}

/* queue_id_time_us - decode the time part */
uint64_t
queue_id_time_us(const char *id)
{
	uint64_t v = 0;
	size_t i;

	MR_ASSERT(queue_id_is_valid(id));
	for (i = 0; i < QUEUE_ID_TIME_DIGITS; i++)
		v = v * QUEUE_ID_BASE + (uint64_t)queue_digit_value(id[i]);
	return v;
}

/* queue_path - build queue_dir/state/id */
int
queue_path(const char *queue_dir, enum queue_state state, const char *id,
	   char *out, size_t size)
{
	int n;

	/* SECURITY: only a valid ID can never name another directory. */
	if (!queue_id_is_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(out, size, "%s/%s/%s", queue_dir, queue_state_name(state),
		     id);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* queue_dir_path - build queue_dir/state */
static int
queue_dir_path(const char *queue_dir, enum queue_state state, char *out,
	       size_t size)
{
	int n = snprintf(out, size, "%s/%s", queue_dir, queue_state_name(state));

	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* queue_init_dirs - create the state directories */
int
queue_init_dirs(const char *queue_dir, mode_t mode, const char **error_r)
{
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < QUEUE_STATE_COUNT; i++) {
		if (queue_dir_path(queue_dir, (enum queue_state)i, path,
				   sizeof(path)) < 0) {
			*error_r = "queue directory path too long";
			return -1;
		}
		if (io_mkdir_p(path, mode) < 0) {
			*error_r = "cannot create queue directory";
			return -1;
		}
		/* mkdir -p accepts an existing file of that name: refuse it. */
		if (stat(path, &st) < 0) {
			*error_r = "cannot stat queue directory";
			return -1;
		}
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			*error_r = "queue state path is not a directory";
			return -1;
		}
	}
	if (io_fsync_dir(queue_dir) < 0 || io_fsync_parent(queue_dir) < 0) {
		*error_r = "cannot sync queue directory";
		return -1;
	}
	return 0;
}

/* queue_move - rename between states and sync the target directory */
int
queue_move(const char *queue_dir, const char *id, enum queue_state from,
	   enum queue_state to, const char **error_r)
{
	char from_path[PATH_MAX], to_path[PATH_MAX];

	if (queue_path(queue_dir, from, id, from_path, sizeof(from_path)) < 0 ||
	    queue_path(queue_dir, to, id, to_path, sizeof(to_path)) < 0) {
		*error_r = "invalid queue ID or path too long";
		return -1;
	}
	if (rename(from_path, to_path) < 0) {
		*error_r = "cannot rename queue file";
		return -1;
	}
	if (io_fsync_parent(to_path) < 0) {
		*error_r = "cannot sync queue directory";
		return -1;
	}
	return 0;
}

/* queue_move_corrupt - quarantine a refused file and log it */
int
queue_move_corrupt(const char *queue_dir, const char *id,
		   enum queue_state from, const char *reason)
{
	const char *error;

	if (queue_move(queue_dir, id, from, QUEUE_STATE_CORRUPT, &error) < 0) {
		log_warn("%s: corrupt queue file %s/%s (%s): %s: %s",
			 log_safe_str(id), queue_state_name(from),
			 log_safe_str(id), reason, error, strerror(errno));
		return -1;
	}
	log_warn("%s: corrupt queue file %s/%s moved to corrupt: %s", id,
		 queue_state_name(from), id, reason);
	return 0;
}

/* queue_remove - unlink a message */
int
queue_remove(const char *queue_dir, const char *id, enum queue_state state,
	     const char **error_r)
{
	char path[PATH_MAX];

	if (queue_path(queue_dir, state, id, path, sizeof(path)) < 0) {
		*error_r = "invalid queue ID or path too long";
		return -1;
	}
	/*
	 * No directory fsync: a removal lost in a crash brings back a file
	 * whose recipients are all marked done, and it is removed again.
	 */
	if (unlink(path) < 0) {
		*error_r = "cannot remove queue file";
		return -1;
	}
	return 0;
}

/* queue_flag_is_delay_warned - the owner-execute bit of a queue file */
bool
queue_flag_is_delay_warned(mode_t st_mode)
{
	return (st_mode & QUEUE_FLAG_DELAY_WARNED) != 0;
}

/* queue_flag_delay_warned_set - chmod u+x and make it durable */
int
queue_flag_delay_warned_set(int fd, const char **error_r)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		*error_r = "cannot stat queue file";
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		*error_r = "queue file is not a regular file";
		return -1;
	}
	if (queue_flag_is_delay_warned(st.st_mode))
		return 0;
	if (fchmod(fd, (st.st_mode & 07777) | QUEUE_FLAG_DELAY_WARNED) < 0) {
		*error_r = "cannot change queue file mode";
		return -1;
	}
	/* fsync (not fdatasync): the mode is metadata, not data. */
	if (fsync(fd) < 0) {
		*error_r = "cannot sync queue file";
		return -1;
	}
	return 0;
}

/* queue_scan - call fn for every valid ID in a state directory */
int
queue_scan(const char *queue_dir, enum queue_state state, queue_scan_fn *fn,
	   void *ctx, const char **error_r)
{
	char path[PATH_MAX];
	struct dirent *e;
	size_t skipped = 0;
	DIR *d;
	int rc = 0;

	if (queue_dir_path(queue_dir, state, path, sizeof(path)) < 0) {
		*error_r = "queue directory path too long";
		return -1;
	}
	d = opendir(path);
	if (d == NULL) {
		*error_r = "cannot open queue directory";
		return -1;
	}
	for (;;) {
		errno = 0;
		e = readdir(d);
		if (e == NULL)
			break;
		if (e->d_name[0] == '.')
			continue; /* ".", "..", the writer's temporary names */
		if (!queue_id_is_valid(e->d_name)) {
			/* SECURITY: a foreign name never reaches fn. */
			if (skipped++ < QUEUE_SCAN_WARN_MAX)
				log_warn("queue scan: %s/%s: not a queue ID, "
					 "skipped",
					 queue_state_name(state),
					 log_safe_str(e->d_name));
			continue;
		}
		rc = fn(ctx, e->d_name);
		if (rc != 0)
			break;
	}
	if (e == NULL && errno != 0) {
		*error_r = "cannot read queue directory";
		rc = -1;
	}
	if (skipped > QUEUE_SCAN_WARN_MAX)
		log_warn("queue scan: %s: %zu names skipped in all",
			 queue_state_name(state), skipped);
	closedir(d);
	return rc;
}
