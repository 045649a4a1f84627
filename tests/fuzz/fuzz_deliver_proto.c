/*
 * fuzz_deliver_proto.c - fuzz target for lib/deliver_proto.c: arbitrary
 * bytes as an IPC frame, decoded as a delivery request and as a result.
 */
#include <stdint.h>
#include <stddef.h>

#include "lib/deliver_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_frame f;
	struct deliver_request req;
	struct deliver_result res;
	const char *error;
	size_t used;

	if (ipc_frame_parse(data, size, &ipc_limits_all, &f, &used, &error) !=
	    1)
		return 0;
	deliver_request_decode(&f, &req, &error);
	if (deliver_result_decode(&f, &res, &error) == 0)
		deliver_result_deinit(&res);
	return 0;
}
