/*
 * message.c - messages in qmgr's memory, from load to finish.
 *
 *   qmgr_message_find     the loaded message with an ID
 *   qmgr_message_load     read active/ID, keep its pending recipients
 *   qmgr_message_results  record an agent's results (durably first)
 *   qmgr_entry_defer      defer a request's recipients (logged here)
 *   qmgr_message_finish   expire, bounce, warn of delay, then defer or
 *                         remove the file
 *   qmgr_message_unlink / qmgr_message_free
 *
 * A loaded message holds its ID, arrival, sender and its pending
 * recipients' addresses; diagnostics only for recipients that bounced or
 * were deferred in this pass (the delay warning reports the latter).
 * Never the content: bounces stream it from the file (lib/dsn).
 *
 * Durability (DESIGN.md "Queue"): a recipient's final state is written to
 * the file (queue_read_mark_rcpt) before anything depends on it. The file
 * is removed only after every notice it needs is durably queued. A file
 * left with no pending recipient but bounced ones (a crash or a failed
 * notice between marking and removal) gets its notice at the next load,
 * with a generic diagnostic. XXX: a crash between marking a recipient
 * bounced and queueing the notice, while other recipients are still
 * deferred, loses that notice (the file cannot say whether it was sent);
 * Postfix keeps a bounce log per message for this. That a delay warning
 * was sent is the file's u+x bit (queue_flag_delay_warned_set), set after
 * the warning is durably queued: a crash in between may send a second
 * warning, never none. Queue files are untrusted input, read through
 * lib/queue_read. Runs as the mail user.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/dsn.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/queue_read.h"
#include "qmgr/qmgr.h"

/* Diagnostics qmgr writes itself. */
#define MESSAGE_EXPIRED_DSN "4.4.7"
#define MESSAGE_EXPIRED_TEXT "delivery time expired"
#define MESSAGE_LOST_DSN "5.0.0"
#define MESSAGE_LOST_TEXT "delivery failed; the details were lost when " \
	"the queue manager restarted"

/* message_now_s - wall clock seconds */
static double
message_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* message_age_s - seconds since arrival */
static double
message_age_s(const struct qmgr_message *msg, double now)
{
	return now - (double)msg->arrival_us / 1e6;
}

/* message_hash - bucket of a queue ID: FNV-1a */
static size_t
message_hash(const struct qmgr *q, const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id != '\0'; id++) {
		h ^= (uint8_t)*id;
		h *= 16777619u;
	}
	return h & (q->msg_hash_size - 1);
}

/* qmgr_message_find - hash lookup */
struct qmgr_message *
qmgr_message_find(struct qmgr *q, const char *id)
{
	struct qmgr_message *m = q->msg_hash[message_hash(q, id)];

	for (; m != NULL; m = m->hash_next)
		if (strcmp(m->id, id) == 0)
			return m;
	return NULL;
}

/* qmgr_message_unlink - out of the table */
void
qmgr_message_unlink(struct qmgr *q, struct qmgr_message *msg)
{
	struct qmgr_message **pp = &q->msg_hash[message_hash(q, msg->id)];

	while (*pp != NULL && *pp != msg)
		pp = &(*pp)->hash_next;
	MR_ASSERT(*pp == msg);
	*pp = msg->hash_next;
	MR_ASSERT(q->message_count > 0);
	q->message_count--;
}

/* qmgr_message_free - release a message */
void
qmgr_message_free(struct qmgr_message **msgp)
{
	struct qmgr_message *msg = *msgp;
	size_t i;

	if (msg == NULL)
		return;
	for (i = 0; i < msg->rcpt_count; i++) {
		mem_free(&msg->rcpts[i].address);
		mem_free(&msg->rcpts[i].text);
		mem_free(&msg->rcpts[i].relay);
	}
	mem_free(&msg->rcpts);
	mem_free(&msg->sender);
	mem_free(msgp);
}

