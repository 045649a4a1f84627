/*
 * ipc_conn.c - IPC frames over a Unix stream socket (see ipc_conn.h).
 *
 * ipc_conn_new/free, ipc_conn_send, ipc_conn_pending_bytes, ipc_conn_peer:
 * a non-blocking connection on the event loop. ipc_call: a blocking
 * one-shot client for command-line tools.
 *
 * SECURITY: the peer is another process and is not trusted. The read
 * buffer's maximum is the largest frame the limits allow and the parser
 * rejects a larger frame from its header, so a peer cannot make us buffer
 * more. Outgoing bytes are capped (a peer that stops reading cannot grow
 * our memory); so are descriptors waiting for their frame.
 *
 * Descriptor matching: Linux attaches SCM_RIGHTS descriptors to the first
 * octet of the sendmsg that carried them, and a read never goes past the
 * octets that carried descriptors, but it may start with older octets.
 * So each received batch is recorded with the stream range [start, end) of
 * the read that returned it. A frame flagged IPC_FLAG_FD starting at S
 * takes the oldest queued descriptor whose read began at or before S; any
 * descriptor whose read ended at or before the end of the frame just
 * handled can belong to no later frame and is closed as surplus. The
 * sender helps by starting every descriptor-carrying frame with its own
 * sendmsg.
 *
 * Runs with the privilege of the calling process.
 */
#include "lib/ipc_conn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/checked.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/sockaddr.h"

/* Octets asked of one recvmsg call. */
#define IPC_CONN_READ_CHUNK 65536

/* Descriptors accepted by one recvmsg call; more is a protocol error. */
#define IPC_CONN_FDS_PER_READ 4

/* A received descriptor and the stream range of the read it came with. */
struct ipc_conn_rfd {
	int fd;
	uint64_t read_start;
	uint64_t read_end;
};

/* A descriptor to send with the frame starting at stream offset pos. */
struct ipc_conn_wfd {
	int fd;
	uint64_t pos;
};

struct ipc_conn {
	struct event_loop *loop;
	int fd;
	char *peer;
	const struct ipc_limits *limits;
	ipc_conn_frame_fn *on_frame;
	ipc_conn_close_fn *on_close;
	void *ctx;
	struct event_io *io;

	struct buf in;		/* unparsed input */
	uint64_t in_pos;	/* stream offset of in.data[0] */
	struct ipc_conn_rfd rfds[IPC_CONN_FDS_MAX];
	size_t rfd_count;

	struct buf out;		/* unsent output, max = the cap */
	uint64_t out_pos;	/* stream offset of out.data[0] */
	struct ipc_conn_wfd *wfds;
	size_t wfd_count;
	size_t wfd_cap;

	bool stopped;		/* no more I/O; on_close called or queued */
	enum ipc_conn_close_reason close_reason;
	const char *close_error;
	struct event_defer *close_defer;
	bool *destroyed_r;	/* set by ipc_conn_free during a callback */
};

static void ipc_conn_io(void *ctx, int fd, unsigned revents);

/* ipc_conn_peer_name - "pid=N uid=N" of the peer, or "unknown" */
static char *
ipc_conn_peer_name(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    len != sizeof(cred))
		return mem_strdup("unknown");
	return mem_asprintf("pid=%ld uid=%lu", (long)cred.pid,
			    (unsigned long)cred.uid);
}

/* ipc_conn_new - wrap a connected socket */
struct ipc_conn *
ipc_conn_new(struct event_loop *loop, int fd,
	     const struct ipc_conn_settings *set, ipc_conn_frame_fn *on_frame,
	     ipc_conn_close_fn *on_close, void *ctx)
{
	struct ipc_conn *conn = mem_alloc(sizeof(*conn));
	size_t pending_max = set->max_pending_bytes != 0 ?
				     set->max_pending_bytes :
				     IPC_CONN_PENDING_DEFAULT;

	MR_ASSERT(fd >= 0 && set->limits != NULL);
	if (io_set_nonblock(fd, true) < 0 || io_set_cloexec(fd, true) < 0)
		log_panic("ipc: fcntl(fd=%d): %s", fd, strerror(errno));
	conn->loop = loop;
	conn->fd = fd;
	conn->peer = set->peer_name != NULL ? mem_strdup(set->peer_name) :
					      ipc_conn_peer_name(fd);
	conn->limits = set->limits;
	conn->on_frame = on_frame;
	conn->on_close = on_close;
	conn->ctx = ctx;
	buf_init(&conn->in, ipc_limits_max_len(set->limits));
	buf_init(&conn->out, pending_max);
	conn->io = event_io_add(loop, fd, EVENT_READ, ipc_conn_io, conn);
	return conn;
}

