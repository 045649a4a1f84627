/*
 * test_ipc.c - unit tests for lib/ipc.c: the frame parser fed whole, one
 * byte at a time and split at every offset (all three must agree),
 * header-only rejection of oversized frames, schema validation, the
 * accessors, and the status request/reply round trip.
 *
 * With MR_IPC_WRITE_CORPUS=DIR set, the parser rows are also written to
 * DIR as the seed corpus of tests/fuzz/fuzz_ipc.c.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/io.h"
#include "lib/ipc.h"
#include "lib/mem.h"

/* The receiver's table in these tests: small maxima to test the limit. */
static const struct ipc_type test_types[] = {
	{ IPC_MASTER_STATUS_REQUEST, 40 },
	{ IPC_MASTER_STATUS_REPLY, 1024 },
};
static const struct ipc_limits test_limits = { test_types, 2 };

/* A header: length (low 3 octets after "\0"), type, version, flags, id 7. */
#define HDR(len, type, version, flags)                                      \
	"\0\0\0" len "\0" type version flags "\0\0\0\x07"

struct parse_row {
	const char *name;
	const char *in;
	size_t len;
	int result;		/* 1, 0 or -1 */
	size_t consumed;	/* for 1 */
	const char *error;	/* for -1: part of the message */
	size_t decided_at;	/* octets needed for a non-zero result */
};

#define ROW(name, lit, result, consumed, error, decided)                    \
	{ name, lit, sizeof(lit) - 1, result, consumed, error, decided }

static const struct parse_row parse_rows[] = {
	ROW("empty frame", HDR("\x0c", "\x01", "\x01", "\x00"), 1, 12, NULL,
	    12),
	ROW("one attribute",
	    HDR("\x15", "\x01", "\x01", "\x00") "\x00\x05"
						"\x00\x00\x00\x03"
						"abc",
	    1, 21, NULL, 21),
	ROW("two frames back to back",
	    HDR("\x0c", "\x01", "\x01", "\x00") HDR("\x0c", "\x02", "\x01",
						    "\x00"),
	    1, 12, NULL, 12),
	ROW("descriptor flag", HDR("\x0c", "\x01", "\x01", "\x01"), 1, 12,
	    NULL, 12),
	ROW("largest frame of its type",
	    HDR("\x28", "\x01", "\x01", "\x00") "\x00\x05"
						"\x00\x00\x00\x16"
						"0123456789012345678901",
	    1, 40, NULL, 40),
	ROW("empty value and unknown tag",
	    HDR("\x18", "\x01", "\x01", "\x00") "\x00\x63"
						"\x00\x00\x00\x00"
						"\x00\x05"
						"\x00\x00\x00\x00",
	    1, 24, NULL, 24),
	ROW("status reply with one process",
	    HDR("\x28", "\x02", "\x01", "\x00") "\x00\x01"
						"\x00\x00\x00\x16"
						"\x00\x02"
						"\x00\x00\x00\x06"
						"master"
						"\x00\x03"
						"\x00\x00\x00\x04"
						"\x00\x00\x00\x64",
	    1, 40, NULL, 40),
	ROW("bad version", HDR("\x0c", "\x01", "\x02", "\x00"), -1, 0,
	    "version", 12),
	ROW("version zero", HDR("\x0c", "\x01", "\x00", "\x00"), -1, 0,
	    "version", 12),
	ROW("unknown flags", HDR("\x0c", "\x01", "\x01", "\x80"), -1, 0,
	    "flags", 12),
	ROW("unknown type", HDR("\x0c", "\x09", "\x01", "\x00"), -1, 0,
	    "type", 12),
	ROW("type zero", HDR("\x0c", "\x00", "\x01", "\x00"), -1, 0, "type",
	    12),
	ROW("length below the header", HDR("\x0b", "\x01", "\x01", "\x00"),
	    -1, 0, "below", 12),
	ROW("length zero", HDR("\x00", "\x01", "\x01", "\x00"), -1, 0,
	    "below", 12),
	ROW("oversized, header only", HDR("\x29", "\x01", "\x01", "\x00"), -1,
	    0, "above", 12),
	ROW("oversized 4 GiB, payload following",
	    "\xff\xff\xff\xff"
	    "\x00\x02\x01\x00"
	    "\x00\x00\x00\x07"
	    "junkjunkjunk",
	    -1, 0, "above", 12),
	ROW("attribute overruns the frame",
	    HDR("\x14", "\x01", "\x01", "\x00") "\x00\x05"
						"\x00\x00\x00\x03"
						"ab",
	    -1, 0, "overruns", 20),
	ROW("attribute length 2^32-1",
	    HDR("\x14", "\x01", "\x01", "\x00") "\x00\x05"
						"\xff\xff\xff\xff"
						"ab",
	    -1, 0, "overruns", 20),
	ROW("truncated attribute header",
	    HDR("\x0f", "\x01", "\x01", "\x00") "\x00\x05"
						"\x00",
	    -1, 0, "truncated attribute", 15),
	ROW("truncated frame",
	    HDR("\x15", "\x01", "\x01", "\x00") "\x00\x05"
						"\x00\x00\x00\x03"
						"a",
	    0, 0, NULL, 0),
	ROW("partial header", "\0\0\0\x0c\0\x01", 0, 0, NULL, 0),
	ROW("empty input", "", 0, 0, NULL, 0),
};

