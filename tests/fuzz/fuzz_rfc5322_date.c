/*
 * fuzz_rfc5322_date.c - fuzz target for lib/rfc5322_date.c and
 * lib/rfc5322_mailbox.c (the header values imapd reads for SEARCH and
 * ENVELOPE).
 *
 * Input: a header value. Checks (abort() otherwise): a date that parses
 * has its fields in range and its days and time agree with the calendar
 * functions; an address list gives at most max_count items, groups
 * balanced (every start has an end after it, none nested), strings
 * without CR or LF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rfc5322_date.h"
#include "lib/rfc5322_mailbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_str - no CR or LF in an item's string */
static void
check_str(const char *s)
{
	if (s != NULL && (strchr(s, '\r') != NULL || strchr(s, '\n') != NULL))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rfc5322_mailbox_list list;
	struct rfc5322_date d;
	size_t max = size > 0 ? data[0] % 16 + 1 : 1, i;
	bool in_group = false;

	if (rfc5322_date_parse(data, size, &d) == 0) {
		int year;
		unsigned month, day;

		if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31 ||
		    d.hour > 23 || d.minute > 59 || d.second > 60 ||
		    d.zone_minutes < -24 * 60 || d.zone_minutes > 24 * 60)
			abort();
		rfc5322_civil_from_days(d.days, &year, &month, &day);
		if (year != d.year || month != d.month || day != d.day)
			abort();
	}
	rfc5322_mailbox_list_init(&list);
	if (rfc5322_mailbox_list_parse(&list, data, size, max) != list.count ||
	    list.count > max + 1)
		abort();
	for (i = 0; i < list.count; i++) {
		const struct rfc5322_mailbox *m = &list.items[i];

		check_str(m->name);
		check_str(m->route);
		check_str(m->local);
		check_str(m->domain);
		if (m->kind == RFC5322_MAILBOX_GROUP_START) {
			if (in_group || m->local == NULL)
				abort();
			in_group = true;
		} else if (m->kind == RFC5322_MAILBOX_GROUP_END) {
			if (!in_group)
				abort();
			in_group = false;
		}
	}
	if (in_group)
		abort();
	rfc5322_mailbox_list_deinit(&list);
	return 0;
}
