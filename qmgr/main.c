/*
 * main.c - qmgr: the queue manager (scheduler).
 *
 * Wiring only: queue scans are in scan.c, messages in message.c, the
 * per-destination dispatch in schedule.c, agent connections in agent.c and
 * the pure decisions in policy.c; docs/qmgr.md describes the behaviour.
 * Runs as the mail user; its listener private/qmgr only takes
 * IPC_QMGR_WAKEUP frames.
 */
#include "lib/params.h"
#include "lib/server.h"
#include "qmgr/qmgr.h"

/* qmgr_init - the scheduler, and its first queue run */
static void
qmgr_init(struct server *srv)
{
	struct qmgr *q = qmgr_new(server_loop(srv), param_queue_directory);

	server_set_ctx(srv, q);
	qmgr_scan_start(q);
}

/* qmgr_accept - a wakeup connection */
static void
qmgr_accept(struct server *srv, int fd)
{
	qmgr_wakeup_accept(server_ctx(srv), fd);
}

/* qmgr_deinit - forget everything; the files stay where they are */
static void
qmgr_deinit(struct server *srv)
{
	struct qmgr *q = server_ctx(srv);

	qmgr_free(&q);
	server_set_ctx(srv, NULL);
}

static const struct server_def qmgr_def = {
	.name = "qmgr",
	.needs_root = false,
	.max_idle_s = 0,
	.init = qmgr_init,
	.accept = qmgr_accept,
	.deinit = qmgr_deinit,
};

int
main(int argc, char **argv)
{
	return server_main(argc, argv, &qmgr_def);
}
