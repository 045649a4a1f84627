/*
 * local.h - the local delivery agent's private interface.
 *
 * main.c wires the daemon; session.c serves one qmgr connection in a
 * forked child; resolve.c holds the pure decisions (domains, address
 * splitting, header scanning, log formatting) that unit tests call;
 * deliver.c expands aliases and performs every delivery in a child that
 * has switched to the right user. docs/local.md describes the behaviour.
 */
#ifndef MR_LOCAL_H
#define MR_LOCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/deliver_proto.h"
#include "lib/queue_read.h"
#include "lib/server.h"

/* Postfix's command_time_limit: longest run of a |command delivery. */
#define LOCAL_COMMAND_TIME_LIMIT_S 1000
/* Most octets of a command's output kept for the bounce text. */
#define LOCAL_COMMAND_OUTPUT_MAX 512
/* Postfix's default_privs: who runs alias commands of a root-owned map. */
#define LOCAL_DEFAULT_PRIVS "nobody"
/* Most octets of the header block scanned for Delivered-To loops. */
#define LOCAL_HEADER_SCAN_MAX (1024u * 1024)
/* Longest header line kept while scanning (RFC 5322 2.1.1 says 998). */
#define LOCAL_HEADER_LINE_MAX 4096
/* Seconds a qmgr connection may stay silent between requests. */
#define LOCAL_IDLE_TIMEOUT_S 300
/* Seconds to read the rest of a frame, or to write a result. */
#define LOCAL_IO_TIMEOUT_S 60
/* Longest address we build (RFC 5321 4.5.3.1.3 path with slack). */
#define LOCAL_ADDR_MAX 1024

/* Where a recipient domain is delivered. */
enum local_domain_class {
	LOCAL_DOMAIN_NONE,	/* not ours: bounce 5.1.2 */
	LOCAL_DOMAIN_LOCAL,	/* mydestination: aliases, system users */
	LOCAL_DOMAIN_VIRTUAL,	/* virtual_mailbox_domains: users table */
};

/* Per-process configuration, read-only after local_config_init. */
/*
 * Lookup handles kept open for the life of a connection child (opened on
 * first use after the fork, never shared with the parent): Berkeley DB
 * opens are the dearest part of a delivery otherwise. dict handles follow
 * their file, so a rebuilt table is still seen.
 */
struct local_cache {
	struct dict **maps;	/* one per alias_maps entry, NULL until used */
	size_t map_count;
	struct users *users;
};

struct local_config {
	char **mydestination;	/* lower case */
	char **virtual_domains;	/* lower case */
	char **alias_maps;	/* table specs */
	char **allow_commands;	/* "alias", "forward", "include" */
	char **allow_files;
	const char *delimiter;	/* recipient_delimiter, "" for none */
	bool is_root;		/* a root instance: switch per delivery */
	uid_t owner_uid;	/* mail_owner */
	gid_t owner_gid;
	uid_t self_uid;		/* non-root instance: the invoking user */
	struct local_cache *cache;	/* mutable, per process */
};

/* One recipient's outcome, before it is encoded. */
struct local_outcome {
	enum deliver_status status;
	char dsn[DELIVER_DSN_MAX + 1];
	char text[DELIVER_TEXT_MAX + 1];
};

/* ---- main.c / session.c ---- */

/* local_config_init - parse the parameters once; fatal on bad config. */
void local_config_init(struct local_config *cfg);

/* local_config_deinit - release the lists. */
void local_config_deinit(struct local_config *cfg);

/*
 * local_session_accept - fork a child that serves the qmgr connection fd
 * and exits; the parent closes fd and returns at once.
 */
void local_session_accept(struct server *srv, int fd);

/* local_session_reap - collect exited connection children (SIGCHLD). */
void local_session_reap(struct server *srv);

/* ---- resolve.c: pure logic ---- */

/*
 * local_domain_classify - the class of domain (any case) for the lists
 * (NULL-terminated, lower case).
 */
enum local_domain_class local_domain_classify(const char *domain,
					      char *const *mydestination,
					      char *const *virtual_domains);

/*
 * local_addr_split - split address at its last '@' into a new lower-case
 * local part and a new lower-case domain (empty when there is no '@').
 * Returns 0, or -1 when the local part is empty. Free both with mem_free.
 */
int local_addr_split(const char *address, char **local_r, char **domain_r);

/*
 * local_ext_split - where the extension of local_part starts under
 * delimiter (a set of characters, Postfix split_addr rules): returns the
 * offset of the delimiter, or 0 when there is no extension.
 */
size_t local_ext_split(const char *local_part, const char *delimiter);

/* Incremental scanner of a message's header block for Delivered-To. */
struct local_hdr_scan {
	const char *address;	/* the address looked for */
	char line[LOCAL_HEADER_LINE_MAX + 1];
	size_t line_len;
	bool line_overflow;	/* current line too long: ignored */
	size_t scanned;		/* octets seen */
	bool done;		/* end of headers (or the scan limit) */
	bool found;
};

/* local_hdr_scan_init - look for "Delivered-To: address". */
void local_hdr_scan_init(struct local_hdr_scan *scan, const char *address);

/*
 * local_hdr_scan_feed - feed n content octets (CR LF or LF line ends).
 * Returns true once the scan is done (found or not; see scan->found).
 */
bool local_hdr_scan_feed(struct local_hdr_scan *scan, const uint8_t *p,
			 size_t n);

/*
 * local_list_has - whether list (NULL-terminated) holds word, ignoring
 * ASCII case (allow_mail_to_commands and friends).
 */
bool local_list_has(char *const *list, const char *word);

/*
 * local_forward_path_expand - expand one forward_path element: $home,
 * $user, $extension, $recipient_delimiter, $domain, $local (also in
 * ${name} form). Returns a new string, or NULL when the element uses an
 * empty or unknown value (Postfix skips such elements).
 */
char *local_forward_path_expand(const char *element, const char *home,
				const char *user, const char *extension,
				const char *delimiter, const char *domain,
				const char *local);

/*
 * local_outcome_set - fill out; text is cut to fit and control characters
 * become '?' (the text ends up in logs and bounces).
 */
void local_outcome_set(struct local_outcome *out, enum deliver_status status,
		       const char *dsn, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * local_outcome_merge - fold one delivery's outcome into a recipient's:
 * deferred beats bounced beats sent (a temporary failure is never hidden).
 */
void local_outcome_merge(struct local_outcome *total,
			 const struct local_outcome *one);

/*
 * local_log_delivery - log one attempt in Postfix's format:
 * "ID: to=<to>, orig_to=<orig>, relay=local, delay=D, delays=0/0/0/D,
 * dsn=X, status=S (text)"; orig_to only when it differs from to.
 */
void local_log_delivery(const char *queue_id, const char *to,
			const char *orig_to, uint64_t arrival_us,
			const struct local_outcome *out);

/* ---- deliver.c ---- */

/*
 * local_deliver_rcpt - resolve and deliver recipient index of msg (opened
 * from queue_path) and fill *out. Logs every attempt. Never fails: every
 * problem becomes a deferred or bounced outcome.
 */
void local_deliver_rcpt(const struct local_config *cfg, const char *queue_id,
			struct queue_message *msg, size_t index,
			struct local_outcome *out);

#endif
