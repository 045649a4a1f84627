/*
 * imapd.h - private interface of imapd, the IMAP4rev1 server (RFC 3501;
 * IDLE, UIDPLUS, MOVE, NAMESPACE, LITERAL+, SPECIAL-USE, ENABLE, ID,
 * UNSELECT, CHILDREN, SASL-IR).
 *
 * One process serves many sessions from one event loop. A session reads
 * into a bounded input buffer, feeds the command parser (imapd/parse.h),
 * runs one command at a time and writes its responses into a bounded
 * output buffer; long answers (FETCH, SEARCH, LIST, the untagged updates)
 * are generators that fill the buffer up to a mark and resume when the
 * client has read it.
 *
 * Blocking work leaves the loop thread as jobs (lib/workpool): password
 * checks in the auth worker (the only user of the users table handle),
 * mailbox work (sync, flag renames, expunge, copy, append, folder tree)
 * in the mail workers. A selected mailbox is a struct imapd_mbox shared
 * by every session of the process that selected the same folder of the
 * same Maildir: one mailstore handle and one cache; jobs on it run one at
 * a time (a FIFO queue), and the loop thread touches it only while no job
 * runs. Each session keeps its own view of the mailbox (UID, flags and
 * keywords per sequence number, 12 octets a message), so EXISTS, EXPUNGE
 * and FETCH FLAGS are announced per session when RFC 3501 7.4.1 allows.
 */
#ifndef MR_IMAPD_H
#define MR_IMAPD_H

#include <stdbool.h>
#include <stdint.h>

#include "imapd/parse.h"
#include "lib/buf.h"
#include "lib/event.h"
#include "lib/login_cache.h"
#include "lib/login_delay.h"
#include "lib/mailstore.h"
#include "lib/server.h"
#include "lib/stream.h"
#include "lib/users.h"
#include "lib/workpool.h"

/* Input buffer: what one read may bring (the parser keeps commands). */
#define IMAPD_IN_MAX (64u * 1024)
/* Output buffer hard maximum: one FETCH response's non-literal parts
 * (ENVELOPE, BODYSTRUCTURE of MIME_PARTS_MAX parts) must fit. */
#define IMAPD_OUT_MAX (64u * 1024 * 1024)
/* Commands and generators produce only while less than this waits. */
#define IMAPD_OUT_HIGH_WATER (1024u * 1024)
/* Longest line built with imapd_printf-style helpers, CR LF included. */
#define IMAPD_LINE_MAX 2048
/* Unknown or refused commands before the session is closed. */
#define IMAPD_BAD_COMMANDS_MAX 20
/* Failed logins in one session before it is closed. */
#define IMAPD_AUTH_FAILURES_MAX 3
/* Worker threads for mailbox work. */
#define IMAPD_MAIL_THREADS 4
/* Longest client address text kept. */
#define IMAPD_ADDR_MAX 64
/* Read size of message files. */
#define IMAPD_READ_CHUNK (64u * 1024)
/* Timeout before login (RFC 3501 5.4 allows the server to choose). */
#define IMAPD_PREAUTH_TIMEOUT_MS (60u * 1000)
/* Messages a generator handles before it lets other sessions run. */
#define IMAPD_GEN_BATCH 256
/* How long a mailbox waits after a change notice before it syncs for
 * idling sessions: deliveries come in bursts. */
#define IMAPD_IDLE_DEBOUNCE_MS 50
/* Poll interval for idling sessions when inotify is not available. */
#define IMAPD_IDLE_POLL_MS (5u * 1000)
/* A mailbox no session uses stays open this long (a client that logs
 * in again finds it synced), at most this many per process. */
#define IMAPD_MBOX_LINGER_MS (60u * 1000)
#define IMAPD_MBOX_LINGER_MAX 64
/* ID (RFC 2971 3.3): at most 30 field-value pairs. */
#define IMAPD_ID_PAIRS_MAX 30

/* The special-use folders made at the first login (RFC 6154). */
#define IMAPD_SPECIAL_FOLDERS 4

enum imapd_state {
	IMAPD_STATE_NOT_AUTH,
	IMAPD_STATE_AUTH,
	IMAPD_STATE_SELECTED,
	IMAPD_STATE_LOGOUT,
};

