/*
 * smtpd.h - private interface of smtpd, the SMTP server.
 *
 * One process serves many sessions from one event loop. A session reads
 * into a bounded input buffer, frames command lines strictly at CRLF
 * (lib/smtp_line), answers each command in order into an output buffer
 * (pipelining, RFC 2920) and flushes it when the input holds no complete
 * command. DATA and BDAT stream the message into the queue writer through
 * the dot-stuffing filter (lib/dot_stuff) in bounded chunks.
 *
 * Over a Unix socket (the public "pickup" service) the same protocol is the
 * local submission path for the sendmail command: the client is identified
 * by its uid (SO_PEERCRED) and may relay like a mynetworks client.
 *
 * Every byte goes through a lib/stream, plain or TLS: STARTTLS (RFC 3207)
 * or TLS from the first byte (smtpd_tls_wrappermode, RFC 8314). SMTP AUTH
 * (RFC 4954) PLAIN and LOGIN check passwords against the users table in a
 * worker thread; an authenticated client may relay.
 */
#ifndef MR_SMTPD_H
#define MR_SMTPD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/auth_fail.h"
#include "lib/buf.h"
#include "lib/cidr.h"
#include "lib/client_count.h"
#include "lib/dot_stuff.h"
#include "lib/event.h"
#include "lib/hop_count.h"
#include "lib/queue_write.h"
#include "lib/server.h"
#include "lib/smtp_cmd.h"
#include "lib/smtp_line.h"
#include "lib/stream.h"
#include "lib/tls.h"

/* Input buffer: at least one command line; DATA streams through it. */
#define SMTPD_IN_MAX (64u * 1024)
/* Replies pile up here while a pipelined batch is answered. */
#define SMTPD_OUT_MAX (1024u * 1024)
/* Stop reading commands while this much output waits for the client. */
#define SMTPD_OUT_HIGH_WATER (64u * 1024)
/* Message content is handed to the queue writer in chunks of this size. */
#define SMTPD_CONTENT_CHUNK (64u * 1024)
/* Worker threads that commit queue files (fsync) for one process. */
#define SMTPD_COMMIT_THREADS 16
/* A generated header line (Received:) is at most this long. */
#define SMTPD_HEADER_MAX 2048
/* Longest client host name or address text kept. */
#define SMTPD_NAME_MAX 256
/*
 * Longest AUTH command or response line, CRLF included. RFC 4954 4:
 * 12288 octets are "a sufficient line length limit for handling of
 * deployed authentication mechanisms"; other commands keep 512.
 */
#define SMTPD_AUTH_LINE_MAX 12288

enum smtpd_state {
	SMTPD_STATE_CMD,	/* reading commands */
	SMTPD_STATE_DATA,	/* after 354: message text up to CRLF.CRLF */
	SMTPD_STATE_BDAT,	/* reading a BDAT chunk of known size */
	SMTPD_STATE_COMMIT,	/* queue file being committed by a worker */
	SMTPD_STATE_CLOSING,	/* flush the output, then close */
	SMTPD_STATE_TLS_START,	/* flush "220 Ready to start TLS", then TLS */
	SMTPD_STATE_TLS,	/* TLS handshake in progress */
	SMTPD_STATE_AUTH_CHECK,	/* password checked by a worker, or the
				   delay before a failure is answered */
};

/* smtpd_tls_security_level */
/* Where an AUTH exchange stands. */
enum smtpd_auth_step {
	SMTPD_AUTH_NONE,	/* no exchange: lines are commands */
	SMTPD_AUTH_PLAIN,	/* "334 " sent, waiting for the PLAIN message */
	SMTPD_AUTH_LOGIN_USER,	/* "334 VXNlcm5hbWU6" sent */
	SMTPD_AUTH_LOGIN_PASS,	/* "334 UGFzc3dvcmQ6" sent */
};

struct smtpd_rcpt {
	char *address;
	char *orcpt_type;
	char *orcpt;
	unsigned notify;	/* QUEUE_NOTIFY_* */
};

