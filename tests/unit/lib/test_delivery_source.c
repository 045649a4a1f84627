/*
 * test_delivery_source.c - unit tests for lib/delivery_source.c: memory
 * and queue sources, the copy loop (prepended headers, CR LF to LF, size
 * limit at and past the boundary, read errors, rewinding) and the errno
 * classes of delivery errors.
 */
#include "tests/unit/testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/delivery_source.h"
#include "lib/io.h"
#include "lib/mem.h"
#include "lib/queue.h"
#include "lib/queue_read.h"
#include "lib/queue_write.h"

/* copy_to_file - delivery_source_copy into a fresh file; its bytes to out */
static int
copy_to_file(struct delivery_source *src, const char *prepend, unsigned flags,
             uint64_t max_octets, uint64_t *octets_r,
             struct delivery_error *err, struct buf *out)
{
	char path[] = "/tmp/test_delivery_source.XXXXXX";
	int fd = mkstemp(path), rc;

	assert_true(fd >= 0);
	rc = delivery_source_copy(src, prepend, flags, max_octets, fd, octets_r,
	                          err);
	close(fd);
	assert_int_equal(io_read_file(path, 1024 * 1024, out), 0);
	unlink(path);
	return rc;
}

static void
test_copy(void **state)
{
	static const char content[] = "Subject: t\r\n\r\nbody\r\nFrom x\r\n";
	static const char want[] = "Return-Path: <s@x>\nDelivered-To: r@y\n"
	                           "Subject: t\n\nbody\nFrom x\n";
	static const char want_mbox[] =
	    "Return-Path: <s@x>\nDelivered-To: r@y\n"
	    "Subject: t\n\nbody\n>From x\n\n";
	struct delivery_source_mem mem;
	struct delivery_source src;
	struct delivery_error err;
	struct buf out;
	uint64_t octets;
	size_t chunk;

	(void)state;
	buf_init(&out, 4096);
	for (chunk = 0; chunk < sizeof(content); chunk++) {
		delivery_source_mem_init(&src, &mem, content,
		                         sizeof(content) - 1, chunk);
		/* Headers may come with CR LF or LF: both end up LF. */
		assert_int_equal(copy_to_file(&src,
		                              "Return-Path: <s@x>\r\n"
		                              "Delivered-To: r@y\n",
		                              0, 0, &octets, &err, &out),
		                 0);
		assert_int_equal(octets, strlen(want));
		assert_int_equal(out.len, strlen(want));
		assert_memory_equal(out.data, want, out.len);
		buf_reset(&out);
		/* A second copy rewinds the source first. */
		assert_int_equal(copy_to_file(&src,
		                              "Return-Path: <s@x>\n"
		                              "Delivered-To: r@y\n",
		                              DELIVERY_COPY_MBOXRD, 0, &octets,
		                              &err, &out),
		                 0);
		assert_int_equal(out.len, strlen(want_mbox));
		assert_memory_equal(out.data, want_mbox, out.len);
		buf_reset(&out);
	}

	/* The limit: exactly the size passes, one less fails and nothing
	 * past the limit reaches the file. */
	delivery_source_mem_init(&src, &mem, content, sizeof(content) - 1, 3);
	assert_int_equal(copy_to_file(&src, NULL, 0, 24, &octets, &err, &out),
	                 0);
	assert_int_equal(octets, 24);
	buf_reset(&out);
	assert_int_equal(copy_to_file(&src, NULL, 0, 23, &octets, &err, &out),
	                 -1);
	assert_false(err.temporary);
	assert_string_equal(err.dsn, "5.2.2");
	assert_non_null(strstr(err.text, "mailbox full"));
	assert_true(out.len <= 23);
	buf_deinit(&out);
}