/* What the session reads next. */
enum imapd_input {
	IMAPD_INPUT_COMMAND,	/* commands through the parser */
	IMAPD_INPUT_SASL,	/* AUTHENTICATE's response line */
	IMAPD_INPUT_IDLE,	/* "DONE" */
	IMAPD_INPUT_LITERAL,	/* APPEND's large literal into a file */
	IMAPD_INPUT_NONE,	/* nothing: TLS handshake, closing */
};

struct imapd;
struct imapd_session;
struct imapd_job;
struct imapd_mbox;
struct imap_cache;

/* A step of a command's answer; true when it is complete. */
typedef bool imapd_gen_fn(struct imapd_session *s);
/* A job's function (work: a worker thread; done: the loop thread). */
typedef void imapd_job_fn(struct imapd_job *job);

/*
 * A job: work runs in a worker, then done in the loop thread. Command
 * jobs embed this as their first member. With mbox set the job is
 * serialised on that mailbox. work NULL: a place in the mailbox's queue
 * (done runs in the loop thread when the turn comes).
 */
struct imapd_job {
	struct imapd_session *s;	/* NULL: the mailbox's own */
	struct imapd_mbox *mbox;
	struct workpool *pool;
	imapd_job_fn *work;
	imapd_job_fn *done;		/* frees the job */
	imapd_job_fn *discard;		/* frees it when the peer left */
	struct imapd_job *next;		/* mailbox queue */
};

/* One message of a session's view of its mailbox. */
struct imapd_view_msg {
	uint32_t uid;
	uint32_t keywords;	/* letters a-z of the folder */
	uint8_t flags;		/* IMAP_FLAG_*, \Recent included */
	uint8_t state;		/* IMAPD_VIEW_* */
};

#define IMAPD_VIEW_GONE 0x1	/* expunged, EXPUNGE not sent yet */
#define IMAPD_VIEW_CHANGED 0x2	/* flags changed, FETCH not sent yet */

/* A session's view: sequence number n is msgs[n - 1]. */
struct imapd_view {
	struct imapd_view_msg *msgs;
	size_t count, cap;
	uint32_t uidvalidity;
	size_t gone, changed;	/* entries with those states */
	size_t exists_sent;	/* the last EXISTS count sent */
	size_t recent;		/* entries with \Recent */
	size_t recent_sent;
	uint32_t keywords_sent;	/* keyword letters shown in FLAGS */
	char *keywords[MAILSTORE_KEYWORDS_MAX];	/* copies of the names */
	/* The update generator. */
	bool pending;
	bool allow_expunge;
	bool uid_fetch;		/* FETCH updates carry UID */
	size_t cursor;
	int phase;
};

struct imapd_mbox {
	struct imapd *im;
	struct imapd_mbox *next, *prev;	/* the process's open mailboxes */
	unsigned refs;
	char *maildir;
	char *name;			/* "INBOX" or the folder name */
	struct mailstore *ms;		/* owned; used by jobs on this */
	struct mailstore_folder *folder;	/* NULL until opened */
	struct imap_cache *cache;
	bool busy;			/* a worker job owns folder/cache */
	bool stale;			/* deleted or renamed: reopen */
	bool flushed;			/* the closing cache write ran */
	bool closing;			/* on its way out: not handed out */
	bool lingering;			/* unused, kept open for a while */
	struct event_timer *linger;
	bool cache_write_queued;
	struct imapd_job *queue_head, *queue_tail;
	struct imapd_session *selected;	/* sessions that selected it */
	/* IDLE */
	unsigned idlers;
	int wd[2];			/* inotify watches on new/, cur/ */
	struct event_timer *notice;	/* debounce, or the poll timer */
	bool sync_queued;
};

struct imapd_session {
	struct imapd *im;
	struct imapd_session *next, *prev;	/* all sessions */
	int fd;
	struct stream st;
	struct event_io *io;
	struct event_timer *timer;
	struct event_timer *delay;	/* failed-login delay */
	struct event_defer *defer;	/* TLS pending input */
	struct buf in;
	struct buf out;
	struct imap_parser *parser;
	bool parser_idle;		/* it stands between two commands */
	enum imapd_state state;
	enum imapd_input input;
	char addr[IMAPD_ADDR_MAX];
	char local_addr[IMAPD_ADDR_MAX];
	bool loopback;
	bool tls_handshake;
	bool input_eof;
	bool peer_gone;
	bool closing;			/* flush, then close */
	const char *close_reason;
	unsigned bad_commands;
	unsigned auth_failures;
	char *user;			/* the login, once known */
	char *maildir;			/* after login */

