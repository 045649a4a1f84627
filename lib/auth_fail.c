/*
 * auth_fail.c - failed logins per client address across processes (see
 * auth_fail.h).
 *
 * auth_fail_new/free (open, map, unmap), auth_fail_count,
 * auth_fail_add, auth_fail_is_shared.
 *
 * File format (version AUTH_FAIL_VERSION, host byte order; the file never
 * leaves the host and holds only transient counts):
 *   header: magic u32 "mraf", version u32, slot count u32, slot size u32;
 *   AUTH_FAIL_SLOTS slots: address 16 bytes (IPv4 as ::ffff:a.b.c.d),
 *   count u32 (0: free), window start i64 (seconds since the epoch).
 *
 * Runs as mail_owner. The file sits in queue_directory/private/
 * (mail_owner, mode 0700), is opened without following links and used
 * only when it is a plain file of the running user. A slot's values are
 * data from a file other processes write: a start time in the future
 * (clock set back, or damage) ends that slot's window.
 */
#include "lib/auth_fail.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"

#define AUTH_FAIL_MAGIC 0x6d726166U	/* "mraf" */
#define AUTH_FAIL_VERSION 1U

struct auth_fail_header {
	uint32_t magic;
	uint32_t version;
	uint32_t slot_count;
	uint32_t slot_size;
};

struct auth_fail_slot {
	uint8_t addr[CLIENT_COUNT_ADDR_SIZE];
	uint32_t count;
	int64_t start;
};

struct auth_fail_file {
	struct auth_fail_header header;
	struct auth_fail_slot slots[AUTH_FAIL_SLOTS];
};

struct auth_fail {
	struct auth_fail_file *file;	/* mapping, or heap when private */
	int fd;				/* -1: private to the process */
	char path[PATH_MAX];
};

/* auth_fail_is_shared - the shared file is in use */
bool
auth_fail_is_shared(const struct auth_fail *table)
{
	return table->fd >= 0;
}

/* fail_lock - flock the shared file; 0, or -1 after a warning */
static int
fail_lock(struct auth_fail *table)
{
	if (table->fd < 0)
		return 0;
	while (flock(table->fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			log_warn("auth failure table %s: lock: %m",
				 table->path);
			return -1;
		}
	}
	return 0;
}

/* fail_unlock - release fail_lock */
static void
fail_unlock(struct auth_fail *table)
{
	if (table->fd >= 0)
		(void)flock(table->fd, LOCK_UN);
}

/* fail_header_check - reinitialize a table whose header is wrong */
static void
fail_header_check(struct auth_fail *table)
{
	struct auth_fail_header *h = &table->file->header;

	if (h->magic == AUTH_FAIL_MAGIC && h->version == AUTH_FAIL_VERSION &&
	    h->slot_count == AUTH_FAIL_SLOTS &&
	    h->slot_size == sizeof(struct auth_fail_slot))
		return;
	if (h->magic != 0 || h->version != 0)
		log_warn("auth failure table %s: bad header, reinitialized",
			 table->path);
	memset(table->file, 0, sizeof(*table->file));
	h->magic = AUTH_FAIL_MAGIC;
	h->version = AUTH_FAIL_VERSION;
	h->slot_count = AUTH_FAIL_SLOTS;
	h->slot_size = sizeof(struct auth_fail_slot);
}

/* fail_slot_is_live - the slot holds a count whose window is open */
static bool
fail_slot_is_live(const struct auth_fail_slot *slot, time_t now,
		  unsigned window_s)
{
	return slot->count > 0 && slot->start <= (int64_t)now &&
	       (int64_t)now - slot->start < (int64_t)window_s;
}

