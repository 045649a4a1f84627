/*
 * tls.c - TLS contexts and connections over OpenSSL 3 (see tls.h).
 *
 * tls_server_ctx_new, tls_client_ctx_new - contexts with our settings
 * tls_ctx_ticket_keys_load - session ticket key shared through a file
 * tls_ctx_ref/free     - reference counting
 * tls_conn_server/client, tls_handshake, tls_read, tls_write, tls_pending,
 * tls_close_notify, tls_conn_free - one non-blocking connection
 * tls_conn_error/verified/trusted/resumed/describe, tls_log_established
 * tls_conn_session_get/set, tls_session_free - client session resumption
 * tls_make_self_signed - key and certificate for `mailroom init`
 * tls_server_setup     - a daemon's level and context: the shared rule
 *
 * Untrusted input: everything the peer sends, parsed by OpenSSL; the
 * peer's certificate (only checked, never trusted by default); the ticket
 * key file, which must be a plain file of the running user with no access
 * for others. Runs with the daemon's privilege (mail_owner): the private
 * key file must be readable by it (`mailroom init` makes it so).
 *
 * Protocol: TLS 1.2 (RFC 5246) and 1.3 (RFC 8446); no SSLv3, TLS 1.0 or
 * 1.1 (RFC 8996); no renegotiation; no compression. Ciphers: for TLS 1.2
 * the forward-secret AEAD suites first, then the other AES suites that
 * older mail servers still need (opportunistic TLS is better than none);
 * OpenSSL's defaults for TLS 1.3.
 *
 * The ticket key file is read, made or replaced under an flock of
 * PATH.lock, so processes that start together share one key.
 *
 * Ticket key file format (version 1), TLS_TICKET_FILE_SIZE octets:
 *   "MRTK" (4), version 1 (1 octet), 3 zero octets, then OpenSSL's ticket
 *   key block: key name (16), HMAC secret (32), AES-256 key (32).
 */
#include "lib/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"

/* TLS 1.2 suites, best first: ECDHE/DHE with AEAD, then CBC and RSA. */
#define TLS_CIPHERS_12                                                      \
	"ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:ECDHE+AES:"    \
	"DHE+AES:RSA+AESGCM:RSA+AES:!aNULL:!eNULL:!MD5:!DSS:!PSK:!SRP"

/* Session id context: a resumed session must come from a mailroom server. */
#define TLS_SESSION_ID_CONTEXT "mailroom"

/* Ticket key file: header, then OpenSSL's 80-octet key block. */
#define TLS_TICKET_MAGIC "MRTK"
#define TLS_TICKET_VERSION 1
#define TLS_TICKET_HEADER_SIZE 8
#define TLS_TICKET_KEYS_SIZE 80
#define TLS_TICKET_FILE_SIZE (TLS_TICKET_HEADER_SIZE + TLS_TICKET_KEYS_SIZE)

/* RFC 1035 2.3.4: a host name in text form. */
#define TLS_HOSTNAME_MAX 253
/* RFC 5280 appendix A: ub-common-name. */
#define TLS_CN_MAX 64
/* Serial numbers of made certificates: 16 random octets (RFC 5280 4.1.2.2
 * allows 20). */
#define TLS_SERIAL_OCTETS 16
/* A generated PEM certificate or key is far below this. */
#define TLS_PEM_MAX (64 * 1024)

struct tls_ctx {
	SSL_CTX *ssl_ctx;
	unsigned refs;
	bool server;
};

struct tls_conn {
	SSL *ssl;
	struct tls_ctx *ctx;
	bool server;
	bool handshake_done;
	bool failed;		/* fatal error: no shutdown allowed */
	bool notify_sent;
	bool chain_error;	/* the verify callback saw an error */
	bool trusted;
	bool verified;
	char *verify_name;
	char error[TLS_ERROR_MAX];
};

struct tls_session {
	SSL_SESSION *session;
};

