/*
 * test_queue_read.c - unit tests for lib/queue_read.c: a table of good and
 * malformed queue files built record by record, every truncation of a valid
 * file, bit flips in the header and the record headers, and the file-only
 * cases (symlinks, FIFOs, missing files, files changed after the open).
 */
#include "tests/unit/testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/io.h"
#include "lib/mem.h"
#include "lib/queue.h"
#include "lib/queue_file.h"
#include "lib/queue_read.h"
#include "lib/queue_write.h"

/* Largest file the tests build. */
#define TEST_FILE_MAX (1024 * 1024)

/* V - a string literal as value and length (NULs inside are kept) */
#define V(s) (const uint8_t *)(s), sizeof(s) - 1

/* A RCPT value: status, notify, address length, no ORCPT, the address. */
#define RCPT_X "P" "\0" "\0\3" "\0" "\0\0" "x@y"

/* One record of a test file; fill > 0 makes the value fill copies of 'a'. */
struct rec {
	uint8_t type;
	const uint8_t *value;
	size_t len;
	size_t fill;
};

/* How a row's END record is made. */
enum end_mode {
	END_GOOD,	/* matches the records */
	END_NONE,	/* no END */
	END_SIZE,	/* content size off by one */
	END_RECORDS,	/* record count off by one */
	END_RCPTS,	/* recipient count off by one */
	END_SHORT,	/* length 15 */
};

#define ARRIVAL { 'A', V("\0\0\0\0\0\0\0\1"), 0 }
#define SENDER { 'S', V("s@x"), 0 }
#define RCPT { 't', V(RCPT_X), 0 }
#define CONTENT { 'M', V("Subject: t\r\n\r\nbody\r\n"), 0 }

/* tmpdir_new - fresh queue directory with its state directories */
static void
tmpdir_new(char *dir, size_t size)
{
	const char *error;

	testlib_tmpdir(dir, size, "test_queue_read");
	assert_int_equal(queue_init_dirs(dir, 0700, &error), 0);
}

/* tmpdir_free - remove a test directory */
static void
tmpdir_free(const char *dir)
{
	testlib_rmtree(dir);
}

/* build - the file for a list of records ending in type 0 */
static void
build(struct buf *b, const char *header, const struct rec *recs,
      enum end_mode end)
{
	uint8_t h[QUEUE_RECORD_HEADER_SIZE], v[QUEUE_END_SIZE];
	uint64_t content = 0;
	uint32_t records = 0, rcpts = 0;
	size_t i;

	if (header != NULL)
		buf_append(b, header, QUEUE_FILE_HEADER_SIZE);
	else
		queue_file_header_append(b);
	for (i = 0; recs[i].type != 0; i++) {
		size_t len = recs[i].fill > 0 ? recs[i].fill : recs[i].len;

		queue_file_record_header_put(h, recs[i].type, (uint32_t)len);
		buf_append(b, h, sizeof(h));
		if (recs[i].fill > 0)
			memset(buf_reserve(b, len), 'a', len), buf_commit(b, len);
		else if (len > 0)
			buf_append(b, recs[i].value, len);
		records++;
		if (recs[i].type == 'M')
			content += len;
		if (recs[i].type == 't')
			rcpts++;
	}
	if (end == END_NONE)
		return;
	queue_file_put_u64(v, content + (end == END_SIZE));
	queue_file_put_u32(v + 8, records + (end == END_RECORDS));
	queue_file_put_u32(v + 12, rcpts + (end == END_RCPTS));
	queue_file_record_header_put(h, 'Z', end == END_SHORT ? 15 : 16);
	buf_append(b, h, sizeof(h));
	buf_append(b, v, end == END_SHORT ? 15 : 16);
}

/* parse_bytes - queue_read_buffer over n bytes; returns the error class */
static enum queue_err
parse_bytes(const uint8_t *data, size_t size, const char **error_r)
{
	struct queue_message *msg = NULL;
	enum queue_err err = QUEUE_ERR_NONE;
	const uint8_t *p;
	size_t n;

	*error_r = "ok";
	if (queue_read_buffer(data, size, &msg, &err, error_r) < 0) {
		assert_null(msg);
		return err;
	}
	while (queue_read_content_next(msg, &p, &n, &err, error_r) > 0)
		;
	queue_read_free(&msg);
	return err;
}

