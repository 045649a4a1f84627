/*
 * schedule.c - destinations, request entries and the dispatch loop.
 *
 *   qmgr_new / qmgr_free    the scheduler's state
 *   qmgr_schedule_message   group a message's recipients into entries
 *   qmgr_schedule_kick      run the dispatch loop at the next iteration
 *   qmgr_schedule_run       hand queued entries to agents
 *   qmgr_entry_done         a request is over
 *   qmgr_entry_requeue      an abandoned request goes back in line
 *   qmgr_dest_find          destination lookup
 *
 * A destination is a transport plus a next hop. Its entries wait in FIFO
 * order; at most the transport's destination concurrency are in flight.
 * Destinations with waiting entries sit on a ready list served round robin,
 * one entry per destination per round, so one busy domain cannot starve
 * the others. A destination with nothing queued or in flight is freed, so
 * memory follows the loaded messages. Entries own their slot arrays;
 * destinations own nothing but their name. No I/O here except through
 * agent.c; no privilege.
 */
#include <string.h>

#include "lib/checked.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/str.h"
#include "qmgr/qmgr.h"

/* Smallest hash table, in buckets. */
#define QMGR_HASH_MIN 64

/* schedule_list - a lower-cased list parameter (never NULL) */
static char **
schedule_list(const char *value)
{
	char **list = str_split(value != NULL ? value : "",
				PARAM_LIST_SEPARATORS, NULL);
	char **p;

	for (p = list; *p != NULL; p++)
		str_lower(*p);
	return list;
}

/*
 * schedule_transport_lookup - transport_maps, in order; each table is
 * opened on first use and kept (a handle follows its rebuilt file)
 */
