/*
 * deliver.c - one delivery request of the SMTP client.
 *
 *   smtp_delivery_start    request in: queue file, recipients, next hop
 *   smtp_delivery_abort    qmgr went away
 *   smtp_rcpt_final        a recipient's result, logged in Postfix's form
 *
 * The steps, each started from the event loop:
 *   1. a cached session for the same next hop, checked with RSET;
 *   2. otherwise the targets: the next hop's MX hosts and their addresses
 *      (lib/dns; an address literal needs none), in preference order, at
 *      most smtp_mx_address_limit addresses;
 *   3. sessions to the targets in turn until one completes a transaction:
 *      a failed connect, a refused greeting or a session lost before the
 *      end of the message moves on to the next target, at most
 *      smtp_mx_session_limit sessions that got a greeting;
 *   4. the result per recipient back to qmgr.
 * A recipient's result is final for this delivery once a server answered
 * for it (2xx sent, 4xx deferred, 5xx bounced); the others take the last
 * failure that applied to all of them.
 *
 * DNS results map as in Postfix: NXDOMAIN and "no address" bounce with
 * 5.4.4 for an MX lookup (a bracketed relay host defers instead: its
 * absence is a configuration problem), a null MX bounces with 5.1.10,
 * SERVFAIL and timeouts defer with 4.4.3. MX hosts at or above the
 * preference of one that is this mail system (smtp/self.c) are dropped;
 * when that is the best, the mail bounces with 5.4.6 "loops back to
 * myself" (RFC 5321 5.1).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/queue.h"
#include "lib/queue_read.h"
#include "lib/str.h"
#include "smtp/smtp.h"

static void dlv_next_target(struct smtp_delivery *dlv);
static void dlv_finish(struct smtp_delivery *dlv);

/* dlv_now_s - wall clock seconds */
static double
dlv_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* smtp_rcpt_final - record and log a recipient's result */
void
smtp_rcpt_final(struct smtp_delivery *dlv, struct smtp_rcpt *r,
		enum deliver_status status, const char *dsn, const char *text)
{
	char delay[16], d_a[16], d_c[16], d_d[16];
	uint64_t now = event_now_ms(dlv->sv->loop);
	uint64_t conn = dlv->conn_ms != 0 ? dlv->conn_ms : now;
	const char *d = dsn;
	char fixed[DELIVER_DSN_MAX + 1];

	if (r->done)
		return;
	/* The class must match the status (a 2xx with a 4.x.x code...). */
	if (!deliver_dsn_is_valid(d) ||
	    d[0] != (status == DELIVER_STATUS_SENT       ? '2'
		     : status == DELIVER_STATUS_DEFERRED ? '4'
							 : '5')) {
		snprintf(fixed, sizeof(fixed), "%c.0.0",
			 status == DELIVER_STATUS_SENT       ? '2'
			 : status == DELIVER_STATUS_DEFERRED ? '4'
							     : '5');
		d = fixed;
	}
	r->done = true;
	r->status = status;
	snprintf(r->dsn, sizeof(r->dsn), "%s", d);
	snprintf(r->text, sizeof(r->text), "%s", text);
	snprintf(r->relay, sizeof(r->relay), "%s", dlv->relay);
	dlv->undone--;
	deliver_delay_format(dlv_now_s() - (double)dlv->msg->arrival_us / 1e6,
			     delay, sizeof(delay));
	deliver_delay_format(dlv->queue_delay_s, d_a, sizeof(d_a));
	deliver_delay_format((double)(conn - dlv->start_ms) / 1000, d_c,
			     sizeof(d_c));
	deliver_delay_format((double)(now - conn) / 1000, d_d, sizeof(d_d));
	log_info("%s: to=<%s>, relay=%s, delay=%s, delays=%s/0/%s/%s, "
		 "dsn=%s, status=%s (%s)",
		 dlv->queue_id, log_safe_str(r->address), dlv->relay, delay,
		 d_a, d_c, d_d, r->dsn, deliver_status_name(status),
		 log_safe_str(text));
}

/* dlv_all - the same result for every recipient still undone */
static void
dlv_all(struct smtp_delivery *dlv, enum deliver_status status,
	const char *dsn, const char *text)
{
	size_t i;

	for (i = 0; i < dlv->rcpt_count; i++)
		smtp_rcpt_final(dlv, &dlv->rcpts[i], status, dsn, text);
}

