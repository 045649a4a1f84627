/*
 * deliver.c - resolve one recipient and deliver it.
 *
 *   local_deliver_rcpt  recipient -> aliases/.forward -> final deliveries
 *
 * Resolution (docs/local.md): the domain must be in mydestination
 * (aliases, users table, system users with .forward) or in
 * virtual_mailbox_domains (users table only). Final deliveries are a
 * Maildir or mbox of a user, a file or Maildir named in a list, a
 * |command, or remote addresses, which are re-queued as a new message.
 *
 * Privileges: the caller may be root. Every mailbox write, file read on a
 * user's behalf, command and queue write runs in a forked child that has
 * called privs_drop first (local_run_as): the recipient for system users,
 * mail_owner for users-table Maildirs and re-queueing, the owner of the
 * list for commands and files (default_privs, "nobody", when that is
 * root). A non-root instance switches to nobody and delivers to its own
 * user's mailbox, to users-table Maildirs, and nowhere else.
 *
 * Untrusted input: the envelope and headers of the queue file, alias
 * values, .forward and :include: files (read with ALIAS_FILE_MAX_OCTETS),
 * and whatever a delivery child reports back (checked before use).
 * SECURITY: envelope data never reaches a shell: a command is the text of
 * an alias or .forward file run by /bin/sh -c with a clean environment;
 * envelope values travel only in environment variables and the message
 * on standard input.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/alias.h"
#include "lib/buf.h"
#include "lib/delivery_source.h"
#include "lib/dict.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/maildir.h"
#include "lib/mbox.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/privs.h"
#include "lib/queue_write.h"
#include "lib/str.h"
#include "lib/trigger.h"
#include "lib/users.h"
#include "local/local.h"

/* Who a delivery runs as. */
struct local_user {
	uid_t uid;
	gid_t gid;
	char name[256];
	char home[4096];
	char shell[256];
};

/* The state of one recipient's resolution. */
struct local_rcpt {
	const struct local_config *cfg;
	const char *queue_id;
	struct queue_message *msg;
	const char *orig;	/* the queued recipient address */
	char *local;		/* its local part, lower case */
	char *domain;
	struct dict **maps;	/* alias_maps, opened lazily */
	size_t map_count;
	struct users *users;
	char error[512];	/* callback error texts live here */
};

/* What a delivery child does once it runs as the right user. */
typedef void local_job_fn(void *ctx, struct local_outcome *out);

/* ---- running things as another user ---- */

