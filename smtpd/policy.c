/*
 * policy.c - smtpd's decisions: who may send to whom.
 *
 * smtpd_policy_init/deinit (lists from main.cf), smtpd_policy_rcpt (one
 * recipient), smtpd_policy_sender (who may use a sender address),
 * smtpd_policy_client_allowed/release (connections per client, counted
 * across the service's processes in lib/client_count.c),
 * smtpd_policy_auth_is_blocked/failed (failed AUTHs per client, counted
 * across the instance in lib/auth_fail.c).
 *
 * A recipient is accepted when its domain is
 *   local   (mydestination): the user (the local part without its
 *           recipient_delimiter extension) is in local_recipient_maps:
 *           system users (unix:passwd.byname), aliases, the users table;
 *           "postmaster" always is (RFC 5321 4.5.1). Otherwise
 *           550 5.1.1 User unknown in local recipient table;
 *   virtual (virtual_mailbox_domains): the address is in
 *           virtual_mailbox_maps or the users table, else 550 5.1.1;
 *   relayed: the domain is in relay_domains (subdomains included, as with
 *           Postfix's parent_domain_matches_subdomains), or the client may
 *           relay (mynetworks, local submission, or it authenticated with
 *           AUTH: permit_sasl_authenticated), else 554 5.7.1 Relay access
 *           denied.
 *
 * A sender (MAIL FROM), when smtpd_sender_login_maps is set, is checked
 * as by Postfix's reject_sender_login_mismatch: the owners of the address
 * are looked up under the address, the address without its
 * recipient_delimiter extension, the local part alone for a local domain,
 * and "@domain" (first found wins; a value lists login names separated by
 * commas or white space). An authenticated client must be one of the
 * owners, else 553 5.7.1 <addr>: Sender address rejected: not owned by
 * user NAME; a client that did not authenticate may not use an address
 * that has owners: 553 5.7.1 <addr>: Sender address rejected: not logged
 * in. The null sender and local submission are not checked.
 *
 * A table that cannot be read gives 451 4.3.0 (temporary): nothing is
 * refused for good because of a local problem.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/client_count.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/privs.h"
#include "lib/server.h"
#include "lib/str.h"
#include "lib/users.h"
#include "smtpd/smtpd.h"

/* policy_list - a lower-cased list parameter */
static char **
policy_list(const char *value)
{
	char **list = str_split(value, " \t\r\n,", NULL);
	char **p;

	for (p = list; *p != NULL; p++)
		str_lower(*p);
	return list;
}

/* policy_dicts_new - one (unopened) handle slot per table spec */
static struct dict **
policy_dicts_new(char **specs)
{
	size_t n = 0;

	while (specs[n] != NULL)
		n++;
	return mem_alloc_array(n + 1, sizeof(struct dict *));
}

/* policy_dicts_free - close the opened handles of a slot array */
static void
policy_dicts_free(char **specs, struct dict ***dicts)
{
	size_t i;

	if (*dicts == NULL)
		return;
	for (i = 0; specs != NULL && specs[i] != NULL; i++)
		if ((*dicts)[i] != NULL)
			dict_close(&(*dicts)[i]);
	mem_free(dicts);
}

/* smtpd_policy_init - parse the lists once per process */
void
smtpd_policy_init(struct smtpd *sd)
{
	const char *error;

	if (cidr_list_parse(&sd->mynetworks, param_mynetworks, &error) < 0)
		log_fatal_code(MR_EXIT_CONFIG, "mynetworks: %s", error);
	sd->mydestination = policy_list(param_mydestination);
	sd->relay_domains = policy_list(param_relay_domains);
	sd->virtual_domains = policy_list(param_virtual_mailbox_domains);
	sd->local_maps = str_split(param_local_recipient_maps, " \t\r\n,",
				   NULL);
	sd->virtual_maps = str_split(param_virtual_mailbox_maps, " \t\r\n,",
				     NULL);
	sd->local_dicts = policy_dicts_new(sd->local_maps);
	sd->virtual_dicts = policy_dicts_new(sd->virtual_maps);
	sd->sender_login_maps = str_split(param_smtpd_sender_login_maps,
					  " \t\r\n,", NULL);
	sd->sender_login_dicts = policy_dicts_new(sd->sender_login_maps);
	sd->sasl_enabled = param_smtpd_sasl_auth_enable;
	sd->users = users_new(param_user_database, "", USERS_SCHEME_YESCRYPT,
			      &error);
	if (sd->users == NULL)
		log_fatal_code(MR_EXIT_CONFIG, "user_database %s: %s",
			       param_user_database, error);
}