/* dlv_on_finish - finish from the loop */
static void
dlv_on_finish(void *ctx)
{
	struct smtp_delivery *dlv = ctx;

	dlv->defer = NULL;
	dlv_finish(dlv);
}

/* dlv_on_next - try the next target from the loop */
static void
dlv_on_next(void *ctx)
{
	struct smtp_delivery *dlv = ctx;

	dlv->defer = NULL;
	dlv_next_target(dlv);
}

/* dlv_later - run fn(dlv) at the next loop iteration */
static void
dlv_later(struct smtp_delivery *dlv, event_defer_fn *fn)
{
	if (dlv->defer != NULL)
		event_defer_cancel(&dlv->defer);
	dlv->defer = event_defer(dlv->sv->loop, fn, dlv);
}

/* dlv_fail_set - remember the failure that applies to the undone */
static void
dlv_fail_set(struct smtp_delivery *dlv, const char *dsn, const char *text)
{
	snprintf(dlv->fail_dsn, sizeof(dlv->fail_dsn), "%s", dsn);
	snprintf(dlv->fail_text, sizeof(dlv->fail_text), "%s", text);
	dlv->fail_permanent = dsn[0] == '5';
}

/* dlv_finish - every undone recipient gets the last failure; answer */
static void
dlv_finish(struct smtp_delivery *dlv)
{
	if (dlv->sess != NULL)
		smtp_session_release(dlv->sess, dlv->nexthop_text);
	if (dlv->undone > 0) {
		if (dlv->fail_dsn[0] == '\0')
			dlv_fail_set(dlv, "4.4.1",
				     "no server of the destination was reachable");
		dlv_all(dlv,
			dlv->fail_permanent ? DELIVER_STATUS_BOUNCED
					    : DELIVER_STATUS_DEFERRED,
			dlv->fail_dsn, dlv->fail_text);
	}
	smtp_agent_result(dlv->agent, dlv);
}

/*
 * dlv_self_cut - for an MX lookup, the preference of the best MX host that
 * is this mail system itself (UINT_MAX when none is): only hosts with a
 * lower one may be used. Returns true when that leaves none: the mail
 * would come back here (Postfix: "loops back to myself").
 */
static bool
dlv_self_cut(const struct smtp_delivery *dlv, const struct dns_result *res,
	     unsigned *cut_r)
{
	size_t h, a;

	if (!dlv->nh.mx)
		return false;
	for (h = 0; h < res->host_count; h++) {
		const struct dns_host *host = &res->hosts[h];

		for (a = 0; a < host->addr_count; a++) {
			if (smtp_self_is(dlv->sv->self, &host->addrs[a],
					 dlv->nh.port)) {
				*cut_r = host->pref;
				return host->pref <= res->hosts[0].pref;
			}
		}
	}
	return false;
}

/* dlv_on_dns - the next hop's servers */
static void
dlv_on_dns(void *ctx, const struct dns_result *res)
{
	struct smtp_delivery *dlv = ctx;
	size_t limit = param_smtp_mx_address_limit > 0
			       ? (size_t)param_smtp_mx_address_limit
			       : SMTP_TARGETS_MAX;
	unsigned cut = UINT_MAX;
	size_t h, a;

	dlv->dq = NULL;
	if (limit > SMTP_TARGETS_MAX)
		limit = SMTP_TARGETS_MAX;
	switch (res->status) {
	case DNS_OK:
		break;
	case DNS_NULLMX:
		dlv_fail_set(dlv, "5.1.10", res->text);
		dlv_finish(dlv);
		return;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		dlv_fail_set(dlv, dlv->nh.mx ? "5.4.4" : "4.4.4", res->text);
		dlv_finish(dlv);
		return;
	case DNS_TEMPFAIL:
	default:
		dlv_fail_set(dlv, "4.4.3", res->text);
		dlv_finish(dlv);
		return;
	}
	if (dlv_self_cut(dlv, res, &cut)) {
		char text[DELIVER_TEXT_MAX + 1];

		str_format(text, sizeof(text),
			   "mail for %s loops back to myself", dlv->nh.host);
		dlv_fail_set(dlv, "5.4.6", text);
		dlv_finish(dlv);
		return;
	}
	dlv->targets = mem_alloc_array(limit, sizeof(*dlv->targets));
	for (h = 0; h < res->host_count && dlv->target_count < limit; h++) {
		const struct dns_host *host = &res->hosts[h];

		if (host->pref >= cut)
			break;	/* this host, or as bad as it: RFC 5321 5.1 */

		for (a = 0; a < host->addr_count && dlv->target_count < limit;
		     a++) {
			struct smtp_target *t = &dlv->targets[dlv->target_count++];

			snprintf(t->host, sizeof(t->host), "%s", host->name);
			t->addr = host->addrs[a];
		}
	}
	dlv_next_target(dlv);
}

