/*
 * fuzz_ipc.c - fuzz target for the IPC frame parser (lib/ipc.c).
 *
 * Arbitrary octets are parsed frame after frame with ipc_limits_all. Each
 * frame is validated against a generic schema and, by type, decoded with
 * the status decoders; every attribute value is also tried as a group and
 * read through every accessor. Invariants checked on the way (a violation
 * traps): a frame's prefixes never parse as complete, consumed equals the
 * header length and stays inside the input, accessors stay inside the
 * payload. Seed corpus: tests/fuzz/corpus/ipc, written from the rows of
 * tests/unit/lib/test_ipc.c (MR_IPC_WRITE_CORPUS).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/ipc.h"
#include "lib/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Attributes per frame or group given to the by-tag accessors. */
#define FUZZ_ACCESSOR_ATTRS 64

/* A schema touching every rule: required, multi with a cap, lengths. */
static const struct ipc_attr_spec fuzz_specs[] = {
	{ 1, false, true, 8, 0, 1024 },
	{ 2, true, false, 0, 1, 64 },
	{ 3, false, false, 0, 4, 4 },
	{ 5, false, true, 0, 0, 100 },
};

/* fuzz_check - trap when an invariant does not hold */
static void
fuzz_check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* fuzz_inside - whether (p, n) lies within frame's payload */
static int
fuzz_inside(const struct ipc_frame *f, const uint8_t *p, size_t n)
{
	return p >= f->payload && n <= f->payload_len &&
	       (size_t)(p - f->payload) <= f->payload_len - n;
}

/* fuzz_accessors - walk a frame or group with every accessor */
static void
fuzz_accessors(const struct ipc_frame *f, int depth)
{
	struct ipc_attr_iter iter;
	const uint8_t *p;
	size_t n, seen = 0;
	uint16_t tag;
	uint32_t u32;
	uint64_t u64;
	char *s = NULL;
	const char *error = NULL;

	(void)ipc_frame_validate(f, fuzz_specs,
				 sizeof(fuzz_specs) / sizeof(fuzz_specs[0]),
				 &error);
	ipc_attr_iter_init(&iter, f, 0);
	while (ipc_attr_iter_next(&iter, &tag, &p, &n) == 1) {
		struct ipc_frame group;

		fuzz_check(fuzz_inside(f, p, n));
		/* The by-tag accessors rescan from the start: keep the
		   work linear on frames with thousands of attributes. */
		if (++seen > FUZZ_ACCESSOR_ATTRS)
			continue;
		if (depth == 0 && ipc_frame_group(p, n, &group, &error) == 0)
			fuzz_accessors(&group, 1);
		if (ipc_frame_get(f, tag, &p, &n) == 0)
			fuzz_check(fuzz_inside(f, p, n));
		(void)ipc_frame_get_u32(f, tag, &u32);
		(void)ipc_frame_get_u64(f, tag, &u64);
		if (ipc_frame_get_str(f, tag, &s) == 0) {
			fuzz_check(strlen(s) <= f->payload_len);
			mem_free(&s);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		struct ipc_frame f;
		struct ipc_status_reply reply;
		const char *error = NULL;
		size_t consumed = 0, k;
		int r = ipc_frame_parse(data + off, size - off, &ipc_limits_all,
					&f, &consumed, &error);

		if (r < 0)
			fuzz_check(error != NULL);
		if (r != 1)
			break;
		fuzz_check(consumed == f.len && consumed >= IPC_HEADER_LEN &&
			   consumed <= size - off);
		/* Incremental consistency: no prefix is a complete frame,
		   and every prefix past the header agrees it is valid. */
		for (k = 0; k < consumed; k++) {
			struct ipc_frame g;
			size_t c;
			int rk = ipc_frame_parse(data + off, k, &ipc_limits_all,
						 &g, &c, &error);

			fuzz_check(rk == 0);
		}
		fuzz_accessors(&f, 0);
		if (f.type == IPC_MASTER_STATUS_REQUEST)
			(void)ipc_status_request_decode(&f, &error);
		if (f.type == IPC_MASTER_STATUS_REPLY &&
		    ipc_status_reply_decode(&f, &reply, &error) == 0)
			ipc_status_reply_deinit(&reply);
		off += consumed;
	}
	return 0;
}
