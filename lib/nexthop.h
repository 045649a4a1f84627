/*
 * nexthop.h - next-hop syntax of relayhost, default_transport and
 * transport tables, as Postfix writes it:
 *
 *   example.com            MX lookup, the default port
 *   example.com:2525       MX lookup, port 2525
 *   [mail.example.com]     the host's own addresses, no MX lookup
 *   [192.0.2.1]:587        an address literal
 *   [ipv6:2001:db8::1]     an IPv6 literal (also without "ipv6:")
 *
 * An unbracketed address is a literal too. Host names are letters,
 * digits, '-', '_' and '.', at most DNS_NAME_MAX octets; a trailing dot is
 * dropped. Input comes from configuration and tables: checked, never
 * trusted to be well-formed.
 */
#ifndef MR_NEXTHOP_H
#define MR_NEXTHOP_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/dns.h"

struct nexthop {
	char host[DNS_NAME_MAX + 1];	/* name or address, no brackets */
	unsigned port;
	bool mx;			/* look up MX records for host */
	bool literal;			/* host is an IPv4/IPv6 address */
	struct dns_addr addr;		/* literal: the address */
};

/*
 * nexthop_parse - text into *nh (default_port when it names none).
 * Returns 0, or -1 with *error_r (static) for a malformed next hop.
 */
int nexthop_parse(const char *text, unsigned default_port, struct nexthop *nh,
		  const char **error_r);

/* nexthop_addr_format - an address as text ("192.0.2.1", "2001:db8::1"). */
void nexthop_addr_format(const struct dns_addr *a, char *out, size_t size);

#endif