/* ipc_conn_close_rfds - close every queued received descriptor */
static void
ipc_conn_close_rfds(struct ipc_conn *conn)
{
	size_t i;

	for (i = 0; i < conn->rfd_count; i++)
		close(conn->rfds[i].fd);
	conn->rfd_count = 0;
}

/* ipc_conn_free - close and release */
void
ipc_conn_free(struct ipc_conn **connp)
{
	struct ipc_conn *conn = *connp;
	size_t i;

	if (conn == NULL)
		return;
	*connp = NULL;
	if (conn->destroyed_r != NULL)
		*conn->destroyed_r = true;
	event_defer_cancel(&conn->close_defer);
	event_io_remove(&conn->io);
	close(conn->fd);
	ipc_conn_close_rfds(conn);
	for (i = 0; i < conn->wfd_count; i++)
		close(conn->wfds[i].fd);
	mem_free(&conn->wfds);
	buf_deinit(&conn->in);
	buf_deinit(&conn->out);
	mem_free(&conn->peer);
	mem_free(&conn);
}

/* ipc_conn_pending_bytes - queued output */
size_t
ipc_conn_pending_bytes(const struct ipc_conn *conn)
{
	return conn->out.len;
}

/* ipc_conn_peer - the peer's name */
const char *
ipc_conn_peer(const struct ipc_conn *conn)
{
	return conn->peer;
}

/* ipc_conn_stop - stop I/O and log why */
static void
ipc_conn_stop(struct ipc_conn *conn, enum ipc_conn_close_reason reason,
	      const char *error)
{
	MR_ASSERT(!conn->stopped);
	conn->stopped = true;
	conn->close_reason = reason;
	conn->close_error = error;
	event_io_remove(&conn->io);
	/* A peer that is wrong (bad frame, flooding us) is a warning; a
	   vanished peer is routine (master logs how its children exit). */
	if (reason == IPC_CONN_CLOSE_EOF)
		log_debug("ipc: peer %s closed the connection",
			  log_safe_str(conn->peer));
	else if (reason == IPC_CONN_CLOSE_IO_ERROR)
		log_info("ipc: peer %s: %s; closing connection",
			 log_safe_str(conn->peer), error);
	else
		log_warn("ipc: peer %s: %s; closing connection",
			 log_safe_str(conn->peer), error);
}

/* ipc_conn_fail - stop and tell the owner now (from a loop callback) */
static void
ipc_conn_fail(struct ipc_conn *conn, enum ipc_conn_close_reason reason,
	      const char *error)
{
	ipc_conn_stop(conn, reason, error);
	/* The owner may free conn here; nothing touches it afterwards. */
	conn->on_close(conn->ctx, reason, error);
}

/* ipc_conn_deferred_close - report a stop decided inside ipc_conn_send */
static void
ipc_conn_deferred_close(void *ctx)
{
	struct ipc_conn *conn = ctx;

	conn->close_defer = NULL;
	conn->on_close(conn->ctx, conn->close_reason, conn->close_error);
}

/* ---- input ---- */

/* ipc_conn_drop_rfds - close received descriptors whose read ended by pos */
static void
ipc_conn_drop_rfds(struct ipc_conn *conn, uint64_t pos)
{
	size_t keep = 0, i;

	for (i = 0; i < conn->rfd_count; i++) {
		if (conn->rfds[i].read_end <= pos)
			close(conn->rfds[i].fd);	/* surplus */
		else
			conn->rfds[keep++] = conn->rfds[i];
	}
	conn->rfd_count = keep;
}

/*
 * ipc_conn_take_rfd - the descriptor for a flagged frame starting at pos,
 * or -1 when none arrived with it
 */
static int
ipc_conn_take_rfd(struct ipc_conn *conn, uint64_t pos)
{
	int fd;

	if (conn->rfd_count == 0 || conn->rfds[0].read_start > pos)
		return -1;
	fd = conn->rfds[0].fd;
	conn->rfd_count--;
	memmove(conn->rfds, conn->rfds + 1,
		conn->rfd_count * sizeof(conn->rfds[0]));
	return fd;
}

