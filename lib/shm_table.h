/*
 * shm_table.h - a table of fixed-size slots of transient counts, shared
 * by the processes of an instance through a file they map.
 *
 * The file is queue_directory/private/NAME, mapped with MAP_SHARED. It
 * holds a header (magic, version, slot count, slot size: four u32 in host
 * byte order, 16 bytes) and then slot_count slots of slot_size bytes; the
 * caller gives the layout and owns what a slot means. Every use of the
 * slots runs between shm_table_lock and shm_table_unlock, which hold
 * flock(LOCK_EX) on the file. The table holds only counts that may be
 * lost: a header that does not match the layout (a damaged file, or one
 * of another version) is reinitialized, every slot zero, after a warning.
 *
 * When the file cannot be used (no private/ directory, a link or anything
 * but a plain file of the running user in its place, a failed mmap) the
 * table is a zeroed heap table private to the process, after a warning
 * that says the counting is per process: sharing the counts is a defence,
 * never a reason to refuse service.
 *
 * Several handles on the same file may be open in one process; each has
 * its own descriptor, so their locks exclude each other. A handle is not
 * used across fork(): the lock belongs to the open file, which parent and
 * child would share; the child opens its own handle.
 */
#ifndef MR_SHM_TABLE_H
#define MR_SHM_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The shape of a table; the caller keeps it for the table's lifetime. */
struct shm_table_layout {
	const char *label;	/* starts every warning: "client count table" */
	uint32_t magic;		/* the file's first word, one per kind */
	uint32_t version;	/* of the slot format */
	uint32_t slot_count;	/* > 0 */
	uint32_t slot_size;	/* sizeof the caller's slot, > 0 */
};

struct shm_table;

/*
 * shm_table_new - open (creating it, mode 0600, if needed) and map
 * queue_directory/private/file_name, checking its header under the lock.
 * Never fails: when the file cannot be used it logs why, then "LABEL PATH
 * unusable: counting per process", and returns a private table. Free with
 * shm_table_free.
 */
struct shm_table *shm_table_new(const char *queue_directory,
				const char *file_name,
				const struct shm_table_layout *layout);

/* shm_table_free - unmap and close (or free the private table); NULLs it. */
void shm_table_free(struct shm_table **table);

/* shm_table_is_shared - whether the table is the shared file. */
bool shm_table_is_shared(const struct shm_table *table);

/* shm_table_path - the file's path, for warnings (also when private). */
const char *shm_table_path(const struct shm_table *table);

/*
 * shm_table_lock - take flock(LOCK_EX) (retrying EINTR), then reinitialize
 * the table when its header does not match the layout. Returns 0 (always
 * for a private table), or -1 after a warning: the slots must not be used
 * then. Release with shm_table_unlock.
 */
int shm_table_lock(struct shm_table *table);

/* shm_table_unlock - release the lock taken by shm_table_lock. */
void shm_table_unlock(struct shm_table *table);

/*
 * shm_table_slot - slot index (< the layout's slot_count; a larger one
 * panics): slot_size bytes, aligned for a struct of that size (slots
 * start 16 bytes into a page-aligned mapping). Valid until shm_table_free;
 * read and write it only under the lock.
 */
void *shm_table_slot(struct shm_table *table, size_t index);

#endif