/* message_path - active/ID of msg */
static int
message_path(const struct qmgr *q, const char *id, char *path, size_t size)
{
	return queue_path(q->queue_dir, QUEUE_STATE_ACTIVE, id, path, size);
}

/* qmgr_message_load - read a file from active/ and schedule it */
int
qmgr_message_load(struct qmgr *q, const char *id)
{
	struct queue_message *file = NULL;
	struct qmgr_message *msg;
	enum queue_err err;
	const char *error;
	char path[4096];
	size_t i, pending, bounced, n = 0;
	bool leftover;

	if (message_path(q, id, path, sizeof(path)) < 0)
		return -1;
	if (queue_read_open(path, 0, &file, &err, &error) < 0) {
		if (err == QUEUE_ERR_CORRUPT)
			queue_move_corrupt(q->queue_dir, id, QUEUE_STATE_ACTIVE,
					   error);
		else if (err == QUEUE_ERR_IO)
			log_warn("%s: cannot read queue file: %s: %m", id,
				 error);
		return -1;
	}
	pending = queue_read_pending_count(file);
	bounced = 0;
	for (i = 0; i < file->rcpt_count; i++)
		if (file->rcpts[i].status == QUEUE_RCPT_BOUNCED)
			bounced++;
	/* Nothing pending: an unfinished finish; re-send its notice. */
	leftover = pending == 0;
	msg = mem_alloc(sizeof(*msg));
	memcpy(msg->id, id, QUEUE_ID_SIZE);
	msg->arrival_us = file->arrival_us;
	msg->sender = mem_strdup(file->sender);
	msg->rcpts = mem_alloc_array(leftover ? (bounced > 0 ? bounced : 1)
					      : pending,
				     sizeof(*msg->rcpts));
	for (i = 0; i < file->rcpt_count; i++) {
		struct qmgr_rcpt *r;

		if (file->rcpts[i].status !=
		    (leftover ? QUEUE_RCPT_BOUNCED : QUEUE_RCPT_PENDING))
			continue;
		r = &msg->rcpts[n++];
		r->address = mem_strdup(file->rcpts[i].address);
		r->index = (uint32_t)i;
		if (leftover) {
			r->state = QMGR_RCPT_BOUNCED;
			snprintf(r->dsn, sizeof(r->dsn), "%s", MESSAGE_LOST_DSN);
			r->text = mem_strdup(MESSAGE_LOST_TEXT);
		} else {
			r->state = QMGR_RCPT_TODO;
		}
	}
	msg->rcpt_count = n;
	/* Postfix's qmgr line: log tools such as pflogsumm take the
	 * message size and sender from it. */
	if (!leftover)
		log_info("%s: from=<%s>, size=%llu, nrcpt=%zu (queue active)",
			 id, log_safe_str(file->sender),
			 (unsigned long long)file->content_size,
			 file->rcpt_count);
	queue_read_free(&file);
	i = message_hash(q, id);
	msg->hash_next = q->msg_hash[i];
	q->msg_hash[i] = msg;
	q->message_count++;
	if (!leftover)
		log_debug("%s: loaded, %zu recipients pending", id, pending);
	qmgr_schedule_message(q, msg);
	return 0;
}

/* message_rcpt_defer - r is deferred with status dsn and text (NULL ok) */
static void
message_rcpt_defer(struct qmgr_rcpt *r, const char *dsn, const char *text)
{
	r->state = QMGR_RCPT_DEFERRED;
	snprintf(r->dsn, sizeof(r->dsn), "%s", dsn != NULL ? dsn : "");
	mem_free(&r->text);
	if (text != NULL && *text != '\0')
		r->text = mem_strdup(text);
}

/* message_log_rcpt - Postfix's per-recipient delivery line */
static void
message_log_rcpt(const struct qmgr_message *msg, const struct qmgr_rcpt *r,
		 const char *dsn, const char *status, const char *text)
{
	char delay[32];

	deliver_delay_format(message_age_s(msg, message_now_s()), delay,
			  sizeof(delay));
	log_info("%s: to=<%s>, relay=none, delay=%s, delays=0/0/0/0, "
		 "dsn=%s, status=%s (%s)",
		 msg->id, log_safe_str(r->address), delay, dsn, status, text);
}

