/*
 * dns.c - asynchronous DNS for the SMTP client (see dns.h, docs/dns.md).
 *
 * dns_resolver_new/free, dns_resolver_set_cache_limit, dns_resolver_stats:
 * the resolver, one c-ares channel on the event loop. dns_lookup_mx,
 * dns_lookup_host, dns_query_cancel: lookups. dns_status_name.
 *
 * Three layers. A request is one question (name, type) on the wire,
 * asked with ares_query and read with our own parser (lib/dns_parse.c:
 * c-ares 1.18 gives no TTLs for MX and CNAME); concurrent fetches of the
 * same question share one request. A fetch resolves (name, type) for one
 * lookup, following CNAMEs through the cache and through requests, at
 * most DNS_PARSE_CNAME_MAX links in all. A query is one dns_lookup_*
 * call: the MX fetch, then one fetch per host and family, then the result,
 * delivered from a deferred call. At most DNS_REQUESTS_INFLIGHT_MAX
 * requests are with c-ares at a time; the rest wait in a FIFO.
 *
 * c-ares in the loop: ARES_OPT_SOCK_STATE_CB tells us which sockets to
 * watch (event_io_add/set/remove), ares_process_fd runs on readiness and
 * on one timer set from ares_timeout after every call into c-ares. A
 * request outlives a cancelled query: c-ares cannot cancel one question,
 * so the request waits for its answer (and caches it) with no waiters;
 * dns_resolver_free ends the rest through ares_destroy.
 *
 * SECURITY: answers come from the network. They go through the bounded
 * parser; a name from an answer is queried only when it is a valid host
 * name (letters, digits, '-', '_'), so escapes cannot change the question;
 * the cache is bounded (lib/dns_cache.c); MX hosts are capped at
 * DNS_HOSTS_MAX and addresses at DNS_ADDRS_MAX per host. Names in logs go
 * through log_safe. Runs with the privilege of the calling process (the
 * smtp daemon, as the mail user).
 *
 * RFC 5321 5.1 (MX, implicit MX, random order among equal preferences),
 * RFC 7505 (null MX), RFC 1034 3.6.2 and RFC 2181 10.1 (CNAME), RFC 2308
 * (negative caching), RFC 6891 (EDNS0, 1232-octet UDP size).
 */
#include "lib/dns.h"

#include <arpa/inet.h>
#include <ares.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/dns_cache.h"
#include "lib/dns_parse.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/parse_num.h"
#include "lib/str.h"

_Static_assert(DNS_NAME_MAX == DNS_PARSE_NAME_MAX, "one name limit");

/* EDNS0 UDP payload size: the DNS flag day 2020 value, no fragmentation. */
#define DNS_EDNS_UDP_SIZE 1232
/* Longest server list entry: "[" IPv6 "]:" port. */
#define DNS_SERVER_TEXT_MAX 63
/*
 * Questions handed to c-ares at once; more wait in a queue. A burst of
 * hundreds of UDP queries draws its answers faster than the loop reads
 * them, and what overflows the socket buffer is lost until a timeout.
 */
#define DNS_REQUESTS_INFLIGHT_MAX 64
/* Fetch index of the MX fetch (host fetches use the host's index). */
#define DNS_FETCH_MX SIZE_MAX
/* Address families, as indexes. */
#define DNS_FAM_V4 0
#define DNS_FAM_V6 1

/* A socket c-ares asked us to watch. */
struct dns_sock {
	int fd;
	struct event_io *io;
};

struct dns_resolver {
	struct event_loop *loop;
	ares_channel channel;
	struct event_timer *timer;
	struct dns_sock *socks;
	size_t sock_count;
	size_t sock_cap;
	struct dns_cache *cache;
	struct dns_request *requests;	/* in flight or queued */
	size_t inflight;		/* handed to c-ares */
	struct dns_request *queue_head;	/* waiting to be handed over */
	struct dns_request *queue_tail;
	bool draining;			/* inside dns_request_send_queued */
	struct dns_query *queries;	/* not yet called back */
	uint64_t rng;
	struct dns_stats stats;
	bool destroying;
};

/* One question on the wire and the fetches waiting for it. */
struct dns_request {
	struct dns_resolver *r;
	struct dns_request *prev, *next;
	bool queued;			/* not yet handed to c-ares */
	struct dns_request *fifo_prev, *fifo_next;
	char name[DNS_NAME_MAX + 1];
	uint16_t type;
	struct dns_fetch *waiters;
};

/* What a request's answer means for each waiting fetch. */
struct dns_outcome {
	bool follow;			/* ask for final next */
	char final[DNS_NAME_MAX + 1];
	unsigned links;			/* CNAME links in the answer */
	struct dns_rrset rs;		/* when not follow */
	const char *why;		/* for DNS_TEMPFAIL */
};

/* (name, type) for one query, CNAMEs followed. */
struct dns_fetch {
	struct dns_query *q;
	struct dns_fetch *qprev, *qnext;	/* the query's fetches */
	struct dns_request *req;		/* waiting for it, or NULL */
	struct dns_fetch *wprev, *wnext;	/* the request's waiters */
	uint16_t type;
	size_t host;				/* or DNS_FETCH_MX */
	unsigned links;
	char name[DNS_NAME_MAX + 1];
};

/* Address lookups of one host, per family. */
struct dns_host_state {
	bool malformed;			/* name not looked up */
	enum dns_status status[2];	/* by DNS_FAM_* */
	size_t count[2];
	struct dns_addr addrs[2][DNS_ADDRS_MAX];
};

struct dns_query {
	struct dns_resolver *r;
	struct dns_query *prev, *next;
	bool is_mx;
	unsigned families;
	dns_result_fn *cb;
	void *ctx;
	char domain[DNS_NAME_MAX + 1];
	struct dns_fetch *fetches;
	size_t pending;			/* fetches not finished */
	bool starting;			/* inside dns_query_hosts_start */
	struct dns_host *hosts;		/* candidates, DNS_HOSTS_MAX */
	struct dns_host_state *hs;
	size_t host_count;
	struct dns_result res;
	struct event_defer *defer;
	bool delivering;		/* inside the callback */
};