/* fail_file_open - open, check, size and map the file: 0 or -1 */
static int
fail_file_open(struct auth_fail *table)
{
	struct stat st;
	void *map;
	int fd;

	/* SECURITY: never follow a link planted in private/, use only a
	 * plain file of our own. */
	fd = open(table->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		log_warn("auth failure table %s: open: %m", table->path);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		log_warn("auth failure table %s: not a regular file owned "
			 "by uid %ld", table->path, (long)geteuid());
		(void)close(fd);
		return -1;
	}
	table->fd = fd;
	if (fail_lock(table) < 0)
		goto fail;
	if (fstat(fd, &st) < 0 ||
	    ((uintmax_t)st.st_size < sizeof(struct auth_fail_file) &&
	     ftruncate(fd, (off_t)sizeof(struct auth_fail_file)) < 0)) {
		log_warn("auth failure table %s: resize: %m", table->path);
		fail_unlock(table);
		goto fail;
	}
	map = mmap(NULL, sizeof(struct auth_fail_file),
		   PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		log_warn("auth failure table %s: mmap: %m", table->path);
		fail_unlock(table);
		goto fail;
	}
	table->file = map;
	fail_header_check(table);
	fail_unlock(table);
	return 0;
fail:
	table->fd = -1;
	(void)close(fd);
	return -1;
}

/* auth_fail_new - the shared table, or a private one */
struct auth_fail *
auth_fail_new(const char *queue_directory)
{
	struct auth_fail *table = mem_alloc(sizeof(*table));
	int n;

	table->fd = -1;
	n = snprintf(table->path, sizeof(table->path), "%s/private/%s",
		     queue_directory, AUTH_FAIL_FILE);
	if (n < 0 || (size_t)n >= sizeof(table->path) ||
	    fail_file_open(table) < 0) {
		log_warn("auth failure table in %s/private unusable: "
			 "counting per process", queue_directory);
		table->fd = -1;
		table->file = mem_alloc(sizeof(*table->file));
		fail_header_check(table);
	}
	return table;
}

/* auth_fail_free - release the table */
void
auth_fail_free(struct auth_fail **tablep)
{
	struct auth_fail *table = *tablep;

	if (table == NULL)
		return;
	if (table->fd < 0) {
		mem_free(&table->file);
	} else {
		(void)munmap(table->file, sizeof(*table->file));
		(void)close(table->fd);
	}
	mem_free(tablep);
}

/* fail_find - the slot of addr, or NULL */
static struct auth_fail_slot *
fail_find(struct auth_fail *table, const uint8_t *addr)
{
	size_t i;

	for (i = 0; i < AUTH_FAIL_SLOTS; i++) {
		struct auth_fail_slot *slot = &table->file->slots[i];

		if (slot->count > 0 &&
		    memcmp(slot->addr, addr, CLIENT_COUNT_ADDR_SIZE) == 0)
			return slot;
	}
	return NULL;
}

/* auth_fail_count - failures in the open window */
unsigned
auth_fail_count(struct auth_fail *table,
		const uint8_t addr[CLIENT_COUNT_ADDR_SIZE], time_t now,
		unsigned window_s)
{
	struct auth_fail_slot *slot;
	unsigned count = 0;

	if (fail_lock(table) < 0)
		return 0;
	fail_header_check(table);
	slot = fail_find(table, addr);
	if (slot != NULL && fail_slot_is_live(slot, now, window_s))
		count = slot->count;
	fail_unlock(table);
	return count;
}

/* fail_claim - a slot for a new window: free, expired, or the oldest */
static struct auth_fail_slot *
fail_claim(struct auth_fail *table, time_t now, unsigned window_s)
{
	struct auth_fail_slot *oldest = NULL;
	size_t i;

	for (i = 0; i < AUTH_FAIL_SLOTS; i++) {
		struct auth_fail_slot *slot = &table->file->slots[i];

		if (!fail_slot_is_live(slot, now, window_s))
			return slot;
		if (oldest == NULL || slot->start < oldest->start)
			oldest = slot;
	}
	return oldest;
}

/* auth_fail_add - one more failure */
unsigned
auth_fail_add(struct auth_fail *table,
	      const uint8_t addr[CLIENT_COUNT_ADDR_SIZE], time_t now,
	      unsigned window_s)
{
	struct auth_fail_slot *slot;
	unsigned count;

	if (fail_lock(table) < 0)
		return 1;
	fail_header_check(table);
	slot = fail_find(table, addr);
	if (slot == NULL || !fail_slot_is_live(slot, now, window_s)) {
		if (slot == NULL)
			slot = fail_claim(table, now, window_s);
		memset(slot, 0, sizeof(*slot));
		memcpy(slot->addr, addr, CLIENT_COUNT_ADDR_SIZE);
		slot->start = (int64_t)now;
	}
	if (slot->count < UINT32_MAX)
		slot->count++;
	count = slot->count;
	fail_unlock(table);
	return count;
}
