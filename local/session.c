/*
 * session.c - one qmgr connection of the local delivery agent.
 *
 *   local_session_accept  fork a child per accepted connection
 *   local_session_reap    collect exited children (parent, on SIGCHLD)
 *
 * The parent stays on the event loop and only accepts and reaps. The
 * child serves its connection with blocking I/O: read one
 * IPC_DELIVER_REQUEST frame, deliver each listed recipient of the queue
 * file active/ID, answer one IPC_DELIVER_RESULT frame, repeat until EOF.
 * Waits are bounded: LOCAL_IDLE_TIMEOUT_S between requests,
 * LOCAL_IO_TIMEOUT_S inside a frame and for the answer.
 *
 * SECURITY: qmgr is a peer like any other. Frames go through
 * ipc_frame_parse (header and per-type length checked before the payload
 * is read) and deliver_request_decode (schema, queue ID syntax); every
 * recipient index is checked against the queue file. A malformed frame or
 * an index out of range logs a warning naming the peer and closes the
 * connection; it never takes the daemon down.
 *
 * Privileges: the child keeps the daemon's (root in a root instance) only
 * to fork the per-delivery children of deliver.c, which drop them.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/deliver_proto.h"
#include "lib/event.h"
#include "lib/io.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/queue.h"
#include "lib/queue_read.h"
#include "local/local.h"

/* The only frame local accepts. */
static const struct ipc_type local_types[] = {
	{ IPC_DELIVER_REQUEST, IPC_DELIVER_REQUEST_MAX_LEN },
};
static const struct ipc_limits local_limits = { local_types, 1 };

/* One connection, in its child. */
struct local_session {
	const struct local_config *cfg;
	int fd;
	char peer[64];
	struct buf in;
};

/* local_session_peer_name - "pid=N uid=N" of the peer, for logs */
static void
local_session_peer_name(int fd, char *out, size_t size)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		snprintf(out, size, "pid=%ld uid=%ld", (long)cred.pid,
			 (long)cred.uid);
	else
		snprintf(out, size, "unknown peer");
}

/*
 * local_session_read - read more bytes within timeout_s; returns 1 with
 * bytes added, 0 at EOF, -1 on error or timeout.
 */
static int
local_session_read(struct local_session *s, int timeout_s)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	uint8_t *p;
	ssize_t got;
	size_t room = buf_room(&s->in);
	int rc;

	if (room == 0)
		return -1;	/* cannot happen: the limit is checked first */
	do
		rc = poll(&pfd, 1, timeout_s * 1000);
	while (rc < 0 && errno == EINTR);
	if (rc <= 0)
		return -1;
	p = buf_reserve(&s->in, room);
	do
		got = read(s->fd, p, room);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -1;
	buf_commit(&s->in, (size_t)got);
	return got == 0 ? 0 : 1;
}

/* local_session_write - send a whole frame within LOCAL_IO_TIMEOUT_S */
static int
local_session_write(struct local_session *s, const struct ipc_msg *msg)
{
	struct timeval tv = { .tv_sec = LOCAL_IO_TIMEOUT_S };

	(void)setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return io_write_full(s->fd, msg->buf.data, msg->buf.len);
}

/* local_session_fill_all - the same outcome for every requested recipient */
static void
local_session_fill_all(struct deliver_result *res,
		       const struct deliver_request *req,
		       enum deliver_status status, const char *dsn,
		       const char *text)
{
	size_t i;

	for (i = 0; i < req->rcpt_count; i++) {
		struct deliver_rcpt_result *r = &res->rcpts[i];

		r->rcpt_index = req->rcpt_index[i];
		r->status = status;
		snprintf(r->dsn, sizeof(r->dsn), "%s", dsn);
		snprintf(r->text, sizeof(r->text), "%s", text);
		snprintf(r->relay, sizeof(r->relay), "local");
	}
}

/*
 * local_session_deliver - perform one request into res. Returns 0, or -1
 * when the request is a protocol error (an index out of range).
 */
static int
local_session_deliver(struct local_session *s,
		      const struct deliver_request *req,
		      struct deliver_result *res)
{
	char path[4096];
	struct queue_message *msg = NULL;
	enum queue_err qerr;
	const char *error;
	size_t i;