/* policy_user_exists - 1 in the users table, 0 not, -1 unreadable */
static int
policy_user_exists(struct smtpd *sd, const char *name)
{
	struct users_entry entry;
	const char *error;
	int found = users_lookup(sd->users, name, &entry, &error);

	if (found < 0)
		log_warn("users table: %s", error);
	return found;
}

/* smtpd_policy_deinit - release the lists */
void
smtpd_policy_deinit(struct smtpd *sd)
{
	cidr_list_deinit(&sd->mynetworks);
	str_split_free(&sd->mydestination);
	str_split_free(&sd->relay_domains);
	str_split_free(&sd->virtual_domains);
	policy_dicts_free(sd->local_maps, &sd->local_dicts);
	policy_dicts_free(sd->virtual_maps, &sd->virtual_dicts);
	policy_dicts_free(sd->sender_login_maps, &sd->sender_login_dicts);
	str_split_free(&sd->local_maps);
	str_split_free(&sd->virtual_maps);
	str_split_free(&sd->sender_login_maps);
	users_free(&sd->users);
	client_count_free(&sd->clients);
	auth_fail_free(&sd->auth_failures);
}

/* policy_domain_in - exact (case-insensitive) membership */
static bool
policy_domain_in(char **list, const char *domain)
{
	for (; *list != NULL; list++)
		if (str_eq_ci(*list, domain))
			return true;
	return false;
}

/* policy_domain_matches - domain or a parent domain is listed */
static bool
policy_domain_matches(char **list, const char *domain)
{
	for (; *list != NULL; list++) {
		const char *e = *list;
		size_t elen = strlen(e), dlen = strlen(domain);

		if (e[0] == '.') {
			if (dlen > elen &&
			    str_eq_ci(domain + dlen - elen, e))
				return true;
			continue;
		}
		if (str_eq_ci(domain, e))
			return true;
		if (dlen > elen + 1 && domain[dlen - elen - 1] == '.' &&
		    str_eq_ci(domain + dlen - elen, e))
			return true;
	}
	return false;
}

/*
 * policy_map_value - key in one table: 1 found (the value in *value_r,
 * valid until the next lookup in the table), 0 not, -1 error. The handle
 * is opened on first use and kept in *slot for the life of the process
 * (dict handles follow their file, so a rebuilt table is seen); a table
 * that cannot be opened is tried again at the next lookup.
 */
static int
policy_map_value(const char *spec, struct dict **slot, const char *key,
		 const char **value_r)
{
	const char *error;
	int found;

	if (*slot == NULL && (*slot = dict_open(spec, 0, &error)) == NULL) {
		log_warn("%s: %s", spec, error);
		return -1;
	}
	found = dict_lookup(*slot, key, value_r, &error);
	if (found < 0)
		log_warn("%s: lookup of %s: %s", spec, log_safe_str(key),
			 error);
	return found;
}

/* policy_map_find - key in one table: 1 yes, 0 no, -1 error */
static int
policy_map_find(const char *spec, struct dict **slot, const char *key)
{
	const char *value;

	return policy_map_value(spec, slot, key, &value);
}


/* policy_local_user - local part without extension, lower-cased */
static char *
policy_local_user(const char *local)
{
	char *user = str_lower(mem_strdup(local));

	if (param_recipient_delimiter[0] != '\0') {
		size_t cut = strcspn(user, param_recipient_delimiter);

		/* "+tag" alone is not an extension of an empty user. */
		if (cut > 0)
			user[cut] = '\0';
	}
	return user;
}

/* policy_local_exists - 1 known, 0 unknown, -1 temporary failure */
static int
policy_local_exists(struct smtpd *sd, const char *local)
{
	char *user = policy_local_user(local);
	size_t i;
	int found = 0;

	if (strcmp(user, "postmaster") == 0 || sd->local_maps[0] == NULL) {
		mem_free(&user);
		return 1;
	}
	for (i = 0; sd->local_maps[i] != NULL && found == 0; i++) {
		const char *spec = sd->local_maps[i];

		if (strcmp(spec, "unix:passwd.byname") == 0) {
			errno = 0;
			found = getpwnam(user) != NULL ? 1
				: errno != 0 && errno != ENOENT ? -1
								 : 0;
		} else if (strcmp(spec, param_user_database) == 0) {
			/* A users table not made yet has no users. */
			found = policy_user_exists(sd, user);
		} else {
			found = policy_map_find(spec, &sd->local_dicts[i], user);
		}
	}
	mem_free(&user);
	return found;
}

