/*
 * test_queue_write.c - unit tests for lib/queue_write.c: write -> read round
 * trips (hostile values, null sender, many recipients, large content),
 * commit visibility, abort, size and count limits, write errors (disk
 * full), and durable recipient status across a reopen.
 */
#include "tests/unit/testlib.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/mem.h"
#include "lib/queue.h"
#include "lib/queue_read.h"
#include "lib/queue_write.h"

/* tmpdir_new - fresh queue directory with its state directories */
static void
tmpdir_new(char *dir, size_t size)
{
	const char *error;

	testlib_tmpdir(dir, size, "test_queue_write");
	assert_int_equal(queue_init_dirs(dir, 0700, &error), 0);
}

/* tmpdir_free - remove a test directory */
static void
tmpdir_free(const char *dir)
{
	testlib_rmtree(dir);
}

/* dir_count - entries (other than . and ..) in dir/state */
static size_t
dir_count(const char *dir, const char *state)
{
	char path[PATH_MAX];
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, state);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* open_active - read active/id back, which must succeed */
static struct queue_message *
open_active(const char *dir, const char *id, int flags)
{
	struct queue_message *msg = NULL;
	char path[PATH_MAX];
	enum queue_err err;
	const char *error = NULL;

	assert_int_equal(queue_path(dir, QUEUE_STATE_ACTIVE, id, path,
				    sizeof(path)),
			 0);
	if (queue_read_open(path, flags, &msg, &err, &error) < 0)
		fail_msg("read %s: %s (%s)", id, error, queue_err_name(err));
	return msg;
}

/* read_content - the whole content of msg into out */
static void
read_content(struct queue_message *msg, struct buf *out)
{
	const uint8_t *p;
	enum queue_err err;
	const char *error;
	size_t n;
	int rc;

	while ((rc = queue_read_content_next(msg, &p, &n, &err, &error)) > 0) {
		assert_true(n > 0 && n <= QUEUE_CHUNK_MAX);
		buf_append(out, p, n);
	}
	assert_int_equal(rc, 0);
}

/* long_string - n copies of c as a new string */
static char *
long_string(size_t n, char c)
{
	char *s = mem_alloc(n + 1);

	memset(s, c, n);
	return s;
}

/* A call that must panic, for expect_panic. */
struct panic_call {
	struct queue_writer *w;
	struct queue_message *msg;
	const struct queue_rcpt *rcpt;
	int which;	/* 0: sender, 1: rcpt, 2: mark_rcpt */
};

/*
 * expect_panic - whether the call panics. Like TESTLIB_EXPECT_EXIT, with
 * the flag volatile so gcc's -Wclobbered stays quiet in optimized builds.
 */
static bool
expect_panic(const struct panic_call *call)
{
	volatile bool exited = false;
	const char *error;

	log_set_exit_hook(testlib_exit_hook);
	if (setjmp(testlib_exit_jmp) == 0) {
		if (call->which == 0)
			queue_write_sender(call->w, "t@x");
		else if (call->which == 1)
			queue_write_rcpt(call->w, call->rcpt);
		else
			queue_read_mark_rcpt(call->msg, 1,
					     QUEUE_RCPT_DELIVERED, &error);
	} else {
		exited = true;
	}
	log_set_exit_hook(NULL);
	return exited;
}

/* What a hostile-value row sets. */
enum field {
	F_SENDER,
	F_RCPT,
	F_ORCPT,
	F_NOTIFY,
	F_ENVID,
	F_HELO,
	F_CLIENT_NAME,
	F_CLIENT_ADDR,
	F_PROTOCOL,
	F_AUTH_USER,
	F_ATTR,
};