static int
schedule_transport_lookup(void *ctx, const char *key, const char **value_r)
{
	struct qmgr *q = ctx;
	const char *error;
	size_t i;
	int rc;

	for (i = 0; q->transport_specs[i] != NULL; i++) {
		struct dict **slot = &q->transport_dicts[i];

		if (*slot == NULL &&
		    (*slot = dict_open(q->transport_specs[i], DICT_FLAG_FOLD_CASE,
				       &error)) == NULL) {
			log_warn("transport_maps %s: %s", q->transport_specs[i],
				 error);
			return -1;
		}
		rc = dict_lookup(*slot, key, value_r, &error);
		if (rc < 0)
			log_warn("transport_maps %s: %s", q->transport_specs[i],
				 error);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * qmgr_transport_index - the index of transport name, added on first use.
 * Returns -1 when QMGR_TRANSPORT_MAX transports are known already.
 */
int
qmgr_transport_index(struct qmgr *q, const char *name)
{
	struct qmgr_transport *tp;
	int64_t limit;
	size_t i;

	for (i = 0; i < q->transport_count; i++)
		if (strcmp(q->transports[i].name, name) == 0)
			return (int)i;
	if (q->transport_count >= QMGR_TRANSPORT_MAX)
		return -1;
	tp = &q->transports[q->transport_count];
	memset(tp, 0, sizeof(*tp));
	tp->name = mem_strdup(name);
	if (strcmp(name, "local") == 0)
		limit = param_local_destination_concurrency_limit;
	else if (strcmp(name, "smtp") == 0)
		limit = param_smtp_destination_concurrency_limit;
	else
		limit = param_default_destination_concurrency_limit;
	tp->dest_concurrency = limit > 0 ? (size_t)limit : 1;
	return (int)q->transport_count++;
}

/* schedule_hash_size - a power of two of at least n buckets */
static size_t
schedule_hash_size(size_t n)
{
	size_t size = QMGR_HASH_MIN;

	while (size < n && size < ((size_t)1 << 30))
		size <<= 1;
	return size;
}

/* qmgr_new - the scheduler, configured from the parameters */
struct qmgr *
qmgr_new(struct event_loop *loop, const char *queue_dir)
{
	struct qmgr *q = mem_alloc(sizeof(*q));
	size_t n = 0;

	q->loop = loop;
	q->queue_dir = queue_dir;
	q->route.local_domains = schedule_list(param_mydestination);
	q->route.virtual_domains = schedule_list(param_virtual_mailbox_domains);
	q->route.relayhost = param_relayhost != NULL ? param_relayhost : "";
	q->route.myhostname =
	    param_myhostname != NULL ? param_myhostname : "localhost";
	q->route.default_transport =
	    param_default_transport != NULL ? param_default_transport : "smtp";
	q->transport_specs = str_split(
	    param_transport_maps != NULL ? param_transport_maps : "",
	    PARAM_LIST_SEPARATORS, &n);
	q->transport_dicts = mem_alloc_array(n + 1, sizeof(*q->transport_dicts));
	if (n > 0) {
		q->route.lookup = schedule_transport_lookup;
		q->route.lookup_ctx = q;
	}
	/* A bounce that cannot be delivered always goes to the postmaster
	 * (docs/bounces.md); "2bounce" in notify_classes changes nothing. */
	q->notify_2bounce = true;
	q->message_limit = param_qmgr_message_active_limit > 0
				   ? (size_t)param_qmgr_message_active_limit
				   : 1;
	q->rcpt_limit = qmgr_rcpt_limit(param_default_destination_recipient_limit);
	q->msg_hash_size = schedule_hash_size(q->message_limit);
	q->msg_hash = mem_alloc_array(q->msg_hash_size, sizeof(*q->msg_hash));
	q->dest_hash_size = schedule_hash_size(q->message_limit / 4);
	q->dest_hash = mem_alloc_array(q->dest_hash_size, sizeof(*q->dest_hash));
	return q;
}

/* schedule_dest_free - release a destination and its queued entries */
static void
schedule_dest_free(struct qmgr_dest **dest)
{
	struct qmgr_entry *e, *next;

	for (e = (*dest)->queue_head; e != NULL; e = next) {
		next = e->next;
		mem_free(&e->slots);
		mem_free(&e);
	}
	mem_free(&(*dest)->nexthop);
	mem_free(dest);
}

/* qmgr_free - drop all state; queue files stay where they are */
void
qmgr_free(struct qmgr **qp)
{
	struct qmgr *q = *qp;
	size_t i;

	if (q == NULL)
		return;
	/* Closing connections abandons their entries: free those first. */
	qmgr_agent_close_all(q);
	for (i = 0; i < q->dest_hash_size; i++) {
		while (q->dest_hash[i] != NULL) {
			struct qmgr_dest *d = q->dest_hash[i];

			q->dest_hash[i] = d->hash_next;
			schedule_dest_free(&d);
		}
	}
	for (i = 0; i < q->msg_hash_size; i++) {
		while (q->msg_hash[i] != NULL) {
			struct qmgr_message *m = q->msg_hash[i];

			q->msg_hash[i] = m->hash_next;
			qmgr_message_free(&m);
		}
	}
	event_defer_cancel(&q->schedule_defer);
	event_timer_remove(&q->retry_timer);
	event_timer_remove(&q->run_timer);
	event_timer_remove(&q->scan_timer);
	mem_free(&q->msg_hash);
	mem_free(&q->dest_hash);
	str_split_free(&q->route.local_domains);
	str_split_free(&q->route.virtual_domains);
	for (i = 0; q->transport_specs[i] != NULL; i++)
		if (q->transport_dicts[i] != NULL)
			dict_close(&q->transport_dicts[i]);
	mem_free(&q->transport_dicts);
	str_split_free(&q->transport_specs);
	for (i = 0; i < q->transport_count; i++)
		mem_free(&q->transports[i].name);
	mem_free(qp);
}

/* schedule_dest_hash - bucket of (transport, nexthop): FNV-1a */
static size_t
schedule_dest_hash(const struct qmgr *q, unsigned transport,
		   const char *nexthop)
{
	uint32_t h = 2166136261u ^ (uint32_t)transport;

	for (; *nexthop != '\0'; nexthop++) {
		h ^= (uint8_t)*nexthop;
		h *= 16777619u;
	}
	return h & (q->dest_hash_size - 1);
}

/* qmgr_dest_find - look a destination up */
struct qmgr_dest *
qmgr_dest_find(struct qmgr *q, unsigned transport,
	       const char *nexthop)
{
	struct qmgr_dest *d;

	d = q->dest_hash[schedule_dest_hash(q, transport, nexthop)];
	for (; d != NULL; d = d->hash_next)
		if (d->transport == transport && strcmp(d->nexthop, nexthop) == 0)
			return d;
	return NULL;
}

/* schedule_dest_get - find or create a destination */
static struct qmgr_dest *
schedule_dest_get(struct qmgr *q, unsigned transport,
		  const char *nexthop)
{
	struct qmgr_dest *d = qmgr_dest_find(q, transport, nexthop);
	size_t bucket;

	if (d != NULL)
		return d;
	d = mem_alloc(sizeof(*d));
	d->transport = transport;
	d->nexthop = mem_strdup(nexthop);
	bucket = schedule_dest_hash(q, transport, nexthop);
	d->hash_next = q->dest_hash[bucket];
	q->dest_hash[bucket] = d;
	q->dest_count++;
	return d;
}

/* schedule_ready_add - put d on the ready list (idempotent) */
static void
schedule_ready_add(struct qmgr *q, struct qmgr_dest *d)
{
	if (d->on_ready)
		return;
	d->on_ready = true;
	d->ready_next = NULL;
	d->ready_prev = q->ready_tail;
	if (q->ready_tail != NULL)
		q->ready_tail->ready_next = d;
	else
		q->ready_head = d;
	q->ready_tail = d;
}

/* schedule_ready_remove - take d off the ready list */
static void
schedule_ready_remove(struct qmgr *q, struct qmgr_dest *d)
{
	if (!d->on_ready)
		return;
	if (d->ready_prev != NULL)
		d->ready_prev->ready_next = d->ready_next;
	else
		q->ready_head = d->ready_next;
	if (d->ready_next != NULL)
		d->ready_next->ready_prev = d->ready_prev;
	else
		q->ready_tail = d->ready_prev;
	d->ready_prev = d->ready_next = NULL;
	d->on_ready = false;
}

/* schedule_dest_release - free d when nothing waits or runs there */
static void
schedule_dest_release(struct qmgr *q, struct qmgr_dest *d)
{
	struct qmgr_dest **pp;

	if (d->queued > 0 || d->busy > 0)
		return;
	schedule_ready_remove(q, d);
	pp = &q->dest_hash[schedule_dest_hash(q, d->transport, d->nexthop)];
	while (*pp != d)
		pp = &(*pp)->hash_next;
	*pp = d->hash_next;
	q->dest_count--;
	schedule_dest_free(&d);
}

/* schedule_enqueue - append e to its destination's queue */
static void
schedule_enqueue(struct qmgr *q, struct qmgr_entry *e)
{
	struct qmgr_dest *d = e->dest;

	e->next = NULL;
	if (d->queue_tail != NULL)
		d->queue_tail->next = e;
	else
		d->queue_head = e;
	d->queue_tail = e;
	d->queued++;
	schedule_ready_add(q, d);
}

/* schedule_entry_add_slot - append one recipient slot to e */
static void
schedule_entry_add_slot(struct qmgr_entry *e, size_t slot, size_t limit)
{
	MR_ASSERT(e->slot_count < limit);
	if (e->slot_count == e->slot_cap) {
		size_t cap;

		if (!checked_grow(e->slot_cap, e->slot_count + 1, limit, &cap))
			log_panic("entry slots: growth past %zu", limit);
		e->slots = mem_realloc_array(e->slots, cap, sizeof(*e->slots));
		e->slot_cap = cap;
	}
	e->slots[e->slot_count++] = (uint32_t)slot;
}

/* qmgr_schedule_message - group recipients into per-destination entries */
void
qmgr_schedule_message(struct qmgr *q, struct qmgr_message *msg)
{
	struct qmgr_route route;
	const char *error;
	struct qmgr_entry *e;
	struct qmgr_dest *d;
	int transport;
	size_t i;

	for (i = 0; i < msg->rcpt_count; i++) {
		struct qmgr_rcpt *r = &msg->rcpts[i];

		if (r->state != QMGR_RCPT_TODO)
			continue;
		if (qmgr_route(&q->route, r->address, &route, &error) < 0) {
			log_warn("%s: to=<%s>: cannot route: %s", msg->id,
				 log_safe_str(r->address), error);
			r->state = QMGR_RCPT_DEFERRED;
			continue;
		}
		if ((transport = qmgr_transport_index(q, route.transport)) <
		    0) {
			log_warn("%s: to=<%s>: cannot route: more than %d "
				 "transports in use",
				 msg->id, log_safe_str(r->address),
				 QMGR_TRANSPORT_MAX);
			r->state = QMGR_RCPT_DEFERRED;
			continue;
		}
		d = schedule_dest_get(q, (unsigned)transport, route.nexthop);
		/*
		 * Nothing is dispatched during this call, so the tail of d's
		 * queue is this message's open entry if it has one.
		 */
		e = d->queue_tail;
		if (e == NULL || e->msg != msg ||
		    e->slot_count >= q->rcpt_limit) {
			e = mem_alloc(sizeof(*e));
			e->msg = msg;
			e->dest = d;
			msg->entries++;
			schedule_enqueue(q, e);
		}
		schedule_entry_add_slot(e, i, q->rcpt_limit);
		r->state = QMGR_RCPT_BUSY;
	}
	if (msg->entries == 0)
		qmgr_message_finish(q, msg);
	else
		qmgr_schedule_kick(q);
}

/* schedule_on_defer - the deferred dispatch call */
static void
schedule_on_defer(void *ctx)
{
	struct qmgr *q = ctx;

	q->schedule_defer = NULL;
	qmgr_schedule_run(q);
}

/* qmgr_schedule_kick - dispatch at the next loop iteration */
void
qmgr_schedule_kick(struct qmgr *q)
{
	if (q->schedule_defer == NULL)
		q->schedule_defer = event_defer(q->loop, schedule_on_defer, q);
}

/* schedule_on_retry - the agent's listen queue had room again, maybe */
static void
schedule_on_retry(void *ctx)
{
	qmgr_schedule_run(ctx);
}

/* schedule_pop - take the first entry off d's queue */
static struct qmgr_entry *
schedule_pop(struct qmgr_dest *d)
{
	struct qmgr_entry *e = d->queue_head;

	d->queue_head = e->next;
	if (d->queue_head == NULL)
		d->queue_tail = NULL;
	e->next = NULL;
	d->queued--;
	return e;
}

/* schedule_rotate - d goes to the ready list's tail, or off it when empty */
static void
schedule_rotate(struct qmgr *q, struct qmgr_dest *d)
{
	schedule_ready_remove(q, d);
	if (d->queue_head != NULL)
		schedule_ready_add(q, d);
}

/*
 * schedule_dispatch_one - send d's next entry if concurrency allows;
 * returns true when an entry left the queue (d may be freed then).
 * Destinations at their concurrency limit leave the ready list; the end
 * of a request puts them back (qmgr_entry_done).
 */
static bool
schedule_dispatch_one(struct qmgr *q, struct qmgr_dest *d, bool *blocked)
{
	struct qmgr_transport *tp = &q->transports[d->transport];
	struct qmgr_conn *conn = NULL;
	struct qmgr_entry *e;

	if (d->queue_head == NULL || d->busy >= tp->dest_concurrency) {
		schedule_ready_remove(q, d);
		return false;
	}
	if (blocked[d->transport])
		return false;
	switch (qmgr_agent_get(q, d->transport, &conn)) {
	case QMGR_AGENT_OK:
		e = schedule_pop(d);
		d->busy++;
		schedule_rotate(q, d);
		qmgr_agent_send(q, conn, e);
		return true;
	case QMGR_AGENT_BUSY:
		blocked[d->transport] = true;
		return false;
	case QMGR_AGENT_UNAVAILABLE:
		e = schedule_pop(d);
		d->busy++;
		schedule_rotate(q, d);
		qmgr_entry_defer(q, e, "4.3.0", "mail transport unavailable");
		qmgr_entry_done(q, e);
		return true;
	}
	return false;
}

/*
 * qmgr_schedule_run - round robin over ready destinations: a destination
 * that sent moves to the tail, so each gets one request per round.
 */
void
qmgr_schedule_run(struct qmgr *q)
{
	bool blocked[QMGR_TRANSPORT_MAX];
	bool progress, any_blocked = false;
	size_t t;

	memset(blocked, 0, sizeof(blocked));
	do {
		struct qmgr_dest *d = q->ready_head, *next;

		progress = false;
		while (d != NULL) {
			/* Only d itself can be freed by its dispatch. */
			next = d->ready_next;
			if (schedule_dispatch_one(q, d, blocked))
				progress = true;
			d = next;
		}
	} while (progress);
	for (t = 0; t < q->transport_count; t++)
		any_blocked = any_blocked || blocked[t];
	if (any_blocked && q->ready_head != NULL) {
		if (q->retry_timer == NULL)
			q->retry_timer = event_timer_add(
			    q->loop, QMGR_CONNECT_RETRY_MS, schedule_on_retry, q);
		else if (!event_timer_is_armed(q->retry_timer))
			event_timer_reset(q->retry_timer, QMGR_CONNECT_RETRY_MS);
	}
}

/* qmgr_entry_done - release a finished request, finish its message */
void
qmgr_entry_done(struct qmgr *q, struct qmgr_entry *e)
{
	struct qmgr_dest *d = e->dest;
	struct qmgr_message *msg = e->msg;

	MR_ASSERT(d->busy > 0);
	d->busy--;
	mem_free(&e->slots);
	mem_free(&e);
	if (d->queue_head != NULL)
		schedule_ready_add(q, d);
	schedule_dest_release(q, d);
	MR_ASSERT(msg->entries > 0);
	msg->entries--;
	if (msg->entries == 0)
		qmgr_message_finish(q, msg);
	qmgr_schedule_kick(q);
}

/* qmgr_entry_requeue - back to the head of its destination's queue */
void
qmgr_entry_requeue(struct qmgr *q, struct qmgr_entry *e)
{
	struct qmgr_dest *d = e->dest;

	MR_ASSERT(d->busy > 0);
	d->busy--;
	e->next = d->queue_head;
	d->queue_head = e;
	if (d->queue_tail == NULL)
		d->queue_tail = e;
	d->queued++;
	schedule_ready_add(q, d);
	qmgr_schedule_kick(q);
}
