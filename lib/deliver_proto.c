/*
 * deliver_proto.c - the qmgr <-> delivery agent protocol (see
 * deliver_proto.h and docs/ipc.md).
 *
 * deliver_request_encode/decode, deliver_result_encode/decode/deinit,
 * deliver_dsn_is_valid, deliver_status_name.
 * Untrusted input: frames from the other process (a daemon does not trust
 * another daemon). Limits: DELIVER_MAX_RCPTS recipients per frame, the
 * per-field maxima in deliver_proto.h.
 */
#include "lib/deliver_proto.h"

#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mem.h"

/* Schema of IPC_DELIVER_REQUEST. */
static const struct ipc_attr_spec request_specs[] = {
	{ IPC_TAG_QUEUE_ID, true, false, 0, QUEUE_ID_LEN, QUEUE_ID_LEN },
	{ IPC_TAG_NEXTHOP, true, false, 0, 0, DELIVER_NEXTHOP_MAX },
	{ IPC_TAG_RCPT_INDEX, true, true, DELIVER_MAX_RCPTS, 4, 4 },
};

/* Schema of IPC_DELIVER_RESULT. */
static const struct ipc_attr_spec result_specs[] = {
	{ IPC_TAG_QUEUE_ID, true, false, 0, QUEUE_ID_LEN, QUEUE_ID_LEN },
	{ IPC_TAG_RESULT, true, true, DELIVER_MAX_RCPTS, 0,
	  IPC_DELIVER_RESULT_MAX_LEN },
};

/* Schema of one RESULT group. */
static const struct ipc_attr_spec rcpt_specs[] = {
	{ IPC_TAG_RCPT_INDEX, true, false, 0, 4, 4 },
	{ IPC_TAG_STATUS, true, false, 0, 4, 4 },
	{ IPC_TAG_DSN, true, false, 0, 5, DELIVER_DSN_MAX },
	{ IPC_TAG_TEXT, true, false, 0, 0, DELIVER_TEXT_MAX },
	{ IPC_TAG_RELAY, false, false, 0, 0, DELIVER_RELAY_MAX },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* deliver_status_name - the Postfix status= word */
const char *
deliver_status_name(enum deliver_status status)
{
	switch (status) {
	case DELIVER_STATUS_SENT:
		return "sent";
	case DELIVER_STATUS_DEFERRED:
		return "deferred";
	case DELIVER_STATUS_BOUNCED:
		return "bounced";
	}
	return "unknown";
}

/* deliver_dsn_is_valid - RFC 3463 class.subject.detail */
bool
deliver_dsn_is_valid(const char *s)
{
	size_t i = 0, n;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return false;
	if (s[1] != '.')
		return false;
	i = 2;
	for (n = 0; s[i] >= '0' && s[i] <= '9'; i++)
		n++;
	if (n < 1 || n > 3 || s[i] != '.')
		return false;
	i++;
	for (n = 0; s[i] >= '0' && s[i] <= '9'; i++)
		n++;
	return n >= 1 && n <= 3 && s[i] == '\0';
}

/* status_class - the DSN class digit a status must carry */
static char
status_class(enum deliver_status status)
{
	return status == DELIVER_STATUS_SENT	   ? '2'
	       : status == DELIVER_STATUS_DEFERRED ? '4'
						   : '5';
}

/* copy_text - bytes into a fixed field: printable ASCII and HT only */
static int
copy_text(const uint8_t *p, size_t n, char *out, size_t size)
{
	size_t i;

	if (n >= size)
		return -1;
	for (i = 0; i < n; i++)
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] > 0x7e)
			return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* deliver_request_encode - build a request */
void
deliver_request_encode(struct ipc_msg *msg, uint32_t request_id,
		       const struct deliver_request *req)
{
	size_t i;

	MR_ASSERT(queue_id_is_valid(req->queue_id));
	MR_ASSERT(req->rcpt_count >= 1 && req->rcpt_count <= DELIVER_MAX_RCPTS);
	MR_ASSERT(strlen(req->nexthop) <= DELIVER_NEXTHOP_MAX);
	ipc_msg_init(msg, IPC_DELIVER_REQUEST, request_id);
	ipc_msg_add_str(msg, IPC_TAG_QUEUE_ID, req->queue_id);
	ipc_msg_add_str(msg, IPC_TAG_NEXTHOP, req->nexthop);
	for (i = 0; i < req->rcpt_count; i++)
		ipc_msg_add_u32(msg, IPC_TAG_RCPT_INDEX, req->rcpt_index[i]);
}

/* deliver_request_decode - validate and decode a request */
int
deliver_request_decode(const struct ipc_frame *frame,
		       struct deliver_request *req_r, const char **error_r)
{
	struct ipc_attr_iter iter;
	const uint8_t *p;
	size_t n;
	uint16_t tag;

