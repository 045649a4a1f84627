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
 */
#ifndef MR_SMTPD_H
#define MR_SMTPD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "lib/cidr.h"
#include "lib/client_count.h"
#include "lib/dot_stuff.h"
#include "lib/event.h"
#include "lib/queue_write.h"
#include "lib/server.h"
#include "lib/smtp_cmd.h"
#include "lib/smtp_line.h"

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

enum smtpd_state {
	SMTPD_STATE_CMD,	/* reading commands */
	SMTPD_STATE_DATA,	/* after 354: message text up to CRLF.CRLF */
	SMTPD_STATE_BDAT,	/* reading a BDAT chunk of known size */
	SMTPD_STATE_COMMIT,	/* queue file being committed by a worker */
	SMTPD_STATE_CLOSING,	/* flush the output, then close */
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
	struct event_io *io;
	struct event_timer *timer;
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
	bool peer_gone;		/* EOF while a commit was in flight */
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
	struct workpool *pool;		/* queue file commits */
	struct client_count *clients;	/* opened on first use */
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
bool smtpd_policy_client_allowed(struct smtpd *sd, struct smtpd_session *s);
void smtpd_policy_client_release(struct smtpd *sd, struct smtpd_session *s);

#endif
