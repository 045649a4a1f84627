/*
 * test_dns.c - tests of lib/dns.c against a real DNS server: dnsmasq
 * (/usr/sbin/dnsmasq, package dnsmasq-base) started by the test on
 * 127.0.0.1 with a free port and stopped by its PID.
 *
 * Covered: MX order by preference; random order among equal preferences
 * (both orders seen within a bounded number of lookups); duplicate and
 * "." MX hosts; implicit MX; null MX; NXDOMAIN; NODATA; MX hosts that do
 * not exist; a CNAME'd MX target and a CNAME'd domain; CNAME chains, also
 * one too long; AAAA and both families; REFUSED; the cache (dnsmasq killed
 * by PID, the second lookup still answers, without a packet), negative
 * caching with an SOA (dnsmasq as an authoritative server); shared
 * questions; a burst of 600 lookups (bounded questions in flight, queued
 * ones dropped on cancel); an answer too large for UDP (TCP) and the host
 * cap;
 * timeouts against a socket that never answers and a port with nothing
 * listening; answers no server should give (malformed, a CNAME to a name
 * that is no host name, a CNAME to itself, truncated also over TCP) from
 * a small responder in the test; cancel, free with lookups pending, free
 * and cancel from inside a callback; server list syntax; numeric and
 * malformed names, malformed MX hosts. Every wait is bounded (a guard
 * timer fails the test instead of hanging); nothing is timed.
 *
 * Without dnsmasq the tests that need it are skipped with a message,
 * except when CI is set in the environment: scripts/install-deps.sh
 * installs it, so there its absence is a failure.
 */
#include "tests/unit/testlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/dns.h"
#include "lib/event.h"
#include "lib/mem.h"
#include "lib/str.h"

#define DNSMASQ "/usr/sbin/dnsmasq"
/* Upper bound for one lookup: a hang guard, not a timing assertion. */
#define GUARD_MS 30000
/* Bounded waits for dnsmasq to start and to stop. */
#define WAIT_STEP_MS 10
#define WAIT_MAX_STEPS 1000
/* Resolver settings against dnsmasq, and against a silent socket. */
#define TIMEOUT_MS 2000
#define TRIES 2
#define SILENT_TIMEOUT_MS 200
/* Lookups allowed until both equal-preference orders were seen:
   a miss has probability 2^-63. */
#define SHUFFLE_TRIES 64

/* The records of the main server (the flags the task names). */
static const char *const main_records[] = {
	"--mx-host=a.test,mx1.a.test,10",
	"--mx-host=a.test,mx2.a.test,20",
	"--host-record=mx1.a.test,127.0.0.11",
	"--host-record=mx2.a.test,127.0.0.12,2001:db8::12",
	"--mx-host=eq.test,mxa.eq.test,10",
	"--mx-host=eq.test,mxb.eq.test,10",
	"--mx-host=eq.test,mxc.eq.test,20",
	"--host-record=mxa.eq.test,127.0.0.21",
	"--host-record=mxb.eq.test,127.0.0.22",
	"--host-record=mxc.eq.test,127.0.0.23",
	"--host-record=implicit.test,127.0.0.13",
	"--txt-record=txt.test,no mail here",
	"--dns-rr=null.test,15,000000",
	"--dns-rr=dot.test,15,000000",
	"--mx-host=dot.test,mx1.a.test,10",
	"--mx-host=dup.test,mx1.a.test,20",
	"--mx-host=dup.test,MX1.a.test,10",
	"--mx-host=c.test,alias.a.test,5",
	"--cname=alias.a.test,mx1.a.test",
	"--cname=cmx.test,a.test",
	"--cname=l1.test,l2.test",
	"--cname=l2.test,alias.a.test",
	"--mx-host=nohost.test,missing.test,10",
	"--mx-host=mixed.test,missing.test,5",
	"--mx-host=mixed.test,mx1.a.test,10",
	"--host-record=v6.test,2001:db8::6",
	/* MX 10 "a b.": a name that is no host name. */
	"--dns-rr=weird.test,15,000a0361206200",
	"--mx-host=weird2.test,mx1.a.test,20",
	"--dns-rr=weird2.test,15,000a0361206200",
	"--cname=k0.test,k1.test", "--cname=k1.test,k2.test",
	"--cname=k2.test,k3.test", "--cname=k3.test,k4.test",
	"--cname=k4.test,k5.test", "--cname=k5.test,k6.test",
	"--cname=k6.test,k7.test", "--cname=k7.test,k8.test",
	"--cname=k8.test,k9.test", "--host-record=k9.test,127.0.0.9",
	NULL,
};

/* An authoritative zone: negative answers carry an SOA (TTL 600). */
static const char *const auth_records[] = {
	"--auth-zone=auth.test",
	"--auth-server=ns.auth.test,127.0.0.1",
	"--auth-soa=1,hostmaster.auth.test,1200,120,604800",
	"--auth-ttl=600",
	"--host-record=h.auth.test,127.0.0.30",
	NULL,
};

/* A running dnsmasq. */
struct server {
	pid_t pid;
	unsigned port;
	char spec[32];		/* "127.0.0.1:PORT" for dns_resolver_new */
};

/* A lookup's outcome, copied out of the callback. */
struct got {
	bool called;
	bool returned;		/* the starting call had returned */
	bool called_early;	/* called before it returned */
	enum dns_status status;
	char text[DNS_TEXT_MAX];
	bool implicit_mx;
	size_t host_count;
	struct dns_host hosts[DNS_HOSTS_MAX];
	struct event_loop *loop;
};

/* Servers running, so that a failed test still stops them by PID. */
#define SERVERS_MAX 4
static pid_t running[SERVERS_MAX];

