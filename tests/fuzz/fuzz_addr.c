/*
 * fuzz_addr.c - fuzz target for lib/addr.c.
 *
 * Input: one flag byte (ADDR_F_* bits), then the address text. Parses it
 * as a path and as a bare mailbox; every accepted address must format and
 * parse back to the same local part and domain (abort() otherwise), unless
 * quoting made the local part too long.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* same_str - equality where NULL equals only NULL */
static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* roundtrip - format a and parse it back */
static void
roundtrip(const struct addr *a, int flags)
{
	struct addr b;
	struct addr_error err;
	char *text;

	if (addr_is_null(a))
		return;
	text = addr_format(a);
	if (addr_parse_bare((const uint8_t *)text, strlen(text),
	                    flags | ADDR_F_NO_DOMAIN, NULL, &b, &err) < 0) {
		if (err.kind != ADDR_ERR_TOO_LONG)
			abort();
	} else {
		if (!same_str(a->local, b.local) ||
		    !same_str(a->domain, b.domain))
			abort();
		addr_deinit(&b);
	}
	mem_free(&text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr a;
	struct addr_error err;
	size_t used;
	int flags;

	if (size < 1)
		return 0;
	flags = data[0] & 0x3f;
	data++;
	size--;
	if (addr_parse_path(data, size, flags, NULL, &a, &err) == 0) {
		roundtrip(&a, flags);
		addr_deinit(&a);
	} else if (err.code == 0 || err.enhanced == NULL || a.local != NULL) {
		abort();
	}
	if (addr_parse_path(data, size, flags, &used, &a, &err) == 0) {
		if (used > size)
			abort();
		addr_deinit(&a);
	}
	if (addr_parse_bare(data, size, flags, &used, &a, &err) == 0) {
		if (used > size)
			abort();
		roundtrip(&a, flags);
		addr_deinit(&a);
	}
	(void)addr_is_valid_domain(data, size, flags);
	return 0;
}