/* local_read_full - read exactly n bytes; returns 0, or -1 */
static int
local_read_full(int fd, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (uint8_t *)p + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/*
 * local_run_as - run job in a child that became user (root instance) and
 * collect its outcome. A child that dies without an answer defers.
 */
static void
local_run_as(const struct local_config *cfg, const struct local_user *user,
	     local_job_fn *job, void *ctx, struct local_outcome *out)
{
	struct local_outcome res;
	int fds[2], status;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		local_outcome_set(out, DELIVER_STATUS_DEFERRED, "4.3.0",
				  "pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid < 0) {
		local_outcome_set(out, DELIVER_STATUS_DEFERRED, "4.3.0",
				  "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		memset(&res, 0, sizeof(res));
		/* SECURITY: the one privilege switch; privs_drop panics
		 * when it cannot be verified. */
		if (cfg->is_root)
			privs_drop(user->uid, user->gid);
		job(ctx, &res);
		(void)io_write_full(fds[1], &res, sizeof(res));
		_exit(0);
	}
	close(fds[1]);
	memset(&res, 0, sizeof(res));
	if (local_read_full(fds[0], &res, sizeof(res)) < 0) {
		local_outcome_set(&res, DELIVER_STATUS_DEFERRED, "4.3.0",
				  "delivery process failed");
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* SECURITY: the child ran as a user; check what it says. */
	res.dsn[sizeof(res.dsn) - 1] = '\0';
	res.text[sizeof(res.text) - 1] = '\0';
	if (!deliver_dsn_is_valid(res.dsn) ||
	    (res.status == DELIVER_STATUS_SENT && res.dsn[0] != '2') ||
	    (res.status == DELIVER_STATUS_DEFERRED && res.dsn[0] != '4') ||
	    (res.status == DELIVER_STATUS_BOUNCED && res.dsn[0] != '5') ||
	    res.status > DELIVER_STATUS_BOUNCED)
		local_outcome_set(&res, DELIVER_STATUS_DEFERRED, "4.3.0",
				  "delivery process gave a bad answer");
	local_outcome_set(out, res.status, res.dsn, "%s", res.text);
}

/* local_user_from_pw - fill user from a passwd entry */
static void
local_user_from_pw(struct local_user *user, const struct passwd *pw)
{
	user->uid = pw->pw_uid;
	user->gid = pw->pw_gid;
	snprintf(user->name, sizeof(user->name), "%s", pw->pw_name);
	snprintf(user->home, sizeof(user->home), "%s", pw->pw_dir);
	snprintf(user->shell, sizeof(user->shell), "%s",
		 pw->pw_shell != NULL ? pw->pw_shell : "/bin/sh");
}

/* local_user_by_name - a system user; returns 0, or -1 when unknown */
static int
local_user_by_name(const char *name, struct local_user *user)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL)
		return -1;
	local_user_from_pw(user, pw);
	return 0;
}

/* local_user_by_uid - a user by uid, root mapped to default_privs */
static int
local_user_by_uid(const struct local_config *cfg, uid_t uid,
		  struct local_user *user)
{
	struct passwd *pw;

	if (!cfg->is_root)
		uid = cfg->self_uid;
	/* Postfix: never run list commands as root. */
	if (uid == 0)
		return local_user_by_name(LOCAL_DEFAULT_PRIVS, user);
	pw = getpwuid(uid);
	if (pw == NULL)
		return -1;
	local_user_from_pw(user, pw);
	return 0;
}

/* local_user_owner - mail_owner as a local_user */
static void
local_user_owner(const struct local_config *cfg, struct local_user *user)
{
	memset(user, 0, sizeof(*user));
	user->uid = cfg->owner_uid;
	user->gid = cfg->owner_gid;
	snprintf(user->name, sizeof(user->name), "%s", param_mail_owner);
	snprintf(user->home, sizeof(user->home), "/");
	snprintf(user->shell, sizeof(user->shell), "/bin/sh");
}

/* ---- reading files as a user ---- */

struct local_read_job {
	const char *path;
	bool check_owner;	/* .forward: the user's own, not o+w */
	int out_fd;
};

/*
 * local_read_child - in the user's child: send 1 status byte ('F'ound,
 * 'N'ot usable, 'T'emporary) then the text or the reason.
 */
static void
local_read_child(const struct local_read_job *job)
{
	struct buf b;
	struct stat st;
	char status = 'F';
	const char *reason = NULL;
	int fd;

	buf_init(&b, ALIAS_FILE_MAX_OCTETS + 1);
	fd = open(job->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		status = errno == ENOENT || errno == ENOTDIR || errno == ELOOP ||
				 errno == EACCES
			 ? 'N' : 'T';
		reason = strerror(errno);
	} else if (fstat(fd, &st) < 0) {
		status = 'T';
		reason = strerror(errno);
	} else if (!S_ISREG(st.st_mode)) {
		status = 'N';
		reason = "not a regular file";
	} else if (job->check_owner &&
		   (st.st_uid != geteuid() || (st.st_mode & S_IWOTH) != 0)) {
		/* SECURITY: someone else could plant destinations. */
		status = 'N';
		reason = "not owned by the user or writable by others";
	} else if (io_read_fd(fd, ALIAS_FILE_MAX_OCTETS, &b) < 0) {
		status = errno == EFBIG || errno == E2BIG ? 'N' : 'T';
		reason = errno == EFBIG || errno == E2BIG ? "file too large"
							 : strerror(errno);
	}
	if (fd >= 0)
		close(fd);
	(void)io_write_full(job->out_fd, &status, 1);
	if (status == 'F')
		(void)io_write_full(job->out_fd, b.data, b.len);
	else
		(void)io_write_full(job->out_fd, reason, strlen(reason));
	buf_deinit(&b);
	_exit(0);
}

/*
 * local_read_as - read path as user (root instance) with the alias file
 * limit. Returns an ALIAS_CB_* code with *text_r (heap) or the reason in
 * r->error (*error_r).
 */
static int
local_read_as(struct local_rcpt *r, const struct local_user *user,
	      const char *path, bool check_owner, char **text_r,
	      const char **error_r)
{
	struct local_read_job job = { path, check_owner, -1 };
	struct buf b;
	int fds[2], status, rc;
	char code;
	pid_t pid;

	*text_r = NULL;
	*error_r = r->error;
	if (pipe2(fds, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		snprintf(r->error, sizeof(r->error), "%s: %s", path,
			 strerror(errno));
		return ALIAS_CB_TEMPFAIL;	/* fds leak only on ENFILE */
	}
	if (pid == 0) {
		close(fds[0]);
		job.out_fd = fds[1];
		if (r->cfg->is_root)
			privs_drop(user->uid, user->gid);
		local_read_child(&job);
	}
	close(fds[1]);
	buf_init(&b, ALIAS_FILE_MAX_OCTETS + 2);
	rc = io_read_fd(fds[0], ALIAS_FILE_MAX_OCTETS + 1, &b);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc < 0 || b.len == 0) {
		snprintf(r->error, sizeof(r->error), "%s: reader failed",
			 path);
		buf_deinit(&b);
		return ALIAS_CB_TEMPFAIL;
	}
	code = (char)b.data[0];
	if (code == 'F') {
		/* SECURITY: alias_parse refuses NULs and control bytes. */
		*text_r = mem_strndup((const char *)b.data + 1, b.len - 1);
		if (strlen(*text_r) != b.len - 1) {
			mem_free(text_r);
			snprintf(r->error, sizeof(r->error),
				 "%s: contains a NUL byte", path);
			buf_deinit(&b);
			return ALIAS_CB_NOT_FOUND;
		}
		buf_deinit(&b);
		return ALIAS_CB_FOUND;
	}
	snprintf(r->error, sizeof(r->error), "%s: %s", path,
		 log_safe(b.data + 1, b.len - 1));
	buf_deinit(&b);
	return code == 'N' ? ALIAS_CB_NOT_FOUND : ALIAS_CB_TEMPFAIL;
}

/* ---- alias callbacks ---- */

/* local_cb_lookup - look key up in alias_maps, in order */
static int
local_cb_lookup(void *ctx, const char *key, char **value_r,
		const char **error_r)
{
	struct local_rcpt *r = ctx;
	const char *value, *error;
	size_t i;
	int rc;

	for (i = 0; i < r->map_count; i++) {
		if (r->maps[i] == NULL) {
			r->maps[i] = dict_open(r->cfg->alias_maps[i],
					       DICT_FLAG_FOLD_CASE, &error);
			if (r->maps[i] == NULL) {
				snprintf(r->error, sizeof(r->error), "%s",
					 error);
				*error_r = r->error;
				return ALIAS_CB_TEMPFAIL;
			}
		}
		rc = dict_lookup(r->maps[i], key, &value, &error);
		if (rc < 0) {
			snprintf(r->error, sizeof(r->error), "%s", error);
			*error_r = r->error;
			return ALIAS_CB_TEMPFAIL;
		}
		if (rc == 1) {
			*value_r = mem_strdup(value);
			return ALIAS_CB_FOUND;
		}
	}
	return ALIAS_CB_NOT_FOUND;
}

/* local_cb_read_file - read an :include: file as default_privs */
static int
local_cb_read_file(void *ctx, const char *path, char **text_r,
		   const char **error_r)
{
	struct local_rcpt *r = ctx;
	struct local_user user;

	/* XXX: Postfix reads an include as the owner of the list naming
	 * it; the callback does not say which list, so a root instance
	 * reads every include as default_privs (never more than any
	 * owner could read). Remove when alias.h passes the owner. */
	if (local_user_by_uid(r->cfg, 0, &user) < 0) {
		snprintf(r->error, sizeof(r->error), "no user %s",
			 LOCAL_DEFAULT_PRIVS);
		*error_r = r->error;
		return ALIAS_CB_TEMPFAIL;
	}
	return local_read_as(r, &user, path, false, text_r, error_r);
}

/*
 * local_system_user - the system user name may deliver to: 1 with *user_r,
 * 0 when there is none we may use (users-table user, unknown, or someone
 * else in a non-root instance).
 */
static int
local_system_user(struct local_rcpt *r, const char *name,
		  struct local_user *user_r, bool *other_r)
{
	*other_r = false;
	if (local_user_by_name(name, user_r) < 0)
		return 0;
	if (!r->cfg->is_root && user_r->uid != r->cfg->self_uid) {
		*other_r = true;
		return 0;
	}
	return 1;
}

/* local_cb_read_forward - the user's .forward along forward_path */
static int
local_cb_read_forward(void *ctx, const char *user, const char *extension,
		      char **text_r, char **path_r, const char **error_r)
{
	struct local_rcpt *r = ctx;
	struct users_entry entry;
	struct local_user pw;
	struct stat st;
	const char *error;
	char **elems;
	bool other;
	size_t i;
	int rc = ALIAS_CB_NOT_FOUND;

	/* Users-table users have no home directory. */
	if (users_lookup(r->users, user, &entry, &error) != 0)
		return ALIAS_CB_NOT_FOUND;
	if (local_system_user(r, user, &pw, &other) != 1)
		return ALIAS_CB_NOT_FOUND;
	elems = str_split(param_forward_path, ", \t\r\n", NULL);
	for (i = 0; elems[i] != NULL && rc == ALIAS_CB_NOT_FOUND; i++) {
		char *path = local_forward_path_expand(
			elems[i], pw.home, pw.name, extension,
			r->cfg->delimiter, r->domain, r->local);

		if (path == NULL)
			continue;
		/* Most users have no .forward: find that out without the
		 * fork that reads it as the user. lstat reveals nothing to
		 * anyone but us; the file itself is still read as the user. */
		if (lstat(path, &st) < 0 && errno == ENOENT) {
			mem_free(&path);
			continue;
		}
		rc = local_read_as(r, &pw, path, true, text_r, error_r);
		if (rc == ALIAS_CB_FOUND) {
			*path_r = path;
			break;
		}
		if (rc == ALIAS_CB_NOT_FOUND && strstr(r->error, ": No such") ==
						     NULL)
			log_warn("%s: ignoring %s", r->queue_id,
				 log_safe_str(r->error));
		mem_free(&path);
	}
	str_split_free(&elems);
	return rc;
}

/* ---- the deliveries ---- */

/* What one delivery child writes. */
struct local_job {
	struct local_rcpt *r;
	const char *path;	/* mailbox, file or Maildir */
	bool maildir;
	const char *headers;	/* Return-Path and Delivered-To */
	const char *command;
	const struct local_user *user;
	const char *rcpt_addr;	/* the final address (RECIPIENT) */
	const char *ext;	/* EXTENSION, "" for none */
	const struct alias_result *res; /* NULL for a plain mailbox */
};

/* local_error_outcome - a delivery_error as an outcome */
static void
local_error_outcome(const struct delivery_error *err,
		    struct local_outcome *out)
{
	local_outcome_set(out, err->temporary ? DELIVER_STATUS_DEFERRED
					      : DELIVER_STATUS_BOUNCED,
			  err->dsn, "%s", err->text);
}

/* local_job_mailbox - Maildir or mbox delivery, in the user's child */
static void
local_job_mailbox(void *ctx, struct local_outcome *out)
{
	struct local_job *job = ctx;
	struct delivery_source src;
	struct delivery_error err;
	const char *what = job->res != NULL ? "file" : "mailbox";
	int rc;

	delivery_source_queue_init(&src, job->r->msg);
	if (job->maildir)
		rc = maildir_deliver(job->path, job->headers, &src,
				     (uint64_t)param_mailbox_size_limit,
				     param_myhostname, NULL, &err);
	else
		rc = mbox_deliver(job->path, job->r->msg->sender,
				  job->headers, &src,
				  (uint64_t)param_mailbox_size_limit,
				  MBOX_LOCK_TIMEOUT_DEFAULT, &err);
	if (rc < 0) {
		local_error_outcome(&err, out);
		return;
	}
	if (job->res != NULL)
		local_outcome_set(out, DELIVER_STATUS_SENT, "2.0.0",
				  "delivered to %s: %s", what, job->path);
	else
		local_outcome_set(out, DELIVER_STATUS_SENT, "2.0.0",
				  "delivered to %s",
				  job->maildir ? "maildir" : "mailbox");
}

/* local_env_add - one NAME=value entry of a command's environment */
static void
local_env_add(char **env, size_t *n, const char *name, const char *value)
{
	env[(*n)++] = mem_asprintf("%s=%s", name, value != NULL ? value : "");
	env[*n] = NULL;
}

/* local_command_exec - in the command's process: exec /bin/sh -c */
static void
local_command_exec(const struct local_job *job, int in_fd, int out_fd)
{
	char *env[16];
	size_t n = 0;
	char *argv[] = { "sh", "-c", (char *)job->command, NULL };

	env[0] = NULL;
	setsid();
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(75);
	/* SECURITY: a clean environment; envelope data only here. */
	local_env_add(env, &n, "PATH", "/usr/bin:/bin");
	local_env_add(env, &n, "HOME", job->user->home);
	local_env_add(env, &n, "USER", job->user->name);
	local_env_add(env, &n, "LOGNAME", job->user->name);
	local_env_add(env, &n, "SHELL", job->user->shell);
	local_env_add(env, &n, "SENDER", job->r->msg->sender);
	local_env_add(env, &n, "RECIPIENT", job->rcpt_addr);
	local_env_add(env, &n, "EXTENSION", job->ext);
	local_env_add(env, &n, "DOMAIN", job->r->domain);
	local_env_add(env, &n, "LOCAL", job->r->local);
	if (chdir(job->user->home) < 0 && chdir("/") < 0)
		_exit(75);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGXFSZ, SIG_DFL);
	execve("/bin/sh", argv, env);
	_exit(75);
}