	memset(req_r, 0, sizeof(*req_r));
	if (frame->type != IPC_DELIVER_REQUEST) {
		*error_r = "not a delivery request";
		return -1;
	}
	if (ipc_frame_validate(frame, request_specs, COUNT(request_specs),
			       error_r) < 0)
		return -1;
	ipc_frame_get(frame, IPC_TAG_QUEUE_ID, &p, &n);
	memcpy(req_r->queue_id, p, n);
	req_r->queue_id[n] = '\0';
	if (!queue_id_is_valid(req_r->queue_id)) {
		*error_r = "bad queue ID";
		return -1;
	}
	ipc_frame_get(frame, IPC_TAG_NEXTHOP, &p, &n);
	if (copy_text(p, n, req_r->nexthop, sizeof(req_r->nexthop)) < 0) {
		*error_r = "bad next hop";
		return -1;
	}
	ipc_attr_iter_init(&iter, frame, IPC_TAG_RCPT_INDEX);
	while (ipc_attr_iter_next(&iter, &tag, &p, &n) == 1)
		req_r->rcpt_index[req_r->rcpt_count++] =
			(uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			(uint32_t)p[2] << 8 | p[3];
	return 0;
}

/* deliver_result_encode - build a result */
void
deliver_result_encode(struct ipc_msg *msg, uint32_t request_id,
		      const struct deliver_result *res)
{
	size_t i;

	MR_ASSERT(queue_id_is_valid(res->queue_id));
	MR_ASSERT(res->rcpt_count >= 1 && res->rcpt_count <= DELIVER_MAX_RCPTS);
	ipc_msg_init(msg, IPC_DELIVER_RESULT, request_id);
	ipc_msg_add_str(msg, IPC_TAG_QUEUE_ID, res->queue_id);
	for (i = 0; i < res->rcpt_count; i++) {
		const struct deliver_rcpt_result *r = &res->rcpts[i];

		MR_ASSERT(deliver_dsn_is_valid(r->dsn));
		MR_ASSERT(r->dsn[0] == status_class(r->status));
		ipc_msg_group_begin(msg, IPC_TAG_RESULT);
		ipc_msg_add_u32(msg, IPC_TAG_RCPT_INDEX, r->rcpt_index);
		ipc_msg_add_u32(msg, IPC_TAG_STATUS, (uint32_t)r->status);
		ipc_msg_add_str(msg, IPC_TAG_DSN, r->dsn);
		ipc_msg_add(msg, IPC_TAG_TEXT, r->text,
			    strnlen(r->text, DELIVER_TEXT_MAX));
		if (r->relay[0] != '\0')
			ipc_msg_add(msg, IPC_TAG_RELAY, r->relay,
				    strnlen(r->relay, DELIVER_RELAY_MAX));
		ipc_msg_group_end(msg);
	}
}

/* result_rcpt_decode - one RESULT group */
static int
result_rcpt_decode(const uint8_t *gp, size_t gn,
		   struct deliver_rcpt_result *r, const char **error_r)
{
	struct ipc_frame group;
	const uint8_t *p;
	size_t n;
	uint32_t status;

	if (ipc_frame_group(gp, gn, &group, error_r) < 0 ||
	    ipc_frame_validate(&group, rcpt_specs, COUNT(rcpt_specs),
			       error_r) < 0)
		return -1;
	ipc_frame_get_u32(&group, IPC_TAG_RCPT_INDEX, &r->rcpt_index);
	ipc_frame_get_u32(&group, IPC_TAG_STATUS, &status);
	if (status > DELIVER_STATUS_BOUNCED) {
		*error_r = "bad delivery status";
		return -1;
	}
	r->status = (enum deliver_status)status;
	ipc_frame_get(&group, IPC_TAG_DSN, &p, &n);
	if (copy_text(p, n, r->dsn, sizeof(r->dsn)) < 0 ||
	    !deliver_dsn_is_valid(r->dsn) ||
	    r->dsn[0] != status_class(r->status)) {
		*error_r = "bad enhanced status code";
		return -1;
	}
	ipc_frame_get(&group, IPC_TAG_TEXT, &p, &n);
	if (copy_text(p, n, r->text, sizeof(r->text)) < 0) {
		*error_r = "bad diagnostic text";
		return -1;
	}
	if (ipc_frame_get(&group, IPC_TAG_RELAY, &p, &n) == 0 &&
	    copy_text(p, n, r->relay, sizeof(r->relay)) < 0) {
		*error_r = "bad relay text";
		return -1;
	}
	return 0;
}

/* deliver_result_decode - validate and decode a result */
int
deliver_result_decode(const struct ipc_frame *frame,
		      struct deliver_result *res_r, const char **error_r)
{
	struct ipc_attr_iter iter;
	const uint8_t *p;
	size_t n, count = 0;
	uint16_t tag;

	memset(res_r, 0, sizeof(*res_r));
	if (frame->type != IPC_DELIVER_RESULT) {
		*error_r = "not a delivery result";
		return -1;
	}
	if (ipc_frame_validate(frame, result_specs, COUNT(result_specs),
			       error_r) < 0)
		return -1;
	ipc_frame_get(frame, IPC_TAG_QUEUE_ID, &p, &n);
	memcpy(res_r->queue_id, p, n);
	res_r->queue_id[n] = '\0';
	if (!queue_id_is_valid(res_r->queue_id)) {
		*error_r = "bad queue ID";
		return -1;
	}
	ipc_attr_iter_init(&iter, frame, IPC_TAG_RESULT);
	while (ipc_attr_iter_next(&iter, &tag, &p, &n) == 1)
		count++;
	res_r->rcpts = mem_alloc_array(count, sizeof(*res_r->rcpts));
	ipc_attr_iter_init(&iter, frame, IPC_TAG_RESULT);
	while (ipc_attr_iter_next(&iter, &tag, &p, &n) == 1) {
		if (result_rcpt_decode(p, n, &res_r->rcpts[res_r->rcpt_count],
				       error_r) < 0) {
			deliver_result_deinit(res_r);
			return -1;
		}
		res_r->rcpt_count++;
	}
	return 0;
}

/* deliver_result_deinit - release the recipients */
void
deliver_result_deinit(struct deliver_result *res)
{
	mem_free(&res->rcpts);
	res->rcpt_count = 0;
}

/* deliver_delay_format - "0.12", "3.4" below ten seconds, else "42" */
void
deliver_delay_format(double seconds, char *out, size_t size)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds < 10)
		snprintf(out, size, "%.2g", seconds);
	else
		snprintf(out, size, "%.0f", seconds);
}