/*
 * ipc_conn_process - hand every complete frame in the input to on_frame.
 * Returns -1 when conn was stopped or freed meanwhile (do not touch it).
 */
static int
ipc_conn_process(struct ipc_conn *conn)
{
	bool destroyed = false;
	size_t off = 0;
	int ret = 0;

	conn->destroyed_r = &destroyed;
	while (!conn->stopped) {
		struct ipc_frame frame;
		const char *error = NULL;
		size_t consumed;
		uint64_t start = conn->in_pos + off;
		int fd = -1;
		int r = ipc_frame_parse(conn->in.data + off, conn->in.len - off,
					conn->limits, &frame, &consumed,
					&error);

		if (r == 0)
			break;
		if (r < 0) {
			conn->destroyed_r = NULL;
			ipc_conn_fail(conn, IPC_CONN_CLOSE_MALFORMED, error);
			return -1;
		}
		ipc_conn_drop_rfds(conn, start);
		if (frame.flags & IPC_FLAG_FD) {
			fd = ipc_conn_take_rfd(conn, start);
			if (fd < 0) {
				conn->destroyed_r = NULL;
				ipc_conn_fail(conn, IPC_CONN_CLOSE_MALFORMED,
					      "frame announces a descriptor "
					      "that did not arrive");
				return -1;
			}
		}
		off += consumed;
		ipc_conn_drop_rfds(conn, conn->in_pos + off);
		conn->on_frame(conn->ctx, &frame, fd);
		if (destroyed)
			return -1;
	}
	conn->destroyed_r = NULL;
	if (conn->stopped)
		ret = -1;
	buf_consume(&conn->in, off);
	conn->in_pos += off;
	return ret;
}

/* ipc_conn_collect_fds - queue the descriptors of one recvmsg */
static const char *
ipc_conn_collect_fds(struct ipc_conn *conn, struct msghdr *mh,
		     uint64_t read_start, uint64_t read_end)
{
	const char *error = NULL;
	struct cmsghdr *c;

	if (mh->msg_flags & MSG_CTRUNC)
		error = "too many descriptors in one message";
	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		size_t count, i;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		/* UNSAFE: the kernel sized cmsg_len; read whole ints only. */
		count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < count; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (conn->rfd_count == IPC_CONN_FDS_MAX) {
				close(fd);
				error = "too many descriptors queued";
				continue;
			}
			conn->rfds[conn->rfd_count].fd = fd;
			conn->rfds[conn->rfd_count].read_start = read_start;
			conn->rfds[conn->rfd_count].read_end = read_end;
			conn->rfd_count++;
		}
	}
	return error;
}

