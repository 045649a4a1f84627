/*
 * test_policy.c - unit tests for qmgr/policy.c and the grouping in
 * qmgr/schedule.c: tables for routing, back-off, expiry, delay warnings,
 * the recipient limit, and the split of a message's recipients into
 * per-destination requests.
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "lib/event.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/queue_file.h"
#include "qmgr/qmgr.h"

static char *local_domains[] = { "localhost", "mail.example.com", NULL };
static char *virtual_domains[] = { "virt.example", NULL };

struct route_row {
	const char *relayhost;
	const char *default_transport;
	const char *address;
	int ret;
	const char *transport;
	const char *nexthop;
};

static const struct route_row route_rows[] = {
	{ "", "smtp", "alice@localhost", 0, "local", "localhost" },
	{ "", "smtp", "alice@LocalHost", 0, "local", "localhost" },
	{ "", "smtp", "bob@mail.example.com", 0, "local", "mail.example.com" },
	{ "", "smtp", "v@virt.example", 0, "local", "virt.example" },
	{ "", "smtp", "x@Remote.Example", 0, "smtp", "remote.example" },
	{ "", "smtp", "x@sub.localhost", 0, "smtp", "sub.localhost" },
	{ "", "smtp", "\"a@b\"@remote.example", 0, "smtp", "remote.example" },
	{ "", "smtp", "postmaster", 0, "local", "host.example.com" },
	{ "", "smtp", "trailing@", 0, "local", "host.example.com" },
	{ "[relay.example]:587", "smtp", "x@remote.example", 0, "smtp",
	  "[relay.example]:587" },
	{ "[relay.example]", "smtp", "alice@localhost", 0, "local",
	  "localhost" },
	/* default_transport: a bare name keeps relayhost, a next hop wins */
	{ "[relay.example]", "relay", "x@remote.example", 0, "relay",
	  "[relay.example]" },
	{ "[relay.example]", "smtp:[other.example]:2525", "x@remote.example",
	  0, "smtp", "[other.example]:2525" },
	{ "", "Bad/Name", "x@remote.example", -1, "", "" },
	/* transport_maps (see route_table) */
	{ "[relay.example]", "smtp", "x@mapped.example", 0, "smtp",
	  "[10.0.0.1]:2525" },
	{ "[relay.example]", "smtp", "x@a.sub.example", 0, "relay",
	  "a.sub.example" },
	{ "[relay.example]", "smtp", "boss@special.example", 0, "local",
	  "special.example" },
	{ "[relay.example]", "smtp", "other@special.example", 0, "smtp",
	  "[mx.special.example]" },
	{ "", "smtp", "alice@mail.example.com", 0, "local",
	  "mail.example.com" },
	{ "", "smtp", "x@local-override.example", 0, "smtp",
	  "[127.0.0.1]:10025" },
	{ "", "smtp", "x@broken.example", -1, "", "" },
	{ "", "smtp", "x@fail.example", -1, "", "" },
};

/* The transport table the route tests see. */
static const char *const route_table[][2] = {
	{ "mapped.example", "smtp:[10.0.0.1]:2525" },
	{ ".sub.example", "relay:" },
	{ "boss@special.example", "local" },
	{ "special.example", ":[mx.special.example]" },
	{ "local-override.example", "smtp:[127.0.0.1]:10025" },
	{ "broken.example", "no/such transport:x" },
};

/* route_table_lookup - the fake table of the route tests */
static int
route_table_lookup(void *ctx, const char *key, const char **value_r)
{
	size_t i;

	(void)ctx;
	if (strcmp(key, "fail.example") == 0)
		return -1;
	for (i = 0; i < sizeof(route_table) / sizeof(route_table[0]); i++)
		if (strcmp(route_table[i][0], key) == 0) {
			*value_r = route_table[i][1];
			return 1;
		}
	return 0;
}

/* test_route - the routing table */
static void
test_route(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(route_rows) / sizeof(route_rows[0]); i++) {
		const struct route_row *row = &route_rows[i];
		struct qmgr_route_config cfg = {
			local_domains, virtual_domains, row->relayhost,
			"host.example.com", row->default_transport,
			route_table_lookup, NULL,
		};
		struct qmgr_route r;
		const char *error = NULL;

		memset(&r, 0, sizeof(r));
		assert_int_equal(qmgr_route(&cfg, row->address, &r, &error),
				 row->ret);
		if (row->ret < 0) {
			assert_non_null(error);
			continue;
		}
		assert_string_equal(r.transport, row->transport);
		assert_string_equal(r.nexthop, row->nexthop);
	}
}

/* test_route_too_long - a next hop that cannot fit is refused */
static void
test_route_too_long(void **state)
{
	struct qmgr_route_config cfg = { local_domains, virtual_domains, "",
					 "h", "smtp", NULL, NULL };
	char address[DELIVER_NEXTHOP_MAX + 10];
	struct qmgr_route r;
	const char *error;

	(void)state;
	memset(address, 'a', sizeof(address) - 1);
	address[0] = 'x';
	address[1] = '@';
	address[sizeof(address) - 1] = '\0';
	assert_int_equal(qmgr_route(&cfg, address, &r, &error), -1);
	assert_int_equal(qmgr_route(&cfg, "x@a.ex", &r, &error), 0);
	assert_string_equal(r.nexthop, "a.ex");
}

