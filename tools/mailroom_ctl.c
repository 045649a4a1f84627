/*
 * mailroom_ctl.c - start, stop, reload and status of an instance.
 *
 * mailroom_master_pid, mailroom_cmd_start, mailroom_cmd_stop,
 * mailroom_cmd_reload, mailroom_cmd_status.
 * The running master is found through the fcntl lock it holds on
 * data_directory/master.pid (F_GETLK names the holder), so a stale pid file
 * never points at an unrelated process. status lists master's children
 * from /proc.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/parse_num.h"
#include "tools/mailroom.h"

/* How long start waits for master to report its listeners open. */
#define CTL_START_TIMEOUT_MS 30000
/* How long stop waits for every process to exit. */
#define CTL_STOP_TIMEOUT_MS 60000
/* Poll interval while waiting for master to go away. */
#define CTL_POLL_MS 50
/* Largest /proc file read. */
#define CTL_PROC_MAX 4096

/* mailroom_master_pid - the lock holder of master.pid, 0 if none */
pid_t
mailroom_master_pid(void)
{
	char *path = mem_asprintf("%s/master.pid", param_data_directory);
	struct flock fl;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	mem_free(&path);
	if (fd < 0)
		return 0;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	/* F_GETLK needs a descriptor open for the lock type's access only
	 * to set locks; querying works on a read-only descriptor. */
	if (fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK) {
		close(fd);
		return 0;
	}
	close(fd);
	return fl.l_pid;
}

/* ctl_master_path - daemon_directory/master */
static char *
ctl_master_path(void)
{
	return mem_asprintf("%s/master", param_daemon_directory);
}