/* ipc_conn_read - one recvmsg, then process what is complete */
static void
ipc_conn_read(struct ipc_conn *conn)
{
	union {
		struct cmsghdr align;
		uint8_t space[CMSG_SPACE(IPC_CONN_FDS_PER_READ * sizeof(int))];
	} control;
	struct msghdr mh;
	struct iovec iov;
	size_t room = buf_room(&conn->in);
	uint64_t read_start;
	const char *error;
	ssize_t got;

	/* The parser refuses frames above the buffer's maximum, so a full
	   buffer always holds a complete frame, consumed by the last call. */
	MR_ASSERT(room > 0);
	if (room > IPC_CONN_READ_CHUNK)
		room = IPC_CONN_READ_CHUNK;
	iov.iov_base = buf_reserve(&conn->in, room);
	iov.iov_len = room;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = control.space;
	mh.msg_controllen = sizeof(control.space);
	got = recvmsg(conn->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (got < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		ipc_conn_fail(conn, IPC_CONN_CLOSE_IO_ERROR, strerror(errno));
		return;
	}
	read_start = conn->in_pos + conn->in.len;
	error = ipc_conn_collect_fds(conn, &mh, read_start,
				     read_start + (uint64_t)got);
	if (got == 0) {
		if (conn->in.len > 0)
			ipc_conn_fail(conn, IPC_CONN_CLOSE_MALFORMED,
				      "connection closed inside a frame");
		else
			ipc_conn_fail(conn, IPC_CONN_CLOSE_EOF,
				      "connection closed");
		return;
	}
	buf_commit(&conn->in, (size_t)got);
	if (error != NULL) {
		ipc_conn_fail(conn, IPC_CONN_CLOSE_MALFORMED, error);
		return;
	}
	(void)ipc_conn_process(conn);
}

/* ---- output ---- */

/* ipc_conn_flush - write queued output until the socket would block */
static int
ipc_conn_flush(struct ipc_conn *conn)
{
	while (conn->out.len > 0) {
		union {
			struct cmsghdr align;
			uint8_t space[CMSG_SPACE(sizeof(int))];
		} control;
		struct msghdr mh;
		struct iovec iov;
		size_t chunk = conn->out.len;
		bool with_fd = false;
		ssize_t sent;

		if (conn->wfd_count > 0) {
			uint64_t next = conn->wfds[0].pos;

			if (next == conn->out_pos) {
				with_fd = true;
				next = conn->wfd_count > 1 ?
					       conn->wfds[1].pos :
					       conn->out_pos + conn->out.len;
			}
			/* A descriptor-carrying frame starts its own
			   sendmsg: stop before it. */
			if (next - conn->out_pos < chunk)
				chunk = (size_t)(next - conn->out_pos);
		}
		iov.iov_base = conn->out.data;
		iov.iov_len = chunk;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (with_fd) {
			struct cmsghdr *c;

			memset(&control, 0, sizeof(control));
			mh.msg_control = control.space;
			mh.msg_controllen = sizeof(control.space);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &conn->wfds[0].fd, sizeof(int));
		}
		sent = sendmsg(conn->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (sent < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		if (with_fd) {
			/* The descriptor went with the first octet. */
			close(conn->wfds[0].fd);
			conn->wfd_count--;
			memmove(conn->wfds, conn->wfds + 1,
				conn->wfd_count * sizeof(conn->wfds[0]));
		}
		buf_consume(&conn->out, (size_t)sent);
		conn->out_pos += (uint64_t)sent;
	}
	return 0;
}

/* ipc_conn_write - the socket is writable */
static void
ipc_conn_write(struct ipc_conn *conn)
{
	if (ipc_conn_flush(conn) < 0) {
		ipc_conn_fail(conn, IPC_CONN_CLOSE_IO_ERROR, strerror(errno));
		return;
	}
	if (conn->out.len == 0)
		event_io_set(conn->io, EVENT_READ);
}

/* ipc_conn_io - event loop callback */
static void
ipc_conn_io(void *ctx, int fd, unsigned revents)
{
	struct ipc_conn *conn = ctx;
	bool destroyed = false;

	(void)fd;
	if (revents & EVENT_WRITE) {
		conn->destroyed_r = &destroyed;
		ipc_conn_write(conn);
		if (destroyed)
			return;
		conn->destroyed_r = NULL;
		if (conn->stopped)
			return;
	}
	if (revents & EVENT_READ)
		ipc_conn_read(conn);
}

/* ipc_conn_send - queue a frame (and maybe a descriptor) */
int
ipc_conn_send(struct ipc_conn *conn, const struct ipc_msg *msg, int fd)
{
	size_t len = msg->buf.len;
	uint8_t *p;

	MR_ASSERT(len >= IPC_HEADER_LEN && msg->group_start == 0);
	if (conn->stopped) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!buf_has_room(&conn->out, len)) {
		if (fd >= 0)
			close(fd);
		/* SECURITY: a peer that stops reading cannot grow our
		   memory; the owner hears about it from the loop. */
		ipc_conn_stop(conn, IPC_CONN_CLOSE_OVERFLOW,
			      "outgoing queue over its limit");
		conn->close_defer = event_defer(conn->loop,
						ipc_conn_deferred_close, conn);
		return -1;
	}
	if (fd >= 0) {
		if (conn->wfd_count == conn->wfd_cap) {
			size_t cap;

			if (!checked_grow(conn->wfd_cap, conn->wfd_count + 1,
					  SIZE_MAX / sizeof(*conn->wfds),
					  &cap))
				log_panic("ipc: descriptor queue overflow");
			conn->wfds = mem_realloc_array(conn->wfds, cap,
						       sizeof(*conn->wfds));
			conn->wfd_cap = cap;
		}
		conn->wfds[conn->wfd_count].fd = fd;
		conn->wfds[conn->wfd_count].pos = conn->out_pos + conn->out.len;
		conn->wfd_count++;
	}
	p = buf_reserve(&conn->out, len);
	memcpy(p, msg->buf.data, len);
	/* The header flag always tells the truth about the descriptor. */
	if (fd >= 0)
		p[7] |= IPC_FLAG_FD;
	else
		p[7] &= (uint8_t)~IPC_FLAG_FD;
	buf_commit(&conn->out, len);
	event_io_set(conn->io, EVENT_READ | EVENT_WRITE);
	return 0;
}

/* ---- blocking client ---- */

/* ipc_call_remaining - milliseconds left until deadline, at least 0 */
static int
ipc_call_remaining(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

/* ipc_call_wait - poll fd for events until the deadline */
static int
ipc_call_wait(int fd, short events, const struct timespec *deadline,
	      const char **error_r)
{
	struct pollfd pfd;
	int r;

	pfd.fd = fd;
	pfd.events = events;
	do {
		r = poll(&pfd, 1, ipc_call_remaining(deadline));
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	if (r == 0) {
		*error_r = "timed out";
		return -1;
	}
	return 0;
}

/* ipc_call_connect - connected non-blocking socket, or -1 */
static int
ipc_call_connect(const char *socket_path, int timeout_ms,
		 const char **error_r)
{
	struct sockaddr_un sun;
	struct timeval tv;
	int fd;

	if (sockaddr_un_set(&sun, socket_path) < 0) {
		*error_r = "socket path too long";
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	/* A Unix connect waits for backlog room up to SO_SNDTIMEO. */
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    io_set_nonblock(fd, true) < 0) {
		*error_r = strerror(errno);
		close(fd);
		return -1;
	}
	return fd;
}

/* ipc_call_send - write the whole request before the deadline */
static int
ipc_call_send(int fd, const struct ipc_msg *req,
	      const struct timespec *deadline, const char **error_r)
{
	size_t off = 0;

	while (off < req->buf.len) {
		ssize_t w = send(fd, req->buf.data + off, req->buf.len - off,
				 MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				*error_r = strerror(errno);
				return -1;
			}
			if (ipc_call_wait(fd, POLLOUT, deadline, error_r) < 0)
				return -1;
			continue;
		}
		off += (size_t)w;
	}
	return 0;
}

/* ipc_call_receive - read until one frame is complete */
static int
ipc_call_receive(int fd, struct buf *reply_buf, struct ipc_frame *reply_r,
		 const struct timespec *deadline, const char **error_r)
{
	for (;;) {
		size_t consumed, room;
		ssize_t got;
		uint8_t *p;
		int r = ipc_frame_parse(reply_buf->data, reply_buf->len,
					&ipc_limits_all, reply_r, &consumed,
					error_r);

		if (r > 0)
			return 0;
		if (r < 0)
			return -1;
		room = buf_room(reply_buf);
		if (room == 0) {
			*error_r = "reply larger than the reply buffer";
			return -1;
		}
		if (room > IPC_CONN_READ_CHUNK)
			room = IPC_CONN_READ_CHUNK;
		p = buf_reserve(reply_buf, room);
		got = recv(fd, p, room, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				*error_r = strerror(errno);
				return -1;
			}
			if (ipc_call_wait(fd, POLLIN, deadline, error_r) < 0)
				return -1;
			continue;
		}
		if (got == 0) {
			*error_r = "connection closed before the reply";
			return -1;
		}
		buf_commit(reply_buf, (size_t)got);
	}
}

/* ipc_call - blocking request and reply */
int
ipc_call(const char *socket_path, const struct ipc_msg *req,
	 struct buf *reply_buf, struct ipc_frame *reply_r, int timeout_ms,
	 const char **error_r)
{
	struct timespec deadline;
	struct ipc_frame reply;
	uint32_t request_id;
	int fd, ret = -1;

	MR_ASSERT(req->buf.len >= IPC_HEADER_LEN && timeout_ms > 0);
	request_id = (uint32_t)req->buf.data[8] << 24 |
		     (uint32_t)req->buf.data[9] << 16 |
		     (uint32_t)req->buf.data[10] << 8 | req->buf.data[11];
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	buf_reset(reply_buf);
	fd = ipc_call_connect(socket_path, timeout_ms, error_r);
	if (fd < 0)
		return -1;
	if (ipc_call_send(fd, req, &deadline, error_r) == 0 &&
	    ipc_call_receive(fd, reply_buf, &reply, &deadline, error_r) == 0) {
		if (reply.request_id != request_id) {
			*error_r = "reply for another request";
		} else {
			*reply_r = reply;
			ret = 0;
		}
	}
	close(fd);
	return ret;
}