static void
test_values(void **state)
{
	static const struct {
		enum field field;
		const char *a;		/* the value (or ORCPT type, ATTR name) */
		const char *b;		/* ORCPT address, ATTR value */
		size_t fill;		/* > 0: a is fill copies of 'a' */
		unsigned int notify;
		enum queue_err expect;	/* at commit */
	} rows[] = {
		{ F_SENDER, "user@example.com", NULL, 0, 0, QUEUE_ERR_NONE },
		{ F_SENDER, "", NULL, 0, 0, QUEUE_ERR_NONE }, /* null sender */
		{ F_SENDER, "\"john doe\"@example.com", NULL, 0, 0,
		  QUEUE_ERR_NONE },
		{ F_SENDER, "us\xc3\xa9r@\xc3\xa9xample.com", NULL, 0, 0,
		  QUEUE_ERR_NONE },
		{ F_SENDER, "a@b\r\nRCPT TO:<evil@x>", NULL, 0, 0,
		  QUEUE_ERR_INVALID },
		{ F_SENDER, "a@b\nx", NULL, 0, 0, QUEUE_ERR_INVALID },
		{ F_SENDER, "a@b\x7f", NULL, 0, 0, QUEUE_ERR_INVALID },
		{ F_SENDER, "a\tb@c", NULL, 0, 0, QUEUE_ERR_INVALID },
		{ F_SENDER, NULL, NULL, QUEUE_ADDR_MAX, 0, QUEUE_ERR_NONE },
		{ F_SENDER, NULL, NULL, QUEUE_ADDR_MAX + 1, 0,
		  QUEUE_ERR_INVALID },
		{ F_SENDER, NULL, NULL, 10240, 0, QUEUE_ERR_INVALID },
		{ F_RCPT, "rcpt@example.org", NULL, 0, 0, QUEUE_ERR_NONE },
		{ F_RCPT, "", NULL, 0, 0, QUEUE_ERR_INVALID },
		{ F_RCPT, "x@y\r\n", NULL, 0, 0, QUEUE_ERR_INVALID },
		{ F_RCPT, NULL, NULL, QUEUE_ADDR_MAX, 0, QUEUE_ERR_NONE },
		{ F_RCPT, NULL, NULL, 10240, 0, QUEUE_ERR_INVALID },
		{ F_ORCPT, "rfc822", "Orig@Example.org", 0, 0, QUEUE_ERR_NONE },
		{ F_ORCPT, "utf-8", "\xc3\xa9@x", 0, 0, QUEUE_ERR_NONE },
		{ F_ORCPT, "rfc;822", "a@b", 0, 0, QUEUE_ERR_INVALID },
		{ F_ORCPT, "rfc822", "a@b\r", 0, 0, QUEUE_ERR_INVALID },
		{ F_ORCPT, "rfc822", "", 0, 0, QUEUE_ERR_INVALID },
		{ F_ORCPT, "", "a@b", 0, 0, QUEUE_ERR_INVALID },
		{ F_NOTIFY, NULL, NULL, 0, QUEUE_NOTIFY_NEVER, QUEUE_ERR_NONE },
		{ F_NOTIFY, NULL, NULL, 0,
		  QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_FAILURE |
			  QUEUE_NOTIFY_DELAY,
		  QUEUE_ERR_NONE },
		{ F_NOTIFY, NULL, NULL, 0,
		  QUEUE_NOTIFY_NEVER | QUEUE_NOTIFY_SUCCESS,
		  QUEUE_ERR_INVALID },
		{ F_NOTIFY, NULL, NULL, 0, 0x10, QUEUE_ERR_INVALID },
		{ F_ENVID, "QQ314159", NULL, 0, 0, QUEUE_ERR_NONE },
		{ F_ENVID, "", NULL, 0, 0, QUEUE_ERR_INVALID },
		{ F_ENVID, "\xc3\xa9", NULL, 0, 0, QUEUE_ERR_INVALID },
		{ F_ENVID, NULL, NULL, QUEUE_ENVID_MAX, 0, QUEUE_ERR_NONE },
		{ F_ENVID, NULL, NULL, QUEUE_ENVID_MAX + 1, 0,
		  QUEUE_ERR_INVALID },
		{ F_HELO, "mail.example.net", NULL, 0, 0, QUEUE_ERR_NONE },
		{ F_HELO, "[192.0.2.1]", NULL, 0, 0, QUEUE_ERR_NONE },
		{ F_HELO, "x\r\nMAIL FROM:<>", NULL, 0, 0, QUEUE_ERR_INVALID },
		{ F_HELO, NULL, NULL, 10240, 0, QUEUE_ERR_INVALID },
		{ F_CLIENT_NAME, "unknown", NULL, 0, 0, QUEUE_ERR_NONE },
		{ F_CLIENT_ADDR, "2001:db8::1", NULL, 0, 0, QUEUE_ERR_NONE },
		{ F_CLIENT_ADDR, "1.2.3.4\n", NULL, 0, 0, QUEUE_ERR_INVALID },
		{ F_PROTOCOL, "ESMTPSA", NULL, 0, 0, QUEUE_ERR_NONE },
		{ F_PROTOCOL, "ESMTP S", NULL, 0, 0, QUEUE_ERR_INVALID },
		{ F_AUTH_USER, "j\xc3\xb6rg", NULL, 0, 0, QUEUE_ERR_NONE },
		{ F_AUTH_USER, "a\x01", NULL, 0, 0, QUEUE_ERR_INVALID },
		{ F_ATTR, "dsn_ret-x", "a=b c", 0, 0, QUEUE_ERR_NONE },
		{ F_ATTR, "n", "", 0, 0, QUEUE_ERR_NONE },
		{ F_ATTR, "a=b", "c", 0, 0, QUEUE_ERR_INVALID },
		{ F_ATTR, "", "c", 0, 0, QUEUE_ERR_INVALID },
		{ F_ATTR, "n", "tab\there", 0, 0, QUEUE_ERR_INVALID },
	};
	char dir[64];
	size_t i;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *fill = rows[i].fill > 0 ? long_string(rows[i].fill, 'a')
					      : NULL;
		const char *a = fill != NULL ? fill : rows[i].a;
		struct queue_rcpt rcpt = { .address = "r@example.org" };
		struct queue_client client = { 0 };
		struct queue_writer *w;
		struct queue_message *msg;
		const char *error;
		char id[QUEUE_ID_SIZE];
		enum queue_err err;

		w = queue_write_begin(dir, 0, &error);
		assert_non_null(w);
		memcpy(id, queue_write_id(w), sizeof(id));
		if (rows[i].field != F_SENDER)
			assert_int_equal(queue_write_sender(w, "s@x"), 0);
		switch (rows[i].field) {
		case F_SENDER:
			queue_write_sender(w, a);
			break;
		case F_RCPT:
			rcpt.address = (char *)a;
			break;
		case F_ORCPT:
			rcpt.orcpt_type = (char *)a;
			rcpt.orcpt = (char *)rows[i].b;
			break;
		case F_NOTIFY:
			rcpt.notify = rows[i].notify;
			break;
		case F_ENVID:
			queue_write_envid(w, a);
			break;
		case F_HELO:
			client.helo = (char *)a;
			break;
		case F_CLIENT_NAME:
			client.name = (char *)a;
			break;
		case F_CLIENT_ADDR:
			client.addr = (char *)a;
			break;
		case F_PROTOCOL:
			client.protocol = (char *)a;
			break;
		case F_AUTH_USER:
			client.auth_user = (char *)a;
			break;
		case F_ATTR:
			queue_write_attr(w, a, rows[i].b);
			break;
		}
		queue_write_client(w, &client);
		queue_write_rcpt(w, &rcpt);
		queue_write_content(w, "x\r\n", 3);
		queue_write_commit(w);
		err = queue_write_error(w, &error);
		if (err != rows[i].expect)
			fail_msg("row %zu: %s (%s)", i, queue_err_name(err),
				 error);
		queue_write_free(&w);
		if (rows[i].expect != QUEUE_ERR_NONE) {
			assert_int_equal(dir_count(dir, "active"), 0);
			assert_int_equal(dir_count(dir, "incoming"), 0);
			mem_free(&fill);
			continue;
		}
		/* Stored as given, and nothing else. */
		msg = open_active(dir, id, 0);
		assert_int_equal(msg->rcpt_count, 1);
		switch (rows[i].field) {
		case F_SENDER:
			assert_string_equal(msg->sender, a);
			break;
		case F_RCPT:
			assert_string_equal(msg->rcpts[0].address, a);
			break;
		case F_ORCPT:
			assert_string_equal(msg->rcpts[0].orcpt_type, a);
			assert_string_equal(msg->rcpts[0].orcpt, rows[i].b);
			break;
		case F_NOTIFY:
			assert_int_equal(msg->rcpts[0].notify, rows[i].notify);
			break;
		case F_ENVID:
			assert_string_equal(msg->envid, a);
			break;
		case F_HELO:
			assert_string_equal(msg->client.helo, a);
			break;
		case F_CLIENT_NAME:
			assert_string_equal(msg->client.name, a);
			break;
		case F_CLIENT_ADDR:
			assert_string_equal(msg->client.addr, a);
			break;
		case F_PROTOCOL:
			assert_string_equal(msg->client.protocol, a);
			break;
		case F_AUTH_USER:
			assert_string_equal(msg->client.auth_user, a);
			break;
		case F_ATTR:
			assert_int_equal(msg->attr_count, 1);
			assert_string_equal(msg->attrs[0].name, a);
			assert_string_equal(msg->attrs[0].value, rows[i].b);
			break;
		}
		assert_int_equal(msg->content_size, 3);
		queue_read_free(&msg);
		assert_int_equal(queue_remove(dir, id, QUEUE_STATE_ACTIVE,
					      &error),
				 0);
		mem_free(&fill);
	}
	tmpdir_free(dir);
}

