/*
 * qmgr.h - qmgr's private interface: the scheduler's state and the
 * functions its topic files share.
 *
 *   policy.c    pure decisions: routing, back-off, expiry, request limits
 *   scan.c      periodic and wakeup-driven scans of deferred/ and active/
 *   message.c   in-memory messages: load, result bookkeeping, finish
 *               (bounce, defer, remove)
 *   schedule.c  destinations (transport + next hop), request entries and
 *               the dispatch loop with per-destination concurrency
 *   agent.c     connections to the delivery agents (lib/deliver_proto.h)
 *
 * Memory is bounded by qmgr_message_active_limit messages: envelope
 * summary and pending recipients only, never the content (docs/qmgr.md).
 */
#ifndef MR_QMGR_H
#define MR_QMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/deliver_proto.h"
#include "lib/event.h"
#include "lib/queue.h"

struct server;
struct ipc_conn;
struct dict;

/* At most one wakeup-driven scan of active/ per this many milliseconds. */
#define QMGR_SCAN_COALESCE_MS 100
/* A wakeup connection must deliver its frame within this time. */
#define QMGR_WAKEUP_TIMEOUT_MS 5000
/* Open wakeup connections at a time; more are closed at once. */
#define QMGR_WAKEUP_CONN_MAX 64
/* Agent connections per transport (Postfix's default_process_limit). */
#define QMGR_TRANSPORT_CONN_MAX 100
/* One delivery request may take this long before qmgr gives up on it. */
#define QMGR_DELIVER_TIMEOUT_MS (3600u * 1000)
/* An idle agent connection is closed after this long. */
#define QMGR_CONN_IDLE_MS (60u * 1000)
/* Retry after a full agent listen queue (connect EAGAIN). */
#define QMGR_CONNECT_RETRY_MS 1000
/* Sends of one request entry before its recipients are deferred. */
#define QMGR_ENTRY_ATTEMPTS_MAX 2

/* Transports (master.cf services private/NAME) qmgr knows at a time. */
#define QMGR_TRANSPORT_MAX 32
/* Longest transport name. */
#define QMGR_TRANSPORT_NAME_MAX 32

/* Where a recipient stands in this pass through the active queue. */
enum qmgr_rcpt_state {
	QMGR_RCPT_TODO,		/* not yet in a request entry */
	QMGR_RCPT_BUSY,		/* in an entry, no result yet */
	QMGR_RCPT_SENT,		/* delivered, marked in the file */
	QMGR_RCPT_DEFERRED,	/* temporary failure: retry later */
	QMGR_RCPT_BOUNCED,	/* permanent failure, marked in the file */
};

/*
 * qmgr_route_lookup_fn - look key up in transport_maps: 1 with *value_r,
 * 0 when absent, -1 on a table error.
 */
typedef int qmgr_route_lookup_fn(void *ctx, const char *key,
				 const char **value_r);

/* Routing inputs (read-only configuration). */
struct qmgr_route_config {
	char **local_domains;	/* mydestination, lower case */
	char **virtual_domains;	/* virtual_mailbox_domains, lower case */
	const char *relayhost;	/* "" when unset */
	const char *myhostname;
	const char *default_transport;	/* "smtp" or "smtp:nexthop" */
	qmgr_route_lookup_fn *lookup;	/* NULL: no transport_maps */
	void *lookup_ctx;
};

/* Where a recipient goes. */
struct qmgr_route {
	char transport[QMGR_TRANSPORT_NAME_MAX + 1];
	char nexthop[DELIVER_NEXTHOP_MAX + 1];
};

/* One recipient of a loaded message. */
struct qmgr_rcpt {
	char *address;
	char *text;		/* BOUNCED, DEFERRED: diagnostic or NULL */
	char *relay;		/* BOUNCED: the agent's relay; else NULL */
	uint32_t index;		/* index in the queue file */
	uint8_t state;		/* enum qmgr_rcpt_state */
	char dsn[DELIVER_DSN_MAX + 1];	/* BOUNCED, DEFERRED: status or "" */
};

/* A message loaded from active/ (never its content). */
struct qmgr_message {
	struct qmgr_message *hash_next;
	char id[QUEUE_ID_SIZE];
	uint64_t arrival_us;
	char *sender;
	struct qmgr_rcpt *rcpts;
	size_t rcpt_count;
	size_t entries;		/* request entries queued or in flight */
	bool gone;		/* file vanished or refused: drop, touch nothing */
};

struct qmgr_dest;

/* One delivery request to be: up to rcpt_limit recipients of one message. */
struct qmgr_entry {
	struct qmgr_entry *next;	/* destination queue */
	struct qmgr_message *msg;
	struct qmgr_dest *dest;
	uint32_t *slots;	/* indexes into msg->rcpts */
	size_t slot_count;
	size_t slot_cap;
	unsigned attempts;
};