static void dns_fetch_step(struct dns_fetch *f);
static void dns_request_send_queued(struct dns_resolver *r);

/* dns_status_name - short name of a status */
const char *
dns_status_name(enum dns_status status)
{
	switch (status) {
	case DNS_OK:
		return "ok";
	case DNS_NXDOMAIN:
		return "nxdomain";
	case DNS_NODATA:
		return "nodata";
	case DNS_NULLMX:
		return "nullmx";
	case DNS_TEMPFAIL:
		return "tempfail";
	}
	return "unknown";
}

/* dns_status_text - Postfix's wording (dns_strerror) for a status */
static const char *
dns_status_text(enum dns_status status)
{
	switch (status) {
	case DNS_NXDOMAIN:
		return "Host not found";
	case DNS_NODATA:
		return "Host found but no data record of requested type";
	case DNS_TEMPFAIL:
		return "Host not found, try again";
	default:
		return "Unexpected status";
	}
}

/* dns_random - next value of the resolver's xorshift64* generator */
static uint64_t
dns_random(struct dns_resolver *r)
{
	r->rng ^= r->rng >> 12;
	r->rng ^= r->rng << 25;
	r->rng ^= r->rng >> 27;
	return r->rng * 2685821657736338717ull;
}

/* dns_random_below - a number in [0, n) (n > 0); bias is irrelevant here */
static size_t
dns_random_below(struct dns_resolver *r, size_t n)
{
	return (size_t)((dns_random(r) >> 11) % n);
}

/*
 * dns_name_normalize - copy a host or domain name to out (DNS_NAME_MAX +
 * 1 bytes) without its trailing dot; -1 unless it is a valid host name:
 * labels of 1-63 letters, digits, '-' or '_', 253 characters at most.
 */
static int
dns_name_normalize(const char *in, char *out)
{
	size_t n = strlen(in), label = 0;

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n > DNS_NAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];

		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return -1;
		if (++label > DNS_PARSE_LABEL_MAX)
			return -1;
	}
	memcpy(out, in, n);
	out[n] = '\0';
	return 0;
}