/* running_set - remember or forget a server's PID */
static void
running_set(pid_t old, pid_t pid)
{
	for (size_t i = 0; i < SERVERS_MAX; i++)
		if (running[i] == old) {
			running[i] = pid;
			return;
		}
	fail_msg("more than %d servers", SERVERS_MAX);
}

/* teardown - stop what a failed test left running, then check the log */
static int
teardown(void **state)
{
	for (size_t i = 0; i < SERVERS_MAX; i++)
		if (running[i] > 0) {
			kill(running[i], SIGKILL);
			waitpid(running[i], NULL, 0);
			running[i] = 0;
		}
	return testlib_teardown(state);
}

/* have_dnsmasq - whether the tests can run; fails under CI without it */
static bool
have_dnsmasq(void)
{
	if (access(DNSMASQ, X_OK) == 0)
		return true;
	if (getenv("CI") != NULL)
		fail_msg("%s missing (scripts/install-deps.sh installs "
			 "dnsmasq-base)", DNSMASQ);
	fprintf(stderr, "test_dns: %s missing, skipping (install "
			"dnsmasq-base)\n", DNSMASQ);
	return false;
}

/* sleep_ms - pause */
static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* bind_port - bind a socket of type to 127.0.0.1:port; fd or -1 */
static int
bind_port(int type, unsigned port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* fd_port - the local port of a bound socket */
static unsigned
fd_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/* free_port - a port free for both UDP and TCP on 127.0.0.1 */
static unsigned
free_port(void)
{
	for (int i = 0; i < 100; i++) {
		int udp = bind_port(SOCK_DGRAM, 0);
		unsigned port = fd_port(udp);
		int tcp = bind_port(SOCK_STREAM, port);

		close(udp);
		if (tcp >= 0) {
			close(tcp);
			return port;
		}
	}
	fail_msg("no free port");
	return 0;
}

/*
 * server_start - run dnsmasq with records; wait until it holds its port.
 * With --no-daemon dnsmasq answers TCP in its only process and serves
 * nothing else while a TCP connection is open; fork_tcp runs it with
 * --keep-in-foreground instead, which forks per TCP connection like a
 * real server.
 */
static void
server_start(struct server *s, const char *const *records, bool fork_tcp)
{
	const char *argv[128];
	char port_arg[32];
	size_t argc = 0;
	int i;

	s->port = free_port();
	snprintf(port_arg, sizeof(port_arg), "--port=%u", s->port);
	snprintf(s->spec, sizeof(s->spec), "127.0.0.1:%u", s->port);
	argv[argc++] = DNSMASQ;
	argv[argc++] = "--no-resolv";
	argv[argc++] = "--no-hosts";
	if (fork_tcp) {
		argv[argc++] = "--keep-in-foreground";
		argv[argc++] = "--log-facility=-";
	} else {
		argv[argc++] = "--no-daemon";
	}
	argv[argc++] = port_arg;
	argv[argc++] = "--listen-address=127.0.0.1";
	argv[argc++] = "--bind-interfaces";
	argv[argc++] = "--pid-file=";
	argv[argc++] = "--local=/test/";
	argv[argc++] = "--local-ttl=300";
	if (getenv("TESTLIB_VERBOSE") != NULL)
		argv[argc++] = "--log-queries";
	for (; *records != NULL; records++) {
		assert_true(argc < sizeof(argv) / sizeof(argv[0]) - 1);
		argv[argc++] = *records;
	}
	argv[argc] = NULL;
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		int null = open("/dev/null", O_RDWR);

		event_signals_unblock_all();
		if (getenv("TESTLIB_VERBOSE") == NULL && null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execv(DNSMASQ, (char *const *)argv);
		_exit(127);
	}
	running_set(0, s->pid);
	/* Ready when the UDP port is taken; bounded. */
	for (i = 0; i < WAIT_MAX_STEPS; i++) {
		int fd = bind_port(SOCK_DGRAM, s->port);
		int status;

		if (fd < 0)
			return;
		close(fd);
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			running_set(s->pid, 0);
			s->pid = 0;
			fail_msg("dnsmasq exited (status %d)", status);
		}
		sleep_ms(WAIT_STEP_MS);
	}
	fail_msg("dnsmasq did not bind port %u", s->port);
}

/* server_stop - stop dnsmasq by its PID and reap it */
static void
server_stop(struct server *s, int signo)
{
	int status;

	if (s->pid <= 0)
		return;
	assert_int_equal(kill(s->pid, signo), 0);
	assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
	running_set(s->pid, 0);
	s->pid = 0;
}

/* got_cb - copy the result, stop the loop */
static void
got_cb(void *ctx, const struct dns_result *res)
{
	struct got *g = ctx;

	if (g->called)
		fail_msg("callback called twice");
	g->called = true;
	g->called_early = !g->returned;
	g->status = res->status;
	snprintf(g->text, sizeof(g->text), "%s", res->text);
	g->implicit_mx = res->implicit_mx;
	g->host_count = res->host_count;
	assert_true(res->host_count <= DNS_HOSTS_MAX);
	if (res->host_count > 0)
		memcpy(g->hosts, res->hosts,
		       res->host_count * sizeof(res->hosts[0]));
	event_loop_stop(g->loop);
}

/* guard_fire - a lookup hung */
static void
guard_fire(void *ctx)
{
	(void)ctx;
	fail_msg("lookup did not finish within %d ms", GUARD_MS);
}

/* run_until - run the loop until g is called back (bounded) */
static void
run_until(struct event_loop *loop, struct got *g)
{
	struct event_timer *guard = event_timer_add(loop, GUARD_MS,
						    guard_fire, NULL);

	while (!g->called)
		assert_int_equal(event_loop_run(loop), 0);
	event_timer_remove(&guard);
}

