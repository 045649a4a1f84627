/*
 * agent.c - qmgr's connections to the delivery agents.
 *
 *   qmgr_agent_get        an idle connection or a new one to a transport
 *   qmgr_agent_send       send one IPC_DELIVER_REQUEST
 *   qmgr_agent_close_all  shutdown
 *
 * A connection goes to queue_directory/private/TRANSPORT and carries one
 * request at a time (lib/deliver_proto.h); after the result it waits on
 * the transport's idle list for the next request, up to QMGR_CONN_IDLE_MS.
 * A connection belongs to its transport's count from connect to free; an
 * entry in flight belongs to its connection until the result, a timeout or
 * the connection's end hands it back to schedule.c.
 *
 * SECURITY: the agent's result is untrusted input. Frames are limited to
 * IPC_DELIVER_RESULT and decoded by deliver_result_decode (schema, sizes,
 * printable texts); the result must carry our request ID and queue ID, and
 * message.c accepts only recipient indexes of this very request.
 * Limits: QMGR_TRANSPORT_CONN_MAX connections per transport,
 * QMGR_DELIVER_TIMEOUT_MS per request.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/ipc_conn.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "qmgr/qmgr.h"

/* One connection to a delivery agent. */
struct qmgr_conn {
	struct qmgr *q;
	unsigned transport;
	struct ipc_conn *ipc;
	struct event_timer *timer;	/* request timeout, or idle timeout */
	struct qmgr_conn *idle_prev, *idle_next;
	struct qmgr_conn *all_prev, *all_next;
	bool on_idle;
	struct qmgr_entry *entry;	/* in flight, or NULL */
	uint32_t request_id;
};

/* The only frame an agent may send us. */
static const struct ipc_type agent_types[] = {
	{ IPC_DELIVER_RESULT, IPC_DELIVER_RESULT_MAX_LEN },
};
static const struct ipc_limits agent_limits = {
	agent_types, sizeof(agent_types) / sizeof(agent_types[0])
};

/* agent_idle_remove - take conn off its transport's idle list */
static void
agent_idle_remove(struct qmgr_conn *conn)
{
	struct qmgr_transport *tp = &conn->q->transports[conn->transport];

	if (!conn->on_idle)
		return;
	if (conn->idle_prev != NULL)
		conn->idle_prev->idle_next = conn->idle_next;
	else
		tp->idle = conn->idle_next;
	if (conn->idle_next != NULL)
		conn->idle_next->idle_prev = conn->idle_prev;
	conn->idle_prev = conn->idle_next = NULL;
	conn->on_idle = false;
}

/* agent_idle_add - put conn on its transport's idle list */
static void
agent_idle_add(struct qmgr_conn *conn)
{
	struct qmgr_transport *tp = &conn->q->transports[conn->transport];

	MR_ASSERT(!conn->on_idle && conn->entry == NULL);
	conn->idle_prev = NULL;
	conn->idle_next = tp->idle;
	if (tp->idle != NULL)
		tp->idle->idle_prev = conn;
	tp->idle = conn;
	conn->on_idle = true;
	event_timer_reset(conn->timer, QMGR_CONN_IDLE_MS);
}

/* agent_free - close and release conn (its entry is already handed back) */
static void
agent_free(struct qmgr_conn **connp)
{
	struct qmgr_conn *conn = *connp;
	struct qmgr_transport *tp = &conn->q->transports[conn->transport];

	MR_ASSERT(conn->entry == NULL);
	agent_idle_remove(conn);
	if (conn->all_prev != NULL)
		conn->all_prev->all_next = conn->all_next;
	else
		tp->all = conn->all_next;
	if (conn->all_next != NULL)
		conn->all_next->all_prev = conn->all_prev;
	ipc_conn_free(&conn->ipc);
	event_timer_remove(&conn->timer);
	MR_ASSERT(tp->conn_count > 0);
	tp->conn_count--;
	mem_free(connp);
}

/*
 * agent_abandon - the request on conn ended without a result: send it once
 * more on another connection, or defer its recipients after that.
 */
static void
agent_abandon(struct qmgr_conn *conn, const char *dsn, const char *text)
{
	struct qmgr_entry *e = conn->entry;
	struct qmgr *q = conn->q;

	conn->entry = NULL;
	if (e == NULL)
		return;
	if (e->attempts < QMGR_ENTRY_ATTEMPTS_MAX && !e->msg->gone) {
		qmgr_entry_requeue(q, e);
		return;
	}
	qmgr_entry_defer(q, e, dsn, text);
	qmgr_entry_done(q, e);
}

/* agent_on_timer - request timeout or idle timeout */
static void
agent_on_timer(void *ctx)
{
	struct qmgr_conn *conn = ctx;

	if (conn->entry != NULL) {
		log_warn("%s: delivery agent %s timed out",
			 conn->entry->msg->id,
			 conn->q->transports[conn->transport].name);
		/* A slow agent is not retried at once: defer. */
		conn->entry->attempts = QMGR_ENTRY_ATTEMPTS_MAX;
		agent_abandon(conn, "4.4.2", "delivery agent timed out");
	}
	agent_free(&conn);
}

/* agent_on_close - the agent closed the connection or sent garbage */
static void
agent_on_close(void *ctx, enum ipc_conn_close_reason reason,
	       const char *error)
{
	struct qmgr_conn *conn = ctx;

	if (conn->entry != NULL)
		log_warn("%s: connection to delivery agent %s lost: %s",
			 conn->entry->msg->id,
			 conn->q->transports[conn->transport].name, error);
	(void)reason;
	agent_abandon(conn, "4.3.0",
		      "delivery agent terminated unexpectedly");
	agent_free(&conn);
}

