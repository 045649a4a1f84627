/*
 * client_count.h - open connections per client address, counted across
 * the processes of one service through a shared file.
 *
 * Every smtpd process of a service maps the same file,
 * queue_directory/private/smtpd-clients.SERVICE, a lib/shm_table. It holds
 * CLIENT_COUNT_SLOTS slots; a slot is (pid, client address, count), one per
 * process and address. Every operation runs under flock(LOCK_EX) on the
 * file. Slots of processes that no longer exist are reclaimed on the way,
 * so a process that crashed with open sessions does not hold its clients'
 * connections for ever. The file holds only transient counts: a header
 * that does not match is reinitialized.
 *
 * When the file cannot be used the table falls back to a table private to
 * the process (the limit is then per process) after a warning: counting is
 * a defence against a greedy client, never a reason to refuse service.
 *
 * Use one table per file in a process: opening it reclaims the slots that
 * carry the caller's pid (left by a dead process whose pid was reused).
 */
#ifndef MR_CLIENT_COUNT_H
#define MR_CLIENT_COUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Slots in the table: (process, client address) pairs with sessions. */
#define CLIENT_COUNT_SLOTS 4096

/* A client address: IPv6, or IPv4 as a v4-mapped IPv6 address. */
#define CLIENT_COUNT_ADDR_SIZE 16

/* Prefix of the table's file name in queue_directory/private/. */
#define CLIENT_COUNT_FILE_PREFIX "smtpd-clients."

struct client_count;

/*
 * client_count_new - open (creating it if needed) the table of service in
 * queue_directory/private/, the service name reduced to [A-Za-z0-9._-]
 * (other bytes become '_'). Never fails: when the file cannot be opened or
 * mapped it logs a warning and returns a table private to the process.
 * Free with client_count_free.
 */
struct client_count *client_count_new(const char *queue_directory,
				      const char *service);

/* client_count_free - drop this process's slots, unmap, close; NULLs it. */
void client_count_free(struct client_count **table);

/* client_count_is_shared - whether the table is the shared file. */
bool client_count_is_shared(const struct client_count *table);

/*
 * client_count_addr_parse - the 16-byte form of a numeric address text
 * ("192.0.2.1", "2001:db8::1", "fe80::1%eth0"). Returns 0, or -1 (addr is
 * then all zero) when text is not a numeric address.
 */
int client_count_addr_parse(const char *text,
			    uint8_t addr[CLIENT_COUNT_ADDR_SIZE]);

/*
 * client_count_acquire - count one more connection from addr unless the
 * live processes already hold limit or more of them. Returns false when
 * refused; true when allowed, with *counted_r telling whether the
 * connection was counted (a full table or an unusable lock allows it
 * uncounted, with a warning). Pass *counted_r to client_count_release.
 */
bool client_count_acquire(struct client_count *table,
			  const uint8_t addr[CLIENT_COUNT_ADDR_SIZE],
			  unsigned limit, bool *counted_r);

/* client_count_release - one connection counted by acquire is gone. */
void client_count_release(struct client_count *table,
			  const uint8_t addr[CLIENT_COUNT_ADDR_SIZE]);

#endif
