/*
 * fuzz_nexthop.c - fuzz target for lib/nexthop.c: any text as a next
 * hop; a parsed one must have a valid port and a printable host.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/nexthop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[1024];
	struct nexthop nh;
	const char *error = NULL;
	size_t i;

	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	if (nexthop_parse(text, 25, &nh, &error) < 0) {
		if (error == NULL)
			abort();
		return 0;
	}
	if (nh.port == 0 || nh.port > 65535 || nh.host[0] == '\0' ||
	    (nh.mx && nh.literal))
		abort();
	for (i = 0; nh.host[i] != '\0'; i++)
		if (nh.host[i] <= 0x20 || nh.host[i] >= 0x7f)
			abort();
	return 0;
}