static void
test_full_envelope(void **state)
{
	struct queue_client client = {
		.name = "mx.example.net",
		.addr = "192.0.2.7",
		.helo = "mx.example.net",
		.protocol = "ESMTPS",
		.auth_user = "alice",
	};
	struct queue_rcpt rcpt = { 0 };
	struct queue_writer *w;
	struct queue_message *msg;
	const char *error;
	char dir[64], id[QUEUE_ID_SIZE], addr[64];
	size_t i;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	w = queue_write_begin(dir, 0, &error);
	assert_non_null(w);
	memcpy(id, queue_write_id(w), sizeof(id));
	assert_true(queue_id_is_valid(id));
	assert_int_equal(queue_write_arrival(w, 1700000000123456u), 0);
	assert_int_equal(queue_write_sender(w, ""), 0);
	assert_int_equal(queue_write_envid(w, "env-1"), 0);
	assert_int_equal(queue_write_ret(w, QUEUE_RET_HDRS), 0);
	assert_int_equal(queue_write_body(w, QUEUE_BODY_8BITMIME), 0);
	assert_int_equal(queue_write_smtputf8(w), 0);
	assert_int_equal(queue_write_client(w, &client), 0);
	assert_int_equal(queue_write_attr(w, "a", "1"), 0);
	assert_int_equal(queue_write_attr(w, "b", "2"), 0);
	for (i = 0; i < 1000; i++) {
		snprintf(addr, sizeof(addr), "user%zu@example.com", i);
		rcpt.address = addr;
		rcpt.notify = i % 2 ? QUEUE_NOTIFY_FAILURE : 0;
		rcpt.orcpt_type = i % 3 ? NULL : "rfc822";
		rcpt.orcpt = i % 3 ? NULL : addr;
		assert_int_equal(queue_write_rcpt(w, &rcpt), 0);
	}
	/* Nothing is visible in active/ before the commit. */
	assert_int_equal(dir_count(dir, "incoming"), 1);
	assert_int_equal(dir_count(dir, "active"), 0);
	assert_int_equal(queue_write_commit(w), 0);
	assert_int_equal(dir_count(dir, "incoming"), 0);
	assert_int_equal(dir_count(dir, "active"), 1);
	queue_write_free(&w);
	assert_int_equal(dir_count(dir, "active"), 1);

	msg = open_active(dir, id, 0);
	assert_int_equal(msg->arrival_us, 1700000000123456u);
	assert_string_equal(msg->sender, "");
	assert_string_equal(msg->envid, "env-1");
	assert_int_equal(msg->ret, QUEUE_RET_HDRS);
	assert_int_equal(msg->body, QUEUE_BODY_8BITMIME);
	assert_true(msg->smtputf8);
	assert_string_equal(msg->client.name, "mx.example.net");
	assert_string_equal(msg->client.addr, "192.0.2.7");
	assert_string_equal(msg->client.protocol, "ESMTPS");
	assert_string_equal(msg->client.auth_user, "alice");
	assert_int_equal(msg->attr_count, 2);
	assert_string_equal(msg->attrs[1].value, "2");
	assert_int_equal(msg->rcpt_count, 1000);
	for (i = 0; i < 1000; i++) {
		snprintf(addr, sizeof(addr), "user%zu@example.com", i);
		assert_string_equal(msg->rcpts[i].address, addr);
		assert_int_equal(msg->rcpts[i].status, QUEUE_RCPT_PENDING);
		assert_int_equal(msg->rcpts[i].notify,
				 i % 2 ? QUEUE_NOTIFY_FAILURE : 0);
		if (i % 3)
			assert_null(msg->rcpts[i].orcpt);
		else
			assert_string_equal(msg->rcpts[i].orcpt, addr);
	}
	assert_int_equal(msg->content_size, 0);
	assert_int_equal(queue_read_pending_count(msg), 1000);
	queue_read_free(&msg);
	tmpdir_free(dir);
}

