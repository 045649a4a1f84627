/*
 * fuzz_alias.c - fuzz target for lib/alias.c.
 *
 * Input: one control byte (bit 0: .forward/include file syntax, bit 1:
 * also expand), then the right-hand side. alias_parse must either return
 * destinations that obey the rules the local agent relies on (abort()
 * otherwise) or a located error. With bit 1, the text is also expanded as
 * the value of every alias and the text of every include and .forward
 * file, under small limits: the expansion must end with results that obey
 * the same rules or with an error, never hang or crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alias.h"
#include "lib/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* value_ok - the value rules shared by destinations and results */
static int
value_ok(enum alias_dest_type type, const char *v)
{
	size_t i, len = strlen(v);

	if (len == 0 || len > ALIAS_DEST_MAX_OCTETS)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	switch (type) {
	case ALIAS_DEST_FILE:
		return v[0] == '/' && len > 1 && v[len - 1] != '/';
	case ALIAS_DEST_MAILDIR:
		return v[0] == '/' && len > 1 && v[len - 1] == '/';
	case ALIAS_DEST_INCLUDE:
		return v[0] == '/';
	case ALIAS_DEST_ADDRESS:
		return strchr(v, '@') != NULL;
	case ALIAS_DEST_PIPE:
	case ALIAS_DEST_LOCAL:
		return 1;
	}
	return 0;
}

/* struct fuzz_text - the text every callback returns */
struct fuzz_text {
	const char *text;
};

/* fuzz_lookup - every alias has the fuzz text as its value */
static int
fuzz_lookup(void *ctx, const char *key, char **value_r, const char **error_r)
{
	const struct fuzz_text *ft = ctx;

	(void)error_r;
	/* Leave some names unaliased so expansion can end. */
	if (key[0] == 'z')
		return ALIAS_CB_NOT_FOUND;
	if (key[0] == 't') {
		*error_r = "fuzz tempfail";
		return ALIAS_CB_TEMPFAIL;
	}
	*value_r = mem_strdup(ft->text);
	return ALIAS_CB_FOUND;
}

/* fuzz_read_file - every include file holds the fuzz text */
static int
fuzz_read_file(void *ctx, const char *path, char **text_r, const char **error_r)
{
	const struct fuzz_text *ft = ctx;

	(void)error_r;
	(void)path;
	*text_r = mem_strdup(ft->text);
	return ALIAS_CB_FOUND;
}

/* fuzz_read_forward - users starting with 'f' have the text as .forward */
static int
fuzz_read_forward(void *ctx, const char *user, const char *extension,
                  char **text_r, char **path_r, const char **error_r)
{
	const struct fuzz_text *ft = ctx;

	(void)extension;
	(void)error_r;
	if (user[0] != 'f')
		return ALIAS_CB_NOT_FOUND;
	*text_r = mem_strdup(ft->text);
	*path_r = mem_asprintf("/home/%s/.forward", user);
	return ALIAS_CB_FOUND;
}

/* fuzz_expand - expand "a" in a world made of the text */
static void
fuzz_expand(const uint8_t *data, size_t size)
{
	struct alias_callbacks cb = {fuzz_lookup, fuzz_read_file,
	                             fuzz_read_forward};
	struct alias_params prm;
	struct alias_result *res;
	struct alias_error err;
	struct fuzz_text ft;
	char *text;
	size_t count, i;

	if (memchr(data, '\0', size) != NULL)
		return;
	text = mem_memdup(data, size);
	ft.text = text;
	alias_params_init(&prm);
	prm.max_depth = 8;
	prm.max_results = 50;
	prm.max_lookups = 200;
	prm.recipient_delimiter = "+-";
	if (alias_expand("a+b", &cb, &ft, &prm, &res, &count, &err) == 0) {
		if (count == 0 || count > prm.max_results)
			abort();
		for (i = 0; i < count; i++) {
			if (res[i].type == ALIAS_DEST_INCLUDE ||
			    !value_ok(res[i].type, res[i].value) ||
			    res[i].orig == NULL || res[i].chain == NULL)
				abort();
			if (res[i].chain[0] == '\0' ||
			    strlen(res[i].chain) > ALIAS_CHAIN_MAX)
				abort();
		}
		alias_results_free(&res, count);
	} else if (err.text[0] == '\0' || err.dsn == NULL || res != NULL) {
		abort();
	}
	mem_free(&text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alias_dest *dests;
	struct alias_error err;
	size_t count, i;
	int flags;

	if (size < 1)
		return 0;
	flags = (data[0] & 1) ? ALIAS_F_FILE : 0;
	if (alias_parse(data + 1, size - 1, flags, "f", &dests, &count, &err) ==
	    0) {
		if (count > ALIAS_DESTS_MAX || (flags == 0 && count == 0))
			abort();
		for (i = 0; i < count; i++) {
			if (!value_ok(dests[i].type, dests[i].value))
				abort();
			if (dests[i].no_expand &&
			    dests[i].type != ALIAS_DEST_LOCAL)
				abort();
		}
		alias_dests_free(&dests, count);
	} else {
		if (dests != NULL || count != 0 || err.dsn == NULL)
			abort();
		if (strncmp(err.text, "alias \"f\"", 9) != 0 &&
		    strncmp(err.text, "f, line ", 8) != 0 &&
		    strncmp(err.text, "f: ", 3) != 0)
			abort();
	}
	if (data[0] & 2)
		fuzz_expand(data + 1, size - 1);
	return 0;
}