/* A destination: transport plus next hop, with its request queue. */
struct qmgr_dest {
	struct qmgr_dest *hash_next;
	struct qmgr_dest *ready_prev, *ready_next;
	bool on_ready;
	unsigned transport;	/* index into qmgr.transports */
	char *nexthop;
	struct qmgr_entry *queue_head, *queue_tail;
	size_t queued;
	size_t busy;		/* requests in flight */
};

struct qmgr_conn;

/* Per transport: its agent connections. */
struct qmgr_transport {
	char *name;		/* "local", "smtp": socket private/NAME */
	size_t dest_concurrency;
	size_t conn_count;
	struct qmgr_conn *idle;	/* doubly linked through idle_prev/next */
	struct qmgr_conn *all;	/* every connection, through all_prev/next */
};

/* The scheduler. */
struct qmgr {
	struct event_loop *loop;
	const char *queue_dir;
	struct qmgr_route_config route;
	bool notify_2bounce;
	size_t message_limit;
	size_t rcpt_limit;	/* recipients per request */

	struct qmgr_message **msg_hash;
	size_t msg_hash_size;	/* power of two */
	size_t message_count;
	bool active_more;	/* a scan stopped at message_limit */

	struct qmgr_dest **dest_hash;
	size_t dest_hash_size;	/* power of two */
	size_t dest_count;
	struct qmgr_dest *ready_head, *ready_tail;
	struct qmgr_transport transports[QMGR_TRANSPORT_MAX];
	size_t transport_count;
	char **transport_specs;		/* transport_maps */
	struct dict **transport_dicts;	/* parallel; opened on first use */
	struct event_defer *schedule_defer;
	struct event_timer *retry_timer;

	struct event_timer *run_timer;	/* every queue_run_delay */
	struct event_timer *scan_timer;	/* coalesced active/ scan */
	uint64_t last_scan_ms;
	bool scanned;
	size_t wakeup_conns;
};

/* ---- policy.c: pure decisions ---- */

/*
 * qmgr_route - transport and next hop for address into *r. Defaults: a
 * domain in local_domains or virtual_domains goes to "local" with the
 * domain as next hop (an address without a domain with myhostname); any
 * other to default_transport with relayhost when set, else the domain
 * (a next hop in default_transport wins over relayhost). Then
 * transport_maps, when it matches (full address, domain, ".parent"
 * domains, "*"), replaces the transport and/or next hop ("smtp:[h]:25",
 * "relay:", ":[h]"; an empty next hop means the recipient domain). Next
 * hops are lower case. Returns 0, or -1 with *error_r (static) when a next
 * hop does not fit DELIVER_NEXTHOP_MAX, a transport name is invalid or a
 * table lookup failed (the recipient waits for a later try).
 */
int qmgr_route(const struct qmgr_route_config *cfg, const char *address,
	       struct qmgr_route *r, const char **error_r);

/*
 * qmgr_transport_name_is_valid - whether len bytes at name are a transport
 * name: 1 to QMGR_TRANSPORT_NAME_MAX of [a-z0-9._-], not starting with '.'
 * (it becomes the socket file private/NAME).
 */
bool qmgr_transport_name_is_valid(const char *name, size_t len);

/*
 * qmgr_backoff_s - Postfix's retry delay for a message of age_s seconds:
 * the age clamped to [min_s, max_s] (min_s wins if max_s < min_s).
 */
int64_t qmgr_backoff_s(int64_t age_s, int64_t min_s, int64_t max_s);

/*
 * qmgr_is_expired - whether a message of age_s seconds has outlived its
 * queue lifetime: bounce_lifetime_s for the null sender, else
 * max_lifetime_s. A lifetime of 0 expires at the first deferral.
 */
bool qmgr_is_expired(int64_t age_s, bool null_sender, int64_t max_lifetime_s,
		     int64_t bounce_lifetime_s);

/*
 * qmgr_can_warn_delay - whether a deferred recipient with RFC 3461 NOTIFY
 * flags notify_flags (QUEUE_NOTIFY_*) of a message from sender ("": null
 * sender), age_s seconds old, gets a delay warning now: warnings are on
 * (warning_time_s > 0), the message is at least that old, none was sent
 * for it yet (warned), and dsn_notify_decide says SEND for "delayed" (so
 * never for the null sender or double_bounce_sender).
 */
bool qmgr_can_warn_delay(int64_t age_s, int64_t warning_time_s, bool warned,
			 const char *sender, unsigned int notify_flags,
			 const char *double_bounce_sender);

/*
 * qmgr_rcpt_limit - recipients per request: param clamped to
 * [1, DELIVER_MAX_RCPTS].
 */
size_t qmgr_rcpt_limit(int64_t param);


/* ---- qmgr.c-level lifecycle (schedule.c) ---- */

/*
 * qmgr_new - the scheduler for queue_dir on loop, configured from the
 * param_* variables; the lists in route are parsed here. Never NULL.
 */
struct qmgr *qmgr_new(struct event_loop *loop, const char *queue_dir);

/*
 * qmgr_free - drop everything in memory (connections closed, messages
 * forgotten; their files stay where they are) and NULL *q.
 */