static void
test_content_round_trip(void **state)
{
	/* Sizes around the chunk boundary and a multi-chunk message. */
	static const size_t sizes[] = {
		0, 1, QUEUE_CHUNK_MAX - 1, QUEUE_CHUNK_MAX, QUEUE_CHUNK_MAX + 1,
		3 * QUEUE_CHUNK_MAX + 12345,
	};
	/* Write sizes that do not line up with chunks. */
	static const size_t pieces[] = { 1, 7, 1000, 65535, 70001 };
	struct queue_rcpt rcpt = { .address = "r@x" };
	char dir[64], id[QUEUE_ID_SIZE];
	struct queue_message *msg;
	struct queue_writer *w;
	struct buf back;
	uint8_t *data;
	const char *error;
	size_t i, off, k;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	data = mem_alloc(3 * QUEUE_CHUNK_MAX + 12345);
	/* Every byte value, CR, LF, NUL and fake record headers included. */
	for (i = 0; i < 3 * QUEUE_CHUNK_MAX + 12345; i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
	memcpy(data + 100, "Z\0\0\0\x10MRQF\1\0\0\0\r\n.\r\n", 19);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		w = queue_write_begin(dir, sizes[i], &error);
		assert_non_null(w);
		memcpy(id, queue_write_id(w), sizeof(id));
		assert_int_equal(queue_write_sender(w, "s@x"), 0);
		assert_int_equal(queue_write_rcpt(w, &rcpt), 0);
		for (off = 0, k = i; off < sizes[i]; k++) {
			size_t n = pieces[k % 5];

			if (n > sizes[i] - off)
				n = sizes[i] - off;
			assert_int_equal(queue_write_content(w, data + off, n),
					 0);
			off += n;
		}
		assert_int_equal(queue_write_content_size(w), sizes[i]);
		assert_int_equal(queue_write_commit(w), 0);
		queue_write_free(&w);

		msg = open_active(dir, id, 0);
		assert_int_equal(msg->content_size, sizes[i]);
		assert_true(msg->content_offset > 0);
		buf_init(&back, sizes[i] + 1);
		read_content(msg, &back);
		assert_int_equal(back.len, sizes[i]);
		assert_true(sizes[i] == 0 ||
			    memcmp(back.data, data, sizes[i]) == 0);
		/* Rewind gives the same bytes again. */
		queue_read_content_rewind(msg);
		buf_reset(&back);
		read_content(msg, &back);
		assert_int_equal(back.len, sizes[i]);
		buf_deinit(&back);
		queue_read_free(&msg);
	}
	mem_free(&data);
	tmpdir_free(dir);
}

