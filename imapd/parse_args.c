/*
 * parse_args.c - IMAP argument grammars: sequence sets, flags and STORE,
 * mailbox names, dates (see parse.h).
 *
 * imap_seqset_parse, imap_seqset_resolve, imap_seqset_contains,
 * imap_seqset_deinit - sequence sets
 * imap_flags_parse, imap_flags_deinit, imap_store_parse - flag lists
 * imap_mailbox_parse   - mailbox names (modified UTF-7 to UTF-8)
 * imap_date_parse, imap_datetime_parse, imap_days_from_civil - dates
 *
 * Untrusted input: arguments of client commands, already bounded by the
 * tokenizer's limits. Sequence sets hold at most one range per two
 * octets of their text; flag lists at most IMAP_KEYWORDS_MAX keywords of
 * IMAP_KEYWORD_MAX octets; mailbox names IMAP_MAILBOX_MAX octets.
 * RFC 3501 9 (sequence-set, flag-list, store-att-flags, mailbox, date,
 * date-time), 5.1.3 (mailbox naming).
 */
#include "imapd/parse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/imap_utf7.h"
#include "lib/mem.h"
#include "lib/rfc5322_date.h"
#include "lib/str.h"

/* ---- sequence sets ---- */

/* seq_number - nz-number or "*" (0) at s[*i] */
static bool
seq_number(const char *s, size_t n, size_t *i, uint32_t *v_r)
{
	uint64_t v = 0;
	size_t start = *i;

	if (*i < n && s[*i] == '*') {
		(*i)++;
		*v_r = 0;
		return true;
	}
	/* nz-number: no leading zero. */
	if (*i >= n || s[*i] < '1' || s[*i] > '9')
		return false;
	while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
		v = v * 10 + (uint64_t)(s[*i] - '0');
		if (v > UINT32_MAX || *i - start >= 10)
			return false;
		(*i)++;
	}
	*v_r = (uint32_t)v;
	return true;
}

/* imap_seqset_parse - a sequence set */
int
imap_seqset_parse(const char *s, size_t n, struct imap_seqset *set,
                  const char **error_r)
{
	size_t i = 0, cap = n / 2 + 1;

	memset(set, 0, sizeof(*set));
	set->ranges = mem_alloc_array(cap, sizeof(*set->ranges));
	for (;;) {
		struct imap_seq_range *r = &set->ranges[set->count];

		if (!seq_number(s, n, &i, &r->lo))
			goto bad;
		r->hi = r->lo;
		if (i < n && s[i] == ':') {
			i++;
			if (!seq_number(s, n, &i, &r->hi))
				goto bad;
		}
		set->count++;
		if (i == n)
			return 0;
		if (s[i] != ',' || set->count == cap)
			goto bad;
		i++;
	}
bad:
	imap_seqset_deinit(set);
	*error_r = "Invalid sequence set";
	return -1;
}

