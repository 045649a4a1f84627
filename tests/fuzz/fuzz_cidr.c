/*
 * fuzz_cidr.c - fuzz target for lib/cidr.c: arbitrary text as a network
 * list, then matching a few addresses against whatever parsed.
 */
#include <stdint.h>
#include <string.h>

#include "lib/cidr.h"
#include "lib/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cidr_list list = { NULL, 0 };
	char *text = mem_memdup(data, size);
	const char *error;

	if (size > 65536) {
		mem_free(&text);
		return 0;
	}
	if (cidr_list_parse(&list, text, &error) == 0) {
		cidr_list_match_text(&list, "127.0.0.1");
		cidr_list_match_text(&list, "::ffff:10.1.2.3");
		cidr_list_match_text(&list, "2001:db8::1");
	}
	cidr_list_deinit(&list);
	mem_free(&text);
	return 0;
}