static void
test_mark_rcpt(void **state)
{
	static const char *const addrs[] = { "a@x", "b@x", "c@x" };
	struct queue_rcpt rcpt = { 0 };
	struct queue_message *msg;
	struct queue_writer *w;
	char dir[64], id[QUEUE_ID_SIZE];
	const char *error;
	size_t i;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	w = queue_write_begin(dir, 0, &error);
	memcpy(id, queue_write_id(w), sizeof(id));
	assert_int_equal(queue_write_sender(w, "s@x"), 0);
	for (i = 0; i < 3; i++) {
		rcpt.address = (char *)addrs[i];
		assert_int_equal(queue_write_rcpt(w, &rcpt), 0);
	}
	assert_int_equal(queue_write_content(w, "body\r\n", 6), 0);
	assert_int_equal(queue_write_commit(w), 0);
	queue_write_free(&w);

	msg = open_active(dir, id, QUEUE_READ_WRITE);
	assert_int_equal(queue_read_mark_rcpt(msg, 0, QUEUE_RCPT_DELIVERED,
					      &error),
			 0);
	assert_int_equal(queue_read_mark_rcpt(msg, 2, QUEUE_RCPT_BOUNCED,
					      &error),
			 0);
	assert_int_equal(queue_read_pending_count(msg), 1);
	queue_read_free(&msg);

	/* A restart sees the same states, and the file is still valid. */
	msg = open_active(dir, id, 0);
	assert_int_equal(msg->rcpts[0].status, QUEUE_RCPT_DELIVERED);
	assert_int_equal(msg->rcpts[1].status, QUEUE_RCPT_PENDING);
	assert_int_equal(msg->rcpts[2].status, QUEUE_RCPT_BOUNCED);
	assert_string_equal(msg->rcpts[2].address, "c@x");
	/* Marking needs a writable open: a caller bug otherwise. */
	assert_true(expect_panic(&(struct panic_call){ .msg = msg, .which = 2 }));
	testlib_log_expect("assertion failed");
	queue_read_free(&msg);
	tmpdir_free(dir);
}

