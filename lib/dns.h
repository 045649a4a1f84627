/*
 * dns.h - asynchronous DNS for the SMTP client: MX and address lookups on
 * the event loop (c-ares), with a cache that honours TTLs.
 *
 * dns_lookup_mx finds where mail for a domain goes (RFC 5321 5.1): the MX
 * records of the domain (CNAMEs followed), sorted by preference with equal
 * preferences in random order, duplicates removed, then the addresses of
 * every MX host in the asked families. No MX records: the domain itself is
 * the one host (implicit MX). A null MX (RFC 7505: exactly one MX, with
 * preference 0 and the root as target) means the domain takes no mail; a
 * "." among other MX hosts is ignored. dns_lookup_host resolves one host
 * without MX lookup (a relayhost "[host]").
 *
 * Status of a result:
 *   DNS_OK        at least one host with addresses; hosts without any are
 *                 dropped
 *   DNS_NXDOMAIN  the domain (MX lookup) or host does not exist; also a
 *                 name that is not a valid domain name (permanent)
 *   DNS_NODATA    no MX and no address, or MX hosts of which none exists
 *                 or has an address of the asked families (permanent)
 *   DNS_NULLMX    null MX (permanent, 5.1.10)
 *   DNS_TEMPFAIL  SERVFAIL, REFUSED, timeout, malformed or truncated
 *                 answer, CNAME chain too long or looping, or a host that
 *                 failed so while no host has an address (retry later)
 * text holds a Postfix-like explanation for logs and bounces.
 *
 * Cache: every answer is cached per (name, type) for its TTL: the smallest
 * TTL of the RRset, at most DNS_CACHE_TTL_MAX_S; negative answers for the
 * SOA's negative TTL (RFC 2308), between DNS_CACHE_NEG_TTL_MIN_S and
 * DNS_CACHE_NEG_TTL_MAX_S; temporary failures are not cached. CNAME links
 * are cached as links. At most DNS_CACHE_ENTRIES_DEFAULT entries (oldest
 * evicted first). See docs/dns.md.
 *
 * Callbacks run exactly once per lookup, always from the event loop and
 * never inside the call that started it (also for cache hits), unless the
 * lookup is cancelled first. The result is valid during the callback only.
 * After the callback the query handle is gone: the caller forgets it (it
 * may still call dns_query_cancel on it from inside the callback, which
 * does nothing but NULL the pointer).
 */
#ifndef MR_DNS_H
#define MR_DNS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/event.h"

#define DNS_NAME_MAX 253	/* text form, no trailing dot */
#define DNS_HOSTS_MAX 32	/* MX hosts kept per domain */
#define DNS_ADDRS_MAX 16	/* addresses kept per host */
#define DNS_TEXT_MAX 256

/* Cache limits (docs/dns.md). */
#define DNS_CACHE_ENTRIES_DEFAULT 10000
#define DNS_CACHE_TTL_MAX_S 86400	/* positive answers: 1 day */
#define DNS_CACHE_NEG_TTL_MAX_S 3600	/* negative answers: 1 hour */
#define DNS_CACHE_NEG_TTL_MIN_S 5	/* negative answers, also without SOA */

enum dns_status {
	DNS_OK,		/* hosts[] has at least one host with an address */
	DNS_NXDOMAIN,	/* the name does not exist (permanent) */
	DNS_NODATA,	/* name exists, no MX and no address of the asked
			   families (permanent) */
	DNS_NULLMX,	/* RFC 7505 null MX: the domain accepts no mail
			   (permanent, 5.1.10) */
	DNS_TEMPFAIL,	/* SERVFAIL, REFUSED, timeout, malformed answer,
			   CNAME loop... (retry later) */
};
#define DNS_FAMILY_INET4 0x1u
#define DNS_FAMILY_INET6 0x2u

struct dns_addr {
	int family;	/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} u;
};

struct dns_host {
	char name[DNS_NAME_MAX + 1]; /* MX target (after CNAMEs: the name as
					given in the MX) */
	unsigned pref;		/* MX preference; 0 for implicit MX and host
				   lookups */
	enum dns_status status;	/* of this host's address lookup (DNS_OK
				   when addrs) */
	size_t addr_count;
	struct dns_addr addrs[DNS_ADDRS_MAX]; /* IPv4 first, then IPv6; each
						 family in random order */
};

