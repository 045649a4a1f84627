/*
 * deliver_proto.h - the delivery protocol between qmgr and the delivery
 * agents (local, smtp), over the agent's private Unix socket.
 *
 * qmgr sends IPC_DELIVER_REQUEST: which queue file (by ID; the file is in
 * active/) and which of its recipients (by index in the file) to deliver,
 * with the next hop. The agent reads sender, recipients and content from
 * the queue file itself (through lib/queue_read), delivers, logs each
 * attempt, and answers IPC_DELIVER_RESULT with one RESULT group per
 * recipient: status, enhanced status code, text and relay. qmgr records
 * the results durably in the queue file before it acts on them.
 * docs/ipc.md has the attribute tables. One request at a time per
 * connection; the request ID of the result matches the request.
 *
 * SECURITY: both ends validate everything (schemas, lengths, queue ID
 * syntax, index ranges); a compromised agent cannot name another file.
 */
#ifndef MR_DELIVER_PROTO_H
#define MR_DELIVER_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "lib/ipc.h"
#include "lib/queue.h"

/* Most recipients in one request (Postfix's *_destination_recipient_limit). */
#define DELIVER_MAX_RCPTS 1000
/* Longest next hop ("example.com", "[10.0.0.1]:25"). */
#define DELIVER_NEXTHOP_MAX 300
/* Longest diagnostic text and relay description. */
#define DELIVER_TEXT_MAX 1000
#define DELIVER_RELAY_MAX 300
/* An enhanced status code "x.yyy.zzz" (RFC 3463). */
#define DELIVER_DSN_MAX 9

enum deliver_status {
	DELIVER_STATUS_SENT = 0,	/* delivered: the recipient is done */
	DELIVER_STATUS_DEFERRED = 1,	/* temporary failure: retry later */
	DELIVER_STATUS_BOUNCED = 2,	/* permanent failure: notify sender */
};

struct deliver_request {
	char queue_id[QUEUE_ID_SIZE];
	char nexthop[DELIVER_NEXTHOP_MAX + 1];
	uint32_t rcpt_index[DELIVER_MAX_RCPTS];
	size_t rcpt_count;
};

struct deliver_rcpt_result {
	uint32_t rcpt_index;
	enum deliver_status status;
	char dsn[DELIVER_DSN_MAX + 1];
	char text[DELIVER_TEXT_MAX + 1];
	char relay[DELIVER_RELAY_MAX + 1];
};

struct deliver_result {
	char queue_id[QUEUE_ID_SIZE];
	struct deliver_rcpt_result *rcpts;	/* owned */
	size_t rcpt_count;
};

/*
 * deliver_request_encode - a request frame (inits msg). The request must be
 * valid (ID syntax, 1..DELIVER_MAX_RCPTS recipients): anything else is our
 * bug and panics.
 */
void deliver_request_encode(struct ipc_msg *msg, uint32_t request_id,
			    const struct deliver_request *req);

/*
 * deliver_request_decode - check and decode a request frame. Returns 0, or
 * -1 with *error_r (static) when the frame is not a valid request.
 */
int deliver_request_decode(const struct ipc_frame *frame,
			   struct deliver_request *req_r, const char **error_r);

/*
 * deliver_dsn_is_valid - whether s is "D.DDD.DDD" with class 2, 4 or 5
 * (RFC 3463 section 2: class, subject 1-3 digits, detail 1-3 digits).
 */
bool deliver_dsn_is_valid(const char *s);

/*
 * deliver_result_encode - a result frame (inits msg); every result must
 * have a valid DSN whose class matches its status (2 sent, 4 deferred,
 * 5 bounced); texts are cut at their maximum. Panics on our own bugs.
 */
void deliver_result_encode(struct ipc_msg *msg, uint32_t request_id,
			   const struct deliver_result *res);

/*
 * deliver_result_decode - check and decode a result frame into *res_r
 * (release with deliver_result_deinit). Texts are checked to be printable
 * (a peer's text goes into logs and bounces). Returns 0, or -1 with
 * *error_r (static).
 */
int deliver_result_decode(const struct ipc_frame *frame,
			  struct deliver_result *res_r, const char **error_r);

/* deliver_result_deinit - free the recipient array. */
void deliver_result_deinit(struct deliver_result *res);

/*
 * deliver_delay_format - Postfix's notation for delay= and delays=:
 * "0.12", "3.4" below ten seconds (two significant digits), else whole
 * seconds ("42"); negative values (a clock step) print as "0".
 */
void deliver_delay_format(double seconds, char *out, size_t size);

/* deliver_status_name - "sent", "deferred", "bounced" (Postfix status=). */
const char *deliver_status_name(enum deliver_status status);

#endif