/* fail_next - a source that fails after one chunk */
static int
fail_next(void *ctx, const uint8_t **p_r, size_t *n_r, const char **error_r)
{
	int *calls = ctx;

	if ((*calls)++ == 0) {
		*p_r = (const uint8_t *)"abc\r\n";
		*n_r = 5;
		return 1;
	}
	*error_r = "queue file changed";
	return -1;
}

/* fail_rewind - restart fail_next */
static void
fail_rewind(void *ctx)
{
	*(int *)ctx = 0;
}

static void
test_read_error(void **state)
{
	struct delivery_source src;
	struct delivery_error err;
	struct buf out;
	uint64_t octets;
	int calls = 5;

	(void)state;
	src.next = fail_next;
	src.rewind = fail_rewind;
	src.ctx = &calls;
	buf_init(&out, 4096);
	assert_int_equal(copy_to_file(&src, NULL, 0, 0, &octets, &err, &out),
	                 -1);
	assert_true(err.temporary);
	assert_string_equal(err.dsn, "4.3.0");
	assert_non_null(strstr(err.text, "queue file changed"));
	buf_deinit(&out);
}

static void
test_queue_source(void **state)
{
	static const char content[] = "Subject: q\r\n\r\nline\r\n";
	char dir[64], path[512];
	struct queue_message *msg = NULL;
	struct queue_writer *w;
	struct queue_rcpt rcpt;
	struct delivery_source src;
	struct delivery_error err;
	enum queue_err qerr;
	const char *error;
	struct buf out;
	uint64_t octets;

	(void)state;
	testlib_tmpdir(dir, sizeof(dir), "test_delivery_source");
	assert_int_equal(queue_init_dirs(dir, 0700, &error), 0);
	w = queue_write_begin(dir, 0, &error);
	assert_non_null(w);
	memset(&rcpt, 0, sizeof(rcpt));
	rcpt.address = (char *)"r@y";
	rcpt.status = QUEUE_RCPT_PENDING;
	assert_int_equal(queue_write_sender(w, "s@x"), 0);
	assert_int_equal(queue_write_rcpt(w, &rcpt), 0);
	assert_int_equal(queue_write_content(w, content, sizeof(content) - 1),
	                 0);
	assert_int_equal(queue_write_commit(w), 0);
	assert_int_equal(queue_path(dir, QUEUE_STATE_ACTIVE, queue_write_id(w),
	                            path, sizeof(path)),
	                 0);
	queue_write_free(&w);
	assert_int_equal(queue_read_open(path, 0, &msg, &qerr, &error), 0);

	delivery_source_queue_init(&src, msg);
	buf_init(&out, 4096);
	assert_int_equal(
	    copy_to_file(&src, "X: 1\n", 0, 0, &octets, &err, &out), 0);
	assert_int_equal(out.len, strlen("X: 1\nSubject: q\n\nline\n"));
	assert_memory_equal(out.data, "X: 1\nSubject: q\n\nline\n", out.len);
	buf_reset(&out);
	/* Twice: the source is rewound for each recipient. */
	assert_int_equal(copy_to_file(&src, NULL, 0, 0, &octets, &err, &out),
	                 0);
	assert_int_equal(octets, strlen("Subject: q\n\nline\n"));
	buf_deinit(&out);
	queue_read_free(&msg);
	testlib_rmtree(dir);
}

static void
test_errno_classes(void **state)
{
	static const struct {
		int errnum;
		const char *dsn;
	} rows[] = {
	    {ENOSPC, "4.3.1"}, {EDQUOT, "4.2.2"}, {EFBIG, "4.2.2"},
	    {EIO, "4.2.0"},    {EAGAIN, "4.2.0"}, {EACCES, "4.2.0"},
	};
	struct delivery_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		delivery_source_error_errno(&err, rows[i].errnum, "writing");
		assert_true(err.temporary);
		assert_string_equal(err.dsn, rows[i].dsn);
		assert_true(strncmp(err.text, "writing: ", 9) == 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_copy, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_read_error, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_queue_source, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_errno_classes, testlib_setup,
	                                    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