/* qmgr_entry_defer - defer the unanswered recipients of an entry */
void
qmgr_entry_defer(struct qmgr *q, struct qmgr_entry *e, const char *dsn,
		 const char *text)
{
	size_t i;

	(void)q;
	for (i = 0; i < e->slot_count; i++) {
		struct qmgr_rcpt *r = &e->msg->rcpts[e->slots[i]];

		if (r->state != QMGR_RCPT_BUSY)
			continue;
		message_rcpt_defer(r, dsn, text);
		if (!e->msg->gone)
			message_log_rcpt(e->msg, r, dsn, "deferred", text);
	}
}

/* message_open_rw - open active/ID for marking; marks msg gone if refused */
static struct queue_message *
message_open_rw(struct qmgr *q, struct qmgr_message *msg)
{
	struct queue_message *file = NULL;
	enum queue_err err;
	const char *error;
	char path[4096];

	if (msg->gone || message_path(q, msg->id, path, sizeof(path)) < 0)
		return NULL;
	if (queue_read_open(path, QUEUE_READ_WRITE, &file, &err, &error) == 0)
		return file;
	switch (err) {
	case QUEUE_ERR_CORRUPT:
		queue_move_corrupt(q->queue_dir, msg->id, QUEUE_STATE_ACTIVE,
				   error);
		msg->gone = true;
		break;
	case QUEUE_ERR_NOTFOUND:
		log_warn("%s: queue file disappeared from active/", msg->id);
		msg->gone = true;
		break;
	default:
		log_warn("%s: cannot open queue file: %s: %m", msg->id, error);
		break;
	}
	return NULL;
}

/*
 * message_mark - record one final state in the file; false on failure.
 * The write is not synced here: message_sync makes a batch durable, and is
 * skipped when every recipient succeeded, because the file is removed next
 * (a crash before the removal is durable re-delivers the message: a rare
 * duplicate, never a loss).
 */
static bool
message_mark(struct qmgr_message *msg, struct queue_message *file,
	     const struct qmgr_rcpt *r, enum queue_rcpt_status status)
{
	const char *error;

	if (file == NULL || r->index >= file->rcpt_count)
		return false;
	if (queue_read_mark_rcpt_unsynced(file, r->index, status, &error) <
	    0) {
		log_warn("%s: cannot record recipient status: %s: %m",
			 msg->id, error);
		return false;
	}
	return true;
}

/* message_sync - make the marks durable unless the message is done */
static void
message_sync(struct qmgr_message *msg, struct queue_message *file)
{
	const char *error;
	size_t i;

	if (file == NULL)
		return;
	for (i = 0; i < msg->rcpt_count; i++)
		if (msg->rcpts[i].state != QMGR_RCPT_SENT)
			break;
	if (i == msg->rcpt_count)
		return;
	if (queue_read_sync(file, &error) < 0)
		log_warn("%s: %s: %m", msg->id, error);
}

/* message_entry_slot - the slot of entry e holding file index, or NULL */
static struct qmgr_rcpt *
message_entry_slot(struct qmgr_entry *e, uint32_t index)
{
	size_t i;

	for (i = 0; i < e->slot_count; i++) {
		struct qmgr_rcpt *r = &e->msg->rcpts[e->slots[i]];

		if (r->index == index)
			return r;
	}
	return NULL;
}

