/*
 * tls.h - TLS for every daemon: OpenSSL 3, non-blocking, inside the event
 * loop.
 *
 * A struct tls_ctx is an SSL_CTX with mailroom's settings (TLS 1.2 at
 * least, renegotiation off, an unexpected EOF read as EOF); a struct
 * tls_conn is one TLS connection over a connected, non-blocking socket the
 * caller owns. Every operation returns at once: TLS_WANT_READ or
 * TLS_WANT_WRITE says which readiness of the socket to wait for before the
 * same call is made again (TLS may want the opposite direction of the
 * operation: a read can need a write and the other way round). Daemons do
 * not use this API for I/O directly but through lib/stream.h, which keeps
 * that bookkeeping.
 *
 * Server side: the certificate chain and key are read when the context is
 * made (a daemon makes it at start, so a reload, which starts new
 * processes, picks up a renewed certificate). Sessions resume from the
 * process's session cache and from session tickets; with
 * tls_ctx_ticket_keys_load every process of the instance encrypts tickets
 * with the same key, so a client resumes whichever process it reaches.
 * No client certificate is requested.
 *
 * Client side: the peer's chain is always checked against the trust store
 * (ca_file or the system store), but the handshake never fails because of
 * it: the caller reads tls_conn_trusted/tls_conn_verified afterwards and
 * applies its own policy (opportunistic TLS continues with an untrusted
 * peer). Sessions are resumed through tls_conn_session_get/set.
 *
 * Errors: texts returned by tls_conn_error and written into err buffers
 * name the operation and OpenSSL's reason ("error:0A000102:SSL
 * routines::unsupported protocol"). Nothing here logs except
 * tls_log_established and warnings about the ticket key file.
 *
 * OpenSSL writes to the socket with write(2): the process must ignore
 * SIGPIPE (lib/server does for every daemon).
 *
 * Ownership: contexts are reference counted (tls_ctx_ref, tls_ctx_free);
 * a connection holds a reference on its context. The socket stays the
 * caller's: tls_conn_free does not close it.
 */
#ifndef MR_TLS_H
#define MR_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Longest error text kept by a connection or written by the functions. */
#define TLS_ERROR_MAX 256
/* Longest "TLSv1.3 with cipher ... (256/256 bits)" description. */
#define TLS_DESCRIBE_MAX 160
/* Session cache timeout and ticket lifetime (Postfix's default, 1 hour). */
#define TLS_SESSION_TIMEOUT_S 3600
/* Sessions one server process keeps in its cache. */
#define TLS_SESSION_CACHE_SIZE 1024
/*
 * A ticket key file older than this is replaced by the next process that
 * loads it: tickets of TLS 1.2 sessions are only as secret as the key, so
 * the key does not live for ever.
 */
#define TLS_TICKET_KEY_MAX_AGE_S (24 * 3600)
/*
 * The instance's session ticket key, in queue_directory/private/: every
 * server daemon (smtpd, pop3d, imapd) loads it with
 * tls_ctx_ticket_keys_load.
 */
#define TLS_TICKET_KEY_FILE "tls-session-ticket.key"
/* Validity of a certificate made by tls_make_self_signed: ten years. */
#define TLS_SELF_SIGNED_DAYS 3650

struct tls_ctx;
struct tls_conn;
struct tls_session;

enum tls_status {
	TLS_OK = 0,
	TLS_WANT_READ,	/* retry once the socket is readable */
	TLS_WANT_WRITE,	/* retry once the socket is writable */
	TLS_EOF,	/* the peer closed (close_notify or plain EOF) */
	TLS_ERROR,	/* the connection is unusable; see tls_conn_error */
};

/*
 * tls_server_ctx_new - a server context with the PEM certificate chain in
 * cert_file (leaf first) and the PEM private key in key_file; TLS 1.2
 * minimum, sane ciphers (forward-secret suites first, server preference),
 * session cache and tickets. Returns the context (one reference), or NULL
 * with a message naming the file and OpenSSL's reason in err.
 */
struct tls_ctx *tls_server_ctx_new(const char *cert_file, const char *key_file,
				   char *err, size_t err_size);

