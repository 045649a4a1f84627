/*
 * test_rfc5322_date.c - unit tests for lib/rfc5322_date.c (the Date:
 * header, current and obsolete syntax) and lib/rfc5322_mailbox.c
 * (address lists with names and groups, best effort).
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/rfc5322_date.h"
#include "lib/rfc5322_mailbox.h"

static const struct {
	const char *in;
	int64_t time; /* INT64_MIN: refused */
	int zone;
} dates[] = {
    {"Mon, 7 Feb 1994 21:52:25 -0800", 760686745, -480},
    {"7 Feb 1994 21:52:25 -0800", 760686745, -480},
    {"Mon, 07 Feb 1994 21:52:25 -0800 (PST)", 760686745, -480},
    {"Mon,7 Feb 1994 21:52:25 -0800", 760686745, -480},
    {"Mon 7 Feb 1994 21:52:25 -0800", 760686745, -480},
    {"Mon, 7 February 1994 21:52:25 -0800", 760686745, -480},
    {"Mon, 7 feb 1994 21:52 -0800", 760686720, -480},
    {"Mon, 7 Feb 94 21:52:25 PST", 760686745, -480},
    {"Mon, 7 Feb 1994 21:52:25", 760657945, 0},
    {"Thu, 1 Jan 1970 00:00:00 GMT", 0, 0},
    {"1 Jan 2000 00:00:00 Z", 946684800, 0},
    {"1 Jan 00 00:00:00 +0000", 946684800, 0},
    {"1 Jan 100 00:00:00 +0000", 946684800, 0},
    {"Thu,\r\n 13\r\n  Feb\r\n 1969\r\n 23:32\r\n -0330 (Newfoundland Time)",
     -27723480, -210},
    {"29 Feb 2024 12:00:00 +0000", 1709208000, 0},
    {"1 Jan 2000 00:00:00 A", 946684800, 0},
    {"", INT64_MIN, 0},
    {"Mon, 7 Feb", INT64_MIN, 0},
    {"30 Feb 2000 00:00:00 +0000", INT64_MIN, 0},
    {"7 Xyz 1994 21:52:25 -0800", INT64_MIN, 0},
    {"7 Feb 1994 24:00:00 -0800", INT64_MIN, 0},
    {"7 Feb 1994 21:60:00 -0800", INT64_MIN, 0},
    {"7 Feb 1994 21:52:25 -0860", INT64_MIN, 0},
    {"7 Feb 1994 21:52:25 -08000", INT64_MIN, 0},
    {"7 Feb 1994 21:52:25 -0800 junk", INT64_MIN, 0},
    {"7 Feb 1994 21:52:25 J", INT64_MIN, 0},
    {"7 Feb 1994 2152", INT64_MIN, 0},
    {"(unclosed 7 Feb 1994 21:52:25", INT64_MIN, 0},
    {"7 Feb 1899 21:52:25 +0000", INT64_MIN, 0},
    {"123 Feb 1994 21:52:25 +0000", INT64_MIN, 0},
};

static void
test_dates(void **state)
{
	struct rfc5322_date d;
	char big[RFC5322_DATE_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		int ret = rfc5322_date_parse((const uint8_t *)dates[i].in,
		                             strlen(dates[i].in), &d);

		if (dates[i].time == INT64_MIN) {
			if (ret != -1)
				fail_msg("date %zu (%s) accepted", i,
				         dates[i].in);
			continue;
		}
		if (ret != 0 || d.time != dates[i].time ||
		    d.zone_minutes != dates[i].zone)
			fail_msg("date %zu (%s): %d %lld %d", i, dates[i].in,
			         ret, (long long)d.time, d.zone_minutes);
	}
	/* The date as written, for SENTON and friends. */
	assert_int_equal(rfc5322_date_parse((const uint8_t *)"1 Jan 2000 "
	                                                     "23:00:00 -0500",
	                                    25, &d),
	                 0);
	assert_int_equal(d.days, 10957);
	/* Over the limit: refused without looking. */
	memset(big, ' ', sizeof(big));
	memcpy(big, "1 Jan 2000 00:00:00 +0000", 25);
	assert_int_equal(
	    rfc5322_date_parse((const uint8_t *)big, sizeof(big), &d), -1);
}