/* range_cmp - order ranges by start */
static int
range_cmp(const void *a, const void *b)
{
	const struct imap_seq_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* imap_seqset_resolve - resolve "*", sort and merge */
void
imap_seqset_resolve(struct imap_seqset *set, uint32_t max)
{
	size_t i, out = 0;

	for (i = 0; i < set->count; i++) {
		struct imap_seq_range *r = &set->ranges[i];
		uint32_t lo = r->lo == 0 ? max : r->lo;
		uint32_t hi = r->hi == 0 ? max : r->hi;

		/* "*" in an empty mailbox matches nothing. */
		if (max == 0 && (r->lo == 0 || r->hi == 0)) {
			r->lo = r->hi = 0;
			continue;
		}
		r->lo = lo < hi ? lo : hi;
		r->hi = lo < hi ? hi : lo;
	}
	qsort(set->ranges, set->count, sizeof(*set->ranges), range_cmp);
	for (i = 0; i < set->count; i++) {
		struct imap_seq_range *r = &set->ranges[i];

		if (r->hi == 0)
			continue;
		if (out > 0 && (uint64_t)set->ranges[out - 1].hi + 1 >= r->lo) {
			if (r->hi > set->ranges[out - 1].hi)
				set->ranges[out - 1].hi = r->hi;
			continue;
		}
		set->ranges[out++] = *r;
	}
	set->count = out;
	set->resolved = true;
}

/* imap_seqset_contains - membership in a resolved set */
bool
imap_seqset_contains(const struct imap_seqset *set, uint32_t n)
{
	size_t lo = 0, hi = set->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (n < set->ranges[mid].lo)
			hi = mid;
		else if (n > set->ranges[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* imap_seqset_deinit - release the ranges */
void
imap_seqset_deinit(struct imap_seqset *set)
{
	mem_free(&set->ranges);
	set->count = 0;
}

/* ---- flags ---- */

static const struct {
	const char *name;
	unsigned bit;
} system_flags[] = {
    {"\\Answered", IMAP_FLAG_ANSWERED}, {"\\Flagged", IMAP_FLAG_FLAGGED},
    {"\\Deleted", IMAP_FLAG_DELETED},   {"\\Seen", IMAP_FLAG_SEEN},
    {"\\Draft", IMAP_FLAG_DRAFT},
};

/* is_keyword_char - ATOM-CHAR without "\" and "]" (RFC 3501 9: flag-keyword) */
static bool
is_keyword_char(char c)
{
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\]", c) == NULL;
}

/* flag_add - one flag atom */
static int
flag_add(struct imap_flags *flags, const struct imap_arg *a,
         const char **error_r)
{
	size_t i;

	if (a->type != IMAP_ARG_ATOM || a->len == 0) {
		*error_r = "Invalid flag";
		return -1;
	}
	if (a->str[0] == '\\') {
		for (i = 0; i < sizeof(system_flags) / sizeof(system_flags[0]);
		     i++) {
			if (strcasecmp(a->str, system_flags[i].name) == 0) {
				flags->system |= system_flags[i].bit;
				return 0;
			}
		}
		*error_r = "Invalid system flag";
		return -1;
	}
	if (a->len > IMAP_KEYWORD_MAX) {
		*error_r = "Keyword too long";
		return -1;
	}
	for (i = 0; i < a->len; i++) {
		if (!is_keyword_char(a->str[i])) {
			*error_r = "Invalid keyword";
			return -1;
		}
	}
	for (i = 0; i < flags->keyword_count; i++)
		if (strcasecmp(flags->keywords[i], a->str) == 0)
			return 0;
	if (flags->keyword_count == IMAP_KEYWORDS_MAX) {
		*error_r = "Too many keywords";
		return -1;
	}
	if (flags->keywords == NULL)
		flags->keywords = mem_alloc_array(IMAP_KEYWORDS_MAX,
		                                  sizeof(*flags->keywords));
	flags->keywords[flags->keyword_count++] = mem_strdup(a->str);
	return 0;
}

/* imap_flags_parse - flags, or one list of flags */
int
imap_flags_parse(const struct imap_arg *args, size_t count,
                 struct imap_flags *flags, const char **error_r)
{
	const struct imap_arg *a = args;
	size_t i;

	memset(flags, 0, sizeof(*flags));
	if (count == 1 && args->type == IMAP_ARG_LIST) {
		count = args->list_count;
		a = imap_arg_items(args);
	}
	for (i = 0; i < count; i++, a = imap_arg_next(a)) {
		if (flag_add(flags, a, error_r) < 0) {
			imap_flags_deinit(flags);
			return -1;
		}
	}
	return 0;
}

/* imap_flags_deinit - release the keywords */
void
imap_flags_deinit(struct imap_flags *flags)
{
	size_t i;

	for (i = 0; i < flags->keyword_count; i++)
		mem_free(&flags->keywords[i]);
	mem_free(&flags->keywords);
	flags->keyword_count = 0;
	flags->system = 0;
}

/* imap_store_parse - STORE's item and flags */
int
imap_store_parse(const struct imap_arg *args, size_t count,
                 struct imap_store *store, const char **error_r)
{
	const char *item;

	memset(store, 0, sizeof(*store));
	if (count < 2 || args->type != IMAP_ARG_ATOM) {
		*error_r = "Invalid STORE arguments";
		return -1;
	}
	item = args->str;
	if (item[0] == '+' || item[0] == '-') {
		store->mode =
		    item[0] == '+' ? IMAP_STORE_ADD : IMAP_STORE_REMOVE;
		item++;
	}
	if (strcasecmp(item, "FLAGS.SILENT") == 0) {
		store->silent = true;
	} else if (strcasecmp(item, "FLAGS") != 0) {
		*error_r = "Invalid STORE item";
		return -1;
	}
	return imap_flags_parse(imap_arg_next(args), count - 1, &store->flags,
	                        error_r);
}

/* ---- mailbox names ---- */

/* imap_mailbox_parse - a mailbox name as UTF-8 */
int
imap_mailbox_parse(const struct imap_arg *a, char **utf8_r,
                   const char **error_r)
{
	const char *s;
	size_t len, i;
	struct buf out;

	*utf8_r = NULL;
	if (!imap_arg_astring(a, &s, &len) || len == 0) {
		*error_r = "Invalid mailbox name";
		return -1;
	}
	if (strcasecmp(s, "INBOX") == 0 && len == 5) {
		*utf8_r = mem_strdup("INBOX");
		return 0;
	}
	buf_init(&out, IMAP_MAILBOX_MAX);
	if (imap_utf7_to_utf8(s, len, &out) < 0) {
		buf_deinit(&out);
		*error_r = len > IMAP_MAILBOX_MAX ? "Mailbox name too long"
		                                  : "Mailbox name is not valid "
		                                    "modified UTF-7";
		return -1;
	}
	for (i = 0; i < out.len; i++) {
		if (out.data[i] < 0x20 || out.data[i] == 0x7f) {
			buf_deinit(&out);
			*error_r = "Control character in mailbox name";
			return -1;
		}
	}
	*utf8_r =
	    mem_memdup(out.data != NULL ? out.data : (uint8_t *)"", out.len);
	buf_deinit(&out);
	return 0;
}

/* ---- dates ---- */

static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr",
                                          "May", "Jun", "Jul", "Aug",
                                          "Sep", "Oct", "Nov", "Dec"};

/* days_in_month - 28..31 */
static unsigned
days_in_month(int year, unsigned month)
{
	static const unsigned days[] = {31, 28, 31, 30, 31, 30,
	                                31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/* parse_digits - exactly min..max digits at s[*i] */
static bool
parse_digits(const char *s, size_t n, size_t *i, size_t min, size_t max,
             unsigned *v_r)
{
	size_t start = *i;
	unsigned v = 0;

	while (*i < n && *i - start < max && s[*i] >= '0' && s[*i] <= '9')
		v = v * 10 + (unsigned)(s[(*i)++] - '0');
	*v_r = v;
	return *i - start >= min;
}

/*
 * parse_date_at - "d-Mon-yyyy" at s[*i]; leading SP allowed when
 * fixed (date-day-fixed)
 */
static bool
parse_date_at(const char *s, size_t n, size_t *i, bool fixed, int *year_r,
              unsigned *month_r, unsigned *day_r)
{
	unsigned day, month, year;

	if (fixed && *i < n && s[*i] == ' ') {
		(*i)++;
		if (!parse_digits(s, n, i, 1, 1, &day))
			return false;
	} else if (!parse_digits(s, n, i, 1, 2, &day)) {
		return false;
	}
	if (*i + 5 > n || s[*i] != '-' || s[*i + 4] != '-')
		return false;
	for (month = 0; month < 12; month++)
		if (strncasecmp(s + *i + 1, month_names[month], 3) == 0)
			break;
	if (month == 12)
		return false;
	*i += 5;
	if (!parse_digits(s, n, i, 4, 4, &year))
		return false;
	if (day < 1 || day > days_in_month((int)year, month + 1))
		return false;
	*year_r = (int)year;
	*month_r = month + 1;
	*day_r = day;
	return true;
}

/* imap_date_parse - date */
int
imap_date_parse(const char *s, size_t n, int32_t *days_r, const char **error_r)
{
	size_t i = 0;
	unsigned month, day;
	int year;

	if (!parse_date_at(s, n, &i, false, &year, &month, &day) || i != n) {
		*error_r = "Invalid date";
		return -1;
	}
	*days_r = rfc5322_days_from_civil(year, month, day);
	return 0;
}

/* imap_datetime_parse - date-time */
int
imap_datetime_parse(const char *s, size_t n, int64_t *time_r, int *tz_minutes_r,
                    const char **error_r)
{
	size_t i = 0;
	unsigned month, day, hh, mm, ss, zone;
	int year, sign;

	if (!parse_date_at(s, n, &i, true, &year, &month, &day) || i >= n ||
	    s[i++] != ' ' || !parse_digits(s, n, &i, 2, 2, &hh) || i >= n ||
	    s[i++] != ':' || !parse_digits(s, n, &i, 2, 2, &mm) || i >= n ||
	    s[i++] != ':' || !parse_digits(s, n, &i, 2, 2, &ss) || i >= n ||
	    s[i++] != ' ' || i >= n || (s[i] != '+' && s[i] != '-'))
		goto bad;
	sign = s[i++] == '-' ? -1 : 1;
	if (!parse_digits(s, n, &i, 4, 4, &zone) || i != n || hh > 23 ||
	    mm > 59 || ss > 60 || zone % 100 > 59)
		goto bad;
	*tz_minutes_r = sign * (int)(zone / 100 * 60 + zone % 100);
	*time_r = (int64_t)rfc5322_days_from_civil(year, month, day) * 86400 +
	          hh * 3600 + mm * 60 + ss - (int64_t)*tz_minutes_r * 60;
	return 0;
bad:
	*error_r = "Invalid date-time";
	return -1;
}
