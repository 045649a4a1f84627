/*
 * login_cache.h - remember recent successful logins (Dovecot's auth
 * cache).
 *
 * Mail clients log in again and again (every connection of a client
 * with several, every poll), and each login costs a password hash of
 * tens of milliseconds. A successful login is remembered for
 * LOGIN_CACHE_TTL_MS as (name, the stored hash, a keyed SHA-256 of the
 * password): the same password for the same stored hash is then accepted
 * without hashing. A changed password (another stored hash) or any other
 * password misses and is checked in full, so failures cost what they
 * always cost: a wrong password and an unknown user still look alike.
 *
 * SECURITY: the password itself is never kept; the key is random per
 * table (getrandom at creation), the comparison constant-time. The table
 * is bounded (slots given at creation; the oldest entry is replaced).
 * Owned by one thread (imapd's or pop3d's auth worker).
 */
#ifndef MR_LOGIN_CACHE_H
#define MR_LOGIN_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How long a successful login is remembered. */
#define LOGIN_CACHE_TTL_MS (15u * 60 * 1000)
/* Entries per table. */
#define LOGIN_CACHE_SLOTS 1024

struct login_cache;

/* login_cache_new - an empty table of slots entries (>= 1). */
struct login_cache *login_cache_new(size_t slots);

/* login_cache_free - wipe and release; NULLs *lc. */
void login_cache_free(struct login_cache **lc);

/*
 * login_cache_check - whether name logged in with password while its
 * stored hash was stored_hash, less than LOGIN_CACHE_TTL_MS before
 * now_ms (monotonic).
 */
bool login_cache_check(struct login_cache *lc, const char *name,
		       const char *stored_hash, const char *password,
		       uint64_t now_ms);

/* login_cache_add - remember a successful login at now_ms. */
void login_cache_add(struct login_cache *lc, const char *name,
		     const char *stored_hash, const char *password,
		     uint64_t now_ms);

struct users;
struct users_entry;

/*
 * login_cache_verify - users_verify with lc in front: a password that
 * logged in recently with the user's current stored hash is accepted
 * without hashing; anything else (a wrong password, an unknown user) is
 * checked in full, so failures still cost the same. Returns 1 with
 * *entry_r (the user, now remembered), 0 for a failed login, -1 with
 * *error_r on a temporary failure. Runs in lc's owning thread.
 */
int login_cache_verify(struct login_cache *lc, struct users *u,
		       const char *name, const char *password,
		       struct users_entry *entry_r, const char **error_r);

#endif