struct backoff_row {
	int64_t age, min, max, expect;
};

static const struct backoff_row backoff_rows[] = {
	{ 0, 300, 4000, 300 },
	{ -5, 300, 4000, 300 },	/* clock went back */
	{ 299, 300, 4000, 300 },
	{ 300, 300, 4000, 300 },
	{ 1234, 300, 4000, 1234 },
	{ 4000, 300, 4000, 4000 },
	{ 400000, 300, 4000, 4000 },
	{ 100, 300, 200, 300 },	/* max below min: min wins */
};

/* test_backoff - Postfix's clamp */
static void
test_backoff(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(backoff_rows) / sizeof(backoff_rows[0]); i++)
		assert_int_equal(qmgr_backoff_s(backoff_rows[i].age,
						backoff_rows[i].min,
						backoff_rows[i].max),
				 backoff_rows[i].expect);
}

struct expiry_row {
	int64_t age;
	bool null_sender;
	int64_t max_lifetime, bounce_lifetime;
	bool expect;
};

static const struct expiry_row expiry_rows[] = {
	{ 0, false, 432000, 432000, false },
	{ 431999, false, 432000, 432000, false },
	{ 432000, false, 432000, 432000, true },
	{ 500000, false, 432000, 432000, true },
	{ 3600, true, 432000, 3600, true },	/* null sender: bounce lifetime */
	{ 3599, true, 432000, 3600, false },
	{ 3600, false, 432000, 3600, false },
	{ 0, false, 0, 432000, true },		/* lifetime 0: first deferral */
};

/* test_expiry - lifetime by sender */
static void
test_expiry(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(expiry_rows) / sizeof(expiry_rows[0]); i++) {
		const struct expiry_row *r = &expiry_rows[i];

		assert_int_equal(qmgr_is_expired(r->age, r->null_sender,
						 r->max_lifetime,
						 r->bounce_lifetime),
				 r->expect);
	}
}

struct warn_row {
	int64_t age, warning_time;
	bool warned;
	const char *sender;
	unsigned int notify;
	bool expect;
};

#define DBS "double-bounce"
#define H 3600

static const struct warn_row warn_rows[] = {
	/* The timing: on from delay_warning_time, never when it is 0. */
	{ 4 * H, 4 * H, false, "a@example.org", 0, true },
	{ 4 * H - 1, 4 * H, false, "a@example.org", 0, false },
	{ 5 * 86400, 4 * H, false, "a@example.org", 0, true },
	{ 0, 0, false, "a@example.org", 0, false },
	{ 5 * 86400, 0, false, "a@example.org", 0, false },
	{ 2, 1, false, "a@example.org", 0, true },
	{ -5, 1, false, "a@example.org", 0, false },	/* clock went back */
	/* Once per message. */
	{ 5 * H, 4 * H, true, "a@example.org", 0, false },
	/* RFC 5321 4.5.5: nothing to the null sender; nor to postmaster
	 * notices from double_bounce_sender. */
	{ 5 * H, 4 * H, false, "", 0, false },
	{ 5 * H, 4 * H, false, "", QUEUE_NOTIFY_DELAY, false },
	{ 5 * H, 4 * H, false, DBS, 0, false },
	{ 5 * H, 4 * H, false, DBS "@host.example.com", 0, false },
	/* RFC 3461 4.1: no NOTIFY means FAILURE,DELAY. */
	{ 5 * H, 4 * H, false, "a@example.org", QUEUE_NOTIFY_DELAY, true },
	{ 5 * H, 4 * H, false, "a@example.org",
	  QUEUE_NOTIFY_FAILURE | QUEUE_NOTIFY_DELAY, true },
	{ 5 * H, 4 * H, false, "a@example.org",
	  QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_DELAY, true },
	{ 5 * H, 4 * H, false, "a@example.org", QUEUE_NOTIFY_FAILURE, false },
	{ 5 * H, 4 * H, false, "a@example.org", QUEUE_NOTIFY_SUCCESS, false },
	{ 5 * H, 4 * H, false, "a@example.org", QUEUE_NOTIFY_NEVER, false },
	{ 5 * H, 4 * H, true, "a@example.org", QUEUE_NOTIFY_DELAY, false },
	{ 4 * H - 1, 4 * H, false, "a@example.org", QUEUE_NOTIFY_DELAY,
	  false },
};

/* test_can_warn_delay - "send a delay warning now?" */
static void
test_can_warn_delay(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(warn_rows) / sizeof(warn_rows[0]); i++) {
		const struct warn_row *r = &warn_rows[i];

		if (qmgr_can_warn_delay(r->age, r->warning_time, r->warned,
					r->sender, r->notify, DBS) != r->expect)
			fail_msg("warn_rows[%zu]: expected %d", i, r->expect);
	}
	/* No double_bounce_sender configured: only the null sender is out. */
	assert_true(qmgr_can_warn_delay(5 * H, 4 * H, false, DBS, 0, NULL));
	assert_false(qmgr_can_warn_delay(5 * H, 4 * H, false, "", 0, NULL));
}