static void
test_civil(void **state)
{
	int32_t d;

	(void)state;
	for (d = -800000; d < 800000; d += 997) {
		int year;
		unsigned month, day;

		rfc5322_civil_from_days(d, &year, &month, &day);
		assert_int_equal(rfc5322_days_from_civil(year, month, day), d);
	}
}

static const struct {
	const char *in;
	const char *out; /* items: name|route|local|domain, ";" between */
} lists[] = {
    {"", ""},
    {"a@b", "-|-|a|b"},
    {"Joe <j@x.org>, \"Doe, Ann\" <ann@x.org>",
     "Joe|-|j|x.org;Doe, Ann|-|ann|x.org"},
    {"j@x (Joe Smith)", "Joe Smith|-|j|x"},
    {"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
     "Pete|-|pete|silly.test"},
    {"<@r1,@r2:u@d>", "-|@r1,@r2|u|d"},
    {"\"a b\"@c", "-|-|a b|c"},
    {"Joe Q. Public <jqp@x>", "Joe Q. Public|-|jqp|x"},
    {"=?utf-8?q?J=C3=B6rg?= <j@x>", "=?utf-8?q?J=C3=B6rg?=|-|j|x"},
    {"Undisclosed", "-|-|Undisclosed|-"},
    {"a . b @ c . d", "-|-|a.b|c.d"},
    {"u@[192.0.2.1]", "-|-|u|[192.0.2.1]"},
    {"g: a@b, C <c@d>;, e@f", "G:g;-|-|a|b;C|-|c|d;END;-|-|e|f"},
    {"undisclosed-recipients:;", "G:undisclosed-recipients;END"},
    {"open: a@b", "G:open;-|-|a|b;END"},
    {": a@b;", "G:;-|-|a|b;END"},
    {"a@b,,, ,c@d", "-|-|a|b;-|-|c|d"},
    {"Joe <j@x", "Joe|-|j|x"},
    {"<>", "-|-|-|-"},
    {"a@b; junk >> c@d", "-|-|a|b;-|-|junk|-;-|-|c|d"},
    {"\"unterminated <a@b>", "-|-|unterminated <a@b>|-"},
    {"(unclosed comment a@b", ""},
    {"\"a\\\r\\\nb\" <x@y>", "ab|-|x|y"},
};

/* list_dump - the items as text */
static void
list_dump(const struct rfc5322_mailbox_list *list, struct buf *out)
{
	size_t i;

	buf_reset(out);
	for (i = 0; i < list->count; i++) {
		const struct rfc5322_mailbox *m = &list->items[i];

		if (i > 0)
			buf_append_byte(out, ';');
		if (m->kind == RFC5322_MAILBOX_GROUP_START) {
			buf_printf(out, "G:%s", m->local);
			continue;
		}
		if (m->kind == RFC5322_MAILBOX_GROUP_END) {
			buf_append_str(out, "END");
			continue;
		}
		buf_printf(out, "%s|%s|%s|%s", m->name ? m->name : "-",
		           m->route ? m->route : "-", m->local ? m->local : "-",
		           m->domain ? m->domain : "-");
	}
}

static void
test_mailbox_lists(void **state)
{
	struct rfc5322_mailbox_list list;
	struct buf got;
	size_t i;

	(void)state;
	buf_init(&got, 4096);
	rfc5322_mailbox_list_init(&list);
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		rfc5322_mailbox_list_parse(&list, (const uint8_t *)lists[i].in,
		                           strlen(lists[i].in), 100);
		list_dump(&list, &got);
		if (strcmp(buf_cstr(&got), lists[i].out) != 0)
			fail_msg("list %zu (%s): %s", i, lists[i].in,
			         buf_cstr(&got));
	}
	/* The limit: items beyond max_count are dropped. */
	assert_int_equal(rfc5322_mailbox_list_parse(
	                     &list, (const uint8_t *)"a@b, c@d, e@f", 13, 2),
	                 2);
	rfc5322_mailbox_list_deinit(&list);
	buf_deinit(&got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_dates, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_civil, testlib_setup,
	                                    testlib_teardown),
	    cmocka_unit_test_setup_teardown(test_mailbox_lists, testlib_setup,
	                                    testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