/* parse_buffer - parse_bytes over a buffer */
static enum queue_err
parse_buffer(const struct buf *b, const char **error_r)
{
	return parse_bytes(b->data != NULL ? b->data : (const uint8_t *)"",
			   b->len, error_r);
}

/* parse_file - the same through a file and queue_read_open */
static enum queue_err
parse_file(const char *dir, const struct buf *b, const char **error_r)
{
	struct queue_message *msg = NULL;
	enum queue_err err = QUEUE_ERR_NONE;
	char path[PATH_MAX];
	const uint8_t *p;
	size_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/hold/file", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b->data, b->len), (ssize_t)b->len);
	close(fd);
	*error_r = "ok";
	if (queue_read_open(path, 0, &msg, &err, error_r) < 0) {
		assert_null(msg);
		return err;
	}
	while (queue_read_content_next(msg, &p, &n, &err, error_r) > 0)
		;
	queue_read_free(&msg);
	return err;
}

static void
test_table(void **state)
{
	static const struct {
		const char *name;
		const char *header; /* NULL: the valid header */
		struct rec recs[10];
		enum end_mode end;
		const char *trailer;
		bool ok;
		const char *error;
	} rows[] = {
		{ "minimal", NULL, { ARRIVAL, SENDER, RCPT }, END_GOOD, NULL,
		  true, NULL },
		{ "with content", NULL, { ARRIVAL, SENDER, RCPT, CONTENT },
		  END_GOOD, NULL, true, NULL },
		{ "two chunks, any order", NULL,
		  { RCPT, SENDER, ARRIVAL, CONTENT, CONTENT }, END_GOOD, NULL,
		  true, NULL },
		{ "null sender", NULL,
		  { ARRIVAL, { 'S', V(""), 0 }, RCPT }, END_GOOD, NULL, true,
		  NULL },
		{ "every optional record", NULL,
		  { ARRIVAL, SENDER, RCPT,
		    { 'e', V("ENV1"), 0 }, { 'r', V("\2"), 0 },
		    { 'B', V("\3"), 0 }, { 'U', V(""), 0 },
		    { 'P', V("ESMTPSA"), 0 }, { 'x', V("a=b=c"), 0 } },
		  END_GOOD, NULL, true, NULL },
		{ "client records", NULL,
		  { ARRIVAL, SENDER, RCPT, { 'N', V("h.example"), 0 },
		    { 'i', V("::1"), 0 }, { 'H', V("h\xc3\xa9"), 0 },
		    { 'w', V("u"), 0 } },
		  END_GOOD, NULL, true, NULL },
		{ "rcpt with ORCPT and NOTIFY", NULL,
		  { ARRIVAL, SENDER,
		    { 't', V("D\x06\0\3\6\0\3x@yrfc822x@z"), 0 } },
		  END_GOOD, NULL, true, NULL },
		{ "max sender", NULL,
		  { ARRIVAL, { 'S', NULL, 0, QUEUE_ADDR_MAX }, RCPT },
		  END_GOOD, NULL, true, NULL },
		{ "max chunk", NULL,
		  { ARRIVAL, SENDER, RCPT,
		    { 'M', NULL, 0, QUEUE_CHUNK_MAX } },
		  END_GOOD, NULL, true, NULL },

		{ "empty file", "", { { 0 } }, END_NONE, NULL, false,
		  "truncated file header" },
		{ "bad magic", "MRQG\1\0\0\0", { ARRIVAL, SENDER, RCPT },
		  END_GOOD, NULL, false, "bad magic" },
		{ "version 2", "MRQF\2\0\0\0", { ARRIVAL, SENDER, RCPT },
		  END_GOOD, NULL, false, "version" },
		{ "reserved byte", "MRQF\1\0\1\0", { ARRIVAL, SENDER, RCPT },
		  END_GOOD, NULL, false, "reserved" },
		{ "header only", NULL, { { 0 } }, END_NONE, NULL, false,
		  "no END" },
		{ "no ARRIVAL", NULL, { SENDER, RCPT }, END_GOOD, NULL, false,
		  "no ARRIVAL" },
		{ "no SENDER", NULL, { ARRIVAL, RCPT, CONTENT }, END_GOOD,
		  NULL, false, "no SENDER" },
		{ "no RCPT", NULL, { ARRIVAL, SENDER }, END_GOOD, NULL, false,
		  "no RCPT" },
		{ "duplicate SENDER", NULL, { ARRIVAL, SENDER, SENDER, RCPT },
		  END_GOOD, NULL, false, "duplicate" },
		{ "duplicate ARRIVAL", NULL, { ARRIVAL, ARRIVAL, SENDER, RCPT },
		  END_GOOD, NULL, false, "duplicate" },
		{ "duplicate ENVID", NULL,
		  { ARRIVAL, SENDER, RCPT, { 'e', V("a"), 0 },
		    { 'e', V("a"), 0 } },
		  END_GOOD, NULL, false, "duplicate" },
		{ "duplicate SMTPUTF8", NULL,
		  { ARRIVAL, SENDER, RCPT, { 'U', V(""), 0 },
		    { 'U', V(""), 0 } },
		  END_GOOD, NULL, false, "duplicate" },
		{ "duplicate ATTR name", NULL,
		  { ARRIVAL, SENDER, RCPT, { 'x', V("a=1"), 0 },
		    { 'x', V("a=2"), 0 } },
		  END_GOOD, NULL, false, "duplicate ATTR" },
		{ "unknown type", NULL,
		  { ARRIVAL, SENDER, RCPT, { 'Q', V("x"), 0 } }, END_GOOD,
		  NULL, false, "unknown record type" },
		{ "type 0x80", NULL, { ARRIVAL, SENDER, RCPT, { 0x80, V(""), 0 } },
		  END_GOOD, NULL, false, "unknown record type" },
		{ "ARRIVAL of 7 bytes", NULL,
		  { { 'A', V("\0\0\0\0\0\0\1"), 0 }, SENDER, RCPT }, END_GOOD,
		  NULL, false, "length out of range" },
		{ "SENDER with CRLF", NULL,
		  { ARRIVAL, { 'S', V("a@b\r\nt"), 0 }, RCPT }, END_GOOD, NULL,
		  false, "malformed" },
		{ "SENDER with NUL", NULL,
		  { ARRIVAL, { 'S', V("a@b\0x"), 0 }, RCPT }, END_GOOD, NULL,
		  false, "malformed" },
		{ "SENDER too long", NULL,
		  { ARRIVAL, { 'S', NULL, 0, QUEUE_ADDR_MAX + 1 }, RCPT },
		  END_GOOD, NULL, false, "length out of range" },
		{ "SENDER of 10 KB", NULL,
		  { ARRIVAL, { 'S', NULL, 0, 10240 }, RCPT }, END_GOOD, NULL,
		  false, "length out of range" },
		{ "ENVID 8-bit", NULL,
		  { ARRIVAL, SENDER, RCPT, { 'e', V("\xc3\xa9"), 0 } },
		  END_GOOD, NULL, false, "malformed" },
		{ "RET 3", NULL, { ARRIVAL, SENDER, RCPT, { 'r', V("\3"), 0 } },
		  END_GOOD, NULL, false, "malformed" },
		{ "BODY 0", NULL, { ARRIVAL, SENDER, RCPT, { 'B', V("\0"), 0 } },
		  END_GOOD, NULL, false, "malformed" },
		{ "SMTPUTF8 with a value", NULL,
		  { ARRIVAL, SENDER, RCPT, { 'U', V("1"), 0 } }, END_GOOD, NULL,
		  false, "length out of range" },
		{ "PROTOCOL with space", NULL,
		  { ARRIVAL, SENDER, RCPT, { 'P', V("E SMTP"), 0 } }, END_GOOD,
		  NULL, false, "malformed" },
		{ "HELO with LF", NULL,
		  { ARRIVAL, SENDER, RCPT, { 'H', V("a\nb"), 0 } }, END_GOOD,
		  NULL, false, "malformed" },
		{ "RCPT lengths too long", NULL,
		  { ARRIVAL, SENDER, { 't', V("P\0\0\4\0\0\0x@y"), 0 } },
		  END_GOOD, NULL, false, "do not add up" },
		{ "RCPT lengths too short", NULL,
		  { ARRIVAL, SENDER, { 't', V("P\0\0\2\0\0\0x@y"), 0 } },
		  END_GOOD, NULL, false, "do not add up" },
		{ "RCPT unknown status", NULL,
		  { ARRIVAL, SENDER, { 't', V("X\0\0\3\0\0\0x@y"), 0 } },
		  END_GOOD, NULL, false, "status" },
		{ "RCPT NOTIFY NEVER+SUCCESS", NULL,
		  { ARRIVAL, SENDER, { 't', V("P\3\0\3\0\0\0x@y"), 0 } },
		  END_GOOD, NULL, false, "NOTIFY" },
		{ "RCPT NOTIFY unknown bit", NULL,
		  { ARRIVAL, SENDER, { 't', V("P\x10\0\3\0\0\0x@y"), 0 } },
		  END_GOOD, NULL, false, "NOTIFY" },
		{ "RCPT ORCPT type without address", NULL,
		  { ARRIVAL, SENDER, { 't', V("P\0\0\3\1\0\0x@yr"), 0 } },
		  END_GOOD, NULL, false, "ORCPT" },
		{ "RCPT ORCPT type with ';'", NULL,
		  { ARRIVAL, SENDER, { 't', V("P\0\0\3\2\0\1x@yr;z"), 0 } },
		  END_GOOD, NULL, false, "ORCPT" },
		{ "RCPT address with CR", NULL,
		  { ARRIVAL, SENDER, { 't', V("P\0\0\3\0\0\0x\r\n"), 0 } },
		  END_GOOD, NULL, false, "address" },
		{ "RCPT too short", NULL,
		  { ARRIVAL, SENDER, { 't', V("P\0\0\0\0\0\0"), 0 } },
		  END_GOOD, NULL, false, "length out of range" },
		{ "ATTR without =", NULL,
		  { ARRIVAL, SENDER, RCPT, { 'x', V("ab"), 0 } }, END_GOOD,
		  NULL, false, "malformed ATTR" },
		{ "ATTR bad name", NULL,
		  { ARRIVAL, SENDER, RCPT, { 'x', V("a b=c"), 0 } }, END_GOOD,
		  NULL, false, "malformed ATTR" },
		{ "envelope after content", NULL,
		  { ARRIVAL, SENDER, RCPT, CONTENT, RCPT }, END_GOOD, NULL,
		  false, "envelope record after content" },
		{ "envelope incomplete at content", NULL,
		  { ARRIVAL, SENDER, CONTENT, RCPT }, END_GOOD, NULL, false,
		  "no RCPT" },
		{ "empty CONTENT", NULL,
		  { ARRIVAL, SENDER, RCPT, { 'M', V(""), 0 } }, END_GOOD, NULL,
		  false, "length out of range" },
		{ "CONTENT over the chunk size", NULL,
		  { ARRIVAL, SENDER, RCPT,
		    { 'M', NULL, 0, QUEUE_CHUNK_MAX + 1 } },
		  END_GOOD, NULL, false, "length out of range" },
		{ "no END", NULL, { ARRIVAL, SENDER, RCPT, CONTENT }, END_NONE,
		  NULL, false, "no END" },
		{ "END content size", NULL, { ARRIVAL, SENDER, RCPT, CONTENT },
		  END_SIZE, NULL, false, "content size" },
		{ "END record count", NULL, { ARRIVAL, SENDER, RCPT, CONTENT },
		  END_RECORDS, NULL, false, "record count" },
		{ "END recipient count", NULL,
		  { ARRIVAL, SENDER, RCPT, CONTENT }, END_RCPTS, NULL, false,
		  "recipient count" },
		{ "END too short", NULL, { ARRIVAL, SENDER, RCPT }, END_SHORT,
		  NULL, false, "length out of range" },
		{ "junk after END", NULL, { ARRIVAL, SENDER, RCPT }, END_GOOD,
		  "x", false, "data after END" },
		{ "second END", NULL, { ARRIVAL, SENDER, RCPT }, END_GOOD,
		  "Z\0\0\0\x10", false, "data after END" },
	};
	char dir[64];
	struct buf b;
	size_t i;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	buf_init(&b, TEST_FILE_MAX);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *error, *file_error;
		enum queue_err err, file_err;

		buf_reset(&b);
		if (rows[i].header != NULL && rows[i].header[0] == '\0')
			; /* the empty file */
		else
			build(&b, rows[i].header, rows[i].recs, rows[i].end);
		if (rows[i].trailer != NULL)
			buf_append(&b, rows[i].trailer,
				   rows[i].trailer[0] == 'Z' ? 5 : 1);
		err = parse_buffer(&b, &error);
		file_err = parse_file(dir, &b, &file_error);
		if ((err == QUEUE_ERR_NONE) != rows[i].ok ||
		    (!rows[i].ok && err != QUEUE_ERR_CORRUPT))
			fail_msg("%s: %s (%s)", rows[i].name,
				 queue_err_name(err), error);
		if (rows[i].error != NULL &&
		    strstr(error, rows[i].error) == NULL)
			fail_msg("%s: error \"%s\"", rows[i].name, error);
		/* The file and the buffer reader agree. */
		if (file_err != err || strcmp(error, file_error) != 0)
			fail_msg("%s: file gives %s", rows[i].name, file_error);
	}
	buf_deinit(&b);
	tmpdir_free(dir);
}

