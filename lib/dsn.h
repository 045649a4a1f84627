/*
 * dsn.h - delivery status notifications: bounces, delay warnings and
 * success notices (RFC 3464 message/delivery-status inside an RFC 6522
 * multipart/report), and the RFC 3461 NOTIFY decisions behind them.
 *
 * Used by qmgr. The format and every decision are described in
 * docs/bounces.md. The usual sequence for one report:
 *
 *	for each finished recipient i of the original message:
 *		switch (dsn_notify_decide(msg->sender, rcpt->notify, action,
 *					  param_double_bounce_sender, notify_2bounce))
 *		SEND: add it to the report for msg->sender
 *		DOUBLE_BOUNCE: add it to a postmaster copy (see below)
 *		NOT_REQUESTED, NULL_SENDER, TRIPLE_BOUNCE: log and drop
 *	dsn_queue(queue_dir, &report, msg, param_bounce_size_limit, "", id_r,
 *		  &err, &error);
 */
#ifndef MR_DSN_H
#define MR_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/queue.h"
#include "lib/queue_file.h"
#include "lib/queue_read.h"

/* RFC 3464 2.3.3 action-value. */
enum dsn_action {
	DSN_ACTION_FAILED,
	DSN_ACTION_DELAYED,
	DSN_ACTION_DELIVERED,
	DSN_ACTION_RELAYED,
	DSN_ACTION_EXPANDED,
};

/* Longest field value written into a report; longer values are cut. */
#define DSN_FIELD_MAX 960		/* RFC 5322 2.1.1: lines <= 998 */

/* Largest header block returned, even when the size limit is smaller. */
#define DSN_HEADER_MAX (1024u * 1024)

/* One recipient of a report. Strings are NUL-terminated; NULL = absent. */
struct dsn_rcpt {
	const char *address;	 /* envelope recipient, required */
	const char *orcpt_type;	 /* RFC 3461 ORCPT addr-type ("rfc822") */
	const char *orcpt;	 /* ORCPT address, xtext-decoded */
	enum dsn_action action;
	const char *status;	 /* RFC 3463 "5.1.1"; NULL: 5.0.0/4.0.0/2.0.0 */
	const char *diagnostic;	 /* "smtp; 550 5.1.1 user unknown" */
	const char *remote_mta;	 /* "dns; mx.example.com" */
	time_t last_attempt;	 /* 0: no Last-Attempt-Date */
	time_t will_retry_until; /* delayed only; 0: none */
};

/* One report: everything but the original message itself. */
struct dsn_report {
	const char *reporting_mta;   /* myhostname: [A-Za-z0-9.-], required */
	const char *mail_name;	     /* signature of the text part; NULL ok */
	const char *from_address;    /* From:; NULL: MAILER-DAEMON@host */
	const char *recipient;	     /* To: and envelope recipient, required */
	const char *original_sender; /* envelope sender of the original */
	const char *queue_id;	     /* the original's queue ID; NULL ok */
	const char *notice_id;	     /* unique token for Message-ID and
					boundary; NULL: random */
	const char *envid;	     /* RFC 3461 ENVID, xtext-decoded */
	time_t arrival;		     /* the original's arrival */
	time_t now;		     /* Date: of the notice; 0: time(NULL) */
	enum queue_ret ret;	     /* the original's RET */
	bool postmaster_copy;	     /* notice to the postmaster: headers
					only, "Postmaster Copy:" subject */
	const struct dsn_rcpt *rcpts;
	size_t rcpt_count;
};

/*
 * Where dsn_compose writes: write(out, p, n) returns 0, or -1 to stop the
 * composition; before returning -1 it may set out->err to the class of the
 * failure (left QUEUE_ERR_NONE it counts as QUEUE_ERR_IO). ctx is the
 * callback's own.
 */
struct dsn_output;
typedef int dsn_write_fn(struct dsn_output *out, const void *p, size_t n);
struct dsn_output {
	dsn_write_fn *write;
	void *ctx;
	enum queue_err err;
};

