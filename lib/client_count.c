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
 * never leaves the host and holds only transient counts), a lib/shm_table
 * file:
 *   header: magic u32 "mrcl", version u32, slot count u32, slot size u32;
 *   CLIENT_COUNT_SLOTS slots: pid i32 (0: free), address 16 bytes
 *   (IPv4 as ::ffff:a.b.c.d), count u32.
 * A header that does not match is reinitialized: every count is lost, so
 * for a moment a client may hold more than its limit; nothing is refused.
 *
 * Runs as mail_owner in smtpd. The file sits in queue_directory/private/
 * (mail_owner, mode 0700) and is written only by the processes of the
 * service, which run as the same user; lib/shm_table opens and maps it.
 * Limits: CLIENT_COUNT_SLOTS slots; a full table lets connections in
 * uncounted (warned once per table).
 */
#include "lib/client_count.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/shm_table.h"

#define CLIENT_COUNT_MAGIC 0x6d72636cU	/* "mrcl" */
#define CLIENT_COUNT_VERSION 1U

/* Distinct pids whose liveness one scan remembers (about one per CPU). */
#define CLIENT_COUNT_PID_CACHE 16

/* Longest sanitized service name kept in the file name. */
#define CLIENT_COUNT_SERVICE_MAX 100

struct client_count_slot {
	int32_t pid;
	uint8_t addr[CLIENT_COUNT_ADDR_SIZE];
	uint32_t count;
};

static const struct shm_table_layout count_layout = {
	.label = "client count table",
	.magic = CLIENT_COUNT_MAGIC,
	.version = CLIENT_COUNT_VERSION,
	.slot_count = CLIENT_COUNT_SLOTS,
	.slot_size = sizeof(struct client_count_slot),
};

struct client_count {
	struct shm_table *shm;	/* the shared file, or private */
	int32_t pid;
	bool warned_full;
};

/* client_count_is_shared - whether the table is the shared file */
bool
client_count_is_shared(const struct client_count *table)
{
	return shm_table_is_shared(table->shm);
}

/* count_slot - slot i of the table; use it under shm_table_lock */
static struct client_count_slot *
count_slot(struct client_count *table, size_t i)
{
	return shm_table_slot(table->shm, i);
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

/* count_reclaim_own - free every slot that carries our pid */
static void
count_reclaim_own(struct client_count *table)
{
	size_t i;

	if (shm_table_lock(table->shm) < 0)
		return;
	for (i = 0; i < CLIENT_COUNT_SLOTS; i++) {
		struct client_count_slot *slot = count_slot(table, i);

		if (slot->pid == table->pid)
			memset(slot, 0, sizeof(*slot));
	}
	shm_table_unlock(table->shm);
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

/* client_count_new - open the service's table, or a private one */
struct client_count *
client_count_new(const char *queue_directory, const char *service)
{
	struct client_count *table = mem_alloc(sizeof(*table));
	char name[CLIENT_COUNT_SERVICE_MAX + 1];
	char file_name[sizeof(CLIENT_COUNT_FILE_PREFIX) + sizeof(name)];
	int n;

	table->pid = (int32_t)getpid();
	count_service_name(service, name, sizeof(name));
	n = snprintf(file_name, sizeof(file_name),
		     CLIENT_COUNT_FILE_PREFIX "%s", name);
	MR_ASSERT(n > 0 && (size_t)n < sizeof(file_name));
	table->shm = shm_table_new(queue_directory, file_name, &count_layout);
	/* Slots with our pid belong to a dead process whose pid we got. */
	count_reclaim_own(table);
	return table;
}

/* client_count_free - release our slots and the mapping */
void
client_count_free(struct client_count **tablep)
{
	struct client_count *table = *tablep;

	if (table == NULL)
		return;
	count_reclaim_own(table);
	shm_table_free(&table->shm);
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
	if (shm_table_lock(table->shm) < 0)
		return true;
	for (i = 0; i < CLIENT_COUNT_SLOTS; i++) {
		struct client_count_slot *slot = count_slot(table, i);

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
		shm_table_unlock(table->shm);
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
				 "counted", shm_table_path(table->shm),
				 (unsigned)CLIENT_COUNT_SLOTS);
		table->warned_full = true;
	} else if (own->count < UINT32_MAX) {
		own->count++;
		*counted_r = true;
	}
	shm_table_unlock(table->shm);
	return true;
}

/* client_count_release - uncount one connection from addr */
void
client_count_release(struct client_count *table,
		     const uint8_t addr[CLIENT_COUNT_ADDR_SIZE])
{
	size_t i;

	if (shm_table_lock(table->shm) < 0)
		return;
	for (i = 0; i < CLIENT_COUNT_SLOTS; i++) {
		struct client_count_slot *slot = count_slot(table, i);

		if (slot->pid != table->pid || slot->count == 0 ||
		    memcmp(slot->addr, addr, CLIENT_COUNT_ADDR_SIZE) != 0)
			continue;
		if (--slot->count == 0)
			memset(slot, 0, sizeof(*slot));
		break;
	}
	shm_table_unlock(table->shm);
}