/* local_job_command - run a |command, in the user's child */
static void
local_job_command(void *ctx, struct local_outcome *out)
{
	struct local_job *job = ctx;
	struct delivery_source src;
	struct delivery_error err;
	char output[LOCAL_COMMAND_OUTPUT_MAX + 1];
	size_t output_len = 0;
	struct timespec start, now;
	uint64_t octets;
	int in_fd, fds[2], status = 0;
	bool timed_out = false, eof = false;
	pid_t pid;

	/* The message goes to a memory file, so that a command which
	 * writes before it reads cannot dead-lock against us. */
	in_fd = memfd_create("local-message", MFD_CLOEXEC);
	if (in_fd < 0) {
		local_outcome_set(out, DELIVER_STATUS_DEFERRED, "4.3.0",
				  "memfd_create: %s", strerror(errno));
		return;
	}
	delivery_source_queue_init(&src, job->r->msg);
	if (delivery_source_copy(&src, job->headers, 0, 0, in_fd, &octets,
				 &err) < 0) {
		local_error_outcome(&err, out);
		return;
	}
	if (lseek(in_fd, 0, SEEK_SET) < 0 || pipe2(fds, O_CLOEXEC) < 0 ||
	    (pid = fork()) < 0) {
		local_outcome_set(out, DELIVER_STATUS_DEFERRED, "4.3.0",
				  "cannot start command: %s", strerror(errno));
		return;
	}
	if (pid == 0)
		local_command_exec(job, in_fd, fds[1]);
	close(fds[1]);
	close(in_fd);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		long left_ms;
		char chunk[4096];
		ssize_t got;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left_ms = (long)(LOCAL_COMMAND_TIME_LIMIT_S -
				 (now.tv_sec - start.tv_sec)) * 1000;
		if (left_ms <= 0) {
			timed_out = true;
			break;
		}
		if (eof) {
			pid_t w = waitpid(pid, &status, WNOHANG);

			if (w == pid)
				break;
			(void)poll(NULL, 0, 20);
			continue;
		}
		if (poll(&pfd, 1, (int)(left_ms > 1000 ? 1000 : left_ms)) <= 0)
			continue;
		got = read(fds[0], chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			eof = true;
			continue;
		}
		if (output_len < LOCAL_COMMAND_OUTPUT_MAX) {
			size_t take = (size_t)got;

			if (take > LOCAL_COMMAND_OUTPUT_MAX - output_len)
				take = LOCAL_COMMAND_OUTPUT_MAX - output_len;
			memcpy(output + output_len, chunk, take);
			output_len += take;
		}
	}
	close(fds[0]);
	output[output_len] = '\0';
	if (timed_out) {
		(void)kill(-pid, SIGKILL);
		(void)kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		local_outcome_set(out, DELIVER_STATUS_BOUNCED, "5.3.0",
				  "command time limit exceeded: \"%s\"",
				  job->command);
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		local_outcome_set(out, DELIVER_STATUS_SENT, "2.0.0",
				  "delivered to command: %s", job->command);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 75)
		local_outcome_set(out, DELIVER_STATUS_DEFERRED, "4.3.0",
				  "temporary failure. Command output: %s",
				  output);
	else if (WIFEXITED(status))
		local_outcome_set(out, DELIVER_STATUS_BOUNCED, "5.3.0",
				  "Command died with status %d: \"%s\". "
				  "Command output: %s",
				  WEXITSTATUS(status), job->command, output);
	else
		local_outcome_set(out, DELIVER_STATUS_DEFERRED, "4.3.0",
				  "Command died with signal %d: \"%s\"",
				  WTERMSIG(status), job->command);
}