/* tls_err_text - OpenSSL's oldest queued error, or fallback; clears all */
static void
tls_err_text(char *out, size_t size, const char *fallback)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(out, size, "%s", fallback);
	else
		ERR_error_string_n(e, out, size);
	ERR_clear_error();
}

/* tls_fail - "what: reason" into err; returns NULL for the callers */
static void *
tls_fail(char *err, size_t err_size, const char *what, const char *path)
{
	char reason[TLS_ERROR_MAX];

	tls_err_text(reason, sizeof(reason), "unknown error");
	snprintf(err, err_size, "%s %s: %s", what, path, reason);
	return NULL;
}

/* tls_ctx_wrap - our struct around a configured SSL_CTX */
static struct tls_ctx *
tls_ctx_wrap(SSL_CTX *ssl_ctx, bool server)
{
	struct tls_ctx *ctx = mem_alloc(sizeof(*ctx));

	ctx->ssl_ctx = ssl_ctx;
	ctx->refs = 1;
	ctx->server = server;
	return ctx;
}

/* tls_ctx_common - settings of both sides */
static int
tls_ctx_common(SSL_CTX *c)
{
	/* RFC 8996: TLS 1.0 and 1.1 are deprecated. */
	if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(c, TLS_CIPHERS_12) != 1)
		return -1;
	/*
	 * SECURITY: no renegotiation (a client could make the server spend
	 * CPU at will), no compression (CRIME). An EOF without close_notify
	 * is an ordinary EOF: SMTP, POP3 and IMAP frame their own data, so a
	 * truncation cannot pass for a complete message.
	 */
	SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
				       SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* Non-blocking writes: partial writes, and the caller's buffer may
	 * move between retries (it grows and is compacted). Idle
	 * connections give their buffers back. */
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE |
				    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				    SSL_MODE_RELEASE_BUFFERS);
	return 0;
}

/* tls_server_ctx_new - server context with certificate and key */
struct tls_ctx *
tls_server_ctx_new(const char *cert_file, const char *key_file, char *err,
		   size_t err_size)
{
	SSL_CTX *c;

	ERR_clear_error();
	if (cert_file == NULL || cert_file[0] == '\0') {
		snprintf(err, err_size, "no certificate file given");
		return NULL;
	}
	if (key_file == NULL || key_file[0] == '\0')
		key_file = cert_file;
	c = SSL_CTX_new(TLS_server_method());
	if (c == NULL)
		return tls_fail(err, err_size, "cannot make a context for",
				cert_file);
	if (tls_ctx_common(c) < 0) {
		SSL_CTX_free(c);
		return tls_fail(err, err_size, "cannot configure a context for",
				cert_file);
	}
	if (SSL_CTX_use_certificate_chain_file(c, cert_file) != 1) {
		SSL_CTX_free(c);
		return tls_fail(err, err_size,
				"cannot load certificate chain from", cert_file);
	}
	if (SSL_CTX_use_PrivateKey_file(c, key_file, SSL_FILETYPE_PEM) != 1) {
		SSL_CTX_free(c);
		return tls_fail(err, err_size, "cannot load private key from",
				key_file);
	}
	if (SSL_CTX_check_private_key(c) != 1) {
		SSL_CTX_free(c);
		ERR_clear_error();
		snprintf(err, err_size,
			 "private key %s does not match the certificate %s",
			 key_file, cert_file);
		return NULL;
	}
	SSL_CTX_set_options(c, SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_dh_auto(c, 1);
	SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_id_context(
		c, (const unsigned char *)TLS_SESSION_ID_CONTEXT,
		sizeof(TLS_SESSION_ID_CONTEXT) - 1);
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(c, TLS_SESSION_CACHE_SIZE);
	SSL_CTX_set_timeout(c, TLS_SESSION_TIMEOUT_S);
	/* One TLS 1.3 ticket is enough for a mail client. */
	SSL_CTX_set_num_tickets(c, 1);
	return tls_ctx_wrap(c, true);
}

/* tls_client_ctx_new - client context with a trust store */
struct tls_ctx *
tls_client_ctx_new(const char *ca_file, char *err, size_t err_size)
{
	SSL_CTX *c;
	int ok;

	ERR_clear_error();
	c = SSL_CTX_new(TLS_client_method());
	if (c == NULL)
		return tls_fail(err, err_size, "cannot make a context for",
				"the client");
	if (tls_ctx_common(c) < 0) {
		SSL_CTX_free(c);
		return tls_fail(err, err_size, "cannot configure a context for",
				"the client");
	}
	if (ca_file == NULL || ca_file[0] == '\0')
		ok = SSL_CTX_set_default_verify_paths(c);
	else
		ok = SSL_CTX_load_verify_locations(c, ca_file, NULL);
	if (ok != 1) {
		SSL_CTX_free(c);
		return tls_fail(err, err_size, "cannot load trusted certificates",
				ca_file != NULL && ca_file[0] != '\0'
					? ca_file
					: "from the system store");
	}
	/* Sessions are handed out through tls_conn_session_get only. */
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT |
						  SSL_SESS_CACHE_NO_INTERNAL_STORE);
	return tls_ctx_wrap(c, false);
}