void qmgr_free(struct qmgr **q);

/* ---- scan.c ---- */

/* qmgr_scan_start - the first full scan now, then every queue_run_delay. */
void qmgr_scan_start(struct qmgr *q);

/* qmgr_scan_request - scan active/ soon (at most once per coalesce gap). */
void qmgr_scan_request(struct qmgr *q);

/* qmgr_scan_deferred - move deferred/ files whose time has come to active/. */
void qmgr_scan_deferred(struct qmgr *q);

/* qmgr_scan_active - load new active/ files up to the message limit. */
void qmgr_scan_active(struct qmgr *q);

/* qmgr_wakeup_accept - a connection on private/qmgr; takes fd. */
void qmgr_wakeup_accept(struct qmgr *q, int fd);

/* ---- message.c ---- */

/* qmgr_message_find - the loaded message id, or NULL. */
struct qmgr_message *qmgr_message_find(struct qmgr *q, const char *id);

/*
 * qmgr_message_load - read active/id and queue its pending recipients.
 * A corrupt file goes to corrupt/; a vanished one is ignored; an I/O error
 * is logged and the file waits for the next scan. Returns 0 when loaded
 * (possibly already finished), -1 otherwise.
 */
int qmgr_message_load(struct qmgr *q, const char *id);

/*
 * qmgr_message_results - record the agent's results for entry: each one
 * durably marked in the file first (sent: delivered, bounced: bounced),
 * then kept in memory; recipients of entry without a result are deferred.
 */
void qmgr_message_results(struct qmgr *q, struct qmgr_entry *entry,
			  const struct deliver_result *res);

/*
 * qmgr_entry_defer - defer every unanswered recipient of entry, logging
 * each in Postfix's form with dsn and text (no agent logged them).
 */
void qmgr_entry_defer(struct qmgr *q, struct qmgr_entry *entry,
		      const char *dsn, const char *text);

/*
 * qmgr_message_finish - no work left: expire, bounce, then move the file
 * to deferred/ with its retry time or remove it; frees msg.
 */
void qmgr_message_finish(struct qmgr *q, struct qmgr_message *msg);

/* qmgr_message_free - forget msg (unlinked from the table by the caller). */
void qmgr_message_free(struct qmgr_message **msg);

/* qmgr_message_unlink - take msg out of the table. */
void qmgr_message_unlink(struct qmgr *q, struct qmgr_message *msg);

/* ---- schedule.c ---- */

/*
 * qmgr_schedule_message - group msg's TODO recipients by destination into
 * entries of at most rcpt_limit recipients and queue them. Recipients that
 * cannot be routed are deferred. A message left without entries is
 * finished at once.
 */
void qmgr_schedule_message(struct qmgr *q, struct qmgr_message *msg);

/* qmgr_schedule_kick - run the dispatch loop at the next iteration. */
void qmgr_schedule_kick(struct qmgr *q);

/* qmgr_schedule_run - dispatch queued entries as concurrency allows. */
void qmgr_schedule_run(struct qmgr *q);

/*
 * qmgr_entry_done - entry's request is over (results recorded or deferred):
 * release it, and finish its message when it was the last entry.
 */
void qmgr_entry_done(struct qmgr *q, struct qmgr_entry *entry);

/* qmgr_entry_requeue - put an abandoned request back at its queue's head. */
void qmgr_entry_requeue(struct qmgr *q, struct qmgr_entry *entry);

/*
 * qmgr_transport_index - the index of transport name in q->transports,
 * added on first use with its destination concurrency (local_, smtp_ or
 * default_destination_concurrency_limit). -1 when QMGR_TRANSPORT_MAX are
 * in use.
 */
int qmgr_transport_index(struct qmgr *q, const char *name);

/* qmgr_dest_find - the destination (transport, nexthop), or NULL. */
struct qmgr_dest *qmgr_dest_find(struct qmgr *q,
				 unsigned transport,
				 const char *nexthop);

/* ---- agent.c ---- */

/* What qmgr_agent_get found. */
enum qmgr_agent_get {
	QMGR_AGENT_OK,
	QMGR_AGENT_BUSY,	/* at the connection cap or listen queue full */
	QMGR_AGENT_UNAVAILABLE, /* no socket, refused: defer the recipients */
};

/*
 * qmgr_agent_get - an idle connection to transport's agent, or a new one.
 * Returns OK with *conn_r set, or BUSY / UNAVAILABLE (logged).
 */
enum qmgr_agent_get qmgr_agent_get(struct qmgr *q,
				   unsigned transport,
				   struct qmgr_conn **conn_r);

/* qmgr_agent_send - send entry's request on conn (one in flight). */
void qmgr_agent_send(struct qmgr *q, struct qmgr_conn *conn,
		     struct qmgr_entry *entry);

/* qmgr_agent_close_all - close every agent connection (shutdown). */
void qmgr_agent_close_all(struct qmgr *q);

#endif
