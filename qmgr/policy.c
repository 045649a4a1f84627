/*
 * policy.c - qmgr's pure decisions, kept apart so they are tested by table.
 *
 *   qmgr_route         transport and next hop of a recipient address
 *                      (mydestination, virtual domains, transport_maps,
 *                      default_transport, relayhost)
 *   qmgr_backoff_s     retry delay of a deferred message (Postfix's rule)
 *   qmgr_is_expired    whether a message has outlived its queue lifetime
 *   qmgr_can_warn_delay  whether a deferred recipient gets a delay warning
 *   qmgr_rcpt_limit    recipients per delivery request
 *
 * Input: recipient addresses from queue files (validated by lib/queue_read:
 * no control characters). No state, no I/O, no privilege.
 */
#include <stdio.h>
#include <string.h>

#include "lib/dsn.h"
#include "lib/str.h"
#include "qmgr/qmgr.h"

/* route_domain_in - exact, case-insensitive membership of a domain list */
static bool
route_domain_in(char **list, const char *domain)
{
	if (list == NULL)
		return false;
	for (; *list != NULL; list++)
		if (str_eq_ci(*list, domain))
			return true;
	return false;
}

/* route_copy_lower - copy n bytes of s lower-cased; -1 when it does not fit */
static int
route_copy_lower(const char *s, size_t len, char *out, size_t size)
{
	if (len >= size || len > DELIVER_NEXTHOP_MAX || len == 0)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	str_lower(out);
	return 0;
}

/* qmgr_transport_name_is_valid - a master.cf service name we connect to */
bool
qmgr_transport_name_is_valid(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > QMGR_TRANSPORT_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return name[0] != '.';
}

/*
 * route_apply - "transport:nexthop" (either part may be empty; no colon
 * means a bare transport) over the defaults already in r. Returns 0, or -1
 * when the transport name is invalid or the next hop does not fit.
 */
static int
route_apply(const char *value, struct qmgr_route *r)
{
	const char *colon = strchr(value, ':');
	size_t tlen = colon != NULL ? (size_t)(colon - value) : strlen(value);

	if (tlen > 0) {
		if (!qmgr_transport_name_is_valid(value, tlen))
			return -1;
		memcpy(r->transport, value, tlen);
		r->transport[tlen] = '\0';
	}
	if (colon != NULL && colon[1] != '\0')
		return route_copy_lower(colon + 1, strlen(colon + 1), r->nexthop,
					sizeof(r->nexthop));
	return 0;
}

/*
 * route_lookup - transport_maps in Postfix's order: the full address, the
 * domain, each parent domain as ".parent", then "*". Returns 1 with
 * *value_r, 0 when nothing matched, -1 on a table error.
 */
static int
route_lookup(const struct qmgr_route_config *cfg, const char *address,
	     const char *domain, const char **value_r)
{
	char key[DELIVER_NEXTHOP_MAX + 1 + 256];
	const char *p;
	int rc;

	if (cfg->lookup == NULL)
		return 0;
	if (strlen(address) < sizeof(key) && *domain != '\0') {
		snprintf(key, sizeof(key), "%s", address);
		str_lower(key);
		if ((rc = cfg->lookup(cfg->lookup_ctx, key, value_r)) != 0)
			return rc;
	}
	if (*domain != '\0' && strlen(domain) < sizeof(key) - 1) {
		snprintf(key, sizeof(key), "%s", domain);
		str_lower(key);
		if ((rc = cfg->lookup(cfg->lookup_ctx, key, value_r)) != 0)
			return rc;
		for (p = strchr(domain, '.'); p != NULL;
		     p = strchr(p + 1, '.')) {
			snprintf(key, sizeof(key), "%s", p);
			str_lower(key);
			if ((rc = cfg->lookup(cfg->lookup_ctx, key,
					      value_r)) != 0)
				return rc;
		}
	}
	return cfg->lookup(cfg->lookup_ctx, "*", value_r);
}