/* qmgr_message_results - record an agent's results, durable first */
void
qmgr_message_results(struct qmgr *q, struct qmgr_entry *e,
		     const struct deliver_result *res)
{
	struct qmgr_message *msg = e->msg;
	struct queue_message *file = message_open_rw(q, msg);
	size_t i;

	for (i = 0; i < res->rcpt_count; i++) {
		const struct deliver_rcpt_result *rr = &res->rcpts[i];
		struct qmgr_rcpt *r = message_entry_slot(e, rr->rcpt_index);

		if (r == NULL || r->state != QMGR_RCPT_BUSY) {
			log_warn("%s: delivery agent answered for recipient "
				 "%u it was not asked about",
				 msg->id, (unsigned)rr->rcpt_index);
			continue;
		}
		switch (rr->status) {
		case DELIVER_STATUS_SENT:
			r->state = message_mark(msg, file, r,
						QUEUE_RCPT_DELIVERED)
				       ? QMGR_RCPT_SENT
				       : QMGR_RCPT_DEFERRED;
			break;
		case DELIVER_STATUS_BOUNCED:
			if (!message_mark(msg, file, r, QUEUE_RCPT_BOUNCED)) {
				r->state = QMGR_RCPT_DEFERRED;
				break;
			}
			r->state = QMGR_RCPT_BOUNCED;
			snprintf(r->dsn, sizeof(r->dsn), "%s", rr->dsn);
			mem_free(&r->text);
			mem_free(&r->relay);
			r->text = mem_strdup(rr->text);
			r->relay = mem_strdup(rr->relay);
			break;
		case DELIVER_STATUS_DEFERRED:
			message_rcpt_defer(r, rr->dsn, rr->text);
			break;
		default:
			r->state = QMGR_RCPT_DEFERRED;
			break;
		}
	}
	message_sync(msg, file);
	queue_read_free(&file);
	for (i = 0; i < e->slot_count; i++) {
		struct qmgr_rcpt *r = &msg->rcpts[e->slots[i]];

		if (r->state == QMGR_RCPT_BUSY) {
			log_warn("%s: delivery agent gave no result for "
				 "recipient %u", msg->id, (unsigned)r->index);
			r->state = QMGR_RCPT_DEFERRED;
		}
	}
}

/* message_expire - bounce deferred recipients of a too old message */
static void
message_expire(struct qmgr *q, struct qmgr_message *msg,
	       struct queue_message *file)
{
	bool any = false;
	size_t i;

	for (i = 0; i < msg->rcpt_count; i++) {
		struct qmgr_rcpt *r = &msg->rcpts[i];

		if (r->state != QMGR_RCPT_DEFERRED)
			continue;
		if (!message_mark(msg, file, r, QUEUE_RCPT_BOUNCED))
			continue;
		r->state = QMGR_RCPT_BOUNCED;
		snprintf(r->dsn, sizeof(r->dsn), "%s", MESSAGE_EXPIRED_DSN);
		mem_free(&r->text);
		r->text = mem_strdup(MESSAGE_EXPIRED_TEXT);
		any = true;
	}
	(void)q;
	if (any)
		message_sync(msg, file);
	if (any)
		log_info("%s: from=<%s>, status=expired, returned to sender",
			 msg->id, log_safe_str(msg->sender));
}

/* message_remote_mta - the Remote-MTA of a relay "host[addr]:port" */
static char *
message_remote_mta(const char *relay)
{
	size_t n;

	if (relay == NULL || *relay == '\0' || strcmp(relay, "none") == 0 ||
	    strcmp(relay, "local") == 0)
		return NULL;
	n = strcspn(relay, "[");
	if (n == 0)
		return NULL;
	return mem_strndup(relay, n);
}

/*
 * message_notice - queue one report for the recipients of kind decision;
 * true when done (or nothing to send), false to retry later.
 */
static bool
message_notice(struct qmgr *q, struct qmgr_message *msg,
	       struct queue_message *file, enum dsn_decision decision)
{
	struct dsn_rcpt *rcpts;
	char **mtas;
	struct dsn_report report;
	char new_id[QUEUE_ID_SIZE];
	char *env_sender = NULL, *postmaster = NULL;
	enum queue_err err;
	const char *error;
	size_t i, n = 0;
	bool ok = true;
	time_t now = time(NULL);

