/*
 * child.c - starting, reaping and restarting master's children.
 *
 * master_children_start tops a service up to its process count,
 * master_children_reap collects exited children and schedules restarts,
 * master_children_signal sends a signal to all (or old-generation) children,
 * master_children_count counts them.
 *
 * Restart policy: a child that exits normally is replaced at once. One that
 * crashes (signal, or a non-zero exit) is replaced at once the first time;
 * when the service keeps crashing the delay doubles from 1 s up to
 * service_throttle_time (logged: "bad command startup -- throttling"). A
 * child that exits with MR_EXIT_CONFIG reports a configuration error: its
 * service is not restarted until the next reload.
 *
 * SECURITY: between fork and exec the child drops to mail_owner (root
 * install, unprivileged service) with privs_drop; it gets only the
 * listening socket (descriptor 3) and the standard descriptors.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/privs.h"
#include "lib/server.h"
#include "master/master.h"

/* A child that lived this long before crashing resets the failure count. */
#define MASTER_STABLE_MS (30u * 1000)
/* Most arguments master passes to a daemon besides master.cf's own. */
#define MASTER_FIXED_ARGS 10

/* child_exec - in the forked child: set up descriptors, drop, exec */
static void __attribute__((noreturn))
child_exec(struct master *m, struct master_service *svc)
{
	char *path, **argv;
	size_t nextra = 0, i, n = 0;

	event_signals_unblock_all();
	signal(SIGPIPE, SIG_DFL);
	if (svc->listen_fd >= 0) {
		if (svc->listen_fd != SERVER_LISTEN_FD) {
			if (dup2(svc->listen_fd, SERVER_LISTEN_FD) < 0)
				_exit(MR_EXIT_FATAL);
		} else if (io_set_cloexec(SERVER_LISTEN_FD, false) < 0) {
			_exit(MR_EXIT_FATAL);
		}
	}
	/* Every other descriptor master holds stays behind. */
	closefrom(svc->listen_fd >= 0 ? SERVER_LISTEN_FD + 1
				       : SERVER_LISTEN_FD);
	/* In the background nothing may hold the terminal or the pipes of
	 * whoever ran `mailroom start`. */
	if (!m->foreground) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		/* Test seam: sanitizer builds print some reports (UBSan's)
		 * on stderr whatever log_path says; the test suite collects
		 * them from this file. Opened before privileges drop. */
		const char *err_path = getenv("MAILROOM_CHILD_STDERR");
		int err = err_path != NULL && *err_path == '/'
				  ? open(err_path,
					 O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
					 0666)
				  : -1;

		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(err >= 0 ? err : null, STDERR_FILENO);
		}
	}
	if (privs_is_root() && svc->unpriv && m->owner_uid != 0)
		privs_drop(m->owner_uid, m->owner_gid);
	if (m->foreground)
		setenv("MAILROOM_FOREGROUND", "1", 1);
	while (svc->argv != NULL && svc->argv[nextra] != NULL)
		nextra++;
	argv = mem_alloc_array(nextra + MASTER_FIXED_ARGS, sizeof(*argv));
	argv[n++] = svc->command;
	argv[n++] = "-c";
	argv[n++] = (char *)m->config_dir;
	argv[n++] = "-n";
	argv[n++] = svc->name;
	argv[n++] = "-t";
	argv[n++] = svc->type == SERVICE_TYPE_INET ? "inet" : "unix";
	for (i = 0; i < nextra; i++)
		argv[n++] = svc->argv[i];
	argv[n] = NULL;
	path = mem_asprintf("%s/%s", param_daemon_directory, svc->command);
	execv(path, argv);
	log_error("exec %s: %m", path);
	_exit(MR_EXIT_CONFIG);
}

/* child_start - fork one child of svc */
static int
child_start(struct master *m, struct master_service *svc)
{
	struct master_child *child;
	pid_t pid = fork();

	if (pid < 0) {
		log_warn("fork: %m");
		return -1;
	}
	if (pid == 0)
		child_exec(m, svc);
	child = mem_alloc(sizeof(*child));
	child->pid = pid;
	child->svc = svc;
	child->command = mem_strdup(svc->command);
	child->started_ms = event_now_ms(m->loop);
	child->next = m->children;
	m->children = child;
	svc->procs_running++;
	log_debug("service %s: started %s pid %ld", svc->name, svc->command,
		  (long)pid);
	return 0;
}

