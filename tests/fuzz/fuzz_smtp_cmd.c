/*
 * fuzz_smtp_cmd.c - fuzz target for lib/smtp_line.c and lib/smtp_cmd.c.
 *
 * Input: one byte of options (parser flags, line limit), then a client's
 * command stream. The stream is framed whole and one byte at a time; the
 * two line sequences must be identical (abort() otherwise), and every line
 * goes to smtp_cmd_parse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/smtp_cmd.h"
#include "lib/smtp_line.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Transcript limit: a few times the largest input libFuzzer gives us. */
#define FUZZ_TRANSCRIPT_MAX (1u << 22)

/* parse_line - run the command parser over one framed line */
static void
parse_line(const uint8_t *line, size_t len, int flags)
{
	struct smtp_cmd cmd;
	struct smtp_cmd_error err;

	if (smtp_cmd_parse(line, len, flags, &cmd, &err) == 0) {
		if (cmd.verb == SMTP_VERB_UNKNOWN)
			abort();
	} else if (err.code < 500 || err.code > 599 || err.text == NULL) {
		abort();
	}
	smtp_cmd_deinit(&cmd);
}

/* frame - frame the stream in chunks of chunk octets into a transcript */
static void
frame(const uint8_t *in, size_t n, size_t max, size_t chunk, int flags,
      struct buf *t)
{
	struct smtp_line fr;
	struct buf rx;
	size_t pos = 0;

	smtp_line_init(&fr, max);
	buf_init(&rx, max);
	while (pos < n) {
		size_t take = chunk;
		const uint8_t *line;
		size_t len;
		unsigned lflags;

		if (take > n - pos)
			take = n - pos;
		if (take > buf_room(&rx))
			take = buf_room(&rx);
		if (take == 0)
			abort(); /* the framer must always make room */
		buf_append(&rx, in + pos, take);
		pos += take;
		while (smtp_line_next(&fr, &rx, &line, &len, &lflags) == 1) {
			if (len > max - 2)
				abort();
			buf_append_byte(t, (uint8_t)lflags);
			buf_append(t, &len, sizeof(len));
			buf_append(t, line, len);
			if (flags >= 0)
				parse_line(line, len, flags);
			smtp_line_consume(&fr, &rx);
		}
	}
	buf_append(t, rx.data, rx.len);
	buf_deinit(&rx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf whole, bytes;
	size_t max;
	int flags;

	if (size < 1 || size > FUZZ_TRANSCRIPT_MAX / 16)
		return 0;
	flags = data[0] & (SMTP_CMD_F_STRICT | SMTP_CMD_F_UTF8);
	/* Small limits reach the too-long paths; bit 7: the real one. */
	max = (data[0] & 0x80) ? SMTP_LINE_MAX
	                       : SMTP_LINE_MIN + ((data[0] >> 2) & 0x1f);
	data++;
	size--;
	buf_init(&whole, FUZZ_TRANSCRIPT_MAX);
	buf_init(&bytes, FUZZ_TRANSCRIPT_MAX);
	frame(data, size, max, size, flags, &whole);
	frame(data, size, max, 1, -1, &bytes);
	if (whole.len != bytes.len ||
	    (whole.len > 0 && memcmp(whole.data, bytes.data, whole.len) != 0))
		abort();
	buf_deinit(&whole);
	buf_deinit(&bytes);
	/* The parser alone, on the raw input as one line. */
	parse_line(data, size, flags);
	return 0;
}