/* test_rcpt_limit - clamped to the protocol's range */
static void
test_rcpt_limit(void **state)
{
	static const int64_t in[] = { -1, 0, 1, 50, 1000, 1001, 100000 };
	static const size_t out[] = { 1, 1, 1, 50, 1000, 1000, 1000 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		assert_int_equal(qmgr_rcpt_limit(in[i]), out[i]);
}

/* test_delay_format - Postfix's delay= */
static void
test_delay_format(void **state)
{
	static const double in[] = { 0, 0.123, 1.5, 9.99, 12.4, 3600, -1 };
	static const char *out[] = { "0", "0.12", "1.5", "10", "12", "3600",
				     "0" };
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		deliver_delay_format(in[i], buf, sizeof(buf));
		assert_string_equal(buf, out[i]);
	}
}

/*
 * A grouping row: recipient addresses of one message and the recipient
 * limit; expected: for each destination "transport/nexthop", the sizes of
 * its queued entries in order.
 */
struct group_row {
	const char *rcpts[8];
	int64_t limit;
	const char *dests[4];
	size_t sizes[4][4];
};

static const struct group_row group_rows[] = {
	{ { "a@localhost", NULL }, 50, { "0/localhost" }, { { 1 } } },
	{ { "a@localhost", "b@remote.example", "c@LOCALHOST", NULL }, 50,
	  { "0/localhost", "1/remote.example" }, { { 2 }, { 1 } } },
	{ { "a@x.example", "b@x.example", "c@x.example", "d@x.example",
	    "e@x.example", NULL }, 2,
	  { "1/x.example" }, { { 2, 2, 1 } } },
	{ { "a@x.example", "b@y.example", "c@x.example", "d@virt.example",
	    NULL }, 1,
	  { "1/x.example", "1/y.example", "0/virt.example" },
	  { { 1, 1 }, { 1 }, { 1 } } },
};

/* group_load - a message with rcpts in q's table, scheduled */
static struct qmgr_message *
group_load(struct qmgr *q, const char *const *rcpts)
{
	struct qmgr_message *msg = mem_alloc(sizeof(*msg));
	size_t n = 0, i;

	while (rcpts[n] != NULL)
		n++;
	memcpy(msg->id, "0000000000AAAAAAAAAAA", QUEUE_ID_SIZE);
	msg->sender = mem_strdup("s@example.org");
	msg->rcpts = mem_alloc_array(n, sizeof(*msg->rcpts));
	for (i = 0; i < n; i++) {
		msg->rcpts[i].address = mem_strdup(rcpts[i]);
		msg->rcpts[i].index = (uint32_t)i;
	}
	msg->rcpt_count = n;
	msg->hash_next = NULL;
	q->msg_hash[0] = msg;	/* any bucket will do for this test */
	q->message_count++;
	qmgr_schedule_message(q, msg);
	return msg;
}

/* test_grouping - destinations and recipient-limit splitting */
static void
test_grouping(void **state)
{
	size_t i, j, k;

	(void)state;
	param_mydestination = "localhost";
	param_virtual_mailbox_domains = "virt.example";
	param_relayhost = "";
	param_myhostname = "host.example.com";
	param_qmgr_message_active_limit = 100;
	for (i = 0; i < sizeof(group_rows) / sizeof(group_rows[0]); i++) {
		const struct group_row *row = &group_rows[i];
		struct event_loop *loop = event_loop_new();
		struct qmgr *q;
		size_t dests = 0;

		param_default_destination_recipient_limit = row->limit;
		q = qmgr_new(loop, "/nonexistent");
		group_load(q, row->rcpts);
		for (j = 0; j < 4 && row->dests[j] != NULL; j++) {
			int t = qmgr_transport_index(
			    q, row->dests[j][0] == '0' ? "local" : "smtp");
			struct qmgr_dest *d;

			assert_true(t >= 0);
			d = qmgr_dest_find(q, (unsigned)t, row->dests[j] + 2);
			struct qmgr_entry *e;

			assert_non_null(d);
			dests++;
			for (k = 0, e = d->queue_head; e != NULL;
			     e = e->next, k++) {
				assert_true(k < 4);
				assert_int_equal(e->slot_count,
						 row->sizes[j][k]);
			}
			assert_int_equal(d->queued, k);
			assert_true(k == 4 || row->sizes[j][k] == 0);
		}
		assert_int_equal(q->dest_count, dests);
		for (j = 0; row->rcpts[j] != NULL; j++)
			assert_int_equal(q->msg_hash[0]->rcpts[j].state,
					 QMGR_RCPT_BUSY);
		qmgr_free(&q);
		event_loop_free(&loop);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_route, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_route_too_long,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_backoff, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_expiry, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_can_warn_delay,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_rcpt_limit, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_delay_format,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_grouping, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
