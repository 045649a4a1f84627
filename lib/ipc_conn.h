/*
 * ipc_conn.h - IPC frames over a Unix stream socket, on the event loop.
 *
 * An ipc_conn owns one connected, non-blocking socket. Incoming bytes go
 * to a read buffer whose hard maximum is the largest frame the receiver's
 * limits allow; frames are parsed as they arrive and handed to on_frame.
 * Outgoing frames are copied to a queue capped at max_pending_bytes and
 * written when the socket is writable. Descriptors travel with SCM_RIGHTS:
 * one per frame, only on frames whose header has IPC_FLAG_FD; any other
 * descriptor that arrives is closed at once.
 *
 * On a malformed frame, a breached cap, a socket error or the peer's EOF
 * the connection stops and on_close is called once; the owner then frees
 * it with ipc_conn_free, from on_close or later. A malformed frame or a
 * breached cap logs a warning naming the peer; a socket error logs info,
 * a clean EOF debug. Nothing here ever exits the process because of what
 * a peer sent.
 *
 * ipc_call is a blocking one-request client for command-line tools.
 */
#ifndef MR_IPC_CONN_H
#define MR_IPC_CONN_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/event.h"
#include "lib/ipc.h"

/* Descriptors received but not yet matched to a frame, per connection. */
#define IPC_CONN_FDS_MAX 16

/* Default cap on queued outgoing octets (ipc_conn_settings). */
#define IPC_CONN_PENDING_DEFAULT (1024u * 1024)

struct ipc_conn;

/* Why a connection stopped. */
enum ipc_conn_close_reason {
	IPC_CONN_CLOSE_EOF,		/* peer closed between frames */
	IPC_CONN_CLOSE_MALFORMED,	/* bad frame, bad descriptor use, EOF
					   inside a frame */
	IPC_CONN_CLOSE_OVERFLOW,	/* outgoing queue over its cap */
	IPC_CONN_CLOSE_IO_ERROR,	/* read or write failed */
};

/*
 * ipc_conn_frame_fn - one complete frame. frame points into the read
 * buffer and is valid only during the call. fd is -1, or a descriptor that
 * arrived with a frame flagged IPC_FLAG_FD (close-on-exec): the callback
 * owns it and must close or keep it. The callback may send, and may free
 * the connection.
 */
typedef void ipc_conn_frame_fn(void *ctx, const struct ipc_frame *frame,
			       int fd);

/*
 * ipc_conn_close_fn - the connection stopped; error describes why (a
 * static string). No frame callback follows. Free the connection.
 */
typedef void ipc_conn_close_fn(void *ctx, enum ipc_conn_close_reason reason,
			       const char *error);

struct ipc_conn_settings {
	const struct ipc_limits *limits;	/* types accepted */
	size_t max_pending_bytes;	/* outgoing cap; 0: the default */
	const char *peer_name;	/* for logs; NULL: "pid=N uid=N" from
				   SO_PEERCRED */
};

/*
 * ipc_conn_new - take over the connected stream socket fd (made
 * non-blocking and close-on-exec; closed by ipc_conn_free) and start
 * reading. set is copied (limits must stay valid). Never returns NULL.
 */
struct ipc_conn *ipc_conn_new(struct event_loop *loop, int fd,
			      const struct ipc_conn_settings *set,
			      ipc_conn_frame_fn *on_frame,
			      ipc_conn_close_fn *on_close, void *ctx);

/*
 * ipc_conn_free - close the socket and any descriptor still queued in
 * either direction, drop unsent output, NULL *conn. Safe from on_frame and
 * on_close.
 */
void ipc_conn_free(struct ipc_conn **conn);

/*
 * ipc_conn_send - queue a copy of msg; with fd >= 0 also pass that
 * descriptor (the queued header gets IPC_FLAG_FD, and the flag is cleared
 * when fd is -1). The conn takes ownership of fd in every case: it is
 * closed once sent or when the conn goes away. Returns 0, or -1 when the
 * connection has stopped or the queue would pass its cap; for the cap the
 * connection stops with IPC_CONN_CLOSE_OVERFLOW and on_close is called
 * from the loop later, never from inside ipc_conn_send.
 */
int ipc_conn_send(struct ipc_conn *conn, const struct ipc_msg *msg, int fd);

/* ipc_conn_pending_bytes - octets queued and not yet written. */
size_t ipc_conn_pending_bytes(const struct ipc_conn *conn);

/* ipc_conn_peer - the peer's name used in log lines. */
const char *ipc_conn_peer(const struct ipc_conn *conn);

/*
 * ipc_call - blocking client: connect to the Unix socket at socket_path,
 * send req, read one reply frame into reply_buf (reset first; its maximum
 * bounds the reply) within timeout_ms (> 0) overall. Replies are parsed with
 * ipc_limits_all and must carry req's request id. Returns 0 with *reply_r
 * pointing into reply_buf, or -1 with *error_r (static or strerror text).
 */
int ipc_call(const char *socket_path, const struct ipc_msg *req,
	     struct buf *reply_buf, struct ipc_frame *reply_r, int timeout_ms,
	     const char **error_r);

#endif
