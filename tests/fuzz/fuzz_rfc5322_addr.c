/*
 * fuzz_rfc5322_addr.c - fuzz target for lib/rfc5322_addr.c.
 *
 * Input: one byte, the address limit (max_count), then the header value.
 * Checks the parser's promises (abort() otherwise): on success at most
 * max_count addresses, each non-empty, at most RFC5322_ADDR_SPEC_MAX
 * octets, without NUL, CR or LF, and parsing the value a second time into
 * the same list (limit doubled) appends the same addresses again; on
 * failure an error kind, a text, an offset inside the input and an
 * untouched list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rfc5322_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_addr - one returned address keeps the documented shape */
static void
check_addr(const char *a)
{
	size_t len = strlen(a);

	if (len == 0 || len > RFC5322_ADDR_SPEC_MAX)
		abort();
	if (strchr(a, '\r') != NULL || strchr(a, '\n') != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rfc5322_addr_list list;
	struct rfc5322_addr_error err;
	size_t max_count, first, i;

	if (size < 1)
		return 0;
	max_count = data[0];
	data++;
	size--;
	rfc5322_addr_list_init(&list);
	if (rfc5322_addr_list_parse(&list, data, size, max_count, &err) < 0) {
		if (err.kind == RFC5322_ADDR_ERR_NONE || err.text == NULL ||
		    err.offset > size || list.count != 0)
			abort();
		rfc5322_addr_list_deinit(&list);
		return 0;
	}
	if (list.count > max_count)
		abort();
	for (i = 0; i < list.count; i++)
		check_addr(list.addrs[i]);
	first = list.count;
	if (rfc5322_addr_list_parse(&list, data, size, 2 * max_count, &err) <
	    0) {
		abort();
	}
	if (list.count != 2 * first)
		abort();
	for (i = 0; i < first; i++)
		if (strcmp(list.addrs[i], list.addrs[first + i]) != 0)
			abort();
	rfc5322_addr_list_deinit(&list);
	return 0;
}