/* lookup - one MX (is_mx) or host lookup, run to its end */
static void
lookup(struct dns_resolver *r, struct event_loop *loop, bool is_mx,
       const char *name, unsigned families, struct got *g)
{
	memset(g, 0, sizeof(*g));
	g->loop = loop;
	if (is_mx)
		(void)dns_lookup_mx(r, name, families, got_cb, g);
	else
		(void)dns_lookup_host(r, name, families, got_cb, g);
	g->returned = true;
	run_until(loop, g);
	if (g->called_early)
		fail_msg("%s: called back inside the lookup call", name);
}

/* addr_text - an address as text */
static const char *
addr_text(const struct dns_addr *a)
{
	static char text[INET6_ADDRSTRLEN];

	inet_ntop(a->family, &a->u, text, sizeof(text));
	return text;
}

/* host_has_addr - whether host h has the address text */
static bool
host_has_addr(const struct dns_host *h, const char *text)
{
	for (size_t i = 0; i < h->addr_count; i++)
		if (strcmp(addr_text(&h->addrs[i]), text) == 0)
			return true;
	return false;
}

/* new_resolver - a resolver for server spec */
static struct dns_resolver *
new_resolver(struct event_loop *loop, const char *spec, unsigned timeout_ms)
{
	const char *error = NULL;
	struct dns_resolver *r = dns_resolver_new(loop, spec, timeout_ms,
						  TRIES, &error);

	if (r == NULL)
		fail_msg("dns_resolver_new: %s", error);
	return r;
}

/* The table of lookups against the main server. */
struct lookup_row {
	const char *name;
	bool is_mx;
	unsigned families;
	enum dns_status status;
	const char *text;	/* exact, or NULL for "" */
	bool implicit_mx;
	/* Expected hosts in order: "name pref addr addr ...". */
	const char *hosts[4];
	const char *warning;	/* a warning the row causes */
};

#define V4 DNS_FAMILY_INET4
#define V6 DNS_FAMILY_INET6
#define NOTFOUND "Host or domain name not found. Name service error for "

static const struct lookup_row lookup_rows[] = {
	{ "a.test", true, V4, DNS_OK, NULL, false,
	  { "mx1.a.test 10 127.0.0.11", "mx2.a.test 20 127.0.0.12" }, NULL },
	{ "A.Test.", true, V4 | V6, DNS_OK, NULL, false,
	  { "mx1.a.test 10 127.0.0.11",
	    "mx2.a.test 20 127.0.0.12 2001:db8::12" }, NULL },
	{ "a.test", true, V6, DNS_OK, NULL, false,
	  { "mx2.a.test 20 2001:db8::12" }, NULL },
	{ "implicit.test", true, V4, DNS_OK, NULL, true,
	  { "implicit.test 0 127.0.0.13" }, NULL },
	{ "implicit.test", true, V6, DNS_NODATA,
	  NOTFOUND "name=implicit.test type=AAAA: Host found but no data "
		   "record of requested type",
	  true, { NULL }, NULL },
	{ "txt.test", true, V4 | V6, DNS_NODATA,
	  NOTFOUND "name=txt.test type=AAAA: Host found but no data record "
		   "of requested type",
	  true, { NULL }, NULL },
	{ "null.test", true, V4, DNS_NULLMX,
	  "Domain null.test does not accept mail (nullMX)", false, { NULL },
	  NULL },
	{ "dot.test", true, V4, DNS_OK, NULL, false,
	  { "mx1.a.test 10 127.0.0.11" }, NULL },
	{ "dup.test", true, V4, DNS_OK, NULL, false,
	  { "mx1.a.test 10 127.0.0.11" }, NULL },
	{ "nx.test", true, V4, DNS_NXDOMAIN,
	  NOTFOUND "name=nx.test type=MX: Host not found", false, { NULL },
	  NULL },
	{ "nx.test", false, V4 | V6, DNS_NXDOMAIN,
	  NOTFOUND "name=nx.test type=AAAA: Host not found", false, { NULL },
	  NULL },
	{ "nohost.test", true, V4, DNS_NODATA,
	  NOTFOUND "name=missing.test type=A: Host not found", false,
	  { NULL }, NULL },
	{ "mixed.test", true, V4, DNS_OK, NULL, false,
	  { "mx1.a.test 10 127.0.0.11" }, NULL },
	{ "c.test", true, V4, DNS_OK, NULL, false,
	  { "alias.a.test 5 127.0.0.11" }, NULL },
	{ "c.test", true, V6, DNS_NODATA,
	  NOTFOUND "name=alias.a.test type=AAAA: Host found but no data "
		   "record of requested type",
	  false, { NULL }, NULL },
	{ "cmx.test", true, V4, DNS_OK, NULL, false,
	  { "mx1.a.test 10 127.0.0.11", "mx2.a.test 20 127.0.0.12" }, NULL },
	{ "l1.test", false, V4, DNS_OK, NULL, false,
	  { "l1.test 0 127.0.0.11" }, NULL },
	{ "k2.test", false, V4, DNS_OK, NULL, false,
	  { "k2.test 0 127.0.0.9" }, NULL },
	{ "k0.test", false, V4, DNS_TEMPFAIL,
	  NOTFOUND "name=k0.test type=A: Host not found, try again", false,
	  { NULL }, "CNAME chain too long" },
	{ "weird.test", true, V4, DNS_NODATA,
	  NOTFOUND "name=a\\134032b type=A: Malformed domain name", false,
	  { NULL }, "malformed host name a\\134032b in MX record of weird.test" },
	{ "weird2.test", true, V4, DNS_OK, NULL, false,
	  { "mx1.a.test 20 127.0.0.11" }, "malformed host name" },
	{ "v6.test", false, V4 | V6, DNS_OK, NULL, false,
	  { "v6.test 0 2001:db8::6" }, NULL },
	{ "mx1.a.test", false, V6, DNS_NODATA,
	  NOTFOUND "name=mx1.a.test type=AAAA: Host found but no data record "
		   "of requested type",
	  false, { NULL }, NULL },
	{ "nx.other", true, V4, DNS_TEMPFAIL,
	  NOTFOUND "name=nx.other type=MX: Host not found, try again", false,
	  { NULL }, NULL },
	{ "127.0.0.7", false, V4, DNS_OK, NULL, false,
	  { "127.0.0.7 0 127.0.0.7" }, NULL },
	{ "::1", false, V4, DNS_NODATA,
	  NOTFOUND "name=::1 type=AAAA: Address family not enabled", false,
	  { NULL }, NULL },
	{ "bad domain!", true, V4, DNS_NXDOMAIN,
	  NOTFOUND "name=bad domain! type=MX: Malformed domain name", false,
	  { NULL }, NULL },
	{ "a..test", false, V4, DNS_NXDOMAIN,
	  NOTFOUND "name=a..test type=A: Malformed domain name", false,
	  { NULL }, NULL },
};

