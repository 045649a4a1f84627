/*
 * lifecycle.c - master's life: the instance lock, start, reload, stop.
 *
 * master_lock takes data_directory/master.pid (an fcntl lock held for the
 * life of master: a second master on the same instance refuses to start);
 * master_run starts the services, reports readiness, and runs the loop:
 *   SIGCHLD  reap children, restart what needs restarting;
 *   SIGHUP   check the new configuration in a throw-away child first; if it
 *            is good, load it, start the new generation of children on the
 *            same listeners and tell the old one to drain (SIGHUP); if not,
 *            log why and keep running the old one;
 *   SIGTERM, SIGINT  stop: SIGTERM to every child, SIGKILL to those still
 *            there after MASTER_STOP_GRACE_MS, remove the pid file, exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/privs.h"
#include "lib/queue.h"
#include "lib/service_table.h"
#include "master/master.h"

/* How long children get to exit after SIGTERM before SIGKILL. */
#define MASTER_STOP_GRACE_MS 10000
/* Longest a reload's configuration check may take. */
#define MASTER_RELOAD_CHECK_S 30

/* lifecycle_pid_path - data_directory/master.pid */
static char *
lifecycle_pid_path(void)
{
	return mem_asprintf("%s/master.pid", param_data_directory);
}

/* master_lock - take the instance lock and write our pid */
int
master_lock(struct master *m)
{
	char *path = lifecycle_pid_path();
	char pidtext[32];
	struct flock fl;
	int n;

	if (io_mkdir_p(param_data_directory, 0755) < 0)
		log_fatal_code(MR_EXIT_CONFIG, "cannot create %s: %m",
			       param_data_directory);
	m->pid_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			 0644);
	if (m->pid_fd < 0)
		log_fatal("open %s: %m", path);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(m->pid_fd, F_SETLK, &fl) < 0) {
		ssize_t r = pread(m->pid_fd, pidtext, sizeof(pidtext) - 1, 0);

		pidtext[r > 0 ? r : 0] = '\0';
		pidtext[strcspn(pidtext, "\n")] = '\0';
		log_error("the mail system is already running for %s "
			  "(master pid %s)",
			  m->config_dir, pidtext[0] ? pidtext : "unknown");
		close(m->pid_fd);
		m->pid_fd = -1;
		mem_free(&path);
		return -1;
	}
	n = snprintf(pidtext, sizeof(pidtext), "%ld\n", (long)getpid());
	if (ftruncate(m->pid_fd, 0) < 0 ||
	    pwrite(m->pid_fd, pidtext, (size_t)n, 0) != n)
		log_fatal("write %s: %m", path);
	mem_free(&path);
	return 0;
}

/* lifecycle_stop_now - the grace period is over: kill what is left */
static void
lifecycle_stop_now(void *ctx)
{
	struct master *m = ctx;

	event_timer_remove(&m->stop_timer);
	log_warn("%zu children still running after %ds -- killing them",
		 master_children_count(m), MASTER_STOP_GRACE_MS / 1000);
	master_children_signal(m, SIGKILL, false);
}

/* lifecycle_on_stop - SIGTERM/SIGINT */
static void
lifecycle_on_stop(void *ctx, int signo)
{
	struct master *m = ctx;

	if (m->stopping)
		return;
	log_info("terminating on signal %d", signo);
	m->stopping = true;
	master_children_signal(m, SIGTERM, false);
	if (master_children_count(m) == 0) {
		event_loop_stop(m->loop);
		return;
	}
	m->stop_timer = event_timer_add(m->loop, MASTER_STOP_GRACE_MS,
					lifecycle_stop_now, m);
}

/* lifecycle_on_child - SIGCHLD */
static void
lifecycle_on_child(void *ctx, int signo)
{
	struct master *m = ctx;

	(void)signo;
	master_children_reap(m);
	if (m->stopping && master_children_count(m) == 0)
		event_loop_stop(m->loop);
}

