/*
 * pop3d.h - private interface of pop3d, the POP3 server (RFC 1939,
 * RFC 2449, RFC 5034).
 *
 * One process serves many sessions from one event loop. A session reads
 * into a bounded input buffer, frames lines (lib/pop3_cmd), answers each
 * command in order into a bounded output buffer (PIPELINING, RFC 2449 6.6)
 * and flushes it. Multi-line answers (LIST, UIDL, RETR, TOP) are produced
 * by a generator that fills the output buffer up to a mark and resumes
 * when the client has read it, so a 1 GB message or a 1,000,000-line LIST
 * never needs more than POP3D_OUT_MAX octets of memory.
 *
 * Every byte goes through a lib/stream, plain or TLS: STLS (RFC 2595 4)
 * or TLS from the first byte (pop3d_tls_wrappermode, the pop3s port,
 * RFC 8314). A password is taken only where it cannot be overheard
 * (pop3d_plaintext_allowed): over TLS, or from loopback when the TLS
 * level is not encrypt, or anywhere with disable_plaintext_auth = no.
 *
 * Blocking work leaves the loop thread: password checks run in the auth
 * worker (one thread, owner of the users table handle: crypt costs tens of
 * milliseconds), opening and syncing the mailbox and the UPDATE state's
 * deletions in the mailbox workers. A session waits (reads nothing more)
 * while a job runs; a job's data belongs to the job until its done
 * function runs in the loop thread.
 */
#ifndef MR_POP3D_H
#define MR_POP3D_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/dot_encode.h"
#include "lib/event.h"
#include "lib/login_cache.h"
#include "lib/login_delay.h"
#include "lib/mailstore.h"
#include "lib/pop3_cmd.h"
#include "lib/sasl_plain.h"
#include "lib/server.h"
#include "lib/stream.h"
#include "lib/tls.h"
#include "lib/users.h"
#include "lib/workpool.h"

/* Input buffer: the longest line (an AUTH response) and pipelined ones. */
#define POP3D_IN_MAX (2 * POP3_SASL_LINE_MAX)
/* Output buffer: replies and the chunks of multi-line answers. */
#define POP3D_OUT_MAX (256u * 1024)
/* Commands run only while less than this waits for the client. */
#define POP3D_OUT_HIGH_WATER (64u * 1024)
/* A generator stops filling when less room than this is left. */
#define POP3D_OUT_FILL_RESERVE 1024
/* Message file read size for RETR and TOP. */
#define POP3D_READ_CHUNK (64u * 1024)
/* Unknown or refused commands before the session is closed. */
#define POP3D_BAD_COMMANDS_MAX 20
/* Failed logins in one session before it is closed. */
#define POP3D_AUTH_FAILURES_MAX 3
/* Worker threads that open and sync mailboxes. */
#define POP3D_MAILBOX_THREADS 4
/* The per-Maildir lock that allows one POP3 session at a time. */
#define POP3D_LOCK_FILE "mailroom-pop3.lock"
/* Longest reply line we build, CR LF included. */
#define POP3D_REPLY_MAX 1024
/* Longest client address text kept. */
#define POP3D_ADDR_MAX 64
/* RFC 1939 7: a unique-id is 1 to 70 characters 0x21..0x7e. */
#define POP3D_UIDL_MAX 70
/* Longest ", TLS handshaking: SSL_accept() failed: ..." log element. */
#define POP3D_SECURITY_MAX (TLS_ERROR_MAX + 64)

enum pop3d_state {
	POP3D_STATE_AUTH,	/* AUTHORIZATION: USER/PASS, AUTH, CAPA */
	POP3D_STATE_SASL,	/* AUTH PLAIN sent "+ ": a response line next */
	POP3D_STATE_BUSY,	/* a worker job or a failed-login delay */
	POP3D_STATE_TRANSACTION,
	POP3D_STATE_CLOSING,	/* flush the output, then close */
	POP3D_STATE_TLS_START,	/* flush "+OK Begin TLS", then TLS */
	POP3D_STATE_TLS,	/* TLS handshake in progress */
};

/* pop3d_tls_security_level */
/* What the output generator is producing. */
enum pop3d_gen {
	POP3D_GEN_NONE,
	POP3D_GEN_LIST,		/* "n size" lines */
	POP3D_GEN_UIDL,		/* "n uid" lines */
	POP3D_GEN_MSG,		/* RETR or TOP from a message file */
};

/* TOP's cut of a message: headers, the empty line, n body lines. */
struct pop3d_top {
	bool enabled;
	bool in_body;		/* past the empty line */
	bool bol;		/* at the start of a line */
	bool bol_cr;		/* a CR first on the line (maybe "\r\n") */
	uint32_t lines_left;	/* body lines still to send */
	bool done;		/* nothing more to send */
};

struct pop3d;
struct pop3d_job;

struct pop3d_session {
	struct pop3d *pd;
	int fd;
	struct stream st;		/* all I/O, plain or TLS */
	struct event_io *io;
	struct event_timer *timer;	/* pop3d_timeout */
	struct event_timer *delay;	/* failed-login delay */
	struct event_defer *pending;	/* TLS input epoll cannot see */
	struct buf in;
	struct buf out;
	struct pop3_line framer;
	enum pop3d_state state;
	char addr[POP3D_ADDR_MAX];	/* client address text */
	char local_addr[POP3D_ADDR_MAX];
	bool loopback;			/* 127.0.0.0/8 or ::1 */
	bool greeted;			/* banner sent (pop3s: after the
					   handshake) */
	char tls_error[TLS_ERROR_MAX];	/* why the handshake failed */
	char *user;			/* USER argument, or the login */
	const char *method;		/* "USER" or "PLAIN" */
	bool logged_in;
	unsigned bad_commands;
	unsigned auth_failures;
	struct pop3d_job *job;		/* running worker job */
	bool input_eof;			/* the client sends no more */
	bool peer_gone;			/* output cannot be delivered */
	const char *close_reason;	/* for the Disconnected line */
	char close_text[POP3D_SECURITY_MAX];	/* a reason built here */