/* mailroom_cmd_start - start master, in the background or not */
int
mailroom_cmd_start(struct mailroom_cli *cli, int argc, char **argv)
{
	bool foreground = argc == 1 && strcmp(argv[0], "-f") == 0;
	char *master, fdtext[16];
	int pipefd[2];
	pid_t pid, running;

	if (argc > 1 || (argc == 1 && !foreground)) {
		fprintf(stderr, "usage: mailroom start [-f]\n");
		return MR_EXIT_USAGE;
	}
	mailroom_load_config(cli);
	running = mailroom_master_pid();
	if (running > 0) {
		fprintf(stderr,
			"mailroom: the mail system is already running "
			"(master pid %ld)\n",
			(long)running);
		return 1;
	}
	master = ctl_master_path();
	if (foreground) {
		execl(master, "master", "-c", cli->config_dir, "-f",
		      cli->verbose ? "-v" : (char *)NULL, (char *)NULL);
		fprintf(stderr, "mailroom: exec %s: %s\n", master,
			strerror(errno));
		return 1;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		perror("mailroom: pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("mailroom: fork");
		return 1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		setsid();
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		close(pipefd[0]);
		io_set_cloexec(pipefd[1], false);
		snprintf(fdtext, sizeof(fdtext), "%d", pipefd[1]);
		execl(master, "master", "-c", cli->config_dir, "-r", fdtext,
		      cli->verbose ? "-v" : (char *)NULL, (char *)NULL);
		fprintf(stderr, "mailroom: exec %s: %s\n", master,
			strerror(errno));
		_exit(1);
	}
	close(pipefd[1]);
	mem_free(&master);
	{
		struct pollfd pfd = { pipefd[0], POLLIN, 0 };
		char reply[8] = "";
		ssize_t r = 0;
		int status;

		if (poll(&pfd, 1, CTL_START_TIMEOUT_MS) > 0)
			r = read(pipefd[0], reply, sizeof(reply) - 1);
		close(pipefd[0]);
		if (r >= 2 && memcmp(reply, "ok", 2) == 0) {
			fprintf(stderr, "mailroom: the mail system is running "
					"(master pid %ld)\n",
				(long)pid);
			return 0;
		}
		if (waitpid(pid, &status, WNOHANG) == 0)
			kill(pid, SIGTERM);
		fprintf(stderr, "mailroom: the mail system did not start\n");
		return 1;
	}
}

/* ctl_wait_gone - wait until pid no longer exists */
static bool
ctl_wait_gone(pid_t pid, int timeout_ms)
{
	int waited;

	for (waited = 0; waited < timeout_ms; waited += CTL_POLL_MS) {
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return true;
		usleep(CTL_POLL_MS * 1000);
	}
	return false;
}

/*
 * ctl_signal_master - the common part of stop and reload: check usage,
 * find master, send it signo. Returns master's pid, or -(exit code).
 */
static pid_t
ctl_signal_master(struct mailroom_cli *cli, int argc, const char *name,
		  int signo)
{
	pid_t pid;

	if (argc != 0) {
		fprintf(stderr, "usage: mailroom %s\n", name);
		return -MR_EXIT_USAGE;
	}
	mailroom_load_config(cli);
	pid = mailroom_master_pid();
	if (pid <= 0) {
		fprintf(stderr, "mailroom: the mail system is not running\n");
		return -1;
	}
	if (kill(pid, signo) < 0) {
		fprintf(stderr, "mailroom: kill %ld: %s\n", (long)pid,
			strerror(errno));
		return -1;
	}
	return pid;
}

/* mailroom_cmd_stop - SIGTERM to master, wait for it to finish */
int
mailroom_cmd_stop(struct mailroom_cli *cli, int argc, char **argv)
{
	pid_t pid = ctl_signal_master(cli, argc, "stop", SIGTERM);

	(void)argv;
	if (pid < 0)
		return -pid;
	if (!ctl_wait_gone(pid, CTL_STOP_TIMEOUT_MS)) {
		fprintf(stderr, "mailroom: master pid %ld did not stop\n",
			(long)pid);
		return 1;
	}
	fprintf(stderr, "mailroom: the mail system is stopped\n");
	return 0;
}

/* mailroom_cmd_reload - SIGHUP to master */
int
mailroom_cmd_reload(struct mailroom_cli *cli, int argc, char **argv)
{
	pid_t pid = ctl_signal_master(cli, argc, "reload", SIGHUP);

	(void)argv;
	if (pid < 0)
		return -pid;
	fprintf(stderr, "mailroom: refreshing the mail system\n");
	return 0;
}

/* ctl_proc_child - if /proc/PID is a child of master, its name */
static bool
ctl_proc_child(pid_t master, const char *pidname, char *name,
	       size_t name_size)
{
	struct buf b;
	char path[300];
	const char *p, *base;
	uint64_t ppid;
	bool ok = false;

	buf_init(&b, CTL_PROC_MAX);
	snprintf(path, sizeof(path), "/proc/%s/stat", pidname);
	if (io_read_file(path, CTL_PROC_MAX, &b) < 0)
		goto out;
	/* "pid (comm) state ppid ...": comm may hold anything, so parse
	 * from the last ')'. */
	p = memrchr(b.data, ')', b.len);
	if (p == NULL)
		goto out;
	buf_cstr(&b);
	if (sscanf(p, ") %*c %lu", &ppid) != 1 || (pid_t)ppid != master)
		goto out;
	buf_reset(&b);
	snprintf(path, sizeof(path), "/proc/%s/cmdline", pidname);
	if (io_read_file(path, CTL_PROC_MAX - 1, &b) < 0 || b.len == 0)
		goto out;
	base = strrchr(buf_cstr(&b), '/');
	base = base ? base + 1 : (const char *)b.data;
	snprintf(name, name_size, "%s", base);
	ok = true;
out:
	buf_deinit(&b);
	return ok;
}

/* mailroom_cmd_status - master and its children, one per line */
int
mailroom_cmd_status(struct mailroom_cli *cli, int argc, char **argv)
{
	pid_t pid;
	DIR *proc;
	struct dirent *e;

	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "usage: mailroom status\n");
		return MR_EXIT_USAGE;
	}
	mailroom_load_config(cli);
	pid = mailroom_master_pid();
	if (pid <= 0) {
		fprintf(stderr, "mailroom: the mail system is not running\n");
		return 1;
	}
	printf("master %ld\n", (long)pid);
	proc = opendir("/proc");
	if (proc == NULL)
		return 0;
	while ((e = readdir(proc)) != NULL) {
		char name[256];
		uint64_t child;

		if (parse_uint(e->d_name, 1, INT32_MAX, &child) < 0)
			continue;
		if (ctl_proc_child(pid, e->d_name, name, sizeof(name)))
			printf("%s %llu\n", name, (unsigned long long)child);
	}
	closedir(proc);
	return 0;
}
