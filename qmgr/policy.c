/*
 * policy.c - qmgr's pure decisions, kept apart so they are tested by table.
 *
 *   qmgr_route         transport and next hop of a recipient address
 *   qmgr_backoff_s     retry delay of a deferred message (Postfix's rule)
 *   qmgr_is_expired    whether a message has outlived its queue lifetime
 *   qmgr_can_warn_delay  whether a deferred recipient gets a delay warning
 *   qmgr_rcpt_limit    recipients per delivery request
 *   qmgr_delay_format  the delay= field of a log line
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

/* route_copy_lower - copy s lower-cased into out; -1 when it does not fit */
static int
route_copy_lower(const char *s, char *out, size_t size)
{
	size_t len = strlen(s);

	if (len >= size || len > DELIVER_NEXTHOP_MAX || len == 0)
		return -1;
	memcpy(out, s, len + 1);
	str_lower(out);
	return 0;
}

/* qmgr_route - transport and next hop of one recipient */
int
qmgr_route(const struct qmgr_route_config *cfg, const char *address,
	   enum qmgr_transport_id *transport_r, char *nexthop, size_t size)
{
	/* The domain follows the last '@': a quoted local part may hold one. */
	const char *at = strrchr(address, '@');
	const char *domain = at != NULL ? at + 1 : "";

	if (*domain == '\0') {
		/* Only <postmaster> and our own notices lack a domain. */
		*transport_r = QMGR_TRANSPORT_LOCAL;
		return route_copy_lower(cfg->myhostname, nexthop, size);
	}
	if (route_domain_in(cfg->local_domains, domain) ||
	    route_domain_in(cfg->virtual_domains, domain)) {
		*transport_r = QMGR_TRANSPORT_LOCAL;
		return route_copy_lower(domain, nexthop, size);
	}
	*transport_r = QMGR_TRANSPORT_SMTP;
	if (cfg->relayhost != NULL && *cfg->relayhost != '\0')
		return route_copy_lower(cfg->relayhost, nexthop, size);
	return route_copy_lower(domain, nexthop, size);
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

/* qmgr_delay_format - "0.12", "3.4", "75" like Postfix's delay= */
void
qmgr_delay_format(double seconds, char *out, size_t size)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds < 10)
		snprintf(out, size, "%.2g", seconds);
	else
		snprintf(out, size, "%.0f", seconds);
}