/* What the re-queue child needs. */
struct local_requeue {
	struct local_rcpt *r;
	char **addrs;
	size_t addr_count;
};

/* local_job_requeue - write the new queue file, as mail_owner */
static void
local_job_requeue(void *ctx, struct local_outcome *out)
{
	struct local_requeue *rq = ctx;
	struct queue_message *msg = rq->r->msg;
	struct queue_writer *w;
	const uint8_t *p;
	const char *error;
	enum queue_err qerr;
	size_t i, n;
	char *hdr;
	int rc;

	w = queue_write_begin(param_queue_directory, 0, &error);
	if (w == NULL) {
		local_outcome_set(out, DELIVER_STATUS_DEFERRED, "4.3.0",
				  "cannot forward: %s", error);
		return;
	}
	queue_write_sender(w, msg->sender);
	if (msg->envid != NULL)
		queue_write_envid(w, msg->envid);
	queue_write_ret(w, msg->ret);
	queue_write_body(w, msg->body);
	if (msg->smtputf8)
		queue_write_smtputf8(w);
	for (i = 0; i < rq->addr_count; i++) {
		struct queue_rcpt rcpt;

		memset(&rcpt, 0, sizeof(rcpt));
		rcpt.address = rq->addrs[i];
		rcpt.status = QUEUE_RCPT_PENDING;
		queue_write_rcpt(w, &rcpt);
	}
	/* Postfix adds Delivered-To to forwarded mail too: that is what
	 * catches a loop through other hosts or our own queue. */
	hdr = mem_asprintf("Delivered-To: %s\r\n", rq->r->orig);
	queue_write_content(w, hdr, strlen(hdr));
	mem_free(&hdr);
	queue_read_content_rewind(msg);
	while ((rc = queue_read_content_next(msg, &p, &n, &qerr, &error)) > 0)
		queue_write_content(w, p, n);
	if (rc < 0 || queue_write_commit(w) < 0) {
		if (rc >= 0)
			queue_write_error(w, &error);
		local_outcome_set(out, DELIVER_STATUS_DEFERRED, "4.3.0",
				  "cannot forward: %s", error);
		queue_write_free(&w);
		return;
	}
	log_info("%s: forwarded as %s", rq->r->queue_id, queue_write_id(w));
	local_outcome_set(out, DELIVER_STATUS_SENT, "2.0.0",
			  "forwarded as %s", queue_write_id(w));
	queue_write_free(&w);
	trigger_qmgr(param_queue_directory);
}

