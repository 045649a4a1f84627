/*
 * nexthop.c - next-hop syntax, as in Postfix's relayhost and transport
 * tables:
 *
 *   example.com            MX lookup, port smtp_port
 *   example.com:2525       MX lookup, port 2525
 *   [mail.example.com]     the host's own addresses, no MX lookup
 *   [192.0.2.1]:587        an address literal
 *   [ipv6:2001:db8::1]     an IPv6 literal (also without "ipv6:")
 *
 * Input: qmgr's request (from configuration and tables): checked, never
 * trusted to be well-formed.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/parse_num.h"
#include "lib/nexthop.h"

/* nexthop_host_ok - a plausible host name: letters, digits, '-', '.', '_' */
static bool
nexthop_host_ok(const char *h)
{
	size_t i;

	if (*h == '\0' || *h == '.' || *h == '-')
		return false;
	for (i = 0; h[i] != '\0'; i++) {
		char c = h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_'))
			return false;
		if (c == '.' && h[i + 1] == '.')
			return false;
	}
	return true;
}

/* nexthop_literal - host as an IPv4 or IPv6 address into nh */
static bool
nexthop_literal(struct nexthop *nh)
{
	const char *h = nh->host;

	if (strncasecmp(h, "ipv6:", 5) == 0)
		h += 5;
	if (inet_pton(AF_INET, h, &nh->addr.u.v4) == 1) {
		nh->addr.family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, h, &nh->addr.u.v6) == 1) {
		nh->addr.family = AF_INET6;
		memmove(nh->host, h, strlen(h) + 1);
		return true;
	}
	return false;
}

/* nexthop_parse - next-hop text into host, port and lookup kind */
int
nexthop_parse(const char *text, unsigned default_port,
		   struct nexthop *nh, const char **error_r)
{
	const char *end, *port = NULL;
	size_t len;

	memset(nh, 0, sizeof(*nh));
	nh->port = default_port;
	if (text[0] == '[') {
		end = strchr(text, ']');
		if (end == NULL) {
			*error_r = "missing ']' in next hop";
			return -1;
		}
		len = (size_t)(end - text - 1);
		if (len == 0 || len > DNS_NAME_MAX) {
			*error_r = "bad host in next hop";
			return -1;
		}
		memcpy(nh->host, text + 1, len);
		nh->host[len] = '\0';
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0') {
			*error_r = "junk after ']' in next hop";
			return -1;
		}
		nh->mx = false;
	} else {
		end = strchr(text, ':');
		len = end != NULL ? (size_t)(end - text) : strlen(text);
		if (len == 0 || len > DNS_NAME_MAX) {
			*error_r = "bad host in next hop";
			return -1;
		}
		memcpy(nh->host, text, len);
		nh->host[len] = '\0';
		if (end != NULL)
			port = end + 1;
		nh->mx = true;
	}
	if (port != NULL) {
		uint64_t v;

		if (parse_uint(port, 1, 65535, &v) < 0) {
			*error_r = "bad port in next hop";
			return -1;
		}
		nh->port = (unsigned)v;
	}
	if (nexthop_literal(nh)) {
		nh->literal = true;
		nh->mx = false;
		return 0;
	}
	if (!nexthop_host_ok(nh->host)) {
		*error_r = "bad host in next hop";
		return -1;
	}
	/* A trailing dot names the same host. */
	len = strlen(nh->host);
	if (nh->host[len - 1] == '.')
		nh->host[len - 1] = '\0';
	return 0;
}

/* nexthop_addr_format - an address as text */
void
nexthop_addr_format(const struct dns_addr *a, char *out, size_t size)
{
	if (inet_ntop(a->family, a->family == AF_INET ? (const void *)&a->u.v4
						      : (const void *)&a->u.v6,
		      out, (socklen_t)size) == NULL)
		snprintf(out, size, "?");
}
