/*
 * policy.c - smtpd's decisions: who may send to whom.
 *
 * smtpd_policy_init/deinit (lists from main.cf), smtpd_policy_rcpt (one
 * recipient), smtpd_policy_client_allowed/release (connections per client,
 * counted across the service's processes in lib/client_count.c).
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
 *           relay (mynetworks, local submission), else 554 5.7.1 Relay access
 *           denied.
 * A table that cannot be read gives 451 4.3.0 (temporary): nothing is
 * refused for good because of a local problem.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

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
	str_split_free(&sd->local_maps);
	str_split_free(&sd->virtual_maps);
	users_free(&sd->users);
	client_count_free(&sd->clients);
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
 * policy_map_find - key in one table: 1 yes, 0 no, -1 error. The handle
 * is opened on first use and kept in *slot for the life of the process
 * (dict handles follow their file, so a rebuilt table is seen); a table
 * that cannot be opened is tried again at the next lookup.
 */
static int
policy_map_find(const char *spec, struct dict **slot, const char *key)
{
	const char *error, *value;
	int found;

	if (*slot == NULL && (*slot = dict_open(spec, 0, &error)) == NULL) {
		log_warn("%s: %s", spec, error);
		return -1;
	}
	found = dict_lookup(*slot, key, &value, &error);
	if (found < 0)
		log_warn("%s: lookup of %s: %s", spec, log_safe_str(key),
			 error);
	return found;
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
	if (s->may_relay || policy_domain_matches(sd->relay_domains,
						  a->domain))
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