/* check_host - compare a host with "name pref addr..." */
static void
check_host(const char *row, const struct dns_host *h, const char *spec)
{
	size_t n;
	char **words = str_split(spec, " ", &n);

	assert_true(n >= 3);
	if (strcmp(h->name, words[0]) != 0)
		fail_msg("%s: host %s, expected %s", row, h->name, words[0]);
	if (h->pref != (unsigned)strtoul(words[1], NULL, 10))
		fail_msg("%s: %s pref %u", row, h->name, h->pref);
	assert_int_equal(h->status, DNS_OK);
	if (h->addr_count != n - 2)
		fail_msg("%s: %s has %zu addresses", row, h->name,
			 h->addr_count);
	for (size_t i = 2; i < n; i++)
		if (!host_has_addr(h, words[i]))
			fail_msg("%s: %s lacks %s", row, h->name, words[i]);
	str_split_free(&words);
	/* IPv4 first. */
	for (size_t i = 1; i < h->addr_count; i++)
		if (h->addrs[i - 1].family == AF_INET6 &&
		    h->addrs[i].family == AF_INET)
			fail_msg("%s: IPv6 before IPv4", row);
}

static void
test_lookups(void **state)
{
	struct event_loop *loop;
	struct dns_resolver *r;
	struct server s;

	(void)state;
	if (!have_dnsmasq())
		skip();
	server_start(&s, main_records, false);
	loop = event_loop_new();
	r = new_resolver(loop, s.spec, TIMEOUT_MS);
	for (size_t i = 0; i < sizeof(lookup_rows) / sizeof(lookup_rows[0]);
	     i++) {
		const struct lookup_row *row = &lookup_rows[i];
		struct got g;
		size_t want = 0;
		char label[64];

		snprintf(label, sizeof(label), "row %zu (%s)", i, row->name);
		if (row->warning != NULL)
			testlib_log_expect(row->warning);
		lookup(r, loop, row->is_mx, row->name, row->families, &g);
		if (g.status != row->status)
			fail_msg("%s: status %s (%s)", label,
				 dns_status_name(g.status), g.text);
		if (strcmp(g.text, row->text != NULL ? row->text : "") != 0)
			fail_msg("%s: text \"%s\"", label, g.text);
		if (g.implicit_mx != row->implicit_mx)
			fail_msg("%s: implicit_mx %d", label, g.implicit_mx);
		while (want < 4 && row->hosts[want] != NULL)
			want++;
		if (g.host_count != want)
			fail_msg("%s: %zu hosts", label, g.host_count);
		for (size_t k = 0; k < want; k++)
			check_host(label, &g.hosts[k], row->hosts[k]);
	}
	dns_resolver_free(&r);
	assert_null(r);
	event_loop_free(&loop);
	server_stop(&s, SIGTERM);
}

/* Equal preferences come in random order; the higher one stays last. */
static void
test_shuffle(void **state)
{
	struct event_loop *loop;
	struct dns_resolver *r;
	struct server s;
	bool seen_ab = false, seen_ba = false;
	int tries;

	(void)state;
	if (!have_dnsmasq())
		skip();
	server_start(&s, main_records, false);
	loop = event_loop_new();
	r = new_resolver(loop, s.spec, TIMEOUT_MS);
	for (tries = 0; tries < SHUFFLE_TRIES && !(seen_ab && seen_ba);
	     tries++) {
		struct got g;

		lookup(r, loop, true, "eq.test", V4, &g);
		assert_int_equal(g.status, DNS_OK);
		assert_int_equal(g.host_count, 3);
		assert_int_equal(g.hosts[0].pref, 10);
		assert_int_equal(g.hosts[1].pref, 10);
		assert_string_equal(g.hosts[2].name, "mxc.eq.test");
		if (strcmp(g.hosts[0].name, "mxa.eq.test") == 0)
			seen_ab = true;
		else
			seen_ba = true;
	}
	if (!(seen_ab && seen_ba))
		fail_msg("one order only in %d lookups", tries);
	dns_resolver_free(&r);
	event_loop_free(&loop);
	server_stop(&s, SIGTERM);
}

/*
 * The cache: after a lookup, dnsmasq is killed; the same lookups within
 * the TTL still answer, and no packet is sent for them.
 */