/* dlv_resolve - find the targets of the next hop */
static void
dlv_resolve(struct smtp_delivery *dlv)
{
	struct smtp_server *sv = dlv->sv;

	if (dlv->nh.literal) {
		dlv->targets = mem_alloc(sizeof(*dlv->targets));
		snprintf(dlv->targets[0].host, sizeof(dlv->targets[0].host),
			 "%s", dlv->nh.host);
		dlv->targets[0].addr = dlv->nh.addr;
		dlv->target_count = 1;
		dlv_later(dlv, dlv_on_next);
		return;
	}
	if (dlv->nh.mx)
		dlv->dq = dns_lookup_mx(sv->dns, dlv->nh.host, sv->families,
					dlv_on_dns, dlv);
	else
		dlv->dq = dns_lookup_host(sv->dns, dlv->nh.host, sv->families,
					  dlv_on_dns, dlv);
}

/* dlv_next_target - a session to the next server, or the end */
static void
dlv_next_target(struct smtp_delivery *dlv)
{
	if (dlv->undone == 0 || dlv->next_target >= dlv->target_count ||
	    (param_smtp_mx_session_limit > 0 &&
	     dlv->sessions >= (unsigned)param_smtp_mx_session_limit)) {
		dlv_finish(dlv);
		return;
	}
	dlv->sess = smtp_session_connect(dlv, &dlv->targets[dlv->next_target++]);
}

/*
 * dlv_downgrade_plan - the server takes no 8-bit mail: read the content
 * twice (MIME structure, then where the 8-bit octets are) and keep the
 * conversion when there is something to convert. -1 on a read error.
 */
static int
dlv_downgrade_plan(struct smtp_delivery *dlv)
{
	struct smtp_downgrade *d = smtp_downgrade_new();
	enum queue_err qerr;
	const char *error;
	const uint8_t *p;
	size_t n;
	int pass, rc = 0;

	for (pass = 1; pass <= 2 && rc >= 0; pass++) {
		queue_read_content_rewind(dlv->msg);
		while ((rc = queue_read_content_next(dlv->msg, &p, &n, &qerr,
						     &error)) > 0) {
			if (pass == 1)
				smtp_downgrade_parse(d, p, n);
			else
				smtp_downgrade_check(d, p, n);
		}
		if (rc < 0)
			log_warn("%s: cannot read queue file: %s",
				 dlv->queue_id, error);
		else if (pass == 1)
			smtp_downgrade_parsed(d);
	}
	queue_read_content_rewind(dlv->msg);
	if (rc < 0 || smtp_downgrade_plan(d) == 0) {
		smtp_downgrade_free(&d);
		return rc < 0 ? -1 : 0;
	}
	log_debug("%s: converting 8-bit parts to quoted-printable for %s",
		  dlv->queue_id, dlv->relay);
	dlv->downgrade = d;
	return 0;
}