	/* The command in progress. */
	bool cmd_active;
	char tag[IMAP_TAG_MAX + 1];
	char cmd_name[IMAP_NAME_MAX + 1];
	bool cmd_uid;			/* a UID command */
	struct imapd_job *job;		/* running or queued */
	bool mbox_wait;			/* a generator waits for the mailbox */
	imapd_gen_fn *gen;
	bool gen_with_job;		/* gen may run while job does */
	bool gen_blocked;		/* ... but waits for the job now */
	void *cmd_ctx;
	void (*cmd_ctx_free)(void *ctx);
	char *final;			/* the tagged line, sent last */
	/* APPEND's literal taken into a file. */
	uint64_t take_left;
	void *take_ctx;

	/* SELECTED */
	struct imapd_mbox *mbox;
	struct imapd_session *sel_next, *sel_prev;	/* mbox->selected */
	bool readonly;
	struct imapd_view view;
	bool idling;
	bool idle_recheck;		/* changes came while updates went */
};

struct imapd {
	struct server *srv;
	struct users *users;		/* the auth worker's only */
	struct login_cache *login_cache;	/* the auth worker's only */
	struct workpool *auth_pool;
	struct workpool *mail_pool;
	struct login_delay *delays;
	struct tls_ctx *tls;		/* NULL: no TLS */
	enum tls_level tls_level;	/* imapd_tls_security_level */
	struct imapd_mbox *mboxes;
	unsigned lingering;		/* mailboxes kept open unused */
	struct imapd_session *sessions;
	int inotify_fd;			/* -1: poll instead */
	struct event_io *inotify_io;
};