	rcpts = mem_alloc_array(msg->rcpt_count, sizeof(*rcpts));
	mtas = mem_alloc_array(msg->rcpt_count, sizeof(*mtas));
	for (i = 0; i < msg->rcpt_count; i++) {
		const struct qmgr_rcpt *r = &msg->rcpts[i];
		const struct queue_rcpt *fr;

		if (r->state != QMGR_RCPT_BOUNCED ||
		    r->index >= file->rcpt_count)
			continue;
		fr = &file->rcpts[r->index];
		if (dsn_notify_decide(msg->sender, fr->notify,
				      DSN_ACTION_FAILED,
				      param_double_bounce_sender,
				      q->notify_2bounce) != decision)
			continue;
		rcpts[n].address = fr->address;
		rcpts[n].orcpt_type = fr->orcpt_type;
		rcpts[n].orcpt = fr->orcpt;
		rcpts[n].action = DSN_ACTION_FAILED;
		rcpts[n].status = r->dsn;
		rcpts[n].diagnostic = r->text;
		mtas[n] = message_remote_mta(r->relay);
		rcpts[n].remote_mta = mtas[n];
		rcpts[n].last_attempt = now;
		n++;
	}
	if (n > 0) {
		memset(&report, 0, sizeof(report));
		report.reporting_mta = q->route.myhostname;
		report.mail_name = param_mail_name;
		report.queue_id = msg->id;
		report.envid = file->envid;
		report.arrival = (time_t)(msg->arrival_us / 1000000);
		report.ret = file->ret;
		report.rcpts = rcpts;
		report.rcpt_count = n;
		if (decision == DSN_DECISION_SEND) {
			report.recipient = msg->sender;
			report.original_sender = msg->sender;
			env_sender = mem_strdup("");
		} else {
			/* docs/bounces.md: 2bounce_notice_recipient,
			 * qualified so that local accepts it. */
			postmaster = mem_asprintf(
			    "postmaster@%s", param_myorigin != NULL
						 ? param_myorigin
						 : q->route.myhostname);
			report.recipient = postmaster;
			report.original_sender = "";
			report.postmaster_copy = true;
			env_sender = mem_asprintf(
			    "%s@%s", param_double_bounce_sender,
			    param_myorigin != NULL ? param_myorigin
						   : q->route.myhostname);
		}
		if (dsn_queue(q->queue_dir, &report, file,
			      (uint64_t)param_bounce_size_limit, env_sender,
			      new_id, &err, &error) < 0) {
			log_warn("%s: cannot queue %s non-delivery "
				 "notification: %s (%s)",
				 msg->id,
				 decision == DSN_DECISION_SEND ? "sender"
							       : "postmaster",
				 error, queue_err_name(err));
			ok = false;
		} else {
			log_info("%s: %s non-delivery notification: %s",
				 msg->id,
				 decision == DSN_DECISION_SEND ? "sender"
							       : "postmaster",
				 new_id);
			qmgr_scan_request(q);
		}
	}
	for (i = 0; i < n; i++)
		mem_free(&mtas[i]);
	mem_free(&mtas);
	mem_free(&rcpts);
	mem_free(&env_sender);
	mem_free(&postmaster);
	return ok;
}

/* message_bounce - queue the notices of msg's bounced recipients */
static bool
message_bounce(struct qmgr *q, struct qmgr_message *msg,
	       struct queue_message *file)
{
	bool ok;
	size_t i;

	for (i = 0; i < msg->rcpt_count; i++) {
		const struct qmgr_rcpt *r = &msg->rcpts[i];
		enum dsn_decision d;

		if (r->state != QMGR_RCPT_BOUNCED ||
		    r->index >= file->rcpt_count)
			continue;
		d = dsn_notify_decide(msg->sender, file->rcpts[r->index].notify,
				      DSN_ACTION_FAILED,
				      param_double_bounce_sender,
				      q->notify_2bounce);
		if (d == DSN_DECISION_NULL_SENDER)
			log_info("%s: to=<%s>: bounce of a bounce dropped "
				 "(%s)", msg->id, log_safe_str(r->address),
				 dsn_decision_name(d));
		else if (d != DSN_DECISION_SEND &&
			 d != DSN_DECISION_DOUBLE_BOUNCE)
			log_info("%s: to=<%s>: no non-delivery notification "
				 "(%s)", msg->id, log_safe_str(r->address),
				 dsn_decision_name(d));
	}
	ok = message_notice(q, msg, file, DSN_DECISION_SEND);
	if (!message_notice(q, msg, file, DSN_DECISION_DOUBLE_BOUNCE))
		ok = false;
	return ok;
}