/* dns_query_set_text - printf into res.text; a cut text ends in "..." */
static void __attribute__((format(printf, 2, 3)))
dns_query_set_text(struct dns_query *q, const char *fmt, ...)
{
	size_t size = sizeof(q->res.text);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(q->res.text, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		q->res.text[0] = '\0';
	else if ((size_t)n >= size)
		memcpy(q->res.text + size - 4, "...", 4);
}

/* dns_query_set_error - the "Name service error" text */
static void
dns_query_set_error(struct dns_query *q, const char *name, uint16_t type,
		    const char *what)
{
	dns_query_set_text(q,
			   "Host or domain name not found. Name service "
			   "error for name=%s type=%s: %s",
			   log_safe_str(name), dns_type_name(type), what);
}

/* dns_query_release - free a query that is out of every list */
static void
dns_query_release(struct dns_query *q)
{
	MR_ASSERT(q->fetches == NULL && q->defer == NULL);
	mem_free(&q->hosts);
	mem_free(&q->hs);
	mem_free(&q->res.hosts);
	mem_free(&q);
}

/* dns_query_unlink - take q out of the resolver's list */
static void
dns_query_unlink(struct dns_query *q)
{
	struct dns_resolver *r = q->r;

	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		r->queries = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
	r->stats.pending_queries--;
}

/* dns_query_deliver - the deferred callback */
static void
dns_query_deliver(void *ctx)
{
	struct dns_query *q = ctx;

	q->defer = NULL;
	dns_query_unlink(q);
	log_debug("dns: %s %s: %s%s%s", q->is_mx ? "mx" : "host",
		  q->domain, dns_status_name(q->res.status),
		  q->res.text[0] != '\0' ? ": " : "", q->res.text);
	/* The callback may free the resolver: do not touch q->r after. */
	q->delivering = true;
	q->cb(q->ctx, &q->res);
	dns_query_release(q);
}

/* dns_query_finish - the result is complete: call back from the loop */
static void
dns_query_finish(struct dns_query *q, enum dns_status status)
{
	MR_ASSERT(q->pending == 0 && q->defer == NULL);
	q->res.status = status;
	q->defer = event_defer(q->r->loop, dns_query_deliver, q);
}

static void dns_request_unlink(struct dns_request *req);

/* dns_request_dequeue - take a queued request out of the queue */
static void
dns_request_dequeue(struct dns_request *req)
{
	struct dns_resolver *r = req->r;

	MR_ASSERT(req->queued);
	if (req->fifo_prev != NULL)
		req->fifo_prev->fifo_next = req->fifo_next;
	else
		r->queue_head = req->fifo_next;
	if (req->fifo_next != NULL)
		req->fifo_next->fifo_prev = req->fifo_prev;
	else
		r->queue_tail = req->fifo_prev;
	req->fifo_prev = req->fifo_next = NULL;
	req->queued = false;
}

/*
 * dns_fetch_unwait - take f out of its request's waiters. A queued
 * request nobody waits for any more is dropped; one in flight stays until
 * c-ares is done with it.
 */
static void
dns_fetch_unwait(struct dns_fetch *f)
{
	struct dns_request *req = f->req;

	if (req == NULL)
		return;
	if (f->wprev != NULL)
		f->wprev->wnext = f->wnext;
	else
		req->waiters = f->wnext;
	if (f->wnext != NULL)
		f->wnext->wprev = f->wprev;
	f->wprev = f->wnext = NULL;
	f->req = NULL;
	if (req->queued && req->waiters == NULL) {
		dns_request_dequeue(req);
		dns_request_unlink(req);
		mem_free(&req);
	}
}

/* dns_fetch_free - take f out of its query and free it */
static void
dns_fetch_free(struct dns_fetch *f)
{
	struct dns_query *q = f->q;

	dns_fetch_unwait(f);
	if (f->qprev != NULL)
		f->qprev->qnext = f->qnext;
	else
		q->fetches = f->qnext;
	if (f->qnext != NULL)
		f->qnext->qprev = f->qprev;
	mem_free(&f);
}

/* dns_fetch_new - a fetch of (name, type) for q; pending counts it */
static struct dns_fetch *
dns_fetch_new(struct dns_query *q, const char *name, uint16_t type,
	      size_t host)
{
	struct dns_fetch *f = mem_alloc(sizeof(*f));

	MR_ASSERT(strlen(name) <= DNS_NAME_MAX);
	f->q = q;
	f->type = type;
	f->host = host;
	memcpy(f->name, name, strlen(name) + 1);
	f->qnext = q->fetches;
	if (q->fetches != NULL)
		q->fetches->qprev = f;
	q->fetches = f;
	q->pending++;
	return f;
}

/* dns_addr_add - add one address to a host's family list (no duplicates) */
static void
dns_addr_add(struct dns_host_state *hs, int fam, const uint8_t *addr)
{
	struct dns_addr a;

	memset(&a, 0, sizeof(a));
	if (fam == DNS_FAM_V4) {
		a.family = AF_INET;
		memcpy(&a.u.v4, addr, sizeof(a.u.v4));
	} else {
		a.family = AF_INET6;
		memcpy(&a.u.v6, addr, sizeof(a.u.v6));
	}
	for (size_t i = 0; i < hs->count[fam]; i++)
		if (memcmp(&hs->addrs[fam][i], &a, sizeof(a)) == 0)
			return;
	if (hs->count[fam] < DNS_ADDRS_MAX)
		hs->addrs[fam][hs->count[fam]++] = a;
}

/* dns_host_status - one status for a host without addresses */
static enum dns_status
dns_host_status(const struct dns_query *q, const struct dns_host_state *hs,
		uint16_t *type_r)
{
	static const unsigned fam_bit[2] = { DNS_FAMILY_INET4,
					     DNS_FAMILY_INET6 };
	static const uint16_t fam_type[2] = { DNS_TYPE_A, DNS_TYPE_AAAA };
	enum dns_status worst = DNS_NXDOMAIN;
	int worst_rank = -1;

	*type_r = q->families & DNS_FAMILY_INET4 ? DNS_TYPE_A : DNS_TYPE_AAAA;
	if (hs->malformed)
		return DNS_NXDOMAIN;
	/* TEMPFAIL beats NODATA beats NXDOMAIN; a tie names the last type. */
	for (int fam = DNS_FAM_V4; fam <= DNS_FAM_V6; fam++) {
		enum dns_status s = hs->status[fam];
		int rank = s == DNS_TEMPFAIL ? 2 : s == DNS_NODATA ? 1 : 0;

		if (!(q->families & fam_bit[fam]) || rank < worst_rank)
			continue;
		worst_rank = rank;
		worst = s == DNS_OK ? DNS_NODATA : s;
		*type_r = fam_type[fam];
	}
	return worst;
}

/* dns_shuffle_addrs - random order of n addresses */
static void
dns_shuffle_addrs(struct dns_resolver *r, struct dns_addr *a, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = dns_random_below(r, i);
		struct dns_addr t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* dns_host_take_addrs - the host's addresses, IPv4 then IPv6, fair share */
static void
dns_host_take_addrs(struct dns_resolver *r, struct dns_host_state *hs,
		    struct dns_host *h)
{
	size_t n4 = hs->count[DNS_FAM_V4], n6 = hs->count[DNS_FAM_V6];
	size_t half = DNS_ADDRS_MAX / 2;

	dns_shuffle_addrs(r, hs->addrs[DNS_FAM_V4], n4);
	dns_shuffle_addrs(r, hs->addrs[DNS_FAM_V6], n6);
	/* Both families get half the room when both have more. */
	if (n4 > half && n4 + n6 > DNS_ADDRS_MAX)
		n4 = DNS_ADDRS_MAX - (n6 < half ? n6 : half);
	if (n6 > DNS_ADDRS_MAX - n4)
		n6 = DNS_ADDRS_MAX - n4;
	memcpy(h->addrs, hs->addrs[DNS_FAM_V4], n4 * sizeof(h->addrs[0]));
	memcpy(h->addrs + n4, hs->addrs[DNS_FAM_V6],
	       n6 * sizeof(h->addrs[0]));
	h->addr_count = n4 + n6;
}

/* dns_query_hosts_done - every address fetch finished: the result */
static void
dns_query_hosts_done(struct dns_query *q)
{
	size_t ok = 0, fail = SIZE_MAX, temp = SIZE_MAX;
	enum dns_status fail_status = DNS_NODATA;
	uint16_t fail_type = DNS_TYPE_A, temp_type = DNS_TYPE_A;

	q->res.hosts = mem_alloc_array(q->host_count, sizeof(*q->res.hosts));
	for (size_t i = 0; i < q->host_count; i++) {
		struct dns_host *h = &q->hosts[i];
		uint16_t type;

		dns_host_take_addrs(q->r, &q->hs[i], h);
		if (h->addr_count > 0) {
			h->status = DNS_OK;
			q->res.hosts[ok++] = *h;
			continue;
		}
		h->status = dns_host_status(q, &q->hs[i], &type);
		if (h->status == DNS_TEMPFAIL && temp == SIZE_MAX) {
			temp = i;
			temp_type = type;
		}
		if (fail == SIZE_MAX) {
			fail = i;
			fail_status = h->status;
			fail_type = type;
		}
	}
	q->res.host_count = ok;
	if (ok > 0) {
		q->res.text[0] = '\0';
		dns_query_finish(q, DNS_OK);
		return;
	}
	if (temp != SIZE_MAX) {
		dns_query_set_error(q, q->hosts[temp].name, temp_type,
				    dns_status_text(DNS_TEMPFAIL));
		dns_query_finish(q, DNS_TEMPFAIL);
		return;
	}
	MR_ASSERT(fail != SIZE_MAX);
	dns_query_set_error(q, q->hosts[fail].name, fail_type,
			    q->hs[fail].malformed ?
				    "Malformed domain name" :
				    dns_status_text(fail_status));
	/* An MX lookup found the domain: its hosts' failures are NODATA. */
	if (q->is_mx)
		fail_status = DNS_NODATA;
	dns_query_finish(q, fail_status);
}

/* dns_query_hosts_start - one fetch per host and asked family */
static void
dns_query_hosts_start(struct dns_query *q)
{
	struct dns_fetch *f;

	if (q->hs == NULL)
		q->hs = mem_alloc_array(q->host_count, sizeof(*q->hs));
	q->starting = true;
	for (size_t i = 0; i < q->host_count; i++) {
		if (q->hs[i].malformed)
			continue;
		if (q->families & DNS_FAMILY_INET4) {
			f = dns_fetch_new(q, q->hosts[i].name, DNS_TYPE_A, i);
			dns_fetch_step(f);
		}
		if (q->families & DNS_FAMILY_INET6) {
			f = dns_fetch_new(q, q->hosts[i].name, DNS_TYPE_AAAA,
					  i);
			dns_fetch_step(f);
		}
	}
	q->starting = false;
	if (q->pending == 0)
		dns_query_hosts_done(q);
}

/* dns_query_host_done - one address fetch finished */
static void
dns_query_host_done(struct dns_query *q, size_t host, uint16_t type,
		    const struct dns_rrset *rs)
{
	struct dns_host_state *hs = &q->hs[host];
	int fam = type == DNS_TYPE_A ? DNS_FAM_V4 : DNS_FAM_V6;

	hs->status[fam] = rs->status;
	if (rs->status == DNS_OK)
		for (size_t i = 0; i < rs->count; i++)
			dns_addr_add(hs, fam, rs->rd[i].addr);
	if (!q->starting && q->pending == 0)
		dns_query_hosts_done(q);
}

/* One MX candidate. */
struct dns_mx_cand {
	unsigned pref;
	const char *name;
};

/*
 * dns_query_mx_hosts - hosts from an MX RRset: "." dropped, duplicates
 * merged (lowest preference), random order, stable sort by preference,
 * capped at DNS_HOSTS_MAX. Returns the host count.
 */
static size_t
dns_query_mx_hosts(struct dns_query *q, const struct dns_rrset *rs)
{
	struct dns_mx_cand *c = mem_alloc_array(rs->count + 1, sizeof(*c));
	size_t n = 0, i, j;

	for (i = 0; i < rs->count; i++) {
		const char *name = rs->rd[i].name;

		if (name == NULL || name[0] == '\0')
			continue;
		for (j = 0; j < n && !dns_name_eq(c[j].name, name); j++)
			;
		if (j < n) {
			if (rs->rd[i].pref < c[j].pref)
				c[j].pref = rs->rd[i].pref;
			continue;
		}
		c[n].pref = rs->rd[i].pref;
		c[n++].name = name;
	}
	for (i = n; i > 1; i--) {
		struct dns_mx_cand t;

		j = dns_random_below(q->r, i);
		t = c[i - 1];
		c[i - 1] = c[j];
		c[j] = t;
	}
	for (i = 1; i < n; i++) {
		struct dns_mx_cand t = c[i];

		for (j = i; j > 0 && c[j - 1].pref > t.pref; j--)
			c[j] = c[j - 1];
		c[j] = t;
	}
	if (n > DNS_HOSTS_MAX)
		n = DNS_HOSTS_MAX;
	q->hosts = mem_alloc_array(n + 1, sizeof(*q->hosts));
	for (i = 0; i < n; i++) {
		q->hosts[i].pref = c[i].pref;
		if (snprintf(q->hosts[i].name, sizeof(q->hosts[i].name), "%s",
			     c[i].name) >= (int)sizeof(q->hosts[i].name))
			log_panic("dns: parser gave a name over %d octets",
				  DNS_NAME_MAX);
	}
	mem_free(&c);
	return n;
}

/* dns_query_mx_done - the MX fetch finished */
static void
dns_query_mx_done(struct dns_query *q, const struct dns_rrset *rs)
{
	bool malformed[DNS_HOSTS_MAX];
	size_t i;

	switch (rs->status) {
	case DNS_TEMPFAIL:
	case DNS_NXDOMAIN:
		dns_query_set_error(q, q->domain, DNS_TYPE_MX,
				    dns_status_text(rs->status));
		dns_query_finish(q, rs->status);
		return;
	case DNS_NODATA:
		/* RFC 5321 5.1: the domain is its own implicit MX. */
		q->res.implicit_mx = true;
		q->host_count = 1;
		q->hosts = mem_alloc(sizeof(*q->hosts));
		memcpy(q->hosts[0].name, q->domain, sizeof(q->domain));
		dns_query_hosts_start(q);
		return;
	default:
		break;
	}
	/* RFC 7505 3: one MX, preference 0, the root as exchange. */
	if (rs->count == 1 && rs->rd[0].pref == 0 &&
	    rs->rd[0].name[0] == '\0') {
		dns_query_set_text(q, "Domain %s does not accept mail (nullMX)",
				   log_safe_str(q->domain));
		dns_query_finish(q, DNS_NULLMX);
		return;
	}
	q->host_count = dns_query_mx_hosts(q, rs);
	if (q->host_count == 0) {
		dns_query_set_error(q, q->domain, DNS_TYPE_MX,
				    "Malformed or unexpected name server "
				    "reply");
		dns_query_finish(q, DNS_NODATA);
		return;
	}
	for (i = 0; i < q->host_count; i++) {
		char checked[DNS_NAME_MAX + 1];

		malformed[i] = dns_name_normalize(q->hosts[i].name, checked) <
			       0;
		if (malformed[i])
			log_warn("dns: malformed host name %s in MX record "
				 "of %s",
				 log_safe_str(q->hosts[i].name), q->domain);
	}
	/* Marked before any fetch starts. */
	q->hs = mem_alloc_array(q->host_count, sizeof(*q->hs));
	for (i = 0; i < q->host_count; i++)
		q->hs[i].malformed = malformed[i];
	dns_query_hosts_start(q);
}

/* dns_fetch_finish - f has its answer: free it, tell its query */
static void
dns_fetch_finish(struct dns_fetch *f, const struct dns_rrset *rs,
		 const char *why)
{
	struct dns_query *q = f->q;
	size_t host = f->host;
	uint16_t type = f->type;

	if (rs->status == DNS_TEMPFAIL)
		log_debug("dns: name=%s type=%s: %s", log_safe_str(f->name),
			  dns_type_name(type), why != NULL ? why : "failed");
	dns_fetch_free(f);
	MR_ASSERT(q->pending > 0);
	q->pending--;
	if (host == DNS_FETCH_MX)
		dns_query_mx_done(q, rs);
	else
		dns_query_host_done(q, host, type, rs);
}

/* dns_fetch_fail - finish f with DNS_TEMPFAIL */
static void
dns_fetch_fail(struct dns_fetch *f, const char *why)
{
	struct dns_rrset rs = { DNS_TEMPFAIL, 0, NULL };

	dns_fetch_finish(f, &rs, why);
}

/* dns_timer_update - arm the timer for c-ares' next timeout */
static void
dns_timer_update(struct dns_resolver *r)
{
	struct timeval tv, *tvp;
	uint64_t ms;

	if (r->destroying)
		return;
	tvp = ares_timeout(r->channel, NULL, &tv);
	if (tvp == NULL) {
		event_timer_stop(r->timer);
		return;
	}
	/* Rounded up: a timer that fires early only re-arms. */
	ms = (uint64_t)tvp->tv_sec * 1000 + ((uint64_t)tvp->tv_usec + 999) /
						   1000;
	event_timer_reset(r->timer, ms);
}

/* dns_request_unlink - take req out of the in-flight list */
static void
dns_request_unlink(struct dns_request *req)
{
	struct dns_resolver *r = req->r;

	if (req->prev != NULL)
		req->prev->next = req->next;
	else
		r->requests = req->next;
	if (req->next != NULL)
		req->next->prev = req->prev;
	req->prev = req->next = NULL;
}

/* dns_clamp_ttl - a cache TTL within [min_s, max_s] */
static uint32_t
dns_clamp_ttl(uint32_t ttl, uint32_t min_s, uint32_t max_s)
{
	return ttl < min_s ? min_s : ttl > max_s ? max_s : ttl;
}

/* dns_outcome_cache - store what the answer says (links, data, negative) */
static void
dns_outcome_cache(struct dns_resolver *r, const struct dns_answer *ans,
		  uint16_t qtype, const struct dns_rrset *rs)
{
	uint64_t now = event_now_ms(r->loop);

	for (size_t i = 0; i < ans->link_count; i++) {
		const struct dns_rr *link = ans->links[i];
		struct dns_rdata rd;
		struct dns_rrset link_rs = { DNS_OK, 1, &rd };

		memset(&rd, 0, sizeof(rd));
		rd.name = (char *)link->u.cname;
		dns_cache_put(r->cache, link->owner, DNS_TYPE_CNAME, &link_rs,
			      dns_clamp_ttl(link->ttl, 0, DNS_CACHE_TTL_MAX_S),
			      now);
	}
	if (ans->kind == DNS_ANSWER_DATA)
		dns_cache_put(r->cache, ans->final, qtype, rs,
			      dns_clamp_ttl(ans->ttl, 0, DNS_CACHE_TTL_MAX_S),
			      now);
	else if (ans->kind == DNS_ANSWER_NXDOMAIN ||
		 ans->kind == DNS_ANSWER_NODATA)
		dns_cache_put(r->cache, ans->final, qtype, rs,
			      dns_clamp_ttl(ans->has_soa ? ans->ttl : 0,
					    DNS_CACHE_NEG_TTL_MIN_S,
					    DNS_CACHE_NEG_TTL_MAX_S),
			      now);
}

/* dns_outcome_data - the records of a DATA answer as an RRset */
static void
dns_outcome_data(const struct dns_answer *ans, struct dns_rrset *rs)
{
	rs->status = DNS_OK;
	rs->count = ans->data_count;
	rs->rd = mem_alloc_array(ans->data_count, sizeof(*rs->rd));
	for (size_t i = 0; i < ans->data_count; i++) {
		const struct dns_rr *rr = ans->data[i];
		struct dns_rdata *rd = &rs->rd[i];

		if (rr->type == DNS_TYPE_A)
			memcpy(rd->addr, rr->u.a, sizeof(rr->u.a));
		else if (rr->type == DNS_TYPE_AAAA)
			memcpy(rd->addr, rr->u.aaaa, sizeof(rr->u.aaaa));
		else if (rr->type == DNS_TYPE_MX) {
			rd->pref = rr->u.mx.pref;
			rd->name = mem_strdup(rr->u.mx.exchange);
		}
	}
}

/* dns_outcome_read - what c-ares' answer to (qname, qtype) means */
static void
dns_outcome_read(struct dns_resolver *r, const char *qname, uint16_t qtype,
		 int status, const uint8_t *abuf, int alen,
		 struct dns_outcome *out)
{
	struct dns_msg msg;
	struct dns_answer ans;
	const char *error;

	memset(out, 0, sizeof(*out));
	out->rs.status = DNS_TEMPFAIL;
	/* ares_query hands over NXDOMAIN and NODATA answers too. */
	if ((status != ARES_SUCCESS && status != ARES_ENODATA &&
	     status != ARES_ENOTFOUND) ||
	    abuf == NULL || alen < 0) {
		out->why = ares_strerror(status);
		return;
	}
	if (dns_msg_parse(abuf, (size_t)alen, &msg, &error) < 0 ||
	    dns_msg_answer(&msg, qname, qtype, &ans, &error) < 0) {
		log_warn("dns: malformed reply for name=%s type=%s: %s",
			 qname, dns_type_name(qtype), error);
		out->why = "malformed reply";
		dns_msg_deinit(&msg);
		return;
	}
	out->links = (unsigned)ans.link_count;
	memcpy(out->final, ans.final, sizeof(out->final));
	switch (ans.kind) {
	case DNS_ANSWER_SERVFAIL:
		out->why = "server failure";
		break;
	case DNS_ANSWER_DATA:
		dns_outcome_data(&ans, &out->rs);
		break;
	case DNS_ANSWER_NXDOMAIN:
		out->rs.status = DNS_NXDOMAIN;
		break;
	case DNS_ANSWER_NODATA:
		out->rs.status = DNS_NODATA;
		break;
	case DNS_ANSWER_FOLLOW:
		out->follow = true;
		break;
	}
	dns_outcome_cache(r, &ans, qtype, &out->rs);
	dns_msg_deinit(&msg);
}

/* dns_fetch_resume - the request f waited for has its outcome */
static void
dns_fetch_resume(struct dns_fetch *f, const struct dns_outcome *out)
{
	f->links += out->links;
	if (out->follow) {
		memcpy(f->name, out->final, sizeof(f->name));
		dns_fetch_step(f);
		return;
	}
	if (f->links > DNS_PARSE_CNAME_MAX) {
		dns_fetch_fail(f, "CNAME chain too long or looping");
		return;
	}
	dns_fetch_finish(f, &out->rs, out->why);
}

/* dns_ares_done - c-ares callback of ares_query */
static void
dns_ares_done(void *arg, int status, int timeouts, unsigned char *abuf,
	      int alen)
{
	struct dns_request *req = arg;
	struct dns_resolver *r = req->r;
	struct dns_outcome out;
	struct dns_fetch *f;

	(void)timeouts;
	dns_request_unlink(req);
	r->inflight--;
	if (status == ARES_EDESTRUCTION || r->destroying) {
		MR_ASSERT(req->waiters == NULL);
		mem_free(&req);
		return;
	}
	dns_outcome_read(r, req->name, req->type, status, abuf, alen, &out);
	/* Every waiter is taken off before it runs: a resumed fetch may
	   start new requests, never one that is this request. */
	while ((f = req->waiters) != NULL) {
		dns_fetch_unwait(f);
		dns_fetch_resume(f, &out);
	}
	dns_rrset_deinit(&out.rs);
	mem_free(&req);
	dns_request_send_queued(r);
}

/* dns_request_send - hand req to c-ares */
static void
dns_request_send(struct dns_request *req)
{
	struct dns_resolver *r = req->r;

	r->inflight++;
	r->stats.queries_sent++;
	log_debug("dns: query name=%s type=%s", req->name,
		  dns_type_name(req->type));
	/* The callback may run inside ares_query (no usable server): req
	   and its waiters may be gone when it returns. */
	ares_query(r->channel, req->name, DNS_CLASS_IN, req->type,
		   dns_ares_done, req);
	dns_timer_update(r);
}

/*
 * dns_request_send_queued - hand over queued requests while there is
 * room. Not re-entered: a request that fails inside ares_query (no
 * socket) ends here again, and the outer loop goes on instead of the
 * stack growing with the queue.
 */
static void
dns_request_send_queued(struct dns_resolver *r)
{
	struct dns_request *req;

	if (r->draining)
		return;
	r->draining = true;
	while (r->inflight < DNS_REQUESTS_INFLIGHT_MAX &&
	       (req = r->queue_head) != NULL) {
		dns_request_dequeue(req);
		dns_request_send(req);
	}
	r->draining = false;
}

/* dns_request_join - wait for (f->name, f->type), asking when nobody is */
static void
dns_request_join(struct dns_fetch *f)
{
	struct dns_resolver *r = f->q->r;
	struct dns_request *req;

	for (req = r->requests; req != NULL; req = req->next)
		if (req->type == f->type && dns_name_eq(req->name, f->name))
			break;
	if (req != NULL) {
		f->req = req;
		f->wnext = req->waiters;
		if (req->waiters != NULL)
			req->waiters->wprev = f;
		req->waiters = f;
		return;
	}
	req = mem_alloc(sizeof(*req));
	req->r = r;
	req->type = f->type;
	memcpy(req->name, f->name, sizeof(req->name));
	req->next = r->requests;
	if (r->requests != NULL)
		r->requests->prev = req;
	r->requests = req;
	f->req = req;
	req->waiters = f;
	if (r->inflight < DNS_REQUESTS_INFLIGHT_MAX) {
		dns_request_send(req);
		return;
	}
	req->queued = true;
	req->fifo_prev = r->queue_tail;
	if (r->queue_tail != NULL)
		r->queue_tail->fifo_next = req;
	else
		r->queue_head = req;
	r->queue_tail = req;
}

/*
 * dns_fetch_step - resolve f from the cache as far as it goes, then ask.
 * f may be finished and freed when this returns.
 */
static void
dns_fetch_step(struct dns_fetch *f)
{
	struct dns_resolver *r = f->q->r;
	uint64_t now = event_now_ms(r->loop);
	const struct dns_rrset *rs;
	char checked[DNS_NAME_MAX + 1];

	for (;;) {
		if (f->links > DNS_PARSE_CNAME_MAX) {
			dns_fetch_fail(f, "CNAME chain too long or looping");
			return;
		}
		rs = dns_cache_get(r->cache, f->name, f->type, now);
		if (rs != NULL) {
			struct dns_rrset copy;

			/* A copy: what the query starts next may evict. */
			r->stats.cache_hits++;
			dns_rrset_copy(&copy, rs);
			dns_fetch_finish(f, &copy, NULL);
			dns_rrset_deinit(&copy);
			return;
		}
		rs = dns_cache_get(r->cache, f->name, DNS_TYPE_CNAME, now);
		if (rs == NULL || rs->status != DNS_OK || rs->count == 0)
			break;
		r->stats.cache_hits++;
		if (snprintf(f->name, sizeof(f->name), "%s", rs->rd[0].name) >=
		    (int)sizeof(f->name))
			log_panic("dns: cached name over %d octets",
				  DNS_NAME_MAX);
		f->links++;
	}
	/* SECURITY: a target from an answer is asked only when it is a
	   plain host name; ares_query would read escapes in it. */
	if (dns_name_normalize(f->name, checked) < 0 ||
	    strcmp(checked, f->name) != 0) {
		log_warn("dns: malformed CNAME target %s",
			 log_safe_str(f->name));
		dns_fetch_fail(f, "malformed CNAME target");
		return;
	}
	dns_request_join(f);
}

/* dns_query_new - a query in r's list */
static struct dns_query *
dns_query_new(struct dns_resolver *r, bool is_mx, unsigned families,
	      dns_result_fn *cb, void *ctx)
{
	struct dns_query *q = mem_alloc(sizeof(*q));

	MR_ASSERT(families != 0 &&
		  (families & ~(DNS_FAMILY_INET4 | DNS_FAMILY_INET6)) == 0);
	MR_ASSERT(!r->destroying);
	q->r = r;
	q->is_mx = is_mx;
	q->families = families;
	q->cb = cb;
	q->ctx = ctx;
	q->next = r->queries;
	if (r->queries != NULL)
		r->queries->prev = q;
	r->queries = q;
	r->stats.pending_queries++;
	return q;
}

/* dns_lookup_mx - MX lookup of a domain */
struct dns_query *
dns_lookup_mx(struct dns_resolver *r, const char *domain, unsigned families,
	      dns_result_fn *cb, void *ctx)
{
	struct dns_query *q = dns_query_new(r, true, families, cb, ctx);
	struct dns_fetch *f;

	if (dns_name_normalize(domain, q->domain) < 0) {
		snprintf(q->domain, sizeof(q->domain), "%s",
			 log_safe_str(domain));
		dns_query_set_error(q, domain, DNS_TYPE_MX,
				    "Malformed domain name");
		dns_query_finish(q, DNS_NXDOMAIN);
		return q;
	}
	f = dns_fetch_new(q, q->domain, DNS_TYPE_MX, DNS_FETCH_MX);
	dns_fetch_step(f);
	return q;
}

/* dns_lookup_numeric - a host that is an address literal; false if not */
static bool
dns_lookup_numeric(struct dns_query *q, const char *host)
{
	struct dns_host *h;
	struct in6_addr a6;
	struct in_addr a4;
	int family;

	if (inet_pton(AF_INET, host, &a4) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, host, &a6) == 1)
		family = AF_INET6;
	else
		return false;
	snprintf(q->domain, sizeof(q->domain), "%s", host);
	q->res.hosts = mem_alloc(sizeof(*q->res.hosts));
	h = &q->res.hosts[0];
	memcpy(h->name, q->domain, sizeof(q->domain));
	if (!(q->families & (family == AF_INET ? DNS_FAMILY_INET4 :
						  DNS_FAMILY_INET6))) {
		dns_query_set_error(q, host,
				    family == AF_INET ? DNS_TYPE_A :
							DNS_TYPE_AAAA,
				    "Address family not enabled");
		dns_query_finish(q, DNS_NODATA);
		return true;
	}
	h->status = DNS_OK;
	h->addr_count = 1;
	h->addrs[0].family = family;
	if (family == AF_INET)
		h->addrs[0].u.v4 = a4;
	else
		h->addrs[0].u.v6 = a6;
	q->res.host_count = 1;
	dns_query_finish(q, DNS_OK);
	return true;
}

/* dns_lookup_host - addresses of one host */
struct dns_query *
dns_lookup_host(struct dns_resolver *r, const char *host, unsigned families,
		dns_result_fn *cb, void *ctx)
{
	struct dns_query *q = dns_query_new(r, false, families, cb, ctx);

	if (dns_lookup_numeric(q, host))
		return q;
	if (dns_name_normalize(host, q->domain) < 0) {
		snprintf(q->domain, sizeof(q->domain), "%s",
			 log_safe_str(host));
		dns_query_set_error(
			q, host,
			families & DNS_FAMILY_INET4 ? DNS_TYPE_A : DNS_TYPE_AAAA,
			"Malformed domain name");
		dns_query_finish(q, DNS_NXDOMAIN);
		return q;
	}
	q->host_count = 1;
	q->hosts = mem_alloc(sizeof(*q->hosts));
	memcpy(q->hosts[0].name, q->domain, sizeof(q->domain));
	dns_query_hosts_start(q);
	return q;
}

/* dns_query_cancel - stop a lookup */
void
dns_query_cancel(struct dns_query **qp)
{
	struct dns_query *q = *qp;

	if (q == NULL)
		return;
	*qp = NULL;
	/* Inside its own callback: dns_query_deliver frees it after. */
	if (q->delivering)
		return;
	while (q->fetches != NULL)
		dns_fetch_free(q->fetches);
	q->pending = 0;
	event_defer_cancel(&q->defer);
	dns_query_unlink(q);
	dns_query_release(q);
}

/* dns_sock_find - index of fd among the watched sockets, or sock_count */
static size_t
dns_sock_find(const struct dns_resolver *r, int fd)
{
	size_t i;

	for (i = 0; i < r->sock_count && r->socks[i].fd != fd; i++)
		;
	return i;
}

/* dns_sock_io - a c-ares socket is ready */
static void
dns_sock_io(void *ctx, int fd, unsigned revents)
{
	struct dns_resolver *r = ctx;
	ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

	if (revents & (EVENT_READ | EVENT_ERROR | EVENT_HUP))
		rfd = fd;
	if (revents & EVENT_WRITE)
		wfd = fd;
	ares_process_fd(r->channel, rfd, wfd);
	dns_timer_update(r);
}

/* dns_sock_state - c-ares: watch fd for reading and/or writing, or stop */
static void
dns_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns_resolver *r = data;
	unsigned events = (readable ? EVENT_READ : 0) |
			  (writable ? EVENT_WRITE : 0);
	size_t i = dns_sock_find(r, fd);

	if (events == 0) {
		if (i == r->sock_count)
			return;
		event_io_remove(&r->socks[i].io);
		r->socks[i] = r->socks[--r->sock_count];
		return;
	}
	if (i < r->sock_count) {
		event_io_set(r->socks[i].io, events);
		return;
	}
	if (r->sock_count == r->sock_cap) {
		r->sock_cap = r->sock_cap == 0 ? 4 : r->sock_cap * 2;
		r->socks = mem_realloc_array(r->socks, r->sock_cap,
					     sizeof(*r->socks));
	}
	r->socks[r->sock_count].fd = fd;
	r->socks[r->sock_count++].io =
		event_io_add(r->loop, fd, events, dns_sock_io, r);
}