/* smtp_delivery_session_ready - checks the server's limits, then send */
void
smtp_delivery_session_ready(struct smtp_delivery *dlv)
{
	struct smtp_session *s = dlv->sess;
	char text[DELIVER_TEXT_MAX + 1];
	uint64_t limit;

	if (dlv->conn_ms == 0)
		dlv->conn_ms = event_now_ms(dlv->sv->loop);
	snprintf(dlv->relay, sizeof(dlv->relay), "%s", smtp_session_peer(s));
	limit = smtp_session_size_limit(s);
	if (limit > 0 && dlv->msg->content_size > limit) {
		str_format(text, sizeof(text),
			 "message size %llu exceeds size limit %llu of server "
			 "%s",
			 (unsigned long long)dlv->msg->content_size,
			 (unsigned long long)limit, smtp_session_peer(s));
		dlv_all(dlv, DELIVER_STATUS_BOUNCED, "5.3.4", text);
		dlv_later(dlv, dlv_on_finish);
		return;
	}
	if (dlv->needs_smtputf8 &&
	    !(smtp_session_features(s) & SMTP_EXT_SMTPUTF8)) {
		str_format(text, sizeof(text),
			 "SMTPUTF8 is required, but was not offered by host %s",
			 smtp_session_peer(s));
		dlv_all(dlv, DELIVER_STATUS_BOUNCED, "5.6.7", text);
		dlv_later(dlv, dlv_on_finish);
		return;
	}
	smtp_downgrade_free(&dlv->downgrade);
	if (!(smtp_session_features(s) & SMTP_EXT_8BITMIME) &&
	    (dlv->msg->body == QUEUE_BODY_8BITMIME ||
	     dlv->msg->body == QUEUE_BODY_BINARYMIME) &&
	    dlv_downgrade_plan(dlv) < 0) {
		dlv_all(dlv, DELIVER_STATUS_DEFERRED, "4.3.0",
			"cannot read queue file");
		dlv_later(dlv, dlv_on_finish);
		return;
	}
	smtp_session_send(s);
}

/* smtp_delivery_session_failed - the session is gone; what next */
void
smtp_delivery_session_failed(struct smtp_delivery *dlv, const char *dsn,
			     const char *text, bool next)
{
	dlv->sess = NULL;
	if (dlv->targets == NULL && dlv->dq == NULL) {
		/* A cached session failed its RSET: start afresh. */
		log_debug("%s: cached session failed: %s", dlv->queue_id,
			  text);
		snprintf(dlv->relay, sizeof(dlv->relay), "none");
		dlv_resolve(dlv);
		return;
	}
	dlv_fail_set(dlv, dsn, text);
	if (next && dlv->undone > 0) {
		/* Postfix logs each server it gives up on, without an ID. */
		if (dlv->next_target < dlv->target_count)
			log_info("%s", text);
		dlv_later(dlv, dlv_on_next);
	}
	else
		dlv_later(dlv, dlv_on_finish);
}

/* smtp_delivery_txn_done - the server answered for everyone it heard of */
void
smtp_delivery_txn_done(struct smtp_delivery *dlv)
{
	if (dlv->undone > 0 && dlv->fail_dsn[0] == '\0')
		dlv_fail_set(dlv, "4.4.2", "transaction ended without a result");
	dlv_later(dlv, dlv_on_finish);
}

/* dlv_is_ascii - whether s has no byte above 0x7f */
static bool
dlv_is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s > 0x7f)
			return false;
	return true;
}

/* dlv_open - the queue file; recipients checked against it */
static int
dlv_open(struct smtp_delivery *dlv, const struct deliver_request *req)
{
	char path[4096];
	enum queue_err qerr = QUEUE_ERR_IO;
	const char *error = "path too long";
	size_t i;

	if (queue_path(param_queue_directory, QUEUE_STATE_ACTIVE,
		       req->queue_id, path, sizeof(path)) < 0 ||
	    queue_read_open(path, 0, &dlv->msg, &qerr, &error) < 0) {
		log_warn("%s: cannot open queue file: %s (%s)", req->queue_id,
			 queue_err_name(qerr), error);
		return 0;
	}
	/* SECURITY: check every index before doing anything. */
	for (i = 0; i < req->rcpt_count; i++) {
		if (req->rcpt_index[i] >= dlv->msg->rcpt_count) {
			log_warn("%s: recipient index %lu out of range "
				 "(%lu recipients)",
				 req->queue_id,
				 (unsigned long)req->rcpt_index[i],
				 (unsigned long)dlv->msg->rcpt_count);
			return -1;
		}
	}
	return 1;
}