/* valid_file - a file from the writer: envelope, two chunks of content */
static void
valid_file(const char *dir, size_t content_size, struct buf *out)
{
	struct queue_client client = { .helo = "h", .protocol = "ESMTP" };
	struct queue_rcpt rcpt = { .address = "r@x", .orcpt_type = "rfc822",
				   .orcpt = "R@x",
				   .notify = QUEUE_NOTIFY_FAILURE };
	struct queue_writer *w;
	char path[PATH_MAX];
	const char *error;
	size_t i;

	w = queue_write_begin(dir, 0, &error);
	assert_non_null(w);
	assert_int_equal(queue_write_sender(w, "s@x"), 0);
	assert_int_equal(queue_write_rcpt(w, &rcpt), 0);
	rcpt.orcpt_type = rcpt.orcpt = NULL;
	rcpt.address = "r2@x";
	assert_int_equal(queue_write_rcpt(w, &rcpt), 0);
	assert_int_equal(queue_write_envid(w, "e"), 0);
	assert_int_equal(queue_write_client(w, &client), 0);
	assert_int_equal(queue_write_attr(w, "k", "v"), 0);
	for (i = 0; i < content_size; i++)
		assert_int_equal(queue_write_content(w, i % 2 ? "\r" : "a", 1),
				 0);
	assert_int_equal(queue_write_commit(w), 0);
	assert_int_equal(queue_path(dir, QUEUE_STATE_ACTIVE, queue_write_id(w),
				    path, sizeof(path)),
			 0);
	assert_int_equal(io_read_file(path, TEST_FILE_MAX, out), 0);
	queue_write_free(&w);
}

