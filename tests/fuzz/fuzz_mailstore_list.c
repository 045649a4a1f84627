/*
 * fuzz_mailstore_list.c - fuzz target for lib/mailstore_list.c.
 *
 * Input: the bytes of a UID list file. A file the parser accepts must
 * format back to exactly the same bytes (one spelling per value), satisfy
 * the list's invariants (UIDs ascending below UIDNEXT, vsize >= size) and
 * parse again; abort() otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mailstore_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mailstore_list list, again;
	struct mailstore_list_error err;
	struct buf out;
	size_t i;

	if (mailstore_list_parse(data, size, &list, &err) < 0) {
		if (err.what == NULL || list.count != 0)
			abort();
		return 0;
	}
	for (i = 0; i < list.count; i++) {
		const struct mailstore_list_entry *e = &list.entries[i];

		if (e->uid == 0 || e->uid >= list.uidnext ||
		    (i > 0 && e->uid <= list.entries[i - 1].uid) ||
		    e->vsize < e->size || e->base == NULL)
			abort();
	}
	buf_init(&out, MAILSTORE_LIST_FILE_MAX);
	mailstore_list_format(&list, &out);
	if (out.len != size || (size > 0 && memcmp(out.data, data, size) != 0))
		abort();
	if (mailstore_list_parse(out.data, out.len, &again, &err) < 0 ||
	    again.count != list.count)
		abort();
	mailstore_list_deinit(&again);
	mailstore_list_deinit(&list);
	buf_deinit(&out);
	return 0;
}