/* smtp_delivery_start - take a request */
struct smtp_delivery *
smtp_delivery_start(struct smtp_agent *agent, uint32_t request_id,
		    const struct deliver_request *req)
{
	struct smtp_delivery *dlv = mem_alloc(sizeof(*dlv));
	struct smtp_server *sv = agent->sv;
	const char *error;
	size_t i;
	int rc;

	dlv->sv = sv;
	dlv->agent = agent;
	dlv->request_id = request_id;
	dlv->start_ms = event_now_ms(sv->loop);
	snprintf(dlv->queue_id, sizeof(dlv->queue_id), "%s", req->queue_id);
	snprintf(dlv->nexthop_text, sizeof(dlv->nexthop_text), "%s",
		 req->nexthop);
	snprintf(dlv->relay, sizeof(dlv->relay), "none");
	rc = dlv_open(dlv, req);
	if (rc < 0) {
		queue_read_free(&dlv->msg);
		mem_free(&dlv);
		return NULL;
	}
	dlv->rcpts = mem_alloc_array(req->rcpt_count, sizeof(*dlv->rcpts));
	dlv->rcpt_count = req->rcpt_count;
	dlv->undone = req->rcpt_count;
	for (i = 0; i < req->rcpt_count; i++)
		dlv->rcpts[i].index = req->rcpt_index[i];
	if (rc == 0) {
		/* Nothing to log per recipient: no message to speak of. */
		for (i = 0; i < dlv->rcpt_count; i++) {
			struct smtp_rcpt *r = &dlv->rcpts[i];

			r->done = true;
			r->address = "";
			r->status = DELIVER_STATUS_DEFERRED;
			snprintf(r->dsn, sizeof(r->dsn), "4.3.0");
			snprintf(r->text, sizeof(r->text),
				 "cannot read queue file");
			snprintf(r->relay, sizeof(r->relay), "none");
		}
		dlv->undone = 0;
		dlv_later(dlv, dlv_on_finish);
		return dlv;
	}
	dlv->queue_delay_s =
	    dlv_now_s() - (double)dlv->msg->arrival_us / 1e6;
	dlv->needs_smtputf8 = !dlv_is_ascii(dlv->msg->sender);
	for (i = 0; i < dlv->rcpt_count; i++) {
		struct smtp_rcpt *r = &dlv->rcpts[i];
		const struct queue_rcpt *qr = &dlv->msg->rcpts[r->index];

		r->address = qr->address;
		if (!dlv_is_ascii(qr->address))
			dlv->needs_smtputf8 = true;
		/* qmgr asks only for pending ones; say what is. */
		if (qr->status == QUEUE_RCPT_DELIVERED)
			smtp_rcpt_final(dlv, r, DELIVER_STATUS_SENT, "2.0.0",
					"already delivered");
		else if (qr->status == QUEUE_RCPT_BOUNCED)
			smtp_rcpt_final(dlv, r, DELIVER_STATUS_BOUNCED, "5.0.0",
					"already bounced");
	}
	if (nexthop_parse(req->nexthop, sv->port, &dlv->nh, &error) < 0) {
		char text[DELIVER_TEXT_MAX + 1];

		str_format(text, sizeof(text), "bad next hop \"%s\": %s",
			 log_safe_str(req->nexthop), error);
		log_warn("%s: %s", dlv->queue_id, text);
		dlv_fail_set(dlv, "4.3.5", text);
		dlv_later(dlv, dlv_on_finish);
		return dlv;
	}
	if (dlv->undone == 0) {
		dlv_later(dlv, dlv_on_finish);
		return dlv;
	}
	dlv->sess = smtp_session_cache_take(sv, dlv->nexthop_text);
	if (dlv->sess != NULL) {
		smtp_session_reuse(dlv->sess, dlv);
		return dlv;
	}
	dlv_resolve(dlv);
	return dlv;
}

/* smtp_delivery_abort - stop everything, answer nobody */
void
smtp_delivery_abort(struct smtp_delivery **dlvp)
{
	struct smtp_delivery *dlv = *dlvp;

	if (dlv == NULL)
		return;
	event_defer_cancel(&dlv->defer);
	dns_query_cancel(&dlv->dq);
	if (dlv->sess != NULL)
		smtp_session_abandon(dlv->sess);
	smtp_delivery_free(dlvp);
}

/* smtp_delivery_free - release a delivery whose result was sent */
void
smtp_delivery_free(struct smtp_delivery **dlvp)
{
	struct smtp_delivery *dlv = *dlvp;

	if (dlv == NULL)
		return;
	event_defer_cancel(&dlv->defer);
	dns_query_cancel(&dlv->dq);
	smtp_downgrade_free(&dlv->downgrade);
	queue_read_free(&dlv->msg);
	mem_free(&dlv->rcpts);
	mem_free(&dlv->targets);
	mem_free(dlvp);
}