static void
test_cache(void **state)
{
	struct event_loop *loop;
	struct dns_resolver *r;
	struct dns_stats before, after;
	struct server s;
	struct got g;

	(void)state;
	if (!have_dnsmasq())
		skip();
	server_start(&s, main_records, false);
	loop = event_loop_new();
	r = new_resolver(loop, s.spec, SILENT_TIMEOUT_MS);
	lookup(r, loop, true, "a.test", V4 | V6, &g);
	assert_int_equal(g.status, DNS_OK);
	lookup(r, loop, false, "l1.test", V4, &g);
	assert_int_equal(g.status, DNS_OK);
	dns_resolver_stats(r, &before);
	assert_true(before.queries_sent > 0);
	assert_true(before.cache_entries > 0);

	server_stop(&s, SIGKILL);
	lookup(r, loop, true, "a.test", V4 | V6, &g);
	assert_int_equal(g.status, DNS_OK);
	assert_int_equal(g.host_count, 2);
	check_host("cached", &g.hosts[0], "mx1.a.test 10 127.0.0.11");
	check_host("cached", &g.hosts[1],
		   "mx2.a.test 20 127.0.0.12 2001:db8::12");
	/* The chain l1 -> l2 -> alias.a.test -> mx1.a.test, link by link. */
	lookup(r, loop, false, "l1.test", V4, &g);
	assert_int_equal(g.status, DNS_OK);
	check_host("cached", &g.hosts[0], "l1.test 0 127.0.0.11");
	lookup(r, loop, false, "l2.test", V4, &g);
	assert_int_equal(g.status, DNS_OK);
	dns_resolver_stats(r, &after);
	assert_int_equal(after.queries_sent, before.queries_sent);
	assert_true(after.cache_hits > before.cache_hits);

	/* Something not cached needs the server, which is gone. */
	lookup(r, loop, true, "eq.test", V4, &g);
	assert_int_equal(g.status, DNS_TEMPFAIL);
	dns_resolver_stats(r, &after);
	assert_true(after.queries_sent > before.queries_sent);

	/* Without a cache the known answer is gone too. */
	dns_resolver_set_cache_limit(r, 0);
	lookup(r, loop, true, "a.test", V4, &g);
	assert_int_equal(g.status, DNS_TEMPFAIL);
	dns_resolver_free(&r);
	event_loop_free(&loop);
}

/* Negative answers with an SOA are cached for its negative TTL. */
static void
test_negative_cache(void **state)
{
	struct event_loop *loop;
	struct dns_resolver *r;
	struct dns_stats before, after;
	struct server s;
	struct got g;

	(void)state;
	if (!have_dnsmasq())
		skip();
	server_start(&s, auth_records, false);
	loop = event_loop_new();
	r = new_resolver(loop, s.spec, SILENT_TIMEOUT_MS);
	lookup(r, loop, true, "nx.auth.test", V4, &g);
	assert_int_equal(g.status, DNS_NXDOMAIN);
	/* A exists, AAAA is NODATA with an SOA. */
	lookup(r, loop, false, "h.auth.test", V4 | V6, &g);
	assert_int_equal(g.status, DNS_OK);
	check_host("auth", &g.hosts[0], "h.auth.test 0 127.0.0.30");
	dns_resolver_stats(r, &before);

	server_stop(&s, SIGKILL);
	lookup(r, loop, true, "nx.auth.test", V4, &g);
	assert_int_equal(g.status, DNS_NXDOMAIN);
	lookup(r, loop, false, "h.auth.test", V6, &g);
	assert_int_equal(g.status, DNS_NODATA);
	dns_resolver_stats(r, &after);
	assert_int_equal(after.queries_sent, before.queries_sent);
	dns_resolver_free(&r);
	event_loop_free(&loop);
}

/* Concurrent lookups of the same domain share the questions. */
static void
test_shared_questions(void **state)
{
	struct event_loop *loop;
	struct dns_resolver *r;
	struct dns_stats stats;
	struct server s;
	struct got g[10];
	size_t i;

	(void)state;
	if (!have_dnsmasq())
		skip();
	server_start(&s, main_records, false);
	loop = event_loop_new();
	r = new_resolver(loop, s.spec, TIMEOUT_MS);
	for (i = 0; i < 10; i++) {
		memset(&g[i], 0, sizeof(g[i]));
		g[i].loop = loop;
		g[i].returned = true;
		(void)dns_lookup_mx(r, "a.test", V4, got_cb, &g[i]);
	}
	for (i = 0; i < 10; i++) {
		run_until(loop, &g[i]);
		assert_int_equal(g[i].status, DNS_OK);
		assert_int_equal(g[i].host_count, 2);
	}
	/* MX a.test, A mx1.a.test, A mx2.a.test. */
	dns_resolver_stats(r, &stats);
	assert_int_equal(stats.queries_sent, 3);
	assert_int_equal(stats.pending_queries, 0);
	dns_resolver_free(&r);
	event_loop_free(&loop);
	server_stop(&s, SIGTERM);
}

/*
 * An MX set larger than the UDP size (40 hosts with long names): dnsmasq
 * truncates, c-ares asks again over TCP; the hosts are capped at
 * DNS_HOSTS_MAX, lowest preferences kept.
 */
#define BIG_HOSTS 40
#define BIG_LABEL "a-rather-long-label-to-make-the-answer-large"

static void
test_large_answer(void **state)
{
	static char args[2 * BIG_HOSTS][128];
	const char *records[2 * BIG_HOSTS + 1];
	struct event_loop *loop;
	struct dns_resolver *r;
	struct server s;
	struct got g;
	size_t i;

	(void)state;
	if (!have_dnsmasq())
		skip();
	for (i = 0; i < BIG_HOSTS; i++) {
		snprintf(args[2 * i], sizeof(args[0]),
			 "--mx-host=big.test,mx%zu." BIG_LABEL ".test,%zu", i,
			 BIG_HOSTS - i);
		snprintf(args[2 * i + 1], sizeof(args[0]),
			 "--host-record=mx%zu." BIG_LABEL ".test,127.0.2.%zu",
			 i, i + 1);
		records[2 * i] = args[2 * i];
		records[2 * i + 1] = args[2 * i + 1];
	}
	records[2 * BIG_HOSTS] = NULL;
	server_start(&s, records, true);
	loop = event_loop_new();
	r = new_resolver(loop, s.spec, TIMEOUT_MS);
	lookup(r, loop, true, "big.test", V4, &g);
	assert_int_equal(g.status, DNS_OK);
	assert_int_equal(g.host_count, DNS_HOSTS_MAX);
	for (i = 0; i < g.host_count; i++) {
		char name[128];

		/* Preference p belongs to host BIG_HOSTS - p. */
		assert_int_equal(g.hosts[i].pref, i + 1);
		snprintf(name, sizeof(name), "mx%zu." BIG_LABEL ".test",
			 BIG_HOSTS - i - 1);
		assert_string_equal(g.hosts[i].name, name);
		assert_int_equal(g.hosts[i].addr_count, 1);
	}
	dns_resolver_free(&r);
	event_loop_free(&loop);
	server_stop(&s, SIGTERM);
}