/* dns_timer_fire - c-ares' timeout is due */
static void
dns_timer_fire(void *ctx)
{
	struct dns_resolver *r = ctx;

	ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_timer_update(r);
}

/* dns_server_parse - one "addr", "addr:port", "[addr]" or "[addr]:port" */
static int
dns_server_parse(const char *text, struct ares_addr_port_node *node)
{
	char addr[DNS_SERVER_TEXT_MAX + 1];
	const char *port = NULL, *end;
	size_t n = strlen(text);
	uint64_t port_num = 0;

	if (n > DNS_SERVER_TEXT_MAX)
		return -1;
	if (text[0] == '[') {
		if ((end = strchr(text, ']')) == NULL)
			return -1;
		n = (size_t)(end - text - 1);
		memcpy(addr, text + 1, n);
		addr[n] = '\0';
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return -1;
		if (inet_pton(AF_INET6, addr, &node->addr.addr6) != 1)
			return -1;
		node->family = AF_INET6;
	} else if ((end = strchr(text, ':')) != NULL &&
		   strchr(end + 1, ':') == NULL) {
		n = (size_t)(end - text);
		memcpy(addr, text, n);
		addr[n] = '\0';
		port = end + 1;
		if (inet_pton(AF_INET, addr, &node->addr.addr4) != 1)
			return -1;
		node->family = AF_INET;
	} else if (inet_pton(AF_INET, text, &node->addr.addr4) == 1) {
		node->family = AF_INET;
	} else if (inet_pton(AF_INET6, text, &node->addr.addr6) == 1) {
		node->family = AF_INET6;
	} else {
		return -1;
	}
	if (port != NULL && parse_uint(port, 1, 65535, &port_num) < 0)
		return -1;
	node->udp_port = (int)port_num;
	node->tcp_port = (int)port_num;
	return 0;
}

