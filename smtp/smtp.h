/*
 * smtp.h - private interface of smtp, the SMTP delivery client.
 *
 * One process serves many qmgr connections from one event loop. Each
 * connection carries one delivery request at a time (lib/deliver_proto.h).
 * A delivery finds the next hop's servers (lib/dns, or an address literal),
 * tries them in order until one takes the message, and answers qmgr with a
 * result per recipient. Sessions that end cleanly wait in a per-process
 * cache for the next message to the same next hop.
 *
 *   main.c      wiring: the server skeleton, per-process state
 *   agent.c     qmgr connections: request in, result out
 *   deliver.c   one delivery: next hop, DNS, targets, results, logging
 *   session.c   one SMTP session: connect, EHLO, STARTTLS, transactions
 *   content.c   message content on the wire: CRLF, dot-stuffing
 *   cache.c     idle sessions by next hop
 *
 * Untrusted input: everything a remote server sends (through
 * lib/smtp_reply, bounded), DNS answers (lib/dns), and qmgr's requests
 * (checked by lib/deliver_proto and against the queue file).
 */
#ifndef MR_SMTP_H
#define MR_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/buf.h"
#include "lib/deliver_proto.h"
#include "lib/dns.h"
#include "lib/event.h"
#include "lib/nexthop.h"
#include "lib/queue.h"
#include "lib/smtp_reply.h"

struct server;
struct ipc_conn;
struct ipc_frame;
struct queue_message;
struct tls_ctx;
struct tls_conn;

/* Reply bytes buffered from a server before a line must be complete. */
#define SMTP_IN_MAX (SMTP_REPLY_LINE_MAX + 2)
/* Message content is encoded ahead of the socket up to this much. */
#define SMTP_OUT_HIGH_WATER (256u * 1024)
/* Idle sessions kept by one process, all next hops together. */
#define SMTP_CACHE_MAX 1000
/* Longest "host[address]:port" text. */
#define SMTP_PEER_MAX (DNS_NAME_MAX + 64)
/* Targets (server addresses) one delivery may try. */
#define SMTP_TARGETS_MAX (DNS_HOSTS_MAX * 2)

/* smtp_tls_security_level */
enum smtp_tls_level {
	SMTP_TLS_NONE,
	SMTP_TLS_MAY,
	SMTP_TLS_ENCRYPT,
	SMTP_TLS_VERIFY,
};

/* Per process. */
struct smtp_server {
	struct server *srv;
	struct event_loop *loop;
	struct dns_resolver *dns;
	struct tls_ctx *tls;		/* NULL at level none */
	enum smtp_tls_level tls_level;
	const char *helo_name;
	unsigned port;			/* smtp_port */
	unsigned families;		/* DNS_FAMILY_* from inet_protocols */
	struct smtp_self *self;		/* our own listeners (self.c) */
	struct smtp_session *cache_head;	/* idle sessions, oldest first */
	struct smtp_session *cache_tail;
	size_t cache_count;
};

/* One qmgr connection. */
struct smtp_agent {
	struct smtp_server *sv;
	struct ipc_conn *ipc;
	struct smtp_delivery *dlv;	/* the request in progress, or NULL */
};

/* What became of one recipient in this delivery. */
struct smtp_rcpt {
	uint32_t index;			/* in the queue file */
	const char *address;		/* the queue file's, owned by msg */
	bool done;			/* final for this delivery */
	bool accepted;			/* RCPT got 2xx in this transaction */
	enum deliver_status status;
	char dsn[DELIVER_DSN_MAX + 1];
	char text[DELIVER_TEXT_MAX + 1];
	char relay[DELIVER_RELAY_MAX + 1];
};

/* One server address to try. */
struct smtp_target {
	char host[DNS_NAME_MAX + 1];
	struct dns_addr addr;
	bool no_tls;			/* retry without STARTTLS (level may) */
};

/* One delivery request. */
struct smtp_delivery {
	struct smtp_server *sv;
	struct smtp_agent *agent;
	uint32_t request_id;
	char queue_id[QUEUE_ID_SIZE];
	char nexthop_text[DELIVER_NEXTHOP_MAX + 1];
	struct nexthop nh;
	struct queue_message *msg;
	struct smtp_rcpt *rcpts;
	size_t rcpt_count;
	size_t undone;			/* recipients not yet final */
	struct dns_query *dq;
	struct smtp_target *targets;
	size_t target_count;
	size_t next_target;
	unsigned sessions;		/* sessions that got a greeting */
	struct smtp_session *sess;
	bool needs_smtputf8;		/* the envelope is not ASCII */
	struct smtp_downgrade *downgrade;	/* 8-bit to 7-bit, or NULL */
	/* The last failure that affects every recipient still undone. */
	char fail_dsn[DELIVER_DSN_MAX + 1];
	char fail_text[DELIVER_TEXT_MAX + 1];
	bool fail_permanent;
	char relay[DELIVER_RELAY_MAX + 1];	/* "host[addr]:port" or "none" */
	uint64_t start_ms;		/* request received */
	uint64_t conn_ms;		/* session ready */
	double queue_delay_s;		/* arrival to request */
	struct event_defer *defer;	/* the next step, from the loop */
};