static void
test_abort_and_order(void **state)
{
	struct queue_rcpt rcpt = { .address = "r@x" };
	struct queue_writer *w[200];
	char dir[64], ids[200][QUEUE_ID_SIZE];
	const char *error;
	size_t i, j;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	/* A burst of writers open at once: distinct, in arrival order. */
	for (i = 0; i < 200; i++) {
		w[i] = queue_write_begin(dir, 0, &error);
		assert_non_null(w[i]);
		memcpy(ids[i], queue_write_id(w[i]), QUEUE_ID_SIZE);
	}
	for (i = 0; i < 200; i++) {
		for (j = i + 1; j < 200; j++) {
			assert_string_not_equal(ids[i], ids[j]);
			assert_true(queue_id_time_us(ids[i]) <=
				    queue_id_time_us(ids[j]));
			if (queue_id_time_us(ids[i]) < queue_id_time_us(ids[j]))
				assert_true(strcmp(ids[i], ids[j]) < 0);
		}
	}
	assert_int_equal(dir_count(dir, "incoming"), 200);
	/* Abort: freeing without commit removes the files. */
	for (i = 0; i < 200; i++) {
		if (i % 2 == 0) {
			assert_int_equal(queue_write_sender(w[i], "s@x"), 0);
			assert_int_equal(queue_write_rcpt(w[i], &rcpt), 0);
			assert_int_equal(queue_write_content(w[i], "x", 1), 0);
		}
		queue_write_free(&w[i]);
		assert_null(w[i]);
	}
	assert_int_equal(dir_count(dir, "incoming"), 0);
	assert_int_equal(dir_count(dir, "active"), 0);
	queue_write_free(&w[0]); /* NULL is fine */
	/* No queue directory: a clean error. */
	assert_null(queue_write_begin("/nonexistent/queue", 0, &error));
	assert_int_equal(errno, ENOENT);
	tmpdir_free(dir);
}