struct dns_result {
	enum dns_status status;
	/*
	 * For logs and bounces, Postfix-like (cut at DNS_TEXT_MAX - 1):
	 * "Host or domain name not found. Name service error for
	 * name=x.example type=MX: Host not found",
	 * "... type=MX: Host not found, try again",
	 * "Domain x.example does not accept mail (nullMX)"; "" for DNS_OK.
	 */
	char text[DNS_TEXT_MAX];
	bool implicit_mx;	/* no MX records: the domain itself as the one
				   host */
	size_t host_count;
	struct dns_host *hosts;	/* owned by the result; sorted by pref,
				   equal prefs in random order */
};

/* dns_result_fn - a lookup finished; res is valid during the call only. */
typedef void dns_result_fn(void *ctx, const struct dns_result *res);

struct dns_resolver;
struct dns_query;

/* Counters of a resolver (dns_resolver_stats). */
struct dns_stats {
	uint64_t queries_sent;	/* questions handed to c-ares */
	uint64_t cache_hits;	/* (name, type) answered from the cache */
	size_t cache_entries;	/* entries now in the cache */
	size_t pending_queries;	/* lookups not yet called back */
};

/*
 * dns_resolver_new - a resolver on loop. servers: NULL or "" use the
 * name servers of /etc/resolv.conf; else a list separated by commas or
 * white space of "ipv4", "ipv4:port", "ipv6", "[ipv6]" and "[ipv6]:port"
 * (at most DNS_SERVERS_MAX). timeout_ms is the first try's timeout (c-ares
 * doubles it on each round through the servers), tries the number of
 * tries per server; 0 keeps the value from resolv.conf or c-ares' default.
 * Search domains are never applied; queries carry EDNS0.
 * Returns the resolver, or NULL with *error_r (static) for a bad server
 * list or when c-ares cannot start.
 */
#define DNS_SERVERS_MAX 8
struct dns_resolver *dns_resolver_new(struct event_loop *loop,
				      const char *servers, unsigned timeout_ms,
				      unsigned tries, const char **error_r);

/*
 * dns_resolver_free - cancel every pending lookup without calling back,
 * release the resolver and its cache, and NULL *r (NULL *r is fine).
 */
void dns_resolver_free(struct dns_resolver **r);

/*
 * dns_resolver_set_cache_limit - keep at most entries cache entries (0
 * turns the cache off); the oldest go first.
 */
void dns_resolver_set_cache_limit(struct dns_resolver *r, size_t entries);

/* dns_resolver_stats - the counters so far. */
void dns_resolver_stats(const struct dns_resolver *r,
			struct dns_stats *stats_r);

/*
 * dns_lookup_mx - MX for domain (CNAMEs followed), then addresses of every
 * MX host in families (DNS_FAMILY_*; at least one); no MX -> the domain's
 * own addresses (implicit MX); null MX -> DNS_NULLMX. A trailing dot is
 * ignored. An IP literal is the caller's business and never passed here.
 * Returns the query handle (never NULL); cb runs exactly once, from the
 * loop, unless the query is cancelled first.
 */
struct dns_query *dns_lookup_mx(struct dns_resolver *r, const char *domain,
				unsigned families, dns_result_fn *cb,
				void *ctx);

/*
 * dns_lookup_host - addresses of one host (relayhost "[host]", no MX
 * lookup) as a one-host result. A numeric IPv4 or IPv6 address is
 * returned as it is (DNS_NODATA when its family was not asked).
 */
struct dns_query *dns_lookup_host(struct dns_resolver *r, const char *host,
				  unsigned families, dns_result_fn *cb,
				  void *ctx);

/*
 * dns_query_cancel - stop a lookup: no callback after this. NULLs *q
 * (NULL *q is fine).
 */
void dns_query_cancel(struct dns_query **q);

/* dns_status_name - "ok", "nxdomain", "nodata", "nullmx", "tempfail". */
const char *dns_status_name(enum dns_status status);

#endif