/* agent.c */
void smtp_agent_accept(struct server *srv, int fd);
/* smtp_agent_result - send dlv's result to qmgr; the agent takes the next */
void smtp_agent_result(struct smtp_agent *agent, struct smtp_delivery *dlv);

/* deliver.c */
/*
 * smtp_delivery_start - a decoded request from agent: returns the
 * delivery (it answers through smtp_agent_result), or NULL when the
 * request must close the connection (an index out of range: logged).
 */
struct smtp_delivery *smtp_delivery_start(struct smtp_agent *agent,
					  uint32_t request_id,
					  const struct deliver_request *req);
/* smtp_delivery_abort - the agent went away: stop, answer nobody. */
void smtp_delivery_abort(struct smtp_delivery **dlv);
/* smtp_delivery_free - release a delivery whose result was sent. */
void smtp_delivery_free(struct smtp_delivery **dlv);
/* smtp_delivery_session_ready - sess can take a transaction now. */
void smtp_delivery_session_ready(struct smtp_delivery *dlv);
/*
 * smtp_delivery_session_failed - sess died or was refused before the
 * transaction ended (it is freed already); dsn/text say why and whether
 * another server may be tried (next) or the delivery must stop.
 */
void smtp_delivery_session_failed(struct smtp_delivery *dlv, const char *dsn,
				  const char *text, bool next);
/* smtp_delivery_txn_done - the transaction is over; sess was released. */
void smtp_delivery_txn_done(struct smtp_delivery *dlv);
/* smtp_rcpt_final - record a recipient's final result in this delivery. */
void smtp_rcpt_final(struct smtp_delivery *dlv, struct smtp_rcpt *r,
		     enum deliver_status status, const char *dsn,
		     const char *text);

/* session.c */
struct smtp_session;
/*
 * smtp_session_connect - a new session to target for dlv; reports through
 * smtp_delivery_session_ready / _failed (never from inside this call).
 */
struct smtp_session *smtp_session_connect(struct smtp_delivery *dlv,
					  const struct smtp_target *target);
/* smtp_session_reuse - a cached session for dlv: RSET, then ready. */
void smtp_session_reuse(struct smtp_session *s, struct smtp_delivery *dlv);
/* smtp_session_send - run one mail transaction for dlv on its session. */
void smtp_session_send(struct smtp_session *s);
/*
 * smtp_session_release - the delivery is done with s: into the cache
 * under key when reusable, else QUIT and close.
 */
void smtp_session_release(struct smtp_session *s, const char *key);
/* smtp_session_abandon - the owner is gone: close s, whatever it did. */
void smtp_session_abandon(struct smtp_session *s);
/* smtp_session_close_cache - close every idle session (process exit). */
void smtp_session_close_cache(struct smtp_server *sv);
/* smtp_session_cache_take - an idle session for key, or NULL. */
struct smtp_session *smtp_session_cache_take(struct smtp_server *sv,
					     const char *key);
/* smtp_session_peer - "host[addr]:port" of s. */
const char *smtp_session_peer(const struct smtp_session *s);
/* smtp_session_features - the server's SMTP_EXT_* extensions. */
unsigned smtp_session_features(const struct smtp_session *s);
/* smtp_session_size_limit - the server's SIZE limit, 0 when none. */
uint64_t smtp_session_size_limit(const struct smtp_session *s);

/* content.c */
/* Dot-stuffing and line-end state across content chunks. */
struct smtp_content {
	bool line_start;	/* the next byte starts a line */
	bool cr;		/* a CR was seen and not yet written */
};
void smtp_content_init(struct smtp_content *c);
/* smtp_content_encode - n bytes of message content onto out, SMTP-ready. */
void smtp_content_encode(struct smtp_content *c, const uint8_t *p, size_t n,
			 struct buf *out);
/* smtp_content_finish - the line end if missing, then ".\r\n". */
void smtp_content_finish(struct smtp_content *c, struct buf *out);

/* downgrade.c: 8-bit MIME to quoted-printable (three passes) */
struct smtp_downgrade;
struct smtp_downgrade *smtp_downgrade_new(void);
void smtp_downgrade_free(struct smtp_downgrade **d);
/* pass 1: the content, in order, then smtp_downgrade_parsed */
void smtp_downgrade_parse(struct smtp_downgrade *d, const uint8_t *p,
			  size_t n);
void smtp_downgrade_parsed(struct smtp_downgrade *d);
/* pass 2: the content again, then smtp_downgrade_plan (edits; 0: none) */
void smtp_downgrade_check(struct smtp_downgrade *d, const uint8_t *p,
			  size_t n);
size_t smtp_downgrade_plan(struct smtp_downgrade *d);
/* pass 3: the content once more, converted onto out */
void smtp_downgrade_feed(struct smtp_downgrade *d, const uint8_t *p, size_t n,
			 struct buf *out);
void smtp_downgrade_finish(struct smtp_downgrade *d, struct buf *out);

/* self.c: whether an MX host is this mail system itself. */
struct smtp_self;

/* smtp_self_new - the inet smtpd listeners of master.cf (never NULL). */
struct smtp_self *smtp_self_new(void);

/* smtp_self_free - release; NULLs *self. */
void smtp_self_free(struct smtp_self **self);

/* smtp_self_is - whether addr on port reaches one of those listeners. */
bool smtp_self_is(const struct smtp_self *self, const struct dns_addr *addr,
		  unsigned port);

#endif
