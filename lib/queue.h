/*
 * queue.h - the queue directory: states, queue IDs, paths, moves, scans,
 * flags in the file mode.
 *
 * Layout and ID format: docs/queue-format.md. A message is one file named by
 * its queue ID in the directory of its state. Functions that fail return -1
 * with *error_r set to a fixed description and errno kept from the failing
 * system call (ENOENT: the file is not there), so callers log both.
 */
#ifndef MR_QUEUE_H
#define MR_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Queue ID: 10 base-62 digits of time in microseconds, 11 of inode. */
#define QUEUE_ID_TIME_DIGITS 10
#define QUEUE_ID_INODE_DIGITS 11
#define QUEUE_ID_LEN (QUEUE_ID_TIME_DIGITS + QUEUE_ID_INODE_DIGITS)
#define QUEUE_ID_SIZE (QUEUE_ID_LEN + 1)

/* Queue states; each is a subdirectory of the queue directory. */
enum queue_state {
	QUEUE_STATE_INCOMING,
	QUEUE_STATE_ACTIVE,
	QUEUE_STATE_DEFERRED,
	QUEUE_STATE_HOLD,
	QUEUE_STATE_CORRUPT,
};
#define QUEUE_STATE_COUNT 5

/* Longest warning run of queue_scan before it only counts. */
#define QUEUE_SCAN_WARN_MAX 10

/* queue_state_name - "incoming", "active", "deferred", "hold", "corrupt". */
const char *queue_state_name(enum queue_state state);

/*
 * queue_state_from_name - the state called name; returns 0, or -1 when no
 * state has that name.
 */
int queue_state_from_name(const char *name, enum queue_state *state_r);

/*
 * queue_id_is_valid - whether id is exactly QUEUE_ID_LEN characters of
 * [0-9A-Za-z]. SECURITY: check every ID that comes from outside (a user, a
 * file name, IPC) with this before building a path from it.
 */
bool queue_id_is_valid(const char *id);

/*
 * queue_id_format - the ID for a file with inode number inode that arrived
 * at time_us (microseconds since 1970; later than year 28000 is clamped).
 */
void queue_id_format(uint64_t time_us, uint64_t inode,
		     char id_r[QUEUE_ID_SIZE]);

/* queue_id_time_us - the arrival time encoded in a valid ID. */
uint64_t queue_id_time_us(const char *id);

/*
 * queue_path - "queue_dir/state/id" into out (size bytes). Returns 0, or -1
 * with errno EINVAL (id not valid) or ENAMETOOLONG.
 */
int queue_path(const char *queue_dir, enum queue_state state, const char *id,
	       char *out, size_t size);

/*
 * queue_init_dirs - create queue_dir and its state directories with mode
 * (existing ones are fine) and make them durable. Returns 0 or -1.
 */
int queue_init_dirs(const char *queue_dir, mode_t mode, const char **error_r);

/*
 * queue_move - rename the message id from state from to state to, then
 * fsync the target directory so the move survives a crash. Returns 0 or -1
 * (errno ENOENT: the file was not in from).
 */
int queue_move(const char *queue_dir, const char *id, enum queue_state from,
	       enum queue_state to, const char **error_r);

/*
 * queue_move_corrupt - move a file the reader refused from state from into
 * corrupt/ and log a warning with reason. Returns 0 or -1 (also logged).
 */
int queue_move_corrupt(const char *queue_dir, const char *id,
		       enum queue_state from, const char *reason);

/*
 * queue_remove - delete the message id in state (all its recipients are
 * done). Returns 0 or -1 (errno ENOENT: it was not there).
 */
int queue_remove(const char *queue_dir, const char *id, enum queue_state state,
		 const char **error_r);

/*
 * Flags in the file mode (docs/queue-format.md): queue files are 0600; the
 * owner-execute bit records that the sender got a delay warning. Flags
 * live in the inode, so setting one never rewrites the file's records.
 */
#define QUEUE_FLAG_DELAY_WARNED S_IXUSR

/*
 * queue_flag_is_delay_warned - whether st_mode (from fstat of a queue
 * file) says a delay warning was sent for the message.
 */
bool queue_flag_is_delay_warned(mode_t st_mode);

/*
 * queue_flag_delay_warned_set - record on the open queue file fd that a
 * delay warning was sent: add u+x to its mode and fsync it, so the flag
 * survives a crash. Returns 0 (also when already set), or -1 with
 * *error_r and errno from the failing call.
 */
int queue_flag_delay_warned_set(int fd, const char **error_r);

/*
 * queue_scan_fn - called once per queue ID found; return 0 to go on, or a
 * positive value to stop the scan (queue_scan then returns that value).
 */
typedef int queue_scan_fn(void *ctx, const char *id);

/*
 * queue_scan - call fn for every entry of state whose name is a valid queue
 * ID, in directory order. Names starting with "." (the writer's temporary
 * files) are skipped silently, other names with a warning (at most
 * QUEUE_SCAN_WARN_MAX, then one summary). fn may move or remove the entry
 * it is given. Returns 0 after a full scan, fn's positive value when it
 * stopped the scan, or -1 with *error_r when the directory cannot be read.
 */
int queue_scan(const char *queue_dir, enum queue_state state,
	       queue_scan_fn *fn, void *ctx, const char **error_r);

#endif
