/*
 * fuzz_smtp_data.c - fuzz target for lib/dot_stuff.c.
 *
 * Input: one byte of options (line limit, chunk size), then a DATA stream.
 * The stream is filtered whole, one byte at a time, and in chunks through
 * an output buffer of the minimum size. Output, end position, flags and
 * octet count must be the same every way (abort() otherwise); the end
 * must only ever be found right after CR LF "." CR LF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/dot_stuff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Output limit: the filter never outputs more than it reads. */
#define FUZZ_OUT_MAX (1u << 22)

struct outcome {
	struct buf out;
	int done;
	size_t end;
	unsigned flags;
	uint64_t octets;
};

/* run - filter in, chunk octets per call, output room out_room */
static void
run(const uint8_t *in, size_t n, size_t max, size_t chunk, size_t out_room,
    struct outcome *o)
{
	struct dot_stuff ds;
	struct buf stage;
	size_t pos = 0, stalls = 0;

	dot_stuff_init(&ds, max);
	buf_init(&stage, out_room);
	buf_init(&o->out, FUZZ_OUT_MAX);
	o->done = 0;
	while (pos < n && !o->done) {
		size_t want = n - pos < chunk ? n - pos : chunk, used;

		o->done = dot_stuff_feed(&ds, in + pos, want, &stage, &used);
		if (used > want)
			abort();
		stalls = used == 0 ? stalls + 1 : 0;
		if (stalls > 2)
			abort(); /* no progress with room to spare */
		pos += used;
		buf_append(&o->out, stage.data, stage.len);
		buf_reset(&stage);
	}
	o->end = o->done ? pos : 0;
	o->flags = ds.flags;
	o->octets = ds.octets;
	buf_deinit(&stage);
}

/* same - whether two outcomes agree */
static int
same(const struct outcome *a, const struct outcome *b)
{
	return a->done == b->done && a->end == b->end && a->flags == b->flags &&
	       a->octets == b->octets && a->out.len == b->out.len &&
	       (a->out.len == 0 ||
	        memcmp(a->out.data, b->out.data, a->out.len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, bytes, chunks;
	size_t max, chunk;

	if (size < 1 || size > FUZZ_OUT_MAX)
		return 0;
	max = (data[0] & 0x80) ? DOT_STUFF_LINE_MAX : 2 + (data[0] & 0x0f);
	chunk = 1 + ((data[0] >> 4) & 0x07);
	data++;
	size--;
	run(data, size, max, size > 0 ? size : 1, FUZZ_OUT_MAX, &whole);
	run(data, size, max, 1, FUZZ_OUT_MAX, &bytes);
	run(data, size, max, chunk, DOT_STUFF_OUT_MIN, &chunks);
	if (!same(&whole, &bytes) || !same(&whole, &chunks))
		abort();
	if (whole.octets != whole.out.len || whole.out.len > size)
		abort();
	/* The end only right after CR LF "." CR LF (or "." CR LF first). */
	if (whole.done &&
	    !(whole.end >= 3 && memcmp(data + whole.end - 3, ".\r\n", 3) == 0 &&
	      (whole.end == 3 ||
	       (whole.end >= 5 && data[whole.end - 5] == '\r' &&
	        data[whole.end - 4] == '\n'))))
		abort();
	buf_deinit(&whole.out);
	buf_deinit(&bytes.out);
	buf_deinit(&chunks.out);
	return 0;
}