/* ---- resolution ---- */

/* local_headers - the lines prepended to every delivery */
static char *
local_headers(const struct local_rcpt *r, const char *rcpt_addr)
{
	return mem_asprintf("Return-Path: <%s>\nDelivered-To: %s\n",
			    r->msg->sender, rcpt_addr);
}

/*
 * local_is_loop - whether the message already has "Delivered-To: addr"
 * (bounded scan of the header block). A read error counts as no loop:
 * the delivery that follows will meet it and defer.
 */
static bool
local_is_loop(struct local_rcpt *r, const char *addr)
{
	struct local_hdr_scan scan;
	const uint8_t *p;
	const char *error;
	enum queue_err qerr;
	size_t n;

	local_hdr_scan_init(&scan, addr);
	queue_read_content_rewind(r->msg);
	while (queue_read_content_next(r->msg, &p, &n, &qerr, &error) > 0)
		if (local_hdr_scan_feed(&scan, p, n))
			break;
	queue_read_content_rewind(r->msg);
	return scan.found;
}

/* local_finish - log one attempt and fold it into the recipient's total */
static void
local_finish(struct local_rcpt *r, const char *to,
	     const struct local_outcome *one, struct local_outcome *total,
	     bool *first)
{
	local_log_delivery(r->queue_id, to, r->orig, r->msg->arrival_us, one);
	if (*first)
		*total = *one;
	else
		local_outcome_merge(total, one);
	*first = false;
}

