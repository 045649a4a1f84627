/*
 * login_cache.c - recent successful logins (see login_cache.h).
 *
 * login_cache_new/free, login_cache_check, login_cache_add
 *
 * Input: names and passwords from clients (after the users table said
 * the name exists), stored hashes from the users table. Each entry keeps
 * copies of the name and stored hash and SHA-256(key || password); the
 * table is a fixed array searched linearly (LOGIN_CACHE_SLOTS bounds
 * work and memory). No privilege needed.
 */
#include "lib/login_cache.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/users.h"

#define LOGIN_CACHE_KEY 32
#define LOGIN_CACHE_MAC 32

struct login_cache_entry {
	char name[USERS_NAME_MAX + 1];	/* "" when free */
	char hash[USERS_HASH_MAX + 1];
	uint8_t mac[LOGIN_CACHE_MAC];
	uint64_t added_ms;
};

struct login_cache {
	uint8_t key[LOGIN_CACHE_KEY];
	struct login_cache_entry *entries;
	size_t count;
};

/* login_cache_new - an empty table with a fresh key */
struct login_cache *
login_cache_new(size_t slots)
{
	struct login_cache *lc = mem_alloc(sizeof(*lc));

	MR_ASSERT(slots >= 1);
	if (getrandom(lc->key, sizeof(lc->key), 0) != (ssize_t)sizeof(lc->key))
		log_fatal("login cache: getrandom: %m");
	lc->entries = mem_alloc_array(slots, sizeof(*lc->entries));
	lc->count = slots;
	return lc;
}

/* login_cache_free - wipe and release */
void
login_cache_free(struct login_cache **lcp)
{
	struct login_cache *lc = *lcp;

	if (lc == NULL)
		return;
	explicit_bzero(lc->entries, lc->count * sizeof(*lc->entries));
	explicit_bzero(lc->key, sizeof(lc->key));
	mem_free(&lc->entries);
	mem_free(lcp);
}

/* cache_mac - SHA-256 of the key and the password */
static bool
cache_mac(const struct login_cache *lc, const char *password,
	  uint8_t mac[LOGIN_CACHE_MAC])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned len = 0;
	bool ok;

	if (md == NULL)
		return false;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(md, lc->key, sizeof(lc->key)) == 1 &&
	     EVP_DigestUpdate(md, password, strlen(password)) == 1 &&
	     EVP_DigestFinal_ex(md, mac, &len) == 1 && len == LOGIN_CACHE_MAC;
	EVP_MD_CTX_free(md);
	return ok;
}

/* cache_find - the entry of name, or NULL */
static struct login_cache_entry *
cache_find(struct login_cache *lc, const char *name)
{
	size_t i;

	for (i = 0; i < lc->count; i++)
		if (lc->entries[i].name[0] != '\0' &&
		    strcmp(lc->entries[i].name, name) == 0)
			return &lc->entries[i];
	return NULL;
}

/* login_cache_check - a recent success with this password? */
bool
login_cache_check(struct login_cache *lc, const char *name,
		  const char *stored_hash, const char *password,
		  uint64_t now_ms)
{
	struct login_cache_entry *e = cache_find(lc, name);
	uint8_t mac[LOGIN_CACHE_MAC];
	bool ok;

	if (e == NULL || strcmp(e->hash, stored_hash) != 0 ||
	    now_ms - e->added_ms >= LOGIN_CACHE_TTL_MS ||
	    !cache_mac(lc, password, mac))
		return false;
	ok = CRYPTO_memcmp(mac, e->mac, sizeof(mac)) == 0;
	explicit_bzero(mac, sizeof(mac));
	return ok;
}

/* login_cache_add - remember a success */
void
login_cache_add(struct login_cache *lc, const char *name,
		const char *stored_hash, const char *password,
		uint64_t now_ms)
{
	struct login_cache_entry *e = cache_find(lc, name);
	size_t i;

	if (strlen(name) > USERS_NAME_MAX || strlen(stored_hash) > USERS_HASH_MAX)
		return;
	if (e == NULL) {
		/* A free slot, else the oldest. */
		e = &lc->entries[0];
		for (i = 0; i < lc->count; i++) {
			if (lc->entries[i].name[0] == '\0') {
				e = &lc->entries[i];
				break;
			}
			if (lc->entries[i].added_ms < e->added_ms)
				e = &lc->entries[i];
		}
	}
	if (!cache_mac(lc, password, e->mac)) {
		e->name[0] = '\0';
		return;
	}
	memcpy(e->name, name, strlen(name) + 1);
	memcpy(e->hash, stored_hash, strlen(stored_hash) + 1);
	e->added_ms = now_ms;
}

/* login_cache_verify - the password check, the cache first */
int
login_cache_verify(struct login_cache *lc, struct users *u, const char *name,
		   const char *password, struct users_entry *entry_r,
		   const char **error_r)
{
	struct timespec ts;
	uint64_t now_ms;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	rc = users_lookup(u, name, entry_r, error_r);
	if (rc < 0)
		return -1;
	if (rc == 1 && login_cache_check(lc, entry_r->name, entry_r->hash,
					 password, now_ms))
		return 1;
	rc = users_verify_entry(u, rc == 1 ? entry_r : NULL, password,
				error_r);
	if (rc == 1)
		login_cache_add(lc, entry_r->name, entry_r->hash, password,
				now_ms);
	return rc;
}
