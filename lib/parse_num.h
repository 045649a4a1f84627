/*
 * parse_num.h - range-checked number parsers (instead of atoi/strtol).
 *
 * Each parses the whole string (no leading/trailing junk, no sign, no
 * whitespace) and returns 0 with the value in *value_r, or -1 when the text
 * is not a number or is outside [min, max].
 */
#ifndef MR_PARSE_NUM_H
#define MR_PARSE_NUM_H

#include <stddef.h>
#include <stdint.h>

/* parse_uint - decimal unsigned integer in [min, max]. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *value_r);

/* parse_uint_n - parse_uint over n bytes that need not end in NUL. */
int parse_uint_n(const char *s, size_t n, uint64_t min, uint64_t max,
		 uint64_t *value_r);

/*
 * parse_time - a duration in seconds: a number with an optional unit
 * s, m, h, d or w (Postfix time syntax); default_unit applies without one.
 */
int parse_time(const char *s, char default_unit, uint64_t max_seconds,
	       uint64_t *seconds_r);

/* parse_int - decimal signed integer in [min, max] (leading '-' allowed). */
int parse_int(const char *s, int64_t min, int64_t max, int64_t *value_r);

#endif
