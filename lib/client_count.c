/*
 * client_count.c - connections per client address across the processes of
 * one service (see client_count.h).
 *
 * client_count_new/free (open, map, unmap the table), client_count_acquire
 * (count a connection unless the client is at its limit),
 * client_count_release (uncount it), client_count_addr_parse (address text
 * to 16 bytes), client_count_is_shared.
 *
 * File format (version CLIENT_COUNT_VERSION, host byte order; the file
 * never leaves the host and holds only transient counts):
 *   header: magic u32, version u32, slot count u32, slot size u32;
 *   CLIENT_COUNT_SLOTS slots: pid i32 (0: free), address 16 bytes
 *   (IPv4 as ::ffff:a.b.c.d), count u32.
 * A header that does not match is reinitialized: every count is lost, so
 * for a moment a client may hold more than its limit; nothing is refused.
 *
 * Runs as mail_owner in smtpd. The file sits in queue_directory/private/
 * (mail_owner, mode 0700) and is written only by the processes of the
 * service, which run as the same user. Limits: CLIENT_COUNT_SLOTS slots;
 * a full table lets connections in uncounted (warned once per table).
 */
#include "lib/client_count.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"

#define CLIENT_COUNT_MAGIC 0x6d72636cU	/* "mrcl" */
#define CLIENT_COUNT_VERSION 1U

/* Distinct pids whose liveness one scan remembers (about one per CPU). */
#define CLIENT_COUNT_PID_CACHE 16

/* Longest sanitized service name kept in the file name. */
#define CLIENT_COUNT_SERVICE_MAX 100

struct client_count_header {
	uint32_t magic;
	uint32_t version;
	uint32_t slot_count;
	uint32_t slot_size;
};

struct client_count_slot {
	int32_t pid;
	uint8_t addr[CLIENT_COUNT_ADDR_SIZE];
	uint32_t count;
};

/* The whole file, as mapped. */
struct client_count_file {
	struct client_count_header header;
	struct client_count_slot slots[CLIENT_COUNT_SLOTS];
};

struct client_count {
	struct client_count_file *file;	/* mapping, or heap when private */
	int fd;				/* -1: private to the process */
	int32_t pid;
	bool warned_full;
	char path[PATH_MAX];
};

/* client_count_is_shared - whether the table is the shared file */
bool
client_count_is_shared(const struct client_count *table)
{
	return table->fd >= 0;
}

/* count_lock - flock(LOCK_EX) the shared file; 0, or -1 after a warning */
static int
count_lock(struct client_count *table)
{
	if (table->fd < 0)
		return 0;
	while (flock(table->fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			log_warn("client count table %s: lock: %m",
				 table->path);
			return -1;
		}
	}
	return 0;
}

/* count_unlock - release the lock taken by count_lock */
static void
count_unlock(struct client_count *table)
{
	if (table->fd >= 0)
		(void)flock(table->fd, LOCK_UN);
}

/* count_header_check - reinitialize the table when its header is wrong */
static void
count_header_check(struct client_count *table)
{
	struct client_count_header *h = &table->file->header;

	if (h->magic == CLIENT_COUNT_MAGIC &&
	    h->version == CLIENT_COUNT_VERSION &&
	    h->slot_count == CLIENT_COUNT_SLOTS &&
	    h->slot_size == sizeof(struct client_count_slot))
		return;
	/* A new file is all zero; anything else was damaged or is of
	 * another version. Counts are transient: start over. */
	if (h->magic != 0 || h->version != 0)
		log_warn("client count table %s: bad header, reinitialized",
			 table->path);
	memset(table->file, 0, sizeof(*table->file));
	h->magic = CLIENT_COUNT_MAGIC;
	h->version = CLIENT_COUNT_VERSION;
	h->slot_count = CLIENT_COUNT_SLOTS;
	h->slot_size = sizeof(struct client_count_slot);
}

