/*
 * test_deliver_proto.c - unit tests for lib/deliver_proto.c: request and
 * result round trips, and malformed frames (bad IDs, DSN classes that do
 * not match the status, control characters in texts, too many recipients,
 * missing attributes).
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "lib/deliver_proto.h"
#include "lib/mem.h"

#define GOOD_ID "08DpuLW1Bz0000000k3is"

/* parse_msg - parse the frame just built */
static void
parse_msg(const struct ipc_msg *msg, struct ipc_frame *f)
{
	size_t used;
	const char *error;

	assert_int_equal(ipc_frame_parse(msg->buf.data, msg->buf.len,
					 &ipc_limits_all, f, &used, &error),
			 1);
	assert_int_equal(used, msg->buf.len);
}

static void
test_request_round_trip(void **state)
{
	struct deliver_request req, out;
	struct ipc_msg msg;
	struct ipc_frame f;
	const char *error;
	size_t i;

	(void)state;
	memset(&req, 0, sizeof(req));
	memcpy(req.queue_id, GOOD_ID, sizeof(GOOD_ID));
	memcpy(req.nexthop, "example.com", 12);
	req.rcpt_count = DELIVER_MAX_RCPTS;
	for (i = 0; i < req.rcpt_count; i++)
		req.rcpt_index[i] = (uint32_t)(i * 3);
	deliver_request_encode(&msg, 77, &req);
	parse_msg(&msg, &f);
	assert_int_equal(f.request_id, 77);
	assert_int_equal(deliver_request_decode(&f, &out, &error), 0);
	assert_string_equal(out.queue_id, GOOD_ID);
	assert_string_equal(out.nexthop, "example.com");
	assert_int_equal(out.rcpt_count, DELIVER_MAX_RCPTS);
	assert_int_equal(out.rcpt_index[999], 2997);
	ipc_msg_deinit(&msg);
}

static void
test_result_round_trip(void **state)
{
	struct deliver_rcpt_result r[3];
	struct deliver_result res = { GOOD_ID, r, 3 }, out;
	struct ipc_msg msg;
	struct ipc_frame f;
	const char *error;

	(void)state;
	memset(r, 0, sizeof(r));
	r[0] = (struct deliver_rcpt_result){ 0, DELIVER_STATUS_SENT, "2.0.0",
					     "delivered to maildir", "local" };
	r[1] = (struct deliver_rcpt_result){ 5, DELIVER_STATUS_DEFERRED,
					     "4.2.0", "mailbox is locked",
					     "" };
	r[2] = (struct deliver_rcpt_result){ 9, DELIVER_STATUS_BOUNCED,
					     "5.1.1", "unknown user: \"x\"",
					     "local" };
	deliver_result_encode(&msg, 5, &res);
	parse_msg(&msg, &f);
	assert_int_equal(deliver_result_decode(&f, &out, &error), 0);
	assert_string_equal(out.queue_id, GOOD_ID);
	assert_int_equal(out.rcpt_count, 3);
	assert_int_equal(out.rcpts[1].rcpt_index, 5);
	assert_int_equal(out.rcpts[1].status, DELIVER_STATUS_DEFERRED);
	assert_string_equal(out.rcpts[1].dsn, "4.2.0");
	assert_string_equal(out.rcpts[1].relay, "");
	assert_string_equal(out.rcpts[2].text, "unknown user: \"x\"");
	deliver_result_deinit(&out);
	ipc_msg_deinit(&msg);
	assert_string_equal(deliver_status_name(DELIVER_STATUS_BOUNCED),
			    "bounced");
}

/* hand_result - a result frame with one group built by hand */
static void
hand_result(struct ipc_msg *msg, const char *id, uint32_t status,
	    const char *dsn, const char *text)
{
	ipc_msg_init(msg, IPC_DELIVER_RESULT, 1);
	ipc_msg_add_str(msg, IPC_TAG_QUEUE_ID, id);
	ipc_msg_group_begin(msg, IPC_TAG_RESULT);
	ipc_msg_add_u32(msg, IPC_TAG_RCPT_INDEX, 0);
	ipc_msg_add_u32(msg, IPC_TAG_STATUS, status);
	ipc_msg_add_str(msg, IPC_TAG_DSN, dsn);
	ipc_msg_add_str(msg, IPC_TAG_TEXT, text);
	ipc_msg_group_end(msg);
}