static void
test_errors(void **state)
{
	struct queue_rcpt rcpt = { .address = "r@x" };
	struct queue_writer *w;
	char dir[64];
	const char *error;
	size_t i;

	(void)state;
	tmpdir_new(dir, sizeof(dir));

	/* Too big: distinct class, sticky, nothing committed. */
	w = queue_write_begin(dir, 100, &error);
	assert_int_equal(queue_write_sender(w, "s@x"), 0);
	assert_int_equal(queue_write_rcpt(w, &rcpt), 0);
	assert_int_equal(queue_write_content(w, "0123456789", 10), 0);
	assert_int_equal(queue_write_content(w, NULL, 0), 0);
	{
		char big[91];

		memset(big, 'x', sizeof(big));
		assert_int_equal(queue_write_content(w, big, 90), 0);
		assert_int_equal(queue_write_content(w, big, 1), -1);
	}
	assert_int_equal(queue_write_error(w, &error), QUEUE_ERR_TOO_BIG);
	assert_string_equal(error, "message too big");
	assert_int_equal(queue_write_content(w, "x", 1), -1);
	assert_int_equal(queue_write_commit(w), -1);
	queue_write_free(&w);
	assert_int_equal(dir_count(dir, "active"), 0);
	assert_int_equal(dir_count(dir, "incoming"), 0);

	/* Incomplete envelopes. */
	w = queue_write_begin(dir, 0, &error);
	assert_int_equal(queue_write_rcpt(w, &rcpt), 0);
	assert_int_equal(queue_write_commit(w), -1);
	assert_int_equal(queue_write_error(w, &error), QUEUE_ERR_INVALID);
	assert_string_equal(error, "message has no sender");
	queue_write_free(&w);
	w = queue_write_begin(dir, 0, &error);
	assert_int_equal(queue_write_sender(w, "s@x"), 0);
	assert_int_equal(queue_write_content(w, "x", 1), -1);
	assert_int_equal(queue_write_error(w, &error), QUEUE_ERR_INVALID);
	assert_string_equal(error, "message has no recipients");
	queue_write_free(&w);

	/* An invalid value is sticky: later good calls fail too. */
	w = queue_write_begin(dir, 0, &error);
	assert_int_equal(queue_write_sender(w, "bad\r\n"), -1);
	assert_int_equal(queue_write_sender(w, "good@x"), -1);
	assert_int_equal(queue_write_rcpt(w, &rcpt), -1);
	assert_int_equal(queue_write_error(w, &error), QUEUE_ERR_INVALID);
	assert_string_equal(error, "invalid sender address");
	queue_write_free(&w);

	/* Recipient and attribute counts. */
	w = queue_write_begin(dir, 0, &error);
	assert_int_equal(queue_write_sender(w, "s@x"), 0);
	for (i = 0; i < QUEUE_RCPT_MAX; i++)
		assert_int_equal(queue_write_rcpt(w, &rcpt), 0);
	assert_int_equal(queue_write_rcpt(w, &rcpt), -1);
	assert_int_equal(queue_write_error(w, &error), QUEUE_ERR_LIMIT);
	assert_string_equal(error, "too many recipients");
	queue_write_free(&w);
	w = queue_write_begin(dir, 0, &error);
	for (i = 0; i < QUEUE_ATTR_MAX; i++) {
		char name[16];

		snprintf(name, sizeof(name), "n%zu", i);
		assert_int_equal(queue_write_attr(w, name, "v"), 0);
	}
	assert_int_equal(queue_write_attr(w, "last", "v"), -1);
	assert_int_equal(queue_write_error(w, &error), QUEUE_ERR_LIMIT);
	queue_write_free(&w);

	tmpdir_free(dir);
}

static void
test_caller_bugs(void **state)
{
	struct queue_rcpt rcpt = { .address = "r@x" };
	struct queue_writer *w;
	char dir[64];
	const char *error;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	/* Envelope after content and a repeated single: caller bugs. */
	w = queue_write_begin(dir, 0, &error);
	assert_int_equal(queue_write_sender(w, "s@x"), 0);
	assert_true(expect_panic(&(struct panic_call){ .w = w, .which = 0 }));
	assert_int_equal(queue_write_rcpt(w, &rcpt), 0);
	assert_int_equal(queue_write_content(w, "x", 1), 0);
	assert_true(expect_panic(
		&(struct panic_call){ .w = w, .rcpt = &rcpt, .which = 1 }));
	assert_int_equal(testlib_exit_level, LOG_LEVEL_PANIC);
	testlib_log_expect("assertion failed");
	queue_write_free(&w);
	assert_int_equal(dir_count(dir, "incoming"), 0);
	assert_int_equal(dir_count(dir, "active"), 0);
	tmpdir_free(dir);
}

static void
test_disk_full(void **state)
{
	struct queue_rcpt rcpt = { .address = "r@x" };
	struct queue_writer *w;
	struct rlimit saved, small;
	char dir[64];
	uint8_t block[8192];
	const char *error;
	size_t i;
	int rc = 0;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	/* A file size limit makes write() fail with EFBIG, like a full disk. */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	small = saved;
	small.rlim_cur = 100000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	memset(block, 'x', sizeof(block));
	w = queue_write_begin(dir, 0, &error);
	assert_non_null(w);
	assert_int_equal(queue_write_sender(w, "s@x"), 0);
	assert_int_equal(queue_write_rcpt(w, &rcpt), 0);
	for (i = 0; i < 64 && rc == 0; i++)
		rc = queue_write_content(w, block, sizeof(block));
	if (rc == 0)
		rc = queue_write_commit(w);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(rc, -1);
	assert_int_equal(queue_write_error(w, &error), QUEUE_ERR_IO);
	assert_non_null(strstr(error, "cannot write queue file"));
	assert_int_equal(queue_write_commit(w), -1);
	queue_write_free(&w);
	assert_int_equal(dir_count(dir, "incoming"), 0);
	assert_int_equal(dir_count(dir, "active"), 0);
	tmpdir_free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_values, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_full_envelope,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_content_round_trip,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_mark_rcpt, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_abort_and_order,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_errors, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_caller_bugs,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