/* count_pid_is_alive - whether the process of a used slot still exists */
static bool
count_pid_is_alive(int32_t pid)
{
	/* SECURITY: the pid comes from a file other processes write; only a
	 * positive pid names one process (0 and negative ones name process
	 * groups). Signal 0 only checks that the process exists. */
	if (pid <= 0)
		return false;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* Liveness of the pids one scan has checked: one kill() per process, not
 * per slot. */
struct count_pid_cache {
	int32_t pid[CLIENT_COUNT_PID_CACHE];
	bool is_alive[CLIENT_COUNT_PID_CACHE];
	size_t used;
};

/* count_pid_cache_is_alive - count_pid_is_alive, remembered per scan */
static bool
count_pid_cache_is_alive(struct count_pid_cache *cache, int32_t pid)
{
	size_t i;
	bool is_alive;

	for (i = 0; i < cache->used; i++)
		if (cache->pid[i] == pid)
			return cache->is_alive[i];
	is_alive = count_pid_is_alive(pid);
	if (cache->used < CLIENT_COUNT_PID_CACHE) {
		cache->pid[cache->used] = pid;
		cache->is_alive[cache->used] = is_alive;
		cache->used++;
	}
	return is_alive;
}

/* count_slot_is_free - whether a slot holds nothing */
static bool
count_slot_is_free(const struct client_count_slot *slot)
{
	return slot->pid == 0 || slot->count == 0;
}

/* count_reclaim_pid - free every slot of pid */
static void
count_reclaim_pid(struct client_count *table, int32_t pid)
{
	size_t i;

	for (i = 0; i < CLIENT_COUNT_SLOTS; i++)
		if (table->file->slots[i].pid == pid)
			memset(&table->file->slots[i], 0,
			       sizeof(table->file->slots[i]));
}

/* count_private_new - a table only this process sees */
static struct client_count *
count_private_new(struct client_count *table)
{
	table->fd = -1;
	table->file = mem_alloc(sizeof(*table->file));
	count_header_check(table);
	return table;
}

/* count_service_name - service reduced to [A-Za-z0-9._-] */
static void
count_service_name(const char *service, char *name, size_t size)
{
	size_t i;

	for (i = 0; service[i] != '\0' && i + 1 < size; i++) {
		char c = service[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-')
			name[i] = c;
		else
			name[i] = '_';
	}
	name[i] = '\0';
	/* "." and ".." would name a directory, not a file. */
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		memset(name, '_', strlen(name));
}

/* count_file_open - open, check, size and map the shared file: 0 or -1 */
static int
count_file_open(struct client_count *table)
{
	struct stat st;
	void *map;
	int fd;

	/* SECURITY: private/ is mail_owner's, mode 0700; still, never follow
	 * a link planted there, and use only a plain file of our own. */
	fd = open(table->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		log_warn("client count table %s: open: %m", table->path);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		log_warn("client count table %s: fstat: %m", table->path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		log_warn("client count table %s: not a regular file owned "
			 "by uid %ld", table->path, (long)geteuid());
		goto fail;
	}
	table->fd = fd;
	if (count_lock(table) < 0)
		goto fail;
	/* Under the lock, so that no process maps a file another one is
	 * still growing; the size only ever grows to the table's. */
	if (fstat(fd, &st) < 0 ||
	    ((uintmax_t)st.st_size < sizeof(struct client_count_file) &&
	     ftruncate(fd, (off_t)sizeof(struct client_count_file)) < 0)) {
		log_warn("client count table %s: resize: %m", table->path);
		count_unlock(table);
		goto fail;
	}
	map = mmap(NULL, sizeof(struct client_count_file),
		   PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		log_warn("client count table %s: mmap: %m", table->path);
		count_unlock(table);
		goto fail;
	}
	table->file = map;
	count_header_check(table);
	/* Slots with our pid belong to a dead process whose pid we got. */
	count_reclaim_pid(table, table->pid);
	count_unlock(table);
	return 0;

fail:
	table->fd = -1;
	(void)close(fd);
	return -1;
}

/* client_count_new - open the service's table, or a private one */
struct client_count *
client_count_new(const char *queue_directory, const char *service)
{
	struct client_count *table = mem_alloc(sizeof(*table));
	char name[CLIENT_COUNT_SERVICE_MAX + 1];
	int n;

	table->fd = -1;
	table->pid = (int32_t)getpid();
	count_service_name(service, name, sizeof(name));
	n = snprintf(table->path, sizeof(table->path),
		     "%s/private/" CLIENT_COUNT_FILE_PREFIX "%s",
		     queue_directory, name);
	if (n < 0 || (size_t)n >= sizeof(table->path)) {
		log_warn("client count table for service %s: path too long; "
			 "counting per process", log_safe_str(service));
		return count_private_new(table);
	}
	if (count_file_open(table) < 0) {
		log_warn("client count table %s unusable: counting per "
			 "process", table->path);
		return count_private_new(table);
	}
	return table;
}

/* client_count_free - release our slots and the mapping */
void
client_count_free(struct client_count **tablep)
{
	struct client_count *table = *tablep;

	if (table == NULL)
		return;
	if (table->fd < 0) {
		mem_free(&table->file);
	} else {
		if (count_lock(table) == 0) {
			count_reclaim_pid(table, table->pid);
			count_unlock(table);
		}
		(void)munmap(table->file, sizeof(*table->file));
		(void)close(table->fd);
	}
	mem_free(tablep);
}

/* client_count_addr_parse - address text to its 16-byte form */
int
client_count_addr_parse(const char *text,
			uint8_t addr[CLIENT_COUNT_ADDR_SIZE])
{
	char copy[INET6_ADDRSTRLEN];
	struct in_addr v4;
	size_t len = strcspn(text, "%");	/* drop an IPv6 zone */

	memset(addr, 0, CLIENT_COUNT_ADDR_SIZE);
	if (len >= sizeof(copy))
		return -1;
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (inet_pton(AF_INET, copy, &v4) == 1) {
		/* ::ffff:a.b.c.d (RFC 4291 2.5.5.2) */
		addr[10] = 0xff;
		addr[11] = 0xff;
		memcpy(addr + 12, &v4, sizeof(v4));
		return 0;
	}
	if (inet_pton(AF_INET6, copy, addr) == 1)
		return 0;
	memset(addr, 0, CLIENT_COUNT_ADDR_SIZE);
	return -1;
}

/* client_count_acquire - count a connection unless addr is at its limit */
bool
client_count_acquire(struct client_count *table,
		     const uint8_t addr[CLIENT_COUNT_ADDR_SIZE],
		     unsigned limit, bool *counted_r)
{
	struct client_count_slot *own = NULL, *free_slot = NULL;
	struct count_pid_cache cache;
	uint64_t total = 0;
	size_t i;

	*counted_r = false;
	memset(&cache, 0, sizeof(cache));
	if (count_lock(table) < 0)
		return true;
	count_header_check(table);
	for (i = 0; i < CLIENT_COUNT_SLOTS; i++) {
		struct client_count_slot *slot = &table->file->slots[i];

		if (count_slot_is_free(slot)) {
			if (free_slot == NULL)
				free_slot = slot;
			continue;
		}
		if (slot->pid != table->pid &&
		    !count_pid_cache_is_alive(&cache, slot->pid)) {
			memset(slot, 0, sizeof(*slot));
			if (free_slot == NULL)
				free_slot = slot;
			continue;
		}
		if (memcmp(slot->addr, addr, CLIENT_COUNT_ADDR_SIZE) != 0)
			continue;
		/* 64 bits: the sum of 32-bit counts cannot wrap. */
		total += slot->count;
		if (slot->pid == table->pid)
			own = slot;
	}
	if (total >= limit) {
		count_unlock(table);
		return false;
	}
	if (own == NULL && free_slot != NULL) {
		memset(free_slot, 0, sizeof(*free_slot));
		free_slot->pid = table->pid;
		memcpy(free_slot->addr, addr, CLIENT_COUNT_ADDR_SIZE);
		own = free_slot;
	}
	if (own == NULL) {
		/* Never refuse a client because our own table is full. */
		if (!table->warned_full)
			log_warn("client count table %s: all %u slots in use; "
				 "connections from new clients are not "
				 "counted", table->path,
				 (unsigned)CLIENT_COUNT_SLOTS);
		table->warned_full = true;
	} else if (own->count < UINT32_MAX) {
		own->count++;
		*counted_r = true;
	}
	count_unlock(table);
	return true;
}

/* client_count_release - uncount one connection from addr */
void
client_count_release(struct client_count *table,
		     const uint8_t addr[CLIENT_COUNT_ADDR_SIZE])
{
	size_t i;

	if (count_lock(table) < 0)
		return;
	count_header_check(table);
	for (i = 0; i < CLIENT_COUNT_SLOTS; i++) {
		struct client_count_slot *slot = &table->file->slots[i];

		if (slot->pid != table->pid || slot->count == 0 ||
		    memcmp(slot->addr, addr, CLIENT_COUNT_ADDR_SIZE) != 0)
			continue;
		if (--slot->count == 0)
			memset(slot, 0, sizeof(*slot));
		break;
	}
	count_unlock(table);
}
