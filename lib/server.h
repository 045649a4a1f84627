/*
 * server.h - the skeleton every daemon runs on.
 *
 * A daemon's main() fills in a struct server_def and calls server_main().
 * The skeleton owns what daemons have in common: the command line master
 * passes (-c DIR -n SERVICE -t TYPE [-o name=value]... [-v]), loading the
 * configuration, the privilege check, logging, the event loop, accepting on
 * the listening socket master handed over (descriptor SERVER_LISTEN_FD),
 * the session count and limits, and the shutdown rules:
 *   SIGTERM  exit at once;
 *   SIGHUP   drain: stop accepting, let open sessions finish, exit 0 when
 *            the last one closes (master has already started replacements);
 *   max idle exit when nothing happened for server_def.max_idle_s (0: never).
 * A daemon never writes its own accept loop.
 */
#ifndef MR_SERVER_H
#define MR_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/event.h"

/* The listening socket master hands every child. */
#define SERVER_LISTEN_FD 3

struct server;

struct server_def {
	const char *name;	/* program name: "smtpd" */
	bool needs_root;	/* true only for local: may run as root */
	unsigned max_idle_s;	/* exit after this long without sessions */
	/* After config and privileges, before the loop: open maps etc. */
	void (*init)(struct server *srv);
	/* A new connection; fd is non-blocking and close-on-exec. */
	void (*accept)(struct server *srv, int fd);
	/* Draining started (SIGHUP): close idle sessions if it can. */
	void (*drain)(struct server *srv);
	/* Exit: release resources (optional). */
	void (*deinit)(struct server *srv);
};

/* server_main - run the daemon; returns the process exit code. */
int server_main(int argc, char **argv, const struct server_def *def);

/* server_loop - the process's event loop. */
struct event_loop *server_loop(struct server *srv);

/* server_service_name - the service name from master.cf (-n). */
const char *server_service_name(const struct server *srv);

/* server_session_opened - count one more open session. */
void server_session_opened(struct server *srv);

/*
 * server_session_closed - count one less; when draining and none are left
 * the loop stops and the process exits.
 */
void server_session_closed(struct server *srv);

/* server_session_count - open sessions. */
size_t server_session_count(const struct server *srv);

/* server_is_draining - whether SIGHUP told the process to finish up. */
bool server_is_draining(const struct server *srv);

/* server_set_ctx / server_ctx - the daemon's own state. */
void server_set_ctx(struct server *srv, void *ctx);
void *server_ctx(const struct server *srv);

/* server_set_accepting - pause or resume accepting (session limits). */
void server_set_accepting(struct server *srv, bool on);

#endif
