/*
 * parse_num.c - range-checked number parsers (see parse_num.h).
 *
 * parse_uint, parse_uint_n, parse_time, parse_int.
 * Input may come from peers (SIZE=, literal lengths) and from config files;
 * overflow is detected digit by digit.
 */
#include "lib/parse_num.h"

#include <string.h>

/* parse_uint_n - bounded decimal parse */
int
parse_uint_n(const char *s, size_t n, uint64_t min, uint64_t max,
	     uint64_t *value_r)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -1;
	*value_r = v;
	return 0;
}

/* parse_uint - decimal parse of a C string */
int
parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *value_r)
{
	return parse_uint_n(s, strlen(s), min, max, value_r);
}

/* parse_int - signed decimal parse */
int
parse_int(const char *s, int64_t min, int64_t max, int64_t *value_r)
{
	uint64_t mag;
	int64_t v;

	if (*s == '-') {
		if (parse_uint(s + 1, 0, (uint64_t)INT64_MAX + 1, &mag) < 0)
			return -1;
		v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN
						   : -(int64_t)mag;
	} else {
		if (parse_uint(s, 0, INT64_MAX, &mag) < 0)
			return -1;
		v = (int64_t)mag;
	}
	if (v < min || v > max)
		return -1;
	*value_r = v;
	return 0;
}

/* parse_time - number with an optional s/m/h/d/w unit */
int
parse_time(const char *s, char default_unit, uint64_t max_seconds,
	   uint64_t *seconds_r)
{
	size_t n = strlen(s);
	uint64_t v, mult;
	char unit = default_unit;

	if (n > 0 && strchr("smhdw", s[n - 1]) != NULL) {
		unit = s[n - 1];
		n--;
	}
	if (parse_uint_n(s, n, 0, UINT64_MAX, &v) < 0)
		return -1;
	switch (unit) {
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	case 'w':
		mult = 7 * 86400;
		break;
	default:
		return -1;
	}
	if (v > max_seconds / mult)
		return -1;
	*seconds_r = v * mult;
	return 0;
}