/* message_warned_open - open active/ID for its mode flags; -1 if not */
static int
message_warned_open(struct qmgr *q, struct qmgr_message *msg,
		    bool *warned_r)
{
	struct stat st;
	char path[4096];
	int fd;

	if (message_path(q, msg->id, path, sizeof(path)) < 0)
		return -1;
	/* SECURITY: as lib/queue_read, never follow or block on a planted
	 * name; the reader has refused anything but a regular file. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		log_warn("%s: cannot open queue file for its flags: %m",
			 msg->id);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_warn("%s: cannot stat queue file for its flags: %m",
			 msg->id);
		close(fd);
		return -1;
	}
	*warned_r = queue_flag_is_delay_warned(st.st_mode);
	return fd;
}

/*
 * message_delay_warn - one delay warning to the sender for msg's deferred
 * recipients when due (Postfix's delay_warning_time), then the file is
 * flagged (u+x) so that no retry or restart sends another.
 */
static void
message_delay_warn(struct qmgr *q, struct qmgr_message *msg,
		   struct queue_message *file, double now)
{
	int64_t age = (int64_t)message_age_s(msg, now);
	time_t arrival = (time_t)(msg->arrival_us / 1000000);
	struct dsn_report report;
	struct dsn_rcpt *rcpts;
	char new_id[QUEUE_ID_SIZE];
	enum queue_err err;
	const char *error;
	bool warned = false;
	size_t i, n = 0;
	int fd;

	/* The message-wide conditions first (no NOTIFY limits any
	 * recipient yet), so that most deferrals cost no open(2). */
	if (!qmgr_can_warn_delay(age, param_delay_warning_time, false,
				 msg->sender, 0, param_double_bounce_sender))
		return;
	fd = message_warned_open(q, msg, &warned);
	if (fd < 0 || warned) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rcpts = mem_alloc_array(msg->rcpt_count, sizeof(*rcpts));
	for (i = 0; i < msg->rcpt_count; i++) {
		const struct qmgr_rcpt *r = &msg->rcpts[i];
		const struct queue_rcpt *fr;

		if (r->state != QMGR_RCPT_DEFERRED ||
		    r->index >= file->rcpt_count)
			continue;
		fr = &file->rcpts[r->index];
		if (!qmgr_can_warn_delay(age, param_delay_warning_time, warned,
					 msg->sender, fr->notify,
					 param_double_bounce_sender))
			continue;
		rcpts[n].address = fr->address;
		rcpts[n].orcpt_type = fr->orcpt_type;
		rcpts[n].orcpt = fr->orcpt;
		rcpts[n].action = DSN_ACTION_DELAYED;
		rcpts[n].status = r->dsn[0] != '\0' ? r->dsn : NULL;
		rcpts[n].diagnostic = r->text;
		rcpts[n].last_attempt = (time_t)now;
		rcpts[n].will_retry_until =
		    arrival + (time_t)param_maximal_queue_lifetime;
		n++;
	}
	if (n > 0) {
		memset(&report, 0, sizeof(report));
		report.reporting_mta = q->route.myhostname;
		report.mail_name = param_mail_name;
		report.queue_id = msg->id;
		report.envid = file->envid;
		report.arrival = arrival;
		report.ret = file->ret;
		report.recipient = msg->sender;
		report.original_sender = msg->sender;
		report.rcpts = rcpts;
		report.rcpt_count = n;
		/* Not flagged on failure: the next deferral tries again. */
		if (dsn_queue(q->queue_dir, &report, file,
			      (uint64_t)param_bounce_size_limit, "", new_id,
			      &err, &error) < 0) {
			log_warn("%s: cannot queue sender delay notification: "
				 "%s (%s)",
				 msg->id, error, queue_err_name(err));
		} else {
			log_info("%s: sender delay notification: %s", msg->id,
				 new_id);
			qmgr_scan_request(q);
			if (queue_flag_delay_warned_set(fd, &error) < 0)
				log_warn("%s: cannot record the delay "
					 "notification: %s: %m",
					 msg->id, error);
		}
	}
	mem_free(&rcpts);
	close(fd);
}

/* message_defer_file - set the retry time and move the file to deferred/ */
static void
message_defer_file(struct qmgr *q, struct qmgr_message *msg, double now)
{
	struct timespec times[2];
	const char *error;
	char path[4096];
	int64_t delay;

	delay = qmgr_backoff_s((int64_t)message_age_s(msg, now),
			       param_minimal_backoff_time,
			       param_maximal_backoff_time);
	/* The mtime is the retry time (as in Postfix); set it before the
	 * move so deferred/ never shows a stale one. */
	times[0].tv_sec = (time_t)now + (time_t)delay;
	times[0].tv_nsec = 0;
	times[1] = times[0];
	if (message_path(q, msg->id, path, sizeof(path)) == 0 &&
	    utimensat(AT_FDCWD, path, times, 0) < 0)
		log_warn("%s: cannot set retry time: %m", msg->id);
	if (queue_move(q->queue_dir, msg->id, QUEUE_STATE_ACTIVE,
		       QUEUE_STATE_DEFERRED, &error) < 0)
		log_error("%s: cannot move to deferred: %s: %m", msg->id,
			  error);
	else
		log_debug("%s: deferred, retry in %llds", msg->id,
			  (long long)delay);
}

/* qmgr_message_finish - every request of msg is over */
void
qmgr_message_finish(struct qmgr *q, struct qmgr_message *msg)
{
	struct queue_message *file = NULL;
	size_t i, deferred = 0, bounced = 0;
	double now = message_now_s();
	const char *error;
	bool notices_ok = true;

	MR_ASSERT(msg->entries == 0);
	qmgr_message_unlink(q, msg);
	if (q->active_more)
		qmgr_scan_request(q);
	for (i = 0; i < msg->rcpt_count; i++) {
		if (msg->rcpts[i].state == QMGR_RCPT_DEFERRED)
			deferred++;
		else if (msg->rcpts[i].state == QMGR_RCPT_BOUNCED)
			bounced++;
	}
	if (!msg->gone && (bounced > 0 || deferred > 0))
		file = message_open_rw(q, msg);
	if (msg->gone)
		goto done;
	if (deferred > 0 && file != NULL &&
	    qmgr_is_expired((int64_t)message_age_s(msg, now),
			    *msg->sender == '\0',
			    param_maximal_queue_lifetime,
			    param_bounce_queue_lifetime)) {
		message_expire(q, msg, file);
		deferred = bounced = 0;
		for (i = 0; i < msg->rcpt_count; i++) {
			if (msg->rcpts[i].state == QMGR_RCPT_DEFERRED)
				deferred++;
			else if (msg->rcpts[i].state == QMGR_RCPT_BOUNCED)
				bounced++;
		}
	}
	if (bounced > 0)
		notices_ok = file != NULL && message_bounce(q, msg, file);
	if (deferred > 0 && file != NULL && !msg->gone)
		message_delay_warn(q, msg, file, now);
	queue_read_free(&file);
	if (msg->gone)
		goto done;
	if (deferred > 0 || !notices_ok) {
		message_defer_file(q, msg, now);
	} else if (queue_remove(q->queue_dir, msg->id, QUEUE_STATE_ACTIVE,
				&error) < 0) {
		log_error("%s: cannot remove queue file: %s: %m", msg->id,
			  error);
	} else {
		log_info("%s: removed", msg->id);
	}
done:
	qmgr_message_free(&msg);
}
