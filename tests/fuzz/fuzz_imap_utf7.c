/*
 * fuzz_imap_utf7.c - fuzz target for lib/imap_utf7.c.
 *
 * Input: any octets, tried both as modified UTF-7 and as UTF-8. Checks
 * (abort() otherwise): what decodes is valid UTF-8 and encodes back to
 * exactly the input (the encoding is canonical); what encodes decodes
 * back to the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/charset.h"
#include "lib/imap_utf7.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a, b;

	buf_init(&a, 8 * size + 16);
	buf_init(&b, 8 * size + 16);
	if (imap_utf7_to_utf8((const char *)data, size, &a) == 0) {
		if (charset_utf8_valid_prefix(a.data, a.len) != a.len)
			abort();
		if (imap_utf7_from_utf8((const char *)a.data, a.len, &b) < 0 ||
		    b.len != size || (size > 0 && memcmp(b.data, data, size)))
			abort();
	}
	buf_reset(&a);
	buf_reset(&b);
	if (imap_utf7_from_utf8((const char *)data, size, &a) == 0) {
		if (imap_utf7_to_utf8((const char *)a.data, a.len, &b) < 0 ||
		    b.len != size || (size > 0 && memcmp(b.data, data, size)))
			abort();
	}
	buf_deinit(&a);
	buf_deinit(&b);
	return 0;
}