/* policy_virtual_exists - 1 known, 0 unknown, -1 temporary failure */
static int
policy_virtual_exists(struct smtpd *sd, const char *address)
{
	char *key = str_lower(mem_strdup(address));
	int found = 0;
	size_t i;

	for (i = 0; sd->virtual_maps[i] != NULL && found == 0; i++)
		found = policy_map_find(sd->virtual_maps[i],
					&sd->virtual_dicts[i], key);
	if (found == 0)
		found = policy_user_exists(sd, key);
	mem_free(&key);
	return found;
}

/* smtpd_policy_rcpt - accept or refuse one recipient */
int
smtpd_policy_rcpt(struct smtpd_session *s, const struct addr *a,
		  const char *formatted, char *reply_buf, size_t reply_size,
		  const char **reply_r)
{
	struct smtpd *sd = s->sd;
	int found;

	*reply_r = reply_buf;
	if (a->domain == NULL) {
		/* Only <Postmaster> gets here (RFC 5321 4.1.1.3). */
		return 0;
	}
	if (policy_domain_in(sd->mydestination, a->domain)) {
		found = policy_local_exists(sd, a->local);
		if (found > 0)
			return 0;
		snprintf(reply_buf, reply_size,
			 found < 0 ? "451 4.3.0 <%s>: Temporary lookup failure"
				   : "550 5.1.1 <%s>: Recipient address "
				     "rejected: User unknown in local "
				     "recipient table",
			 formatted);
		return -1;
	}
	if (policy_domain_in(sd->virtual_domains, a->domain)) {
		found = policy_virtual_exists(sd, formatted);
		if (found > 0)
			return 0;
		snprintf(reply_buf, reply_size,
			 found < 0 ? "451 4.3.0 <%s>: Temporary lookup failure"
				   : "550 5.1.1 <%s>: Recipient address "
				     "rejected: User unknown in virtual "
				     "mailbox table",
			 formatted);
		return -1;
	}
	if (s->may_relay || s->sasl_username != NULL ||
	    policy_domain_matches(sd->relay_domains, a->domain))
		return 0;
	snprintf(reply_buf, reply_size,
		 "554 5.7.1 <%s>: Relay access denied", formatted);
	return -1;
}

/* policy_client_table - the service's client count table, opened lazily */
static struct client_count *
policy_client_table(struct smtpd *sd)
{
	if (sd->clients == NULL)
		sd->clients = client_count_new(param_queue_directory,
					       server_service_name(sd->srv));
	return sd->clients;
}

/*
 * smtpd_policy_client_allowed - count a connection against its client,
 * across all smtpd processes of the service (Postfix counts in anvil).
 */
bool
smtpd_policy_client_allowed(struct smtpd *sd, struct smtpd_session *s)
{
	uint8_t addr[CLIENT_COUNT_ADDR_SIZE];

	/* Local submission and mynetworks are exempt, as with Postfix's
	 * smtpd_client_event_limit_exceptions. */
	if (s->may_relay || param_smtpd_client_connection_count_limit <= 0)
		return true;
	/* An address getnameinfo could not give ("unknown") counts as ::,
	 * so such clients share one count, as they share one name. */
	(void)client_count_addr_parse(s->client_addr, addr);
	return client_count_acquire(
		policy_client_table(sd), addr,
		(unsigned)param_smtpd_client_connection_count_limit,
		&s->counted);
}

/* smtpd_policy_client_release - the session's count is free again */
void
smtpd_policy_client_release(struct smtpd *sd, struct smtpd_session *s)
{
	uint8_t addr[CLIENT_COUNT_ADDR_SIZE];

	if (!s->counted)
		return;
	(void)client_count_addr_parse(s->client_addr, addr);
	client_count_release(policy_client_table(sd), addr);
	s->counted = false;
}

/*
 * policy_login_owners - the owners of a sender address in
 * smtpd_sender_login_maps: 1 found (a copy in *owners_r), 0 none, -1
 * temporary failure
 */
