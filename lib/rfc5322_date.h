/*
 * rfc5322_date.h - the Date: header (RFC 5322 3.3, with the obsolete
 * forms of 4.3 that mail still carries).
 *
 * Accepted: [day-of-week [","]] day month year hour ":" minute
 * [":" second] [zone], with comments and folding white space anywhere
 * between the parts; two-digit years (< 50 is 20xx, RFC 5322 4.3) and
 * three-digit ones (+ 1900); month names in any case, and longer than
 * three letters ("February"); zones "+hhmm"/"-hhmm", UT, GMT, Z, the US
 * names of RFC 5322 4.3 (EST, EDT, CST, CDT, MST, MDT, PST, PDT), other
 * military letters as -0000; a missing zone as +0000. Refused: anything
 * else, values out of range, a day that the month does not have.
 */
#ifndef MR_RFC5322_DATE_H
#define MR_RFC5322_DATE_H

#include <stddef.h>
#include <stdint.h>

/* Longest value looked at; real dates are about 40 octets. */
#define RFC5322_DATE_MAX 256

struct rfc5322_date {
	int year;
	unsigned month; /* 1..12 */
	unsigned day;   /* 1..31 */
	unsigned hour, minute, second;
	int zone_minutes; /* offset east of UTC */
	int64_t time;     /* seconds since the epoch, UTC */
	int32_t days;     /* the date as written: days since 1970-01-01 */
};

/*
 * rfc5322_date_parse - parse the n octets at p. Returns 0 with *date_r
 * filled, or -1 when they are not a date (or longer than
 * RFC5322_DATE_MAX).
 */
int rfc5322_date_parse(const uint8_t *p, size_t n, struct rfc5322_date *date_r);

/* rfc5322_days_from_civil - days since 1970-01-01 of a calendar date. */
int32_t rfc5322_days_from_civil(int year, unsigned month, unsigned day);

/* rfc5322_civil_from_days - the calendar date of days since 1970-01-01. */
void rfc5322_civil_from_days(int32_t days, int *year_r, unsigned *month_r,
                             unsigned *day_r);

#endif