/*
 * A burst of lookups of distinct names: the resolver hands c-ares a
 * bounded number at a time and queues the rest, so no answer is lost to
 * a full socket buffer; cancelling queued lookups drops their questions.
 */
#define BURST_HOSTS 600

static void
test_burst(void **state)
{
	static struct got g[BURST_HOSTS];
	static struct dns_query *q[BURST_HOSTS];
	char dir[64], path[128], arg[160];
	const char *records[2];
	struct event_loop *loop;
	struct dns_resolver *r;
	struct dns_stats stats;
	struct server s;
	FILE *f;
	size_t i;

	(void)state;
	if (!have_dnsmasq())
		skip();
	testlib_tmpdir(dir, sizeof(dir), "test_dns");
	snprintf(path, sizeof(path), "%s/hosts", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (i = 0; i < BURST_HOSTS; i++)
		fprintf(f, "127.1.%zu.%zu h%zu.test\n", i / 256, i % 256, i);
	assert_int_equal(fclose(f), 0);
	snprintf(arg, sizeof(arg), "--addn-hosts=%s", path);
	records[0] = arg;
	records[1] = NULL;
	server_start(&s, records, false);
	loop = event_loop_new();
	r = new_resolver(loop, s.spec, TIMEOUT_MS);
	for (i = 0; i < BURST_HOSTS; i++) {
		char name[32];

		snprintf(name, sizeof(name), "h%zu.test", i);
		memset(&g[i], 0, sizeof(g[i]));
		g[i].loop = loop;
		g[i].returned = true;
		q[i] = dns_lookup_host(r, name, V4, got_cb, &g[i]);
	}
	/* Every third lookup is cancelled, most of them still queued. */
	for (i = 0; i < BURST_HOSTS; i += 3)
		dns_query_cancel(&q[i]);
	for (i = 0; i < BURST_HOSTS; i++) {
		char addr[32];

		if (i % 3 == 0)
			continue;
		run_until(loop, &g[i]);
		if (g[i].status != DNS_OK)
			fail_msg("h%zu.test: %s", i, g[i].text);
		snprintf(addr, sizeof(addr), "127.1.%zu.%zu", i / 256, i % 256);
		assert_true(host_has_addr(&g[i].hosts[0], addr));
	}
	dns_resolver_stats(r, &stats);
	assert_int_equal(stats.pending_queries, 0);
	/* Sent: those not cancelled, and cancelled ones already out. */
	assert_true(stats.queries_sent >= BURST_HOSTS - BURST_HOSTS / 3);
	assert_true(stats.queries_sent < BURST_HOSTS);
	dns_resolver_free(&r);
	event_loop_free(&loop);
	server_stop(&s, SIGTERM);
	testlib_rmtree(dir);
}

/* A server that never answers, and a port with nothing listening. */
static void
test_timeouts(void **state)
{
	struct event_loop *loop = event_loop_new();
	struct dns_resolver *r;
	struct dns_stats stats;
	char spec[32];
	struct got g;
	int silent = bind_port(SOCK_DGRAM, 0);
	unsigned closed_port;

	(void)state;
	assert_true(silent >= 0);
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", fd_port(silent));
	r = new_resolver(loop, spec, SILENT_TIMEOUT_MS);
	lookup(r, loop, true, "a.test", V4, &g);
	assert_int_equal(g.status, DNS_TEMPFAIL);
	assert_string_equal(g.text, NOTFOUND "name=a.test type=MX: Host not "
					     "found, try again");
	lookup(r, loop, false, "mx1.a.test", V4 | V6, &g);
	assert_int_equal(g.status, DNS_TEMPFAIL);
	/* Temporary failures are not cached. */
	dns_resolver_stats(r, &stats);
	assert_int_equal(stats.cache_entries, 0);
	dns_resolver_free(&r);
	close(silent);

	closed_port = free_port();
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", closed_port);
	r = new_resolver(loop, spec, SILENT_TIMEOUT_MS);
	lookup(r, loop, true, "a.test", V4, &g);
	assert_int_equal(g.status, DNS_TEMPFAIL);
	dns_resolver_free(&r);
	event_loop_free(&loop);
}

/*
 * A responder for answers dnsmasq cannot give: it answers every query on
 * its UDP socket, and on TCP connections to the same port, with the
 * query's ID and question, NOERROR (TC when truncated is set), and one
 * answer record given as hex (names may point at the question, offset
 * 12).
 */
#define RESPONDER_MSG_MAX 512

struct responder {
	struct event_loop *loop;
	int fd;
	int listen_fd;
	int conn_fd;
	struct event_io *io;
	struct event_io *listen_io;
	struct event_io *conn_io;
	const char *answer_hex;
	bool truncated;
	size_t tcp_answers;
};

/* responder_answer - turn the query in msg (n octets) into the answer */
static size_t
responder_answer(const struct responder *rsp, uint8_t *msg, size_t n)
{
	size_t pos = 12, len = 0;

	assert_true(n >= 12);
	while (pos < n && msg[pos] != 0)
		pos += msg[pos] + 1u;
	pos += 5;	/* the root label, QTYPE, QCLASS */
	assert_true(pos <= n);
	msg[2] = rsp->truncated ? 0x83 : 0x81;
	msg[3] = 0x80;
	memset(msg + 4, 0, 8);
	msg[5] = 1;	/* QDCOUNT */
	msg[7] = 1;	/* ANCOUNT */
	for (const char *h = rsp->answer_hex; h[0] != '\0'; h++) {
		unsigned v;

		if (*h == ' ')
			continue;
		assert_int_equal(sscanf(h, "%2x", &v), 1);
		assert_true(pos + len < RESPONDER_MSG_MAX);
		msg[pos + len++] = (uint8_t)v;
		h++;
	}
	return pos + len;
}

/* responder_udp - answer one datagram */
static void
responder_udp(void *ctx, int fd, unsigned revents)
{
	struct responder *rsp = ctx;
	struct sockaddr_storage from;
	socklen_t from_len = sizeof(from);
	uint8_t msg[RESPONDER_MSG_MAX];
	ssize_t n;
	size_t out;

	(void)revents;
	n = recvfrom(fd, msg, sizeof(msg), 0, (struct sockaddr *)&from,
		     &from_len);
	if (n < 12)
		return;
	out = responder_answer(rsp, msg, (size_t)n);
	assert_int_equal(sendto(fd, msg, out, 0, (struct sockaddr *)&from,
				from_len),
			 (ssize_t)out);
}

/* responder_conn - answer the query on a TCP connection, or see EOF */
static void
responder_conn(void *ctx, int fd, unsigned revents)
{
	struct responder *rsp = ctx;
	uint8_t msg[2 + RESPONDER_MSG_MAX];
	ssize_t n;
	size_t out;

	(void)revents;
	/* c-ares writes length and query at once; small enough to arrive
	   whole on loopback. */
	n = read(fd, msg, sizeof(msg));
	if (n <= 0) {
		event_io_remove(&rsp->conn_io);
		close(rsp->conn_fd);
		rsp->conn_fd = -1;
		return;
	}
	assert_true(n >= 14 && (size_t)n == 2u + (msg[0] << 8 | msg[1]));
	out = responder_answer(rsp, msg + 2, (size_t)n - 2);
	msg[0] = (uint8_t)(out >> 8);
	msg[1] = (uint8_t)out;
	assert_int_equal(write(fd, msg, out + 2), (ssize_t)(out + 2));
	rsp->tcp_answers++;
}

/* responder_accept - one TCP connection at a time */
static void
responder_accept(void *ctx, int fd, unsigned revents)
{
	struct responder *rsp = ctx;
	int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	(void)revents;
	assert_true(conn >= 0);
	assert_int_equal(rsp->conn_fd, -1);
	rsp->conn_fd = conn;
	rsp->conn_io = event_io_add(rsp->loop, conn, EVENT_READ,
				    responder_conn, rsp);
}

/* Answers no server should give reach the client as TEMPFAIL. */
static void
test_bad_answers(void **state)
{
	static const struct {
		const char *answer_hex;
		bool truncated;
		const char *warning;
	} rows[] = {
		/* A record whose data runs past the message. */
		{ "c00c 0001 0001 0000012c 0004 7f00", false,
		  "malformed reply for name=bad.test type=A: record data runs "
		  "past the end of the message" },
		/* CNAME to "a b.bad.test", no data: never asked. */
		{ "c00c 0005 0001 0000012c 0006 03612062 c00c", false,
		  "malformed CNAME target a\\134032b.bad.test" },
		/* A CNAME to itself. */
		{ "c00c 0005 0001 0000012c 0002 c00c", false,
		  "CNAME chain too long" },
		/* Truncated over UDP, and again over TCP. */
		{ "c00c 0001 0001 0000012c 0004 7f000001", true,
		  "malformed reply for name=bad.test type=A: truncated "
		  "response" },
	};
	struct event_loop *loop = event_loop_new();
	struct responder rsp;
	char spec[32];
	unsigned port;

	(void)state;
	memset(&rsp, 0, sizeof(rsp));
	rsp.loop = loop;
	port = free_port();
	rsp.fd = bind_port(SOCK_DGRAM, port);
	rsp.listen_fd = bind_port(SOCK_STREAM, port);
	rsp.conn_fd = -1;
	assert_true(rsp.fd >= 0 && rsp.listen_fd >= 0);
	assert_int_equal(listen(rsp.listen_fd, 4), 0);
	rsp.io = event_io_add(loop, rsp.fd, EVENT_READ, responder_udp, &rsp);
	rsp.listen_io = event_io_add(loop, rsp.listen_fd, EVENT_READ,
				     responder_accept, &rsp);
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", port);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct dns_resolver *r = new_resolver(loop, spec, TIMEOUT_MS);
		struct got g;

		rsp.answer_hex = rows[i].answer_hex;
		rsp.truncated = rows[i].truncated;
		rsp.tcp_answers = 0;
		testlib_log_expect(rows[i].warning);
		lookup(r, loop, false, "bad.test", V4, &g);
		if (g.status != DNS_TEMPFAIL)
			fail_msg("row %zu: %s", i, dns_status_name(g.status));
		assert_string_equal(g.text, NOTFOUND "name=bad.test type=A: "
						     "Host not found, try "
						     "again");
		if (!testlib_log_contains(rows[i].warning))
			fail_msg("row %zu: no warning", i);
		assert_int_equal(rsp.tcp_answers, rows[i].truncated ? 1 : 0);
		dns_resolver_free(&r);
	}
	if (rsp.conn_fd >= 0) {
		event_io_remove(&rsp.conn_io);
		close(rsp.conn_fd);
	}
	event_io_remove(&rsp.listen_io);
	event_io_remove(&rsp.io);
	close(rsp.listen_fd);
	close(rsp.fd);
	event_loop_free(&loop);
}

