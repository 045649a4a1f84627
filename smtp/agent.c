/*
 * agent.c - qmgr's connections to the SMTP client.
 *
 *   smtp_agent_accept   a new connection on private/smtp
 *   smtp_agent_result   the answer to the request in progress
 *
 * Each connection carries one IPC_DELIVER_REQUEST at a time and gets one
 * IPC_DELIVER_RESULT back (lib/deliver_proto.h); many connections are
 * served at once from the event loop.
 *
 * SECURITY: qmgr is a peer like any other. Frames are checked by
 * lib/ipc_conn and deliver_request_decode; recipient indexes against the
 * queue file (deliver.c). A malformed frame, a second request while one is
 * in progress, or an index out of range logs a warning and closes the
 * connection; it never takes the daemon down.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/ipc_conn.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/server.h"
#include "smtp/smtp.h"

/* The only frame qmgr sends. */
static const struct ipc_type agent_types[] = {
	{ IPC_DELIVER_REQUEST, IPC_DELIVER_REQUEST_MAX_LEN },
};
static const struct ipc_limits agent_limits = { agent_types, 1 };

/* agent_free - close the connection; a delivery in progress stops */
static void
agent_free(struct smtp_agent *agent)
{
	struct server *srv = agent->sv->srv;

	smtp_delivery_abort(&agent->dlv);
	ipc_conn_free(&agent->ipc);
	mem_free(&agent);
	server_session_closed(srv);
}

/* agent_on_close - qmgr hung up (or sent garbage, logged by ipc_conn) */
static void
agent_on_close(void *ctx, enum ipc_conn_close_reason reason,
	       const char *error)
{
	struct smtp_agent *agent = ctx;

	(void)reason;
	(void)error;
	agent_free(agent);
}

/* agent_on_frame - a delivery request */
static void
agent_on_frame(void *ctx, const struct ipc_frame *frame, int fd)
{
	struct smtp_agent *agent = ctx;
	struct deliver_request *req;
	const char *error;

	if (fd >= 0)
		close(fd);
	if (agent->dlv != NULL) {
		log_warn("qmgr sent a second request while one is in progress");
		agent_free(agent);
		return;
	}
	req = mem_alloc(sizeof(*req));
	if (deliver_request_decode(frame, req, &error) < 0) {
		log_warn("malformed delivery request from qmgr: %s", error);
		mem_free(&req);
		agent_free(agent);
		return;
	}
	agent->dlv = smtp_delivery_start(agent, frame->request_id, req);
	mem_free(&req);
	if (agent->dlv == NULL)
		agent_free(agent);
}

/* smtp_agent_result - answer the request, release the delivery */
void
smtp_agent_result(struct smtp_agent *agent, struct smtp_delivery *dlv)
{
	struct deliver_result res;
	struct ipc_msg msg;
	size_t i;

	memset(&res, 0, sizeof(res));
	snprintf(res.queue_id, sizeof(res.queue_id), "%s", dlv->queue_id);
	res.rcpts = mem_alloc_array(dlv->rcpt_count, sizeof(*res.rcpts));
	res.rcpt_count = dlv->rcpt_count;
	for (i = 0; i < dlv->rcpt_count; i++) {
		const struct smtp_rcpt *r = &dlv->rcpts[i];
		struct deliver_rcpt_result *o = &res.rcpts[i];

		o->rcpt_index = r->index;
		o->status = r->status;
		snprintf(o->dsn, sizeof(o->dsn), "%s", r->dsn);
		snprintf(o->text, sizeof(o->text), "%s", r->text);
		snprintf(o->relay, sizeof(o->relay), "%s", r->relay);
	}
	deliver_result_encode(&msg, dlv->request_id, &res);
	mem_free(&res.rcpts);
	agent->dlv = NULL;
	smtp_delivery_free(&dlv);
	/* A failed send stops the conn; on_close frees the agent. */
	if (ipc_conn_send(agent->ipc, &msg, -1) < 0)
		log_info("cannot send a delivery result to qmgr");
	ipc_msg_deinit(&msg);
}

/* smtp_agent_accept - a qmgr connection */
void
smtp_agent_accept(struct server *srv, int fd)
{
	struct smtp_server *sv = server_ctx(srv);
	struct smtp_agent *agent = mem_alloc(sizeof(*agent));
	struct ipc_conn_settings set;

	memset(&set, 0, sizeof(set));
	set.limits = &agent_limits;
	set.peer_name = "qmgr";
	agent->sv = sv;
	agent->ipc = ipc_conn_new(sv->loop, fd, &set, agent_on_frame,
				  agent_on_close, agent);
	server_session_opened(srv);
}