/* One mail transaction: MAIL, RCPTs, DATA or BDATs. */
struct smtpd_txn {
	bool active;		/* MAIL accepted */
	char *sender;		/* without <>; "" for the null sender */
	enum smtp_body body;
	enum smtp_ret ret;
	char *envid;
	bool smtputf8;
	struct smtpd_rcpt *rcpts;
	size_t rcpt_count;
	size_t rcpt_cap;
	struct queue_writer *qw;	/* open from DATA/first BDAT on */
	struct dot_stuff ds;
	struct hop_count hops;		/* Received: fields of the content */
	struct buf chunk;		/* content on its way to qw */
	uint64_t bdat_remaining;	/* octets left in this chunk */
	bool bdat_last;			/* this chunk ends the message */
	bool bdat_started;		/* a BDAT was seen this transaction */
	bool failed;			/* content is being discarded */
	const char *fail_reply;		/* reply once the data is in */
	int commit_rc;			/* queue_write_commit, in a worker */
};

/* Per-verb counters for the "disconnect from" log line. */
enum smtpd_stat {
	SMTPD_STAT_HELO, SMTPD_STAT_EHLO, SMTPD_STAT_STARTTLS,
	SMTPD_STAT_AUTH, SMTPD_STAT_MAIL, SMTPD_STAT_RCPT, SMTPD_STAT_DATA,
	SMTPD_STAT_BDAT, SMTPD_STAT_RSET, SMTPD_STAT_NOOP, SMTPD_STAT_QUIT,
	SMTPD_STAT_VRFY, SMTPD_STAT_OTHER, SMTPD_STAT_COUNT,
};

struct smtpd;

struct smtpd_session {
	struct smtpd *sd;
	int fd;
	struct stream st;	/* every read and write, plain or TLS */
	struct event_io *io;
	struct event_timer *timer;
	struct event_defer *pending;	/* read TLS input epoll cannot see */
	struct buf in;
	struct buf out;
	struct smtp_line framer;
	enum smtpd_state state;
	char client_addr[SMTPD_NAME_MAX];	/* "127.0.0.1", "uid 1000" */
	char client_name[SMTPD_NAME_MAX];	/* "unknown", "localhost" */
	char *helo;
	bool esmtp;
	bool is_local;		/* Unix socket: local submission */
	uid_t peer_uid;
	bool may_relay;		/* mynetworks or local submission */
	unsigned errors;
	unsigned stats[SMTPD_STAT_COUNT][2];	/* [verb][ok, failed] */
	struct smtpd_txn txn;
	bool counted;		/* counted in the per-client table */
	bool discard_input;	/* drop buffered input after this command */
	bool peer_gone;		/* EOF while a worker had the session */
	bool refused;		/* greet with 421: too many connections */
	bool greeted;		/* the banner was sent (wrapper mode: after
				   the handshake) */
	char tls_desc[TLS_DESCRIBE_MAX];	/* "" while plain */
	char *sasl_username;	/* after a successful AUTH, lower case */
	const char *sasl_method;	/* "PLAIN" or "LOGIN" */
	enum smtpd_auth_step auth_step;
	char *auth_login_user;	/* LOGIN: the name, until the password */
	struct event_timer *auth_timer;	/* delay before a failure reply */
	const char *auth_delayed_reply;	/* sent when auth_timer fires */
};

struct smtpd {
	struct server *srv;
	struct cidr_list mynetworks;
	char **mydestination;
	char **relay_domains;
	char **virtual_domains;
	char **local_maps;
	char **virtual_maps;
	struct dict **local_dicts;	/* open handles, parallel to the specs */
	struct dict **virtual_dicts;
	struct users *users;
	struct workpool *pool;		/* queue file commits, password checks */
	struct client_count *clients;	/* opened on first use */
	struct auth_fail *auth_failures;	/* opened on first use */
	char **sender_login_maps;	/* smtpd_sender_login_maps */
	struct dict **sender_login_dicts;
	struct tls_ctx *tls;		/* NULL: TLS not available */
	enum tls_level tls_level;
	bool tls_wrapper;		/* smtpd_tls_wrappermode */
	bool sasl_enabled;		/* smtpd_sasl_auth_enable */
};