/* never_cb - a callback that must not run */
static void
never_cb(void *ctx, const struct dns_result *res)
{
	(void)ctx;
	(void)res;
	fail_msg("callback of a cancelled lookup");
}

/* Callback state for the free/cancel-inside-callback cases. */
struct inside {
	struct dns_resolver *r;
	struct dns_query *q;
	struct event_loop *loop;
	bool called;
	bool free_resolver;
};

/* inside_cb - cancel the own handle, or free the resolver */
static void
inside_cb(void *ctx, const struct dns_result *res)
{
	struct inside *in = ctx;

	(void)res;
	in->called = true;
	if (in->free_resolver)
		dns_resolver_free(&in->r);
	else
		dns_query_cancel(&in->q);
	event_loop_stop(in->loop);
}

/* run_inside - run the loop until in is called (bounded) */
static void
run_inside(struct inside *in)
{
	struct event_timer *guard = event_timer_add(in->loop, GUARD_MS,
						    guard_fire, NULL);

	while (!in->called)
		assert_int_equal(event_loop_run(in->loop), 0);
	event_timer_remove(&guard);
}

static void
test_cancel_and_free(void **state)
{
	struct event_loop *loop;
	struct dns_resolver *r;
	struct dns_query *q;
	struct dns_stats stats;
	struct server s;
	struct inside in;
	struct got g;

	(void)state;
	if (!have_dnsmasq())
		skip();
	server_start(&s, main_records, false);
	loop = event_loop_new();
	r = new_resolver(loop, s.spec, TIMEOUT_MS);

	/* Cancelled while its questions are out: no callback, but the
	   answers still arrive and are cached for the next lookup. */
	q = dns_lookup_mx(r, "a.test", V4, never_cb, NULL);
	dns_query_cancel(&q);
	assert_null(q);
	dns_query_cancel(&q);
	lookup(r, loop, true, "a.test", V4, &g);
	assert_int_equal(g.status, DNS_OK);
	/* Cancelled with its callback already due (a cache hit). */
	q = dns_lookup_mx(r, "a.test", V4, never_cb, NULL);
	dns_query_cancel(&q);
	lookup(r, loop, false, "mx1.a.test", V4, &g);
	assert_int_equal(g.status, DNS_OK);
	dns_resolver_stats(r, &stats);
	assert_int_equal(stats.pending_queries, 0);

	/* Cancel of the own handle inside the callback. */
	memset(&in, 0, sizeof(in));
	in.r = r;
	in.loop = loop;
	in.q = dns_lookup_mx(r, "eq.test", V4, inside_cb, &in);
	run_inside(&in);
	assert_null(in.q);

	/* Free with lookups pending: no callbacks, nothing leaks. */
	(void)dns_lookup_mx(r, "cmx.test", V4, never_cb, NULL);
	(void)dns_lookup_host(r, "v6.test", V6, never_cb, NULL);
	(void)dns_lookup_mx(r, "a.test", V4, never_cb, NULL);
	dns_resolver_free(&r);
	assert_null(r);
	dns_resolver_free(&r);

	/* Free of the resolver inside a callback, other lookups pending. */
	memset(&in, 0, sizeof(in));
	in.r = new_resolver(loop, s.spec, TIMEOUT_MS);
	in.loop = loop;
	in.free_resolver = true;
	in.q = dns_lookup_host(in.r, "127.0.0.1", V4, inside_cb, &in);
	(void)dns_lookup_mx(in.r, "c.test", V4, never_cb, NULL);
	run_inside(&in);
	assert_null(in.r);

	event_loop_free(&loop);
	server_stop(&s, SIGTERM);
}

