/*
 * self.c - whether an MX host is this mail system itself (RFC 5321 5.1: a
 * host that finds itself among a domain's MX hosts may use only those
 * with a lower preference; when it is the best one, the mail loops).
 *
 *   smtp_self_new   the smtpd listeners of master.cf: address and port
 *   smtp_self_free
 *   smtp_self_is    whether an address and port is one of them
 *
 * A listener without a host (or on 0.0.0.0 or ::) takes connections to
 * every address of this machine: for it, the interface addresses
 * (getifaddrs) and the loopback networks (127.0.0.0/8, ::1) count. A host
 * name in master.cf is resolved once here, as master does when it binds.
 * The port matters, unlike in Postfix: two instances on one machine (or
 * a test peer on another port) are not the same system.
 *
 * Untrusted input: none (master.cf is the administrator's). Limits: at
 * most SMTP_SELF_MAX listener addresses and as many interface addresses;
 * more are ignored.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/service_table.h"
#include "smtp/smtp.h"

#define SMTP_SELF_MAX 256

struct self_listener {
	bool any;		/* the wildcard address */
	struct dns_addr addr;	/* unless any */
	unsigned port;
};

struct smtp_self {
	struct self_listener listeners[SMTP_SELF_MAX];
	size_t listener_count;
	struct dns_addr local[SMTP_SELF_MAX];	/* interface addresses */
	size_t local_count;
};

/* addr_from_sockaddr - sa as a dns_addr; false for other families */
static bool
addr_from_sockaddr(const struct sockaddr *sa, struct dns_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		a->family = AF_INET;
		a->u.v4 = ((const struct sockaddr_in *)sa)->sin_addr;
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		a->family = AF_INET6;
		a->u.v6 = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		return true;
	}
	return false;
}

/* addr_equal - the same address */
static bool
addr_equal(const struct dns_addr *a, const struct dns_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->u.v4.s_addr == b->u.v4.s_addr;
	return memcmp(&a->u.v6, &b->u.v6, sizeof(a->u.v6)) == 0;
}

/* addr_is_any - 0.0.0.0 or :: */
static bool
addr_is_any(const struct dns_addr *a)
{
	if (a->family == AF_INET)
		return a->u.v4.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&a->u.v6);
}

/* listener_add - one listening address */
static void
listener_add(struct smtp_self *self, const struct dns_addr *a, bool any,
	     unsigned port)
{
	struct self_listener *l;

	if (self->listener_count >= SMTP_SELF_MAX)
		return;
	l = &self->listeners[self->listener_count++];
	l->any = any || (a != NULL && addr_is_any(a));
	if (a != NULL)
		l->addr = *a;
	l->port = port;
}

/* listeners_of - the addresses of one inet smtpd service */
static void
listeners_of(struct smtp_self *self, const struct service_entry *e)
{
	struct addrinfo hints, *res = NULL, *ai;
	int rc;

	if (e->host == NULL || e->host[0] == '\0' ||
	    strcmp(e->host, "*") == 0) {
		listener_add(self, NULL, true, e->port_number);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(e->host, NULL, &hints, &res);
	if (rc != 0) {
		log_warn("master.cf line %d: %s: %s; not known as this host's "
			 "address for MX loop detection",
			 e->line, e->host, gai_strerror(rc));
		return;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct dns_addr a;

		if (addr_from_sockaddr(ai->ai_addr, &a))
			listener_add(self, &a, false, e->port_number);
	}
	freeaddrinfo(res);
}

/* locals_load - the interface addresses, for wildcard listeners */
static void
locals_load(struct smtp_self *self)
{
	struct ifaddrs *ifs = NULL, *ifa;

	if (getifaddrs(&ifs) < 0) {
		log_warn("getifaddrs: %m; MX loop detection knows only "
			 "loopback addresses");
		return;
	}
	for (ifa = ifs; ifa != NULL; ifa = ifa->ifa_next) {
		if (self->local_count < SMTP_SELF_MAX &&
		    addr_from_sockaddr(ifa->ifa_addr,
				       &self->local[self->local_count]))
			self->local_count++;
	}
	freeifaddrs(ifs);
}

/* smtp_self_new - this instance's smtpd listeners */
struct smtp_self *
smtp_self_new(void)
{
	struct smtp_self *self = mem_alloc(sizeof(*self));
	struct service_table *table = NULL;
	const char *error;
	char *path;
	size_t i;

	memset(self, 0, sizeof(*self));
	path = mem_asprintf("%s/%s", param_config_directory,
			    SERVICE_TABLE_FILE);
	if (service_table_load(path, &table, &error) < 0) {
		log_warn("%s; MX loop detection does not know this host's "
			 "listeners", error);
	} else {
		for (i = 0; i < table->count; i++) {
			const struct service_entry *e = &table->entries[i];

			if (e->type == SERVICE_TYPE_INET &&
			    strcmp(e->command, "smtpd") == 0)
				listeners_of(self, e);
		}
		service_table_free(&table);
	}
	mem_free(&path);
	locals_load(self);
	return self;
}

/* smtp_self_free - release; NULLs *selfp */
void
smtp_self_free(struct smtp_self **selfp)
{
	mem_free(selfp);
}

/* is_local - an address of this machine (for wildcard listeners) */
static bool
is_local(const struct smtp_self *self, const struct dns_addr *a)
{
	size_t i;

	if (a->family == AF_INET &&
	    (ntohl(a->u.v4.s_addr) >> 24) == IN_LOOPBACKNET)
		return true;
	if (a->family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&a->u.v6))
		return true;
	for (i = 0; i < self->local_count; i++)
		if (addr_equal(&self->local[i], a))
			return true;
	return false;
}

/* smtp_self_is - whether a on port reaches this instance's smtpd */
bool
smtp_self_is(const struct smtp_self *self, const struct dns_addr *a,
	     unsigned port)
{
	size_t i;

	for (i = 0; i < self->listener_count; i++) {
		const struct self_listener *l = &self->listeners[i];

		if (l->port != port)
			continue;
		if (l->any ? is_local(self, a) : addr_equal(&l->addr, a))
			return true;
	}
	return false;
}