/* local_deliver_user - a final local name: users table or system user */
static void
local_deliver_user(struct local_rcpt *r, const char *name,
		   struct local_outcome *out, char *addr, size_t addr_size)
{
	size_t ext_off = local_ext_split(name, r->cfg->delimiter);
	char *user = ext_off != 0 ? mem_strndup(name, ext_off)
				  : mem_strdup(name);
	const char *ext = ext_off != 0 ? name + ext_off + 1 : "";
	struct users_entry entry;
	struct local_user pw;
	struct local_job job;
	const char *error;
	char *path = NULL, *headers;
	bool other;
	int rc;

	snprintf(addr, addr_size, "%s@%s", name, r->domain);
	memset(&job, 0, sizeof(job));
	job.r = r;
	job.rcpt_addr = addr;
	job.ext = ext;
	if (strcmp(addr, r->orig) != 0 && local_is_loop(r, addr)) {
		local_outcome_set(out, DELIVER_STATUS_BOUNCED, "5.4.6",
				  "mail forwarding loop for %s", addr);
		goto done;
	}
	rc = users_lookup(r->users, user, &entry, &error);
	if (rc < 0) {
		log_warn("%s: users table: %s", r->queue_id, error);
		local_outcome_set(out, DELIVER_STATUS_DEFERRED, "4.3.0",
				  "users table lookup failed");
		goto done;
	}
	if (rc == 1) {
		local_user_owner(r->cfg, &pw);
		job.path = entry.maildir;
		job.maildir = true;
	} else if (local_system_user(r, user, &pw, &other) == 1) {
		if (*param_home_mailbox != '\0')
			path = mem_asprintf("%s/%s", pw.home,
					    param_home_mailbox);
		else
			path = mem_asprintf("%s/%s", param_mail_spool_directory,
					    pw.name);
		job.path = path;
		job.maildir = *param_home_mailbox != '\0' &&
			      path[strlen(path) - 1] == '/';
	} else if (other) {
		local_outcome_set(out, DELIVER_STATUS_BOUNCED, "5.1.1",
				  "unknown user: \"%s\" (a non-root instance "
				  "delivers only to its own system user)",
				  user);
		goto done;
	} else {
		local_outcome_set(out, DELIVER_STATUS_BOUNCED, "5.1.1",
				  "unknown user: \"%s\"", user);
		goto done;
	}
	job.user = &pw;
	headers = local_headers(r, addr);
	job.headers = headers;
	local_run_as(r->cfg, &pw, local_job_mailbox, &job, out);
	mem_free(&headers);
done:
	mem_free(&path);
	mem_free(&user);
}

/* local_list_user - who runs a command or file of result res */
static int
local_list_user(struct local_rcpt *r, const struct alias_result *res,
		struct local_user *user_r)
{
	struct stat st;
	const char *db;
	size_t i;