/* dns_servers_set - parse the server list and give it to c-ares */
static int
dns_servers_set(struct dns_resolver *r, const char *servers,
		const char **error_r)
{
	static char error[128];
	struct ares_addr_port_node nodes[DNS_SERVERS_MAX];
	size_t count, i;
	char **fields = str_split(servers, " \t,", &count);
	int rc;

	if (count > DNS_SERVERS_MAX) {
		str_split_free(&fields);
		*error_r = "too many DNS servers";
		return -1;
	}
	memset(nodes, 0, sizeof(nodes));
	for (i = 0; i < count; i++) {
		if (dns_server_parse(fields[i], &nodes[i]) < 0) {
			snprintf(error, sizeof(error),
				 "bad DNS server address \"%s\"",
				 log_safe_str(fields[i]));
			str_split_free(&fields);
			*error_r = error;
			return -1;
		}
		nodes[i].next = i + 1 < count ? &nodes[i + 1] : NULL;
	}
	str_split_free(&fields);
	if (count == 0)
		return 0;	/* only separators: resolv.conf */
	rc = ares_set_servers_ports(r->channel, nodes);
	if (rc != ARES_SUCCESS) {
		*error_r = ares_strerror(rc);
		return -1;
	}
	return 0;
}

/* dns_resolver_new - a resolver on loop */
struct dns_resolver *
dns_resolver_new(struct event_loop *loop, const char *servers,
		 unsigned timeout_ms, unsigned tries, const char **error_r)
{
	struct dns_resolver *r;
	struct ares_options opts;
	int optmask = ARES_OPT_FLAGS | ARES_OPT_SOCK_STATE_CB |
		      ARES_OPT_EDNSPSZ;
	int rc;

	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		*error_r = ares_strerror(rc);
		return NULL;
	}
	r = mem_alloc(sizeof(*r));
	r->loop = loop;
	memset(&opts, 0, sizeof(opts));
	opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_EDNS;
	opts.sock_state_cb = dns_sock_state;
	opts.sock_state_cb_data = r;
	opts.ednspsz = DNS_EDNS_UDP_SIZE;
	if (timeout_ms > 0) {
		optmask |= ARES_OPT_TIMEOUTMS;
		opts.timeout = timeout_ms > INT_MAX ? INT_MAX : (int)timeout_ms;
	}
	if (tries > 0) {
		optmask |= ARES_OPT_TRIES;
		opts.tries = tries > INT_MAX ? INT_MAX : (int)tries;
	}
	rc = ares_init_options(&r->channel, &opts, optmask);
	if (rc != ARES_SUCCESS) {
		*error_r = ares_strerror(rc);
		mem_free(&r);
		ares_library_cleanup();
		return NULL;
	}
	if (servers != NULL && dns_servers_set(r, servers, error_r) < 0) {
		ares_destroy(r->channel);
		mem_free(&r->socks);
		mem_free(&r);
		ares_library_cleanup();
		return NULL;
	}
	if (getrandom(&r->rng, sizeof(r->rng), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(r->rng))
		r->rng = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	r->rng |= 1;	/* xorshift must not start at 0 */
	r->timer = event_timer_add(loop, 0, dns_timer_fire, r);
	event_timer_stop(r->timer);
	r->cache = dns_cache_new(DNS_CACHE_ENTRIES_DEFAULT);
	return r;
}