struct outcome {
	int result;
	size_t consumed;
	size_t decided_at;
	const char *error;
	struct ipc_frame frame;
	size_t payload_off;	/* payload - input start */
};

/* parse_copy - parse the first n octets from an exact-size heap copy */
static int
parse_copy(const struct parse_row *row, size_t n, struct outcome *out)
{
	uint8_t *copy = mem_memdup(row->in, n);
	int r;

	out->error = NULL;
	r = ipc_frame_parse(copy, n, &test_limits, &out->frame, &out->consumed,
			    &out->error);
	if (r == 1)
		out->payload_off = (size_t)(out->frame.payload - copy);
	mem_free(&copy);
	out->result = r;
	return r;
}

/* parse_bytewise - feed one octet at a time, stop at a decision */
static void
parse_bytewise(const struct parse_row *row, struct outcome *out)
{
	size_t n;

	for (n = 0; n <= row->len; n++) {
		if (parse_copy(row, n, out) != 0) {
			out->decided_at = n;
			return;
		}
	}
	out->decided_at = 0;
}

/* parse_split - feed k octets, then everything */
static void
parse_split(const struct parse_row *row, size_t k, struct outcome *out)
{
	if (parse_copy(row, k, out) != 0) {
		out->decided_at = k;
		return;
	}
	if (parse_copy(row, row->len, out) != 0)
		out->decided_at = row->len;
	else
		out->decided_at = 0;
}

/* outcome_check - an outcome matches the row's expectation */
static void
outcome_check(const struct parse_row *row, const struct outcome *out,
	      const char *how)
{
	if (out->result != row->result)
		fail_msg("%s (%s): result %d, expected %d (%s)", row->name,
			 how, out->result, row->result,
			 out->error != NULL ? out->error : "");
	if (row->result == 1) {
		assert_int_equal(out->consumed, row->consumed);
		assert_int_equal(out->frame.len, row->consumed);
		assert_int_equal(out->frame.version, IPC_VERSION);
		assert_int_equal(out->frame.request_id, 7);
		assert_int_equal(out->payload_off, IPC_HEADER_LEN);
		assert_int_equal(out->frame.payload_len,
				 row->consumed - IPC_HEADER_LEN);
	} else if (row->result < 0) {
		assert_non_null(out->error);
		if (strstr(out->error, row->error) == NULL)
			fail_msg("%s (%s): error \"%s\"", row->name, how,
				 out->error);
	}
}

/* corpus_write - dump a row for the fuzz seed corpus */
static void
corpus_write(const char *dir, const char *prefix, size_t i, const void *p,
	     size_t n)
{
	char path[4096];
	int len = snprintf(path, sizeof(path), "%s/%s_%02zu", dir, prefix, i);

	assert_true(len > 0 && (size_t)len < sizeof(path));
	assert_int_equal(io_atomic_replace(path, p, n, 0644), 0);
}

static void
test_frame_parse(void **state)
{
	const char *corpus = getenv("MR_IPC_WRITE_CORPUS");
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
		const struct parse_row *row = &parse_rows[i];
		struct outcome whole, bytewise, split;

		if (corpus != NULL)
			corpus_write(corpus, "parse", i, row->in, row->len);
		parse_copy(row, row->len, &whole);
		outcome_check(row, &whole, "whole");
		parse_bytewise(row, &bytewise);
		outcome_check(row, &bytewise, "byte by byte");
		/* Oversized and bad headers are refused from the header
		   alone, before the rest arrived. */
		if (bytewise.decided_at != row->decided_at)
			fail_msg("%s: decided after %zu octets, expected %zu",
				 row->name, bytewise.decided_at,
				 row->decided_at);
		for (k = 0; k <= row->len; k++) {
			parse_split(row, k, &split);
			outcome_check(row, &split, "split");
		}
	}
}