static void
test_truncation(void **state)
{
	struct buf full, part;
	const char *error;
	char dir[64];
	size_t n;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	buf_init(&full, TEST_FILE_MAX);
	buf_init(&part, TEST_FILE_MAX);
	/* Three CONTENT records, so cuts fall inside and between chunks. */
	valid_file(dir, 2 * QUEUE_CHUNK_MAX + 100, &full);
	assert_int_equal(parse_buffer(&full, &error), QUEUE_ERR_NONE);
	for (n = 0; n < full.len; n++) {
		enum queue_err err = parse_bytes(full.data, n, &error);

		if (err != QUEUE_ERR_CORRUPT)
			fail_msg("cut at %zu of %zu: %s", n, full.len,
				 queue_err_name(err));
	}
	/* Through files too, for a small message. */
	buf_reset(&full);
	valid_file(dir, 10, &full);
	for (n = 0; n < full.len; n++) {
		buf_reset(&part);
		buf_append(&part, full.data, n);
		if (parse_file(dir, &part, &error) != QUEUE_ERR_CORRUPT)
			fail_msg("file cut at %zu", n);
	}
	buf_deinit(&full);
	buf_deinit(&part);
	tmpdir_free(dir);
}

static void
test_bit_flips(void **state)
{
	struct buf full;
	const char *error;
	char dir[64];
	size_t off, bit, records = 0;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	buf_init(&full, TEST_FILE_MAX);
	valid_file(dir, 100, &full);
	/* Every bit of the file header. */
	for (off = 0; off < QUEUE_FILE_HEADER_SIZE; off++) {
		for (bit = 0; bit < 8; bit++) {
			full.data[off] ^= (uint8_t)(1u << bit);
			if (parse_buffer(&full, &error) != QUEUE_ERR_CORRUPT)
				fail_msg("header byte %zu bit %zu", off, bit);
			full.data[off] ^= (uint8_t)(1u << bit);
		}
	}
	/*
	 * Every bit of every record's type and length, and of a RCPT's status
	 * and field lengths (its NOTIFY byte has flags any combination of
	 * which may be valid, so it is left out).
	 */
	off = QUEUE_FILE_HEADER_SIZE;
	while (off < full.len) {
		uint8_t type;
		uint32_t len;
		size_t end = QUEUE_RECORD_HEADER_SIZE, i;

		queue_file_record_header_get(full.data + off, &type, &len);
		if (type == QUEUE_REC_RCPT)
			end += QUEUE_RCPT_FIXED_SIZE;
		for (i = 0; i < end; i++) {
			if (i == QUEUE_RECORD_HEADER_SIZE + 1)
				continue; /* NOTIFY */
			for (bit = 0; bit < 8; bit++) {
				full.data[off + i] ^= (uint8_t)(1u << bit);
				if (parse_buffer(&full, &error) !=
				    QUEUE_ERR_CORRUPT)
					fail_msg("record at %zu (%c) byte %zu "
						 "bit %zu",
						 off, type, i, bit);
				full.data[off + i] ^= (uint8_t)(1u << bit);
			}
		}
		off += QUEUE_RECORD_HEADER_SIZE + len;
		records++;
	}
	assert_int_equal(off, full.len);
	assert_true(records >= 10);
	assert_int_equal(parse_buffer(&full, &error), QUEUE_ERR_NONE);
	buf_deinit(&full);
	tmpdir_free(dir);
}