/* dns_resolver_free - cancel everything, release the resolver */
void
dns_resolver_free(struct dns_resolver **rp)
{
	struct dns_resolver *r = *rp;

	if (r == NULL)
		return;
	while (r->queries != NULL) {
		struct dns_query *q = r->queries;

		dns_query_cancel(&q);
	}
	r->destroying = true;
	/* Ends the requests still in flight (ARES_EDESTRUCTION) and closes
	   the sockets, telling dns_sock_state. */
	ares_destroy(r->channel);
	while (r->sock_count > 0)
		event_io_remove(&r->socks[--r->sock_count].io);
	mem_free(&r->socks);
	MR_ASSERT(r->requests == NULL && r->queue_head == NULL &&
		  r->inflight == 0);
	event_timer_remove(&r->timer);
	dns_cache_free(&r->cache);
	ares_library_cleanup();
	mem_free(rp);
}

/* dns_resolver_set_cache_limit - bound the cache */
void
dns_resolver_set_cache_limit(struct dns_resolver *r, size_t entries)
{
	dns_cache_set_limit(r->cache, entries);
}

/* dns_resolver_stats - the counters */
void
dns_resolver_stats(const struct dns_resolver *r, struct dns_stats *stats_r)
{
	*stats_r = r->stats;
	stats_r->cache_entries = dns_cache_count(r->cache);
}
