/*
 * test_ipc_conn.c - unit tests for lib/ipc_conn.c: frames over a
 * socketpair (pipelined, trickled one octet per loop iteration, large
 * enough to need many reads and writes), malformed input and EOF, the
 * outgoing cap, descriptor passing with surplus descriptors closed, and
 * the blocking ipc_call client against a forked server.
 */
#include "tests/unit/testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/event.h"
#include "lib/ipc.h"
#include "lib/ipc_conn.h"
#include "lib/mem.h"

/* Longest a test loop may run. */
#define TEST_GUARD_MS 5000

#define TEST_MAX_FRAMES 16

struct peer {
	struct event_loop *loop;
	struct ipc_conn *conn;
	size_t frames;
	uint16_t types[TEST_MAX_FRAMES];
	uint32_t ids[TEST_MAX_FRAMES];
	uint8_t flags[TEST_MAX_FRAMES];
	int fds[TEST_MAX_FRAMES];
	size_t payload_len[TEST_MAX_FRAMES];
	size_t stop_after;	/* frames; 0: never */
	bool closed;
	enum ipc_conn_close_reason reason;
	const char *error;
};

/* peer_frame - record a frame */
static void
peer_frame(void *ctx, const struct ipc_frame *frame, int fd)
{
	struct peer *p = ctx;

	assert_true(p->frames < TEST_MAX_FRAMES);
	p->types[p->frames] = frame->type;
	p->ids[p->frames] = frame->request_id;
	p->flags[p->frames] = frame->flags;
	p->fds[p->frames] = fd;
	p->payload_len[p->frames] = frame->payload_len;
	p->frames++;
	if (p->frames == p->stop_after)
		event_loop_stop(p->loop);
}

/* peer_close - record the close, free the conn, stop */
static void
peer_close(void *ctx, enum ipc_conn_close_reason reason, const char *error)
{
	struct peer *p = ctx;

	p->closed = true;
	p->reason = reason;
	p->error = error;
	ipc_conn_free(&p->conn);
	event_loop_stop(p->loop);
}

/* test_guard - fail a loop that never stops */
static void
test_guard(void *ctx)
{
	(void)ctx;
	fail_msg("event loop did not stop in time");
}

/* peer_init - an ipc_conn on sv[0]; sv[1] stays raw for the test */
static void
peer_init(struct peer *p, struct event_loop *loop, int sv[2],
	  size_t max_pending)
{
	struct ipc_conn_settings set;

	memset(p, 0, sizeof(*p));
	p->loop = loop;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(&set, 0, sizeof(set));
	set.limits = &ipc_limits_all;
	set.max_pending_bytes = max_pending;
	set.peer_name = "test-peer";
	p->conn = ipc_conn_new(loop, sv[0], &set, peer_frame, peer_close, p);
}

/* raw_send - write octets with optional descriptors in one sendmsg */
static void
raw_send(int fd, const void *data, size_t n, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr align;
		uint8_t space[CMSG_SPACE(8 * sizeof(int))];
	} control;
	struct msghdr mh;
	struct iovec iov;

	assert_true(nfds <= 8);
	memset(&mh, 0, sizeof(mh));
	memset(&control, 0, sizeof(control));
	iov.iov_base = (void *)data;
	iov.iov_len = n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		struct cmsghdr *c;

		mh.msg_control = control.space;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	assert_int_equal(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t)n);
}

/* run_loop - run with a guard timer */
static void
run_loop(struct event_loop *loop)
{
	struct event_timer *guard =
		event_timer_add(loop, TEST_GUARD_MS, test_guard, NULL);

	assert_int_equal(event_loop_run(loop), 0);
	event_timer_remove(&guard);
}

/* fd_is_open - whether descriptor number fd is open */
static bool
fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}

static void
test_pipelined(void **state)
{
	struct event_loop *loop = event_loop_new();
	struct ipc_msg a, b, c;
	struct peer p;
	struct buf all;
	int sv[2];

	(void)state;
	peer_init(&p, loop, sv, 0);
	ipc_status_request_encode(&a, 1);
	ipc_status_reply_encode(&b, 2, NULL, 0);
	ipc_msg_init(&c, IPC_MASTER_STATUS_REQUEST, 3);
	ipc_msg_add_str(&c, 500, "field from a newer peer");
	buf_init(&all, 4096);
	buf_append(&all, a.buf.data, a.buf.len);
	buf_append(&all, b.buf.data, b.buf.len);
	buf_append(&all, c.buf.data, c.buf.len);
	raw_send(sv[1], all.data, all.len, NULL, 0);
	p.stop_after = 3;
	run_loop(loop);
	assert_int_equal(p.frames, 3);
	assert_int_equal(p.types[0], IPC_MASTER_STATUS_REQUEST);
	assert_int_equal(p.types[1], IPC_MASTER_STATUS_REPLY);
	assert_int_equal(p.ids[2], 3);
	assert_int_equal(p.fds[2], -1);
	assert_false(p.closed);
	/* Clean EOF between frames: no warning. */
	close(sv[1]);
	run_loop(loop);
	assert_true(p.closed);
	assert_int_equal(p.reason, IPC_CONN_CLOSE_EOF);
	assert_null(p.conn);
	buf_deinit(&all);
	ipc_msg_deinit(&a);
	ipc_msg_deinit(&b);
	ipc_msg_deinit(&c);
	event_loop_free(&loop);
}

