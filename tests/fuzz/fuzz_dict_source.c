/*
 * fuzz_dict_source.c - fuzz target for lib/dict_source.c.
 *
 * Input: one control byte (bit 0: aliases syntax, bit 1: fold case, bit 2:
 * small limits), one byte choosing where to split the rest, then the table
 * text. The text is parsed whole and in two pieces; both runs must deliver
 * the same entries and the same error, and every entry must satisfy the
 * key and value rules a table relies on.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dict_source.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What one run produced. */
struct run {
	uint64_t hash;		/* over every key, value and line */
	size_t count;
	bool check_rules;	/* default limits: the validators apply */
};

/* fuzz_hash - FNV-1a step over n bytes */
static uint64_t
fuzz_hash(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* fuzz_entry - fold one entry into the run, checking the rules */
static int
fuzz_entry(void *ctx, const char *key, const char *value, size_t line)
{
	struct run *r = ctx;

	if (r->check_rules && (!dict_source_is_valid_key(key) ||
			       !dict_source_is_valid_value(value)))
		abort();
	if (key[0] == '\0')
		abort();
	r->hash = fuzz_hash(r->hash, key, strlen(key) + 1);
	r->hash = fuzz_hash(r->hash, value, strlen(value) + 1);
	r->hash = fuzz_hash(r->hash, &line, sizeof(line));
	r->count++;
	return 0;
}

/* fuzz_quiet - drop log lines (duplicate warnings) */
static void
fuzz_quiet(enum log_level level, const char *text, void *ctx)
{
	(void)level;
	(void)text;
	(void)ctx;
}

/* fuzz_run - one parse in two pieces; returns rc, error copied out */
static int
fuzz_run(const uint8_t *p, size_t n, size_t split, int control,
	 struct run *r, char *error_out, size_t error_size)
{
	static const struct dict_source_limits small = {
		.max_line = 64, .max_key = 16, .max_value = 32,
		.max_entries = 8,
	};
	struct dict_source *src;
	const char *error = NULL;
	int rc;

	src = dict_source_new((control & 1) ? DICT_SYNTAX_ALIASES
					    : DICT_SYNTAX_MAP,
			      (control & 2) ? DICT_FLAG_FOLD_CASE : 0, "fuzz",
			      fuzz_entry, r);
	if (control & 4)
		dict_source_set_limits(src, &small);
	r->check_rules = !(control & 4);
	rc = dict_source_feed(src, p, split, &error);
	if (rc == 0)
		rc = dict_source_feed(src, p + split, n - split, &error);
	if (rc == 0)
		rc = dict_source_finish(src, &error);
	error_out[0] = '\0';
	if (rc < 0) {
		if (error == NULL || strncmp(error, "fuzz, line ", 11) != 0)
			abort();
		snprintf(error_out, error_size, "%s", error);
	}
	dict_source_free(&src);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole = { 14695981039346656037ULL, 0, false };
	struct run split = { 14695981039346656037ULL, 0, false };
	char error_whole[512], error_split[512];
	size_t n, at;
	int control, rc_whole, rc_split;

	if (size < 2)
		return 0;
	log_set_hook(fuzz_quiet, NULL, true);
	control = data[0];
	n = size - 2;
	at = n * data[1] / 255;
	data += 2;
	rc_whole = fuzz_run(data, n, n, control, &whole, error_whole,
			    sizeof(error_whole));
	rc_split = fuzz_run(data, n, at, control, &split, error_split,
			    sizeof(error_split));
	if (rc_whole != rc_split || whole.hash != split.hash ||
	    whole.count != split.count ||
	    strcmp(error_whole, error_split) != 0)
		abort();
	return 0;
}
