/*
 * fuzz_imap_cache.c - fuzz target for the cache file format of
 * imapd/cache.c.
 *
 * Input: the bytes of a cache file. Whatever the header and the index
 * accept must stay inside the input; every record the index names is
 * checked; a file whose every part is accepted must format back to
 * exactly the same bytes (one spelling per file); abort() otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imapd/cache.h"
#include "lib/buf.h"
#include "lib/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_cache_header h;
	struct imap_cache_entry *entries;
	uint32_t *uids;
	size_t *sizes, i, good = 0;
	const char *error;
	struct buf out;

	if (imap_cache_header_parse(data, size, &h, &error) < 0)
		return 0;
	if (h.file_size != size)
		return 0;
	if (imap_cache_index_check(data + IMAP_CACHE_HEADER_SIZE, &h,
				   &error) < 0)
		return 0;
	entries = mem_alloc_array(h.count > 0 ? h.count : 1, sizeof(*entries));
	uids = mem_alloc_array(h.count > 0 ? h.count : 1, sizeof(*uids));
	sizes = mem_alloc_array(h.count > 0 ? h.count : 1, sizeof(*sizes));
	for (i = 0; i < h.count; i++) {
		uint32_t uid, off, next = (uint32_t)size, u;

		imap_cache_index_entry(data + IMAP_CACHE_HEADER_SIZE, i, &uid,
				       &off);
		if (i + 1 < h.count)
			imap_cache_index_entry(data + IMAP_CACHE_HEADER_SIZE,
					       i + 1, &u, &next);
		if (off > size || next > size || next < off)
			abort();
		uids[i] = uid;
		if (imap_cache_record_parse(data + off, next - off, uid,
					    &entries[i], &error) < 0)
			continue;
		if (imap_cache_record_size(&entries[i]) != next - off)
			abort();
		sizes[i] = next - off;
		good++;
	}
	if (good == h.count) {
		buf_init(&out, 2 * size + IMAP_CACHE_HEADER_SIZE);
		imap_cache_head_format(&out, h.uidvalidity, uids, sizes,
				       h.count);
		for (i = 0; i < h.count; i++)
			imap_cache_record_format(&out, uids[i], &entries[i]);
		if (out.len != size || memcmp(out.data, data, size) != 0)
			abort();
		buf_deinit(&out);
	}
	mem_free(&entries);
	mem_free(&uids);
	mem_free(&sizes);
	return 0;
}