/* lifecycle_check_config - parse the new configuration in a child */
static int
lifecycle_check_config(struct master *m)
{
	char *no_overrides[] = { NULL };
	pid_t pid = fork();
	int status;
	unsigned waited;

	if (pid < 0) {
		log_warn("reload: fork: %m");
		return -1;
	}
	if (pid == 0) {
		struct service_table *table = NULL;
		const char *error;
		char *path;

		alarm(MASTER_RELOAD_CHECK_S);
		if (config_load(m->config_dir, no_overrides, &error) < 0) {
			log_error("reload: %s -- keeping the running "
				  "configuration",
				  error);
			_exit(MR_EXIT_CONFIG);
		}
		path = mem_asprintf("%s/master.cf", m->config_dir);
		if (service_table_load(path, &table, &error) < 0) {
			log_error("reload: %s -- keeping the running "
				  "configuration",
				  error);
			_exit(MR_EXIT_CONFIG);
		}
		_exit(0);
	}
	for (waited = 0; waited <= MASTER_RELOAD_CHECK_S * 10; waited++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0
				       ? 0
				       : -1;
		if (r < 0 && errno != EINTR)
			return -1;
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* lifecycle_start_all - top every service up */
static void
lifecycle_start_all(struct master *m)
{
	struct master_service *svc;

	for (svc = m->services; svc != NULL; svc = svc->next)
		master_children_start(m, svc);
}

/* lifecycle_setup_owner - mail_owner ids for a root master */
static void
lifecycle_setup_owner(struct master *m)
{
	const char *error;

	m->owner_uid = getuid();
	m->owner_gid = getgid();
	if (!privs_is_root())
		return;
	if (privs_lookup(param_mail_owner, &m->owner_uid, &m->owner_gid,
			 &error) < 0)
		log_fatal_code(MR_EXIT_CONFIG, "mail_owner %s: %s",
			       param_mail_owner, error);
	if (m->owner_uid == 0)
		log_fatal_code(MR_EXIT_CONFIG,
			       "mail_owner %s must not be root",
			       param_mail_owner);
}

/* lifecycle_setup_queue - the queue directories, owned by mail_owner */
static void
lifecycle_setup_queue(struct master *m)
{
	const char *error;
	char path[PATH_MAX];
	int state;

	if (queue_init_dirs(param_queue_directory, 0700, &error) < 0)
		log_fatal_code(MR_EXIT_CONFIG, "queue_directory %s: %s",
			       param_queue_directory, error);
	/* Everyone must reach public/pickup (local submission); the state
	 * directories and private/ stay 0700. */
	if (chmod(param_queue_directory, 0755) < 0)
		log_fatal("chmod %s: %m", param_queue_directory);
	if (!privs_is_root())
		return;
	/* SECURITY: the queue belongs to mail_owner, never to root's
	 * daemons: only master (root) and local (root, reading) go there
	 * with privileges. */
	if (chown(param_queue_directory, m->owner_uid, m->owner_gid) < 0)
		log_fatal("chown %s: %m", param_queue_directory);
	for (state = 0; state < QUEUE_STATE_COUNT; state++) {
		snprintf(path, sizeof(path), "%s/%s", param_queue_directory,
			 queue_state_name((enum queue_state)state));
		if (chown(path, m->owner_uid, m->owner_gid) < 0)
			log_fatal("chown %s: %m", path);
	}
}

/* lifecycle_open_log - maillog_file, writable by the daemons too */
static void
lifecycle_open_log(struct master *m)
{
	const char *error;
	int fd;

	if (param_maillog_file[0] == '\0')
		return;
	/* SECURITY: created by master, owned by mail_owner: the daemons
	 * append to it; O_NOFOLLOW so a planted link is not followed. */
	fd = open(param_maillog_file,
		  O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd >= 0) {
		if (privs_is_root() &&
		    fchown(fd, m->owner_uid, m->owner_gid) < 0)
			log_warn("chown %s: %m", param_maillog_file);
		close(fd);
	}
	if (log_open_file(param_maillog_file, &error) < 0)
		log_warn("cannot open maillog_file %s: %s",
			 param_maillog_file, error);
}

/* lifecycle_on_reload - SIGHUP */
static void
lifecycle_on_reload(void *ctx, int signo)
{
	struct master *m = ctx;
	char *no_overrides[] = { NULL };
	const char *error;

	(void)signo;
	if (m->stopping)
		return;
	if (lifecycle_check_config(m) < 0) {
		log_warn("reload failed -- keeping the running configuration");
		return;
	}
	if (config_load(m->config_dir, no_overrides, &error) < 0)
		log_fatal_code(MR_EXIT_CONFIG, "reload: %s", error);
	lifecycle_setup_owner(m);
	lifecycle_open_log(m);
	lifecycle_setup_queue(m);
	if (master_services_load(m, &error) < 0) {
		log_error("reload: %s -- keeping the running configuration",
			  error);
		return;
	}
	/* Old children are unowned now: they finish their sessions. */
	master_children_signal(m, SIGHUP, true);
	lifecycle_start_all(m);
	log_info("reload -- version %s, configuration %s", MR_VERSION,
		 m->config_dir);
}

/* lifecycle_detach - let go of the terminal once we are up */
static void
lifecycle_detach(struct master *m)
{
	int fd;

	if (m->foreground)
		return;
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	log_set_destinations(LOG_TO_SYSLOG);
}

/* master_run - start everything and run until stopped */
void
master_run(struct master *m, int ready_fd)
{
	const char *error;
	char *pid_path;

	if (ready_fd >= 0)
		io_set_cloexec(ready_fd, true);
	lifecycle_setup_owner(m);
	lifecycle_open_log(m);
	lifecycle_setup_queue(m);
	m->loop = event_loop_new();
	event_signal_add(m->loop, SIGCHLD, lifecycle_on_child, m);
	event_signal_add(m->loop, SIGHUP, lifecycle_on_reload, m);
	event_signal_add(m->loop, SIGTERM, lifecycle_on_stop, m);
	event_signal_add(m->loop, SIGINT, lifecycle_on_stop, m);
	signal(SIGPIPE, SIG_IGN);

	if (master_services_load(m, &error) < 0)
		log_fatal_code(MR_EXIT_CONFIG, "%s", error);
	lifecycle_start_all(m);
	log_info("daemon started -- version %s, configuration %s", MR_VERSION,
		 m->config_dir);
	if (ready_fd >= 0) {
		io_write_full(ready_fd, "ok\n", 3);
		close(ready_fd);
	}
	lifecycle_detach(m);

	event_loop_run(m->loop);

	if (m->stop_timer != NULL)
		event_timer_remove(&m->stop_timer);
	master_services_free(m, &m->services);
	pid_path = lifecycle_pid_path();
	unlink(pid_path);
	mem_free(&pid_path);
	event_loop_free(&m->loop);
}