struct trickle {
	struct event_loop *loop;
	int fd;
	const uint8_t *data;
	size_t len;
	size_t off;
	struct event_timer *timer;
};

/* trickle_next - write one octet per timer tick */
static void
trickle_next(void *ctx)
{
	struct trickle *t = ctx;

	if (t->off < t->len) {
		assert_int_equal(write(t->fd, t->data + t->off, 1), 1);
		t->off++;
		event_timer_reset(t->timer, 0);
	}
}

static void
test_trickled(void **state)
{
	struct event_loop *loop = event_loop_new();
	struct ipc_status_proc procs[2] = { { (char *)"master", 1 },
					    { (char *)"smtpd", 2 } };
	struct trickle t;
	struct ipc_msg msg;
	struct peer p;
	int sv[2];

	(void)state;
	peer_init(&p, loop, sv, 0);
	ipc_status_reply_encode(&msg, 9, procs, 2);
	memset(&t, 0, sizeof(t));
	t.loop = loop;
	t.fd = sv[1];
	t.data = msg.buf.data;
	t.len = msg.buf.len;
	t.timer = event_timer_add(loop, 0, trickle_next, &t);
	p.stop_after = 1;
	run_loop(loop);
	assert_int_equal(t.off, t.len);
	assert_int_equal(p.frames, 1);
	assert_int_equal(p.ids[0], 9);
	assert_int_equal(p.payload_len[0], msg.buf.len - IPC_HEADER_LEN);
	event_timer_remove(&t.timer);
	ipc_conn_free(&p.conn);
	close(sv[1]);
	ipc_msg_deinit(&msg);
	event_loop_free(&loop);
}

