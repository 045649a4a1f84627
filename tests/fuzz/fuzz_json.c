/*
 * fuzz_json.c - fuzz target for lib/json.c.
 *
 * Escapes the input and checks that the output is valid JSON string
 * content: every byte printable ASCII or part of a well-formed UTF-8
 * character, no raw control character, '"' only escaped, every backslash
 * starting a known escape. Decoding the escapes (each \u00XX stands for
 * one input byte) must give the input back. A buffer one byte too small
 * must fail and stay unchanged. Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/checked.h"
#include "lib/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_hex - value of a lower-case hex digit, or abort */
static unsigned int
fuzz_hex(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	abort();
}

/* fuzz_check - validate out (n bytes) and decode it into dec */
static void
fuzz_check(const uint8_t *out, size_t n, struct buf *dec)
{
	size_t i = 0, len;
	unsigned int c;

	while (i < n) {
		if (out[i] == '\\') {
			if (i + 1 >= n)
				abort();
			if (out[i + 1] == '"' || out[i + 1] == '\\') {
				buf_append_byte(dec, out[i + 1]);
				i += 2;
			} else if (out[i + 1] == 'u') {
				if (n - i < JSON_ESCAPE_OCTETS_MAX ||
				    out[i + 2] != '0' || out[i + 3] != '0')
					abort();
				c = fuzz_hex(out[i + 4]) << 4 |
				    fuzz_hex(out[i + 5]);
				buf_append_byte(dec, (uint8_t)c);
				i += JSON_ESCAPE_OCTETS_MAX;
			} else {
				abort();
			}
		} else if (out[i] == '"') {
			abort();
		} else if (out[i] >= 0x20 && out[i] < 0x7F) {
			buf_append_byte(dec, out[i++]);
		} else {
			len = json_utf8_char_len(out + i, n - i);
			if (len == 0)
				abort();
			buf_append(dec, out + i, len);
			i += len;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out, dec, small;
	size_t max;

	if (!checked_mul(size, JSON_ESCAPE_OCTETS_MAX, &max) ||
	    !checked_add(max, 2, &max))
		return 0;
	buf_init(&out, max);
	buf_init(&dec, size);
	if (json_string_append(&out, data, size) < 0)
		abort();
	if (out.len < 2 || out.data[0] != '"' || out.data[out.len - 1] != '"')
		abort();
	fuzz_check(out.data + 1, out.len - 2, &dec);
	if (dec.len != size || (size > 0 && memcmp(dec.data, data, size) != 0))
		abort();
	/* Exactly one byte short: must fail and leave the buffer empty. */
	buf_init(&small, out.len - 1);
	if (json_string_append(&small, data, size) == 0 || small.len != 0)
		abort();
	buf_deinit(&small);
	buf_deinit(&dec);
	buf_deinit(&out);
	return 0;
}