/* tls_ctx_ref - share a context */
void
tls_ctx_ref(struct tls_ctx *ctx)
{
	MR_ASSERT(ctx->refs > 0 && ctx->refs < UINT_MAX);
	ctx->refs++;
}

/* tls_ctx_free - drop a reference */
void
tls_ctx_free(struct tls_ctx **ctxp)
{
	struct tls_ctx *ctx = *ctxp;

	if (ctx == NULL)
		return;
	*ctxp = NULL;
	MR_ASSERT(ctx->refs > 0);
	if (--ctx->refs > 0)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	mem_free(&ctx);
}

/* ticket_file_check - header and size of a key file; true when usable */
static bool
ticket_file_check(const uint8_t *data, size_t n)
{
	static const uint8_t zero[3];

	return n == TLS_TICKET_FILE_SIZE &&
	       memcmp(data, TLS_TICKET_MAGIC, 4) == 0 &&
	       data[4] == TLS_TICKET_VERSION && memcmp(data + 5, zero, 3) == 0;
}

/*
 * ticket_file_read - read an existing key file: 1 read, 0 missing or too
 * old (make a new one), -1 unsafe or broken (err set)
 */
static int
ticket_file_read(const char *path, uint8_t *data, char *err, size_t err_size)
{
	struct stat st;
	ssize_t r;
	int fd;

	/* SECURITY: a planted link or a file another user can read or
	 * write would give away or choose the key. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, err_size, "open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		snprintf(err, err_size,
			 "%s: not a plain file of uid %ld with mode 0600",
			 path, (long)geteuid());
		close(fd);
		return -1;
	}
	if (time(NULL) - st.st_mtime > TLS_TICKET_KEY_MAX_AGE_S) {
		close(fd);
		return 0;
	}
	r = pread(fd, data, TLS_TICKET_FILE_SIZE + 1, 0);
	close(fd);
	if (r < 0 || !ticket_file_check(data, (size_t)r)) {
		snprintf(err, err_size, "%s: not a version %d ticket key file",
			 path, TLS_TICKET_VERSION);
		return -1;
	}
	return 1;
}

/* ticket_file_make - write a new key file atomically; 0 or -1 (err set) */
static int
ticket_file_make(const char *path, uint8_t *data, char *err, size_t err_size)
{
	memcpy(data, TLS_TICKET_MAGIC, 4);
	data[4] = TLS_TICKET_VERSION;
	memset(data + 5, 0, 3);
	if (RAND_bytes(data + TLS_TICKET_HEADER_SIZE, TLS_TICKET_KEYS_SIZE) !=
	    1) {
		tls_fail(err, err_size, "cannot make random bytes for", path);
		return -1;
	}
	if (io_atomic_replace(path, data, TLS_TICKET_FILE_SIZE, 0600) < 0) {
		snprintf(err, err_size, "write %s: %s", path, strerror(errno));
		explicit_bzero(data, TLS_TICKET_FILE_SIZE);
		return -1;
	}
	return 0;
}

/*
 * ticket_lock - flock PATH.lock, so that processes starting together
 * agree on one key (else each would make its own and the last rename
 * would win): the lock's descriptor, or -1 (err set)
 */
static int
ticket_lock(const char *path, char *err, size_t err_size)
{
	char lock_path[PATH_MAX];
	int fd, n;

	n = snprintf(lock_path, sizeof(lock_path), "%s.lock", path);
	if (n < 0 || (size_t)n >= sizeof(lock_path)) {
		snprintf(err, err_size, "%s: path too long", path);
		return -1;
	}
	fd = open(lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, err_size, "open %s: %s", lock_path,
			 strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			snprintf(err, err_size, "lock %s: %s", lock_path,
				 strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* tls_ctx_ticket_keys_load - use the instance's shared ticket key */
int
tls_ctx_ticket_keys_load(struct tls_ctx *ctx, const char *path, char *err,
			 size_t err_size)
{
	uint8_t data[TLS_TICKET_FILE_SIZE + 1];
	int rc, lock;

	MR_ASSERT(ctx->server);
	lock = ticket_lock(path, err, err_size);
	if (lock < 0)
		return -1;
	rc = ticket_file_read(path, data, err, err_size);
	if (rc == 0)
		rc = ticket_file_make(path, data, err, err_size) == 0 ? 1 : -1;
	close(lock);
	if (rc < 0)
		return -1;
	rc = SSL_CTX_set_tlsext_ticket_keys(ctx->ssl_ctx,
					    data + TLS_TICKET_HEADER_SIZE,
					    TLS_TICKET_KEYS_SIZE) == 1
		     ? 0
		     : -1;
	explicit_bzero(data, sizeof(data));
	if (rc < 0)
		tls_fail(err, err_size, "cannot use the ticket keys of", path);
	return rc;
}

/*
 * tls_verify_cb - client side: note chain errors but let the handshake go
 * on; the caller decides what an untrusted peer may do
 */
static int
tls_verify_cb(int ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
		store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_conn *c = ssl != NULL ? SSL_get_app_data(ssl) : NULL;

	if (!ok && c != NULL)
		c->chain_error = true;
	return 1;
}

/* tls_conn_new - common part of both sides */
static struct tls_conn *
tls_conn_new(struct tls_ctx *ctx, int fd, bool server)
{
	struct tls_conn *c = mem_alloc(sizeof(*c));

	c->ssl = SSL_new(ctx->ssl_ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1)
		log_fatal("cannot make a TLS connection: out of memory");
	SSL_set_app_data(c->ssl, c);
	tls_ctx_ref(ctx);
	c->ctx = ctx;
	c->server = server;
	return c;
}

/* tls_conn_server - accept TLS on fd */
struct tls_conn *
tls_conn_server(struct tls_ctx *ctx, int fd)
{
	MR_ASSERT(ctx->server);
	return tls_conn_new(ctx, fd, true);
}

/* tls_is_address - whether name is an IPv4 or IPv6 address literal */
static bool
tls_is_address(const char *name)
{
	uint8_t addr[16];

	return inet_pton(AF_INET, name, addr) == 1 ||
	       inet_pton(AF_INET6, name, addr) == 1;
}

/* tls_conn_client - start TLS towards a server on fd */
struct tls_conn *
tls_conn_client(struct tls_ctx *ctx, int fd, const char *sni,
		const char *verify_name)
{
	struct tls_conn *c;

	MR_ASSERT(!ctx->server);
	c = tls_conn_new(ctx, fd, false);
	SSL_set_verify(c->ssl, SSL_VERIFY_PEER, tls_verify_cb);
	/* RFC 6066 3: literal addresses are not sent as server names. */
	if (sni != NULL && sni[0] != '\0' && !tls_is_address(sni) &&
	    SSL_set_tlsext_host_name(c->ssl, sni) != 1)
		ERR_clear_error();
	if (verify_name != NULL)
		c->verify_name = mem_strdup(verify_name);
	return c;
}

/*
 * tls_status_of - classify the result ret of an SSL call; on errors keep
 * a text in c->error ("lost connection", strerror, or OpenSSL's reason)
 */
static enum tls_status
tls_status_of(struct tls_conn *c, int ret, int saved_errno)
{
	switch (SSL_get_error(c->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return TLS_EOF;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			c->failed = true;
			if (saved_errno == 0) {
				/* EOF at the socket level. */
				snprintf(c->error, sizeof(c->error),
					 "lost connection");
				return TLS_EOF;
			}
			snprintf(c->error, sizeof(c->error), "%s",
				 strerror(saved_errno));
			return TLS_ERROR;
		}
		break;
	default:
		break;
	}
	c->failed = true;
	tls_err_text(c->error, sizeof(c->error), "unknown error");
	return TLS_ERROR;
}

/* tls_check_peer - client side: trust and name of the peer certificate */
static void
tls_check_peer(struct tls_conn *c)
{
	X509 *cert = SSL_get0_peer_certificate(c->ssl);

	c->trusted = cert != NULL && !c->chain_error &&
		     SSL_get_verify_result(c->ssl) == X509_V_OK;
	if (!c->trusted || c->verify_name == NULL) {
		c->verified = c->trusted && c->verify_name == NULL;
		return;
	}
	if (tls_is_address(c->verify_name))
		c->verified = X509_check_ip_asc(cert, c->verify_name, 0) == 1;
	else
		c->verified =
			X509_check_host(cert, c->verify_name, 0,
					X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
					NULL) == 1;
}

/* tls_handshake - one step of the handshake */
enum tls_status
tls_handshake(struct tls_conn *c)
{
	int ret, saved;

	if (c->handshake_done)
		return TLS_OK;
	if (c->failed)
		return TLS_ERROR;
	ERR_clear_error();
	errno = 0;
	ret = c->server ? SSL_accept(c->ssl) : SSL_connect(c->ssl);
	saved = errno;
	if (ret == 1) {
		c->handshake_done = true;
		if (!c->server)
			tls_check_peer(c);
		return TLS_OK;
	}
	return tls_status_of(c, ret, saved);
}

/* tls_read - read decrypted bytes */
ssize_t
tls_read(struct tls_conn *c, void *buf, size_t n, enum tls_status *st)
{
	int ret, saved;

	if (c->failed) {
		*st = TLS_ERROR;
		return -1;
	}
	if (n > INT_MAX)
		n = INT_MAX;
	ERR_clear_error();
	errno = 0;
	ret = SSL_read(c->ssl, buf, (int)n);
	saved = errno;
	if (ret > 0) {
		*st = TLS_OK;
		return ret;
	}
	*st = tls_status_of(c, ret, saved);
	return ret < 0 ? -1 : 0;
}

/* tls_write - write bytes */
ssize_t
tls_write(struct tls_conn *c, const void *buf, size_t n, enum tls_status *st)
{
	int ret, saved;

	if (c->failed) {
		*st = TLS_ERROR;
		return -1;
	}
	if (n > INT_MAX)
		n = INT_MAX;
	ERR_clear_error();
	errno = 0;
	ret = SSL_write(c->ssl, buf, (int)n);
	saved = errno;
	if (ret > 0) {
		*st = TLS_OK;
		return ret;
	}
	*st = tls_status_of(c, ret, saved);
	return ret < 0 ? -1 : 0;
}

/* tls_pending - input inside OpenSSL that epoll cannot see */
bool
tls_pending(const struct tls_conn *c)
{
	return !c->failed && SSL_has_pending(c->ssl) == 1;
}

/* tls_close_notify - say goodbye once, without waiting for an answer */
void
tls_close_notify(struct tls_conn *c)
{
	if (!c->handshake_done || c->failed || c->notify_sent)
		return;
	c->notify_sent = true;
	ERR_clear_error();
	(void)SSL_shutdown(c->ssl);
	ERR_clear_error();
}

/* tls_conn_free - release a connection */
void
tls_conn_free(struct tls_conn **cp)
{
	struct tls_conn *c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	SSL_free(c->ssl);
	tls_ctx_free(&c->ctx);
	mem_free(&c->verify_name);
	mem_free(&c);
}

/* tls_conn_error - the last error text */
const char *
tls_conn_error(const struct tls_conn *c)
{
	return c->error;
}

/* tls_conn_verified - trusted chain and matching name */
bool
tls_conn_verified(const struct tls_conn *c)
{
	return c->handshake_done && c->verified;
}

/* tls_conn_trusted - trusted chain */
bool
tls_conn_trusted(const struct tls_conn *c)
{
	return c->handshake_done && c->trusted;
}

/* tls_conn_resumed - the session was resumed */
bool
tls_conn_resumed(const struct tls_conn *c)
{
	return c->handshake_done && SSL_session_reused(c->ssl) == 1;
}

/* tls_conn_describe - protocol and cipher, Postfix's wording */
void
tls_conn_describe(const struct tls_conn *c, char *out, size_t size)
{
	const SSL_CIPHER *cipher = SSL_get_current_cipher(c->ssl);
	int alg_bits = 0, bits;

	if (cipher == NULL) {
		snprintf(out, size, "%s", "no cipher");
		return;
	}
	bits = SSL_CIPHER_get_bits(cipher, &alg_bits);
	snprintf(out, size, "%s with cipher %s (%d/%d bits)",
		 SSL_get_version(c->ssl), SSL_CIPHER_get_name(cipher), bits,
		 alg_bits);
}

/* tls_log_established - the Postfix log line of a new TLS session */
void
tls_log_established(const struct tls_conn *c, bool client, const char *peer)
{
	char desc[TLS_DESCRIBE_MAX];

	tls_conn_describe(c, desc, sizeof(desc));
	if (!client) {
		log_info("Anonymous TLS connection established from %s: %s",
			 peer, desc);
		return;
	}
	log_info("%s TLS connection established to %s: %s",
		 tls_conn_verified(c) && c->verify_name != NULL ? "Verified"
		 : tls_conn_trusted(c)				 ? "Trusted"
								 : "Untrusted",
		 peer, desc);
}

/* tls_conn_session_get - a resumable session of a client connection */
struct tls_session *
tls_conn_session_get(const struct tls_conn *c)
{
	SSL_SESSION *sess;
	struct tls_session *s;

	if (c->server || !c->handshake_done)
		return NULL;
	/* A copy: OpenSSL marks the connection's own session not
	 * resumable when the connection ends without close_notify. */
	sess = SSL_get0_session(c->ssl);
	if (sess == NULL || SSL_SESSION_is_resumable(sess) != 1)
		return NULL;
	sess = SSL_SESSION_dup(sess);
	if (sess == NULL) {
		ERR_clear_error();
		return NULL;
	}
	s = mem_alloc(sizeof(*s));
	s->session = sess;
	return s;
}

/* tls_conn_session_set - offer a session before the handshake */
void
tls_conn_session_set(struct tls_conn *c, const struct tls_session *session)
{
	SSL_SESSION *copy;

	MR_ASSERT(!c->server && !c->handshake_done);
	/* A copy again: the caller's stays resumable whatever happens to
	 * this connection. */
	copy = SSL_SESSION_dup(session->session);
	if (copy == NULL || SSL_set_session(c->ssl, copy) != 1)
		ERR_clear_error();
	SSL_SESSION_free(copy);
}

/* tls_session_free - release a session */
void
tls_session_free(struct tls_session **sp)
{
	struct tls_session *s = *sp;

	if (s == NULL)
		return;
	*sp = NULL;
	SSL_SESSION_free(s->session);
	mem_free(&s);
}

/* tls_is_hostname - letters, digits, '-' and '.', 1..253 octets */
static bool
tls_is_hostname(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > TLS_HOSTNAME_MAX || name[0] == '.' ||
	    name[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
			return false;
	}
	return true;
}

/* cert_add_ext - one X.509v3 extension, issuer and subject being cert */
static int
cert_add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (ext == NULL)
		return -1;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

/* cert_build - a self-signed certificate for key and hostname */
static X509 *
cert_build(EVP_PKEY *key, const char *hostname)
{
	unsigned char serial[TLS_SERIAL_OCTETS];
	X509 *cert = X509_new();
	X509_NAME *name;
	BIGNUM *bn = NULL;
	char *san = mem_asprintf("DNS:%s", hostname);
	int ok = 0;

	if (cert == NULL || RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f;	/* a positive INTEGER */
	serial[0] |= 0x40;	/* and never a short one */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	name = X509_get_subject_name(cert);
	/* The CN holds at most 64 octets; the subjectAltName is what
	 * clients check (RFC 6125). */
	ok = X509_set_version(cert, 2) == 1 && bn != NULL &&
	     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL &&
	     X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != NULL &&
	     X509_time_adj_ex(X509_getm_notAfter(cert), TLS_SELF_SIGNED_DAYS,
			      0, NULL) != NULL &&
	     X509_NAME_add_entry_by_txt(
		     name, "CN", MBSTRING_ASC,
		     (const unsigned char *)hostname,
		     strlen(hostname) <= TLS_CN_MAX ? -1 : TLS_CN_MAX, -1,
		     0) == 1 &&
	     X509_set_issuer_name(cert, name) == 1 &&
	     X509_set_pubkey(cert, key) == 1 &&
	     cert_add_ext(cert, NID_basic_constraints, "critical,CA:FALSE") ==
		     0 &&
	     cert_add_ext(cert, NID_key_usage, "critical,digitalSignature") ==
		     0 &&
	     cert_add_ext(cert, NID_ext_key_usage, "serverAuth") == 0 &&
	     cert_add_ext(cert, NID_subject_key_identifier, "hash") == 0 &&
	     cert_add_ext(cert, NID_subject_alt_name, san) == 0 &&
	     X509_sign(cert, key, EVP_sha256()) > 0;
out:
	BN_free(bn);
	mem_free(&san);
	if (!ok) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

/* pem_write - the PEM text of a BIO to path, atomically, with mode */
static int
pem_write(BIO *bio, const char *path, mode_t mode, char *err, size_t err_size)
{
	char *data;
	long n = BIO_get_mem_data(bio, &data);

	if (n <= 0 || n > TLS_PEM_MAX) {
		snprintf(err, err_size, "cannot encode %s", path);
		return -1;
	}
	if (io_atomic_replace(path, data, (size_t)n, mode) < 0) {
		snprintf(err, err_size, "write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* tls_make_self_signed - key and certificate for a new instance */
int
tls_make_self_signed(const char *hostname, const char *cert_file,
		     const char *key_file, char *err, size_t err_size)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	BIO *key_bio = NULL, *cert_bio = NULL;
	int rc = -1;

	ERR_clear_error();
	if (!tls_is_hostname(hostname)) {
		snprintf(err, err_size, "not a host name: \"%s\"",
			 log_safe_str(hostname));
		return -1;
	}
	key = EVP_EC_gen("P-256");
	if (key == NULL) {
		tls_fail(err, err_size, "cannot make a key for", hostname);
		goto out;
	}
	cert = cert_build(key, hostname);
	if (cert == NULL) {
		tls_fail(err, err_size, "cannot make a certificate for",
			 hostname);
		goto out;
	}
	/* The secure heap is cleared when the BIO is freed. */
	key_bio = BIO_new(BIO_s_secmem());
	cert_bio = BIO_new(BIO_s_mem());
	if (key_bio == NULL || cert_bio == NULL ||
	    PEM_write_bio_PrivateKey(key_bio, key, NULL, NULL, 0, NULL,
				     NULL) != 1 ||
	    PEM_write_bio_X509(cert_bio, cert) != 1) {
		tls_fail(err, err_size, "cannot encode the key and "
					"certificate of",
			 hostname);
		goto out;
	}
	/* The key first: the certificate never exists without its key. */
	if (pem_write(key_bio, key_file, 0600, err, err_size) < 0 ||
	    pem_write(cert_bio, cert_file, 0644, err, err_size) < 0)
		goto out;
	rc = 0;
out:
	BIO_free(key_bio);
	BIO_free(cert_bio);
	X509_free(cert);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return rc;
}

/* tls_level_from_text - a *_tls_security_level value; -1 if unknown */
static int
tls_level_from_text(const char *text, enum tls_level *level_r)
{
	if (text[0] == '\0' || strcmp(text, "none") == 0)
		*level_r = TLS_LEVEL_NONE;
	else if (strcmp(text, "may") == 0)
		*level_r = TLS_LEVEL_MAY;
	else if (strcmp(text, "encrypt") == 0)
		*level_r = TLS_LEVEL_ENCRYPT;
	else
		return -1;
	return 0;
}

/* tls_server_ctx_instance - a server context with the shared ticket key */
static struct tls_ctx *
tls_server_ctx_instance(const char *cert_file, const char *key_file,
			const char *queue_dir, char *err, size_t err_size)
{
	struct tls_ctx *ctx = tls_server_ctx_new(cert_file, key_file, err,
						 err_size);
	char path[PATH_MAX], why[TLS_ERROR_MAX + PATH_MAX];
	int n;

	if (ctx == NULL)
		return NULL;
	n = snprintf(path, sizeof(path), "%s/private/%s", queue_dir,
		     TLS_TICKET_KEY_FILE);
	if (n < 0 || (size_t)n >= sizeof(path))
		log_warn("TLS session tickets: %s/private: path too long; "
			 "sessions resume only with the process that made "
			 "them",
			 queue_dir);
	else if (tls_ctx_ticket_keys_load(ctx, path, why, sizeof(why)) < 0)
		log_warn("TLS session tickets: %s; sessions resume only with "
			 "the process that made them",
			 why);
	return ctx;
}

/* tls_server_setup - a daemon's level and context from its parameters */
struct tls_ctx *
tls_server_setup(const struct tls_server_conf *conf, enum tls_level *level_r)
{
	char err[TLS_ERROR_MAX + 2 * PATH_MAX];
	struct tls_ctx *ctx;
	bool required;

	if (tls_level_from_text(conf->level, level_r) < 0)
		log_fatal_code(MR_EXIT_CONFIG,
			       "%s_tls_security_level: unknown level \"%s\" "
			       "(none, may or encrypt)",
			       conf->service, log_safe_str(conf->level));
	required = *level_r == TLS_LEVEL_ENCRYPT || conf->wrapper;
	if (*level_r == TLS_LEVEL_NONE && !conf->wrapper)
		return NULL;
	if (conf->cert_file[0] == '\0') {
		if (required)
			log_fatal_code(MR_EXIT_CONFIG,
				       "%s_tls_cert_file is not set: TLS "
				       "can't be enabled",
				       conf->service);
		return NULL;
	}
	ctx = tls_server_ctx_instance(conf->cert_file, conf->key_file,
				      conf->queue_dir, err, sizeof(err));
	if (ctx != NULL)
		return ctx;
	/* Postfix's words for the same two situations. */
	if (required)
		log_fatal_code(MR_EXIT_CONFIG,
			       "No server certs available. TLS can't be "
			       "enabled: %s",
			       err);
	log_warn("No server certs available. TLS won't be enabled: %s", err);
	return NULL;
}