/* session.c */
void smtpd_session_accept(struct server *srv, int fd);
void smtpd_reply(struct smtpd_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void smtpd_session_close_after_reply(struct smtpd_session *s);
void smtpd_session_resume(struct smtpd_session *s);
void smtpd_txn_reset(struct smtpd_session *s);

/* commands.c */
void smtpd_command(struct smtpd_session *s, const uint8_t *line, size_t n);
void smtpd_count(struct smtpd_session *s, enum smtpd_stat stat, bool ok);

/* commands.c: "ESMTP", "ESMTPS", "ESMTPSA", "UTF8SMTPS", ... (RFC 3848) */
const char *smtpd_protocol(const struct smtpd_session *s);

/* cmd_starttls.c */
void smtpd_tls_init(struct smtpd *sd);
void smtpd_tls_deinit(struct smtpd *sd);
bool smtpd_tls_is_offered(const struct smtpd_session *s);
bool smtpd_tls_is_required(const struct smtpd_session *s);
void cmd_starttls(struct smtpd_session *s, struct smtp_cmd *cmd);
/*
 * smtpd_tls_begin - put TLS under the session (after 220 was flushed, or
 * at connect in wrapper mode): state SMTPD_STATE_TLS; the caller drives
 * the handshake with smtpd_tls_step.
 */
void smtpd_tls_begin(struct smtpd_session *s);
/*
 * smtpd_tls_step - drive the handshake: 1 done (the session starts over:
 * EHLO again), 0 in progress, -1 failed (logged; the caller closes).
 */
int smtpd_tls_step(struct smtpd_session *s);

/* cmd_auth.c */
bool smtpd_auth_is_offered(const struct smtpd_session *s);
void cmd_auth(struct smtpd_session *s, struct smtp_cmd *cmd);
/* smtpd_auth_line - one client line while an AUTH exchange is open */
void smtpd_auth_line(struct smtpd_session *s, const uint8_t *line, size_t n,
		     unsigned flags);
/* smtpd_auth_reset - forget the login and any exchange (STARTTLS, close) */
void smtpd_auth_reset(struct smtpd_session *s);

/* cmd_mail.c, cmd_rcpt.c */
void cmd_mail(struct smtpd_session *s, struct smtp_cmd *cmd);
void cmd_rcpt(struct smtpd_session *s, struct smtp_cmd *cmd);

/* cmd_data.c */
void cmd_data(struct smtpd_session *s, struct smtp_cmd *cmd);
void cmd_bdat(struct smtpd_session *s, struct smtp_cmd *cmd);
size_t smtpd_data_feed(struct smtpd_session *s, const uint8_t *p, size_t n);
size_t smtpd_bdat_feed(struct smtpd_session *s, const uint8_t *p, size_t n);

/* policy.c */
void smtpd_policy_init(struct smtpd *sd);
void smtpd_policy_deinit(struct smtpd *sd);
/*
 * smtpd_policy_rcpt - whether addr (already parsed and formatted) may be a
 * recipient in this session. Returns 0 to accept, or -1 with the full
 * reply text in *reply_r (static or in reply_buf).
 */
int smtpd_policy_rcpt(struct smtpd_session *s, const struct addr *a,
		      const char *formatted, char *reply_buf,
		      size_t reply_size, const char **reply_r);
/*
 * smtpd_policy_sender - Postfix's reject_sender_login_mismatch with
 * smtpd_sender_login_maps. Returns 0 to accept, or -1 with the reply in
 * *reply_r (in reply_buf).
 */
int smtpd_policy_sender(struct smtpd_session *s, const struct addr *a,
			const char *formatted, char *reply_buf,
			size_t reply_size, const char **reply_r);
bool smtpd_policy_client_allowed(struct smtpd *sd, struct smtpd_session *s);
void smtpd_policy_client_release(struct smtpd *sd, struct smtpd_session *s);
/* smtpd_policy_auth_is_blocked - the client used up its failed AUTHs */
bool smtpd_policy_auth_is_blocked(struct smtpd_session *s);
/* smtpd_policy_auth_failed - count a failed AUTH; true when now blocked */
bool smtpd_policy_auth_failed(struct smtpd_session *s);

#endif