/* qmgr_route - transport and next hop of one recipient */
int
qmgr_route(const struct qmgr_route_config *cfg, const char *address,
	   struct qmgr_route *r, const char **error_r)
{
	/* The domain follows the last '@': a quoted local part may hold one. */
	const char *at = strrchr(address, '@');
	const char *domain = at != NULL ? at + 1 : "";
	const char *value = NULL;
	bool local;
	int rc;

	*error_r = "next hop too long";
	local = *domain == '\0' ||
		route_domain_in(cfg->local_domains, domain) ||
		route_domain_in(cfg->virtual_domains, domain);
	/* Defaults: local mail to "local" with the domain (myhostname for
	 * <postmaster> and our own notices), the rest to default_transport
	 * with relayhost or the domain; default_transport's own next hop
	 * wins over relayhost, as in Postfix. */
	if (local) {
		snprintf(r->transport, sizeof(r->transport), "local");
		if (route_copy_lower(*domain != '\0' ? domain : cfg->myhostname,
				     strlen(*domain != '\0' ? domain
							    : cfg->myhostname),
				     r->nexthop, sizeof(r->nexthop)) < 0)
			return -1;
	} else {
		snprintf(r->transport, sizeof(r->transport), "smtp");
		if (route_copy_lower(domain, strlen(domain), r->nexthop,
				     sizeof(r->nexthop)) < 0)
			return -1;
		if (cfg->relayhost != NULL && *cfg->relayhost != '\0' &&
		    route_copy_lower(cfg->relayhost, strlen(cfg->relayhost),
				     r->nexthop, sizeof(r->nexthop)) < 0)
			return -1;
		if (cfg->default_transport != NULL &&
		    route_apply(cfg->default_transport, r) < 0) {
			*error_r = "bad default_transport";
			return -1;
		}
	}
	rc = route_lookup(cfg, address, domain, &value);
	if (rc < 0) {
		*error_r = "transport table lookup failed";
		return -1;
	}
	if (rc > 0) {
		/* A table entry's next hop replaces relayhost; an empty one
		 * means the recipient domain (Postfix's transport(5)). */
		if (*domain != '\0' &&
		    route_copy_lower(domain, strlen(domain), r->nexthop,
				     sizeof(r->nexthop)) < 0)
			return -1;
		if (route_apply(value, r) < 0) {
			*error_r = "bad transport table entry";
			return -1;
		}
	}
	return 0;
}

/* qmgr_backoff_s - the message's age clamped to the back-off window */
int64_t
qmgr_backoff_s(int64_t age_s, int64_t min_s, int64_t max_s)
{
	int64_t delay = age_s;

	if (delay > max_s)
		delay = max_s;
	if (delay < min_s)
		delay = min_s;
	return delay;
}

/* qmgr_is_expired - age against the sender's queue lifetime */
bool
qmgr_is_expired(int64_t age_s, bool null_sender, int64_t max_lifetime_s,
		int64_t bounce_lifetime_s)
{
	int64_t lifetime = null_sender ? bounce_lifetime_s : max_lifetime_s;

	return age_s >= lifetime;
}

/* qmgr_can_warn_delay - Postfix's delay_warning_time rule plus NOTIFY */
bool
qmgr_can_warn_delay(int64_t age_s, int64_t warning_time_s, bool warned,
		    const char *sender, unsigned int notify_flags,
		    const char *double_bounce_sender)
{
	if (warning_time_s <= 0 || warned || age_s < warning_time_s)
		return false;
	/* notify_2bounce is irrelevant: it concerns failures only. */
	return dsn_notify_decide(sender, notify_flags, DSN_ACTION_DELAYED,
				 double_bounce_sender,
				 false) == DSN_DECISION_SEND;
}

/* qmgr_rcpt_limit - recipients per request within the protocol's cap */
size_t
qmgr_rcpt_limit(int64_t param)
{
	if (param < 1)
		return 1;
	if (param > DELIVER_MAX_RCPTS)
		return DELIVER_MAX_RCPTS;
	return (size_t)param;
}