static void
test_files(void **state)
{
	struct queue_message *msg = NULL;
	char dir[64], path[PATH_MAX], link_path[PATH_MAX];
	const uint8_t *p;
	enum queue_err err;
	const char *error;
	struct buf full;
	size_t n;
	int fd;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	buf_init(&full, TEST_FILE_MAX);
	valid_file(dir, 3 * QUEUE_CHUNK_MAX, &full);
	snprintf(path, sizeof(path), "%s/hold/000000000000000000001", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_int_equal(write(fd, full.data, full.len), (ssize_t)full.len);
	close(fd);

	/* Missing file. */
	assert_int_equal(queue_read_open("/nonexistent/x", 0, &msg, &err,
					 &error),
			 -1);
	assert_int_equal(err, QUEUE_ERR_NOTFOUND);
	/* SECURITY: a symlink or a FIFO is refused, and does not block. */
	snprintf(link_path, sizeof(link_path), "%s/hold/link", dir);
	assert_int_equal(symlink(path, link_path), 0);
	assert_int_equal(queue_read_open(link_path, 0, &msg, &err, &error), -1);
	assert_int_equal(err, QUEUE_ERR_CORRUPT);
	snprintf(link_path, sizeof(link_path), "%s/hold/fifo", dir);
	assert_int_equal(mkfifo(link_path, 0600), 0);
	assert_int_equal(queue_read_open(link_path, 0, &msg, &err, &error), -1);
	assert_int_equal(err, QUEUE_ERR_CORRUPT);
	assert_string_equal(error, "queue file is not a regular file");
	/* A directory. */
	snprintf(link_path, sizeof(link_path), "%s/hold", dir);
	assert_int_equal(queue_read_open(link_path, 0, &msg, &err, &error), -1);
	assert_int_equal(err, QUEUE_ERR_CORRUPT);

	/* Content that changes after the open is caught while streaming. */
	assert_int_equal(queue_read_open(path, 0, &msg, &err, &error), 0);
	assert_int_equal(msg->content_size, 3 * QUEUE_CHUNK_MAX);
	assert_int_equal(queue_read_content_next(msg, &p, &n, &err, &error),
			 1);
	assert_int_equal(n, QUEUE_CHUNK_MAX);
	assert_int_equal(truncate(path, (off_t)(msg->content_offset +
						QUEUE_CHUNK_MAX)),
			 0);
	assert_int_equal(queue_read_content_next(msg, &p, &n, &err, &error),
			 -1);
	assert_int_equal(err, QUEUE_ERR_CORRUPT);
	queue_read_free(&msg);
	assert_null(msg);
	buf_deinit(&full);
	tmpdir_free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_table, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_truncation, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_bit_flips, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_files, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