/* What dsn_notify_decide tells qmgr to do. */
enum dsn_decision {
	DSN_DECISION_SEND,	    /* notify the sender, envelope sender <> */
	DSN_DECISION_NOT_REQUESTED, /* NOTIFY excludes it: no notice */
	DSN_DECISION_NULL_SENDER,   /* from <>: "bounce of a bounce dropped" */
	DSN_DECISION_DOUBLE_BOUNCE, /* failed, from <>: postmaster copy */
	DSN_DECISION_TRIPLE_BOUNCE, /* from double_bounce_sender: discard */
};

/*
 * dsn_notify_is_requested - whether RFC 3461 NOTIFY flags (QUEUE_NOTIFY_*)
 * ask for a notice about action. No NOTIFY (0): failures and delays yes,
 * success no (RFC 3461 4.1). NEVER: nothing. Otherwise exactly the listed
 * kinds; "relayed" and "expanded" count as success.
 */
bool dsn_notify_is_requested(unsigned int notify_flags,
			     enum dsn_action action);

/*
 * dsn_notify_decide - what to do about action for one recipient of a
 * message from sender ("" is the null sender). A message from the null
 * sender never gets a notice back (RFC 5321 4.5.5); its
 * failures become a DOUBLE_BOUNCE for the postmaster when notify_2bounce
 * (notify_classes has 2bounce) and NULL_SENDER otherwise. A message from
 * double_bounce_sender (NULL: none) is a postmaster notice whose failure is
 * discarded (TRIPLE_BOUNCE), never reported again.
 */
enum dsn_decision dsn_notify_decide(const char *sender,
				    unsigned int notify_flags,
				    enum dsn_action action,
				    const char *double_bounce_sender,
				    bool notify_2bounce);

/* dsn_decision_name - "send", "not-requested", ... for logging. */
const char *dsn_decision_name(enum dsn_decision decision);

/* dsn_action_name - the RFC 3464 action-value ("failed", ...). */
const char *dsn_action_name(enum dsn_action action);

/*
 * dsn_output_buf - make out append to b. A write that does not fit under
 * b's maximum fails with QUEUE_ERR_TOO_BIG (b keeps what fitted).
 */
void dsn_output_buf(struct dsn_output *out, struct buf *b);

/*
 * dsn_compose - write the notice for report r as an RFC 5322 message with
 * CRLF line ends to out. original (NULL: none) supplies the third part: its
 * content is streamed twice (rewound first and left at an unspecified
 * position). A failure report returns the whole message unless
 * r->ret is QUEUE_RET_HDRS (Postfix's default), cut after
 * max_original_octets bytes (0: no limit) at a line end, the header block
 * always kept whole up to DSN_HEADER_MAX; delay and success reports and
 * postmaster copies return the headers only. Returns 0, or -1 with *err_r
 * QUEUE_ERR_INVALID (r is unusable: a missing field, a bad host name, no
 * recipients), QUEUE_ERR_IO or QUEUE_ERR_CORRUPT (reading original, as
 * queue_read_content_next), or the output's error; *error_r describes it.
 * Output written before a failure must be discarded.
 */
int dsn_compose(const struct dsn_report *r, struct queue_message *original,
		uint64_t max_original_octets, struct dsn_output *out,
		enum queue_err *err_r, const char **error_r);

/*
 * dsn_queue - compose the notice and queue it as a new message under
 * queue_dir with envelope sender env_sender ("" for a notice to a sender,
 * double_bounce_sender for a postmaster copy) and the single envelope
 * recipient r->recipient (no NOTIFY). The new queue ID is the notice's
 * Message-ID token. BODY=8BITMIME is recorded when the notice has 8-bit
 * bytes, SMTPUTF8 when the original asked for it. Returns 0 with the new
 * ID in id_r once the file is durably in active/ (then trigger qmgr), or
 * -1 with *err_r and *error_r as dsn_compose or queue_write (IO: retry
 * later; nothing is left in the queue). A queue write failure is also
 * logged as a warning with its detail (errno text), which *error_r lacks.
 */
int dsn_queue(const char *queue_dir, const struct dsn_report *r,
	      struct queue_message *original, uint64_t max_original_octets,
	      const char *env_sender, char id_r[QUEUE_ID_SIZE],
	      enum queue_err *err_r, const char **error_r);

#endif
