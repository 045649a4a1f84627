/*
 * dns_cache.h - the resolver's answer cache: RRsets and negative answers
 * per (name, type), each until its expiry time.
 *
 * The caller decides the TTL (lib/dns.c clamps it, docs/dns.md); the cache
 * only stores, finds and forgets. Names are compared ignoring ASCII case.
 * The number of entries is bounded: storing into a full cache first drops
 * the oldest entries (the ones stored longest ago); expired entries are
 * dropped when found and when they reach the old end.
 *
 * Ownership: the cache keeps its own copies. A pointer returned by
 * dns_cache_get stays valid until the next dns_cache_put,
 * dns_cache_set_limit or dns_cache_free; copy what you keep.
 */
#ifndef MR_DNS_CACHE_H
#define MR_DNS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dns.h"

/* One record's data. */
struct dns_rdata {
	uint16_t pref;		/* MX preference */
	uint8_t addr[16];	/* A (4 octets used) or AAAA */
	char *name;		/* MX exchange or CNAME target; else NULL */
};

/*
 * An RRset, or a negative answer (status DNS_NXDOMAIN or DNS_NODATA, no
 * records). DNS_TEMPFAIL sets travel between the resolver's parts but are
 * never stored.
 */
struct dns_rrset {
	enum dns_status status;
	size_t count;
	struct dns_rdata *rd;
};

/* dns_rrset_copy - deep copy of src into dst (dst's old content is lost). */
void dns_rrset_copy(struct dns_rrset *dst, const struct dns_rrset *src);

/* dns_rrset_deinit - release the records; rs is empty afterwards. */
void dns_rrset_deinit(struct dns_rrset *rs);

struct dns_cache;

/* dns_cache_new - an empty cache of at most max_entries (0: stores none). */
struct dns_cache *dns_cache_new(size_t max_entries);

/* dns_cache_free - release the cache and every entry; NULLs *c. */
void dns_cache_free(struct dns_cache **c);

/*
 * dns_cache_get - the live entry for (name, type) at now_ms, or NULL (an
 * expired entry is dropped on the way).
 */
const struct dns_rrset *dns_cache_get(struct dns_cache *c, const char *name,
				      uint16_t type, uint64_t now_ms);

/*
 * dns_cache_put - store a copy of rs for (name, type) until now_ms +
 * ttl_s, replacing an older entry. A TTL of 0, a DNS_TEMPFAIL set or a
 * cache of limit 0 stores nothing (and drops the older entry).
 */
void dns_cache_put(struct dns_cache *c, const char *name, uint16_t type,
		   const struct dns_rrset *rs, uint32_t ttl_s, uint64_t now_ms);

/* dns_cache_set_limit - change the bound, dropping the oldest over it. */
void dns_cache_set_limit(struct dns_cache *c, size_t max_entries);

/* dns_cache_count - entries held (expired ones not yet dropped count). */
size_t dns_cache_count(const struct dns_cache *c);

#endif
