/*
 * dns_cache.c - the resolver's answer cache (see dns_cache.h).
 *
 * dns_rrset_copy, dns_rrset_deinit: RRset values. dns_cache_new/free,
 * dns_cache_get, dns_cache_put, dns_cache_set_limit, dns_cache_count.
 *
 * A hash table of chains, plus one list in storing order: the head is the
 * oldest entry, which is the one dropped when the cache is full. Lookups
 * and stores are O(1) on average; a store also drops up to
 * DNS_CACHE_SWEEP expired entries from the old end, so expired entries
 * do not sit there until the cache fills.
 *
 * SECURITY: names and data come from DNS answers (and so from whoever
 * controls a domain a recipient names). The table is bounded in entries,
 * each entry in records (the parser's DNS_PARSE_RR_MAX), and the hash is
 * seeded per cache from getrandom so that chosen names cannot pile into
 * one chain predictably. Runs with the privilege of the caller.
 */
#include "lib/dns_cache.h"

#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

/* Expired entries dropped from the old end per store. */
#define DNS_CACHE_SWEEP 2
/* Fewest hash buckets. */
#define DNS_CACHE_BUCKETS_MIN 16

struct dns_cache_entry {
	char *name;			/* lower case */
	uint16_t type;
	uint64_t expires_ms;
	struct dns_rrset rs;
	struct dns_cache_entry *chain;	/* next in the bucket */
	struct dns_cache_entry *older;	/* storing order */
	struct dns_cache_entry *newer;
};

struct dns_cache {
	struct dns_cache_entry **buckets;
	size_t bucket_count;		/* a power of two */
	size_t count;
	size_t max_entries;
	uint64_t seed;
	struct dns_cache_entry *oldest;
	struct dns_cache_entry *newest;
};

/* dns_rrset_copy - deep copy */
void
dns_rrset_copy(struct dns_rrset *dst, const struct dns_rrset *src)
{
	dst->status = src->status;
	dst->count = src->count;
	dst->rd = NULL;
	if (src->count == 0)
		return;
	dst->rd = mem_alloc_array(src->count, sizeof(*dst->rd));
	for (size_t i = 0; i < src->count; i++) {
		dst->rd[i] = src->rd[i];
		if (src->rd[i].name != NULL)
			dst->rd[i].name = mem_strdup(src->rd[i].name);
	}
}

/* dns_rrset_deinit - release the records */
void
dns_rrset_deinit(struct dns_rrset *rs)
{
	for (size_t i = 0; i < rs->count; i++)
		mem_free(&rs->rd[i].name);
	mem_free(&rs->rd);
	rs->count = 0;
}

/* dns_cache_hash - seeded FNV-1a of the lower-case name and the type */
static uint64_t
dns_cache_hash(const struct dns_cache *c, const char *name, uint16_t type)
{
	uint64_t h = 14695981039346656037ull ^ c->seed;

	for (; *name != '\0'; name++) {
		unsigned char ch = (unsigned char)*name;

		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch - 'A' + 'a');
		h = (h ^ ch) * 1099511628211ull;
	}
	h = (h ^ (type & 0xffu)) * 1099511628211ull;
	h = (h ^ (type >> 8)) * 1099511628211ull;
	return h ^ (h >> 29);
}

/* dns_cache_bucket_count - buckets for max_entries: a power of two */
static size_t
dns_cache_bucket_count(size_t max_entries)
{
	size_t n = DNS_CACHE_BUCKETS_MIN;

	while (n < max_entries && n <= SIZE_MAX / 4)
		n *= 2;
	return n;
}