	/* TRANSACTION: the mailbox as it was at login. */
	struct mailstore *ms;
	struct mailstore_folder *folder;
	int lock_fd;
	bool *deleted;
	size_t msg_count;
	size_t deleted_count;		/* marked now */
	size_t removed_count;		/* removed at QUIT */
	uint64_t total_vsize;		/* all messages at login */

	/* The output generator. */
	enum pop3d_gen gen;
	size_t gen_next;		/* LIST/UIDL: next index */
	int msg_fd;			/* RETR/TOP: the open file */
	struct buf msg_buf;		/* read but not yet encoded */
	struct dot_encode enc;
	struct pop3d_top top;
	uint64_t *gen_bytes;		/* stats counter to add to */

	/* Logout statistics (Dovecot's pop3_logout_format). */
	unsigned top_count, retr_count;
	uint64_t top_bytes, retr_bytes;
};

struct pop3d {
	struct server *srv;
	struct users *users;		/* the auth worker's only */
	struct login_cache *login_cache;	/* the auth worker's only */
	struct workpool *auth_pool;	/* one thread: owns users */
	struct workpool *mailbox_pool;
	struct login_delay *delays;
	struct tls_ctx *tls;		/* NULL: TLS not available */
	enum tls_level tls_level;
	bool tls_wrapper;		/* pop3d_tls_wrappermode */
};

/* session.c */
void pop3d_session_accept(struct server *srv, int fd);
void pop3d_reply(struct pop3d_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pop3d_session_close_after_reply(struct pop3d_session *s,
				     const char *reason);
void pop3d_session_resume(struct pop3d_session *s);
/*
 * pop3d_session_security - Dovecot's log element for how the connection
 * is protected, with its leading ", ": ", TLS", ", TLS handshaking" (with
 * the reason when the handshake failed), ", secured" (loopback, where
 * passwords are allowed in clear) or "" into out (size octets).
 */
void pop3d_session_security(const struct pop3d_session *s, char *out,
			    size_t size);

/* commands.c */
void pop3d_command(struct pop3d_session *s, const uint8_t *line, size_t len);
void pop3d_bad_command(struct pop3d_session *s);

/* cmd_stls.c */
/*
 * pop3d_tls_init - the process's TLS level and context from main.cf, by
 * the rule of tls_server_setup.
 */
void pop3d_tls_init(struct pop3d *pd);
void pop3d_tls_deinit(struct pop3d *pd);
/* pop3d_tls_is_offered - CAPA lists STLS (AUTHORIZATION, before TLS). */
bool pop3d_tls_is_offered(const struct pop3d_session *s);
/*
 * pop3d_plaintext_allowed - a password may be sent (USER/PASS, AUTH
 * PLAIN): over TLS; else not at level encrypt; else from loopback or
 * with disable_plaintext_auth = no.
 */
bool pop3d_plaintext_allowed(const struct pop3d_session *s);
void cmd_stls(struct pop3d_session *s, struct pop3_cmd *cmd);
/*
 * pop3d_tls_begin - put TLS under the session (after "+OK Begin TLS
 * negotiation now." was flushed, or at connect in wrapper mode): state
 * POP3D_STATE_TLS; the caller drives the handshake with pop3d_tls_step.
 */
void pop3d_tls_begin(struct pop3d_session *s);
/*
 * pop3d_tls_step - drive the handshake: 1 done (the session is in
 * AUTHORIZATION again and has forgotten the plaintext part, RFC 2595 4),
 * 0 in progress, -1 failed (s->tls_error says why; close the session).
 */
int pop3d_tls_step(struct pop3d_session *s);

/* cmd_auth.c */
void cmd_user(struct pop3d_session *s, struct pop3_cmd *cmd);
void cmd_pass(struct pop3d_session *s, struct pop3_cmd *cmd);
void cmd_auth(struct pop3d_session *s, struct pop3_cmd *cmd);
void pop3d_sasl_response(struct pop3d_session *s, const uint8_t *line,
			 size_t len);
void pop3d_capa(struct pop3d_session *s);

/* mailbox.c */
void pop3d_login_start(struct pop3d_session *s, const char *user,
		       const char *password, const char *method);
void pop3d_update_start(struct pop3d_session *s);
void pop3d_mailbox_close(struct pop3d_session *s);
bool pop3d_msg_is_valid(struct pop3d_session *s, uint32_t n);
void pop3d_uidl_format(struct pop3d_session *s, size_t i, char *out,
		       size_t size);

/* cmd_retr.c */
void cmd_retr(struct pop3d_session *s, struct pop3_cmd *cmd);
void cmd_top(struct pop3d_session *s, struct pop3_cmd *cmd);
void cmd_list(struct pop3d_session *s, struct pop3_cmd *cmd);
void cmd_uidl(struct pop3d_session *s, struct pop3_cmd *cmd);
bool pop3d_gen_fill(struct pop3d_session *s);
void pop3d_gen_stop(struct pop3d_session *s);
/*
 * pop3d_top_cut - how many of the n octets at p TOP sends: the headers,
 * the empty line after them and top->lines_left body lines. Sets
 * top->done once the cut is reached.
 */
size_t pop3d_top_cut(struct pop3d_top *top, const uint8_t *p, size_t n);

#endif