/*
 * tls_client_ctx_new - a client context; TLS 1.2 minimum. ca_file NULL or
 * "" means the system's trust store (SSL_CTX_set_default_verify_paths),
 * else a PEM file of trusted certificates. Verification is decided per
 * connection (see tls_conn_client). Returns NULL with err set when the
 * trust store cannot be loaded.
 */
struct tls_ctx *tls_client_ctx_new(const char *ca_file, char *err,
				   size_t err_size);

/*
 * tls_ctx_ticket_keys_load - encrypt and decrypt session tickets with the
 * key in path, shared by every process that loads the same file. The file
 * is made (mode 0600, random bytes) when it does not exist, and replaced
 * when it is older than TLS_TICKET_KEY_MAX_AGE_S, under an flock of
 * PATH.lock (made too, mode 0600). Returns 0, or -1 with
 * err set when the file cannot be made or is not safe to use (not a plain
 * file of ours, readable by others, wrong size or version): the context
 * then keeps OpenSSL's own key, private to the process, and resumption
 * works only with the process that issued the ticket.
 */
int tls_ctx_ticket_keys_load(struct tls_ctx *ctx, const char *path, char *err,
			     size_t err_size);

/* The server TLS policy of smtpd, pop3d and imapd (*_tls_security_level). */
enum tls_level {
	TLS_LEVEL_NONE,		/* no STARTTLS/STLS */
	TLS_LEVEL_MAY,		/* offered when a certificate is loaded */
	TLS_LEVEL_ENCRYPT,	/* required */
};

/*
 * A daemon's server TLS parameters from main.cf: SERVICE_tls_security_level,
 * SERVICE_tls_wrappermode, SERVICE_tls_cert_file and SERVICE_tls_key_file.
 */
struct tls_server_conf {
	const char *service;	/* the prefix: "smtpd", "pop3d", "imapd" */
	const char *level;	/* "" or none, may, encrypt */
	bool wrapper;		/* TLS from the first byte */
	const char *cert_file;	/* PEM chain, leaf first; "" for none */
	const char *key_file;	/* PEM private key */
	const char *queue_dir;	/* private/ holds the shared ticket key */
};

/*
 * tls_server_setup - the level and the server context of a daemon, by the
 * one rule smtpd, pop3d and imapd share. TLS is required at level encrypt
 * and in wrapper mode, wanted at level may, and off at none (or empty)
 * without wrapper mode. When it is wanted, no certificate configured
 * means no TLS, and one that cannot be loaded a warning ("No server certs
 * available. TLS won't be enabled: REASON") and no TLS. When it is
 * required, either is a configuration error, as an unknown level always
 * is: the process exits with MR_EXIT_CONFIG (and master does not restart
 * the service before the next reload). The context carries the session
 * ticket key every process of the instance shares
 * (queue_dir/private/TLS_TICKET_KEY_FILE, tls_ctx_ticket_keys_load); a
 * key that cannot be loaded is a warning, and sessions then resume only
 * with the process that made them. Sets *level_r; returns the context,
 * or NULL for no TLS.
 */
struct tls_ctx *tls_server_setup(const struct tls_server_conf *conf,
				 enum tls_level *level_r);

/* tls_ctx_ref - one more reference on ctx. */
void tls_ctx_ref(struct tls_ctx *ctx);

/* tls_ctx_free - drop one reference (NULL is fine) and NULL *ctx. */
void tls_ctx_free(struct tls_ctx **ctx);

/*
 * tls_conn_server - a server-side TLS connection on the connected,
 * non-blocking socket fd (not owned). Call tls_handshake next. Never
 * returns NULL (an allocation failure inside OpenSSL is fatal).
 */
struct tls_conn *tls_conn_server(struct tls_ctx *ctx, int fd);

/*
 * tls_conn_client - a client-side TLS connection on fd (not owned). sni
 * (may be NULL; never sent for an address literal) is the server name
 * sent in the handshake. When verify_name is not NULL, tls_conn_verified
 * is true only when the chain is trusted and the certificate names
 * verify_name (a DNS name, wildcards in the first label only, or an IP
 * address). Never returns NULL.
 */
struct tls_conn *tls_conn_client(struct tls_ctx *ctx, int fd, const char *sni,
				 const char *verify_name);

