/*
 * login_delay.h - slow down failed logins per client address.
 *
 * pop3d (and imapd) answer a failed login only after a delay that grows
 * with the recent failures from the same client address: the n-th failure
 * within LOGIN_DELAY_FORGET_MS of the previous one waits
 * LOGIN_DELAY_BASE_MS << (n - 1), at most LOGIN_DELAY_MAX_MS:
 * 1 s, 2 s, 4 s, 8 s, 15 s, 15 s, ... A wrong password and an unknown
 * user count the same. The table is per process and bounded
 * (LOGIN_DELAY_SLOTS addresses); when it is full the address with the
 * oldest failure is forgotten. docs/pop3d.md gives the numbers.
 */
#ifndef MR_LOGIN_DELAY_H
#define MR_LOGIN_DELAY_H

#include <stddef.h>
#include <stdint.h>

/* Delay after the first failure (Dovecot's auth_failure_delay is 2 s). */
#define LOGIN_DELAY_BASE_MS 1000
/* Longest delay: below the 30-second client timeouts of common clients. */
#define LOGIN_DELAY_MAX_MS 15000
/* A failure older than this (before the next one) is forgotten. */
#define LOGIN_DELAY_FORGET_MS (15 * 60 * 1000)
/* Addresses remembered per process. */
#define LOGIN_DELAY_SLOTS 1024
/* Longest address text kept (INET6_ADDRSTRLEN). */
#define LOGIN_DELAY_ADDR_MAX 46

struct login_delay;

/* login_delay_new - an empty table of slots addresses (>= 1). */
struct login_delay *login_delay_new(size_t slots);

/* login_delay_free - release the table and NULL *ld. */
void login_delay_free(struct login_delay **ld);

/*
 * login_delay_failed - count one failed login from addr (its text; longer
 * ones are cut) at now_ms (monotonic) and return how long to wait, in
 * milliseconds, before answering it.
 */
uint64_t login_delay_failed(struct login_delay *ld, const char *addr,
			    uint64_t now_ms);

/* login_delay_failures - recent failures of addr (0 when none; a test seam). */
unsigned login_delay_failures(const struct login_delay *ld, const char *addr,
			      uint64_t now_ms);

#endif
