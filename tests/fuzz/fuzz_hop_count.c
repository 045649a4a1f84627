/*
 * fuzz_hop_count.c - fuzz target for lib/hop_count.c.
 *
 * Input: one byte of chunk size, then message text. The text is counted
 * whole, one octet at a time, and in chunks of the given size; the count
 * and the end of the header must be the same every way (abort()
 * otherwise), and the count can never exceed the number of colons.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hop_count.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* run - count text in pieces of chunk octets */
static struct hop_count
run(const uint8_t *text, size_t n, size_t chunk)
{
	struct hop_count hc;
	size_t pos;

	hop_count_init(&hc);
	for (pos = 0; pos < n; pos += chunk)
		hop_count_feed(&hc, text + pos,
			       n - pos < chunk ? n - pos : chunk);
	return hc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hop_count whole, bytes, chunks;
	size_t i, colons = 0;

	if (size < 1)
		return 0;
	whole = run(data + 1, size - 1, size);
	bytes = run(data + 1, size - 1, 1);
	chunks = run(data + 1, size - 1, (size_t)data[0] + 1);
	if (whole.received != bytes.received ||
	    whole.received != chunks.received || whole.done != bytes.done ||
	    whole.done != chunks.done)
		abort();
	for (i = 1; i < size; i++)
		colons += data[i] == ':';
	if (whole.received > colons)
		abort();
	return 0;
}
