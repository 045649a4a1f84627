/*
 * master.h - private interface of the master supervisor.
 *
 * master owns the listening sockets and the children. A service is one
 * line of master.cf; each keeps `procs_wanted` processes running. A reload
 * starts a new generation of services: listeners with the same address are
 * carried over, children of the old generation drain (SIGHUP) and are not
 * replaced.
 */
#ifndef MR_MASTER_H
#define MR_MASTER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/event.h"
#include "lib/service_table.h"

/* Exit code of a second master on the same instance (EX_TEMPFAIL). */
#define MASTER_EXIT_RUNNING 75

struct master_service {
	struct master_service *next;
	char *name;		/* master.cf service name */
	char *command;		/* daemon program name */
	char **argv;		/* extra arguments from master.cf */
	enum service_type type;
	char *listen_desc;	/* "127.0.0.1:10025" or the socket path */
	char *unix_path;	/* socket path for unix services, else NULL */
	int listen_fd;
	bool unpriv;
	unsigned procs_wanted;
	unsigned procs_running;
	unsigned failures;	/* abnormal exits in a row */
	bool disabled;		/* configuration error: not restarted */
	struct event_timer *throttle_timer;
	struct master *throttle_ctx;	/* for the throttle timer callback */
	struct master_service *taken_from; /* listener shared during reload */
};

struct master_child {
	struct master_child *next;
	pid_t pid;
	struct master_service *svc;	/* NULL once its generation is gone */
	char *command;
	uint64_t started_ms;
};

struct master {
	struct event_loop *loop;
	const char *config_dir;
	bool foreground;
	bool stopping;
	int pid_fd;
	struct master_service *services;
	struct master_child *children;
	struct event_timer *stop_timer;
	uid_t owner_uid;	/* mail_owner when started as root */
	gid_t owner_gid;
};

/* listen.c */
int master_listen_open(struct master *m, struct master_service *svc,
		       const struct service_entry *e, const char **error_r);
void master_listen_close(struct master_service *svc);

/* child.c */
void master_children_start(struct master *m, struct master_service *svc);
void master_children_reap(struct master *m);
void master_children_signal(struct master *m, int signo, bool old_only);
size_t master_children_count(const struct master *m);

/* services.c */
int master_services_load(struct master *m, const char **error_r);
void master_services_free(struct master *m, struct master_service **list);

/* lifecycle.c */
int master_lock(struct master *m);
void master_run(struct master *m, int ready_fd);

#endif
