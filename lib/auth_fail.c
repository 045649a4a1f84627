/*
 * auth_fail.c - failed logins per client address across processes (see
 * auth_fail.h).
 *
 * auth_fail_new/free (open, map, unmap), auth_fail_count,
 * auth_fail_add, auth_fail_is_shared.
 *
 * File format (version AUTH_FAIL_VERSION, host byte order; the file never
 * leaves the host and holds only transient counts), a lib/shm_table file:
 *   header: magic u32 "mraf", version u32, slot count u32, slot size u32;
 *   AUTH_FAIL_SLOTS slots: address 16 bytes (IPv4 as ::ffff:a.b.c.d),
 *   count u32 (0: free), window start i64 (seconds since the epoch).
 *
 * Runs as mail_owner. The file sits in queue_directory/private/
 * (mail_owner, mode 0700); lib/shm_table opens it without following links
 * and uses it only when it is a plain file of the running user, and
 * reinitializes it when its header is wrong. A slot's values are
 * data from a file other processes write: a start time in the future
 * (clock set back, or damage) ends that slot's window.
 */
#include "lib/auth_fail.h"

#include <string.h>

#include "lib/mem.h"
#include "lib/shm_table.h"

#define AUTH_FAIL_MAGIC 0x6d726166U	/* "mraf" */
#define AUTH_FAIL_VERSION 1U

struct auth_fail_slot {
	uint8_t addr[CLIENT_COUNT_ADDR_SIZE];
	uint32_t count;
	int64_t start;
};

static const struct shm_table_layout fail_layout = {
	.label = "auth failure table",
	.magic = AUTH_FAIL_MAGIC,
	.version = AUTH_FAIL_VERSION,
	.slot_count = AUTH_FAIL_SLOTS,
	.slot_size = sizeof(struct auth_fail_slot),
};

struct auth_fail {
	struct shm_table *shm;	/* the shared file, or private */
};

/* auth_fail_is_shared - the shared file is in use */
bool
auth_fail_is_shared(const struct auth_fail *table)
{
	return shm_table_is_shared(table->shm);
}

/* fail_slot - slot i of the table; use it under shm_table_lock */
static struct auth_fail_slot *
fail_slot(struct auth_fail *table, size_t i)
{
	return shm_table_slot(table->shm, i);
}

/* fail_slot_is_live - the slot holds a count whose window is open */
static bool
fail_slot_is_live(const struct auth_fail_slot *slot, time_t now,
		  unsigned window_s)
{
	return slot->count > 0 && slot->start <= (int64_t)now &&
	       (int64_t)now - slot->start < (int64_t)window_s;
}

/* auth_fail_new - the shared table, or a private one */
struct auth_fail *
auth_fail_new(const char *queue_directory)
{
	struct auth_fail *table = mem_alloc(sizeof(*table));

	table->shm = shm_table_new(queue_directory, AUTH_FAIL_FILE,
				   &fail_layout);
	return table;
}

/* auth_fail_free - release the table */
void
auth_fail_free(struct auth_fail **tablep)
{
	struct auth_fail *table = *tablep;

	if (table == NULL)
		return;
	shm_table_free(&table->shm);
	mem_free(tablep);
}

/* fail_find - the slot of addr, or NULL */
static struct auth_fail_slot *
fail_find(struct auth_fail *table, const uint8_t *addr)
{
	size_t i;

	for (i = 0; i < AUTH_FAIL_SLOTS; i++) {
		struct auth_fail_slot *slot = fail_slot(table, i);

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

	if (shm_table_lock(table->shm) < 0)
		return 0;
	slot = fail_find(table, addr);
	if (slot != NULL && fail_slot_is_live(slot, now, window_s))
		count = slot->count;
	shm_table_unlock(table->shm);
	return count;
}

/* fail_claim - a slot for a new window: free, expired, or the oldest */
static struct auth_fail_slot *
fail_claim(struct auth_fail *table, time_t now, unsigned window_s)
{
	struct auth_fail_slot *oldest = NULL;
	size_t i;

	for (i = 0; i < AUTH_FAIL_SLOTS; i++) {
		struct auth_fail_slot *slot = fail_slot(table, i);

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

	if (shm_table_lock(table->shm) < 0)
		return 1;
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
	shm_table_unlock(table->shm);
	return count;
}