/* An attribute for building frames in table rows. */
struct test_attr {
	uint16_t tag;
	const char *value;	/* NULL ends the list */
	size_t len;
};

#define A(tag, lit) { tag, lit, sizeof(lit) - 1 }

/* build_frame - encode attrs into msg and parse it back */
static void
build_frame(struct ipc_msg *msg, const struct test_attr *attrs,
	    struct ipc_frame *frame_r)
{
	const char *error = NULL;
	size_t consumed, i;

	ipc_msg_init(msg, IPC_MASTER_STATUS_REPLY, 99);
	for (i = 0; attrs[i].value != NULL; i++)
		ipc_msg_add(msg, attrs[i].tag, attrs[i].value, attrs[i].len);
	assert_int_equal(ipc_frame_parse(msg->buf.data, msg->buf.len,
					 &test_limits, frame_r, &consumed,
					 &error),
			 1);
	assert_int_equal(consumed, msg->buf.len);
	assert_int_equal(frame_r->request_id, 99);
}

static void
test_frame_validate(void **state)
{
	/* tag 1: required, single, 1..10 octets; tag 2: optional, up to 3
	   values of 4 octets; tag 3: optional single. */
	static const struct ipc_attr_spec specs[] = {
		{ 1, true, false, 0, 1, 10 },
		{ 2, false, true, 3, 4, 4 },
		{ 3, false, false, 0, 0, 100 },
	};
	static const struct {
		const char *name;
		struct test_attr attrs[8];
		const char *error;	/* NULL: valid */
	} rows[] = {
		{ "required only", { A(1, "abc"), { 0, NULL, 0 } }, NULL },
		{ "multi values",
		  { A(1, "abc"), A(2, "wxyz"), A(2, "1234"), A(3, ""),
		    { 0, NULL, 0 } },
		  NULL },
		{ "unknown tag skipped",
		  { A(99, "anything"), A(1, "a"), A(98, ""), { 0, NULL, 0 } },
		  NULL },
		{ "empty", { { 0, NULL, 0 } }, "missing" },
		{ "missing required", { A(3, "x"), { 0, NULL, 0 } },
		  "missing" },
		{ "duplicate single", { A(1, "a"), A(1, "b"), { 0, NULL, 0 } },
		  "duplicate" },
		{ "duplicate optional single",
		  { A(1, "a"), A(3, "q"), A(3, "r"), { 0, NULL, 0 } },
		  "duplicate" },
		{ "too short", { A(1, ""), { 0, NULL, 0 } }, "length" },
		{ "too long", { A(1, "12345678901"), { 0, NULL, 0 } },
		  "length" },
		{ "multi wrong size",
		  { A(1, "a"), A(2, "xy"), { 0, NULL, 0 } },
		  "length" },
		{ "too many values",
		  { A(1, "a"), A(2, "1111"), A(2, "2222"), A(2, "3333"),
		    A(2, "4444"), { 0, NULL, 0 } },
		  "too many" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ipc_msg msg;
		struct ipc_frame frame;
		const char *error = NULL;
		int r;

		build_frame(&msg, rows[i].attrs, &frame);
		r = ipc_frame_validate(&frame, specs, 3, &error);
		if (rows[i].error == NULL && r != 0)
			fail_msg("%s: rejected: %s", rows[i].name, error);
		if (rows[i].error != NULL &&
		    (r != -1 || strstr(error, rows[i].error) == NULL))
			fail_msg("%s: got %d (%s)", rows[i].name, r,
				 error != NULL ? error : "");
		ipc_msg_deinit(&msg);
	}
}

static void
test_accessors(void **state)
{
	static const struct test_attr attrs[] = {
		A(1, "hello"),
		A(2, "\x00\x00\x01\x00"),
		A(3, "\x01\x02\x03\x04\x05\x06\x07\x08"),
		A(4, "nul\0inside"),
		A(5, "one"),
		A(5, "two"),
		A(5, "three"),
		{ 0, NULL, 0 },
	};
	struct ipc_msg msg;
	struct ipc_frame frame;
	struct ipc_attr_iter iter;
	const uint8_t *p;
	size_t n, count = 0;
	uint16_t tag;
	uint32_t u32;
	uint64_t u64;
	char *s = NULL;

	(void)state;
	build_frame(&msg, attrs, &frame);
	assert_int_equal(ipc_frame_get(&frame, 1, &p, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(p, "hello", 5);
	assert_int_equal(ipc_frame_get(&frame, 42, &p, &n), -1);
	assert_int_equal(ipc_frame_get_u32(&frame, 2, &u32), 0);
	assert_int_equal(u32, 256);
	assert_int_equal(ipc_frame_get_u32(&frame, 1, &u32), -1);
	assert_int_equal(ipc_frame_get_u64(&frame, 3, &u64), 0);
	assert_true(u64 == 0x0102030405060708ull);
	assert_int_equal(ipc_frame_get_u64(&frame, 2, &u64), -1);
	assert_int_equal(ipc_frame_get_str(&frame, 1, &s), 0);
	assert_string_equal(s, "hello");
	mem_free(&s);
	assert_int_equal(ipc_frame_get_str(&frame, 4, &s), -1);
	assert_null(s);
	/* Multi-valued: every value in order. */
	ipc_attr_iter_init(&iter, &frame, 5);
	while (ipc_attr_iter_next(&iter, &tag, &p, &n) == 1) {
		static const char *want[] = { "one", "two", "three" };

		assert_int_equal(tag, 5);
		assert_true(count < 3);
		assert_int_equal(n, strlen(want[count]));
		assert_memory_equal(p, want[count], n);
		count++;
	}
	assert_int_equal(count, 3);
	assert_int_equal(ipc_attr_iter_next(&iter, &tag, &p, &n), 0);
	/* All attributes. */
	count = 0;
	ipc_attr_iter_init(&iter, &frame, 0);
	while (ipc_attr_iter_next(&iter, &tag, &p, &n) == 1)
		count++;
	assert_int_equal(count, 7);
	ipc_msg_deinit(&msg);
}

static void
test_encoder(void **state)
{
	struct ipc_msg msg;
	static const uint8_t want[] = {
		0, 0, 0, 34, 0, 2, IPC_VERSION, 0, 0x11, 0x22, 0x33, 0x44,
		0, 9, 0, 0, 0, 2, 'h', 'i',
		0, 8, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 2,
	};

	(void)state;
	ipc_msg_init(&msg, IPC_MASTER_STATUS_REPLY, 0x11223344);
	assert_int_equal(msg.buf.len, IPC_HEADER_LEN);
	ipc_msg_add_str(&msg, 9, "hi");
	ipc_msg_add_u64(&msg, 8, 0x100000002ull);
	assert_int_equal(msg.buf.len, 34);
	/* The header length tracks every add. */
	assert_int_equal(msg.buf.data[3], 34);
	assert_memory_equal(msg.buf.data + 4, want + 4, 30);
	assert_true(ipc_msg_has_room(&msg, 1000));
	assert_false(ipc_msg_has_room(&msg, IPC_FRAME_MAX));
	assert_false(ipc_msg_has_room(&msg, SIZE_MAX));
	ipc_msg_set_flags(&msg, IPC_FLAG_FD);
	assert_int_equal(msg.buf.data[7], IPC_FLAG_FD);
	/* An attribute past IPC_FRAME_MAX is a missing check: panic. */
	assert_true(TESTLIB_EXPECT_EXIT(
		ipc_msg_add(&msg, 1, "", (size_t)IPC_FRAME_MAX)));
	assert_int_equal(testlib_exit_level, LOG_LEVEL_PANIC);
	testlib_log_expect("overflows the frame");
	ipc_msg_deinit(&msg);
}

/* status_procs - fixed process list for the round trip */
static const struct ipc_status_proc status_procs[] = {
	{ (char *)"master", 100 },
	{ (char *)"smtpd", 4242 },
	{ (char *)"qmgr", 4294967295u },
};

static void
test_status_round_trip(void **state)
{
	const char *corpus = getenv("MR_IPC_WRITE_CORPUS");
	size_t count;

	(void)state;
	for (count = 0; count <= 3; count++) {
		struct ipc_status_reply reply;
		struct ipc_frame frame;
		struct ipc_msg msg;
		const char *error = NULL;
		size_t consumed, i;

		ipc_status_reply_encode(&msg, 5, status_procs, count);
		if (corpus != NULL)
			corpus_write(corpus, "status_reply", count,
				     msg.buf.data, msg.buf.len);
		assert_int_equal(ipc_frame_parse(msg.buf.data, msg.buf.len,
						 &ipc_limits_all, &frame,
						 &consumed, &error),
				 1);
		assert_int_equal(frame.type, IPC_MASTER_STATUS_REPLY);
		assert_int_equal(frame.request_id, 5);
		assert_int_equal(ipc_status_reply_decode(&frame, &reply,
							 &error),
				 0);
		assert_int_equal(reply.proc_count, count);
		for (i = 0; i < count; i++) {
			assert_string_equal(reply.procs[i].name,
					    status_procs[i].name);
			assert_int_equal(reply.procs[i].pid,
					 status_procs[i].pid);
		}
		ipc_status_reply_deinit(&reply);
		assert_int_equal(ipc_status_request_decode(&frame, &error), -1);
		ipc_msg_deinit(&msg);
	}
}

static void
test_status_request(void **state)
{
	struct ipc_frame frame;
	struct ipc_msg msg;
	const char *error = NULL;
	size_t consumed;

	(void)state;
	ipc_status_request_encode(&msg, 77);
	if (getenv("MR_IPC_WRITE_CORPUS") != NULL)
		corpus_write(getenv("MR_IPC_WRITE_CORPUS"), "status_request",
			     0, msg.buf.data, msg.buf.len);
	assert_int_equal(ipc_frame_parse(msg.buf.data, msg.buf.len,
					 &ipc_limits_all, &frame, &consumed,
					 &error),
			 1);
	assert_int_equal(frame.type, IPC_MASTER_STATUS_REQUEST);
	assert_int_equal(frame.request_id, 77);
	assert_int_equal(ipc_status_request_decode(&frame, &error), 0);
	ipc_msg_deinit(&msg);
}

/* A process group in a hand-built status reply. */
struct bad_proc {
	const char *name;	/* NULL: no name attribute */
	size_t name_len;
	bool with_pid;
	uint32_t pid;
	bool twice_name;
	bool raw_garbage;	/* the group value is not an attribute list */
};

static void
test_status_reply_malformed(void **state)
{
	static const struct {
		const char *label;
		struct bad_proc proc;
		const char *error;	/* NULL: valid */
	} rows[] = {
		{ "good", { "smtpd", 5, true, 1, false, false }, NULL },
		{ "pid zero", { "smtpd", 5, true, 0, false, false },
		  "process id" },
		{ "no pid", { "smtpd", 5, false, 0, false, false },
		  "missing" },
		{ "no name", { NULL, 0, true, 9, false, false }, "missing" },
		{ "empty name", { "", 0, true, 9, false, false }, "length" },
		{ "name with space", { "a b", 3, true, 9, false, false },
		  "name" },
		{ "name with NUL", { "a\0b", 3, true, 9, false, false },
		  "name" },
		{ "name with 8-bit octet",
		  { "caf\xc3\xa9", 5, true, 9, false, false },
		  "name" },
		{ "name too long",
		  { "0123456789012345678901234567890123456789012345678901234"
		    "5678901234",
		    65, true, 9, false, false },
		  "length" },
		{ "name twice", { "smtpd", 5, true, 9, true, false },
		  "duplicate" },
		{ "group overruns", { "x", 1, true, 9, false, true },
		  "overruns" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct bad_proc *bp = &rows[i].proc;
		struct ipc_status_reply reply;
		struct ipc_frame frame;
		struct ipc_msg msg;
		const char *error = NULL;
		size_t consumed;
		int r;

		ipc_msg_init(&msg, IPC_MASTER_STATUS_REPLY, 1);
		ipc_msg_add_str(&msg, 999, "a newer peer's field");
		if (bp->raw_garbage) {
			ipc_msg_add(&msg, IPC_TAG_PROCESS,
				    "\x00\x02\x00\x00\x00\x09x", 7);
		} else {
			ipc_msg_group_begin(&msg, IPC_TAG_PROCESS);
			if (bp->name != NULL)
				ipc_msg_add(&msg, IPC_TAG_PROCESS_NAME,
					    bp->name, bp->name_len);
			if (bp->twice_name)
				ipc_msg_add(&msg, IPC_TAG_PROCESS_NAME,
					    bp->name, bp->name_len);
			if (bp->with_pid)
				ipc_msg_add_u32(&msg, IPC_TAG_PROCESS_PID,
						bp->pid);
			ipc_msg_group_end(&msg);
		}
		assert_int_equal(ipc_frame_parse(msg.buf.data, msg.buf.len,
						 &ipc_limits_all, &frame,
						 &consumed, &error),
				 1);
		r = ipc_status_reply_decode(&frame, &reply, &error);
		if (rows[i].error == NULL) {
			if (r != 0)
				fail_msg("%s: %s", rows[i].label, error);
			assert_int_equal(reply.proc_count, 1);
			ipc_status_reply_deinit(&reply);
		} else if (r != -1 || strstr(error, rows[i].error) == NULL) {
			fail_msg("%s: got %d (%s)", rows[i].label, r,
				 r < 0 ? error : "");
		}
		ipc_msg_deinit(&msg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_frame_parse, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_frame_validate,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_accessors, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_encoder, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_status_round_trip,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_status_request,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_status_reply_malformed,
						testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