static void
test_malformed(void **state)
{
	/* Each row is sent, then (optionally) the raw end is closed. */
	static const struct {
		const char *name;
		const char *bytes;
		size_t len;
		bool then_close;
		enum ipc_conn_close_reason reason;
		const char *error;
	} rows[] = {
		{ "bad version", "\0\0\0\x0c\0\x01\x02\0\0\0\0\x01", 12, false,
		  IPC_CONN_CLOSE_MALFORMED, "version" },
		{ "unknown type", "\0\0\0\x0c\0\x63\x01\0\0\0\0\x01", 12, false,
		  IPC_CONN_CLOSE_MALFORMED, "type" },
		{ "oversized from the header",
		  "\x00\x10\x00\x00\0\x01\x01\0\0\0\0\x01", 12, false,
		  IPC_CONN_CLOSE_MALFORMED, "above" },
		{ "flag without a descriptor",
		  "\0\0\0\x0c\0\x01\x01\x01\0\0\0\x01", 12, false,
		  IPC_CONN_CLOSE_MALFORMED, "did not arrive" },
		{ "EOF inside a frame", "\0\0\0\x0c\0\x01\x01", 7, true,
		  IPC_CONN_CLOSE_MALFORMED, "inside a frame" },
		{ "EOF at once", "", 0, true, IPC_CONN_CLOSE_EOF,
		  "closed" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct event_loop *loop = event_loop_new();
		struct peer p;
		int sv[2];

		peer_init(&p, loop, sv, 0);
		if (rows[i].len > 0)
			raw_send(sv[1], rows[i].bytes, rows[i].len, NULL, 0);
		if (rows[i].then_close)
			close(sv[1]);
		run_loop(loop);
		if (!p.closed || p.reason != rows[i].reason ||
		    strstr(p.error, rows[i].error) == NULL)
			fail_msg("%s: closed=%d reason=%d error=%s",
				 rows[i].name, p.closed, (int)p.reason,
				 p.error != NULL ? p.error : "");
		assert_int_equal(p.frames, 0);
		if (rows[i].reason != IPC_CONN_CLOSE_EOF) {
			/* The warning names the peer. */
			assert_true(testlib_log_contains("peer test-peer"));
			testlib_log_expect("peer test-peer");
		}
		if (!rows[i].then_close)
			close(sv[1]);
		event_loop_free(&loop);
	}
}

/* free_in_frame - the owner frees the conn from its frame callback */
static void
free_in_frame(void *ctx, const struct ipc_frame *frame, int fd)
{
	struct peer *p = ctx;

	(void)frame;
	(void)fd;
	p->frames++;
	ipc_conn_free(&p->conn);
	event_loop_stop(p->loop);
}

static void
test_free_in_callback(void **state)
{
	struct event_loop *loop = event_loop_new();
	struct ipc_conn_settings set = { &ipc_limits_all, 0, "x" };
	struct ipc_msg msg;
	struct peer p;
	int sv[2];

	(void)state;
	memset(&p, 0, sizeof(p));
	p.loop = loop;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	p.conn = ipc_conn_new(loop, sv[0], &set, free_in_frame, peer_close,
			      &p);
	ipc_status_request_encode(&msg, 1);
	/* Two frames in one read: the second must not be delivered. */
	raw_send(sv[1], msg.buf.data, msg.buf.len, NULL, 0);
	raw_send(sv[1], msg.buf.data, msg.buf.len, NULL, 0);
	run_loop(loop);
	assert_int_equal(p.frames, 1);
	assert_null(p.conn);
	close(sv[1]);
	ipc_msg_deinit(&msg);
	event_loop_free(&loop);
}

static void
test_outgoing_cap(void **state)
{
	struct event_loop *loop = event_loop_new();
	struct ipc_msg msg;
	struct peer p;
	int sv[2], pfd[2];

	(void)state;
	peer_init(&p, loop, sv, 100);
	ipc_msg_init(&msg, IPC_MASTER_STATUS_REQUEST, 1);
	ipc_msg_add(&msg, 1000, "0123456789012345678901234567890123456789",
		    40);
	/* 58 octets queued: fine. Another 58 would pass the 100 cap. */
	assert_int_equal(ipc_conn_send(p.conn, &msg, -1), 0);
	assert_int_equal(ipc_conn_pending_bytes(p.conn), 58);
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(ipc_conn_send(p.conn, &msg, pfd[0]), -1);
	/* The descriptor passed to a failed send is closed. */
	assert_false(fd_is_open(pfd[0]));
	/* on_close comes from the loop, not from inside send. */
	assert_false(p.closed);
	assert_int_equal(ipc_conn_send(p.conn, &msg, -1), -1);
	run_loop(loop);
	assert_true(p.closed);
	assert_int_equal(p.reason, IPC_CONN_CLOSE_OVERFLOW);
	testlib_log_expect("outgoing queue over its limit");
	close(pfd[1]);
	close(sv[1]);
	ipc_msg_deinit(&msg);
	event_loop_free(&loop);
}

static void
test_large_frame_between_conns(void **state)
{
	enum { PROCS = IPC_STATUS_PROCS_MAX };
	struct event_loop *loop = event_loop_new();
	struct ipc_conn_settings set = { &ipc_limits_all, 1024 * 1024, "a" };
	struct ipc_status_proc *procs = mem_alloc_array(PROCS, sizeof(*procs));
	struct ipc_msg msg;
	struct peer a, b;
	int sv[2];
	size_t i;

	(void)state;
	for (i = 0; i < PROCS; i++) {
		procs[i].name = mem_asprintf("service-%zu-%s-%s", i,
					     "padding-padding-padding",
					     "padding-padding-padding");
		procs[i].pid = (uint32_t)(i + 1);
	}
	ipc_status_reply_encode(&msg, 3, procs, PROCS);
	assert_true(msg.buf.len > 256 * 1024);	/* > socket buffers */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.loop = b.loop = loop;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	a.conn = ipc_conn_new(loop, sv[0], &set, peer_frame, peer_close, &a);
	set.peer_name = NULL;	/* SO_PEERCRED name */
	b.conn = ipc_conn_new(loop, sv[1], &set, peer_frame, peer_close, &b);
	assert_non_null(strstr(ipc_conn_peer(b.conn), "pid="));
	assert_int_equal(ipc_conn_send(a.conn, &msg, -1), 0);
	assert_int_equal(ipc_conn_send(a.conn, &msg, -1), 0);
	b.stop_after = 2;
	run_loop(loop);
	assert_int_equal(b.frames, 2);
	assert_int_equal(b.payload_len[1], msg.buf.len - IPC_HEADER_LEN);
	assert_int_equal(ipc_conn_pending_bytes(a.conn), 0);
	ipc_conn_free(&a.conn);
	ipc_conn_free(&b.conn);
	for (i = 0; i < PROCS; i++)
		mem_free(&procs[i].name);
	mem_free(&procs);
	ipc_msg_deinit(&msg);
	event_loop_free(&loop);
}

static void
test_fd_between_conns(void **state)
{
	struct event_loop *loop = event_loop_new();
	struct ipc_conn_settings set = { &ipc_limits_all, 0, "a" };
	struct ipc_msg msg;
	struct peer a, b;
	int sv[2], pfd[2];
	char c = 0;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.loop = b.loop = loop;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	a.conn = ipc_conn_new(loop, sv[0], &set, peer_frame, peer_close, &a);
	b.conn = ipc_conn_new(loop, sv[1], &set, peer_frame, peer_close, &b);
	assert_int_equal(pipe(pfd), 0);
	ipc_status_request_encode(&msg, 1);
	/* plain, with descriptor, plain: the descriptor lands on frame 2. */
	assert_int_equal(ipc_conn_send(a.conn, &msg, -1), 0);
	assert_int_equal(ipc_conn_send(a.conn, &msg, pfd[0]), 0);
	assert_int_equal(ipc_conn_send(a.conn, &msg, -1), 0);
	b.stop_after = 3;
	run_loop(loop);
	assert_int_equal(b.frames, 3);
	assert_int_equal(b.fds[0], -1);
	assert_int_equal(b.fds[2], -1);
	assert_int_equal(b.flags[1], IPC_FLAG_FD);
	assert_true(b.fds[1] >= 0);
	/* The sender's copy was closed once sent; ours works. */
	assert_int_equal(write(pfd[1], "z", 1), 1);
	assert_int_equal(read(b.fds[1], &c, 1), 1);
	assert_int_equal(c, 'z');
	assert_true(fcntl(b.fds[1], F_GETFD) & FD_CLOEXEC);
	close(b.fds[1]);
	close(pfd[1]);
	ipc_conn_free(&a.conn);
	ipc_conn_free(&b.conn);
	ipc_msg_deinit(&msg);
	event_loop_free(&loop);
}

/* next_fds - the next n descriptor numbers the kernel will hand out */
static void
next_fds(int *numbers, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		numbers[i] = open("/dev/null", O_RDONLY);
	for (i = 0; i < n; i++) {
		assert_true(numbers[i] >= 0);
		close(numbers[i]);
	}
}

static void
test_surplus_fds(void **state)
{
	/* Rows: descriptors sent with a frame, whether the frame has the
	   flag; the receiver gets one only with the flag, closes the rest. */
	static const struct {
		size_t nfds;
		bool flag;
	} rows[] = {
		{ 1, false }, { 2, false }, { 1, true }, { 3, true },
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct event_loop *loop = event_loop_new();
		struct ipc_msg msg;
		struct peer p;
		int sv[2], send_fds[4], numbers[4];

		peer_init(&p, loop, sv, 0);
		ipc_status_request_encode(&msg, 4);
		if (rows[i].flag)
			ipc_msg_set_flags(&msg, IPC_FLAG_FD);
		for (j = 0; j < rows[i].nfds; j++)
			send_fds[j] = open("/dev/null", O_RDONLY);
		/* Received descriptors take the lowest free numbers. */
		next_fds(numbers, rows[i].nfds);
		raw_send(sv[1], msg.buf.data, msg.buf.len, send_fds,
			 rows[i].nfds);
		p.stop_after = 1;
		run_loop(loop);
		assert_int_equal(p.frames, 1);
		for (j = 0; j < rows[i].nfds; j++) {
			bool handed = rows[i].flag && j == 0;

			if (handed)
				assert_int_equal(p.fds[0], numbers[0]);
			if (fd_is_open(numbers[j]) != handed)
				fail_msg("row %zu: descriptor %zu (%d) open=%d",
					 i, j, numbers[j],
					 fd_is_open(numbers[j]));
		}
		if (!rows[i].flag)
			assert_int_equal(p.fds[0], -1);
		else
			close(p.fds[0]);
		for (j = 0; j < rows[i].nfds; j++)
			close(send_fds[j]);
		ipc_conn_free(&p.conn);
		close(sv[1]);
		ipc_msg_deinit(&msg);
		event_loop_free(&loop);
	}
}

/* The forked status server for the ipc_call tests. */
struct server {
	struct event_loop *loop;
	int listen_fd;
	struct event_io *listen_io;
	struct ipc_conn *conn;
	bool silent;	/* never answer */
};

/* server_close - the client went away */
static void
server_close(void *ctx, enum ipc_conn_close_reason reason, const char *error)
{
	struct server *s = ctx;

	(void)reason;
	(void)error;
	ipc_conn_free(&s->conn);
}

/* server_frame - answer a status request */
static void
server_frame(void *ctx, const struct ipc_frame *frame, int fd)
{
	static const struct ipc_status_proc procs[] = {
		{ (char *)"master", 10 }, { (char *)"qmgr", 11 },
	};
	struct server *s = ctx;
	const char *error;
	struct ipc_msg reply;

	if (fd >= 0)
		close(fd);
	if (s->silent || ipc_status_request_decode(frame, &error) < 0)
		return;
	ipc_status_reply_encode(&reply, frame->request_id, procs, 2);
	(void)ipc_conn_send(s->conn, &reply, -1);
	ipc_msg_deinit(&reply);
}

/* server_accept - one client at a time */
static void
server_accept(void *ctx, int fd, unsigned revents)
{
	struct server *s = ctx;
	struct ipc_conn_settings set = { &ipc_limits_all, 0, "client" };
	int client = accept(fd, NULL, NULL);

	(void)revents;
	if (client < 0)
		return;
	if (s->conn != NULL) {
		close(client);
		return;
	}
	s->conn = ipc_conn_new(s->loop, client, &set, server_frame,
			       server_close, s);
}

/* server_stop - SIGTERM ends the server */
static void
server_stop(void *ctx, int signo)
{
	(void)signo;
	event_loop_stop(ctx);
}

/* server_log_quiet - the forked server logs nowhere */
static void
server_log_quiet(enum log_level level, const char *text, void *ctx)
{
	(void)level;
	(void)text;
	(void)ctx;
}

/* server_start - fork a status server on path; returns its pid */
static pid_t
server_start(const char *path, bool silent)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sigset_t term, old;
	pid_t pid;

	assert_true(fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path));
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 8), 0);
	/* Block SIGTERM before fork so an early kill cannot be lost. */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct server s;
		struct event_signal *sig;

		log_set_hook(server_log_quiet, NULL, true);
		memset(&s, 0, sizeof(s));
		s.loop = event_loop_new();
		s.listen_fd = fd;
		s.silent = silent;
		sig = event_signal_add(s.loop, SIGTERM, server_stop, s.loop);
		s.listen_io = event_io_add(s.loop, fd, EVENT_READ,
					   server_accept, &s);
		event_loop_run(s.loop);
		(void)sig;
		_exit(0);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fd);
	return pid;
}

