/*
 * rfc5322_date.c - the Date: header (see rfc5322_date.h).
 *
 * rfc5322_date_parse      - parse a Date: value
 * rfc5322_days_from_civil - calendar date to days
 * rfc5322_civil_from_days - days to calendar date
 *
 * Untrusted input: Date: headers of stored messages (SEARCH SENTBEFORE
 * and friends). At most RFC5322_DATE_MAX octets are looked at, split
 * into at most DATE_TOKENS_MAX words; comments nest at most
 * DATE_COMMENT_DEPTH_MAX deep. No allocation, no locale or time zone
 * database: the arithmetic is the proleptic Gregorian calendar.
 */
#include "lib/rfc5322_date.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define DATE_TOKENS_MAX 12
#define DATE_TOKEN_MAX 32
#define DATE_COMMENT_DEPTH_MAX 8

static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                     "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const weekdays[] = {"mon", "tue", "wed", "thu",
                                       "fri", "sat", "sun"};

/* rfc5322_days_from_civil - calendar date to days */
int32_t
rfc5322_days_from_civil(int year, unsigned month, unsigned day)
{
	int y = year - (month <= 2);
	int era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy =
	    (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (int32_t)(era * 146097 + (int)doe - 719468);
}

/* rfc5322_civil_from_days - days to calendar date */
void
rfc5322_civil_from_days(int32_t days, int *year_r, unsigned *month_r,
                        unsigned *day_r)
{
	int64_t z = (int64_t)days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;

	*year_r = (int)(yoe + era * 400 + (m <= 2));
	*month_r = m;
	*day_r = d;
}

/* days_in_month - 28..31 */
static unsigned
days_in_month(int year, unsigned month)
{
	static const unsigned days[] = {31, 28, 31, 30, 31, 30,
	                                31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

struct token {
	char s[DATE_TOKEN_MAX + 1];
	size_t len;
};

/* tokenize - words between white space, commas and comments */
static int
tokenize(const uint8_t *p, size_t n, struct token *toks, size_t *count_r)
{
	size_t i = 0, count = 0;

	while (i < n) {
		uint8_t c = p[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
		    c == ',') {
			i++;
			continue;
		}
		if (c == '(') {
			unsigned depth = 0;

			do {
				if (i >= n)
					return -1;
				c = p[i++];
				if (c == '\\')
					i++;
				else if (c == '(' &&
				         ++depth > DATE_COMMENT_DEPTH_MAX)
					return -1;
				else if (c == ')')
					depth--;
			} while (depth > 0);
			continue;
		}
		if (count == DATE_TOKENS_MAX)
			return -1;
		toks[count].len = 0;
		while (i < n && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' &&
		       p[i] != '\n' && p[i] != ',' && p[i] != '(') {
			if (toks[count].len == DATE_TOKEN_MAX || p[i] < 0x21 ||
			    p[i] > 0x7e)
				return -1;
			toks[count].s[toks[count].len++] = (char)p[i++];
		}
		toks[count].s[toks[count].len] = '\0';
		count++;
	}
	*count_r = count;
	return 0;
}

/* number - a token of digits only, 1..max_digits of them */
static bool
number(const char *s, size_t len, size_t max_digits, unsigned *v_r)
{
	unsigned v = 0;
	size_t i;

	if (len == 0 || len > max_digits)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*v_r = v;
	return true;
}

/* parse_time - "hh:mm" or "hh:mm:ss" */
static bool
parse_time(const struct token *t, struct rfc5322_date *d)
{
	const char *c1 = memchr(t->s, ':', t->len), *c2;

	if (c1 == NULL)
		return false;
	c2 = memchr(c1 + 1, ':', t->len - (size_t)(c1 + 1 - t->s));
	d->second = 0;
	if (!number(t->s, (size_t)(c1 - t->s), 2, &d->hour))
		return false;
	if (c2 == NULL)
		return number(c1 + 1, t->len - (size_t)(c1 + 1 - t->s), 2,
		              &d->minute);
	return number(c1 + 1, (size_t)(c2 - c1 - 1), 2, &d->minute) &&
	       number(c2 + 1, t->len - (size_t)(c2 + 1 - t->s), 2, &d->second);
}

/* parse_zone - "+hhmm", "-hhmm" or a name */
static bool
parse_zone(const struct token *t, int *minutes_r)
{
	static const struct {
		const char *name;
		int hours;
	} names[] = {
	    {"UT", 0},   {"UTC", 0},  {"GMT", 0},  {"Z", 0},
	    {"EST", -5}, {"EDT", -4}, {"CST", -6}, {"CDT", -5},
	    {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7},
	};
	unsigned v;
	size_t i;

	if ((t->s[0] == '+' || t->s[0] == '-') && t->len == 5 &&
	    number(t->s + 1, 4, 4, &v)) {
		if (v / 100 > 23 || v % 100 > 59)
			return false;
		*minutes_r =
		    (t->s[0] == '-' ? -1 : 1) * (int)(v / 100 * 60 + v % 100);
		return true;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(t->s, names[i].name) == 0) {
			*minutes_r = names[i].hours * 60;
			return true;
		}
	}
	/* RFC 5322 4.3: other military zones mean nothing: -0000. */
	if (t->len == 1 &&
	    ((t->s[0] | 0x20) >= 'a' && (t->s[0] | 0x20) <= 'z' &&
	     (t->s[0] | 0x20) != 'j')) {
		*minutes_r = 0;
		return true;
	}
	return false;
}

/* rfc5322_date_parse - parse a Date: value */
int
rfc5322_date_parse(const uint8_t *p, size_t n, struct rfc5322_date *d)
{
	struct token toks[DATE_TOKENS_MAX];
	size_t count, i = 0, k;
	unsigned year;

	memset(d, 0, sizeof(*d));
	if (n > RFC5322_DATE_MAX || tokenize(p, n, toks, &count) < 0)
		return -1;
	/* Day of week, ignored (with or without its comma). */
	if (i < count && toks[i].len >= 3) {
		for (k = 0; k < 7; k++)
			if (strncasecmp(toks[i].s, weekdays[k], 3) == 0)
				break;
		if (k < 7)
			i++;
	}
	if (count - i < 4)
		return -1;
	if (!number(toks[i].s, toks[i].len, 2, &d->day))
		return -1;
	i++;
	for (k = 0; k < 12; k++)
		if (toks[i].len >= 3 &&
		    strncasecmp(toks[i].s, months[k], 3) == 0)
			break;
	if (k == 12)
		return -1;
	d->month = (unsigned)k + 1;
	i++;
	if (!number(toks[i].s, toks[i].len, 4, &year) || toks[i].len < 2)
		return -1;
	if (toks[i].len == 2)
		year += year < 50 ? 2000 : 1900;
	else if (toks[i].len == 3)
		year += 1900;
	d->year = (int)year;
	i++;
	if (!parse_time(&toks[i], d))
		return -1;
	i++;
	d->zone_minutes = 0;
	if (i < count) {
		if (!parse_zone(&toks[i], &d->zone_minutes))
			return -1;
		i++;
	}
	if (i != count || d->day < 1 || d->year < 1900 ||
	    d->day > days_in_month(d->year, d->month) || d->hour > 23 ||
	    d->minute > 59 || d->second > 60)
		return -1;
	d->days = rfc5322_days_from_civil(d->year, d->month, d->day);
	d->time = (int64_t)d->days * 86400 + d->hour * 3600 + d->minute * 60 +
	          d->second - (int64_t)d->zone_minutes * 60;
	return 0;
}