static int
policy_login_owners(struct smtpd *sd, const struct addr *a,
		    const char *formatted, char **owners_r)
{
	char *keys[4];
	size_t nkeys = 0, i, k;
	int found = 0;

	*owners_r = NULL;
	keys[nkeys++] = str_lower(mem_strdup(formatted));
	if (a->domain != NULL) {
		char *user = policy_local_user(a->local);

		/* user+ext@domain: also user@domain (Postfix's order). */
		keys[nkeys++] = mem_asprintf("%s@%s", user, a->domain);
		str_lower(keys[nkeys - 1]);
		if (policy_domain_in(sd->mydestination, a->domain))
			keys[nkeys++] = mem_strdup(user);
		keys[nkeys++] = str_lower(mem_asprintf("@%s", a->domain));
		mem_free(&user);
	}
	for (k = 0; k < nkeys && found == 0; k++) {
		if (k > 0 && strcmp(keys[k], keys[k - 1]) == 0)
			continue;
		for (i = 0; sd->sender_login_maps[i] != NULL && found == 0;
		     i++) {
			const char *value;

			found = policy_map_value(sd->sender_login_maps[i],
						 &sd->sender_login_dicts[i],
						 keys[k], &value);
			if (found > 0)
				*owners_r = mem_strdup(value);
		}
	}
	for (k = 0; k < nkeys; k++)
		mem_free(&keys[k]);
	return found;
}

/* policy_is_owner - name is in the owners list */
static bool
policy_is_owner(const char *owners, const char *name)
{
	char **list = str_split(owners, " \t\r\n,", NULL);
	bool is_owner = false;
	char **p;

	for (p = list; *p != NULL && !is_owner; p++)
		is_owner = str_eq_ci(*p, name);
	str_split_free(&list);
	return is_owner;
}

/* smtpd_policy_sender - reject_sender_login_mismatch */
int
smtpd_policy_sender(struct smtpd_session *s, const struct addr *a,
		    const char *formatted, char *reply_buf, size_t reply_size,
		    const char **reply_r)
{
	struct smtpd *sd = s->sd;
	char *owners;
	int found;

	*reply_r = reply_buf;
	if (sd->sender_login_maps[0] == NULL || s->is_local ||
	    formatted[0] == '\0')
		return 0;
	found = policy_login_owners(sd, a, formatted, &owners);
	if (found < 0) {
		snprintf(reply_buf, reply_size,
			 "451 4.3.0 <%s>: Temporary lookup failure", formatted);
		return -1;
	}
	if (s->sasl_username != NULL) {
		bool ok = found > 0 && policy_is_owner(owners, s->sasl_username);

		mem_free(&owners);
		if (ok)
			return 0;
		snprintf(reply_buf, reply_size,
			 "553 5.7.1 <%s>: Sender address rejected: not owned "
			 "by user %s",
			 formatted, s->sasl_username);
		return -1;
	}
	mem_free(&owners);
	if (found == 0)
		return 0;
	snprintf(reply_buf, reply_size,
		 "553 5.7.1 <%s>: Sender address rejected: not logged in",
		 formatted);
	return -1;
}

/* policy_auth_table - the instance's failed-AUTH table, opened lazily */
static struct auth_fail *
policy_auth_table(struct smtpd *sd)
{
	if (sd->auth_failures == NULL)
		sd->auth_failures = auth_fail_new(param_queue_directory);
	return sd->auth_failures;
}

/* policy_auth_is_counted - failed AUTHs of this client are limited */
static bool
policy_auth_is_counted(const struct smtpd_session *s)
{
	/* mynetworks is exempt, as from the connection limit. */
	return !s->may_relay && param_smtpd_client_auth_failure_limit > 0;
}

/* smtpd_policy_auth_is_blocked - too many failures in the window */
bool
smtpd_policy_auth_is_blocked(struct smtpd_session *s)
{
	uint8_t addr[CLIENT_COUNT_ADDR_SIZE];

	if (!policy_auth_is_counted(s))
		return false;
	(void)client_count_addr_parse(s->client_addr, addr);
	return auth_fail_count(policy_auth_table(s->sd), addr, time(NULL),
			       (unsigned)param_smtpd_client_auth_failure_time) >=
	       (unsigned)param_smtpd_client_auth_failure_limit;
}

/* smtpd_policy_auth_failed - count a failure; true when the limit is hit */
bool
smtpd_policy_auth_failed(struct smtpd_session *s)
{
	uint8_t addr[CLIENT_COUNT_ADDR_SIZE];

	if (!policy_auth_is_counted(s))
		return false;
	(void)client_count_addr_parse(s->client_addr, addr);
	return auth_fail_add(policy_auth_table(s->sd), addr, time(NULL),
			     (unsigned)param_smtpd_client_auth_failure_time) >=
	       (unsigned)param_smtpd_client_auth_failure_limit;
}
