/*
 * shm_table.c - fixed-size slots in a file the processes of an instance
 * map with MAP_SHARED (see shm_table.h).
 *
 * shm_table_new/free (open, check, size and map the file, or a private
 * table; unmap), shm_table_lock/unlock (flock, header check),
 * shm_table_slot (slot access), shm_table_is_shared, shm_table_path.
 *
 * File format (host byte order; the file never leaves the host and holds
 * only transient counts):
 *   header: magic u32, version u32, slot count u32, slot size u32;
 *   slot count slots of slot size bytes, laid out by the caller.
 * The file is at least that long; a longer one is mapped only that far.
 * A header that does not match the caller's layout is reinitialized.
 *
 * Runs as mail_owner. The file sits in queue_directory/private/
 * (mail_owner, mode 0700) and is written only by processes of the same
 * user; still, it is opened without following links and used only when it
 * is a plain file of the running user. Its header is data from a file
 * other processes write: nothing is sized from it, it is only compared
 * with the layout. The caller treats its slots the same way.
 */
#include "lib/shm_table.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/checked.h"
#include "lib/log.h"
#include "lib/mem.h"

struct shm_table_header {
	uint32_t magic;
	uint32_t version;
	uint32_t slot_count;
	uint32_t slot_size;
};

struct shm_table {
	const struct shm_table_layout *layout;
	struct shm_table_header *header; /* mapping, or heap when private */
	size_t size;			/* header and slots, in bytes */
	int fd;				/* -1: private to the process */
	char path[PATH_MAX];
};

/* shm_table_is_shared - whether the table is the shared file */
bool
shm_table_is_shared(const struct shm_table *table)
{
	return table->fd >= 0;
}

/* shm_table_path - the file's path */
const char *
shm_table_path(const struct shm_table *table)
{
	return table->path;
}

/* table_header_check - reinitialize the table when its header is wrong */
static void
table_header_check(struct shm_table *table)
{
	const struct shm_table_layout *layout = table->layout;
	struct shm_table_header *h = table->header;

	if (h->magic == layout->magic && h->version == layout->version &&
	    h->slot_count == layout->slot_count &&
	    h->slot_size == layout->slot_size)
		return;
	/* A new file is all zero; anything else was damaged or is of
	 * another version. Counts are transient: start over. */
	if (h->magic != 0 || h->version != 0)
		log_warn("%s %s: bad header, reinitialized", layout->label,
			 table->path);
	memset(table->header, 0, table->size);
	h->magic = layout->magic;
	h->version = layout->version;
	h->slot_count = layout->slot_count;
	h->slot_size = layout->slot_size;
}

/* table_flock - flock(LOCK_EX) the shared file; 0, or -1 after a warning */
static int
table_flock(struct shm_table *table)
{
	if (table->fd < 0)
		return 0;
	while (flock(table->fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			log_warn("%s %s: lock: %m", table->layout->label,
				 table->path);
			return -1;
		}
	}
	return 0;
}

/* shm_table_lock - lock the table and check its header */
int
shm_table_lock(struct shm_table *table)
{
	if (table_flock(table) < 0)
		return -1;
	table_header_check(table);
	return 0;
}

/* shm_table_unlock - release shm_table_lock */
void
shm_table_unlock(struct shm_table *table)
{
	if (table->fd >= 0)
		(void)flock(table->fd, LOCK_UN);
}

/* shm_table_slot - the address of one slot */
void *
shm_table_slot(struct shm_table *table, size_t index)
{
	MR_ASSERT(index < table->layout->slot_count);
	/* UNSAFE: index is below slot_count, and size covers the header
	 * and slot_count slots of slot_size bytes (table_size). */
	return (uint8_t *)table->header + sizeof(struct shm_table_header) +
	       index * table->layout->slot_size;
}

/* table_size - the bytes of header and slots a layout needs */
static size_t
table_size(const struct shm_table_layout *layout)
{
	size_t slots_size, size;

	/* The layout is the caller's constant: a bad one is our bug. */
	if (layout->slot_count == 0 || layout->slot_size == 0 ||
	    !checked_mul(layout->slot_count, layout->slot_size, &slots_size) ||
	    !checked_add(sizeof(struct shm_table_header), slots_size, &size) ||
	    (uintmax_t)size > (uintmax_t)INT64_MAX)
		log_panic("%s: impossible layout", layout->label);
	return size;
}

/* table_private - turn table into one only this process sees */
static struct shm_table *
table_private(struct shm_table *table)
{
	table->fd = -1;
	table->header = mem_alloc(table->size);
	table_header_check(table);
	return table;
}

/* table_file_open - open, check, size and map the shared file: 0 or -1 */
static int
table_file_open(struct shm_table *table)
{
	const char *label = table->layout->label;
	struct stat st;
	void *map;
	int fd;

	/* SECURITY: private/ is mail_owner's, mode 0700; still, never follow
	 * a link planted there, and use only a plain file of our own. */
	fd = open(table->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		log_warn("%s %s: open: %m", label, table->path);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		log_warn("%s %s: fstat: %m", label, table->path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		log_warn("%s %s: not a regular file owned by uid %ld", label,
			 table->path, (long)geteuid());
		goto fail;
	}
	table->fd = fd;
	if (table_flock(table) < 0)
		goto fail;
	/* Under the lock, so that no process maps a file another one is
	 * still growing; the size only ever grows to the table's. */
	if (fstat(fd, &st) < 0 ||
	    ((uintmax_t)st.st_size < table->size &&
	     ftruncate(fd, (off_t)table->size) < 0)) {
		log_warn("%s %s: resize: %m", label, table->path);
		shm_table_unlock(table);
		goto fail;
	}
	map = mmap(NULL, table->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   0);
	if (map == MAP_FAILED) {
		log_warn("%s %s: mmap: %m", label, table->path);
		shm_table_unlock(table);
		goto fail;
	}
	table->header = map;
	table_header_check(table);
	shm_table_unlock(table);
	return 0;

fail:
	table->fd = -1;
	(void)close(fd);
	return -1;
}

/* shm_table_new - open the shared table, or a private one */
struct shm_table *
shm_table_new(const char *queue_directory, const char *file_name,
	      const struct shm_table_layout *layout)
{
	struct shm_table *table = mem_alloc(sizeof(*table));
	int n;

	table->layout = layout;
	table->size = table_size(layout);
	table->fd = -1;
	n = snprintf(table->path, sizeof(table->path), "%s/private/%s",
		     queue_directory, file_name);
	if (n < 0 || (size_t)n >= sizeof(table->path)) {
		log_warn("%s %s: path too long; counting per process",
			 layout->label, log_safe_str(file_name));
		return table_private(table);
	}
	if (table_file_open(table) < 0) {
		log_warn("%s %s unusable: counting per process", layout->label,
			 table->path);
		return table_private(table);
	}
	return table;
}

/* shm_table_free - release the mapping or the private table */
void
shm_table_free(struct shm_table **tablep)
{
	struct shm_table *table = *tablep;

	if (table == NULL)
		return;
	if (table->fd < 0) {
		mem_free(&table->header);
	} else {
		(void)munmap(table->header, table->size);
		(void)close(table->fd);
	}
	mem_free(tablep);
}