/* dns_cache_new - an empty cache */
struct dns_cache *
dns_cache_new(size_t max_entries)
{
	struct dns_cache *c = mem_alloc(sizeof(*c));

	if (getrandom(&c->seed, sizeof(c->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(c->seed))
		c->seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	c->max_entries = max_entries;
	c->bucket_count = dns_cache_bucket_count(max_entries);
	c->buckets = mem_alloc_array(c->bucket_count, sizeof(*c->buckets));
	return c;
}

/* dns_cache_drop - take e out of its chain and the age list, free it */
static void
dns_cache_drop(struct dns_cache *c, struct dns_cache_entry *e)
{
	size_t b = dns_cache_hash(c, e->name, e->type) & (c->bucket_count - 1);
	struct dns_cache_entry **pp = &c->buckets[b];

	while (*pp != e) {
		MR_ASSERT(*pp != NULL);
		pp = &(*pp)->chain;
	}
	*pp = e->chain;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	c->count--;
	dns_rrset_deinit(&e->rs);
	mem_free(&e->name);
	mem_free(&e);
}

/* dns_cache_free - release everything */
void
dns_cache_free(struct dns_cache **cp)
{
	struct dns_cache *c = *cp;

	if (c == NULL)
		return;
	while (c->oldest != NULL)
		dns_cache_drop(c, c->oldest);
	mem_free(&c->buckets);
	mem_free(cp);
}

/* dns_cache_find - the entry for (name, type), expired or not */
static struct dns_cache_entry *
dns_cache_find(struct dns_cache *c, const char *name, uint16_t type)
{
	size_t b = dns_cache_hash(c, name, type) & (c->bucket_count - 1);
	struct dns_cache_entry *e;

	for (e = c->buckets[b]; e != NULL; e = e->chain)
		if (e->type == type && str_eq_ci(e->name, name))
			return e;
	return NULL;
}

/* dns_cache_get - a live entry */
const struct dns_rrset *
dns_cache_get(struct dns_cache *c, const char *name, uint16_t type,
	      uint64_t now_ms)
{
	struct dns_cache_entry *e = dns_cache_find(c, name, type);

	if (e == NULL)
		return NULL;
	if (e->expires_ms <= now_ms) {
		dns_cache_drop(c, e);
		return NULL;
	}
	return &e->rs;
}

/* dns_cache_trim - drop the oldest entries until count <= keep */
static void
dns_cache_trim(struct dns_cache *c, size_t keep)
{
	while (c->count > keep)
		dns_cache_drop(c, c->oldest);
}

/* dns_cache_put - store a copy */
void
dns_cache_put(struct dns_cache *c, const char *name, uint16_t type,
	      const struct dns_rrset *rs, uint32_t ttl_s, uint64_t now_ms)
{
	struct dns_cache_entry *e = dns_cache_find(c, name, type);
	size_t b;

	if (e != NULL)
		dns_cache_drop(c, e);
	for (size_t i = 0; i < DNS_CACHE_SWEEP && c->oldest != NULL &&
			   c->oldest->expires_ms <= now_ms;
	     i++)
		dns_cache_drop(c, c->oldest);
	if (ttl_s == 0 || rs->status == DNS_TEMPFAIL || c->max_entries == 0)
		return;
	dns_cache_trim(c, c->max_entries - 1);
	e = mem_alloc(sizeof(*e));
	e->name = str_lower(mem_strdup(name));
	e->type = type;
	e->expires_ms = now_ms + (uint64_t)ttl_s * 1000;
	dns_rrset_copy(&e->rs, rs);
	b = dns_cache_hash(c, e->name, type) & (c->bucket_count - 1);
	e->chain = c->buckets[b];
	c->buckets[b] = e;
	e->older = c->newest;
	if (c->newest != NULL)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
	c->count++;
}

/* dns_cache_set_limit - new bound; the table is rebuilt to fit it */
void
dns_cache_set_limit(struct dns_cache *c, size_t max_entries)
{
	size_t buckets = dns_cache_bucket_count(max_entries);
	struct dns_cache_entry *e;

	c->max_entries = max_entries;
	dns_cache_trim(c, max_entries);
	if (buckets == c->bucket_count)
		return;
	mem_free(&c->buckets);
	c->bucket_count = buckets;
	c->buckets = mem_alloc_array(buckets, sizeof(*c->buckets));
	for (e = c->oldest; e != NULL; e = e->newer) {
		size_t b = dns_cache_hash(c, e->name, e->type) & (buckets - 1);

		e->chain = c->buckets[b];
		c->buckets[b] = e;
	}
}

/* dns_cache_count - entries held */
size_t
dns_cache_count(const struct dns_cache *c)
{
	return c->count;
}