	if (queue_path(param_queue_directory, QUEUE_STATE_ACTIVE,
		       req->queue_id, path, sizeof(path)) < 0 ||
	    queue_read_open(path, 0, &msg, &qerr, &error) < 0) {
		if (msg == NULL)
			qerr = qerr == QUEUE_ERR_NONE ? QUEUE_ERR_IO : qerr;
		log_warn("%s: cannot open queue file: %s (%s)",
			 req->queue_id, queue_err_name(qerr), error);
		/* Nothing is lost: qmgr keeps the file and retries (a
		 * corrupt one is qmgr's to move, it owns active/). */
		local_session_fill_all(res, req, DELIVER_STATUS_DEFERRED,
				       "4.3.0", "cannot read queue file");
		return 0;
	}
	/* SECURITY: check every index before delivering anything. */
	for (i = 0; i < req->rcpt_count; i++) {
		if (req->rcpt_index[i] >= msg->rcpt_count) {
			log_warn("%s: recipient index %lu out of range "
				 "(%lu recipients) from %s",
				 req->queue_id,
				 (unsigned long)req->rcpt_index[i],
				 (unsigned long)msg->rcpt_count, s->peer);
			queue_read_free(&msg);
			return -1;
		}
	}
	for (i = 0; i < req->rcpt_count; i++) {
		struct deliver_rcpt_result *r = &res->rcpts[i];
		const struct queue_rcpt *rcpt = &msg->rcpts[req->rcpt_index[i]];
		struct local_outcome out;

		memset(&out, 0, sizeof(out));
		switch (rcpt->status) {
		case QUEUE_RCPT_DELIVERED:
			/* qmgr asks only for pending ones; say what is. */
			local_outcome_set(&out, DELIVER_STATUS_SENT, "2.0.0",
					  "already delivered");
			break;
		case QUEUE_RCPT_BOUNCED:
			local_outcome_set(&out, DELIVER_STATUS_BOUNCED,
					  "5.0.0", "already bounced");
			break;
		default:
			local_deliver_rcpt(s->cfg, req->queue_id, msg,
					   req->rcpt_index[i], &out);
			break;
		}
		r->rcpt_index = req->rcpt_index[i];
		r->status = out.status;
		snprintf(r->dsn, sizeof(r->dsn), "%s", out.dsn);
		snprintf(r->text, sizeof(r->text), "%s", out.text);
		snprintf(r->relay, sizeof(r->relay), "local");
	}
	queue_read_free(&msg);
	return 0;
}

/* local_session_frame - handle one request frame; -1 closes */
static int
local_session_frame(struct local_session *s, const struct ipc_frame *frame)
{
	struct deliver_request *req = mem_alloc(sizeof(*req));
	struct deliver_result res;
	struct ipc_msg msg;
	const char *error;
	int rc = -1;

	memset(&res, 0, sizeof(res));
	if (deliver_request_decode(frame, req, &error) < 0) {
		log_warn("malformed delivery request from %s: %s", s->peer,
			 error);
		goto out;
	}
	snprintf(res.queue_id, sizeof(res.queue_id), "%s", req->queue_id);
	res.rcpts = mem_alloc_array(req->rcpt_count, sizeof(*res.rcpts));
	res.rcpt_count = req->rcpt_count;
	if (local_session_deliver(s, req, &res) < 0)
		goto out;
	deliver_result_encode(&msg, frame->request_id, &res);
	rc = local_session_write(s, &msg);
	if (rc < 0)
		log_info("%s: cannot send result to %s: %s", req->queue_id,
			 s->peer, strerror(errno));
	ipc_msg_deinit(&msg);
out:
	mem_free(&res.rcpts);
	mem_free(&req);
	return rc;
}

/* local_session_serve - the child's loop over one connection */
static void
local_session_serve(struct local_session *s)
{
	struct ipc_frame frame;
	size_t consumed;
	const char *error;
	int rc;

	for (;;) {
		rc = ipc_frame_parse(s->in.data, s->in.len, &local_limits,
				     &frame, &consumed, &error);
		if (rc < 0) {
			log_warn("malformed frame from %s: %s", s->peer,
				 error);
			return;
		}
		if (rc == 1) {
			if (local_session_frame(s, &frame) < 0)
				return;
			buf_consume(&s->in, consumed);
			continue;
		}
		rc = local_session_read(s, s->in.len == 0
						   ? LOCAL_IDLE_TIMEOUT_S
						   : LOCAL_IO_TIMEOUT_S);
		if (rc == 0 && s->in.len != 0)
			log_warn("EOF inside a frame from %s", s->peer);
		if (rc < 0 && s->in.len != 0)
			log_warn("timeout or error inside a frame from %s",
				 s->peer);
		if (rc <= 0)
			return;
	}
}

/* local_session_child - the forked connection child; never returns */
static void
local_session_child(const struct local_config *cfg, int fd)
{
	struct local_session s;

	/* The parent's loop blocked signals for its signalfd. */
	event_signals_unblock_all();
	signal(SIGCHLD, SIG_DFL);
	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.fd = fd;
	io_set_nonblock(fd, false);
	local_session_peer_name(fd, s.peer, sizeof(s.peer));
	buf_init(&s.in, IPC_DELIVER_REQUEST_MAX_LEN);
	local_session_serve(&s);
	buf_deinit(&s.in);
	close(fd);
	_exit(0);
}

/* local_session_accept - fork the child that serves fd */
void
local_session_accept(struct server *srv, int fd)
{
	const struct local_config *cfg = server_ctx(srv);
	pid_t pid = fork();

	if (pid < 0) {
		log_warn("fork: %s; dropping a qmgr connection",
			 strerror(errno));
		close(fd);
		return;
	}
	if (pid == 0)
		local_session_child(cfg, fd);
	close(fd);
	server_session_opened(srv);
}

/* local_session_reap - wait for exited connection children */
void
local_session_reap(struct server *srv)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (WIFSIGNALED(status))
			log_warn("connection child %ld killed by signal %d",
				 (long)pid, WTERMSIG(status));
		server_session_closed(srv);
	}
}