/* server_end - stop the server and reap it */
static void
server_end(pid_t pid)
{
	int status;

	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_ipc_call(void **state)
{
	char dir[] = "/tmp/test_ipc_conn.XXXXXX";
	char path[256];
	struct ipc_status_reply reply;
	struct ipc_frame frame;
	struct ipc_msg req;
	struct buf reply_buf;
	const char *error = NULL;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/status", dir);
	pid = server_start(path, false);
	ipc_status_request_encode(&req, 31);
	buf_init(&reply_buf, IPC_STATUS_REPLY_MAX_LEN);
	if (ipc_call(path, &req, &reply_buf, &frame, 5000, &error) < 0)
		fail_msg("ipc_call: %s", error);
	assert_int_equal(frame.type, IPC_MASTER_STATUS_REPLY);
	assert_int_equal(frame.request_id, 31);
	assert_int_equal(ipc_status_reply_decode(&frame, &reply, &error), 0);
	assert_int_equal(reply.proc_count, 2);
	assert_string_equal(reply.procs[0].name, "master");
	assert_int_equal(reply.procs[1].pid, 11);
	ipc_status_reply_deinit(&reply);
	/* A reply buffer too small for the reply. */
	buf_deinit(&reply_buf);
	buf_init(&reply_buf, 20);
	assert_int_equal(ipc_call(path, &req, &reply_buf, &frame, 5000,
				  &error),
			 -1);
	assert_non_null(strstr(error, "larger than"));
	server_end(pid);
	unlink(path);

	/* A server that never answers: the timeout. */
	pid = server_start(path, true);
	assert_int_equal(ipc_call(path, &req, &reply_buf, &frame, 100,
				  &error),
			 -1);
	assert_string_equal(error, "timed out");
	server_end(pid);
	unlink(path);

	/* Nobody listening. */
	assert_int_equal(ipc_call(path, &req, &reply_buf, &frame, 100,
				  &error),
			 -1);
	buf_deinit(&reply_buf);
	ipc_msg_deinit(&req);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pipelined, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_trickled, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_malformed, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_free_in_callback,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_outgoing_cap,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_large_frame_between_conns,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_fd_between_conns,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_surplus_fds,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_ipc_call, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
