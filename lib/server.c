/*
 * server.c - the daemon skeleton (see server.h).
 *
 * server_main, server_loop, server_session_opened/closed/count,
 * server_is_draining, server_set_ctx/server_ctx, server_set_accepting.
 * Runs in every daemon. Options come from master (trusted), but are still
 * checked. SECURITY: a daemon that does not need root refuses to run as
 * root: master drops privileges between fork and exec, and this is the
 * check that it happened.
 */
#include "lib/server.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/privs.h"

/* Most -o overrides accepted on one command line. */
#define SERVER_MAX_OVERRIDES 64
/* Connections accepted per readiness event, so one busy listener cannot
 * starve the sessions already open. */
#define SERVER_ACCEPT_BURST 64

struct server {
	const struct server_def *def;
	struct event_loop *loop;
	struct event_io *listen_io;
	int listen_fd;
	const char *service;
	size_t sessions;
	bool draining;
	bool accepting;
	struct event_timer *idle_timer;
	void *ctx;
};

/* server_loop - the event loop */
struct event_loop *
server_loop(struct server *srv)
{
	return srv->loop;
}

/* server_service_name - the -n name */
const char *
server_service_name(const struct server *srv)
{
	return srv->service;
}

/* server_set_ctx - attach daemon state */
void
server_set_ctx(struct server *srv, void *ctx)
{
	srv->ctx = ctx;
}

/* server_ctx - the daemon state */
void *
server_ctx(const struct server *srv)
{
	return srv->ctx;
}

/* server_is_draining - SIGHUP seen */
bool
server_is_draining(const struct server *srv)
{
	return srv->draining;
}

/* server_session_count - open sessions */
size_t
server_session_count(const struct server *srv)
{
	return srv->sessions;
}

static void server_idle_arm(struct server *srv);

/* server_session_opened - count a session */
void
server_session_opened(struct server *srv)
{
	srv->sessions++;
	if (srv->idle_timer != NULL)
		event_timer_remove(&srv->idle_timer);
}

/* server_session_closed - uncount a session, maybe finish draining */
void
server_session_closed(struct server *srv)
{
	MR_ASSERT(srv->sessions > 0);
	srv->sessions--;
	if (srv->sessions == 0) {
		if (srv->draining)
			event_loop_stop(srv->loop);
		else
			server_idle_arm(srv);
	}
}

/* server_on_idle - nothing happened for max_idle_s */
static void
server_on_idle(void *ctx)
{
	struct server *srv = ctx;

	event_timer_remove(&srv->idle_timer);
	if (srv->sessions == 0) {
		log_debug("idle timeout -- exiting");
		event_loop_stop(srv->loop);
	}
}

/* server_idle_arm - start the idle timer when configured */
static void
server_idle_arm(struct server *srv)
{
	if (srv->def->max_idle_s == 0 || srv->idle_timer != NULL)
		return;
	srv->idle_timer = event_timer_add(srv->loop,
					  (uint64_t)srv->def->max_idle_s * 1000,
					  server_on_idle, srv);
}

/* server_on_listen - accept a burst of connections */
static void
server_on_listen(void *ctx, int fd, unsigned revents)
{
	struct server *srv = ctx;
	int i;

	(void)revents;
	for (i = 0; i < SERVER_ACCEPT_BURST && srv->accepting; i++) {
		int conn = accept4(fd, NULL, NULL,
				   SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (conn < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ECONNABORTED)
				return;
			if (errno == EMFILE || errno == ENFILE) {
				log_warn("accept: %m -- pausing");
				return;
			}
			log_warn("accept: %m");
			return;
		}
		srv->def->accept(srv, conn);
	}
}

/* server_set_accepting - watch or ignore the listener */
void
server_set_accepting(struct server *srv, bool on)
{
	if (srv->draining || srv->listen_fd < 0)
		on = false;
	srv->accepting = on;
	if (srv->listen_io != NULL)
		event_io_set(srv->listen_io, on ? EVENT_READ : 0);
}

/* server_on_term - SIGTERM: exit now */
static void
server_on_term(void *ctx, int signo)
{
	struct server *srv = ctx;

	(void)signo;
	event_loop_stop(srv->loop);
}

/* server_on_hup - SIGHUP: stop accepting, finish open sessions */
static void
server_on_hup(void *ctx, int signo)
{
	struct server *srv = ctx;

	(void)signo;
	if (srv->draining)
		return;
	srv->draining = true;
	srv->accepting = false;
	if (srv->listen_io != NULL)
		event_io_remove(&srv->listen_io);
	if (srv->listen_fd >= 0) {
		close(srv->listen_fd);
		srv->listen_fd = -1;
	}
	log_debug("draining: %zu sessions open", srv->sessions);
	if (srv->def->drain != NULL)
		srv->def->drain(srv);
	if (srv->sessions == 0)
		event_loop_stop(srv->loop);
}

