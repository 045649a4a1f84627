/*
 * auth_fail.h - recent failed logins per client address, counted across
 * the processes of an instance through a shared file.
 *
 * Every process that checks passwords for network clients (smtpd for SMTP
 * AUTH; pop3d and imapd can use it too) maps the same file,
 * queue_directory/private/auth-failures, a lib/shm_table, and counts a
 * failure against the client's address. A count lives for window_s
 * seconds from the first failure it holds, then starts again at zero, so
 * a brute-force attack from one address gets limit guesses per window
 * whichever service or process it talks to.
 *
 * The table has AUTH_FAIL_SLOTS slots of (address, count, start time);
 * every operation runs under flock(LOCK_EX). When every slot holds a live
 * count, the oldest one is reused (a flood of addresses can make the
 * table forget; it never refuses anyone because of it). The file holds
 * only transient counts: a header that does not match is reinitialized.
 * When the file cannot be used the table is private to the process, after
 * a warning.
 */
#ifndef MR_AUTH_FAIL_H
#define MR_AUTH_FAIL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "lib/client_count.h"

/* Addresses the table tracks at once. */
#define AUTH_FAIL_SLOTS 4096

/* The table's file name in queue_directory/private/. */
#define AUTH_FAIL_FILE "auth-failures"

struct auth_fail;

/*
 * auth_fail_new - open (creating it if needed) the shared table in
 * queue_directory/private/. Never fails: when the file cannot be used it
 * logs a warning and returns a table private to the process. Free with
 * auth_fail_free.
 */
struct auth_fail *auth_fail_new(const char *queue_directory);

/* auth_fail_free - unmap, close, NULL *table. */
void auth_fail_free(struct auth_fail **table);

/* auth_fail_is_shared - whether the table is the shared file. */
bool auth_fail_is_shared(const struct auth_fail *table);

/*
 * auth_fail_count - failures of addr (client_count_addr_parse form) in
 * the window that is open at now: 0 when there is none.
 */
unsigned auth_fail_count(struct auth_fail *table,
			 const uint8_t addr[CLIENT_COUNT_ADDR_SIZE],
			 time_t now, unsigned window_s);

/*
 * auth_fail_add - count one failure of addr at now (a new window when
 * the old one has passed); returns the count including this failure.
 */
unsigned auth_fail_add(struct auth_fail *table,
		       const uint8_t addr[CLIENT_COUNT_ADDR_SIZE], time_t now,
		       unsigned window_s);

#endif