/* session.c */
void imapd_session_accept(struct server *srv, int fd);
void imapd_session_resume(struct imapd_session *s);
void imapd_session_close(struct imapd_session *s, const char *reason);
void imapd_printf(struct imapd_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void imapd_untagged(struct imapd_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void imapd_tagged(struct imapd_session *s, const char *status,
		  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void imapd_finish(struct imapd_session *s, const char *status,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void imapd_set_ctx(struct imapd_session *s, void *ctx,
		   void (*ctx_free)(void *ctx));
bool imapd_out_full(const struct imapd_session *s);
void imapd_starttls_begin(struct imapd_session *s);
bool imapd_session_is_secure(const struct imapd_session *s);
void imapd_drain(struct server *srv);

/* commands.c */
void imapd_command(struct imapd_session *s, const struct imap_command *cmd);
void imapd_bad(struct imapd_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void imapd_capability_string(struct imapd_session *s, struct buf *out);
bool imapd_plaintext_allowed(const struct imapd_session *s);

/* cmd_auth.c */
void cmd_login(struct imapd_session *s, const struct imap_command *cmd);
void cmd_authenticate(struct imapd_session *s,
		      const struct imap_command *cmd);
void cmd_starttls(struct imapd_session *s, const struct imap_command *cmd);
void imapd_sasl_line(struct imapd_session *s, const uint8_t *line,
		     size_t len);

/* jobs.c: jobs, mailboxes, IDLE notices */
void imapd_job_start(struct imapd_session *s, struct imapd_job *job,
		     struct imapd_mbox *mbox, struct workpool *pool,
		     imapd_job_fn *work, imapd_job_fn *done,
		     imapd_job_fn *discard);
bool imapd_mbox_usable(struct imapd_session *s);
void imapd_mbox_cancel_wait(struct imapd_session *s);
struct imapd_mbox *imapd_mbox_get(struct imapd *im, const char *maildir,
				  const char *name);
void imapd_mbox_unref(struct imapd_mbox **mbox);
int imapd_mbox_open(struct imapd_mbox *mbox, const char **error_r);
void imapd_mbox_forget(struct imapd *im, const char *maildir,
		       const char *name);
void imapd_mbox_attach(struct imapd_session *s, struct imapd_mbox *mbox);
void imapd_mbox_detach(struct imapd_session *s);
void imapd_idle_start(struct imapd_session *s);
void imapd_idle_stop(struct imapd_session *s);
void imapd_notify_init(struct imapd *im);
void imapd_notify_deinit(struct imapd *im);

/* view.c */
void imapd_view_init(struct imapd_session *s);
void imapd_view_deinit(struct imapd_view *v);
int imapd_view_refresh(struct imapd_session *s);
void imapd_updates_start(struct imapd_session *s, bool allow_expunge);
bool imapd_updates_fill(struct imapd_session *s);
void imapd_view_flags_line(struct imapd_session *s);
unsigned imapd_flags_from_store(uint32_t store_flags);
uint32_t imapd_flags_to_store(unsigned imap_flags, uint32_t old);
void imapd_render_msg_flags(struct imapd_session *s, struct buf *out,
			    const struct imapd_view_msg *v);
long imapd_view_find_uid(const struct imapd_view *v, uint32_t uid);
int imapd_seqset_arg(struct imapd_session *s, const struct imap_arg *a,
		     bool uid, struct imap_seqset *set);
void imapd_seqset_resolve_view(const struct imapd_session *s,
			       struct imap_seqset *set, bool uid);
uint32_t *imapd_set_uids(const struct imapd_session *s,
			 const struct imap_seqset *set, bool uid,
			 size_t *count_r);
size_t imapd_set_next(const struct imapd_session *s,
		      const struct imap_seqset *set, bool uid, size_t from);

/* cmd_select.c */
void cmd_select(struct imapd_session *s, const struct imap_command *cmd);
void cmd_close(struct imapd_session *s, const struct imap_command *cmd);
void cmd_unselect(struct imapd_session *s, const struct imap_command *cmd);
void cmd_expunge(struct imapd_session *s, const struct imap_command *cmd);
void cmd_noop(struct imapd_session *s, const struct imap_command *cmd);
void cmd_idle(struct imapd_session *s, const struct imap_command *cmd);
void imapd_idle_line(struct imapd_session *s, const uint8_t *line,
		     size_t len);
void imapd_unselect(struct imapd_session *s);
int imapd_job_sync(struct imapd_job *job, struct mailstore_sync_result *res,
		   char *error, size_t size);
bool imapd_job_refresh(struct imapd_session *s,
		       const struct mailstore_sync_result *res,
		       const char *error, int rc);

/* cmd_fetch.c */
void cmd_fetch(struct imapd_session *s, const struct imap_command *cmd);
int imapd_msg_cache(struct imapd_mbox *mbox, uint32_t uid, size_t idx,
		    const char **env_r, size_t *env_len_r,
		    const char **body_r, size_t *body_len_r,
		    const char **bs_r, size_t *bs_len_r);
void imapd_cache_write_start(struct imapd_session *s);

/* cmd_store.c */
void cmd_store(struct imapd_session *s, const struct imap_command *cmd);

/* cmd_copy.c */
void cmd_copy(struct imapd_session *s, const struct imap_command *cmd);

/* cmd_search.c */
void cmd_search(struct imapd_session *s, const struct imap_command *cmd);

/* cmd_list.c */
void cmd_list(struct imapd_session *s, const struct imap_command *cmd);
void cmd_status(struct imapd_session *s, const struct imap_command *cmd);
bool imapd_list_match(const char *pattern, const char *name);
const char *imapd_special_use(const char *name);
extern const char *const imapd_special_folders[IMAPD_SPECIAL_FOLDERS];

/* cmd_folder.c */
void cmd_create(struct imapd_session *s, const struct imap_command *cmd);
void cmd_delete(struct imapd_session *s, const struct imap_command *cmd);
void cmd_rename(struct imapd_session *s, const struct imap_command *cmd);
void cmd_subscribe(struct imapd_session *s, const struct imap_command *cmd);
int imapd_mailbox_arg(struct imapd_session *s, const struct imap_arg *a,
		      char **name_r);
int imapd_first_login(const char *maildir, const char **error_r,
		      char *error, size_t error_size);

/* cmd_append.c */
void cmd_append(struct imapd_session *s, const struct imap_command *cmd);
int imapd_append_literal(struct imapd_session *s,
			 const struct imap_command *cmd, uint64_t size,
			 bool sync);
void imapd_append_take(struct imapd_session *s, const uint8_t *p, size_t n);
void imapd_append_take_free(struct imapd_session *s);

#endif