static void
test_malformed_results(void **state)
{
	static const struct {
		const char *id;
		uint32_t status;
		const char *dsn;
		const char *text;
		int rc;
	} rows[] = {
		{ GOOD_ID, 0, "2.0.0", "ok", 0 },
		{ GOOD_ID, 2, "5.7.1", "refused", 0 },
		{ GOOD_ID, 0, "5.0.0", "class mismatch", -1 },
		{ GOOD_ID, 1, "2.0.0", "class mismatch", -1 },
		{ GOOD_ID, 3, "5.0.0", "bad status", -1 },
		{ GOOD_ID, 0, "2.0", "short dsn", -1 },
		{ GOOD_ID, 0, "2.0.0000", "long detail", -1 },
		{ GOOD_ID, 0, "3.0.0", "bad class", -1 },
		{ GOOD_ID, 0, "2.0.0", "line\r\nbreak", -1 },
		{ GOOD_ID, 0, "2.0.0", "\x1b[31m", -1 },
		{ "../../etc/passwd00000", 0, "2.0.0", "x", -1 },
		{ "08DpuLW1Bz0000000k3i/", 0, "2.0.0", "x", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ipc_msg msg;
		struct ipc_frame f;
		struct deliver_result out;
		const char *error = NULL;
		int rc;

		hand_result(&msg, rows[i].id, rows[i].status, rows[i].dsn,
			    rows[i].text);
		parse_msg(&msg, &f);
		rc = deliver_result_decode(&f, &out, &error);
		if (rc != rows[i].rc)
			fail_msg("row %zu: rc %d (%s)", i, rc,
				 error ? error : "");
		if (rc == 0)
			deliver_result_deinit(&out);
		ipc_msg_deinit(&msg);
	}
}

static void
test_malformed_requests(void **state)
{
	struct ipc_msg msg;
	struct ipc_frame f;
	struct deliver_request out;
	const char *error;
	uint32_t i;

	(void)state;
	/* No recipient. */
	ipc_msg_init(&msg, IPC_DELIVER_REQUEST, 1);
	ipc_msg_add_str(&msg, IPC_TAG_QUEUE_ID, GOOD_ID);
	ipc_msg_add_str(&msg, IPC_TAG_NEXTHOP, "x");
	parse_msg(&msg, &f);
	assert_int_equal(deliver_request_decode(&f, &out, &error), -1);
	ipc_msg_deinit(&msg);
	/* Too many recipients. */
	ipc_msg_init(&msg, IPC_DELIVER_REQUEST, 1);
	ipc_msg_add_str(&msg, IPC_TAG_QUEUE_ID, GOOD_ID);
	ipc_msg_add_str(&msg, IPC_TAG_NEXTHOP, "x");
	for (i = 0; i <= DELIVER_MAX_RCPTS; i++)
		ipc_msg_add_u32(&msg, IPC_TAG_RCPT_INDEX, i);
	parse_msg(&msg, &f);
	assert_int_equal(deliver_request_decode(&f, &out, &error), -1);
	ipc_msg_deinit(&msg);
	/* Control character in the next hop; a result is not a request. */
	ipc_msg_init(&msg, IPC_DELIVER_REQUEST, 1);
	ipc_msg_add_str(&msg, IPC_TAG_QUEUE_ID, GOOD_ID);
	ipc_msg_add_str(&msg, IPC_TAG_NEXTHOP, "x\ny");
	ipc_msg_add_u32(&msg, IPC_TAG_RCPT_INDEX, 0);
	parse_msg(&msg, &f);
	assert_int_equal(deliver_request_decode(&f, &out, &error), -1);
	assert_int_equal(deliver_result_decode(&f, &(struct deliver_result){},
					       &error),
			 -1);
	ipc_msg_deinit(&msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_round_trip,
						testlib_setup, testlib_teardown),
		cmocka_unit_test_setup_teardown(test_result_round_trip,
						testlib_setup, testlib_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_results,
						testlib_setup, testlib_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_requests,
						testlib_setup, testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