static void
test_servers(void **state)
{
	static const struct {
		const char *servers;
		bool ok;
	} rows[] = {
		{ NULL, true },
		{ "", true },
		{ " , ", true },
		{ "127.0.0.1", true },
		{ "127.0.0.1:5353", true },
		{ "127.0.0.1:5353, [::1]:53, 10.0.0.1", true },
		{ "::1", true },
		{ "[::1]", true },
		{ "[2001:db8::1]:53 192.0.2.1:53", true },
		{ "1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5,6.6.6.6,7.7.7.7,"
		  "8.8.8.8", true },
		{ "1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5,6.6.6.6,7.7.7.7,"
		  "8.8.8.8,9.9.9.9", false },
		{ "127.0.0.1:0", false },
		{ "127.0.0.1:65536", false },
		{ "127.0.0.1:", false },
		{ "127.0.0.1:53x", false },
		{ "ns.example", false },
		{ "300.0.0.1", false },
		{ "[::1", false },
		{ "[::1]x", false },
		{ "[127.0.0.1]", false },
		{ "1.2.3.4:53:1", false },
		{ "[0000:0000:0000:0000:0000:0000:0000:0001]:53535000000000", false },
	};
	struct event_loop *loop = event_loop_new();

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *error = NULL;
		struct dns_resolver *r = dns_resolver_new(loop, rows[i].servers,
							  1000, 1, &error);

		if ((r != NULL) != rows[i].ok)
			fail_msg("row %zu (%s): %s", i,
				 rows[i].servers != NULL ? rows[i].servers :
							   "NULL",
				 error != NULL ? error : "accepted");
		if (r == NULL)
			assert_non_null(strstr(error, "DNS server"));
		dns_resolver_free(&r);
	}
	event_loop_free(&loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lookups, testlib_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shuffle, testlib_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cache, testlib_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_negative_cache,
						testlib_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shared_questions,
						testlib_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_large_answer,
						testlib_setup, teardown),
		cmocka_unit_test_setup_teardown(test_burst, testlib_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_timeouts, testlib_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_answers,
						testlib_setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_and_free,
						testlib_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_servers, testlib_setup,
						teardown),
	};

	if (getenv("TESTLIB_VERBOSE") != NULL)
		log_set_verbose(true);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