/*
 * tls_handshake - drive the handshake. TLS_OK when it is complete;
 * TLS_WANT_READ/TLS_WANT_WRITE: call again when the socket is ready that
 * way; TLS_EOF: the peer went away; TLS_ERROR: failed (tls_conn_error says
 * why, e.g. "unsupported protocol" for a TLS 1.1 peer).
 */
enum tls_status tls_handshake(struct tls_conn *c);

/*
 * tls_read - like read(2) after the handshake: returns >0 bytes, or <=0
 * with *st set to TLS_WANT_READ/TLS_WANT_WRITE (retry when the socket is
 * ready that way), TLS_EOF or TLS_ERROR. Bytes may stay decrypted inside
 * OpenSSL after a read (tls_pending): epoll does not signal them.
 */
ssize_t tls_read(struct tls_conn *c, void *buf, size_t n, enum tls_status *st);

/*
 * tls_write - like write(2): returns >0 bytes written (maybe fewer than
 * n), or <=0 with *st as for tls_read. After a WANT, call again with the
 * same bytes at the front of the buffer (the buffer may move and grow).
 */
ssize_t tls_write(struct tls_conn *c, const void *buf, size_t n,
		  enum tls_status *st);

/* tls_pending - whether decrypted or buffered input waits inside OpenSSL. */
bool tls_pending(const struct tls_conn *c);

/*
 * tls_close_notify - send close_notify once, best effort: never blocks,
 * does nothing after an error or before the handshake completed.
 */
void tls_close_notify(struct tls_conn *c);

/* tls_conn_free - release the connection (not the socket); NULLs *c. */
void tls_conn_free(struct tls_conn **c);

/* tls_conn_error - text of the last error ("" when none). */
const char *tls_conn_error(const struct tls_conn *c);

/*
 * tls_conn_verified - client side, after the handshake: the chain is
 * trusted and, when verify_name was given, the certificate matches it.
 */
bool tls_conn_verified(const struct tls_conn *c);

/* tls_conn_trusted - client side: the chain is trusted (name ignored). */
bool tls_conn_trusted(const struct tls_conn *c);

/* tls_conn_resumed - whether the handshake resumed an earlier session. */
bool tls_conn_resumed(const struct tls_conn *c);

/*
 * tls_conn_describe - "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384
 * (256/256 bits)" into out (at most size bytes, NUL-terminated), as
 * Postfix writes it in logs and in the Received: header.
 */
void tls_conn_describe(const struct tls_conn *c, char *out, size_t size);

/*
 * tls_log_established - log the Postfix line for a completed handshake.
 * peer is the caller's description ("mx.example.com[192.0.2.1]:25",
 * "unknown[127.0.0.1]"). Client: "Verified|Trusted|Untrusted TLS
 * connection established to PEER: DESCRIPTION"; server: "Anonymous TLS
 * connection established from PEER: DESCRIPTION".
 */
void tls_log_established(const struct tls_conn *c, bool client,
			 const char *peer);

/*
 * tls_conn_session_get - client side: the session of this connection for
 * a later tls_conn_session_set (TLS 1.3 tickets arrive after the
 * handshake, so ask after the first reply was read). Returns NULL when
 * there is nothing resumable. Release with tls_session_free.
 */
struct tls_session *tls_conn_session_get(const struct tls_conn *c);

/*
 * tls_conn_session_set - client side, before tls_handshake: offer to
 * resume session (the connection takes its own reference).
 */
void tls_conn_session_set(struct tls_conn *c, const struct tls_session *session);

/* tls_session_free - release a session (NULL is fine); NULLs *session. */
void tls_session_free(struct tls_session **session);

/*
 * tls_make_self_signed - make an EC P-256 key and a self-signed
 * certificate for hostname (CN and subjectAltName DNS:hostname, valid
 * TLS_SELF_SIGNED_DAYS days, SHA-256), and write them atomically: the
 * certificate to cert_file (mode 0644), the key to key_file (mode 0600).
 * hostname must be a host name of letters, digits, '-' and '.' (at most
 * 253 octets). Returns 0, or -1 with err set.
 */
int tls_make_self_signed(const char *hostname, const char *cert_file,
			 const char *key_file, char *err, size_t err_size);

#endif