/* on_throttle_done - the back-off delay of a service is over */
static void
on_throttle_done(void *ctx)
{
	struct master_service *svc = ctx;
	struct master *m = svc->throttle_ctx;

	event_timer_remove(&svc->throttle_timer);
	master_children_start(m, svc);
}

/* master_children_start - bring a service up to its process count */
void
master_children_start(struct master *m, struct master_service *svc)
{
	if (m->stopping || svc->disabled || svc->throttle_timer != NULL)
		return;
	while (svc->procs_running < svc->procs_wanted)
		if (child_start(m, svc) < 0)
			break;
}

/* child_throttle - schedule the restart of a crashing service */
static void
child_throttle(struct master *m, struct master_service *svc)
{
	uint64_t delay_s = 1, max_s = (uint64_t)param_service_throttle_time;
	unsigned i;

	for (i = 2; i < svc->failures && delay_s < max_s; i++)
		delay_s *= 2;
	if (delay_s > max_s)
		delay_s = max_s;
	log_warn("%s/%s: bad command startup -- throttling for %llus",
		 param_daemon_directory, svc->command,
		 (unsigned long long)delay_s);
	svc->throttle_ctx = m;
	svc->throttle_timer = event_timer_add(m->loop, delay_s * 1000,
					      on_throttle_done, svc);
}

/* child_exited - account for one exited child */
static void
child_exited(struct master *m, struct master_child *child, int status)
{
	struct master_service *svc = child->svc;
	bool crashed = false;
	uint64_t lived_ms = event_now_ms(m->loop) - child->started_ms;

	if (WIFSIGNALED(status)) {
		crashed = true;
		log_warn("process %s/%s pid %ld killed by signal %d",
			 param_daemon_directory, child->command,
			 (long)child->pid, WTERMSIG(status));
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		crashed = true;
		if (WEXITSTATUS(status) != MR_EXIT_CONFIG || svc == NULL)
			log_warn("process %s/%s pid %ld exit status %d",
				 param_daemon_directory, child->command,
				 (long)child->pid, WEXITSTATUS(status));
	}
	if (svc == NULL || m->stopping)
		return;
	svc->procs_running--;
	if (WIFEXITED(status) && WEXITSTATUS(status) == MR_EXIT_CONFIG) {
		svc->disabled = true;
		log_error("service %s: %s reports a configuration error; "
			  "not restarted until the next reload",
			  svc->name, child->command);
		return;
	}
	if (!crashed) {
		svc->failures = 0;
	} else {
		if (lived_ms >= MASTER_STABLE_MS)
			svc->failures = 0;
		svc->failures++;
		if (svc->failures > 1) {
			if (svc->throttle_timer == NULL)
				child_throttle(m, svc);
			return;
		}
	}
	master_children_start(m, svc);
}

/* master_children_reap - collect every exited child */
void
master_children_reap(struct master *m)
{
	for (;;) {
		struct master_child **pp, *child;
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid <= 0)
			break;
		for (pp = &m->children; *pp != NULL; pp = &(*pp)->next)
			if ((*pp)->pid == pid)
				break;
		child = *pp;
		if (child == NULL)
			continue;	/* not ours (e.g. a reload check) */
		*pp = child->next;
		child_exited(m, child, status);
		mem_free(&child->command);
		mem_free(&child);
	}
}

/* master_children_signal - signal all children, or the old generation */
void
master_children_signal(struct master *m, int signo, bool old_only)
{
	struct master_child *child;

	for (child = m->children; child != NULL; child = child->next)
		if (!old_only || child->svc == NULL)
			kill(child->pid, signo);
}

/* master_children_count - children still running */
size_t
master_children_count(const struct master *m)
{
	const struct master_child *child;
	size_t n = 0;

	for (child = m->children; child != NULL; child = child->next)
		n++;
	return n;
}