/* server_usage - bad command line from whoever started us */
static void __attribute__((noreturn))
server_usage(const char *name)
{
	log_fatal_code(MR_EXIT_USAGE,
		       "usage: %s -c config_dir [-n service] [-t inet|unix] "
		       "[-o name=value]... [-v]",
		       name);
}

/* server_setup_logging - destinations from config and environment */
static void
server_setup_logging(const char *name)
{
	char progname[128];
	const char *error;
	int dest = LOG_TO_SYSLOG;

	snprintf(progname, sizeof(progname), "%s/%s", param_syslog_name, name);
	if (getenv("MAILROOM_FOREGROUND") != NULL)
		dest |= LOG_TO_STDERR;
	log_init(progname, dest);
	if (param_maillog_file[0] != '\0' &&
	    log_open_file(param_maillog_file, &error) < 0)
		log_warn("cannot open maillog_file %s: %s",
			 param_maillog_file, error);
}

/* server_check_privileges - refuse root unless the daemon needs it */
static void
server_check_privileges(const struct server_def *def)
{
	uid_t uid;
	gid_t gid;
	const char *error;

	if (!privs_is_root() || def->needs_root)
		return;
	/* Master normally drops privileges before exec; do it here too. */
	if (privs_lookup(param_mail_owner, &uid, &gid, &error) < 0)
		log_fatal_code(MR_EXIT_CONFIG, "mail_owner %s: %s",
			       param_mail_owner, error);
	privs_drop(uid, gid);
}

/* server_main - the daemon's life */
int
server_main(int argc, char **argv, const struct server_def *def)
{
	char *overrides[SERVER_MAX_OVERRIDES + 1];
	size_t noverrides = 0;
	const char *config_dir = NULL, *error;
	struct server srv;
	bool verbose = false;
	int c;

	memset(&srv, 0, sizeof(srv));
	srv.def = def;
	srv.service = def->name;
	srv.listen_fd = -1;
	log_init(def->name, LOG_TO_STDERR | LOG_TO_SYSLOG);
	signal(SIGPIPE, SIG_IGN);

	while ((c = getopt(argc, argv, "c:n:t:o:v")) != -1) {
		switch (c) {
		case 'c':
			config_dir = optarg;
			break;
		case 'n':
			srv.service = optarg;
			break;
		case 't':
			if (strcmp(optarg, "inet") != 0 &&
			    strcmp(optarg, "unix") != 0)
				server_usage(def->name);
			break;
		case 'o':
			if (noverrides == SERVER_MAX_OVERRIDES)
				log_fatal_code(MR_EXIT_USAGE,
					       "too many -o options");
			overrides[noverrides++] = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			server_usage(def->name);
		}
	}
	overrides[noverrides] = NULL;
	if (config_dir == NULL)
		config_dir = getenv("MAILROOM_CONFIG");
	if (config_dir == NULL || optind != argc)
		server_usage(def->name);
	if (config_load(config_dir, overrides, &error) < 0)
		log_fatal_code(MR_EXIT_CONFIG, "%s", error);
	server_setup_logging(def->name);
	log_set_verbose(verbose);
	server_check_privileges(def);

	srv.loop = event_loop_new();
	event_signal_add(srv.loop, SIGTERM, server_on_term, &srv);
	event_signal_add(srv.loop, SIGINT, server_on_term, &srv);
	event_signal_add(srv.loop, SIGHUP, server_on_hup, &srv);

	if (fcntl(SERVER_LISTEN_FD, F_GETFD) >= 0) {
		srv.listen_fd = SERVER_LISTEN_FD;
		io_set_cloexec(srv.listen_fd, true);
		io_set_nonblock(srv.listen_fd, true);
		srv.listen_io = event_io_add(srv.loop, srv.listen_fd, 0,
					     server_on_listen, &srv);
	}
	if (def->init != NULL)
		def->init(&srv);
	server_set_accepting(&srv, srv.listen_fd >= 0 && def->accept != NULL);
	server_idle_arm(&srv);

	event_loop_run(srv.loop);

	if (def->deinit != NULL)
		def->deinit(&srv);
	if (srv.idle_timer != NULL)
		event_timer_remove(&srv.idle_timer);
	if (srv.listen_io != NULL)
		event_io_remove(&srv.listen_io);
	if (srv.listen_fd >= 0)
		close(srv.listen_fd);
	event_loop_free(&srv.loop);
	config_deinit();
	return 0;
}