	switch (res->source) {
	case ALIAS_SOURCE_FORWARD:
		if (res->owner != NULL &&
		    local_user_by_name(res->owner, user_r) == 0)
			return local_user_by_uid(r->cfg, user_r->uid, user_r);
		return -1;
	case ALIAS_SOURCE_INCLUDE:
		if (res->file != NULL && stat(res->file, &st) == 0)
			return local_user_by_uid(r->cfg, st.st_uid, user_r);
		return -1;
	default:
		/* The owner of the first alias table that has the alias. */
		for (i = 0; i < r->map_count; i++) {
			char *path;

			db = strchr(r->cfg->alias_maps[i], ':');
			if (db == NULL)
				continue;
			path = mem_asprintf("%s.db", db + 1);
			if (stat(path, &st) == 0) {
				mem_free(&path);
				return local_user_by_uid(r->cfg, st.st_uid,
							 user_r);
			}
			mem_free(&path);
		}
		return local_user_by_uid(r->cfg, 0, user_r);
	}
}

/* local_deliver_special - a |command, /file or /maildir/ of a list */
static void
local_deliver_special(struct local_rcpt *r, const struct alias_result *res,
		      struct local_outcome *out, char *addr, size_t addr_size)
{
	bool is_cmd = res->type == ALIAS_DEST_PIPE;
	char *const *allow = is_cmd ? r->cfg->allow_commands
				    : r->cfg->allow_files;
	struct local_user user;
	struct local_job job;
	char *headers;

	if (res->source == ALIAS_SOURCE_FORWARD && res->owner != NULL)
		snprintf(addr, addr_size, "%s@%s", res->owner, r->domain);
	else
		snprintf(addr, addr_size, "%s", r->orig);
	if (res->source == ALIAS_SOURCE_RECIPIENT ||
	    !local_list_has(allow, alias_source_name(res->source))) {
		local_outcome_set(out, DELIVER_STATUS_BOUNCED, "5.7.1",
				  "mail to %s is restricted",
				  is_cmd ? "command" : "file");
		return;
	}
	if (local_list_user(r, res, &user) < 0) {
		local_outcome_set(out, DELIVER_STATUS_DEFERRED, "4.3.0",
				  "cannot find the owner of %s",
				  alias_source_name(res->source));
		return;
	}
	memset(&job, 0, sizeof(job));
	job.r = r;
	job.res = res;
	job.user = &user;
	job.rcpt_addr = addr;
	job.ext = "";
	headers = local_headers(r, addr);
	job.headers = headers;
	if (is_cmd) {
		job.command = res->value;
		local_run_as(r->cfg, &user, local_job_command, &job, out);
	} else {
		job.path = res->value;
		job.maildir = res->type == ALIAS_DEST_MAILDIR;
		local_run_as(r->cfg, &user, local_job_mailbox, &job, out);
	}
	mem_free(&headers);
}

/* local_deliver_results - every final delivery of an expansion */
static void
local_deliver_results(struct local_rcpt *r, const struct alias_result *res,
		      size_t count, struct local_outcome *total)
{
	struct local_requeue rq;
	struct local_outcome one;
	struct local_user owner;
	char addr[LOCAL_ADDR_MAX + 1];
	bool first = true;
	size_t i;

	memset(&rq, 0, sizeof(rq));
	rq.r = r;
	rq.addrs = mem_alloc_array(count, sizeof(*rq.addrs));
	for (i = 0; i < count; i++) {
		memset(&one, 0, sizeof(one));
		switch (res[i].type) {
		case ALIAS_DEST_ADDRESS:
			rq.addrs[rq.addr_count++] = res[i].value;
			continue;
		case ALIAS_DEST_LOCAL:
			local_deliver_user(r, res[i].value, &one, addr,
					   sizeof(addr));
			break;
		default:
			local_deliver_special(r, &res[i], &one, addr,
					      sizeof(addr));
			break;
		}
		local_finish(r, addr, &one, total, &first);
	}
	if (rq.addr_count > 0) {
		memset(&one, 0, sizeof(one));
		local_user_owner(r->cfg, &owner);
		local_run_as(r->cfg, &owner, local_job_requeue, &rq, &one);
		local_finish(r, r->orig, &one, total, &first);
	}
	mem_free(&rq.addrs);
}