/* agent_on_frame - one IPC_DELIVER_RESULT */
static void
agent_on_frame(void *ctx, const struct ipc_frame *frame, int fd)
{
	struct qmgr_conn *conn = ctx;
	struct qmgr *q = conn->q;
	struct qmgr_entry *e = conn->entry;
	struct deliver_result res;
	const char *error;

	if (fd >= 0)
		close(fd);
	memset(&res, 0, sizeof(res));
	if (e == NULL || frame->request_id != conn->request_id ||
	    deliver_result_decode(frame, &res, &error) < 0 ||
	    strcmp(res.queue_id, e->msg->id) != 0) {
		if (e == NULL || frame->request_id != conn->request_id)
			error = "result without a matching request";
		else if (res.rcpts != NULL)
			error = "result for another queue file";
		log_warn("delivery agent %s: bad result: %s",
			 q->transports[conn->transport].name, error);
		deliver_result_deinit(&res);
		if (e != NULL)
			e->attempts = QMGR_ENTRY_ATTEMPTS_MAX;
		agent_abandon(conn, "4.3.0", "bad result from delivery agent");
		agent_free(&conn);
		return;
	}
	conn->entry = NULL;
	qmgr_message_results(q, e, &res);
	deliver_result_deinit(&res);
	agent_idle_add(conn);
	qmgr_entry_done(q, e);
}

/* agent_connect - a new connection; returns BUSY/UNAVAILABLE on failure */
static enum qmgr_agent_get
agent_connect(struct qmgr *q, unsigned transport,
	      struct qmgr_conn **conn_r)
{
	struct qmgr_transport *tp = &q->transports[transport];
	struct ipc_conn_settings set;
	struct sockaddr_un sun;
	struct qmgr_conn *conn;
	int fd, n;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/private/%s",
		     q->queue_dir, tp->name);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path)) {
		log_warn("transport %s: socket path too long", tp->name);
		return QMGR_AGENT_UNAVAILABLE;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("transport %s: socket: %m", tp->name);
		return QMGR_AGENT_BUSY;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		if (err == EAGAIN || err == EINTR) {
			log_debug("transport %s: connect: %m: retrying",
				  tp->name);
			return QMGR_AGENT_BUSY;
		}
		log_warn("connect to transport private/%s: %m", tp->name);
		return QMGR_AGENT_UNAVAILABLE;
	}
	memset(&set, 0, sizeof(set));
	set.limits = &agent_limits;
	set.peer_name = tp->name;
	conn = mem_alloc(sizeof(*conn));
	conn->q = q;
	conn->transport = transport;
	conn->ipc = ipc_conn_new(q->loop, fd, &set, agent_on_frame,
				 agent_on_close, conn);
	conn->timer = event_timer_add(q->loop, QMGR_CONN_IDLE_MS,
				      agent_on_timer, conn);
	conn->all_next = tp->all;
	if (tp->all != NULL)
		tp->all->all_prev = conn;
	tp->all = conn;
	tp->conn_count++;
	*conn_r = conn;
	return QMGR_AGENT_OK;
}

/* qmgr_agent_get - reuse an idle connection or open one */
enum qmgr_agent_get
qmgr_agent_get(struct qmgr *q, unsigned transport,
	       struct qmgr_conn **conn_r)
{
	struct qmgr_transport *tp = &q->transports[transport];

	if (tp->idle != NULL) {
		*conn_r = tp->idle;
		agent_idle_remove(*conn_r);
		return QMGR_AGENT_OK;
	}
	if (tp->conn_count >= QMGR_TRANSPORT_CONN_MAX)
		return QMGR_AGENT_BUSY;
	return agent_connect(q, transport, conn_r);
}

/* qmgr_agent_send - one request in flight on conn */
void
qmgr_agent_send(struct qmgr *q, struct qmgr_conn *conn,
		struct qmgr_entry *e)
{
	struct deliver_request *req = mem_alloc(sizeof(*req));
	struct ipc_msg msg;
	size_t i;

	(void)q;
	MR_ASSERT(conn->entry == NULL && !conn->on_idle);
	MR_ASSERT(e->slot_count >= 1 && e->slot_count <= DELIVER_MAX_RCPTS);
	memcpy(req->queue_id, e->msg->id, sizeof(req->queue_id));
	snprintf(req->nexthop, sizeof(req->nexthop), "%s", e->dest->nexthop);
	for (i = 0; i < e->slot_count; i++)
		req->rcpt_index[i] = e->msg->rcpts[e->slots[i]].index;
	req->rcpt_count = e->slot_count;
	conn->entry = e;
	conn->request_id++;
	e->attempts++;
	deliver_request_encode(&msg, conn->request_id, req);
	mem_free(&req);
	/* A failed send stops the conn; on_close hands the entry back. */
	if (ipc_conn_send(conn->ipc, &msg, -1) < 0)
		log_debug("%s: send to delivery agent failed", e->msg->id);
	ipc_msg_deinit(&msg);
	event_timer_reset(conn->timer, QMGR_DELIVER_TIMEOUT_MS);
}

/*
 * qmgr_agent_close_all - close every connection; requests in flight are
 * abandoned (their files stay in active/ and are retried after a restart).
 */
void
qmgr_agent_close_all(struct qmgr *q)
{
	size_t t;

	for (t = 0; t < q->transport_count; t++) {
		while (q->transports[t].all != NULL) {
			struct qmgr_conn *conn = q->transports[t].all;
			struct qmgr_entry *e = conn->entry;

			if (e != NULL) {
				conn->entry = NULL;
				mem_free(&e->slots);
				mem_free(&e);
			}
			agent_free(&conn);
		}
	}
}