/* local_deliver_virtual - a virtual_mailbox_domains recipient */
static void
local_deliver_virtual(struct local_rcpt *r, struct local_outcome *out)
{
	struct users_entry entry;
	struct local_user owner;
	struct local_job job;
	const char *error;
	char *headers;
	size_t ext_off = local_ext_split(r->local, r->cfg->delimiter);
	char *name = mem_asprintf("%s@%s", r->local, r->domain);
	int rc = users_lookup(r->users, name, &entry, &error);

	if (rc == 0 && ext_off != 0) {
		mem_free(&name);
		name = mem_asprintf("%.*s@%s", (int)ext_off, r->local,
				    r->domain);
		rc = users_lookup(r->users, name, &entry, &error);
	}
	if (rc < 0) {
		log_warn("%s: users table: %s", r->queue_id, error);
		local_outcome_set(out, DELIVER_STATUS_DEFERRED, "4.3.0",
				  "users table lookup failed");
	} else if (rc == 0) {
		local_outcome_set(out, DELIVER_STATUS_BOUNCED, "5.1.1",
				  "unknown user: \"%s\"", name);
	} else {
		memset(&job, 0, sizeof(job));
		job.r = r;
		job.path = entry.maildir;
		job.maildir = true;
		headers = local_headers(r, r->orig);
		job.headers = headers;
		local_user_owner(r->cfg, &owner);
		job.user = &owner;
		local_run_as(r->cfg, &owner, local_job_mailbox, &job, out);
		mem_free(&headers);
	}
	mem_free(&name);
	local_log_delivery(r->queue_id, r->orig, NULL, r->msg->arrival_us,
			   out);
}

/* local_deliver_local - a mydestination recipient: aliases and users */
static void
local_deliver_local(struct local_rcpt *r, struct local_outcome *out)
{
	static const struct alias_callbacks cb = {
		local_cb_lookup, local_cb_read_file, local_cb_read_forward,
	};
	struct alias_params params;
	struct alias_result *res = NULL;
	struct alias_error err;
	size_t count = 0;

	alias_params_init(&params);
	params.recipient_delimiter = r->cfg->delimiter;
	if (alias_expand(r->local, &cb, r, &params, &res, &count, &err) < 0) {
		local_outcome_set(out, err.temporary ? DELIVER_STATUS_DEFERRED
						     : DELIVER_STATUS_BOUNCED,
				  err.dsn, "%s", err.text);
		if (err.temporary)
			log_warn("%s: %s", r->queue_id, err.text);
		local_log_delivery(r->queue_id, r->orig, NULL,
				   r->msg->arrival_us, out);
		return;
	}
	local_deliver_results(r, res, count, out);
	alias_results_free(&res, count);
}

/* local_deliver_rcpt - resolve and deliver one queued recipient */
void
local_deliver_rcpt(const struct local_config *cfg, const char *queue_id,
		   struct queue_message *msg, size_t index,
		   struct local_outcome *out)
{
	struct local_rcpt r;
	const char *error;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.queue_id = queue_id;
	r.msg = msg;
	r.orig = msg->rcpts[index].address;
	if (local_addr_split(r.orig, &r.local, &r.domain) < 0) {
		local_outcome_set(out, DELIVER_STATUS_BOUNCED, "5.1.3",
				  "bad recipient address syntax");
		local_log_delivery(queue_id, r.orig, NULL, msg->arrival_us,
				   out);
		goto out;
	}
	switch (local_domain_classify(r.domain, cfg->mydestination,
				      cfg->virtual_domains)) {
	case LOCAL_DOMAIN_NONE:
		local_outcome_set(out, DELIVER_STATUS_BOUNCED, "5.1.2",
				  "not a local domain");
		local_log_delivery(queue_id, r.orig, NULL, msg->arrival_us,
				   out);
		goto out;
	default:
		break;
	}
	if (local_is_loop(&r, r.orig)) {
		local_outcome_set(out, DELIVER_STATUS_BOUNCED, "5.4.6",
				  "mail forwarding loop for %s", r.orig);
		local_log_delivery(queue_id, r.orig, NULL, msg->arrival_us,
				   out);
		goto out;
	}
	if (cfg->cache->users == NULL)
		cfg->cache->users = users_new(param_user_database, "",
					      USERS_SCHEME_YESCRYPT, &error);
	r.users = cfg->cache->users;
	if (r.users == NULL) {
		log_warn("user_database %s: %s", param_user_database, error);
		local_outcome_set(out, DELIVER_STATUS_DEFERRED, "4.3.0",
				  "users table unavailable");
		local_log_delivery(queue_id, r.orig, NULL, msg->arrival_us,
				   out);
		goto out;
	}
	if (cfg->cache->maps == NULL) {
		for (i = 0; cfg->alias_maps[i] != NULL; i++)
			;
		cfg->cache->map_count = i;
		cfg->cache->maps = mem_alloc_array(i + 1, sizeof(struct dict *));
	}
	r.map_count = cfg->cache->map_count;
	r.maps = cfg->cache->maps;
	if (local_domain_classify(r.domain, cfg->mydestination,
				  cfg->virtual_domains) == LOCAL_DOMAIN_LOCAL)
		local_deliver_local(&r, out);
	else
		local_deliver_virtual(&r, out);
out:
	mem_free(&r.local);
	mem_free(&r.domain);
}
